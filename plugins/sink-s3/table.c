/*
 * table.c - snapshot mode: each table (a topic, or snapshot.table) is a
 * map key -> latest value (snapshot.c), written whole every
 * snapshot.interval as [prefix/]TABLE/snapshot-TIME-SUM.jsonl, then named
 * by [prefix/]TABLE/_latest.
 *
 * Offsets: flush reports a partition durable only as far as the newest
 * written snapshot includes it, so the group's commit never passes a
 * snapshot. A snapshot's keys (the values alone cannot give them back)
 * and the offsets it covers are kept beside it, in
 * [prefix/]_sluice/tables/TABLE/<snapshot name>.state, written before
 * the snapshot. A task that gets the table's partitions loads the
 * snapshot _latest names back into memory, skips what it covers, and
 * goes on from there: every later snapshot is complete again.
 *
 * The name is deterministic: TIME is the highest record timestamp taken
 * (Kafka's), SUM the sum of the covered end offsets (it grows with every
 * record taken, so names sort in the order they were written). A rerun
 * that covers the same offsets writes the same name and content.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "jsonv.h"
#include "keys.h"
#include "sink.h"

#define STATE_MAGIC "sluice-snapshot 1"

static void ends_free(struct s3s_tend *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].topic);
	free(v);
}

/* Forgets the map and the durable state (revoke: another task may write
 * the table before it comes back). */
static void table_unload(struct s3s_sink *s, struct s3s_table *tb)
{
	s->mem -= tb->bytes;
	tb->bytes = 0;
	s3s_snap_free(tb->snap);
	tb->snap = NULL;
	ends_free(tb->ends, tb->nends);
	tb->ends = NULL;
	tb->nends = 0;
	free(tb->latest);
	tb->latest = NULL;
	tb->loaded = 0;
	tb->dirty = 0;
	tb->max_ts = 0;
}

void s3s_tables_free(struct s3s_sink *s)
{
	for (size_t i = 0; i < s->ntables; i++) {
		table_unload(s, s->tables[i]);
		free(s->tables[i]->name);
		free(s->tables[i]);
	}
	free(s->tables);
	s->tables = NULL;
	s->ntables = 0;
}

static struct s3s_table *table_of(struct s3s_sink *s, const char *topic)
{
	const char *name =
		s->cfg.snapshot_table ? s->cfg.snapshot_table : topic;
	for (size_t i = 0; i < s->ntables; i++)
		if (!strcmp(s->tables[i]->name, name))
			return s->tables[i];
	s->tables =
		s3s_xrealloc(s->tables, (s->ntables + 1) * sizeof(*s->tables));
	struct s3s_table *tb = s3s_xcalloc(1, sizeof(*tb));
	tb->name = s3s_xstrdup(name);
	tb->next_due = s3s_wall_ms() + s->cfg.snapshot_ms;
	s->tables[s->ntables++] = tb;
	return tb;
}

static int64_t end_of(const struct s3s_tend *v, size_t n, const char *topic,
		      int32_t partition)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].partition == partition && !strcmp(v[i].topic, topic))
			return v[i].end;
	return -1;
}

/* [prefix/]_sluice/tables/TABLE/<name of the snapshot key>.state */
static void state_key(struct s3s_sink *s, const struct s3s_table *tb,
		      const char *snapshot_key, struct s3s_buf *out)
{
	const char *base = strrchr(snapshot_key, '/');
	base = base ? base + 1 : snapshot_key;
	struct s3s_buf t = {0};
	s3s_buf_printf(&t, "_sluice/tables/%s", tb->name);
	s3s_table_key(out, s->target->prefix, t.p, base);
	s3s_buf_adds(out, ".state");
	s3s_buf_free(&t);
}

/* gzip (recognised by its magic bytes) inflated in place; plain text as
 * it is. 0, or -1 for a damaged stream. */
