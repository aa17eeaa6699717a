/*
 * diag.c - diagnostics list: "file:line:col: message", collected so that
 * validation can report every problem at once.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q) {
		fputs("sluice: out of memory\n", stderr);
		abort();
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *msg = xrealloc(NULL, (size_t)(len < 0 ? 0 : len) + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)(len < 0 ? 0 : len) + 1, fmt, ap);
	va_end(ap);

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = (struct diag){
		.file = file ? xstrdup(file) : NULL,
		.line = line,
		.col = col,
		.msg = msg,
	};
}

void diags_format(const struct diag *g, char *buf, size_t len)
{
	if (!g->file)
		snprintf(buf, len, "%s", g->msg);
	else if (g->line <= 0)
		snprintf(buf, len, "%s: %s", g->file, g->msg);
	else if (g->col <= 0)
		snprintf(buf, len, "%s:%d: %s", g->file, g->line, g->msg);
	else
		snprintf(buf, len, "%s:%d:%d: %s", g->file, g->line, g->col,
			 g->msg);
}

void diags_print(const struct diags *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		if (!g->file)
			fprintf(out, "error: %s\n", g->msg);
		else if (g->line <= 0)
			fprintf(out, "%s: error: %s\n", g->file, g->msg);
		else if (g->col <= 0)
			fprintf(out, "%s:%d: error: %s\n", g->file, g->line,
				g->msg);
		else
			fprintf(out, "%s:%d:%d: error: %s\n", g->file, g->line,
				g->col, g->msg);
	}
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	*d = (struct diags){0};
}
