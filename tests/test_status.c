/*
 * test_status.c - the text of `sluice status` (status_view.c) from fixed
 * GET /sluice/pipeline answers: exact columns, alignment, sums, rates,
 * unknown lag, failed tasks with their reason; answers of the wrong
 * shape are refused with a reason.
 */
#include <check.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "status_view.h"

static char *view(const char *json, char *err, size_t errlen)
{
	struct json_object *j = json_tokener_parse(json);
	ck_assert_ptr_nonnull(j);
	char *s = status_view(j, err, errlen);
	json_object_put(j);
	return s;
}

START_TEST(test_table)
{
	const char *json =
		"{\"version\":\"0.1.0\",\"worker_id\":\"127.0.0.1:8083\","
		"\"kafka_cluster_id\":\"abc\",\"connectors\":["
		"{\"name\":\"faker\",\"type\":\"source\",\"state\":\"RUNNING\","
		"\"records_in\":1200,\"records_out\":1190,\"rate_in\":20,"
		"\"rate_out\":19.96,\"lag\":null,\"tasks\":[{\"id\":0,"
		"\"state\":\"RUNNING\",\"records_in\":1200,\"records_out\":"
		"1190,"
		"\"rate_in\":20,\"rate_out\":19.96,\"lag\":null}]},"
		"{\"name\":\"bronze\",\"type\":\"transform\",\"state\":"
		"\"RUNNING\",\"records_in\":123456,\"records_out\":123000,"
		"\"rate_in\":1500.25,\"rate_out\":1499,\"lag\":17,\"tasks\":["
		"{\"id\":0,\"state\":\"RUNNING\",\"records_in\":100000,"
		"\"records_out\":99900,\"rate_in\":1500.25,\"rate_out\":1499,"
		"\"lag\":0},{\"id\":1,\"state\":\"FAILED\",\"trace\":\"put "
		"failed: disk "
		"full\",\"records_in\":23456,\"records_out\":23100,"
		"\"rate_in\":0,\"rate_out\":0,\"lag\":17}]}]}";
	char err[128];
	char *s = view(json, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(
		s,
		"worker 127.0.0.1:8083, sluice 0.1.0, Kafka cluster abc\n"
		"\n"
		"CONNECTOR  TASK  TYPE       STATE        IN     OUT    IN/S  "
		" OUT/S  LAG\n"
		"faker      -     source     RUNNING    1200    1190    20.0  "
		"  20.0    -\n"
		"faker      0                RUNNING    1200    1190    20.0  "
		"  20.0    -\n"
		"bronze     -     transform  RUNNING  123456  123000  1500.2  "
		"1499.0   17\n"
		"bronze     0                RUNNING  100000   99900  1500.2  "
		"1499.0    0\n"
		"bronze     1                FAILED    23456   23100     0.0  "
		"   0.0   17\n"
		"\n"
		"failed tasks:\n"
		"  bronze/1: put failed: disk full\n");
	free(s);
}
END_TEST

START_TEST(test_empty_and_bad)
{
	char err[128] = "";
	char *s = view("{\"worker_id\":\"h:1\",\"version\":\"1\","
		       "\"kafka_cluster_id\":null,\"connectors\":[]}",
		       err, sizeof(err));
	ck_assert_str_eq(s, "worker h:1, sluice 1, Kafka cluster unknown\n\n"
			    "no connectors\n");
	free(s);
	ck_assert_ptr_null(view("{\"connectors\":{}}", err, sizeof(err)));
	ck_assert_str_eq(err, "the answer has no list of connectors");
	ck_assert_ptr_null(view("[1]", err, sizeof(err)));
	/* Members of the wrong type or missing read as unknown. */
	s = view("{\"connectors\":[{\"name\":7,\"tasks\":3}]}", err,
		 sizeof(err));
	ck_assert_str_eq(s, "worker ?, sluice ?, Kafka cluster unknown\n\n"
			    "CONNECTOR  TASK  TYPE  STATE  IN  OUT  IN/S  "
			    "OUT/S  LAG\n"
			    "?          -     ?     ?       -    -     -  "
			    "    -    -\n");
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("view");
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_empty_and_bad);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
