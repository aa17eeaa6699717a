/*
 * test_sink_s3_s3.c - sink-s3 against the test radosgw (a strict S3:
 * signatures, payload hashes, multipart rules): signed requests and a
 * refused secret, keys and query strings with spaces, '=', '+' and
 * unicode, the exactly-once rerun, gzip, a 50 MB multipart object byte
 * for byte, multipart uploads aborted (after a crash, after a failure),
 * and the fault proxy's 503 storms and outages at the plugin level. The
 * plugin runs through the mock host; tests/test_sink_s3_worker.c runs it
 * in a real worker. Skipped (77) when no S3 server is configured.
 */
#include <check.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_host.h"
#include "sink.h"
#include "sink_s3_env.h"
#include "sluice/plugin.h"
#include "target.h"

const struct sluice_plugin *sluice_plugin_entry(void);

#define T "events"

static struct s3env env;
static struct mock_host *m;
static struct proxy px;
static char prefix[512];

static void setup(void)
{
	ck_assert_int_eq(s3env_init(&env, "plugin"), 0);
	m = NULL;
	memset(&px, 0, sizeof(px));
}

static void teardown(void)
{
	mock_host_free(m);
	m = NULL;
	proxy_stop(&px);
	if (!getenv("KEEP"))
		s3env_delete_prefix(&env, env.prefix);
	s3env_free(&env);
}

/* A task writing to the bucket under env.prefix/sub, through endpoint
 * (NULL: the server itself), with more name=value pairs. */
static struct mock_host *sink_new(const char *endpoint, const char *sub,
				  const char *const *kv)
{
	struct mock_host *h = mock_host_new(sluice_plugin_entry());
	char target[512];
	snprintf(target, sizeof(target), "s3://%s", env.bucket);
	snprintf(prefix, sizeof(prefix), "%s/%s", env.prefix, sub);
	mock_host_set(h, "target", target);
	mock_host_set(h, "prefix", prefix);
	mock_host_set(h, "s3.endpoint", endpoint ? endpoint : env.endpoint);
	mock_host_set(h, "s3.region", env.region);
	mock_host_set(h, "s3.retry.backoff", "20ms");
	mock_host_set(h, "s3.retry.backoff.max", "200ms");
	for (; kv && kv[0]; kv += 2)
		mock_host_set(h, kv[0], kv[1]);
	return h;
}

static void open_ok(struct mock_host *h, int parts)
{
	ck_assert_msg(mock_host_open(h) == SLUICE_OK, "open: %s",
		      mock_host_error(h));
	for (int p = 0; p < parts; p++) {
		struct sluice_partition sp = {T, p, -1001};
		ck_assert_int_eq(mock_host_assign(h, &sp, 1), SLUICE_OK);
	}
}

static struct sluice_record rec(int p, int64_t off, const char *v)
{
	return (struct sluice_record){.topic = T,
				      .partition = p,
				      .offset = off,
				      .timestamp_ms = 1767225600000LL + off,
				      .value = v,
				      .value_len = strlen(v)};
}

static enum sluice_status put_range(struct mock_host *h, int p, int64_t from,
				    int64_t to)
{
	static struct sluice_record r[500];
	static char v[500][96];
	while (from < to) {
		size_t n = 0;
		for (; n < 500 && from < to; n++, from++) {
			snprintf(v[n], sizeof(v[n]),
				 "{\"id\":\"%d-%" PRId64
				 "\",\"x\":\"\xc3\xa9\"}",
				 p, from);
			r[n] = rec(p, from, v[n]);
		}
		enum sluice_status st = mock_host_put(h, r, n);
		if (st != SLUICE_OK)
			return st;
	}
	return SLUICE_OK;
}

/* Uploads run in the background; a test that wants to see what they made
 * durable (or how they failed) waits for them before a flush. */
static void settle(struct mock_host *h)
{
	s3s_wait_all(mock_host_state(h));
}

