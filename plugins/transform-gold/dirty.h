/*
 * dirty.h - the gold rows changed since they were last emitted, when
 * updates are coalesced (emit.interval > 0): each row's store key once,
 * in the order of its first change, with the timestamp of the newest
 * input that changed it.
 */
#ifndef GOLD_DIRTY_H
#define GOLD_DIRTY_H

#include <stddef.h>
#include <stdint.h>

struct gold_dirty_key {
	char *key;
	size_t len;
	int64_t ts_ms;
};

struct gold_dirty {
	struct gold_dirty_key *v; /* in order of first change */
	size_t n, cap;
	uint32_t *index; /* open addressing: 1 + position in v, 0 empty */
	size_t slots;	 /* a power of two, at least 2n */
};

/* Notes that the row under key changed (again). 0, or -1 out of memory. */
int gold_dirty_mark(struct gold_dirty *d, const char *key, size_t len,
		    int64_t ts_ms);
/* Forgets every key (after they were emitted). */
void gold_dirty_clear(struct gold_dirty *d);
void gold_dirty_free(struct gold_dirty *d);

#endif
