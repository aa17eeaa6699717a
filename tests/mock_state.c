/*
 * mock_state.c - see mock_state.h. Open addressing with linear probing
 * and backward-shift deletion, so a test with millions of keys stays
 * fast and a window that deletes as much as it inserts stays flat.
 */
#include "mock_state.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 1024
#define VALUE_MAX (1024 * 1024)

struct slot {
	char *key; /* NULL: empty */
	size_t key_len;
	char *value;
	size_t value_len;
	uint64_t hash;
};

struct mock_state {
	struct slot *v;
	size_t cap; /* power of two */
	size_t n;
	size_t bytes;
	size_t writes;
};

static void *xalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p) {
		fprintf(stderr, "mock_state: out of memory\n");
		abort();
	}
	return p;
}

static uint64_t hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct mock_state *mock_state_new(void)
{
	struct mock_state *s = xalloc(sizeof *s);

	s->cap = 64;
	s->v = xalloc(s->cap * sizeof(*s->v));
	return s;
}

static void free_slot(struct slot *e)
{
	free(e->key);
	free(e->value);
	*e = (struct slot){0};
}

void mock_state_clear(struct mock_state *s)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i].key)
			free_slot(&s->v[i]);
	s->n = 0;
	s->bytes = 0;
}

void mock_state_free(struct mock_state *s)
{
	if (!s)
		return;
	mock_state_clear(s);
	free(s->v);
	free(s);
}

static size_t find(const struct mock_state *s, const void *key, size_t len,
		   uint64_t h)
{
	size_t i = h & (s->cap - 1);

	while (s->v[i].key) {
		if (s->v[i].hash == h && s->v[i].key_len == len &&
		    memcmp(s->v[i].key, key, len) == 0)
			return i;
		i = (i + 1) & (s->cap - 1);
	}
	return i; /* the empty slot where it would go */
}

static void grow(struct mock_state *s)
{
	struct slot *old = s->v;
	size_t oldcap = s->cap;

	s->cap *= 2;
	s->v = xalloc(s->cap * sizeof(*s->v));
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].key)
			continue;
		size_t j = old[i].hash & (s->cap - 1);
		while (s->v[j].key)
			j = (j + 1) & (s->cap - 1);
		s->v[j] = old[i];
	}
	free(old);
}

static int check_key(const void *key, size_t len, char *err, size_t errlen)
{
	if (len == 0 || len > KEY_MAX) {
		snprintf(err, errlen,
			 "state key of %zu bytes: keys are 1..%d bytes", len,
			 KEY_MAX);
		return -1;
	}
	if (((const char *)key)[0] == '\0') {
		snprintf(err, errlen,
			 "state key starts with a NUL byte (reserved for the "
			 "host)");
		return -1;
	}
	return 0;
}

const void *mock_state_get(const struct mock_state *s, const void *key,
			   size_t key_len, size_t *value_len)
{
	if (!key || key_len == 0)
		return NULL;
	size_t i = find(s, key, key_len, hash(key, key_len));
	if (!s->v[i].key)
		return NULL;
	if (value_len)
		*value_len = s->v[i].value_len;
	return s->v[i].value;
}

int mock_state_put(struct mock_state *s, const void *key, size_t key_len,
		   const void *value, size_t value_len, char *err,
		   size_t errlen)
{
	if (check_key(key, key_len, err, errlen))
		return -1;
	if (value_len > VALUE_MAX) {
		snprintf(err, errlen,
			 "state value of %zu bytes: values are at most %d "
			 "bytes",
			 value_len, VALUE_MAX);
		return -1;
	}
	uint64_t h = hash(key, key_len);
	size_t i = find(s, key, key_len, h);
	char *copy = xalloc(value_len + 1);
	if (value_len)
		memcpy(copy, value, value_len);
	s->writes++;
	if (s->v[i].key) {
		s->bytes -= s->v[i].value_len;
		free(s->v[i].value);
		s->v[i].value = copy;
		s->v[i].value_len = value_len;
		s->bytes += value_len;
		return 0;
	}
	if ((s->n + 1) * 4 > s->cap * 3) {
		grow(s);
		i = find(s, key, key_len, h);
	}
	s->v[i].key = xalloc(key_len + 1);
	memcpy(s->v[i].key, key, key_len);
	s->v[i].key_len = key_len;
	s->v[i].value = copy;
	s->v[i].value_len = value_len;
	s->v[i].hash = h;
	s->n++;
	s->bytes += key_len + value_len;
	return 0;
}

int mock_state_delete(struct mock_state *s, const void *key, size_t key_len,
		      char *err, size_t errlen)
{
	if (check_key(key, key_len, err, errlen))
		return -1;
	s->writes++;
	size_t i = find(s, key, key_len, hash(key, key_len));
	if (!s->v[i].key)
		return 0;
	s->bytes -= s->v[i].key_len + s->v[i].value_len;
	free_slot(&s->v[i]);
	s->n--;
	/* Backward shift: pull later members of the probe run into the
	 * hole so lookups never stop early at it. */
	size_t hole = i, j = i;
	for (;;) {
		j = (j + 1) & (s->cap - 1);
		if (!s->v[j].key)
			break;
		size_t home = s->v[j].hash & (s->cap - 1);
		size_t dist_j = (j - home) & (s->cap - 1);
		size_t dist_hole = (j - hole) & (s->cap - 1);
		if (dist_j >= dist_hole) {
			s->v[hole] = s->v[j];
			s->v[j] = (struct slot){0};
			hole = j;
		}
	}
	return 0;
}

int mock_state_foreach(const struct mock_state *s,
		       int (*fn)(void *ctx, const void *key, size_t key_len,
				 const void *value, size_t value_len),
		       void *ctx)
{
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->v[i].key)
			continue;
		int rc = fn(ctx, s->v[i].key, s->v[i].key_len, s->v[i].value,
			    s->v[i].value_len);
		if (rc)
			return rc;
	}
	return 0;
}

size_t mock_state_count(const struct mock_state *s)
{
	return s->n;
}

size_t mock_state_bytes(const struct mock_state *s)
{
	return s->bytes;
}

size_t mock_state_writes(const struct mock_state *s)
{
	return s->writes;
}
