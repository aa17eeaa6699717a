/*
 * null-source.c - benchmark source: emits `count` records of `size` bytes
 * as fast as the host takes them, and writes "first_ms last_ms count" to
 * `report` when done, so the benchmark can time the host alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/plugin.h"

struct state {
	const struct sluice_host *h;
	int64_t count, next, size;
	char *value;
	const char *report;
	int64_t first_ms;
};

static const struct sluice_option options[] = {
	{"count", SLUICE_OPT_INT, "100000", 0, "1", NULL, NULL,
	 "records to emit"},
	{"size", SLUICE_OPT_SIZE, "1KiB", 0, "1B", "1MiB", NULL,
	 "bytes per record"},
	{"report", SLUICE_OPT_STRING, NULL, 0, NULL, NULL, NULL,
	 "file for 'first_ms last_ms count'"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum sluice_status ns_open(struct sluice_task *t,
				  const struct sluice_host *h, void **out)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return SLUICE_FATAL;
	s->h = h;
	s->count = h->opt_int(t, "count");
	s->size = h->opt_size(t, "size");
	s->report = h->opt_string(t, "report");
	s->value = malloc((size_t)s->size);
	for (int64_t i = 0; i < s->size; i++)
		s->value[i] = (char)('a' + i % 26);
	const char *pos = h->source_position(t, "all");
	s->next = pos ? strtoll(pos, NULL, 10) : 0;
	*out = s;
	return SLUICE_OK;
}

static void ns_close(void *p)
{
	struct state *s = p;
	free(s->value);
	free(s);
}

static enum sluice_status ns_poll(void *p, struct sluice_task *t, size_t max)
{
	struct state *s = p;
	if (!s->first_ms)
		s->first_ms = now_ms();
	for (size_t i = 0; i < max && s->next < s->count; i++) {
		char pos[32], key[32];
		snprintf(pos, sizeof(pos), "%lld", (long long)s->next + 1);
		int klen =
			snprintf(key, sizeof(key), "%lld", (long long)s->next);
		struct sluice_record r = {.partition = -1,
					  .key = key,
					  .key_len = (size_t)klen,
					  .value = s->value,
					  .value_len = (size_t)s->size};
		if (s->h->emit_source(t, NULL, &r, "all", pos))
			return SLUICE_FATAL;
		s->next++;
	}
	if (s->next < s->count)
		return SLUICE_OK;
	if (s->report) {
		FILE *f = fopen(s->report, "w");
		if (f) {
			fprintf(f, "%lld %lld %lld\n", (long long)s->first_ms,
				(long long)now_ms(), (long long)s->count);
			fclose(f);
		}
	}
	return SLUICE_DONE;
}

static const struct sluice_plugin desc = {
	SLUICE_PLUGIN_HEADER,
	.name = "bench-null-source",
	.version = "1.0.0",
	.description = "emits fixed records as fast as possible (benchmark)",
	.kind = SLUICE_KIND_SOURCE,
	.options = options,
	.open = ns_open,
	.close = ns_close,
	.poll = ns_poll,
};

SLUICE_PLUGIN_EXPORT(desc)
