/*
 * test_bronze.c - transform-bronze through its real descriptor and
 * callbacks, driven by the mock host: good records pass unchanged plus
 * ingest_ts and _source; every kind of bad input lands in quarantine with
 * its exact reasons. The expected texts are written out here in full,
 * from README.md's definitions, not computed by the plugin's own code.
 */
#include <check.h>
#include <dlfcn.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_host.h"
#include "schema.h"
#include "sluice/plugin.h"

const struct sluice_plugin *sluice_plugin_entry(void);

#define REQUIRE(cond, ...)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			ck_abort_msg(__VA_ARGS__);                             \
	} while (0)

/* 2026-01-01T00:00:00.123Z: with ingest.time=record, ingest_ts. */
#define TS_MS 1767225600123LL
#define INGEST "\"ingest_ts\": \"2026-01-01T00:00:00.123000Z\""
#define SOURCE                                                                 \
	"\"_source\": {\"topic\": \"transaction_logs\", \"partition\": 3, "    \
	"\"offset\": 57}"

/* The first line of sample-events.jsonl. */
static const char seed_line[] =
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
	"\"price\": 460.06, \"quantity\": 5}]}";

/* A small event in the seed's shape, compact, for hand-made variants. */
#define USER                                                                   \
	"{\"user_id\":7,\"name\":\"N\",\"email\":\"a@b.co\",\"country\":"      \
	"\"C\","                                                               \
	"\"city\":\"Y\",\"address\":\"A\",\"age\":30,\"payment_method\":"      \
	"\"paypal\",\"device_type\":\"mobile\",\"ip_address\":\"1.2.3.4\"}"
#define ITEM                                                                   \
	"{\"item_id\":\"i1\",\"name\":\"Lamp\",\"price\":10.5,\"quantity\":2}"
#define SMALL_REST                                                             \
	"\"amount\":21.0,\"currency\":\"USD\",\"timestamp\":"                  \
	"\"2026-01-01T00:00:00.000000Z\",\"category\":\"home\",\"items\":"     \
	"[" ITEM "]"
#define SMALL "{\"transaction_id\":\"t1\",\"user\":" USER "," SMALL_REST "}"

static struct mock_host *m;

