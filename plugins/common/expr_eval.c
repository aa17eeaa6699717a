/*
 * expr_eval.c - evaluation of a compiled expression on a record parsed by
 * jdoc, with the semantics spelled out in expr.h. Values live on the C
 * stack, in the record, in the compiled tree, or (lists) in an arena that
 * an evaluation frees as a whole.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr_int.h"

/* ---- the arena ---- */

struct expr_chunk {
	struct expr_chunk *next;
	size_t cap, used;
	max_align_t data[];
};

static void *arena_alloc(struct expr_arena *a, size_t n)
{
	struct expr_chunk *c = a->chunks;
	size_t cap;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (sizeof a->first.b - a->used >= n) {
		p = a->first.b + a->used;
		a->used += n;
		return p;
	}
	if (c && c->cap - c->used >= n) {
		p = (char *)c->data + c->used;
		c->used += n;
		return p;
	}
	cap = n > 8192 ? n : 8192;
	c = malloc(sizeof *c + cap);
	if (!c)
		return NULL;
	c->next = a->chunks;
	c->cap = cap;
	c->used = n;
	a->chunks = c;
	return c->data;
}

void expr_arena_reset(struct expr_arena *a)
{
	while (a->chunks) {
		struct expr_chunk *c = a->chunks;

		a->chunks = c->next;
		free(c);
	}
	a->used = 0;
}

/* ---- values ---- */

static const struct expr_value null_value = {.type = EXPR_V_NULL};

static void set_bool(struct expr_value *v, int b)
{
	v->type = EXPR_V_BOOL;
	v->u.b = b != 0;
}

static void set_int(struct expr_value *v, int64_t i)
{
	v->type = EXPR_V_INT;
	v->u.i = i;
}

/* A double result; one that is not finite is null. */
static void set_double(struct expr_value *v, double d)
{
	if (isfinite(d)) {
		v->type = EXPR_V_DOUBLE;
		v->u.d = d;
	} else {
		v->type = EXPR_V_NULL;
	}
}

static int is_num(const struct expr_value *v)
{
	return v->type == EXPR_V_INT || v->type == EXPR_V_DOUBLE;
}

static double num(const struct expr_value *v)
{
	return v->type == EXPR_V_INT ? (double)v->u.i : v->u.d;
}

static void from_json(const struct jnode *o, struct expr_value *v)
{
	switch (o->type) {
	case JT_BOOL:
		set_bool(v, o->boolean);
		return;
	case JT_INT:
		set_int(v, o->i);
		return;
	case JT_DOUBLE:
		set_double(v, jnode_double(o));
		return;
	case JT_STRING:
		v->type = EXPR_V_STRING;
		v->u.s.p = o->str;
		v->u.s.len = o->len;
		return;
	case JT_OBJECT:
		v->type = EXPR_V_OBJECT;
		v->u.obj = o;
		return;
	default: /* null; arrays are flattened by the caller */
		*v = null_value;
	}
}

/* ---- paths ---- */

struct vlist {
	struct expr_value *v;
	size_t n, cap;
	int oom;
};

static void push(struct expr_arena *a, struct vlist *l,
		 const struct expr_value *v)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct expr_value *nv = arena_alloc(a, cap * sizeof *nv);

		if (!nv) {
			l->oom = 1;
			return;
		}
		if (l->n)
			memcpy(nv, l->v, l->n * sizeof *nv);
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = *v;
}

/* What path segments seg.. find from o, into l: arrays are mapped over
 * (and flattened), a missing field is a null. */
static void collect(const struct expr_node *n, size_t seg,
		    const struct jnode *o, struct expr_arena *a,
		    struct vlist *l)
{
	struct expr_value v;
	const struct jnode *c;

	if (o->type == JT_ARRAY) {
		JNODE_EACH(e, o)
		{
			if (l->oom)
				break;
			collect(n, seg, e, a, l);
		}
		return;
	}
	if (seg == n->nsegs) {
		from_json(o, &v);
		push(a, l, &v);
		return;
	}
	c = jnode_getn(o, n->segs[seg].name, n->segs[seg].len);
	if (c)
		collect(n, seg + 1, c, a, l);
	else
		push(a, l, &null_value);
}

