/*
 * registry-server.h - roger local's own container registry: the
 * distribution API (OCI distribution, Docker registry v2) on a loopback
 * port of its own, with blobs in the state directory (internal to roger
 * local; registry-server.c says what of docker-registry 2.8 it copies).
 *
 * The request handling is a function of a request struct and the storage
 * directory, apart from the HTTP server, so that the fuzzing harness
 * drives it without sockets.
 */
#ifndef ROGER_LOCAL_REGISTRY_SERVER_H
#define ROGER_LOCAL_REGISTRY_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"

struct roger_ctx;
struct roger_err;
struct roger_local_registry;

/* A request, as the HTTP layer read it (everything borrowed). */
struct roger_registry_req {
	const char *method;
	const char *path; /* decoded, without the query */
	json_t *query; /* [[name, value], ...] */
	const char *host; /* the Host header, for Location */
	const char *authorization;
	const char *content_type;
	const char *accept; /* every Accept header, joined by ", " */
	const char *if_none_match;
	const char *body; /* in memory (manifests), or */
	size_t body_len;
	int body_fd; /* a file holding it (blob uploads), -1 */
};

struct roger_registry_resp {
	int status;
	const char *content_type; /* static */
	struct roger_buf body;
	json_t *headers; /* {name: value} */
	int fd; /* >= 0: send this file as the body */
};

void roger_registry_resp_init(struct roger_registry_resp *rs);
void roger_registry_resp_release(struct roger_registry_resp *rs);

/*
 * A registry over the storage directory `dir` (created), answering only
 * requests for loopback hosts on `port` that carry `token` (see
 * registry-server.c for the forms accepted).  No listener: for the
 * fuzzing harness and roger_local_registry_start().
 */
int roger_local_registry_new(struct roger_local_registry **out,
			     struct roger_ctx *ctx, const char *dir, int port,
			     const char *token, struct roger_err *err);
void roger_local_registry_free(struct roger_local_registry *R);

/* Answer one request (never fails: errors are responses). */
void roger_local_registry_handle(struct roger_local_registry *R,
				 const struct roger_registry_req *rq,
				 struct roger_registry_resp *rs);

/*
 * Serve the registry on 127.0.0.1:`port` (another free port when it is
 * taken, 0 for any): *bound is the port.  Stop with
 * roger_local_registry_free().
 */
int roger_local_registry_listen(struct roger_local_registry *R, int port,
				int *bound, struct roger_err *err);

#endif
