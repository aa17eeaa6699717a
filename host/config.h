/*
 * config.h - the worker file (sluice.yaml) and the connector files (the
 * *.yaml files of connectors.d): loading, structural validation, and the
 * checks that need the plugins (options against each plugin's table).
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "log.h"
#include "options.h"
#include "ytree.h"

struct kv {
	char *key;
	char *value;
};

struct topic_spec {
	char *name;
	int partitions;
};

struct worker_config {
	char *file; /* NULL when no worker file was given: all defaults */
	char *bootstrap_servers; /* default "embedded" */
	char **plugin_path;	 /* default { PKGLIBDIR } */
	size_t plugin_path_n;
	char *connectors_dir;	   /* default: connectors.d beside the file */
	char *group_prefix;	   /* default "sluice" */
	char *offsets_topic;	   /* default "sluice-offsets" */
	int default_partitions;	   /* topics.partitions.default, 4 */
	struct topic_spec *topics; /* topics.partitions: {name: n} */
	size_t topics_n;
	struct kv *kafka; /* passed to librdkafka as is */
	size_t kafka_n;
	enum sluice_log_level log_level; /* default info */
	enum log_format log_format;	 /* default text */
	int64_t shutdown_timeout_ms;	 /* default 30s */
	int64_t progress_interval_ms;	 /* log.progress.interval, 5s */
	int64_t memory_budget;		 /* memory.budget, 256MiB */
	int trigger_once;	  /* trigger: available-now (else continuous) */
	int64_t offsets_flush_ms; /* offsets.flush.interval, 1s: how often
				    source positions and consumer offsets
				    are committed */
	char *rest_listen; /* rest.listen, "127.0.0.1:8083"; NULL = off */
	char *rest_token;  /* rest.token: bearer token, or NULL */
	int rest_explicit; /* rest.listen was given: failing to listen on
			      it stops the worker (else only a warning) */
};

enum error_tolerance { TOLERANCE_NONE, TOLERANCE_ALL };

struct error_policy {
	enum error_tolerance tolerance; /* default none */
	char *dlq_topic;		/* errors.deadletterqueue.topic */
	int64_t retry_timeout_ms;	/* errors.retry.timeout, 5m */
	int64_t retry_max_backoff_ms;	/* errors.retry.delay.max, 60s */
	int log_errors;			/* errors.log.enable, true */
};

/* Offsets (and a stateful task's marker, a source's positions) are also
 * saved after this many records, not only every interval: what a crash
 * makes a task read or produce again is then a bounded number of
 * records, whatever the rate, so the de-duplication windows downstream
 * cover a replay even of a backlog (gold's 5,000 item lines a silver
 * replay of 2,000 transactions, about 4,000 items). A stateful task's
 * barrier costs it ~25 ms each time: 2,000 rather than fewer. A stateful
 * connector sets its own (state.commit.records). */
#define COMMIT_RECORDS 2000

/* The state store of a stateful transform (connector key `state:`). */
struct state_policy {
	int64_t max_bytes;	    /* state.max.bytes, 256MiB */
	int64_t commit_interval_ms; /* state.commit.interval, 1s */
	int64_t snapshot_bytes;	    /* state.snapshot.bytes, 1MiB */
	int commit_records;	    /* state.commit.records, 2000; 0: none */
};

struct output_map {
	char *name; /* plugin output name; NULL for `topic: X` until
		       config_check_plugins names the plugin's default */
	char *topic;
	int line, col;	/* of the `outputs` key, or of the `topic` value */
	int from_topic; /* given as `topic: X` */
};

/* One stage of a connector's `transforms:` chain. */
struct transform_config {
	char *plugin;
	int line, col;		    /* of the `plugin` value */
	const struct ynode *config; /* the item's `config:` map, or NULL */
	struct optset opts;	    /* filled by config_check_plugins */
};

struct connector_config {
	char *file;
	int line, col; /* of the `name` value */
	char *name;
	char *plugin;
	int plugin_line, plugin_col;
	int tasks_max; /* default 1 */
	char **topics; /* input topics (sinks, transforms) */
	size_t topics_n;
	struct output_map *outputs; /* `topic: X` becomes {default: X} */
	size_t outputs_n;
	struct error_policy errors;
	struct state_policy state;
	struct ynode *root;	    /* the whole document, kept for
				       positions; owned */
	const struct ynode *config; /* the `config:` map, or NULL */
	struct optset opts;	    /* filled by config_check_plugins */
	struct transform_config *transforms; /* in order */
	size_t transforms_n;
};

