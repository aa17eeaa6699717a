/*
 * good-source - a valid source for loader and CLI tests: an option table
 * with one option of every type, a required one and a secret one. It
 * emits nothing.
 */
#include <sluice/plugin.h>

static const char *const formats[] = {"json", "csv", NULL};
static const char *const fields[] = {"id", "user", "amount", NULL};

static const struct sluice_option options[] = {
	{.name = "topic",
	 .type = SLUICE_OPT_STRING,
	 .flags = SLUICE_OPT_REQUIRED,
	 .doc = "topic to write to"},
	{.name = "api.key",
	 .type = SLUICE_OPT_STRING,
	 .flags = SLUICE_OPT_SECRET,
	 .doc = "key for the upstream API"},
	{.name = "batch.records",
	 .type = SLUICE_OPT_INT,
	 .def = "100",
	 .min = "1",
	 .max = "10000",
	 .doc = "records per poll"},
	{.name = "sample.ratio",
	 .type = SLUICE_OPT_DOUBLE,
	 .def = "0.5",
	 .min = "0",
	 .max = "1",
	 .doc = "share of records kept"},
	{.name = "compress",
	 .type = SLUICE_OPT_BOOL,
	 .def = "false",
	 .doc = "compress values"},
	{.name = "buffer.size",
	 .type = SLUICE_OPT_SIZE,
	 .def = "1MiB",
	 .min = "4KiB",
	 .doc = "read buffer"},
	{.name = "poll.interval",
	 .type = SLUICE_OPT_DURATION,
	 .def = "1s",
	 .min = "10ms",
	 .max = "1h",
	 .doc = "time between polls"},
	{.name = "format",
	 .type = SLUICE_OPT_ENUM,
	 .def = "json",
	 .allowed = formats,
	 .doc = "value encoding"},
	{.name = "fields",
	 .type = SLUICE_OPT_LIST,
	 .allowed = fields,
	 .doc = "fields to keep"},
	{0},
};

static enum sluice_status
open_task(struct sluice_task *t, const struct sluice_host *host, void **state)
{
	*state = NULL;
	return SLUICE_OK;
}

static void close_task(void *state)
{
}

static enum sluice_status poll_task(void *state, struct sluice_task *t,
				    size_t max)
{
	return SLUICE_OK;
}

static const struct sluice_plugin plugin = {
	SLUICE_PLUGIN_HEADER,
	.name = "good-source",
	.version = "1.2.3",
	.description = "test source that emits nothing",
	.kind = SLUICE_KIND_SOURCE,
	.options = options,
	.open = open_task,
	.close = close_task,
	.poll = poll_task,
};

SLUICE_PLUGIN_EXPORT(plugin)
