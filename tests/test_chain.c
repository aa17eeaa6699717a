/*
 * test_chain.c - the `transforms:` chain end to end (issue 3). Each test
 * writes a worker file and connector files into a temporary directory and
 * runs `sluice run` (or `sluice validate`) as a child process, with the
 * test plugins of tests/rt: count-source, record-sink, fanout, and
 * chain-stage, a stateless transform that drops, copies, tags and
 * refuses records by their seq. The Kafka broker is a mock cluster inside
 * this test process, so that the test can create topics, read them back
 * and read committed offsets.
 *
 * The harness (workers as children, bounded waits polling every 100 ms,
 * logs printed on a failed assertion, RT_KEEP=1, CK_RUN_CASE=<name>) is
 * tests/rt_harness.c, as for tests/test_runtime.c. Every check is exact: which
 * records, in which order, with which value and headers, and which offsets and
 * positions.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "broker.h"
#include "cli.h"
#include "rt_harness.h"

/* tests/runtime-tests.mk passes these as absolute paths. */
#ifndef SLUICE_BIN
#define SLUICE_BIN "./sluice"
#endif
#ifndef RT_PLUGIN_DIR
#define RT_PLUGIN_DIR "./tests/rt/.libs"
#endif
#ifndef TEST_PLUGIN_DIR
#define TEST_PLUGIN_DIR "./tests/plugins/.libs"
#endif

#define MAX_PARTS 16

static void rt_setup(void)
{
	rt_dir_make("sluice-rt");
	rt_broker_start();
}

static void rt_teardown(void)
{
	rt_end("RT_KEEP");
}

/* A worker file; bootstrap NULL means the broker of this test. */
static struct rt_worker *worker_new(const char *name, const char *bootstrap)
{
	return rt_worker_new(name, bootstrap, RT_PLUGIN_DIR, NULL);
}

/* ---- what the chain is expected to make ---- */

/* The records of a topic (one partition) in order. */
struct topic_dump {
	struct rt_kmsg *v;
	size_t n;
};

static void dump_read(struct topic_dump *d, const char *topic)
{
	d->n = rt_read_topic(topic, 1, 30000, &d->v);
}

static void dump_free(struct topic_dump *d)
{
	rt_kmsgs_free(d->v, d->n);
	d->v = NULL;
	d->n = 0;
}

/* The topic holds exactly `want` values in this order, each with key
 * "0-0-<seq>" (seqs[i]) and header chain.path = `path` (NULL: none). */
static void check_topic_values(const char *topic, char **want,
			       const int64_t *seqs, size_t n, const char *path)
{
	struct topic_dump d;
	dump_read(&d, topic);
	RT_CHECK(d.n == n, "%s holds %zu records, want %zu", topic, d.n, n);
	for (size_t i = 0; i < n; i++) {
		char key[32];
		snprintf(key, sizeof(key), "0-0-%lld", (long long)seqs[i]);
		RT_CHECK(!strcmp(d.v[i].value, want[i]),
			 "%s record %zu: value '%s', want '%s'", topic, i,
			 d.v[i].value, want[i]);
		RT_CHECK(!strcmp(d.v[i].key, key),
			 "%s record %zu: key '%s', want '%s'", topic, i,
			 d.v[i].key, key);
		const char *got = rt_kmsg_header(&d.v[i], "chain.path");
		RT_CHECK(path ? got && !strcmp(got, path) : !got,
			 "%s record %zu: chain.path '%s', want '%s'", topic, i,
			 got ? got : "(none)", path ? path : "(none)");
	}
	dump_free(&d);
}

/* Expected values, built as the test goes. */
struct expect {
	char **v;
	int64_t *seq;
	size_t n, cap;
};

static void expect_add(struct expect *e, int64_t seq, const char *extra)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->v = realloc(e->v, e->cap * sizeof(*e->v));
		e->seq = realloc(e->seq, e->cap * sizeof(*e->seq));
		ck_assert(e->v && e->seq);
	}
	char buf[512];
	rt_count_value(buf, sizeof(buf), 0, 0, seq, extra);
	e->v[e->n] = strdup(buf);
	ck_assert(e->v[e->n] != NULL);
	e->seq[e->n++] = seq;
}

