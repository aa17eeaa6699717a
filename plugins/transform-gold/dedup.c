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
	d->ring = calloc(window, sizeof *d->ring);
	return d->ring ? 0 : -1;
}

static void free_found(struct gold_dedup *d)
{
	for (size_t k = 0; k < d->nfound; k++)
		free(d->found[k].key);
	free(d->found);
	d->found = NULL;
	d->nfound = d->capfound = 0;
}

void gold_dedup_free(struct gold_dedup *d)
{
	if (d->ring)
		for (size_t k = 0; k < d->window; k++)
			free(d->ring[k].key);
	free(d->ring);
	d->ring = NULL;
	free_found(d);
}

int gold_dedup_collect(struct gold_dedup *d, const void *key, size_t key_len,
		       const void *value, size_t value_len)
{
	const char *k = key, *v = value;
	uint64_t seq = 0;
	struct gold_dedup_found *f;

	if (key_len < 2 || k[0] != d->prefix || k[1] != ':')
		return 0;
	if (value_len == 0 || value_len > 20)
		return -1;
	for (size_t i = 0; i < value_len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		seq = seq * 10 + (uint64_t)(v[i] - '0');
	}
	if (d->nfound == d->capfound) {
		size_t cap = d->capfound ? d->capfound * 2 : 1024;

		f = realloc(d->found, cap * sizeof *f);
		if (!f)
			return -1;
		d->found = f;
		d->capfound = cap;
	}
	f = &d->found[d->nfound];
	f->key = malloc(key_len);
	if (!f->key)
		return -1;
	memcpy(f->key, key, key_len);
	f->len = key_len;
	f->seq = seq;
	d->nfound++;
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	const struct gold_dedup_found *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

int gold_dedup_restore(struct gold_dedup *d, struct sluice_task *t,
		       const struct sluice_host *h)
{
	size_t drop = d->nfound > d->window ? d->nfound - d->window : 0;
	int rc = 0;

	qsort(d->found, d->nfound, sizeof *d->found, by_seq);
	for (size_t k = 0; k < d->nfound; k++) {
		struct gold_dedup_found *f = &d->found[k];
		struct gold_dedup_slot *s = &d->ring[f->seq % d->window];

		if (k < drop || s->key) {
			/* Older than a smaller window holds. */
			if (!rc && h->state_delete(t, f->key, f->len))
				rc = -1;
			continue;
		}
		s->key = f->key;
		s->len = f->len;
		f->key = NULL;
	}
	if (d->nfound)
		d->next = d->found[d->nfound - 1].seq + 1;
	free_found(d);
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

	(void)d;
	return h->state_get(t, k, len, &vlen) != NULL;
}

int gold_dedup_add(struct gold_dedup *d, struct sluice_task *t,
		   const struct sluice_host *h, const char *k, size_t len)
{
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
	d->next++;
	return 0;
}
