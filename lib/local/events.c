/*
 * events.c - Marathon's /v2/events stream (server-sent events).
 *
 * Wire format as Jetty's EventSourceServlet writes it: every event is
 * "event: <type>\r\ndata: <one-line JSON>\r\n\r\n", a heartbeat is a bare
 * "\r\n" every 10 seconds, no id and no retry lines, no history.  Each
 * subscriber has its own outgoing buffer filled by publishers.  A
 * subscriber that falls more than ROGER_LOCAL_SUB_MAX bytes behind is
 * disconnected, as Marathon does with slow consumers.  Publishers hold the
 * scheduler lock, so events come out in the order the state changed; this
 * file has its own lock, never held while calling out, except into
 * libmicrohttpd's suspend and resume (they take an internal lock of
 * libmicrohttpd's, never held while it calls us).
 *
 * The HTTP server runs a small pool of threads over epoll, so the reader
 * (libmicrohttpd's content callback) must never wait: with nothing to send
 * it suspends its connection and returns 0; a publisher resumes the
 * connections it gave data to, and roger_local_events_tick(), called every
 * few tens of milliseconds by the server's main loop, resumes those whose
 * heartbeat is due.  A suspended connection costs a descriptor and no
 * thread, and libmicrohttpd's idle timeout does not run while suspended;
 * a resumed one writes at least a heartbeat every 10 seconds, well within
 * the timeout.  The number of subscribers is capped (the server answers
 * 503 beyond), since each may hold a buffer of up to ROGER_LOCAL_SUB_MAX.
 */
#include <config.h>

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
	struct MHD_Connection *conn; /* NULL until attached */
	int64_t last_ms; /* monotonic: when the reader last got bytes */
	bool suspended; /* the reader suspended `conn` */
	bool closed;
	bool dropped; /* too slow */
	bool ended; /* the reader returned the end of the stream */
};

struct roger_local_events {
	pthread_mutex_t lock;
	struct roger_local_sub *subs;
	size_t n_subs, max_subs;
	bool shutdown;
};

int roger_local_events_new(struct roger_local_events **out, size_t max_subs)
{
	struct roger_local_events *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return ROGER_ENOMEM;
	pthread_mutex_init(&ev->lock, NULL);
	ev->max_subs = max_subs;
	*out = ev;
	return 0;
}

/* Let the reader of `s` run again (ev->lock held). */
static void wake_sub(struct roger_local_sub *s)
{
	if (!s->suspended)
		return;
	s->suspended = false;
	MHD_resume_connection(s->conn);
}

void roger_local_events_shutdown(struct roger_local_events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->shutdown = true;
	for (struct roger_local_sub *s = ev->subs; s; s = s->next)
		wake_sub(s);
	pthread_mutex_unlock(&ev->lock);
}

bool roger_local_events_ended(struct roger_local_events *ev)
{
	bool ended = true;

	pthread_mutex_lock(&ev->lock);
	for (struct roger_local_sub *s = ev->subs; s; s = s->next)
		if (s->conn && !s->ended)
			ended = false;
	pthread_mutex_unlock(&ev->lock);
	return ended;
}

void roger_local_events_tick(struct roger_local_events *ev)
{
	int64_t now = roger_clock_ms(CLOCK_MONOTONIC);

	pthread_mutex_lock(&ev->lock);
	for (struct roger_local_sub *s = ev->subs; s; s = s->next)
		if (s->suspended &&
		    now - s->last_ms >= ROGER_LOCAL_HEARTBEAT_MS)
			wake_sub(s);
	pthread_mutex_unlock(&ev->lock);
}

void roger_local_events_free(struct roger_local_events *ev)
{
	if (!ev)
		return;
	/* Subscribers are freed by their connections, which are gone now. */
	pthread_mutex_destroy(&ev->lock);
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

	if (L->txn) {
		roger_local_txn_event(L->txn, type, data);
		return;
	}
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
			wake_sub(s);
			continue;
		}
		roger_buf_addf(&s->out, "event: %s\r\ndata: %s\r\n\r\n", type,
			       text);
		wake_sub(s);
	}
	pthread_mutex_unlock(&ev->lock);
	free(text);
}

int roger_local_sub_new(struct roger_local_sub **out,
			struct roger_local_events *ev, const char *const *types,
			size_t n_types)
{
	struct roger_local_sub *s = calloc(1, sizeof(*s));
	int rc = 0;

	if (!s)
		return ROGER_ENOMEM;
	s->ev = ev;
	roger_buf_init(&s->out);
	if (n_types > 0) {
		s->types = calloc(n_types, sizeof(char *));
		if (!s->types) {
			free(s);
			return ROGER_ENOMEM;
		}
		for (size_t i = 0; i < n_types; i++)
			s->types[i] = strdup(types[i]);
		s->n_types = n_types;
	}
	pthread_mutex_lock(&ev->lock);
	if (ev->n_subs >= ev->max_subs) {
		rc = ROGER_EEXISTS;
	} else {
		s->next = ev->subs;
		ev->subs = s;
		ev->n_subs++;
	}
	pthread_mutex_unlock(&ev->lock);
	if (rc < 0) {
		for (size_t i = 0; i < s->n_types; i++)
			free(s->types[i]);
		free(s->types);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

size_t roger_local_events_max(const struct roger_local_events *ev)
{
	return ev->max_subs;
}

void roger_local_sub_attach(struct roger_local_sub *s,
			    struct MHD_Connection *conn)
{
	pthread_mutex_lock(&s->ev->lock);
	s->conn = conn;
	s->last_ms = roger_clock_ms(CLOCK_MONOTONIC);
	pthread_mutex_unlock(&s->ev->lock);
}

ssize_t roger_local_sub_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct roger_local_sub *s = cls;
	struct roger_local_events *ev = s->ev;
	ssize_t n = 0;

	(void)pos;
	pthread_mutex_lock(&ev->lock);
	if (s->out.len > s->sent) {
		size_t avail = s->out.len - s->sent;

		n = (ssize_t)(avail < max ? avail : max);
		memcpy(buf, s->out.buf + s->sent, (size_t)n);
		s->sent += (size_t)n;
		if (s->sent == s->out.len) {
			roger_buf_reset(&s->out);
			s->sent = 0;
		}
		s->last_ms = roger_clock_ms(CLOCK_MONOTONIC);
	} else if (ev->shutdown || s->closed) {
		n = s->dropped ? MHD_CONTENT_READER_END_WITH_ERROR
			       : MHD_CONTENT_READER_END_OF_STREAM;
		s->ended = true;
	} else if (roger_clock_ms(CLOCK_MONOTONIC) - s->last_ms >=
			   ROGER_LOCAL_HEARTBEAT_MS &&
		   max >= 2) {
		memcpy(buf, "\r\n", 2);
		n = 2;
		s->last_ms = roger_clock_ms(CLOCK_MONOTONIC);
	} else if (s->conn) {
		/* Nothing to send: a publisher or the heartbeat tick
		 * resumes the connection. */
		s->suspended = true;
		MHD_suspend_connection(s->conn);
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
			ev->n_subs--;
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
