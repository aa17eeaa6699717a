/*
 * test_gold.c - transform-gold through its real descriptor and
 * callbacks, driven by the mock host and its state store: each aggregate
 * over hand-written silver records with the exact rows written out here,
 * money and time arithmetic, late data, duplicates, restarts (the store
 * kept, every row emitted once more) and crashes (the store set back to
 * an earlier point with its input), and a from-scratch comparison over
 * 20,000 source-faker events turned into silver records by the test's
 * own conversion and summed by the test's own computation.
 */
#include <check.h>
#include <dlfcn.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_host.h"
#include "mock_state.h"
#include "money.h"
#include "sluice/plugin.h"

const struct sluice_plugin *sluice_plugin_entry(void);
/* source-faker's entry point, renamed in tests/libgoldfaker.la. */
const struct sluice_plugin *faker_plugin_entry(void);

#define REQUIRE(cond, ...)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			ck_abort_msg(__VA_ARGS__);                             \
	} while (0)

#define TX_TOPIC "silver_transactions"
#define ITEMS_TOPIC "silver_items"

static struct mock_host *m;
static int64_t next_offset;

static void setup(void)
{
	m = mock_host_new(sluice_plugin_entry());
	next_offset = 0;
}

static void teardown(void)
{
	mock_host_free(m);
	m = NULL;
}

static void open_ok(void)
{
	enum sluice_status st = mock_host_open(m);

	ck_assert_msg(st == SLUICE_OK, "open: %s", mock_host_error(m));
}

static enum sluice_status feed(const char *topic, const char *key,
			       const char *value)
{
	struct sluice_record in = {
		.topic = topic,
		.partition = 0,
		.offset = next_offset++,
		.timestamp_ms = 1767225600000LL,
		.key = key,
		.key_len = key ? strlen(key) : 0,
		.value = value,
		.value_len = value ? strlen(value) : 0,
	};

	return mock_host_process(m, &in);
}

/* A silver transaction; amount is JSON number text. */
static enum sluice_status tx(const char *tid, const char *amount,
			     const char *currency, const char *ts, int user)
{
	char v[1024];

	snprintf(v, sizeof v,
		 "{\"transaction_id\": \"%s\", \"amount\": %s, \"currency\": "
		 "\"%s\", \"timestamp\": \"%s\", \"user_id\": %d}",
		 tid, amount, currency, ts, user);
	return feed(TX_TOPIC, tid, v);
}

static void tx_ok(const char *tid, const char *amount, const char *currency,
		  const char *ts, int user)
{
	enum sluice_status st = tx(tid, amount, currency, ts, user);

	REQUIRE(st == SLUICE_OK, "tx %s: %d %s", tid, st, mock_host_error(m));
}

static void item_ok(const char *tid, const char *iid, const char *name,
		    const char *price, int qty, const char *category)
{
	char v[1024];
	enum sluice_status st;

	snprintf(v, sizeof v,
		 "{\"transaction_id\": \"%s\", \"item_id\": \"%s\", \"name\": "
		 "\"%s\", \"price\": %s, \"quantity\": %d, \"category\": "
		 "\"%s\"}",
		 tid, iid, name, price, qty, category);
	st = feed(ITEMS_TOPIC, tid, v);
	REQUIRE(st == SLUICE_OK, "item %s/%s: %d %s", tid, iid, st,
		mock_host_error(m));
}

/* The value of the last record emitted to output with key, or NULL. */
static const char *last(const char *output, const char *key)
{
	for (size_t i = mock_host_record_count(m); i-- > 0;) {
		const struct mock_record *r = mock_host_record(m, i);

		if (r->output && !strcmp(r->output, output) && r->key &&
		    !strcmp(r->key, key))
			return r->value;
	}
	return NULL;
}

static void assert_row(const char *output, const char *key, const char *want)
{
	const char *got = last(output, key);

	ck_assert_msg(got, "no %s row for key %s", output, key);
	ck_assert_str_eq(got, want);
}

static size_t count_output(const char *output)
{
	size_t n = 0;

	for (size_t i = 0; i < mock_host_record_count(m); i++) {
		const struct mock_record *r = mock_host_record(m, i);

		n += r->output && !strcmp(r->output, output);
	}
	return n;
}

static int64_t counter(const char *labels)
{
	return mock_host_counter(m, "gold_records_total", labels);
}

/* ---- the plugin ---- */

START_TEST(test_descriptor)
{
	const struct sluice_plugin *p = sluice_plugin_entry();

	ck_assert_int_eq(p->abi_major, SLUICE_ABI_MAJOR);
	ck_assert_int_eq(p->abi_minor, 2);
	ck_assert_str_eq(p->name, "transform-gold");
	ck_assert_int_eq(p->kind, SLUICE_KIND_TRANSFORM);
	ck_assert_uint_eq(p->flags, SLUICE_PLUGIN_STATEFUL);
	ck_assert_str_eq(p->outputs[0], "daily_metrics");
	ck_assert_str_eq(p->outputs[1], "user_summary");
	ck_assert_str_eq(p->outputs[2], "product_summary");
	ck_assert_str_eq(p->outputs[3], "late");
	ck_assert_ptr_null(p->outputs[4]);
	ck_assert_ptr_nonnull(p->process);
	ck_assert_ptr_nonnull(p->tick);
	ck_assert_ptr_null(p->poll);
	ck_assert_int_eq(mock_host_validate(m), 0);
	open_ok();
	/* A fresh store: nothing to emit again. */
	ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	ck_assert_int_eq(mock_host_misuse(m), 0);
}
END_TEST

START_TEST(test_daily_metrics)
{
	mock_host_set(m, "allowed.lateness", "1d");
	open_ok();
	tx_ok("t1", "10.5", "USD", "2026-01-01T00:00:00.000000Z", 1);
	assert_row("daily_metrics", "2026-01-01",
		   "{\"date\": \"2026-01-01\", \"daily_transactions\": 1, "
		   "\"daily_revenue\": 10.50, \"revenue_by_currency\": "
		   "{\"USD\": 10.50}}");
	tx_ok("t2", "0.25", "EUR", "2026-01-01T23:59:59.999999Z", 2);
	tx_ok("t3", "100", "USD", "2026-01-01T12:00:00Z", 3);
	tx_ok("t4", "7.07", "GBP", "2026-01-02T00:00:00.000001Z", 1);
	tx_ok("t5", "3", "INR", "2026-01-02T01:00:00+02:00", 1);
	assert_row("daily_metrics", "2026-01-01",
		   "{\"date\": \"2026-01-01\", \"daily_transactions\": 4, "
		   "\"daily_revenue\": 113.75, \"revenue_by_currency\": "
		   "{\"EUR\": 0.25, \"INR\": 3.00, \"USD\": 110.50}}");
	assert_row("daily_metrics", "2026-01-02",
		   "{\"date\": \"2026-01-02\", \"daily_transactions\": 1, "
		   "\"daily_revenue\": 7.07, \"revenue_by_currency\": "
		   "{\"GBP\": 7.07}}");
	/* Each transaction: one day row and one user row. */
	ck_assert_uint_eq(count_output("daily_metrics"), 5);
	ck_assert_uint_eq(count_output("user_summary"), 5);
	ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_OK);
	ck_assert_int_eq(counter("input=\"transactions\",result=\"counted\""),
			 5);
}
END_TEST

START_TEST(test_user_summary)
{
	mock_host_set(m, "allowed.lateness", "1d");
	open_ok();
	tx_ok("a", "10.00", "USD", "2026-01-03T10:00:00.5Z", 7);
	assert_row("user_summary", "7",
		   "{\"user_id\": 7, \"total_transactions\": 1, "
		   "\"total_spent\": 10.00, \"avg_transaction_value\": 10.00, "
		   "\"first_seen\": \"2026-01-03T10:00:00.500000Z\", "
		   "\"last_seen\": \"2026-01-03T10:00:00.500000Z\"}");
	/* Earlier and later events move first_seen and last_seen. */
	tx_ok("b", "0.01", "EUR", "2026-01-03T09:30:00Z", 7);
	tx_ok("c", "0.01", "USD", "2026-01-03T11:00:00.123456Z", 7);
	/* 10.02 / 3 = 3.34 exactly. */
	assert_row("user_summary", "7",
		   "{\"user_id\": 7, \"total_transactions\": 3, "
		   "\"total_spent\": 10.02, \"avg_transaction_value\": 3.34, "
		   "\"first_seen\": \"2026-01-03T09:30:00.000000Z\", "
		   "\"last_seen\": \"2026-01-03T11:00:00.123456Z\"}");
	/* 10.03 / 4 = 2.5075 -> 2.51 (half up). */
	tx_ok("d", "0.01", "USD", "2026-01-03T10:00:00Z", 7);
	assert_row("user_summary", "7",
		   "{\"user_id\": 7, \"total_transactions\": 4, "
		   "\"total_spent\": 10.03, \"avg_transaction_value\": 2.51, "
		   "\"first_seen\": \"2026-01-03T09:30:00.000000Z\", "
		   "\"last_seen\": \"2026-01-03T11:00:00.123456Z\"}");
	/* 0.01 / 2 = 0.005 -> 0.01; 0.02 / 3 = 0.00666 -> 0.01;
	 * 0.01 / 3 -> 0.00. */
	tx_ok("e1", "0.00", "USD", "2026-01-03T10:00:00Z", 8);
	tx_ok("e2", "0.01", "USD", "2026-01-03T10:00:00Z", 8);
	assert_row("user_summary", "8",
		   "{\"user_id\": 8, \"total_transactions\": 2, "
		   "\"total_spent\": 0.01, \"avg_transaction_value\": 0.01, "
		   "\"first_seen\": \"2026-01-03T10:00:00.000000Z\", "
		   "\"last_seen\": \"2026-01-03T10:00:00.000000Z\"}");
	tx_ok("e3", "0", "USD", "2026-01-03T10:00:00Z", 8);
	assert_row("user_summary", "8",
		   "{\"user_id\": 8, \"total_transactions\": 3, "
		   "\"total_spent\": 0.01, \"avg_transaction_value\": 0.00, "
		   "\"first_seen\": \"2026-01-03T10:00:00.000000Z\", "
		   "\"last_seen\": \"2026-01-03T10:00:00.000000Z\"}");
	/* A negative amount (a refund) counts as it is. */
	tx_ok("f", "-0.05", "USD", "2026-01-03T10:00:00Z", 9);
	assert_row("user_summary", "9",
		   "{\"user_id\": 9, \"total_transactions\": 1, "
		   "\"total_spent\": -0.05, \"avg_transaction_value\": -0.05, "
		   "\"first_seen\": \"2026-01-03T10:00:00.000000Z\", "
		   "\"last_seen\": \"2026-01-03T10:00:00.000000Z\"}");
}
END_TEST

