/*
 * loader.h - finding plugins on plugin.path, dlopen()ing them and
 * checking their descriptor before any other plugin code runs.
 */
#ifndef SLUICE_LOADER_H
#define SLUICE_LOADER_H

#include <stddef.h>

#include "diag.h"
#include "sluice/plugin.h"

struct plugin {
	char *path;
	void *dl;
	const struct sluice_plugin *desc;
};

struct plugin_registry {
	struct plugin *v;
	size_t n;
};

/* Opens one shared object and checks its descriptor: the entry point
 * exists; ABI major equal to the host's; minor not newer; struct_size
 * not smaller than the descriptor of its minor; name well formed; kind
 * known; the callbacks of its kind present and the others NULL; option
 * table valid (options_check_table). On refusal returns -1 and writes
 * into err a message naming the file and, for ABI problems, the plugin's
 * and the host's ABI. */
int loader_open(const char *path, struct plugin *out, char *err, size_t errlen);
void loader_close(struct plugin *p);
/* The descriptor checks of loader_open(), on a descriptor already in
 * memory; the message in err does not name a file. */
int loader_check(const struct sluice_plugin *desc, char *err, size_t errlen);

/* Loads every *.so of each directory in `paths` (an entry may also name
 * a .so file). Every refused object and every duplicate name (naming
 * both files) is a diagnostic; so is a path that does not exist.
 * Returns 0 when everything loaded, else -1; what loaded stays in reg. */
int registry_scan(struct plugin_registry *reg, char *const *paths, size_t n,
		  struct diags *d);
const struct plugin *registry_find(const struct plugin_registry *reg,
				   const char *name);
void registry_free(struct plugin_registry *reg);

const char *loader_kind_name(enum sluice_kind kind); /* "source", ... */

typedef enum sluice_status (*plugin_check_fn)(struct sluice_task *t,
					      const struct sluice_host *host,
					      unsigned flags);

/* The plugin's check callback when its descriptor is new enough to have
 * one (ABI 1.1), else NULL. */
plugin_check_fn loader_check_fn(const struct sluice_plugin *p);
/* The descriptor's SLUICE_PLUGIN_* flags (ABI 1.2), else 0. */
unsigned loader_flags(const struct sluice_plugin *p);

#endif
