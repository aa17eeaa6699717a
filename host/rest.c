/*
 * rest.c - the HTTP server of the REST API (see rest.h): listening,
 * bearer-token authentication, request bodies with a size limit, the
 * split of the path into segments, and the paths that are not about
 * connectors: GET / (version), GET /health, GET /metrics.
 *
 * libmicrohttpd runs a thread per connection, so a request waiting for
 * the main loop (control.c) holds up no other. A request reads the
 * worker's connectors under w->lock, which the main thread takes only
 * briefly. libmicrohttpd decodes %XX in the path before we see it, so
 * "..%2F" arrives as "../": the router only matches whole segments and
 * names are checked like a connector file's, so no path reaches a file.
 */
#include "rest.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "connector.h"
#include "log.h"
#include "prom.h"
#include "rest_internal.h"
#include "worker.h"

#ifndef SLUICE_COMMIT
#define SLUICE_COMMIT "unknown"
#endif

/* What a connection keeps between the calls of one request. */
struct pending {
	struct sbuf body;
	int too_large;
};

void rest_json(struct rest_resp *o, int status, struct json_object *j)
{
	const char *s = json_object_to_json_string_ext(
		j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	free(o->body);
	o->len = strlen(s);
	o->body = strdup(s);
	if (!o->body)
		abort();
	o->status = status;
	o->type = "application/json";
	json_object_put(j);
}

void rest_error(struct rest_resp *o, int status, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(o->body);
	o->body = rest_error_json(status, msg);
	o->len = strlen(o->body);
	o->status = status;
	o->type = "application/json";
}

void rest_bad_method(struct rest_req *q, struct rest_resp *o)
{
	rest_error(o, MHD_HTTP_METHOD_NOT_ALLOWED,
		   "HTTP method %.32s is not supported for this path",
		   q->method);
}

int rest_is(const struct rest_req *q, const char *method)
{
	return !strcmp(q->method, method);
}

const char *rest_arg(const struct rest_req *q, const char *name)
{
	return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

/* GET /: the pipeline page for browsers (Accept: text/html), else the
 * version as Kafka Connect answers it. */
static void root(struct rest_req *q, struct rest_resp *o)
{
	if (!rest_is(q, "GET")) {
		rest_bad_method(q, o);
		return;
	}
	if (rest_wants_page(q->conn, "/", q->method)) {
		rest_page(o);
		return;
	}
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "version",
			       json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(j, "commit",
			       json_object_new_string(SLUICE_COMMIT));
	/* From a client's metadata: this answer must not wait for Kafka. */
	char *cluster = rest_cluster_id(q->r->w);
	json_object_object_add(j, "kafka_cluster_id",
			       cluster ? json_object_new_string(cluster)
				       : NULL);
	free(cluster);
	rest_json(o, MHD_HTTP_OK, j);
}

static void health(struct rest_req *q, struct rest_resp *o)
{
	if (!rest_is(q, "GET")) {
		rest_bad_method(q, o);
		return;
	}
	struct worker *w = q->r->w;
	int failed = 0, total = 0;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->conns_n; i++) {
		const struct connector *c = w->conns[i];
		for (int t = 0; t < c->tasks_n; t++) {
			total++;
			if (!strcmp(rest_task_state(c, t), "FAILED"))
				failed++;
		}
	}
	pthread_mutex_unlock(&w->lock);
	int stopping = atomic_load(&w->stopping);
	struct json_object *j = json_object_new_object();
	json_object_object_add(
		j, "status",
		json_object_new_string(stopping ? "stopping" : "healthy"));
	json_object_object_add(
		j, "message",
		json_object_new_string(stopping ? "the worker is stopping"
						: "the worker is running"));
	json_object_object_add(j, "tasks", json_object_new_int(total));
	json_object_object_add(j, "failed_tasks", json_object_new_int(failed));
	rest_json(o, stopping ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, j);
}

static void metrics(struct rest_req *q, struct rest_resp *o)
{
	if (!rest_is(q, "GET")) {
		rest_bad_method(q, o);
		return;
	}
	free(o->body);
	o->body = prom_render(q->r->w, &o->len);
	o->status = MHD_HTTP_OK;
	o->type = "text/plain; version=0.0.4; charset=utf-8";
}

static void route(struct rest_req *q, struct rest_resp *o)
{
	if (q->nseg == 0)
		root(q, o);
	else if (q->nseg == 1 && !strcmp(q->seg[0], "health"))
		health(q, o);
	else if (q->nseg == 1 && !strcmp(q->seg[0], "metrics"))
		metrics(q, o);
	else if (!strcmp(q->seg[0], "connectors"))
		rest_connectors(q, o);
	else if (!strcmp(q->seg[0], "connector-plugins"))
		rest_plugins(q, o);
	else if (!strcmp(q->seg[0], "sluice"))
		rest_sluice(q, o);
	else
		rest_error(o, MHD_HTTP_NOT_FOUND, "not found");
}

/* Splits the path in place into non-empty segments; -1 when there are
 * too many. */
static int split(char *path, struct rest_req *q)
{
	q->nseg = 0;
	for (char *save = NULL, *s = strtok_r(path, "/", &save); s;
	     s = strtok_r(NULL, "/", &save)) {
		if (q->nseg == REST_SEGS_MAX)
			return -1;
		q->seg[q->nseg++] = s;
	}
	return 0;
}

static int token_ok(const struct rest *r, struct MHD_Connection *conn)
{
	if (!r->token)
		return 1;
	const char *h = MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7))
		return 0;
	h += 7;
	size_t a = strlen(h), b = strlen(r->token);
	/* Constant time in the token's length. */
	unsigned char diff = a != b;
	for (size_t i = 0; i < b; i++)
		diff |= (unsigned char)(r->token[i] ^ (i < a ? h[i] : 0));
	return diff == 0;
}

