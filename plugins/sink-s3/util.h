/*
 * util.h - small helpers shared by the sink-s3 files: a growable byte
 * buffer, allocation that aborts on exhaustion, monotonic and wall
 * clocks.
 */
#ifndef S3S_UTIL_H
#define S3S_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer, always NUL-terminated when p != NULL (the
 * terminator is not counted in len). A buffer marked `big` (the batches'
 * data) takes its memory from mmap once it passes 1 MiB, so that freeing
 * it gives the memory back to the system at once: the process's RSS
 * follows what the sink counts, not what the allocator keeps. */
struct s3s_buf {
	char *p;
	size_t len, cap;
	unsigned big : 1;    /* may be mapped */
	unsigned mapped : 1; /* p is an mmap of cap bytes */
};

void *s3s_xmalloc(size_t n);
void *s3s_xcalloc(size_t n, size_t size);
void *s3s_xrealloc(void *p, size_t n);
char *s3s_xstrdup(const char *s);
char *s3s_xmemdup(const void *p, size_t n);

/* Makes room for `more` bytes after len. */
void s3s_buf_reserve(struct s3s_buf *b, size_t more);
void s3s_buf_add(struct s3s_buf *b, const void *p, size_t n);
void s3s_buf_adds(struct s3s_buf *b, const char *s);
void s3s_buf_addc(struct s3s_buf *b, char c);
void s3s_buf_printf(struct s3s_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void s3s_buf_reset(struct s3s_buf *b);
/* Frees the storage; the buffer is empty and usable again. */
void s3s_buf_free(struct s3s_buf *b);
/* Hands the storage over (never NULL; free() it) and leaves b empty (a
 * mapped buffer is copied first). */
char *s3s_buf_take(struct s3s_buf *b);

/* Overwrites n bytes with zeros in a way the compiler keeps (secrets). */
void s3s_wipe(void *p, size_t n);

int64_t s3s_mono_ms(void);
int64_t s3s_wall_ms(void);
/* Sleeps, resuming after signals. */
void s3s_sleep_ms(int64_t ms);

/* A small fast random generator (xorshift64*), for jitter. */
uint64_t s3s_rand(uint64_t *state);

#endif
