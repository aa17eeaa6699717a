/*
 * test_rest.c - the REST API and /metrics end to end (issue 8). Each test
 * runs `sluice run` as a child process with the test plugins of tests/rt
 * against a mock cluster inside this process, finds the REST port in the
 * worker's log (rest.listen 127.0.0.1:0 picks a free one) and talks HTTP
 * with libcurl.
 *
 * Every wait is bounded and polls every 100 ms. Workers get SIGKILL when
 * the test process ends (PR_SET_PDEATHSIG). On a failed assertion the
 * tail of the worker log is printed and the directory kept (RT_KEEP=1
 * keeps it always). CK_RUN_CASE=<name> runs one test. The harness is
 * tests/rt_harness.c, shared with the other integration tests.
 */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker.h"
#include "cli.h"
#include "rt_harness.h"

#ifndef RT_PLUGIN_DIR
#define RT_PLUGIN_DIR "./tests/rt/.libs"
#endif

static struct rt_worker *w; /* the worker of the test */
static char base_url[128];
static const char *token; /* sent as a bearer token when set */

/* What a failed RT_CHECK prints: more of the log than the default. */
static void dump_log(void)
{
	rt_tail_log(w->log, 60);
}

/* Distinct "seq" values of the sink file's records of source partition
 * 0-0, and whether 0..max are all there. */
static long distinct_seqs(const char *path, int *complete)
{
	char *s = rt_slurp(path, NULL);
	size_t cap = 1 << 20;
	unsigned char *seen = calloc(cap, 1);
	ck_assert(seen != NULL);
	long n = 0, max = -1;
	for (char *p = s; (p = strstr(p, "\"seq\":")) != NULL;) {
		p += 6;
		long v = strtol(p, NULL, 10);
		if (v >= 0 && (size_t)v < cap && !seen[v]) {
			seen[v] = 1;
			n++;
			if (v > max)
				max = v;
		}
	}
	*complete = n == max + 1;
	free(seen);
	free(s);
	return n;
}

static void rt_setup(void)
{
	rt_dir_make("sluice-rest");
	rt_broker_start();
	w = rt_worker_add("worker");
	rt_set_failure_dump(dump_log);
	token = NULL;
}

static void rt_teardown(void)
{
	rt_end("RT_KEEP");
}

static void worker_file(const char *extra)
{
	rt_write_file(w->cfg,
		      RT_WORKER_HEAD "rest:\n"
				     "  listen: 127.0.0.1:0\n"
				     "%s"
				     "log:\n"
				     "  progress.interval: 1s\n"
				     "shutdown.timeout: 20s\n",
		      rt_bootstraps(), RT_PLUGIN_DIR, w->dir,
		      extra ? extra : "");
}

static void source_file(const char *name, const char *topic, long count,
			int rate)
{
	rt_conn_write(w, name,
		      "name: %s\nplugin: test-count-source\ntopic: %s\n"
		      "config:\n  count: %ld\n  rate: %d\n",
		      name, topic, count, rate);
}

static void sink_file(const char *name, const char *topic, const char *out)
{
	rt_conn_write(w, name,
		      "name: %s\nplugin: test-record-sink\ntopics: %s\n"
		      "config:\n  file: %s\n",
		      name, topic, out);
}

/* ---- the worker ---- */

/* Starts `sluice run` and waits for its REST API. */
static void start(void)
{
	rt_worker_spawn(w, NULL);
	int64_t deadline = rt_now_ms() + 30000;
	base_url[0] = '\0';
	while (!base_url[0]) {
		char *s = rt_slurp(w->log, NULL);
		const char *p = strstr(s, "REST API on http://");
		if (p) {
			int port = 0;
			if (sscanf(p, "REST API on http://127.0.0.1:%d/",
				   &port) == 1)
				snprintf(base_url, sizeof(base_url),
					 "http://127.0.0.1:%d", port);
		}
		int running = strstr(s, "worker running") != NULL;
		free(s);
		if (base_url[0] && running)
			break;
		base_url[0] = '\0';
		RT_CHECK(rt_now_ms() < deadline, "the worker did not start");
		RT_CHECK(waitpid(w->pid, NULL, WNOHANG) == 0,
			 "the worker exited");
		rt_nap_ms(100);
	}
}

static void stop_ok(void)
{
	int rc = rt_worker_stop(w, SIGTERM, 40000);
	RT_CHECK(rc >= 0, "no exit after SIGTERM");
	RT_CHECK(rc == EXIT_OK, "exit status %d after SIGTERM", rc);
}

/* ---- HTTP ---- */

