/*
 * test_silver.c - transform-silver through its real descriptor and
 * callbacks, driven by the mock host and its in-memory state store: the
 * three tables' rows for bronze records, duplicate suppression and its
 * bounded window, user change detection, restarts with the store kept,
 * each expectation action and its counts, and a 100,000-event stream
 * from source-faker through transform-bronze (both loaded from the
 * build) whose counts must add up. Expected texts are written out here
 * in full from README.md's definitions.
 */
#include <check.h>
#include <dlfcn.h>
#include <json-c/json.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_host.h"
#include "mock_state.h"
#include "rows.h"
#include "sluice/plugin.h"
#include "window.h"

const struct sluice_plugin *sluice_plugin_entry(void);

#define REQUIRE(cond, ...)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			ck_abort_msg(__VA_ARGS__);                             \
	} while (0)

/* What bronze appends to a good event. */
#define BRONZE_TAIL                                                            \
	", \"ingest_ts\": \"2026-01-01T00:00:01.000000Z\", \"_source\": "      \
	"{\"topic\": \"transaction_logs\", \"partition\": 0, \"offset\": 9}}"

/* The first line of sample-events.jsonl, as bronze passes it. */
static const char seed_bronze[] =
	"{\"transaction_id\": \"1ca35cfb-04fc-4d82-bd15-438552fbe43b\", "
	"\"user\": {\"user_id\": 1, \"name\": \"Allison Hill\", \"email\": "
	"\"erica81@johnson-davis.com\", \"country\": \"Montserrat\", "
	"\"city\": \"Jenniferchester\", \"address\": \"02654 Susan "
	"Hill\\nNorth Melaniestad, OR 70785\", \"age\": 58, "
	"\"payment_method\": \"credit_card\", \"device_type\": \"mobile\", "
	"\"ip_address\": \"198.51.88.57\"}, \"amount\": 5800.45, "
	"\"currency\": \"GBP\", \"timestamp\": "
	"\"2025-10-02T00:00:00.000000Z\", "
	"\"category\": \"home\", \"items\": [{\"item_id\": "
	"\"deda4e16-1b3d-4d5c-a9a1-fa6f81f76d1c\", \"name\": \"Cookware "
	"Set\", \"price\": 316.4, \"quantity\": 5}, {\"item_id\": "
	"\"5fb8d16c-2720-497d-b2eb-d6899be578c7\", \"name\": \"Blender\", "
	"\"price\": 383.63, \"quantity\": 5}, {\"item_id\": "
	"\"87c5421e-ec24-43c5-8754-108ff4188f3f\", \"name\": \"Curtains\", "
	"\"price\": 460.06, \"quantity\": 5}]" BRONZE_TAIL;

#define ITEM_LAMP                                                              \
	"{\"item_id\": \"i1\", \"name\": \"Lamp\", \"price\": 10.5, "          \
	"\"quantity\": 2}"
#define TS0 "2026-01-01T00:00:00.000000Z"

/* A bronze record in the seed's shape. */
struct ev {
	const char *id;
	int uid;
	const char *email;
	const char *amount;
	const char *currency;
	const char *ts;
	const char *items; /* the array's contents */
	const char *name;
};

static char *event(struct ev e)
{
	static char buf[8192];

	snprintf(
		buf, sizeof buf,
		"{\"transaction_id\": \"%s\", \"user\": {\"user_id\": %d, "
		"\"name\": \"%s\", \"email\": \"%s\", \"country\": \"X\", "
		"\"city\": \"Y\", \"address\": \"1 Main St\\nTown, ST 12345\", "
		"\"age\": 30, \"payment_method\": \"paypal\", "
		"\"device_type\": \"mobile\", \"ip_address\": \"1.2.3.4\"}, "
		"\"amount\": %s, \"currency\": \"%s\", \"timestamp\": \"%s\", "
		"\"category\": \"home\", \"items\": [%s]" BRONZE_TAIL,
		e.id ? e.id : "t1", e.uid ? e.uid : 7,
		e.name ? e.name : "Ann Lee", e.email ? e.email : "a@b.co",
		e.amount ? e.amount : "21.0", e.currency ? e.currency : "USD",
		e.ts ? e.ts : TS0, e.items ? e.items : ITEM_LAMP);
	return buf;
}

#define EV(...) event((struct ev){__VA_ARGS__})

/* s with its first `from` replaced by `to` (a static buffer). */
static char *replace(const char *s, const char *from, const char *to)
{
	static char buf[8192];
	const char *at = strstr(s, from);

	ck_assert_ptr_nonnull(at);
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - s), s, to,
		 at + strlen(from));
	return buf;
}

/* The rows of EV() with defaults. */
#define T1_ROW                                                                 \
	"{\"transaction_id\": \"t1\", \"amount\": 21.00, \"currency\": "       \
	"\"USD\", \"timestamp\": \"" TS0 "\", \"user_id\": 7}"
#define T1_ITEM                                                                \
	"{\"transaction_id\": \"t1\", \"item_id\": \"i1\", \"name\": "         \
	"\"Lamp\", \"price\": 10.50, \"quantity\": 2, \"category\": \"home\"}"
#define USER7(email, op, version)                                              \
	"{\"user_id\": 7, \"name\": \"Ann Lee\", \"age\": 30, \"email\": "     \
	"\"" email "\", \"address\": \"1 Main St\\nTown, ST 12345\", "         \
	"\"op\": \"" op "\", \"version\": " version ", \"updated_at\": "       \
	"\"" TS0 "\"}"

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

static int valgrind_run(void)
{
	const char *v = getenv("SLUICE_VALGRIND");

	return v && !strcmp(v, "1");
}

/* Processes one value at the next offset; returns the status. */
static enum sluice_status process(const char *value)
{
	struct sluice_record in = {
		.topic = "bronze_transactions",
		.partition = 2,
		.offset = next_offset++,
		.timestamp_ms = 1767225600123LL,
		.key = "k",
		.key_len = 1,
		.value = value,
		.value_len = value ? strlen(value) : 0,
	};

	return mock_host_process(m, &in);
}

/* Processes value, which must succeed; returns how many records it
 * produced (they are the last ones captured). */
static size_t run(const char *value)
{
	size_t before = mock_host_record_count(m);
	enum sluice_status st = process(value);

	ck_assert_msg(st == SLUICE_OK, "process: %s", mock_host_error(m));
	return mock_host_record_count(m) - before;
}

/* Record i of those captured: output, key and value. */
static void assert_rec(size_t i, const char *output, const char *key,
		       const char *value)
{
	const struct mock_record *r;

	REQUIRE(i < mock_host_record_count(m), "no record %zu (%zu captured)",
		i, mock_host_record_count(m));
	r = mock_host_record(m, i);
	ck_assert_str_eq(r->output, output);
	if (key)
		ck_assert_str_eq(r->key, key);
	ck_assert_str_eq(r->value, value);
	ck_assert_int_eq(r->partition, -1);
}

/* How many captured records went to output. */
static size_t count_output(const char *output)
{
	size_t n = 0;

	for (size_t i = 0; i < mock_host_record_count(m); i++)
		n += !strcmp(mock_host_record(m, i)->output, output);
	return n;
}

static int64_t counter(const char *name, const char *labels)
{
	return mock_host_counter(m, name, labels);
}

/* ---- the plugin ---- */

