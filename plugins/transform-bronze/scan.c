/*
 * scan.c - the schema-checking JSON scanner of scan.h. Recursive descent
 * over the bytes; recursion is bounded by max.depth, checked on every
 * '{' and '['. Paths are kept as a stack of (pointer, length) steps into
 * the value and only formatted when a reason needs one, so a good record
 * costs no string work beyond the scan itself.
 */
#include "scan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)
/* Longest path and key shown in a reason. */
#define PATH_SHOWN 200
#define KEY_SHOWN 64

/* Bytes a string scan can skip: 1 for '"', '\', control characters and
 * everything non-ASCII. */
static const unsigned char special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Names bronze adds to the top level of every record it writes. */
static const char *const reserved[] = {"ingest_ts", "_source", "_rescued_data",
				       NULL};

int bronze_scan_init(struct bronze_scan *sc, const struct bronze_node *schema,
		     int max_depth, enum bronze_extra extra)
{
	memset(sc, 0, sizeof *sc);
	sc->schema = schema;
	sc->max_depth = max_depth;
	sc->extra = extra;
	sc->words = (bronze_schema_max_fields(schema) + 63) / 64;
	if (sc->words == 0)
		sc->words = 1;
	sc->seen = calloc((size_t)max_depth + 1, sc->words * sizeof *sc->seen);
	sc->segs = calloc((size_t)max_depth + 2, sizeof *sc->segs);
	return sc->seen && sc->segs ? 0 : -1;
}

void bronze_scan_free(struct bronze_scan *sc)
{
	jbuf_free(&sc->reasons);
	jbuf_free(&sc->paths);
	jbuf_free(&sc->scratch);
	free(sc->cuts);
	free(sc->rescued);
	free(sc->seen);
	free(sc->segs);
	memset(sc, 0, sizeof *sc);
}

const char *bronze_scan_reason(const struct bronze_scan *sc, size_t k)
{
	return sc->reasons.p + sc->reason_at[k];
}

/* ---- reasons ---- */

/* The current path as text: "user.age", "items[1].price". */
static void path_text(const struct bronze_scan *sc, struct jbuf *b,
		      const char *last, size_t last_len)
{
	size_t start = b->len;

	for (size_t k = 0; k <= sc->nsegs; k++) {
		const struct bronze_seg *g =
			k < sc->nsegs ? &sc->segs[k] : NULL;
		const char *key = g ? g->key : last;
		size_t len = g ? g->len : last_len;
		char num[24];

		if (!g && !last)
			break;
		if (b->len - start > PATH_SHOWN) {
			JBUF_LIT(b, "...");
			break;
		}
		if (g && !key) {
			int w = snprintf(num, sizeof num, "[%zu]", g->index);

			jbuf_put(b, num, (size_t)w);
			continue;
		}
		if (k > 0)
			jbuf_putc(b, '.');
		if (len > KEY_SHOWN) {
			jbuf_put(b, key, KEY_SHOWN);
			JBUF_LIT(b, "...");
		} else {
			jbuf_put(b, key, len);
		}
	}
	if (b->len == start)
		JBUF_LIT(b, "top level");
}

static void add_reason(struct bronze_scan *sc, enum bronze_fault f,
		       const char *text, size_t len)
{
	if (sc->fault == BRONZE_FAULT_NONE)
		sc->fault = f;
	if (sc->nreasons == BRONZE_MAX_REASONS) {
		sc->more_reasons++;
		return;
	}
	sc->reason_at[sc->nreasons++] = sc->reasons.len;
	jbuf_put(&sc->reasons, text, len);
	jbuf_putc(&sc->reasons, '\0');
}

/* "<prefix><path>[.<last>]<suffix>" */
static void path_reason(struct bronze_scan *sc, const char *prefix,
			const char *last, size_t last_len, const char *suffix)
{
	struct jbuf *b = &sc->scratch;

	jbuf_reset(b);
	jbuf_put(b, prefix, strlen(prefix));
	path_text(sc, b, last, last_len);
	jbuf_put(b, suffix, strlen(suffix));
	if (b->oom)
		sc->oom = 1;
	else
		add_reason(sc, BRONZE_FAULT_SCHEMA, b->p, b->len);
}

