/*
 * test_faker_resume.c - source-faker through the host, killed and resumed
 * (issue 4): `sluice run --trigger available-now` against a `sluice
 * broker`, both child processes of this test, with a faker connector on
 * the simulated clock (seed 42, clock.jitter, late/wrong-type/malformed/
 * missing-field anomalies, key transaction_id). The worker gets SIGKILL
 * three times mid-stream and is started again each time; the last run
 * ends by itself when every task is DONE. Then the whole topic is read
 * back and compared with one uninterrupted run of the plugin's own code
 * (the plugin driven through tests/mock_host.c, task by task).
 *
 * Run r of task i starts at P(r,i), the position it logs ("starting at
 * event N of task-i"; P(0,i) = 0), which must be the last position of
 * task-i in the offsets topic when run r-1 was killed. The uncommitted
 * window at that kill is what the topic then held of task i from P(r,i)
 * on: acknowledged by the broker, position not yet stored. So:
 *  - every record is a reference event, byte for byte (key, value,
 *    anomaly header), and every event of every task is there (no gap);
 *  - run r of task i holds no event below P(r,i), each event at most
 *    once, and every event of [P(r,i), P(r+1,i)); per partition its
 *    events come in stream order;
 *  - the duplicates (records beyond one per event) are exactly the
 *    windows' records: their count equals the sum of the windows, and
 *    each window is at most rate x (offsets.flush.interval + 1 s),
 *    one interval plus the time a stored position takes to be
 *    acknowledged (each kill comes after a store: see the kill points);
 *  - so after removing duplicates each task's sub-stream is the
 *    uninterrupted one, with nothing missing.
 * Duplicate anomalies are left out here because the transaction_id is
 * what identifies an event; test_faker's resume test covers them.
 *
 * Every wait is bounded and polls its condition every 100 ms. Children
 * get SIGKILL when the test process ends (PR_SET_PDEATHSIG); on a failed
 * assertion the worker logs' tails are printed and the directory is kept
 * (FR_KEEP=1 keeps it always). The harness is tests/rt_harness.c, shared
 * with the other integration tests.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "mock_host.h"
#include "rt_harness.h"

/* tests/runtime-tests.mk passes it (and SLUICE_BIN, which the harness
 * uses) as absolute paths. */
#ifndef FAKER_PLUGIN_DIR
#define FAKER_PLUGIN_DIR "./plugins/source-faker/.libs"
#endif

const struct sluice_plugin *sluice_plugin_entry(void);

#define EVENTS 20000 /* max.events over all tasks */
#define RATE 1500    /* events/s over all tasks: about 13 s in all */
#define KILLS 3
#define RUNS (KILLS + 1)
#define PARTS 16 /* 20,000 events of ~710 B: ~0.9 MB a partition */
#define MAX_TASKS 2
#define FLUSH_INTERVAL_MS 1000 /* offsets.flush.interval (default) */
#define TOPIC "faker"
#define OFFSETS_TOPIC "sluice-offsets"
#define KEY_LEN 36
#define ANOMALY_HEADER "sluice.faker.anomaly"
/* The anomalies of both the connector file and the reference. */
static const char *const anomalies[][2] = {
	{"anomaly.late", "0.02"},
	{"anomaly.wrong.type", "0.02"},
	{"anomaly.malformed", "0.01"},
	{"anomaly.missing.field", "0.01"},
};

static struct rt_worker *worker;

/* What a failed RT_CHECK prints: the tail of every run's log. */
static void dump_logs(void)
{
	for (int r = 1; r <= worker->runs; r++) {
		char log[PATH_MAX];
		rt_worker_run_log(worker, r, log, sizeof(log));
		rt_tail_log(log, 30);
	}
}

static void fr_setup(void)
{
	char topic[64];
	snprintf(topic, sizeof(topic), "%s:%d", TOPIC, PARTS);
	const char *const topics[] = {topic, OFFSETS_TOPIC ":1", NULL};
	rt_dir_make("sluice-fr");
	worker = rt_worker_add("worker");
	rt_set_failure_dump(dump_logs);
	rt_broker_spawn(topics);
}

static void fr_teardown(void)
{
	rt_end("FR_KEEP");
}

/* The worker file and the faker connector (rate-limited, so that the
 * kills land mid-stream). */
