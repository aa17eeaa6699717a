/*
 * event.c - the transaction event writer. Every draw of an event comes
 * from its own random stream in a fixed order (anomaly, its parameter,
 * then the content), so an anomalous event differs from the clean event
 * of the same number only where the anomaly is.
 */
#include "event.h"

#include <string.h>

#include "clock.h"
#include "put.h"
#include "rng.h"
#include "users.h"

static const char *const anomaly_names[FAKER_ANOMALY_COUNT] = {
	[FAKER_ANOMALY_NONE] = "none",
	[FAKER_ANOMALY_MALFORMED_JSON] = "malformed_json",
	[FAKER_ANOMALY_MISSING_FIELD] = "missing_field",
	[FAKER_ANOMALY_WRONG_TYPE] = "wrong_type",
	[FAKER_ANOMALY_NEGATIVE_AMOUNT] = "negative_amount",
	[FAKER_ANOMALY_AMOUNT_MISMATCH] = "amount_mismatch",
	[FAKER_ANOMALY_INVALID_EMAIL] = "invalid_email",
	[FAKER_ANOMALY_UNKNOWN_CURRENCY] = "unknown_currency",
	[FAKER_ANOMALY_DUPLICATE] = "duplicate",
	[FAKER_ANOMALY_LATE] = "late",
};

static const struct faker_category *const all_categories[] = {
	&faker_categories[0], &faker_categories[1], &faker_categories[2],
	&faker_categories[3], &faker_categories[4], &faker_categories[5],
};

/* The top-level fields, in the order they are written. */
enum { F_TXID, F_USER, F_AMOUNT, F_CURRENCY, F_TIME, F_CATEGORY, F_ITEMS, F_N };

/* Wrong-type variants: a number as a string, a string as a number. */
enum { WT_NONE, WT_AMOUNT, WT_PRICE, WT_QUANTITY, WT_TIMESTAMP, WT_N };

#define MAX_ITEMS 3

const char *faker_anomaly_name(enum faker_anomaly a)
{
	return a < FAKER_ANOMALY_COUNT ? anomaly_names[a] : "unknown";
}

int faker_gen_init(struct faker_gen *g, uint64_t seed, uint32_t task,
		   uint32_t tasks)
{
	memset(g, 0, sizeof *g);
	/* Distinct, unrelated streams per task; the user pool's stream
	 * depends on the seed only, so every task sees the same users. */
	g->seed = faker_mix64(seed + faker_mix64(task + 1));
	g->jitter_seed = faker_mix64(g->seed ^ 0x6a09e667f3bcc909ULL);
	g->users.seed = faker_mix64(seed ^ 0x5851f42d4c957f2dULL);
	g->cats = all_categories;
	g->ncats = FAKER_CATEGORY_COUNT;
	faker_gen_set_currencies(g, faker_default_currencies.v,
				 faker_default_currencies.n);
	g->late_max_us = 3600000000LL;
	g->start_us = 1767225600000000LL; /* 2026-01-01T00:00:00Z */
	g->step_us = 500000;
	g->task = task;
	g->tasks = tasks ? tasks : 1;
	return faker_gen_set_users(g, 50);
}

void faker_gen_free(struct faker_gen *g)
{
	faker_users_free(&g->users);
}

int faker_gen_set_users(struct faker_gen *g, uint32_t n)
{
	uint64_t seed = g->users.seed;

	faker_users_free(&g->users);
	return faker_users_init(&g->users, seed, n);
}

void faker_gen_set_currencies(struct faker_gen *g, const struct faker_str *cur,
			      size_t n)
{
	g->currencies = cur;
	g->ncur = n;
	g->nbad = 0;
	for (size_t i = 0; i < faker_bad_currencies.n; i++) {
		struct faker_str b = faker_bad_currencies.v[i];
		size_t j = 0;

		while (j < n && !(cur[j].len == b.len &&
				  memcmp(cur[j].s, b.s, b.len) == 0))
			j++;
		if (j == n)
			g->bad_currencies[g->nbad++] = b;
	}
}

int faker_gen_set_anomalies(struct faker_gen *g,
			    const double rate[FAKER_ANOMALY_COUNT],
			    int64_t late_max_us)
{
	double sum = 0;

	for (int a = 1; a < FAKER_ANOMALY_COUNT; a++)
		sum += rate[a];
	if (sum > 1.0 + 1e-9)
		return -1;
	sum = 0;
	g->cut[0] = 0;
	for (int a = 1; a < FAKER_ANOMALY_COUNT; a++) {
		sum += rate[a];
		g->cut[a] = sum >= 1.0 ? 1ULL << 53
				       : (uint64_t)(sum * (double)(1ULL << 53));
	}
	g->late_max_us = late_max_us > 0 ? late_max_us : 1;
	return 0;
}

