/*
 * schema.c - the parser of the compact schema text (schema.h).
 */
#include "schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Schemas nest at most this deep (a deeper one could never be met by a
 * record under max.depth anyway). */
#define MAX_NESTING 64

struct sp {
	const char *text, *s;
	char *err;
	size_t errlen;
	int failed;
};

static void fail(struct sp *p, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct sp *p, const char *at, const char *fmt, ...)
{
	int line = 1, col = 1, multiline = strchr(p->text, '\n') != NULL;
	char msg[200];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	for (const char *c = p->text; c < at; c++) {
		if (*c == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)*c & 0xc0) != 0x80) {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (multiline)
		snprintf(p->err, p->errlen, "%s at line %d, column %d", msg,
			 line, col);
	else
		snprintf(p->err, p->errlen, "%s at column %d", msg, col);
}

static void ws(struct sp *p)
{
	while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
		p->s++;
}

static int bare_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '$' ||
	       c == '@';
}

/* What is at s, for messages: "'x'" or "the end". */
static const char *shown(const char *s, char *buf, size_t len)
{
	if (!*s)
		return "the end";
	if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
		snprintf(buf, len, "byte 0x%02x", (unsigned char)*s);
	else
		snprintf(buf, len, "'%c'", *s);
	return buf;
}

static void free_node(struct bronze_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nfields; i++) {
		free(n->fields[i].name);
		free_node(n->fields[i].type);
	}
	free(n->fields);
	free_node(n->elem);
	free(n);
}

void bronze_schema_free(struct bronze_node *n)
{
	free_node(n);
}

static struct bronze_node *new_node(struct sp *p, enum bronze_type t)
{
	struct bronze_node *n = calloc(1, sizeof *n);

	if (!n)
		fail(p, p->s, "out of memory");
	else
		n->type = t;
	return n;
}

/* A field name, bare or "quoted" (\" and \\ escape). */
static char *name(struct sp *p, size_t *len)
{
	const char *start = p->s, *from, *to;
	int quoted = *p->s == '"';
	char *out, tmp[16];
	size_t k = 0;

	if (quoted) {
		from = to = p->s + 1;
		while (*to && *to != '"')
			to += to[0] == '\\' && to[1] ? 2 : 1;
		if (!*to) {
			fail(p, start, "unterminated field name");
			return NULL;
		}
		p->s = to + 1;
	} else {
		from = to = p->s;
		while (bare_char(*to))
			to++;
		if (to == from) {
			fail(p, start, "expected a field name, got %s",
			     shown(start, tmp, sizeof tmp));
			return NULL;
		}
		p->s = to;
	}
	out = malloc((size_t)(to - from) + 1);
	if (!out) {
		fail(p, start, "out of memory");
		return NULL;
	}
	for (const char *c = from; c < to; c++) {
		if (quoted && *c == '\\')
			c++;
		out[k++] = *c;
	}
	out[k] = '\0';
	*len = k;
	if (k == 0) {
		free(out);
		fail(p, start, "empty field name");
		return NULL;
	}
	return out;
}

static struct bronze_node *type(struct sp *p, int depth);

/* Fields up to `close` ('}' or '\0' at the top level without braces). */
static struct bronze_node *fields(struct sp *p, char close, int depth)
{
	struct bronze_node *n = new_node(p, BRONZE_OBJECT);
	size_t cap = 0;
	char tmp[16];

	if (!n)
		return NULL;
	ws(p);
	while (!p->failed && *p->s != close) {
		const char *at = p->s;
		struct bronze_field f = {0};

		f.name = name(p, &f.name_len);
		if (!f.name)
			break;
		for (size_t i = 0; i < n->nfields; i++)
			if (n->fields[i].name_len == f.name_len &&
			    !memcmp(n->fields[i].name, f.name, f.name_len))
				fail(p, at, "field '%s' declared twice",
				     f.name);
		ws(p);
		if (!p->failed && *p->s != ':')
			fail(p, p->s, "expected ':' after '%s', got %s", f.name,
			     shown(p->s, tmp, sizeof tmp));
		if (p->failed) {
			free(f.name);
			break;
		}
		p->s++;
		f.type = type(p, depth);
		if (n->nfields == cap) {
			struct bronze_field *v;

			cap = cap ? cap * 2 : 8;
			v = realloc(n->fields, cap * sizeof *v);
			if (!v) {
				fail(p, at, "out of memory");
				free(f.name);
				free_node(f.type);
				break;
			}
			n->fields = v;
		}
		n->fields[n->nfields++] = f;
		if (p->failed)
			break;
		ws(p);
		if (*p->s == ',') {
			p->s++;
			ws(p);
		} else if (*p->s != close) {
			fail(p, p->s, "expected ',' or %s, got %s",
			     close ? "'}'" : "the end",
			     shown(p->s, tmp, sizeof tmp));
		}
	}
	if (!p->failed && n->nfields == 0)
		fail(p, p->s, "an object needs at least one field");
	return n;
}

