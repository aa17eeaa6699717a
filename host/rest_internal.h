/*
 * rest_internal.h - what the files of the REST API share: a parsed
 * request, the response being built, and the handlers of each group of
 * paths (rest_connectors.c, rest_plugins.c). Not for other modules.
 */
#ifndef SLUICE_REST_INTERNAL_H
#define SLUICE_REST_INTERNAL_H

#include <json-c/json.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stddef.h>

#include "rest_json.h"

struct worker;
struct connector;

/* Request bodies larger than this are refused with 413. */
#define REST_BODY_MAX (1024 * 1024)
/* How long a request waits for the main loop to run its command. */
#define REST_COMMAND_WAIT_MS 60000
#define REST_SEGS_MAX 8

struct rest {
	struct MHD_Daemon *d;
	struct worker *w;
	char worker_id[128]; /* host:port actually bound */
	const char *token;   /* rest.token or NULL */
	/* One change of connectors.d at a time. */
	pthread_mutex_t write_lock;
};

struct rest_req {
	struct rest *r;
	struct MHD_Connection *conn;
	const char *method;
	const char *seg[REST_SEGS_MAX]; /* the path's segments, decoded */
	int nseg;
	const char *body;
	size_t body_len;
};

struct rest_resp {
	int status;
	char *body; /* malloc'd */
	size_t len;
	const char *type; /* Content-Type */
};

/* Sets the response to `j` (taken) as JSON. */
void rest_json(struct rest_resp *o, int status, struct json_object *j);
void rest_error(struct rest_resp *o, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 405 naming the method. */
void rest_bad_method(struct rest_req *q, struct rest_resp *o);
int rest_is(const struct rest_req *q, const char *method);
/* The value of a query argument, or NULL. */
const char *rest_arg(const struct rest_req *q, const char *name);

/* Each handles its paths, answering 404 for an unknown one under them. */
void rest_connectors(struct rest_req *q, struct rest_resp *o);
void rest_plugins(struct rest_req *q, struct rest_resp *o);

/* /sluice/pipeline and /sluice/tables/{topic} (rest_pipeline.c,
 * rest_tables.c): what the pipeline page and `sluice status` read. */
void rest_sluice(struct rest_req *q, struct rest_resp *o);
void rest_table(struct rest_req *q, struct rest_resp *o, const char *topic);
/* 1 when a connector of the worker reads or writes the topic. */
int rest_pipeline_has_topic(struct worker *w, const char *topic);
/* The Kafka cluster id from a client's metadata (malloc'd), or NULL
 * when no client has it yet; never waits. Takes w->lock. */
char *rest_cluster_id(struct worker *w);
/* GET / for a browser: the pipeline page (page.html built in). */
int rest_wants_page(struct MHD_Connection *conn, const char *url,
		    const char *method);
void rest_page(struct rest_resp *o);

/* The connector of that name; call with w->lock held. */
struct connector *rest_find(struct worker *w, const char *name);
/* "RUNNING", "PAUSED", ... as Kafka Connect names them. */
const char *rest_connector_state(const struct connector *c);
const char *rest_task_state(const struct connector *c, int task);

#endif
