/*
 * dedup.c - see dedup.h.
 */
#include "dedup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gold_dedup_init(struct gold_dedup *d, char prefix, size_t window)
{
	memset(d, 0, sizeof *d);
	d->prefix = prefix;
	d->window = window;
	if (!window)
		return 0; /* off */
	d->ring = calloc(window, sizeof *d->ring);
	return d->ring ? 0 : -1;
}

static void free_drop(struct gold_dedup *d)
{
	for (size_t k = 0; k < d->ndrop; k++)
		free(d->drop[k].key);
	free(d->drop);
	d->drop = NULL;
	d->ndrop = d->capdrop = 0;
}

void gold_dedup_free(struct gold_dedup *d)
{
	if (d->ring)
		for (size_t k = 0; k < d->window; k++)
			free(d->ring[k].key);
	free(d->ring);
	d->ring = NULL;
	free_drop(d);
}

/* To be deleted from the store at restore (the slot is handed over). */
static int drop_later(struct gold_dedup *d, const struct gold_dedup_slot *s)
{
	if (d->ndrop == d->capdrop) {
		size_t cap = d->capdrop ? d->capdrop * 2 : 64;
		struct gold_dedup_slot *v = realloc(d->drop, cap * sizeof *v);

		if (!v)
			return -1;
		d->drop = v;
		d->capdrop = cap;
	}
	d->drop[d->ndrop++] = *s;
	return 0;
}

int gold_dedup_collect(struct gold_dedup *d, const void *key, size_t key_len,
		       const void *value, size_t value_len)
{
	const char *k = key, *v = value;
	struct gold_dedup_slot s = {0}, *at;

	if (key_len < 2 || k[0] != d->prefix || k[1] != ':')
		return 0;
	if (value_len == 0 || value_len > 19)
		return -1;
	for (size_t i = 0; i < value_len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		s.seq = s.seq * 10 + (uint64_t)(v[i] - '0');
	}
	s.key = malloc(key_len);
	if (!s.key)
		return -1;
	memcpy(s.key, key, key_len);
	s.len = key_len;
	if (s.seq + 1 > d->next)
		d->next = s.seq + 1;
	if (!d->window) /* off now: the ids kept before go */
		return drop_later(d, &s) ? (free(s.key), -1) : 0;
	at = &d->ring[s.seq % d->window];
	/* Two ids in one slot: the window was larger; the older goes. */
	if (at->key && at->seq > s.seq)
		return drop_later(d, &s) ? (free(s.key), -1) : 0;
	if (at->key && drop_later(d, at)) {
		free(s.key);
		return -1;
	}
	*at = s;
	return 0;
}

int gold_dedup_restore(struct gold_dedup *d, struct sluice_task *t,
		       const struct sluice_host *h)
{
	int rc = 0;

	/* Also out: ids that did not collide but are older than the
	 * window now is. */
	for (size_t k = 0; k < d->window; k++) {
		struct gold_dedup_slot *s = &d->ring[k];

		if (s->key && s->seq + d->window < d->next) {
			if (drop_later(d, s))
				rc = -1;
			else
				*s = (struct gold_dedup_slot){0};
		}
	}
	for (size_t k = 0; k < d->ndrop && !rc; k++)
		if (h->state_delete(t, d->drop[k].key, d->drop[k].len))
			rc = -1;
	if (rc)
		h->set_error(t, "dedup window: could not drop old ids from "
				"the store (or out of memory)");
	free_drop(d);
	return rc;
}

size_t gold_dedup_key(const struct gold_dedup *d, char *k, size_t cap,
		      const void *id, size_t id_len)
{
	if (id_len + 2 > cap)
		return 0;
	k[0] = d->prefix;
	k[1] = ':';
	memcpy(k + 2, id, id_len);
	return id_len + 2;
}

int gold_dedup_seen(const struct gold_dedup *d, struct sluice_task *t,
		    const struct sluice_host *h, const char *k, size_t len)
{
	size_t vlen;

	return d->window && h->state_get(t, k, len, &vlen) != NULL;
}

int gold_dedup_add(struct gold_dedup *d, struct sluice_task *t,
		   const struct sluice_host *h, const char *k, size_t len)
{
	if (!d->window)
		return 0;
	struct gold_dedup_slot *s = &d->ring[d->next % d->window];
	char seq[24];
	int n = snprintf(seq, sizeof seq, "%llu", (unsigned long long)d->next);
	char *copy = malloc(len);

	if (!copy) {
		h->set_error(t, "out of memory");
		return -1;
	}
	memcpy(copy, k, len);
	if (s->key) {
		if (h->state_delete(t, s->key, s->len)) {
			free(copy);
			return -1;
		}
		free(s->key);
		s->key = NULL;
	}
	if (h->state_put(t, k, len, seq, (size_t)n)) {
		free(copy);
		return -1;
	}
	s->key = copy;
	s->len = len;
	s->seq = d->next++;
	return 0;
}
