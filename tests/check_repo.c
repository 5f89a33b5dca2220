/*
 * check_repo.c - unit tests of the repo module: resolving revisions, the
 * dirty check and the refs offered for completion, on fixture repositories
 * made with libgit2.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "git-fixture.h"
#include "lib/roger.h"

#define T0 1700000000

static char *tmp, *dir;
static git_repository *r;
static struct roger_repo *repo;
static char c1[41], c2[41];

static void setup(void)
{
	struct roger_err err = ROGER_ERR_INIT;

	git_libgit2_init();
	tmp = fx_tmpdir();
	dir = roger_path_join(tmp, "repo");
	r = fx_init(dir);
	fx_writes(r, "app/main.c", "one\n");
	fx_writes(r, "other/x.txt", "x\n");
	fx_symlink(r, "app/link", "main.c");
	fx_write(r, "app/run.sh", "#!/bin/sh\n", 10, 0755);
	fx_writes(r, ".gitignore", "*.o\n");
	fx_commit(r, "one", T0, c1);
	fx_tag(r, "v1", c1, 0);
	fx_tag(r, "v1.0-annotated", c1, 1);
	fx_writes(r, "app/main.c", "two\n");
	fx_commit(r, "two", T0 + 100, c2);
	ck_assert_int_eq(roger_repo_discover(&repo, dir, &err), 0);
}

static void teardown(void)
{
	roger_repo_free(repo);
	git_repository_free(r);
	fx_rmtree(tmp);
	free(dir);
	free(tmp);
	git_libgit2_shutdown();
}

START_TEST(test_repo_resolve)
{
	struct roger_commit_info ci;
	struct roger_err err = ROGER_ERR_INIT;
	char shortid[8];

	ck_assert_int_eq(roger_repo_resolve(&ci, repo, NULL, &err), 0);
	ck_assert_str_eq(ci.id, c2);
	ck_assert_int_eq(ci.time, T0 + 100);
	ck_assert_uint_eq(strlen(ci.tree), 40);
	ck_assert_int_eq(roger_repo_resolve(&ci, repo, "v1", &err), 0);
	ck_assert_str_eq(ci.id, c1);
	ck_assert_int_eq(ci.time, T0);
	ck_assert_int_eq(roger_repo_resolve(&ci, repo, "v1.0-annotated", &err),
			 0);
	ck_assert_str_eq(ci.id, c1);
	snprintf(shortid, sizeof(shortid), "%.7s", c1);
	ck_assert_int_eq(roger_repo_resolve(&ci, repo, shortid, &err), 0);
	ck_assert_str_eq(ci.id, c1);
	ck_assert_int_eq(roger_repo_resolve(&ci, repo, "HEAD~1", &err), 0);
	ck_assert_str_eq(ci.id, c1);
	ck_assert_int_eq(roger_repo_resolve(&ci, repo, "no-such-branch", &err),
			 ROGER_EUSAGE);
	ck_assert_str_eq(err.msg, "unknown revision 'no-such-branch'");
	ck_assert_int_eq(roger_repo_resolve(&ci, repo, "HEAD^{tree}", &err),
			 ROGER_EUSAGE);
	ck_assert_msg(strstr(err.msg, "not a commit"), "%s", err.msg);
}
END_TEST

START_TEST(test_repo_resolve_detached_and_empty)
{
	struct roger_commit_info ci;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_repo *er = NULL;
	char *edir = roger_path_join(tmp, "empty");
	git_repository *e = fx_init(edir);
	git_oid oid;
	bool dirty = false;

	git_oid_fromstr(&oid, c1);
	ck_assert_int_eq(git_repository_set_head_detached(r, &oid), 0);
	ck_assert_int_eq(roger_repo_resolve(&ci, repo, NULL, &err), 0);
	ck_assert_str_eq(ci.id, c1);

	ck_assert_int_eq(roger_repo_discover(&er, edir, &err), 0);
	ck_assert_int_eq(roger_repo_resolve(&ci, er, NULL, &err),
			 ROGER_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "has no commit yet"), "%s", err.msg);
	ck_assert_int_eq(roger_repo_dirty(&dirty, NULL, er, "", &err), 0);
	ck_assert(dirty);
	roger_repo_free(er);
	git_repository_free(e);
	free(edir);
}
END_TEST

static bool dirty_in(const char *subdir, struct roger_buf *first)
{
	struct roger_err err = ROGER_ERR_INIT;
	bool d = false;

	roger_buf_reset(first);
	ck_assert_int_eq(roger_repo_dirty(&d, first, repo, subdir, &err), 0);
	return d;
}

START_TEST(test_repo_dirty)
{
	struct roger_buf first = ROGER_BUF_INIT;

	ck_assert(!dirty_in("", &first));
	ck_assert(!dirty_in("app", &first));

	/* Untracked files (ignored or not) and .roger/ never count. */
	fx_writes(r, "app/new.txt", "new\n");
	fx_writes(r, "app/x.o", "o\n");
	fx_writes(r, "app/.roger/artifacts/a.tar.gz", "a\n");
	ck_assert(!dirty_in("app", &first));

	/* Touching a file without changing it is not a change. */
	ck_assert_int_eq(fx_sh("touch -d '2030-01-01' '%s/app/main.c'", dir),
			 0);
	ck_assert(!dirty_in("app", &first));

	fx_writes(r, "other/x.txt", "changed\n");
	ck_assert(dirty_in("", &first));
	ck_assert_str_eq(first.buf, "other/x.txt");
	ck_assert(!dirty_in("app", &first));

	ck_assert_int_eq(fx_sh("chmod +x '%s/app/main.c'", dir), 0);
	ck_assert(dirty_in("app", &first));
	ck_assert_str_eq(first.buf, "app/main.c");
	ck_assert_int_eq(fx_sh("chmod -x '%s/app/main.c'", dir), 0);
	ck_assert(!dirty_in("app", &first));

	ck_assert_int_eq(fx_sh("rm '%s/app/link' && ln -s run.sh '%s/app/link'",
			       dir, dir),
			 0);
	ck_assert(dirty_in("app", &first));
	ck_assert_str_eq(first.buf, "app/link");
	ck_assert_int_eq(fx_sh("rm '%s/app/link' && ln -s main.c '%s/app/link'",
			       dir, dir),
			 0);
	ck_assert(!dirty_in("app", &first));

	ck_assert_int_eq(fx_sh("rm '%s/app/run.sh'", dir), 0);
	ck_assert(dirty_in("app", &first));
	ck_assert_str_eq(first.buf, "app/run.sh");
	ck_assert_int_eq(fx_sh("cd '%s' && git checkout -q app/run.sh", dir),
			 0);
	ck_assert(!dirty_in("app", &first));

	/* Staged: added, then the same content in the work tree. */
	ck_assert_int_eq(fx_sh("cd '%s' && git add app/new.txt", dir), 0);
	ck_assert(dirty_in("app", &first));
	ck_assert_str_eq(first.buf, "app/new.txt");
	roger_buf_release(&first);
}
END_TEST

