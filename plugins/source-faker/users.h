/*
 * users.h - the fixed pool of users. A user is a pure function of the
 * pool seed and its id (1..N): the same id always gives the same profile,
 * in every task and after every restart, without storing the pool.
 */
#ifndef FAKER_USERS_H
#define FAKER_USERS_H

#include <stddef.h>
#include <stdint.h>

/* More than the largest user object the word lists can produce. */
#define FAKER_USER_MAX 512

/* Ways to break an e-mail address (the invalid-email anomaly); 0 keeps
 * it valid. Each fails ^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$ */
#define FAKER_BAD_EMAIL_KINDS 4

/* Pools up to this size are written once, at open, and copied per event
 * (a fifth of the cost of an event otherwise); larger ones are written
 * per event, to keep memory flat. */
#define FAKER_USERS_CACHE_MAX 10000

struct faker_users {
	uint64_t seed;
	uint32_t n;
	char *text;   /* the cached objects back to back, or NULL */
	uint32_t *at; /* user id's object is text[at[id - 1]..at[id]) */
};

/* Returns -1 when out of memory. */
int faker_users_init(struct faker_users *u, uint64_t seed, uint32_t n);
void faker_users_free(struct faker_users *u);

/* Writes user id's object at p, from the cache when there is one and
 * the e-mail is to stay valid. */
char *faker_users_put(const struct faker_users *u, char *p, uint32_t id,
		      unsigned bad_email);

/* Writes the user object ({"user_id": id, ... "ip_address": "..."}) at p
 * and returns its end. bad_email: 0, or 1..FAKER_BAD_EMAIL_KINDS. */
char *faker_user_write(char *p, uint64_t seed, uint32_t id, unsigned bad_email);

#endif