START_TEST(test_product_summary)
{
	open_ok();
	/* Same product in two transactions, each line its own item_id. */
	item_ok("t1", "u-1", "Lamp", "10.5", 2, "home");
	item_ok("t1", "u-2", "Blender", "383.63", 5, "home");
	item_ok("t2", "u-3", "Lamp", "0.1", 3, "home");
	/* Same name in another category is another product. */
	item_ok("t3", "u-4", "Lamp", "99.99", 1, "travel");
	assert_row("product_summary",
		   "{\"name\": \"Lamp\", \"category\": \"home\"}",
		   "{\"name\": \"Lamp\", \"category\": \"home\", "
		   "\"times_purchased\": 2, \"units_sold\": 5, "
		   "\"total_revenue\": 21.30}");
	assert_row("product_summary",
		   "{\"name\": \"Blender\", \"category\": \"home\"}",
		   "{\"name\": \"Blender\", \"category\": \"home\", "
		   "\"times_purchased\": 1, \"units_sold\": 5, "
		   "\"total_revenue\": 1918.15}");
	assert_row("product_summary",
		   "{\"name\": \"Lamp\", \"category\": \"travel\"}",
		   "{\"name\": \"Lamp\", \"category\": \"travel\", "
		   "\"times_purchased\": 1, \"units_sold\": 1, "
		   "\"total_revenue\": 99.99}");
	ck_assert_uint_eq(count_output("product_summary"), 4);
	/* Names are written as JSON strings. */
	item_ok("t4", "u-5", "Tea \\\"Gold\\\" \\u00e9", "1", 1, "food");
	assert_row("product_summary",
		   "{\"name\": \"Tea \\\"Gold\\\" \xc3\xa9\", \"category\": "
		   "\"food\"}",
		   "{\"name\": \"Tea \\\"Gold\\\" \xc3\xa9\", \"category\": "
		   "\"food\", \"times_purchased\": 1, \"units_sold\": 1, "
		   "\"total_revenue\": 1.00}");
	ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_OK);
	ck_assert_int_eq(counter("input=\"items\",result=\"counted\""), 5);
}
END_TEST

/* ---- money and time ---- */

START_TEST(test_money_parse)
{
	static const struct {
		const char *text;
		int ok;
		int64_t cents;
	} cases[] = {
		{"316.4", 1, 31640},
		{"0.1", 1, 10},
		{"0.2", 1, 20},
		{"0.30000000000000004", 1, 30},
		{"21", 1, 2100},
		{"-0", 1, 0},
		{"-0.0", 1, 0},
		{"0.005", 1, 1},
		{"-0.005", 1, -1},
		{"0.0049999999", 1, 0},
		{"2.675", 1, 268}, /* 2.67499999... as a double */
		{"1.005", 1, 101},
		{"1e2", 1, 10000},
		{"1E+2", 1, 10000},
		{"1.5e-2", 1, 2},
		{"12345e-4", 1, 123},
		{"0.000000000000000000000000001", 1, 0},
		{"9999999999999.99", 1, 999999999999999LL},
		{"10000000000000", 1, GOLD_MONEY_MAX},
		{"10000000000000.01", 0, 0},
		{"1e20", 0, 0},
		{"123456789012345678901234567890", 0, 0},
		{"01", 0, 0},
		{"1.", 0, 0},
		{".5", 0, 0},
		{"+1", 0, 0},
		{"1e", 0, 0},
		{"-", 0, 0},
		{"", 0, 0},
		{"1.2.3", 0, 0},
		{"NaN", 0, 0},
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int64_t c = -12345;
		int rc = gold_money_parse(cases[k].text, strlen(cases[k].text),
					  &c);

		REQUIRE(rc == (cases[k].ok ? 0 : -1), "%s: rc %d",
			cases[k].text, rc);
		if (cases[k].ok)
			REQUIRE(c == cases[k].cents, "%s: %lld", cases[k].text,
				(long long)c);
	}
}
END_TEST

START_TEST(test_money_write_and_avg)
{
	static const struct {
		int64_t cents;
		const char *text;
	} w[] = {{0, "0.00"},
		 {5, "0.05"},
		 {-5, "-0.05"},
		 {100, "1.00"},
		 {-100, "-1.00"},
		 {123456, "1234.56"},
		 {INT64_MAX, "92233720368547758.07"},
		 {INT64_MIN, "-92233720368547758.08"}};
	static const struct {
		int64_t sum, n, avg;
	} a[] = {{1000, 3, 333},
		 {1001, 2, 501},
		 {-1001, 2, -501},
		 {2, 3, 1},
		 {1, 3, 0},
		 {-1, 3, 0},
		 {-2, 3, -1},
		 {1, 2, 1},
		 {-1, 2, -1},
		 {7, 7, 1},
		 {0, 5, 0},
		 {INT64_MAX, 2, INT64_MAX / 2 + 1},
		 {INT64_MAX, INT64_MAX, 1}};
	struct jbuf b = {0};

	for (size_t k = 0; k < sizeof w / sizeof w[0]; k++) {
		jbuf_reset(&b);
		gold_money_write(&b, w[k].cents);
		jbuf_putc(&b, '\0');
		ck_assert_str_eq(b.p, w[k].text);
	}
	for (size_t k = 0; k < sizeof a / sizeof a[0]; k++)
		REQUIRE(gold_money_avg(a[k].sum, a[k].n) == a[k].avg,
			"avg(%lld, %lld) = %lld", (long long)a[k].sum,
			(long long)a[k].n,
			(long long)gold_money_avg(a[k].sum, a[k].n));
	jbuf_free(&b);
}
END_TEST