static void resolve(const struct expr_node *n, const struct jnode *rec,
		    struct expr_arena *a, struct expr_value *out)
{
	const struct jnode *o = rec;
	struct vlist l = {0};
	size_t k;

	/* The common case, no array on the way: no list. */
	for (k = 0; k < n->nsegs; k++) {
		if (o->type == JT_ARRAY)
			break;
		o = jnode_getn(o, n->segs[k].name, n->segs[k].len);
		if (!o) {
			*out = null_value;
			return;
		}
	}
	if (o->type != JT_ARRAY) {
		from_json(o, out);
		return;
	}
	collect(n, k, o, a, &l);
	if (l.oom) {
		*out = null_value;
		return;
	}
	out->type = EXPR_V_LIST;
	out->u.list.v = l.v;
	out->u.list.n = l.n;
}

/* ---- element-wise application ---- */

typedef void (*elem_fn)(const struct expr_node *n, const struct expr_value *x,
			const struct expr_value *y, struct expr_value *out);

/* f over x (and y), element-wise when either is a list. */
static void apply(const struct expr_node *n, elem_fn f,
		  const struct expr_value *x, const struct expr_value *y,
		  struct expr_arena *a, struct expr_value *out)
{
	const struct expr_value *list = NULL;
	struct expr_value *v;
	size_t len;

	if (x->type == EXPR_V_LIST)
		list = x;
	else if (y && y->type == EXPR_V_LIST)
		list = y;
	if (!list) {
		f(n, x, y, out);
		return;
	}
	len = list->u.list.n;
	if (y && x->type == EXPR_V_LIST && y->type == EXPR_V_LIST &&
	    y->u.list.n != len) {
		*out = null_value;
		return;
	}
	v = arena_alloc(a, len * sizeof *v);
	if (!v) {
		*out = null_value;
		return;
	}
	for (size_t k = 0; k < len; k++) {
		const struct expr_value *ye = NULL;

		if (y)
			ye = y->type == EXPR_V_LIST ? &y->u.list.v[k] : y;
		f(n, x->type == EXPR_V_LIST ? &x->u.list.v[k] : x, ye, &v[k]);
	}
	out->type = EXPR_V_LIST;
	out->u.list.v = v;
	out->u.list.n = len;
}

/* -1, 0, 1; or 2 when x and y cannot be compared. */
static int compare(const struct expr_value *x, const struct expr_value *y)
{
	if (is_num(x) && is_num(y)) {
		double dx, dy, m;

		if (x->type == EXPR_V_INT && y->type == EXPR_V_INT)
			return x->u.i < y->u.i ? -1 : x->u.i > y->u.i;
		dx = num(x);
		dy = num(y);
		m = fmax(1.0, fmax(fabs(dx), fabs(dy)));
		if (fabs(dx - dy) <= 1e-9 * m)
			return 0;
		return dx < dy ? -1 : 1;
	}
	if (x->type != y->type)
		return 2;
	if (x->type == EXPR_V_STRING) {
		size_t n = x->u.s.len < y->u.s.len ? x->u.s.len : y->u.s.len;
		int c = memcmp(x->u.s.p, y->u.s.p, n);

		if (c)
			return c < 0 ? -1 : 1;
		return x->u.s.len < y->u.s.len	 ? -1
		       : x->u.s.len > y->u.s.len ? 1
						 : 0;
	}
	if (x->type == EXPR_V_BOOL)
		return x->u.b < y->u.b ? -1 : x->u.b > y->u.b;
	return 2;
}

