/*
 * duration.h - durations as people type them: "90s", "2m", "1h30m",
 * "500ms", "1.5h"; a bare number is seconds, as every roger option that
 * took seconds before units existed has always read it.
 *
 * Pure: text in, milliseconds out.  The command layer names the option in
 * its message ("invalid --timeout '2x': ..."), so the messages here say
 * what is wrong with the text and nothing about where it came from.
 */
#ifndef ROGER_DURATION_H
#define ROGER_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_err;

/* The longest duration accepted: 366 days, far beyond any wait. */
#define ROGER_DURATION_MAX_MS ((int64_t)366 * 86400 * 1000)

/*
 * Parse `s` into *out (ms).  Grammar: one or more <number><unit> parts in
 * any order of units, where <number> is digits with an optional fraction
 * and <unit> is ms, s, m or h; or one <number> alone, read as seconds.
 * Fractions are rounded to the nearest millisecond.  Blanks, signs,
 * exponents, a unit alone and anything past ROGER_DURATION_MAX_MS are
 * refused with ROGER_EUSAGE and a message that says what was expected.
 * *out is written only on success.
 */
ROGER_EXTERN int roger_duration_parse(int64_t *out, const char *s,
				      struct roger_err *err);

/*
 * `ms` (>= 0) as the shortest text roger_duration_parse() reads back to
 * the same value: "1h30m", "45s", "2m0.5s" is written "2m500ms", "0s".
 * Cut after the last whole part that fits `size` (nothing when size is 0).
 */
ROGER_EXTERN void roger_duration_format(char *out, size_t size, int64_t ms);

ROGER_END_DECLS

#endif
