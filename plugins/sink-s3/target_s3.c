/*
 * target_s3.c - the S3 target: single PUTs with the offsets in
 * x-amz-meta-sluice-* headers; multipart uploads whose end offset goes to
 * a marker object under [prefix/]_sluice/ends/ before the upload is
 * completed (CompleteMultipartUpload cannot carry metadata); recovery
 * probes with HEAD, and aborts unfinished uploads of a key it is about
 * to write.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3_client.h"
#include "s3_xml.h"
#include "target.h"

struct s3_target {
	struct s3s_target base;
	struct s3s_s3cfg cfg;
};

struct s3_ctx {
	void *handle;
	uint64_t rng;
	struct s3s_resp resp;
};

static struct s3_target *of(struct s3s_target *t)
{
	return (struct s3_target *)t;
}

static void *ctx_new(struct s3s_target *t)
{
	struct s3_ctx *c = s3s_xcalloc(1, sizeof(*c));
	c->handle = s3s_handle_new();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)(uintptr_t)c << 16) ^
		 (uint64_t)(uintptr_t)t;
	return c;
}

static void ctx_free(void *p)
{
	struct s3_ctx *c = p;
	if (!c)
		return;
	s3s_handle_free(c->handle);
	s3s_buf_free(&c->resp.body);
	free(c);
}

static int call(struct s3s_target *t, struct s3_ctx *c, struct s3s_req *r,
		char *err, size_t errlen)
{
	return s3s_call(&of(t)->cfg, c->handle, r, &c->resp, &c->rng, &t->stop,
			err, errlen);
}

static int put(struct s3s_target *t, void *ctx, const char *key,
	       const void *data, size_t len, const char *content_type,
	       const struct s3s_obj *meta, char *err, size_t errlen)
{
	char h[3][96];
	const char *hdrs[4] = {NULL};
	if (meta) {
		snprintf(h[0], sizeof(h[0]),
			 "x-amz-meta-sluice-start: %" PRId64, meta->start);
		snprintf(h[1], sizeof(h[1]), "x-amz-meta-sluice-end: %" PRId64,
			 meta->end);
		snprintf(h[2], sizeof(h[2]),
			 "x-amz-meta-sluice-lines: %" PRId64, meta->lines);
		hdrs[0] = h[0], hdrs[1] = h[1], hdrs[2] = h[2];
	}
	struct s3s_req r = {.method = "PUT",
			    .key = key,
			    .body = data,
			    .body_len = len,
			    .content_type = content_type,
			    .headers = hdrs};
	return call(t, ctx, &r, err, errlen);
}

static int mpu_begin(struct s3s_target *t, void *ctx, const char *key,
		     const char *content_type, char **upload_id, char *err,
		     size_t errlen)
{
	struct s3_ctx *c = ctx;
	const char *hdrs[] = {"x-amz-meta-sluice-marker: 1", NULL};
	struct s3s_param q[] = {{"uploads", NULL}};
	struct s3s_req r = {.method = "POST",
			    .key = key,
			    .params = q,
			    .nparams = 1,
			    .content_type = content_type,
			    .headers = hdrs};
	int rc = call(t, c, &r, err, errlen);
	if (rc)
		return rc;
	struct s3s_buf id = {0};
	size_t pos = 0;
	if (!s3s_xml_next(c->resp.body.p, c->resp.body.len, "UploadId", &pos,
			  &id, 0) ||
	    !id.len) {
		s3s_buf_free(&id);
		snprintf(err, errlen,
			 "S3 CreateMultipartUpload of key '%s' in %s: no "
			 "UploadId in the answer",
			 key, t->where);
		return 1;
	}
	*upload_id = s3s_buf_take(&id);
	return 0;
}

static int mpu_part(struct s3s_target *t, void *ctx, const char *key,
		    const char *upload_id, int number, uint64_t offset,
		    const void *data, size_t len, char **etag, char *err,
		    size_t errlen)
{
	struct s3_ctx *c = ctx;
	(void)offset;
	char num[16];
	snprintf(num, sizeof(num), "%d", number);
	struct s3s_param q[] = {{"partNumber", num}, {"uploadId", upload_id}};
	struct s3s_req r = {.method = "PUT",
			    .key = key,
			    .params = q,
			    .nparams = 2,
			    .body = data,
			    .body_len = len};
	int rc = call(t, c, &r, err, errlen);
	if (rc)
		return rc;
	if (!c->resp.etag[0]) {
		snprintf(err, errlen,
			 "S3 UploadPart %d of key '%s' in %s: no ETag in the "
			 "answer",
			 number, key, t->where);
		return 1;
	}
	*etag = s3s_xstrdup(c->resp.etag);
	return 0;
}

static void marker_key(struct s3s_target *t, const char *key,
		       struct s3s_buf *out)
{
	s3s_marker_key(out, t->prefix, key);
}

/* Whether key exists carrying the multipart marker flag. */
static int completed_before(struct s3s_target *t, struct s3_ctx *c,
			    const char *key)
{
	static const long ok404[] = {404, 0};
	struct s3s_req r = {.method = "HEAD", .key = key, .accept = ok404};
	char e[256];
	return !call(t, c, &r, e, sizeof(e)) && c->resp.status == 200 &&
	       c->resp.has_marker;
}

