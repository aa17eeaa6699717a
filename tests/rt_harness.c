/*
 * rt_harness.c - the integration tests' shared harness (see rt_harness.h).
 */
#include "rt_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "cli.h"

/* The test programs' CFLAGS pass it as an absolute path. */
#ifndef SLUICE_BIN
#define SLUICE_BIN "./sluice"
#endif

#define MAX_WORKERS 4
#define MAX_GROUPS 4
#define MAX_BROKER_TOPICS 8

char rt_dir[PATH_MAX];

static struct broker *mock;	    /* rt_broker_start() */
static pid_t broker_pid;	    /* rt_broker_spawn() */
static char broker_bootstrap[1024]; /* of the spawned one */
static struct rt_worker workers[MAX_WORKERS];
static int nworkers;
static void (*failure_dump)(void);
static rd_kafka_t *reader; /* watermarks */
/* One handle per consumer group whose commits a test reads. */
static struct {
	char group[128];
	rd_kafka_t *rk;
} groups[MAX_GROUPS];

/* ---- time ---- */

int64_t rt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rt_nap_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- the test's directory ---- */

void rt_dir_make(const char *prefix)
{
	const char *base = getenv("TMPDIR");
	snprintf(rt_dir, sizeof(rt_dir), "%s/%s-XXXXXX",
		 base && *base ? base : "/tmp", prefix);
	ck_assert_msg(mkdtemp(rt_dir) != NULL, "mkdtemp: %s", strerror(errno));
}

void rt_path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", rt_dir, name);
}

/* Only an absolute path: a relative one would depend on the working
 * directory of whoever runs the test. */
static void remove_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];
	if (!dir[0] || strncmp(dir, "/", 1))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* ---- failure reports ---- */

void rt_tail_log(const char *path, int lines)
{
	char cmd[PATH_MAX + 32];
	fprintf(stderr, "---- tail of %s ----\n", path);
	snprintf(cmd, sizeof(cmd), "tail -n %d '%s' >&2", lines, path);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
}

static void dump_workers(void)
{
	for (int i = 0; i < nworkers; i++)
		rt_tail_log(workers[i].log, 40);
}

void rt_set_failure_dump(void (*dump)(void))
{
	failure_dump = dump;
}

void rt_report_failure(void)
{
	(failure_dump ? failure_dump : dump_workers)();
	fprintf(stderr, "---- files kept in %s ----\n", rt_dir);
}

/* ---- files ---- */

void rt_write_file(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
}

char *rt_slurp(const char *path, size_t *len)
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
	if (len)
		*len = n;
	return buf;
}

size_t rt_file_lines(const char *path)
{
	size_t len, n = 0;
	char *s = rt_slurp(path, &len);
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	free(s);
	return n;
}

int rt_log_count(const char *path, const char *needle)
{
	char *s = rt_slurp(path, NULL);
	int n = 0;
	for (char *line = s; line && *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0';
		if (strstr(line, needle))
			n++;
		line = end ? end + 1 : NULL;
	}
	free(s);
	return n;
}

int rt_wait_log(const char *path, const char *needle, int count, int timeout_ms)
{
	int64_t deadline = rt_now_ms() + timeout_ms;
	for (;;) {
		if (rt_log_count(path, needle) >= count)
			return 1;
		if (rt_now_ms() >= deadline)
			return 0;
		rt_nap_ms(100);
	}
}

int rt_wait_lines(const char *path, size_t n, int timeout_ms)
{
	int64_t deadline = rt_now_ms() + timeout_ms;
	for (;;) {
		if (rt_file_lines(path) >= n)
			return 1;
		if (rt_now_ms() >= deadline)
			return 0;
		rt_nap_ms(100);
	}
}

/* ---- child processes ---- */

pid_t rt_spawn(char *const argv[], const char *log)
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
		/* The parent may have died before prctl. */
		if (getppid() != parent)
			_exit(127);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		/* The signal mask survives exec: the worker must see the
		 * SIGTERM and SIGHUP the tests send, whatever this process
		 * blocks. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd);
	return pid;
}

int rt_wait_exit(pid_t *pid, int sig, int timeout_ms)
{
	ck_assert_int_gt(*pid, 0);
	if (sig)
		kill(*pid, sig);
	int64_t deadline = rt_now_ms() + timeout_ms;
	int st;
	for (;;) {
		pid_t r = waitpid(*pid, &st, WNOHANG);
		if (r == *pid)
			break;
		if (rt_now_ms() >= deadline) {
			kill(*pid, SIGKILL);
			waitpid(*pid, &st, 0);
			*pid = 0;
			return -1;
		}
		rt_nap_ms(50);
	}
	*pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the test's broker ---- */

void rt_broker_start(void)
{
	char err[512];
	mock = broker_start(1, err, sizeof(err));
	ck_assert_msg(mock != NULL, "broker: %s", err);
}