static enum sluice_status flush_n(struct mock_host *h, int n,
				  const int64_t *next, int64_t *out, int final)
{
	settle(h);
	struct sluice_partition parts[64];
	for (int p = 0; p < n; p++)
		parts[p] = (struct sluice_partition){T, p, next[p]};
	enum sluice_status st = mock_host_flush(h, parts, (size_t)n, final);
	for (int p = 0; p < n && out; p++)
		out[p] = parts[p].offset;
	return st;
}

static int64_t flush1(struct mock_host *h, int64_t next, int final)
{
	settle(h);
	int64_t out = -7;
	ck_assert_msg(flush_n(h, 1, &next, &out, final) == SLUICE_OK,
		      "flush: %s", mock_host_error(h));
	return out;
}

static int64_t want_parts = 1;
static void expect_id(size_t i, char *buf, size_t len)
{
	/* ids p-off for p < want_parts, spread evenly */
	snprintf(buf, len, "%d-%zu", (int)(i % (size_t)want_parts),
		 i / (size_t)want_parts);
}

/* Every id p-off (off < per_part) once and nothing else. */
static void exactly_once(const char *pfx, int parts, int64_t per_part,
			 size_t *objects)
{
	size_t nobj, dups, missing;
	char *lines = s3env_read_lines(&env, pfx, &nobj);
	want_parts = parts;
	size_t n = s3env_count_ids(lines, "id", (size_t)(parts * per_part),
				   expect_id, &dups, &missing);
	free(lines);
	ck_assert_uint_eq(dups, 0);
	ck_assert_uint_eq(missing, 0);
	ck_assert_uint_eq(n, (size_t)(parts * per_part));
	if (objects)
		*objects = nobj;
}

static int has_key(const char *key)
{
	size_t n;
	char **v = s3env_list(&env, key, &n);
	int found = 0;
	for (size_t i = 0; i < n; i++)
		found |= !strcmp(v[i], key);
	s3env_strv_free(v, n);
	return found;
}

/* ---- requests and keys ---- */

START_TEST(signed_requests_and_odd_keys)
{
	char key[512], pfx[512];
	snprintf(pfx, sizeof(pfx),
		 "%s/odd keys/a=b+c/\xc3\xbcn\xc3\xaf \xe2\x82\xac",
		 env.prefix);
	snprintf(key, sizeof(key), "%s/x~y (1)&.jsonl", pfx);
	const char *body = "{\"a\":1}\n";
	ck_assert_int_eq(s3env_put(&env, key, body, strlen(body)), 0);
	size_t len;
	char *got = s3env_get(&env, key, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, body);
	free(got);
	/* the prefix with all of them goes into a query string */
	size_t n;
	char **v = s3env_list(&env, pfx, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0], key);
	s3env_strv_free(v, n);
	/* probe: metadata round trip and a missing key */
	struct s3s_obj meta = {5, 17, 3};
	char err[1024];
	ck_assert_int_eq(env.t->ops->put(env.t, env.ctx, key, body,
					 strlen(body), "application/x-ndjson",
					 &meta, err, sizeof(err)),
			 0);
	int found;
	int64_t end;
	ck_assert_int_eq(env.t->ops->probe(env.t, env.ctx, key, &found, &end,
					   err, sizeof(err)),
			 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(end, 17);
	snprintf(key, sizeof(key), "%s/missing", pfx);
	ck_assert_int_eq(env.t->ops->probe(env.t, env.ctx, key, &found, &end,
					   err, sizeof(err)),
			 0);
	ck_assert_int_eq(found, 0);
}
END_TEST

static const char *open_fails(const char *const *kv)
{
	static char msg[2048];
	mock_host_free(m);
	m = sink_new(NULL, "x", kv);
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	snprintf(msg, sizeof(msg), "%s", mock_host_error(m));
	return msg;
}

