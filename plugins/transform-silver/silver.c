/*
 * silver.c - the transform-silver plugin: its descriptor and option table,
 * and the task. Each bronze record is parsed once (jdoc.h), checked
 * against the data-quality expectations, and split into the silver
 * tables: one `transactions` row per new transaction id, one `items` row
 * per line item, and a `users` row when the user is new or changed.
 * Duplicates are suppressed over a bounded window (window.c); the window
 * and the user profiles live in the host's state store, which moves with
 * the input position, so a restarted task neither re-emits nor misses.
 * Records an expectation drops, or that silver cannot split, go to
 * `quarantine`; the expectations' counts go to `dq` every dq.interval.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "jbuf.h"
#include "jdoc.h"
#include "rows.h"
#include "sluice/plugin.h"
#include "window.h"

/* Counters are summed here and handed to the host every this many
 * records, and at every tick. */
#define COUNTER_BATCH 1024
/* The nesting limit for the input (bronze allows 32 by default). */
#define PARSE_DEPTH 128
/* Reasons in one quarantine record, at most. */
#define MAX_REASONS 16

enum silver_count {
	COUNT_TRANSACTIONS,
	COUNT_ITEMS,
	COUNT_USERS_INSERT,
	COUNT_USERS_UPDATE,
	COUNT_Q_EXPECTATION,
	COUNT_Q_INVALID,
	COUNT_DUP_SAME,
	COUNT_DUP_CONFLICT,
	COUNT_DUP_ITEM,
	COUNT_EVICT_COUNT,
	COUNT_EVICT_TIME,
	COUNT_N
};

static const struct {
	const char *name, *labels;
} count_names[COUNT_N] = {
	[COUNT_TRANSACTIONS] = {"silver_records_total",
				"output=\"transactions\""},
	[COUNT_ITEMS] = {"silver_records_total", "output=\"items\""},
	[COUNT_USERS_INSERT] = {"silver_records_total",
				"output=\"users\",op=\"insert\""},
	[COUNT_USERS_UPDATE] = {"silver_records_total",
				"output=\"users\",op=\"update\""},
	[COUNT_Q_EXPECTATION] =
		{"silver_records_total",
		 "output=\"quarantine\",reason=\"expectation\""},
	[COUNT_Q_INVALID] = {"silver_records_total",
			     "output=\"quarantine\",reason=\"invalid\""},
	[COUNT_DUP_SAME] = {"silver_duplicates_total", "kind=\"same\""},
	[COUNT_DUP_CONFLICT] = {"silver_duplicates_total", "kind=\"conflict\""},
	[COUNT_DUP_ITEM] = {"silver_duplicates_total", "kind=\"item\""},
	[COUNT_EVICT_COUNT] = {"silver_window_evictions_total",
			       "bound=\"count\""},
	[COUNT_EVICT_TIME] = {"silver_window_evictions_total",
			      "bound=\"time\""},
};

/* One line item of the record being split: where its row is in rows,
 * its item_id, whether an earlier item had the same id. */
struct item_row {
	size_t off, len;
	const char *id;
	size_t id_len;
	size_t index;
	int dup;
};

struct silver {
	const struct sluice_host *host;
	struct expect_set dq;
	struct jdoc doc; /* the record, parsed: reused */
	struct silver_window win;
	struct jbuf rows;    /* the transaction row, then the items' */
	struct jbuf user;    /* the users row */
	struct jbuf profile; /* name, age, email, address: what changes */
	struct jbuf buf;     /* quarantine and dq records */
	struct item_row *items;
	size_t nitems, cap_items;
	int64_t counts[COUNT_N];
	unsigned pending;
	uint64_t evicted_count, evicted_time; /* already counted */
	int64_t dq_interval_ms, next_dq_ms;
};

static const char *const outputs[] = {"transactions", "users", "items",
				      "quarantine",   "dq",    NULL};

#define DEFAULT_EXPECTATIONS                                                   \
	"valid_email on violation drop, positive_amount on violation drop, "   \
	"amount_matches_items on violation drop, known_currency on violation " \
	"drop, user_id_present on violation drop"

