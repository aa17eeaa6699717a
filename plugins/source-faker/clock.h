/*
 * clock.h - UTC timestamps as integer microseconds since the epoch:
 * parsing the clock.start option and printing the seed's
 * "2026-01-21T00:39:04.153833Z" form by hand (strftime and gmtime_r cost
 * more than the rest of an event).
 */
#ifndef FAKER_CLOCK_H
#define FAKER_CLOCK_H

#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z", years 1970..9999. Returns 0, or -1
 * when the text is not such a timestamp or names no real date. */
int faker_time_parse(const char *s, int64_t *us);

/* Writes the 27-character form at p and returns its end. */
char *faker_time_write(char *p, int64_t us);

/* CLOCK_REALTIME in microseconds. */
int64_t faker_time_now(void);

#endif
