/*
 * setup.h - what `run` and `validate` share: the command-line options that
 * locate the configuration, and loading the worker file, the plugins and
 * the connector files with every problem reported.
 */
#ifndef SLUICE_SETUP_H
#define SLUICE_SETUP_H

#include "config.h"
#include "loader.h"

struct setup_args {
	const char *worker_file;    /* -c; NULL: search the defaults */
	const char *connectors_dir; /* -d; NULL: from the worker file */
	char **plugin_path;	    /* --plugin-path, repeatable */
	size_t plugin_path_n;
	const char *trigger; /* --trigger (run only) */
};

struct setup {
	struct worker_config worker;
	struct plugin_registry plugins;
	struct connector_list connectors;
};

/* Parses the options shared by run, validate and plugins from argv
 * (getopt_long, starting at argv[1]). Returns 0, 1 when --help was shown,
 * or -1 after printing a usage error. `extra` lists the sub-command's own
 * accepted options for the help text. */
int setup_parse_args(struct setup_args *a, int argc, char **argv,
		     const char *usage, int want_trigger);
void setup_args_free(struct setup_args *a);

/* The worker file to use: -c, else ./sluice.yaml, else
 * SYSCONFDIR/sluice/sluice.yaml, else NULL (built-in defaults). */
const char *setup_worker_file(const struct setup_args *a);

/* Loads everything and checks it; on problems adds diagnostics and
 * returns -1 (what loaded is still in `s`). `load_connectors` is 0 for
 * `sluice plugins`, which needs only the worker file and the plugins. */
int setup_load(struct setup *s, const struct setup_args *a, int load_connectors,
	       struct diags *d);
void setup_free(struct setup *s);

/* The start of every sub-command without operands (run, validate,
 * graph): parses its options, refuses an operand, loads and checks
 * everything and prints the diagnostics to stderr. Returns -1 to go on,
 * with setup_load's result in *loaded and a, s and d to be freed with
 * setup_command_end; else the exit code to return (0 after --help, 2 on
 * a usage error), nothing left to free. */
int setup_command(struct setup_args *a, struct setup *s, struct diags *d,
		  int argc, char **argv, const char *usage, int want_trigger,
		  int *loaded);
void setup_command_end(struct setup_args *a, struct setup *s, struct diags *d);

/* Runs each plugin's check callback (ABI 1.1) on its connector's options
 * and on every transforms stage; a refusal is a diagnostic at the
 * connector's `plugin` value. With `bounded`, sources must end by
 * themselves (a triggered run). Returns 0 or -1. */
int setup_check(struct setup *s, int bounded, struct diags *d);

#endif
