/*
 * jdoc.c - the parser of jdoc.h. Recursive descent, bounded by the
 * document's max_depth (checked on every '{' and '['); nodes are
 * addressed by index while parsing (the array may grow), strings are
 * unescaped in the document's copy of the text, which never moves during
 * a parse, so names and strings can point into it.
 */
#include "jdoc.h"

#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	struct jdoc *d;
	char *p;   /* the copy: next byte */
	char *beg; /* the copy: first byte */
	char *end;
	int depth;
};

/* What a string scan copies as it is: not '"', '\\', a control byte or
 * a byte of a multi-byte character. */
static inline int plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void jdoc_init(struct jdoc *d, int max_depth, unsigned flags)
{
	memset(d, 0, sizeof *d);
	d->max_depth = max_depth;
	d->flags = flags;
}

void jdoc_free(struct jdoc *d)
{
	free(d->nodes);
	free(d->text);
	memset(d, 0, sizeof *d);
}

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(ps->d->err, sizeof ps->d->err,
			 "at byte %zu: ", (size_t)(at - ps->beg));

	va_start(ap, fmt);
	vsnprintf(ps->d->err + n, sizeof ps->d->err - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A new node's index, or -1 (out of memory, err set). */
static long add_node(struct parser *ps, enum jtype type)
{
	struct jdoc *d = ps->d;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct jnode *v;

		if (cap > UINT32_MAX)
			return fail(ps, ps->p, "more than %u values",
				    (unsigned)UINT32_MAX / 2);
		v = realloc(d->nodes, cap * sizeof *v);
		if (!v) {
			snprintf(d->err, sizeof d->err, "out of memory");
			d->oom = 1;
			return -1;
		}
		d->nodes = v;
		d->cap = cap;
	}
	struct jnode *n = &d->nodes[d->n];
	memset(n, 0, sizeof *n);
	n->type = (uint8_t)type;
	n->skip = 1;
	return (long)d->n++;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' ||
				   *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++) {
		char c = p[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static char *put_utf8(char *w, unsigned cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | (cp >> 6));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xe0 | (cp >> 12));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xf0 | (cp >> 18));
		*w++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

/* The length of the valid UTF-8 sequence at p (first byte >= 0x80), or 0
 * (overlong forms, surrogates and code points past U+10FFFF are not). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n;
	unsigned min;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	unsigned cp = c & (0x3f >> (n - 1));
	for (size_t k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* The string whose opening quote is at ps->p, unescaped in place and
 * NUL-terminated; *out and *len say where. */