static void worker_write(int tasks)
{
	char extra[512] = "";
	rt_write_file(worker->cfg,
		      "bootstrap.servers: %s\n"
		      "plugin.path: %s\n"
		      "connectors.dir: %s\n"
		      "offsets.topic: " OFFSETS_TOPIC "\n"
		      "offsets.flush.interval: %dms\n"
		      "log:\n"
		      "  level: info\n"
		      "shutdown.timeout: 20s\n",
		      rt_bootstraps(), FAKER_PLUGIN_DIR, worker->dir,
		      FLUSH_INTERVAL_MS);
	for (size_t a = 0; a < sizeof(anomalies) / sizeof(*anomalies); a++) {
		size_t len = strlen(extra);
		snprintf(extra + len, sizeof(extra) - len, "  %s: %s\n",
			 anomalies[a][0], anomalies[a][1]);
	}
	rt_conn_write(worker, "faker",
		      "name: faker\n"
		      "plugin: source-faker\n"
		      "topic: " TOPIC "\n"
		      "tasks.max: %d\n"
		      "config:\n"
		      "  seed: 42\n"
		      "  max.events: %d\n"
		      "  rate: %d\n"
		      "  clock: simulated\n"
		      "  clock.jitter: true\n"
		      "  key: transaction_id\n"
		      "%s",
		      tasks, EVENTS, RATE, extra);
}

static void worker_spawn(void)
{
	ck_assert_int_lt(worker->runs, RUNS);
	rt_worker_spawn(worker, "available-now");
}

/* ---- Kafka ---- */

static int64_t high_watermark(const char *topic, int32_t partition)
{
	int64_t lo, hi;
	rt_watermarks(topic, partition, &lo, &hi);
	/* The mock keeps ~5 MiB a partition; this test stays far below. */
	RT_CHECK(lo == 0, "%s[%d] was trimmed (low watermark %lld)", topic,
		 partition, (long long)lo);
	return hi;
}

static int64_t hw_row(const char *topic, int partitions, int64_t *row)
{
	int64_t sum = 0;
	for (int p = 0; p < partitions; p++)
		sum += row[p] = high_watermark(topic, p);
	return sum;
}

/* Every record of the topic, up to the high watermarks as they are now,
 * each partition in offset order; none trimmed away. */
static size_t read_topic(const char *topic, int partitions,
			 struct rt_kmsg **out)
{
	int64_t row[PARTS];
	ck_assert_int_le(partitions, PARTS);
	hw_row(topic, partitions, row);
	return rt_read_topic(topic, partitions, 30000, out);
}

/* The last stored position of each task-<i> of connector "faker" in the
 * offsets topic (-1 when none): keys ["faker","task-<i>"], values
 * {"position": "<next event>"}. */
static void stored_positions(int tasks, int64_t *pos)
{
	struct rt_kmsg *v;
	size_t n = read_topic(OFFSETS_TOPIC, 1, &v);
	for (int i = 0; i < tasks; i++)
		pos[i] = -1;
	for (size_t j = 0; j < n; j++) {
		const char *t = strstr(v[j].key, "\"task-");
		const char *p = strstr(v[j].value, "\"position\"");
		RT_CHECK(strstr(v[j].key, "\"faker\"") && t && p,
			 "unexpected offsets record %s = %s", v[j].key,
			 v[j].value);
		int task = atoi(t + 6);
		p += strlen("\"position\"");
		while (*p && (*p < '0' || *p > '9'))
			p++;
		RT_CHECK(task >= 0 && task < tasks && *p,
			 "unexpected offsets record %s = %s", v[j].key,
			 v[j].value);
		pos[task] = strtoll(p, NULL, 10);
	}
	rt_kmsgs_free(v, n);
}

/* Where each task of a run started, from its log ("starting at event N
 * of task-i"); -1 when a task logged none. */
static void logged_starts(const char *log, int tasks, int64_t *start)
{
	char *s = rt_slurp(log, NULL);
	static const char needle[] = "starting at event ";
	for (int i = 0; i < tasks; i++)
		start[i] = -1;
	for (char *p = s; (p = strstr(p, needle)) != NULL; p++) {
		long long at;
		int task;
		if (sscanf(p + strlen(needle), "%lld of task-%d", &at, &task) ==
			    2 &&
		    task >= 0 && task < tasks)
			start[task] = at;
	}
	free(s);
}

/* ---- the uninterrupted run ---- */

struct ref_event {
	char *key, *value, *anomaly;
	size_t value_len;
};