static void expect_free(struct expect *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	free(e->seq);
	*e = (struct expect){0};
}

/* Waits until the group committed `want` on partition 0 of `topic`;
 * never more. */
static void wait_committed(const char *group, const char *topic, int64_t want,
			   int timeout_ms)
{
	int64_t deadline = rt_now_ms() + timeout_ms, c;
	while ((c = rt_committed1(group, topic)) != want) {
		RT_CHECK(c < want, "%s: committed %lld on %s, past %lld", group,
			 (long long)c, topic, (long long)want);
		RT_CHECK(rt_now_ms() < deadline,
			 "%s: committed %lld on %s, want %lld within %d s",
			 group, (long long)c, topic, (long long)want,
			 timeout_ms / 1000);
		rt_nap_ms(100);
	}
}

static void wait_watermark(const char *topic, int64_t want, int timeout_ms)
{
	int64_t deadline = rt_now_ms() + timeout_ms, hw;
	while ((hw = rt_high_watermark(topic, 0)) < want) {
		RT_CHECK(rt_now_ms() < deadline,
			 "%s: %lld records, want %lld within %d s", topic,
			 (long long)hw, (long long)want, timeout_ms / 1000);
		rt_nap_ms(100);
	}
	RT_CHECK(hw == want, "%s: %lld records, want %lld", topic,
		 (long long)hw, (long long)want);
}

/* The last position stored for the connector's source partition. */
static char *stored_position(const char *connector, const char *spart)
{
	char key[128], *pos = NULL;
	snprintf(key, sizeof(key), "[\"%s\",\"%s\"]", connector, spart);
	struct topic_dump d;
	dump_read(&d, "sluice-offsets");
	for (size_t i = 0; i < d.n; i++)
		if (!strcmp(d.v[i].key, key)) {
			free(pos);
			pos = strdup(d.v[i].value);
		}
	dump_free(&d);
	return pos;
}

/* Waits until the stored position of the source partition is `want`. */
static void wait_position(const char *connector, const char *spart,
			  const char *want, int timeout_ms)
{
	char expect[64];
	snprintf(expect, sizeof(expect), "{\"position\":\"%s\"}", want);
	int64_t deadline = rt_now_ms() + timeout_ms;
	for (;;) {
		char *got = stored_position(connector, spart);
		int ok = got && !strcmp(got, expect);
		free(got);
		if (ok)
			return;
		RT_CHECK(rt_now_ms() < deadline,
			 "%s %s: position %s not stored within %d s", connector,
			 spart, want, timeout_ms / 1000);
		rt_nap_ms(200);
	}
}

static void check_position(const char *connector, const char *spart,
			   const char *want)
{
	char *got = stored_position(connector, spart), expect[64];
	snprintf(expect, sizeof(expect), "{\"position\":\"%s\"}", want);
	RT_CHECK(got && !strcmp(got, expect),
		 "%s %s: stored position %s, want %s", connector, spart,
		 got ? got : "(none)", expect);
	free(got);
}

/* A connector file from lines; `chain` is the `transforms:` list. */
static void conn_count_source(struct rt_worker *p, const char *name,
			      const char *topic, int64_t count,
			      const char *chain, const char *extra)
{
	rt_conn_write(p, name,
		      "name: %s\nplugin: test-count-source\ntopic: %s\n"
		      "config:\n  count: %lld\n  partitions: 1\n"
		      "transforms:\n%s%s",
		      name, topic, (long long)count, chain, extra ? extra : "");
}

/* ---- tests ---- */

/*
 * `sluice validate` checks each stage (tests/plugins' good-transform
 * declares two outputs; the other plugins there are broken on purpose, so
 * only its file is on plugin.path): a plugin of the wrong kind, an
 * unknown one (did you mean), one with two outputs, option problems named
 * after the stage, each at the file:line:col of the stage's plugin name or
 * of the option; exit code 3. A valid chain passes.
 */
