/*
 * batch.c - topic-partitions and their batches: appending lines, the
 * rules that close a batch, gzip, memory accounting. No I/O here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "sink.h"

/* A batch compresses its lines in chunks of this size; until it holds
 * that much it needs no deflate state of its own (which costs about
 * 256 KiB). */
#define GZIP_CHUNK (64 * 1024)
#define ZSTATE_BYTES (268 * 1024)

struct s3s_tp *s3s_tp_find(struct s3s_sink *s, const char *topic,
			   int32_t partition, int create)
{
	struct s3s_tp *tp = s->last_tp;
	if (tp && tp->partition == partition && !strcmp(tp->topic, topic))
		return tp;
	for (size_t i = 0; i < s->ntp; i++) {
		tp = s->tps[i];
		if (tp->partition == partition && !strcmp(tp->topic, topic))
			return s->last_tp = tp;
	}
	if (!create)
		return NULL;
	if (s->ntp == s->tp_cap) {
		s->tp_cap = s->tp_cap ? s->tp_cap * 2 : 16;
		s->tps = s3s_xrealloc(s->tps, s->tp_cap * sizeof(*s->tps));
	}
	tp = s3s_xcalloc(1, sizeof(*tp));
	tp->topic = s3s_xstrdup(topic);
	tp->partition = partition;
	tp->next = -1;
	tp->committed = -1;
	tp->recovering = 1;
	s->tps[s->ntp++] = tp;
	return s->last_tp = tp;
}

void s3s_tp_remove(struct s3s_sink *s, struct s3s_tp *tp)
{
	for (size_t i = 0; i < s->ntp; i++) {
		if (s->tps[i] != tp)
			continue;
		s->tps[i] = s->tps[--s->ntp];
		break;
	}
	if (s->last_tp == tp)
		s->last_tp = NULL;
	if (tp->open)
		s3s_batch_free(s, tp->open);
	while (tp->done) {
		struct s3s_batch *b = tp->done;
		tp->done = b->next;
		s3s_batch_free(s, b);
	}
	free(tp->probed_key);
	free(tp->topic);
	free(tp);
}

const char *s3s_tpart_of(struct s3s_sink *s, int64_t ts)
{
	int64_t sec = ts >= 0 ? ts / 1000 : -((-ts + 999) / 1000);
	if (sec != s->tpart_sec || !s->tpart[0]) {
		if (s3s_time_partition(s->cfg.path_format, ts, s->tpart,
				       sizeof(s->tpart)) < 0)
			s->tpart[0] = '\0';
		s->tpart_sec = sec;
	}
	return s->tpart;
}

#define SPARE_MIN (64 * 1024)
#define MAX_SPARES                                                             \
	((int)(sizeof(((struct s3s_sink *)0)->spares) / sizeof(struct s3s_buf)))

/* The smallest kept buffer of at least want bytes, into dst. */
static int spare_take(struct s3s_sink *s, size_t want, struct s3s_buf *dst)
{
	int best = -1;
	for (int i = 0; i < s->nspares; i++)
		if (s->spares[i].cap > want &&
		    (best < 0 || s->spares[i].cap < s->spares[best].cap))
			best = i;
	if (best < 0)
		return 0;
	*dst = s->spares[best];
	s3s_buf_reset(dst);
	s->spare_bytes -= (int64_t)dst->cap;
	s->mem -= (int64_t)dst->cap;
	s->spares[best] = s->spares[--s->nspares];
	return 1;
}

/* Keeps b's buffer for another batch, within a quarter of the budget;
 * otherwise frees it. */
static void spare_keep(struct s3s_sink *s, struct s3s_buf *b)
{
	if (b->cap >= SPARE_MIN && s->nspares < MAX_SPARES &&
	    s->spare_bytes + (int64_t)b->cap <= s->cfg.budget / 4) {
		s->spares[s->nspares++] = *b;
		s->spare_bytes += (int64_t)b->cap;
		s->mem += (int64_t)b->cap;
		*b = (struct s3s_buf){0};
		return;
	}
	s3s_buf_free(b);
}

