/*
 * test_jdoc.c - the plugins' JSON document parser (plugins/common/jdoc.c):
 * every value type, escapes, numbers at their limits, the node layout,
 * lookups, and each malformed input with its message and byte.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"

static struct jdoc d;

static void setup(void)
{
	jdoc_init(&d, 4, 0);
}

static void teardown(void)
{
	jdoc_free(&d);
}

static const struct jnode *parse(const char *s)
{
	return jdoc_parse(&d, s, strlen(s));
}

/* parse must fail with exactly this message */
static void bad(const char *s, const char *err)
{
	ck_assert_msg(parse(s) == NULL, "parsed: %s", s);
	ck_assert_str_eq(d.err, err);
}

START_TEST(test_types)
{
	const struct jnode *r = parse(
		" {\"n\": null, \"t\": true, \"f\": false, \"i\": -42, "
		"\"d\": 12.50, \"s\": \"x\", \"o\": {}, \"a\": [1, [2]]}\n");

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, JT_OBJECT);
	ck_assert_uint_eq(r->len, 8);
	/* root, 7 scalars and empties, the array, 1, [2] and 2 */
	ck_assert_uint_eq(r->skip, 12);
	ck_assert_uint_eq(d.n, 12);
	ck_assert_int_eq(jnode_get(r, "n")->type, JT_NULL);
	ck_assert_int_eq(jnode_get(r, "t")->boolean, 1);
	ck_assert_int_eq(jnode_get(r, "f")->type, JT_BOOL);
	ck_assert_int_eq(jnode_get(r, "f")->boolean, 0);
	ck_assert_int_eq(jnode_get(r, "i")->type, JT_INT);
	ck_assert_int_eq(jnode_get(r, "i")->i, -42);
	const struct jnode *x = jnode_get(r, "d");
	ck_assert_int_eq(x->type, JT_DOUBLE);
	ck_assert(jnode_double(x) == 12.5);
	ck_assert_uint_eq(x->len, 5);
	ck_assert_int_eq(memcmp(x->str, "12.50", 5), 0);
	ck_assert_str_eq(jnode_get(r, "s")->str, "x");
	ck_assert_uint_eq(jnode_get(r, "o")->len, 0);
	ck_assert_uint_eq(jnode_get(r, "o")->skip, 1);
	const struct jnode *a = jnode_get(r, "a");
	ck_assert_uint_eq(a->len, 2);
	ck_assert_uint_eq(a->skip, 4);
	ck_assert_int_eq(jnode_at(a, 0)->i, 1);
	ck_assert_int_eq(jnode_at(jnode_at(a, 1), 0)->i, 2);
	ck_assert_ptr_null(jnode_at(a, 2));
	ck_assert_ptr_null(jnode_get(r, "missing"));
	ck_assert_ptr_null(jnode_get(a, "n"));
	ck_assert_ptr_null(jnode_get(NULL, "n"));
	ck_assert_str_eq(jnode_type_name(a), "array");
	ck_assert_str_eq(jnode_type_name(x), "double");
	ck_assert_str_eq(jnode_type_name(NULL), "unknown");
	/* members in order, each with its name */
	const char *names = "ntfidsoa";
	size_t k = 0;
	JNODE_EACH(c, r)
	{
		ck_assert_uint_eq(c->key_len, 1);
		ck_assert_int_eq(c->key[0], names[k]);
		ck_assert_int_eq(c->key[1], '\0');
		k++;
	}
	ck_assert_uint_eq(k, 8);
	/* scalars at the top */
	ck_assert_int_eq(parse("7")->i, 7);
	ck_assert_str_eq(parse(" \"top\" ")->str, "top");
	ck_assert_int_eq(parse("null")->type, JT_NULL);
}
END_TEST

START_TEST(test_strings)
{
	const struct jnode *r = parse(
		"[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20ac\", "
		"\"\\ud83d\\ude00\", \"caf\xc3\xa9\", \"z\\u0000z\", "
		"\"\"]");

	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(jnode_at(r, 0)->str, "a\"b\\c/d\b\f\n\r\t");
	ck_assert_uint_eq(jnode_at(r, 0)->len, 12);
	ck_assert_str_eq(jnode_at(r, 1)->str, "\xc3\xa9\xe2\x82\xac");
	ck_assert_str_eq(jnode_at(r, 2)->str, "\xf0\x9f\x98\x80");
	ck_assert_str_eq(jnode_at(r, 3)->str, "caf\xc3\xa9");
	ck_assert_uint_eq(jnode_at(r, 4)->len, 3);
	ck_assert_int_eq(memcmp(jnode_at(r, 4)->str, "z\0z", 3), 0);
	ck_assert_str_eq(jnode_at(r, 5)->str, "");
	/* escaped names are found by their value */
	r = parse("{\"a\\u0062\": 1}");
	ck_assert_int_eq(jnode_get(r, "ab")->i, 1);
	/* the caller's text is not touched */
	char in[] = "[\"x\\ty\"]";
	r = jdoc_parse(&d, in, strlen(in));
	ck_assert_str_eq(jnode_at(r, 0)->str, "x\ty");
	ck_assert_str_eq(in, "[\"x\\ty\"]");
	/* bad UTF-8 passes without JDOC_UTF8 ... */
	ck_assert_ptr_nonnull(parse("\"\xff\""));
	jdoc_free(&d);
	/* ... and not with it */
	jdoc_init(&d, 4, JDOC_UTF8);
	bad("\"ok \xff\"", "at byte 4: invalid UTF-8 in a string");
	bad("\"\xc0\xaf\"", "at byte 1: invalid UTF-8 in a string");
	bad("\"\xed\xa0\x80\"", "at byte 1: invalid UTF-8 in a string");
	bad("\"\xe2\x82\"", "at byte 1: invalid UTF-8 in a string");
	ck_assert_str_eq(parse("\"\xe2\x82\xac\xf4\x8f\xbf\xbf\"")->str,
			 "\xe2\x82\xac\xf4\x8f\xbf\xbf");
}
END_TEST

