/*
 * http.h - one request/response type for every HTTP exchange of roger, in
 * two layers.
 *
 * The transport (struct roger_http) performs exactly one attempt of one
 * request against one absolute URL: no retries, no redirects, no defaults.
 * It is a vtable so that unit tests of pure logic can plug canned responses
 * (tests/fake_http.c); roger_http_curl_new() is the real one, over libcurl.
 *
 * The client (struct roger_http_client) is what modules use.  It is built
 * from a target and adds the policy: base URLs with failover (the one that
 * answered is remembered), credentials (HTTP Basic, DC/OS
 * "Authorization: token=...", or netrc), TLS verification with an optional
 * CA file, connect/total/idle timeouts, retries with exponential backoff and
 * jitter, redirects (including Mesos' protocol-relative "Location: //h:p/"),
 * "User-Agent: roger/VERSION", and at log level TRACE (-vv) one ready-to-run
 * curl command line per attempt with the secrets masked.
 *
 * Retry rules.  A request is retried (after a backoff) when the connection
 * failed before any byte of it was sent, whatever the method; when it was
 * reset or cut after it was sent, or answered 502/503/504 (a Marathon leader
 * election), only if it is idempotent (GET, HEAD, PUT, DELETE, OPTIONS by
 * default; POST and PATCH are not unless the request says so).  A reply
 * slower than the timeout is not retried.  A request whose streamed body was
 * already partly handed to the caller is never retried, nor is a refused
 * TLS certificate (retrying cannot change it).  Failover: a
 * connection failure moves on to the next base URL at once; the backoff
 * starts when every base URL of the round has failed.
 *
 * Outcome.  roger_http_client_send() returns 0 once any HTTP reply arrived,
 * whatever its status, or a callback returned ROGER_HTTP_STOP (resp->status
 * is 0 if that was before the reply).  Statuses are the caller's to judge,
 * with roger_http_client_status_err() for the common mapping (401/403
 * ROGER_EAUTH, 404 ROGER_ENOTFOUND, 409 ROGER_ECONFLICT, 400/422
 * ROGER_EINVALID, 502/503/504 ROGER_ENET, others ROGER_EHTTP).  Without a
 * reply it returns ROGER_ENET (unreachable, reset, timed out: one line naming
 * the URL, e.g. "timed out after 5 s waiting for 'http://h/v2/apps'"; a
 * caller that must tell a timeout apart reads resp->timed_out),
 * ROGER_EINVALID (a bad URL or CA file), ROGER_EINTR, ROGER_ENOMEM, or the
 * code a body callback returned.
 *
 * Credentials travel with every request of a client, including absolute
 * URLs and redirects, except over plain http when the client's base URL is
 * https (a downgrade never carries them).  Secrets never reach the log.
 */
#ifndef ROGER_HTTP_H
#define ROGER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "common.h"

ROGER_BEGIN_DECLS

struct roger_auth;
struct roger_ctx;
struct roger_err;
struct roger_target;

/* Returned by a body callback to end a transfer early without an error. */
#define ROGER_HTTP_STOP 1

/* Timeout value meaning "no limit" (0 means "the client's default"). */
#define ROGER_HTTP_NO_TIMEOUT (-1L)

/*
 * Body callback: `len` bytes of the body of a 2xx reply, in arrival order
 * and in chunks of any size.  Return 0 to go on, ROGER_HTTP_STOP to end the
 * transfer (the send then returns 0), or a negative code after setting
 * `err` to abort it (the send returns that code).
 */
typedef int (*roger_http_body_fn)(void *data, const char *chunk, size_t len,
				  struct roger_err *err);

struct roger_http_resp;
/*
 * Headers callback: the head of a reply has arrived, with its status and
 * headers in `resp` (its body not yet), for a caller that must act before
 * the body comes or while it may never come (a stream that stays quiet
 * until the caller sends something on another connection).  Called for
 * every reply head, redirects and errors included, in the transport's
 * thread.  Returns 0 to go on, or a negative code after setting `err` to
 * abort the transfer.
 */
typedef int (*roger_http_headers_fn)(void *data,
				     const struct roger_http_resp *resp,
				     long status, struct roger_err *err);
/*
 * Upload callback: copy up to `len` bytes into `buf`; return the count (0 at
 * the end) or a negative code after setting `err`.
 */
typedef long (*roger_http_read_fn)(void *data, char *buf, size_t len,
				   struct roger_err *err);
