/*
 * buf.c - growable byte buffer.  See buf.h for the invariants.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

char roger_buf_empty_[1];

void roger_buf_init(struct roger_buf *b)
{
	b->buf = roger_buf_empty_;
	b->len = 0;
	b->alloc = 0;
}

void roger_buf_release(struct roger_buf *b)
{
	if (!b)
		return;
	if (b->alloc)
		free(b->buf);
	roger_buf_init(b);
}

int roger_buf_grow(struct roger_buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return ROGER_ENOMEM;
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return 0;
	cap = b->alloc ? b->alloc : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = b->alloc ? realloc(b->buf, cap) : malloc(cap);
	if (!p)
		return ROGER_ENOMEM;
	if (!b->alloc)
		p[0] = '\0';
	b->buf = p;
	b->alloc = cap;
	return 0;
}

int roger_buf_add(struct roger_buf *b, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (roger_buf_grow(b, len) < 0)
		return ROGER_ENOMEM;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

int roger_buf_adds(struct roger_buf *b, const char *s)
{
	return roger_buf_add(b, s, strlen(s));
}

int roger_buf_addch(struct roger_buf *b, int c)
{
	char ch = (char)c;

	return roger_buf_add(b, &ch, 1);
}

int roger_buf_vaddf(struct roger_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	/* Straight into the room there is, when it is enough (the usual
	 * case for a buffer that grows line by line): one pass, not two. */
	va_copy(cp, ap);
	if (b->alloc > b->len) {
		n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, cp);
		va_end(cp);
		if (n < 0) {
			b->buf[b->len] = '\0';
			return ROGER_ERROR;
		}
		if ((size_t)n < b->alloc - b->len) {
			b->len += (size_t)n;
			return 0;
		}
		b->buf[b->len] = '\0';
	} else {
		n = vsnprintf(NULL, 0, fmt, cp);
		va_end(cp);
		if (n < 0)
			return ROGER_ERROR;
	}
	if (roger_buf_grow(b, (size_t)n) < 0)
		return ROGER_ENOMEM;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int roger_buf_addf(struct roger_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = roger_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void roger_buf_reset(struct roger_buf *b)
{
	roger_buf_truncate(b, 0);
}

void roger_buf_truncate(struct roger_buf *b, size_t len)
{
	if (len > b->len)
		return;
	b->len = len;
	if (b->alloc)
		b->buf[len] = '\0';
}

char *roger_buf_detach(struct roger_buf *b, size_t *len)
{
	char *s;

	if (!b->alloc) {
		s = strdup("");
		if (!s)
			return NULL;
	} else {
		s = b->buf;
	}
	if (len)
		*len = b->len;
	roger_buf_init(b);
	return s;
}