void s3s_spares_free(struct s3s_sink *s)
{
	for (int i = 0; i < s->nspares; i++)
		s3s_buf_free(&s->spares[i]);
	s->mem -= s->spare_bytes;
	s->spare_bytes = 0;
	s->nspares = 0;
}

struct s3s_batch *s3s_batch_open(struct s3s_sink *s, struct s3s_tp *tp,
				 int64_t offset, int64_t ts, const char *tpart)
{
	struct s3s_batch *b = s3s_xcalloc(1, sizeof(*b));
	b->tp = tp;
	b->start = offset;
	b->end = offset;
	b->first_ts = ts;
	b->opened_wall = s3s_wall_ms();
	b->last_mono = s3s_mono_ms();
	b->tpart = s3s_xstrdup(tpart);
	b->forced_end = -1;
	b->data.big = 1;
	b->raw.big = 1;
	struct s3s_buf k = {0};
	s3s_object_key(&k, s->target->prefix, tp->topic, tpart, tp->partition,
		       offset, s->cfg.ext);
	b->key = s3s_buf_take(&k);
	/* Sized like the previous batch of the partition, up to a part:
	 * a kept buffer if one is big enough, else a new allocation (whose
	 * pages only count once written: batches count by length). */
	size_t want = tp->last_size + tp->last_size / 16 + 4096;
	if (want > (size_t)s->cfg.part_size + 65536)
		want = (size_t)s->cfg.part_size + 65536;
	if (s->cfg.gzip && want > 128 * 1024)
		want = 128 * 1024;
	struct s3s_buf *dst = s->cfg.gzip ? &b->raw : &b->data;
	/* Not when memory is short: the budget must not fill up with
	 * room reserved for records that are not there. */
	if (want && !spare_take(s, want, dst) &&
	    s->mem + (int64_t)want <= s->cfg.budget / 2)
		s3s_buf_reserve(dst, want);
	tp->open = b;
	return b;
}

/* The memory a buffer holds: a mapped one is populated when mapped. */
static size_t held(const struct s3s_buf *b)
{
	return b->mapped ? b->cap : b->len;
}

void s3s_batch_recount(struct s3s_sink *s, struct s3s_batch *b)
{
	int64_t m = (int64_t)(held(&b->data) + held(&b->raw)) +
		    (b->z ? ZSTATE_BYTES : 0);
	s->mem += m - b->mem;
	b->mem = m;
}

/* Deflates in[0..n) into out. */
static void deflate_into(z_stream *z, const char *in, size_t n,
			 struct s3s_buf *out, int flush)
{
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = (uInt)n;
	do {
		s3s_buf_reserve(out, 64 * 1024);
		z->next_out = (Bytef *)out->p + out->len;
		z->avail_out = (uInt)(out->cap - out->len - 1);
		uInt before = z->avail_out;
		int rc = deflate(z, flush);
		out->len += before - z->avail_out;
		if (rc == Z_STREAM_END)
			break;
	} while (z->avail_in || z->avail_out == 0 || flush == Z_FINISH);
	out->p[out->len] = '\0';
}