static enum faker_anomaly pick_anomaly(const struct faker_gen *g, uint64_t draw)
{
	uint64_t u = draw >> 11;

	if (u >= g->cut[FAKER_ANOMALY_COUNT - 1])
		return FAKER_ANOMALY_NONE;
	int a = 1;
	while (u >= g->cut[a])
		a++;
	return (enum faker_anomaly)a;
}

int64_t faker_event_sim_time(const struct faker_gen *g, uint64_t seq)
{
	int64_t slot = (int64_t)(seq * g->tasks + g->task);
	int64_t t = g->start_us + slot * g->step_us;

	if (g->jitter && g->step_us > 0) {
		struct faker_rng r = faker_rng_at(g->jitter_seed, seq);

		t += (int64_t)faker_rng_below64(&r, (uint64_t)g->step_us);
	}
	return t;
}

uint64_t faker_event_origin(const struct faker_gen *g, uint64_t seq,
			    uint64_t first)
{
	while (seq > first) {
		struct faker_rng r = faker_rng_at(g->seed, seq);
		uint64_t span = seq - first;

		if (pick_anomaly(g, faker_rng_next(&r)) !=
		    FAKER_ANOMALY_DUPLICATE)
			break;
		if (span > FAKER_DUP_WINDOW)
			span = FAKER_DUP_WINDOW;
		seq -= 1 + faker_rng_next(&r) % span;
	}
	return seq;
}

struct item {
	struct faker_str name;
	uint64_t id_hi, id_lo;
	int64_t price; /* cents */
	uint32_t quantity;
};

static unsigned draw_items(struct faker_rng *r,
			   const struct faker_category *cat, struct item *it)
{
	unsigned n = 1 + faker_rng_below(r, MAX_ITEMS);
	uint32_t idx[MAX_ITEMS];

	for (unsigned i = 0; i < n; i++) {
		unsigned j;

		/* Rejection keeps names distinct; lists have 10+ names. */
		do {
			idx[i] = faker_rng_below(r, (uint32_t)cat->items.n);
			for (j = 0; j < i && idx[j] != idx[i]; j++)
				;
		} while (j < i);
		it[i].name = cat->items.v[idx[i]];
		it[i].id_hi = faker_rng_next(r);
		it[i].id_lo = faker_rng_next(r);
		it[i].price = faker_rng_range(r, 1000, 50000);
		it[i].quantity = (uint32_t)faker_rng_range(r, 1, 5);
	}
	return n;
}

static char *put_items(char *p, const struct item *it, unsigned n,
		       unsigned wrong)
{
	*p++ = '[';
	for (unsigned i = 0; i < n; i++) {
		int q_price = i == 0 && wrong == WT_PRICE;
		int q_qty = i == 0 && wrong == WT_QUANTITY;

		if (i)
			p = FAKER_PUT_LIT(p, ", ");
		p = FAKER_PUT_LIT(p, "{\"item_id\": \"");
		p = faker_put_uuid4(p, it[i].id_hi, it[i].id_lo);
		p = FAKER_PUT_LIT(p, "\", \"name\": \"");
		p = faker_put_str(p, it[i].name);
		p = FAKER_PUT_LIT(p, "\", \"price\": ");
		if (q_price)
			*p++ = '"';
		p = faker_put_money(p, it[i].price);
		if (q_price)
			*p++ = '"';
		p = FAKER_PUT_LIT(p, ", \"quantity\": ");
		if (q_qty)
			*p++ = '"';
		p = faker_put_u64(p, it[i].quantity);
		if (q_qty)
			*p++ = '"';
		*p++ = '}';
	}
	*p++ = ']';
	return p;
}

/* Cuts top-level field f out, with the separator that went with it. */
static size_t drop_field(char *buf, size_t len, const size_t *at, unsigned f)
{
	size_t from = at[f], to;

	if (f + 1 < F_N) {
		to = at[f + 1];
	} else {
		from -= 2; /* the ", " before the last field */
		to = len - 1;
	}
	memmove(buf + from, buf + to, len - to);
	return len - (to - from);
}

