/*
 * task_sink.c - a sink task: consume in the connector's group with
 * auto-commit off, hand batches to the plugin's put, and commit exactly
 * the offsets its flush reports durable. Before partitions are given up
 * in a rebalance they are flushed and committed. With a `transforms:`
 * chain the batch passes it before put (chain.c); what it drops is never
 * put, and its offsets are committed once everything put before them is
 * durable.
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

#define BATCH_MAX 1000

/* What the sink knows of each partition it owns. */
struct owned {
	char *topic;
	int32_t partition;
	int64_t next;	   /* offset after the last record consumed and
			      handled (put, dropped by the chain or
			      dead-lettered), -1 none */
	int64_t put_end;   /* offset after the last record put, -1 none */
	int64_t committed; /* last committed, -1 unknown */
};

struct sink {
	struct owned *v;
	size_t n;
	rd_kafka_message_t *msgs[BATCH_MAX];
	struct sluice_record recs[BATCH_MAX];
	struct sluice_header *hdrs;
	size_t hdrs_cap;
	/* The batch after the transforms chain: the records, which
	 * consumed record each came from, the batch put, its headers. */
	struct chain_out chained;
	size_t *origin;
	struct sluice_record *crecs;
	size_t crecs_cap;
	struct sluice_header *chdrs;
	size_t chdrs_cap;
};

static struct owned *owned_find(struct sink *s, const char *topic, int32_t p)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].partition == p && !strcmp(s->v[i].topic, topic))
			return &s->v[i];
	return NULL;
}

/* Flushes the owned partitions that are in `only` (all when NULL) and
 * commits what the plugin reports durable. The plugin is asked about the
 * partitions where something was put, with the offset after the last
 * record put; when it reports everything put durable, the commit goes on
 * to `next`, past the records after it that the chain dropped or that
 * went to the dead-letter topic (which is flushed first). Returns 0, or
 * -1 when the plugin failed (the task is failed then, unless it was a
 * final flush during stop, which only logs). */
static int flush_commit(struct sluice_task *t, struct sink *s,
			const rd_kafka_topic_partition_list_t *only, int final)
{
	const struct sluice_plugin *p = t->conn->plugin;
	struct sluice_partition *parts =
		calloc(s->n ? s->n : 1, sizeof(*parts));
	struct owned **map = calloc(s->n ? s->n : 1, sizeof(*map));
	struct owned **cand = calloc(s->n ? s->n : 1, sizeof(*cand));
	int64_t *durable = calloc(s->n ? s->n : 1, sizeof(*durable));
	if (!parts || !map || !cand || !durable)
		abort();
	size_t n = 0, m = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct owned *o = &s->v[i];
		if (o->next < 0)
			continue;
		if (only && !rd_kafka_topic_partition_list_find(only, o->topic,
								o->partition))
			continue;
		cand[m] = o;
		durable[m++] = -1; /* nothing put: nothing to be durable */
		if (o->put_end < 0)
			continue;
		parts[n] = (struct sluice_partition){o->topic, o->partition,
						     o->put_end};
		map[n++] = o;
	}
	int rc = 0;
	if (!m)
		goto out;
	int attempt = 0;
	int64_t first = 0;
	while (n) {
		for (size_t i = 0; i < n; i++)
			parts[i].offset = map[i]->put_end;
		t->call_error[0] = '\0';
		enum sluice_status st = p->flush(t->state, t, parts, n, final);
		if (st == SLUICE_OK)
			break;
		if (st == SLUICE_RETRY) {
			if (attempt++ == 0)
				first = worker_now_ms();
			if (task_retry_wait(t, attempt, first, "flush") == 0)
				continue;
		} else {
			task_fail(t, "flush failed: %s", t->call_error);
		}
		rc = -1;
		goto out;
	}
	/* Dead-lettered records must be safe before offsets pass them. */
	if (t->producer && rd_kafka_outq_len(t->producer) > 0)
		rd_kafka_flush(
			t->producer,
			(int)t->conn->w->setup->worker.shutdown_timeout_ms);
	for (size_t i = 0, k = 0; i < n; i++) {
		int64_t off = parts[i].offset;
		if (off > map[i]->put_end) {
			log_msg(SLUICE_LOG_ERROR, t->who,
				"plugin bug: flush reported %s[%d] durable up "
				"to %lld, past the last record put (%lld)",
				map[i]->topic, map[i]->partition,
				(long long)off, (long long)map[i]->put_end);
			off = map[i]->put_end;
		}
		/* Nothing new durable: what was committed still is. */
		if (off == SLUICE_OFFSET_NONE)
			off = map[i]->committed;
		while (cand[k] != map[i])
			k++;
		durable[k] = off;
	}
	rd_kafka_topic_partition_list_t *c =
		rd_kafka_topic_partition_list_new((int)m);
	for (size_t k = 0; k < m; k++) {
		struct owned *o = cand[k];
		int64_t off = durable[k];
		/* Everything put is durable: the records from there to
		 * `next` were not put, so nothing of them can be lost. */
		if (off >= o->put_end)
			off = o->next;
		if (off < 0 || off <= o->committed)
			continue;
		rd_kafka_topic_partition_list_add(c, o->topic, o->partition)
			->offset = off;
	}
	if (task_commit(t, c) == 0)
		for (int i = 0; i < c->cnt; i++)
			owned_find(s, c->elems[i].topic, c->elems[i].partition)
				->committed = c->elems[i].offset;
	rd_kafka_topic_partition_list_destroy(c);