static int string(struct parser *ps, const char **out, uint32_t *len)
{
	char *r = ++ps->p; /* read */
	char *w;	   /* write: behind r once an escape was met */
	char *start = r;

	while (r < ps->end && plain((unsigned char)*r))
		r++;
	w = r;
	for (;;) {
		if (r >= ps->end)
			return fail(ps, start - 1, "unterminated string");
		unsigned char c = (unsigned char)*r;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(ps, r,
				    "control character 0x%02x in a string", c);
		if (c >= 0x80) {
			size_t n = 1;

			if (ps->d->flags & JDOC_UTF8) {
				n = utf8_len((const unsigned char *)r,
					     (const unsigned char *)ps->end);
				if (!n)
					return fail(
						ps, r,
						"invalid UTF-8 in a string");
			}
			memmove(w, r, n);
			w += n, r += n;
			continue;
		}
		if (c != '\\') {
			*w++ = *r++;
			continue;
		}
		if (r + 1 >= ps->end)
			return fail(ps, start - 1, "unterminated string");
		char e = r[1];
		const char *esc = r;
		r += 2;
		switch (e) {
		case '"':
		case '\\':
		case '/':
			*w++ = e;
			break;
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'u': {
			unsigned cp, lo;

			if (ps->end - r < 4 || hex4(r, &cp))
				return fail(ps, esc, "invalid \\u escape");
			r += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(ps, esc,
					    "\\u escape of a lone surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - r < 6 || r[0] != '\\' ||
				    r[1] != 'u' || hex4(r + 2, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return fail(ps, esc,
						    "\\u escape of a lone "
						    "surrogate");
				r += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			/* at most 6 escaped bytes make at most 4 */
			w = put_utf8(w, cp);
			break;
		}
		default:
			return fail(ps, esc, "invalid escape '\\%c'", e);
		}
	}
	if ((size_t)(w - start) > UINT32_MAX)
		return fail(ps, start, "string too long");
	*w = '\0';
	ps->p = r + 1;
	*out = start;
	*len = (uint32_t)(w - start);
	return 0;
}

static locale_t c_loc;

static void c_locale_make(void)
{
	c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* strtod in the C locale whatever the process set: a decimal point is a
 * '.' in JSON. */
static locale_t c_locale(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, c_locale_make);
	return c_loc ? c_loc : LC_GLOBAL_LOCALE;
}

static int number(struct parser *ps, struct jnode *n)
{
	char *s = ps->p, *q = s;
	int neg = 0, integral = 1;
	uint64_t mag = 0;
	int overflow = 0;

	if (*q == '-')
		neg = 1, q++;
	if (q >= ps->end || *q < '0' || *q > '9')
		return fail(ps, s, "invalid number");
	if (*q == '0') {
		q++;
		if (q < ps->end && *q >= '0' && *q <= '9')
			return fail(ps, s, "invalid number (a leading zero)");
	} else {
		while (q < ps->end && *q >= '0' && *q <= '9') {
			unsigned dig = (unsigned)(*q - '0');

			if (mag > (UINT64_MAX - dig) / 10)
				overflow = 1;
			else
				mag = mag * 10 + dig;
			q++;
		}
	}
	if (q < ps->end && *q == '.') {
		integral = 0;
		q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, s, "invalid number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		integral = 0;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, s, "invalid number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	n->str = s;
	n->len = (uint32_t)(q - s);
	ps->p = q;
	if (integral && !overflow &&
	    mag <= (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
		n->type = JT_INT;
		n->i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
		return 0;
	}
	/* Converted when asked (jnode_double): gold and silver read money
	 * from the text, and strtod was ~18% of a parse of gold's rows. */
	n->type = JT_DOUBLE;
	n->big = (uint8_t)integral;
	return 0;
}

static int value(struct parser *ps);

/* The members (object) or elements (array) of the container at index
 * at, whose opening bracket is at ps->p. */
static int container(struct parser *ps, long at, int object)
{
	const char close = object ? '}' : ']';
	uint32_t count = 0;

	if (++ps->depth > ps->d->max_depth)
		return fail(ps, ps->p, "nested deeper than %d levels",
			    ps->d->max_depth);
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		uint32_t key_len = 0;

		if (object) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, ps->p,
					    "expected a member name in quotes");
			if (string(ps, &key, &key_len))
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, ps->p,
					    "expected ':' after a member name");
			ps->p++;
			skip_ws(ps);
		}
		long child = (long)ps->d->n;
		if (value(ps))
			return -1;
		ps->d->nodes[child].key = key;
		ps->d->nodes[child].key_len = key_len;
		count++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			break;
		}
		return fail(ps, ps->p,
			    object ? "expected ',' or '}'"
				   : "expected ',' or ']'");
	}
	struct jnode *n = &ps->d->nodes[at];
	n->len = count;
	n->skip = (uint32_t)(ps->d->n - (size_t)at);
	ps->depth--;
	return 0;
}

static int literal(struct parser *ps, const char *word, size_t len)
{
	if ((size_t)(ps->end - ps->p) < len || memcmp(ps->p, word, len))
		return fail(ps, ps->p, "expected '%s'", word);
	ps->p += len;
	return 0;
}

