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
 * test_snapshots: a small state.snapshot.bytes and padded values write
 * snapshot after snapshot until the changelog partition of a task went
 * over the mock's ~5 MiB and lost its head; the restore starts at the
 * latest complete snapshot and the counts are still exact.
 *
 * Waits are bounded and poll their condition; spawned workers die with
 * the test (PR_SET_PDEATHSIG). RT_KEEP=1 keeps the directory.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "cli.h"

#ifndef SLUICE_BIN
#define SLUICE_BIN "./sluice"
#endif
#ifndef RT_PLUGIN_DIR
#define RT_PLUGIN_DIR "./tests/rt/.libs"
#endif

#define IN_PARTS 4
#define OUT_PARTS 4
#define MAX_KEYS 1000

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static char tmpdir[PATH_MAX];
static struct broker *broker;
static char cfg_path[PATH_MAX], conn_dir[PATH_MAX], log_path[PATH_MAX];
static int runs;
static pid_t pid;
static rd_kafka_t *reader, *producer;

/* What the test produced, per key. */
static long long want_count[MAX_KEYS], want_sum[MAX_KEYS];
static int nkeys;
/* > 0: produce only to input partitions 0..only_parts-1 (the key
 * index modulo it: a key stays with one task). */
static int only_parts;

static void dump_log(void)
{
	char cmd[PATH_MAX + 64];
	fprintf(stderr, "---- tail of %s ----\n", log_path);
	snprintf(cmd, sizeof(cmd), "tail -n 40 '%s' >&2", log_path);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
	fprintf(stderr, "---- files kept in %s ----\n", tmpdir);
}

#define RT_CHECK(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond)) {                                                 \
			dump_log();                                            \
			ck_abort_msg(__VA_ARGS__);                             \
		}                                                              \
	} while (0)

static void write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void write_file(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap);
	ck_assert(buf != NULL);
	while (f && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			cap *= 2;
			char *more = realloc(buf, cap);
			ck_assert(more != NULL);
			buf = more;
		}
	}
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static int log_count(const char *needle)
{
	char *s = slurp(log_path);
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(s);
	return n;
}

static void conf_set(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char err[512];
	ck_assert_msg(rd_kafka_conf_set(c, k, v, err, sizeof(err)) ==
			      RD_KAFKA_CONF_OK,
		      "%s=%s: %s", k, v, err);
}

static rd_kafka_t *client_new(rd_kafka_type_t type)
{
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	conf_set(c, "bootstrap.servers", broker_bootstraps(broker));
	conf_set(c, "log_level", "3");
	if (type == RD_KAFKA_CONSUMER) {
		conf_set(c, "group.id", "sluice-state-rt-reader");
		conf_set(c, "enable.auto.commit", "false");
	} else {
		conf_set(c, "enable.idempotence", "true");
		conf_set(c, "linger.ms", "5");
	}
	rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof(err));
	ck_assert_msg(rk != NULL, "client: %s", err);
	return rk;
}

static void watermarks(const char *topic, int32_t p, int64_t *lo, int64_t *hi)
{
	rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
		reader, topic, p, lo, hi, 10000);
	RT_CHECK(!e, "watermarks of %s[%d]: %s", topic, p, rd_kafka_err2str(e));
}

static int64_t total_high(const char *topic, int parts)
{
	int64_t sum = 0, lo, hi;
	for (int p = 0; p < parts; p++) {
		watermarks(topic, p, &lo, &hi);
		sum += hi;
	}
	return sum;
}

static void st_setup(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/sluice-state-rt-XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp: %s", strerror(errno));
	char err[512];
	broker = broker_start(1, err, sizeof(err));
	ck_assert_msg(broker != NULL, "broker: %s", err);
	reader = client_new(RD_KAFKA_CONSUMER);
	producer = client_new(RD_KAFKA_PRODUCER);
	runs = 0;
	pid = 0;
	nkeys = 0;
	only_parts = 0;
	memset(want_count, 0, sizeof(want_count));
	memset(want_sum, 0, sizeof(want_sum));
}

