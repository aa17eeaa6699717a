/*
 * test_faker.c - source-faker through its real descriptor and callbacks,
 * driven by the mock host. The checks are written from the seed's
 * definition of an event (PIPELINE.md, sample-events.jsonl), not from
 * the plugin's own tables, so that a wrong word list or format fails.
 *
 * FAKER_TEST_EVENTS sets the number of events of the long tests:
 * 100000 by default, 10000 under SLUICE_VALGRIND=1.
 */
#include <check.h>
#include <dlfcn.h>
#include <json-c/json.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "mock_host.h"
#include "sluice/plugin.h"
#include "users.h"
#include "words.h"

#define HEADER "sluice.faker.anomaly"
/* 2026-01-01T00:00:00Z, the default clock.start, and the default step. */
#define START_US 1767225600000000LL
#define STEP_US 500000LL

const struct sluice_plugin *sluice_plugin_entry(void);

/* For checks run once per event: Check's ck_assert reports every passing
 * call to the parent process (one write each), which would dominate. */
#define REQUIRE(cond, ...)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			ck_abort_msg(__VA_ARGS__);                             \
	} while (0)

/* ---- the seed's definitions ---- */

static const char *const seed_categories[6][14] = {
	{"food", "Pizza", "Burger", "Sushi", "Pasta", "Salad", "Sandwich",
	 "Taco", "Steak", "Soup", "Ice Cream", "Fries", "Hotdog"},
	{"electronics", "Laptop", "Smartphone", "Headphones", "Tablet",
	 "Smartwatch", "Camera", "Monitor", "Keyboard", "Mouse",
	 "Bluetooth Speaker"},
	{"travel", "Flight Ticket", "Hotel Booking", "Car Rental", "Train Pass",
	 "Travel Insurance", "Luggage Bag", "Travel Adapter", "Backpack",
	 "Tour Package", "Cruise Ticket"},
	{"fashion", "T-Shirt", "Jeans", "Sneakers", "Jacket", "Dress",
	 "Handbag", "Watch", "Sunglasses", "Hat", "Scarf", "Belt"},
	{"sports", "Football", "Basketball", "Tennis Racket", "Yoga Mat",
	 "Running Shoes", "Gym Bag", "Water Bottle", "Helmet", "Gloves",
	 "Golf Club"},
	{"home", "Blender", "Vacuum Cleaner", "Coffee Maker", "Toaster",
	 "Microwave", "Lamp", "Curtains", "Cushions", "Dining Table",
	 "Cookware Set"},
};

static const char *const top_keys[] = {
	"transaction_id", "user",     "amount", "currency",
	"timestamp",	  "category", "items",	NULL};
static const char *const user_keys[] = {
	"user_id",     "name",	     "email", "country",
	"city",	       "address",    "age",   "payment_method",
	"device_type", "ip_address", NULL};
static const char *const item_keys[] = {"item_id", "name", "price", "quantity",
					NULL};
static const char *const currencies[] = {"USD", "EUR", "GBP", "INR", NULL};
static const char *const payments[] = {"credit_card", "paypal", "apple_pay",
				       "google_pay", NULL};
static const char *const devices[] = {"mobile", "desktop", "tablet", NULL};

/* The first line of sample-events.jsonl, as Python's json.dumps wrote it. */
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

/* Event 0 of seed 42 on the default simulated clock. Pinned: a change
 * here changes every stream, and with it what stored positions mean. */
static const char golden_42_0[] =
	"{\"transaction_id\": \"b7514df6-8054-4be5-b1d2-093e5b059e88\", "
	"\"user\": {\"user_id\": 14, \"name\": \"Jessica Ross\", \"email\": "
	"\"jessica83@outlook.com\", \"country\": \"Japan\", \"city\": "
	"\"Tokyo\", \"address\": \"13035 Cole Club Suite 588\\nPort "
	"Pamelaville, VA 81055\", \"age\": 18, \"payment_method\": "
	"\"google_pay\", \"device_type\": \"desktop\", \"ip_address\": "
	"\"199.251.90.35\"}, \"amount\": 1691.2, \"currency\": \"INR\", "
	"\"timestamp\": \"2026-01-01T00:00:00.000000Z\", \"category\": "
	"\"fashion\", \"items\": [{\"item_id\": "
	"\"f3f7b73c-6a57-44c0-be07-ea5fdddd73c9\", \"name\": \"Sneakers\", "
	"\"price\": 275.23, \"quantity\": 5}, {\"item_id\": "
	"\"00d53f30-84c8-447e-9a54-a669430027fd\", \"name\": \"Hat\", "
	"\"price\": 315.05, \"quantity\": 1}]}";

static const char *const anomaly_names[] = {"malformed_json",
					    "missing_field",
					    "wrong_type",
					    "negative_amount",
					    "amount_mismatch",
					    "invalid_email",
					    "unknown_currency",
					    "duplicate",
					    "late",
					    NULL};
static const char *const anomaly_opts[] = {"anomaly.malformed",
					   "anomaly.missing.field",
					   "anomaly.wrong.type",
					   "anomaly.negative.amount",
					   "anomaly.amount.mismatch",
					   "anomaly.invalid.email",
					   "anomaly.unknown.currency",
					   "anomaly.duplicate",
					   "anomaly.late",
					   NULL};
#define N_ANOMALIES 9

