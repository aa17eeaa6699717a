/*
 * rest_connectors.c - the /connectors paths of the REST API.
 *
 * A connector's configuration in REST is its connector file as JSON
 * (name, plugin, tasks.max, topics, outputs, config, errors, transforms).
 * Creating or changing one writes connectors.d/<name>.yaml (or the file
 * that already defines it) atomically, after checking it the way a
 * reload does, and then applies connectors.d through the main loop
 * exactly as SIGHUP does, so a changed connector restarts and a deleted
 * one stops. Values of options a plugin declares secret are shown as
 * "[hidden]".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connector.h"
#include "control.h"
#include "kafka.h"
#include "reload.h"
#include "rest_internal.h"
#include "worker.h"

#define CONNECTOR_NAME_MAX 64

struct connector *rest_find(struct worker *w, const char *name)
{
	for (size_t i = 0; i < w->conns_n; i++)
		if (!strcmp(w->conns[i]->cfg->name, name))
			return w->conns[i];
	return NULL;
}

const char *rest_task_state(const struct connector *c, int id)
{
	const struct sluice_task *t = c->tasks[id];
	if (!t)
		return "UNASSIGNED";
	int target = atomic_load(&c->target);
	switch ((enum task_state)atomic_load(&t->state_)) {
	case TASK_NEW:
		return "UNASSIGNED";
	case TASK_RUNNING:
		return target == CONNECTOR_PAUSED ? "PAUSED" : "RUNNING";
	case TASK_FAILED:
		return "FAILED";
	case TASK_FINISHED:
		return "FINISHED";
	case TASK_STOPPED:
		return target == CONNECTOR_PAUSED ? "PAUSED" : "STOPPED";
	}
	return "UNASSIGNED";
}

const char *rest_connector_state(const struct connector *c)
{
	switch (atomic_load(&c->target)) {
	case CONNECTOR_PAUSED:
		return "PAUSED";
	case CONNECTOR_STOPPED:
		return "STOPPED";
	default:
		break;
	}
	int failed = 0;
	for (int i = 0; i < c->tasks_n; i++)
		failed += !strcmp(rest_task_state(c, i), "FAILED");
	return c->tasks_n && failed == c->tasks_n ? "FAILED" : "RUNNING";
}

static const char *kind_name(const struct connector *c)
{
	switch (c->plugin->kind) {
	case SLUICE_KIND_SOURCE:
		return "source";
	case SLUICE_KIND_SINK:
		return "sink";
	default:
		return "transform";
	}
}

/* Secret options of the connector's plugin ("config.<name>"). */
static int mask_secret(const char *path, void *ctx)
{
	const struct connector *c = ctx;
	if (strncmp(path, "config.", 7) || !c->plugin->options)
		return 0;
	for (const struct sluice_option *o = c->plugin->options; o->name; o++)
		if (!strcmp(o->name, path + 7))
			return (o->flags & SLUICE_OPT_SECRET) != 0;
	return 0;
}

static struct json_object *config_json(const struct connector *c)
{
	return rest_ynode_to_json(c->cfg->root, mask_secret, (void *)c);
}

static struct json_object *tasks_ids(const struct connector *c)
{
	struct json_object *a = json_object_new_array();
	for (int i = 0; i < c->tasks_n; i++) {
		struct json_object *t = json_object_new_object();
		json_object_object_add(t, "connector",
				       json_object_new_string(c->cfg->name));
		json_object_object_add(t, "task", json_object_new_int(i));
		json_object_array_add(a, t);
	}
	return a;
}

static struct json_object *info_json(const struct connector *c)
{
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(c->cfg->name));
	json_object_object_add(j, "config", config_json(c));
	json_object_object_add(j, "tasks", tasks_ids(c));
	json_object_object_add(j, "type", json_object_new_string(kind_name(c)));
	return j;
}

static struct json_object *task_status(const struct rest *r,
				       const struct connector *c, int id)
{
	struct json_object *t = json_object_new_object();
	const char *st = rest_task_state(c, id);
	json_object_object_add(t, "id", json_object_new_int(id));
	json_object_object_add(t, "state", json_object_new_string(st));
	json_object_object_add(t, "worker_id",
			       json_object_new_string(r->worker_id));
	if (!strcmp(st, "FAILED"))
		json_object_object_add(
			t, "trace",
			json_object_new_string(c->tasks[id]->error));
	return t;
}

