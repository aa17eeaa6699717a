/*
 * sluice/plugin.h - the contract between the sluice host and its connector
 * plugins. It is the only header a plugin includes; a plugin never links
 * against the host binary, it reaches the host only through the function
 * table handed to its open callback.
 *
 * A plugin is a shared object exporting one function, sluice_plugin_entry(),
 * that returns a pointer to a static, constant descriptor (struct
 * sluice_plugin). Use the SLUICE_PLUGIN_EXPORT() macro. The host reads the
 * first three fields (ABI major, ABI minor, struct size) before anything
 * else and refuses the plugin when
 *   - abi_major differs from the host's SLUICE_ABI_MAJOR,
 *   - abi_minor is newer than the host's SLUICE_ABI_MINOR,
 *   - struct_size is smaller than the descriptor of the plugin's minor.
 * Those fields come first because they protect the rest.
 *
 * Versioning: MINOR is bumped when something is appended (a descriptor
 * field, a host function, an enum value); MAJOR when anything is changed or
 * removed. Plugins check host->size before calling a host function newer
 * than their own minor.
 *
 * Ownership, everywhere below:
 *   borrowed  - valid for the duration of the call only; copy what you keep.
 *   copied    - the callee copies it; the caller keeps ownership.
 * Nothing is ever handed over by convention.
 *
 * ABI change log
 *   1.0  first release: descriptor, option table, source/sink/transform
 *        callbacks, host table (log, set_error, identity, typed option
 *        getters, emit, emit_source, source_position, reject, counters,
 *        request_flush).
 *   1.1  descriptor: check() for what the option table cannot express,
 *        run by `sluice validate` and before a run; SLUICE_CHECK_BOUNDED.
 *   1.2  state store for transforms: descriptor `flags` with
 *        SLUICE_PLUGIN_STATEFUL; host state_get, state_put, state_delete,
 *        state_foreach.
 */
#ifndef SLUICE_PLUGIN_H
#define SLUICE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLUICE_ABI_MAJOR 1
#define SLUICE_ABI_MINOR 2

/* Name of the one symbol a plugin exports. */
#define SLUICE_PLUGIN_ENTRY "sluice_plugin_entry"

enum sluice_kind {
	SLUICE_KIND_SOURCE = 1,
	SLUICE_KIND_SINK = 2,
	SLUICE_KIND_TRANSFORM = 3,
};

/* What every callback returns. The message, if any, is set with
 * host->set_error() before returning. */
enum sluice_status {
	SLUICE_OK = 0,
	/* Transient: the host retries the same call with the same input,
	 * with exponential backoff and jitter, up to the connector's
	 * errors.retry.timeout; then the task fails. */
	SLUICE_RETRY = 1,
	/* The task cannot go on; it stops with the message. */
	SLUICE_FATAL = 2,
	/* transform process() only: this input record is bad. The host
	 * applies the connector's errors.tolerance (fail the task, or send
	 * the record with the message to the dead-letter topic). */
	SLUICE_REJECT = 3,
	/* source poll() only: the source is exhausted and will emit nothing
	 * more (used by triggered runs). */
	SLUICE_DONE = 4,
};

enum sluice_log_level {
	SLUICE_LOG_ERROR = 0,
	SLUICE_LOG_WARN = 1,
	SLUICE_LOG_INFO = 2,
	SLUICE_LOG_DEBUG = 3,
};

/* Option types. Values come from the connector's YAML `config:` map and
 * are parsed and checked by the host before any plugin callback runs. */
enum sluice_opt_type {
	SLUICE_OPT_STRING = 1,
	SLUICE_OPT_INT = 2,	 /* 64-bit signed integer */
	SLUICE_OPT_DOUBLE = 3,	 /* finite double */
	SLUICE_OPT_BOOL = 4,	 /* true/false */
	SLUICE_OPT_SIZE = 5,	 /* bytes: 1048576, 512KiB, 5MiB, 1GB */
	SLUICE_OPT_DURATION = 6, /* milliseconds: 250ms, 30s, 5m, 1h, 2d */
	SLUICE_OPT_ENUM = 7,	 /* one of `allowed` */
	SLUICE_OPT_LIST = 8,	 /* YAML sequence of strings (or one string);
				    each in `allowed` when that is set */
};