static size_t n_events(void)
{
	const char *s = getenv("FAKER_TEST_EVENTS");
	const char *vg = getenv("SLUICE_VALGRIND");
	long n = s ? atol(s) : 0;

	if (n > 0)
		return (size_t)n;
	/* Valgrind runs some 50 times slower: a tenth keeps it in minutes
	 * and still shows leaks and bad accesses. */
	return vg && !strcmp(vg, "1") ? 10000 : 100000;
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static int list_index(const char *const *list, const char *s)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

/* ---- JSON helpers ---- */

/* The whole text must be one JSON value. */
static json_object *parse_strict(const char *s, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		REQUIRE(b->p, "out of memory");
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Serialises o as Python's json.dumps does by default (", " and ": "
 * separators, shortest float form with at least one decimal). Floats
 * are assumed to have at most two decimals, as money here does. */
static void py_dump(struct buf *b, json_object *o)
{
	char tmp[64];

	switch (json_object_get_type(o)) {
	case json_type_object: {
		int first = 1;

		buf_str(b, "{");
		json_object_object_foreach(o, k, v)
		{
			if (!first)
				buf_str(b, ", ");
			first = 0;
			buf_str(b, "\"");
			buf_str(b, k);
			buf_str(b, "\": ");
			py_dump(b, v);
		}
		buf_str(b, "}");
		break;
	}
	case json_type_array:
		buf_str(b, "[");
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			if (i)
				buf_str(b, ", ");
			py_dump(b, json_object_array_get_idx(o, i));
		}
		buf_str(b, "]");
		break;
	case json_type_string:
		buf_str(b, "\"");
		for (const char *s = json_object_get_string(o); *s; s++) {
			if (*s == '\n')
				buf_str(b, "\\n");
			else if (*s == '"' || *s == '\\')
				buf_add(b, "\\", 1), buf_add(b, s, 1);
			else
				buf_add(b, s, 1);
		}
		buf_str(b, "\"");
		break;
	case json_type_int:
		snprintf(tmp, sizeof tmp, "%lld",
			 (long long)json_object_get_int64(o));
		buf_str(b, tmp);
		break;
	case json_type_double: {
		size_t n = (size_t)snprintf(tmp, sizeof tmp, "%.2f",
					    json_object_get_double(o));

		if (tmp[n - 1] == '0')
			tmp[--n] = '\0';
		buf_str(b, tmp);
		break;
	}
	case json_type_boolean:
		buf_str(b, json_object_get_boolean(o) ? "true" : "false");
		break;
	case json_type_null:
		buf_str(b, "null");
		break;
	}
}

static char *py_string(json_object *o)
{
	struct buf b = {0};

	py_dump(&b, o);
	return b.p;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* Keys present exactly, in this order. */
static int keys_are(json_object *o, const char *const *keys)
{
	int i = 0;

	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, k, v)
	{
		(void)v;
		if (!keys[i] || strcmp(keys[i], k) != 0)
			return 0;
		i++;
	}
	return keys[i] == NULL;
}

