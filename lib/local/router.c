/*
 * router.c - roger local's router: the stable addresses of apps, as
 * marathon-lb gives them on a cluster (MARATHON-LB.md §5).
 *
 * One thread runs an epoll loop over every socket of the router:
 *   - a listener on 127.0.0.1:<servicePort> for every port of every app
 *     that has one (HAPROXY_{n}_PORT instead when set), proxying TCP;
 *   - the HTTP front on one port, which reads a request head, picks the
 *     app by X-Marathon-App-Id, a HAPROXY_{n}_VHOST name or the
 *     <app>.<group...>.localhost name of its Host, and forwards the
 *     request with "Connection: close", so that each request picks a task;
 *   - the connections, each a pair of non-blocking sockets and a buffer
 *     per direction.
 * No thread per connection: thousands of idle ones cost a few bytes each.
 *
 * Which task: round robin over the eligible tasks of the app, those
 * running that the scheduler has not decided to kill and, for apps with
 * health checks, whose latest results are all alive.  Picking happens
 * under L->lock and counts the connection against the task's host port
 * (busy[]); the scheduler, also under L->lock, does not kill a running
 * task while connections to it are counted, up to its kill grace period
 * (scheduler.c queue_kills): that is the drain.  A task that refuses the
 * connection is passed over for the next one (three tries).  With no
 * eligible task a TCP connection is closed and an HTTP request gets a 503
 * that names the app and why.
 *
 * The listeners follow the apps: every TICK_MS (or when kicked) the thread
 * compares the service ports of the apps with its listeners.  A port some
 * other program holds is retried, and logged once.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "err.h"
#include "local/internal.h"
#include "local/router.h"
#include "util.h"

#define TICK_MS 200
#define BUF_SIZE 16384
#define HEAD_TIMEOUT_MS 60000
#define RETRY_BIND_MS 5000
#define TRIES 3
#define BACKLOG 1024
#define PORTS 65536
/* Connections are watched edge-triggered, for everything, once: flow()
 * then moves what it can until the kernel says EAGAIN. */
#define CONN_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

enum kind { K_LISTEN, K_FRONT, K_WAKE, K_CLIENT, K_BACKEND };

/* What an epoll event points to. */
struct side {
	enum kind kind;
	int fd;
	uint32_t mask; /* the events asked for */
	struct conn *c;
};

struct listener {
	struct side s; /* kind K_LISTEN; s.fd -1 while the port is taken */
	struct listener *next;
	int port;
	char app_id[ROGER_LOCAL_APP_ID_MAX + 1];
	int index; /* of the app's port */
	unsigned rr;
	bool wanted; /* seen in this sync */
	bool logged; /* the bind failure was logged */
	int64_t retry_ms;
};

struct pipe_buf {
	char *buf;
	size_t cap, off, len;
	bool eof; /* the reading side ended */
	bool shut; /* ... and that went on to the writing side */
};

struct conn {
	struct side cli, be;
	struct conn *prev, *next;
	bool http; /* came in through the front */
	bool head_done; /* front: routed */
	bool connecting;
	bool closing; /* the answer is written: close after flushing */
	bool dead; /* closed; freed after the current batch of events */
	bool missing; /* its app does not exist: a 404 on the front */
	char app_id[ROGER_LOCAL_APP_ID_MAX + 1];
	int index;
	unsigned *rr; /* the round robin counter of its first pick */
	unsigned front_rr;
	uint16_t be_port; /* counted in busy[] while be.fd >= 0 */
	uint16_t tried[TRIES];
	int tries;
	char *head; /* front: what was read of the head */
	size_t head_len;
	struct pipe_buf up, down; /* client to task, task to client */
	int64_t since_ms;
};

struct roger_local_router {
	struct roger_local *L;
	int ep;
	struct side wake, front;
	int front_port;
	struct listener *listeners;
	struct conn *conns;
	struct conn *dead; /* closed in this batch of events */
	pthread_t thread;
	bool stop; /* read by the thread after a wake-up */
	unsigned busy[PORTS]; /* open connections per task host port (atomic) */
};

