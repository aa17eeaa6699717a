/*
 * record-sink.c - test sink: buffers what it is given and, on flush,
 * appends it to `file` ("topic partition offset value" per line), fsyncs,
 * and reports exactly that durable. It can be told to answer RETRY to
 * the first N puts, FATAL to a record containing `fatal.on`, and to
 * reject records containing `reject.on`.
 *
 * Each flush is one write(2) to a descriptor opened with O_APPEND, so the
 * tasks of a connector (and workers sharing the file) never interleave
 * parts of lines; a stdio stream would split a large buffer into several
 * writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/plugin.h"

struct state {
	const struct sluice_host *h;
	int fd;
	char *buf;
	size_t len;
	int64_t retries_left;
	const char *fatal_on, *reject_on;
	int64_t puts;
};

static const struct sluice_option options[] = {
	{"file", SLUICE_OPT_STRING, NULL, SLUICE_OPT_REQUIRED, NULL, NULL, NULL,
	 "where received records are appended"},
	{"retry.times", SLUICE_OPT_INT, "0", 0, "0", NULL, NULL,
	 "answer RETRY to this many puts first"},
	{"fatal.on", SLUICE_OPT_STRING, NULL, 0, NULL, NULL, NULL,
	 "answer FATAL to a batch with a record containing this"},
	{"reject.on", SLUICE_OPT_STRING, NULL, 0, NULL, NULL, NULL,
	 "reject records containing this"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static enum sluice_status rs_open(struct sluice_task *t,
				  const struct sluice_host *h, void **out)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return SLUICE_FATAL;
	s->h = h;
	const char *file = h->opt_string(t, "file");
	s->fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (s->fd < 0) {
		h->set_error(t, "cannot open %s", file);
		free(s);
		return SLUICE_FATAL;
	}
	s->retries_left = h->opt_int(t, "retry.times");
	s->fatal_on = h->opt_string(t, "fatal.on");
	s->reject_on = h->opt_string(t, "reject.on");
	*out = s;
	return SLUICE_OK;
}

static void rs_close(void *p)
{
	struct state *s = p;
	close(s->fd);
	free(s->buf);
	free(s);
}

static int contains(const struct sluice_record *r, const char *what)
{
	return what && r->value &&
	       memmem(r->value, r->value_len, what, strlen(what));
}

static enum sluice_status rs_put(void *p, struct sluice_task *t,
				 const struct sluice_record *recs, size_t n)
{
	struct state *s = p;
	s->puts++;
	if (s->retries_left > 0) {
		s->retries_left--;
		/* The batch's ends let a test see that the retry gets the
		 * same records again. */
		s->h->log(t, SLUICE_LOG_INFO,
			  "put %lld: RETRY (%zu records, %s[%d]@%lld .. "
			  "%s[%d]@%lld)",
			  (long long)s->puts, n, n ? recs[0].topic : "-",
			  n ? recs[0].partition : -1,
			  n ? (long long)recs[0].offset : -1LL,
			  n ? recs[n - 1].topic : "-",
			  n ? recs[n - 1].partition : -1,
			  n ? (long long)recs[n - 1].offset : -1LL);
		s->h->set_error(t, "told to retry");
		return SLUICE_RETRY;
	}
	for (size_t i = 0; i < n; i++) {
		if (contains(&recs[i], s->fatal_on)) {
			s->h->set_error(t, "record contains '%s'", s->fatal_on);
			return SLUICE_FATAL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct sluice_record *r = &recs[i];
		if (contains(r, s->reject_on)) {
			if (s->h->reject(t, r, "told to reject this record"))
				return SLUICE_FATAL;
			continue;
		}
		size_t need = strlen(r->topic) + r->value_len + 64;
		char *nb = realloc(s->buf, s->len + need);
		if (!nb)
			return SLUICE_FATAL;
		s->buf = nb;
		s->len += (size_t)sprintf(s->buf + s->len, "%s %d %lld ",
					  r->topic, r->partition,
					  (long long)r->offset);
		memcpy(s->buf + s->len, r->value, r->value_len);
		s->len += r->value_len;
		s->buf[s->len++] = '\n';
	}
	return SLUICE_OK;
}

static enum sluice_status rs_flush(void *p, struct sluice_task *t,
				   struct sluice_partition *parts, size_t n,
				   int final)
{
	struct state *s = p;
	if (s->len) {
		ssize_t w;
		do
			w = write(s->fd, s->buf, s->len);
		while (w < 0 && errno == EINTR);
		if (w != (ssize_t)s->len || fsync(s->fd)) {
			/* A short write leaves part of the buffer in the
			 * file; a test would see the duplicate lines. */
			s->h->set_error(t, "writing failed");
			return SLUICE_RETRY;
		}
	}
	s->len = 0;
	/* Everything put is now on disk: the given offsets stand. */
	return SLUICE_OK;
}

static const struct sluice_plugin desc = {
	SLUICE_PLUGIN_HEADER,
	.name = "test-record-sink",
	.version = "1.0.0",
	.description = "records what it receives into a file (tests)",
	.kind = SLUICE_KIND_SINK,
	.options = options,
	.open = rs_open,
	.close = rs_close,
	.put = rs_put,
	.flush = rs_flush,
};

SLUICE_PLUGIN_EXPORT(desc)
