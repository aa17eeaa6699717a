/*
 * task_state.c - a stateful transform task (see task_state.h and the
 * record layout in state.h).
 *
 * Why the store and the input position can never disagree after a crash:
 * every state.commit.interval (or commit.records inputs) the task
 * appends every key it changed in this epoch to its changelog partition
 * (the latest value, and the value as of the last marker as `prev`),
 * then an epoch marker with the next input offsets, and a new epoch
 * begins at once. Once every record produced before the marker (outputs,
 * dead letters, changelog) is acknowledged, a confirm record follows it
 * and, once that is acknowledged, the same offsets go to the group.
 * A snapshot follows an epoch marker and counts once the epoch is
 * confirmed; the end of a run takes the waiting barrier instead
 * (checkpoint). The restore rebuilds the state as of the last confirmed
 * marker (records after it roll back to their `prev`) and the inputs
 * resume at the marker's offsets: inputs before them are in the state and
 * their outputs are in Kafka; inputs after them are in neither (their
 * outputs may be there already, and are produced again; a stateful task
 * downstream drops them by their origin stamps, origin.h).
 *
 * A plugin's writes during a callback are kept in a journal: they count
 * for the epoch only when the callback returns OK, and are undone when it
 * answers RETRY, REJECT or FATAL, so a retried input never counts twice.
 */
#include "task_state.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "connector.h"
#include "kafka.h"
#include "loader.h"
#include "log.h"
#include "origin.h"
#include "state.h"
#include "task_kafka.h"
#include "trigger.h"
#include "worker.h"

#define INFLIGHT_MAX 100000
#define DRAIN_MAX 32
/* Epoch markers waiting for their confirm; one more barrier waits. */
#define EPOCHS_MAX 64
#define HEADERS_MAX 256
#define RESTORE_TIMEOUT_MS 120000
#define KEY(k) k, sizeof(k) - 1

struct task_kv {
	struct state_store store;
	struct kv_map dirty;   /* key -> value at the epoch's start */
	struct kv_map journal; /* key -> value before the current call */
	char topic[300];       /* the changelog */
	int32_t partition;     /* = task id */
	/* Assigned input partitions; offset = the next to process, or
	 * RD_KAFKA_OFFSET_INVALID while unknown. */
	rd_kafka_topic_partition_list_t *pos;
	int pos_hint; /* where move_past found the last input's partition */
	/* As of the last marker (what the group has). */
	rd_kafka_topic_partition_list_t *committed;
	/* The origin stamps processed (origin.h): saved with pos. */
	struct origin_marks marks;
	uint64_t replayed; /* inputs dropped as processed before */
	/* The host's own records (changelog, tick outputs): this tracker
	 * window, t->quiet_window. */
	size_t own;
	/* Epoch markers written whose confirm is not yet acknowledged,
	 * oldest first: the input positions each stands for, and the marks
	 * of its record and of its confirm (-1: none yet) in the own
	 * window. */
	struct epoch {
		char id[48];
		rd_kafka_topic_partition_list_t *pos;
		int64_t own_mark, confirm_mark;
		int snapshot; /* a snapshot follows it */
	} epochs[EPOCHS_MAX];
	size_t epochs_n;
	uint64_t epoch_n; /* ids: "<open time ms>.<n>" */
	int64_t opened_ms;
	int changed; /* input processed or store written since the marker */
	int64_t since_snapshot; /* changelog bytes since the last snapshot */
	int64_t snapshot_size;	/* bytes of the last snapshot (or restore) */
	uint64_t markers, snapshots;
	int *out_partitions;
	struct sluice_header hdrs[HEADERS_MAX];
	char err[1024];
	/* The restore's consumer, shutting down while the other tasks
	 * open (a destroy takes a few ms, once per stateful task). */
	struct kafka_closing restore_client;
};

static int roll_back_in_log(struct sluice_task *t,
			    const struct state_replay_info *info);

int task_state_wanted(const struct connector *c)
{
	return (loader_flags(c->plugin) & SLUICE_PLUGIN_STATEFUL) != 0;
}

/* A marker's input positions; its origin marks into *marks. */
static rd_kafka_topic_partition_list_t *
parse_positions(const char *json, struct origin_marks *marks, const char *who)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(8);
	json_object *o = json ? json_tokener_parse(json) : NULL;
	if (json && !json_object_is_type(o, json_type_object))
		log_msg(SLUICE_LOG_WARN, who,
			"state: position marker is not a JSON object: %s",
			json);
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, topic, parts)
		{
			if (!strcmp(topic, ORIGIN_MARKER_KEY) ||
			    !json_object_is_type(parts, json_type_object))
				continue;
			json_object_object_foreach(parts, p, off)
			{
				rd_kafka_topic_partition_list_add(
					l, topic, (int32_t)atoi(p))
					->offset = json_object_get_int64(off);
			}
		}
		char e[300];
		if (origin_marks_from_json(marks, o, e, sizeof(e)))
			log_msg(SLUICE_LOG_WARN, who,
				"state: position marker: %s; records an "
				"upstream task sends again after its restart "
				"are processed again",
				e);
	}
	json_object_put(o);
	return l;
}

/* The marker: input positions, and the origin marks when given. */
static char *positions_json(const rd_kafka_topic_partition_list_t *l,
			    const struct origin_marks *marks)
{
	json_object *o = json_object_new_object();
	for (int i = 0; i < l->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &l->elems[i];
		if (e->offset < 0)
			continue;
		json_object *parts;
		if (!json_object_object_get_ex(o, e->topic, &parts)) {
			parts = json_object_new_object();
			json_object_object_add(o, e->topic, parts);
		}
		char p[16];
		snprintf(p, sizeof(p), "%d", e->partition);
		json_object_object_add(parts, p,
				       json_object_new_int64(e->offset));
	}
	if (marks)
		origin_marks_to_json(marks, o);
	char *r = strdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (!r)
		abort();
	return r;
}

/* ---- the changelog topic ---- */

/* Partitions of a topic by the cluster's metadata (all topics: asking
 * for one could auto-create it with the wrong count), -1 when missing,
 * -2 when the cluster did not answer. */
static int topic_partitions(rd_kafka_t *rk, const char *topic)
{
	const struct rd_kafka_metadata *md;
	if (rd_kafka_metadata(rk, 1, NULL, &md, 10000))
		return -2;
	int have = -1;
	for (int i = 0; i < md->topic_cnt; i++)
		if (!strcmp(md->topics[i].topic, topic) && !md->topics[i].err)
			have = md->topics[i].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return have;
}

