/*
 * repo-git.h - the libgit2 side of struct roger_repo, for the modules of
 * libroger that read objects themselves (pack).  Not installed.
 */
#ifndef ROGER_REPO_GIT_H
#define ROGER_REPO_GIT_H

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

#endif
