/*
 * fanout.c - test transform: emits `copies` records per input to "out"
 * (value = input value with ",\"copy\":k" spliced before the closing
 * brace), rejects inputs containing `reject.on` and fails on `fail.on`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/plugin.h"

struct state {
	const struct sluice_host *h;
	int copies;
	const char *reject_on, *fail_on;
};

static const struct sluice_option options[] = {
	{"copies", SLUICE_OPT_INT, "2", 0, "0", "100", NULL,
	 "records emitted per input"},
	{"reject.on", SLUICE_OPT_STRING, NULL, 0, NULL, NULL, NULL,
	 "reject inputs containing this"},
	{"fail.on", SLUICE_OPT_STRING, NULL, 0, NULL, NULL, NULL,
	 "fail on inputs containing this"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static enum sluice_status fo_open(struct sluice_task *t,
				  const struct sluice_host *h, void **out)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return SLUICE_FATAL;
	s->h = h;
	s->copies = (int)h->opt_int(t, "copies");
	s->reject_on = h->opt_string(t, "reject.on");
	s->fail_on = h->opt_string(t, "fail.on");
	*out = s;
	return SLUICE_OK;
}

static void fo_close(void *p)
{
	free(p);
}

static int contains(const struct sluice_record *r, const char *what)
{
	return what && r->value &&
	       memmem(r->value, r->value_len, what, strlen(what));
}

static enum sluice_status fo_process(void *p, struct sluice_task *t,
				     const struct sluice_record *in)
{
	struct state *s = p;
	if (contains(in, s->fail_on)) {
		s->h->set_error(t, "input contains '%s'", s->fail_on);
		return SLUICE_FATAL;
	}
	if (contains(in, s->reject_on)) {
		s->h->set_error(t, "input contains '%s'", s->reject_on);
		return SLUICE_REJECT;
	}
	if (!in->value || !in->value_len ||
	    ((const char *)in->value)[in->value_len - 1] != '}') {
		s->h->set_error(t, "not a JSON object");
		return SLUICE_REJECT;
	}
	for (int k = 0; k < s->copies; k++) {
		char buf[4096];
		size_t n = in->value_len - 1;
		if (n > sizeof(buf) - 32)
			return SLUICE_REJECT;
		memcpy(buf, in->value, n);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",\"copy\":%d}",
				      k);
		struct sluice_record r = {
			.partition = -1,
			.key = in->key,
			.key_len = in->key_len,
			.value = buf,
			.value_len = n,
		};
		if (s->h->emit(t, NULL, &r))
			return SLUICE_FATAL;
	}
	return SLUICE_OK;
}

static const struct sluice_plugin desc = {
	SLUICE_PLUGIN_HEADER,
	.name = "test-fanout",
	.version = "1.0.0",
	.description = "emits N copies of each input (tests)",
	.kind = SLUICE_KIND_TRANSFORM,
	.options = options,
	.open = fo_open,
	.close = fo_close,
	.process = fo_process,
};

SLUICE_PLUGIN_EXPORT(desc)
