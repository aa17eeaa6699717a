/*
 * options.c - plugin option tables and a connector's `config:` map. The
 * same value checks serve the table's defaults (at plugin load) and the
 * user's values, so a default can never be something a user may not
 * write. A secret's value is never put into any message.
 */
#include "options.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define SECRET "<secret>"

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p) {
		fputs("sluice: out of memory\n", stderr);
		abort();
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xcalloc(n, 1), s, n);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *options_type_name(enum sluice_opt_type t)
{
	switch (t) {
	case SLUICE_OPT_STRING:
		return "string";
	case SLUICE_OPT_INT:
		return "int";
	case SLUICE_OPT_DOUBLE:
		return "double";
	case SLUICE_OPT_BOOL:
		return "bool";
	case SLUICE_OPT_SIZE:
		return "size";
	case SLUICE_OPT_DURATION:
		return "duration";
	case SLUICE_OPT_ENUM:
		return "enum";
	case SLUICE_OPT_LIST:
		return "list";
	}
	return "unknown";
}

/* What a value of the type looks like, after "expected". */
static const char *expected(enum sluice_opt_type t)
{
	switch (t) {
	case SLUICE_OPT_INT:
		return "an integer";
	case SLUICE_OPT_DOUBLE:
		return "a number";
	case SLUICE_OPT_BOOL:
		return "true or false";
	case SLUICE_OPT_SIZE:
		return "a size such as 5MiB";
	case SLUICE_OPT_DURATION:
		return "a duration such as 250ms, 30s or 5m";
	case SLUICE_OPT_LIST:
		return "a list of strings";
	default:
		return "a string";
	}
}

static size_t count(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* "a, b, c" (with " and N more" past `limit`) into buf. */
static const char *join(const char *const *items, size_t n, size_t limit,
			char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < limit && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      items[i]);
	if (n > limit && o < len)
		snprintf(buf + o, len - o, " and %zu more", n - limit);
	return buf;
}

static int has_bounds(enum sluice_opt_type t)
{
	return t == SLUICE_OPT_STRING || t == SLUICE_OPT_INT ||
	       t == SLUICE_OPT_DOUBLE || t == SLUICE_OPT_SIZE ||
	       t == SLUICE_OPT_DURATION;
}

/* A bound in the option's syntax; for STRING a length in bytes. */
static int parse_bound(const struct sluice_option *o, const char *s, int64_t *i,
		       double *d, char *err, size_t errlen)
{
	switch (o->type) {
	case SLUICE_OPT_STRING:
		if (units_parse_int(s, i, err, errlen))
			return -1;
		if (*i < 0)
			return fail(err, errlen, "a length cannot be negative");
		return 0;
	case SLUICE_OPT_INT:
		return units_parse_int(s, i, err, errlen);
	case SLUICE_OPT_DOUBLE:
		return units_parse_double(s, d, err, errlen);
	case SLUICE_OPT_SIZE:
		return units_parse_size(s, i, err, errlen);
	case SLUICE_OPT_DURATION:
		return units_parse_duration_ms(s, i, err, errlen);
	default:
		return fail(err, errlen, "no bounds for this type");
	}
}

/* < 0, 0, > 0 as the value is below, within or above `bound`. */
static int compare(const struct sluice_option *o, const char *bound, int64_t i,
		   double d)
{
	int64_t bi = 0;
	double bd = 0;
	parse_bound(o, bound, &bi, &bd, NULL, 0);
	if (o->type == SLUICE_OPT_DOUBLE)
		return (d > bd) - (d < bd);
	return (i > bi) - (i < bi);
}

static int check_allowed(const struct sluice_option *o, const char *s,
			 char *err, size_t errlen)
{
	size_t n = count(o->allowed);
	char q[44], all[256];
	if (!o->allowed)
		return 0;
	for (size_t k = 0; k < n; k++)
		if (!strcmp(s, o->allowed[k]))
			return 0;
	join(o->allowed, n, 10, all, sizeof(all));
	if (o->flags & SLUICE_OPT_SECRET)
		return fail(err, errlen, SECRET " is not one of %s", all);
	const char *near = units_suggest(s, o->allowed, n);
	if (near)
		return fail(err, errlen,
			    "'%s' is not one of %s; did you mean "
			    "'%s'?",
			    units_quote(s, q, sizeof(q)), all, near);
	return fail(err, errlen, "'%s' is not one of %s",
		    units_quote(s, q, sizeof(q)), all);
}

