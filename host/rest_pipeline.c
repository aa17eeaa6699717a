/*
 * rest_pipeline.c - GET /sluice/pipeline: everything the pipeline page
 * and `sluice status` show, in one answer, so that a refresh is one
 * request and sees one moment: per connector its plugin, kind, state
 * (with the reason of a failure), input and output topics, counters,
 * rates, lag per partition, and the data-quality expectations its plugin
 * counts (dq_records_total{expectation,result}); the topics in order of
 * first appearance. Everything is read under w->lock, nothing waits for
 * Kafka (the cluster id comes from metadata a client already has).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connector.h"
#include "rest_internal.h"
#include "worker.h"

char *rest_cluster_id(struct worker *w)
{
	char *id = NULL;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->conns_n && !id; i++) {
		const struct connector *c = w->conns[i];
		for (int t = 0; t < c->tasks_n && !id; t++) {
			const struct sluice_task *k = c->tasks[t];
			rd_kafka_t *rk = !k	       ? NULL
					 : k->producer ? k->producer
						       : k->consumer;
			if (!rk)
				continue;
			/* Timeout 0: what the client's metadata holds. */
			char *s = rd_kafka_clusterid(rk, 0);
			if (s) {
				id = strdup(s);
				rd_kafka_mem_free(rk, s);
			}
		}
	}
	pthread_mutex_unlock(&w->lock);
	return id;
}

/* The value between quotes after `name="` in a label list, copied into
 * buf; NULL when absent. Plugin labels are exposition syntax. */
static const char *label(const char *labels, const char *name, char *buf,
			 size_t len)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "%s=\"", name);
	const char *p = labels ? strstr(labels, pat) : NULL;
	if (!p)
		return NULL;
	p += strlen(pat);
	size_t n = 0;
	for (; *p && *p != '"' && n + 1 < len; p++) {
		if (*p == '\\' && p[1])
			p++;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	return buf;
}

/* Adds a task's dq_records_total counters to `ex` (name -> {passed,
 * failed}), keeping the order in which expectations first appear. */
static void expectations_add(struct json_object *ex, struct metric_set *ms)
{
	pthread_mutex_lock(&ms->lock);
	for (size_t i = 0; i < ms->n; i++) {
		const struct metric *m = &ms->v[i];
		char name[256], result[16];
		if (m->kind != METRIC_COUNTER ||
		    strcmp(m->name, "dq_records_total") ||
		    !label(m->labels, "expectation", name, sizeof(name)) ||
		    !label(m->labels, "result", result, sizeof(result)) ||
		    (strcmp(result, "passed") && strcmp(result, "failed")))
			continue;
		struct json_object *e, *v;
		if (!json_object_object_get_ex(ex, name, &e)) {
			e = json_object_new_object();
			json_object_object_add(e, "passed",
					       json_object_new_int64(0));
			json_object_object_add(e, "failed",
					       json_object_new_int64(0));
			json_object_object_add(ex, name, e);
		}
		json_object_object_get_ex(e, result, &v);
		json_object_set_int64(v, json_object_get_int64(v) +
						 (int64_t)m->value);
	}
	pthread_mutex_unlock(&ms->lock);
}

static struct json_object *expectations_list(struct json_object *ex)
{
	struct json_object *a = json_object_new_array();
	json_object_object_foreach(ex, name, e)
	{
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "name", json_object_new_string(name));
		struct json_object *v;
		json_object_object_get_ex(e, "passed", &v);
		json_object_object_add(x, "passed", json_object_get(v));
		json_object_object_get_ex(e, "failed", &v);
		json_object_object_add(x, "failed", json_object_get(v));
		json_object_array_add(a, x);
	}
	return a;
}

static struct json_object *partitions_json(struct sluice_task *t, int64_t *lag,
					   int *known)
{
	struct live_partition *v;
	size_t n = live_partitions(&t->live, &v);
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		int64_t l = v[i].high > v[i].position
				    ? v[i].high - v[i].position
				    : 0;
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "topic",
				       json_object_new_string(v[i].topic));
		json_object_object_add(p, "partition",
				       json_object_new_int(v[i].partition));
		json_object_object_add(p, "high_watermark",
				       json_object_new_int64(v[i].high));
		json_object_object_add(p, "position",
				       json_object_new_int64(v[i].position));
		json_object_object_add(p, "lag", json_object_new_int64(l));
		json_object_array_add(a, p);
		*lag += l;
		*known = 1;
	}
	free(v);
	return a;
}

