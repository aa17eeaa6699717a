/*
 * bronze.c - the transform-bronze plugin: its descriptor and option
 * table, and the task: each record's value is scanned once against the
 * declared schema (scan.c) and written either to "out", as it came plus
 * ingest_ts and _source, or to "quarantine" with its raw text and every
 * reason (write.c). Nothing is dropped. With expectations declared, a
 * good record is also parsed into a document (jdoc.h) and checked against
 * them (expect.c); their counts go to the "dq" output every dq.interval.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "jbuf.h"
#include "jdoc.h"
#include "scan.h"
#include "schema.h"
#include "sluice/plugin.h"
#include "write.h"

/* Counters are summed here and handed to the host every this many
 * records, and at every tick. */
#define COUNTER_BATCH 1024

enum bronze_count {
	COUNT_OUT,
	COUNT_JSON,
	COUNT_DEPTH,
	COUNT_UTF8,
	COUNT_SCHEMA,
	COUNT_SIZE,
	COUNT_TOMBSTONE,
	COUNT_EXPECTATION,
	COUNT_N
};

static const char *const count_labels[COUNT_N] = {
	[COUNT_OUT] = "output=\"out\"",
	[COUNT_JSON] = "output=\"quarantine\",reason=\"json\"",
	[COUNT_DEPTH] = "output=\"quarantine\",reason=\"depth\"",
	[COUNT_UTF8] = "output=\"quarantine\",reason=\"utf8\"",
	[COUNT_SCHEMA] = "output=\"quarantine\",reason=\"schema\"",
	[COUNT_SIZE] = "output=\"quarantine\",reason=\"size\"",
	[COUNT_TOMBSTONE] = "output=\"quarantine\",reason=\"tombstone\"",
	[COUNT_EXPECTATION] = "output=\"quarantine\",reason=\"expectation\"",
};

struct bronze {
	const struct sluice_host *host;
	struct bronze_node *schema;
	struct bronze_scan scan;
	size_t max_bytes;
	int record_time; /* ingest_ts from the record's timestamp */
	struct jbuf buf;
	int64_t counts[COUNT_N];
	unsigned pending; /* records counted since the last flush */
	struct expect_set dq;
	struct jdoc doc; /* used with expectations only; reused */
	int64_t dq_interval_ms, next_dq_ms;
};

static const char *const extra_modes[] = {"rescue", "keep", "quarantine", NULL};
static const char *const time_modes[] = {"wall", "record", NULL};
static const char *const outputs[] = {"out", "quarantine", "dq", NULL};

