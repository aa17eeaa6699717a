/*
 * task_kafka.h - the Kafka side every task kind shares: its clients,
 * producing staged records with backpressure, delivery reports, the
 * dead-letter topic, retries with backoff, and record conversion.
 */
#ifndef SLUICE_TASK_KAFKA_H
#define SLUICE_TASK_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "task.h"

typedef void task_rebalance_fn(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			       rd_kafka_topic_partition_list_t *parts,
			       void *opaque);

/* Opaque of a record whose acknowledgement no window waits for. */
#define OPAQUE_UNTRACKED ((void *)~(uintptr_t)0)

int task_producer_new(struct sluice_task *t, char *err, size_t errlen);
/* A consumer in the connector's group, auto-commit off. */
int task_consumer_new(struct sluice_task *t, task_rebalance_fn *cb, char *err,
		      size_t errlen);

/* Partition p of every input topic when p % tasks == task id: what a
 * task reads when it assigns its partitions itself. Offsets unset. NULL
 * (the task failed, naming the topic) without metadata. */
rd_kafka_topic_partition_list_t *task_own_partitions(struct sluice_task *t);
/* A task of a triggered run (t->direct) takes its own partitions instead
 * of joining the group: `cb`, its rebalance callback, is called as the
 * group would (assign at the start, revoke before leaving). Returns 0, or
 * -1 when the task failed. Both do nothing for other tasks. */
int task_direct_assign(struct sluice_task *t, task_rebalance_fn *cb);
void task_direct_revoke(struct sluice_task *t, task_rebalance_fn *cb);

/* The partition count of `topic` (0: unknown). It also puts the topic
 * in the producer's metadata before its first record: otherwise
 * librdkafka learns a topic it is handed only at its next scan, and holds
 * every record for it up to a second. */
int task_topic_partitions(struct sluice_task *t, const char *topic);

/* The partition count of each output topic (0: unknown), looked up
 * once so that records emitted without a key keep their input partition
 * downstream; the dead-letter topic's metadata is fetched with them. */
int *task_output_partitions(struct sluice_task *t);

/* Hands one staged record to the producer (its value and headers are
 * handed over and cleared in `r`). On a full queue serves delivery
 * reports and tries again: that is the source's and the transform's
 * backpressure. Returns 0, or -1 when the task must stop. */
int task_produce(struct sluice_task *t, const char *topic,
		 struct staged_record *r, void *opaque);

/* Calls the plugin's process on `in`, again after a backoff (task_retry_wait)
 * while it answers RETRY. Returns OK (its emits are staged), REJECT
 * (nothing staged; the reason in call_error), or FATAL: the task has
 * failed or is stopping. `undo`, when set, runs after every answer that
 * is not OK (a stateful task rolls back the call's store writes). */
enum sluice_status task_process_retrying(struct sluice_task *t,
					 const struct sluice_record *in,
					 void (*undo)(struct sluice_task *t));

/* Origin stamps (origin.h) for the records of one input: begin, then
 * stamp each in the order they are produced. */
void task_origin_begin(struct sluice_task *t);
void task_origin_stamp(struct sluice_task *t, struct staged_record *r,
		       int output, const struct sluice_record *in);

/* Produces the staged records of input `in`: each stamped with its
 * origin (origin.h), tied to `ref` (input stream `idx` of the trackers),
 * unkeyed ones on the input's partition modulo their topic's partition
 * count (`out_partitions`, per output). Clears the staging. Returns 0,
 * or -1 when the task must stop. */
int task_produce_staged(struct sluice_task *t, const int *out_partitions,
			const struct sluice_record *in, size_t idx, void *ref);

/* The opaque for a record tied to no input: OPAQUE_UNTRACKED, or, when
 * the task has a quiet window (task.h), a new entry of it (its mark is
 * its sequence number). */
void *task_quiet_ref(struct sluice_task *t);

/* Produces the staged records of a tick, tied to no input, counted as out
 * (task_count_untracked), with task_quiet_ref. Clears the staging. 0, or
 * -1. */
int task_produce_untracked(struct sluice_task *t);

/* Counts a record emitted outside any input (a tick's summaries, a
 * stateful plugin's rows after a restore) as out, on its output: no
 * input waits for its acknowledgement, so it is counted when handed to
 * the producer (a failed delivery fails the task anyway). */
void task_count_untracked(struct sluice_task *t, int output);

/* Serves delivery reports for up to timeout_ms. */
void task_serve(struct sluice_task *t, int timeout_ms);

/* Sends what the producer holds at once (rd_kafka_flush ignores
 * linger.ms) and serves the delivery reports until its queue is empty, a
 * delivery failed, or shutdown.timeout passed. It waits for the queue
 * (which counts delivery reports not yet served), not for
 * trackers.pending_total: an input whose processing failed keeps its
 * hold there for good. 1 when everything was acknowledged. */
int task_flush(struct sluice_task *t);

/* Waits before attempt `attempt` (1, 2, ...) of a call that returned
 * RETRY: exponential from 100 ms up to errors.retry.delay.max, with
 * jitter. Returns -1 (and fails the task) once errors.retry.timeout since
 * `first_ms` has passed, or -1 when the task is asked to stop. */
int task_retry_wait(struct sluice_task *t, int attempt, int64_t first_ms,
		    const char *what);

/* A consumed message as a plugin record. Header names and values point
 * into the message; `hdrs` is storage for up to `hcap` headers. */
void task_record_from_message(const rd_kafka_message_t *m,
			      struct sluice_record *r,
			      struct sluice_header *hdrs, size_t hcap);

/* Updates counters.lag from the consumer's positions and the cached
 * high watermarks of its assignment. */
void task_update_lag(struct sluice_task *t);

/* rd_kafka_consumer_poll that keeps the fetcher going: see task_kafka.c. */
rd_kafka_message_t *task_consumer_poll(struct sluice_task *t, int timeout_ms);

/* Assign or revoke through the protocol in use (eager or cooperative). */
void task_apply_assignment(struct sluice_task *t, rd_kafka_resp_err_t err,
			   rd_kafka_topic_partition_list_t *parts);

/* Commits synchronously; logs and returns -1 on failure. */
int task_commit(struct sluice_task *t, rd_kafka_topic_partition_list_t *offs);
/* Commits without waiting, for offsets only shown (a stateful task's
 * lag: its markers are what counts); a failure is not reported. */
void task_commit_async(struct sluice_task *t,
		       const rd_kafka_topic_partition_list_t *offs);

/* Closes the consumer, leaving the group, once the task made its final
 * commit. When stopping, it first waits (up to shutdown.timeout) for every
 * task of the connector to have committed too: a member leaving starts a
 * rebalance, during which a broker may refuse commits (the mock broker
 * does), so a sibling still committing would see its records again after
 * a restart. */
void task_leave_group(struct sluice_task *t);
#endif
