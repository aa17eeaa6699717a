/*
 * expect.c - the expectation declarations, the runner and its reports
 * (expect.h).
 */
#include "expect.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct expect_builtin expect_builtins[] = {
	{"valid_email", "user.email matches "
			"'^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$'"},
	{"positive_amount", "amount > 0"},
	{"amount_matches_items",
	 "round(sum(items.price * items.quantity), 2) = amount"},
	{"known_currency", "currency in ['USD', 'EUR', 'GBP', 'INR']"},
	{"user_id_present", "user.user_id is not null"},
	{NULL, NULL},
};

/* ---- declarations ---- */

struct decl {
	const char *item, *p;
	const char *option;
	size_t index;
	char *err;
	size_t errlen;
};

static int column(const struct decl *d, const char *at)
{
	int col = 1;

	for (const char *c = d->item; c < at; c++)
		if (((unsigned char)*c & 0xc0) != 0x80)
			col++;
	return col;
}

static int fail(struct decl *d, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct decl *d, const char *at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (at)
		snprintf(d->err, d->errlen, "%s[%zu]: %s at column %d",
			 d->option, d->index, msg, column(d, at));
	else
		snprintf(d->err, d->errlen, "%s[%zu]: %s", d->option, d->index,
			 msg);
	return -1;
}

static void ws(struct decl *d)
{
	while (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r')
		d->p++;
}

static int word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Consumes the keyword kw (any case) if it is next. */
static int keyword(struct decl *d, const char *kw)
{
	size_t n = strlen(kw);

	ws(d);
	if (strncasecmp(d->p, kw, n) || word_char(d->p[n]))
		return 0;
	d->p += n;
	return 1;
}

/* What is at p, for messages. */
static const char *shown(const char *p, char *buf, size_t len)
{
	size_t n = 0;

	if (!*p)
		return "the end";
	while (p[n] && p[n] != ' ' && n < 24)
		n++;
	snprintf(buf, len, "'%.*s'", (int)n, p);
	return buf;
}

/* The ')' that closes the '(' at p, skipping 'strings' and `names`. */
static const char *closing(const char *p)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '\'' || *p == '`') {
			char q = *p;

			for (p++; *p; p++) {
				if (*p != q)
					continue;
				if (q == '\'' && p[1] == q)
					p++; /* '' */
				else
					break;
			}
			if (!*p)
				return NULL;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')' && --depth == 0) {
			return p;
		}
	}
	return NULL;
}

static const char *builtin(const char *name)
{
	for (const struct expect_builtin *b = expect_builtins; b->name; b++)
		if (!strcmp(b->name, name))
			return b->condition;
	return NULL;
}

static const char *const action_names[] = {"warn", "drop", "fail"};

static int add(struct expect_set *s, struct decl *d, const char *name,
	       const char *cond, size_t cond_len, const char *cond_at,
	       enum expect_action action)
{
	struct expectation *v, *x;
	char cerr[256], *text;
	enum expr_stype stype;
	int col;