START_TEST(test_descriptor)
{
	const struct sluice_plugin *p = sluice_plugin_entry();
	static const char *const outs[] = {"transactions", "users", "items",
					   "quarantine", "dq"};

	ck_assert_int_eq(p->abi_major, SLUICE_ABI_MAJOR);
	ck_assert_int_eq(p->abi_minor, 2);
	ck_assert_str_eq(p->name, "transform-silver");
	ck_assert_int_eq(p->kind, SLUICE_KIND_TRANSFORM);
	ck_assert_uint_eq(p->flags, SLUICE_PLUGIN_STATEFUL);
	for (size_t k = 0; k < 5; k++)
		ck_assert_str_eq(p->outputs[k], outs[k]);
	ck_assert_ptr_null(p->outputs[5]);
	ck_assert_ptr_nonnull(p->process);
	ck_assert_ptr_nonnull(p->tick);
	ck_assert_ptr_nonnull(p->check);
	ck_assert_ptr_null(p->poll);
	ck_assert_ptr_null(p->put);
	ck_assert_int_eq(mock_host_validate(m), 0);
	open_ok();
	ck_assert_int_eq(mock_host_misuse(m), 0);
}
END_TEST

/* The seed's first event: one transaction, three items, a new user. */
START_TEST(test_seed_event_split)
{
	open_ok();
	ck_assert_uint_eq(run(seed_bronze), 5);
	assert_rec(0, "transactions", "1ca35cfb-04fc-4d82-bd15-438552fbe43b",
		   "{\"transaction_id\": "
		   "\"1ca35cfb-04fc-4d82-bd15-438552fbe43b\", \"amount\": "
		   "5800.45, \"currency\": \"GBP\", \"timestamp\": "
		   "\"2025-10-02T00:00:00.000000Z\", \"user_id\": 1}");
	assert_rec(1, "items", "1ca35cfb-04fc-4d82-bd15-438552fbe43b",
		   "{\"transaction_id\": "
		   "\"1ca35cfb-04fc-4d82-bd15-438552fbe43b\", \"item_id\": "
		   "\"deda4e16-1b3d-4d5c-a9a1-fa6f81f76d1c\", \"name\": "
		   "\"Cookware Set\", \"price\": 316.40, \"quantity\": 5, "
		   "\"category\": \"home\"}");
	assert_rec(2, "items", "1ca35cfb-04fc-4d82-bd15-438552fbe43b",
		   "{\"transaction_id\": "
		   "\"1ca35cfb-04fc-4d82-bd15-438552fbe43b\", \"item_id\": "
		   "\"5fb8d16c-2720-497d-b2eb-d6899be578c7\", \"name\": "
		   "\"Blender\", \"price\": 383.63, \"quantity\": 5, "
		   "\"category\": \"home\"}");
	assert_rec(3, "items", "1ca35cfb-04fc-4d82-bd15-438552fbe43b",
		   "{\"transaction_id\": "
		   "\"1ca35cfb-04fc-4d82-bd15-438552fbe43b\", \"item_id\": "
		   "\"87c5421e-ec24-43c5-8754-108ff4188f3f\", \"name\": "
		   "\"Curtains\", \"price\": 460.06, \"quantity\": 5, "
		   "\"category\": \"home\"}");
	assert_rec(4, "users", "1",
		   "{\"user_id\": 1, \"name\": \"Allison Hill\", \"age\": 58, "
		   "\"email\": \"erica81@johnson-davis.com\", \"address\": "
		   "\"02654 Susan Hill\\nNorth Melaniestad, OR 70785\", "
		   "\"op\": \"insert\", \"version\": 1, \"updated_at\": "
		   "\"2025-10-02T00:00:00.000000Z\"}");
	/* The input record's timestamp is kept. */
	ck_assert_int_eq(mock_host_record(m, 0)->timestamp_ms, 1767225600123LL);
	ck_assert_int_eq(mock_host_tick(m, 1000), SLUICE_OK);
	ck_assert_int_eq(
		counter("silver_records_total", "output=\"transactions\""), 1);
	ck_assert_int_eq(counter("silver_records_total", "output=\"items\""),
			 3);
	ck_assert_int_eq(counter("silver_records_total",
				 "output=\"users\",op=\"insert\""),
			 1);
}
END_TEST

/* The 1,000 foreign sample events, as bronze would pass them: every one
 * passes the shipped expectations; 1,998 items; each of the 50 users is
 * inserted once and never updated. */
START_TEST(test_sample_events)
{
	FILE *f = fopen(SAMPLE_EVENTS, "r");
	char line[4096], value[4200];

	ck_assert_ptr_nonnull(f);
	open_ok();
	while (fgets(line, sizeof line, f)) {
		char *end = strrchr(line, '}');

		ck_assert_ptr_nonnull(end);
		snprintf(value, sizeof value, "%.*s" BRONZE_TAIL,
			 (int)(end - line), line);
		run(value);
	}
	fclose(f);
	ck_assert_uint_eq(count_output("transactions"), 1000);
	ck_assert_uint_eq(count_output("items"), 1998);
	ck_assert_uint_eq(count_output("users"), 50);
	ck_assert_uint_eq(count_output("quarantine"), 0);
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(counter("dq_records_total",
				 "expectation=\"amount_matches_items\","
				 "result=\"passed\""),
			 1000);
	ck_assert_int_eq(counter("dq_records_total",
				 "expectation=\"valid_email\",result="
				 "\"failed\""),
			 0);
}
END_TEST

START_TEST(test_money)
{
	static const struct {
		const char *text;
		int ok;
		int64_t cents;
	} cases[] = {
		{"21", 1, 2100},
		{"21.0", 1, 2100},
		{"0.1", 1, 10},
		{"316.4", 1, 31640},
		{"5800.45", 1, 580045},
		{"-3.5", 1, -350},
		{"10.005", 1, 1001},
		{"-10.005", 1, -1001},
		{"10.004999", 1, 1000},
		{"9.995", 1, 1000},
		{"0.004", 1, 0},
		{"0.005", 1, 1},
		{"-0", 1, 0},
		{"1e2", 1, 10000},
		{"1.2345E2", 1, 12345},
		{"12345e-4", 1, 123},
		{"5e-3", 1, 1},
		{"4e-3", 1, 0},
		{"1e-400", 1, 0},
		{"0e400", 1, 0},
		{"92233720368547758.07", 1, INT64_MAX},
		{"-92233720368547758.07", 1, -INT64_MAX},
		{"92233720368547758.08", 0, 0},
		{"1e400", 0, 0},
		{"1.", 0, 0},
		{".5", 0, 0},
		{"01", 0, 0},
		{"+1", 0, 0},
		{"1e", 0, 0},
		{"abc", 0, 0},
		{"", 0, 0},
		{"1 ", 0, 0},
	};
	static const struct {
		int64_t cents;
		const char *text;
	} out[] = {
		{0, "0.00"},
		{5, "0.05"},
		{-350, "-3.50"},
		{2100, "21.00"},
		{580045, "5800.45"},
		{-1, "-0.01"},
		{INT64_MIN, "-92233720368547758.08"},
	};
	struct jbuf b = {0};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int64_t c = -42;
		int rc = silver_money_parse(cases[k].text,
					    strlen(cases[k].text), &c);

		REQUIRE(rc == (cases[k].ok ? 0 : -1), "'%s': rc %d",
			cases[k].text, rc);
		if (cases[k].ok)
			REQUIRE(c == cases[k].cents, "'%s': %lld",
				cases[k].text, (long long)c);
	}
	for (size_t k = 0; k < sizeof out / sizeof out[0]; k++) {
		jbuf_reset(&b);
		silver_money_write(&b, out[k].cents);
		jbuf_putc(&b, '\0');
		ck_assert_str_eq(b.p, out[k].text);
	}
	jbuf_free(&b);
}
END_TEST

/* jbuf_dec (per-record keys) writes what printf's %lld does, at the
 * limits too. */
START_TEST(test_jbuf_dec)
{
	const int64_t v[] = {0,	    1,	       -1,	  9,
			     10,    -10,       99,	  100,
			     12345, INT64_MAX, INT64_MIN, INT64_MIN + 1};

	for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
		char got[32], want[32];
		char *end = jbuf_dec(got, v[k]);

		*end = '\0';
		snprintf(want, sizeof want, "%lld", (long long)v[k]);
		ck_assert_str_eq(got, want);
		ck_assert_uint_eq((size_t)(end - got), strlen(want));
	}
}
END_TEST

