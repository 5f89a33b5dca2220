/*
 * tz.c - TZif files and POSIX TZ rules (tz.h).
 *
 * A zone is a sorted list of transitions (instant, offset), the offset
 * before the first one (the file's type 0, as RFC 8536 says), and an
 * optional POSIX rule for instants after the last transition.  A v2+ file
 * carries its data twice, with 32-bit and with 64-bit times; only the
 * second copy is read then.  Every count is checked against the bytes
 * left before anything is read, so a short or hostile file is refused,
 * never read past.
 *
 * The rule ("std offset [dst [offset] [,start[/time],end[/time]]]") is
 * evaluated per year: its start and end instants are computed for the
 * year of the instant asked about, in the offsets in force before each
 * change, and the offset follows from which side of them it falls.  Rule
 * times may be negative or beyond 24 hours (TZif version 3).
 *
 * Local to UTC: the offsets in force a day before and a day after `local`
 * are the candidates (no zone changes its offset twice in two days); each
 * one that maps back to itself gives an instant, the earliest wins, and
 * when none does the local time falls in a gap and takes the offset from
 * before it.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fs.h"
#include "tz.h"

#define MAX_TRANSITIONS 100000
#define MAX_TYPES 256

enum rule_kind {
	RULE_JULIAN1, /* Jn: 1-365, February 29 never counted */
	RULE_JULIAN0, /* n: 0-365, leap days counted */
	RULE_MONTH, /* Mm.w.d */
};

struct rule_date {
	enum rule_kind kind;
	int n; /* day for the Julian forms */
	int m, w, d; /* month, week (5: last), weekday */
	int32_t time; /* seconds after local midnight, may be < 0 or > 86400 */
};

struct posix_rule {
	int32_t std_off, dst_off; /* seconds east */
	bool has_dst;
	struct rule_date start, end;
};

struct roger_tz {
	char *name;
	int64_t *at; /* transition instants, ascending */
	int32_t *off; /* the offset from each transition on */
	size_t n;
	int32_t first_off; /* before the first transition */
	bool has_rule;
	struct posix_rule rule;
};

/* ---- civil dates ---------------------------------------------------------- */

/* Howard Hinnant's algorithms (days_from_civil, civil_from_days). */
int64_t roger_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void roger_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

unsigned roger_weekday_from_days(int64_t days)
{
	int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */

	return (unsigned)(w < 0 ? w + 7 : w);
}

static bool leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned roger_days_in_month(int64_t y, unsigned m)
{
	static const unsigned char len[] = { 31, 28, 31, 30, 31, 30,
					     31, 31, 30, 31, 30, 31 };

	if (m == 2 && leap_year(y))
		return 29;
	return m >= 1 && m <= 12 ? len[m - 1] : 30;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- names ---------------------------------------------------------------- */

bool roger_tz_name_valid(const char *name)
{
	bool part_start = true;

	if (!name || !*name || strlen(name) > 255)
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;

		if (c == '/') {
			if (part_start)
				return false;
			part_start = true;
			continue;
		}
		if (part_start && (c == '.' || c == '-'))
			return false;
		part_start = false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '+' || c == '.'))
			return false;
	}
	return !part_start;
}

/* ---- POSIX TZ rules --------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A zone abbreviation: three or more letters, or <...>. */
static bool rule_name(const char **p)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '<') {
		for (s++; *s && *s != '>'; s++, n++)
			if (!(is_digit(*s) || *s == '+' || *s == '-' ||
			      (*s >= 'A' && *s <= 'Z') ||
			      (*s >= 'a' && *s <= 'z')))
				return false;
		if (*s != '>' || n < 3)
			return false;
		*p = s + 1;
		return true;
	}
	for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++)
		n++;
	if (n < 3)
		return false;
	*p = s;
	return true;
}