static int is_uuid4(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-'
			 : !((s[i] >= '0' && s[i] <= '9') ||
			     (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static int is_ipv4(const char *s)
{
	int a, b, c, d, n = 0;

	if (sscanf(s, "%3d.%3d.%3d.%3d%n", &a, &b, &c, &d, &n) != 4 ||
	    s[n] != '\0')
		return 0;
	return a >= 0 && a < 256 && b >= 0 && b < 256 && c >= 0 && c < 256 &&
	       d >= 0 && d < 256;
}

/* "2026-01-01T00:00:00.000000Z" to epoch microseconds, or -1. */
static long long timestamp_us(const char *s)
{
	struct tm tm = {0}, back;
	int us, n = 0;
	time_t t;

	if (strlen(s) != 27 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ%n", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us,
		   &n) != 7 ||
	    n != 27)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	back = tm;
	t = timegm(&tm);
	/* timegm normalises impossible dates: a change means one. */
	if (tm.tm_mday != back.tm_mday || tm.tm_mon != back.tm_mon ||
	    tm.tm_hour != back.tm_hour || tm.tm_sec != back.tm_sec)
		return -1;
	return (long long)t * 1000000 + us;
}

static regex_t email_re;

static int email_ok(const char *s)
{
	return regexec(&email_re, s, 0, NULL, 0) == 0;
}

static long long cents(double v)
{
	return llround(v * 100);
}

static int two_decimals(double v)
{
	return fabs(v * 100 - (double)cents(v)) < 1e-6;
}

/* ---- the schema ---- */

struct schema_ctx {
	size_t users;
	char *user_text[64]; /* by id, for users <= 63 */
};

/* Everything the issue asks of a clean event; returns NULL or the first
 * problem. expect_us < 0 skips the timestamp's value. */
static const char *check_event(json_object *e, const char *raw, size_t len,
			       struct schema_ctx *ctx, long long expect_us)
{
	static char why[256];
	json_object *u, *items;
	const char *cat, *addr, *nl;
	int c;
	long long sum = 0;
	int64_t uid;
	char *py;

	if (!keys_are(e, top_keys))
		return "top-level keys differ from the seed's";
	py = py_string(e);
	c = strlen(py) == len && memcmp(py, raw, len) == 0;
	free(py);
	if (!c)
		return "bytes differ from Python's json.dumps style";
	if (!json_object_is_type(get(e, "transaction_id"), json_type_string) ||
	    !is_uuid4(json_object_get_string(get(e, "transaction_id"))))
		return "transaction_id is not a UUIDv4";

	u = get(e, "user");
	if (!keys_are(u, user_keys))
		return "user keys differ from the seed's";
	if (!json_object_is_type(get(u, "user_id"), json_type_int))
		return "user_id is not an integer";
	uid = json_object_get_int64(get(u, "user_id"));
	if (uid < 1 || (size_t)uid > ctx->users)
		return "user_id out of the pool";
	for (int i = 1; user_keys[i]; i++)
		if (strcmp(user_keys[i], "age") != 0 &&
		    (!json_object_is_type(get(u, user_keys[i]),
					  json_type_string) ||
		     json_object_get_string_len(get(u, user_keys[i])) == 0))
			return "a user field is not a non-empty string";
	if (!strchr(json_object_get_string(get(u, "name")), ' ') ||
	    strncmp(json_object_get_string(get(u, "name")), "user", 4) == 0)
		return "name is not a first and last name";
	if (!email_ok(json_object_get_string(get(u, "email"))))
		return "email fails the seed's regex";
	addr = json_object_get_string(get(u, "address"));
	nl = strchr(addr, '\n');
	if (!nl || strchr(nl + 1, '\n') || strlen(nl + 1) < 11 ||
	    !strstr(nl + 1, ", "))
		return "address is not two lines";
	if (!json_object_is_type(get(u, "age"), json_type_int) ||
	    json_object_get_int(get(u, "age")) < 18 ||
	    json_object_get_int(get(u, "age")) > 65)
		return "age not an integer in 18..65";
	if (!in_list(payments,
		     json_object_get_string(get(u, "payment_method"))))
		return "unknown payment_method";
	if (!in_list(devices, json_object_get_string(get(u, "device_type"))))
		return "unknown device_type";
	if (!is_ipv4(json_object_get_string(get(u, "ip_address"))))
		return "ip_address is not IPv4";
	if ((size_t)uid < 64) {
		char *t = py_string(u);

		if (!ctx->user_text[uid]) {
			ctx->user_text[uid] = t;
		} else {
			c = strcmp(ctx->user_text[uid], t);
			free(t);
			if (c)
				return "a user id changed its profile";
		}
	}

	if (!json_object_is_type(get(e, "currency"), json_type_string) ||
	    !in_list(currencies, json_object_get_string(get(e, "currency"))))
		return "unknown currency";
	if (!json_object_is_type(get(e, "timestamp"), json_type_string) ||
	    timestamp_us(json_object_get_string(get(e, "timestamp"))) < 0)
		return "timestamp does not parse";
	if (expect_us >= 0 && timestamp_us(json_object_get_string(
				      get(e, "timestamp"))) != expect_us)
		return "timestamp is not the simulated clock's";
	if (!json_object_is_type(get(e, "category"), json_type_string))
		return "category is not a string";
	cat = json_object_get_string(get(e, "category"));
	for (c = 0; c < 6 && strcmp(seed_categories[c][0], cat); c++)
		;
	if (c == 6)
		return "unknown category";

	items = get(e, "items");
	if (!json_object_is_type(items, json_type_array) ||
	    json_object_array_length(items) < 1 ||
	    json_object_array_length(items) > 3)
		return "items is not an array of 1..3";
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *it = json_object_array_get_idx(items, i);
		json_object *price = get(it, "price"), *q = get(it, "quantity");
		const char *name;

		if (!keys_are(it, item_keys))
			return "item keys differ from the seed's";
		if (!is_uuid4(json_object_get_string(get(it, "item_id"))))
			return "item_id is not a UUIDv4";
		name = json_object_get_string(get(it, "name"));
		if (!in_list(&seed_categories[c][1], name))
			return "item name not in the category's list";
		for (size_t j = 0; j < i; j++)
			if (!strcmp(name,
				    json_object_get_string(get(
					    json_object_array_get_idx(items, j),
					    "name"))))
				return "item names repeat";
		if (!json_object_is_type(price, json_type_double) ||
		    !two_decimals(json_object_get_double(price)) ||
		    cents(json_object_get_double(price)) < 1000 ||
		    cents(json_object_get_double(price)) > 50000)
			return "price is not 10.00..500.00 in cents";
		if (!json_object_is_type(q, json_type_int) ||
		    json_object_get_int(q) < 1 || json_object_get_int(q) > 5)
			return "quantity not an integer in 1..5";
		sum += cents(json_object_get_double(price)) *
		       json_object_get_int(q);
	}
	if (!json_object_is_type(get(e, "amount"), json_type_double) ||
	    !two_decimals(json_object_get_double(get(e, "amount"))))
		return "amount is not money";
	if (cents(json_object_get_double(get(e, "amount"))) != sum) {
		snprintf(why, sizeof why, "amount %.2f is not the items' %lld",
			 json_object_get_double(get(e, "amount")), sum);
		return why;
	}
	return NULL;
}

static void schema_free(struct schema_ctx *ctx)
{
	for (int i = 0; i < 64; i++)
		free(ctx->user_text[i]);
}

/* ---- driving the plugin ---- */

static struct mock_host *faker_host(void)
{
	struct mock_host *m = mock_host_new(sluice_plugin_entry());

	mock_host_set(m, "rate", "0");
	mock_host_set(m, "clock", "simulated");
	return m;
}

static void set_all_anomalies(struct mock_host *m, const char *rate)
{
	for (int i = 0; anomaly_opts[i]; i++)
		mock_host_set(m, anomaly_opts[i], rate);
}

typedef void each_fn(const struct mock_record *r, size_t i, void *ctx);

/* Polls until n records (or DONE), hands each to fn, returns how many. */
static size_t drain(struct mock_host *m, size_t n, each_fn *fn, void *ctx)
{
	size_t got = 0;

	while (got < n) {
		size_t want = n - got < 1000 ? n - got : 1000;
		enum sluice_status st = mock_host_poll(m, want);

		ck_assert_msg(st == SLUICE_OK || st == SLUICE_DONE,
			      "poll: %d %s", st, mock_host_error(m));
		for (size_t i = 0; i < mock_host_record_count(m); i++)
			fn(mock_host_record(m, i), got + i, ctx);
		got += mock_host_record_count(m);
		mock_host_clear_records(m);
		if (st == SLUICE_DONE)
			break;
	}
	return got;
}

/* One record as text: key, header, position and value. */
static char *record_text(const struct mock_record *r)
{
	const char *a = mock_record_header(r, HEADER);
	struct buf b = {0};

	buf_add(&b, r->key ? r->key : "-", r->key ? r->key_len : 1);
	buf_str(&b, "|");
	buf_str(&b, a ? a : "-");
	buf_str(&b, "|");
	buf_str(&b, r->source_partition ? r->source_partition : "?");
	buf_str(&b, "|");
	buf_str(&b, r->position ? r->position : "?");
	buf_str(&b, "|");
	buf_add(&b, r->value, r->value_len);
	return b.p;
}

static void keep_text(const struct mock_record *r, size_t i, void *ctx)
{
	((char **)ctx)[i] = record_text(r);
}

/* The first n records of a host opened with its options, as text. */
static char **collect(struct mock_host *m, size_t n)
{
	char **v = calloc(n, sizeof *v);

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	ck_assert_uint_eq(drain(m, n, keep_text, v), n);
	ck_assert_int_eq(mock_host_misuse(m), 0);
	return v;
}

static void free_texts(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The value part of a record_text. */
static const char *value_of(const char *text)
{
	for (int bars = 0; bars < 4; bars++)
		text = strchr(text, '|') + 1;
	return text;
}

/* ---- tests ---- */

START_TEST(test_descriptor)
{
	const struct sluice_plugin *p = sluice_plugin_entry();
	struct mock_host *m = mock_host_new(p);

	ck_assert_uint_eq(p->abi_major, SLUICE_ABI_MAJOR);
	ck_assert_uint_eq(p->struct_size, sizeof(struct sluice_plugin));
	ck_assert_str_eq(p->name, "source-faker");
	ck_assert_int_eq(p->kind, SLUICE_KIND_SOURCE);
	ck_assert_ptr_nonnull(p->open);
	ck_assert_ptr_nonnull(p->poll);
	ck_assert_ptr_null(p->put);
	ck_assert_ptr_null(p->process);
	for (const struct sluice_option *o = p->options; o->name; o++)
		ck_assert_msg(o->doc && *o->doc, "%s has no doc", o->name);
	/* The defaults pass the table's own bounds. */
	ck_assert_msg(mock_host_validate(m) == 0, "%s", mock_host_error(m));
	mock_host_free(m);
}
END_TEST

START_TEST(test_python_style_serialiser)
{
	/* The test's serialiser reproduces the seed's own bytes, so the
	 * byte comparisons below really compare with Python's style. */
	json_object *o = parse_strict(seed_line, strlen(seed_line));
	char *s;

	ck_assert_ptr_nonnull(o);
	s = py_string(o);
	ck_assert_str_eq(s, seed_line);
	free(s);
	json_object_put(o);
}
END_TEST

START_TEST(test_golden_first_event)
{
	struct mock_host *m = faker_host();
	char **v = collect(m, 1);

	ck_assert_str_eq(value_of(v[0]), golden_42_0);
	free_texts(v, 1);
	mock_host_free(m);
}
END_TEST

struct conform {
	struct schema_ctx schema;
	char (*txids)[37];
	size_t users_seen;
	int seen[64];
};

static void conform_one(const struct mock_record *r, size_t i, void *vctx)
{
	struct conform *c = vctx;
	json_object *e = parse_strict(r->value, r->value_len);
	const char *why;
	int64_t uid;

	REQUIRE(e, "event %zu is not JSON: %s", i, r->value);
	REQUIRE(!mock_record_header(r, HEADER), "event %zu has a header", i);
	why = check_event(e, r->value, r->value_len, &c->schema,
			  START_US + (long long)i * STEP_US);
	REQUIRE(!why, "event %zu: %s\n%s", i, why, r->value);
	REQUIRE(r->key_len == 36 &&
			memcmp(r->key,
			       json_object_get_string(get(e, "transaction_id")),
			       36) == 0,
		"event %zu: the key is not its transaction_id", i);
	memcpy(c->txids[i], r->key, 36);
	c->txids[i][36] = '\0';
	uid = json_object_get_int64(get(get(e, "user"), "user_id"));
	if (!c->seen[uid]++)
		c->users_seen++;
	json_object_put(e);
}

static int cmp_txid(const void *a, const void *b)
{
	return strcmp(a, b);
}

START_TEST(test_schema_conformance)
{
	size_t n = n_events();
	struct mock_host *m = faker_host();
	struct conform c = {.schema.users = 50};

	c.txids = calloc(n, sizeof *c.txids);
	ck_assert_ptr_nonnull(c.txids);
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	ck_assert_uint_eq(drain(m, n, conform_one, &c), n);
	ck_assert_int_eq(mock_host_misuse(m), 0);
	/* All 50 users are drawn, and their names are not all alike. */
	ck_assert_uint_eq(c.users_seen, n >= 1000 ? 50 : c.users_seen);
	qsort(c.txids, n, sizeof *c.txids, cmp_txid);
	for (size_t i = 1; i < n; i++)
		ck_assert_str_ne(c.txids[i - 1], c.txids[i]);
	free(c.txids);
	schema_free(&c.schema);
	mock_host_free(m);
}
END_TEST

START_TEST(test_user_pool_stable)
{
	/* The same id has the same profile in every event (checked by
	 * check_event), in every task of a connector, and with or without the
	 * cache of written profiles. */
	struct faker_users cached, direct;
	char a[FAKER_USER_MAX], b[FAKER_USER_MAX];
	size_t names = 0;

	ck_assert_int_eq(faker_users_init(&cached, 99, 50), 0);
	ck_assert_int_eq(faker_users_init(&direct, 99, 50), 0);
	faker_users_free(&direct); /* no cache: written each time */
	for (uint32_t id = 1; id <= 50; id++) {
		char *ea = faker_users_put(&cached, a, id, 0);
		char *eb = faker_users_put(&direct, b, id, 0);

		ck_assert_uint_eq(ea - a, eb - b);
		ck_assert(memcmp(a, b, (size_t)(ea - a)) == 0);
		*ea = '\0';
		json_object *u = parse_strict(a, (size_t)(ea - a));
		ck_assert_ptr_nonnull(u);
		ck_assert_int_eq(json_object_get_int(get(u, "user_id")),
				 (int)id);
		/* "Allison Hill", not "user1". */
		const char *name = json_object_get_string(get(u, "name"));
		ck_assert_msg(strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "abcdefghijklmnopqrstuvwxyz ") ==
				      strlen(name),
			      "%s", name);
		names += strncmp(name, "user", 4) != 0;
		json_object_put(u);
	}
	ck_assert_uint_eq(names, 50);
	faker_users_free(&cached);

	/* Task 1 of a two-task connector draws from the same pool. */
	struct mock_host *m0 = faker_host(), *m1 = faker_host();
	struct conform c = {.schema.users = 50};

	mock_host_set_task(m0, 0, 2);
	mock_host_set_task(m1, 1, 2);
	ck_assert_int_eq(mock_host_open(m0), SLUICE_OK);
	ck_assert_int_eq(mock_host_open(m1), SLUICE_OK);
	for (int t = 0; t < 2; t++) {
		json_object *e;
		struct mock_host *m = t ? m1 : m0;

		ck_assert_int_eq(mock_host_poll(m, 1000), SLUICE_OK);
		for (size_t i = 0; i < mock_host_record_count(m); i++) {
			const struct mock_record *r = mock_host_record(m, i);

			e = parse_strict(r->value, r->value_len);
			ck_assert_ptr_nonnull(e);
			const char *why = check_event(e, r->value, r->value_len,
						      &c.schema, -1);
			ck_assert_msg(!why, "task %d: %s", t, why);
			json_object_put(e);
		}
	}
	schema_free(&c.schema);
	mock_host_free(m0);
	mock_host_free(m1);
}
END_TEST

START_TEST(test_determinism)
{
	const size_t n = 3000;
	struct mock_host *a = faker_host(), *b = faker_host(),
			 *c = faker_host();
	char **va, **vb, **vc;
	size_t same = 0;

	mock_host_set(a, "seed", "7");
	mock_host_set(b, "seed", "7");
	mock_host_set(c, "seed", "8");
	set_all_anomalies(a, "0.03");
	set_all_anomalies(b, "0.03");
	set_all_anomalies(c, "0.03");
	mock_host_set(a, "clock.jitter", "true");
	mock_host_set(b, "clock.jitter", "true");
	mock_host_set(c, "clock.jitter", "true");
	va = collect(a, n);
	vb = collect(b, n);
	vc = collect(c, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(va[i], vb[i]);
		same += strcmp(value_of(va[i]), value_of(vc[i])) == 0;
	}
	ck_assert_uint_eq(same, 0);
	free_texts(va, n);
	free_texts(vb, n);
	free_texts(vc, n);
	mock_host_free(a);
	mock_host_free(b);
	mock_host_free(c);
}
END_TEST

START_TEST(test_resume_at_position)
{
	const size_t n = 3000, at = 1234;
	struct mock_host *a = faker_host(), *b = faker_host();
	char **whole, **rest;

	/* Duplicates and late events too: the resumed stream must repeat
	 * and shift exactly the events the uninterrupted one did. */
	set_all_anomalies(a, "0.05");
	set_all_anomalies(b, "0.05");
	mock_host_set(a, "clock.jitter", "true");
	mock_host_set(b, "clock.jitter", "true");
	whole = collect(a, n);
	mock_host_set_position(b, "task-0", "1234");
	rest = collect(b, n - at);
	for (size_t i = 0; i < n - at; i++)
		ck_assert_str_eq(rest[i], whole[at + i]);
	/* Positions name the next event. */
	ck_assert_ptr_nonnull(strstr(whole[0], "|task-0|1|"));
	ck_assert_ptr_nonnull(strstr(rest[0], "|task-0|1235|"));
	free_texts(whole, n);
	free_texts(rest, n - at);
	mock_host_free(a);
	mock_host_free(b);
}
END_TEST

START_TEST(test_bad_position)
{
	struct mock_host *m = faker_host();

	mock_host_set_position(m, "task-0", "twelve");
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	ck_assert_ptr_nonnull(strstr(mock_host_error(m), "'twelve'"));
	mock_host_free(m);
}
END_TEST

static void check_task_time(const struct mock_record *r, size_t i, void *ctx)
{
	int task = *(int *)ctx;
	json_object *e = parse_strict(r->value, r->value_len);
	long long want = START_US + (long long)(2 * i + (size_t)task) * STEP_US;
	char part[16];

	REQUIRE(e, "task %d event %zu is not JSON", task, i);
	snprintf(part, sizeof part, "task-%d", task);
	REQUIRE(!strcmp(r->source_partition, part),
		"task %d: source partition %s", task, r->source_partition);
	/* Two tasks share one time line: task t's event n is slot 2n+t. */
	REQUIRE(timestamp_us(json_object_get_string(get(e, "timestamp"))) ==
			want,
		"task %d event %zu: timestamp %s", task, i,
		json_object_get_string(get(e, "timestamp")));
	json_object_put(e);
}

START_TEST(test_tasks_substreams)
{
	const size_t n = 2000;
	struct mock_host *t0 = faker_host(), *t1 = faker_host();
	char **v0, **v1;
	int id0 = 0, id1 = 1;

	mock_host_set_task(t0, 0, 2);
	mock_host_set_task(t1, 1, 2);
	v0 = collect(t0, n);
	v1 = collect(t1, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_ne(value_of(v0[i]), value_of(v1[i]));
	/* Each task resumes from its own position. */
	mock_host_set_position(t1, "task-1", "10");
	mock_host_set_position(t1, "task-0", "500");
	ck_assert_int_eq(mock_host_open(t1), SLUICE_OK);
	ck_assert_int_eq(mock_host_poll(t1, 1), SLUICE_OK);
	ck_assert_str_eq(mock_host_record(t1, 0)->value, value_of(v1[10]));
	mock_host_clear_records(t1);
	mock_host_close(t1);
	mock_host_set_position(t1, "task-1", "0");
	ck_assert_int_eq(mock_host_open(t0), SLUICE_OK);
	drain(t0, 100, check_task_time, &id0);
	ck_assert_int_eq(mock_host_open(t1), SLUICE_OK);
	drain(t1, 100, check_task_time, &id1);
	free_texts(v0, n);
	free_texts(v1, n);
	mock_host_free(t0);
	mock_host_free(t1);
}
END_TEST

struct anomaly_ctx {
	struct schema_ctx schema;
	size_t count[N_ANOMALIES + 1]; /* [N_ANOMALIES]: clean */
	char *recent[1000];
	long long late_max_us;
};

/* Checks that a record labelled `a` shows that anomaly, and nothing else
 * is wrong with it. */
static void check_anomaly(const struct mock_record *r, size_t i,
			  struct anomaly_ctx *c, int a)
{
	const char *name = anomaly_names[a];
	json_object *e = parse_strict(r->value, r->value_len);
	long long expect = START_US + (long long)i * STEP_US;
	const char *why;

	if (!strcmp(name, "duplicate")) {
		int found = 0;

		for (int k = 0; k < 1000 && !found; k++)
			found = c->recent[k] &&
				strcmp(c->recent[k], r->value) == 0;
		REQUIRE(found, "event %zu: a duplicate of nothing", i);
		json_object_put(e);
		return;
	}
	if (!strcmp(name, "malformed_json")) {
		REQUIRE(!e, "event %zu: malformed, yet it parses", i);
		return;
	}
	REQUIRE(e, "event %zu (%s) is not JSON", i, name);
	if (!strcmp(name, "missing_field")) {
		int n = 0;

		json_object_object_foreach(e, k, v)
		{
			(void)v;
			n += in_list(top_keys, k);
		}
		REQUIRE(n == 6 && json_object_object_length(e) == 6,
			"event %zu: not one field missing", i);
	} else if (!strcmp(name, "wrong_type")) {
		json_object *it0 =
			json_object_array_get_idx(get(e, "items"), 0);
		int wrong = json_object_is_type(get(e, "amount"),
						json_type_string) +
			    json_object_is_type(get(e, "timestamp"),
						json_type_int) +
			    json_object_is_type(get(it0, "price"),
						json_type_string) +
			    json_object_is_type(get(it0, "quantity"),
						json_type_string);

		REQUIRE(wrong == 1, "event %zu: %d fields of a wrong type", i,
			wrong);
	} else if (!strcmp(name, "negative_amount") ||
		   !strcmp(name, "amount_mismatch")) {
		json_object *items = get(e, "items");
		long long amount =
			cents(json_object_get_double(get(e, "amount")));
		long long sum = 0;

		for (size_t k = 0; k < json_object_array_length(items); k++) {
			json_object *it = json_object_array_get_idx(items, k);

			sum += cents(json_object_get_double(get(it, "price"))) *
			       json_object_get_int(get(it, "quantity"));
		}
		if (name[0] == 'n')
			REQUIRE(amount == -sum, "event %zu: amount %lld", i,
				amount);
		else
			REQUIRE(amount > 0 && amount != sum,
				"event %zu: amount %lld, items %lld", i, amount,
				sum);
	} else if (!strcmp(name, "invalid_email")) {
		const char *email =
			json_object_get_string(get(get(e, "user"), "email"));

		REQUIRE(!email_ok(email), "event %zu: %s is valid", i, email);
	} else if (!strcmp(name, "unknown_currency")) {
		const char *cur = json_object_get_string(get(e, "currency"));

		REQUIRE(!in_list(currencies, cur), "event %zu: %s is known", i,
			cur);
	} else if (!strcmp(name, "late")) {
		long long ts = timestamp_us(
			json_object_get_string(get(e, "timestamp")));

		REQUIRE(ts < expect && ts >= expect - c->late_max_us,
			"event %zu: late by %lld us", i, expect - ts);
		why = check_event(e, r->value, r->value_len, &c->schema, -1);
		REQUIRE(!why, "late event %zu: %s", i, why);
	}
	json_object_put(e);
}

static void anomaly_one(const struct mock_record *r, size_t i, void *vctx)
{
	struct anomaly_ctx *c = vctx;
	const char *h = mock_record_header(r, HEADER);
	int a = h ? list_index(anomaly_names, h) : N_ANOMALIES;

	REQUIRE(a >= 0, "unknown anomaly header '%s'", h);
	c->count[a]++;
	if (a == N_ANOMALIES) {
		json_object *e = parse_strict(r->value, r->value_len);
		const char *why;

		REQUIRE(e, "event %zu without a header is not JSON", i);
		why = check_event(e, r->value, r->value_len, &c->schema,
				  START_US + (long long)i * STEP_US);
		REQUIRE(!why, "event %zu without a header: %s\n%s", i, why,
			r->value);
		json_object_put(e);
	} else {
		check_anomaly(r, i, c, a);
	}
	free(c->recent[i % 1000]);
	c->recent[i % 1000] = strdup(r->value);
}

START_TEST(test_anomaly_rates)
{
	/* Each anomaly at rate p over n events: the count is binomial,
	 * sd = sqrt(n p (1 - p)); every count must be within 5 sd of n p
	 * (a false alarm about once in 1.7 million runs per count; the
	 * seed is fixed, so the run is reproducible anyway). */
	const double p = 0.04;
	size_t n = n_events();
	double sd = sqrt((double)n * p * (1 - p));
	struct mock_host *m = faker_host();
	struct anomaly_ctx c = {.schema.users = 50,
				.late_max_us = 600LL * 1000000};

	set_all_anomalies(m, "0.04");
	mock_host_set(m, "anomaly.late.max", "10m");
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	ck_assert_uint_eq(drain(m, n, anomaly_one, &c), n);
	for (int a = 0; a < N_ANOMALIES; a++)
		ck_assert_msg(fabs((double)c.count[a] - (double)n * p) <=
				      5 * sd,
			      "%s: %zu of %zu events, expected %.0f +- %.0f",
			      anomaly_names[a], c.count[a], n, n * p, 5 * sd);
	for (int k = 0; k < 1000; k++)
		free(c.recent[k]);
	schema_free(&c.schema);
	mock_host_free(m);
}
END_TEST

START_TEST(test_keys)
{
	struct mock_host *m = faker_host();
	const struct mock_record *r;
	json_object *e;
	char id[16];

	mock_host_set(m, "key", "user_id");
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	ck_assert_int_eq(mock_host_poll(m, 5), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 5);
	for (size_t i = 0; i < 5; i++) {
		r = mock_host_record(m, i);
		e = parse_strict(r->value, r->value_len);
		snprintf(id, sizeof id, "%d",
			 json_object_get_int(get(get(e, "user"), "user_id")));
		ck_assert_str_eq(r->key, id);
		ck_assert_int_eq(r->partition, -1);
		json_object_put(e);
	}
	mock_host_clear_records(m);
	mock_host_set(m, "key", "none");
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	ck_assert_int_eq(mock_host_poll(m, 5), SLUICE_OK);
	ck_assert_ptr_null(mock_host_record(m, 0)->key);
	mock_host_free(m);
}
END_TEST

START_TEST(test_max_events_split)
{
	/* 10 events over 3 tasks: 4, 3 and 3. */
	size_t want[3] = {4, 3, 3};

	for (int t = 0; t < 3; t++) {
		struct mock_host *m = faker_host();

		mock_host_set(m, "max.events", "10");
		mock_host_set_task(m, t, 3);
		ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
		/* The last events come with DONE, in the same poll. */
		ck_assert_int_eq(mock_host_poll(m, 100), SLUICE_DONE);
		ck_assert_uint_eq(mock_host_record_count(m), want[t]);
		ck_assert_int_eq(mock_host_poll(m, 100), SLUICE_DONE);
		ck_assert_uint_eq(mock_host_record_count(m), want[t]);
		/* Restarted after its last event: nothing more to do. */
		mock_host_set_position(
			m, mock_host_record(m, want[t] - 1)->source_partition,
			mock_host_record(m, want[t] - 1)->position);
		mock_host_clear_records(m);
		ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
		ck_assert_int_eq(mock_host_poll(m, 100), SLUICE_DONE);
		ck_assert_uint_eq(mock_host_record_count(m), 0);
		mock_host_free(m);
	}
}
END_TEST

START_TEST(test_rate_limit)
{
	struct mock_host *m = faker_host();
	struct timespec t0, t1;
	size_t got = 0;
	double s;

	mock_host_set(m, "rate", "200");
	mock_host_set(m, "clock", "wall");
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < 51) {
		ck_assert_int_eq(mock_host_poll(m, 1000), SLUICE_OK);
		got += mock_host_record_count(m);
		mock_host_clear_records(m);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* One event at once, then 50 more at 200/s: 0.25 s. */
	ck_assert_msg(s >= 0.2 && s < 3.0, "51 events at 200/s took %.3f s", s);
	ck_assert_uint_le(got, 53);
	mock_host_free(m);
}
END_TEST

static void wall_one(const struct mock_record *r, size_t i, void *ctx)
{
	long long *bounds = ctx;
	json_object *e = parse_strict(r->value, r->value_len);
	long long ts;

	REQUIRE(e, "event %zu is not JSON", i);
	ts = timestamp_us(json_object_get_string(get(e, "timestamp")));
	REQUIRE(ts >= bounds[0] && ts <= bounds[1], "event %zu: %s is not now",
		i, json_object_get_string(get(e, "timestamp")));
	json_object_put(e);
}

START_TEST(test_wall_clock)
{
	struct mock_host *m = mock_host_new(sluice_plugin_entry());
	long long bounds[2];
	struct timespec ts;

	mock_host_set(m, "rate", "0");
	mock_host_set(m, "anomaly.duplicate", "0.2");
	clock_gettime(CLOCK_REALTIME, &ts);
	bounds[0] = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	bounds[1] = bounds[0] + 600LL * 1000000;
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	ck_assert_uint_eq(drain(m, 2000, wall_one, bounds), 2000);
	mock_host_free(m);
}
END_TEST

START_TEST(test_emit_failure_redoes_event)
{
	struct mock_host *m = faker_host();
	char **whole;

	whole = collect(m, 5);
	mock_host_clear_records(m);
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	/* The third emit fails: the poll fails with the host's reason,
	 * and the host drops the two records staged before it. */
	mock_host_fail_emits_after(m, 2);
	ck_assert_int_eq(mock_host_poll(m, 5), SLUICE_FATAL);
	ck_assert_ptr_nonnull(strstr(mock_host_error(m), "unknown output"));
	ck_assert_uint_eq(mock_host_record_count(m), 0);
	/* Polled again, it starts over from the same event. */
	mock_host_fail_emits_after(m, -1);
	ck_assert_int_eq(mock_host_poll(m, 5), SLUICE_OK);
	ck_assert_uint_eq(mock_host_record_count(m), 5);
	for (size_t i = 0; i < 5; i++) {
		char *t = record_text(mock_host_record(m, i));

		ck_assert_str_eq(t, whole[i]);
		free(t);
	}
	free_texts(whole, 5);
	mock_host_free(m);
}
END_TEST

/* A bad value the option table refuses before any plugin code runs. */
static void refused_by_table(const char *name, const char *value,
			     const char *says)
{
	struct mock_host *m = faker_host();

	mock_host_set(m, name, value);
	ck_assert_int_eq(mock_host_validate(m), -1);
	ck_assert_msg(strstr(mock_host_error(m), name) &&
			      strstr(mock_host_error(m), says),
		      "%s=%s: '%s'", name, value, mock_host_error(m));
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	mock_host_free(m);
}

/* A bad value only open can see, refused with a clear message. */
static void refused_by_open(const char *name, const char *value,
			    const char *says)
{
	struct mock_host *m = faker_host();

	mock_host_set(m, name, value);
	ck_assert_int_eq(mock_host_validate(m), 0);
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	ck_assert_msg(strstr(mock_host_error(m), says), "%s=%s: '%s'", name,
		      value, mock_host_error(m));
	mock_host_free(m);
}

START_TEST(test_bad_options)
{
	struct mock_host *m;

	refused_by_table("rate", "-1", "below the minimum 0");
	refused_by_table("users", "0", "below the minimum 1");
	refused_by_table("users", "lots", "expected an integer");
	refused_by_table("categories", "food, toys", "'toys' is not one of");
	refused_by_table("clock", "sundial", "is not one of");
	refused_by_table("key", "email", "is not one of");
	refused_by_table("max.events", "-5", "below the minimum 0");
	refused_by_table("anomaly.late.max", "0ms", "below the minimum");
	for (int i = 0; anomaly_opts[i]; i++) {
		refused_by_table(anomaly_opts[i], "1.5", "above the maximum 1");
		refused_by_table(anomaly_opts[i], "-0.1",
				 "below the minimum 0");
	}
	refused_by_open("currencies", "USD, usd", "'usd' is not a currency");
	refused_by_open("currencies", "EURO", "'EURO' is not a currency");
	refused_by_open("clock.start", "2026-02-30T00:00:00Z", "clock.start");
	refused_by_open("clock.start", "2026-01-01 00:00:00Z", "clock.start");

	/* An event carries one anomaly: the rates may not add up past 1. */
	m = faker_host();
	mock_host_set(m, "anomaly.late", "0.6");
	mock_host_set(m, "anomaly.duplicate", "0.6");
	ck_assert_int_eq(mock_host_open(m), SLUICE_FATAL);
	ck_assert_ptr_nonnull(strstr(mock_host_error(m), "add up to 1.2"));
	mock_host_free(m);
}
END_TEST

START_TEST(test_options_honoured)
{
	struct mock_host *m = faker_host();
	const struct mock_record *r;
	json_object *e;

	mock_host_set(m, "categories", "travel");
	mock_host_set(m, "currencies", "CHF, JPY");
	mock_host_set(m, "users", "3");
	mock_host_set(m, "clock.start", "2030-06-15T12:00:00.25Z");
	mock_host_set(m, "clock.step", "2s");
	ck_assert_int_eq(mock_host_open(m), SLUICE_OK);
	ck_assert_int_eq(mock_host_poll(m, 200), SLUICE_OK);
	for (size_t i = 0; i < mock_host_record_count(m); i++) {
		r = mock_host_record(m, i);
		e = parse_strict(r->value, r->value_len);
		ck_assert_str_eq(json_object_get_string(get(e, "category")),
				 "travel");
		ck_assert(in_list((const char *const[]){"CHF", "JPY", NULL},
				  json_object_get_string(get(e, "currency"))));
		ck_assert_int_le(
			json_object_get_int(get(get(e, "user"), "user_id")), 3);
		ck_assert_int_eq(timestamp_us(json_object_get_string(
					 get(e, "timestamp"))),
				 1907755200250000LL + (long long)i * 2000000);
		json_object_put(e);
	}
	mock_host_free(m);
}
END_TEST

START_TEST(test_large_pool)
{
	/* Past the cache: profiles are written per event, same bytes. */
	struct faker_users big, small;
	char a[FAKER_USER_MAX], b[FAKER_USER_MAX];

	ck_assert_int_eq(faker_users_init(&big, 5, FAKER_USERS_CACHE_MAX + 1),
			 0);
	ck_assert_ptr_null(big.text);
	ck_assert_int_eq(faker_users_init(&small, 5, 100), 0);
	for (uint32_t id = 1; id <= 100; id++) {
		char *ea = faker_users_put(&big, a, id, 0);
		char *eb = faker_users_put(&small, b, id, 0);

		ck_assert(ea - a == eb - b &&
			  memcmp(a, b, (size_t)(ea - a)) == 0);
	}
	faker_users_free(&big);
	faker_users_free(&small);
}
END_TEST

START_TEST(test_clock_format)
{
	/* Against the C library over 1970..2200, leap days included. */
	char out[32];
	int64_t us = 0;

	for (long long t = 0; t < 7258118400LL; t += 86400LL * 37 + 3671) {
		struct tm tm;
		time_t tt = (time_t)t;
		char want[40];

		gmtime_r(&tt, &tm);
		snprintf(want, sizeof want,
			 "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(t % 999983));
		*faker_time_write(out, t * 1000000 + t % 999983) = '\0';
		ck_assert_str_eq(out, want);
		ck_assert_int_eq(faker_time_parse(want, &us), 0);
		ck_assert_int_eq(us, t * 1000000 + t % 999983);
	}
	ck_assert_int_eq(faker_time_parse("2024-02-29T00:00:00Z", &us), 0);
	ck_assert_int_eq(faker_time_parse("2023-02-29T00:00:00Z", &us), -1);
	ck_assert_int_eq(faker_time_parse("2026-01-01T00:00:00.5Z", &us), 0);
	ck_assert_int_eq(us, 1767225600500000LL);
	ck_assert_int_eq(faker_time_parse("2026-01-01T00:00:00.Z", &us), -1);
	ck_assert_int_eq(faker_time_parse("2026-01-01T24:00:00Z", &us), -1);
	ck_assert_int_eq(faker_time_parse("1969-12-31T23:59:59Z", &us), -1);
}
END_TEST

static void check_list(const struct faker_list *l, size_t min, int letters)
{
	ck_assert_uint_ge(l->n, min);
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->v[i].s;

		ck_assert_uint_eq(strlen(s), l->v[i].len);
		ck_assert_uint_le(l->v[i].len, 24);
		for (; *s; s++) {
			ck_assert(*s >= ' ' && *s < 127 && *s != '"' &&
				  *s != '\\');
			if (letters)
				ck_assert((*s | 0x20) >= 'a' &&
					  (*s | 0x20) <= 'z');
		}
	}
}

START_TEST(test_word_lists)
{
	/* Sized like a faker library's, safe to copy into JSON as is, and
	 * short enough for FAKER_USER_MAX. */
	check_list(&faker_first_names, 150, 1);
	check_list(&faker_last_names, 250, 1);
	check_list(&faker_street_suffixes, 100, 1);
	check_list(&faker_states, 50, 1);
	ck_assert_uint_ge(faker_place_count, 200);
	for (size_t i = 0; i < faker_place_count; i++) {
		struct faker_list one = {&faker_places[i].city, 1},
				  two = {&faker_places[i].country, 1};

		check_list(&one, 1, 0);
		check_list(&two, 1, 0);
	}
	/* The categories and items are the seed's, in its order. */
	for (int c = 0; c < 6; c++) {
		const struct faker_category *k = &faker_categories[c];

		ck_assert_str_eq(k->name.s, seed_categories[c][0]);
		ck_assert_str_eq(faker_category_names[c],
				 seed_categories[c][0]);
		for (size_t i = 0; i < k->items.n; i++)
			ck_assert_str_eq(k->items.v[i].s,
					 seed_categories[c][i + 1]);
		ck_assert_ptr_null(seed_categories[c][k->items.n + 1]);
	}
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
		 "%s/plugins/source-faker/.libs/source-faker.so", top);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h, "%s", dlerror());
	ck_assert_ptr_nonnull(dlsym(h, SLUICE_PLUGIN_ENTRY));
	ck_assert_ptr_null(dlsym(h, "faker_event_write"));
	ck_assert_ptr_null(dlsym(h, "faker_categories"));
	dlclose(h);
}
END_TEST

