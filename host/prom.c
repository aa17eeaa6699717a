/*
 * prom.c - GET /metrics (see prom.h).
 *
 * The host's own families, per connector and task:
 *   sluice_records_total{direction="in"|"out"}  read or polled / written
 *   sluice_records_failed_total                 rejected
 *   sluice_records_dead_lettered_total          of which sent to the DLQ
 *   sluice_output_records_total{output=...}     produced per named output
 *   sluice_consumer_lag{topic,partition}        records behind the end
 *   sluice_task_up{state=...}                   1 for the task's state
 *   sluice_connector_up{state=...}              1 for the connector's
 * plugin metrics (counter_add, gauge_set, observe) as sluice_<name> with
 * the connector and task labels before the plugin's own, and the process:
 * sluice_process_resident_memory_bytes, sluice_process_threads.
 *
 * Prometheus wants every sample of a family together under one TYPE
 * line, and the tasks of different connectors report the same plugin
 * families, so samples are collected first and sorted by family.
 */
#include "prom.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "rest_internal.h"
#include "rest_json.h"
#include "worker.h"

struct sample {
	char *family; /* full name, sluice_... */
	const char *type;
	const char *help;
	char *text; /* the sample lines */
	size_t order;
};

struct samples {
	struct sample *v;
	size_t n, cap;
};

void prom_sanitize_name(char *s)
{
	for (char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != ':')
			*p = '_';
	if (isdigit((unsigned char)s[0]))
		s[0] = '_';
}

static void add(struct samples *ss, const char *family, const char *type,
		const char *help, struct sbuf *text)
{
	if (ss->n == ss->cap) {
		ss->cap = ss->cap ? ss->cap * 2 : 64;
		ss->v = realloc(ss->v, ss->cap * sizeof(*ss->v));
		if (!ss->v)
			abort();
	}
	struct sample *e = &ss->v[ss->n];
	e->family = strdup(family);
	if (!e->family)
		abort();
	e->type = type;
	e->help = help;
	e->text = sbuf_take(text, NULL);
	e->order = ss->n;
	ss->n++;
}

/* A label value escaped as the format wants (\\, \", \n). */
static void label_value(struct sbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			sbuf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			sbuf_add(b, "\\n", 2);
		else
			sbuf_add(b, v, 1);
	}
}

/* `{connector="..",task=".."` without the closing brace. */
static void labels_open(struct sbuf *b, const char *conn, int task)
{
	sbuf_add(b, "{connector=\"", 12);
	label_value(b, conn);
	sbuf_add(b, "\"", 1);
	if (task >= 0)
		sbuf_printf(b, ",task=\"%d\"", task);
}

static void simple(struct samples *ss, const char *family, const char *type,
		   const char *help, const char *conn, int task,
		   const char *extra, double value)
{
	struct sbuf b = {0};
	sbuf_add(&b, family, strlen(family));
	labels_open(&b, conn, task);
	if (extra)
		sbuf_printf(&b, ",%s", extra);
	sbuf_printf(&b, "} %.17g\n", value);
	add(ss, family, type, help, &b);
}

/* Plugin labels are exposition syntax already; only a suspicious string
 * (a brace or a newline) is left out rather than break the page. */
static const char *plugin_labels(const char *l)
{
	if (!l || !*l || strpbrk(l, "{}\n"))
		return NULL;
	return l;
}

static void plugin_metric(struct samples *ss, const char *conn, int task,
			  const struct metric *m)
{
	char family[256];
	snprintf(family, sizeof(family), "sluice_%s", m->name);
	prom_sanitize_name(family);
	const char *extra = plugin_labels(m->labels);
	struct sbuf b = {0};
	switch (m->kind) {
	case METRIC_COUNTER:
	case METRIC_GAUGE:
		sbuf_add(&b, family, strlen(family));
		labels_open(&b, conn, task);
		if (extra)
			sbuf_printf(&b, ",%s", extra);
		sbuf_printf(&b, "} %.17g\n", m->value);
		add(ss, family, m->kind == METRIC_COUNTER ? "counter" : "gauge",
		    "reported by the plugin", &b);
		return;
	case METRIC_HISTOGRAM: {
		uint64_t cum = 0;
		for (int i = 0; i < METRIC_BUCKETS; i++) {
			cum += m->buckets[i];
			sbuf_printf(&b, "%s_bucket", family);
			labels_open(&b, conn, task);
			if (extra)
				sbuf_printf(&b, ",%s", extra);
			sbuf_printf(&b, ",le=\"%g\"} %llu\n", metric_bounds[i],
				    (unsigned long long)cum);
		}
		sbuf_printf(&b, "%s_bucket", family);
		labels_open(&b, conn, task);
		if (extra)
			sbuf_printf(&b, ",%s", extra);
		sbuf_printf(&b, ",le=\"+Inf\"} %llu\n",
			    (unsigned long long)m->count);
		const char *parts[] = {"_sum", "_count"};
		for (int k = 0; k < 2; k++) {
			sbuf_printf(&b, "%s%s", family, parts[k]);
			labels_open(&b, conn, task);
			if (extra)
				sbuf_printf(&b, ",%s", extra);
			if (k == 0)
				sbuf_printf(&b, "} %.17g\n", m->value);
			else
				sbuf_printf(&b, "} %llu\n",
					    (unsigned long long)m->count);
		}
		add(ss, family, "histogram", "reported by the plugin", &b);
		return;
	}
	}
	free(b.p);
}

/* sluice_consumer_lag per assigned partition, as of the task's last
 * commit. */
