/*
 * sse.h - the push parser of a server-sent events stream
 * (text/event-stream), as Marathon's /v2/events sends it.
 *
 * Feed it the bytes of the stream in chunks of any size.  Lines end in
 * CRLF, LF or CR (a CRLF split across chunks counts once); "event:" and
 * "data:" fields are kept (several data lines are joined with '\n'),
 * comments and other fields ignored; a blank line ends an event, or is a
 * heartbeat when no data came before it.  Memory stays bounded by the
 * largest event.
 */
#ifndef ROGER_SSE_H
#define ROGER_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "common.h"

ROGER_BEGIN_DECLS

struct roger_err;

/*
 * An event: its type (the "event:" field, "message" when absent) and its
 * data, `len` bytes (data[len] is '\0').  Return 0 to go on, a positive
 * value to stop (the feed returns it), or a negative code after setting
 * `err`.
 */
typedef int (*roger_sse_event_fn)(void *data, const char *type,
				  const char *text, size_t len,
				  struct roger_err *err);

/* The parser's state: initialise with roger_sse_init(). */
struct roger_sse {
	struct roger_buf line;
	struct roger_buf type;
	struct roger_buf data;
	bool has_data;
	bool after_cr;
	size_t max_event; /* bytes; 0: 64 MiB */
	size_t n_events;
	size_t n_heartbeats;
};

ROGER_EXTERN void roger_sse_init(struct roger_sse *p);
/* Free the buffers (NULL is fine). */
ROGER_EXTERN void roger_sse_release(struct roger_sse *p);

/*
 * Feed `len` bytes; calls `fn` for each complete event.  Returns 0, the
 * positive value `fn` returned to stop (ROGER_HTTP_STOP), `fn`'s negative
 * code, ROGER_ENOMEM, or ROGER_EHTTP when an event exceeds max_event.
 */
ROGER_EXTERN int roger_sse_feed(struct roger_sse *p, const char *bytes,
				size_t len, roger_sse_event_fn fn, void *data,
				struct roger_err *err);

ROGER_END_DECLS

#endif
