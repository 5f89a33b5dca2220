/*
 * util.h - small helpers that several modules of libroger share, each
 * written once here.  Not installed: nothing here is part of the library's
 * interface.
 */
#ifndef ROGER_UTIL_H
#define ROGER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

struct roger_buf;
struct roger_err;

/* The number of elements of the array `a` (an array, not a pointer). */
#define ROGER_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The length of a UUID in text, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
#define ROGER_UUID_LEN 36

/*
 * Write all `len` bytes of `data` to `fd`, going on after short writes and
 * EINTR.  0, or -1 with errno set by the write(2) that failed.
 */
int roger_write_all(int fd, const void *data, size_t len);

/*
 * A random (version 4) UUID in lower-case hex with dashes, as Marathon and
 * Mesos name deployments, frameworks and containers, into `out`
 * (ROGER_UUID_LEN + 1 bytes).  From getrandom(2); where the kernel has no
 * entropy to give, from the clock, the process id and a counter, which
 * still makes ids unique on this machine.
 */
void roger_uuid(char out[ROGER_UUID_LEN + 1]);

/*
 * Milliseconds on `clock`: CLOCK_MONOTONIC for durations and deadlines
 * (what the library uses unless a context provides a clock),
 * CLOCK_REALTIME for the time of day.
 */
int64_t roger_clock_ms(clockid_t clock);

/*
 * The CLOCK_MONOTONIC time `ms` milliseconds from now, for
 * pthread_cond_timedwait() on a condition variable set to that clock.
 */
void roger_clock_deadline(struct timespec *out, int64_t ms);

/*
 * The length of "http://" or "https://" (in any case) at the start of
 * `url`, else 0: whether `url` is an absolute http(s) URL.
 */
size_t roger_url_scheme_len(const char *url);

/* Control characters of `s` (DEL included) made spaces: one printable
 * line, for messages that quote what a server sent. */
void roger_one_line(char *s);

/*
 * Parse a reply's `body` (`len` bytes) as a JSON object, or an array when
 * `array`: *out a new reference; otherwise ROGER_EHTTP "invalid JSON in
 * <what>: ..." (one line) or "unexpected JSON in <what>: expected an
 * object" and *out untouched.
 */
int roger_json_reply(json_t **out, const char *body, size_t len,
		     const char *what, bool array, struct roger_err *err);

/* The length of the standard base64 of `len` bytes, padding included. */
size_t roger_base64_len(size_t len);

/* Append the standard base64 (with padding) of `len` bytes to `out`. */
int roger_base64_add(struct roger_buf *out, const void *data, size_t len);

/*
 * Append the bytes that the standard base64 text `in` (`len` bytes,
 * padding optional) stands for to `out`.  ROGER_EINVALID for a character
 * outside the alphabet, padding inside the text or a dangling last
 * character (`out` then keeps its old contents); ROGER_ENOMEM.
 */
int roger_base64_decode_add(struct roger_buf *out, const char *in, size_t len);

/*
 * Whether `s` is an absolute directory below "/" written cleanly: no
 * empty, "." or ".." component and no trailing '/' (what image.workdir
 * takes).
 */
bool roger_path_clean_abs(const char *s);

/*
 * An ISO 8601 time as Marathon and Metronome write them,
 * "2016-07-15T13:02:59.735Z" (a fraction of 1 to 9 digits, or none),
 * with `offsets` also "+0000", "-05:30" in place of the Z, as
 * milliseconds since the epoch into *out.  False, *out untouched, for
 * NULL or any other text.
 */
bool roger_iso_time_parse(int64_t *out, const char *s, bool offsets);

#endif
