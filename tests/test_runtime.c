/*
 * test_runtime.c - the runtime end to end (issue "host part 2"). Each test
 * writes a worker file and connector files into a temporary directory and
 * runs `sluice run` as a child process, with the test plugins of tests/rt
 * (count-source, record-sink, fanout). The Kafka broker is a mock cluster
 * inside this test process, so that the test can create topics, read them
 * back, read committed offsets, and inject faults; one test uses
 * `bootstrap.servers: embedded` instead.
 *
 * Every wait for a condition is bounded and polls it every 100 ms; the
 * only fixed waits are a broker outage itself and, after a SIGKILL, the
 * broker's session timeout (see test_sigkill). Spawned workers get
 * SIGKILL when the test process ends (PR_SET_PDEATHSIG), also when an
 * assertion or a timeout ends it; teardown kills them too. On a failed
 * assertion the tail of each worker log is printed and the directory is
 * kept (RT_KEEP=1 keeps it always). CK_RUN_CASE=<name> runs one test.
 * That harness is tests/rt_harness.c, shared with the other integration
 * tests.
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
#include <librdkafka/rdkafka_mock.h>

#include "broker.h"
#include "cli.h"
#include "rt_harness.h"

/* tests/runtime-tests.mk passes it (and SLUICE_BIN, which the harness
 * uses) as absolute paths. */
#ifndef RT_PLUGIN_DIR
#define RT_PLUGIN_DIR "./tests/rt/.libs"
#endif

/* Kafka protocol API keys (the public headers do not name them). */
#define API_PRODUCE 0
#define API_FETCH 1
#define API_OFFSET_COMMIT 8

/* The worker's offsets.flush.interval (default; also how often sinks and
 * transforms commit). The duplicate bounds below are in units of it. */
#define FLUSH_INTERVAL_MS 1000

#define GROUP_SINK "sluice-sink" /* group of a connector named "sink" */
#define MAX_TOPICS 8
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

/* How many partitions a task ("conn/id") owns now by its log: the
 * "assigned N" lines less the "revoked N" lines (eager or incremental). */
static int owned_now(const char *log, const char *who)
{
	char *s = rt_slurp(log, NULL), a[96], r[96];
	snprintf(a, sizeof(a), "[%s] assigned ", who);
	snprintf(r, sizeof(r), "[%s] revoked ", who);
	int n = 0;
	for (char *p = s; (p = strstr(p, a)) != NULL; p++)
		n += atoi(p + strlen(a));
	for (char *p = s; (p = strstr(p, r)) != NULL; p++)
		n -= atoi(p + strlen(r));
	free(s);
	return n;
}

/* Waits until the task owns `want` partitions (any, when -1). */
static int wait_owned(const char *log, const char *who, int want,
		      int timeout_ms)
{
	int64_t deadline = rt_now_ms() + timeout_ms;
	for (;;) {
		int n = owned_now(log, who);
		if (want < 0 ? n > 0 : n == want)
			return 1;
		if (rt_now_ms() >= deadline)
			return 0;
		rt_nap_ms(100);
	}
}

/*
 * The consumer groups' assignment strategy: librdkafka's default (EAGER)
 * or cooperative-sticky.
 *
 * The mock broker often forms a new group of several members twice: a
 * member whose SyncGroup arrives after the leader's is refused, rejoins,
 * and the group then waits session.timeout.ms - 1 s for everyone. During
 * that rebalance it refuses (eager) or holds and then rejects with
 * ILLEGAL_GENERATION (cooperative) every commit, so what the first
 * members put meanwhile is delivered again. A real broker would accept
 * those commits. So where a test counts duplicates over a group of
 * several tasks, the group settles before any record is produced
 * (settle(), then the source is added with SIGHUP); groups of one task
 * have no such race; elsewhere only loss is counted.
 */
#define EAGER NULL
#define COOP "cooperative-sticky"

/* A worker file; bootstrap NULL means the broker of this test. */
static struct rt_worker *worker_new(const char *name, const char *bootstrap,
				    const char *strategy)
{
	char extra[128] = "";
	if (strategy)
		snprintf(extra, sizeof(extra),
			 "  partition.assignment.strategy: %s\n", strategy);
	return rt_worker_new(name, bootstrap, RT_PLUGIN_DIR, extra);
}

static void conn_source(struct rt_worker *p, const char *name, int tasks,
			const char *topic, int sparts, int64_t count, int rate)
{
	rt_conn_write(p, name,
		      "name: %s\nplugin: test-count-source\ntasks.max: %d\n"
		      "topic: %s\nconfig:\n  count: %lld\n  partitions: %d\n"
		      "  rate: %d\n",
		      name, tasks, topic, (long long)count, sparts, rate);
}

/* `config` and `extra` are more YAML lines (config ones indented). */
static void conn_sink(struct rt_worker *p, const char *name, int tasks,
		      const char *topic, const char *file, const char *config,
		      const char *extra)
{
	rt_conn_write(p, name,
		      "name: %s\nplugin: test-record-sink\ntasks.max: %d\n"
		      "topics: %s\nconfig:\n  file: %s\n%s%s",
		      name, tasks, topic, file, config ? config : "",
		      extra ? extra : "");
}

static void conn_fanout(struct rt_worker *p, const char *name, int tasks,
			const char *in, const char *out, const char *config,
			const char *extra)
{
	rt_conn_write(p, name,
		      "name: %s\nplugin: test-fanout\ntasks.max: %d\n"
		      "topics: %s\ntopic: %s\nconfig:\n  copies: 2\n%s%s",
		      name, tasks, in, out, config ? config : "",
		      extra ? extra : "");
}

/* ---- records: what the sink wrote, what a topic holds ---- */

/* One record: where it was read and which source record it is. */
struct rec {
	int topic; /* index into the set's topic names */
	int32_t partition;
	int64_t offset;
	int task, spart, copy;
	int64_t seq;
};

struct recset {
	struct rec *v;
	size_t n, cap;
	char topics[MAX_TOPICS][64];
	int ntopics;
	size_t bad; /* unreadable lines */
};

static void recset_free(struct recset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int topic_index(struct recset *s, const char *name)
{
	for (int i = 0; i < s->ntopics; i++)
		if (!strcmp(s->topics[i], name))
			return i;
	ck_assert_int_lt(s->ntopics, MAX_TOPICS);
	snprintf(s->topics[s->ntopics], sizeof(s->topics[0]), "%s", name);
	return s->ntopics++;
}

static int json_int(const char *v, const char *field, int64_t *out)
{
	const char *p = strstr(v, field);
	if (!p)
		return -1;
	char *end;
	*out = strtoll(p + strlen(field), &end, 10);
	return end == p + strlen(field) ? -1 : 0;
}

/* Reads task, spart, seq and copy (0 when absent) from a value. */
static int parse_value(const char *v, struct rec *r)
{
	int64_t task, spart, seq, copy = 0;
	if (json_int(v, "\"task\":", &task) ||
	    json_int(v, "\"spart\":", &spart) || json_int(v, "\"seq\":", &seq))
		return -1;
	json_int(v, "\"copy\":", &copy);
	r->task = (int)task;
	r->spart = (int)spart;
	r->seq = seq;
	r->copy = (int)copy;
	return 0;
}

static void recset_add(struct recset *s, const struct rec *r)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		ck_assert(s->v != NULL);
	}
	s->v[s->n++] = *r;
}

/* Appends the complete lines of a record-sink file. */
static void recset_read_sink(struct recset *s, const char *path)
{
	size_t len;
	char *buf = rt_slurp(path, &len);
	char *line = buf;
	for (char *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		char topic[64];
		int pos = 0;
		struct rec r;
		long long off;
		if (sscanf(line, "%63s %d %lld %n", topic, &r.partition, &off,
			   &pos) != 3 ||
		    !pos || parse_value(line + pos, &r)) {
			s->bad++;
			continue;
		}
		r.offset = off;
		r.topic = topic_index(s, topic);
		recset_add(s, &r);
	}
	free(buf);
}

static void recset_from_kmsgs(struct recset *s, const char *topic,
			      const struct rt_kmsg *v, size_t n)
{
	int t = topic_index(s, topic);
	for (size_t i = 0; i < n; i++) {
		struct rec r = {.topic = t,
				.partition = v[i].partition,
				.offset = v[i].offset};
		if (parse_value(v[i].value, &r)) {
			s->bad++;
			continue;
		}
		recset_add(s, &r);
	}
}

static void recset_read_topic(struct recset *s, const char *topic,
			      int partitions)
{
	struct rt_kmsg *v;
	size_t n = rt_read_topic(topic, partitions, 30000, &v);
	recset_from_kmsgs(s, topic, v, n);
	rt_kmsgs_free(v, n);
}

/* What a run should have produced: per task, `sparts` source partitions
 * each counting 0..count-1, each in `copies` copies. */
struct shape {
	int tasks, sparts;
	int64_t count;
	int copies;
};