static int64_t mono_ms(void)
{
	return roger_clock_ms(CLOCK_MONOTONIC);
}

/* ---- sockets -------------------------------------------------------------------- */

static int listen_on(int port, int *bound)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, BACKLOG) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (bound) {
		getsockname(fd, (struct sockaddr *)&sa, &len);
		*bound = ntohs(sa.sin_port);
	}
	return fd;
}

static void watch(struct roger_local_router *R, struct side *s, uint32_t mask)
{
	struct epoll_event ev;

	if (s->fd < 0 || s->mask == mask)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = mask;
	ev.data.ptr = s;
	epoll_ctl(R->ep, s->mask == UINT32_MAX ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
		  s->fd, &ev);
	s->mask = mask;
}

static void side_open(struct roger_local_router *R, struct side *s, int fd,
		      uint32_t mask)
{
	s->fd = fd;
	s->mask = UINT32_MAX;
	watch(R, s, mask);
}

/*
 * Leave the epoll set explicitly: a task forked meanwhile may hold a copy
 * of the descriptor until its exec, and close() alone would leave the
 * registration (and events naming freed memory) behind.
 */
static void side_close(struct roger_local_router *R, struct side *s)
{
	if (s->fd >= 0) {
		if (s->mask != UINT32_MAX)
			epoll_ctl(R->ep, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
	}
	s->fd = -1;
	s->mask = UINT32_MAX;
}

/* ---- which task ----------------------------------------------------------------- */

static bool eligible(const struct roger_local_task *t, int index)
{
	return t->state == ROGER_TASK_RUNNING && !t->kill_wanted &&
	       index < t->n_ports && t->ports[index] != 0 &&
	       roger_local_task_healthy(t);
}

static bool tried(const struct conn *c, uint16_t port)
{
	for (int i = 0; i < c->tries; i++)
		if (c->tried[i] == port)
			return true;
	return false;
}

/* Why `app` has no task to give (lock held), for the 503. */
static const char *why_none(struct roger_local *L,
			    const struct roger_local_app *app)
{
	json_t *deps;
	bool deploying;
	int running = 0;

	if (roger_local_def_int(app->def, "instances", 1) == 0)
		return "scaled to 0";
	deps = roger_local_deployments_of(L, app->id);
	deploying = json_array_size(deps) > 0;
	json_decref(deps);
	for (const struct roger_local_task *t = app->tasks; t; t = t->next)
		if (t->state == ROGER_TASK_RUNNING && !t->kill_wanted)
			running++;
	if (running > 0)
		return "no task passes its health checks";
	if (deploying)
		return "deploying, no task is running yet";
	if (app->last_failure)
		return "crashed, no task is running";
	return "no task is running yet";
}

/*
 * Pick the next eligible task for `c` and count the connection (takes the
 * lock).  0 with c->be_port set; otherwise the reason for a 503 in `why`.
 */
static int pick(struct roger_local_router *R, struct conn *c, char *why,
		size_t why_size)
{
	struct roger_local *L = R->L;
	struct roger_local_app *app;
	const struct roger_local_task *t;
	unsigned n = 0, k;

	pthread_mutex_lock(&L->lock);
	app = roger_local_app_find(L, c->app_id, false);
	if (!app) {
		snprintf(
			why, why_size,
			"no app %s: use http://<app>.<group...>.localhost:%d/ for app /<group...>/<app>",
			c->app_id, R->front_port);
		c->missing = true;
		goto none;
	}
	for (t = app->tasks; t; t = t->next)
		if (eligible(t, c->index) && !tried(c, t->ports[c->index]))
			n++;
	if (n == 0) {
		snprintf(why, why_size, "app %s: no task can take traffic (%s)",
			 app->id,
			 c->tries > 0 ? "its tasks refuse connections"
				      : why_none(L, app));
		goto none;
	}
	k = (*c->rr)++ % n;
	for (t = app->tasks; t; t = t->next)
		if (eligible(t, c->index) && !tried(c, t->ports[c->index]) &&
		    k-- == 0)
			break;
	c->be_port = t->ports[c->index];
	__atomic_add_fetch(&R->busy[c->be_port], 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&L->lock);
	return 0;
none:
	pthread_mutex_unlock(&L->lock);
	return -1;
}

bool roger_local_router_busy(const struct roger_local_router *R,
			     const struct roger_local_task *t)
{
	if (!R)
		return false;
	for (int i = 0; i < t->n_ports; i++)
		if (__atomic_load_n(&R->busy[t->ports[i]], __ATOMIC_SEQ_CST))
			return true;
	return false;
}

/* ---- connections ----------------------------------------------------------------- */

static void backend_close(struct roger_local_router *R, struct conn *c)
{
	if (c->be.fd < 0)
		return;
	side_close(R, &c->be);
	__atomic_sub_fetch(&R->busy[c->be_port], 1, __ATOMIC_SEQ_CST);
}

/*
 * Close a connection.  Later events of the same epoll batch may still
 * name it, so it is only freed by reap(), after the batch.
 */
static void conn_free(struct roger_local_router *R, struct conn *c)
{
	if (c->dead)
		return;
	backend_close(R, c);
	side_close(R, &c->cli);
	if (c->prev)
		c->prev->next = c->next;
	else
		R->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->dead = true;
	c->next = R->dead;
	R->dead = c;
}

static void reap(struct roger_local_router *R)
{
	while (R->dead) {
		struct conn *c = R->dead;

		R->dead = c->next;
		free(c->head);
		free(c->up.buf);
		free(c->down.buf);
		free(c);
	}
}

static struct conn *conn_new(struct roger_local_router *R, int fd, bool http)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return NULL;
	}
	c->cli.kind = K_CLIENT;
	c->be.kind = K_BACKEND;
	c->cli.c = c->be.c = c;
	c->be.fd = -1;
	c->be.mask = UINT32_MAX;
	c->http = http;
	c->rr = &c->front_rr;
	c->since_ms = mono_ms();
	c->next = R->conns;
	if (R->conns)
		R->conns->prev = c;
	R->conns = c;
	side_open(R, &c->cli, fd, CONN_EVENTS);
	return c;
}

