/*
 * cron.c - cron expressions and their next firing time (cron.h).
 *
 * Parsing turns every field into a bit set, plus the few special forms of
 * the day fields as sets of their own.  The next time is found day by
 * day in local time: a day that matches the year, month and day fields
 * is searched for its hours and minutes in order, each candidate is made
 * an instant in the zone, and the earliest one after `after` wins.  The
 * day after the first day with a candidate is searched too, because a
 * time the clock skips is carried past the gap and may land after a
 * later candidate (and a gap near midnight carries it into the next day).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "err.h"
#include "tz.h"

#define SEARCH_YEARS 28

struct field {
	const char *name;
	int min, max;
	const char *const *names; /* names of min, min+1, ...; or NULL */
};

static const char *const month_names[] = { "JAN", "FEB", "MAR", "APR", "MAY",
					   "JUN", "JUL", "AUG", "SEP", "OCT",
					   "NOV", "DEC", NULL };
static const char *const day_names[] = { "SUN", "MON", "TUE", "WED",
					 "THU", "FRI", "SAT", NULL };

enum { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, F_YEAR };

static const struct field fields[] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day of week", 0, 7, day_names },
	{ "year", ROGER_CRON_YEAR_MIN, ROGER_CRON_YEAR_MAX, NULL },
};

