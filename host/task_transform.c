/*
 * task_transform.c - a transform task: consume, call the plugin per
 * record, produce what it emitted, and commit an input offset only after
 * every record emitted from it (and from every earlier input of the same
 * partition) was acknowledged. At-least-once, per-partition order kept.
 * With a `transforms:` chain what the plugin emits passes it before it
 * is produced (chain.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "connector.h"
#include "log.h"
#include "task_kafka.h"
#include "trigger.h"
#include "worker.h"

/* Stop consuming while this many emitted records are unacknowledged. */
#define INFLIGHT_MAX 100000
#define DRAIN_MAX 32
#define HEADERS_MAX 256

struct transform {
	int *out_partitions; /* partition count per output topic, 0 unknown */
	struct sluice_header hdrs[HEADERS_MAX];
	/* What the chain made of the plugin's emits, and the output each
	 * came from. */
	struct chain_out chained;
	int *chained_output;
	size_t chained_cap;
};

/* Commits the offsets whose emitted records are all acknowledged, for
 * the windows in `only` (all when NULL). */
static void commit_done(struct sluice_task *t,
			const rd_kafka_topic_partition_list_t *only)
{
	rd_kafka_topic_partition_list_t *c =
		rd_kafka_topic_partition_list_new((int)t->trackers.n);
	for (size_t i = 0; i < t->trackers.n; i++) {
		struct tracker *tr = &t->trackers.v[i];
		if (!tr->used || !tr->dirty || !tr->has_done)
			continue;
		if (only && !rd_kafka_topic_partition_list_find(only, tr->name,
								tr->partition))
			continue;
		rd_kafka_topic_partition_list_add(c, tr->name, tr->partition)
			->offset = tr->done_mark + 1;
	}
	if (task_commit(t, c) == 0)
		for (int i = 0; i < c->cnt; i++)
			t->trackers
				.v[tracker_find(&t->trackers, c->elems[i].topic,
						c->elems[i].partition)]
				.dirty = 0;
	rd_kafka_topic_partition_list_destroy(c);
}

void task_transform_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			      rd_kafka_topic_partition_list_t *parts,
			      void *opaque)
{
	(void)rk;
	struct sluice_task *t = opaque;
	const struct sluice_plugin *p = t->conn->plugin;
	struct sluice_partition *pp =
		calloc(parts->cnt ? (size_t)parts->cnt : 1, sizeof(*pp));
	if (!pp)
		abort();
	for (int i = 0; i < parts->cnt; i++)
		pp[i] = (struct sluice_partition){parts->elems[i].topic,
						  parts->elems[i].partition,
						  parts->elems[i].offset};
	trigger_forget(t);
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		t->assigned_once = 1;
		task_apply_assignment(t, err, parts);
		log_msg(SLUICE_LOG_INFO, t->who, "assigned %d partition%s",
			parts->cnt, parts->cnt == 1 ? "" : "s");
		if (p->assign && p->assign(t->state, t, pp,
					   (size_t)parts->cnt) == SLUICE_FATAL)
			task_fail(t, "assign failed: %s", t->call_error);
	} else {
		task_flush(t);
		commit_done(t, parts);
		if (p->revoke)
			p->revoke(t->state, t, pp, (size_t)parts->cnt);
		for (int i = 0; i < parts->cnt; i++) {
			long idx = tracker_find(&t->trackers,
						parts->elems[i].topic,
						parts->elems[i].partition);
			if (idx >= 0)
				tracker_drop(&t->trackers, (size_t)idx);
		}
		log_msg(SLUICE_LOG_INFO, t->who, "revoked %d partition%s",
			parts->cnt, parts->cnt == 1 ? "" : "s");
		task_apply_assignment(t, err, parts);
	}
	free(pp);
}

/*
 * Passes what the plugin emitted (t->staged) through the transforms
 * chain into x->chained; each record keeps the output it was emitted to.
 * `in` is the record the emits stand for (NULL: each is its own, as a
 * tick's are): when a stage refuses one of them, every emit of this call
 * is dropped and `in` is dead-lettered (tolerance all) or fails the task,
 * exactly as when the plugin itself rejects it. Returns 0, 1 (refused
 * and dead-lettered: produce nothing) or -1 (the task must stop).
 */
