/*
 * chain.c - the in-process transforms chain (see chain.h). Each stage has
 * a task of its own (same connector and id, its own options and staging
 * list), so the ordinary host functions serve its plugin unchanged.
 *
 * What a stage emits is handed to the next stage and, after the last,
 * moved (not copied) into the caller's chain_out. Nothing reaches the
 * caller unless every stage answered OK for every record the input
 * became: a record that fails half way through a fan-out takes its
 * siblings with it, as a plugin's emits are dropped when its callback
 * fails.
 */
#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "loader.h"
#include "setup.h"
#include "task_kafka.h"
#include "worker.h"

struct stage {
	struct sluice_task *t;
	const struct sluice_plugin *p;
	char name[32];
};

struct chain {
	struct sluice_task *owner;
	struct stage *v;
	size_t n;
};

/* Records in `out` are always owned (run_from copies them out of the
 * stage's arena). */
static void staged_free(struct staged_record *r)
{
	free(r->key);
	free(r->value);
	if (r->headers)
		rd_kafka_headers_destroy(r->headers);
	free(r->source_partition);
	free(r->position);
}

static void *memdup(const void *p, size_t n)
{
	if (!p)
		return NULL;
	void *q = malloc(n ? n : 1);
	if (!q)
		abort();
	return memcpy(q, p, n);
}

/* Drops the records from index `from` on. */
static void out_truncate(struct chain_out *o, size_t from)
{
	for (size_t i = from; i < o->n; i++)
		staged_free(&o->v[i]);
	if (from < o->n)
		o->n = from;
}

void chain_out_clear(struct chain_out *o)
{
	out_truncate(o, 0);
}

void chain_out_free(struct chain_out *o)
{
	chain_out_clear(o);
	free(o->v);
	*o = (struct chain_out){0};
}

static struct staged_record *out_push(struct chain_out *o)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->v = realloc(o->v, o->cap * sizeof(*o->v));
		if (!o->v)
			abort();
	}
	return &o->v[o->n++];
}

void chain_view_init(struct chain_view *v, const struct staged_record *r,
		     const struct sluice_record *base)
{
	struct sluice_record *out = &v->rec;
	*out = *base;
	v->big = NULL;
	out->key = r->key;
	out->key_len = r->key_len;
	out->value = r->value;
	out->value_len = r->value_len;
	if (r->partition >= 0)
		out->partition = r->partition;
	if (r->timestamp_ms)
		out->timestamp_ms = r->timestamp_ms;
	out->headers = NULL;
	out->header_count = 0;
	size_t n = r->headers ? rd_kafka_header_cnt(r->headers) : 0;
	if (!n)
		return;
	struct sluice_header *h = v->small;
	if (n > sizeof(v->small) / sizeof(*v->small)) {
		h = v->big = malloc(n * sizeof(*h));
		if (!h)
			abort();
	}
	const char *name;
	const void *val;
	size_t len;
	for (size_t i = 0; i < n && !rd_kafka_header_get_all(r->headers, i,
							     &name, &val, &len);
	     i++)
		h[out->header_count++] = (struct sluice_header){name, val, len};
	out->headers = h;
}

void chain_view_free(struct chain_view *v)
{
	free(v->big);
	v->big = NULL;
}

static void stage_close(struct stage *s)
{
	if (s->t->opened && s->p->close)
		s->p->close(s->t->state);
	task_staged_clear(s->t);
	free(s->t->staged);
	arena_free(&s->t->arena);
	metric_set_free(&s->t->metrics);
	free(s->t);
}

void chain_close(struct chain *c)
{
	if (!c)
		return;
	/* Last stage first: the reverse of opening. */
	for (size_t i = c->n; i-- > 0;)
		stage_close(&c->v[i]);
	free(c->v);
	free(c);
}

