/*
 * repo.h - the git repository of a project, through libgit2 (no git
 * subprocess anywhere in roger).
 */
#ifndef ROGER_REPO_H
#define ROGER_REPO_H

#include <stdbool.h>

struct roger_err;

struct roger_repo;

/*
 * Open the repository whose work tree contains `path` (a directory).
 * ROGER_ENOTFOUND when `path` is not inside a git work tree (a bare
 * repository counts as outside).
 */
int roger_repo_discover(struct roger_repo **out, const char *path,
			struct roger_err *err);
void roger_repo_free(struct roger_repo *repo);

/* The absolute work tree root, without a trailing '/' (borrowed). */
const char *roger_repo_workdir(const struct roger_repo *repo);

#endif
