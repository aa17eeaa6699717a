/*
 * silver.c - transform-bronze then transform-silver in process, in events
 * per second, on source-faker events with anomalies on (the built
 * plugins, loaded as the host loads them, driven by the mock host and its
 * in-memory state store), against json-c in the same run:
 *
 *   json-c parse              json_tokener_parse_ex of each raw event
 *   bronze                    transform-bronze's process() alone
 *   silver, no expectations   transform-silver on bronze's good records
 *   silver, 5 expectations    the same with the shipped expectations
 *   bronze + silver           each event through both, as a pipeline
 *
 * Rates are per raw event (the silver lines too, so they add up), in CPU
 * time of the process (one thread), so that they hold on a busy machine.
 *
 * Usage: bench/silver [events [mode]]. Default 200,000 events; each
 * figure is the best of three runs, each on a fresh task (an empty
 * store). A mode (0-4, the lines above in order) runs that one alone,
 * for a profiler.
 */
#include <dlfcn.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_host.h"
#include "mock_state.h"
#include "sluice/plugin.h"

struct event {
	char *p;
	size_t len;
	char key[40];
	size_t key_len;
};

static struct event *raw, *good; /* faker's events, bronze's good ones */
static size_t nraw, ngood;
static const struct sluice_plugin *faker_p, *bronze_p, *silver_p;
static volatile size_t sink;

static double now_s(void)
{
	struct timespec ts;

	/* CPU time of the process: the figures hold on a shared machine. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct mock_host *m)
{
	fprintf(stderr, "%s: %s\n", what, m ? mock_host_error(m) : dlerror());
	exit(1);
}

static const struct sluice_plugin *load(const char *name)
{
	const struct sluice_plugin *(*entry)(void);
	char path[4096];
	void *dl, *sym;

	snprintf(path, sizeof path, "%s/plugins/%s/.libs/%s.so", BUILDDIR, name,
		 name);
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl || !(sym = dlsym(dl, SLUICE_PLUGIN_ENTRY)))
		die(path, NULL);
	memcpy(&entry, &sym, sizeof entry);
	return entry(); /* never closed: the process ends */
}

static void keep(struct event **v, size_t *n, size_t *cap,
		 const struct mock_record *r)
{
	struct event *e;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		*v = realloc(*v, *cap * sizeof **v);
		if (!*v) {
			perror("realloc");
			exit(1);
		}
	}
	e = &(*v)[(*n)++];
	e->p = malloc(r->value_len + 1);
	if (!e->p) {
		perror("malloc");
		exit(1);
	}
	memcpy(e->p, r->value, r->value_len + 1);
	e->len = r->value_len;
	e->key_len = r->key_len < sizeof e->key ? r->key_len : 0;
	memcpy(e->key, r->key ? r->key : "", e->key_len);
}

static struct mock_host *task(const struct sluice_plugin *p,
			      const char *expectations)
{
	struct mock_host *m = mock_host_new(p);

	if (p == bronze_p)
		mock_host_set(m, "ingest.time", "record");
	if (expectations)
		mock_host_set(m, "expectations", expectations);
	if (mock_host_open(m) != SLUICE_OK)
		die("open", m);
	return m;
}

static void process(struct mock_host *m, const struct event *e, int64_t off)
{
	struct sluice_record in = {
		.topic = "t",
		.offset = off,
		.timestamp_ms = 1767225600000LL,
		.key = e->key,
		.key_len = e->key_len,
		.value = e->p,
		.value_len = e->len,
	};

	if (mock_host_process(m, &in) != SLUICE_OK)
		die("process", m);
}

/* The events, and bronze's good records once, for the silver lines. */
static void generate(long n)
{
	struct mock_host *f = mock_host_new(faker_p), *b;
	size_t cap = 0, gcap = 0;
	char max[32];
	enum sluice_status st = SLUICE_OK;

	snprintf(max, sizeof max, "%ld", n);
	mock_host_set(f, "rate", "0");
	mock_host_set(f, "clock", "simulated");
	mock_host_set(f, "max.events", max);
	mock_host_set(f, "anomaly.malformed", "0.01");
	mock_host_set(f, "anomaly.wrong.type", "0.01");
	mock_host_set(f, "anomaly.amount.mismatch", "0.01");
	mock_host_set(f, "anomaly.invalid.email", "0.01");
	mock_host_set(f, "anomaly.duplicate", "0.02");
	mock_host_set(f, "anomaly.late", "0.01");
	if (mock_host_open(f) != SLUICE_OK)
		die("faker", f);
	while (st == SLUICE_OK) {
		st = mock_host_poll(f, 1000);
		if (st != SLUICE_OK && st != SLUICE_DONE)
			die("poll", f);
		for (size_t i = 0; i < mock_host_record_count(f); i++)
			keep(&raw, &nraw, &cap, mock_host_record(f, i));
		mock_host_clear_records(f);
	}
	mock_host_free(f);
	b = task(bronze_p, NULL);
	for (size_t i = 0; i < nraw; i++) {
		process(b, &raw[i], (int64_t)i);
		for (size_t k = 0; k < mock_host_record_count(b); k++)
			if (!strcmp(mock_host_record(b, k)->output, "out"))
				keep(&good, &ngood, &gcap,
				     mock_host_record(b, k));
		mock_host_clear_records(b);
	}
	mock_host_free(b);
}

