/*
 * tracker.c - in-order acknowledgement windows (see tracker.h).
 */
#include "tracker.h"

#include <stdlib.h>
#include <string.h>

/* A reference packs the window index in the top 24 bits and the low 40
 * bits of the entry's sequence below. 40 bits is far more than can ever
 * be in flight, so the full sequence is recovered relative to the head. */
#define SEQ_BITS 40
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

long tracker_find(struct tracker_set *s, const char *name, int32_t partition)
{
	/* Records come in runs from one partition: the last hit first. */
	size_t h = s->hint;
	if (h < s->n && s->v[h].used && s->v[h].partition == partition &&
	    !strcmp(s->v[h].name, name))
		return (long)h;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].used && s->v[i].partition == partition &&
		    !strcmp(s->v[i].name, name)) {
			s->hint = i;
			return (long)i;
		}
	return -1;
}

size_t tracker_get(struct tracker_set *s, const char *name, int32_t partition)
{
	long found = tracker_find(s, name, partition);
	if (found >= 0)
		return (size_t)found;
	size_t i = 0;
	while (i < s->n && s->v[i].used)
		i++;
	if (i == s->n) {
		struct tracker *v = realloc(s->v, (s->n + 1) * sizeof(*v));
		if (!v)
			abort();
		s->v = v;
		s->n++;
	}
	s->v[i] = (struct tracker){
		.used = 1,
		.name = xstrdup(name),
		.partition = partition,
		.cap = 64,
		.ring = xcalloc(64, sizeof(struct tracker_entry)),
	};
	return i;
}

static void grow(struct tracker *t)
{
	struct tracker_entry *r = xcalloc(t->cap * 2, sizeof(*r));
	for (size_t i = 0; i < t->count; i++)
		r[i] = t->ring[(t->head + i) % t->cap];
	free(t->ring);
	t->ring = r;
	t->head = 0;
	t->cap *= 2;
}

/* Pops every fully acknowledged entry at the front. */
static void advance(struct tracker *t)
{
	while (t->count && t->ring[t->head].pending == 0) {
		struct tracker_entry *e = &t->ring[t->head];
		t->has_done = 1;
		t->done_mark = e->mark;
		if (e->pos == 2) {
			free(t->done_position);
			t->done_position = e->p.heap;
			t->done_cap = strlen(e->p.heap) + 1;
		} else if (e->pos == 1) {
			size_t n = strlen(e->p.in) + 1;
			if (n > t->done_cap) {
				free(t->done_position);
				t->done_position = malloc(TRACKER_POS_INLINE);
				if (!t->done_position)
					abort();
				t->done_cap = TRACKER_POS_INLINE;
			}
			memcpy(t->done_position, e->p.in, n);
		}
		e->pos = 0;
		t->dirty = 1;
		t->head = (t->head + 1) % t->cap;
		t->count--;
	}
}

uint64_t tracker_push(struct tracker_set *s, size_t idx, int64_t mark,
		      const char *position, uint32_t pending)
{
	struct tracker *t = &s->v[idx];
	if (t->count == t->cap)
		grow(t);
	uint64_t seq = t->next_seq++;
	struct tracker_entry *e = &t->ring[(t->head + t->count) % t->cap];
	*e = (struct tracker_entry){
		.seq = seq, .pending = pending, .mark = mark};
	if (position) {
		size_t n = strlen(position) + 1;
		if (n <= TRACKER_POS_INLINE) {
			memcpy(e->p.in, position, n);
			e->pos = 1;
		} else {
			e->p.heap = xstrdup(position);
			e->pos = 2;
		}
	}
	t->count++;
	s->pending_total += pending;
	advance(t);
	return seq;
}

void tracker_add_pending(struct tracker_set *s, size_t idx, uint32_t n)
{
	struct tracker *t = &s->v[idx];
	if (!t->count)
		return;
	t->ring[(t->head + t->count - 1) % t->cap].pending += n;
	s->pending_total += n;
}

void *tracker_ref(size_t idx, uint64_t seq)
{
	return (void *)(uintptr_t)(((uint64_t)idx << SEQ_BITS) |
				   (seq & SEQ_MASK));
}

int tracker_acked_below(const struct tracker_set *s, size_t idx, int64_t mark)
{
	const struct tracker *t = &s->v[idx];
	return !t->count || t->ring[t->head].mark >= mark;
}

size_t tracker_ref_window(const void *ref)
{
	return (size_t)((uint64_t)(uintptr_t)ref >> SEQ_BITS);
}

void tracker_ack(struct tracker_set *s, void *ref)
{
	uint64_t r = (uint64_t)(uintptr_t)ref;
	size_t idx = (size_t)(r >> SEQ_BITS);
	if (idx >= s->n || !s->v[idx].used)
		return;
	struct tracker *t = &s->v[idx];
	if (!t->count)
		return;
	uint64_t head_seq = t->ring[t->head].seq;
	uint64_t off = ((r & SEQ_MASK) - (head_seq & SEQ_MASK)) & SEQ_MASK;
	if (off >= t->count)
		return;
	struct tracker_entry *e = &t->ring[(t->head + off) % t->cap];
	if (e->pending) {
		e->pending--;
		s->pending_total--;
	}
	advance(t);
}

static void tracker_free_one(struct tracker *t)
{
	for (size_t i = 0; i < t->count; i++) {
		struct tracker_entry *e = &t->ring[(t->head + i) % t->cap];
		if (e->pos == 2)
			free(e->p.heap);
	}
	free(t->ring);
	free(t->name);
	free(t->done_position);
}

void tracker_drop(struct tracker_set *s, size_t idx)
{
	struct tracker *t = &s->v[idx];
	for (size_t i = 0; i < t->count; i++)
		s->pending_total -= t->ring[(t->head + i) % t->cap].pending;
	tracker_free_one(t);
	*t = (struct tracker){0};
}

void tracker_set_free(struct tracker_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].used)
			tracker_free_one(&s->v[i]);
	free(s->v);
	*s = (struct tracker_set){0};
}
