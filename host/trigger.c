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
		for (int k = 0; k < c->tasks_n; k++)
			atomic_store(&c->tasks[k]->drain, 1);
	}
}

int trigger_all_done(const struct worker *w)
{
	for (size_t i = 0; i < w->conns_n; i++)
		if (!connector_finished(w->conns[i]))
			return 0;
	return 1;
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

void trigger_forget(struct sluice_task *t)
{
	atomic_store(&t->trigger_done, 0);
	if (t->ends)
		rd_kafka_topic_partition_list_destroy(t->ends);
	t->ends = NULL;
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

/* fix_ends' lookups: both ends, and the committed offsets. */
#define LOOKUPS 3

/* Runs the lookups at once: each waits behind the consumer's fetch on
 * its broker connection (up to fetch.wait.max.ms), and a triggered run
 * pays them in its time at the end of every stage. */
static int lookups(struct lookup q[LOOKUPS])
{
	const size_t n = LOOKUPS;
	pthread_t th[LOOKUPS];
	int started[LOOKUPS] = {0};
	for (size_t i = 1; i < n; i++)
		started[i] = !pthread_create(&th[i], NULL, lookup_main, &q[i]);
	lookup_main(&q[0]);
	for (size_t i = 1; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			lookup_main(&q[i]);
	}
	for (size_t i = 0; i < n; i++)
		if (q[i].err)
			return -1;
	return 0;
}

/* Fixes the end (high watermark) of every assigned partition in
 * t->ends, and its committed offset, in the same order, in t->ends_base. */
static int fix_ends(struct sluice_task *t)
{
	rd_kafka_topic_partition_list_t *a = NULL;
	if (rd_kafka_assignment(t->consumer, &a) || !a)
		return -1;
	/* Low watermarks: with nothing committed, reading starts there
	 * (auto.offset.reset is earliest), so a partition whose low
	 * watermark is its end (empty) is done from the start. Both ends of
	 * every partition come from one ListOffsets request per broker
	 * each (timestamps -2 and -1 stand for the beginning and the end):
	 * a request per partition waits behind the consumer's fetch on the
	 * same connection, half a second each. */
	rd_kafka_topic_partition_list_t *lo =
		rd_kafka_topic_partition_list_copy(a);
	rd_kafka_topic_partition_list_t *base =
		rd_kafka_topic_partition_list_copy(a);
	for (int i = 0; i < a->cnt; i++) {
		lo->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
		a->elems[i].offset = RD_KAFKA_OFFSET_END;
	}
	struct lookup q[LOOKUPS] = {{t->consumer, a, 0, 0},
				    {t->consumer, lo, 0, 0},
				    {t->consumer, base, 1, 0}};
	if (a->cnt && lookups(q)) {
		rd_kafka_topic_partition_list_destroy(lo);
		rd_kafka_topic_partition_list_destroy(base);
		rd_kafka_topic_partition_list_destroy(a);
		return -1; /* try again on the next round */
	}
	for (int i = 0; i < base->cnt; i++)
		if (base->elems[i].offset < 0)
			base->elems[i].offset = lo->elems[i].offset;
	rd_kafka_topic_partition_list_destroy(lo);
	if (t->ends_base)
		rd_kafka_topic_partition_list_destroy(t->ends_base);
	t->ends = a;
	t->ends_base = base;
	for (int i = 0; i < a->cnt; i++)
		log_msg(SLUICE_LOG_DEBUG, t->who, "%s[%d] ends at %lld",
			a->elems[i].topic, a->elems[i].partition,
			(long long)a->elems[i].offset);
	return 0;
}

int trigger_consumed_all(struct sluice_task *t)
{
	if (!atomic_load(&t->drain) || !t->assigned_once)
		return 0;
	/* Positions of every partition on each call cost more than the
	 * record between two calls: look every 10 ms at most. */
	int64_t now = worker_now_ms();
	if (now < t->ends_next_check_ms)
		return 0;
	t->ends_next_check_ms = now + 10;
	if (!t->ends && fix_ends(t))
		return 0;
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
