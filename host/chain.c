/*
 * chain.c - the in-process transforms chain (see chain.h). Each stage has
 * a task of its own (same connector and id, its own options and staging
 * list), so the ordinary host functions serve its plugin unchanged.
 */
#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "task.h"

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

static void stage_close(struct stage *s)
{
	if (s->t->opened && s->p->close)
		s->p->close(s->t->state);
	task_staged_clear(s->t);
	free(s->t->staged);
	metric_set_free(&s->t->metrics);
	free(s->t);
}

void chain_close(struct chain *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
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
			registry_find(&t->conn->w->setup->plugins, tc->plugin);
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
				 s->name, s->p->name, s->t->call_error);
			chain_close(c);
			*failed = 1;
			return NULL;
		}
		s->t->opened = 1;
	}
	return c;
}

static void record_of(const struct staged_record *r,
		      const struct sluice_record *origin,
		      struct sluice_header *hdrs, size_t hcap,
		      struct sluice_record *out)
{
	*out = *origin;
	out->key = r->key;
	out->key_len = r->key_len;
	out->value = r->value;
	out->value_len = r->value_len;
	if (r->timestamp_ms)
		out->timestamp_ms = r->timestamp_ms;
	out->headers = hdrs;
	out->header_count = 0;
	const char *name;
	const void *val;
	size_t len;
	for (size_t i = 0;
	     r->headers && i < hcap &&
	     !rd_kafka_header_get_all(r->headers, i, &name, &val, &len);
	     i++) {
		hdrs[i] = (struct sluice_header){name, val, len};
		out->header_count++;
	}
}

/* Runs stage i on `in`, then the rest of the chain on what it emitted. */
static enum sluice_status run_from(struct chain *c, size_t i,
				   const struct sluice_record *in,
				   chain_out_fn *out, void *ctx,
				   const char **stage)
{
	if (i == c->n)
		return out(ctx, in) ? SLUICE_FATAL : SLUICE_OK;
	struct stage *s = &c->v[i];
	s->t->call_error[0] = '\0';
	s->t->staging_open = 1;
	enum sluice_status st = s->p->process(s->t->state, s->t, in);
	s->t->staging_open = 0;
	if (st != SLUICE_OK) {
		task_staged_clear(s->t);
		*stage = s->name;
		snprintf(c->owner->call_error, sizeof(c->owner->call_error),
			 "%s (%s): %s", s->name, s->p->name,
			 s->t->call_error[0] ? s->t->call_error
					     : "no reason given");
		return st;
	}
	/* Take the emitted records so the next stage may reuse the list. */
	struct staged_record *mine = s->t->staged;
	size_t n = s->t->staged_n;
	s->t->staged = NULL;
	s->t->staged_n = s->t->staged_cap = 0;
	enum sluice_status rc = SLUICE_OK;
	for (size_t k = 0; k < n && rc == SLUICE_OK; k++) {
		struct sluice_header hdrs[64];
		struct sluice_record r;
		record_of(&mine[k], in, hdrs, 64, &r);
		rc = run_from(c, i + 1, &r, out, ctx, stage);
	}
	/* Give the list back (emptied) so its memory is reused. */
	s->t->staged = mine;
	s->t->staged_n = n;
	s->t->staged_cap = n;
	task_staged_clear(s->t);
	return rc;
}

enum sluice_status chain_apply(struct chain *c, const struct sluice_record *in,
			       chain_out_fn *out, void *ctx, const char **stage)
{
	*stage = NULL;
	return run_from(c, 0, in, out, ctx, stage);
}
