/*
 * test_expr.c - the plugins' expression language (plugins/common/expr.h)
 * and the data-quality expectations built on it (expect.h): the parser
 * (precedence, every error with its column), the evaluator (nulls, types,
 * regular expressions, lists and aggregates, money), and the runner
 * (declarations, actions, counts, the dq summary). Records are parsed by
 * jdoc, as the plugins parse them; json-c builds the variants of the seed
 * event, an independent writer of their text.
 */
#include <check.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "expr.h"
#include "jdoc.h"

#define REQUIRE(cond, ...)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			ck_abort_msg(__VA_ARGS__);                             \
	} while (0)

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

static const struct jnode *seed, *empty;

/* The documents records are parsed into: the seed's, the empty one's and
 * a ring for the rest (a record stays valid for NDOCS more parses). */
#define NDOCS 8
static struct jdoc seed_doc, empty_doc, docs[NDOCS];
static unsigned next_doc;

static const struct jnode *parse_in(struct jdoc *d, const char *text)
{
	const struct jnode *r;

	if (!d->max_depth)
		jdoc_init(d, 32, JDOC_UTF8);
	r = jdoc_parse(d, text, strlen(text));
	REQUIRE(r, "'%s': %s", text, d->err);
	return r;
}

static const struct jnode *parse(const char *text)
{
	return parse_in(&docs[next_doc++ % NDOCS], text);
}