struct reply {
	long status;
	char *body;
	size_t len;
	struct json_object *json; /* parsed body, or NULL */
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t add = size * n;
	r->body = realloc(r->body, r->len + add + 1);
	ck_assert(r->body != NULL);
	memcpy(r->body + r->len, p, add);
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

static void reply_free(struct reply *r)
{
	free(r->body);
	json_object_put(r->json);
	*r = (struct reply){0};
}

/* One request; `body` may be NULL. The previous reply in *r is freed. */
static long http_len(struct reply *r, const char *method, const char *path,
		     const char *body, size_t body_len)
{
	reply_free(r);
	CURL *c = curl_easy_init();
	ck_assert(c != NULL);
	char url[1024];
	snprintf(url, sizeof(url), "%s%s", base_url, path);
	struct curl_slist *h = NULL;
	char auth[256];
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 90L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)body_len);
	}
	CURLcode e = curl_easy_perform(c);
	RT_CHECK(e == CURLE_OK || e == CURLE_SEND_ERROR ||
			 e == CURLE_RECV_ERROR,
		 "%s %s: %s", method, path, curl_easy_strerror(e));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (r->body)
		r->json = json_tokener_parse(r->body);
	return r->status;
}

static long http(struct reply *r, const char *method, const char *path,
		 const char *body)
{
	return http_len(r, method, path, body, body ? strlen(body) : 0);
}

/* Asserts the status of a request. */
#define EXPECT(rp, want, meth, where, data)                                    \
	do {                                                                   \
		long got_ = http(rp, meth, where, data);                       \
		RT_CHECK(got_ == (want), "%s %s: %ld, expected %d: %s", meth,  \
			 where, got_, want, (rp)->body ? (rp)->body : "");     \
	} while (0)

/* A string at a dotted path of the reply's JSON ("connector.state",
 * "tasks.0.state"), or NULL. */
static const char *jstr(const struct reply *r, const char *path)
{
	struct json_object *o = r->json;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o;
	     k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &o))
			o = NULL;
	}
	return o ? json_object_get_string(o) : NULL;
}

static int jeq(const struct reply *r, const char *path, const char *want)
{
	const char *s = jstr(r, path);
	return s && !strcmp(s, want);
}

/* An error reply: {"error_code": status, "message": "..."}. */
static void expect_error(const struct reply *r)
{
	struct json_object *code, *msg;
	RT_CHECK(r->json &&
			 json_object_object_get_ex(r->json, "error_code",
						   &code) &&
			 json_object_get_int(code) == (int)r->status &&
			 json_object_object_get_ex(r->json, "message", &msg),
		 "not an error body: %s", r->body ? r->body : "");
}

/* ---- the exposition format ---- */

struct sample {
	char name[128];
	char labels[512];
	double value;
};

struct scrape {
	struct sample *v;
	size_t n;
};

static int name_ok(const char *s, size_t n)
{
	if (!n || (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			   "YZ_:",
			   s[0])))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
			    "XYZ_:0123456789",
			    s[i]))
			return 0;
	return 1;
}

/* Parses a whole page strictly (text format 0.0.4): HELP and TYPE lines,
 * one TYPE per family before its samples, samples of a family together,
 * well-formed labels and values. Fails the test on the first problem. */
