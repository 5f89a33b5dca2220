/*
 * buf.h - a growable byte buffer (git's strbuf invariant).
 *
 * `buf` is never NULL: an empty buffer points at a shared "" so it can be
 * printed at once, and `buf[len]` is always '\0', so text stays a C string
 * while binary data may hold NULs.  Every function that may allocate returns
 * 0 or ROGER_ENOMEM; on failure the buffer keeps its old contents.
 */
#ifndef ROGER_BUF_H
#define ROGER_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_buf {
	char *buf;
	size_t len;
	size_t alloc; /* 0 while `buf` is the shared empty string */
};

ROGER_EXTERN char roger_buf_empty_[];
#define ROGER_BUF_INIT                 \
	{                              \
		roger_buf_empty_, 0, 0 \
	}

ROGER_EXTERN void roger_buf_init(struct roger_buf *b);
/* Free the memory and leave `b` empty and reusable.  NULL is fine. */
ROGER_EXTERN void roger_buf_release(struct roger_buf *b);
/* Make room for `extra` more bytes plus the terminating NUL. */
ROGER_EXTERN int roger_buf_grow(struct roger_buf *b, size_t extra);
ROGER_EXTERN int roger_buf_add(struct roger_buf *b, const void *data,
			       size_t len);
ROGER_EXTERN int roger_buf_adds(struct roger_buf *b, const char *s);
ROGER_EXTERN int roger_buf_addch(struct roger_buf *b, int c);
ROGER_EXTERN int roger_buf_addf(struct roger_buf *b, const char *fmt, ...)
	ROGER_PRINTF(2, 3);
ROGER_EXTERN int roger_buf_vaddf(struct roger_buf *b, const char *fmt,
				 va_list ap) ROGER_PRINTF(2, 0);
/* Empty the buffer, keeping its memory. */
ROGER_EXTERN void roger_buf_reset(struct roger_buf *b);
/* Shrink to `len` bytes (len <= b->len). */
ROGER_EXTERN void roger_buf_truncate(struct roger_buf *b, size_t len);
/*
 * Hand the contents to the caller as a malloc'd string (never NULL unless
 * out of memory, when NULL is returned and `b` is unchanged) and leave `b`
 * empty.
 */
ROGER_EXTERN char *roger_buf_detach(struct roger_buf *b, size_t *len);

ROGER_END_DECLS

#endif
