/*
 * gold-latency.c - the latency from an event's production to its gold
 * update, for bench/latency.sh.
 *
 *   bench/gold-latency BOOTSTRAP WARMUP_S MEASURE_S TIMEOUT_S TOPIC...
 *
 * Reads the gold topics (assigned, every partition, from the beginning:
 * the script starts it on empty topics before the worker) and, for each
 * record, takes its receive time (CLOCK_REALTIME, microseconds, right
 * after rd_kafka_consumer_poll returned it) minus:
 *
 *  - the record's Kafka timestamp. Every transform of the pipeline
 *    (bronze, silver, gold) gives its outputs the timestamp of the input
 *    record they come from, and source-faker leaves it to the producer,
 *    so a gold upsert carries the CreateTime of the raw event in
 *    transaction_logs that caused it: the moment that event was handed
 *    to the worker's producer (milliseconds). This is the figure.
 *  - for gold_user_summary also `last_seen`, the newest event time of
 *    the user (source-faker's wall-clock `timestamp`, taken when the
 *    event is generated, microseconds): a cross-check. It is the newest
 *    event of that user, so it can only make the latency look smaller.
 *
 * Only records whose Kafka timestamp falls in [first + WARMUP_S, first +
 * WARMUP_S + MEASURE_S) count, `first` being the smallest timestamp seen
 * (the worker's start-up, group joins and state restore stay out). It
 * stops when it has seen a record stamped past the window and then
 * nothing for 3 s, or after TIMEOUT_S. Prints counts and p50, p90, p99,
 * p99.9 and max in ms; the last line is `latency p50 P p99 P ms`.
 * Exit 1 if nothing was measured.
 */
#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct samples {
	double *v;
	size_t n, cap;
};

static void add(struct samples *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		double *v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			fprintf(stderr, "gold-latency: out of memory\n");
			exit(1);
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = x;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const struct samples *s, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
	return s->v[i < s->n ? i : s->n - 1];
}

