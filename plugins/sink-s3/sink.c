/*
 * sink.c - the sink-s3 plugin: its descriptor and option table, and the
 * callbacks. put() validates each value and appends it to its
 * partition's batch (batch.c), closing batches by the rotation rules and
 * asking the host for a flush when one is complete; flush() uploads the
 * complete batches (upload.c) and reports, per partition, the start of
 * the oldest batch not uploaded yet; tick() closes idle and scheduled
 * batches. See sink.h for the invariant that makes reruns overwrite
 * instead of duplicate, and docs/sink-s3.md for the user's view.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"
#include "keys.h"
#include "s3_client.h"
#include "sink.h"

static const char *const modes[] = {"batch", "snapshot", NULL};
static const char *const compressions[] = {"none", "gzip", NULL};
static const char *const addressings[] = {"auto", "path", "virtual", NULL};
static const char *const null_modes[] = {"reject", "ignore", NULL};

static const struct sluice_option options[] = {
	{"target", SLUICE_OPT_STRING, NULL, SLUICE_OPT_REQUIRED, "6", "4096",
	 NULL, "where objects go: s3://BUCKET[/PREFIX] or file:///DIR"},
	{"prefix", SLUICE_OPT_STRING, "", 0, NULL, "1024", NULL,
	 "key prefix: PREFIX/TOPIC/[TIME/]TOPIC+PARTITION+OFFSET.jsonl"},
	{"mode", SLUICE_OPT_ENUM, "batch", 0, NULL, NULL, modes,
	 "batch: every record once, in objects per partition; snapshot: the "
	 "latest value per key, the whole table every snapshot.interval"},
	{"flush.size", SLUICE_OPT_INT, "10000", 0, "1", NULL, NULL,
	 "records per object"},
	{"flush.bytes", SLUICE_OPT_SIZE, "64MiB", 0, "1KiB", "5TiB", NULL,
	 "JSON Lines bytes per object, before compression"},
	{"rotate.interval", SLUICE_OPT_DURATION, "0ms", 0, "0ms", NULL, NULL,
	 "close an object when a record's time is this far past its first "
	 "record's (record time: deterministic); 0 = off"},
	{"rotate.schedule.interval", SLUICE_OPT_DURATION, "0ms", 0, "0ms", NULL,
	 NULL,
	 "close objects at each wall-clock multiple of this interval; 0 = "
	 "off"},
	{"flush.idle", SLUICE_OPT_DURATION, "30s", 0, "0ms", NULL, NULL,
	 "close a partition's object after this long without a record; 0 = "
	 "off"},
	{"memory.budget", SLUICE_OPT_SIZE, "128MiB", 0, "1MiB", NULL, NULL,
	 "bytes buffered across all partitions; past it the largest objects "
	 "are closed and written"},
	{"path.format", SLUICE_OPT_STRING, "", 0, NULL, "200", NULL,
	 "time partition of the keys, strftime-style on UTC record time, "
	 "e.g. dt=%Y-%m-%d/hour=%H; empty = none"},
	{"timestamp.field", SLUICE_OPT_STRING, NULL, 0, "1", "256", NULL,
	 "record time from this top-level JSON field (ISO 8601 string or "
	 "epoch milliseconds) instead of the Kafka timestamp"},
	{"compression", SLUICE_OPT_ENUM, "none", 0, NULL, NULL, compressions,
	 "none (.jsonl) or gzip (.jsonl.gz)"},
	{"compression.level", SLUICE_OPT_INT, "6", 0, "1", "9", NULL,
	 "gzip level"},
	{"null.values", SLUICE_OPT_ENUM, "reject", 0, NULL, NULL, null_modes,
	 "tombstones in batch mode: reject (the error policy) or ignore "
	 "(counted, not written)"},
	{"upload.concurrency", SLUICE_OPT_INT, "8", 0, "1", "64", NULL,
	 "uploads at once (partitions and multipart parts)"},
	{"part.size", SLUICE_OPT_SIZE, "8MiB", 0, "5MiB", "5GiB", NULL,
	 "objects bigger than this go out as multipart uploads of parts of "
	 "this size, sent while the object fills"},
	{"snapshot.interval", SLUICE_OPT_DURATION, "1m", 0, "1s", NULL, NULL,
	 "snapshot mode: how often a changed table is written"},
	{"snapshot.table", SLUICE_OPT_STRING, NULL, 0, "1", "256", NULL,
	 "snapshot mode: the table's name in keys (default: the topic)"},
	{"snapshot.max.bytes", SLUICE_OPT_SIZE, "256MiB", 0, "1KiB", "4GiB",
	 NULL,
	 "snapshot mode: memory the tables may hold (keys, values); past it "
	 "the task fails"},
	{"snapshot.keep", SLUICE_OPT_INT, "3", 0, "1", "1000", NULL,
	 "snapshot mode: snapshots kept per table (older ones are deleted)"},
	{"s3.endpoint", SLUICE_OPT_STRING, NULL, 0, "8", "2048", NULL,
	 "S3 endpoint URL (default https://s3.REGION.amazonaws.com)"},
	{"s3.region", SLUICE_OPT_STRING, "us-east-1", 0, "1", "64", NULL,
	 "region for SigV4"},
	{"s3.addressing", SLUICE_OPT_ENUM, "auto", 0, NULL, NULL, addressings,
	 "path (host/bucket/key), virtual (bucket.host/key), or auto: virtual "
	 "for AWS, path for other endpoints"},
	{"s3.access.key.id", SLUICE_OPT_STRING, NULL, 0, "1", NULL, NULL,
	 "access key id (else AWS_ACCESS_KEY_ID, else the profile)"},
	{"s3.secret.access.key", SLUICE_OPT_STRING, NULL, SLUICE_OPT_SECRET,
	 "1", NULL, NULL, "secret access key"},
	{"s3.session.token", SLUICE_OPT_STRING, NULL, SLUICE_OPT_SECRET, "1",
	 NULL, NULL, "session token of temporary credentials"},
	{"s3.profile", SLUICE_OPT_STRING, NULL, 0, "1", "256", NULL,
	 "profile of the shared credentials file (default AWS_PROFILE, else "
	 "default)"},
	{"s3.credentials.file", SLUICE_OPT_STRING, NULL, 0, "1", "4096", NULL,
	 "shared credentials file (default AWS_SHARED_CREDENTIALS_FILE, else "
	 "~/.aws/credentials)"},
	{"s3.ca.file", SLUICE_OPT_STRING, NULL, 0, "1", "4096", NULL,
	 "CA bundle for TLS (default: the system's)"},
	{"s3.tls.verify", SLUICE_OPT_BOOL, "true", 0, NULL, NULL, NULL,
	 "verify the server's TLS certificate and name"},
	{"s3.payload.signing", SLUICE_OPT_BOOL, "true", 0, NULL, NULL, NULL,
	 "sign the SHA-256 of each body (false: UNSIGNED-PAYLOAD, less CPU; "
	 "use with https only)"},
	{"s3.retries", SLUICE_OPT_INT, "6", 0, "0", "100", NULL,
	 "retries of a failed request before the task answers RETRY"},
	{"s3.retry.backoff", SLUICE_OPT_DURATION, "200ms", 0, "1ms", "1m", NULL,
	 "first retry delay (doubling, with jitter)"},
	{"s3.retry.backoff.max", SLUICE_OPT_DURATION, "10s", 0, "1ms", "10m",
	 NULL, "longest retry delay"},
	{"s3.connect.timeout", SLUICE_OPT_DURATION, "10s", 0, "100ms", "10m",
	 NULL, "connection timeout"},
	{"s3.request.timeout", SLUICE_OPT_DURATION, "5m", 0, "1s", "1h", NULL,
	 "timeout of one request (a part or an object)"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static const char *env_get(const char *name)
{
	return getenv(name);
}

/* Builds the S3 target from the options. NULL with the reason in err. */
static struct s3s_target *s3_target(struct sluice_task *t,
				    const struct sluice_host *h,
				    const char *bucket, const char *prefix,
				    char *err, size_t errlen)
{
	struct s3s_s3cfg c = {0};
	c.bucket = s3s_xstrdup(bucket);
	c.region = s3s_xstrdup(h->opt_string(t, "s3.region"));
	const char *ep = h->opt_string(t, "s3.endpoint");
	char def[256];
	if (!ep) {
		snprintf(def, sizeof(def), "https://s3.%s.amazonaws.com",
			 c.region);
		ep = def;
	}
	if (s3s_s3cfg_endpoint(&c, ep, h->opt_string(t, "s3.addressing"), err,
			       errlen))
		goto fail;
	const char *ca = h->opt_string(t, "s3.ca.file");
	c.ca_file = ca ? s3s_xstrdup(ca) : NULL;
	c.verify = h->opt_bool(t, "s3.tls.verify");
	c.payload_signing = h->opt_bool(t, "s3.payload.signing");
	c.retries = (int)h->opt_int(t, "s3.retries");
	c.backoff_ms = h->opt_duration_ms(t, "s3.retry.backoff");
	c.backoff_max_ms = h->opt_duration_ms(t, "s3.retry.backoff.max");
	c.connect_timeout_ms = h->opt_duration_ms(t, "s3.connect.timeout");
	c.timeout_ms = h->opt_duration_ms(t, "s3.request.timeout");
	struct s3s_creds_src src = {
		.key_id = h->opt_string(t, "s3.access.key.id"),
		.secret = h->opt_string(t, "s3.secret.access.key"),
		.token = h->opt_string(t, "s3.session.token"),
		.profile = h->opt_string(t, "s3.profile"),
		.file = h->opt_string(t, "s3.credentials.file"),
		.env = env_get,
	};
	if (s3s_creds_resolve(&src, &c.creds, err, errlen))
		goto fail;
	h->log(t, SLUICE_LOG_INFO, "S3 credentials from %s", c.creds.source);
	return s3s_target_s3_new(&c, prefix);
fail:
	s3s_s3cfg_free(&c);
	return NULL;
}