START_TEST(test_numbers)
{
	const struct jnode *r =
		parse("[9223372036854775807, -9223372036854775808, "
		      "9223372036854775808, 0, -0, 1e3, 2.5E-1, "
		      "123456789012345678901234567890]");

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(jnode_at(r, 0)->type, JT_INT);
	ck_assert_int_eq(jnode_at(r, 0)->i, INT64_MAX);
	ck_assert_int_eq(jnode_at(r, 1)->i, INT64_MIN);
	ck_assert_int_eq(jnode_at(r, 2)->type, JT_DOUBLE);
	ck_assert_int_eq(jnode_at(r, 2)->big, 1);
	ck_assert(jnode_double(jnode_at(r, 2)) == 9223372036854775808.0);
	ck_assert_int_eq(jnode_at(r, 3)->i, 0);
	ck_assert_int_eq(jnode_at(r, 4)->type, JT_INT);
	ck_assert(jnode_double(jnode_at(r, 5)) == 1000.0);
	ck_assert_int_eq(jnode_at(r, 5)->big, 0);
	ck_assert(jnode_double(jnode_at(r, 6)) == 0.25);
	ck_assert_uint_eq(jnode_at(r, 6)->len, 6);
	ck_assert(jnode_double(jnode_at(r, 7)) > 1.2e29);
	ck_assert_int_eq(jnode_at(r, 7)->big, 1);
	/* converted when asked: an integer too, a text longer than 63
	 * bytes, and 0 for what is not a number */
	ck_assert(jnode_double(jnode_at(r, 0)) == 9223372036854775807.0);
	r = parse("[0.500000000000000000000000000000000000000000000000000000"
		  "000000000000001, \"1.5\"]");
	ck_assert_uint_eq(jnode_at(r, 0)->len, 71);
	ck_assert(jnode_double(jnode_at(r, 0)) == 0.5);
	ck_assert(jnode_double(jnode_at(r, 1)) == 0);
	ck_assert(jnode_double(NULL) == 0);
	/* a number ending the text */
	r = parse("3.75");
	ck_assert(jnode_double(r) == 3.75);
	ck_assert_uint_eq(r->len, 4);
}
END_TEST

START_TEST(test_malformed)
{
	bad("", "at byte 0: unexpected end of input");
	bad("   ", "at byte 3: unexpected end of input");
	bad("{", "at byte 1: expected a member name in quotes");
	bad("{\"a\" 1}", "at byte 5: expected ':' after a member name");
	bad("{\"a\": 1,}", "at byte 8: expected a member name in quotes");
	bad("[1 2]", "at byte 3: expected ',' or ']'");
	bad("{\"a\": 1 \"b\": 2}", "at byte 8: expected ',' or '}'");
	bad("[1,]", "at byte 3: unexpected ']'");
	bad("{} x", "at byte 3: data after the value");
	bad("\"abc", "at byte 0: unterminated string");
	bad("\"a\tb\"", "at byte 2: control character 0x09 in a string");
	bad("\"\\x\"", "at byte 1: invalid escape '\\x'");
	bad("\"\\u12g4\"", "at byte 1: invalid \\u escape");
	bad("\"\\udc00\"", "at byte 1: \\u escape of a lone surrogate");
	bad("\"\\ud800x\"", "at byte 1: \\u escape of a lone surrogate");
	bad("tru", "at byte 0: expected 'true'");
	bad("[nul]", "at byte 1: expected 'null'");
	bad("fals", "at byte 0: expected 'false'");
	bad("NaN", "at byte 0: unexpected 'N'");
	bad("'a'", "at byte 0: unexpected '''");
	bad("-", "at byte 0: invalid number");
	bad("1.", "at byte 0: invalid number");
	bad("1e+", "at byte 0: invalid number");
	bad("01", "at byte 0: invalid number (a leading zero)");
	bad("\x01", "at byte 0: unexpected byte 0x01");
	/* max_depth 4: four levels parse, five do not */
	ck_assert_ptr_nonnull(parse("[[[[1]]]]"));
	bad("[[[[[1]]]]]", "at byte 4: nested deeper than 4 levels");
	bad("{\"a\":{\"b\":[[{}]]}}",
	    "at byte 12: nested deeper than 4 levels");
}
END_TEST

START_TEST(test_reuse_and_growth)
{
	/* a large document grows the arrays; a small one after reuses them */
	size_t n = 5000;
	char *big = malloc(n * 16 + 16);
	size_t len = 0;

	big[len++] = '[';
	for (size_t k = 0; k < n; k++)
		len += (size_t)sprintf(big + len, "%s\"v%zu\"", k ? "," : "",
				       k);
	big[len++] = ']';
	const struct jnode *r = jdoc_parse(&d, big, len);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->len, n);
	ck_assert_str_eq(jnode_at(r, 4999)->str, "v4999");
	free(big);
	r = parse("{\"k\": \"v\", \"k\": \"last\"}");
	ck_assert_str_eq(jnode_get(r, "k")->str, "last");
	ck_assert_uint_eq(r->len, 2);
	/* a failed parse leaves nothing behind for the next */
	bad("[1", "at byte 2: expected ',' or ']'");
	ck_assert_int_eq(parse("[1]")->len, 1);
	ck_assert_str_eq(d.err, "");
	ck_assert_int_eq(d.oom, 0);
}
END_TEST

static Suite *jdoc_suite(void)
{
	Suite *s = suite_create("jdoc");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_types);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_reuse_and_growth);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(jdoc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
