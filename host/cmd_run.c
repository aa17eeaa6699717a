/*
 * cmd_run.c - `sluice run`: load and check everything, then run the
 * worker until it is stopped.
 */
#include <stdio.h>

#include "cli.h"
#include "setup.h"
#include "worker.h"

static const char usage[] =
	"Usage: sluice run [-c FILE] [-d DIR] [-p DIR]... [-t MODE]\n"
	"\n"
	"Runs the worker: every connector of the connectors directory, until\n"
	"SIGTERM or SIGINT (drain, flush, commit, exit; a second signal exits\n"
	"at once). SIGHUP re-reads the connectors directory.\n"
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
	"Exit codes: 0 stopped cleanly, 1 a task failed or shutdown timed\n"
	"out, 2 bad command line, 3 invalid configuration or a connector\n"
	"could not start, 4 Kafka unreachable.\n";

int cmd_run(int argc, char **argv)
{
	struct setup_args a;
	struct setup s;
	struct diags d;
	int rc;
	int r = setup_command(&a, &s, &d, argc, argv, usage, 1, &rc);
	if (r >= 0)
		return r;
	if (rc) {
		fprintf(stderr, "sluice: %zu problem%s found; not starting\n",
			d.n, d.n == 1 ? "" : "s");
		rc = EXIT_CONFIG;
	} else {
		rc = worker_run(&s, &a);
	}
	setup_command_end(&a, &s, &d);
	return rc;
}
