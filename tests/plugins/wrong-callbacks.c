/*
 * wrong-callbacks - a sink without flush: the loader must refuse it,
 * since the host could never commit what it put.
 */
#include <sluice/plugin.h>

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

static const struct sluice_plugin plugin = {
	SLUICE_PLUGIN_HEADER,
	.name = "wrong-callbacks",
	.version = "1.0.0",
	.description = "test plugin: a sink without flush",
	.kind = SLUICE_KIND_SINK,
	.open = open_task,
	.put = put,
};

SLUICE_PLUGIN_EXPORT(plugin)
