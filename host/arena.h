/*
 * arena.h - a bump allocator for what a task stages during one callback:
 * the keys, values and positions a plugin emits are copied here and all
 * dropped at once when the staged list is cleared, instead of a malloc
 * and a free each (the source path's hottest cost).
 */
#ifndef SLUICE_ARENA_H
#define SLUICE_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head; /* the block being filled first */
};

/* A copy of n bytes at p (8-byte aligned; n may be 0). Never NULL. */
void *arena_copy(struct arena *a, const void *p, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* Drops every copy; keeps one standard block for the next round. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