/* Restart an upload from its first byte (for retries); 0 or a negative code. */
typedef int (*roger_http_rewind_fn)(void *data, struct roger_err *err);
/*
 * Progress, about once a second even when nothing moves: byte counts so far
 * and expected (0 when unknown).  Returns like a body callback: 0 to go on,
 * ROGER_HTTP_STOP to end the transfer, or a negative code after setting
 * `err`.  It must not use the client it was called from (curl handles are
 * not reentrant); another client is fine.
 */
typedef int (*roger_http_progress_fn)(void *data, int64_t down_now,
				      int64_t down_total, int64_t up_now,
				      int64_t up_total, struct roger_err *err);

enum roger_http_idempotence {
	ROGER_HTTP_IDEMPOTENT_AUTO = 0, /* decided by the method */
	ROGER_HTTP_IDEMPOTENT_YES,
	ROGER_HTTP_IDEMPOTENT_NO,
};

enum roger_http_req_flags {
	ROGER_HTTP_NO_RETRY = 1 << 0, /* one attempt per base URL */
	ROGER_HTTP_NO_REDIRECT = 1 << 1, /* hand 3xx replies to the caller */
	ROGER_HTTP_EXPECT_CONTINUE = 1 << 2, /* "Expect: 100-continue" */
	ROGER_HTTP_NO_FAILOVER = 1 << 3, /* only the current base URL */
	/* Set by the client for the transport; callers leave them alone. */
	ROGER_HTTP_NETRC = 1 << 8, /* credentials from netrc */
};

struct roger_http_header {
	const char *name;
	const char *value;
};

/*
 * One request.  Everything is borrowed for the duration of the send.  Zero
 * (a designated initializer) is a sensible default for every field.
 */
struct roger_http_req {
	const char *method; /* NULL: GET */
	/*
	 * An absolute http(s) URL, or a path starting with '/' (query string
	 * included) that the client appends to its base URL.
	 */
	const char *url;
	const char *accept; /* Accept header; NULL: none */
	const char *content_type; /* Content-Type of the body; NULL: none */
	/* An in-memory body; body == NULL with body_len == 0 means none. */
	const char *body;
	size_t body_len;
	/* A streamed upload instead of `body` (push): read_fn != NULL. */
	roger_http_read_fn read_fn;
	roger_http_rewind_fn rewind_fn; /* NULL: the upload is never resent */
	void *read_data;
	int64_t upload_len; /* Content-Length; -1: chunked */
	const char *upload_name; /* shown as "-T NAME" in the curl trace */
	/* Extra headers, sent as given (an empty value removes a header). */
	const struct roger_http_header *headers;
	size_t n_headers;
	enum roger_http_idempotence idempotent;
	unsigned flags; /* enum roger_http_req_flags */
	/* In ms; 0: the client's default; ROGER_HTTP_NO_TIMEOUT: none. */
	long connect_timeout_ms;
	long timeout_ms;
	/*
	 * Fail (ROGER_ENET, "no data for N s") when no byte arrives for this
	 * long, checked about once a second; 0: no limit.  For streams that
	 * stay quiet but alive, like Marathon's events with a heartbeat.
	 */
	long idle_timeout_ms;
	/* Stream the body of a 2xx reply here instead of into resp->body. */
	roger_http_body_fn body_fn;
	void *body_data;
	roger_http_progress_fn progress_fn;
	void *progress_data;
	/* Cap on a buffered body in bytes; 0: 256 MiB. */
	size_t max_body;
	/* Told when each reply's head arrived; NULL: not told. */
	roger_http_headers_fn headers_fn;
	void *headers_data;
	/* Set by the client for the transport; callers leave them alone. */
	const char *ca_file;
	const char *netrc_file;
};

/*
 * One reply.  Initialize with ROGER_HTTP_RESP_INIT, release with
 * roger_http_resp_release().  A send resets it first, so it can be reused.
 */
struct roger_http_resp {
	long status; /* 0 when no reply arrived */
	struct roger_buf body; /* (of a 2xx: only without body_fn) */
	char *url; /* the URL that answered (after redirects) */
	int attempts; /* transport sends it took (retries, redirects) */
	/* What the transport observed, for the retry policy and messages. */
	bool sent; /* bytes of the request left this host */
	bool timed_out; /* the attempt ended on a timeout */
	bool final; /* retrying cannot help (a TLS certificate refused) */
	int64_t streamed; /* body bytes handed to body_fn */
	struct roger_buf headers_; /* "name\0value\0"... (use the accessors) */
};

