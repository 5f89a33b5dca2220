/*
 * pack-internal.h - what pack.c shares with pack-walk.c and run.c (not
 * installed).
 */
#ifndef ROGER_PACK_INTERNAL_H
#define ROGER_PACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_t;
struct roger_buf;
struct roger_ctx;
struct roger_err;
struct roger_repo;

/*
 * Check the text of an artifact cache entry (.roger/index/<key>.json):
 * "sha256" (64 lower-case hex digits) and "size" required, "files",
 * "stat" (ino, size, mtime_ns, checked_ns), "lfs_pointers" (strings) and
 * "diff_id" (image layers: 64 lower-case hex digits) as they should be
 * when present.  The document (new) in *out;
 * ROGER_EINVALID otherwise.
 */
int roger_pack_cache_entry_parse(struct json_t **out, const char *text,
				 size_t len, struct roger_err *err);

struct roger_pack_opts;
struct roger_pack_stats;
struct roger_seg_index;
struct roger_seg_table;

enum roger_pack_source {
	ROGER_PACK_FROM_COMMIT, /* `what`: a full commit id */
	ROGER_PACK_FROM_WORKTREE, /* `what`: the work tree's root */
	ROGER_PACK_FROM_DIR, /* `what`: a directory (a build's export) */
};

/*
 * What roger_pack_commit, roger_pack_worktree and roger_pack_dir do, with
 * the segments of earlier artifacts that `reuse` offers copied instead of
 * compressed again (NULL: none), and what the new artifact is made of in
 * *index (NULL: not wanted; release it with roger_seg_index_release).
 */
int roger_pack_source(struct roger_pack_stats *out,
		      struct roger_seg_index *index, struct roger_ctx *ctx,
		      enum roger_pack_source kind, struct roger_repo *repo,
		      const char *what, const struct roger_pack_opts *o,
		      const struct roger_seg_table *reuse,
		      int (*fn)(void *data, const void *buf, size_t len,
				struct roger_err *err),
		      void *data, struct roger_err *err);

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
	const char *dir; /* working directory */
	const char *const *env; /* extra NAME=VALUE entries, NULL-terminated */
	int timeout; /* seconds */
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