/* A real cluster: compacted, so that it keeps the latest record per key
 * (and the latest marker). Records younger than an hour stay as written:
 * the replay reads the records after the last confirmed marker in order
 * (each key's first one carries its value at that marker, and the epoch
 * marker a confirm names must still be there), and a segment that
 * rolled just before a crash could otherwise be compacted before the
 * restart. */
static void create_compacted(struct sluice_task *t, const char *topic,
			     int partitions)
{
	char e[512];
	rd_kafka_NewTopic_t *nt =
		rd_kafka_NewTopic_new(topic, partitions, -1, e, sizeof(e));
	if (!nt)
		return;
	rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
	rd_kafka_NewTopic_set_config(nt, "min.compaction.lag.ms", "3600000");
	rd_kafka_queue_t *q = rd_kafka_queue_new(t->producer);
	rd_kafka_CreateTopics(t->producer, &nt, 1, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 10000);
	const rd_kafka_CreateTopics_result_t *res =
		ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
	size_t cnt = 0;
	const rd_kafka_topic_result_t **tr =
		res ? rd_kafka_CreateTopics_result_topics(res, &cnt) : NULL;
	rd_kafka_resp_err_t te = cnt ? rd_kafka_topic_result_error(tr[0])
				     : RD_KAFKA_RESP_ERR__TIMED_OUT;
	if (te && te != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
		log_msg(SLUICE_LOG_WARN, t->who,
			"could not create the state changelog '%s' (%s)", topic,
			rd_kafka_err2str(te));
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
}

static int ensure_topic(struct sluice_task *t, char *err, size_t errlen)
{
	struct task_kv *kv = t->kv;
	struct connector *c = t->conn;
	int want = c->cfg->tasks_max;
	int have = topic_partitions(t->producer, kv->topic);
	if (have == -1) {
		char e[512];
		if (!c->w->embedded)
			create_compacted(t, kv->topic, want);
		else if (broker_create_topic(c->w->embedded, kv->topic, want, e,
					     sizeof(e)) < 0) {
			snprintf(err, errlen, "state changelog '%s': %s",
				 kv->topic, e);
			return -1;
		}
		int64_t deadline = worker_now_ms() + 10000;
		int asked = 0;
		while ((have = topic_partitions(t->producer, kv->topic)) < 0 &&
		       worker_now_ms() < deadline) {
			/* No admin API (a cluster that refuses it, or
			 * `sluice broker`): asking for the topic itself
			 * auto-creates it where the cluster allows. */
			if (!asked++ && !c->w->embedded) {
				rd_kafka_topic_t *rkt = rd_kafka_topic_new(
					t->producer, kv->topic, NULL);
				const struct rd_kafka_metadata *md;
				if (!rd_kafka_metadata(t->producer, 0, rkt, &md,
						       5000))
					rd_kafka_metadata_destroy(md);
				rd_kafka_topic_destroy(rkt);
			}
			nanosleep(&(struct timespec){0, 100 * 1000000}, NULL);
		}
	}
	if (have < 0) {
		snprintf(err, errlen,
			 "state changelog '%s' %s; create it with at least %d "
			 "partitions (cleanup.policy=compact)",
			 kv->topic,
			 have == -2 ? "cannot be looked up (no metadata)"
				    : "does not exist and could not be "
				      "created",
			 want);
		return -1;
	}
	if (have <= t->id) {
		snprintf(err, errlen,
			 "state changelog '%s' has %d partition%s, fewer than "
			 "tasks.max (%d): task %d has none",
			 kv->topic, have, have == 1 ? "" : "s", want, t->id);
		return -1;
	}
	return 0;
}

/* ---- restore ---- */

/* One changelog record read back, owned. */
struct rrec {
	char *key, *value; /* value NULL: tombstone */
	size_t key_len, value_len;
	struct sluice_header h[4];
	size_t hn;
};

struct rlog {
	struct rrec *v;
	size_t n, cap;
	struct state_cut cut; /* where the records can be let go of */
	size_t bytes, max_bytes;
};

static void rrec_free(struct rrec *r)
{
	free(r->key);
	free(r->value);
	for (size_t i = 0; i < r->hn; i++)
		free((void *)r->h[i].value);
}

static char *dup_n(const void *p, size_t n)
{
	char *q = malloc(n + 1);
	if (!q)
		abort();
	if (n)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

/* Keeps a record; once a snapshot counts, everything before its begin
 * is useless, so memory stays near that snapshot plus what followed it
 * (a snapshot that waits for its epoch's confirm does not count yet: the
 * restore may need to go back to the one before, state.h). */
static void rlog_add(struct rlog *l, const rd_kafka_message_t *m)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	struct rrec *r = &l->v[l->n];
	*r = (struct rrec){.key = dup_n(m->key, m->key ? m->key_len : 0),
			   .key_len = m->key ? m->key_len : 0,
			   .value = m->payload ? dup_n(m->payload, m->len)
					       : NULL,
			   .value_len = m->payload ? m->len : 0};
	rd_kafka_headers_t *hs;
	if (!rd_kafka_message_headers(m, &hs)) {
		static const char *const keep[] = {
			STATE_HDR_PREV, STATE_HDR_PREV_ABSENT,
			STATE_HDR_POSITION, STATE_HDR_EPOCH};
		for (size_t i = 0; i < 4; i++) {
			const void *v;
			size_t len;
			if (rd_kafka_header_get_last(hs, keep[i], &v, &len))
				continue;
			r->h[r->hn++] = (struct sluice_header){
				keep[i], v ? dup_n(v, len) : NULL, len};
		}
	}
	l->bytes += r->key_len + r->value_len;
	if (l->bytes > l->max_bytes)
		l->max_bytes = l->bytes;
	const struct sluice_record rec = {.key = r->key,
					  .key_len = r->key_len,
					  .value = r->value,
					  .value_len = r->value_len,
					  .headers = r->h,
					  .header_count = r->hn};
	size_t drop = state_cut_next(&l->cut, &rec, l->n++);
	for (size_t i = 0; i < drop; i++) {
		l->bytes -= l->v[i].key_len + l->v[i].value_len;
		rrec_free(&l->v[i]);
	}
	if (drop) {
		memmove(l->v, l->v + drop, (l->n - drop) * sizeof(*l->v));
		l->n -= drop;
	}
}

static void rlog_free(struct rlog *l)
{
	for (size_t i = 0; i < l->n; i++)
		rrec_free(&l->v[i]);
	free(l->v);
}

/* Reads partition t->id of the changelog from its low to its high
 * watermark into l. Sets *lo. 0, or -1 with err. */
static int read_changelog(struct sluice_task *t, struct rlog *l, int64_t *lo,
			  int64_t *hi, char *err, size_t errlen)
{
	struct task_kv *kv = t->kv;
	char id[200], group[300];
	snprintf(id, sizeof(id), "sluice-%s-%d-restore", t->conn->cfg->name,
		 t->id);
	/* assign() only, never subscribe: the group is never joined. */
	snprintf(group, sizeof(group), "%s-restore", t->conn->group_id);
	const char *extra[] = {"group.id",
			       group,
			       "client.id",
			       id,
			       "enable.auto.commit",
			       "false",
			       "enable.partition.eof",
			       "false",
			       "auto.offset.reset",
			       "earliest",
			       NULL};
	rd_kafka_conf_t *c =
		kafka_conf(&t->conn->w->setup->worker, t->conn->w->bootstraps,
			   extra, err, errlen);
	if (!c)
		return -1;
	char e[512];
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof(e));
	if (!rk) {
		rd_kafka_conf_destroy(c);
		snprintf(err, errlen, "restore consumer: %s", e);
		return -1;
	}
	rd_kafka_poll_set_consumer(rk);
	int rc = -1;
	rd_kafka_resp_err_t ke = rd_kafka_query_watermark_offsets(
		rk, kv->topic, kv->partition, lo, hi, 15000);
	if (ke) {
		snprintf(err, errlen,
			 "state changelog '%s' partition %d: watermarks: %s",
			 kv->topic, kv->partition, rd_kafka_err2str(ke));
		goto out;
	}
	if (*hi <= *lo) {
		rc = 0;
		goto out;
	}
	rd_kafka_topic_partition_list_t *a =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(a, kv->topic, kv->partition)->offset =
		*lo;
	rd_kafka_assign(rk, a);
	rd_kafka_topic_partition_list_destroy(a);
	int64_t deadline = worker_now_ms() + RESTORE_TIMEOUT_MS;
	int64_t next = *lo;
	while (next < *hi) {
		if (worker_now_ms() > deadline) {
			snprintf(err, errlen,
				 "restoring from state changelog '%s' "
				 "partition %d: read up to offset %lld of "
				 "%lld..%lld within %d s; giving up",
				 kv->topic, kv->partition, (long long)next,
				 (long long)*lo, (long long)*hi,
				 RESTORE_TIMEOUT_MS / 1000);
			goto out;
		}
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				log_msg(SLUICE_LOG_WARN, t->who, "restore: %s",
					rd_kafka_message_errstr(m));
		} else if (m->offset >= next) {
			rlog_add(l, m);
			next = m->offset + 1;
		}
		rd_kafka_message_destroy(m);
	}
	rc = 0;
