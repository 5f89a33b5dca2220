/*
 * pbio.h - ProcessIO, the record of the agent operator API's streams, in
 * protobuf's wire format (include/mesos/v1/agent/agent.proto), written
 * and read by hand: only the fields of that message, no protobuf
 * library.  Pure code, no allocation beyond the caller's buffer.  Not
 * installed.
 *
 *   ProcessIO { type = 1 (enum: DATA 1, CONTROL 2); data = 2; control = 3 }
 *   Data      { type = 1 (enum: STDIN 1, STDOUT 2, STDERR 3); data = 2 (bytes)
 * } Control   { type = 1 (enum: TTY_INFO 1, HEARTBEAT 2); tty_info = 2;
 *               heartbeat = 3 }
 *   TTYInfo   { window_size = 1 { rows = 1; columns = 2 } }
 *   Heartbeat { interval = 1 (DurationInfo { nanoseconds = 1 }) }
 *
 * The reader skips fields it does not know (any wire type but groups),
 * and trusts no length: every varint and every length is checked against
 * the bytes there are.  A DATA record's bytes are not copied: the reader
 * points into the record.
 */
#ifndef ROGER_PBIO_H
#define ROGER_PBIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define ROGER_PBIO_MEDIA "application/x-protobuf"

enum { ROGER_PBIO_DATA = 1, ROGER_PBIO_CONTROL = 2 };
enum { ROGER_PBIO_STDIN = 1, ROGER_PBIO_STDOUT = 2, ROGER_PBIO_STDERR = 3 };
enum { ROGER_PBIO_TTY_INFO = 1, ROGER_PBIO_HEARTBEAT = 2 };

/* One ProcessIO, read: 0 wherever the record had nothing. */
struct roger_pbio {
	uint32_t type; /* ProcessIO.type */
	uint32_t data_type; /* Data.type */
	const uint8_t *data; /* Data.data, inside the record (or NULL) */
	size_t data_len;
	uint32_t control_type; /* Control.type */
	bool has_window; /* Control.tty_info.window_size was there */
	uint32_t rows, columns;
	int64_t heartbeat_ns; /* Control.heartbeat.interval.nanoseconds */
};

/*
 * Read the ProcessIO of `len` bytes at `rec`: 0, or -1 with *why saying
 * what is wrong (a truncated varint or field, a length past the end, a
 * group or a wire type protobuf does not have, field number 0).
 */
int roger_pbio_decode(struct roger_pbio *out, const void *rec, size_t len,
		      const char **why);

/*
 * The longest head of a DATA record: everything before its bytes
 * (ProcessIO.type, the Data field's tag and length, Data.type, the bytes'
 * tag and length).
 */
#define ROGER_PBIO_DATA_HEAD_MAX 32

/*
 * Write the head of a DATA record of type `data_type` carrying `len`
 * bytes into `head` (ROGER_PBIO_DATA_HEAD_MAX bytes): the record is that
 * head followed by the bytes.  Returns the head's length.
 */
size_t roger_pbio_data_head(uint8_t *head, uint32_t data_type, size_t len);

/* Append a CONTROL HEARTBEAT record of `interval_ns` to `out` (unframed). */
int roger_pbio_heartbeat(struct roger_buf *out, int64_t interval_ns);
/* Append a CONTROL TTY_INFO record with the window size (unframed). */
int roger_pbio_tty_info(struct roger_buf *out, uint32_t rows, uint32_t columns);

#endif
