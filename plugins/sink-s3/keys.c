/*
 * keys.c - object keys, time partitions, timestamps, URI encoding.
 */
#include "keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

void s3s_uri_encode(struct s3s_buf *out, const char *s, size_t len,
		    int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	s3s_buf_reserve(out, len * 3);
	char *w = out->p + out->len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			*w++ = (char)c;
		} else {
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
	}
	out->len = (size_t)(w - out->p);
	out->p[out->len] = '\0';
}

struct encoded_param {
	char *name, *value;
};

static int cmp_param(const void *a, const void *b)
{
	const struct encoded_param *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

void s3s_query_build(struct s3s_buf *out, const struct s3s_param *params,
		     size_t n)
{
	struct encoded_param *e = s3s_xcalloc(n, sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		struct s3s_buf b = {0};
		s3s_uri_encode(&b, params[i].name, strlen(params[i].name), 0);
		e[i].name = s3s_buf_take(&b);
		const char *v = params[i].value ? params[i].value : "";
		s3s_uri_encode(&b, v, strlen(v), 0);
		e[i].value = s3s_buf_take(&b);
	}
	qsort(e, n, sizeof(*e), cmp_param);
	for (size_t i = 0; i < n; i++) {
		if (i)
			s3s_buf_addc(out, '&');
		s3s_buf_adds(out, e[i].name);
		s3s_buf_addc(out, '=');
		s3s_buf_adds(out, e[i].value);
		free(e[i].name);
		free(e[i].value);
	}
	if (!out->p)
		s3s_buf_reserve(out, 0);
	free(e);
}

int s3s_time_partition(const char *pattern, int64_t ms, char *out, size_t cap)
{
	if (!cap)
		return -1;
	out[0] = '\0';
	if (!pattern || !*pattern)
		return 0;
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	time_t tt = (time_t)secs;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		return -1;
		/* The pattern is the user's, by design. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	size_t n = strftime(out, cap, pattern, &tm);
#pragma GCC diagnostic pop
	if (n == 0)
		return -1;
	return (int)n;
}

/* Appends a path segment without leading or trailing slashes; returns
 * whether anything was added. */
static int add_segment(struct s3s_buf *out, const char *s)
{
	if (!s)
		return 0;
	size_t len = strlen(s);
	while (len && *s == '/')
		s++, len--;
	while (len && s[len - 1] == '/')
		len--;
	if (!len)
		return 0;
	s3s_buf_add(out, s, len);
	s3s_buf_addc(out, '/');
	return 1;
}

void s3s_object_key(struct s3s_buf *out, const char *prefix, const char *topic,
		    const char *time_partition, int32_t partition,
		    int64_t start, const char *ext)
{
	add_segment(out, prefix);
	add_segment(out, topic);
	add_segment(out, time_partition);
	s3s_buf_printf(out, "%s+%" PRId32 "+%020" PRId64 "%s", topic, partition,
		       start, ext ? ext : "");
}

void s3s_table_key(struct s3s_buf *out, const char *prefix, const char *table,
		   const char *name)
{
	add_segment(out, prefix);
	add_segment(out, table);
	s3s_buf_adds(out, name);
}

void s3s_marker_key(struct s3s_buf *out, const char *prefix, const char *key)
{
	struct s3s_buf p = {0};
	add_segment(&p, prefix);
	size_t skip = 0;
	if (p.len && !strncmp(key, p.p, p.len))
		skip = p.len;
	if (p.len)
		s3s_buf_add(out, p.p, p.len);
	s3s_buf_adds(out, "_sluice/ends/");
	s3s_buf_adds(out, key + skip);
	s3s_buf_free(&p);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, size_t len, size_t *i, int n, int *out)
{
	int v = 0;
	for (int k = 0; k < n; k++) {
		if (*i >= len || s[*i] < '0' || s[*i] > '9')
			return -1;
		v = v * 10 + (s[(*i)++] - '0');
	}
	*out = v;
	return 0;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return -1;
	(*i)++;
	return 0;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int s3s_parse_time(const char *s, size_t len, int64_t *ms)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac_ms = 0;
	if (digits(s, len, &i, 4, &y) || expect(s, len, &i, '-') ||
	    digits(s, len, &i, 2, &mo) || expect(s, len, &i, '-') ||
	    digits(s, len, &i, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	int64_t offset_min = 0;
	if (i < len) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return -1;
		i++;
		if (digits(s, len, &i, 2, &h) || expect(s, len, &i, ':') ||
		    digits(s, len, &i, 2, &mi))
			return -1;
		if (i < len && s[i] == ':') {
			i++;
			if (digits(s, len, &i, 2, &sec))
				return -1;
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (i < len && (s[i] == '.' || s[i] == ',')) {
			i++;
			int n = 0;
			int64_t scale = 100;
			while (i < len && s[i] >= '0' && s[i] <= '9') {
				frac_ms += (s[i] - '0') * scale;
				scale /= 10;
				i++, n++;
			}
			if (!n)
				return -1;
		}
		if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			int sign = s[i++] == '-' ? -1 : 1, oh, om;
			if (digits(s, len, &i, 2, &oh))
				return -1;
			if (i < len && s[i] == ':')
				i++;
			if (digits(s, len, &i, 2, &om) || oh > 23 || om > 59)
				return -1;
			offset_min = sign * (oh * 60 + om);
		}
		if (i != len)
			return -1;
	}
	int64_t days = days_from_civil(y, mo, d);
	int64_t t = ((days * 24 + h) * 60 + mi - offset_min) * 60 + sec;
	*ms = t * 1000 + frac_ms;
	return 0;
}

void s3s_format_compact_time(int64_t ms, char *out, size_t cap)
{
	time_t tt = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&tt, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y%m%dT%H%M%S", &tm);
	snprintf(out, cap, "%s.%03dZ", base, (int)(ms % 1000));
}
