/*
 * task.c - what every task kind shares: state, failure, the records a
 * plugin emits during a callback (staged until the callback returns), and
 * the host function table handed to plugins.
 */
#include "task.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"
#include "log.h"
#include "metrics.h"
#include "offsets.h"
#include "task_state.h"
#include "worker.h"

static const char *const state_names[] = {"NEW", "RUNNING", "FAILED", "STOPPED",
					  "FINISHED"};

const char *task_state_name(enum task_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(*state_names)
		       ? state_names[s]
		       : "?";
}

void task_fail(struct sluice_task *t, const char *fmt, ...)
{
	if (atomic_load(&t->state_) == TASK_FAILED)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	atomic_store(&t->state_, TASK_FAILED);
	log_msg(SLUICE_LOG_ERROR, t->who, "task failed: %s", t->error);
}

void task_staged_clear(struct sluice_task *t)
{
	for (size_t i = 0; i < t->staged_n; i++) {
		struct staged_record *r = &t->staged[i];
		if (r->headers)
			rd_kafka_headers_destroy(r->headers);
		if (r->borrowed)
			continue;
		free(r->key);
		free(r->value);
		free(r->source_partition);
		free(r->position);
	}
	t->staged_n = 0;
	arena_reset(&t->arena);
}

/* ---- host functions ---- */

__attribute__((format(printf, 3, 4))) static void
host_log(struct sluice_task *t, enum sluice_log_level level, const char *fmt,
	 ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, t->who, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void
host_set_error(struct sluice_task *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->call_error, sizeof(t->call_error), fmt, ap);
	va_end(ap);
}

static const char *host_connector_name(struct sluice_task *t)
{
	return t->conn->cfg->name;
}

static int host_task_id(struct sluice_task *t)
{
	return t->id;
}

static int host_task_count(struct sluice_task *t)
{
	return t->conn->tasks_n;
}

/* The value of a declared option of the expected type, or NULL. */
static const struct optval *opt(struct sluice_task *t, const char *name,
				enum sluice_opt_type type)
{
	const struct optval *v = options_find(t->opts, name);
	if (!v) {
		log_msg(SLUICE_LOG_ERROR, t->who,
			"plugin bug: option '%s' is not declared", name);
		return NULL;
	}
	if (v->decl->type != type &&
	    !(type == SLUICE_OPT_STRING && v->decl->type == SLUICE_OPT_ENUM)) {
		log_msg(SLUICE_LOG_ERROR, t->who,
			"plugin bug: option '%s' is a %s, read as a %s", name,
			options_type_name(v->decl->type),
			options_type_name(type));
		return NULL;
	}
	return v->has_value ? v : NULL;
}

static const char *host_opt_string(struct sluice_task *t, const char *name)
{
	const struct optval *v = opt(t, name, SLUICE_OPT_STRING);
	return v ? v->text : NULL;
}

static int64_t host_opt_int(struct sluice_task *t, const char *name)
{
	const struct optval *v = opt(t, name, SLUICE_OPT_INT);
	return v ? v->num.i : 0;
}

static double host_opt_double(struct sluice_task *t, const char *name)
{
	const struct optval *v = opt(t, name, SLUICE_OPT_DOUBLE);
	return v ? v->num.d : 0.0;
}

static int host_opt_bool(struct sluice_task *t, const char *name)
{
	const struct optval *v = opt(t, name, SLUICE_OPT_BOOL);
	return v ? (int)v->num.i : 0;
}

static int64_t host_opt_size(struct sluice_task *t, const char *name)
{
	const struct optval *v = opt(t, name, SLUICE_OPT_SIZE);
	return v ? v->num.i : 0;
}

static int64_t host_opt_duration_ms(struct sluice_task *t, const char *name)
{
	const struct optval *v = opt(t, name, SLUICE_OPT_DURATION);
	return v ? v->num.i : 0;
}

static size_t host_opt_list(struct sluice_task *t, const char *name,
			    const char *const **items)
{
	const struct optval *v = opt(t, name, SLUICE_OPT_LIST);
	static const char *const none[] = {NULL};
	*items = v && v->list ? (const char *const *)v->list : none;
	return v ? v->list_n : 0;
}

static int host_opt_is_set(struct sluice_task *t, const char *name)
{
	const struct optval *v = options_find(t->opts, name);
	return v && v->set;
}