/* Parses one scalar of o's type (a LIST item for LIST) and checks it
 * against the bounds and allowed values. */
static int parse_value(const struct sluice_option *o, const char *s, int64_t *i,
		       double *d, char *err, size_t errlen)
{
	int secret = o->flags & SLUICE_OPT_SECRET, b = 0, r = 0;
	char q[44];
	*i = 0;
	*d = 0;
	switch (o->type) {
	case SLUICE_OPT_STRING:
		*i = (int64_t)strlen(s);
		break;
	case SLUICE_OPT_INT:
		r = units_parse_int(s, i, err, errlen);
		break;
	case SLUICE_OPT_DOUBLE:
		r = units_parse_double(s, d, err, errlen);
		break;
	case SLUICE_OPT_BOOL:
		r = units_parse_bool(s, &b, err, errlen);
		*i = b;
		break;
	case SLUICE_OPT_SIZE:
		r = units_parse_size(s, i, err, errlen);
		break;
	case SLUICE_OPT_DURATION:
		r = units_parse_duration_ms(s, i, err, errlen);
		break;
	case SLUICE_OPT_ENUM:
	case SLUICE_OPT_LIST:
		return check_allowed(o, s, err, errlen);
	}
	if (r && secret)
		return fail(err, errlen, "expected %s, got " SECRET,
			    expected(o->type));
	if (r)
		return -1;

	const char *shown = secret ? SECRET : units_quote(s, q, sizeof(q));
	if (o->type == SLUICE_OPT_STRING) {
		const char *qm = secret ? "" : "'"; /* strings are quoted */
		if (o->min && compare(o, o->min, *i, 0) < 0)
			return fail(err, errlen,
				    "%s%s%s is shorter than the minimum of %s "
				    "bytes",
				    qm, shown, qm, o->min);
		if (o->max && compare(o, o->max, *i, 0) > 0)
			return fail(err, errlen,
				    "%s%s%s is longer than the maximum of %s "
				    "bytes",
				    qm, shown, qm, o->max);
		return 0;
	}
	if (o->min && compare(o, o->min, *i, *d) < 0)
		return fail(err, errlen, "%s is below the minimum %s", shown,
			    o->min);
	if (o->max && compare(o, o->max, *i, *d) > 0)
		return fail(err, errlen, "%s is above the maximum %s", shown,
			    o->max);
	return 0;
}

/* Splits a LIST default "a, b" into trimmed items. */
static char **split_list(const char *s, size_t *n)
{
	size_t cap = 1;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	char **v = xcalloc(cap + 1, sizeof(*v));
	*n = 0;
	while (*s == ' ')
		s++;
	if (!*s)
		return v;
	for (;;) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		while (len && s[len - 1] == ' ')
			len--;
		v[*n] = xcalloc(len + 1, 1);
		memcpy(v[*n], s, len);
		(*n)++;
		if (!end)
			return v;
		s = end + 1;
		while (*s == ' ')
			s++;
	}
}

static void free_list(char **v)
{
	for (size_t k = 0; v && v[k]; k++)
		free(v[k]);
	free(v);
}

static int check_list_default(const struct sluice_option *o, char *err,
			      size_t errlen)
{
	size_t n;
	char **v = split_list(o->def, &n);
	int r = 0;
	for (size_t k = 0; k < n && !r; k++)
		r = check_allowed(o, v[k], err, errlen);
	free_list(v);
	return r;
}

static int name_ok(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		      *s == '-'))
			return 0;
	return 1;
}