	for (size_t k = 0; k < s->n; k++)
		if (!strcmp(s->v[k].name, name))
			return fail(d, NULL, "'%s' is declared twice", name);
	text = malloc(cond_len + 1);
	if (!text)
		return fail(d, NULL, "out of memory");
	memcpy(text, cond, cond_len);
	text[cond_len] = '\0';
	x = calloc(1, sizeof *x);
	if (!x) {
		free(text);
		return fail(d, NULL, "out of memory");
	}
	x->condition = text;
	x->expr = expr_compile_at(text, cond_at ? column(d, cond_at) - 1 : 0,
				  cerr, sizeof cerr, &col);
	if (!x->expr) {
		free(text);
		free(x);
		if (!cond_at)
			return fail(d, NULL, "shipped '%s': %s", name, cerr);
		return fail(d, NULL, "%s", cerr);
	}
	stype = expr_static_type(x->expr);
	if (stype == EXPR_S_NUM || stype == EXPR_S_STR) {
		expr_free(x->expr);
		free(text);
		free(x);
		return fail(d, NULL,
			    "type error at column %d: the condition is %s, "
			    "not true or false",
			    cond_at ? column(d, cond_at) : 1,
			    stype == EXPR_S_NUM ? "a number" : "a string");
	}
	v = realloc(s->v, (s->n + 1) * sizeof *v);
	x->name = strdup(name);
	if (!v || !x->name) {
		if (v)
			s->v = v;
		expr_free(x->expr);
		free(x->name);
		free(text);
		free(x);
		return fail(d, NULL, "out of memory");
	}
	x->action = action;
	snprintf(x->labels[0], sizeof x->labels[0],
		 "expectation=\"%s\",result=\"passed\"", name);
	snprintf(x->labels[1], sizeof x->labels[1],
		 "expectation=\"%s\",result=\"failed\"", name);
	s->v = v;
	s->v[s->n++] = *x;
	free(x);
	free(s->failed);
	s->failed = calloc(s->n, sizeof *s->failed);
	if (!s->failed)
		return fail(d, NULL, "out of memory");
	return 0;
}

int expect_set_add(struct expect_set *s, const char *option, size_t index,
		   const char *item, char *err, size_t errlen)
{
	struct decl d = {item, item, option, index, err, errlen};
	const char *name_at, *cond = NULL, *cond_end = NULL;
	enum expect_action action = EXPECT_WARN;
	char name[64], tmp[32];
	size_t len = 0;

	keyword(&d, "constraint");
	ws(&d);
	name_at = d.p;
	while (word_char(d.p[len]))
		len++;
	if (len == 0 || (*d.p >= '0' && *d.p <= '9'))
		return fail(&d, d.p, "expected the expectation's name, got %s",
			    shown(d.p, tmp, sizeof tmp));
	if (len >= sizeof name)
		return fail(&d, d.p, "the name is longer than %zu characters",
			    sizeof name - 1);
	memcpy(name, d.p, len);
	name[len] = '\0';
	d.p += len;
	if (keyword(&d, "expect")) {
		ws(&d);
		if (*d.p != '(')
			return fail(&d, d.p,
				    "expected '(' after expect, got %s",
				    shown(d.p, tmp, sizeof tmp));
		cond_end = closing(d.p);
		if (!cond_end)
			return fail(&d, d.p, "the '(' is never closed");
		cond = d.p + 1;
		d.p = cond_end + 1;
	}
	if (keyword(&d, "on")) {
		const char *at;

		if (!keyword(&d, "violation"))
			return fail(&d, d.p,
				    "expected violation after on, got %s",
				    shown(d.p, tmp, sizeof tmp));
		ws(&d);
		at = d.p;
		if (keyword(&d, "warn")) {
			action = EXPECT_WARN;
		} else if (keyword(&d, "drop")) {
			action = EXPECT_DROP;
			keyword(&d, "row");
		} else if (keyword(&d, "fail")) {
			action = EXPECT_FAIL;
			keyword(&d, "update");
		} else {
			return fail(&d, at,
				    "expected warn, drop row or fail update, "
				    "got %s",
				    shown(at, tmp, sizeof tmp));
		}
	}
	ws(&d);
	if (*d.p)
		return fail(&d, d.p,
			    "expected %son violation or the end, got %s",
			    cond ? "" : "expect (condition), ",
			    shown(d.p, tmp, sizeof tmp));
	if (!cond) {
		const char *b = builtin(name);

		if (!b)
			return fail(&d, name_at,
				    "'%s' is not a shipped expectation "
				    "(" EXPECT_BUILTIN_NAMES
				    "): give its condition with expect (...)",
				    name);
		return add(s, &d, name, b, strlen(b), NULL, action);
	}
	return add(s, &d, name, cond, (size_t)(cond_end - cond), cond, action);
}