static int maybe_gunzip(struct s3s_buf *b)
{
	if (b->len < 2 || (unsigned char)b->p[0] != 0x1f ||
	    (unsigned char)b->p[1] != 0x8b)
		return 0;
	struct s3s_buf out = {0};
	z_stream z = {0};
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -1;
	z.next_in = (Bytef *)b->p;
	z.avail_in = (uInt)b->len;
	int rc;
	do {
		s3s_buf_reserve(&out, out.len < 65536 ? 65536 : out.len);
		z.next_out = (Bytef *)out.p + out.len;
		z.avail_out = (uInt)(out.cap - out.len - 1);
		size_t before = z.avail_out;
		rc = inflate(&z, Z_NO_FLUSH);
		out.len += before - z.avail_out;
		out.p[out.len] = '\0';
		/* concatenated members */
		if (rc == Z_STREAM_END && z.avail_in)
			rc = inflateReset(&z) == Z_OK ? Z_OK : Z_DATA_ERROR;
	} while (rc == Z_OK);
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		s3s_buf_free(&out);
		return -1;
	}
	s3s_buf_free(b);
	*b = out;
	return 0;
}

/* The next line of b from *pos (without its '\n'); 0 at the end. */
static int next_line(const struct s3s_buf *b, size_t *pos, const char **line,
		     size_t *len)
{
	if (*pos >= b->len)
		return 0;
	const char *p = b->p + *pos;
	const char *nl = memchr(p, '\n', b->len - *pos);
	*line = p;
	*len = nl ? (size_t)(nl - p) : b->len - *pos;
	*pos += *len + (nl ? 1 : 0);
	return 1;
}

/* Parses a state object: its header into tb (ends, max_ts), and leaves
 * *pos at the first key line. The key count in *nkeys. 0 or -1. */
static int parse_state(struct s3s_table *tb, const struct s3s_buf *st,
		       size_t *pos, size_t *nkeys)
{
	const char *l;
	size_t n;
	char tmp[64];
	unsigned long long count;
	if (!next_line(st, pos, &l, &n) || n != strlen(STATE_MAGIC) ||
	    memcmp(l, STATE_MAGIC, n))
		return -1;
	/* table, snapshot: informative */
	if (!next_line(st, pos, &l, &n) || n < 6 || memcmp(l, "table ", 6))
		return -1;
	if (!next_line(st, pos, &l, &n) || n < 9 || memcmp(l, "snapshot ", 9))
		return -1;
	if (!next_line(st, pos, &l, &n) || n < 6 || n >= sizeof(tmp) ||
	    memcmp(l, "time ", 5))
		return -1;
	memcpy(tmp, l + 5, n - 5);
	tmp[n - 5] = '\0';
	tb->max_ts = strtoll(tmp, NULL, 10);
	if (!next_line(st, pos, &l, &n) || n < 9 || n >= sizeof(tmp) ||
	    memcmp(l, "offsets ", 8))
		return -1;
	memcpy(tmp, l + 8, n - 8);
	tmp[n - 8] = '\0';
	count = strtoull(tmp, NULL, 10);
	if (count > 1000000)
		return -1;
	tb->ends = s3s_xcalloc(count ? count : 1, sizeof(*tb->ends));
	for (size_t i = 0; i < count; i++) {
		if (!next_line(st, pos, &l, &n))
			return -1;
		const char *sp = memchr(l, ' ', n);
		if (!sp)
			return -1;
		struct s3s_buf topic = {0};
		s3s_pct_decode(l, (size_t)(sp - l), &topic);
		size_t rest = n - (size_t)(sp + 1 - l);
		long long p, e;
		char nums[64];
		if (rest >= sizeof(nums)) {
			s3s_buf_free(&topic);
			return -1;
		}
		memcpy(nums, sp + 1, rest);
		nums[rest] = '\0';
		if (sscanf(nums, "%lld %lld", &p, &e) != 2 || e < 0) {
			s3s_buf_free(&topic);
			return -1;
		}
		tb->ends[tb->nends++] = (struct s3s_tend){
			s3s_buf_take(&topic), (int32_t)p, (int64_t)e};
	}
	if (!next_line(st, pos, &l, &n) || n < 6 || n >= sizeof(tmp) ||
	    memcmp(l, "keys ", 5))
		return -1;
	memcpy(tmp, l + 5, n - 5);
	tmp[n - 5] = '\0';
	*nkeys = (size_t)strtoull(tmp, NULL, 10);
	return 0;
}

static int too_big(struct s3s_sink *s, struct s3s_table *tb, const char *at)
{
	snprintf(s->err, sizeof(s->err),
		 "snapshot mode: table %s holds %" PRId64
		 " bytes in memory %s, more than snapshot.max.bytes (%" PRId64
		 "); raise snapshot.max.bytes (writing a snapshot needs about "
		 "as much again)",
		 tb->name, s->mem, at, s->cfg.snapshot_max);
	return SLUICE_FATAL;
}