static void lag_samples(struct samples *ss, const char *conn, int task,
			struct task_live *live)
{
	struct live_partition *v;
	size_t n = live_partitions(live, &v);
	for (size_t i = 0; i < n; i++) {
		struct sbuf b = {0};
		sbuf_add(&b, "topic=\"", 7);
		label_value(&b, v[i].topic);
		sbuf_printf(&b, "\",partition=\"%d\"", (int)v[i].partition);
		int64_t lag = v[i].high > v[i].position
				      ? v[i].high - v[i].position
				      : 0;
		simple(ss, "sluice_consumer_lag", "gauge",
		       "records between the consumer's position and the high "
		       "watermark of each assigned partition",
		       conn, task, b.p, (double)lag);
		free(b.p);
	}
	free(v);
}

static void task_samples(struct samples *ss, const struct connector *c, int id)
{
	const struct sluice_task *t = c->tasks[id];
	const char *name = c->cfg->name;
	const struct task_counters *k = &t->counters;
	simple(ss, "sluice_records_total", "counter",
	       "records per connector and task: in = read or polled, out = "
	       "written or acknowledged",
	       name, id, "direction=\"in\"", (double)atomic_load(&k->in));
	simple(ss, "sluice_records_total", "counter", NULL, name, id,
	       "direction=\"out\"", (double)atomic_load(&k->out));
	simple(ss, "sluice_records_failed_total", "counter",
	       "records rejected by the plugin", name, id, NULL,
	       (double)atomic_load(&k->failed));
	simple(ss, "sluice_records_dead_lettered_total", "counter",
	       "rejected records sent to the dead-letter topic", name, id, NULL,
	       (double)atomic_load(&k->deadlettered));
	for (int o = 0; o < c->outputs_n; o++) {
		char extra[200];
		struct sbuf b = {0};
		label_value(&b, c->output_names[o]);
		snprintf(extra, sizeof(extra), "output=\"%s\"", b.p ? b.p : "");
		free(b.p);
		simple(ss, "sluice_output_records_total", "counter",
		       "records produced per output", name, id, extra,
		       (double)atomic_load(&t->by_output[o]));
	}
	/* A paused consumer fetches nothing, so its cached high
	 * watermarks, and the lag from them, would be stale: left out. */
	if (atomic_load(&c->target) == CONNECTOR_RUNNING)
		lag_samples(ss, name, id, (struct task_live *)&t->live);
	char st[64];
	snprintf(st, sizeof(st), "state=\"%s\"", rest_task_state(c, id));
	simple(ss, "sluice_task_up", "gauge",
	       "1, labelled with the task's state", name, id, st, 1);
	struct metric_set *ms = (struct metric_set *)&t->metrics;
	pthread_mutex_lock(&ms->lock);
	for (size_t i = 0; i < ms->n; i++)
		plugin_metric(ss, name, id, &ms->v[i]);
	pthread_mutex_unlock(&ms->lock);
}

/* VmRSS and Threads of /proc/self/status; -1 when unknown. */
static void process_status(double *rss, double *threads)
{
	*rss = *threads = -1;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "VmRSS:", 6))
			*rss = strtod(line + 6, NULL) * 1024;
		else if (!strncmp(line, "Threads:", 8))
			*threads = strtod(line + 8, NULL);
	}
	fclose(f);
}

static int by_family(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	int c = strcmp(x->family, y->family);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

char *prom_render(struct worker *w, size_t *len)
{
	struct samples ss = {0};
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->conns_n; i++) {
		const struct connector *c = w->conns[i];
		char st[64];
		snprintf(st, sizeof(st), "state=\"%s\"",
			 rest_connector_state(c));
		simple(&ss, "sluice_connector_up", "gauge",
		       "1, labelled with the connector's state", c->cfg->name,
		       -1, st, 1);
		for (int t = 0; t < c->tasks_n; t++)
			if (c->tasks[t])
				task_samples(&ss, c, t);
	}
	pthread_mutex_unlock(&w->lock);
	qsort(ss.v, ss.n, sizeof(*ss.v), by_family);

	struct sbuf out = {0};
	const char *last = "";
	for (size_t i = 0; i < ss.n; i++) {
		struct sample *s = &ss.v[i];
		if (strcmp(s->family, last)) {
			const char *help = s->help;
			for (size_t j = i; !help && j < ss.n &&
					   !strcmp(ss.v[j].family, s->family);
			     j++)
				help = ss.v[j].help;
			sbuf_printf(&out, "# HELP %s %s\n# TYPE %s %s\n",
				    s->family, help ? help : s->family,
				    s->family, s->type);
			last = s->family;
		}
		sbuf_add(&out, s->text, strlen(s->text));
	}
	double rss, threads;
	process_status(&rss, &threads);
	if (rss >= 0)
		sbuf_printf(&out,
			    "# HELP sluice_process_resident_memory_bytes "
			    "resident set size\n"
			    "# TYPE sluice_process_resident_memory_bytes "
			    "gauge\n"
			    "sluice_process_resident_memory_bytes %.0f\n",
			    rss);
	if (threads >= 0)
		sbuf_printf(&out,
			    "# HELP sluice_process_threads threads of the "
			    "worker process\n"
			    "# TYPE sluice_process_threads gauge\n"
			    "sluice_process_threads %.0f\n",
			    threads);
	for (size_t i = 0; i < ss.n; i++) {
		free(ss.v[i].family);
		free(ss.v[i].text);
	}
	free(ss.v);
	return sbuf_take(&out, len);
}
