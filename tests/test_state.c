/*
 * test_state - the state store of stateful transforms (host/state.c): the
 * map and its limits, and the replay of a changelog into the state as of
 * its last position marker.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

static char err[512];

/* ---- the store ---- */

static const char *get(const struct state_store *s, const char *key)
{
	size_t n = 0;
	const char *v = state_store_get(s, key, strlen(key), &n);
	ck_assert(!v || strlen(v) == n);
	return v;
}

static void put(struct state_store *s, const char *key, const char *value)
{
	ck_assert_msg(state_store_put(s, key, strlen(key), value, strlen(value),
				      err, sizeof(err)) == 0,
		      "%s", err);
}

START_TEST(store_basics)
{
	struct state_store s;
	state_store_init(&s, 0);
	ck_assert_ptr_null(get(&s, "a"));
	put(&s, "a", "1");
	put(&s, "b", "22");
	ck_assert_str_eq(get(&s, "a"), "1");
	ck_assert_str_eq(get(&s, "b"), "22");
	ck_assert_uint_eq(state_store_count(&s), 2);
	ck_assert_uint_eq(state_store_bytes(&s), 1 + 1 + 1 + 2);
	put(&s, "a", "333");
	ck_assert_str_eq(get(&s, "a"), "333");
	ck_assert_uint_eq(state_store_bytes(&s), 1 + 3 + 1 + 2);
	ck_assert_int_eq(state_store_delete(&s, "a", 1, err, sizeof(err)), 0);
	ck_assert_ptr_null(get(&s, "a"));
	ck_assert_int_eq(state_store_delete(&s, "a", 1, err, sizeof(err)), 0);
	ck_assert_uint_eq(state_store_count(&s), 1);
	ck_assert_uint_eq(state_store_bytes(&s), 3);
	/* An empty value is a value. */
	ck_assert_int_eq(state_store_put(&s, "e", 1, "", 0, err, sizeof(err)),
			 0);
	size_t n = 9;
	ck_assert_ptr_nonnull(state_store_get(&s, "e", 1, &n));
	ck_assert_uint_eq(n, 0);
	state_store_free(&s);
}
END_TEST

START_TEST(store_many)
{
	struct state_store s;
	state_store_init(&s, 0);
	char k[32], v[32];
	for (int i = 0; i < 8000; i++) {
		snprintf(k, sizeof(k), "key-%d", i);
		snprintf(v, sizeof(v), "%d", i * 7);
		put(&s, k, v);
	}
	for (int i = 0; i < 8000; i += 2) {
		snprintf(k, sizeof(k), "key-%d", i);
		ck_assert_int_eq(
			state_store_delete(&s, k, strlen(k), err, sizeof(err)),
			0);
	}
	ck_assert_uint_eq(state_store_count(&s), 4000);
	for (int i = 0; i < 8000; i++) {
		snprintf(k, sizeof(k), "key-%d", i);
		snprintf(v, sizeof(v), "%d", i * 7);
		if (i % 2)
			ck_assert_str_eq(get(&s, k), v);
		else
			ck_assert_ptr_null(get(&s, k));
	}
	state_store_free(&s);
}
END_TEST