static size_t shape_total(const struct shape *sh)
{
	return (size_t)sh->tasks * (size_t)sh->sparts * (size_t)sh->count *
	       (size_t)sh->copies;
}

static long shape_index(const struct shape *sh, const struct rec *r)
{
	if (r->task < 0 || r->task >= sh->tasks || r->spart < 0 ||
	    r->spart >= sh->sparts || r->seq < 0 || r->seq >= sh->count ||
	    r->copy < 0 || r->copy >= sh->copies)
		return -1;
	return (((long)r->task * sh->sparts + r->spart) * sh->count + r->seq) *
		       sh->copies +
	       r->copy;
}

struct tally {
	size_t records;	   /* counted */
	size_t missing;	   /* expected records never seen */
	size_t dups;	   /* extra copies of a record */
	size_t foreign;	   /* records outside the shape, or unreadable */
	size_t repeats;	   /* a (topic, partition, offset) seen again */
	size_t misordered; /* per partition: offset or seq going back */
	size_t holes;	   /* per partition: an offset never seen */
	char problem[256]; /* the first problem, for the message */
};

static void note(struct tally *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct tally *t, const char *fmt, ...)
{
	if (t->problem[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->problem, sizeof(t->problem), fmt, ap);
	va_end(ap);
}

/* Per (topic, partition), over all sets: which offsets were seen, for
 * repeats and holes. */
struct pstate {
	unsigned char *seen;
	int64_t seen_cap, max;
};

static int seen_test_set(struct pstate *ps, int64_t off)
{
	if (off >= ps->seen_cap) {
		int64_t cap = ps->seen_cap ? ps->seen_cap : 4096;
		while (cap <= off)
			cap *= 2;
		ps->seen = realloc(ps->seen, (size_t)cap);
		ck_assert(ps->seen != NULL);
		memset(ps->seen + ps->seen_cap, 0,
		       (size_t)(cap - ps->seen_cap));
		ps->seen_cap = cap;
	}
	int was = ps->seen[off];
	ps->seen[off] = 1;
	if (off > ps->max)
		ps->max = off;
	return was;
}

/*
 * Counts every record of `sh` in the sets. Order is checked within each
 * set (one file, or one topic read): per (topic, partition) the offsets,
 * counting only first occurrences, must increase, and so must (seq, copy)
 * per source partition when `seq_order` is set. Holes: per (topic,
 * partition), over all sets, every offset from 0 to the high watermark
 * (`hw`, or the largest seen when NULL) must have been seen.
 */
static void tally(struct recset *sets, int nsets, const struct shape *sh,
		  const int64_t (*hw)[MAX_PARTS], int seq_order,
		  struct tally *t)
{
	memset(t, 0, sizeof(*t));
	size_t total = shape_total(sh);
	unsigned *count = calloc(total, sizeof(unsigned));
	struct pstate(*all)[MAX_PARTS] =
		calloc(MAX_TOPICS, sizeof(struct pstate[MAX_PARTS]));
	ck_assert(count && all);
	char names[MAX_TOPICS][64];
	int nnames = 0;
	for (int si = 0; si < nsets; si++) {
		struct recset *s = &sets[si];
		t->foreign += s->bad;
		if (s->bad)
			note(t, "%zu unreadable lines", s->bad);
		int64_t last_off[MAX_TOPICS][MAX_PARTS];
		int64_t last_key[MAX_TOPICS][MAX_PARTS][4][8];
		memset(last_off, 0xff, sizeof(last_off));
		memset(last_key, 0xff, sizeof(last_key));
		for (size_t i = 0; i < s->n; i++) {
			const struct rec *r = &s->v[i];
			int ti = 0;
			while (ti < nnames &&
			       strcmp(names[ti], s->topics[r->topic]))
				ti++;
			if (ti == nnames) {
				ck_assert_int_lt(nnames, MAX_TOPICS);
				snprintf(names[nnames++], sizeof(names[0]),
					 "%s", s->topics[r->topic]);
			}
			long k = shape_index(sh, r);
			if (k < 0 || r->partition < 0 ||
			    r->partition >= MAX_PARTS || r->task >= 4 ||
			    r->spart >= 8) {
				t->foreign++;
				note(t, "foreign record %d-%d-%lld copy %d",
				     r->task, r->spart, (long long)r->seq,
				     r->copy);
				continue;
			}
			t->records++;
			if (count[k]++) {
				t->dups++;
				note(t,
				     "duplicate %d-%d-%lld copy %d at "
				     "%s[%d]@%lld",
				     r->task, r->spart, (long long)r->seq,
				     r->copy, names[ti], r->partition,
				     (long long)r->offset);
			}
			struct pstate *ps = &all[ti][r->partition];
			if (seen_test_set(ps, r->offset)) {
				t->repeats++;
				continue;
			}
			int64_t *lo = &last_off[ti][r->partition];
			if (r->offset < *lo) {
				t->misordered++;
				note(t, "%s[%d]: offset %lld after %lld",
				     names[ti], r->partition,
				     (long long)r->offset, (long long)*lo);
			}
			*lo = r->offset;
			int64_t key = r->seq * 128 + r->copy;
			int64_t *lk =
				&last_key[ti][r->partition][r->task][r->spart];
			if (seq_order && key <= *lk) {
				t->misordered++;
				note(t,
				     "%s[%d]: %d-%d-%lld copy %d after seq "
				     "%lld copy %lld",
				     names[ti], r->partition, r->task, r->spart,
				     (long long)r->seq, r->copy,
				     (long long)(*lk / 128),
				     (long long)(*lk % 128));
			}
			*lk = key;
		}
	}
	for (size_t k = 0; k < total; k++) {
		if (!count[k]) {
			t->missing++;
			long c = (long)(k % (size_t)sh->copies);
			long rest = (long)(k / (size_t)sh->copies);
			note(t, "missing %ld-%ld-%ld copy %ld",
			     rest / ((long)sh->count * sh->sparts),
			     rest / (long)sh->count % sh->sparts,
			     rest % (long)sh->count, c);
		}
	}
	for (int ti = 0; ti < nnames; ti++) {
		int idx = 0;
		if (hw) {
			/* hw rows follow the order of the first set's
			 * topics */
			idx = topic_index(&sets[0], names[ti]);
		}
		for (int p = 0; p < MAX_PARTS; p++) {
			struct pstate *ps = &all[ti][p];
			int64_t end = hw	     ? hw[idx][p]
				      : ps->seen_cap ? ps->max + 1
						     : 0;
			for (int64_t o = 0; o < end; o++) {
				if (o >= ps->seen_cap || !ps->seen[o]) {
					t->holes++;
					note(t, "%s[%d]@%lld never seen",
					     names[ti], p, (long long)o);
				}
			}
			free(ps->seen);
		}
	}
	free(all);
	free(count);
}

static void print_tally(const char *what, const struct tally *t)
{
	fprintf(stderr,
		"%s: %zu records, %zu missing, %zu duplicates, %zu foreign, "
		"%zu repeated offsets, %zu out of order, %zu holes%s%s\n",
		what, t->records, t->missing, t->dups, t->foreign, t->repeats,
		t->misordered, t->holes, t->problem[0] ? "; first: " : "",
		t->problem);
}

/* Everything exactly once, in order, no holes. */
static void assert_exact(const char *what, const struct tally *t)
{
	RT_CHECK(!t->missing && !t->dups && !t->foreign && !t->repeats &&
			 !t->misordered && !t->holes,
		 "%s: %zu missing, %zu duplicates, %zu foreign, %zu repeated "
		 "offsets, %zu out of order, %zu holes; first: %s",
		 what, t->missing, t->dups, t->foreign, t->repeats,
		 t->misordered, t->holes, t->problem);
}

/* Everything at least once, offsets in order per file, no holes. */
static void assert_complete(const char *what, const struct tally *t)
{
	RT_CHECK(!t->missing && !t->foreign && !t->misordered && !t->holes,
		 "%s: %zu missing, %zu foreign, %zu out of order, %zu holes; "
		 "first: %s",
		 what, t->missing, t->foreign, t->misordered, t->holes,
		 t->problem);
}

/* How many records of the shape the sink files hold (distinct). */
static size_t distinct_in_files(const char *const *files, int n,
				const struct shape *sh)
{
	size_t total = shape_total(sh), distinct = 0;
	unsigned char *seen = calloc(total, 1);
	ck_assert(seen != NULL);
	for (int i = 0; i < n; i++) {
		struct recset s = {0};
		recset_read_sink(&s, files[i]);
		for (size_t j = 0; j < s.n; j++) {
			long k = shape_index(sh, &s.v[j]);
			if (k >= 0 && !seen[k]) {
				seen[k] = 1;
				distinct++;
			}
		}
		recset_free(&s);
	}
	free(seen);
	return distinct;
}

/* Waits until the files hold every record of the shape. */
static int wait_complete(const char *const *files, int n,
			 const struct shape *sh, int timeout_ms)
{
	int64_t deadline = rt_now_ms() + timeout_ms;
	for (;;) {
		if (distinct_in_files(files, n, sh) == shape_total(sh))
			return 1;
		if (rt_now_ms() >= deadline)
			return 0;
		rt_nap_ms(100);
	}
}

static void hw_row(const char *topic, int partitions, int64_t *row)
{
	for (int p = 0; p < MAX_PARTS; p++)
		row[p] = p < partitions ? rt_high_watermark(topic, p) : 0;
}

/* The sink file against the shape and the topic it read. */
static void check_sink_exact(const char *what, const char *file,
			     const char *topic, int partitions,
			     const struct shape *sh)
{
	struct recset s = {0};
	recset_read_sink(&s, file);
	int64_t hw[MAX_TOPICS][MAX_PARTS] = {{0}};
	topic_index(&s, topic);
	hw_row(topic, partitions, hw[topic_index(&s, topic)]);
	struct tally t;
	tally(&s, 1, sh, (const int64_t(*)[MAX_PARTS])hw, 1, &t);
	print_tally(what, &t);
	assert_exact(what, &t);
	RT_CHECK(t.records == shape_total(sh), "%s: %zu records, want %zu",
		 what, t.records, shape_total(sh));
	recset_free(&s);
}

/* A topic against a shape: every record exactly once, in order. */
static void check_topic_exact(const char *topic, int partitions,
			      const struct shape *sh)
{
	struct recset s = {0};
	recset_read_topic(&s, topic, partitions);
	int64_t hw[MAX_TOPICS][MAX_PARTS] = {{0}};
	hw_row(topic, partitions, hw[topic_index(&s, topic)]);
	struct tally t;
	tally(&s, 1, sh, (const int64_t(*)[MAX_PARTS])hw, 1, &t);
	char what[128];
	snprintf(what, sizeof(what), "topic %s", topic);
	print_tally(what, &t);
	assert_exact(what, &t);
	recset_free(&s);
}

static void check_committed_all(const char *group, const char *topic,
				int partitions)
{
	int64_t c[MAX_PARTS];
	rt_committed(group, topic, partitions, c);
	for (int p = 0; p < partitions; p++) {
		int64_t hw = rt_high_watermark(topic, p);
		RT_CHECK(c[p] == hw || (hw == 0 && c[p] < 0),
			 "group %s: %s[%d] committed %lld, end %lld", group,
			 topic, p, (long long)c[p], (long long)hw);
	}
}

/* Assignment and revocation lines, of every task. */
static int group_events(const char *log)
{
	return rt_log_count(log, "] assigned ") +
	       rt_log_count(log, "] revoked ");
}

/*
 * Waits until the tasks of each consumer connector (conns[i] with
 * tasks[i] tasks) own parts[i] partitions between them and no task was
 * assigned or revoked anything for 1.5 s: three heartbeat intervals,
 * within which an eager rebalance still under way revokes everything.
 */
static void settle(struct rt_worker *w, const char *const *conns,
		   const int *tasks, const int *parts, int n)
{
	int64_t deadline = rt_now_ms() + 40000, quiet_since = rt_now_ms();
	int events = group_events(w->log);
	for (;;) {
		int owned_all = 1;
		for (int i = 0; i < n; i++) {
			int sum = 0;
			for (int k = 0; k < tasks[i]; k++) {
				char who[96];
				snprintf(who, sizeof(who), "%s/%d", conns[i],
					 k);
				sum += owned_now(w->log, who);
			}
			owned_all &= sum == parts[i];
		}
		int e = group_events(w->log);
		if (e != events) {
			events = e;
			quiet_since = rt_now_ms();
		}
		if (owned_all && rt_now_ms() - quiet_since >= 1500)
			return;
		RT_CHECK(rt_now_ms() < deadline,
			 "the consumer groups did not settle within 40 s");
		rt_nap_ms(100);
	}
}

/* Adds a count-source connector to a running worker (SIGHUP). */
static void start_source(struct rt_worker *w, const char *name, int tasks,
			 const char *topic, int sparts, int64_t count, int rate)
{
	int before = rt_log_count(w->log, "reload applied: 1 added, 0 removed");
	conn_source(w, name, tasks, topic, sparts, count, rate);
	ck_assert_int_eq(kill(w->pid, SIGHUP), 0);
	RT_CHECK(rt_wait_log(w->log, "reload applied: 1 added, 0 removed",
			     before + 1, 20000),
		 "source %s was not added", name);
}

/* ---- tests ---- */

/*
 * Source -> topic -> sink, for 1, 4 and 16 partitions with tasks.max 1
 * and 3 (source and sink alike), run to the end and stopped with SIGTERM
 * (exit 0). The sink's group settles first, then the source is added
 * (SIGHUP). The sink file holds every record exactly once; per partition
 * the offsets are 0, 1, 2, ... in order and each source partition's seq
 * increases; the topic holds every record once; the sink's group has
 * committed the end of every partition (every task commits before any
 * leaves the group).
 */
static const int flow_partitions[] = {1, 4, 16};

START_TEST(test_flow)
{
	int parts = flow_partitions[_i / 2], tasks = _i % 2 ? 3 : 1;
	struct shape sh = {tasks, 2, 3000 / tasks, 1};
	char sink[PATH_MAX], what[64];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("flow", parts);
	struct rt_worker *w = worker_new("w", NULL, EAGER);
	conn_sink(w, "sink", tasks, "flow", sink, NULL, NULL);
	rt_worker_spawn(w, NULL);
	const char *conns[] = {"sink"};
	settle(w, conns, &tasks, &parts, 1);
	start_source(w, "src", tasks, "flow", sh.sparts, sh.count, 0);
	const char *files[] = {sink};
	RT_CHECK(wait_complete(files, 1, &sh, 60000),
		 "sink did not get every record within 60 s (%zu lines)",
		 rt_file_lines(sink));
	rt_worker_stop_ok(w);
	snprintf(what, sizeof(what), "flow %d partitions, tasks.max %d", parts,
		 tasks);
	check_sink_exact(what, sink, "flow", parts, &sh);
	check_topic_exact("flow", parts, &sh);
	check_committed_all("sluice-sink", "flow", parts);
}
END_TEST

/*
 * A sink whose fetches outrun it, with a 64 KiB consumer queue and 64 KiB
 * fetches: librdkafka 2.0 stops fetching at a full queue and looks again
 * only when its broker thread wakes for something else, up to a second
 * later, so the host wakes it when the queue has run dry with more on
 * the broker (task_consumer_poll). 20,000 records already in the topic
 * (about 22 such queues): every one arrives exactly once, in order, the
 * group commits the end, and the task logged its first wake. Without the
 * wake the log line is missing and the wait (about a second per queue)
 * runs out.
 */
START_TEST(test_fetch_wake)
{
	struct shape sh = {1, 1, 20000, 1};
	char sink[PATH_MAX];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("wake", 1);
	rt_produce_input("wake", 20000, -1);
	struct rt_worker *w =
		rt_worker_new("w", NULL, RT_PLUGIN_DIR,
			      "  queued.max.messages.kbytes: 64\n"
			      "  max.partition.fetch.bytes: 65536\n");
	conn_sink(w, "sink", 1, "wake", sink, NULL, NULL);
	rt_worker_spawn(w, NULL);
	const char *files[] = {sink};
	RT_CHECK(wait_complete(files, 1, &sh, 15000),
		 "sink did not get every record within 15 s (%zu lines)",
		 rt_file_lines(sink));
	RT_CHECK(rt_log_count(w->log, "[sink/0] the consumer's queue ran dry "
				      "with more on the broker") == 1,
		 "the task did not log its first fetcher wake once");
	rt_worker_stop_ok(w);
	check_sink_exact("fetch wake", sink, "wake", 1, &sh);
	check_committed_all(GROUP_SINK, "wake", 1);
}
END_TEST

/*
 * Source -> topic -> fanout (2 copies) -> topic -> sink, 4 partitions,
 * tasks.max 3 everywhere, with cooperative-sticky groups (settled before
 * the source is added). Every (record, copy) arrives exactly once, in
 * order per partition (input and output topics have the same partition
 * count and the copies keep the key, so a partition's order carries
 * through); both topics hold every record once; both groups committed
 * their input to the end.
 */
START_TEST(test_fanout)
{
	struct shape sh = {3, 2, 1000, 2}, src = {3, 2, 1000, 1};
	char sink[PATH_MAX];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("fo-in", 4);
	rt_mk_topic("fo-out", 4);
	struct rt_worker *w = worker_new("w", NULL, COOP);
	conn_fanout(w, "fan", 3, "fo-in", "fo-out", NULL, NULL);
	conn_sink(w, "sink", 3, "fo-out", sink, NULL, NULL);
	rt_worker_spawn(w, NULL);
	const char *conns[] = {"fan", "sink"};
	const int tasks[] = {3, 3}, parts[] = {4, 4};
	settle(w, conns, tasks, parts, 2);
	start_source(w, "src", 3, "fo-in", 2, 1000, 0);
	const char *files[] = {sink};
	RT_CHECK(wait_complete(files, 1, &sh, 60000),
		 "sink did not get every record within 60 s (%zu lines)",
		 rt_file_lines(sink));
	rt_worker_stop_ok(w);
	check_sink_exact("fanout sink", sink, "fo-out", 4, &sh);
	check_topic_exact("fo-in", 4, &src);
	check_topic_exact("fo-out", 4, &sh);
	check_committed_all("sluice-fan", "fo-in", 4);
	check_committed_all("sluice-sink", "fo-out", 4);
}
END_TEST

/*
 * `bootstrap.servers: embedded`: the worker runs its own broker and
 * creates the topics; source -> sink delivers everything exactly once.
 */
START_TEST(test_embedded)
{
	struct shape sh = {2, 2, 1000, 1};
	char sink[PATH_MAX];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	struct rt_worker *w = worker_new("w", "embedded", EAGER);
	conn_source(w, "src", 2, "emb", 2, 1000, 0);
	conn_sink(w, "sink", 1, "emb", sink, NULL, NULL);
	rt_worker_spawn(w, NULL);
	const char *files[] = {sink};
	RT_CHECK(wait_complete(files, 1, &sh, 60000),
		 "sink did not get every record within 60 s (%zu lines)",
		 rt_file_lines(sink));
	RT_CHECK(rt_log_count(w->log, "bootstrap.servers is 'embedded'") == 1,
		 "no embedded broker in the log");
	rt_worker_stop_ok(w);
	struct recset s = {0};
	recset_read_sink(&s, sink);
	struct tally t;
	tally(&s, 1, &sh, NULL, 1, &t);
	print_tally("embedded", &t);
	assert_exact("embedded", &t);
	recset_free(&s);
}
END_TEST

/* One "put N: RETRY (n records, t[p]@a .. t[p]@b)" line of record-sink. */
struct retry_line {
	size_t n;
	int p1, p2;
	long long o1, o2;
};

static int retry_lines(const char *log, struct retry_line *v, int max)
{
	char *s = rt_slurp(log, NULL);
	int n = 0;
	for (char *p = s; (p = strstr(p, ": RETRY (")) != NULL; p++) {
		char t1[64], t2[64];
		struct retry_line r;
		if (sscanf(p,
			   ": RETRY (%zu records, %63[^[][%d]@%lld .. "
			   "%63[^[][%d]@%lld)",
			   &r.n, t1, &r.p1, &r.o1, t2, &r.p2, &r.o2) == 7 &&
		    n < max)
			v[n++] = r;
	}
	free(s);
	return n;
}

/* The largest offset+1 in the sink file for partition 0, or -1. */
static int64_t sink_end(const char *file)
{
	struct recset s = {0};
	recset_read_sink(&s, file);
	int64_t end = -1;
	for (size_t i = 0; i < s.n; i++)
		if (s.v[i].offset + 1 > end)
			end = s.v[i].offset + 1;
	recset_free(&s);
	return end;
}

/*
 * A sink whose first three puts answer RETRY: the three RETRY log lines
 * name the same batch (same size, same first and last record, starting
 * at offset 0); while it retries nothing is committed, and at every
 * sample the committed offset is at most what the file holds; in the end
 * the file holds every record exactly once and the end is committed.
 */
START_TEST(test_sink_retry)
{
	enum { N = 3000 };
	struct shape sh = {1, 1, N, 1};
	char sink[PATH_MAX];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("r-in", 1);
	rt_produce_input("r-in", N, -1);
	struct rt_worker *w = worker_new("w", NULL, EAGER);
	conn_sink(w, "rsink", 1, "r-in", sink, "  retry.times: 3\n", NULL);
	rt_worker_spawn(w, NULL);
	int during = 0; /* samples taken between the first and third retry */
	int64_t deadline = rt_now_ms() + 30000;
	for (;;) {
		int retries = rt_log_count(w->log, ": RETRY (");
		int64_t c = rt_committed1("sluice-rsink", "r-in");
		int64_t end = sink_end(sink);
		RT_CHECK(c < 0 || c <= end,
			 "committed %lld but the file ends at %lld",
			 (long long)c, (long long)end);
		if (retries < 3) {
			RT_CHECK(c < 0 && end < 0,
				 "committed %lld, file end %lld while the "
				 "sink still retries",
				 (long long)c, (long long)end);
			during += retries > 0;
		}
		if (c == N && end == N)
			break;
		RT_CHECK(rt_now_ms() < deadline,
			 "not done within 30 s: committed %lld, file end %lld, "
			 "%d retries",
			 (long long)c, (long long)end, retries);
		rt_nap_ms(100);
	}
	struct retry_line r[8];
	int nr = retry_lines(w->log, r, 8);
	RT_CHECK(nr == 3, "%d RETRY lines, want 3", nr);
	for (int i = 1; i < nr; i++)
		RT_CHECK(r[i].n == r[0].n && r[i].o1 == r[0].o1 &&
				 r[i].o2 == r[0].o2 && r[i].p1 == r[0].p1,
			 "retry %d got another batch: %zu records @%lld..%lld, "
			 "first was %zu @%lld..%lld",
			 i + 1, r[i].n, r[i].o1, r[i].o2, r[0].n, r[0].o1,
			 r[0].o2);
	RT_CHECK(r[0].o1 == 0 && r[0].n > 0 &&
			 r[0].o2 == r[0].o1 + (long long)r[0].n - 1,
		 "retried batch: %zu records @%lld..%lld", r[0].n, r[0].o1,
		 r[0].o2);
	RT_CHECK(rt_log_count(w->log, "put asked to retry (attempt 3") == 1,
		 "the host did not log the third retry");
	fprintf(stderr,
		"sink retry: batch of %zu retried 3 times; %d samples "
		"during the retries\n",
		r[0].n, during);
	RT_CHECK(during > 0, "no sample was taken while the sink retried");
	rt_worker_stop_ok(w);
	check_sink_exact("sink retry", sink, "r-in", 1, &sh);
	check_committed_all("sluice-rsink", "r-in", 1);
}
END_TEST

/* Parses "[<conn>/<task>] resuming <task>-<spart> at <pos>" lines. */
static int resume_positions(const char *log, const char *conn,
			    int64_t pos[4][8])
{
	char *s = rt_slurp(log, NULL), needle[96];
	snprintf(needle, sizeof(needle), "[%s/", conn);
	int n = 0;
	for (char *p = s; (p = strstr(p, needle)) != NULL; p++) {
		int task, tk, sp;
		long long at;
		if (sscanf(p + strlen(needle), "%d] resuming %d-%d at %lld",
			   &task, &tk, &sp, &at) == 4 &&
		    tk >= 0 && tk < 4 && sp >= 0 && sp < 8) {
			pos[tk][sp] = at;
			n++;
		}
	}
	free(s);
	return n;
}

/*
 * SIGKILL mid-stream, then a restart. Source: 2 tasks x 2 source
 * partitions x 2500 records at 400 records/s per task (R = 800/s in
 * all); sink: one task (see EAGER); positions and sink offsets are
 * committed every offsets.flush.interval (1 s).
 *  - The source resumes each source partition at its stored position P
 *    (logged): every seq < P was in the topic before the kill (no gap),
 *    the restart's first record is seq P, and from P on each seq is
 *    produced once more at most. Re-produced records (acknowledged but
 *    whose position was not stored yet) are at most R x (interval + 1 s)
 *    = 1600: one interval plus the time a position takes to be
 *    acknowledged.
 *  - The sink: the uncommitted window at the kill is, per partition,
 *    from the committed offset to the end of what the file held. Only
 *    offsets inside it are in the file twice (nothing committed is
 *    delivered again), so re-delivered lines <= the window's size.
 *  - Every record is in the file; per partition the offsets cover
 *    0 .. end with no hole.
 * The restart waits out session.timeout.ms (6 s) first, so that the
 * killed worker's consumers have left the group: the mock broker, with
 * dead members in a group, rebalances it repeatedly and refuses commits
 * meanwhile, which would add re-deliveries that have nothing to do with
 * the kill. That wait is for a broker timer the test cannot observe.
 */
START_TEST(test_sigkill)
{
	enum { TASKS = 2, SPARTS = 2, COUNT = 2500, RATE = 400, PARTS = 4 };
	const size_t bound =
		(size_t)(TASKS * RATE) * (FLUSH_INTERVAL_MS + 1000) / 1000;
	struct shape sh = {TASKS, SPARTS, COUNT, 1};
	char sink[PATH_MAX];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("kill", PARTS);
	struct rt_worker *w = worker_new("w", NULL, EAGER);
	conn_source(w, "src", TASKS, "kill", SPARTS, COUNT, RATE);
	conn_sink(w, "sink", 1, "kill", sink, NULL, NULL);
	rt_worker_spawn(w, NULL);
	RT_CHECK(rt_wait_lines(sink, 1000, 30000), "sink got %zu lines in 30 s",
		 rt_file_lines(sink));
	RT_CHECK(rt_worker_stop(w, SIGKILL, 5000) == 128 + SIGKILL,
		 "not killed");
	int64_t killed_at = rt_now_ms();
	int64_t hw1[MAX_PARTS];
	int64_t produced1 = rt_settled_watermarks("kill", PARTS, hw1);
	RT_CHECK(produced1 < (int64_t)shape_total(&sh),
		 "the source had already finished (%lld records)",
		 (long long)produced1);
	/* The uncommitted window of the sink: [committed, written end). */
	int64_t committed_at_kill[MAX_PARTS], written_at_kill[MAX_PARTS];
	rt_committed(GROUP_SINK, "kill", PARTS, committed_at_kill);
	struct recset s = {0};
	recset_read_sink(&s, sink);
	for (int p = 0; p < PARTS; p++)
		written_at_kill[p] = 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.v[i].offset + 1 > written_at_kill[s.v[i].partition])
			written_at_kill[s.v[i].partition] = s.v[i].offset + 1;
	recset_free(&s);
	size_t window = 0;
	for (int p = 0; p < PARTS; p++) {
		int64_t c = committed_at_kill[p] < 0 ? 0 : committed_at_kill[p];
		RT_CHECK(c <= written_at_kill[p],
			 "kill[%d] committed %lld past the file's end %lld", p,
			 (long long)c, (long long)written_at_kill[p]);
		committed_at_kill[p] = c;
		window += (size_t)(written_at_kill[p] - c);
	}
	rt_nap_ms((int)(killed_at + 7500 - rt_now_ms()));
	rt_worker_spawn(w, NULL);
	const char *files[] = {sink};
	RT_CHECK(wait_complete(files, 1, &sh, 60000),
		 "after the restart the sink did not get every record in 60 s");
	rt_worker_stop_ok(w);

	/* The source side, from the topic. */
	/* count-source advances its source partitions in turn: each had a
	 * stored position. */
	int64_t resume[4][8];
	memset(resume, 0, sizeof(resume));
	RT_CHECK(resume_positions(w->log, "src", resume) == TASKS * SPARTS,
		 "not every source partition resumed from a stored position");
	struct rt_kmsg *v;
	size_t n = rt_read_topic("kill", PARTS, 30000, &v);
	static unsigned char run1[TASKS][SPARTS][COUNT],
		run2[TASKS][SPARTS][COUNT];
	int64_t first2[TASKS][SPARTS];
	memset(run1, 0, sizeof(run1));
	memset(run2, 0, sizeof(run2));
	for (int tk = 0; tk < TASKS; tk++)
		for (int sp = 0; sp < SPARTS; sp++)
			first2[tk][sp] = COUNT;
	for (size_t i = 0; i < n; i++) {
		struct rec r;
		RT_CHECK(!parse_value(v[i].value, &r) &&
				 shape_index(&sh, &r) >= 0,
			 "foreign record %s", v[i].value);
		int second = v[i].offset >= hw1[v[i].partition];
		unsigned char *slot = second ? &run2[r.task][r.spart][r.seq]
					     : &run1[r.task][r.spart][r.seq];
		RT_CHECK(!*slot, "%d-%d-%lld produced twice in run %d", r.task,
			 r.spart, (long long)r.seq, second + 1);
		*slot = 1;
		if (second && r.seq < first2[r.task][r.spart])
			first2[r.task][r.spart] = r.seq;
	}
	rt_kmsgs_free(v, n);
	size_t reproduced = 0;
	int midway = 0;
	for (int tk = 0; tk < TASKS; tk++) {
		for (int sp = 0; sp < SPARTS; sp++) {
			int64_t at = resume[tk][sp];
			midway += at > 0 && at < COUNT;
			RT_CHECK(first2[tk][sp] == at,
				 "%d-%d resumed at %lld but the restart began "
				 "at %lld",
				 tk, sp, (long long)at,
				 (long long)first2[tk][sp]);
			for (int64_t q = 0; q < COUNT; q++) {
				RT_CHECK(q >= at || run1[tk][sp][q],
					 "gap: %d-%d-%lld is before the "
					 "resume point %lld but was never "
					 "produced",
					 tk, sp, (long long)q, (long long)at);
				RT_CHECK(q < at || run2[tk][sp][q],
					 "%d-%d-%lld missing after the restart",
					 tk, sp, (long long)q);
				reproduced += q >= at && run1[tk][sp][q];
			}
		}
	}
	RT_CHECK(midway == TASKS * SPARTS,
		 "only %d source partitions were resumed mid-way", midway);

	/* The sink side. */
	recset_read_sink(&s, sink);
	int64_t hw[MAX_TOPICS][MAX_PARTS] = {{0}};
	hw_row("kill", PARTS, hw[topic_index(&s, "kill")]);
	struct tally t;
	tally(&s, 1, &sh, (const int64_t(*)[MAX_PARTS])hw, 0, &t);
	print_tally("sigkill sink", &t);
	fprintf(stderr,
		"sigkill: %lld records before the kill; source re-produced "
		"%zu (bound %zu); sink re-delivered %zu, uncommitted window "
		"%zu\n",
		(long long)produced1, reproduced, bound, t.repeats, window);
	assert_complete("sigkill sink", &t);
	RT_CHECK(reproduced <= bound, "source re-produced %zu > %zu",
		 reproduced, bound);
	RT_CHECK(t.repeats <= window, "sink re-delivered %zu > window %zu",
		 t.repeats, window);
	/* Each repeated offset lies in the window. */
	static unsigned char once[PARTS][COUNT * TASKS * SPARTS];
	memset(once, 0, sizeof(once));
	for (size_t i = 0; i < s.n; i++) {
		const struct rec *r = &s.v[i];
		if (!once[r->partition][r->offset]++)
			continue;
		RT_CHECK(r->offset >= committed_at_kill[r->partition] &&
				 r->offset < written_at_kill[r->partition],
			 "kill[%d]@%lld delivered twice, outside the "
			 "uncommitted window [%lld, %lld)",
			 r->partition, (long long)r->offset,
			 (long long)committed_at_kill[r->partition],
			 (long long)written_at_kill[r->partition]);
	}
	/* Every duplicate in the file is a re-produced or re-delivered one. */
	RT_CHECK(t.dups <= t.repeats + reproduced,
		 "%zu duplicates, more than re-delivered + re-produced",
		 t.dups);
	recset_free(&s);
}
END_TEST