START_TEST(test_money_sums)
{
	char tid[32];

	open_ok();
	/* 0.1 + 0.2 is 0.30, not 0.30000000000000004. */
	tx_ok("a", "0.1", "USD", "2026-02-01T00:00:00Z", 1);
	tx_ok("b", "0.2", "USD", "2026-02-01T00:00:00Z", 1);
	assert_row("user_summary", "1",
		   "{\"user_id\": 1, \"total_transactions\": 2, "
		   "\"total_spent\": 0.30, \"avg_transaction_value\": 0.15, "
		   "\"first_seen\": \"2026-02-01T00:00:00.000000Z\", "
		   "\"last_seen\": \"2026-02-01T00:00:00.000000Z\"}");
	/* 10,000 times 0.01 is 100.00 (in doubles: 100.00000000001425). */
	for (int k = 0; k < 10000; k++) {
		snprintf(tid, sizeof tid, "c%d", k);
		tx_ok(tid, "0.01", "EUR", "2026-02-02T00:00:00Z", 2);
	}
	assert_row("user_summary", "2",
		   "{\"user_id\": 2, \"total_transactions\": 10000, "
		   "\"total_spent\": 100.00, \"avg_transaction_value\": 0.01, "
		   "\"first_seen\": \"2026-02-02T00:00:00.000000Z\", "
		   "\"last_seen\": \"2026-02-02T00:00:00.000000Z\"}");
	assert_row("daily_metrics", "2026-02-02",
		   "{\"date\": \"2026-02-02\", \"daily_transactions\": 10000, "
		   "\"daily_revenue\": 100.00, \"revenue_by_currency\": "
		   "{\"EUR\": 100.00}}");
	/* Large totals, past what a double holds to the cent (2^53 cents
	 * is about 90 trillion): 1000 x 9,999,999,999,999.99. */
	for (int k = 0; k < 1000; k++) {
		snprintf(tid, sizeof tid, "big%d", k);
		tx_ok(tid, "9999999999999.99", "USD", "2026-02-03T00:00:00Z",
		      3);
	}
	assert_row("user_summary", "3",
		   "{\"user_id\": 3, \"total_transactions\": 1000, "
		   "\"total_spent\": 9999999999999990.00, "
		   "\"avg_transaction_value\": 9999999999999.99, "
		   "\"first_seen\": \"2026-02-03T00:00:00.000000Z\", "
		   "\"last_seen\": \"2026-02-03T00:00:00.000000Z\"}");
	/* Item revenue is price * quantity in cents. */
	item_ok("i", "1", "Pen", "0.1", 3, "office");
	item_ok("i", "2", "Pen", "0.2", 1, "office");
	assert_row("product_summary",
		   "{\"name\": \"Pen\", \"category\": \"office\"}",
		   "{\"name\": \"Pen\", \"category\": \"office\", "
		   "\"times_purchased\": 2, \"units_sold\": 4, "
		   "\"total_revenue\": 0.50}");
	/* 9223 x 10^15 cents fit in the day's int64; one more would
	 * overflow it: refused, and nothing changes. */
	for (int k = 0; k < 9223; k++) {
		snprintf(tid, sizeof tid, "huge%d", k);
		tx_ok(tid, "10000000000000", "USD", "2026-02-04T00:00:00Z",
		      4 + k / 400);
	}
	ck_assert_int_eq(tx("huge-last", "10000000000000", "USD",
			    "2026-02-04T00:00:00Z", 100),
			 SLUICE_REJECT);
	ck_assert_str_eq(mock_host_error(m),
			 "the totals would overflow (or the day would hold "
			 "too many currencies)");
	ck_assert_ptr_null(last("user_summary", "100"));
}
END_TEST

START_TEST(test_time_parse)
{
	static const struct {
		const char *text;
		int64_t us; /* -1: refused */
		const char *date;
	} cases[] = {
		{"2026-01-21T00:39:04.153833Z", 1768955944153833LL,
		 "2026-01-21"},
		{"1970-01-01T00:00:00Z", 0, "1970-01-01"},
		{"1969-12-31T23:59:59.999999Z", -1, "1969-12-31"},
		{"2026-01-01T01:00:00+02:00", 1767222000000000LL, "2025-12-31"},
		{"2025-12-31T23:30:00-00:30", 1767225600000000LL, "2026-01-01"},
		{"2026-01-01 00:00:00.123456789z", 1767225600123456LL,
		 "2026-01-01"},
		{"2024-02-29T12:00:00Z", 1709208000000000LL, "2024-02-29"},
	};
	static const char *const bad[] = {
		"2025-02-29T00:00:00Z",
		"2026-13-01T00:00:00Z",
		"2026-01-01T24:00:00Z",
		"2026-01-01T00:60:00Z",
		"2026-01-01T00:00:00",
		"2026-01-01T00:00:00.Z",
		"2026-01-01T00:00:00.1234567890Z",
		"2026-01-01",
		"2026-01-01T00:00:00+0200",
		"2026-01-01T00:00:00ZZ",
		"2026/01/01T00:00:00Z",
		"1767225600",
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int64_t us = 0;
		char date[11] = {0};

		REQUIRE(gold_time_parse(cases[k].text, strlen(cases[k].text),
					&us) == 0,
			"%s refused", cases[k].text);
		if (cases[k].us != -1)
			REQUIRE(us == cases[k].us, "%s: %lld", cases[k].text,
				(long long)us);
		gold_date_of(us, date);
		ck_assert_str_eq(date, cases[k].date);
	}
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		int64_t us;

		REQUIRE(gold_time_parse(bad[k], strlen(bad[k]), &us) == -1,
			"%s taken", bad[k]);
	}
}
END_TEST

/* ---- late data ---- */

START_TEST(test_late)
{
	const char *late_row;

	mock_host_set(m, "allowed.lateness", "1h");
	open_ok();
	tx_ok("a", "1", "USD", "2026-03-01T10:00:00Z", 1);
	/* Within the lateness: updates its day. */
	tx_ok("b", "2", "USD", "2026-03-01T09:30:00Z", 1);
	tx_ok("c", "4", "USD", "2026-03-01T12:00:00Z", 1);
	/* The watermark is 11:00 now; exactly on it is still in time. */
	tx_ok("d", "8", "USD", "2026-03-01T11:00:00Z", 1);
	assert_row("daily_metrics", "2026-03-01",
		   "{\"date\": \"2026-03-01\", \"daily_transactions\": 4, "
		   "\"daily_revenue\": 15.00, \"revenue_by_currency\": "
		   "{\"USD\": 15.00}}");
	/* One microsecond before it: late, and counted nowhere else. */
	mock_host_clear_records(m);
	tx_ok("e", "16", "USD", "2026-03-01T10:59:59.999999Z", 1);
	ck_assert_uint_eq(mock_host_record_count(m), 1);
	late_row = last("late", "e");
	ck_assert_ptr_nonnull(late_row);
	ck_assert_str_eq(
		late_row,
		"{\"reason\": \"event time 2026-03-01T10:59:59.999999Z is "
		"before the watermark 2026-03-01T11:00:00.000000Z (latest "
		"event time 2026-03-01T12:00:00.000000Z minus "
		"allowed.lateness 1h)\", \"watermark\": "
		"\"2026-03-01T11:00:00.000000Z\", \"_source\": {\"topic\": "
		"\"silver_transactions\", \"partition\": 0, \"offset\": 4}, "
		"\"record\": {\"transaction_id\": \"e\", \"amount\": 16, "
		"\"currency\": \"USD\", \"timestamp\": "
		"\"2026-03-01T10:59:59.999999Z\", \"user_id\": 1}}");
	/* Its repeat is a duplicate, not a second late record. */
	tx_ok("e", "16", "USD", "2026-03-01T10:59:59.999999Z", 1);
	ck_assert_uint_eq(mock_host_record_count(m), 1);
	/* A previous day, within the lateness: that day is updated. */
	tx_ok("f", "1", "USD", "2026-03-02T00:30:00Z", 2);
	tx_ok("g", "0.5", "EUR", "2026-03-01T23:45:00Z", 2);
	assert_row("daily_metrics", "2026-03-01",
		   "{\"date\": \"2026-03-01\", \"daily_transactions\": 5, "
		   "\"daily_revenue\": 15.50, \"revenue_by_currency\": "
		   "{\"EUR\": 0.50, \"USD\": 15.00}}");
	/* Beyond it: late. */
	tx_ok("h", "0.5", "EUR", "2026-03-01T23:29:59Z", 2);
	ck_assert_ptr_nonnull(last("late", "h"));
	assert_row("user_summary", "2",
		   "{\"user_id\": 2, \"total_transactions\": 2, "
		   "\"total_spent\": 1.50, \"avg_transaction_value\": 0.75, "
		   "\"first_seen\": \"2026-03-01T23:45:00.000000Z\", "
		   "\"last_seen\": \"2026-03-02T00:30:00.000000Z\"}");
	ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_OK);
	ck_assert_int_eq(counter("input=\"transactions\",result=\"late\""), 2);
	ck_assert_int_eq(counter("input=\"transactions\",result=\"counted\""),
			 6);
	ck_assert_int_eq(counter("input=\"transactions\",result=\"duplicate\""),
			 1);
	/* The watermark survives a restart. */
	mock_host_close(m);
	open_ok();
	mock_host_clear_records(m);
	tx_ok("i", "1", "USD", "2026-03-01T23:29:00Z", 3);
	ck_assert_ptr_nonnull(last("late", "i"));
}
END_TEST

START_TEST(test_lateness_zero_and_items)
{
	mock_host_set(m, "allowed.lateness", "0ms");
	open_ok();
	tx_ok("a", "1", "USD", "2026-03-01T10:00:00Z", 1);
	tx_ok("b", "1", "USD", "2026-03-01T10:00:00Z", 1);
	ck_assert_int_eq(tx("c", "1", "USD", "2026-03-01T09:59:59.999999Z", 1),
			 SLUICE_OK);
	ck_assert_ptr_nonnull(last("late", "c"));
	ck_assert_str_eq(strstr(last("late", "c"), "minus"),
			 "minus allowed.lateness 0ms)\", \"watermark\": "
			 "\"2026-03-01T10:00:00.000000Z\", \"_source\": "
			 "{\"topic\": \"silver_transactions\", \"partition\": "
			 "0, \"offset\": 2}, \"record\": {\"transaction_id\": "
			 "\"c\", \"amount\": 1, \"currency\": \"USD\", "
			 "\"timestamp\": \"2026-03-01T09:59:59.999999Z\", "
			 "\"user_id\": 1}}");
	/* Items carry no event time: never late. */
	item_ok("c", "1", "Pen", "1", 1, "office");
	ck_assert_ptr_nonnull(
		last("product_summary",
		     "{\"name\": \"Pen\", \"category\": \"office\"}"));
}
END_TEST

