/*
 * config_connector.c - connector files (the *.yaml of connectors.d), one
 * connector per file: structure and every check that needs no plugin.
 *
 *   name         required; [a-zA-Z0-9._-]{1,64}, unique across files
 *   plugin       required; the plugin's name (checked against the loaded
 *                plugins in config_plugins.c)
 *   tasks.max    integer 1..256, default 1
 *   topics       input topics: a list, or one topic (sinks, transforms)
 *   topic        the topic of the plugin's default output
 *   outputs      map: plugin output name -> topic; `topic` and `outputs`
 *                may not both name the default output
 *   config       map of plugin options, checked against the plugin's
 *                option table in config_plugins.c
 *   errors.tolerance              none (default) | all
 *   errors.deadletterqueue.topic  required when tolerance is all; unused
 *                                 otherwise
 *   errors.retry.timeout          duration, default 5m
 *   errors.retry.delay.max        duration, default 60s
 *   errors.log.enable             boolean, default true
 *   state.max.bytes               size, default 256MiB: the whole state
 *                                 store of one task (stateful transforms)
 *   state.commit.interval         duration, default 1s: how often the
 *                                 store and the input offsets are saved
 *   state.commit.records          integer, default 2000: inputs after
 *                                 which the store is saved too (0: only
 *                                 the interval)
 *   state.snapshot.bytes          size, default 1MiB: changelog written
 *                                 after which a snapshot is written (at
 *                                 least the last snapshot's size)
 *   transforms   list of {plugin: name, config: {...}}, applied in
 *                process; each plugin must be a transform (checked in
 *                config_plugins.c)
 *
 * Unknown keys are errors with a did-you-mean. A file with any problem
 * is left out entirely: half a connector must never run.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "units.h"

#define CONNECTOR_NAME_MAX 64
#define TASKS_MAX 256

enum connector_key {
	C_NAME,
	C_PLUGIN,
	C_TASKS_MAX,
	C_TOPICS,
	C_TOPIC,
	C_OUTPUTS,
	C_CONFIG,
	C_ERRORS,
	C_TRANSFORMS,
	C_STATE,
	C_COUNT
};

static const char *const connector_keys[C_COUNT] = {
	[C_NAME] = "name",
	[C_PLUGIN] = "plugin",
	[C_TASKS_MAX] = "tasks.max",
	[C_TOPICS] = "topics",
	[C_TOPIC] = "topic",
	[C_OUTPUTS] = "outputs",
	[C_CONFIG] = "config",
	[C_ERRORS] = "errors",
	[C_TRANSFORMS] = "transforms",
	[C_STATE] = "state",
};

static void read_name(const struct config_reader *r, struct connector_config *c,
		      const struct ynode *n)
{
	char *name = NULL, q[64];
	if (config_read_string(r, n, "name", &name) < 0)
		return;
	if (!config_name_ok(name, CONNECTOR_NAME_MAX)) {
		diags_add(r->d, r->file, n->line, n->col,
			  "name: '%s' is not a valid connector name (1 to 64 "
			  "of a-z A-Z 0-9 . _ -)",
			  units_quote(name, q, sizeof q));
		free(name);
		return;
	}
	c->name = name;
	c->line = n->line;
	c->col = n->col;
}

static struct output_map *add_output(struct connector_config *c)
{
	/* Outputs come from `topic` and `outputs` only: grow by one. */
	struct output_map *v = config_alloc((c->outputs_n + 1) * sizeof(*v));
	if (c->outputs_n)
		memcpy(v, c->outputs, c->outputs_n * sizeof(*v));
	free(c->outputs);
	c->outputs = v;
	return &c->outputs[c->outputs_n++];
}

static void read_topic(const struct config_reader *r,
		       struct connector_config *c, const struct ynode *n)
{
	char *topic = NULL;
	if (config_read_topic(r, n, "topic", &topic) < 0)
		return;
	*add_output(c) = (struct output_map){.topic = topic,
					     .line = n->line,
					     .col = n->col,
					     .from_topic = 1};
}

