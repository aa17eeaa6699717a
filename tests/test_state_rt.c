/*
 * test_state_rt.c - the state store end to end: `sluice run` as a child
 * process (the harness of test_runtime.c) against a mock cluster inside
 * this test, with the stateful test transform tests/rt/count-state.c
 * (per key: count and sum in the store, an upsert per input).
 *
 * test_sigkill_exact: keyed records are produced in rounds; the worker
 * (tasks.max 2) is SIGKILLed while it is working through each round and
 * started again. At the end the latest upsert of every key carries
 * exactly the count and sum the test computed: no input counted twice,
 * none missed.
 * test_replayed_upstream: records stamped as a restarted upstream
 * transform sends them (host/origin.h) are counted once, across a
 * SIGKILL of the worker too.
 * test_snapshots: a small state.snapshot.bytes and padded values write
 * snapshot after snapshot until the changelog partition of a task went
 * over the mock's ~5 MiB and lost its head; the restore starts at the
 * latest complete snapshot and the counts are still exact.
 *
 * Waits are bounded and poll their condition; spawned workers die with
 * the test (PR_SET_PDEATHSIG). RT_KEEP=1 keeps the directory. The
 * harness is tests/rt_harness.c, shared with the other integration tests.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "cli.h"
#include "rt_harness.h"

#ifndef RT_PLUGIN_DIR
#define RT_PLUGIN_DIR "./tests/rt/.libs"
#endif

#define IN_PARTS 4
#define OUT_PARTS 4
#define MAX_KEYS 1000

static struct rt_worker *w; /* made by setup_worker() */
static rd_kafka_t *producer;

/* What the test produced, per key. */
static long long want_count[MAX_KEYS], want_sum[MAX_KEYS];
static int nkeys;
/* > 0: produce only to input partitions 0..only_parts-1 (the key
 * index modulo it: a key stays with one task). */
static int only_parts;

/* Occurrences of `needle` in the log of the worker's current run. */
static int log_count(const char *needle)
{
	char *s = rt_slurp(w->log, NULL);
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(s);
	return n;
}

static rd_kafka_t *producer_new(void)
{
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rt_conf_set(c, "bootstrap.servers", rt_bootstraps());
	rt_conf_set(c, "log_level", "3");
	rt_conf_set(c, "enable.idempotence", "true");
	rt_conf_set(c, "linger.ms", "5");
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	ck_assert_msg(rk != NULL, "client: %s", err);
	return rk;
}

static void st_setup(void)
{
	rt_dir_make("sluice-state-rt");
	rt_broker_start();
	producer = producer_new();
	w = NULL;
	nkeys = 0;
	only_parts = 0;
	memset(want_count, 0, sizeof(want_count));
	memset(want_sum, 0, sizeof(want_sum));
}

static void st_teardown(void)
{
	rd_kafka_destroy(producer);
	producer = NULL;
	rt_end("RT_KEEP");
}

/* The worker and its one connector, "cs" (group sluice-cs, changelog
 * sluice-cs-state). */
static void setup_worker(const char *state_yaml, const char *config_yaml)
{
	w = rt_worker_add("worker");
	/* Uncompressed: test_snapshots must push a changelog partition
	 * past the mock's ~5 MiB, and its padding compresses to nothing. */
	rt_write_file(w->cfg,
		      RT_WORKER_HEAD "  compression.type: none\n"
				     "log:\n"
				     "  level: info\n"
				     "shutdown.timeout: 20s\n",
		      rt_bootstraps(), RT_PLUGIN_DIR, w->dir);
	rt_conn_write(w, "cs",
		      "name: cs\nplugin: test-count-state\ntasks.max: 2\n"
		      "topics: in\ntopic: out\nstate:\n%s%s",
		      state_yaml, config_yaml ? config_yaml : "");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("in", IN_PARTS);
	rt_mk_topic("out", OUT_PARTS);
	rt_mk_topic("sluice-cs-state", 2);
}

/* Both tasks restored their store and run. */
static void wait_started(void)
{
	int64_t deadline = rt_now_ms() + 60000;
	while (log_count("(partition % 2 == ") < 2) {
		RT_CHECK(w->pid > 0 && waitpid(w->pid, NULL, WNOHANG) == 0,
			 "worker exited before its tasks started");
		RT_CHECK(rt_now_ms() < deadline, "tasks not started in 60 s");
		rt_nap_ms(50);
	}
}

