/*
 * diag.h - a list of diagnostics, each naming a file, line and column.
 * Validation collects every problem instead of stopping at the first.
 */
#ifndef SLUICE_DIAG_H
#define SLUICE_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	char *file; /* may be NULL (a message about no file) */
	int line;   /* 1-based; 0 = not known */
	int col;    /* 1-based; 0 = not known */
	char *msg;
};

struct diags {
	struct diag *v;
	size_t n, cap;
};

/* Appends "file:line:col: message". Never fails: on out-of-memory the
 * process aborts, because a lost diagnostic would hide an error. */
void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Prints each diagnostic on its own line as "file:line:col: error: msg". */
void diags_print(const struct diags *d, FILE *out);
/* Formats one diagnostic into buf as printed by diags_print (no "error:"). */
void diags_format(const struct diag *g, char *buf, size_t len);
void diags_free(struct diags *d);

#endif