#define ROGER_HTTP_RESP_INIT                                        \
	{                                                           \
		0, ROGER_BUF_INIT, NULL, 0, false, false, false, 0, \
			ROGER_BUF_INIT                              \
	}

ROGER_EXTERN void roger_http_resp_release(struct roger_http_resp *resp);
/* Forget the status, body, headers and flags, keeping the memory. */
ROGER_EXTERN void roger_http_resp_reset(struct roger_http_resp *resp);
/*
 * The value of the header `name` (case-insensitive) of the final reply, or
 * NULL.  Borrowed until the next reset.  A repeated header gives its last
 * value.
 */
ROGER_EXTERN const char *
roger_http_resp_header(const struct roger_http_resp *resp, const char *name);
/* Record a header (for transports).  0 or ROGER_ENOMEM. */
ROGER_EXTERN int roger_http_resp_add_header(struct roger_http_resp *resp,
					    const char *name, size_t name_len,
					    const char *value,
					    size_t value_len);
/* Whether the status is 2xx. */
ROGER_EXTERN bool roger_http_resp_ok(const struct roger_http_resp *resp);

/* ---- transport ----------------------------------------------------------- */

/*
 * A transport.  send() performs one attempt of `req`, whose url is absolute
 * and whose headers are complete, and fills `resp` (already reset): 0 when a
 * reply arrived whole (any status), else a negative code with resp->sent and
 * resp->timed_out telling how far it got.  No redirects are followed.
 */
struct roger_http {
	int (*send)(struct roger_http *h, const struct roger_http_req *req,
		    struct roger_http_resp *resp, struct roger_err *err);
	void (*free)(struct roger_http *h);
};

/*
 * The libcurl transport.  It keeps one connection cache, so consecutive
 * requests to a host reuse their connection (a non-idempotent request always
 * opens a fresh one, so that curl never resends it on a stale connection).
 * With ROGER_TRACE_HTTP=1 in the context's environment, curl's verbose
 * output goes to the log at level TRACE, with credentials masked.
 */
ROGER_EXTERN int roger_http_curl_new(struct roger_http **out,
				     struct roger_ctx *ctx,
				     struct roger_err *err);

/* Free a transport (NULL is fine). */
ROGER_EXTERN void roger_http_free(struct roger_http *h);

/* ---- client -------------------------------------------------------------- */

enum roger_http_service {
	ROGER_HTTP_MARATHON,
	ROGER_HTTP_MESOS,
	ROGER_HTTP_ARTIFACTS,
	ROGER_HTTP_METRONOME,
};

struct roger_http_client_opts {
	const char *name; /* "marathon": the service, for messages */
	const char *target_name; /* "prod": for hints; NULL when none */
	const char *const *bases; /* base URLs, in failover order */
	size_t n_bases;
	const struct roger_auth *auth; /* NULL: none (copied) */
	/* What a 401 message ends with ("; ..."); NULL: a hint by the kind
	 * of credentials. */
	const char *auth_hint;
	const char *ca_file; /* NULL: the system's trust store */
	long connect_timeout_ms; /* 0: 10 s */
	long timeout_ms; /* 0: 60 s */
	int max_retries; /* 0: 5; -1: none */
	long backoff_base_ms; /* 0: 500 */
	long backoff_max_ms; /* 0: 8000 */
};

struct roger_http_client;

/*
 * A client over `transport` (steals it, even on failure; NULL: a new curl
 * transport).  Everything in `opts` is copied.  ROGER_EINVALID when a base
 * URL is not http(s).
 */
ROGER_EXTERN int
roger_http_client_new(struct roger_http_client **out, struct roger_ctx *ctx,
		      const struct roger_http_client_opts *opts,
		      struct roger_http *transport, struct roger_err *err);

/*
 * A curl client for one service of a target: its Marathon URLs, its Mesos
 * master, its artifact store or its Metronome URLs, with its credentials and CA
 * file.  The store gets the Basic/token credentials only when it is on the same
 * origin as Marathon or Mesos (netrc always applies).  ROGER_EINVALID when the
 * target has no URL for that service; ROGER_ENET for the local target when
 * its roger local does not run (target->local_running).
 */
