/*
 * util.c - growable buffers, aborting allocation, clocks, jitter.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static void oom(void)
{
	fputs("sink-s3: out of memory\n", stderr);
	abort();
}

void *s3s_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *s3s_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *s3s_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *s3s_xmemdup(const void *p, size_t n)
{
	char *c = s3s_xmalloc(n + 1);
	if (n)
		memcpy(c, p, n);
	c[n] = '\0';
	return c;
}

char *s3s_xstrdup(const char *s)
{
	return s ? s3s_xmemdup(s, strlen(s)) : NULL;
}

#define MAP_MIN ((size_t)1 << 20)

static size_t page_up(size_t n)
{
	size_t pg = 4096;
	return (n + pg - 1) / pg * pg;
}

void s3s_buf_reserve(struct s3s_buf *b, size_t more)
{
	if (b->p && b->len + more < b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap <= b->len + more)
		cap = b->mapped ? cap + cap / 2 : cap * 2;
	/* A big buffer's first size is the one asked for: doubling up to
	 * it would map (and count) up to twice what it is to hold. */
	if (b->big && !b->p && b->len + more + 1 >= MAP_MIN)
		cap = b->len + more + 1;
	if (b->big && cap >= MAP_MIN) {
		cap = page_up(cap);
		void *p;
		if (b->mapped) {
			p = mremap(b->p, b->cap, cap, MREMAP_MAYMOVE);
		} else {
			/* Populated at once: one call instead of a page
			 * fault per 4 KiB as it fills (the buffer is sized
			 * for what it will hold). */
			p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1,
				 0);
			if (p != MAP_FAILED && b->p) {
				memcpy(p, b->p, b->len + 1);
				free(b->p);
			}
		}
		if (p == MAP_FAILED)
			oom();
		b->p = p;
		b->cap = cap;
		b->mapped = 1;
		b->p[b->len] = '\0';
		return;
	}
	b->p = s3s_xrealloc(b->p, cap);
	b->cap = cap;
	b->p[b->len] = '\0';
}

void s3s_buf_add(struct s3s_buf *b, const void *p, size_t n)
{
	s3s_buf_reserve(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void s3s_buf_adds(struct s3s_buf *b, const char *s)
{
	s3s_buf_add(b, s, strlen(s));
}

void s3s_buf_addc(struct s3s_buf *b, char c)
{
	s3s_buf_add(b, &c, 1);
}

void s3s_buf_printf(struct s3s_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	s3s_buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void s3s_buf_reset(struct s3s_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void s3s_buf_free(struct s3s_buf *b)
{
	if (b->mapped)
		munmap(b->p, b->cap);
	else
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->mapped = 0;
}

char *s3s_buf_take(struct s3s_buf *b)
{
	if (b->mapped) {
		char *c = s3s_xmemdup(b->p, b->len);
		s3s_buf_free(b);
		return c;
	}
	if (!b->p)
		s3s_buf_reserve(b, 0);
	b->p[b->len] = '\0';
	char *p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void s3s_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

int64_t s3s_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t s3s_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void s3s_sleep_ms(int64_t ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

uint64_t s3s_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}
