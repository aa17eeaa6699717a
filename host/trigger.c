/*
 * trigger.c - triggered runs (see trigger.h).
 */
#include "trigger.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "log.h"
#include "task.h"
#include "worker.h"

/* Does connector a write a topic connector b reads? */
static int feeds(const struct connector_config *a,
		 const struct connector_config *b)
{
	for (size_t i = 0; i < a->outputs_n; i++)
		for (size_t j = 0; j < b->topics_n; j++)
			if (a->outputs[i].topic &&
			    !strcmp(a->outputs[i].topic, b->topics[j]))
				return 1;
	return 0;
}

/* Can connector `to` be reached from `from` by following the topics? */
static int reaches(const struct connector_list *l, size_t from, size_t to,
		   char *seen)
{
	for (size_t next = 0; next < l->n; next++) {
		if (!l->v[next] || !feeds(l->v[from], l->v[next]))
			continue;
		if (next == to)
			return 1;
		if (!seen[next]) {
			seen[next] = 1;
			if (reaches(l, next, to, seen))
				return 1;
		}
	}
	return 0;
}

int trigger_check_cycles(const struct connector_list *l, struct diags *d)
{
	int rc = 0;
	char *seen = calloc(l->n + 1, 1);
	if (!seen)
		abort();
	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i])
			continue;
		memset(seen, 0, l->n + 1);
		if (!reaches(l, i, i, seen))
			continue;
		const struct connector_config *c = l->v[i];
		diags_add(d, c->file, c->line, c->col,
			  "connector '%s' is on a cycle of topics (what it "
			  "writes comes back to what it reads), so a triggered "
			  "run could never end",
			  c->name);
		rc = -1;
	}
	free(seen);
	return rc;
}

static int connector_finished(const struct connector *c)
{
	for (int i = 0; i < c->tasks_n; i++) {
		if (!c->tasks[i])
			continue;
		int s = atomic_load(&c->tasks[i]->state_);
		if (s != TASK_FINISHED && s != TASK_FAILED)
			return 0;
	}
	return 1;
}

/* An idle task waits in its consumer poll (50 ms and more): it sees that
 * it was released at once. */
static void wake(struct sluice_task *t)
{
	rd_kafka_queue_t *q =
		t->consumer ? rd_kafka_queue_get_consumer(t->consumer) : NULL;
	if (!q)
		return;
	rd_kafka_queue_yield(q);
	rd_kafka_queue_destroy(q);
}

void trigger_release(struct worker *w)
{
	for (size_t i = 0; i < w->conns_n; i++) {
		struct connector *c = w->conns[i];
		if (c->plugin->kind == SLUICE_KIND_SOURCE || !c->tasks_n ||
		    atomic_load(&c->tasks[0]->drain))
			continue;
		int ready = 1;
		for (size_t j = 0; j < w->conns_n && ready; j++)
			if (j != i && feeds(w->conns[j]->cfg, c->cfg) &&
			    !connector_finished(w->conns[j]))
				ready = 0;
		if (!ready)
			continue;
		log_msg(SLUICE_LOG_INFO, c->cfg->name,
			"upstream finished: reading up to the current end of "
			"its input");
		for (int k = 0; k < c->tasks_n; k++) {
			atomic_store(&c->tasks[k]->drain, 1);
			wake(c->tasks[k]);
		}
	}
}

int trigger_all_done(const struct worker *w)
{
	for (size_t i = 0; i < w->conns_n; i++)
		if (!connector_finished(w->conns[i]))
			return 0;
	return 1;
}

int trigger_poll_ms(const struct sluice_task *t, int idle_ms)
{
	return atomic_load(&t->drain) && !atomic_load(&t->trigger_done)
		       ? TRIGGER_POLL_MS
		       : idle_ms;
}

int trigger_siblings_done(const struct sluice_task *t)
{
	const struct connector *c = t->conn;
	for (int i = 0; i < c->tasks_n; i++) {
		const struct sluice_task *o = c->tasks[i];
		if (atomic_load(&o->state_) == TASK_RUNNING &&
		    !atomic_load(&o->trigger_done))
			return 0;
	}
	return 1;
}

/* Did any partition of a ListOffsets answer come back with an error? */
static int partition_error(const rd_kafka_topic_partition_list_t *l)
{
	for (int i = 0; i < l->cnt; i++)
		if (l->elems[i].err || l->elems[i].offset < 0)
			return 1;
	return 0;
}

/* One of fix_ends' lookups, on a thread of its own. */
struct lookup {
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *l;
	int committed; /* rd_kafka_committed, else offsets_for_times */
	rd_kafka_resp_err_t err;
};

static void *lookup_main(void *arg)
{
	struct lookup *q = arg;
	q->err = q->committed ? rd_kafka_committed(q->rk, q->l, 10000)
			      : rd_kafka_offsets_for_times(q->rk, q->l, 10000);
	if (!q->err && !q->committed && partition_error(q->l))
		q->err = RD_KAFKA_RESP_ERR__FAIL;
	return NULL;
}

/* The lookups: both ends, and the committed offsets. Each runs on a
 * thread of its own, started when the task is released: the task goes on
 * with its backlog meanwhile (a stage that waited for them at its end
 * paid them in the run's time). */
#define LOOKUPS 3

struct trigger_ends {
	pthread_t th[LOOKUPS];
	int running[LOOKUPS];
	struct lookup q[LOOKUPS];
	rd_kafka_topic_partition_list_t *end, *lo, *base;
};

static void ends_free(struct trigger_ends *j)
{
	rd_kafka_topic_partition_list_destroy(j->end);
	rd_kafka_topic_partition_list_destroy(j->lo);
	rd_kafka_topic_partition_list_destroy(j->base);
	free(j);
}