/* Sums of the tasks, added to the connector's object at the end. */
struct totals {
	uint64_t in, out, failed, dlq;
	double rate_in, rate_out;
	int64_t lag;
	int lag_known;
};

static void counters_add(struct json_object *j, uint64_t in, uint64_t out,
			 double rate_in, double rate_out, int64_t lag,
			 int lag_known)
{
	json_object_object_add(j, "records_in",
			       json_object_new_int64((int64_t)in));
	json_object_object_add(j, "records_out",
			       json_object_new_int64((int64_t)out));
	json_object_object_add(j, "rate_in", json_object_new_double(rate_in));
	json_object_object_add(j, "rate_out", json_object_new_double(rate_out));
	json_object_object_add(j, "lag",
			       lag_known ? json_object_new_int64(lag) : NULL);
}

static struct json_object *task_json(const struct connector *c, int id,
				     struct totals *tot, struct json_object *ex)
{
	struct sluice_task *t = c->tasks[id];
	struct json_object *j = json_object_new_object();
	const char *st = rest_task_state(c, id);
	json_object_object_add(j, "id", json_object_new_int(id));
	json_object_object_add(j, "state", json_object_new_string(st));
	if (!t) {
		counters_add(j, 0, 0, 0, 0, 0, 0);
		return j;
	}
	if (!strcmp(st, "FAILED"))
		json_object_object_add(j, "trace",
				       json_object_new_string(t->error));
	uint64_t in = atomic_load(&t->counters.in),
		 out = atomic_load(&t->counters.out);
	tot->in += in;
	tot->out += out;
	tot->failed += atomic_load(&t->counters.failed);
	tot->dlq += atomic_load(&t->counters.deadlettered);
	double ri, ro;
	live_rates(&t->live, &ri, &ro);
	tot->rate_in += ri;
	tot->rate_out += ro;
	int64_t lag = 0;
	int known = 0;
	/* A paused consumer's watermarks are stale (see prom.c). */
	struct json_object *parts = atomic_load(&c->target) == CONNECTOR_RUNNING
					    ? partitions_json(t, &lag, &known)
					    : json_object_new_array();
	counters_add(j, in, out, ri, ro, lag, known);
	json_object_object_add(j, "partitions", parts);
	tot->lag += lag;
	tot->lag_known |= known;
	expectations_add(ex, &t->metrics);
	return j;
}

/* The first failed task's reason: why the connector shows FAILED. */
static const char *failure(const struct connector *c)
{
	for (int i = 0; i < c->tasks_n; i++)
		if (c->tasks[i] && !strcmp(rest_task_state(c, i), "FAILED"))
			return c->tasks[i]->error;
	return NULL;
}

static struct json_object *outputs_json(const struct connector *c)
{
	struct json_object *a = json_object_new_array();
	for (int o = 0; o < c->outputs_n; o++) {
		uint64_t n = 0;
		for (int t = 0; t < c->tasks_n; t++)
			if (c->tasks[t])
				n += atomic_load(&c->tasks[t]->by_output[o]);
		struct json_object *x = json_object_new_object();
		json_object_object_add(
			x, "name", json_object_new_string(c->output_names[o]));
		json_object_object_add(
			x, "topic",
			c->output_topics[o]
				? json_object_new_string(c->output_topics[o])
				: NULL);
		json_object_object_add(x, "records",
				       json_object_new_int64((int64_t)n));
		json_object_array_add(a, x);
	}
	return a;
}

