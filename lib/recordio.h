/*
 * recordio.h - RecordIO, the framing of the Mesos operator API's streams
 * (MESOS-CONTAINERS.md section 8.1, apache/mesos docs/recordio.md).
 *
 * A stream is a sequence of records, each written as its length in bytes
 * in decimal, a newline, then exactly that many bytes, with nothing after
 * them.  How the stream is cut into HTTP chunks or reads carries no
 * meaning, so the decoder takes bytes in pieces of any size and gives
 * whole records back, one at a time (the caller decides when to take the
 * next one, which lets a server stop reading while it cannot keep up).
 * Pure code: no I/O, no allocation beyond the decoder's own buffer.  Not
 * installed: the exec client and roger local use it.
 */
#ifndef ROGER_RECORDIO_H
#define ROGER_RECORDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct roger_err;

/* The longest length prefix: a uint64 has at most 20 digits. */
#define ROGER_RECORDIO_MAX_DIGITS 20

/* Append one record holding `len` bytes of `data` to `out`. */
int roger_recordio_encode(struct roger_buf *out, const void *data, size_t len);

/*
 * Append the length prefix of a record of `len` bytes ("58\n") to `out`:
 * for a writer that appends the record's bytes itself right after.
 */
int roger_recordio_prefix(struct roger_buf *out, size_t len);

struct roger_recordio_dec {
	uint64_t want; /* bytes of the record still to come */
	unsigned digits; /* digits of the prefix read so far */
	bool in_record; /* the prefix is read: collecting bytes */
	size_t max; /* the longest record taken */
	struct roger_buf rec; /* the record being collected */
};

/* A decoder taking records of at most `max` bytes (0: 16 MiB). */
void roger_recordio_dec_init(struct roger_recordio_dec *d, size_t max);
void roger_recordio_dec_release(struct roger_recordio_dec *d);

/*
 * Take bytes from `data` (`len` of them) until one record is complete.
 * Returns 1 when one is: *rec and *rec_len give it (borrowed until the
 * next call), and *used how many bytes of `data` went into it (the rest
 * is for the next call).  Returns 0 when every byte was taken and no
 * record is complete yet (*used == len).  ROGER_EINVALID for bytes that
 * are no RecordIO (a prefix that is not a decimal number ended by a
 * newline, or longer than 20 digits) and for a record longer than the
 * decoder's maximum, with `err` saying which: the decoder is then
 * unusable.  ROGER_ENOMEM.
 */
int roger_recordio_next(struct roger_recordio_dec *d, const char *data,
			size_t len, size_t *used, const char **rec,
			size_t *rec_len, struct roger_err *err);

/* Whether the decoder holds part of a record (the stream ended inside one). */
bool roger_recordio_dec_partial(const struct roger_recordio_dec *d);

#endif