START_TEST(refused_credentials_are_fatal)
{
	const char *kv[] = {"s3.access.key.id", getenv("AWS_ACCESS_KEY_ID"),
			    "s3.secret.access.key", "Wr0ng-Secret-Value", NULL};
	const char *msg = open_fails(kv);
	ck_assert_msg(strstr(msg, "SignatureDoesNotMatch") &&
			      strstr(msg, env.endpoint) &&
			      strstr(msg, env.bucket),
		      "message: %s", msg);
	ck_assert_ptr_null(strstr(msg, "Wr0ng-Secret-Value"));
	ck_assert_ptr_null(strstr(msg, getenv("AWS_SECRET_ACCESS_KEY")));

	const char *kv2[] = {"s3.access.key.id", "NO-SUCH-KEY-ID",
			     "s3.secret.access.key", "whatever", NULL};
	msg = open_fails(kv2);
	ck_assert_msg(strstr(msg, "InvalidAccessKeyId"), "message: %s", msg);

	char target[300];
	snprintf(target, sizeof(target), "s3://no-such-bucket-%d",
		 (int)getpid());
	const char *kv3[] = {"target", target, NULL};
	msg = open_fails(kv3);
	ck_assert_msg(strstr(msg, "NoSuchBucket") &&
			      strstr(msg, "no-such-bucket"),
		      "message: %s", msg);
}
END_TEST

/* ---- the plugin ---- */

START_TEST(batches_keys_and_rerun)
{
	const char *kv[] = {"flush.size", "100",	 "flush.idle",
			    "50ms",	  "path.format", "dt=%Y-%m-%d/h r=%H",
			    NULL};
	m = sink_new(NULL, "odd prefix=1+\xc3\xa9", kv);
	open_ok(m, 2);
	ck_assert_int_eq(put_range(m, 0, 0, 130), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 1, 0, 50), SLUICE_OK);
	usleep(80 * 1000);
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	int64_t next[2] = {130, 50}, out[2];
	ck_assert_int_eq(flush_n(m, 2, next, out, 0), SLUICE_OK);
	ck_assert_int_eq(out[0], 130);
	ck_assert_int_eq(out[1], 50);
	ck_assert_int_eq(put_range(m, 0, 130, 345), SLUICE_OK);
	next[0] = 345;
	ck_assert_int_eq(flush_n(m, 2, next, out, 0), SLUICE_OK);
	ck_assert_int_eq(out[0], 330);
	/* crash; the host had committed 100 and 0 */
	mock_host_free(m);
	const char *kv2[] = {"flush.size", "64",	  "flush.idle",
			     "0ms",	   "path.format", "dt=%Y-%m-%d/h r=%H",
			     NULL};
	m = sink_new(NULL, "odd prefix=1+\xc3\xa9", kv2);
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	struct sluice_partition sp[2] = {{T, 0, 100}, {T, 1, 0}};
	ck_assert_int_eq(mock_host_assign(m, sp, 2), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 0, 100, 400), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 1, 0, 400), SLUICE_OK);
	next[0] = next[1] = 400;
	ck_assert_int_eq(flush_n(m, 2, next, out, 1), SLUICE_OK);
	ck_assert_int_eq(out[0], 400);
	ck_assert_int_eq(out[1], 400);
	size_t objects;
	exactly_once(prefix, 2, 400, &objects);
	char key[600];
	snprintf(key, sizeof(key),
		 "%s/events/dt=2026-01-01/h r=00/events+0+00000000000000000130"
		 ".jsonl",
		 prefix);
	ck_assert_msg(has_key(key), "no %s", key);
	ck_assert_int_eq(s3env_uploads(&env, env.prefix), 0);
}
END_TEST

START_TEST(gzip_objects)
{
	const char *kv[] = {"flush.size", "2500", "compression", "gzip", NULL};
	m = sink_new(NULL, "gz", kv);
	open_ok(m, 2);
	ck_assert_int_eq(put_range(m, 0, 0, 6000), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 1, 0, 6000), SLUICE_OK);
	int64_t next[2] = {6000, 6000}, out[2];
	ck_assert_int_eq(flush_n(m, 2, next, out, 1), SLUICE_OK);
	size_t objects;
	exactly_once(prefix, 2, 6000, &objects);
	ck_assert_uint_eq(objects, 6);
}
END_TEST

/* 50 MB through multipart (5 MiB parts, sent while the object fills),
 * read back byte for byte; the end offset comes back from the marker. */