size_t faker_event_write(const struct faker_gen *g, uint64_t seq,
			 int64_t base_us, char *buf, struct faker_event *ev)
{
	struct faker_rng r = faker_rng_at(g->seed, seq);
	enum faker_anomaly a = pick_anomaly(g, faker_rng_next(&r));
	uint64_t param = faker_rng_next(&r);
	uint64_t id_hi = faker_rng_next(&r), id_lo = faker_rng_next(&r);
	uint32_t uid = 1 + faker_rng_below(&r, g->users.n);
	const struct faker_category *cat =
		g->cats[faker_rng_below(&r, (uint32_t)g->ncats)];
	struct faker_str cur =
		g->currencies[faker_rng_below(&r, (uint32_t)g->ncur)];
	struct item it[MAX_ITEMS];
	unsigned nit = draw_items(&r, cat, it);
	int64_t sum = 0, amount, ts = base_us;
	unsigned wrong = WT_NONE, bad_email = 0;
	size_t at[F_N], len;
	char *p = buf;

	for (unsigned i = 0; i < nit; i++)
		sum += it[i].price * it[i].quantity;
	amount = sum;
	switch (a) {
	case FAKER_ANOMALY_DUPLICATE:
		a = FAKER_ANOMALY_NONE; /* nothing earlier to repeat */
		break;
	case FAKER_ANOMALY_WRONG_TYPE:
		wrong = 1 + (unsigned)(param % (WT_N - 1));
		break;
	case FAKER_ANOMALY_NEGATIVE_AMOUNT:
		amount = -sum;
		break;
	case FAKER_ANOMALY_AMOUNT_MISMATCH: {
		int64_t d = 1 + (int64_t)(param % 5000);

		amount = (param >> 32 & 1) && sum > d ? sum - d : sum + d;
		break;
	}
	case FAKER_ANOMALY_INVALID_EMAIL:
		bad_email = 1 + (unsigned)(param % FAKER_BAD_EMAIL_KINDS);
		break;
	case FAKER_ANOMALY_UNKNOWN_CURRENCY:
		if (g->nbad) /* only empty if every bad code was configured */
			cur = g->bad_currencies[param % g->nbad];
		break;
	case FAKER_ANOMALY_LATE:
		ts -= 1 + (int64_t)(param % (uint64_t)g->late_max_us);
		break;
	default:
		break;
	}

	*p++ = '{';
	at[F_TXID] = (size_t)(p - buf);
	p = FAKER_PUT_LIT(p, "\"transaction_id\": \"");
	p = faker_put_uuid4(p, id_hi, id_lo);
	memcpy(ev->transaction_id, p - 36, 36);
	p = FAKER_PUT_LIT(p, "\", ");
	at[F_USER] = (size_t)(p - buf);
	p = FAKER_PUT_LIT(p, "\"user\": ");
	p = faker_users_put(&g->users, p, uid, bad_email);
	p = FAKER_PUT_LIT(p, ", ");
	at[F_AMOUNT] = (size_t)(p - buf);
	p = FAKER_PUT_LIT(p, "\"amount\": ");
	if (wrong == WT_AMOUNT)
		*p++ = '"';
	p = faker_put_money(p, amount);
	if (wrong == WT_AMOUNT)
		*p++ = '"';
	p = FAKER_PUT_LIT(p, ", ");
	at[F_CURRENCY] = (size_t)(p - buf);
	p = FAKER_PUT_LIT(p, "\"currency\": \"");
	p = faker_put_str(p, cur);
	p = FAKER_PUT_LIT(p, "\", ");
	at[F_TIME] = (size_t)(p - buf);
	if (wrong == WT_TIMESTAMP) {
		/* Epoch seconds, as a careless producer might send. */
		p = FAKER_PUT_LIT(p, "\"timestamp\": ");
		p = faker_put_u64(p, (uint64_t)(ts / 1000000));
		p = FAKER_PUT_LIT(p, ", ");
	} else {
		p = FAKER_PUT_LIT(p, "\"timestamp\": \"");
		p = faker_time_write(p, ts);
		p = FAKER_PUT_LIT(p, "\", ");
	}
	at[F_CATEGORY] = (size_t)(p - buf);
	p = FAKER_PUT_LIT(p, "\"category\": \"");
	p = faker_put_str(p, cat->name);
	p = FAKER_PUT_LIT(p, "\", ");
	at[F_ITEMS] = (size_t)(p - buf);
	p = FAKER_PUT_LIT(p, "\"items\": ");
	p = put_items(p, it, nit, wrong);
	*p++ = '}';
	len = (size_t)(p - buf);

	if (a == FAKER_ANOMALY_MISSING_FIELD) {
		len = drop_field(buf, len, at, (unsigned)(param % F_N));
	} else if (a == FAKER_ANOMALY_MALFORMED_JSON) {
		/* A proper prefix of an object never parses: like a
		 * producer that died mid-write. */
		len = len / 2 + (size_t)(param % (len - len / 2));
	}
	ev->anomaly = a;
	ev->user_id = uid;
	return len;
}
