/*
 * dup-name - a second plugin called good-source
 */
#include <sluice/plugin.h>

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
	.name = "good-source",
	.version = "1.0.0",
	.description = "test plugin: a second plugin called good-source",
	.kind = SLUICE_KIND_SOURCE,
	.open = open_task,
	.poll = poll_task,
};

SLUICE_PLUGIN_EXPORT(plugin)
