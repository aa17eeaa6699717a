/*
 * config_worker.c - the worker file (sluice.yaml), and the typed field
 * readers that config_connector.c shares.
 *
 * Every key is optional; the top level must be a map. Unknown keys are
 * errors (with a did-you-mean), except under topics.partitions and kafka,
 * which are free-form by design.
 *
 *   bootstrap.servers      string, default "embedded": librdkafka's mock
 *                          cluster, in process
 *   plugin.path            list of directories, or one; a relative entry
 *                          is relative to the worker file's directory.
 *                          Default: one entry, PKGLIBDIR
 *   connectors.dir         relative to the worker file's directory.
 *                          Default: connectors.d beside the file, or
 *                          ./connectors.d without a file
 *   group.id.prefix        default "sluice"; consumer groups are
 *                          <prefix>-<connector>
 *   offsets.topic          topic name, default "sluice-offsets"
 *   topics.partitions      map; `default` (4) and <topic name>, each an
 *                          integer 1..10000
 *   kafka                  map of librdkafka properties with scalar
 *                          values, passed through as written
 *   log.level              error | warn | info (default) | debug
 *   log.format             text (default) | json
 *   log.progress.interval  duration, default 5s
 *   shutdown.timeout       duration, default 30s
 *   memory.budget          size, default 256MiB
 *   trigger                continuous (default) | available-now: process
 *                          what is there, then stop
 *   offsets.flush.interval duration, default 1s: how often source
 *                          positions and consumer offsets are committed
 *   rest                   map: `listen` (host:port, default
 *                          127.0.0.1:8083; `off` disables the REST API;
 *                          port 0 picks a free one) and `token` (a bearer
 *                          token every request but /health must carry;
 *                          usually ${env:NAME})
 *
 * Topic names are [a-zA-Z0-9._-]{1,249}, not "." or "..".
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#ifndef PKGLIBDIR
#error "PKGLIBDIR must be defined by the build"
#endif

#define TOPIC_NAME_MAX 249
#define PARTITIONS_MAX 10000
#define QUOTE_LEN 64

void *config_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p) {
		fputs("sluice: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *config_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(config_alloc(n), s, n);
}

/* How a message names a value it did not accept. */
static void describe(const struct ynode *n, char *buf, size_t len)
{
	char q[QUOTE_LEN];
	if (n->type == YNODE_MAP)
		snprintf(buf, len, "a map");
	else if (n->type == YNODE_SEQ)
		snprintf(buf, len, "a list");
	else if (ytree_is_null(n))
		snprintf(buf, len, "an empty value");
	else
		snprintf(buf, len, "'%s'", units_quote(n->value, q, sizeof q));
}

int config_expected(const struct config_reader *r, const struct ynode *n,
		    const char *field, const char *what)
{
	char got[QUOTE_LEN + 2];
	describe(n, got, sizeof got);
	diags_add(r->d, r->file, n->line, n->col, "%s: expected %s, got %s",
		  field, what, got);
	return -1;
}

/* The text of a non-null scalar, or NULL after reporting. */
static const char *scalar(const struct config_reader *r, const struct ynode *n,
			  const char *field, const char *what)
{
	if (n->type != YNODE_SCALAR || ytree_is_null(n)) {
		config_expected(r, n, field, what);
		return NULL;
	}
	return n->value;
}

/* Units' reasons already quote the value; they only lack the field. */
static int units_error(const struct config_reader *r, const struct ynode *n,
		       const char *field, const char *err)
{
	diags_add(r->d, r->file, n->line, n->col, "%s: %s", field, err);
	return -1;
}

int config_key_index(const struct config_reader *r, const struct ynode *kid,
		     const char *prefix, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kid->key, keys[i]))
			return (int)i;
	const char *near = units_suggest(kid->key, keys, n);
	if (near)
		diags_add(r->d, r->file, kid->key_line, kid->key_col,
			  "unknown key '%s%s'; did you mean '%s%s'?", prefix,
			  kid->key, prefix, near);
	else
		diags_add(r->d, r->file, kid->key_line, kid->key_col,
			  "unknown key '%s%s'", prefix, kid->key);
	return -1;
}

