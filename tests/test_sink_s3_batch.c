/*
 * test_sink_s3_batch.c - sink-s3 through its real descriptor and
 * callbacks, driven by the mock host, writing to the file:// target in a
 * temporary directory: batching rules, keys, JSON checks and rejects,
 * gzip, multipart streaming, the memory budget, snapshot mode, and the
 * exactly-once rerun after a crash that left uncommitted objects (the
 * same logic as with S3; tests/test_sink_s3_s3.c repeats the key cases
 * against radosgw).
 */

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "mock_host.h"
#include "sink.h"
#include "sluice/plugin.h"

const struct sluice_plugin *sluice_plugin_entry(void);

#define T "events"

static char dir[PATH_MAX];
static struct mock_host *m;

static void rm_tree(const char *d)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", d);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sink-s3-batch-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	m = NULL;
}

static void teardown(void)
{
	mock_host_free(m);
	m = NULL;
	if (!getenv("KEEP"))
		rm_tree(dir);
}

/* A new task with target file://dir and name=value pairs (NULL-ended). */
static struct mock_host *sink_new(const char *const *kv)
{
	struct mock_host *h = mock_host_new(sluice_plugin_entry());
	char target[PATH_MAX + 16];
	snprintf(target, sizeof(target), "file://%s/lake", dir);
	mock_host_set(h, "target", target);
	mock_host_set(h, "prefix", "raw");
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

/* The value of record (p, off): JSON with an id and a timestamp. */
static int value_of(char *buf, size_t len, int p, int64_t off, int64_t ts)
{
	time_t tt = (time_t)(ts / 1000);
	struct tm tm;
	gmtime_r(&tt, &tm);
	char when[40];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	return snprintf(buf, len,
			"{\"id\":\"%d-%" PRId64 "\",\"timestamp\":\"%s.%03dZ\","
			"\"pad\":\"%s\"}",
			p, off, when, (int)(ts % 1000), "x");
}

#define BASE_TS 1767225600000LL /* 2026-01-01T00:00:00Z */

/* When set, the Kafka timestamps of put_range are all 0 (the record time
 * must then come from the JSON field). */
static int kafka_ts_zero;

/* Puts offsets [from, to) of partition p, in chunks of at most 500;
 * record time BASE_TS + off * step_ms. */
static enum sluice_status put_range(struct mock_host *h, int p, int64_t from,
				    int64_t to, int64_t step_ms)
{
	static struct sluice_record recs[500];
	static char vals[500][256];
	while (from < to) {
		size_t n = 0;
		for (; n < 500 && from < to; n++, from++) {
			int64_t ts = BASE_TS + from * step_ms;
			int l = value_of(vals[n], sizeof(vals[n]), p, from, ts);
			recs[n] = (struct sluice_record){
				.topic = T,
				.partition = p,
				.offset = from,
				.timestamp_ms = kafka_ts_zero ? 0 : ts,
				.value = vals[n],
				.value_len = (size_t)l};
		}
		enum sluice_status st = mock_host_put(h, recs, n);
		if (st != SLUICE_OK)
			return st;
	}
	return SLUICE_OK;
}

/* Flushes partitions 0..n-1 whose "last put" offsets are next[]; returns
 * the offsets reported in out[]. */
/* Uploads run in the background; a test that wants to see what they made
 * durable waits for them before a flush. */
static void settle(struct mock_host *h)
{
	s3s_wait_all(mock_host_state(h));
}

static enum sluice_status flush_parts(struct mock_host *h, int n,
				      const int64_t *next, int64_t *out,
				      int final)
{
	settle(h);
	struct sluice_partition parts[300];
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
	int64_t out;
	ck_assert_msg(flush_parts(h, 1, &next, &out, final) == SLUICE_OK,
		      "flush: %s", mock_host_error(h));
	return out;
}

/* ---- reading the lake back ---- */

struct lake {
	char **keys; /* relative to dir/lake, sorted */
	size_t nkeys;
	char **lines;
	size_t nlines;
};

static struct lake *walking;
static size_t root_len;

static void add_str(char ***v, size_t *n, const char *s, size_t len)
{
	char **bigger = realloc(*v, (*n + 1) * sizeof(**v));
	ck_assert_ptr_nonnull(bigger);
	*v = bigger;
	(*v)[*n] = strndup(s, len);
	(*n)++;
}

static char *read_all(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb"); /* reads plain files too */
	ck_assert_ptr_nonnull(g);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int r;
	while ((r = gzread(g, buf + n, (unsigned)(cap - n - 1))) > 0) {
		n += (size_t)r;
		if (cap - n - 1 < 4096) {
			char *bigger = realloc(buf, cap *= 2);
			ck_assert_ptr_nonnull(bigger);
			buf = bigger;
		}
	}
	ck_assert_int_ge(r, 0);
	gzclose(g);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int visit(const char *path, const struct stat *st, int type,
		 struct FTW *ftw)
{
	(void)st;
	const char *base = path + ftw->base;
	if (type != FTW_F || base[0] == '.' || strstr(path, "/_sluice/"))
		return 0;
	add_str(&walking->keys, &walking->nkeys, path + root_len + 1,
		strlen(path + root_len + 1));
	size_t len;
	char *all = read_all(path, &len);
	ck_assert_msg(len == 0 || all[len - 1] == '\n',
		      "%s does not end with a newline", path);
	for (char *p = all; *p;) {
		char *e = strchr(p, '\n');
		add_str(&walking->lines, &walking->nlines, p, (size_t)(e - p));
		p = e + 1;
	}
	free(all);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct lake *lake_read(void)
{
	struct lake *l = calloc(1, sizeof(*l));
	char root[PATH_MAX + 8];
	snprintf(root, sizeof(root), "%s/lake", dir);
	root_len = strlen(root);
	walking = l;
	nftw(root, visit, 16, FTW_PHYS);
	if (l->nkeys)
		qsort(l->keys, l->nkeys, sizeof(*l->keys), cmp_str);
	return l;
}

static void lake_free(struct lake *l)
{
	for (size_t i = 0; i < l->nkeys; i++)
		free(l->keys[i]);
	for (size_t i = 0; i < l->nlines; i++)
		free(l->lines[i]);
	free(l->keys);
	free(l->lines);
	free(l);
}

/* Every record (p, off) with off in [0, to[p]) is in exactly one line,
 * and there is nothing else. */
static void exactly_once(struct lake *l, int parts, const int64_t *to)
{
	size_t total = 0;
	for (int p = 0; p < parts; p++)
		total += (size_t)to[p];
	ck_assert_uint_eq(l->nlines, total);
	unsigned char **seen = calloc((size_t)parts, sizeof(*seen));
	for (int p = 0; p < parts; p++)
		seen[p] = calloc((size_t)to[p] + 1, 1);
	for (size_t i = 0; i < l->nlines; i++) {
		int p;
		long long off;
		const char *id = strstr(l->lines[i], "\"id\":\"");
		ck_assert_ptr_nonnull(id);
		ck_assert_int_eq(sscanf(id + 6, "%d-%lld", &p, &off), 2);
		ck_assert(p >= 0 && p < parts && off >= 0 && off < to[p]);
		ck_assert_msg(!seen[p][off], "record %d-%lld twice", p, off);
		seen[p][off] = 1;
	}
	for (int p = 0; p < parts; p++)
		free(seen[p]);
	free(seen);
}

static int has_key(struct lake *l, const char *key)
{
	for (size_t i = 0; i < l->nkeys; i++)
		if (!strcmp(l->keys[i], key))
			return 1;
	return 0;
}

/* ---- tests ---- */

START_TEST(batches_and_offsets)
{
	const char *kv[] = {"flush.size", "100", NULL};
	m = sink_new(kv);
	open_ok(m, 1);
	ck_assert_int_eq(put_range(m, 0, 0, 250, 1), SLUICE_OK);
	/* complete batches went out at once; once written, the next call
	 * asks the host for a flush */
	settle(m);
	ck_assert_int_eq(mock_host_flush_requests(m), 0);
	ck_assert_int_eq(mock_host_tick(m, s3s_wall_ms()), SLUICE_OK);
	ck_assert_int_eq(mock_host_flush_requests(m), 1);
	/* two complete batches; the third (200..249) is still open */
	ck_assert_int_eq(flush1(m, 250, 0), 200);
	struct lake *l = lake_read();
	ck_assert_uint_eq(l->nkeys, 2);
	ck_assert_str_eq(l->keys[0],
			 "raw/events/events+0+00000000000000000000.jsonl");
	ck_assert_str_eq(l->keys[1],
			 "raw/events/events+0+00000000000000000100.jsonl");
	lake_free(l);
	/* nothing new: the same offset again */
	ck_assert_int_eq(flush1(m, 250, 0), 200);
	ck_assert_int_eq(flush1(m, 250, 1), 250);
	l = lake_read();
	int64_t to = 250;
	exactly_once(l, 1, &to);
	ck_assert(has_key(l, "raw/events/events+0+00000000000000000200.jsonl"));
	/* lines in offset order */
	ck_assert_ptr_nonnull(strstr(l->lines[0], "\"0-0\""));
	ck_assert_ptr_nonnull(strstr(l->lines[249], "\"0-249\""));
	lake_free(l);
	ck_assert_int_eq(mock_host_counter(m, "sink_s3_objects_total", NULL),
			 3);
	ck_assert_int_eq(mock_host_counter(m, "sink_s3_records_total", NULL),
			 250);
}
END_TEST

START_TEST(flush_bytes_rule)
{
	const char *kv[] = {"flush.size", "100000", "flush.bytes", "10KiB",
			    NULL};
	m = sink_new(kv);
	open_ok(m, 1);
	ck_assert_int_eq(put_range(m, 0, 0, 1000, 1), SLUICE_OK);
	ck_assert_int_eq(flush1(m, 1000, 1), 1000);
	struct lake *l = lake_read();
	int64_t to = 1000;
	exactly_once(l, 1, &to);
	/* 66-byte lines: a new object every 10 KiB */
	ck_assert_uint_eq(l->nkeys, 7);
	lake_free(l);
}
END_TEST

static struct sluice_record rec(int p, int64_t off, const char *v)
{
	return (struct sluice_record){.topic = T,
				      .partition = p,
				      .offset = off,
				      .timestamp_ms = BASE_TS,
				      .value = v,
				      .value_len = v ? strlen(v) : 0};
}

START_TEST(rejects_and_tombstones)
{
	m = sink_new(NULL);
	open_ok(m, 1);
	struct sluice_record r[] = {
		rec(0, 0, "{\"id\":\"0-0\"}"),
		rec(0, 1, "not json"),
		rec(0, 2, "{\n  \"id\": \"0-2\",\r\n  \"pretty\": true\n}"),
		rec(0, 3, NULL),
		rec(0, 4, "{\"id\":\"0-4\", \"bad\": \"\xff\"}"),
		rec(0, 5, "[1,2]"),
		rec(0, 6, ""),
	};
	ck_assert_int_eq(mock_host_put(m, r, 7), SLUICE_OK);
	ck_assert_uint_eq(mock_host_reject_count(m), 4);
	ck_assert_ptr_nonnull(
		strstr(mock_host_reject(m, 0)->reason, "not valid JSON"));
	ck_assert_str_eq(mock_host_reject(m, 1)->reason,
			 "tombstone (null value)");
	ck_assert_ptr_nonnull(
		strstr(mock_host_reject(m, 2)->reason, "invalid UTF-8"));
	ck_assert_ptr_nonnull(
		strstr(mock_host_reject(m, 3)->reason, "empty value"));
	ck_assert_int_eq(mock_host_counter(m, "sink_s3_rejected_total", NULL),
			 4);
	ck_assert_int_eq(flush1(m, 7, 1), 7);
	struct lake *l = lake_read();
	ck_assert_uint_eq(l->nlines, 3);
	ck_assert_str_eq(l->lines[0], "{\"id\":\"0-0\"}");
	/* the pretty-printed value, on one line */
	ck_assert_str_eq(l->lines[1],
			 "{   \"id\": \"0-2\",    \"pretty\": true }");
	ck_assert_str_eq(l->lines[2], "[1,2]");
	lake_free(l);

	/* rejected records alone still move the offsets */
	struct sluice_record bad[] = {rec(0, 7, "x"), rec(0, 8, "y")};
	ck_assert_int_eq(mock_host_put(m, bad, 2), SLUICE_OK);
	ck_assert_int_eq(flush1(m, 9, 0), 9);
}
END_TEST

START_TEST(tombstones_ignored)
{
	const char *kv[] = {"null.values", "ignore", NULL};
	m = sink_new(kv);
	open_ok(m, 1);
	struct sluice_record r[] = {rec(0, 0, NULL), rec(0, 1, "{}")};
	ck_assert_int_eq(mock_host_put(m, r, 2), SLUICE_OK);
	ck_assert_uint_eq(mock_host_reject_count(m), 0);
	ck_assert_int_eq(
		mock_host_counter(m, "sink_s3_nulls_ignored_total", NULL), 1);
	ck_assert_int_eq(flush1(m, 2, 1), 2);
}
END_TEST

/* A put retried by the host (after RETRY) hands the same records again:
 * they are taken once. */
START_TEST(put_again_is_harmless)
{
	const char *kv[] = {"flush.size", "7", NULL};
	m = sink_new(kv);
	open_ok(m, 1);
	ck_assert_int_eq(put_range(m, 0, 0, 20, 1), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 0, 10, 30, 1), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 0, 0, 30, 1), SLUICE_OK);
	ck_assert_int_eq(flush1(m, 30, 1), 30);
	struct lake *l = lake_read();
	int64_t to = 30;
	exactly_once(l, 1, &to);
	lake_free(l);
}
END_TEST

/* The heart of it. A first run writes objects whose ends were decided by
 * the wall clock (an idle flush) and by the memory budget, and crashes
 * before the host committed them (the commit failed). A rerun from the
 * committed offset, even with other rules, rebuilds exactly those
 * objects, and then goes on with its own rules: every record once. */
static void crash_and_rerun(const char *rerun_flush_size)
{
	const char *kv[] = {"flush.size", "100", "flush.idle", "50ms", NULL};
	m = sink_new(kv);
	open_ok(m, 1);
	ck_assert_int_eq(put_range(m, 0, 0, 130, 1), SLUICE_OK);
	usleep(80 * 1000);
	ck_assert_int_eq(mock_host_tick(m, BASE_TS), SLUICE_OK);
	/* [0,100) by size, [100,130) by idleness */
	ck_assert_int_eq(flush1(m, 130, 0), 130);
	ck_assert_int_eq(put_range(m, 0, 130, 345, 1), SLUICE_OK);
	/* [130,230) [230,330) written; [330,345) open */
	ck_assert_int_eq(flush1(m, 345, 0), 330);
	/* The crash: no final flush, nothing more. The host had committed
	 * only 100 (say its commits failed since). */
	mock_host_free(m);

	const char *kv2[] = {"flush.size", rerun_flush_size, "flush.idle",
			     "0ms", NULL};
	m = sink_new(kv2);
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	struct sluice_partition sp = {T, 0, 100};
	ck_assert_int_eq(mock_host_assign(m, &sp, 1), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 0, 100, 500, 1), SLUICE_OK);
	ck_assert_int_eq(flush1(m, 500, 1), 500);
	struct lake *l = lake_read();
	int64_t to = 500;
	exactly_once(l, 1, &to);
	/* the earlier run's objects, rebuilt at the same keys */
	ck_assert(has_key(l, "raw/events/events+0+00000000000000000100.jsonl"));
	ck_assert(has_key(l, "raw/events/events+0+00000000000000000130.jsonl"));
	ck_assert(has_key(l, "raw/events/events+0+00000000000000000230.jsonl"));
	ck_assert(has_key(l, "raw/events/events+0+00000000000000000330.jsonl"));
	lake_free(l);
}