static void run_jsonc(void)
{
	json_tokener *tok = json_tokener_new();

	for (size_t i = 0; i < nraw; i++) {
		json_object *o;

		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, raw[i].p, (int)raw[i].len);
		sink += o != NULL;
		json_object_put(o);
	}
	json_tokener_free(tok);
}

static void run_one(const struct sluice_plugin *p, const struct event *v,
		    size_t n, const char *expectations)
{
	struct mock_host *m = task(p, expectations);

	for (size_t i = 0; i < n; i++) {
		process(m, &v[i], (int64_t)i);
		if (i % 1024 == 1023) {
			sink += mock_host_record_count(m);
			mock_host_clear_records(m);
		}
	}
	mock_host_free(m);
}

static size_t silver_store_count, silver_rows;

static void run_pipeline(void)
{
	struct mock_host *b = task(bronze_p, NULL), *s = task(silver_p, NULL);
	int64_t off = 0;

	silver_rows = 0;
	for (size_t i = 0; i < nraw; i++) {
		process(b, &raw[i], (int64_t)i);
		for (size_t k = 0; k < mock_host_record_count(b); k++) {
			const struct mock_record *r = mock_host_record(b, k);
			struct sluice_record in = {
				.topic = "bronze_transactions",
				.offset = off++,
				.timestamp_ms = r->timestamp_ms,
				.key = r->key,
				.key_len = r->key_len,
				.value = r->value,
				.value_len = r->value_len,
			};

			if (strcmp(r->output, "out"))
				continue;
			if (mock_host_process(s, &in) != SLUICE_OK)
				die("silver", s);
		}
		mock_host_clear_records(b);
		if (i % 1024 == 1023 || i + 1 == nraw) {
			silver_rows += mock_host_record_count(s);
			mock_host_clear_records(s);
		}
	}
	silver_store_count = mock_state_count(mock_host_store(s));
	mock_host_free(b);
	mock_host_free(s);
}

static double measure(int mode)
{
	double best = 0;

	for (int k = 0; k < 3; k++) {
		double t0 = now_s(), rate;

		switch (mode) {
		case 0:
			run_jsonc();
			break;
		case 1:
			run_one(bronze_p, raw, nraw, NULL);
			break;
		case 2:
			run_one(silver_p, good, ngood, "");
			break;
		case 3:
			run_one(silver_p, good, ngood, NULL);
			break;
		default:
			run_pipeline();
			break;
		}
		rate = (double)nraw / (now_s() - t0);
		if (rate > best)
			best = rate;
	}
	return best;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {
		"json-c parse", "bronze (mock host)",
		"silver, no expectations (mock host)",
		"silver, 5 expectations (mock host)",
		"bronze + silver (mock host)"};
	long n = argc > 1 ? atol(argv[1]) : 200000;
	int only = argc > 2 ? atoi(argv[2]) : -1;
	size_t bytes = 0;
	double base = 0;

	/* The host binary links libm, and plugins linked without it (their
	 * common library uses fmax) rely on that: so does this stand-in. */
	if (!dlopen("libm.so.6", RTLD_NOW | RTLD_GLOBAL))
		die("libm.so.6", NULL);
	faker_p = load("source-faker");
	bronze_p = load("transform-bronze");
	silver_p = load("transform-silver");
	generate(n);
	for (size_t i = 0; i < nraw; i++)
		bytes += raw[i].len;
	printf("%zu faker events (anomalies on) of %.0f bytes on average; "
	       "%zu pass bronze\n",
	       nraw, (double)bytes / (double)nraw, ngood);
	for (int mode = 0; mode < 5; mode++) {
		double rate;

		if (only >= 0 && mode != only && mode != 0)
			continue;
		rate = measure(mode);

		if (mode == 0)
			base = rate;
		printf("%-38s %10.0f events/s   x%.2f\n", names[mode], rate,
		       rate / base);
	}
	printf("pipeline: %zu silver records, %zu store entries\n", silver_rows,
	       silver_store_count);
	for (size_t i = 0; i < nraw; i++)
		free(raw[i].p);
	for (size_t i = 0; i < ngood; i++)
		free(good[i].p);
	free(raw);
	free(good);
	return 0;
}