#define SLUICE_OPT_REQUIRED 0x1u
/* Never printed, logged or echoed in an error message. */
#define SLUICE_OPT_SECRET 0x2u

/* One declared option. Tables end with an entry whose name is NULL.
 * `def`, `min` and `max` are text in the option's own syntax ("5MiB",
 * "30s", "0.5"), parsed by the host when it loads the plugin, so a bad
 * table is refused up front. min/max apply to INT, DOUBLE, SIZE and
 * DURATION (inclusive), and to the length of STRING (in bytes). */
struct sluice_option {
	const char *name;
	enum sluice_opt_type type;
	const char *def;	    /* default, or NULL */
	unsigned flags;		    /* SLUICE_OPT_* */
	const char *min;	    /* or NULL */
	const char *max;	    /* or NULL */
	const char *const *allowed; /* NULL-terminated, ENUM and LIST */
	const char *doc;	    /* one line */
};

struct sluice_header {
	const char *name;  /* NUL-terminated */
	const void *value; /* may be NULL */
	size_t value_len;
};

/* A Kafka record. When handed to a plugin (put, process) everything in it,
 * including the pointed-to bytes, is borrowed for the call. When passed to
 * emit, it is copied. */
struct sluice_record {
	const char *topic;    /* input: the topic read; emit: ignored */
	int32_t partition;    /* input: the partition; emit: -1 = by key */
	int64_t offset;	      /* input only */
	int64_t timestamp_ms; /* epoch ms; emit: 0 = now */
	const void *key;      /* may be NULL */
	size_t key_len;
	const void *value; /* NULL = tombstone */
	size_t value_len;
	const struct sluice_header *headers;
	size_t header_count;
};

/* A topic-partition with an offset; its meaning is given per callback. */
struct sluice_partition {
	const char *topic;
	int32_t partition;
	int64_t offset;
};
#define SLUICE_OFFSET_NONE (-1)

/* Opaque: one running task of one connector. Passed to every callback and
 * every host function. */
struct sluice_task;

/* Functions the host offers to a plugin. Append-only: check `size`
 * before calling a member added after the minor you were built for. */
struct sluice_host {
	uint32_t size; /* sizeof(struct sluice_host) in the host */
	uint32_t abi_minor;

	/* Logging: the line is prefixed with connector and task. */
	void (*log)(struct sluice_task *t, enum sluice_log_level level,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
	/* The message that goes with a non-OK status (copied). */
	void (*set_error)(struct sluice_task *t, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));

	/* Identity. Strings are owned by the host, valid until close. */
	const char *(*connector_name)(struct sluice_task *t);
	int (*task_id)(struct sluice_task *t);	  /* 0 .. task_count-1 */
	int (*task_count)(struct sluice_task *t); /* tasks.max */

	/* Typed options, already validated. `name` must be declared in the
	 * plugin's table with the matching type (a mismatch is a plugin bug
	 * and is logged). An unset option without default reads as NULL /
	 * 0 / false / an empty list. Strings are owned by the host, valid
	 * until close. */
	const char *(*opt_string)(struct sluice_task *t, const char *name);
	int64_t (*opt_int)(struct sluice_task *t, const char *name);
	double (*opt_double)(struct sluice_task *t, const char *name);
	int (*opt_bool)(struct sluice_task *t, const char *name);
	int64_t (*opt_size)(struct sluice_task *t, const char *name);
	int64_t (*opt_duration_ms)(struct sluice_task *t, const char *name);
	/* ENUM options read as strings with opt_string. */
	size_t (*opt_list)(struct sluice_task *t, const char *name,
			   const char *const **items);
	int (*opt_is_set)(struct sluice_task *t, const char *name);

