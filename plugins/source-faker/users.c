/*
 * users.c - one user profile, written as JSON in the seed's field order.
 * The profile is drawn from its own random stream keyed by (pool seed,
 * id), in a fixed order of draws: changing that order changes every
 * user, so append new draws at the end.
 */
#include "users.h"

#include <stdlib.h>
#include <string.h>

#include "put.h"
#include "rng.h"
#include "words.h"

static struct faker_str pick(struct faker_rng *r, const struct faker_list *l)
{
	return l->v[faker_rng_below(r, (uint32_t)l->n)];
}

/* Names hold letters only, so lower-casing is one bit. */
static char *put_lower(char *p, struct faker_str s)
{
	for (size_t i = 0; i < s.len; i++)
		*p++ = (char)(s.s[i] | 0x20);
	return p;
}

struct profile {
	struct faker_str first, last;
	unsigned email_form, email_digits;
	unsigned domain_kind;
	struct faker_str domain, domain_last, tld;
	const struct faker_place *place;
	uint32_t building;
	struct faker_str street_name, street_suffix;
	unsigned secondary; /* 0 none, 1 Apt., 2 Suite */
	uint32_t secondary_no;
	unsigned city_form;
	struct faker_str city_prefix, city_name, city_suffix, state;
	uint32_t zip;
	uint32_t age;
	struct faker_str payment, device;
	uint64_t ip;
};

static void draw(struct profile *u, uint64_t seed, uint32_t id)
{
	struct faker_rng r = faker_rng_at(seed, id);

	u->first = pick(&r, &faker_first_names);
	u->last = pick(&r, &faker_last_names);
	u->email_form = faker_rng_below(&r, 6);
	u->email_digits = faker_rng_below(&r, 100);
	u->domain_kind = faker_rng_below(&r, 4);
	u->domain = u->domain_kind < 2 ? pick(&r, &faker_free_domains)
				       : pick(&r, &faker_example_domains);
	u->domain_last = pick(&r, &faker_last_names);
	u->tld = pick(&r, &faker_company_tlds);
	u->place =
		&faker_places[faker_rng_below(&r, (uint32_t)faker_place_count)];
	u->building = (uint32_t)faker_rng_range(&r, 100, 99999);
	u->street_name = faker_rng_below(&r, 2) ? pick(&r, &faker_first_names)
						: pick(&r, &faker_last_names);
	u->street_suffix = pick(&r, &faker_street_suffixes);
	u->secondary = faker_rng_below(&r, 6);
	u->secondary = u->secondary < 2 ? 1 : u->secondary == 2 ? 2 : 0;
	u->secondary_no = (uint32_t)faker_rng_range(&r, 100, 999);
	u->city_form = faker_rng_below(&r, 4);
	u->city_prefix = pick(&r, &faker_city_prefixes);
	u->city_name = u->city_form == 3 ? pick(&r, &faker_last_names)
					 : pick(&r, &faker_first_names);
	u->city_suffix = pick(&r, &faker_city_suffixes);
	u->state = pick(&r, &faker_states);
	u->zip = (uint32_t)faker_rng_range(&r, 501, 99950);
	u->age = (uint32_t)faker_rng_range(&r, 18, 65);
	u->payment = pick(&r, &faker_payment_methods);
	u->device = pick(&r, &faker_device_types);
	u->ip = faker_rng_next(&r);
}

/* The user name part, as free-mail and company addresses spell it. */
static char *put_local(char *p, const struct profile *u)
{
	switch (u->email_form) {
	case 0:
		p = put_lower(p, u->first);
		*p++ = '.';
		return put_lower(p, u->last);
	case 1:
		*p++ = (char)(u->first.s[0] | 0x20);
		return put_lower(p, u->last);
	case 2:
		p = put_lower(p, u->first);
		return faker_put_digits(p, u->email_digits, 2);
	case 3:
		p = put_lower(p, u->last);
		*p++ = '.';
		return put_lower(p, u->first);
	case 4:
		p = put_lower(p, u->first);
		return put_lower(p, u->last);
	default:
		p = put_lower(p, u->first);
		*p++ = '_';
		p = put_lower(p, u->last);
		return faker_put_digits(p, u->email_digits, 2);
	}
}

static char *put_domain(char *p, const struct profile *u)
{
	if (u->domain_kind < 3)
		return faker_put_str(p, u->domain);
	/* A company domain: "garcia-davis.com", "campos.biz". */
	p = put_lower(p, u->last);
	if (u->email_digits & 1) {
		*p++ = '-';
		p = put_lower(p, u->domain_last);
	}
	*p++ = '.';
	return faker_put_str(p, u->tld);
}