static bool rule_number(const char **p, int max, int *out)
{
	const char *s = *p;
	int v = 0;

	if (!is_digit(*s))
		return false;
	for (; is_digit(*s); s++) {
		v = v * 10 + (*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	*p = s;
	return true;
}

/* [+-]hh[:mm[:ss]] with hours up to `max_h`, into seconds. */
static bool rule_hms(const char **p, int max_h, int32_t *out)
{
	const char *s = *p;
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!rule_number(&s, max_h, &h))
		return false;
	if (*s == ':') {
		s++;
		if (!rule_number(&s, 59, &m))
			return false;
		if (*s == ':') {
			s++;
			if (!rule_number(&s, 59, &sec))
				return false;
		}
	}
	*out = sign * (h * 3600 + m * 60 + sec);
	*p = s;
	return true;
}

static bool rule_date(const char **p, struct rule_date *out)
{
	const char *s = *p;

	if (*s == 'J') {
		s++;
		out->kind = RULE_JULIAN1;
		if (!rule_number(&s, 365, &out->n) || out->n < 1)
			return false;
	} else if (*s == 'M') {
		s++;
		out->kind = RULE_MONTH;
		if (!rule_number(&s, 12, &out->m) || out->m < 1 ||
		    *s++ != '.' || !rule_number(&s, 5, &out->w) || out->w < 1 ||
		    *s++ != '.' || !rule_number(&s, 6, &out->d))
			return false;
	} else {
		out->kind = RULE_JULIAN0;
		if (!rule_number(&s, 365, &out->n))
			return false;
	}
	out->time = 7200;
	if (*s == '/') {
		s++;
		if (!rule_hms(&s, 167, &out->time))
			return false;
	}
	*p = s;
	return true;
}

static bool parse_rule(struct posix_rule *r, const char *s)
{
	int32_t off;

	memset(r, 0, sizeof(*r));
	if (!rule_name(&s) || !rule_hms(&s, 24, &off))
		return false;
	r->std_off = -off;
	if (!*s)
		return true;
	if (!rule_name(&s))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*s && *s != ',') {
		if (!rule_hms(&s, 24, &off))
			return false;
		r->dst_off = -off;
	}
	if (!*s) {
		/* no dates: the US rules, as the C library assumes */
		r->start = (struct rule_date){ RULE_MONTH, 0, 3, 2, 0, 7200 };
		r->end = (struct rule_date){ RULE_MONTH, 0, 11, 1, 0, 7200 };
		return true;
	}
	if (*s++ != ',' || !rule_date(&s, &r->start) || *s++ != ',' ||
	    !rule_date(&s, &r->end))
		return false;
	return *s == '\0';
}

/* Local seconds (of year `y`) at which `rd` happens, before its time. */
static int64_t rule_day(int64_t y, const struct rule_date *rd)
{
	int64_t jan1 = roger_days_from_civil(y, 1, 1), first, day;
	unsigned wd;

	switch (rd->kind) {
	case RULE_JULIAN1:
		day = jan1 + rd->n - 1;
		if (leap_year(y) && rd->n >= 60)
			day++;
		break;
	case RULE_JULIAN0:
		day = jan1 + rd->n;
		break;
	default:
		first = roger_days_from_civil(y, (unsigned)rd->m, 1);
		wd = roger_weekday_from_days(first);
		day = first + ((unsigned)rd->d + 7 - wd) % 7 + 7 * (rd->w - 1);
		while (day - first >= roger_days_in_month(y, (unsigned)rd->m))
			day -= 7;
		break;
	}
	return day * 86400;
}

static int32_t rule_offset(const struct posix_rule *r, int64_t t)
{
	int64_t y, start, end;
	unsigned m, d;

	if (!r->has_dst)
		return r->std_off;
	roger_civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
	start = rule_day(y, &r->start) + r->start.time - r->std_off;
	end = rule_day(y, &r->end) + r->end.time - r->dst_off;
	if (start < end)
		return t >= start && t < end ? r->dst_off : r->std_off;
	return t >= end && t < start ? r->std_off : r->dst_off;
}

/* ---- TZif ----------------------------------------------------------------- */

void roger_tz_free(struct roger_tz *tz)
{
	if (!tz)
		return;
	free(tz->name);
	free(tz->at);
	free(tz->off);
	free(tz);
}

