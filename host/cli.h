/*
 * cli.h - the sub-commands of the sluice binary and its exit codes.
 */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

/* Exit codes, documented in the README and in `sluice --help`. */
enum {
	EXIT_OK = 0,	      /* done; for validate: every file is valid */
	EXIT_FAILURE_RUN = 1, /* a task or the worker failed at run time */
	EXIT_USAGE = 2,	      /* bad command line */
	EXIT_CONFIG = 3,      /* invalid configuration or plugin */
	EXIT_KAFKA = 4,	      /* broker unreachable or topics not creatable */
};

int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_broker(int argc, char **argv);
int cmd_table(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_status(int argc, char **argv);

#endif