START_TEST(multipart_50mb_round_trip)
{
	const char *kv[] = {"flush.size", "1000000",   "flush.bytes",
			    "1GiB",	  "part.size", "5MiB",
			    "flush.idle", "0ms",       NULL};
	m = sink_new(NULL, "mp", kv);
	open_ok(m, 1);
	enum { LINE = 10000, N = 5000 }; /* 50 MB */
	static char line[LINE + 1];
	static struct sluice_record r[50];
	static char vals[50][LINE];
	uint64_t x = 88172645463325252ULL;
	for (int off = 0; off < N;) {
		int k = 0;
		for (; k < 50 && off < N; k++, off++) {
			int n = snprintf(vals[k], LINE,
					 "{\"id\":\"0-%d\",\"r\":\"", off);
			for (int i = n; i < LINE - 3; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				vals[k][i] = (char)('a' + x % 26);
			}
			memcpy(vals[k] + LINE - 3, "\"}", 2);
			r[k] = rec(0, off, vals[k]);
			r[k].value_len = LINE - 1;
		}
		ck_assert_int_eq(mock_host_put(m, r, (size_t)k), SLUICE_OK);
	}
	ck_assert_int_eq(flush1(m, N, 1), N);
	char key[600];
	snprintf(key, sizeof(key),
		 "%s/events/events+0+00000000000000000000.jsonl", prefix);
	size_t len;
	char *got = s3env_get(&env, key, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(len, (size_t)N * LINE);
	/* regenerate and compare */
	x = 88172645463325252ULL;
	for (int off = 0; off < N; off++) {
		int n = snprintf(line, LINE, "{\"id\":\"0-%d\",\"r\":\"", off);
		for (int i = n; i < LINE - 3; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			line[i] = (char)('a' + x % 26);
		}
		memcpy(line + LINE - 3, "\"}\n", 3);
		ck_assert_msg(!memcmp(got + (size_t)off * LINE, line, LINE),
			      "line %d differs", off);
	}
	free(got);
	/* the plugin's own target: the marker is under its prefix */
	struct s3s_sink *s = mock_host_state(m);
	void *ctx = s->target->ops->ctx_new(s->target);
	int found;
	int64_t end;
	char err[1024];
	ck_assert_int_eq(s->target->ops->probe(s->target, ctx, key, &found,
					       &end, err, sizeof(err)),
			 0);
	s->target->ops->ctx_free(ctx);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(end, N);
	ck_assert_int_eq(s3env_uploads(&env, env.prefix), 0);
}
END_TEST

/* What a kill -9 in the middle of a multipart object leaves (an upload
 * with parts) is aborted when the rerun reaches that key. */
START_TEST(orphan_upload_aborted_on_rerun)
{
	m = sink_new(NULL, "orphan", NULL);
	char key[600];
	snprintf(key, sizeof(key),
		 "%s/events/events+0+00000000000000000042.jsonl", prefix);
	ck_assert_int_eq(s3env_orphan_upload(&env, key), 0);
	ck_assert_int_eq(s3env_uploads(&env, env.prefix), 1);
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	struct sluice_partition sp = {T, 0, 42};
	ck_assert_int_eq(mock_host_assign(m, &sp, 1), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 0, 42, 50), SLUICE_OK);
	settle(m); /* the abort runs in the background */
	ck_assert_int_eq(s3env_uploads(&env, env.prefix), 0);
	ck_assert_int_eq(flush1(m, 50, 1), 50);
	ck_assert(has_key(key));
}
END_TEST

/* The proxy's folder (its compiled binary is reused by every test). */
static char proxy_dir[PATH_MAX];

static void start_proxy(void)
{
	/* A failed test (its process ended at the assertion) left its
	 * proxy running: `s3-proxy start` would find it and keep its
	 * ports, and every later test would fail with it. */
	struct proxy left = {.running = 1};
	snprintf(left.dir, sizeof(left.dir), "%s", proxy_dir);
	proxy_stop(&left);
	ck_assert_int_eq(proxy_start(&px, proxy_dir, env.endpoint), 0);
}

