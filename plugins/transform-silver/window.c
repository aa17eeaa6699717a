/*
 * window.c - the duplicate-suppression window of transform-silver
 * (window.h): lookups and inserts go to the host's state store; the ring
 * keeps the ids in insertion order for eviction.
 */
#include "window.h"

#include <stdlib.h>
#include <string.h>

#include "rows.h"

#define ENTRY_LEN 32

static size_t entry_key(struct silver_window *w, const char *id, size_t len)
{
	w->key[0] = 't';
	w->key[1] = ':';
	memcpy(w->key + 2, id, len);
	return len + 2;
}

static const char *slot_id(const struct silver_slot *s)
{
	return s->big ? s->big : s->small;
}

static void slot_clear(struct silver_slot *s)
{
	free(s->big);
	s->big = NULL;
}

/* Appends to the ring, growing it; -1 when out of memory. */
static int ring_push(struct silver_window *w, uint64_t seq, int64_t time_us,
		     const char *id, size_t len)
{
	struct silver_slot *s;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		struct silver_slot *v = calloc(cap, sizeof *v);

		if (!v)
			return -1;
		for (size_t k = 0; k < w->n; k++)
			v[k] = w->ring[(w->head + k) & (w->cap - 1)];
		free(w->ring);
		w->ring = v;
		w->cap = cap;
		w->head = 0;
	}
	s = &w->ring[(w->head + w->n) & (w->cap - 1)];
	s->seq = seq;
	s->time_us = time_us;
	s->len = (uint32_t)len;
	s->big = NULL;
	if (len < sizeof s->small) {
		memcpy(s->small, id, len);
	} else {
		s->big = malloc(len);
		if (!s->big)
			return -1;
		memcpy(s->big, id, len);
	}
	w->n++;
	return 0;
}

static int evict_front(struct silver_window *w)
{
	struct silver_slot *s = &w->ring[w->head];
	size_t klen = entry_key(w, slot_id(s), s->len);

	if (w->h->state_delete(w->t, w->key, klen))
		return -1;
	slot_clear(s);
	w->head = (w->head + 1) & (w->cap - 1);
	w->n--;
	return 0;
}

static int evict(struct silver_window *w)
{
	while (w->max_count && w->n > (uint64_t)w->max_count) {
		if (evict_front(w))
			return -1;
		w->evicted_count++;
	}
	/* The newest stays: its entry carries the watermark. */
	while (w->max_age_us && w->n > 1 && w->have_watermark &&
	       w->ring[w->head].time_us < w->watermark_us - w->max_age_us) {
		if (evict_front(w))
			return -1;
		w->evicted_time++;
	}
	return 0;
}

/* ---- restore ---- */

struct found {
	struct silver_slot *v;
	size_t n, cap;
	int oom;
	uint64_t max_seq;
	int64_t watermark_us; /* that of the entry with max_seq */
};

static int collect(void *ctx, const void *key, size_t key_len,
		   const void *value, size_t value_len)
{
	const unsigned char *v = value;
	struct found *f = ctx;
	const char *k = key;
	struct silver_slot *s;

	if (key_len < 3 || k[0] != 't' || k[1] != ':' || value_len != ENTRY_LEN)
		return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;
		struct silver_slot *nv = realloc(f->v, cap * sizeof *nv);

		if (!nv) {
			f->oom = 1;
			return 1;
		}
		f->v = nv;
		f->cap = cap;
	}
	s = &f->v[f->n];
	s->seq = silver_get_u64(v);
	s->time_us = (int64_t)silver_get_u64(v + 8);
	s->len = (uint32_t)(key_len - 2);
	/* The key is borrowed for this call only. */
	s->big = malloc(key_len - 2);
	if (!s->big) {
		f->oom = 1;
		return 1;
	}
	memcpy(s->big, k + 2, key_len - 2);
	if (f->n == 0 || s->seq > f->max_seq) {
		f->max_seq = s->seq;
		f->watermark_us = (int64_t)silver_get_u64(v + 24);
	}
	f->n++;
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	const struct silver_slot *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int silver_window_open(struct silver_window *w, const struct sluice_host *h,
		       struct sluice_task *t, int64_t max_count,
		       int64_t max_age_us)
{
	struct found f = {0};
	int rc = -1;

	memset(w, 0, sizeof *w);
	w->h = h;
	w->t = t;
	w->max_count = max_count;
	w->max_age_us = max_age_us;
	h->state_foreach(t, collect, &f);
	if (f.oom) {
		h->set_error(t, "out of memory restoring the dedup window");
		goto finalize;
	}
	if (f.n) {
		w->next_seq = f.max_seq + 1;
		w->have_watermark = f.watermark_us != INT64_MIN;
		w->watermark_us = w->have_watermark ? f.watermark_us : 0;
	}
	if (f.n)
		qsort(f.v, f.n, sizeof *f.v, by_seq);
	for (size_t k = 0; k < f.n; k++) {
		if (ring_push(w, f.v[k].seq, f.v[k].time_us, f.v[k].big,
			      f.v[k].len)) {
			h->set_error(t, "out of memory restoring the dedup "
					"window");
			goto finalize;
		}
	}
	rc = evict(w);
finalize:
	for (size_t k = 0; k < f.n; k++)
		free(f.v[k].big);
	free(f.v);
	return rc;
}

void silver_window_free(struct silver_window *w)
{
	for (size_t k = 0; k < w->n; k++)
		slot_clear(&w->ring[(w->head + k) & (w->cap - 1)]);
	free(w->ring);
	memset(w, 0, sizeof *w);
}

int silver_window_seen(struct silver_window *w, const char *id, size_t len,
		       uint64_t *hash)
{
	size_t vlen;
	const unsigned char *v =
		w->h->state_get(w->t, w->key, entry_key(w, id, len), &vlen);

	if (!v || vlen != ENTRY_LEN)
		return 0;
	*hash = silver_get_u64(v + 16);
	return 1;
}

int silver_window_add(struct silver_window *w, const char *id, size_t len,
		      int has_time, int64_t time_us, uint64_t hash)
{
	unsigned char v[ENTRY_LEN];
	uint64_t seq = w->next_seq;

	if (has_time && (!w->have_watermark || time_us > w->watermark_us)) {
		w->watermark_us = time_us;
		w->have_watermark = 1;
	}
	if (!has_time)
		time_us = w->have_watermark ? w->watermark_us : 0;
	silver_put_u64(v, seq);
	silver_put_u64(v + 8, (uint64_t)time_us);
	silver_put_u64(v + 16, hash);
	silver_put_u64(v + 24, (uint64_t)(w->have_watermark ? w->watermark_us
							    : INT64_MIN));
	if (w->h->state_put(w->t, w->key, entry_key(w, id, len), v, sizeof v))
		return -1;
	w->next_seq = seq + 1;
	if (ring_push(w, seq, time_us, id, len)) {
		w->h->set_error(w->t, "out of memory");
		return -1;
	}
	return evict(w);
}
