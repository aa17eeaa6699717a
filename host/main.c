/*
 * main.c - the sluice command line: dispatches to one sub-command.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

static const char usage[] =
	"Usage: sluice COMMAND [OPTIONS]\n"
	"\n"
	"A Kafka Connect-style worker: runs source, sink and transform\n"
	"connectors declared in YAML, as plugins loaded from plugin.path.\n"
	"\n"
	"Commands:\n"
	"  run        run the worker and its connectors until stopped\n"
	"  validate   check the worker file and every connector file\n"
	"  plugins    list the plugins found on plugin.path, or show one\n"
	"  broker     run a standalone in-memory Kafka broker for development\n"
	"  table      print JSON Lines as an aligned text table\n"
	"  graph      print the pipeline of the connector files as Graphviz "
	"DOT\n"
	"  status     show a running worker's connectors and tasks (REST "
	"API)\n"
	"\n"
	"Options:\n"
	"  -h, --help     show this help (also: sluice COMMAND --help)\n"
	"  -V, --version  show the version and plugin ABI\n"
	"\n"
	"Exit codes:\n"
	"  0  success (validate: every file is valid)\n"
	"  1  a task or the worker failed while running\n"
	"  2  bad command line\n"
	"  3  invalid configuration, connector file or plugin\n"
	"  4  Kafka unreachable, or the embedded broker could not start\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("sluice %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
		       SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "validate"))
		return cmd_validate(argc - 1, argv + 1);
	if (!strcmp(cmd, "plugins"))
		return cmd_plugins(argc - 1, argv + 1);
	if (!strcmp(cmd, "broker"))
		return cmd_broker(argc - 1, argv + 1);
	if (!strcmp(cmd, "table"))
		return cmd_table(argc - 1, argv + 1);
	if (!strcmp(cmd, "graph"))
		return cmd_graph(argc - 1, argv + 1);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc - 1, argv + 1);
	fprintf(stderr, "sluice: unknown command '%s'\n\n%s", cmd, usage);
	return EXIT_USAGE;
}
