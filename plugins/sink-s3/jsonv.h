/*
 * jsonv.h - a strict JSON validator (RFC 8259, UTF-8 checked) that
 * builds nothing: one pass over the bytes, an explicit nesting stack. On
 * the way it can pick out the raw text of one top-level member (the
 * field a time partition is taken from).
 */
#ifndef S3S_JSONV_H
#define S3S_JSONV_H

#include <stddef.h>

/* Deeper nesting is refused (as json-c's default depth is). */
#define S3S_JSON_MAX_DEPTH 512

/* In: name/name_len, the member to look for in a top-level object
 * (compared byte for byte with the key as written). Out: the first such
 * member's value, raw (a string keeps its quotes), or at == NULL. */
struct s3s_json_field {
	const char *name;
	size_t name_len;
	const char *at;
	size_t len;
};

/* NULL when p[0..n) is one valid JSON text; otherwise a short reason
 * ("unexpected character", "invalid UTF-8", ...) and *where is the byte
 * offset. field may be NULL. */
const char *s3s_json_check(const char *p, size_t n, struct s3s_json_field *f,
			   size_t *where);

#endif