/* ---- duplicates ---- */

START_TEST(test_duplicates)
{
	open_ok();
	tx_ok("t1", "5", "USD", "2026-04-01T00:00:00Z", 1);
	tx_ok("t1", "5", "USD", "2026-04-01T00:00:00Z", 1);
	/* Same id, other content: still the same transaction. */
	tx_ok("t1", "7", "EUR", "2026-04-01T00:00:01Z", 1);
	item_ok("t1", "i1", "Pen", "1", 1, "office");
	item_ok("t1", "i1", "Pen", "1", 1, "office");
	/* The same item id in another transaction is another line. */
	item_ok("t2", "i1", "Pen", "1", 1, "office");
	/* (transaction_id, item_id) pairs that would collide if simply
	 * joined: "t1"+"2i" and "t12"+"i". */
	item_ok("t1", "2i", "Pen", "1", 1, "office");
	item_ok("t12", "i", "Pen", "1", 1, "office");
	assert_row("user_summary", "1",
		   "{\"user_id\": 1, \"total_transactions\": 1, "
		   "\"total_spent\": 5.00, \"avg_transaction_value\": 5.00, "
		   "\"first_seen\": \"2026-04-01T00:00:00.000000Z\", "
		   "\"last_seen\": \"2026-04-01T00:00:00.000000Z\"}");
	assert_row("product_summary",
		   "{\"name\": \"Pen\", \"category\": \"office\"}",
		   "{\"name\": \"Pen\", \"category\": \"office\", "
		   "\"times_purchased\": 4, \"units_sold\": 4, "
		   "\"total_revenue\": 4.00}");
	/* Duplicates emit nothing. */
	ck_assert_uint_eq(count_output("user_summary"), 1);
	ck_assert_uint_eq(count_output("product_summary"), 4);
	ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_OK);
	ck_assert_int_eq(counter("input=\"transactions\",result=\"duplicate\""),
			 2);
	ck_assert_int_eq(counter("input=\"items\",result=\"duplicate\""), 1);
}
END_TEST

START_TEST(test_dedup_window)
{
	struct mock_state *kv = mock_host_store(m);
	char tid[16];

	mock_host_set(m, "dedup.window.count", "3");
	open_ok();
	tx_ok("a", "1", "USD", "2026-04-01T00:00:00Z", 1);
	tx_ok("b", "1", "USD", "2026-04-01T00:00:00Z", 1);
	tx_ok("c", "1", "USD", "2026-04-01T00:00:00Z", 1);
	tx_ok("a", "1", "USD", "2026-04-01T00:00:00Z", 1); /* in the window */
	tx_ok("d", "1", "USD", "2026-04-01T00:00:00Z", 1); /* a leaves it */
	/* Across a restart the window is the same. */
	mock_host_close(m);
	open_ok();
	tx_ok("b", "1", "USD", "2026-04-01T00:00:00Z", 1); /* still in */
	tx_ok("a", "1", "USD", "2026-04-01T00:00:00Z", 1); /* counted again */
	assert_row("daily_metrics", "2026-04-01",
		   "{\"date\": \"2026-04-01\", \"daily_transactions\": 5, "
		   "\"daily_revenue\": 5.00, \"revenue_by_currency\": "
		   "{\"USD\": 5.00}}");
	/* The store holds the window, not the stream: 1 day, 1 user,
	 * the watermark and 3 ids, after 1000 more. */
	for (int k = 0; k < 1000; k++) {
		snprintf(tid, sizeof tid, "x%d", k);
		tx_ok(tid, "1", "USD", "2026-04-01T00:00:00Z", 1);
	}
	ck_assert_uint_eq(mock_state_count(kv), 6);
	/* A smaller window after a restart drops the oldest ids. */
	mock_host_close(m);
	mock_host_set(m, "dedup.window.count", "2");
	open_ok();
	ck_assert_uint_eq(mock_state_count(kv), 5);
	tx_ok("x997", "1", "USD", "2026-04-01T00:00:00Z", 1); /* dropped */
	tx_ok("x999", "1", "USD", "2026-04-01T00:00:00Z", 1); /* kept */
	assert_row("daily_metrics", "2026-04-01",
		   "{\"date\": \"2026-04-01\", \"daily_transactions\": 1006, "
		   "\"daily_revenue\": 1006.00, \"revenue_by_currency\": "
		   "{\"USD\": 1006.00}}");
	/* Off after a restart: the kept ids leave the store (1 day, 1
	 * user and the watermark stay) and a repeat counts. */
	mock_host_close(m);
	mock_host_set(m, "dedup.window.count", "0");
	open_ok();
	ck_assert_uint_eq(mock_state_count(kv), 3);
	tx_ok("x999", "1", "USD", "2026-04-01T00:00:00Z", 1);
	tx_ok("x999", "1", "USD", "2026-04-01T00:00:00Z", 1);
	ck_assert_uint_eq(mock_state_count(kv), 3);
	assert_row("daily_metrics", "2026-04-01",
		   "{\"date\": \"2026-04-01\", \"daily_transactions\": 1008, "
		   "\"daily_revenue\": 1008.00, \"revenue_by_currency\": "
		   "{\"USD\": 1008.00}}");
}
END_TEST

/* ---- restarts ---- */

/* Every (output, key) -> last value, from the records captured. */
struct table {
	struct row {
		char *output, *key, *value;
	} * v;
	size_t n, cap;
};

static struct row *table_find(struct table *t, const char *output,
			      const char *key)
{
	for (size_t k = 0; k < t->n; k++)
		if (!strcmp(t->v[k].output, output) &&
		    !strcmp(t->v[k].key, key))
			return &t->v[k];
	return NULL;
}

static void table_set(struct table *t, const char *output, const char *key,
		      const char *value)
{
	struct row *r = table_find(t, output, key);

	if (r) {
		free(r->value);
		r->value = strdup(value);
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = realloc(t->v, t->cap * sizeof *t->v);
		ck_assert_ptr_nonnull(t->v);
	}
	t->v[t->n++] = (struct row){strdup(output), strdup(key), strdup(value)};
}

static void table_free(struct table *t)
{
	for (size_t k = 0; k < t->n; k++) {
		free(t->v[k].output);
		free(t->v[k].key);
		free(t->v[k].value);
	}
	free(t->v);
	*t = (struct table){0};
}

/* The upserts captured (late records left out), folded into t; the
 * captured records are then forgotten. */
static void fold(struct table *t)
{
	for (size_t i = 0; i < mock_host_record_count(m); i++) {
		const struct mock_record *r = mock_host_record(m, i);

		REQUIRE(r->output, "record %zu has no output", i);
		if (strcmp(r->output, "late"))
			table_set(t, r->output, r->key, r->value);
	}
	mock_host_clear_records(m);
}

static void some_input(int from, int to)
{
	char tid[32], iid[32], amount[32], ts[40], name[16];

	for (int k = from; k < to; k++) {
		snprintf(tid, sizeof tid, "t%d", k);
		snprintf(amount, sizeof amount, "%d.%02d", k % 97, k % 100);
		snprintf(ts, sizeof ts, "2026-05-%02dT%02d:%02d:00Z",
			 1 + k / 500, k / 20 % 24, k % 60);
		tx_ok(tid, amount, k % 3 ? "USD" : "EUR", ts, k % 13);
		snprintf(iid, sizeof iid, "i%d", k);
		snprintf(name, sizeof name, "P%d", k % 17);
		item_ok(tid, iid, name, amount, 1 + k % 4,
			k % 2 ? "home" : "food");
	}
}

START_TEST(test_restart_reemits_once)
{
	struct table before = {0}, after = {0}, straight = {0};
	struct mock_host *ref;

	mock_host_set(m, "allowed.lateness", "30d");
	open_ok();
	some_input(0, 600);
	fold(&before);
	mock_host_close(m);
	open_ok();
	/* Nothing before the first tick or process. */
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_OK);
	/* Every row once, with the values it had. */
	ck_assert_uint_eq(mock_host_record_count(m), before.n);
	fold(&after);
	ck_assert_uint_eq(after.n, before.n);
	for (size_t k = 0; k < before.n; k++) {
		struct row *r =
			table_find(&after, before.v[k].output, before.v[k].key);

		ck_assert_ptr_nonnull(r);
		ck_assert_str_eq(r->value, before.v[k].value);
	}
	ck_assert_int_eq(
		mock_host_counter(m, "gold_rows_reemitted_total", NULL),
		(int64_t)before.n);
	/* Only once: the next tick emits nothing. */
	ck_assert_int_eq(mock_host_tick(m, 2), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	/* And it goes on exactly: the same input without a restart gives
	 * the same final rows. */
	some_input(600, 1000);
	fold(&after);
	mock_host_free(m);
	m = ref = mock_host_new(sluice_plugin_entry());
	mock_host_set(m, "allowed.lateness", "30d");
	open_ok();
	some_input(0, 1000);
	fold(&straight);
	ck_assert_uint_eq(after.n, straight.n);
	for (size_t k = 0; k < straight.n; k++) {
		struct row *r = table_find(&after, straight.v[k].output,
					   straight.v[k].key);

		ck_assert_ptr_nonnull(r);
		ck_assert_str_eq(r->value, straight.v[k].value);
	}
	table_free(&before);
	table_free(&after);
	table_free(&straight);
}
END_TEST

