/*
 * arena.c - blocks of BLOCK bytes filled front to back; a copy larger
 * than a quarter block gets a block of its own, so one huge record does
 * not waste a standard block nor keep one around after a reset.
 */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (256 * 1024)

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};

static struct arena_block *block_new(size_t cap, struct arena_block *next)
{
	struct arena_block *b = malloc(sizeof(*b) + cap);
	if (!b)
		abort();
	b->next = next;
	b->used = 0;
	b->cap = cap;
	return b;
}

void *arena_copy(struct arena *a, const void *p, size_t n)
{
	size_t need = (n + 7) & ~(size_t)7;
	struct arena_block *b = a->head;
	unsigned char *q;

	if (need > BLOCK / 4) {
		/* Its own block, behind the one being filled. */
		struct arena_block *big = block_new(need ? need : 8, NULL);
		if (b) {
			big->next = b->next;
			b->next = big;
		} else {
			a->head = big;
			big->used = big->cap; /* full: the next copy starts
						 a standard block */
		}
		q = big->data;
	} else {
		if (!b || b->cap - b->used < need)
			b = a->head = block_new(BLOCK, b);
		q = b->data + b->used;
		b->used += need;
	}
	if (n)
		memcpy(q, p, n);
	return q;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_copy(a, s, strlen(s) + 1);
}

void arena_reset(struct arena *a)
{
	struct arena_block *keep = NULL, *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		if (!keep && b->cap == BLOCK) {
			keep = b;
			keep->used = 0;
			keep->next = NULL;
		} else {
			free(b);
		}
		b = next;
	}
	a->head = keep;
}

void arena_free(struct arena *a)
{
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
}
