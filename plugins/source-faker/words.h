/*
 * words.h - the word lists compiled into source-faker: names, streets,
 * places and e-mail domains for the user pool, and the seed's categories
 * with their item names. Every string is plain ASCII with nothing that
 * JSON would need to escape, so the writers can copy it as it is.
 */
#ifndef FAKER_WORDS_H
#define FAKER_WORDS_H

#include <stddef.h>

/* Lengths are kept with the text: the event writer copies, never scans. */
struct faker_str {
	const char *s;
	size_t len;
};

struct faker_list {
	const struct faker_str *v;
	size_t n;
};

struct faker_place {
	struct faker_str city;
	struct faker_str country;
};

struct faker_category {
	struct faker_str name;
	struct faker_list items;
};

#define FAKER_CATEGORY_COUNT 6

/* Letters only (e-mail addresses are made from them). */
extern const struct faker_list faker_first_names;
extern const struct faker_list faker_last_names;

extern const struct faker_list faker_street_suffixes;
extern const struct faker_list faker_city_prefixes;
extern const struct faker_list faker_city_suffixes;
extern const struct faker_list faker_states;
extern const struct faker_list faker_free_domains;
extern const struct faker_list faker_example_domains;
extern const struct faker_list faker_company_tlds;
extern const struct faker_list faker_payment_methods;
extern const struct faker_list faker_device_types;
extern const struct faker_list faker_default_currencies;
/* Codes that are not ISO 4217 currencies, for the unknown-currency
 * anomaly; some are not even well-formed. */
extern const struct faker_list faker_bad_currencies;

extern const struct faker_place faker_places[];
extern const size_t faker_place_count;

/* In the seed's order: food, electronics, travel, fashion, sports, home. */
extern const struct faker_category faker_categories[FAKER_CATEGORY_COUNT];
/* The same names, NULL-terminated, for the option table's `allowed`. */
extern const char *const faker_category_names[FAKER_CATEGORY_COUNT + 1];

#endif