static void mismatch(struct bronze_scan *sc, const struct bronze_node *want,
		     const char *got)
{
	char suffix[64];

	snprintf(suffix, sizeof suffix, ": expected %s, got %s",
		 bronze_type_name(want->type), got);
	path_reason(sc, "", NULL, 0, suffix);
}

/* A syntax error ends the scan: what was found before is dropped, as it
 * says nothing about a value that is not JSON. */
static int syntax_at(struct bronze_scan *sc, enum bronze_fault f, size_t at,
		     const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int syntax_at(struct bronze_scan *sc, enum bronze_fault f, size_t at,
		     const char *fmt, ...)
{
	char what[96], msg[192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (f == BRONZE_FAULT_DEPTH)
		n = snprintf(msg, sizeof msg, "%s at byte %zu", what, at);
	else
		n = snprintf(msg, sizeof msg, "not valid JSON: %s at byte %zu",
			     what, at);
	sc->nreasons = 0;
	sc->more_reasons = 0;
	sc->reasons.len = 0;
	sc->fault = BRONZE_FAULT_NONE;
	add_reason(sc, f, msg, (size_t)n);
	sc->stop = 1;
	return -1;
}

/* The byte at sc->i does not belong there. */
static int unexpected(struct bronze_scan *sc)
{
	size_t i = sc->i;

	if (i >= sc->n)
		return syntax_at(sc, BRONZE_FAULT_JSON, sc->n,
				 "unexpected end of input");
	if (sc->s[i] >= 0x20 && sc->s[i] < 0x7f)
		return syntax_at(sc, BRONZE_FAULT_JSON, i,
				 "unexpected character '%c'", sc->s[i]);
	return syntax_at(sc, BRONZE_FAULT_JSON, i, "unexpected byte 0x%02x",
			 sc->s[i]);
}

/* ---- lexical pieces ---- */

static inline void ws(struct bronze_scan *sc)
{
	while (sc->i < sc->n && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\n' ||
				 sc->s[sc->i] == '\r' || sc->s[sc->i] == '\t'))
		sc->i++;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at s[i..]; -1 when they are not. */
static long hex4(const struct bronze_scan *sc, size_t i)
{
	long v = 0;

	if (sc->n - i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int h = hexval(sc->s[i + k]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* The escape at s[*pi] ('\'); advances past it. */
static int escape(struct bronze_scan *sc, size_t *pi)
{
	size_t i = *pi;
	long v, lo;

	if (i + 1 >= sc->n)
		return syntax_at(sc, BRONZE_FAULT_JSON, sc->n,
				 "unexpected end of input");
	switch (sc->s[i + 1]) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		*pi = i + 2;
		return 0;
	case 'u':
		break;
	default:
		return syntax_at(sc, BRONZE_FAULT_JSON, i, "invalid escape");
	}
	if (sc->n - i < 6)
		return syntax_at(sc, BRONZE_FAULT_JSON, sc->n,
				 "unexpected end of input");
	v = hex4(sc, i + 2);
	if (v < 0)
		return syntax_at(sc, BRONZE_FAULT_JSON, i, "invalid escape");
	if (v >= 0xdc00 && v <= 0xdfff)
		return syntax_at(sc, BRONZE_FAULT_JSON, i, "lone surrogate");
	if (v >= 0xd800 && v <= 0xdbff) {
		if (i + 7 >= sc->n || sc->s[i + 6] != '\\' ||
		    sc->s[i + 7] != 'u' || (lo = hex4(sc, i + 8)) < 0xdc00 ||
		    lo > 0xdfff)
			return syntax_at(sc, BRONZE_FAULT_JSON, i,
					 "lone surrogate");
		*pi = i + 12;
		return 0;
	}
	*pi = i + 6;
	return 0;
}

/* A string at s[i] == '"'; leaves i after the closing quote. */
static int string(struct bronze_scan *sc, int *escaped)
{
	const unsigned char *s = sc->s;
	size_t i = sc->i + 1, n = sc->n;
	int esc = 0;

	for (;;) {
		while (i < n && !special[s[i]])
			i++;
		if (i >= n) {
			sc->i = n;
			return syntax_at(sc, BRONZE_FAULT_JSON, n,
					 "unexpected end of input");
		}
		if (s[i] == '"')
			break;
		if (s[i] == '\\') {
			esc = 1;
			if (escape(sc, &i))
				return -1;
		} else if (s[i] < 0x20) {
			return syntax_at(sc, BRONZE_FAULT_JSON, i,
					 "control character in string");
		} else {
			size_t k = utf8_seq_len(s + i, n - i);

			if (k) {
				i += k;
				continue;
			}
			if (sc->utf8_bad == NONE) {
				char msg[64];
				int w = snprintf(msg, sizeof msg,
						 "not valid UTF-8 at byte %zu",
						 i);

				sc->utf8_bad = i;
				add_reason(sc, BRONZE_FAULT_UTF8, msg,
					   (size_t)w);
			}
			i++;
		}
	}
	sc->i = i + 1;
	if (escaped)
		*escaped = esc;
	return 0;
}

static int literal(struct bronze_scan *sc, const char *word, size_t len)
{
	for (size_t k = 0; k < len; k++)
		if (sc->i + k >= sc->n || sc->s[sc->i + k] != word[k]) {
			sc->i += k;
			return unexpected(sc);
		}
	sc->i += len;
	return 0;
}

/* What a number is: an int (in range or not), or a double; HUGE is an
 * int beyond the range of a double too. */
enum num_kind {
	NUM_INT,
	NUM_INT_RANGE,
	NUM_INT_HUGE,
	NUM_DOUBLE,
	NUM_DOUBLE_RANGE
};

/* Whether a number whose digits are int[0..ni) then frac[0..nf), times
 * 10^exp, is beyond the largest double. */
static int beyond_double(const unsigned char *in, size_t ni,
			 const unsigned char *fr, size_t nf, long exp)
{
	char buf[64];
	size_t k = 0, z = 0;
	long mag;
	double v;

	/* The first significant digit, and the power of ten it stands at. */
	while (z < ni + nf && (z < ni ? in[z] : fr[z - ni]) == '0')
		z++;
	if (z == ni + nf)
		return 0; /* zero */
	mag = (long)ni - 1 - (long)z + exp;
	if (mag < 308)
		return 0;
	if (mag > 308)
		return 1;
	for (; z < ni + nf && k < 40; z++) {
		buf[k++] = (char)(z < ni ? in[z] : fr[z - ni]);
		if (k == 1)
			buf[k++] = '.';
	}
	snprintf(buf + k, sizeof buf - k, "0e308");
	errno = 0;
	v = strtod(buf, NULL);
	return errno == ERANGE && v != 0;
}

static int number(struct bronze_scan *sc, enum num_kind *kind)
{
	const unsigned char *s = sc->s;
	size_t n = sc->n, i = sc->i, int_start, int_len, frac_start = 0,
	       frac_len = 0;
	int neg = 0, has_frac = 0, has_exp = 0;
	long exp = 0;

	if (s[i] == '-') {
		neg = 1;
		i++;
	}
	int_start = i;
	if (i < n && s[i] == '0') {
		i++;
	} else if (i < n && s[i] >= '1' && s[i] <= '9') {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		sc->i = i;
		return unexpected(sc);
	}
	int_len = i - int_start;
	if (i < n && s[i] == '.') {
		has_frac = 1;
		frac_start = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		frac_len = i - frac_start;
		if (!frac_len) {
			sc->i = i;
			return unexpected(sc);
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		int eneg = 0;

		has_exp = 1;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i >= n || s[i] < '0' || s[i] > '9') {
			sc->i = i;
			return unexpected(sc);
		}
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (exp < 100000)
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
		if (eneg)
			exp = -exp;
	}
	sc->i = i;
	if (!has_frac && !has_exp) {
		static const char max[] = "9223372036854775807";
		static const char min[] = "9223372036854775808";

		*kind = NUM_INT;
		if (int_len > 19 ||
		    (int_len == 19 &&
		     memcmp(s + int_start, neg ? min : max, 19) > 0))
			*kind = NUM_INT_RANGE;
		if (int_len > 308 &&
		    beyond_double(s + int_start, int_len, NULL, 0, 0))
			*kind = NUM_INT_HUGE;
		return 0;
	}
	*kind = NUM_DOUBLE;
	if ((has_exp || int_len > 308) &&
	    beyond_double(s + int_start, int_len, s + frac_start, frac_len,
			  exp))
		*kind = NUM_DOUBLE_RANGE;
	return 0;
}

/* ---- paths and fields ---- */

static void push_key(struct bronze_scan *sc, const char *key, size_t len)
{
	sc->segs[sc->nsegs++] = (struct bronze_seg){key, len, 0};
}

static void push_index(struct bronze_scan *sc, size_t index)
{
	sc->segs[sc->nsegs++] = (struct bronze_seg){NULL, 0, index};
}

static void put_utf8(char *o, size_t *k, unsigned long c)
{
	if (c < 0x80) {
		o[(*k)++] = (char)c;
	} else if (c < 0x800) {
		o[(*k)++] = (char)(0xc0 | c >> 6);
		o[(*k)++] = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		o[(*k)++] = (char)(0xe0 | c >> 12);
		o[(*k)++] = (char)(0x80 | (c >> 6 & 0x3f));
		o[(*k)++] = (char)(0x80 | (c & 0x3f));
	} else {
		o[(*k)++] = (char)(0xf0 | c >> 18);
		o[(*k)++] = (char)(0x80 | (c >> 12 & 0x3f));
		o[(*k)++] = (char)(0x80 | (c >> 6 & 0x3f));
		o[(*k)++] = (char)(0x80 | (c & 0x3f));
	}
}

/* An escaped key (already checked) decoded into sc->key; its length, or
 * NONE when it does not fit (then no declared name can match). */
static size_t decode_key(struct bronze_scan *sc, const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned long c = (unsigned char)s[i];

		if (k + 4 > sizeof sc->key)
			return NONE;
		if (c != '\\') {
			sc->key[k++] = (char)c;
			continue;
		}
		c = (unsigned char)s[++i];
		switch (c) {
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			c = 0;
			for (int h = 1; h <= 4; h++)
				c = c * 16 +
				    (unsigned)hexval((unsigned char)s[i + h]);
			i += 4;
			if (c >= 0xd800 && c <= 0xdbff) {
				unsigned long lo = 0;

				for (int h = 3; h <= 6; h++)
					lo = lo * 16 +
					     (unsigned)hexval(
						     (unsigned char)s[i + h]);
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			}
			break;
		default: /* '"', '\\', '/' */
			break;
		}
		put_utf8(sc->key, &k, c);
	}
	return k;
}

static long find_field(struct bronze_scan *sc, const struct bronze_node *obj,
		       const char *key, size_t len, int escaped, size_t *hint)
{
	if (escaped) {
		len = decode_key(sc, key, len);
		if (len == NONE)
			return -1;
		key = sc->key;
	}
	if (*hint < obj->nfields && obj->fields[*hint].name_len == len &&
	    !memcmp(obj->fields[*hint].name, key, len))
		return (long)(*hint)++;
	for (size_t f = 0; f < obj->nfields; f++)
		if (obj->fields[f].name_len == len &&
		    !memcmp(obj->fields[f].name, key, len)) {
			*hint = f + 1;
			return (long)f;
		}
	return -1;
}

static int is_reserved(const char *key, size_t len)
{
	for (const char *const *r = reserved; *r; r++)
		if (strlen(*r) == len && !memcmp(*r, key, len))
			return 1;
	return 0;
}

static int add_cut(struct bronze_scan *sc, size_t from, size_t to)
{
	if (sc->ncuts == sc->capc) {
		size_t cap = sc->capc ? sc->capc * 2 : 8;
		struct bronze_span *v = realloc(sc->cuts, cap * sizeof *v);

		if (!v)
			return -1;
		sc->cuts = v;
		sc->capc = cap;
	}
	sc->cuts[sc->ncuts++] = (struct bronze_span){from, to};
	return 0;
}

static int add_rescued(struct bronze_scan *sc, const char *key, size_t len,
		       size_t from, size_t to)
{
	struct bronze_rescued *r;

	if (sc->nrescued == sc->capr) {
		size_t cap = sc->capr ? sc->capr * 2 : 8;
		struct bronze_rescued *v =
			realloc(sc->rescued, cap * sizeof *v);

		if (!v)
			return -1;
		sc->rescued = v;
		sc->capr = cap;
	}
	r = &sc->rescued[sc->nrescued++];
	r->path_at = sc->paths.len;
	path_text(sc, &sc->paths, key, len);
	r->path_len = sc->paths.len - r->path_at;
	r->value = (struct bronze_span){from, to};
	return sc->paths.oom ? -1 : 0;
}

/* ---- values ---- */

static int value(struct bronze_scan *sc, const struct bronze_node *want);

static int too_deep(struct bronze_scan *sc)
{
	if (++sc->depth <= sc->max_depth)
		return 0;
	return syntax_at(sc, BRONZE_FAULT_DEPTH, sc->i,
			 "nested deeper than %d levels", sc->max_depth);
}

/* Checks the members' end against the declaration: missing fields. */
static void missing(struct bronze_scan *sc, const struct bronze_node *want,
		    const uint64_t *seen)
{
	for (size_t f = 0; f < want->nfields; f++)
		if (!(seen[f / 64] >> (f % 64) & 1) &&
		    !want->fields[f].type->nullable)
			path_reason(sc, "missing field: ", want->fields[f].name,
				    want->fields[f].name_len, "");
}

/* One member whose key (s[kstart..]) is not declared, in a declared
 * object. Returns 1 when it stays in place, 0 when it is cut, -1 to stop.
 * *tail is where the output continues after the last member kept or
 * cut (NONE before any was kept); *pending the index of a cut whose end
 * waits for the next key. */
static int extra_member(struct bronze_scan *sc, const char *key, size_t klen,
			size_t kstart, size_t *tail, size_t *pending)
{
	size_t from, to;
	int r;

	if (sc->depth == 1 && is_reserved(key, klen)) {
		path_reason(sc, "reserved field: ", NULL, 0, "");
		return value(sc, NULL) ? -1 : 1;
	}
	if (sc->extra == BRONZE_EXTRA_QUARANTINE) {
		path_reason(sc, "unexpected field: ", NULL, 0, "");
		return value(sc, NULL) ? -1 : 1;
	}
	if (sc->extra == BRONZE_EXTRA_KEEP)
		return value(sc, NULL) ? -1 : 1;
	ws(sc);
	from = sc->i;
	if (value(sc, NULL))
		return -1;
	to = sc->i;
	sc->nsegs--; /* the rescued path names the key itself */
	r = add_rescued(sc, key, klen, from, to);
	sc->nsegs++;
	if (r || add_cut(sc, *tail != NONE ? *tail : kstart, to)) {
		sc->oom = 1;
		return -1;
	}
	if (*tail == NONE)
		*pending = sc->ncuts - 1;
	else
		*tail = to;
	return 0;
}

static int object(struct bronze_scan *sc, const struct bronze_node *want)
{
	size_t hint = 0, tail = NONE, pending = NONE, kept = 0;
	uint64_t *seen = NULL;
	int top;

	if (want && want->type != BRONZE_ANY && want->type != BRONZE_OBJECT) {
		mismatch(sc, want, "object");
		want = NULL;
	}
	if (want && want->type == BRONZE_ANY)
		want = NULL;
	if (too_deep(sc))
		return -1;
	top = sc->depth == 1;
	if (want) {
		seen = sc->seen + (size_t)(sc->depth - 1) * sc->words;
		memset(seen, 0, sc->words * sizeof *seen);
	}
	sc->i++;
	ws(sc);
	if (sc->i < sc->n && sc->s[sc->i] == '}')
		goto done;
	for (;;) {
		size_t kstart;
		int esc, r;
		long f;

		ws(sc);
		if (sc->i >= sc->n || sc->s[sc->i] != '"')
			return unexpected(sc);
		kstart = sc->i;
		if (string(sc, &esc))
			return -1;
		const char *key = (const char *)sc->s + kstart + 1;
		size_t klen = sc->i - kstart - 2;

		ws(sc);
		if (sc->i >= sc->n || sc->s[sc->i] != ':')
			return unexpected(sc);
		sc->i++;
		if (pending != NONE) {
			sc->cuts[pending].to = kstart;
			pending = NONE;
		}
		f = want ? find_field(sc, want, key, klen, esc, &hint) : -1;
		push_key(sc, key, klen);
		if (f >= 0) {
			uint64_t bit = (uint64_t)1 << (f % 64);

			if (seen[f / 64] & bit)
				path_reason(sc, "duplicate field: ", NULL, 0,
					    "");
			seen[f / 64] |= bit;
			r = value(sc, want->fields[f].type) ? -1 : 1;
		} else if (want) {
			r = extra_member(sc, key, klen, kstart, &tail,
					 &pending);
		} else {
			r = value(sc, NULL) ? -1 : 1;
		}
		sc->nsegs--;
		if (r < 0)
			return -1;
		if (r) {
			kept++;
			tail = sc->i;
		}
		ws(sc);
		if (sc->i < sc->n && sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		if (sc->i < sc->n && sc->s[sc->i] == '}')
			break;
		return unexpected(sc);
	}
done:
	if (top) {
		sc->close = sc->i;
		sc->kept_members = kept;
	}
	sc->i++;
	if (want)
		missing(sc, want, seen);
	sc->depth--;
	return 0;
}

static int array(struct bronze_scan *sc, const struct bronze_node *want)
{
	const struct bronze_node *elem = NULL;

	if (want && want->type != BRONZE_ANY && want->type != BRONZE_ARRAY)
		mismatch(sc, want, "array");
	else if (want && want->type == BRONZE_ARRAY)
		elem = want->elem;
	if (too_deep(sc))
		return -1;
	sc->i++;
	ws(sc);
	if (sc->i < sc->n && sc->s[sc->i] == ']')
		goto done;
	for (size_t k = 0;; k++) {
		int r;

		push_index(sc, k);
		r = value(sc, elem);
		sc->nsegs--;
		if (r)
			return -1;
		ws(sc);
		if (sc->i < sc->n && sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		if (sc->i < sc->n && sc->s[sc->i] == ']')
			break;
		return unexpected(sc);
	}
done:
	sc->i++;
	sc->depth--;
	return 0;
}

static void check_scalar(struct bronze_scan *sc, const struct bronze_node *want,
			 enum bronze_type got, const char *got_name)
{
	if (!want || want->type == BRONZE_ANY || want->type == got)
		return;
	if (want->type == BRONZE_DOUBLE && got == BRONZE_INT)
		return;
	mismatch(sc, want, got_name);
}

static int value(struct bronze_scan *sc, const struct bronze_node *want)
{
	enum num_kind k = NUM_INT;

	ws(sc);
	if (sc->i >= sc->n)
		return unexpected(sc);
	switch (sc->s[sc->i]) {
	case '{':
		return object(sc, want);
	case '[':
		return array(sc, want);
	case '"':
		if (string(sc, NULL))
			return -1;
		check_scalar(sc, want, BRONZE_STRING, "string");
		return 0;
	case 't':
		if (literal(sc, "true", 4))
			return -1;
		check_scalar(sc, want, BRONZE_BOOL, "bool");
		return 0;
	case 'f':
		if (literal(sc, "false", 5))
			return -1;
		check_scalar(sc, want, BRONZE_BOOL, "bool");
		return 0;
	case 'n':
		if (literal(sc, "null", 4))
			return -1;
		if (want && want->type != BRONZE_ANY && !want->nullable)
			mismatch(sc, want, "null");
		return 0;
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		if (number(sc, &k))
			return -1;
		if (!want)
			return 0;
		if (want->type == BRONZE_INT &&
		    (k == NUM_INT_RANGE || k == NUM_INT_HUGE))
			path_reason(sc, "", NULL, 0,
				    ": int out of 64-bit range");
		else if (want->type == BRONZE_DOUBLE &&
			 (k == NUM_DOUBLE_RANGE || k == NUM_INT_HUGE))
			path_reason(sc, "", NULL, 0,
				    ": number out of double range");
		else if (k <= NUM_INT_HUGE)
			check_scalar(sc, want, BRONZE_INT, "int");
		else
			check_scalar(sc, want, BRONZE_DOUBLE, "double");
		return 0;
	default:
		return unexpected(sc);
	}
}

long bronze_scan_run(struct bronze_scan *sc, const void *p, size_t n)
{
	sc->fault = BRONZE_FAULT_NONE;
	sc->nreasons = 0;
	sc->more_reasons = 0;
	jbuf_reset(&sc->reasons);
	jbuf_reset(&sc->paths);
	sc->close = NONE;
	sc->kept_members = 0;
	sc->ncuts = 0;
	sc->nrescued = 0;
	sc->s = p;
	sc->n = n;
	sc->i = 0;
	sc->depth = 0;
	sc->stop = 0;
	sc->utf8_bad = NONE;
	sc->nsegs = 0;
	sc->oom = 0;

	if (value(sc, sc->schema) == 0) {
		ws(sc);
		if (sc->i < n)
			syntax_at(sc, BRONZE_FAULT_JSON, sc->i,
				  "trailing data");
	}
	if (sc->oom || sc->reasons.oom || sc->paths.oom)
		return -1;
	return (long)(sc->nreasons + sc->more_reasons);
}
