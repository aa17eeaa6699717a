/*
 * table.c - see table.h. Cells are kept as text with a flag saying
 * whether the value was a JSON number, for alignment and sorting.
 */
#include "table.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

struct cell {
	char *text; /* NULL: the row has no such member */
	int number;
	double num;
};

struct table {
	char **cols;
	size_t ncols;
	struct cell **rows; /* each ncols_at_add wide, grown on demand */
	size_t *widths_at;  /* how many cells row i holds */
	size_t nrows, cap;
	const char *sort_field; /* for the comparator */
	size_t sort_col;
	int sort_desc;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fputs("sluice: out of memory\n", stderr);
		exit(1);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xrealloc(NULL, n), s, n);
}

struct table *table_new(void)
{
	struct table *t = xrealloc(NULL, sizeof *t);

	memset(t, 0, sizeof *t);
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t c = 0; c < t->widths_at[i]; c++)
			free(t->rows[i][c].text);
		free(t->rows[i]);
	}
	for (size_t c = 0; c < t->ncols; c++)
		free(t->cols[c]);
	free(t->cols);
	free(t->rows);
	free(t->widths_at);
	free(t);
}

size_t table_rows(const struct table *t)
{
	return t->nrows;
}

static size_t column(struct table *t, const char *name)
{
	for (size_t c = 0; c < t->ncols; c++)
		if (!strcmp(t->cols[c], name))
			return c;
	t->cols = xrealloc(t->cols, (t->ncols + 1) * sizeof(*t->cols));
	t->cols[t->ncols] = xstrdup(name);
	return t->ncols++;
}

int table_add_line(struct table *t, const char *line, size_t len, char *err,
		   size_t errlen)
{
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t' ||
			   line[i] == '\r' || line[i] == '\n'))
		i++;
	if (i == len)
		return 0;
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, line, (int)len);
	enum json_tokener_error je = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!o || je != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		if (je != json_tokener_success)
			snprintf(err, errlen, "not JSON: %s",
				 json_tokener_error_desc(je));
		else
			snprintf(err, errlen, "not a JSON object");
		json_object_put(o);
		return -1;
	}
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->rows = xrealloc(t->rows, t->cap * sizeof(*t->rows));
		t->widths_at =
			xrealloc(t->widths_at, t->cap * sizeof(*t->widths_at));
	}
	struct cell *row = NULL;
	size_t width = 0;
	json_object_object_foreach(o, key, val)
	{
		size_t c = column(t, key);
		if (c >= width) {
			row = xrealloc(row, (c + 1) * sizeof(*row));
			memset(row + width, 0, (c + 1 - width) * sizeof(*row));
			width = c + 1;
		}
		enum json_type ty = json_object_get_type(val);
		if (ty == json_type_string)
			row[c].text = xstrdup(json_object_get_string(val));
		else
			row[c].text = xstrdup(json_object_to_json_string_ext(
				val, JSON_C_TO_STRING_PLAIN |
					     JSON_C_TO_STRING_NOSLASHESCAPE));
		row[c].number = ty == json_type_int || ty == json_type_double;
		row[c].num = row[c].number ? json_object_get_double(val) : 0;
	}
	json_object_put(o);
	t->rows[t->nrows] = row;
	t->widths_at[t->nrows] = width;
	t->nrows++;
	return 0;
}

static const struct cell *cell_at(const struct table *t, size_t r, size_t c)
{
	return c < t->widths_at[r] && t->rows[r][c].text ? &t->rows[r][c]
							 : NULL;
}

/* qsort has no context argument; the table sorts one at a time. */
static const struct table *sorting;

static int by_field(const void *a, const void *b)
{
	size_t ra = *(const size_t *)a, rb = *(const size_t *)b;
	const struct cell *x = cell_at(sorting, ra, sorting->sort_col);
	const struct cell *y = cell_at(sorting, rb, sorting->sort_col);
	int r;
	if (!x || !y) {
		r = !x - !y; /* missing ones last, whatever the direction */
	} else {
		if (x->number && y->number)
			r = (x->num > y->num) - (x->num < y->num);
		else
			r = strcmp(x->text, y->text);
		if (sorting->sort_desc)
			r = -r;
	}
	return r ? r : (ra > rb) - (ra < rb); /* stable */
}