/* prefix option and a path in the target URL, joined. */
static char *join_prefix(const char *a, size_t al, const char *b)
{
	struct s3s_buf p = {0};
	while (al && *a == '/')
		a++, al--;
	while (al && a[al - 1] == '/')
		al--;
	s3s_buf_add(&p, a, al);
	while (b && *b == '/')
		b++;
	if (b && *b) {
		if (p.len)
			s3s_buf_addc(&p, '/');
		s3s_buf_adds(&p, b);
	}
	while (p.len && p.p[p.len - 1] == '/')
		p.p[--p.len] = '\0';
	return s3s_buf_take(&p);
}

static void free_state(struct s3s_sink *s)
{
	if (s->target)
		atomic_store(&s->target->stop, 1);
	if (s->pool) {
		s3s_wait_all(s);
		for (size_t i = 0; i < s->ntp; i++) {
			struct s3s_tp *tp = s->tps[i];
			if (tp->open)
				s3s_abort_upload(s, tp->open);
			for (struct s3s_batch *b = tp->done; b; b = b->next)
				s3s_abort_upload(s, b);
		}
		s3s_pool_free(s->pool);
	}
	while (s->ntp)
		s3s_tp_remove(s, s->tps[0]);
	s3s_spares_free(s);
	free(s->tps);
	s3s_tables_free(s);
	if (s->shared_z_ready)
		deflateEnd(&s->shared_z);
	int s3 = s->target && s->target->ops->check &&
		 !strncmp(s->target->where, "s3://", 5);
	if (s->target)
		s->target->ops->free(s->target);
	if (s3)
		curl_global_cleanup();
	free(s);
}

