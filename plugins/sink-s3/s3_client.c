/*
 * s3_client.c - the S3 requests of s3_client.h.
 *
 * Signing is libcurl's (CURLOPT_AWS_SIGV4), with the facts learnt about
 * libcurl 7.88 applied: x-amz-content-sha256 is always sent by us (curl
 * does not add it and strict servers require it); no empty "Expect:"
 * header (curl would sign it without sending it); query parameters are
 * sorted and percent-encoded here and key segments encoded (curl signs
 * the URL as given); credentials through CURLOPT_USERNAME/PASSWORD (not
 * USERPWD, which splits at a colon). The secret is never put in a URL, a
 * header we build or a message.
 */
#include "s3_client.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3_retry.h"
#include "s3_xml.h"
#include "sha256.h"

#define EMPTY_SHA256                                                           \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

int s3s_s3cfg_endpoint(struct s3s_s3cfg *c, const char *endpoint,
		       const char *addressing, char *err, size_t errlen)
{
	const char *sep = strstr(endpoint, "://");
	if (!sep) {
		snprintf(err, errlen,
			 "s3.endpoint '%s': expected http://HOST[:PORT] or "
			 "https://HOST[:PORT]",
			 endpoint);
		return -1;
	}
	size_t sl = (size_t)(sep - endpoint);
	if (!(sl == 4 && !strncasecmp(endpoint, "http", 4)) &&
	    !(sl == 5 && !strncasecmp(endpoint, "https", 5))) {
		snprintf(err, errlen,
			 "s3.endpoint '%s': the scheme must be http or https",
			 endpoint);
		return -1;
	}
	const char *host = sep + 3;
	const char *slash = strchr(host, '/');
	size_t hl = slash ? (size_t)(slash - host) : strlen(host);
	if (!hl || memchr(host, '@', hl) || memchr(host, '?', hl)) {
		snprintf(err, errlen, "s3.endpoint '%s': bad host", endpoint);
		return -1;
	}
	free(c->scheme);
	free(c->hostport);
	free(c->base_path);
	c->scheme = s3s_xmemdup(endpoint, sl);
	for (char *p = c->scheme; *p; p++)
		*p = (char)(*p | 0x20);
	c->hostport = s3s_xmemdup(host, hl);
	const char *path = slash ? slash : "";
	size_t pl = strlen(path);
	while (pl && path[pl - 1] == '/')
		pl--;
	c->base_path = s3s_xmemdup(path, pl);
	if (!strcmp(addressing, "path")) {
		c->path_style = 1;
	} else if (!strcmp(addressing, "virtual")) {
		c->path_style = 0;
	} else {
		/* Host names of AWS take the bucket as a subdomain; a bucket
		 * with dots would not match the TLS certificate there. */
		size_t n = strlen(c->hostport);
		const char *aws = "amazonaws.com";
		int is_aws = n >= strlen(aws) &&
			     !strcasecmp(c->hostport + n - strlen(aws), aws);
		c->path_style =
			!is_aws || (c->bucket && strchr(c->bucket, '.'));
	}
	return 0;
}

void s3s_s3cfg_free(struct s3s_s3cfg *c)
{
	free(c->scheme);
	free(c->hostport);
	free(c->base_path);
	free(c->bucket);
	free(c->region);
	free(c->ca_file);
	s3s_creds_clear(&c->creds);
	memset(c, 0, sizeof(*c));
}

void s3s_s3cfg_endpoint_text(const struct s3s_s3cfg *c, struct s3s_buf *out)
{
	s3s_buf_printf(out, "%s://%s%s", c->scheme, c->hostport, c->base_path);
}

void s3s_url_build(const struct s3s_s3cfg *c, const char *key,
		   const struct s3s_param *params, size_t nparams,
		   struct s3s_buf *out)
{
	if (c->path_style) {
		s3s_buf_printf(out, "%s://%s%s/", c->scheme, c->hostport,
			       c->base_path);
		s3s_uri_encode(out, c->bucket, strlen(c->bucket), 0);
		if (key) {
			s3s_buf_addc(out, '/');
			s3s_uri_encode(out, key, strlen(key), 1);
		} else {
			s3s_buf_addc(out, '/');
		}
	} else {
		s3s_buf_printf(out, "%s://%s.%s%s/", c->scheme, c->bucket,
			       c->hostport, c->base_path);
		if (key)
			s3s_uri_encode(out, key, strlen(key), 1);
	}
	if (nparams) {
		s3s_buf_addc(out, '?');
		s3s_query_build(out, params, nparams);
	}
}

