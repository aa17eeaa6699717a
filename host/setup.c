/*
 * setup.c - locating and loading the configuration for run, validate and
 * plugins: command-line options, the worker file, the plugins on
 * plugin.path and the connector files, every problem reported.
 */
#include "setup.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void setup_args_free(struct setup_args *a)
{
	free(a->plugin_path);
	*a = (struct setup_args){0};
}

int setup_parse_args(struct setup_args *a, int argc, char **argv,
		     const char *usage, int want_trigger)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"connectors", required_argument, NULL, 'd'},
		{"plugin-path", required_argument, NULL, 'p'},
		{"trigger", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	*a = (struct setup_args){0};
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":c:d:p:h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			a->worker_file = optarg;
			break;
		case 'd':
			a->connectors_dir = optarg;
			break;
		case 'p': {
			char **v = realloc(a->plugin_path,
					   (a->plugin_path_n + 1) * sizeof(*v));
			if (!v)
				abort();
			a->plugin_path = v;
			v[a->plugin_path_n++] = optarg;
			break;
		}
		case 't':
			if (!want_trigger)
				goto unknown;
			a->trigger = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			setup_args_free(a);
			return 1;
		case ':':
			fprintf(stderr, "sluice: option '%s' needs a value\n\n%s",
				argv[optind - 1], usage);
			setup_args_free(a);
			return -1;
		default:
		unknown:
			fprintf(stderr, "sluice: unknown option '%s'\n\n%s",
				argv[optind - 1], usage);
			setup_args_free(a);
			return -1;
		}
	}
	return 0;
}

const char *setup_worker_file(const struct setup_args *a)
{
	if (a->worker_file)
		return a->worker_file;
	if (access("sluice.yaml", F_OK) == 0)
		return "sluice.yaml";
	if (access(SYSCONFDIR "/sluice/sluice.yaml", F_OK) == 0)
		return SYSCONFDIR "/sluice/sluice.yaml";
	return NULL;
}

/* Command-line values win over the worker file's. */
static void apply_overrides(struct worker_config *w, const struct setup_args *a)
{
	if (a->connectors_dir) {
		free(w->connectors_dir);
		w->connectors_dir = strdup(a->connectors_dir);
		if (!w->connectors_dir)
			abort();
	}
	if (a->plugin_path_n) {
		for (size_t i = 0; i < w->plugin_path_n; i++)
			free(w->plugin_path[i]);
		free(w->plugin_path);
		w->plugin_path = calloc(a->plugin_path_n, sizeof(char *));
		if (!w->plugin_path)
			abort();
		for (size_t i = 0; i < a->plugin_path_n; i++) {
			w->plugin_path[i] = strdup(a->plugin_path[i]);
			if (!w->plugin_path[i])
				abort();
		}
		w->plugin_path_n = a->plugin_path_n;
	}
}

int setup_load(struct setup *s, const struct setup_args *a,
	       int load_connectors, struct diags *d)
{
	*s = (struct setup){0};
	const char *wf = setup_worker_file(a);
	if (wf && access(wf, F_OK) != 0) {
		diags_add(d, wf, 0, 0, "worker file does not exist");
		config_load_worker(&s->worker, NULL, d);
		return -1;
	}
	int rc = config_load_worker(&s->worker, wf, d);
	apply_overrides(&s->worker, a);
	if (registry_scan(&s->plugins, s->worker.plugin_path,
			  s->worker.plugin_path_n, d) != 0)
		rc = -1;
	if (!load_connectors)
		return rc;
	if (config_load_connectors(&s->connectors, s->worker.connectors_dir,
				   d) != 0)
		rc = -1;
	if (config_check_plugins(&s->connectors, &s->plugins, d) != 0)
		rc = -1;
	return rc;
}

void setup_free(struct setup *s)
{
	config_free_connectors(&s->connectors);
	registry_free(&s->plugins);
	config_free_worker(&s->worker);
}