/* Starts the lookups of the end (high watermark) of every assigned
 * partition, its low watermark and its committed offset. */
static void ends_start(struct sluice_task *t)
{
	rd_kafka_topic_partition_list_t *a = NULL;
	if (rd_kafka_assignment(t->consumer, &a) || !a)
		return;
	struct trigger_ends *j = calloc(1, sizeof(*j));
	if (!j)
		abort();
	/* Low watermarks: with nothing committed, reading starts there
	 * (auto.offset.reset is earliest), so a partition whose low
	 * watermark is its end (empty) is done from the start. Both ends of
	 * every partition come from one ListOffsets request per broker
	 * each (timestamps -2 and -1 stand for the beginning and the end):
	 * a request per partition waits behind the consumer's fetch on the
	 * same connection, half a second each. */
	j->end = a;
	j->lo = rd_kafka_topic_partition_list_copy(a);
	j->base = rd_kafka_topic_partition_list_copy(a);
	for (int i = 0; i < a->cnt; i++) {
		j->lo->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
		a->elems[i].offset = RD_KAFKA_OFFSET_END;
	}
	/* The watermarks through the task's producer when it has one: its
	 * connection has no fetch in flight for the request to wait behind
	 * (1-6 ms instead of a fetch wait or two). */
	rd_kafka_t *rk = t->producer ? t->producer : t->consumer;
	j->q[0] = (struct lookup){rk, j->end, 0, 0};
	j->q[1] = (struct lookup){rk, j->lo, 0, 0};
	j->q[2] = (struct lookup){t->consumer, j->base, 1, 0};
	for (size_t i = 0; i < LOOKUPS && a->cnt; i++) {
		j->running[i] =
			!pthread_create(&j->th[i], NULL, lookup_main, &j->q[i]);
		if (!j->running[i])
			lookup_main(&j->q[i]);
	}
	t->ends_job = j;
}

/* The ends once the lookups are back: 0 with t->ends and t->ends_base
 * set (in the same order), 1 while they run, -1 when they failed (they
 * start again on the next look). */
static int ends_collect(struct sluice_task *t)
{
	struct trigger_ends *j = t->ends_job;
	int running = 0, failed = 0;
	for (size_t i = 0; i < LOOKUPS; i++) {
		if (j->running[i] && !pthread_tryjoin_np(j->th[i], NULL))
			j->running[i] = 0;
		running |= j->running[i];
		failed |= j->q[i].err != 0;
	}
	if (running)
		return 1;
	t->ends_job = NULL;
	if (failed) {
		ends_free(j);
		return -1;
	}
	for (int i = 0; i < j->base->cnt; i++)
		if (j->base->elems[i].offset < 0)
			j->base->elems[i].offset = j->lo->elems[i].offset;
	if (t->ends_base)
		rd_kafka_topic_partition_list_destroy(t->ends_base);
	t->ends = j->end;
	t->ends_base = j->base;
	j->end = j->base = NULL;
	rd_kafka_topic_partition_list_destroy(j->lo);
	free(j);
	for (int i = 0; i < t->ends->cnt; i++)
		log_msg(SLUICE_LOG_DEBUG, t->who, "%s[%d] ends at %lld",
			t->ends->elems[i].topic, t->ends->elems[i].partition,
			(long long)t->ends->elems[i].offset);
	return 0;
}

int trigger_consumed_all(struct sluice_task *t)
{
	if (!atomic_load(&t->drain) || !t->assigned_once)
		return 0;
	/* Lookups start at most every 10 ms (one that failed starts
	 * again), and are looked for on every call (a tryjoin). */
	int64_t now = worker_now_ms();
	if (!t->ends) {
		if (!t->ends_job) {
			if (now < t->ends_next_check_ms)
				return 0;
			t->ends_next_check_ms = now + 10;
			ends_start(t);
		}
		if (!t->ends_job || ends_collect(t))
			return 0;
		t->ends_next_check_ms = now;
	}
	/* Positions of every partition on each call cost more than the
	 * record between two calls: look every 10 ms at most. */
	if (now < t->ends_next_check_ms)
		return 0;
	t->ends_next_check_ms = now + 10;
	if (!t->ends->cnt)
		return 1;
	rd_kafka_topic_partition_list_t *pos =
		rd_kafka_topic_partition_list_copy(t->ends);
	int all = !rd_kafka_position(t->consumer, pos);
	for (int i = 0; all && i < pos->cnt; i++) {
		int64_t end = t->ends->elems[i].offset;
		int64_t base = t->ends_base->elems[i].offset;
		if (pos->elems[i].offset < end && base < end)
			all = 0;
	}
	rd_kafka_topic_partition_list_destroy(pos);
	return all;
}

int trigger_committed_all(struct sluice_task *t, trigger_committed_fn *fn)
{
	if (!t->ends)
		return 0;
	for (int i = 0; i < t->ends->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &t->ends->elems[i];
		int64_t c = fn(t, e->topic, e->partition);
		int64_t base = t->ends_base->elems[i].offset;
		if ((c < 0 ? base : (c > base ? c : base)) < e->offset)
			return 0;
	}
	return 1;
}

void trigger_forget(struct sluice_task *t)
{
	atomic_store(&t->trigger_done, 0);
	if (t->ends_job) {
		/* Lookups for the assignment that is gone. */
		struct trigger_ends *j = t->ends_job;
		for (size_t i = 0; i < LOOKUPS; i++)
			if (j->running[i])
				pthread_join(j->th[i], NULL);
		ends_free(j);
		t->ends_job = NULL;
	}
	if (t->ends)
		rd_kafka_topic_partition_list_destroy(t->ends);
	t->ends = NULL;
}