	/* Produce a record to a named output of the connector (NULL = the
	 * plugin's first declared output). The record is copied. From a
	 * transform, the host ties it to the input record being processed:
	 * the input offset is committed only after every record emitted
	 * from it is acknowledged. Returns 0, or -1 with the reason in the
	 * task's error when the output is unknown or the task is stopping. */
	int (*emit)(struct sluice_task *t, const char *output,
		    const struct sluice_record *rec);
	/* Sources: as emit, plus the source partition and the position
	 * this record stands at (both copied; any text, JSON advised). The
	 * host stores the position once this record and every earlier one
	 * of the same source partition are acknowledged. */
	int (*emit_source)(struct sluice_task *t, const char *output,
			   const struct sluice_record *rec,
			   const char *source_partition, const char *position);
	/* Sources: the last stored position of a source partition, or NULL.
	 * Borrowed: valid until the callback returns; copy it. Call it from
	 * open. */
	const char *(*source_position)(struct sluice_task *t,
				       const char *source_partition);

	/* Sinks: a record of the current put() batch is bad; the host
	 * applies the connector's errors.tolerance to it. Returns 0 when
	 * the record was dead-lettered and the batch may go on, -1 when the
	 * task must fail (tolerance none). */
	int (*reject)(struct sluice_task *t, const struct sluice_record *rec,
		      const char *reason);

	/* Metrics. `name` is a Prometheus metric name without the sluice_
	 * prefix; `labels` is NULL or extra labels in exposition syntax
	 * (`expectation="valid_email"`); both copied. */
	void (*counter_add)(struct sluice_task *t, const char *name,
			    const char *labels, int64_t delta);
	void (*gauge_set)(struct sluice_task *t, const char *name,
			  const char *labels, double value);
	void (*observe)(struct sluice_task *t, const char *name,
			const char *labels, double value);

	/* Sinks: ask for flush() (and the commit after it) as soon as the
	 * current put() or tick() returns, instead of at the next
	 * offsets.flush.interval: for a batch that is complete now. */
	void (*request_flush)(struct sluice_task *t);

	/* 1.2. State store, for transforms whose descriptor has
	 * SLUICE_PLUGIN_STATEFUL (otherwise these fail / return NULL).
	 *
	 * A task's store is a map of byte keys to byte values kept by the
	 * host in memory and backed by a changelog topic; it is restored
	 * before open() (open may read it: e.g. rebuild indexes with
	 * state_foreach). The host guarantees the store and the input
	 * position move together: after any crash the task resumes with the
	 * store exactly as it was after some input record R and reads again
	 * from the record after R, so a plugin that keeps what it counts in
	 * the store never counts an input twice or misses one. Records it
	 * emitted after R may be emitted a second time (at-least-once
	 * output): emit upserts or keep outputs idempotent.
	 *
	 * Keys are 1..1024 bytes and must not start with a NUL byte (the
	 * host's own records use that); values up to 1 MiB, both copied.
	 * Call these from open, process and tick only, on the task's own
	 * thread. */
	/* The value of `key`, or NULL when absent. Borrowed: valid until
	 * the next state_put/state_delete or the callback returns. */
	const void *(*state_get)(struct sluice_task *t, const void *key,
				 size_t key_len, size_t *value_len);
	/* Insert or replace. Returns 0, or -1 with the reason in the task's
	 * error (bad key, too large, store over state.max.bytes). */
	int (*state_put)(struct sluice_task *t, const void *key, size_t key_len,
			 const void *value, size_t value_len);
	/* Remove; absent keys are fine. Returns 0, or -1 (bad key). */
	int (*state_delete)(struct sluice_task *t, const void *key,
			    size_t key_len);
	/* Calls fn for every entry (borrowed), in no particular order; fn
	 * must not change the store. Stops early when fn returns non-zero
	 * and returns that value; 0 otherwise. */
	int (*state_foreach)(struct sluice_task *t,
			     int (*fn)(void *ctx, const void *key,
				       size_t key_len, const void *value,
				       size_t value_len),
			     void *ctx);
};

/* The descriptor. Fields up to `options` are common to every kind; the
 * callbacks a kind does not use must be NULL. */
struct sluice_plugin {
	/* Must stay first, in this order, in every ABI version. */
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t struct_size; /* sizeof(struct sluice_plugin) */