static void setup(void)
{
	m = mock_host_new(sluice_plugin_entry());
	mock_host_set(m, "ingest.time", "record");
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

/* Processes one value (len (size_t)-1: strlen) and returns the one
 * record it produced. */
static const struct mock_record *run_len(const char *value, size_t len)
{
	struct sluice_header h = {"sluice.faker.anomaly", "x", 1};
	struct sluice_record in = {
		.topic = "transaction_logs",
		.partition = 3,
		.offset = 57,
		.timestamp_ms = TS_MS,
		.key = "k-1",
		.key_len = 3,
		.value = value,
		.value_len = len == (size_t)-1 ? strlen(value) : len,
		.headers = &h,
		.header_count = 1,
	};
	size_t before = mock_host_record_count(m);
	enum sluice_status st = mock_host_process(m, &in);
	const struct mock_record *r;

	ck_assert_msg(st == SLUICE_OK, "process: %s", mock_host_error(m));
	ck_assert_uint_eq(mock_host_record_count(m), before + 1);
	r = mock_host_record(m, before);
	ck_assert_str_eq(r->key, "k-1");
	ck_assert_int_eq(r->partition, -1);
	ck_assert_int_eq(r->timestamp_ms, TS_MS);
	ck_assert_str_eq(mock_record_header(r, "sluice.faker.anomaly"), "x");
	return r;
}

static const struct mock_record *run(const char *value)
{
	return run_len(value, (size_t)-1);
}

/* The value, which went to "out", minus its closing '}', with the added
 * fields: what a good record becomes. */
static void assert_good(const char *value, const struct mock_record *r)
{
	char want[4096];

	ck_assert_ptr_nonnull(r->output);
	int len = (int)(strrchr(value, '}') - value);

	/* Whitespace before the closing brace goes too. */
	while (len > 0 && strchr(" \t\r\n", value[len - 1]))
		len--;
	ck_assert_str_eq(r->output, "out");
	snprintf(want, sizeof want, "%.*s, " INGEST ", " SOURCE "}", len,
		 value);
	ck_assert_str_eq(r->value, want);
}

/* The record went to quarantine; returns its _errors joined by " | ". */
static const char *errors_of(const struct mock_record *r)
{
	static char joined[8192];
	json_object *o, *e;
	size_t len = 0;

	ck_assert_ptr_nonnull(r->output);
	ck_assert_str_eq(r->output, "quarantine");
	o = json_tokener_parse(r->value);
	ck_assert_msg(o, "quarantine record is not JSON: %s", r->value);
	ck_assert(json_object_object_get_ex(o, "_errors", &e));
	joined[0] = '\0';
	for (size_t k = 0; k < json_object_array_length(e); k++)
		len += (size_t)snprintf(
			joined + len, sizeof joined - len, "%s%s",
			k ? " | " : "",
			json_object_get_string(
				json_object_array_get_idx(e, k)));
	json_object_put(o);
	return joined;
}

/* The whole quarantine record for raw text (already JSON-escaped) and
 * reasons (already JSON). */
static void assert_quarantine(const struct mock_record *r, const char *raw_json,
			      const char *errors_json)
{
	char want[8192];

	ck_assert_str_eq(r->output, "quarantine");
	snprintf(want, sizeof want,
		 "{\"_rescued_data\": %s, \"_errors\": [%s], " SOURCE
		 ", " INGEST "}",
		 raw_json, errors_json);
	ck_assert_str_eq(r->value, want);
}

/* ---- the plugin ---- */

START_TEST(test_descriptor)
{
	const struct sluice_plugin *p = sluice_plugin_entry();

	ck_assert_int_eq(p->abi_major, SLUICE_ABI_MAJOR);
	ck_assert_str_eq(p->name, "transform-bronze");
	ck_assert_int_eq(p->kind, SLUICE_KIND_TRANSFORM);
	ck_assert_str_eq(p->outputs[0], "out");
	ck_assert_str_eq(p->outputs[1], "quarantine");
	ck_assert_str_eq(p->outputs[2], "dq");
	ck_assert_ptr_null(p->outputs[3]);
	ck_assert_ptr_nonnull(p->process);
	ck_assert_ptr_nonnull(p->tick);
	ck_assert_ptr_null(p->poll);
	ck_assert_ptr_null(p->put);
	/* The defaults pass the table's own checks. */
	ck_assert_int_eq(mock_host_validate(m), 0);
	open_ok();
	ck_assert_int_eq(mock_host_misuse(m), 0);
}
END_TEST

START_TEST(test_seed_event_passes_unchanged)
{
	const struct mock_record *r;

	open_ok();
	r = run(seed_line);
	assert_good(seed_line, r);
	/* Exactly: the seed's bytes, then the two added fields. */
	ck_assert_uint_eq(r->value_len,
			  strlen(seed_line) - 1 +
				  strlen(", " INGEST ", " SOURCE "}"));
	assert_good(SMALL, run(SMALL));
	ck_assert_int_eq(mock_host_misuse(m), 0);
}
END_TEST

/* All 1,000 foreign events pass, each exactly as it came plus the two
 * fields; the output parses and carries the seed's fields. */
START_TEST(test_sample_events_pass)
{
	FILE *f = fopen(SAMPLE_EVENTS, "r");
	char line[4096];
	size_t n = 0;

	ck_assert_ptr_nonnull(f);
	open_ok();
	while (fgets(line, sizeof line, f)) {
		const struct mock_record *r;
		json_object *o, *v;
		size_t len = strlen(line);

		/* The trailing newline is whitespace after the object. */
		r = run_len(line, len);
		REQUIRE(r->output && !strcmp(r->output, "out"),
			"line %zu quarantined: %s", n + 1, r->value);
		line[len - 1] = '\0';
		assert_good(line, r);
		o = json_tokener_parse(r->value);
		REQUIRE(o, "line %zu: output not JSON", n + 1);
		REQUIRE(json_object_object_length(o) == 9, "line %zu", n + 1);
		REQUIRE(json_object_object_get_ex(o, "items", &v) &&
				json_object_is_type(v, json_type_array),
			"line %zu", n + 1);
		json_object_put(o);
		mock_host_clear_records(m);
		n++;
	}
	fclose(f);
	ck_assert_uint_eq(n, 1000);
}
END_TEST

START_TEST(test_wall_clock_ingest_ts)
{
	const struct mock_record *r;
	const char *ts;

	mock_host_set(m, "ingest.time", "wall");
	open_ok();
	r = mock_host_record(m, 0);
	{
		struct sluice_record in = {.topic = "t",
					   .value = SMALL,
					   .value_len = strlen(SMALL)};

		ck_assert_int_eq(mock_host_process(m, &in), SLUICE_OK);
	}
	r = mock_host_record(m, 0);
	ts = strstr(r->value, "\"ingest_ts\": \"");
	ck_assert_ptr_nonnull(ts);
	ts += 14;
	/* 2026-..-..T..:..:.........Z, this century. */
	ck_assert_int_eq(ts[4], '-');
	ck_assert_int_eq(ts[10], 'T');
	ck_assert_int_eq(ts[19], '.');
	ck_assert_int_eq(ts[26], 'Z');
	ck_assert_int_eq(ts[27], '"');
	ck_assert(strncmp(ts, "2025", 4) >= 0 && strncmp(ts, "2100", 4) < 0);
}
END_TEST

/* ---- not JSON ---- */

START_TEST(test_not_json)
{
	open_ok();
	assert_quarantine(run("hello"), "\"hello\"",
			  "\"not valid JSON: unexpected character 'h' at byte "
			  "0\"");
	assert_quarantine(run(""), "\"\"",
			  "\"not valid JSON: unexpected end of input at byte "
			  "0\"");
	assert_quarantine(run("  \n"), "\"  \\n\"",
			  "\"not valid JSON: unexpected end of input at byte "
			  "3\"");
}
END_TEST

START_TEST(test_truncated)
{
	char cut[58];

	open_ok();
	memcpy(cut, seed_line, 57);
	cut[57] = '\0';
	assert_quarantine(run(cut),
			  "\"{\\\"transaction_id\\\": "
			  "\\\"1ca35cfb-04fc-4d82-bd15-438552fbe43b\\\"\"",
			  "\"not valid JSON: unexpected end of input at byte "
			  "57\"");
	/* Cut anywhere, the end of input is where it is found. */
	for (size_t n = 1; n < strlen(seed_line); n++) {
		char want[64];

		memcpy(cut, seed_line, n < 57 ? n : 57);
		if (n >= 57)
			break;
		cut[n] = '\0';
		snprintf(want, sizeof want,
			 "not valid JSON: unexpected end of input at byte %zu",
			 n);
		ck_assert_str_eq(errors_of(run(cut)), want);
	}
}
END_TEST

/* Each syntax error: its exact reason. */
START_TEST(test_syntax_errors)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{"[1, 2]", "top level: expected object, got array"},
		{"\"text\"", "top level: expected object, got string"},
		{"null", "top level: expected object, got null"},
		{"{\"a\" 1}",
		 "not valid JSON: unexpected character '1' at byte "
		 "5"},
		{"{\"a\": 1,}",
		 "not valid JSON: unexpected character '}' at byte 8"},
		{"{\"a\": 01}",
		 "not valid JSON: unexpected character '1' at byte 7"},
		{"{\"a\": 1.}",
		 "not valid JSON: unexpected character '}' at byte 8"},
		{"{\"a\": -}",
		 "not valid JSON: unexpected character '}' at byte 7"},
		{"{\"a\": 1e}",
		 "not valid JSON: unexpected character '}' at byte 8"},
		{"{\"a\": tru}",
		 "not valid JSON: unexpected character '}' at byte 9"},
		{"{\"a\": nul",
		 "not valid JSON: unexpected end of input at byte "
		 "9"},
		{"{\"a\": \"x\\q\"}",
		 "not valid JSON: invalid escape at byte 8"},
		{"{\"a\": \"\\u12G4\"}",
		 "not valid JSON: invalid escape at byte 7"},
		{"{\"a\": \"\\ud800\"}",
		 "not valid JSON: lone surrogate at byte 7"},
		{"{\"a\": \"\\udc00\\ud800\"}",
		 "not valid JSON: lone surrogate at byte 7"},
		{"{\"a\": \"tab\there\"}",
		 "not valid JSON: control character in string at byte 10"},
		{"{} {}", "not valid JSON: trailing data at byte 3"},
		{"{}x", "not valid JSON: trailing data at byte 2"},
		{"{'a': 1}", "not valid JSON: unexpected character ''' at byte "
			     "1"},
		{"{\"a\": \x01}", "not valid JSON: unexpected byte 0x01 at "
				  "byte 6"},
		{"{\"a\": [1, 2}",
		 "not valid JSON: unexpected character '}' at byte 11"},
		{"{\"a\": \"\\u00", "not valid JSON: unexpected end of input "
				    "at byte 11"},
	};

	open_ok();
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		const char *got = errors_of(run(cases[k].in));
		size_t len;

		/* Schema reasons follow a well-formed top-level value that
		 * is not an object; syntax errors stand alone. */
		len = strlen(cases[k].why);
		REQUIRE(strncmp(got, cases[k].why, len) == 0 &&
				(got[len] == '\0' ||
				 !strncmp(cases[k].why, "top level", 9)),
			"case %zu (%s): got '%s', want '%s'", k, cases[k].in,
			got, cases[k].why);
	}
	/* A good surrogate pair is fine: the schema complains, not JSON. */
	ck_assert_str_eq(errors_of(run("{\"a\": \"\\ud83d\\ude00\"}")),
			 "missing field: transaction_id | missing field: user "
			 "| missing field: amount | missing field: currency "
			 "| missing field: timestamp | missing field: "
			 "category | missing field: items");
}
END_TEST