static z_stream *zstream_new(int level)
{
	z_stream *z = s3s_xcalloc(1, sizeof(*z));
	/* windowBits 15 + 16: a gzip header and trailer. */
	if (deflateInit2(z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		abort();
	return z;
}

void s3s_batch_append(struct s3s_sink *s, struct s3s_batch *b, int64_t offset,
		      const void *value, size_t len)
{
	struct s3s_buf *dst = s->cfg.gzip ? &b->raw : &b->data;
	s3s_buf_reserve(dst, len + 1);
	char *w = dst->p + dst->len;
	memcpy(w, value, len);
	/* In valid JSON a CR or LF can only be whitespace between tokens:
	 * make it a space so that the value stays on one line. */
	for (char *c = w, *e = w + len;
	     (c = memchr(c, '\n', (size_t)(e - c))) != NULL;)
		*c++ = ' ';
	for (char *c = w, *e = w + len;
	     (c = memchr(c, '\r', (size_t)(e - c))) != NULL;)
		*c++ = ' ';
	w[len] = '\n';
	dst->len += len + 1;
	dst->p[dst->len] = '\0';
	b->lines++;
	b->raw_bytes += (int64_t)len + 1;
	b->end = offset + 1;
	b->last_mono = s3s_mono_ms();
	if (s->cfg.gzip && b->raw.len >= GZIP_CHUNK) {
		if (!b->z)
			b->z = zstream_new(s->cfg.level);
		deflate_into(b->z, b->raw.p, b->raw.len, &b->data, Z_NO_FLUSH);
		s3s_buf_reset(&b->raw);
	}
	s3s_batch_recount(s, b);
}

int s3s_batch_rotates_before(const struct s3s_sink *s,
			     const struct s3s_batch *b, int64_t ts,
			     const char *tpart)
{
	if (b->forced_end >= 0)
		return 0; /* recovery: the earlier run's end decides */
	if (strcmp(b->tpart, tpart))
		return 1;
	if (s->cfg.rotate_ms > 0 && ts >= b->first_ts + s->cfg.rotate_ms)
		return 1;
	return 0;
}

int s3s_batch_full(const struct s3s_sink *s, const struct s3s_batch *b)
{
	if (b->forced_end >= 0)
		return b->end >= b->forced_end;
	return b->lines >= s->cfg.flush_size ||
	       b->raw_bytes >= s->cfg.flush_bytes;
}

void s3s_batch_complete(struct s3s_sink *s, struct s3s_tp *tp)
{
	struct s3s_batch *b = tp->open;
	if (!b)
		return;
	tp->open = NULL;
	if (s->cfg.gzip) {
		if (b->z) {
			deflate_into(b->z, b->raw.p, b->raw.len, &b->data,
				     Z_FINISH);
			deflateEnd(b->z);
			free(b->z);
			b->z = NULL;
		} else {
			if (!s->shared_z_ready) {
				memset(&s->shared_z, 0, sizeof(s->shared_z));
				if (deflateInit2(&s->shared_z, s->cfg.level,
						 Z_DEFLATED, 31, 8,
						 Z_DEFAULT_STRATEGY) != Z_OK)
					abort();
				s->shared_z_ready = 1;
			} else {
				deflateReset(&s->shared_z);
			}
			deflate_into(&s->shared_z, b->raw.p, b->raw.len,
				     &b->data, Z_FINISH);
		}
		s3s_buf_free(&b->raw);
	}
	s3s_batch_recount(s, b);
	tp->last_size = b->data.len;
	b->complete = 1;
	b->next = NULL;
	if (tp->done_tail)
		tp->done_tail->next = b;
	else
		tp->done = b;
	tp->done_tail = b;
}

void s3s_gzip_all(struct s3s_sink *s, const void *p, size_t n,
		  struct s3s_buf *out)
{
	if (!s->shared_z_ready) {
		memset(&s->shared_z, 0, sizeof(s->shared_z));
		if (deflateInit2(&s->shared_z, s->cfg.level, Z_DEFLATED, 31, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			abort();
		s->shared_z_ready = 1;
	} else {
		deflateReset(&s->shared_z);
	}
	deflate_into(&s->shared_z, p, n, out, Z_FINISH);
}

void s3s_batch_free(struct s3s_sink *s, struct s3s_batch *b)
{
	if (!b)
		return;
	s->mem -= b->mem;
	if (b->z) {
		deflateEnd(b->z);
		free(b->z);
	}
	spare_keep(s, &b->data);
	spare_keep(s, &b->raw);
	for (int i = 0; i < b->nparts; i++)
		free(b->etags[i]);
	free(b->etags);
	free(b->upload_id);
	free(b->key);
	free(b->tpart);
	free(b);
}

int64_t s3s_tp_durable(const struct s3s_tp *tp)
{
	if (tp->done)
		return tp->done->start;
	if (tp->open)
		return tp->open->start;
	return tp->next;
}
