/*
 * repo-git.h - the libgit2 side of struct roger_repo, for the modules of
 * libroger that read objects themselves (pack).  Not installed.
 */
#ifndef ROGER_REPO_GIT_H
#define ROGER_REPO_GIT_H

#include <stdbool.h>
#include <stddef.h>

#include <git2.h>

struct roger_err;
struct roger_repo;

/* The libgit2 repository (borrowed for the life of `repo`). */
git_repository *roger_repo_git(const struct roger_repo *repo);

/*
 * Report the last libgit2 error as "what: message" with `code` (the
 * message is copied at once, before another libgit2 call replaces it).
 */
int roger_repo_git_error(struct roger_err *err, int code, const char *what);

struct roger_buf;

/*
 * The work tree root of the repository that `dir` (absolute, without
 * symbolic links) is in, found the way git finds it in the common case:
 * the nearest directory up from `dir` with a .git directory in it.  A new
 * string in *out, or false whenever the layout is anything else (a .git
 * file, another file system on the way, a repository owned by another
 * user, core.worktree, bare or includes in its config, no repository):
 * then ask libgit2, which this spares initialising (see repo.c).
 */
bool roger_repo_quick_root(char **out, const char *dir);

/*
 * The repository's part of a no-op record (noop.h), after a work tree
 * check found everything under `scopes` (`n` paths from the work tree
 * root, "" for all) clean: in `where` the gitdir ... isum lines, in
 * `entries` one line per index entry under the scopes.  `head` is the
 * commit and `index_sum` the index checksum (hex) the check saw; *ok is
 * false (and nothing is to be written) when the files say otherwise now,
 * or when the record could not stand for the check: an entry in conflict,
 * a submodule, a file whose stat data cannot be trusted yet; *why then
 * says which, for the debug log.
 */
int roger_repo_noop_record(struct roger_buf *where, struct roger_buf *entries,
			   bool *ok, struct roger_repo *repo, const char *head,
			   const char *index_sum, const char *const *scopes,
			   size_t n, const char **why, struct roger_err *err);

#endif
