/*
 * store.h - artifact stores: where an artifact lives and how it gets there.
 *
 * A store is the base URL of a target's "artifacts" setting (always ending
 * in '/'): an http(s) server that accepts PUT (nginx WebDAV, Artifactory,
 * Nexus, roger local's /artifacts/), or a file:// directory shared with the
 * agents.  Artifacts are content-addressed: the artifact with digest D of
 * the app "/web/hello" is <store>web/hello/D.tar.gz, the URL that roger
 * deploy puts into the Marathon fetch entry.
 *
 * Pushing is idempotent and cheap when there is nothing to do: one request
 * (HEAD, or a stat(2) for file://) tells whether the store already holds
 * an object of that name with the artifact's size and, where the store
 * reports one, its SHA-256; then nothing is sent.  Since the name is the
 * digest, an object of the right size is trusted to be the artifact unless
 * the store says otherwise.  That is safe because no store roger supports
 * makes a partial upload visible under its name: nginx's WebDAV module,
 * Artifactory, Nexus and roger local write the body to a temporary file
 * and rename it when the body is complete, and the file:// store does the
 * same here.  A store that did show a cut upload would show it shorter,
 * which the size check catches.
 */
#ifndef ROGER_STORE_H
#define ROGER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_artifact;
struct roger_ctx;
struct roger_err;
struct roger_http_client;
struct roger_http_resp;
struct roger_target;

/*
 * The URL of the artifact `sha256` (64 lower-case hex digits) of the app
 * `app_id` (absolute, as "/web/hello") in the store `store_base` (ending in
 * '/'), as a new string in *out:
 * "https://a.example.com/roger/web/hello/<sha256>.tar.gz". Pure. ROGER_EINVALID
 * for a digest or app id of the wrong shape, ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_store_artifact_url(char **out, const char *store_base,
					  const char *app_id,
					  const char *sha256,
					  struct roger_err *err);

/*
 * Upload progress: `sent` bytes of `total` so far.  A retried upload
 * starts again from 0.  Called often (at most a few hundred times a
 * second); rate-limit any drawing.
 */
typedef void (*roger_store_progress_fn)(void *data, uint64_t sent,
					uint64_t total);

struct roger_store_push_opts {
	/*
	 * Dry run: still ask the store whether it holds the artifact (a HEAD
	 * or a stat, which change nothing), then describe the upload in
	 * result->request instead of doing it.
	 */
	bool dry_run;
	roger_store_progress_fn progress_fn; /* may be NULL */
	void *progress_data;
	/*
	 * The HTTP client to use for an http(s) store (borrowed); NULL: one
	 * for the target's store (roger_http_client_for_target), with its
	 * credentials and CA file.
	 */
	struct roger_http_client *client;
};

struct roger_store_result {
	char *url; /* the artifact's URL in the store: the fetch URI */
	bool skipped; /* the store held it already: nothing was sent */
	bool replaced; /* the store held something else under the name */
	/*
	 * Dry run only, when the artifact would be uploaded: the upload, as
	 * a curl command line with secrets masked (http) or as a sentence
	 * naming the source and the destination (file://).
	 */
	char *request;
	uint64_t size; /* the artifact's size in bytes */
	uint64_t bytes_sent; /* bytes of it handed over, retries included */
	int attempts; /* upload attempts; 0 when none was made */
	int64_t elapsed_ms; /* how long the push took, the check included */
};

#define ROGER_STORE_RESULT_INIT                      \
	{                                            \
		NULL, false, false, NULL, 0, 0, 0, 0 \
	}

/* Free what a result holds and zero it (NULL is fine). */
ROGER_EXTERN void roger_store_result_release(struct roger_store_result *r);

/*
 * Check that target `t` has an artifact store roger can push to (http://,
 * https:// or a well-formed file:// URL), without touching it: for
 * commands that want to fail before building.  0 or ROGER_EINVALID.
 */
ROGER_EXTERN int roger_store_check_target(const struct roger_target *t,
					  struct roger_err *err);

/*
 * Push the artifact `a` of the app `app_id` to the store of target `t`
 * (t->artifacts), filling *out (which the caller releases, also on
 * failure: the URL is set as soon as it is known).
 *
 * http(s): HEAD of the URL; unless it shows the artifact (200 with its
 * Content-Length and no disagreeing digest header), a streamed PUT with
 * Content-Length, "Expect: 100-continue", "Content-Type:
 * application/gzip" and "X-Checksum-Sha256" (Artifactory checks the body
 * against it), retried with backoff by the HTTP client on connection
 * failures, resets and 502/503/504, restarting from the first byte; an
 * upload that stops moving for 60 s is cut and retried.  Then a HEAD must
 * show the whole object.  file://: the store's directory must exist; the
 * app's directories below it are created (0755), the artifact is copied to
 * a temporary file in its final directory, fsynced, made 0644 and renamed
 * into place, so concurrent pushes of one artifact are safe and a reader
 * never sees a partial file.
 *
 * Errors: ROGER_EINVALID (no store, a URL that is not http(s) or file://),
 * ROGER_ENET (unreachable, or unavailable after the retries),
 * ROGER_EAUTH (HTTP 401/403, or no permission on the directory),
 * ROGER_ENOTFOUND (the file:// directory is missing), ROGER_EHTTP (any
 * other refusal, with a message that says what 405, 409, 413 and 507
 * mean; or an upload the store answered 2xx to but does not hold whole),
 * ROGER_EIO, ROGER_EINTR, ROGER_ENOMEM.
 */
ROGER_EXTERN int
roger_store_push(struct roger_store_result *out, struct roger_ctx *ctx,
		 const struct roger_target *t, const char *app_id,
		 const struct roger_artifact *a,
		 const struct roger_store_push_opts *o, struct roger_err *err);

/* ---- pure helpers (exposed for tests) ------------------------------------ */

enum roger_store_state {
	ROGER_STORE_ABSENT, /* not there (404, 410) */
	ROGER_STORE_PRESENT, /* there with the size, no digest disagrees */
	ROGER_STORE_MISMATCH, /* something else: another size or digest */
	ROGER_STORE_UNKNOWN, /* the reply cannot tell (no length, 405) */
	ROGER_STORE_REFUSED, /* any other status: an error to report */
};

/*
 * Judge a reply to a HEAD of the artifact of `size` bytes and digest
 * `sha256` (hex).  When not NULL, `why` receives a short reason for
 * MISMATCH ("the store has 12 bytes, the artifact 34").
 */
ROGER_EXTERN enum roger_store_state
roger_store_head_state(const struct roger_http_resp *resp, uint64_t size,
		       const char *sha256, char *why, size_t why_size);

/*
 * The SHA-256 a reply reports for its object, as 64 lower-case hex digits
 * in `out`: from X-Checksum-Sha256 (Artifactory; hex), x-amz-checksum-sha256
 * (base64), Digest (RFC 3230, "SHA-256=<base64>") or Repr-Digest and
 * Content-Digest (RFC 9530, "sha-256=:<base64>:").  ETags are never read:
 * their format is the server's (nginx: mtime and size; Nexus: SHA-1).
 * Returns whether one was found and well-formed.
 */
ROGER_EXTERN bool roger_store_reply_sha256(char out[65],
					   const struct roger_http_resp *resp);

/*
 * The directory path of a file:// store URL ("file:///srv/a%20b/" ->
 * "/srv/a b/"), as a new string.  The host must be empty or "localhost".
 * ROGER_EINVALID otherwise, ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_store_file_path(char **out, const char *url,
				       struct roger_err *err);

ROGER_END_DECLS

#endif
