/*
 * clock.c - civil dates from day numbers and back, after Howard
 * Hinnant's public-domain algorithms (days_from_civil, civil_from_days),
 * which are exact over the whole proleptic Gregorian calendar.
 */
#include "clock.h"

#include <string.h>
#include <time.h>

#include "put.h"

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

/* Reads exactly n digits. */
static int digits(const char **s, int n, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		v = v * 10 + (unsigned)((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

static int expect(const char **s, char c)
{
	if (**s != c)
		return -1;
	(*s)++;
	return 0;
}

int faker_time_parse(const char *s, int64_t *us)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30,
					 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, sec, frac = 0;
	int n = 0;

	if (digits(&s, 4, &y) || expect(&s, '-') || digits(&s, 2, &mo) ||
	    expect(&s, '-') || digits(&s, 2, &d) || expect(&s, 'T') ||
	    digits(&s, 2, &h) || expect(&s, ':') || digits(&s, 2, &mi) ||
	    expect(&s, ':') || digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9' && n < 6) {
			frac = frac * 10 + (unsigned)(*s++ - '0');
			n++;
		}
		if (n == 0)
			return -1;
		for (; n < 6; n++)
			frac *= 10;
	}
	if (strcmp(s, "Z") != 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*us = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) *
	       1000000) +
	      frac;
	return 0;
}

char *faker_time_write(char *p, int64_t us)
{
	int64_t secs = floor_div(us, 1000000);
	int64_t days = floor_div(secs, 86400);
	unsigned sod = (unsigned)(secs - days * 86400);
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = (int64_t)yoe + era * 400 + (m <= 2);

	p = faker_put_digits(p, (uint32_t)y, 4);
	*p++ = '-';
	p = faker_put_digits(p, m, 2);
	*p++ = '-';
	p = faker_put_digits(p, d, 2);
	*p++ = 'T';
	p = faker_put_digits(p, sod / 3600, 2);
	*p++ = ':';
	p = faker_put_digits(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = faker_put_digits(p, sod % 60, 2);
	*p++ = '.';
	p = faker_put_digits(p, (uint32_t)(us - secs * 1000000), 6);
	*p++ = 'Z';
	return p;
}

int64_t faker_time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
