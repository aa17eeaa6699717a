/*
 * live.c - partition lags and counter samples of a task (see live.h).
 */
#include "live.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "task.h"
#include "worker.h"

void live_init(struct task_live *l)
{
	*l = (struct task_live){0};
	pthread_mutex_init(&l->lock, NULL);
}

void live_free(struct task_live *l)
{
	free(l->parts);
	l->parts = NULL;
	l->parts_n = 0;
	pthread_mutex_destroy(&l->lock);
}

void live_set_partitions(struct task_live *l, const struct live_partition *v,
			 size_t n)
{
	struct live_partition *copy = NULL;
	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			abort();
		memcpy(copy, v, n * sizeof(*copy));
	}
	pthread_mutex_lock(&l->lock);
	struct live_partition *old = l->parts;
	l->parts = copy;
	l->parts_n = n;
	pthread_mutex_unlock(&l->lock);
	free(old);
}

size_t live_partitions(struct task_live *l, struct live_partition **out)
{
	*out = NULL;
	pthread_mutex_lock(&l->lock);
	size_t n = l->parts_n;
	if (n) {
		*out = malloc(n * sizeof(**out));
		if (!*out)
			abort();
		memcpy(*out, l->parts, n * sizeof(**out));
	}
	pthread_mutex_unlock(&l->lock);
	return n;
}

void live_sample(struct task_live *l, int64_t now_ms, uint64_t in, uint64_t out)
{
	pthread_mutex_lock(&l->lock);
	size_t newest = (l->samples_next + LIVE_SAMPLES - 1) % LIVE_SAMPLES;
	if (!l->samples_n || now_ms - l->samples[newest].ms >= LIVE_SAMPLE_MS) {
		l->samples[l->samples_next] = (struct live_sample){
			.ms = now_ms, .in = in, .out = out};
		l->samples_next = (l->samples_next + 1) % LIVE_SAMPLES;
		if (l->samples_n < LIVE_SAMPLES)
			l->samples_n++;
	}
	pthread_mutex_unlock(&l->lock);
}

/* Per second from a to b; a counter taken over from a replaced task
 * never goes back, but a guard keeps a negative rate out anyway. */
static double per_s(uint64_t a, uint64_t b, int64_t ms)
{
	return b > a && ms > 0 ? (double)(b - a) * 1000.0 / (double)ms : 0;
}

int live_rates(struct task_live *l, double *in_per_s, double *out_per_s)
{
	*in_per_s = *out_per_s = 0;
	pthread_mutex_lock(&l->lock);
	int rc = -1;
	if (l->samples_n >= 2) {
		size_t newest =
			(l->samples_next + LIVE_SAMPLES - 1) % LIVE_SAMPLES;
		size_t oldest =
			(l->samples_next + LIVE_SAMPLES - l->samples_n) %
			LIVE_SAMPLES;
		const struct live_sample *a = &l->samples[oldest],
					 *b = &l->samples[newest];
		*in_per_s = per_s(a->in, b->in, b->ms - a->ms);
		*out_per_s = per_s(a->out, b->out, b->ms - a->ms);
		rc = 0;
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void live_tick(struct worker *w)
{
	int64_t now = worker_now_ms();
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->conns_n; i++) {
		const struct connector *c = w->conns[i];
		for (int t = 0; t < c->tasks_n; t++) {
			struct sluice_task *k = c->tasks[t];
			if (k)
				live_sample(&k->live, now,
					    atomic_load(&k->counters.in),
					    atomic_load(&k->counters.out));
		}
	}
	pthread_mutex_unlock(&w->lock);
}