static void read_outputs(const struct config_reader *r,
			 struct connector_config *c, const struct ynode *map)
{
	if (config_expect_map(r, map, "outputs"))
		return;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *kid = map->kids[i];
		char field[300];
		char *topic = NULL;
		snprintf(field, sizeof field, "outputs.%s", kid->key);
		if (config_read_topic(r, kid, field, &topic) < 0)
			continue;
		*add_output(c) = (struct output_map){
			.name = config_strdup(kid->key),
			.topic = topic,
			.line = kid->key_line,
			.col = kid->key_col,
		};
	}
}

static void read_config(const struct config_reader *r, const struct ynode *n,
			const char *field, const struct ynode **out)
{
	if (!config_expect_map(r, n, field))
		*out = n;
}

static void read_errors(const struct config_reader *r, struct error_policy *e,
			const struct ynode *map)
{
	static const char *const keys[] = {"tolerance", "deadletterqueue.topic",
					   "retry.timeout", "retry.delay.max",
					   "log.enable"};
	static const char *const tolerances[] = {"none", "all", NULL};
	const struct ynode *tolerance = NULL;
	int v;
	if (config_expect_map(r, map, "errors"))
		return;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *kid = map->kids[i];
		switch (config_key_index(r, kid, "errors.", keys, 5)) {
		case 0:
			if (!config_read_choice(r, kid, "errors.tolerance",
						tolerances, &v)) {
				e->tolerance =
					v ? TOLERANCE_ALL : TOLERANCE_NONE;
				tolerance = kid;
			}
			break;
		case 1:
			config_read_topic(r, kid,
					  "errors.deadletterqueue.topic",
					  &e->dlq_topic);
			break;
		case 2:
			config_read_duration(r, kid, "errors.retry.timeout",
					     &e->retry_timeout_ms);
			break;
		case 3:
			config_read_duration(r, kid, "errors.retry.delay.max",
					     &e->retry_max_backoff_ms);
			break;
		case 4:
			config_read_bool(r, kid, "errors.log.enable",
					 &e->log_errors);
			break;
		}
	}
	/* Tolerating errors without a place to put the bad records would
	 * drop them silently. */
	if (e->tolerance == TOLERANCE_ALL && !e->dlq_topic)
		diags_add(r->d, r->file, tolerance->line, tolerance->col,
			  "errors.deadletterqueue.topic: required when "
			  "errors.tolerance is all");
}

static void read_state(const struct config_reader *r, struct state_policy *s,
		       const struct ynode *map)
{
	static const char *const keys[] = {"max.bytes", "commit.interval",
					   "snapshot.bytes", "commit.records"};
	int64_t v;
	if (config_expect_map(r, map, "state"))
		return;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *kid = map->kids[i];
		switch (config_key_index(r, kid, "state.", keys, 4)) {
		case 0:
			if (!config_read_size(r, kid, "state.max.bytes", &v)) {
				if (v < 1024)
					diags_add(r->d, r->file, kid->line,
						  kid->col,
						  "state.max.bytes: at least "
						  "1KiB");
				else
					s->max_bytes = v;
			}
			break;
		case 1:
			if (!config_read_duration(
				    r, kid, "state.commit.interval", &v)) {
				if (v < 10)
					diags_add(r->d, r->file, kid->line,
						  kid->col,
						  "state.commit.interval: at "
						  "least 10ms");
				else
					s->commit_interval_ms = v;
			}
			break;
		case 2:
			if (!config_read_size(r, kid, "state.snapshot.bytes",
					      &v)) {
				if (v < 1)
					diags_add(r->d, r->file, kid->line,
						  kid->col,
						  "state.snapshot.bytes: at "
						  "least 1 byte");
				else
					s->snapshot_bytes = v;
			}
			break;
		case 3:
			config_read_int(r, kid, "state.commit.records", 0,
					100000000, &s->commit_records);
			break;
		}
	}
}