out:
	rd_kafka_consumer_close(rk);
	kafka_destroy_begin(&t->kv->restore_client, rk);
	return rc;
}

int task_state_open(struct sluice_task *t, char *err, size_t errlen)
{
	struct connector *c = t->conn;
	if (!task_state_wanted(c))
		return 0;
	if (c->cfg->transforms_n) {
		snprintf(err, errlen,
			 "a stateful transform cannot have a transforms: "
			 "chain (not supported yet)");
		return -1;
	}
	struct task_kv *kv = calloc(1, sizeof(*kv));
	if (!kv)
		abort();
	t->kv = kv;
	state_store_init(&kv->store, c->cfg->state.max_bytes);
	kv_map_init(&kv->dirty);
	kv_map_init(&kv->journal);
	snprintf(kv->topic, sizeof(kv->topic), "%s-state", c->group_id);
	kv->partition = t->id;
	kv->pos = rd_kafka_topic_partition_list_new(8);
	kv->committed = rd_kafka_topic_partition_list_new(8);
	origin_marks_init(&kv->marks);
	/* No topic is called "": the window is the host's own. */
	kv->own = tracker_get(&t->trackers, "", -1);
	t->quiet_window = (long)kv->own;
	kv->opened_ms = worker_now_ms();
	if (ensure_topic(t, err, errlen))
		return -1;

	int64_t started = worker_now_ms(), lo = 0, hi = 0;
	struct rlog l = {0};
	state_cut_init(&l.cut);
	if (read_changelog(t, &l, &lo, &hi, err, errlen)) {
		rlog_free(&l);
		return -1;
	}
	struct sluice_record *recs = calloc(l.n + 1, sizeof(*recs));
	if (!recs)
		abort();
	for (size_t i = 0; i < l.n; i++)
		recs[i] = (struct sluice_record){
			.key = l.v[i].key,
			.key_len = l.v[i].key_len,
			.value = l.v[i].value,
			.value_len = l.v[i].value_len,
			.headers = l.v[i].h,
			.header_count = l.v[i].hn,
		};
	char what[400];
	snprintf(what, sizeof(what),
		 "state changelog of connector %s task %d ('%s' partition %d)",
		 c->cfg->name, t->id, kv->topic, kv->partition);
	struct state_replay_info info;
	int rc = state_replay(recs, l.n, lo > 0, what, &kv->store, &info, err,
			      errlen);
	free(recs);
	size_t read = l.n, peak = l.max_bytes, held = l.bytes;
	rlog_free(&l);
	if (rc) {
		state_replay_info_free(&info);
		return -1;
	}
	rd_kafka_topic_partition_list_destroy(kv->committed);
	kv->committed = parse_positions(info.position, &kv->marks, t->who);
	if (info.after_marker && roll_back_in_log(t, &info)) {
		state_replay_info_free(&info);
		snprintf(err, errlen,
			 "%s: could not write the rolled back keys", what);
		return -1;
	}
	/* What was replayed counts as the last snapshot's size, and what
	 * the log holds past it (about what was read less the store) toward
	 * the next one: restarts that each add a tail must not push the last
	 * snapshot that counts out of a partition that keeps only its latest
	 * bytes. */
	kv->snapshot_size = (int64_t)state_store_bytes(&kv->store);
	kv->since_snapshot =
		held > (size_t)kv->snapshot_size
			? (int64_t)(held - (size_t)kv->snapshot_size)
			: 0;
	log_msg(SLUICE_LOG_INFO, t->who,
		"state restored: %zu keys, %zu bytes, from %s offsets "
		"%lld..%lld (%zu records replayed%s, %zu keys rolled back to "
		"the last marker, at most %zu bytes held) in %lld ms; inputs "
		"resume at %s",
		state_store_count(&kv->store), state_store_bytes(&kv->store),
		kv->topic, (long long)lo, (long long)hi, read - info.start,
		info.from_snapshot ? " from a snapshot" : "", info.after_marker,
		peak, (long long)(worker_now_ms() - started),
		info.position ? info.position : "the group's offsets");
	if (kv->store.max_bytes > 0 &&
	    state_store_bytes(&kv->store) > (size_t)kv->store.max_bytes)
		log_msg(SLUICE_LOG_WARN, t->who,
			"the restored state (%zu bytes) is over "
			"state.max.bytes (%lld): puts that grow it will fail",
			state_store_bytes(&kv->store),
			(long long)kv->store.max_bytes);
	state_replay_info_free(&info);
	return 0;
}

