/*
 * rest_tables.c - GET /sluice/tables/{topic}?limit=N&sort=FIELD&order=
 * asc|desc: a topic of the pipeline read as a table, the latest value
 * per key (upserts, as the gold topics hold them; a null value deletes
 * the key), for the pipeline page's gold panel and revenue chart.
 *
 * Each request reads the topic from its low to its high watermarks (as
 * they were when it began) with a consumer of its own that commits
 * nothing, within TABLE_WAIT_MS and TABLE_BYTES_MAX, and says
 * "truncated": true when it stopped early. Only topics the worker's
 * connectors read or write can be asked for, so the API shows nothing
 * else of the cluster (offsets, state changelogs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "rest_internal.h"
#include "worker.h"

#define TABLE_LIMIT_DEFAULT 20
#define TABLE_LIMIT_MAX 1000
#define TABLE_WAIT_MS 10000
#define TABLE_BYTES_MAX (64 * 1024 * 1024)
#define TABLE_KEYS_MAX 100000
#define TOPIC_NAME_MAX 249

static int topic_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > TOPIC_NAME_MAX || !strcmp(t, ".") || !strcmp(t, ".."))
		return 0;
	for (const char *p = t; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
			    "YZ0123456789._-",
			    *p))
			return 0;
	return 1;
}

/* limit: digits only, 1..TABLE_LIMIT_MAX; -1 when not. */
static int parse_limit(const char *s)
{
	if (!s)
		return TABLE_LIMIT_DEFAULT;
	size_t n = strlen(s);
	if (n == 0 || n > 4 || strspn(s, "0123456789") != n)
		return -1;
	int v = atoi(s);
	return v >= 1 && v <= TABLE_LIMIT_MAX ? v : -1;
}

/* What one read of a topic found. */
struct table_read {
	struct json_object *rows; /* key -> value, in first-seen order */
	int keys;
	int truncated;
	char err[512];
};

/* The value as JSON, or as a string when it is not JSON. */
static struct json_object *value_json(const rd_kafka_message_t *m)
{
	struct json_tokener *tok = json_tokener_new_ex(32);
	if (!tok)
		abort();
	struct json_object *v =
		json_tokener_parse_ex(tok, m->payload, (int)m->len);
	int ok = v && json_tokener_get_error(tok) == json_tokener_success &&
		 json_tokener_get_parse_end(tok) == m->len;
	json_tokener_free(tok);
	if (ok)
		return v;
	json_object_put(v);
	return json_object_new_string_len(m->payload, (int)m->len);
}

static void keep(struct table_read *r, const rd_kafka_message_t *m)
{
	char key[1024];
	if (m->key && m->key_len < sizeof(key) &&
	    !memchr(m->key, '\0', m->key_len)) {
		memcpy(key, m->key, m->key_len);
		key[m->key_len] = '\0';
	} else {
		/* No usable key: every such record is a row of its own. */
		snprintf(key, sizeof(key), "\001%d:%lld", (int)m->partition,
			 (long long)m->offset);
	}
	if (!m->payload) {
		if (json_object_object_get_ex(r->rows, key, NULL)) {
			json_object_object_del(r->rows, key);
			r->keys--;
		}
		return;
	}
	if (m->len > (size_t)TABLE_BYTES_MAX)
		return;
	if (!json_object_object_get_ex(r->rows, key, NULL)) {
		if (r->keys >= TABLE_KEYS_MAX) {
			r->truncated = 1;
			return;
		}
		r->keys++;
	}
	json_object_object_add(r->rows, key, value_json(m));
}

/* The partitions of `topic` with something in them, each at its low
 * watermark; `ends` gets the high watermarks. */
static rd_kafka_topic_partition_list_t *
partitions(rd_kafka_t *rk, const char *topic,
	   rd_kafka_topic_partition_list_t **ends, struct table_read *r)
{
	const struct rd_kafka_metadata *md = NULL;
	/* All topics: asking for one could auto-create it. */
	rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, 5000);
	if (e) {
		snprintf(r->err, sizeof(r->err), "metadata: %s",
			 rd_kafka_err2str(e));
		return NULL;
	}
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(8);
	*ends = rd_kafka_topic_partition_list_new(8);
	for (int i = 0; i < md->topic_cnt; i++) {
		if (strcmp(md->topics[i].topic, topic))
			continue;
		for (int p = 0; p < md->topics[i].partition_cnt; p++) {
			int32_t id = md->topics[i].partitions[p].id;
			int64_t lo, hi;
			if (rd_kafka_query_watermark_offsets(rk, topic, id, &lo,
							     &hi, 5000) ||
			    hi <= lo)
				continue;
			rd_kafka_topic_partition_list_add(l, topic, id)
				->offset = lo;
			rd_kafka_topic_partition_list_add(*ends, topic, id)
				->offset = hi;
		}
	}
	rd_kafka_metadata_destroy(md);
	return l;
}

static int64_t end_of(const rd_kafka_topic_partition_list_t *ends, int32_t p)
{
	for (int i = 0; i < ends->cnt; i++)
		if (ends->elems[i].partition == p)
			return ends->elems[i].offset;
	return -1;
}

