/*
 * reload.h - SIGHUP: re-read connectors.d and apply the difference. New
 * connectors start, removed ones stop cleanly, changed ones restart,
 * unchanged ones keep running untouched. A directory with any problem is
 * not applied at all.
 */
#ifndef SLUICE_RELOAD_H
#define SLUICE_RELOAD_H

#include <stdint.h>

#include "config.h"

struct worker;

/* A hash of the connector's configuration as loaded (after ${env:}
 * expansion), independent of comments and positions. */
uint64_t reload_fingerprint(const struct connector_config *c);

void reload_connectors(struct worker *w);

#endif
