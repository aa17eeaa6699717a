/*
 * test_broker.c - the embedded broker: produce and consume through it in
 * process, and `sluice broker` run as its own process (fixed ports, the
 * bootstrap file, SIGTERM, ports in use, bad arguments).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"

/* tests/broker.mk passes the built binary's absolute path. */
#ifndef SLUICE_BIN
#define SLUICE_BIN "./sluice"
#endif

#define NKEYS 37

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(int ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000};
	nanosleep(&ts, NULL);
}

static void conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[512];
	ck_assert_msg(rd_kafka_conf_set(conf, k, v, err, sizeof(err)) ==
			      RD_KAFKA_CONF_OK,
		      "%s=%s: %s", k, v, err);
}

/* What one produce-and-consume round knows about its messages: message i
 * has key "k<i % NKEYS>" and value "m<i>". */
struct round {
	int n;
	int partitions;
	int32_t *dr_partition; /* by i, from the delivery report */
	int delivered, dr_errors;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct round *r = opaque;
	int i = (int)(intptr_t)m->_private;
	if (m->err) {
		r->dr_errors++;
		return;
	}
	r->dr_partition[i] = m->partition;
	r->delivered++;
}

static void produce(const char *bootstraps, const char *topic, struct round *r)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	conf_set(conf, "bootstrap.servers", bootstraps);
	conf_set(conf, "acks", "all");
	conf_set(conf, "enable.idempotence", "true");
	conf_set(conf, "linger.ms", "5");
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_opaque(conf, r);
	rd_kafka_t *rk =
		rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	ck_assert_msg(rk != NULL, "producer: %s", err);

	for (int i = 0; i < r->n; i++) {
		char key[16], val[16];
		snprintf(key, sizeof(key), "k%d", i % NKEYS);
		snprintf(val, sizeof(val), "m%d", i);
		rd_kafka_resp_err_t e;
		/* A full local queue only means: wait for deliveries. */
		while ((e = rd_kafka_producev(
				rk, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_KEY(key, strlen(key)),
				RD_KAFKA_V_VALUE(val, strlen(val)),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_OPAQUE((void *)(intptr_t)i),
				RD_KAFKA_V_END)) ==
		       RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 50);
		ck_assert_msg(!e, "produce %d: %s", i, rd_kafka_err2str(e));
		rd_kafka_poll(rk, 0);
	}
	ck_assert_int_eq(rd_kafka_flush(rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
	ck_assert_int_eq(r->dr_errors, 0);
	ck_assert_int_eq(r->delivered, r->n);
	rd_kafka_destroy(rk);
}

/* Checks one consumed message against what was produced; returns i. */
static int check_message(const rd_kafka_message_t *m, const struct round *r,
			 const char *seen, int64_t *last_offset, int *last_i)
{
	char val[16], key[16];
	ck_assert_msg(m->len > 0 && m->len < sizeof(val), "bad value length");
	memcpy(val, m->payload, m->len);
	val[m->len] = '\0';
	int i = atoi(val + 1);
	ck_assert_msg(val[0] == 'm' && i >= 0 && i < r->n, "bad value %s", val);
	ck_assert_msg(!seen[i], "message %d delivered twice", i);
	snprintf(key, sizeof(key), "k%d", i % NKEYS);
	ck_assert_msg(m->key_len == strlen(key) &&
			      memcmp(m->key, key, m->key_len) == 0,
		      "message %d has the wrong key", i);
	int p = m->partition;
	ck_assert_int_eq(p, r->dr_partition[i]);
	/* Per partition, offsets and production order both increase. */
	ck_assert_msg(m->offset > last_offset[p] && i > last_i[p],
		      "partition %d: message %d at offset %lld after message "
		      "%d at offset %lld",
		      p, i, (long long)m->offset, last_i[p],
		      (long long)last_offset[p]);
	last_offset[p] = m->offset;
	last_i[p] = i;
	return i;
}

static void consume(const char *bootstraps, const char *topic,
		    const struct round *r)
{
	static int groups;
	char err[512], group[64];
	snprintf(group, sizeof(group), "test-broker-%ld-%d", (long)getpid(),
		 groups++);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	conf_set(conf, "bootstrap.servers", bootstraps);
	conf_set(conf, "group.id", group);
	conf_set(conf, "session.timeout.ms", "6000");
	conf_set(conf, "heartbeat.interval.ms", "500");
	conf_set(conf, "auto.offset.reset", "earliest");
	rd_kafka_t *rk =
		rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	ck_assert_msg(rk != NULL, "consumer: %s", err);
	rd_kafka_poll_set_consumer(rk);
	rd_kafka_topic_partition_list_t *sub =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
	ck_assert_int_eq(rd_kafka_subscribe(rk, sub), 0);
	rd_kafka_topic_partition_list_destroy(sub);

	char *seen = calloc((size_t)r->n, 1);
	int64_t *last_offset = malloc(sizeof(*last_offset) * r->partitions);
	int *last_i = malloc(sizeof(*last_i) * r->partitions);
	for (int p = 0; p < r->partitions; p++) {
		last_offset[p] = -1;
		last_i[p] = -1;
	}
	int got = 0;
	/* After the last expected message, keep polling briefly: a duplicate
	 * arriving late must fail too. */
	int64_t deadline = now_ms() + 45000, quiet_until = 0;
	while (now_ms() < (got < r->n ? deadline : quiet_until)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		ck_assert_msg(!m->err, "consume: %s",
			      rd_kafka_message_errstr(m));
		ck_assert_msg(m->partition >= 0 && m->partition < r->partitions,
			      "partition %d", (int)m->partition);
		seen[check_message(m, r, seen, last_offset, last_i)] = 1;
		rd_kafka_message_destroy(m);
		if (++got == r->n)
			quiet_until = now_ms() + 1000;
	}
	ck_assert_int_eq(got, r->n);
	free(seen);
	free(last_offset);
	free(last_i);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

static void produce_consume(const char *bootstraps, const char *topic,
			    int partitions, int n)
{
	struct round r = {.n = n, .partitions = partitions};
	r.dr_partition = calloc((size_t)n, sizeof(*r.dr_partition));
	produce(bootstraps, topic, &r);
	consume(bootstraps, topic, &r);
	free(r.dr_partition);
}

START_TEST(in_process)
{
	char err[512];
	struct broker *b = broker_start(3, err, sizeof(err));
	ck_assert_msg(b != NULL, "%s", err);
	ck_assert_ptr_nonnull(broker_mock(b));
	const char *bs = broker_bootstraps(b);
	/* Three brokers: two commas. */
	ck_assert_ptr_nonnull(strchr(bs, ','));
	ck_assert_ptr_nonnull(strchr(strchr(bs, ',') + 1, ','));
	ck_assert_int_eq(broker_create_topic(b, "t", 8, err, sizeof(err)), 0);
	produce_consume(bs, "t", 8, 10000);
	broker_stop(b);
	ck_assert_int_eq(rd_kafka_wait_destroyed(10000), 0);
}
END_TEST

START_TEST(topic_check)
{
	char err[512], long_name[251];
	ck_assert_int_eq(broker_topic_check("a.B_c-9", 1, err, sizeof(err)), 0);
	ck_assert_int_eq(broker_topic_check("t", 10000, err, sizeof(err)), 0);
	ck_assert_int_eq(broker_topic_check("", 1, err, sizeof(err)), -1);
	ck_assert_int_eq(broker_topic_check("a b", 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "'a b'"));
	ck_assert_int_eq(broker_topic_check("a/b", 1, err, sizeof(err)), -1);
	ck_assert_int_eq(broker_topic_check("..", 1, err, sizeof(err)), -1);
	ck_assert_int_eq(broker_topic_check("t", 0, err, sizeof(err)), -1);
	ck_assert_int_eq(broker_topic_check("t", 10001, err, sizeof(err)), -1);
	memset(long_name, 'x', 249);
	long_name[249] = '\0';
	ck_assert_int_eq(broker_topic_check(long_name, 1, err, sizeof(err)), 0);
	long_name[249] = 'x';
	long_name[250] = '\0';
	ck_assert_int_eq(broker_topic_check(long_name, 1, err, sizeof(err)),
			 -1);
}
END_TEST

/* ---- `sluice broker` as a process ---- */

/* A socket bound to 127.0.0.1:port, listening if asked; -1 if taken. */
static int bind_port(int port, int listening)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    (listening && listen(fd, 1))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The first of count consecutive free ports, from a start that differs
 * between runs so that parallel test runs rarely collide. */
static int free_ports(int count)
{
	int start = 20000 + (int)((getpid() * 7919L + now_ms()) % 30000);
	for (int base = start; base < start + 5000; base += count) {
		int ok = 1;
		for (int p = base; p < base + count && ok; p++) {
			int fd = bind_port(p, 0);
			ok = fd >= 0;
			if (ok)
				close(fd);
		}
		if (ok)
			return base;
	}
	ck_abort_msg("no %d free consecutive ports", count);
	return -1;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-test-broker-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	static const char *const names[] = {"out", "err", "bootstrap"};
	char path[128];
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

/* Runs `sluice broker args...` with stdout and stderr in tmpdir/out and
 * tmpdir/err. */
static pid_t spawn_broker(const char *const *args)
{
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)SLUICE_BIN;
	argv[n++] = (char *)"broker";
	for (; *args && n < 31; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	ck_assert_msg(access(SLUICE_BIN, X_OK) == 0, "%s: %s", SLUICE_BIN,
		      strerror(errno));

	char out[128], errf[128];
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	snprintf(errf, sizeof(errf), "%s/err", tmpdir);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* A failed assertion ends this test's process; the broker
		 * must not outlive it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		execv(SLUICE_BIN, argv);
		_exit(127);
	}
	return pid;
}

/* The exit status, or -1 if pid is still running after ms. */
static int wait_exit(pid_t pid, int ms)
{
	int64_t deadline = now_ms() + ms;
	int status;
	do {
		pid_t w = waitpid(pid, &status, WNOHANG);
		ck_assert_int_ge(w, 0);
		if (w == pid)
			return status;
		nap_ms(20);
	} while (now_ms() < deadline);
	return -1;
}

static void read_file(const char *name, char *buf, size_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Waits up to 10 s for tmpdir/bootstrap, failing early if pid exits. */
static void wait_bootstrap_file(pid_t pid, char *buf, size_t len)
{
	char path[128], errtext[4096];
	struct stat st;
	snprintf(path, sizeof(path), "%s/bootstrap", tmpdir);
	int64_t deadline = now_ms() + 10000;
	while (stat(path, &st) != 0) {
		int status = wait_exit(pid, 20);
		if (status != -1) {
			read_file("err", errtext, sizeof(errtext));
			ck_abort_msg("sluice broker exited (status %d): %s",
				     status, errtext);
		}
		ck_assert_msg(now_ms() < deadline, "no %s after 10 s", path);
	}
	read_file("bootstrap", buf, len);
}

static void stop_broker(pid_t pid, int sig)
{
	ck_assert_int_eq(kill(pid, sig), 0);
	int status = wait_exit(pid, 15000);
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ck_abort_msg("sluice broker still running 15 s after signal %d",
			     sig);
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "sluice broker ended with status %d", status);
}

START_TEST(cli_fixed_ports)
{
	char want[64], got[256], path[128];
	make_tmpdir();
	int port = free_ports(2);
	char port_s[16];
	snprintf(port_s, sizeof(port_s), "%d", port);
	snprintf(path, sizeof(path), "%s/bootstrap", tmpdir);
	const char *args[] = {"--port",	 port_s, "--brokers",	     "2",
			      "--topic", "a:3",	 "--bootstrap-file", path,
			      NULL};
	pid_t pid = spawn_broker(args);

	wait_bootstrap_file(pid, got, sizeof(got));
	snprintf(want, sizeof(want), "127.0.0.1:%d,127.0.0.1:%d\n", port,
		 port + 1);
	ck_assert_str_eq(got, want);
	read_file("out", got, sizeof(got));
	ck_assert_str_eq(got, want);

	want[strlen(want) - 1] = '\0';
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	conf_set(conf, "bootstrap.servers", want);
	rd_kafka_t *rk =
		rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	ck_assert_msg(rk != NULL, "%s", err);
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, "a", NULL);
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
	ck_assert_msg(!e, "metadata: %s", rd_kafka_err2str(e));
	ck_assert_int_eq(md->broker_cnt, 2);
	ck_assert_int_eq(md->topic_cnt, 1);
	ck_assert_int_eq(md->topics[0].err, 0);
	ck_assert_int_eq(md->topics[0].partition_cnt, 3);
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);

	produce_consume(want, "a", 3, 1000);

	stop_broker(pid, SIGTERM);
	ck_assert_int_ne(access(path, F_OK), 0);
	read_file("err", got, sizeof(got));
	ck_assert_ptr_nonnull(strstr(got, "in memory only"));
	remove_tmpdir();
}
END_TEST

