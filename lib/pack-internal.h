/*
 * pack-internal.h - what pack.c shares with pack-walk.c and run.c (not
 * installed).
 */
#ifndef ROGER_PACK_INTERNAL_H
#define ROGER_PACK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

struct roger_buf;
struct roger_ctx;
struct roger_err;
struct roger_repo;

/* The zlib level of artifacts: part of their identity, like the format. */
#define ROGER_PACK_LEVEL 6

/*
 * Write the entries at `paths` of `commit` (NULL-terminated; paths from the
 * root of the tree, "" for the whole tree; directories with everything
 * below them, submodules included, files and symbolic links alone) under
 * the existing directory `dest`, each at its own place: a clean checkout
 * of those parts, without attribute or exclude filtering.  No path may be
 * below another.  ROGER_ENOTFOUND for a path the commit lacks.
 */
int roger_pack_export_commit(struct roger_ctx *ctx, struct roger_repo *repo,
			     const char *commit, const char *const *paths,
			     const char *dest, struct roger_err *err);

/*
 * The same from the work tree (tracked files that exist, untracked files
 * that are not ignored, checked-out submodules likewise), leaving out
 * `subdir`/.roger.
 */
int roger_pack_export_worktree(struct roger_ctx *ctx, struct roger_repo *repo,
			       const char *subdir, const char *const *paths,
			       const char *dest, struct roger_err *err);

struct roger_run_opts {
	const char *command; /* run by /bin/sh -c */
	const char *dir;     /* working directory */
	const char *const *env; /* extra NAME=VALUE entries, NULL-terminated */
	int timeout;         /* seconds */
	void (*output_fn)(void *data, const char *line);
	void *output_data;
	struct roger_buf *tail; /* receives the last lines on failure */
};

/*
 * Run a command with stdin from /dev/null and stdout and stderr merged,
 * handing each line to output_fn.  ROGER_ERROR when it exits non-zero or
 * dies of a signal, ROGER_ERROR after the timeout (the process group is
 * killed), ROGER_EINTR when the context is interrupted.
 */
int roger_run_command(struct roger_ctx *ctx, const struct roger_run_opts *o,
		      struct roger_err *err);

#endif