out:
	free(parts);
	free(map);
	free(cand);
	free(durable);
	return rc;
}

static void to_plugin_parts(const rd_kafka_topic_partition_list_t *l,
			    struct sluice_partition *out)
{
	for (int i = 0; i < l->cnt; i++)
		out[i] = (struct sluice_partition){l->elems[i].topic,
						   l->elems[i].partition,
						   l->elems[i].offset};
}

void task_sink_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	(void)rk;
	struct sluice_task *t = opaque;
	struct sink *s = t->kind_state;
	const struct sluice_plugin *p = t->conn->plugin;
	struct sluice_partition *pp =
		calloc(parts->cnt ? (size_t)parts->cnt : 1, sizeof(*pp));
	if (!pp)
		abort();
	trigger_forget(t);
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		t->assigned_once = 1;
		task_apply_assignment(t, err, parts);
		rd_kafka_committed(t->consumer, parts, 10000);
		s->v = realloc(s->v,
			       (s->n + (size_t)parts->cnt) * sizeof(*s->v));
		if (!s->v)
			abort();
		for (int i = 0; i < parts->cnt; i++) {
			int64_t c = parts->elems[i].offset;
			s->v[s->n++] = (struct owned){
				.topic = strdup(parts->elems[i].topic),
				.partition = parts->elems[i].partition,
				.next = -1,
				.put_end = -1,
				.committed = c >= 0 ? c : -1,
			};
		}
		log_msg(SLUICE_LOG_INFO, t->who, "assigned %d partition%s",
			parts->cnt, parts->cnt == 1 ? "" : "s");
		to_plugin_parts(parts, pp);
		if (p->assign && p->assign(t->state, t, pp,
					   (size_t)parts->cnt) == SLUICE_FATAL)
			task_fail(t, "assign failed: %s", t->call_error);
	} else {
		flush_commit(t, s, parts, 1);
		to_plugin_parts(parts, pp);
		if (p->revoke)
			p->revoke(t->state, t, pp, (size_t)parts->cnt);
		for (size_t i = 0; i < s->n;) {
			if (rd_kafka_topic_partition_list_find(
				    parts, s->v[i].topic, s->v[i].partition)) {
				free(s->v[i].topic);
				s->v[i] = s->v[--s->n];
			} else {
				i++;
			}
		}
		log_msg(SLUICE_LOG_INFO, t->who, "revoked %d partition%s",
			parts->cnt, parts->cnt == 1 ? "" : "s");
		task_apply_assignment(t, err, parts);
	}
	free(pp);
}

/* Converts the batch; header storage is sized for the whole batch first
 * so that no pointer into it moves. */