static char *put_email(char *p, const struct profile *u, unsigned bad)
{
	p = put_local(p, u);
	if (bad == 1) /* no '@' at all */
		return put_domain(p, u);
	if (bad == 2) /* a space in the user name */
		*p++ = ' ';
	*p++ = '@';
	if (bad == 3) /* two of them */
		*p++ = '@';
	p = put_domain(p, u);
	if (bad == 4) { /* the top-level domain dropped */
		while (p[-1] != '.')
			p--;
		p--;
	}
	return p;
}

static char *put_ip(char *p, uint64_t bits)
{
	/* Skip 0.x, 10.x, 127.x and multicast and up: a public-looking IPv4. */
	uint32_t a = 1 + (uint32_t)(bits % 223);

	if (a == 10 || a == 127)
		a++;
	p = faker_put_u64(p, a);
	for (int i = 0; i < 3; i++) {
		*p++ = '.';
		p = faker_put_u64(p, (bits >> (16 + 8 * i)) & 0xff);
	}
	return p;
}

static char *put_address(char *p, const struct profile *u)
{
	p = faker_put_u64(p, u->building);
	*p++ = ' ';
	p = faker_put_str(p, u->street_name);
	*p++ = ' ';
	p = faker_put_str(p, u->street_suffix);
	if (u->secondary == 1)
		p = FAKER_PUT_LIT(p, " Apt. ");
	else if (u->secondary == 2)
		p = FAKER_PUT_LIT(p, " Suite ");
	if (u->secondary)
		p = faker_put_u64(p, u->secondary_no);
	p = FAKER_PUT_LIT(p, "\\n"); /* a JSON-escaped newline */
	/* Town names as a faker makes them: "North Melaniestad",
	 * "East Amber", "Sheilaland", "Penafort". */
	if (u->city_form <= 1) {
		p = faker_put_str(p, u->city_prefix);
		*p++ = ' ';
	}
	p = faker_put_str(p, u->city_name);
	if (u->city_form != 1)
		p = faker_put_str(p, u->city_suffix);
	p = FAKER_PUT_LIT(p, ", ");
	p = faker_put_str(p, u->state);
	*p++ = ' ';
	return faker_put_digits(p, u->zip, 5);
}

char *faker_user_write(char *p, uint64_t seed, uint32_t id, unsigned bad_email)
{
	struct profile u;

	draw(&u, seed, id);
	p = FAKER_PUT_LIT(p, "{\"user_id\": ");
	p = faker_put_u64(p, id);
	p = FAKER_PUT_LIT(p, ", \"name\": \"");
	p = faker_put_str(p, u.first);
	*p++ = ' ';
	p = faker_put_str(p, u.last);
	p = FAKER_PUT_LIT(p, "\", \"email\": \"");
	p = put_email(p, &u, bad_email);
	p = FAKER_PUT_LIT(p, "\", \"country\": \"");
	p = faker_put_str(p, u.place->country);
	p = FAKER_PUT_LIT(p, "\", \"city\": \"");
	p = faker_put_str(p, u.place->city);
	p = FAKER_PUT_LIT(p, "\", \"address\": \"");
	p = put_address(p, &u);
	p = FAKER_PUT_LIT(p, "\", \"age\": ");
	p = faker_put_u64(p, u.age);
	p = FAKER_PUT_LIT(p, ", \"payment_method\": \"");
	p = faker_put_str(p, u.payment);
	p = FAKER_PUT_LIT(p, "\", \"device_type\": \"");
	p = faker_put_str(p, u.device);
	p = FAKER_PUT_LIT(p, "\", \"ip_address\": \"");
	p = put_ip(p, u.ip);
	return FAKER_PUT_LIT(p, "\"}");
}

int faker_users_init(struct faker_users *u, uint64_t seed, uint32_t n)
{
	char *p;

	memset(u, 0, sizeof *u);
	u->seed = seed;
	u->n = n;
	if (n > FAKER_USERS_CACHE_MAX)
		return 0;
	u->text = malloc((size_t)n * FAKER_USER_MAX);
	u->at = malloc(((size_t)n + 1) * sizeof *u->at);
	if (!u->text || !u->at) {
		faker_users_free(u);
		return -1;
	}
	p = u->text;
	u->at[0] = 0;
	for (uint32_t id = 1; id <= n; id++) {
		p = faker_user_write(p, seed, id, 0);
		u->at[id] = (uint32_t)(p - u->text);
	}
	/* Shrinking in place cannot fail in practice; keep the big block
	 * if it does. */
	p = realloc(u->text, u->at[n] ? u->at[n] : 1);
	if (p)
		u->text = p;
	return 0;
}

void faker_users_free(struct faker_users *u)
{
	free(u->text);
	free(u->at);
	u->text = NULL;
	u->at = NULL;
}

char *faker_users_put(const struct faker_users *u, char *p, uint32_t id,
		      unsigned bad_email)
{
	if (!u->text || bad_email)
		return faker_user_write(p, u->seed, id, bad_email);
	return faker_put(p, u->text + u->at[id - 1], u->at[id] - u->at[id - 1]);
}
