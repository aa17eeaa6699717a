/*
 * window.h - transform-silver's duplicate suppression: the transaction
 * ids seen lately, kept in the host's state store (so they survive a
 * restart together with the input position) and bounded by a count and
 * an event-time window, evicted oldest first.
 *
 * Store entries (keys never start with NUL, as the host requires): the
 * ids in chunks of SILVER_CHUNK_IDS by sequence number,
 *   "w:<seq / SILVER_CHUNK_IDS>" -> its entries in seq order, each: seq
 *                           u64, event time i64 (us), content hash u64,
 *                           the watermark after it was added i64
 *                           (INT64_MIN: none yet), little-endian, then
 *                           the id's length u16 and the id
 * An add rewrites the newest chunk; a chunk is deleted when its last id
 * is evicted. A key a record would have cost the changelog a record per
 * id (and its eviction another): a fifth of the medallion's run. Older
 * stores' "t:<transaction_id>" -> the same 32 bytes are read and moved
 * into chunks at open. The newest id is never evicted by time, so the
 * entry with the highest seq always tells the next seq and the watermark
 * at restore. In memory: a ring of the ids by seq, for eviction, and an
 * index of the ring by id, for lookups.
 */
#ifndef SILVER_WINDOW_H
#define SILVER_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/plugin.h"

/* Longest transaction id kept (the store's keys are up to 1024 bytes). */
#define SILVER_ID_MAX 1000

/* Ids a store entry holds. */
#define SILVER_CHUNK_IDS 32

struct silver_slot {
	uint64_t seq;
	int64_t time_us;
	uint64_t hash; /* the record's content hash */
	int64_t wm;    /* the watermark after it was added, as stored */
	uint32_t len;
	char *big;	/* the id when longer than small */
	char small[40]; /* a UUID fits */
};

struct silver_window {
	const struct sluice_host *h;
	struct sluice_task *t;
	int64_t max_count;  /* 0: no count bound */
	int64_t max_age_us; /* 0: no time bound */
	struct silver_slot *ring;
	size_t cap, head, n; /* cap: a power of two */
	uint64_t next_seq;
	int64_t watermark_us; /* the latest event time seen */
	int have_watermark;
	uint64_t evicted_count, evicted_time; /* since open */
	/* Ring positions by id: open addressing, 0 empty, else pos + 1. */
	size_t *index, index_cap;
	/* The newest chunk as stored: its number and entries. */
	unsigned char *chunk;
	size_t chunk_len, chunk_cap;
	uint64_t chunk_no;
	int have_chunk;
	char key[SILVER_ID_MAX + 2];
};

/* Reads the ids in the store into the ring, then evicts what the bounds
 * no longer allow (they may have shrunk since the last run). Returns 0,
 * or -1 with the reason set on the task. */
int silver_window_open(struct silver_window *w, const struct sluice_host *h,
		       struct sluice_task *t, int64_t max_count,
		       int64_t max_age_us);
void silver_window_free(struct silver_window *w);

/* Whether id is in the window; when it is, *hash is the content hash it
 * was stored with. */
int silver_window_seen(struct silver_window *w, const char *id, size_t len,
		       uint64_t *hash);

/* Adds id (not in the window) with its event time (has_time 0: none, the
 * watermark is used) and content hash, then evicts. Returns 0, or -1
 * with the reason set on the task. */
int silver_window_add(struct silver_window *w, const char *id, size_t len,
		      int has_time, int64_t time_us, uint64_t hash);

#endif
