/*
 * test_sink_s3_worker.c - sink-s3 in a real worker (`sluice run` as a
 * child process) reading from a Kafka mock cluster inside this test,
 * writing to the test radosgw (or a directory): seed-shaped events land
 * with every transaction_id exactly once; kill -9 of the worker at 20
 * random points, restarted each time, and still every record once; a 503
 * storm and 30 s of S3 unreachable behind the fault proxy, with no
 * commit meanwhile; an idle flush; the file:// target through kills;
 * snapshot mode on a keyed topic through a kill -9, whose last snapshot
 * must be exactly the latest value per key.
 * Skipped (77) when no S3 server is configured.
 *
 * SINK_S3_KILLS sets the number of kills (20), SINK_S3_EVENTS the number
 * of events of the big run (100000).
 */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "rt_harness.h"
#include "sink_s3_env.h"

#ifndef SLUICE_BIN
#define SLUICE_BIN "./sluice"
#endif
#ifndef SINK_S3_PLUGIN_DIR
#define SINK_S3_PLUGIN_DIR "./plugins/sink-s3/.libs"
#endif
#ifndef SAMPLE_EVENTS
#define SAMPLE_EVENTS "sample-events.jsonl"
#endif

#define TOPIC "transaction_logs"
#define GROUP "sluice-lake"

static struct s3env env;
static struct broker *broker;
static char tmpdir[PATH_MAX];
static char cfg[PATH_MAX], conndir[PATH_MAX], logpath[PATH_MAX];
static pid_t worker;
static int runs;
static struct proxy px;
static rd_kafka_t *admin; /* watermarks and committed offsets */
/* The fault proxy's folder, known to main() so that it stops a proxy a
 * failed test left running. */
static char proxy_dir[PATH_MAX];

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void dump_log(void)
{
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "tail -n 60 '%s' >&2", logpath);
	fprintf(stderr, "---- %s ----\n", logpath);
	if (system(cmd) != 0)
		fprintf(stderr, "(no log)\n");
}

#define W_CHECK(cond, ...)                                                     \
	do {                                                                   \
		if (!(cond)) {                                                 \
			dump_log();                                            \
			ck_abort_msg(__VA_ARGS__);                             \
		}                                                              \
	} while (0)

/* ---- events ---- */

static char *templates[200];
static size_t ntemplates;
static unsigned nonce;

static void load_templates(void)
{
	FILE *f = fopen(SAMPLE_EVENTS, "r");
	ck_assert_ptr_nonnull(f);
	char line[8192];
	ntemplates = 0;
	while (ntemplates < 200 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		templates[ntemplates++] = strdup(line);
	}
	fclose(f);
	ck_assert_uint_eq(ntemplates, 200);
}

static void txid(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%08x-0000-4000-8000-%012zu", nonce, i);
}

/* Event i: a seed event with its own transaction_id and a timestamp
 * 100 ms after the one before (from 2026-01-01T00:00:00Z). */
static int event(size_t i, char *out, size_t cap)
{
	const char *t = templates[i % ntemplates];
	const char *id = strstr(t, "\"transaction_id\": \"") + 19;
	const char *ts = strstr(t, "\"timestamp\": \"") + 14;
	char idbuf[40], tsbuf[40];
	txid(i, idbuf, sizeof(idbuf));
	int64_t ms = 1767225600000LL + (int64_t)i * 100;
	time_t tt = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&tt, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(tsbuf, sizeof(tsbuf), "%s.%03d000Z", base, (int)(ms % 1000));
	/* both values are 36 and 27 characters, as in the templates */
	return snprintf(out, cap, "%.*s%s%.*s%s%s", (int)(id - t), t, idbuf,
			(int)(ts - (id + 36)), id + 36, tsbuf, ts + 27);
}

/* ---- Kafka ---- */