const char *roger_tz_name(const struct roger_tz *tz)
{
	return tz->name;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static int bad(struct roger_err *err, const char *name, const char *what)
{
	return roger_err_set(err, ROGER_EINVALID,
			     "time zone '%s': not a sound TZif file: %s", name,
			     what);
}

/* The header at `p` (44 bytes, checked by the caller). */
static void read_counts(struct tzif_counts *c, const unsigned char *p)
{
	c->isut = be32(p + 20);
	c->isstd = be32(p + 24);
	c->leap = be32(p + 28);
	c->time = be32(p + 32);
	c->type = be32(p + 36);
	c->chars = be32(p + 40);
}

/* The size of a data block with times of `tsize` bytes, or 0 when absurd. */
static size_t block_size(const struct tzif_counts *c, size_t tsize)
{
	if (c->time > MAX_TRANSITIONS || c->type == 0 || c->type > MAX_TYPES ||
	    c->chars > 65536 || c->leap > 10000 ||
	    (c->isut && c->isut != c->type) ||
	    (c->isstd && c->isstd != c->type))
		return 0;
	return (size_t)c->time * (tsize + 1) + (size_t)c->type * 6 + c->chars +
	       (size_t)c->leap * (tsize + 4) + c->isstd + c->isut;
}

static struct roger_tz *tz_new(const char *name)
{
	struct roger_tz *tz = calloc(1, sizeof(*tz));

	if (tz && !(tz->name = strdup(name ? name : ""))) {
		free(tz);
		tz = NULL;
	}
	return tz;
}

/* Read the transitions and types of a data block at `p`. */
static int read_block(struct roger_tz *tz, const struct tzif_counts *c,
		      const unsigned char *p, size_t tsize,
		      struct roger_err *err)
{
	const unsigned char *idx = p + (size_t)c->time * tsize;
	const unsigned char *types = idx + c->time;

	if (c->time) {
		tz->at = calloc(c->time, sizeof(*tz->at));
		tz->off = calloc(c->time, sizeof(*tz->off));
		if (!tz->at || !tz->off)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
	}
	for (uint32_t i = 0; i < c->time; i++) {
		const unsigned char *t = p + (size_t)i * tsize;

		tz->at[i] = tsize == 8 ? be64(t) : (int32_t)be32(t);
		if (i && tz->at[i] <= tz->at[i - 1])
			return bad(err, tz->name, "transitions out of order");
		if (idx[i] >= c->type)
			return bad(err, tz->name, "a type index out of range");
		tz->off[i] = (int32_t)be32(types + (size_t)idx[i] * 6);
	}
	tz->n = c->time;
	tz->first_off = (int32_t)be32(types);
	for (uint32_t i = 0; i < c->type; i++) {
		int32_t off = (int32_t)be32(types + (size_t)i * 6);

		if (off < -89999 || off > 93599)
			return bad(err, tz->name, "an offset out of range");
	}
	return 0;
}

int roger_tz_parse(struct roger_tz **out, const char *name,
		   const unsigned char *data, size_t len, struct roger_err *err)
{
	struct roger_tz *tz = tz_new(name);
	struct tzif_counts c;
	const unsigned char *p = data, *end = data + len;
	size_t size, tsize = 4;
	char rule[256];
	int rc;

	if (!tz)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (len < 44 || memcmp(data, "TZif", 4) != 0) {
		rc = bad(err, tz->name, "no TZif header");
		goto out;
	}
	read_counts(&c, p);
	size = block_size(&c, 4);
	if (!size || size > (size_t)(end - p - 44)) {
		rc = bad(err, tz->name, "counts past the end of the data");
		goto out;
	}
	if (data[4] >= '2') {
		/* skip the 32-bit copy: the 64-bit one follows */
		p += 44 + size;
		if (end - p < 44 || memcmp(p, "TZif", 4) != 0) {
			rc = bad(err, tz->name, "no second header");
			goto out;
		}
		read_counts(&c, p);
		tsize = 8;
		size = block_size(&c, 8);
		if (!size || size > (size_t)(end - p - 44)) {
			rc = bad(err, tz->name,
				 "counts past the end of the data");
			goto out;
		}
	}
	if ((rc = read_block(tz, &c, p + 44, tsize, err)) < 0)
		goto out;
	p += 44 + size;
	if (tsize == 8 && p < end) {
		const unsigned char *nl;
		size_t n;

		if (*p != '\n' ||
		    !(nl = memchr(p + 1, '\n', (size_t)(end - p - 1)))) {
			rc = bad(err, tz->name,
				 "a footer without its newlines");
			goto out;
		}
		n = (size_t)(nl - p - 1);
		if (n >= sizeof(rule)) {
			rc = bad(err, tz->name, "a footer too long");
			goto out;
		}
		memcpy(rule, p + 1, n);
		rule[n] = '\0';
		if (n) {
			if (memchr(rule, '\0', n) ||
			    !parse_rule(&tz->rule, rule)) {
				rc = bad(err, tz->name,
					 "a footer that is not a TZ rule");
				goto out;
			}
			tz->has_rule = true;
		}
	}
	*out = tz;
	tz = NULL;
	rc = 0;
out:
	roger_tz_free(tz);
	return rc;
}

int roger_tz_parse_rule(struct roger_tz **out, const char *rule,
			struct roger_err *err)
{
	struct roger_tz *tz = tz_new(rule);

	if (!tz)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (!parse_rule(&tz->rule, rule)) {
		roger_tz_free(tz);
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid TZ rule '%s'", rule);
	}
	tz->has_rule = true;
	tz->first_off = tz->rule.std_off;
	*out = tz;
	return 0;
}

int roger_tz_load(struct roger_tz **out, const char *dir, const char *name,
		  struct roger_err *err)
{
	struct roger_buf data = ROGER_BUF_INIT;
	struct roger_err why = ROGER_ERR_INIT;
	char *path = NULL;
	int rc;

	if (!roger_tz_name_valid(name))
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid time zone id '%s'",
				     name ? name : "");
	if (!strcmp(name, "UTC") || !strcmp(name, "Etc/UTC")) {
		rc = roger_tz_parse_rule(out, "UTC0", err);
		if (rc == 0) {
			free((*out)->name);
			if (!((*out)->name = strdup(name))) {
				roger_tz_free(*out);
				*out = NULL;
				rc = roger_err_set(err, ROGER_ENOMEM,
						   "out of memory");
			}
		}
		return rc;
	}
	path = roger_path_join(dir ? dir : ROGER_TZ_DIR, name);
	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	rc = roger_fs_read_file(&data, path, &why);
	if (rc == ROGER_ENOTFOUND || rc == ROGER_EINVALID)
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "no time zone found with this id: '%s'",
				   name);
	else if (rc < 0)
		rc = roger_err_set(err, rc, "time zone '%s': %s", name,
				   why.msg);
	else
		rc = roger_tz_parse(out, name, (const unsigned char *)data.buf,
				    data.len, err);
	roger_buf_release(&data);
	free(path);
	return rc;
}

int32_t roger_tz_offset(const struct roger_tz *tz, int64_t t)
{
	size_t lo = 0, hi = tz->n;

	if (tz->n == 0)
		return tz->has_rule ? rule_offset(&tz->rule, t) : tz->first_off;
	if (t < tz->at[0])
		return tz->first_off;
	if (t >= tz->at[tz->n - 1] && tz->has_rule)
		return rule_offset(&tz->rule, t);
	/* the last transition at or before t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->off[lo];
}

int64_t roger_tz_local_to_utc(const struct roger_tz *tz, int64_t local)
{
	int32_t cand[2], before;
	int64_t best = INT64_MAX;

	before = roger_tz_offset(tz, local - 86400);
	cand[0] = before;
	cand[1] = roger_tz_offset(tz, local + 86400);
	for (size_t i = 0; i < 2; i++) {
		int64_t t = local - cand[i];

		if (roger_tz_offset(tz, t) == cand[i] && t < best)
			best = t;
	}
	if (best != INT64_MAX)
		return best;
	/* in a gap: the offset from before it carries the time past it */
	return local - before;
}
