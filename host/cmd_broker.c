/*
 * cmd_broker.c - `sluice broker`: runs the embedded broker as its own
 * process, so that several workers and tools like kcat can share it, until
 * SIGTERM or SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "cli.h"
#include "log.h"

static const char usage_text[] =
	"Usage: sluice broker [--port N] [--brokers N]\n"
	"                     [--topic NAME:PARTITIONS]...\n"
	"                     [--bootstrap-file PATH]\n"
	"\n"
	"Runs an in-memory Kafka cluster (librdkafka's mock cluster) on\n"
	"127.0.0.1 until SIGTERM or SIGINT; prints its bootstrap list.\n"
	"\n"
	"  --port N               broker n listens on port N+n-1\n"
	"                         (default: random ports)\n"
	"  --brokers N            number of brokers, 1..100 (default 1)\n"
	"  --topic NAME:PARTITIONS\n"
	"                         create a topic (repeatable); other\n"
	"                         topics are created on first use with\n"
	"                         4 partitions\n"
	"  --bootstrap-file PATH  also write the bootstrap list to PATH\n"
	"                         (atomically; removed on a clean stop)\n"
	"  --help                 show this help\n"
	"\n"
	"Topics, messages and committed offsets are lost when it stops.\n";

struct topic_arg {
	char *name;
	int partitions;
};

/* Parses a whole decimal int in lo..hi; -1 if s is anything else. */
static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("sluice broker: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int parse_topic(const char *arg, struct topic_arg *t)
{
	char err[512];
	const char *colon = strrchr(arg, ':');
	if (!colon)
		return usage_error("--topic '%s': expected NAME:PARTITIONS",
				   arg);
	if (parse_int(colon + 1, 1, BROKER_MAX_PARTITIONS, &t->partitions))
		return usage_error("--topic '%s': partitions must be a "
				   "number in 1..%d",
				   arg, BROKER_MAX_PARTITIONS);
	t->name = strndup(arg, (size_t)(colon - arg));
	if (!t->name) {
		fputs("sluice broker: out of memory\n", stderr);
		return EXIT_FAILURE_RUN;
	}
	if (broker_topic_check(t->name, t->partitions, err, sizeof(err))) {
		free(t->name);
		t->name = NULL;
		return usage_error("--topic '%s': %s", arg, err);
	}
	return 0;
}

static int topic_seen(const struct topic_arg *topics, size_t n,
		      const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(topics[i].name, name) == 0)
			return 1;
	return 0;
}

/* The bootstrap list brokers on fixed ports from port will have. */
static void fixed_bootstraps(int port, int brokers, char *buf, size_t len)
{
	size_t pos = 0;
	buf[0] = '\0';
	for (int i = 0; i < brokers && pos < len; i++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s127.0.0.1:%d",
					i ? "," : "", port + i);
}

/* Writes "line\n" to path through a temporary file and rename, so that a
 * reader sees either no file or the whole line. */
static int write_atomic(const char *path, const char *line)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	int bad = fprintf(f, "%s\n", line) < 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path)) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

