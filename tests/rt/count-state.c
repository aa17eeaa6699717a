/*
 * count-state.c - test stateful transform: per input key, counts the
 * records and sums the integer after `"n":` in their values, keeping both
 * in the host's state store (key = input key, value = "count sum"), and
 * emits an upsert {"key":"..","count":..,"sum":..} keyed by the input key
 * for every input. Padding (`pad` bytes of 'x' appended to the stored
 * value) makes the changelog grow fast for the snapshot tests. Pacing
 * (a 1 ms nap every `pace.every` inputs) keeps a round of inputs in
 * flight long enough for a test to kill the worker in the middle of it,
 * however fast the host has become.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sluice/plugin.h"

struct state {
	const struct sluice_host *h;
	int64_t pad;
	int64_t pace_every, seen;
	char *buf;
};

static const struct sluice_option options[] = {
	{"pad", SLUICE_OPT_INT, "0", 0, "0", "100000", NULL,
	 "bytes of padding stored with each count"},
	{"pace.every", SLUICE_OPT_INT, "0", 0, "0", "1000000", NULL,
	 "nap 1 ms after every this many inputs (0: never)"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static int count_keys(void *ctx, const void *key, size_t key_len,
		      const void *value, size_t value_len)
{
	(void)key;
	(void)key_len;
	(void)value;
	(void)value_len;
	(*(size_t *)ctx)++;
	return 0;
}

static enum sluice_status cs_open(struct sluice_task *t,
				  const struct sluice_host *h, void **out)
{
	if (h->size < sizeof(struct sluice_host) || !h->state_get) {
		h->set_error(t, "the host has no state store");
		return SLUICE_FATAL;
	}
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return SLUICE_FATAL;
	s->h = h;
	s->pad = h->opt_int(t, "pad");
	s->pace_every = h->opt_int(t, "pace.every");
	s->buf = malloc((size_t)s->pad + 64);
	if (!s->buf) {
		free(s);
		return SLUICE_FATAL;
	}
	size_t keys = 0;
	h->state_foreach(t, count_keys, &keys);
	h->log(t, SLUICE_LOG_INFO, "count-state: %zu keys in the store", keys);
	*out = s;
	return SLUICE_OK;
}

static void cs_close(void *p)
{
	struct state *s = p;
	free(s->buf);
	free(s);
}

static long long number_in(const struct sluice_record *in)
{
	char v[64];
	size_t n =
		in->value_len < sizeof(v) - 1 ? in->value_len : sizeof(v) - 1;
	if (!in->value)
		return 0;
	memcpy(v, in->value, n);
	v[n] = '\0';
	const char *p = strstr(v, "\"n\":");
	return p ? atoll(p + 4) : 0;
}

static enum sluice_status cs_process(void *p, struct sluice_task *t,
				     const struct sluice_record *in)
{
	struct state *s = p;
	if (s->pace_every && ++s->seen % s->pace_every == 0)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	if (!in->key || !in->key_len || in->key_len > 200) {
		s->h->set_error(t, "input without a usable key");
		return SLUICE_REJECT;
	}
	long long count = 0, sum = 0;
	size_t n = 0;
	const char *old = s->h->state_get(t, in->key, in->key_len, &n);
	if (old) {
		char tmp[64];
		size_t m = n < sizeof(tmp) - 1 ? n : sizeof(tmp) - 1;
		memcpy(tmp, old, m);
		tmp[m] = '\0';
		if (sscanf(tmp, "%lld %lld", &count, &sum) != 2) {
			s->h->set_error(t, "bad stored value");
			return SLUICE_FATAL;
		}
	}
	count++;
	sum += number_in(in);
	int len = snprintf(s->buf, 64, "%lld %lld ", count, sum);
	memset(s->buf + len, 'x', (size_t)s->pad);
	if (s->h->state_put(t, in->key, in->key_len, s->buf,
			    (size_t)len + (size_t)s->pad))
		return SLUICE_FATAL; /* the reason is set by the host */
	char out[512];
	int olen =
		snprintf(out, sizeof(out),
			 "{\"key\":\"%.*s\",\"count\":%lld,\"sum\":%lld}",
			 (int)in->key_len, (const char *)in->key, count, sum);
	struct sluice_record r = {
		.partition = -1,
		.key = in->key,
		.key_len = in->key_len,
		.value = out,
		.value_len = (size_t)olen,
	};
	return s->h->emit(t, NULL, &r) ? SLUICE_FATAL : SLUICE_OK;
}

static const struct sluice_plugin desc = {
	SLUICE_PLUGIN_HEADER,
	.name = "test-count-state",
	.version = "1.0.0",
	.description = "test: per-key count and sum in the state store",
	.kind = SLUICE_KIND_TRANSFORM,
	.options = options,
	.open = cs_open,
	.close = cs_close,
	.process = cs_process,
	.flags = SLUICE_PLUGIN_STATEFUL,
};

SLUICE_PLUGIN_EXPORT(desc)
