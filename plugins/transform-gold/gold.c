/*
 * gold.c - the transform-gold plugin: its descriptor and option table,
 * and the task. Silver transactions update daily_metrics and
 * user_summary, silver items update product_summary; every update is
 * emitted at once as a full-row upsert keyed by the group. All that is
 * counted lives in the host's state store (rows.h, dedup.h, the
 * watermark), so the store and the input position move together; after
 * a restore every row is emitted once more (the first process or tick
 * after open) so that upserts lost in a crash are made good. A
 * transaction older than the watermark goes to "late" with the reason.
 * With emit.interval > 0 a changed row is only noted (dirty.h) and the
 * rows changed since the last emit go out from the store once per
 * interval and at every tick: a busy row is one upsert an interval, not
 * one an event. That needs no more care on a crash than emitting at once
 * does: the re-emit after a restore covers a row noted but not emitted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup.h"
#include "dirty.h"
#include "jbuf.h"
#include "jdoc.h"
#include "money.h"
#include "rows.h"
#include "sluice/plugin.h"

/* Counters are summed here and handed to the host every this many
 * records, and at every tick. */
#define COUNTER_BATCH 1024
/* Store keys are at most this long (the host's limit). */
#define KEY_MAX 1024
/* The watermark's store key: the latest event time seen, in us. */
#define WATERMARK_KEY "w"
/* Silver rows are flat: the bound only stops a hostile record's
 * recursion. 32 levels, as many as json-c's default took. */
#define JSON_MAX_DEPTH 32

enum gold_count {
	COUNT_TX,
	COUNT_TX_DUP,
	COUNT_TX_LATE,
	COUNT_ITEM,
	COUNT_ITEM_DUP,
	COUNT_TOMBSTONE,
	COUNT_N
};

static const char *const count_labels[COUNT_N] = {
	[COUNT_TX] = "input=\"transactions\",result=\"counted\"",
	[COUNT_TX_DUP] = "input=\"transactions\",result=\"duplicate\"",
	[COUNT_TX_LATE] = "input=\"transactions\",result=\"late\"",
	[COUNT_ITEM] = "input=\"items\",result=\"counted\"",
	[COUNT_ITEM_DUP] = "input=\"items\",result=\"duplicate\"",
	[COUNT_TOMBSTONE] = "input=\"any\",result=\"tombstone\"",
};

struct gold {
	const struct sluice_host *host;
	const char *tx_topic, *items_topic; /* the host's, until close */
	int64_t lateness_us;
	int64_t max_event_us; /* the latest event time seen */
	int have_max;
	int reemit; /* every row is to be emitted once more */
	struct gold_dedup tx, items;
	struct jdoc doc; /* reused: a parse allocates nothing once grown */
	struct jbuf key, val, enc;
	struct gold_day day; /* large: kept here, not on the stack */
	int64_t counts[COUNT_N];
	unsigned pending;
	int64_t reemitted;	   /* rows, for the counter */
	struct sluice_task *task;  /* for the re-emit callback */
	enum sluice_status status; /* of the re-emit callback */
	int64_t emit_interval_ms;  /* 0: every change at once */
	int64_t next_emit_ms;	   /* monotonic clock */
	struct gold_dirty dirty;   /* rows changed, not yet emitted */
};

static const char *const outputs[] = {"daily_metrics", "user_summary",
				      "product_summary", "late", NULL};

