/*
 * bad-options - an option table whose default does not parse
 */
#include <sluice/plugin.h>

static const struct sluice_option options[] = {
	{.name = "retries", .type = SLUICE_OPT_INT, .def = "3", .doc = "ok"},
	{.name = "batch.size",
	 .type = SLUICE_OPT_INT,
	 .def = "many",
	 .doc = "default is not an integer"},
	{0},
};

static enum sluice_status
open_task(struct sluice_task *t, const struct sluice_host *host, void **state)
{
	*state = NULL;
	return SLUICE_OK;
}

static enum sluice_status poll_task(void *state, struct sluice_task *t,
				    size_t max)
{
	return SLUICE_OK;
}

static const struct sluice_plugin plugin = {
	SLUICE_PLUGIN_HEADER,
	.name = "bad-options",
	.options = options,
	.version = "1.0.0",
	.description =
		"test plugin: an option table whose default does not parse",
	.kind = SLUICE_KIND_SOURCE,
	.open = open_task,
	.poll = poll_task,
};

SLUICE_PLUGIN_EXPORT(plugin)
