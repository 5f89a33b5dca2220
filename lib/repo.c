/*
 * repo.c - git repositories through libgit2.
 *
 * libgit2 is initialised on the first open and stays initialised until the
 * process exits (or the library is unloaded): every initialisation of the
 * Debian build parses the system's whole CA bundle for mbedtls, a quarter
 * of a cached build's time, and one command opens the repository twice
 * (to find the project, then to build).  Its error messages are copied
 * into our struct roger_err at once, before another libgit2 call can
 * replace them.
 */
#include <config.h>

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "err.h"
#include "fs.h"
#include "noop.h"
#include "repo-git.h"
#include "repo.h"

/*
 * What the last stat pass of the dirty check saw, for the no-op record
 * made after the build from the same index: the entries whose lstat(2)
 * data said they were clean, and that data.  It stands only while the
 * index is the same one (its checksum, the stat data of its file and its
 * entry count), so the record costs no second pass over the tree.
 */
struct stat_memo {
	char sum[41];
	struct stat index_st;
	size_t n;
	bool *clean;
	struct stat *st;
};

struct roger_repo {
	git_repository *git;
	char *workdir;
	struct stat_memo memo;
};

static void memo_release(struct stat_memo *m)
{
	free(m->clean);
	free(m->st);
	memset(m, 0, sizeof(*m));
}

int roger_repo_git_error(struct roger_err *err, int code, const char *what)
{
	const git_error *e = git_error_last();

	return roger_err_set(err, code, "%s: %s", what,
			     e && e->message ? e->message
					     : "unknown libgit2 error");
}

/*
 * Bound the memory libgit2 maps from pack files: by default it maps whole
 * packs (windows of 1 GiB, up to 8 GiB), so reading every object of a
 * large repository would cost the size of its packs.  Windows of 4 MiB, 16
 * MiB at most at once, keep packaging at a few windows and one object.
 */
static void limit_pack_windows(void)
{
	size_t size = 0, limit = 0;

	git_libgit2_opts(GIT_OPT_GET_MWINDOW_SIZE, &size);
	git_libgit2_opts(GIT_OPT_GET_MWINDOW_MAPPED_LIMIT, &limit);
	if (size > (4u << 20))
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(4u << 20));
	if (limit > (16u << 20))
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT,
				 (size_t)(16u << 20));
}

static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static bool git_held;

/*
 * Objects are not hashed again as they are read (libgit2 does by default;
 * git itself, git archive included, does not): a third of the time spent
 * reading a tree's blobs.  Damage is still caught by zlib's checksum of
 * every stored object.
 */
static void git_hold(void)
{
	if (git_libgit2_init() >= 0) {
		git_held = true;
		limit_pack_windows();
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	}
}

/* The reference git_hold() took, given back when the process ends. */
__attribute__((destructor)) static void git_release(void)
{
	if (git_held)
		git_libgit2_shutdown();
	git_held = false;
}

/* Whether a repository's config could move or remove its work tree. */
static bool config_plain(const char *gitdir)
{
	struct roger_buf path = ROGER_BUF_INIT, text = ROGER_BUF_INIT;
	bool plain = false;

	if (roger_buf_addf(&path, "%s/config", gitdir) < 0 ||
	    roger_fs_read_file(&text, path.buf, NULL) < 0)
		goto out;
	plain = !memchr(text.buf, '\0', text.len);
	for (char *p = text.buf; plain && p && *p;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		for (char *q = p; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		if (!strncmp(p, "worktree", 8) || strstr(p, "include") ||
		    (!strncmp(p, "bare", 4) && !strstr(p, "false")))
			plain = false;
		p = nl ? nl + 1 : NULL;
	}
out:
	roger_buf_release(&path);
	roger_buf_release(&text);
	return plain;
}

bool roger_repo_quick_root(char **out, const char *dir)
{
	struct roger_buf d = ROGER_BUF_INIT, probe = ROGER_BUF_INIT;
	struct stat st, top;
	bool found = false;

	*out = NULL;
	if (dir[0] != '/' || roger_buf_adds(&d, dir) < 0 || stat(dir, &top) < 0)
		goto out;
	for (;;) {
		while (d.len > 1 && d.buf[d.len - 1] == '/')
			roger_buf_truncate(&d, d.len - 1);
		if (stat(d.buf, &st) < 0 || st.st_dev != top.st_dev)
			goto out;
		roger_buf_reset(&probe);
		if (roger_buf_addf(&probe, "%s%s.git", d.buf,
				   d.len > 1 ? "/" : "") < 0)
			goto out;
		if (lstat(probe.buf, &st) == 0) {
			if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
			    !config_plain(probe.buf))
				goto out;
			roger_buf_addf(&probe, "/HEAD");
			if (stat(probe.buf, &st) < 0 || !S_ISREG(st.st_mode))
				goto out;
			*out = roger_buf_detach(&d, NULL);
			found = *out != NULL;
			goto out;
		}
		/* A bare repository on the way: libgit2 would stop there. */
		roger_buf_reset(&probe);
		if (roger_buf_addf(&probe, "%s/HEAD", d.buf) < 0 ||
		    lstat(probe.buf, &st) == 0 || d.len <= 1)
			goto out;
		roger_buf_truncate(&d, (size_t)(strrchr(d.buf, '/') - d.buf));
		if (!d.len)
			roger_buf_adds(&d, "/");
	}
out:
	roger_buf_release(&d);
	roger_buf_release(&probe);
	return found;
}

