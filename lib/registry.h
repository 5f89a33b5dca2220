/*
 * registry.h - a client of the container registry API (the OCI
 * distribution API, Docker registry v2), over the HTTP client of http.h.
 *
 * One struct roger_registry talks to one registry (one API base URL) with
 * one set of credentials.  It pings (GET /v2/), reads and writes manifests
 * (by tag or digest, Accept negotiation as the contract's client rule
 * says, digests checked against the bytes), checks, downloads (streamed,
 * digest-checked, to a file atomically), mounts and uploads blobs
 * (monolithic PUT or chunked PATCH, always following the latest Location),
 * and authenticates as the registry asks: HTTP Basic, or the Bearer token
 * flow (WWW-Authenticate challenge, a token fetched from the realm with
 * the Basic credentials if any, kept per scope while it is valid, fetched
 * again when a request needs a scope it does not cover).
 *
 * Errors name the registry, the operation and the subject, and carry the
 * registry's error envelope in one line ("MANIFEST_UNKNOWN: manifest
 * unknown (...)"): 401/403 ROGER_EAUTH (exit 4), 404 ROGER_ENOTFOUND,
 * unreachable, 429 and 5xx ROGER_ENET (exit 4), an invalid name or tag
 * ROGER_EINVALID (exit 3), an HTML page instead of the API, a digest
 * mismatch and anything else unexpected ROGER_EHTTP.  Idempotent requests
 * are retried by the HTTP client (connection failures, 502/503/504);
 * uploads, which the registry cannot resume reliably (contract section
 * 4), are restarted from the first byte in a new session instead.
 *
 * A struct roger_registry_pool hands out one client per registry host,
 * with the credentials that apply there (see roger_registry_pool_new).
 *
 * Secrets (passwords, tokens) are kept only in the client, wiped when it
 * is freed, masked in the request trace, and never put in a message.
 */
#ifndef ROGER_REGISTRY_H
#define ROGER_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "http.h"
#include "oci.h"

ROGER_BEGIN_DECLS

struct roger_buf;
struct roger_ctx;
struct roger_err;
struct roger_registry;
struct roger_registry_pool;

/* Credentials for one registry (borrowed where passed in). */
struct roger_registry_auth {
	const char *user; /* with password: HTTP Basic, or for the realm */
	const char *password;
	const char *token; /* a bearer token sent as is (no token flow) */
};

/*
 * Upload progress: `sent` bytes of blob `digest` (`total` bytes) are out,
 * called about once a second and at the end of each request; a restarted
 * upload starts again from 0.
 */
typedef void (*roger_registry_progress_fn)(void *data, const char *digest,
					   uint64_t sent, uint64_t total);

struct roger_registry_opts {
	const char *url; /* the API base: "https://host[:port]" (required) */
	const struct roger_registry_auth *auth; /* NULL: anonymous (copied) */
	/* Where the credentials came from, for messages ("the environment"). */
	const char *auth_source;
	/* Said with a refusal when there are no credentials: why (copied). */
	const char *auth_note;
	const char *ca_file; /* NULL: the system's trust store */
	long connect_timeout_ms; /* 0: the HTTP client's defaults */
	long timeout_ms;
	int max_retries; /* 0: 5; -1: none (also upload restarts) */
	long backoff_base_ms; /* 0: 500 */
	long backoff_max_ms; /* 0: 8000 */
	/* Blobs larger than this go in PATCH chunks of this size; 0: 16 MiB. */
	size_t chunk_size;
	struct roger_http *transport; /* NULL: curl (stolen, even on failure) */
	roger_registry_progress_fn progress_fn; /* NULL: none */
	void *progress_data;
};

/*
 * A client for the registry at o->url.  ROGER_EINVALID when the URL is not
 * http(s), or when credentials would be sent over plain http to a host
 * that is not loopback (the contract: Basic only over TLS, or on
 * 127.0.0.1/localhost/::1).
 */
ROGER_EXTERN int roger_registry_new(struct roger_registry **out,
				    struct roger_ctx *ctx,
				    const struct roger_registry_opts *o,
				    struct roger_err *err);
ROGER_EXTERN void roger_registry_free(struct roger_registry *r);

/* "host:port" of the registry, as references name it (borrowed). */
ROGER_EXTERN const char *roger_registry_host(const struct roger_registry *r);

