/*
 * live.h - what a running task shows besides its counters: the lag of
 * each partition it consumes (written by the task thread when it
 * commits, read by the REST threads) and a short history of its counters
 * from which the REST API computes rates (sampled by the main loop once
 * a second, so a rate needs no request to have come before).
 */
#ifndef SLUICE_LIVE_H
#define SLUICE_LIVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct worker;

/* One assigned partition: lag = high - position. */
struct live_partition {
	char topic[256]; /* Kafka allows 249 characters */
	int32_t partition;
	int64_t high;	  /* high watermark */
	int64_t position; /* next offset to read */
};

/* Samples cover LIVE_SAMPLES - 1 seconds: a rate over about 5 s. */
#define LIVE_SAMPLES 6
#define LIVE_SAMPLE_MS 1000

struct live_sample {
	int64_t ms;
	uint64_t in, out;
};

struct task_live {
	pthread_mutex_t lock;
	struct live_partition *parts;
	size_t parts_n;
	struct live_sample samples[LIVE_SAMPLES]; /* a ring */
	size_t samples_n, samples_next;
};

void live_init(struct task_live *l);
void live_free(struct task_live *l);

/* Replaces the partitions with a copy of v[0..n). */
void live_set_partitions(struct task_live *l, const struct live_partition *v,
			 size_t n);
/* A malloc'd copy of the partitions (NULL when none); their count. */
size_t live_partitions(struct task_live *l, struct live_partition **out);

/* Records the counters at now_ms, unless the newest sample is younger
 * than LIVE_SAMPLE_MS. */
void live_sample(struct task_live *l, int64_t now_ms, uint64_t in,
		 uint64_t out);
/* Records per second between the oldest and the newest sample; 0, or -1
 * (both rates 0) when there are fewer than two samples. */
int live_rates(struct task_live *l, double *in_per_s, double *out_per_s);

/* Samples every task of the worker (the main loop, every iteration). */
void live_tick(struct worker *w);

#endif
