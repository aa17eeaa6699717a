/*
 * offsets.c - the source offset store (see offsets.h).
 */
#include "offsets.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

void offsets_init(struct offset_store *s, const char *topic)
{
	*s = (struct offset_store){0};
	pthread_mutex_init(&s->lock, NULL);
	s->topic = xstrdup(topic);
}

void offsets_free(struct offset_store *s)
{
	kafka_destroy_wait(&s->reader, 5000, NULL);
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].connector);
		free(s->v[i].source_partition);
		free(s->v[i].position);
	}
	free(s->v);
	free(s->topic);
	pthread_mutex_destroy(&s->lock);
}

static struct offset_entry *find(struct offset_store *s, const char *connector,
				 const char *spart)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].connector, connector) &&
		    !strcmp(s->v[i].source_partition, spart))
			return &s->v[i];
	return NULL;
}

char *offsets_get(struct offset_store *s, const char *connector,
		  const char *source_partition)
{
	pthread_mutex_lock(&s->lock);
	const struct offset_entry *e = find(s, connector, source_partition);
	char *r = e && e->position ? xstrdup(e->position) : NULL;
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* With the lock held. position NULL removes the entry's position. */
static void set_locked(struct offset_store *s, const char *connector,
		       const char *spart, const char *position)
{
	struct offset_entry *e = find(s, connector, spart);
	if (!e) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 16;
			s->v = realloc(s->v, s->cap * sizeof(*s->v));
			if (!s->v)
				abort();
		}
		e = &s->v[s->n++];
		*e = (struct offset_entry){.connector = xstrdup(connector),
					   .source_partition = xstrdup(spart)};
	}
	free(e->position);
	e->position = position ? xstrdup(position) : NULL;
}

void offsets_set(struct offset_store *s, const char *connector,
		 const char *source_partition, const char *position)
{
	pthread_mutex_lock(&s->lock);
	set_locked(s, connector, source_partition, position);
	pthread_mutex_unlock(&s->lock);
}

char *offsets_key(const char *connector, const char *source_partition)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, json_object_new_string(connector));
	json_object_array_add(a, json_object_new_string(source_partition));
	char *r = xstrdup(json_object_to_json_string_ext(
		a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
	return r;
}

char *offsets_value(const char *position)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "position", json_object_new_string(position));
	char *r = xstrdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return r;
}

static json_object *parse_n(const char *s, size_t n)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, s, (int)n);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int offsets_parse(const char *key, size_t key_len, const char *value,
		  size_t value_len, char **connector, char **source_partition,
		  char **position)
{
	*connector = *source_partition = *position = NULL;
	json_object *k = key ? parse_n(key, key_len) : NULL;
	if (!k || !json_object_is_type(k, json_type_array) ||
	    json_object_array_length(k) != 2 ||
	    !json_object_is_type(json_object_array_get_idx(k, 0),
				 json_type_string) ||
	    !json_object_is_type(json_object_array_get_idx(k, 1),
				 json_type_string)) {
		json_object_put(k);
		return -1;
	}
	if (value) {
		json_object *v = parse_n(value, value_len);
		json_object *p = NULL;
		if (!v || !json_object_object_get_ex(v, "position", &p) ||
		    !json_object_is_type(p, json_type_string)) {
			json_object_put(v);
			json_object_put(k);
			return -1;
		}
		*position = xstrdup(json_object_get_string(p));
		json_object_put(v);
	}
	*connector = xstrdup(
		json_object_get_string(json_object_array_get_idx(k, 0)));
	*source_partition = xstrdup(
		json_object_get_string(json_object_array_get_idx(k, 1)));
	json_object_put(k);
	return 0;
}