static void f_cmp(const struct expr_node *n, const struct expr_value *x,
		  const struct expr_value *y, struct expr_value *out)
{
	int c;

	if (x->type == EXPR_V_NULL || y->type == EXPR_V_NULL) {
		*out = null_value;
		return;
	}
	c = compare(x, y);
	if (c == 2) {
		*out = null_value;
		return;
	}
	switch (n->op) {
	case EXPR_EQ:
		set_bool(out, c == 0);
		break;
	case EXPR_NE:
		set_bool(out, c != 0);
		break;
	case EXPR_LT:
		set_bool(out, c < 0);
		break;
	case EXPR_LE:
		set_bool(out, c <= 0);
		break;
	case EXPR_GT:
		set_bool(out, c > 0);
		break;
	default:
		set_bool(out, c >= 0);
		break;
	}
}

static void f_arith(const struct expr_node *n, const struct expr_value *x,
		    const struct expr_value *y, struct expr_value *out)
{
	int64_t r;

	if (!is_num(x) || !is_num(y)) {
		*out = null_value;
		return;
	}
	if (x->type == EXPR_V_INT && y->type == EXPR_V_INT && n->op != '/') {
		int over = n->op == '+'
				   ? __builtin_add_overflow(x->u.i, y->u.i, &r)
			   : n->op == '-'
				   ? __builtin_sub_overflow(x->u.i, y->u.i, &r)
				   : __builtin_mul_overflow(x->u.i, y->u.i, &r);

		if (!over) {
			set_int(out, r);
			return;
		}
	}
	switch (n->op) {
	case '+':
		set_double(out, num(x) + num(y));
		break;
	case '-':
		set_double(out, num(x) - num(y));
		break;
	case '*':
		set_double(out, num(x) * num(y));
		break;
	default:
		if (num(y) == 0)
			*out = null_value;
		else
			set_double(out, num(x) / num(y));
	}
}

static void f_neg(const struct expr_node *n, const struct expr_value *x,
		  const struct expr_value *y, struct expr_value *out)
{
	(void)n, (void)y;
	if (x->type == EXPR_V_INT && x->u.i != INT64_MIN)
		set_int(out, -x->u.i);
	else if (is_num(x))
		set_double(out, -num(x));
	else
		*out = null_value;
}

static void f_abs(const struct expr_node *n, const struct expr_value *x,
		  const struct expr_value *y, struct expr_value *out)
{
	(void)n, (void)y;
	if (x->type == EXPR_V_INT && x->u.i != INT64_MIN)
		set_int(out, x->u.i < 0 ? -x->u.i : x->u.i);
	else if (is_num(x))
		set_double(out, fabs(num(x)));
	else
		*out = null_value;
}

static void f_round(const struct expr_node *n, const struct expr_value *x,
		    const struct expr_value *y, struct expr_value *out)
{
	static const double p10[16] = {1e0,  1e1,  1e2,	 1e3, 1e4,  1e5,
				       1e6,  1e7,  1e8,	 1e9, 1e10, 1e11,
				       1e12, 1e13, 1e14, 1e15};
	double v, f, r;

	(void)y;
	if (x->type == EXPR_V_INT) {
		*out = *x;
		return;
	}
	if (x->type != EXPR_V_DOUBLE) {
		*out = null_value;
		return;
	}
	v = x->u.d * p10[n->digits];
	if (fabs(v) >= 4503599627370496.0) { /* 2^52: no fraction left */
		*out = *x;
		return;
	}
	f = floor(v);
	/* A half that binary cannot hold exactly (1.005 * 100 =
	 * 100.49999999999999) is still a half, as in decimal. */
	if (fabs(v - f - 0.5) <= 64 * DBL_EPSILON * fmax(1.0, fabs(v)))
		r = v >= 0 ? f + 1 : f;
	else
		r = round(v);
	set_double(out, r / p10[n->digits]);
}

/* Three-valued logic: 0 false, 1 true, 2 null (or not a boolean). */
static int truth(const struct expr_value *v)
{
	return v->type == EXPR_V_BOOL ? v->u.b : 2;
}

static void set_truth(struct expr_value *v, int t)
{
	if (t == 2)
		*v = null_value;
	else
		set_bool(v, t);
}

static void f_not(const struct expr_node *n, const struct expr_value *x,
		  const struct expr_value *y, struct expr_value *out)
{
	int t = truth(x);

	(void)n, (void)y;
	set_truth(out, t == 2 ? 2 : !t);
}

