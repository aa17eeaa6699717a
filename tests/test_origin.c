/*
 * test_origin - origin stamps (host/origin.c): the header a transform's
 * outputs carry, and the marks a stateful task drops replays by, through
 * a position marker and back.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "origin.h"

/* A record as a stateful task reads it, with up to 4 headers. */
struct rec {
	struct sluice_record r;
	struct sluice_header h[4];
	char stamp[4][128];
};

static void rec_init(struct rec *x, const char *topic, int32_t partition)
{
	memset(x, 0, sizeof(*x));
	x->r = (struct sluice_record){.topic = topic, .partition = partition};
	x->r.headers = x->h;
}

static void rec_header(struct rec *x, const char *name, const char *value)
{
	size_t i = x->r.header_count++;
	snprintf(x->stamp[i], sizeof(x->stamp[i]), "%s", value);
	x->h[i] = (struct sluice_header){name, x->stamp[i], strlen(value)};
}

/* Input partition in_p of "gold_in", stamped up/<p>/<offset>/<ordinal>. */
static int seen(struct origin_marks *m, int32_t in_p, int p, long offset,
		long ordinal)
{
	struct rec x;
	char v[96];
	rec_init(&x, "gold_in", in_p);
	snprintf(v, sizeof(v), "up/%d/%ld/%ld", p, offset, ordinal);
	rec_header(&x, ORIGIN_HEADER, v);
	return origin_marks_seen(m, &x.r);
}

START_TEST(stamp_set_and_read)
{
	struct sluice_record in = {
		.topic = "bronze_transactions", .partition = 7, .offset = 123};
	rd_kafka_headers_t *h = NULL;
	origin_stamp_set(&h, &in, 2);
	ck_assert_ptr_nonnull(h);
	const void *v;
	size_t len;
	ck_assert_int_eq(rd_kafka_header_get_last(h, ORIGIN_HEADER, &v, &len),
			 0);
	ck_assert_int_eq((int)len, (int)strlen("bronze_transactions/7/123/2"));
	ck_assert(!memcmp(v, "bronze_transactions/7/123/2", len));
	/* A stamp the plugin copied from its own input is replaced. */
	in.offset = 124;
	origin_stamp_set(&h, &in, 0);
	size_t n = 0;
	for (size_t i = 0;; i++) {
		const char *name;
		if (rd_kafka_header_get_all(h, i, &name, &v, &len))
			break;
		n += !strcmp(name, ORIGIN_HEADER);
	}
	ck_assert_int_eq((int)n, 1);
	rd_kafka_header_get_last(h, ORIGIN_HEADER, &v, &len);
	ck_assert(!memcmp(v, "bronze_transactions/7/124/0", len));
	rd_kafka_headers_destroy(h);

	/* The largest numbers; a 249-byte name (Kafka's longest) is
	 * stamped, a longer one is not. */
	static char name[251];
	memset(name, 't', 249);
	in = (struct sluice_record){
		.topic = "x", .partition = INT32_MAX, .offset = INT64_MAX};
	h = NULL;
	origin_stamp_set(&h, &in, INT64_MAX);
	rd_kafka_header_get_last(h, ORIGIN_HEADER, &v, &len);
	const char *want = "x/2147483647/9223372036854775807/"
			   "9223372036854775807";
	ck_assert_int_eq((int)len, (int)strlen(want));
	ck_assert(!memcmp(v, want, len));
	rd_kafka_headers_destroy(h);
	in.topic = name;
	h = NULL;
	origin_stamp_set(&h, &in, 0);
	ck_assert_ptr_nonnull(h);
	rd_kafka_header_get_last(h, ORIGIN_HEADER, &v, &len);
	ck_assert_int_eq((int)len, 249 + 1 + 10 + 1 + 19 + 1 + 1);
	rd_kafka_headers_destroy(h);
	name[249] = 't';
	h = NULL;
	origin_stamp_set(&h, &in, 0);
	ck_assert_ptr_null(h);
}
END_TEST

START_TEST(stamp_parse)
{
	struct rec x;
	struct origin_stamp s;
	rec_init(&x, "t", 0);
	ck_assert_int_eq(origin_stamp_of(&x.r, &s), 0); /* no header */
	rec_header(&x, "other", "a/1/2/3");
	rec_header(&x, ORIGIN_HEADER, "silver_items/31/9007199254740993/4");
	ck_assert_int_eq(origin_stamp_of(&x.r, &s), 1);
	ck_assert_int_eq((int)s.topic_len, 12);
	ck_assert(!memcmp(s.topic, "silver_items", 12));
	ck_assert_int_eq(s.partition, 31);
	ck_assert(s.offset == 9007199254740993LL);
	ck_assert_int_eq(s.ordinal, 4);
	/* The last stamp counts. */
	rec_header(&x, ORIGIN_HEADER, "up/1/5/0");
	ck_assert_int_eq(origin_stamp_of(&x.r, &s), 1);
	ck_assert_int_eq(s.offset, 5);
	static const char *const bad[] = {"",
					  "up",
					  "/1/2/3",
					  "up/1/2",
					  "up/1/2/3/",
					  "up/1/2/3/4",
					  "up/-1/2/3",
					  "up/1/x/3",
					  "up/1//3",
					  "up/1/2/3 ",
					  "up/2147483648/0/0",
					  "up/1/99999999999999999999/0"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rec_init(&x, "t", 0);
		rec_header(&x, ORIGIN_HEADER, bad[i]);
		ck_assert_msg(origin_stamp_of(&x.r, &s) == 0,
			      "'%s' parsed as a stamp", bad[i]);
	}
}
END_TEST

