/*
 * dedup.h - "seen before?" over the last `window` distinct ids of one
 * kind, kept in the state store so that it survives a restart with the
 * aggregates it protects. Each id is a store entry <prefix><id> whose
 * value is its sequence number; a ring in memory, rebuilt at open from
 * those entries, says which entry to delete when the window moves on.
 * Memory and store size are bounded by the window, not by the stream.
 * A window of 0 is off: nothing is seen before, nothing kept, and ids
 * an earlier run kept are deleted at restore.
 */
#ifndef GOLD_DEDUP_H
#define GOLD_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/plugin.h"

struct gold_dedup {
	char prefix; /* the store key's first byte; the second is ':' */
	size_t window;
	uint64_t next; /* the sequence number of the next new id */
	struct gold_dedup_slot {
		char *key; /* the store key; NULL: empty */
		size_t len;
		uint64_t seq;
	} * ring; /* slot seq % window */
	/* Restore: store keys found that a smaller window no longer holds,
	 * deleted by gold_dedup_restore. */
	struct gold_dedup_slot *drop;
	size_t ndrop, capdrop;
};

/* 0, or -1 when out of memory. */
int gold_dedup_init(struct gold_dedup *d, char prefix, size_t window);
void gold_dedup_free(struct gold_dedup *d);

/* Restore, in two steps because state_foreach callbacks may not change
 * the store: collect is given every store entry and places ours in the
 * ring by sequence number; restore then deletes what a smaller window
 * no longer holds. collect: 0, or -1 (not ours after all: a bad value,
 * or out of memory); restore: 0, or -1 with the reason set. */
int gold_dedup_collect(struct gold_dedup *d, const void *key, size_t key_len,
		       const void *value, size_t value_len);
int gold_dedup_restore(struct gold_dedup *d, struct sluice_task *t,
		       const struct sluice_host *h);

/* The store key for id into k: its length, or 0 when over cap. */
size_t gold_dedup_key(const struct gold_dedup *d, char *k, size_t cap,
		      const void *id, size_t id_len);

/* Whether the store key k is in the window. */
int gold_dedup_seen(const struct gold_dedup *d, struct sluice_task *t,
		    const struct sluice_host *h, const char *k, size_t len);

/* Adds k (not seen), evicting the oldest id when the window is full.
 * 0, or -1 with the reason set (a store or memory failure). */
int gold_dedup_add(struct gold_dedup *d, struct sluice_task *t,
		   const struct sluice_host *h, const char *k, size_t len);

#endif
