/*
 * chain-stage.c - test transform for `transforms:` chains (stateless).
 * It reads the "seq" of a count-source value and
 *   - drops records whose seq is divisible by `drop.mod` (0: none);
 *   - answers REJECT to seq `reject.seq` and FATAL to seq `fatal.seq`;
 *   - answers RETRY to its first `retry.times` calls;
 *   - emits `copies` records per input; with `tag` set, copy k gets
 *     ,"<tag>":k spliced before the value's closing brace, and the header
 *     chain.path becomes the input's chain.path + ">" + tag (or tag), so
 *     that the order of the stages shows in both.
 * Key, timestamp and other headers are kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/plugin.h"

#define PATH_HEADER "chain.path"
#define MAX_HEADERS 32

struct state {
	const struct sluice_host *h;
	int64_t drop_mod, reject_seq, fatal_seq, retries_left;
	int copies;
	const char *tag;
};

static const struct sluice_option options[] = {
	{"drop.mod", SLUICE_OPT_INT, "0", 0, "0", NULL, NULL,
	 "drop records whose seq is divisible by this (0: none)"},
	{"copies", SLUICE_OPT_INT, "1", 0, "1", "10", NULL,
	 "records emitted per input"},
	{"tag", SLUICE_OPT_STRING, NULL, 0, "1", "16", NULL,
	 "field and chain.path element added to what is emitted"},
	{"reject.seq", SLUICE_OPT_INT, "-1", 0, NULL, NULL, NULL,
	 "answer REJECT to this seq"},
	{"fatal.seq", SLUICE_OPT_INT, "-1", 0, NULL, NULL, NULL,
	 "answer FATAL to this seq"},
	{"retry.times", SLUICE_OPT_INT, "0", 0, "0", NULL, NULL,
	 "answer RETRY to this many calls first"},
	{NULL, 0, NULL, 0, NULL, NULL, NULL, NULL},
};

static enum sluice_status cst_open(struct sluice_task *t,
				   const struct sluice_host *h, void **out)
{
	struct state *s = calloc(1, sizeof(*s));
	if (!s)
		return SLUICE_FATAL;
	s->h = h;
	s->drop_mod = h->opt_int(t, "drop.mod");
	s->copies = (int)h->opt_int(t, "copies");
	s->tag = h->opt_string(t, "tag");
	s->reject_seq = h->opt_int(t, "reject.seq");
	s->fatal_seq = h->opt_int(t, "fatal.seq");
	s->retries_left = h->opt_int(t, "retry.times");
	*out = s;
	return SLUICE_OK;
}

static void cst_close(void *p)
{
	free(p);
}

/* The value's "seq", or -1. */
static long long seq_of(const struct sluice_record *r)
{
	static const char key[] = "\"seq\":";
	char buf[512];
	if (!r->value || r->value_len >= sizeof(buf))
		return -1;
	memcpy(buf, r->value, r->value_len);
	buf[r->value_len] = '\0';
	const char *p = strstr(buf, key);
	return p ? strtoll(p + sizeof(key) - 1, NULL, 10) : -1;
}

static enum sluice_status cst_process(void *p, struct sluice_task *t,
				      const struct sluice_record *in)
{
	struct state *s = p;
	if (s->retries_left > 0) {
		s->retries_left--;
		s->h->set_error(t, "told to retry");
		return SLUICE_RETRY;
	}
	long long seq = seq_of(in);
	if (seq >= 0 && seq == s->reject_seq) {
		s->h->set_error(t, "seq %lld rejected", seq);
		return SLUICE_REJECT;
	}
	if (seq >= 0 && seq == s->fatal_seq) {
		s->h->set_error(t, "seq %lld is fatal", seq);
		return SLUICE_FATAL;
	}
	if (seq >= 0 && s->drop_mod > 0 && seq % s->drop_mod == 0)
		return SLUICE_OK; /* filtered */

	struct sluice_header hdrs[MAX_HEADERS];
	size_t nh = 0;
	char path[256] = "";
	for (size_t i = 0; i < in->header_count && nh < MAX_HEADERS - 1; i++) {
		const struct sluice_header *h = &in->headers[i];
		if (!strcmp(h->name, PATH_HEADER)) {
			snprintf(path, sizeof(path), "%.*s",
				 (int)(h->value_len < 200 ? h->value_len : 200),
				 h->value ? (const char *)h->value : "");
			continue;
		}
		hdrs[nh++] = *h;
	}
	if (s->tag) {
		size_t len = strlen(path);
		snprintf(path + len, sizeof(path) - len, "%s%s", len ? ">" : "",
			 s->tag);
	}
	if (path[0])
		hdrs[nh++] =
			(struct sluice_header){PATH_HEADER, path, strlen(path)};
	for (int k = 0; k < s->copies; k++) {
		char buf[1024];
		size_t n = in->value_len;
		if (!in->value || n + 40 > sizeof(buf)) {
			s->h->set_error(t, "value too large or missing");
			return SLUICE_FATAL;
		}
		memcpy(buf, in->value, n);
		if (s->tag && n && buf[n - 1] == '}')
			n = n - 1 +
			    (size_t)snprintf(buf + n - 1, sizeof(buf) - n + 1,
					     ",\"%s\":%d}", s->tag, k);
		struct sluice_record r = {
			.partition = -1,
			.timestamp_ms = in->timestamp_ms,
			.key = in->key,
			.key_len = in->key_len,
			.value = buf,
			.value_len = n,
			.headers = hdrs,
			.header_count = nh,
		};
		if (s->h->emit(t, NULL, &r))
			return SLUICE_FATAL;
	}
	return SLUICE_OK;
}

static const struct sluice_plugin desc = {
	SLUICE_PLUGIN_HEADER,
	.name = "test-chain-stage",
	.version = "1.0.0",
	.description = "filters, copies, tags and refuses records (tests)",
	.kind = SLUICE_KIND_TRANSFORM,
	.options = options,
	.open = cst_open,
	.close = cst_close,
	.process = cst_process,
};

SLUICE_PLUGIN_EXPORT(desc)
