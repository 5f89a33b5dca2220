/*
 * fetch.h - roger local's fetcher: Marathon `fetch` entries into a task's
 * sandbox, the way the Mesos fetcher does it (internal to the agent).
 */
#ifndef ROGER_LOCAL_FETCH_H
#define ROGER_LOCAL_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct roger_ctx;
struct roger_err;
struct roger_extract_opts;

typedef bool (*roger_fetch_cancelled_fn)(void *data);

struct roger_fetch_opts {
	struct roger_ctx *ctx; /* may be NULL */
	const char *sandbox; /* absolute directory to fetch into */
	int log_fd; /* the fetcher's log lines go here; -1: none */
	/* The CA certificates https:// and ftps:// servers are checked
	 * against instead of the system's (PEM file); NULL: the system's. */
	const char *ca_file;
	/* Caps on what one archive (or a bare .gz) may extract: bytes of
	 * files, and entries; 0: ROGER_EXTRACT_DEFAULT_MAX_*, UINT64_MAX:
	 * none. */
	uint64_t max_extract_bytes, max_extract_entries;
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
 * https://, ftp://, ftps://, file:// or an absolute path.  The destination
 * (destPath, or the URI's basename) is written beneath the sandbox without
 * following symbolic links (ROGER_EINVALID when its path meets one), and
 * archives are extracted with roger_extract() under the caps of `o`.  On
 * failure the reason is in `err` (ROGER_EINTR when cancelled) and was
 * written to `log_fd`.  $ROGER_NO_OPENAT2 (through the context) forces the
 * O_NOFOLLOW walk instead of openat2(2), for tests.
 */
int roger_fetch_all(const json_t *fetch, const struct roger_fetch_opts *o,
		    struct roger_err *err);

/*
 * Unpack the tar (plain, gzip, bzip2 or xz) or zip (by its name's ending)
 * archive at `archive` into the directory `dir` with roger_extract()
 * (extract.h: what is refused, and nothing left behind on failure), with
 * the options `eo`, or the default caps when `eo` is NULL.
 */
int roger_fetch_extract(const char *archive, const char *dir,
			const struct roger_extract_opts *eo,
			struct roger_err *err);

#endif
