/*
 * metrics.c - per-task metric sets (see metrics.h). A linear search over
 * a handful of names is cheaper than hashing at the sizes plugins use.
 */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "task.h"

const double metric_bounds[METRIC_BUCKETS] = {
	0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

void metric_set_init(struct metric_set *s)
{
	*s = (struct metric_set){0};
	pthread_mutex_init(&s->lock, NULL);
}

void metric_set_free(struct metric_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].labels);
	}
	free(s->v);
	pthread_mutex_destroy(&s->lock);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

void metric_update(struct metric_set *s, enum metric_kind kind,
		   const char *name, const char *labels, double value)
{
	if (!name)
		return;
	pthread_mutex_lock(&s->lock);
	struct metric *m = NULL;
	for (size_t i = 0; i < s->n && !m; i++)
		if (s->v[i].kind == kind && !strcmp(s->v[i].name, name) &&
		    same(s->v[i].labels, labels))
			m = &s->v[i];
	if (!m) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 8;
			s->v = realloc(s->v, s->cap * sizeof(*s->v));
			if (!s->v)
				abort();
		}
		m = &s->v[s->n++];
		*m = (struct metric){.kind = kind,
				     .name = strdup(name),
				     .labels = labels ? strdup(labels) : NULL};
		if (!m->name || (labels && !m->labels))
			abort();
	}
	switch (kind) {
	case METRIC_COUNTER:
		m->value += value;
		break;
	case METRIC_GAUGE:
		m->value = value;
		break;
	case METRIC_HISTOGRAM:
		m->value += value;
		m->count++;
		for (int b = 0; b < METRIC_BUCKETS; b++)
			if (value <= metric_bounds[b]) {
				m->buckets[b]++;
				break;
			}
		break;
	}
	pthread_mutex_unlock(&s->lock);
}

void metrics_counter_add(struct sluice_task *t, const char *name,
			 const char *labels, int64_t delta)
{
	metric_update(&t->metrics, METRIC_COUNTER, name, labels, (double)delta);
}

void metrics_gauge_set(struct sluice_task *t, const char *name,
		       const char *labels, double value)
{
	metric_update(&t->metrics, METRIC_GAUGE, name, labels, value);
}

void metrics_observe(struct sluice_task *t, const char *name,
		     const char *labels, double value)
{
	metric_update(&t->metrics, METRIC_HISTOGRAM, name, labels, value);
}
