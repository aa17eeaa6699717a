/*
 * faker-gen.c - how fast source-faker writes events, on one core, with no
 * host and no Kafka: the pure generation cost. Two baselines run in the
 * same process so the figure reads as a ratio on any machine: the same
 * event shape written with snprintf (what a straightforward C writer
 * does), and memcpy of one prebuilt event (the ceiling).
 *
 * usage: faker-gen [events per run, default 5000000]
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "rng.h"
#include "words.h"

struct result {
	double eps, mbps, avg;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Defeats dead-code elimination of the loops below. */
static volatile unsigned sink;

static struct result faker_run(const struct faker_gen *g, size_t n)
{
	static char buf[FAKER_EVENT_MAX];
	struct faker_event ev;
	size_t bytes = 0;
	double t0 = now_s(), dt;

	for (size_t i = 0; i < n; i++) {
		uint64_t o = faker_event_origin(g, i, 0);

		bytes += faker_event_write(g, o, faker_event_sim_time(g, o),
					   buf, &ev);
		sink += (unsigned char)buf[bytes % 64];
	}
	dt = now_s() - t0;
	return (struct result){(double)n / dt, (double)bytes / dt / 1e6,
			       (double)bytes / (double)n};
}

static const char *pick(struct faker_rng *r, const struct faker_list *l)
{
	return l->v[faker_rng_below(r, (uint32_t)l->n)].s;
}

/* The same shape, the usual way: draw the values, snprintf the JSON. */
static size_t snprintf_event(char *buf, size_t cap, uint64_t seq)
{
	struct faker_rng r = faker_rng_at(42, seq);
	const struct faker_category *cat =
		&faker_categories[faker_rng_below(&r, FAKER_CATEGORY_COUNT)];
	const struct faker_place *pl =
		&faker_places[faker_rng_below(&r, (uint32_t)faker_place_count)];
	unsigned nit = 1 + faker_rng_below(&r, 3);
	double price[3];
	int qty[3];
	double amount = 0;
	size_t n;

	for (unsigned i = 0; i < nit; i++) {
		price[i] = (double)faker_rng_range(&r, 1000, 50000) / 100;
		qty[i] = (int)faker_rng_range(&r, 1, 5);
		amount += price[i] * qty[i];
	}
	n = (size_t)snprintf(
		buf, cap,
		"{\"transaction_id\": \"%08x-%04x-4%03x-%04x-%012llx\", "
		"\"user\": {\"user_id\": %u, \"name\": \"%s %s\", \"email\": "
		"\"%s.%s@%s\", \"country\": \"%s\", \"city\": \"%s\", "
		"\"address\": \"%u %s %s\\n%s%s, %s %05u\", \"age\": %u, "
		"\"payment_method\": \"%s\", \"device_type\": \"%s\", "
		"\"ip_address\": \"%u.%u.%u.%u\"}, \"amount\": %.2f, "
		"\"currency\": \"%s\", \"timestamp\": "
		"\"2026-01-01T00:00:%02u.%06uZ\", \"category\": \"%s\", "
		"\"items\": [",
		(unsigned)faker_rng_next(&r),
		(unsigned)faker_rng_below(&r, 65536),
		(unsigned)faker_rng_below(&r, 4096),
		(unsigned)faker_rng_below(&r, 65536),
		(unsigned long long)(faker_rng_next(&r) & 0xffffffffffffULL),
		1 + faker_rng_below(&r, 50), pick(&r, &faker_first_names),
		pick(&r, &faker_last_names), pick(&r, &faker_first_names),
		pick(&r, &faker_last_names), pick(&r, &faker_free_domains),
		pl->country.s, pl->city.s,
		(unsigned)faker_rng_range(&r, 100, 99999),
		pick(&r, &faker_last_names), pick(&r, &faker_street_suffixes),
		pick(&r, &faker_first_names), pick(&r, &faker_city_suffixes),
		pick(&r, &faker_states), faker_rng_below(&r, 99999),
		(unsigned)faker_rng_range(&r, 18, 65),
		pick(&r, &faker_payment_methods), pick(&r, &faker_device_types),
		faker_rng_below(&r, 224), faker_rng_below(&r, 256),
		faker_rng_below(&r, 256), faker_rng_below(&r, 256), amount,
		pick(&r, &faker_default_currencies), (unsigned)(seq % 60),
		faker_rng_below(&r, 1000000), cat->name.s);
	for (unsigned i = 0; i < nit; i++)
		n += (size_t)snprintf(
			buf + n, cap - n,
			"%s{\"item_id\": \"%08x-%04x-4%03x-%04x-%012llx\", "
			"\"name\": \"%s\", \"price\": %.2f, \"quantity\": %d}",
			i ? ", " : "", (unsigned)faker_rng_next(&r),
			(unsigned)faker_rng_below(&r, 65536),
			(unsigned)faker_rng_below(&r, 4096),
			(unsigned)faker_rng_below(&r, 65536),
			(unsigned long long)(faker_rng_next(&r) &
					     0xffffffffffffULL),
			pick(&r, &cat->items), price[i], qty[i]);
	n += (size_t)snprintf(buf + n, cap - n, "]}");
	return n;
}