static void conf_set(rd_kafka_conf_t *c, const char *k, const char *v)
{
	char err[512];
	ck_assert_msg(rd_kafka_conf_set(c, k, v, err, sizeof(err)) ==
			      RD_KAFKA_CONF_OK,
		      "%s: %s", k, err);
}

static rd_kafka_t *producer_new(void)
{
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	conf_set(c, "bootstrap.servers", broker_bootstraps(broker));
	conf_set(c, "linger.ms", "5");
	conf_set(c, "log_level", "3");
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	ck_assert_msg(rk != NULL, "%s", err);
	return rk;
}

struct production {
	size_t from, to; /* events */
	int parts;
	int rate; /* events/s, 0 = as fast as possible */
	atomic_int done;
	pthread_t thread;
};

static void produce_range(struct production *p)
{
	rd_kafka_t *rk = producer_new();
	char buf[8192], key[40];
	int64_t t0 = now_ms();
	for (size_t i = p->from; i < p->to; i++) {
		int n = event(i, buf, sizeof(buf));
		txid(i, key, sizeof(key));
		for (;;) {
			rd_kafka_resp_err_t e = rd_kafka_producev(
				rk, RD_KAFKA_V_TOPIC(TOPIC),
				RD_KAFKA_V_PARTITION(
					(int32_t)(i % (size_t)p->parts)),
				RD_KAFKA_V_KEY(key, strlen(key)),
				RD_KAFKA_V_VALUE(buf, (size_t)n),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_END);
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break;
			rd_kafka_poll(rk, 10);
		}
		rd_kafka_poll(rk, 0);
		if (p->rate) {
			int64_t due =
				t0 + (int64_t)(i - p->from) * 1000 / p->rate;
			int64_t wait = due - now_ms();
			if (wait > 0)
				nap_ms(wait);
		}
	}
	rd_kafka_flush(rk, 60000);
	ck_assert_int_eq(rd_kafka_outq_len(rk), 0);
	rd_kafka_destroy(rk);
}

static void *produce_thread(void *arg)
{
	struct production *p = arg;
	produce_range(p);
	atomic_store(&p->done, 1);
	return NULL;
}

static void produce_async(struct production *p)
{
	atomic_init(&p->done, 0);
	ck_assert_int_eq(pthread_create(&p->thread, NULL, produce_thread, p),
			 0);
}

static void admin_init(void)
{
	if (admin)
		return;
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	conf_set(c, "bootstrap.servers", broker_bootstraps(broker));
	conf_set(c, "group.id", GROUP);
	conf_set(c, "enable.auto.commit", "false");
	conf_set(c, "log_level", "3");
	admin = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	ck_assert_msg(admin != NULL, "%s", err);
}

/* Sum over partitions of (high watermark - committed offset). */
static int64_t lag(int parts, int64_t *committed_sum)
{
	admin_init();
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(parts);
	for (int p = 0; p < parts; p++)
		rd_kafka_topic_partition_list_add(l, TOPIC, p);
	rd_kafka_resp_err_t e = rd_kafka_committed(admin, l, 10000);
	ck_assert_msg(!e, "committed: %s", rd_kafka_err2str(e));
	int64_t sum = 0, csum = 0;
	for (int p = 0; p < parts; p++) {
		int64_t lo, hi;
		e = rd_kafka_query_watermark_offsets(admin, TOPIC, p, &lo, &hi,
						     10000);
		ck_assert_msg(!e, "watermarks: %s", rd_kafka_err2str(e));
		int64_t c = l->elems[p].offset >= 0 ? l->elems[p].offset : 0;
		sum += hi - c;
		csum += c;
	}
	rd_kafka_topic_partition_list_destroy(l);
	if (committed_sum)
		*committed_sum = csum;
	return sum;
}

static int wait_committed(int parts, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	while (now_ms() < deadline) {
		if (lag(parts, NULL) == 0)
			return 1;
		nap_ms(250);
	}
	return 0;
}

/* ---- the worker ---- */