static void st_teardown(void)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = 0;
	}
	rd_kafka_destroy(producer);
	rd_kafka_destroy(reader);
	producer = reader = NULL;
	broker_stop(broker);
	broker = NULL;
	if (getenv("RT_KEEP")) {
		fprintf(stderr, "files kept in %s\n", tmpdir);
	} else {
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

static void mk_topic(const char *name, int partitions)
{
	char err[512];
	ck_assert_msg(broker_create_topic(broker, name, partitions, err,
					  sizeof(err)) == 0,
		      "%s", err);
}

/* The worker and its one connector, "cs" (group sluice-cs, changelog
 * sluice-cs-state). */
static void setup_worker(const char *state_yaml, const char *config_yaml)
{
	snprintf(cfg_path, sizeof(cfg_path), "%s/worker.yaml", tmpdir);
	snprintf(conn_dir, sizeof(conn_dir), "%s/conn.d", tmpdir);
	ck_assert_int_eq(mkdir(conn_dir, 0755), 0);
	write_file(cfg_path,
		   "bootstrap.servers: %s\n"
		   "plugin.path: %s\n"
		   "connectors.dir: %s\n"
		   "kafka:\n"
		   "  session.timeout.ms: 6000\n"
		   "  heartbeat.interval.ms: 500\n"
		   "log:\n"
		   "  level: info\n"
		   "shutdown.timeout: 20s\n",
		   broker_bootstraps(broker), RT_PLUGIN_DIR, conn_dir);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/cs.yaml", conn_dir);
	write_file(path,
		   "name: cs\nplugin: test-count-state\ntasks.max: 2\n"
		   "topics: in\ntopic: out\nstate:\n%s%s",
		   state_yaml, config_yaml ? config_yaml : "");
	mk_topic("sluice-offsets", 1);
	mk_topic("in", IN_PARTS);
	mk_topic("out", OUT_PARTS);
	mk_topic("sluice-cs-state", 2);
}

static void spawn_args(int triggered)
{
	ck_assert_int_eq(pid, 0);
	snprintf(log_path, sizeof(log_path), "%s/worker-%d.log", tmpdir,
		 ++runs);
	int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", log_path, strerror(errno));
	char *const argv[] = {SLUICE_BIN,
			      "run",
			      "-c",
			      cfg_path,
			      triggered ? "--trigger" : NULL,
			      "available-now",
			      NULL};
	pid_t parent = getpid();
	pid_t p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(SLUICE_BIN, argv);
		_exit(127);
	}
	close(fd);
	pid = p;
}

static void spawn(void)
{
	spawn_args(0);
}

