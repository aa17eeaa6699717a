/*
 * rows.c - see rows.h. Store values are short decimal text, fields
 * separated by one space:
 *   day:     <transactions> <revenue> [<CUR>=<revenue> ...]
 *   user:    <transactions> <spent> <first_us> <last_us>
 *   product: <times> <units> <revenue>
 * (money in cents). Text rather than structs so a changelog outlives a
 * compiler, an architecture or a field added at the end.
 */
#include "rows.h"

#include <stdio.h>
#include <string.h>

#include "money.h"

/* A decimal int64 at *p (before end); advances *p past it and one
 * following space, if any. 0, or -1. */
static int read_i64(const char **p, const char *end, int64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int neg = 0;

	if (s < end && *s == '-')
		neg = 1, s++;
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	if (s < end && *s != ' ')
		return -1;
	if (s < end)
		s++;
	*p = s;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static void put_sp_i64(struct jbuf *b, int64_t v)
{
	jbuf_putc(b, ' ');
	jbuf_i64(b, v);
}

int gold_currency_ok(const char *s, size_t n)
{
	if (n == 0 || n > GOLD_CURRENCY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

size_t gold_day_key(char *k, size_t cap, const char date[10])
{
	if (cap < 12)
		return 0;
	memcpy(k, "d:", 2);
	memcpy(k + 2, date, 10);
	return 12;
}

size_t gold_user_key(char *k, size_t cap, int64_t user_id)
{
	if (cap < 2 + 20)
		return 0;
	k[0] = 'u';
	k[1] = ':';
	return (size_t)(jbuf_dec(k + 2, user_id) - k);
}

size_t gold_product_key(char *k, size_t cap, const struct gold_product *p)
{
	size_t n, len;

	if (cap < 2 + 20 + 1 || p->name_len > INT64_MAX)
		return 0;
	k[0] = 'p';
	k[1] = ':';
	n = (size_t)(jbuf_dec(k + 2, (int64_t)p->name_len) - k);
	k[n++] = ':';
	len = n + p->name_len + p->category_len;
	if (len > cap)
		return 0;
	memcpy(k + n, p->name, p->name_len);
	memcpy(k + n + p->name_len, p->category, p->category_len);
	return len;
}

int gold_day_from_key(struct gold_day *d, const char *k, size_t n)
{
	if (n != 12 || memcmp(k, "d:", 2))
		return -1;
	memcpy(d->date, k + 2, 10);
	return 0;
}

int gold_user_from_key(struct gold_user *u, const char *k, size_t n)
{
	const char *p = k + 2;

	if (n < 3 || memcmp(k, "u:", 2))
		return -1;
	return read_i64(&p, k + n, &u->user_id) || p != k + n ? -1 : 0;
}

int gold_product_from_key(struct gold_product *p, const char *k, size_t n)
{
	const char *s = k + 2, *end = k + n;
	size_t len = 0;

	if (n < 4 || memcmp(k, "p:", 2))
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		len = len * 10 + (size_t)(*s - '0');
		if (len > n)
			return -1;
	}
	if (s >= end || *s != ':' || s == k + 2 || len > (size_t)(end - s - 1))
		return -1;
	s++;
	p->name = s;
	p->name_len = len;
	p->category = s + len;
	p->category_len = (size_t)(end - s) - len;
	return 0;
}

void gold_day_encode(struct jbuf *b, const struct gold_day *d)
{
	jbuf_reset(b);
	jbuf_i64(b, d->transactions);
	put_sp_i64(b, d->revenue);
	for (size_t k = 0; k < d->ncur; k++) {
		jbuf_putc(b, ' ');
		jbuf_put(b, d->cur[k].code, strlen(d->cur[k].code));
		jbuf_putc(b, '=');
		jbuf_i64(b, d->cur[k].revenue);
	}
}

int gold_day_decode(struct gold_day *d, const char *v, size_t n)
{
	const char *p = v, *end = v + n;

	d->ncur = 0;
	if (read_i64(&p, end, &d->transactions) ||
	    read_i64(&p, end, &d->revenue))
		return -1;
	while (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p));
		struct gold_currency *c = &d->cur[d->ncur];

		if (!eq || d->ncur == GOLD_MAX_CURRENCIES ||
		    !gold_currency_ok(p, (size_t)(eq - p)))
			return -1;
		memcpy(c->code, p, (size_t)(eq - p));
		c->code[eq - p] = '\0';
		p = eq + 1;
		if (read_i64(&p, end, &c->revenue))
			return -1;
		d->ncur++;
	}
	return 0;
}

void gold_user_encode(struct jbuf *b, const struct gold_user *u)
{
	jbuf_reset(b);
	jbuf_i64(b, u->transactions);
	put_sp_i64(b, u->spent);
	put_sp_i64(b, u->first_us);
	put_sp_i64(b, u->last_us);
}