START_TEST(test_validate)
{
	char dir[PATH_MAX], cfg[PATH_MAX], out[PATH_MAX], conn[PATH_MAX];
	rt_path_in(dir, sizeof(dir), "v.d");
	rt_path_in(cfg, sizeof(cfg), "v.yaml");
	rt_path_in(out, sizeof(out), "v.out");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	rt_write_file(cfg,
		      "bootstrap.servers: embedded\n"
		      "plugin.path: [%s, %s/good-transform.so]\n"
		      "connectors.dir: %s\n",
		      RT_PLUGIN_DIR, TEST_PLUGIN_DIR, dir);
	snprintf(conn, sizeof(conn), "%s/bad.yaml", dir);
	rt_write_file(conn, "name: bad\n"
			    "plugin: test-count-source\n"
			    "topic: v-out\n"
			    "transforms:\n"
			    "  - plugin: test-record-sink\n"
			    "  - plugin: test-chain-stag\n"
			    "  - plugin: good-transform\n"
			    "  - plugin: test-chain-stage\n"
			    "    config:\n"
			    "      copies: 11\n"
			    "      dropp.mod: 2\n"
			    "  - plugin: test-chain-stage\n"
			    "    config: {tag: a, drop.mod: -1}\n");
	char cmd[4 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "'%s' validate -c '%s' >'%s' 2>&1",
		 SLUICE_BIN, cfg, out);
	int st = system(cmd);
	char *text = rt_slurp(out, NULL);
	RT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_CONFIG,
		 "validate: status %d, want exit %d; output:\n%s", st,
		 EXIT_CONFIG, text);
	const char *want[] = {
		"bad.yaml:5:13: error: transforms[0].plugin: plugin "
		"'test-record-sink' is a sink, not a transform\n",
		"bad.yaml:6:13: error: transforms[1].plugin: unknown plugin "
		"'test-chain-stag'; did you mean 'test-chain-stage'?\n",
		"bad.yaml:7:13: error: transforms[2].plugin: plugin "
		"'good-transform' declares 2 outputs; a chain stage has one "
		"(the next stage)\n",
		"bad.yaml:10:15: error: transforms[3].config.copies: 11 is "
		"above the maximum 10\n",
		"bad.yaml:11:7: error: transforms[3].config.dropp.mod: unknown "
		"option for plugin 'test-chain-stage'; did you mean "
		"'drop.mod'?\n",
		"bad.yaml:13:32: error: transforms[4].config.drop.mod: -1 is "
		"below the minimum 0\n",
		"6 problems found\n",
	};
	char all[4096] = "";
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		if (i + 1 < sizeof(want) / sizeof(*want))
			snprintf(all + strlen(all), sizeof(all) - strlen(all),
				 "%s/%s", dir, want[i]);
		else
			snprintf(all + strlen(all), sizeof(all) - strlen(all),
				 "%s", want[i]);
	}
	RT_CHECK(!strcmp(text, all), "validate said:\n%s\nwant:\n%s", text,
		 all);
	free(text);

	/* The same connector with a valid chain. */
	rt_write_file(conn, "name: good\n"
			    "plugin: test-count-source\n"
			    "topic: v-out\n"
			    "transforms:\n"
			    "  - plugin: test-chain-stage\n"
			    "    config: {drop.mod: 3, tag: a}\n"
			    "  - plugin: test-chain-stage\n");
	st = system(cmd);
	text = rt_slurp(out, NULL);
	RT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_OK,
		 "validate of a good chain: status %d; output:\n%s", st, text);
	free(text);
}
END_TEST

/*
 * A source's chain drops every seq divisible by 3. Run 1 counts 0..30
 * (the last record is one that is dropped) and finishes; the position
 * stored for its source partition is 31, past the dropped tail (a dropped
 * record neither stalls nor skips the position). Run 2 counts on to 60:
 * the source resumes at 31, and the topic holds exactly every seq not
 * divisible by 3, once, in order, unchanged.
 */
