/*
 * log.c - the host's log: one line per event on stderr, text or JSON.
 * A line is formatted into a local buffer and written with one write() so
 * that lines from different threads never interleave.
 */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum sluice_log_level log_level = SLUICE_LOG_INFO;
static enum log_format log_format = LOG_FORMAT_TEXT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_setup(enum sluice_log_level level, enum log_format format)
{
	log_level = level;
	log_format = format;
}

int log_enabled(enum sluice_log_level level)
{
	return level <= log_level;
}

const char *log_level_name(enum sluice_log_level level)
{
	if ((unsigned)level < sizeof(level_names) / sizeof(*level_names))
		return level_names[level];
	return "?";
}

int log_parse_level(const char *s, enum sluice_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(*level_names);
	     i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum sluice_log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Appends s as a JSON string body (without quotes) to buf at *pos. */
static void json_escape(char *buf, size_t len, size_t *pos, const char *s)
{
	for (; *s && *pos + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[(*pos)++] = '\\';
			buf[(*pos)++] = (char)c;
		} else if (c < 0x20) {
			*pos += (size_t)snprintf(buf + *pos, len - *pos,
						 "\\u%04x", c);
		} else {
			buf[(*pos)++] = (char)c;
		}
	}
	buf[*pos] = '\0';
}

void log_vmsg(enum sluice_log_level level, const char *who, const char *fmt,
	      va_list ap)
{
	if (!log_enabled(level))
		return;
	char msg[2048];
	vsnprintf(msg, sizeof(msg), fmt, ap);

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[40];
	size_t w = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + w, sizeof(when) - w, ".%03ldZ", ts.tv_nsec / 1000000);

	char line[4096];
	size_t pos;
	if (log_format == LOG_FORMAT_JSON) {
		pos = (size_t)snprintf(line, sizeof(line),
				       "{\"ts\":\"%s\",\"level\":\"%s\"", when,
				       log_level_name(level));
		if (who) {
			pos += (size_t)snprintf(line + pos, sizeof(line) - pos,
						",\"who\":\"");
			json_escape(line, sizeof(line), &pos, who);
			pos += (size_t)snprintf(line + pos, sizeof(line) - pos,
						"\"");
		}
		pos += (size_t)snprintf(line + pos, sizeof(line) - pos,
					",\"msg\":\"");
		json_escape(line, sizeof(line), &pos, msg);
		pos += (size_t)snprintf(line + pos, sizeof(line) - pos,
					"\"}\n");
	} else {
		char lvl[8];
		snprintf(lvl, sizeof(lvl), "%s", log_level_name(level));
		for (char *p = lvl; *p; p++)
			*p = (char)(*p - 32 * (*p >= 'a' && *p <= 'z'));
		pos = (size_t)snprintf(line, sizeof(line), "%s %-5s %s%s%s%s\n",
				       when, lvl, who ? "[" : "",
				       who ? who : "", who ? "] " : "", msg);
	}
	if (pos >= sizeof(line)) {
		pos = sizeof(line) - 1;
		line[pos - 1] = '\n';
	}
	ssize_t r = write(STDERR_FILENO, line, pos);
	(void)r;
}

void log_msg(enum sluice_log_level level, const char *who, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, who, fmt, ap);
	va_end(ap);
}