static void *ctx_new(void *arg)
{
	struct s3s_target *t = arg;
	return t->ops->ctx_new(t);
}

static void ctx_free(void *arg, void *ctx)
{
	struct s3s_target *t = arg;
	t->ops->ctx_free(ctx);
}

/* What the option table cannot say: the target's form, the endpoint's,
 * the time partition pattern, credentials given by halves. At
 * `sluice validate` (check) and again at open. 0, or -1 with err. */
static int check_config(struct sluice_task *t, const struct sluice_host *h,
			char *err, size_t errlen)
{
	const char *target = h->opt_string(t, "target");
	const char *fmt = h->opt_string(t, "path.format");
	char probe[256];
	if (!strncmp(target, "s3://", 5)) {
		const char *b = target + 5;
		size_t bl = strcspn(b, "/");
		if (!bl || bl > 255 || strcspn(b, " ?#%\\") < bl) {
			snprintf(err, errlen, "target '%s': bad bucket name",
				 target);
			return -1;
		}
		const char *ep = h->opt_string(t, "s3.endpoint");
		if (ep) {
			struct s3s_s3cfg c = {0};
			int rc =
				s3s_s3cfg_endpoint(&c, ep, "auto", err, errlen);
			s3s_s3cfg_free(&c);
			if (rc)
				return -1;
		}
		if (!h->opt_string(t, "s3.access.key.id") !=
		    !h->opt_string(t, "s3.secret.access.key")) {
			snprintf(err, errlen,
				 "s3.access.key.id and s3.secret.access.key "
				 "must be set together");
			return -1;
		}
	} else if (!strncmp(target, "file://", 7)) {
		if (target[7] != '/') {
			snprintf(err, errlen,
				 "file target '%s': the directory must be "
				 "absolute (file:///path)",
				 target);
			return -1;
		}
	} else {
		snprintf(err, errlen,
			 "target '%s': expected s3://BUCKET[/PREFIX] or "
			 "file:///DIR",
			 target);
		return -1;
	}
	if (fmt && *fmt &&
	    s3s_time_partition(fmt, 0, probe, sizeof(probe)) <= 0) {
		snprintf(err, errlen,
			 "path.format '%s' gives an empty or too long time "
			 "partition",
			 fmt);
		return -1;
	}
	return 0;
}