void rt_broker_spawn(const char *const topics[])
{
	char bsfile[PATH_MAX], log[PATH_MAX];
	char *argv[2 + 2 * MAX_BROKER_TOPICS + 3];
	int argc = 0;
	rt_path_in(bsfile, sizeof(bsfile), "bootstrap");
	rt_path_in(log, sizeof(log), "broker.log");
	argv[argc++] = SLUICE_BIN;
	argv[argc++] = "broker";
	for (int i = 0; topics[i]; i++) {
		ck_assert_int_lt(i, MAX_BROKER_TOPICS);
		argv[argc++] = "--topic";
		argv[argc++] = (char *)topics[i];
	}
	argv[argc++] = "--bootstrap-file";
	argv[argc++] = bsfile;
	argv[argc] = NULL;
	broker_pid = rt_spawn(argv, log);
	/* The file is written atomically once the brokers listen. */
	int64_t deadline = rt_now_ms() + 20000;
	for (;;) {
		char *s = rt_slurp(bsfile, NULL);
		size_t len = strcspn(s, "\r\n");
		if (len > 0 && len < sizeof(broker_bootstrap)) {
			memcpy(broker_bootstrap, s, len);
			broker_bootstrap[len] = '\0';
			free(s);
			return;
		}
		free(s);
		ck_assert_msg(rt_now_ms() < deadline,
			      "sluice broker wrote no bootstrap file in 20 s");
		rt_nap_ms(100);
	}
}

struct broker *rt_broker(void)
{
	return mock;
}

const char *rt_bootstraps(void)
{
	return mock ? broker_bootstraps(mock) : broker_bootstrap;
}

void rt_mk_topic(const char *name, int partitions)
{
	char err[512];
	ck_assert(mock != NULL);
	ck_assert_msg(broker_create_topic(mock, name, partitions, err,
					  sizeof(err)) == 0,
		      "%s", err);
}

/* ---- workers ---- */

/* w->log = the log of run `run` (through a copy: w->name is in the same
 * object, which gcc's -Wrestrict cannot tell apart from w->log). */
static void set_log(struct rt_worker *w, int run)
{
	char log[PATH_MAX];
	rt_worker_run_log(w, run, log, sizeof(log));
	memcpy(w->log, log, sizeof(log));
}

struct rt_worker *rt_worker_add(const char *name)
{
	ck_assert_int_lt(nworkers, MAX_WORKERS);
	struct rt_worker *w = &workers[nworkers++];
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	snprintf(w->cfg, sizeof(w->cfg), "%s/%s.yaml", rt_dir, name);
	snprintf(w->dir, sizeof(w->dir), "%s/%s.d", rt_dir, name);
	set_log(w, 0);
	ck_assert_int_eq(mkdir(w->dir, 0755), 0);
	return w;
}

struct rt_worker *rt_worker_new(const char *name, const char *bootstrap,
				const char *plugin_dir, const char *kafka_extra)
{
	struct rt_worker *w = rt_worker_add(name);
	rt_write_file(w->cfg,
		      RT_WORKER_HEAD "%s"
				     "log:\n"
				     "  level: info\n"
				     "  progress.interval: 1s\n"
				     "shutdown.timeout: 20s\n",
		      bootstrap ? bootstrap : rt_bootstraps(), plugin_dir,
		      w->dir, kafka_extra ? kafka_extra : "");
	return w;
}

void rt_conn_write(struct rt_worker *w, const char *file, const char *fmt, ...)
{
	char path[PATH_MAX], body[4096];
	snprintf(path, sizeof(path), "%s/%s.yaml", w->dir, file);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	rt_write_file(path, "%s", body);
}

void rt_worker_run_log(const struct rt_worker *w, int run, char *buf,
		       size_t len)
{
	snprintf(buf, len, "%s/%s-%d.log", rt_dir, w->name, run);
}

void rt_worker_spawn(struct rt_worker *w, const char *trigger)
{
	ck_assert_int_eq(w->pid, 0);
	set_log(w, ++w->runs);
	char *const argv[] = {SLUICE_BIN,
			      "run",
			      "-c",
			      w->cfg,
			      trigger ? "--trigger" : NULL,
			      (char *)trigger,
			      NULL};
	w->pid = rt_spawn(argv, w->log);
}

int rt_worker_alive(struct rt_worker *w)
{
	if (w->pid <= 0)
		return 0;
	int st;
	pid_t r = waitpid(w->pid, &st, WNOHANG);
	if (r == 0)
		return 1;
	w->pid = 0;
	return 0;
}

int rt_worker_stop(struct rt_worker *w, int sig, int timeout_ms)
{
	return rt_wait_exit(&w->pid, sig, timeout_ms);
}