struct curl_slist *s3s_headers_build(const struct s3s_s3cfg *c,
				     const struct s3s_req *r,
				     const char *payload_hash)
{
	struct curl_slist *h = NULL;
	struct s3s_buf line = {0};
	s3s_buf_printf(&line, "x-amz-content-sha256: %s", payload_hash);
	h = curl_slist_append(h, line.p);
	if (c->creds.token) {
		s3s_buf_reset(&line);
		s3s_buf_printf(&line, "x-amz-security-token: %s",
			       c->creds.token);
		h = curl_slist_append(h, line.p);
		s3s_wipe(line.p, line.len);
	}
	if (r->content_type) {
		s3s_buf_reset(&line);
		s3s_buf_printf(&line, "Content-Type: %s", r->content_type);
		h = curl_slist_append(h, line.p);
	}
	for (const char *const *x = r->headers; x && *x; x++)
		h = curl_slist_append(h, *x);
	s3s_buf_free(&line);
	return h;
}

void *s3s_handle_new(void)
{
	CURL *h = curl_easy_init();
	if (!h) {
		fputs("sink-s3: curl_easy_init failed\n", stderr);
		abort();
	}
	return h;
}

void s3s_handle_free(void *h)
{
	if (h)
		curl_easy_cleanup(h);
}

struct upload {
	const char *p;
	size_t len, pos;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	struct upload *u = ud;
	size_t want = size * nitems, left = u->len - u->pos;
	size_t n = want < left ? want : left;
	memcpy(buf, u->p + u->pos, n);
	u->pos += n;
	return n;
}

static int seek_cb(void *ud, curl_off_t offset, int origin)
{
	struct upload *u = ud;
	if (origin != SEEK_SET || offset < 0 || (size_t)offset > u->len)
		return CURL_SEEKFUNC_CANTSEEK;
	u->pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
	struct s3s_resp *r = ud;
	s3s_buf_add(&r->body, p, size * nmemb);
	return size * nmemb;
}

/* "Name: value" of a header line, value trimmed into out; 1 if it is the
 * wanted header. */
static int header_is(const char *line, size_t n, const char *name, char *out,
		     size_t cap)
{
	size_t nl = strlen(name);
	if (n <= nl || line[nl] != ':' || strncasecmp(line, name, nl))
		return 0;
	const char *v = line + nl + 1;
	size_t vl = n - nl - 1;
	while (vl && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl &&
	       (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	if (vl >= cap)
		vl = cap - 1;
	memcpy(out, v, vl);
	out[vl] = '\0';
	return 1;
}

static size_t header_cb(char *p, size_t size, size_t nitems, void *ud)
{
	struct s3s_resp *r = ud;
	size_t n = size * nitems;
	char v[64];
	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue) */
		r->etag[0] = r->request_id[0] = '\0';
		r->has_end = r->has_marker = 0;
	} else if (header_is(p, n, "ETag", r->etag, sizeof(r->etag))) {
	} else if (header_is(p, n, "x-amz-request-id", r->request_id,
			     sizeof(r->request_id))) {
	} else if (header_is(p, n, "x-amz-meta-sluice-end", v, sizeof(v))) {
		char *end;
		long long e = strtoll(v, &end, 10);
		if (end != v && !*end && e >= 0) {
			r->has_end = 1;
			r->end = e;
		}
	} else if (header_is(p, n, "x-amz-meta-sluice-marker", v, sizeof(v))) {
		r->has_marker = 1;
	}
	return n;
}

static void resp_reset(struct s3s_resp *r)
{
	s3s_buf_reset(&r->body);
	r->status = 0;
	r->curl_code = 0;
	r->curl_error[0] = r->etag[0] = r->code[0] = r->request_id[0] = '\0';
	r->has_end = r->has_marker = 0;
	r->end = 0;
}

