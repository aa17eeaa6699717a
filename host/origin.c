/*
 * origin.c - origin stamps (see origin.h).
 */
#include "origin.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kafka's longest topic name. */
#define TOPIC_NAME_MAX 249
/* Room for "topic/partition/offset/ordinal": the name and three numbers
 * of at most 20 bytes each. */
#define STAMP_MAX (TOPIC_NAME_MAX + 3 * 21)
/* "in_topic/in_partition origin_topic/origin_partition" */
#define MARK_KEY_MAX (2 * (TOPIC_NAME_MAX + 21) + 1)

/* Decimal v at w (no terminator); the end. Stamps and mark keys are
 * made for every record: snprintf's format parsing was ~2% of a
 * stateful task's time. */
static char *put_i64(char *w, int64_t v)
{
	char d[20];
	int n = 0;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		d[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*w++ = '-';
	while (n)
		*w++ = d[--n];
	return w;
}

/* "name/partition" at w; the end, or NULL when the name is longer than
 * a Kafka topic name can be (so the result fits in STAMP_MAX). */
static char *put_topic_partition(char *w, const char *name, size_t len,
				 int32_t partition)
{
	if (len > TOPIC_NAME_MAX)
		return NULL;
	memcpy(w, name, len);
	w += len;
	*w++ = '/';
	return put_i64(w, partition);
}

void origin_stamp_set(rd_kafka_headers_t **headers,
		      const struct sluice_record *in, int64_t ordinal)
{
	char v[STAMP_MAX];
	char *w = put_topic_partition(v, in->topic, strlen(in->topic),
				      in->partition);
	if (!w)
		return; /* not a Kafka topic name; stays unstamped */
	*w++ = '/';
	w = put_i64(w, in->offset);
	*w++ = '/';
	w = put_i64(w, ordinal);
	size_t n = (size_t)(w - v);
	if (!*headers)
		*headers = rd_kafka_headers_new(1);
	else
		rd_kafka_header_remove(*headers, ORIGIN_HEADER);
	rd_kafka_header_add(*headers, ORIGIN_HEADER, -1, v, (ssize_t)n);
}

/* The decimal digits at p[*i..len) (at least one, no overflow), *i
 * moved past them. 0, or -1. */
static int number(const char *p, size_t len, size_t *i, int64_t *out)
{
	size_t j = *i;
	int64_t v = 0;
	for (; j < len && p[j] >= '0' && p[j] <= '9'; j++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (p[j] - '0');
	}
	if (j == *i)
		return -1;
	*out = v;
	*i = j;
	return 0;
}

/* A '/' at p[*i], *i moved past it. 0, or -1. */
static int slash(const char *p, size_t len, size_t *i)
{
	if (*i >= len || p[*i] != '/')
		return -1;
	(*i)++;
	return 0;
}

int origin_stamp_of(const struct sluice_record *r, struct origin_stamp *s)
{
	const struct sluice_header *h = NULL;
	for (size_t i = 0; i < r->header_count; i++)
		if (!strcmp(r->headers[i].name, ORIGIN_HEADER))
			h = &r->headers[i];
	if (!h || !h->value)
		return 0;
	const char *p = h->value;
	size_t len = h->value_len, i = 0;
	while (i < len && p[i] != '/')
		i++;
	if (i == 0)
		return 0;
	s->topic = p;
	s->topic_len = i;
	int64_t part;
	if (slash(p, len, &i) || number(p, len, &i, &part) ||
	    part > INT32_MAX || slash(p, len, &i) ||
	    number(p, len, &i, &s->offset) || slash(p, len, &i) ||
	    number(p, len, &i, &s->ordinal) || i != len)
		return 0;
	s->partition = (int32_t)part;
	return 1;
}

void origin_marks_init(struct origin_marks *m)
{
	kv_map_init(&m->map);
}

void origin_marks_free(struct origin_marks *m)
{
	kv_map_free(&m->map);
}

int origin_marks_seen(struct origin_marks *m, const struct sluice_record *r)
{
	struct origin_stamp s;
	if (!origin_stamp_of(r, &s))
		return 0;
	char key[MARK_KEY_MAX];
	char *w = put_topic_partition(key, r->topic, strlen(r->topic),
				      r->partition);
	if (!w)
		return 0;
	*w++ = ' ';
	w = put_topic_partition(w, s.topic, s.topic_len, s.partition);
	if (!w)
		return 0;
	size_t n = (size_t)(w - key);
	int64_t mark[2] = {s.offset, s.ordinal};
	/* Updated in place: the value is always the two numbers, and a
	 * kv_map_set would allocate on every record. */
	struct kv_slot *slot = (struct kv_slot *)kv_map_find(&m->map, key, n);
	if (!slot) {
		kv_map_set(&m->map, key, n, mark, sizeof(mark), 1);
		return 0;
	}
	int64_t have[2];
	memcpy(have, slot->value, sizeof(have));
	if (s.offset < have[0] || (s.offset == have[0] && s.ordinal <= have[1]))
		return 1;
	memcpy(slot->value, mark, sizeof(mark));
	return 0;
}

static int mark_to_json(void *ctx, const struct kv_slot *s)
{
	int64_t v[2];
	memcpy(v, s->value, sizeof(v));
	json_object *a = json_object_new_array_ext(2);
	json_object_array_add(a, json_object_new_int64(v[0]));
	json_object_array_add(a, json_object_new_int64(v[1]));
	json_object_object_add(ctx, s->key, a);
	return 0;
}

void origin_marks_to_json(const struct origin_marks *m, json_object *marker)
{
	if (!m->map.n)
		return;
	json_object *o = json_object_new_object();
	kv_map_foreach(&m->map, mark_to_json, o);
	json_object_object_add(marker, ORIGIN_MARKER_KEY, o);
}

int origin_marks_from_json(struct origin_marks *m, json_object *marker,
			   char *err, size_t errlen)
{
	kv_map_clear(&m->map);
	json_object *o;
	if (!json_object_object_get_ex(marker, ORIGIN_MARKER_KEY, &o))
		return 0;
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "'%s' is not an object",
			 ORIGIN_MARKER_KEY);
		return -1;
	}
	json_object_object_foreach(o, key, a)
	{
		if (!json_object_is_type(a, json_type_array) ||
		    json_object_array_length(a) != 2 || !strchr(key, ' ')) {
			snprintf(err, errlen, "'%s' entry '%s' is malformed",
				 ORIGIN_MARKER_KEY, key);
			kv_map_clear(&m->map);
			return -1;
		}
		int64_t v[2] = {
			json_object_get_int64(json_object_array_get_idx(a, 0)),
			json_object_get_int64(json_object_array_get_idx(a, 1))};
		kv_map_set(&m->map, key, strlen(key), v, sizeof(v), 1);
	}
	return 0;
}
