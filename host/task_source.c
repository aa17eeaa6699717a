/*
 * task_source.c - a source task: poll the plugin, produce what it emitted
 * (acks=all, idempotent), and store each source partition's position in
 * the offsets topic once that record and every earlier one of the same
 * source partition were acknowledged. With a `transforms:` chain each
 * polled record passes it first (chain.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "connector.h"
#include "log.h"
#include "task_kafka.h"
#include "worker.h"

/* How many records one poll may emit. */
#define POLL_MAX 512
/* Stop polling while this many records are unacknowledged. */
#define INFLIGHT_MAX 100000

/* Writes the positions that advanced since the last call. */
static void store_positions(struct sluice_task *t)
{
	struct worker *w = t->conn->w;
	for (size_t i = 0; i < t->trackers.n; i++) {
		struct tracker *tr = &t->trackers.v[i];
		if (!tr->used || !tr->dirty || !tr->done_position)
			continue;
		rd_kafka_resp_err_t e = offsets_produce(
			&w->offsets, t->producer, t->conn->cfg->name, tr->name,
			tr->done_position, OPAQUE_UNTRACKED);
		if (e) {
			log_msg(SLUICE_LOG_WARN, t->who,
				"storing the position of '%s': %s (will retry)",
				tr->name, rd_kafka_err2str(e));
			continue;
		}
		offsets_set(&w->offsets, t->conn->cfg->name, tr->name,
			    tr->done_position);
		tr->dirty = 0;
	}
}

/* Produces one record in the window entry `ref` of window `idx`. */
static int produce_one(struct sluice_task *t, struct staged_record *r,
		       int output, size_t idx, void *ref)
{
	tracker_add_pending(&t->trackers, idx, 1);
	atomic_fetch_add(&t->by_output[output], 1);
	return task_produce(t, t->conn->output_topics[output], r, ref);
}

/*
 * Passes one polled record through the transforms chain and produces
 * what comes out. Its window entry (pushed by the caller with a hold of
 * its own) gets one pending count per produced record, so its position
 * is stored once they are all acknowledged; a record the chain drops
 * leaves the entry with only the hold, which the caller releases: its
 * position is then stored in order, as soon as every earlier record of
 * the source partition is acknowledged. A record a stage refuses goes
 * to the dead-letter topic under that entry (tolerance all) or fails the
 * task (none), its position never stored.
 */
static int produce_chained(struct sluice_task *t, struct staged_record *r,
			   size_t idx, void *ref, struct chain_out *out)
{
	struct sluice_record base = {
		.topic = t->conn->output_topics[r->output],
		.partition = -1,
		.offset = -1,
	};
	struct chain_view v;
	chain_view_init(&v, r, &base);
	const char *stage;
	chain_out_clear(out);
	int rc = chain_run(t, &v.rec, out, &stage);
	if (rc == 1) {
		/* The dead-letter record names its source partition where a
		 * consumed record names its topic: task_reject_record finds
		 * the source partition's window by that name (partition -1)
		 * and ties the dead-letter record to the newest entry, which
		 * is this record's. */
		v.rec.topic = r->source_partition;
		v.rec.partition = -1;
		rc = task_reject_record(t, &v.rec, stage, t->call_error);
	}
	chain_view_free(&v);
	for (size_t i = 0; i < out->n && rc == 0; i++)
		rc = produce_one(t, &out->v[i], r->output, idx, ref);
	chain_out_clear(out);
	return rc;
}

/* Produces the records of one poll, each tracked in the window of its
 * source partition. */
static int produce_staged(struct sluice_task *t, struct chain_out *out)
{
	for (size_t i = 0; i < t->staged_n; i++) {
		struct staged_record *r = &t->staged[i];
		size_t idx = tracker_get(&t->trackers, r->source_partition, -1);
		/* The entry's own hold keeps its position from being stored
		 * until every record made of it is handed to the producer. */
		uint64_t seq =
			tracker_push(&t->trackers, idx, 0, r->position, 1);
		void *ref = tracker_ref(idx, seq);
		atomic_fetch_add(&t->counters.in, 1);
		int rc = t->chain ? produce_chained(t, r, idx, ref, out)
				  : produce_one(t, r, r->output, idx, ref);
		if (rc != 0)
			return -1; /* the hold stays: no position past it */
		tracker_ack(&t->trackers, ref);
	}
	task_staged_clear(t);
	return 0;
}

