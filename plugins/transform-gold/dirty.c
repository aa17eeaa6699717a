/*
 * dirty.c - an insertion-ordered set of store keys (FNV-1a, linear
 * probing). It holds at most one entry per gold row, so it is bounded by
 * the number of groups, never by the number of events.
 */
#include "dirty.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* The slot holding key, or the empty slot where it belongs. */
static size_t find(const struct gold_dirty *d, const char *key, size_t len)
{
	size_t mask = d->slots - 1, i = (size_t)hash(key, len) & mask;
	for (;;) {
		uint32_t at = d->index[i];
		if (!at)
			return i;
		const struct gold_dirty_key *e = &d->v[at - 1];
		if (e->len == len && !memcmp(e->key, key, len))
			return i;
		i = (i + 1) & mask;
	}
}

static int grow(struct gold_dirty *d)
{
	size_t slots = d->slots ? d->slots * 2 : 64;
	uint32_t *index = calloc(slots, sizeof(*index));
	struct gold_dirty_key *v = realloc(d->v, (slots / 2) * sizeof(*d->v));
	if (!index || !v) {
		free(index);
		if (v)
			d->v = v;
		return -1;
	}
	free(d->index);
	d->v = v;
	d->cap = slots / 2;
	d->index = index;
	d->slots = slots;
	for (size_t k = 0; k < d->n; k++)
		d->index[find(d, d->v[k].key, d->v[k].len)] = (uint32_t)k + 1;
	return 0;
}

int gold_dirty_mark(struct gold_dirty *d, const char *key, size_t len,
		    int64_t ts_ms)
{
	if (d->n == d->cap && grow(d))
		return -1;
	size_t i = find(d, key, len);
	if (d->index[i]) {
		struct gold_dirty_key *e = &d->v[d->index[i] - 1];
		if (ts_ms > e->ts_ms)
			e->ts_ms = ts_ms;
		return 0;
	}
	struct gold_dirty_key *e = &d->v[d->n];
	e->key = malloc(len ? len : 1);
	if (!e->key)
		return -1;
	memcpy(e->key, key, len);
	e->len = len;
	e->ts_ms = ts_ms;
	d->index[i] = (uint32_t)++d->n;
	return 0;
}

void gold_dirty_clear(struct gold_dirty *d)
{
	for (size_t k = 0; k < d->n; k++)
		free(d->v[k].key);
	d->n = 0;
	if (d->index)
		memset(d->index, 0, d->slots * sizeof(*d->index));
}

void gold_dirty_free(struct gold_dirty *d)
{
	gold_dirty_clear(d);
	free(d->v);
	free(d->index);
	*d = (struct gold_dirty){0};
}