static int mpu_end(struct s3s_target *t, void *ctx, const char *key,
		   const char *upload_id, char *const *etags, int n,
		   const struct s3s_obj *meta, char *err, size_t errlen)
{
	struct s3_ctx *c = ctx;
	struct s3s_buf mk = {0}, body = {0};
	marker_key(t, key, &mk);
	char text[128];
	int tl = snprintf(text, sizeof(text),
			  "{\"start\":%" PRId64 ",\"end\":%" PRId64
			  ",\"lines\":%" PRId64 "}\n",
			  meta->start, meta->end, meta->lines);
	int rc = put(t, ctx, mk.p, text, (size_t)tl, "application/json", NULL,
		     err, errlen);
	if (rc)
		goto out;
	s3s_buf_adds(&body, "<CompleteMultipartUpload>");
	for (int i = 0; i < n; i++) {
		s3s_buf_printf(&body, "<Part><PartNumber>%d</PartNumber><ETag>",
			       i + 1);
		s3s_xml_escape(&body, etags[i]);
		s3s_buf_adds(&body, "</ETag></Part>");
	}
	s3s_buf_adds(&body, "</CompleteMultipartUpload>");
	struct s3s_param q[] = {{"uploadId", upload_id}};
	struct s3s_req r = {.method = "POST",
			    .key = key,
			    .params = q,
			    .nparams = 1,
			    .body = body.p,
			    .body_len = body.len,
			    .content_type = "application/xml"};
	for (int round = 0; round < 3; round++) {
		rc = call(t, c, &r, err, errlen);
		if (rc == 2 && !strcmp(c->resp.code, "NoSuchUpload") &&
		    completed_before(t, c, key)) {
			/* An earlier attempt did complete it; its answer was
			 * lost. */
			rc = 0;
			break;
		}
		if (rc)
			break;
		/* A 200 may still carry an error (S3 documents this). */
		size_t pos = 0;
		struct s3s_buf code = {0};
		if (c->resp.body.len &&
		    s3s_xml_next(c->resp.body.p, c->resp.body.len, "Error",
				 &pos, &code, 1)) {
			pos = 0;
			struct s3s_buf inner = code;
			code = (struct s3s_buf){0};
			s3s_xml_next(inner.p, inner.len, "Code", &pos, &code,
				     0);
			snprintf(err, errlen,
				 "S3 CompleteMultipartUpload of key '%s' in "
				 "%s: %s",
				 key, t->where, code.p ? code.p : "error");
			s3s_buf_free(&inner);
			s3s_buf_free(&code);
			rc = 1;
			continue;
		}
		s3s_buf_free(&code);
		break;
	}
out:
	s3s_buf_free(&mk);
	s3s_buf_free(&body);
	return rc;
}

static int mpu_abort(struct s3s_target *t, void *ctx, const char *key,
		     const char *upload_id, char *err, size_t errlen)
{
	static const long ok404[] = {404, 0};
	struct s3s_param q[] = {{"uploadId", upload_id}};
	struct s3s_req r = {.method = "DELETE",
			    .key = key,
			    .params = q,
			    .nparams = 1,
			    .accept = ok404};
	return call(t, ctx, &r, err, errlen);
}