void rt_worker_kill(struct rt_worker *w)
{
	ck_assert_int_gt(w->pid, 0);
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	w->pid = 0;
}

void rt_worker_stop_ok(struct rt_worker *w)
{
	int rc = rt_worker_stop(w, SIGTERM, 30000);
	RT_CHECK(rc == EXIT_OK, "worker %s: exit %d after SIGTERM", w->name,
		 rc);
	RT_CHECK(rt_log_count(w->log, "worker stopped") == 1,
		 "worker %s: no 'worker stopped' line", w->name);
}

/* ---- Kafka clients of the test ---- */

void rt_conf_set(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char err[512];
	ck_assert_msg(rd_kafka_conf_set(c, k, v, err, sizeof(err)) ==
			      RD_KAFKA_CONF_OK,
		      "%s=%s: %s", k, v, err);
}

rd_kafka_t *rt_consumer_new(const char *group)
{
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rt_conf_set(c, "bootstrap.servers", rt_bootstraps());
	rt_conf_set(c, "group.id", group);
	rt_conf_set(c, "enable.auto.commit", "false");
	rt_conf_set(c, "enable.auto.offset.store", "false");
	rt_conf_set(c, "log_level", "3");
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	ck_assert_msg(rk != NULL, "consumer: %s", err);
	return rk;
}

void rt_watermarks(const char *topic, int32_t partition, int64_t *lo,
		   int64_t *hi)
{
	if (!reader)
		reader = rt_consumer_new("sluice-rt-reader");
	rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
		reader, topic, partition, lo, hi, 10000);
	RT_CHECK(!e, "watermarks of %s[%d]: %s", topic, partition,
		 rd_kafka_err2str(e));
}

int64_t rt_high_watermark(const char *topic, int32_t partition)
{
	int64_t lo, hi;
	rt_watermarks(topic, partition, &lo, &hi);
	return hi;
}

int64_t rt_total_watermark(const char *topic, int partitions)
{
	int64_t sum = 0;
	for (int p = 0; p < partitions; p++)
		sum += rt_high_watermark(topic, p);
	return sum;
}

int64_t rt_settled_watermarks(const char *topic, int partitions, int64_t *row)
{
	int64_t prev = -1, sum = 0;
	for (int i = 0; i < 50; i++) {
		sum = 0;
		for (int p = 0; p < partitions; p++)
			sum += row[p] = rt_high_watermark(topic, p);
		if (sum == prev)
			break;
		prev = sum;
		rt_nap_ms(100);
	}
	return sum;
}

/* The harness's handle for a consumer group, made on first use. */
static rd_kafka_t *group_handle(const char *group)
{
	for (size_t i = 0; i < MAX_GROUPS; i++) {
		if (!groups[i].rk) {
			snprintf(groups[i].group, sizeof(groups[i].group), "%s",
				 group);
			groups[i].rk = rt_consumer_new(group);
		}
		if (!strcmp(groups[i].group, group))
			return groups[i].rk;
	}
	ck_abort_msg("more than %d consumer groups", MAX_GROUPS);
	return NULL;
}

void rt_committed(const char *group, const char *topic, int partitions,
		  int64_t *out)
{
	rd_kafka_t *rk = group_handle(group);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(partitions);
	for (int p = 0; p < partitions; p++)
		rd_kafka_topic_partition_list_add(l, topic, p);
	rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, 10000);
	RT_CHECK(!e, "committed offsets of %s: %s", group, rd_kafka_err2str(e));
	for (int p = 0; p < partitions; p++) {
		RT_CHECK(!l->elems[p].err, "committed %s[%d]: %s", topic, p,
			 rd_kafka_err2str(l->elems[p].err));
		out[p] = l->elems[p].offset;
	}
	rd_kafka_topic_partition_list_destroy(l);
}

int64_t rt_committed1(const char *group, const char *topic)
{
	int64_t o;
	rt_committed(group, topic, 1, &o);
	return o;
}

int rt_count_value(char *buf, size_t len, int task, int spart, int64_t seq,
		   const char *extra)
{
	return snprintf(buf, len,
			"{\"id\":\"%d-%d-%lld\",\"task\":%d,\"spart\":%d,"
			"\"seq\":%lld%s}",
			task, spart, (long long)seq, task, spart,
			(long long)seq, extra ? extra : "");
}