struct chain *chain_open(struct sluice_task *t, int *failed, char *err,
			 size_t errlen)
{
	const struct connector_config *cfg = t->conn->cfg;
	*failed = 0;
	if (!cfg->transforms_n)
		return NULL;
	struct chain *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->v = calloc(cfg->transforms_n, sizeof(*c->v));
	if (!c->v)
		abort();
	c->owner = t;
	for (size_t i = 0; i < cfg->transforms_n; i++) {
		const struct transform_config *tc = &cfg->transforms[i];
		const struct plugin *pl =
			tc->plugin ? registry_find(&t->conn->w->setup->plugins,
						   tc->plugin)
				   : NULL;
		/* Validation refuses both; a reload that raced a plugin
		 * directory change must not crash the worker. */
		if (!pl || pl->desc->kind != SLUICE_KIND_TRANSFORM) {
			snprintf(err, errlen,
				 "transforms[%zu]: '%s' is not a loaded "
				 "transform plugin",
				 i, tc->plugin ? tc->plugin : "");
			goto fail;
		}
		struct stage *s = &c->v[c->n];
		s->p = pl->desc;
		snprintf(s->name, sizeof(s->name), "transforms[%zu]", i);
		s->t = calloc(1, sizeof(*s->t));
		if (!s->t)
			abort();
		s->t->conn = t->conn;
		s->t->id = t->id;
		s->t->stage_plugin = s->p;
		s->t->opts = &tc->opts;
		snprintf(s->t->who, sizeof(s->t->who), "%s/%s", t->who,
			 s->name);
		metric_set_init(&s->t->metrics);
		c->n++;
		if (s->p->open(s->t, &task_host_api, &s->t->state) !=
		    SLUICE_OK) {
			snprintf(err, errlen, "%s (%s) failed to open: %s",
				 s->name, s->p->name,
				 s->t->call_error[0] ? s->t->call_error
						     : "no reason given");
			goto fail;
		}
		s->t->opened = 1;
	}
	return c;
fail:
	chain_close(c);
	*failed = 1;
	return NULL;
}

/* Runs stage i on `in`, then the rest of the chain on what it emitted;
 * after the last stage `src` (the staged record `in` views) is moved to
 * `out`. */
static enum sluice_status run_from(struct chain *c, size_t i,
				   const struct sluice_record *in,
				   struct staged_record *src,
				   struct chain_out *out, const char **stage)
{
	if (i == c->n) {
		struct staged_record *r = out_push(out);
		*r = *src;
		r->output = 0;
		r->partition = in->partition;
		r->timestamp_ms = in->timestamp_ms;
		r->source_partition = r->position = NULL;
		if (src->borrowed) {
			/* The stage's arena is reset before `out` is used. */
			r->key = memdup(src->key, src->key_len);
			r->value = memdup(src->value, src->value_len);
			r->borrowed = 0;
		} else {
			free(src->source_partition);
			free(src->position);
		}
		*src = (struct staged_record){0};
		return SLUICE_OK;
	}
	struct stage *s = &c->v[i];
	s->t->call_error[0] = '\0';
	s->t->staging_open = 1;
	enum sluice_status st = s->p->process(s->t->state, s->t, in);
	s->t->staging_open = 0;
	if (st != SLUICE_OK) {
		task_staged_clear(s->t);
		*stage = s->name;
		snprintf(c->owner->call_error, sizeof(c->owner->call_error),
			 "%s",
			 s->t->call_error[0]   ? s->t->call_error
			 : st == SLUICE_REJECT ? "rejected"
					       : "no reason given");
		/* RETRY, REJECT and FATAL are what a stage may answer;
		 * anything else is refused like FATAL. */
		return st == SLUICE_RETRY || st == SLUICE_REJECT ? st
								 : SLUICE_FATAL;
	}
	/* Later stages have tasks of their own: this list stays put while
	 * they run, and is emptied (what was not moved on is freed) after. */
	enum sluice_status rc = SLUICE_OK;
	for (size_t k = 0; k < s->t->staged_n && rc == SLUICE_OK; k++) {
		struct chain_view v;
		chain_view_init(&v, &s->t->staged[k], in);
		rc = run_from(c, i + 1, &v.rec, &s->t->staged[k], out, stage);
		chain_view_free(&v);
	}
	task_staged_clear(s->t);
	return rc;
}

enum sluice_status chain_apply(struct chain *c, const struct sluice_record *in,
			       struct chain_out *out, const char **stage)
{
	*stage = NULL;
	size_t mark = out->n;
	/* A chain has at least one stage, so `in` itself is never moved
	 * to `out`: nothing stands for it as a staged record. */
	enum sluice_status st = run_from(c, 0, in, NULL, out, stage);
	if (st != SLUICE_OK)
		out_truncate(out, mark);
	return st;
}

int chain_run(struct sluice_task *t, const struct sluice_record *in,
	      struct chain_out *out, const char **stage)
{
	int attempt = 0;
	int64_t first = 0;
	for (;;) {
		t->call_error[0] = '\0';
		enum sluice_status st = chain_apply(t->chain, in, out, stage);
		if (st == SLUICE_OK)
			return 0;
		if (st != SLUICE_RETRY)
			return 1;
		if (attempt++ == 0)
			first = worker_now_ms();
		if (task_retry_wait(t, attempt, first, *stage))
			return -1;
	}
}
