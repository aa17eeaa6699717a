/*
 * mock_host.h - a stand-in for the sluice host in plugin unit tests. It
 * drives one task of one plugin through the real ABI (the plugin's
 * descriptor, option table and callbacks, the host function table) with
 * no Kafka and no YAML: options come from name=value text, emitted
 * records are copied into an array the test reads, stored source
 * positions are preset by the test.
 *
 * mock_host_validate() checks the values against the plugin's option
 * table the way the host does (type, min/max, allowed, required, unknown
 * names), with messages of the same shape, so a test can show that the
 * table refuses a bad value before any plugin code runs. The real checks
 * live in host/options.c; this is a small, independent copy of them.
 */
#ifndef SLUICE_MOCK_HOST_H
#define SLUICE_MOCK_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/plugin.h"

struct mock_header {
	char *name;
	char *value; /* NUL-terminated copy; NULL when the header had none */
	size_t value_len;
};

/* A copy of one emitted record. Byte buffers are NUL-terminated copies
 * (the terminator is not counted in the length). */
struct mock_record {
	char *output; /* as passed to emit; NULL = the default output */
	int32_t partition;
	int64_t timestamp_ms;
	char *key; /* NULL: no key */
	size_t key_len;
	char *value; /* NULL: tombstone */
	size_t value_len;
	struct mock_header *headers;
	size_t header_count;
	char *source_partition; /* emit_source only, else NULL */
	char *position;		/* emit_source only, else NULL */
	char *reason;		/* reject only, else NULL */
};

struct mock_host;

/* A task of `plugin` numbered 0 of 1, no options set. Never NULL (aborts
 * when out of memory). */
struct mock_host *mock_host_new(const struct sluice_plugin *plugin);
/* Closes the plugin if it is open, frees everything. */
void mock_host_free(struct mock_host *m);

/* An option's value as written in YAML; a LIST as "a, b, c". Setting a
 * name twice replaces it; a name the table does not declare is kept and
 * refused by mock_host_validate, like a typo in a connector file. */
void mock_host_set(struct mock_host *m, const char *name, const char *value);
void mock_host_set_task(struct mock_host *m, int id, int count);
/* What host->source_position returns for this source partition. */
void mock_host_set_position(struct mock_host *m, const char *partition,
			    const char *position);
/* emit/emit_source succeed n more times, then fail (return -1, as for an
 * unknown output); n < 0, the default, never fails. */
void mock_host_fail_emits_after(struct mock_host *m, long n);

/* Checks the options against the table. Returns 0, or -1 with the first
 * problem in mock_host_error(), e.g. "config.rate: '-1' is below the
 * minimum 0". */
int mock_host_validate(struct mock_host *m);

/* Validates, then calls the plugin's open (closing it first if open). A
 * validation failure returns SLUICE_FATAL without calling the plugin. */
enum sluice_status mock_host_open(struct mock_host *m);
void mock_host_close(struct mock_host *m);

/* The plugin's callbacks, on the open task. As in the host, records
 * emitted during poll or process are kept only when the callback returns
 * OK or DONE (process: or REJECT, which keeps none). */
enum sluice_status mock_host_poll(struct mock_host *m, size_t max);
enum sluice_status mock_host_process(struct mock_host *m,
				     const struct sluice_record *in);
enum sluice_status mock_host_put(struct mock_host *m,
				 const struct sluice_record *recs, size_t n);
enum sluice_status mock_host_flush(struct mock_host *m,
				   struct sluice_partition *parts, size_t n,
				   int final);
enum sluice_status mock_host_tick(struct mock_host *m, int64_t now_ms);

/* The last message given to set_error (or by validation), or "". */
const char *mock_host_error(const struct mock_host *m);
/* Calls the plugin made that the host would log as plugin bugs: an
 * option read that is not declared or not of the getter's type. */
int mock_host_misuse(const struct mock_host *m);

size_t mock_host_record_count(const struct mock_host *m);
const struct mock_record *mock_host_record(const struct mock_host *m, size_t i);
/* Forgets the records captured so far (positions stay as preset). */
void mock_host_clear_records(struct mock_host *m);
/* Records passed to host->reject, with their reason. */
size_t mock_host_reject_count(const struct mock_host *m);
const struct mock_record *mock_host_reject(const struct mock_host *m, size_t i);

/* The value of the header `name` of r, or NULL. */
const char *mock_record_header(const struct mock_record *r, const char *name);

/* How many times the plugin called request_flush. */
int mock_host_flush_requests(const struct mock_host *m);

/* Sum of counter_add deltas for (name, labels); labels may be NULL. */
int64_t mock_host_counter(const struct mock_host *m, const char *name,
			  const char *labels);

/* Sinks: the plugin's assign and revoke (OK when it has none), and its
 * state as open returned it, for white-box checks. */
enum sluice_status mock_host_assign(struct mock_host *m,
				    const struct sluice_partition *parts,
				    size_t n);
enum sluice_status mock_host_revoke(struct mock_host *m,
				    const struct sluice_partition *parts,
				    size_t n);
void *mock_host_state(const struct mock_host *m);

/* The task's state store (ABI 1.2, SLUICE_PLUGIN_STATEFUL plugins). It
 * survives mock_host_close and mock_host_open, like the host's store
 * after a restart and its restore; mock_state_clear() empties it. */
struct mock_state;
struct mock_state *mock_host_store(struct mock_host *m);

#endif
