/*
 * expr_parse.c - the lexer, the recursive-descent parser and the static
 * type checks of expr.h. Every node remembers the column it starts at,
 * for the messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr_int.h"

/* Parentheses and operators nest at most this deep. */
#define MAX_NESTING 100

enum tok {
	T_END,
	T_NUM,
	T_STR,
	T_IDENT,
	T_QIDENT, /* `backquoted` */
	T_LP,
	T_RP,
	T_LB,
	T_RB,
	T_COMMA,
	T_DOT,
	T_PLUS,
	T_MINUS,
	T_STAR,
	T_SLASH,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
};

struct token {
	enum tok t;
	const char *s; /* where it starts in the text */
	size_t len;
	int is_int;
	int64_t i;
	double d;
};

struct ps {
	const char *text, *p;
	int col0;
	struct token tok;
	char *err;
	size_t errlen;
	int err_col;
	int failed;
	int depth;
};

/* ---- messages ---- */

static int column(const struct ps *ps, const char *at)
{
	int col = 1;

	for (const char *c = ps->text; c < at && *c; c++)
		if (((unsigned char)*c & 0xc0) != 0x80)
			col++;
	return col + ps->col0;
}

static void fail(struct ps *ps, const char *kind, const char *at,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(struct ps *ps, const char *kind, const char *at,
		 const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = 1;
	ps->err_col = column(ps, at);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s at column %d: %s", kind, ps->err_col,
		 msg);
}

#define SYNTAX(ps, at, ...) fail((ps), "syntax error", (at), __VA_ARGS__)
#define TYPE(ps, at, ...) fail((ps), "type error", (at), __VA_ARGS__)

/* The current token, for "got ..." */
static const char *shown(const struct token *t, char *buf, size_t len)
{
	if (t->t == T_END)
		return "the end";
	snprintf(buf, len, "'%.*s'", (int)(t->len > 24 ? 24 : t->len), t->s);
	return buf;
}

static const char *stype_name(enum expr_stype t)
{
	switch (t) {
	case EXPR_S_NULL:
		return "null";
	case EXPR_S_BOOL:
		return "a boolean";
	case EXPR_S_NUM:
		return "a number";
	case EXPR_S_STR:
		return "a string";
	default:
		return "a value";
	}
}

/* ---- the lexer ---- */

