/*
 * jsonv.c - the JSON validator of jsonv.h. A hand-written state machine
 * rather than json-c's tokener: the tokener allocates an object tree per
 * record, which costs several times more than the check itself
 * (measured numbers in docs/sink-s3.md).
 */
#include "jsonv.h"

#include <string.h>

enum { IN_OBJECT = 1, IN_ARRAY = 2 };

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Length of the valid UTF-8 sequence at s (of at most n bytes) whose
 * first byte is >= 0x80, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0) /* overlong */
			return 0;
		if (c == 0xed && s[1] >= 0xa0) /* surrogates */
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90) /* overlong */
			return 0;
		if (c == 0xf4 && s[1] >= 0x90) /* above U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

/* Bytes a string's plain run stops at: '"', '\\', controls, non-ASCII
 * (one table load per byte instead of four comparisons). */
static const unsigned char stop[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* A string starting at p[*i] == '"'; on success *i is after the closing
 * quote. */
static const char *string(const unsigned char *p, size_t n, size_t *i)
{
	size_t k = *i + 1;
	for (;;) {
		/* The common case: plain ASCII, eight at a time. */
		while (k + 8 <= n &&
		       !(stop[p[k]] | stop[p[k + 1]] | stop[p[k + 2]] |
			 stop[p[k + 3]] | stop[p[k + 4]] | stop[p[k + 5]] |
			 stop[p[k + 6]] | stop[p[k + 7]]))
			k += 8;
		while (k < n && !stop[p[k]])
			k++;
		if (k >= n) {
			*i = k;
			return "unterminated string";
		}
		unsigned char c = p[k];
		if (c == '"') {
			*i = k + 1;
			return NULL;
		}
		if (c == '\\') {
			if (k + 1 >= n) {
				*i = k;
				return "unterminated string";
			}
			unsigned char e = p[k + 1];
			if (e == 'u') {
				if (k + 6 > n || hexval(p[k + 2]) < 0 ||
				    hexval(p[k + 3]) < 0 ||
				    hexval(p[k + 4]) < 0 ||
				    hexval(p[k + 5]) < 0) {
					*i = k;
					return "invalid \\u escape";
				}
				k += 6;
			} else if (strchr("\"\\/bfnrt", e) && e) {
				k += 2;
			} else {
				*i = k;
				return "invalid escape";
			}
			continue;
		}
		if (c < 0x20) {
			*i = k;
			return "control character in string";
		}
		size_t l = utf8_len(p + k, n - k);
		if (!l) {
			*i = k;
			return "invalid UTF-8";
		}
		k += l;
	}
}

static const char *number(const unsigned char *p, size_t n, size_t *i)
{
	size_t k = *i;
	if (p[k] == '-')
		k++;
	if (k >= n)
		goto bad;
	if (p[k] == '0') {
		k++;
	} else if (p[k] >= '1' && p[k] <= '9') {
		while (k < n && p[k] >= '0' && p[k] <= '9')
			k++;
	} else {
		goto bad;
	}
	if (k < n && p[k] == '.') {
		k++;
		if (k >= n || p[k] < '0' || p[k] > '9')
			goto bad;
		while (k < n && p[k] >= '0' && p[k] <= '9')
			k++;
	}
	if (k < n && (p[k] == 'e' || p[k] == 'E')) {
		k++;
		if (k < n && (p[k] == '+' || p[k] == '-'))
			k++;
		if (k >= n || p[k] < '0' || p[k] > '9')
			goto bad;
		while (k < n && p[k] >= '0' && p[k] <= '9')
			k++;
	}
	*i = k;
	return NULL;
bad:
	*i = k;
	return "invalid number";
}

static const char *literal(const unsigned char *p, size_t n, size_t *i)
{
	static const char *const words[] = {"true", "false", "null"};
	for (int w = 0; w < 3; w++) {
		size_t l = strlen(words[w]);
		if (n - *i >= l && !memcmp(p + *i, words[w], l)) {
			*i += l;
			return NULL;
		}
	}
	return "unexpected character";
}

const char *s3s_json_check(const char *text, size_t n, struct s3s_json_field *f,
			   size_t *where)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned char stack[S3S_JSON_MAX_DEPTH];
	int depth = 0;
	size_t i = 0;
	const char *err = NULL;
	/* Capture of the wanted member: 1 = its key was just read, 2 = its
	 * value is being read (it started at cap_at). */
	int capture = 0;
	size_t cap_at = 0;
	if (f)
		f->at = NULL, f->len = 0;

value:
	while (i < n && is_ws(p[i]))
		i++;
	if (i >= n) {
		err = n ? "unexpected end" : "empty value";
		goto fail;
	}
	if (capture == 1) {
		capture = 2;
		cap_at = i;
	}
	switch (p[i]) {
	case '{':
		if (depth == S3S_JSON_MAX_DEPTH) {
			err = "nesting too deep";
			goto fail;
		}
		stack[depth++] = IN_OBJECT;
		i++;
		while (i < n && is_ws(p[i]))
			i++;
		if (i < n && p[i] == '}') {
			depth--;
			i++;
			goto after_value;
		}
		goto member;
	case '[':
		if (depth == S3S_JSON_MAX_DEPTH) {
			err = "nesting too deep";
			goto fail;
		}
		stack[depth++] = IN_ARRAY;
		i++;
		while (i < n && is_ws(p[i]))
			i++;
		if (i < n && p[i] == ']') {
			depth--;
			i++;
			goto after_value;
		}
		goto value;
	case '"':
		if ((err = string(p, n, &i)))
			goto fail;
		goto after_value;
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		if ((err = number(p, n, &i)))
			goto fail;
		goto after_value;
	default:
		if ((err = literal(p, n, &i)))
			goto fail;
		goto after_value;
	}

member:
	while (i < n && is_ws(p[i]))
		i++;
	if (i >= n || p[i] != '"') {
		err = i >= n ? "unexpected end" : "expected a member name";
		goto fail;
	} else {
		size_t start = i;
		if ((err = string(p, n, &i)))
			goto fail;
		if (f && depth == 1 && !f->at && !capture &&
		    i - start - 2 == f->name_len &&
		    !memcmp(p + start + 1, f->name, f->name_len))
			capture = 1;
	}
	while (i < n && is_ws(p[i]))
		i++;
	if (i >= n || p[i] != ':') {
		err = i >= n ? "unexpected end" : "expected ':'";
		goto fail;
	}
	i++;
	goto value;

after_value:
	if (capture == 2 && depth == 1) {
		f->at = text + cap_at;
		f->len = i - cap_at;
		capture = 0;
	}
	while (i < n && is_ws(p[i]))
		i++;
	if (depth == 0) {
		if (i != n) {
			err = "trailing characters";
			goto fail;
		}
		return NULL;
	}
	if (i >= n) {
		err = "unexpected end";
		goto fail;
	}
	if (p[i] == ',') {
		i++;
		if (stack[depth - 1] == IN_OBJECT)
			goto member;
		goto value;
	}
	if ((p[i] == '}' && stack[depth - 1] == IN_OBJECT) ||
	    (p[i] == ']' && stack[depth - 1] == IN_ARRAY)) {
		depth--;
		i++;
		goto after_value;
	}
	err = "expected ',' or a closing bracket";
fail:
	if (f)
		f->at = NULL, f->len = 0;
	if (where)
		*where = i;
	return err;
}
