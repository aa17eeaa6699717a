/*
 * window.c - the duplicate-suppression window of transform-silver
 * (window.h): the ids in a ring in insertion order (for eviction) with an
 * index by id (for lookups), stored in chunks in the host's state store.
 */
#include "window.h"

#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "rows.h"

#define ENTRY_LEN 32		   /* seq, time, hash, watermark */
#define ENTRY_HEAD (ENTRY_LEN + 2) /* and the id's length */

static const char *slot_id(const struct silver_slot *s)
{
	return s->big ? s->big : s->small;
}

static void slot_clear(struct silver_slot *s)
{
	free(s->big);
	s->big = NULL;
}

/* ---- the index: ring positions by id ---- */

/* The index cell of id: its own, or the empty one where it would go. */
static size_t *index_cell(struct silver_window *w, const char *id, size_t len)
{
	size_t mask = w->index_cap - 1;
	size_t i = (size_t)silver_hash(id, len) & mask;

	for (;; i = (i + 1) & mask) {
		size_t *e = &w->index[i];
		const struct silver_slot *s;

		if (!*e)
			return e;
		s = &w->ring[*e - 1];
		if (s->len == len && !memcmp(slot_id(s), id, len))
			return e;
	}
}

/* Twice the ring's capacity, so that the index is at most half full. */
static int index_build(struct silver_window *w)
{
	size_t cap = 64, *v;

	while (cap < 2 * w->cap)
		cap *= 2;
	v = calloc(cap, sizeof *v);
	if (!v)
		return -1;
	free(w->index);
	w->index = v;
	w->index_cap = cap;
	for (size_t k = 0; k < w->n; k++) {
		size_t pos = (w->head + k) & (w->cap - 1);
		const struct silver_slot *s = &w->ring[pos];

		*index_cell(w, slot_id(s), s->len) = pos + 1;
	}
	return 0;
}

/* Backward-shift deletion, so that lookups never stop early. */
static void index_remove(struct silver_window *w, size_t pos)
{
	const struct silver_slot *s = &w->ring[pos];
	size_t mask = w->index_cap - 1;
	size_t *e = index_cell(w, slot_id(s), s->len);
	size_t hole = (size_t)(e - w->index);

	if (!*e)
		return;
	*e = 0;
	for (size_t j = (hole + 1) & mask; w->index[j]; j = (j + 1) & mask) {
		const struct silver_slot *o = &w->ring[w->index[j] - 1];
		size_t home = (size_t)silver_hash(slot_id(o), o->len) & mask;

		if (((j - home) & mask) >= ((j - hole) & mask)) {
			w->index[hole] = w->index[j];
			w->index[j] = 0;
			hole = j;
		}
	}
}

/* ---- the ring ---- */

static int ring_push(struct silver_window *w, const struct silver_slot *in,
		     const char *id)
{
	struct silver_slot *s;
	size_t pos;
	int grown = 0;

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
		grown = 1;
	}
	pos = (w->head + w->n) & (w->cap - 1);
	s = &w->ring[pos];
	*s = *in;
	s->big = NULL;
	if (in->len < sizeof s->small) {
		memcpy(s->small, id, in->len);
	} else {
		s->big = malloc(in->len);
		if (!s->big)
			return -1;
		memcpy(s->big, id, in->len);
	}
	w->n++;
	if (grown) /* positions moved */
		return index_build(w);
	*index_cell(w, id, in->len) = pos + 1;
	return 0;
}

/* ---- chunks in the store ---- */

static size_t chunk_key(struct silver_window *w, uint64_t no)
{
	w->key[0] = 'w';
	w->key[1] = ':';
	return (size_t)(jbuf_dec(w->key + 2, (int64_t)no) - w->key);
}

static uint64_t chunk_of(uint64_t seq)
{
	return seq / SILVER_CHUNK_IDS;
}