static enum sluice_status s3_check(struct sluice_task *t,
				   const struct sluice_host *h, unsigned flags)
{
	(void)flags;
	char err[1024];
	if (check_config(t, h, err, sizeof(err))) {
		h->set_error(t, "%s", err);
		return SLUICE_FATAL;
	}
	return SLUICE_OK;
}

static enum sluice_status s3_open(struct sluice_task *t,
				  const struct sluice_host *h, void **out)
{
	struct s3s_sink *s = s3s_xcalloc(1, sizeof(*s));
	char err[1024];
	s->h = h;
	s->t = t;
	struct s3s_config *c = &s->cfg;
	c->flush_size = h->opt_int(t, "flush.size");
	c->flush_bytes = h->opt_size(t, "flush.bytes");
	c->rotate_ms = h->opt_duration_ms(t, "rotate.interval");
	c->schedule_ms = h->opt_duration_ms(t, "rotate.schedule.interval");
	c->idle_ms = h->opt_duration_ms(t, "flush.idle");
	c->budget = h->opt_size(t, "memory.budget");
	c->part_size = h->opt_size(t, "part.size");
	c->path_format = h->opt_string(t, "path.format");
	c->ts_field = h->opt_string(t, "timestamp.field");
	c->ts_field_len = c->ts_field ? strlen(c->ts_field) : 0;
	c->gzip = !strcmp(h->opt_string(t, "compression"), "gzip");
	c->level = (int)h->opt_int(t, "compression.level");
	c->null_ignore = !strcmp(h->opt_string(t, "null.values"), "ignore");
	c->snapshot = !strcmp(h->opt_string(t, "mode"), "snapshot");
	c->snapshot_ms = h->opt_duration_ms(t, "snapshot.interval");
	c->snapshot_table = h->opt_string(t, "snapshot.table");
	c->snapshot_max = h->opt_size(t, "snapshot.max.bytes");
	c->snapshot_keep = (int)h->opt_int(t, "snapshot.keep");
	c->ext = c->gzip ? ".jsonl.gz" : ".jsonl";
	c->content_type = c->gzip ? "application/gzip" : "application/x-ndjson";
	c->concurrency = (int)h->opt_int(t, "upload.concurrency");
	s->tpart_sec = INT64_MIN;

	if (check_config(t, h, err, sizeof(err))) {
		h->set_error(t, "%s", err);
		goto fail;
	}
	if (c->snapshot && h->task_count(t) > 1) {
		h->set_error(t, "mode snapshot writes whole tables: it needs "
				"tasks.max: 1");
		goto fail;
	}

	const char *target = h->opt_string(t, "target");
	const char *prefix = h->opt_string(t, "prefix");
	if (!strncmp(target, "s3://", 5)) {
		const char *b = target + 5;
		const char *slash = strchr(b, '/');
		size_t bl = slash ? (size_t)(slash - b) : strlen(b);
		char *bucket = s3s_xmemdup(b, bl);
		char *pfx = join_prefix(slash ? slash : "",
					slash ? strlen(slash) : 0, prefix);
		curl_global_init(CURL_GLOBAL_DEFAULT);
		s->target = s3_target(t, h, bucket, pfx, err, sizeof(err));
		free(bucket);
		free(pfx);
		if (!s->target) {
			curl_global_cleanup();
			h->set_error(t, "%s", err);
			goto fail;
		}
	} else {
		s->target = s3s_target_file_new(target + 7, prefix, err,
						sizeof(err));
		if (!s->target) {
			h->set_error(t, "%s", err);
			goto fail;
		}
	}
	s->pool = s3s_pool_new(c->concurrency, ctx_new, ctx_free, s->target);
	int rc = s3s_check(s);
	if (rc == SLUICE_FATAL) {
		h->set_error(t, "%s", s->err);
		goto fail;
	}
	if (rc)
		h->log(t, SLUICE_LOG_WARN,
		       "%s does not answer yet (uploads will retry): %s",
		       s->target->where, s->err);
	s->err[0] = '\0';
	h->log(t, SLUICE_LOG_INFO,
	       "writing %s to %s%s%s (flush.size %" PRId64
	       ", flush.bytes %" PRId64 ", memory.budget %" PRId64 ")",
	       c->snapshot ? "table snapshots" : "JSON Lines batches",
	       s->target->where, *s->target->prefix ? ", prefix " : "",
	       s->target->prefix, c->flush_size, c->flush_bytes, c->budget);
	*out = s;
	return SLUICE_OK;
fail:
	free_state(s);
	return SLUICE_FATAL;
}