/* Waits for the restore's consumer to be gone. */
static void restore_client_gone(struct sluice_task *t)
{
	kafka_destroy_wait(&t->kv->restore_client, 5000, t->who);
}

void task_state_free(struct sluice_task *t)
{
	struct task_kv *kv = t->kv;
	if (!kv)
		return;
	restore_client_gone(t);
	state_store_free(&kv->store);
	kv_map_free(&kv->dirty);
	kv_map_free(&kv->journal);
	origin_marks_free(&kv->marks);
	for (size_t i = 0; i < kv->epochs_n; i++)
		rd_kafka_topic_partition_list_destroy(kv->epochs[i].pos);
	if (kv->pos)
		rd_kafka_topic_partition_list_destroy(kv->pos);
	if (kv->committed)
		rd_kafka_topic_partition_list_destroy(kv->committed);
	free(kv->out_partitions);
	free(kv);
	t->kv = NULL;
}

/* ---- host functions ---- */

static int not_stateful(struct sluice_task *t, const char *fn)
{
	snprintf(t->call_error, sizeof(t->call_error),
		 "%s: plugin '%s' is not stateful (its descriptor does not "
		 "set SLUICE_PLUGIN_STATEFUL)",
		 fn, t->conn->plugin->name);
	return -1;
}

const void *task_state_get(struct sluice_task *t, const void *key,
			   size_t key_len, size_t *value_len)
{
	if (!t->kv || t->stage_plugin) {
		not_stateful(t, "state_get");
		return NULL;
	}
	return state_store_get(&t->kv->store, key, key_len, value_len);
}

/* Remembers a key's value before the first write of this call. */
static void journal(struct task_kv *kv, const void *key, size_t key_len)
{
	if (kv_map_find(&kv->journal, key, key_len))
		return;
	size_t n = 0;
	const void *v = state_store_get(&kv->store, key, key_len, &n);
	kv_map_set(&kv->journal, key, key_len, v, n, v != NULL);
}

int task_state_put(struct sluice_task *t, const void *key, size_t key_len,
		   const void *value, size_t value_len)
{
	struct task_kv *kv = t->kv;
	if (!kv || t->stage_plugin)
		return not_stateful(t, "state_put");
	if (state_check_key(key, key_len, t->call_error, sizeof(t->call_error)))
		return -1;
	/* Journal first: a refused put changes nothing, and the journal
	 * entry then just says "unchanged". */
	journal(kv, key, key_len);
	return state_store_put(&kv->store, key, key_len, value, value_len,
			       t->call_error, sizeof(t->call_error));
}

int task_state_delete(struct sluice_task *t, const void *key, size_t key_len)
{
	struct task_kv *kv = t->kv;
	if (!kv || t->stage_plugin)
		return not_stateful(t, "state_delete");
	if (state_check_key(key, key_len, t->call_error, sizeof(t->call_error)))
		return -1;
	journal(kv, key, key_len);
	return state_store_delete(&kv->store, key, key_len, t->call_error,
				  sizeof(t->call_error));
}

struct foreach_ctx {
	int (*fn)(void *ctx, const void *key, size_t key_len, const void *value,
		  size_t value_len);
	void *ctx;
};

static int foreach_one(void *p, const struct kv_slot *s)
{
	const struct foreach_ctx *f = p;
	return f->fn(f->ctx, s->key, s->key_len, s->value, s->value_len);
}

int task_state_foreach(struct sluice_task *t,
		       int (*fn)(void *ctx, const void *key, size_t key_len,
				 const void *value, size_t value_len),
		       void *ctx)
{
	if (!t->kv || t->stage_plugin)
		return not_stateful(t, "state_foreach");
	struct foreach_ctx f = {fn, ctx};
	return kv_map_foreach(&t->kv->store.map, foreach_one, &f);
}

/* ---- the changelog ---- */

/* Appends one record to the task's changelog partition. prev: the value
 * as of the last marker; prev_state 1 present, 0 absent, -1 no header;
 * tags: headers of the host's records (name, value, ..., NULL), or NULL. */
static int changelog_append(struct sluice_task *t, const void *key,
			    size_t key_len, const void *value, size_t value_len,
			    const void *prev, size_t prev_len, int prev_state,
			    const char *const *tags)
{
	struct task_kv *kv = t->kv;
	struct staged_record r = {
		.partition = kv->partition,
		.key = (void *)key,
		.key_len = key_len,
		.value = (void *)value,
		.value_len = value ? value_len : 0,
		.borrowed = 1,
	};
	if (prev_state >= 0 || tags) {
		r.headers = rd_kafka_headers_new(2);
		if (prev_state > 0)
			rd_kafka_header_add(r.headers, STATE_HDR_PREV, -1,
					    prev ? prev : "",
					    (ssize_t)prev_len);
		else if (prev_state == 0)
			rd_kafka_header_add(r.headers, STATE_HDR_PREV_ABSENT,
					    -1, "1", 1);
		for (size_t i = 0; tags && tags[i]; i += 2)
			rd_kafka_header_add(r.headers, tags[i], -1, tags[i + 1],
					    -1);
	}
	if (task_produce(t, kv->topic, &r, task_quiet_ref(t))) {
		if (r.headers)
			rd_kafka_headers_destroy(r.headers);
		return -1;
	}
	return 0;
}