static const struct sluice_option options[] = {
	{"expectations", SLUICE_OPT_LIST, DEFAULT_EXPECTATIONS, 0, NULL, NULL,
	 NULL,
	 "data-quality expectations on the bronze record, each `name expect "
	 "(condition) on violation warn|drop row|fail update`, or a shipped "
	 "one by name: " EXPECT_BUILTIN_NAMES "; default: all five, drop"},
	{"dedup.window.count", SLUICE_OPT_INT, "100000", 0, "0", "100000000",
	 NULL,
	 "transaction ids remembered for duplicate suppression, at most (0: "
	 "no count bound)"},
	{"dedup.window.time", SLUICE_OPT_DURATION, "0ms", 0, "0ms", "3650d",
	 NULL,
	 "forget a transaction id once the event time has moved this far past "
	 "it (0: no time bound)"},
	{"dq.interval", SLUICE_OPT_DURATION, "1m", 0, "1s", "1d", NULL,
	 "how often the expectations' counts go to the dq output"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static void silver_free(struct silver *s)
{
	if (!s)
		return;
	expect_set_free(&s->dq);
	jdoc_free(&s->doc);
	silver_window_free(&s->win);
	jbuf_free(&s->rows);
	jbuf_free(&s->user);
	jbuf_free(&s->profile);
	jbuf_free(&s->buf);
	free(s->items);
	free(s);
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

static int check_window(struct sluice_task *t, const struct sluice_host *h)
{
	if (h->opt_int(t, "dedup.window.count") == 0 &&
	    h->opt_duration_ms(t, "dedup.window.time") == 0) {
		h->set_error(t, "dedup.window.count and dedup.window.time are "
				"both 0: the window of transaction ids would "
				"grow without bound; set one of them");
		return -1;
	}
	return 0;
}

static enum sluice_status
silver_check(struct sluice_task *t, const struct sluice_host *h, unsigned flags)
{
	struct expect_set set = {0};
	int bad;

	(void)flags;
	if (check_window(t, h))
		return SLUICE_FATAL;
	bad = read_expectations(t, h, &set);
	expect_set_free(&set);
	return bad ? SLUICE_FATAL : SLUICE_OK;
}

static enum sluice_status silver_open(struct sluice_task *t,
				      const struct sluice_host *h, void **state)
{
	struct silver *s;

	if (h->size < offsetof(struct sluice_host, state_foreach) +
			      sizeof h->state_foreach ||
	    !h->state_foreach) {
		h->set_error(t, "transform-silver needs a host with the state "
				"store (ABI 1.2)");
		return SLUICE_FATAL;
	}
	if (check_window(t, h))
		return SLUICE_FATAL;
	s = calloc(1, sizeof *s);
	if (!s) {
		h->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	s->host = h;
	if (read_expectations(t, h, &s->dq))
		goto fail;
	s->dq_interval_ms = h->opt_duration_ms(t, "dq.interval");
	/* No UTF-8 check: the rows' writer (jbuf_str) replaces what is not
	 * UTF-8, as it did when json-c let such strings through. */
	jdoc_init(&s->doc, PARSE_DEPTH, 0);
	if (silver_window_open(
		    &s->win, h, t, h->opt_int(t, "dedup.window.count"),
		    h->opt_duration_ms(t, "dedup.window.time") * 1000))
		goto fail;
	s->evicted_count = s->win.evicted_count;
	s->evicted_time = s->win.evicted_time;
	*state = s;
	return SLUICE_OK;
fail:
	silver_free(s);
	return SLUICE_FATAL;
}

/* ---- counting ---- */

static void flush_counts(struct silver *s, struct sluice_task *t)
{
	s->counts[COUNT_EVICT_COUNT] +=
		(int64_t)(s->win.evicted_count - s->evicted_count);
	s->counts[COUNT_EVICT_TIME] +=
		(int64_t)(s->win.evicted_time - s->evicted_time);
	s->evicted_count = s->win.evicted_count;
	s->evicted_time = s->win.evicted_time;
	for (int c = 0; c < COUNT_N; c++)
		if (s->counts[c]) {
			s->host->counter_add(t, count_names[c].name,
					     count_names[c].labels,
					     s->counts[c]);
			s->counts[c] = 0;
		}
	s->pending = 0;
}

static void count(struct silver *s, struct sluice_task *t, enum silver_count c)
{
	s->counts[c]++;
	if (++s->pending >= COUNTER_BATCH)
		flush_counts(s, t);
}

/* ---- output ---- */

static int emit(struct silver *s, struct sluice_task *t, const char *output,
		const struct sluice_record *in, const void *key, size_t key_len,
		const char *value, size_t len)
{
	struct sluice_record r = {
		.partition = -1,
		.timestamp_ms = in->timestamp_ms,
		.key = key,
		.key_len = key_len,
		.value = value,
		.value_len = len,
		.headers = in->headers,
		.header_count = in->header_count,
	};

	return s->host->emit(t, output, &r);
}

/* The input to quarantine with its reasons and, for a drop, the names of
 * the expectations that dropped it. */
static enum sluice_status quarantine(struct silver *s, struct sluice_task *t,
				     const struct sluice_record *in,
				     const char *const *reasons, size_t n,
				     const char *const *names, size_t nnames,
				     enum silver_count c)
{
	struct jbuf *b = &s->buf;

	jbuf_reset(b);
	JBUF_LIT(b, "{\"_rescued_data\": ");
	if (!in->value) {
		JBUF_LIT(b, "null");
	} else if (jbuf_str(b, in->value, in->value_len)) {
		JBUF_LIT(b, ", \"_rescued_data_base64\": ");
		jbuf_base64(b, in->value, in->value_len);
	}
	JBUF_LIT(b, ", \"_errors\": [");
	for (size_t k = 0; k < n; k++) {
		if (k)
			JBUF_LIT(b, ", ");
		jbuf_cstr(b, reasons[k]);
	}
	jbuf_putc(b, ']');
	if (nnames) {
		JBUF_LIT(b, ", \"_expectations\": [");
		for (size_t k = 0; k < nnames; k++) {
			if (k)
				JBUF_LIT(b, ", ");
			jbuf_cstr(b, names[k]);
		}
		jbuf_putc(b, ']');
	}
	JBUF_LIT(b, ", \"_source\": {\"topic\": ");
	jbuf_cstr(b, in->topic ? in->topic : "");
	JBUF_LIT(b, ", \"partition\": ");
	jbuf_i64(b, in->partition);
	JBUF_LIT(b, ", \"offset\": ");
	jbuf_i64(b, in->offset);
	JBUF_LIT(b, "}}");
	if (b->oom) {
		s->host->set_error(t, "out of memory");
		return SLUICE_RETRY;
	}
	if (emit(s, t, "quarantine", in, in->key, in->key_len, b->p, b->len))
		return SLUICE_FATAL; /* the host set the reason */
	count(s, t, c);
	return SLUICE_OK;
}

static enum sluice_status invalid(struct silver *s, struct sluice_task *t,
				  const struct sluice_record *in,
				  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The input to quarantine with one reason of silver's own. */
static enum sluice_status invalid(struct silver *s, struct sluice_task *t,
				  const struct sluice_record *in,
				  const char *fmt, ...)
{
	char why[256];
	const char *r = why;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return quarantine(s, t, in, &r, 1, NULL, 0, COUNT_Q_INVALID);
}

static enum sluice_status dropped(struct silver *s, struct sluice_task *t,
				  const struct sluice_record *in)
{
	const char *reasons[MAX_REASONS], *names[MAX_REASONS];
	char text[MAX_REASONS][96];
	size_t n = 0;

	for (size_t k = 0; k < s->dq.nfailed && n < MAX_REASONS; k++)
		if (s->dq.failed[k]->action == EXPECT_DROP) {
			snprintf(text[n], sizeof text[n],
				 "failed expectation: %s",
				 s->dq.failed[k]->name);
			reasons[n] = text[n];
			names[n] = s->dq.failed[k]->name;
			n++;
		}
	return quarantine(s, t, in, reasons, n, names, n, COUNT_Q_EXPECTATION);
}

/* ---- splitting ---- */

static int by_id(const void *a, const void *b)
{
	const struct item_row *x = a, *y = b;
	size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
	int c = memcmp(x->id, y->id, n);

	if (c)
		return c;
	if (x->id_len != y->id_len)
		return x->id_len < y->id_len ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int by_index(const void *a, const void *b)
{
	const struct item_row *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* Marks every item whose item_id an earlier item of the record has. */
static void mark_duplicate_items(struct silver *s)
{
	if (s->nitems < 2)
		return;
	qsort(s->items, s->nitems, sizeof *s->items, by_id);
	for (size_t k = 1; k < s->nitems; k++)
		s->items[k].dup =
			s->items[k].id_len == s->items[k - 1].id_len &&
			!memcmp(s->items[k].id, s->items[k - 1].id,
				s->items[k].id_len);
	qsort(s->items, s->nitems, sizeof *s->items, by_index);
}

static int add_item(struct silver *s)
{
	if (s->nitems == s->cap_items) {
		size_t cap = s->cap_items ? s->cap_items * 2 : 16;
		struct item_row *v = realloc(s->items, cap * sizeof *v);

		if (!v)
			return -1;
		s->items = v;
		s->cap_items = cap;
	}
	s->nitems++;
	return 0;
}

/* The transaction row and the item rows of rec into s->rows and
 * s->items. Returns NULL, or what makes rec impossible to split (why
 * holds the text). */
static const char *write_rows(struct silver *s, const struct jnode *rec,
			      const struct jnode *txid, char *why, size_t len)
{
	const struct jnode *items = jnode_get(rec, "items");
	const struct jnode *category = jnode_get(rec, "category");
	const struct jnode *it = NULL;
	struct jbuf *b = &s->rows;
	size_t n = 0;

	jbuf_reset(b);
	s->nitems = 0;
	JBUF_LIT(b, "{\"transaction_id\": ");
	silver_col_str(b, txid);
	JBUF_LIT(b, ", \"amount\": ");
	silver_col_money(b, jnode_get(rec, "amount"));
	JBUF_LIT(b, ", \"currency\": ");
	silver_col_str(b, jnode_get(rec, "currency"));
	JBUF_LIT(b, ", \"timestamp\": ");
	silver_col_str(b, jnode_get(rec, "timestamp"));
	JBUF_LIT(b, ", \"user_id\": ");
	silver_col_int(b, jnode_get(jnode_get(rec, "user"), "user_id"));
	jbuf_putc(b, '}');
	if (items && items->type != JT_NULL) {
		if (items->type != JT_ARRAY) {
			snprintf(why, len, "items: expected array, got %s",
				 jnode_type_name(items));
			return why;
		}
		n = items->len;
		it = items + 1;
	}
	for (size_t k = 0; k < n; k++, it += it->skip) {
		const struct jnode *id = jnode_get(it, "item_id");
		struct item_row *r;
		const char *ids;
		size_t idlen;

		if (it->type != JT_OBJECT) {
			snprintf(why, len,
				 "items[%zu]: expected object, got %s", k,
				 jnode_type_name(it));
			return why;
		}
		ids = silver_str(id, &idlen);
		if (!ids) {
			snprintf(why, len,
				 "items[%zu].item_id: expected string, got %s",
				 k, id ? jnode_type_name(id) : "nothing");
			return why;
		}
		if (add_item(s)) {
			snprintf(why, len, "out of memory");
			return why;
		}
		r = &s->items[s->nitems - 1];
		*r = (struct item_row){b->len, 0, ids, idlen, k, 0};
		JBUF_LIT(b, "{\"transaction_id\": ");
		silver_col_str(b, txid);
		JBUF_LIT(b, ", \"item_id\": ");
		jbuf_str(b, ids, idlen);
		JBUF_LIT(b, ", \"name\": ");
		silver_col_str(b, jnode_get(it, "name"));
		JBUF_LIT(b, ", \"price\": ");
		silver_col_money(b, jnode_get(it, "price"));
		JBUF_LIT(b, ", \"quantity\": ");
		silver_col_int(b, jnode_get(it, "quantity"));
		JBUF_LIT(b, ", \"category\": ");
		silver_col_str(b, category);
		jbuf_putc(b, '}');
		r->len = b->len - r->off;
	}
	return NULL;
}

/* The user of rec, when it has an integer user_id: whether its profile
 * is new or changed (then the users row is in s->user and *version is
 * its version), or the same as stored. Returns -1 when there is no
 * user, 0 unchanged, 1 to emit. */
static int user_change(struct silver *s, struct sluice_task *t,
		       const struct jnode *rec, char *key, size_t *key_len,
		       uint64_t *version)
{
	const struct jnode *user = jnode_get(rec, "user");
	const struct jnode *uid = jnode_get(user, "user_id");
	struct jbuf *p = &s->profile, *b = &s->user;
	const unsigned char *old;
	size_t old_len;

	if (!uid || uid->type != JT_INT)
		return -1;
	key[0] = 'u';
	key[1] = ':';
	*key_len = (size_t)(jbuf_dec(key + 2, uid->i) - key);
	jbuf_reset(p);
	/* Room for the version in front: the store's value is both. */
	JBUF_LIT(p, "vvvvvvvv\"name\": ");
	silver_col_str(p, jnode_get(user, "name"));
	JBUF_LIT(p, ", \"age\": ");
	silver_col_int(p, jnode_get(user, "age"));
	JBUF_LIT(p, ", \"email\": ");
	silver_col_str(p, jnode_get(user, "email"));
	JBUF_LIT(p, ", \"address\": ");
	silver_col_str(p, jnode_get(user, "address"));
	old = s->host->state_get(t, key, *key_len, &old_len);
	if (old && old_len == p->len && !memcmp(old + 8, p->p + 8, p->len - 8))
		return 0;
	*version = old && old_len >= 8 ? silver_get_u64(old) + 1 : 1;
	if (!p->oom)
		silver_put_u64((unsigned char *)p->p, *version);
	jbuf_reset(b);
	JBUF_LIT(b, "{\"user_id\": ");
	silver_col_int(b, uid);
	JBUF_LIT(b, ", ");
	jbuf_put(b, p->p + 8, p->len - 8);
	JBUF_LIT(b, ", \"op\": ");
	if (*version == 1)
		JBUF_LIT(b, "\"insert\"");
	else
		JBUF_LIT(b, "\"update\"");
	JBUF_LIT(b, ", \"version\": ");
	jbuf_u64(b, *version);
	JBUF_LIT(b, ", \"updated_at\": ");
	silver_col_str(b, jnode_get(rec, "timestamp"));
	jbuf_putc(b, '}');
	return 1;
}

/* A record that passed the expectations: split, deduplicated, emitted. */
static enum sluice_status split(struct silver *s, struct sluice_task *t,
				const struct sluice_record *in,
				const struct jnode *rec)
{
	const struct jnode *txid = jnode_get(rec, "transaction_id");
	const struct jnode *ts = jnode_get(rec, "timestamp");
	const char *id, *tss, *bad;
	size_t id_len, ts_len, ukey_len = 0, nitems_out = 0;
	char why[256], ukey[24];
	uint64_t hash, seen_hash, version = 0;
	int64_t time_us = 0;
	int user;

	id = silver_str(txid, &id_len);
	if (!id)
		return invalid(s, t, in,
			       "transaction_id: expected string, got %s",
			       txid ? jnode_type_name(txid) : "nothing");
	if (id_len == 0 || id_len > SILVER_ID_MAX)
		return invalid(s, t, in, "transaction_id: %s (1 to 1000 bytes)",
			       id_len ? "too long" : "empty");
	bad = write_rows(s, rec, txid, why, sizeof why);
	if (bad)
		return invalid(s, t, in, "%s", bad);
	if (s->rows.oom) {
		s->host->set_error(t, "out of memory");
		return SLUICE_RETRY;
	}
	/* The event time: the window's, and gold's time buckets. */
	tss = silver_str(ts, &ts_len);
	if (!tss)
		return invalid(s, t, in, "timestamp: expected string, got %s",
			       ts ? jnode_type_name(ts) : "nothing");
	if (silver_time_parse(tss, ts_len, &time_us))
		return invalid(s, t, in,
			       "timestamp: not an ISO 8601 time: '%.*s'",
			       (int)(ts_len > 40 ? 40 : ts_len), tss);
	hash = silver_hash(s->rows.p, s->rows.len);
	if (silver_window_seen(&s->win, id, id_len, &seen_hash)) {
		count(s, t,
		      seen_hash == hash ? COUNT_DUP_SAME : COUNT_DUP_CONFLICT);
		return SLUICE_OK;
	}
	mark_duplicate_items(s);
	user = user_change(s, t, rec, ukey, &ukey_len, &version);
	if (s->user.oom || s->profile.oom) {
		s->host->set_error(t, "out of memory");
		return SLUICE_RETRY;
	}
	/* Everything out first, the state after: an emit that fails leaves
	 * the store as it was for this record. */
	if (emit(s, t, "transactions", in, id, id_len, s->rows.p,
		 s->nitems ? s->items[0].off : s->rows.len))
		return SLUICE_FATAL;
	for (size_t k = 0; k < s->nitems; k++) {
		if (s->items[k].dup)
			continue;
		if (emit(s, t, "items", in, id, id_len,
			 s->rows.p + s->items[k].off, s->items[k].len))
			return SLUICE_FATAL;
		nitems_out++;
	}
	if (user == 1 && emit(s, t, "users", in, ukey + 2, ukey_len - 2,
			      s->user.p, s->user.len))
		return SLUICE_FATAL;
	if (silver_window_add(&s->win, id, id_len, 1, time_us, hash))
		return SLUICE_FATAL;
	if (user == 1 &&
	    s->host->state_put(t, ukey, ukey_len, s->profile.p, s->profile.len))
		return SLUICE_FATAL;
	count(s, t, COUNT_TRANSACTIONS);
	for (size_t k = 0; k < s->nitems; k++)
		count(s, t, s->items[k].dup ? COUNT_DUP_ITEM : COUNT_ITEMS);
	if (user == 1)
		count(s, t,
		      version == 1 ? COUNT_USERS_INSERT : COUNT_USERS_UPDATE);
	return SLUICE_OK;
}

static enum sluice_status silver_process(void *state, struct sluice_task *t,
					 const struct sluice_record *in)
{
	struct silver *s = state;
	const struct jnode *rec;

	if (!in->value)
		return invalid(s, t, in, "no value (a tombstone)");
	rec = jdoc_parse(&s->doc, in->value, in->value_len);
	if (!rec && s->doc.oom) {
		s->host->set_error(t, "out of memory");
		return SLUICE_RETRY;
	}
	if (!rec)
		return invalid(s, t, in, "not valid JSON: %s", s->doc.err);
	if (rec->type != JT_OBJECT)
		return invalid(s, t, in, "top level: expected object, got %s",
			       jnode_type_name(rec));
	if (s->dq.n) {
		enum expect_verdict v = expect_set_eval(&s->dq, rec);

		if (v == EXPECT_FAIL_TASK) {
			s->host->set_error(
				t,
				"expectation '%s' failed (on violation fail) "
				"on topic %s, partition %d, offset %lld: %s",
				s->dq.fatal->name, in->topic ? in->topic : "",
				(int)in->partition, (long long)in->offset,
				s->dq.fatal->condition);
			return SLUICE_FATAL;
		}
		if (v == EXPECT_DROP_RECORD)
			return dropped(s, t, in);
	}
	return split(s, t, in, rec);
}

static enum sluice_status silver_tick(void *state, struct sluice_task *t,
				      int64_t now_ms)
{
	struct silver *s = state;
	struct sluice_record r = {.partition = -1};

	flush_counts(s, t);
	s->host->gauge_set(t, "silver_window_ids", NULL, (double)s->win.n);
	if (!s->dq.n)
		return SLUICE_OK;
	expect_set_send_counters(&s->dq, s->host, t);
	if (!s->next_dq_ms)
		s->next_dq_ms = now_ms + s->dq_interval_ms;
	if (now_ms < s->next_dq_ms)
		return SLUICE_OK;
	s->next_dq_ms = now_ms + s->dq_interval_ms;
	jbuf_reset(&s->buf);
	if (!expect_set_summary(&s->dq, &s->buf, s->host->connector_name(t),
				now_ms * 1000))
		return SLUICE_OK;
	if (s->buf.oom) {
		s->host->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	r.value = s->buf.p;
	r.value_len = s->buf.len;
	r.timestamp_ms = now_ms;
	return s->host->emit(t, "dq", &r) ? SLUICE_FATAL : SLUICE_OK;
}

static void silver_close(void *state)
{
	silver_free(state);
}

static const struct sluice_plugin transform_silver = {
	SLUICE_PLUGIN_HEADER,
	.name = "transform-silver",
	.version = "1.0.0",
	.description = "bronze records split into the silver tables "
		       "(transactions, users with change detection, exploded "
		       "items), deduplicated over a bounded window kept in "
		       "the state store, with data-quality expectations",
	.kind = SLUICE_KIND_TRANSFORM,
	.options = options,
	.outputs = outputs,
	.open = silver_open,
	.close = silver_close,
	.process = silver_process,
	.tick = silver_tick,
	.check = silver_check,
	.flags = SLUICE_PLUGIN_STATEFUL,
};

SLUICE_PLUGIN_EXPORT(transform_silver)