static void parse_exposition(const char *text, struct scrape *out)
{
	char typed[256][128];
	size_t ntyped = 0;
	char current[128] = "";
	*out = (struct scrape){0};
	size_t cap = 0;
	int lineno = 0;
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		RT_CHECK(end != NULL, "the page does not end with a newline");
		lineno++;
		size_t len = (size_t)(end - line);
		char buf[2048];
		RT_CHECK(len < sizeof(buf), "line %d too long", lineno);
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = end + 1;
		if (!strncmp(buf, "# TYPE ", 7)) {
			char name[128], type[32];
			RT_CHECK(sscanf(buf + 7, "%127s %31s", name, type) == 2,
				 "line %d: bad TYPE", lineno);
			RT_CHECK(name_ok(name, strlen(name)),
				 "line %d: bad name", lineno);
			RT_CHECK(!strcmp(type, "counter") ||
					 !strcmp(type, "gauge") ||
					 !strcmp(type, "histogram") ||
					 !strcmp(type, "summary") ||
					 !strcmp(type, "untyped"),
				 "line %d: bad type %s", lineno, type);
			for (size_t i = 0; i < ntyped; i++)
				RT_CHECK(strcmp(typed[i], name),
					 "line %d: second TYPE for %s", lineno,
					 name);
			ck_assert_uint_lt(ntyped, 256);
			snprintf(typed[ntyped++], sizeof(typed[0]), "%s", name);
			snprintf(current, sizeof(current), "%s", name);
			continue;
		}
		if (buf[0] == '#') {
			RT_CHECK(!strncmp(buf, "# HELP ", 7) || buf[1] == ' ' ||
					 !buf[1],
				 "line %d: bad comment", lineno);
			continue;
		}
		RT_CHECK(len > 0, "line %d: empty line", lineno);
		size_t nlen = strcspn(buf, "{ ");
		RT_CHECK(name_ok(buf, nlen), "line %d: bad metric name",
			 lineno);
		if (out->n == cap) {
			cap = cap ? cap * 2 : 64;
			out->v = realloc(out->v, cap * sizeof(*out->v));
			ck_assert(out->v != NULL);
		}
		struct sample *s = &out->v[out->n++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%.*s", (int)nlen, buf);
		/* The sample belongs to the family typed last (histogram
		 * samples carry a suffix). */
		size_t cl = strlen(current);
		RT_CHECK(cl && !strncmp(s->name, current, cl) &&
				 (!s->name[cl] ||
				  !strcmp(s->name + cl, "_bucket") ||
				  !strcmp(s->name + cl, "_sum") ||
				  !strcmp(s->name + cl, "_count")),
			 "line %d: %s outside its family (%s)", lineno, s->name,
			 current);
		const char *p = buf + nlen;
		if (*p == '{') {
			p++;
			size_t o = 0;
			while (*p != '}') {
				size_t kl = strcspn(p, "=");
				RT_CHECK(name_ok(p, kl) && p[kl] == '=' &&
						 p[kl + 1] == '"',
					 "line %d: bad label", lineno);
				o += (size_t)snprintf(s->labels + o,
						      sizeof(s->labels) - o,
						      "%.*s=", (int)kl, p);
				p += kl + 2;
				while (*p && *p != '"') {
					if (*p == '\\') {
						RT_CHECK(p[1] == '\\' ||
								 p[1] == '"' ||
								 p[1] == 'n',
							 "line %d: bad escape",
							 lineno);
						p++;
					}
					if (o + 1 < sizeof(s->labels))
						s->labels[o++] = *p;
					p++;
				}
				RT_CHECK(*p == '"', "line %d: open label",
					 lineno);
				p++;
				if (*p == ',') {
					p++;
					if (o + 1 < sizeof(s->labels))
						s->labels[o++] = ',';
				} else {
					RT_CHECK(*p == '}',
						 "line %d: bad label list",
						 lineno);
				}
				s->labels[o] = '\0';
			}
			p++;
		}
		RT_CHECK(*p == ' ', "line %d: no value", lineno);
		char *vend;
		s->value = strtod(p + 1, &vend);
		RT_CHECK(vend != p + 1 && (*vend == '\0' || *vend == ' '),
			 "line %d: bad value '%s'", lineno, p + 1);
	}
}

/* The value of the sample with this name and exactly these labels
 * ("connector=sink,task=0,direction=in"); NAN when absent. */
static double metric(const struct scrape *s, const char *name,
		     const char *labels)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name) &&
		    !strcmp(s->v[i].labels, labels))
			return s->v[i].value;
	return NAN;
}

static void scrape(struct scrape *s)
{
	struct reply r = {0};
	EXPECT(&r, 200, "GET", "/metrics", NULL);
	free(s->v);
	parse_exposition(r.body, s);
	reply_free(&r);
}

/* Waits until the sample reaches `want`; returns its last value. */
static double wait_metric(const char *name, const char *labels, double want,
			  int timeout_ms)
{
	struct scrape s = {0};
	int64_t deadline = rt_now_ms() + timeout_ms;
	double v;
	for (;;) {
		scrape(&s);
		v = metric(&s, name, labels);
		if (v >= want || rt_now_ms() >= deadline)
			break;
		rt_nap_ms(100);
	}
	free(s.v);
	return v;
}

/* Sum of the committed offsets GET /connectors/{name}/offsets shows. */
static long committed_sum(const char *name)
{
	struct reply r = {0};
	char path[256];
	snprintf(path, sizeof(path), "/connectors/%s/offsets", name);
	EXPECT(&r, 200, "GET", path, NULL);
	struct json_object *a;
	RT_CHECK(json_object_object_get_ex(r.json, "offsets", &a) &&
			 json_object_is_type(a, json_type_array),
		 "no offsets: %s", r.body);
	long sum = 0;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i), *o, *k;
		RT_CHECK(json_object_object_get_ex(e, "offset", &o) &&
				 json_object_object_get_ex(o, "kafka_offset",
							   &k),
			 "bad offsets entry: %s", r.body);
		sum += json_object_get_int64(k);
	}
	reply_free(&r);
	return sum;
}

/* ---- tests ---- */

/*
 * Every read-only endpoint, with its status and body, and /metrics
 * against what the source produced and the sink received.
 */