int roger_repo_discover(struct roger_repo **out, const char *path,
			struct roger_err *err)
{
	struct roger_repo *repo = NULL;
	git_buf found = { 0 };
	const char *wd;
	size_t len;
	int rc;

	pthread_once(&git_once, git_hold);
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
		rc = roger_err_set(
			err, ROGER_ENOTFOUND,
			"'%s' is in a bare repository, not a work tree", path);
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
	return rc;
}

void roger_repo_free(struct roger_repo *repo)
{
	if (!repo)
		return;
	git_repository_free(repo->git);
	free(repo->workdir);
	memo_release(&repo->memo);
	free(repo);
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
				   "unknown revision '%s'%s",
				   ref ? ref : "HEAD",
				   rc == GIT_EAMBIGUOUS ? " (ambiguous)" : "");
		goto out;
	}
	if (rc < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, ref ? ref : "HEAD");
		goto out;
	}
	if (git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT) <
	    0) {
		rc = roger_err_set(
			err, ROGER_EUSAGE,
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

int roger_repo_commit_subject(struct roger_buf *out, struct roger_repo *repo,
			      const char *id, struct roger_err *err)
{
	git_object *obj = NULL;
	const char *summary;
	int rc;

	rc = git_revparse_single(&obj, repo->git, id);
	if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS ||
	    rc == GIT_EINVALIDSPEC ||
	    (rc == 0 && git_object_type(obj) != GIT_OBJECT_COMMIT)) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "the repository has no commit '%s'", id);
		goto out;
	}
	if (rc < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, id);
		goto out;
	}
	summary = git_commit_summary((git_commit *)obj);
	if (roger_buf_adds(out, summary ? summary : "") < 0)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
out:
	git_object_free(obj);
	return rc;
}

/* The tree entry of `path` in the tree of commit `id` (*out: new). */
static int commit_entry(git_tree_entry **out, struct roger_repo *repo,
			const char *id, const char *path, struct roger_err *err)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	int rc;

	if (git_oid_fromstr(&oid, id) < 0)
		return roger_err_set(err, ROGER_EINVALID,
				     "'%s' is not a full commit id", id);
	if (git_commit_lookup(&commit, repo->git, &oid) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		rc = roger_repo_git_error(err, ROGER_ENOTFOUND, id);
		goto out;
	}
	rc = git_tree_entry_bypath(out, tree, path);
	if (rc == GIT_ENOTFOUND)
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "commit %.12s has no '%s'", id, path);
	else if (rc < 0)
		rc = roger_repo_git_error(err, ROGER_ERROR, path);
out:
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

int roger_repo_read_file(struct roger_buf *out, struct roger_repo *repo,
			 const char *id, const char *path,
			 struct roger_err *err)
{
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int rc;

	if ((rc = commit_entry(&entry, repo, id, path, err)) < 0)
		return rc;
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "'%s' at commit %.12s is not a file", path,
				   id);
		goto out;
	}
	if (git_blob_lookup(&blob, repo->git, git_tree_entry_id(entry)) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, path);
		goto out;
	}
	if (roger_buf_add(out, git_blob_rawcontent(blob),
			  (size_t)git_blob_rawsize(blob)) < 0)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
out:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	return rc;
}