START_TEST(test_source_filter)
{
	const char *chain = "  - plugin: test-chain-stage\n"
			    "    config:\n      drop.mod: 3\n";
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("sf-out", 1);
	struct rt_worker *w = worker_new("w", NULL);
	conn_count_source(w, "src", "sf-out", 31, chain, NULL);
	rt_worker_spawn(w, NULL);
	wait_watermark("sf-out", 20, 30000);
	/* A finished source stores its final positions as it drains. */
	wait_position("src", "0-0", "31", 20000);
	rt_worker_stop_ok(w);
	check_position("src", "0-0", "31");

	conn_count_source(w, "src", "sf-out", 61, chain, NULL);
	rt_worker_spawn(w, NULL);
	wait_watermark("sf-out", 40, 30000);
	RT_CHECK(rt_wait_log(w->log, "[src/0] resuming 0-0 at 31", 1, 10000),
		 "the source did not resume at 31");
	rt_worker_stop_ok(w);
	RT_CHECK(rt_log_count(w->log, "resuming") == 1,
		 "resumed more than once");
	check_position("src", "0-0", "61");
	struct expect e = {0};
	for (int64_t q = 0; q <= 60; q++)
		if (q % 3)
			expect_add(&e, q, NULL);
	ck_assert_uint_eq(e.n, 40);
	check_topic_values("sf-out", e.v, e.seq, e.n, NULL);
	expect_free(&e);
}
END_TEST

/*
 * A sink's chain drops seqs divisible by 4 and makes two tagged copies of
 * the others. The sink's file holds exactly what put() received: for each
 * kept input record (offset = seq), in order, copy 0 then copy 1, with
 * the consumed record's topic, partition and offset. The last input
 * (offset 100) is dropped; the group still commits 101, the end.
 */
START_TEST(test_sink_chain)
{
	char sink[PATH_MAX];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	rt_mk_topic("sk-in", 1);
	rt_produce_input("sk-in", 101, -1);
	struct rt_worker *w = worker_new("w", NULL);
	rt_conn_write(w, "sink",
		      "name: sink\nplugin: test-record-sink\ntopics: sk-in\n"
		      "config:\n  file: %s\n"
		      "transforms:\n"
		      "  - plugin: test-chain-stage\n"
		      "    config:\n      drop.mod: 4\n      copies: 2\n"
		      "      tag: s\n",
		      sink);
	rt_worker_spawn(w, NULL);
	wait_committed("sluice-sink", "sk-in", 101, 40000);
	rt_worker_stop_ok(w);
	RT_CHECK(rt_committed1("sluice-sink", "sk-in") == 101,
		 "the commit moved at shutdown");
	char *got = rt_slurp(sink, NULL);
	size_t cap = 1 << 16, len = 0;
	char *want = malloc(cap);
	ck_assert(want != NULL);
	want[0] = '\0';
	int kept = 0;
	for (int q = 0; q <= 100; q++) {
		if (q % 4 == 0)
			continue;
		kept++;
		for (int k = 0; k < 2; k++) {
			char extra[32], val[256];
			snprintf(extra, sizeof(extra), ",\"s\":%d", k);
			rt_count_value(val, sizeof(val), 0, 0, q, extra);
			len += (size_t)snprintf(want + len, cap - len,
						"sk-in 0 %d %s\n", q, val);
			ck_assert(len < cap);
		}
	}
	ck_assert_int_eq(kept, 75);
	RT_CHECK(!strcmp(got, want),
		 "the sink's file (%zu lines) differs from the 150 lines "
		 "expected",
		 rt_file_lines(sink));
	free(got);
	free(want);
}
END_TEST

/*
 * A transform's emits pass the chain: fanout makes 2 copies of each
 * input, the chain drops seqs divisible by 5 and tags what it keeps. The
 * output holds exactly, per kept input, copy 0 then copy 1, each tagged
 * once, with chain.path "x"; the group commits 51 (input 50, the last,
 * was dropped whole).
 */