/* The record json-c's o writes (o is released). */
static const struct jnode *parse_json_c(json_object *o)
{
	const struct jnode *r = parse(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return r;
}

static void setup(void)
{
	seed = parse_in(&seed_doc, seed_line);
	empty = parse_in(&empty_doc, "{}");
}

static void teardown(void)
{
	jdoc_free(&seed_doc);
	jdoc_free(&empty_doc);
	for (int k = 0; k < NDOCS; k++)
		jdoc_free(&docs[k]);
}

static struct expr *compile_ok(const char *text)
{
	char err[256];
	int col;
	struct expr *e = expr_compile(text, err, sizeof err, &col);

	REQUIRE(e, "'%s': %s", text, err);
	return e;
}

/* The condition text on record r. */
static enum expr_result ev(const char *text, const struct jnode *r)
{
	struct expr *e = compile_ok(text);
	enum expr_result res = expr_eval(e, r);

	expr_free(e);
	return res;
}

/* The value of text on r, as text: "7", "3.5", "'abc'", "null",
 * "true", "[1, null]", "{object}". */
static void show(const struct expr_value *v, char *buf, size_t len)
{
	switch (v->type) {
	case EXPR_V_NULL:
		snprintf(buf, len, "null");
		break;
	case EXPR_V_BOOL:
		snprintf(buf, len, "%s", v->u.b ? "true" : "false");
		break;
	case EXPR_V_INT:
		snprintf(buf, len, "%lld", (long long)v->u.i);
		break;
	case EXPR_V_DOUBLE:
		snprintf(buf, len, "%.17g", v->u.d);
		break;
	case EXPR_V_STRING:
		snprintf(buf, len, "'%.*s'", (int)v->u.s.len, v->u.s.p);
		break;
	case EXPR_V_OBJECT:
		snprintf(buf, len, "{object}");
		break;
	case EXPR_V_LIST: {
		size_t n = (size_t)snprintf(buf, len, "[");

		for (size_t k = 0; k < v->u.list.n && n < len; k++) {
			if (k)
				n += (size_t)snprintf(buf + n, len - n, ", ");
			show(&v->u.list.v[k], buf + n, len - n);
			n += strlen(buf + n);
		}
		snprintf(buf + n, len - n, "]");
		break;
	}
	}
}

static const char *value_of(const char *text, const struct jnode *r)
{
	static char buf[1024];
	struct expr_arena a = EXPR_ARENA_INIT;
	struct expr *e = compile_ok(text);
	struct expr_value v;

	expr_value(e, r, &a, &v);
	show(&v, buf, sizeof buf);
	expr_arena_reset(&a);
	expr_free(e);
	return buf;
}

#define VALUE(text, rec, want) ck_assert_str_eq(value_of((text), (rec)), want)

/* The compile error of text, and its column. */
static const char *error_of(const char *text, int *col)
{
	static char err[256];
	struct expr *e = expr_compile(text, err, sizeof err, col);

	REQUIRE(!e, "'%s' compiled", text);
	return err;
}

/* ---- the parser ---- */

START_TEST(test_arithmetic_and_precedence)
{
	VALUE("1 + 2 * 3", empty, "7");
	VALUE("(1 + 2) * 3", empty, "9");
	VALUE("10 - 2 - 3", empty, "5");
	VALUE("12 / 2 / 3", empty, "2");
	VALUE("7 / 2", empty, "3.5");
	VALUE("-2 * -3", empty, "6");
	VALUE("- -2", empty, "2");
	VALUE("-(2 + 3) * 2", empty, "-10");
	VALUE("2 * -x", empty, "null");
	VALUE("1.5e2 + 1", empty, "151");
	VALUE("9223372036854775807 + 1", empty, "9.2233720368547758e+18");
	VALUE("-9223372036854775807 - 1", empty, "-9223372036854775808");
	VALUE("9223372036854775807 * 2", empty, "1.8446744073709552e+19");
	VALUE("99999999999999999999", empty, "1e+20");
	VALUE("1 / 0", empty, "null");
	VALUE("1 + null", empty, "null");
	/* or < and < not < comparison < +- < * / < unary minus */
	ck_assert_int_eq(ev("true or false and false", empty), EXPR_TRUE);
	ck_assert_int_eq(ev("(true or false) and false", empty), EXPR_FALSE);
	ck_assert_int_eq(ev("not true = false", empty), EXPR_TRUE);
	ck_assert_int_eq(ev("not 1 = 2 and 2 = 2", empty), EXPR_TRUE);
	ck_assert_int_eq(ev("not (1 = 2 and 2 = 2)", empty), EXPR_TRUE);
	ck_assert_int_eq(ev("not not true", empty), EXPR_TRUE);
	ck_assert_int_eq(ev("1 + 2 = 3 and 2 * 3 = 6", empty), EXPR_TRUE);
	ck_assert_int_eq(ev("1 + 2 * 3 = 9", empty), EXPR_FALSE);
	ck_assert_int_eq(ev("-2 * 3 = -6", empty), EXPR_TRUE);
	ck_assert_int_eq(ev("2 - 3 < 0 or x", empty), EXPR_TRUE);
}
END_TEST

START_TEST(test_comparisons)
{
	static const struct {
		const char *text;
		enum expr_result want;
	} cases[] = {
		{"1 = 1", EXPR_TRUE},
		{"1 == 1.0", EXPR_TRUE},
		{"1 != 1", EXPR_FALSE},
		{"1 <> 2", EXPR_TRUE},
		{"1 < 2", EXPR_TRUE},
		{"2 <= 2", EXPR_TRUE},
		{"3 > 2.5", EXPR_TRUE},
		{"2 >= 3", EXPR_FALSE},
		{"'a' < 'b'", EXPR_TRUE},
		{"'ab' > 'a'", EXPR_TRUE},
		{"'b' = 'b'", EXPR_TRUE},
		{"'B' = 'b'", EXPR_FALSE},
		{"'' < 'a'", EXPR_TRUE},
		{"true > false", EXPR_TRUE},
		{"'it''s' = 'it''s'", EXPR_TRUE},
		{"0.1 + 0.2 = 0.3", EXPR_TRUE},
		{"0.1 + 0.2 > 0.3", EXPR_FALSE},
		{"0.3 <= 0.1 + 0.2", EXPR_TRUE},
		{"1.000001 = 1", EXPR_FALSE},
		{"9007199254740993 = 9007199254740992", EXPR_FALSE},
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		REQUIRE(ev(cases[k].text, empty) == cases[k].want,
			"'%s' gave %d", cases[k].text,
			ev(cases[k].text, empty));
}
END_TEST

START_TEST(test_syntax_errors)
{
	static const struct {
		const char *text, *err;
		int col;
	} cases[] = {
		{"", "syntax error at column 1: empty expression", 1},
		{"   ", "syntax error at column 4: empty expression", 4},
		{"1 +",
		 "syntax error at column 4: expected a value, got the end", 4},
		{"(1 + 2",
		 "syntax error at column 7: expected ')' to close "
		 "the '(' at column 1, got the end",
		 7},
		{"1 + 2)", "syntax error at column 6: unbalanced ')'", 6},
		{"a = b = c",
		 "syntax error at column 7: comparisons do not "
		 "chain: use and, or parentheses",
		 7},
		{"a < b is null",
		 "syntax error at column 7: comparisons do not "
		 "chain: use and, or parentheses",
		 7},
		{"x is 5",
		 "syntax error at column 6: expected null after is, "
		 "got '5'",
		 6},
		{"x is not",
		 "syntax error at column 9: expected null after is "
		 "not, got the end",
		 9},
		{"x in 'a'",
		 "syntax error at column 6: expected '[' after in, "
		 "got ''a''",
		 6},
		{"x in [a]",
		 "syntax error at column 7: expected a number or a "
		 "'string' in the list, got 'a'",
		 7},
		{"x in []",
		 "syntax error at column 7: expected a number or a "
		 "'string' in the list, got ']'",
		 7},
		{"x in ['a' 'b']",
		 "syntax error at column 11: expected ',' or "
		 "']', got ''b''",
		 11},
		{"x matches y",
		 "syntax error at column 11: expected a 'regular "
		 "expression' after matches, got 'y'",
		 11},
		{"'abc", "syntax error at column 1: unterminated string", 1},
		{"`abc", "syntax error at column 1: unterminated `name`", 1},
		{"foo(1)",
		 "syntax error at column 1: unknown function 'foo' "
		 "(expected sum, count, min, max, avg, all, any, "
		 "round, abs or len)",
		 1},
		{"sum()", "syntax error at column 5: sum() needs an argument",
		 5},
		{"sum(1, 2)",
		 "syntax error at column 6: sum() takes 1 argument", 6},
		{"round(x, 2, 3)",
		 "syntax error at column 11: round() takes 2 arguments at most",
		 11},
		{"round(x, 2.5)",
		 "syntax error at column 10: round(): the "
		 "digits are a whole number 0 to 15",
		 10},
		{"round(x, 16)",
		 "syntax error at column 10: round(): the "
		 "digits are a whole number 0 to 15",
		 10},
		{"abs(x",
		 "syntax error at column 6: expected ')' after the "
		 "argument of abs(), got the end",
		 6},
		{"x # y", "syntax error at column 3: unexpected character '#'",
		 3},
		{"1e", "syntax error at column 1: malformed number '1e'", 1},
		{"12abc", "syntax error at column 1: malformed number '12a'",
		 1},
		{"a..b",
		 "syntax error at column 3: expected a field name, got "
		 "'.'",
		 3},
		{"a.and",
		 "syntax error at column 3: expected a field name, got "
		 "'and'",
		 3},
		{"a and",
		 "syntax error at column 6: expected a value, got the "
		 "end",
		 6},
		{"x = 1 y",
		 "syntax error at column 7: expected an operator or "
		 "the end, got 'y'",
		 7},
		{"x not y",
		 "syntax error at column 3: expected an operator or "
		 "the end, got 'not'",
		 3},
		{"and", "syntax error at column 1: expected a value, got 'and'",
		 1},
		{"``", "syntax error at column 1: empty `name`", 1},
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int col = -1;
		const char *err = error_of(cases[k].text, &col);

		REQUIRE(!strcmp(err, cases[k].err), "'%s': got '%s'",
			cases[k].text, err);
		REQUIRE(col == cases[k].col, "'%s': column %d", cases[k].text,
			col);
	}
}
END_TEST

START_TEST(test_type_errors)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"'a' + 1", "type error at column 1: '+' needs numbers, got a "
			    "string"},
		{"1 * true", "type error at column 5: '*' needs numbers, got a "
			     "boolean"},
		{"x - (1 = 1)",
		 "type error at column 6: '-' needs numbers, got "
		 "a boolean"},
		{"-'a'", "type error at column 1: '-' needs a number, got a "
			 "string"},
		{"1 and x", "type error at column 1: and needs true or false, "
			    "got a number"},
		{"x or 'y'", "type error at column 6: or needs true or false, "
			     "got a string"},
		{"not 'a'", "type error at column 5: not needs true or false, "
			    "got a string"},
		{"'a' < 1", "type error at column 5: cannot compare a string "
			    "with a number"},
		{"true = 1", "type error at column 6: cannot compare a boolean "
			     "with a number"},
		{"x = null",
		 "type error at column 3: a comparison with null is "
		 "always null: use is null or is not null"},
		{"5 matches 'a'", "type error at column 1: matches needs a "
				  "string, got a number"},
		{"x in ['a', 1]", "type error at column 12: the list mixes a "
				  "string with a number"},
		{"1 in ['a']",
		 "type error at column 7: cannot compare a number "
		 "with a list of strings"},
		{"sum('a')", "type error at column 5: sum() needs numbers, got "
			     "a string"},
		{"avg(x > 1)", "type error at column 5: avg() needs numbers, "
			       "got a boolean"},
		{"all(1)", "type error at column 5: all() needs booleans, got "
			   "a number"},
		{"len(5)", "type error at column 5: len() needs a string or a "
			   "list, got a number"},
		{"x matches '('", "syntax error at column 11: bad regular "
				  "expression: Unmatched ( or \\("},
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		int col;
		const char *err = error_of(cases[k].text, &col);

		REQUIRE(!strcmp(err, cases[k].err), "'%s': got '%s'",
			cases[k].text, err);
	}
}
END_TEST