static struct json_object *status_json(const struct rest *r,
				       const struct connector *c)
{
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(c->cfg->name));
	struct json_object *cs = json_object_new_object();
	json_object_object_add(cs, "state",
			       json_object_new_string(rest_connector_state(c)));
	json_object_object_add(cs, "worker_id",
			       json_object_new_string(r->worker_id));
	json_object_object_add(j, "connector", cs);
	struct json_object *a = json_object_new_array();
	for (int i = 0; i < c->tasks_n; i++)
		json_object_array_add(a, task_status(r, c, i));
	json_object_object_add(j, "tasks", a);
	json_object_object_add(j, "type", json_object_new_string(kind_name(c)));
	return j;
}

/* ---- GET /connectors ---- */

struct expand {
	int status, info;
};

static enum MHD_Result expand_arg(void *cls, enum MHD_ValueKind kind,
				  const char *key, const char *value)
{
	(void)kind;
	struct expand *e = cls;
	if (key && value && !strcmp(key, "expand")) {
		e->status |= !strcmp(value, "status");
		e->info |= !strcmp(value, "info");
	}
	return MHD_YES;
}

static void list(struct rest_req *q, struct rest_resp *o)
{
	struct expand e = {0};
	MHD_get_connection_values(q->conn, MHD_GET_ARGUMENT_KIND, expand_arg,
				  &e);
	struct worker *w = q->r->w;
	struct json_object *j = e.status || e.info ? json_object_new_object()
						   : json_object_new_array();
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->conns_n; i++) {
		const struct connector *c = w->conns[i];
		if (!e.status && !e.info) {
			json_object_array_add(
				j, json_object_new_string(c->cfg->name));
			continue;
		}
		struct json_object *one = json_object_new_object();
		if (e.status)
			json_object_object_add(one, "status",
					       status_json(q->r, c));
		if (e.info)
			json_object_object_add(one, "info", info_json(c));
		json_object_object_add(j, c->cfg->name, one);
	}
	pthread_mutex_unlock(&w->lock);
	rest_json(o, MHD_HTTP_OK, j);
}