START_TEST(rerun_after_crash_same_rules)
{
	crash_and_rerun("100");
}
END_TEST

START_TEST(rerun_after_crash_other_rules)
{
	crash_and_rerun("37");
}
END_TEST

/* A final flush (shutdown) in the middle of rebuilding an earlier
 * object must not cut it short: its records are not there yet. */
START_TEST(final_flush_during_recovery)
{
	const char *kv[] = {"flush.size", "100", NULL};
	m = sink_new(kv);
	open_ok(m, 1);
	ck_assert_int_eq(put_range(m, 0, 0, 100, 1), SLUICE_OK);
	ck_assert_int_eq(flush1(m, 100, 0), 100);
	mock_host_free(m);
	/* committed: 0; the rerun has only 60 records of [0,100) */
	m = sink_new(kv);
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	struct sluice_partition sp = {T, 0, 0};
	ck_assert_int_eq(mock_host_assign(m, &sp, 1), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 0, 0, 60, 1), SLUICE_OK);
	ck_assert_int_eq(flush1(m, 60, 1), 0);
	ck_assert_int_eq(mock_host_revoke(m, &sp, 1), SLUICE_OK);
	struct lake *l = lake_read();
	int64_t to = 100;
	exactly_once(l, 1, &to);
	lake_free(l);
}
END_TEST