static void read_transform(const struct config_reader *r,
			   struct transform_config *t, const struct ynode *item,
			   size_t index)
{
	static const char *const keys[] = {"plugin", "config"};
	char prefix[64], field[300];
	snprintf(prefix, sizeof prefix, "transforms[%zu].", index);
	snprintf(field, sizeof field, "transforms[%zu]", index);
	/* Null too: an empty item names no plugin. */
	if (item->type != YNODE_MAP) {
		config_expected(r, item, field, "a map");
		return;
	}
	for (size_t i = 0; i < item->n; i++) {
		const struct ynode *kid = item->kids[i];
		snprintf(field, sizeof field, "%s%s", prefix, kid->key);
		switch (config_key_index(r, kid, prefix, keys, 2)) {
		case 0:
			if (!config_read_string(r, kid, field, &t->plugin)) {
				t->line = kid->line;
				t->col = kid->col;
			}
			break;
		case 1:
			read_config(r, kid, field, &t->config);
			break;
		}
	}
	if (!ytree_get(item, "plugin"))
		diags_add(r->d, r->file, item->line, item->col,
			  "%splugin: missing required field", prefix);
}

static void read_transforms(const struct config_reader *r,
			    struct connector_config *c, const struct ynode *seq)
{
	if (seq->type == YNODE_SCALAR && ytree_is_null(seq))
		return;
	if (seq->type != YNODE_SEQ) {
		config_expected(r, seq, "transforms", "a list");
		return;
	}
	c->transforms = config_alloc(seq->n * sizeof(*c->transforms));
	c->transforms_n = seq->n;
	for (size_t i = 0; i < seq->n; i++)
		read_transform(r, &c->transforms[i], seq->kids[i], i);
}

static void read_connector_key(const struct config_reader *r,
			       struct connector_config *c,
			       const struct ynode *kid)
{
	switch (config_key_index(r, kid, "", connector_keys, C_COUNT)) {
	case C_NAME:
		read_name(r, c, kid);
		break;
	case C_PLUGIN:
		if (!config_read_string(r, kid, "plugin", &c->plugin)) {
			c->plugin_line = kid->line;
			c->plugin_col = kid->col;
		}
		break;
	case C_TASKS_MAX:
		config_read_int(r, kid, "tasks.max", 1, TASKS_MAX,
				&c->tasks_max);
		break;
	case C_TOPICS:
		config_read_list(r, kid, "topics", config_read_topic,
				 &c->topics, &c->topics_n);
		break;
	case C_TOPIC:
		read_topic(r, c, kid);
		break;
	case C_OUTPUTS:
		read_outputs(r, c, kid);
		break;
	case C_CONFIG:
		read_config(r, kid, "config", &c->config);
		break;
	case C_ERRORS:
		read_errors(r, &c->errors, kid);
		break;
	case C_TRANSFORMS:
		read_transforms(r, c, kid);
		break;
	case C_STATE:
		read_state(r, &c->state, kid);
		break;
	}
}

/* Missing fields have no place of their own: point at the file's start. */
static void require(const struct config_reader *r, const struct ynode *root,
		    const char *key)
{
	if (!ytree_get(root, key))
		diags_add(r->d, r->file, 1, 1, "%s: missing required field",
			  key);
}

struct connector_config *config_load_connector(const char *path,
					       struct diags *d)
{
	size_t before = d->n;
	struct config_reader r = {.file = path, .d = d};
	struct ynode *root = ytree_load_file(path, d);
	if (!root)
		return NULL;
	struct connector_config *c = config_alloc(sizeof(*c));
	c->file = config_strdup(path);
	c->root = root;
	c->tasks_max = 1;
	c->errors = (struct error_policy){
		.tolerance = TOLERANCE_NONE,
		.retry_timeout_ms = 5 * 60 * 1000,
		.retry_max_backoff_ms = 60 * 1000,
		.log_errors = 1,
	};
	c->state = (struct state_policy){
		.max_bytes = 256 * 1024 * 1024,
		.commit_interval_ms = 1000,
		.snapshot_bytes = 1024 * 1024,
		.commit_records = COMMIT_RECORDS,
	};
	int map = config_expect_map(&r, root, NULL);
	for (size_t i = 0; map == 0 && i < root->n; i++)
		read_connector_key(&r, c, root->kids[i]);
	if (map >= 0) {
		require(&r, root, "name");
		require(&r, root, "plugin");
	}
	if (d->n != before) {
		config_free_connector(c);
		return NULL;
	}
	return c;
}

