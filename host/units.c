/*
 * units.c - the scalar syntaxes of configuration values. The parsers are
 * strict on purpose: a value that is not exactly understood is refused
 * with a message rather than guessed at.
 */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
	const char *name;
	int64_t mult;
};

static const struct unit size_units[] = {
	{"B", 1},
	{"KB", 1000},
	{"MB", 1000 * 1000},
	{"GB", 1000 * 1000 * 1000},
	{"TB", INT64_C(1000) * 1000 * 1000 * 1000},
	{"KiB", INT64_C(1) << 10},
	{"MiB", INT64_C(1) << 20},
	{"GiB", INT64_C(1) << 30},
	{"TiB", INT64_C(1) << 40},
	{NULL, 0},
};

static const struct unit duration_units[] = {
	{"ms", 1},
	{"s", 1000},
	{"m", 60 * 1000},
	{"h", 60 * 60 * 1000},
	{"d", 24 * 60 * 60 * 1000},
	{NULL, 0},
};

/* Values in messages are cut to 40 bytes. */
#define QUOTE_LEN 44

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *units_quote(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s), cut = n;
	if (len < 5) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	if (n >= len) {
		cut = len - 4; /* room for "..." */
		/* Never split a UTF-8 sequence. */
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	strcpy(buf + cut, cut < n ? "..." : "");
	return buf;
}

static const char *q(const char *s, char buf[QUOTE_LEN])
{
	return units_quote(s, buf, QUOTE_LEN);
}

static int all_digits(const char *s)
{
	if (!isdigit((unsigned char)*s))
		return 0;
	while (isdigit((unsigned char)*s))
		s++;
	return *s == '\0';
}

int units_parse_int(const char *s, int64_t *out, char *err, size_t errlen)
{
	char b[QUOTE_LEN];
	if (!s)
		s = "";
	const char *p = (*s == '-' || *s == '+') ? s + 1 : s;
	if (!all_digits(p))
		return fail(err, errlen, "expected an integer, got '%s'",
			    q(s, b));
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE)
		return fail(err, errlen,
			    "'%s' does not fit in a 64-bit integer", q(s, b));
	*out = v;
	return 0;
}

/* [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)? and nothing
 * else: strtod alone would take "inf", "nan", hex and leading blanks. */
static int is_decimal(const char *s)
{
	size_t digits = 0;
	if (*s == '+' || *s == '-')
		s++;
	while (isdigit((unsigned char)*s))
		s++, digits++;
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s))
			s++, digits++;
	}
	if (!digits)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

int units_parse_double(const char *s, double *out, char *err, size_t errlen)
{
	char b[QUOTE_LEN];
	if (!s)
		s = "";
	if (!is_decimal(s))
		return fail(err, errlen, "expected a number, got '%s'",
			    q(s, b));
	char *end;
	double v = strtod(s, &end);
	/* A locale with a decimal comma stops strtod early. */
	if (*end)
		return fail(err, errlen, "expected a number, got '%s'",
			    q(s, b));
	if (!isfinite(v))
		return fail(err, errlen, "'%s' is out of range for a number",
			    q(s, b));
	*out = v;
	return 0;
}

int units_parse_bool(const char *s, int *out, char *err, size_t errlen)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	char b[QUOTE_LEN];
	if (!s)
		s = "";
	for (size_t i = 0; i < 3; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return fail(err, errlen, "expected true or false, got '%s'", q(s, b));
}