/* Parts fail (every request answered 500) until the retries are used
 * up: RETRY, nothing reported durable; once the server heals the same
 * upload completes. A revoke in the middle aborts the upload. */
START_TEST(multipart_failure_then_heal_no_orphans)
{
	start_proxy();
	const char *kv[] = {"flush.size", "1000000", "flush.bytes", "1GiB",
			    "part.size",  "5MiB",    "flush.idle",  "0ms",
			    "s3.retries", "2",	     NULL};
	m = sink_new(px.endpoint, "mpfail", kv);
	open_ok(m, 2);
	static char v[100000];
	static struct sluice_record r[1];
	int64_t off = 0;
	int taken = 0; /* the record refused with RETRY was taken after all */
	/* 8 MB: the first part is out (uploading through the proxy) */
	for (; off < 80; off++) {
		int n = snprintf(v, sizeof(v),
				 "{\"id\":\"0-%" PRId64 "\",\"p\":\"", off);
		memset(v + n, 'z', sizeof(v) - (size_t)n - 3);
		memcpy(v + sizeof(v) - 3, "\"}", 3);
		r[0] = rec(0, off, v);
		ck_assert_int_eq(mock_host_put(m, r, 1), SLUICE_OK);
	}
	ck_assert_int_eq(proxy_set(&px, "error_every=1&error_status=500"), 0);
	for (; off < 120; off++) {
		int n = snprintf(v, sizeof(v),
				 "{\"id\":\"0-%" PRId64 "\",\"p\":\"", off);
		memset(v + n, 'z', sizeof(v) - (size_t)n - 3);
		memcpy(v + sizeof(v) - 3, "\"}", 3);
		r[0] = rec(0, off, v);
		enum sluice_status st = mock_host_put(m, r, 1);
		ck_assert(st == SLUICE_OK || st == SLUICE_RETRY);
		if (st == SLUICE_RETRY) {
			ck_assert_ptr_nonnull(
				strstr(mock_host_error(m), "InternalError"));
			/* Failed parts are sent again within the next put
			 * and fail again (RETRY); when what failed was the
			 * upload's start, nothing is pending and the put
			 * takes the record (OK). Which one failed first
			 * depends on the uploads' timing. */
			st = mock_host_put(m, r, 1);
			ck_assert(st == SLUICE_RETRY || st == SLUICE_OK);
			taken = st == SLUICE_OK;
			break; /* the host would call again later */
		}
	}
	int64_t next[1] = {off + 1}, out[1];
	ck_assert_int_eq(flush_n(m, 1, next, out, 1), SLUICE_RETRY);
	ck_assert_int_eq(proxy_set(&px, ""), 0);
	/* the host puts the same record again (unless it was taken), then
	 * flushes */
	if (!taken)
		ck_assert_int_eq(mock_host_put(m, r, 1), SLUICE_OK);
	for (off++; off < 120; off++) {
		int n = snprintf(v, sizeof(v),
				 "{\"id\":\"0-%" PRId64 "\",\"p\":\"", off);
		memset(v + n, 'z', sizeof(v) - (size_t)n - 3);
		memcpy(v + sizeof(v) - 3, "\"}", 3);
		r[0] = rec(0, off, v);
		ck_assert_int_eq(mock_host_put(m, r, 1), SLUICE_OK);
	}
	next[0] = 120;
	ck_assert_int_eq(flush_n(m, 1, next, out, 1), SLUICE_OK);
	ck_assert_int_eq(out[0], 120);
	exactly_once(prefix, 1, 120, NULL);
	ck_assert_int_eq(s3env_uploads(&env, env.prefix), 0);

	/* partition 1: revoked in the middle of a multipart object */
	for (off = 0; off < 70; off++) {
		int n = snprintf(v, sizeof(v),
				 "{\"id\":\"1-%" PRId64 "\",\"p\":\"", off);
		memset(v + n, 'y', sizeof(v) - (size_t)n - 3);
		memcpy(v + sizeof(v) - 3, "\"}", 3);
		r[0] = rec(1, off, v);
		ck_assert_int_eq(mock_host_put(m, r, 1), SLUICE_OK);
	}
	ck_assert_int_ge(s3env_uploads(&env, env.prefix), 1);
	struct sluice_partition sp = {T, 1, 70};
	ck_assert_int_eq(mock_host_revoke(m, &sp, 1), SLUICE_OK);
	ck_assert_int_eq(s3env_uploads(&env, env.prefix), 0);
}
END_TEST