/* A crash in the middle of a multipart object leaves its temporary file;
 * the rerun removes it when it gets to that key. */
START_TEST(multipart_stream_and_orphan)
{
	const char *kv[] = {
		"flush.size", "1000000", "flush.bytes",	       "1GiB",
		"part.size",  "5MiB",	 "upload.concurrency", "2",
		NULL};
	m = sink_new(kv);
	open_ok(m, 1);
	/* What the sink promises: upload.concurrency parts out and the one
	 * filling, each in a buffer of a part, 64 KiB and the terminating
	 * NUL, in pages. */
	const int64_t part_buf = (5 * 1048576 + 65536 + 1 + 4095) / 4096 * 4096;
	int64_t peak = 0;
	static char big[20000];
	static struct sluice_record r[1];
	int64_t off = 0;
	/* 30 MB in lines of 20 kB: parts stream out while it fills */
	for (; off < 1500; off++) {
		int n = snprintf(big, sizeof(big),
				 "{\"id\":\"0-%" PRId64 "\",\"pad\":\"", off);
		memset(big + n, 'a' + (int)(off % 26), sizeof(big) - n - 3);
		memcpy(big + sizeof(big) - 3, "\"}", 3);
		r[0] = rec(0, off, big);
		ck_assert_int_eq(mock_host_put(m, r, 1), SLUICE_OK);
		struct s3s_sink *s = mock_host_state(m);
		ck_assert_int_le(s->mem, 3 * part_buf);
		if (s->mem > peak)
			peak = s->mem;
	}
	/* and it did hold more than one part at a time */
	ck_assert_int_gt(peak, part_buf);
	char tmp[PATH_MAX + 100];
	snprintf(tmp, sizeof(tmp),
		 "%s/lake/raw/events/.events+0+00000000000000000000.jsonl.tmp",
		 dir);
	struct stat st;
	ck_assert_int_eq(stat(tmp, &st), 0);
	ck_assert_int_eq(flush1(m, 1500, 1), 1500);
	ck_assert_int_ne(stat(tmp, &st), 0);
	struct lake *l = lake_read();
	int64_t to = 1500;
	exactly_once(l, 1, &to);
	ck_assert_uint_eq(l->nkeys, 1);
	for (size_t i = 0; i < l->nlines; i++)
		ck_assert_uint_eq(strlen(l->lines[i]), sizeof(big) - 1);
	lake_free(l);

	/* now the orphan: a temporary file as a crash leaves it */
	mock_host_free(m);
	snprintf(tmp, sizeof(tmp),
		 "%s/lake/raw/events/.events+0+00000000000000001500.jsonl.tmp",
		 dir);
	FILE *f = fopen(tmp, "w");
	fputs("half an object", f);
	fclose(f);
	m = sink_new(kv);
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	struct sluice_partition sp = {T, 0, 1500};
	ck_assert_int_eq(mock_host_assign(m, &sp, 1), SLUICE_OK);
	r[0] = rec(0, 1500, "{\"id\":\"0-1500\"}");
	ck_assert_int_eq(mock_host_put(m, r, 1), SLUICE_OK);
	ck_assert_int_ne(stat(tmp, &st), 0);
	ck_assert_int_eq(flush1(m, 1501, 1), 1501);
}
END_TEST