static int chain_staged(struct sluice_task *t, struct transform *x,
			const struct sluice_record *in)
{
	chain_out_clear(&x->chained);
	int rc = 0;
	for (size_t i = 0; i < t->staged_n && rc == 0; i++) {
		struct staged_record *r = &t->staged[i];
		struct sluice_record base = {
			.topic = t->conn->output_topics[r->output],
			.partition = -1,
			.offset = in ? in->offset : -1,
		};
		struct chain_view v;
		chain_view_init(&v, r, &base);
		size_t mark = x->chained.n;
		const char *stage;
		rc = chain_run(t, &v.rec, &x->chained, &stage);
		if (rc == 1 && in) /* the input, and every emit with it */
			rc = task_reject_record(t, in, stage, t->call_error)
				     ? -1
				     : 1;
		else if (rc == 1) /* this one alone */
			rc = task_reject_record(t, &v.rec, stage,
						t->call_error);
		chain_view_free(&v);
		if (x->chained.n > x->chained_cap) {
			x->chained_cap = x->chained.cap;
			x->chained_output =
				realloc(x->chained_output,
					x->chained_cap * sizeof(int));
			if (!x->chained_output)
				abort();
		}
		for (size_t j = mark; j < x->chained.n; j++)
			x->chained_output[j] = r->output;
	}
	task_staged_clear(t);
	if (rc)
		chain_out_clear(&x->chained);
	return rc;
}

/* Runs the plugin on one record (retrying as asked) and produces what it
 * emitted. Returns 0, or -1 when the task must stop. */
static int process_one(struct sluice_task *t, struct transform *x,
		       const rd_kafka_message_t *m)
{
	struct sluice_record in;
	task_record_from_message(m, &in, x->hdrs, HEADERS_MAX);
	size_t idx = tracker_get(&t->trackers, in.topic, in.partition);
	/* The entry holds one pending count of its own until every emitted
	 * record is handed to the producer. */
	uint64_t seq = tracker_push(&t->trackers, idx, in.offset, NULL, 1);
	void *ref = tracker_ref(idx, seq);
	atomic_fetch_add(&t->counters.in, 1);
	int rc = 0;
	enum sluice_status st = task_process_retrying(t, &in, NULL);
	if (st == SLUICE_REJECT) {
		rc = task_reject_record(t, &in, "process",
					t->call_error[0] ? t->call_error
							 : "rejected");
		goto release;
	}
	if (st != SLUICE_OK) {
		rc = -1;
		goto release;
	}
	if (t->chain) {
		int c = chain_staged(t, x, &in);
		if (c) {
			rc = c < 0 ? -1 : 0;
			goto release;
		}
		task_origin_begin(t);
		for (size_t i = 0; i < x->chained.n && rc == 0; i++) {
			struct staged_record *r = &x->chained.v[i];
			int out = x->chained_output[i];
			int np = x->out_partitions[out];
			if (r->partition < 0 && !r->key && np > 0)
				r->partition = in.partition % np;
			task_origin_stamp(t, r, out, &in);
			tracker_add_pending(&t->trackers, idx, 1);
			atomic_fetch_add(&t->by_output[out], 1);
			rc = task_produce(t, t->conn->output_topics[out], r,
					  ref);
		}
		chain_out_clear(&x->chained);
		goto release;
	}
	rc = task_produce_staged(t, x->out_partitions, &in, idx, ref);
release:
	/* A failed record keeps its hold, so no offset past it is ever
	 * committed and it is read again after a restart. */
	if (rc == 0)
		tracker_ack(&t->trackers, ref);
	return rc;
}

static int64_t transform_committed(struct sluice_task *t, const char *topic,
				   int32_t partition)
{
	long i = tracker_find(&t->trackers, topic, partition);
	if (i < 0)
		return -1;
	const struct tracker *tr = &t->trackers.v[i];
	return tr->has_done && !tr->dirty ? tr->done_mark + 1 : -1;
}

/* The plugin's tick, with what it emits produced outside any input's
 * window (a summary belongs to no input record). Returns 0 or -1. */
