/*
 * schema.h - the declared schema of transform-bronze, parsed from its
 * compact text (README.md, "Schema"):
 *
 *   transaction_id: string, user: {user_id: int, name: string?},
 *   amount: double, items: [{item_id: string, price: double}]
 *
 * Types: string, int (64-bit, no fraction or exponent), double (any
 * number), bool, any (anything, unchecked), {fields}, [element type]. A
 * `?` after a type makes the field nullable and optional. The top level
 * is an object: its fields, with or without the braces.
 */
#ifndef BRONZE_SCHEMA_H
#define BRONZE_SCHEMA_H

#include <stddef.h>

enum bronze_type {
	BRONZE_ANY,
	BRONZE_STRING,
	BRONZE_INT,
	BRONZE_DOUBLE,
	BRONZE_BOOL,
	BRONZE_OBJECT,
	BRONZE_ARRAY,
};

struct bronze_node;

struct bronze_field {
	char *name; /* as it must appear, unescaped; NUL-terminated */
	size_t name_len;
	struct bronze_node *type;
};

struct bronze_node {
	enum bronze_type type;
	int nullable;
	struct bronze_field *fields; /* BRONZE_OBJECT */
	size_t nfields;
	struct bronze_node *elem; /* BRONZE_ARRAY */
};

/* The seed's schema (PIPELINE.md), the default of the `schema` option. */
#define BRONZE_SEED_SCHEMA                                                     \
	"transaction_id: string, user: {user_id: int, name: string, "          \
	"email: string, country: string, city: string, address: string, "      \
	"age: int, payment_method: string, device_type: string, "              \
	"ip_address: string}, amount: double, currency: string, "              \
	"timestamp: string, category: string, items: [{item_id: string, "      \
	"name: string, price: double, quantity: int}]"

/* The schema in text, or NULL with the reason in err ("expected ':' at
 * column 17"; "line 2, column 5" when the text has several lines). */
struct bronze_node *bronze_schema_parse(const char *text, char *err,
					size_t errlen);
void bronze_schema_free(struct bronze_node *n);

/* The type's name in messages: "string", "int", "object", ... */
const char *bronze_type_name(enum bronze_type t);

/* The most fields any object of the schema declares. */
size_t bronze_schema_max_fields(const struct bronze_node *n);

#endif
