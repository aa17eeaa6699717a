/*
 * s3_xml.c - the XML reading and escaping of s3_xml.h. S3 answers are
 * flat and well-formed; no DTDs, no CDATA, no namespaces prefixes on the
 * elements read here.
 */
#include "s3_xml.h"

#include <stdlib.h>
#include <string.h>

static void put_utf8(struct s3s_buf *out, unsigned long cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	s3s_buf_add(out, b, n);
}

static void decode(struct s3s_buf *out, const char *s, size_t n)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {{"amp;", '&'},
		    {"lt;", '<'},
		    {"gt;", '>'},
		    {"quot;", '"'},
		    {"apos;", '\''}};
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '&') {
			s3s_buf_addc(out, s[i]);
			continue;
		}
		int done = 0;
		for (size_t e = 0; e < sizeof(ents) / sizeof(*ents); e++) {
			size_t l = strlen(ents[e].name);
			if (n - i - 1 >= l &&
			    !memcmp(s + i + 1, ents[e].name, l)) {
				s3s_buf_addc(out, ents[e].c);
				i += l;
				done = 1;
				break;
			}
		}
		if (!done && i + 2 < n && s[i + 1] == '#') {
			const char *semi = memchr(s + i, ';', n - i);
			if (semi) {
				int hex = s[i + 2] == 'x' || s[i + 2] == 'X';
				char num[16];
				size_t l = (size_t)(semi - (s + i + 2 + hex));
				if (l > 0 && l < sizeof(num)) {
					memcpy(num, s + i + 2 + hex, l);
					num[l] = '\0';
					unsigned long cp = strtoul(
						num, NULL, hex ? 16 : 10);
					if (cp && cp <= 0x10ffff) {
						put_utf8(out, cp);
						i = (size_t)(semi - s);
						done = 1;
					}
				}
			}
		}
		if (!done)
			s3s_buf_addc(out, '&');
	}
}

int s3s_xml_next(const char *xml, size_t len, const char *tag, size_t *pos,
		 struct s3s_buf *out, int raw)
{
	size_t tl = strlen(tag);
	size_t i = *pos;
	s3s_buf_reset(out);
	if (!out->p)
		s3s_buf_reserve(out, 0);
	while (i < len) {
		const char *lt = memchr(xml + i, '<', len - i);
		if (!lt)
			return 0;
		i = (size_t)(lt - xml) + 1;
		if (len - i < tl || memcmp(xml + i, tag, tl))
			continue;
		size_t j = i + tl;
		while (j < len && (xml[j] == ' ' || xml[j] == '\t' ||
				   xml[j] == '\n' || xml[j] == '\r'))
			j++;
		if (j < len && xml[j] == '/' && j + 1 < len &&
		    xml[j + 1] == '>') {
			*pos = j + 2;
			return 1;
		}
		if (j < len && j != i + tl && xml[j] != '>') {
			/* attributes: skip to the end of the start tag */
			const char *gt = memchr(xml + j, '>', len - j);
			if (!gt)
				return 0;
			if (gt > xml + j && gt[-1] == '/') {
				*pos = (size_t)(gt - xml) + 1;
				return 1;
			}
			j = (size_t)(gt - xml);
		}
		if (j >= len || xml[j] != '>')
			continue;
		size_t start = j + 1;
		/* The matching end tag (S3 never nests an element in one of
		 * the same name). */
		for (size_t k = start; k + tl + 3 <= len; k++) {
			if (xml[k] == '<' && xml[k + 1] == '/' &&
			    !memcmp(xml + k + 2, tag, tl) &&
			    xml[k + 2 + tl] == '>') {
				if (raw)
					s3s_buf_add(out, xml + start,
						    k - start);
				else
					decode(out, xml + start, k - start);
				*pos = k + tl + 3;
				return 1;
			}
		}
		return 0;
	}
	return 0;
}

void s3s_xml_escape(struct s3s_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			s3s_buf_adds(out, "&amp;");
			break;
		case '<':
			s3s_buf_adds(out, "&lt;");
			break;
		case '>':
			s3s_buf_adds(out, "&gt;");
			break;
		case '"':
			s3s_buf_adds(out, "&quot;");
			break;
		case '\'':
			s3s_buf_adds(out, "&apos;");
			break;
		default:
			s3s_buf_addc(out, *s);
		}
	}
}