static bool buf_init(struct pipe_buf *b, size_t cap)
{
	if (b->buf)
		return true;
	b->buf = malloc(cap);
	b->cap = cap;
	return b->buf != NULL;
}

/* Answer an HTTP client directly (a 503, 404...) and close after it. */
static void answer(struct roger_local_router *R, struct conn *c, int status,
		   const char *reason, const char *body)
{
	char text[1024];
	int n = snprintf(
		text, sizeof(text),
		"HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
		status, reason, strlen(body) + 1, body);

	if (n < 0 || (size_t)n >= sizeof(text) ||
	    !buf_init(&c->down, sizeof(text))) {
		conn_free(R, c);
		return;
	}
	memcpy(c->down.buf, text, (size_t)n);
	c->down.off = 0;
	c->down.len = (size_t)n;
	c->down.eof = true;
	c->closing = true;
	c->head_done = true;
	backend_close(R, c);
}

/* Connect to the next task; false when the connection is gone. */
static bool connect_next(struct roger_local_router *R, struct conn *c)
{
	char why[256];
	struct sockaddr_in sa;
	int fd, rc;

	for (;;) {
		if (c->tries >= TRIES || pick(R, c, why, sizeof(why)) < 0) {
			if (c->tries >= TRIES)
				snprintf(
					why, sizeof(why),
					"app %s: no task can take traffic (its tasks refuse connections)",
					c->app_id);
			if (!c->http || c->up.shut || c->down.len > 0) {
				conn_free(R, c);
				return false;
			}
			if (c->missing)
				answer(R, c, 404, "Not Found", why);
			else
				answer(R, c, 503, "Service Unavailable", why);
			return true;
		}
		c->tried[c->tries++] = c->be_port;
		/* retries count on the connection's own counter: the
		 * listener's may be gone by then, with its app */
		c->front_rr = *c->rr;
		c->rr = &c->front_rr;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd < 0) {
			__atomic_sub_fetch(&R->busy[c->be_port], 1,
					   __ATOMIC_SEQ_CST);
			conn_free(R, c);
			return false;
		}
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons(c->be_port);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		if (rc < 0 && errno != EINPROGRESS) {
			close(fd);
			__atomic_sub_fetch(&R->busy[c->be_port], 1,
					   __ATOMIC_SEQ_CST);
			continue;
		}
		/* on loopback the connection is often made at once */
		c->connecting = rc < 0;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
			   sizeof(int));
		side_open(R, &c->be, fd, CONN_EVENTS);
		return true;
	}
}