/*
 * SIGTERM mid-stream, then a restart, for source -> sink and for
 * source -> fanout -> sink in the same worker (sources with 2 tasks;
 * consumers with one task each, so that no group of the restart, which
 * forms while records wait, hits the mock's rebalance; see EAGER):
 * exit code 0 both times, no source stops with unacknowledged records,
 * the sources resume from stored positions, and in the end zero lost and
 * zero duplicated, in every topic and both sink files, with every group
 * committed to the end.
 */
START_TEST(test_sigterm)
{
	struct shape sh = {2, 2, 2000, 1}, sh2 = {2, 2, 2000, 2};
	char sa[PATH_MAX], sb[PATH_MAX];
	rt_path_in(sa, sizeof(sa), "sink-a.txt");
	rt_path_in(sb, sizeof(sb), "sink-b.txt");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("ta", 4);
	rt_mk_topic("tb-in", 4);
	rt_mk_topic("tb-out", 4);
	struct rt_worker *w = worker_new("w", NULL, EAGER);
	conn_source(w, "src-a", 2, "ta", 2, 2000, 300);
	conn_sink(w, "sink-a", 1, "ta", sa, NULL, NULL);
	conn_source(w, "src-b", 2, "tb-in", 2, 2000, 300);
	conn_fanout(w, "fan-b", 1, "tb-in", "tb-out", NULL, NULL);
	conn_sink(w, "sink-b", 1, "tb-out", sb, NULL, NULL);
	rt_worker_spawn(w, NULL);
	RT_CHECK(rt_wait_lines(sa, 1500, 30000) &&
			 rt_wait_lines(sb, 3000, 30000),
		 "sinks got %zu and %zu lines in 30 s", rt_file_lines(sa),
		 rt_file_lines(sb));
	const char *consumers[] = {"sink-a/0", "fan-b/0", "sink-b/0"};
	for (size_t i = 0; i < sizeof(consumers) / sizeof(*consumers); i++)
		RT_CHECK(wait_owned(w->log, consumers[i], 4, 20000),
			 "%s does not own the 4 partitions", consumers[i]);
	rt_worker_stop_ok(w);
	RT_CHECK(rt_log_count(w->log, "unacknowledged") == 0,
		 "a source stopped with unacknowledged records");
	int64_t a1 = rt_total_watermark("ta", 4),
		b1 = rt_total_watermark("tb-in", 4);
	RT_CHECK(a1 < 8000 && b1 < 8000,
		 "the sources had finished before SIGTERM (%lld, %lld)",
		 (long long)a1, (long long)b1);
	fprintf(stderr, "sigterm: stopped at %lld and %lld of 8000 records\n",
		(long long)a1, (long long)b1);
	rt_worker_spawn(w, NULL);
	const char *fa[] = {sa}, *fb[] = {sb};
	RT_CHECK(wait_complete(fa, 1, &sh, 60000) &&
			 wait_complete(fb, 1, &sh2, 60000),
		 "after the restart the sinks did not complete in 60 s");
	int64_t pos[4][8];
	RT_CHECK(resume_positions(w->log, "src-a", pos) == 4 &&
			 resume_positions(w->log, "src-b", pos) == 4,
		 "the sources did not resume from stored positions");
	rt_worker_stop_ok(w);
	check_sink_exact("sigterm sink-a", sa, "ta", 4, &sh);
	check_sink_exact("sigterm sink-b", sb, "tb-out", 4, &sh2);
	check_topic_exact("ta", 4, &sh);
	check_topic_exact("tb-in", 4, &sh);
	check_topic_exact("tb-out", 4, &sh2);
	check_committed_all("sluice-sink-a", "ta", 4);
	check_committed_all("sluice-fan-b", "tb-in", 4);
	check_committed_all("sluice-sink-b", "tb-out", 4);
}
END_TEST

