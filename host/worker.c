/*
 * worker.c - the worker's life: Kafka set-up (embedded broker or a real
 * cluster), topics, the source offset store, starting every connector
 * (all or none), then signals: SIGTERM/SIGINT stop gracefully (a second
 * one exits at once), SIGHUP reloads connectors.d. Between signals it
 * logs one progress line per connector every log.progress.interval.
 */
#include "worker.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "cli.h"
#include "connector.h"
#include "control.h"
#include "kafka.h"
#include "log.h"
#include "reload.h"
#include "rest.h"
#include "trigger.h"

int64_t worker_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Adds `name` to the list unless it is there already. */
static void topic_add(char ***v, size_t *n, const char *name)
{
	if (!name)
		return;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], name))
			return;
	*v = realloc(*v, (*n + 1) * sizeof(char *));
	if (!*v)
		abort();
	(*v)[(*n)++] = (char *)name;
}

/* Every topic the worker or a connector reads or writes. */
static size_t collect_topics(const struct worker *w,
			     const struct connector_list *l, char ***out)
{
	char **v = NULL;
	size_t n = 0;
	topic_add(&v, &n, w->setup->worker.offsets_topic);
	for (size_t i = 0; i < l->n; i++) {
		const struct connector_config *c = l->v[i];
		for (size_t j = 0; j < c->topics_n; j++)
			topic_add(&v, &n, c->topics[j]);
		for (size_t j = 0; j < c->outputs_n; j++)
			topic_add(&v, &n, c->outputs[j].topic);
		topic_add(&v, &n, c->errors.dlq_topic);
	}
	*out = v;
	return n;
}

int worker_ensure_topics(struct worker *w, const struct connector_list *l)
{
	char **topics;
	size_t n = collect_topics(w, l, &topics);
	char err[1024];
	int rc = 0;
	if (w->embedded) {
		for (size_t i = 0; i < n && rc == 0; i++) {
			int parts = kafka_partitions_for(&w->setup->worker,
							 topics[i]);
			if (broker_create_topic(w->embedded, topics[i], parts,
						err, sizeof(err)) < 0) {
				log_msg(SLUICE_LOG_ERROR, NULL,
					"topic '%s': %s", topics[i], err);
				rc = -1;
			}
		}
	} else if (kafka_ensure_topics(&w->setup->worker, w->bootstraps, topics,
				       n, 10000, err, sizeof(err))) {
		/* A cluster may forbid or not offer topic creation while
		 * still auto-creating or already holding the topics. */
		log_msg(SLUICE_LOG_WARN, NULL,
			"could not make sure every topic exists: %s", err);
	}
	free(topics);
	return rc;
}

static int start_kafka(struct worker *w)
{
	const struct worker_config *wc = &w->setup->worker;
	char err[1024];
	if (!strcmp(wc->bootstrap_servers, "embedded")) {
		w->embedded = broker_start(1, err, sizeof(err));
		if (!w->embedded) {
			log_msg(SLUICE_LOG_ERROR, NULL,
				"cannot start the embedded broker: %s", err);
			return -1;
		}
		w->bootstraps = strdup(broker_bootstraps(w->embedded));
		log_msg(SLUICE_LOG_WARN, NULL,
			"bootstrap.servers is 'embedded': an in-memory Kafka "
			"broker at %s; everything in it is lost when sluice "
			"stops, and each partition keeps only about 5 MiB",
			w->bootstraps);
	} else {
		w->bootstraps = strdup(wc->bootstrap_servers);
	}
	if (!w->bootstraps)
		abort();
	if (worker_ensure_topics(w, &w->setup->connectors))
		return -1;
	log_msg(SLUICE_LOG_INFO, NULL, "kafka at %s", w->bootstraps);
	return 0;
}

/* The source offsets topic, read when the first source connector opens:
 * a run of sinks and transforms has no use for it (a consumer made,
 * connected and destroyed at every start). 0, or -1 logged. */
static int load_offsets(struct worker *w)
{
	char err[1024];
	if (w->offsets_loaded)
		return 0;
	rd_kafka_conf_t *c = kafka_conf(&w->setup->worker, w->bootstraps, NULL,
					err, sizeof(err));
	if (!c) {
		log_msg(SLUICE_LOG_ERROR, NULL, "kafka: %s", err);
		return -1;
	}
	int rc = offsets_load(&w->offsets, c, 30000, err, sizeof(err));
	rd_kafka_conf_destroy(c);
	if (rc) {
		log_msg(SLUICE_LOG_ERROR, NULL,
			"cannot read source offsets: %s", err);
		return -1;
	}
	w->offsets_loaded = 1;
	log_msg(SLUICE_LOG_INFO, NULL, "%zu stored source position%s",
		w->offsets.n, w->offsets.n == 1 ? "" : "s");
	return 0;
}