/* ---- UTF-8 ---- */

START_TEST(test_invalid_utf8)
{
	/* \xff at byte 12, inside a string; the record is otherwise good:
	 * only that reason. */
	char bad[sizeof SMALL];
	const struct mock_record *r;
	json_object *o, *v;

	open_ok();
	memcpy(bad, SMALL, sizeof SMALL);
	ck_assert_int_eq(bad[19], 't'); /* "t1" */
	bad[19] = '\xff';
	r = run(bad);
	ck_assert_str_eq(errors_of(r), "not valid UTF-8 at byte 19");
	o = json_tokener_parse(r->value);
	/* The raw text with \ufffd in place of the byte, and the bytes
	 * themselves in base64. */
	ck_assert(json_object_object_get_ex(o, "_rescued_data", &v));
	ck_assert_int_eq(strncmp(json_object_get_string(v),
				 "{\"transaction_id\":\"\xef\xbf\xbd"
				 "1\",",
				 22),
			 0);
	ck_assert(json_object_object_get_ex(o, "_rescued_data_base64", &v));
	ck_assert_int_eq(strncmp(json_object_get_string(v),
				 "eyJ0cmFuc2FjdGlvbl9pZCI6Iv8x", 28),
			 0);
	json_object_put(o);
	/* Overlong, surrogate, beyond U+10FFFF, cut short, stray
	 * continuation: each found at its first byte. */
	{
		static const char *const seqs[] = {"\xc0\xaf", "\xed\xa0\x80",
						   "\xf4\x90\x80\x80",
						   "\xe2\x82", "\x80"};

		for (size_t k = 0; k < 5; k++) {
			char v2[64];

			snprintf(v2, sizeof v2, "{\"ab\": \"x%sy\"}", seqs[k]);
			REQUIRE(strncmp(errors_of(run(v2)),
					"not valid UTF-8 at byte 9 | ",
					28) == 0,
				"sequence %zu: %s", k, errors_of(run(v2)));
		}
	}
	/* Valid multi-byte text passes. */
	{
		char v3[sizeof SMALL + 16];

		snprintf(v3, sizeof v3,
			 "{\"transaction_id\":\"\xe2\x82\xac\xf0\x9f\x98\x80\","
			 "\"user\":" USER "," SMALL_REST "}");
		assert_good(v3, run(v3));
	}
}
END_TEST

/* Invalid UTF-8 and schema problems: every reason, in byte order. */
START_TEST(test_utf8_and_schema_reasons)
{
	open_ok();
	ck_assert_str_eq(
		errors_of(run("{\"transaction_id\":\"\xfe\",\"user\":" USER
			      ",\"amount\":\"x\",\"currency\":\"USD\","
			      "\"timestamp\":\"t\",\"category\":\"c\","
			      "\"items\":[]}")),
		"not valid UTF-8 at byte 19 | amount: expected double, got "
		"string");
}
END_TEST

/* ---- depth and size ---- */

START_TEST(test_deep_nesting)
{
	char *deep = malloc(6000);
	size_t n = 0;

	open_ok();
	for (int k = 0; k < 1000; k++)
		deep[n++] = '[';
	for (int k = 0; k < 1000; k++)
		deep[n++] = ']';
	deep[n] = '\0';
	ck_assert_str_eq(errors_of(run(deep)),
			 "nested deeper than 32 levels at byte 32");
	/* Inside a field declared any: the same limit, counted from the
	 * top. */
	n = (size_t)sprintf(deep, "{\"a\": ");
	for (int k = 0; k < 1000; k++)
		deep[n++] = '{', deep[n++] = '"', deep[n++] = 'b',
		deep[n++] = '"', deep[n++] = ':';
	deep[n] = '\0';
	ck_assert_str_eq(errors_of(run(deep)),
			 "nested deeper than 32 levels at byte 161");
	free(deep);
	/* max.depth: 3 levels are enough for the seed's events. */
	mock_host_set(m, "max.depth", "3");
	open_ok();
	assert_good(seed_line, run(seed_line));
	mock_host_set(m, "max.depth", "2");
	open_ok();
	ck_assert_str_eq(errors_of(run(seed_line)),
			 "nested deeper than 2 levels at byte 468");
}
END_TEST

