/*
 * jdoc.h - a JSON value parsed at once into one array of nodes, for the
 * transforms' per-record reads. One parse makes no allocation once the
 * document's arrays have grown to the largest record seen: strings are
 * unescaped in place in the document's own copy of the text, integers are
 * converted when parsed, and every number keeps its text (money is read
 * from it; a double is converted only when asked, by jnode_double).
 *
 * The grammar is RFC 8259's, strictly: no comments, NaN, single quotes or
 * trailing commas; only whitespace may follow the value. Strings may not
 * hold raw control characters; with JDOC_UTF8 they must be valid UTF-8.
 * An integer that does not fit 64 bits is a double (jnode.big is set).
 * An object's member names are not checked for duplicates: jnode_get
 * finds the last, as json-c did.
 *
 * The nodes of a value are in document order, each container followed by
 * its descendants, so a container's children are the nodes in
 * (n, n + n->skip), one after another by their own skip (JNODE_EACH).
 * Node pointers stay valid until the next parse.
 */
#ifndef SLUICE_JDOC_H
#define SLUICE_JDOC_H

#include <stddef.h>
#include <stdint.h>

enum jtype {
	JT_NULL,
	JT_BOOL,
	JT_INT,
	JT_DOUBLE,
	JT_STRING,
	JT_OBJECT,
	JT_ARRAY,
};

struct jnode {
	uint8_t type;	 /* enum jtype */
	uint8_t boolean; /* JT_BOOL: the value */
	uint8_t big;	 /* JT_DOUBLE: an integer too large for int64 */
	uint32_t key_len;
	/* JT_STRING: bytes (a \u0000 escape is one of them); JT_INT and
	 * JT_DOUBLE: the text's bytes; JT_OBJECT, JT_ARRAY: children. */
	uint32_t len;
	uint32_t skip;	 /* this node and its descendants: 1 for a scalar */
	const char *key; /* a member's name (NUL-terminated), else NULL */
	/* JT_STRING: NUL-terminated; numbers: their text (not terminated) */
	const char *str;
	int64_t i; /* JT_INT: the value (a double's is read by jnode_double) */
};

#define JDOC_UTF8 1u /* strings must be valid UTF-8 */

struct jdoc {
	struct jnode *nodes;
	size_t n, cap;
	char *text; /* the copy strings are unescaped in */
	size_t text_cap;
	int max_depth;
	unsigned flags;
	char err[160]; /* why the last parse failed, with the byte */
	int oom;       /* it failed for want of memory, not for the text */
};

void jdoc_init(struct jdoc *d, int max_depth, unsigned flags);
void jdoc_free(struct jdoc *d);

/* Parses p[0..len). Returns the root, or NULL with d->err set ("at byte
 * 12: expected ':' after a member name"; "out of memory" with d->oom). */
const struct jnode *jdoc_parse(struct jdoc *d, const char *p, size_t len);

/* The member of object o named name (the last of that name), or NULL when
 * there is none or o is not an object (or NULL). */
const struct jnode *jnode_get(const struct jnode *o, const char *name);
const struct jnode *jnode_getn(const struct jnode *o, const char *name,
			       size_t name_len);

/* A number's value as a double (JT_INT or JT_DOUBLE; 0 otherwise). */
double jnode_double(const struct jnode *n);

/* Child k of an array or object (counting from 0), or NULL. */
const struct jnode *jnode_at(const struct jnode *c, size_t k);

/* The type's name for messages: "null", "bool", "int", "double",
 * "string", "object", "array" (json-c's names). */
const char *jnode_type_name(const struct jnode *n);

#define JNODE_EACH(c, n)                                                       \
	for (const struct jnode *c = (n) + 1, *c##_end_ = (n) + (n)->skip;     \
	     c < c##_end_; c += c->skip)

#endif
