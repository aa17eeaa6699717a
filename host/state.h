/*
 * state.h - the state store of stateful transforms, without Kafka: the
 * in-memory map of one task (keys 1..1024 bytes not starting with NUL,
 * values up to 1 MiB, the whole store bounded by state.max.bytes) and the
 * replay that rebuilds it from its changelog records.
 *
 * The changelog (one partition per task; task_state.c writes it) holds:
 *   key K, value V            K was set to V      (value NULL: deleted)
 *     header sluice.state.prev        K's value as of the last position
 *                                     marker, or
 *     header sluice.state.prev.absent K did not exist then (also when
 *                                     neither header is there, except
 *                                     in a snapshot)
 *   "\0sluice.position"       a position marker: value is the JSON
 *                             {"topic": {"partition": next_offset}} of the
 *                             inputs the state reflects; every record
 *                             before it (outputs too) was acknowledged
 *   "\0sluice.epoch"          a position marker written without waiting:
 *                             value as a position marker's; header
 *                             sluice.state.epoch: its id. It counts only
 *                             once a later
 *   "\0sluice.confirm"        value: that id, says every record before
 *                             the epoch marker was acknowledged
 *   "\0sluice.snapshot.begin" value: snapshot id; header
 *                             sluice.state.position: the marker it follows
 *   every live entry          without headers: its prev is its own
 *                             value (a restore that passes through
 *                             the snapshot keeps it)
 *   "\0sluice.snapshot.end"   value: the same id
 * (A snapshot is over at its end or at any other record of the host's.)
 */
#ifndef SLUICE_STATE_H
#define SLUICE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/plugin.h"

#define STATE_KEY_MAX 1024
#define STATE_VALUE_MAX (1024 * 1024)

/* The host's own changelog records (with their leading NUL). */
#define STATE_KEY_POSITION "\0sluice.position"
#define STATE_KEY_SNAP_BEGIN "\0sluice.snapshot.begin"
#define STATE_KEY_SNAP_END "\0sluice.snapshot.end"
#define STATE_KEY_EPOCH "\0sluice.epoch"
#define STATE_KEY_CONFIRM "\0sluice.confirm"
#define STATE_HDR_EPOCH "sluice.state.epoch"
#define STATE_HDR_PREV "sluice.state.prev"
#define STATE_HDR_PREV_ABSENT "sluice.state.prev.absent"
#define STATE_HDR_POSITION "sluice.state.position"

/* A key with a value, or with none (`present` 0): the store holds only
 * present entries; the dirty map and a callback's journal also remember
 * keys that were absent. */
struct kv_slot {
	char *key; /* NULL: empty slot */
	size_t key_len;
	char *value; /* NULL when absent */
	size_t value_len;
	uint64_t hash;
	int present;
};

/* Open addressing, linear probing, backward-shift deletion. */
struct kv_map {
	struct kv_slot *v;
	size_t cap; /* power of two */
	size_t n;
	size_t bytes; /* key and value bytes of the entries */
};

void kv_map_init(struct kv_map *m);
void kv_map_free(struct kv_map *m);
void kv_map_clear(struct kv_map *m);
/* The slot of key, or NULL. */
const struct kv_slot *kv_map_find(const struct kv_map *m, const void *key,
				  size_t key_len);
/* Inserts or replaces (copies key and value). */
void kv_map_set(struct kv_map *m, const void *key, size_t key_len,
		const void *value, size_t value_len, int present);
/* 1 if it was there, 0 if not. */
int kv_map_remove(struct kv_map *m, const void *key, size_t key_len);
/* fn for every slot in no particular order (fn must not change m);
 * stops at the first non-zero return and returns it. */
int kv_map_foreach(const struct kv_map *m,
		   int (*fn)(void *ctx, const struct kv_slot *s), void *ctx);

struct state_store {
	struct kv_map map;
	int64_t max_bytes; /* state.max.bytes; <= 0: no limit */
};

void state_store_init(struct state_store *s, int64_t max_bytes);
void state_store_free(struct state_store *s);

/* 0, or -1 with the reason (the messages plugins see). */
int state_check_key(const void *key, size_t key_len, char *err, size_t errlen);
/* Borrowed until the next put/delete; NULL when absent. */
const void *state_store_get(const struct state_store *s, const void *key,
			    size_t key_len, size_t *value_len);
/* 0, or -1 with the reason: bad key, value over 1 MiB, or the store would
 * grow past max_bytes (then nothing changed). */
int state_store_put(struct state_store *s, const void *key, size_t key_len,
		    const void *value, size_t value_len, char *err,
		    size_t errlen);
int state_store_delete(struct state_store *s, const void *key, size_t key_len,
		       char *err, size_t errlen);
size_t state_store_count(const struct state_store *s);
size_t state_store_bytes(const struct state_store *s);

/* What a replay found. */
struct state_replay_info {
	char *position;	     /* JSON of the last marker (owned), or NULL */
	size_t start;	     /* index the replay started at */
	int from_snapshot;   /* start is a complete snapshot's begin */
	size_t after_marker; /* keys rolled back to their value at the marker */
	struct kv_map rolled; /* those keys (no values) */
};

/* Frees what state_replay put in `info`. */
void state_replay_info_free(struct state_replay_info *info);

/*
 * Rebuilds the store as of the last position marker (or the confirmed
 * epoch marker latest in the log) from changelog records in log order (key,
 * value, headers; offsets unused). Starts at the begin of the latest complete
 * snapshot, else at the first record; `truncated` says the log's first records
 * are gone (its low watermark is above 0), which without a complete snapshot is
 * an error. `out` must be empty; it is filled without its byte limit. Returns
 * 0, or -1 with err
 * ("<what> was truncated before a complete snapshot", or a bad record).
 */
int state_replay(const struct sluice_record *recs, size_t n, int truncated,
		 const char *what, struct state_store *out,
		 struct state_replay_info *info, char *err, size_t errlen);

/*
 * Where a restore reading a changelog in order may let go of what it read:
 * everything before the begin of the latest snapshot that counts (the
 * replay's rule: a snapshot that names an epoch counts once a confirm of
 * that epoch follows its end; before, the restore needs the records
 * before it). Memory then stays near that snapshot and what followed it.
 */
#define STATE_CUT_WAIT 16
#define STATE_CUT_ID 64 /* longer snapshot or epoch ids never count */
struct state_cut_snap {
	size_t begin; /* index of its begin */
	char id[STATE_CUT_ID], epoch[STATE_CUT_ID];
	size_t id_len, epoch_len; /* epoch_len 0: names no epoch */
};
struct state_cut {
	int reading; /* cur is a snapshot begun and not ended */
	struct state_cut_snap cur;
	/* Complete snapshots waiting for their epoch's confirm, oldest
	 * first (when full the oldest is forgotten: kept longer, safe). */
	struct state_cut_snap wait[STATE_CUT_WAIT];
	size_t wait_n;
};

void state_cut_init(struct state_cut *c);
/* r was just read and kept at index i (the records kept so far are
 * 0..i): how many of the first ones are no longer needed (0: none). The
 * caller drops them; the cut's indices are already shifted by that many. */
size_t state_cut_next(struct state_cut *c, const struct sluice_record *r,
		      size_t i);

/* Is this a host record (key starts with NUL) with exactly this key? */
int state_is_key(const struct sluice_record *r, const char *key,
		 size_t key_len);
/* The first header called `name`, or NULL. */
const struct sluice_header *state_header(const struct sluice_record *r,
					 const char *name);

#endif
