/*
 * mock_host.c - the mock host of mock_host.h. The task handle given to
 * the plugin is the mock itself; every host function finds its state
 * through it. Small and strict: a plugin that reads an option it did not
 * declare, or with the wrong getter, is counted as misuse.
 */
#include "mock_host.h"
#include "mock_state.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct setting {
	char *name, *value;
};

struct counter {
	char *name, *labels;
	int64_t sum;
};

struct records {
	struct mock_record *v;
	size_t n, cap;
};

/* Parsed LIST values, kept until the mock is freed: opt_list hands out
 * borrowed arrays that must stay valid until close. */
struct list {
	char *name;
	char **items; /* NULL-terminated */
	size_t n;
};

struct sluice_task {
	struct mock_host *m;
};

struct mock_host {
	struct sluice_task task;
	struct sluice_host api;
	const struct sluice_plugin *plugin;
	void *state;
	int open;
	int task_id, task_count;
	long emits_left; /* < 0: emits never fail */
	int misuse;
	int flush_requests;
	char error[1024];
	struct setting *opts, *positions;
	size_t nopts, npositions;
	struct list *lists;
	size_t nlists;
	struct counter *counters;
	size_t ncounters;
	struct records records, rejects;
	struct mock_state *kv;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "mock_host: out of memory\n");
		abort();
	}
	return p;
}

static char *xmemdup(const void *p, size_t n)
{
	char *c = xrealloc(NULL, n + 1);

	memcpy(c, p, n);
	c[n] = '\0';
	return c;
}

static char *xstrdup(const char *s)
{
	return s ? xmemdup(s, strlen(s)) : NULL;
}

static struct mock_host *mock_of(struct sluice_task *t)
{
	return t->m;
}

static void set_error(struct mock_host *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(struct mock_host *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof m->error, fmt, ap);
	va_end(ap);
}

/* ---- settings and the option table ---- */

