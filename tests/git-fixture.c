/*
 * git-fixture.c - fixture repositories through libgit2 (see git-fixture.h).
 */
#include <config.h>

#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "git-fixture.h"
#include "lib/roger.h"

char *fx_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *p = malloc(4096);

	ck_assert_ptr_nonnull(p);
	snprintf(p, 4096, "%s/roger-check.XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(p));
	return p;
}

void fx_rmtree(const char *path)
{
	if (path)
		roger_fs_remove_tree(path, NULL);
}

git_repository *fx_init(const char *dir)
{
	git_repository *repo = NULL;

	git_libgit2_init();
	ck_assert_int_eq(roger_fs_mkdirs(dir, 0755, NULL), 0);
	ck_assert_int_eq(git_repository_init(&repo, dir, 0), 0);
	return repo;
}

static char *abs_path(git_repository *repo, const char *rel)
{
	const char *wd = git_repository_workdir(repo);
	char *p = malloc(strlen(wd) + strlen(rel) + 2);

	ck_assert_ptr_nonnull(p);
	sprintf(p, "%s%s", wd, rel);
	return p;
}

static void make_parents(const char *path)
{
	char *dir = strdup(path);
	char *slash = strrchr(dir, '/');

	if (slash) {
		*slash = '\0';
		ck_assert_int_eq(roger_fs_mkdirs(dir, 0755, NULL), 0);
	}
	free(dir);
}

void fx_write(git_repository *repo, const char *rel, const void *data,
	      size_t len, int mode)
{
	char *p = abs_path(repo, rel);
	FILE *fp;

	make_parents(p);
	unlink(p);
	fp = fopen(p, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(p, (mode_t)mode), 0);
	free(p);
}

void fx_writes(git_repository *repo, const char *rel, const char *text)
{
	fx_write(repo, rel, text, strlen(text), 0644);
}

void fx_symlink(git_repository *repo, const char *rel, const char *target)
{
	char *p = abs_path(repo, rel);

	make_parents(p);
	unlink(p);
	ck_assert_int_eq(symlink(target, p), 0);
	free(p);
}

/*
 * Stage every file under `rel` (a directory of the work tree, "" at the
 * top), leaving out .git and nested repositories (submodules are recorded
 * by fx_add_submodule).  git_index_add_all would do the same, but it
 * leaks inside libgit2 when the tree has a submodule.
 */
static void add_tree(git_index *index, const char *wd, const char *rel)
{
	char path[4096], child[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s", wd, rel);
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, ".git"))
			continue;
		snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "",
			 de->d_name);
		snprintf(path, sizeof(path), "%s%s", wd, child);
		ck_assert_int_eq(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			char dotgit[4200];

			snprintf(dotgit, sizeof(dotgit), "%s/.git", path);
			if (access(dotgit, F_OK) != 0)
				add_tree(index, wd, child);
			continue;
		}
		ck_assert_int_eq(git_index_add_bypath(index, child), 0);
	}
	closedir(d);
}

void fx_commit(git_repository *repo, const char *message, int64_t time,
	       char *out)
{
	git_index *index = NULL;
	git_signature *sig = NULL;
	git_object *parent = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, id;
	int n = 0;

	ck_assert_int_eq(git_repository_index(&index, repo), 0);
	add_tree(index, git_repository_workdir(repo), "");
	ck_assert_int_eq(git_index_write(index), 0);
	ck_assert_int_eq(git_index_write_tree(&tree_id, index), 0);
	ck_assert_int_eq(git_tree_lookup(&tree, repo, &tree_id), 0);
	ck_assert_int_eq(git_signature_new(&sig, "A U Thor", "a@example.com",
					   (git_time_t)time, 0),
			 0);
	if (git_revparse_single(&parent, repo, "HEAD^{commit}") == 0)
		n = 1;
	ck_assert_int_eq(git_commit_create_v(&id, repo, "HEAD", sig, sig, NULL,
					     message, tree, (size_t)n, parent),
			 0);
	if (out)
		git_oid_tostr(out, 41, &id);
	git_object_free(parent);
	git_tree_free(tree);
	git_signature_free(sig);
	git_index_free(index);
}

void fx_add_submodule(git_repository *repo, const char *rel,
		      git_repository *sub, const char *url)
{
	git_index_entry e;
	git_index *index = NULL;
	char gitmodules[1024];

	snprintf(gitmodules, sizeof(gitmodules),
		 "[submodule \"%s\"]\n\tpath = %s\n\turl = %s\n", rel, rel,
		 url);
	fx_writes(repo, ".gitmodules", gitmodules);
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(git_reference_name_to_id(&e.id, sub, "HEAD"), 0);
	e.mode = GIT_FILEMODE_COMMIT;
	e.path = rel;
	ck_assert_int_eq(git_repository_index(&index, repo), 0);
	ck_assert_int_eq(git_index_add(index, &e), 0);
	ck_assert_int_eq(git_index_write(index), 0);
	git_index_free(index);
}

void fx_tag(git_repository *repo, const char *name, const char *commit,
	    int annotated)
{
	git_object *target = NULL;
	git_signature *sig = NULL;
	git_oid id;

	ck_assert_int_eq(git_revparse_single(&target, repo, commit), 0);
	if (annotated) {
		ck_assert_int_eq(git_signature_new(&sig, "T", "t@example.com",
						   1700000000, 0),
				 0);
		ck_assert_int_eq(git_tag_create(&id, repo, name, target, sig,
						"release", 0),
				 0);
		git_signature_free(sig);
	} else {
		ck_assert_int_eq(
			git_tag_create_lightweight(&id, repo, name, target, 0),
			0);
	}
	git_object_free(target);
}

int fx_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 ? -1 : WEXITSTATUS(st);
}
