/*
 * origin.h - origin stamps: exactly once between a transform and a
 * stateful transform downstream of it.
 *
 * A transform that restarts processes its inputs again from its last
 * commit and emits what it emitted before once more. Every record a
 * transform emits while processing an input carries the header
 * `sluice.origin` = "topic/partition/offset/ordinal": the input it came
 * from, and its place among that input's outputs to the same topic. In
 * one partition of an output topic the records of one origin partition
 * arrive in increasing (offset, ordinal) order (inputs are processed in
 * order, and the producer keeps order per partition), until the upstream
 * restarts and sends some of them again. So a stateful task keeps, per
 * input partition and origin partition, the highest stamp it processed
 * (its mark), saved with its input positions in every position marker;
 * a record at or below the mark was processed before and is dropped.
 *
 * This holds when the upstream emits the same records to a topic for an
 * input when it processes it again from the same state; output that
 * depends on the wall clock belongs in tick(), which is not stamped.
 */
#ifndef SLUICE_ORIGIN_H
#define SLUICE_ORIGIN_H

#include <json-c/json.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/plugin.h"
#include "state.h"

#define ORIGIN_HEADER "sluice.origin"
/* The position marker's key for the marks: not a topic name (a topic
 * name cannot hold '/'). */
#define ORIGIN_MARKER_KEY "sluice/origins"

struct origin_stamp {
	const char *topic; /* not terminated */
	size_t topic_len;
	int32_t partition;
	int64_t offset;
	int64_t ordinal;
};

/* Sets the stamp of `in` with `ordinal` on *headers (created when
 * NULL), replacing a stamp the plugin copied from its input. */
void origin_stamp_set(rd_kafka_headers_t **headers,
		      const struct sluice_record *in, int64_t ordinal);

/* The record's stamp (its last `sluice.origin` header): 1, or 0 when it
 * has none or one that does not parse. */
int origin_stamp_of(const struct sluice_record *r, struct origin_stamp *s);

/* Marks by "in_topic/in_partition origin_topic/origin_partition". */
struct origin_marks {
	struct kv_map map; /* value: int64_t offset, int64_t ordinal */
};

void origin_marks_init(struct origin_marks *m);
void origin_marks_free(struct origin_marks *m);

/* For an input record: 1 when its stamp is at or below the mark of its
 * input partition and origin (processed before); else 0, and the mark
 * moves to its stamp. Unstamped records are never seen before. */
int origin_marks_seen(struct origin_marks *m, const struct sluice_record *r);

/* Adds the marks to a position marker object under ORIGIN_MARKER_KEY as
 * {"in/p origin/q": [offset, ordinal], ...} (nothing when empty). */
void origin_marks_to_json(const struct origin_marks *m, json_object *marker);

/* Replaces the marks by those of a position marker object. 0, or -1
 * with err when its ORIGIN_MARKER_KEY entry is malformed. */
int origin_marks_from_json(struct origin_marks *m, json_object *marker,
			   char *err, size_t errlen);

#endif