int config_expect_map(const struct config_reader *r, const struct ynode *n,
		      const char *field)
{
	char got[QUOTE_LEN + 2];
	if (n->type == YNODE_MAP)
		return 0;
	if (ytree_is_null(n))
		return 1;
	if (field)
		return config_expected(r, n, field, "a map");
	describe(n, got, sizeof got);
	diags_add(r->d, r->file, n->line, n->col,
		  "expected a map at the top level, got %s", got);
	return -1;
}

int config_read_string(const struct config_reader *r, const struct ynode *n,
		       const char *field, char **out)
{
	const char *s = scalar(r, n, field, "a string");
	if (!s)
		return -1;
	if (!*s) {
		diags_add(r->d, r->file, n->line, n->col,
			  "%s: must not be empty", field);
		return -1;
	}
	free(*out);
	*out = config_strdup(s);
	return 0;
}

int config_name_ok(const char *s, size_t max)
{
	size_t len = strspn(s, "abcdefghijklmnopqrstuvwxyz"
			       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
	return len > 0 && len <= max && s[len] == '\0' && strcmp(s, ".") &&
	       strcmp(s, "..");
}

int config_read_topic(const struct config_reader *r, const struct ynode *n,
		      const char *field, char **out)
{
	char *s = NULL;
	if (config_read_string(r, n, field, &s) < 0)
		return -1;
	if (!config_name_ok(s, TOPIC_NAME_MAX)) {
		char q[QUOTE_LEN];
		diags_add(r->d, r->file, n->line, n->col,
			  "%s: '%s' is not a valid topic name (1 to 249 of "
			  "a-z A-Z 0-9 . _ -)",
			  field, units_quote(s, q, sizeof q));
		free(s);
		return -1;
	}
	free(*out);
	*out = s;
	return 0;
}

int config_read_int(const struct config_reader *r, const struct ynode *n,
		    const char *field, int min, int max, int *out)
{
	char err[160];
	int64_t v;
	const char *s = scalar(r, n, field, "an integer");
	if (!s)
		return -1;
	if (units_parse_int(s, &v, err, sizeof err) < 0)
		return units_error(r, n, field, err);
	if (v < min || v > max) {
		diags_add(r->d, r->file, n->line, n->col,
			  "%s: %" PRId64 " is %s the %s %d", field, v,
			  v < min ? "below" : "above",
			  v < min ? "minimum" : "maximum", v < min ? min : max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int config_read_bool(const struct config_reader *r, const struct ynode *n,
		     const char *field, int *out)
{
	char err[160];
	const char *s = scalar(r, n, field, "true or false");
	if (!s)
		return -1;
	if (units_parse_bool(s, out, err, sizeof err) < 0)
		return units_error(r, n, field, err);
	return 0;
}

int config_read_size(const struct config_reader *r, const struct ynode *n,
		     const char *field, int64_t *out)
{
	char err[160];
	const char *s = scalar(r, n, field, "a size such as 256MiB");
	if (!s)
		return -1;
	if (units_parse_size(s, out, err, sizeof err) < 0)
		return units_error(r, n, field, err);
	return 0;
}

int config_read_duration(const struct config_reader *r, const struct ynode *n,
			 const char *field, int64_t *out)
{
	char err[160];
	const char *s = scalar(r, n, field, "a duration such as 30s");
	if (!s)
		return -1;
	if (units_parse_duration_ms(s, out, err, sizeof err) < 0)
		return units_error(r, n, field, err);
	return 0;
}

static void join(const char *const *v, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; v[i] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      v[i]);
}

int config_read_choice(const struct config_reader *r, const struct ynode *n,
		       const char *field, const char *const *allowed, int *out)
{
	char list[200], what[220], q[QUOTE_LEN];
	join(allowed, list, sizeof list);
	snprintf(what, sizeof what, "one of %s", list);
	const char *s = scalar(r, n, field, what);
	if (!s)
		return -1;
	for (int i = 0; allowed[i]; i++) {
		if (!strcmp(s, allowed[i])) {
			*out = i;
			return 0;
		}
	}
	diags_add(r->d, r->file, n->line, n->col, "%s: '%s' is not %s", field,
		  units_quote(s, q, sizeof q), what);
	return -1;
}

void config_free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int config_read_list(const struct config_reader *r, const struct ynode *n,
		     const char *field, config_item_fn item, char ***out,
		     size_t *out_n)
{
	if (n->type == YNODE_SCALAR && !ytree_is_null(n)) {
		char *one = NULL;
		if (item(r, n, field, &one) < 0)
			return -1;
		config_free_strings(*out, *out_n);
		*out = config_alloc(sizeof(char *));
		(*out)[0] = one;
		*out_n = 1;
		return 0;
	}
	if (n->type != YNODE_SEQ)
		return config_expected(r, n, field, "a list or one value");
	if (n->n == 0) {
		diags_add(r->d, r->file, n->line, n->col,
			  "%s: the list is empty", field);
		return -1;
	}
	char **v = config_alloc(n->n * sizeof(char *));
	int rc = 0;
	for (size_t i = 0; i < n->n; i++) {
		char name[300];
		snprintf(name, sizeof name, "%s[%zu]", field, i);
		if (item(r, n->kids[i], name, &v[i]) < 0)
			rc = -1;
	}
	if (rc < 0) {
		config_free_strings(v, n->n);
		return -1;
	}
	config_free_strings(*out, *out_n);
	*out = v;
	*out_n = n->n;
	return 0;
}

/* ---- the worker file ---- */

/* The directory part of a path: "." when there is none. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return config_strdup(".");
	size_t len = slash == path ? 1 : (size_t)(slash - path);
	char *dir = config_alloc(len + 1);
	memcpy(dir, path, len);
	return dir;
}

/* Relative paths in the worker file mean "beside the file", so that the
 * same file works from any current directory. */
static char *resolve(const char *base, const char *p)
{
	/* "sluice.yaml" lives in ".": say "c/a.yaml", not "./c/a.yaml". */
	if (p[0] == '/' || !strcmp(base, "."))
		return config_strdup(p);
	size_t blen = strlen(base);
	const char *sep = blen && base[blen - 1] == '/' ? "" : "/";
	char *out = config_alloc(blen + strlen(sep) + strlen(p) + 1);
	sprintf(out, "%s%s%s", base, sep, p);
	return out;
}

static void set_defaults(struct worker_config *w)
{
	*w = (struct worker_config){
		.bootstrap_servers = config_strdup("embedded"),
		.plugin_path = config_alloc(sizeof(char *)),
		.plugin_path_n = 1,
		.group_prefix = config_strdup("sluice"),
		.offsets_topic = config_strdup("sluice-offsets"),
		.default_partitions = 4,
		.log_level = SLUICE_LOG_INFO,
		.log_format = LOG_FORMAT_TEXT,
		.shutdown_timeout_ms = 30 * 1000,
		.progress_interval_ms = 5 * 1000,
		.memory_budget = INT64_C(256) << 20,
		.offsets_flush_ms = 1000,
		.rest_listen = config_strdup("127.0.0.1:8083"),
	};
	w->plugin_path[0] = config_strdup(PKGLIBDIR);
}

static void read_plugin_path(const struct config_reader *r,
			     struct worker_config *w, const struct ynode *n,
			     const char *base)
{
	char **v = NULL;
	size_t cnt = 0;
	if (config_read_list(r, n, "plugin.path", config_read_string, &v,
			     &cnt) < 0)
		return;
	config_free_strings(w->plugin_path, w->plugin_path_n);
	w->plugin_path = config_alloc(cnt * sizeof(char *));
	w->plugin_path_n = cnt;
	for (size_t i = 0; i < cnt; i++)
		w->plugin_path[i] = resolve(base, v[i]);
	config_free_strings(v, cnt);
}

static void read_partitions(const struct config_reader *r,
			    struct worker_config *w, const struct ynode *map)
{
	if (config_expect_map(r, map, "topics.partitions"))
		return;
	w->topics = config_alloc(map->n * sizeof(*w->topics));
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *kid = map->kids[i];
		char field[300];
		snprintf(field, sizeof field, "topics.partitions.%s", kid->key);
		if (!strcmp(kid->key, "default")) {
			config_read_int(r, kid, field, 1, PARTITIONS_MAX,
					&w->default_partitions);
			continue;
		}
		if (!config_name_ok(kid->key, TOPIC_NAME_MAX)) {
			char q[QUOTE_LEN];
			diags_add(r->d, r->file, kid->key_line, kid->key_col,
				  "topics.partitions: '%s' is not a valid "
				  "topic name (1 to 249 of a-z A-Z 0-9 . _ -)",
				  units_quote(kid->key, q, sizeof q));
			continue;
		}
		int parts;
		if (config_read_int(r, kid, field, 1, PARTITIONS_MAX, &parts) <
		    0)
			continue;
		w->topics[w->topics_n++] = (struct topic_spec){
			.name = config_strdup(kid->key), .partitions = parts};
	}
}

/* Properties the host's guarantees rest on (offsets, delivery). */
static int host_owned(const char *key)
{
	static const char *const owned[] = {"bootstrap.servers",
					    "metadata.broker.list",
					    "group.id",
					    "enable.auto.commit",
					    "enable.auto.offset.store",
					    "enable.idempotence",
					    "acks",
					    "request.required.acks",
					    "transactional.id",
					    NULL};
	for (const char *const *o = owned; *o; o++)
		if (!strcmp(key, *o))
			return 1;
	return 0;
}

static void read_kafka(const struct config_reader *r, struct worker_config *w,
		       const struct ynode *map)
{
	if (config_expect_map(r, map, "kafka"))
		return;
	w->kafka = config_alloc(map->n * sizeof(*w->kafka));
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *kid = map->kids[i];
		char field[300];
		snprintf(field, sizeof field, "kafka.%s", kid->key);
		/* No echo of the value: kafka holds passwords. */
		if (kid->type != YNODE_SCALAR || ytree_is_null(kid)) {
			config_expected(r, kid, field, "a scalar value");
			continue;
		}
		if (host_owned(kid->key)) {
			diags_add(r->d, r->file, kid->key_line, kid->key_col,
				  "%s: set by sluice itself and cannot be "
				  "changed here",
				  field);
			continue;
		}
		w->kafka[w->kafka_n++] = (struct kv){
			.key = config_strdup(kid->key),
			.value = config_strdup(kid->value),
		};
	}
}

static void read_log(const struct config_reader *r, struct worker_config *w,
		     const struct ynode *map)
{
	static const char *const keys[] = {"level", "format",
					   "progress.interval"};
	static const char *const levels[] = {"error", "warn", "info", "debug",
					     NULL};
	static const char *const formats[] = {"text", "json", NULL};
	int v;
	if (config_expect_map(r, map, "log"))
		return;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *kid = map->kids[i];
		switch (config_key_index(r, kid, "log.", keys, 3)) {
		case 0:
			/* levels[] is in enum sluice_log_level order. */
			if (!config_read_choice(r, kid, "log.level", levels,
						&v))
				w->log_level = (enum sluice_log_level)v;
			break;
		case 1:
			if (!config_read_choice(r, kid, "log.format", formats,
						&v))
				w->log_format =
					v ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT;
			break;
		case 2:
			config_read_duration(r, kid, "log.progress.interval",
					     &w->progress_interval_ms);
			break;
		}
	}
}