/* Appends the entry of s (its id: id) to w->chunk. */
static int chunk_add(struct silver_window *w, const struct silver_slot *s,
		     const char *id)
{
	size_t need = w->chunk_len + ENTRY_HEAD + s->len;
	unsigned char *p;

	if (need > w->chunk_cap) {
		size_t cap = w->chunk_cap ? w->chunk_cap * 2 : 4096;

		while (cap < need)
			cap *= 2;
		p = realloc(w->chunk, cap);
		if (!p)
			return -1;
		w->chunk = p;
		w->chunk_cap = cap;
	}
	p = w->chunk + w->chunk_len;
	silver_put_u64(p, s->seq);
	silver_put_u64(p + 8, (uint64_t)s->time_us);
	silver_put_u64(p + 16, s->hash);
	silver_put_u64(p + 24, (uint64_t)s->wm);
	p[32] = (unsigned char)(s->len & 0xff);
	p[33] = (unsigned char)(s->len >> 8);
	memcpy(p + ENTRY_HEAD, id, s->len);
	w->chunk_len = need;
	return 0;
}

/* w->chunk as chunk `no` holds it: the ring's entries of that chunk. */
static int chunk_fill(struct silver_window *w, uint64_t no)
{
	w->chunk_len = 0;
	w->chunk_no = no;
	w->have_chunk = 1;
	for (size_t k = 0; k < w->n; k++) {
		const struct silver_slot *s =
			&w->ring[(w->head + k) & (w->cap - 1)];

		if (chunk_of(s->seq) == no && chunk_add(w, s, slot_id(s)))
			return -1;
	}
	return 0;
}

static int chunk_put(struct silver_window *w)
{
	return w->h->state_put(w->t, w->key, chunk_key(w, w->chunk_no),
			       w->chunk, w->chunk_len);
}

/* ---- eviction ---- */

static int evict_front(struct silver_window *w)
{
	struct silver_slot *s = &w->ring[w->head];
	uint64_t no = chunk_of(s->seq);

	index_remove(w, w->head);
	slot_clear(s);
	w->head = (w->head + 1) & (w->cap - 1);
	w->n--;
	/* A chunk goes with its last id. */
	if (w->n && chunk_of(w->ring[w->head].seq) == no)
		return 0;
	if (w->have_chunk && w->chunk_no == no)
		w->have_chunk = 0;
	return w->h->state_delete(w->t, w->key, chunk_key(w, no));
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

/* ---- open ---- */

struct found {
	struct silver_slot *v;
	size_t n, cap;
	int oom;
	size_t legacy; /* entries of older stores' "t:" keys */
};

static int found_add(struct found *f, const unsigned char *v, const char *id,
		     size_t len)
{
	struct silver_slot *s;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;
		struct silver_slot *nv = realloc(f->v, cap * sizeof *nv);

		if (!nv)
			return f->oom = 1;
		f->v = nv;
		f->cap = cap;
	}
	s = &f->v[f->n];
	s->seq = silver_get_u64(v);
	s->time_us = (int64_t)silver_get_u64(v + 8);
	s->hash = silver_get_u64(v + 16);
	s->wm = (int64_t)silver_get_u64(v + 24);
	s->len = (uint32_t)len;
	/* The key is borrowed for this call only. */
	s->big = malloc(len ? len : 1);
	if (!s->big)
		return f->oom = 1;
	memcpy(s->big, id, len);
	f->n++;
	return 0;
}

static int collect(void *ctx, const void *key, size_t key_len,
		   const void *value, size_t value_len)
{
	const unsigned char *v = value;
	struct found *f = ctx;
	const char *k = key;
	size_t off = 0;

	if (key_len < 3 || k[1] != ':')
		return 0;
	if (k[0] == 't') {
		/* (silver never wrote an id longer than SILVER_ID_MAX) */
		if (value_len != ENTRY_LEN || key_len - 2 > SILVER_ID_MAX)
			return 0;
		f->legacy++;
		return found_add(f, v, k + 2, key_len - 2);
	}
	if (k[0] != 'w')
		return 0;
	while (off + ENTRY_HEAD <= value_len) {
		size_t len = (size_t)v[off + 32] | (size_t)v[off + 33] << 8;

		if (off + ENTRY_HEAD + len > value_len)
			break; /* cut short: what came before stands */
		if (found_add(f, v + off, (const char *)v + off + ENTRY_HEAD,
			      len))
			return 1;
		off += ENTRY_HEAD + len;
	}
	return 0;
}