/*
 * A second worker runs the same sink connector (same name, so the same
 * group) while the stream runs: it gets partitions and writes records;
 * then it stops (SIGTERM) and the first worker takes every partition
 * back. Nothing is lost: together the two files hold every record and
 * every offset of every partition; each file keeps partition order; the
 * topic holds each record once. (The mock refuses the commit a revoke
 * makes during the rebalance, so some records are delivered again; such
 * repeats are counted and printed, not failed.)
 */
START_TEST(test_rebalance)
{
	struct shape sh = {2, 1, 5000, 1};
	char fa[PATH_MAX], fb[PATH_MAX];
	rt_path_in(fa, sizeof(fa), "sink-a.txt");
	rt_path_in(fb, sizeof(fb), "sink-b.txt");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("rb", 4);
	struct rt_worker *a = worker_new("a", NULL, EAGER);
	struct rt_worker *b = worker_new("b", NULL, EAGER);
	conn_source(a, "src", 2, "rb", 1, 5000, 200);
	conn_sink(a, "rb-sink", 1, "rb", fa, NULL, NULL);
	conn_sink(b, "rb-sink", 1, "rb", fb, NULL, NULL);
	rt_worker_spawn(a, NULL);
	RT_CHECK(wait_owned(a->log, "rb-sink/0", 4, 20000) &&
			 rt_wait_lines(fa, 300, 20000),
		 "worker a did not start consuming");
	rt_worker_spawn(b, NULL);
	RT_CHECK(wait_owned(b->log, "rb-sink/0", -1, 30000),
		 "worker b got no partition within 30 s");
	RT_CHECK(rt_wait_lines(fb, 100, 20000), "worker b wrote %zu lines",
		 rt_file_lines(fb));
	/* The two share the partitions. */
	int64_t deadline = rt_now_ms() + 20000;
	for (;;) {
		int a_share = owned_now(a->log, "rb-sink/0");
		int b_share = owned_now(b->log, "rb-sink/0");
		if (a_share > 0 && b_share > 0 && a_share + b_share == 4)
			break;
		RT_CHECK(rt_now_ms() < deadline,
			 "workers a and b own %d and %d partitions", a_share,
			 b_share);
		rt_nap_ms(100);
	}
	rt_worker_stop_ok(b);
	int64_t at_leave = rt_total_watermark("rb", 4);
	RT_CHECK(at_leave < (int64_t)shape_total(&sh),
		 "the stream had ended before worker b left");
	RT_CHECK(wait_owned(a->log, "rb-sink/0", 4, 30000),
		 "worker a did not take every partition back within 30 s");
	const char *files[] = {fa, fb};
	RT_CHECK(wait_complete(files, 2, &sh, 60000),
		 "the sinks did not get every record");
	RT_CHECK(rt_worker_alive(a), "worker a died");
	rt_worker_stop_ok(a);
	struct recset s[2] = {{0}, {0}};
	recset_read_sink(&s[0], fa);
	recset_read_sink(&s[1], fb);
	int64_t hw[MAX_TOPICS][MAX_PARTS] = {{0}};
	hw_row("rb", 4, hw[topic_index(&s[0], "rb")]);
	topic_index(&s[1], "rb");
	struct tally t;
	tally(s, 2, &sh, (const int64_t(*)[MAX_PARTS])hw, 1, &t);
	print_tally("rebalance", &t);
	fprintf(stderr,
		"rebalance: a wrote %zu, b wrote %zu; %zu redelivered\n",
		s[0].n, s[1].n, t.repeats);
	assert_complete("rebalance", &t);
	RT_CHECK(t.dups == t.repeats,
		 "duplicates that are not redeliveries: %zu vs %zu", t.dups,
		 t.repeats);
	recset_free(&s[0]);
	recset_free(&s[1]);
	check_topic_exact("rb", 4, &sh);
}
END_TEST