static void free_transform(struct transform_config *t)
{
	free(t->plugin);
	options_free(&t->opts);
}

void config_free_connector(struct connector_config *c)
{
	if (!c)
		return;
	free(c->file);
	free(c->name);
	free(c->plugin);
	config_free_strings(c->topics, c->topics_n);
	for (size_t i = 0; i < c->outputs_n; i++) {
		free(c->outputs[i].name);
		free(c->outputs[i].topic);
	}
	free(c->outputs);
	free(c->errors.dlq_topic);
	options_free(&c->opts);
	for (size_t i = 0; i < c->transforms_n; i++)
		free_transform(&c->transforms[i]);
	free(c->transforms);
	ytree_free(c->root);
	free(c);
}

void config_free_connectors(struct connector_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		config_free_connector(l->v[i]);
	free(l->v);
	*l = (struct connector_list){0};
}

/* ---- a directory of connector files ---- */

static int is_connector_file(const char *dir, const char *name)
{
	const char *dot = strrchr(name, '.');
	struct stat st;
	if (name[0] == '.' || !dot ||
	    (strcmp(dot, ".yaml") && strcmp(dot, ".yml")))
		return 0;
	char *path = config_alloc(strlen(dir) + strlen(name) + 2);
	sprintf(path, "%s/%s", dir, name);
	int regular = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return regular;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The connector file names of `dir`, sorted, so that load order (and
 * with it which duplicate is reported) never depends on readdir. */
static int list_dir(const char *dir, char ***names, size_t *n, struct diags *d)
{
	DIR *dp = opendir(dir);
	if (!dp) {
		if (errno == ENOENT)
			diags_add(d, NULL, 0, 0,
				  "connectors directory '%s' does not exist",
				  dir);
		else
			diags_add(d, NULL, 0, 0,
				  "cannot read connectors directory '%s': %s",
				  dir, strerror(errno));
		return -1;
	}
	size_t cap = 0;
	*names = NULL;
	*n = 0;
	const struct dirent *e;
	while ((e = readdir(dp))) {
		if (!is_connector_file(dir, e->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **v = config_alloc(cap * sizeof(char *));
			if (*n)
				memcpy(v, *names, *n * sizeof(char *));
			free(*names);
			*names = v;
		}
		(*names)[(*n)++] = config_strdup(e->d_name);
	}
	closedir(dp);
	if (*n)
		qsort(*names, *n, sizeof(char *), by_name);
	return 0;
}

static const struct connector_config *find(const struct connector_list *l,
					   const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i]->name, name))
			return l->v[i];
	return NULL;
}

int config_load_connectors(struct connector_list *out, const char *dir,
			   struct diags *d)
{
	char **names;
	size_t n;
	int rc = 0;
	*out = (struct connector_list){0};
	if (list_dir(dir, &names, &n, d) < 0)
		return -1;
	if (n)
		out->v = config_alloc(n * sizeof(*out->v));
	for (size_t i = 0; i < n; i++) {
		char *path = config_alloc(strlen(dir) + strlen(names[i]) + 2);
		sprintf(path, "%s/%s", dir, names[i]);
		struct connector_config *c = config_load_connector(path, d);
		free(path);
		if (!c) {
			rc = -1;
			continue;
		}
		const struct connector_config *first = find(out, c->name);
		if (first) {
			diags_add(d, c->file, c->line, c->col,
				  "duplicate connector name '%s' (first "
				  "defined at %s:%d:%d)",
				  c->name, first->file, first->line,
				  first->col);
			config_free_connector(c);
			rc = -1;
			continue;
		}
		out->v[out->n++] = c;
	}
	config_free_strings(names, n);
	return rc;
}
