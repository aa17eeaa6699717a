/*
 * money.c - see money.h. Amounts are read from the JSON number's own
 * text (jdoc keeps it), digit by digit, so 0.1 + 0.2 is 30 cents and
 * never 30.000000000000004.
 */
#include "money.h"

#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int gold_money_parse(const char *s, size_t n, int64_t *cents)
{
	/* The significant digits, the decimal exponent they carry, and
	 * whether anything non-zero was cut off past 19 of them. */
	char dig[20];
	size_t nd = 0, i = 0;
	long exp10 = 0, e = 0;
	int neg = 0, esign = 1, any = 0;

	if (i < n && s[i] == '-')
		neg = 1, i++;
	if (i >= n || !is_digit(s[i]))
		return -1;
	if (s[i] == '0' && i + 1 < n && is_digit(s[i + 1]))
		return -1; /* JSON has no leading zeros */
	for (; i < n && is_digit(s[i]); i++) {
		any = 1;
		if (nd == 0 && s[i] == '0')
			continue;
		if (nd < sizeof dig)
			dig[nd++] = s[i];
		else
			exp10++; /* a digit beyond what can matter */
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit(s[i]))
			return -1;
		for (; i < n && is_digit(s[i]); i++) {
			if (nd == 0 && s[i] == '0') {
				exp10--;
				continue;
			}
			if (nd < sizeof dig) {
				dig[nd++] = s[i];
				exp10--;
			}
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			esign = s[i++] == '-' ? -1 : 1;
		if (i >= n || !is_digit(s[i]))
			return -1;
		for (; i < n && is_digit(s[i]); i++)
			if (e < 100000)
				e = e * 10 + (s[i] - '0');
	}
	if (i != n || !any)
		return -1;
	/* value = dig * 10^(exp10 + esign*e); cents = value * 100. */
	long shift = exp10 + esign * e + 2;
	long keep = (long)nd + shift; /* digits left of the cents point */
	int64_t v = 0;

	if (nd == 0) {
		*cents = 0;
		return 0;
	}
	if (keep > 17)
		return -1; /* at least 10^17 cents */
	for (long k = 0; k < keep; k++)
		v = v * 10 + (k < (long)nd ? dig[k] - '0' : 0);
	if (keep >= 0 && keep < (long)nd && dig[keep] >= '5')
		v++; /* half away from zero, on the magnitude */
	if (v > GOLD_MONEY_MAX)
		return -1;
	*cents = neg ? -v : v;
	return 0;
}

void gold_money_write(struct jbuf *b, int64_t cents)
{
	uint64_t m = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
	char frac[3];

	if (cents < 0)
		jbuf_putc(b, '-');
	jbuf_u64(b, m / 100);
	frac[0] = '.';
	frac[1] = (char)('0' + m % 100 / 10);
	frac[2] = (char)('0' + m % 10);
	jbuf_put(b, frac, 3);
}

int64_t gold_money_avg(int64_t sum, int64_t n)
{
	int64_t q = sum / n, r = sum % n;
	uint64_t ar = r < 0 ? 0 - (uint64_t)r : (uint64_t)r;

	/* |r| / n >= 1/2, without computing 2 * |r|. */
	if (ar >= (uint64_t)n - ar)
		q += sum < 0 ? -1 : 1;
	return q;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* n digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int k = 0; k < n; k++) {
		if (!is_digit(s[k]))
			return -1;
		v = v * 10 + (s[k] - '0');
	}
	return v;
}

static int month_days(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

int gold_time_parse(const char *s, size_t n, int64_t *us)
{
	int y, mo, d, h, mi, se, frac = 0, scale = 1000000, off = 0;
	size_t i = 19;

	if (n < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	se = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || se < 0 || se > 59 || d > month_days(y, mo))
		return -1;
	if (s[i] == '.') {
		size_t at = ++i;

		for (; i < n && is_digit(s[i]); i++)
			if (scale > 1) {
				scale /= 10;
				frac += (s[i] - '0') * scale;
			}
		if (i == at || i - at > 9)
			return -1;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') &&
		   s[i + 3] == ':') {
		int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);

		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	*us = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
		off) * 1000000 +
	       frac);
	return 0;
}

void gold_date_of(int64_t us, char p[10])
{
	int64_t days = us / 86400000000LL, y;
	int m, d;

	if (us % 86400000000LL < 0)
		days--;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0; /* gold_time_parse gives years 0..9999 only */
	p[0] = (char)('0' + y / 1000);
	p[1] = (char)('0' + y / 100 % 10);
	p[2] = (char)('0' + y / 10 % 10);
	p[3] = (char)('0' + y % 10);
	p[4] = '-';
	p[5] = (char)('0' + m / 10);
	p[6] = (char)('0' + m % 10);
	p[7] = '-';
	p[8] = (char)('0' + d / 10);
	p[9] = (char)('0' + d % 10);
}