START_TEST(test_too_large)
{
	size_t big = 5 * 1024 * 1024;
	char *v = malloc(big + 1);
	const struct mock_record *r;
	json_object *o, *x;

	open_ok();
	memset(v, 'a', big);
	v[0] = '{';
	v[big] = '\0';
	r = run_len(v, big);
	ck_assert_str_eq(errors_of(r), "value is 5242880 bytes, limit 1048576");
	o = json_tokener_parse(r->value);
	ck_assert_ptr_nonnull(o);
	/* The first max.bytes of it are kept, and the size it had. */
	ck_assert(json_object_object_get_ex(o, "_rescued_data", &x));
	ck_assert_int_eq(json_object_get_string_len(x), 1048576);
	ck_assert_int_eq(strncmp(json_object_get_string(x), "{aaa", 4), 0);
	ck_assert(json_object_object_get_ex(o, "_rescued_bytes", &x));
	ck_assert_int_eq(json_object_get_int64(x), 5242880);
	ck_assert(!json_object_object_get_ex(o, "_rescued_data_base64", &x));
	json_object_put(o);
	/* Exactly the limit is fine as far as size goes. */
	mock_host_set(m, "max.bytes", "1KiB");
	open_ok();
	v[1023] = '\0';
	ck_assert_str_eq(errors_of(run(v)),
			 "not valid JSON: unexpected character 'a' at byte 1");
	v[1023] = 'a';
	v[1024] = '\0';
	ck_assert_str_eq(errors_of(run(v)),
			 "not valid JSON: unexpected character 'a' at byte 1");
	v[1024] = 'a';
	v[1025] = '\0';
	ck_assert_str_eq(errors_of(run(v)), "value is 1025 bytes, limit 1024");
	/* A cut never splits a UTF-8 character. */
	memcpy(v + 1022, "\xe2\x82\xac", 3);
	r = run(v);
	o = json_tokener_parse(r->value);
	ck_assert(json_object_object_get_ex(o, "_rescued_data", &x));
	ck_assert_int_eq(json_object_get_string_len(x), 1022);
	json_object_put(o);
	free(v);
}
END_TEST

START_TEST(test_tombstone)
{
	struct sluice_record in = {.topic = "transaction_logs",
				   .partition = 3,
				   .offset = 57,
				   .timestamp_ms = TS_MS};

	open_ok();
	ck_assert_int_eq(mock_host_process(m, &in), SLUICE_OK);
	assert_quarantine(mock_host_record(m, 0), "null",
			  "\"no value (a tombstone)\"");
}
END_TEST

/* ---- the schema ---- */

START_TEST(test_wrong_type_every_field)
{
	static const char bad[] =
		"{\"transaction_id\": 1, \"user\": {\"user_id\": \"7\", "
		"\"name\": 2, \"email\": true, \"country\": null, \"city\": "
		"[], "
		"\"address\": {}, \"age\": 30.5, \"payment_method\": 1.0, "
		"\"device_type\": false, \"ip_address\": 4}, \"amount\": "
		"\"21.0\", \"currency\": 840, \"timestamp\": 1767225600, "
		"\"category\": [\"home\"], \"items\": [{\"item_id\": 1, "
		"\"name\": null, \"price\": \"10.5\", \"quantity\": 2.0}, 5]}";

	open_ok();
	ck_assert_str_eq(errors_of(run(bad)),
			 "transaction_id: expected string, got int | "
			 "user.user_id: expected int, got string | "
			 "user.name: expected string, got int | "
			 "user.email: expected string, got bool | "
			 "user.country: expected string, got null | "
			 "user.city: expected string, got array | "
			 "user.address: expected string, got object | "
			 "user.age: expected int, got double | "
			 "user.payment_method: expected string, got double | "
			 "user.device_type: expected string, got bool | "
			 "user.ip_address: expected string, got int | "
			 "amount: expected double, got string | "
			 "currency: expected string, got int | "
			 "timestamp: expected string, got int | "
			 "category: expected string, got array | "
			 "items[0].item_id: expected string, got int | "
			 "items[0].name: expected string, got null | "
			 "items[0].price: expected double, got string | "
			 "items[0].quantity: expected int, got double | "
			 "items[1]: expected object, got int");
	ck_assert_str_eq(errors_of(run("{\"transaction_id\":\"t1\",\"user\":"
				       "[],\"amount\":1,\"currency\":\"USD\","
				       "\"timestamp\":\"t\",\"category\":\"c\","
				       "\"items\":{}}")),
			 "user: expected object, got array | "
			 "items: expected array, got object");
}
END_TEST

START_TEST(test_missing_fields)
{
	open_ok();
	ck_assert_str_eq(
		errors_of(run("{\"transaction_id\":\"t1\",\"user\":{\"user_id\""
			      ":7},\"amount\":21.0,\"timestamp\":\"t\","
			      "\"category\":\"home\",\"items\":[{\"item_id\":"
			      "\"i1\",\"name\":\"Lamp\",\"price\":10.5},"
			      "{}]}")),
		"missing field: user.name | missing field: user.email | "
		"missing field: user.country | missing field: user.city | "
		"missing field: user.address | missing field: user.age | "
		"missing field: user.payment_method | missing field: "
		"user.device_type | missing field: user.ip_address | "
		"missing field: items[0].quantity | missing field: "
		"items[1].item_id | missing field: items[1].name | missing "
		"field: items[1].price | missing field: items[1].quantity | "
		"missing field: currency");
	ck_assert_str_eq(errors_of(run("{}")),
			 "missing field: transaction_id | missing field: user "
			 "| missing field: amount | missing field: currency "
			 "| missing field: timestamp | missing field: "
			 "category | missing field: items");
}
END_TEST

