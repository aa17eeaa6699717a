/*
 * open-fails - a valid source whose open() always fails with a message,
 * for the tests of how the host reports a task that cannot start.
 */
#include <sluice/plugin.h>

static const struct sluice_option options[] = {
	{.name = "endpoint",
	 .type = SLUICE_OPT_STRING,
	 .def = "localhost:1",
	 .doc = "where the source would connect"},
	{0},
};

static enum sluice_status
open_task(struct sluice_task *t, const struct sluice_host *host, void **state)
{
	host->set_error(t, "cannot connect to %s: connection refused",
			host->opt_string(t, "endpoint"));
	return SLUICE_FATAL;
}

static enum sluice_status poll_task(void *state, struct sluice_task *t,
				    size_t max)
{
	return SLUICE_OK;
}

static const struct sluice_plugin plugin = {
	SLUICE_PLUGIN_HEADER,
	.name = "open-fails",
	.version = "1.0.0",
	.description = "test source whose open always fails",
	.kind = SLUICE_KIND_SOURCE,
	.options = options,
	.open = open_task,
	.poll = poll_task,
};

SLUICE_PLUGIN_EXPORT(plugin)