START_TEST(test_read_endpoints)
{
	char out[PATH_MAX];
	snprintf(out, sizeof(out), "%s/sink.out", rt_dir);
	worker_file(NULL);
	source_file("src", "t1", 300, 0);
	sink_file("sink", "t1", out);
	start();
	RT_CHECK(rt_wait_lines(out, 300, 60000), "the sink got %zu of 300",
		 rt_file_lines(out));
	struct reply r = {0};

	EXPECT(&r, 200, "GET", "/", NULL);
	RT_CHECK(jeq(&r, "version", PACKAGE_VERSION) && jstr(&r, "commit"),
		 "GET /: %s", r.body);
	EXPECT(&r, 200, "GET", "/health", NULL);
	RT_CHECK(jeq(&r, "status", "healthy"), "health: %s", r.body);

	EXPECT(&r, 200, "GET", "/connectors", NULL);
	RT_CHECK(json_object_array_length(r.json) == 2 &&
			 strstr(r.body, "\"sink\"") &&
			 strstr(r.body, "\"src\""),
		 "connectors: %s", r.body);
	EXPECT(&r, 200, "GET", "/connectors?expand=status", NULL);
	RT_CHECK(jeq(&r, "sink.status.connector.state", "RUNNING") &&
			 jeq(&r, "src.status.tasks.0.state", "FINISHED") &&
			 !jstr(&r, "sink.info"),
		 "expand=status: %s", r.body);
	EXPECT(&r, 200, "GET", "/connectors?expand=info&expand=status", NULL);
	RT_CHECK(jeq(&r, "sink.info.config.plugin", "test-record-sink") &&
			 jeq(&r, "sink.info.type", "sink") &&
			 jeq(&r, "src.status.type", "source"),
		 "expand=info&status: %s", r.body);

	EXPECT(&r, 200, "GET", "/connectors/sink", NULL);
	RT_CHECK(jeq(&r, "name", "sink") && jeq(&r, "type", "sink") &&
			 jeq(&r, "config.topics", "t1") &&
			 jeq(&r, "config.config.file", out) &&
			 jeq(&r, "tasks.0.connector", "sink") &&
			 jeq(&r, "tasks.0.task", "0"),
		 "GET /connectors/sink: %s", r.body);
	EXPECT(&r, 200, "GET", "/connectors/src/config", NULL);
	RT_CHECK(jeq(&r, "name", "src") &&
			 jeq(&r, "plugin", "test-count-source") &&
			 jeq(&r, "topic", "t1") &&
			 jeq(&r, "config.count", "300"),
		 "config: %s", r.body);
	EXPECT(&r, 200, "GET", "/connectors/sink/status", NULL);
	RT_CHECK(jeq(&r, "name", "sink") &&
			 jeq(&r, "connector.state", "RUNNING") &&
			 jstr(&r, "connector.worker_id") &&
			 jeq(&r, "tasks.0.id", "0") &&
			 jeq(&r, "tasks.0.state", "RUNNING"),
		 "status: %s", r.body);
	EXPECT(&r, 200, "GET", "/connectors/sink/tasks", NULL);
	RT_CHECK(jeq(&r, "0.id.connector", "sink") &&
			 jeq(&r, "0.id.task", "0") &&
			 jeq(&r, "0.config.plugin", "test-record-sink"),
		 "tasks: %s", r.body);
	EXPECT(&r, 200, "GET", "/connectors/sink/tasks/0/status", NULL);
	RT_CHECK(jeq(&r, "id", "0") && jeq(&r, "state", "RUNNING"),
		 "task status: %s", r.body);
	EXPECT(&r, 200, "GET", "/connectors/src/topics", NULL);
	RT_CHECK(jeq(&r, "src.topics.0", "t1"), "topics: %s", r.body);
	/* The source finished: FINISHED once every record was delivered. */
	int64_t deadline = rt_now_ms() + 30000;
	while (http(&r, "GET", "/connectors/src/offsets", NULL) == 200 &&
	       !jeq(&r, "offsets.0.offset.position", "300") &&
	       rt_now_ms() < deadline)
		rt_nap_ms(100);
	RT_CHECK(jeq(&r, "offsets.0.partition.source_partition", "0-0") &&
			 jeq(&r, "offsets.0.offset.position", "300"),
		 "source offsets: %s", r.body);
	deadline = rt_now_ms() + 30000;
	while (committed_sum("sink") < 300 && rt_now_ms() < deadline)
		rt_nap_ms(100);
	RT_CHECK(committed_sum("sink") == 300, "sink committed %ld of 300",
		 committed_sum("sink"));
	EXPECT(&r, 200, "GET", "/connectors/sink/offsets", NULL);
	RT_CHECK(jeq(&r, "offsets.0.partition.kafka_topic", "t1"),
		 "sink offsets: %s", r.body);

	EXPECT(&r, 200, "GET", "/connector-plugins", NULL);
	RT_CHECK(json_object_array_length(r.json) >= 3 &&
			 strstr(r.body, "\"class\":\"test-record-sink\"") &&
			 strstr(r.body, "\"class\":\"test-count-source\"") &&
			 strstr(r.body, "\"type\":\"sink\""),
		 "plugins: %s", r.body);
	EXPECT(&r, 200, "GET", "/connector-plugins/test-record-sink/config",
	       NULL);
	RT_CHECK(jeq(&r, "0.name", "file") && jeq(&r, "0.required", "true") &&
			 jeq(&r, "0.type", "STRING"),
		 "plugin config: %s", r.body);
	EXPECT(&r, 200, "PUT",
	       "/connector-plugins/test-record-sink/config/validate",
	       "{\"topics\":\"t1\",\"config\":{\"file\":\"/tmp/x\"}}");
	RT_CHECK(jeq(&r, "error_count", "0") &&
			 jeq(&r, "name", "test-record-sink"),
		 "validate ok: %s", r.body);
	EXPECT(&r, 200, "PUT",
	       "/connector-plugins/test-record-sink/config/validate",
	       "{\"topics\":\"t1\",\"config\":{\"retry.times\":\"x\"}}");
	RT_CHECK(jeq(&r, "error_count", "2") && strstr(r.body, "retry.times") &&
			 strstr(r.body, "missing required option 'file'"),
		 "validate bad: %s", r.body);

	/* Unknown things are 404 with an error body. */
	const char *missing[] = {"/connectors/nope",
				 "/connectors/nope/status",
				 "/connectors/nope/config",
				 "/connectors/sink/tasks/1/status",
				 "/connectors/sink/tasks/x/status",
				 "/connectors/sink/nothing",
				 "/nothing",
				 "/connector-plugins/nope/config",
				 NULL};
	for (const char **m = missing; *m; m++) {
		EXPECT(&r, 404, "GET", *m, NULL);
		expect_error(&r);
	}

	/* /metrics: well formed, and the counters are what went through. */
	struct scrape s = {0};
	scrape(&s);
	RT_CHECK(metric(&s, "sluice_records_total",
			"connector=src,task=0,direction=out") == 300,
		 "source out %g",
		 metric(&s, "sluice_records_total",
			"connector=src,task=0,direction=out"));
	RT_CHECK(metric(&s, "sluice_output_records_total",
			"connector=src,task=0,output=out") == 300,
		 "source output");
	RT_CHECK(metric(&s, "sluice_records_total",
			"connector=sink,task=0,direction=in") == 300 &&
			 metric(&s, "sluice_records_total",
				"connector=sink,task=0,direction=out") == 300,
		 "sink in %g",
		 metric(&s, "sluice_records_total",
			"connector=sink,task=0,direction=in"));
	RT_CHECK(metric(&s, "sluice_records_failed_total",
			"connector=sink,task=0") == 0 &&
			 metric(&s, "sluice_records_dead_lettered_total",
				"connector=sink,task=0") == 0,
		 "failed");
	RT_CHECK(metric(&s, "sluice_connector_up",
			"connector=sink,state=RUNNING") == 1,
		 "connector_up");
	RT_CHECK(metric(&s, "sluice_process_resident_memory_bytes", "") > 0 &&
			 metric(&s, "sluice_process_threads", "") >= 2,
		 "process metrics");
	free(s.v);
	reply_free(&r);
	stop_ok();
}
END_TEST