/* n records with keys k0..k<keys-1>, value {"n":v}; noted in want_*. */
static void produce(int n, int keys, int seed)
{
	if (keys > nkeys)
		nkeys = keys;
	for (int i = 0; i < n; i++) {
		int k = (i * 7 + seed) % keys;
		int v = (i * 31 + seed * 17) % 1000;
		char key[16], val[64];
		int kl = snprintf(key, sizeof(key), "k%d", k);
		int vl =
			snprintf(val, sizeof(val), "{\"n\":%d,\"i\":%d}", v, i);
		rd_kafka_resp_err_t e;
		while ((e = rd_kafka_producev(
				producer, RD_KAFKA_V_TOPIC("in"),
				RD_KAFKA_V_PARTITION(
					only_parts ? k % only_parts
						   : RD_KAFKA_PARTITION_UA),
				RD_KAFKA_V_KEY(key, (size_t)kl),
				RD_KAFKA_V_VALUE(val, (size_t)vl),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_END)) ==
		       RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(producer, 10);
		ck_assert_msg(!e, "produce: %s", rd_kafka_err2str(e));
		want_count[k]++;
		want_sum[k] += v;
	}
	ck_assert_int_eq(rd_kafka_flush(producer, 30000), 0);
}

/* Records from..to-1 of an upstream transform's partition `origin` of
 * topic "up", as a restarted one sends them: record i has the origin
 * stamp "up/<origin>/<i>/0" (host/origin.h), key k<i % keys>, value
 * {"n":i % 1000}, and goes to input partition i % IN_PARTS, so that the
 * stamps rise in every input partition (and key k stays with task k % 2).
 * Noted in want_* when `counted`. */
static void produce_stamped(int origin, int from, int to, int keys, int counted)
{
	if (keys > nkeys)
		nkeys = keys;
	for (int i = from; i < to; i++) {
		int k = i % keys, v = i % 1000;
		char key[16], val[64], stamp[64];
		int kl = snprintf(key, sizeof(key), "k%d", k);
		int vl =
			snprintf(val, sizeof(val), "{\"n\":%d,\"i\":%d}", v, i);
		snprintf(stamp, sizeof(stamp), "up/%d/%d/0", origin, i);
		rd_kafka_resp_err_t e;
		while ((e = rd_kafka_producev(
				producer, RD_KAFKA_V_TOPIC("in"),
				RD_KAFKA_V_PARTITION(i % IN_PARTS),
				RD_KAFKA_V_KEY(key, (size_t)kl),
				RD_KAFKA_V_VALUE(val, (size_t)vl),
				RD_KAFKA_V_HEADER("sluice.origin", stamp, -1),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_END)) ==
		       RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(producer, 10);
		ck_assert_msg(!e, "produce: %s", rd_kafka_err2str(e));
		if (counted) {
			want_count[k]++;
			want_sum[k] += v;
		}
	}
	ck_assert_int_eq(rd_kafka_flush(producer, 30000), 0);
}

/* The latest upsert per key in `out` (count, sum; -1 none), read up to
 * the high watermarks as they are now. Returns the records read. */
static int64_t latest(long long *count, long long *sum)
{
	for (int k = 0; k < MAX_KEYS; k++)
		count[k] = sum[k] = -1;
	int64_t lo, hi, total = 0;
	for (int p = 0; p < OUT_PARTS; p++) {
		rt_watermarks("out", p, &lo, &hi);
		RT_CHECK(lo == 0, "out[%d] lost its head (lo %lld)", p,
			 (long long)lo);
	}
	struct rt_kmsg *v;
	size_t n = rt_read_topic("out", OUT_PARTS, 60000, &v);
	for (size_t i = 0; i < n; i++) {
		int k;
		long long c, s;
		RT_CHECK(sscanf(v[i].value,
				"{\"key\":\"k%d\",\"count\":%lld,"
				"\"sum\":%lld}",
				&k, &c, &s) == 3 &&
				 k >= 0 && k < MAX_KEYS,
			 "bad upsert '%s'", v[i].value);
		count[k] = c;
		sum[k] = s;
		total++;
	}
	rt_kmsgs_free(v, n);
	return total;
}

static int64_t produced_total(void)
{
	int64_t n = 0;
	for (int k = 0; k < nkeys; k++)
		n += want_count[k];
	return n;
}

/* Waits until the latest upsert of every key is exactly what was
 * produced; fails naming the first key that is not. Returns the number
 * of upserts read (duplicates included). */
static int64_t wait_exact(int timeout_ms)
{
	static long long c[MAX_KEYS], s[MAX_KEYS];
	int64_t deadline = rt_now_ms() + timeout_ms, total = 0;
	for (;;) {
		/* Only read once enough upserts are there. */
		if (rt_total_watermark("out", OUT_PARTS) >= produced_total()) {
			total = latest(c, s);
			int bad = -1;
			for (int k = 0; k < nkeys && bad < 0; k++)
				if (c[k] != want_count[k] ||
				    s[k] != want_sum[k])
					bad = k;
			if (bad < 0)
				return total;
			/* Over-counting never heals: fail at once. */
			RT_CHECK(c[bad] <= want_count[bad],
				 "key k%d counted %lld times, produced %lld "
				 "(double counting)",
				 bad, c[bad], want_count[bad]);
			RT_CHECK(rt_now_ms() < deadline,
				 "key k%d: count %lld sum %lld, want %lld "
				 "and %lld",
				 bad, c[bad], s[bad], want_count[bad],
				 want_sum[bad]);
		}
		RT_CHECK(rt_now_ms() < deadline,
			 "only %lld upserts after %d ms",
			 (long long)rt_total_watermark("out", OUT_PARTS),
			 timeout_ms);
		/* pid 0: a triggered run that ended. */
		RT_CHECK(w->pid == 0 || waitpid(w->pid, NULL, WNOHANG) == 0,
			 "worker exited");
		rt_nap_ms(200);
	}
}

START_TEST(test_sigkill_exact)
{
	/* Paced to ~20,000 inputs/s per task: a round lasts ~0.75 s, so the
	 * kill a quarter into it lands in its middle on any machine. */
	setup_worker("  commit.interval: 300ms\n",
		     "config:\n  pace.every: 20\n");
	int rounds = 4, per_round = 30000;
	int kills = 0, mid = 0;
	/* Each round is produced while the worker is down, so that it has a
	 * backlog when it starts; it is killed a quarter into it. */
	int64_t before = 0;
	produce(per_round, 300, 0);
	rt_worker_spawn(w, NULL);
	wait_started();
	for (int r = 1; r < rounds; r++) {
		int64_t deadline = rt_now_ms() + 60000;
		while (rt_total_watermark("out", OUT_PARTS) <
		       before + per_round / 4) {
			RT_CHECK(rt_now_ms() < deadline,
				 "no progress in round %d", r - 1);
			rt_nap_ms(10);
		}
		rt_worker_kill(w);
		int64_t at = rt_total_watermark("out", OUT_PARTS);
		kills++;
		if (at < before + per_round)
			mid++;
		fprintf(stderr,
			"state-rt: round %d: SIGKILL at %lld upserts (round "
			"began at %lld, %d inputs)\n",
			r - 1, (long long)at, (long long)before, per_round);
		before = at;
		produce(per_round, 300, r);
		rt_worker_spawn(w, NULL);
		wait_started();
	}
	int64_t total = wait_exact(120000);
	int rolled = 0;
	for (int i = 1; i <= w->runs; i++) {
		char path[PATH_MAX];
		rt_worker_run_log(w, i, path, sizeof(path));
		char *s = rt_slurp(path, NULL);
		for (const char *p = s; (p = strstr(p, "keys rolled back"));
		     p++)
			rolled++;
		for (const char *p = s; (p = strstr(p, ", 0 keys rolled back"));
		     p++)
			rolled--;
		free(s);
	}
	fprintf(stderr,
		"state-rt: %lld inputs over %d keys, %d SIGKILLs (%d "
		"mid-round, "
		"%d restores rolled keys back to a marker), %lld upserts "
		"(%lld re-emitted): counts and sums exact\n",
		(long long)produced_total(), nkeys, kills, mid, rolled,
		(long long)total, (long long)(total - produced_total()));
	ck_assert_int_ge(kills, 3);
	ck_assert_int_ge(mid, 3);
	RT_CHECK(rt_worker_stop(w, SIGTERM, 40000) == EXIT_OK,
		 "worker did not stop cleanly");
}
END_TEST

START_TEST(test_snapshots)
{
	/* 300 keys, 2000 bytes of padding each: ~300 KiB of state per
	 * task; every input writes ~4 KiB of changelog (value and prev). */
	setup_worker("  commit.interval: 200ms\n  snapshot.bytes: 256KiB\n",
		     "config:\n  pad: 2000\n");
	rt_worker_spawn(w, NULL);
	wait_started();
	int64_t lo0 = 0, lo1 = 0, hi0 = 0, hi1 = 0;
	for (int r = 0; r < 12 && (lo0 == 0 || lo1 == 0); r++) {
		produce(1000, 300, r);
		wait_exact(120000);
		rt_watermarks("sluice-cs-state", 0, &lo0, &hi0);
		rt_watermarks("sluice-cs-state", 1, &lo1, &hi1);
	}
	fprintf(stderr,
		"state-rt: changelog partition 0 at %lld..%lld, partition 1 "
		"at %lld..%lld\n",
		(long long)lo0, (long long)hi0, (long long)lo1, (long long)hi1);
	RT_CHECK(lo0 > 0 || lo1 > 0,
		 "the changelog never went over the mock's limit");
	rt_worker_kill(w);
	rt_worker_spawn(w, NULL);
	wait_started();
	RT_CHECK(log_count("records replayed from a snapshot") >= 1,
		 "no restore from a snapshot");
	produce(300, 300, 99); /* every key once more */
	int64_t total = wait_exact(120000);
	int64_t t0 = rt_now_ms();
	char *s = rt_slurp(w->log, NULL);
	const char *p = strstr(s, "state restored: ");
	fprintf(stderr, "state-rt: %.*s\n", p ? (int)strcspn(p, "\n") : 0,
		p ? p : "");
	free(s);
	fprintf(stderr,
		"state-rt: snapshots: %lld inputs, %lld upserts, exact after "
		"a restore from a truncated changelog (%lld ms to check)\n",
		(long long)produced_total(), (long long)total,
		(long long)(rt_now_ms() - t0));
	RT_CHECK(rt_worker_stop(w, SIGTERM, 40000) == EXIT_OK,
		 "worker did not stop cleanly");
}
END_TEST

/* --trigger available-now: the stateful tasks read up to the ends,
 * write a final marker and the run ends; the next run resumes from it.
 * Input partition 3 stays empty: a partition with nothing to read and
 * nothing committed is done from the start (it once held the run up for
 * good). */
START_TEST(test_triggered)
{
	setup_worker("  commit.interval: 5s\n", NULL);
	only_parts = IN_PARTS - 1;
	for (int r = 0; r < 2; r++) {
		produce(5000, 100, r);
		rt_worker_spawn(w, "available-now");
		int rc = rt_worker_stop(w, 0, 120000);
		RT_CHECK(rc == EXIT_OK, "triggered run %d: exit %d", r, rc);
		/* Both tasks wrote their final marker, each once. */
		RT_CHECK(log_count("(partition % 2 == ") == 2,
			 "run %d: tasks not assigned", r);
		wait_exact(1000);
	}
	RT_CHECK(log_count("inputs resume at {\"in\"") == 2,
		 "the second run did not resume from the markers");
	fprintf(stderr,
		"state-rt: triggered: 2 runs ended by themselves, %lld inputs "
		"exact\n",
		(long long)produced_total());
}
END_TEST

/* Origin stamps: what an upstream sends again after its restart is
 * dropped, also across a SIGKILL and restore of this worker (the marks
 * are kept in the position markers); another origin partition with the
 * same offsets, and unstamped records, are counted. A record counted
 * twice shows as over-counting in wait_exact. */
START_TEST(test_replayed_upstream)
{
	setup_worker("  commit.interval: 300ms\n", NULL);
	rt_worker_spawn(w, NULL);
	wait_started();
	produce_stamped(0, 0, 2000, 50, 1);
	wait_exact(60000);
	rt_worker_kill(w);
	/* 1000..1999 again (the upstream went back 1,000), then new ones. */
	produce_stamped(0, 1000, 2000, 50, 0);
	produce_stamped(0, 2000, 3000, 50, 1);
	rt_worker_spawn(w, NULL);
	wait_started();
	wait_exact(60000);
	RT_CHECK(log_count("dropping records already processed") == 2,
		 "the replayed records were not dropped by both tasks");
	produce_stamped(1, 0, 500, 50, 1); /* another origin partition */
	only_parts = IN_PARTS; /* key k on task k % 2, as the stamped ones */
	produce(500, 50, 7);   /* no stamps */
	produce_stamped(0, 2500, 3000, 50, 0);
	int64_t total = wait_exact(60000);
	fprintf(stderr,
		"state-rt: origin stamps: %lld inputs counted once of %lld "
		"sent, %lld upserts\n",
		(long long)produced_total(), (long long)produced_total() + 1500,
		(long long)total);
	RT_CHECK(rt_worker_stop(w, SIGTERM, 40000) == EXIT_OK,
		 "worker did not stop cleanly");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("state-rt");
	TCase *tc = tcase_create("state");
	tcase_add_checked_fixture(tc, st_setup, st_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_sigkill_exact);
	tcase_add_test(tc, test_snapshots);
	tcase_add_test(tc, test_triggered);
	tcase_add_test(tc, test_replayed_upstream);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rt_run_suite(suite());
}