static void convert_batch(struct sink *s, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		rd_kafka_headers_t *h;
		if (!rd_kafka_message_headers(s->msgs[i], &h))
			total += rd_kafka_header_cnt(h);
	}
	if (total > s->hdrs_cap) {
		free(s->hdrs);
		s->hdrs_cap = total * 2;
		s->hdrs = malloc(s->hdrs_cap * sizeof(*s->hdrs));
		if (!s->hdrs)
			abort();
	}
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		task_record_from_message(s->msgs[i], &s->recs[i],
					 s->hdrs + used, total - used);
		used += s->recs[i].header_count;
	}
}

/* Passes the converted batch through the transforms chain into
 * s->crecs, each record keeping the topic, partition and offset of the
 * consumed record it came from (so that flush's offsets mean what they
 * mean without a chain). A record a stage refuses is dead-lettered as it
 * was consumed (tolerance all) or fails the task. Returns the number of
 * records to put, or -1 when the task must stop. */
static long chain_batch(struct sluice_task *t, struct sink *s, size_t n)
{
	chain_out_clear(&s->chained);
	for (size_t i = 0; i < n; i++) {
		size_t mark = s->chained.n;
		const char *stage;
		int rc = chain_run(t, &s->recs[i], &s->chained, &stage);
		if (rc == 1)
			rc = task_reject_record(t, &s->recs[i], stage,
						t->call_error);
		if (rc)
			return -1;
		if (s->chained.n > s->crecs_cap) {
			s->crecs_cap = s->chained.cap;
			s->crecs = realloc(s->crecs,
					   s->crecs_cap * sizeof(*s->crecs));
			s->origin = realloc(s->origin,
					    s->crecs_cap * sizeof(*s->origin));
			if (!s->crecs || !s->origin)
				abort();
		}
		for (size_t j = mark; j < s->chained.n; j++)
			s->origin[j] = i;
	}
	size_t m = s->chained.n, total = 0;
	for (size_t j = 0; j < m; j++)
		if (s->chained.v[j].headers)
			total += rd_kafka_header_cnt(s->chained.v[j].headers);
	if (total > s->chdrs_cap) {
		free(s->chdrs);
		s->chdrs_cap = total * 2;
		s->chdrs = malloc(s->chdrs_cap * sizeof(*s->chdrs));
		if (!s->chdrs)
			abort();
	}
	size_t used = 0;
	for (size_t j = 0; j < m; j++) {
		const struct staged_record *r = &s->chained.v[j];
		const struct sluice_record *o = &s->recs[s->origin[j]];
		s->crecs[j] = (struct sluice_record){
			.topic = o->topic,
			.partition = o->partition,
			.offset = o->offset,
			.timestamp_ms = r->timestamp_ms ? r->timestamp_ms
							: o->timestamp_ms,
			.key = r->key,
			.key_len = r->key_len,
			.value = r->value,
			.value_len = r->value_len,
			.headers = s->chdrs + used,
		};
		const char *name;
		const void *val;
		size_t len;
		for (size_t h = 0;
		     r->headers && used < total &&
		     !rd_kafka_header_get_all(r->headers, h, &name, &val, &len);
		     h++) {
			s->chdrs[used++] =
				(struct sluice_header){name, val, len};
			s->crecs[j].header_count++;
		}
	}
	return (long)m;
}

/* Puts the batch, retrying as the plugin asks. Returns 0 or -1. */
static int put_batch(struct sluice_task *t, struct sink *s, size_t n)
{
	const struct sluice_plugin *p = t->conn->plugin;
	convert_batch(s, n);
	const struct sluice_record *recs = s->recs;
	size_t m = n;
	if (t->chain) {
		long k = chain_batch(t, s, n);
		if (k < 0)
			return -1;
		recs = s->crecs;
		m = (size_t)k;
	}
	int attempt = 0;
	int64_t first = 0;
	while (m) {
		t->call_error[0] = '\0';
		t->batch = recs;
		t->batch_n = m;
		enum sluice_status st = p->put(t->state, t, recs, m);
		t->batch = NULL;
		if (atomic_load(&t->state_) == TASK_FAILED)
			return -1; /* a reject() with tolerance none */
		if (st == SLUICE_OK)
			break;
		if (st != SLUICE_RETRY) {
			task_fail(t, "put failed: %s", t->call_error);
			return -1;
		}
		if (attempt++ == 0)
			first = worker_now_ms();
		if (task_retry_wait(t, attempt, first, "put"))
			return -1;
	}
	for (size_t i = 0; i < m; i++) {
		struct owned *o =
			owned_find(s, recs[i].topic, recs[i].partition);
		if (o && recs[i].offset + 1 > o->put_end)
			o->put_end = recs[i].offset + 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct owned *o =
			owned_find(s, s->recs[i].topic, s->recs[i].partition);
		if (o && s->recs[i].offset + 1 > o->next)
			o->next = s->recs[i].offset + 1;
	}
	if (t->chain)
		chain_out_clear(&s->chained);
	atomic_fetch_add(&t->counters.in, n);
	atomic_fetch_add(&t->counters.out, m);
	return 0;
}