/* Loads the snapshot _latest names into tb. 0 or a status (s->err). */
static int restore(struct s3s_sink *s, struct s3s_table *tb)
{
	struct s3s_buf key = {0}, latest = {0}, st = {0}, data = {0},
		       skey = {0}, kbuf = {0};
	int found = 0, rc;
	table_unload(s, tb);
	tb->snap = s3s_snap_new();
	s3s_table_key(&key, s->target->prefix, tb->name, "_latest");
	if ((rc = s3s_get_sync(s, key.p, &latest, &found)))
		goto out;
	if (!found) {
		s->h->log(s->t, SLUICE_LOG_INFO,
			  "table %s: no snapshot yet (%s): starting empty",
			  tb->name, key.p);
		goto done;
	}
	size_t kl = strcspn(latest.p, "\r\n");
	if (!kl) {
		snprintf(s->err, sizeof(s->err),
			 "table %s: %s is empty (it should name the newest "
			 "snapshot)",
			 tb->name, key.p);
		rc = SLUICE_FATAL;
		goto out;
	}
	tb->latest = s3s_xmemdup(latest.p, kl);
	state_key(s, tb, tb->latest, &skey);
	if ((rc = s3s_get_sync(s, skey.p, &st, &found)))
		goto out;
	if (!found) {
		snprintf(s->err, sizeof(s->err),
			 "table %s: the newest snapshot %s has no state "
			 "object %s (its keys and offsets): cannot restore "
			 "the table",
			 tb->name, tb->latest, skey.p);
		rc = SLUICE_FATAL;
		goto out;
	}
	if ((rc = s3s_get_sync(s, tb->latest, &data, &found)))
		goto out;
	if (!found) {
		snprintf(s->err, sizeof(s->err),
			 "table %s: %s names %s, which does not exist",
			 tb->name, key.p, tb->latest);
		rc = SLUICE_FATAL;
		goto out;
	}
	size_t pos = 0, nkeys = 0, dpos = 0;
	if (maybe_gunzip(&st) || maybe_gunzip(&data) ||
	    parse_state(tb, &st, &pos, &nkeys)) {
		snprintf(s->err, sizeof(s->err),
			 "table %s: cannot read the snapshot %s or its state "
			 "%s (damaged?)",
			 tb->name, tb->latest, skey.p);
		rc = SLUICE_FATAL;
		goto out;
	}
	for (size_t i = 0; i < nkeys; i++) {
		const char *kl2, *vl;
		size_t kn, vn;
		if (!next_line(&st, &pos, &kl2, &kn) ||
		    !next_line(&data, &dpos, &vl, &vn)) {
			snprintf(s->err, sizeof(s->err),
				 "table %s: the snapshot %s has fewer lines "
				 "than its state %s has keys (%zu)",
				 tb->name, tb->latest, skey.p, nkeys);
			rc = SLUICE_FATAL;
			goto out;
		}
		s3s_buf_reset(&kbuf);
		s3s_pct_decode(kl2, kn, &kbuf);
		int64_t d = s3s_snap_put(tb->snap, kbuf.p, kbuf.len, vl, vn);
		tb->bytes += d;
		s->mem += d;
		if (s->mem > s->cfg.snapshot_max) {
			rc = too_big(s, tb, "while restoring it");
			goto out;
		}
	}
	s->h->log(s->t, SLUICE_LOG_INFO,
		  "table %s: restored %zu keys from %s (%" PRId64 " bytes)",
		  tb->name, s3s_snap_count(tb->snap), tb->latest, tb->bytes);
done:
	tb->loaded = 1;
	tb->dirty = 0;
	tb->next_due = s3s_wall_ms() + s->cfg.snapshot_ms;
out:
	if (rc)
		table_unload(s, tb);
	s3s_buf_free(&key);
	s3s_buf_free(&latest);
	s3s_buf_free(&st);
	s3s_buf_free(&data);
	s3s_buf_free(&skey);
	s3s_buf_free(&kbuf);
	return rc;
}

/* Where a partition of a loaded table starts: after what the newest
 * snapshot covers. A commit past that means records in no snapshot: the
 * table would be incomplete, so the task refuses. */
