/*
 * kafka.h - librdkafka configuration and topic set-up shared by the
 * worker and the tasks. Only standard client APIs are used: the embedded
 * broker is reached over TCP like any cluster.
 */
#ifndef SLUICE_KAFKA_H
#define SLUICE_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "config.h"

/* A client configuration: bootstrap servers, then the worker's `kafka:`
 * map, then `extra` (NULL-terminated name, value pairs) which sluice
 * needs and which override the map. NULL with err on a bad setting. */
rd_kafka_conf_t *kafka_conf(const struct worker_config *w,
			    const char *bootstraps, const char *const *extra,
			    char *err, size_t errlen);

/* The same with `defaults` (same form) set before the map: tuning the
 * map may change (linger.ms, queue sizes, auto.offset.reset). */
rd_kafka_conf_t *kafka_conf_tuned(const struct worker_config *w,
				  const char *bootstraps,
				  const char *const *defaults,
				  const char *const *extra, char *err,
				  size_t errlen);

/* Makes sure each topic exists: present topics are left as they are;
 * missing ones are created with the admin API (partitions from
 * topics.partitions). Returns 0, or -1 with err naming the topic. */
int kafka_ensure_topics(const struct worker_config *w, const char *bootstraps,
			char *const *topics, size_t n, int timeout_ms,
			char *err, size_t errlen);

/* rd_kafka_destroy, given at most timeout_ms: a consumer whose JoinGroup
 * is still in flight (another member left at the same moment) can block
 * its destroy for the whole rebalance timeout, minutes, although its
 * offsets were committed and nothing is left to do. After the timeout
 * the handle is left to the process exit, with a warning. */
void kafka_destroy_bounded(rd_kafka_t *rk, int timeout_ms, const char *who);

/* The same in two steps, so that several clients shut down at once:
 * begin starts rk's destroy (NULL: nothing; 0 when it already ran in
 * the caller), end waits for it until `by` (CLOCK_REALTIME, from
 * kafka_destroy_deadline). */
struct kafka_closing {
	pthread_t th;
	int started;
};
int kafka_destroy_begin(struct kafka_closing *c, rd_kafka_t *rk);
void kafka_destroy_end(struct kafka_closing *c, const struct timespec *by,
		       int timeout_ms, const char *who);
void kafka_destroy_deadline(struct timespec *by, int timeout_ms);
/* kafka_destroy_end with a deadline timeout_ms from now. */
void kafka_destroy_wait(struct kafka_closing *c, int timeout_ms,
			const char *who);

/* Partitions configured for a topic sluice creates. */
int kafka_partitions_for(const struct worker_config *w, const char *topic);

#endif
