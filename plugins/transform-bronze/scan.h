/*
 * scan.h - transform-bronze's one pass over a record's value: a strict
 * JSON parser (RFC 8259; UTF-8 checked inside strings; nesting limited)
 * that checks the value against the declared schema on the way and
 * builds nothing. What it finds are the exact reasons of README.md
 * ("Reasons"), and, for the output writer, where the top-level object
 * ends and which unknown fields to move out (extra.fields: rescue).
 *
 * Byte offsets in messages count from 0.
 */
#ifndef BRONZE_SCAN_H
#define BRONZE_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "jbuf.h"
#include "schema.h"

enum bronze_extra {
	BRONZE_EXTRA_RESCUE, /* keep the record, move them to _rescued_data */
	BRONZE_EXTRA_KEEP,   /* leave them where they are */
	BRONZE_EXTRA_QUARANTINE, /* a reason: "unexpected field: user.x" */
};

/* The first reason's kind (for the quarantine counter's label). */
enum bronze_fault {
	BRONZE_FAULT_NONE,
	BRONZE_FAULT_JSON,
	BRONZE_FAULT_DEPTH,
	BRONZE_FAULT_UTF8,
	BRONZE_FAULT_SCHEMA,
};

/* Reasons kept per record; more are counted ("and 3 more"). */
#define BRONZE_MAX_REASONS 32

/* A byte range of the value. */
struct bronze_span {
	size_t from, to;
};

/* One step of a path: a member's key as written, or an array index. */
struct bronze_seg {
	const char *key; /* NULL: an index */
	size_t len;
	size_t index;
};

/* An unknown field moved out under extra.fields: rescue. */
struct bronze_rescued {
	size_t path_at, path_len; /* in scan.paths */
	struct bronze_span value; /* its value as written */
};

struct bronze_scan {
	/* Set once. */
	const struct bronze_node *schema;
	int max_depth;
	enum bronze_extra extra;

	/* Results of the last bronze_scan_run. */
	enum bronze_fault fault;
	size_t nreasons;     /* kept, at most BRONZE_MAX_REASONS */
	size_t more_reasons; /* beyond those */
	struct jbuf reasons; /* the kept ones, each NUL-terminated */
	size_t reason_at[BRONZE_MAX_REASONS];
	size_t close;		  /* offset of the top-level object's '}' */
	size_t kept_members;	  /* top-level members left in place */
	struct bronze_span *cuts; /* ranges to leave out, ascending */
	size_t ncuts;
	struct bronze_rescued *rescued;
	size_t nrescued;
	struct jbuf paths; /* rescued fields' paths */

	/* Working state. */
	const unsigned char *s;
	size_t n, i;
	int depth;
	int stop; /* a syntax error: the rest is not looked at */
	int oom;
	struct jbuf scratch; /* a reason being formatted */
	size_t utf8_bad;
	struct bronze_seg *segs; /* the path to the current value */
	size_t nsegs;
	size_t capc, capr;
	uint64_t *seen; /* depth x words bitmaps of fields met */
	size_t words;
	char key[128]; /* an escaped key, decoded */
};

/* Ready to scan with `schema` (borrowed; must outlive the scanner). 0,
 * or -1 when out of memory. */
int bronze_scan_init(struct bronze_scan *sc, const struct bronze_node *schema,
		     int max_depth, enum bronze_extra extra);
void bronze_scan_free(struct bronze_scan *sc);

/* Scans p[0..n). Returns the number of reasons (0: the record is good);
 * -1 when out of memory. */
long bronze_scan_run(struct bronze_scan *sc, const void *p, size_t n);

/* The k-th kept reason. */
const char *bronze_scan_reason(const struct bronze_scan *sc, size_t k);

#endif
