/*
 * table.h - JSON Lines as an aligned text table, for people: the columns
 * are the top-level members in first-seen order, numbers right-aligned,
 * nested values as compact JSON. `sluice table` and scripts/quickstart
 * use it to show the gold tables.
 */
#ifndef SLUICE_TABLE_H
#define SLUICE_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table;

struct table *table_new(void);
void table_free(struct table *t);

/* Adds one line of JSON Lines. Blank lines are skipped. Returns 0, or -1
 * with the reason in err when the line is not a JSON object. */
int table_add_line(struct table *t, const char *line, size_t len, char *err,
		   size_t errlen);

/* Rows sorted by `field` (numbers numerically, then text), descending
 * when `desc`; rows without it last. NULL keeps the input order. */
void table_sort(struct table *t, const char *field, int desc);

/* Prints the header, a rule and up to `max_rows` rows (0 = all), then
 * "(N rows)" or "(showing M of N rows)". */
void table_print(const struct table *t, size_t max_rows, FILE *out);

size_t table_rows(const struct table *t);

#endif