/* Sums that drift in binary floating point stay exact: 0.1 + 0.2 and
 * 1.005 go through as written. */
START_TEST(test_money_no_drift)
{
	open_ok();
	ck_assert_uint_eq(
		run(EV(.amount = "0.3",
		       .items = "{\"item_id\": \"a\", \"name\": \"x\", "
				"\"price\": 0.1, \"quantity\": 1}, "
				"{\"item_id\": \"b\", \"name\": \"y\", "
				"\"price\": 0.2, \"quantity\": 1}")),
		4);
	assert_rec(0, "transactions", "t1",
		   "{\"transaction_id\": \"t1\", \"amount\": 0.30, "
		   "\"currency\": \"USD\", \"timestamp\": \"" TS0
		   "\", \"user_id\": 7}");
	assert_rec(1, "items", "t1",
		   "{\"transaction_id\": \"t1\", \"item_id\": \"a\", \"name\": "
		   "\"x\", \"price\": 0.10, \"quantity\": 1, \"category\": "
		   "\"home\"}");
	ck_assert_uint_eq(
		run(EV(.id = "t2", .amount = "1.01",
		       .items = "{\"item_id\": \"a\", \"name\": \"x\", "
				"\"price\": 1.005, \"quantity\": 1}")),
		2);
	/* 1.005 is 1.00499999... as a double: from its text, 1.01. */
	assert_rec(5, "items", "t2",
		   "{\"transaction_id\": \"t2\", \"item_id\": \"a\", \"name\": "
		   "\"x\", \"price\": 1.01, \"quantity\": 1, \"category\": "
		   "\"home\"}");
}
END_TEST

START_TEST(test_time_parse)
{
	static const struct {
		const char *text;
		int ok;
		int64_t us;
	} cases[] = {
		{"1970-01-01T00:00:00Z", 1, 0},
		{"2026-01-21T00:39:04.153833Z", 1, 1768955944153833LL},
		{"2026-01-21T00:39:04.1Z", 1, 1768955944100000LL},
		{"2026-01-21T00:39:04.123456789Z", 1, 1768955944123456LL},
		{"2026-01-21 00:39:04Z", 1, 1768955944000000LL},
		{"2026-01-21T02:39:04+02:00", 1, 1768955944000000LL},
		{"2026-01-20T23:39:04-0100", 1, 1768955944000000LL},
		{"2024-02-29T00:00:00Z", 1, 1709164800000000LL},
		{"1969-12-31T23:59:59Z", 1, -1000000},
		{"2025-02-29T00:00:00Z", 0, 0},
		{"2026-13-01T00:00:00Z", 0, 0},
		{"2026-01-21T24:00:00Z", 0, 0},
		{"2026-01-21T00:39:04", 0, 0},
		{"2026-01-21T00:39:04.Z", 0, 0},
		{"2026-01-21T00:39:04.1234567890Z", 0, 0},
		{"2026-01-21T00:39:04Zx", 0, 0},
		{"1768955944", 0, 0},
		{"", 0, 0},
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int64_t us = -42;
		int rc = silver_time_parse(cases[k].text, strlen(cases[k].text),
					   &us);

		REQUIRE(rc == (cases[k].ok ? 0 : -1), "'%s': rc %d",
			cases[k].text, rc);
		if (cases[k].ok)
			REQUIRE(us == cases[k].us, "'%s': %lld", cases[k].text,
				(long long)us);
	}
}
END_TEST

/* ---- duplicates ---- */

START_TEST(test_dedup_exact)
{
	char *v;

	open_ok();
	v = strdup(EV());
	ck_assert_uint_eq(run(v), 3);
	assert_rec(0, "transactions", "t1", T1_ROW);
	assert_rec(1, "items", "t1", T1_ITEM);
	assert_rec(2, "users", "7", USER7("a@b.co", "insert", "1"));
	/* The same bronze record again, byte for byte, twice. */
	ck_assert_uint_eq(run(v), 0);
	ck_assert_uint_eq(run(v), 0);
	free(v);
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(counter("silver_duplicates_total", "kind=\"same\""),
			 2);
	ck_assert_int_eq(
		counter("silver_duplicates_total", "kind=\"conflict\""), 0);
	ck_assert_int_eq(
		counter("silver_records_total", "output=\"transactions\""), 1);
}
END_TEST

/* The transaction sent again: through bronze once more (another
 * ingest_ts and offset), or changed: the first one wins. */
START_TEST(test_dedup_resent)
{
	char v[8192];

	open_ok();
	ck_assert_uint_eq(run(EV()), 3);
	snprintf(v, sizeof v, "%s",
		 replace(EV(), BRONZE_TAIL,
			 ", \"ingest_ts\": \"2026-01-01T00:09:00.000000Z\", "
			 "\"_source\": {\"topic\": \"transaction_logs\", "
			 "\"partition\": 1, \"offset\": 777}}"));
	ck_assert_uint_eq(run(v), 0);
	/* Same id, another amount (and a different user profile): a
	 * conflicting re-send, suppressed; the user is not touched. */
	ck_assert_uint_eq(
		run(EV(.amount = "22.0", .email = "new@b.co",
		       .items = "{\"item_id\": \"i1\", \"name\": \"Lamp\", "
				"\"price\": 11.0, \"quantity\": 2}")),
		0);
	/* Another id goes through; the user has not changed. */
	ck_assert_uint_eq(run(EV(.id = "t2")), 2);
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(counter("silver_duplicates_total", "kind=\"same\""),
			 1);
	ck_assert_int_eq(
		counter("silver_duplicates_total", "kind=\"conflict\""), 1);
}
END_TEST

/* Unique on (transaction_id, item_id): a line item repeated inside one
 * transaction is emitted once. */
START_TEST(test_duplicate_item)
{
	mock_host_set(m, "expectations", "");
	open_ok();
	ck_assert_uint_eq(run(EV(.items = ITEM_LAMP
				 ", {\"item_id\": \"i2\", \"name\": "
				 "\"Rug\", \"price\": 5, \"quantity\": 1}, "
				 "" ITEM_LAMP)),
			  4);
	assert_rec(1, "items", "t1", T1_ITEM);
	assert_rec(
		2, "items", "t1",
		"{\"transaction_id\": \"t1\", \"item_id\": \"i2\", \"name\": "
		"\"Rug\", \"price\": 5.00, \"quantity\": 1, \"category\": "
		"\"home\"}");
	assert_rec(3, "users", "7", USER7("a@b.co", "insert", "1"));
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(counter("silver_duplicates_total", "kind=\"item\""),
			 1);
	/* No items at all: a transaction row alone. */
	ck_assert_uint_eq(run(EV(.id = "t0", .items = "")), 1);
	assert_rec(4, "transactions", "t0",
		   "{\"transaction_id\": \"t0\", \"amount\": 21.00, "
		   "\"currency\": \"USD\", \"timestamp\": \"" TS0
		   "\", \"user_id\": 7}");
}
END_TEST

/* ---- users ---- */