static int64_t gcd(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

enum num_status { NUM_OK, NUM_SYNTAX, NUM_RANGE, NUM_FRACTION };

/* Reads "digits[.digits]" from s to end and scales it by `mult` exactly,
 * in integers, so that "1.5KiB" is 1536 and "0.1B" is refused rather than
 * rounded. */
static enum num_status scaled_number(const char *s, const char *end,
				     int64_t mult, int64_t *out)
{
	int64_t ip = 0, frac = 0, scale = 1;
	int overflow = 0;
	if (!isdigit((unsigned char)*s))
		return NUM_SYNTAX;
	for (; isdigit((unsigned char)*s); s++) {
		int dig = *s - '0';
		if (ip > (INT64_MAX - dig) / 10)
			overflow = 1;
		else
			ip = ip * 10 + dig;
	}
	if (*s == '.') {
		const char *f = ++s;
		while (isdigit((unsigned char)*s))
			s++;
		if (s == f || s != end)
			return NUM_SYNTAX;
		const char *last = s;
		while (last > f && last[-1] == '0')
			last--;
		if (last - f > 18)
			return NUM_FRACTION;
		for (; f < last; f++) {
			frac = frac * 10 + (*f - '0');
			scale *= 10;
		}
	}
	if (s != end)
		return NUM_SYNTAX;
	if (overflow)
		return NUM_RANGE;
	/* frac/scale * mult is whole iff (scale/g) divides frac. */
	int64_t g = gcd(mult, scale);
	if (frac % (scale / g))
		return NUM_FRACTION;
	int64_t part = frac / (scale / g) * (mult / g);
	if (ip > (INT64_MAX - part) / mult)
		return NUM_RANGE;
	*out = ip * mult + part;
	return NUM_OK;
}

static const struct unit *find_unit(const struct unit *units, const char *name,
				    int nocase)
{
	for (; units->name; units++)
		if (nocase ? !strcasecmp(units->name, name)
			   : !strcmp(units->name, name))
			return units;
	return NULL;
}

static int all_alpha(const char *s)
{
	for (; *s; s++)
		if (!isalpha((unsigned char)*s))
			return 0;
	return 1;
}

struct quantity {
	const char *what;    /* "size" */
	const char *example; /* "5MiB" */
	const char *whole;   /* "bytes" */
	const char *names;   /* the units, for messages */
	const struct unit *units;
	int unit_required;
};

static const struct quantity size_q = {
	"size",	    "5MiB", "bytes", "B, KB, MB, GB, TB, KiB, MiB, GiB or TiB",
	size_units, 0,
};

static const struct quantity duration_q = {
	"duration",	    "250ms, 30s or 5m", "milliseconds",
	"ms, s, m, h or d", duration_units,	1,
};

static int parse_quantity(const struct quantity *qt, const char *s,
			  int64_t *out, char *err, size_t errlen)
{
	char b[QUOTE_LEN], ub[QUOTE_LEN];
	if (!s)
		s = "";
	if (s[0] == '-' && isdigit((unsigned char)s[1]))
		return fail(err, errlen, "a %s cannot be negative: '%s'",
			    qt->what, q(s, b));

	/* Find the unit first: the number is scaled by it. */
	const char *u = s;
	while (isdigit((unsigned char)*u) || *u == '.')
		u++;
	const struct unit *unit = NULL;
	if (*u == '\0' && u > s) {
		if (qt->unit_required)
			return fail(err, errlen, "a %s needs a unit (%s): '%s'",
				    qt->what, qt->names, q(s, b));
		unit = &qt->units[0];
	} else if (u > s && *u != ' ' && all_alpha(u)) {
		unit = find_unit(qt->units, u, 0);
		if (!unit) {
			const struct unit *near = find_unit(qt->units, u, 1);
			if (near)
				return fail(err, errlen,
					    "unknown %s unit '%s' in '%s'; "
					    "did you mean '%s'?",
					    qt->what, q(u, ub), q(s, b),
					    near->name);
			return fail(err, errlen,
				    "unknown %s unit '%s' in '%s' (use %s)",
				    qt->what, q(u, ub), q(s, b), qt->names);
		}
	}
	if (!unit)
		return fail(err, errlen, "expected a %s such as %s, got '%s'%s",
			    qt->what, qt->example, q(s, b),
			    *u == ' ' && u > s ? " (no space before the unit)"
					       : "");

	int64_t v = 0;
	switch (scaled_number(s, u, unit->mult, &v)) {
	case NUM_OK:
		break;
	case NUM_SYNTAX:
		return fail(err, errlen, "expected a %s such as %s, got '%s'",
			    qt->what, qt->example, q(s, b));
	case NUM_RANGE:
		return fail(err, errlen, "%s '%s' is too large", qt->what,
			    q(s, b));
	case NUM_FRACTION:
		return fail(err, errlen, "'%s' is not a whole number of %s",
			    q(s, b), qt->whole);
	}
	*out = v;
	return 0;
}

int units_parse_size(const char *s, int64_t *out, char *err, size_t errlen)
{
	return parse_quantity(&size_q, s, out, err, errlen);
}

int units_parse_duration_ms(const char *s, int64_t *out, char *err,
			    size_t errlen)
{
	return parse_quantity(&duration_q, s, out, err, errlen);
}

/* `units` from the smallest up; the largest that divides v is used. */
static void format_with(int64_t v, const struct unit *units, size_t n,
			const char *zero, char *buf, size_t len)
{
	if (v == 0) {
		snprintf(buf, len, "%s", zero);
		return;
	}
	for (size_t i = n; i-- > 0;) {
		if (v % units[i].mult == 0) {
			snprintf(buf, len, "%" PRId64 "%s", v / units[i].mult,
				 units[i].name);
			return;
		}
	}
}

void units_format_size(int64_t bytes, char *buf, size_t len)
{
	static const struct unit binary[] = {
		{"B", 1},
		{"KiB", INT64_C(1) << 10},
		{"MiB", INT64_C(1) << 20},
		{"GiB", INT64_C(1) << 30},
		{"TiB", INT64_C(1) << 40},
	};
	format_with(bytes, binary, 5, "0B", buf, len);
}

void units_format_duration(int64_t ms, char *buf, size_t len)
{
	format_with(ms, duration_units, 5, "0s", buf, len);
}

size_t units_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = malloc((lb + 1) * sizeof(*row));
	if (!row) {
		fputs("sluice: out of memory\n", stderr);
		abort();
	}
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

const char *units_suggest(const char *word, const char *const *candidates,
			  size_t n)
{
	size_t limit = strlen(word) / 3, best_d = (size_t)-1;
	const char *best = NULL;
	if (limit < 2)
		limit = 2;
	for (size_t i = 0; i < n; i++) {
		if (!candidates[i])
			continue;
		size_t d = units_edit_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	/* A word closer to everything than its own length is no typo. */
	return best_d <= limit && best_d < strlen(word) ? best : NULL;
}