int cmd_broker(int argc, char **argv)
{
	static const struct option opts[] = {
		{"port", required_argument, NULL, 'p'},
		{"brokers", required_argument, NULL, 'b'},
		{"topic", required_argument, NULL, 't'},
		{"bootstrap-file", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int port = 0, brokers = 1, rc = EXIT_OK;
	const char *bootstrap_file = NULL;
	struct topic_arg *topics = calloc((size_t)argc, sizeof(*topics));
	size_t ntopics = 0;
	struct broker *b = NULL;
	const char *bootstraps;
	char err[512], want[100 * 17];
	sigset_t sigs;
	int busy, sig = 0;

	if (!topics) {
		fputs("sluice broker: out of memory\n", stderr);
		return EXIT_FAILURE_RUN;
	}
	/* optind 0 makes glibc start over even if main() ran getopt. */
	optind = 0;
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, "h", opts, NULL);
		if (c == -1)
			break;
		switch (c) {
		case 'p':
			if (parse_int(optarg, 1, 65535, &port)) {
				rc = usage_error("--port '%s': expected a port "
						 "number in 1..65535",
						 optarg);
				goto out;
			}
			break;
		case 'b':
			if (parse_int(optarg, 1, 100, &brokers)) {
				rc = usage_error("--brokers '%s': expected a "
						 "number in 1..100",
						 optarg);
				goto out;
			}
			break;
		case 't':
			rc = parse_topic(optarg, &topics[ntopics]);
			if (rc)
				goto out;
			ntopics++;
			if (topic_seen(topics, ntopics - 1,
				       topics[ntopics - 1].name)) {
				rc = usage_error("--topic '%s': topic given "
						 "twice",
						 optarg);
				goto out;
			}
			break;
		case 'f':
			bootstrap_file = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			goto out;
		default:
			rc = usage_error("bad option or missing value: '%s'",
					 argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		rc = usage_error("unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (port && port + brokers - 1 > 65535) {
		rc = usage_error("--port %d with %d brokers: the last port "
				 "would be above 65535",
				 port, brokers);
		goto out;
	}

	/* librdkafka 2.0.2 aborts the process when a broker port is taken;
	 * a port taken between this check and the bind still does. */
	if (port && bind_fixed_check(port, brokers, &busy)) {
		if (errno == EADDRINUSE)
			log_msg(SLUICE_LOG_ERROR, NULL,
				"broker: port %d is in use", busy);
		else
			log_msg(SLUICE_LOG_ERROR, NULL,
				"broker: cannot bind port %d: %s", busy,
				strerror(errno));
		rc = EXIT_KAFKA;
		goto out;
	}

	/* Blocked before librdkafka starts its threads, which inherit the
	 * mask, so that sigwait below is the only taker of these signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	bind_fixed_set_base(port);
	b = broker_start(brokers, err, sizeof(err));
	bind_fixed_set_base(0);
	if (!b) {
		log_msg(SLUICE_LOG_ERROR, NULL, "broker: cannot start: %s",
			err);
		rc = EXIT_KAFKA;
		goto out;
	}
	bootstraps = broker_bootstraps(b);
	/* Proves that the bind() interposer took effect. */
	fixed_bootstraps(port, brokers, want, sizeof(want));
	if (port && strcmp(bootstraps, want) != 0) {
		log_msg(SLUICE_LOG_ERROR, NULL,
			"broker: asked for %s but the brokers listen on %s",
			want, bootstraps);
		rc = EXIT_KAFKA;
		goto out;
	}
	for (size_t i = 0; i < ntopics; i++) {
		if (broker_create_topic(b, topics[i].name, topics[i].partitions,
					err, sizeof(err))) {
			log_msg(SLUICE_LOG_ERROR, NULL, "broker: %s", err);
			rc = EXIT_KAFKA;
			goto out;
		}
	}
	if (bootstrap_file && write_atomic(bootstrap_file, bootstraps)) {
		log_msg(SLUICE_LOG_ERROR, NULL, "broker: cannot write %s: %s",
			bootstrap_file, strerror(errno));
		rc = EXIT_FAILURE_RUN;
		goto out;
	}
	printf("%s\n", bootstraps);
	fflush(stdout);
	log_msg(SLUICE_LOG_INFO, NULL,
		"broker: %d broker(s) on %s, %zu topic(s) created", brokers,
		bootstraps, ntopics);
	log_msg(SLUICE_LOG_WARN, NULL,
		"broker: everything is in memory only; topics, messages and "
		"committed offsets are lost when it stops");

	sigwait(&sigs, &sig);
	log_msg(SLUICE_LOG_INFO, NULL, "broker: stopping on %s",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	if (bootstrap_file)
		unlink(bootstrap_file);
out:
	broker_stop(b);
	for (size_t i = 0; i < ntopics; i++)
		free(topics[i].name);
	free(topics);
	return rc;
}