static const struct sluice_option options[] = {
	{"transactions.topic", SLUICE_OPT_STRING, "silver_transactions", 0, "1",
	 "249", NULL,
	 "input topic of silver transactions (transaction_id, amount, "
	 "currency, timestamp, user_id)"},
	{"items.topic", SLUICE_OPT_STRING, "silver_items", 0, "1", "249", NULL,
	 "input topic of silver items (transaction_id, item_id, name, price, "
	 "quantity, category)"},
	{"allowed.lateness", SLUICE_OPT_DURATION, "1h", 0, "0ms", "365d", NULL,
	 "how far behind the latest event time a transaction may be and "
	 "still count; older ones go to the late output"},
	{"dedup.window.count", SLUICE_OPT_INT, "100000", 0, "0", "10000000",
	 NULL,
	 "how many of the latest distinct transaction ids, and as many item "
	 "lines, are remembered to drop repeats (0: none; the host already "
	 "drops what a restarted sluice transform sends again)"},
	{"emit.interval", SLUICE_OPT_DURATION, "0ms", 0, "0ms", "1h", NULL,
	 "how long a changed row may wait to be emitted: the changes of a "
	 "row within it go out as one upsert with the latest values (0: "
	 "every change at once)"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void gold_free(struct gold *g)
{
	if (!g)
		return;
	gold_dedup_free(&g->tx);
	gold_dedup_free(&g->items);
	jdoc_free(&g->doc);
	jbuf_free(&g->key);
	jbuf_free(&g->val);
	jbuf_free(&g->enc);
	gold_dirty_free(&g->dirty);
	free(g);
}

static enum sluice_status
gold_check(struct sluice_task *t, const struct sluice_host *h, unsigned flags)
{
	(void)flags;
	if (!strcmp(h->opt_string(t, "transactions.topic"),
		    h->opt_string(t, "items.topic"))) {
		h->set_error(t,
			     "transactions.topic and items.topic are both "
			     "'%s': the record's topic tells them apart",
			     h->opt_string(t, "items.topic"));
		return SLUICE_FATAL;
	}
	return SLUICE_OK;
}

/* One store entry at open: dedup ids and the watermark. */
static int restore_entry(void *ctx, const void *key, size_t key_len,
			 const void *value, size_t value_len)
{
	struct gold *g = ctx;
	char text[24];

	if (gold_dedup_collect(&g->tx, key, key_len, value, value_len) ||
	    gold_dedup_collect(&g->items, key, key_len, value, value_len))
		return -1;
	if (key_len != 1 || memcmp(key, WATERMARK_KEY, 1))
		return 0;
	if (value_len == 0 || value_len >= sizeof text)
		return -1;
	memcpy(text, value, value_len);
	text[value_len] = '\0';
	g->max_event_us = strtoll(text, NULL, 10);
	g->have_max = 1;
	return 0;
}

static enum sluice_status gold_open(struct sluice_task *t,
				    const struct sluice_host *h, void **state)
{
	struct gold *g = calloc(1, sizeof *g);
	size_t window;

	if (!g) {
		h->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	g->host = h;
	if (h->task_count(t) > 1) {
		h->set_error(t,
			     "tasks.max is %d: transform-gold keeps each "
			     "table whole in one task's store, so it runs "
			     "as one task",
			     h->task_count(t));
		goto fail;
	}
	if (gold_check(t, h, 0) != SLUICE_OK)
		goto fail;
	g->tx_topic = h->opt_string(t, "transactions.topic");
	g->items_topic = h->opt_string(t, "items.topic");
	g->lateness_us = h->opt_duration_ms(t, "allowed.lateness") * 1000;
	window = (size_t)h->opt_int(t, "dedup.window.count");
	g->emit_interval_ms = h->opt_duration_ms(t, "emit.interval");
	g->next_emit_ms = monotonic_ms() + g->emit_interval_ms;
	/* Valid UTF-8 only: two names that differ only in bad bytes would
	 * otherwise be one output key (\ufffd) and two rows. */
	jdoc_init(&g->doc, JSON_MAX_DEPTH, JDOC_UTF8);
	if (gold_dedup_init(&g->tx, 't', window) ||
	    gold_dedup_init(&g->items, 'i', window)) {
		h->set_error(t, "out of memory");
		goto fail;
	}
	if (h->state_foreach(t, restore_entry, g)) {
		h->set_error(t, "the state store holds an entry transform-gold "
				"cannot read (or memory ran out)");
		goto fail;
	}
	if (gold_dedup_restore(&g->tx, t, h) ||
	    gold_dedup_restore(&g->items, t, h))
		goto fail;
	g->reemit = 1;
	*state = g;
	return SLUICE_OK;
fail:
	gold_free(g);
	return SLUICE_FATAL;
}

static void flush_counts(struct gold *g, struct sluice_task *t)
{
	for (int c = 0; c < COUNT_N; c++)
		if (g->counts[c]) {
			g->host->counter_add(t, "gold_records_total",
					     count_labels[c], g->counts[c]);
			g->counts[c] = 0;
		}
	if (g->reemitted) {
		g->host->counter_add(t, "gold_rows_reemitted_total", NULL,
				     g->reemitted);
		g->reemitted = 0;
	}
	g->pending = 0;
}

static void count(struct gold *g, struct sluice_task *t, enum gold_count c)
{
	g->counts[c]++;
	if (++g->pending >= COUNTER_BATCH)
		flush_counts(g, t);
}

/* key and val to output; FATAL when the host refuses. */
static enum sluice_status emit_row(struct gold *g, struct sluice_task *t,
				   const char *output, int64_t ts_ms)
{
	struct sluice_record r = {
		.partition = -1,
		.timestamp_ms = ts_ms,
		.key = g->key.p,
		.key_len = g->key.len,
		.value = g->val.p,
		.value_len = g->val.len,
	};

	if (g->key.oom || g->val.oom) {
		g->host->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	return g->host->emit(t, output, &r) ? SLUICE_FATAL : SLUICE_OK;
}

/* The row of one store entry into g->key and g->val, its output in
 * *output: 0; 1 when the entry is no row (dedup ids, the watermark); -1
 * when it does not decode (the task's error is set). */
static int row_of(struct gold *g, struct sluice_task *t, const void *key,
		  size_t key_len, const void *value, size_t value_len,
		  const char **output)
{
	struct gold_user u;
	struct gold_product p;

	if (!gold_day_from_key(&g->day, key, key_len)) {
		if (gold_day_decode(&g->day, value, value_len))
			goto corrupt;
		gold_day_row(&g->key, &g->val, &g->day);
		*output = "daily_metrics";
	} else if (!gold_user_from_key(&u, key, key_len)) {
		if (gold_user_decode(&u, value, value_len))
			goto corrupt;
		gold_user_row(&g->key, &g->val, &u);
		*output = "user_summary";
	} else if (!gold_product_from_key(&p, key, key_len)) {
		if (gold_product_decode(&p, value, value_len))
			goto corrupt;
		gold_product_row(&g->key, &g->val, &p);
		*output = "product_summary";
	} else {
		return 1;
	}
	return 0;
corrupt:
	g->host->set_error(t, "state entry '%.*s' is not a gold row",
			   (int)(key_len > 64 ? 64 : key_len),
			   (const char *)key);
	return -1;
}

/* One store entry after a restore: rows are emitted again. */
static int reemit_entry(void *ctx, const void *key, size_t key_len,
			const void *value, size_t value_len)
{
	struct gold *g = ctx;
	const char *output;
	int r = row_of(g, g->task, key, key_len, value, value_len, &output);

	if (r < 0) {
		g->status = SLUICE_FATAL;
		return -1;
	}
	if (r > 0)
		return 0;
	g->status = emit_row(g, g->task, output, 0);
	if (g->status != SLUICE_OK)
		return -1;
	g->reemitted++;
	return 0;
}

static enum sluice_status reemit_all(struct gold *g, struct sluice_task *t)
{
	g->task = t;
	g->status = SLUICE_OK;
	if (g->host->state_foreach(t, reemit_entry, g))
		return g->status;
	g->reemit = 0;
	return SLUICE_OK;
}

/* The rows changed since the last emit, from the store, each with the
 * timestamp of the newest input that changed it. */
static enum sluice_status emit_dirty(struct gold *g, struct sluice_task *t)
{
	enum sluice_status st = SLUICE_OK;

	for (size_t k = 0; k < g->dirty.n && st == SLUICE_OK; k++) {
		const struct gold_dirty_key *d = &g->dirty.v[k];
		const char *output;
		size_t vlen;
		const void *v = g->host->state_get(t, d->key, d->len, &vlen);
		int r = v ? row_of(g, t, d->key, d->len, v, vlen, &output) : 1;
		if (r < 0)
			st = SLUICE_FATAL;
		else if (r == 0)
			st = emit_row(g, t, output, d->ts_ms);
	}
	if (st == SLUICE_OK)
		gold_dirty_clear(&g->dirty);
	g->next_emit_ms = monotonic_ms() + g->emit_interval_ms;
	return st;
}

/* The row under key changed: emitted at once (built in g->key and
 * g->val by the caller's build), or noted for the next emit. */
static enum sluice_status changed(struct gold *g, struct sluice_task *t,
				  const char *output, const char *key,
				  size_t key_len, int64_t ts_ms)
{
	if (!g->emit_interval_ms)
		return emit_row(g, t, output, ts_ms);
	if (gold_dirty_mark(&g->dirty, key, key_len, ts_ms)) {
		g->host->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	return SLUICE_OK;
}

/* A money member (a JSON number) in cents; -1 with the reason set. */
static int money_member(struct gold *g, struct sluice_task *t,
			const struct jnode *o, const char *name, int64_t *cents)
{
	const struct jnode *v = jnode_get(o, name);

	if (!v || (v->type != JT_DOUBLE && v->type != JT_INT)) {
		g->host->set_error(t, "'%s' is missing or not a number", name);
		return -1;
	}
	/* The number's own text, as written: a double's value could not
	 * say 0.1 exactly. */
	if (gold_money_parse(v->str, v->len, cents)) {
		g->host->set_error(t,
				   "'%s' is %.*s: not an amount of at most "
				   "%lld.00",
				   name, (int)(v->len > 40 ? 40 : v->len),
				   v->str, GOLD_MONEY_MAX / 100);
		return -1;
	}
	return 0;
}

static const char *string_member(struct gold *g, struct sluice_task *t,
				 const struct jnode *o, const char *name,
				 size_t *n)
{
	const struct jnode *v = jnode_get(o, name);

	if (!v || v->type != JT_STRING) {
		g->host->set_error(t, "'%s' is missing or not a string", name);
		return NULL;
	}
	*n = v->len;
	return v->str;
}

/* An integer past 64 bits is a double to jdoc: refused, not clamped to
 * INT64_MAX, which would count it to another user or quantity. */
static int int_member(struct gold *g, struct sluice_task *t,
		      const struct jnode *o, const char *name, int64_t *v)
{
	const struct jnode *j = jnode_get(o, name);

	if (!j || j->type != JT_INT) {
		g->host->set_error(t, "'%s' is missing or not an integer",
				   name);
		return -1;
	}
	*v = j->i;
	return 0;
}

/* "1h", "90m", "1500ms": a duration as the option syntax writes it. */
static void format_duration(char *p, size_t cap, int64_t ms)
{
	static const struct {
		int64_t ms;
		const char *unit;
	} units[] = {
		{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};

	for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
		if (ms && ms % units[k].ms == 0) {
			snprintf(p, cap, "%lld%s",
				 (long long)(ms / units[k].ms), units[k].unit);
			return;
		}
	snprintf(p, cap, "%lldms", (long long)ms);
}

/* A transaction behind the watermark, to "late" with the reason. */
static enum sluice_status emit_late(struct gold *g, struct sluice_task *t,
				    const struct sluice_record *in,
				    int64_t event_us)
{
	char at[27], wm[27], latest[27], lateness[32];
	struct sluice_record r = {
		.partition = -1,
		.timestamp_ms = in->timestamp_ms,
		.key = in->key,
		.key_len = in->key_len,
		.headers = in->headers,
		.header_count = in->header_count,
	};

	jbuf_format_time_us(at, event_us);
	jbuf_format_time_us(wm, g->max_event_us - g->lateness_us);
	jbuf_format_time_us(latest, g->max_event_us);
	format_duration(lateness, sizeof lateness, g->lateness_us / 1000);
	jbuf_reset(&g->val);
	JBUF_LIT(&g->val, "{\"reason\": \"event time ");
	jbuf_put(&g->val, at, sizeof at);
	JBUF_LIT(&g->val, " is before the watermark ");
	jbuf_put(&g->val, wm, sizeof wm);
	JBUF_LIT(&g->val, " (latest event time ");
	jbuf_put(&g->val, latest, sizeof latest);
	JBUF_LIT(&g->val, " minus allowed.lateness ");
	jbuf_put(&g->val, lateness, strlen(lateness));
	JBUF_LIT(&g->val, ")\", \"watermark\": ");
	jbuf_time_us(&g->val, g->max_event_us - g->lateness_us);
	JBUF_LIT(&g->val, ", \"_source\": {\"topic\": ");
	jbuf_cstr(&g->val, in->topic ? in->topic : "");
	JBUF_LIT(&g->val, ", \"partition\": ");
	jbuf_i64(&g->val, in->partition);
	JBUF_LIT(&g->val, ", \"offset\": ");
	jbuf_i64(&g->val, in->offset);
	JBUF_LIT(&g->val, "}, \"record\": ");
	jbuf_put(&g->val, in->value, in->value_len);
	jbuf_putc(&g->val, '}');
	if (g->val.oom) {
		g->host->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	r.value = g->val.p;
	r.value_len = g->val.len;
	if (g->host->emit(t, "late", &r))
		return SLUICE_FATAL;
	count(g, t, COUNT_TX_LATE);
	return SLUICE_OK;
}

/* value -> store entry, FATAL with the host's reason when refused. */
static enum sluice_status put(struct gold *g, struct sluice_task *t,
			      const char *key, size_t key_len)
{
	if (g->enc.oom) {
		g->host->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	return g->host->state_put(t, key, key_len, g->enc.p, g->enc.len)
		       ? SLUICE_FATAL
		       : SLUICE_OK;
}

static enum sluice_status transaction(struct gold *g, struct sluice_task *t,
				      const struct sluice_record *in,
				      const struct jnode *o)
{
	const char *tid, *cur, *ts;
	size_t tid_len, cur_len, ts_len, vlen, klen;
	int64_t amount, user_id, event_us;
	char key[KEY_MAX], dkey[16], ukey[32], wm[24];
	size_t dkey_len, ukey_len;
	const char *v;
	struct gold_user u = {0};
	enum sluice_status st;
	int n;

	/* Everything is checked before anything is changed. */
	if (!(tid = string_member(g, t, o, "transaction_id", &tid_len)) ||
	    money_member(g, t, o, "amount", &amount) ||
	    !(cur = string_member(g, t, o, "currency", &cur_len)) ||
	    !(ts = string_member(g, t, o, "timestamp", &ts_len)) ||
	    int_member(g, t, o, "user_id", &user_id))
		return SLUICE_REJECT;
	if (!gold_currency_ok(cur, cur_len)) {
		g->host->set_error(t,
				   "'currency' is not a code of 1..%d letters, "
				   "digits, '_', '.' or '-'",
				   GOLD_CURRENCY_MAX);
		return SLUICE_REJECT;
	}
	if (gold_time_parse(ts, ts_len, &event_us)) {
		g->host->set_error(t, "'timestamp' is not an ISO 8601 UTC time "
				      "like 2026-01-21T00:39:04.153833Z");
		return SLUICE_REJECT;
	}
	klen = gold_dedup_key(&g->tx, key, sizeof key, tid, tid_len);
	if (!tid_len || !klen) {
		g->host->set_error(t, "'transaction_id' is empty or longer "
				      "than 1022 bytes");
		return SLUICE_REJECT;
	}
	if (gold_dedup_seen(&g->tx, t, g->host, key, klen)) {
		count(g, t, COUNT_TX_DUP);
		return SLUICE_OK;
	}
	if (g->have_max && event_us < g->max_event_us - g->lateness_us) {
		if (gold_dedup_add(&g->tx, t, g->host, key, klen))
			return SLUICE_FATAL;
		return emit_late(g, t, in, event_us);
	}

	/* The new rows, in memory first: an overflow refuses the record
	 * with nothing written. */
	gold_date_of(event_us, g->day.date);
	dkey_len = gold_day_key(dkey, sizeof dkey, g->day.date);
	v = g->host->state_get(t, dkey, dkey_len, &vlen);
	g->day.transactions = g->day.revenue = 0;
	g->day.ncur = 0;
	if (v && gold_day_decode(&g->day, v, vlen))
		goto corrupt_day;
	u.user_id = user_id;
	ukey_len = gold_user_key(ukey, sizeof ukey, user_id);
	v = g->host->state_get(t, ukey, ukey_len, &vlen);
	if (v && gold_user_decode(&u, v, vlen))
		goto corrupt_user;
	if (!v)
		u.first_us = u.last_us = event_us;
	if (gold_day_add(&g->day, cur, cur_len, amount) ||
	    __builtin_add_overflow(u.spent, amount, &u.spent)) {
		g->host->set_error(t, "the totals would overflow (or the day "
				      "would hold too many currencies)");
		return SLUICE_REJECT;
	}
	u.transactions++;
	if (event_us < u.first_us)
		u.first_us = event_us;
	if (event_us > u.last_us)
		u.last_us = event_us;

	if (gold_dedup_add(&g->tx, t, g->host, key, klen))
		return SLUICE_FATAL;
	if (!g->have_max || event_us > g->max_event_us) {
		g->max_event_us = event_us;
		g->have_max = 1;
		n = (int)(jbuf_dec(wm, event_us) - wm);
		if (g->host->state_put(t, WATERMARK_KEY, 1, wm, (size_t)n))
			return SLUICE_FATAL;
	}
	gold_day_encode(&g->enc, &g->day);
	if ((st = put(g, t, dkey, dkey_len)) != SLUICE_OK)
		return st;
	gold_user_encode(&g->enc, &u);
	if ((st = put(g, t, ukey, ukey_len)) != SLUICE_OK)
		return st;
	count(g, t, COUNT_TX);
	if (!g->emit_interval_ms)
		gold_day_row(&g->key, &g->val, &g->day);
	if ((st = changed(g, t, "daily_metrics", dkey, dkey_len,
			  in->timestamp_ms)) != SLUICE_OK)
		return st;
	if (!g->emit_interval_ms)
		gold_user_row(&g->key, &g->val, &u);
	return changed(g, t, "user_summary", ukey, ukey_len, in->timestamp_ms);
corrupt_day:
	g->host->set_error(t, "state entry '%.*s' is not a gold row",
			   (int)dkey_len, dkey);
	return SLUICE_FATAL;
corrupt_user:
	g->host->set_error(t, "state entry '%.*s' is not a gold row",
			   (int)ukey_len, ukey);
	return SLUICE_FATAL;
}

static enum sluice_status item(struct gold *g, struct sluice_task *t,
			       const struct sluice_record *in,
			       const struct jnode *o)
{
	const char *tid, *iid;
	size_t tid_len, iid_len, vlen, klen, pkey_len;
	int64_t price, qty, revenue;
	char id[KEY_MAX], key[KEY_MAX], pkey[KEY_MAX];
	struct gold_product p = {0};
	const char *v;
	enum sluice_status st;
	int n;

	if (!(tid = string_member(g, t, o, "transaction_id", &tid_len)) ||
	    !(iid = string_member(g, t, o, "item_id", &iid_len)) ||
	    !(p.name = string_member(g, t, o, "name", &p.name_len)) ||
	    money_member(g, t, o, "price", &price) ||
	    int_member(g, t, o, "quantity", &qty) ||
	    !(p.category = string_member(g, t, o, "category", &p.category_len)))
		return SLUICE_REJECT;
	/* (transaction_id, item_id) as one id: <len>:<tid><item_id>. */
	n = (int)(jbuf_dec(id, (int64_t)tid_len) - id);
	id[n++] = ':';
	klen = 0;
	if ((size_t)n + tid_len + iid_len <= sizeof id) {
		memcpy(id + n, tid, tid_len);
		memcpy(id + n + tid_len, iid, iid_len);
		klen = gold_dedup_key(&g->items, key, sizeof key, id,
				      (size_t)n + tid_len + iid_len);
	}
	pkey_len = gold_product_key(pkey, sizeof pkey, &p);
	if (!klen || !pkey_len) {
		g->host->set_error(t, "the item's ids, or its name and "
				      "category, are too long for a store key "
				      "(1024 bytes)");
		return SLUICE_REJECT;
	}
	if (gold_dedup_seen(&g->items, t, g->host, key, klen)) {
		count(g, t, COUNT_ITEM_DUP);
		return SLUICE_OK;
	}
	v = g->host->state_get(t, pkey, pkey_len, &vlen);
	if (v && gold_product_decode(&p, v, vlen)) {
		g->host->set_error(t,
				   "state entry for product '%.*s' is not a "
				   "gold row",
				   (int)(p.name_len > 64 ? 64 : p.name_len),
				   p.name);
		return SLUICE_FATAL;
	}
	if (__builtin_mul_overflow(price, qty, &revenue) ||
	    __builtin_add_overflow(p.revenue, revenue, &p.revenue) ||
	    __builtin_add_overflow(p.units, qty, &p.units) ||
	    __builtin_add_overflow(p.times, 1, &p.times)) {
		g->host->set_error(t, "the product's totals would overflow");
		return SLUICE_REJECT;
	}
	if (gold_dedup_add(&g->items, t, g->host, key, klen))
		return SLUICE_FATAL;
	gold_product_encode(&g->enc, &p);
	if ((st = put(g, t, pkey, pkey_len)) != SLUICE_OK)
		return st;
	count(g, t, COUNT_ITEM);
	if (!g->emit_interval_ms)
		gold_product_row(&g->key, &g->val, &p);
	return changed(g, t, "product_summary", pkey, pkey_len,
		       in->timestamp_ms);
}

static enum sluice_status process_record(struct gold *g, struct sluice_task *t,
					 const struct sluice_record *in);

static enum sluice_status gold_process(void *state, struct sluice_task *t,
				       const struct sluice_record *in)
{
	struct gold *g = state;
	enum sluice_status st;
	int reemitted = g->reemit;

	if (g->reemit && (st = reemit_all(g, t)) != SLUICE_OK)
		return st;
	st = process_record(g, t, in);
	/* The host drops what a refused record emitted: the re-emit too,
	 * and the noted rows stay noted. */
	if (st != SLUICE_OK && reemitted)
		g->reemit = 1;
	if (st == SLUICE_OK && g->dirty.n && monotonic_ms() >= g->next_emit_ms)
		st = emit_dirty(g, t);
	return st;
}

static enum sluice_status process_record(struct gold *g, struct sluice_task *t,
					 const struct sluice_record *in)
{
	const struct jnode *o;
	int is_tx;

	if (!in->value) {
		count(g, t, COUNT_TOMBSTONE);
		return SLUICE_OK;
	}
	is_tx = in->topic && !strcmp(in->topic, g->tx_topic);
	if (!is_tx && !(in->topic && !strcmp(in->topic, g->items_topic))) {
		g->host->set_error(t,
				   "topic '%s' is neither transactions.topic "
				   "(%s) nor items.topic (%s)",
				   in->topic ? in->topic : "", g->tx_topic,
				   g->items_topic);
		return SLUICE_REJECT;
	}
	o = jdoc_parse(&g->doc, in->value, in->value_len);
	/* Memory running out says nothing about the record: not a reject. */
	if (!o && g->doc.oom) {
		g->host->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	if (!o || o->type != JT_OBJECT) {
		g->host->set_error(t, "the value is not one JSON object");
		return SLUICE_REJECT;
	}
	return is_tx ? transaction(g, t, in, o) : item(g, t, in, o);
}

static enum sluice_status gold_tick(void *state, struct sluice_task *t,
				    int64_t now_ms)
{
	struct gold *g = state;
	enum sluice_status st = SLUICE_OK;

	(void)now_ms;
	if (g->reemit)
		st = reemit_all(g, t);
	if (st == SLUICE_OK && g->dirty.n)
		st = emit_dirty(g, t);
	flush_counts(g, t);
	return st;
}

static void gold_close(void *state)
{
	gold_free(state);
}

static const struct sluice_plugin transform_gold = {
	SLUICE_PLUGIN_HEADER,
	.name = "transform-gold",
	.version = "1.0.0",
	.description = "silver transactions and items into the gold tables "
		       "daily_metrics, user_summary and product_summary, as "
		       "upserts, exact after any restart; late data to late",
	.kind = SLUICE_KIND_TRANSFORM,
	.options = options,
	.outputs = outputs,
	.open = gold_open,
	.close = gold_close,
	.process = gold_process,
	.tick = gold_tick,
	.check = gold_check,
	.flags = SLUICE_PLUGIN_STATEFUL,
};

SLUICE_PLUGIN_EXPORT(transform_gold)