static Suite *faker_suite(void)
{
	Suite *s = suite_create("source-faker");
	TCase *tc = tcase_create("core");

	/* 100,000 events under valgrind take a while. */
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_descriptor);
	tcase_add_test(tc, test_python_style_serialiser);
	tcase_add_test(tc, test_golden_first_event);
	tcase_add_test(tc, test_schema_conformance);
	tcase_add_test(tc, test_user_pool_stable);
	tcase_add_test(tc, test_determinism);
	tcase_add_test(tc, test_resume_at_position);
	tcase_add_test(tc, test_bad_position);
	tcase_add_test(tc, test_tasks_substreams);
	tcase_add_test(tc, test_anomaly_rates);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_max_events_split);
	tcase_add_test(tc, test_rate_limit);
	tcase_add_test(tc, test_wall_clock);
	tcase_add_test(tc, test_emit_failure_redoes_event);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_options_honoured);
	tcase_add_test(tc, test_large_pool);
	tcase_add_test(tc, test_clock_format);
	tcase_add_test(tc, test_word_lists);
	tcase_add_test(tc, test_exports_only_entry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(faker_suite());
	int failed;

	/* The seed's data-quality rule for e-mail addresses. */
	if (regcomp(&email_re,
		    "^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$",
		    REG_EXTENDED | REG_NOSUB) != 0)
		return EXIT_FAILURE;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	regfree(&email_re);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