START_TEST(test_user_changes)
{
	open_ok();
	ck_assert_uint_eq(run(EV(.id = "t1")), 3);
	assert_rec(2, "users", "7", USER7("a@b.co", "insert", "1"));
	/* Unchanged: no users row. */
	ck_assert_uint_eq(run(EV(.id = "t2")), 2);
	/* A changed e-mail: an update, version 2. */
	ck_assert_uint_eq(run(EV(.id = "t3", .email = "ann@c.org")), 3);
	assert_rec(7, "users", "7", USER7("ann@c.org", "update", "2"));
	ck_assert_uint_eq(run(EV(.id = "t4", .email = "ann@c.org")), 2);
	/* Back to the first: version 3, latest wins. */
	ck_assert_uint_eq(run(EV(.id = "t5")), 3);
	assert_rec(12, "users", "7", USER7("a@b.co", "update", "3"));
	/* Another user is inserted on its own. */
	ck_assert_uint_eq(run(EV(.id = "t6", .uid = 8)), 3);
	ck_assert_str_eq(mock_host_record(m, 15)->key, "8");
	ck_assert_ptr_nonnull(strstr(mock_host_record(m, 15)->value,
				     "\"op\": \"insert\", \"version\": 1"));
	/* A changed name counts too. */
	ck_assert_uint_eq(run(EV(.id = "t7", .name = "Ann Lee-Smith")), 3);
	ck_assert_ptr_nonnull(strstr(mock_host_record(m, 18)->value,
				     "\"name\": \"Ann Lee-Smith\""));
	ck_assert_ptr_nonnull(strstr(mock_host_record(m, 18)->value,
				     "\"op\": \"update\", \"version\": 4"));
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(counter("silver_records_total",
				 "output=\"users\",op=\"insert\""),
			 2);
	ck_assert_int_eq(counter("silver_records_total",
				 "output=\"users\",op=\"update\""),
			 3);
}
END_TEST

/* ---- the window ---- */

static char *small_event(char *buf, size_t len, uint64_t id, int uid)
{
	snprintf(buf, len,
		 "{\"transaction_id\": \"%016llx\", \"user\": {\"user_id\": "
		 "%d, \"name\": \"N\", \"email\": \"n@x.io\", \"address\": "
		 "\"A\", \"age\": 40}, \"amount\": 3.5, \"currency\": \"EUR\", "
		 "\"timestamp\": \"" TS0 "\", \"category\": \"food\", "
		 "\"items\": [{\"item_id\": \"x\", \"name\": \"Tea\", "
		 "\"price\": 3.5, \"quantity\": 1}]}",
		 (unsigned long long)id, uid);
	return buf;
}

/* 2,000,000 distinct ids (50,000 under valgrind) through a window of
 * 10,000: the store never holds more than the window's chunks of
 * SILVER_CHUNK_IDS ids and the users, and its size stays flat. */
START_TEST(test_window_bound)
{
	const uint64_t n = valgrind_run() ? 50000 : 2000000;
	const uint64_t window = 10000, users = 50;
	struct mock_state *kv = mock_host_store(m);
	size_t max_count = 0, max_bytes = 0, bytes_at_window = 0;
	char buf[1024];

	mock_host_set(m, "expectations", "");
	mock_host_set(m, "dedup.window.count", "10000");
	open_ok();
	for (uint64_t k = 0; k < n; k++) {
		run(small_event(buf, sizeof buf, k, (int)(k % users) + 1));
		if (mock_state_count(kv) > max_count)
			max_count = mock_state_count(kv);
		if (mock_state_bytes(kv) > max_bytes)
			max_bytes = mock_state_bytes(kv);
		if (k == 2 * window)
			bytes_at_window = mock_state_bytes(kv);
		if (k % 4096 == 0)
			mock_host_clear_records(m);
	}
	mock_host_clear_records(m);
	const uint64_t chunks = (n - 1) / SILVER_CHUNK_IDS -
				(n - window) / SILVER_CHUNK_IDS + 1;
	const uint64_t chunks_gone = (n - window) / SILVER_CHUNK_IDS;
	ck_assert_uint_le(max_count, window / SILVER_CHUNK_IDS + 2 + users);
	ck_assert_uint_eq(mock_state_count(kv), chunks + users);
	/* One put per new id (its chunk), one delete per chunk whose last
	 * id was evicted, one put per new user: nothing else goes to the
	 * changelog. */
	ck_assert_uint_eq(mock_state_writes(kv), n + chunks_gone + users);
	/* Flat: never more than the window's chunks (each entry 34 bytes
	 * and a 16-byte id; a key of "w:" and at most 7 digits here) and
	 * two more. */
	const size_t chunk_bytes = SILVER_CHUNK_IDS * (34 + 16) + 9;
	ck_assert_uint_le(max_bytes, bytes_at_window + 2 * chunk_bytes);
	ck_assert_uint_ge(mock_state_bytes(kv) + 2 * chunk_bytes,
			  bytes_at_window);
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(
		counter("silver_window_evictions_total", "bound=\"count\""),
		(int64_t)(n - window));
	ck_assert_int_eq(
		counter("silver_records_total", "output=\"transactions\""),
		(int64_t)n);
	/* The last 10,000 ids are remembered, the one before is not. */
	ck_assert_uint_eq(run(small_event(buf, sizeof buf, n - window, 1)), 0);
	ck_assert_uint_eq(run(small_event(buf, sizeof buf, n - 1, 1)), 0);
	ck_assert_uint_eq(run(small_event(buf, sizeof buf, n - window - 1, 1)),
			  2);
}
END_TEST

#define AT(txid, t) EV(.id = txid, .ts = "2026-01-01T" t ".000000Z")

/* dedup.window.time: an id is forgotten once the event time has moved
 * past it by more than the window, oldest first. */
START_TEST(test_window_time)
{
	mock_host_set(m, "expectations", "");
	mock_host_set(m, "dedup.window.count", "0");
	mock_host_set(m, "dedup.window.time", "1h");
	open_ok();
	ck_assert_uint_eq(run(AT("a", "00:00:00")), 3);
	ck_assert_uint_eq(run(AT("b", "00:50:00")), 2);
	/* Exactly one hour after a: a stays. */
	ck_assert_uint_eq(run(AT("c", "01:00:00")), 2);
	ck_assert_uint_eq(run(AT("a", "01:00:00")), 0);
	/* 01:40: a (00:00) goes, b (00:50) stays. */
	ck_assert_uint_eq(run(AT("d", "01:40:00")), 2);
	ck_assert_uint_eq(run(AT("b", "01:40:00")), 0);
	ck_assert_uint_eq(run(AT("a", "01:40:00")), 2);
	/* A late event does not move the window back. */
	ck_assert_uint_eq(run(AT("e", "00:10:00")), 2);
	ck_assert_uint_eq(run(AT("c", "00:10:00")), 0);
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(
		counter("silver_window_evictions_total", "bound=\"time\""), 1);
	/* After a restart: the same ids, order and event time. 02:41
	 * evicts everything up to 01:41 (b c d a, and e behind them), but
	 * never the newest. */
	mock_host_close(m);
	open_ok();
	ck_assert_uint_eq(run(AT("b", "00:10:00")), 0);
	ck_assert_uint_eq(run(AT("y", "02:41:00")), 2);
	ck_assert_uint_eq(mock_state_count(mock_host_store(m)), 1 + 1);
	ck_assert_uint_eq(run(AT("y", "02:41:00")), 0);
	ck_assert_uint_eq(run(AT("b", "02:41:00")), 2);
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(
		counter("silver_window_evictions_total", "bound=\"time\""), 6);
	/* Neither bound: refused, by check and by open. */
	mock_host_set(m, "dedup.window.time", "0ms");
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	ck_assert_str_eq(mock_host_error(m),
			 "dedup.window.count and dedup.window.time are both 0: "
			 "the window of transaction ids would grow without "
			 "bound; set one of them");
}
END_TEST

/* A restart with the store kept: duplicates sent after it are still
 * suppressed, the window evicts in the order of before, users resume at
 * their version. */
