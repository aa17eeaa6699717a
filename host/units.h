/*
 * units.h - parsing of the scalar value syntaxes used in configuration:
 * integers, doubles, booleans, sizes (5MiB) and durations (30s, 250ms).
 * Each parser takes the whole string (no trailing garbage) and returns 0,
 * or -1 with a one-line reason in err (err may be NULL).
 */
#ifndef SLUICE_UNITS_H
#define SLUICE_UNITS_H

#include <stddef.h>
#include <stdint.h>

int units_parse_int(const char *s, int64_t *out, char *err, size_t errlen);
int units_parse_double(const char *s, double *out, char *err, size_t errlen);
/* true/false, yes/no, on/off (any case). */
int units_parse_bool(const char *s, int *out, char *err, size_t errlen);
/* Bytes: a non-negative integer with an optional unit B, KB, MB, GB, TB
 * (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024); "1.5MiB" is
 * allowed when the result is a whole number of bytes.
 * Units are case-sensitive ("5mb" is refused with a did-you-mean: 'mb'
 * could mean millibits or megabits) and follow the number directly
 * ("5 MiB" is refused). */
int units_parse_size(const char *s, int64_t *out, char *err, size_t errlen);
/* Milliseconds: a non-negative number with a unit ms, s, m, h, d
 * ("250ms", "30s", "1.5s"); a bare number is an error (ambiguous).
 * Units are lowercase and follow the number directly, as for sizes;
 * "1.5ms" is refused (not a whole number of milliseconds). */
int units_parse_duration_ms(const char *s, int64_t *out, char *err,
			    size_t errlen);

/* Formatting for messages and listings: "5MiB", "30s". The largest unit
 * that divides the value exactly is used ("1536KiB", "1500B", "90s"), so
 * the text parses back to the same value. Zero is "0B" and "0s". */
void units_format_size(int64_t bytes, char *buf, size_t len);
void units_format_duration(int64_t ms, char *buf, size_t len);

/* Text fit to be quoted in a one-line message: control characters
 * become '?', and text too long for buf is cut at a character boundary
 * and ends in "...". Returns buf. */
const char *units_quote(const char *s, char *buf, size_t len);

/* Levenshtein distance, for did-you-mean suggestions. */
size_t units_edit_distance(const char *a, const char *b);
/* The candidate closest to `word` if it is close enough to be a likely
 * typo (distance <= max(2, len/3)), else NULL. */
const char *units_suggest(const char *word, const char *const *candidates,
			  size_t n);

#endif
