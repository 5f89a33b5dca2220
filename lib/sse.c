/*
 * sse.c - the framing of a server-sent events stream (text/event-stream),
 * cut into events by a push parser.
 *
 * Design: a byte-level state machine (line -> field -> event) that keeps
 * only the current line and the event being read, so that a stream of any
 * length, in chunks of any size, costs memory bounded by the largest event.
 * What the events mean is the caller's (marathon.c parses Marathon's).
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "sse.h"

#define DEFAULT_MAX_EVENT ((size_t)64 << 20)

void roger_sse_init(struct roger_sse *p)
{
	static const struct roger_sse fresh = {
		ROGER_BUF_INIT,
		ROGER_BUF_INIT,
		ROGER_BUF_INIT,
		false,
		false,
		0,
		0,
		0,
	};

	*p = fresh;
}

void roger_sse_release(struct roger_sse *p)
{
	if (!p)
		return;
	roger_buf_release(&p->line);
	roger_buf_release(&p->type);
	roger_buf_release(&p->data);
}

/* A blank line: hand the event over, or count a heartbeat. */
static int end_event(struct roger_sse *p, roger_sse_event_fn fn, void *data,
		     struct roger_err *err)
{
	int rc = 0;

	if (!p->has_data) {
		p->n_heartbeats++;
	} else {
		p->n_events++;
		rc = fn(data, p->type.len ? p->type.buf : "message",
			p->data.buf, p->data.len, err);
	}
	roger_buf_reset(&p->type);
	roger_buf_reset(&p->data);
	p->has_data = false;
	return rc;
}

/* The line in p->line is complete: take its field, if one of ours. */
static int end_line(struct roger_sse *p, roger_sse_event_fn fn, void *data,
		    struct roger_err *err)
{
	const char *l = p->line.buf, *colon, *value;
	size_t n = p->line.len, name_len;
	int rc = 0;

	if (n == 0)
		return end_event(p, fn, data, err);
	if (l[0] == ':')
		goto out; /* a comment */
	colon = memchr(l, ':', n);
	name_len = colon ? (size_t)(colon - l) : n;
	value = colon ? colon + 1 : l + n;
	if (value < l + n && *value == ' ')
		value++;
	if (name_len == 5 && !memcmp(l, "event", 5)) {
		roger_buf_reset(&p->type);
		rc = roger_buf_add(&p->type, value, (size_t)(l + n - value));
	} else if (name_len == 4 && !memcmp(l, "data", 4)) {
		if (p->has_data)
			rc = roger_buf_addch(&p->data, '\n');
		if (rc == 0)
			rc = roger_buf_add(&p->data, value,
					   (size_t)(l + n - value));
		p->has_data = true;
	}
	if (rc < 0)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
out:
	roger_buf_reset(&p->line);
	return rc;
}

int roger_sse_feed(struct roger_sse *p, const char *bytes, size_t len,
		   roger_sse_event_fn fn, void *data, struct roger_err *err)
{
	size_t max = p->max_event ? p->max_event : DEFAULT_MAX_EVENT;
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		int rc;

		if (p->after_cr) {
			p->after_cr = false;
			if (bytes[i] == '\n') {
				i++;
				continue;
			}
		}
		while (j < len && bytes[j] != '\n' && bytes[j] != '\r')
			j++;
		if (p->line.len + p->data.len + (j - i) > max)
			return roger_err_set(
				err, ROGER_EHTTP,
				"an event of the stream is larger than %zu bytes",
				max);
		if (roger_buf_add(&p->line, bytes + i, j - i) < 0)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		if (j == len)
			break;
		p->after_cr = bytes[j] == '\r';
		i = j + 1;
		rc = end_line(p, fn, data, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}