ROGER_EXTERN int roger_http_client_for_target(struct roger_http_client **out,
					      struct roger_ctx *ctx,
					      const struct roger_target *target,
					      enum roger_http_service service,
					      struct roger_err *err);

ROGER_EXTERN void roger_http_client_free(struct roger_http_client *c);

/* Send `req`; see the top of this file for the policy and the outcome. */
ROGER_EXTERN int roger_http_client_send(struct roger_http_client *c,
					const struct roger_http_req *req,
					struct roger_http_resp *resp,
					struct roger_err *err);

/* The base URL requests go to first: the last one that answered. Borrowed. */
ROGER_EXTERN const char *
roger_http_client_base(const struct roger_http_client *c);

/* The context the client logs through (borrowed). */
ROGER_EXTERN struct roger_ctx *
roger_http_client_ctx(const struct roger_http_client *c);

/*
 * Append to `out` the request `req` as the client would send it, as one
 * ready-to-run curl command line with the secrets masked (what -vv logs
 * for each attempt): for dry runs, which show a request instead of
 * sending it.  Nothing is sent.  0, ROGER_EINVALID (no URL) or
 * ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_http_client_describe(struct roger_buf *out,
					    struct roger_http_client *c,
					    const struct roger_http_req *req);

/*
 * Turn a reply into an error: the code by status (see the top of the file)
 * and one line naming the URL, the status, what the body says (a JSON
 * "message", an HTML title, the first line of text) and, for 401/403, a hint
 * about the target's credentials.  Returns the code (ROGER_EHTTP for a 2xx,
 * which a caller should not pass).
 */
ROGER_EXTERN int
roger_http_client_status_err(const struct roger_http_client *c,
			     const struct roger_http_resp *resp,
			     struct roger_err *err);

/*
 * Replace how the client waits between retries (tests: record instead of
 * sleeping).  The function returns 0, or ROGER_EINTR to give up.  NULL
 * restores the default, which sleeps and polls the context's interrupt flag.
 */
typedef int (*roger_http_sleep_fn)(void *data, long ms);
ROGER_EXTERN void roger_http_client_set_sleep_fn(struct roger_http_client *c,
						 roger_http_sleep_fn fn,
						 void *data);

/*
 * Change the limits of the requests that do not set their own, from now
 * on: the connect and total timeouts in ms (0 keeps the current one;
 * ROGER_HTTP_NO_TIMEOUT removes it) and the number of retries (0 keeps the
 * current one; -1: none).  For commands with a --timeout, and for
 * completion, which must answer at once or not at all.
 */
ROGER_EXTERN void roger_http_client_set_limits(struct roger_http_client *c,
					       long connect_timeout_ms,
					       long timeout_ms,
					       int max_retries);

/* ---- helpers ------------------------------------------------------------- */

/* Whether `method` is idempotent by default (GET HEAD PUT DELETE OPTIONS). */
ROGER_EXTERN bool roger_http_method_idempotent(const char *method);

/*
 * The delay before retry number `retry` (1-based): exponential from
 * `base_ms`, capped at `max_ms`, with "equal jitter" (half fixed, half
 * random) drawn from `random`.
 */
ROGER_EXTERN long roger_http_backoff_ms(int retry, long base_ms, long max_ms,
					uint32_t random);

/*
 * Resolve the reference `ref` (a Location header: absolute, "//host:port/p",
 * "/path" or relative) against the absolute URL `base` into a new string.
 * ROGER_EINVALID when `base` is not an absolute http(s) URL.
 */
ROGER_EXTERN int roger_http_resolve_url(char **out, const char *base,
					const char *ref, struct roger_err *err);

/*
 * Append `url` to `out` with any password in it ("user:pass@") masked as
 * "***", so that it may be shown.
 */
ROGER_EXTERN int roger_http_mask_url(struct roger_buf *out, const char *url);

/*
 * A short, one-line, printable summary of an error body: the JSON
 * "message" (with a string "details"), an HTML page's title, or the first
 * line of text; at most `max` bytes.  Empty when there is nothing useful.
 */
ROGER_EXTERN int roger_http_body_summary(struct roger_buf *out,
					 const char *content_type,
					 const char *body, size_t len,
					 size_t max);

/* Percent-encode `s` for a URL query value or path segment into `out`. */
ROGER_EXTERN int roger_http_escape(struct roger_buf *out, const char *s);

ROGER_END_DECLS

#endif
