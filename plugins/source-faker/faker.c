/*
 * faker.c - the source-faker plugin: its descriptor and option table, and
 * the task that turns sequence numbers into records: open reads the
 * options and the stored position, poll emits events at the configured
 * rate, each carrying the number of the next event as its position.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "event.h"
#include "put.h"
#include "sluice/plugin.h"

#define ANOMALY_HEADER "sluice.faker.anomaly"
/* The longest a poll waits for the rate limiter before handing control
 * back to the host, so that a stop request is never kept waiting. */
#define MAX_WAIT_S 0.1

enum key_mode { KEY_TRANSACTION_ID, KEY_USER_ID, KEY_NONE };

struct source {
	const struct sluice_host *host;
	struct faker_gen gen;
	const struct faker_category **cats;
	struct faker_str *currencies;
	char partition[32]; /* "task-<id>" */
	enum key_mode key;
	int simulated;
	uint64_t seq;	/* the next event to emit */
	uint64_t first; /* the first event of this run */
	uint64_t quota; /* this task's share of max.events; 0 = endless */
	int64_t *wall;	/* wall clock: base times of the last events */
	double rate;	/* events/s for this task; 0 = unlimited */
	double tokens;
	double last_refill;
	char buf[FAKER_EVENT_MAX];
};

static const char *const clock_modes[] = {"wall", "simulated", NULL};
static const char *const key_modes[] = {"transaction_id", "user_id", "none",
					NULL};

/* Option names for the anomaly rates, indexed by enum faker_anomaly. */
static const char *const anomaly_options[FAKER_ANOMALY_COUNT] = {
	[FAKER_ANOMALY_MALFORMED_JSON] = "anomaly.malformed",
	[FAKER_ANOMALY_MISSING_FIELD] = "anomaly.missing.field",
	[FAKER_ANOMALY_WRONG_TYPE] = "anomaly.wrong.type",
	[FAKER_ANOMALY_NEGATIVE_AMOUNT] = "anomaly.negative.amount",
	[FAKER_ANOMALY_AMOUNT_MISMATCH] = "anomaly.amount.mismatch",
	[FAKER_ANOMALY_INVALID_EMAIL] = "anomaly.invalid.email",
	[FAKER_ANOMALY_UNKNOWN_CURRENCY] = "anomaly.unknown.currency",
	[FAKER_ANOMALY_DUPLICATE] = "anomaly.duplicate",
	[FAKER_ANOMALY_LATE] = "anomaly.late",
};

/* Anomaly rates: each anomalous event names its anomaly in the header
 * sluice.faker.anomaly. */
#define RATE(name, what)                                                       \
	{                                                                      \
		name, SLUICE_OPT_DOUBLE, "0", 0, "0", "1", NULL,               \
			"share of events (0..1) " what                         \
	}

