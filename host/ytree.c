/*
 * ytree.c - YAML to a positioned tree, on libyaml's event API. The input
 * is untrusted: size and encoding are checked before libyaml sees it, and
 * nesting is bounded while events arrive, so no input can exhaust memory
 * or the stack.
 */
#include "ytree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "units.h"

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("sluice: out of memory\n", stderr);
		abort();
	}
	return q;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xrealloc(NULL, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void ytree_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ytree_free(n->kids[i]);
	free(n->kids);
	free(n->key);
	free(n->value);
	free(n);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Line and column (1-based, in characters as libyaml counts them) of
 * byte `off`. A byte order mark takes no column, as in an editor. */
static void position_of(const char *text, size_t off, int *line, int *col)
{
	size_t i = 0;
	*line = 1;
	*col = 1;
	if (off >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	for (; i < off; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n' || c == '\r') {
			if (c == '\n' && i > 0 && text[i - 1] == '\r')
				continue;
			(*line)++;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

struct frame {
	struct ynode *node;
	char *key; /* MAP: a key read, waiting for its value */
	int key_line, key_col;
};

struct loader {
	const char *name;
	struct diags *d;
	int failed;
	struct ynode *root;
	struct frame stack[YTREE_MAX_DEPTH];
	int depth;
};

static void position(yaml_mark_t m, int *line, int *col)
{
	*line = (int)m.line + 1;
	*col = (int)m.column + 1;
}

static struct ynode *new_node(enum ynode_type type, yaml_mark_t m)
{
	struct ynode *n = xrealloc(NULL, sizeof(*n));
	*n = (struct ynode){.type = type};
	position(m, &n->line, &n->col);
	return n;
}

static void error_at(struct loader *L, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void error_at(struct loader *L, yaml_mark_t m, const char *fmt, ...)
{
	char msg[512];
	int line, col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	position(m, &line, &col);
	diags_add(L->d, L->name, line, col, "%s", msg);
	L->failed = 1;
}

struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static int is_env_name(const char *s, size_t n)
{
	if (!n || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* Expands ${env:NAME} and $${ in a scalar. Every bad reference is
 * reported at the scalar; the result is then only used to be freed. */
static char *expand(struct loader *L, const char *s, size_t len, yaml_mark_t m,
		    int *expanded)
{
	struct buf b = {0};
	char q[64];
	buf_add(&b, "", 0);
	*expanded = 0;
	for (size_t i = 0; i < len;) {
		if (len - i >= 3 && !memcmp(s + i, "$${", 3)) {
			buf_add(&b, "${", 2);
			i += 3;
			continue;
		}
		if (len - i < 2 || memcmp(s + i, "${", 2)) {
			buf_add(&b, s + i, 1);
			i++;
			continue;
		}
		const char *ref = s + i + 2;
		const char *end = memchr(ref, '}', len - i - 2);
		if (!end) {
			error_at(L, m,
				 "unterminated '${' (write '$${' for a "
				 "literal '${')");
			break;
		}
		size_t n = (size_t)(end - ref);
		char *text = xstrndup(ref, n);
		const char *env = NULL;
		/* ${env:NAME:-default}: the default when NAME is unset or
		 * empty, as in the shell. */
		char *def = strstr(text, ":-");
		if (def) {
			*def = '\0';
			def += 2;
		}
		size_t name_len = strlen(text);
		if (name_len < 4 || memcmp(text, "env:", 4)) {
			error_at(L, m,
				 "unknown reference '${%s}'; only ${env:NAME} "
				 "and ${env:NAME:-default} are supported",
				 units_quote(text, q, sizeof(q)));
		} else if (!is_env_name(text + 4, name_len - 4)) {
			error_at(L, m,
				 "'%s' is not a valid environment variable "
				 "name",
				 units_quote(text + 4, q, sizeof(q)));
		} else if ((!(env = getenv(text + 4)) || !*env) && def) {
			buf_add(&b, def, strlen(def));
			*expanded = 1;
		} else if (!env) {
			error_at(L, m, "environment variable '%s' is not set",
				 text + 4);
		} else {
			buf_add(&b, env, strlen(env));
			*expanded = 1;
		}
		free(text);
		i += n + 3;
		/* Many references to a large variable must not eat memory. */
		if (b.n > YTREE_MAX_FILE_BYTES) {
			error_at(L, m,
				 "the value is over 1MiB once environment "
				 "variables are expanded");
			break;
		}
	}
	return b.p;
}

/* Puts n into the open collection (or makes it the root). */
static void attach(struct loader *L, struct ynode *n)
{
	if (!L->depth) {
		L->root = n;
		return;
	}
	struct frame *f = &L->stack[L->depth - 1];
	struct ynode *p = f->node;
	if (p->type == YNODE_MAP) {
		n->key = f->key;
		n->key_line = f->key_line;
		n->key_col = f->key_col;
		f->key = NULL;
	}
	if ((p->n & (p->n - 1)) == 0) /* 0, 1, 2, 4, ...: grow */
		p->kids = xrealloc(p->kids,
				   (p->n ? p->n * 2 : 1) * sizeof(*p->kids));
	p->kids[p->n++] = n;
}

/* Is the next node a map key? */
static int wants_key(const struct loader *L)
{
	if (!L->depth)
		return 0;
	const struct frame *f = &L->stack[L->depth - 1];
	return f->node->type == YNODE_MAP && !f->key;
}

static void no_anchor(struct loader *L, const yaml_char_t *anchor,
		      yaml_mark_t m)
{
	if (anchor)
		error_at(L, m, "anchors and aliases are not supported");
}

static void on_scalar(struct loader *L, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	yaml_mark_t m = ev->start_mark;
	no_anchor(L, ev->data.scalar.anchor, m);
	/* "\0" in a double-quoted scalar: C strings would cut it short. */
	if (memchr(v, '\0', len))
		error_at(L, m, "a NUL character (\\0) is not allowed");
	if (wants_key(L)) {
		struct frame *f = &L->stack[L->depth - 1];
		f->key = xstrndup(v, len);
		position(m, &f->key_line, &f->key_col);
		return;
	}
	struct ynode *n = new_node(YNODE_SCALAR, m);
	int expanded;
	n->value = expand(L, v, len, m, &expanded);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		   ev->data.scalar.plain_implicit && !expanded;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = YSTYLE_QUOTED;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = YSTYLE_BLOCK;
		break;
	default:
		n->style = YSTYLE_PLAIN;
	}
	attach(L, n);
}

static int on_start(struct loader *L, const yaml_event_t *ev,
		    enum ynode_type type, const yaml_char_t *anchor)
{
	if (L->depth == YTREE_MAX_DEPTH) {
		error_at(L, ev->start_mark, "nesting is deeper than %d levels",
			 YTREE_MAX_DEPTH);
		return -1;
	}
	if (wants_key(L)) {
		error_at(L, ev->start_mark,
			 type == YNODE_MAP ? "a map key must be a scalar, "
					     "not a map"
					   : "a map key must be a scalar, "
					     "not a sequence");
		return -1;
	}
	no_anchor(L, anchor, ev->start_mark);
	struct ynode *n = new_node(type, ev->start_mark);
	attach(L, n);
	L->stack[L->depth++] = (struct frame){.node = n};
	return 0;
}

struct keyref {
	const char *key;
	size_t i;
};

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Sorting keeps this fast on a huge map; reports go in file order. */
static void check_duplicates(struct loader *L, const struct ynode *map)
{
	size_t n = map->n;
	if (n < 2)
		return;
	struct keyref *r = xrealloc(NULL, n * sizeof(*r));
	size_t *first = xrealloc(NULL, n * sizeof(*first));
	for (size_t i = 0; i < n; i++) {
		r[i] = (struct keyref){map->kids[i]->key, i};
		first[i] = i;
	}
	qsort(r, n, sizeof(*r), keyref_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(r[i].key, r[i - 1].key))
			first[r[i].i] = first[r[i - 1].i];
	for (size_t i = 0; i < n; i++) {
		if (first[i] == i)
			continue;
		const struct ynode *k = map->kids[i];
		char q[128];
		diags_add(L->d, L->name, k->key_line, k->key_col,
			  "duplicate key '%s' (first at line %d)",
			  units_quote(k->key, q, sizeof(q)),
			  map->kids[first[i]]->key_line);
		L->failed = 1;
	}
	free(r);
	free(first);
}

static void syntax_error(struct loader *L, const yaml_parser_t *p,
			 const char *text)
{
	int line = 0, col = 0;
	if (p->error == YAML_MEMORY_ERROR) {
		diags_add(L->d, L->name, 0, 0, "out of memory while parsing");
	} else if (p->error == YAML_READER_ERROR) {
		/* Reader errors carry a byte offset, not a mark. */
		position_of(text, p->problem_offset, &line, &col);
		if (p->problem_value >= 0)
			diags_add(L->d, L->name, line, col, "%s (U+%04X)",
				  p->problem, (unsigned)p->problem_value);
		else
			diags_add(L->d, L->name, line, col, "%s", p->problem);
	} else {
		error_at(L, p->problem_mark, "%s",
			 p->problem ? p->problem : "invalid YAML");
	}
	L->failed = 1;
}

/* Runs the events into L; returns when the stream ends or on an error
 * that leaves nothing sensible to go on with. */
static void parse_events(struct loader *L, yaml_parser_t *p, const char *text)
{
	int docs = 0;
	for (;;) {
		yaml_event_t ev;
		int stop = 0;
		if (!yaml_parser_parse(p, &ev)) {
			syntax_error(L, p, text);
			return;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			stop = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++) {
				error_at(L, ev.start_mark,
					 "multiple documents are not "
					 "supported");
				stop = 1;
			}
			break;
		case YAML_ALIAS_EVENT:
			error_at(L, ev.start_mark,
				 "anchors and aliases are not supported");
			stop = 1;
			break;
		case YAML_SCALAR_EVENT:
			on_scalar(L, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			stop = on_start(L, &ev, YNODE_SEQ,
					ev.data.sequence_start.anchor);
			break;
		case YAML_MAPPING_START_EVENT:
			stop = on_start(L, &ev, YNODE_MAP,
					ev.data.mapping_start.anchor);
			break;
		case YAML_MAPPING_END_EVENT:
			check_duplicates(L, L->stack[L->depth - 1].node);
			L->depth--;
			break;
		case YAML_SEQUENCE_END_EVENT:
			L->depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (stop)
			return;
	}
}

static int is_utf8(struct loader *L, const char *text, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq((const unsigned char *)text + i, len - i);
		if (!n) {
			int line, col;
			position_of(text, i, &line, &col);
			diags_add(L->d, L->name, line, col,
				  "not valid UTF-8 (byte 0x%02x)",
				  (unsigned char)text[i]);
			return 0;
		}
		i += n;
	}
	return 1;
}

static void too_large(const char *name, long long size, struct diags *d)
{
	char lim[32];
	units_format_size(YTREE_MAX_FILE_BYTES, lim, sizeof(lim));
	if (size < 0)
		diags_add(d, name, 0, 0,
			  "file is over %s; configuration files are limited "
			  "to %s",
			  lim, lim);
	else
		diags_add(d, name, 0, 0,
			  "file is %lld bytes; configuration files are limited "
			  "to %s",
			  size, lim);
}

struct ynode *ytree_load_string(const char *name, const char *text, size_t len,
				struct diags *d)
{
	struct loader L = {.name = name, .d = d};
	if (len > YTREE_MAX_FILE_BYTES) {
		too_large(name, (long long)len, d);
		return NULL;
	}
	if (!text)
		text = "";
	if (!is_utf8(&L, text, len))
		return NULL;

	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		diags_add(d, name, 0, 0, "out of memory while parsing");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	/* No yaml_parser_set_encoding(): libyaml would then count a byte
	 * order mark as a column and misread the indentation. Text that
	 * passed is_utf8() cannot look like UTF-16 anyway. */
	parse_events(&L, &p, text);
	yaml_parser_delete(&p);

	for (int i = 0; i < L.depth; i++)
		free(L.stack[i].key);
	if (L.failed) {
		ytree_free(L.root);
		return NULL;
	}
	/* No document, or just "---": nothing configured. */
	if (!L.root || ytree_is_null(L.root)) {
		ytree_free(L.root);
		L.root = new_node(YNODE_MAP, (yaml_mark_t){0});
	}
	return L.root;
}

struct ynode *ytree_load_file(const char *path, struct diags *d)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		diags_add(d, path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > YTREE_MAX_FILE_BYTES) {
		too_large(path, (long long)st.st_size, d);
		fclose(f);
		return NULL;
	}
	/* Read one byte past the limit to catch pipes and growing files. */
	char *text = xrealloc(NULL, YTREE_MAX_FILE_BYTES + 1);
	size_t len = fread(text, 1, YTREE_MAX_FILE_BYTES + 1, f);
	struct ynode *root = NULL;
	if (ferror(f))
		diags_add(d, path, 0, 0, "cannot read: %s", strerror(errno));
	else if (len > YTREE_MAX_FILE_BYTES)
		too_large(path, -1, d);
	else
		root = ytree_load_string(path, text, len, d);
	free(text);
	fclose(f);
	return root;
}

struct ynode *ytree_get(const struct ynode *map, const char *key)
{
	if (!map || map->type != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->kids[i]->key, key))
			return map->kids[i];
	return NULL;
}

int ytree_is_null(const struct ynode *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	if (!n || n->type != YNODE_SCALAR || !n->plain)
		return 0;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(n->value, nulls[i]))
			return 1;
	return 0;
}

const char *ytree_type_name(enum ynode_type t)
{
	switch (t) {
	case YNODE_SCALAR:
		return "scalar";
	case YNODE_MAP:
		return "map";
	case YNODE_SEQ:
		return "sequence";
	}
	return "unknown";
}