static struct setting *find_setting(struct setting *v, size_t n,
				    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static void put_setting(struct setting **v, size_t *n, const char *name,
			const char *value)
{
	struct setting *s = find_setting(*v, *n, name);

	if (!s) {
		*v = xrealloc(*v, (*n + 1) * sizeof **v);
		s = &(*v)[(*n)++];
		s->name = xstrdup(name);
		s->value = NULL;
	}
	free(s->value);
	s->value = xstrdup(value);
}

static const struct sluice_option *find_decl(const struct mock_host *m,
					     const char *name)
{
	for (const struct sluice_option *o = m->plugin->options; o && o->name;
	     o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* The text of an option: as set, else its default, else NULL. */
static const char *option_text(struct mock_host *m,
			       const struct sluice_option *o)
{
	struct setting *s = find_setting(m->opts, m->nopts, o->name);

	return s ? s->value : o->def;
}

/* The declaration for a getter call, or NULL (counted as misuse). */
static const struct sluice_option *
decl_for(struct mock_host *m, const char *name, enum sluice_opt_type type)
{
	const struct sluice_option *o = find_decl(m, name);

	if (!o || (o->type != type && !(type == SLUICE_OPT_STRING &&
					o->type == SLUICE_OPT_ENUM))) {
		fprintf(stderr, "mock_host: plugin bug: option '%s' %s\n", name,
			o ? "read with the wrong type" : "not declared");
		m->misuse++;
		return NULL;
	}
	return o;
}

/* ---- value syntaxes, as host/units.h describes them ---- */

static int parse_int(const char *s, int64_t *out)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return -1;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};

	for (int i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

struct unit {
	const char *name;
	double mult;
};

/* A non-negative number followed by one of `units` (or by nothing when
 * bare is allowed); the result must be whole. */
static int parse_with_unit(const char *s, const struct unit *units, int bare,
			   int64_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || s[0] == '-' || s[0] == '+')
		return -1;
	if (*end == '\0') {
		if (!bare)
			return -1;
	} else {
		const struct unit *u = units;

		while (u->name && strcmp(end, u->name) != 0)
			u++;
		if (!u->name)
			return -1;
		v *= u->mult;
	}
	if (v != floor(v) || v > 9.2e18)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static const struct unit duration_units[] = {
	{"ms", 1},     {"s", 1e3},     {"m", 60e3},
	{"h", 3600e3}, {"d", 86400e3}, {NULL, 0},
};

static const struct unit size_units[] = {
	{"B", 1},	    {"KB", 1e3},	   {"MB", 1e6},
	{"GB", 1e9},	    {"TB", 1e12},	   {"KiB", 1024.0},
	{"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
	{NULL, 0},
};

/* Numeric value of text in o's type, for bounds (ints and doubles). */
static int numeric(const struct sluice_option *o, const char *s, double *v)
{
	int64_t i;

	switch (o->type) {
	case SLUICE_OPT_INT:
		if (parse_int(s, &i))
			return -1;
		*v = (double)i;
		return 0;
	case SLUICE_OPT_DOUBLE:
		return parse_double(s, v);
	case SLUICE_OPT_SIZE:
		if (parse_with_unit(s, size_units, 1, &i))
			return -1;
		*v = (double)i;
		return 0;
	case SLUICE_OPT_DURATION:
		if (parse_with_unit(s, duration_units, 0, &i))
			return -1;
		*v = (double)i;
		return 0;
	default:
		return -1;
	}
}

/* A min or max of o: a length in bytes for strings. */
static int bound(const struct sluice_option *o, const char *s, double *v)
{
	int64_t i;

	if (o->type != SLUICE_OPT_STRING)
		return numeric(o, s, v);
	if (parse_int(s, &i))
		return -1;
	*v = (double)i;
	return 0;
}

static const char *const type_words[] = {
	[SLUICE_OPT_STRING] = "a string",
	[SLUICE_OPT_INT] = "an integer",
	[SLUICE_OPT_DOUBLE] = "a number",
	[SLUICE_OPT_BOOL] = "true or false",
	[SLUICE_OPT_SIZE] = "a size such as 5MiB",
	[SLUICE_OPT_DURATION] = "a duration such as 30s",
	[SLUICE_OPT_ENUM] = "one of the allowed values",
	[SLUICE_OPT_LIST] = "a list",
};

static int is_allowed(const struct sluice_option *o, const char *s)
{
	for (const char *const *a = o->allowed; a && *a; a++)
		if (strcmp(*a, s) == 0)
			return 1;
	return !o->allowed;
}

static void allowed_text(const struct sluice_option *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (const char *const *a = o->allowed; a && *a && n < len; a++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s",
				      a == o->allowed ? "" : ", ", *a);
}

/* Splits "a, b" into trimmed items, as host/options.c reads a LIST. */
static char **split_list(const char *s, size_t *n)
{
	char **v = xrealloc(NULL, (strlen(s) + 2) * sizeof *v);

	*n = 0;
	while (*s == ' ')
		s++;
	while (*s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);

		while (len && s[len - 1] == ' ')
			len--;
		v[(*n)++] = xmemdup(s, len);
		if (!end)
			break;
		s = end + 1;
		while (*s == ' ')
			s++;
	}
	v[*n] = NULL;
	return v;
}

static void free_items(char **items)
{
	for (size_t i = 0; items && items[i]; i++)
		free(items[i]);
	free(items);
}

static int check_value(struct mock_host *m, const struct sluice_option *o,
		       const char *s)
{
	char all[512];
	double v, lim;
	int b;

	switch (o->type) {
	case SLUICE_OPT_ENUM:
	case SLUICE_OPT_LIST:
		if (is_allowed(o, s))
			return 0;
		allowed_text(o, all, sizeof all);
		set_error(m, "config.%s: '%s' is not one of %s", o->name, s,
			  all);
		return -1;
	case SLUICE_OPT_BOOL:
		if (parse_bool(s, &b) == 0)
			return 0;
		set_error(m, "config.%s: expected %s, got '%s'", o->name,
			  type_words[o->type], s);
		return -1;
	case SLUICE_OPT_STRING:
		v = (double)strlen(s);
		if (o->min && bound(o, o->min, &lim) == 0 && v < lim) {
			set_error(m,
				  "config.%s: '%s' is shorter than the "
				  "minimum of %s bytes",
				  o->name, s, o->min);
			return -1;
		}
		if (o->max && bound(o, o->max, &lim) == 0 && v > lim) {
			set_error(m,
				  "config.%s: '%s' is longer than the maximum "
				  "of %s bytes",
				  o->name, s, o->max);
			return -1;
		}
		return 0;
	default:
		if (numeric(o, s, &v) == 0)
			break;
		set_error(m, "config.%s: expected %s, got '%s'", o->name,
			  type_words[o->type], s);
		return -1;
	}
	if (o->min && bound(o, o->min, &lim) == 0 && v < lim) {
		set_error(m, "config.%s: %s is below the minimum %s", o->name,
			  s, o->min);
		return -1;
	}
	if (o->max && bound(o, o->max, &lim) == 0 && v > lim) {
		set_error(m, "config.%s: %s is above the maximum %s", o->name,
			  s, o->max);
		return -1;
	}
	return 0;
}

int mock_host_validate(struct mock_host *m)
{
	for (size_t i = 0; i < m->nopts; i++)
		if (!find_decl(m, m->opts[i].name)) {
			set_error(m,
				  "config.%s: unknown option for plugin '%s'",
				  m->opts[i].name, m->plugin->name);
			return -1;
		}
	for (const struct sluice_option *o = m->plugin->options; o && o->name;
	     o++) {
		const char *s = option_text(m, o);

		if (!s) {
			if (o->flags & SLUICE_OPT_REQUIRED) {
				set_error(m,
					  "config: missing required option "
					  "'%s' (plugin '%s')",
					  o->name, m->plugin->name);
				return -1;
			}
			continue;
		}
		if (o->type != SLUICE_OPT_LIST) {
			if (check_value(m, o, s))
				return -1;
			continue;
		}
		size_t n;
		char **items = split_list(s, &n);
		int bad = 0;

		for (size_t k = 0; k < n && !bad; k++)
			bad = check_value(m, o, items[k]);
		free_items(items);
		if (bad)
			return -1;
	}
	return 0;
}

/* ---- the host function table ---- */

static void h_log(struct sluice_task *t, enum sluice_log_level level,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void h_log(struct sluice_task *t, enum sluice_log_level level,
		  const char *fmt, ...)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	va_list ap;

	(void)t;
	/* Tests stay quiet unless something is wrong. */
	if (level > SLUICE_LOG_WARN)
		return;
	fprintf(stderr, "mock_host: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void h_set_error(struct sluice_task *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void h_set_error(struct sluice_task *t, const char *fmt, ...)
{
	struct mock_host *m = mock_of(t);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof m->error, fmt, ap);
	va_end(ap);
}

static const char *h_connector_name(struct sluice_task *t)
{
	(void)t;
	return "mock-connector";
}

static int h_task_id(struct sluice_task *t)
{
	return mock_of(t)->task_id;
}

static int h_task_count(struct sluice_task *t)
{
	return mock_of(t)->task_count;
}

static const char *h_opt_string(struct sluice_task *t, const char *name)
{
	struct mock_host *m = mock_of(t);
	const struct sluice_option *o = decl_for(m, name, SLUICE_OPT_STRING);

	return o ? option_text(m, o) : NULL;
}

static int64_t opt_number(struct sluice_task *t, const char *name,
			  enum sluice_opt_type type)
{
	struct mock_host *m = mock_of(t);
	const struct sluice_option *o = decl_for(m, name, type);
	const char *s = o ? option_text(m, o) : NULL;
	double v;

	return s && numeric(o, s, &v) == 0 ? (int64_t)v : 0;
}

static int64_t h_opt_int(struct sluice_task *t, const char *name)
{
	struct mock_host *m = mock_of(t);
	const struct sluice_option *o = decl_for(m, name, SLUICE_OPT_INT);
	const char *s = o ? option_text(m, o) : NULL;
	int64_t v = 0;

	/* Not through a double: 64-bit seeds must stay exact. */
	if (s)
		parse_int(s, &v);
	return v;
}

static double h_opt_double(struct sluice_task *t, const char *name)
{
	struct mock_host *m = mock_of(t);
	const struct sluice_option *o = decl_for(m, name, SLUICE_OPT_DOUBLE);
	const char *s = o ? option_text(m, o) : NULL;
	double v = 0;

	if (s)
		parse_double(s, &v);
	return v;
}

static int h_opt_bool(struct sluice_task *t, const char *name)
{
	struct mock_host *m = mock_of(t);
	const struct sluice_option *o = decl_for(m, name, SLUICE_OPT_BOOL);
	const char *s = o ? option_text(m, o) : NULL;
	int v = 0;

	if (s)
		parse_bool(s, &v);
	return v;
}

static int64_t h_opt_size(struct sluice_task *t, const char *name)
{
	return opt_number(t, name, SLUICE_OPT_SIZE);
}

static int64_t h_opt_duration_ms(struct sluice_task *t, const char *name)
{
	return opt_number(t, name, SLUICE_OPT_DURATION);
}

static size_t h_opt_list(struct sluice_task *t, const char *name,
			 const char *const **items)
{
	struct mock_host *m = mock_of(t);
	const struct sluice_option *o = decl_for(m, name, SLUICE_OPT_LIST);
	const char *s = o ? option_text(m, o) : NULL;
	struct list *l;

	*items = NULL;
	if (!s)
		return 0;
	m->lists = xrealloc(m->lists, (m->nlists + 1) * sizeof *m->lists);
	l = &m->lists[m->nlists++];
	l->name = xstrdup(name);
	l->items = split_list(s, &l->n);
	*items = (const char *const *)l->items;
	return l->n;
}

static int h_opt_is_set(struct sluice_task *t, const char *name)
{
	struct mock_host *m = mock_of(t);

	return find_setting(m->opts, m->nopts, name) != NULL;
}

static void copy_record(struct records *rs, const char *output,
			const struct sluice_record *rec, const char *partition,
			const char *position, const char *reason)
{
	struct mock_record *r;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->v = xrealloc(rs->v, rs->cap * sizeof *rs->v);
	}
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof *r);
	r->output = xstrdup(output);
	r->partition = rec->partition;
	r->timestamp_ms = rec->timestamp_ms;
	if (rec->key) {
		r->key = xmemdup(rec->key, rec->key_len);
		r->key_len = rec->key_len;
	}
	if (rec->value) {
		r->value = xmemdup(rec->value, rec->value_len);
		r->value_len = rec->value_len;
	}
	r->header_count = rec->header_count;
	r->headers = xrealloc(NULL, rec->header_count * sizeof *r->headers);
	for (size_t i = 0; i < rec->header_count; i++) {
		const struct sluice_header *h = &rec->headers[i];

		r->headers[i].name = xstrdup(h->name);
		r->headers[i].value =
			h->value ? xmemdup(h->value, h->value_len) : NULL;
		r->headers[i].value_len = h->value_len;
	}
	r->source_partition = xstrdup(partition);
	r->position = xstrdup(position);
	r->reason = xstrdup(reason);
}

static void free_record(struct mock_record *r)
{
	for (size_t i = 0; i < r->header_count; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->output);
	free(r->key);
	free(r->value);
	free(r->source_partition);
	free(r->position);
	free(r->reason);
}

static void free_records(struct records *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free_record(&rs->v[i]);
	rs->n = 0;
}

/* Whether this emit is to fail, as mock_host_fail_emits_after says. */
static int emit_fails(struct mock_host *m, const char *output)
{
	if (m->emits_left == 0) {
		set_error(m, "emit to unknown output '%s'",
			  output ? output : "(default)");
		return 1;
	}
	if (m->emits_left > 0)
		m->emits_left--;
	return 0;
}

static int h_emit(struct sluice_task *t, const char *output,
		  const struct sluice_record *rec)
{
	struct mock_host *m = mock_of(t);

	if (emit_fails(m, output))
		return -1;
	copy_record(&m->records, output, rec, NULL, NULL, NULL);
	return 0;
}

static int h_emit_source(struct sluice_task *t, const char *output,
			 const struct sluice_record *rec,
			 const char *source_partition, const char *position)
{
	struct mock_host *m = mock_of(t);

	if (!source_partition || !position) {
		set_error(m, "emit_source needs a source partition and "
			     "position");
		return -1;
	}
	if (emit_fails(m, output))
		return -1;
	copy_record(&m->records, output, rec, source_partition, position, NULL);
	return 0;
}

static const char *h_source_position(struct sluice_task *t,
				     const char *source_partition)
{
	struct mock_host *m = mock_of(t);
	struct setting *s =
		find_setting(m->positions, m->npositions, source_partition);

	return s ? s->value : NULL;
}

static int h_reject(struct sluice_task *t, const struct sluice_record *rec,
		    const char *reason)
{
	copy_record(&mock_of(t)->rejects, NULL, rec, NULL, NULL, reason);
	return 0;
}

static void h_counter_add(struct sluice_task *t, const char *name,
			  const char *labels, int64_t delta)
{
	struct mock_host *m = mock_of(t);
	const char *l = labels ? labels : "";

	for (size_t i = 0; i < m->ncounters; i++)
		if (!strcmp(m->counters[i].name, name) &&
		    !strcmp(m->counters[i].labels, l)) {
			m->counters[i].sum += delta;
			return;
		}
	m->counters =
		xrealloc(m->counters, (m->ncounters + 1) * sizeof *m->counters);
	m->counters[m->ncounters++] =
		(struct counter){xstrdup(name), xstrdup(l), delta};
}

static void h_gauge_set(struct sluice_task *t, const char *name,
			const char *labels, double value)
{
	(void)t, (void)name, (void)labels, (void)value;
}

static void h_observe(struct sluice_task *t, const char *name,
		      const char *labels, double value)
{
	(void)t, (void)name, (void)labels, (void)value;
}

static void h_request_flush(struct sluice_task *t)
{
	mock_of(t)->flush_requests++;
}

/* The store answers only a plugin that declares it, as the host's does. */
static struct mock_state *store_of(struct sluice_task *t)
{
	struct mock_host *m = mock_of(t);

	if (m->plugin->struct_size <
		    offsetof(struct sluice_plugin, flags) + sizeof(unsigned) ||
	    !(m->plugin->flags & SLUICE_PLUGIN_STATEFUL)) {
		m->misuse++;
		snprintf(m->error, sizeof m->error,
			 "state store used by a plugin that is not "
			 "SLUICE_PLUGIN_STATEFUL");
		return NULL;
	}
	return m->kv;
}

static const void *h_state_get(struct sluice_task *t, const void *key,
			       size_t key_len, size_t *value_len)
{
	struct mock_state *kv = store_of(t);

	return kv ? mock_state_get(kv, key, key_len, value_len) : NULL;
}

static int h_state_put(struct sluice_task *t, const void *key, size_t key_len,
		       const void *value, size_t value_len)
{
	struct mock_state *kv = store_of(t);
	struct mock_host *m = mock_of(t);

	return kv ? mock_state_put(kv, key, key_len, value, value_len, m->error,
				   sizeof m->error)
		  : -1;
}

static int h_state_delete(struct sluice_task *t, const void *key,
			  size_t key_len)
{
	struct mock_state *kv = store_of(t);
	struct mock_host *m = mock_of(t);

	return kv ? mock_state_delete(kv, key, key_len, m->error,
				      sizeof m->error)
		  : -1;
}

static int h_state_foreach(struct sluice_task *t,
			   int (*fn)(void *ctx, const void *key, size_t key_len,
				     const void *value, size_t value_len),
			   void *ctx)
{
	struct mock_state *kv = store_of(t);

	return kv ? mock_state_foreach(kv, fn, ctx) : 0;
}

/* ---- the test-facing side ---- */

struct mock_host *mock_host_new(const struct sluice_plugin *plugin)
{
	struct mock_host *m = xrealloc(NULL, sizeof *m);

	memset(m, 0, sizeof *m);
	m->task.m = m;
	m->plugin = plugin;
	m->task_count = 1;
	m->emits_left = -1;
	m->api = (struct sluice_host){
		.size = sizeof(struct sluice_host),
		.abi_minor = SLUICE_ABI_MINOR,
		.log = h_log,
		.set_error = h_set_error,
		.connector_name = h_connector_name,
		.task_id = h_task_id,
		.task_count = h_task_count,
		.opt_string = h_opt_string,
		.opt_int = h_opt_int,
		.opt_double = h_opt_double,
		.opt_bool = h_opt_bool,
		.opt_size = h_opt_size,
		.opt_duration_ms = h_opt_duration_ms,
		.opt_list = h_opt_list,
		.opt_is_set = h_opt_is_set,
		.emit = h_emit,
		.emit_source = h_emit_source,
		.source_position = h_source_position,
		.reject = h_reject,
		.counter_add = h_counter_add,
		.gauge_set = h_gauge_set,
		.observe = h_observe,
		.request_flush = h_request_flush,
		.state_get = h_state_get,
		.state_put = h_state_put,
		.state_delete = h_state_delete,
		.state_foreach = h_state_foreach,
	};
	m->kv = mock_state_new();
	return m;
}

static void free_settings(struct setting *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

void mock_host_free(struct mock_host *m)
{
	if (!m)
		return;
	mock_host_close(m);
	free_settings(m->opts, m->nopts);
	free_settings(m->positions, m->npositions);
	for (size_t i = 0; i < m->nlists; i++) {
		free(m->lists[i].name);
		free_items(m->lists[i].items);
	}
	free(m->lists);
	for (size_t i = 0; i < m->ncounters; i++) {
		free(m->counters[i].name);
		free(m->counters[i].labels);
	}
	free(m->counters);
	free_records(&m->records);
	free(m->records.v);
	free_records(&m->rejects);
	free(m->rejects.v);
	mock_state_free(m->kv);
	free(m);
}

struct mock_state *mock_host_store(struct mock_host *m)
{
	return m->kv;
}

void mock_host_set(struct mock_host *m, const char *name, const char *value)
{
	put_setting(&m->opts, &m->nopts, name, value);
}

void mock_host_set_task(struct mock_host *m, int id, int count)
{
	m->task_id = id;
	m->task_count = count;
}

void mock_host_set_position(struct mock_host *m, const char *partition,
			    const char *position)
{
	put_setting(&m->positions, &m->npositions, partition, position);
}

void mock_host_fail_emits_after(struct mock_host *m, long n)
{
	m->emits_left = n;
}

enum sluice_status mock_host_open(struct mock_host *m)
{
	enum sluice_status st;

	if (m->open)
		mock_host_close(m);
	m->error[0] = '\0';
	if (mock_host_validate(m))
		return SLUICE_FATAL;
	st = m->plugin->open(&m->task, &m->api, &m->state);
	m->open = st == SLUICE_OK;
	return st;
}

/* Whether the plugin is open and has callback cb; sets an error if not. */
static int can_call(struct mock_host *m, int has_cb, const char *name)
{
	if (m->open && has_cb)
		return 1;
	set_error(m,
		  "mock_host: %s on a task that is not open, or a plugin "
		  "without it",
		  name);
	return 0;
}

/* Drops the records staged since `from`, as the host does after a
 * callback that failed. */
static void unstage(struct mock_host *m, size_t from)
{
	while (m->records.n > from)
		free_record(&m->records.v[--m->records.n]);
}

enum sluice_status mock_host_poll(struct mock_host *m, size_t max)
{
	size_t from = m->records.n;
	enum sluice_status st;

	if (!can_call(m, m->plugin->poll != NULL, "poll"))
		return SLUICE_FATAL;
	st = m->plugin->poll(m->state, &m->task, max);
	if (st != SLUICE_OK && st != SLUICE_DONE)
		unstage(m, from);
	return st;
}

enum sluice_status mock_host_process(struct mock_host *m,
				     const struct sluice_record *in)
{
	size_t from = m->records.n;
	enum sluice_status st;

	if (!can_call(m, m->plugin->process != NULL, "process"))
		return SLUICE_FATAL;
	st = m->plugin->process(m->state, &m->task, in);
	if (st != SLUICE_OK)
		unstage(m, from);
	return st;
}

enum sluice_status mock_host_put(struct mock_host *m,
				 const struct sluice_record *recs, size_t n)
{
	if (!can_call(m, m->plugin->put != NULL, "put"))
		return SLUICE_FATAL;
	return m->plugin->put(m->state, &m->task, recs, n);
}

enum sluice_status mock_host_flush(struct mock_host *m,
				   struct sluice_partition *parts, size_t n,
				   int final)
{
	if (!can_call(m, m->plugin->flush != NULL, "flush"))
		return SLUICE_FATAL;
	return m->plugin->flush(m->state, &m->task, parts, n, final);
}

enum sluice_status mock_host_tick(struct mock_host *m, int64_t now_ms)
{
	if (!can_call(m, m->plugin->tick != NULL, "tick"))
		return SLUICE_FATAL;
	return m->plugin->tick(m->state, &m->task, now_ms);
}

void mock_host_close(struct mock_host *m)
{
	if (m->open && m->plugin->close)
		m->plugin->close(m->state);
	m->open = 0;
	m->state = NULL;
}

const char *mock_host_error(const struct mock_host *m)
{
	return m->error;
}

int mock_host_misuse(const struct mock_host *m)
{
	return m->misuse;
}

int mock_host_flush_requests(const struct mock_host *m)
{
	return m->flush_requests;
}

size_t mock_host_record_count(const struct mock_host *m)
{
	return m->records.n;
}

const struct mock_record *mock_host_record(const struct mock_host *m, size_t i)
{
	return i < m->records.n ? &m->records.v[i] : NULL;
}

void mock_host_clear_records(struct mock_host *m)
{
	free_records(&m->records);
}

size_t mock_host_reject_count(const struct mock_host *m)
{
	return m->rejects.n;
}

const struct mock_record *mock_host_reject(const struct mock_host *m, size_t i)
{
	return i < m->rejects.n ? &m->rejects.v[i] : NULL;
}

const char *mock_record_header(const struct mock_record *r, const char *name)
{
	for (size_t i = 0; i < r->header_count; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

int64_t mock_host_counter(const struct mock_host *m, const char *name,
			  const char *labels)
{
	const char *l = labels ? labels : "";

	for (size_t i = 0; i < m->ncounters; i++)
		if (!strcmp(m->counters[i].name, name) &&
		    !strcmp(m->counters[i].labels, l))
			return m->counters[i].sum;
	return 0;
}

/* ---- sink partitions (added for the sink-s3 tests) ---- */

enum sluice_status mock_host_assign(struct mock_host *m,
				    const struct sluice_partition *parts,
				    size_t n)
{
	if (!can_call(m, 1, "assign"))
		return SLUICE_FATAL;
	if (!m->plugin->assign)
		return SLUICE_OK;
	return m->plugin->assign(m->state, &m->task, parts, n);
}

enum sluice_status mock_host_revoke(struct mock_host *m,
				    const struct sluice_partition *parts,
				    size_t n)
{
	if (!can_call(m, 1, "revoke"))
		return SLUICE_FATAL;
	if (!m->plugin->revoke)
		return SLUICE_OK;
	return m->plugin->revoke(m->state, &m->task, parts, n);
}

void *mock_host_state(const struct mock_host *m)
{
	return m->open ? m->state : NULL;
}
