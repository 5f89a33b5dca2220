/*
 * duration.c - reading and writing durations with units (duration.h).
 *
 * Each part is read as an integer and a fraction of at most 9 digits kept
 * as an integer, so that nothing goes through floating point and "0.1s"
 * is exactly 100 ms.  Limits are checked before every multiplication.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"
#include "err.h"

#define EXPECTED \
	"expected a duration such as 90s, 2m, 1h30m or 500ms (a bare number is seconds)"

/* The units, longest name first so that "ms" is not taken for "m". */
static const struct {
	const char *name;
	int64_t ms;
} units[] = {
	{ "ms", 1 },
	{ "h", 3600 * 1000 },
	{ "m", 60 * 1000 },
	{ "s", 1000 },
};

/* The digits at *p as integer and fraction; false when there are none. */
static bool read_number(const char **p, int64_t *whole, int64_t *frac,
			int64_t *frac_scale, bool *too_big)
{
	const char *s = *p;
	bool any = false;

	*whole = 0;
	*frac = 0;
	*frac_scale = 1;
	for (; *s >= '0' && *s <= '9'; s++) {
		any = true;
		if (*whole > ROGER_DURATION_MAX_MS)
			*too_big = true;
		else
			*whole = *whole * 10 + (*s - '0');
	}
	if (*s == '.') {
		s++;
		/* a point needs digits after it: "1." is a typo */
		if (*s < '0' || *s > '9')
			return false;
		for (; *s >= '0' && *s <= '9'; s++) {
			any = true;
			/* digits past the ninth cannot change a millisecond */
			if (*frac_scale < 1000000000) {
				*frac = *frac * 10 + (*s - '0');
				*frac_scale *= 10;
			}
		}
	}
	*p = s;
	return any;
}

/* The unit at *p, its length in *len; 0 when there is none. */
static int64_t read_unit(const char *p, size_t *len)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);

		if (!strncmp(p, units[i].name, n)) {
			*len = n;
			return units[i].ms;
		}
	}
	*len = 0;
	return 0;
}

int roger_duration_parse(int64_t *out, const char *s, struct roger_err *err)
{
	const char *p = s;
	int64_t total = 0;
	int parts = 0;

	if (!s || !*s)
		return roger_err_set(err, ROGER_EUSAGE, "empty; " EXPECTED);
	while (*p) {
		int64_t whole, frac, scale, unit, part;
		bool too_big = false;
		size_t len;

		if (!read_number(&p, &whole, &frac, &scale, &too_big))
			return roger_err_set(err, ROGER_EUSAGE, EXPECTED);
		unit = read_unit(p, &len);
		if (!unit) {
			/* a bare number is seconds, but only alone */
			if (*p || parts)
				return roger_err_set(err, ROGER_EUSAGE,
						     EXPECTED);
			unit = 1000;
		}
		p += len;
		parts++;
		if (too_big || whole > ROGER_DURATION_MAX_MS / unit)
			return roger_err_set(err, ROGER_EUSAGE,
					     "too long: at most 366 days");
		/* round the fraction to the nearest millisecond */
		part = whole * unit + (frac * unit + scale / 2) / scale;
		total += part;
		if (total > ROGER_DURATION_MAX_MS)
			return roger_err_set(err, ROGER_EUSAGE,
					     "too long: at most 366 days");
	}
	*out = total;
	return 0;
}

void roger_duration_format(char *out, size_t size, int64_t ms)
{
	static const struct {
		const char *name;
		int64_t ms;
	} parts[] = {
		{ "h", 3600 * 1000 },
		{ "m", 60 * 1000 },
		{ "s", 1000 },
		{ "ms", 1 },
	};
	size_t used = 0;

	if (!size)
		return;
	out[0] = '\0';
	if (ms <= 0) {
		snprintf(out, size, "0s");
		return;
	}
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int64_t n = ms / parts[i].ms;
		int w;

		if (!n)
			continue;
		ms -= n * parts[i].ms;
		w = snprintf(out + used, size - used, "%lld%s", (long long)n,
			     parts[i].name);
		if (w < 0 || (size_t)w >= size - used) {
			/* whole parts only: "1h3" would read as 1h3s */
			out[used] = '\0';
			return;
		}
		used += (size_t)w;
	}
}
