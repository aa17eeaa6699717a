/*
 * count-source.c - test source: per task, `partitions` source partitions
 * each counting 0, 1, 2, ..., in turn; record value {"id":"T-P-N","task":T,
 * "spart":P,"seq":N}, key = id. The position of a source partition is the
 * next sequence number, so a restart resumes exactly where the host says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/plugin.h"

struct state {
	const struct sluice_host *h;
	int task;
	int64_t count; /* per source partition; 0 = endless */
	int parts;
	int64_t rate; /* records/s per task, 0 = unlimited */
	int64_t *next;
	int turn; /* the source partition whose turn it is */
	int64_t sent;
	struct timespec start;
};

static const struct sluice_option options[] = {
	{"count", SLUICE_OPT_INT, "1000", 0, "0", NULL, NULL,
	 "records per source partition (0 = endless)"},
	{"partitions", SLUICE_OPT_INT, "1", 0, "1", "1000", NULL,
	 "source partitions per task"},
	{"rate", SLUICE_OPT_INT, "0", 0, "0", NULL, NULL,
	 "records per second per task (0 = unlimited)"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static enum sluice_status cs_open(struct sluice_task *t,
				  const struct sluice_host *h, void **out)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return SLUICE_FATAL;
	s->h = h;
	s->task = h->task_id(t);
	s->count = h->opt_int(t, "count");
	s->parts = (int)h->opt_int(t, "partitions");
	s->rate = h->opt_int(t, "rate");
	s->next = calloc((size_t)s->parts, sizeof(int64_t));
	for (int p = 0; p < s->parts; p++) {
		char name[64];
		snprintf(name, sizeof(name), "%d-%d", s->task, p);
		const char *pos = h->source_position(t, name);
		s->next[p] = pos ? strtoll(pos, NULL, 10) : 0;
		if (pos)
			h->log(t, SLUICE_LOG_INFO, "resuming %s at %s", name,
			       pos);
	}
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	*out = s;
	return SLUICE_OK;
}

static void cs_close(void *p)
{
	struct state *s = p;
	free(s->next);
	free(s);
}

/* Emits the next record of source partition p; 0 or -1. */
static int emit_one(struct state *s, struct sluice_task *t, int p)
{
	char id[64], val[256], spart[32], pos[32];
	int64_t seq = s->next[p];
	snprintf(id, sizeof(id), "%d-%d-%lld", s->task, p, (long long)seq);
	int len = snprintf(val, sizeof(val),
			   "{\"id\":\"%s\",\"task\":%d,\"spart\":%d,"
			   "\"seq\":%lld}",
			   id, s->task, p, (long long)seq);
	snprintf(spart, sizeof(spart), "%d-%d", s->task, p);
	snprintf(pos, sizeof(pos), "%lld", (long long)seq + 1);
	struct sluice_record r = {
		.partition = -1,
		.key = id,
		.key_len = strlen(id),
		.value = val,
		.value_len = (size_t)len,
	};
	if (s->h->emit_source(t, NULL, &r, spart, pos))
		return -1;
	s->next[p]++;
	return 0;
}

static enum sluice_status cs_poll(void *state, struct sluice_task *t,
				  size_t max)
{
	struct state *s = state;
	if (s->rate) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el = (double)(now.tv_sec - s->start.tv_sec) +
			    (double)(now.tv_nsec - s->start.tv_nsec) / 1e9;
		int64_t allowed = (int64_t)(el * (double)s->rate) - s->sent;
		if (allowed <= 0)
			return SLUICE_OK;
		if ((size_t)allowed < max)
			max = (size_t)allowed;
	}
	size_t n = 0;
	/* Round robin, also across polls (a rate-limited poll may emit one
	 * record): every source partition advances, so that a stop at any
	 * moment finds each of them mid-way. */
	for (int idle = 0; idle < s->parts && n < max;) {
		int p = s->turn;
		s->turn = (s->turn + 1) % s->parts;
		if (s->count && s->next[p] >= s->count) {
			idle++;
			continue;
		}
		idle = 0;
		if (emit_one(s, t, p))
			return SLUICE_FATAL;
		n++;
	}
	/* Over every source partition: the loop above may stop at `max`
	 * before it looks at the later ones. */
	int done = s->count > 0;
	for (int p = 0; p < s->parts; p++)
		if (s->next[p] < s->count)
			done = 0;
	s->sent += (int64_t)n;
	return done ? SLUICE_DONE : SLUICE_OK;
}

static const struct sluice_plugin desc = {
	SLUICE_PLUGIN_HEADER,
	.name = "test-count-source",
	.version = "1.0.0",
	.description = "counts per source partition, resumable (tests)",
	.kind = SLUICE_KIND_SOURCE,
	.options = options,
	.open = cs_open,
	.close = cs_close,
	.poll = cs_poll,
};

SLUICE_PLUGIN_EXPORT(desc)