START_TEST(store_limits)
{
	struct state_store s;
	state_store_init(&s, 100);
	static char big[STATE_KEY_MAX + 2];
	memset(big, 'k', sizeof(big));
	ck_assert_int_eq(state_store_put(&s, big, 0, "v", 1, err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "state key of 0 bytes: keys are 1..1024 bytes");
	ck_assert_int_eq(state_store_put(&s, big, STATE_KEY_MAX + 1, "v", 1,
					 err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err,
			 "state key of 1025 bytes: keys are 1..1024 bytes");
	ck_assert_int_eq(
		state_store_put(&s, "\0x", 2, "v", 1, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "state key starts with a NUL byte (reserved "
			      "for the host)");
	ck_assert_int_eq(state_store_delete(&s, "\0x", 2, err, sizeof(err)),
			 -1);
	char *huge = calloc(1, STATE_VALUE_MAX + 1);
	ck_assert_int_eq(state_store_put(&s, "k", 1, huge, STATE_VALUE_MAX + 1,
					 err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "state value of 1048577 bytes: values are at "
			      "most 1048576 bytes");
	free(huge);
	/* The whole store: 100 bytes of keys and values. */
	char v[96];
	memset(v, 'v', sizeof(v));
	ck_assert_int_eq(state_store_put(&s, "k", 1, v, 90, err, sizeof(err)),
			 0);
	ck_assert_int_eq(state_store_put(&s, "l", 1, v, 8, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(state_store_bytes(&s), 100);
	ck_assert_int_eq(state_store_put(&s, "m", 1, "", 0, err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "state store full: this put would make it 101 "
			      "bytes, over state.max.bytes (100); raise it "
			      "or keep fewer or smaller entries");
	ck_assert_ptr_null(get(&s, "m"));
	/* Replacing with a smaller value fits; the full one stays. */
	ck_assert_int_eq(state_store_put(&s, "k", 1, v, 91, err, sizeof(err)),
			 -1);
	ck_assert_int_eq(state_store_put(&s, "k", 1, v, 10, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(state_store_bytes(&s), 20);
	state_store_free(&s);
}
END_TEST

/* ---- replay ---- */

#define ABSENT ((const char *)1)

struct log {
	struct sluice_record r[64];
	struct sluice_header h[64][2];
	size_t n;
};

/* A state record: key set to value (NULL: deleted); prev is the value as
 * of the last marker, ABSENT, or NULL for no header at all. */
static void rec(struct log *l, const char *key, const char *value,
		const char *prev)
{
	struct sluice_record *r = &l->r[l->n];
	struct sluice_header *h = l->h[l->n];
	*r = (struct sluice_record){.key = key,
				    .key_len = strlen(key),
				    .value = value,
				    .value_len = value ? strlen(value) : 0,
				    .offset = (int64_t)l->n,
				    .headers = h};
	if (prev == ABSENT)
		h[r->header_count++] =
			(struct sluice_header){STATE_HDR_PREV_ABSENT, "1", 1};
	else if (prev)
		h[r->header_count++] = (struct sluice_header){
			STATE_HDR_PREV, prev, strlen(prev)};
	l->n++;
}

static void host_rec(struct log *l, const char *key, size_t key_len,
		     const char *value, const char *position)
{
	struct sluice_record *r = &l->r[l->n];
	struct sluice_header *h = l->h[l->n];
	*r = (struct sluice_record){.key = key,
				    .key_len = key_len,
				    .value = value,
				    .value_len = strlen(value),
				    .offset = (int64_t)l->n,
				    .headers = h};
	if (position)
		h[r->header_count++] = (struct sluice_header){
			STATE_HDR_POSITION, position, strlen(position)};
	l->n++;
}

#define K(s) s, sizeof(s) - 1
static void marker(struct log *l, const char *json)
{
	host_rec(l, K(STATE_KEY_POSITION), json, NULL);
}

static void snap_begin(struct log *l, const char *id, const char *position)
{
	host_rec(l, K(STATE_KEY_SNAP_BEGIN), id, position);
}

/* A snapshot begun right after epoch marker `epoch`: it counts once the
 * epoch is confirmed. */
static void snap_begin_epoch(struct log *l, const char *id,
			     const char *position, const char *epoch)
{
	snap_begin(l, id, position);
	struct sluice_record *r = &l->r[l->n - 1];
	l->h[l->n - 1][r->header_count++] =
		(struct sluice_header){STATE_HDR_EPOCH, epoch, strlen(epoch)};
}

static void snap_end(struct log *l, const char *id)
{
	host_rec(l, K(STATE_KEY_SNAP_END), id, NULL);
}

static void epoch(struct log *l, const char *id, const char *json)
{
	host_rec(l, K(STATE_KEY_EPOCH), json, NULL);
	struct sluice_record *r = &l->r[l->n - 1];
	l->h[l->n - 1][r->header_count++] =
		(struct sluice_header){STATE_HDR_EPOCH, id, strlen(id)};
}

static void confirm(struct log *l, const char *id)
{
	host_rec(l, K(STATE_KEY_CONFIRM), id, NULL);
}

static struct state_store st;
static struct state_replay_info info;

static void replay_ok(const struct log *l, int truncated)
{
	state_store_init(&st, 0);
	ck_assert_msg(state_replay(l->r, l->n, truncated, "log", &st, &info,
				   err, sizeof(err)) == 0,
		      "%s", err);
}

static void done(void)
{
	state_store_free(&st);
	state_replay_info_free(&info);
}

START_TEST(replay_empty)
{
	struct log l = {0};
	replay_ok(&l, 0);
	ck_assert_uint_eq(state_store_count(&st), 0);
	ck_assert_ptr_null(info.position);
	done();
}
END_TEST

/* Never a marker: nothing the state reflects was committed, so every key
 * goes back to its value at the start, which is no value. */
START_TEST(replay_no_marker)
{
	struct log l = {0};
	rec(&l, "a", "1", ABSENT);
	rec(&l, "a", "2", ABSENT);
	rec(&l, "b", "1", NULL);
	replay_ok(&l, 0);
	ck_assert_uint_eq(state_store_count(&st), 0);
	ck_assert_ptr_null(info.position);
	ck_assert_uint_eq(info.after_marker, 2);
	done();
}
END_TEST

START_TEST(replay_marker_then_partial_epoch)
{
	struct log l = {0};
	rec(&l, "a", "1", ABSENT);
	rec(&l, "b", "1", ABSENT);
	rec(&l, "a", "2", ABSENT);
	marker(&l, "{\"in\":{\"0\":3}}");
	rec(&l, "c", "9", ABSENT); /* after the marker: rolled back */
	rec(&l, "a", "3", "2");
	rec(&l, "a", "4", "2");
	rec(&l, "b", "5", "1");
	replay_ok(&l, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":3}}");
	ck_assert_uint_eq(state_store_count(&st), 2);
	ck_assert_str_eq(get(&st, "a"), "2");
	ck_assert_str_eq(get(&st, "b"), "1");
	ck_assert_ptr_null(get(&st, "c"));
	ck_assert_uint_eq(info.after_marker, 3);
	ck_assert(!info.from_snapshot);
	done();
}
END_TEST

/* A crash's tail (a=7, c=9 after the marker) is rolled back in memory,
 * and info.rolled names its keys so that the restored task writes them
 * again with their marker values (c deleted) and the marker once more
 * before its next epoch. A later restore then sees the tail overwritten
 * even though the next marker follows it; without that write-back, c=9
 * and a=7 would come back although their inputs are processed again. */
START_TEST(replay_after_written_back_tail)
{
	struct log l = {0};
	rec(&l, "a", "1", ABSENT);
	marker(&l, "{\"in\":{\"0\":1}}");
	rec(&l, "a", "7", "1"); /* the crashed run's tail */
	rec(&l, "c", "9", ABSENT);
	replay_ok(&l, 0);
	ck_assert_uint_eq(info.after_marker, 2);
	ck_assert_uint_eq(info.rolled.n, 2);
	ck_assert_ptr_nonnull(kv_map_find(&info.rolled, "a", 1));
	ck_assert_ptr_nonnull(kv_map_find(&info.rolled, "c", 1));
	done();
	/* the next run: the write-back, the marker again, an epoch of its
	 * own (input 1 only touches b), its marker */
	rec(&l, "a", "1", "1");
	rec(&l, "c", NULL, ABSENT);
	marker(&l, "{\"in\":{\"0\":1}}");
	rec(&l, "b", "5", ABSENT);
	marker(&l, "{\"in\":{\"0\":2}}");
	replay_ok(&l, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":2}}");
	ck_assert_uint_eq(state_store_count(&st), 2);
	ck_assert_str_eq(get(&st, "a"), "1");
	ck_assert_str_eq(get(&st, "b"), "5");
	ck_assert_ptr_null(get(&st, "c"));
	ck_assert_uint_eq(info.after_marker, 0);
	ck_assert_uint_eq(info.rolled.n, 0);
	done();
	/* a crash during the write-back: back to the first marker */
	l.n = 5;
	replay_ok(&l, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":1}}");
	ck_assert_uint_eq(state_store_count(&st), 1);
	ck_assert_str_eq(get(&st, "a"), "1");
	done();
}
END_TEST

/* Epoch markers count once confirmed, at their own place in the log:
 * what follows them, confirm or not, rolls back. */
START_TEST(replay_epochs)
{
	struct log l = {0};
	rec(&l, "a", "1", ABSENT);
	marker(&l, "{\"in\":{\"0\":1}}");
	rec(&l, "a", "2", "1");
	rec(&l, "b", "1", ABSENT);
	epoch(&l, "7.1", "{\"in\":{\"0\":3}}");
	rec(&l, "a", "3", "2");
	epoch(&l, "7.2", "{\"in\":{\"0\":4}}");
	rec(&l, "b", "2", "1");
	/* Nothing confirmed: the position marker. */
	replay_ok(&l, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":1}}");
	ck_assert_str_eq(get(&st, "a"), "1");
	ck_assert_ptr_null(get(&st, "b"));
	ck_assert_uint_eq(info.after_marker, 2);
	done();
	confirm(&l, "7.1");
	replay_ok(&l, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":3}}");
	ck_assert_str_eq(get(&st, "a"), "2");
	ck_assert_str_eq(get(&st, "b"), "1");
	ck_assert_uint_eq(info.after_marker, 2);
	done();
	rec(&l, "c", "1", ABSENT);
	confirm(&l, "7.2");
	confirm(&l, "7.9"); /* names no epoch marker: nothing */
	replay_ok(&l, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":4}}");
	ck_assert_uint_eq(state_store_count(&st), 2);
	ck_assert_str_eq(get(&st, "a"), "3");
	ck_assert_str_eq(get(&st, "b"), "1");
	ck_assert_ptr_null(get(&st, "c"));
	ck_assert_uint_eq(info.after_marker, 2);
	ck_assert_ptr_nonnull(kv_map_find(&info.rolled, "b", 1));
	ck_assert_ptr_nonnull(kv_map_find(&info.rolled, "c", 1));
	done();
	/* A later position marker wins over an earlier confirmed epoch. */
	marker(&l, "{\"in\":{\"0\":5}}");
	replay_ok(&l, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":5}}");
	ck_assert_str_eq(get(&st, "c"), "1");
	ck_assert_str_eq(get(&st, "b"), "2");
	ck_assert_uint_eq(info.after_marker, 0);
	done();
}
END_TEST

START_TEST(replay_last_marker_wins)
{
	struct log l = {0};
	rec(&l, "a", "1", ABSENT);
	marker(&l, "{\"in\":{\"0\":1}}");
	rec(&l, "a", "2", "1");
	marker(&l, "{\"in\":{\"0\":2}}");
	replay_ok(&l, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":2}}");
	ck_assert_str_eq(get(&st, "a"), "2");
	ck_assert_uint_eq(info.after_marker, 0);
	done();
}
END_TEST

START_TEST(replay_deletes)
{
	struct log l = {0};
	rec(&l, "a", "1", ABSENT);
	rec(&l, "b", "1", ABSENT);
	rec(&l, "d", "1", ABSENT);
	rec(&l, "d", NULL, ABSENT); /* deleted before the marker */
	marker(&l, "{}");
	rec(&l, "a", NULL, "1");   /* deleted after: comes back */
	rec(&l, "n", "7", ABSENT); /* created after: goes */
	rec(&l, "n", NULL, ABSENT);
	rec(&l, "m", "8", ABSENT);
	rec(&l, "d", "2", ABSENT); /* recreated after: absent again */
	replay_ok(&l, 0);
	ck_assert_uint_eq(state_store_count(&st), 2);
	ck_assert_str_eq(get(&st, "a"), "1");
	ck_assert_str_eq(get(&st, "b"), "1");
	ck_assert_ptr_null(get(&st, "d"));
	ck_assert_ptr_null(get(&st, "n"));
	ck_assert_ptr_null(get(&st, "m"));
	done();
}
END_TEST

/* Start at the latest complete snapshot: what came before it (here a
 * value that would otherwise survive) is not read. */
START_TEST(replay_snapshot)
{
	struct log l = {0};
	rec(&l, "old", "x", ABSENT);
	rec(&l, "a", "1", ABSENT);
	marker(&l, "{\"in\":{\"0\":2}}");
	rec(&l, "old", NULL, "x");
	rec(&l, "a", "2", "1");
	marker(&l, "{\"in\":{\"0\":4}}");
	snap_begin(&l, "s1", "{\"in\":{\"0\":4}}");
	rec(&l, "a", "2", "2");
	snap_end(&l, "s1");
	rec(&l, "a", "3", "2");
	rec(&l, "b", "1", ABSENT);
	marker(&l, "{\"in\":{\"0\":6}}");
	rec(&l, "b", "2", "1"); /* after the last marker */
	replay_ok(&l, 1);	/* the log's head is gone: fine */
	ck_assert(info.from_snapshot);
	ck_assert_uint_eq(info.start, 6);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":6}}");
	ck_assert_uint_eq(state_store_count(&st), 2);
	ck_assert_str_eq(get(&st, "a"), "3");
	ck_assert_str_eq(get(&st, "b"), "1");
	done();
}
END_TEST

/* No marker after the snapshot: the snapshot's begin stands for the
 * marker it follows. */
START_TEST(replay_snapshot_is_marker)
{
	struct log l = {0};
	snap_begin(&l, "s7", "{\"in\":{\"1\":40}}");
	rec(&l, "a", "5", "5");
	rec(&l, "b", "6", "6");
	snap_end(&l, "s7");
	rec(&l, "a", "9", "5");
	rec(&l, "c", "1", ABSENT);
	replay_ok(&l, 1);
	ck_assert_str_eq(info.position, "{\"in\":{\"1\":40}}");
	ck_assert_uint_eq(state_store_count(&st), 2);
	ck_assert_str_eq(get(&st, "a"), "5");
	ck_assert_str_eq(get(&st, "b"), "6");
	done();
}
END_TEST

/* A snapshot written right after an epoch marker, without waiting for
 * it: before the epoch is confirmed it is not a starting point (the
 * restore goes to the earlier marker through it, its entries' prev being
 * their value there too), after it is, like a position marker's. */
START_TEST(replay_snapshot_after_epoch)
{
	struct log l = {0};
	rec(&l, "a", "1", ABSENT);
	marker(&l, "{\"in\":{\"0\":1}}");
	rec(&l, "a", "2", "1");
	rec(&l, "b", "1", ABSENT);
	epoch(&l, "7.1", "{\"in\":{\"0\":3}}");
	size_t begin = l.n;
	snap_begin_epoch(&l, "s1", "{\"in\":{\"0\":3}}", "7.1");
	rec(&l, "a", "2", NULL); /* a snapshot's entries: no prev header */
	rec(&l, "b", "1", NULL);
	snap_end(&l, "s1");
	rec(&l, "a", "3", "2"); /* the next epoch's, never confirmed */
	replay_ok(&l, 0);
	ck_assert(!info.from_snapshot);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":1}}");
	ck_assert_uint_eq(state_store_count(&st), 1);
	ck_assert_str_eq(get(&st, "a"), "1");
	ck_assert_ptr_null(get(&st, "b"));
	done();
	/* the log before it gone: the snapshot alone cannot be used */
	state_store_init(&st, 0);
	ck_assert_int_eq(
		state_replay(l.r, l.n, 1, "log", &st, &info, err, sizeof(err)),
		-1);
	ck_assert_ptr_nonnull(strstr(err, "truncated before a complete"));
	done();
	confirm(&l, "7.1");
	replay_ok(&l, 1);
	ck_assert(info.from_snapshot);
	ck_assert_uint_eq(info.start, begin);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":3}}");
	ck_assert_uint_eq(state_store_count(&st), 2);
	ck_assert_str_eq(get(&st, "a"), "2");
	ck_assert_str_eq(get(&st, "b"), "1");
	/* the entries follow the begin, as with a position marker's */
	ck_assert_uint_eq(info.after_marker, 2);
	done();
	/* another epoch's confirm does not count for it */
	l.n--;
	confirm(&l, "7.2");
	replay_ok(&l, 0);
	ck_assert(!info.from_snapshot);
	ck_assert_str_eq(get(&st, "a"), "1");
	done();
}
END_TEST

/* What a restore keeps of a log read in order through a state_cut: the
 * records from the first one still needed; *dropped says how many went.
 * Each record's drop count is checked against `expect` (index -> count,
 * 0 elsewhere) when given. */
static struct log kept;

static void read_through_cut(const struct log *l, size_t *dropped,
			     const size_t *expect)
{
	struct state_cut c;
	state_cut_init(&c);
	kept = (struct log){0};
	*dropped = 0;
	for (size_t i = 0; i < l->n; i++) {
		kept.r[kept.n] = l->r[i];
		size_t d = state_cut_next(&c, &kept.r[kept.n], kept.n);
		kept.n++;
		if (expect)
			ck_assert_msg(d == expect[i],
				      "record %zu: dropped %zu, expected %zu",
				      i, d, expect[i]);
		ck_assert_uint_le(d, kept.n);
		memmove(kept.r, kept.r + d, (kept.n - d) * sizeof(*kept.r));
		kept.n -= d;
		*dropped += d;
	}
}

/* A restore lets go of the records before a snapshot only once that
 * snapshot counts: a snapshot that waits for its epoch's confirm keeps
 * the log before it (a restore that cut there rebuilt the state as of
 * the unconfirmed epoch, or found the log "truncated before a complete
 * snapshot" on a broker that had dropped its first records). */
START_TEST(cut_waits_for_the_confirm)
{
	struct log l = {0};
	rec(&l, "a", "1", ABSENT);
	marker(&l, "{\"in\":{\"0\":1}}");
	rec(&l, "a", "2", "1");
	rec(&l, "b", "1", ABSENT);
	epoch(&l, "7.1", "{\"in\":{\"0\":3}}");
	size_t begin = l.n;
	snap_begin_epoch(&l, "s1", "{\"in\":{\"0\":3}}", "7.1");
	rec(&l, "a", "2", NULL);
	rec(&l, "b", "1", NULL);
	snap_end(&l, "s1");
	rec(&l, "a", "3", "2");
	size_t dropped;
	read_through_cut(&l, &dropped, NULL);
	ck_assert_uint_eq(dropped, 0);
	state_store_init(&st, 0);
	ck_assert_int_eq(state_replay(kept.r, kept.n, 1, "log", &st, &info, err,
				      sizeof(err)),
			 -1); /* the broker dropped the log's first records */
	done();
	replay_ok(&kept, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":1}}");
	ck_assert_str_eq(get(&st, "a"), "1");
	ck_assert_ptr_null(get(&st, "b"));
	done();
	/* confirmed: the snapshot's begin is where the kept records start,
	 * and they replay as the whole log does */
	confirm(&l, "7.1");
	size_t expect[64] = {0};
	expect[l.n - 1] = begin;
	read_through_cut(&l, &dropped, expect);
	ck_assert_uint_eq(dropped, begin);
	ck_assert_uint_eq(kept.n, l.n - begin);
	replay_ok(&kept, 1);
	ck_assert(info.from_snapshot);
	ck_assert_uint_eq(info.start, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":3}}");
	ck_assert_uint_eq(state_store_count(&st), 2);
	ck_assert_str_eq(get(&st, "a"), "2");
	ck_assert_str_eq(get(&st, "b"), "1");
	done();
}
END_TEST

/* A snapshot after a position marker counts at its end; later ones
 * named by epochs at their confirms, in turn; an end that is another
 * snapshot's, and a confirm of an epoch no snapshot names, cut nothing;
 * past STATE_CUT_WAIT waiting snapshots the oldest is forgotten (its
 * confirm cuts nothing: more is kept, never less). */
START_TEST(cut_positions)
{
	struct log l = {0};
	size_t expect[64] = {0};
	rec(&l, "a", "1", ABSENT);
	marker(&l, "{\"in\":{\"0\":1}}");
	snap_begin(&l, "p1", "{\"in\":{\"0\":1}}"); /* index 2 */
	rec(&l, "a", "1", NULL);
	snap_end(&l, "p1");
	expect[l.n - 1] = 2;
	/* p1's begin is now the first record kept */
	epoch(&l, "9.1", "{\"in\":{\"0\":2}}");
	snap_begin_epoch(&l, "e1", "{\"in\":{\"0\":2}}", "9.1"); /* 4 */
	rec(&l, "a", "1", NULL);
	snap_end(&l, "e1");
	epoch(&l, "9.2", "{\"in\":{\"0\":3}}");
	snap_begin_epoch(&l, "e2", "{\"in\":{\"0\":3}}", "9.2");
	rec(&l, "a", "1", NULL);
	snap_end(&l, "x");  /* not e2's end: e2 never completes */
	confirm(&l, "9.0"); /* names no snapshot */
	confirm(&l, "9.1");
	expect[l.n - 1] = 4; /* to e1's begin */
	confirm(&l, "9.2");  /* e2 was cut short: nothing */
	size_t dropped;
	read_through_cut(&l, &dropped, expect);
	ck_assert_uint_eq(dropped, 6);
	ck_assert_uint_eq(kept.n, l.n - 6);
	ck_assert(state_is_key(&kept.r[0], K(STATE_KEY_SNAP_BEGIN)));
	ck_assert_mem_eq(kept.r[0].value, "e1", 2);

	/* STATE_CUT_WAIT + 1 snapshots waiting */
	struct log w = {0};
	static char ids[STATE_CUT_WAIT + 1][8];
	for (int i = 0; i <= STATE_CUT_WAIT; i++) {
		snprintf(ids[i], sizeof(ids[i]), "1.%d", i);
		snap_begin_epoch(&w, ids[i], "{}", ids[i]);
		snap_end(&w, ids[i]);
	}
	confirm(&w, ids[0]); /* forgotten */
	confirm(&w, ids[2]);
	memset(expect, 0, sizeof(expect));
	expect[w.n - 1] = 4; /* ids[2]'s begin */
	read_through_cut(&w, &dropped, expect);
	ck_assert_uint_eq(dropped, 4);
}
END_TEST

/* A snapshot cut short at the tail (the task died writing it) is not a
 * starting point; its entries (no prev header: prev = value) change
 * nothing. A headerless record after another host record is no longer
 * the snapshot's: absent as of the marker. */
START_TEST(replay_incomplete_snapshot)
{
	struct log l = {0};
	snap_begin(&l, "s1", "{\"in\":{\"0\":1}}");
	rec(&l, "a", "1", NULL);
	snap_end(&l, "s1");
	rec(&l, "a", "2", "1");
	rec(&l, "z", "2", ABSENT);
	marker(&l, "{\"in\":{\"0\":3}}");
	snap_begin(&l, "s2", "{\"in\":{\"0\":3}}");
	rec(&l, "a", "2", NULL);
	rec(&l, "z", "2", NULL);
	replay_ok(&l, 1);
	ck_assert_uint_eq(info.start, 0);
	ck_assert_str_eq(info.position, "{\"in\":{\"0\":3}}");
	ck_assert_uint_eq(state_store_count(&st), 2);
	ck_assert_str_eq(get(&st, "a"), "2");
	ck_assert_str_eq(get(&st, "z"), "2");
	ck_assert_uint_eq(info.after_marker, 2);
	done();
	/* the run after the crash marks again: its own records are not
	 * the snapshot's */
	marker(&l, "{\"in\":{\"0\":3}}");
	rec(&l, "q", "5", NULL);
	replay_ok(&l, 1);
	ck_assert_ptr_null(get(&st, "q"));
	ck_assert_str_eq(get(&st, "a"), "2");
	done();

	/* Its end without the begin (another id) does not count either. */
	struct log m = {0};
	rec(&m, "a", "1", ABSENT);
	marker(&m, "{}");
	snap_begin(&m, "s2", "{}");
	rec(&m, "a", "1", "1");
	snap_begin(&m, "s3", "{}");
	snap_end(&m, "s2");
	replay_ok(&m, 0);
	ck_assert_uint_eq(info.start, 0);
	ck_assert(!info.from_snapshot);
	ck_assert_str_eq(get(&st, "a"), "1");
	done();
}
END_TEST

START_TEST(replay_truncated)
{
	struct log l = {0};
	rec(&l, "a", "2", "1");
	marker(&l, "{}");
	snap_begin(&l, "s2", "{}");
	rec(&l, "a", "2", "2");
	state_store_init(&st, 0);
	ck_assert_int_eq(state_replay(l.r, l.n, 1,
				      "state changelog of connector x task 1",
				      &st, &info, err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "state changelog of connector x task 1 was "
			      "truncated before a complete snapshot (its "
			      "first records are gone); the state cannot be "
			      "restored");
	ck_assert_ptr_null(info.position);
	done();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("store");
	tcase_add_test(tc, store_basics);
	tcase_add_test(tc, store_many);
	tcase_add_test(tc, store_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("replay");
	tcase_add_test(tc, replay_empty);
	tcase_add_test(tc, replay_no_marker);
	tcase_add_test(tc, replay_marker_then_partial_epoch);
	tcase_add_test(tc, replay_after_written_back_tail);
	tcase_add_test(tc, replay_last_marker_wins);
	tcase_add_test(tc, replay_epochs);
	tcase_add_test(tc, replay_deletes);
	tcase_add_test(tc, replay_snapshot);
	tcase_add_test(tc, replay_snapshot_is_marker);
	tcase_add_test(tc, replay_incomplete_snapshot);
	tcase_add_test(tc, replay_snapshot_after_epoch);
	tcase_add_test(tc, cut_waits_for_the_confirm);
	tcase_add_test(tc, cut_positions);
	tcase_add_test(tc, replay_truncated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