struct roll_ctx {
	struct sluice_task *t;
	int rc;
};

static int roll_one(void *p, const struct kv_slot *s)
{
	struct roll_ctx *c = p;
	struct task_kv *kv = c->t->kv;
	size_t n = 0;
	const void *v = state_store_get(&kv->store, s->key, s->key_len, &n);
	kv->since_snapshot += (int64_t)(s->key_len + 2 * n);
	if (changelog_append(c->t, s->key, s->key_len, v, n, v, n, v ? 1 : 0,
			     NULL))
		return c->rc = -1;
	return 0;
}

/*
 * A crash leaves the changelog with records after its last marker, which
 * the restore rolled back in memory. In the log they stay, and the next
 * marker would make them look committed to a later restore: the keys
 * would come back with the values of inputs that are processed again.
 * So every rolled back key is written again with its value as of the
 * marker (itself as `prev`, so that a crash before the next marker rolls
 * it back to the same), followed by that marker again.
 */
static int roll_back_in_log(struct sluice_task *t,
			    const struct state_replay_info *info)
{
	struct roll_ctx c = {t, 0};
	kv_map_foreach(&info->rolled, roll_one, &c);
	if (c.rc)
		return -1;
	char *json = info->position
			     ? NULL
			     : positions_json(t->kv->committed, &t->kv->marks);
	const char *pos = info->position ? info->position : json;
	int rc = changelog_append(t, KEY(STATE_KEY_POSITION), pos, strlen(pos),
				  NULL, 0, -1, NULL);
	free(json);
	return rc;
}

struct end_ctx {
	struct sluice_task *t;
	int ok;
};

static int end_one(void *p, const struct kv_slot *j)
{
	struct end_ctx *e = p;
	struct task_kv *kv = e->t->kv;
	if (!e->ok) {
		/* Undo: back to the value before the call. */
		if (j->present)
			kv_map_set(&kv->store.map, j->key, j->key_len, j->value,
				   j->value_len, 1);
		else
			kv_map_remove(&kv->store.map, j->key, j->key_len);
		return 0;
	}
	/* The value at the epoch's start is kept (the key's first write in
	 * the epoch); the changelog gets the key's last value once, at the
	 * barrier (write_dirty). */
	if (!kv_map_find(&kv->dirty, j->key, j->key_len))
		kv_map_set(&kv->dirty, j->key, j->key_len, j->value,
			   j->value_len, j->present);
	kv->changed = 1;
	return 0;
}

/* The end of a plugin callback: its writes are kept for the epoch's
 * changelog (ok), or undone. */
static void end_call(struct sluice_task *t, int ok)
{
	struct task_kv *kv = t->kv;
	struct end_ctx e = {t, ok};
	kv_map_foreach(&kv->journal, end_one, &e);
	kv_map_clear(&kv->journal);
}

/* A process call that did not answer OK leaves no store writes behind. */
static void undo_call(struct sluice_task *t)
{
	end_call(t, 0);
}

/* Waits until Kafka acknowledged every record the task produced. 0, or
 * -1: a record was refused (the task failed) or the wait timed out. */
static int wait_acked(struct sluice_task *t)
{
	/* A flush, not a poll: a barrier waits for its records twice
	 * (outputs, then the marker), and would wait out linger.ms each
	 * time. */
	if (task_flush(t))
		return 0;
	if (t->delivery_failed) {
		task_fail(t, "%s", t->delivery_error);
		return -1;
	}
	log_msg(SLUICE_LOG_WARN, t->who,
		"state: records still unacknowledged after %lld ms; no "
		"position marker this time",
		(long long)t->conn->w->setup->worker.shutdown_timeout_ms);
	return -1;
}

struct snap_ctx {
	struct sluice_task *t;
	int rc;
};

/* No prev header: a snapshot entry's prev is its own value (state.c),
 * which halves a snapshot's bytes and spares a header list per entry. */
static int snap_one(void *p, const struct kv_slot *s)
{
	struct snap_ctx *c = p;
	if (changelog_append(c->t, s->key, s->key_len, s->value, s->value_len,
			     NULL, 0, -1, NULL))
		return c->rc = -1;
	return 0;
}

/* Right after a marker: every live entry between a begin and an end, so
 * that a restore may start there and the log before it may go. After an
 * epoch marker (epoch: its id) the begin names it, and the snapshot
 * counts once the epoch is confirmed (state.c latest_snapshot): input
 * need not stop for it. */
static int write_snapshot(struct sluice_task *t, const char *position,
			  const char *epoch)
{
	struct task_kv *kv = t->kv;
	char id[64];
	snprintf(id, sizeof(id), "%lld-%llu", (long long)time(NULL),
		 (unsigned long long)++kv->snapshots);
	const char *tags[] = {STATE_HDR_POSITION, position, STATE_HDR_EPOCH,
			      epoch, NULL};
	if (!epoch)
		tags[2] = NULL;
	if (changelog_append(t, KEY(STATE_KEY_SNAP_BEGIN), id, strlen(id), NULL,
			     0, -1, tags))
		return -1;
	struct snap_ctx c = {t, 0};
	kv_map_foreach(&kv->store.map, snap_one, &c);
	if (c.rc || changelog_append(t, KEY(STATE_KEY_SNAP_END), id, strlen(id),
				     NULL, 0, -1, NULL))
		return -1;
	log_msg(SLUICE_LOG_DEBUG, t->who,
		"state: snapshot %s of %zu keys (%zu bytes) after %lld "
		"changelog bytes",
		id, state_store_count(&kv->store),
		state_store_bytes(&kv->store), (long long)kv->since_snapshot);
	kv->since_snapshot = 0;
	kv->snapshot_size = (int64_t)state_store_bytes(&kv->store);
	return 0;
}

struct dirty_ctx {
	struct sluice_task *t;
	int rc;
};

static int dirty_one(void *p, const struct kv_slot *d)
{
	struct dirty_ctx *c = p;
	struct task_kv *kv = c->t->kv;
	size_t n = 0;
	const void *now = state_store_get(&kv->store, d->key, d->key_len, &n);
	if ((now != NULL) == d->present &&
	    (!now || (n == d->value_len && !memcmp(now, d->value, n))))
		return 0; /* back to where the epoch began */
	kv->since_snapshot += (int64_t)(d->key_len + n + d->value_len);
	if (changelog_append(c->t, d->key, d->key_len, now, n, d->value,
			     d->value_len, d->present, NULL))
		return c->rc = -1;
	return 0;
}

