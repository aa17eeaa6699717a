/*
 * status_view.h - the text `sluice status` prints, from the worker's
 * GET /sluice/pipeline answer: a header line, then one row per connector
 * (TASK "-": the sums of its tasks) and one per task with type, state,
 * records in and out, their rates per second and the consumer lag, then
 * the reason of each failed task. Apart from the HTTP so tests can check
 * the exact text.
 */
#ifndef SLUICE_STATUS_VIEW_H
#define SLUICE_STATUS_VIEW_H

#include <json-c/json.h>

/* The text (malloc'd), or NULL with a reason in err when the answer has
 * not the expected shape. */
char *status_view(struct json_object *pipeline, char *err, size_t errlen);

#endif