START_TEST(marks_drop_replays)
{
	struct origin_marks m;
	origin_marks_init(&m);
	/* In order: new. */
	ck_assert_int_eq(seen(&m, 0, 3, 10, 0), 0);
	ck_assert_int_eq(seen(&m, 0, 3, 10, 1), 0);
	ck_assert_int_eq(seen(&m, 0, 3, 12, 0), 0);
	/* The upstream restarted at offset 10: all three again, dropped. */
	ck_assert_int_eq(seen(&m, 0, 3, 10, 0), 1);
	ck_assert_int_eq(seen(&m, 0, 3, 10, 1), 1);
	ck_assert_int_eq(seen(&m, 0, 3, 12, 0), 1);
	/* Past the mark: new again. */
	ck_assert_int_eq(seen(&m, 0, 3, 12, 1), 0);
	ck_assert_int_eq(seen(&m, 0, 3, 13, 0), 0);
	/* Another origin partition, another input partition: their own. */
	ck_assert_int_eq(seen(&m, 0, 4, 10, 0), 0);
	ck_assert_int_eq(seen(&m, 1, 3, 10, 0), 0);
	ck_assert_int_eq(seen(&m, 1, 3, 10, 0), 1);
	/* Unstamped: never seen. */
	struct rec x;
	rec_init(&x, "gold_in", 0);
	ck_assert_int_eq(origin_marks_seen(&m, &x.r), 0);
	ck_assert_int_eq(origin_marks_seen(&m, &x.r), 0);
	ck_assert_int_eq((int)m.map.n, 3);
	origin_marks_free(&m);
}
END_TEST

START_TEST(marks_through_a_marker)
{
	struct origin_marks m, back;
	origin_marks_init(&m);
	origin_marks_init(&back);
	seen(&m, 0, 3, 12, 1);
	seen(&m, 5, 0, 4000000000LL, 0);
	json_object *marker = json_object_new_object();
	json_object *parts = json_object_new_object();
	json_object_object_add(parts, "0", json_object_new_int64(99));
	json_object_object_add(marker, "gold_in", parts);
	origin_marks_to_json(&m, marker);
	json_object *o;
	ck_assert(json_object_object_get_ex(marker, ORIGIN_MARKER_KEY, &o));
	ck_assert_str_eq(json_object_to_json_string_ext(
				 json_object_object_get(o, "gold_in/0 up/3"),
				 JSON_C_TO_STRING_PLAIN),
			 "[12,1]");
	char err[256] = "";
	ck_assert_int_eq(
		origin_marks_from_json(&back, marker, err, sizeof(err)), 0);
	ck_assert_int_eq((int)back.map.n, 2);
	ck_assert_int_eq(seen(&back, 0, 3, 12, 1), 1);
	ck_assert_int_eq(seen(&back, 0, 3, 12, 2), 0);
	ck_assert_int_eq(seen(&back, 5, 0, 4000000000LL, 0), 1);
	ck_assert_int_eq(seen(&back, 5, 0, 4000000001LL, 0), 0);
	json_object_put(marker);

	/* A marker without marks (written before stamps) clears them. */
	marker = json_tokener_parse("{\"gold_in\":{\"0\":5}}");
	ck_assert_int_eq(
		origin_marks_from_json(&back, marker, err, sizeof(err)), 0);
	ck_assert_int_eq((int)back.map.n, 0);
	json_object_put(marker);

	static const char *const bad[] = {
		"{\"sluice/origins\":[1,2]}",
		"{\"sluice/origins\":{\"gold_in/0 up/3\":[1]}}",
		"{\"sluice/origins\":{\"gold_in/0 up/3\":7}}",
		"{\"sluice/origins\":{\"nospace\":[1,2]}}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		seen(&back, 0, 3, 1, 0);
		marker = json_tokener_parse(bad[i]);
		ck_assert_ptr_nonnull(marker);
		err[0] = '\0';
		ck_assert_msg(origin_marks_from_json(&back, marker, err,
						     sizeof(err)) == -1,
			      "%s accepted", bad[i]);
		ck_assert_msg(strstr(err, ORIGIN_MARKER_KEY) != NULL, "%s",
			      err);
		ck_assert_int_eq((int)back.map.n, 0);
		json_object_put(marker);
	}
	/* Nothing to save: no key at all. */
	marker = json_object_new_object();
	origin_marks_to_json(&back, marker);
	ck_assert_int_eq(json_object_object_length(marker), 0);
	json_object_put(marker);
	origin_marks_free(&m);
	origin_marks_free(&back);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("origin");
	TCase *tc = tcase_create("origin");
	tcase_add_test(tc, stamp_set_and_read);
	tcase_add_test(tc, stamp_parse);
	tcase_add_test(tc, marks_drop_replays);
	tcase_add_test(tc, marks_through_a_marker);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
