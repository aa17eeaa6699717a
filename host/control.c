/*
 * control.c - the commands of the REST API, run by the worker's main loop
 * (see control.h).
 *
 * Pausing a sink or a transform pauses its consumers' partitions
 * (rd_kafka_pause_partitions): the task loop goes on serving rebalances
 * and flushing, but nothing new arrives, so nothing new is committed and
 * the lag grows. librdkafka resumes a partition from the position after
 * the last record handed to the task, so nothing is lost. A source has no
 * consumer: pausing it stops its tasks (each stores its positions first),
 * and resuming opens them again from those positions. Stopping and
 * restarting go the same way for every kind. Reopened tasks take over
 * the counters and metrics of the ones they replace, so /metrics
 * counters do not go back.
 *
 * A restart restarts all tasks of the connector together: a sink task
 * leaving its group alone rebalances its siblings, and its final commit
 * waits for theirs (task_leave_group).
 */
#include "control.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connector.h"
#include "log.h"
#include "reload.h"
#include "worker.h"

struct control_cmd {
	enum control_op op;
	char name[128];
	int rc;
	char msg[256];
	int done;      /* rc and msg are set */
	int abandoned; /* the caller gave up waiting: free it when done */
	struct control_cmd *next;
};

struct control {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct control_cmd *head, *tail;
	int closed;
};