static struct result snprintf_run(size_t n)
{
	static char buf[FAKER_EVENT_MAX];
	size_t bytes = 0;
	double t0 = now_s(), dt;

	for (size_t i = 0; i < n; i++) {
		bytes += snprintf_event(buf, sizeof buf, i);
		sink += (unsigned char)buf[bytes % 64];
	}
	dt = now_s() - t0;
	return (struct result){(double)n / dt, (double)bytes / dt / 1e6,
			       (double)bytes / (double)n};
}

static struct result memcpy_run(const struct faker_gen *g, size_t n)
{
	static char src[FAKER_EVENT_MAX], dst[FAKER_EVENT_MAX];
	struct faker_event ev;
	size_t len = faker_event_write(g, 0, 0, src, &ev), bytes = 0;
	double t0 = now_s(), dt;

	for (size_t i = 0; i < n; i++) {
		/* A varying first byte keeps the copy from being hoisted. */
		src[0] = (char)i;
		memcpy(dst, src, len);
		bytes += len;
		sink += (unsigned char)dst[i % 64];
	}
	dt = now_s() - t0;
	return (struct result){(double)n / dt, (double)bytes / dt / 1e6,
			       (double)len};
}

static void show(const char *what, struct result r, struct result base)
{
	printf("  %-40s %6.2f M events/s %7.0f MB/s %5.0f B/event %6.2fx\n",
	       what, r.eps / 1e6, r.mbps, r.avg, r.eps / base.eps);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 5000000;
	double rates[FAKER_ANOMALY_COUNT];
	struct faker_gen plain, anomalous, big;
	struct result base, r;
	cpu_set_t one;

	if (n == 0) {
		fprintf(stderr, "usage: faker-gen [events per run]\n");
		return 2;
	}
	/* One core: stay where the scheduler put us. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof one, &one);

	if (faker_gen_init(&plain, 42, 0, 1) ||
	    faker_gen_init(&anomalous, 42, 0, 1) ||
	    faker_gen_init(&big, 42, 0, 1) ||
	    faker_gen_set_users(&big, 1000000)) {
		fprintf(stderr, "faker-gen: out of memory\n");
		return 1;
	}
	for (int a = 0; a < FAKER_ANOMALY_COUNT; a++)
		rates[a] = 0.01;
	faker_gen_set_anomalies(&anomalous, rates, 3600000000LL);

	printf("source-faker generation, %zu events per run, one core "
	       "(ratio: to the snprintf baseline)\n",
	       n);
	base = snprintf_run(n);
	r = faker_run(&plain, n);
	show("faker_event_write, defaults", r, base);
	show("faker_event_write, 9 anomalies at 1% each",
	     faker_run(&anomalous, n), base);
	show("faker_event_write, 1,000,000 users", faker_run(&big, n), base);
	show("baseline: snprintf, same shape", base, base);
	show("ceiling: memcpy of one prebuilt event", memcpy_run(&plain, n),
	     base);
	printf("result: %.0f events/s (%s 1,000,000 events/s target)\n", r.eps,
	       r.eps >= 1e6 ? "meets the" : "BELOW the");
	faker_gen_free(&plain);
	faker_gen_free(&anomalous);
	faker_gen_free(&big);
	return 0;
}
