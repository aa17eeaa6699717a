/*
 * connector.c - a running connector and its tasks (see connector.h).
 * Everything that can fail (plugin open, Kafka clients) happens in
 * connector_start before any task thread runs, so a connector either
 * starts whole or not at all.
 */
#include "connector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "kafka.h"
#include "log.h"
#include "task_kafka.h"
#include "task_state.h"
#include "trigger.h"
#include "worker.h"

static const char *const default_outputs[] = {"out", NULL};

struct connector *connector_new(struct worker *w, struct connector_config *cfg,
				const struct plugin *plugin)
{
	struct connector *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->w = w;
	c->cfg = cfg;
	c->plugin = plugin->desc;
	snprintf(c->group_id, sizeof(c->group_id), "%s-%s",
		 w->setup->worker.group_prefix, cfg->name);
	const char *const *outs =
		c->plugin->outputs ? c->plugin->outputs : default_outputs;
	if (c->plugin->kind == SLUICE_KIND_SINK)
		outs = default_outputs + 1; /* none */
	while (outs[c->outputs_n])
		c->outputs_n++;
	c->output_names = calloc((size_t)c->outputs_n + 1, sizeof(char *));
	c->output_topics = calloc((size_t)c->outputs_n + 1, sizeof(char *));
	c->output_topic_first = calloc((size_t)c->outputs_n + 1, sizeof(int));
	if (!c->output_names || !c->output_topics || !c->output_topic_first)
		abort();
	for (int i = 0; i < c->outputs_n; i++) {
		c->output_names[i] = outs[i];
		for (size_t j = 0; j < cfg->outputs_n; j++)
			if (cfg->outputs[j].name &&
			    !strcmp(cfg->outputs[j].name, outs[i]))
				c->output_topics[i] = cfg->outputs[j].topic;
	}
	for (int i = 0; i < c->outputs_n; i++) {
		c->output_topic_first[i] = i;
		for (int j = 0; j < i && c->output_topics[i]; j++)
			if (c->output_topics[j] &&
			    !strcmp(c->output_topics[j], c->output_topics[i])) {
				c->output_topic_first[i] = j;
				break;
			}
	}
	return c;
}

int connector_output_index(const struct connector *c, const char *name)
{
	if (!name)
		return c->outputs_n > 0 ? 0 : -1;
	for (int i = 0; i < c->outputs_n; i++)
		if (!strcmp(c->output_names[i], name))
			return c->output_topics[i] ? i : -1;
	return -1;
}

/* The first half of a task's free: the plugin closed, the task's Kafka
 * clients on their way out (closing[0..1], waited for by task_free_end).
 * Clients shut down in parallel: each takes a few milliseconds. */
static void task_free_begin(struct sluice_task *t,
			    struct kafka_closing closing[2])
{
	const struct sluice_plugin *p = t->conn->plugin;
	/* The chain was opened after the plugin: it closes first. */
	chain_close(t->chain);
	t->chain = NULL;
	if (t->opened && p->close)
		p->close(t->state);
	t->opened = 0;
	/* Partition lists from a client may hold references into it: they
	 * go first, or its destroy waits for them. */
	trigger_forget(t);
	if (t->ends_base)
		rd_kafka_topic_partition_list_destroy(t->ends_base);
	t->ends_base = NULL;
	kafka_destroy_begin(&closing[0], t->consumer);
	kafka_destroy_begin(&closing[1], t->producer);
	t->consumer = t->producer = NULL;
}

#define CLIENT_DESTROY_MS 5000

static void task_free_end(struct sluice_task *t,
			  struct kafka_closing closing[2],
			  const struct timespec *by)
{
	const struct sluice_plugin *p = t->conn->plugin;
	kafka_destroy_end(&closing[0], by, CLIENT_DESTROY_MS, t->who);
	kafka_destroy_end(&closing[1], by, CLIENT_DESTROY_MS, t->who);
	task_staged_clear(t);
	free(t->staged);
	arena_free(&t->arena);
	tracker_set_free(&t->trackers);
	task_state_free(t);
	free(t->by_output);
	free(t->ordinals);

	if (p->kind == SLUICE_KIND_SINK)
		task_sink_state_free(t->kind_state);
	else if (p->kind == SLUICE_KIND_TRANSFORM)
		task_transform_state_free(t->kind_state);
	metric_set_free(&t->metrics);
	live_free(&t->live);
	free(t);
}

