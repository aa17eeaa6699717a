/*
 * cmd_plugins.c - `sluice plugins [NAME]`: the plugins found on
 * plugin.path, or one plugin's details and option table.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "setup.h"

static const char usage[] =
	"Usage: sluice plugins [-c FILE] [-p DIR]... [NAME]\n"
	"\n"
	"Without NAME, lists every plugin found on plugin.path: name, kind,\n"
	"version and description. With NAME, shows that plugin's outputs\n"
	"and its option table.\n"
	"\n"
	"  -c, --config FILE       worker file (for plugin.path)\n"
	"  -p, --plugin-path DIR   where plugins are (repeatable; replaces\n"
	"                          plugin.path)\n"
	"  -h, --help              show this help\n"
	"\n"
	"Exit codes: 0 found, 2 bad command line, 3 a plugin was refused or\n"
	"NAME is unknown.\n";

static void print_list(const struct plugin_registry *reg)
{
	size_t wn = 4, wv = 7;
	for (size_t i = 0; i < reg->n; i++) {
		const struct sluice_plugin *p = reg->v[i].desc;
		if (strlen(p->name) > wn)
			wn = strlen(p->name);
		if (strlen(p->version) > wv)
			wv = strlen(p->version);
	}
	printf("%-*s  %-9s  %-*s  %s\n", (int)wn, "NAME", "KIND", (int)wv,
	       "VERSION", "DESCRIPTION");
	for (size_t i = 0; i < reg->n; i++) {
		const struct sluice_plugin *p = reg->v[i].desc;
		printf("%-*s  %-9s  %-*s  %s\n", (int)wn, p->name,
		       loader_kind_name(p->kind), (int)wv, p->version,
		       p->description);
	}
}

static void print_bounds(const struct sluice_option *o, char *buf, size_t len)
{
	buf[0] = '\0';
	if (o->allowed) {
		size_t pos = 0;
		for (const char *const *a = o->allowed; *a && pos < len; a++)
			pos += (size_t)snprintf(buf + pos, len - pos, "%s%s",
						a == o->allowed ? "" : "|", *a);
	} else if (o->min && o->max) {
		snprintf(buf, len, "%s..%s", o->min, o->max);
	} else if (o->min) {
		snprintf(buf, len, ">= %s", o->min);
	} else if (o->max) {
		snprintf(buf, len, "<= %s", o->max);
	}
}

static void print_one(const struct plugin *pl)
{
	const struct sluice_plugin *p = pl->desc;
	printf("%s %s (%s)\n  %s\n  file: %s\n  ABI: %u.%u\n", p->name,
	       p->version, loader_kind_name(p->kind), p->description, pl->path,
	       p->abi_major, p->abi_minor);
	if (p->kind != SLUICE_KIND_SINK) {
		printf("  outputs:");
		if (!p->outputs)
			printf(" out");
		for (const char *const *o = p->outputs; o && *o; o++)
			printf(" %s", *o);
		printf("\n");
	}
	if (!p->options || !p->options[0].name) {
		printf("  options: none\n");
		return;
	}
	printf("\n  %-24s %-8s %-12s %-20s %s\n", "OPTION", "TYPE", "DEFAULT",
	       "RANGE/ALLOWED", "DESCRIPTION");
	for (const struct sluice_option *o = p->options; o->name; o++) {
		char bounds[256];
		print_bounds(o, bounds, sizeof(bounds));
		const char *def = o->def ? o->def : "-";
		if (o->flags & SLUICE_OPT_REQUIRED)
			def = "(required)";
		printf("  %-24s %-8s %-12s %-20s %s%s\n", o->name,
		       options_type_name(o->type), def, bounds,
		       (o->flags & SLUICE_OPT_SECRET) ? "[secret] " : "",
		       o->doc ? o->doc : "");
	}
}

int cmd_plugins(int argc, char **argv)
{
	struct setup_args a;
	int r = setup_parse_args(&a, argc, argv, usage, 0);
	if (r)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (argc - optind > 1) {
		fprintf(stderr, "sluice: unexpected argument '%s'\n\n%s",
			argv[optind + 1], usage);
		setup_args_free(&a);
		return EXIT_USAGE;
	}
	const char *name = optind < argc ? argv[optind] : NULL;

	struct diags d = {0};
	struct setup s;
	int rc = setup_load(&s, &a, 0, &d) == 0 ? EXIT_OK : EXIT_CONFIG;
	diags_print(&d, stderr);
	if (name) {
		const struct plugin *p = registry_find(&s.plugins, name);
		if (p) {
			print_one(p);
		} else {
			fprintf(stderr,
				"sluice: no plugin named '%s' on "
				"plugin.path\n",
				name);
			rc = EXIT_CONFIG;
		}
	} else {
		print_list(&s.plugins);
	}
	diags_free(&d);
	setup_free(&s);
	setup_args_free(&a);
	return rc;
}
