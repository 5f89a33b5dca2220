/*
 * pack.h - the artifact: a reproducible gzip-compressed tar of a project's
 * subtree at one commit (plus what its build command produced), named by
 * its SHA-256 and cached under the project's .roger/ directory.
 *
 * The same tree and build settings give the same bytes in any clone on
 * any machine with the same compressor (roger_pack_compressor): entries
 * sorted in git's order, mtime = ROGER_PACK_MTIME (image layers:
 * ROGER_PACK_LAYER_MTIME), uid/gid 0 without names, modes 0644/0755
 * (directories 0755, symlinks 0777), no extended attributes, pax format
 * with UTF-8 names, and a gzip header without name or time.  Attributes come
 * from the .gitattributes files of the packaged tree only (export-ignore),
 * never from the machine.
 *
 * The gzip stream is a row of segments, each the compressed form of a
 * run of entries made without reference to what precedes it (seg.h), so
 * that a build copies the unchanged runs of recent artifacts and gives
 * the same bytes as a build from scratch.
 *
 * Two levels: roger_pack_build() does what `roger build` does (resolve,
 * dirty check, cache, build command, atomic store), and the roger_pack_*
 * writers produce the tar.gz of one source through a callback, so tests
 * and other commands can take the stream where they like.
 */
#ifndef ROGER_PACK_H
#define ROGER_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct json_t;
struct roger_buf;
struct roger_commit_info;
struct roger_ctx;
struct roger_err;
struct roger_project;
struct roger_repo;

/* One line of the build command's output, without its newline. */
typedef void (*roger_build_output_fn)(void *data, const char *line);
/* Packaging progress: entries written and input bytes read so far. */
typedef void (*roger_pack_progress_fn)(void *data, uint64_t files,
				       uint64_t bytes);
/* Receives the compressed artifact in order; returns 0 or a roger_error. */
typedef int (*roger_pack_write_fn)(void *data, const void *buf, size_t len,
				   struct roger_err *err);

#define ROGER_BUILD_TIMEOUT_DEFAULT 1800

struct roger_build_opts {
	const char *workdir; /* git work tree root, absolute (required) */
	const char
		*subdir; /* the project's directory in it: "" or "apps/web" */
	const char *ref; /* revision to package; NULL: HEAD (dirty check) */
	const char *command; /* build.command, or NULL */
	const char *const
		*exclude; /* build.exclude: NULL-terminated, or NULL */
	/*
	 * build.inputs: what else of the repository the build command reads,
	 * as paths relative to the project's directory ("../shared"):
	 * NULL-terminated, or NULL.
	 */
	const char *const *inputs;
	int timeout; /* build command limit in seconds; <= 0: default */
	/*
	 * build.cache of roger.json (borrowed), or NULL: what the command
	 * makes that is restored into the clean export from .roger/build-cache
	 * when its key is unchanged, and saved there after a successful run.
	 */
	const struct json_t *cache;
	bool allow_dirty; /* package a dirty work tree instead of failing */
	bool no_cache; /* ignore both caches: build and package anew */
	const char *cache_dir; /* NULL: <workdir>/<subdir>/.roger */
	int threads; /* compression threads; 0: one per processor */
	roger_build_output_fn output_fn; /* build command output, may be NULL */
	void *output_data;
	roger_pack_progress_fn progress_fn; /* may be NULL */
	void *progress_data;
	/*
	 * When not NULL and the build command fails, receives its last lines
	 * of output (newline-separated) for the error report.
	 */
	struct roger_buf *output_tail;
	/*
	 * An image layer instead of an artifact: the same tree under this
	 * directory ("app", "srv/app": image.workdir without its leading
	 * '/'), written after its parents, every entry dated
	 * ROGER_PACK_LAYER_MTIME; the artifact's diff_id is set.  NULL: the
	 * artifact.
	 */
	const char *layer_dir;
};

/* The mtime of every entry of an image layer: 1970-01-01T00:00:01Z. */
#define ROGER_PACK_LAYER_MTIME 1