/* Waits until everything produced is acknowledged, then stores the
 * final positions and waits for those too. It waits for the producer's
 * queue (which counts delivery reports not yet served), not for
 * trackers.pending_total: a record that failed the task keeps its hold
 * there for good, so that no position past it is stored, and waiting for
 * it would hold a failed task for the whole shutdown timeout. */
static void drain(struct sluice_task *t, int64_t deadline)
{
	while (rd_kafka_outq_len(t->producer) > 0 &&
	       worker_now_ms() < deadline && !t->delivery_failed)
		rd_kafka_poll(t->producer, 50);
	store_positions(t);
	int64_t left = deadline - worker_now_ms();
	rd_kafka_flush(t->producer, left > 0 ? (int)left : 0);
	if (t->trackers.pending_total)
		log_msg(SLUICE_LOG_WARN, t->who,
			"stopped with %llu records unacknowledged; they will "
			"be produced again on restart",
			(unsigned long long)t->trackers.pending_total);
}

void *task_source_main(void *arg)
{
	struct sluice_task *t = arg;
	const struct sluice_plugin *p = t->conn->plugin;
	int64_t interval = t->conn->w->setup->worker.offsets_flush_ms;
	if (interval <= 0)
		interval = 1000;
	int64_t next_store = worker_now_ms() + interval;
	int64_t next_tick = worker_now_ms() + 1000;
	int attempt = 0;
	int64_t first_retry = 0;
	int done = 0;
	int since_store = 0; /* records polled since positions were stored */
	struct chain_out out = {0}; /* what the chain made of one record */
	/* metadata before the first record and the first stored position */
	free(task_output_partitions(t));
	task_topic_partitions(t, t->conn->w->offsets.topic);

	while (!atomic_load(&t->stop) && !done &&
	       atomic_load(&t->state_) == TASK_RUNNING) {
		if (t->delivery_failed) {
			task_fail(t, "%s", t->delivery_error);
			break;
		}
		if (t->trackers.pending_total >= INFLIGHT_MAX) {
			rd_kafka_poll(t->producer, 50);
			continue;
		}
		t->call_error[0] = '\0';
		t->staging_open = 1;
		enum sluice_status st = p->poll(t->state, t, POLL_MAX);
		t->staging_open = 0;
		switch (st) {
		case SLUICE_OK:
		case SLUICE_DONE: {
			attempt = 0;
			size_t emitted = t->staged_n;
			since_store += (int)emitted;
			if (produce_staged(t, &out) != 0)
				goto out;
			if (st == SLUICE_DONE)
				done = 1;
			else if (emitted == 0)
				rd_kafka_poll(t->producer, 10); /* idle */
			break;
		}
		case SLUICE_RETRY:
			task_staged_clear(t);
			if (attempt++ == 0)
				first_retry = worker_now_ms();
			if (task_retry_wait(t, attempt, first_retry, "poll"))
				goto out;
			break;
		default:
			task_staged_clear(t);
			task_fail(t, "poll failed: %s",
				  t->call_error[0] ? t->call_error
						   : "no reason given");
			goto out;
		}
		rd_kafka_poll(t->producer, 0);
		int64_t now = worker_now_ms();
		if (now >= next_store || since_store >= COMMIT_RECORDS) {
			store_positions(t);
			next_store = now + interval;
			since_store = 0;
		}
		if (p->tick && now >= next_tick) {
			next_tick = now + 1000;
			if (p->tick(t->state, t, (int64_t)time(NULL) * 1000) ==
			    SLUICE_FATAL) {
				task_fail(t, "tick failed: %s", t->call_error);
				break;
			}
		}
	}
out:
	drain(t,
	      worker_now_ms() + t->conn->w->setup->worker.shutdown_timeout_ms);
	chain_out_free(&out);
	if (t->delivery_failed)
		task_fail(t, "%s", t->delivery_error);
	if (atomic_load(&t->state_) == TASK_RUNNING)
		atomic_store(&t->state_, done ? TASK_FINISHED : TASK_STOPPED);
	return NULL;
}