/* An older store's "t:" entries become chunks: every chunk of the ring
 * is written, then the old keys go (every id of the ring came from one:
 * stores are converted whole, at the first open that sees them). */
static int convert_legacy(struct silver_window *w)
{
	size_t k = 0;

	while (k < w->n) {
		uint64_t no =
			chunk_of(w->ring[(w->head + k) & (w->cap - 1)].seq);

		if (chunk_fill(w, no) || chunk_put(w))
			return -1;
		while (k < w->n &&
		       chunk_of(w->ring[(w->head + k) & (w->cap - 1)].seq) ==
			       no)
			k++;
	}
	for (k = 0; k < w->n; k++) {
		const struct silver_slot *s =
			&w->ring[(w->head + k) & (w->cap - 1)];

		w->key[0] = 't';
		w->key[1] = ':';
		memcpy(w->key + 2, slot_id(s), s->len);
		if (w->h->state_delete(w->t, w->key, s->len + 2))
			return -1;
	}
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
	if (f.oom)
		goto oom;
	if (f.n)
		qsort(f.v, f.n, sizeof *f.v, by_seq);
	for (size_t k = 0; k < f.n; k++)
		if (ring_push(w, &f.v[k], f.v[k].big))
			goto oom;
	if (f.n) {
		const struct silver_slot *last = &f.v[f.n - 1];

		w->next_seq = last->seq + 1;
		w->have_watermark = last->wm != INT64_MIN;
		w->watermark_us = w->have_watermark ? last->wm : 0;
	}
	if (f.legacy && convert_legacy(w))
		goto finalize;
	if (evict(w))
		goto finalize;
	/* The newest chunk, to append to. */
	if (w->n &&
	    chunk_fill(
		    w,
		    chunk_of(w->ring[(w->head + w->n - 1) & (w->cap - 1)].seq)))
		goto oom;
	rc = 0;
	goto finalize;
oom:
	h->set_error(t, "out of memory restoring the dedup window");
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
	free(w->index);
	free(w->chunk);
	memset(w, 0, sizeof *w);
}

int silver_window_seen(struct silver_window *w, const char *id, size_t len,
		       uint64_t *hash)
{
	size_t *e;

	if (!w->index)
		return 0;
	e = index_cell(w, id, len);
	if (!*e)
		return 0;
	*hash = w->ring[*e - 1].hash;
	return 1;
}

int silver_window_add(struct silver_window *w, const char *id, size_t len,
		      int has_time, int64_t time_us, uint64_t hash)
{
	struct silver_slot s = {0};

	if (has_time && (!w->have_watermark || time_us > w->watermark_us)) {
		w->watermark_us = time_us;
		w->have_watermark = 1;
	}
	if (!has_time)
		time_us = w->have_watermark ? w->watermark_us : 0;
	s.seq = w->next_seq;
	s.time_us = time_us;
	s.hash = hash;
	s.wm = w->have_watermark ? w->watermark_us : INT64_MIN;
	s.len = (uint32_t)len;
	if (!w->have_chunk || w->chunk_no != chunk_of(s.seq)) {
		w->chunk_len = 0;
		w->chunk_no = chunk_of(s.seq);
		w->have_chunk = 1;
	}
	if (chunk_add(w, &s, id)) {
		w->h->set_error(w->t, "out of memory");
		return -1;
	}
	if (chunk_put(w))
		return -1;
	w->next_seq = s.seq + 1;
	if (ring_push(w, &s, id)) {
		w->h->set_error(w->t, "out of memory");
		return -1;
	}
	return evict(w);
}