static bool dirty_stamped(const char *subdir, char *stamp)
{
	struct roger_err err = ROGER_ERR_INIT;
	bool d = false;

	ck_assert_int_eq(
		roger_repo_dirty_stamped(&d, NULL, repo, subdir, stamp, &err),
		0);
	return d;
}

/*
 * The stamp of a clean check lets the next one skip comparing HEAD with
 * the index, and only while index, HEAD and directory are the same.
 */
START_TEST(test_repo_dirty_stamped)
{
	char stamp[ROGER_REPO_STAMP_SIZE] = "", clean[ROGER_REPO_STAMP_SIZE];
	char app[ROGER_REPO_STAMP_SIZE];

	ck_assert(!dirty_stamped("", stamp));
	ck_assert_msg(!strncmp(stamp, "index ", 6), "stamp '%s'", stamp);
	memcpy(clean, stamp, sizeof(clean));
	ck_assert(!dirty_stamped("", stamp));
	ck_assert_str_eq(stamp, clean);

	/* Unstaged changes are looked for every time. */
	fx_writes(r, "other/x.txt", "changed\n");
	ck_assert(dirty_stamped("", stamp));
	ck_assert_int_eq(fx_sh("cd '%s' && git checkout -q other/x.txt", dir),
			 0);

	/* Another directory: its own stamp. */
	memcpy(app, clean, sizeof(app));
	ck_assert(!dirty_stamped("app", app));
	ck_assert_str_ne(app, clean);

	/* A staged change rewrites the index: the old stamp no longer holds. */
	fx_writes(r, "app/new.txt", "new\n");
	ck_assert_int_eq(fx_sh("cd '%s' && git add app/new.txt", dir), 0);
	memcpy(stamp, clean, sizeof(stamp));
	ck_assert(dirty_stamped("", stamp));
	ck_assert_str_eq(stamp, "");
	memcpy(stamp, app, sizeof(stamp));
	ck_assert(dirty_stamped("app", stamp));
	ck_assert_str_eq(stamp, "");
	/* Outside the directory the staged file does not count. */
	ck_assert(!dirty_stamped("other", stamp));
	ck_assert_str_ne(stamp, "");

	/* Committed: a new HEAD tree, a new stamp. */
	ck_assert_int_eq(
		fx_sh("cd '%s' && git -c user.name=t -c user.email=t@example.com commit -qm new",
		      dir),
		0);
	memcpy(stamp, clean, sizeof(stamp));
	ck_assert(!dirty_stamped("", stamp));
	ck_assert_str_ne(stamp, "");
	ck_assert_str_ne(stamp, clean);

	/* Garbage in, a full check and a good stamp out. */
	memset(stamp, 'x', sizeof(stamp));
	ck_assert(!dirty_stamped("", stamp));
	ck_assert(!strncmp(stamp, "index ", 6));
}
END_TEST