static const struct {
	const char *word;
	enum bronze_type type;
} words[] = {
	{"string", BRONZE_STRING}, {"int", BRONZE_INT},
	{"long", BRONZE_INT},	   {"double", BRONZE_DOUBLE},
	{"bool", BRONZE_BOOL},	   {"boolean", BRONZE_BOOL},
	{"any", BRONZE_ANY},
};

static struct bronze_node *type(struct sp *p, int depth)
{
	struct bronze_node *n = NULL;
	const char *at;
	char tmp[16];

	ws(p);
	at = p->s;
	if (depth >= MAX_NESTING) {
		fail(p, at, "nested deeper than %d", MAX_NESTING);
		return NULL;
	}
	if (*p->s == '{') {
		p->s++;
		n = fields(p, '}', depth + 1);
		if (!p->failed)
			p->s++;
	} else if (*p->s == '[') {
		p->s++;
		n = new_node(p, BRONZE_ARRAY);
		if (n)
			n->elem = type(p, depth + 1);
		ws(p);
		if (!p->failed && *p->s != ']')
			fail(p, p->s, "expected ']', got %s",
			     shown(p->s, tmp, sizeof tmp));
		if (!p->failed)
			p->s++;
	} else {
		size_t len = 0, i;

		while (bare_char(at[len]))
			len++;
		for (i = 0; i < sizeof words / sizeof words[0]; i++)
			if (strlen(words[i].word) == len &&
			    !memcmp(words[i].word, at, len))
				break;
		if (len == 0) {
			fail(p, at, "expected a type, got %s",
			     shown(at, tmp, sizeof tmp));
			return NULL;
		}
		if (i == sizeof words / sizeof words[0]) {
			fail(p, at,
			     "unknown type '%.*s' (expected string, int, "
			     "double, bool, any, {...} or [...])",
			     (int)(len > 40 ? 40 : len), at);
			return NULL;
		}
		n = new_node(p, words[i].type);
		p->s += len;
	}
	if (!n)
		return NULL;
	ws(p);
	if (*p->s == '?') {
		n->nullable = 1;
		p->s++;
	}
	return n;
}

struct bronze_node *bronze_schema_parse(const char *text, char *err,
					size_t errlen)
{
	struct sp p = {.text = text, .s = text, .err = err, .errlen = errlen};
	struct bronze_node *n;

	ws(&p);
	if (*p.s == '{') {
		n = type(&p, 0);
		ws(&p);
		if (!p.failed && (n->type != BRONZE_OBJECT || n->nullable))
			fail(&p, text, "the top level must be an object");
		if (!p.failed && *p.s) {
			char tmp[16];

			fail(&p, p.s, "expected the end, got %s",
			     shown(p.s, tmp, sizeof tmp));
		}
	} else {
		n = fields(&p, '\0', 1);
	}
	if (p.failed) {
		free_node(n);
		return NULL;
	}
	return n;
}

const char *bronze_type_name(enum bronze_type t)
{
	static const char *const names[] = {
		[BRONZE_ANY] = "any",	  [BRONZE_STRING] = "string",
		[BRONZE_INT] = "int",	  [BRONZE_DOUBLE] = "double",
		[BRONZE_BOOL] = "bool",	  [BRONZE_OBJECT] = "object",
		[BRONZE_ARRAY] = "array",
	};
	return names[t];
}

size_t bronze_schema_max_fields(const struct bronze_node *n)
{
	size_t m = 0;

	if (!n)
		return 0;
	if (n->type == BRONZE_OBJECT) {
		m = n->nfields;
		for (size_t i = 0; i < n->nfields; i++) {
			size_t k = bronze_schema_max_fields(n->fields[i].type);

			if (k > m)
				m = k;
		}
	}
	if (n->type == BRONZE_ARRAY) {
		size_t k = bronze_schema_max_fields(n->elem);

		if (k > m)
			m = k;
	}
	return m;
}
