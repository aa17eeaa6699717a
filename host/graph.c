/*
 * graph.c - the pipeline graph as Graphviz DOT (see graph.h). Node ids
 * carry a "connector:" or "topic:" prefix because a connector and a
 * topic may share a name.
 */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

/* The inside of a DOT string: quotes and backslashes escaped. */
static void escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void quoted(FILE *out, const char *prefix, const char *s)
{
	fputc('"', out);
	fputs(prefix, out);
	escaped(out, s);
	fputc('"', out);
}

static const char *fill(enum sluice_kind k)
{
	switch (k) {
	case SLUICE_KIND_SOURCE:
		return "#dcfce7";
	case SLUICE_KIND_SINK:
		return "#fef3c7";
	default:
		return "#dbeafe";
	}
}

/* The names seen so far, to print each topic once. */
struct names {
	const char **v;
	size_t n;
};

static void name_add(struct names *s, const char *name)
{
	if (!name)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return;
	const char **v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		abort();
	s->v = v;
	s->v[s->n++] = name;
}

static const char *dlq_of(const struct connector_config *c)
{
	return c->errors.tolerance == TOLERANCE_ALL ? c->errors.dlq_topic
						    : NULL;
}

static void edges(FILE *out, const struct connector_config *c)
{
	for (size_t k = 0; k < c->topics_n; k++) {
		fputc('\t', out);
		quoted(out, "topic:", c->topics[k]);
		fputs(" -> ", out);
		quoted(out, "connector:", c->name);
		fputs(";\n", out);
	}
	for (size_t k = 0; k < c->outputs_n; k++) {
		fputc('\t', out);
		quoted(out, "connector:", c->name);
		fputs(" -> ", out);
		quoted(out, "topic:", c->outputs[k].topic);
		if (c->outputs_n > 1 && c->outputs[k].name) {
			fputs(" [label=", out);
			quoted(out, "", c->outputs[k].name);
			fputc(']', out);
		}
		fputs(";\n", out);
	}
	if (dlq_of(c)) {
		fputc('\t', out);
		quoted(out, "connector:", c->name);
		fputs(" -> ", out);
		quoted(out, "topic:", dlq_of(c));
		fputs(" [style=dashed, label=\"dead letters\"];\n", out);
	}
}

void graph_dot(FILE *out, const struct connector_list *l,
	       const struct plugin_registry *reg)
{
	fputs("digraph sluice {\n"
	      "\trankdir=LR;\n"
	      "\tnode [fontname=\"Helvetica\", fontsize=11];\n"
	      "\tedge [color=\"#64748b\"];\n",
	      out);
	struct names topics = {0};
	for (size_t i = 0; i < l->n; i++) {
		const struct connector_config *c = l->v[i];
		const struct plugin *p = registry_find(reg, c->plugin);
		enum sluice_kind kind =
			p ? p->desc->kind : SLUICE_KIND_TRANSFORM;
		fputc('\t', out);
		quoted(out, "connector:", c->name);
		fprintf(out,
			" [shape=box, style=\"rounded,filled\", "
			"fillcolor=\"%s\", label=\"",
			fill(kind));
		/* Two lines: the connector, and its plugin. */
		escaped(out, c->name);
		fputs("\\n", out);
		escaped(out, c->plugin);
		fputs("\"];\n", out);
		for (size_t k = 0; k < c->topics_n; k++)
			name_add(&topics, c->topics[k]);
		for (size_t k = 0; k < c->outputs_n; k++)
			name_add(&topics, c->outputs[k].topic);
		name_add(&topics, dlq_of(c));
	}
	for (size_t i = 0; i < topics.n; i++) {
		fputc('\t', out);
		quoted(out, "topic:", topics.v[i]);
		fputs(" [shape=ellipse, label=", out);
		quoted(out, "", topics.v[i]);
		fputs("];\n", out);
	}
	for (size_t i = 0; i < l->n; i++)
		edges(out, l->v[i]);
	fputs("}\n", out);
	free(topics.v);
}
