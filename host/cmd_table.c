/*
 * cmd_table.c - `sluice table`: JSON Lines (files or stdin) as an
 * aligned text table. scripts/quickstart prints the gold tables with it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "table.h"

static const char usage[] =
	"Usage: sluice table [-t TITLE] [-s FIELD] [-r] [-n ROWS] [FILE]...\n"
	"\n"
	"Prints JSON Lines objects (from the files, or standard input) as an\n"
	"aligned table: one column per top-level member, numbers right-\n"
	"aligned, nested values as compact JSON.\n"
	"\n"
	"  -t, --title TITLE   a line printed above the table\n"
	"  -s, --sort FIELD    sort the rows by this member (numbers by "
	"value)\n"
	"  -r, --reverse       sort descending\n"
	"  -n, --rows N        print at most N rows (default 20; 0 = all)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit codes: 0 printed, 2 bad command line, 3 a line is not a JSON\n"
	"object (named by file and line), or a file cannot be read.\n";

/* Reads one stream into the table; -1 after naming the bad line. */
static int read_stream(struct table *t, FILE *in, const char *name)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int rc = 0;
	while ((n = getline(&line, &cap, in)) >= 0) {
		char err[256];
		lineno++;
		if (table_add_line(t, line, (size_t)n, err, sizeof(err))) {
			fprintf(stderr, "%s:%ld: %s\n", name, lineno, err);
			rc = -1;
			break;
		}
	}
	free(line);
	return rc;
}

int cmd_table(int argc, char **argv)
{
	static const struct option longs[] = {
		{"title", required_argument, NULL, 't'},
		{"sort", required_argument, NULL, 's'},
		{"reverse", no_argument, NULL, 'r'},
		{"rows", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *title = NULL, *sort = NULL;
	int desc = 0;
	long rows = 20;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:s:rn:h", longs, NULL)) != -1) {
		char *end;
		switch (c) {
		case 't':
			title = optarg;
			break;
		case 's':
			sort = optarg;
			break;
		case 'r':
			desc = 1;
			break;
		case 'n':
			rows = strtol(optarg, &end, 10);
			if (*end || rows < 0) {
				fprintf(stderr,
					"sluice: --rows: '%s' is not a "
					"number of rows\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	struct table *t = table_new();
	int rc = 0;
	if (optind == argc)
		rc = read_stream(t, stdin, "<stdin>");
	for (int i = optind; i < argc && !rc; i++) {
		FILE *f = fopen(argv[i], "r");
		if (!f) {
			perror(argv[i]);
			rc = -1;
			break;
		}
		rc = read_stream(t, f, argv[i]);
		fclose(f);
	}
	if (!rc) {
		table_sort(t, sort, desc);
		if (title)
			printf("%s\n", title);
		table_print(t, (size_t)rows, stdout);
	}
	table_free(t);
	return rc ? EXIT_CONFIG : EXIT_OK;
}