static int settle(struct s3s_sink *s, struct s3s_tp *tp)
{
	struct s3s_table *tb = tp->table;
	int64_t e = end_of(tb->ends, tb->nends, tp->topic, tp->partition);
	int64_t c = tp->committed;
	if (c > (e >= 0 ? e : 0)) {
		char have[128];
		if (e >= 0)
			snprintf(have, sizeof(have), "up to offset %" PRId64,
				 e);
		else
			snprintf(have, sizeof(have), "not at all");
		snprintf(s->err, sizeof(s->err),
			 "table %s: the group committed %s[%" PRId32
			 "] up to offset %" PRId64
			 ", but the newest snapshot (%s) covers it %s: the "
			 "records in between are in no snapshot. Reset the "
			 "group's offset of that partition to %" PRId64
			 " (or to the earliest to rebuild the table)",
			 tb->name, tp->topic, tp->partition, c,
			 tb->latest ? tb->latest : "none", have,
			 e >= 0 ? e : 0);
		return SLUICE_FATAL;
	}
	if (e >= 0) {
		if (e > c && c >= 0)
			s->h->log(s->t, SLUICE_LOG_INFO,
				  "table %s: %s[%" PRId32 "] offsets %" PRId64
				  "..%" PRId64
				  " are already in %s (written, not "
				  "committed): skipped",
				  tb->name, tp->topic, tp->partition, c, e - 1,
				  tb->latest);
		tp->next = e;
	} else {
		tp->next = c;
	}
	return SLUICE_OK;
}

/* Loads tb if it is not, and settles its partitions. */
static int ensure_loaded(struct s3s_sink *s, struct s3s_table *tb)
{
	if (tb->loaded)
		return SLUICE_OK;
	int rc = restore(s, tb);
	for (size_t i = 0; !rc && i < s->ntp; i++)
		if (s->tps[i]->table == tb)
			rc = settle(s, s->tps[i]);
	if (rc)
		table_unload(s, tb);
	return rc;
}

int s3s_table_assign(struct s3s_sink *s, const struct sluice_partition *parts,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct s3s_tp *tp =
			s3s_tp_find(s, parts[i].topic, parts[i].partition, 1);
		tp->committed = parts[i].offset >= 0 ? parts[i].offset : -1;
		tp->next = tp->committed;
		if (!tp->table) {
			tp->table = table_of(s, tp->topic);
			tp->table->assigned++;
		}
		if (tp->table->loaded) {
			int rc = settle(s, tp);
			if (rc)
				return rc;
		}
	}
	for (size_t i = 0; i < s->ntables; i++) {
		struct s3s_table *tb = s->tables[i];
		if (tb->loaded || !tb->assigned)
			continue;
		int rc = ensure_loaded(s, tb);
		if (rc == SLUICE_RETRY) {
			/* The host would not retry an assignment: the first
			 * put loads it (and answers RETRY meanwhile). */
			s->h->log(s->t, SLUICE_LOG_WARN,
				  "table %s: cannot read its newest snapshot "
				  "yet (%s): retrying at the first records",
				  tb->name, s->err);
			s->err[0] = '\0';
		} else if (rc) {
			return rc;
		}
	}
	return SLUICE_OK;
}

void s3s_table_revoke(struct s3s_sink *s, const struct sluice_partition *parts,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct s3s_tp *tp =
			s3s_tp_find(s, parts[i].topic, parts[i].partition, 0);
		if (!tp)
			continue;
		struct s3s_table *tb = tp->table;
		s3s_tp_remove(s, tp);
		/* Flushed before: what is not in a snapshot was not committed
		 * either. Whoever gets the partitions next restores the
		 * table from the bucket, and so do we if they come back. */
		if (tb && --tb->assigned <= 0) {
			tb->assigned = 0;
			table_unload(s, tb);
		}
	}
}

/* A value on one line: in valid JSON a CR or LF is whitespace. */
static const char *one_line(struct s3s_buf *tmp, const char *v, size_t n)
{
	if (!memchr(v, '\n', n) && !memchr(v, '\r', n))
		return v;
	s3s_buf_reset(tmp);
	s3s_buf_add(tmp, v, n);
	for (size_t i = 0; i < n; i++)
		if (tmp->p[i] == '\n' || tmp->p[i] == '\r')
			tmp->p[i] = ' ';
	return tmp->p;
}