START_TEST(cli_random_ports)
{
	char got[256], path[128];
	make_tmpdir();
	snprintf(path, sizeof(path), "%s/bootstrap", tmpdir);
	const char *args[] = {"--bootstrap-file", path, NULL};
	pid_t pid = spawn_broker(args);
	wait_bootstrap_file(pid, got, sizeof(got));
	int port = 0, end = 0;
	ck_assert_int_eq(sscanf(got, "127.0.0.1:%d\n%n", &port, &end), 1);
	ck_assert_msg(port > 0 && port < 65536 && got[end] == '\0', "got %s",
		      got);
	stop_broker(pid, SIGINT);
	remove_tmpdir();
}
END_TEST

/* `sluice broker --port base --brokers 2` with port busy held open. */
static void check_port_in_use(int base, int busy)
{
	char base_s[16], want[64], got[4096];
	make_tmpdir();
	int fd = bind_port(busy, 1);
	ck_assert_int_ge(fd, 0);
	snprintf(base_s, sizeof(base_s), "%d", base);
	const char *args[] = {"--port", base_s, "--brokers", "2", NULL};
	int status = wait_exit(spawn_broker(args), 10000);
	close(fd);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 4,
		      "status %d", status);
	read_file("err", got, sizeof(got));
	snprintf(want, sizeof(want), "port %d is in use", busy);
	ck_assert_msg(strstr(got, want) != NULL, "stderr: %s", got);
	remove_tmpdir();
}

