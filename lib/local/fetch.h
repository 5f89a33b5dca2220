/*
 * fetch.h - roger local's fetcher: Marathon `fetch` entries into a task's
 * sandbox, the way the Mesos fetcher does it (internal to the agent).
 */
#ifndef ROGER_LOCAL_FETCH_H
#define ROGER_LOCAL_FETCH_H

#include <stdbool.h>

#include <jansson.h>

struct roger_ctx;
struct roger_err;

typedef bool (*roger_fetch_cancelled_fn)(void *data);

struct roger_fetch_opts {
	struct roger_ctx *ctx;   /* may be NULL */
	const char *sandbox;     /* absolute directory to fetch into */
	int log_fd;              /* the fetcher's log lines go here; -1: none */
	/* The CA certificates https:// and ftps:// servers are checked
	 * against instead of the system's (PEM file); NULL: the system's. */
	const char *ca_file;
	/* roger local's own port and token: an http:// URI on 127.0.0.1,
	 * localhost or [::1] at `own_port` is fetched with "Authorization:
	 * token=<token>" and without following redirects; no other URI ever
	 * gets the token.  token NULL: none. */
	int own_port;
	const char *token;
	roger_fetch_cancelled_fn cancelled; /* polled while working; NULL */
	void *data;
};

/*
 * Fetch every entry of `fetch` (Marathon's array of {uri, extract,
 * executable, cache, destPath}; a bare string counts as {uri}) into the
 * sandbox, in order, stopping at the first failure.  `uri` may be http://,
 * https://, ftp://, ftps://, file:// or an absolute path.  On failure the
 * reason is in `err` (ROGER_EINTR when cancelled) and was written to
 * `log_fd`.
 */
int roger_fetch_all(const json_t *fetch, const struct roger_fetch_opts *o,
		    struct roger_err *err);

enum roger_fetch_extract_flags {
	/* Do not give the extracting thread its own working directory;
	 * name every entry by its absolute path instead (the fallback for
	 * systems that refuse unshare(CLONE_FS); exposed for tests). */
	ROGER_FETCH_EXTRACT_ABSOLUTE = 1 << 0,
};

/*
 * Unpack the tar (plain, gzip, bzip2 or xz) or zip archive at `archive`
 * into the directory `dir`, refusing the whole archive at the first unsafe
 * entry: an absolute name, a `..` component, a symbolic link that leads
 * out of `dir`, a hard link to a name outside it, a device, FIFO or socket,
 * or any entry that would be written through a symbolic link.  Set-id and
 * sticky bits and group/other write permission are dropped.  An archive
 * refused half-way may leave the entries before the bad one behind.
 */
int roger_fetch_extract(const char *archive, const char *dir, int flags,
			roger_fetch_cancelled_fn cancelled, void *data,
			struct roger_err *err);

#endif
