/*
 * events.c - Marathon's /v2/events stream (server-sent events).
 *
 * Wire format as Jetty's EventSourceServlet writes it: every event is
 * "event: <type>\r\ndata: <one-line JSON>\r\n\r\n", a heartbeat is a bare
 * "\r\n" every 10 seconds, no id and no retry lines, no history.  Each
 * subscriber has its own outgoing buffer filled by publishers; a reader
 * (one libmicrohttpd connection thread) blocks on it.  A subscriber that
 * falls more than ROGER_LOCAL_SUB_MAX bytes behind is disconnected, as
 * Marathon does with slow consumers.  Publishers hold the scheduler lock,
 * so events come out in the order the state changed; this file has its own
 * lock, never held while calling out.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "err.h"
#include "local/internal.h"
#include "util.h"

#define ROGER_LOCAL_SUB_MAX (8 * 1024 * 1024)
#define ROGER_LOCAL_HEARTBEAT_MS 10000

struct roger_local_sub {
	struct roger_local_sub *next;
	struct roger_local_events *ev;
	char **types; /* filter; NULL: every event */
	size_t n_types;
	struct roger_buf out;
	size_t sent; /* bytes of `out` already handed to the reader */
	bool closed;
	bool dropped; /* too slow */
};

struct roger_local_events {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct roger_local_sub *subs;
	bool shutdown;
};

int roger_local_events_new(struct roger_local_events **out)
{
	struct roger_local_events *ev = calloc(1, sizeof(*ev));
	pthread_condattr_t attr;

	if (!ev)
		return ROGER_ENOMEM;
	pthread_mutex_init(&ev->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->cond, &attr);
	pthread_condattr_destroy(&attr);
	*out = ev;
	return 0;
}

void roger_local_events_shutdown(struct roger_local_events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->shutdown = true;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
}

void roger_local_events_free(struct roger_local_events *ev)
{
	if (!ev)
		return;
	/* Subscribers are freed by their connections, which are gone now. */
	pthread_mutex_destroy(&ev->lock);
	pthread_cond_destroy(&ev->cond);
	free(ev);
}

static bool wanted(const struct roger_local_sub *s, const char *type)
{
	if (!s->types)
		return true;
	for (size_t i = 0; i < s->n_types; i++)
		if (!strcmp(s->types[i], type))
			return true;
	return false;
}

void roger_local_events_publish(struct roger_local *L, const char *type,
				json_t *data)
{
	struct roger_local_events *ev = L->events;
	char ts[ROGER_LOCAL_TIME_LEN];
	char *text;

	if (!json_object_get(data, "eventType"))
		json_object_set_new(data, "eventType", json_string(type));
	if (!json_object_get(data, "timestamp")) {
		roger_local_fmt_time(ts, roger_local_now(L));
		json_object_set_new(data, "timestamp", json_string(ts));
	}
	text = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(data);
	if (!text)
		return;
	pthread_mutex_lock(&ev->lock);
	for (struct roger_local_sub *s = ev->subs; s; s = s->next) {
		if (s->closed || !wanted(s, type))
			continue;
		if (s->out.len - s->sent > ROGER_LOCAL_SUB_MAX) {
			s->closed = s->dropped = true;
			continue;
		}
		roger_buf_addf(&s->out, "event: %s\r\ndata: %s\r\n\r\n", type,
			       text);
	}
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
	free(text);
}

struct roger_local_sub *roger_local_sub_new(struct roger_local_events *ev,
					    const char *const *types,
					    size_t n_types)
{
	struct roger_local_sub *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ev = ev;
	roger_buf_init(&s->out);
	if (n_types > 0) {
		s->types = calloc(n_types, sizeof(char *));
		if (!s->types) {
			free(s);
			return NULL;
		}
		for (size_t i = 0; i < n_types; i++)
			s->types[i] = strdup(types[i]);
		s->n_types = n_types;
	}
	pthread_mutex_lock(&ev->lock);
	s->next = ev->subs;
	ev->subs = s;
	pthread_mutex_unlock(&ev->lock);
	return s;
}

ssize_t roger_local_sub_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct roger_local_sub *s = cls;
	struct roger_local_events *ev = s->ev;
	struct timespec deadline;
	ssize_t n = 0;

	(void)pos;
	roger_clock_deadline(&deadline, ROGER_LOCAL_HEARTBEAT_MS);
	pthread_mutex_lock(&ev->lock);
	while (!ev->shutdown && !s->closed && s->out.len == s->sent) {
		if (pthread_cond_timedwait(&ev->cond, &ev->lock, &deadline) ==
		    ETIMEDOUT)
			break;
	}
	if (s->out.len > s->sent) {
		size_t avail = s->out.len - s->sent;

		n = (ssize_t)(avail < max ? avail : max);
		memcpy(buf, s->out.buf + s->sent, (size_t)n);
		s->sent += (size_t)n;
		if (s->sent == s->out.len) {
			roger_buf_reset(&s->out);
			s->sent = 0;
		}
	} else if (ev->shutdown || s->closed) {
		n = s->dropped ? MHD_CONTENT_READER_END_WITH_ERROR
			       : MHD_CONTENT_READER_END_OF_STREAM;
	} else if (max >= 2) {
		memcpy(buf, "\r\n", 2);
		n = 2;
	}
	pthread_mutex_unlock(&ev->lock);
	return n;
}

void roger_local_sub_free(void *cls)
{
	struct roger_local_sub *s = cls;
	struct roger_local_events *ev;

	if (!s)
		return;
	ev = s->ev;
	pthread_mutex_lock(&ev->lock);
	for (struct roger_local_sub **p = &ev->subs; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&ev->lock);
	for (size_t i = 0; i < s->n_types; i++)
		free(s->types[i]);
	free(s->types);
	roger_buf_release(&s->out);
	free(s);
}
