/*
 * snapshot.c - the tables of snapshot mode: record key -> latest value,
 * a hash table with separate chaining, written out sorted by key so that
 * two snapshots of the same table compare line by line.
 */
#include <stdlib.h>
#include <string.h>

#include "sink.h"

struct entry {
	struct entry *next;
	uint64_t hash;
	size_t klen, vlen;
	char *value;
	char key[]; /* klen bytes */
};

struct s3s_snap {
	struct entry **buckets;
	size_t nbuckets, count;
};

static uint64_t hash_of(const void *p, size_t n)
{
	/* FNV-1a, 64 bits */
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct s3s_snap *s3s_snap_new(void)
{
	struct s3s_snap *m = s3s_xcalloc(1, sizeof(*m));
	m->nbuckets = 64;
	m->buckets = s3s_xcalloc(m->nbuckets, sizeof(*m->buckets));
	return m;
}

void s3s_snap_free(struct s3s_snap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct entry *e = m->buckets[i];
		while (e) {
			struct entry *n = e->next;
			free(e->value);
			free(e);
			e = n;
		}
	}
	free(m->buckets);
	free(m);
}

static void grow(struct s3s_snap *m)
{
	size_t nb = m->nbuckets * 2;
	struct entry **b = s3s_xcalloc(nb, sizeof(*b));
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct entry *e = m->buckets[i];
		while (e) {
			struct entry *n = e->next;
			size_t k = (size_t)(e->hash & (nb - 1));
			e->next = b[k];
			b[k] = e;
			e = n;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nb;
}

#define ENTRY_OVERHEAD ((int64_t)sizeof(struct entry) + 32)

int64_t s3s_snap_put(struct s3s_snap *m, const void *key, size_t klen,
		     const void *value, size_t vlen)
{
	uint64_t h = hash_of(key, klen);
	struct entry **pp = &m->buckets[h & (m->nbuckets - 1)];
	for (struct entry *e = *pp; e; pp = &e->next, e = e->next) {
		if (e->hash != h || e->klen != klen ||
		    memcmp(e->key, key, klen))
			continue;
		int64_t before = (int64_t)e->vlen;
		if (!value) {
			*pp = e->next;
			free(e->value);
			free(e);
			m->count--;
			return -(before + (int64_t)klen + ENTRY_OVERHEAD);
		}
		free(e->value);
		e->value = s3s_xmemdup(value, vlen);
		e->vlen = vlen;
		return (int64_t)vlen - before;
	}
	if (!value)
		return 0;
	struct entry *e = s3s_xmalloc(sizeof(*e) + klen);
	e->hash = h;
	e->klen = klen;
	memcpy(e->key, key, klen);
	e->value = s3s_xmemdup(value, vlen);
	e->vlen = vlen;
	e->next = *pp;
	*pp = e;
	if (++m->count > m->nbuckets)
		grow(m);
	return (int64_t)(vlen + klen) + ENTRY_OVERHEAD;
}

size_t s3s_snap_count(const struct s3s_snap *m)
{
	return m->count;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);
	if (c)
		return c;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

void s3s_pct_encode(const char *p, size_t n, struct s3s_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < '!' || c > '~' || c == '%') {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			s3s_buf_add(out, e, 3);
		} else {
			s3s_buf_addc(out, (char)c);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void s3s_pct_decode(const char *p, size_t n, struct s3s_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (p[i] == '%' && i + 2 < n && (h = hexval(p[i + 1])) >= 0 &&
		    (l = hexval(p[i + 2])) >= 0) {
			s3s_buf_addc(out, (char)(h << 4 | l));
			i += 2;
		} else {
			s3s_buf_addc(out, p[i]);
		}
	}
	if (!out->p)
		s3s_buf_reserve(out, 0);
}

void s3s_snap_write(const struct s3s_snap *m, struct s3s_buf *out,
		    struct s3s_buf *keys)
{
	struct entry **v = s3s_xcalloc(m->count, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < m->nbuckets; i++)
		for (struct entry *e = m->buckets[i]; e; e = e->next)
			v[n++] = e;
	qsort(v, n, sizeof(*v), cmp_entry);
	for (size_t i = 0; i < n; i++) {
		s3s_buf_add(out, v[i]->value, v[i]->vlen);
		s3s_buf_addc(out, '\n');
		if (keys) {
			s3s_pct_encode(v[i]->key, v[i]->klen, keys);
			s3s_buf_addc(keys, '\n');
		}
	}
	if (!out->p)
		s3s_buf_reserve(out, 0);
	if (keys && !keys->p)
		s3s_buf_reserve(keys, 0);
	free(v);
}