static void report(const char *what, struct samples *s)
{
	if (!s->n) {
		printf("%-44s no samples\n", what);
		return;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp);
	printf("%-44s %8zu %8.1f %8.1f %8.1f %8.1f %8.1f\n", what, s->n,
	       pct(s, 50), pct(s, 90), pct(s, 99), pct(s, 99.9),
	       s->v[s->n - 1]);
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "last_seen": "2026-01-21T00:39:04.153833Z" in a value -> epoch us,
 * or -1. */
static int64_t last_seen_us(const char *v, size_t len)
{
	static const char key[] = "\"last_seen\": \"";
	const char *end = v + len;
	const char *p = NULL;
	for (const char *q = v; q + sizeof(key) - 1 <= end; q++)
		if (!memcmp(q, key, sizeof(key) - 1)) {
			p = q + sizeof(key) - 1;
			break;
		}
	if (!p || end - p < 27)
		return -1;
	int y, mo, d, h, mi, s, us;
	char buf[28];
	memcpy(buf, p, 27);
	buf[27] = 0;
	if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ", &y, &mo, &d, &h, &mi,
		   &s, &us) != 7)
		return -1;
	int64_t days = days_from_civil(y, mo, d);
	return ((days * 24 + h) * 60 + mi) * 60 * INT64_C(1000000) +
	       (int64_t)s * 1000000 + us;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: gold-latency BOOTSTRAP WARMUP_S "
				"MEASURE_S TIMEOUT_S TOPIC...\n");
		return 2;
	}
	const char *bs = argv[1];
	int64_t warmup_ms = atoll(argv[2]) * 1000;
	int64_t measure_ms = atoll(argv[3]) * 1000;
	int64_t deadline = mono_ms() + atoll(argv[4]) * 1000;
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	/* Short fetch waits, so that this consumer adds little latency of
	 * its own; no group (assign). */
	const char *conf[][2] = {{"bootstrap.servers", bs},
				 {"group.id", "bench-gold-latency"},
				 {"enable.auto.commit", "false"},
				 {"fetch.wait.max.ms", "5"},
				 {"fetch.error.backoff.ms", "5"},
				 {"enable.partition.eof", "false"}};
	for (size_t i = 0; i < sizeof(conf) / sizeof(conf[0]); i++)
		if (rd_kafka_conf_set(c, conf[i][0], conf[i][1], err,
				      sizeof(err)) != RD_KAFKA_CONF_OK) {
			fprintf(stderr, "gold-latency: %s\n", err);
			return 1;
		}
	rd_kafka_t *k = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	if (!k) {
		fprintf(stderr, "gold-latency: %s\n", err);
		return 1;
	}
	rd_kafka_topic_partition_list_t *a =
		rd_kafka_topic_partition_list_new(64);
	for (int i = 5; i < argc; i++) {
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(k, argv[i], NULL);
		if (rd_kafka_metadata(k, 0, rkt, &md, 10000) ||
		    md->topic_cnt != 1 || md->topics[0].err) {
			fprintf(stderr, "gold-latency: no metadata for %s\n",
				argv[i]);
			return 1;
		}
		for (int p = 0; p < md->topics[0].partition_cnt; p++)
			rd_kafka_topic_partition_list_add(a, argv[i], p)
				->offset = RD_KAFKA_OFFSET_BEGINNING;
		rd_kafka_metadata_destroy(md);
		rd_kafka_topic_destroy(rkt);
	}
	if (rd_kafka_assign(k, a)) {
		fprintf(stderr, "gold-latency: assign failed\n");
		return 1;
	}
	rd_kafka_topic_partition_list_destroy(a);
	printf("gold-latency: reading %d topics\n", argc - 5);
	fflush(stdout);

	/* Records are kept (receive time, timestamp, last_seen) until the
	 * window is known: it starts at the smallest timestamp seen. */
	struct rec {
		int64_t recv_us, ts_ms, seen_us;
		int topic; /* index in argv */
	};
	struct rec *r = NULL;
	size_t n = 0, cap = 0;
	int64_t first = INT64_MAX, last_msg = 0;
	int past = 0;
	for (;;) {
		int64_t now = mono_ms();
		if (now > deadline)
			break;
		if (past && last_msg && now - last_msg > 3000)
			break;
		rd_kafka_message_t *m = rd_kafka_consumer_poll(k, 100);
		if (!m)
			continue;
		int64_t recv = now_us();
		if (m->err) {
			fprintf(stderr, "gold-latency: %s\n",
				rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		last_msg = mono_ms();
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			struct rec *nr = realloc(r, cap * sizeof(*r));
			if (!nr) {
				fprintf(stderr,
					"gold-latency: out of memory\n");
				return 1;
			}
			r = nr;
		}
		const char *tn = rd_kafka_topic_name(m->rkt);
		int ti = 5;
		while (ti < argc - 1 && strcmp(argv[ti], tn))
			ti++;
		int64_t ts = rd_kafka_message_timestamp(m, NULL);
		r[n++] = (struct rec){
			.recv_us = recv,
			.ts_ms = ts,
			.seen_us = strstr(tn, "user_summary")
					   ? last_seen_us(m->payload, m->len)
					   : -1,
			.topic = ti,
		};
		if (ts >= 0 && ts < first)
			first = ts;
		if (first != INT64_MAX && ts >= first + warmup_ms + measure_ms)
			past = 1;
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(k);
	rd_kafka_destroy(k);

	if (!n || first == INT64_MAX) {
		printf("gold-latency: no records\n");
		return 1;
	}
	int64_t from = first + warmup_ms, to = from + measure_ms;
	struct samples all = {0}, seen = {0};
	struct samples *per = calloc((size_t)argc, sizeof(*per));
	if (!per)
		return 1;
	size_t daily = 0;
	int64_t max_ts = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].ts_ms > max_ts)
			max_ts = r[i].ts_ms;
		if (r[i].ts_ms < from || r[i].ts_ms >= to)
			continue;
		double l = (double)(r[i].recv_us - r[i].ts_ms * 1000) / 1000.0;
		add(&all, l);
		add(&per[r[i].topic], l);
		if (strstr(argv[r[i].topic], "daily"))
			daily++;
		if (r[i].seen_us > 0)
			add(&seen,
			    (double)(r[i].recv_us - r[i].seen_us) / 1000.0);
	}
	printf("gold records read: %zu, stamped over %.1f s; window: %lld s "
	       "after the first + %lld s\n",
	       n, (double)(max_ts - first) / 1000.0,
	       (long long)(warmup_ms / 1000), (long long)(measure_ms / 1000));
	if (!past)
		printf("WARNING: no record stamped past the window arrived "
		       "(the pipeline did not keep up, or the run was too "
		       "short)\n");
	printf("gold_daily_metrics upserts in the window: %.0f/s (one per "
	       "transaction only with gold's emit.interval 0)\n",
	       (double)daily / ((double)measure_ms / 1000.0));
	printf("%-44s %8s %8s %8s %8s %8s %8s\n",
	       "latency, ms (event produced -> gold read)", "records", "p50",
	       "p90", "p99", "p99.9", "max");
	for (int i = 5; i < argc; i++)
		report(argv[i], &per[i]);
	report("all gold topics (Kafka timestamp)", &all);
	report("user_summary, from last_seen (event time)", &seen);
	if (!all.n)
		return 1;
	printf("latency p50 %.1f p99 %.1f ms\n", pct(&all, 50), pct(&all, 99));
	for (int i = 0; i < argc; i++)
		free(per[i].v);
	free(per);
	free(all.v);
	free(seen.v);
	free(r);
	return 0;
}
