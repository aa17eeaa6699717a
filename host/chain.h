/*
 * chain.h - a connector's `transforms:` chain: stateless transform
 * plugins applied in process to each record, like Kafka Connect's single
 * message transforms. A source's records pass it before they are
 * produced, a sink's before they are put, a transform's emitted records
 * before they are produced. Each stage may emit zero (a filter), one or
 * more records.
 */
#ifndef SLUICE_CHAIN_H
#define SLUICE_CHAIN_H

#include <stddef.h>

#include "sluice/plugin.h"
#include "task.h"

struct chain;

/* Records that came out of the last stage, owned (staged records whose
 * output is 0 and that have no source partition or position). */
struct chain_out {
	struct staged_record *v;
	size_t n, cap;
};

/* Frees the records' contents; keeps the array for reuse. */
void chain_out_clear(struct chain_out *o);
void chain_out_free(struct chain_out *o);

/* A staged record seen as a plugin record: topic, partition, offset and
 * timestamp from `base` unless the staged record sets them (partition
 * >= 0, timestamp != 0); key, value and headers borrowed from it. */
struct chain_view {
	struct sluice_record rec;
	struct sluice_header small[16];
	struct sluice_header *big; /* when there are more headers */
};
void chain_view_init(struct chain_view *v, const struct staged_record *r,
		     const struct sluice_record *base);
void chain_view_free(struct chain_view *v);

/* Opens every stage for task `t` (its plugin's open, with the stage's
 * options). NULL when the connector has no transforms; on failure NULL
 * and 1 in *failed with the reason in err. */
struct chain *chain_open(struct sluice_task *t, int *failed, char *err,
			 size_t errlen);
void chain_close(struct chain *c);

/* Runs `in` through every stage and appends what comes out of the last
 * one to `out`. Returns SLUICE_OK, or the status of the first stage that
 * did not answer OK (RETRY, REJECT, FATAL) with its reason in the owning
 * task's call_error and the stage's name ("transforms[1]") in *stage;
 * then `out` is left as it was (nothing of this input is kept). The
 * partition of an output record is the last one a stage chose, else
 * in's; its timestamp likewise. */
enum sluice_status chain_apply(struct chain *c, const struct sluice_record *in,
			       struct chain_out *out, const char **stage);

/* chain_apply under the connector's error policy: a RETRY is tried
 * again with backoff (task_retry_wait). Returns 0 when the record passed
 * (its outputs appended), 1 when a stage refused it (REJECT or FATAL:
 * the caller applies errors.tolerance to the original record, with
 * *stage and the task's call_error), -1 when the task must stop (the
 * retries ran out, or a stop was requested). */
int chain_run(struct sluice_task *t, const struct sluice_record *in,
	      struct chain_out *out, const char **stage);

#endif
