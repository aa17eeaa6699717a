/*
 * trigger.h - triggered runs (`--trigger available-now`): process what is
 * there, then stop. Sources stop when their plugin answers DONE. A sink or
 * transform task fixes the end offsets of its input partitions once every
 * connector that writes to its inputs (in this worker) has finished, then
 * stops when it has committed up to them. Connectors feeding each other in
 * a cycle cannot end and are refused at validation.
 */
#ifndef SLUICE_TRIGGER_H
#define SLUICE_TRIGGER_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "config.h"

struct sluice_task;
struct worker;

/* A diagnostic per connector on a cycle of topics. Returns 0 or -1. */
int trigger_check_cycles(const struct connector_list *l, struct diags *d);

/* Worker side, called a few times a second: lets the tasks of every
 * connector whose upstream connectors all finished fix their ends. */
void trigger_release(struct worker *w);
/* Every task of every connector has finished or failed. */
int trigger_all_done(const struct worker *w);

/* Task side. The offset up to which a partition is committed as far as
 * the task knows, or -1. */
typedef int64_t trigger_committed_fn(struct sluice_task *t, const char *topic,
				     int32_t partition);

/* 1 when the task was released and every record up to the ends of its
 * assigned partitions was consumed (so a final flush and commit may
 * finish it); 0 otherwise. */
int trigger_consumed_all(struct sluice_task *t);
/* 1 when, after that, every partition is committed up to its end. */
int trigger_committed_all(struct sluice_task *t, trigger_committed_fn *fn);
/* The consumer poll's timeout for a task that would wait idle_ms: short
 * while it was released and has not reached its ends (it looks for them
 * between polls). */
#define TRIGGER_POLL_MS 5
int trigger_poll_ms(const struct sluice_task *t, int idle_ms);
/* Every task of the connector reached its ends. Tasks leave the group
 * together: one leaving alone would start a rebalance the others, busy
 * finishing, would hold up. */
int trigger_siblings_done(const struct sluice_task *t);
/* The assignment changed: ends are fixed again for the new one. */
void trigger_forget(struct sluice_task *t);

#endif