/*
 * Requests that must be refused with 4xx, after which the worker still
 * answers.
 */
START_TEST(test_bad_requests)
{
	char out[PATH_MAX];
	snprintf(out, sizeof(out), "%s/sink.out", rt_dir);
	worker_file(NULL);
	sink_file("sink", "t1", out);
	start();
	struct reply r = {0};
	const char *bodies[] = {
		"{\"name\":",
		"{\"name\":\"x\",\"config\":{}} trailing",
		"[1,2,3]",
		"",
		"{\"name\":\"x\"}",
		"{\"name\":\"../../etc/passwd\",\"config\":{\"plugin\":"
		"\"test-record-sink\"}}",
		"{\"name\":7,\"config\":{}}",
		NULL};
	for (const char **b = bodies; *b; b++) {
		EXPECT(&r, 400, "POST", "/connectors", *b);
		expect_error(&r);
	}
	/* Nested deeper than the parser allows. */
	char deep[4096] = "{\"name\":\"deep\",\"config\":";
	for (int i = 0; i < 200; i++)
		strcat(deep, "[");
	EXPECT(&r, 400, "POST", "/connectors", deep);
	/* A NUL inside the body. */
	long st =
		http_len(&r, "POST", "/connectors", "{\"name\":\"a\0b\"}", 15);
	RT_CHECK(st == 400, "NUL body: %ld", st);

	/* Invalid configurations: 400 with the validation messages. */
	EXPECT(&r, 400, "POST", "/connectors",
	       "{\"name\":\"bad\",\"config\":{\"plugin\":\"test-record-sink\","
	       "\"topics\":\"t1\",\"config\":{\"fil\":\"/tmp/x\"}}}");
	expect_error(&r);
	RT_CHECK(strstr(r.body, "did you mean 'file'") &&
			 strstr(r.body, "missing required option 'file'"),
		 "validation messages: %s", r.body);
	EXPECT(&r, 400, "POST", "/connectors",
	       "{\"name\":\"bad\",\"config\":{\"plugin\":\"no-such\"}}");
	RT_CHECK(strstr(r.body, "unknown plugin"), "%s", r.body);
	EXPECT(&r, 400, "PUT", "/connectors/sink/config",
	       "{\"name\":\"other\",\"plugin\":\"test-record-sink\"}");
	/* Nothing was written for any of them. */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/bad.yaml", w->dir);
	RT_CHECK(access(path, F_OK) != 0, "bad.yaml was written");

	/* A conflict. */
	char body[1024];
	snprintf(body, sizeof(body),
		 "{\"name\":\"sink\",\"config\":{\"plugin\":\"test-record-"
		 "sink\",\"topics\":\"t1\",\"config\":{\"file\":\"%s\"}}}",
		 out);
	EXPECT(&r, 409, "POST", "/connectors", body);
	expect_error(&r);

	/* Too large: 2 MiB, with a length and chunked. */
	size_t big_n = 2u << 20;
	char *big = malloc(big_n);
	ck_assert(big != NULL);
	memset(big, 'a', big_n);
	st = http_len(&r, "POST", "/connectors", big, big_n);
	RT_CHECK(st == 413, "huge body: %ld", st);
	free(big);

	/* Paths that try to leave: never a file, only 404. */
	const char *paths[] = {"/connectors/..%2F..%2Fetc",
			       "/connectors/..%2F..%2Fetc/config",
			       "/connectors/%2e%2e/status",
			       "/connectors/../../etc/passwd",
			       "/connectors/sink%00/status",
			       "/connector-plugins/..%2Fx/config",
			       NULL};
	for (const char **p = paths; *p; p++) {
		EXPECT(&r, 404, "GET", *p, NULL);
		expect_error(&r);
	}
	EXPECT(&r, 404, "DELETE", "/connectors/..%2Fsluice.yaml", NULL);
	RT_CHECK(access(w->cfg, F_OK) == 0, "the worker file is gone");

	/* Unknown methods. */
	EXPECT(&r, 405, "PATCH", "/connectors/sink", NULL);
	expect_error(&r);
	EXPECT(&r, 405, "DELETE", "/connectors", NULL);
	EXPECT(&r, 405, "POST", "/connectors/sink/pause", NULL);
	EXPECT(&r, 405, "BREW", "/", NULL);
	EXPECT(&r, 405, "PUT", "/connector-plugins", NULL);

	RT_CHECK(rt_worker_alive(w), "the worker died");
	EXPECT(&r, 200, "GET", "/health", NULL);
	EXPECT(&r, 200, "GET", "/connectors/sink/status", NULL);
	RT_CHECK(jeq(&r, "connector.state", "RUNNING"), "%s", r.body);
	reply_free(&r);
	stop_ok();
}
END_TEST