/* Columns count characters, and shift by the offset of the text. */
START_TEST(test_error_columns)
{
	char err[256];
	int col;

	ck_assert_ptr_null(expr_compile_at("1 +", 10, err, sizeof err, &col));
	ck_assert_str_eq(err,
			 "syntax error at column 14: expected a value, got "
			 "the end");
	ck_assert_int_eq(col, 14);
	ck_assert_ptr_null(expr_compile("'\xc3\xa9\xe2\x82\xac' < 1", err,
					sizeof err, &col));
	ck_assert_str_eq(err, "type error at column 6: cannot compare a "
			      "string with a number");
	/* Deep nesting is refused, not a stack overflow. */
	{
		char deep[512];

		memset(deep, '(', 300);
		strcpy(deep + 300, "1");
		ck_assert_ptr_null(expr_compile(deep, err, sizeof err, &col));
		ck_assert_str_eq(err, "syntax error at column 101: nested "
				      "deeper than 100");
	}
}
END_TEST

START_TEST(test_keywords_and_names)
{
	const struct jnode *r = parse(
		"{\"count\": 2, \"e-mail\": \"x@y.z\", \"IN\": 1, \"user\": "
		"{\"min\": 3}}");

	ck_assert_int_eq(ev("X IS NULL AND `count` In [1, 2] aNd NOT FALSE", r),
			 EXPR_TRUE);
	ck_assert_int_eq(ev("`e-mail` = 'x@y.z'", r), EXPR_TRUE);
	ck_assert_int_eq(ev("`IN` = 1 and `in` is null", r), EXPR_TRUE);
	/* Function names are names where no '(' follows. */
	ck_assert_int_eq(ev("user.min = 3 and MIN(user.min) = 3", r),
			 EXPR_TRUE);
	ck_assert_int_eq(ev("Sum (`count`) = 2", r), EXPR_TRUE);
}
END_TEST

/* ---- the evaluator ---- */