/* Every third request refused with 503 SlowDown: retried, all there
 * once. Then the server "down" (connections refused): RETRY and nothing
 * durable, until it is back. */
START_TEST(slowdown_storm_and_outage)
{
	start_proxy();
	const char *kv[] = {"flush.size",	  "50", "s3.retries", "3",
			    "upload.concurrency", "4",	NULL};
	m = sink_new(px.endpoint, "storm", kv);
	open_ok(m, 3);
	/* Connections are kept and reused: 4 threads, 4 connections, for
	 * about 40 requests. */
	ck_assert_int_eq(proxy_set(&px, ""), 0);
	for (int p = 0; p < 3; p++)
		ck_assert_int_eq(put_range(m, p, 0, 500), SLUICE_OK);
	settle(m);
	ck_assert_int_ge(proxy_stat(&px, "requests"), 30);
	ck_assert_int_le(proxy_stat(&px, "connections"), 4);
	mock_host_free(m);
	m = sink_new(px.endpoint, "storm2", kv);
	open_ok(m, 3);
	ck_assert_int_eq(proxy_set(&px, "error_every=3"), 0);
	/* As the host does: a RETRY is answered by the same call again
	 * (a request may meet the every-third failure 4 times in a row). */
	for (int p = 0; p < 3; p++) {
		int tries = 0;
		while (put_range(m, p, 0, 500) == SLUICE_RETRY && tries++ < 5)
			;
		ck_assert_int_le(tries, 5);
	}
	int64_t next[3] = {500, 500, 500}, out[3];
	int tries = 0;
	while (flush_n(m, 3, next, out, 1) == SLUICE_RETRY && tries++ < 5)
		;
	ck_assert_int_le(tries, 5);
	for (int p = 0; p < 3; p++)
		ck_assert_int_eq(out[p], 500);
	ck_assert_int_gt(proxy_stat(&px, "errors_injected"), 10);

	ck_assert_int_eq(proxy_set(&px, "down=-1"), 0);
	for (int p = 0; p < 3; p++)
		ck_assert_int_eq(put_range(m, p, 500, 600), SLUICE_OK);
	next[0] = next[1] = next[2] = 600;
	ck_assert_int_eq(flush_n(m, 3, next, out, 0), SLUICE_RETRY);
	ck_assert_ptr_nonnull(strstr(mock_host_error(m), px.endpoint));
	ck_assert_int_eq(flush_n(m, 3, next, out, 0), SLUICE_RETRY);
	ck_assert_int_eq(proxy_set(&px, "down=0"), 0);
	ck_assert_int_eq(flush_n(m, 3, next, out, 1), SLUICE_OK);
	for (int p = 0; p < 3; p++)
		ck_assert_int_eq(out[p], 600);
	exactly_once(prefix, 3, 600, NULL);
}
END_TEST

