/*
 * rest_plugins.c - the /connector-plugins paths: the loaded plugins, the
 * option table of one, and checking a configuration against it without
 * writing or running anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"
#include "rest_internal.h"
#include "worker.h"

static const char *type_name(enum sluice_opt_type t)
{
	switch (t) {
	case SLUICE_OPT_STRING:
		return "STRING";
	case SLUICE_OPT_INT:
		return "LONG";
	case SLUICE_OPT_DOUBLE:
		return "DOUBLE";
	case SLUICE_OPT_BOOL:
		return "BOOLEAN";
	case SLUICE_OPT_SIZE:
		return "SIZE";
	case SLUICE_OPT_DURATION:
		return "DURATION";
	case SLUICE_OPT_ENUM:
		return "ENUM";
	case SLUICE_OPT_LIST:
		return "LIST";
	}
	return "STRING";
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *definition(const struct sluice_option *opt)
{
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "name", json_object_new_string(opt->name));
	json_object_object_add(d, "type",
			       json_object_new_string(type_name(opt->type)));
	json_object_object_add(
		d, "required",
		json_object_new_boolean(opt->flags & SLUICE_OPT_REQUIRED));
	json_object_object_add(d, "default_value", str_or_null(opt->def));
	json_object_object_add(
		d, "secret",
		json_object_new_boolean(opt->flags & SLUICE_OPT_SECRET));
	json_object_object_add(d, "documentation", str_or_null(opt->doc));
	if (opt->min)
		json_object_object_add(d, "min",
				       json_object_new_string(opt->min));
	if (opt->max)
		json_object_object_add(d, "max",
				       json_object_new_string(opt->max));
	if (opt->allowed) {
		struct json_object *a = json_object_new_array();
		for (const char *const *v = opt->allowed; *v; v++)
			json_object_array_add(a, json_object_new_string(*v));
		json_object_object_add(d, "allowed", a);
	}
	return d;
}

static void list(struct rest_req *q, struct rest_resp *o)
{
	const struct plugin_registry *reg = &q->r->w->setup->plugins;
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; i < reg->n; i++) {
		const struct sluice_plugin *p = reg->v[i].desc;
		struct json_object *j = json_object_new_object();
		json_object_object_add(j, "class",
				       json_object_new_string(p->name));
		json_object_object_add(
			j, "type",
			json_object_new_string(loader_kind_name(p->kind)));
		json_object_object_add(j, "version",
				       json_object_new_string(p->version));
		json_object_array_add(a, j);
	}
	rest_json(o, MHD_HTTP_OK, a);
}

static void options(struct rest_resp *o, const struct sluice_plugin *p)
{
	struct json_object *a = json_object_new_array();
	for (const struct sluice_option *opt = p->options; opt && opt->name;
	     opt++)
		json_object_array_add(a, definition(opt));
	rest_json(o, MHD_HTTP_OK, a);
}

/* The field a diagnostic is about: its text before ": " when that looks
 * like a field name, else "connector". */
static void field_of(const char *msg, char *buf, size_t len)
{
	size_t n = strcspn(msg, ": '");
	if (n && n < len && !strncmp(msg + n, ": ", 2))
		snprintf(buf, len, "%.*s", (int)n, msg);
	else
		snprintf(buf, len, "connector");
}

static struct json_object *value_entry(const char *name,
				       struct json_object *value,
				       struct json_object *errors)
{
	struct json_object *v = json_object_new_object();
	json_object_object_add(v, "name", json_object_new_string(name));
	json_object_object_add(v, "value", value);
	json_object_object_add(v, "recommended_values",
			       json_object_new_array());
	json_object_object_add(v, "errors", errors);
	json_object_object_add(v, "visible", json_object_new_boolean(1));
	return v;
}