START_TEST(gzip_objects)
{
	const char *kv[] = {"flush.size", "3000", "compression", "gzip", NULL};
	m = sink_new(kv);
	open_ok(m, 2);
	/* partition 0: big objects (own deflate stream); 1: small ones */
	ck_assert_int_eq(put_range(m, 0, 0, 7000, 1), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 1, 0, 20, 1), SLUICE_OK);
	int64_t next[2] = {7000, 20}, out[2];
	ck_assert_int_eq(flush_parts(m, 2, next, out, 1), SLUICE_OK);
	ck_assert_int_eq(out[0], 7000);
	ck_assert_int_eq(out[1], 20);
	struct lake *l = lake_read();
	exactly_once(l, 2, next);
	for (size_t i = 0; i < l->nkeys; i++) {
		size_t n = strlen(l->keys[i]);
		ck_assert_str_eq(l->keys[i] + n - 9, ".jsonl.gz");
	}
	ck_assert_uint_eq(l->nkeys, 4);
	lake_free(l);
	/* really compressed */
	char p[PATH_MAX + 100];
	snprintf(p, sizeof(p),
		 "%s/lake/raw/events/events+0+00000000000000000000.jsonl.gz",
		 dir);
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_lt(st.st_size, 3000 * 90 / 4);
	ck_assert_int_eq(mock_host_counter(m, "sink_s3_objects_total", NULL),
			 4);
}
END_TEST