int gold_user_decode(struct gold_user *u, const char *v, size_t n)
{
	const char *p = v, *end = v + n;

	if (read_i64(&p, end, &u->transactions) ||
	    read_i64(&p, end, &u->spent) || read_i64(&p, end, &u->first_us) ||
	    read_i64(&p, end, &u->last_us))
		return -1;
	return p == end ? 0 : -1;
}

void gold_product_encode(struct jbuf *b, const struct gold_product *p)
{
	jbuf_reset(b);
	jbuf_i64(b, p->times);
	put_sp_i64(b, p->units);
	put_sp_i64(b, p->revenue);
}

int gold_product_decode(struct gold_product *p, const char *v, size_t n)
{
	const char *s = v, *end = v + n;

	if (read_i64(&s, end, &p->times) || read_i64(&s, end, &p->units) ||
	    read_i64(&s, end, &p->revenue))
		return -1;
	return s == end ? 0 : -1;
}

int gold_day_add(struct gold_day *d, const char *currency, size_t cur_len,
		 int64_t amount)
{
	size_t k = 0;
	int cmp = 1;
	int64_t tx, rev, crev;

	for (; k < d->ncur; k++) {
		size_t cl = strlen(d->cur[k].code);

		cmp = memcmp(d->cur[k].code, currency,
			     cl < cur_len ? cl : cur_len);
		if (!cmp)
			cmp = cl < cur_len ? -1 : cl > cur_len;
		if (cmp >= 0)
			break;
	}
	if (cmp != 0 && d->ncur == GOLD_MAX_CURRENCIES)
		return -1;
	if (__builtin_add_overflow(d->transactions, 1, &tx) ||
	    __builtin_add_overflow(d->revenue, amount, &rev) ||
	    __builtin_add_overflow(cmp == 0 ? d->cur[k].revenue : 0, amount,
				   &crev))
		return -1;
	if (cmp != 0) {
		memmove(&d->cur[k + 1], &d->cur[k],
			(d->ncur - k) * sizeof d->cur[0]);
		memcpy(d->cur[k].code, currency, cur_len);
		d->cur[k].code[cur_len] = '\0';
		d->ncur++;
	}
	d->cur[k].revenue = crev;
	d->transactions = tx;
	d->revenue = rev;
	return 0;
}

void gold_day_row(struct jbuf *key, struct jbuf *val, const struct gold_day *d)
{
	jbuf_reset(key);
	jbuf_put(key, d->date, 10);
	jbuf_reset(val);
	JBUF_LIT(val, "{\"date\": \"");
	jbuf_put(val, d->date, 10);
	JBUF_LIT(val, "\", \"daily_transactions\": ");
	jbuf_i64(val, d->transactions);
	JBUF_LIT(val, ", \"daily_revenue\": ");
	gold_money_write(val, d->revenue);
	JBUF_LIT(val, ", \"revenue_by_currency\": {");
	for (size_t k = 0; k < d->ncur; k++) {
		if (k)
			JBUF_LIT(val, ", ");
		jbuf_cstr(val, d->cur[k].code);
		JBUF_LIT(val, ": ");
		gold_money_write(val, d->cur[k].revenue);
	}
	JBUF_LIT(val, "}}");
}

void gold_user_row(struct jbuf *key, struct jbuf *val,
		   const struct gold_user *u)
{
	jbuf_reset(key);
	jbuf_i64(key, u->user_id);
	jbuf_reset(val);
	JBUF_LIT(val, "{\"user_id\": ");
	jbuf_i64(val, u->user_id);
	JBUF_LIT(val, ", \"total_transactions\": ");
	jbuf_i64(val, u->transactions);
	JBUF_LIT(val, ", \"total_spent\": ");
	gold_money_write(val, u->spent);
	JBUF_LIT(val, ", \"avg_transaction_value\": ");
	gold_money_write(
		val, u->transactions ? gold_money_avg(u->spent, u->transactions)
				     : 0);
	JBUF_LIT(val, ", \"first_seen\": ");
	jbuf_time_us(val, u->first_us);
	JBUF_LIT(val, ", \"last_seen\": ");
	jbuf_time_us(val, u->last_us);
	jbuf_putc(val, '}');
}

void gold_product_row(struct jbuf *key, struct jbuf *val,
		      const struct gold_product *p)
{
	jbuf_reset(key);
	JBUF_LIT(key, "{\"name\": ");
	jbuf_str(key, p->name, p->name_len);
	JBUF_LIT(key, ", \"category\": ");
	jbuf_str(key, p->category, p->category_len);
	jbuf_putc(key, '}');
	jbuf_reset(val);
	/* The key's members are the row's first two. */
	jbuf_put(val, key->p, key->len - 1);
	JBUF_LIT(val, ", \"times_purchased\": ");
	jbuf_i64(val, p->times);
	JBUF_LIT(val, ", \"units_sold\": ");
	jbuf_i64(val, p->units);
	JBUF_LIT(val, ", \"total_revenue\": ");
	gold_money_write(val, p->revenue);
	jbuf_putc(val, '}');
}
