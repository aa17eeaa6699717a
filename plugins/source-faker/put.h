/*
 * put.h - the primitives of source-faker's JSON writer. Each one writes
 * at p and returns the end; the caller owns a buffer sized for the
 * largest event (see FAKER_EVENT_MAX), so none of them checks space.
 * Numbers are formatted by hand because snprintf dominates the cost of
 * an event otherwise.
 */
#ifndef FAKER_PUT_H
#define FAKER_PUT_H

#include <stdint.h>
#include <string.h>

#include "words.h"

/* A string literal, its length known at compile time. */
#define FAKER_PUT_LIT(p, lit) faker_put((p), (lit), sizeof(lit) - 1)

static inline char *faker_put(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	return p + len;
}

static inline char *faker_put_str(char *p, struct faker_str s)
{
	return faker_put(p, s.s, s.len);
}

static inline char *faker_put_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Exactly `width` digits, zero-padded (v must fit). */
static inline char *faker_put_digits(char *p, uint32_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* Money in integer cents, printed as Python's json.dumps prints the
 * float round(x, 2): shortest form, at least one decimal ("316.4",
 * "27.0", "5800.45"). Integer cents keep the sum of the items exact. */
static inline char *faker_put_money(char *p, int64_t cents)
{
	uint64_t c;

	if (cents < 0) {
		*p++ = '-';
		c = (uint64_t)-cents;
	} else {
		c = (uint64_t)cents;
	}
	p = faker_put_u64(p, c / 100);
	*p++ = '.';
	*p++ = (char)('0' + c / 10 % 10);
	if (c % 10)
		*p++ = (char)('0' + c % 10);
	return p;
}

/* A UUID in its 36-character text form from 128 random bits, with the
 * version (4) and variant (10) bits of RFC 9562 set. */
static inline char *faker_put_uuid4(char *p, uint64_t hi, uint64_t lo)
{
	static const char hex[] = "0123456789abcdef";

	hi = (hi & ~0xf000ULL) | 0x4000ULL;
	lo = (lo & ~(3ULL << 62)) | (2ULL << 62);
	for (int i = 0; i < 16; i++) {
		uint64_t w = i < 8 ? hi : lo;
		unsigned b = (unsigned)(w >> (56 - 8 * (i & 7))) & 0xff;

		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b >> 4];
		*p++ = hex[b & 15];
	}
	return p;
}

#endif
