/*
 * expr.h - a small expression language over JSON records, for
 * data-quality expectations and computed fields. Compiled once (syntax
 * and the type errors visible without data are reported with a column),
 * evaluated per record against a parsed document's root (jdoc.h).
 *
 *   user.email matches '^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$'
 *   round(sum(items.price * items.quantity), 2) = amount
 *   currency in ['USD', 'EUR'] and not (user.age < 18 or user.age is null)
 *
 * Values: null, true/false, 64-bit integers, doubles, strings, objects
 * (opaque: only `is null`, count and len see them) and lists; a record's
 * integer too large for 64 bits is a double. A field path
 * (a.b.c) that passes through an array yields the list of what it finds
 * in each element, in order, with null where an element lacks the field,
 * so that items.price * items.quantity pairs the right numbers; arrays
 * met on the way, or at the end, are flattened into that list.
 *
 * Operators, loosest first: or; and; not; comparisons (= == != <> < <=
 * > >=), is [not] null, [not] in [literals], [not] matches 'ERE'; + -;
 * * /; unary minus. Comparisons do not chain. Functions: sum, count, min,
 * max, avg, all, any (aggregates over a list; a single value counts as a
 * list of one), round(x[, digits]), abs(x), len(x).
 *
 * Semantics (SQL's where it has one):
 *  - null propagates: an operator with a null operand gives null; and/or
 *    use three-valued logic (false and null = false, true or null = true).
 *  - A type mismatch found at run time (a string field compared with a
 *    number, a number that `matches`) gives null, never an error; an
 *    expectation counts a null result as failed.
 *  - Operators apply element-wise to lists (a list and a single value, or
 *    two lists of the same length; lengths that differ give null), so
 *    all(items.quantity >= 1) tests every item. `is null` and len look at
 *    the whole value: a list, even empty, is not null.
 *  - Aggregates skip nulls; sum, min, max and avg of no value are null,
 *    count of none is 0; all of none is true, any of none false; all is
 *    false when any element is false, else null when any is null.
 *  - Numbers: integer arithmetic stays exact in 64 bits (overflow turns
 *    to double); / always gives a double; x / 0 is null. = and the other
 *    comparisons treat two numbers as equal when they differ by at most
 *    1e-9 of the larger (or 1e-9 below 1), so decimal sums compare as
 *    decimals: 0.1 + 0.2 = 0.3 holds, and round(sum(items.price *
 *    items.quantity), 2) = amount holds exactly when the items add up to
 *    the amount to the cent. round() rounds half away from zero in
 *    decimal (round(1.005, 2) = 1.01, though 1.005 is stored as
 *    1.00499999...).
 *  - Strings compare byte-wise (UTF-8 code point order); 'it''s' quotes a
 *    quote; a backslash is an ordinary character, so regular expressions
 *    are written as they are. matches is POSIX extended regex (regcomp,
 *    compiled once), unanchored unless the pattern says ^...$.
 *  - Keywords and function names are case-insensitive. A field named like
 *    a keyword, or with other characters, is written in backquotes:
 *    `count`, user.`e-mail`.
 */
#ifndef SLUICE_EXPR_H
#define SLUICE_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "jdoc.h"

enum expr_result { EXPR_FALSE = 0, EXPR_TRUE = 1, EXPR_NULL = 2 };

/* Static types, as far as the compiler can tell without data. */
enum expr_stype {
	EXPR_S_ANY,  /* a field, or built from fields: known only per record */
	EXPR_S_NULL, /* the literal null */
	EXPR_S_BOOL,
	EXPR_S_NUM,
	EXPR_S_STR,
};

enum expr_vtype {
	EXPR_V_NULL,
	EXPR_V_BOOL,
	EXPR_V_INT,
	EXPR_V_DOUBLE,
	EXPR_V_STRING,
	EXPR_V_OBJECT,
	EXPR_V_LIST,
};

struct expr_value {
	enum expr_vtype type;
	union {
		int b;
		int64_t i;
		double d;
		struct {
			const char *p; /* not NUL-terminated */
			size_t len;
		} s;
		const struct jnode *obj;
		struct {
			struct expr_value *v; /* never lists themselves */
			size_t n;
		} list;
	} u;
};

/* Memory for the values of one evaluation: the first KiB inline, more
 * from the heap. Declare it zeroed (EXPR_ARENA_INIT); expr_arena_reset
 * frees what it took. */
struct expr_chunk;
struct expr_arena {
	struct expr_chunk *chunks;
	size_t used;
	union {
		max_align_t align;
		char b[1024];
	} first;
};
#define EXPR_ARENA_INIT                                                        \
	{                                                                      \
		0                                                              \
	}
void expr_arena_reset(struct expr_arena *a);

struct expr;

/* Compiles text. On error returns NULL, writes "syntax error at column
 * 14: expected ')', got the end" (or "type error at column 3: ...") into
 * err and the column (1-based, in characters) into *err_col. */
struct expr *expr_compile(const char *text, char *err, size_t errlen,
			  int *err_col);
/* The same, for text that starts at column col0 + 1 of what the user
 * wrote: every column reported is shifted by col0. */
struct expr *expr_compile_at(const char *text, int col0, char *err,
			     size_t errlen, int *err_col);
void expr_free(struct expr *e);

/* What the whole expression yields, as far as is known at compile time. */
enum expr_stype expr_static_type(const struct expr *e);

/* A condition on record: true, false, or null (unknown: a null operand
 * or a type mismatch; a result that is not a boolean is null too). */
enum expr_result expr_eval(const struct expr *e, const struct jnode *record);

/* The value of e on record. Strings point into the record or into e;
 * lists into the arena: valid while all three are. */
void expr_value(const struct expr *e, const struct jnode *record,
		struct expr_arena *arena, struct expr_value *out);

#endif