/* host:port or [v6]:port with a port 0..65535 (the address itself is
 * resolved when the server starts). */
static int listen_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || !colon[1])
		return 0;
	if (s[0] == '[' && colon[-1] != ']')
		return 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	return *end == '\0' && port >= 0 && port <= 65535 &&
	       strspn(colon + 1, "0123456789") == strlen(colon + 1);
}

static void read_rest(const struct config_reader *r, struct worker_config *w,
		      const struct ynode *map)
{
	static const char *const keys[] = {"listen", "token"};
	if (config_expect_map(r, map, "rest"))
		return;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *kid = map->kids[i];
		char *v = NULL, q[QUOTE_LEN];
		switch (config_key_index(r, kid, "rest.", keys, 2)) {
		case 0:
			if (config_read_string(r, kid, "rest.listen", &v))
				break;
			free(w->rest_listen);
			w->rest_listen = NULL;
			w->rest_explicit = 1;
			if (!strcmp(v, "off")) {
				free(v);
			} else if (!listen_ok(v)) {
				diags_add(r->d, r->file, kid->line, kid->col,
					  "rest.listen: expected host:port "
					  "or off, got '%s'",
					  units_quote(v, q, sizeof q));
				free(v);
			} else {
				w->rest_listen = v;
			}
			break;
		case 1:
			/* No echo of the value: it is a secret. */
			config_read_string(r, kid, "rest.token",
					   &w->rest_token);
			break;
		}
	}
}