START_TEST(test_repo_dirty_submodule)
{
	struct roger_buf first = ROGER_BUF_INIT;
	char *subdir = roger_path_join(dir, "vendor/lib");
	git_repository *s = fx_init(subdir);

	fx_writes(s, "lib.js", "lib\n");
	fx_commit(s, "lib", T0, NULL);
	fx_add_submodule(r, "vendor/lib", s, "../lib.git");
	fx_commit(r, "sub", T0 + 200, NULL);
	ck_assert(!dirty_in("", &first));
	fx_writes(s, "lib.js", "changed\n");
	ck_assert(dirty_in("", &first));
	ck_assert_str_eq(first.buf, "vendor/lib/lib.js");
	fx_commit(s, "moved", T0 + 300, NULL);
	ck_assert(dirty_in("", &first));
	ck_assert_str_eq(first.buf, "vendor/lib");
	ck_assert(!dirty_in("app", &first));
	git_repository_free(s);
	roger_buf_release(&first);
	free(subdir);
}
END_TEST

START_TEST(test_repo_list_refs)
{
	struct roger_err err = ROGER_ERR_INIT;
	char **names = NULL;
	size_t n = 0;
	char shortid[8];
	bool seen_main = false, seen_tag = false, seen_short = false,
	     seen_head = false;

	ck_assert_int_eq(roger_repo_list_refs(&names, &n, repo, &err), 0);
	snprintf(shortid, sizeof(shortid), "%.7s", c2);
	for (size_t i = 0; i < n; i++) {
		seen_main |= !strcmp(names[i], "main") ||
			     !strcmp(names[i], "master");
		seen_tag |= !strcmp(names[i], "v1.0-annotated");
		seen_short |= !strcmp(names[i], shortid);
		seen_head |= !strcmp(names[i], "HEAD");
		if (i)
			ck_assert_str_lt(names[i - 1], names[i]);
	}
	ck_assert(seen_main && seen_tag && seen_short && seen_head);
	roger_repo_names_free(names, n);
}
END_TEST

static Suite *repo_suite(void)
{
	Suite *s = suite_create("repo");
	TCase *tc = tcase_create("repo");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_repo_resolve);
	tcase_add_test(tc, test_repo_resolve_detached_and_empty);
	tcase_add_test(tc, test_repo_dirty);
	tcase_add_test(tc, test_repo_dirty_stamped);
	tcase_add_test(tc, test_repo_dirty_submodule);
	tcase_add_test(tc, test_repo_list_refs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(repo_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