/* Waits for the worker to exit by itself; its exit code, or -1. */
static int wait_exit(int timeout_ms)
{
	int st;
	int64_t deadline = now_ms() + timeout_ms;
	while (waitpid(pid, &st, WNOHANG) != pid) {
		if (now_ms() > deadline)
			return -1;
		nap_ms(50);
	}
	pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void sigkill(void)
{
	ck_assert_int_gt(pid, 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pid = 0;
}

static int stop_term(void)
{
	int st;
	kill(pid, SIGTERM);
	int64_t deadline = now_ms() + 40000;
	while (waitpid(pid, &st, WNOHANG) != pid) {
		if (now_ms() > deadline) {
			sigkill();
			return -1;
		}
		nap_ms(50);
	}
	pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Both tasks restored their store and run. */
static void wait_started(void)
{
	int64_t deadline = now_ms() + 60000;
	while (log_count("(partition % 2 == ") < 2) {
		RT_CHECK(pid > 0 && waitpid(pid, NULL, WNOHANG) == 0,
			 "worker exited before its tasks started");
		RT_CHECK(now_ms() < deadline, "tasks not started in 60 s");
		nap_ms(50);
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

/* The latest upsert per key in `out` (count, sum; -1 none), read up to
 * the high watermarks as they are now. Returns the records read. */
static int64_t latest(long long *count, long long *sum)
{
	for (int k = 0; k < MAX_KEYS; k++)
		count[k] = sum[k] = -1;
	int64_t hw[OUT_PARTS], lo, total = 0;
	rd_kafka_t *rk = client_new(RD_KAFKA_CONSUMER);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(OUT_PARTS);
	int remaining = 0;
	for (int p = 0; p < OUT_PARTS; p++) {
		watermarks("out", p, &lo, &hw[p]);
		RT_CHECK(lo == 0, "out[%d] lost its head (lo %lld)", p,
			 (long long)lo);
		if (hw[p] > 0) {
			rd_kafka_topic_partition_list_add(l, "out", p)->offset =
				RD_KAFKA_OFFSET_BEGINNING;
			remaining++;
		}
	}
	ck_assert(!rd_kafka_assign(rk, l));
	rd_kafka_topic_partition_list_destroy(l);
	int64_t deadline = now_ms() + 60000;
	while (remaining > 0) {
		RT_CHECK(now_ms() < deadline, "reading out: timed out");
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (!m->err && m->offset < hw[m->partition]) {
			char v[256];
			size_t n =
				m->len < sizeof(v) - 1 ? m->len : sizeof(v) - 1;
			memcpy(v, m->payload, n);
			v[n] = '\0';
			int k;
			long long c, s;
			RT_CHECK(sscanf(v,
					"{\"key\":\"k%d\",\"count\":%lld,"
					"\"sum\":%lld}",
					&k, &c, &s) == 3 &&
					 k >= 0 && k < MAX_KEYS,
				 "bad upsert '%s'", v);
			count[k] = c;
			sum[k] = s;
			total++;
			if (m->offset == hw[m->partition] - 1)
				remaining--;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
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
	int64_t deadline = now_ms() + timeout_ms, total = 0;
	for (;;) {
		/* Only read once enough upserts are there. */
		if (total_high("out", OUT_PARTS) >= produced_total()) {
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
			RT_CHECK(now_ms() < deadline,
				 "key k%d: count %lld sum %lld, want %lld "
				 "and %lld",
				 bad, c[bad], s[bad], want_count[bad],
				 want_sum[bad]);
		}
		RT_CHECK(now_ms() < deadline, "only %lld upserts after %d ms",
			 (long long)total_high("out", OUT_PARTS), timeout_ms);
		/* pid 0: a triggered run that ended. */
		RT_CHECK(pid == 0 || waitpid(pid, NULL, WNOHANG) == 0,
			 "worker exited");
		nap_ms(200);
	}
}

START_TEST(test_sigkill_exact)
{
	setup_worker("  commit.interval: 300ms\n", NULL);
	int rounds = 4, per_round = 30000;
	int kills = 0, mid = 0;
	/* Each round is produced while the worker is down, so that it has a
	 * backlog when it starts; it is killed a quarter into it. */
	int64_t before = 0;
	produce(per_round, 300, 0);
	spawn();
	wait_started();
	for (int r = 1; r < rounds; r++) {
		int64_t deadline = now_ms() + 60000;
		while (total_high("out", OUT_PARTS) < before + per_round / 4) {
			RT_CHECK(now_ms() < deadline, "no progress in round %d",
				 r - 1);
			nap_ms(10);
		}
		sigkill();
		int64_t at = total_high("out", OUT_PARTS);
		kills++;
		if (at < before + per_round)
			mid++;
		fprintf(stderr,
			"state-rt: round %d: SIGKILL at %lld upserts (round "
			"began at %lld, %d inputs)\n",
			r - 1, (long long)at, (long long)before, per_round);
		before = at;
		produce(per_round, 300, r);
		spawn();
		wait_started();
	}
	int64_t total = wait_exact(120000);
	int rolled = 0;
	for (int i = 1; i <= runs; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/worker-%d.log", tmpdir, i);
		char *s = slurp(path);
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
	RT_CHECK(stop_term() == EXIT_OK, "worker did not stop cleanly");
}
END_TEST

START_TEST(test_snapshots)
{
	/* 300 keys, 2000 bytes of padding each: ~300 KiB of state per
	 * task; every input writes ~4 KiB of changelog (value and prev). */
	setup_worker("  commit.interval: 200ms\n  snapshot.bytes: 256KiB\n",
		     "config:\n  pad: 2000\n");
	spawn();
	wait_started();
	int64_t lo0 = 0, lo1 = 0, hi0 = 0, hi1 = 0;
	for (int r = 0; r < 12 && (lo0 == 0 || lo1 == 0); r++) {
		produce(1000, 300, r);
		wait_exact(120000);
		watermarks("sluice-cs-state", 0, &lo0, &hi0);
		watermarks("sluice-cs-state", 1, &lo1, &hi1);
	}
	fprintf(stderr,
		"state-rt: changelog partition 0 at %lld..%lld, partition 1 "
		"at %lld..%lld\n",
		(long long)lo0, (long long)hi0, (long long)lo1, (long long)hi1);
	RT_CHECK(lo0 > 0 || lo1 > 0,
		 "the changelog never went over the mock's limit");
	sigkill();
	spawn();
	wait_started();
	RT_CHECK(log_count("records replayed from a snapshot") >= 1,
		 "no restore from a snapshot");
	produce(300, 300, 99); /* every key once more */
	int64_t total = wait_exact(120000);
	int64_t t0 = now_ms();
	char *s = slurp(log_path);
	const char *p = strstr(s, "state restored: ");
	fprintf(stderr, "state-rt: %.*s\n", p ? (int)strcspn(p, "\n") : 0,
		p ? p : "");
	free(s);
	fprintf(stderr,
		"state-rt: snapshots: %lld inputs, %lld upserts, exact after "
		"a restore from a truncated changelog (%lld ms to check)\n",
		(long long)produced_total(), (long long)total,
		(long long)(now_ms() - t0));
	RT_CHECK(stop_term() == EXIT_OK, "worker did not stop cleanly");
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
		spawn_args(1);
		int rc = wait_exit(120000);
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

static Suite *suite(void)
{
	Suite *s = suite_create("state-rt");
	TCase *tc = tcase_create("state");
	tcase_add_checked_fixture(tc, st_setup, st_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_sigkill_exact);
	tcase_add_test(tc, test_snapshots);
	tcase_add_test(tc, test_triggered);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
