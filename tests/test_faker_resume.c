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
 * (FR_KEEP=1 keeps it always).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

#include "mock_host.h"

/* tests/runtime-tests.mk passes both as absolute paths. */
#ifndef SLUICE_BIN
#define SLUICE_BIN "./sluice"
#endif
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

/* ---- per-test state ---- */

struct proc {
	char log[PATH_MAX];
	pid_t pid; /* 0 when not running */
};

static char tmpdir[PATH_MAX];
static char bootstrap[1024];
static struct proc broker_proc;
static struct proc worker;
static char worker_cfg[PATH_MAX];
static char worker_logs[RUNS][PATH_MAX];
static int worker_runs;
static rd_kafka_t *reader; /* watermarks */

static void dump_logs(void)
{
	for (int i = 0; i < worker_runs; i++) {
		char cmd[PATH_MAX + 32];
		fprintf(stderr, "---- tail of %s ----\n", worker_logs[i]);
		snprintf(cmd, sizeof(cmd), "tail -n 30 '%s' >&2",
			 worker_logs[i]);
		if (system(cmd) != 0)
			fprintf(stderr, "(no log)\n");
	}
	fprintf(stderr, "---- files kept in %s ----\n", tmpdir);
}

/* An assertion that prints the worker logs first: Check ends the test
 * process at once, so this is the only chance to show them. */
#define FR_CHECK(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond)) {                                                 \
			dump_logs();                                           \
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

/* The whole file, NUL-terminated (empty when missing). Free it. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	ck_assert(buf != NULL);
	if (f) {
		size_t r;
		while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
			n += r;
			if (cap - n - 1 == 0) {
				cap *= 2;
				char *more = realloc(buf, cap);
				ck_assert(more != NULL);
				buf = more;
			}
		}
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* ---- child processes ---- */

static pid_t spawn_argv(char *const argv[], const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", log, strerror(errno));
	/* Everything the child needs is ready before fork: this process has
	 * librdkafka threads, so the child only calls what is safe. */
	pid_t parent = getpid();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd);
	return pid;
}

/* Waits up to timeout_ms for p to end (after sending sig, unless 0);
 * returns its exit code, 128 + the signal that ended it, or -1 after the
 * timeout (it is killed then). */
static int proc_wait(struct proc *p, int sig, int timeout_ms)
{
	ck_assert_int_gt(p->pid, 0);
	if (sig)
		kill(p->pid, sig);
	int64_t deadline = now_ms() + timeout_ms;
	int st;
	for (;;) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid)
			break;
		if (now_ms() >= deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			p->pid = 0;
			return -1;
		}
		nap_ms(50);
	}
	p->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void broker_spawn(void)
{
	char bsfile[PATH_MAX], topic[64];
	snprintf(bsfile, sizeof(bsfile), "%s/bootstrap", tmpdir);
	snprintf(broker_proc.log, sizeof(broker_proc.log), "%s/broker.log",
		 tmpdir);
	snprintf(topic, sizeof(topic), "%s:%d", TOPIC, PARTS);
	char *const argv[] = {
		SLUICE_BIN, "broker",		"--topic",	    topic,
		"--topic",  OFFSETS_TOPIC ":1", "--bootstrap-file", bsfile,
		NULL};
	broker_proc.pid = spawn_argv(argv, broker_proc.log);
	/* The file is written atomically once the brokers listen. */
	int64_t deadline = now_ms() + 20000;
	for (;;) {
		char *s = slurp(bsfile);
		size_t len = strcspn(s, "\r\n");
		if (len > 0 && len < sizeof(bootstrap)) {
			memcpy(bootstrap, s, len);
			bootstrap[len] = '\0';
			free(s);
			return;
		}
		free(s);
		ck_assert_msg(now_ms() < deadline,
			      "sluice broker wrote no bootstrap file in 20 s");
		nap_ms(100);
	}
}

static void remove_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];
	if (!dir[0] || strncmp(dir, "/", 1))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static void fr_setup(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/sluice-fr-XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp: %s", strerror(errno));
	memset(&worker, 0, sizeof(worker));
	memset(&broker_proc, 0, sizeof(broker_proc));
	worker_runs = 0;
	broker_spawn();
}

static void fr_teardown(void)
{
	if (worker.pid > 0)
		proc_wait(&worker, SIGKILL, 5000);
	if (reader)
		rd_kafka_destroy(reader);
	reader = NULL;
	if (broker_proc.pid > 0)
		proc_wait(&broker_proc, SIGTERM, 10000);
	if (getenv("FR_KEEP"))
		fprintf(stderr, "files kept in %s\n", tmpdir);
	else
		remove_tree(tmpdir);
	tmpdir[0] = '\0';
}

