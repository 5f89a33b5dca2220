/*
 * api-client.h - what the clients of Marathon's and Metronome's JSON APIs
 * (marathon-client.c, metronome-client.c) share; not installed.
 *
 * Each client is a struct whose first member is a struct roger_api_client:
 * the context, the HTTP client it owns, and the source of its target that
 * error messages name.  The calls are the same sequence in both: send,
 * turn a non-2xx reply into the API's own explanation (a function of each
 * API, given here as `explain`), parse a 2xx reply and, when that fails,
 * name the URL it came from.
 */
#ifndef ROGER_API_CLIENT_H
#define ROGER_API_CLIENT_H

#include <stddef.h>

#include "http.h"

struct roger_ctx;
struct roger_err;

struct roger_api_client {
	struct roger_ctx *ctx; /* borrowed */
	struct roger_http_client *http; /* owned */
	char *source; /* where the target came from, or NULL (owned) */
};

/*
 * A new zeroed client of `size` bytes (the struct that begins with a
 * struct roger_api_client), holding `ctx` and `http`.  Steals `http`: it
 * is freed on failure too.  NULL (ROGER_ENOMEM in `err`) when out of
 * memory.  Release it with roger_api_client_release(), then free() it.
 */
void *roger_api_client_new(size_t size, struct roger_ctx *ctx,
			   struct roger_http_client *http,
			   struct roger_err *err);
/* Free what `c` owns (not `c`); NULL is fine. */
void roger_api_client_release(struct roger_api_client *c);
/* Replace the source (copied; NULL: none); ROGER_ENOMEM. */
int roger_api_client_set_source(struct roger_api_client *c, const char *source);

/*
 * The API's explanation of a non-2xx reply, `url` its masked URL: 0 when
 * the body explains nothing (the HTTP client's mapping by status is used
 * then), else the error it set.
 */
typedef int (*roger_api_explain_fn)(struct roger_err *err,
				    const struct roger_http_resp *resp,
				    const char *url, void *data);

/* The error of a non-2xx `resp`, as `explain` or, failing that, the HTTP
 * client gives it. */
int roger_api_client_reply_err(struct roger_api_client *c,
			       const struct roger_http_resp *resp,
			       roger_api_explain_fn explain, void *data,
			       struct roger_err *err);
/* Send `h`: 0 with the reply in `resp` for a 2xx, else the error of the
 * transport or of roger_api_client_reply_err(). */
int roger_api_client_send(struct roger_api_client *c,
			  const struct roger_http_req *h,
			  struct roger_http_resp *resp,
			  roger_api_explain_fn explain, void *data,
			  struct roger_err *err);
/* `rc` as is, with " (from 'URL')" added to `err` when it is a failure
 * (of parsing `resp`), so that the message names the server. */
int roger_api_from_url(struct roger_err *err,
		       const struct roger_http_resp *resp, int rc);

/*
 * `out` as the HTTP view of an API request (borrowing the strings): the
 * body, when there is one, as application/json.
 */
void roger_api_req_http(struct roger_http_req *out, const char *method,
			const char *path, const char *accept, const char *body,
			enum roger_http_idempotence idempotent);
/* Free a request's path and body and set them to NULL. */
void roger_api_req_release(char **path, char **body);

#endif
