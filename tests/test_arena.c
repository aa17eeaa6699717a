/*
 * test_arena - the staging arena: copies are exact and aligned, survive
 * every later copy until a reset, big copies get blocks of their own, and
 * a reset keeps one standard block (valgrind and ASan see the rest).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

START_TEST(copies_stay_put)
{
	struct arena a = {0};
	char *p[5000];
	char want[64];

	for (int i = 0; i < 5000; i++) {
		snprintf(want, sizeof(want), "record %d of the batch", i);
		p[i] = arena_copy(&a, want, strlen(want) + 1);
		ck_assert_uint_eq((uintptr_t)p[i] % 8, 0);
	}
	/* 5000 * 32 bytes spans blocks: the early copies are intact. */
	for (int i = 0; i < 5000; i++) {
		snprintf(want, sizeof(want), "record %d of the batch", i);
		ck_assert_str_eq(p[i], want);
	}
	ck_assert_str_eq(arena_strdup(&a, "pos-17"), "pos-17");
	ck_assert_ptr_nonnull(arena_copy(&a, NULL, 0));
	arena_free(&a);
	ck_assert_ptr_null(a.head);
}
END_TEST

START_TEST(big_copies)
{
	struct arena a = {0};
	size_t n = 5 * 1024 * 1024;
	unsigned char *big = malloc(n);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (unsigned char)(i * 7);

	/* A big copy first, then small ones, then another big one. */
	unsigned char *b1 = arena_copy(&a, big, n);
	char *s1 = arena_strdup(&a, "small after big");
	unsigned char *b2 = arena_copy(&a, big, 100000);
	char *s2 = arena_strdup(&a, "second small");
	ck_assert_int_eq(memcmp(b1, big, n), 0);
	ck_assert_int_eq(memcmp(b2, big, 100000), 0);
	ck_assert_str_eq(s1, "small after big");
	ck_assert_str_eq(s2, "second small");

	/* After a reset the arena serves again from the kept block. */
	arena_reset(&a);
	ck_assert_ptr_nonnull(a.head);
	char *s3 = arena_strdup(&a, "after reset");
	ck_assert_ptr_eq(s3, s1);
	ck_assert_str_eq(s3, "after reset");
	arena_reset(&a);
	arena_reset(&a);
	arena_free(&a);
	arena_reset(&a); /* an empty arena resets to empty */
	ck_assert_ptr_null(a.head);
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("arena");
	tcase_add_test(tc, copies_stay_put);
	tcase_add_test(tc, big_copies);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