/* Time partitions from the JSON field, and record-time rotation. */
START_TEST(time_partitions_and_rotation)
{
	const char *kv[] = {
		"path.format", "dt=%Y-%m-%d/hour=%H", "timestamp.field",
		"timestamp",   "rotate.interval",     "20m",
		NULL};
	m = sink_new(kv);
	open_ok(m, 1);
	/* one record a minute for 150 minutes, in the JSON field; the Kafka
	 * timestamps all say 1970 */
	kafka_ts_zero = 1;
	ck_assert_int_eq(put_range(m, 0, 0, 150, 60000), SLUICE_OK);
	ck_assert_int_eq(flush1(m, 150, 1), 150);
	struct lake *l = lake_read();
	int64_t to = 150;
	exactly_once(l, 1, &to);
	/* hours 00, 01, 02, each cut in 20-minute objects: 3+3+2 */
	ck_assert_uint_eq(l->nkeys, 8);
	ck_assert_str_eq(l->keys[0], "raw/events/dt=2026-01-01/hour=00/"
				     "events+0+00000000000000000000.jsonl");
	ck_assert_str_eq(l->keys[1], "raw/events/dt=2026-01-01/hour=00/"
				     "events+0+00000000000000000020.jsonl");
	ck_assert(has_key(l, "raw/events/dt=2026-01-01/hour=01/"
			     "events+0+00000000000000000060.jsonl"));
	ck_assert(has_key(l, "raw/events/dt=2026-01-01/hour=02/"
			     "events+0+00000000000000000140.jsonl"));
	lake_free(l);
}
END_TEST