static int read_topic(struct worker *w, const char *topic, struct table_read *r)
{
	const char *extra[] = {
		"group.id", "sluice-tables-reader",	"enable.auto.commit",
		"false",    "enable.auto.offset.store", "false",
		NULL};
	rd_kafka_conf_t *conf = kafka_conf(&w->setup->worker, w->bootstraps,
					   extra, r->err, sizeof(r->err));
	if (!conf)
		return -1;
	rd_kafka_t *rk =
		rd_kafka_new(RD_KAFKA_CONSUMER, conf, r->err, sizeof(r->err));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	rd_kafka_topic_partition_list_t *ends = NULL;
	rd_kafka_topic_partition_list_t *l = partitions(rk, topic, &ends, r);
	int rc = l ? 0 : -1;
	int left = l ? l->cnt : 0;
	if (left && rd_kafka_assign(rk, l)) {
		snprintf(r->err, sizeof(r->err), "cannot read %s", topic);
		rc = -1;
		left = 0;
	}
	size_t bytes = 0;
	int64_t deadline = worker_now_ms() + TABLE_WAIT_MS;
	while (left > 0) {
		if (worker_now_ms() >= deadline || bytes > TABLE_BYTES_MAX) {
			r->truncated = 1;
			break;
		}
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		int64_t end = end_of(ends, m->partition);
		if (!m->err && m->offset < end) {
			bytes += m->len + m->key_len;
			keep(r, m);
			if (m->offset + 1 >= end)
				left--;
		}
		rd_kafka_message_destroy(m);
	}
	if (l)
		rd_kafka_topic_partition_list_destroy(l);
	if (ends)
		rd_kafka_topic_partition_list_destroy(ends);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return rc;
}

/* Ordering of rows by one member: absent members last, numbers before
 * strings, numbers by value, others by their JSON text. */
static const char *sort_field;
static int sort_desc;

static int cmp_rows(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a,
			   *y = *(struct json_object *const *)b, *u = NULL,
			   *v = NULL;
	int hu = json_object_is_type(x, json_type_object) &&
		 json_object_object_get_ex(x, sort_field, &u) && u;
	int hv = json_object_is_type(y, json_type_object) &&
		 json_object_object_get_ex(y, sort_field, &v) && v;
	if (!hu || !hv)
		return hv - hu;
	int nu = json_object_is_type(u, json_type_int) ||
		 json_object_is_type(u, json_type_double);
	int nv = json_object_is_type(v, json_type_int) ||
		 json_object_is_type(v, json_type_double);
	int c;
	if (nu && nv) {
		double du = json_object_get_double(u),
		       dv = json_object_get_double(v);
		c = du < dv ? -1 : du > dv;
	} else if (nu != nv) {
		return nv - nu;
	} else {
		c = strcmp(json_object_get_string(u),
			   json_object_get_string(v));
	}
	return sort_desc ? -c : c;
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static struct json_object *rows_json(struct json_object *map, int limit,
				     const char *field, int desc)
{
	size_t n = (size_t)json_object_object_length(map), i = 0;
	struct json_object **v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		abort();
	json_object_object_foreach(map, key, val)
	{
		(void)key;
		v[i++] = val;
	}
	if (field) {
		/* qsort has no context argument in C11. */
		pthread_mutex_lock(&sort_lock);
		sort_field = field;
		sort_desc = desc;
		qsort(v, n, sizeof(*v), cmp_rows);
		pthread_mutex_unlock(&sort_lock);
	}
	struct json_object *a = json_object_new_array();
	for (i = 0; i < n && i < (size_t)limit; i++)
		json_object_array_add(a, json_object_get(v[i]));
	free(v);
	return a;
}

void rest_table(struct rest_req *q, struct rest_resp *o, const char *topic)
{
	if (!topic_ok(topic)) {
		rest_error(o, MHD_HTTP_BAD_REQUEST,
			   "'%.80s' is not a topic name (1 to 249 of "
			   "[a-zA-Z0-9._-])",
			   topic);
		return;
	}
	int limit = parse_limit(rest_arg(q, "limit"));
	if (limit < 0) {
		rest_error(o, MHD_HTTP_BAD_REQUEST,
			   "limit: expected an integer from 1 to %d",
			   TABLE_LIMIT_MAX);
		return;
	}
	const char *field = rest_arg(q, "sort"), *order = rest_arg(q, "order");
	if (field && (!*field || strlen(field) > 128)) {
		rest_error(o, MHD_HTTP_BAD_REQUEST,
			   "sort: expected a member name of 1 to 128 bytes");
		return;
	}
	if (order && strcmp(order, "asc") && strcmp(order, "desc")) {
		rest_error(o, MHD_HTTP_BAD_REQUEST,
			   "order: expected asc or desc");
		return;
	}
	if (!rest_pipeline_has_topic(q->r->w, topic)) {
		rest_error(o, MHD_HTTP_NOT_FOUND,
			   "no connector of this worker reads or writes "
			   "topic '%s'",
			   topic);
		return;
	}
	struct table_read r = {.rows = json_object_new_object()};
	if (read_topic(q->r->w, topic, &r)) {
		rest_error(o, MHD_HTTP_SERVICE_UNAVAILABLE, "topic %s: %s",
			   topic, r.err);
		json_object_put(r.rows);
		return;
	}
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "topic", json_object_new_string(topic));
	json_object_object_add(j, "keys", json_object_new_int(r.keys));
	json_object_object_add(j, "truncated",
			       json_object_new_boolean(r.truncated));
	json_object_object_add(j, "rows",
			       rows_json(r.rows, limit, field,
					 order && !strcmp(order, "desc")));
	json_object_put(r.rows);
	rest_json(o, MHD_HTTP_OK, j);
}
