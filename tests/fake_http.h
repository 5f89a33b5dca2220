/*
 * fake_http.h - a transport with canned replies, for unit tests of pure
 * logic above the HTTP layer (retry policy, redirects, the Marathon client,
 * the deploy watch).  It records every request it is sent.
 *
 * The state outlives the client that owns the transport: the client's free
 * only detaches it, and the test frees it with fake_http_free() at the end.
 */
#ifndef ROGER_TEST_FAKE_HTTP_H
#define ROGER_TEST_FAKE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/http.h"

struct fake_reply {
	long status; /* ignored when fail is set */
	const char *body; /* NULL: empty */
	size_t body_len; /* 0: strlen(body) */
	const char *headers; /* "Name: value\n..." */
	int fail; /* a negative code: the attempt fails */
	bool sent; /* with fail: the request had left */
	bool timed_out; /* with fail */
	const char *message; /* with fail: the error message */
};

struct fake_request {
	char *method;
	char *url;
	char *headers; /* "Name: value\n" for each header, in order */
	char *body;
	size_t body_len;
	long connect_timeout_ms, timeout_ms, idle_timeout_ms;
	unsigned flags;
	int idempotent;
};

struct fake_http {
	struct roger_http base;
	struct fake_reply *replies; /* a queue; copies of what was pushed */
	size_t n_replies, next;
	struct fake_request *requests;
	size_t n_requests;
	size_t chunk; /* body_fn chunk size; 0: the whole body at once */
	bool detached;
	char *owned[256]; /* strings copied by fake_http_push_file */
	size_t n_owned;
};

/* A new fake; give &f->base to roger_http_client_new(). */
struct fake_http *fake_http_new(void);
/* Free the state (after the client that owns the transport is gone). */
void fake_http_free(struct fake_http *f);
/* Queue a reply (copied; its strings are borrowed). */
void fake_http_push(struct fake_http *f, const struct fake_reply *r);
/* Queue a reply whose body is the file `path` (aborts the test if missing). */
void fake_http_push_file(struct fake_http *f, long status, const char *path,
			 const char *headers);
/* Header `name` of recorded request `i`, or NULL (a static buffer). */
const char *fake_http_req_header(const struct fake_http *f, size_t i,
				 const char *name);

#endif
