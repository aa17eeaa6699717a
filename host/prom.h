/*
 * prom.h - the worker's metrics in the Prometheus text exposition format
 * (version 0.0.4), for GET /metrics.
 */
#ifndef SLUICE_PROM_H
#define SLUICE_PROM_H

#include <stddef.h>

struct worker;

/* The whole page, malloc'd (never NULL); takes w->lock while reading. */
char *prom_render(struct worker *w, size_t *len);

/* A metric name made valid ([a-zA-Z_:][a-zA-Z0-9_:]*), in place. */
void prom_sanitize_name(char *s);

#endif