START_TEST(test_transform_chain)
{
	rt_mk_topic("t-in", 1);
	rt_mk_topic("t-out", 1);
	rt_produce_input("t-in", 51, -1);
	struct rt_worker *w = worker_new("w", NULL);
	rt_conn_write(w, "fan",
		      "name: fan\nplugin: test-fanout\ntopics: t-in\n"
		      "topic: t-out\nconfig:\n  copies: 2\n"
		      "transforms:\n"
		      "  - plugin: test-chain-stage\n"
		      "    config:\n      drop.mod: 5\n      tag: x\n");
	rt_worker_spawn(w, NULL);
	wait_committed("sluice-fan", "t-in", 51, 40000);
	rt_worker_stop_ok(w);
	struct expect e = {0};
	for (int64_t q = 0; q <= 50; q++)
		if (q % 5) {
			expect_add(&e, q, ",\"copy\":0,\"x\":0");
			expect_add(&e, q, ",\"copy\":1,\"x\":0");
		}
	ck_assert_uint_eq(e.n, 80);
	check_topic_values("t-out", e.v, e.seq, e.n, "x");
	expect_free(&e);
}
END_TEST

/* The one record of a dead-letter topic: the original, unchanged (value,
 * key, its own headers), with these sluice.error.* headers. */
static void check_dlq(const char *topic, const char *connector,
		      const char *stage, const char *in_topic,
		      const char *partition, const char *offset,
		      const char *message, int64_t seq, int has_origin)
{
	struct topic_dump d;
	dump_read(&d, topic);
	RT_CHECK(d.n == 1, "%s holds %zu records, want 1", topic, d.n);
	const struct {
		const char *name, *want;
	} h[] = {
		{"sluice.error.connector", connector},
		{"sluice.error.task", "0"},
		{"sluice.error.stage", stage},
		{"sluice.error.topic", in_topic},
		{"sluice.error.partition", partition},
		{"sluice.error.offset", offset},
		{"sluice.error.message", message},
	};
	for (size_t i = 0; i < sizeof(h) / sizeof(*h); i++) {
		const char *got = rt_kmsg_header(&d.v[0], h[i].name);
		RT_CHECK(got && !strcmp(got, h[i].want),
			 "%s: header %s is '%s', want '%s'", topic, h[i].name,
			 got ? got : "(none)", h[i].want);
	}
	const char *origin = rt_kmsg_header(&d.v[0], "origin");
	RT_CHECK(has_origin ? origin && !strcmp(origin, "rt") : !origin,
		 "%s: header origin '%s'", topic, origin ? origin : "(none)");
	RT_CHECK(!rt_kmsg_header(&d.v[0], "chain.path"),
		 "%s: the dead-lettered record is a transformed one", topic);
	char want[256], key[32];
	rt_count_value(want, sizeof(want), 0, 0, seq, NULL);
	snprintf(key, sizeof(key), "0-0-%lld", (long long)seq);
	RT_CHECK(!strcmp(d.v[0].value, want), "%s: value '%s', want '%s'",
		 topic, d.v[0].value, want);
	RT_CHECK(!strcmp(d.v[0].key, key), "%s: key '%s', want '%s'", topic,
		 d.v[0].key, key);
	dump_free(&d);
}

#define TOLERATE(dlq)                                                          \
	"errors:\n  tolerance: all\n  deadletterqueue.topic: " dlq "\n"

/*
 * Stages that refuse a record with errors.tolerance all, for each kind:
 *  - a transform whose only stage REJECTs seq 30: its input record goes
 *    to the dead-letter topic with sluice.error.stage transforms[0];
 *  - a sink whose second stage answers FATAL to seq 20 after the first
 *    tagged it: the consumed record, untagged, with stage transforms[1];
 *  - a source whose stage REJECTs seq 7: the polled record, with its
 *    source partition as the topic, partition and offset -1.
 * Everything else arrives once, transformed; inputs are committed to the
 * end, the source's position to its end; no task fails.
 */