void table_sort(struct table *t, const char *field, int desc)
{
	if (!field || !t->nrows)
		return;
	size_t c = 0;
	while (c < t->ncols && strcmp(t->cols[c], field))
		c++;
	if (c == t->ncols)
		return;
	size_t *idx = xrealloc(NULL, t->nrows * sizeof(*idx));
	for (size_t i = 0; i < t->nrows; i++)
		idx[i] = i;
	t->sort_col = c;
	t->sort_desc = desc;
	sorting = t;
	qsort(idx, t->nrows, sizeof(*idx), by_field);
	sorting = NULL;
	struct cell **rows = xrealloc(NULL, t->nrows * sizeof(*rows));
	size_t *w = xrealloc(NULL, t->nrows * sizeof(*w));
	for (size_t i = 0; i < t->nrows; i++) {
		rows[i] = t->rows[idx[i]];
		w[i] = t->widths_at[idx[i]];
	}
	memcpy(t->rows, rows, t->nrows * sizeof(*rows));
	memcpy(t->widths_at, w, t->nrows * sizeof(*w));
	free(rows);
	free(w);
	free(idx);
}

/* Display width: code points, not bytes (names and cities are UTF-8). */
static size_t width_of(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* One output line, built whole so trailing blanks can be cut. */
struct line {
	char *p;
	size_t n, cap;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (l->n + n + 1 > l->cap) {
		l->cap = (l->n + n + 1) * 2;
		l->p = xrealloc(l->p, l->cap);
	}
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

static void pad(struct line *l, size_t n)
{
	while (n--)
		put(l, " ", 1);
}

/* A cell, left- or right-aligned in a column `w` wide. */
static void cell(struct line *l, size_t c, const char *s, size_t w, int right)
{
	size_t n = width_of(s);
	if (c)
		put(l, "  ", 2);
	if (right)
		pad(l, w - n);
	put(l, s, strlen(s));
	if (!right)
		pad(l, w - n);
}

static void end_line(struct line *l, FILE *out)
{
	while (l->n && l->p[l->n - 1] == ' ')
		l->n--;
	put(l, "\n", 1);
	fwrite(l->p, 1, l->n, out);
	l->n = 0;
}

void table_print(const struct table *t, size_t max_rows, FILE *out)
{
	size_t shown = max_rows && max_rows < t->nrows ? max_rows : t->nrows;
	size_t *w = xrealloc(NULL, (t->ncols + 1) * sizeof(*w));
	int *numeric = xrealloc(NULL, (t->ncols + 1) * sizeof(*numeric));
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = width_of(t->cols[c]);
		numeric[c] = 1;
		for (size_t r = 0; r < shown; r++) {
			const struct cell *x = cell_at(t, r, c);
			if (!x)
				continue;
			size_t n = width_of(x->text);
			if (n > w[c])
				w[c] = n;
			numeric[c] &= x->number;
		}
	}
	struct line l = {0};
	for (size_t c = 0; c < t->ncols; c++)
		cell(&l, c, t->cols[c], w[c], numeric[c]);
	end_line(&l, out);
	for (size_t c = 0; c < t->ncols; c++) {
		if (c)
			put(&l, "  ", 2);
		for (size_t i = 0; i < w[c]; i++)
			put(&l, "-", 1);
	}
	end_line(&l, out);
	for (size_t r = 0; r < shown; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const struct cell *x = cell_at(t, r, c);
			cell(&l, c, x ? x->text : "", w[c], numeric[c]);
		}
		end_line(&l, out);
	}
	if (shown < t->nrows)
		fprintf(out, "(showing %zu of %zu rows)\n", shown, t->nrows);
	else
		fprintf(out, "(%zu row%s)\n", t->nrows,
			t->nrows == 1 ? "" : "s");
	free(l.p);
	free(w);
	free(numeric);
}
