/*
 * good-sink - a valid sink for loader and CLI tests: it drops every
 * record and reports everything put as durable.
 */
#include <sluice/plugin.h>

static const struct sluice_option options[] = {
	{.name = "path",
	 .type = SLUICE_OPT_STRING,
	 .def = "/dev/null",
	 .doc = "where records would go"},
	{0},
};

static enum sluice_status
open_task(struct sluice_task *t, const struct sluice_host *host, void **state)
{
	*state = NULL;
	return SLUICE_OK;
}

static enum sluice_status put(void *state, struct sluice_task *t,
			      const struct sluice_record *recs, size_t n)
{
	return SLUICE_OK;
}

/* The offsets given are already "after the last record put", and all of
 * it was dropped, so all of it is durable: leave them as they are. */
static enum sluice_status flush(void *state, struct sluice_task *t,
				struct sluice_partition *parts, size_t n,
				int final)
{
	return SLUICE_OK;
}

static const struct sluice_plugin plugin = {
	SLUICE_PLUGIN_HEADER,
	.name = "good-sink",
	.version = "0.9.0",
	.description = "test sink that drops every record",
	.kind = SLUICE_KIND_SINK,
	.options = options,
	.open = open_task,
	.put = put,
	.flush = flush,
};

SLUICE_PLUGIN_EXPORT(plugin)