static const struct sluice_option options[] = {
	{"schema", SLUICE_OPT_STRING, NULL, 0, "1", NULL, NULL,
	 "the declared schema, as `name: type, user: {id: int}, items: "
	 "[{price: double}]` (types string, int, double, bool, any; `?` = "
	 "nullable); default: the seed's"},
	{"max.depth", SLUICE_OPT_INT, "32", 0, "1", "512", NULL,
	 "deepest nesting of objects and arrays a value may have"},
	{"max.bytes", SLUICE_OPT_SIZE, "1MiB", 0, "2", "16MiB", NULL,
	 "largest value accepted; also the most of a value's raw text a "
	 "quarantine record keeps"},
	{"extra.fields", SLUICE_OPT_ENUM, "rescue", 0, NULL, NULL, extra_modes,
	 "fields the schema does not declare: rescue (keep the record, move "
	 "them to _rescued_data), keep (leave them) or quarantine"},
	{"ingest.time", SLUICE_OPT_ENUM, "wall", 0, NULL, NULL, time_modes,
	 "ingest_ts: wall = the clock when processed; record = the Kafka "
	 "record's timestamp"},
	{"expectations", SLUICE_OPT_LIST, NULL, 0, NULL, NULL, NULL,
	 "data-quality expectations, each `name expect (condition) on "
	 "violation warn|drop row|fail update`, or a shipped one by "
	 "name: " EXPECT_BUILTIN_NAMES},
	{"dq.interval", SLUICE_OPT_DURATION, "1m", 0, "1s", "1d", NULL,
	 "how often the expectations' counts go to the dq output"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static void bronze_free(struct bronze *b)
{
	if (!b)
		return;
	bronze_scan_free(&b->scan);
	bronze_schema_free(b->schema);
	expect_set_free(&b->dq);
	jdoc_free(&b->doc);
	jbuf_free(&b->buf);
	free(b);
}

static enum bronze_extra extra_mode(const char *s)
{
	if (!strcmp(s, "keep"))
		return BRONZE_EXTRA_KEEP;
	if (!strcmp(s, "quarantine"))
		return BRONZE_EXTRA_QUARANTINE;
	return BRONZE_EXTRA_RESCUE;
}

/* The schema option, parsed; NULL with the reason set. */
static struct bronze_node *read_schema(struct sluice_task *t,
				       const struct sluice_host *h)
{
	static const char *const added[] = {"ingest_ts", "_source",
					    "_rescued_data", NULL};
	const char *text = h->opt_string(t, "schema");
	char err[256];
	struct bronze_node *n = bronze_schema_parse(
		text ? text : BRONZE_SEED_SCHEMA, err, sizeof err);

	if (!n) {
		h->set_error(t, "schema: %s", err);
		return NULL;
	}
	for (size_t f = 0; f < n->nfields; f++)
		for (const char *const *a = added; *a; a++)
			if (!strcmp(n->fields[f].name, *a)) {
				h->set_error(t,
					     "schema: field '%s' is added by "
					     "transform-bronze and cannot be "
					     "declared",
					     *a);
				bronze_schema_free(n);
				return NULL;
			}
	return n;
}

/* The expectations option, compiled into set. */
static int read_expectations(struct sluice_task *t, const struct sluice_host *h,
			     struct expect_set *set)
{
	const char *const *items;
	size_t n = h->opt_list(t, "expectations", &items);
	char err[512];

	for (size_t k = 0; k < n; k++)
		if (expect_set_add(set, "expectations", k, items[k], err,
				   sizeof err)) {
			h->set_error(t, "%s", err);
			return -1;
		}
	return 0;
}

static enum sluice_status
bronze_check(struct sluice_task *t, const struct sluice_host *h, unsigned flags)
{
	struct bronze_node *n = read_schema(t, h);
	struct expect_set set = {0};
	int bad;

	(void)flags;
	if (!n)
		return SLUICE_FATAL;
	bronze_schema_free(n);
	bad = read_expectations(t, h, &set);
	expect_set_free(&set);
	return bad ? SLUICE_FATAL : SLUICE_OK;
}

static enum sluice_status bronze_open(struct sluice_task *t,
				      const struct sluice_host *h, void **state)
{
	struct bronze *b = calloc(1, sizeof *b);

	if (!b) {
		h->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	b->host = h;
	b->schema = read_schema(t, h);
	if (!b->schema) {
		bronze_free(b);
		return SLUICE_FATAL;
	}
	b->max_bytes = (size_t)h->opt_size(t, "max.bytes");
	b->record_time = !strcmp(h->opt_string(t, "ingest.time"), "record");
	if (bronze_scan_init(&b->scan, b->schema,
			     (int)h->opt_int(t, "max.depth"),
			     extra_mode(h->opt_string(t, "extra.fields")))) {
		h->set_error(t, "out of memory");
		bronze_free(b);
		return SLUICE_FATAL;
	}
	if (read_expectations(t, h, &b->dq)) {
		bronze_free(b);
		return SLUICE_FATAL;
	}
	b->dq_interval_ms = h->opt_duration_ms(t, "dq.interval");
	/* Deeper than the scan allows, so that the parse never refuses
	 * what the scan let through; no UTF-8 check: the scan made it. */
	jdoc_init(&b->doc, (int)h->opt_int(t, "max.depth") + 1, 0);
	*state = b;
	return SLUICE_OK;
}

static void flush_counts(struct bronze *b, struct sluice_task *t)
{
	for (int c = 0; c < COUNT_N; c++)
		if (b->counts[c]) {
			b->host->counter_add(t, "bronze_records_total",
					     count_labels[c], b->counts[c]);
			b->counts[c] = 0;
		}
	b->pending = 0;
}

static void count(struct bronze *b, struct sluice_task *t, enum bronze_count c)
{
	b->counts[c]++;
	if (++b->pending >= COUNTER_BATCH)
		flush_counts(b, t);
}

static enum bronze_count fault_count(enum bronze_fault f)
{
	switch (f) {
	case BRONZE_FAULT_JSON:
		return COUNT_JSON;
	case BRONZE_FAULT_DEPTH:
		return COUNT_DEPTH;
	case BRONZE_FAULT_UTF8:
		return COUNT_UTF8;
	default:
		return COUNT_SCHEMA;
	}
}

/* Emits the buffer; counts the record under c once it is out. */
static enum sluice_status emit(struct bronze *b, struct sluice_task *t,
			       const char *output,
			       const struct sluice_record *in,
			       enum bronze_count c)
{
	struct sluice_record r = {
		.partition = -1,
		.timestamp_ms = in->timestamp_ms,
		.key = in->key,
		.key_len = in->key_len,
		.value = b->buf.p,
		.value_len = b->buf.len,
		.headers = in->headers,
		.header_count = in->header_count,
	};

	if (b->buf.oom) {
		b->host->set_error(t, "out of memory");
		return SLUICE_RETRY;
	}
	if (b->host->emit(t, output, &r))
		return SLUICE_FATAL; /* the host set the reason */
	count(b, t, c);
	return SLUICE_OK;
}

/* The record to quarantine with one reason of our own. */
static enum sluice_status
quarantine_one(struct bronze *b, struct sluice_task *t,
	       const struct sluice_record *in, const struct bronze_origin *o,
	       enum bronze_count c, const char *reason)
{
	bronze_write_quarantine(&b->buf, in->value, in->value_len, b->max_bytes,
				&reason, 1, 0, o);
	return emit(b, t, "quarantine", in, c);
}

/* A good record with expectations declared: parsed once more, into the
 * document, and checked. */
static enum sluice_status expectations(struct bronze *b, struct sluice_task *t,
				       const struct sluice_record *in,
				       const struct bronze_origin *o)
{
	const char *reasons[BRONZE_MAX_REASONS];
	char text[BRONZE_MAX_REASONS][96];
	enum expect_verdict v;
	const struct jnode *rec;
	size_t n = 0;

	rec = jdoc_parse(&b->doc, in->value, in->value_len);
	if (!rec && b->doc.oom) {
		b->host->set_error(t, "out of memory");
		return SLUICE_RETRY;
	}
	if (!rec) {
		/* Not expected: the scan accepted the same text. */
		char why[sizeof b->doc.err + 64];

		snprintf(why, sizeof why,
			 "expectations: could not parse the value: %s",
			 b->doc.err);
		return quarantine_one(b, t, in, o, COUNT_EXPECTATION, why);
	}
	v = expect_set_eval(&b->dq, rec);
	if (v == EXPECT_FAIL_TASK) {
		b->host->set_error(t,
				   "expectation '%s' failed (on violation "
				   "fail) on topic %s, partition %d, offset "
				   "%lld: %s",
				   b->dq.fatal->name,
				   in->topic ? in->topic : "",
				   (int)in->partition, (long long)in->offset,
				   b->dq.fatal->condition);
		return SLUICE_FATAL;
	}
	if (v == EXPECT_KEEP) {
		bronze_write_good(&b->buf, &b->scan, in->value, o);
		return emit(b, t, "out", in, COUNT_OUT);
	}
	for (size_t k = 0; k < b->dq.nfailed && n < BRONZE_MAX_REASONS; k++)
		if (b->dq.failed[k]->action == EXPECT_DROP) {
			snprintf(text[n], sizeof text[n],
				 "failed expectation: %s",
				 b->dq.failed[k]->name);
			reasons[n] = text[n];
			n++;
		}
	bronze_write_quarantine(&b->buf, in->value, in->value_len, b->max_bytes,
				reasons, n, 0, o);
	return emit(b, t, "quarantine", in, COUNT_EXPECTATION);
}

static enum sluice_status bronze_process(void *state, struct sluice_task *t,
					 const struct sluice_record *in)
{
	struct bronze *b = state;
	const char *reasons[BRONZE_MAX_REASONS];
	struct bronze_origin o = {in->topic, in->partition, in->offset, 0};
	char why[96];
	long r;

	o.ingest_us = b->record_time && in->timestamp_ms > 0
			      ? in->timestamp_ms * 1000
			      : jbuf_now_us();
	jbuf_reset(&b->buf);
	if (!in->value)
		return quarantine_one(b, t, in, &o, COUNT_TOMBSTONE,
				      "no value (a tombstone)");
	if (in->value_len > b->max_bytes) {
		snprintf(why, sizeof why, "value is %zu bytes, limit %zu",
			 in->value_len, b->max_bytes);
		return quarantine_one(b, t, in, &o, COUNT_SIZE, why);
	}
	r = bronze_scan_run(&b->scan, in->value, in->value_len);
	if (r < 0) {
		b->host->set_error(t, "out of memory");
		return SLUICE_RETRY;
	}
	if (r == 0 && b->dq.n)
		return expectations(b, t, in, &o);
	if (r == 0) {
		bronze_write_good(&b->buf, &b->scan, in->value, &o);
		return emit(b, t, "out", in, COUNT_OUT);
	}
	for (size_t k = 0; k < b->scan.nreasons; k++)
		reasons[k] = bronze_scan_reason(&b->scan, k);
	bronze_write_quarantine(&b->buf, in->value, in->value_len, b->max_bytes,
				reasons, b->scan.nreasons, b->scan.more_reasons,
				&o);
	return emit(b, t, "quarantine", in, fault_count(b->scan.fault));
}

static enum sluice_status bronze_tick(void *state, struct sluice_task *t,
				      int64_t now_ms)
{
	struct bronze *b = state;
	struct sluice_record r = {.partition = -1};

	flush_counts(b, t);
	if (!b->dq.n)
		return SLUICE_OK;
	expect_set_send_counters(&b->dq, b->host, t);
	if (!b->next_dq_ms)
		b->next_dq_ms = now_ms + b->dq_interval_ms;
	if (now_ms < b->next_dq_ms)
		return SLUICE_OK;
	b->next_dq_ms = now_ms + b->dq_interval_ms;
	jbuf_reset(&b->buf);
	if (!expect_set_summary(&b->dq, &b->buf, b->host->connector_name(t),
				now_ms * 1000))
		return SLUICE_OK;
	if (b->buf.oom) {
		b->host->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	r.value = b->buf.p;
	r.value_len = b->buf.len;
	r.timestamp_ms = now_ms;
	return b->host->emit(t, "dq", &r) ? SLUICE_FATAL : SLUICE_OK;
}

static void bronze_close(void *state)
{
	bronze_free(state);
}

static const struct sluice_plugin transform_bronze = {
	SLUICE_PLUGIN_HEADER,
	.name = "transform-bronze",
	.version = "1.0.0",
	.description = "raw JSON events checked against a declared schema: "
		       "good ones with ingest_ts and _source to out, the rest "
		       "with their raw text and reasons to quarantine",
	.kind = SLUICE_KIND_TRANSFORM,
	.options = options,
	.outputs = outputs,
	.open = bronze_open,
	.close = bronze_close,
	.process = bronze_process,
	.tick = bronze_tick,
	.check = bronze_check,
};

SLUICE_PLUGIN_EXPORT(transform_bronze)