static void task_free(struct sluice_task *t)
{
	struct kafka_closing closing[2];
	struct timespec by;
	kafka_destroy_deadline(&by, CLIENT_DESTROY_MS);
	task_free_begin(t, closing);
	task_free_end(t, closing, &by);
}

/* Creates a task, its Kafka clients, and opens the plugin for it. */
static struct sluice_task *task_new(struct connector *c, int id, char *err,
				    size_t errlen)
{
	struct sluice_task *t = calloc(1, sizeof(*t));
	if (!t)
		abort();
	t->conn = c;
	t->id = id;
	t->opts = &c->cfg->opts;
	t->by_output = calloc((size_t)c->outputs_n + 1, sizeof(*t->by_output));
	t->ordinals = calloc((size_t)c->outputs_n + 1, sizeof(*t->ordinals));
	if (!t->by_output || !t->ordinals)
		abort();
	snprintf(t->who, sizeof(t->who), "%s/%d", c->cfg->name, id);
	atomic_init(&t->stop, 0);
	atomic_init(&t->final_committed, 0);
	atomic_init(&t->state_, TASK_NEW);
	atomic_init(&t->counters.lag, -1);
	t->quiet_window = -1;
	metric_set_init(&t->metrics);
	live_init(&t->live);
	const struct sluice_plugin *p = c->plugin;
	int need_producer = p->kind != SLUICE_KIND_SINK ||
			    c->cfg->errors.tolerance == TOLERANCE_ALL;
	if (p->kind == SLUICE_KIND_SINK)
		t->kind_state = task_sink_state_new();
	else if (p->kind == SLUICE_KIND_TRANSFORM)
		t->kind_state = task_transform_state_new();
	if (need_producer && task_producer_new(t, err, errlen))
		goto fail;
	/* A stateful transform's store is restored before its open. */
	if (task_state_open(t, err, errlen))
		goto fail;
	t->call_error[0] = '\0';
	if (p->open(t, &task_host_api, &t->state) != SLUICE_OK) {
		snprintf(err, errlen, "plugin '%s' failed to open: %s", p->name,
			 t->call_error[0] ? t->call_error : "no reason given");
		goto fail;
	}
	t->opened = 1;
	int chain_failed;
	t->chain = chain_open(t, &chain_failed, err, errlen);
	if (chain_failed)
		goto fail;
	return t;
fail:
	task_free(t);
	return NULL;
}

int connector_open(struct connector *c)
{
	const struct sluice_plugin *p = c->plugin;
	char err[1024];
	c->tasks_n = c->cfg->tasks_max;
	c->tasks = calloc((size_t)c->tasks_n, sizeof(*c->tasks));
	if (!c->tasks)
		abort();
	for (int i = 0; i < c->tasks_n; i++) {
		c->tasks[i] = task_new(c, i, err, sizeof(err));
		if (!c->tasks[i]) {
			log_msg(SLUICE_LOG_ERROR, c->cfg->name,
				"cannot start task %d: %s", i, err);
			return -1;
		}
	}
	/* Consumers subscribe only once every task opened, so that no
	 * partition is assigned to a task that then fails to start. */
	for (int i = 0; i < c->tasks_n; i++) {
		struct sluice_task *t = c->tasks[i];
		task_rebalance_fn *cb = p->kind == SLUICE_KIND_SINK
						? task_sink_rebalance
					: p->kind == SLUICE_KIND_TRANSFORM
						? task_transform_rebalance
						: NULL;
		if (cb && task_consumer_new(t, cb, err, sizeof(err))) {
			log_msg(SLUICE_LOG_ERROR, c->cfg->name,
				"cannot start task %d: %s", i, err);
			return -1;
		}
	}
	return 0;
}

int connector_run(struct connector *c)
{
	const struct sluice_plugin *p = c->plugin;
	void *(*body)(void *) = p->kind == SLUICE_KIND_SOURCE ? task_source_main
				: p->kind == SLUICE_KIND_SINK ? task_sink_main
				: task_state_wanted(c)	      ? task_state_main
						       : task_transform_main;
	for (int i = 0; i < c->tasks_n; i++) {
		struct sluice_task *t = c->tasks[i];
		atomic_store(&t->state_, TASK_RUNNING);
		int e = pthread_create(&t->thread, NULL, body, t);
		if (e) {
			atomic_store(&t->state_, TASK_FAILED);
			log_msg(SLUICE_LOG_ERROR, c->cfg->name,
				"cannot start task %d: %s", i, strerror(e));
			return -1;
		}
		t->started = 1;
		/* `top -H` and profilers show the task by name (the kernel
		 * keeps 15 bytes of it). */
		char name[16];
		snprintf(name, sizeof(name), "%s/%d", c->cfg->name, i);
		pthread_setname_np(t->thread, name);
	}
	log_msg(SLUICE_LOG_INFO, c->cfg->name, "started %d task%s (%s %s)",
		c->tasks_n, c->tasks_n == 1 ? "" : "s", p->name, p->version);
	return 0;
}

