/*
 * s3_retry.h - which failures are worth another attempt, and how long to
 * wait before it (exponential backoff with jitter).
 */
#ifndef S3S_RETRY_H
#define S3S_RETRY_H

#include <stdint.h>

enum s3s_verdict {
	S3S_SUCCESS = 0,   /* 2xx */
	S3S_TRANSIENT = 1, /* 5xx, SlowDown, timeouts, connection errors */
	S3S_PERMANENT = 2, /* cannot heal: credentials, bucket, access */
};

/* curl_code: the transfer's CURLcode (0 when a response came); status:
 * the HTTP status; code: the <Code> of an S3 error body, or "". */
enum s3s_verdict s3s_classify(int curl_code, long status, const char *code);

/* The wait before attempt `attempt` (1 = the first retry): a random
 * value in [d/2, d] where d = min(cap, base * 2^(attempt-1)). */
int64_t s3s_backoff_ms(int attempt, int64_t base, int64_t cap, uint64_t *rng);

#endif
