/*
 * metrics.h - per-task metrics that plugins report through the host
 * table (counters, gauges, histograms), kept for the REST API's /metrics.
 */
#ifndef SLUICE_METRICS_H
#define SLUICE_METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct sluice_task;

enum metric_kind { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

#define METRIC_BUCKETS 12

struct metric {
	enum metric_kind kind;
	char *name;
	char *labels; /* may be NULL */
	double value; /* counter total, gauge value, histogram sum */
	uint64_t count;
	uint64_t buckets[METRIC_BUCKETS]; /* cumulative at render time */
};

struct metric_set {
	pthread_mutex_t lock;
	struct metric *v;
	size_t n, cap;
};

/* Histogram upper bounds (seconds-friendly). */
extern const double metric_bounds[METRIC_BUCKETS];

void metric_set_init(struct metric_set *s);
void metric_set_free(struct metric_set *s);

void metrics_counter_add(struct sluice_task *t, const char *name,
			 const char *labels, int64_t delta);
void metrics_gauge_set(struct sluice_task *t, const char *name,
		       const char *labels, double value);
void metrics_observe(struct sluice_task *t, const char *name,
		     const char *labels, double value);

/* The same on a set directly (for tests and the host's own metrics). */
void metric_update(struct metric_set *s, enum metric_kind kind,
		   const char *name, const char *labels, double value);

#endif