START_TEST(idle_and_schedule)
{
	const char *kv[] = {"flush.idle", "100ms", "rotate.schedule.interval",
			    "1h", NULL};
	m = sink_new(kv);
	open_ok(m, 1);
	ck_assert_int_eq(put_range(m, 0, 0, 10, 1), SLUICE_OK);
	int before = mock_host_flush_requests(m);
	ck_assert_int_eq(mock_host_tick(m, s3s_wall_ms()), SLUICE_OK);
	ck_assert_int_eq(mock_host_flush_requests(m), before);
	ck_assert_int_eq(flush1(m, 10, 0), 0);
	usleep(150 * 1000);
	/* idle: closed and sent; written, it asks for a flush */
	ck_assert_int_eq(mock_host_tick(m, s3s_wall_ms()), SLUICE_OK);
	settle(m);
	ck_assert_int_eq(mock_host_tick(m, s3s_wall_ms()), SLUICE_OK);
	ck_assert_int_eq(mock_host_flush_requests(m), before + 1);
	ck_assert_int_eq(flush1(m, 10, 0), 10);

	/* the wall-clock schedule: the next hour closes the object */
	ck_assert_int_eq(put_range(m, 0, 10, 20, 1), SLUICE_OK);
	ck_assert_int_eq(mock_host_tick(m, s3s_wall_ms()), SLUICE_OK);
	ck_assert_int_eq(flush1(m, 20, 0), 10);
	ck_assert_int_eq(mock_host_tick(m, s3s_wall_ms() + 3600 * 1000),
			 SLUICE_OK);
	ck_assert_int_eq(flush1(m, 20, 0), 20);
}
END_TEST

/* 256 partitions, a 1 MiB budget: memory stays within it (plus one
 * record), objects are written before any flush, and every record is
 * there exactly once. */
START_TEST(memory_budget_256_partitions)
{
	const char *kv[] = {"memory.budget", "1MiB", "flush.size", "100000",
			    "flush.idle",    "0ms",  NULL};
	m = sink_new(kv);
	open_ok(m, 256);
	static struct sluice_record r[512];
	static char vals[512][1100];
	int64_t next[256] = {0};
	int64_t peak = 0;
	for (int round = 0; round < 40; round++) {
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
		peak = s->mem_peak;
		ck_assert_int_le(s->mem_peak, 1048576 + 1100);
	}
	ck_assert_int_gt(mock_host_counter(m, "sink_s3_objects_total", NULL),
			 0);
	ck_assert_int_gt(
		mock_host_counter(m, "sink_s3_memory_flushes_total", NULL), 0);
	int64_t out[256];
	ck_assert_int_eq(flush_parts(m, 256, next, out, 1), SLUICE_OK);
	for (int p = 0; p < 256; p++)
		ck_assert_int_eq(out[p], next[p]);
	struct lake *l = lake_read();
	exactly_once(l, 256, next);
	lake_free(l);
	printf("memory budget 1 MiB, 256 partitions: peak %" PRId64
	       " bytes buffered\n",
	       peak);
}
END_TEST