/* Source -> topic -> sink at 400 records/s in all, 6000 records, for the
 * fault tests. */
static struct rt_worker *fault_pipeline(const char *sink, struct shape *sh)
{
	*sh = (struct shape){2, 1, 3000, 1};
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("ft", 4);
	struct rt_worker *w = worker_new("w", NULL, EAGER);
	conn_source(w, "src", 2, "ft", 1, 3000, 200);
	conn_sink(w, "sink", 2, "ft", sink, NULL, NULL);
	rt_worker_spawn(w, NULL);
	return w;
}

static void check_fault_result(struct rt_worker *w, const char *what,
			       const char *sink, const struct shape *sh)
{
	const char *files[] = {sink};
	if (!wait_complete(files, 1, sh, 90000)) {
		/* Say whether the topic or the sink lacks them. */
		struct recset f = {0}, k = {0};
		struct tally tf, tk;
		recset_read_sink(&f, sink);
		recset_read_topic(&k, "ft", 4);
		tally(&f, 1, sh, NULL, 0, &tf);
		tally(&k, 1, sh, NULL, 0, &tk);
		print_tally("sink file", &tf);
		print_tally("topic ft", &tk);
		recset_free(&f);
		recset_free(&k);
		RT_CHECK(0, "%s: the sink did not get every record", what);
	}
	RT_CHECK(rt_worker_alive(w), "%s: the worker died", what);
	RT_CHECK(rt_log_count(w->log, "task failed") == 0, "%s: a task failed",
		 what);
	rt_worker_stop_ok(w);
	/* The topic: nothing lost. (The mock does not de-duplicate an
	 * idempotent producer's retries, so a retried produce may be in it
	 * twice, and after records produced later.) */
	struct recset s = {0};
	int64_t hw[MAX_TOPICS][MAX_PARTS] = {{0}};
	struct tally t;
	recset_read_topic(&s, "ft", 4);
	hw_row("ft", 4, hw[topic_index(&s, "ft")]);
	tally(&s, 1, sh, (const int64_t(*)[MAX_PARTS])hw, 0, &t);
	char topic_what[80];
	snprintf(topic_what, sizeof(topic_what), "%s: topic ft", what);
	print_tally(topic_what, &t);
	assert_complete(topic_what, &t);
	recset_free(&s);
	/* The sink: every record, in the topic's order; in the sources'
	 * order too unless the topic itself holds such a retried copy. */
	int seq_order = t.dups == 0;
	recset_read_sink(&s, sink);
	hw_row("ft", 4, hw[topic_index(&s, "ft")]);
	tally(&s, 1, sh, (const int64_t(*)[MAX_PARTS])hw, seq_order, &t);
	print_tally(what, &t);
	assert_complete(what, &t);
	recset_free(&s);
}

