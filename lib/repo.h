/*
 * repo.h - the git repository of a project, through libgit2 (no git
 * subprocess anywhere in roger).
 */
#ifndef ROGER_REPO_H
#define ROGER_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_buf;
struct roger_err;

struct roger_repo;

/*
 * Open the repository whose work tree contains `path` (a directory).
 * ROGER_ENOTFOUND when `path` is not inside a git work tree (a bare
 * repository counts as outside).
 */
ROGER_EXTERN int roger_repo_discover(struct roger_repo **out, const char *path,
				     struct roger_err *err);
ROGER_EXTERN void roger_repo_free(struct roger_repo *repo);

/* The absolute work tree root, without a trailing '/' (borrowed). */
ROGER_EXTERN const char *roger_repo_workdir(const struct roger_repo *repo);

/* What a revision resolves to. */
struct roger_commit_info {
	char id[41]; /* the commit id, hex */
	char tree[41]; /* its root tree id, hex */
	int64_t time; /* committer time, seconds since the epoch */
};

/*
 * Resolve `ref` (NULL: HEAD) to a commit: a branch, a tag (annotated tags
 * are peeled), a full or abbreviated id, or anything git's revision syntax
 * accepts ("HEAD~2").  Errors: ROGER_EUSAGE when `ref` names nothing or
 * something that is not a commit (it comes from the command line);
 * ROGER_ENOTFOUND when HEAD has no commit yet (an empty repository).
 */
ROGER_EXTERN int roger_repo_resolve(struct roger_commit_info *out,
				    struct roger_repo *repo, const char *ref,
				    struct roger_err *err);

/*
 * The subject of commit `id` (a full or abbreviated hex id): the first
 * line of its message, appended to `out`.  ROGER_ENOTFOUND when the
 * repository does not have that commit (a release made from another
 * clone that was not fetched here).
 */
ROGER_EXTERN int roger_repo_commit_subject(struct roger_buf *out,
					   struct roger_repo *repo,
					   const char *id,
					   struct roger_err *err);

/*
 * The content of the file `path` (relative to the work tree root, without
 * a leading '/') in the tree of commit `id` (a full hex id), appended to
 * `out`: how a command reads roger.json as a commit has it.
 * ROGER_ENOTFOUND when the commit has no file there (ROGER_EINVALID when
 * it is a directory or a submodule).
 */
ROGER_EXTERN int roger_repo_read_file(struct roger_buf *out,
				      struct roger_repo *repo, const char *id,
				      const char *path, struct roger_err *err);

/*
 * Whether the file `path` (relative to the work tree root) is in HEAD's
 * tree: false for a file not committed yet (untracked, or only added).
 * An empty repository has no file.
 */
ROGER_EXTERN int roger_repo_head_has_file(bool *out, struct roger_repo *repo,
					  const char *path,
					  struct roger_err *err);

/*
 * Whether the work tree differs from HEAD under `subdir` ("" for the whole
 * repository, else a path relative to the work tree root without a
 * trailing '/', of a directory or of a file): staged or unstaged changes to
 * tracked files (content, executable bit, type, deletion), and submodules moved
 * from their recorded commit or modified.  Untracked files do not count: they
 * are not part of the commit.  Files are read only when their status
 * information differs from the index, so a clean check costs one lstat per
 * file.  When dirty and `first` is not NULL, the first path that differs is
 * appended to it.  An empty repository is dirty.
 */
ROGER_EXTERN int roger_repo_dirty(bool *out, struct roger_buf *first,
				  struct roger_repo *repo, const char *subdir,
				  struct roger_err *err);

/*
 * roger_repo_dirty() that can skip its costliest part, the comparison of
 * HEAD's tree with the index (every tree object read).  `stamp` holds
 * ROGER_REPO_STAMP_SIZE bytes: on input "" or what an earlier call left
 * there; when it still names the same index content (the index file's
 * checksum), the same HEAD tree and the same `subdir`, that comparison found
 * nothing then and would find nothing now, so it is skipped.  On return it
 * holds the stamp of this check when HEAD's tree and the index agree, else "".
 * Files are compared with the index every time.
 */
#define ROGER_REPO_STAMP_SIZE 128
ROGER_EXTERN int roger_repo_dirty_stamped(bool *out, struct roger_buf *first,
					  struct roger_repo *repo,
					  const char *subdir, char *stamp,
					  struct roger_err *err);

/*
 * The names a user may give as a revision, for completion: local and
 * remote branches, tags, "HEAD" and the abbreviated id of HEAD, sorted and
 * without duplicates.  *out is a new array of new strings; free it with
 * roger_repo_names_free().
 */
ROGER_EXTERN int roger_repo_list_refs(char ***out, size_t *n,
				      struct roger_repo *repo,
				      struct roger_err *err);
ROGER_EXTERN void roger_repo_names_free(char **names, size_t n);

ROGER_END_DECLS

#endif
