/*
 * sink-s3-wait.c - benchmark helper: waits until a consumer group has
 * committed every partition of a topic up to its end, then prints the
 * wall-clock time (epoch ms) it saw that. Exit 1 after the timeout.
 *   sink-s3-wait BOOTSTRAP GROUP TOPIC PARTITIONS TIMEOUT_S
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr,
			"usage: %s BOOTSTRAP GROUP TOPIC PARTITIONS "
			"TIMEOUT_S\n",
			argv[0]);
		return 2;
	}
	int parts = atoi(argv[4]);
	long long deadline = now_ms() + atoll(argv[5]) * 1000;
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	if (rd_kafka_conf_set(c, "bootstrap.servers", argv[1], err,
			      sizeof(err)) ||
	    rd_kafka_conf_set(c, "group.id", argv[2], err, sizeof(err)) ||
	    rd_kafka_conf_set(c, "log_level", "3", err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	long long *high = calloc((size_t)parts, sizeof(*high));
	for (int p = 0; p < parts; p++) {
		int64_t lo, hi;
		if (rd_kafka_query_watermark_offsets(rk, argv[3], p, &lo, &hi,
						     10000)) {
			fprintf(stderr, "no watermarks for %s[%d]\n", argv[3],
				p);
			return 2;
		}
		high[p] = hi;
	}
	int rc = 1;
	while (now_ms() < deadline) {
		rd_kafka_topic_partition_list_t *l =
			rd_kafka_topic_partition_list_new(parts);
		for (int p = 0; p < parts; p++)
			rd_kafka_topic_partition_list_add(l, argv[3], p);
		int done = !rd_kafka_committed(rk, l, 10000);
		for (int p = 0; p < parts && done; p++)
			done = l->elems[p].offset >= high[p];
		rd_kafka_topic_partition_list_destroy(l);
		if (done) {
			printf("%lld\n", now_ms());
			rc = 0;
			break;
		}
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	free(high);
	rd_kafka_destroy(rk);
	return rc;
}
