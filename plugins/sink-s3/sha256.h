/*
 * sha256.h - SHA-256 (FIPS 180-4), for the x-amz-content-sha256 header:
 * the plugin links libcurl, not a crypto library of its own.
 */
#ifndef S3S_SHA256_H
#define S3S_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct s3s_sha256 {
	uint32_t h[8];
	uint64_t bytes;
	unsigned char block[64];
	size_t fill;
};

/* Non-zero: never the SHA-NI code (tests compare both). */
extern int s3s_sha256_portable_only;

void s3s_sha256_init(struct s3s_sha256 *c);
void s3s_sha256_update(struct s3s_sha256 *c, const void *p, size_t n);
void s3s_sha256_final(struct s3s_sha256 *c, unsigned char out[32]);
/* The digest of p[0..n) as 64 lower-case hex digits and a NUL. */
void s3s_sha256_hex(const void *p, size_t n, char out[65]);

#endif
