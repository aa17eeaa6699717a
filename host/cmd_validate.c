/*
 * cmd_validate.c - `sluice validate`: load and check the worker file, the
 * plugins and every connector file; print every problem; exit 0 only when
 * everything is valid.
 */
#include <stdio.h>

#include "cli.h"
#include "setup.h"

static const char usage[] =
	"Usage: sluice validate [-c FILE] [-d DIR] [-p DIR]... [-t MODE]\n"
	"\n"
	"Checks the worker file, the plugins on plugin.path and every\n"
	"connector file, and prints every problem as file:line:column.\n"
	"\n"
	"  -c, --config FILE       worker file (default ./sluice.yaml, then\n"
	"                          " SYSCONFDIR "/sluice/sluice.yaml)\n"
	"  -d, --connectors DIR    connector files (default: connectors.dir)\n"
	"  -p, --plugin-path DIR   where plugins are (repeatable; replaces\n"
	"                          plugin.path)\n"
	"  -t, --trigger MODE      continuous (default) or available-now:\n"
	"                          process what is there, then stop\n"
	"  -h, --help              show this help\n"
	"\n"
	"Exit codes: 0 every file is valid, 2 bad command line, 3 problems.\n";

int cmd_validate(int argc, char **argv)
{
	struct setup_args a;
	struct setup s;
	struct diags d;
	int rc;
	int r = setup_command(&a, &s, &d, argc, argv, usage, 1, &rc);
	if (r >= 0)
		return r;
	if (rc == 0)
		printf("%zu connector%s valid (%zu plugin%s on plugin.path)\n",
		       s.connectors.n, s.connectors.n == 1 ? "" : "s",
		       s.plugins.n, s.plugins.n == 1 ? "" : "s");
	else
		fprintf(stderr, "%zu problem%s found\n", d.n,
			d.n == 1 ? "" : "s");
	setup_command_end(&a, &s, &d);
	return rc == 0 ? EXIT_OK : EXIT_CONFIG;
}