	const char *name;	 /* [a-z0-9][a-z0-9-]*, unique */
	const char *version;	 /* the plugin's own version */
	const char *description; /* one line */
	enum sluice_kind kind;
	const struct sluice_option *options; /* NULL-terminated, or NULL */
	/* Named outputs (sources and transforms), NULL-terminated; the
	 * first is the default. NULL means one output called "out". */
	const char *const *outputs;

	/* Every kind. open() reads options through `host` (which stays
	 * valid until close) and returns its per-task state in *state.
	 * close() frees it; it is called only after a successful open. */
	enum sluice_status (*open)(struct sluice_task *t,
				   const struct sluice_host *host,
				   void **state);
	void (*close)(void *state);

	/* Source. Emit up to `max` records with host->emit_source and
	 * return OK (zero records is fine: the host backs off briefly),
	 * RETRY, FATAL or DONE. */
	enum sluice_status (*poll)(void *state, struct sluice_task *t,
				   size_t max);

	/* Sink. put() takes a batch (borrowed). flush() is given, for each
	 * partition the task owns, the offset after the last record put;
	 * it sets each entry's offset to the offset after the last record
	 * that is now durable (at most the given one), or to
	 * SLUICE_OFFSET_NONE when nothing new is durable. The host commits
	 * exactly that. `final` is non-zero when the host needs everything
	 * durable now (shutdown, revoke). */
	enum sluice_status (*put)(void *state, struct sluice_task *t,
				  const struct sluice_record *recs, size_t n);
	enum sluice_status (*flush)(void *state, struct sluice_task *t,
				    struct sluice_partition *parts, size_t n,
				    int final);
	/* Sink and transform, optional. assign(): the task now owns these
	 * partitions, reading from `offset`. revoke(): the task no longer
	 * owns them (already flushed and committed); drop their state. */
	enum sluice_status (*assign)(void *state, struct sluice_task *t,
				     const struct sluice_partition *parts,
				     size_t n);
	enum sluice_status (*revoke)(void *state, struct sluice_task *t,
				     const struct sluice_partition *parts,
				     size_t n);

	/* Transform. One input record (borrowed); emit zero or more records
	 * with host->emit. */
	enum sluice_status (*process)(void *state, struct sluice_task *t,
				      const struct sluice_record *in);

	/* Any kind, optional: called about once a second with the wall
	 * clock, for time-driven work (idle flushes, summaries). */
	enum sluice_status (*tick)(void *state, struct sluice_task *t,
				   int64_t now_ms);

	/* 1.1. Any kind, optional: checks what the option table cannot
	 * express (one option against another) when the configuration is
	 * validated, before any open. Only the option getters, log and
	 * set_error may be called. `flags` holds SLUICE_CHECK_BOUNDED when
	 * the run must end by itself (`--trigger available-now`): a source
	 * that would never answer DONE must refuse then. Returns OK, or
	 * FATAL with the reason set. */
	enum sluice_status (*check)(struct sluice_task *t,
				    const struct sluice_host *host,
				    unsigned flags);

	/* 1.2. SLUICE_PLUGIN_* flags. */
	unsigned flags;
};

#define SLUICE_CHECK_BOUNDED 0x1u

/* 1.2. A transform that uses the state store. The host gives each of its
 * tasks a store backed by the changelog topic `<group>-state` (one
 * partition per task), assigns it input partitions by number (partition
 * p goes to task p % tasks.max) instead of through the consumer group's
 * rebalances, and resumes it from the input position saved with the
 * store. */
#define SLUICE_PLUGIN_STATEFUL 0x1u

#define SLUICE_PLUGIN_EXPORT(descriptor)                                       \
	__attribute__((visibility("default"))) const struct sluice_plugin *    \
	sluice_plugin_entry(void);                                             \
	const struct sluice_plugin *sluice_plugin_entry(void)                  \
	{                                                                      \
		return &(descriptor);                                          \
	}

/* Initialiser for the three protecting fields. */
#define SLUICE_PLUGIN_HEADER                                                   \
	.abi_major = SLUICE_ABI_MAJOR, .abi_minor = SLUICE_ABI_MINOR,          \
	.struct_size = sizeof(struct sluice_plugin)

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_PLUGIN_H */
