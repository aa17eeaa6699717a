/*
 * task.h - one running task of one connector: its thread, its Kafka
 * handles, the records its plugin emitted during the current callback,
 * and the counters the progress log and the REST API read.
 */
#ifndef SLUICE_TASK_H
#define SLUICE_TASK_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "arena.h"
#include "live.h"
#include "metrics.h"
#include "options.h"
#include "sluice/plugin.h"
#include "tracker.h"

struct connector;
struct trigger_ends;

enum task_state {
	TASK_NEW,
	TASK_RUNNING,
	TASK_FAILED,
	TASK_STOPPED,  /* stopped on request */
	TASK_FINISHED, /* a source that said DONE, all delivered */
};

/* A record emitted by the plugin and not yet handed to the producer. */
struct staged_record {
	int output; /* index into the connector's outputs */
	int32_t partition;
	int64_t timestamp_ms;
	/* Owned, or borrowed: in the staging task's arena (what a plugin
	 * emits, valid until that task's staged list is cleared) or the
	 * caller's for the length of a task_produce. */
	void *key, *value;
	size_t key_len, value_len;
	rd_kafka_headers_t *headers;	   /* owned, or NULL */
	char *source_partition, *position; /* sources only; as key */
	int borrowed;
};

struct task_counters {
	atomic_uint_fast64_t in;	   /* records read or polled */
	atomic_uint_fast64_t out;	   /* records acknowledged by Kafka,
					      or put to a sink */
	atomic_uint_fast64_t failed;	   /* records rejected */
	atomic_uint_fast64_t deadlettered; /* of which sent to the DLQ */
	atomic_int_fast64_t lag;	   /* consumer lag, -1 unknown */
};

struct sluice_task {
	struct connector *conn;
	int id;
	char who[160]; /* "connector/id", prefix of log lines */
	void *state;   /* the plugin's */
	int opened;

	pthread_t thread;
	int started;
	atomic_int stop; /* 1: stop requested */
	/* Triggered runs (trigger.c): upstream finished; the ends of the
	 * assigned partitions and their committed offsets when fixed. */
	atomic_int drain;
	atomic_int trigger_done; /* committed up to the ends */
	int assigned_once;
	int direct; /* assigns its own partitions (task_direct_assign) */
	rd_kafka_topic_partition_list_t *ends, *ends_base;
	struct trigger_ends *ends_job; /* their lookups, while they run */
	int64_t ends_next_check_ms;    /* trigger_consumed_all's next look */
	/* Records produced per output of the connector (outputs_n). */
	atomic_uint_fast64_t *by_output;
	/* The current input's outputs so far per topic (by the topic's
	 * first output): its origin stamps' ordinals. */
	int64_t *ordinals;

	/* Consumers: the final commit is done (task_leave_group). */
	atomic_int final_committed;
	atomic_int state_;     /* enum task_state */
	char error[1024];      /* why it failed; stable once FAILED */
	char call_error[1024]; /* set_error of the current callback */

	rd_kafka_t *producer;
	rd_kafka_t *consumer;
	/* task_consumer_poll: when it last woke the fetcher, the least
	 * time until the next, and the partition of the assignment it looks
	 * at first. */
	int64_t nudge_last_ms;
	int64_t nudge_gap_ms;
	int nudge_from;
	int nudge_logged;    /* the first wake is logged */
	int delivery_failed; /* a produced record was refused */
	char delivery_error[512];

	struct staged_record *staged;
	size_t staged_n, staged_cap;
	struct arena arena; /* what the staged records hold */
	int staging_open;   /* emit allowed (inside a callback) */

	struct tracker_set trackers;
	/* A window of trackers whose records are the host's own (a
	 * stateful task's changelog and tick outputs): acknowledged like
	 * the others but not counted as out again. -1: none. */
	long quiet_window;

	int flush_requested; /* sink: request_flush() was called */

	/* Sink: the record batch being put, for reject(). */
	const struct sluice_record *batch;
	size_t batch_n;

	void *kind_state; /* the kind's own bookkeeping */

	/* Options the host getters read: the connector's, or a chain
	 * stage's. */
	const struct optset *opts;
	/* Set for a stage of the transforms chain (chain.c): its plugin,
	 * whose emits go to the stage's staging list. */
	const struct sluice_plugin *stage_plugin;
	struct chain *chain; /* the connector's transforms, or NULL */
	/* A stateful transform's store and changelog (task_state.c), or
	 * NULL. */
	struct task_kv *kv;

	struct task_counters counters;
	struct metric_set metrics;
	struct task_live live; /* partition lags, rate samples */
};

const char *task_state_name(enum task_state s);

/* Sets the task FAILED with the reason (logged once). */
void task_fail(struct sluice_task *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Drops every staged record (a callback failed or asked to retry). */
void task_staged_clear(struct sluice_task *t);

/* Applies the connector's error policy to a bad input record: with
 * tolerance all it is produced to the dead-letter topic with the
 * sluice.error.* headers (returns 0); with none the task fails (-1). */
int task_reject_record(struct sluice_task *t, const struct sluice_record *rec,
		       const char *stage, const char *reason);

/* The host function table handed to plugins. */
extern const struct sluice_host task_host_api;

/* Thread bodies, one per kind. */
void *task_source_main(void *arg);
void *task_sink_main(void *arg);
void *task_transform_main(void *arg);
void task_sink_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque);
void task_transform_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			      rd_kafka_topic_partition_list_t *parts,
			      void *opaque);
void *task_sink_state_new(void);
void task_sink_state_free(void *s);
void *task_transform_state_new(void);
void task_transform_state_free(void *s);

#endif
