/*
 * test_tracker - acknowledgement windows: what may be committed is the
 * last entry before the first one still pending, whatever order the acks
 * come in; positions, short (kept in the entry) or long (allocated),
 * come out exactly; a window keeps its order across ring growth; a
 * dropped window gives its pending counts back.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracker.h"

START_TEST(out_of_order_acks)
{
	struct tracker_set s = {0};
	size_t w = tracker_get(&s, "task-0", -1);
	void *ref[5];
	char pos[32];
	for (int i = 0; i < 5; i++) {
		snprintf(pos, sizeof(pos), "%d", 100 + i);
		ref[i] = tracker_ref(w, tracker_push(&s, w, i, pos, 1));
	}
	ck_assert_uint_eq(s.pending_total, 5);
	ck_assert_int_eq(s.v[w].has_done, 0);
	tracker_ack(&s, ref[2]);
	tracker_ack(&s, ref[1]);
	ck_assert_int_eq(s.v[w].has_done, 0); /* entry 0 still pending */
	tracker_ack(&s, ref[0]);
	ck_assert_int_eq(s.v[w].has_done, 1);
	ck_assert_int_eq(s.v[w].done_mark, 2);
	ck_assert_str_eq(s.v[w].done_position, "102");
	tracker_ack(&s, ref[4]);
	ck_assert_str_eq(s.v[w].done_position, "102");
	tracker_ack(&s, ref[3]);
	ck_assert_int_eq(s.v[w].done_mark, 4);
	ck_assert_str_eq(s.v[w].done_position, "104");
	ck_assert_uint_eq(s.pending_total, 0);
	tracker_ack(&s, ref[3]); /* a repeated ack changes nothing */
	ck_assert_uint_eq(s.pending_total, 0);
	tracker_set_free(&s);
}
END_TEST

START_TEST(long_and_short_positions)
{
	struct tracker_set s = {0};
	size_t w = tracker_get(&s, "file", -1);
	char longpos[200];
	memset(longpos, 'x', sizeof(longpos) - 1);
	longpos[sizeof(longpos) - 1] = '\0';
	const char *want[] = {"1", longpos, "a position of exactly 23",
			      "a position of exactly 24!", "2"};
	for (int i = 0; i < 5; i++) {
		void *r = tracker_ref(w, tracker_push(&s, w, i, want[i], 1));
		tracker_ack(&s, r);
		ck_assert_str_eq(s.v[w].done_position, want[i]);
	}
	/* Entries without a position keep the last one. */
	tracker_ack(&s, tracker_ref(w, tracker_push(&s, w, 9, NULL, 1)));
	ck_assert_str_eq(s.v[w].done_position, "2");
	ck_assert_int_eq(s.v[w].done_mark, 9);
	/* Pending long positions are freed with the window (valgrind). */
	tracker_push(&s, w, 10, longpos, 1);
	tracker_push(&s, w, 11, "short", 1);
	tracker_set_free(&s);
}
END_TEST

START_TEST(growth_keeps_order)
{
	struct tracker_set s = {0};
	size_t w = tracker_get(&s, "t", 3);
	enum { N = 1000 };
	void **ref = calloc(N, sizeof(*ref));
	char pos[32];
	ck_assert_ptr_nonnull(ref);
	for (int i = 0; i < N; i++) {
		snprintf(pos, sizeof(pos), "p%d", i);
		ref[i] = tracker_ref(w, tracker_push(&s, w, i, pos, 2));
	}
	/* Every second ack of each entry, newest first: nothing done. */
	for (int i = N - 1; i >= 0; i--)
		tracker_ack(&s, ref[i]);
	ck_assert_int_eq(s.v[w].has_done, 0);
	ck_assert_uint_eq(s.pending_total, N);
	for (int i = N - 1; i >= 1; i--)
		tracker_ack(&s, ref[i]);
	ck_assert_int_eq(s.v[w].has_done, 0);
	tracker_ack(&s, ref[0]);
	ck_assert_int_eq(s.v[w].done_mark, N - 1);
	ck_assert_str_eq(s.v[w].done_position, "p999");
	ck_assert_uint_eq(s.pending_total, 0);
	free(ref);
	tracker_set_free(&s);
}
END_TEST

START_TEST(drop_returns_pending)
{
	struct tracker_set s = {0};
	size_t a = tracker_get(&s, "t", 0);
	size_t b = tracker_get(&s, "t", 1);
	ck_assert_uint_ne(a, b);
	ck_assert_uint_eq(tracker_get(&s, "t", 1), b);
	tracker_push(&s, a, 1, "x", 3);
	tracker_push(&s, b, 1, "y", 2);
	tracker_add_pending(&s, b, 4);
	ck_assert_uint_eq(s.pending_total, 9);
	tracker_drop(&s, b);
	ck_assert_uint_eq(s.pending_total, 3);
	ck_assert_int_eq(tracker_find(&s, "t", 1), -1);
	ck_assert_int_eq(tracker_find(&s, "t", 0), (long)a);
	tracker_set_free(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tracker");
	TCase *tc = tcase_create("tracker");
	tcase_add_test(tc, out_of_order_acks);
	tcase_add_test(tc, long_and_short_positions);
	tcase_add_test(tc, growth_keeps_order);
	tcase_add_test(tc, drop_returns_pending);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