/* The worker file and the faker connector (rate-limited, so that the
 * kills land mid-stream). */
static void worker_write(int tasks)
{
	char dir[PATH_MAX], conn[PATH_MAX + 16], extra[512] = "";
	snprintf(dir, sizeof(dir), "%s/connectors.d", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(worker_cfg, sizeof(worker_cfg), "%s/worker.yaml", tmpdir);
	write_file(worker_cfg,
		   "bootstrap.servers: %s\n"
		   "plugin.path: %s\n"
		   "connectors.dir: %s\n"
		   "offsets.topic: " OFFSETS_TOPIC "\n"
		   "offsets.flush.interval: %dms\n"
		   "log:\n"
		   "  level: info\n"
		   "shutdown.timeout: 20s\n",
		   bootstrap, FAKER_PLUGIN_DIR, dir, FLUSH_INTERVAL_MS);
	for (size_t a = 0; a < sizeof(anomalies) / sizeof(*anomalies); a++) {
		size_t len = strlen(extra);
		snprintf(extra + len, sizeof(extra) - len, "  %s: %s\n",
			 anomalies[a][0], anomalies[a][1]);
	}
	snprintf(conn, sizeof(conn), "%s/faker.yaml", dir);
	write_file(conn,
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
	ck_assert_int_lt(worker_runs, RUNS);
	ck_assert_int_eq(worker.pid, 0);
	snprintf(worker.log, sizeof(worker.log), "%s/worker-%d.log", tmpdir,
		 worker_runs);
	snprintf(worker_logs[worker_runs], sizeof(worker_logs[0]), "%s",
		 worker.log);
	worker_runs++;
	char *const argv[] = {SLUICE_BIN,  "run",	    "-c", worker_cfg,
			      "--trigger", "available-now", NULL};
	worker.pid = spawn_argv(argv, worker.log);
}

/* ---- Kafka clients of the test ---- */

static void conf_set(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char err[512];
	ck_assert_msg(rd_kafka_conf_set(c, k, v, err, sizeof(err)) ==
			      RD_KAFKA_CONF_OK,
		      "%s=%s: %s", k, v, err);
}

static rd_kafka_t *consumer_new(void)
{
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	conf_set(c, "bootstrap.servers", bootstrap);
	conf_set(c, "group.id", "sluice-fr-reader");
	conf_set(c, "enable.auto.commit", "false");
	conf_set(c, "enable.auto.offset.store", "false");
	conf_set(c, "log_level", "3");
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	ck_assert_msg(rk != NULL, "consumer: %s", err);
	return rk;
}

static int64_t high_watermark(const char *topic, int32_t partition)
{
	if (!reader)
		reader = consumer_new();
	int64_t lo, hi;
	rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
		reader, topic, partition, &lo, &hi, 10000);
	FR_CHECK(!e, "watermarks of %s[%d]: %s", topic, partition,
		 rd_kafka_err2str(e));
	/* The mock keeps ~5 MiB a partition; this test stays far below. */
	FR_CHECK(lo == 0, "%s[%d] was trimmed (low watermark %lld)", topic,
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

/* Waits until the topic's end stops moving (a killed producer's last
 * request may still be in the broker). */
static int64_t settled_watermarks(const char *topic, int partitions,
				  int64_t *row)
{
	int64_t prev = -1, sum = 0;
	for (int i = 0; i < 50; i++) {
		sum = hw_row(topic, partitions, row);
		if (sum == prev)
			break;
		prev = sum;
		nap_ms(100);
	}
	return sum;
}

/* A consumed record, copied. */
struct kmsg {
	int32_t partition;
	int64_t offset;
	char *key, *value, *anomaly; /* anomaly: the header's value or NULL */
	size_t key_len, value_len;
};

static char *memdup0(const void *p, size_t n)
{
	char *s = malloc(n + 1);
	ck_assert(s != NULL);
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void kmsgs_free(struct kmsg *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
		free(v[i].anomaly);
	}
	free(v);
}

/* Every record of the topic, up to the high watermarks as they are now,
 * each partition in offset order. */
static size_t read_topic(const char *topic, int partitions, struct kmsg **out)
{
	int64_t hw[PARTS];
	ck_assert_int_le(partitions, PARTS);
	rd_kafka_t *rk = consumer_new();
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(partitions);
	int remaining = 0;
	for (int p = 0; p < partitions; p++) {
		hw[p] = high_watermark(topic, p);
		if (hw[p] > 0) {
			rd_kafka_topic_partition_list_add(l, topic, p)->offset =
				RD_KAFKA_OFFSET_BEGINNING;
			remaining++;
		}
	}
	ck_assert(!rd_kafka_assign(rk, l));
	rd_kafka_topic_partition_list_destroy(l);
	size_t n = 0, cap = 1024;
	struct kmsg *v = malloc(cap * sizeof(*v));
	ck_assert(v != NULL);
	int64_t deadline = now_ms() + 30000;
	while (remaining > 0) {
		FR_CHECK(now_ms() < deadline, "reading %s: timed out", topic);
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (!m->err && m->offset < hw[m->partition]) {
			if (n == cap) {
				cap *= 2;
				struct kmsg *more =
					realloc(v, cap * sizeof(*v));
				ck_assert(more != NULL);
				v = more;
			}
			struct kmsg *k = &v[n++];
			*k = (struct kmsg){.partition = m->partition,
					   .offset = m->offset};
			k->key = memdup0(m->key, m->key ? m->key_len : 0);
			k->key_len = m->key ? m->key_len : 0;
			k->value = memdup0(m->payload, m->payload ? m->len : 0);
			k->value_len = m->payload ? m->len : 0;
			rd_kafka_headers_t *h;
			const void *hv;
			size_t hl;
			if (!rd_kafka_message_headers(m, &h) &&
			    !rd_kafka_header_get_last(h, ANOMALY_HEADER, &hv,
						      &hl))
				k->anomaly = memdup0(hv, hv ? hl : 0);
			if (m->offset == hw[m->partition] - 1)
				remaining--;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	*out = v;
	return n;
}

/* The last stored position of each task-<i> of connector "faker" in the
 * offsets topic (-1 when none): keys ["faker","task-<i>"], values
 * {"position": "<next event>"}. */
static void stored_positions(int tasks, int64_t *pos)
{
	struct kmsg *v;
	size_t n = read_topic(OFFSETS_TOPIC, 1, &v);
	for (int i = 0; i < tasks; i++)
		pos[i] = -1;
	for (size_t j = 0; j < n; j++) {
		const char *t = strstr(v[j].key, "\"task-");
		const char *p = strstr(v[j].value, "\"position\"");
		FR_CHECK(strstr(v[j].key, "\"faker\"") && t && p,
			 "unexpected offsets record %s = %s", v[j].key,
			 v[j].value);
		int task = atoi(t + 6);
		p += strlen("\"position\"");
		while (*p && (*p < '0' || *p > '9'))
			p++;
		FR_CHECK(task >= 0 && task < tasks && *p,
			 "unexpected offsets record %s = %s", v[j].key,
			 v[j].value);
		pos[task] = strtoll(p, NULL, 10);
	}
	kmsgs_free(v, n);
}

/* Where each task of a run started, from its log ("starting at event N
 * of task-i"); -1 when a task logged none. */
static void logged_starts(const char *log, int tasks, int64_t *start)
{
	char *s = slurp(log);
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
			ref[i][s].key = memdup0(r->key, r->key_len);
			ref[i][s].value = memdup0(r->value, r->value_len);
			ref[i][s].value_len = r->value_len;
			ref[i][s].anomaly = a ? memdup0(a, strlen(a)) : NULL;
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

static const struct ref_index *reference_find(const struct kmsg *k)
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
		int64_t row[PARTS], deadline = now_ms() + 60000, pos[MAX_TASKS];
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
			FR_CHECK(now_ms() < deadline,
				 "run %d: %lld of %lld records, %d of %d "
				 "tasks stored a new position, after 60 s",
				 k, (long long)got, (long long)target, advanced,
				 tasks);
			nap_ms(100);
		}
		int rc = proc_wait(&worker, SIGKILL, 10000);
		FR_CHECK(rc == 128 + SIGKILL,
			 "run %d ended with %d before the kill", k, rc);
		settled_watermarks(TOPIC, PARTS, hw[k]);
		int64_t off[1];
		settled_watermarks(OFFSETS_TOPIC, 1, off);
		stored_positions(tasks, stored[k]);
		worker_spawn();
	}
	int rc = proc_wait(&worker, 0, 90000);
	FR_CHECK(rc == 0,
		 "the last run ended with %d (-1: still running "
		 "after 90 s)",
		 rc);
	for (int r = 0; r < RUNS; r++)
		logged_starts(worker_logs[r], tasks, start[r]);

	/* Positions: each run starts where the last one's stored position
	 * was at its kill; the kills were mid-stream. */
	int64_t progress = -1;
	for (int k = 0; k < KILLS; k++) {
		int64_t sum = 0;
		for (int i = 0; i < tasks; i++) {
			int64_t p = stored[k][i] < 0 ? 0 : stored[k][i];
			FR_CHECK(start[k + 1][i] == p,
				 "run %d of task %d started at %lld, but its "
				 "stored position was %lld",
				 k + 1, i, (long long)start[k + 1][i],
				 (long long)stored[k][i]);
			FR_CHECK(p < quota[i],
				 "task %d had finished (%lld) before kill %d",
				 i, (long long)p, k);
			sum += p;
		}
		FR_CHECK(sum > progress,
			 "no position advanced between kills (%lld)",
			 (long long)sum);
		progress = sum;
	}
	for (int i = 0; i < tasks; i++)
		FR_CHECK(start[0][i] == 0,
			 "task %d's first run started at %lld", i,
			 (long long)start[0][i]);

	/* The records, by run, against the uninterrupted run. */
	struct kmsg *v;
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
		const struct kmsg *m = &v[j];
		const struct ref_index *x = reference_find(m);
		FR_CHECK(x != NULL,
			 "%s[%d]@%lld: key '%s' is no event of the "
			 "uninterrupted run",
			 TOPIC, m->partition, (long long)m->offset, m->key);
		const struct ref_event *e = &ref[x->task][x->seq];
		FR_CHECK(m->value_len == e->value_len &&
				 !memcmp(m->value, e->value, e->value_len),
			 "task %d event %lld differs from the uninterrupted "
			 "run:\n  got  %s\n  want %s",
			 x->task, (long long)x->seq, m->value, e->value);
		FR_CHECK((!m->anomaly && !e->anomaly) ||
				 (m->anomaly && e->anomaly &&
				  !strcmp(m->anomaly, e->anomaly)),
			 "task %d event %lld: anomaly header %s, want %s",
			 x->task, (long long)x->seq,
			 m->anomaly ? m->anomaly : "(none)",
			 e->anomaly ? e->anomaly : "(none)");
		int r = 0;
		while (r < KILLS && m->offset >= hw[r][m->partition])
			r++;
		per_run[r]++;
		FR_CHECK(x->seq >= start[r][x->task],
			 "run %d of task %d produced event %lld, before its "
			 "start %lld",
			 r, x->task, (long long)x->seq,
			 (long long)start[r][x->task]);
		FR_CHECK(!seen[r][x->task][x->seq]++,
			 "run %d produced task %d's event %lld twice", r,
			 x->task, (long long)x->seq);
		FR_CHECK(x->seq > last[m->partition][r][x->task],
			 "%s[%d]: run %d of task %d wrote event %lld after "
			 "%lld",
			 TOPIC, m->partition, r, x->task, (long long)x->seq,
			 (long long)last[m->partition][r][x->task]);
		last[m->partition][r][x->task] = x->seq;
	}
	kmsgs_free(v, n);

	/* Per task: no gap in any run, and the duplicates are the windows. */
	size_t dups = 0, windows = 0, window[KILLS] = {0};
	for (int i = 0; i < tasks; i++) {
		for (int r = 0; r < KILLS; r++)
			FR_CHECK(start[r + 1][i] >= start[r][i],
				 "task %d: run %d started at %lld, before run "
				 "%d (%lld)",
				 i, r + 1, (long long)start[r + 1][i], r,
				 (long long)start[r][i]);
		for (int r = 0; r < RUNS; r++) {
			int64_t end = r < KILLS ? start[r + 1][i] : quota[i];
			for (int64_t s = start[r][i]; s < end; s++)
				FR_CHECK(seen[r][i][s],
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
			FR_CHECK(c >= 1, "task %d's event %lld is missing", i,
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
	FR_CHECK(n == (size_t)EVENTS + dups,
		 "%zu records: %d events + %zu duplicates expected", n, EVENTS,
		 dups);
	FR_CHECK(dups == windows,
		 "%zu duplicates, but the uncommitted windows held %zu", dups,
		 windows);
	for (int r = 0; r < KILLS; r++)
		FR_CHECK(window[r] <= bound,
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
	SRunner *sr = srunner_create(faker_resume_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
