/*
 * repo.c - git repositories through libgit2.
 *
 * libgit2 is initialised on the first open and shut down with the last
 * free (its own reference count).  Its error messages are copied into our
 * struct roger_err at once, before another libgit2 call can replace them.
 */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "buf.h"
#include "err.h"
#include "repo-git.h"
#include "repo.h"

struct roger_repo {
	git_repository *git;
	char *workdir;
};

int roger_repo_git_error(struct roger_err *err, int code, const char *what)
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
		rc = roger_repo_git_error(err, ROGER_ERROR, path);
		goto fail;
	}
	if (git_repository_open(&repo->git, found.ptr) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, found.ptr);
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

git_repository *roger_repo_git(const struct roger_repo *repo)
{
	return repo->git;
}

int roger_repo_resolve(struct roger_commit_info *out, struct roger_repo *repo,
		       const char *ref, struct roger_err *err)
{
	git_object *obj = NULL;
	git_commit *commit = NULL;
	int rc = 0;

	if (!ref && git_repository_head_unborn(repo->git) == 1)
		return roger_err_set(err, ROGER_ENOTFOUND,
				     "the repository at '%s' has no commit yet",
				     repo->workdir);
	rc = git_revparse_single(&obj, repo->git, ref ? ref : "HEAD");
	if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS ||
	    rc == GIT_EINVALIDSPEC) {
		rc = roger_err_set(err, ref ? ROGER_EUSAGE : ROGER_ENOTFOUND,
				   "unknown revision '%s'%s", ref ? ref : "HEAD",
				   rc == GIT_EAMBIGUOUS ? " (ambiguous)" : "");
		goto out;
	}
	if (rc < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, ref ? ref : "HEAD");
		goto out;
	}
	if (git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = roger_err_set(err, ROGER_EUSAGE,
				   "revision '%s' is a %s, not a commit",
				   ref ? ref : "HEAD",
				   git_object_type2string(git_object_type(obj)));
		goto out;
	}
	git_oid_tostr(out->id, sizeof(out->id), git_commit_id(commit));
	git_oid_tostr(out->tree, sizeof(out->tree), git_commit_tree_id(commit));
	out->time = (int64_t)git_commit_time(commit);
	rc = 0;
out:
	git_commit_free(commit);
	git_object_free(obj);
	return rc;
}

/* Whether a status entry is roger's own directory, which never counts. */
static bool is_roger_dir(const char *path, const char *prefix, size_t plen)
{
	return !strncmp(path, prefix, plen) &&
	       !strncmp(path + plen, ".roger/", 7);
}

int roger_repo_dirty(bool *out, struct roger_buf *first,
		     struct roger_repo *repo, const char *subdir,
		     struct roger_err *err)
{
	git_status_options opts;
	git_status_list *list = NULL;
	char *spec = NULL, *prefix = NULL;
	size_t plen = 0;
	bool dirty = false;
	int rc = 0;

	if (git_repository_head_unborn(repo->git) == 1) {
		*out = true;
		if (first)
			rc = roger_buf_adds(first, "(no commit yet)");
		return rc;
	}
	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
		     GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
	if (subdir && *subdir) {
		plen = strlen(subdir) + 1;
		prefix = malloc(plen + 1);
		if (!prefix)
			return roger_err_set(err, ROGER_ENOMEM, "out of memory");
		snprintf(prefix, plen + 1, "%s/", subdir);
		spec = prefix;
		opts.pathspec.strings = &spec;
		opts.pathspec.count = 1;
	}
	if (git_status_list_new(&list, repo->git, &opts) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, repo->workdir);
		goto out;
	}
	for (size_t i = 0; i < git_status_list_entrycount(list); i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir
							      : e->head_to_index;
		const char *path = d ? d->new_file.path : NULL;

		if (e->status == GIT_STATUS_CURRENT ||
		    e->status == GIT_STATUS_IGNORED)
			continue;
		if (!path || (prefix && strncmp(path, prefix, plen)))
			continue;
		if (e->status == GIT_STATUS_WT_NEW &&
		    is_roger_dir(path, prefix ? prefix : "", plen))
			continue;
		dirty = true;
		if (first)
			rc = roger_buf_adds(first, path);
		break;
	}
	*out = dirty;
out:
	git_status_list_free(list);
	free(prefix);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_name(char ***names, size_t *n, size_t *alloc, const char *name)
{
	if (*n == *alloc) {
		size_t na = *alloc ? 2 * *alloc : 16;
		char **v = realloc(*names, na * sizeof(*v));

		if (!v)
			return ROGER_ENOMEM;
		*names = v;
		*alloc = na;
	}
	(*names)[*n] = strdup(name);
	if (!(*names)[*n])
		return ROGER_ENOMEM;
	(*n)++;
	return 0;
}

int roger_repo_list_refs(char ***out, size_t *n, struct roger_repo *repo,
			 struct roger_err *err)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_object *head = NULL;
	char **names = NULL;
	size_t count = 0, alloc = 0, w;
	int rc = 0;

	if (git_reference_iterator_new(&it, repo->git) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, repo->workdir);
		goto out;
	}
	while (git_reference_next(&ref, it) == 0) {
		const char *full = git_reference_name(ref);

		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    (!strncmp(full, "refs/heads/", 11) ||
		     !strncmp(full, "refs/tags/", 10) ||
		     !strncmp(full, "refs/remotes/", 13)) &&
		    add_name(&names, &count, &alloc,
			     git_reference_shorthand(ref)) < 0)
			rc = ROGER_ENOMEM;
		git_reference_free(ref);
		ref = NULL;
		if (rc < 0)
			break;
	}
	if (rc == 0 && git_revparse_single(&head, repo->git, "HEAD") == 0) {
		char shortid[8];

		git_oid_tostr(shortid, sizeof(shortid), git_object_id(head));
		if (add_name(&names, &count, &alloc, "HEAD") < 0 ||
		    add_name(&names, &count, &alloc, shortid) < 0)
			rc = ROGER_ENOMEM;
	}
	if (rc < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (count)
		qsort(names, count, sizeof(*names), cmp_names);
	for (size_t i = w = 0; i < count; i++) {
		if (w && !strcmp(names[w - 1], names[i])) {
			free(names[i]);
			continue;
		}
		names[w++] = names[i];
	}
	*out = names;
	*n = count ? w : 0;
	names = NULL;
	count = 0;
out:
	roger_repo_names_free(names, count);
	git_object_free(head);
	git_reference_iterator_free(it);
	return rc;
}

void roger_repo_names_free(char **names, size_t n)
{
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}