START_TEST(test_tolerance_all)
{
	char sink[PATH_MAX];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	rt_mk_topic("sluice-offsets", 1);
	const char *topics[] = {"ta-in", "ta-out", "sa-in",  "so-out",
				"dlq-t", "dlq-s",  "dlq-src"};
	for (size_t i = 0; i < sizeof(topics) / sizeof(*topics); i++)
		rt_mk_topic(topics[i], 1);
	rt_produce_input("ta-in", 60, -1);
	rt_produce_input("sa-in", 40, -1);
	struct rt_worker *w = worker_new("w", NULL);
	rt_conn_write(w, "tall",
		      "name: tall\nplugin: test-fanout\ntopics: ta-in\n"
		      "topic: ta-out\nconfig:\n  copies: 1\n"
		      "transforms:\n"
		      "  - plugin: test-chain-stage\n"
		      "    config:\n      reject.seq: 30\n" TOLERATE("dlq-t"));
	rt_conn_write(w, "sall",
		      "name: sall\nplugin: test-record-sink\ntopics: sa-in\n"
		      "config:\n  file: %s\n"
		      "transforms:\n"
		      "  - plugin: test-chain-stage\n"
		      "    config:\n      tag: a\n"
		      "  - plugin: test-chain-stage\n"
		      "    config:\n      fatal.seq: 20\n" TOLERATE("dlq-s"),
		      sink);
	conn_count_source(w, "srcall", "so-out", 25,
			  "  - plugin: test-chain-stage\n"
			  "    config:\n      reject.seq: 7\n",
			  TOLERATE("dlq-src"));
	rt_worker_spawn(w, NULL);
	wait_committed("sluice-tall", "ta-in", 60, 40000);
	wait_committed("sluice-sall", "sa-in", 40, 40000);
	wait_watermark("so-out", 24, 30000);
	wait_watermark("dlq-src", 1, 30000);
	wait_position("srcall", "0-0", "25", 20000);
	rt_worker_stop_ok(w);
	RT_CHECK(rt_log_count(w->log, "task failed") == 0, "a task failed");
	check_dlq("dlq-t", "tall", "transforms[0]", "ta-in", "0", "30",
		  "seq 30 rejected", 30, 1);
	check_dlq("dlq-s", "sall", "transforms[1]", "sa-in", "0", "20",
		  "seq 20 is fatal", 20, 1);
	check_dlq("dlq-src", "srcall", "transforms[0]", "0-0", "-1", "-1",
		  "seq 7 rejected", 7, 0);
	check_position("srcall", "0-0", "25");

	struct expect e = {0};
	for (int64_t q = 0; q < 60; q++)
		if (q != 30)
			expect_add(&e, q, ",\"copy\":0");
	check_topic_values("ta-out", e.v, e.seq, e.n, NULL);
	expect_free(&e);
	for (int64_t q = 0; q < 25; q++)
		if (q != 7)
			expect_add(&e, q, NULL);
	check_topic_values("so-out", e.v, e.seq, e.n, NULL);
	expect_free(&e);

	char *got = rt_slurp(sink, NULL), want[16384] = "";
	for (int q = 0; q < 40; q++) {
		char val[256];
		if (q == 20)
			continue;
		rt_count_value(val, sizeof(val), 0, 0, q, ",\"a\":0");
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "sa-in 0 %d %s\n", q, val);
	}
	RT_CHECK(!strcmp(got, want), "sink file:\n%s\nwant:\n%s", got, want);
	free(got);
}
END_TEST

/*
 * A stage that rejects seq 25 of a transform with errors.tolerance none:
 * that task fails, naming the record and the stage; another connector of
 * the worker keeps delivering; the failed task's committed offset stops
 * at 25 and its output holds exactly 0..24; at SIGTERM the worker exits 1
 * and the offset is still 25.
 */