START_TEST(test_numbers)
{
	static const struct {
		const char *amount, *user_id, *why;
	} cases[] = {
		{"0", "0", NULL},
		{"-1.5e3", "-9223372036854775808", NULL},
		{"1E+2", "9223372036854775807", NULL},
		{"1.7976931348623157e308", "1", NULL},
		{"1e308", "1", NULL},
		{"1e-400", "1", NULL}, /* underflows to 0: fine */
		{"1.7976931348623159e308", "1",
		 "amount: number out of double range"},
		{"1e309", "9223372036854775808",
		 "user.user_id: int out of 64-bit range | amount: number "
		 "out of double range"},
		{"2", "-9223372036854775809",
		 "user.user_id: int out of 64-bit range"},
		{"2", "100000000000000000000",
		 "user.user_id: int out of 64-bit range"},
		{"2", "7e0", "user.user_id: expected int, got double"},
		{"2", "7.0", "user.user_id: expected int, got double"},
	};

	open_ok();
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char v[1024];
		const struct mock_record *r;

		snprintf(v, sizeof v,
			 "{\"transaction_id\":\"t1\",\"user\":{\"user_id\":%s,"
			 "\"name\":\"N\",\"email\":\"a@b.co\",\"country\":"
			 "\"C\",\"city\":\"Y\",\"address\":\"A\",\"age\":30,"
			 "\"payment_method\":\"p\",\"device_type\":\"m\","
			 "\"ip_address\":\"i\"},\"amount\":%s,\"currency\":"
			 "\"USD\",\"timestamp\":\"t\",\"category\":\"c\","
			 "\"items\":[]}",
			 cases[k].user_id, cases[k].amount);
		r = run(v);
		if (!cases[k].why) {
			REQUIRE(!strcmp(r->output, "out"), "case %zu: %s", k,
				r->value);
			continue;
		}
		REQUIRE(!strcmp(errors_of(r), cases[k].why),
			"case %zu: got '%s'", k, errors_of(r));
	}
	/* A 400-digit integer is beyond a double as well. */
	{
		char v[1024];
		int n = sprintf(v, "{\"transaction_id\":\"t1\",\"user\":" USER
				   ",\"amount\":");
		for (int k = 0; k < 400; k++)
			v[n++] = k ? '0' : '1';
		sprintf(v + n, ",\"currency\":\"USD\",\"timestamp\":\"t\","
			       "\"category\":\"c\",\"items\":[]}");
		ck_assert_str_eq(errors_of(run(v)),
				 "amount: number out of double range");
	}
}
END_TEST

START_TEST(test_duplicate_and_reserved_fields)
{
	open_ok();
	ck_assert_str_eq(
		errors_of(run("{\"transaction_id\":\"t1\",\"user\":" USER
			      ",\"transaction_id\":\"t2\"," SMALL_REST "}")),
		"duplicate field: transaction_id");
	ck_assert_str_eq(
		errors_of(run("{\"transaction_id\":\"t1\",\"user\":" USER
			      "," SMALL_REST
			      ",\"_source\":1,\"ingest_ts\":2}")),
		"reserved field: _source | reserved field: ingest_ts");
	/* Below the top level those names are nothing special. */
	mock_host_set(m, "extra.fields", "keep");
	open_ok();
	{
		static const char v[] =
			"{\"transaction_id\":\"t1\",\"user\":{\"_source\":1,"
			"\"user_id\":7,\"name\":\"N\",\"email\":\"a@b.co\","
			"\"country\":\"C\",\"city\":\"Y\",\"address\":\"A\","
			"\"age\":30,\"payment_method\":\"paypal\","
			"\"device_type\":\"mobile\",\"ip_address\":\"1.2.3.4\"}"
			"," SMALL_REST "}";

		assert_good(v, run(v));
	}
}
END_TEST

/* A key written with escapes is the same key. */
START_TEST(test_escaped_keys)
{
	static const char v[] =
		"{\"transaction_\\u0069d\":\"t1\",\"user\":" USER "," SMALL_REST
		"}";

	open_ok();
	assert_good(v, run(v));
}
END_TEST

/* extra.fields: rescue (the default), keep, quarantine. */
START_TEST(test_extra_fields)
{
	static const char v[] =
		"{\"note\": [1, {\"x\": 2}], \"transaction_id\":\"t1\","
		"\"user\":{\"user_id\":7,\"name\":\"N\",\"nick\":\"n\","
		"\"email\":\"a@b.co\",\"country\":\"C\",\"city\":\"Y\","
		"\"address\":\"A\",\"age\":30,\"payment_method\":\"paypal\","
		"\"device_type\":\"mobile\",\"ip_address\":\"1.2.3.4\","
		"\"vip\":true}," SMALL_REST ", \"x-tra\" : null }";
	const struct mock_record *r;

	open_ok();
	r = run(v);
	ck_assert_str_eq(r->output, "out");
	ck_assert_str_eq(
		r->value,
		"{\"transaction_id\":\"t1\",\"user\":{\"user_id\":7,\"name\":"
		"\"N\",\"email\":\"a@b.co\",\"country\":\"C\",\"city\":\"Y\","
		"\"address\":\"A\",\"age\":30,\"payment_method\":\"paypal\","
		"\"device_type\":\"mobile\",\"ip_address\":\"1.2.3.4\"}"
		"," SMALL_REST ", \"_rescued_data\": {\"note\": [1, {\"x\": "
		"2}], \"user.nick\": "
		"\"n\", \"user.vip\": true, \"x-tra\": null}, " INGEST
		", " SOURCE "}");
	/* Every member unknown but one, in all positions. */
	mock_host_set(m, "schema", "a: int");
	open_ok();
	r = run("{\"x\":1, \"y\":2, \"a\":3, \"z\":4, \"w\":5}");
	ck_assert_str_eq(r->value, "{\"a\":3, \"_rescued_data\": {\"x\": 1, "
				   "\"y\": 2, \"z\": 4, \"w\": 5}, " INGEST
				   ", " SOURCE "}");
	r = run("{\"a\":3,\"x\":1}");
	ck_assert_str_eq(r->value,
			 "{\"a\":3, \"_rescued_data\": {\"x\": 1}, " INGEST
			 ", " SOURCE "}");
	mock_host_set(m, "schema", "a: int?");
	open_ok();
	r = run("{ \"x\":1 , \"y\":2 }");
	ck_assert_str_eq(r->value,
			 "{ \"_rescued_data\": {\"x\": 1, \"y\": 2}, " INGEST
			 ", " SOURCE "}");

	mock_host_set(m, "schema", BRONZE_SEED_SCHEMA);
	mock_host_set(m, "extra.fields", "keep");
	open_ok();
	assert_good(v, run(v));

	mock_host_set(m, "extra.fields", "quarantine");
	open_ok();
	ck_assert_str_eq(errors_of(run(v)),
			 "unexpected field: note | unexpected field: user.nick "
			 "| unexpected field: user.vip | unexpected field: "
			 "x-tra");
}
END_TEST