static struct json_object *connector_json(const struct connector *c)
{
	const struct connector_config *cfg = c->cfg;
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(cfg->name));
	json_object_object_add(j, "plugin",
			       json_object_new_string(cfg->plugin));
	json_object_object_add(
		j, "type",
		json_object_new_string(loader_kind_name(c->plugin->kind)));
	const char *state = rest_connector_state(c);
	json_object_object_add(j, "state", json_object_new_string(state));
	const char *why = failure(c);
	if (why)
		json_object_object_add(j, "trace", json_object_new_string(why));
	struct json_object *in = json_object_new_array();
	for (size_t i = 0; i < cfg->topics_n; i++)
		json_object_array_add(in,
				      json_object_new_string(cfg->topics[i]));
	json_object_object_add(j, "inputs", in);
	json_object_object_add(j, "outputs", outputs_json(c));
	const char *dlq = cfg->errors.tolerance == TOLERANCE_ALL
				  ? cfg->errors.dlq_topic
				  : NULL;
	json_object_object_add(j, "dead_letter_topic",
			       dlq ? json_object_new_string(dlq) : NULL);
	struct totals tot = {0};
	struct json_object *ex = json_object_new_object();
	struct json_object *tasks = json_object_new_array();
	for (int t = 0; t < c->tasks_n; t++)
		json_object_array_add(tasks, task_json(c, t, &tot, ex));
	counters_add(j, tot.in, tot.out, tot.rate_in, tot.rate_out, tot.lag,
		     tot.lag_known);
	json_object_object_add(j, "failed",
			       json_object_new_int64((int64_t)tot.failed));
	json_object_object_add(j, "dead_lettered",
			       json_object_new_int64((int64_t)tot.dlq));
	json_object_object_add(j, "tasks", tasks);
	json_object_object_add(j, "expectations", expectations_list(ex));
	json_object_put(ex);
	return j;
}

/* Adds `name` to the topic list unless it is there. */
static void topic_add(struct json_object *topics, struct json_object *seen,
		      const char *name)
{
	if (!name || json_object_object_get_ex(seen, name, NULL))
		return;
	json_object_object_add(seen, name, NULL);
	json_object_array_add(topics, json_object_new_string(name));
}

static struct json_object *topics_json(struct worker *w)
{
	struct json_object *topics = json_object_new_array();
	struct json_object *seen = json_object_new_object();
	for (size_t i = 0; i < w->conns_n; i++) {
		const struct connector *c = w->conns[i];
		for (size_t k = 0; k < c->cfg->topics_n; k++)
			topic_add(topics, seen, c->cfg->topics[k]);
		for (int o = 0; o < c->outputs_n; o++)
			topic_add(topics, seen, c->output_topics[o]);
		if (c->cfg->errors.tolerance == TOLERANCE_ALL)
			topic_add(topics, seen, c->cfg->errors.dlq_topic);
	}
	json_object_put(seen);
	return topics;
}

int rest_pipeline_has_topic(struct worker *w, const char *topic)
{
	pthread_mutex_lock(&w->lock);
	struct json_object *t = topics_json(w);
	pthread_mutex_unlock(&w->lock);
	int found = 0;
	for (size_t i = 0; i < json_object_array_length(t) && !found; i++)
		found = !strcmp(
			json_object_get_string(json_object_array_get_idx(t, i)),
			topic);
	json_object_put(t);
	return found;
}

static void pipeline(struct rest_req *q, struct rest_resp *o)
{
	struct worker *w = q->r->w;
	char *cluster = rest_cluster_id(w);
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "version",
			       json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(j, "worker_id",
			       json_object_new_string(q->r->worker_id));
	json_object_object_add(j, "kafka_cluster_id",
			       cluster ? json_object_new_string(cluster)
				       : NULL);
	free(cluster);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(j, "time_ms",
			       json_object_new_int64((int64_t)ts.tv_sec * 1000 +
						     ts.tv_nsec / 1000000));
	struct json_object *a = json_object_new_array();
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->conns_n; i++)
		json_object_array_add(a, connector_json(w->conns[i]));
	json_object_object_add(j, "topics", topics_json(w));
	pthread_mutex_unlock(&w->lock);
	json_object_object_add(j, "connectors", a);
	rest_json(o, MHD_HTTP_OK, j);
}

void rest_sluice(struct rest_req *q, struct rest_resp *o)
{
	if (q->nseg == 2 && !strcmp(q->seg[1], "pipeline")) {
		if (rest_is(q, "GET"))
			pipeline(q, o);
		else
			rest_bad_method(q, o);
	} else if (q->nseg == 3 && !strcmp(q->seg[1], "tables")) {
		if (rest_is(q, "GET"))
			rest_table(q, o, q->seg[2]);
		else
			rest_bad_method(q, o);
	} else {
		rest_error(o, MHD_HTTP_NOT_FOUND, "not found");
	}
}