int s3s_s3_list_uploads(struct s3s_target *t, void *ctx, const char *prefix,
			struct s3s_buf *out, char *err, size_t errlen)
{
	struct s3_ctx *c = ctx;
	struct s3s_buf key_marker = {0}, id_marker = {0};
	struct s3s_buf item = {0}, v = {0};
	int rc = 0;
	for (;;) {
		struct s3s_param q[4] = {{"uploads", NULL}, {"prefix", prefix}};
		size_t nq = 2;
		if (key_marker.len) {
			q[nq++] =
				(struct s3s_param){"key-marker", key_marker.p};
			q[nq++] = (struct s3s_param){"upload-id-marker",
						     id_marker.p};
		}
		struct s3s_req r = {.method = "GET",
				    .key = NULL,
				    .params = q,
				    .nparams = nq};
		if ((rc = call(t, c, &r, err, errlen)))
			break;
		const char *x = c->resp.body.p;
		size_t xl = c->resp.body.len, pos = 0;
		while (s3s_xml_next(x, xl, "Upload", &pos, &item, 1)) {
			size_t p2 = 0;
			if (!s3s_xml_next(item.p, item.len, "Key", &p2, &v, 0))
				continue;
			s3s_buf_add(out, v.p, v.len);
			s3s_buf_addc(out, '\n');
			p2 = 0;
			if (s3s_xml_next(item.p, item.len, "UploadId", &p2, &v,
					 0))
				s3s_buf_add(out, v.p, v.len);
			s3s_buf_addc(out, '\n');
		}
		pos = 0;
		if (!s3s_xml_next(x, xl, "IsTruncated", &pos, &v, 0) ||
		    strcmp(v.p, "true"))
			break;
		pos = 0;
		s3s_xml_next(x, xl, "NextKeyMarker", &pos, &key_marker, 0);
		pos = 0;
		s3s_xml_next(x, xl, "NextUploadIdMarker", &pos, &id_marker, 0);
		if (!key_marker.len)
			break;
	}
	s3s_buf_free(&key_marker);
	s3s_buf_free(&id_marker);
	s3s_buf_free(&item);
	s3s_buf_free(&v);
	if (!out->p)
		s3s_buf_reserve(out, 0);
	return rc;
}

static int probe(struct s3s_target *t, void *ctx, const char *key, int *found,
		 int64_t *end, char *err, size_t errlen)
{
	struct s3_ctx *c = ctx;
	static const long ok404[] = {404, 0};
	*found = 0;
	*end = -1;
	struct s3s_req r = {.method = "HEAD", .key = key, .accept = ok404};
	int rc = call(t, c, &r, err, errlen);
	if (rc)
		return rc;
	if (c->resp.status == 200) {
		*found = 1;
		if (c->resp.has_end) {
			*end = c->resp.end;
		} else if (c->resp.has_marker) {
			struct s3s_buf mk = {0};
			marker_key(t, key, &mk);
			struct s3s_req g = {
				.method = "GET", .key = mk.p, .accept = ok404};
			rc = call(t, c, &g, err, errlen);
			s3s_buf_free(&mk);
			if (rc)
				return rc;
			const char *e =
				c->resp.status == 200
					? strstr(c->resp.body.p, "\"end\":")
					: NULL;
			if (e)
				*end = strtoll(e + 6, NULL, 10);
		}
	}
	return 0;
}

/* Unfinished uploads of this very key: a crash between the first part
 * and CompleteMultipartUpload. */
static int cleanup(struct s3s_target *t, void *ctx, const char *key, char *err,
		   size_t errlen)
{
	struct s3s_buf ups = {0};
	int rc = s3s_s3_list_uploads(t, ctx, key, &ups, err, errlen);
	for (char *line = ups.p; !rc && line && *line;) {
		char *nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		char *id = nl + 1;
		char *nl2 = strchr(id, '\n');
		if (!nl2)
			break;
		*nl2 = '\0';
		if (!strcmp(line, key))
			rc = mpu_abort(t, ctx, key, id, err, errlen);
		line = nl2 + 1;
	}
	s3s_buf_free(&ups);
	return rc;
}

