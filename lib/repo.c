/*
 * repo.c - git repositories through libgit2.
 *
 * libgit2 is initialised on the first open and shut down with the last
 * free (its own reference count).  Its error messages are copied into our
 * struct roger_err at once, before another libgit2 call can replace them.
 */
#include <config.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "err.h"
#include "repo.h"

struct roger_repo {
	git_repository *git;
	char *workdir;
};

static int git_fail(struct roger_err *err, int code, const char *what)
{
	const git_error *e = git_error_last();

	return roger_err_set(err, code, "%s: %s", what,
			     e && e->message ? e->message : "unknown libgit2 error");
}

int roger_repo_discover(struct roger_repo **out, const char *path,
			struct roger_err *err)
{
	struct roger_repo *repo = NULL;
	git_buf found = { 0 };
	const char *wd;
	size_t len;
	int rc;

	git_libgit2_init();
	repo = calloc(1, sizeof(*repo));
	if (!repo) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto fail;
	}
	rc = git_repository_discover(&found, path, 0, NULL);
	if (rc == GIT_ENOTFOUND) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "'%s' is not inside a git work tree", path);
		goto fail;
	}
	if (rc < 0) {
		rc = git_fail(err, ROGER_ERROR, path);
		goto fail;
	}
	if (git_repository_open(&repo->git, found.ptr) < 0) {
		rc = git_fail(err, ROGER_ERROR, found.ptr);
		goto fail;
	}
	wd = git_repository_workdir(repo->git);
	if (!wd) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "'%s' is in a bare repository, not a work tree",
				   path);
		goto fail;
	}
	repo->workdir = strdup(wd);
	if (!repo->workdir) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto fail;
	}
	len = strlen(repo->workdir);
	while (len > 1 && repo->workdir[len - 1] == '/')
		repo->workdir[--len] = '\0';
	git_buf_dispose(&found);
	*out = repo;
	return 0;
fail:
	git_buf_dispose(&found);
	roger_repo_free(repo);
	if (!repo)
		git_libgit2_shutdown();
	return rc;
}

void roger_repo_free(struct roger_repo *repo)
{
	if (!repo)
		return;
	git_repository_free(repo->git);
	free(repo->workdir);
	free(repo);
	git_libgit2_shutdown();
}

const char *roger_repo_workdir(const struct roger_repo *repo)
{
	return repo->workdir;
}