START_TEST(test_tolerance_none)
{
	char hsink[PATH_MAX];
	rt_path_in(hsink, sizeof(hsink), "healthy.txt");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("n-in", 1);
	rt_mk_topic("n-out", 1);
	rt_mk_topic("h-out", 1);
	rt_produce_input("n-in", 100, -1);
	struct rt_worker *w = worker_new("w", NULL);
	rt_conn_write(w, "strict",
		      "name: strict\nplugin: test-fanout\ntopics: n-in\n"
		      "topic: n-out\nconfig:\n  copies: 1\n"
		      "transforms:\n"
		      "  - plugin: test-chain-stage\n"
		      "    config:\n      reject.seq: 25\n"
		      "errors:\n  tolerance: none\n");
	rt_conn_write(w, "healthy-src",
		      "name: healthy-src\nplugin: test-count-source\n"
		      "topic: h-out\nconfig:\n  count: 0\n  rate: 200\n");
	rt_conn_write(w, "healthy-sink",
		      "name: healthy-sink\nplugin: test-record-sink\n"
		      "topics: h-out\nconfig:\n  file: %s\n",
		      hsink);
	rt_worker_spawn(w, NULL);
	RT_CHECK(rt_wait_log(w->log, "[strict/0] task failed", 1, 30000),
		 "the strict task did not fail");
	RT_CHECK(rt_log_count(w->log,
			      "[strict/0] task failed: record n-in[0]@25 "
			      "rejected at transforms[0]: seq 25 "
			      "rejected") == 1,
		 "the failure does not name the record and the stage");
	size_t at_fail = rt_file_lines(hsink);
	RT_CHECK(rt_wait_lines(hsink, at_fail + 400, 20000),
		 "the healthy connector stopped after the failure (%zu lines)",
		 rt_file_lines(hsink));
	RT_CHECK(rt_worker_alive(w), "the worker died");
	RT_CHECK(rt_log_count(w->log, "task failed") == 1,
		 "another task failed too");
	wait_committed("sluice-strict", "n-in", 25, 10000);
	struct expect e = {0};
	for (int64_t q = 0; q < 25; q++)
		expect_add(&e, q, ",\"copy\":0");
	check_topic_values("n-out", e.v, e.seq, e.n, NULL);
	expect_free(&e);
	int rc = rt_worker_stop(w, SIGTERM, 30000);
	RT_CHECK(rc == EXIT_FAILURE_RUN, "exit %d, want %d", rc,
		 EXIT_FAILURE_RUN);
	RT_CHECK(rt_committed1("sluice-strict", "n-in") == 25,
		 "the rejected offset was committed at shutdown");
}
END_TEST

/*
 * Two stages run in order: the first drops seqs divisible by 3 and tags
 * "a", the second answers RETRY to its first two calls (retried with
 * backoff, nothing produced twice) and makes two copies tagged "b". The
 * topic holds, per kept seq, ,"a":0,"b":0 then ,"a":0,"b":1, with
 * chain.path "a>b".
 */
START_TEST(test_two_stages)
{
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("ts-out", 1);
	struct rt_worker *w = worker_new("w", NULL);
	conn_count_source(w, "src", "ts-out", 30,
			  "  - plugin: test-chain-stage\n"
			  "    config:\n      drop.mod: 3\n      tag: a\n"
			  "  - plugin: test-chain-stage\n"
			  "    config:\n      copies: 2\n      tag: b\n"
			  "      retry.times: 2\n",
			  NULL);
	rt_worker_spawn(w, NULL);
	wait_watermark("ts-out", 40, 30000);
	wait_position("src", "0-0", "30", 20000);
	rt_worker_stop_ok(w);
	RT_CHECK(rt_log_count(w->log, "[src/0] transforms[1] asked to retry") ==
			 2,
		 "want 2 retries of transforms[1] logged");
	struct expect e = {0};
	for (int64_t q = 0; q < 30; q++)
		if (q % 3) {
			expect_add(&e, q, ",\"a\":0,\"b\":0");
			expect_add(&e, q, ",\"a\":0,\"b\":1");
		}
	check_topic_values("ts-out", e.v, e.seq, e.n, "a>b");
	expect_free(&e);
	check_position("src", "0-0", "30");
}
END_TEST

static void add(Suite *s, const char *name, const TTest *test, int timeout)
{
	rt_add_case(s, name, test, timeout, rt_setup, rt_teardown);
}

static Suite *chain_suite(void)
{
	Suite *s = suite_create("chain");
	add(s, "validate", test_validate, 30);
	add(s, "source_filter", test_source_filter, 120);
	add(s, "sink_chain", test_sink_chain, 90);
	add(s, "transform_chain", test_transform_chain, 90);
	add(s, "tolerance_all", test_tolerance_all, 120);
	add(s, "tolerance_none", test_tolerance_none, 90);
	add(s, "two_stages", test_two_stages, 90);
	return s;
}

int main(void)
{
	return rt_run_suite(chain_suite());
}
