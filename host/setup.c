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
#include "connector.h"
#include "task.h"
#include "trigger.h"

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
	while ((c = getopt_long(argc, argv, ":c:d:p:t:h", longopts, NULL)) !=
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
			if (strcmp(optarg, "continuous") &&
			    strcmp(optarg, "available-now")) {
				fprintf(stderr,
					"sluice: --trigger takes continuous or "
					"available-now, not '%s'\n\n%s",
					optarg, usage);
				setup_args_free(a);
				return -1;
			}
			a->trigger = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			setup_args_free(a);
			return 1;
		case ':':
			fprintf(stderr,
				"sluice: option '%s' needs a value\n\n%s",
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
	if (a->trigger)
		w->trigger_once = !strcmp(a->trigger, "available-now");
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

int setup_load(struct setup *s, const struct setup_args *a, int load_connectors,
	       struct diags *d)
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
	/* Cross-field checks only make sense on options that parsed. */
	if (rc == 0 && setup_check(s, s->worker.trigger_once, d) != 0)
		rc = -1;
	if (s->worker.trigger_once &&
	    trigger_check_cycles(&s->connectors, d) != 0)
		rc = -1;
	return rc;
}

int setup_command(struct setup_args *a, struct setup *s, struct diags *d,
		  int argc, char **argv, const char *usage, int want_trigger,
		  int *loaded)
{
	int r = setup_parse_args(a, argc, argv, usage, want_trigger);
	if (r)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (optind < argc) {
		fprintf(stderr, "sluice: unexpected argument '%s'\n\n%s",
			argv[optind], usage);
		setup_args_free(a);
		return EXIT_USAGE;
	}
	*d = (struct diags){0};
	*loaded = setup_load(s, a, 1, d);
	diags_print(d, stderr);
	return -1;
}

void setup_command_end(struct setup_args *a, struct setup *s, struct diags *d)
{
	diags_free(d);
	setup_free(s);
	setup_args_free(a);
}

void setup_free(struct setup *s)
{
	config_free_connectors(&s->connectors);
	registry_free(&s->plugins);
	config_free_worker(&s->worker);
}

/* One plugin's check, on a throw-away task that offers the options.
 * Its refusal is placed at line:col (the plugin's name), or at the list
 * item it names ("expectations[2]: ... at column 17"). */
static int check_one(struct connector_config *cfg, const struct plugin *pl,
		     const struct optset *opts, const char *what,
		     unsigned flags, int line, int col, struct diags *d)
{
	plugin_check_fn check = loader_check_fn(pl->desc);
	if (!check)
		return 0;
	struct connector c = {.cfg = cfg, .tasks_n = cfg->tasks_max};
	struct sluice_task t = {.conn = &c, .opts = opts};
	snprintf(t.who, sizeof(t.who), "%s", cfg->name);
	if (check(&t, &task_host_api, flags) == SLUICE_OK)
		return 0;
	/* A message about one list item is placed at that item. */
	options_locate(opts, t.call_error, &line, &col);
	diags_add(d, cfg->file, line, col,
		  "%s: plugin '%s' refuses this configuration: %s", what,
		  pl->desc->name,
		  t.call_error[0] ? t.call_error : "no reason given");
	return -1;
}

int setup_check(struct setup *s, int bounded, struct diags *d)
{
	unsigned flags = bounded ? SLUICE_CHECK_BOUNDED : 0;
	int rc = 0;
	for (size_t i = 0; i < s->connectors.n; i++) {
		struct connector_config *cfg = s->connectors.v[i];
		const struct plugin *pl =
			registry_find(&s->plugins, cfg->plugin);
		if (!pl)
			continue;
		if (check_one(cfg, pl, &cfg->opts, "config", flags,
			      cfg->plugin_line, cfg->plugin_col, d))
			rc = -1;
		for (size_t j = 0; j < cfg->transforms_n; j++) {
			const struct transform_config *tc = &cfg->transforms[j];
			const struct plugin *tp =
				tc->plugin
					? registry_find(&s->plugins, tc->plugin)
					: NULL;
			char what[40];
			snprintf(what, sizeof(what), "transforms[%zu]", j);
			if (tp && check_one(cfg, tp, &tc->opts, what, 0,
					    tc->line, tc->col, d))
				rc = -1;
		}
	}
	return rc;
}
