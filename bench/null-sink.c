/*
 * null-sink.c - benchmark sink: counts records and bytes, everything put
 * is durable at once, and when `expect` records arrived it writes
 * "first_ms last_ms count bytes" to `report`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sluice/plugin.h"

struct state {
	int64_t expect, seen, bytes, first_ms;
	const char *report;
	int reported;
};

static const struct sluice_option options[] = {
	{"expect", SLUICE_OPT_INT, "0", 0, "0", NULL, NULL,
	 "records after which to write the report (0 = never)"},
	{"report", SLUICE_OPT_STRING, NULL, 0, NULL, NULL, NULL,
	 "file for 'first_ms last_ms count bytes'"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum sluice_status nk_open(struct sluice_task *t,
				  const struct sluice_host *h, void **out)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return SLUICE_FATAL;
	s->expect = h->opt_int(t, "expect");
	s->report = h->opt_string(t, "report");
	*out = s;
	return SLUICE_OK;
}

static void nk_close(void *p)
{
	free(p);
}

static enum sluice_status nk_put(void *p, struct sluice_task *t,
				 const struct sluice_record *recs, size_t n)
{
	struct state *s = p;
	if (!s->first_ms)
		s->first_ms = now_ms();
	for (size_t i = 0; i < n; i++)
		s->bytes += (int64_t)recs[i].value_len;
	s->seen += (int64_t)n;
	if (s->expect && s->seen >= s->expect && !s->reported && s->report) {
		FILE *f = fopen(s->report, "w");
		if (f) {
			fprintf(f, "%lld %lld %lld %lld\n",
				(long long)s->first_ms, (long long)now_ms(),
				(long long)s->seen, (long long)s->bytes);
			fclose(f);
		}
		s->reported = 1;
	}
	return SLUICE_OK;
}

static enum sluice_status nk_flush(void *p, struct sluice_task *t,
				   struct sluice_partition *parts, size_t n,
				   int final)
{
	return SLUICE_OK; /* nothing is buffered: all of it is durable */
}

static const struct sluice_plugin desc = {
	SLUICE_PLUGIN_HEADER,
	.name = "bench-null-sink",
	.version = "1.0.0",
	.description = "counts records, keeps nothing (benchmark)",
	.kind = SLUICE_KIND_SINK,
	.options = options,
	.open = nk_open,
	.close = nk_close,
	.put = nk_put,
	.flush = nk_flush,
};

SLUICE_PLUGIN_EXPORT(desc)
