/*
 * rest.h - the REST API of the worker: Kafka Connect's paths and JSON
 * shapes, /health and /metrics, served by libmicrohttpd (a thread per
 * connection) on rest.listen.
 */
#ifndef SLUICE_REST_H
#define SLUICE_REST_H

struct worker;

/* Starts the server (nothing when rest.listen is off). When the address
 * was configured and cannot be used, logs why and returns -1; the
 * default address only warns. */
int rest_start(struct worker *w);
/* Stops it, waiting for the requests in progress. Idempotent. */
void rest_stop(struct worker *w);

#endif