/* One attempt. */
static void perform(const struct s3s_s3cfg *c, CURL *h, const struct s3s_req *r,
		    struct s3s_resp *resp, const char *url, const char *hash)
{
	resp_reset(resp);
	curl_easy_reset(h);
	struct curl_slist *hdrs = s3s_headers_build(c, r, hash);
	struct upload up = {r->body, r->body_len, 0};
	char sigv4[128];
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", c->region);
	char errbuf[CURL_ERROR_SIZE] = "";

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->creds.key_id);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->creds.secret);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)c->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	/* A stalled transfer fails long before the overall timeout. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->verify ? 2L : 0L);
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);

	if (!strcmp(r->method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(h, CURLOPT_READDATA, &up);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, &up);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)r->body_len);
	} else if (!strcmp(r->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
				 r->body ? (const char *)r->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)r->body_len);
	} else if (!strcmp(r->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	}

	CURLcode rc = curl_easy_perform(h);
	resp->curl_code = (int)rc;
	if (rc) {
		snprintf(resp->curl_error, sizeof(resp->curl_error), "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	}
	/* The password stays in the handle's options until the next reset;
	 * reset now so that it does not linger between requests. */
	curl_easy_reset(h);
	curl_slist_free_all(hdrs);
	if (!rc && (resp->status < 200 || resp->status >= 300)) {
		struct s3s_buf t = {0};
		size_t pos = 0;
		if (resp->body.len && s3s_xml_next(resp->body.p, resp->body.len,
						   "Code", &pos, &t, 0))
			snprintf(resp->code, sizeof(resp->code), "%s", t.p);
		else if (resp->status == 404)
			snprintf(resp->code, sizeof(resp->code), "NotFound");
		else if (resp->status == 403)
			snprintf(resp->code, sizeof(resp->code), "Forbidden");
		pos = 0;
		if (!resp->request_id[0] && resp->body.len &&
		    s3s_xml_next(resp->body.p, resp->body.len, "RequestId",
				 &pos, &t, 0))
			snprintf(resp->request_id, sizeof(resp->request_id),
				 "%s", t.p);
		s3s_buf_free(&t);
	}
}

static int accepted(const struct s3s_req *r, long status)
{
	for (const long *a = r->accept; a && *a; a++)
		if (*a == status)
			return 1;
	return 0;
}

static void message(const struct s3s_s3cfg *c, const struct s3s_req *r,
		    const struct s3s_resp *resp, char *err, size_t errlen)
{
	struct s3s_buf ep = {0};
	s3s_s3cfg_endpoint_text(c, &ep);
	char what[512];
	if (resp->curl_code)
		snprintf(what, sizeof(what), "%s", resp->curl_error);
	else
		snprintf(what, sizeof(what), "HTTP %ld %s%s%s%s", resp->status,
			 resp->code[0] ? resp->code : "(no error code)",
			 resp->request_id[0] ? " (request id " : "",
			 resp->request_id, resp->request_id[0] ? ")" : "");
	snprintf(err, errlen,
		 "S3 %s at %s, bucket '%s', key '%s': %s (%d attempt%s)",
		 r->method, ep.p, c->bucket, r->key ? r->key : "", what,
		 resp->attempts, resp->attempts == 1 ? "" : "s");
	s3s_buf_free(&ep);
}

int s3s_call(const struct s3s_s3cfg *c, void *handle, const struct s3s_req *r,
	     struct s3s_resp *resp, uint64_t *rng, atomic_int *stop, char *err,
	     size_t errlen)
{
	struct s3s_buf url = {0};
	s3s_url_build(c, r->key, r->params, r->nparams, &url);
	char hash[65];
	if (!r->body_len)
		snprintf(hash, sizeof(hash), "%s", EMPTY_SHA256);
	else if (c->payload_signing)
		s3s_sha256_hex(r->body, r->body_len, hash);
	else
		snprintf(hash, sizeof(hash), "UNSIGNED-PAYLOAD");
	int verdict = S3S_PERMANENT;
	resp->attempts = 0;
	for (int attempt = 0;; attempt++) {
		perform(c, handle, r, resp, url.p, hash);
		resp->attempts = attempt + 1;
		if (!resp->curl_code && accepted(r, resp->status)) {
			verdict = S3S_SUCCESS;
			break;
		}
		verdict = (int)s3s_classify(resp->curl_code, resp->status,
					    resp->code);
		if (verdict != S3S_TRANSIENT || attempt >= c->retries ||
		    (stop && atomic_load(stop)))
			break;
		int64_t wait = s3s_backoff_ms(attempt + 1, c->backoff_ms,
					      c->backoff_max_ms, rng);
		/* Sleep in slices so that a stop is noticed. */
		int64_t until = s3s_mono_ms() + wait;
		while (s3s_mono_ms() < until && !(stop && atomic_load(stop)))
			s3s_sleep_ms(until - s3s_mono_ms() < 100
					     ? until - s3s_mono_ms()
					     : 100);
	}
	if (verdict != S3S_SUCCESS)
		message(c, r, resp, err, errlen);
	s3s_buf_free(&url);
	return verdict;
}
