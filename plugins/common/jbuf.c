/*
 * jbuf.c - the buffer and writers of jbuf.h.
 */
#include "jbuf.h"

#include <stdlib.h>
#include <time.h>

int jbuf_grow(struct jbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->oom)
		return -1;
	if (n > SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return -1;
	}
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void jbuf_free(struct jbuf *b)
{
	free(b->p);
	*b = (struct jbuf){0};
}

void jbuf_u64(struct jbuf *b, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (jbuf_reserve(b, n))
		return;
	while (n)
		b->p[b->len++] = tmp[--n];
}

char *jbuf_dec(char *w, int64_t v)
{
	char tmp[20];
	size_t n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*w++ = '-';
	while (n)
		*w++ = tmp[--n];
	return w;
}

void jbuf_i64(struct jbuf *b, int64_t v)
{
	if (v < 0) {
		jbuf_putc(b, '-');
		jbuf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		jbuf_u64(b, (uint64_t)v);
	}
}

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0; /* continuation, overlong 2-byte lead, > U+10FFFF */
	if (c < 0xe0)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0; /* UTF-16 surrogate */
		return 3;
	}
	if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
	    (s[3] & 0xc0) != 0x80)
		return 0;
	if (c == 0xf0 && s[1] < 0x90)
		return 0; /* overlong */
	if (c == 0xf4 && s[1] >= 0x90)
		return 0; /* above U+10FFFF */
	return 4;
}

size_t utf8_check(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0;

	while (i < n) {
		size_t k;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq_len(s + i, n - i);
		if (!k)
			return i;
		i += k;
	}
	return n;
}

/* What each byte needs inside a JSON string: 0 nothing, 1 a short
 * escape, 2 \u00XX, 3 UTF-8 checking. */
static const unsigned char str_class[256] = {
	2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

size_t jbuf_str(struct jbuf *b, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	size_t bad = 0, i = 0;
	char *o;

	/* Worst case: every byte becomes a 6-byte escape. */
	if (n > (SIZE_MAX - 2) / 6 || jbuf_reserve(b, 6 * n + 2))
		return 0;
	o = b->p + b->len;
	*o++ = '"';
	while (i < n) {
		unsigned c = s[i];
		size_t k;

		switch (str_class[c]) {
		case 0:
			*o++ = (char)c;
			i++;
			break;
		case 1:
			*o++ = '\\';
			*o++ = c == '"'	   ? '"'
			       : c == '\\' ? '\\'
			       : c == '\b' ? 'b'
			       : c == '\t' ? 't'
			       : c == '\n' ? 'n'
			       : c == '\f' ? 'f'
					   : 'r';
			i++;
			break;
		case 2:
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
			i++;
			break;
		default:
			k = utf8_seq_len(s + i, n - i);
			if (k) {
				memcpy(o, s + i, k);
				o += k;
				i += k;
			} else {
				memcpy(o, "\\ufffd", 6);
				o += 6;
				i++;
				bad++;
			}
			break;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	return bad;
}

void jbuf_base64(struct jbuf *b, const void *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789+/";
	const unsigned char *s = p;
	size_t i = 0;
	char *o;

	if (jbuf_reserve(b, (n + 2) / 3 * 4 + 2))
		return;
	o = b->p + b->len;
	*o++ = '"';
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 |
			     s[i + 2];

		o[0] = tab[v >> 18];
		o[1] = tab[v >> 12 & 63];
		o[2] = tab[v >> 6 & 63];
		o[3] = tab[v & 63];
		o += 4;
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		o[0] = tab[v >> 18];
		o[1] = tab[v >> 12 & 63];
		o[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		o[3] = '=';
		o += 4;
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
}

static char *digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

char *jbuf_format_time_us(char *p, int64_t us)
{
	int64_t s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
	int64_t frac = us - s * 1000000;
	int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	int64_t sod = s - days * 86400;
	unsigned m, d;
	int y;

	civil(days, &y, &m, &d);
	if (y < 0)
		y = 0;
	if (y > 9999)
		y = 9999;
	p = digits(p, (unsigned)y, 4);
	*p++ = '-';
	p = digits(p, m, 2);
	*p++ = '-';
	p = digits(p, d, 2);
	*p++ = 'T';
	p = digits(p, (unsigned)(sod / 3600), 2);
	*p++ = ':';
	p = digits(p, (unsigned)(sod / 60 % 60), 2);
	*p++ = ':';
	p = digits(p, (unsigned)(sod % 60), 2);
	*p++ = '.';
	p = digits(p, (unsigned)frac, 6);
	*p++ = 'Z';
	return p;
}

void jbuf_time_us(struct jbuf *b, int64_t us)
{
	if (jbuf_reserve(b, 29))
		return;
	b->p[b->len] = '"';
	jbuf_format_time_us(b->p + b->len + 1, us);
	b->p[b->len + 28] = '"';
	b->len += 29;
}

int64_t jbuf_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
