/*
 * test_table - JSON Lines as an aligned text table (host/table.c): exact
 * output for alignment, missing members, nested values, UTF-8 widths,
 * sorting and the row limit; bad lines refused with the reason.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

static struct table *t;

static void add(const char *line)
{
	char err[256];
	ck_assert_int_eq(table_add_line(t, line, strlen(line), err, sizeof err),
			 0);
}

/* What table_print writes, as a string the caller frees. */
static char *printed(size_t max_rows)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	table_print(t, max_rows, f);
	fclose(f);
	return buf;
}

static void setup(void)
{
	t = table_new();
}

static void teardown(void)
{
	table_free(t);
}

START_TEST(aligned)
{
	add("{\"date\":\"2026-01-02\",\"daily_revenue\":1234.50,\"n\":7}\n");
	add("{\"date\":\"2026-01-01\",\"daily_revenue\":99.05,\"n\":12}\n");
	char *s = printed(0);
	ck_assert_str_eq(s, "date        daily_revenue   n\n"
			    "----------  -------------  --\n"
			    "2026-01-02        1234.50   7\n"
			    "2026-01-01          99.05  12\n"
			    "(2 rows)\n");
	free(s);
}
END_TEST

START_TEST(missing_nested_utf8)
{
	add("{\"name\":\"Zoë\",\"tags\":[\"a\",1],\"x\":null}");
	add("");
	add("  \n");
	add("{\"city\":\"Köln\",\"name\":\"Al\"}");
	ck_assert_uint_eq(table_rows(t), 2);
	char *s = printed(0);
	ck_assert_str_eq(s, "name  tags     x     city\n"
			    "----  -------  ----  ----\n"
			    "Zoë   [\"a\",1]  null\n"
			    "Al                   Köln\n"
			    "(2 rows)\n");
	free(s);
}
END_TEST

START_TEST(sorted_and_limited)
{
	add("{\"user_id\":3,\"total_spent\":10.00}");
	add("{\"user_id\":1,\"total_spent\":250.10}");
	add("{\"user_id\":2}");
	add("{\"user_id\":4,\"total_spent\":9.99}");
	table_sort(t, "total_spent", 1);
	char *s = printed(2);
	ck_assert_str_eq(s, "user_id  total_spent\n"
			    "-------  -----------\n"
			    "      1       250.10\n"
			    "      3        10.00\n"
			    "(showing 2 of 4 rows)\n");
	free(s);
	table_sort(t, "total_spent", 0);
	s = printed(0);
	ck_assert_str_eq(s, "user_id  total_spent\n"
			    "-------  -----------\n"
			    "      4         9.99\n"
			    "      3        10.00\n"
			    "      1       250.10\n"
			    "      2\n"
			    "(4 rows)\n");
	free(s);
}
END_TEST

START_TEST(bad_lines)
{
	char err[256];
	const char *bad[] = {"[1,2]", "{\"a\":", "nope", "\"text\""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_int_eq(table_add_line(t, bad[i], strlen(bad[i]), err,
						sizeof err),
				 -1);
	ck_assert_int_eq(table_add_line(t, "[1]", 3, err, sizeof err), -1);
	ck_assert_str_eq(err, "not a JSON object");
	ck_assert_uint_eq(table_rows(t), 0);
	char *s = printed(0);
	ck_assert_str_eq(s, "\n\n(0 rows)\n");
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("table");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, aligned);
	tcase_add_test(tc, missing_nested_utf8);
	tcase_add_test(tc, sorted_and_limited);
	tcase_add_test(tc, bad_lines);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
