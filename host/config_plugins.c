/*
 * config_plugins.c - the connector checks that need the loaded plugins:
 *
 *   - `plugin` names a loaded plugin (else a did-you-mean, the list of
 *     plugins, or a note that plugin.path has none);
 *   - the fields fit the plugin's kind: a source writes (topic or
 *     outputs) and reads no topics, a sink reads `topics` and writes
 *     nothing, a transform does both;
 *   - `outputs` keys are outputs the plugin declares, `topic` and
 *     `outputs` do not both map the default output, and every declared
 *     output is mapped: an unmapped output would drop records silently;
 *   - `config:` against the plugin's option table (fills c->opts);
 *   - each `transforms:` item names a transform plugin with one output
 *     and no state, and its `config:` fits that plugin's table (fills
 *     t->opts; problems are named "transforms[N].config...").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "units.h"

static const char *const default_outputs[] = {"out", NULL};

static const char *const *outputs_of(const struct sluice_plugin *p)
{
	return p->outputs ? p->outputs : default_outputs;
}

static size_t count(const char *const *v)
{
	size_t n = 0;
	while (v[n])
		n++;
	return n;
}

static int is_one_of(const char *s, const char *const *v)
{
	for (; *v; v++)
		if (!strcmp(s, *v))
			return 1;
	return 0;
}

/* "; did you mean 'x'?", else "<intro>a, b", else "; <empty>". */
static char *hint(const char *word, const char *const *names, size_t n,
		  const char *intro, const char *empty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	const char *near = units_suggest(word, names, n);
	if (near)
		fprintf(f, "; did you mean '%s'?", near);
	else if (n)
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%s%s", i ? ", " : intro, names[i]);
	else
		fprintf(f, "; %s", empty);
	fclose(f);
	return buf;
}

/* Where a plugin was named, for messages. */
struct place {
	const char *file;
	int line, col;
	const char *field; /* "plugin", "transforms[0].plugin" */
};

static void report_unknown(const struct plugin_registry *reg,
			   enum sluice_kind kind, const char *name,
			   const struct place *at, struct diags *d)
{
	char empty[80];
	const char **names = config_alloc((reg->n + 1) * sizeof(*names));
	size_t n = 0;
	for (size_t i = 0; i < reg->n; i++)
		if (!kind || reg->v[i].desc->kind == kind)
			names[n++] = reg->v[i].desc->name;
	if (kind && reg->n)
		snprintf(empty, sizeof empty,
			 "no %s plugins found on plugin.path",
			 loader_kind_name(kind));
	else
		snprintf(empty, sizeof empty,
			 "no plugins found on plugin.path");
	char *tail = hint(name, names, n, "; available: ", empty);
	diags_add(d, at->file, at->line, at->col, "%s: unknown plugin '%s'%s",
		  at->field, name, tail);
	free(tail);
	free(names);
}

/* The plugin called `name` and of kind `kind` (0: any), or NULL after
 * reporting why not. */
static const struct sluice_plugin *
find_plugin(const struct plugin_registry *reg, enum sluice_kind kind,
	    const char *name, const struct place *at, struct diags *d)
{
	const struct plugin *p = registry_find(reg, name);
	if (!p) {
		report_unknown(reg, kind, name, at, d);
		return NULL;
	}
	if (kind && p->desc->kind != kind) {
		diags_add(d, at->file, at->line, at->col,
			  "%s: plugin '%s' is a %s, not a %s", at->field, name,
			  loader_kind_name(p->desc->kind),
			  loader_kind_name(kind));
		return NULL;
	}
	return p->desc;
}

/* Where a field of c was given: its key, else the plugin value. */
static void key_pos(const struct connector_config *c, const char *key,
		    int *line, int *col)
{
	const struct ynode *n = ytree_get(c->root, key);
	*line = n ? n->key_line : c->plugin_line;
	*col = n ? n->key_col : c->plugin_col;
}

static void misfit(const struct connector_config *c, const char *key,
		   const char *what, const struct sluice_plugin *p,
		   struct diags *d)
{
	int line, col;
	key_pos(c, key, &line, &col);
	diags_add(d, c->file, line, col, "%s: %s plugin '%s' %s", key,
		  loader_kind_name(p->kind), p->name, what);
}

static void missing(const struct connector_config *c, const char *key,
		    const char *alt, const struct sluice_plugin *p,
		    struct diags *d)
{
	diags_add(d, c->file, c->plugin_line, c->plugin_col,
		  "%s: missing required field for %s plugin '%s'%s", key,
		  loader_kind_name(p->kind), p->name, alt);
}

/* Returns whether the outputs are worth checking further. */
static int check_kind(const struct connector_config *c,
		      const struct sluice_plugin *p, struct diags *d)
{
	int reads = p->kind != SLUICE_KIND_SOURCE;
	int writes = p->kind != SLUICE_KIND_SINK;
	if (c->topics_n && !reads)
		misfit(c, "topics", "reads no topics", p, d);
	if (!c->topics_n && reads)
		missing(c, "topics", "", p, d);
	if (!writes) {
		if (ytree_get(c->root, "topic"))
			misfit(c, "topic", "writes no topic", p, d);
		if (ytree_get(c->root, "outputs"))
			misfit(c, "outputs", "has no outputs", p, d);
	} else if (!c->outputs_n) {
		missing(c, "topic", " (or give outputs)", p, d);
	}
	return writes && c->outputs_n;
}

