/*
 * money.h - exact money and event time for transform-gold: JSON number
 * text to integer cents (no binary floating point anywhere), cents back
 * to text with two decimals, the average rule, and ISO 8601 timestamps
 * to microseconds since the epoch (UTC).
 */
#ifndef GOLD_MONEY_H
#define GOLD_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "jbuf.h"

/* Largest amount one field may carry, in cents (10^15 cents, ten
 * trillion units): sums of many stay far inside int64. */
#define GOLD_MONEY_MAX 1000000000000000LL

/* The JSON number s[0..n) ("316.4", "-0.005", "1e2") in cents, rounded
 * half away from zero at the third decimal (0.005 -> 1, -0.005 -> -1,
 * 0.0049999 -> 0). Returns 0, or -1 when s is not a JSON number or its
 * magnitude is over GOLD_MONEY_MAX. */
int gold_money_parse(const char *s, size_t n, int64_t *cents);

/* cents as a JSON number with exactly two decimals: 1234 -> 12.34,
 * -5 -> -0.05, 0 -> 0.00. */
void gold_money_write(struct jbuf *b, int64_t cents);

/* sum / n in cents rounded half away from zero (n > 0): 1000/3 -> 333,
 * 1001/2 -> 501 (500.5 rounds up), -1001/2 -> -501. */
int64_t gold_money_avg(int64_t sum, int64_t n);

/* An ISO 8601 date-time s[0..n): YYYY-MM-DDTHH:MM:SS, an optional
 * fraction of 1..9 digits (kept to the microsecond, truncated), then Z
 * or an offset +HH:MM / -HH:MM (converted to UTC); 'T' may be a space or
 * 't', 'Z' may be 'z'. Returns 0 with *us since the epoch, or -1. */
int gold_time_parse(const char *s, size_t n, int64_t *us);

/* The UTC date of us as YYYY-MM-DD into p (10 bytes, no NUL). */
void gold_date_of(int64_t us, char p[10]);

#endif