static void f_and(const struct expr_node *n, const struct expr_value *x,
		  const struct expr_value *y, struct expr_value *out)
{
	int a = truth(x), b = truth(y);

	(void)n;
	set_truth(out, a == 0 || b == 0 ? 0 : a == 2 || b == 2 ? 2 : 1);
}

static void f_or(const struct expr_node *n, const struct expr_value *x,
		 const struct expr_value *y, struct expr_value *out)
{
	int a = truth(x), b = truth(y);

	(void)n;
	set_truth(out, a == 1 || b == 1 ? 1 : a == 2 || b == 2 ? 2 : 0);
}

static void f_in(const struct expr_node *n, const struct expr_value *x,
		 const struct expr_value *y, struct expr_value *out)
{
	int t = 2;

	(void)y;
	if (x->type != EXPR_V_NULL)
		for (size_t k = 0; k < n->nargs; k++) {
			int c = compare(x, &n->args[k]->lit);

			if (c == 0) {
				t = 1;
				break;
			}
			if (c != 2)
				t = 0;
		}
	set_truth(out, t == 2 ? 2 : n->negate ? !t : t);
}

static void f_match(const struct expr_node *n, const struct expr_value *x,
		    const struct expr_value *y, struct expr_value *out)
{
	int t;

	(void)y;
	if (x->type != EXPR_V_STRING) {
		*out = null_value;
		return;
	}
#ifdef REG_STARTEND
	{
		regmatch_t m[1] = {{0, (regoff_t)x->u.s.len}};

		t = regexec(&n->re, x->u.s.p, 1, m, REG_STARTEND) == 0;
	}
#else
	t = regexec(&n->re, x->u.s.p, 0, NULL, 0) == 0;
#endif
	set_bool(out, n->negate ? !t : t);
}

/* ---- functions ---- */

static size_t utf8_chars(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t k = 0; k < n; k++)
		c += ((unsigned char)s[k] & 0xc0) != 0x80;
	return c;
}

/* The names of object o, each once: a name given twice is one member
 * whose value is the last (jnode_get), as a path sees it. */
static size_t members(const struct jnode *o)
{
	size_t n = 0;

	JNODE_EACH(c, o)
	{
		const struct jnode *d = c + c->skip;

		while (d < o + o->skip && (d->key_len != c->key_len ||
					   memcmp(d->key, c->key, c->key_len)))
			d += d->skip;
		n += d == o + o->skip;
	}
	return n;
}

static void f_len(const struct expr_value *x, struct expr_value *out)
{
	switch (x->type) {
	case EXPR_V_STRING:
		set_int(out, (int64_t)utf8_chars(x->u.s.p, x->u.s.len));
		break;
	case EXPR_V_LIST:
		set_int(out, (int64_t)x->u.list.n);
		break;
	case EXPR_V_OBJECT:
		set_int(out, (int64_t)members(x->u.obj));
		break;
	default:
		*out = null_value;
	}
}

static void aggregate(const struct expr_node *n, const struct expr_value *x,
		      struct expr_value *out)
{
	const struct expr_value *v = x;
	struct expr_value acc = null_value;
	size_t cnt = 1, seen = 0;
	double dsum = 0;
	int t;