START_TEST(test_schema_option)
{
	const struct mock_record *r;

	/* Nullable and optional fields, any, bool, nested arrays, quoted
	 * names, braces around the top level, lines. */
	mock_host_set(
		m, "schema",
		"{\n  id: int,\n  \"odd name\": string?,\n  ok: bool,\n"
		"  meta: any,\n  grid: [[double]],\n  tags: [string]?\n}");
	open_ok();
	r = run("{\"id\": 1, \"ok\": false, \"meta\": {\"k\": [null]}, "
		"\"grid\": [[1, 2.5], []], \"odd name\": null}");
	ck_assert_str_eq(r->output, "out");
	ck_assert_str_eq(errors_of(run("{\"id\": 1, \"ok\": 1, \"meta\": 1, "
				       "\"grid\": [[1, \"x\"]], \"tags\": "
				       "[\"a\", 2]}")),
			 "ok: expected bool, got int | grid[0][1]: expected "
			 "double, got string | tags[1]: expected string, got "
			 "int");
	ck_assert_str_eq(errors_of(run("{\"id\": 1}")),
			 "missing field: ok | missing field: meta | missing "
			 "field: grid");
}
END_TEST

START_TEST(test_schema_errors)
{
	static const struct {
		const char *schema, *why;
	} cases[] = {
		{"a: strin", "schema: unknown type 'strin' (expected string, "
			     "int, double, bool, any, {...} or [...]) at "
			     "column 4"},
		{"a int", "schema: expected ':' after 'a', got 'i' at column "
			  "3"},
		{"a: int,, b: int",
		 "schema: expected a field name, got ',' at column 8"},
		{"a: int b: int",
		 "schema: expected ',' or the end, got 'b' at column 8"},
		{"a: {b: int", "schema: expected ',' or '}', got the end at "
			       "column 11"},
		{"a: [int", "schema: expected ']', got the end at column 8"},
		{"a: {}", "schema: an object needs at least one field at "
			  "column 5"},
		{"a: int, a: int",
		 "schema: field 'a' declared twice at column 9"},
		{"a: int,\nb: [\n  ]",
		 "schema: expected a type, got ']' at line 3, column 3"},
		{"{a: int} x",
		 "schema: expected the end, got 'x' at column 10"},
		{"\"a: int", "schema: unterminated field name at column 1"},
		{"_source: any", "schema: field '_source' is added by "
				 "transform-bronze and cannot be declared"},
		{"a: int, ingest_ts: string",
		 "schema: field 'ingest_ts' is added by transform-bronze and "
		 "cannot be declared"},
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		mock_host_set(m, "schema", cases[k].schema);
		REQUIRE(mock_host_open(m) == SLUICE_FATAL, "case %zu opened",
			k);
		REQUIRE(!strcmp(mock_host_error(m), cases[k].why),
			"case %zu: got '%s'", k, mock_host_error(m));
	}
}
END_TEST

START_TEST(test_bad_options)
{
	mock_host_set(m, "extra.fields", "drop");
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	ck_assert_str_eq(mock_host_error(m),
			 "config.extra.fields: 'drop' is not one of rescue, "
			 "keep, quarantine");
	mock_host_set(m, "extra.fields", "keep");
	mock_host_set(m, "max.depth", "0");
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	ck_assert_str_eq(mock_host_error(m),
			 "config.max.depth: 0 is below the minimum 1");
}
END_TEST

/* More than 32 reasons: 32 kept, then how many more. */
START_TEST(test_many_reasons)
{
	char v[4096];
	size_t n = 0;
	const char *e;

	mock_host_set(m, "schema", "a: int");
	mock_host_set(m, "extra.fields", "quarantine");
	open_ok();
	n += (size_t)sprintf(v, "{\"a\": 1");
	for (int k = 0; k < 40; k++)
		n += (size_t)sprintf(v + n, ", \"f%d\": 1", k);
	sprintf(v + n, "}");
	e = errors_of(run(v));
	ck_assert_ptr_nonnull(strstr(e, "unexpected field: f31 | and 8 more"));
	ck_assert_ptr_null(strstr(e, "f32"));
}
END_TEST

START_TEST(test_counters_and_emit_failure)
{
	struct sluice_record in = {.topic = "t", .value = "x", .value_len = 1};

	open_ok();
	run(SMALL);
	run(SMALL);
	run("x");
	run("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]");
	run("{\"a\":\"\xff\"}");
	run("{}");
	/* Handed to the host at the tick. */
	ck_assert_int_eq(
		mock_host_counter(m, "bronze_records_total", "output=\"out\""),
		0);
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(
		mock_host_counter(m, "bronze_records_total", "output=\"out\""),
		2);
	ck_assert_int_eq(
		mock_host_counter(m, "bronze_records_total",
				  "output=\"quarantine\",reason=\"json\""),
		1);
	ck_assert_int_eq(
		mock_host_counter(m, "bronze_records_total",
				  "output=\"quarantine\",reason=\"depth\""),
		1);
	ck_assert_int_eq(
		mock_host_counter(m, "bronze_records_total",
				  "output=\"quarantine\",reason=\"utf8\""),
		1);
	ck_assert_int_eq(
		mock_host_counter(m, "bronze_records_total",
				  "output=\"quarantine\",reason=\"schema\""),
		1);
	/* An emit that fails fails the call; nothing is counted. */
	mock_host_fail_emits_after(m, 0);
	ck_assert_int_eq(mock_host_process(m, &in), SLUICE_FATAL);
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(
		mock_host_counter(m, "bronze_records_total",
				  "output=\"quarantine\",reason=\"json\""),
		1);
}
END_TEST