/* Every key the epoch changed, once, with its value now and, as `prev`,
 * its value at the epoch's start: a key written a thousand times between
 * two markers costs the changelog one record. */
static int write_dirty(struct sluice_task *t)
{
	struct dirty_ctx c = {t, 0};
	kv_map_foreach(&t->kv->dirty, dirty_one, &c);
	return c.rc;
}

/* The assigned inputs with a known position, for the group. */
static rd_kafka_topic_partition_list_t *
known_positions(const rd_kafka_topic_partition_list_t *pos)
{
	rd_kafka_topic_partition_list_t *c =
		rd_kafka_topic_partition_list_new(pos->cnt);
	for (int i = 0; i < pos->cnt; i++)
		if (pos->elems[i].offset >= 0)
			rd_kafka_topic_partition_list_add(
				c, pos->elems[i].topic, pos->elems[i].partition)
				->offset = pos->elems[i].offset;
	return c;
}

static void epochs_clear(struct task_kv *kv)
{
	for (size_t i = 0; i < kv->epochs_n; i++)
		rd_kafka_topic_partition_list_destroy(kv->epochs[i].pos);
	kv->epochs_n = 0;
}

/* Never more snapshot than changelog: a store larger than
 * state.snapshot.bytes is written again only once as much changelog
 * followed its last snapshot, so snapshots at most double what the task
 * writes, and a restore reads at most twice the store. */
static int snapshot_due(const struct sluice_task *t)
{
	int64_t due = t->conn->cfg->state.snapshot_bytes;
	if (t->kv->snapshot_size > due)
		due = t->kv->snapshot_size;
	return t->kv->since_snapshot > due;
}

/* The waiting barrier: the epoch's changelog written, everything
 * produced so far acknowledged, then a position marker, then the same
 * offsets to the group; a new epoch begins, and a snapshot when due. For
 * the end of a run and for snapshots (which must follow a marker that
 * counts). 0, or -1 (no marker written; the task failed if Kafka refused
 * a record). */
static int checkpoint(struct sluice_task *t)
{
	struct task_kv *kv = t->kv;
	if (write_dirty(t) || wait_acked(t))
		return -1;
	char *json = positions_json(kv->pos, &kv->marks);
	if (changelog_append(t, KEY(STATE_KEY_POSITION), json, strlen(json),
			     NULL, 0, -1, NULL) ||
	    wait_acked(t)) {
		free(json);
		return -1;
	}
	rd_kafka_topic_partition_list_t *c = known_positions(kv->pos);
	/* The marker is what counts; the group's offsets show the lag. */
	task_commit(t, c);
	rd_kafka_topic_partition_list_destroy(kv->committed);
	kv->committed = c;
	epochs_clear(kv); /* this marker is later than theirs */
	kv_map_clear(&kv->dirty);
	kv->changed = 0;
	kv->markers++;
	log_msg(SLUICE_LOG_DEBUG, t->who, "state: marker %s", json);
	int rc = snapshot_due(t) ? write_snapshot(t, json, NULL) : 0;
	free(json);
	return rc;
}

/* The barrier without the wait: the epoch's changelog, then an epoch
 * marker with the positions, and input goes on at once. The marker
 * counts once confirm_epochs saw everything before it acknowledged; a
 * snapshot due follows it. EPOCHS_MAX markers waiting take the waiting
 * barrier instead. 0, or -1 (the task must stop). */
static int mark_epoch(struct sluice_task *t)
{
	struct task_kv *kv = t->kv;
	/* A snapshot counts once its epoch is confirmed: while an earlier
	 * one waits, the next goes through the waiting barrier, so that the
	 * log past the last snapshot that counts stays near two snapshots
	 * and their changelog (a broker that keeps only a partition's latest
	 * bytes must still hold it for a restore). */
	int snapshot = snapshot_due(t), waiting = 0;
	for (size_t i = 0; snapshot && i < kv->epochs_n; i++)
		waiting |= kv->epochs[i].snapshot;
	if (kv->epochs_n == EPOCHS_MAX || waiting)
		return checkpoint(t) && atomic_load(&t->state_) != TASK_RUNNING
			       ? -1
			       : 0;
	if (write_dirty(t))
		return -1;
	struct epoch *e = &kv->epochs[kv->epochs_n];
	snprintf(e->id, sizeof(e->id), "%lld.%llu", (long long)kv->opened_ms,
		 (unsigned long long)++kv->epoch_n);
	char *json = positions_json(kv->pos, &kv->marks);
	const char *tags[] = {STATE_HDR_EPOCH, e->id, NULL};
	int rc = changelog_append(t, KEY(STATE_KEY_EPOCH), json, strlen(json),
				  NULL, 0, -1, tags);
	/* The snapshot follows its epoch marker at once, so that its
	 * entries are the store as of that marker (a waiting barrier for it
	 * stopped input for hundreds of ms: silver's p99 latency). */
	if (!rc && snapshot)
		rc = write_snapshot(t, json, e->id);
	free(json);
	if (rc)
		return -1;
	e->own_mark = (int64_t)t->trackers.v[kv->own].next_seq - 1;
	e->confirm_mark = -1;
	e->snapshot = snapshot;
	e->pos = known_positions(kv->pos);
	kv->epochs_n++;
	kv_map_clear(&kv->dirty);
	kv->changed = 0;
	kv->markers++;
	log_msg(SLUICE_LOG_DEBUG, t->who,
		"state: epoch %s marked, %zu waiting for their confirm", e->id,
		kv->epochs_n);
	return 0;
}

/* Everything produced before the epoch marker is acknowledged: its
 * changelog and the host's other records, and the outputs of every
 * input before its positions. */
static int epoch_acked(struct sluice_task *t, const struct epoch *e)
{
	if (!tracker_acked_below(&t->trackers, t->kv->own, e->own_mark + 1))
		return 0;
	for (int i = 0; i < e->pos->cnt; i++) {
		const rd_kafka_topic_partition_t *p = &e->pos->elems[i];
		long w = tracker_find(&t->trackers, p->topic, p->partition);
		if (w >= 0 &&
		    !tracker_acked_below(&t->trackers, (size_t)w, p->offset))
			return 0;
	}
	return 1;
}