START_TEST(test_reemit_on_first_process)
{
	open_ok();
	tx_ok("a", "1", "USD", "2026-04-01T00:00:00Z", 1);
	item_ok("a", "1", "Pen", "1", 1, "office");
	mock_host_close(m);
	mock_host_clear_records(m);
	open_ok();
	/* A refused first record: the host drops what it emitted, so the
	 * re-emit waits for the next call. */
	ck_assert_int_eq(feed(TX_TOPIC, "x", "nope"), SLUICE_REJECT);
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	/* The first process emits the 3 rows again, then its own 2. */
	tx_ok("b", "2", "USD", "2026-04-01T00:00:00Z", 1);
	ck_assert_uint_eq(mock_host_record_count(m), 5);
	ck_assert_str_eq(mock_host_record(m, 3)->output, "daily_metrics");
	ck_assert_str_eq(mock_host_record(m, 4)->output, "user_summary");
	assert_row("daily_metrics", "2026-04-01",
		   "{\"date\": \"2026-04-01\", \"daily_transactions\": 2, "
		   "\"daily_revenue\": 3.00, \"revenue_by_currency\": "
		   "{\"USD\": 3.00}}");
}
END_TEST

/* A copy of the store, for crashes: the host restores the store as it
 * was after some input record and reads again from the next one. */
static int copy_entry(void *ctx, const void *key, size_t key_len,
		      const void *value, size_t value_len)
{
	char err[256];

	return mock_state_put(ctx, key, key_len, value, value_len, err,
			      sizeof err);
}

static void store_copy(struct mock_state *to, const struct mock_state *from)
{
	mock_state_clear(to);
	ck_assert_int_eq(mock_state_foreach(from, copy_entry, to), 0);
}

START_TEST(test_crash_replay)
{
	struct table crashed = {0}, straight = {0};
	struct mock_state *snap = mock_state_new();

	mock_host_set(m, "allowed.lateness", "30d");
	open_ok();
	some_input(0, 300);
	store_copy(snap, mock_host_store(m));
	/* These are emitted, then the task dies before its store moves
	 * on: the store goes back to after input 300. */
	some_input(300, 450);
	mock_host_close(m);
	store_copy(mock_host_store(m), snap);
	open_ok();
	some_input(300, 700);
	fold(&crashed);
	mock_host_free(m);
	m = mock_host_new(sluice_plugin_entry());
	mock_host_set(m, "allowed.lateness", "30d");
	open_ok();
	some_input(0, 700);
	fold(&straight);
	ck_assert_uint_eq(crashed.n, straight.n);
	for (size_t k = 0; k < straight.n; k++) {
		struct row *r = table_find(&crashed, straight.v[k].output,
					   straight.v[k].key);

		ck_assert_ptr_nonnull(r);
		ck_assert_str_eq(r->value, straight.v[k].value);
	}
	mock_state_free(snap);
	table_free(&crashed);
	table_free(&straight);
}
END_TEST

/* ---- bad input and options ---- */

START_TEST(test_rejects)
{
	static const struct {
		const char *topic, *value, *err;
	} cases[] = {
		{"other", "{}",
		 "topic 'other' is neither transactions.topic "
		 "(silver_transactions) nor items.topic (silver_items)"},
		{TX_TOPIC, "{\"transaction_id\": \"x\"",
		 "the value is not one "
		 "JSON object"},
		{TX_TOPIC, "[1]", "the value is not one JSON object"},
		{ITEMS_TOPIC,
		 "{\"transaction_id\": \"x\", \"item_id\": \"i\", \"name\": "
		 "\"P\xffn\", \"price\": 1, \"quantity\": 1, \"category\": "
		 "\"office\"}",
		 "the value is not one JSON object"},
		{TX_TOPIC, "{\"transaction_id\": 'x'}",
		 "the value is not one JSON object"},
		{TX_TOPIC, "{} {}", "the value is not one JSON object"},
		{TX_TOPIC, "{\"amount\": 1}",
		 "'transaction_id' is missing or not a string"},
		{TX_TOPIC,
		 "{\"transaction_id\": \"x\", \"amount\": \"1.00\", "
		 "\"currency\": \"USD\", \"timestamp\": "
		 "\"2026-01-01T00:00:00Z\", \"user_id\": 1}",
		 "'amount' is missing or not a number"},
		{TX_TOPIC,
		 "{\"transaction_id\": \"x\", \"amount\": 1e300, "
		 "\"currency\": \"USD\", \"timestamp\": "
		 "\"2026-01-01T00:00:00Z\", \"user_id\": 1}",
		 "'amount' is 1e300: not an amount of at most "
		 "10000000000000.00"},
		{TX_TOPIC,
		 "{\"transaction_id\": \"x\", \"amount\": 1, "
		 "\"currency\": \"US D\", \"timestamp\": "
		 "\"2026-01-01T00:00:00Z\", \"user_id\": 1}",
		 "'currency' is not a code of 1..16 letters, digits, '_', '.' "
		 "or '-'"},
		{TX_TOPIC,
		 "{\"transaction_id\": \"x\", \"amount\": 1, "
		 "\"currency\": \"USD\", \"timestamp\": 1767225600, "
		 "\"user_id\": 1}",
		 "'timestamp' is missing or not a string"},
		{TX_TOPIC,
		 "{\"transaction_id\": \"x\", \"amount\": 1, "
		 "\"currency\": \"USD\", \"timestamp\": \"yesterday\", "
		 "\"user_id\": 1}",
		 "'timestamp' is not an ISO 8601 UTC time like "
		 "2026-01-21T00:39:04.153833Z"},
		{TX_TOPIC,
		 "{\"transaction_id\": \"x\", \"amount\": 1, "
		 "\"currency\": \"USD\", \"timestamp\": "
		 "\"2026-01-01T00:00:00Z\", \"user_id\": null}",
		 "'user_id' is missing or not an integer"},
		{TX_TOPIC,
		 "{\"transaction_id\": \"\", \"amount\": 1, "
		 "\"currency\": \"USD\", \"timestamp\": "
		 "\"2026-01-01T00:00:00Z\", \"user_id\": 1}",
		 "'transaction_id' is empty or longer than 1022 bytes"},
		{ITEMS_TOPIC,
		 "{\"transaction_id\": \"x\", \"item_id\": \"i\", \"name\": "
		 "\"Pen\", \"price\": 1, \"quantity\": 1.5, \"category\": "
		 "\"office\"}",
		 "'quantity' is missing or not an integer"},
		{ITEMS_TOPIC,
		 "{\"transaction_id\": \"x\", \"item_id\": \"i\", \"name\": "
		 "\"Pen\", \"price\": 1, \"quantity\": 1}",
		 "'category' is missing or not a string"},
		{ITEMS_TOPIC,
		 "{\"transaction_id\": \"x\", \"item_id\": \"i\", \"name\": "
		 "\"Pen\", \"price\": 10000000000000, \"quantity\": "
		 "1000000, \"category\": \"office\"}",
		 "the product's totals would overflow"},
		/* Lone surrogates: json-c made both U+FFFD, one product of
		 * two names. */
		{ITEMS_TOPIC,
		 "{\"transaction_id\": \"x\", \"item_id\": \"i\", \"name\": "
		 "\"P\\ud800n\", \"price\": 1, \"quantity\": 1, "
		 "\"category\": \"office\"}",
		 "the value is not one JSON object"},
		{ITEMS_TOPIC,
		 "{\"transaction_id\": \"x\", \"item_id\": \"i\", \"name\": "
		 "\"P\\udc00n\", \"price\": 1, \"quantity\": 1, "
		 "\"category\": \"office\"}",
		 "the value is not one JSON object"},
		/* An overlong form of '.', and a UTF-8 encoded surrogate. */
		{ITEMS_TOPIC,
		 "{\"transaction_id\": \"x\", \"item_id\": \"i\", \"name\": "
		 "\"P\xc0\xaen\", \"price\": 1, \"quantity\": 1, "
		 "\"category\": \"office\"}",
		 "the value is not one JSON object"},
		{ITEMS_TOPIC,
		 "{\"transaction_id\": \"x\", \"item_id\": \"i\", \"name\": "
		 "\"P\xed\xa0\x80n\", \"price\": 1, \"quantity\": 1, "
		 "\"category\": \"office\"}",
		 "the value is not one JSON object"},
		/* Integers past 64 bits are refused, not clamped. */
		{TX_TOPIC,
		 "{\"transaction_id\": \"x\", \"amount\": 1, "
		 "\"currency\": \"USD\", \"timestamp\": "
		 "\"2026-01-01T00:00:00Z\", \"user_id\": "
		 "9223372036854775808}",
		 "'user_id' is missing or not an integer"},
		{ITEMS_TOPIC,
		 "{\"transaction_id\": \"x\", \"item_id\": \"i\", \"name\": "
		 "\"Pen\", \"price\": 1, \"quantity\": "
		 "-9223372036854775809, \"category\": \"office\"}",
		 "'quantity' is missing or not an integer"},
		/* The amount as written (json-c said 18446744073709551615). */
		{TX_TOPIC,
		 "{\"transaction_id\": \"x\", \"amount\": "
		 "99999999999999999999, \"currency\": \"USD\", "
		 "\"timestamp\": \"2026-01-01T00:00:00Z\", \"user_id\": 1}",
		 "'amount' is 99999999999999999999: not an amount of at most "
		 "10000000000000.00"},
		{TX_TOPIC, "{\"transaction_id\": \"x\",}",
		 "the value is not one JSON object"},
		{TX_TOPIC, "{\"transaction_id\": \"x\"}\n]",
		 "the value is not one JSON object"},
	};
	struct mock_state *kv = mock_host_store(m);

	open_ok();
	ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_OK);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		enum sluice_status st =
			feed(cases[k].topic, "x", cases[k].value);

		REQUIRE(st == SLUICE_REJECT, "case %zu: %d", k, st);
		REQUIRE(!strcmp(mock_host_error(m), cases[k].err),
			"case %zu: got '%s'", k, mock_host_error(m));
	}
	/* Nothing counted, nothing stored, nothing emitted. */
	ck_assert_uint_eq(mock_state_count(kv), 0);
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	/* A tombstone is counted and skipped. */
	ck_assert_int_eq(feed(TX_TOPIC, "x", NULL), SLUICE_OK);
	ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_OK);
	ck_assert_int_eq(counter("input=\"any\",result=\"tombstone\""), 1);
	ck_assert_int_eq(mock_host_misuse(m), 0);
}
END_TEST

