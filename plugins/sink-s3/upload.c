/*
 * upload.c - uploads on the pool's threads. A job carries copies or
 * borrowed pointers that nobody changes while it is out, runs one target
 * operation on an upload thread, and comes back to the task's thread,
 * where on_done() applies its result. Per partition, the done queue is a
 * chain: its head is uploaded, and only when that succeeded the next
 * one; partitions run concurrently. Parts of a multipart batch go out
 * while the batch is still filling (bounded memory) and concurrently.
 * Uploads start as soon as a batch is complete and run while the task
 * goes on consuming; only a final flush and the memory budget wait for
 * them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

enum kind {
	K_PART,
	K_PUT,
	K_FINISH,
	K_PROBE,
	K_ABORT,
	K_BEGIN,
	K_PLAIN,
	K_CHECK,
	K_CLEANUP,
	K_GET,
	K_LIST,
	K_DEL
};

struct s3s_ujob {
	struct s3s_job base;
	enum kind kind;
	struct s3s_target *target;
	struct s3s_batch *b;
	struct s3s_tp *tp; /* K_CLEANUP */
	struct s3s_ujob *next_failed;
	/* borrowed (from b, or from the caller of a synchronous job) */
	const char *key, *upload_id, *content_type;
	const void *body;
	size_t body_len;
	struct s3s_obj meta;
	/* K_PART */
	int number;
	uint64_t offset;
	struct s3s_buf dbuf; /* the part's bytes (owned); K_GET, K_LIST:
				the answer */
	char *data;	     /* dbuf.p */
	size_t len;
	int64_t held; /* memory counted for dbuf */
	/* results */
	char *out; /* etag or upload id, owned */
	int rc, found;
	int64_t end;
	int64_t started;
	char err[1024];
};

static void run(struct s3s_job *base, void *ctx)
{
	struct s3s_ujob *j = (struct s3s_ujob *)base;
	struct s3s_target *t = j->target;
	const struct s3s_target_ops *o = t->ops;
	size_t el = sizeof(j->err);
	j->err[0] = '\0';
	switch (j->kind) {
	case K_PART:
		j->rc = o->mpu_part(t, ctx, j->key, j->upload_id, j->number,
				    j->offset, j->data, j->len, &j->out, j->err,
				    el);
		break;
	case K_PUT:
		j->rc = o->put(t, ctx, j->key, j->body, j->body_len,
			       j->content_type, &j->meta, j->err, el);
		break;
	case K_PLAIN:
		j->rc = o->put(t, ctx, j->key, j->body, j->body_len,
			       j->content_type, NULL, j->err, el);
		break;
	case K_FINISH:
		j->rc = o->mpu_end(t, ctx, j->key, j->upload_id, j->b->etags,
				   j->b->nparts, &j->meta, j->err, el);
		break;
	case K_PROBE:
		j->rc = o->probe(t, ctx, j->key, &j->found, &j->end, j->err,
				 el);
		break;
	case K_ABORT:
		j->rc = o->mpu_abort(t, ctx, j->key, j->upload_id, j->err, el);
		break;
	case K_BEGIN:
		j->rc = o->mpu_begin(t, ctx, j->key, j->content_type, &j->out,
				     j->err, el);
		break;
	case K_CHECK:
		j->rc = o->check(t, ctx, j->err, el);
		break;
	case K_CLEANUP:
		j->rc = o->cleanup(t, ctx, j->key, j->err, el);
		break;
	case K_GET:
		j->rc = o->get(t, ctx, j->key, &j->dbuf, &j->found, j->err, el);
		break;
	case K_LIST:
		j->rc = o->list(t, ctx, j->key, &j->dbuf, j->err, el);
		break;
	case K_DEL:
		j->rc = o->del(t, ctx, j->key, j->err, el);
		break;
	}
}

static struct s3s_ujob *job_new(struct s3s_sink *s, enum kind kind,
				struct s3s_batch *b)
{
	struct s3s_ujob *j = s3s_xcalloc(1, sizeof(*j));
	j->base.run = run;
	j->kind = kind;
	j->target = s->target;
	j->b = b;
	j->content_type = s->cfg.content_type;
	if (b) {
		j->key = b->key;
		j->upload_id = b->upload_id;
		j->meta = (struct s3s_obj){b->start, b->end, b->lines};
	}
	return j;
}

static void job_free(struct s3s_ujob *j)
{
	if (j->kind == K_CLEANUP)
		free((char *)j->key);
	s3s_buf_free(&j->dbuf);
	free(j->out);
	free(j);
}

static void submit(struct s3s_sink *s, struct s3s_ujob *j)
{
	j->started = s3s_mono_ms();
	s3s_pool_submit(s->pool, &j->base);
}