struct connector_list {
	struct connector_config **v;
	size_t n;
};

/* Loads the worker file; path NULL means defaults only. Returns 0 or -1
 * with diagnostics added. `w` is always initialised (free it). */
int config_load_worker(struct worker_config *w, const char *path,
		       struct diags *d);
void config_free_worker(struct worker_config *w);

/* Loads every *.yaml / *.yml file of `dir` in name order, one connector
 * per file. Checks structure and the fields that do not need plugins;
 * duplicate names are reported at the second definition with the place
 * of the first. Files with errors are left out of `out`. Returns 0 when
 * there were no problems, else -1. */
int config_load_connectors(struct connector_list *out, const char *dir,
			   struct diags *d);
/* One file (for tests and the REST API). NULL on error. */
struct connector_config *config_load_connector(const char *path,
					       struct diags *d);
void config_free_connector(struct connector_config *c);
void config_free_connectors(struct connector_list *l);

struct plugin_registry;
/* The checks that need plugins: the plugin exists (did-you-mean), its
 * kind fits the fields given (a sink has topics, a source has an output),
 * outputs name declared plugin outputs, and `config:` is valid against
 * the plugin's option table (fills c->opts). Returns 0 or -1. */
int config_check_plugins(struct connector_list *l,
			 const struct plugin_registry *reg, struct diags *d);

/*
 * Typed field readers shared by config_worker.c (where they live) and
 * config_connector.c; not meant for other modules. `field` is the dotted
 * name used in messages ("errors.retry.timeout", "topics[1]"). Each
 * returns 0, or -1 with one diagnostic at the offending node.
 */
struct config_reader {
	const char *file;
	struct diags *d;
};

/* Allocation that aborts on out-of-memory, like diags_add. */
void *config_alloc(size_t n);
char *config_strdup(const char *s);

/* Reports "<field>: expected <what>, got 'value'" (or a map, a list, an
 * empty value) at n; returns -1. */
int config_expected(const struct config_reader *r, const struct ynode *n,
		    const char *field, const char *what);
/* Index of kid->key in keys[0..n), or -1 after reporting "unknown key
 * '<prefix><key>'; did you mean '<prefix><closest>'?". */
int config_key_index(const struct config_reader *r, const struct ynode *kid,
		     const char *prefix, const char *const *keys, size_t n);
/* 0 for a map, 1 for a null value (nothing to read), else -1. `field`
 * NULL means the top level of a file. */
int config_expect_map(const struct config_reader *r, const struct ynode *n,
		      const char *field);
/* These replace *out only on success. */
int config_read_string(const struct config_reader *r, const struct ynode *n,
		       const char *field, char **out);
int config_read_topic(const struct config_reader *r, const struct ynode *n,
		      const char *field, char **out);
int config_read_int(const struct config_reader *r, const struct ynode *n,
		    const char *field, int min, int max, int *out);
int config_read_bool(const struct config_reader *r, const struct ynode *n,
		     const char *field, int *out);
int config_read_size(const struct config_reader *r, const struct ynode *n,
		     const char *field, int64_t *out);
int config_read_duration(const struct config_reader *r, const struct ynode *n,
			 const char *field, int64_t *out);
/* Index into the NULL-terminated `allowed`. */
int config_read_choice(const struct config_reader *r, const struct ynode *n,
		       const char *field, const char *const *allowed, int *out);
/* A non-empty list of items, or one item; `item` reads each
 * (config_read_string or config_read_topic). */
typedef int (*config_item_fn)(const struct config_reader *r,
			      const struct ynode *n, const char *field,
			      char **out);
int config_read_list(const struct config_reader *r, const struct ynode *n,
		     const char *field, config_item_fn item, char ***out,
		     size_t *out_n);
void config_free_strings(char **v, size_t n);
/* [a-zA-Z0-9._-]{1,max}; also not "." or ".." (Kafka refuses them). */
int config_name_ok(const char *s, size_t max);

#endif