/* What the parser lets through: nesting up to 32 levels (json-c's
 * default, what gold took before), whitespace around the value, a
 * repeated member (the last counts), -0. */
START_TEST(test_json_edges)
{
	char v[512];
	int n;

	open_ok();
	for (int depth = 32; depth <= 33; depth++) {
		n = snprintf(v, sizeof v,
			     "{\"transaction_id\": \"d%d\", \"amount\": 1, "
			     "\"currency\": \"USD\", \"timestamp\": "
			     "\"2026-01-01T00:00:00Z\", \"user_id\": 1, "
			     "\"x\": ",
			     depth);
		/* The object itself is the first level. */
		for (int k = 1; k < depth; k++)
			v[n++] = '[';
		for (int k = 1; k < depth; k++)
			v[n++] = ']';
		snprintf(v + n, sizeof v - (size_t)n, "}");
		if (depth == 32) {
			ck_assert_int_eq(feed(TX_TOPIC, "d", v), SLUICE_OK);
		} else {
			ck_assert_int_eq(feed(TX_TOPIC, "d", v), SLUICE_REJECT);
			ck_assert_str_eq(mock_host_error(m),
					 "the value is not one JSON object");
		}
	}
	ck_assert_int_eq(feed(TX_TOPIC, "w",
			      " \t\r\n{\"transaction_id\": \"w\", \"amount\": "
			      "1, \"amount\": 2.5, \"currency\": \"USD\", "
			      "\"timestamp\": \"2026-01-01T00:00:00Z\", "
			      "\"user_id\": 2}\n "),
			 SLUICE_OK);
	tx_ok("z", "-0", "USD", "2026-01-01T00:00:00Z", 3);
	assert_row("daily_metrics", "2026-01-01",
		   "{\"date\": \"2026-01-01\", \"daily_transactions\": 3, "
		   "\"daily_revenue\": 3.50, \"revenue_by_currency\": "
		   "{\"USD\": 3.50}}");
	assert_row("user_summary", "3",
		   "{\"user_id\": 3, \"total_transactions\": 1, "
		   "\"total_spent\": 0.00, \"avg_transaction_value\": 0.00, "
		   "\"first_seen\": \"2026-01-01T00:00:00.000000Z\", "
		   "\"last_seen\": \"2026-01-01T00:00:00.000000Z\"}");
}
END_TEST

START_TEST(test_options)
{
	mock_host_set(m, "items.topic", "silver_transactions");
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	ck_assert_str_eq(mock_host_error(m),
			 "transactions.topic and items.topic are both "
			 "'silver_transactions': the record's topic tells "
			 "them apart");
	mock_host_set(m, "items.topic", "my_items");
	mock_host_set(m, "transactions.topic", "my_tx");
	mock_host_set_task(m, 0, 2);
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	ck_assert_str_eq(mock_host_error(m),
			 "tasks.max is 2: transform-gold keeps each table "
			 "whole in one task's store, so it runs as one task");
	mock_host_set_task(m, 0, 1);
	open_ok();
	ck_assert_int_eq(feed("my_tx", "a",
			      "{\"transaction_id\": \"a\", \"amount\": 1, "
			      "\"currency\": \"USD\", \"timestamp\": "
			      "\"2026-01-01T00:00:00Z\", \"user_id\": 1}"),
			 SLUICE_OK);
	ck_assert_int_eq(feed(TX_TOPIC, "a", "{}"), SLUICE_REJECT);
	mock_host_close(m);
	mock_host_set(m, "dedup.window.count", "-1");
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	mock_host_set(m, "dedup.window.count", "10");
	mock_host_set(m, "allowed.lateness", "-1s");
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
}
END_TEST

START_TEST(test_corrupt_store)
{
	char err[128];

	ck_assert_int_eq(mock_state_put(mock_host_store(m), "t:x", 3, "nope", 4,
					err, sizeof err),
			 0);
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	ck_assert_str_eq(mock_host_error(m),
			 "the state store holds an entry transform-gold cannot "
			 "read (or memory ran out)");
	mock_state_clear(mock_host_store(m));
	ck_assert_int_eq(mock_state_put(mock_host_store(m), "u:1", 3, "1 2", 3,
					err, sizeof err),
			 0);
	open_ok();
	ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_FATAL);
	ck_assert_str_eq(mock_host_error(m),
			 "state entry 'u:1' is not a gold row");
}
END_TEST

START_TEST(test_emit_failure)
{
	open_ok();
	mock_host_fail_emits_after(m, 1);
	ck_assert_int_eq(tx("a", "1", "USD", "2026-01-01T00:00:00Z", 1),
			 SLUICE_FATAL);
}
END_TEST

/* ---- from scratch: 20,000 faker events ---- */

/* The test's own arithmetic: amounts through strtod and llround (the
 * faker's are whole cents), avg as (2 sum + n) / 2n on magnitudes. */
static int64_t cents_of(json_object *v)
{
	return llround(json_object_get_double(v) * 100.0);
}

static void money_text(char *p, size_t cap, int64_t c)
{
	long long a = c < 0 ? -(long long)c : (long long)c;

	snprintf(p, cap, "%s%lld.%02lld", c < 0 ? "-" : "", a / 100, a % 100);
}

static int64_t avg_of(int64_t sum, int64_t n)
{
	int64_t a = sum < 0 ? -sum : sum;
	int64_t q = (2 * a + n) / (2 * n);

	return sum < 0 ? -q : q;
}

/* Event time: our own reading of the faker's fixed format. */
static int64_t time_of(const char *s)
{
	struct tm tm = {0};
	int us = 0;

	REQUIRE(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ", &tm.tm_year,
		       &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		       &tm.tm_sec, &us) == 7,
		"timestamp %s", s);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000000 + us;
}

struct ref_day {
	char date[11];
	int64_t n, rev, cur[8]; /* by currency index */
};
struct ref_user {
	int64_t n, spent, first, last;
	int seen;
};
struct ref_product {
	char name[64], category[32];
	int64_t times, units, rev;
};
struct ref {
	struct ref_day days[64];
	size_t ndays;
	struct ref_user users[51];
	struct ref_product products[128];
	size_t nproducts;
	char **seen_tx, **seen_items;
	size_t nseen_tx, nseen_items, cap_tx, cap_items;
	int64_t max_us, late;
	int have_max;
};

static const char *const ref_currencies[] = {"EUR", "GBP", "INR", "USD"};

/* A set of ids (open addressing), for the reference's own dedup. */
static int seen_before(char ***set, size_t *n, size_t *cap, const char *id)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	if ((*n + 1) * 2 > *cap) {
		char **old = *set;
		size_t oldcap = *cap;

		*cap = oldcap ? oldcap * 2 : 1024;
		*set = calloc(*cap, sizeof **set);
		REQUIRE(*set, "out of memory");
		*n = 0;
		for (size_t k = 0; k < oldcap; k++)
			if (old[k]) {
				seen_before(set, n, cap, old[k]);
				free(old[k]);
			}
		free(old);
	}
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (i = h & (*cap - 1); (*set)[i]; i = (i + 1) & (*cap - 1))
		if (!strcmp((*set)[i], id))
			return 1;
	(*set)[i] = strdup(id);
	(*n)++;
	return 0;
}

/* One faker event: into silver records (appended to `silver`, one per
 * line, topic first) and into the reference computation. */