struct control *control_new(void)
{
	struct control *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &a);
	pthread_condattr_destroy(&a);
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->closed = 1;
	while (c->head) {
		struct control_cmd *cmd = c->head;
		c->head = cmd->next;
		cmd->rc = -1;
		snprintf(cmd->msg, sizeof(cmd->msg), "the worker is stopping");
		cmd->done = 1;
		if (cmd->abandoned)
			free(cmd);
	}
	c->tail = NULL;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void control_free(struct control *c)
{
	if (!c)
		return;
	control_close(c);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int control_call(struct control *c, enum control_op op, const char *name,
		 int timeout_ms, char *msg, size_t msglen)
{
	if (msg && msglen)
		msg[0] = '\0';
	struct control_cmd *cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		abort();
	cmd->op = op;
	snprintf(cmd->name, sizeof(cmd->name), "%s", name ? name : "");
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&c->lock);
	if (c->closed) {
		pthread_mutex_unlock(&c->lock);
		free(cmd);
		if (msg)
			snprintf(msg, msglen, "the worker is stopping");
		return -1;
	}
	if (c->tail)
		c->tail->next = cmd;
	else
		c->head = cmd;
	c->tail = cmd;
	while (!cmd->done &&
	       pthread_cond_timedwait(&c->cond, &c->lock, &until) == 0)
		;
	int rc;
	if (cmd->done) {
		rc = cmd->rc;
		if (msg)
			snprintf(msg, msglen, "%s", cmd->msg);
		free(cmd);
	} else {
		cmd->abandoned = 1;
		rc = 1;
		if (msg)
			snprintf(msg, msglen, "still in progress");
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static struct connector *find(struct worker *w, const char *name)
{
	for (size_t i = 0; i < w->conns_n; i++)
		if (!strcmp(w->conns[i]->cfg->name, name))
			return w->conns[i];
	return NULL;
}

/* Pauses or resumes every partition the connector's consumers own. */
static void pause_all(struct connector *c, int pause)
{
	for (int i = 0; i < c->tasks_n; i++) {
		struct sluice_task *t = c->tasks[i];
		rd_kafka_topic_partition_list_t *a = NULL;
		if (!t || !t->consumer || !t->started ||
		    rd_kafka_assignment(t->consumer, &a) || !a)
			continue;
		if (a->cnt) {
			rd_kafka_resp_err_t e =
				pause ? rd_kafka_pause_partitions(t->consumer,
								  a)
				      : rd_kafka_resume_partitions(t->consumer,
								   a);
			if (e)
				log_msg(SLUICE_LOG_WARN, t->who, "%s: %s",
					pause ? "pause" : "resume",
					rd_kafka_err2str(e));
		}
		rd_kafka_topic_partition_list_destroy(a);
	}
}

static int tasks_running(const struct connector *c)
{
	for (int i = 0; i < c->tasks_n; i++)
		if (c->tasks[i] && c->tasks[i]->started)
			return 1;
	return 0;
}

static void stop_tasks(struct worker *w, struct connector *c)
{
	if (tasks_running(c))
		worker_stop_connectors(w, &c, 1);
}

/* The new task takes over what the old one counted. */
static void carry(struct sluice_task *from, struct sluice_task *to, int outputs)
{
	atomic_store(&to->counters.in, atomic_load(&from->counters.in));
	atomic_store(&to->counters.out, atomic_load(&from->counters.out));
	atomic_store(&to->counters.failed, atomic_load(&from->counters.failed));
	atomic_store(&to->counters.deadlettered,
		     atomic_load(&from->counters.deadlettered));
	for (int o = 0; o < outputs; o++)
		atomic_store(&to->by_output[o],
			     atomic_load(&from->by_output[o]));
	struct metric *v = to->metrics.v;
	size_t n = to->metrics.n, cap = to->metrics.cap;
	to->metrics.v = from->metrics.v;
	to->metrics.n = from->metrics.n;
	to->metrics.cap = from->metrics.cap;
	from->metrics.v = v;
	from->metrics.n = n;
	from->metrics.cap = cap;
}

/* Opens new tasks in place of the stopped ones and runs them. */
static int start_tasks(struct worker *w, struct connector *c, char *msg,
		       size_t len)
{
	if (tasks_running(c)) {
		snprintf(msg, len,
			 "a task did not stop within "
			 "shutdown.timeout");
		return -1;
	}
	struct sluice_task **old = c->tasks;
	int old_n = c->tasks_n;
	pthread_mutex_lock(&w->lock);
	c->tasks = NULL;
	c->tasks_n = 0;
	int rc = connector_open(c);
	struct sluice_task **gone = old;
	int gone_n = old_n;
	if (rc) {
		gone = c->tasks;
		gone_n = c->tasks_n;
		c->tasks = old;
		c->tasks_n = old_n;
	} else {
		for (int i = 0; i < old_n && i < c->tasks_n; i++)
			if (old[i] && c->tasks[i])
				carry(old[i], c->tasks[i], c->outputs_n);
	}
	pthread_mutex_unlock(&w->lock);
	connector_free_tasks(gone, gone_n);
	if (rc) {
		snprintf(msg, len, "the tasks could not start (see the log)");
		return -1;
	}
	if (connector_run(c)) {
		snprintf(msg, len, "the tasks could not start (see the log)");
		return -1;
	}
	return 0;
}

static int run(struct worker *w, struct control_cmd *cmd)
{
	if (cmd->op == CONTROL_APPLY) {
		reload_connectors(w);
		return 0;
	}
	struct connector *c = find(w, cmd->name);
	if (!c) {
		snprintf(cmd->msg, sizeof(cmd->msg), "no connector '%s'",
			 cmd->name);
		return -1;
	}
	int source = c->plugin->kind == SLUICE_KIND_SOURCE;
	int target = atomic_load(&c->target);
	switch (cmd->op) {
	case CONTROL_PAUSE:
		if (target == CONNECTOR_STOPPED) {
			snprintf(cmd->msg, sizeof(cmd->msg),
				 "connector '%s' is stopped; resume it first",
				 c->cfg->name);
			return -1;
		}
		if (target == CONNECTOR_PAUSED)
			return 0;
		atomic_store(&c->target, CONNECTOR_PAUSED);
		if (source)
			stop_tasks(w, c);
		else
			pause_all(c, 1);
		log_msg(SLUICE_LOG_INFO, c->cfg->name, "paused");
		return 0;
	case CONTROL_RESUME:
		if (target == CONNECTOR_RUNNING)
			return 0;
		if (source || target == CONNECTOR_STOPPED) {
			if (start_tasks(w, c, cmd->msg, sizeof(cmd->msg)))
				return -1;
		} else {
			pause_all(c, 0);
		}
		atomic_store(&c->target, CONNECTOR_RUNNING);
		log_msg(SLUICE_LOG_INFO, c->cfg->name, "resumed");
		return 0;
	case CONTROL_STOP:
		atomic_store(&c->target, CONNECTOR_STOPPED);
		stop_tasks(w, c);
		log_msg(SLUICE_LOG_INFO, c->cfg->name, "stopped on request");
		return 0;
	case CONTROL_RESTART:
		stop_tasks(w, c);
		atomic_store(&c->target, CONNECTOR_RUNNING);
		if (start_tasks(w, c, cmd->msg, sizeof(cmd->msg)))
			return -1;
		log_msg(SLUICE_LOG_INFO, c->cfg->name, "restarted");
		return 0;
	default:
		return -1;
	}
}

void control_serve(struct worker *w)
{
	struct control *ctl = w->control;
	if (!ctl)
		return;
	for (;;) {
		pthread_mutex_lock(&ctl->lock);
		struct control_cmd *cmd = ctl->head;
		if (cmd) {
			ctl->head = cmd->next;
			if (!ctl->head)
				ctl->tail = NULL;
		}
		pthread_mutex_unlock(&ctl->lock);
		if (!cmd)
			break;
		int rc = run(w, cmd);
		pthread_mutex_lock(&ctl->lock);
		cmd->rc = rc;
		cmd->done = 1;
		if (cmd->abandoned)
			free(cmd);
		else
			pthread_cond_broadcast(&ctl->cond);
		pthread_mutex_unlock(&ctl->lock);
	}
	/* A rebalance hands out partitions unpaused. */
	for (size_t i = 0; i < w->conns_n; i++) {
		struct connector *c = w->conns[i];
		if (atomic_load(&c->target) == CONNECTOR_PAUSED &&
		    c->plugin->kind != SLUICE_KIND_SOURCE)
			pause_all(c, 1);
	}
}