/* Move bytes from `from` through `b` to `to`; -1 on a socket error. */
static int pump(struct pipe_buf *b, int from, int to)
{
	for (;;) {
		ssize_t n;

		if (b->len == 0 && !b->eof) {
			if (from < 0 || !b->buf)
				return 0; /* nothing to read from yet */
			n = read(from, b->buf, b->cap);
			if (n == 0)
				b->eof = true;
			else if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return 0;
			else if (n < 0)
				return -1;
			else {
				b->off = 0;
				b->len = (size_t)n;
			}
		}
		if (b->len > 0) {
			if (to < 0)
				return 0;
			n = send(to, b->buf + b->off, b->len, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return 0;
			if (n < 0)
				return -1;
			b->off += (size_t)n;
			b->len -= (size_t)n;
			if (b->len > 0)
				return 0;
		}
		if (b->eof) {
			if (!b->shut && to >= 0) {
				shutdown(to, SHUT_WR);
				b->shut = true;
			}
			return 0;
		}
	}
}

/* Progress on a connection; false when it is gone. */
static bool flow(struct roger_local_router *R, struct conn *c)
{
	if (c->dead)
		return false;
	if (pump(&c->up, c->cli.fd, c->connecting ? -1 : c->be.fd) < 0 ||
	    pump(&c->down, c->connecting ? -1 : c->be.fd, c->cli.fd) < 0) {
		conn_free(R, c);
		return false;
	}
	if (c->down.eof && c->down.len == 0 &&
	    (c->http || (c->up.eof && c->up.len == 0))) {
		conn_free(R, c);
		return false;
	}
	return true;
}

static void connected(struct roger_local_router *R, struct conn *c)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(c->be.fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	if (e == EINPROGRESS)
		return;
	if (e != 0) {
		backend_close(R, c);
		c->connecting = false;
		if (connect_next(R, c))
			flow(R, c);
		return;
	}
	c->connecting = false;
	flow(R, c);
}

/* Start a connection's way to a task once its app is known. */
static void route_to(struct roger_local_router *R, struct conn *c)
{
	if (!buf_init(&c->up, BUF_SIZE) || !buf_init(&c->down, BUF_SIZE)) {
		conn_free(R, c);
		return;
	}
	if (connect_next(R, c))
		flow(R, c);
}

/* ---- the HTTP front ---------------------------------------------------------------- */

/* Which app and port a front request names (lock taken); false if none. */
static bool front_app(struct roger_local_router *R, struct conn *c,
		      const struct roger_router_head *h, char *why,
		      size_t why_size)
{
	struct roger_local *L = R->L;
	char host[256], id[ROGER_LOCAL_APP_ID_MAX + 1];
	bool found = false;

	if (h->app_id) {
		if (h->app_id_len >= sizeof(id)) {
			snprintf(why, why_size,
				 "X-Marathon-App-Id is too long");
			return false;
		}
		memcpy(id, h->app_id, h->app_id_len);
		id[h->app_id_len] = '\0';
		snprintf(c->app_id, sizeof(c->app_id), "%s", id);
		c->index = 0;
		return true;
	}
	if (!h->host ||
	    !roger_router_host_name(host, sizeof(host), h->host, h->host_len)) {
		snprintf(
			why, why_size,
			"no Host header names an app: use http://<app>.<group...>.localhost:%d/ or X-Marathon-App-Id",
			R->front_port);
		return false;
	}
	pthread_mutex_lock(&L->lock);
	for (struct roger_local_app *a = L->apps; a && !found; a = a->next) {
		json_t *labels = json_object_get(a->def, "labels");

		if (a->deleted)
			continue;
		for (int n = 0; n < ROGER_LOCAL_MAX_PORTS && !found; n++) {
			char key[32], *list, *save = NULL;
			const char *v;

			snprintf(key, sizeof(key), "HAPROXY_%d_VHOST", n);
			v = json_string_value(json_object_get(labels, key));
			if (!v || !(list = strdup(v)))
				continue;
			for (char *w = strtok_r(list, ", ", &save); w && !found;
			     w = strtok_r(NULL, ", ", &save))
				if (!strcasecmp(w, host)) {
					snprintf(c->app_id, sizeof(c->app_id),
						 "%s", a->id);
					c->index = n;
					found = true;
				}
			free(list);
		}
	}
	pthread_mutex_unlock(&L->lock);
	if (found)
		return true;
	if (roger_router_host_app(id, sizeof(id), host, strlen(host))) {
		snprintf(c->app_id, sizeof(c->app_id), "%s", id);
		c->index = 0;
		return true;
	}
	snprintf(
		why, why_size,
		"no app is named by host '%s': use http://<app>.<group...>.localhost:%d/",
		host, R->front_port);
	return false;
}

/* The listener of an app's port, for its round robin counter. */
static unsigned *rr_of(struct roger_local_router *R, const char *app_id,
		       int index)
{
	for (struct listener *l = R->listeners; l; l = l->next)
		if (l->index == index && !strcmp(l->app_id, app_id))
			return &l->rr;
	return NULL;
}

static void front_read(struct roger_local_router *R, struct conn *c)
{
	struct roger_router_head h;
	char why[512];
	char *head;
	size_t len;
	ssize_t n;
	int rc;

	if (!c->head && !(c->head = malloc(ROGER_ROUTER_HEAD_MAX))) {
		conn_free(R, c);
		return;
	}
	do {
		n = read(c->cli.fd, c->head + c->head_len,
			 ROGER_ROUTER_HEAD_MAX - c->head_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return; /* edge-triggered: the next bytes say so */
		if (n <= 0) {
			conn_free(R, c);
			return;
		}
		c->head_len += (size_t)n;
		rc = roger_router_head_parse(&h, c->head, c->head_len);
	} while (rc == 0);
	if (rc < 0) {
		answer(R, c, c->head_len >= ROGER_ROUTER_HEAD_MAX ? 431 : 400,
		       c->head_len >= ROGER_ROUTER_HEAD_MAX
			       ? "Request Header Fields Too Large"
			       : "Bad Request",
		       "not an HTTP request the router can forward");
		flow(R, c);
		return;
	}
	if (!front_app(R, c, &h, why, sizeof(why))) {
		answer(R, c, 404, "Not Found", why);
		flow(R, c);
		return;
	}
	head = roger_router_head_rewrite(c->head, &h, &len);
	if (!head) {
		conn_free(R, c);
		return;
	}
	/* the head, then whatever of the body came with it */
	c->up.cap = len + (c->head_len - h.len);
	if (c->up.cap < BUF_SIZE)
		c->up.cap = BUF_SIZE;
	c->up.buf = realloc(head, c->up.cap);
	if (!c->up.buf) {
		free(head);
		conn_free(R, c);
		return;
	}
	memcpy(c->up.buf + len, c->head + h.len, c->head_len - h.len);
	c->up.off = 0;
	c->up.len = len + (c->head_len - h.len);
	free(c->head);
	c->head = NULL;
	c->head_done = true;
	c->rr = rr_of(R, c->app_id, c->index) ?: &c->front_rr;
	route_to(R, c);
}

/* ---- listeners ------------------------------------------------------------------------ */

static void accept_all(struct roger_local_router *R, struct side *s)
{
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
			   sizeof(int));
		c = conn_new(R, fd, s->kind == K_FRONT);
		if (!c || s->kind == K_FRONT)
			continue;
		{
			struct listener *l = (struct listener *)s;

			snprintf(c->app_id, sizeof(c->app_id), "%s", l->app_id);
			c->index = l->index;
			c->rr = &l->rr;
			c->head_done = true;
			route_to(R, c);
		}
	}
}

