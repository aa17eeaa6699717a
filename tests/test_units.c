/*
 * test_units - value syntaxes: integers, numbers, booleans, sizes,
 * durations, formatting, quoting and did-you-mean.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

static char err[256];

static int64_t size_ok(const char *s)
{
	int64_t v = -1;
	err[0] = '\0';
	ck_assert_msg(units_parse_size(s, &v, err, sizeof(err)) == 0,
		      "'%s': %s", s, err);
	return v;
}

static int64_t dur_ok(const char *s)
{
	int64_t v = -1;
	err[0] = '\0';
	ck_assert_msg(units_parse_duration_ms(s, &v, err, sizeof(err)) == 0,
		      "'%s': %s", s, err);
	return v;
}

/* Each refusal: -1, the output untouched, and exactly this message. */
#define REFUSED(fn, type, s, msg)                                              \
	do {                                                                   \
		type v_ = 7;                                                   \
		ck_assert_int_eq(fn(s, &v_, err, sizeof(err)), -1);            \
		ck_assert_str_eq(err, msg);                                    \
		ck_assert(v_ == 7);                                            \
	} while (0)
#define BAD_INT(s, msg) REFUSED(units_parse_int, int64_t, s, msg)
#define BAD_DOUBLE(s, msg) REFUSED(units_parse_double, double, s, msg)
#define BAD_BOOL(s, msg) REFUSED(units_parse_bool, int, s, msg)
#define BAD_SIZE(s, msg) REFUSED(units_parse_size, int64_t, s, msg)
#define BAD_DUR(s, msg) REFUSED(units_parse_duration_ms, int64_t, s, msg)

