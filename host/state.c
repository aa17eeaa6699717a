/*
 * state.c - the in-memory state store and the changelog replay (see
 * state.h). Nothing here knows Kafka: task_state.c reads and writes the
 * changelog and calls these.
 */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static void *memdup0(const void *p, size_t n)
{
	char *q = xalloc(n + 1);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* Eight bytes a step, each mixed with a multiply, and murmur3's
 * finalizer at the end: a put hashes its key in the journal, the store
 * and the epoch's dirty map, and FNV-1a's byte a step was ~5% of a
 * stateful task's thread on 40-byte keys. */
static uint64_t hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

void kv_map_init(struct kv_map *m)
{
	*m = (struct kv_map){.cap = 64};
	m->v = xalloc(m->cap * sizeof(*m->v));
}

static void slot_free(struct kv_slot *s)
{
	free(s->key);
	free(s->value);
	*s = (struct kv_slot){0};
}

void kv_map_clear(struct kv_map *m)
{
	/* Up to the last entry only: a callback's journal is cleared for
	 * every record and holds a key or two in 64 slots or more. */
	for (size_t i = 0, left = m->n; left && i < m->cap; i++)
		if (m->v[i].key) {
			slot_free(&m->v[i]);
			left--;
		}
	m->n = 0;
	m->bytes = 0;
}

void kv_map_free(struct kv_map *m)
{
	if (!m->v)
		return;
	kv_map_clear(m);
	free(m->v);
	*m = (struct kv_map){0};
}

static size_t probe(const struct kv_map *m, const void *key, size_t len,
		    uint64_t h)
{
	size_t i = h & (m->cap - 1);
	while (m->v[i].key) {
		if (m->v[i].hash == h && m->v[i].key_len == len &&
		    memcmp(m->v[i].key, key, len) == 0)
			return i;
		i = (i + 1) & (m->cap - 1);
	}
	return i;
}

static void grow(struct kv_map *m)
{
	struct kv_slot *old = m->v;
	size_t oldcap = m->cap;
	m->cap *= 2;
	m->v = xalloc(m->cap * sizeof(*m->v));
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].key)
			continue;
		size_t j = old[i].hash & (m->cap - 1);
		while (m->v[j].key)
			j = (j + 1) & (m->cap - 1);
		m->v[j] = old[i];
	}
	free(old);
}

const struct kv_slot *kv_map_find(const struct kv_map *m, const void *key,
				  size_t key_len)
{
	if (!m->v || !key_len)
		return NULL;
	size_t i = probe(m, key, key_len, hash(key, key_len));
	return m->v[i].key ? &m->v[i] : NULL;
}

void kv_map_set(struct kv_map *m, const void *key, size_t key_len,
		const void *value, size_t value_len, int present)
{
	uint64_t h = hash(key, key_len);
	size_t i = probe(m, key, key_len, h);
	char *copy = present ? memdup0(value, value_len) : NULL;
	if (!present)
		value_len = 0;
	if (m->v[i].key) {
		m->bytes -= m->v[i].value_len;
		free(m->v[i].value);
	} else {
		if ((m->n + 1) * 4 > m->cap * 3) {
			grow(m);
			i = probe(m, key, key_len, h);
		}
		m->v[i].key = memdup0(key, key_len);
		m->v[i].key_len = key_len;
		m->v[i].hash = h;
		m->n++;
		m->bytes += key_len;
	}
	m->v[i].value = copy;
	m->v[i].value_len = value_len;
	m->v[i].present = present;
	m->bytes += value_len;
}

int kv_map_remove(struct kv_map *m, const void *key, size_t key_len)
{
	if (!m->v || !key_len)
		return 0;
	size_t i = probe(m, key, key_len, hash(key, key_len));
	if (!m->v[i].key)
		return 0;
	m->bytes -= m->v[i].key_len + m->v[i].value_len;
	slot_free(&m->v[i]);
	m->n--;
	/* Backward shift: pull later members of the probe run into the
	 * hole so that lookups never stop early at it. */
	size_t hole = i, j = i;
	for (;;) {
		j = (j + 1) & (m->cap - 1);
		if (!m->v[j].key)
			break;
		size_t home = m->v[j].hash & (m->cap - 1);
		if (((j - home) & (m->cap - 1)) >=
		    ((j - hole) & (m->cap - 1))) {
			m->v[hole] = m->v[j];
			m->v[j] = (struct kv_slot){0};
			hole = j;
		}
	}
	return 1;
}

