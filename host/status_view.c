/*
 * status_view.c - see status_view.h. Columns are as wide as their widest
 * cell; numbers are right-aligned.
 */
#include "status_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest_json.h"

enum { COLS = 9 };
static const char *const heads[COLS] = {"CONNECTOR", "TASK",  "TYPE",
					"STATE",     "IN",    "OUT",
					"IN/S",	     "OUT/S", "LAG"};
/* Columns from IN on hold numbers. */
#define FIRST_NUMBER 4

struct rows {
	char *(*v)[COLS];
	size_t n;
};

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	if (vasprintf(&s, f, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

static struct json_object *member(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;
	return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static const char *str(struct json_object *o, const char *k, const char *dflt)
{
	struct json_object *v = member(o, k);
	return v && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : dflt;
}

static char *count(struct json_object *o, const char *k)
{
	struct json_object *v = member(o, k);
	return v ? fmt("%lld", (long long)json_object_get_int64(v)) : fmt("-");
}

static char *rate(struct json_object *o, const char *k)
{
	struct json_object *v = member(o, k);
	return v ? fmt("%.1f", json_object_get_double(v)) : fmt("-");
}

static void row(struct rows *r, const char *conn, const char *task,
		const char *type, struct json_object *o)
{
	char *(*v)[COLS] = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v)
		abort();
	r->v = v;
	char **c = r->v[r->n++];
	c[0] = fmt("%s", conn);
	c[1] = fmt("%s", task);
	c[2] = fmt("%s", type);
	c[3] = fmt("%s", str(o, "state", "?"));
	c[4] = count(o, "records_in");
	c[5] = count(o, "records_out");
	c[6] = rate(o, "rate_in");
	c[7] = rate(o, "rate_out");
	c[8] = count(o, "lag");
}

static void print_rows(struct sbuf *b, const struct rows *r)
{
	size_t w[COLS];
	for (int k = 0; k < COLS; k++)
		w[k] = strlen(heads[k]);
	for (size_t i = 0; i < r->n; i++)
		for (int k = 0; k < COLS; k++)
			if (strlen(r->v[i][k]) > w[k])
				w[k] = strlen(r->v[i][k]);
	for (size_t i = 0; i <= r->n; i++) {
		struct sbuf line = {0};
		for (int k = 0; k < COLS; k++) {
			const char *cell = i ? r->v[i - 1][k] : heads[k];
			if (k)
				sbuf_add(&line, "  ", 2);
			if (k >= FIRST_NUMBER)
				sbuf_printf(&line, "%*s", (int)w[k], cell);
			else
				sbuf_printf(&line, "%-*s", (int)w[k], cell);
		}
		char *s = sbuf_take(&line, NULL);
		size_t n = strlen(s);
		while (n && s[n - 1] == ' ')
			n--;
		sbuf_add(b, s, n);
		sbuf_add(b, "\n", 1);
		free(s);
	}
}

char *status_view(struct json_object *p, char *err, size_t errlen)
{
	struct json_object *conns = member(p, "connectors");
	if (!conns || !json_object_is_type(conns, json_type_array)) {
		snprintf(err, errlen, "the answer has no list of connectors");
		return NULL;
	}
	struct sbuf b = {0}, fails = {0};
	struct json_object *cluster = member(p, "kafka_cluster_id");
	sbuf_printf(&b, "worker %s, sluice %s, Kafka cluster %s\n\n",
		    str(p, "worker_id", "?"), str(p, "version", "?"),
		    cluster ? json_object_get_string(cluster) : "unknown");
	struct rows r = {0};
	size_t n = json_object_array_length(conns);
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(conns, i);
		const char *name = str(c, "name", "?");
		row(&r, name, "-", str(c, "type", "?"), c);
		struct json_object *tasks = member(c, "tasks");
		size_t tn = tasks && json_object_is_type(tasks, json_type_array)
				    ? json_object_array_length(tasks)
				    : 0;
		for (size_t t = 0; t < tn; t++) {
			struct json_object *k =
				json_object_array_get_idx(tasks, t);
			struct json_object *id = member(k, "id");
			char task[32];
			snprintf(task, sizeof(task), "%d",
				 id ? json_object_get_int(id) : (int)t);
			row(&r, name, task, "", k);
			const char *trace = str(k, "trace", NULL);
			if (trace)
				sbuf_printf(&fails, "  %s/%s: %s\n", name, task,
					    trace);
		}
	}
	if (n)
		print_rows(&b, &r);
	else
		sbuf_printf(&b, "no connectors\n");
	if (fails.n) {
		sbuf_printf(&b, "\nfailed tasks:\n");
		sbuf_add(&b, fails.p, fails.n);
	}
	free(fails.p);
	for (size_t i = 0; i < r.n; i++)
		for (int k = 0; k < COLS; k++)
			free(r.v[i][k]);
	free(r.v);
	return sbuf_take(&b, NULL);
}