rd_kafka_resp_err_t offsets_produce(struct offset_store *s,
				    rd_kafka_t *producer, const char *connector,
				    const char *source_partition,
				    const char *position, void *opaque)
{
	char *key = offsets_key(connector, source_partition);
	char *value = offsets_value(position);
	rd_kafka_resp_err_t err =
		rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(s->topic),
				  RD_KAFKA_V_KEY(key, strlen(key)),
				  RD_KAFKA_V_VALUE(value, strlen(value)),
				  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				  RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
	free(key);
	free(value);
	return err;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Applies one record of the offsets topic; unreadable ones are skipped
 * (another writer's format), which loses nothing of ours. */
static void apply(struct offset_store *s, const rd_kafka_message_t *m)
{
	char *c, *sp, *pos;
	if (offsets_parse(m->key, m->key_len, m->payload, m->len, &c, &sp,
			  &pos) != 0)
		return;
	pthread_mutex_lock(&s->lock);
	set_locked(s, c, sp, pos);
	pthread_mutex_unlock(&s->lock);
	free(c);
	free(sp);
	free(pos);
}

int offsets_load(struct offset_store *s, const rd_kafka_conf_t *conf,
		 int timeout_ms, char *err, size_t errlen)
{
	char e[512];
	rd_kafka_conf_t *c = rd_kafka_conf_dup(conf);
	rd_kafka_conf_set(c, "enable.partition.eof", "true", NULL, 0);
	rd_kafka_conf_set(c, "enable.auto.commit", "false", NULL, 0);
	/* The end of a partition shows as an empty fetch: not held for
	 * the default half second, at every start. */
	rd_kafka_conf_set(c, "fetch.wait.max.ms", "10", NULL, 0);
	/* consumer_poll needs a group; assign() never joins it. */
	rd_kafka_conf_set(c, "group.id", "sluice-offsets-reader", NULL, 0);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, e, sizeof(e));
	if (!rk) {
		rd_kafka_conf_destroy(c);
		snprintf(err, errlen, "offsets consumer: %s", e);
		return -1;
	}
	int rc = -1;
	int64_t deadline = now_ms() + timeout_ms;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, s->topic, NULL);
	rd_kafka_resp_err_t kerr =
		rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
	rd_kafka_topic_destroy(rkt);
	if (kerr) {
		snprintf(err, errlen, "offsets topic '%s': metadata: %s",
			 s->topic, rd_kafka_err2str(kerr));
		goto out;
	}
	if (md->topic_cnt != 1 || md->topics[0].err) {
		snprintf(err, errlen, "offsets topic '%s': %s", s->topic,
			 md->topic_cnt ? rd_kafka_err2str(md->topics[0].err)
				       : "not found");
		goto out;
	}
	int np = md->topics[0].partition_cnt;
	rd_kafka_topic_partition_list_t *parts =
		rd_kafka_topic_partition_list_new(np);
	int remaining = 0;
	for (int p = 0; p < np; p++) {
		int64_t lo, hi;
		kerr = rd_kafka_query_watermark_offsets(rk, s->topic, p, &lo,
							&hi, timeout_ms);
		if (kerr) {
			snprintf(err, errlen,
				 "offsets topic '%s' [%d]: watermarks: %s",
				 s->topic, p, rd_kafka_err2str(kerr));
			rd_kafka_topic_partition_list_destroy(parts);
			goto out;
		}
		if (hi > lo) {
			rd_kafka_topic_partition_list_add(parts, s->topic, p)
				->offset = lo;
			remaining++;
		}
	}
	if (remaining)
		rd_kafka_assign(rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	while (remaining > 0) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			snprintf(err, errlen,
				 "offsets topic '%s': not read to its end "
				 "within %d ms",
				 s->topic, timeout_ms);
			goto out;
		}
		rd_kafka_message_t *m = rd_kafka_consumer_poll(
			rk, left > 200 ? 200 : (int)left);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			remaining--;
		else if (!m->err)
			apply(s, m);
		rd_kafka_message_destroy(m);
	}
	rc = 0;
out:
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_consumer_close(rk);
	kafka_destroy_wait(&s->reader, 5000, NULL); /* an earlier load's */
	kafka_destroy_begin(&s->reader, rk);
	return rc;
}
