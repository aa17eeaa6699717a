/*
 * write.h - transform-bronze's two record shapes, written directly into
 * a reused buffer: a good record is its own bytes up to the closing '}'
 * of its object (minus the unknown fields moved out) followed by the
 * added fields; a quarantined one is built around its raw text.
 */
#ifndef BRONZE_WRITE_H
#define BRONZE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "jbuf.h"
#include "scan.h"
#include "sluice/plugin.h"

/* Where the record came from, and when it was ingested. */
struct bronze_origin {
	const char *topic;
	int32_t partition;
	int64_t offset;
	int64_t ingest_us;
};

/* The good record scanned by sc (value p[0..n)) into b. */
void bronze_write_good(struct jbuf *b, const struct bronze_scan *sc,
		       const char *p, const struct bronze_origin *o);

/* A quarantine record: raw is the value (NULL for a tombstone), cut to
 * its first `limit` bytes; the reasons are reasons[0..n) and then, when
 * more > 0, "and <more> more". */
void bronze_write_quarantine(struct jbuf *b, const char *raw, size_t len,
			     size_t limit, const char *const *reasons, size_t n,
			     size_t more, const struct bronze_origin *o);

#endif