/*
 * The broker goes down for 10 s mid-stream and comes back: the worker
 * keeps running, no task fails, and every record arrives (the sink may
 * see redeliveries when commits fail or the group is rebuilt).
 */
START_TEST(test_broker_down)
{
	struct shape sh;
	char sink[PATH_MAX];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	struct rt_worker *w = fault_pipeline(sink, &sh);
	RT_CHECK(rt_wait_lines(sink, 600, 30000), "sink got %zu lines in 30 s",
		 rt_file_lines(sink));
	rd_kafka_mock_cluster_t *mc = broker_mock(rt_broker());
	ck_assert_int_eq(rd_kafka_mock_broker_set_down(mc, 1), 0);
	size_t at_down = rt_file_lines(sink);
	/* The outage itself lasts a fixed time; meanwhile the worker must
	 * stay up. */
	int64_t up_at = rt_now_ms() + 10000;
	while (rt_now_ms() < up_at) {
		RT_CHECK(rt_worker_alive(w),
			 "the worker died while the broker was down");
		rt_nap_ms(100);
	}
	ck_assert_int_eq(rd_kafka_mock_broker_set_up(mc, 1), 0);
	fprintf(stderr, "broker down: %zu lines before, %zu after 10 s down\n",
		at_down, rt_file_lines(sink));
	RT_CHECK(rt_file_lines(sink) < 6000,
		 "the stream ended during the outage");
	check_fault_result(w, "broker down", sink, &sh);
}
END_TEST