static int ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void lex_number(struct ps *ps, const char *s)
{
	const char *p = s;
	char buf[64];
	int is_int = 1;

	while (is_digit(*p))
		p++;
	if (*p == '.' && is_digit(p[1])) {
		is_int = 0;
		p++;
		while (is_digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		const char *e = p + 1;

		if (*e == '+' || *e == '-')
			e++;
		if (!is_digit(*e)) {
			SYNTAX(ps, s, "malformed number '%.*s'", (int)(e - s),
			       s);
			return;
		}
		while (is_digit(*e))
			e++;
		p = e;
		is_int = 0;
	}
	if (ident_char(*p)) {
		SYNTAX(ps, s, "malformed number '%.*s'", (int)(p - s + 1), s);
		return;
	}
	ps->tok.t = T_NUM;
	ps->tok.len = (size_t)(p - s);
	if ((size_t)(p - s) >= sizeof buf) {
		SYNTAX(ps, s, "number too long");
		return;
	}
	memcpy(buf, s, (size_t)(p - s));
	buf[p - s] = '\0';
	errno = 0;
	if (is_int) {
		long long v = strtoll(buf, NULL, 10);

		if (errno == 0) {
			ps->tok.is_int = 1;
			ps->tok.i = v;
			return;
		}
	}
	ps->tok.is_int = 0;
	errno = 0;
	ps->tok.d = strtod(buf, NULL);
	if (errno == ERANGE && ps->tok.d != 0)
		SYNTAX(ps, s, "number out of range");
}

static void next(struct ps *ps)
{
	const char *s = ps->p;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	ps->tok = (struct token){.s = s, .len = 1};
	if (!*s) {
		ps->tok.t = T_END;
		ps->tok.len = 0;
		ps->p = s;
		return;
	}
	if (ident_start(*s)) {
		const char *p = s;

		while (ident_char(*p))
			p++;
		ps->tok.t = T_IDENT;
		ps->tok.len = (size_t)(p - s);
	} else if (is_digit(*s)) {
		lex_number(ps, s);
	} else if (*s == '\'' || *s == '`') {
		const char *p = s + 1;
		char q = *s;

		for (;;) {
			if (!*p) {
				SYNTAX(ps, s, "unterminated %s",
				       q == '\'' ? "string" : "`name`");
				ps->tok.t = T_END;
				return;
			}
			if (*p == q && p[1] == q && q == '\'')
				p += 2;
			else if (*p == q)
				break;
			else
				p++;
		}
		ps->tok.t = q == '\'' ? T_STR : T_QIDENT;
		ps->tok.len = (size_t)(p + 1 - s);
		if (q == '`' && ps->tok.len == 2)
			SYNTAX(ps, s, "empty `name`");
	} else {
		static const struct {
			const char *text;
			enum tok t;
		} ops[] = {
			{"==", T_EQ},	{"!=", T_NE},  {"<>", T_NE},
			{"<=", T_LE},	{">=", T_GE},  {"=", T_EQ},
			{"<", T_LT},	{">", T_GT},   {"(", T_LP},
			{")", T_RP},	{"[", T_LB},   {"]", T_RB},
			{",", T_COMMA}, {".", T_DOT},  {"+", T_PLUS},
			{"-", T_MINUS}, {"*", T_STAR}, {"/", T_SLASH},
		};
		size_t k;

		for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
			if (!strncmp(s, ops[k].text, strlen(ops[k].text)))
				break;
		if (k == sizeof ops / sizeof ops[0]) {
			if ((unsigned char)*s < 0x20 ||
			    (unsigned char)*s >= 0x7f)
				SYNTAX(ps, s, "unexpected byte 0x%02x",
				       (unsigned char)*s);
			else
				SYNTAX(ps, s, "unexpected character '%c'", *s);
			ps->tok.t = T_END;
			return;
		}
		ps->tok.t = ops[k].t;
		ps->tok.len = strlen(ops[k].text);
	}
	ps->p = s + ps->tok.len;
}

/* Whether the current token is the keyword kw (any case). */
static int is_kw(const struct ps *ps, const char *kw)
{
	return ps->tok.t == T_IDENT && ps->tok.len == strlen(kw) &&
	       !strncasecmp(ps->tok.s, kw, ps->tok.len);
}

static const char *const keywords[] = {"and",	  "or",	  "not",   "is",
				       "null",	  "true", "false", "in",
				       "matches", NULL};

static int is_keyword(const struct ps *ps)
{
	for (const char *const *k = keywords; *k; k++)
		if (is_kw(ps, *k))
			return 1;
	return 0;
}

/* ---- nodes ---- */

static void free_node(struct expr_node *n)
{
	if (!n)
		return;
	free_node(n->a);
	free_node(n->b);
	for (size_t k = 0; k < n->nargs; k++)
		free_node(n->args[k]);
	free(n->args);
	for (size_t k = 0; k < n->nsegs; k++)
		free(n->segs[k].name);
	free(n->segs);
	free(n->text);
	if (n->has_re)
		regfree(&n->re);
	free(n);
}

static struct expr_node *node(struct ps *ps, enum expr_kind kind,
			      const char *at)
{
	struct expr_node *n = calloc(1, sizeof *n);

	if (!n) {
		fail(ps, "error", at, "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->col = column(ps, at);
	return n;
}

/* Where a node starts in the text, from its column (for messages about
 * an operand). */
static const char *at_col(const struct ps *ps, const struct expr_node *n)
{
	const char *c = ps->text;
	int col = 1 + ps->col0;

	while (*c && col < n->col) {
		c++;
		while (((unsigned char)*c & 0xc0) == 0x80)
			c++;
		col++;
	}
	return c;
}

static int add_arg(struct ps *ps, struct expr_node *n, struct expr_node *a)
{
	struct expr_node **v;

	if (!a)
		return -1;
	v = realloc(n->args, (n->nargs + 1) * sizeof *v);
	if (!v) {
		free_node(a);
		fail(ps, "error", ps->tok.s, "out of memory");
		return -1;
	}
	n->args = v;
	n->args[n->nargs++] = a;
	return 0;
}

/* The text of a string literal, unquoted ('' -> '). */
static char *unquote(const struct token *t, size_t *len)
{
	char *out = malloc(t->len), *o = out;

	if (!out)
		return NULL;
	for (size_t k = 1; k + 1 < t->len; k++) {
		*o++ = t->s[k];
		if (t->s[k] == '\'' && t->s[0] == '\'')
			k++;
	}
	*o = '\0';
	*len = (size_t)(o - out);
	return out;
}

/* ---- the grammar ---- */

static struct expr_node *parse_or(struct ps *ps);

static int enter(struct ps *ps)
{
	if (++ps->depth <= MAX_NESTING)
		return 0;
	SYNTAX(ps, ps->tok.s, "nested deeper than %d", MAX_NESTING);
	return -1;
}

/* A literal in an `in` list: a number (maybe negative) or a string. */
static struct expr_node *in_literal(struct ps *ps)
{
	const char *at = ps->tok.s;
	int neg = 0;
	struct expr_node *n;
	char tmp[32];

	if (ps->tok.t == T_MINUS) {
		neg = 1;
		next(ps);
	}
	if (ps->tok.t != T_NUM && (neg || ps->tok.t != T_STR)) {
		SYNTAX(ps, ps->tok.s,
		       "expected a number or a 'string' in the "
		       "list, got %s",
		       shown(&ps->tok, tmp, sizeof tmp));
		return NULL;
	}
	n = node(ps, EXPR_N_LIT, at);
	if (!n)
		return NULL;
	if (ps->tok.t == T_STR) {
		n->text = unquote(&ps->tok, &n->lit.u.s.len);
		if (!n->text) {
			free_node(n);
			fail(ps, "error", at, "out of memory");
			return NULL;
		}
		n->lit.type = EXPR_V_STRING;
		n->lit.u.s.p = n->text;
		n->stype = EXPR_S_STR;
	} else {
		n->stype = EXPR_S_NUM;
		if (ps->tok.is_int && !(neg && ps->tok.i == INT64_MIN)) {
			n->lit.type = EXPR_V_INT;
			n->lit.u.i = neg ? -ps->tok.i : ps->tok.i;
		} else {
			n->lit.type = EXPR_V_DOUBLE;
			n->lit.u.d =
				ps->tok.is_int ? (double)ps->tok.i : ps->tok.d;
			if (neg)
				n->lit.u.d = -n->lit.u.d;
		}
	}
	next(ps);
	return n;
}

static const struct {
	const char *name;
	enum expr_fn fn;
} functions[] = {
	{"sum", EXPR_F_SUM}, {"count", EXPR_F_COUNT}, {"min", EXPR_F_MIN},
	{"max", EXPR_F_MAX}, {"avg", EXPR_F_AVG},     {"all", EXPR_F_ALL},
	{"any", EXPR_F_ANY}, {"round", EXPR_F_ROUND}, {"abs", EXPR_F_ABS},
	{"len", EXPR_F_LEN},
};

/* Static checks and the result type of a call. */
static void type_call(struct ps *ps, struct expr_node *n, const char *name)
{
	enum expr_stype t = n->args[0]->stype;
	const char *at = at_col(ps, n->args[0]);

	switch (n->op) {
	case EXPR_F_COUNT:
	case EXPR_F_LEN:
		if (n->op == EXPR_F_LEN &&
		    (t == EXPR_S_NUM || t == EXPR_S_BOOL))
			TYPE(ps, at, "len() needs a string or a list, got %s",
			     stype_name(t));
		n->stype = EXPR_S_NUM;
		return;
	case EXPR_F_ALL:
	case EXPR_F_ANY:
		if (t == EXPR_S_NUM || t == EXPR_S_STR)
			TYPE(ps, at, "%s() needs booleans, got %s", name,
			     stype_name(t));
		n->stype = EXPR_S_BOOL;
		return;
	default:
		if (t == EXPR_S_BOOL || t == EXPR_S_STR)
			TYPE(ps, at, "%s() needs numbers, got %s", name,
			     stype_name(t));
		n->stype = EXPR_S_NUM;
	}
}

static struct expr_node *call(struct ps *ps, const struct token *name)
{
	struct expr_node *n;
	size_t k, want;
	char fname[16];

	for (k = 0; k < sizeof functions / sizeof functions[0]; k++)
		if (strlen(functions[k].name) == name->len &&
		    !strncasecmp(functions[k].name, name->s, name->len))
			break;
	if (k == sizeof functions / sizeof functions[0]) {
		SYNTAX(ps, name->s,
		       "unknown function '%.*s' (expected sum, count, min, "
		       "max, avg, all, any, round, abs or len)",
		       (int)(name->len > 24 ? 24 : name->len), name->s);
		return NULL;
	}
	snprintf(fname, sizeof fname, "%s", functions[k].name);
	n = node(ps, EXPR_N_CALL, name->s);
	if (!n)
		return NULL;
	n->op = (int)functions[k].fn;
	next(ps); /* ( */
	next(ps);
	want = n->op == EXPR_F_ROUND ? 2 : 1;
	if (ps->tok.t == T_RP) {
		SYNTAX(ps, ps->tok.s, "%s() needs an argument", fname);
		free_node(n);
		return NULL;
	}
	if (add_arg(ps, n, parse_or(ps)) || ps->failed) {
		free_node(n);
		return NULL;
	}
	if (ps->tok.t == T_COMMA && n->op == EXPR_F_ROUND) {
		next(ps);
		if (ps->tok.t != T_NUM || !ps->tok.is_int || ps->tok.i < 0 ||
		    ps->tok.i > 15) {
			SYNTAX(ps, ps->tok.s,
			       "round(): the digits are a whole number 0 to "
			       "15");
			free_node(n);
			return NULL;
		}
		n->digits = (int)ps->tok.i;
		next(ps);
	}
	if (ps->tok.t != T_RP) {
		char tmp[32];

		if (ps->tok.t == T_COMMA)
			SYNTAX(ps, ps->tok.s, "%s() takes %s", fname,
			       want == 2 ? "2 arguments at most"
					 : "1 argument");
		else
			SYNTAX(ps, ps->tok.s,
			       "expected ')' after the argument%s of %s(), "
			       "got %s",
			       want == 2 ? "s" : "", fname,
			       shown(&ps->tok, tmp, sizeof tmp));
		free_node(n);
		return NULL;
	}
	next(ps);
	type_call(ps, n, fname);
	return n;
}

static struct expr_node *path(struct ps *ps)
{
	struct expr_node *n = node(ps, EXPR_N_PATH, ps->tok.s);

	if (!n)
		return NULL;
	n->stype = EXPR_S_ANY;
	for (;;) {
		struct expr_seg *v;
		size_t len;
		char *name;
		char tmp[32];

		if (ps->tok.t == T_QIDENT) {
			name = unquote(&ps->tok, &len);
		} else if (ps->tok.t == T_IDENT && !is_keyword(ps)) {
			name = malloc(ps->tok.len + 1);
			if (name) {
				memcpy(name, ps->tok.s, ps->tok.len);
				name[ps->tok.len] = '\0';
			}
		} else {
			SYNTAX(ps, ps->tok.s, "expected a field name, got %s",
			       shown(&ps->tok, tmp, sizeof tmp));
			free_node(n);
			return NULL;
		}
		v = name ? realloc(n->segs, (n->nsegs + 1) * sizeof *v) : NULL;
		if (!v) {
			free(name);
			free_node(n);
			fail(ps, "error", ps->tok.s, "out of memory");
			return NULL;
		}
		n->segs = v;
		n->segs[n->nsegs].name = name;
		n->segs[n->nsegs++].len = strlen(name);
		next(ps);
		if (ps->tok.t != T_DOT)
			return n;
		next(ps);
	}
}

static struct expr_node *primary(struct ps *ps)
{
	const char *at = ps->tok.s;
	struct expr_node *n;
	char tmp[32];

	switch (ps->tok.t) {
	case T_NUM:
		n = node(ps, EXPR_N_LIT, at);
		if (!n)
			return NULL;
		n->stype = EXPR_S_NUM;
		if (ps->tok.is_int) {
			n->lit.type = EXPR_V_INT;
			n->lit.u.i = ps->tok.i;
		} else {
			n->lit.type = EXPR_V_DOUBLE;
			n->lit.u.d = ps->tok.d;
		}
		next(ps);
		return n;
	case T_STR:
		n = node(ps, EXPR_N_LIT, at);
		if (!n)
			return NULL;
		n->text = unquote(&ps->tok, &n->lit.u.s.len);
		if (!n->text) {
			free_node(n);
			fail(ps, "error", at, "out of memory");
			return NULL;
		}
		n->stype = EXPR_S_STR;
		n->lit.type = EXPR_V_STRING;
		n->lit.u.s.p = n->text;
		next(ps);
		return n;
	case T_LP:
		next(ps);
		n = parse_or(ps);
		if (!n)
			return NULL;
		if (ps->tok.t != T_RP) {
			SYNTAX(ps, ps->tok.s,
			       "expected ')' to close the '(' at column %d, "
			       "got %s",
			       column(ps, at),
			       shown(&ps->tok, tmp, sizeof tmp));
			free_node(n);
			return NULL;
		}
		next(ps);
		return n;
	case T_QIDENT:
		return path(ps);
	case T_IDENT:
		if (is_kw(ps, "true") || is_kw(ps, "false") ||
		    is_kw(ps, "null")) {
			n = node(ps, EXPR_N_LIT, at);
			if (!n)
				return NULL;
			if (is_kw(ps, "null")) {
				n->stype = EXPR_S_NULL;
			} else {
				n->stype = EXPR_S_BOOL;
				n->lit.type = EXPR_V_BOOL;
				n->lit.u.b = is_kw(ps, "true");
			}
			next(ps);
			return n;
		}
		if (!is_keyword(ps)) {
			const char *q = ps->p;

			while (*q == ' ' || *q == '\t' || *q == '\n' ||
			       *q == '\r')
				q++;
			if (*q == '(') {
				struct token name = ps->tok;

				return call(ps, &name);
			}
			return path(ps);
		}
		break;
	default:
		break;
	}
	SYNTAX(ps, at, "expected a value, got %s",
	       shown(&ps->tok, tmp, sizeof tmp));
	return NULL;
}

static struct expr_node *unary(struct ps *ps)
{
	const char *at = ps->tok.s;
	struct expr_node *n, *a;

	if (ps->tok.t != T_MINUS)
		return primary(ps);
	if (enter(ps))
		return NULL;
	next(ps);
	a = unary(ps);
	ps->depth--;
	if (!a)
		return NULL;
	/* -literal is a literal: round(x, 2) = -5 reads as it should. */
	if (a->kind == EXPR_N_LIT && a->stype == EXPR_S_NUM &&
	    !(a->lit.type == EXPR_V_INT && a->lit.u.i == INT64_MIN)) {
		if (a->lit.type == EXPR_V_INT)
			a->lit.u.i = -a->lit.u.i;
		else
			a->lit.u.d = -a->lit.u.d;
		a->col = column(ps, at);
		return a;
	}
	if (a->stype != EXPR_S_ANY && a->stype != EXPR_S_NUM &&
	    a->stype != EXPR_S_NULL) {
		TYPE(ps, at, "'-' needs a number, got %s",
		     stype_name(a->stype));
		free_node(a);
		return NULL;
	}
	n = node(ps, EXPR_N_NEG, at);
	if (!n) {
		free_node(a);
		return NULL;
	}
	n->a = a;
	n->stype = a->stype == EXPR_S_NULL ? EXPR_S_NULL : EXPR_S_NUM;
	return n;
}

static struct expr_node *binary(struct ps *ps, enum expr_kind kind, int op,
				const char *at, struct expr_node *a,
				struct expr_node *b)
{
	struct expr_node *n;

	if (!b) {
		free_node(a);
		return NULL;
	}
	n = node(ps, kind, at);
	if (!n) {
		free_node(a);
		free_node(b);
		return NULL;
	}
	n->op = op;
	n->a = a;
	n->b = b;
	return n;
}

/* Arithmetic operands: numbers, fields or null. */
static int check_num(struct ps *ps, const struct expr_node *x, char op)
{
	if (x->stype == EXPR_S_ANY || x->stype == EXPR_S_NUM ||
	    x->stype == EXPR_S_NULL)
		return 0;
	TYPE(ps, at_col(ps, x), "'%c' needs numbers, got %s", op,
	     stype_name(x->stype));
	return -1;
}

static struct expr_node *arith(struct ps *ps, int mul)
{
	struct expr_node *a = mul ? unary(ps) : arith(ps, 1);

	while (a && !ps->failed &&
	       (mul ? ps->tok.t == T_STAR || ps->tok.t == T_SLASH
		    : ps->tok.t == T_PLUS || ps->tok.t == T_MINUS)) {
		char op = *ps->tok.s;
		const char *at = at_col(ps, a);

		next(ps);
		a = binary(ps, EXPR_N_ARITH, op, at, a,
			   mul ? unary(ps) : arith(ps, 1));
		if (!a)
			return NULL;
		if (check_num(ps, a->a, op) || check_num(ps, a->b, op)) {
			free_node(a);
			return NULL;
		}
		/* Numbers, or null: never a boolean or a string. */
		a->stype =
			a->a->stype == EXPR_S_NULL || a->b->stype == EXPR_S_NULL
				? EXPR_S_NULL
				: EXPR_S_NUM;
	}
	return a;
}

static int cmp_op(enum tok t)
{
	switch (t) {
	case T_EQ:
		return EXPR_EQ;
	case T_NE:
		return EXPR_NE;
	case T_LT:
		return EXPR_LT;
	case T_LE:
		return EXPR_LE;
	case T_GT:
		return EXPR_GT;
	case T_GE:
		return EXPR_GE;
	default:
		return -1;
	}
}

/* Two static types a comparison cannot relate. */
static int incomparable(enum expr_stype x, enum expr_stype y)
{
	return x != EXPR_S_ANY && y != EXPR_S_ANY && x != EXPR_S_NULL &&
	       y != EXPR_S_NULL && x != y;
}

static struct expr_node *in_list(struct ps *ps, struct expr_node *a,
				 const char *at, int negate)
{
	struct expr_node *n = node(ps, EXPR_N_IN, at);
	char tmp[32];

	if (!n) {
		free_node(a);
		return NULL;
	}
	n->a = a;
	n->negate = negate;
	n->stype = EXPR_S_BOOL;
	next(ps); /* in */
	if (ps->tok.t != T_LB) {
		SYNTAX(ps, ps->tok.s, "expected '[' after in, got %s",
		       shown(&ps->tok, tmp, sizeof tmp));
		free_node(n);
		return NULL;
	}
	next(ps);
	for (;;) {
		struct expr_node *lit = in_literal(ps);

		if (!lit || add_arg(ps, n, lit)) {
			free_node(n);
			return NULL;
		}
		if (lit->stype != n->args[0]->stype) {
			TYPE(ps, at_col(ps, lit), "the list mixes %s with %s",
			     stype_name(n->args[0]->stype),
			     stype_name(lit->stype));
			free_node(n);
			return NULL;
		}
		if (incomparable(a->stype, lit->stype)) {
			TYPE(ps, at_col(ps, lit),
			     "cannot compare %s with a list of %ss",
			     stype_name(a->stype),
			     lit->stype == EXPR_S_STR ? "string" : "number");
			free_node(n);
			return NULL;
		}
		if (ps->tok.t == T_RB)
			break;
		if (ps->tok.t != T_COMMA) {
			SYNTAX(ps, ps->tok.s, "expected ',' or ']', got %s",
			       shown(&ps->tok, tmp, sizeof tmp));
			free_node(n);
			return NULL;
		}
		next(ps);
	}
	next(ps);
	return n;
}

static struct expr_node *matches(struct ps *ps, struct expr_node *a,
				 const char *at, int negate)
{
	struct expr_node *n = node(ps, EXPR_N_MATCH, at);
	const char *pat_at;
	char tmp[32], *pat;
	size_t len;
	int rc;

	if (!n) {
		free_node(a);
		return NULL;
	}
	n->a = a;
	n->negate = negate;
	n->stype = EXPR_S_BOOL;
	if (a->stype == EXPR_S_NUM || a->stype == EXPR_S_BOOL) {
		TYPE(ps, at_col(ps, a), "matches needs a string, got %s",
		     stype_name(a->stype));
		free_node(n);
		return NULL;
	}
	next(ps); /* matches */
	pat_at = ps->tok.s;
	if (ps->tok.t != T_STR) {
		SYNTAX(ps, ps->tok.s,
		       "expected a 'regular expression' after matches, got %s",
		       shown(&ps->tok, tmp, sizeof tmp));
		free_node(n);
		return NULL;
	}
	pat = unquote(&ps->tok, &len);
	if (!pat) {
		free_node(n);
		fail(ps, "error", pat_at, "out of memory");
		return NULL;
	}
	rc = regcomp(&n->re, pat, REG_EXTENDED | REG_NOSUB);
	free(pat);
	if (rc) {
		char why[128];

		regerror(rc, &n->re, why, sizeof why);
		SYNTAX(ps, pat_at, "bad regular expression: %s", why);
		free_node(n);
		return NULL;
	}
	n->has_re = 1;
	next(ps);
	return n;
}

static struct expr_node *comparison(struct ps *ps)
{
	struct expr_node *a = arith(ps, 0);
	const char *at, *opat;
	int op, negate = 0;
	char tmp[32];

	if (!a || ps->failed)
		return a;
	at = at_col(ps, a);
	opat = ps->tok.s;
	if ((op = cmp_op(ps->tok.t)) >= 0) {
		next(ps);
		a = binary(ps, EXPR_N_CMP, op, at, a, arith(ps, 0));
		if (!a)
			return NULL;
		if (incomparable(a->a->stype, a->b->stype)) {
			TYPE(ps, opat, "cannot compare %s with %s",
			     stype_name(a->a->stype), stype_name(a->b->stype));
			free_node(a);
			return NULL;
		}
		if (a->a->stype == EXPR_S_NULL || a->b->stype == EXPR_S_NULL) {
			TYPE(ps, opat,
			     "a comparison with null is always null: use is "
			     "null or is not null");
			free_node(a);
			return NULL;
		}
		a->stype = EXPR_S_BOOL;
	} else if (is_kw(ps, "is")) {
		struct expr_node *n = node(ps, EXPR_N_ISNULL, at);

		if (!n) {
			free_node(a);
			return NULL;
		}
		n->a = a;
		n->stype = EXPR_S_BOOL;
		a = n;
		next(ps);
		if (is_kw(ps, "not")) {
			n->negate = 1;
			next(ps);
		}
		if (!is_kw(ps, "null")) {
			SYNTAX(ps, ps->tok.s,
			       "expected null after is%s, got %s",
			       n->negate ? " not" : "",
			       shown(&ps->tok, tmp, sizeof tmp));
			free_node(a);
			return NULL;
		}
		next(ps);
	} else {
		if (is_kw(ps, "not")) {
			const char *save = ps->p;
			struct token t = ps->tok;

			next(ps);
			if (!is_kw(ps, "in") && !is_kw(ps, "matches")) {
				/* not a "not in"/"not matches": leave it */
				ps->p = save;
				ps->tok = t;
				return a;
			}
			negate = 1;
		}
		if (is_kw(ps, "in"))
			a = in_list(ps, a, at, negate);
		else if (is_kw(ps, "matches"))
			a = matches(ps, a, at, negate);
		else
			return a;
		if (!a)
			return NULL;
	}
	if (cmp_op(ps->tok.t) >= 0 || is_kw(ps, "is") || is_kw(ps, "in") ||
	    is_kw(ps, "matches")) {
		SYNTAX(ps, ps->tok.s,
		       "comparisons do not chain: use and, or parentheses");
		free_node(a);
		return NULL;
	}
	return a;
}

/* Operands of and, or, not: booleans, fields or null. */
static int check_bool(struct ps *ps, const struct expr_node *x, const char *op)
{
	if (x->stype == EXPR_S_ANY || x->stype == EXPR_S_BOOL ||
	    x->stype == EXPR_S_NULL)
		return 0;
	TYPE(ps, at_col(ps, x), "%s needs true or false, got %s", op,
	     stype_name(x->stype));
	return -1;
}

static struct expr_node *negation(struct ps *ps)
{
	const char *at = ps->tok.s;
	struct expr_node *n, *a;

	if (!is_kw(ps, "not"))
		return comparison(ps);
	if (enter(ps))
		return NULL;
	next(ps);
	a = negation(ps);
	ps->depth--;
	if (!a)
		return NULL;
	if (check_bool(ps, a, "not")) {
		free_node(a);
		return NULL;
	}
	n = node(ps, EXPR_N_NOT, at);
	if (!n) {
		free_node(a);
		return NULL;
	}
	n->a = a;
	n->stype = EXPR_S_BOOL;
	return n;
}

static struct expr_node *logic(struct ps *ps, int is_and)
{
	const char *word = is_and ? "and" : "or";
	struct expr_node *a = is_and ? negation(ps) : logic(ps, 1);

	while (a && !ps->failed && is_kw(ps, word)) {
		const char *at = at_col(ps, a);

		next(ps);
		a = binary(ps, is_and ? EXPR_N_AND : EXPR_N_OR, 0, at, a,
			   is_and ? negation(ps) : logic(ps, 1));
		if (!a)
			return NULL;
		if (check_bool(ps, a->a, word) || check_bool(ps, a->b, word)) {
			free_node(a);
			return NULL;
		}
		a->stype = EXPR_S_BOOL;
	}
	return a;
}

static struct expr_node *parse_or(struct ps *ps)
{
	struct expr_node *n;

	if (enter(ps))
		return NULL;
	n = logic(ps, 0);
	ps->depth--;
	if (n && ps->failed) {
		free_node(n);
		return NULL;
	}
	return n;
}

struct expr *expr_compile_at(const char *text, int col0, char *err,
			     size_t errlen, int *err_col)
{
	struct ps ps = {.text = text,
			.p = text,
			.col0 = col0,
			.err = err,
			.errlen = errlen};
	struct expr_node *n;
	struct expr *e;
	char tmp[32];

	if (errlen)
		err[0] = '\0';
	next(&ps);
	if (ps.tok.t == T_END && !ps.failed) {
		SYNTAX(&ps, ps.tok.s, "empty expression");
		n = NULL;
	} else {
		n = parse_or(&ps);
	}
	if (n && !ps.failed && ps.tok.t != T_END) {
		if (ps.tok.t == T_RP)
			SYNTAX(&ps, ps.tok.s, "unbalanced ')'");
		else
			SYNTAX(&ps, ps.tok.s,
			       "expected an operator or the end, got %s",
			       shown(&ps.tok, tmp, sizeof tmp));
	}
	if (ps.failed || !n) {
		free_node(n);
		if (err_col)
			*err_col = ps.err_col;
		return NULL;
	}
	e = malloc(sizeof *e);
	if (!e) {
		free_node(n);
		snprintf(err, errlen, "out of memory");
		if (err_col)
			*err_col = 0;
		return NULL;
	}
	e->root = n;
	return e;
}

struct expr *expr_compile(const char *text, char *err, size_t errlen,
			  int *err_col)
{
	return expr_compile_at(text, 0, err, errlen, err_col);
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	free_node(e->root);
	free(e);
}

enum expr_stype expr_static_type(const struct expr *e)
{
	return e->root->stype;
}