START_TEST(test_three_valued_logic)
{
	static const struct {
		const char *text;
		enum expr_result want;
	} cases[] = {
		{"null and false", EXPR_FALSE},
		{"false and null", EXPR_FALSE},
		{"null and true", EXPR_NULL},
		{"true and null", EXPR_NULL},
		{"null or true", EXPR_TRUE},
		{"true or null", EXPR_TRUE},
		{"null or false", EXPR_NULL},
		{"not null", EXPR_NULL},
		{"null and null", EXPR_NULL},
		{"missing > 1", EXPR_NULL},
		{"missing > 1 or 1 = 1", EXPR_TRUE},
		{"not (missing > 1)", EXPR_NULL},
		{"missing is null", EXPR_TRUE},
		{"missing is not null", EXPR_FALSE},
		{"null is null", EXPR_TRUE},
		{"1 is not null", EXPR_TRUE},
		{"missing in [1, 2]", EXPR_NULL},
		{"missing not in [1, 2]", EXPR_NULL},
		{"missing matches 'a'", EXPR_NULL},
		{"1 + 1", EXPR_NULL}, /* not a boolean */
		{"'yes'", EXPR_NULL},
		{"missing", EXPR_NULL},
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		REQUIRE(ev(cases[k].text, empty) == cases[k].want,
			"'%s' gave %d", cases[k].text,
			ev(cases[k].text, empty));
}
END_TEST

START_TEST(test_paths)
{
	VALUE("user.email", seed, "'erica81@johnson-davis.com'");
	VALUE("user.age", seed, "58");
	VALUE("amount", seed, "5800.4499999999998");
	VALUE("user", seed, "{object}");
	VALUE("user.nothing", seed, "null");
	VALUE("user.email.x", seed, "null"); /* through a string */
	VALUE("nothing.x.y", seed, "null");
	VALUE("items.price", seed, "[316.39999999999998, 383.63, 460.06]");
	VALUE("items.quantity", seed, "[5, 5, 5]");
	VALUE("items.quantity * 2", seed, "[10, 10, 10]");
	VALUE("items.nothing", seed, "[null, null, null]");
	VALUE("items", seed, "[{object}, {object}, {object}]");
	VALUE("len(user.name)", seed, "12");
	VALUE("len(user)", seed, "10");
	VALUE("len(items)", seed, "3");
	VALUE("len(amount)", seed, "null");
	VALUE("count(items)", seed, "3");
	VALUE("count(user.name)", seed, "1");
	VALUE("count(user.nothing)", seed, "0");
	ck_assert_int_eq(ev("user.address = '02654 Susan Hill\nNorth "
			    "Melaniestad, OR 70785'",
			    seed),
			 EXPR_TRUE);
	ck_assert_int_eq(ev("items is not null and user is not null", seed),
			 EXPR_TRUE);
	/* Nested arrays flatten; elements that are not objects give null. */
	{
		const struct jnode *r = parse(
			"{\"o\": [{\"i\": [{\"p\": 1}, {\"p\": 2}]}, {\"i\": "
			"[]}, {\"i\": [{\"p\": 3}]}, 7, null], \"g\": [[1, "
			"2], [3]], \"e\": []}");

		VALUE("o.i.p", r, "[1, 2, 3, null, null]");
		VALUE("sum(o.i.p)", r, "6");
		VALUE("g", r, "[1, 2, 3]");
		VALUE("e", r, "[]");
		VALUE("e.x", r, "[]");
		VALUE("count(e)", r, "0");
		ck_assert_int_eq(ev("e is not null", r), EXPR_TRUE);
	}
}
END_TEST

/* What the parser gives that json-c gave otherwise, or might have. */
START_TEST(test_record_edges)
{
	const struct jnode *r = parse(
		"{\"big\": 99999999999999999999, \"max\": 9223372036854775807, "
		"\"min\": -9223372036854775808, \"over\": 9223372036854775808, "
		"\"inf\": 1e400, \"neg0\": -0, \"o\": {\"a\": 1, \"b\": 2, "
		"\"a\": 3}, \"s\": \"\\u00e9\\ud83d\\ude00\"}");

	/* Past 64 bits an integer is a double (json-c clamped it to
	 * INT64_MAX). */
	VALUE("big", r, "1e+20");
	VALUE("over", r, "9.2233720368547758e+18");
	VALUE("max", r, "9223372036854775807");
	VALUE("min", r, "-9223372036854775808");
	VALUE("max + 1", r, "9.2233720368547758e+18");
	VALUE("inf", r, "null"); /* not finite */
	VALUE("neg0", r, "0");
	/* A name given twice is one member, the last. */
	VALUE("o.a", r, "3");
	VALUE("len(o)", r, "2");
	VALUE("len(s)", r, "2");
}
END_TEST

START_TEST(test_lists_elementwise)
{
	const struct jnode *r = parse(
		"{\"items\": [{\"price\": 2.5, \"quantity\": 2}, "
		"{\"quantity\": "
		"3}, {\"price\": \"x\", \"quantity\": 1}], \"tags\": [\"a\", "
		"\"bb\"]}");

	VALUE("items.price * items.quantity", r, "[5, null, null]");
	VALUE("items.quantity > 1", r, "[true, true, false]");
	VALUE("items.quantity + items.quantity", r, "[4, 6, 2]");
	VALUE("-items.quantity", r, "[-2, -3, -1]");
	VALUE("items.quantity in [1, 3]", r, "[false, true, true]");
	VALUE("tags matches '^b'", r, "[false, true]");
	VALUE("not (items.quantity > 1)", r, "[false, false, true]");
	VALUE("items.quantity > 1 and items.quantity < 3", r,
	      "[true, false, false]");
	/* Lists of different lengths do not pair. */
	VALUE("items.quantity + tags", r, "null");
	VALUE("sum(items.quantity)", r, "6");
	VALUE("sum(items.price)", r, "null"); /* "x" is not a number */
	VALUE("count(items.price)", r, "2");
	VALUE("avg(items.quantity)", r, "2");
	VALUE("min(items.quantity)", r, "1");
	VALUE("max(items.quantity)", r, "3");
	VALUE("max(items.price * items.quantity)", r, "5");
	VALUE("sum(items.nothing)", r, "null");
	VALUE("count(items.nothing)", r, "0");
	VALUE("sum(4)", r, "4");
	VALUE("round(items.quantity / 3, 2)", r,
	      "[0.67000000000000004, 1, "
	      "0.33000000000000002]");
	ck_assert_int_eq(ev("all(items.quantity >= 1)", r), EXPR_TRUE);
	ck_assert_int_eq(ev("all(items.quantity >= 2)", r), EXPR_FALSE);
	ck_assert_int_eq(ev("all(items.price > 0)", r), EXPR_NULL);
	ck_assert_int_eq(ev("any(items.price > 0)", r), EXPR_TRUE);
	ck_assert_int_eq(ev("any(items.quantity > 5)", r), EXPR_FALSE);
	ck_assert_int_eq(ev("any(items.price > 3)", r), EXPR_NULL);
	ck_assert_int_eq(ev("all(items.nothing = 1)", r), EXPR_NULL);
	ck_assert_int_eq(ev("all(tags)", r), EXPR_NULL); /* not booleans */
	/* A list as the result of a condition is not a boolean. */
	ck_assert_int_eq(ev("items.quantity > 0", r), EXPR_NULL);
	r = parse("{\"e\": []}");
	ck_assert_int_eq(ev("all(e.x > 0)", r), EXPR_TRUE);
	ck_assert_int_eq(ev("any(e.x > 0)", r), EXPR_FALSE);
	VALUE("sum(e.x)", r, "null");
	VALUE("avg(e.x)", r, "null");
}
END_TEST

/* A record's field of an unexpected type gives null, never an error. */
START_TEST(test_runtime_type_mismatch)
{
	static const struct {
		const char *text;
		enum expr_result want;
	} cases[] = {
		{"user.name > 5", EXPR_NULL},
		{"user.name + 1 > 0", EXPR_NULL},
		{"user + 1 > 0", EXPR_NULL},
		{"user = 1", EXPR_NULL},
		{"user.age matches '5'", EXPR_NULL},
		{"user.age in ['58']", EXPR_NULL},
		{"user.age in [58, 59]", EXPR_TRUE},
		{"user.name and true", EXPR_NULL},
		{"user.name or true", EXPR_TRUE},
		{"not user.age", EXPR_NULL},
		{"abs(user.name) > 0", EXPR_NULL},
		{"round(user.name) > 0", EXPR_NULL},
		{"user.age = '58'", EXPR_NULL},
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		REQUIRE(ev(cases[k].text, seed) == cases[k].want,
			"'%s' gave %d", cases[k].text, ev(cases[k].text, seed));
}
END_TEST

START_TEST(test_regex)
{
	static const char rule[] =
		"user.email matches "
		"'^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$'";
	static const struct {
		const char *email;
		enum expr_result want;
	} cases[] = {
		{"erica81@johnson-davis.com", EXPR_TRUE},
		{"a.b+c%d@x-y.co.uk", EXPR_TRUE},
		{"no-at-sign.com", EXPR_FALSE},
		{"a@b.c", EXPR_FALSE},
		{"a@b", EXPR_FALSE},
		{"a b@c.de", EXPR_FALSE},
		{"a@b.de ", EXPR_FALSE},
		{"", EXPR_FALSE},
	};
	struct expr *e = compile_ok(rule);

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		json_object *r = json_object_new_object(),
			    *u = json_object_new_object();

		json_object_object_add(u, "email",
				       json_object_new_string(cases[k].email));
		json_object_object_add(r, "user", u);
		REQUIRE(expr_eval(e, parse_json_c(r)) == cases[k].want, "'%s'",
			cases[k].email);
	}
	ck_assert_int_eq(expr_eval(e, seed), EXPR_TRUE);
	ck_assert_int_eq(expr_eval(e, empty), EXPR_NULL);
	expr_free(e);
	/* Unanchored unless anchored; not matches; a NUL inside. */
	ck_assert_int_eq(ev("'abc' matches 'b'", empty), EXPR_TRUE);
	ck_assert_int_eq(ev("'abc' matches '^b'", empty), EXPR_FALSE);
	ck_assert_int_eq(ev("'abc' not matches '^b'", empty), EXPR_TRUE);
	{
		const struct jnode *r = parse("{\"s\": \"a\\u0000b\"}");

		ck_assert_int_eq(ev("s matches 'b$'", r), EXPR_TRUE);
		ck_assert_int_eq(ev("len(s) = 3", r), EXPR_TRUE);
	}
}
END_TEST

START_TEST(test_in)
{
	ck_assert_int_eq(ev("currency in ['USD', 'EUR', 'GBP', 'INR']", seed),
			 EXPR_TRUE);
	ck_assert_int_eq(ev("currency in ['USD', 'EUR']", seed), EXPR_FALSE);
	ck_assert_int_eq(ev("currency not in ['USD', 'EUR']", seed), EXPR_TRUE);
	ck_assert_int_eq(ev("user.age in [18, 58.0, -1]", seed), EXPR_TRUE);
	ck_assert_int_eq(ev("-1 in [-1]", seed), EXPR_TRUE);
	ck_assert_int_eq(ev("amount in [5800.45]", seed), EXPR_TRUE);
}
END_TEST

START_TEST(test_money)
{
	const struct jnode *r;

	ck_assert_int_eq(ev("round(sum(items.price * items.quantity), 2) = "
			    "amount",
			    seed),
			 EXPR_TRUE);
	ck_assert_int_eq(ev("sum(items.price * items.quantity) = amount", seed),
			 EXPR_TRUE);
	VALUE("round(1.005, 2)", empty, "1.01");
	VALUE("round(2.675, 2)", empty, "2.6800000000000002");
	VALUE("round(-2.5)", empty, "-3");
	VALUE("round(2.5)", empty, "3");
	VALUE("round(2.4999)", empty, "2");
	VALUE("round(1234567.4996, 3)", empty, "1234567.5");
	VALUE("round(1234567.4996)", empty, "1234567");
	VALUE("round(7)", empty, "7");
	VALUE("round(1e300, 2)", empty, "1.0000000000000001e+300");
	VALUE("abs(-3)", empty, "3");
	VALUE("abs(-2.5)", empty, "2.5");
	ck_assert_int_eq(ev("round(1.005, 2) = 1.01", empty), EXPR_TRUE);
	/* A cent off is caught. */
	r = parse("{\"amount\": 30.01, \"items\": [{\"price\": "
		  "10.0, \"quantity\": 3}]}");
	ck_assert_int_eq(ev("round(sum(items.price * items.quantity), 2) = "
			    "amount",
			    r),
			 EXPR_FALSE);
	/* Every sample event adds up. */
	{
		FILE *f = fopen(SAMPLE_EVENTS, "r");
		struct expr *e = compile_ok(
			"round(sum(items.price * items.quantity), 2) = amount");
		char line[4096];
		int n = 0;

		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof line, f)) {
			const struct jnode *o = parse(line);

			REQUIRE(expr_eval(e, o) == EXPR_TRUE, "line %d", n + 1);
			n++;
		}
		fclose(f);
		expr_free(e);
		ck_assert_int_eq(n, 1000);
	}
}
END_TEST