/*
 * Injected request errors mid-stream: Produce requests end in a
 * disconnect, Fetch requests fail (not leader, disconnect) and
 * OffsetCommit requests fail (coordinator moved or unavailable, timed
 * out, loading). The errors are all consumed, no task fails, and every
 * record arrives, in the topic and in the sink.
 *
 * Produce gets only disconnects: librdkafka 2.0.2's mock loses an
 * acknowledged record when a Produce request of an idempotent producer
 * that also writes a second topic (as a source does: its records and the
 * offsets topic) fails with a retriable error (NOT_LEADER_FOR_PARTITION,
 * REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS): reproduced with a plain
 * librdkafka producer, without sluice. A real broker keeps such records.
 */
START_TEST(test_request_errors)
{
	struct shape sh;
	char sink[PATH_MAX];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	struct rt_worker *w = fault_pipeline(sink, &sh);
	RT_CHECK(rt_wait_lines(sink, 600, 30000), "sink got %zu lines in 30 s",
		 rt_file_lines(sink));
	rd_kafka_mock_cluster_t *mc = broker_mock(rt_broker());
	ck_assert_int_eq(rd_kafka_mock_broker_push_request_error_rtts(
				 mc, 1, API_PRODUCE, 3,
				 RD_KAFKA_RESP_ERR__TRANSPORT, 0,
				 RD_KAFKA_RESP_ERR__TRANSPORT, 0,
				 RD_KAFKA_RESP_ERR__TRANSPORT, 0),
			 0);
	ck_assert_int_eq(rd_kafka_mock_broker_push_request_error_rtts(
				 mc, 1, API_FETCH, 2,
				 RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, 0,
				 RD_KAFKA_RESP_ERR__TRANSPORT, 0),
			 0);
	ck_assert_int_eq(rd_kafka_mock_broker_push_request_error_rtts(
				 mc, 1, API_OFFSET_COMMIT, 4,
				 RD_KAFKA_RESP_ERR_NOT_COORDINATOR, 0,
				 RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, 0,
				 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, 0,
				 RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
				 0),
			 0);
	int64_t deadline = rt_now_ms() + 20000;
	size_t left_p, left_c, left_f;
	for (;;) {
		ck_assert_int_eq(rd_kafka_mock_broker_error_stack_cnt(
					 mc, 1, API_PRODUCE, &left_p),
				 0);
		ck_assert_int_eq(rd_kafka_mock_broker_error_stack_cnt(
					 mc, 1, API_FETCH, &left_f),
				 0);
		ck_assert_int_eq(rd_kafka_mock_broker_error_stack_cnt(
					 mc, 1, API_OFFSET_COMMIT, &left_c),
				 0);
		if (!left_p && !left_c && !left_f)
			break;
		RT_CHECK(
			rt_now_ms() < deadline,
			"injected errors not consumed: %zu produce, %zu fetch, "
			"%zu commit",
			left_p, left_f, left_c);
		rt_nap_ms(100);
	}
	RT_CHECK(rt_file_lines(sink) < 6000,
		 "the stream ended before the errors");
	check_fault_result(w, "request errors", sink, &sh);
}
END_TEST

/*
 * A poison record with errors.tolerance none: the transform's task fails
 * on it; the worker keeps running and another connector keeps delivering;
 * the committed input offset stops at the poisoned record (50) and no
 * record from it on is transformed; at SIGTERM the worker exits 1 (a task
 * failed) and the offset is still 50.
 */
START_TEST(test_poison_none)
{
	char hsink[PATH_MAX];
	rt_path_in(hsink, sizeof(hsink), "healthy.txt");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("p-in", 1);
	rt_mk_topic("p-out", 1);
	rt_mk_topic("h-out", 2);
	rt_produce_input("p-in", 100, 50);
	struct rt_worker *w = worker_new("w", NULL, EAGER);
	conn_fanout(w, "strict", 1, "p-in", "p-out", "  reject.on: POISON\n",
		    "errors:\n  tolerance: none\n");
	conn_source(w, "healthy-src", 1, "h-out", 1, 0, 200);
	conn_sink(w, "healthy-sink", 1, "h-out", hsink, NULL, NULL);
	rt_worker_spawn(w, NULL);
	RT_CHECK(rt_wait_log(w->log, "[strict/0] task failed", 1, 30000),
		 "the strict task did not fail");
	RT_CHECK(rt_log_count(w->log, "@50 rejected at process: input contains "
				      "'POISON'") == 1,
		 "the failure does not name the record");
	size_t at_fail = rt_file_lines(hsink);
	RT_CHECK(rt_wait_lines(hsink, at_fail + 400, 20000),
		 "the healthy connector stopped after the failure (%zu lines)",
		 rt_file_lines(hsink));
	RT_CHECK(rt_worker_alive(w), "the worker died");
	/* The failed task commits what was done before the poison. */
	int64_t deadline = rt_now_ms() + 10000, c;
	while ((c = rt_committed1("sluice-strict", "p-in")) != 50) {
		RT_CHECK(c < 50, "committed %lld: past the poison",
			 (long long)c);
		RT_CHECK(rt_now_ms() < deadline,
			 "committed %lld, want 50, within 10 s", (long long)c);
		rt_nap_ms(100);
	}
	struct shape sh = {1, 1, 50, 2};
	struct recset s = {0};
	recset_read_topic(&s, "p-out", 1);
	struct tally t;
	tally(&s, 1, &sh, NULL, 1, &t);
	print_tally("poison none p-out", &t);
	assert_exact("poison none p-out", &t);
	recset_free(&s);
	int rc = rt_worker_stop(w, SIGTERM, 30000);
	RT_CHECK(rc == EXIT_FAILURE_RUN, "exit %d, want %d", rc,
		 EXIT_FAILURE_RUN);
	RT_CHECK(rt_committed1("sluice-strict", "p-in") == 50,
		 "the poisoned offset was committed at shutdown");
}
END_TEST

static void check_dlq(const char *topic, const char *connector,
		      const char *stage, const char *in_topic,
		      const char *offset, const char *message, const char *key)
{
	struct rt_kmsg *v;
	size_t n = rt_read_topic(topic, 1, 30000, &v);
	RT_CHECK(n == 1, "%s holds %zu records, want 1", topic, n);
	const struct {
		const char *name, *want;
	} h[] = {
		{"sluice.error.connector", connector},
		{"sluice.error.task", "0"},
		{"sluice.error.stage", stage},
		{"sluice.error.topic", in_topic},
		{"sluice.error.partition", "0"},
		{"sluice.error.offset", offset},
		{"sluice.error.message", message},
		{"origin", "rt"}, /* the record's own header is kept */
	};
	for (size_t i = 0; i < sizeof(h) / sizeof(*h); i++) {
		const char *got = rt_kmsg_header(&v[0], h[i].name);
		RT_CHECK(got && !strcmp(got, h[i].want),
			 "%s: header %s is '%s', want '%s'", topic, h[i].name,
			 got ? got : "(none)", h[i].want);
	}
	char want[256];
	rt_count_value(want, sizeof(want), 0, 0, atoi(offset),
		       ",\"bad\":\"POISON\"");
	RT_CHECK(!strcmp(v[0].value, want), "%s: value '%s', want '%s'", topic,
		 v[0].value, want);
	RT_CHECK(!strcmp(v[0].key, key), "%s: key '%s', want '%s'", topic,
		 v[0].key, key);
	rt_kmsgs_free(v, n);
}

/*
 * Poison records with errors.tolerance all: a transform's (at process)
 * and a sink's (at put, through host->reject) each end up in their
 * dead-letter topic, unchanged, with every sluice.error.* header
 * (connector, task, stage, topic, partition, offset, message) and their
 * own headers; everything else is delivered once and the input is
 * committed to its end; no task fails.
 */