/* ---- writing connectors.d ---- */

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Writes text to a new temporary file in dir; its path in tmp. */
static int write_temp(const char *dir, const char *name, const char *text,
		      char *tmp, size_t len, char *err, size_t errlen)
{
	snprintf(tmp, len, "%s/.%s.yaml.XXXXXX", dir, name);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file in %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	size_t n = strlen(text), off = 0;
	while (off < n) {
		ssize_t r = write(fd, text + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	int bad = off < n || fchmod(fd, 0644) || fsync(fd);
	if (close(fd))
		bad = 1;
	if (bad) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The diagnostics as the 400 answer: Kafka Connect's wording, then one
 * line per problem (without the temporary file's name). */
static void invalid(struct rest_resp *o, const struct diags *d)
{
	struct sbuf b = {0};
	sbuf_printf(&b,
		    "Connector configuration is invalid and contains the "
		    "following %zu error(s):",
		    d->n);
	for (size_t i = 0; i < d->n; i++)
		sbuf_printf(&b, "\n%d:%d: %s", d->v[i].line, d->v[i].col,
			    d->v[i].msg);
	rest_error(o, MHD_HTTP_BAD_REQUEST, "%s", b.p);
	free(b.p);
}

/* Loads and checks the temporary file like a reload would. NULL with
 * diagnostics when it is not valid. */
static struct connector_config *check_file(struct worker *w, const char *path,
					   struct diags *d)
{
	struct connector_config *cfg = config_load_connector(path, d);
	if (!cfg)
		return NULL;
	struct connector_config *one[1] = {cfg};
	struct connector_list l = {one, 1};
	if (config_check_plugins(&l, &w->setup->plugins, d)) {
		config_free_connector(cfg);
		return NULL;
	}
	return cfg;
}

/* {"name": name, ...fields} as the YAML of a connector file. */
static char *document(const char *name, struct json_object *fields)
{
	struct json_object *doc = json_object_new_object();
	json_object_object_add(doc, "name", json_object_new_string(name));
	json_object_object_foreach(fields, k, v)
	{
		if (strcmp(k, "name"))
			json_object_object_add(doc, k, json_object_get(v));
	}
	char *yaml = rest_json_to_yaml(doc);
	json_object_put(doc);
	return yaml;
}

/* Writes, checks and applies a connector's configuration; `create` is 1
 * for POST (an existing name is a conflict). */
static void put_config(struct rest_req *q, struct rest_resp *o,
		       const char *name, struct json_object *fields, int create)
{
	struct rest *r = q->r;
	struct worker *w = r->w;
	const char *dir = w->setup->worker.connectors_dir;
	char path[4096], tmp[4096], err[512];
	struct diags d = {0};
	struct connector_config *cfg = NULL;

	if (!config_name_ok(name, CONNECTOR_NAME_MAX)) {
		rest_error(o, MHD_HTTP_BAD_REQUEST,
			   "'%.80s' is not a valid connector name (1 to 64 of "
			   "a-z A-Z 0-9 . _ -)",
			   name);
		return;
	}
	struct json_object *given;
	if (json_object_object_get_ex(fields, "name", &given) &&
	    (!json_object_is_type(given, json_type_string) ||
	     strcmp(json_object_get_string(given), name))) {
		rest_error(o, MHD_HTTP_BAD_REQUEST,
			   "the name in the configuration is not '%s'", name);
		return;
	}
	pthread_mutex_lock(&r->write_lock);
	snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
	pthread_mutex_lock(&w->lock);
	struct connector *c = rest_find(w, name);
	int exists = c != NULL;
	if (c)
		snprintf(path, sizeof(path), "%s", c->cfg->file);
	pthread_mutex_unlock(&w->lock);
	if (!exists && access(path, F_OK) == 0)
		exists = 1; /* written but not running (yet) */
	if (create && exists) {
		rest_error(o, MHD_HTTP_CONFLICT,
			   "connector '%s' already exists", name);
		goto out;
	}
	char *yaml = document(name, fields);
	if (!yaml) {
		rest_error(o, MHD_HTTP_BAD_REQUEST,
			   "the configuration holds a value that cannot be "
			   "written (not a finite number)");
		goto out;
	}
	int wrote =
		write_temp(dir, name, yaml, tmp, sizeof(tmp), err, sizeof(err));
	free(yaml);
	if (wrote) {
		rest_error(o, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		goto out;
	}
	cfg = check_file(w, tmp, &d);
	if (!cfg) {
		unlink(tmp);
		invalid(o, &d);
		goto out;
	}
	if (rename(tmp, path) || fsync_dir(dir)) {
		rest_error(o, MHD_HTTP_INTERNAL_SERVER_ERROR,
			   "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	uint64_t fp = reload_fingerprint(cfg);
	char msg[256];
	int rc = control_call(w->control, CONTROL_APPLY, NULL,
			      REST_COMMAND_WAIT_MS, msg, sizeof(msg));
	if (rc < 0) {
		rest_error(o, MHD_HTTP_SERVICE_UNAVAILABLE,
			   "written to %s, not applied: %s", path, msg);
		goto out;
	}
	pthread_mutex_lock(&w->lock);
	c = rest_find(w, name);
	if (c && c->fingerprint == fp) {
		rest_json(o, exists ? MHD_HTTP_OK : MHD_HTTP_CREATED,
			  info_json(c));
	} else if (rc == 1) {
		struct json_object *j = json_object_new_object();
		json_object_object_add(j, "name", json_object_new_string(name));
		json_object_object_add(
			j, "config", rest_ynode_to_json(cfg->root, NULL, NULL));
		json_object_object_add(j, "tasks", json_object_new_array());
		rest_json(o, MHD_HTTP_ACCEPTED, j);
	} else {
		rest_error(o, MHD_HTTP_INTERNAL_SERVER_ERROR,
			   "written to %s, but the worker could not start it "
			   "(see its log)",
			   path);
	}
	pthread_mutex_unlock(&w->lock);
out:
	pthread_mutex_unlock(&r->write_lock);
	config_free_connector(cfg);
	diags_free(&d);
}

static void create(struct rest_req *q, struct rest_resp *o)
{
	char err[256];
	struct json_object *j =
		rest_json_parse_object(q->body, q->body_len, err, sizeof(err));
	if (!j) {
		rest_error(o, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	struct json_object *name, *config;
	if (!json_object_object_get_ex(j, "name", &name) ||
	    !json_object_is_type(name, json_type_string))
		rest_error(o, MHD_HTTP_BAD_REQUEST,
			   "expected {\"name\": \"...\", \"config\": {...}}: "
			   "no name");
	else if (!json_object_object_get_ex(j, "config", &config) ||
		 !json_object_is_type(config, json_type_object))
		rest_error(o, MHD_HTTP_BAD_REQUEST,
			   "expected {\"name\": \"...\", \"config\": {...}}: "
			   "no config object");
	else
		put_config(q, o, json_object_get_string(name), config, 1);
	json_object_put(j);
}

static void update(struct rest_req *q, struct rest_resp *o, const char *name)
{
	char err[256];
	struct json_object *j =
		rest_json_parse_object(q->body, q->body_len, err, sizeof(err));
	if (!j) {
		rest_error(o, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	put_config(q, o, name, j, 0);
	json_object_put(j);
}

static void delete (struct rest_req *q, struct rest_resp *o, const char *name)
{
	struct rest *r = q->r;
	struct worker *w = r->w;
	char path[4096], msg[256];
	pthread_mutex_lock(&r->write_lock);
	pthread_mutex_lock(&w->lock);
	struct connector *c = rest_find(w, name);
	if (c)
		snprintf(path, sizeof(path), "%s", c->cfg->file);
	pthread_mutex_unlock(&w->lock);
	if (!c) {
		rest_error(o, MHD_HTTP_NOT_FOUND, "no connector '%s'", name);
	} else if (unlink(path) && errno != ENOENT) {
		rest_error(o, MHD_HTTP_INTERNAL_SERVER_ERROR,
			   "cannot remove %s: %s", path, strerror(errno));
	} else {
		fsync_dir(w->setup->worker.connectors_dir);
		int rc = control_call(w->control, CONTROL_APPLY, NULL,
				      REST_COMMAND_WAIT_MS, msg, sizeof(msg));
		if (rc < 0)
			rest_error(o, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "removed %s, not applied: %s", path, msg);
		else
			o->status =
				rc ? MHD_HTTP_ACCEPTED : MHD_HTTP_NO_CONTENT;
	}
	pthread_mutex_unlock(&r->write_lock);
}

/* ---- state changes ---- */

static void command(struct rest_req *q, struct rest_resp *o, const char *name,
		    enum control_op op, int ok_status)
{
	char msg[256];
	int rc = control_call(q->r->w->control, op, name, REST_COMMAND_WAIT_MS,
			      msg, sizeof(msg));
	if (rc == 0)
		o->status = ok_status;
	else if (rc == 1)
		o->status = MHD_HTTP_ACCEPTED;
	else if (strstr(msg, "no connector"))
		rest_error(o, MHD_HTTP_NOT_FOUND, "%s", msg);
	else if (strstr(msg, "stopping"))
		rest_error(o, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", msg);
	else if (strstr(msg, "resume it first"))
		rest_error(o, MHD_HTTP_CONFLICT, "%s", msg);
	else
		rest_error(o, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", msg);
}

/* ---- topics and offsets ---- */

static struct json_object *topics_json(const struct connector *c)
{
	struct json_object *a = json_object_new_array();
	const struct connector_config *cfg = c->cfg;
	for (size_t i = 0; i < cfg->topics_n; i++)
		json_object_array_add(a,
				      json_object_new_string(cfg->topics[i]));
	for (size_t i = 0; i < cfg->outputs_n; i++)
		json_object_array_add(
			a, json_object_new_string(cfg->outputs[i].topic));
	if (cfg->errors.dlq_topic)
		json_object_array_add(
			a, json_object_new_string(cfg->errors.dlq_topic));
	struct json_object *t = json_object_new_object();
	json_object_object_add(t, "topics", a);
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, cfg->name, t);
	return j;
}

static void source_offsets(struct worker *w, const char *name,
			   struct json_object *a)
{
	struct offset_store *s = &w->offsets;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].connector, name))
			continue;
		struct json_object *p = json_object_new_object();
		json_object_object_add(
			p, "source_partition",
			json_object_new_string(s->v[i].source_partition));
		struct json_object *v = json_object_new_object();
		json_object_object_add(
			v, "position",
			json_object_new_string(s->v[i].position));
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "partition", p);
		json_object_object_add(e, "offset", v);
		json_object_array_add(a, e);
	}
	pthread_mutex_unlock(&s->lock);
}

/* The group's committed offsets of every partition of `topics`, asked
 * of the cluster with a client of its own (bounded). */
static int group_offsets(struct worker *w, const char *group, char **topics,
			 size_t n, struct json_object *a, char *err,
			 size_t errlen)
{
	const char *extra[] = {"group.id", group, NULL};
	rd_kafka_conf_t *conf = kafka_conf(&w->setup->worker, w->bootstraps,
					   extra, err, errlen);
	if (!conf)
		return -1;
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	int rc = 0;
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(16);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topics[i], NULL);
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, 5000);
		if (e) {
			snprintf(err, errlen, "metadata of %s: %s", topics[i],
				 rd_kafka_err2str(e));
			rc = -1;
		} else if (md->topic_cnt == 1) {
			for (int p = 0; p < md->topics[0].partition_cnt; p++)
				rd_kafka_topic_partition_list_add(
					l, topics[i],
					md->topics[0].partitions[p].id);
		}
		if (md)
			rd_kafka_metadata_destroy(md);
		rd_kafka_topic_destroy(t);
	}
	if (rc == 0 && l->cnt) {
		rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, 5000);
		if (e) {
			snprintf(err, errlen, "committed offsets: %s",
				 rd_kafka_err2str(e));
			rc = -1;
		}
	}
	for (int i = 0; rc == 0 && i < l->cnt; i++) {
		if (l->elems[i].offset < 0)
			continue;
		struct json_object *p = json_object_new_object();
		json_object_object_add(
			p, "kafka_topic",
			json_object_new_string(l->elems[i].topic));
		json_object_object_add(
			p, "kafka_partition",
			json_object_new_int(l->elems[i].partition));
		struct json_object *v = json_object_new_object();
		json_object_object_add(
			v, "kafka_offset",
			json_object_new_int64(l->elems[i].offset));
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "partition", p);
		json_object_object_add(e, "offset", v);
		json_object_array_add(a, e);
	}
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	return rc;
}

static void offsets(struct rest_req *q, struct rest_resp *o, const char *name)
{
	struct worker *w = q->r->w;
	char group[256] = "", **topics = NULL;
	size_t n = 0;
	int source = 0;
	pthread_mutex_lock(&w->lock);
	struct connector *c = rest_find(w, name);
	if (c) {
		source = c->plugin->kind == SLUICE_KIND_SOURCE;
		snprintf(group, sizeof(group), "%s", c->group_id);
		n = c->cfg->topics_n;
		topics = calloc(n + 1, sizeof(char *));
		if (!topics)
			abort();
		for (size_t i = 0; i < n; i++) {
			topics[i] = strdup(c->cfg->topics[i]);
			if (!topics[i])
				abort();
		}
	}
	pthread_mutex_unlock(&w->lock);
	if (!c) {
		rest_error(o, MHD_HTTP_NOT_FOUND, "no connector '%s'", name);
		return;
	}
	struct json_object *a = json_object_new_array();
	char err[512];
	int rc = 0;
	if (source)
		source_offsets(w, name, a);
	else
		rc = group_offsets(w, group, topics, n, a, err, sizeof(err));
	for (size_t i = 0; i < n; i++)
		free(topics[i]);
	free(topics);
	if (rc) {
		json_object_put(a);
		rest_error(o, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
		return;
	}
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "offsets", a);
	rest_json(o, MHD_HTTP_OK, j);
}

/* ---- routing ---- */

/* A task id of the path, or -1. */
static int task_id(const char *s, const struct connector *c)
{
	char *end;
	long id = strtol(s, &end, 10);
	if (!*s || *end || id < 0 || id >= c->tasks_n ||
	    strspn(s, "0123456789") != strlen(s))
		return -1;
	return (int)id;
}

/* The read-only paths under /connectors/{name}; 0 when not one. */
static int read_path(struct rest_req *q, struct rest_resp *o,
		     const struct connector *c)
{
	const char *what = q->nseg > 2 ? q->seg[2] : NULL;
	if (!what) {
		rest_json(o, MHD_HTTP_OK, info_json(c));
	} else if (q->nseg == 3 && !strcmp(what, "config")) {
		rest_json(o, MHD_HTTP_OK, config_json(c));
	} else if (q->nseg == 3 && !strcmp(what, "status")) {
		rest_json(o, MHD_HTTP_OK, status_json(q->r, c));
	} else if (q->nseg == 3 && !strcmp(what, "topics")) {
		rest_json(o, MHD_HTTP_OK, topics_json(c));
	} else if (q->nseg == 3 && !strcmp(what, "tasks")) {
		struct json_object *a = json_object_new_array();
		for (int i = 0; i < c->tasks_n; i++) {
			struct json_object *t = json_object_new_object();
			struct json_object *id = json_object_new_object();
			json_object_object_add(
				id, "connector",
				json_object_new_string(c->cfg->name));
			json_object_object_add(id, "task",
					       json_object_new_int(i));
			json_object_object_add(t, "id", id);
			json_object_object_add(t, "config", config_json(c));
			json_object_array_add(a, t);
		}
		rest_json(o, MHD_HTTP_OK, a);
	} else if (q->nseg == 5 && !strcmp(what, "tasks") &&
		   !strcmp(q->seg[4], "status")) {
		int id = task_id(q->seg[3], c);
		if (id < 0)
			rest_error(o, MHD_HTTP_NOT_FOUND,
				   "connector '%s' has no task '%.20s'",
				   c->cfg->name, q->seg[3]);
		else
			rest_json(o, MHD_HTTP_OK, task_status(q->r, c, id));
	} else {
		return 0;
	}
	return 1;
}

/* Which methods a path under /connectors/{name} takes; NULL unknown. */
static const char *methods_of(const struct rest_req *q)
{
	const char *what = q->nseg > 2 ? q->seg[2] : NULL;
	if (q->nseg == 2)
		return "GET DELETE";
	if (q->nseg == 3) {
		if (!strcmp(what, "config"))
			return "GET PUT";
		if (!strcmp(what, "status") || !strcmp(what, "tasks") ||
		    !strcmp(what, "topics") || !strcmp(what, "offsets"))
			return "GET";
		if (!strcmp(what, "pause") || !strcmp(what, "resume") ||
		    !strcmp(what, "stop"))
			return "PUT";
		if (!strcmp(what, "restart"))
			return "POST";
	}
	if (q->nseg == 5 && !strcmp(what, "tasks")) {
		if (!strcmp(q->seg[4], "status"))
			return "GET";
		if (!strcmp(q->seg[4], "restart"))
			return "POST";
	}
	return NULL;
}

static int method_in(const char *method, const char *list)
{
	size_t n = strlen(method);
	for (const char *p = list; p && *p;) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len == n && !strncmp(p, method, n))
			return 1;
		p = sp ? sp + 1 : NULL;
	}
	return 0;
}

