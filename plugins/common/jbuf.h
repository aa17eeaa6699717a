/*
 * jbuf.h - a growing byte buffer with direct JSON writers, reused from
 * record to record (the plugins write their output JSON with it instead
 * of serialising json-c trees), and the UTF-8 and time helpers they
 * share. Part of libsluiceplugin, the plugins' convenience library.
 *
 * Writers never fail one by one: when memory runs out the buffer is
 * marked (oom) and later writes do nothing, so a caller checks once at
 * the end.
 */
#ifndef SLUICE_JBUF_H
#define SLUICE_JBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jbuf {
	char *p;
	size_t len, cap;
	int oom;
};

/* Room for n more bytes; 0, or -1 (and oom set). */
int jbuf_grow(struct jbuf *b, size_t n);
void jbuf_free(struct jbuf *b);

static inline int jbuf_reserve(struct jbuf *b, size_t n)
{
	return b->cap - b->len >= n ? 0 : jbuf_grow(b, n);
}

static inline void jbuf_reset(struct jbuf *b)
{
	b->len = 0;
	b->oom = 0;
}

static inline void jbuf_put(struct jbuf *b, const void *s, size_t n)
{
	if (n && jbuf_reserve(b, n) == 0) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

#define JBUF_LIT(b, lit) jbuf_put((b), (lit), sizeof(lit) - 1)

static inline void jbuf_putc(struct jbuf *b, char c)
{
	if (jbuf_reserve(b, 1) == 0)
		b->p[b->len++] = c;
}

/* A decimal integer. */
void jbuf_i64(struct jbuf *b, int64_t v);
void jbuf_u64(struct jbuf *b, uint64_t v);

/* v in decimal at w (at most 20 bytes, no terminator); returns the end.
 * For keys made per record, where snprintf's format parsing showed. */
char *jbuf_dec(char *w, int64_t v);

/* s[0..n) as a quoted JSON string. Valid UTF-8 is copied as is; `"`,
 * `\` and control characters are escaped; every byte that is not part
 * of valid UTF-8 is written as \ufffd. Returns how many bytes were
 * replaced so. */
size_t jbuf_str(struct jbuf *b, const void *s, size_t n);

/* A NUL-terminated string, as jbuf_str. */
static inline void jbuf_cstr(struct jbuf *b, const char *s)
{
	jbuf_str(b, s, strlen(s));
}

/* s[0..n) in standard base64 (RFC 4648, with padding), quoted. */
void jbuf_base64(struct jbuf *b, const void *s, size_t n);

/* A UTC time in microseconds since the epoch as
 * "2026-01-21T00:39:04.153833Z" (quoted). Years 0..9999. */
void jbuf_time_us(struct jbuf *b, int64_t us);
/* The text of jbuf_time_us without quotes, into p (27 bytes, no NUL). */
char *jbuf_format_time_us(char *p, int64_t us);

/* CLOCK_REALTIME in microseconds. */
int64_t jbuf_now_us(void);

/* The length of the valid UTF-8 sequence at s[0..n) (1 to 4), or 0 when
 * s starts with a byte that begins none: a stray continuation byte, an
 * overlong form, a surrogate, a code point above U+10FFFF or a sequence
 * cut short. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* The offset of the first byte of s[0..n) that is not valid UTF-8, or n. */
size_t utf8_check(const void *s, size_t n);

#endif