START_TEST(cli_port_in_use)
{
	int base = free_ports(2);
	check_port_in_use(base, base);
	check_port_in_use(base, base + 1);
}
END_TEST

struct bad_args {
	const char *args[5];
	const char *mention; /* stderr must name the bad argument */
};

static const struct bad_args bad_args[] = {
	{{"--topic", "bad name:3"}, "bad name"},
	{{"--topic", "a/b:3"}, "a/b"},
	{{"--topic", "a:0"}, "a:0"},
	{{"--topic", "a:10001"}, "a:10001"},
	{{"--topic", "a:x"}, "a:x"},
	{{"--topic", "a"}, "'a'"},
	{{"--topic", ":3"}, ":3"},
	{{"--topic", "..:1"}, "..:1"},
	{{"--brokers", "0"}, "--brokers"},
	{{"--port", "70000"}, "--port"},
	{{"--port", "65535", "--brokers", "2"}, "--port"},
	{{"--port"}, "--port"},
	{{"--bogus"}, "--bogus"},
	{{"stray"}, "stray"},
	{{"--topic", "a:1", "--topic", "a:2"}, "given twice"},
};

START_TEST(cli_bad_args)
{
	char got[8192];
	const struct bad_args *t = &bad_args[_i];
	make_tmpdir();
	int status = wait_exit(spawn_broker(t->args), 10000);
	read_file("err", got, sizeof(got));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 2,
		      "%s: status %d, stderr %s", t->args[0], status, got);
	ck_assert_msg(strstr(got, t->mention) != NULL, "stderr: %s", got);
	ck_assert_ptr_nonnull(strstr(got, "Usage: sluice broker"));
	remove_tmpdir();
}
END_TEST

START_TEST(cli_help)
{
	char got[8192];
	make_tmpdir();
	const char *args[] = {"--help", NULL};
	int status = wait_exit(spawn_broker(args), 10000);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "status %d", status);
	read_file("out", got, sizeof(got));
	ck_assert_ptr_nonnull(strstr(got, "Usage: sluice broker"));
	remove_tmpdir();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("broker");
	TCase *tc = tcase_create("in_process");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, topic_check);
	tcase_add_test(tc, in_process);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cli_fixed_ports);
	tcase_add_test(tc, cli_random_ports);
	tcase_add_test(tc, cli_port_in_use);
	tcase_add_loop_test(tc, cli_bad_args, 0,
			    (int)(sizeof(bad_args) / sizeof(*bad_args)));
	tcase_add_test(tc, cli_help);
	suite_add_tcase(s, tc);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