void connector_request_stop(struct connector *c)
{
	for (int i = 0; i < c->tasks_n; i++)
		if (c->tasks[i])
			atomic_store(&c->tasks[i]->stop, 1);
}

int connector_join(struct connector *c, int64_t deadline_ms)
{
	int left = 0;
	for (int i = 0; i < c->tasks_n; i++) {
		struct sluice_task *t = c->tasks[i];
		if (!t || !t->started)
			continue;
		int64_t ms = deadline_ms - worker_now_ms();
		if (ms < 0)
			ms = 0;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		int e = pthread_timedjoin_np(t->thread, NULL, &ts);
		if (e == 0)
			t->started = 0;
		else
			left++;
	}
	return left;
}

/* Frees the stopped tasks of every list: every client's shutdown is
 * started before any is waited for. */
static void free_task_lists(struct sluice_task **const *lists,
			    const int *counts, size_t n)
{
	size_t total = 0, k = 0;
	for (size_t l = 0; l < n; l++)
		total += (size_t)counts[l];
	struct kafka_closing(*closing)[2] = calloc(total + 1, sizeof(*closing));
	if (!closing)
		abort();
	struct timespec by;
	kafka_destroy_deadline(&by, CLIENT_DESTROY_MS);
	for (size_t l = 0; l < n; l++)
		for (int i = 0; i < counts[l]; i++, k++)
			if (lists[l] && lists[l][i] && !lists[l][i]->started)
				task_free_begin(lists[l][i], closing[k]);
	k = 0;
	for (size_t l = 0; l < n; l++)
		for (int i = 0; i < counts[l]; i++, k++)
			if (lists[l] && lists[l][i] && !lists[l][i]->started)
				task_free_end(lists[l][i], closing[k], &by);
	free(closing);
}

void connector_free_tasks(struct sluice_task **v, int n)
{
	free_task_lists(&v, &n, 1);
	free(v);
}

void connector_free_all(struct connector **v, size_t n)
{
	struct sluice_task ***lists = calloc(n + 1, sizeof(*lists));
	int *counts = calloc(n + 1, sizeof(*counts));
	if (!lists || !counts)
		abort();
	for (size_t i = 0; i < n; i++) {
		lists[i] = v[i] ? v[i]->tasks : NULL;
		counts[i] = v[i] ? v[i]->tasks_n : 0;
	}
	free_task_lists((struct sluice_task * *const *)lists, counts, n);
	for (size_t i = 0; i < n; i++) {
		struct connector *c = v[i];
		if (!c)
			continue;
		free(c->tasks);
		free(c->output_names);
		free(c->output_topics);
		free(c->output_topic_first);
		config_free_connector(c->cfg);
		free(c);
	}
	free(lists);
	free(counts);
}

void connector_free(struct connector *c)
{
	connector_free_all(&c, 1);
}

void connector_totals(const struct connector *c, uint64_t *in, uint64_t *out,
		      uint64_t *failed, uint64_t *dlq, int64_t *lag,
		      int *failed_tasks)
{
	*in = *out = *failed = *dlq = 0;
	*lag = -1;
	*failed_tasks = 0;
	for (int i = 0; i < c->tasks_n; i++) {
		struct sluice_task *t = c->tasks[i];
		if (!t)
			continue;
		*in += atomic_load(&t->counters.in);
		*out += atomic_load(&t->counters.out);
		*failed += atomic_load(&t->counters.failed);
		*dlq += atomic_load(&t->counters.deadlettered);
		int64_t l = atomic_load(&t->counters.lag);
		if (l >= 0)
			*lag = (*lag < 0 ? 0 : *lag) + l;
		if (atomic_load(&t->state_) == TASK_FAILED)
			(*failed_tasks)++;
	}
}
