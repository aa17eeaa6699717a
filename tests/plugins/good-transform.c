/*
 * good-transform - a valid transform for loader and CLI tests: it passes
 * every record through to its first output; it declares two outputs.
 */
#include <sluice/plugin.h>

static const char *const outputs[] = {"kept", "dropped", NULL};

static enum sluice_status
open_task(struct sluice_task *t, const struct sluice_host *host, void **state)
{
	*state = (void *)host;
	return SLUICE_OK;
}

static enum sluice_status process(void *state, struct sluice_task *t,
				  const struct sluice_record *in)
{
	const struct sluice_host *host = state;
	return host->emit(t, NULL, in) == 0 ? SLUICE_OK : SLUICE_FATAL;
}

static const struct sluice_plugin plugin = {
	SLUICE_PLUGIN_HEADER,
	.name = "good-transform",
	.version = "2.0.0",
	.description = "test transform that passes records through",
	.kind = SLUICE_KIND_TRANSFORM,
	.outputs = outputs,
	.open = open_task,
	.process = process,
};

SLUICE_PLUGIN_EXPORT(plugin)
