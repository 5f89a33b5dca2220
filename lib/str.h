/*
 * str.h - string helpers: "did you mean" suggestions, UTF-8 checks, sizes.
 */
#ifndef ROGER_STR_H
#define ROGER_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

ROGER_BEGIN_DECLS

/* Damerau-Levenshtein distance (adjacent swaps count 1), capped at 255. */
ROGER_EXTERN unsigned roger_edit_distance(const char *a, const char *b);

/*
 * The candidate closest to `word`, or NULL if none is close enough to be a
 * plausible typo (distance at most a third of the word, and at least one).
 * A candidate that `word` is a prefix of also qualifies.  Borrowed from
 * `candidates`.
 */
ROGER_EXTERN const char *roger_suggest(const char *word,
				       const char *const *candidates, size_t n);

/* Whether `s` (len bytes) is well-formed UTF-8. */
ROGER_EXTERN bool roger_utf8_valid(const char *s, size_t len);

/* Whether `s` begins with `prefix`. */
ROGER_EXTERN bool roger_starts_with(const char *s, const char *prefix);

/*
 * A size in bytes: decimal digits, then optionally K, M, G or T (either
 * case; powers of 1024), as "512", "64K", "2G".  0 and `*out` set, or -1
 * (nothing written) for anything else or a value over UINT64_MAX.
 */
ROGER_EXTERN int roger_parse_size(uint64_t *out, const char *s);

ROGER_END_DECLS

#endif