START_TEST(test_restart)
{
	mock_host_set(m, "expectations", "");
	mock_host_set(m, "dedup.window.count", "3");
	open_ok();
	ck_assert_uint_eq(run(EV(.id = "a")), 3);
	ck_assert_uint_eq(run(EV(.id = "b")), 2);
	ck_assert_uint_eq(run(EV(.id = "c", .email = "c@b.co")), 3);
	mock_host_close(m);
	open_ok();
	ck_assert_uint_eq(run(EV(.id = "b", .email = "c@b.co")), 0);
	/* d evicts a, the oldest, not b or c. */
	ck_assert_uint_eq(run(EV(.id = "d", .email = "c@b.co")), 2);
	mock_host_close(m);
	open_ok();
	ck_assert_uint_eq(run(EV(.id = "c", .email = "c@b.co")), 0);
	ck_assert_uint_eq(run(EV(.id = "b", .email = "c@b.co")), 0);
	/* a is new again (evicted) and evicts b. */
	ck_assert_uint_eq(run(EV(.id = "a", .email = "c@b.co")), 2);
	mock_host_close(m);
	open_ok();
	ck_assert_uint_eq(run(EV(.id = "c", .email = "c@b.co")), 0);
	ck_assert_uint_eq(run(EV(.id = "b", .email = "c@b.co")), 2);
	/* The user resumes at version 2. */
	ck_assert_uint_eq(run(EV(.id = "e")), 3);
	ck_assert_str_eq(
		mock_host_record(m, mock_host_record_count(m) - 1)->value,
		USER7("a@b.co", "update", "3"));
	/* A window made smaller across the restart is cut at open. */
	mock_host_close(m);
	mock_host_set(m, "dedup.window.count", "1");
	open_ok();
	ck_assert_uint_eq(mock_state_count(mock_host_store(m)), 1 + 1);
	ck_assert_uint_eq(run(EV(.id = "e")), 0);
	ck_assert_uint_eq(run(EV(.id = "b")), 2);
}
END_TEST

/* An older store's "t:<id>" entries (32 bytes each) are read at open
 * and moved into a chunk: they still suppress duplicates, in their
 * order, and the old keys are gone. */
static int has_key(void *ctx, const void *key, size_t key_len,
		   const void *value, size_t value_len)
{
	const char *want = ctx;

	(void)value;
	(void)value_len;
	return key_len >= strlen(want) && !memcmp(key, want, strlen(want));
}

START_TEST(test_window_legacy_store)
{
	struct mock_state *kv = mock_host_store(m);
	const char *ids[] = {"a", "b", "c"};
	char err[256], key[8];
	unsigned char v[32];

	for (int k = 0; k < 3; k++) {
		silver_put_u64(v, (uint64_t)k + 7); /* seq */
		silver_put_u64(v + 8, 0);	    /* event time */
		silver_put_u64(v + 16, 0);	    /* content hash */
		silver_put_u64(v + 24, (uint64_t)INT64_MIN);
		snprintf(key, sizeof key, "t:%s", ids[k]);
		ck_assert_int_eq(mock_state_put(kv, key, strlen(key), v,
						sizeof v, err, sizeof err),
				 0);
	}
	mock_host_set(m, "expectations", "");
	mock_host_set(m, "dedup.window.count", "3");
	open_ok();
	ck_assert_int_eq(mock_state_foreach(kv, has_key, "t:"), 0);
	ck_assert_int_eq(mock_state_foreach(kv, has_key, "w:0"), 1);
	ck_assert_uint_eq(mock_state_count(kv), 1);
	ck_assert_uint_eq(run(EV(.id = "b")), 0);
	ck_assert_uint_eq(run(EV(.id = "c")), 0);
	/* d (seq 10) evicts a, the oldest by its old seq (7). */
	ck_assert_uint_eq(run(EV(.id = "d")), 3);
	ck_assert_uint_eq(run(EV(.id = "b")), 0);
	ck_assert_uint_eq(run(EV(.id = "a")), 2);
	mock_host_close(m);
	open_ok();
	ck_assert_uint_eq(run(EV(.id = "d")), 0);
	ck_assert_uint_eq(run(EV(.id = "b")), 2); /* evicted by a */
}
END_TEST

/* An emit that fails leaves the store as it was: the record is not
 * remembered, and goes through when processed again. */
START_TEST(test_emit_failure_keeps_state)
{
	mock_host_set(m, "expectations", "");
	open_ok();
	mock_host_fail_emits_after(m, 1);
	ck_assert_int_eq(process(EV()), SLUICE_FATAL);
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	ck_assert_uint_eq(mock_state_count(mock_host_store(m)), 0);
	mock_host_fail_emits_after(m, -1);
	ck_assert_uint_eq(run(EV()), 3);
}
END_TEST

/* ---- expectations ---- */

START_TEST(test_expectation_actions)
{
	const struct mock_record *r;

	mock_host_set(m, "expectations",
		      "positive_amount on violation drop, valid_email, "
		      "cheap expect (amount < 1000) on violation warn");
	open_ok();
	/* warn: kept, counted. */
	ck_assert_uint_eq(run(EV(.id = "w", .email = "not-an-email")), 3);
	/* drop: to quarantine with the names, nothing else. */
	ck_assert_uint_eq(run(EV(.id = "d", .amount = "-21.0", .email = "bad")),
			  1);
	r = mock_host_record(m, 3);
	ck_assert_str_eq(r->output, "quarantine");
	ck_assert_str_eq(r->key, "k");
	/* The raw record, as a JSON string. */
	{
		json_object *o = json_tokener_parse(r->value), *raw;

		ck_assert_ptr_nonnull(o);
		ck_assert(json_object_object_get_ex(o, "_rescued_data", &raw));
		ck_assert_str_eq(
			json_object_get_string(raw),
			EV(.id = "d", .amount = "-21.0", .email = "bad"));
		json_object_put(o);
	}
	/* Exact text of the frame too. */
	ck_assert(!strncmp(r->value,
			   "{\"_rescued_data\": \"{\\\"transaction_id", 35));
	ck_assert_ptr_nonnull(
		strstr(r->value,
		       "\", \"_errors\": [\"failed expectation: "
		       "positive_amount\"], \"_expectations\": "
		       "[\"positive_amount\"], \"_source\": {\"topic\": "
		       "\"bronze_transactions\", \"partition\": 2, \"offset\": "
		       "1}}"));
	/* A dropped transaction id is not remembered: a good re-send of it
	 * goes through. */
	ck_assert_uint_eq(run(EV(.id = "d")), 3);
	ck_assert_int_eq(mock_host_tick(m, 1000), SLUICE_OK);
	ck_assert_int_eq(counter("dq_records_total",
				 "expectation=\"positive_amount\","
				 "result=\"passed\""),
			 2);
	ck_assert_int_eq(counter("dq_records_total",
				 "expectation=\"positive_amount\","
				 "result=\"failed\""),
			 1);
	ck_assert_int_eq(counter("dq_records_total",
				 "expectation=\"valid_email\","
				 "result=\"failed\""),
			 2);
	ck_assert_int_eq(counter("dq_records_total",
				 "expectation=\"valid_email\","
				 "result=\"passed\""),
			 1);
	ck_assert_int_eq(counter("dq_records_total",
				 "expectation=\"cheap\",result=\"passed\""),
			 3);
	ck_assert_int_eq(counter("dq_dropped_records_total", NULL), 1);
	ck_assert_int_eq(counter("silver_records_total",
				 "output=\"quarantine\",reason="
				 "\"expectation\""),
			 1);
	/* The summary at the interval (1m from the first tick). */
	ck_assert_int_eq(mock_host_tick(m, 60999), SLUICE_OK);
	ck_assert_uint_eq(count_output("dq"), 0);
	ck_assert_int_eq(mock_host_tick(m, 61000), SLUICE_OK);
	assert_rec(mock_host_record_count(m) - 1, "dq", NULL,
		   "{\"event_type\": \"flow_progress\", \"timestamp\": "
		   "\"1970-01-01T00:01:01.000000Z\", \"dataset\": "
		   "\"mock-connector\", \"details\": {\"flow_progress\": "
		   "{\"metrics\": {\"num_output_rows\": 2}, \"data_quality\": "
		   "{\"dropped_records\": 1, \"expectations\": [{\"name\": "
		   "\"positive_amount\", \"dataset\": \"mock-connector\", "
		   "\"passed_records\": 2, \"failed_records\": 1}, {\"name\": "
		   "\"valid_email\", \"dataset\": \"mock-connector\", "
		   "\"passed_records\": 1, \"failed_records\": 2}, {\"name\": "
		   "\"cheap\", \"dataset\": \"mock-connector\", "
		   "\"passed_records\": 3, \"failed_records\": 0}]}}}}");
	/* Nothing new: no summary at the next interval. */
	ck_assert_int_eq(mock_host_tick(m, 121000), SLUICE_OK);
	ck_assert_uint_eq(count_output("dq"), 1);
}
END_TEST