/* Many list values: the arena grows past its inline kilobyte. */
START_TEST(test_big_lists)
{
	json_object *r = json_object_new_object(),
		    *items = json_object_new_array();
	const struct jnode *rec;

	for (int k = 0; k < 5000; k++) {
		json_object *it = json_object_new_object();

		json_object_object_add(it, "p", json_object_new_int(k));
		json_object_array_add(items, it);
	}
	json_object_object_add(r, "items", items);
	rec = parse_json_c(r);
	ck_assert_int_eq(ev("sum(items.p * 2) = 24995000", rec), EXPR_TRUE);
	ck_assert_int_eq(ev("max(items.p + items.p) = 9998", rec), EXPR_TRUE);
}
END_TEST

/* ---- expectations ---- */

static const char *add_error(struct expect_set *s, size_t index,
			     const char *item)
{
	static char err[512];

	REQUIRE(expect_set_add(s, "expectations", index, item, err,
			       sizeof err) == -1,
		"'%s' was accepted", item);
	return err;
}

static void add_ok(struct expect_set *s, size_t index, const char *item)
{
	char err[512];

	REQUIRE(expect_set_add(s, "expectations", index, item, err,
			       sizeof err) == 0,
		"'%s': %s", item, err);
}

START_TEST(test_expect_declarations)
{
	struct expect_set s = {0};

	add_ok(&s, 0, "valid_email");
	add_ok(&s, 1,
	       "CONSTRAINT positive_amount EXPECT (amount > 0) ON "
	       "VIOLATION DROP ROW");
	add_ok(&s, 2, "known_currency on violation fail");
	add_ok(&s, 3, "c1 expect (x = ')' or y = '(''' ) on violation warn");
	add_ok(&s, 4, "c2 Expect((a + 1) * 2 > 3)on violation fail update");
	add_ok(&s, 5, "  c3   expect   (x)   on   violation   drop  ");
	ck_assert_uint_eq(s.n, 6);
	ck_assert_str_eq(s.v[0].name, "valid_email");
	ck_assert_str_eq(s.v[0].condition,
			 "user.email matches "
			 "'^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$'");
	ck_assert_int_eq(s.v[0].action, EXPECT_WARN);
	ck_assert_str_eq(s.v[1].name, "positive_amount");
	ck_assert_str_eq(s.v[1].condition, "amount > 0");
	ck_assert_int_eq(s.v[1].action, EXPECT_DROP);
	ck_assert_str_eq(s.v[2].condition,
			 "currency in ['USD', 'EUR', 'GBP', 'INR']");
	ck_assert_int_eq(s.v[2].action, EXPECT_FAIL);
	ck_assert_str_eq(s.v[3].condition, "x = ')' or y = '(''' ");
	ck_assert_int_eq(s.v[3].action, EXPECT_WARN);
	ck_assert_str_eq(s.v[4].condition, "(a + 1) * 2 > 3");
	ck_assert_int_eq(s.v[4].action, EXPECT_FAIL);
	ck_assert_str_eq(s.v[5].condition, "x");
	ck_assert_int_eq(s.v[5].action, EXPECT_DROP);
	ck_assert_str_eq(expect_action_name(EXPECT_DROP), "drop");
	/* Every shipped one compiles; the names macro lists them all. */
	for (size_t k = 0; expect_builtins[k].name; k++) {
		ck_assert_ptr_nonnull(
			strstr(EXPECT_BUILTIN_NAMES, expect_builtins[k].name));
		if (k == 2 || k == 4) /* not declared above */
			add_ok(&s, 6 + k, expect_builtins[k].name);
	}
	ck_assert_uint_eq(s.n, 8);
	expect_set_free(&s);
}
END_TEST

