/*
 * tracker.h - in-order acknowledgement windows.
 *
 * A window holds, in order, the things a task has started (a source
 * record, or a transform's input record) and how many produced records
 * of each are still unacknowledged. Acks arrive out of order (records go
 * to different Kafka partitions); what may be committed is always the
 * mark of the last entry before the first one still pending, so nothing
 * is committed past a record the broker has not confirmed.
 *
 * A task keeps its windows in a tracker_set. Each produced record carries
 * a 64-bit reference (window index and entry sequence) as its librdkafka
 * opaque, so no allocation is made per record.
 */
#ifndef SLUICE_TRACKER_H
#define SLUICE_TRACKER_H

#include <stddef.h>
#include <stdint.h>

/* A source position short enough is kept in the entry: no allocation
 * per record for the usual sequence numbers. */
#define TRACKER_POS_INLINE 24

struct tracker_entry {
	uint64_t seq;
	int64_t mark; /* input offset, or unused */
	uint32_t pending;
	uint8_t pos; /* source position: 0 none, 1 in `in`, 2 in `heap` */
	union {
		char in[TRACKER_POS_INLINE];
		char *heap; /* owned */
	} p;
};

struct tracker {
	int used;
	char *name;	   /* source partition or "topic" */
	int32_t partition; /* input partition, or -1 */
	struct tracker_entry *ring;
	size_t cap, head, count;
	uint64_t next_seq;
	/* The last entry fully acknowledged (committable). */
	int has_done;
	int64_t done_mark;
	char *done_position; /* owned, done_cap bytes */
	size_t done_cap;
	int dirty; /* done_* changed since tracker_clear_dirty */
};

struct tracker_set {
	struct tracker *v;
	size_t n;
	uint64_t pending_total; /* records produced and not yet acked */
	size_t hint;		/* the window tracker_find found last */
};

/* The window for (name, partition), created on first use. Returns its
 * index. */
size_t tracker_get(struct tracker_set *s, const char *name, int32_t partition);
/* Finds without creating; -1 if absent. */
long tracker_find(struct tracker_set *s, const char *name, int32_t partition);
/* Appends an entry with `pending` outstanding records. `position` is
 * copied. Returns the entry's sequence. */
uint64_t tracker_push(struct tracker_set *s, size_t idx, int64_t mark,
		      const char *position, uint32_t pending);
/* Adds outstanding records to the newest entry of a window. */
void tracker_add_pending(struct tracker_set *s, size_t idx, uint32_t n);
/* The opaque to give to a record produced for entry `seq` of `idx`. */
void *tracker_ref(size_t idx, uint64_t seq);
/* 1 when every entry of window idx marked below `mark` is acknowledged
 * (marks rise along a window). */
int tracker_acked_below(const struct tracker_set *s, size_t idx, int64_t mark);
/* The window a reference belongs to. */
size_t tracker_ref_window(const void *ref);
/* One record of `ref` was acknowledged. */
void tracker_ack(struct tracker_set *s, void *ref);
/* Drops a window (its partition was revoked); its index may be reused. */
void tracker_drop(struct tracker_set *s, size_t idx);
void tracker_set_free(struct tracker_set *s);

#endif