	if (x->type == EXPR_V_LIST) {
		v = x->u.list.v;
		cnt = x->u.list.n;
	}
	switch (n->op) {
	case EXPR_F_COUNT:
		for (size_t k = 0; k < cnt; k++)
			seen += v[k].type != EXPR_V_NULL;
		set_int(out, (int64_t)seen);
		return;
	case EXPR_F_ALL:
	case EXPR_F_ANY:
		t = n->op == EXPR_F_ALL;
		for (size_t k = 0; k < cnt; k++) {
			int e = truth(&v[k]);

			if (e == 2 && v[k].type != EXPR_V_NULL) {
				*out = null_value; /* not a boolean */
				return;
			}
			if (e == !(n->op == EXPR_F_ALL)) {
				t = e;
				break;
			}
			if (e == 2)
				t = 2;
		}
		set_truth(out, t);
		return;
	default:
		break;
	}
	for (size_t k = 0; k < cnt; k++) {
		const struct expr_value *e = &v[k];

		if (e->type == EXPR_V_NULL)
			continue;
		if (!is_num(e)) {
			*out = null_value;
			return;
		}
		dsum += num(e);
		if (!seen++) {
			acc = *e;
			continue;
		}
		switch (n->op) {
		case EXPR_F_SUM: {
			struct expr_node plus = {.op = '+'};

			f_arith(&plus, &acc, e, &acc);
			break;
		}
		case EXPR_F_MIN:
			if (compare(e, &acc) < 0)
				acc = *e;
			break;
		case EXPR_F_MAX:
			if (compare(e, &acc) > 0)
				acc = *e;
			break;
		default:
			break;
		}
	}
	if (!seen)
		*out = null_value;
	else if (n->op == EXPR_F_AVG)
		set_double(out, dsum / (double)seen);
	else
		*out = acc;
}

/* ---- the tree ---- */

static void eval(const struct expr_node *n, const struct jnode *rec,
		 struct expr_arena *a, struct expr_value *out)
{
	struct expr_value x, y;

	switch (n->kind) {
	case EXPR_N_LIT:
		*out = n->lit;
		return;
	case EXPR_N_PATH:
		resolve(n, rec, a, out);
		return;
	case EXPR_N_NOT:
		eval(n->a, rec, a, &x);
		apply(n, f_not, &x, NULL, a, out);
		return;
	case EXPR_N_AND:
	case EXPR_N_OR:
		eval(n->a, rec, a, &x);
		/* Short cut: false and ..., true or ... */
		if (x.type == EXPR_V_BOOL && x.u.b == (n->kind == EXPR_N_OR)) {
			*out = x;
			return;
		}
		eval(n->b, rec, a, &y);
		apply(n, n->kind == EXPR_N_AND ? f_and : f_or, &x, &y, a, out);
		return;
	case EXPR_N_CMP:
		eval(n->a, rec, a, &x);
		eval(n->b, rec, a, &y);
		apply(n, f_cmp, &x, &y, a, out);
		return;
	case EXPR_N_ARITH:
		eval(n->a, rec, a, &x);
		eval(n->b, rec, a, &y);
		apply(n, f_arith, &x, &y, a, out);
		return;
	case EXPR_N_NEG:
		eval(n->a, rec, a, &x);
		apply(n, f_neg, &x, NULL, a, out);
		return;
	case EXPR_N_ISNULL:
		eval(n->a, rec, a, &x);
		set_bool(out, (x.type == EXPR_V_NULL) != n->negate);
		return;
	case EXPR_N_IN:
		eval(n->a, rec, a, &x);
		apply(n, f_in, &x, NULL, a, out);
		return;
	case EXPR_N_MATCH:
		eval(n->a, rec, a, &x);
		apply(n, f_match, &x, NULL, a, out);
		return;
	case EXPR_N_CALL:
		eval(n->args[0], rec, a, &x);
		switch (n->op) {
		case EXPR_F_ROUND:
			apply(n, f_round, &x, NULL, a, out);
			return;
		case EXPR_F_ABS:
			apply(n, f_abs, &x, NULL, a, out);
			return;
		case EXPR_F_LEN:
			f_len(&x, out);
			return;
		default:
			aggregate(n, &x, out);
			return;
		}
	}
	*out = null_value;
}

void expr_value(const struct expr *e, const struct jnode *record,
		struct expr_arena *arena, struct expr_value *out)
{
	eval(e->root, record, arena, out);
}

enum expr_result expr_eval(const struct expr *e, const struct jnode *record)
{
	struct expr_arena a; /* not zeroed: only these two matter */
	struct expr_value v;
	enum expr_result r;

	a.chunks = NULL;
	a.used = 0;
	eval(e->root, record, &a, &v);
	r = v.type != EXPR_V_BOOL ? EXPR_NULL : v.u.b ? EXPR_TRUE : EXPR_FALSE;
	expr_arena_reset(&a);
	return r;
}
