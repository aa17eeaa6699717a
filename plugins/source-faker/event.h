/*
 * event.h - one transaction event as JSON, in the seed's exact byte
 * style, computed from (sub-seed, sequence number) alone. The generator
 * holds no running state: the same event can be written again at any
 * time, which is how positions resume and duplicates repeat.
 */
#ifndef FAKER_EVENT_H
#define FAKER_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "users.h"
#include "words.h"

/* Room for the largest event the word lists allow (about 1.2 KB). */
#define FAKER_EVENT_MAX 2048
/* A duplicate repeats one of the this many events before it. */
#define FAKER_DUP_WINDOW 1000

enum faker_anomaly {
	FAKER_ANOMALY_NONE = 0,
	FAKER_ANOMALY_MALFORMED_JSON,
	FAKER_ANOMALY_MISSING_FIELD,
	FAKER_ANOMALY_WRONG_TYPE,
	FAKER_ANOMALY_NEGATIVE_AMOUNT,
	FAKER_ANOMALY_AMOUNT_MISMATCH,
	FAKER_ANOMALY_INVALID_EMAIL,
	FAKER_ANOMALY_UNKNOWN_CURRENCY,
	FAKER_ANOMALY_DUPLICATE,
	FAKER_ANOMALY_LATE,
	FAKER_ANOMALY_COUNT
};

struct faker_gen {
	uint64_t seed; /* the task's sub-seed: keys every event */
	uint64_t jitter_seed;
	struct faker_users users; /* seeded alike in every task */
	const struct faker_category *const *cats; /* borrowed */
	size_t ncats;
	const struct faker_str *currencies; /* borrowed */
	size_t ncur;
	struct faker_str bad_currencies[8]; /* those not in `currencies` */
	size_t nbad;
	/* Cumulative anomaly thresholds over 53-bit draws; cut[0] = 0. */
	uint64_t cut[FAKER_ANOMALY_COUNT];
	int64_t late_max_us;
	/* Simulated clock: task i's event n is at start + (n * tasks + i) *
	 * step, so the tasks' sub-streams interleave on one time line. */
	int64_t start_us, step_us;
	int jitter;
	uint32_t task, tasks;
};

/* What the writer tells its caller besides the bytes. */
struct faker_event {
	enum faker_anomaly anomaly; /* NONE, or the one it wrote */
	uint32_t user_id;
	char transaction_id[36]; /* not NUL-terminated */
};

/* Defaults: 50 users, all six categories, the seed's four currencies, no
 * anomalies, a simulated clock from 2026-01-01T00:00:00Z every 500 ms.
 * Returns -1 when out of memory (the user pool). */
int faker_gen_init(struct faker_gen *g, uint64_t seed, uint32_t task,
		   uint32_t tasks);
void faker_gen_free(struct faker_gen *g);
/* A pool of n users, ids 1..n. Returns -1 when out of memory. */
int faker_gen_set_users(struct faker_gen *g, uint32_t n);
void faker_gen_set_currencies(struct faker_gen *g, const struct faker_str *cur,
			      size_t n);
/* rate[a] for each anomaly a (rate[NONE] is ignored). Returns -1 when
 * the rates add up to more than 1: an event carries one anomaly at most. */
int faker_gen_set_anomalies(struct faker_gen *g,
			    const double rate[FAKER_ANOMALY_COUNT],
			    int64_t late_max_us);

/* "malformed_json", ..., the value of the sluice.faker.anomaly header. */
const char *faker_anomaly_name(enum faker_anomaly a);

/* Simulated timestamp of event seq, before any late shift. */
int64_t faker_event_sim_time(const struct faker_gen *g, uint64_t seq);

/* The event whose bytes event seq carries: seq itself, or for a duplicate
 * the earlier event it repeats, following repeats of repeats. Events
 * before `first` are out of reach (a wall clock cannot recompute them). */
uint64_t faker_event_origin(const struct faker_gen *g, uint64_t seq,
			    uint64_t first);

/* Writes event seq with base time base_us into buf (FAKER_EVENT_MAX
 * bytes) and returns its length. A duplicate is written as a plain
 * event here: faker_event_origin() decides what to repeat. */
size_t faker_event_write(const struct faker_gen *g, uint64_t seq,
			 int64_t base_us, char *buf, struct faker_event *ev);

#endif
