/*
 * log.h - the host's log. One line per event, to stderr, as text
 * ("2026-11-26T05:30:24.123Z INFO [connector/task] message") or as JSON
 * lines. Thread-safe.
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdarg.h>

#include "sluice/plugin.h"

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

void log_setup(enum sluice_log_level level, enum log_format format);
int log_enabled(enum sluice_log_level level);
/* `who` is "connector/task", "connector", or NULL for the worker. */
void log_msg(enum sluice_log_level level, const char *who, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(enum sluice_log_level level, const char *who, const char *fmt,
	      va_list ap) __attribute__((format(printf, 3, 0)));
int log_parse_level(const char *s, enum sluice_log_level *out);
const char *log_level_name(enum sluice_log_level level);

#endif