/*
 * Fill the project part of `o` from roger.json (workdir, subdir, command,
 * exclude, inputs, timeout; borrowed from `p`), leaving the other fields
 * as they are.
 */
ROGER_EXTERN void roger_build_opts_from_project(struct roger_build_opts *o,
						const struct roger_project *p);

struct roger_artifact {
	char *path; /* the .tar.gz in the cache, absolute */
	char sha256[65]; /* hex digest of the file: its name */
	uint64_t size; /* bytes */
	uint64_t files; /* regular files and symbolic links */
	/*
	 * The commit the artifact is of: the last one that changed what the
	 * project's release is made of (its directory, the .gitattributes
	 * above it, build.inputs) at the revision packaged (HEAD's for a dirty
	 * work tree); see roger_pack_source_commit().
	 */
	char commit[41];
	char tree[41]; /* the packaged subtree's tree id ("" if dirty) */
	int64_t time; /* `commit`'s time */
	bool dirty; /* packaged from a dirty work tree */
	bool cached; /* found in the cache, no packaging done */
	char diff_id[65]; /* layers: SHA-256 of the uncompressed tar */
	char **lfs_pointers; /* Git LFS pointer files packaged as pointers */
	size_t n_lfs_pointers;
};

/*
 * The commit that a build of `o` at `o->ref` (NULL: HEAD) is of, in *out:
 * what a project's release is made of is its directory's tree, the
 * .gitattributes files above it and its build.inputs, and a commit that
 * changed none of them (in a monorepo, a commit of another app) makes the
 * same release as its parent.  So the release's commit is the last one to
 * change them: going back from the revision along first parents, the
 * oldest commit whose parts are all those of the revision.  The entries
 * carry a fixed date (ROGER_PACK_MTIME), so the artifact of an unrelated
 * commit is byte for byte the same, and "up to date" decisions agree.
 * Errors: those of roger_repo_resolve(), ROGER_EINVALID for an input
 * outside the repository.
 */
ROGER_EXTERN int roger_pack_source_commit(struct roger_commit_info *out,
					  struct roger_ctx *ctx,
					  const struct roger_build_opts *o,
					  struct roger_err *err);

/*
 * Build the artifact of the project described by `o`.
 *
 * Without `o->ref`, a work tree that differs from HEAD under the project
 * or one of its inputs (roger_repo_dirty) fails with ROGER_EDIRTY unless
 * `allow_dirty`, which packages the work tree instead (tracked files plus
 * untracked files that are not ignored; never cached).  Otherwise the
 * cache is looked up by the packaged tree, the build settings and, with a
 * build command, the commit it is told (see roger_pack_source_commit());
 * a hit whose file changed since its digest was recorded is checked
 * against its SHA-256 before it is returned, and a damaged entry is
 * rebuilt.  With a build command, the project's directory, the .gitattributes
 * files above it and its inputs, at the commit (or from the dirty work tree),
 * are exported to a temporary directory at their places in the repository, what
 * `o->cache` names is restored into it from the build cache, the command runs
 * there under /bin/sh in the project's directory with its output streamed to
 * `output_fn`, and the result is packaged; it fails with ROGER_ERROR (exit
 * status or signal in the message) or ROGER_EINTR. The runs of entries that
 * recent artifacts hold are copied from them. The artifact is written through a
 * temporary file and renamed into place.
 *
 * Errors: ROGER_EUSAGE (unknown ref), ROGER_ENOTFOUND (no commit, no such
 * project directory or input at the commit), ROGER_EDIRTY, ROGER_EINVALID
 * (a bad exclude pattern, an input outside the repository, a file name
 * that is not UTF-8, a submodule that is not checked out), ROGER_EIO,
 * ROGER_ENOMEM, ROGER_EINTR, ROGER_ERROR.
 */
ROGER_EXTERN int roger_pack_build(struct roger_artifact **out,
				  struct roger_ctx *ctx,
				  const struct roger_build_opts *o,
				  struct roger_err *err);