int s3s_table_put(struct s3s_sink *s, const struct sluice_record *recs,
		  size_t n)
{
	char reason[160];
	struct s3s_buf tmp = {0};
	int rc = SLUICE_OK;
	for (size_t i = 0; i < n; i++) {
		const struct sluice_record *r = &recs[i];
		struct s3s_tp *tp = s3s_tp_find(s, r->topic, r->partition, 1);
		if (!tp->table) {
			/* not assigned (tests): as from no commit */
			tp->table = table_of(s, tp->topic);
			tp->table->assigned++;
			if (tp->table->loaded && (rc = settle(s, tp)))
				break;
		}
		struct s3s_table *tb = tp->table;
		if (!tb->loaded && (rc = ensure_loaded(s, tb)))
			break;
		if (tp->next >= 0 && r->offset < tp->next)
			continue; /* in the snapshot, or put again */
		const char *why = NULL;
		size_t where = 0;
		if (!r->key)
			why = r->value
				      ? "snapshot mode needs a record key (the "
					"table's primary key)"
				      : "tombstone (null value) without a key";
		else if (r->value) {
			const char *e = s3s_json_check(r->value, r->value_len,
						       NULL, &where);
			if (e) {
				snprintf(reason, sizeof(reason),
					 "not valid JSON: %s at byte %zu", e,
					 where);
				why = reason;
			}
		}
		/* A rejected record moves the offsets too: the next snapshot
		 * is what lets them be committed. */
		tb->dirty = 1;
		if (why) {
			if (s3s_reject(s, tp, r, why)) {
				rc = SLUICE_FATAL;
				break;
			}
			continue;
		}
		const char *v = r->value
					? one_line(&tmp, r->value, r->value_len)
					: NULL;
		int64_t d = s3s_snap_put(tb->snap, r->key, r->key_len, v,
					 r->value ? r->value_len : 0);
		tb->bytes += d;
		s->mem += d;
		if (r->timestamp_ms > tb->max_ts)
			tb->max_ts = r->timestamp_ms;
		tp->next = r->offset + 1;
		if (s->mem > s->mem_peak)
			s->mem_peak = s->mem;
		if (s->mem > s->cfg.snapshot_max) {
			char at[300];
			snprintf(at, sizeof(at),
				 "after %s[%" PRId32 "]@%" PRId64, r->topic,
				 r->partition, r->offset);
			rc = too_big(s, tb, at);
			break;
		}
	}
	s3s_buf_free(&tmp);
	return rc;
}

struct named {
	char *key;
	unsigned long long sum;
};

static int cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	return x->sum < y->sum ? 1 : x->sum > y->sum ? -1 : 0;
}

/* The SUM of a snapshot key ("...snapshot-TIME-SUM.ext"), or -1. */
static int sum_of(const char *key, unsigned long long *sum)
{
	const char *base = strrchr(key, '/');
	base = base ? base + 1 : key;
	if (strncmp(base, "snapshot-", 9))
		return -1;
	const char *dash = strrchr(base, '-');
	if (!dash || dash < base + 9 || strspn(dash + 1, "0123456789") != 20 ||
	    (dash[21] && dash[21] != '.'))
		return -1;
	*sum = strtoull(dash + 1, NULL, 10);
	return 0;
}

/* Keeps the newest snapshot.keep snapshots (the one just written and the
 * ones written before it), deletes the others with their state objects,
 * and leftovers of a crashed run (names sorting after the newest, that
 * _latest never named). Failures only warn: the next snapshot tries
 * again. */
