/*
 * cron.h - cron expressions as Metronome schedules take them, and the
 * next time one fires in a time zone (tz.h).  Not installed.
 *
 * An expression has five fields, minute hour day-of-month month
 * day-of-week, and an optional sixth, the year (1970-2099).  A field is
 * a comma list of `*`, a value, a range `a-b`, and either with a step
 * (`*\/15`, `10-50/20`, `5/10`: from 5 to the end); months and weekdays
 * also by name (JAN-DEC, SUN-SAT), weekdays 0-7 with 0 and 7 both
 * Sunday; `?` is `*` in the two day fields.  The day of the month also
 * takes `L` (the last day), `LW` (the last weekday) and `nW` (the weekday
 * nearest to day n, within the month); the day of the week `nL` (the last
 * such weekday of the month) and `n#k` (the k-th, 1-5).  The macros
 * @yearly, @annually, @monthly, @weekly, @daily, @midnight and @hourly
 * stand for their usual expressions.
 *
 * As in crontab(5), when both day fields are restricted (neither starts
 * with `*` or `?`) a day matches when either does; otherwise both must.
 * An expression that can never fire because its days do not exist in its
 * months ("0 0 31 2 *") is refused when parsed, as Metronome refuses it.
 *
 * Pure: text in, struct out; times in seconds since the epoch.
 */
#ifndef ROGER_CRON_H
#define ROGER_CRON_H

#include <stdbool.h>
#include <stdint.h>

struct roger_err;
struct roger_tz;

#define ROGER_CRON_YEAR_MIN 1970
#define ROGER_CRON_YEAR_MAX 2099

struct roger_cron {
	uint64_t minutes; /* bit m: minute m (0-59) */
	uint32_t hours; /* bit h (0-23) */
	uint32_t days; /* bit d: day of the month d (1-31) */
	uint16_t months; /* bit m (1-12) */
	uint8_t weekdays; /* bit w: 0 Sunday to 6 Saturday */
	bool days_star, weekdays_star; /* the field starts with * or ? */
	bool last_day; /* L */
	bool last_weekday; /* LW */
	uint32_t nearest_weekday; /* bit n: nW */
	uint8_t last_of; /* bit w: wL, the last such weekday */
	uint8_t nth[7]; /* bit k of nth[w]: w#k */
	uint64_t years[3]; /* bit (y - ROGER_CRON_YEAR_MIN) */
};

/*
 * Parse `expr` into *out.  ROGER_EINVALID with a message naming the field
 * and what is wrong in it ("field 3 (day of month): 32 is out of range
 * 1-31"); the caller adds which expression and where it came from.
 */
int roger_cron_parse(struct roger_cron *out, const char *expr,
		     struct roger_err *err);

/*
 * The first whole minute after `after` (strictly) at which `c` fires in
 * the zone `tz`, into *out.  The fields are matched against the local
 * time; a local time the clock skips is moved past the gap and one it
 * repeats fires once (tz.h, roger_tz_local_to_utc()).  ROGER_ENOTFOUND
 * when it never fires again (a past year, or none within 28 years).
 */
int roger_cron_next(int64_t *out, const struct roger_cron *c,
		    const struct roger_tz *tz, int64_t after);

#endif