START_TEST(test_expect_errors)
{
	static const struct {
		const char *item, *err;
	} cases[] = {
		{"", "expectations[2]: expected the expectation's name, got "
		     "the end at column 1"},
		{"9x", "expectations[2]: expected the expectation's name, got "
		       "'9x' at column 1"},
		{"nope", "expectations[2]: 'nope' is not a shipped expectation "
			 "(valid_email, positive_amount, amount_matches_items, "
			 "known_currency, user_id_present): give its condition "
			 "with expect (...) at column 1"},
		{"a expect amount > 0", "expectations[2]: expected '(' after "
					"expect, got 'amount' at column 10"},
		{"a expect (amount > 0", "expectations[2]: the '(' is never "
					 "closed at column 10"},
		{"a expect (x = ')'", "expectations[2]: the '(' is never "
				      "closed at column 10"},
		{"a expect (amount >) on violation drop",
		 "expectations[2]: syntax error at column 19: expected a "
		 "value, got the end"},
		{"a expect (amount + 1)", "expectations[2]: type error at "
					  "column 11: the condition is a "
					  "number, not true or false"},
		{"a expect ('x' + 1 > 0)", "expectations[2]: type error at "
					   "column 11: '+' needs numbers, got "
					   "a string"},
		{"a expect ()", "expectations[2]: syntax error at column 11: "
				"empty expression"},
		{"a expect (x) on violation explode",
		 "expectations[2]: expected warn, drop row or fail update, got "
		 "'explode' at column 27"},
		{"a expect (x) on crash", "expectations[2]: expected violation "
					  "after on, got 'crash' at column "
					  "17"},
		{"a expect (x) drop", "expectations[2]: expected on violation "
				      "or the end, got 'drop' at column 14"},
		{"a drop", "expectations[2]: expected expect (condition), on "
			   "violation or the end, got 'drop' at column 3"},
		{"a expect (x) on violation drop row now",
		 "expectations[2]: expected on violation or the end, got 'now' "
		 "at column 36"},
		{"valid_email", "expectations[2]: 'valid_email' is declared "
				"twice"},
	};
	struct expect_set s = {0};

	add_ok(&s, 0, "valid_email");
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		const char *err = add_error(&s, 2, cases[k].item);

		REQUIRE(!strcmp(err, cases[k].err), "'%s': got '%s'",
			cases[k].item, err);
	}
	ck_assert_uint_eq(s.n, 1);
	expect_set_free(&s);
}
END_TEST

