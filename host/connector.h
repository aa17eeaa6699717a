/*
 * connector.h - a running connector: its configuration, its plugin and
 * its tasks. Starting creates the task threads; stopping asks them to
 * finish (drain, flush, commit) and joins them.
 */
#ifndef SLUICE_CONNECTOR_H
#define SLUICE_CONNECTOR_H

#include <stdatomic.h>
#include <stdint.h>

#include "config.h"
#include "loader.h"
#include "task.h"

struct worker;

/* What the REST API asked of a connector (control.c). */
enum connector_target {
	CONNECTOR_RUNNING, /* the default */
	CONNECTOR_PAUSED,  /* consumers paused; a source's tasks stopped */
	CONNECTOR_STOPPED, /* tasks stopped */
};

struct connector {
	struct worker *w;
	struct connector_config *cfg; /* owned */
	const struct sluice_plugin *plugin;
	uint64_t fingerprint; /* of the configuration, for reload */
	char group_id[256];

	/* The plugin's outputs, in its order, and the topic of each. */
	const char **output_names;
	const char **output_topics;
	/* The first output with the same topic as each (for origin stamps'
	 * ordinals, which count per topic). */
	int *output_topic_first;
	int outputs_n;

	struct sluice_task **tasks;
	int tasks_n;

	/* For rates in the progress log. */
	uint64_t last_in, last_out;

	atomic_int target; /* enum connector_target */
};

struct connector *connector_new(struct worker *w, struct connector_config *cfg,
				const struct plugin *plugin);
/* Creates every task: its Kafka clients, its plugin state (open). No
 * thread runs yet. Returns 0, or -1 after logging why (free it then). */
int connector_open(struct connector *c);
/* Starts the task threads of an opened connector. 0, or -1. */
int connector_run(struct connector *c);
/* Asks every task to stop. */
void connector_request_stop(struct connector *c);
/* Waits for the tasks until `deadline_ms` (CLOCK_MONOTONIC); returns the
 * number still running. */
int connector_join(struct connector *c, int64_t deadline_ms);
void connector_free(struct connector *c);
/* connector_free of each, their Kafka clients shut down in parallel. */
void connector_free_all(struct connector **v, size_t n);
/* Frees the tasks of v whose threads were joined (or never ran), and v;
 * a task still running is left to the process exit. */
void connector_free_tasks(struct sluice_task **v, int n);

/* The output index for a name (NULL = the default), or -1. */
int connector_output_index(const struct connector *c, const char *name);

/* Sum of the tasks' counters. */
void connector_totals(const struct connector *c, uint64_t *in, uint64_t *out,
		      uint64_t *failed, uint64_t *dlq, int64_t *lag,
		      int *failed_tasks);

#endif