/* rest.token: every path but /health wants it. */
START_TEST(test_token)
{
	setenv("SLUICE_TEST_TOKEN", "s3cret-t0ken", 1);
	worker_file("  token: ${env:SLUICE_TEST_TOKEN}\n");
	start();
	struct reply r = {0};
	EXPECT(&r, 401, "GET", "/connectors", NULL);
	expect_error(&r);
	token = "wrong";
	EXPECT(&r, 401, "GET", "/metrics", NULL);
	token = "s3cret-t0ken";
	EXPECT(&r, 200, "GET", "/connectors", NULL);
	EXPECT(&r, 200, "GET", "/metrics", NULL);
	token = NULL;
	EXPECT(&r, 200, "GET", "/health", NULL);
	reply_free(&r);
	stop_ok();
}
END_TEST

/*
 * POST creates connectors.d/<name>.yaml and starts it; PUT config
 * changes it (it restarts); it survives a restart of the worker; DELETE
 * removes the file and stops it.
 */
START_TEST(test_create_restart)
{
	char out[PATH_MAX], file[PATH_MAX], body[1024];
	snprintf(out, sizeof(out), "%s/made.out", rt_dir);
	snprintf(file, sizeof(file), "%s/made.yaml", w->dir);
	worker_file(NULL);
	source_file("src", "t1", 200, 0);
	start();
	struct reply r = {0};
	snprintf(body, sizeof(body),
		 "{\"name\":\"made\",\"config\":{\"plugin\":\"test-record-"
		 "sink\",\"topics\":[\"t1\"],\"tasks.max\":1,\"config\":{"
		 "\"file\":\"%s\"},\"errors\":{\"tolerance\":\"none\"}}}",
		 out);
	EXPECT(&r, 201, "POST", "/connectors", body);
	RT_CHECK(jeq(&r, "name", "made") && jeq(&r, "type", "sink") &&
			 jeq(&r, "config.config.file", out) &&
			 jeq(&r, "tasks.0.task", "0"),
		 "POST: %s", r.body);
	RT_CHECK(access(file, F_OK) == 0, "no %s", file);
	RT_CHECK(rt_wait_lines(out, 200, 60000), "made got %zu of 200",
		 rt_file_lines(out));
	EXPECT(&r, 200, "GET", "/connectors/made/status", NULL);
	RT_CHECK(jeq(&r, "connector.state", "RUNNING"), "%s", r.body);

	/* A change: two tasks now. */
	snprintf(body, sizeof(body),
		 "{\"plugin\":\"test-record-sink\",\"topics\":\"t1\","
		 "\"tasks.max\":2,\"config\":{\"file\":\"%s\"}}",
		 out);
	EXPECT(&r, 200, "PUT", "/connectors/made/config", body);
	RT_CHECK(jeq(&r, "tasks.1.task", "1"), "PUT: %s", r.body);
	EXPECT(&r, 200, "GET", "/connectors/made/config", NULL);
	RT_CHECK(strstr(r.body, "\"tasks.max\":2") != NULL, "config: %s",
		 r.body);
	/* PUT of a new name creates it. */
	snprintf(body, sizeof(body),
		 "{\"plugin\":\"test-record-sink\",\"topics\":\"t1\","
		 "\"config\":{\"file\":\"%s.2\"}}",
		 out);
	EXPECT(&r, 201, "PUT", "/connectors/made2/config", body);

	stop_ok();
	start();
	EXPECT(&r, 200, "GET", "/connectors", NULL);
	RT_CHECK(strstr(r.body, "\"made\"") && strstr(r.body, "\"made2\""),
		 "after restart: %s", r.body);
	EXPECT(&r, 200, "GET", "/connectors/made/status", NULL);
	RT_CHECK(jeq(&r, "connector.state", "RUNNING") &&
			 jeq(&r, "tasks.1.state", "RUNNING"),
		 "after restart: %s", r.body);

	EXPECT(&r, 204, "DELETE", "/connectors/made", NULL);
	RT_CHECK(access(file, F_OK) != 0, "%s still there", file);
	EXPECT(&r, 404, "GET", "/connectors/made", NULL);
	EXPECT(&r, 404, "DELETE", "/connectors/made", NULL);
	EXPECT(&r, 200, "GET", "/connectors", NULL);
	RT_CHECK(!strstr(r.body, "\"made\"") && strstr(r.body, "\"made2\""),
		 "after delete: %s", r.body);
	reply_free(&r);
	stop_ok();
}
END_TEST

