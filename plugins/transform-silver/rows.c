/*
 * rows.c - money, time and column helpers of transform-silver (rows.h).
 */
#include "rows.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* acc = acc * 10 + d, in the magnitude's unsigned range; -1 on overflow. */
static int push_digit(uint64_t *acc, unsigned d)
{
	if (*acc > (UINT64_MAX - d) / 10)
		return -1;
	*acc = *acc * 10 + d;
	return 0;
}

int silver_money_parse(const char *s, size_t n, int64_t *cents)
{
	const char *end = s + n, *ip, *fp = NULL, *p = s;
	size_t ilen, flen = 0, total, keep, k;
	long exp = 0, shift;
	uint64_t mag = 0;
	int neg = 0, up = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	ip = p;
	while (p < end && is_digit(*p))
		p++;
	ilen = (size_t)(p - ip);
	if (ilen == 0 || (ilen > 1 && *ip == '0'))
		return -1;
	if (p < end && *p == '.') {
		fp = ++p;
		while (p < end && is_digit(*p))
			p++;
		flen = (size_t)(p - fp);
		if (flen == 0)
			return -1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0;

		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == end || !is_digit(*p))
			return -1;
		for (; p < end && is_digit(*p); p++)
			if (exp < 100000)
				exp = exp * 10 + (*p - '0');
		if (eneg)
			exp = -exp;
	}
	if (p != end)
		return -1;
	/* The digits ip..., then fp... (ilen + flen of them), times
	 * 10^(2 + exp - flen), are the cents: keep the first
	 * total + shift digits, round on the next one. */
	total = ilen + flen;
	shift = 2 + exp - (long)flen;
	if (shift >= 0)
		keep = total;
	else if ((long)total + shift <= 0)
		keep = 0;
	else
		keep = (size_t)((long)total + shift);
	for (k = 0; k < keep; k++) {
		char c = k < ilen ? ip[k] : fp[k - ilen];

		if (push_digit(&mag, (unsigned)(c - '0')))
			return -1;
	}
	if (shift >= 0) {
		for (long z = 0; z < shift && mag; z++)
			if (push_digit(&mag, 0))
				return -1;
	} else if ((long)total + shift >= 0 && keep < total) {
		char c = keep < ilen ? ip[keep] : fp[keep - ilen];

		up = c >= '5';
	}
	if (up)
		mag++; /* mag <= UINT64_MAX / 10 + 9 here: no overflow */
	if (mag > (uint64_t)INT64_MAX)
		return -1;
	*cents = neg ? -(int64_t)mag : (int64_t)mag;
	return 0;
}

int silver_money_of(const struct jnode *v, int64_t *cents)
{
	if (v && v->type == JT_INT) {
		if (v->i > INT64_MAX / 100 || v->i < -(INT64_MAX / 100))
			return -1;
		*cents = v->i * 100;
		return 0;
	}
	if (!v || v->type != JT_DOUBLE)
		return -1;
	/* The exact decimal the producer wrote, not the nearest double. */
	return silver_money_parse(v->str, v->len, cents);
}

void silver_money_write(struct jbuf *b, int64_t cents)
{
	uint64_t mag = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
	char frac[3];

	if (cents < 0)
		jbuf_putc(b, '-');
	jbuf_u64(b, mag / 100);
	frac[0] = '.';
	frac[1] = (char)('0' + mag % 100 / 10);
	frac[2] = (char)('0' + mag % 10);
	jbuf_put(b, frac, 3);
}

/* n digits at p as a number; -1 when one is not a digit. */
static int digits(const char *p, int n)
{
	int v = 0;

	for (int k = 0; k < n; k++) {
		if (!is_digit(p[k]))
			return -1;
		v = v * 10 + (p[k] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int silver_time_parse(const char *s, size_t n, int64_t *us)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, off = 0;
	int64_t frac = 0, scale = 100000;
	size_t p = 19;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' ||
	    s[16] != ':' || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 || y % 400 == 0)))
		return -1;
	if (s[p] == '.') {
		size_t start = ++p;

		while (p < n && is_digit(s[p])) {
			if (scale) {
				frac += (s[p] - '0') * scale;
				scale /= 10;
			}
			p++;
		}
		if (p == start || p - start > 9)
			return -1;
	}
	if (p < n && (s[p] == 'Z' || s[p] == 'z') && p + 1 == n) {
		off = 0;
	} else if (p < n && (s[p] == '+' || s[p] == '-')) {
		int oh, om, sign = s[p] == '-' ? -1 : 1;

		if (n - p == 6 && s[p + 3] == ':') {
			oh = digits(s + p + 1, 2);
			om = digits(s + p + 4, 2);
		} else if (n - p == 5) {
			oh = digits(s + p + 1, 2);
			om = digits(s + p + 3, 2);
		} else {
			return -1;
		}
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		off = sign * (oh * 60 + om);
	} else {
		return -1;
	}
	*us = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
		(int64_t)off * 60) *
	       1000000) +
	      frac;
	return 0;
}

const char *silver_str(const struct jnode *v, size_t *len)
{
	if (!v || v->type != JT_STRING)
		return NULL;
	*len = v->len;
	return v->str;
}

void silver_col_str(struct jbuf *b, const struct jnode *v)
{
	size_t len;
	const char *s = silver_str(v, &len);

	if (s)
		jbuf_str(b, s, len);
	else
		JBUF_LIT(b, "null");
}

void silver_col_int(struct jbuf *b, const struct jnode *v)
{
	if (v && v->type == JT_INT)
		jbuf_i64(b, v->i);
	else
		JBUF_LIT(b, "null");
}

void silver_col_money(struct jbuf *b, const struct jnode *v)
{
	int64_t cents;

	if (silver_money_of(v, &cents) == 0)
		silver_money_write(b, cents);
	else
		JBUF_LIT(b, "null");
}

/* Little-endian u64 at p, one load where the CPU is little-endian
 * (silver_hash reads every row and id through it). */
static inline uint64_t load_le64(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
#else
	uint64_t v = 0;

	for (int k = 7; k >= 0; k--)
		v = v << 8 | p[k];
	return v;
#endif
}

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ h >> 29;
}

uint64_t silver_hash(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 0x243f6a8885a308d3ull ^ n, tail = 0;
	size_t k = 0;

	for (; k + 8 <= n; k += 8)
		h = mix(h, load_le64(c + k));
	for (int shift = 0; k < n; k++, shift += 8)
		tail |= (uint64_t)c[k] << shift;
	return mix(mix(h, tail), n);
}

void silver_put_u64(unsigned char *p, uint64_t v)
{
	for (int k = 0; k < 8; k++)
		p[k] = (unsigned char)(v >> (8 * k));
}

uint64_t silver_get_u64(const unsigned char *p)
{
	return load_le64(p);
}
