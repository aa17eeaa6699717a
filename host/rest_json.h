/*
 * rest_json.h - JSON for the REST API: a growing text buffer, parsing a
 * request body, a connector file's YAML tree as JSON and JSON written
 * back as a connector file.
 */
#ifndef SLUICE_REST_JSON_H
#define SLUICE_REST_JSON_H

#include <json-c/json.h>
#include <stddef.h>

#include "ytree.h"

struct sbuf {
	char *p;
	size_t n, cap;
};

void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The text, NUL-terminated, handed over (never NULL); b is emptied. */
char *sbuf_take(struct sbuf *b, size_t *len);

/* A JSON object from a request body; NULL with err when it is not valid
 * JSON, has trailing text, nests deeper than 32 or is not an object. */
struct json_object *rest_json_parse_object(const char *buf, size_t len,
					   char *err, size_t errlen);

/* A YAML tree as JSON: maps, lists, and scalars as strings, except plain
 * scalars that are integers, true/false or null. `mask(path, ctx)`
 * (path like "config.password"), when set and answering 1, replaces a
 * scalar by "[hidden]". */
typedef int rest_mask_fn(const char *path, void *ctx);
struct json_object *rest_ynode_to_json(const struct ynode *n,
				       rest_mask_fn *mask, void *ctx);

/* A JSON object as a YAML block document. Strings are double-quoted and
 * "${" is written "$${", so that a value sent over HTTP never reads the
 * worker's environment. NULL if a value cannot be written (NaN). */
char *rest_json_to_yaml(struct json_object *o);

/* {"error_code": code, "message": msg} */
char *rest_error_json(int code, const char *msg);

#endif