void expect_set_free(struct expect_set *s)
{
	for (size_t k = 0; k < s->n; k++) {
		free(s->v[k].name);
		free(s->v[k].condition);
		expr_free(s->v[k].expr);
	}
	free(s->v);
	free(s->failed);
	memset(s, 0, sizeof *s);
}

/* ---- running ---- */

enum expect_verdict expect_set_eval(struct expect_set *s,
				    const struct jnode *rec)
{
	enum expect_verdict verdict = EXPECT_KEEP;

	s->nfailed = 0;
	s->fatal = NULL;
	s->records++;
	for (size_t k = 0; k < s->n; k++) {
		struct expectation *x = &s->v[k];

		if (expr_eval(x->expr, rec) == EXPR_TRUE) {
			x->passed++;
			continue;
		}
		x->failed++;
		s->failed[s->nfailed++] = x;
		if (x->action == EXPECT_FAIL && !s->fatal) {
			s->fatal = x;
			verdict = EXPECT_FAIL_TASK;
		} else if (x->action == EXPECT_DROP && verdict == EXPECT_KEEP) {
			verdict = EXPECT_DROP_RECORD;
		}
	}
	if (verdict == EXPECT_DROP_RECORD)
		s->dropped++;
	return verdict;
}

void expect_set_send_counters(struct expect_set *s, const struct sluice_host *h,
			      struct sluice_task *t)
{
	for (size_t k = 0; k < s->n; k++) {
		struct expectation *x = &s->v[k];

		if (x->passed != x->sent_passed)
			h->counter_add(t, "dq_records_total", x->labels[0],
				       (int64_t)(x->passed - x->sent_passed));
		if (x->failed != x->sent_failed)
			h->counter_add(t, "dq_records_total", x->labels[1],
				       (int64_t)(x->failed - x->sent_failed));
		x->sent_passed = x->passed;
		x->sent_failed = x->failed;
	}
	if (s->dropped != s->sent_dropped)
		h->counter_add(t, "dq_dropped_records_total", NULL,
			       (int64_t)(s->dropped - s->sent_dropped));
	s->sent_dropped = s->dropped;
}

int expect_set_summary(struct expect_set *s, struct jbuf *b,
		       const char *dataset, int64_t now_us)
{
	if (s->records == s->shown_records)
		return 0;
	JBUF_LIT(b, "{\"event_type\": \"flow_progress\", \"timestamp\": ");
	jbuf_time_us(b, now_us);
	JBUF_LIT(b, ", \"dataset\": ");
	jbuf_cstr(b, dataset);
	JBUF_LIT(b, ", \"details\": {\"flow_progress\": {\"metrics\": "
		    "{\"num_output_rows\": ");
	jbuf_u64(b, (s->records - s->shown_records) -
			    (s->dropped - s->shown_dropped));
	JBUF_LIT(b, "}, \"data_quality\": {\"dropped_records\": ");
	jbuf_u64(b, s->dropped - s->shown_dropped);
	JBUF_LIT(b, ", \"expectations\": [");
	for (size_t k = 0; k < s->n; k++) {
		struct expectation *x = &s->v[k];

		if (k)
			JBUF_LIT(b, ", ");
		JBUF_LIT(b, "{\"name\": ");
		jbuf_cstr(b, x->name);
		JBUF_LIT(b, ", \"dataset\": ");
		jbuf_cstr(b, dataset);
		JBUF_LIT(b, ", \"passed_records\": ");
		jbuf_u64(b, x->passed - x->shown_passed);
		JBUF_LIT(b, ", \"failed_records\": ");
		jbuf_u64(b, x->failed - x->shown_failed);
		jbuf_putc(b, '}');
		x->shown_passed = x->passed;
		x->shown_failed = x->failed;
	}
	JBUF_LIT(b, "]}}}}");
	s->shown_records = s->records;
	s->shown_dropped = s->dropped;
	return 1;
}

const char *expect_action_name(enum expect_action a)
{
	return action_names[a];
}