/* 256 partitions and a 1 MiB budget, against the real server. */
START_TEST(memory_budget_256_partitions)
{
	const char *kv[] = {"memory.budget",
			    "1MiB",
			    "flush.size",
			    "100000",
			    "flush.idle",
			    "0ms",
			    "upload.concurrency",
			    "16",
			    NULL};
	m = sink_new(NULL, "mem", kv);
	open_ok(m, 256);
	static struct sluice_record r[512];
	static char vals[512][1100];
	int64_t next[256] = {0};
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 512; i++) {
			int p = (i * 7 + round) % 256;
			int l = snprintf(vals[i], sizeof(vals[i]),
					 "{\"id\":\"%d-%" PRId64
					 "\",\"pad\":\"",
					 p, next[p]);
			memset(vals[i] + l, 'p', 1000);
			memcpy(vals[i] + l + 1000, "\"}", 3);
			r[i] = rec(p, next[p]++, vals[i]);
		}
		ck_assert_int_eq(mock_host_put(m, r, 512), SLUICE_OK);
		struct s3s_sink *s = mock_host_state(m);
		ck_assert_int_le(s->mem_peak, 1048576 + 1100);
	}
	ck_assert_int_gt(
		mock_host_counter(m, "sink_s3_memory_flushes_total", NULL), 0);
	struct sluice_partition parts[256];
	for (int p = 0; p < 256; p++)
		parts[p] = (struct sluice_partition){T, p, next[p]};
	ck_assert_int_eq(mock_host_flush(m, parts, 256, 1), SLUICE_OK);
	for (int p = 0; p < 256; p++)
		ck_assert_int_eq(parts[p].offset, next[p]);
	size_t nobj, dups, missing;
	char *lines = s3env_read_lines(&env, prefix, &nobj);
	want_parts = 256;
	size_t n = s3env_count_ids(lines, "id", 0, expect_id, &dups, &missing);
	free(lines);
	ck_assert_uint_eq(dups, 0);
	ck_assert_uint_eq(n, 5120);
}
END_TEST

/* Records k0..k29 with v = i for i in [from, to) into one partition. */
static enum sluice_status put_keyed(struct mock_host *h, int from, int to)
{
	static struct sluice_record r[400];
	static char vals[400][64], keys[400][16];
	int n = 0;
	for (int i = from; i < to && n < 400; i++, n++) {
		snprintf(keys[n], sizeof(keys[n]), "k%d", i % 30);
		snprintf(vals[n], sizeof(vals[n]), "{\"k\":%d,\"v\":%d}",
			 i % 30, i);
		r[n] = rec(0, i, vals[n]);
		r[n].key = keys[n];
		r[n].key_len = strlen(keys[n]);
	}
	return mock_host_put(h, r, (size_t)n);
}

/* The snapshot `_latest` names holds exactly k0..k29, each with the
 * newest value below `to` (a multiple of 30). Read straight from the
 * server. */
static void latest_is(int to)
{
	char key[600];
	snprintf(key, sizeof(key), "%s/events/_latest", prefix);
	size_t len;
	char *latest = s3env_get(&env, key, &len);
	ck_assert_ptr_nonnull(latest);
	ck_assert_uint_gt(len, 1);
	latest[len - 1] = '\0';
	char *snap = s3env_get(&env, latest, &len);
	ck_assert_ptr_nonnull(snap);
	int lines = 0;
	for (char *p = snap; *p; p = strchr(p, '\n') + 1) {
		int k, v;
		ck_assert_int_eq(sscanf(p, "{\"k\":%d,\"v\":%d}", &k, &v), 2);
		ck_assert_int_eq(v, to - 30 + k);
		lines++;
	}
	ck_assert_int_eq(lines, 30);
	free(snap);
	free(latest);
}

START_TEST(snapshot_on_s3)
{
	const char *kv[] = {"mode", "snapshot", "snapshot.interval", "1s",
			    NULL};
	m = sink_new(NULL, "gold", kv);
	open_ok(m, 1);
	ck_assert_int_eq(put_keyed(m, 0, 300), SLUICE_OK);
	ck_assert_int_eq(flush1(m, 300, 1), 300);
	latest_is(300);
}
END_TEST

/* Snapshot mode behind the fault proxy: with every third request
 * failing the snapshot is still written (retried, or answered RETRY and
 * called again as the host does); with S3 down the flush answers RETRY
 * and commits nothing past the last written snapshot; back up, the lake
 * holds exactly the latest value per key. */