static const struct output_map *find_output(const struct connector_config *c,
					    const char *name)
{
	for (size_t i = 0; i < c->outputs_n; i++)
		if (c->outputs[i].name && !strcmp(c->outputs[i].name, name))
			return &c->outputs[i];
	return NULL;
}

static const struct output_map *topic_entry(const struct connector_config *c)
{
	for (size_t i = 0; i < c->outputs_n; i++)
		if (c->outputs[i].from_topic)
			return &c->outputs[i];
	return NULL;
}

static void check_output_name(const struct connector_config *c,
			      const struct output_map *o,
			      const struct sluice_plugin *p, struct diags *d)
{
	const char *const *decl = outputs_of(p);
	if (o->from_topic)
		return;
	if (!is_one_of(o->name, decl)) {
		char *tail = hint(o->name, decl, count(decl),
				  "; its outputs are ", "");
		diags_add(d, c->file, o->line, o->col,
			  "outputs.%s: the plugin '%s' has no output '%s'%s",
			  o->name, p->name, o->name, tail);
		free(tail);
		return;
	}
	const struct output_map *t = topic_entry(c);
	if (t && !strcmp(t->name, o->name))
		diags_add(d, c->file, o->line, o->col,
			  "outputs.%s: the default output '%s' is already "
			  "mapped by topic (line %d)",
			  o->name, o->name, t->line);
}

static void check_outputs(struct connector_config *c,
			  const struct sluice_plugin *p, struct diags *d)
{
	const char *const *decl = outputs_of(p);
	/* `topic: X` means the default output, known only now. */
	for (size_t i = 0; i < c->outputs_n; i++)
		if (!c->outputs[i].name)
			c->outputs[i].name = config_strdup(decl[0]);
	for (size_t i = 0; i < c->outputs_n; i++)
		check_output_name(c, &c->outputs[i], p, d);
	int line, col;
	key_pos(c, ytree_get(c->root, "outputs") ? "outputs" : "topic", &line,
		&col);
	for (; *decl; decl++)
		if (!find_output(c, *decl))
			diags_add(d, c->file, line, col,
				  "outputs: output '%s' of plugin '%s' is not "
				  "mapped to a topic",
				  *decl, p->name);
}

/* A chain stage hands what it emits to the next stage: one output, and
 * no state of its own (a stateful transform needs its input partitions
 * and a changelog, which a stage inside another connector's task has
 * not). */
static int stage_fits(const struct transform_config *t,
		      const struct connector_config *c, size_t i,
		      const struct sluice_plugin *p, struct diags *d)
{
	size_t outs = count(outputs_of(p));
	if (outs > 1) {
		diags_add(d, c->file, t->line, t->col,
			  "transforms[%zu].plugin: plugin '%s' declares %zu "
			  "outputs; a chain stage has one (the next stage)",
			  i, p->name, outs);
		return 0;
	}
	if (loader_flags(p) & SLUICE_PLUGIN_STATEFUL) {
		diags_add(d, c->file, t->line, t->col,
			  "transforms[%zu].plugin: plugin '%s' is stateful; a "
			  "chain stage must be stateless (run it as a "
			  "connector of its own)",
			  i, p->name);
		return 0;
	}
	return 1;
}

/* The stage's options, with its problems named after the stage
 * ("transforms[1].config.field: ...") and, when it has no `config:`,
 * placed at its `plugin` value instead of nowhere. */
static void stage_options(struct transform_config *t,
			  const struct connector_config *c, size_t i,
			  const struct sluice_plugin *p, struct diags *d)
{
	struct diags mine = {0};
	options_parse(&t->opts, p->options, p->name, t->config, c->file, &mine);
	for (size_t k = 0; k < mine.n; k++) {
		const struct diag *g = &mine.v[k];
		int at_stage = !g->line && !strncmp(g->msg, "config", 6);
		diags_add(d, g->file, at_stage ? t->line : g->line,
			  at_stage ? t->col : g->col, "transforms[%zu].%s", i,
			  g->msg);
	}
	diags_free(&mine);
}

static void check_transforms(struct connector_config *c,
			     const struct plugin_registry *reg, struct diags *d)
{
	for (size_t i = 0; i < c->transforms_n; i++) {
		struct transform_config *t = &c->transforms[i];
		char field[64];
		snprintf(field, sizeof field, "transforms[%zu].plugin", i);
		struct place at = {c->file, t->line, t->col, field};
		options_free(&t->opts);
		/* A stage without a plugin was reported when it was read. */
		const struct sluice_plugin *p =
			t->plugin ? find_plugin(reg, SLUICE_KIND_TRANSFORM,
						t->plugin, &at, d)
				  : NULL;
		if (p && stage_fits(t, c, i, p, d))
			stage_options(t, c, i, p, d);
	}
}

static void check_connector(struct connector_config *c,
			    const struct plugin_registry *reg, struct diags *d)
{
	struct place at = {c->file, c->plugin_line, c->plugin_col, "plugin"};
	const struct sluice_plugin *p = find_plugin(reg, 0, c->plugin, &at, d);
	/* Safe to call again (a reload): nothing is kept from last time. */
	options_free(&c->opts);
	if (p) {
		if (check_kind(c, p, d))
			check_outputs(c, p, d);
		options_parse(&c->opts, p->options, p->name, c->config, c->file,
			      d);
	}
	check_transforms(c, reg, d);
}

int config_check_plugins(struct connector_list *l,
			 const struct plugin_registry *reg, struct diags *d)
{
	size_t before = d->n;
	for (size_t i = 0; i < l->n; i++)
		check_connector(l->v[i], reg, d);
	return d->n == before ? 0 : -1;
}
