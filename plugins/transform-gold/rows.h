/*
 * rows.h - the three gold aggregates as C structs: their keys and values
 * in the state store (a private text form, versioned by its key prefix)
 * and their output rows (Kafka key and JSON value).
 *
 * Store keys (never starting with NUL, as the host requires):
 *   d:<YYYY-MM-DD>            a day of daily_metrics
 *   u:<user_id>               a user of user_summary
 *   p:<len(name)>:<name><category>   a product of product_summary
 * plus those of dedup.h and the watermark (gold.c).
 */
#ifndef GOLD_ROWS_H
#define GOLD_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "jbuf.h"

/* Distinct currencies one day may hold; a transaction that would add one
 * more is refused (real currencies number about 180). */
#define GOLD_MAX_CURRENCIES 256
/* Currency codes: 1..16 of [A-Za-z0-9_.-]. */
#define GOLD_CURRENCY_MAX 16

struct gold_day {
	char date[10];
	int64_t transactions, revenue;
	size_t ncur; /* sorted by code */
	struct gold_currency {
		char code[GOLD_CURRENCY_MAX + 1];
		int64_t revenue;
	} cur[GOLD_MAX_CURRENCIES];
};

struct gold_user {
	int64_t user_id;
	int64_t transactions, spent;
	int64_t first_us, last_us;
};

struct gold_product {
	const char *name, *category; /* borrowed */
	size_t name_len, category_len;
	int64_t times, units, revenue;
};

/* Store keys. Each returns the key length, or 0 when it would be longer
 * than cap (product names and categories are the only long ones). */
size_t gold_day_key(char *k, size_t cap, const char date[10]);
size_t gold_user_key(char *k, size_t cap, int64_t user_id);
size_t gold_product_key(char *k, size_t cap, const struct gold_product *p);

/* Whether s[0..n) is a currency code we keep. */
int gold_currency_ok(const char *s, size_t n);

/* Store values: encode into b (reset first); decode from v[0..n),
 * returning 0 or -1 when the text is not one of ours. The key fields
 * (date, user_id, name and category) are set by the caller: decode
 * reads only the value. */
void gold_day_encode(struct jbuf *b, const struct gold_day *d);
int gold_day_decode(struct gold_day *d, const char *v, size_t n);
void gold_user_encode(struct jbuf *b, const struct gold_user *u);
int gold_user_decode(struct gold_user *u, const char *v, size_t n);
void gold_product_encode(struct jbuf *b, const struct gold_product *p);
int gold_product_decode(struct gold_product *p, const char *v, size_t n);

/* Adds amount in currency to the day (0, or -1: too many currencies or
 * an overflow, leaving d unchanged). */
int gold_day_add(struct gold_day *d, const char *currency, size_t cur_len,
		 int64_t amount);

/* Back from a store key: 0, or -1 when it is not one of the kind. */
int gold_day_from_key(struct gold_day *d, const char *k, size_t n);
int gold_user_from_key(struct gold_user *u, const char *k, size_t n);
int gold_product_from_key(struct gold_product *p, const char *k, size_t n);

/* Output rows: the Kafka key into key (reset first), the JSON value
 * into val (reset first). */
void gold_day_row(struct jbuf *key, struct jbuf *val, const struct gold_day *d);
void gold_user_row(struct jbuf *key, struct jbuf *val,
		   const struct gold_user *u);
void gold_product_row(struct jbuf *key, struct jbuf *val,
		      const struct gold_product *p);

#endif