struct ref_index {
	char key[KEY_LEN];
	int task;
	int64_t seq;
};

static struct ref_event *ref[MAX_TASKS];
static int64_t quota[MAX_TASKS];
static struct ref_index *idx;
static size_t nidx;

static int idx_cmp(const void *a, const void *b)
{
	return memcmp(((const struct ref_index *)a)->key,
		      ((const struct ref_index *)b)->key, KEY_LEN);
}

/* Each task of the connector, run by the plugin itself from event 0 to
 * DONE with the same options (rate 0: the rate changes no byte). */
static void reference_build(int tasks)
{
	char max[32];
	snprintf(max, sizeof(max), "%d", EVENTS);
	nidx = 0;
	idx = malloc(EVENTS * sizeof(*idx));
	ck_assert(idx != NULL);
	for (int i = 0; i < tasks; i++) {
		struct mock_host *m = mock_host_new(sluice_plugin_entry());
		mock_host_set_task(m, i, tasks);
		mock_host_set(m, "seed", "42");
		mock_host_set(m, "max.events", max);
		mock_host_set(m, "rate", "0");
		mock_host_set(m, "clock", "simulated");
		mock_host_set(m, "clock.jitter", "true");
		mock_host_set(m, "key", "transaction_id");
		for (size_t a = 0; a < sizeof(anomalies) / sizeof(*anomalies);
		     a++)
			mock_host_set(m, anomalies[a][0], anomalies[a][1]);
		ck_assert_msg(mock_host_open(m) == SLUICE_OK, "open: %s",
			      mock_host_error(m));
		enum sluice_status st;
		do {
			st = mock_host_poll(m, 512);
			ck_assert_msg(st == SLUICE_OK || st == SLUICE_DONE,
				      "poll: %s", mock_host_error(m));
		} while (st != SLUICE_DONE);
		size_t n = mock_host_record_count(m);
		quota[i] = (int64_t)n;
		ck_assert_int_eq(n, EVENTS / tasks + (i < EVENTS % tasks));
		ref[i] = calloc(n, sizeof(*ref[i]));
		ck_assert(ref[i] != NULL);
		for (size_t s = 0; s < n; s++) {
			const struct mock_record *r = mock_host_record(m, s);
			const char *a = mock_record_header(r, ANOMALY_HEADER);
			ck_assert_int_eq(r->key_len, KEY_LEN);
			ref[i][s].key = rt_memdup0(r->key, r->key_len);
			ref[i][s].value = rt_memdup0(r->value, r->value_len);
			ref[i][s].value_len = r->value_len;
			ref[i][s].anomaly = a ? rt_memdup0(a, strlen(a)) : NULL;
			memcpy(idx[nidx].key, r->key, KEY_LEN);
			idx[nidx].task = i;
			idx[nidx].seq = (int64_t)s;
			nidx++;
		}
		mock_host_free(m);
	}
	ck_assert_int_eq(nidx, EVENTS);
	qsort(idx, nidx, sizeof(*idx), idx_cmp);
	for (size_t j = 1; j < nidx; j++)
		ck_assert_msg(idx_cmp(&idx[j - 1], &idx[j]) != 0,
			      "transaction_id %.36s twice in the reference",
			      idx[j].key);
}

static void reference_free(int tasks)
{
	for (int i = 0; i < tasks; i++) {
		for (int64_t s = 0; s < quota[i]; s++) {
			free(ref[i][s].key);
			free(ref[i][s].value);
			free(ref[i][s].anomaly);
		}
		free(ref[i]);
		ref[i] = NULL;
	}
	free(idx);
	idx = NULL;
}

static const struct ref_index *reference_find(const struct rt_kmsg *k)
{
	struct ref_index want = {.task = 0};
	if (k->key_len != KEY_LEN)
		return NULL;
	memcpy(want.key, k->key, KEY_LEN);
	return bsearch(&want, idx, nidx, sizeof(*idx), idx_cmp);
}

/* ---- the test ---- */