/*
 * GET /v2/: 0 when the registry answers as a v2 registry (200, or 401
 * with a challenge we can meet, which is then met); an error otherwise
 * (not a registry, an HTML page, refused credentials).
 */
ROGER_EXTERN int roger_registry_ping(struct roger_registry *r,
				     struct roger_err *err);

/*
 * GET a manifest or index of `repo` by tag or digest (`ref`), asking for
 * every type roger reads.  The body is appended to `body`, its media type
 * (the Content-Type, parameters removed) is a new string in *media_type,
 * its digest (SHA-256 of the bytes) goes to digest[ROGER_DIGEST_SIZE].
 * Fetched by digest, the bytes must hash to it; by tag, they must match
 * the Docker-Content-Digest header when there is one (ROGER_EHTTP
 * otherwise).  ROGER_ENOTFOUND for an unknown tag or repository.
 */
ROGER_EXTERN int roger_registry_manifest_get(struct roger_buf *body,
					     char **media_type, char *digest,
					     struct roger_registry *r,
					     const char *repo, const char *ref,
					     struct roger_err *err);

/*
 * HEAD a manifest: *exists, and its digest (Docker-Content-Digest) in
 * digest[ROGER_DIGEST_SIZE] ("" when the registry did not send one).
 */
ROGER_EXTERN int roger_registry_manifest_head(bool *exists, char *digest,
					      struct roger_registry *r,
					      const char *repo, const char *ref,
					      struct roger_err *err);

/*
 * PUT `len` bytes of a manifest of type `media_type` to `repo` under
 * `ref` (a tag, or the bytes' own digest).  Every blob it names must be in
 * `repo` already.  The digest the registry reports must be the bytes'.
 */
ROGER_EXTERN int roger_registry_manifest_put(struct roger_registry *r,
					     const char *repo, const char *ref,
					     const char *media_type,
					     const char *body, size_t len,
					     struct roger_err *err);

/* HEAD a blob of `repo`: *exists, and its size when it does (may be NULL). */
ROGER_EXTERN int roger_registry_blob_head(bool *exists, int64_t *size,
					  struct roger_registry *r,
					  const char *repo, const char *digest,
					  struct roger_err *err);

/*
 * GET a blob of `repo` into the file `path`: written to a temporary file
 * beside it, checked against `digest` (and `size` when >= 0), then
 * renamed into place.  A mismatch removes the temporary file and fails
 * (ROGER_EHTTP), so nothing unverified is ever left at `path`.  A download
 * cut in the middle starts again (up to max_retries).  Redirects are
 * followed, without the registry's credentials when they leave its host.
 */
ROGER_EXTERN int roger_registry_blob_fetch(struct roger_registry *r,
					   const char *repo, const char *digest,
					   int64_t size, const char *path,
					   struct roger_err *err);

/*
 * Mount blob `digest` of repository `from` into `repo` (same registry):
 * *mounted is true when the registry linked it (201); when it opened an
 * upload session instead (202: it does not have the blob in `from`, or
 * refuses), the session is cancelled and *mounted is false.
 */
ROGER_EXTERN int roger_registry_blob_mount(bool *mounted,
					   struct roger_registry *r,
					   const char *repo, const char *digest,
					   const char *from,
					   struct roger_err *err);

/*
 * Upload a blob of `size` bytes to `repo`: from the file `path`, or from
 * `data` when `path` is NULL.  Up to the chunk size in one PUT, else in
 * PATCH chunks and an empty PUT.  A failure restarts the upload in a new
 * session (after checking whether the blob arrived after all), up to
 * max_retries times.  The registry must report `digest`.
 */
ROGER_EXTERN int roger_registry_blob_upload(struct roger_registry *r,
					    const char *repo,
					    const char *digest, int64_t size,
					    const char *path, const void *data,
					    struct roger_err *err);

/* ---- auth, as data (exposed for tests and fuzzing) ----------------------- */

/* A parsed WWW-Authenticate header (its first Bearer or Basic challenge). */
struct roger_registry_challenge {
	char scheme[16]; /* "Bearer" or "Basic" ("" when none) */
	char *realm;
	char *service;
	char *scope; /* space-separated scopes, or NULL */
	char *error; /* "invalid_token"..., or NULL */
};