enum worker_key {
	W_BOOTSTRAP,
	W_PLUGIN_PATH,
	W_CONNECTORS_DIR,
	W_GROUP_PREFIX,
	W_OFFSETS_TOPIC,
	W_PARTITIONS,
	W_KAFKA,
	W_LOG,
	W_SHUTDOWN,
	W_MEMORY,
	W_OFFSETS_FLUSH,
	W_TRIGGER,
	W_REST,
	W_COUNT
};

static const char *const worker_keys[W_COUNT] = {
	[W_BOOTSTRAP] = "bootstrap.servers",
	[W_PLUGIN_PATH] = "plugin.path",
	[W_CONNECTORS_DIR] = "connectors.dir",
	[W_GROUP_PREFIX] = "group.id.prefix",
	[W_OFFSETS_TOPIC] = "offsets.topic",
	[W_PARTITIONS] = "topics.partitions",
	[W_KAFKA] = "kafka",
	[W_LOG] = "log",
	[W_SHUTDOWN] = "shutdown.timeout",
	[W_MEMORY] = "memory.budget",
	[W_OFFSETS_FLUSH] = "offsets.flush.interval",
	[W_TRIGGER] = "trigger",
	[W_REST] = "rest",
};

static void read_worker_key(const struct config_reader *r,
			    struct worker_config *w, const struct ynode *kid,
			    const char *base)
{
	char *dir = NULL;
	switch (config_key_index(r, kid, "", worker_keys, W_COUNT)) {
	case W_BOOTSTRAP:
		config_read_string(r, kid, kid->key, &w->bootstrap_servers);
		break;
	case W_PLUGIN_PATH:
		read_plugin_path(r, w, kid, base);
		break;
	case W_CONNECTORS_DIR:
		if (!config_read_string(r, kid, kid->key, &dir)) {
			free(w->connectors_dir);
			w->connectors_dir = resolve(base, dir);
			free(dir);
		}
		break;
	case W_GROUP_PREFIX:
		config_read_string(r, kid, kid->key, &w->group_prefix);
		break;
	case W_OFFSETS_TOPIC:
		config_read_topic(r, kid, kid->key, &w->offsets_topic);
		break;
	case W_PARTITIONS:
		read_partitions(r, w, kid);
		break;
	case W_KAFKA:
		read_kafka(r, w, kid);
		break;
	case W_LOG:
		read_log(r, w, kid);
		break;
	case W_SHUTDOWN:
		config_read_duration(r, kid, kid->key, &w->shutdown_timeout_ms);
		break;
	case W_MEMORY:
		config_read_size(r, kid, kid->key, &w->memory_budget);
		break;
	case W_TRIGGER: {
		static const char *const modes[] = {"continuous",
						    "available-now", NULL};
		int v;
		if (!config_read_choice(r, kid, kid->key, modes, &v))
			w->trigger_once = v;
		break;
	}
	case W_REST:
		read_rest(r, w, kid);
		break;
	case W_OFFSETS_FLUSH:
		config_read_duration(r, kid, kid->key, &w->offsets_flush_ms);
		if (w->offsets_flush_ms < 10) {
			diags_add(r->d, r->file, kid->line, kid->col,
				  "offsets.flush.interval: must be at least "
				  "10ms");
			w->offsets_flush_ms = 1000;
		}
		break;
	}
}