/* Whitespace anywhere, and a value with spaces around the object. */
START_TEST(test_whitespace)
{
	static const char v[] =
		" \r\n\t{ \"transaction_id\" : \"t1\" ,\n \"user\" :" USER
		" , " SMALL_REST " \n} \n";
	const struct mock_record *r;

	open_ok();
	r = run(v);
	ck_assert_str_eq(r->output, "out");
	ck_assert_str_eq(
		r->value,
		" \r\n\t{ \"transaction_id\" : \"t1\" ,\n \"user\" :" USER
		" , " SMALL_REST ", " INGEST ", " SOURCE "}");
}
END_TEST

/* ---- expectations ---- */

/* SMALL with one replacement. */
static char *small_with(const char *from, const char *to)
{
	static char v[2048];
	const char *at = strstr(SMALL, from);

	ck_assert_ptr_nonnull(at);
	snprintf(v, sizeof v, "%.*s%s%s", (int)(at - SMALL), SMALL, to,
		 at + strlen(from));
	return v;
}

START_TEST(test_expectation_actions)
{
	const char *v;
	struct sluice_record in = {.topic = "transaction_logs",
				   .partition = 3,
				   .offset = 57,
				   .timestamp_ms = TS_MS};

	mock_host_set(m, "expectations",
		      "valid_email, positive_amount on violation drop row, "
		      "CONSTRAINT known_currency ON VIOLATION FAIL UPDATE, "
		      "few_items expect (count(items) < 3)");
	open_ok();
	/* Passes all: unchanged. */
	assert_good(SMALL, run(SMALL));
	/* A bad e-mail and many items only warn. */
	v = small_with("\"a@b.co\"", "\"nobody\"");
	assert_good(v, run(v));
	v = small_with(ITEM "]", ITEM "," ITEM "," ITEM "]");
	assert_good(v, run(v));
	/* A negative amount: quarantined, naming the expectation. */
	v = small_with("\"amount\":21.0", "\"amount\":-21.0");
	ck_assert_str_eq(errors_of(run(v)),
			 "failed expectation: positive_amount");
	/* A type mismatch is a failure too. */
	v = small_with("\"amount\":21.0", "\"amount\":\"21\"");
	ck_assert_str_eq(errors_of(run(v)),
			 "amount: expected double, got string");
	/* An unknown currency stops the task, naming the record. */
	v = small_with("\"USD\"", "\"XXX\"");
	in.value = v;
	in.value_len = strlen(v);
	mock_host_clear_records(m);
	ck_assert_int_eq(mock_host_process(m, &in), SLUICE_FATAL);
	ck_assert_str_eq(mock_host_error(m),
			 "expectation 'known_currency' failed (on violation "
			 "fail) on topic transaction_logs, partition 3, "
			 "offset 57: currency in ['USD', 'EUR', 'GBP', "
			 "'INR']");
	ck_assert_uint_eq(mock_host_record_count(m), 0);

	/* Counts: to the host's counters at every tick, and as a summary
	 * on "dq" every dq.interval (1m). */
	ck_assert_int_eq(mock_host_tick(m, 1767225600000LL), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	ck_assert_int_eq(mock_host_counter(m, "dq_records_total",
					   "expectation=\"valid_email\","
					   "result=\"passed\""),
			 4);
	ck_assert_int_eq(mock_host_counter(m, "dq_records_total",
					   "expectation=\"valid_email\","
					   "result=\"failed\""),
			 1);
	ck_assert_int_eq(mock_host_counter(m, "dq_records_total",
					   "expectation=\"known_currency\","
					   "result=\"failed\""),
			 1);
	ck_assert_int_eq(mock_host_counter(m, "dq_dropped_records_total", NULL),
			 1);
	ck_assert_int_eq(
		mock_host_counter(
			m, "bronze_records_total",
			"output=\"quarantine\",reason=\"expectation\""),
		1);
	ck_assert_int_eq(mock_host_tick(m, 1767225659999LL), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	ck_assert_int_eq(mock_host_tick(m, 1767225660000LL), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 1);
	ck_assert_str_eq(mock_host_record(m, 0)->output, "dq");
	ck_assert_str_eq(
		mock_host_record(m, 0)->value,
		"{\"event_type\": \"flow_progress\", \"timestamp\": "
		"\"2026-01-01T00:01:00.000000Z\", \"dataset\": "
		"\"mock-connector\", \"details\": {\"flow_progress\": "
		"{\"metrics\": {\"num_output_rows\": 4}, \"data_quality\": "
		"{\"dropped_records\": 1, \"expectations\": [{\"name\": "
		"\"valid_email\", \"dataset\": \"mock-connector\", "
		"\"passed_records\": 4, \"failed_records\": 1}, {\"name\": "
		"\"positive_amount\", \"dataset\": \"mock-connector\", "
		"\"passed_records\": 4, \"failed_records\": 1}, {\"name\": "
		"\"known_currency\", \"dataset\": \"mock-connector\", "
		"\"passed_records\": 4, \"failed_records\": 1}, {\"name\": "
		"\"few_items\", \"dataset\": \"mock-connector\", "
		"\"passed_records\": 4, \"failed_records\": 1}]}}}}");
	/* Nothing new, no summary. */
	ck_assert_int_eq(mock_host_tick(m, 1767225720000LL), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 1);
}
END_TEST

/* The shipped expectations on all 1,000 foreign events: all pass. */
START_TEST(test_expectations_on_samples)
{
	FILE *f = fopen(SAMPLE_EVENTS, "r");
	char line[4096];

	mock_host_set(m, "expectations",
		      "valid_email on violation drop, positive_amount on "
		      "violation drop, amount_matches_items on violation "
		      "drop, known_currency on violation drop, "
		      "user_id_present on violation drop");
	open_ok();
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f)) {
		const struct mock_record *r = run(line);

		REQUIRE(!strcmp(r->output, "out"), "%s", r->value);
		mock_host_clear_records(m);
	}
	fclose(f);
	ck_assert_int_eq(mock_host_tick(m, 0), SLUICE_OK);
	ck_assert_int_eq(mock_host_counter(m, "dq_records_total",
					   "expectation=\"amount_matches_"
					   "items\",result=\"passed\""),
			 1000);
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
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		mock_host_set(m, "expectations", cases[k].list);
		REQUIRE(mock_host_open(m) == SLUICE_FATAL, "case %zu", k);
		REQUIRE(!strcmp(mock_host_error(m), cases[k].err),
			"case %zu: got '%s'", k, mock_host_error(m));
	}
}
END_TEST