int roger_repo_head_has_file(bool *out, struct roger_repo *repo,
			     const char *path, struct roger_err *err)
{
	struct roger_commit_info ci;
	git_tree_entry *entry = NULL;
	int rc;

	*out = false;
	if (git_repository_head_unborn(repo->git) == 1)
		return 0;
	if ((rc = roger_repo_resolve(&ci, repo, NULL, err)) < 0)
		return rc;
	rc = commit_entry(&entry, repo, ci.id, path, err);
	if (rc == ROGER_ENOTFOUND) {
		roger_err_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	*out = git_tree_entry_type(entry) == GIT_OBJECT_BLOB;
	git_tree_entry_free(entry);
	return 0;
}

/*
 * The dirty check reads the index, not the whole work tree: libgit2's
 * status walks every directory (untracked files included), which costs
 * hundreds of milliseconds on a large tree, and a cached build must answer
 * in a few.  Like git, an entry whose stat data matches and that is not
 * racily clean (modified in the same tick as the index was written) is
 * taken as unchanged without reading the file; anything else is hashed
 * and compared with the index.  Untracked files are not looked at: they
 * are not part of the commit, so they cannot change its artifact.
 */
static int set_first(struct roger_buf *first, const char *label,
		     const char *path)
{
	if (!first)
		return 0;
	return roger_buf_addf(first, "%s%s", label, path);
}

enum stat_verdict {
	STAT_CLEAN, /* the stat data says unchanged */
	STAT_CHANGED, /* gone, another type, another executable bit */
	STAT_UNSURE, /* the content has to be compared */
};

/* What lstat(2) tells about the file behind index entry `ie`. */
static enum stat_verdict stat_check(const char *abs, const git_index_entry *ie,
				    const struct stat *index_st,
				    struct stat *st)
{
	bool racy;

	if (lstat(abs, st) < 0)
		return STAT_CHANGED;
	if (ie->mode == GIT_FILEMODE_LINK ? !S_ISLNK(st->st_mode)
					  : !S_ISREG(st->st_mode))
		return STAT_CHANGED;
	if (S_ISREG(st->st_mode) &&
	    ((ie->mode == GIT_FILEMODE_BLOB_EXECUTABLE) !=
	     ((st->st_mode & S_IXUSR) != 0)))
		return STAT_CHANGED;
	racy = (int64_t)ie->mtime.seconds > (int64_t)index_st->st_mtim.tv_sec ||
	       ((int64_t)ie->mtime.seconds ==
			(int64_t)index_st->st_mtim.tv_sec &&
		(long)ie->mtime.nanoseconds >= index_st->st_mtim.tv_nsec);
	/* The change time too, as git does (core.trustctime): a write that
	 * kept the size and put the modification time back still moves it. */
	if (!racy && ie->file_size == (uint32_t)st->st_size &&
	    ie->mtime.seconds == (int32_t)st->st_mtim.tv_sec &&
	    ie->mtime.nanoseconds == (uint32_t)st->st_mtim.tv_nsec &&
	    ie->ctime.seconds == (int32_t)st->st_ctim.tv_sec &&
	    ie->ctime.nanoseconds == (uint32_t)st->st_ctim.tv_nsec &&
	    ie->ino == (uint32_t)st->st_ino)
		return STAT_CLEAN;
	return STAT_UNSURE;
}

/* Whether the file behind index entry `ie` differs from it. */
static int entry_changed(bool *out, git_repository *git, const char *abs,
			 const git_index_entry *ie, const struct stat *index_st,
			 struct roger_err *err)
{
	struct stat st;
	git_oid oid;
	enum stat_verdict v = stat_check(abs, ie, index_st, &st);

	if (v != STAT_UNSURE) {
		*out = v == STAT_CHANGED;
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(abs, target, sizeof(target));

		if (n < 0 || git_odb_hash(&oid, target, (size_t)n,
					  GIT_OBJECT_BLOB) < 0) {
			*out = true;
			return 0;
		}
	} else if (git_repository_hashfile(&oid, git, abs, GIT_OBJECT_BLOB,
					   ie->path) < 0) {
		return roger_repo_git_error(err, ROGER_ERROR, abs);
	}
	*out = !git_oid_equal(&oid, &ie->id);
	return 0;
}

/*
 * The stat pass of a large index on two processors, as git's preload-index
 * does: a second thread checks the upper half of the entries while the
 * caller checks the lower half, each marking the entries whose stat data
 * says they are clean.  The ordered pass after it skips those and looks
 * at the rest (hashing, submodules, the first change to report) as
 * before, so the outcome is the same as without it.
 */
#define PRELOAD_MIN 1024

struct preload {
	git_index *index;
	const char *workdir, *prefix;
	const struct stat *index_st;
	size_t from, to;
	bool *clean;
	struct stat *st; /* where the stat data of clean entries go, or NULL */
};

static void *preload_range(void *data)
{
	struct preload *p = data;
	struct roger_buf abs = ROGER_BUF_INIT;
	size_t wlen;

	if (roger_buf_adds(&abs, p->workdir) < 0 ||
	    (abs.len && abs.buf[abs.len - 1] != '/' &&
	     roger_buf_addch(&abs, '/') < 0))
		goto out;
	wlen = abs.len;
	for (size_t i = p->from; i < p->to; i++) {
		const git_index_entry *ie = git_index_get_byindex(p->index, i);
		struct stat st;

		if (strncmp(ie->path, p->prefix, strlen(p->prefix)) ||
		    git_index_entry_stage(ie) != 0 ||
		    ie->mode == GIT_FILEMODE_COMMIT)
			continue;
		roger_buf_truncate(&abs, wlen);
		if (roger_buf_adds(&abs, ie->path) < 0)
			break;
		p->clean[i] =
			stat_check(abs.buf, ie, p->index_st, &st) == STAT_CLEAN;
		if (p->clean[i] && p->st)
			p->st[i] = st;
	}
out:
	roger_buf_release(&abs);
	return NULL;
}

/*
 * Marks in `clean` the entries under `prefix` whose stat data says they
 * are clean, their stat data in `st` when not NULL; false when no thread
 * could be started (nothing marked then).
 */
static bool preload(git_index *index, const char *workdir, const char *prefix,
		    const struct stat *index_st, bool *clean, struct stat *st)
{
	size_t n = git_index_entrycount(index);
	struct preload lo = { index, workdir, prefix, index_st,
			      0,     n / 2,   clean,  st };
	struct preload hi = lo;
	pthread_t thread;

	hi.from = n / 2;
	hi.to = n;
	if (pthread_create(&thread, NULL, preload_range, &hi) != 0)
		return false;
	preload_range(&lo);
	pthread_join(thread, NULL);
	return true;
}

static bool same_stat(const struct stat *a, const struct stat *b);

/*
 * The memo `m` ready for `index` (whose file has stat data `index_st`):
 * kept when made from the same index, else emptied and sized for it; NULL
 * when there is none, the index is too small to be worth it or memory is
 * short.
 */
static struct stat_memo *memo_for(struct stat_memo *m, git_index *index,
				  const struct stat *index_st)
{
	size_t n = git_index_entrycount(index);
	char sum[41];

	if (!m || n < PRELOAD_MIN || !index_st->st_ino)
		return NULL;
	git_oid_tostr(sum, sizeof(sum), git_index_checksum(index));
	if (m->clean && m->n == n && !strcmp(m->sum, sum) &&
	    same_stat(&m->index_st, index_st))
		return m;
	memo_release(m);
	m->clean = calloc(n, sizeof(*m->clean));
	m->st = calloc(n, sizeof(*m->st));
	if (!m->clean || !m->st) {
		memo_release(m);
		return NULL;
	}
	m->n = n;
	memcpy(m->sum, sum, sizeof(sum));
	m->index_st = *index_st;
	return m;
}

static int tree_dirty(bool *out, struct roger_buf *first, git_repository *git,
		      const char *workdir, const char *prefix,
		      const char *label, int depth, char *stamp,
		      struct stat_memo *memo, struct roger_err *err);

/*
 * Whether `path` is what `prefix` ("dir/", "" for everything) covers: below
 * the directory, or the file of that name.
 */
static bool in_scope(const char *path, const char *prefix, size_t plen)
{
	if (!strncmp(path, prefix, plen))
		return true;
	return plen > 0 && !strncmp(path, prefix, plen - 1) &&
	       path[plen - 1] == '\0';
}

/* A submodule is dirty when moved from its recorded commit or modified. */
static int submodule_dirty(bool *out, struct roger_buf *first, const char *abs,
			   const git_index_entry *ie, const char *label,
			   int depth, struct roger_err *err)
{
	git_repository *sub = NULL;
	struct roger_buf sublabel = ROGER_BUF_INIT;
	git_oid head;
	int rc = 0;

	*out = true;
	if (git_repository_open(&sub, abs) < 0) {
		/* Not checked out: nothing in the work tree differs. */
		*out = false;
		git_error_clear();
		return 0;
	}
	if (git_reference_name_to_id(&head, sub, "HEAD") < 0 ||
	    !git_oid_equal(&head, &ie->id)) {
		git_error_clear();
		goto out;
	}
	if (roger_buf_addf(&sublabel, "%s%s/", label, ie->path) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	rc = tree_dirty(out, first, sub, git_repository_workdir(sub), "",
			sublabel.buf, depth + 1, NULL, NULL, err);
	roger_buf_release(&sublabel);
	git_repository_free(sub);
	return rc;
out:
	roger_buf_release(&sublabel);
	git_repository_free(sub);
	return rc;
}

static int tree_dirty(bool *out, struct roger_buf *first, git_repository *git,
		      const char *workdir, const char *prefix,
		      const char *label, int depth, char *stamp,
		      struct stat_memo *memo, struct roger_err *err)
{
	git_diff_options dopts;
	git_index *index = NULL;
	git_object *head = NULL;
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	struct roger_buf abs = ROGER_BUF_INIT;
	size_t plen = strlen(prefix), wlen;
	char *spec = NULL;
	bool *clean = NULL, *own = NULL;
	char now[ROGER_REPO_STAMP_SIZE] = "";
	char index_id[41], tree_id[41];
	uint64_t dir_hash = 1469598103934665603ull; /* FNV-1a */
	struct stat index_st;
	int rc = 0;

	*out = false;
	if (depth > 16)
		return 0;
	if (git_repository_index(&index, git) < 0 ||
	    git_index_read(index, 0) < 0 ||
	    git_revparse_single(&head, git, "HEAD^{tree}") < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, workdir);
		goto out;
	}
	tree = (git_tree *)head;
	head = NULL;
	if (stat(git_index_path(index), &index_st) < 0)
		memset(&index_st, 0, sizeof(index_st));
	memo = memo_for(memo, index, &index_st);

	/* Staged changes: HEAD's tree against the index. */
	if (stamp) {
		git_oid_tostr(index_id, sizeof(index_id),
			      git_index_checksum(index));
		git_oid_tostr(tree_id, sizeof(tree_id), git_tree_id(tree));
		for (const char *p = prefix; *p; p++)
			dir_hash = (dir_hash ^ (unsigned char)*p) *
				   1099511628211ull;
		snprintf(now, sizeof(now), "index %s tree %s dir %016llx",
			 index_id, tree_id, (unsigned long long)dir_hash);
		if (!strcmp(now, stamp))
			goto unstaged;
		stamp[0] = '\0';
	}
	git_diff_options_init(&dopts, GIT_DIFF_OPTIONS_VERSION);
	/* A pathspec prunes the walk; one with glob characters might not. */
	if (plen && !strpbrk(prefix, "*?[\\")) {
		spec = strndup(prefix, plen - 1);
		if (!spec) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
		dopts.pathspec.strings = &spec;
		dopts.pathspec.count = 1;
	}
	if (git_diff_tree_to_index(&diff, git, tree, index, &dopts) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, workdir);
		goto out;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path =
			d->new_file.path ? d->new_file.path : d->old_file.path;

		if (!in_scope(path, prefix, plen))
			continue;
		*out = true;
		rc = set_first(first, label, path);
		goto out;
	}
	if (stamp)
		memcpy(stamp, now, sizeof(now));

unstaged:
	/* Unstaged changes: the index against the files. */
	if (roger_buf_adds(&abs, workdir) < 0 ||
	    (abs.len && abs.buf[abs.len - 1] != '/' &&
	     roger_buf_addch(&abs, '/') < 0)) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	wlen = abs.len;
	/* Entries marked clean by an earlier pass of the memo stay so. */
	if (memo) {
		if (preload(index, workdir, prefix, &index_st, memo->clean,
			    memo->st))
			clean = memo->clean;
	} else if (git_index_entrycount(index) >= PRELOAD_MIN &&
		   (own = calloc(git_index_entrycount(index), sizeof(*own))) &&
		   preload(index, workdir, prefix, &index_st, own, NULL)) {
		clean = own;
	}
	for (size_t i = 0; i < git_index_entrycount(index); i++) {
		const git_index_entry *ie = git_index_get_byindex(index, i);
		bool changed = false;

		if ((clean && clean[i]) || !in_scope(ie->path, prefix, plen))
			continue;
		roger_buf_truncate(&abs, wlen);
		if (roger_buf_adds(&abs, ie->path) < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
		if (git_index_entry_stage(ie) != 0)
			changed = true;
		else if (ie->mode == GIT_FILEMODE_COMMIT)
			rc = submodule_dirty(&changed, first, abs.buf, ie,
					     label, depth, err);
		else
			rc = entry_changed(&changed, git, abs.buf, ie,
					   &index_st, err);
		if (rc < 0)
			goto out;
		if (changed) {
			*out = true;
			if (ie->mode != GIT_FILEMODE_COMMIT || !first ||
			    !first->len)
				rc = set_first(first, label, ie->path);
			goto out;
		}
	}
out:
	if (rc == ROGER_ENOMEM || (rc < 0 && rc != ROGER_ERROR && !err))
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	roger_buf_release(&abs);
	free(own);
	free(spec);
	git_diff_free(diff);
	git_tree_free(tree);
	git_object_free(head);
	git_index_free(index);
	return rc;
}

int roger_repo_dirty(bool *out, struct roger_buf *first,
		     struct roger_repo *repo, const char *subdir,
		     struct roger_err *err)
{
	return roger_repo_dirty_stamped(out, first, repo, subdir, NULL, err);
}

int roger_repo_dirty_stamped(bool *out, struct roger_buf *first,
			     struct roger_repo *repo, const char *subdir,
			     char *stamp, struct roger_err *err)
{
	char *prefix;
	int rc;

	if (stamp)
		stamp[ROGER_REPO_STAMP_SIZE - 1] = '\0';
	if (git_repository_head_unborn(repo->git) == 1) {
		if (stamp)
			stamp[0] = '\0';
		*out = true;
		return first ? roger_buf_adds(first, "(no commit yet)") : 0;
	}
	prefix = malloc(strlen(subdir ? subdir : "") + 2);
	if (!prefix)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	sprintf(prefix, "%s%s", subdir ? subdir : "",
		subdir && *subdir ? "/" : "");
	rc = tree_dirty(out, first, repo->git, repo->workdir, prefix, "", 0,
			stamp, &repo->memo, err);
	free(prefix);
	return rc;
}

/*
 * A file whose content had to be compared stands in a no-op record only
 * when its times are this far in the past: a later write then gives it
 * later ones, whatever the granularity of the file system's clock.
 */
#define NOOP_SETTLED_NS 2000000000LL

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       roger_noop_ns(&a->st_mtim) == roger_noop_ns(&b->st_mtim) &&
	       roger_noop_ns(&a->st_ctim) == roger_noop_ns(&b->st_ctim);
}

