/*
 * newer-minor - built for a newer ABI minor than the host's
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
	.abi_major = SLUICE_ABI_MAJOR,
	.abi_minor = SLUICE_ABI_MINOR + 1,
	.struct_size = sizeof(struct sluice_plugin),
	.name = "newer-minor",
	.version = "1.0.0",
	.description =
		"test plugin: built for a newer ABI minor than the host's",
	.kind = SLUICE_KIND_SOURCE,
	.open = open_task,
	.poll = poll_task,
};

SLUICE_PLUGIN_EXPORT(plugin)
