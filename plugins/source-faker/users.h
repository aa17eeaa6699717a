/*
 * users.h - the fixed pool of users. A user is a pure function of the
 * pool seed and its id (1..N): the same id always gives the same profile,
 * in every task and after every restart, without storing the pool.
 */
#ifndef FAKER_USERS_H
#define FAKER_USERS_H

#include <stdint.h>

/* More than the largest user object the word lists can produce. */
#define FAKER_USER_MAX 512

/* Ways to break an e-mail address (the invalid-email anomaly); 0 keeps
 * it valid. Each fails ^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$ */
#define FAKER_BAD_EMAIL_KINDS 4

/* Writes the user object ({"user_id": id, ... "ip_address": "..."}) at p
 * and returns its end. bad_email: 0, or 1..FAKER_BAD_EMAIL_KINDS. */
char *faker_user_write(char *p, uint64_t seed, uint32_t id,
		       unsigned bad_email);

#endif