ROGER_EXTERN void roger_artifact_free(struct roger_artifact *a);

/*
 * The answer of roger_pack_build() for `o` when nothing it depends on
 * changed since the last clean build of the same options, found without
 * reading the repository: HEAD, the index file and the stat data of every
 * file the work tree check covered are as that build recorded them in
 * .roger/noop, and `tracked` (a path from the work tree root, or NULL) is
 * one of those files.  1 with *out set (cached), 0 when that cannot be
 * told this way (no record, a change, `o->ref`, `o->no_cache`, a layer):
 * call roger_pack_build().  Errors: ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_pack_build_unchanged(struct roger_artifact **out,
					    struct roger_ctx *ctx,
					    const struct roger_build_opts *o,
					    const char *tracked,
					    struct roger_err *err);

/* ---- writers ------------------------------------------------------------ */

/*
 * The modification time of every entry (1980-01-01 00:00:00 UTC, the
 * earliest time zip and some other tools can represent): fixed, so that
 * the same tree gives the same bytes whatever the commit.
 */
#define ROGER_PACK_MTIME ((int64_t)315532800)

struct roger_pack_opts {
	const char *subdir; /* the subtree to package: "" or "apps/web" */
	const char *const *exclude; /* gitignore-style, relative to subdir */
	int64_t mtime; /* of every entry; 0: ROGER_PACK_MTIME */
	int threads; /* 0: one per processor */
	/*
	 * Image layers: every entry goes under this directory ("app":
	 * relative, no trailing '/'), written first with its parents, and
	 * stats->diff_id receives the SHA-256 of the uncompressed tar ("": a
	 * layer whose entries stay at the root).  NULL: entries at the root,
	 * no diff_id.
	 */
	const char *prefix;
	roger_pack_progress_fn progress_fn;
	void *progress_data;
};

struct roger_pack_stats {
	uint64_t files; /* regular files and symbolic links */
	uint64_t size; /* compressed bytes written */
	uint64_t tar_size; /* uncompressed bytes */
	uint64_t segments; /* runs of entries compressed apart */
	uint64_t reused; /* of them, copied from an earlier artifact */
	char sha256[65]; /* of the compressed stream */
	char diff_id[65]; /* with a prefix: of the uncompressed tar */
	char **lfs_pointers; /* paths of Git LFS pointer files (new strings) */
	size_t n_lfs_pointers;
};

ROGER_EXTERN void roger_pack_stats_release(struct roger_pack_stats *s);

/*
 * The compressor of artifacts and its level ("libdeflate 1.14 level 5"):
 * artifacts are byte-identical only when made by the same one.  Static.
 */
ROGER_EXTERN const char *roger_pack_compressor(void);

/* The subtree at commit `commit` (a full hex id) of `repo`. */
ROGER_EXTERN int roger_pack_commit(struct roger_pack_stats *out,
				   struct roger_ctx *ctx,
				   struct roger_repo *repo, const char *commit,
				   const struct roger_pack_opts *o,
				   roger_pack_write_fn fn, void *data,
				   struct roger_err *err);

/*
 * The subtree of the work tree of `repo` as it is on disk: tracked files
 * that exist plus untracked files that are not ignored, checked-out
 * submodules likewise, without .git and the subtree's .roger/.
 */
ROGER_EXTERN int
roger_pack_worktree(struct roger_pack_stats *out, struct roger_ctx *ctx,
		    struct roger_repo *repo, const struct roger_pack_opts *o,
		    roger_pack_write_fn fn, void *data, struct roger_err *err);

/*
 * Everything under `root`/`subdir` on disk except .git directories (a
 * build's result), with the .gitattributes files found under `root`.
 */
ROGER_EXTERN int roger_pack_dir(struct roger_pack_stats *out,
				struct roger_ctx *ctx, const char *root,
				const struct roger_pack_opts *o,
				roger_pack_write_fn fn, void *data,
				struct roger_err *err);

ROGER_END_DECLS

#endif