static void resume_test(int tasks)
{
	/* hw[k]: the topic's end offsets when run k was killed; the records
	 * of run k are those below hw[k] and at or above hw[k-1]. */
	int64_t hw[KILLS][PARTS];
	/* stored[k][i]: task i's stored position when run k was killed;
	 * start[r][i]: where run r of task i started, by its log. */
	int64_t stored[KILLS][MAX_TASKS], start[RUNS][MAX_TASKS];
	const size_t bound = (size_t)RATE * (FLUSH_INTERVAL_MS + 1000) / 1000;

	reference_build(tasks);
	worker_write(tasks);
	worker_spawn();
	for (int k = 0; k < KILLS; k++) {
		/* Kill points: once the topic holds 1/5, 2/5 and 3/5 of the
		 * events (duplicates included) and every task has stored a
		 * position beyond where this run started (the first store
		 * comes about 2 s into a run), so that each run moves on. */
		int64_t target = (int64_t)EVENTS * (k + 1) / (KILLS + 2), got;
		int64_t row[PARTS], deadline = rt_now_ms() + 60000,
				    pos[MAX_TASKS];
		for (;;) {
			int advanced = 0;
			got = hw_row(TOPIC, PARTS, row);
			if (got >= target) {
				stored_positions(tasks, pos);
				for (int i = 0; i < tasks; i++)
					advanced += pos[i] >
						    (k ? stored[k - 1][i] : 0);
			}
			if (advanced == tasks)
				break;
			RT_CHECK(rt_now_ms() < deadline,
				 "run %d: %lld of %lld records, %d of %d "
				 "tasks stored a new position, after 60 s",
				 k, (long long)got, (long long)target, advanced,
				 tasks);
			rt_nap_ms(100);
		}
		int rc = rt_worker_stop(worker, SIGKILL, 10000);
		RT_CHECK(rc == 128 + SIGKILL,
			 "run %d ended with %d before the kill", k, rc);
		rt_settled_watermarks(TOPIC, PARTS, hw[k]);
		int64_t off[1];
		rt_settled_watermarks(OFFSETS_TOPIC, 1, off);
		stored_positions(tasks, stored[k]);
		worker_spawn();
	}
	int rc = rt_worker_stop(worker, 0, 90000);
	RT_CHECK(rc == 0,
		 "the last run ended with %d (-1: still running "
		 "after 90 s)",
		 rc);
	for (int r = 0; r < RUNS; r++) {
		char log[PATH_MAX];
		rt_worker_run_log(worker, r + 1, log, sizeof(log));
		logged_starts(log, tasks, start[r]);
	}

	/* Positions: each run starts where the last one's stored position
	 * was at its kill; the kills were mid-stream. */
	int64_t progress = -1;
	for (int k = 0; k < KILLS; k++) {
		int64_t sum = 0;
		for (int i = 0; i < tasks; i++) {
			int64_t p = stored[k][i] < 0 ? 0 : stored[k][i];
			RT_CHECK(start[k + 1][i] == p,
				 "run %d of task %d started at %lld, but its "
				 "stored position was %lld",
				 k + 1, i, (long long)start[k + 1][i],
				 (long long)stored[k][i]);
			RT_CHECK(p < quota[i],
				 "task %d had finished (%lld) before kill %d",
				 i, (long long)p, k);
			sum += p;
		}
		RT_CHECK(sum > progress,
			 "no position advanced between kills (%lld)",
			 (long long)sum);
		progress = sum;
	}
	for (int i = 0; i < tasks; i++)
		RT_CHECK(start[0][i] == 0,
			 "task %d's first run started at %lld", i,
			 (long long)start[0][i]);

	/* The records, by run, against the uninterrupted run. */
	struct rt_kmsg *v;
	size_t n = read_topic(TOPIC, PARTS, &v);
	static unsigned char seen[RUNS][MAX_TASKS][EVENTS];
	static int64_t last[PARTS][RUNS][MAX_TASKS];
	memset(seen, 0, sizeof(seen));
	for (int p = 0; p < PARTS; p++)
		for (int r = 0; r < RUNS; r++)
			for (int i = 0; i < MAX_TASKS; i++)
				last[p][r][i] = -1;
	size_t per_run[RUNS] = {0};
	for (size_t j = 0; j < n; j++) {
		const struct rt_kmsg *m = &v[j];
		const struct ref_index *x = reference_find(m);
		RT_CHECK(x != NULL,
			 "%s[%d]@%lld: key '%s' is no event of the "
			 "uninterrupted run",
			 TOPIC, m->partition, (long long)m->offset, m->key);
		const struct ref_event *e = &ref[x->task][x->seq];
		RT_CHECK(m->value_len == e->value_len &&
				 !memcmp(m->value, e->value, e->value_len),
			 "task %d event %lld differs from the uninterrupted "
			 "run:\n  got  %s\n  want %s",
			 x->task, (long long)x->seq, m->value, e->value);
		const char *anomaly = rt_kmsg_header(m, ANOMALY_HEADER);
		RT_CHECK((!anomaly && !e->anomaly) ||
				 (anomaly && e->anomaly &&
				  !strcmp(anomaly, e->anomaly)),
			 "task %d event %lld: anomaly header %s, want %s",
			 x->task, (long long)x->seq,
			 anomaly ? anomaly : "(none)",
			 e->anomaly ? e->anomaly : "(none)");
		int r = 0;
		while (r < KILLS && m->offset >= hw[r][m->partition])
			r++;
		per_run[r]++;
		RT_CHECK(x->seq >= start[r][x->task],
			 "run %d of task %d produced event %lld, before its "
			 "start %lld",
			 r, x->task, (long long)x->seq,
			 (long long)start[r][x->task]);
		RT_CHECK(!seen[r][x->task][x->seq]++,
			 "run %d produced task %d's event %lld twice", r,
			 x->task, (long long)x->seq);
		RT_CHECK(x->seq > last[m->partition][r][x->task],
			 "%s[%d]: run %d of task %d wrote event %lld after "
			 "%lld",
			 TOPIC, m->partition, r, x->task, (long long)x->seq,
			 (long long)last[m->partition][r][x->task]);
		last[m->partition][r][x->task] = x->seq;
	}
	rt_kmsgs_free(v, n);

	/* Per task: no gap in any run, and the duplicates are the windows. */
	size_t dups = 0, windows = 0, window[KILLS] = {0};
	for (int i = 0; i < tasks; i++) {
		for (int r = 0; r < KILLS; r++)
			RT_CHECK(start[r + 1][i] >= start[r][i],
				 "task %d: run %d started at %lld, before run "
				 "%d (%lld)",
				 i, r + 1, (long long)start[r + 1][i], r,
				 (long long)start[r][i]);
		for (int r = 0; r < RUNS; r++) {
			int64_t end = r < KILLS ? start[r + 1][i] : quota[i];
			for (int64_t s = start[r][i]; s < end; s++)
				RT_CHECK(seen[r][i][s],
					 "gap: run %d of task %d never "
					 "produced event %lld (of %lld..%lld)",
					 r, i, (long long)s,
					 (long long)start[r][i],
					 (long long)end);
			if (r == KILLS)
				continue;
			/* The window at kill r: acknowledged, not stored. */
			for (int64_t s = end; s < quota[i]; s++)
				window[r] += seen[r][i][s];
		}
		for (int64_t s = 0; s < quota[i]; s++) {
			int c = 0;
			for (int r = 0; r < RUNS; r++)
				c += seen[r][i][s];
			RT_CHECK(c >= 1, "task %d's event %lld is missing", i,
				 (long long)s);
			dups += (size_t)(c - 1);
		}
	}
	for (int r = 0; r < KILLS; r++)
		windows += window[r];
	fprintf(stderr,
		"faker resume, %d task(s): records per run %zu %zu %zu %zu; "
		"%zu duplicates; uncommitted windows at the kills %zu %zu %zu "
		"(bound %zu each)\n",
		tasks, per_run[0], per_run[1], per_run[2], per_run[3], dups,
		window[0], window[1], window[2], bound);
	RT_CHECK(n == (size_t)EVENTS + dups,
		 "%zu records: %d events + %zu duplicates expected", n, EVENTS,
		 dups);
	RT_CHECK(dups == windows,
		 "%zu duplicates, but the uncommitted windows held %zu", dups,
		 windows);
	for (int r = 0; r < KILLS; r++)
		RT_CHECK(window[r] <= bound,
			 "kill %d: an uncommitted window of %zu records, above "
			 "rate x (flush interval + 1 s) = %zu",
			 r, window[r], bound);
	reference_free(tasks);
}

START_TEST(test_resume)
{
	resume_test(_i);
}
END_TEST

static Suite *faker_resume_suite(void)
{
	Suite *s = suite_create("faker_resume");
	TCase *tc = tcase_create("sigkill");
	tcase_add_checked_fixture(tc, fr_setup, fr_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_resume, 1, MAX_TASKS + 1);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rt_run_suite(faker_resume_suite());
}