/*
 * Pause a sink: it receives nothing more, commits nothing, and its lag
 * (records produced less committed) grows; resume: everything arrives,
 * nothing lost. Then the same for the source (its tasks stop and start
 * again from their stored positions), stop, and restarts.
 */
START_TEST(test_pause_resume)
{
	char out[PATH_MAX];
	snprintf(out, sizeof(out), "%s/sink.out", rt_dir);
	worker_file(NULL);
	source_file("src", "t1", 0, 400);
	sink_file("sink", "t1", out);
	start();
	struct reply r = {0};
	RT_CHECK(rt_wait_lines(out, 100, 60000), "nothing arrives");

	EXPECT(&r, 202, "PUT", "/connectors/sink/pause", NULL);
	EXPECT(&r, 200, "GET", "/connectors/sink/status", NULL);
	RT_CHECK(jeq(&r, "connector.state", "PAUSED") &&
			 jeq(&r, "tasks.0.state", "PAUSED"),
		 "paused: %s", r.body);
	/* What was put before the pause is flushed within one interval. */
	rt_nap_ms(2500);
	size_t lines = rt_file_lines(out);
	long committed = committed_sum("sink");
	double produced =
		wait_metric("sluice_records_total",
			    "connector=src,task=0,direction=out", 0, 0);
	long lag1 = (long)produced - committed;
	double later = wait_metric("sluice_records_total",
				   "connector=src,task=0,direction=out",
				   produced + 600, 30000);
	RT_CHECK(later >= produced + 600, "the source stalled");
	rt_nap_ms(1500); /* more than one flush interval */
	long lag2 = (long)later - committed_sum("sink");
	RT_CHECK(rt_file_lines(out) == lines, "paused sink got %zu more",
		 rt_file_lines(out) - lines);
	RT_CHECK(committed_sum("sink") == committed,
		 "paused sink committed %ld -> %ld", committed,
		 committed_sum("sink"));
	RT_CHECK(lag2 >= lag1 + 600, "lag %ld -> %ld", lag1, lag2);

	EXPECT(&r, 202, "PUT", "/connectors/sink/resume", NULL);
	EXPECT(&r, 200, "GET", "/connectors/sink/status", NULL);
	RT_CHECK(jeq(&r, "connector.state", "RUNNING"), "%s", r.body);

	/* The source paused: its tasks stop, so the total is fixed. */
	EXPECT(&r, 202, "PUT", "/connectors/src/pause", NULL);
	EXPECT(&r, 200, "GET", "/connectors/src/status", NULL);
	RT_CHECK(jeq(&r, "connector.state", "PAUSED"), "%s", r.body);
	struct scrape s = {0};
	scrape(&s);
	double total = metric(&s, "sluice_records_total",
			      "connector=src,task=0,direction=out");
	RT_CHECK(total == metric(&s, "sluice_records_total",
				 "connector=src,task=0,direction=in"),
		 "a paused source has records in flight");
	RT_CHECK(rt_wait_lines(out, (size_t)total, 60000),
		 "after resume the sink got %zu of %.0f", rt_file_lines(out),
		 total);
	int complete;
	long distinct = distinct_seqs(out, &complete);
	RT_CHECK(distinct == (long)total && complete,
		 "%ld distinct of %.0f (complete %d)", distinct, total,
		 complete);
	RT_CHECK(wait_metric("sluice_records_total",
			     "connector=sink,task=0,direction=in", total,
			     30000) >= total,
		 "sink counter");

	/* Resume the source: it goes on from its stored position, and the
	 * counters go on from where they were. */
	EXPECT(&r, 202, "PUT", "/connectors/src/resume", NULL);
	EXPECT(&r, 200, "GET", "/connectors/src/status", NULL);
	RT_CHECK(jeq(&r, "connector.state", "RUNNING") &&
			 jeq(&r, "tasks.0.state", "RUNNING"),
		 "%s", r.body);
	RT_CHECK(rt_wait_lines(out, (size_t)total + 200, 60000),
		 "nothing after the source resumed");

	/* Stop, then resume from stopped; pause of a stopped one is a
	 * conflict. */
	EXPECT(&r, 204, "PUT", "/connectors/src/stop", NULL);
	EXPECT(&r, 200, "GET", "/connectors/src/status", NULL);
	RT_CHECK(jeq(&r, "connector.state", "STOPPED"), "%s", r.body);
	EXPECT(&r, 409, "PUT", "/connectors/src/pause", NULL);
	expect_error(&r);
	EXPECT(&r, 202, "PUT", "/connectors/src/resume", NULL);
	/* Restarts (the connector, one task). */
	EXPECT(&r, 204, "POST", "/connectors/sink/restart", NULL);
	EXPECT(&r, 204, "POST", "/connectors/sink/tasks/0/restart", NULL);
	EXPECT(&r, 404, "POST", "/connectors/sink/tasks/3/restart", NULL);
	EXPECT(&r, 404, "PUT", "/connectors/nope/pause", NULL);

	EXPECT(&r, 202, "PUT", "/connectors/src/pause", NULL);
	scrape(&s);
	total = metric(&s, "sluice_records_total",
		       "connector=src,task=0,direction=out");
	RT_CHECK(rt_wait_lines(out, (size_t)total, 60000),
		 "after restarts the sink got %zu of %.0f", rt_file_lines(out),
		 total);
	distinct = distinct_seqs(out, &complete);
	RT_CHECK(distinct == (long)total && complete,
		 "%ld distinct of %.0f after restarts", distinct, total);
	free(s.v);
	reply_free(&r);
	stop_ok();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rest");
	struct {
		const char *name;
		const TTest *test;
	} tests[] = {
		{"read_endpoints", test_read_endpoints},
		{"bad_requests", test_bad_requests},
		{"token", test_token},
		{"create_restart", test_create_restart},
		{"pause_resume", test_pause_resume},
	};
	for (size_t i = 0; i < sizeof(tests) / sizeof(*tests); i++)
		rt_add_case(s, tests[i].name, tests[i].test, 300, rt_setup,
			    rt_teardown);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int status = rt_run_suite(suite());
	curl_global_cleanup();
	return status;
}