static void write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void write_file(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
}

/* target: "s3" (through endpoint) or a directory; config: more lines of
 * the connector's config map, each "  key: value\n". */
static void configure(const char *target, const char *endpoint,
		      const char *config)
{
	snprintf(cfg, sizeof(cfg), "%s/sluice.yaml", tmpdir);
	snprintf(conndir, sizeof(conndir), "%s/c", tmpdir);
	mkdir(conndir, 0755);
	write_file(cfg,
		   "bootstrap.servers: %s\n"
		   "plugin.path: [%s]\n"
		   "connectors.dir: %s\n"
		   "kafka:\n"
		   "  session.timeout.ms: 3000\n"
		   "  heartbeat.interval.ms: 300\n"
		   "log:\n"
		   "  level: info\n"
		   "  progress.interval: 2s\n"
		   "shutdown.timeout: 30s\n"
		   "memory.budget: 64MiB\n",
		   broker_bootstraps(broker), SINK_S3_PLUGIN_DIR, conndir);
	char path[PATH_MAX + 16], where[1024];
	snprintf(path, sizeof(path), "%s/lake.yaml", conndir);
	if (!strcmp(target, "s3"))
		snprintf(where, sizeof(where),
			 "  target: s3://%s\n  prefix: %s\n"
			 "  s3.endpoint: %s\n  s3.region: %s\n",
			 env.bucket, env.prefix, endpoint, env.region);
	else
		snprintf(where, sizeof(where), "  target: file://%s\n", target);
	write_file(path,
		   "name: lake\nplugin: sink-s3\ntopics: [%s]\nconfig:\n%s%s"
		   "errors:\n  retry.delay.max: 2s\n  retry.timeout: 10m\n",
		   TOPIC, where, config);
}

static void spawn(void)
{
	ck_assert_int_eq(worker, 0);
	snprintf(logpath, sizeof(logpath), "%s/worker-%d.log", tmpdir, ++runs);
	char *const argv[] = {SLUICE_BIN, "run", "-c", cfg, NULL};
	worker = rt_spawn(argv, logpath);
}