/* The port app `a` has its port `n` served on: HAPROXY_{n}_PORT or the
 * service port; 0 for none. */
static int served_port(const json_t *def, size_t n, const json_t *pd)
{
	char key[32];
	const char *v;
	long p;

	snprintf(key, sizeof(key), "HAPROXY_%zu_PORT", n);
	v = json_string_value(
		json_object_get(json_object_get(def, "labels"), key));
	if (v && (p = strtol(v, NULL, 10)) > 0 && p < PORTS)
		return (int)p;
	p = roger_local_def_int(pd, "port", 0);
	return p > 0 && p < PORTS ? (int)p : 0;
}

static void want(struct roger_local_router *R, int port, const char *app_id,
		 int index)
{
	struct listener *l;

	for (l = R->listeners; l; l = l->next)
		if (l->port == port)
			break;
	if (!l) {
		if (!(l = calloc(1, sizeof(*l))))
			return;
		l->s.kind = K_LISTEN;
		l->s.fd = -1;
		l->s.mask = UINT32_MAX;
		l->port = port;
		l->next = R->listeners;
		R->listeners = l;
	}
	if (l->wanted)
		return; /* two apps claim it: the first keeps it */
	l->wanted = true;
	snprintf(l->app_id, sizeof(l->app_id), "%s", app_id);
	l->index = index;
}