static void set_error(struct s3s_sink *s, int rc, const char *msg)
{
	/* A permanent failure's message wins over a transient one's. */
	if (rc == SLUICE_FATAL || !s->fatal)
		snprintf(s->err, sizeof(s->err), "%s", msg);
	if (rc == SLUICE_FATAL)
		s->fatal = 1;
}

static void chain_step(struct s3s_sink *s, struct s3s_tp *tp);

static void submit_finish(struct s3s_sink *s, struct s3s_batch *b)
{
	struct s3s_ujob *j = job_new(s, K_FINISH, b);
	b->waiting = 0;
	b->tp->busy = 1;
	submit(s, j);
}

static void on_done(struct s3s_sink *s, struct s3s_ujob *j)
{
	struct s3s_batch *b = j->b;
	struct s3s_tp *tp = b ? b->tp : NULL;
	const struct sluice_host *h = s->h;
	switch (j->kind) {
	case K_PART:
		b->inflight--;
		if (j->rc == SLUICE_OK) {
			b->etags[j->number - 1] = j->out;
			j->out = NULL;
			s->mem -= j->held;
			job_free(j);
		} else if (j->rc == SLUICE_RETRY) {
			/* Kept, data and all, to be sent again. */
			set_error(s, j->rc, j->err);
			j->next_failed = b->failed;
			b->failed = j;
		} else {
			set_error(s, j->rc, j->err);
			s->mem -= j->held;
			job_free(j);
		}
		if (b->waiting && !b->inflight) {
			if (b->failed || s->fatal) {
				b->waiting = 0;
				tp->failed =
					s->fatal ? SLUICE_FATAL : SLUICE_RETRY;
			} else {
				submit_finish(s, b);
			}
		}
		return;
	case K_PUT:
	case K_FINISH:
		tp->busy = 0;
		if (j->rc != SLUICE_OK) {
			tp->failed = j->rc;
			set_error(s, j->rc, j->err);
			job_free(j);
			return;
		}
		h->observe(s->t, "sink_s3_upload_seconds", NULL,
			   (double)(s3s_mono_ms() - j->started) / 1000.0);
		h->counter_add(s->t, "sink_s3_objects_total", NULL, 1);
		s->objects++;
		h->counter_add(s->t, "sink_s3_records_total", NULL, b->lines);
		h->counter_add(s->t, "sink_s3_bytes_total", NULL,
			       (int64_t)(b->sent + b->data.len));
		h->log(s->t, SLUICE_LOG_DEBUG,
		       "wrote %s (offsets %" PRId64 "..%" PRId64 ", %" PRId64
		       " records%s)",
		       b->key, b->start, b->end - 1, b->lines,
		       j->kind == K_FINISH ? ", multipart" : "");
		job_free(j);
		tp->done = b->next;
		if (!tp->done)
			tp->done_tail = NULL;
		s3s_batch_free(s, b);
		/* More is durable: have it committed soon. */
		s->completed = 1;
		chain_step(s, tp);
		return;
	case K_CLEANUP:
		j->tp->cleanups--;
		if (j->rc)
			h->log(s->t, SLUICE_LOG_WARN,
			       "could not abort unfinished uploads of %s (a "
			       "bucket lifecycle rule can): %s",
			       j->key, j->err);
		job_free(j);
		return;
	default:
		/* synchronous jobs are taken back by run_sync */
		job_free(j);
		return;
	}
}

void s3s_drain(struct s3s_sink *s)
{
	struct s3s_job *j;
	while ((j = s3s_pool_done(s->pool, 0)))
		on_done(s, (struct s3s_ujob *)j);
}

void s3s_wait_all(struct s3s_sink *s)
{
	struct s3s_job *j;
	while ((j = s3s_pool_done(s->pool, 1)))
		on_done(s, (struct s3s_ujob *)j);
}

int s3s_wait_one(struct s3s_sink *s)
{
	struct s3s_job *j = s3s_pool_done(s->pool, 1);
	if (!j)
		return 0;
	on_done(s, (struct s3s_ujob *)j);
	return 1;
}

/* Submits j and waits for it, applying whatever else finishes. */
static void run_sync(struct s3s_sink *s, struct s3s_ujob *j)
{
	submit(s, j);
	for (;;) {
		struct s3s_job *d = s3s_pool_done(s->pool, 1);
		if (!d || d == &j->base)
			return;
		on_done(s, (struct s3s_ujob *)d);
	}
}