int kv_map_foreach(const struct kv_map *m,
		   int (*fn)(void *ctx, const struct kv_slot *s), void *ctx)
{
	for (size_t i = 0, left = m->n; left && i < m->cap; i++) {
		if (!m->v[i].key)
			continue;
		left--;
		int rc = fn(ctx, &m->v[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- the store ---- */

void state_store_init(struct state_store *s, int64_t max_bytes)
{
	kv_map_init(&s->map);
	s->max_bytes = max_bytes;
}

void state_store_free(struct state_store *s)
{
	kv_map_free(&s->map);
}

int state_check_key(const void *key, size_t key_len, char *err, size_t errlen)
{
	if (!key || key_len == 0 || key_len > STATE_KEY_MAX) {
		snprintf(err, errlen,
			 "state key of %zu bytes: keys are 1..%d bytes",
			 key ? key_len : 0, STATE_KEY_MAX);
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

const void *state_store_get(const struct state_store *s, const void *key,
			    size_t key_len, size_t *value_len)
{
	const struct kv_slot *e = kv_map_find(&s->map, key, key_len);
	if (!e)
		return NULL;
	if (value_len)
		*value_len = e->value_len;
	return e->value;
}

int state_store_put(struct state_store *s, const void *key, size_t key_len,
		    const void *value, size_t value_len, char *err,
		    size_t errlen)
{
	if (state_check_key(key, key_len, err, errlen))
		return -1;
	if (value_len > STATE_VALUE_MAX) {
		snprintf(err, errlen,
			 "state value of %zu bytes: values are at most %d "
			 "bytes",
			 value_len, STATE_VALUE_MAX);
		return -1;
	}
	if (!value && value_len) {
		snprintf(err, errlen, "state value is NULL");
		return -1;
	}
	const struct kv_slot *e = kv_map_find(&s->map, key, key_len);
	size_t after = s->map.bytes + value_len + (e ? 0 : key_len) -
		       (e ? e->value_len : 0);
	if (s->max_bytes > 0 && after > (size_t)s->max_bytes) {
		snprintf(err, errlen,
			 "state store full: this put would make it %zu bytes, "
			 "over state.max.bytes (%lld); raise it or keep fewer "
			 "or smaller entries",
			 after, (long long)s->max_bytes);
		return -1;
	}
	kv_map_set(&s->map, key, key_len, value, value_len, 1);
	return 0;
}

int state_store_delete(struct state_store *s, const void *key, size_t key_len,
		       char *err, size_t errlen)
{
	if (state_check_key(key, key_len, err, errlen))
		return -1;
	kv_map_remove(&s->map, key, key_len);
	return 0;
}

size_t state_store_count(const struct state_store *s)
{
	return s->map.n;
}

size_t state_store_bytes(const struct state_store *s)
{
	return s->map.bytes;
}

/* ---- replay ---- */

int state_is_key(const struct sluice_record *r, const char *key, size_t key_len)
{
	return r->key && r->key_len == key_len && !memcmp(r->key, key, key_len);
}

const struct sluice_header *state_header(const struct sluice_record *r,
					 const char *name)
{
	for (size_t i = 0; i < r->header_count; i++)
		if (!strcmp(r->headers[i].name, name))
			return &r->headers[i];
	return NULL;
}

#define IS(r, k) state_is_key(r, k, sizeof(k) - 1)

static int same_value(const struct sluice_record *a,
		      const struct sluice_record *b)
{
	return a->value && b->value && a->value_len == b->value_len &&
	       !memcmp(a->value, b->value, a->value_len);
}

/* Whether a confirm naming epoch id (a header) follows index from. */
static int confirmed_later(const struct sluice_record *recs, size_t from,
			   size_t n, const struct sluice_header *id)
{
	for (size_t j = from; j < n; j++)
		if (IS(&recs[j], STATE_KEY_CONFIRM) && recs[j].value &&
		    recs[j].value_len == id->value_len &&
		    !memcmp(recs[j].value, id->value, id->value_len))
			return 1;
	return 0;
}

/* Index of the begin of the latest complete snapshot that counts, or -1.
 * A snapshot written after an epoch marker (its begin names the epoch)
 * counts once that epoch is confirmed; before, the restore starts at an
 * earlier one and passes through it (an entry's prev is its own value,
 * which is its value at any earlier marker too). */
static long latest_snapshot(const struct sluice_record *recs, size_t n)
{
	for (size_t e = n; e-- > 0;) {
		if (!IS(&recs[e], STATE_KEY_SNAP_END))
			continue;
		for (size_t b = e; b-- > 0;) {
			if (IS(&recs[b], STATE_KEY_SNAP_END))
				break; /* another snapshot's: this end has no
					  begin of its own after it */
			if (IS(&recs[b], STATE_KEY_SNAP_BEGIN)) {
				const struct sluice_header *ep =
					state_header(&recs[b], STATE_HDR_EPOCH);
				if (same_value(&recs[b], &recs[e]) &&
				    (!ep || !ep->value ||
				     confirmed_later(recs, e + 1, n, ep)))
					return (long)b;
				break; /* a begin of another snapshot: this
					  end's was interrupted */
			}
		}
	}
	return -1;
}

void state_cut_init(struct state_cut *c)
{
	*c = (struct state_cut){0};
}

/* Shifts what the cut remembers for dropping the first `by` records;
 * returns by. */
static size_t cut_at(struct state_cut *c, size_t by)
{
	size_t k = 0;
	for (size_t j = 0; j < c->wait_n; j++)
		if (c->wait[j].begin >= by) {
			c->wait[k] = c->wait[j];
			c->wait[k++].begin -= by;
		}
	c->wait_n = k;
	if (c->reading)
		c->cur.begin -= by;
	return by;
}

/* Copies a value that fits an id; 0, or -1 when it does not. */
static int id_copy(char *dst, size_t *len, const void *v, size_t n)
{
	if (!v || n > STATE_CUT_ID)
		return -1;
	memcpy(dst, v, n);
	*len = n;
	return 0;
}

size_t state_cut_next(struct state_cut *c, const struct sluice_record *r,
		      size_t i)
{
	if (IS(r, STATE_KEY_SNAP_BEGIN)) {
		const struct sluice_header *ep =
			state_header(r, STATE_HDR_EPOCH);
		c->cur = (struct state_cut_snap){.begin = i};
		c->reading = !id_copy(c->cur.id, &c->cur.id_len, r->value,
				      r->value_len);
		if (ep && ep->value &&
		    (!ep->value_len || id_copy(c->cur.epoch, &c->cur.epoch_len,
					       ep->value, ep->value_len)))
			c->reading = 0; /* an epoch not ours: never counts */
		return 0;
	}
	if (IS(r, STATE_KEY_CONFIRM)) {
		for (size_t j = c->wait_n; r->value && j-- > 0;) {
			const struct state_cut_snap *w = &c->wait[j];
			if (w->epoch_len == r->value_len &&
			    !memcmp(w->epoch, r->value, r->value_len))
				return cut_at(c, w->begin);
		}
		return 0;
	}
	if (!IS(r, STATE_KEY_SNAP_END) || !c->reading)
		return 0;
	c->reading = 0;
	if (!r->value || r->value_len != c->cur.id_len ||
	    memcmp(r->value, c->cur.id, c->cur.id_len))
		return 0; /* another snapshot's end */
	if (!c->cur.epoch_len)
		return cut_at(c, c->cur.begin);
	if (c->wait_n == STATE_CUT_WAIT)
		memmove(c->wait, c->wait + 1, --c->wait_n * sizeof(*c->wait));
	c->wait[c->wait_n++] = c->cur;
	return 0;
}

/* The epoch marker a confirm at j names (the latest before it with that
 * id, at or after start), or -1. */
static long confirmed_epoch(const struct sluice_record *recs, size_t start,
			    size_t j)
{
	const struct sluice_record *c = &recs[j];
	if (!c->value)
		return -1;
	for (size_t k = j; k-- > start;) {
		if (!IS(&recs[k], STATE_KEY_EPOCH))
			continue;
		const struct sluice_header *h =
			state_header(&recs[k], STATE_HDR_EPOCH);
		if (h && h->value && h->value_len == c->value_len &&
		    !memcmp(h->value, c->value, c->value_len))
			return (long)k;
	}
	return -1;
}

static char *header_text(const struct sluice_header *h)
{
	return h && h->value ? memdup0(h->value, h->value_len) : NULL;
}

int state_replay(const struct sluice_record *recs, size_t n, int truncated,
		 const char *what, struct state_store *out,
		 struct state_replay_info *info, char *err, size_t errlen)
{
	*info = (struct state_replay_info){0};
	kv_map_init(&info->rolled);
	long snap = latest_snapshot(recs, n);
	if (snap < 0 && truncated) {
		snprintf(err, errlen,
			 "%s was truncated before a complete snapshot (its "
			 "first records are gone); the state cannot be "
			 "restored",
			 what);
		return -1;
	}
	size_t start = snap < 0 ? 0 : (size_t)snap;
	/* The marker the state is restored to: the last position record or
	 * confirmed epoch marker, or the snapshot's begin, which stands for
	 * the marker it follows. */
	long marker = snap;
	for (size_t i = start; i < n; i++) {
		long at = IS(&recs[i], STATE_KEY_POSITION) ? (long)i
			  : IS(&recs[i], STATE_KEY_CONFIRM)
				  ? confirmed_epoch(recs, start, i)
				  : -1;
		if (at > marker)
			marker = at;
	}
	if (marker >= 0) {
		const struct sluice_record *m = &recs[marker];
		info->position = m == &recs[start] && snap >= 0
					 ? header_text(state_header(
						   m, STATE_HDR_POSITION))
				 : m->value ? memdup0(m->value, m->value_len)
					    : NULL;
	}
	info->start = start;
	info->from_snapshot = snap >= 0;
	/* Up to the marker, the values as written; after it, each key's
	 * value as of the marker, which its first later record carries. */
	struct kv_map *seen = &info->rolled;
	int64_t limit = out->max_bytes;
	out->max_bytes = 0;
	int in_snapshot = 0; /* between a begin and the next host record */
	for (size_t i = start; i < n; i++) {
		const struct sluice_record *r = &recs[i];
		if (r->key && r->key_len && ((const char *)r->key)[0] == '\0') {
			in_snapshot = IS(r, STATE_KEY_SNAP_BEGIN);
			continue; /* the host's own */
		}
		if (!r->key || !r->key_len)
			continue;
		if (r->key_len > STATE_KEY_MAX) {
			snprintf(err, errlen,
				 "%s: record %zu has a key of %zu bytes", what,
				 i, r->key_len);
			out->max_bytes = limit;
			state_replay_info_free(info);
			return -1;
		}
		const void *v = r->value;
		size_t vlen = r->value_len;
		int present = v != NULL;
		if ((long)i > marker) {
			if (kv_map_find(seen, r->key, r->key_len))
				continue;
			kv_map_set(seen, r->key, r->key_len, NULL, 0, 0);
			info->after_marker++;
			const struct sluice_header *p =
				state_header(r, STATE_HDR_PREV);
			const struct sluice_header *gone =
				state_header(r, STATE_HDR_PREV_ABSENT);
			/* A snapshot's entry without headers: its prev is
			 * its value. */
			if (p || gone || !in_snapshot) {
				present = p && !gone;
				v = present ? p->value : NULL;
				vlen = present ? p->value_len : 0;
			}
		}
		if (present)
			kv_map_set(&out->map, r->key, r->key_len, v ? v : "",
				   vlen, 1);
		else
			kv_map_remove(&out->map, r->key, r->key_len);
	}
	out->max_bytes = limit;
	return 0;
}

void state_replay_info_free(struct state_replay_info *info)
{
	free(info->position);
	info->position = NULL;
	kv_map_free(&info->rolled);
}
