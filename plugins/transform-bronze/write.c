/*
 * write.c - the record writers of write.h.
 */
#include "write.h"

#include <stdio.h>

static int is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* , "_source": {...} without the leading separator. */
static void put_source(struct jbuf *b, const struct bronze_origin *o)
{
	JBUF_LIT(b, "\"_source\": {\"topic\": ");
	jbuf_cstr(b, o->topic ? o->topic : "");
	JBUF_LIT(b, ", \"partition\": ");
	jbuf_i64(b, o->partition);
	JBUF_LIT(b, ", \"offset\": ");
	jbuf_i64(b, o->offset);
	jbuf_putc(b, '}');
}

void bronze_write_good(struct jbuf *b, const struct bronze_scan *sc,
		       const char *p, const struct bronze_origin *o)
{
	size_t at = 0, end = sc->close;
	int comma = sc->kept_members > 0;

	for (size_t k = 0; k < sc->ncuts; k++) {
		jbuf_put(b, p + at, sc->cuts[k].from - at);
		at = sc->cuts[k].to;
	}
	while (end > at && is_ws(p[end - 1]))
		end--;
	jbuf_put(b, p + at, end - at);
	if (sc->nrescued) {
		if (comma)
			JBUF_LIT(b, ", ");
		JBUF_LIT(b, "\"_rescued_data\": {");
		for (size_t k = 0; k < sc->nrescued; k++) {
			const struct bronze_rescued *r = &sc->rescued[k];

			if (k)
				JBUF_LIT(b, ", ");
			jbuf_str(b, sc->paths.p + r->path_at, r->path_len);
			JBUF_LIT(b, ": ");
			jbuf_put(b, p + r->value.from,
				 r->value.to - r->value.from);
		}
		jbuf_putc(b, '}');
		comma = 1;
	}
	if (comma)
		JBUF_LIT(b, ", ");
	JBUF_LIT(b, "\"ingest_ts\": ");
	jbuf_time_us(b, o->ingest_us);
	JBUF_LIT(b, ", ");
	put_source(b, o);
	jbuf_putc(b, '}');
}

/* The longest prefix of raw[0..limit) that does not end inside a UTF-8
 * sequence. */
static size_t cut_at_char(const char *raw, size_t limit)
{
	size_t n = limit;

	for (int k = 0; k < 3 && n > 0; k++) {
		unsigned char c = (unsigned char)raw[n - 1];

		if (c < 0x80)
			return limit;
		if (c >= 0xc0) {
			/* a lead byte: is its sequence whole? */
			size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

			return limit - (n - 1) >= need ? limit : n - 1;
		}
		n--;
	}
	return limit;
}

void bronze_write_quarantine(struct jbuf *b, const char *raw, size_t len,
			     size_t limit, const char *const *reasons, size_t n,
			     size_t more, const struct bronze_origin *o)
{
	JBUF_LIT(b, "{\"_rescued_data\": ");
	if (!raw) {
		JBUF_LIT(b, "null");
	} else {
		size_t keep = len > limit ? cut_at_char(raw, limit) : len;

		if (jbuf_str(b, raw, keep)) {
			/* Not UTF-8: the bytes themselves, losslessly. */
			JBUF_LIT(b, ", \"_rescued_data_base64\": ");
			jbuf_base64(b, raw, keep);
		}
		if (keep < len) {
			JBUF_LIT(b, ", \"_rescued_bytes\": ");
			jbuf_u64(b, len);
		}
	}
	JBUF_LIT(b, ", \"_errors\": [");
	for (size_t k = 0; k < n; k++) {
		if (k)
			JBUF_LIT(b, ", ");
		jbuf_cstr(b, reasons[k]);
	}
	if (more) {
		char text[48];
		int w = snprintf(text, sizeof text, "and %zu more", more);

		JBUF_LIT(b, ", ");
		jbuf_str(b, text, (size_t)w);
	}
	JBUF_LIT(b, "], ");
	put_source(b, o);
	JBUF_LIT(b, ", \"ingest_ts\": ");
	jbuf_time_us(b, o->ingest_us);
	jbuf_putc(b, '}');
}
