/*
 * router.h - roger local's router (internal; see router.c): what the
 * server starts and stops, what the scheduler asks before killing a task,
 * and the pure parsing of the HTTP front (router-http.c) that unit tests
 * and the fuzz harness drive directly.
 */
#ifndef ROGER_LOCAL_ROUTER_H
#define ROGER_LOCAL_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct roger_local;
struct roger_local_task;
struct roger_err;

/* ---- router-http.c: pure ------------------------------------------------------ */

/* The longest request head the HTTP front reads before answering 431. */
#define ROGER_ROUTER_HEAD_MAX 16384

/* What the front needs of a request head; pointers into the caller's bytes. */
struct roger_router_head {
	size_t len; /* bytes of the head, its blank line included */
	const char *host; /* the Host header's value, or NULL */
	size_t host_len;
	const char *app_id; /* X-Marathon-App-Id's value, or NULL */
	size_t app_id_len;
};

/*
 * Parse the request head at the start of `buf` (`n` bytes): 1 when it is
 * complete (*h filled), 0 when more bytes are needed, -1 when it is not a
 * request head the front forwards (no request line, a header line without
 * a colon, a folded line, a NUL).
 */
int roger_router_head_parse(struct roger_router_head *h, const char *buf,
			    size_t n);

/*
 * The head to send a task: the head parsed into `h` without its
 * Connection, Keep-Alive and Proxy-Connection headers and with
 * "Connection: close", so that every request picks its task afresh (and
 * a drained task sees its connection end with the answer).  New buffer
 * of *out_len bytes, or NULL when out of memory.
 */
char *roger_router_head_rewrite(const char *buf,
				const struct roger_router_head *h,
				size_t *out_len);

/*
 * The app id a `Host` names: "hello.web.localhost[:port]" -> "/web/hello"
 * (labels reversed, as a DNS name of a Marathon path).  False when the
 * host is not a name under "localhost" made of [a-z0-9-] labels or the id
 * does not fit `size`.  The comparison ignores case.
 */
bool roger_router_host_app(char *out, size_t size, const char *host,
			   size_t host_len);

/*
 * The host of a Host header, lower-cased, without its port ("Web.Example:80"
 * -> "web.example"), in `out`; false when it does not fit or is empty.
 */
bool roger_router_host_name(char *out, size_t size, const char *host,
			    size_t host_len);

/* ---- router.c ------------------------------------------------------------------ */

struct roger_local_router;

/*
 * Start the router's thread: the HTTP front on 127.0.0.1:`front_port` (a
 * free one when taken; 0: any) and a listener per service port of the
 * apps of `L`, kept in step with them.  Service ports are taken from
 * L's apps as they are; listening only on loopback.
 */
int roger_local_router_start(struct roger_local_router **out,
			     struct roger_local *L, int front_port,
			     struct roger_err *err);
/* The port the HTTP front listens on. */
int roger_local_router_front_port(const struct roger_local_router *R);
/* Look at the apps again now (their service ports changed). */
void roger_local_router_kick(struct roger_local_router *R);
/* Stop the thread, close every connection and listener, free. */
void roger_local_router_stop(struct roger_local_router *R);
/*
 * Whether connections the router opened to `t` are still open (L->lock
 * held).  The router counts a connection under L->lock when it picks a
 * task, and never picks one the scheduler decided to kill: once this says
 * false for such a task, it gets no more connections.
 */
bool roger_local_router_busy(const struct roger_local_router *R,
			     const struct roger_local_task *t);

#endif