START_TEST(test_expectation_fail)
{
	mock_host_set(m, "expectations",
		      "known_currency on violation fail update");
	open_ok();
	ck_assert_uint_eq(run(EV()), 3);
	ck_assert_int_eq(process(EV(.id = "t2", .currency = "ZZZ")),
			 SLUICE_FATAL);
	ck_assert_str_eq(mock_host_error(m),
			 "expectation 'known_currency' failed (on violation "
			 "fail) on topic bronze_transactions, partition 2, "
			 "offset 1: currency in ['USD', 'EUR', 'GBP', 'INR']");
	ck_assert_uint_eq(mock_host_record_count(m), 3);
}
END_TEST

/* The shipped defaults: all five, each dropping. */
START_TEST(test_default_expectations)
{
	static const struct {
		const char *name;
		struct ev e;
	} bad[] = {
		{"valid_email", {.email = "a@b"}},
		{"positive_amount",
		 {.amount = "0",
		  .items = "{\"item_id\": \"i\", \"name\": "
			   "\"n\", \"price\": 0, "
			   "\"quantity\": 1}"}},
		{"amount_matches_items", {.amount = "21.01"}},
		{"known_currency", {.currency = "usd"}},
	};

	open_ok();
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		const struct mock_record *r;
		char want[128];

		ck_assert_uint_eq(run(event(bad[k].e)), 1);
		r = mock_host_record(m, mock_host_record_count(m) - 1);
		ck_assert_str_eq(r->output, "quarantine");
		snprintf(want, sizeof want, "\"_expectations\": [\"%s\"]",
			 bad[k].name);
		REQUIRE(strstr(r->value, want), "%s: %s", bad[k].name,
			r->value);
	}
	/* user_id null: user_id_present. */
	ck_assert_uint_eq(
		run(replace(EV(), "\"user_id\": 7", "\"user_id\": null")), 1);
	ck_assert_ptr_nonnull(
		strstr(mock_host_record(m, 4)->value,
		       "\"_expectations\": [\"user_id_present\"]"));
	ck_assert_uint_eq(run(EV()), 3);
}
END_TEST

START_TEST(test_expectation_errors)
{
	static const struct {
		const char *list, *err;
	} cases[] = {
		{"a expect (amount >)",
		 "expectations[0]: syntax error at column 19: expected a "
		 "value, got the end"},
		{"valid_email, nope",
		 "expectations[1]: 'nope' is not a shipped expectation "
		 "(valid_email, positive_amount, amount_matches_items, "
		 "known_currency, user_id_present): give its condition with "
		 "expect (...) at column 1"},
		{"a expect (amount > 0 or 'x' + 1 > 0)",
		 "expectations[0]: type error at column 25: '+' needs "
		 "numbers, got a string"},
		{"a expect (amount) on violation maybe",
		 "expectations[0]: expected warn, drop row or fail update, got "
		 "'maybe' at column 32"},
		{"a expect (amount + 1)",
		 "expectations[0]: type error at column 11: the condition is a "
		 "number, not true or false"},
	};
	const struct sluice_plugin *p = sluice_plugin_entry();

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		mock_host_set(m, "expectations", cases[k].list);
		REQUIRE(mock_host_open(m) == SLUICE_FATAL, "case %zu", k);
		REQUIRE(!strcmp(mock_host_error(m), cases[k].err),
			"case %zu: got '%s'", k, mock_host_error(m));
	}
	ck_assert_ptr_nonnull(p->check);
}
END_TEST

/* What silver cannot split goes to quarantine with the reason. */
START_TEST(test_invalid_records)
{
	static const struct {
		const char *value, *reason;
	} cases[] = {
		{"{\"transaction_id\": ", "not valid JSON: at byte 19: "
					  "unexpected end of input"},
		{"[1]", "top level: expected object, got array"},
		{"\"t\"", "top level: expected object, got string"},
		{"{} x", "not valid JSON: at byte 3: data after the value"},
		/* RFC 8259 strictly: json-c's default took all of these. */
		{"{\"transaction_id\": NaN}",
		 "not valid JSON: at byte 19: unexpected 'N'"},
		{"{\"amount\": 1, /* c */ \"transaction_id\": \"t\"}",
		 "not valid JSON: at byte 14: expected a member name in "
		 "quotes"},
		{"{'transaction_id': 't'}",
		 "not valid JSON: at byte 1: expected a member name in quotes"},
		{"{\"transaction_id\": \"t\",}",
		 "not valid JSON: at byte 23: expected a member name in "
		 "quotes"},
		{"{\"transaction_id\": \"t\", \"items\": [1,]}",
		 "not valid JSON: at byte 36: unexpected ']'"},
		{"{\"transaction_id\": \"t\", \"amount\": 01}",
		 "not valid JSON: at byte 34: invalid number (a leading zero)"},
		{"{\"transaction_id\": \"t\", \"amount\": 1.}",
		 "not valid JSON: at byte 34: invalid number"},
		{"{\"transaction_id\": \"t\\ud800\"}",
		 "not valid JSON: at byte 21: \\\\u escape of a lone "
		 "surrogate"},
		{"{\"transaction_id\": \"a\tb\"}",
		 "not valid JSON: at byte 21: control character 0x09 in a "
		 "string"},
		{"{\"transaction_id\": tru}",
		 "not valid JSON: at byte 19: expected 'true'"},
		{"{\"amount\": 1}", "transaction_id: expected string, got "
				    "nothing"},
		{"{\"transaction_id\": 5}",
		 "transaction_id: expected string, got int"},
		{"{\"transaction_id\": \"\"}",
		 "transaction_id: empty (1 to 1000 bytes)"},
		{"{\"transaction_id\": \"t\", \"items\": {}}",
		 "items: expected array, got object"},
		{"{\"transaction_id\": \"t\", \"items\": [{\"item_id\": "
		 "\"a\"}, "
		 "3]}",
		 "items[1]: expected object, got int"},
		{"{\"transaction_id\": \"t\", \"items\": [{\"name\": \"a\"}]}",
		 "items[0].item_id: expected string, got nothing"},
		{"{\"transaction_id\": \"t\", \"items\": []}",
		 "timestamp: expected string, got nothing"},
		{"{\"transaction_id\": \"t\", \"timestamp\": 1767225600}",
		 "timestamp: expected string, got int"},
		{"{\"transaction_id\": \"t\", \"timestamp\": \"yesterday\"}",
		 "timestamp: not an ISO 8601 time: 'yesterday'"},
	};

	mock_host_set(m, "expectations", "");
	open_ok();
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		const struct mock_record *r;
		char want[512];

		ck_assert_uint_eq(run(cases[k].value), 1);
		r = mock_host_record(m, k);
		ck_assert_str_eq(r->output, "quarantine");
		snprintf(want, sizeof want,
			 "\"_errors\": [\"%s\"], \"_source\"", cases[k].reason);
		REQUIRE(strstr(r->value, want), "case %zu: %s", k, r->value);
	}
	/* A tombstone. */
	ck_assert_uint_eq(run(NULL), 1);
	assert_rec(sizeof cases / sizeof cases[0], "quarantine", "k",
		   "{\"_rescued_data\": null, \"_errors\": [\"no value (a "
		   "tombstone)\"], \"_source\": {\"topic\": "
		   "\"bronze_transactions\", \"partition\": 2, \"offset\": "
		   "23}}");
	/* Bytes that are not UTF-8 are kept exactly, in base64. */
	ck_assert_uint_eq(run("\xff"), 1);
	assert_rec(sizeof cases / sizeof cases[0] + 1, "quarantine", "k",
		   "{\"_rescued_data\": \"\\ufffd\", \"_rescued_data_base64\": "
		   "\"/w==\", \"_errors\": [\"not valid JSON: at byte 0: "
		   "unexpected byte 0xff\"], \"_source\": {\"topic\": "
		   "\"bronze_transactions\", \"partition\": 2, \"offset\": "
		   "24}}");
	ck_assert_uint_eq(mock_state_count(mock_host_store(m)), 0);
}
END_TEST