/* Make the listeners those the apps ask for. */
static void sync_listeners(struct roger_local_router *R)
{
	struct roger_local *L = R->L;
	struct listener **pl;
	int64_t now = mono_ms();

	for (struct listener *l = R->listeners; l; l = l->next)
		l->wanted = false;
	pthread_mutex_lock(&L->lock);
	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		json_t *pd;
		size_t i;

		if (a->deleted)
			continue;
		json_array_foreach(json_object_get(a->def, "portDefinitions"),
				   i, pd) {
			int port = served_port(a->def, i, pd);

			if (port && port != R->front_port)
				want(R, port, a->id, (int)i);
		}
	}
	pthread_mutex_unlock(&L->lock);
	for (pl = &R->listeners; *pl;) {
		struct listener *l = *pl;

		if (!l->wanted) {
			side_close(R, &l->s);
			*pl = l->next;
			free(l);
			continue;
		}
		if (l->s.fd < 0 && now >= l->retry_ms) {
			int fd = listen_on(l->port, NULL);

			if (fd < 0) {
				if (!l->logged)
					roger_log(
						L->ctx, ROGER_LOG_WARN,
						"router: cannot listen on %s:%d for app %s: %s; trying again",
						ROGER_LOCAL_HOST, l->port,
						l->app_id, strerror(errno));
				l->logged = true;
				l->retry_ms = now + RETRY_BIND_MS;
			} else {
				side_open(R, &l->s, fd, EPOLLIN);
				if (l->logged)
					roger_log(
						L->ctx, ROGER_LOG_NOTICE,
						"router: listening on %s:%d for app %s at last",
						ROGER_LOCAL_HOST, l->port,
						l->app_id);
				l->logged = false;
			}
		}
		pl = &l->next;
	}
}

/* Close the front connections that never sent a whole head. */
static void sweep(struct roger_local_router *R)
{
	int64_t now = mono_ms();

	for (struct conn *c = R->conns, *next; c; c = next) {
		next = c->next;
		if (c->http && !c->head_done &&
		    now - c->since_ms > HEAD_TIMEOUT_MS)
			conn_free(R, c);
	}
}

/* ---- the thread --------------------------------------------------------------------------- */