START_TEST(ints)
{
	int64_t v;
	ck_assert_int_eq(units_parse_int("0", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(units_parse_int("-42", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, -42);
	ck_assert_int_eq(units_parse_int("+7", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(units_parse_int("007", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(
		units_parse_int("9223372036854775807", &v, err, sizeof(err)),
		0);
	ck_assert(v == INT64_MAX);
	ck_assert_int_eq(
		units_parse_int("-9223372036854775808", &v, err, sizeof(err)),
		0);
	ck_assert(v == INT64_MIN);
	/* err may be NULL */
	ck_assert_int_eq(units_parse_int("x", &v, NULL, 0), -1);
}
END_TEST

START_TEST(ints_bad)
{
	BAD_INT("", "expected an integer, got ''");
	BAD_INT(" 5", "expected an integer, got ' 5'");
	BAD_INT("5 ", "expected an integer, got '5 '");
	BAD_INT("5x", "expected an integer, got '5x'");
	BAD_INT("1.5", "expected an integer, got '1.5'");
	BAD_INT("1e3", "expected an integer, got '1e3'");
	BAD_INT("0x10", "expected an integer, got '0x10'");
	BAD_INT("-", "expected an integer, got '-'");
	BAD_INT("--1", "expected an integer, got '--1'");
	BAD_INT("9223372036854775808",
		"'9223372036854775808' does not fit in a 64-bit integer");
	BAD_INT("-9223372036854775809",
		"'-9223372036854775809' does not fit in a 64-bit integer");
	BAD_INT("a\tb", "expected an integer, got 'a?b'");
}
END_TEST

START_TEST(doubles)
{
	double v;
	ck_assert_int_eq(units_parse_double("0.5", &v, err, sizeof(err)), 0);
	ck_assert(v == 0.5);
	ck_assert_int_eq(units_parse_double("-2", &v, err, sizeof(err)), 0);
	ck_assert(v == -2.0);
	ck_assert_int_eq(units_parse_double(".25", &v, err, sizeof(err)), 0);
	ck_assert(v == 0.25);
	ck_assert_int_eq(units_parse_double("3.", &v, err, sizeof(err)), 0);
	ck_assert(v == 3.0);
	ck_assert_int_eq(units_parse_double("1e3", &v, err, sizeof(err)), 0);
	ck_assert(v == 1000.0);
	ck_assert_int_eq(units_parse_double("+1.5E-2", &v, err, sizeof(err)),
			 0);
	ck_assert(fabs(v - 0.015) < 1e-12);
	/* underflow is a tiny number, not an error */
	ck_assert_int_eq(units_parse_double("1e-400", &v, err, sizeof(err)), 0);
	ck_assert(v >= 0 && v < 1e-300);
}
END_TEST

START_TEST(doubles_bad)
{
	BAD_DOUBLE("", "expected a number, got ''");
	BAD_DOUBLE("nan", "expected a number, got 'nan'");
	BAD_DOUBLE("NaN", "expected a number, got 'NaN'");
	BAD_DOUBLE("inf", "expected a number, got 'inf'");
	BAD_DOUBLE("-infinity", "expected a number, got '-infinity'");
	BAD_DOUBLE("0x1p3", "expected a number, got '0x1p3'");
	BAD_DOUBLE(" 1", "expected a number, got ' 1'");
	BAD_DOUBLE("1 ", "expected a number, got '1 '");
	BAD_DOUBLE(".", "expected a number, got '.'");
	BAD_DOUBLE("1e", "expected a number, got '1e'");
	BAD_DOUBLE("1.2.3", "expected a number, got '1.2.3'");
	BAD_DOUBLE("1e999", "'1e999' is out of range for a number");
	BAD_DOUBLE("-1e999", "'-1e999' is out of range for a number");
}
END_TEST

START_TEST(bools)
{
	static const char *const yes[] = {"true", "TRUE", "True", "yes",
					  "Yes",  "on",	  "ON"};
	static const char *const no[] = {"false", "FALSE", "no",
					 "No",	  "off",   "Off"};
	int v;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		v = 0;
		ck_assert_int_eq(units_parse_bool(yes[i], &v, err, sizeof(err)),
				 0);
		ck_assert_int_eq(v, 1);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		v = 1;
		ck_assert_int_eq(units_parse_bool(no[i], &v, err, sizeof(err)),
				 0);
		ck_assert_int_eq(v, 0);
	}
	BAD_BOOL("", "expected true or false, got ''");
	BAD_BOOL("1", "expected true or false, got '1'");
	BAD_BOOL("y", "expected true or false, got 'y'");
	BAD_BOOL("true ", "expected true or false, got 'true '");
}
END_TEST

START_TEST(sizes)
{
	ck_assert_int_eq(size_ok("0"), 0);
	ck_assert_int_eq(size_ok("1048576"), 1048576);
	ck_assert_int_eq(size_ok("0B"), 0);
	ck_assert_int_eq(size_ok("1500B"), 1500);
	ck_assert_int_eq(size_ok("2KB"), 2000);
	ck_assert_int_eq(size_ok("3MB"), 3000000);
	ck_assert_int_eq(size_ok("4GB"), INT64_C(4000000000));
	ck_assert_int_eq(size_ok("5TB"), INT64_C(5000000000000));
	ck_assert_int_eq(size_ok("512KiB"), 512 * 1024);
	ck_assert_int_eq(size_ok("5MiB"), 5 * 1024 * 1024);
	ck_assert_int_eq(size_ok("1GiB"), INT64_C(1) << 30);
	ck_assert_int_eq(size_ok("2TiB"), INT64_C(2) << 40);
	ck_assert_int_eq(size_ok("1.5MiB"), 1536 * 1024);
	ck_assert_int_eq(size_ok("1.5KB"), 1500);
	ck_assert_int_eq(size_ok("0.5KiB"), 512);
	ck_assert_int_eq(size_ok("1.000B"), 1);
	ck_assert_int_eq(size_ok("0.001KB"), 1);
	ck_assert_int_eq(size_ok("9223372036854775807"), INT64_MAX);
	ck_assert_int_eq(size_ok("8388607TiB"), INT64_C(8388607) << 40);
	ck_assert_int_eq(size_ok("9223372036854775807B"), INT64_MAX);
}
END_TEST

START_TEST(sizes_bad)
{
	BAD_SIZE("", "expected a size such as 5MiB, got ''");
	BAD_SIZE("lots", "expected a size such as 5MiB, got 'lots'");
	BAD_SIZE(" 5MiB", "expected a size such as 5MiB, got ' 5MiB'");
	BAD_SIZE("5MiB ", "expected a size such as 5MiB, got '5MiB '");
	BAD_SIZE("5 MiB", "expected a size such as 5MiB, got '5 MiB' (no "
			  "space before the unit)");
	BAD_SIZE("-5MiB", "a size cannot be negative: '-5MiB'");
	BAD_SIZE("-1", "a size cannot be negative: '-1'");
	BAD_SIZE("+5MiB", "expected a size such as 5MiB, got '+5MiB'");
	BAD_SIZE("5mb", "unknown size unit 'mb' in '5mb'; did you mean 'MB'?");
	BAD_SIZE("5mib", "unknown size unit 'mib' in '5mib'; did you mean "
			 "'MiB'?");
	BAD_SIZE("5K", "unknown size unit 'K' in '5K' (use B, KB, MB, GB, TB, "
		       "KiB, MiB, GiB or TiB)");
	BAD_SIZE("5PiB", "unknown size unit 'PiB' in '5PiB' (use B, KB, MB, "
			 "GB, TB, KiB, MiB, GiB or TiB)");
	BAD_SIZE("5MiB2", "expected a size such as 5MiB, got '5MiB2'");
	BAD_SIZE("MiB", "expected a size such as 5MiB, got 'MiB'");
	BAD_SIZE(".5MiB", "expected a size such as 5MiB, got '.5MiB'");
	BAD_SIZE("5.MiB", "expected a size such as 5MiB, got '5.MiB'");
	BAD_SIZE("1.2.3KiB", "expected a size such as 5MiB, got '1.2.3KiB'");
	BAD_SIZE("0.1B", "'0.1B' is not a whole number of bytes");
	BAD_SIZE("1.5", "'1.5' is not a whole number of bytes");
	BAD_SIZE("1.0001KB", "'1.0001KB' is not a whole number of bytes");
	BAD_SIZE("0.1234567890123456789KiB",
		 "'0.1234567890123456789KiB' is not a whole number of bytes");
	BAD_SIZE("9223372036854775808", "size '9223372036854775808' is too "
					"large");
	BAD_SIZE("8388608TiB", "size '8388608TiB' is too large");
	BAD_SIZE("99999999999999999999999TB",
		 "size '99999999999999999999999TB' "
		 "is too large");
}
END_TEST

START_TEST(durations)
{
	ck_assert_int_eq(dur_ok("0ms"), 0);
	ck_assert_int_eq(dur_ok("0s"), 0);
	ck_assert_int_eq(dur_ok("250ms"), 250);
	ck_assert_int_eq(dur_ok("30s"), 30000);
	ck_assert_int_eq(dur_ok("5m"), 300000);
	ck_assert_int_eq(dur_ok("1h"), 3600000);
	ck_assert_int_eq(dur_ok("2d"), 2 * 86400000);
	ck_assert_int_eq(dur_ok("1.5s"), 1500);
	ck_assert_int_eq(dur_ok("0.5m"), 30000);
	ck_assert_int_eq(dur_ok("0.001s"), 1);
	ck_assert_int_eq(dur_ok("9223372036854775807ms"), INT64_MAX);
}
END_TEST

START_TEST(durations_bad)
{
	BAD_DUR("", "expected a duration such as 250ms, 30s or 5m, got ''");
	BAD_DUR("30", "a duration needs a unit (ms, s, m, h or d): '30'");
	BAD_DUR("0", "a duration needs a unit (ms, s, m, h or d): '0'");
	BAD_DUR("1.5", "a duration needs a unit (ms, s, m, h or d): '1.5'");
	BAD_DUR("soon", "expected a duration such as 250ms, 30s or 5m, got "
			"'soon'");
	BAD_DUR("30 s", "expected a duration such as 250ms, 30s or 5m, got "
			"'30 s' (no space before the unit)");
	BAD_DUR("30s ", "expected a duration such as 250ms, 30s or 5m, got "
			"'30s '");
	BAD_DUR("-1s", "a duration cannot be negative: '-1s'");
	BAD_DUR("30S", "unknown duration unit 'S' in '30S'; did you mean 's'?");
	BAD_DUR("1MS", "unknown duration unit 'MS' in '1MS'; did you mean "
		       "'ms'?");
	BAD_DUR("30sec", "unknown duration unit 'sec' in '30sec' (use ms, s, "
			 "m, h or d)");
	BAD_DUR("1w", "unknown duration unit 'w' in '1w' (use ms, s, m, h or "
		      "d)");
	BAD_DUR("1m30s", "expected a duration such as 250ms, 30s or 5m, got "
			 "'1m30s'");
	BAD_DUR("1.5ms", "'1.5ms' is not a whole number of milliseconds");
	BAD_DUR("0.0001s", "'0.0001s' is not a whole number of milliseconds");
	BAD_DUR("106751991167301d", "duration '106751991167301d' is too "
				    "large");
	BAD_DUR("9223372036854775808ms", "duration '9223372036854775808ms' is "
					 "too large");
}
END_TEST

START_TEST(long_values_are_cut)
{
	char s[200];
	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	BAD_INT(s, "expected an integer, got "
		   "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'");
}
END_TEST

START_TEST(quote)
{
	char b[8];
	ck_assert_str_eq(units_quote("abc", b, sizeof(b)), "abc");
	ck_assert_str_eq(units_quote("abcdefg", b, sizeof(b)), "abcdefg");
	ck_assert_str_eq(units_quote("abcdefgh", b, sizeof(b)), "abcd...");
	ck_assert_str_eq(units_quote("a\nb\x7f", b, sizeof(b)), "a?b?");
	/* "é" is two bytes: not split */
	ck_assert_str_eq(units_quote("abc\xc3\xa9xyz", b, sizeof(b)), "abc...");
	ck_assert_str_eq(units_quote("abcdefgh", b, 4), "");
}
END_TEST

START_TEST(format_size)
{
	char b[32];
	units_format_size(0, b, sizeof(b));
	ck_assert_str_eq(b, "0B");
	units_format_size(1500, b, sizeof(b));
	ck_assert_str_eq(b, "1500B");
	units_format_size(1000, b, sizeof(b));
	ck_assert_str_eq(b, "1000B");
	units_format_size(1024, b, sizeof(b));
	ck_assert_str_eq(b, "1KiB");
	units_format_size(5 * 1024 * 1024, b, sizeof(b));
	ck_assert_str_eq(b, "5MiB");
	units_format_size(1536 * 1024, b, sizeof(b));
	ck_assert_str_eq(b, "1536KiB");
	units_format_size(INT64_C(3) << 30, b, sizeof(b));
	ck_assert_str_eq(b, "3GiB");
	units_format_size(INT64_C(1) << 50, b, sizeof(b));
	ck_assert_str_eq(b, "1024TiB");
	units_format_size(INT64_MAX, b, sizeof(b));
	ck_assert_str_eq(b, "9223372036854775807B");
}
END_TEST

START_TEST(format_duration)
{
	char b[32];
	units_format_duration(0, b, sizeof(b));
	ck_assert_str_eq(b, "0s");
	units_format_duration(250, b, sizeof(b));
	ck_assert_str_eq(b, "250ms");
	units_format_duration(30000, b, sizeof(b));
	ck_assert_str_eq(b, "30s");
	units_format_duration(90000, b, sizeof(b));
	ck_assert_str_eq(b, "90s");
	units_format_duration(300000, b, sizeof(b));
	ck_assert_str_eq(b, "5m");
	units_format_duration(7200000, b, sizeof(b));
	ck_assert_str_eq(b, "2h");
	units_format_duration(2 * 86400000, b, sizeof(b));
	ck_assert_str_eq(b, "2d");
	units_format_duration(1001, b, sizeof(b));
	ck_assert_str_eq(b, "1001ms");
}
END_TEST

/* Formatting and parsing agree on a spread of values. */
START_TEST(round_trip)
{
	static const int64_t v[] = {0,
				    1,
				    999,
				    1000,
				    1024,
				    1536,
				    60000,
				    86400000,
				    INT64_C(5) << 40,
				    INT64_C(1000000007),
				    INT64_MAX};
	char b[32];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		units_format_size(v[i], b, sizeof(b));
		ck_assert_int_eq(size_ok(b), v[i]);
		units_format_duration(v[i], b, sizeof(b));
		ck_assert_int_eq(dur_ok(b), v[i]);
	}
}
END_TEST

START_TEST(edit_distance)
{
	ck_assert_uint_eq(units_edit_distance("", ""), 0);
	ck_assert_uint_eq(units_edit_distance("abc", ""), 3);
	ck_assert_uint_eq(units_edit_distance("", "abc"), 3);
	ck_assert_uint_eq(units_edit_distance("kitten", "sitting"), 3);
	ck_assert_uint_eq(units_edit_distance("flush.size", "flsh.size"), 1);
	ck_assert_uint_eq(units_edit_distance("abc", "acb"), 2);
	ck_assert_uint_eq(units_edit_distance("same", "same"), 0);
}
END_TEST

START_TEST(suggest)
{
	static const char *const c[] = {"flush.size", "flush.interval",
					"bucket", NULL, "region"};
	ck_assert_str_eq(units_suggest("flsh.size", c, 5), "flush.size");
	ck_assert_str_eq(units_suggest("buckt", c, 5), "bucket");
	ck_assert_str_eq(units_suggest("regoin", c, 5), "region");
	/* len/3 for long words: 3 edits in 11 characters are still close */
	ck_assert_str_eq(units_suggest("flsh.intrvl", c, 5), "flush.interval");
	ck_assert_ptr_null(units_suggest("compression", c, 5));
	ck_assert_ptr_null(units_suggest("xyz", c, 5));
	ck_assert_ptr_null(units_suggest("bucket", c, 0));
	/* ties go to the first candidate */
	static const char *const t[] = {"ab", "ba"};
	ck_assert_str_eq(units_suggest("aa", t, 2), "ab");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("units");
	TCase *tc = tcase_create("units");
	tcase_add_test(tc, ints);
	tcase_add_test(tc, ints_bad);
	tcase_add_test(tc, doubles);
	tcase_add_test(tc, doubles_bad);
	tcase_add_test(tc, bools);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, sizes_bad);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, durations_bad);
	tcase_add_test(tc, long_values_are_cut);
	tcase_add_test(tc, quote);
	tcase_add_test(tc, format_size);
	tcase_add_test(tc, format_duration);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, edit_distance);
	tcase_add_test(tc, suggest);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
