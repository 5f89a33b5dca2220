/*
 * tz.h - time zones of the system's zone database (the TZif files under
 * /usr/share/zoneinfo, RFC 8536), read by roger itself: the UTC offset
 * in force at an instant, and the instant a local wall-clock time names.
 * Not installed.
 *
 * Why not localtime_r() under a TZ variable: the zone of the C library is
 * one per process, changing it (setenv + tzset) races with every other
 * thread that reads it, and roger local computes schedules of several
 * zones in a server full of threads.  A zone here is a value: parsed once
 * from the file's bytes, shared read-only, and pure to query.  Beyond the
 * last transition a file lists, the POSIX TZ rule in its footer
 * ("CET-1CEST,M3.5.0,M10.5.0/3") gives the offsets, as the C library does.
 *
 * Times are seconds since the epoch (UTC); offsets are seconds east of
 * Greenwich.  A "local" time is the wall-clock time written as if it were
 * UTC (days * 86400 + seconds of the day).
 */
#ifndef ROGER_TZ_H
#define ROGER_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct roger_err;
struct roger_tz;

/* The directory of the zone database when TZDIR does not name one. */
#define ROGER_TZ_DIR "/usr/share/zoneinfo"

/*
 * Whether `name` may name a zone file: "Europe/Berlin", "UTC",
 * "America/Argentina/Buenos_Aires", "Etc/GMT+5": letters, digits, '_',
 * '-', '+' and '/' between non-empty parts that do not start with '.'.
 */
bool roger_tz_name_valid(const char *name);

/*
 * Parse the bytes of a TZif file (versions 1 to 4) as the zone `name`
 * (kept for messages).  ROGER_EINVALID naming what is wrong when the data
 * is not a sound TZif file (a count past the end, transitions out of
 * order, a type index out of range, a footer that is not a TZ rule).
 */
int roger_tz_parse(struct roger_tz **out, const char *name,
		   const unsigned char *data, size_t len,
		   struct roger_err *err);

/*
 * A zone from a POSIX TZ rule alone ("UTC0", "EST5EDT,M3.2.0,M11.1.0",
 * "<+0330>-3:30").  ROGER_EINVALID when `rule` is not one.
 */
int roger_tz_parse_rule(struct roger_tz **out, const char *rule,
			struct roger_err *err);

/*
 * Load the zone `name` from the directory `dir` (NULL: ROGER_TZ_DIR).
 * "UTC" (and "Etc/UTC") needs no file.  ROGER_EINVALID for a name
 * roger_tz_name_valid() refuses, ROGER_ENOTFOUND when there is no such
 * zone ("no time zone found with this id: 'Mars/Olympus'"), ROGER_EIO
 * when it cannot be read, the errors of roger_tz_parse() otherwise.
 */
int roger_tz_load(struct roger_tz **out, const char *dir, const char *name,
		  struct roger_err *err);

void roger_tz_free(struct roger_tz *tz);

/* The zone's name as given (borrowed). */
const char *roger_tz_name(const struct roger_tz *tz);

/* The offset from UTC in force at `t`, in seconds east. */
int32_t roger_tz_offset(const struct roger_tz *tz, int64_t t);

/*
 * The instant of the local time `local`.  A local time that happens twice
 * (the clock going back) is its first instant; one that never happens
 * (the clock jumping forward) is moved later by the length of the jump
 * (02:30 on the night summer time starts at 02:00 is 03:30 summer time),
 * as java.time does for the schedules of Metronome.
 */
int64_t roger_tz_local_to_utc(const struct roger_tz *tz, int64_t local);

/* ---- civil dates (proleptic Gregorian, UTC) ------------------------------ */

/* Days since 1970-01-01 of year-month-day (month 1-12, day 1-31). */
int64_t roger_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The year, month (1-12) and day (1-31) of day number `days`. */
void roger_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* The weekday of day number `days`: 0 Sunday to 6 Saturday. */
unsigned roger_weekday_from_days(int64_t days);
/* Days in `m` of `y` (28 to 31). */
unsigned roger_days_in_month(int64_t y, unsigned m);

#endif