static void s3_close(void *state)
{
	struct s3s_sink *s = state;
	s->h->log(s->t, SLUICE_LOG_INFO,
		  "closing: %" PRId64 " objects written, at most %" PRId64
		  " bytes buffered",
		  s->objects, s->mem_peak);
	free_state(state);
}

/* Uploads that finished made more durable: ask the host for a flush
 * (and its commit) now rather than at the next interval, but not more
 * than every 100 ms (each is a synchronous commit). */
static void ask_flush(struct s3s_sink *s)
{
	int64_t now = s3s_mono_ms();
	if (s->completed && now - s->flush_asked >= 100) {
		s->completed = 0;
		s->flush_asked = now;
		s->h->request_flush(s->t);
	}
}

enum sluice_status s3s_fail_with(struct s3s_sink *s, int rc)
{
	s->h->set_error(s->t, "%s", s->err[0] ? s->err : "upload failed");
	return (enum sluice_status)rc;
}

/* Record time: the Kafka timestamp, or the configured JSON field. */
static int64_t record_time(const struct sluice_record *r,
			   const struct s3s_json_field *f)
{
	int64_t ts = r->timestamp_ms;
	if (!f || !f->at)
		return ts;
	if (f->at[0] == '"') {
		int64_t v;
		if (f->len >= 2 && !memchr(f->at + 1, '\\', f->len - 2) &&
		    !s3s_parse_time(f->at + 1, f->len - 2, &v))
			return v;
		return ts;
	}
	if (f->at[0] == '-' || (f->at[0] >= '0' && f->at[0] <= '9')) {
		char num[64];
		if (f->len >= sizeof(num))
			return ts;
		memcpy(num, f->at, f->len);
		num[f->len] = '\0';
		char *end;
		double v = strtod(num, &end);
		if (end != num && !*end)
			return (int64_t)v;
	}
	return ts;
}

/* One valid line for tp. 0 or a status; the line is taken (tp->next
 * moves past it) unless the failure came before it was appended. */
static int add_line(struct s3s_sink *s, struct s3s_tp *tp,
		    const struct sluice_record *r, int64_t ts)
{
	const char *tpart = s3s_tpart_of(s, ts);
	struct s3s_batch *b = tp->open;
	if (b && ((b->forced_end >= 0 && r->offset >= b->forced_end) ||
		  s3s_batch_rotates_before(s, b, ts, tpart)))
		s3s_batch_complete(s, tp);
	if (!tp->open) {
		b = s3s_batch_open(s, tp, r->offset, ts, tpart);
		if (tp->recovering) {
			int found = 0, rc = SLUICE_OK;
			int64_t end = -1;
			if (tp->probed_key && !strcmp(tp->probed_key, b->key)) {
				found = tp->probed_found;
				end = tp->probed_end;
			} else {
				const char *k = b->key;
				rc = s3s_probe_many(s, &k, 1, &found, &end);
			}
			free(tp->probed_key);
			tp->probed_key = NULL;
			if (rc) {
				tp->open = NULL;
				s3s_batch_free(s, b);
				return rc;
			}
			if (found && end > r->offset) {
				b->forced_end = end;
				s->h->log(s->t, SLUICE_LOG_INFO,
					  "rebuilding %s as an earlier run "
					  "wrote it (offsets %" PRId64
					  "..%" PRId64 ")",
					  b->key, r->offset, end - 1);
			} else {
				if (found)
					s->h->log(s->t, SLUICE_LOG_WARN,
						  "%s exists without sluice "
						  "offsets; overwriting it",
						  b->key);
				/* The end of what an earlier run left: an
				 * unfinished upload can only be here. */
				tp->recovering = 0;
				s3s_cleanup_start(s, tp, b->key);
			}
		}
	}
	b = tp->open;
	s3s_batch_append(s, b, r->offset, r->value, r->value_len);
	/* Taken: a failure below must not make the host's next put (of the
	 * same records) add it again. */
	tp->next = r->offset + 1;
	if (s3s_batch_full(s, b)) {
		s3s_batch_complete(s, tp);
		return SLUICE_OK;
	}
	return s3s_stream_parts(s, b, 0);
}