/* Values as the parser gives them: an integer past 64 bits is a double,
 * so no int column and no user key takes it (json-c made it INT64_MAX,
 * one user for all such ids); money is read from the number's text; a
 * name given twice means its last value; bytes that are not UTF-8 in a
 * string are replaced in the rows; nesting is bounded. */
START_TEST(test_parsed_values)
{
	char deep[600];
	int n;

	mock_host_set(m, "expectations", "");
	open_ok();
	ck_assert_uint_eq(
		run(replace(EV(.amount = "2.1e1",
			       .items = "{\"item_id\": \"i1\", \"name\": "
					"\"Lamp\", \"price\": 1e400, "
					"\"quantity\": 99999999999999999999}"),
			    "\"user_id\": 7",
			    "\"user_id\": 18446744073709551616")),
		2);
	assert_rec(0, "transactions", "t1",
		   "{\"transaction_id\": \"t1\", \"amount\": 21.00, "
		   "\"currency\": \"USD\", \"timestamp\": \"" TS0
		   "\", \"user_id\": null}");
	assert_rec(
		1, "items", "t1",
		"{\"transaction_id\": \"t1\", \"item_id\": \"i1\", \"name\": "
		"\"Lamp\", \"price\": null, \"quantity\": null, "
		"\"category\": \"home\"}");
	ck_assert_uint_eq(
		run(replace(EV(.id = "t2", .amount = "9223372036854775807"),
			    "\"currency\": \"USD\"",
			    "\"currency\": \"EUR\", \"currency\": \"GBP\"")),
		3);
	assert_rec(2, "transactions", "t2",
		   "{\"transaction_id\": \"t2\", \"amount\": null, "
		   "\"currency\": \"GBP\", \"timestamp\": \"" TS0
		   "\", \"user_id\": 7}");
	ck_assert_uint_eq(run(EV(.id = "t3", .name = "Ann \xff")), 3);
	ck_assert_ptr_nonnull(strstr(mock_host_record(m, 7)->value,
				     "\"name\": \"Ann \\ufffd\""));
	/* The top object and 127 arrays pass; 128 arrays do not. */
	for (int depth = 127; depth <= 128; depth++) {
		n = snprintf(deep, sizeof deep,
			     "{\"transaction_id\": \"d%d\", "
			     "\"timestamp\": \"" TS0 "\", \"x\": ",
			     depth);
		memset(deep + n, '[', (size_t)depth);
		memset(deep + n + depth, ']', (size_t)depth);
		strcpy(deep + n + 2 * depth, "}");
		ck_assert_uint_eq(run(deep), 1);
	}
	assert_rec(8, "transactions", "d127",
		   "{\"transaction_id\": \"d127\", \"amount\": null, "
		   "\"currency\": null, \"timestamp\": \"" TS0
		   "\", \"user_id\": null}");
	ck_assert_ptr_nonnull(strstr(mock_host_record(m, 9)->value,
				     "\"_errors\": [\"not valid JSON: at byte "
				     "203: nested deeper than 128 levels\"]"));
}
END_TEST

/* ---- a stream from source-faker through transform-bronze ---- */

struct loaded {
	void *dl;
	const struct sluice_plugin *p;
};

static struct loaded load(const char *name)
{
	struct loaded l;
	const struct sluice_plugin *(*entry)(void);
	char path[4096];
	void *sym;

	snprintf(path, sizeof path, "%s/plugins/%s/.libs/%s.so", BUILDDIR, name,
		 name);
	l.dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(l.dl, "%s", dlerror());
	sym = dlsym(l.dl, SLUICE_PLUGIN_ENTRY);
	ck_assert_ptr_nonnull(sym);
	memcpy(&entry, &sym, sizeof entry);
	l.p = entry();
	return l;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q)
		abort();
	return q;
}

/* The shipped expectations, checked here independently of expr.c. */
struct tally {
	regex_t email;
	int64_t failed[5]; /* email, positive, items, currency, user_id */
	int64_t invalid;
	char (*ids)[40];
	size_t nids, cap;
};

static int tally_record(struct tally *ty, const char *value)
{
	static const char *const cur[] = {"USD", "EUR", "GBP", "INR"};
	json_object *o = json_tokener_parse(value), *u, *v, *items;
	int64_t amount, sum = 0;
	const char *email, *c;
	int bad = 0, f;

	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "user", &u));
	ck_assert(json_object_object_get_ex(u, "email", &v));
	email = json_object_get_string(v);
	f = regexec(&ty->email, email, 0, NULL, 0) != 0;
	ty->failed[0] += f, bad |= f;
	ck_assert(json_object_object_get_ex(o, "amount", &v));
	amount = llround(json_object_get_double(v) * 100);
	f = !(amount > 0);
	ty->failed[1] += f, bad |= f;
	ck_assert(json_object_object_get_ex(o, "items", &items));
	for (size_t k = 0; k < json_object_array_length(items); k++) {
		json_object *it = json_object_array_get_idx(items, k), *p, *q;

		ck_assert(json_object_object_get_ex(it, "price", &p));
		ck_assert(json_object_object_get_ex(it, "quantity", &q));
		sum += llround(json_object_get_double(p) * 100) *
		       json_object_get_int64(q);
	}
	f = sum != amount;
	ty->failed[2] += f, bad |= f;
	ck_assert(json_object_object_get_ex(o, "currency", &v));
	c = json_object_get_string(v);
	f = 1;
	for (int k = 0; k < 4; k++)
		if (!strcmp(c, cur[k]))
			f = 0;
	ty->failed[3] += f, bad |= f;
	f = !json_object_object_get_ex(u, "user_id", &v) ||
	    !json_object_is_type(v, json_type_int);
	ty->failed[4] += f, bad |= f;
	if (bad) {
		ty->invalid++;
	} else {
		ck_assert(json_object_object_get_ex(o, "transaction_id", &v));
		if (ty->nids == ty->cap) {
			ty->cap = ty->cap ? ty->cap * 2 : 4096;
			ty->ids = xrealloc(ty->ids, ty->cap * sizeof *ty->ids);
		}
		snprintf(ty->ids[ty->nids++], sizeof ty->ids[0], "%s",
			 json_object_get_string(v));
	}
	json_object_put(o);
	return !bad;
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static size_t distinct(char (*ids)[40], size_t n)
{
	size_t d = 0;

	qsort(ids, n, sizeof *ids, cmp_id);
	for (size_t k = 0; k < n; k++)
		d += k == 0 || strcmp(ids[k], ids[k - 1]) != 0;
	return d;
}

/* 100,000 faker events (20,000 under valgrind) with every anomaly on,
 * through bronze and silver in process: the counts add up at each
 * stage. */