static int get(struct s3s_target *t, void *ctx, const char *key,
	       struct s3s_buf *out, int *found, char *err, size_t errlen)
{
	struct s3_ctx *c = ctx;
	static const long ok404[] = {404, 0};
	struct s3s_req r = {.method = "GET", .key = key, .accept = ok404};
	int rc = call(t, c, &r, err, errlen);
	*found = 0;
	if (rc)
		return rc;
	if (c->resp.status == 200) {
		*found = 1;
		s3s_buf_add(out, c->resp.body.p, c->resp.body.len);
	}
	if (!out->p)
		s3s_buf_reserve(out, 0);
	return 0;
}

int s3s_s3_list(struct s3s_target *t, void *ctx, const char *prefix,
		struct s3s_buf *keys, char *err, size_t errlen)
{
	struct s3_ctx *c = ctx;
	struct s3s_buf token = {0}, item = {0}, v = {0};
	int rc = 0;
	for (;;) {
		struct s3s_param q[4] = {{"list-type", "2"},
					 {"prefix", prefix},
					 {"max-keys", "1000"}};
		size_t nq = 3;
		if (token.len)
			q[nq++] = (struct s3s_param){"continuation-token",
						     token.p};
		struct s3s_req r = {.method = "GET",
				    .key = NULL,
				    .params = q,
				    .nparams = nq};
		if ((rc = call(t, c, &r, err, errlen)))
			break;
		const char *x = c->resp.body.p;
		size_t xl = c->resp.body.len, pos = 0;
		while (s3s_xml_next(x, xl, "Contents", &pos, &item, 1)) {
			size_t p2 = 0;
			if (s3s_xml_next(item.p, item.len, "Key", &p2, &v, 0)) {
				s3s_buf_add(keys, v.p, v.len);
				s3s_buf_addc(keys, '\n');
			}
		}
		pos = 0;
		if (!s3s_xml_next(x, xl, "IsTruncated", &pos, &v, 0) ||
		    strcmp(v.p, "true"))
			break;
		pos = 0;
		if (!s3s_xml_next(x, xl, "NextContinuationToken", &pos, &token,
				  0) ||
		    !token.len)
			break;
	}
	s3s_buf_free(&token);
	s3s_buf_free(&item);
	s3s_buf_free(&v);
	if (!keys->p)
		s3s_buf_reserve(keys, 0);
	return rc;
}

int s3s_s3_delete(struct s3s_target *t, void *ctx, const char *key, char *err,
		  size_t errlen)
{
	static const long ok404[] = {404, 0};
	struct s3s_req r = {.method = "DELETE", .key = key, .accept = ok404};
	return call(t, ctx, &r, err, errlen);
}

/* ListObjectsV2 of one key under the prefix: proves the endpoint, the
 * bucket and the credentials (signature, access) at once, with an error
 * code in the answer when one is wrong. */
static int check(struct s3s_target *t, void *ctx, char *err, size_t errlen)
{
	struct s3s_param q[] = {
		{"list-type", "2"}, {"max-keys", "1"}, {"prefix", t->prefix}};
	struct s3s_req r = {
		.method = "GET", .key = NULL, .params = q, .nparams = 3};
	return call(t, ctx, &r, err, errlen);
}

static void target_free(struct s3s_target *t)
{
	struct s3_target *s = of(t);
	s3s_s3cfg_free(&s->cfg);
	free(t->prefix);
	free(s);
}

static const struct s3s_target_ops ops = {
	.ctx_new = ctx_new,
	.ctx_free = ctx_free,
	.put = put,
	.mpu_begin = mpu_begin,
	.mpu_part = mpu_part,
	.mpu_end = mpu_end,
	.mpu_abort = mpu_abort,
	.probe = probe,
	.cleanup = cleanup,
	.get = get,
	.list = s3s_s3_list,
	.del = s3s_s3_delete,
	.check = check,
	.free = target_free,
};

struct s3s_target *s3s_target_s3_new(struct s3s_s3cfg *cfg, const char *prefix)
{
	struct s3_target *s = s3s_xcalloc(1, sizeof(*s));
	s->base.ops = &ops;
	s->base.prefix = s3s_xstrdup(prefix ? prefix : "");
	s->base.multipart_ok = 1;
	atomic_init(&s->base.stop, 0);
	s->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	struct s3s_buf ep = {0};
	s3s_s3cfg_endpoint_text(&s->cfg, &ep);
	snprintf(s->base.where, sizeof(s->base.where), "s3://%s at %s",
		 s->cfg.bucket, ep.p);
	s3s_buf_free(&ep);
	return &s->base;
}