struct silver {
	char **topic, **value;
	size_t n, cap;
};

static void silver_add(struct silver *s, const char *topic, const char *v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->topic = realloc(s->topic, s->cap * sizeof *s->topic);
		s->value = realloc(s->value, s->cap * sizeof *s->value);
		REQUIRE(s->topic && s->value, "out of memory");
	}
	s->topic[s->n] = strdup(topic);
	s->value[s->n++] = strdup(v);
}

static json_object *get(json_object *o, const char *name)
{
	json_object *v = NULL;

	REQUIRE(json_object_object_get_ex(o, name, &v), "no %s", name);
	return v;
}

static void convert(struct ref *ref, struct silver *s, const char *event,
		    int64_t lateness_us)
{
	json_object *e = json_tokener_parse(event), *items, *user, *o;
	const char *tid, *ts, *cur, *cat;
	int64_t t, amount;
	int uid, dup, ci = -1;

	REQUIRE(e, "not JSON: %s", event);
	tid = json_object_get_string(get(e, "transaction_id"));
	ts = json_object_get_string(get(e, "timestamp"));
	cur = json_object_get_string(get(e, "currency"));
	cat = json_object_get_string(get(e, "category"));
	user = get(e, "user");
	uid = json_object_get_int(get(user, "user_id"));
	amount = cents_of(get(e, "amount"));
	t = time_of(ts);

	/* Silver: the transaction (json-c writes it; amount as the
	 * event's own number). */
	o = json_object_new_object();
	json_object_object_add(o, "transaction_id",
			       json_object_new_string(tid));
	json_object_object_add(o, "amount", json_object_get(get(e, "amount")));
	json_object_object_add(o, "currency", json_object_new_string(cur));
	json_object_object_add(o, "timestamp", json_object_new_string(ts));
	json_object_object_add(o, "user_id", json_object_new_int(uid));
	silver_add(s, TX_TOPIC, json_object_to_json_string(o));
	json_object_put(o);

	/* The reference: dedup, then lateness, then the sums. */
	dup = seen_before(&ref->seen_tx, &ref->nseen_tx, &ref->cap_tx, tid);
	for (int k = 0; k < 4; k++)
		if (!strcmp(cur, ref_currencies[k]))
			ci = k;
	REQUIRE(ci >= 0, "currency %s", cur);
	if (!dup && ref->have_max && t < ref->max_us - lateness_us) {
		ref->late++;
	} else if (!dup) {
		char date[11];
		time_t sec = (time_t)(t / 1000000);
		struct tm tm;
		struct ref_day *d = NULL;
		struct ref_user *u = &ref->users[uid];

		if (!ref->have_max || t > ref->max_us)
			ref->max_us = t;
		ref->have_max = 1;
		gmtime_r(&sec, &tm);
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
		for (size_t k = 0; k < ref->ndays; k++)
			if (!strcmp(ref->days[k].date, date))
				d = &ref->days[k];
		if (!d) {
			REQUIRE(ref->ndays < 64, "days");
			d = &ref->days[ref->ndays++];
			memcpy(d->date, date, sizeof date);
		}
		d->n++;
		d->rev += amount;
		d->cur[ci] += amount;
		if (!u->seen || t < u->first)
			u->first = t;
		if (!u->seen || t > u->last)
			u->last = t;
		u->seen = 1;
		u->n++;
		u->spent += amount;
	}

	items = get(e, "items");
	for (size_t k = 0; k < json_object_array_length(items); k++) {
		json_object *it = json_object_array_get_idx(items, k);
		const char *iid = json_object_get_string(get(it, "item_id"));
		const char *name = json_object_get_string(get(it, "name"));
		int qty = json_object_get_int(get(it, "quantity"));
		char id[128];
		struct ref_product *p = NULL;

		o = json_object_new_object();
		json_object_object_add(o, "transaction_id",
				       json_object_new_string(tid));
		json_object_object_add(o, "item_id",
				       json_object_new_string(iid));
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "price",
				       json_object_get(get(it, "price")));
		json_object_object_add(o, "quantity", json_object_new_int(qty));
		json_object_object_add(o, "category",
				       json_object_new_string(cat));
		silver_add(s, ITEMS_TOPIC, json_object_to_json_string(o));
		json_object_put(o);

		snprintf(id, sizeof id, "%s/%s", tid, iid);
		if (seen_before(&ref->seen_items, &ref->nseen_items,
				&ref->cap_items, id))
			continue;
		for (size_t j = 0; j < ref->nproducts; j++)
			if (!strcmp(ref->products[j].name, name) &&
			    !strcmp(ref->products[j].category, cat))
				p = &ref->products[j];
		if (!p) {
			REQUIRE(ref->nproducts < 128, "products");
			p = &ref->products[ref->nproducts++];
			snprintf(p->name, sizeof p->name, "%s", name);
			snprintf(p->category, sizeof p->category, "%s", cat);
		}
		p->times++;
		p->units += qty;
		p->rev += cents_of(get(it, "price")) * qty;
	}
	json_object_put(e);
}

static void time_text(char *p, size_t cap, int64_t us)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	char s[32];

	gmtime_r(&sec, &tm);
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(p, cap, "%s.%06dZ", s, (int)(us % 1000000));
}

/* The reference's rows, each checked against the table. */
static void compare(struct ref *ref, struct table *t)
{
	char want[1024], key[256], a[32], b[32], c[32], d[64], e[64];
	size_t rows = 0;

	for (size_t k = 0; k < ref->ndays; k++) {
		struct ref_day *day = &ref->days[k];
		size_t len;
		int first = 1;

		money_text(a, sizeof a, day->rev);
		len = (size_t)snprintf(want, sizeof want,
				       "{\"date\": \"%s\", "
				       "\"daily_transactions\": %lld, "
				       "\"daily_revenue\": %s, "
				       "\"revenue_by_currency\": {",
				       day->date, (long long)day->n, a);
		for (int ci = 0; ci < 4; ci++) {
			if (!day->cur[ci])
				continue; /* (no zero sums in this stream) */
			money_text(a, sizeof a, day->cur[ci]);
			len += (size_t)snprintf(
				want + len, sizeof want - len, "%s\"%s\": %s",
				first ? "" : ", ", ref_currencies[ci], a);
			first = 0;
		}
		snprintf(want + len, sizeof want - len, "}}");
		struct row *r = table_find(t, "daily_metrics", day->date);
		ck_assert_msg(r, "no day %s", day->date);
		ck_assert_str_eq(r->value, want);
		rows++;
	}
	for (int u = 0; u <= 50; u++) {
		struct ref_user *x = &ref->users[u];

		if (!x->seen)
			continue;
		money_text(a, sizeof a, x->spent);
		money_text(b, sizeof b, avg_of(x->spent, x->n));
		time_text(d, sizeof d, x->first);
		time_text(e, sizeof e, x->last);
		snprintf(want, sizeof want,
			 "{\"user_id\": %d, \"total_transactions\": %lld, "
			 "\"total_spent\": %s, \"avg_transaction_value\": %s, "
			 "\"first_seen\": \"%s\", \"last_seen\": \"%s\"}",
			 u, (long long)x->n, a, b, d, e);
		snprintf(key, sizeof key, "%d", u);
		struct row *r = table_find(t, "user_summary", key);
		ck_assert_msg(r, "no user %s", key);
		ck_assert_str_eq(r->value, want);
		rows++;
	}
	for (size_t k = 0; k < ref->nproducts; k++) {
		struct ref_product *p = &ref->products[k];

		money_text(c, sizeof c, p->rev);
		snprintf(key, sizeof key,
			 "{\"name\": \"%s\", \"category\": \"%s\"}", p->name,
			 p->category);
		snprintf(want, sizeof want,
			 "{\"name\": \"%s\", \"category\": \"%s\", "
			 "\"times_purchased\": %lld, \"units_sold\": %lld, "
			 "\"total_revenue\": %s}",
			 p->name, p->category, (long long)p->times,
			 (long long)p->units, c);
		struct row *r = table_find(t, "product_summary", key);
		ck_assert_msg(r, "no product %s", key);
		ck_assert_str_eq(r->value, want);
		rows++;
	}
	/* And nothing else. */
	ck_assert_uint_eq(t->n, rows);
}