START_TEST(test_faker_stream)
{
	static const char *const names[5] = {
		"valid_email", "positive_amount", "amount_matches_items",
		"known_currency", "user_id_present"};
	struct loaded lf = load("source-faker"), lb = load("transform-bronze");
	struct mock_host *faker = mock_host_new(lf.p);
	struct mock_host *bronze = mock_host_new(lb.p);
	struct tally ty = {0};
	char(*out_ids)[40] = NULL;
	size_t nout = 0, cap_out = 0;
	int64_t events = 0, bronze_out = 0, bronze_q = 0, silver_q = 0;
	int64_t bronze_offset = 0;
	enum sluice_status st = SLUICE_OK;

	ck_assert_int_eq(regcomp(&ty.email,
				 "^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]"
				 "{2,}$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	mock_host_set(faker, "rate", "0");
	mock_host_set(faker, "clock", "simulated");
	mock_host_set(faker, "max.events", valgrind_run() ? "20000" : "100000");
	mock_host_set(faker, "anomaly.malformed", "0.01");
	mock_host_set(faker, "anomaly.missing.field", "0.01");
	mock_host_set(faker, "anomaly.wrong.type", "0.01");
	mock_host_set(faker, "anomaly.negative.amount", "0.01");
	mock_host_set(faker, "anomaly.amount.mismatch", "0.01");
	mock_host_set(faker, "anomaly.invalid.email", "0.01");
	mock_host_set(faker, "anomaly.unknown.currency", "0.01");
	mock_host_set(faker, "anomaly.duplicate", "0.03");
	mock_host_set(faker, "anomaly.late", "0.01");
	mock_host_set(bronze, "ingest.time", "record");
	ck_assert_int_eq(mock_host_open(faker), SLUICE_OK);
	ck_assert_int_eq(mock_host_open(bronze), SLUICE_OK);
	open_ok();
	while (st == SLUICE_OK) {
		st = mock_host_poll(faker, 500);
		ck_assert_msg(st == SLUICE_OK || st == SLUICE_DONE, "poll: %s",
			      mock_host_error(faker));
		for (size_t i = 0; i < mock_host_record_count(faker); i++) {
			const struct mock_record *f =
				mock_host_record(faker, i);
			struct sluice_record in = {
				.topic = "transaction_logs",
				.partition = 0,
				.offset = events++,
				.timestamp_ms = 1767225600000LL,
				.key = f->key,
				.key_len = f->key_len,
				.value = f->value,
				.value_len = f->value_len,
			};

			ck_assert_int_eq(mock_host_process(bronze, &in),
					 SLUICE_OK);
		}
		mock_host_clear_records(faker);
		for (size_t i = 0; i < mock_host_record_count(bronze); i++) {
			const struct mock_record *b =
				mock_host_record(bronze, i);
			struct sluice_record in = {
				.topic = "bronze_transactions",
				.partition = 0,
				.offset = bronze_offset++,
				.timestamp_ms = b->timestamp_ms,
				.key = b->key,
				.key_len = b->key_len,
				.value = b->value,
				.value_len = b->value_len,
			};

			if (!strcmp(b->output, "quarantine")) {
				bronze_q++;
				continue;
			}
			ck_assert_str_eq(b->output, "out");
			bronze_out++;
			tally_record(&ty, b->value);
			ck_assert_int_eq(mock_host_process(m, &in), SLUICE_OK);
		}
		mock_host_clear_records(bronze);
		for (size_t i = 0; i < mock_host_record_count(m); i++) {
			const struct mock_record *r = mock_host_record(m, i);

			if (!strcmp(r->output, "quarantine")) {
				silver_q++;
			} else if (!strcmp(r->output, "transactions")) {
				if (nout == cap_out) {
					cap_out = cap_out ? cap_out * 2 : 4096;
					out_ids = xrealloc(
						out_ids,
						cap_out * sizeof *out_ids);
				}
				snprintf(out_ids[nout++], sizeof out_ids[0],
					 "%s", r->key);
			}
		}
		mock_host_clear_records(m);
	}
	ck_assert_int_eq(events, valgrind_run() ? 20000 : 100000);
	/* Bronze: every event is in one of its outputs. */
	ck_assert_int_eq(bronze_out + bronze_q, events);
	ck_assert_int_gt(bronze_q, events / 50);
	/* Silver: the invalid ones in quarantine, each valid id once. */
	ck_assert_int_eq(silver_q, ty.invalid);
	ck_assert_int_gt(ty.invalid, events / 33);
	ck_assert_uint_eq(nout, distinct(ty.ids, ty.nids));
	ck_assert_uint_eq(distinct(out_ids, nout), nout);
	ck_assert_uint_lt(nout, ty.nids); /* some duplicates were valid */
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(
		counter("silver_records_total", "output=\"transactions\""),
		(int64_t)nout);
	ck_assert_int_eq(counter("silver_duplicates_total", "kind=\"same\""),
			 (int64_t)(ty.nids - nout));
	ck_assert_int_eq(
		counter("silver_duplicates_total", "kind=\"conflict\""), 0);
	for (int k = 0; k < 5; k++) {
		char l[128];

		snprintf(l, sizeof l, "expectation=\"%s\",result=\"failed\"",
			 names[k]);
		REQUIRE(counter("dq_records_total", l) == ty.failed[k],
			"%s: %lld failed, expected %lld", names[k],
			(long long)counter("dq_records_total", l),
			(long long)ty.failed[k]);
		snprintf(l, sizeof l, "expectation=\"%s\",result=\"passed\"",
			 names[k]);
		ck_assert_int_eq(counter("dq_records_total", l),
				 bronze_out - ty.failed[k]);
	}
	/* The 50 users, each inserted once (no anomaly changes a profile
	 * but an invalid e-mail, which is dropped). */
	ck_assert_int_eq(counter("silver_records_total",
				 "output=\"users\",op=\"insert\""),
			 50);
	ck_assert_int_eq(counter("silver_records_total",
				 "output=\"users\",op=\"update\""),
			 0);
	free(out_ids);
	free(ty.ids);
	regfree(&ty.email);
	mock_host_free(faker);
	mock_host_free(bronze);
	dlclose(lf.dl);
	dlclose(lb.dl);
}
END_TEST

START_TEST(test_exports_only_entry)
{
	struct loaded l = load("transform-silver");

	ck_assert_str_eq(l.p->name, "transform-silver");
	ck_assert_ptr_null(dlsym(l.dl, "silver_money_parse"));
	ck_assert_ptr_null(dlsym(l.dl, "silver_window_add"));
	ck_assert_ptr_null(dlsym(l.dl, "jbuf_str"));
	dlclose(l.dl);
}
END_TEST

static Suite *silver_suite(void)
{
	Suite *s = suite_create("transform-silver");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_seed_event_split);
	tcase_add_test(tc, test_sample_events);
	tcase_add_test(tc, test_money);
	tcase_add_test(tc, test_money_no_drift);
	tcase_add_test(tc, test_jbuf_dec);
	tcase_add_test(tc, test_time_parse);
	tcase_add_test(tc, test_dedup_exact);
	tcase_add_test(tc, test_dedup_resent);
	tcase_add_test(tc, test_duplicate_item);
	tcase_add_test(tc, test_user_changes);
	tcase_add_test(tc, test_window_bound);
	tcase_add_test(tc, test_window_time);
	tcase_add_test(tc, test_restart);
	tcase_add_test(tc, test_window_legacy_store);
	tcase_add_test(tc, test_emit_failure_keeps_state);
	tcase_add_test(tc, test_expectation_actions);
	tcase_add_test(tc, test_expectation_fail);
	tcase_add_test(tc, test_default_expectations);
	tcase_add_test(tc, test_expectation_errors);
	tcase_add_test(tc, test_invalid_records);
	tcase_add_test(tc, test_parsed_values);
	tcase_add_test(tc, test_faker_stream);
	tcase_add_test(tc, test_exports_only_entry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(silver_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