void rt_produce_input(const char *topic, int n, int poison)
{
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rt_conf_set(c, "bootstrap.servers", rt_bootstraps());
	rt_conf_set(c, "enable.idempotence", "true");
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	ck_assert_msg(rk != NULL, "producer: %s", err);
	for (int i = 0; i < n; i++) {
		char key[32], val[256];
		snprintf(key, sizeof(key), "0-0-%d", i);
		int len = rt_count_value(val, sizeof(val), 0, 0, i,
					 i == poison ? ",\"bad\":\"POISON\""
						     : NULL);
		rd_kafka_headers_t *h = rd_kafka_headers_new(1);
		rd_kafka_header_add(h, "origin", -1, "rt", -1);
		rd_kafka_resp_err_t e = rd_kafka_producev(
			rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
			RD_KAFKA_V_KEY(key, strlen(key)),
			RD_KAFKA_V_VALUE(val, (size_t)len),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
		ck_assert_msg(!e, "produce: %s", rd_kafka_err2str(e));
	}
	ck_assert_int_eq(rd_kafka_flush(rk, 10000), 0);
	rd_kafka_destroy(rk);
}

/* ---- reading topics ---- */

char *rt_memdup0(const void *p, size_t n)
{
	char *s = malloc(n + 1);
	ck_assert(s != NULL);
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void kmsg_copy(struct rt_kmsg *k, const rd_kafka_message_t *m)
{
	*k = (struct rt_kmsg){.partition = m->partition, .offset = m->offset};
	k->key_len = m->key ? m->key_len : 0;
	k->key = rt_memdup0(m->key, k->key_len);
	k->value_len = m->payload ? m->len : 0;
	k->value = rt_memdup0(m->payload, k->value_len);
	rd_kafka_headers_t *h;
	if (rd_kafka_message_headers(m, &h))
		return;
	const char *name;
	const void *val;
	size_t len;
	while (k->nh < RT_KMSG_HEADERS &&
	       !rd_kafka_header_get_all(h, k->nh, &name, &val, &len)) {
		k->hname[k->nh] = rt_memdup0(name, strlen(name));
		k->hval[k->nh] = rt_memdup0(val, val ? len : 0);
		k->nh++;
	}
}

size_t rt_read_topic(const char *topic, int partitions, int timeout_ms,
		     struct rt_kmsg **out)
{
	int64_t hw[RT_MAX_PARTS];
	ck_assert_int_le(partitions, RT_MAX_PARTS);
	rd_kafka_t *rk = rt_consumer_new("sluice-rt-reader");
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(partitions);
	int remaining = 0;
	for (int p = 0; p < partitions; p++) {
		hw[p] = rt_high_watermark(topic, p);
		if (hw[p] > 0) {
			rd_kafka_topic_partition_list_add(l, topic, p)->offset =
				RD_KAFKA_OFFSET_BEGINNING;
			remaining++;
		}
	}
	ck_assert(!rd_kafka_assign(rk, l));
	rd_kafka_topic_partition_list_destroy(l);
	size_t n = 0, cap = 1024;
	struct rt_kmsg *v = malloc(cap * sizeof(*v));
	ck_assert(v != NULL);
	int64_t deadline = rt_now_ms() + timeout_ms;
	while (remaining > 0) {
		RT_CHECK(rt_now_ms() < deadline, "reading %s: timed out",
			 topic);
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (!m->err && m->offset < hw[m->partition]) {
			if (n == cap) {
				cap *= 2;
				struct rt_kmsg *more =
					realloc(v, cap * sizeof(*v));
				ck_assert(more != NULL);
				v = more;
			}
			kmsg_copy(&v[n++], m);
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

void rt_kmsgs_free(struct rt_kmsg *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
		for (size_t j = 0; j < v[i].nh; j++) {
			free(v[i].hname[j]);
			free(v[i].hval[j]);
		}
	}
	free(v);
}

const char *rt_kmsg_header(const struct rt_kmsg *k, const char *name)
{
	for (size_t i = 0; i < k->nh; i++)
		if (!strcmp(k->hname[i], name))
			return k->hval[i];
	return NULL;
}

/* ---- the end of a test ---- */

void rt_end(const char *keep_env)
{
	for (int i = 0; i < nworkers; i++)
		if (workers[i].pid > 0)
			rt_worker_kill(&workers[i]);
	nworkers = 0;
	for (size_t i = 0; i < MAX_GROUPS; i++) {
		if (groups[i].rk)
			rd_kafka_destroy(groups[i].rk);
		groups[i].rk = NULL;
		groups[i].group[0] = '\0';
	}
	if (reader)
		rd_kafka_destroy(reader);
	reader = NULL;
	broker_stop(mock);
	mock = NULL;
	/* A clean stop; SIGKILL after 10 s. */
	if (broker_pid > 0)
		rt_wait_exit(&broker_pid, SIGTERM, 10000);
	broker_bootstrap[0] = '\0';
	failure_dump = NULL;
	if (getenv(keep_env))
		fprintf(stderr, "files kept in %s\n", rt_dir);
	else
		remove_tree(rt_dir);
	rt_dir[0] = '\0';
}

/* ---- Check ---- */

void rt_add_case(Suite *s, const char *name, const TTest *test, int timeout,
		 SFun setup, SFun teardown)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, timeout);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

int rt_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