static int check_option(const struct sluice_option *t, size_t idx, char *err,
			size_t errlen)
{
	const struct sluice_option *o = &t[idx];
	char q[128], e[256];
	const char *name = units_quote(o->name, q, sizeof(q));
	int64_t lo = 0, hi = 0, i;
	double dlo = 0, dhi = 0, d;

	if (!name_ok(o->name))
		return fail(err, errlen,
			    "option '%s': a name is letters, digits, '.', '_' "
			    "and '-', starting with a letter",
			    name);
	for (size_t k = 0; k < idx; k++)
		if (!strcmp(t[k].name, o->name))
			return fail(err, errlen,
				    "option '%s' is declared twice", name);
	if (o->type < SLUICE_OPT_STRING || o->type > SLUICE_OPT_LIST)
		return fail(err, errlen, "option '%s': unknown type %d", name,
			    (int)o->type);
	if (o->flags & ~(SLUICE_OPT_REQUIRED | SLUICE_OPT_SECRET))
		return fail(err, errlen, "option '%s': unknown flags 0x%x",
			    name, o->flags);
	if ((o->min || o->max) && !has_bounds(o->type))
		return fail(err, errlen,
			    "option '%s': min and max do not apply to %s "
			    "options",
			    name, options_type_name(o->type));
	if (o->allowed && o->type != SLUICE_OPT_ENUM &&
	    o->type != SLUICE_OPT_LIST)
		return fail(err, errlen,
			    "option '%s': allowed values apply only to enum "
			    "and list options",
			    name);
	if (o->type == SLUICE_OPT_ENUM && !count(o->allowed))
		return fail(err, errlen,
			    "option '%s': an enum needs allowed values", name);
	for (size_t k = 0; k < count(o->allowed); k++)
		for (size_t j = 0; j < k; j++)
			if (!strcmp(o->allowed[j], o->allowed[k]))
				return fail(err, errlen,
					    "option '%s': allowed value '%s' "
					    "is listed twice",
					    name, o->allowed[k]);
	if (o->min && parse_bound(o, o->min, &lo, &dlo, e, sizeof(e)))
		return fail(err, errlen, "option '%s': bad min: %s", name, e);
	if (o->max && parse_bound(o, o->max, &hi, &dhi, e, sizeof(e)))
		return fail(err, errlen, "option '%s': bad max: %s", name, e);
	if (o->min && o->max &&
	    (o->type == SLUICE_OPT_DOUBLE ? dlo > dhi : lo > hi))
		return fail(err, errlen,
			    "option '%s': min %s is greater than max %s", name,
			    o->min, o->max);
	if (!o->def)
		return 0;
	if (o->type == SLUICE_OPT_LIST
		    ? check_list_default(o, e, sizeof(e))
		    : parse_value(o, o->def, &i, &d, e, sizeof(e)))
		return fail(err, errlen, "option '%s': bad default: %s", name,
			    e);
	return 0;
}

int options_check_table(const struct sluice_option *table, char *err,
			size_t errlen)
{
	for (size_t i = 0; table && table[i].name; i++)
		if (check_option(table, i, err, errlen))
			return -1;
	return 0;
}

static void clear_value(struct optval *v)
{
	free(v->text);
	free_list(v->list);
	free(v->shown);
	free(v->at);
	v->at = NULL;
	v->text = NULL;
	v->list = NULL;
	v->shown = NULL;
	v->list_n = 0;
}

static void set_list(struct optval *v, char **list, size_t n)
{
	size_t len = 1;
	for (size_t k = 0; k < n; k++)
		len += strlen(list[k]) + 2;
	clear_value(v);
	v->list = list;
	v->list_n = n;
	v->shown = xcalloc(len, 1);
	join((const char *const *)list, n, n, v->shown, len);
	v->has_value = 1;
}

static void apply_default(struct optval *v, const char *plugin,
			  const char *file, struct diags *d)
{
	const struct sluice_option *o = v->decl;
	char e[256];
	int64_t i;
	double dv;
	if (!o->def)
		return;
	if (o->type == SLUICE_OPT_LIST) {
		size_t n;
		if (check_list_default(o, e, sizeof(e)) == 0) {
			char **list = split_list(o->def, &n);
			set_list(v, list, n);
			return;
		}
	} else if (parse_value(o, o->def, &i, &dv, e, sizeof(e)) == 0) {
		if (o->type == SLUICE_OPT_DOUBLE)
			v->num.d = dv;
		else
			v->num.i = i;
		v->text = xstrdup(o->def);
		v->has_value = 1;
		return;
	}
	/* Only reachable when the loader did not check the table. */
	diags_add(d, file, 0, 0, "plugin '%s': option '%s': bad default: %s",
		  plugin, o->name, e);
}