/* The seed event with one field replaced (value NULL: removed), in
 * json-c: parse_json_c makes it a record. */
static json_object *variant(const char *path, json_object *value)
{
	json_object *r = json_tokener_parse(seed_line), *o = r;
	const char *dot = strchr(path, '.');

	if (dot) {
		char head[32];

		snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
		o = json_object_object_get(r, head);
		path = dot + 1;
	}
	if (value)
		json_object_object_add(o, path, value);
	else
		json_object_object_del(o, path);
	return r;
}

static int64_t counters[16];
static char counter_names[16][200];
static int ncounters;

static void fake_counter_add(struct sluice_task *t, const char *name,
			     const char *labels, int64_t delta)
{
	char key[200];
	int k;

	(void)t;
	snprintf(key, sizeof key, "%s{%s}", name, labels ? labels : "");
	for (k = 0; k < ncounters; k++)
		if (!strcmp(counter_names[k], key))
			break;
	if (k == ncounters)
		snprintf(counter_names[ncounters++], sizeof counter_names[0],
			 "%s", key);
	counters[k] += delta;
}

static int64_t counter(const char *key)
{
	for (int k = 0; k < ncounters; k++)
		if (!strcmp(counter_names[k], key))
			return counters[k];
	return -1;
}

START_TEST(test_expect_actions_and_counts)
{
	struct expect_set s = {0};
	struct sluice_host h = {.counter_add = fake_counter_add};
	json_object *r;

	ncounters = 0;
	memset(counters, 0, sizeof counters);
	add_ok(&s, 0, "valid_email");
	add_ok(&s, 1, "positive_amount on violation drop row");
	add_ok(&s, 2, "known_currency on violation fail update");
	add_ok(&s, 3, "small expect (amount < 1000) on violation drop");

	/* Good but for small (drop). */
	ck_assert_int_eq(expect_set_eval(&s, seed), EXPECT_DROP_RECORD);
	ck_assert_uint_eq(s.nfailed, 1);
	ck_assert_str_eq(s.failed[0]->name, "small");

	/* A bad e-mail only warns: kept, counted. */
	r = variant("user.email", json_object_new_string("nobody"));
	json_object_object_add(r, "amount", json_object_new_double(5.0));
	ck_assert_int_eq(expect_set_eval(&s, parse_json_c(r)), EXPECT_KEEP);
	ck_assert_uint_eq(s.nfailed, 1);
	ck_assert_str_eq(s.failed[0]->name, "valid_email");
	ck_assert_ptr_null(s.fatal);

	/* No e-mail at all: the condition is null, which fails. */
	r = variant("user.email", NULL);
	json_object_object_add(r, "amount", json_object_new_double(5.0));
	ck_assert_int_eq(expect_set_eval(&s, parse_json_c(r)), EXPECT_KEEP);
	ck_assert_str_eq(s.failed[0]->name, "valid_email");

	/* A negative amount drops; all failures are listed. */
	r = variant("amount", json_object_new_double(-5.0));
	json_object_object_add(json_object_object_get(r, "user"), "email",
			       json_object_new_string("x"));
	ck_assert_int_eq(expect_set_eval(&s, parse_json_c(r)),
			 EXPECT_DROP_RECORD);
	ck_assert_uint_eq(s.nfailed, 2);
	ck_assert_str_eq(s.failed[0]->name, "valid_email");
	ck_assert_str_eq(s.failed[1]->name, "positive_amount");

	/* fail beats drop. */
	r = variant("amount", json_object_new_double(-5.0));
	json_object_object_add(r, "currency", json_object_new_string("XXX"));
	ck_assert_int_eq(expect_set_eval(&s, parse_json_c(r)),
			 EXPECT_FAIL_TASK);
	ck_assert_str_eq(s.fatal->name, "known_currency");
	ck_assert_uint_eq(s.nfailed, 2);

	/* A currency of the wrong type: null, which fails. */
	r = variant("currency", json_object_new_int(840));
	json_object_object_add(r, "amount", json_object_new_double(5.0));
	ck_assert_int_eq(expect_set_eval(&s, parse_json_c(r)),
			 EXPECT_FAIL_TASK);

	ck_assert_uint_eq(s.records, 6);
	ck_assert_uint_eq(s.dropped, 2);
	ck_assert_uint_eq(s.v[0].passed, 3);
	ck_assert_uint_eq(s.v[0].failed, 3);
	ck_assert_uint_eq(s.v[1].failed, 2);
	ck_assert_uint_eq(s.v[2].failed, 2);
	ck_assert_uint_eq(s.v[3].failed, 1);

	expect_set_send_counters(&s, &h, NULL);
	ck_assert_int_eq(counter("dq_records_total{expectation=\"valid_email\""
				 ",result=\"passed\"}"),
			 3);
	ck_assert_int_eq(counter("dq_records_total{expectation=\"valid_email\""
				 ",result=\"failed\"}"),
			 3);
	ck_assert_int_eq(counter("dq_records_total{expectation=\"small\","
				 "result=\"passed\"}"),
			 5);
	ck_assert_int_eq(counter("dq_dropped_records_total{}"), 2);
	/* Only the news, the next time. */
	ck_assert_int_eq(expect_set_eval(&s, seed), EXPECT_DROP_RECORD);
	expect_set_send_counters(&s, &h, NULL);
	ck_assert_int_eq(counter("dq_records_total{expectation=\"valid_email\""
				 ",result=\"passed\"}"),
			 4);
	ck_assert_int_eq(counter("dq_records_total{expectation=\"small\","
				 "result=\"failed\"}"),
			 2);
	ck_assert_int_eq(counter("dq_dropped_records_total{}"), 3);
	expect_set_free(&s);
}
END_TEST