START_TEST(revoke_drops_open_batches)
{
	m = sink_new(NULL);
	open_ok(m, 2);
	ck_assert_int_eq(put_range(m, 0, 0, 10, 1), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 1, 0, 10, 1), SLUICE_OK);
	struct sluice_partition sp = {T, 1, -1};
	ck_assert_int_eq(mock_host_revoke(m, &sp, 1), SLUICE_OK);
	int64_t next[1] = {10}, out[1];
	ck_assert_int_eq(flush_parts(m, 1, next, out, 1), SLUICE_OK);
	ck_assert_int_eq(out[0], 10);
	struct lake *l = lake_read();
	ck_assert_uint_eq(l->nkeys, 1);
	lake_free(l);
	/* given back: starts fresh at the offset the host says */
	sp.offset = 10;
	ck_assert_int_eq(mock_host_assign(m, &sp, 1), SLUICE_OK);
	ck_assert_int_eq(put_range(m, 1, 5, 15, 1), SLUICE_OK);
	int64_t n2[2] = {10, 15}, o2[2];
	ck_assert_int_eq(flush_parts(m, 2, n2, o2, 1), SLUICE_OK);
	ck_assert_int_eq(o2[1], 15);
	l = lake_read();
	ck_assert_uint_eq(l->nlines, 15);
	ck_assert(has_key(l, "raw/events/events+1+00000000000000000010.jsonl"));
	lake_free(l);
}
END_TEST

START_TEST(snapshot_latest_per_key)
{
	const char *kv[] = {"mode", "snapshot",	      "snapshot.interval",
			    "1h",   "snapshot.table", "gold_users",
			    NULL};
	m = sink_new(kv);
	open_ok(m, 2);
	static struct sluice_record r[600];
	static char vals[600][64], keys[600][16];
	for (int i = 0; i < 600; i++) {
		int k = i % 50;
		snprintf(keys[i], sizeof(keys[i]), "u%02d", k);
		snprintf(vals[i], sizeof(vals[i]),
			 "{\"user\":\"u%02d\",\"version\":%d}", k, i / 50);
		r[i] = rec(i % 2, i, vals[i]);
		r[i].key = keys[i];
		r[i].key_len = strlen(keys[i]);
	}
	/* u07 and u13 deleted at the end; a record without key: rejected */
	r[598].value = NULL;
	r[598].key = "u07";
	r[598].key_len = 3;
	r[599].value = NULL;
	r[599].key = "u13";
	r[599].key_len = 3;
	ck_assert_int_eq(mock_host_put(m, r, 600), SLUICE_OK);
	struct sluice_record nokey = rec(0, 600, "{}");
	ck_assert_int_eq(mock_host_put(m, &nokey, 1), SLUICE_OK);
	ck_assert_uint_eq(mock_host_reject_count(m), 1);
	/* not due yet: nothing written, nothing committed */
	int64_t next[2] = {601, 600}, out[2];
	ck_assert_int_eq(flush_parts(m, 2, next, out, 0), SLUICE_OK);
	ck_assert_int_eq(out[0], SLUICE_OFFSET_NONE);
	struct lake *l = lake_read();
	ck_assert_uint_eq(l->nkeys, 0);
	lake_free(l);
	/* final: the snapshot is written, and what it covers is durable */
	ck_assert_int_eq(flush_parts(m, 2, next, out, 1), SLUICE_OK);
	ck_assert_int_eq(out[0], 601);
	ck_assert_int_eq(out[1], 600);
	l = lake_read();
	ck_assert_uint_eq(l->nkeys, 2);
	ck_assert_str_eq(l->keys[0], "raw/gold_users/_latest");
	ck_assert_uint_eq(l->nlines, 1 + 48);
	/* _latest names the snapshot */
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/lake/raw/gold_users/_latest", dir);
	size_t len;
	char *latest = read_all(p, &len);
	ck_assert_uint_eq(len, strlen(l->keys[1]) + 1);
	ck_assert(!strncmp(latest, l->keys[1], len - 1));
	free(latest);
	int first = 1;
	for (size_t i = 0; i < l->nlines; i++) {
		if (!strncmp(l->lines[i], "raw/", 4))
			continue;
		int u, v;
		ck_assert_int_eq(sscanf(l->lines[i],
					"{\"user\":\"u%d\",\"version\":%d}", &u,
					&v),
				 2);
		ck_assert(u != 7 && u != 13);
		/* records 598 and 599 (u48, u49) were the deletions */
		ck_assert_int_eq(v, u >= 48 ? 10 : 11);
		if (!first)
			ck_assert(strcmp(l->lines[i - 1], l->lines[i]) < 0);
		first = 0;
	}
	lake_free(l);
	ck_assert_int_eq(mock_host_counter(m, "sink_s3_snapshots_total", NULL),
			 1);
}
END_TEST