int config_load_worker(struct worker_config *w, const char *path,
		       struct diags *d)
{
	set_defaults(w);
	if (!path) {
		w->connectors_dir = config_strdup("./connectors.d");
		return 0;
	}
	size_t before = d->n;
	struct config_reader r = {.file = path, .d = d};
	char *base = dir_of(path);
	w->file = config_strdup(path);
	struct ynode *root = ytree_load_file(path, d);
	if (root && !config_expect_map(&r, root, NULL))
		for (size_t i = 0; i < root->n; i++)
			read_worker_key(&r, w, root->kids[i], base);
	if (!w->connectors_dir)
		w->connectors_dir = resolve(base, "connectors.d");
	ytree_free(root);
	free(base);
	return d->n == before ? 0 : -1;
}

void config_free_worker(struct worker_config *w)
{
	free(w->file);
	free(w->bootstrap_servers);
	config_free_strings(w->plugin_path, w->plugin_path_n);
	free(w->connectors_dir);
	free(w->group_prefix);
	free(w->offsets_topic);
	for (size_t i = 0; i < w->topics_n; i++)
		free(w->topics[i].name);
	free(w->topics);
	for (size_t i = 0; i < w->kafka_n; i++) {
		free(w->kafka[i].key);
		free(w->kafka[i].value);
	}
	free(w->kafka);
	free(w->rest_listen);
	free(w->rest_token);
	*w = (struct worker_config){0};
}