static const struct {
	const char *name, *expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },   { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

struct parse {
	struct roger_cron *c;
	int index; /* the field, 0-based */
	struct roger_err *err;
};

static int fail(struct parse *p, const char *fmt, ...) ROGER_PRINTF(2, 3);

static int fail(struct parse *p, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return roger_err_set(p->err, ROGER_EINVALID, "field %d (%s): %s",
			     p->index + 1, fields[p->index].name, what);
}

/* A number or a name of field `f` at *s; -1 when there is none. */
static int value(const char **s, const struct field *f)
{
	const char *p = *s;
	int v = 0;

	if (*p >= '0' && *p <= '9') {
		for (; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (*p - '0');
			if (v > 100000)
				return -1;
		}
		*s = p;
		return v;
	}
	for (size_t i = 0; f->names && f->names[i]; i++)
		if (!strncasecmp(p, f->names[i], 3)) {
			*s = p + 3;
			return f->min + (int)i;
		}
	return -1;
}

static void set_bit(struct roger_cron *c, int field, int v)
{
	switch (field) {
	case F_MINUTE:
		c->minutes |= 1ULL << v;
		break;
	case F_HOUR:
		c->hours |= 1U << v;
		break;
	case F_DOM:
		c->days |= 1U << v;
		break;
	case F_MONTH:
		c->months |= (uint16_t)(1U << v);
		break;
	case F_DOW:
		c->weekdays |= (uint8_t)(1U << (v % 7));
		break;
	default:
		v -= ROGER_CRON_YEAR_MIN;
		c->years[v / 64] |= 1ULL << (v % 64);
		break;
	}
}

/* The special forms of the two day fields: L, LW, nW, nL, n#k. */
static int special(struct parse *p, const char *item, bool *done)
{
	const struct field *f = &fields[p->index];
	const char *s = item;
	int v, k;

	*done = true;
	if (p->index == F_DOM && !strcasecmp(item, "L")) {
		p->c->last_day = true;
		return 0;
	}
	if (p->index == F_DOM && !strcasecmp(item, "LW")) {
		p->c->last_weekday = true;
		return 0;
	}
	if (p->index == F_DOW && !strcasecmp(item, "L")) {
		p->c->weekdays |= 1U << 6; /* Saturday, as in Quartz */
		return 0;
	}
	v = value(&s, f);
	if (v >= 0 && p->index == F_DOM && (*s == 'W' || *s == 'w') && !s[1]) {
		if (v < 1 || v > 31)
			return fail(p, "%d is out of range 1-31", v);
		p->c->nearest_weekday |= 1U << v;
		return 0;
	}
	if (v >= 0 && p->index == F_DOW && (*s == 'L' || *s == 'l') && !s[1]) {
		if (v > 7)
			return fail(p, "%d is out of range 0-7", v);
		p->c->last_of |= (uint8_t)(1U << (v % 7));
		return 0;
	}
	if (v >= 0 && p->index == F_DOW && *s == '#') {
		s++;
		if (*s < '1' || *s > '5' || s[1])
			return fail(p, "'#' takes a week from 1 to 5");
		if (v > 7)
			return fail(p, "%d is out of range 0-7", v);
		k = *s - '0';
		p->c->nth[v % 7] |= (uint8_t)(1U << k);
		return 0;
	}
	*done = false;
	return 0;
}

/* One item of a comma list: *, ?, v, a-b, with /step, or a special form. */
static int item(struct parse *p, const char *it)
{
	const struct field *f = &fields[p->index];
	const char *s = it;
	int lo, hi, step = 1, rc;
	bool done;

	if ((rc = special(p, it, &done)) < 0 || done)
		return rc;
	if (*s == '*' ||
	    (*s == '?' && (p->index == F_DOM || p->index == F_DOW))) {
		s++;
		lo = f->min;
		hi = p->index == F_DOW ? 6 : f->max;
	} else {
		if ((lo = value(&s, f)) < 0)
			return fail(p, "cannot read '%s'", it);
		if (lo < f->min || lo > f->max)
			return fail(p, "%d is out of range %d-%d", lo, f->min,
				    f->max);
		hi = lo;
		if (*s == '-') {
			s++;
			if ((hi = value(&s, f)) < 0)
				return fail(p, "cannot read '%s'", it);
			if (hi < f->min || hi > f->max)
				return fail(p, "%d is out of range %d-%d", hi,
					    f->min, f->max);
			if (hi < lo)
				return fail(p, "range %d-%d goes backwards", lo,
					    hi);
		} else if (*s == '/') {
			hi = p->index == F_DOW ? 6 : f->max;
		}
	}
	if (*s == '/') {
		s++;
		if ((step = value(&s, &(struct field){ NULL, 0, 0, NULL })) <
			    1 ||
		    step > f->max)
			return fail(p, "invalid step in '%s'", it);
	}
	if (*s)
		return fail(p, "cannot read '%s'", it);
	for (int v = lo; v <= hi; v += step)
		set_bit(p->c, p->index, v);
	return 0;
}

static int field(struct parse *p, const char *text)
{
	char buf[256], *save = NULL, *tok;
	int rc = 0;

	if (strlen(text) >= sizeof(buf))
		return fail(p, "too long");
	snprintf(buf, sizeof(buf), "%s", text);
	if (p->index == F_DOM)
		p->c->days_star = buf[0] == '*' || buf[0] == '?';
	if (p->index == F_DOW)
		p->c->weekdays_star = buf[0] == '*' || buf[0] == '?';
	for (tok = strtok_r(buf, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save))
		rc = item(p, tok);
	if (rc == 0 && (text[0] == ',' || text[strlen(text) - 1] == ',' ||
			strstr(text, ",,")))
		return fail(p, "an empty item in a list");
	return rc;
}

/* Whether the plain days of the month can happen in the months chosen. */
static bool days_possible(const struct roger_cron *c)
{
	if (!c->weekdays_star || c->days_star || c->last_day || c->last_weekday)
		return true;
	for (unsigned m = 1; m <= 12; m++) {
		if (!(c->months & (1U << m)))
			continue;
		for (unsigned d = 1; d <= roger_days_in_month(2000, m); d++)
			if ((c->days | c->nearest_weekday) & (1U << d))
				return true;
	}
	return false;
}

int roger_cron_parse(struct roger_cron *out, const char *expr,
		     struct roger_err *err)
{
	struct roger_cron c;
	struct parse p = { &c, 0, err };
	char buf[1024], *save = NULL, *tok;
	int rc;

	if (!expr)
		return roger_err_set(err, ROGER_EINVALID, "no expression");
	for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
		if (!strcasecmp(expr, macros[i].name))
			return roger_cron_parse(out, macros[i].expr, err);
	if (strlen(expr) >= sizeof(buf))
		return roger_err_set(err, ROGER_EINVALID,
				     "expression too long");
	memset(&c, 0, sizeof(c));
	snprintf(buf, sizeof(buf), "%s", expr);
	for (tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (p.index > F_YEAR)
			return roger_err_set(
				err, ROGER_EINVALID,
				"too many fields: expected 5 (minute hour day-of-month month day-of-week) and an optional year");
		if ((rc = field(&p, tok)) < 0)
			return rc;
		p.index++;
	}
	if (p.index < F_YEAR)
		return roger_err_set(
			err, ROGER_EINVALID,
			"%d field%s: expected 5 (minute hour day-of-month month day-of-week) and an optional year",
			p.index, p.index == 1 ? "" : "s");
	if (p.index == F_YEAR) {
		c.years[0] = c.years[1] = ~0ULL;
		c.years[2] = (1ULL << (ROGER_CRON_YEAR_MAX -
				       ROGER_CRON_YEAR_MIN - 127)) -
			     1;
	}
	if (!days_possible(&c))
		return roger_err_set(
			err, ROGER_EINVALID,
			"the day of the month does not exist in any of the months");
	*out = c;
	return 0;
}

/* ---- the next time ---------------------------------------------------------- */

static bool year_matches(const struct roger_cron *c, int64_t y)
{
	int64_t i = y - ROGER_CRON_YEAR_MIN;

	if (i < 0 || y > ROGER_CRON_YEAR_MAX)
		return false;
	return c->years[i / 64] & (1ULL << (i % 64));
}

/* The weekday nearest to day `n` of the month, within it; 0 if none. */
static unsigned nearest_weekday(int64_t first, unsigned n, unsigned len)
{
	unsigned wd;

	if (n > len)
		return 0;
	wd = roger_weekday_from_days(first + n - 1);
	if (wd == 6)
		return n == 1 ? n + 2 : n - 1;
	if (wd == 0)
		return n == len ? n - 2 : n + 1;
	return n;
}

static bool day_matches(const struct roger_cron *c, int64_t days)
{
	int64_t y;
	unsigned m, d, len, wd, last_wd;
	int64_t first;
	bool dom = false, dow;

	roger_civil_from_days(days, &y, &m, &d);
	if (!(c->months & (1U << m)) || !year_matches(c, y))
		return false;
	len = roger_days_in_month(y, m);
	first = days - d + 1;
	wd = roger_weekday_from_days(days);
	if (c->days & (1U << d))
		dom = true;
	if (c->last_day && d == len)
		dom = true;
	if (c->last_weekday) {
		last_wd = roger_weekday_from_days(first + len - 1);
		if (d == (last_wd == 6   ? len - 1
			  : last_wd == 0 ? len - 2
					 : len))
			dom = true;
	}
	for (unsigned n = 1; !dom && n < 32 && c->nearest_weekday >> n; n++)
		if ((c->nearest_weekday & (1U << n)) &&
		    nearest_weekday(first, n, len) == d)
			dom = true;
	dow = (c->weekdays & (1U << wd)) ||
	      ((c->last_of & (1U << wd)) && d + 7 > len) ||
	      (c->nth[wd] & (1U << ((d - 1) / 7 + 1)));
	if (!c->days_star && !c->weekdays_star)
		return dom || dow;
	if (!c->days_star)
		return dom;
	if (!c->weekdays_star)
		return dow;
	return true;
}

/* The earliest firing on local day `days` after `after`, or INT64_MAX. */
static int64_t first_of_day(const struct roger_cron *c,
			    const struct roger_tz *tz, int64_t days,
			    int64_t after)
{
	int64_t best = INT64_MAX;

	for (int h = 0; h < 24; h++) {
		if (!(c->hours & (1U << h)))
			continue;
		for (int m = 0; m < 60; m++) {
			int64_t t;

			if (!(c->minutes & (1ULL << m)))
				continue;
			t = roger_tz_local_to_utc(tz, days * 86400 + h * 3600 +
							      m * 60);
			if (t > after && t < best)
				best = t;
		}
	}
	return best;
}

int roger_cron_next(int64_t *out, const struct roger_cron *c,
		    const struct roger_tz *tz, int64_t after)
{
	int64_t local = after + roger_tz_offset(tz, after);
	int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t t;

	/* a day back too: a time skipped yesterday may land after `after` */
	for (int64_t d = day - 1; d < day + SEARCH_YEARS * 366; d++) {
		if (!day_matches(c, d))
			continue;
		t = first_of_day(c, tz, d, after);
		if (t == INT64_MAX)
			continue;
		if (day_matches(c, d + 1)) {
			int64_t u = first_of_day(c, tz, d + 1, after);

			if (u < t)
				t = u;
		}
		*out = t;
		return 0;
	}
	return ROGER_ENOTFOUND;
}