/* Sends n bytes of b's data as the next part. */
static int send_part(struct s3s_sink *s, struct s3s_batch *b)
{
	if (!b->upload_id) {
		/* A cleanup of this partition's key lists uploads and aborts
		 * them: ours must not exist before it is done. */
		s3s_cleanup_wait(s, b->tp);
		struct s3s_ujob *j = job_new(s, K_BEGIN, b);
		run_sync(s, j);
		int rc = j->rc;
		if (rc)
			set_error(s, rc, j->err);
		else
			b->upload_id = j->out, j->out = NULL;
		job_free(j);
		if (rc)
			return rc;
	}
	if (b->nparts == b->parts_cap) {
		b->parts_cap = b->parts_cap ? b->parts_cap * 2 : 16;
		b->etags = s3s_xrealloc(b->etags,
					(size_t)b->parts_cap * sizeof(char *));
	}
	b->etags[b->nparts++] = NULL;
	struct s3s_ujob *j = job_new(s, K_PART, b);
	j->number = b->nparts;
	j->offset = b->sent;
	j->len = b->data.len;
	/* The buffer moves to the job (a new one starts, as big). */
	j->dbuf = b->data;
	j->data = j->dbuf.p;
	j->held = (int64_t)(j->dbuf.mapped ? j->dbuf.cap : j->dbuf.len);
	b->data = (struct s3s_buf){.big = 1};
	/* The next part is sized at once, like a batch's first buffer: a
	 * buffer grown line by line ends up to half again a part. */
	size_t want = (size_t)s->cfg.part_size + 65536;
	if (s->mem + j->held + (int64_t)want <= s->cfg.budget / 2)
		s3s_buf_reserve(&b->data, want);
	b->sent += j->len;
	b->inflight++;
	s3s_batch_recount(s, b);
	s->mem += j->held;
	submit(s, j);
	return SLUICE_OK;
}

int s3s_stream_parts(struct s3s_sink *s, struct s3s_batch *b, int last)
{
	if (!s->target->multipart_ok)
		return SLUICE_OK;
	int had_failed = b->failed != NULL;
	while (b->failed) {
		struct s3s_ujob *j = b->failed;
		b->failed = j->next_failed;
		b->inflight++;
		submit(s, j);
	}
	if (had_failed && !last) {
		/* Parts failed before: wait for this new try rather than
		 * pile more up, and tell the host when it failed again. */
		while (b->inflight && s3s_wait_one(s))
			;
		if (s->fatal)
			return SLUICE_FATAL;
		if (b->failed)
			return SLUICE_RETRY;
	}
	if ((int64_t)b->data.len >= s->cfg.part_size ||
	    (last && b->upload_id && b->data.len)) {
		/* At most upload.concurrency parts out at once. */
		while (!last &&
		       s3s_pool_outstanding(s->pool) >= s->cfg.concurrency &&
		       s3s_wait_one(s))
			;
		if (s->fatal)
			return SLUICE_FATAL;
		return send_part(s, b);
	}
	return SLUICE_OK;
}

static void chain_step(struct s3s_sink *s, struct s3s_tp *tp)
{
	struct s3s_batch *b = tp->done;
	if (tp->busy || tp->failed || !b || b->waiting)
		return;
	if (b->upload_id) {
		int rc = s3s_stream_parts(s, b, 1);
		if (rc) {
			tp->failed = rc;
			return;
		}
		if (b->inflight) {
			b->waiting = 1;
			return;
		}
		submit_finish(s, b);
		return;
	}
	struct s3s_ujob *j = job_new(s, K_PUT, b);
	j->body = b->data.p ? b->data.p : "";
	j->body_len = b->data.len;
	tp->busy = 1;
	submit(s, j);
}

void s3s_upload_kick(struct s3s_sink *s, struct s3s_tp **tps, size_t n)
{
	if (!tps) {
		tps = s->tps;
		n = s->ntp;
	}
	for (size_t i = 0; i < n; i++)
		if (tps[i] && tps[i]->done)
			chain_step(s, tps[i]);
}

static int chain_out(const struct s3s_tp *tp)
{
	return tp->busy || (tp->done && tp->done->waiting);
}

int s3s_upload_pending(struct s3s_sink *s, struct s3s_tp **tps, size_t n)
{
	if (!tps) {
		tps = s->tps;
		n = s->ntp;
	}
	/* on_done may not add or remove partitions: the set stays valid. */
	struct s3s_tp **set = s3s_xcalloc(n, sizeof(*set));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!tps[i] || !tps[i]->done)
			continue;
		tps[i]->failed = 0;
		tps[i]->in_set = 1;
		set[m++] = tps[i];
	}
	for (size_t i = 0; i < m; i++)
		chain_step(s, set[i]);
	for (;;) {
		int out = 0;
		for (size_t i = 0; i < m && !out; i++)
			out = chain_out(set[i]);
		if (!out)
			break;
		struct s3s_job *j = s3s_pool_done(s->pool, 1);
		if (!j)
			break;
		on_done(s, (struct s3s_ujob *)j);
	}
	int rc = SLUICE_OK;
	for (size_t i = 0; i < m; i++) {
		set[i]->in_set = 0;
		if (set[i]->failed > rc)
			rc = set[i]->failed;
		else if (!set[i]->failed && set[i]->done && rc == SLUICE_OK)
			rc = SLUICE_RETRY; /* cannot happen; be safe */
	}
	free(set);
	if (s->fatal)
		rc = SLUICE_FATAL;
	return rc;
}

