/*
 * snapshot_scenario.h - the snapshot mode scenario shared by
 * tests/test_sink_s3_batch.c (file:// target) and tests/test_sink_s3_s3.c
 * (radosgw): upserts, tombstones and rejects give exactly the latest
 * value per key; _latest names the snapshot; the names are deterministic;
 * a crash after a snapshot but before its commit, then a restart
 * (open, assign from the committed offsets) and more records, give a
 * complete table again; old snapshots are pruned to snapshot.keep; a
 * commit past the newest snapshot is refused. Objects are read back
 * through the plugin's own target, so the same code checks both.
 *
 * Included once per test program (static functions); the includer
 * provides `make(kv)`, a mock host of sink-s3 with its target and prefix
 * set and the name=value pairs kv added.
 */
#ifndef SINK_S3_SNAPSHOT_SCENARIO_H
#define SINK_S3_SNAPSHOT_SCENARIO_H

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "keys.h"
#include "mock_host.h"
#include "sink.h"
#include "target.h"

typedef struct mock_host *(*scn_make_fn)(const char *const *kv);

#define SCN_KEYS 40
#define SCN_TOPIC "orders"
#define SCN_TS0 1767225600000LL /* 2026-01-01T00:00:00Z */

/* The model: the latest value per key, NULL when absent. */
struct scn_model {
	char *v[SCN_KEYS];
};

static void scn_model_free(struct scn_model *mo)
{
	for (int i = 0; i < SCN_KEYS; i++)
		free(mo->v[i]);
}

/* The value of record (p, off); key u<k>; every 7th a tombstone. */
static int scn_key_of(int p, int64_t off)
{
	return (int)((off * 3 + p * 11) % SCN_KEYS);
}

static int scn_is_tombstone(int p, int64_t off)
{
	return (off + p) % 7 == 3;
}

/* Puts records [from, to) of partition p (through the host), applying
 * them to the model unless `replay` (records the table already has). */
static void scn_put(struct mock_host *h, struct scn_model *mo, int p,
		    int64_t from, int64_t to, int replay)
{
	static struct sluice_record r[256];
	static char vals[256][128], keys[256][16];
	while (from < to) {
		size_t n = 0;
		for (; n < 256 && from < to; n++, from++) {
			int k = scn_key_of(p, from);
			snprintf(keys[n], sizeof(keys[n]), "u%02d", k);
			/* pretty-printed: the line break becomes a space */
			snprintf(vals[n], sizeof(vals[n]),
				 "{\"user\":\"u%02d\",\n\"p\":%d,\"off\":"
				 "%" PRId64 ",\"name\":\"\xc3\xa9\"}",
				 k, p, from);
			r[n] = (struct sluice_record){
				.topic = SCN_TOPIC,
				.partition = p,
				.offset = from,
				.timestamp_ms = SCN_TS0 + from,
				.key = keys[n],
				.key_len = strlen(keys[n]),
				.value = vals[n],
				.value_len = strlen(vals[n])};
			if (scn_is_tombstone(p, from))
				r[n].value = NULL, r[n].value_len = 0;
			if (replay)
				continue;
			free(mo->v[k]);
			mo->v[k] = NULL;
			if (r[n].value) {
				mo->v[k] = strdup(vals[n]);
				*strchr(mo->v[k], '\n') = ' ';
			}
		}
		ck_assert_msg(mock_host_put(h, r, n) == SLUICE_OK, "put: %s",
			      mock_host_error(h));
	}
}

/* The snapshot the model says: values in key order, one a line. */
static char *scn_expected(const struct scn_model *mo, size_t *count)
{
	struct s3s_buf b = {0};
	*count = 0;
	for (int i = 0; i < SCN_KEYS; i++) /* u00 < u01 < ... */
		if (mo->v[i]) {
			s3s_buf_adds(&b, mo->v[i]);
			s3s_buf_addc(&b, '\n');
			(*count)++;
		}
	return s3s_buf_take(&b);
}

static void scn_gunzip(struct s3s_buf *b)
{
	if (b->len < 2 || (unsigned char)b->p[0] != 0x1f)
		return;
	struct s3s_buf out = {0};
	z_stream z = {0};
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)b->p;
	z.avail_in = (uInt)b->len;
	int rc;
	do {
		s3s_buf_reserve(&out, 65536);
		z.next_out = (Bytef *)out.p + out.len;
		z.avail_out = 65536;
		rc = inflate(&z, Z_NO_FLUSH);
		out.len += 65536 - z.avail_out;
		out.p[out.len] = '\0';
	} while (rc == Z_OK);
	ck_assert_int_eq(rc, Z_STREAM_END);
	inflateEnd(&z);
	s3s_buf_free(b);
	*b = out;
}