/* A problem with the value of a declared option (or of its item). */
static void problem(struct diags *d, const char *file, const struct ynode *n,
		    const char *name, long item, const char *msg)
{
	if (item >= 0)
		diags_add(d, file, n->line, n->col, "config.%s[%ld]: %s", name,
			  item, msg);
	else
		diags_add(d, file, n->line, n->col, "config.%s: %s", name, msg);
}

static void parse_list(struct optval *v, const struct ynode *n,
		       const char *file, struct diags *d)
{
	const struct sluice_option *o = v->decl;
	const struct ynode *const *items = (const struct ynode *const *)n->kids;
	size_t cnt = n->n, bad = 0;
	long index = 0;
	char e[320];
	if (n->type == YNODE_MAP) {
		snprintf(e, sizeof(e), "expected %s, got a map",
			 expected(o->type));
		problem(d, file, n, o->name, -1, e);
		return;
	}
	if (n->type == YNODE_SCALAR) {
		items = &n;
		cnt = 1;
		index = -1; /* one scalar: no [i] in messages */
	}
	for (size_t k = 0; k < cnt; k++) {
		const struct ynode *it = items[k];
		long at = index < 0 ? -1 : (long)k;
		int64_t i;
		double dv;
		if (it->type != YNODE_SCALAR) {
			snprintf(e, sizeof(e), "expected a string, got a %s",
				 ytree_type_name(it->type));
			problem(d, file, it, o->name, at, e);
			bad++;
		} else if (ytree_is_null(it)) {
			problem(d, file, it, o->name, at,
				"a value is required");
			bad++;
		} else if (parse_value(o, it->value, &i, &dv, e, sizeof(e))) {
			problem(d, file, it, o->name, at, e);
			bad++;
		}
	}
	if (bad)
		return;
	char **list = xcalloc(cnt + 1, sizeof(*list));
	for (size_t k = 0; k < cnt; k++)
		list[k] = xstrdup(items[k]->value);
	set_list(v, list, cnt);
	v->at = xcalloc(cnt, sizeof(*v->at));
	for (size_t k = 0; k < cnt; k++)
		v->at[k] = (struct optpos){items[k]->line, items[k]->col,
					   items[k]->style};
	v->set = 1;
	v->line = n->line;
	v->col = n->col;
}

/* One `config:` entry for a declared option. Returns 1 when the option
 * counts as given (even if its value was bad), 0 for a null STRING. */
static int parse_entry(struct optval *v, const struct ynode *n,
		       const char *file, struct diags *d)
{
	const struct sluice_option *o = v->decl;
	char e[320];
	int64_t i;
	double dv;
	if (ytree_is_null(n)) {
		if (o->type == SLUICE_OPT_STRING)
			return 0;
		problem(d, file, n, o->name, -1, "a value is required");
		return 1;
	}
	if (o->type == SLUICE_OPT_LIST) {
		parse_list(v, n, file, d);
		return 1;
	}
	if (n->type != YNODE_SCALAR) {
		snprintf(e, sizeof(e), "expected %s, got a %s",
			 expected(o->type), ytree_type_name(n->type));
		problem(d, file, n, o->name, -1, e);
		return 1;
	}
	if (parse_value(o, n->value, &i, &dv, e, sizeof(e))) {
		problem(d, file, n, o->name, -1, e);
		return 1;
	}
	clear_value(v);
	v->text = xstrdup(n->value);
	if (o->type == SLUICE_OPT_DOUBLE)
		v->num.d = dv;
	else
		v->num.i = i;
	v->set = 1;
	v->has_value = 1;
	v->line = n->line;
	v->col = n->col;
	return 1;
}