static void validate(struct rest_req *q, struct rest_resp *o,
		     const struct sluice_plugin *p)
{
	char err[256], tmp[512];
	struct json_object *body =
		rest_json_parse_object(q->body, q->body_len, err, sizeof(err));
	if (!body) {
		rest_error(o, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	struct json_object *doc = json_object_new_object();
	struct json_object *v;
	if (!json_object_object_get_ex(body, "name", &v))
		json_object_object_add(doc, "name",
				       json_object_new_string("validate"));
	json_object_object_foreach(body, k, val)
	{
		if (strcmp(k, "plugin"))
			json_object_object_add(doc, k, json_object_get(val));
	}
	json_object_object_add(doc, "plugin", json_object_new_string(p->name));
	char *yaml = rest_json_to_yaml(doc);
	json_object_put(doc);
	const char *base = getenv("TMPDIR");
	snprintf(tmp, sizeof(tmp), "%s/sluice-validate-XXXXXX.yaml",
		 base && *base ? base : "/tmp");
	int fd = yaml ? mkstemps(tmp, 5) : -1;
	size_t len = yaml ? strlen(yaml) : 0;
	if (fd < 0 || write(fd, yaml, len) != (ssize_t)len) {
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(yaml);
		json_object_put(body);
		rest_error(o,
			   yaml ? MHD_HTTP_INTERNAL_SERVER_ERROR
				: MHD_HTTP_BAD_REQUEST,
			   "%s", yaml ? strerror(errno) : "unwritable value");
		return;
	}
	close(fd);
	free(yaml);
	struct diags d = {0};
	struct connector_config *cfg = config_load_connector(tmp, &d);
	if (cfg) {
		struct connector_config *one[1] = {cfg};
		struct connector_list l = {one, 1};
		config_check_plugins(&l, &q->r->w->setup->plugins, &d);
		config_free_connector(cfg);
	}
	unlink(tmp);

	struct json_object *config = NULL;
	json_object_object_get_ex(body, "config", &config);
	int *used = calloc(d.n + 1, sizeof(int));
	if (!used)
		abort();
	struct json_object *configs = json_object_new_array();
	for (const struct sluice_option *opt = p->options; opt && opt->name;
	     opt++) {
		char field[300];
		snprintf(field, sizeof(field), "config.%s", opt->name);
		struct json_object *errors = json_object_new_array();
		for (size_t i = 0; i < d.n; i++) {
			char f[300];
			field_of(d.v[i].msg, f, sizeof(f));
			if (!strcmp(f, field) ||
			    (strstr(d.v[i].msg, opt->name) &&
			     !strncmp(f, "config", 6))) {
				json_object_array_add(
					errors,
					json_object_new_string(d.v[i].msg));
				used[i] = 1;
			}
		}
		struct json_object *given = NULL;
		if (config && json_object_is_type(config, json_type_object))
			json_object_object_get_ex(config, opt->name, &given);
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "definition", definition(opt));
		json_object_object_add(
			e, "value",
			value_entry(opt->name,
				    given ? json_object_get(given) : NULL,
				    errors));
		json_object_array_add(configs, e);
	}
	for (size_t i = 0; i < d.n; i++) {
		if (used[i])
			continue;
		char f[300];
		field_of(d.v[i].msg, f, sizeof(f));
		struct json_object *errors = json_object_new_array();
		json_object_array_add(errors,
				      json_object_new_string(d.v[i].msg));
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "definition", NULL);
		json_object_object_add(e, "value",
				       value_entry(f, NULL, errors));
		json_object_array_add(configs, e);
	}
	free(used);
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(p->name));
	json_object_object_add(j, "error_count", json_object_new_int((int)d.n));
	json_object_object_add(j, "groups", json_object_new_array());
	json_object_object_add(j, "configs", configs);
	rest_json(o, MHD_HTTP_OK, j);
	diags_free(&d);
	json_object_put(body);
}

void rest_plugins(struct rest_req *q, struct rest_resp *o)
{
	if (q->nseg == 1) {
		if (rest_is(q, "GET"))
			list(q, o);
		else
			rest_bad_method(q, o);
		return;
	}
	int cfg = q->nseg == 3 && !strcmp(q->seg[2], "config");
	int val = q->nseg == 4 && !strcmp(q->seg[2], "config") &&
		  !strcmp(q->seg[3], "validate");
	if (!cfg && !val) {
		rest_error(o, MHD_HTTP_NOT_FOUND, "not found");
		return;
	}
	if (!rest_is(q, cfg ? "GET" : "PUT")) {
		rest_bad_method(q, o);
		return;
	}
	const struct plugin *pl =
		registry_find(&q->r->w->setup->plugins, q->seg[1]);
	if (!pl) {
		rest_error(o, MHD_HTTP_NOT_FOUND, "no plugin '%.80s'",
			   q->seg[1]);
		return;
	}
	if (cfg)
		options(o, pl->desc);
	else
		validate(q, o, pl->desc);
}
