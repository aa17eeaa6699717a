/*
 * cmd_graph.c - `sluice graph`: the pipeline of the connector files as
 * Graphviz DOT. It reads the configuration like `validate` (no worker
 * needs to run, nothing touches Kafka), so a pipeline can be drawn
 * before it is deployed: sluice graph | dot -Tsvg > pipeline.svg
 */
#include <stdio.h>

#include "cli.h"
#include "graph.h"
#include "setup.h"

static const char usage[] =
	"Usage: sluice graph [-c FILE] [-d DIR] [-p DIR]...\n"
	"\n"
	"Prints the pipeline as a Graphviz DOT graph: connectors (boxes,\n"
	"green sources, blue transforms, amber sinks) and topics (ellipses),\n"
	"with an arrow for each input and output topic and a dashed one to\n"
	"a dead-letter topic. It is read from the connector files, as\n"
	"`validate` reads them: no worker needs to run, Kafka is not asked.\n"
	"The running worker's pipeline page (GET / in a browser) draws the\n"
	"same graph live.\n"
	"\n"
	"  -c, --config FILE       worker file (default ./sluice.yaml, then\n"
	"                          " SYSCONFDIR "/sluice/sluice.yaml)\n"
	"  -d, --connectors DIR    connector files (default: connectors.dir)\n"
	"  -p, --plugin-path DIR   where plugins are (repeatable; replaces\n"
	"                          plugin.path)\n"
	"  -h, --help              show this help\n"
	"\n"
	"Example: sluice graph | dot -Tsvg > pipeline.svg\n"
	"\n"
	"Exit codes: 0 printed, 2 bad command line, 3 invalid configuration\n"
	"(every problem is printed, nothing is drawn).\n";

int cmd_graph(int argc, char **argv)
{
	struct setup_args a;
	struct setup s;
	struct diags d;
	int rc;
	int r = setup_command(&a, &s, &d, argc, argv, usage, 0, &rc);
	if (r >= 0)
		return r;
	if (rc == 0)
		graph_dot(stdout, &s.connectors, &s.plugins);
	else
		fprintf(stderr, "%zu problem%s found\n", d.n,
			d.n == 1 ? "" : "s");
	setup_command_end(&a, &s, &d);
	return rc == 0 ? EXIT_OK : EXIT_CONFIG;
}