static int64_t sink_committed(struct sluice_task *t, const char *topic,
			      int32_t partition)
{
	const struct owned *o = owned_find(t->kind_state, topic, partition);
	return o ? o->committed : -1;
}

void *task_sink_main(void *arg)
{
	struct sluice_task *t = arg;
	struct sink *s = t->kind_state;
	const struct sluice_plugin *p = t->conn->plugin;
	int64_t interval = t->conn->w->setup->worker.offsets_flush_ms;
	if (interval <= 0)
		interval = 1000;
	int64_t next_flush = worker_now_ms() + interval;
	int64_t next_tick = worker_now_ms() + 1000;
	int finished = 0;
	task_direct_assign(t, task_sink_rebalance);

	while (!atomic_load(&t->stop) &&
	       atomic_load(&t->state_) == TASK_RUNNING) {
		size_t n = 0;
		while (n < BATCH_MAX) {
			rd_kafka_message_t *m = task_consumer_poll(
				t, n ? 0 : trigger_poll_ms(t, 100));
			if (!m)
				break;
			if (m->err) {
				if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
					log_msg(SLUICE_LOG_WARN, t->who,
						"consume: %s",
						rd_kafka_message_errstr(m));
				rd_kafka_message_destroy(m);
				continue;
			}
			s->msgs[n++] = m;
		}
		int rc = n ? put_batch(t, s, n) : 0;
		for (size_t i = 0; i < n; i++)
			rd_kafka_message_destroy(s->msgs[i]);
		if (rc)
			break;
		if (t->delivery_failed) {
			task_fail(t, "%s", t->delivery_error);
			break;
		}
		int64_t now = worker_now_ms();
		if (now >= next_flush || t->flush_requested) {
			t->flush_requested = 0;
			if (flush_commit(t, s, NULL, 0))
				break;
			task_update_lag(t);
			next_flush = now + interval;
		}
		if (p->tick && now >= next_tick) {
			next_tick = now + 1000;
			if (p->tick(t->state, t, (int64_t)time(NULL) * 1000) ==
			    SLUICE_FATAL) {
				task_fail(t, "tick failed: %s", t->call_error);
				break;
			}
		}
		if (t->producer)
			rd_kafka_poll(t->producer, 0);
		if (!atomic_load(&t->trigger_done) && trigger_consumed_all(t)) {
			if (flush_commit(t, s, NULL, 1))
				break;
			atomic_store(&t->trigger_done,
				     trigger_committed_all(t, sink_committed));
		}
		if (atomic_load(&t->trigger_done) && trigger_siblings_done(t)) {
			finished = 1;
			break;
		}
	}
	if (atomic_load(&t->state_) == TASK_RUNNING && !finished)
		flush_commit(t, s, NULL, 1);
	/* Leaving the group revokes what is left (flushed above). */
	task_direct_revoke(t, task_sink_rebalance);
	task_leave_group(t);
	if (atomic_load(&t->state_) == TASK_RUNNING)
		atomic_store(&t->state_,
			     finished ? TASK_FINISHED : TASK_STOPPED);
	return NULL;
}

void *task_sink_state_new(void)
{
	struct sink *s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	return s;
}

void task_sink_state_free(void *p)
{
	struct sink *s = p;
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].topic);
	free(s->v);
	free(s->hdrs);
	chain_out_free(&s->chained);
	free(s->origin);
	free(s->crecs);
	free(s->chdrs);
	free(s);
}