START_TEST(test_from_scratch)
{
	const int events = 20000;
	const int64_t lateness_us = 30LL * 60 * 1000000;
	struct mock_host *f = mock_host_new(faker_plugin_entry());
	struct ref *ref = calloc(1, sizeof *ref);
	struct silver s = {0};
	struct table t = {0};
	struct mock_state *snap = mock_state_new();
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t at = 0, restarts = 0, crashes = 0, late_out = 0;
	enum sluice_status st;

	ck_assert_ptr_nonnull(ref);
	mock_host_set(f, "seed", "42");
	mock_host_set(f, "rate", "0");
	mock_host_set(f, "clock", "simulated");
	mock_host_set(f, "clock.step", "30s");
	mock_host_set(f, "clock.jitter", "true");
	mock_host_set(f, "max.events", "20000");
	mock_host_set(f, "anomaly.duplicate", "0.03");
	mock_host_set(f, "anomaly.late", "0.05");
	mock_host_set(f, "anomaly.late.max", "1h");
	ck_assert_int_eq(mock_host_open(f), SLUICE_OK);
	do {
		st = mock_host_poll(f, 1000);
		ck_assert(st == SLUICE_OK || st == SLUICE_DONE);
	} while (st == SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(f), (size_t)events);
	for (size_t k = 0; k < mock_host_record_count(f); k++)
		convert(ref, &s, mock_host_record(f, k)->value, lateness_us);
	mock_host_free(f);
	/* The stream has what the test is about. */
	ck_assert_uint_lt(ref->nseen_tx, (size_t)events - 300);
	ck_assert_int_gt(ref->late, 100);
	ck_assert_uint_gt(ref->ndays, 5);

	mock_host_set(m, "allowed.lateness", "30m");
	open_ok();
	while (at < s.n) {
		size_t chunk, end;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		chunk = 1 + (size_t)(x % 6000);
		end = at + chunk < s.n ? at + chunk : s.n;
		if (x >> 60 < 4) {
			/* A crash: this chunk is processed and emitted,
			 * then the store goes back to before it and the
			 * input is read again from there. */
			store_copy(snap, mock_host_store(m));
			for (size_t k = at; k < end; k++) {
				next_offset = (int64_t)k;
				st = feed(s.topic[k], NULL, s.value[k]);
				REQUIRE(st == SLUICE_OK, "record %zu: %s", k,
					mock_host_error(m));
			}
			mock_host_close(m);
			store_copy(mock_host_store(m), snap);
			open_ok();
			crashes++;
		}
		for (size_t k = at; k < end; k++) {
			next_offset = (int64_t)k;
			st = feed(s.topic[k], NULL, s.value[k]);
			REQUIRE(st == SLUICE_OK, "record %zu: %s", k,
				mock_host_error(m));
		}
		for (size_t i = 0; i < mock_host_record_count(m); i++)
			late_out +=
				!strcmp(mock_host_record(m, i)->output, "late");
		fold(&t);
		at = end;
		/* A restart: every row emitted once more, then on. */
		mock_host_close(m);
		open_ok();
		ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_OK);
		ck_assert_uint_eq(mock_host_record_count(m), t.n);
		fold(&t);
		restarts++;
	}
	ck_assert_uint_gt(restarts, 5);
	ck_assert_uint_gt(crashes, 0);
	compare(ref, &t);
	/* Late records: each at least once (those of a crashed chunk
	 * twice). */
	ck_assert_uint_ge(late_out, (size_t)ref->late);

	for (size_t k = 0; k < s.n; k++) {
		free(s.topic[k]);
		free(s.value[k]);
	}
	free(s.topic);
	free(s.value);
	for (size_t k = 0; k < ref->cap_tx; k++)
		free(ref->seen_tx[k]);
	for (size_t k = 0; k < ref->cap_items; k++)
		free(ref->seen_items[k]);
	free(ref->seen_tx);
	free(ref->seen_items);
	free(ref);
	table_free(&t);
	mock_state_free(snap);
}
END_TEST

START_TEST(test_exports_only_entry)
{
	const char *top = getenv("top_builddir");
	char path[4096];
	void *h;

	if (!top)
		return; /* run by hand, outside make check */
	snprintf(path, sizeof path,
		 "%s/plugins/transform-gold/.libs/transform-gold.so", top);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h, "%s", dlerror());
	ck_assert_ptr_nonnull(dlsym(h, SLUICE_PLUGIN_ENTRY));
	ck_assert_ptr_null(dlsym(h, "gold_money_parse"));
	ck_assert_ptr_null(dlsym(h, "jbuf_str"));
	dlclose(h);
}
END_TEST

/* The same inputs into a second plugin instance with emit.interval 0:
 * the latest value of every row, to compare the coalesced ones with. */
static void feed_changes(int from, int to)
{
	char tid[16], ts[40];

	for (int i = from; i < to; i++) {
		snprintf(tid, sizeof tid, "c%d", i);
		snprintf(ts, sizeof ts, "2026-01-0%dT10:00:00Z", 1 + i % 2);
		tx_ok(tid, i % 2 ? "10.5" : "0.25", i % 3 ? "USD" : "EUR", ts,
		      1 + i % 3);
		item_ok(tid, "i1", i % 2 ? "Pizza" : "Sushi", "2.50", 1 + i % 4,
			"food");
	}
}

/* With emit.interval a row's changes go out as one upsert, from the
 * store, when the interval has passed or at a tick: the same final
 * values as emitting every change, each row once, in order of first
 * change, with the newest input's timestamp. */
START_TEST(test_coalesced)
{
	struct table every = {0};
	const char *keys[][2] = {
		{"daily_metrics", "2026-01-01"},
		{"user_summary", "1"},
		{"product_summary",
		 "{\"name\": \"Sushi\", \"category\": \"food\"}"},
		{"daily_metrics", "2026-01-02"},
		{"user_summary", "2"},
		{"product_summary",
		 "{\"name\": \"Pizza\", \"category\": \"food\"}"},
		{"user_summary", "3"},
	};

	mock_host_set(m, "allowed.lateness", "7d");
	open_ok();
	feed_changes(0, 40);
	ck_assert_uint_eq(mock_host_record_count(m), 40 * 3);
	fold(&every);
	mock_host_free(m);

	m = mock_host_new(sluice_plugin_entry());
	mock_host_set(m, "emit.interval", "1h");
	mock_host_set(m, "allowed.lateness", "7d");
	open_ok();
	feed_changes(0, 40);
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	ck_assert_int_eq(mock_host_tick(m, 1), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 7);
	for (size_t i = 0; i < 7; i++) {
		const struct mock_record *r = mock_host_record(m, i);
		struct row *want = table_find(&every, keys[i][0], keys[i][1]);

		ck_assert_str_eq(r->output, keys[i][0]);
		ck_assert_str_eq(r->key, keys[i][1]);
		ck_assert_ptr_nonnull(want);
		ck_assert_str_eq(r->value, want->value);
		ck_assert_int_eq(r->timestamp_ms, 1767225600000LL);
	}
	/* Nothing changed: a tick emits nothing. */
	ck_assert_int_eq(mock_host_tick(m, 2), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 7);
	/* One more transaction of user 2 on day 2: two rows, once each. */
	tx_ok("late1", "1", "USD", "2026-01-02T11:00:00Z", 2);
	tx_ok("late2", "1", "USD", "2026-01-02T11:00:01Z", 2);
	ck_assert_uint_eq(mock_host_record_count(m), 7);
	ck_assert_int_eq(mock_host_tick(m, 3), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 9);
	ck_assert_str_eq(mock_host_record(m, 7)->key, "2026-01-02");
	ck_assert_str_eq(mock_host_record(m, 8)->key, "2");
	ck_assert_ptr_nonnull(strstr(mock_host_record(m, 8)->value,
				     "\"total_transactions\": 15,"));
	table_free(&every);
	ck_assert_int_eq(mock_host_misuse(m), 0);
}
END_TEST

/* A short interval emits from process() once it has passed. */
START_TEST(test_coalesced_interval)
{
	struct timespec pause = {0, 300 * 1000 * 1000};

	mock_host_set(m, "emit.interval", "200ms");
	open_ok();
	tx_ok("a", "1", "USD", "2026-01-01T00:00:00Z", 1);
	tx_ok("b", "2", "USD", "2026-01-01T00:00:01Z", 1);
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	nanosleep(&pause, NULL);
	tx_ok("c", "4", "USD", "2026-01-01T00:00:02Z", 1);
	ck_assert_uint_eq(mock_host_record_count(m), 2);
	assert_row("daily_metrics", "2026-01-01",
		   "{\"date\": \"2026-01-01\", \"daily_transactions\": 3, "
		   "\"daily_revenue\": 7.00, \"revenue_by_currency\": "
		   "{\"USD\": 7.00}}");
}
END_TEST

static Suite *gold_suite(void)
{
	Suite *s = suite_create("transform-gold");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_daily_metrics);
	tcase_add_test(tc, test_user_summary);
	tcase_add_test(tc, test_product_summary);
	tcase_add_test(tc, test_money_parse);
	tcase_add_test(tc, test_money_write_and_avg);
	tcase_add_test(tc, test_money_sums);
	tcase_add_test(tc, test_time_parse);
	tcase_add_test(tc, test_late);
	tcase_add_test(tc, test_lateness_zero_and_items);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_dedup_window);
	tcase_add_test(tc, test_restart_reemits_once);
	tcase_add_test(tc, test_reemit_on_first_process);
	tcase_add_test(tc, test_crash_replay);
	tcase_add_test(tc, test_rejects);
	tcase_add_test(tc, test_json_edges);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_corrupt_store);
	tcase_add_test(tc, test_emit_failure);
	tcase_add_test(tc, test_from_scratch);
	tcase_add_test(tc, test_exports_only_entry);
	tcase_add_test(tc, test_coalesced);
	tcase_add_test(tc, test_coalesced_interval);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gold_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