START_TEST(test_poison_all)
{
	char sink[PATH_MAX];
	rt_path_in(sink, sizeof(sink), "sink.txt");
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("p-in", 1);
	rt_mk_topic("p-out", 1);
	rt_mk_topic("s-in", 1);
	rt_mk_topic("dlq-t", 1);
	rt_mk_topic("dlq-s", 1);
	rt_produce_input("p-in", 100, 50);
	rt_produce_input("s-in", 100, 30);
	struct rt_worker *w = worker_new("w", NULL, EAGER);
	conn_fanout(w, "lenient", 1, "p-in", "p-out", "  reject.on: POISON\n",
		    "errors:\n  tolerance: all\n"
		    "  deadletterqueue.topic: dlq-t\n");
	conn_sink(w, "lenient-sink", 1, "s-in", sink, "  reject.on: POISON\n",
		  "errors:\n  tolerance: all\n"
		  "  deadletterqueue.topic: dlq-s\n");
	rt_worker_spawn(w, NULL);
	int64_t deadline = rt_now_ms() + 30000;
	while (rt_committed1("sluice-lenient", "p-in") != 100 ||
	       rt_committed1("sluice-lenient-sink", "s-in") != 100) {
		RT_CHECK(rt_now_ms() < deadline,
			 "inputs not committed to their end within 30 s");
		rt_nap_ms(100);
	}
	RT_CHECK(rt_log_count(w->log, "task failed") == 0, "a task failed");
	RT_CHECK(rt_log_count(w->log, "sent to 'dlq-t'") == 1 &&
			 rt_log_count(w->log, "sent to 'dlq-s'") == 1,
		 "the dead-lettering is not logged");
	check_dlq("dlq-t", "lenient", "process", "p-in", "50",
		  "input contains 'POISON'", "0-0-50");
	check_dlq("dlq-s", "lenient-sink", "put", "s-in", "30",
		  "told to reject this record", "0-0-30");
	rt_worker_stop_ok(w);

	/* Everything but the poison, once. */
	struct recset s = {0};
	recset_read_topic(&s, "p-out", 1);
	struct shape sh = {1, 1, 100, 2};
	struct tally t;
	tally(&s, 1, &sh, NULL, 1, &t);
	RT_CHECK(t.missing == 2 && !t.dups && !t.foreign && !t.misordered &&
			 !t.holes && s.n == 198,
		 "p-out: %zu records, %zu missing (want the 2 copies of "
		 "#50), %zu dups; first: %s",
		 s.n, t.missing, t.dups, t.problem);
	for (size_t i = 0; i < s.n; i++)
		RT_CHECK(s.v[i].seq != 50, "the poison was transformed");
	recset_free(&s);
	recset_read_sink(&s, sink);
	sh = (struct shape){1, 1, 100, 1};
	tally(&s, 1, &sh, NULL, 1, &t);
	RT_CHECK(s.n == 99 && t.missing == 1 && !t.dups && !t.misordered,
		 "sink: %zu lines, %zu missing, %zu dups; first: %s", s.n,
		 t.missing, t.dups, t.problem);
	for (size_t i = 0; i < s.n; i++)
		RT_CHECK(s.v[i].seq != 30, "the sink wrote the poison");
	recset_free(&s);
}
END_TEST

/* The ids of a topic of one-spart sources as seq bitmaps per spart;
 * returns the number of records, *dups those seen twice. */
static size_t seqs_of(const char *topic, int spart, int64_t *max, size_t *dups)
{
	struct recset s = {0};
	recset_read_topic(&s, topic, 1);
	size_t n = 0, cap = 0;
	unsigned char *seen = NULL;
	*max = -1;
	*dups = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.v[i].spart != spart)
			continue;
		int64_t q = s.v[i].seq;
		if ((size_t)q >= cap) {
			size_t nc = cap ? cap : 1024;
			while (nc <= (size_t)q)
				nc *= 2;
			seen = realloc(seen, nc);
			ck_assert(seen != NULL);
			memset(seen + cap, 0, nc - cap);
			cap = nc;
		}
		*dups += seen[q];
		seen[q] = 1;
		if (q > *max)
			*max = q;
		n++;
	}
	free(seen);
	recset_free(&s);
	return n;
}

/* Each seq 0..max of the spart exactly once in the topic. */
static void check_counts_once(const char *topic, int spart)
{
	int64_t max;
	size_t dups, n = seqs_of(topic, spart, &max, &dups);
	RT_CHECK(!dups && (int64_t)n == max + 1,
		 "%s spart %d: %zu records, max seq %lld, %zu duplicates",
		 topic, spart, n, (long long)max, dups);
}

/*
 * SIGHUP with connectors.d changed: `gone` removed, `change` given a new
 * config (a second source partition), `added` new, `keep` untouched.
 * Log: the reload summary says 1 added, 1 removed, 1 changed, 1
 * unchanged; `keep` started once and never stopped, `change` stopped and
 * started again (resuming its stored position), `gone` stopped,
 * `added` started. Data: `added` produces; `gone` produces nothing
 * after the reload; `change` produces its new source partition and its
 * old one continues without gap or repeat; `keep` continues without
 * restarting (every seq exactly once).
 */
START_TEST(test_sighup)
{
	rt_mk_topic("sluice-offsets", 1);
	rt_mk_topic("keep-out", 1);
	rt_mk_topic("gone-out", 1);
	rt_mk_topic("change-out", 1);
	rt_mk_topic("added-out", 1);
	struct rt_worker *w = worker_new("w", NULL, EAGER);
	conn_source(w, "keep", 1, "keep-out", 1, 0, 100);
	conn_source(w, "gone", 1, "gone-out", 1, 0, 100);
	conn_source(w, "change", 1, "change-out", 1, 0, 100);
	rt_worker_spawn(w, NULL);
	RT_CHECK(rt_wait_log(w->log, "worker running 3 connectors", 1, 20000),
		 "the worker did not start");
	int64_t deadline = rt_now_ms() + 20000;
	while (rt_high_watermark("keep-out", 0) < 50 ||
	       rt_high_watermark("gone-out", 0) < 50 ||
	       rt_high_watermark("change-out", 0) < 50) {
		RT_CHECK(rt_now_ms() < deadline, "the sources did not produce");
		rt_nap_ms(100);
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/gone.yaml", w->dir);
	ck_assert_int_eq(unlink(path), 0);
	conn_source(w, "change", 1, "change-out", 2, 0, 100);
	conn_source(w, "added", 1, "added-out", 1, 0, 100);
	ck_assert_int_eq(kill(w->pid, SIGHUP), 0);
	RT_CHECK(rt_wait_log(w->log,
			     "reload applied: 1 added, 1 removed, 1 changed, 1 "
			     "unchanged",
			     1, 30000),
		 "the reload was not applied");
	int64_t gone_end = rt_high_watermark("gone-out", 0);
	int64_t keep_at = rt_high_watermark("keep-out", 0);
	deadline = rt_now_ms() + 20000;
	for (;;) {
		int64_t max1;
		size_t dups;
		if (rt_high_watermark("added-out", 0) >= 100 &&
		    rt_high_watermark("keep-out", 0) >= keep_at + 100 &&
		    seqs_of("change-out", 1, &max1, &dups) >= 50)
			break;
		RT_CHECK(rt_now_ms() < deadline,
			 "after the reload: added %lld, keep %lld (from %lld)",
			 (long long)rt_high_watermark("added-out", 0),
			 (long long)rt_high_watermark("keep-out", 0),
			 (long long)keep_at);
		rt_nap_ms(100);
	}
	RT_CHECK(rt_high_watermark("gone-out", 0) == gone_end,
		 "the removed connector still produces");
	const struct {
		const char *needle;
		int want;
	} lines[] = {
		{"[keep] started", 1},	  {"[keep] stopped", 0},
		{"[gone] started", 1},	  {"[gone] stopped", 1},
		{"[change] started", 2},  {"[change] stopped", 1},
		{"[added] started", 1},	  {"[change/0] resuming 0-0 at", 1},
		{"[keep/0] resuming", 0},
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
		int n = rt_log_count(w->log, lines[i].needle);
		RT_CHECK(n == lines[i].want, "'%s' logged %d times, want %d",
			 lines[i].needle, n, lines[i].want);
	}
	rt_worker_stop_ok(w);
	check_counts_once("keep-out", 0);
	check_counts_once("gone-out", 0);
	check_counts_once("change-out", 0);
	check_counts_once("change-out", 1);
	check_counts_once("added-out", 0);
}
END_TEST

static void add(Suite *s, const char *name, const TTest *test, int timeout)
{
	rt_add_case(s, name, test, timeout, rt_setup, rt_teardown);
}

static Suite *runtime_suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("flow");
	tcase_add_checked_fixture(tc, rt_setup, rt_teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_loop_test(tc, test_flow, 0, 6);
	suite_add_tcase(s, tc);
	add(s, "fanout", test_fanout, 90);
	add(s, "embedded", test_embedded, 90);
	add(s, "sink_retry", test_sink_retry, 90);
	add(s, "sigkill", test_sigkill, 120);
	add(s, "sigterm", test_sigterm, 120);
	add(s, "rebalance", test_rebalance, 120);
	add(s, "broker_down", test_broker_down, 150);
	add(s, "request_errors", test_request_errors, 150);
	add(s, "poison_none", test_poison_none, 90);
	add(s, "poison_all", test_poison_all, 90);
	add(s, "sighup", test_sighup, 90);
	add(s, "fetch_wake", test_fetch_wake, 90);
	return s;
}

int main(void)
{
	return rt_run_suite(runtime_suite());
}