static int run_tick(struct sluice_task *t, struct transform *x)
{
	const struct sluice_plugin *p = t->conn->plugin;
	t->staging_open = 1;
	enum sluice_status st =
		p->tick(t->state, t, (int64_t)time(NULL) * 1000);
	t->staging_open = 0;
	if (st == SLUICE_FATAL) {
		task_staged_clear(t);
		task_fail(t, "tick failed: %s", t->call_error);
		return -1;
	}
	int rc = 0;
	if (t->chain) {
		/* Each summary is its own input: one a stage refuses is
		 * dead-lettered alone (or fails the task). */
		if (chain_staged(t, x, NULL))
			return -1;
		for (size_t i = 0; i < x->chained.n && !rc; i++) {
			rc = task_produce(
				t, t->conn->output_topics[x->chained_output[i]],
				&x->chained.v[i], OPAQUE_UNTRACKED);
			if (!rc)
				task_count_untracked(t, x->chained_output[i]);
		}
		chain_out_clear(&x->chained);
		return rc;
	}
	return task_produce_untracked(t);
}

void *task_transform_main(void *arg)
{
	struct sluice_task *t = arg;
	struct transform *x = t->kind_state;
	const struct sluice_plugin *p = t->conn->plugin;
	int64_t interval = t->conn->w->setup->worker.offsets_flush_ms;
	if (interval <= 0)
		interval = 1000;
	int64_t next_commit = worker_now_ms() + interval;
	int64_t next_tick = worker_now_ms() + 1000;
	int finished = 0;
	int since_commit = 0; /* inputs read since the last commit */
	x->out_partitions = task_output_partitions(t);
	task_direct_assign(t, task_transform_rebalance);

	while (!atomic_load(&t->stop) &&
	       atomic_load(&t->state_) == TASK_RUNNING) {
		if (t->delivery_failed) {
			task_fail(t, "%s", t->delivery_error);
			break;
		}
		rd_kafka_poll(t->producer, 0);
		if (t->trackers.pending_total >= INFLIGHT_MAX) {
			rd_kafka_poll(t->producer, 50);
			continue;
		}
		/* Up to DRAIN_MAX records a round: the round's own work
		 * (delivery reports, clock, commits, trigger) once. */
		rd_kafka_message_t *m =
			task_consumer_poll(t, trigger_poll_ms(t, 50));
		int rc = 0;
		for (int k = 1; m; k++) {
			if (!m->err) {
				rc = process_one(t, x, m);
				since_commit++;
			} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				log_msg(SLUICE_LOG_WARN, t->who, "consume: %s",
					rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			if (rc || k == DRAIN_MAX ||
			    since_commit >= COMMIT_RECORDS ||
			    t->trackers.pending_total >= INFLIGHT_MAX ||
			    t->delivery_failed)
				break;
			m = rd_kafka_consumer_poll(t->consumer, 0);
		}
		if (rc)
			break;
		int64_t now = worker_now_ms();
		if (now >= next_commit || since_commit >= COMMIT_RECORDS) {
			commit_done(t, NULL);
			task_update_lag(t);
			next_commit = now + interval;
			since_commit = 0;
		}
		if (p->tick && now >= next_tick) {
			next_tick = now + 1000;
			if (run_tick(t, x))
				break;
		}
		if (!atomic_load(&t->trigger_done) && trigger_consumed_all(t)) {
			task_flush(t);
			commit_done(t, NULL);
			atomic_store(
				&t->trigger_done,
				trigger_committed_all(t, transform_committed));
		}
		if (atomic_load(&t->trigger_done) && trigger_siblings_done(t)) {
			finished = 1;
			break;
		}
	}
	/* A triggered run's last tick: summaries of the final interval. */
	if (finished && p->tick)
		run_tick(t, x);
	task_flush(t);
	if (t->delivery_failed)
		task_fail(t, "%s", t->delivery_error);
	else
		commit_done(t, NULL);
	task_direct_revoke(t, task_transform_rebalance);
	task_leave_group(t);
	rd_kafka_flush(t->producer, 1000);
	if (atomic_load(&t->state_) == TASK_RUNNING)
		atomic_store(&t->state_,
			     finished ? TASK_FINISHED : TASK_STOPPED);
	return NULL;
}

void *task_transform_state_new(void)
{
	struct transform *x = calloc(1, sizeof(*x));
	if (!x)
		abort();
	return x;
}

void task_transform_state_free(void *p)
{
	struct transform *x = p;
	if (!x)
		return;
	free(x->out_partitions);
	chain_out_free(&x->chained);
	free(x->chained_output);
	free(x);
}