static void on_event(struct roger_local_router *R, struct side *s,
		     uint32_t events)
{
	struct conn *c = s->c;

	if (c && c->dead)
		return;
	switch (s->kind) {
	case K_LISTEN:
	case K_FRONT:
		accept_all(R, s);
		return;
	case K_WAKE: {
		uint64_t v;

		if (read(s->fd, &v, sizeof(v)) < 0)
			return;
		return;
	}
	case K_CLIENT:
		if (c->http && !c->head_done) {
			front_read(R, c);
			return;
		}
		break;
	case K_BACKEND:
		if (c->connecting) {
			connected(R, c);
			return;
		}
		break;
	}
	(void)events;
	flow(R, c);
}

static void *router_main(void *arg)
{
	struct roger_local_router *R = arg;
	struct epoll_event evs[64];
	int64_t next_sync = 0;

	for (;;) {
		int n, wait = TICK_MS;
		int64_t now = mono_ms();

		if (__atomic_load_n(&R->stop, __ATOMIC_SEQ_CST))
			break;
		if (now >= next_sync) {
			sync_listeners(R);
			sweep(R);
			next_sync = now + TICK_MS;
		}
		n = epoll_wait(R->ep, evs, 64, wait);
		for (int i = 0; i < n; i++) {
			struct side *s = evs[i].data.ptr;

			if (s->kind == K_WAKE)
				next_sync = 0;
			on_event(R, s, evs[i].events);
		}
		reap(R);
	}
	return NULL;
}

int roger_local_router_start(struct roger_local_router **out,
			     struct roger_local *L, int front_port,
			     struct roger_err *err)
{
	struct roger_local_router *R = calloc(1, sizeof(*R));
	int fd, rc;

	if (!R)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	R->L = L;
	R->wake.kind = K_WAKE;
	R->front.kind = K_FRONT;
	R->wake.fd = R->front.fd = -1;
	R->ep = epoll_create1(EPOLL_CLOEXEC);
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (R->ep < 0 || fd < 0) {
		if (fd >= 0)
			close(fd);
		rc = roger_err_set(err, ROGER_EIO, "router: %s",
				   strerror(errno));
		goto fail;
	}
	side_open(R, &R->wake, fd, EPOLLIN);
	fd = listen_on(front_port, &R->front_port);
	if (fd < 0 && errno == EADDRINUSE && front_port != 0) {
		roger_log(
			L->ctx, ROGER_LOG_NOTICE,
			"router: port %d of %s is taken by another program; taking a free one",
			front_port, ROGER_LOCAL_HOST);
		fd = listen_on(0, &R->front_port);
	}
	if (fd < 0) {
		rc = roger_err_set(
			err, ROGER_EIO, "router: cannot listen on %s:%d: %s",
			ROGER_LOCAL_HOST, front_port, strerror(errno));
		goto fail;
	}
	side_open(R, &R->front, fd, EPOLLIN);
	if (pthread_create(&R->thread, NULL, router_main, R) != 0) {
		rc = roger_err_set(err, ROGER_ERROR,
				   "cannot start the router thread");
		goto fail;
	}
	*out = R;
	return 0;
fail:
	side_close(R, &R->front);
	side_close(R, &R->wake);
	if (R->ep >= 0)
		close(R->ep);
	free(R);
	return rc;
}

int roger_local_router_front_port(const struct roger_local_router *R)
{
	return R->front_port;
}

void roger_local_router_kick(struct roger_local_router *R)
{
	uint64_t one = 1;

	if (R && write(R->wake.fd, &one, sizeof(one)) < 0)
		return;
}

void roger_local_router_stop(struct roger_local_router *R)
{
	if (!R)
		return;
	__atomic_store_n(&R->stop, true, __ATOMIC_SEQ_CST);
	roger_local_router_kick(R);
	pthread_join(R->thread, NULL);
	while (R->conns)
		conn_free(R, R->conns);
	reap(R);
	while (R->listeners) {
		struct listener *l = R->listeners;

		R->listeners = l->next;
		side_close(R, &l->s);
		free(l);
	}
	side_close(R, &R->front);
	side_close(R, &R->wake);
	close(R->ep);
	free(R);
}