/* Whether index entry `path` is under one of the scopes ("dir/", ""). */
static bool in_scopes(const char *path, char *const *prefixes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (in_scope(path, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* Whether the file of entry `ie` (lstat data in `st`) may be recorded. */
static int noop_entry_ok(bool *ok, struct roger_repo *repo, const char *abs,
			 const git_index_entry *ie, const struct stat *index_st,
			 struct stat *st, int64_t now, struct roger_err *err)
{
	enum stat_verdict v = stat_check(abs, ie, index_st, st);
	int64_t newest;
	bool changed = true;
	int rc;

	*ok = v == STAT_CLEAN;
	if (v != STAT_UNSURE)
		return 0;
	newest = roger_noop_ns(&st->st_mtim);
	if (roger_noop_ns(&st->st_ctim) > newest)
		newest = roger_noop_ns(&st->st_ctim);
	if (newest > now - NOOP_SETTLED_NS)
		return 0;
	rc = entry_changed(&changed, repo->git, abs, ie, index_st, err);
	*ok = rc == 0 && !changed;
	return rc;
}

int roger_repo_noop_record(struct roger_buf *where, struct roger_buf *entries,
			   bool *ok, struct roger_repo *repo, const char *head,
			   const char *index_sum, const char *const *scopes,
			   size_t n, const char **why, struct roger_err *err)
{
	const char *gitdir = git_repository_path(repo->git);
	const char *common = git_repository_commondir(repo->git);
	const char *ipath;
	git_index *index = NULL;
	struct roger_buf abs = ROGER_BUF_INIT;
	struct stat before, after, st;
	const struct stat_memo *memo = NULL;
	struct timespec now;
	char **prefixes = calloc(n ? n : 1, sizeof(*prefixes));
	char sum[41], head_now[41];
	size_t wlen;
	int rc = 0;

	*ok = false;
	*why = "the repository's paths";
	clock_gettime(CLOCK_REALTIME, &now);
	if (!prefixes)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		prefixes[i] = malloc(strlen(scopes[i]) + 2);
		if (!prefixes[i]) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
		sprintf(prefixes[i], "%s%s", scopes[i], *scopes[i] ? "/" : "");
	}
	if (!gitdir || !common || strchr(gitdir, '\n') ||
	    strchr(common, '\n') || strchr(repo->workdir, '\n'))
		goto out;
	*why = "HEAD moved, or cannot be read from its files";
	if (!roger_noop_read_head(head_now, gitdir, common) ||
	    strcmp(head_now, head))
		goto out;
	if (git_repository_index(&index, repo->git) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, repo->workdir);
		goto out;
	}
	ipath = git_index_path(index);
	*why = "the index changed";
	if (!ipath || strchr(ipath, '\n') || stat(ipath, &before) < 0)
		goto out;
	/*
	 * Read again only when the file looks changed: the index in memory
	 * counts when its checksum, the stamp's and the one at the end of
	 * the file are the same, which the next lines check.
	 */
	if (git_index_read(index, 0) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, ipath);
		goto out;
	}
	git_oid_tostr(sum, sizeof(sum), git_index_checksum(index));
	if (strcmp(sum, index_sum) || !roger_noop_index_sum(sum, ipath) ||
	    strcmp(sum, index_sum) || stat(ipath, &after) < 0 ||
	    !same_stat(&before, &after))
		goto out;
	if (roger_buf_adds(&abs, repo->workdir) < 0 ||
	    (abs.len && abs.buf[abs.len - 1] != '/' &&
	     roger_buf_addch(&abs, '/') < 0)) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	wlen = abs.len;
	/* The dirty check of this build looked at this very index. */
	if (repo->memo.clean && repo->memo.n == git_index_entrycount(index) &&
	    !strcmp(repo->memo.sum, index_sum) &&
	    same_stat(&repo->memo.index_st, &after))
		memo = &repo->memo;
	for (size_t i = 0; i < git_index_entrycount(index); i++) {
		const git_index_entry *ie = git_index_get_byindex(index, i);
		const struct stat *seen = &st;
		bool fine = false;

		if (!in_scopes(ie->path, prefixes, n))
			continue;
		*why = "a conflict, a submodule or a file name with a newline";
		if (git_index_entry_stage(ie) != 0 ||
		    ie->mode == GIT_FILEMODE_COMMIT || strchr(ie->path, '\n'))
			goto out;
		*why = "a file changed, or too recently to be trusted";
		if (memo && memo->clean[i]) {
			seen = &memo->st[i];
		} else {
			roger_buf_truncate(&abs, wlen);
			if (roger_buf_adds(&abs, ie->path) < 0) {
				rc = roger_err_set(err, ROGER_ENOMEM,
						   "out of memory");
				goto out;
			}
			rc = noop_entry_ok(&fine, repo, abs.buf, ie, &after,
					   &st, roger_noop_ns(&now), err);
			if (rc < 0 || !fine)
				goto out;
		}
		if (roger_noop_add_entry(entries, seen, ie->path) < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
	}
	roger_buf_truncate(&abs, wlen);
	if (roger_buf_addf(where,
			   "gitdir %s\ncommondir %s\nworkdir %s\nindex %s\n"
			   "head %s\nistat %llu %llu %lld %lld\nisum %s\n",
			   gitdir, common, abs.buf, ipath, head,
			   (unsigned long long)after.st_ino,
			   (unsigned long long)after.st_size,
			   (long long)roger_noop_ns(&after.st_mtim),
			   (long long)roger_noop_ns(&after.st_ctim),
			   index_sum) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	*ok = true;
	*why = NULL;
out:
	for (size_t i = 0; i < n; i++)
		free(prefixes[i]);
	free(prefixes);
	roger_buf_release(&abs);
	git_index_free(index);
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
