/*
 * options.h - plugin option tables: checking a table when a plugin is
 * loaded, and turning a connector's `config:` map into typed values
 * checked against the table (type, range, allowed values, required,
 * unknown keys with did-you-mean). Secret values never appear in messages.
 */
#ifndef SLUICE_OPTIONS_H
#define SLUICE_OPTIONS_H

#include <stdint.h>

#include "diag.h"
#include "sluice/plugin.h"
#include "ytree.h"

struct optval {
	const struct sluice_option *decl;
	int set;       /* given in YAML (0: default or unset) */
	int has_value; /* given, or a default exists */
	int line, col; /* where it was given, 0 if not */
	char *text;    /* the value as written (or the default); lists: NULL */
	union {
		int64_t i; /* INT, SIZE (bytes), DURATION (ms), BOOL */
		double d;  /* DOUBLE */
	} num;
	char **list; /* LIST: NULL-terminated copies */
	size_t list_n;
	char *shown; /* LIST: the items joined by ", ", for options_display */
	struct optpos {
		int line, col;
		enum ynode_style style;
	} * at; /* LIST given in YAML: where each item was written */
};

struct optset {
	const struct sluice_option *decls;
	struct optval *vals; /* one per declared option, same order */
	size_t n;
};

/* Checks a plugin's option table: names unique and well-formed, known
 * types, defaults and bounds parse in the option's type, min <= max,
 * default within bounds and allowed, ENUM has `allowed`. On a problem
 * returns -1 with the reason in err. A LIST default is written as items
 * separated by commas ("json, avro"); "" is the empty list. */
int options_check_table(const struct sluice_option *table, char *err,
			size_t errlen);

/* Fills `set` from the YAML map `config` (may be NULL: no options given)
 * for a plugin named `plugin`. Adds one diagnostic per problem at the
 * offending key or value in `file`, e.g.
 *   "config.flush.size: expected a size such as 5MiB, got 'lots'"
 *   "config.flsh.size: unknown option for plugin 'sink-s3'; did you mean
 * 'flush.size'?" "config: missing required option 'bucket' (plugin 'sink-s3')"
 * Returns 0 when there were no problems, else -1. `set` is always left
 * initialised and must be freed with options_free. */
int options_parse(struct optset *set, const struct sluice_option *table,
		  const char *plugin, const struct ynode *config,
		  const char *file, struct diags *d);
void options_free(struct optset *set);

const struct optval *options_find(const struct optset *set, const char *name);

/* Places a plugin's message about one list item, "NAME[I]: ... at
 * column C" (C counted in the item's text, from 1), where that text was
 * written in the YAML file. Returns 0 and sets line and col when the
 * message names a list option of `set` given in the file, else -1. */
int options_locate(const struct optset *set, const char *msg, int *line,
		   int *col);

/* "string", "int", "size", ... */
const char *options_type_name(enum sluice_opt_type t);

/* The value as it may be shown to a person: "<secret>" for secrets, ""
 * when there is no value. */
const char *options_display(const struct optval *v);

#endif