START_TEST(test_expect_summary)
{
	struct expect_set s = {0};
	struct jbuf b = {0};
	json_object *r;

	add_ok(&s, 0, "valid_email");
	add_ok(&s, 1, "positive_amount on violation drop");
	ck_assert_int_eq(expect_set_summary(&s, &b, "bronze", 0), 0);
	ck_assert_uint_eq(b.len, 0);
	expect_set_eval(&s, seed);
	expect_set_eval(&s, seed);
	r = variant("amount", json_object_new_int(0));
	expect_set_eval(&s, parse_json_c(r));
	ck_assert_int_eq(
		expect_set_summary(&s, &b, "bronze", 1767225600000000LL), 1);
	jbuf_putc(&b, '\0');
	ck_assert_str_eq(
		b.p,
		"{\"event_type\": \"flow_progress\", \"timestamp\": "
		"\"2026-01-01T00:00:00.000000Z\", \"dataset\": \"bronze\", "
		"\"details\": {\"flow_progress\": {\"metrics\": "
		"{\"num_output_rows\": 2}, \"data_quality\": "
		"{\"dropped_records\": 1, \"expectations\": [{\"name\": "
		"\"valid_email\", \"dataset\": \"bronze\", \"passed_records\": "
		"3, \"failed_records\": 0}, {\"name\": \"positive_amount\", "
		"\"dataset\": \"bronze\", \"passed_records\": 2, "
		"\"failed_records\": 1}]}}}}");
	/* Nothing new: nothing written. */
	jbuf_reset(&b);
	ck_assert_int_eq(expect_set_summary(&s, &b, "bronze", 0), 0);
	/* Then only what came since. */
	expect_set_eval(&s, seed);
	ck_assert_int_eq(
		expect_set_summary(&s, &b, "bronze", 1767225601500000LL), 1);
	jbuf_putc(&b, '\0');
	ck_assert_str_eq(
		b.p,
		"{\"event_type\": \"flow_progress\", \"timestamp\": "
		"\"2026-01-01T00:00:01.500000Z\", \"dataset\": \"bronze\", "
		"\"details\": {\"flow_progress\": {\"metrics\": "
		"{\"num_output_rows\": 1}, \"data_quality\": "
		"{\"dropped_records\": 0, \"expectations\": [{\"name\": "
		"\"valid_email\", \"dataset\": \"bronze\", \"passed_records\": "
		"1, \"failed_records\": 0}, {\"name\": \"positive_amount\", "
		"\"dataset\": \"bronze\", \"passed_records\": 1, "
		"\"failed_records\": 0}]}}}}");
	jbuf_free(&b);
	expect_set_free(&s);
}
END_TEST

/* The shipped expectations pass on every foreign sample event. */
START_TEST(test_builtins_on_samples)
{
	struct expect_set s = {0};
	FILE *f = fopen(SAMPLE_EVENTS, "r");
	char line[4096];

	for (size_t k = 0; expect_builtins[k].name; k++)
		add_ok(&s, k, expect_builtins[k].name);
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f)) {
		const struct jnode *o = parse(line);

		REQUIRE(expect_set_eval(&s, o) == EXPECT_KEEP && !s.nfailed,
			"%s failed: %s", s.nfailed ? s.failed[0]->name : "",
			line);
	}
	fclose(f);
	ck_assert_uint_eq(s.records, 1000);
	for (size_t k = 0; k < s.n; k++)
		ck_assert_uint_eq(s.v[k].passed, 1000);
	expect_set_free(&s);
}
END_TEST

static Suite *expr_suite(void)
{
	Suite *s = suite_create("expr");
	TCase *tc = tcase_create("expr");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_arithmetic_and_precedence);
	tcase_add_test(tc, test_comparisons);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_type_errors);
	tcase_add_test(tc, test_error_columns);
	tcase_add_test(tc, test_keywords_and_names);
	tcase_add_test(tc, test_three_valued_logic);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_record_edges);
	tcase_add_test(tc, test_lists_elementwise);
	tcase_add_test(tc, test_runtime_type_mismatch);
	tcase_add_test(tc, test_regex);
	tcase_add_test(tc, test_in);
	tcase_add_test(tc, test_money);
	tcase_add_test(tc, test_big_lists);
	suite_add_tcase(s, tc);
	tc = tcase_create("expect");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_expect_declarations);
	tcase_add_test(tc, test_expect_errors);
	tcase_add_test(tc, test_expect_actions_and_counts);
	tcase_add_test(tc, test_expect_summary);
	tcase_add_test(tc, test_builtins_on_samples);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(expr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
