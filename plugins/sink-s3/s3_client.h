/*
 * s3_client.h - S3 requests over libcurl, signed with SigV4
 * (CURLOPT_AWS_SIGV4): URLs for path-style and virtual-hosted addressing
 * with keys and query strings encoded the canonical way, the
 * x-amz-content-sha256 header, one request with retries. One CURL handle
 * per thread keeps its connections alive between requests.
 */
#ifndef S3S_CLIENT_H
#define S3S_CLIENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "s3_creds.h"
#include "util.h"

struct s3s_s3cfg {
	char *scheme;	 /* "http" or "https" */
	char *hostport;	 /* "s3.eu-west-1.amazonaws.com", "127.0.0.1:7480" */
	char *base_path; /* path of the endpoint URL, "" or "/x" */
	char *bucket;
	char *region;
	int path_style;
	char *ca_file;	     /* NULL: the system's bundle */
	int verify;	     /* TLS peer and host verification */
	int payload_signing; /* 0: x-amz-content-sha256: UNSIGNED-PAYLOAD */
	int64_t connect_timeout_ms, timeout_ms;
	int retries; /* attempts after the first */
	int64_t backoff_ms, backoff_max_ms;
	struct s3s_creds creds;
};

/* Fills scheme/hostport/base_path/path_style from an endpoint URL
 * ("https://host[:port][/path]") and an addressing mode ("auto", "path",
 * "virtual"; auto = virtual for amazonaws.com, else path). 0 or -1. */
int s3s_s3cfg_endpoint(struct s3s_s3cfg *c, const char *endpoint,
		       const char *addressing, char *err, size_t errlen);
void s3s_s3cfg_free(struct s3s_s3cfg *c);
/* "http://127.0.0.1:7480" (for messages) */
void s3s_s3cfg_endpoint_text(const struct s3s_s3cfg *c, struct s3s_buf *out);

struct s3s_req {
	const char *method; /* GET PUT POST DELETE HEAD */
	const char *key;    /* object key (raw), or NULL for the bucket */
	const struct s3s_param *params;
	size_t nparams;
	const void *body;
	size_t body_len;
	const char *content_type;   /* or NULL */
	const char *const *headers; /* more "Name: value", NULL-terminated */
	/* Statuses besides 2xx that are an answer, not an error (404 for
	 * HEAD); 0-terminated, or NULL. */
	const long *accept;
};

struct s3s_resp {
	long status;
	int curl_code;
	char curl_error[256];
	struct s3s_buf body;
	char etag[128];
	char code[64]; /* S3 error code of an error answer, or "" */
	char request_id[96];
	int has_end;	/* x-amz-meta-sluice-end */
	int64_t end;	/* its value */
	int has_marker; /* x-amz-meta-sluice-marker */
	int attempts;
};

/* The request URL: endpoint, bucket (path or host), encoded key, the
 * canonical query. */
void s3s_url_build(const struct s3s_s3cfg *c, const char *key,
		   const struct s3s_param *params, size_t nparams,
		   struct s3s_buf *out);

/* The header lines sent (and signed) with a request whose body hash is
 * payload_hash. Free with curl_slist_free_all. */
struct curl_slist *s3s_headers_build(const struct s3s_s3cfg *c,
				     const struct s3s_req *r,
				     const char *payload_hash);

/* A fresh handle for s3s_call (one per thread). */
void *s3s_handle_new(void);
void s3s_handle_free(void *h);

/* One request with retries of transient failures (backoff with jitter,
 * c->retries times; never sleeping past *stop becoming non-zero).
 * Returns 0 on success (2xx or an accepted status), 1 when transient
 * failures used up the retries, 2 for a permanent failure; except on
 * success err holds a message naming the endpoint, bucket, key and S3
 * error code. resp is reset first; free resp->body. */
int s3s_call(const struct s3s_s3cfg *c, void *handle, const struct s3s_req *r,
	     struct s3s_resp *resp, uint64_t *rng, atomic_int *stop, char *err,
	     size_t errlen);

#endif
