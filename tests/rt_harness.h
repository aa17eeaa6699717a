/*
 * rt_harness.h - what the integration tests (test_runtime, test_chain,
 * test_rest, test_state_rt, test_faker_resume) share: a temporary
 * directory per test, the test's Kafka broker (a mock cluster inside the
 * test process, or `sluice broker` as a child), `sluice run` workers as
 * child processes, bounded waits, and Kafka clients that read back what
 * the workers wrote.
 *
 * It is test code: a failure ends the test through Check (ck_assert or
 * RT_CHECK), so nothing here returns an error. Its state lives in globals
 * of the test process, set up by rt_dir_make() and a broker start and
 * undone by rt_end(), one test at a time.
 *
 * Each wait here is bounded and polls its condition (every 100 ms, exits
 * every 50 ms), so that it ends as soon as the condition holds and a slow
 * machine only makes it longer. Children get SIGKILL when the test
 * process ends (PR_SET_PDEATHSIG), also when an assertion or a Check
 * timeout ends it.
 *
 * SLUICE_BIN (the sluice binary) comes from the test's CFLAGS, as for
 * the test itself: the harness is compiled once per test program.
 */
#ifndef SLUICE_TESTS_RT_HARNESS_H
#define SLUICE_TESTS_RT_HARNESS_H

#include <check.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <librdkafka/rdkafka.h>

struct broker;

/* ---- time ---- */

/* Monotonic milliseconds: deadlines do not move with the wall clock. */
int64_t rt_now_ms(void);
/* Sleeps ms milliseconds, also when a signal interrupts the sleep. */
void rt_nap_ms(int ms);

/* ---- the test's directory ---- */

/* The test's temporary directory ("" outside a test). */
extern char rt_dir[PATH_MAX];

/* Makes rt_dir: $TMPDIR (or /tmp) / <prefix>-XXXXXX. */
void rt_dir_make(const char *prefix);
/* buf = rt_dir/name. */
void rt_path_in(char *buf, size_t len, const char *name);

/* ---- failure reports ---- */

/* Check ends the test process at once on a failed assertion, so the
 * assertion itself is the only chance to show what the workers logged:
 * RT_CHECK prints that report first, then fails like ck_abort_msg. */
#define RT_CHECK(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond)) {                                                 \
			rt_report_failure();                                   \
			ck_abort_msg(__VA_ARGS__);                             \
		}                                                              \
	} while (0)

/* Prints the failure report: what `dump` prints (by default the last 40
 * lines of each worker's current log), then where the files are kept. */
void rt_report_failure(void);
/* Replaces the default part of the report (NULL: back to the default).
 * rt_end() puts the default back. */
void rt_set_failure_dump(void (*dump)(void));
/* Prints the last `lines` lines of a log to stderr under a heading. */
void rt_tail_log(const char *path, int lines);

/* ---- files ---- */

void rt_write_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The whole file, NUL-terminated (empty when missing); *len (if not NULL)
 * is its length. Free it. */
char *rt_slurp(const char *path, size_t *len);
/* Complete lines only: a line still being written does not count. */
size_t rt_file_lines(const char *path);
/* Lines of a log containing `needle`. */
int rt_log_count(const char *path, const char *needle);
/* Waits until `count` lines of the log contain `needle`; 0 on timeout. */
int rt_wait_log(const char *path, const char *needle, int count,
		int timeout_ms);
/* Waits until the file has n complete lines; 0 on timeout. */
int rt_wait_lines(const char *path, size_t n, int timeout_ms);

/* ---- child processes ---- */

/* Starts argv[0] (a path) with stdout and stderr to `log` (truncated).
 * The child dies with the test process (PR_SET_PDEATHSIG). */
pid_t rt_spawn(char *const argv[], const char *log);
/* Sends `sig` (unless 0) and waits up to timeout_ms for the exit; returns
 * the exit code, 128 + the signal that ended it, or -1 after the timeout
 * (the child is killed then). *pid is 0 afterwards. */
int rt_wait_exit(pid_t *pid, int sig, int timeout_ms);

/* ---- the test's broker ---- */

/* A mock cluster of one broker inside this process; the test may inject
 * faults through broker_mock(rt_broker()). */
void rt_broker_start(void);
/* `sluice broker` as a child with these topics ("name:partitions",
 * NULL-terminated), for a test that does not link the host; waits up to
 * 20 s for its bootstrap file. rt_end() stops it with SIGTERM. */
void rt_broker_spawn(const char *const topics[]);
/* The in-process broker (NULL with rt_broker_spawn). */
struct broker *rt_broker(void);
/* bootstrap.servers of the test's broker. */
const char *rt_bootstraps(void);
/* Creates a topic on the in-process broker. */
void rt_mk_topic(const char *name, int partitions);

/* ---- workers: `sluice run` as a child ---- */

struct rt_worker {
	char name[32];
	char cfg[PATH_MAX]; /* its worker file: rt_dir/<name>.yaml */
	char dir[PATH_MAX]; /* its connectors.d: rt_dir/<name>.d */
	char log[PATH_MAX]; /* of the current (last) run */
	int runs;	    /* runs started; run r logs to <name>-<r>.log */
	pid_t pid;	    /* 0 when not running */
};

/* A worker of this test (at most 4), with its connectors directory made;
 * the test writes its worker file to w->cfg. */