static void prune(struct s3s_sink *s, struct s3s_table *tb)
{
	struct s3s_buf pfx = {0}, keys = {0}, states = {0}, sk = {0};
	struct named *v = NULL;
	size_t n = 0, cap = 0;
	unsigned long long cur;
	if (sum_of(tb->latest, &cur))
		return;
	s3s_table_key(&pfx, s->target->prefix, tb->name, "snapshot-");
	if (s3s_list_sync(s, pfx.p, &keys))
		goto fail;
	size_t pos = 0, ln;
	const char *l;
	while (next_line(&keys, &pos, &l, &ln)) {
		char *k = s3s_xmemdup(l, ln);
		unsigned long long sum;
		/* only this table's own level */
		if (strchr(k + pfx.len, '/') || sum_of(k, &sum)) {
			free(k);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = s3s_xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = (struct named){k, sum};
	}
	qsort(v, n, sizeof(*v), cmp_named);
	int kept = 0;
	for (size_t i = 0; i < n; i++) {
		int keep = !strcmp(v[i].key, tb->latest) ||
			   (v[i].sum < cur && kept < s->cfg.snapshot_keep);
		if (keep) {
			kept++;
			continue;
		}
		s3s_buf_reset(&sk);
		state_key(s, tb, v[i].key, &sk);
		if (s3s_del_sync(s, sk.p) || s3s_del_sync(s, v[i].key))
			goto fail;
		s->h->log(s->t, SLUICE_LOG_DEBUG, "table %s: deleted %s",
			  tb->name, v[i].key);
		free(v[i].key);
		v[i].key = NULL;
	}
	/* State objects whose snapshot is gone (a crash between the two). */
	s3s_buf_reset(&sk);
	state_key(s, tb, "snapshot-", &sk);
	sk.len -= strlen(".state");
	sk.p[sk.len] = '\0';
	if (s3s_list_sync(s, sk.p, &states))
		goto fail;
	pos = 0;
	while (next_line(&states, &pos, &l, &ln)) {
		if (ln < 6 || memcmp(l + ln - 6, ".state", 6))
			continue;
		const char *base = l + ln;
		while (base > l && base[-1] != '/')
			base--;
		size_t bl = (size_t)(l + ln - 6 - base);
		int live = 0;
		for (size_t i = 0; i < n && !live; i++) {
			if (!v[i].key)
				continue;
			const char *vb = strrchr(v[i].key, '/');
			vb = vb ? vb + 1 : v[i].key;
			live = strlen(vb) == bl && !memcmp(vb, base, bl);
		}
		if (live)
			continue;
		char *k = s3s_xmemdup(l, ln);
		int rc = s3s_del_sync(s, k);
		free(k);
		if (rc)
			goto fail;
	}
	goto out;
fail:
	s->h->log(s->t, SLUICE_LOG_WARN,
		  "table %s: cannot delete old snapshots (trying again after "
		  "the next one): %s",
		  tb->name, s->err);
	s->err[0] = '\0';
out:
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
	s3s_buf_free(&pfx);
	s3s_buf_free(&keys);
	s3s_buf_free(&states);
	s3s_buf_free(&sk);
}

/* Writes tb whole: its state object, the snapshot, then _latest. Then
 * its ends are what flush reports durable. */
static int write_snapshot(struct s3s_sink *s, struct s3s_table *tb)
{
	struct s3s_buf body = {0}, keys = {0}, state = {0}, gz = {0}, key = {0},
		       skey = {0}, latest = {0};
	/* The ends it covers: the last snapshot's, moved on by what the
	 * task's partitions of this table took since. */
	size_t ne = tb->nends;
	struct s3s_tend *ends = s3s_xcalloc(ne + s->ntp + 1, sizeof(*ends));
	for (size_t i = 0; i < tb->nends; i++)
		ends[i] = (struct s3s_tend){s3s_xstrdup(tb->ends[i].topic),
					    tb->ends[i].partition,
					    tb->ends[i].end};
	for (size_t i = 0; i < s->ntp; i++) {
		struct s3s_tp *tp = s->tps[i];
		if (tp->table != tb || tp->next < 0)
			continue;
		size_t j = 0;
		while (j < ne && (ends[j].partition != tp->partition ||
				  strcmp(ends[j].topic, tp->topic)))
			j++;
		if (j == ne)
			ends[ne++] = (struct s3s_tend){s3s_xstrdup(tp->topic),
						       tp->partition, -1};
		if (tp->next > ends[j].end)
			ends[j].end = tp->next;
	}
	unsigned long long sum = 0;
	for (size_t i = 0; i < ne; i++)
		sum += (unsigned long long)ends[i].end;
	char when[48], name[128];
	s3s_format_compact_time(tb->max_ts > 0 ? tb->max_ts : 0, when,
				sizeof(when));
	snprintf(name, sizeof(name), "snapshot-%s-%020llu%s", when, sum,
		 s->cfg.ext);
	s3s_table_key(&key, s->target->prefix, tb->name, name);
	state_key(s, tb, key.p, &skey);

	s3s_snap_write(tb->snap, &body, &keys);
	s3s_buf_printf(&state, STATE_MAGIC "\ntable ");
	s3s_pct_encode(tb->name, strlen(tb->name), &state);
	s3s_buf_printf(&state, "\nsnapshot ");
	s3s_pct_encode(key.p, key.len, &state);
	s3s_buf_printf(&state, "\ntime %" PRId64 "\noffsets %zu\n", tb->max_ts,
		       ne);
	for (size_t i = 0; i < ne; i++) {
		s3s_pct_encode(ends[i].topic, strlen(ends[i].topic), &state);
		s3s_buf_printf(&state, " %" PRId32 " %" PRId64 "\n",
			       ends[i].partition, ends[i].end);
	}
	s3s_buf_printf(&state, "keys %zu\n", s3s_snap_count(tb->snap));
	s3s_buf_add(&state, keys.p, keys.len);
	s3s_buf_free(&keys);
	if (s->cfg.gzip) {
		s3s_gzip_all(s, body.p, body.len, &gz);
		s3s_buf_free(&body);
		body = gz;
		memset(&gz, 0, sizeof(gz));
		s3s_gzip_all(s, state.p, state.len, &gz);
		s3s_buf_free(&state);
		state = gz;
		memset(&gz, 0, sizeof(gz));
	}
	int rc = s3s_put_sync(s, skey.p, state.p, state.len,
			      s->cfg.gzip ? "application/gzip" : "text/plain");
	if (!rc)
		rc = s3s_put_sync(s, key.p, body.p, body.len,
				  s->cfg.content_type);
	if (!rc) {
		s3s_table_key(&latest, s->target->prefix, tb->name, "_latest");
		s3s_buf_addc(&key, '\n');
		rc = s3s_put_sync(s, latest.p, key.p, key.len, "text/plain");
		key.p[--key.len] = '\0';
	}
	if (!rc) {
		ends_free(tb->ends, tb->nends);
		tb->ends = ends;
		tb->nends = ne;
		ends = NULL;
		free(tb->latest);
		tb->latest = s3s_xstrdup(key.p);
		tb->dirty = 0;
		s->objects++;
		s->h->counter_add(s->t, "sink_s3_snapshots_total", NULL, 1);
		s->h->log(s->t, SLUICE_LOG_INFO,
			  "table %s: wrote %s (%zu keys, %zu bytes)", tb->name,
			  key.p, s3s_snap_count(tb->snap), body.len);
	}
	if (ends)
		ends_free(ends, ne);
	s3s_buf_free(&body);
	s3s_buf_free(&state);
	s3s_buf_free(&key);
	s3s_buf_free(&skey);
	s3s_buf_free(&latest);
	if (!rc)
		prune(s, tb);
	return rc;
}

int s3s_table_due(struct s3s_sink *s, int64_t now_ms)
{
	for (size_t i = 0; i < s->ntables; i++)
		if (s->tables[i]->loaded && s->tables[i]->dirty &&
		    now_ms >= s->tables[i]->next_due)
			return 1;
	return 0;
}

int s3s_table_flush(struct s3s_sink *s, struct sluice_partition *parts,
		    size_t n, int final)
{
	int64_t now = s3s_wall_ms();
	int rc = SLUICE_OK;
	for (size_t i = 0; i < s->ntables && !rc; i++) {
		struct s3s_table *tb = s->tables[i];
		if (!tb->loaded || !tb->dirty || (!final && now < tb->next_due))
			continue;
		/* A failure is answered (RETRY): the host calls again,
		 * backing off, and the table is still due then. */
		if (!(rc = write_snapshot(s, tb)))
			tb->next_due = now + s->cfg.snapshot_ms;
	}
	/* Durable: what the newest snapshot of each partition's table
	 * covers. */
	for (size_t i = 0; i < n; i++) {
		struct s3s_tp *tp =
			s3s_tp_find(s, parts[i].topic, parts[i].partition, 0);
		int64_t d = -1;
		if (tp && tp->table && tp->table->loaded)
			d = end_of(tp->table->ends, tp->table->nends, tp->topic,
				   tp->partition);
		if (d > parts[i].offset)
			d = parts[i].offset;
		parts[i].offset = d >= 0 ? d : SLUICE_OFFSET_NONE;
	}
	return rc;
}
