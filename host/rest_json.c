/*
 * rest_json.c - JSON helpers of the REST API (see rest_json.h).
 */
#include "rest_json.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEPTH 32

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sbuf_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		abort();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sbuf_add(b, big, (size_t)n);
	free(big);
}

char *sbuf_take(struct sbuf *b, size_t *len)
{
	if (!b->p)
		sbuf_add(b, "", 0);
	char *p = b->p;
	if (len)
		*len = b->n;
	*b = (struct sbuf){0};
	return p;
}

struct json_object *rest_json_parse_object(const char *buf, size_t len,
					   char *err, size_t errlen)
{
	if (len == 0) {
		snprintf(err, errlen, "the request body is empty");
		return NULL;
	}
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "the request body contains a NUL byte");
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	if (!o || e != json_tokener_success) {
		snprintf(err, errlen, "malformed JSON at byte %zu: %s", used,
			 e == json_tokener_continue || e == json_tokener_success
				 ? "unexpected end of input"
				 : json_tokener_error_desc(e));
		json_object_put(o);
		o = NULL;
	} else {
		while (used < len && isspace((unsigned char)buf[used]))
			used++;
		if (used < len) {
			snprintf(err, errlen,
				 "malformed JSON: text after the value at "
				 "byte %zu",
				 used);
			json_object_put(o);
			o = NULL;
		} else if (!json_object_is_type(o, json_type_object)) {
			snprintf(err, errlen, "expected a JSON object");
			json_object_put(o);
			o = NULL;
		}
	}
	json_tokener_free(tok);
	return o;
}

/* A plain YAML scalar as a JSON value of its own type, if it is one. */
static struct json_object *plain_scalar(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "false"))
		return json_object_new_boolean(s[0] == 't');
	if (!*s || !strcmp(s, "~") || !strcmp(s, "null"))
		return NULL;
	const char *d = s + (*s == '-');
	if (*d && strspn(d, "0123456789") == strlen(d) &&
	    (d[0] != '0' || !d[1]) && strlen(d) < 19)
		return json_object_new_int64(strtoll(s, NULL, 10));
	return json_object_new_string(s);
}

static struct json_object *to_json(const struct ynode *n, char *path,
				   size_t plen, rest_mask_fn *mask, void *ctx)
{
	size_t base = strlen(path);
	switch (n->type) {
	case YNODE_MAP: {
		struct json_object *o = json_object_new_object();
		for (size_t i = 0; i < n->n; i++) {
			snprintf(path + base, plen - base, "%s%s",
				 base ? "." : "", n->kids[i]->key);
			json_object_object_add(
				o, n->kids[i]->key,
				to_json(n->kids[i], path, plen, mask, ctx));
			path[base] = '\0';
		}
		return o;
	}
	case YNODE_SEQ: {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < n->n; i++)
			json_object_array_add(
				a, to_json(n->kids[i], path, plen, mask, ctx));
		return a;
	}
	default:
		if (mask && mask(path, ctx))
			return json_object_new_string("[hidden]");
		if (n->plain)
			return plain_scalar(n->value ? n->value : "");
		return json_object_new_string(n->value ? n->value : "");
	}
}

struct json_object *rest_ynode_to_json(const struct ynode *n,
				       rest_mask_fn *mask, void *ctx)
{
	char path[1024] = "";
	return to_json(n, path, sizeof(path), mask, ctx);
}

/* A double-quoted YAML string (JSON escapes are YAML escapes too). */
static void yaml_string(struct sbuf *b, const char *s)
{
	sbuf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char e[2] = {'\\', (char)*p};
			sbuf_add(b, e, 2);
		} else if (*p == '\n') {
			sbuf_add(b, "\\n", 2);
		} else if (*p == '\t') {
			sbuf_add(b, "\\t", 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			sbuf_printf(b, "\\u%04x", *p);
		} else if (*p == '$' && p[1] == '{') {
			sbuf_add(b, "$$", 2);
		} else {
			sbuf_add(b, (const char *)p, 1);
		}
	}
	sbuf_add(b, "\"", 1);
}

static void yaml_key(struct sbuf *b, const char *k)
{
	size_t n = strlen(k);
	if (n &&
	    strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._-") == n &&
	    k[0] != '-' && k[0] != '.')
		sbuf_add(b, k, n);
	else
		yaml_string(b, k);
}

static void indent(struct sbuf *b, int n)
{
	for (int i = 0; i < n; i++)
		sbuf_add(b, " ", 1);
}

/* Writes a value after "key:" or "-"; compound values go on the next
 * lines, indented by two more. Returns -1 for an unwritable value. */
static int yaml_value(struct sbuf *b, struct json_object *v, int ind)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		sbuf_add(b, " ~\n", 3);
		return 0;
	case json_type_boolean:
		sbuf_printf(b, " %s\n",
			    json_object_get_boolean(v) ? "true" : "false");
		return 0;
	case json_type_int:
		sbuf_printf(b, " %lld\n", (long long)json_object_get_int64(v));
		return 0;
	case json_type_double: {
		double d = json_object_get_double(v);
		if (!isfinite(d))
			return -1;
		sbuf_printf(b, " %.17g\n", d);
		return 0;
	}
	case json_type_string:
		sbuf_add(b, " ", 1);
		yaml_string(b, json_object_get_string(v));
		sbuf_add(b, "\n", 1);
		return 0;
	case json_type_array: {
		size_t n = json_object_array_length(v);
		if (!n) {
			sbuf_add(b, " []\n", 4);
			return 0;
		}
		sbuf_add(b, "\n", 1);
		for (size_t i = 0; i < n; i++) {
			indent(b, ind + 2);
			sbuf_add(b, "-", 1);
			if (yaml_value(b, json_object_array_get_idx(v, i),
				       ind + 2))
				return -1;
		}
		return 0;
	}
	case json_type_object: {
		if (!json_object_object_length(v)) {
			sbuf_add(b, " {}\n", 4);
			return 0;
		}
		sbuf_add(b, "\n", 1);
		json_object_object_foreach(v, key, val)
		{
			indent(b, ind + 2);
			yaml_key(b, key);
			sbuf_add(b, ":", 1);
			if (yaml_value(b, val, ind + 2))
				return -1;
		}
		return 0;
	}
	}
	return -1;
}

char *rest_json_to_yaml(struct json_object *o)
{
	struct sbuf b = {0};
	sbuf_add(&b, "# Written by the sluice REST API.\n", 34);
	json_object_object_foreach(o, key, val)
	{
		yaml_key(&b, key);
		sbuf_add(&b, ":", 1);
		if (yaml_value(&b, val, 0)) {
			free(b.p);
			return NULL;
		}
	}
	return sbuf_take(&b, NULL);
}

char *rest_error_json(int code, const char *msg)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "error_code", json_object_new_int(code));
	json_object_object_add(o, "message", json_object_new_string(msg));
	char *s = strdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	if (!s)
		abort();
	return s;
}