START_TEST(snapshot_storm_and_outage)
{
	start_proxy();
	const char *kv[] = {"mode", "snapshot",	  "snapshot.interval",
			    "1s",   "s3.retries", "3",
			    NULL};
	m = sink_new(px.endpoint, "snapstorm", kv);
	open_ok(m, 1);
	ck_assert_int_eq(proxy_set(&px, "error_every=3"), 0);
	ck_assert_int_eq(put_keyed(m, 0, 300), SLUICE_OK);
	int64_t next = 300, out = -7;
	int tries = 0;
	while (flush_n(m, 1, &next, &out, 1) == SLUICE_RETRY && tries++ < 5)
		;
	ck_assert_int_le(tries, 5);
	ck_assert_int_eq(out, 300);
	ck_assert_int_gt(proxy_stat(&px, "errors_injected"), 0);
	latest_is(300);

	ck_assert_int_eq(proxy_set(&px, "down=-1"), 0);
	ck_assert_int_eq(put_keyed(m, 300, 390), SLUICE_OK);
	next = 390;
	out = -7;
	ck_assert_int_eq(flush_n(m, 1, &next, &out, 1), SLUICE_RETRY);
	ck_assert_ptr_nonnull(strstr(mock_host_error(m), px.endpoint));
	ck_assert_int_ne(out, 390);
	latest_is(300); /* nothing half-written became the latest */

	ck_assert_int_eq(proxy_set(&px, "down=0"), 0);
	ck_assert_int_eq(flush_n(m, 1, &next, &out, 1), SLUICE_OK);
	ck_assert_int_eq(out, 390);
	latest_is(390);
}
END_TEST

#include "sink-s3/snapshot_scenario.h"

static struct mock_host *snap_sink(const char *const *kv)
{
	return sink_new(NULL, "gold", kv);
}

START_TEST(snapshot_restart_and_prune_s3)
{
	snapshot_scenario(snap_sink, "none");
}
END_TEST

START_TEST(snapshot_restart_and_prune_s3_gzip)
{
	snapshot_scenario(snap_sink, "gzip");
}
END_TEST

/* The same against a file:// directory, through the same test program
 * (the layout a user without S3 gets). */
static char file_root[PATH_MAX];

static struct mock_host *snap_file_sink(const char *const *kv)
{
	struct mock_host *h = mock_host_new(sluice_plugin_entry());
	char target[PATH_MAX + 16];
	snprintf(target, sizeof(target), "file://%s", file_root);
	mock_host_set(h, "target", target);
	mock_host_set(h, "prefix", "lake");
	for (; kv && kv[0]; kv += 2)
		mock_host_set(h, kv[0], kv[1]);
	return h;
}

START_TEST(snapshot_restart_and_prune_file)
{
	snprintf(file_root, sizeof(file_root), "/tmp/sluice-snapfile-%d",
		 (int)getpid());
	snapshot_scenario(snap_file_sink, "none");
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", file_root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sink-s3 against radosgw");
	TCase *tc = tcase_create("s3");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, signed_requests_and_odd_keys);
	tcase_add_test(tc, refused_credentials_are_fatal);
	tcase_add_test(tc, batches_keys_and_rerun);
	tcase_add_test(tc, gzip_objects);
	tcase_add_test(tc, multipart_50mb_round_trip);
	tcase_add_test(tc, orphan_upload_aborted_on_rerun);
	tcase_add_test(tc, multipart_failure_then_heal_no_orphans);
	tcase_add_test(tc, slowdown_storm_and_outage);
	tcase_add_test(tc, memory_budget_256_partitions);
	tcase_add_test(tc, snapshot_on_s3);
	tcase_add_test(tc, snapshot_storm_and_outage);
	tcase_add_test(tc, snapshot_restart_and_prune_s3);
	tcase_add_test(tc, snapshot_restart_and_prune_s3_gzip);
	tcase_add_test(tc, snapshot_restart_and_prune_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	struct s3env e;
	if (s3env_init(&e, "probe")) {
		printf("skipped: no S3 server (S3_ENDPOINT, S3_BUCKET, "
		       "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)\n");
		return 77;
	}
	s3env_free(&e);
	snprintf(proxy_dir, sizeof(proxy_dir), "/tmp/sluice-s3proxy-%d",
		 (int)getpid());
	curl_global_init(CURL_GLOBAL_DEFAULT);
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	/* A test that failed did not stop its proxy: stop it here. */
	struct proxy left = {.running = 1};
	snprintf(left.dir, sizeof(left.dir), "%s", proxy_dir);
	proxy_stop(&left);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.out'", proxy_dir,
		 proxy_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", proxy_dir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