static const struct sluice_option options[] = {
	{"seed", SLUICE_OPT_INT, "42", 0, NULL, NULL, NULL,
	 "seeds every draw: the same seed and options give the same events"},
	{"users", SLUICE_OPT_INT, "50", 0, "1", "1000000", NULL,
	 "size of the user pool (user ids 1..users)"},
	{"rate", SLUICE_OPT_DOUBLE, "2", 0, "0", NULL, NULL,
	 "events per second across all tasks; 0 = as fast as possible"},
	{"max.events", SLUICE_OPT_INT, "0", 0, "0", NULL, NULL,
	 "events to produce across all tasks, then stop; 0 = endless"},
	{"clock", SLUICE_OPT_ENUM, "wall", 0, NULL, NULL, clock_modes,
	 "event timestamps: wall = now; simulated = clock.start + n * "
	 "clock.step (reproducible to the byte)"},
	{"clock.start", SLUICE_OPT_STRING, "2026-01-01T00:00:00Z", 0, "20",
	 "27", NULL,
	 "simulated clock: time of the first event, UTC, as "
	 "2026-01-01T00:00:00Z"},
	{"clock.step", SLUICE_OPT_DURATION, "500ms", 0, "0ms", "1d", NULL,
	 "simulated clock: time between consecutive events"},
	{"clock.jitter", SLUICE_OPT_BOOL, "false", 0, NULL, NULL, NULL,
	 "simulated clock: put each event at a random instant of its step "
	 "(gaps vary, order holds)"},
	{"key", SLUICE_OPT_ENUM, "transaction_id", 0, NULL, NULL, key_modes,
	 "the Kafka record key: transaction_id, user_id or none"},
	{"categories", SLUICE_OPT_LIST,
	 "food, electronics, travel, fashion, sports, home", 0, NULL, NULL,
	 faker_category_names,
	 "categories to draw from, uniformly (repeat one to weight it)"},
	{"currencies", SLUICE_OPT_LIST, "USD, EUR, GBP, INR", 0, NULL, NULL,
	 NULL, "currency codes to draw from: three capital letters each"},
	RATE("anomaly.malformed", "cut short into invalid JSON"),
	RATE("anomaly.missing.field", "missing one top-level field"),
	RATE("anomaly.wrong.type", "with one field of the wrong JSON type"),
	RATE("anomaly.negative.amount", "with a negative amount"),
	RATE("anomaly.amount.mismatch",
	     "whose amount is not the sum of its items"),
	RATE("anomaly.invalid.email", "with an invalid e-mail address"),
	RATE("anomaly.unknown.currency", "with an unknown currency code"),
	RATE("anomaly.duplicate",
	     "repeating one of the 1000 events before, byte for byte"),
	RATE("anomaly.late", "timestamped up to anomaly.late.max too early"),
	{"anomaly.late.max", SLUICE_OPT_DURATION, "1h", 0, "1ms", "30d", NULL,
	 "late events: how much older than their place in the stream, at "
	 "most"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void source_free(struct source *s)
{
	if (!s)
		return;
	free(s->cats);
	free(s->currencies);
	free(s->wall);
	faker_gen_free(&s->gen);
	free(s);
}

static int read_categories(struct source *s, struct sluice_task *t)
{
	const struct sluice_host *h = s->host;
	const char *const *items;
	size_t n = h->opt_list(t, "categories", &items);

	if (n == 0)
		return 0; /* an empty list: faker_gen_init chose all six */
	s->cats = calloc(n, sizeof *s->cats);
	if (!s->cats) {
		h->set_error(t, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t c = 0;

		while (c < FAKER_CATEGORY_COUNT &&
		       strcmp(items[i], faker_category_names[c]) != 0)
			c++;
		if (c == FAKER_CATEGORY_COUNT) {
			h->set_error(t,
				     "categories: unknown category '%s'; "
				     "expected food, electronics, travel, "
				     "fashion, sports or home",
				     items[i]);
			return -1;
		}
		s->cats[i] = &faker_categories[c];
	}
	s->gen.cats = s->cats;
	s->gen.ncats = n;
	return 0;
}

static int is_currency_code(const char *c)
{
	for (int i = 0; i < 3; i++)
		if (c[i] < 'A' || c[i] > 'Z')
			return 0;
	return c[3] == '\0';
}

static int read_currencies(struct source *s, struct sluice_task *t)
{
	const struct sluice_host *h = s->host;
	const char *const *items;
	size_t n = h->opt_list(t, "currencies", &items);

	if (n == 0)
		return 0; /* an empty list: the seed's four */
	s->currencies = calloc(n, sizeof *s->currencies);
	if (!s->currencies) {
		h->set_error(t, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_currency_code(items[i])) {
			h->set_error(t,
				     "currencies: '%s' is not a currency code "
				     "(three capital letters, as USD)",
				     items[i]);
			return -1;
		}
		/* Host strings live until close, as long as the source. */
		s->currencies[i].s = items[i];
		s->currencies[i].len = 3;
	}
	faker_gen_set_currencies(&s->gen, s->currencies, n);
	return 0;
}

static int read_anomalies(struct source *s, struct sluice_task *t)
{
	const struct sluice_host *h = s->host;
	double rate[FAKER_ANOMALY_COUNT] = {0}, sum = 0;

	for (int a = 1; a < FAKER_ANOMALY_COUNT; a++) {
		rate[a] = h->opt_double(t, anomaly_options[a]);
		sum += rate[a];
	}
	if (faker_gen_set_anomalies(&s->gen, rate,
				    h->opt_duration_ms(t, "anomaly.late.max") *
					    1000) != 0) {
		h->set_error(t,
			     "the anomaly.* rates add up to %g; an event "
			     "carries one anomaly at most, so their sum must "
			     "not exceed 1",
			     sum);
		return -1;
	}
	return 0;
}

static int read_clock(struct source *s, struct sluice_task *t)
{
	const struct sluice_host *h = s->host;
	const char *start = h->opt_string(t, "clock.start");

	s->simulated = strcmp(h->opt_string(t, "clock"), "simulated") == 0;
	if (faker_time_parse(start, &s->gen.start_us) != 0) {
		h->set_error(t,
			     "clock.start: expected a UTC time such as "
			     "2026-01-01T00:00:00Z (or with .ffffff), got '%s'",
			     start);
		return -1;
	}
	s->gen.step_us = h->opt_duration_ms(t, "clock.step") * 1000;
	s->gen.jitter = h->opt_bool(t, "clock.jitter");
	if (!s->simulated) {
		s->wall = calloc(FAKER_DUP_WINDOW, sizeof *s->wall);
		if (!s->wall) {
			h->set_error(t, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* The stored position is the decimal number of the next event. */
static int read_position(struct source *s, struct sluice_task *t)
{
	const struct sluice_host *h = s->host;
	const char *pos = h->source_position(t, s->partition);
	char *end;

	if (!pos)
		return 0;
	errno = 0;
	s->seq = strtoull(pos, &end, 10);
	if (pos[0] < '0' || pos[0] > '9' || *end || errno) {
		h->set_error(t,
			     "stored position '%s' of source partition '%s' "
			     "is not an event number",
			     pos, s->partition);
		return -1;
	}
	/* A simulated clock recomputes any earlier event, so duplicates
	 * after a restart repeat what an uninterrupted run would have. */
	if (!s->simulated)
		s->first = s->seq;
	return 0;
}

/* What the option table cannot say, reported by `sluice validate`: the
 * same readers open uses, on a throw-away source. */
static enum sluice_status
faker_check(struct sluice_task *t, const struct sluice_host *h, unsigned flags)
{
	if ((flags & SLUICE_CHECK_BOUNDED) &&
	    h->opt_int(t, "max.events") == 0) {
		h->set_error(t, "max.events is 0 (endless), but a triggered "
				"run needs a source that ends: set max.events");
		return SLUICE_FATAL;
	}
	struct source *s = calloc(1, sizeof *s);
	if (!s) {
		h->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	s->host = h;
	int bad = faker_gen_init(&s->gen, (uint64_t)h->opt_int(t, "seed"), 0,
				 1) ||
		  read_categories(s, t) || read_currencies(s, t) ||
		  read_anomalies(s, t) || read_clock(s, t);
	source_free(s);
	return bad ? SLUICE_FATAL : SLUICE_OK;
}

static enum sluice_status faker_open(struct sluice_task *t,
				     const struct sluice_host *h, void **state)
{
	struct source *s = calloc(1, sizeof *s);
	const char *key;
	int task = h->task_id(t), tasks = h->task_count(t);
	uint64_t max_events;

	if (!s) {
		h->set_error(t, "out of memory");
		return SLUICE_FATAL;
	}
	if (tasks < 1)
		tasks = 1;
	s->host = h;
	snprintf(s->partition, sizeof s->partition, "task-%d", task);
	if (faker_gen_init(&s->gen, (uint64_t)h->opt_int(t, "seed"),
			   (uint32_t)task, (uint32_t)tasks) ||
	    faker_gen_set_users(&s->gen, (uint32_t)h->opt_int(t, "users"))) {
		h->set_error(t, "out of memory");
		source_free(s);
		return SLUICE_FATAL;
	}
	if (read_categories(s, t) || read_currencies(s, t) ||
	    read_anomalies(s, t) || read_clock(s, t) || read_position(s, t)) {
		source_free(s);
		return SLUICE_FATAL;
	}

	key = h->opt_string(t, "key");
	s->key = strcmp(key, "user_id") == 0 ? KEY_USER_ID
		 : strcmp(key, "none") == 0  ? KEY_NONE
					     : KEY_TRANSACTION_ID;
	/* Shares of the whole: the first max.events % tasks tasks make one
	 * event more. */
	max_events = (uint64_t)h->opt_int(t, "max.events");
	if (max_events)
		s->quota = max_events / (uint64_t)tasks +
			   ((uint64_t)task < max_events % (uint64_t)tasks);
	s->rate = h->opt_double(t, "rate") / tasks;
	s->tokens = 1;
	s->last_refill = monotonic_s();

	h->log(t, SLUICE_LOG_INFO,
	       "%s clock, %" PRIu32 " users, %.6g events/s%s, starting at "
	       "event %" PRIu64 " of %s%s",
	       s->simulated ? "simulated" : "wall", s->gen.users.n, s->rate,
	       s->rate > 0 ? "" : " (as fast as possible)", s->seq,
	       s->partition,
	       s->quota && s->seq >= s->quota ? " (already done)" : "");
	*state = s;
	return SLUICE_OK;
}

static void faker_close(void *state)
{
	source_free(state);
}

/* A token bucket: up to one second of events may be caught up at once. */
static size_t take_tokens(struct source *s, size_t want)
{
	double burst = s->rate > 1 ? s->rate : 1;

	for (int pass = 0; pass < 2; pass++) {
		double now = monotonic_s();

		s->tokens += (now - s->last_refill) * s->rate;
		if (s->tokens > burst)
			s->tokens = burst;
		s->last_refill = now;
		if (s->tokens >= 1 || pass == 1)
			break;
		double wait = (1 - s->tokens) / s->rate;
		if (wait > MAX_WAIT_S)
			wait = MAX_WAIT_S;
		struct timespec ts = {
			(time_t)wait,
			(long)((wait - (double)(time_t)wait) * 1e9)};
		nanosleep(&ts, NULL);
	}
	if (s->tokens < (double)want)
		want = (size_t)s->tokens;
	s->tokens -= (double)want;
	return want;
}

static int64_t base_time(struct source *s, uint64_t seq, uint64_t origin)
{
	if (s->simulated)
		return faker_event_sim_time(&s->gen, origin);
	/* A wall clock cannot be recomputed: keep the base times of the
	 * last FAKER_DUP_WINDOW events for the duplicates to repeat. */
	if (origin == seq)
		s->wall[seq % FAKER_DUP_WINDOW] = faker_time_now();
	return s->wall[origin % FAKER_DUP_WINDOW];
}

static int emit_one(struct source *s, struct sluice_task *t)
{
	const struct sluice_host *h = s->host;
	uint64_t origin = faker_event_origin(&s->gen, s->seq, s->first);
	struct faker_event ev;
	size_t len = faker_event_write(
		&s->gen, origin, base_time(s, s->seq, origin), s->buf, &ev);
	enum faker_anomaly a =
		origin != s->seq ? FAKER_ANOMALY_DUPLICATE : ev.anomaly;
	const char *aname = faker_anomaly_name(a);
	struct sluice_header hdr = {ANOMALY_HEADER, aname, strlen(aname)};
	char user_key[16], pos[24];
	struct sluice_record rec = {
		.partition = -1,
		.value = s->buf,
		.value_len = len,
		.headers = a != FAKER_ANOMALY_NONE ? &hdr : NULL,
		.header_count = a != FAKER_ANOMALY_NONE,
	};

	if (s->key == KEY_TRANSACTION_ID) {
		rec.key = ev.transaction_id;
		rec.key_len = sizeof ev.transaction_id;
	} else if (s->key == KEY_USER_ID) {
		rec.key = user_key;
		rec.key_len = (size_t)(faker_put_u64(user_key, ev.user_id) -
				       user_key);
	}
	*faker_put_u64(pos, s->seq + 1) = '\0';
	if (h->emit_source(t, NULL, &rec, s->partition, pos) != 0)
		return -1;
	s->seq++;
	return 0;
}

static enum sluice_status faker_poll(void *state, struct sluice_task *t,
				     size_t max)
{
	struct source *s = state;
	uint64_t start = s->seq;
	size_t n = max;

	if (s->quota) {
		if (s->seq >= s->quota)
			return SLUICE_DONE;
		if (n > s->quota - s->seq)
			n = (size_t)(s->quota - s->seq);
	}
	if (s->rate > 0)
		n = take_tokens(s, n);
	for (size_t i = 0; i < n; i++) {
		if (emit_one(s, t) != 0) {
			/* The host drops what a failed poll emitted: the
			 * next poll, if any, starts from the same event. */
			s->seq = start;
			return SLUICE_FATAL; /* the host set the reason */
		}
	}
	return s->quota && s->seq >= s->quota ? SLUICE_DONE : SLUICE_OK;
}

static const struct sluice_plugin source_faker = {
	SLUICE_PLUGIN_HEADER,
	.name = "source-faker",
	.version = "1.0.0",
	.description = "realistic, deterministic fake banking transactions; "
		       "anomalies tagged in header " ANOMALY_HEADER,
	.kind = SLUICE_KIND_SOURCE,
	.options = options,
	.open = faker_open,
	.close = faker_close,
	.poll = faker_poll,
	.check = faker_check,
};

SLUICE_PLUGIN_EXPORT(source_faker)