/* The exit status (or 128 + signal). */
static int stop(int sig, int timeout_ms)
{
	ck_assert_int_gt(worker, 0);
	/* A SIGTERM before the worker set its handlers up would end it
	 * outright (128 + 15): a graceful stop waits until it runs (the
	 * last restart of a kill test may find everything committed). */
	if (sig == SIGTERM)
		rt_wait_log(logpath, "worker running", 1, 60000);
	kill(worker, sig);
	int64_t deadline = now_ms() + timeout_ms;
	int st;
	for (;;) {
		pid_t r = waitpid(worker, &st, WNOHANG);
		if (r == worker)
			break;
		if (now_ms() >= deadline) {
			kill(worker, SIGKILL);
			waitpid(worker, &st, 0);
			worker = 0;
			return -1;
		}
		nap_ms(20);
	}
	worker = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int alive(void)
{
	int st;
	return worker > 0 && waitpid(worker, &st, WNOHANG) == 0;
}

/* ---- fixtures ---- */

static void setup(void)
{
	ck_assert_int_eq(s3env_init(&env, "worker"), 0);
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/sink-s3-worker-XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	char err[512];
	broker = broker_start(1, err, sizeof(err));
	ck_assert_msg(broker != NULL, "%s", err);
	worker = 0;
	runs = 0;
	admin = NULL;
	memset(&px, 0, sizeof(px));
	nonce = (unsigned)getpid() ^ (unsigned)time(NULL);
	load_templates();
}

static void teardown(void)
{
	if (worker > 0) {
		kill(worker, SIGKILL);
		waitpid(worker, NULL, 0);
		worker = 0;
	}
	proxy_stop(&px);
	if (admin)
		rd_kafka_destroy(admin);
	admin = NULL;
	broker_stop(broker);
	broker = NULL;
	if (!getenv("KEEP")) {
		s3env_delete_prefix(&env, env.prefix);
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
	s3env_free(&env);
	for (size_t i = 0; i < ntemplates; i++)
		free(templates[i]);
}

static void make_topic(int parts)
{
	char err[512];
	ck_assert_msg(broker_create_topic(broker, TOPIC, parts, err,
					  sizeof(err)) == 0,
		      "%s", err);
	/* The worker creates its offsets topic when missing, through an
	 * admin API the mock does not answer (a 10 s wait): make it here. */
	ck_assert_msg(broker_create_topic(broker, "sluice-offsets", 1, err,
					  sizeof(err)) == 0,
		      "%s", err);
}

/* Every event i < n exactly once in the objects under the prefix. */
static void check_s3(size_t n)
{
	size_t nobj, dups, missing;
	char *lines = s3env_read_lines(&env, env.prefix, &nobj);
	size_t got = s3env_count_ids(lines, "transaction_id", n, txid, &dups,
				     &missing);
	free(lines);
	W_CHECK(dups == 0 && missing == 0 && got == n,
		"%zu lines in %zu objects for %zu events: %zu duplicates, "
		"%zu missing",
		got, nobj, n, dups, missing);
	ck_assert_int_eq(s3env_uploads(&env, env.prefix), 0);
}

/* The same over the files of a directory. */
static void check_dir(const char *dir, size_t n)
{
	char cmd[PATH_MAX + 128], out[PATH_MAX + 16];
	snprintf(out, sizeof(out), "%s/all.jsonl", tmpdir);
	snprintf(
		cmd, sizeof(cmd),
		"find '%s' -type f -name '*.jsonl' ! -name '.*' -exec cat {} + "
		"> '%s'",
		dir, out);
	ck_assert_int_eq(system(cmd), 0);
	FILE *f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *lines = malloc((size_t)len + 1);
	ck_assert_uint_eq(fread(lines, 1, (size_t)len, f), (size_t)len);
	lines[len] = '\0';
	fclose(f);
	size_t dups, missing;
	size_t got = s3env_count_ids(lines, "transaction_id", n, txid, &dups,
				     &missing);
	free(lines);
	W_CHECK(dups == 0 && missing == 0 && got == n,
		"%zu lines for %zu events: %zu duplicates, %zu missing", got, n,
		dups, missing);
	snprintf(cmd, sizeof(cmd), "test -z \"$(find '%s' -name '.*.tmp')\"",
		 dir);
	ck_assert_msg(system(cmd) == 0, "temporary files left in %s", dir);
}

static size_t env_size(const char *name, size_t def)
{
	const char *v = getenv(name);
	return v && *v ? (size_t)strtoull(v, NULL, 10) : def;
}

/* ---- tests ---- */

START_TEST(seed_events_exactly_once)
{
	size_t n = env_size("SINK_S3_EVENTS", 100000);
	int parts = 24; /* about 3 MB each: the mock keeps about 5 MiB */
	make_topic(parts);
	struct production p = {.from = 0, .to = n, .parts = parts};
	int64_t t0 = now_ms();
	produce_range(&p);
	int64_t t1 = now_ms();
	configure("s3", env.endpoint,
		  "  flush.size: 1500\n"
		  "  flush.idle: 2s\n"
		  "  path.format: dt=%Y-%m-%d/hour=%H\n"
		  "  timestamp.field: timestamp\n");
	spawn();
	W_CHECK(wait_committed(parts, 180000), "not all committed");
	int64_t t2 = now_ms();
	W_CHECK(stop(SIGTERM, 30000) == 0, "worker exit");
	check_s3(n);
	printf("%zu seed events: produced in %.1f s, in S3 and committed "
	       "%.1f s after the worker started\n",
	       n, (double)(t1 - t0) / 1000, (double)(t2 - t1) / 1000);
}
END_TEST

/* Kills at random points while events keep coming, restarts each time;
 * then every event is in exactly one object. Idle flushes and a small
 * memory budget make object ends depend on timing, which is what the
 * recovery must reproduce. */
static void kill_loop(const char *target, int kills)
{
	/* 40000 events over 12 partitions: about 2.3 MB each, within what
	 * the mock keeps; produced during most of the kills. */
	int parts = 12;
	make_topic(parts);
	size_t n = 40000;
	/* produced over about as long as the kills take (3.6 s each) */
	struct production p = {
		.from = 0,
		.to = n,
		.parts = parts,
		.rate = (int)(n * 1000 / ((size_t)kills * 3600))};
	char config[512];
	snprintf(config, sizeof(config),
		 "  flush.size: 700\n"
		 "  flush.idle: 1s\n"
		 "  memory.budget: 2MiB\n"
		 "  path.format: hour=%%H\n"
		 "  timestamp.field: timestamp\n"
		 "  s3.retry.backoff: 50ms\n");
	configure(target, env.endpoint, config);
	produce_async(&p);
	unsigned seed = (unsigned)getpid();
	int64_t t0 = now_ms();
	for (int k = 0; k < kills; k++) {
		spawn();
		/* 0.3 .. 7 s: before the group join (about 4.7 s after a
		 * kill: the dead member's session must end first), during
		 * recovery, during uploads, between an upload and its
		 * commit, ... */
		nap_ms(300 + rand_r(&seed) % 6700);
		W_CHECK(alive(), "worker died on its own (run %d)", runs);
		ck_assert_int_eq(stop(SIGKILL, 5000), 128 + SIGKILL);
	}
	int64_t t1 = now_ms();
	spawn();
	pthread_join(p.thread, NULL);
	W_CHECK(wait_committed(parts, 120000), "not all committed");
	W_CHECK(stop(SIGTERM, 30000) == 0, "worker exit");
	int64_t t2 = now_ms();
	if (!strcmp(target, "s3"))
		check_s3(n);
	else
		check_dir(target, n);
	printf("%s: %d kills in %.1f s, %zu events, all committed %.1f s "
	       "later, checked in %.1f s\n",
	       target, kills, (double)(t1 - t0) / 1000, n,
	       (double)(t2 - t1) / 1000, (double)(now_ms() - t2) / 1000);
}

START_TEST(kill9_at_random_points)
{
	kill_loop("s3", (int)env_size("SINK_S3_KILLS", 20));
}
END_TEST

START_TEST(kill9_file_target)
{
	char dir[PATH_MAX + 8];
	snprintf(dir, sizeof(dir), "%s/lake", tmpdir);
	kill_loop(dir, 6);
}
END_TEST

/* A 503 storm (every third request), then S3 unreachable for 30 s: no
 * commit while it is down, then everything once. */
START_TEST(storm_and_outage)
{
	int parts = 8;
	make_topic(parts);
	ck_assert_int_eq(proxy_start(&px, proxy_dir, env.endpoint), 0);
	ck_assert_int_eq(proxy_set(&px, "error_every=3"), 0);
	size_t n = 24000;
	struct production p = {.from = 0, .to = n, .parts = parts, .rate = 800};
	configure("s3", px.endpoint,
		  "  flush.size: 200\n"
		  "  flush.idle: 1s\n"
		  "  s3.retries: 4\n"
		  "  s3.retry.backoff: 50ms\n"
		  "  s3.retry.backoff.max: 1s\n");
	produce_async(&p);
	spawn();
	nap_ms(10000);
	W_CHECK(alive(), "worker died in the storm");
	long injected = proxy_stat(&px, "errors_injected");
	ck_assert_int_gt(injected, 5);
	ck_assert_int_eq(proxy_set(&px, "down=30"), 0);
	nap_ms(2500); /* what was in flight settles */
	int64_t before, after;
	lag(parts, &before);
	nap_ms(26000);
	lag(parts, &after);
	W_CHECK(alive(), "worker died while S3 was down");
	W_CHECK(before == after,
		"offsets committed while S3 was down (%" PRId64 " -> %" PRId64
		")",
		before, after);
	pthread_join(p.thread, NULL);
	W_CHECK(wait_committed(parts, 120000), "not all committed after");
	W_CHECK(stop(SIGTERM, 30000) == 0, "worker exit");
	check_s3(n);
	printf("storm: %ld errors injected; outage: committed stayed at "
	       "%" PRId64 " for 26 s\n",
	       injected, before);
}
END_TEST

/* A quiet partition is written out by the idle flush, without a stop
 * and without more records. */
START_TEST(idle_flush_in_worker)
{
	make_topic(2);
	struct production p = {.from = 0, .to = 10, .parts = 2};
	produce_range(&p);
	configure("s3", env.endpoint,
		  "  flush.size: 100000\n  flush.idle: 2s\n");
	spawn();
	W_CHECK(wait_committed(2, 30000), "idle batch not committed");
	check_s3(10);
	W_CHECK(stop(SIGTERM, 30000) == 0, "worker exit");
}
END_TEST

/* ---- snapshot mode ---- */

#define SNAP_KEYS 300

/* Record i of the keyed topic: key k<i % SNAP_KEYS>, always in the
 * same partition (latest-per-key is only defined within one), every
 * 9th a tombstone. */
static int snap_key(size_t i)
{
	return (int)(i % SNAP_KEYS);
}

static int snap_tombstone(size_t i)
{
	return i % 9 == 4;
}

static int snap_value(size_t i, char *buf, size_t cap)
{
	return snprintf(buf, cap,
			"{\"user\":\"k%03d\",\"seq\":%zu,\"total\":%zu.%02zu}",
			snap_key(i), i, i * 7 % 1000, i % 100);
}

static void *snap_produce(void *arg)
{
	struct production *p = arg;
	rd_kafka_t *rk = producer_new();
	char buf[256], key[16];
	int64_t t0 = now_ms();
	for (size_t i = p->from; i < p->to; i++) {
		int n = snap_value(i, buf, sizeof(buf));
		snprintf(key, sizeof(key), "k%03d", snap_key(i));
		int tomb = snap_tombstone(i);
		for (;;) {
			rd_kafka_resp_err_t e = rd_kafka_producev(
				rk, RD_KAFKA_V_TOPIC(TOPIC),
				RD_KAFKA_V_PARTITION(
					(int32_t)(snap_key(i) % p->parts)),
				RD_KAFKA_V_KEY(key, strlen(key)),
				/* Parenthesised: the macro casts its first
				 * argument, which would bind to `tomb`. */
				RD_KAFKA_V_VALUE((tomb ? NULL : buf),
						 tomb ? 0 : (size_t)n),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_END);
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break;
			rd_kafka_poll(rk, 10);
		}
		rd_kafka_poll(rk, 0);
		int64_t wait =
			t0 + (int64_t)(i - p->from) * 1000 / p->rate - now_ms();
		if (wait > 0)
			nap_ms(wait);
	}
	rd_kafka_flush(rk, 60000);
	rd_kafka_destroy(rk);
	atomic_store(&p->done, 1);
	return NULL;
}

/* A keyed topic, a worker in snapshot mode killed with -9 once while
 * records keep coming, restarted: once everything is committed (which
 * happens only with a snapshot), the newest snapshot is exactly the
 * latest value per key the test computes, and at most snapshot.keep
 * snapshots remain. */
START_TEST(snapshot_mode_through_kill9)
{
	int parts = 4;
	make_topic(parts);
	size_t n = 9000;
	struct production p = {.from = 0, .to = n, .parts = parts, .rate = 900};
	configure("s3", env.endpoint,
		  "  mode: snapshot\n"
		  "  snapshot.interval: 1s\n"
		  "  snapshot.keep: 2\n");
	atomic_init(&p.done, 0);
	ck_assert_int_eq(pthread_create(&p.thread, NULL, snap_produce, &p), 0);
	spawn();
	unsigned seed = (unsigned)getpid();
	nap_ms(3000 + rand_r(&seed) % 3000);
	W_CHECK(alive(), "worker died on its own");
	ck_assert_int_eq(stop(SIGKILL, 5000), 128 + SIGKILL);
	spawn();
	pthread_join(p.thread, NULL);
	W_CHECK(wait_committed(parts, 120000), "not all committed");
	W_CHECK(stop(SIGTERM, 30000) == 0, "worker exit");

	/* the latest value per key, in key order */
	static char want[SNAP_KEYS][128];
	static int present[SNAP_KEYS];
	memset(present, 0, sizeof(present));
	for (size_t i = 0; i < n; i++) {
		present[snap_key(i)] = !snap_tombstone(i);
		if (present[snap_key(i)])
			snap_value(i, want[snap_key(i)], sizeof(want[0]));
	}
	size_t cap = SNAP_KEYS * 128, len = 0;
	char *expect = malloc(cap);
	size_t rows = 0;
	for (int k = 0; k < SNAP_KEYS; k++)
		if (present[k]) {
			len += (size_t)snprintf(expect + len, cap - len, "%s\n",
						want[k]);
			rows++;
		}
	char key[PATH_MAX];
	snprintf(key, sizeof(key), "%s/%s/_latest", env.prefix, TOPIC);
	size_t got_len;
	char *latest = s3env_get(&env, key, &got_len);
	W_CHECK(latest != NULL && got_len > 1, "no %s", key);
	latest[got_len - 1] = '\0';
	char *snap = s3env_get(&env, latest, &got_len);
	W_CHECK(snap != NULL, "no %s", latest);
	W_CHECK(got_len == len && !memcmp(snap, expect, len),
		"%s: %zu bytes, want %zu (%zu rows)", latest, got_len, len,
		rows);
	char pfx[PATH_MAX];
	snprintf(pfx, sizeof(pfx), "%s/%s/snapshot-", env.prefix, TOPIC);
	size_t nsnap;
	char **v = s3env_list(&env, pfx, &nsnap);
	s3env_strv_free(v, nsnap);
	W_CHECK(nsnap >= 1 && nsnap <= 2, "%zu snapshots kept", nsnap);
	printf("snapshot mode: %zu records, %zu rows in %s after a kill -9 "
	       "(%d runs)\n",
	       n, rows, latest, runs);
	free(expect);
	free(snap);
	free(latest);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sink-s3 in a worker");
	TCase *tc = tcase_create("worker");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 400);
	/* SINK_S3_ONLY=name runs the tests whose name contains it. */
	const char *only = getenv("SINK_S3_ONLY");
#define ADD(fn)                                                                \
	if (!only || strstr(#fn, only))                                        \
	tcase_add_test(tc, fn)
	ADD(idle_flush_in_worker);
	ADD(seed_events_exactly_once);
	ADD(kill9_at_random_points);
	ADD(kill9_file_target);
	ADD(storm_and_outage);
	ADD(snapshot_mode_through_kill9);
#undef ADD
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	struct s3env e;
	if (s3env_init(&e, "probe")) {
		printf("skipped: no S3 server (S3_ENDPOINT, S3_BUCKET, "
		       "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)\n");
		return 77;
	}
	s3env_free(&e);
	snprintf(proxy_dir, sizeof(proxy_dir), "/tmp/sluice-s3proxy-w%d",
		 (int)getpid());
	curl_global_init(CURL_GLOBAL_DEFAULT);
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	struct proxy left = {.running = 1};
	snprintf(left.dir, sizeof(left.dir), "%s", proxy_dir);
	proxy_stop(&left);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