/* The epoch markers whose records are all acknowledged get their
 * confirm record, in order; once a confirm is acknowledged its offsets
 * go to the group (never before: a restore that finds no confirmed
 * marker for a partition starts at the group's offset). 0, or -1. */
static int confirm_epochs(struct sluice_task *t)
{
	struct task_kv *kv = t->kv;
	for (size_t i = 0; i < kv->epochs_n; i++) {
		struct epoch *e = &kv->epochs[i];
		if (e->confirm_mark >= 0)
			continue;
		if (!epoch_acked(t, e))
			break;
		if (changelog_append(t, KEY(STATE_KEY_CONFIRM), e->id,
				     strlen(e->id), NULL, 0, -1, NULL))
			return -1;
		e->confirm_mark = (int64_t)t->trackers.v[kv->own].next_seq - 1;
	}
	while (kv->epochs_n && kv->epochs[0].confirm_mark >= 0 &&
	       tracker_acked_below(&t->trackers, kv->own,
				   kv->epochs[0].confirm_mark + 1)) {
		struct epoch *e = &kv->epochs[0];
		task_commit_async(t, e->pos);
		log_msg(SLUICE_LOG_DEBUG, t->who,
			"state: epoch %s confirmed, %zu more waiting", e->id,
			kv->epochs_n - 1);
		rd_kafka_topic_partition_list_destroy(kv->committed);
		kv->committed = e->pos;
		memmove(kv->epochs, kv->epochs + 1,
			--kv->epochs_n * sizeof(*kv->epochs));
	}
	return 0;
}

/* ---- input partitions by number ---- */

static rd_kafka_topic_partition_t *
find_part(const rd_kafka_topic_partition_list_t *l, const char *topic,
	  int32_t partition)
{
	return rd_kafka_topic_partition_list_find(l, topic, partition);
}

/* Task i of n reads partition p of every input topic when p % n == i,
 * from the marker's offset, else the group's, else auto.offset.reset. */
static int assign_inputs(struct sluice_task *t)
{
	struct task_kv *kv = t->kv;
	int n = t->conn->tasks_n;
	rd_kafka_topic_partition_list_t *a = task_own_partitions(t);
	if (!a)
		return -1;
	rd_kafka_topic_partition_list_t *g =
		rd_kafka_topic_partition_list_copy(a);
	if (g->cnt && rd_kafka_committed(t->consumer, g, 10000))
		log_msg(SLUICE_LOG_WARN, t->who,
			"state: the group's committed offsets are unknown");
	for (int i = 0; i < a->cnt; i++) {
		rd_kafka_topic_partition_t *e = &a->elems[i];
		const rd_kafka_topic_partition_t *m =
			find_part(kv->committed, e->topic, e->partition);
		if (m && m->offset >= 0)
			e->offset = m->offset;
		else if (g->elems[i].offset >= 0)
			e->offset = g->elems[i].offset;
	}
	rd_kafka_topic_partition_list_destroy(g);
	rd_kafka_topic_partition_list_destroy(kv->pos);
	kv->pos = rd_kafka_topic_partition_list_copy(a);
	/* Unknown ones start where auto.offset.reset says. */
	for (int i = 0; i < a->cnt; i++)
		if (a->elems[i].offset < 0)
			a->elems[i].offset = RD_KAFKA_OFFSET_STORED;
	rd_kafka_resp_err_t e = rd_kafka_assign(t->consumer, a);
	if (e) {
		task_fail(t, "assign: %s", rd_kafka_err2str(e));
		rd_kafka_topic_partition_list_destroy(a);
		return -1;
	}
	t->assigned_once = 1;
	log_msg(SLUICE_LOG_INFO, t->who,
		"assigned %d partition%s (partition %% %d == %d)", a->cnt,
		a->cnt == 1 ? "" : "s", n, t->id);
	const struct sluice_plugin *p = t->conn->plugin;
	int rc = 0;
	if (p->assign) {
		struct sluice_partition *pp =
			calloc((size_t)a->cnt + 1, sizeof(*pp));
		if (!pp)
			abort();
		for (int i = 0; i < a->cnt; i++)
			pp[i] = (struct sluice_partition){
				a->elems[i].topic, a->elems[i].partition,
				kv->pos->elems[i].offset};
		t->call_error[0] = '\0';
		enum sluice_status st =
			p->assign(t->state, t, pp, (size_t)a->cnt);
		free(pp);
		if (st == SLUICE_FATAL) {
			end_call(t, 0);
			task_fail(t, "assign failed: %s", t->call_error);
			rc = -1;
		} else {
			end_call(t, 1);
		}
	}
	rd_kafka_topic_partition_list_destroy(a);
	return rc;
}

/* ---- the task loop ---- */

/* The position past an input that is done with. */
static void move_past(struct task_kv *kv, const struct sluice_record *in)
{
	/* Inputs come in runs from one partition: the last one's place is
	 * looked at first (a search compares topic names, and gold reads 64
	 * partitions). */
	rd_kafka_topic_partition_t *e = NULL;
	if (kv->pos_hint < kv->pos->cnt) {
		e = &kv->pos->elems[kv->pos_hint];
		if (e->partition != in->partition ||
		    strcmp(e->topic, in->topic))
			e = NULL;
	}
	if (!e) {
		e = find_part(kv->pos, in->topic, in->partition);
		if (!e)
			e = rd_kafka_topic_partition_list_add(
				kv->pos, in->topic, in->partition);
		kv->pos_hint = (int)(e - kv->pos->elems);
	}
	e->offset = in->offset + 1;
	kv->changed = 1;
}

/* An input an upstream task sent again after its restart: its state and
 * outputs are already here. */
static void drop_replayed(struct sluice_task *t, const struct sluice_record *in)
{
	struct task_kv *kv = t->kv;
	if (!kv->replayed++)
		log_msg(SLUICE_LOG_INFO, t->who,
			"dropping records already processed, sent again by "
			"a restarted upstream task (first: %s[%d]@%lld)",
			in->topic, in->partition, (long long)in->offset);
	atomic_fetch_add(&t->counters.in, 1);
	metrics_counter_add(t, "sluice_replayed_records_dropped_total", NULL,
			    1);
	move_past(kv, in);
}

/* One input record: the plugin (retried as asked), its writes to the
 * store, its emits to the producer, the position past it. */