int s3s_probe_many(struct s3s_sink *s, const char *const *keys, size_t n,
		   int *found, int64_t *end)
{
	struct s3s_ujob **v = s3s_xcalloc(n, sizeof(*v));
	size_t out = n;
	for (size_t i = 0; i < n; i++) {
		v[i] = job_new(s, K_PROBE, NULL);
		v[i]->key = keys[i];
		submit(s, &*v[i]);
	}
	while (out) {
		struct s3s_job *d = s3s_pool_done(s->pool, 1);
		if (!d)
			break;
		int mine = 0;
		for (size_t i = 0; i < n && !mine; i++)
			mine = d == &v[i]->base;
		if (mine)
			out--;
		else
			on_done(s, (struct s3s_ujob *)d);
	}
	int rc = SLUICE_OK;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->rc) {
			set_error(s, v[i]->rc, v[i]->err);
			if (v[i]->rc > rc)
				rc = v[i]->rc;
		}
		found[i] = v[i]->found;
		end[i] = v[i]->end;
		job_free(v[i]);
	}
	free(v);
	return rc;
}

void s3s_cleanup_start(struct s3s_sink *s, struct s3s_tp *tp, const char *key)
{
	if (!s->target->ops->cleanup)
		return;
	struct s3s_ujob *j = job_new(s, K_CLEANUP, NULL);
	j->key = s3s_xstrdup(key);
	j->tp = tp;
	tp->cleanups++;
	submit(s, j);
}

void s3s_cleanup_wait(struct s3s_sink *s, struct s3s_tp *tp)
{
	while (tp->cleanups && s3s_wait_one(s))
		;
}

void s3s_abort_upload(struct s3s_sink *s, struct s3s_batch *b)
{
	while (b->inflight) {
		struct s3s_job *d = s3s_pool_done(s->pool, 1);
		if (!d)
			break;
		on_done(s, (struct s3s_ujob *)d);
	}
	while (b->failed) {
		struct s3s_ujob *j = b->failed;
		b->failed = j->next_failed;
		s->mem -= j->held;
		job_free(j);
	}
	if (!b->upload_id)
		return;
	struct s3s_ujob *j = job_new(s, K_ABORT, b);
	run_sync(s, j);
	if (j->rc)
		s->h->log(s->t, SLUICE_LOG_WARN,
			  "could not abort the multipart upload of %s (a "
			  "restarted task aborts it when it gets there; a "
			  "bucket lifecycle rule also can): %s",
			  b->key, j->err);
	job_free(j);
	free(b->upload_id);
	b->upload_id = NULL;
}

int s3s_put_sync(struct s3s_sink *s, const char *key, const void *data,
		 size_t len, const char *content_type)
{
	struct s3s_ujob *j = job_new(s, K_PLAIN, NULL);
	j->key = key;
	j->body = data;
	j->body_len = len;
	j->content_type = content_type;
	run_sync(s, j);
	int rc = j->rc;
	if (rc)
		set_error(s, rc, j->err);
	job_free(j);
	return rc;
}

/* GET, LIST and DELETE for snapshot mode: blocking, out[] taken over. */
static int plain_sync(struct s3s_sink *s, enum kind kind, const char *key,
		      struct s3s_buf *out, int *found)
{
	struct s3s_ujob *j = job_new(s, kind, NULL);
	j->key = key;
	run_sync(s, j);
	int rc = j->rc;
	if (rc) {
		snprintf(s->err, sizeof(s->err), "%s", j->err);
	} else if (out) {
		s3s_buf_free(out);
		*out = j->dbuf;
		memset(&j->dbuf, 0, sizeof(j->dbuf));
		if (!out->p)
			s3s_buf_reserve(out, 0);
	}
	if (found)
		*found = j->found;
	job_free(j);
	return rc;
}

int s3s_get_sync(struct s3s_sink *s, const char *key, struct s3s_buf *out,
		 int *found)
{
	return plain_sync(s, K_GET, key, out, found);
}

int s3s_list_sync(struct s3s_sink *s, const char *key_prefix,
		  struct s3s_buf *keys)
{
	return plain_sync(s, K_LIST, key_prefix, keys, NULL);
}

int s3s_del_sync(struct s3s_sink *s, const char *key)
{
	return plain_sync(s, K_DEL, key, NULL, NULL);
}

int s3s_check(struct s3s_sink *s)
{
	struct s3s_ujob *j = job_new(s, K_CHECK, NULL);
	run_sync(s, j);
	int rc = j->rc;
	if (rc)
		snprintf(s->err, sizeof(s->err), "%s", j->err);
	job_free(j);
	return rc;
}
