/*
 * bronze.c - transform-bronze's process() in events per second on the
 * 1,000 foreign sample events, repeated, against json-c in the same run:
 *
 *   json-c parse            json_tokener_parse_ex into a reused tokener
 *   json-c parse+serialise  the same plus json_object_to_json_string
 *   bronze scan+write       the plugin's own work: scan.c then write.c
 *   bronze process          the plugin through its descriptor and the
 *                           mock host (which copies every record)
 *   bronze + 5 expectations the shipped expectations on top (jdoc
 *                           parses each good record once more for them)
 *
 * Usage: bench/bronze [events.jsonl [rounds]]. Each figure is the best of
 * three runs over `rounds` passes of the file (default 200: 200,000
 * events).
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jbuf.h"
#include "mock_host.h"
#include "scan.h"
#include "schema.h"
#include "sluice/plugin.h"
#include "write.h"

const struct sluice_plugin *sluice_plugin_entry(void);

struct line {
	char *p;
	size_t len;
};

static struct line *lines;
static size_t nlines;
static long rounds = 200;
static volatile size_t sink; /* keeps results alive */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void load(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[65536];
	size_t cap = 0;

	if (!f) {
		perror(path);
		exit(1);
	}
	while (fgets(buf, sizeof buf, f)) {
		size_t len = strlen(buf);

		while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			len--;
		if (!len)
			continue;
		if (nlines == cap) {
			struct line *v;

			cap = cap ? cap * 2 : 1024;
			v = realloc(lines, cap * sizeof *lines);
			if (!v) {
				perror("realloc");
				exit(1);
			}
			lines = v;
		}
		lines[nlines].p = malloc(len + 1);
		if (!lines[nlines].p) {
			perror("malloc");
			exit(1);
		}
		memcpy(lines[nlines].p, buf, len + 1);
		lines[nlines++].len = len;
	}
	fclose(f);
}

static void run_jsonc(int serialise)
{
	json_tokener *tok = json_tokener_new();

	for (long r = 0; r < rounds; r++)
		for (size_t i = 0; i < nlines; i++) {
			json_object *o;

			json_tokener_reset(tok);
			o = json_tokener_parse_ex(tok, lines[i].p,
						  (int)lines[i].len);
			if (serialise)
				sink += strlen(json_object_to_json_string(o));
			json_object_put(o);
		}
	json_tokener_free(tok);
}

static void run_scan(void)
{
	struct bronze_node *schema;
	struct bronze_scan sc;
	struct bronze_origin o = {"transaction_logs", 0, 0, 0};
	struct jbuf b = {0};
	char err[128];

	schema = bronze_schema_parse(BRONZE_SEED_SCHEMA, err, sizeof err);
	bronze_scan_init(&sc, schema, 32, BRONZE_EXTRA_RESCUE);
	for (long r = 0; r < rounds; r++)
		for (size_t i = 0; i < nlines; i++) {
			jbuf_reset(&b);
			o.offset = (int64_t)i;
			o.ingest_us = jbuf_now_us();
			if (bronze_scan_run(&sc, lines[i].p, lines[i].len) == 0)
				bronze_write_good(&b, &sc, lines[i].p, &o);
			sink += b.len;
		}
	jbuf_free(&b);
	bronze_scan_free(&sc);
	bronze_schema_free(schema);
}

static void run_plugin(const char *expectations)
{
	struct mock_host *m = mock_host_new(sluice_plugin_entry());

	if (expectations)
		mock_host_set(m, "expectations", expectations);
	if (mock_host_open(m) != SLUICE_OK) {
		fprintf(stderr, "open: %s\n", mock_host_error(m));
		exit(1);
	}
	for (long r = 0; r < rounds; r++) {
		for (size_t i = 0; i < nlines; i++) {
			struct sluice_record in = {
				.topic = "transaction_logs",
				.offset = (int64_t)i,
				.value = lines[i].p,
				.value_len = lines[i].len,
			};

			if (mock_host_process(m, &in) != SLUICE_OK) {
				fprintf(stderr, "process: %s\n",
					mock_host_error(m));
				exit(1);
			}
		}
		sink += mock_host_record_count(m);
		mock_host_clear_records(m);
	}
	mock_host_free(m);
}

static const char *shipped =
	"valid_email, positive_amount, amount_matches_items, known_currency, "
	"user_id_present";

/* Events/s of one mode: the best of three. */
static double measure(int mode)
{
	double best = 0;

	for (int k = 0; k < 3; k++) {
		double t0 = now_s(), rate;

		switch (mode) {
		case 0:
			run_jsonc(0);
			break;
		case 1:
			run_jsonc(1);
			break;
		case 2:
			run_scan();
			break;
		case 3:
			run_plugin(NULL);
			break;
		default:
			run_plugin(shipped);
			break;
		}
		rate = (double)nlines * (double)rounds / (now_s() - t0);
		if (rate > best)
			best = rate;
	}
	return best;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"json-c parse", "json-c parse+serialise", "bronze scan+write",
		"bronze process (mock host)",
		"bronze + 5 expectations (mock host)"};
	size_t bytes = 0;
	double base = 0;

	load(argc > 1 ? argv[1] : SAMPLE_EVENTS);
	if (argc > 2)
		rounds = atol(argv[2]);
	for (size_t i = 0; i < nlines; i++)
		bytes += lines[i].len;
	printf("%zu events of %.0f bytes on average, %ld rounds\n", nlines,
	       (double)bytes / (double)nlines, rounds);
	for (int mode = 0; mode < 5; mode++) {
		double rate = measure(mode);

		if (mode == 0)
			base = rate;
		printf("%-38s %10.0f events/s %8.1f MB/s   x%.2f\n",
		       names[mode], rate,
		       rate * (double)bytes / (double)nlines / 1e6,
		       rate / base);
	}
	for (size_t i = 0; i < nlines; i++)
		free(lines[i].p);
	free(lines);
	return 0;
}