#include "sink-s3/snapshot_scenario.h"

START_TEST(snapshot_restart_and_prune_gzip)
{
	snapshot_scenario(sink_new, "gzip");
}
END_TEST

START_TEST(snapshot_restart_and_prune_plain)
{
	snapshot_scenario(sink_new, "none");
}
END_TEST

/* The tables' memory bound: a clear failure, not growth. */
START_TEST(snapshot_max_bytes)
{
	const char *kv[] = {"mode", "snapshot", "snapshot.max.bytes", "4KiB",
			    NULL};
	m = sink_new(kv);
	open_ok(m, 1);
	static struct sluice_record r[100];
	static char vals[100][64], keys[100][16];
	for (int i = 0; i < 100; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		snprintf(vals[i], sizeof(vals[i]), "{\"k\":%d,\"pad\":\"%s\"}",
			 i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		r[i] = rec(0, i, vals[i]);
		r[i].key = keys[i];
		r[i].key_len = strlen(keys[i]);
	}
	ck_assert_int_eq(mock_host_put(m, r, 100), SLUICE_FATAL);
	const char *e = mock_host_error(m);
	ck_assert_msg(strstr(e, "snapshot.max.bytes (4096)") &&
			      strstr(e, "table events") &&
			      strstr(e, "events[0]@"),
		      "message: %s", e);
	ck_assert_int_eq(mock_host_misuse(m), 0);
}
END_TEST

static const char *open_error(const char *const *kv)
{
	static char msg[1024];
	mock_host_free(m);
	m = sink_new(kv);
	if (mock_host_open(m) == SLUICE_OK)
		return NULL;
	snprintf(msg, sizeof(msg), "%s", mock_host_error(m));
	return msg;
}

START_TEST(bad_configurations)
{
	const char *a[] = {"target", "ftp://x", NULL};
	ck_assert_ptr_nonnull(strstr(open_error(a), "expected s3://"));
	const char *b[] = {"target", "file://relative/dir", NULL};
	ck_assert_ptr_nonnull(strstr(open_error(b), "must be absolute"));
	const char *c[] = {"target", "s3:///nobucket", NULL};
	ck_assert_ptr_nonnull(strstr(open_error(c), "bad bucket"));
	const char *d[] = {"part.size", "1MiB", NULL};
	ck_assert_ptr_nonnull(strstr(open_error(d), "below the minimum"));
	const char *e[] = {"path.format", "%%", NULL};
	ck_assert_ptr_null(open_error(e));
	mock_host_free(m);
	const char *f[] = {"mode", "snapshot", NULL};
	m = sink_new(f);
	mock_host_set_task(m, 0, 2);
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	ck_assert_ptr_nonnull(strstr(mock_host_error(m), "tasks.max: 1"));
	ck_assert_int_eq(mock_host_misuse(m), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sink-s3 batches (file target)");
	TCase *tc = tcase_create("batches");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, batches_and_offsets);
	tcase_add_test(tc, flush_bytes_rule);
	tcase_add_test(tc, rejects_and_tombstones);
	tcase_add_test(tc, tombstones_ignored);
	tcase_add_test(tc, put_again_is_harmless);
	tcase_add_test(tc, rerun_after_crash_same_rules);
	tcase_add_test(tc, rerun_after_crash_other_rules);
	tcase_add_test(tc, final_flush_during_recovery);
	tcase_add_test(tc, multipart_stream_and_orphan);
	tcase_add_test(tc, gzip_objects);
	tcase_add_test(tc, time_partitions_and_rotation);
	tcase_add_test(tc, idle_and_schedule);
	tcase_add_test(tc, memory_budget_256_partitions);
	tcase_add_test(tc, revoke_drops_open_batches);
	tcase_add_test(tc, snapshot_latest_per_key);
	tcase_add_test(tc, snapshot_restart_and_prune_gzip);
	tcase_add_test(tc, snapshot_restart_and_prune_plain);
	tcase_add_test(tc, snapshot_max_bytes);
	tcase_add_test(tc, bad_configurations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
