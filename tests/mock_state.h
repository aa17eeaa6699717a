/*
 * mock_state.h - the state store of tests/mock_host: an in-memory map of
 * byte keys to byte values with the host's rules (key 1..1024 bytes, no
 * leading NUL, value up to 1 MiB). It outlives the plugin's close and
 * open, as the host's store outlives a restart after its restore, so a
 * test can close and reopen a plugin and see it resume from its state.
 */
#ifndef SLUICE_MOCK_STATE_H
#define SLUICE_MOCK_STATE_H

#include <stddef.h>

struct mock_state;

struct mock_state *mock_state_new(void);
void mock_state_free(struct mock_state *s);

/* Borrowed until the next put/delete/clear; NULL when absent. */
const void *mock_state_get(const struct mock_state *s, const void *key,
			   size_t key_len, size_t *value_len);
/* 0, or -1 with the reason in err (the host's messages). */
int mock_state_put(struct mock_state *s, const void *key, size_t key_len,
		   const void *value, size_t value_len, char *err,
		   size_t errlen);
int mock_state_delete(struct mock_state *s, const void *key, size_t key_len,
		      char *err, size_t errlen);
int mock_state_foreach(const struct mock_state *s,
		       int (*fn)(void *ctx, const void *key, size_t key_len,
				 const void *value, size_t value_len),
		       void *ctx);
void mock_state_clear(struct mock_state *s);

size_t mock_state_count(const struct mock_state *s);
/* Sum of key and value lengths of the live entries. */
size_t mock_state_bytes(const struct mock_state *s);
/* put and delete calls so far (what the host would write to the
 * changelog). */
size_t mock_state_writes(const struct mock_state *s);

#endif
