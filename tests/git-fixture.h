/*
 * git-fixture.h - fixture repositories built with libgit2 in temporary
 * directories, for the Check programs of repo and pack.  Every helper
 * aborts the test (ck_assert) on failure.
 */
#ifndef ROGER_TESTS_GIT_FIXTURE_H
#define ROGER_TESTS_GIT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>

/* A new temporary directory (malloc'd path); fx_rmtree removes it. */
char *fx_tmpdir(void);
void fx_rmtree(const char *path);

/* A new repository with a work tree at `dir` (created). */
git_repository *fx_init(const char *dir);

/* Write `len` bytes to `rel` under the work tree (parents created). */
void fx_write(git_repository *repo, const char *rel, const void *data,
	      size_t len, int mode);
void fx_writes(git_repository *repo, const char *rel, const char *text);
void fx_symlink(git_repository *repo, const char *rel, const char *target);

/*
 * Stage the whole work tree (git add -A) and commit it on HEAD at `time`;
 * the commit id, hex, goes to out[41].
 */
void fx_commit(git_repository *repo, const char *message, int64_t time,
	       char *out);

/* Record `sub` (a repository inside the work tree at `rel`) as a gitlink. */
void fx_add_submodule(git_repository *repo, const char *rel,
		      git_repository *sub, const char *url);

void fx_tag(git_repository *repo, const char *name, const char *commit,
	    int annotated);

/* Run a shell command line; its exit status. */
int fx_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