/* An object through the plugin's target (NULL when missing). */
static char *scn_get(struct mock_host *h, const char *key, size_t *len)
{
	struct s3s_sink *s = mock_host_state(h);
	void *ctx = s->target->ops->ctx_new(s->target);
	struct s3s_buf b = {0};
	int found = 0;
	char err[1024];
	ck_assert_msg(s->target->ops->get(s->target, ctx, key, &b, &found, err,
					  sizeof(err)) == 0,
		      "get %s: %s", key, err);
	s->target->ops->ctx_free(ctx);
	if (!found) {
		s3s_buf_free(&b);
		return NULL;
	}
	scn_gunzip(&b);
	*len = b.len;
	return s3s_buf_take(&b);
}

/* The keys under key_prefix, sorted, as one '\n'-joined text. */
static int scn_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *scn_list(struct mock_host *h, const char *key_prefix)
{
	struct s3s_sink *s = mock_host_state(h);
	void *ctx = s->target->ops->ctx_new(s->target);
	struct s3s_buf b = {0}, out = {0};
	char err[1024];
	ck_assert_msg(s->target->ops->list(s->target, ctx, key_prefix, &b, err,
					   sizeof(err)) == 0,
		      "list: %s", err);
	s->target->ops->ctx_free(ctx);
	char *v[64];
	size_t n = 0;
	for (char *p = b.p, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		ck_assert_uint_lt(n, 64);
		v[n++] = p;
	}
	qsort(v, n, sizeof(*v), scn_cmp);
	for (size_t i = 0; i < n; i++) {
		s3s_buf_adds(&out, v[i] + strlen(key_prefix));
		s3s_buf_addc(&out, '\n');
	}
	s3s_buf_free(&b);
	if (!out.p)
		s3s_buf_reserve(&out, 0);
	return s3s_buf_take(&out);
}

static void scn_open(struct mock_host *h, const int64_t *committed)
{
	ck_assert_msg(mock_host_open(h) == SLUICE_OK, "open: %s",
		      mock_host_error(h));
	struct sluice_partition sp[2] = {{SCN_TOPIC, 0, committed[0]},
					 {SCN_TOPIC, 1, committed[1]}};
	ck_assert_msg(mock_host_assign(h, sp, 2) == SLUICE_OK, "assign: %s",
		      mock_host_error(h));
}

static void scn_flush(struct mock_host *h, const int64_t *next, int final,
		      int64_t *out)
{
	struct sluice_partition sp[2] = {{SCN_TOPIC, 0, next[0]},
					 {SCN_TOPIC, 1, next[1]}};
	ck_assert_msg(mock_host_flush(h, sp, 2, final) == SLUICE_OK,
		      "flush: %s", mock_host_error(h));
	out[0] = sp[0].offset;
	out[1] = sp[1].offset;
}

/* _latest must name `name` (under the table), and the snapshot must be
 * exactly what the model says. */
static void scn_check(struct mock_host *h, const struct scn_model *mo,
		      const char *name, const char *ext)
{
	struct s3s_sink *s = mock_host_state(h);
	struct s3s_buf k = {0}, want = {0};
	s3s_table_key(&k, s->target->prefix, "gold_orders", "_latest");
	s3s_table_key(&want, s->target->prefix, "gold_orders", name);
	s3s_buf_adds(&want, ext);
	s3s_buf_addc(&want, '\n');
	size_t len;
	char *latest = scn_get(h, k.p, &len);
	ck_assert_ptr_nonnull(latest);
	ck_assert_str_eq(latest, want.p);
	latest[len - 1] = '\0';
	char *snap = scn_get(h, latest, &len);
	ck_assert_ptr_nonnull(snap);
	size_t count;
	char *exp = scn_expected(mo, &count);
	ck_assert_uint_gt(count, 10);
	ck_assert_uint_eq(len, strlen(exp));
	ck_assert_str_eq(snap, exp);
	free(exp);
	free(snap);
	free(latest);
	s3s_buf_free(&k);
	s3s_buf_free(&want);
}