/* Two random edits of the seed event in v (n bytes): a byte deleted,
 * inserted or replaced, from an alphabet of JSON's own. */
static void mutate(char *v, size_t *n, uint64_t *x)
{
	static const char alphabet[] = "{}[]\",:\\ 0123456789.eE+-tfnulr\x80"
				       "\xc3\xff";

	*n = strlen(seed_line);
	memcpy(v, seed_line, *n + 1);
	for (int k = 0; k < 2; k++) {
		size_t at;
		char c;

		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		at = (size_t)(*x % *n);
		c = alphabet[(*x >> 40) % (sizeof alphabet - 1)];
		if (*x >> 62 == 0 && *n > 1) {
			memmove(v + at, v + at + 1, *n - at);
			(*n)--;
		} else if (*x >> 62 == 1) {
			memmove(v + at + 1, v + at, *n - at + 1);
			v[at] = c;
			(*n)++;
		} else {
			v[at] = c;
		}
	}
}

/* Mutated seed events: whatever bronze passes, json-c (strict) parses;
 * whatever json-c refuses, bronze quarantines. json-c is laxer in places
 * (raw control characters in strings, "1.", "01"), never stricter. */
START_TEST(test_agrees_with_jsonc)
{
	json_tokener *tok = json_tokener_new_ex(40);
	uint64_t x = 88172645463325252ULL;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	mock_host_set(m, "schema", "x: any?");
	mock_host_set(m, "extra.fields", "keep");
	open_ok();
	for (int it = 0; it < 10000; it++) {
		char v[sizeof seed_line + 8];
		size_t n;
		const struct mock_record *r;
		json_object *o;
		int theirs;

		mutate(v, &n, &x);
		r = run_len(v, n);
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, v, (int)n);
		theirs = o && json_tokener_get_parse_end(tok) == n;
		json_object_put(o);
		if (!strcmp(r->output, "out"))
			REQUIRE(theirs,
				"bronze passed what json-c refuses: %.*s",
				(int)n, v);
		else
			REQUIRE(!theirs || strstr(r->value, "character"),
				"bronze refused what json-c takes: %s",
				r->value);
		mock_host_clear_records(m);
	}
	json_tokener_free(tok);
}
END_TEST

/* With expectations, what the scan passes is parsed once more (jdoc):
 * that parse never refuses it, at the depth bound too (max.depth 3: the
 * seed's items are 3 deep). */
START_TEST(test_expectations_parse_what_scan_passes)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int out = 0;

	mock_host_set(m, "schema", "x: any?");
	mock_host_set(m, "extra.fields", "keep");
	mock_host_set(m, "max.depth", "3");
	mock_host_set(m, "expectations", "always expect (true)");
	open_ok();
	for (int it = 0; it < 10000; it++) {
		char v[sizeof seed_line + 8];
		size_t n;
		const struct mock_record *r;

		mutate(v, &n, &x);
		r = run_len(v, n);
		REQUIRE(!strstr(r->value, "could not parse"), "%s", r->value);
		out += !strcmp(r->output, "out");
		mock_host_clear_records(m);
	}
	ck_assert_int_gt(out, 1000);
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
		 "%s/plugins/transform-bronze/.libs/transform-bronze.so", top);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h, "%s", dlerror());
	ck_assert_ptr_nonnull(dlsym(h, SLUICE_PLUGIN_ENTRY));
	ck_assert_ptr_null(dlsym(h, "bronze_scan_run"));
	ck_assert_ptr_null(dlsym(h, "jbuf_str"));
	dlclose(h);
}
END_TEST

static Suite *bronze_suite(void)
{
	Suite *s = suite_create("transform-bronze");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_seed_event_passes_unchanged);
	tcase_add_test(tc, test_sample_events_pass);
	tcase_add_test(tc, test_wall_clock_ingest_ts);
	tcase_add_test(tc, test_not_json);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_utf8_and_schema_reasons);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_tombstone);
	tcase_add_test(tc, test_wrong_type_every_field);
	tcase_add_test(tc, test_missing_fields);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_duplicate_and_reserved_fields);
	tcase_add_test(tc, test_escaped_keys);
	tcase_add_test(tc, test_extra_fields);
	tcase_add_test(tc, test_schema_option);
	tcase_add_test(tc, test_schema_errors);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_many_reasons);
	tcase_add_test(tc, test_counters_and_emit_failure);
	tcase_add_test(tc, test_whitespace);
	tcase_add_test(tc, test_expectation_actions);
	tcase_add_test(tc, test_expectations_on_samples);
	tcase_add_test(tc, test_expectation_errors);
	tcase_add_test(tc, test_agrees_with_jsonc);
	tcase_add_test(tc, test_expectations_parse_what_scan_passes);
	tcase_add_test(tc, test_exports_only_entry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bronze_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