void rest_connectors(struct rest_req *q, struct rest_resp *o)
{
	struct worker *w = q->r->w;
	if (q->nseg == 1) {
		if (rest_is(q, "GET"))
			list(q, o);
		else if (rest_is(q, "POST"))
			create(q, o);
		else
			rest_bad_method(q, o);
		return;
	}
	const char *name = q->seg[1];
	const char *methods = methods_of(q);
	if (!methods) {
		rest_error(o, MHD_HTTP_NOT_FOUND, "not found");
		return;
	}
	if (!method_in(q->method, methods)) {
		rest_bad_method(q, o);
		return;
	}
	if (!config_name_ok(name, CONNECTOR_NAME_MAX)) {
		rest_error(o, MHD_HTTP_NOT_FOUND, "no connector '%.80s'", name);
		return;
	}
	/* PUT config creates a connector that does not exist yet. */
	if (q->nseg == 3 && !strcmp(q->seg[2], "config") && rest_is(q, "PUT")) {
		update(q, o, name);
		return;
	}
	pthread_mutex_lock(&w->lock);
	struct connector *c = rest_find(w, name);
	int task_ok = 1;
	if (c && q->nseg == 5)
		task_ok = task_id(q->seg[3], c) >= 0;
	int done = c && rest_is(q, "GET") && read_path(q, o, c);
	pthread_mutex_unlock(&w->lock);
	if (done)
		return;
	if (!c) {
		rest_error(o, MHD_HTTP_NOT_FOUND, "no connector '%s'", name);
		return;
	}
	if (!task_ok) {
		rest_error(o, MHD_HTTP_NOT_FOUND,
			   "connector '%s' has no task '%.20s'", name,
			   q->seg[3]);
		return;
	}
	const char *what = q->nseg > 2 ? q->seg[2] : "";
	if (q->nseg == 2 && rest_is(q, "DELETE"))
		delete (q, o, name);
	else if (!strcmp(what, "offsets"))
		offsets(q, o, name);
	else if (!strcmp(what, "pause"))
		command(q, o, name, CONTROL_PAUSE, MHD_HTTP_ACCEPTED);
	else if (!strcmp(what, "resume"))
		command(q, o, name, CONTROL_RESUME, MHD_HTTP_ACCEPTED);
	else if (!strcmp(what, "stop"))
		command(q, o, name, CONTROL_STOP, MHD_HTTP_NO_CONTENT);
	else if (!strcmp(what, "restart") || q->nseg == 5)
		command(q, o, name, CONTROL_RESTART, MHD_HTTP_NO_CONTENT);
	else
		rest_error(o, MHD_HTTP_NOT_FOUND, "not found");
}