static enum MHD_Result send_resp(struct MHD_Connection *conn,
				 struct rest_resp *o)
{
	if (!o->body) {
		o->body = strdup("");
		if (!o->body)
			abort();
		o->len = 0;
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		o->len, o->body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(o->body);
		return MHD_NO;
	}
	o->body = NULL;
	if (o->type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					o->type);
	if (o->status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer");
	enum MHD_Result rc =
		MHD_queue_response(conn, (unsigned)o->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	(void)version;
	struct rest *r = cls;
	struct pending *p = *con_cls;
	struct rest_resp o = {0};
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return MHD_NO;
		*con_cls = p;
		/* The page holds no data (it reads the JSON paths with the
		 * token it is given), so a browser may load it without. */
		int open_path = !strcmp(url, "/health") ||
				rest_wants_page(conn, url, method);
		if (!open_path && !token_ok(r, conn)) {
			rest_error(&o, MHD_HTTP_UNAUTHORIZED,
				   "a valid bearer token is required");
			return send_resp(conn, &o);
		}
		const char *cl = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > REST_BODY_MAX) {
			rest_error(&o, 413,
				   "the request body is larger than %d bytes",
				   REST_BODY_MAX);
			return send_resp(conn, &o);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (p->body.n + *upload_size > REST_BODY_MAX)
			p->too_large = 1;
		if (!p->too_large)
			sbuf_add(&p->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (p->too_large) {
		rest_error(&o, 413, "the request body is larger than %d bytes",
			   REST_BODY_MAX);
		return send_resp(conn, &o);
	}
	char path[2048];
	struct rest_req q = {.r = r,
			     .conn = conn,
			     .method = method,
			     .body = p->body.p ? p->body.p : "",
			     .body_len = p->body.n};
	if (strlen(url) >= sizeof(path) || url[0] != '/') {
		rest_error(&o, MHD_HTTP_NOT_FOUND, "not found");
		return send_resp(conn, &o);
	}
	snprintf(path, sizeof(path), "%s", url);
	if (split(path, &q))
		rest_error(&o, MHD_HTTP_NOT_FOUND, "not found");
	else
		route(&q, &o);
	if (!o.status)
		rest_error(&o, MHD_HTTP_INTERNAL_SERVER_ERROR,
			   "no response was made");
	return send_resp(conn, &o);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct pending *p = *con_cls;
	if (p) {
		free(p->body.p);
		free(p);
	}
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_msg(SLUICE_LOG_DEBUG, NULL, "rest: %s", buf);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in place like libmicrohttpd's own, except %00: a NUL would
 * cut the path short ("/connectors/x%00/y" reading as /connectors/x), so
 * it stays as written and matches no name. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	char *w = s;
	for (const char *r = s; *r;) {
		int hi, lo;
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 &&
		    (lo = hexval(r[2])) >= 0 && (hi | lo)) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* Splits "host:port" / "[v6]:port" and resolves it. */
static struct addrinfo *resolve(const char *listen, char *err, size_t len)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t hlen = (size_t)(colon - listen);
	const char *h = listen;
	if (listen[0] == '[') {
		h++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host)) {
		snprintf(err, len, "host name too long");
		return NULL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *res = NULL;
	int e = getaddrinfo(host, colon + 1, &hints, &res);
	if (e) {
		snprintf(err, len, "%s", gai_strerror(e));
		return NULL;
	}
	return res;
}

int rest_start(struct worker *w)
{
	const struct worker_config *wc = &w->setup->worker;
	if (!wc->rest_listen)
		return 0;
	char err[256];
	struct addrinfo *ai = resolve(wc->rest_listen, err, sizeof(err));
	int level = wc->rest_explicit ? SLUICE_LOG_ERROR : SLUICE_LOG_WARN;
	if (!ai) {
		log_msg(level, NULL, "rest.listen %s: %s", wc->rest_listen,
			err);
		return wc->rest_explicit ? -1 : 0;
	}
	struct rest *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->w = w;
	r->token = wc->rest_token;
	pthread_mutex_init(&r->write_lock, NULL);
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			 MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	r->d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, r, MHD_OPTION_SOCK_ADDR,
		ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!r->d) {
		log_msg(level, NULL,
			"REST API: cannot listen on %s (in use, or not an "
			"address of this host)%s",
			wc->rest_listen,
			wc->rest_explicit ? "" : "; running without it");
		pthread_mutex_destroy(&r->write_lock);
		free(r);
		return wc->rest_explicit ? -1 : 0;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info ? info->port : 0;
	const char *colon = strrchr(wc->rest_listen, ':');
	snprintf(r->worker_id, sizeof(r->worker_id), "%.*s:%u",
		 (int)(colon - wc->rest_listen), wc->rest_listen, port);
	log_msg(SLUICE_LOG_INFO, NULL, "REST API on http://%s/%s", r->worker_id,
		r->token ? " (bearer token required)" : "");
	w->rest = r;
	return 0;
}

void rest_stop(struct worker *w)
{
	struct rest *r = w->rest;
	if (!r)
		return;
	w->rest = NULL;
	MHD_stop_daemon(r->d);
	pthread_mutex_destroy(&r->write_lock);
	free(r);
}
