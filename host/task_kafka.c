/*
 * task_kafka.c - the Kafka side shared by the task kinds (task_kafka.h).
 */
#include "task_kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connector.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "origin.h"
#include "worker.h"

/* Delivery report: acknowledge the record in its window, or remember
 * that Kafka refused it; the task then fails and, because nothing past
 * the refused record is ever committed, loses nothing. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
			void *opaque)
{
	(void)rk;
	struct sluice_task *t = opaque;
	if (m->err) {
		if (!t->delivery_failed)
			snprintf(t->delivery_error, sizeof(t->delivery_error),
				 "producing to '%s' failed: %s",
				 rd_kafka_topic_name(m->rkt),
				 rd_kafka_err2str(m->err));
		t->delivery_failed = 1;
		return;
	}
	const char *dlq = t->conn->cfg->errors.dlq_topic;
	if (m->_private != OPAQUE_UNTRACKED && t->quiet_window >= 0 &&
	    tracker_ref_window(m->_private) == (size_t)t->quiet_window) {
		tracker_ack(&t->trackers, m->_private);
	} else if (m->_private != OPAQUE_UNTRACKED) {
		tracker_ack(&t->trackers, m->_private);
		if (dlq && !strcmp(rd_kafka_topic_name(m->rkt), dlq))
			atomic_fetch_add(&t->counters.deadlettered, 1);
		else
			atomic_fetch_add(&t->counters.out, 1);
	} else if (dlq && !strcmp(rd_kafka_topic_name(m->rkt), dlq)) {
		atomic_fetch_add(&t->counters.deadlettered, 1);
	}
}

void task_count_untracked(struct sluice_task *t, int output)
{
	atomic_fetch_add(&t->by_output[output], 1);
	atomic_fetch_add(&t->counters.out, 1);
}

enum sluice_status task_process_retrying(struct sluice_task *t,
					 const struct sluice_record *in,
					 void (*undo)(struct sluice_task *t))
{
	const struct sluice_plugin *p = t->conn->plugin;
	int attempt = 0;
	int64_t first = 0;
	for (;;) {
		t->call_error[0] = '\0';
		t->staging_open = 1;
		enum sluice_status st = p->process(t->state, t, in);
		t->staging_open = 0;
		if (st == SLUICE_OK)
			return SLUICE_OK;
		task_staged_clear(t);
		if (undo)
			undo(t);
		if (st == SLUICE_REJECT)
			return SLUICE_REJECT;
		if (st != SLUICE_RETRY) {
			task_fail(t, "process failed on %s[%d]@%lld: %s",
				  in->topic, in->partition,
				  (long long)in->offset, t->call_error);
			return SLUICE_FATAL;
		}
		if (attempt++ == 0)
			first = worker_now_ms();
		if (task_retry_wait(t, attempt, first, "process"))
			return SLUICE_FATAL;
	}
}

void task_origin_begin(struct sluice_task *t)
{
	memset(t->ordinals, 0, (size_t)t->conn->outputs_n * sizeof(int64_t));
}

void task_origin_stamp(struct sluice_task *t, struct staged_record *r,
		       int output, const struct sluice_record *in)
{
	int64_t *n = &t->ordinals[t->conn->output_topic_first[output]];
	origin_stamp_set(&r->headers, in, (*n)++);
}

int task_produce_staged(struct sluice_task *t, const int *out_partitions,
			const struct sluice_record *in, size_t idx, void *ref)
{
	int rc = 0;
	task_origin_begin(t);
	for (size_t i = 0; i < t->staged_n && rc == 0; i++) {
		struct staged_record *r = &t->staged[i];
		int np = out_partitions[r->output];
		if (r->partition < 0 && !r->key && np > 0)
			r->partition = in->partition % np;
		task_origin_stamp(t, r, r->output, in);
		tracker_add_pending(&t->trackers, idx, 1);
		atomic_fetch_add(&t->by_output[r->output], 1);
		rc = task_produce(t, t->conn->output_topics[r->output], r, ref);
	}
	task_staged_clear(t);
	return rc;
}

void *task_quiet_ref(struct sluice_task *t)
{
	if (t->quiet_window < 0)
		return OPAQUE_UNTRACKED;
	size_t w = (size_t)t->quiet_window;
	struct tracker_set *s = &t->trackers;
	uint64_t seq = tracker_push(s, w, (int64_t)s->v[w].next_seq, NULL, 1);
	return tracker_ref(w, seq);
}

int task_produce_untracked(struct sluice_task *t)
{
	int rc = 0;
	for (size_t i = 0; i < t->staged_n && !rc; i++) {
		rc = task_produce(t,
				  t->conn->output_topics[t->staged[i].output],
				  &t->staged[i], task_quiet_ref(t));
		if (!rc)
			task_count_untracked(t, t->staged[i].output);
	}
	task_staged_clear(t);
	return rc;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	struct sluice_task *t = opaque;
	/* librdkafka recovers from transient errors by itself; a fatal one
	 * (idempotence broken) ends the task. */
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char buf[512];
		rd_kafka_fatal_error(t->producer, buf, sizeof(buf));
		snprintf(t->delivery_error, sizeof(t->delivery_error),
			 "fatal Kafka error: %s", buf);
		t->delivery_failed = 1;
		return;
	}
	log_msg(SLUICE_LOG_WARN, t->who, "kafka: %s: %s",
		rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* Writes bytes as kilobytes, at least 1024; returns what it wrote. */
static int64_t kb(char *buf, size_t len, int64_t bytes)
{
	int64_t k = bytes / 1024;
	if (k < 1024)
		k = 1024;
	snprintf(buf, len, "%lld", (long long)k);
	return k;
}

/* Each Kafka client gets a share of the worker's memory budget for its
 * queues, so that a full queue stops reading instead of growing. */
static int64_t budget_share(const struct sluice_task *t)
{
	const struct worker *w = t->conn->w;
	size_t clients = 0;
	for (size_t i = 0; i < w->conns_n; i++)
		clients += (size_t)w->conns[i]->tasks_n * 2;
	if (clients < 2)
		clients = 2;
	return w->setup->worker.memory_budget / (int64_t)clients;
}

int task_producer_new(struct sluice_task *t, char *err, size_t errlen)
{
	char queue_kb[32], id[200];
	kb(queue_kb, sizeof(queue_kb), budget_share(t));
	snprintf(id, sizeof(id), "sluice-%s-%d", t->conn->cfg->name, t->id);
	/* Batches of 20 ms, lz4: fewer and smaller produce requests, for
	 * the broker and the consumers downstream (bench/medallion.sh
	 * bronze-silver: 4.2-4.8 s against 5.1-6.0 s with 5 ms and none). */
	const char *defaults[] = {
		"client.id",	    id,		 "queue.buffering.max.kbytes",
		queue_kb,	    "linger.ms", "20",
		"compression.type", "lz4",	 NULL};
	const char *extra[] = {"enable.idempotence", "true", "acks", "all",
			       NULL};
	rd_kafka_conf_t *c = kafka_conf_tuned(&t->conn->w->setup->worker,
					      t->conn->w->bootstraps, defaults,
					      extra, err, errlen);
	if (!c)
		return -1;
	rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
	rd_kafka_conf_set_error_cb(c, on_error);
	rd_kafka_conf_set_opaque(c, t);
	char e[512];
	t->producer = rd_kafka_new(RD_KAFKA_PRODUCER, c, e, sizeof(e));
	if (!t->producer) {
		rd_kafka_conf_destroy(c);
		snprintf(err, errlen, "producer: %s", e);
		return -1;
	}
	return 0;
}

static int subscribe_inputs(struct sluice_task *t, char *err, size_t errlen)
{
	const struct connector_config *cfg = t->conn->cfg;
	rd_kafka_topic_partition_list_t *topics =
		rd_kafka_topic_partition_list_new((int)cfg->topics_n);
	for (size_t i = 0; i < cfg->topics_n; i++)
		rd_kafka_topic_partition_list_add(topics, cfg->topics[i],
						  RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t ke = rd_kafka_subscribe(t->consumer, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (ke) {
		snprintf(err, errlen, "subscribe: %s", rd_kafka_err2str(ke));
		return -1;
	}
	return 0;
}

/* Each hop of a pipeline waits up to this when a broker answers a fetch
 * only at its end (librdkafka's mock cluster does): librdkafka's 500 ms
 * made the medallion's latency ~1 s at 5,000 events/s. An idle consumer
 * asks 40 times a second. */
#define FETCH_WAIT_MAX_MS "25"

int task_consumer_new(struct sluice_task *t, task_rebalance_fn *cb, char *err,
		      size_t errlen)
{
	char queue_kb[32], id[200], poll_ms[32], fetch_bytes[32];
	int64_t queue = kb(queue_kb, sizeof(queue_kb), budget_share(t));
	/* One fetch response is held whole besides the queue: at the
	 * default (50 MiB) it alone could exceed the budget. */
	snprintf(fetch_bytes, sizeof(fetch_bytes), "%lld",
		 (long long)(queue * 1024 / 2));
	snprintf(id, sizeof(id), "sluice-%s-%d", t->conn->cfg->name, t->id);
	/* A put that is retried for errors.retry.timeout must not count as
	 * a stuck consumer. */
	int64_t pi = t->conn->cfg->errors.retry_timeout_ms + 60000;
	snprintf(poll_ms, sizeof(poll_ms), "%lld",
		 (long long)(pi < 300000 ? 300000 : pi));
	const char *defaults[] = {"client.id",
				  id,
				  "auto.offset.reset",
				  "earliest",
				  "queued.max.messages.kbytes",
				  queue_kb,
				  "fetch.max.bytes",
				  fetch_bytes,
				  "max.poll.interval.ms",
				  poll_ms,
				  "fetch.wait.max.ms",
				  FETCH_WAIT_MAX_MS,
				  NULL};
	const char *extra[] = {
		"group.id", t->conn->group_id,		"enable.auto.commit",
		"false",    "enable.auto.offset.store", "false",
		NULL};
	rd_kafka_conf_t *c = kafka_conf_tuned(&t->conn->w->setup->worker,
					      t->conn->w->bootstraps, defaults,
					      extra, err, errlen);
	if (!c)
		return -1;
	rd_kafka_conf_set_rebalance_cb(c, cb);
	rd_kafka_conf_set_error_cb(c, on_error);
	rd_kafka_conf_set_opaque(c, t);
	char e[512];
	t->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof(e));
	if (!t->consumer) {
		rd_kafka_conf_destroy(c);
		snprintf(err, errlen, "consumer: %s", e);
		return -1;
	}
	rd_kafka_poll_set_consumer(t->consumer);
	/* A stateful transform assigns its partitions itself
	 * (task_state.c); it uses the group for its offsets only. So does
	 * every task of a triggered run (task_direct_assign): a batch over
	 * what is there now has nothing to balance, and joining a new group
	 * costs its first member the broker's initial rebalance delay
	 * (group.initial.rebalance.delay.ms, 3 s by default). */
	if (t->kv)
		return 0;
	if (t->conn->w->setup->worker.trigger_once) {
		t->direct = 1;
		return 0;
	}
	return subscribe_inputs(t, err, errlen);
}

void task_serve(struct sluice_task *t, int timeout_ms)
{
	if (t->producer)
		rd_kafka_poll(t->producer, timeout_ms);
}

int task_flush(struct sluice_task *t)
{
	int64_t deadline =
		worker_now_ms() + t->conn->w->setup->worker.shutdown_timeout_ms;
	while (rd_kafka_outq_len(t->producer) > 0 && !t->delivery_failed &&
	       worker_now_ms() < deadline)
		rd_kafka_flush(t->producer, 20);
	return !t->delivery_failed && rd_kafka_outq_len(t->producer) == 0;
}

int task_produce(struct sluice_task *t, const char *topic,
		 struct staged_record *r, void *opaque)
{
	for (;;) {
		rd_kafka_resp_err_t e = rd_kafka_producev(
			t->producer, RD_KAFKA_V_TOPIC(topic),
			RD_KAFKA_V_PARTITION(r->partition < 0
						     ? RD_KAFKA_PARTITION_UA
						     : r->partition),
			RD_KAFKA_V_KEY(r->key, r->key_len),
			RD_KAFKA_V_VALUE(r->value, r->value_len),
			/* An arena copy is copied once more, into the
			 * allocation librdkafka makes for the message
			 * anyway: cheaper than a malloc of our own. */
			RD_KAFKA_V_MSGFLAGS(r->borrowed ? RD_KAFKA_MSG_F_COPY
							: RD_KAFKA_MSG_F_FREE),
			RD_KAFKA_V_TIMESTAMP(r->timestamp_ms),
			RD_KAFKA_V_HEADERS(r->headers),
			RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
		if (!e) {
			/* headers (and an owned value) now belong to
			 * librdkafka */
			if (!r->borrowed)
				r->value = NULL;
			r->headers = NULL;
			return 0;
		}
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			task_fail(t, "producing to '%s': %s", topic,
				  rd_kafka_err2str(e));
			return -1;
		}
		rd_kafka_poll(t->producer, 50);
		if (t->delivery_failed) {
			task_fail(t, "%s", t->delivery_error);
			return -1;
		}
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int task_retry_wait(struct sluice_task *t, int attempt, int64_t first_ms,
		    const char *what)
{
	const struct error_policy *p = &t->conn->cfg->errors;
	int64_t elapsed = now_ms() - first_ms;
	if (elapsed >= p->retry_timeout_ms) {
		task_fail(t, "%s: still failing after %lld ms of retries: %s",
			  what, (long long)elapsed, t->call_error);
		return -1;
	}
	int64_t delay = 100;
	for (int i = 1; i < attempt && delay < p->retry_max_backoff_ms; i++)
		delay *= 2;
	if (delay > p->retry_max_backoff_ms)
		delay = p->retry_max_backoff_ms;
	/* Full jitter in the upper half: spread retries of many tasks. */
	delay = delay / 2 +
		(int64_t)((uint64_t)rand() % (uint64_t)(delay / 2 + 1));
	if (delay > p->retry_timeout_ms - elapsed)
		delay = p->retry_timeout_ms - elapsed;
	log_msg(SLUICE_LOG_WARN, t->who,
		"%s asked to retry (attempt %d, in %lld ms): %s", what, attempt,
		(long long)delay, t->call_error);
	int64_t until = now_ms() + delay;
	while (now_ms() < until) {
		if (atomic_load(&t->stop))
			return -1;
		int64_t left = until - now_ms();
		int slice = left > 100 ? 100 : (int)(left < 0 ? 0 : left);
		if (t->producer)
			rd_kafka_poll(t->producer, slice);
		else
			nanosleep(&(struct timespec){0, (long)slice * 1000000},
				  NULL);
	}
	return 0;
}

void task_record_from_message(const rd_kafka_message_t *m,
			      struct sluice_record *r,
			      struct sluice_header *hdrs, size_t hcap)
{
	rd_kafka_timestamp_type_t tt;
	*r = (struct sluice_record){
		.topic = rd_kafka_topic_name(m->rkt),
		.partition = m->partition,
		.offset = m->offset,
		.timestamp_ms = rd_kafka_message_timestamp(m, &tt),
		.key = m->key,
		.key_len = m->key_len,
		.value = m->payload,
		.value_len = m->len,
		.headers = hdrs,
	};
	rd_kafka_headers_t *h;
	if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	const char *name;
	const void *val;
	size_t len;
	for (size_t i = 0;
	     i < hcap && !rd_kafka_header_get_all(h, i, &name, &val, &len);
	     i++) {
		hdrs[i] = (struct sluice_header){name, val, len};
		r->header_count++;
	}
}

int task_reject_record(struct sluice_task *t, const struct sluice_record *rec,
		       const char *stage, const char *reason)
{
	const struct connector_config *cfg = t->conn->cfg;
	atomic_fetch_add(&t->counters.failed, 1);
	if (cfg->errors.tolerance == TOLERANCE_NONE || !cfg->errors.dlq_topic) {
		task_fail(t, "record %s[%d]@%lld rejected at %s: %s",
			  rec->topic ? rec->topic : "-", rec->partition,
			  (long long)rec->offset, stage, reason);
		return -1;
	}
	if (cfg->errors.log_errors)
		log_msg(SLUICE_LOG_WARN, t->who,
			"record %s[%d]@%lld sent to '%s': %s",
			rec->topic ? rec->topic : "-", rec->partition,
			(long long)rec->offset, cfg->errors.dlq_topic, reason);
	rd_kafka_headers_t *h = rd_kafka_headers_new(rec->header_count + 7);
	for (size_t i = 0; i < rec->header_count; i++)
		rd_kafka_header_add(h, rec->headers[i].name, -1,
				    rec->headers[i].value,
				    (ssize_t)rec->headers[i].value_len);
	char task_id[16], part[16], off[32];
	snprintf(task_id, sizeof(task_id), "%d", t->id);
	snprintf(part, sizeof(part), "%d", rec->partition);
	snprintf(off, sizeof(off), "%lld", (long long)rec->offset);
	rd_kafka_header_add(h, "sluice.error.connector", -1, cfg->name, -1);
	rd_kafka_header_add(h, "sluice.error.task", -1, task_id, -1);
	rd_kafka_header_add(h, "sluice.error.stage", -1, stage, -1);
	rd_kafka_header_add(h, "sluice.error.topic", -1,
			    rec->topic ? rec->topic : "", -1);
	rd_kafka_header_add(h, "sluice.error.partition", -1, part, -1);
	rd_kafka_header_add(h, "sluice.error.offset", -1, off, -1);
	rd_kafka_header_add(h, "sluice.error.message", -1, reason, -1);
	struct staged_record r = {
		.partition = -1,
		.timestamp_ms = rec->timestamp_ms,
		.key = (void *)rec->key,
		.key_len = rec->key_len,
		.value = (void *)rec->value,
		.value_len = rec->value_len,
		.headers = h,
		.borrowed = 1,
	};
	void *opaque = OPAQUE_UNTRACKED;
	long ti = rec->topic ? tracker_find(&t->trackers, rec->topic,
					    rec->partition)
			     : -1;
	if (ti >= 0 && t->trackers.v[ti].count && !t->batch) {
		/* A transform's input: its offset waits for the DLQ ack. */
		struct tracker *tr = &t->trackers.v[ti];
		tracker_add_pending(&t->trackers, (size_t)ti, 1);
		opaque = tracker_ref(
			(size_t)ti,
			tr->ring[(tr->head + tr->count - 1) % tr->cap].seq);
	}
	if (task_produce(t, cfg->errors.dlq_topic, &r, opaque) != 0) {
		if (r.headers)
			rd_kafka_headers_destroy(r.headers);
		return -1;
	}
	return 0;
}

/* The fetcher is woken at most this often (a request to a leader), and
 * less often, down to once a second, while wakes bring nothing: a high
 * watermark past the last record a consumer can see (a transaction's
 * commit marker) must not make an idle task ask 20 times a second. */
#define NUDGE_MS 5
#define NUDGE_MAX_MS 1000

/*
 * librdkafka (2.0, Debian 12's) stops fetching while a consumer's queue
 * holds queued.max.messages.kbytes and looks again only when its broker
 * thread wakes for something else: up to a second later. A consumer
 * slower than its fetches so reads about one queue a second (sink-s3:
 * 16 MiB/s, ~38,000 seed events/s where the host alone reads 190,000/s;
 * librdkafka 2.1 added fetch.queue.backoff.ms for it). So when the queue
 * has run dry while a partition's leader holds more than was read (the
 * high watermark of the last fetch is past the position), one request to
 * that leader, for its watermarks, wakes the thread, which then fetches.
 */
static void fetch_nudge(struct sluice_task *t)
{
	int64_t now = worker_now_ms();
	if (t->nudge_gap_ms < NUDGE_MS)
		t->nudge_gap_ms = NUDGE_MS;
	if (now < t->nudge_last_ms + t->nudge_gap_ms)
		return;
	rd_kafka_topic_partition_list_t *a = NULL;
	if (rd_kafka_assignment(t->consumer, &a) || !a)
		return;
	if (a->cnt && !rd_kafka_position(t->consumer, a)) {
		/* From a moving start: partitions led by other brokers get
		 * their turn. */
		for (int k = 0; k < a->cnt; k++) {
			int i = (t->nudge_from + k) % a->cnt;
			const rd_kafka_topic_partition_t *e = &a->elems[i];
			int64_t lo, hi;
			if (e->offset < 0 ||
			    rd_kafka_get_watermark_offsets(
				    t->consumer, e->topic, e->partition, &lo,
				    &hi) ||
			    hi <= e->offset)
				continue;
			t->nudge_from = i + 1;
			/* Until a record comes, each wake waits twice as
			 * long for the next (task_consumer_poll resets). */
			t->nudge_last_ms = now;
			if (t->nudge_gap_ms < NUDGE_MAX_MS)
				t->nudge_gap_ms *= 2;
			metrics_counter_add(t, "sluice_fetch_wakes_total", NULL,
					    1);
			if (!t->nudge_logged) {
				t->nudge_logged = 1;
				log_msg(SLUICE_LOG_INFO, t->who,
					"the consumer's queue ran dry with "
					"more on the broker: waking the "
					"fetcher (sluice_fetch_wakes_total "
					"counts each wake)");
			}
			/* The request wakes the thread when it is queued:
			 * the answer need not be awaited long. */
			rd_kafka_query_watermark_offsets(t->consumer, e->topic,
							 e->partition, &lo, &hi,
							 50);
			break;
		}
	}
	rd_kafka_topic_partition_list_destroy(a);
}

rd_kafka_message_t *task_consumer_poll(struct sluice_task *t, int timeout_ms)
{
	rd_kafka_message_t *m = rd_kafka_consumer_poll(t->consumer, 0);
	if (m) {
		t->nudge_gap_ms = NUDGE_MS;
		return m;
	}
	if (!timeout_ms)
		return m;
	fetch_nudge(t);
	m = rd_kafka_consumer_poll(t->consumer, timeout_ms);
	if (m)
		t->nudge_gap_ms = NUDGE_MS;
	return m;
}

void task_update_lag(struct sluice_task *t)
{
	rd_kafka_topic_partition_list_t *a = NULL;
	if (!t->consumer || rd_kafka_assignment(t->consumer, &a) || !a)
		return;
	int64_t lag = 0;
	int known = 0;
	/* Per partition too, for /metrics and the pipeline page. */
	struct live_partition *parts = NULL;
	size_t n = 0;
	if (a->cnt && !rd_kafka_position(t->consumer, a)) {
		parts = calloc((size_t)a->cnt, sizeof(*parts));
		if (!parts)
			abort();
		for (int i = 0; i < a->cnt; i++) {
			int64_t lo, hi;
			if (rd_kafka_get_watermark_offsets(
				    t->consumer, a->elems[i].topic,
				    a->elems[i].partition, &lo, &hi) ||
			    hi < 0)
				continue;
			int64_t pos = a->elems[i].offset;
			if (pos < 0)
				pos = lo; /* nothing fetched yet */
			lag += hi > pos ? hi - pos : 0;
			known = 1;
			struct live_partition *p = &parts[n++];
			snprintf(p->topic, sizeof(p->topic), "%s",
				 a->elems[i].topic);
			p->partition = a->elems[i].partition;
			p->high = hi;
			p->position = pos;
		}
	}
	live_set_partitions(&t->live, parts, n);
	free(parts);
	atomic_store(&t->counters.lag, known || !a->cnt ? lag : -1);
	rd_kafka_topic_partition_list_destroy(a);
}

void task_apply_assignment(struct sluice_task *t, rd_kafka_resp_err_t err,
			   rd_kafka_topic_partition_list_t *parts)
{
	int coop = !strcmp(rd_kafka_rebalance_protocol(t->consumer),
			   "COOPERATIVE");
	rd_kafka_error_t *e = NULL;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (coop)
			e = rd_kafka_incremental_assign(t->consumer, parts);
		else
			rd_kafka_assign(t->consumer, parts);
	} else {
		if (coop)
			e = rd_kafka_incremental_unassign(t->consumer, parts);
		else
			rd_kafka_assign(t->consumer, NULL);
	}
	if (e) {
		log_msg(SLUICE_LOG_WARN, t->who, "rebalance: %s",
			rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
}

/* Every task of the connector has made its final commit or is not
 * running. */
static int siblings_committed(const struct sluice_task *t)
{
	const struct connector *c = t->conn;
	for (int i = 0; i < c->tasks_n; i++) {
		struct sluice_task *o = c->tasks[i];
		if (o && atomic_load(&o->state_) == TASK_RUNNING &&
		    !atomic_load(&o->final_committed))
			return 0;
	}
	return 1;
}

void task_leave_group(struct sluice_task *t)
{
	atomic_store(&t->final_committed, 1);
	if (atomic_load(&t->stop)) {
		int64_t deadline =
			worker_now_ms() +
			t->conn->w->setup->worker.shutdown_timeout_ms;
		while (!siblings_committed(t) && worker_now_ms() < deadline)
			nanosleep(&(struct timespec){0, 10 * 1000000}, NULL);
	}
	rd_kafka_consumer_close(t->consumer);
}

/* A group with members answers a commit from a consumer outside it
 * (generation -1) with one of these. */
static int refused_from_outside(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
	       e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION;
}

int task_commit(struct sluice_task *t, rd_kafka_topic_partition_list_t *offs)
{
	if (!offs->cnt)
		return 0;
	rd_kafka_resp_err_t e = rd_kafka_commit(t->consumer, offs, 0);
	if (t->direct && refused_from_outside(e)) {
		/* The group has members: a continuous worker runs this
		 * connector. Going on would read and write its records
		 * twice and never see this run's commits. */
		task_fail(t,
			  "commit refused (%s): group '%s' has members, so "
			  "another worker runs this connector; a triggered run "
			  "needs the group to itself",
			  rd_kafka_err2str(e), t->conn->group_id);
		return -1;
	}
	if (e) {
		log_msg(SLUICE_LOG_WARN, t->who,
			"commit failed: %s (the records will be read again "
			"if this task stops before the next commit)",
			rd_kafka_err2str(e));
		return -1;
	}
	for (int i = 0; i < offs->cnt; i++)
		log_msg(SLUICE_LOG_DEBUG, t->who, "committed %s[%d]@%lld",
			offs->elems[i].topic, offs->elems[i].partition,
			(long long)offs->elems[i].offset);
	return 0;
}

void task_commit_async(struct sluice_task *t,
		       const rd_kafka_topic_partition_list_t *offs)
{
	if (offs->cnt)
		rd_kafka_commit(t->consumer, offs, 1);
}

rd_kafka_topic_partition_list_t *task_own_partitions(struct sluice_task *t)
{
	const struct connector_config *cfg = t->conn->cfg;
	int n = t->conn->tasks_n;
	rd_kafka_topic_partition_list_t *a =
		rd_kafka_topic_partition_list_new(8);
	for (size_t i = 0; i < cfg->topics_n; i++) {
		rd_kafka_topic_t *rkt =
			rd_kafka_topic_new(t->consumer, cfg->topics[i], NULL);
		const struct rd_kafka_metadata *md = NULL;
		int parts = -1;
		for (int tries = 0; parts < 0 && tries < 10; tries++) {
			if (atomic_load(&t->stop))
				break;
			if (!rd_kafka_metadata(t->consumer, 0, rkt, &md,
					       5000)) {
				if (md->topic_cnt == 1 && !md->topics[0].err)
					parts = md->topics[0].partition_cnt;
				rd_kafka_metadata_destroy(md);
			}
		}
		rd_kafka_topic_destroy(rkt);
		if (parts < 0) {
			task_fail(t, "input topic '%s': no metadata",
				  cfg->topics[i]);
			rd_kafka_topic_partition_list_destroy(a);
			return NULL;
		}
		for (int p = 0; p < parts; p++)
			if (p % n == t->id)
				rd_kafka_topic_partition_list_add(
					a, cfg->topics[i], p)
					->offset = RD_KAFKA_OFFSET_INVALID;
	}
	return a;
}

/* Commits the group's own offsets of `parts` back to it, unchanged: a
 * group with members (a continuous worker running the connector, or on
 * some brokers one that ever had members) refuses commits from a
 * consumer outside it. 1 when accepted or nothing is committed yet. */
static int
group_takes_simple_commits(struct sluice_task *t,
			   const rd_kafka_topic_partition_list_t *parts)
{
	rd_kafka_topic_partition_list_t *g =
		rd_kafka_topic_partition_list_copy(parts);
	rd_kafka_topic_partition_list_t *c =
		rd_kafka_topic_partition_list_new(g->cnt);
	if (g->cnt && !rd_kafka_committed(t->consumer, g, 10000))
		for (int i = 0; i < g->cnt; i++)
			if (g->elems[i].offset >= 0)
				rd_kafka_topic_partition_list_add(
					c, g->elems[i].topic,
					g->elems[i].partition)
					->offset = g->elems[i].offset;
	rd_kafka_resp_err_t e = c->cnt ? rd_kafka_commit(t->consumer, c, 0)
				       : RD_KAFKA_RESP_ERR_NO_ERROR;
	rd_kafka_topic_partition_list_destroy(c);
	rd_kafka_topic_partition_list_destroy(g);
	return !refused_from_outside(e);
}

int task_direct_assign(struct sluice_task *t, task_rebalance_fn *cb)
{
	if (!t->direct)
		return 0;
	rd_kafka_topic_partition_list_t *a = task_own_partitions(t);
	if (!a)
		return -1;
	if (!group_takes_simple_commits(t, a)) {
		/* Joining is what is left; the group then balances. */
		rd_kafka_topic_partition_list_destroy(a);
		t->direct = 0;
		log_msg(SLUICE_LOG_INFO, t->who,
			"group '%s' refuses commits from outside it (it has, "
			"or had, members): joining it instead",
			t->conn->group_id);
		char err[512];
		if (subscribe_inputs(t, err, sizeof(err))) {
			task_fail(t, "%s", err);
			return -1;
		}
		return 0;
	}
	/* Offsets stay unset: assign() then starts each partition at the
	 * group's committed offset, else at auto.offset.reset, as a group
	 * assignment does. */
	cb(t->consumer, RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, a, t);
	rd_kafka_topic_partition_list_destroy(a);
	return atomic_load(&t->state_) == TASK_RUNNING ? 0 : -1;
}

void task_direct_revoke(struct sluice_task *t, task_rebalance_fn *cb)
{
	rd_kafka_topic_partition_list_t *a = NULL;
	if (!t->direct || rd_kafka_assignment(t->consumer, &a) || !a)
		return;
	if (a->cnt)
		cb(t->consumer, RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS, a, t);
	rd_kafka_topic_partition_list_destroy(a);
}

int task_topic_partitions(struct sluice_task *t, const char *topic)
{
	int n = 0;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(t->producer, topic, NULL);
	const struct rd_kafka_metadata *md;
	if (!rd_kafka_metadata(t->producer, 0, rkt, &md, 5000)) {
		if (md->topic_cnt == 1 && !md->topics[0].err)
			n = md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return n;
}

int *task_output_partitions(struct sluice_task *t)
{
	const struct connector *c = t->conn;
	int *n = calloc((size_t)c->outputs_n + 1, sizeof(int));
	if (!n)
		abort();
	for (int i = 0; i < c->outputs_n; i++)
		n[i] = task_topic_partitions(t, c->output_topics[i]);
	if (c->cfg->errors.dlq_topic)
		task_topic_partitions(t, c->cfg->errors.dlq_topic);
	return n;
}