/* The partitions of this put that will open their first batch in
 * recovery are probed together, concurrently, before the records are
 * taken: one round trip instead of one per partition. */
static int probe_ahead(struct s3s_sink *s, const struct sluice_record *recs,
		       size_t n)
{
	struct s3s_tp **tps = NULL;
	const char **keys = NULL;
	size_t m = 0, cap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sluice_record *r = &recs[i];
		struct s3s_tp *tp = s3s_tp_find(s, r->topic, r->partition, 1);
		if (!tp->recovering || tp->open || tp->probed_key ||
		    !r->value || (tp->next >= 0 && r->offset < tp->next))
			continue;
		struct s3s_json_field f = {s->cfg.ts_field, s->cfg.ts_field_len,
					   NULL, 0};
		size_t where;
		if (s3s_json_check(r->value, r->value_len,
				   s->cfg.ts_field ? &f : NULL, &where))
			continue; /* rejected: not the first line */
		const char *tpart = s3s_tpart_of(s, record_time(r, &f));
		struct s3s_buf k = {0};
		s3s_object_key(&k, s->target->prefix, tp->topic, tpart,
			       tp->partition, r->offset, s->cfg.ext);
		tp->probed_key = s3s_buf_take(&k);
		if (m == cap) {
			cap = cap ? cap * 2 : 16;
			tps = s3s_xrealloc(tps, cap * sizeof(*tps));
			keys = s3s_xrealloc(keys, cap * sizeof(*keys));
		}
		tps[m] = tp;
		keys[m++] = tp->probed_key;
	}
	int rc = SLUICE_OK;
	if (m) {
		int *found = s3s_xcalloc(m, sizeof(*found));
		int64_t *end = s3s_xcalloc(m, sizeof(*end));
		rc = s3s_probe_many(s, keys, m, found, end);
		for (size_t i = 0; i < m; i++) {
			tps[i]->probed_found = found[i];
			tps[i]->probed_end = end[i];
			if (rc) {
				free(tps[i]->probed_key);
				tps[i]->probed_key = NULL;
			}
		}
		free(found);
		free(end);
	}
	free(tps);
	free(keys);
	return rc;
}

