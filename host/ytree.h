/*
 * ytree.h - a YAML document loaded into a small tree that keeps the line
 * and column of every key and value, so that every configuration error can
 * point at its place. Environment references ${env:NAME} in scalars are
 * expanded at load time ("$${" stands for a literal "${"); map keys are
 * taken as written.
 */
#ifndef SLUICE_YTREE_H
#define SLUICE_YTREE_H

#include <stddef.h>

#include "diag.h"

/* Files larger than this are refused before parsing. */
#define YTREE_MAX_FILE_BYTES (1024 * 1024)
/* Nesting deeper than this is refused. */
#define YTREE_MAX_DEPTH 64

enum ynode_type { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
	enum ynode_type type;
	int line, col; /* of the value, 1-based */
	/* Set when this node is the value of a map entry. */
	char *key;
	int key_line, key_col;
	/* SCALAR: the text after env expansion; `plain` is 1 for an
	 * unquoted scalar (so `~`, `null` or an empty plain value is null).
	 * A scalar that took text from the environment is never plain:
	 * TOKEN=null gives the string "null", not a null. */
	char *value;
	int plain;
	/* SCALAR: how it was written, so a position inside the text can be
	 * mapped back to the file (quotes shift it by one; a block scalar
	 * starts on the next line). */
	enum ynode_style { YSTYLE_PLAIN, YSTYLE_QUOTED, YSTYLE_BLOCK } style;
	/* MAP: entries in file order, each with `key` set; SEQ: items. */
	struct ynode **kids;
	size_t n;
};

/* Loads one file. On error returns NULL and adds diagnostics (file too
 * large, not UTF-8, syntax error, duplicate key, anchors/aliases, unset
 * environment variable, too deep) naming file:line:col. A file with no
 * document yields an empty map. */
struct ynode *ytree_load_file(const char *path, struct diags *d);
/* Same for text in memory; `name` is used in diagnostics. */
struct ynode *ytree_load_string(const char *name, const char *text, size_t len,
				struct diags *d);
void ytree_free(struct ynode *n);

/* Map lookup by key; NULL if absent or `map` is not a map. */
struct ynode *ytree_get(const struct ynode *map, const char *key);
/* Is this a null scalar (plain ~, null, Null, NULL or empty)? */
int ytree_is_null(const struct ynode *n);
const char *ytree_type_name(enum ynode_type t); /* "scalar", "map", ... */

#endif