/* One value at ps->p (no whitespace before it). */
static int value(struct parser *ps)
{
	if (ps->p >= ps->end)
		return fail(ps, ps->p, "unexpected end of input");
	long at;
	char c = *ps->p;

	switch (c) {
	case '{':
	case '[':
		if ((at = add_node(ps, c == '{' ? JT_OBJECT : JT_ARRAY)) < 0)
			return -1;
		return container(ps, at, c == '{');
	case '"': {
		const char *s;
		uint32_t len;

		if ((at = add_node(ps, JT_STRING)) < 0 || string(ps, &s, &len))
			return -1;
		ps->d->nodes[at].str = s;
		ps->d->nodes[at].len = len;
		return 0;
	}
	case 't':
	case 'f':
		if ((at = add_node(ps, JT_BOOL)) < 0)
			return -1;
		ps->d->nodes[at].boolean = c == 't';
		return c == 't' ? literal(ps, "true", 4)
				: literal(ps, "false", 5);
	case 'n':
		if ((at = add_node(ps, JT_NULL)) < 0)
			return -1;
		return literal(ps, "null", 4);
	default:
		if (c != '-' && (c < '0' || c > '9')) {
			if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
				return fail(ps, ps->p, "unexpected byte 0x%02x",
					    (unsigned char)c);
			return fail(ps, ps->p, "unexpected '%c'", c);
		}
		if ((at = add_node(ps, JT_INT)) < 0)
			return -1;
		return number(ps, &ps->d->nodes[at]);
	}
}

const struct jnode *jdoc_parse(struct jdoc *d, const char *p, size_t len)
{
	struct parser ps = {.d = d};

	d->n = 0;
	d->err[0] = '\0';
	d->oom = 0;
	if (len + 1 > d->text_cap) {
		size_t cap = d->text_cap ? d->text_cap : 1024;
		char *t;

		while (cap < len + 1)
			cap *= 2;
		if (!(t = malloc(cap))) {
			snprintf(d->err, sizeof d->err, "out of memory");
			d->oom = 1;
			return NULL;
		}
		free(d->text);
		d->text = t;
		d->text_cap = cap;
	}
	if (len)
		memcpy(d->text, p, len);
	d->text[len] = '\0';
	ps.beg = ps.p = d->text;
	ps.end = d->text + len;
	skip_ws(&ps);
	if (value(&ps))
		return NULL;
	skip_ws(&ps);
	if (ps.p < ps.end) {
		fail(&ps, ps.p, "data after the value");
		return NULL;
	}
	return d->nodes;
}

const struct jnode *jnode_getn(const struct jnode *o, const char *name,
			       size_t name_len)
{
	const struct jnode *found = NULL;

	if (!o || o->type != JT_OBJECT)
		return NULL;
	JNODE_EACH(c, o)
	{
		if (c->key_len == name_len && !memcmp(c->key, name, name_len))
			found = c;
	}
	return found;
}

const struct jnode *jnode_get(const struct jnode *o, const char *name)
{
	return jnode_getn(o, name, strlen(name));
}

const struct jnode *jnode_at(const struct jnode *c, size_t k)
{
	if (!c || (c->type != JT_ARRAY && c->type != JT_OBJECT) || k >= c->len)
		return NULL;
	const struct jnode *e = c + 1;
	while (k--)
		e += e->skip;
	return e;
}

double jnode_double(const struct jnode *n)
{
	if (!n || n->type == JT_INT)
		return n ? (double)n->i : 0;
	if (n->type != JT_DOUBLE)
		return 0;
	/* strtod needs a terminated text: the number's is not. */
	char small[64];
	char *text = n->len < sizeof small ? small : malloc((size_t)n->len + 1);
	if (!text)
		return 0;
	memcpy(text, n->str, n->len);
	text[n->len] = '\0';
	double d = strtod_l(text, NULL, c_locale());
	if (text != small)
		free(text);
	return d;
}

const char *jnode_type_name(const struct jnode *n)
{
	static const char *const names[] = {
		[JT_NULL] = "null",	[JT_BOOL] = "bool",
		[JT_INT] = "int",	[JT_DOUBLE] = "double",
		[JT_STRING] = "string", [JT_OBJECT] = "object",
		[JT_ARRAY] = "array",
	};
	return n && n->type <= JT_ARRAY ? names[n->type] : "unknown";
}
