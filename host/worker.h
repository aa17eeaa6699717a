/*
 * worker.h - the worker: Kafka (a real cluster, or the embedded broker),
 * topics, the source offset store, the running connectors, signals,
 * progress, reload and shutdown.
 */
#ifndef SLUICE_WORKER_H
#define SLUICE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>

#include "offsets.h"
#include "setup.h"

struct broker;
struct connector;
struct control;
struct rest;

struct worker {
	struct setup *setup;
	const struct setup_args *args;
	char *bootstraps;
	struct broker *embedded;
	struct offset_store offsets;
	int offsets_loaded; /* read once the first source connector opens */
	struct connector **conns;
	size_t conns_n;
	atomic_int stopping;
	/* Held by the main thread while it changes `conns` or a
	 * connector's `tasks` array, and by the REST threads while they
	 * read them; never held while waiting for a task thread. */
	pthread_mutex_t lock;
	struct control *control; /* commands from the REST API */
	struct rest *rest;	 /* NULL when rest.listen is off */
};

/* Runs until SIGTERM/SIGINT. Returns an exit code (cli.h). */
int worker_run(struct setup *s, const struct setup_args *a);

/* Creates (embedded) or makes sure of (a cluster) every topic of the
 * worker and of these connectors. */
int worker_ensure_topics(struct worker *w, const struct connector_list *l);
/* Adds a connector (taking `cfg`) and opens it (connector_open); -1 if
 * it could not (it stays in the list for the caller to remove). */
int worker_open_connector(struct worker *w, struct connector_config *cfg);
/* Asks every connector of v to stop, then joins them within
 * shutdown.timeout. */
void worker_stop_connectors(struct worker *w, struct connector **v, size_t n);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t worker_now_ms(void);

#endif
