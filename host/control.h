/*
 * control.h - commands the REST API hands to the worker's main loop:
 * apply connectors.d (as SIGHUP does), pause, resume, stop and restart a
 * connector. Only the main thread starts and stops tasks; a REST thread
 * queues a command and waits for it with a bound, so a slow task never
 * holds the HTTP server.
 */
#ifndef SLUICE_CONTROL_H
#define SLUICE_CONTROL_H

#include <stddef.h>

struct worker;
struct control;

enum control_op {
	CONTROL_APPLY,	 /* reload connectors.d */
	CONTROL_PAUSE,	 /* a connector */
	CONTROL_RESUME,	 /* a connector */
	CONTROL_STOP,	 /* a connector */
	CONTROL_RESTART, /* a connector's tasks */
};

struct control *control_new(void);
/* Answers every queued command with "the worker is stopping" and
 * refuses new ones. Idempotent. */
void control_close(struct control *c);
void control_free(struct control *c);

/* From any thread but the main one: queues the command and waits up to
 * timeout_ms. Returns 0 when done, 1 when not done in time (it still
 * runs later), -1 when it failed or the worker is stopping; `msg` (may
 * be NULL) says why. */
int control_call(struct control *c, enum control_op op, const char *name,
		 int timeout_ms, char *msg, size_t msglen);

/* From the main loop: runs the queued commands, and pauses partitions
 * newly assigned to the consumers of paused connectors. */
void control_serve(struct worker *w);

#endif