static struct staged_record *stage(struct sluice_task *t, const char *output,
				   const struct sluice_record *rec)
{
	if (!t->staging_open) {
		snprintf(t->call_error, sizeof(t->call_error),
			 "emit called outside a poll or process callback");
		return NULL;
	}
	/* A chain stage has one output: the next stage. */
	int out = t->stage_plugin
			  ? (output && t->stage_plugin->outputs &&
					     strcmp(output,
						    t->stage_plugin->outputs[0])
				     ? -1
				     : 0)
			  : connector_output_index(t->conn, output);
	if (out < 0) {
		snprintf(t->call_error, sizeof(t->call_error),
			 "emit to unknown output '%s'", output);
		return NULL;
	}
	if (t->staged_n == t->staged_cap) {
		t->staged_cap = t->staged_cap ? t->staged_cap * 2 : 64;
		t->staged =
			realloc(t->staged, t->staged_cap * sizeof(*t->staged));
		if (!t->staged)
			abort();
	}
	struct staged_record *r = &t->staged[t->staged_n++];
	*r = (struct staged_record){
		.output = out,
		.partition = rec->partition,
		.timestamp_ms = rec->timestamp_ms,
		.key = rec->key ? arena_copy(&t->arena, rec->key, rec->key_len)
				: NULL,
		.key_len = rec->key_len,
		.value = rec->value ? arena_copy(&t->arena, rec->value,
						 rec->value_len)
				    : NULL,
		.value_len = rec->value_len,
		.borrowed = 1,
	};
	if (rec->header_count) {
		r->headers = rd_kafka_headers_new(rec->header_count);
		for (size_t i = 0; i < rec->header_count; i++)
			rd_kafka_header_add(r->headers, rec->headers[i].name,
					    -1, rec->headers[i].value,
					    (ssize_t)rec->headers[i].value_len);
	}
	return r;
}

static int host_emit(struct sluice_task *t, const char *output,
		     const struct sluice_record *rec)
{
	return stage(t, output, rec) ? 0 : -1;
}

static int host_emit_source(struct sluice_task *t, const char *output,
			    const struct sluice_record *rec,
			    const char *source_partition, const char *position)
{
	if (!source_partition || !position) {
		snprintf(t->call_error, sizeof(t->call_error),
			 "emit_source needs a source partition and position");
		return -1;
	}
	struct staged_record *r = stage(t, output, rec);
	if (!r)
		return -1;
	r->source_partition = arena_strdup(&t->arena, source_partition);
	r->position = arena_strdup(&t->arena, position);
	return 0;
}

/* The position handed to a source is kept in the task's tracker window
 * (done_position); it is borrowed for the call, as plugin.h says, because
 * the next acknowledgement replaces it. */
static const char *host_source_position(struct sluice_task *t,
					const char *source_partition)
{
	long i = tracker_find(&t->trackers, source_partition, -1);
	if (i < 0) {
		char *p = offsets_get(&t->conn->w->offsets, t->conn->cfg->name,
				      source_partition);
		if (!p)
			return NULL;
		i = (long)tracker_get(&t->trackers, source_partition, -1);
		t->trackers.v[i].done_position = p;
		t->trackers.v[i].done_cap = strlen(p) + 1;
		t->trackers.v[i].has_done = 1;
	}
	return t->trackers.v[i].done_position;
}

static int host_reject(struct sluice_task *t, const struct sluice_record *rec,
		       const char *reason)
{
	return task_reject_record(t, rec, "put", reason);
}

static void host_counter_add(struct sluice_task *t, const char *name,
			     const char *labels, int64_t delta)
{
	metrics_counter_add(t, name, labels, delta);
}

static void host_gauge_set(struct sluice_task *t, const char *name,
			   const char *labels, double value)
{
	metrics_gauge_set(t, name, labels, value);
}

static void host_observe(struct sluice_task *t, const char *name,
			 const char *labels, double value)
{
	metrics_observe(t, name, labels, value);
}

static void host_request_flush(struct sluice_task *t)
{
	t->flush_requested = 1;
}

const struct sluice_host task_host_api = {
	.size = sizeof(struct sluice_host),
	.abi_minor = SLUICE_ABI_MINOR,
	.log = host_log,
	.set_error = host_set_error,
	.connector_name = host_connector_name,
	.task_id = host_task_id,
	.task_count = host_task_count,
	.opt_string = host_opt_string,
	.opt_int = host_opt_int,
	.opt_double = host_opt_double,
	.opt_bool = host_opt_bool,
	.opt_size = host_opt_size,
	.opt_duration_ms = host_opt_duration_ms,
	.opt_list = host_opt_list,
	.opt_is_set = host_opt_is_set,
	.emit = host_emit,
	.emit_source = host_emit_source,
	.source_position = host_source_position,
	.reject = host_reject,
	.counter_add = host_counter_add,
	.gauge_set = host_gauge_set,
	.observe = host_observe,
	.request_flush = host_request_flush,
	.state_get = task_state_get,
	.state_put = task_state_put,
	.state_delete = task_state_delete,
	.state_foreach = task_state_foreach,
};