struct rt_worker *rt_worker_add(const char *name);
/* rt_worker_add() and the worker file the runtime tests share: session
 * timeout 6 s, heartbeats every 500 ms, progress every second, 20 s to
 * shut down. bootstrap NULL means the test's broker; `kafka_extra` (or
 * NULL) adds lines to the kafka: section (indented). */
struct rt_worker *rt_worker_new(const char *name, const char *bootstrap,
				const char *plugin_dir,
				const char *kafka_extra);
/* The lines every worker file of the tests starts with: bootstrap.servers,
 * plugin.path and connectors.dir (a %s each, in that order), then the
 * kafka: section with a 6 s session timeout and heartbeats every 500 ms,
 * so that a group notices a dead member soon. */
#define RT_WORKER_HEAD                                                         \
	"bootstrap.servers: %s\n"                                              \
	"plugin.path: %s\n"                                                    \
	"connectors.dir: %s\n"                                                 \
	"kafka:\n"                                                             \
	"  session.timeout.ms: 6000\n"                                         \
	"  heartbeat.interval.ms: 500\n"
/* Writes the connector file <w->dir>/<file>.yaml. */
void rt_conn_write(struct rt_worker *w, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The log of run `run` of the worker. */
void rt_worker_run_log(const struct rt_worker *w, int run, char *buf,
		       size_t len);
/* Starts a run: `sluice run -c <cfg>`, with `--trigger <trigger>` unless
 * trigger is NULL. */
void rt_worker_spawn(struct rt_worker *w, const char *trigger);
/* Whether the current run is still going (reaps it when not). */
int rt_worker_alive(struct rt_worker *w);
/* rt_wait_exit() for the worker's current run. */
int rt_worker_stop(struct rt_worker *w, int sig, int timeout_ms);
/* SIGKILL, and the exit reaped. */
void rt_worker_kill(struct rt_worker *w);
/* SIGTERM: the run exits with EXIT_OK within 30 s and logs "worker
 * stopped" once. */
void rt_worker_stop_ok(struct rt_worker *w);

/* ---- Kafka clients of the test ---- */

void rt_conf_set(rd_kafka_conf_t *c, const char *k, const char *v);
/* A consumer of the test's broker in `group` that commits nothing. */
rd_kafka_t *rt_consumer_new(const char *group);
/* Low and high watermark of a partition (through a reader the harness
 * keeps until rt_end()). */
void rt_watermarks(const char *topic, int32_t partition, int64_t *lo,
		   int64_t *hi);
int64_t rt_high_watermark(const char *topic, int32_t partition);
/* Sum of the high watermarks of partitions 0..partitions-1. */
int64_t rt_total_watermark(const char *topic, int partitions);
/* Waits until the sum of the high watermarks stops moving (a killed
 * producer's last request may still be in the broker; up to 5 s); row[p]
 * is each partition's. Returns the sum. */
int64_t rt_settled_watermarks(const char *topic, int partitions, int64_t *row);

/* Committed offsets of a consumer group (OffsetFetch; the handle never
 * joins the group). Unset ones read as RD_KAFKA_OFFSET_INVALID. */
void rt_committed(const char *group, const char *topic, int partitions,
		  int64_t *out);
/* The committed offset of partition 0. */
int64_t rt_committed1(const char *group, const char *topic);

/* The value test-count-source writes for a record, also used by records
 * the test produces itself; `extra` (or NULL) ends up before the '}'. */
int rt_count_value(char *buf, size_t len, int task, int spart, int64_t seq,
		   const char *extra);
/* Produces n records of source partition 0-0 to partition 0 of topic;
 * record `poison` (or none if -1) carries ,"bad":"POISON". Every record
 * has the header origin=rt. */
void rt_produce_input(const char *topic, int n, int poison);

/* A consumed record, copied (key and value NUL-terminated). */
#define RT_KMSG_HEADERS 16
struct rt_kmsg {
	int32_t partition;
	int64_t offset;
	char *key, *value;
	size_t key_len, value_len;
	size_t nh; /* headers, the first RT_KMSG_HEADERS of them */
	char *hname[RT_KMSG_HEADERS], *hval[RT_KMSG_HEADERS];
};

#define RT_MAX_PARTS 16
/* Every record of the topic (at most RT_MAX_PARTS partitions) up to the
 * high watermarks as they are now, each partition in offset order; fails
 * after timeout_ms. Free with rt_kmsgs_free(). */
size_t rt_read_topic(const char *topic, int partitions, int timeout_ms,
		     struct rt_kmsg **out);
void rt_kmsgs_free(struct rt_kmsg *v, size_t n);
/* A NUL-terminated copy of n bytes (p may be NULL when n is 0). */
char *rt_memdup0(const void *p, size_t n);
/* The value of a record's first header called `name`, or NULL. */
const char *rt_kmsg_header(const struct rt_kmsg *k, const char *name);

/* ---- the end of a test ---- */

/* Kills the workers, closes the harness's clients, stops the broker and
 * removes rt_dir, unless the environment variable `keep_env` is set
 * (then it says where the files are). */
void rt_end(const char *keep_env);

/* ---- Check ---- */

/* A test case of its own (so that CK_RUN_CASE=<name> runs one test) with
 * a checked fixture and a timeout in seconds. */
void rt_add_case(Suite *s, const char *name, const TTest *test, int timeout,
		 SFun setup, SFun teardown);
/* Runs the suite; the exit status of the test program. */
int rt_run_suite(Suite *s);

#endif