static void unknown_key(const struct optset *set, const char *plugin,
			const struct ynode *n, const char *file,
			struct diags *d)
{
	char q[128], msg[512], all[256];
	const char **names = xcalloc(set->n, sizeof(*names));
	const char *nested = NULL, *near;
	size_t klen = strlen(n->key);
	for (size_t i = 0; i < set->n; i++) {
		names[i] = set->decls[i].name;
		if (!nested && !strncmp(names[i], n->key, klen) &&
		    names[i][klen] == '.')
			nested = names[i];
	}
	units_quote(plugin, q, sizeof(q));
	if (!set->n)
		snprintf(msg, sizeof(msg), "plugin '%s' takes no options", q);
	else if (n->type == YNODE_MAP && nested)
		snprintf(msg, sizeof(msg),
			 "unknown option for plugin '%s'; options are not "
			 "nested: write '%s: ...'",
			 q, nested);
	else if ((near = units_suggest(n->key, names, set->n)))
		snprintf(msg, sizeof(msg),
			 "unknown option for plugin '%s'; did you mean '%s'?",
			 q, near);
	else
		snprintf(msg, sizeof(msg),
			 "unknown option for plugin '%s'; known options: %s", q,
			 join(names, set->n, 6, all, sizeof(all)));
	units_quote(n->key, q, sizeof(q));
	diags_add(d, file, n->key_line, n->key_col, "config.%s: %s", q, msg);
	free(names);
}

static const struct sluice_option *find_decl(const struct optset *set,
					     const char *name, size_t *idx)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->decls[i].name, name)) {
			*idx = i;
			return &set->decls[i];
		}
	return NULL;
}

int options_parse(struct optset *set, const struct sluice_option *table,
		  const char *plugin, const struct ynode *config,
		  const char *file, struct diags *d)
{
	size_t before = d->n, n = 0;
	while (table && table[n].name)
		n++;
	*set = (struct optset){.decls = table,
			       .vals = xcalloc(n, sizeof(struct optval)),
			       .n = n};
	for (size_t i = 0; i < n; i++) {
		set->vals[i].decl = &table[i];
		apply_default(&set->vals[i], plugin, file, d);
	}

	unsigned char *given = xcalloc(n, 1);
	if (config && config->type != YNODE_MAP && !ytree_is_null(config)) {
		diags_add(d, file, config->line, config->col,
			  "config: expected a map, got a %s",
			  ytree_type_name(config->type));
		free(given);
		return -1;
	}
	for (size_t k = 0; config && k < config->n; k++) {
		const struct ynode *kid = config->kids[k];
		size_t i;
		if (!find_decl(set, kid->key, &i))
			unknown_key(set, plugin, kid, file, d);
		else
			given[i] |= parse_entry(&set->vals[i], kid, file, d);
	}

	/* Point at the `config:` key, where the option should be added. */
	int line = 0, col = 0;
	if (config) {
		line = config->key ? config->key_line : config->line;
		col = config->key ? config->key_col : config->col;
	}
	for (size_t i = 0; i < n; i++)
		if ((table[i].flags & SLUICE_OPT_REQUIRED) && !given[i])
			diags_add(d, file, line, col,
				  "config: missing required option '%s' "
				  "(plugin '%s')",
				  table[i].name, plugin);
	free(given);
	return d->n == before ? 0 : -1;
}

void options_free(struct optset *set)
{
	for (size_t i = 0; i < set->n; i++)
		clear_value(&set->vals[i]);
	free(set->vals);
	*set = (struct optset){0};
}

const struct optval *options_find(const struct optset *set, const char *name)
{
	size_t i;
	if (!set || !find_decl(set, name, &i))
		return NULL;
	return &set->vals[i];
}

const char *options_display(const struct optval *v)
{
	if (!v || !v->has_value)
		return "";
	if (v->decl->flags & SLUICE_OPT_SECRET)
		return SECRET;
	if (v->decl->type == SLUICE_OPT_LIST)
		return v->shown ? v->shown : "";
	return v->text ? v->text : "";
}
