/*
 * task_state.h - a stateful transform task (SLUICE_PLUGIN_STATEFUL): its
 * store (state.c), the changelog partition it writes and restores from,
 * the commit barrier with its position markers and snapshots, input
 * partitions assigned by number, and its thread body.
 */
#ifndef SLUICE_TASK_STATE_H
#define SLUICE_TASK_STATE_H

#include <stddef.h>

#include "sluice/plugin.h"

struct connector;
struct sluice_task;

/* Is the connector's plugin stateful? */
int task_state_wanted(const struct connector *c);

/* Before the plugin's open, on the main thread: for a stateful
 * connector, makes sure the changelog topic exists, reads the task's
 * partition and rebuilds the store as of its last position marker.
 * Nothing for other connectors. 0, or -1 with err. Needs t->producer. */
int task_state_open(struct sluice_task *t, char *err, size_t errlen);
void task_state_free(struct sluice_task *t);

/* The thread body of a stateful transform task. */
void *task_state_main(void *arg);

/* Host functions (plugin.h, ABI 1.2). */
const void *task_state_get(struct sluice_task *t, const void *key,
			   size_t key_len, size_t *value_len);
int task_state_put(struct sluice_task *t, const void *key, size_t key_len,
		   const void *value, size_t value_len);
int task_state_delete(struct sluice_task *t, const void *key, size_t key_len);
int task_state_foreach(struct sluice_task *t,
		       int (*fn)(void *ctx, const void *key, size_t key_len,
				 const void *value, size_t value_len),
		       void *ctx);

#endif
