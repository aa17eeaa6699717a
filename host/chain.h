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

struct sluice_task;
struct chain;

/* Opens every stage for task `t` (its plugin's open, with the stage's
 * options). NULL when the connector has no transforms; on failure NULL
 * and -1 in *failed with the reason in err. */
struct chain *chain_open(struct sluice_task *t, int *failed, char *err,
			 size_t errlen);
void chain_close(struct chain *c);

/* Receives each record that came out of the last stage (borrowed). */
typedef int chain_out_fn(void *ctx, const struct sluice_record *r);

/* Runs `in` through every stage. Returns SLUICE_OK, or the status of the
 * stage that did not answer OK (RETRY, REJECT or FATAL) with its reason
 * in the task's call_error and the stage's name ("transforms[1]") in
 * *stage. `out` is called only when every stage answered OK. */
enum sluice_status chain_apply(struct chain *c, const struct sluice_record *in,
			       chain_out_fn *out, void *ctx,
			       const char **stage);

#endif
