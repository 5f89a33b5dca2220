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

struct roger_buf {
	char *buf;
	size_t len;
	size_t alloc; /* 0 while `buf` is the shared empty string */
};

extern char roger_buf_empty_[];
#define ROGER_BUF_INIT { roger_buf_empty_, 0, 0 }

void roger_buf_init(struct roger_buf *b);
/* Free the memory and leave `b` empty and reusable.  NULL is fine. */
void roger_buf_release(struct roger_buf *b);
/* Make room for `extra` more bytes plus the terminating NUL. */
int roger_buf_grow(struct roger_buf *b, size_t extra);
int roger_buf_add(struct roger_buf *b, const void *data, size_t len);
int roger_buf_adds(struct roger_buf *b, const char *s);
int roger_buf_addch(struct roger_buf *b, int c);
int roger_buf_addf(struct roger_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int roger_buf_vaddf(struct roger_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Empty the buffer, keeping its memory. */
void roger_buf_reset(struct roger_buf *b);
/* Shrink to `len` bytes (len <= b->len). */
void roger_buf_truncate(struct roger_buf *b, size_t len);
/*
 * Hand the contents to the caller as a malloc'd string (never NULL unless
 * out of memory, when NULL is returned and `b` is unchanged) and leave `b`
 * empty.
 */
char *roger_buf_detach(struct roger_buf *b, size_t *len);

#endif