static void snapshot_scenario(scn_make_fn make, const char *compression)
{
	const char *ext = strcmp(compression, "gzip") ? ".jsonl" : ".jsonl.gz";
	const char *kv[] = {"mode",
			    "snapshot",
			    "snapshot.interval",
			    "1h",
			    "snapshot.table",
			    "gold_orders",
			    "snapshot.keep",
			    "2",
			    "compression",
			    compression,
			    NULL};
	struct scn_model mo = {{0}};
	int64_t none[2] = {-1001, -1001}, next[2], out[2];

	/* 1. upserts, tombstones, rejects; nothing durable before the
	 * snapshot, everything after it */
	struct mock_host *h = make(kv);
	scn_open(h, none);
	scn_put(h, &mo, 0, 0, 100, 0);
	scn_put(h, &mo, 1, 0, 100, 0);
	struct sluice_record bad[2] = {{.topic = SCN_TOPIC,
					.partition = 0,
					.offset = 100,
					.key = "u01",
					.key_len = 3,
					.value = "{not json",
					.value_len = 9},
				       {.topic = SCN_TOPIC,
					.partition = 0,
					.offset = 101,
					.value = "{\"a\":1}",
					.value_len = 7}};
	ck_assert_int_eq(mock_host_put(h, bad, 2), SLUICE_OK);
	ck_assert_uint_eq(mock_host_reject_count(h), 2);
	ck_assert_ptr_nonnull(strstr(mock_host_reject(h, 0)->reason, "JSON"));
	ck_assert_ptr_nonnull(strstr(mock_host_reject(h, 1)->reason, "key"));
	next[0] = 102, next[1] = 100;
	scn_flush(h, next, 0, out);
	ck_assert_int_eq(out[0], SLUICE_OFFSET_NONE);
	ck_assert_int_eq(out[1], SLUICE_OFFSET_NONE);
	scn_flush(h, next, 1, out);
	ck_assert_int_eq(out[0], 102);
	ck_assert_int_eq(out[1], 100);
	/* the highest record time is 99 ms past TS0; 102 + 100 offsets */
	scn_check(h, &mo, "snapshot-20260101T000000.099Z-00000000000000000202",
		  ext);

	/* 2. more records, a second snapshot */
	scn_put(h, &mo, 0, 102, 150, 0);
	next[0] = 150;
	scn_flush(h, next, 1, out);
	ck_assert_int_eq(out[0], 150);
	ck_assert_int_eq(out[1], 100);
	scn_check(h, &mo, "snapshot-20260101T000000.149Z-00000000000000000250",
		  ext);

	/* 3. a third snapshot, then a crash before its commit: the group
	 * has 150 and 100 */
	scn_put(h, &mo, 1, 100, 160, 0);
	next[1] = 160;
	scn_flush(h, next, 1, out);
	ck_assert_int_eq(out[1], 160);
	mock_host_free(h);

	h = make(kv);
	int64_t committed[2] = {150, 100};
	scn_open(h, committed);
	/* the host delivers again from the commit: already in the table */
	scn_put(h, &mo, 1, 100, 160, 1);
	scn_put(h, &mo, 0, 150, 200, 0);
	scn_put(h, &mo, 1, 160, 200, 0);
	next[0] = next[1] = 200;
	scn_flush(h, next, 1, out);
	ck_assert_int_eq(out[0], 200);
	ck_assert_int_eq(out[1], 200);
	scn_check(h, &mo, "snapshot-20260101T000000.199Z-00000000000000000400",
		  ext);
	ck_assert_int_eq(mock_host_counter(h, "sink_s3_snapshots_total", NULL),
			 1);

	/* snapshot.keep 2: the newest two, each with its state object */
	struct s3s_sink *s = mock_host_state(h);
	struct s3s_buf k = {0}, want = {0};
	s3s_table_key(&k, s->target->prefix, "gold_orders", "snapshot-");
	char *names = scn_list(h, k.p);
	s3s_buf_printf(&want,
		       "20260101T000000.159Z-00000000000000000310%s\n"
		       "20260101T000000.199Z-00000000000000000400%s\n",
		       ext, ext);
	ck_assert_str_eq(names, want.p);
	free(names);
	s3s_buf_reset(&k);
	s3s_buf_reset(&want);
	s3s_table_key(&k, s->target->prefix, "_sluice/tables/gold_orders",
		      "snapshot-");
	names = scn_list(h, k.p);
	s3s_buf_printf(&want,
		       "20260101T000000.159Z-00000000000000000310%s.state\n"
		       "20260101T000000.199Z-00000000000000000400%s.state\n",
		       ext, ext);
	ck_assert_str_eq(names, want.p);
	free(names);
	s3s_buf_free(&k);
	s3s_buf_free(&want);

	/* 4. restart from the commit, nothing new: the same table, the
	 * same durable offsets */
	mock_host_free(h);
	h = make(kv);
	committed[0] = committed[1] = 200;
	scn_open(h, committed);
	scn_flush(h, next, 1, out);
	ck_assert_int_eq(out[0], 200);
	ck_assert_int_eq(out[1], 200);
	ck_assert_int_eq(mock_host_counter(h, "sink_s3_snapshots_total", NULL),
			 0);
	scn_check(h, &mo, "snapshot-20260101T000000.199Z-00000000000000000400",
		  ext);

	/* 5. a commit past the newest snapshot: refused, with the way out */
	mock_host_free(h);
	h = make(kv);
	ck_assert_int_eq(mock_host_open(h), SLUICE_OK);
	struct sluice_partition sp = {SCN_TOPIC, 1, 250};
	ck_assert_int_eq(mock_host_assign(h, &sp, 1), SLUICE_FATAL);
	const char *e = mock_host_error(h);
	ck_assert_msg(strstr(e, "up to offset 250") &&
			      strstr(e, "covers it up to offset 200") &&
			      strstr(e, "Reset the group's offset"),
		      "message: %s", e);
	mock_host_free(h);
	scn_model_free(&mo);
}

#endif