static int process_one(struct sluice_task *t, const rd_kafka_message_t *m)
{
	struct task_kv *kv = t->kv;
	struct sluice_record in;
	task_record_from_message(m, &in, kv->hdrs, HEADERS_MAX);
	if (origin_marks_seen(&kv->marks, &in)) {
		drop_replayed(t, &in);
		return 0;
	}
	size_t idx = tracker_get(&t->trackers, in.topic, in.partition);
	uint64_t seq = tracker_push(&t->trackers, idx, in.offset, NULL, 1);
	void *ref = tracker_ref(idx, seq);
	atomic_fetch_add(&t->counters.in, 1);
	int rc = 0;
	enum sluice_status st = task_process_retrying(t, &in, undo_call);
	if (st == SLUICE_REJECT) {
		rc = task_reject_record(t, &in, "process",
					t->call_error[0] ? t->call_error
							 : "rejected");
		goto done;
	}
	if (st != SLUICE_OK) {
		rc = -1;
		goto release;
	}
	end_call(t, 1);
	rc = task_produce_staged(t, kv->out_partitions, &in, idx, ref);
done:
	if (rc == 0)
		move_past(kv, &in);
release:
	if (rc == 0)
		tracker_ack(&t->trackers, ref);
	return rc;
}

static int run_tick(struct sluice_task *t)
{
	const struct sluice_plugin *p = t->conn->plugin;
	t->call_error[0] = '\0';
	t->staging_open = 1;
	enum sluice_status st =
		p->tick(t->state, t, (int64_t)time(NULL) * 1000);
	t->staging_open = 0;
	if (st == SLUICE_FATAL) {
		task_staged_clear(t);
		end_call(t, 0);
		task_fail(t, "tick failed: %s", t->call_error);
		return -1;
	}
	end_call(t, st == SLUICE_OK);
	return task_produce_untracked(t);
}

/* For triggered runs: the offset committed with the last marker. A
 * partition with nothing to read counts as done at its end. */
static int64_t state_committed(struct sluice_task *t, const char *topic,
			       int32_t partition)
{
	const rd_kafka_topic_partition_t *e =
		find_part(t->kv->committed, topic, partition);
	if (e && e->offset >= 0)
		return e->offset;
	int64_t lo, hi;
	if (!rd_kafka_get_watermark_offsets(t->consumer, topic, partition, &lo,
					    &hi) &&
	    lo == hi)
		return hi;
	return -1;
}

void *task_state_main(void *arg)
{
	struct sluice_task *t = arg;
	struct task_kv *kv = t->kv;
	restore_client_gone(t);
	const struct sluice_plugin *p = t->conn->plugin;
	int64_t interval = t->conn->cfg->state.commit_interval_ms;
	int64_t next_marker = worker_now_ms() + interval;
	int64_t next_lag = next_marker;
	int64_t next_tick = worker_now_ms() + 1000;
	int64_t next_confirm = 0;
	int finished = 0, failed = 0;
	int since_marker = 0; /* inputs read since the last marker */
	kv->out_partitions = task_output_partitions(t);
	/* What open() wrote belongs to the first epoch. */
	end_call(t, 1);
	if (assign_inputs(t))
		failed = 1;
	while (!failed && !atomic_load(&t->stop) &&
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
		int bound = t->conn->cfg->state.commit_records, rc = 0;
		/* Up to DRAIN_MAX records a round: the round's own work
		 * (delivery reports, clock, markers, trigger) once. */
		rd_kafka_message_t *m =
			task_consumer_poll(t, trigger_poll_ms(t, 50));
		for (int k = 1; m; k++) {
			if (!m->err) {
				rc = process_one(t, m);
				since_marker++;
			} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				log_msg(SLUICE_LOG_WARN, t->who, "consume: %s",
					rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			if (rc || k == DRAIN_MAX ||
			    (bound && since_marker >= bound) ||
			    t->trackers.pending_total >= INFLIGHT_MAX ||
			    t->delivery_failed)
				break;
			m = rd_kafka_consumer_poll(t->consumer, 0);
		}
		if (rc)
			break;
		int64_t now = worker_now_ms();
		if (now >= next_marker || (bound && since_marker >= bound)) {
			if (kv->changed && mark_epoch(t))
				break;
			next_marker = worker_now_ms() + interval;
			since_marker = 0;
		}
		if (kv->epochs_n && now >= next_confirm) {
			if (confirm_epochs(t))
				break;
			next_confirm = now + 5;
		}
		if (now >= next_lag) {
			task_update_lag(t);
			next_lag = now + interval;
		}
		if (p->tick && now >= next_tick) {
			next_tick = now + 1000;
			if (run_tick(t))
				break;
		}
		/* The final marker flushes what is in flight: the end of a
		 * run waits neither for the acknowledgements nor for the
		 * epochs' confirms (a confirm cycle is a linger and a round
		 * trip, two of them per epoch). */
		if (!atomic_load(&t->trigger_done) && trigger_consumed_all(t)) {
			if (!(kv->changed || kv->epochs_n) || !checkpoint(t))
				atomic_store(&t->trigger_done,
					     trigger_committed_all(
						     t, state_committed));
		}
		if (atomic_load(&t->trigger_done) && trigger_siblings_done(t)) {
			finished = 1;
			break;
		}
	}
	if (finished && p->tick)
		run_tick(t);
	/* The final marker: only from a task that did not fail, whose
	 * store matches its positions. */
	if (atomic_load(&t->state_) == TASK_RUNNING &&
	    (kv->changed || kv->epochs_n))
		checkpoint(t);
	task_leave_group(t);
	/* What the last tick emitted (a plugin's coalesced rows) is out
	 * before the task says it finished. */
	rd_kafka_flush(t->producer,
		       (int)t->conn->w->setup->worker.shutdown_timeout_ms);
	if (rd_kafka_outq_len(t->producer) > 0)
		log_msg(SLUICE_LOG_WARN, t->who,
			"stopped with %d produced records not acknowledged "
			"within shutdown.timeout",
			rd_kafka_outq_len(t->producer));
	if (atomic_load(&t->state_) == TASK_RUNNING)
		atomic_store(&t->state_,
			     finished ? TASK_FINISHED : TASK_STOPPED);
	log_msg(SLUICE_LOG_DEBUG, t->who,
		"state: %llu markers, %llu snapshots, %zu keys, %llu "
		"replayed inputs dropped",
		(unsigned long long)kv->markers,
		(unsigned long long)kv->snapshots,
		state_store_count(&kv->store),
		(unsigned long long)kv->replayed);
	return NULL;
}