/* Largest content first (not largest reservation). */
static int cmp_mem(const void *a, const void *b)
{
	int64_t x = (*(struct s3s_batch *const *)a)->raw_bytes;
	int64_t y = (*(struct s3s_batch *const *)b)->raw_bytes;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* Past the budget: close the largest open batches until the open ones
 * hold at most half of it, and write them now. */
static int relieve_memory(struct s3s_sink *s)
{
	if (s->mem <= s->cfg.budget)
		return SLUICE_OK;
	s3s_spares_free(s);
	if (s->mem <= s->cfg.budget)
		return SLUICE_OK;
	struct s3s_batch **v = s3s_xcalloc(s->ntp, sizeof(*v));
	size_t n = 0;
	int64_t open_mem = 0;
	for (size_t i = 0; i < s->ntp; i++) {
		struct s3s_batch *b = s->tps[i]->open;
		if (b) {
			open_mem += b->mem;
			if (b->forced_end < 0)
				v[n++] = b;
		}
	}
	qsort(v, n, sizeof(*v), cmp_mem);
	int closed = 0;
	for (size_t i = 0; i < n && open_mem > s->cfg.budget / 2; i++) {
		open_mem -= v[i]->mem;
		s3s_batch_complete(s, v[i]->tp);
		closed++;
	}
	free(v);
	s->h->counter_add(s->t, "sink_s3_memory_flushes_total", NULL, closed);
	int rc = s3s_upload_pending(s, NULL, 0);
	while (!rc && s->mem > s->cfg.budget && s3s_wait_one(s))
		;
	return rc;
}

int s3s_reject(struct s3s_sink *s, struct s3s_tp *tp,
	       const struct sluice_record *r, const char *reason)
{
	s->h->counter_add(s->t, "sink_s3_rejected_total", NULL, 1);
	if (s->h->reject(s->t, r, reason)) {
		snprintf(s->err, sizeof(s->err),
			 "record %s[%" PRId32 "]@%" PRId64 ": %s", r->topic,
			 r->partition, r->offset, reason);
		return -1;
	}
	tp->next = r->offset + 1;
	return 0;
}

static enum sluice_status s3_put(void *state, struct sluice_task *t,
				 const struct sluice_record *recs, size_t n)
{
	struct s3s_sink *s = state;
	s->t = t;
	s3s_drain(s);
	if (s->fatal)
		return s3s_fail_with(s, SLUICE_FATAL);
	if (s->cfg.snapshot) {
		int rc = s3s_table_put(s, recs, n);
		s->h->gauge_set(t, "sink_s3_buffered_bytes", NULL,
				(double)s->mem);
		ask_flush(s);
		return rc ? s3s_fail_with(s, rc) : SLUICE_OK;
	}
	int rc = probe_ahead(s, recs, n);
	if (rc)
		return s3s_fail_with(s, rc);
	char reason[160];
	for (size_t i = 0; i < n; i++) {
		const struct sluice_record *r = &recs[i];
		struct s3s_tp *tp = s3s_tp_find(s, r->topic, r->partition, 1);
		if (tp->next >= 0 && r->offset < tp->next)
			continue; /* put again after a RETRY: already here */
		if (!r->value) {
			if (s->cfg.null_ignore) {
				s->h->counter_add(t,
						  "sink_s3_nulls_ignored_total",
						  NULL, 1);
				tp->next = r->offset + 1;
				continue;
			}
			if (s3s_reject(s, tp, r, "tombstone (null value)"))
				return s3s_fail_with(s, SLUICE_FATAL);
			continue;
		}
		struct s3s_json_field f = {s->cfg.ts_field, s->cfg.ts_field_len,
					   NULL, 0};
		size_t where = 0;
		const char *why =
			s3s_json_check(r->value, r->value_len,
				       s->cfg.ts_field ? &f : NULL, &where);
		if (why) {
			snprintf(reason, sizeof(reason),
				 "not valid JSON: %s at byte %zu", why, where);
			if (s3s_reject(s, tp, r, reason))
				return s3s_fail_with(s, SLUICE_FATAL);
			continue;
		}
		rc = add_line(s, tp, r, record_time(r, &f));
		if (rc) {
			ask_flush(s);
			return s3s_fail_with(s, rc);
		}
		tp->next = r->offset + 1;
		if (s->mem > s->mem_peak)
			s->mem_peak = s->mem;
		/* Past the budget: write instead of growing. */
		if (s->mem > s->cfg.budget && (rc = relieve_memory(s))) {
			ask_flush(s);
			return s3s_fail_with(s, rc);
		}
	}
	/* Complete batches go out now, while consuming goes on. */
	s3s_upload_kick(s, NULL, 0);
	s->h->gauge_set(t, "sink_s3_buffered_bytes", NULL, (double)s->mem);
	ask_flush(s);
	return SLUICE_OK;
}

static enum sluice_status s3_flush(void *state, struct sluice_task *t,
				   struct sluice_partition *parts, size_t n,
				   int final)
{
	struct s3s_sink *s = state;
	s->t = t;
	s3s_drain(s);
	if (s->fatal)
		return s3s_fail_with(s, SLUICE_FATAL);
	if (s->cfg.snapshot) {
		int rc = s3s_table_flush(s, parts, n, final);
		return rc ? s3s_fail_with(s, rc) : SLUICE_OK;
	}
	struct s3s_tp **set = s3s_xcalloc(n, sizeof(*set));
	for (size_t i = 0; i < n; i++) {
		struct s3s_tp *tp =
			s3s_tp_find(s, parts[i].topic, parts[i].partition, 0);
		set[i] = tp;
		if (!tp || !final || !tp->open)
			continue;
		/* A batch rebuilt in recovery must end where the earlier run
		 * ended it: until its records are all here it stays open. */
		if (tp->open->forced_end < 0 || s3s_batch_full(s, tp->open))
			s3s_batch_complete(s, tp);
	}
	s->completed = 0;
	int rc = SLUICE_OK;
	if (final) {
		/* Everything, now. */
		rc = s3s_upload_pending(s, set, n);
	} else {
		/* Uploads that failed in the background are tried again
		 * here, waiting: the host backs off when this says RETRY.
		 * The others just start; what they make durable is
		 * reported by a later flush (they ask for it). */
		struct s3s_tp **failed = s3s_xcalloc(n, sizeof(*failed));
		size_t nf = 0;
		for (size_t i = 0; i < n; i++)
			if (set[i] && set[i]->failed)
				failed[nf++] = set[i];
		if (nf)
			rc = s3s_upload_pending(s, failed, nf);
		free(failed);
		s3s_upload_kick(s, set, n);
	}
	for (size_t i = 0; i < n; i++) {
		int64_t d = set[i] ? s3s_tp_durable(set[i]) : -1;
		if (d > parts[i].offset)
			d = parts[i].offset;
		parts[i].offset = d >= 0 ? d : SLUICE_OFFSET_NONE;
	}
	free(set);
	if (rc)
		return s3s_fail_with(s, rc);
	return SLUICE_OK;
}

static enum sluice_status s3_tick(void *state, struct sluice_task *t,
				  int64_t now_ms)
{
	struct s3s_sink *s = state;
	s->t = t;
	s3s_drain(s);
	int64_t mono = s3s_mono_ms();
	for (size_t i = 0; i < s->ntp; i++) {
		struct s3s_tp *tp = s->tps[i];
		struct s3s_batch *b = tp->open;
		if (!b || b->forced_end >= 0)
			continue;
		if ((s->cfg.idle_ms > 0 &&
		     mono - b->last_mono >= s->cfg.idle_ms) ||
		    (s->cfg.schedule_ms > 0 &&
		     now_ms / s->cfg.schedule_ms !=
			     b->opened_wall / s->cfg.schedule_ms))
			s3s_batch_complete(s, tp);
	}
	if (s->cfg.snapshot && s3s_table_due(s, now_ms))
		s->completed = 1;
	s3s_upload_kick(s, NULL, 0);
	ask_flush(s);
	return SLUICE_OK;
}

static void drop(struct s3s_sink *s, struct s3s_tp *tp)
{
	s3s_cleanup_wait(s, tp);
	if (tp->open)
		s3s_abort_upload(s, tp->open);
	for (struct s3s_batch *b = tp->done; b; b = b->next)
		s3s_abort_upload(s, b);
	s3s_tp_remove(s, tp);
}

static enum sluice_status s3_assign(void *state, struct sluice_task *t,
				    const struct sluice_partition *parts,
				    size_t n)
{
	struct s3s_sink *s = state;
	s->t = t;
	s3s_drain(s);
	if (s->cfg.snapshot) {
		int rc = s3s_table_assign(s, parts, n);
		return rc ? s3s_fail_with(s, rc) : SLUICE_OK;
	}
	for (size_t i = 0; i < n; i++) {
		struct s3s_tp *tp =
			s3s_tp_find(s, parts[i].topic, parts[i].partition, 0);
		if (tp)
			drop(s, tp);
		tp = s3s_tp_find(s, parts[i].topic, parts[i].partition, 1);
		tp->recovering = 1;
		tp->next = parts[i].offset >= 0 ? parts[i].offset : -1;
	}
	return SLUICE_OK;
}

static enum sluice_status s3_revoke(void *state, struct sluice_task *t,
				    const struct sluice_partition *parts,
				    size_t n)
{
	struct s3s_sink *s = state;
	s->t = t;
	s3s_drain(s);
	if (s->cfg.snapshot) {
		s3s_table_revoke(s, parts, n);
		return SLUICE_OK;
	}
	for (size_t i = 0; i < n; i++) {
		struct s3s_tp *tp =
			s3s_tp_find(s, parts[i].topic, parts[i].partition, 0);
		if (tp)
			drop(s, tp);
	}
	return SLUICE_OK;
}

static const struct sluice_plugin sink_s3 = {
	SLUICE_PLUGIN_HEADER,
	.name = "sink-s3",
	.version = "1.0.0",
	.description = "exactly-once JSON Lines objects (or table snapshots) "
		       "to S3 or a directory",
	.kind = SLUICE_KIND_SINK,
	.options = options,
	.open = s3_open,
	.close = s3_close,
	.put = s3_put,
	.flush = s3_flush,
	.assign = s3_assign,
	.revoke = s3_revoke,
	.tick = s3_tick,
	.check = s3_check,
};

SLUICE_PLUGIN_EXPORT(sink_s3)
