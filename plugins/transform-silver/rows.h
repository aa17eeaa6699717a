/*
 * rows.h - transform-silver's columns: money as integer cents parsed from
 * a number's own text (no float drift), event times from ISO 8601, and
 * the rows of the three tables written from a parsed record (jdoc.h) into
 * a reused buffer.
 */
#ifndef SILVER_ROWS_H
#define SILVER_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "jbuf.h"
#include "jdoc.h"

/* A JSON number's text (-12.345e1) in cents, rounded half away from zero
 * to the cent. Returns 0, or -1 when s is not a JSON number or the cents
 * do not fit in 64 bits. */
int silver_money_parse(const char *s, size_t n, int64_t *cents);

/* A number as cents, from the text it was parsed from. Returns 0, or -1
 * when v is not a number (NULL, null, a string, ...) or out of range. */
int silver_money_of(const struct jnode *v, int64_t *cents);

/* cents as a JSON number with two decimals: -3.50, 5800.45, 21.00. */
void silver_money_write(struct jbuf *b, int64_t cents);

/* "2026-01-21T00:39:04.153833Z" (1 to 9 fraction digits or none; `Z`,
 * `+hh:mm`, `-hh:mm` or `+hhmm`; `T`, `t` or a space between date and
 * time) in microseconds since the epoch. Returns 0, or -1. */
int silver_time_parse(const char *s, size_t n, int64_t *us);

/* The string value of v, or NULL when v is not a string (or NULL). */
const char *silver_str(const struct jnode *v, size_t *len);

/* Column writers: v as the column's type, or null when v is absent or of
 * another type. */
void silver_col_str(struct jbuf *b, const struct jnode *v);
void silver_col_int(struct jbuf *b, const struct jnode *v);
void silver_col_money(struct jbuf *b, const struct jnode *v);

/* A 64-bit hash of p[0..n), eight bytes at a time, the same on every
 * machine (it is kept in the state store). Not for adversaries: it only
 * tells a re-sent transaction that changed from one that did not. */
uint64_t silver_hash(const void *p, size_t n);

/* Little-endian fixed-width integers for the state store's values, so a
 * changelog restores the same on any machine. */
void silver_put_u64(unsigned char *p, uint64_t v);
uint64_t silver_get_u64(const unsigned char *p);

#endif
