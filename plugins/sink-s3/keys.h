/*
 * keys.h - object keys and their encodings: the deterministic key of a
 * batch ({prefix}/{topic}/{time partition}/{topic}+{partition}+{start}),
 * the time partition (strftime-style, UTC), ISO 8601 timestamps, and the
 * percent-encoding SigV4 wants for paths and query strings.
 */
#ifndef S3S_KEYS_H
#define S3S_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Appends s percent-encoded as SigV4 canonical requests want it: the
 * unreserved characters A-Z a-z 0-9 - . _ ~ as they are, every other byte
 * as %XX (upper case hex); '/' kept when keep_slash (object key paths). */
void s3s_uri_encode(struct s3s_buf *out, const char *s, size_t len,
		    int keep_slash);

/* One query parameter; value NULL means none ("uploads" is written
 * "uploads=", which is its canonical form). */
struct s3s_param {
	const char *name;
	const char *value;
};
/* Appends the canonical query string: parameters sorted by encoded name
 * (then value), names and values encoded, joined with '&'. */
void s3s_query_build(struct s3s_buf *out, const struct s3s_param *params,
		     size_t n);

/* The time partition of an instant (epoch ms, UTC) through a strftime
 * pattern ("dt=%Y-%m-%d/hour=%H"). An empty pattern gives "". Returns the
 * length, or -1 when the result would not fit in cap (or is empty for a
 * non-empty pattern). */
int s3s_time_partition(const char *pattern, int64_t ms, char *out, size_t cap);

/* Appends the key of the object starting at `start`:
 * [prefix/]topic/[time_partition/]topic+partition+start(20 digits)ext.
 * Leading and trailing '/' of prefix and time partition are ignored. */
void s3s_object_key(struct s3s_buf *out, const char *prefix, const char *topic,
		    const char *time_partition, int32_t partition,
		    int64_t start, const char *ext);

/* Appends [prefix/]table/name. */
void s3s_table_key(struct s3s_buf *out, const char *prefix, const char *table,
		   const char *name);

/* Where the end offset of a multipart object is kept:
 * [prefix/]_sluice/ends/<key after the prefix>. */
void s3s_marker_key(struct s3s_buf *out, const char *prefix, const char *key);

/* Parses an ISO 8601 / RFC 3339 date-time: 2026-01-21T00:39:04.153833Z,
 * with 'T' or ' ', optional fraction, 'Z' or +hh:mm / -hh:mm / +hhmm, or
 * a bare date (midnight UTC). 0 and *ms, or -1. */
int s3s_parse_time(const char *s, size_t len, int64_t *ms);

/* Formats epoch ms as 20260121T003904.153Z (for snapshot names). */
void s3s_format_compact_time(int64_t ms, char *out, size_t cap);

#endif
