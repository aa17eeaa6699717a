/*
 * worker.h - the worker: Kafka (a real cluster, or the embedded broker),
 * topics, the source offset store, the running connectors, signals,
 * progress, reload and shutdown.
 */
#ifndef SLUICE_WORKER_H
#define SLUICE_WORKER_H

#include <stdatomic.h>

#include "offsets.h"
#include "setup.h"

struct broker;
struct connector;

struct worker {
	struct setup *setup;
	const struct setup_args *args;
	char *bootstraps;
	struct broker *embedded;
	struct offset_store offsets;
	struct connector **conns;
	size_t conns_n;
	atomic_int stopping;
};

/* Runs until SIGTERM/SIGINT. Returns an exit code (cli.h). */
int worker_run(struct setup *s, const struct setup_args *a);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t worker_now_ms(void);

#endif