/*
 * Parse a WWW-Authenticate value: auth-params as token=token or
 * token="quoted string" (with backslash escapes), several challenges
 * separated by commas.  The Bearer challenge wins over a Basic one.
 * ROGER_EINVALID when there is neither or the syntax is broken.
 */
ROGER_EXTERN int
roger_registry_challenge_parse(struct roger_registry_challenge *out,
			       const char *header, struct roger_err *err);
ROGER_EXTERN void
roger_registry_challenge_release(struct roger_registry_challenge *c);

/* Credentials found somewhere, owned (wiped by the release). */
struct roger_registry_creds {
	char *user;
	char *password;
	char *token;
	char *note; /* why there are none, when that is worth saying */
};

ROGER_EXTERN void roger_registry_creds_release(struct roger_registry_creds *c);

/*
 * The credentials of Docker's config.json text (`path` for messages) for
 * registry `host` ("host:port", or "docker.io"): the "auths" entry whose
 * key, scheme and path removed, is the host (Docker Hub's keys
 * "https://index.docker.io/v1/", "index.docker.io" and "docker.io" all
 * count for docker.io), with "auth" (base64 of user:password) or
 * "username" and "password", or "registrytoken".  Credential helpers
 * ("credsStore", "credHelpers") are not run: when one holds the host's
 * credentials, out->note says so.  Nothing found is not an error.
 * ROGER_EINVALID for a file that is not JSON or an "auth" that does not
 * decode (naming the path and the key, never the value).
 */
ROGER_EXTERN int roger_registry_docker_config_creds(
	struct roger_registry_creds *out, const char *text, size_t len,
	const char *path, const char *host, struct roger_err *err);

/* ---- the pool ------------------------------------------------------------ */

struct roger_registry_pool_opts {
	/*
	 * Registries roger knows the URL of ("https://reg.example.com",
	 * "http://127.0.0.1:5000"), NULL-terminated; the first one is the
	 * target's, the one images are pushed to.  Others are reached over
	 * https, except loopback hosts (localhost, 127.0.0.1, ::1) over
	 * plain http, which is also how Mesos picks (contract section 12).
	 */
	const char *const *urls;
	/* The target's registry.auth, for urls[0] (copied). */
	const struct roger_registry_auth *target_auth;
	/* Docker's config.json; NULL: $DOCKER_CONFIG/config.json or
	 * ~/.docker/config.json; "": none. */
	const char *docker_config;
	/*
	 * The CA certificates of the registries of `urls` (any other is
	 * checked against the system's trust store); NULL: the system's.
	 */
	const char *ca_file;
	/* Applied to every client (see struct roger_registry_opts). */
	long connect_timeout_ms;
	long timeout_ms;
	int max_retries;
	long backoff_base_ms;
	long backoff_max_ms;
	size_t chunk_size;
	roger_registry_progress_fn progress_fn;
	void *progress_data;
};

/*
 * A pool.  Credentials by host: for the target's registry (urls[0]),
 * ROGER_REGISTRY_TOKEN, or ROGER_REGISTRY_USER with
 * ROGER_REGISTRY_PASSWORD, from the context's environment, else
 * target_auth, else Docker's config.json; for any other registry only
 * Docker's config.json (roger never sends the target's secrets
 * elsewhere).  ROGER_EINVALID for a URL that is not http(s), a user
 * without a password in the environment, or an unreadable config.json.
 */
ROGER_EXTERN int
roger_registry_pool_new(struct roger_registry_pool **out, struct roger_ctx *ctx,
			const struct roger_registry_pool_opts *o,
			struct roger_err *err);
ROGER_EXTERN void roger_registry_pool_free(struct roger_registry_pool *p);

/*
 * The client for `registry` (a reference's registry: "docker.io",
 * "host:port"), made on first use and kept (borrowed until the pool is
 * freed).
 */
ROGER_EXTERN int roger_registry_pool_get(struct roger_registry **out,
					 struct roger_registry_pool *p,
					 const char *registry,
					 struct roger_err *err);

/* The API base URL the pool uses for `registry`, as a new string. */
ROGER_EXTERN int roger_registry_pool_url(char **out,
					 const struct roger_registry_pool *p,
					 const char *registry);

ROGER_END_DECLS

#endif