int worker_open_connector(struct worker *w, struct connector_config *cfg)
{
	const struct plugin *p = registry_find(&w->setup->plugins, cfg->plugin);
	struct connector *c = connector_new(w, cfg, p);
	pthread_mutex_lock(&w->lock);
	w->conns = realloc(w->conns, (w->conns_n + 1) * sizeof(*w->conns));
	if (!w->conns)
		abort();
	w->conns[w->conns_n++] = c;
	c->fingerprint = reload_fingerprint(cfg);
	/* Even when it fails the connector is in w->conns: the callers
	 * stop and free it from there. */
	int rc = p && p->desc->kind == SLUICE_KIND_SOURCE && load_offsets(w)
			 ? -1
			 : connector_open(c);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

void worker_stop_connectors(struct worker *w, struct connector **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		connector_request_stop(v[i]);
	int64_t deadline =
		worker_now_ms() + w->setup->worker.shutdown_timeout_ms;
	for (size_t i = 0; i < n; i++) {
		int left = connector_join(v[i], deadline);
		if (left)
			log_msg(SLUICE_LOG_ERROR, v[i]->cfg->name,
				"%d task%s did not stop within "
				"shutdown.timeout",
				left, left == 1 ? "" : "s");
	}
}

static void progress(struct worker *w, int64_t elapsed_ms)
{
	for (size_t i = 0; i < w->conns_n; i++) {
		struct connector *c = w->conns[i];
		uint64_t in, out, failed, dlq;
		int64_t lag;
		int ft;
		connector_totals(c, &in, &out, &failed, &dlq, &lag, &ft);
		double secs = elapsed_ms > 0 ? (double)elapsed_ms / 1000.0 : 1;
		char lagbuf[32] = "-";
		if (lag >= 0)
			snprintf(lagbuf, sizeof(lagbuf), "%lld",
				 (long long)lag);
		log_msg(SLUICE_LOG_INFO, c->cfg->name,
			"in %llu (%.0f/s) out %llu (%.0f/s) failed %llu "
			"dead-lettered %llu lag %s%s",
			(unsigned long long)in,
			(double)(in - c->last_in) / secs,
			(unsigned long long)out,
			(double)(out - c->last_out) / secs,
			(unsigned long long)failed, (unsigned long long)dlq,
			lagbuf, ft ? " [a task FAILED]" : "");
		c->last_in = in;
		c->last_out = out;
	}
}

/* The closing lines: per connector what it did, per output, and for a
 * failed task why. */
static void summary(struct worker *w, int64_t elapsed_ms)
{
	for (size_t i = 0; i < w->conns_n; i++) {
		struct connector *c = w->conns[i];
		uint64_t in, out, failed, dlq;
		int64_t lag;
		int ft;
		connector_totals(c, &in, &out, &failed, &dlq, &lag, &ft);
		/* Per output only when there are several: "out 10 (out 9,
		 * quarantine 1)". */
		char outs[512] = "";
		size_t pos = 0;
		for (int o = 0;
		     c->outputs_n > 1 && o < c->outputs_n && pos < sizeof(outs);
		     o++) {
			uint64_t n = 0;
			for (int k = 0; k < c->tasks_n; k++)
				if (c->tasks[k])
					n += atomic_load(
						&c->tasks[k]->by_output[o]);
			pos += (size_t)snprintf(outs + pos, sizeof(outs) - pos,
						"%s%s %llu", o ? ", " : " (",
						c->output_names[o],
						(unsigned long long)n);
		}
		if (pos && pos < sizeof(outs) - 1)
			strcat(outs, ")");
		log_msg(SLUICE_LOG_INFO, c->cfg->name,
			"summary: in %llu, out %llu%s, failed %llu, "
			"dead-lettered %llu, %.1f s",
			(unsigned long long)in, (unsigned long long)out, outs,
			(unsigned long long)failed, (unsigned long long)dlq,
			(double)elapsed_ms / 1000.0);
		for (int k = 0; k < c->tasks_n; k++)
			if (c->tasks[k] &&
			    atomic_load(&c->tasks[k]->state_) == TASK_FAILED)
				log_msg(SLUICE_LOG_ERROR, c->tasks[k]->who,
					"FAILED: %s", c->tasks[k]->error);
	}
}

/* After the first stop signal, a second one ends the process at once. */
static void *second_signal(void *arg)
{
	sigset_t *set = arg;
	int sig;
	do
		sigwait(set, &sig);
	while (sig == SIGHUP);
	log_msg(SLUICE_LOG_WARN, NULL, "second signal: exiting now");
	_exit(EXIT_FAILURE_RUN);
}

static int any_failed(const struct worker *w)
{
	for (size_t i = 0; i < w->conns_n; i++) {
		uint64_t a, b, c, d;
		int64_t lag;
		int ft;
		connector_totals(w->conns[i], &a, &b, &c, &d, &lag, &ft);
		if (ft)
			return 1;
	}
	return 0;
}

int worker_run(struct setup *s, const struct setup_args *a)
{
	struct worker w = {.setup = s, .args = a};
	log_setup(s->worker.log_level, s->worker.log_format);
	/* Blocked in every thread (librdkafka's too): only sigtimedwait
	 * below and second_signal receive them. */
	static sigset_t set; /* the watcher thread outlives this frame */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	int rc = EXIT_OK;
	int64_t started = worker_now_ms();
	pthread_mutex_init(&w.lock, NULL);
	w.control = control_new();
	offsets_init(&w.offsets, s->worker.offsets_topic);
	if (start_kafka(&w)) {
		rc = EXIT_KAFKA;
		goto out;
	}
	/* Before the connectors open, so that a port in use fails fast;
	 * requests wait for the main loop below. */
	if (rest_start(&w)) {
		rc = EXIT_CONFIG;
		goto out;
	}
	/* All or nothing: every connector opens before any task runs. */
	for (size_t i = 0; i < s->connectors.n; i++) {
		struct connector_config *cfg = s->connectors.v[i];
		s->connectors.v[i] = NULL; /* owned by w.conns from here */
		if (worker_open_connector(&w, cfg)) {
			log_msg(SLUICE_LOG_ERROR, NULL,
				"connector '%s' could not start; stopping the "
				"worker",
				cfg->name);
			rc = EXIT_CONFIG;
			goto stop;
		}
	}
	s->connectors.n = 0;
	for (size_t i = 0; i < w.conns_n; i++) {
		if (connector_run(w.conns[i])) {
			rc = EXIT_FAILURE_RUN;
			goto stop;
		}
	}
	log_msg(SLUICE_LOG_INFO, NULL, "worker running %zu connector%s",
		w.conns_n, w.conns_n == 1 ? "" : "s");

	started = worker_now_ms();
	int64_t interval = s->worker.progress_interval_ms;
	if (interval <= 0)
		interval = 5000;
	int64_t last = worker_now_ms();
	/* A triggered run releases each stage of a chain and ends here:
	 * every tick of delay is paid once per stage. */
	long tick_ms = s->worker.trigger_once ? 5 : 200;
	for (;;) {
		struct timespec ts = {0, tick_ms * 1000000};
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			log_msg(SLUICE_LOG_INFO, NULL,
				"%s: stopping (send it again to exit at once)",
				sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
		if (sig == SIGHUP && !s->worker.trigger_once)
			reload_connectors(&w);
		control_serve(&w);
		live_tick(&w); /* rates for the REST API */
		if (s->worker.trigger_once) {
			trigger_release(&w);
			if (trigger_all_done(&w)) {
				log_msg(SLUICE_LOG_INFO, NULL,
					"triggered run: every task finished");
				break;
			}
		}
		int64_t now = worker_now_ms();
		if (now - last >= interval) {
			progress(&w, now - last);
			last = now;
		}
	}
stop:;
	pthread_t watcher;
	pthread_create(&watcher, NULL, second_signal, &set);
	pthread_detach(watcher);
	/* Requests waiting for a command are answered first: the server
	 * waits for its connections when it stops. */
	control_close(w.control);
	rest_stop(&w);
	worker_stop_connectors(&w, w.conns, w.conns_n);
	summary(&w, worker_now_ms() - started);
	if (rc == EXIT_OK && any_failed(&w))
		rc = EXIT_FAILURE_RUN;
	connector_free_all(w.conns, w.conns_n);
	free(w.conns);
out:
	control_close(w.control);
	rest_stop(&w);
	control_free(w.control);
	pthread_mutex_destroy(&w.lock);
	offsets_free(&w.offsets);
	broker_stop(w.embedded);
	free(w.bootstraps);
	log_msg(SLUICE_LOG_INFO, NULL, "worker stopped");
	return rc;
}
