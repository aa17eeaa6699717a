/*
 * s3_retry.c - the retry policy of s3_retry.h.
 */
#include "s3_retry.h"

#include <curl/curl.h>
#include <string.h>

#include "util.h"

enum s3s_verdict s3s_classify(int curl_code, long status, const char *code)
{
	if (curl_code) {
		switch (curl_code) {
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_LOGIN_DENIED:
		case CURLE_OUT_OF_MEMORY:
		case CURLE_BAD_FUNCTION_ARGUMENT:
		case CURLE_NOT_BUILT_IN:
			return S3S_PERMANENT;
		default:
			/* connect, resolve, timeouts, resets, empty replies */
			return S3S_TRANSIENT;
		}
	}
	if (status >= 200 && status < 300)
		return S3S_SUCCESS;
	code = code ? code : "";
	if (!strcmp(code, "SlowDown") || !strcmp(code, "RequestTimeout") ||
	    !strcmp(code, "InternalError") ||
	    !strcmp(code, "ServiceUnavailable") ||
	    !strcmp(code, "OperationAborted"))
		return S3S_TRANSIENT;
	if (status == 501)
		return S3S_PERMANENT;
	if (status >= 500 || status == 429 || status == 408 || status == 0)
		return S3S_TRANSIENT;
	return S3S_PERMANENT;
}

int64_t s3s_backoff_ms(int attempt, int64_t base, int64_t cap, uint64_t *rng)
{
	if (base < 1)
		base = 1;
	if (cap < base)
		cap = base;
	int64_t d = base;
	for (int i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	int64_t half = d / 2;
	return half + (int64_t)(s3s_rand(rng) % (uint64_t)(d - half + 1));
}
