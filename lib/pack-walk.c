/*
 * pack-walk.c - walking a source tree in a fixed order and writing each
 * entry to a sink: the deterministic tar.gz writer, or a directory (the
 * clean export a build command runs in).
 *
 * Design.  Three sources share one walker: a commit's tree (objects read
 * through libgit2: loose objects streamed, packed ones one at a time), the
 * work tree (tracked files plus untracked, unignored ones, decided with the
 * repository's index and ignore rules), and a plain directory (the result
 * of a build).  Each directory's entries are sorted in git's order (a
 * directory compares as its name followed by '/', a submodule too), so the
 * same content gives the same sequence of entries from any source.  Paths
 * are kept relative to the top repository root ("full") for attributes,
 * and relative to the packaged subtree for the archive and the exclude
 * patterns.  Attribute frames (one per .gitattributes) live on a stack
 * that follows the descent; a submodule raises the floor so that the
 * superproject's attributes do not reach into it, as in git.
 *
 * The tar sink builds each header with libarchive (pax restricted: plain
 * ustar unless a name needs more, UTF-8 names), and libarchive's output
 * goes to the segment writer (seg.c), whose output is hashed (SHA-256) and
 * handed to the caller's callback.  The walk plans the entries first
 * (names and references, no content); file contents are read one object
 * at a time as their runs are written.  An image layer puts every entry
 * under a directory and also hashes the uncompressed tar (its diff_id).
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <git2.h>
#include <openssl/evp.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "pack-internal.h"
#include "pack.h"
#include "pattern.h"
#include "repo-git.h"
#include "repo.h"
#include "seg.h"
#include "str.h"
#include "util.h"

#define READ_CHUNK (256 * 1024)
#define LFS_MAX 1024
#define LFS_PREFIX "version https://git-lfs.github.com/spec/"

/* ---- content of a regular file ------------------------------------------ */

struct content {
	uint64_t size;
	uint64_t done;
	git_odb_object *obj; /* the whole object in memory */
	git_odb_stream *stream;
	int fd;
	char *buf; /* the walker's read buffer (borrowed) */
};

static int content_open_blob(struct content *c, git_odb *odb, const git_oid *id,
			     const char *path, struct roger_err *err)
{
	git_object_t type;
	size_t len;

	c->fd = -1;
	if (git_odb_open_rstream(&c->stream, &len, &type, odb, id) == 0) {
		c->size = len;
		return 0;
	}
	c->stream = NULL;
	git_error_clear();
	if (git_odb_read(&c->obj, odb, id) < 0)
		return roger_repo_git_error(err, ROGER_ERROR, path);
	c->size = git_odb_object_size(c->obj);
	return 0;
}

static int content_open_file(struct content *c, int dirfd, const char *name,
			     const char *path, struct roger_err *err)
{
	struct stat st;

	c->fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (c->fd < 0 || fstat(c->fd, &st) < 0)
		return roger_err_set(err, ROGER_EIO, "cannot read '%s': %s",
				     path, strerror(errno));
	c->size = (uint64_t)st.st_size;
	return 0;
}

/* The next piece of content in *p (0 bytes at the end). */
static int content_next(struct content *c, const char **p, size_t *n,
			const char *path, struct roger_err *err)
{
	size_t want =
		c->size - c->done < READ_CHUNK ? c->size - c->done : READ_CHUNK;
	ssize_t got;

	*n = 0;
	if (want == 0)
		return 0;
	if (c->obj) {
		*p = (const char *)git_odb_object_data(c->obj) + c->done;
		*n = want;
		c->done += want;
		return 0;
	}
	*p = c->buf;
	if (c->stream) {
		got = git_odb_stream_read(c->stream, c->buf, want);
		if (got < 0)
			return roger_repo_git_error(err, ROGER_ERROR, path);
	} else {
		do
			got = read(c->fd, c->buf, want);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return roger_err_set(err, ROGER_EIO,
					     "cannot read '%s': %s", path,
					     strerror(errno));
	}
	if (got == 0)
		return roger_err_set(err, ROGER_EIO,
				     "'%s' changed while it was packaged",
				     path);
	*n = (size_t)got;
	c->done += (uint64_t)got;
	return 0;
}

static void content_close(struct content *c)
{
	git_odb_object_free(c->obj);
	if (c->stream)
		git_odb_stream_free(c->stream);
	if (c->fd >= 0)
		close(c->fd);
	c->obj = NULL;
	c->stream = NULL;
	c->fd = -1;
}

/* ---- sinks -------------------------------------------------------------- */

/* A regular file not read yet: where its content is. */
struct file_ref {
	bool exec;
	git_repository *git; /* a commit's blob `oid` in this repository */
	git_oid oid;
	const char *abs; /* or a file on disk */
};

struct sink_ops {
	int (*dir)(void *sink, const char *path, struct roger_err *err);
	int (*file)(void *sink, const char *path, bool exec, struct content *c,
		    struct roger_err *err);
	int (*link)(void *sink, const char *path, const char *target,
		    struct roger_err *err);
	/* Set: files are handed over unread, as references, instead. */
	int (*plan)(void *sink, const char *path, const struct file_ref *ref,
		    struct roger_err *err);
	/* Set: takes the repositories of submodules, which refs point into. */
	void (*adopt)(void *sink, git_repository *repo);
};

struct tar_sink {
	locale_t utf8, saved; /* libarchive converts names through LC_CTYPE */
	struct archive *ar;
	struct archive_entry *entry;
	struct roger_seg *seg;
	EVP_MD_CTX *md;
	EVP_MD_CTX *tar_md; /* layers: the uncompressed stream's digest */
	const char *prefix; /* layers: the directory entries go under */
	struct roger_buf name; /* prefix + '/' + path */
	int64_t mtime;
	roger_pack_write_fn fn;
	void *data;
	struct roger_pack_stats *stats;
	size_t lfs_alloc;
	int cb_rc;
	struct roger_err cb_err;
	bool discard; /* failed: let libarchive finish into nothing */
};

static int seg_out(void *data, const void *buf, size_t len,
		   struct roger_err *err)
{
	struct tar_sink *t = data;

	EVP_DigestUpdate(t->md, buf, len);
	t->stats->size += len;
	return t->fn(t->data, buf, len, err);
}

static la_ssize_t tar_cb(struct archive *a, void *client, const void *buf,
			 size_t len)
{
	struct tar_sink *t = client;
	int rc;

	if (t->discard)
		return (la_ssize_t)len;
	if (t->tar_md)
		EVP_DigestUpdate(t->tar_md, buf, len);
	rc = roger_seg_write(t->seg, buf, len, &t->cb_err);
	if (rc < 0) {
		t->cb_rc = rc;
		archive_set_error(a, EIO, "%s", t->cb_err.msg);
		return -1;
	}
	t->stats->tar_size += len;
	return (la_ssize_t)len;
}

static int tar_fail(struct tar_sink *t, const char *path, struct roger_err *err)
{
	if (t->cb_rc < 0) {
		roger_err_set(err, t->cb_rc, "%s", t->cb_err.msg);
		return t->cb_rc;
	}
	return roger_err_set(err, ROGER_ERROR, "cannot archive '%s': %s", path,
			     archive_error_string(t->ar));
}

/*
 * `name` made printable for a message: control bytes and bytes that are
 * not part of a valid UTF-8 sequence as \ooo (as git quotes paths).
 */
static void quote_name(struct roger_buf *out, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = strlen(name);

	for (size_t i = 0; i < len;) {
		size_t n = s[i] < 0x80   ? 1
			   : s[i] < 0xe0 ? 2
			   : s[i] < 0xf0 ? 3
					 : 4;

		if (s[i] >= 0x20 && s[i] != 0x7f &&
		    (n == 1 ||
		     (i + n <= len && roger_utf8_valid(name + i, n)))) {
			roger_buf_add(out, name + i, n);
			i += n;
		} else {
			roger_buf_addf(out, "\\%03o", s[i]);
			i++;
		}
	}
}

static int name_error(const char *path, const char *target,
		      struct roger_err *err)
{
	struct roger_buf q = ROGER_BUF_INIT, tq = ROGER_BUF_INIT;
	int rc;

	quote_name(&q, path);
	if (target)
		quote_name(&tq, target);
	if (!roger_utf8_valid(path, strlen(path)))
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"file name '%s' is not valid UTF-8: artifacts hold UTF-8 names only; rename it, or leave it out with build.exclude or export-ignore",
			q.buf);
	else
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"symbolic link '%s' points to '%s', which is not valid UTF-8: artifacts hold UTF-8 names only",
			q.buf, tq.buf);
	roger_buf_release(&q);
	roger_buf_release(&tq);
	return rc;
}

static int tar_header(struct tar_sink *t, const char *path, unsigned type,
		      unsigned perm, uint64_t size, const char *target,
		      struct roger_err *err)
{
	struct archive_entry *e = t->entry;

	if (!roger_utf8_valid(path, strlen(path)) ||
	    (target && !roger_utf8_valid(target, strlen(target))))
		return name_error(path, target, err);
	if (t->prefix && *t->prefix) {
		roger_buf_reset(&t->name);
		if (roger_buf_addf(&t->name, "%s%s%s", t->prefix,
				   *path ? "/" : "", path) < 0)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		path = t->name.buf;
	}
	/*
	 * Names go in as the locale's bytes (UTF-8, see tar_open), which
	 * libarchive writes unchanged; given as UTF-8 they would be turned
	 * into NFC, and a decomposed name (as macOS makes them) would differ
	 * from the commit's, or even collide with a composed sibling.
	 */
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, (time_t)t->mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (target)
		archive_entry_copy_symlink(e, target);
	if (archive_write_header(t->ar, e) != ARCHIVE_OK)
		return tar_fail(t, path, err);
	return 0;
}

static int tar_dir(void *sink, const char *path, struct roger_err *err)
{
	return tar_header(sink, path, AE_IFDIR, 0755, 0, NULL, err);
}

static int tar_link(void *sink, const char *path, const char *target,
		    struct roger_err *err)
{
	struct tar_sink *t = sink;
	int rc = tar_header(t, path, AE_IFLNK, 0777, 0, target, err);

	if (rc == 0)
		t->stats->files++;
	return rc;
}

static int note_lfs(struct tar_sink *t, const char *path, struct roger_err *err)
{
	struct roger_pack_stats *s = t->stats;

	if (s->n_lfs_pointers == t->lfs_alloc) {
		size_t na = t->lfs_alloc ? 2 * t->lfs_alloc : 8;
		char **v = realloc(s->lfs_pointers, na * sizeof(*v));

		if (!v)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		s->lfs_pointers = v;
		t->lfs_alloc = na;
	}
	s->lfs_pointers[s->n_lfs_pointers] = strdup(path);
	if (!s->lfs_pointers[s->n_lfs_pointers])
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	s->n_lfs_pointers++;
	return 0;
}

static int tar_file(void *sink, const char *path, bool exec, struct content *c,
		    struct roger_err *err)
{
	struct tar_sink *t = sink;
	bool first = true;
	const char *p;
	size_t n;
	int rc;

	rc = tar_header(t, path, AE_IFREG, exec ? 0755 : 0644, c->size, NULL,
			err);
	while (rc == 0) {
		rc = content_next(c, &p, &n, path, err);
		if (rc < 0 || n == 0)
			break;
		if (first && c->size < LFS_MAX && n >= sizeof(LFS_PREFIX) - 1 &&
		    !memcmp(p, LFS_PREFIX, sizeof(LFS_PREFIX) - 1))
			rc = note_lfs(t, path, err);
		first = false;
		if (rc == 0 && archive_write_data(t->ar, p, n) != (la_ssize_t)n)
			rc = tar_fail(t, path, err);
	}
	if (rc == 0 && archive_write_finish_entry(t->ar) != ARCHIVE_OK)
		rc = tar_fail(t, path, err);
	if (rc == 0)
		t->stats->files++;
	return rc;
}

/* The export sink writes the entries under a directory. */
struct dir_sink {
	const char *root;
	struct roger_buf path;
};

static const char *dir_path(struct dir_sink *d, const char *rel)
{
	roger_buf_reset(&d->path);
	if (roger_buf_addf(&d->path, "%s/%s", d->root, rel) < 0)
		return NULL;
	return d->path.buf;
}

static int dir_dir(void *sink, const char *path, struct roger_err *err)
{
	const char *abs = dir_path(sink, path);

	if (!abs)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (mkdir(abs, 0755) < 0 && errno != EEXIST)
		return roger_err_set(err, ROGER_EIO,
				     "cannot create directory '%s': %s", abs,
				     strerror(errno));
	return 0;
}

static int dir_file(void *sink, const char *path, bool exec, struct content *c,
		    struct roger_err *err)
{
	const char *abs = dir_path(sink, path);
	const char *p;
	size_t n;
	int fd, rc = 0;

	if (!abs)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	fd = open(abs, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		  exec ? 0755 : 0644);
	if (fd < 0)
		return roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				     abs, strerror(errno));
	while (rc == 0) {
		rc = content_next(c, &p, &n, path, err);
		if (rc < 0 || n == 0)
			break;
		if (roger_write_all(fd, p, n) < 0)
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot write '%s': %s", abs,
					   strerror(errno));
	}
	if (close(fd) < 0 && rc == 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s", abs,
				   strerror(errno));
	return rc;
}

static int dir_link(void *sink, const char *path, const char *target,
		    struct roger_err *err)
{
	const char *abs = dir_path(sink, path);

	if (!abs)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (symlink(target, abs) < 0)
		return roger_err_set(err, ROGER_EIO,
				     "cannot create symbolic link '%s': %s",
				     abs, strerror(errno));
	return 0;
}

static const struct sink_ops dir_ops = { dir_dir, dir_file, dir_link, NULL,
					 NULL };

/* ---- the walker --------------------------------------------------------- */

struct walker {
	struct roger_ctx *ctx;
	const struct sink_ops *ops;
	void *sink;
	bool filter; /* export-ignore and exclude apply */
	struct roger_pattern_list *attrs; /* the attribute stack */
	size_t n_attrs, alloc_attrs, floor;
	struct roger_pattern_list exclude;
	size_t archive_off; /* full path offset of archive paths */
	const char *roger_dir; /* full path of the project's .roger */
	struct roger_buf full; /* the current path from the top root */
	bool defer_dirs; /* write a directory with its first entry */
	size_t *dir_len; /* full path length of each open directory */
	size_t depth, alloc_depth,
		written; /* open directories, those written */
	char *buf; /* READ_CHUNK bytes */
	uint64_t files, bytes;
	roger_pack_progress_fn progress_fn;
	void *progress_data;
};

/* Where a work-tree walk is, inside the top repository or a submodule. */
struct wt_repo {
	git_repository *git;
	git_index *index;
	size_t prefix_len; /* full path length of this repository's root */
};

static const char *archive_path(const struct walker *w)
{
	return w->full.buf + w->archive_off;
}

static int push_attrs(struct walker *w, const char *base, const char *text,
		      size_t len, bool *pushed, struct roger_err *err)
{
	struct roger_pattern_list *l;
	int rc;

	*pushed = false;
	if (!w->filter)
		return 0;
	if (w->n_attrs == w->alloc_attrs) {
		size_t na = w->alloc_attrs ? 2 * w->alloc_attrs : 16;
		struct roger_pattern_list *v =
			realloc(w->attrs, na * sizeof(*v));

		if (!v)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		w->attrs = v;
		w->alloc_attrs = na;
	}
	l = &w->attrs[w->n_attrs];
	memset(l, 0, sizeof(*l));
	rc = roger_pattern_list_parse_attributes(l, base, text, len,
						 "export-ignore", err);
	if (rc < 0) {
		roger_pattern_list_release(l);
		return rc;
	}
	w->n_attrs++;
	*pushed = true;
	return 0;
}

static void pop_attrs(struct walker *w, bool pushed)
{
	if (pushed)
		roger_pattern_list_release(&w->attrs[--w->n_attrs]);
}

/* The .gitattributes of `tree` (whose full path is `base`), if any. */
static int push_attrs_tree(struct walker *w, git_repository *git,
			   git_tree *tree, const char *base, bool *pushed,
			   struct roger_err *err)
{
	const git_tree_entry *te;
	git_blob *blob = NULL;
	int rc;

	*pushed = false;
	if (!w->filter)
		return 0;
	te = git_tree_entry_byname(tree, ".gitattributes");
	if (!te || git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		return 0;
	if (git_blob_lookup(&blob, git, git_tree_entry_id(te)) < 0)
		return roger_repo_git_error(err, ROGER_ERROR, ".gitattributes");
	rc = push_attrs(w, base, git_blob_rawcontent(blob),
			(size_t)git_blob_rawsize(blob), pushed, err);
	git_blob_free(blob);
	return rc;
}

/* The .gitattributes file in directory `abs` (full path `base`), if any. */
static int push_attrs_file(struct walker *w, const char *abs, const char *base,
			   bool *pushed, struct roger_err *err)
{
	struct roger_buf text = ROGER_BUF_INIT;
	char *path;
	struct stat st;
	int rc = 0;

	*pushed = false;
	if (!w->filter)
		return 0;
	path = roger_path_join(abs, ".gitattributes");
	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		rc = roger_fs_read_file(&text, path, err);
		if (rc == 0)
			rc = push_attrs(w, base, text.buf, text.len, pushed,
					err);
	}
	roger_buf_release(&text);
	free(path);
	return rc;
}

/* Whether the current path is left out of the archive. */
static bool skipped(const struct walker *w, bool is_dir)
{
	if (!w->filter)
		return false;
	for (size_t i = w->n_attrs; i-- > w->floor;) {
		const struct roger_pattern *pat = roger_pattern_list_match(
			&w->attrs[i], w->full.buf, is_dir);

		if (pat)
			return pat->value == 1;
	}
	return roger_pattern_excluded(&w->exclude, archive_path(w), is_dir);
}

static int step(struct walker *w, uint64_t bytes, struct roger_err *err)
{
	w->files++;
	w->bytes += bytes;
	if (w->progress_fn)
		w->progress_fn(w->progress_data, w->files, w->bytes);
	if (roger_ctx_interrupted(w->ctx))
		return roger_err_set(err, ROGER_EINTR, "interrupted");
	return 0;
}

/* git's order: a directory sorts as if its name ended with '/'. */
static int git_order(const char *a, bool adir, const char *b, bool bdir)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t n = la < lb ? la : lb;
	int c = memcmp(a, b, n);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = n < la ? (unsigned char)a[n] : (adir ? '/' : '\0');
	cb = n < lb ? (unsigned char)b[n] : (bdir ? '/' : '\0');
	return ca < cb ? -1 : ca > cb;
}

static int set_name(struct walker *w, size_t base, const char *name,
		    struct roger_err *err)
{
	roger_buf_truncate(&w->full, base);
	if (roger_buf_adds(&w->full, name) < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

/*
 * Write the directories opened but not written yet, outermost first.  Like
 * git archive, a commit's directory is written only when something inside
 * it is (export-ignore and exclude patterns leave no empty directories);
 * a build's directories are written at once, empty ones included.
 */
static int flush_dirs(struct walker *w, struct roger_err *err)
{
	int rc = 0;

	for (; w->written < w->depth && rc == 0; w->written++) {
		size_t len = w->dir_len[w->written];
		char saved = w->full.buf[len];

		w->full.buf[len] = '\0';
		rc = w->ops->dir(w->sink, archive_path(w), err);
		w->full.buf[len] = saved;
	}
	return rc;
}

static int enter_dir(struct walker *w, struct roger_err *err)
{
	if (w->depth == w->alloc_depth) {
		size_t na = w->alloc_depth ? 2 * w->alloc_depth : 16;
		size_t *v = realloc(w->dir_len, na * sizeof(*v));

		if (!v)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		w->dir_len = v;
		w->alloc_depth = na;
	}
	w->dir_len[w->depth++] = w->full.len;
	if (roger_buf_addch(&w->full, '/') < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return w->defer_dirs ? 0 : flush_dirs(w, err);
}

static void leave_dir(struct walker *w)
{
	w->depth--;
	if (w->written > w->depth)
		w->written = w->depth;
}

static int walk_tree(struct walker *w, git_repository *git, const char *workdir,
		     size_t prefix_len, git_tree *tree, struct roger_err *err);

/* A gitlink: the submodule's tree at its recorded commit. */
static int walk_submodule(struct walker *w, const char *workdir,
			  size_t prefix_len, const git_oid *id,
			  struct roger_err *err)
{
	git_repository *sub = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	const char *rel = w->full.buf + prefix_len;
	char *abs = roger_path_join(workdir, rel);
	size_t floor = w->floor;
	bool pushed = false;
	int rc = 0;

	git_oid_tostr(hex, sizeof(hex), id);
	if (!abs)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (git_repository_open(&sub, abs) < 0) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"submodule '%s' is not checked out; run 'git submodule update --init --recursive', or leave it out with build.exclude",
			w->full.buf);
		goto out;
	}
	if (git_commit_lookup(&commit, sub, id) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"submodule '%s' does not have commit %s; run 'git submodule update --init --recursive'",
			w->full.buf, hex);
		goto out;
	}
	rc = enter_dir(w, err);
	if (rc < 0)
		goto out;
	w->floor = w->n_attrs;
	rc = push_attrs_tree(w, sub, tree, w->full.buf, &pushed, err);
	if (rc == 0)
		rc = walk_tree(w, sub, abs, w->full.len, tree, err);
	pop_attrs(w, pushed);
	leave_dir(w);
	w->floor = floor;
out:
	git_tree_free(tree);
	git_commit_free(commit);
	if (sub && w->ops->adopt)
		w->ops->adopt(w->sink, sub);
	else
		git_repository_free(sub);
	free(abs);
	return rc;
}

static int cmp_tree_entries(const void *a, const void *b)
{
	const git_tree_entry *x = *(const git_tree_entry *const *)a;
	const git_tree_entry *y = *(const git_tree_entry *const *)b;
	git_filemode_t mx = git_tree_entry_filemode(x);
	git_filemode_t my = git_tree_entry_filemode(y);

	return git_order(git_tree_entry_name(x),
			 mx == GIT_FILEMODE_TREE || mx == GIT_FILEMODE_COMMIT,
			 git_tree_entry_name(y),
			 my == GIT_FILEMODE_TREE || my == GIT_FILEMODE_COMMIT);
}

static int walk_blob(struct walker *w, git_repository *git,
		     const git_tree_entry *te, struct roger_err *err)
{
	git_filemode_t mode = git_tree_entry_filemode(te);
	struct content c = { .fd = -1, .buf = w->buf };
	git_odb *odb = NULL;
	git_blob *blob = NULL;
	char *target;
	int rc;

	if (mode == GIT_FILEMODE_LINK) {
		if (git_blob_lookup(&blob, git, git_tree_entry_id(te)) < 0)
			return roger_repo_git_error(err, ROGER_ERROR,
						    w->full.buf);
		target = strndup(git_blob_rawcontent(blob),
				 (size_t)git_blob_rawsize(blob));
		git_blob_free(blob);
		if (!target)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		rc = flush_dirs(w, err);
		if (rc == 0)
			rc = w->ops->link(w->sink, archive_path(w), target,
					  err);
		free(target);
		return rc < 0 ? rc : step(w, 0, err);
	}
	if (w->ops->plan) {
		struct file_ref ref = { 0 };

		ref.exec = mode == GIT_FILEMODE_BLOB_EXECUTABLE;
		ref.git = git;
		git_oid_cpy(&ref.oid, git_tree_entry_id(te));
		rc = flush_dirs(w, err);
		if (rc == 0)
			rc = w->ops->plan(w->sink, archive_path(w), &ref, err);
		return rc < 0 ? rc : step(w, 0, err);
	}
	if (git_repository_odb(&odb, git) < 0)
		return roger_repo_git_error(err, ROGER_ERROR, w->full.buf);
	rc = flush_dirs(w, err);
	if (rc == 0)
		rc = content_open_blob(&c, odb, git_tree_entry_id(te),
				       w->full.buf, err);
	if (rc == 0)
		rc = w->ops->file(w->sink, archive_path(w),
				  mode == GIT_FILEMODE_BLOB_EXECUTABLE, &c,
				  err);
	content_close(&c);
	git_odb_free(odb);
	return rc < 0 ? rc : step(w, c.size, err);
}

static int walk_tree(struct walker *w, git_repository *git, const char *workdir,
		     size_t prefix_len, git_tree *tree, struct roger_err *err)
{
	size_t n = git_tree_entrycount(tree);
	size_t base = w->full.len;
	const git_tree_entry **entries;
	int rc = 0;

	entries = malloc((n ? n : 1) * sizeof(*entries));
	if (!entries)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		entries[i] = git_tree_entry_byindex(tree, i);
	qsort(entries, n, sizeof(*entries), cmp_tree_entries);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *te = entries[i];
		git_filemode_t mode = git_tree_entry_filemode(te);
		bool is_dir = mode == GIT_FILEMODE_TREE ||
			      mode == GIT_FILEMODE_COMMIT;
		git_tree *sub = NULL;
		bool pushed = false;

		rc = set_name(w, base, git_tree_entry_name(te), err);
		if (rc < 0 || skipped(w, is_dir))
			continue;
		if (mode == GIT_FILEMODE_COMMIT) {
			rc = walk_submodule(w, workdir, prefix_len,
					    git_tree_entry_id(te), err);
			continue;
		}
		if (mode != GIT_FILEMODE_TREE) {
			rc = walk_blob(w, git, te, err);
			continue;
		}
		if (git_tree_lookup(&sub, git, git_tree_entry_id(te)) < 0) {
			rc = roger_repo_git_error(err, ROGER_ERROR,
						  w->full.buf);
			continue;
		}
		rc = enter_dir(w, err);
		if (rc == 0)
			rc = push_attrs_tree(w, git, sub, w->full.buf, &pushed,
					     err);
		if (rc == 0)
			rc = walk_tree(w, git, workdir, prefix_len, sub, err);
		pop_attrs(w, pushed);
		leave_dir(w);
		git_tree_free(sub);
	}
	roger_buf_truncate(&w->full, base);
	free(entries);
	return rc;
}

/* ---- file-system walks -------------------------------------------------- */

struct fs_entry {
	char *name;
	bool is_dir;
	mode_t mode;
};

static int cmp_fs_entries(const void *a, const void *b)
{
	const struct fs_entry *x = a, *y = b;

	return git_order(x->name, x->is_dir, y->name, y->is_dir);
}

static void free_fs_entries(struct fs_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}

/* The entries of directory `dirfd` (but "." "..", ".git"), sorted. */
static int list_dir(struct fs_entry **out, size_t *n, int dirfd,
		    const char *path, struct roger_err *err)
{
	struct fs_entry *v = NULL;
	size_t count = 0, alloc = 0;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	fd = dup(dirfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return roger_err_set(err, ROGER_EIO, "cannot read '%s': %s",
				     path, strerror(errno));
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, ".git"))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot read '%s/%s': %s", path,
					   de->d_name, strerror(errno));
			break;
		}
		if (count == alloc) {
			size_t na = alloc ? 2 * alloc : 32;
			struct fs_entry *nv = realloc(v, na * sizeof(*nv));

			if (!nv) {
				rc = roger_err_set(err, ROGER_ENOMEM,
						   "out of memory");
				break;
			}
			v = nv;
			alloc = na;
		}
		v[count].name = strdup(de->d_name);
		if (!v[count].name) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			break;
		}
		v[count].is_dir = S_ISDIR(st.st_mode);
		v[count].mode = st.st_mode;
		count++;
	}
	closedir(d);
	if (rc < 0) {
		free_fs_entries(v, count);
		return rc;
	}
	if (count)
		qsort(v, count, sizeof(*v), cmp_fs_entries);
	*out = v;
	*n = count;
	return 0;
}

static int walk_fs(struct walker *w, struct wt_repo *r, int dirfd,
		   const char *abs, struct roger_err *err);

/* Whether the work-tree walk keeps the current path (git's view). */
static int wt_keep(struct walker *w, struct wt_repo *r, bool is_dir, bool *keep,
		   bool *submodule, struct roger_err *err)
{
	const char *rel = w->full.buf + r->prefix_len;
	const git_index_entry *ie;
	int ignored = 0;

	*keep = true;
	*submodule = false;
	if (w->roger_dir && !strcmp(w->full.buf, w->roger_dir)) {
		*keep = false;
		return 0;
	}
	ie = git_index_get_bypath(r->index, rel, 0);
	if (ie) {
		*submodule = is_dir && ie->mode == GIT_FILEMODE_COMMIT;
		return 0;
	}
	if (is_dir) {
		size_t pos;
		struct roger_buf prefix = ROGER_BUF_INIT;
		int found;

		if (roger_buf_addf(&prefix, "%s/", rel) < 0)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		found = git_index_find_prefix(&pos, r->index, prefix.buf);
		roger_buf_release(&prefix);
		if (found == 0)
			return 0;
	}
	if (git_ignore_path_is_ignored(&ignored, r->git, rel) < 0)
		return roger_repo_git_error(err, ROGER_ERROR, w->full.buf);
	*keep = !ignored;
	return 0;
}

static int walk_fs_submodule(struct walker *w, const char *abs, int fd,
			     struct roger_err *err)
{
	struct wt_repo sub = { 0 };
	size_t floor = w->floor;
	bool pushed = false;
	int rc;

	if (git_repository_open(&sub.git, abs) < 0 ||
	    git_repository_index(&sub.index, sub.git) < 0) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"submodule '%s' is not checked out; run 'git submodule update --init --recursive', or leave it out with build.exclude",
			w->full.buf);
		goto out;
	}
	rc = enter_dir(w, err);
	if (rc < 0)
		goto out;
	sub.prefix_len = w->full.len;
	w->floor = w->n_attrs;
	rc = push_attrs_file(w, abs, w->full.buf, &pushed, err);
	if (rc == 0)
		rc = walk_fs(w, &sub, fd, abs, err);
	pop_attrs(w, pushed);
	leave_dir(w);
	w->floor = floor;
out:
	git_index_free(sub.index);
	git_repository_free(sub.git);
	return rc;
}

static int walk_fs_entry(struct walker *w, struct wt_repo *r, int dirfd,
			 const char *abs, const struct fs_entry *e,
			 struct roger_err *err)
{
	struct content c = { .fd = -1, .buf = w->buf };
	bool keep = true, submodule = false, pushed = false;
	char *child = NULL;
	int fd = -1, rc = 0;

	if (r) {
		rc = wt_keep(w, r, e->is_dir, &keep, &submodule, err);
		if (rc < 0 || !keep)
			return rc;
	}
	if (skipped(w, e->is_dir))
		return 0;
	if (S_ISLNK(e->mode)) {
		char target[4096];
		ssize_t n =
			readlinkat(dirfd, e->name, target, sizeof(target) - 1);

		if (n < 0)
			return roger_err_set(err, ROGER_EIO,
					     "cannot read link '%s': %s",
					     w->full.buf, strerror(errno));
		target[n] = '\0';
		rc = flush_dirs(w, err);
		if (rc == 0)
			rc = w->ops->link(w->sink, archive_path(w), target,
					  err);
		return rc < 0 ? rc : step(w, 0, err);
	}
	if (S_ISREG(e->mode) && w->ops->plan) {
		struct file_ref ref = { 0 };

		child = roger_path_join(abs, e->name);
		if (!child)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		ref.exec = (e->mode & S_IXUSR) != 0;
		ref.abs = child;
		rc = flush_dirs(w, err);
		if (rc == 0)
			rc = w->ops->plan(w->sink, archive_path(w), &ref, err);
		free(child);
		return rc < 0 ? rc : step(w, 0, err);
	}
	if (S_ISREG(e->mode)) {
		rc = flush_dirs(w, err);
		if (rc == 0)
			rc = content_open_file(&c, dirfd, e->name, w->full.buf,
					       err);
		if (rc == 0)
			rc = w->ops->file(w->sink, archive_path(w),
					  (e->mode & S_IXUSR) != 0, &c, err);
		content_close(&c);
		return rc < 0 ? rc : step(w, c.size, err);
	}
	if (!e->is_dir) {
		roger_warn(
			w->ctx,
			"'%s' is neither a file, a link nor a directory, ignoring",
			w->full.buf);
		return 0;
	}
	child = roger_path_join(abs, e->name);
	if (!child)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	fd = openat(dirfd, e->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot read '%s': %s",
				   child, strerror(errno));
		goto out;
	}
	if (submodule) {
		rc = walk_fs_submodule(w, child, fd, err);
		goto out;
	}
	rc = enter_dir(w, err);
	if (rc == 0)
		rc = push_attrs_file(w, child, w->full.buf, &pushed, err);
	if (rc == 0)
		rc = walk_fs(w, r, fd, child, err);
	pop_attrs(w, pushed);
	leave_dir(w);
out:
	if (fd >= 0)
		close(fd);
	free(child);
	return rc;
}

static int walk_fs(struct walker *w, struct wt_repo *r, int dirfd,
		   const char *abs, struct roger_err *err)
{
	struct fs_entry *v = NULL;
	size_t n = 0, base = w->full.len;
	int rc;

	rc = list_dir(&v, &n, dirfd, abs, err);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = set_name(w, base, v[i].name, err);
		if (rc == 0)
			rc = walk_fs_entry(w, r, dirfd, abs, &v[i], err);
	}
	roger_buf_truncate(&w->full, base);
	free_fs_entries(v, n);
	return rc;
}

/* ---- setting up walks --------------------------------------------------- */

static int walker_init(struct walker *w, struct roger_ctx *ctx,
		       const struct sink_ops *ops, void *sink, bool filter,
		       const char *const *exclude, struct roger_err *err)
{
	memset(w, 0, sizeof(*w));
	w->ctx = ctx;
	w->ops = ops;
	w->sink = sink;
	w->filter = filter;
	w->defer_dirs = true;
	roger_buf_init(&w->full);
	w->buf = malloc(READ_CHUNK);
	if (!w->buf)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (size_t i = 0; exclude && exclude[i]; i++) {
		int rc =
			roger_pattern_list_add(&w->exclude, exclude[i], 1, err);

		if (rc < 0)
			return roger_err_prefix(
				err, "invalid build.exclude pattern '%s'",
				exclude[i]);
	}
	return 0;
}

static void walker_release(struct walker *w)
{
	while (w->n_attrs)
		roger_pattern_list_release(&w->attrs[--w->n_attrs]);
	free(w->attrs);
	roger_pattern_list_release(&w->exclude);
	roger_buf_release(&w->full);
	free(w->dir_len);
	free(w->buf);
}

/* Split a subdir into its components one by one: "a/b" gives "a", "a/b". */
static int subdir_prefix(struct roger_buf *out, const char *subdir, size_t upto)
{
	roger_buf_reset(out);
	if (roger_buf_add(out, subdir, upto) < 0 ||
	    roger_buf_addch(out, '/') < 0)
		return ROGER_ENOMEM;
	return 0;
}

/*
 * Walk the commit's tree from the root down to `subdir`, stacking the
 * .gitattributes on the way, then the subtree itself.
 */
static int walk_commit(struct walker *w, struct roger_repo *repo,
		       const char *commit_hex, const char *subdir,
		       struct roger_err *err)
{
	git_repository *git = roger_repo_git(repo);
	struct roger_buf base = ROGER_BUF_INIT;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	bool pushed;
	size_t len = strlen(subdir);
	int rc = 0;

	if (git_oid_fromstr(&oid, commit_hex) < 0 ||
	    git_commit_lookup(&commit, git, &oid) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, commit_hex);
		goto out;
	}
	rc = push_attrs_tree(w, git, tree, "", &pushed, err);
	for (size_t i = 1; rc == 0 && len && i <= len; i++) {
		git_tree_entry *te = NULL;
		git_tree *sub = NULL;

		if (i < len && subdir[i] != '/')
			continue;
		roger_buf_reset(&base);
		if (roger_buf_add(&base, subdir, i) < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			break;
		}
		if (git_tree_entry_bypath(&te, tree, base.buf) < 0 ||
		    git_tree_entry_type(te) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&sub, git, git_tree_entry_id(te)) < 0) {
			rc = roger_err_set(
				err, ROGER_ENOTFOUND,
				"directory '%s' does not exist at commit %.12s",
				base.buf, commit_hex);
			git_tree_entry_free(te);
			break;
		}
		git_tree_entry_free(te);
		if (roger_buf_addch(&base, '/') < 0)
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		else
			rc = push_attrs_tree(w, git, sub, base.buf, &pushed,
					     err);
		if (i == len) {
			git_tree_free(tree);
			tree = sub;
			sub = NULL;
		}
		git_tree_free(sub);
	}
	if (rc < 0)
		goto out;
	if (len) {
		rc = subdir_prefix(&w->full, subdir, len);
		if (rc < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
	}
	w->archive_off = w->full.len;
	rc = walk_tree(w, git, roger_repo_workdir(repo), 0, tree, err);
out:
	roger_buf_release(&base);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

/*
 * Walk a directory `root` (the top of a work tree or of an export) from
 * the top down to `subdir`, stacking the .gitattributes on the way; `r`
 * set: with git's rules for tracked and ignored files.
 */
static int walk_root(struct walker *w, struct wt_repo *r, const char *root,
		     const char *subdir, struct roger_err *err)
{
	struct roger_buf base = ROGER_BUF_INIT;
	char *abs = NULL;
	size_t len = strlen(subdir);
	bool pushed;
	int fd = -1, rc;

	rc = push_attrs_file(w, root, "", &pushed, err);
	for (size_t i = 0; rc == 0 && len && i <= len; i++) {
		if (i < len && subdir[i] != '/')
			continue;
		if (subdir_prefix(&base, subdir, i) < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			break;
		}
		free(abs);
		abs = malloc(strlen(root) + base.len + 2);
		if (!abs) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			break;
		}
		sprintf(abs, "%s/%.*s", root, (int)base.len - 1, base.buf);
		if (!roger_fs_is_dir(abs)) {
			rc = roger_err_set(err, ROGER_ENOTFOUND,
					   "directory '%s' does not exist",
					   abs);
			break;
		}
		rc = push_attrs_file(w, abs, base.buf, &pushed, err);
	}
	if (rc < 0)
		goto out;
	if (len) {
		if (subdir_prefix(&w->full, subdir, len) < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
	}
	w->archive_off = w->full.len;
	fd = open(abs ? abs : root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot read '%s': %s",
				   abs ? abs : root, strerror(errno));
		goto out;
	}
	rc = walk_fs(w, r, fd, abs ? abs : root, err);
out:
	if (fd >= 0)
		close(fd);
	free(abs);
	roger_buf_release(&base);
	return rc;
}

/* ---- planning ------------------------------------------------------------ */

/*
 * The walk of a tar.gz only plans it: every entry in order, files as
 * references (a blob id, a path on disk), nothing read.  The entries are
 * then cut into runs, each run named by a key over what its bytes depend
 * on, and each run is either copied as a segment of an earlier artifact
 * or written out (reading its files) and compressed as a new segment.
 */
enum plan_kind {
	PLAN_DIR,
	PLAN_FILE,
	PLAN_LINK,
};

struct plan_entry {
	enum plan_kind kind;
	bool exec;
	char *path; /* in the archive */
	char *target; /* PLAN_LINK */
	git_repository *git; /* PLAN_FILE of a commit: blob `oid` */
	git_oid oid;
	char *abs; /* PLAN_FILE on disk */
};

struct plan {
	struct plan_entry *v;
	size_t n, alloc;
	git_repository **repos; /* of submodules, kept for their blobs */
	size_t n_repos;
	bool oom;
};

static struct plan_entry *plan_add(struct plan *p, enum plan_kind kind,
				   const char *path)
{
	struct plan_entry *e;

	if (p->n == p->alloc) {
		size_t na = p->alloc ? 2 * p->alloc : 256;
		struct plan_entry *v = realloc(p->v, na * sizeof(*v));

		if (!v)
			return NULL;
		p->v = v;
		p->alloc = na;
	}
	e = &p->v[p->n];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->path = strdup(path);
	if (!e->path)
		return NULL;
	p->n++;
	return e;
}

static int plan_dir(void *sink, const char *path, struct roger_err *err)
{
	if (!plan_add(sink, PLAN_DIR, path))
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

static int plan_link(void *sink, const char *path, const char *target,
		     struct roger_err *err)
{
	struct plan_entry *e = plan_add(sink, PLAN_LINK, path);

	if (!e || !(e->target = strdup(target)))
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

static int plan_file(void *sink, const char *path, const struct file_ref *ref,
		     struct roger_err *err)
{
	struct plan_entry *e = plan_add(sink, PLAN_FILE, path);

	if (!e)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	e->exec = ref->exec;
	e->git = ref->git;
	git_oid_cpy(&e->oid, &ref->oid);
	if (ref->abs && !(e->abs = strdup(ref->abs)))
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

static void plan_adopt(void *sink, git_repository *repo)
{
	struct plan *p = sink;
	git_repository **v = realloc(p->repos, (p->n_repos + 1) * sizeof(*v));

	if (!v) {
		git_repository_free(repo);
		p->oom = true;
		return;
	}
	p->repos = v;
	p->repos[p->n_repos++] = repo;
}

static const struct sink_ops plan_ops = { plan_dir, NULL, plan_link, plan_file,
					  plan_adopt };

static void plan_release(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].path);
		free(p->v[i].target);
		free(p->v[i].abs);
	}
	free(p->v);
	for (size_t i = 0; i < p->n_repos; i++)
		git_repository_free(p->repos[i]);
	free(p->repos);
	memset(p, 0, sizeof(*p));
}

/* ---- runs and their keys ------------------------------------------------- */

/*
 * Where runs end: after an entry whose path hashes to 0 modulo RUN_AVG, or
 * after RUN_MAX entries.  Both depend on the entries alone, so an edit
 * moves the cuts at most up to the next hashed one, and every run after
 * it is the same as before.
 */
#define RUN_AVG 16
#define RUN_MAX 64
#define SEG_FORMAT "roger-segment-1"

static bool run_ends_after(const struct plan_entry *e, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	if (len >= RUN_MAX)
		return true;
	for (const unsigned char *p = (const unsigned char *)e->path; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % RUN_AVG == 0;
}

/*
 * The git blob id of a file on disk (SHA-1 over "blob <size>\0" and the
 * bytes): the same id a commit gives the same content, so that the runs
 * of a build's output, a work tree and a commit share their keys.
 */
static int file_blob_id(git_oid *out, const char *abs, char *buf,
			struct roger_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sum[EVP_MAX_MD_SIZE];
	char head[64];
	struct stat st;
	uint64_t done = 0;
	ssize_t n = 0;
	int fd, rc = 0;

	fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || !md ||
	    !EVP_DigestInit_ex(md, EVP_sha1(), NULL)) {
		rc = roger_err_set(err, ROGER_EIO, "cannot read '%s': %s", abs,
				   strerror(errno));
		goto out;
	}
	snprintf(head, sizeof(head), "blob %llu",
		 (unsigned long long)st.st_size);
	EVP_DigestUpdate(md, head, strlen(head) + 1);
	while (done < (uint64_t)st.st_size &&
	       (n = read(fd, buf, READ_CHUNK)) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)n);
		done += (uint64_t)n;
	}
	if (n < 0 || done != (uint64_t)st.st_size) {
		rc = roger_err_set(err, ROGER_EIO, "cannot read '%s': %s", abs,
				   n < 0 ? strerror(errno) : "it changed");
		goto out;
	}
	EVP_DigestFinal_ex(md, sum, NULL);
	git_oid_fromraw(out, sum);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	return rc;
}

/*
 * The key of entries v[0, n): SHA-256 over the compressor, their time,
 * the directory they go under (image layers) and them.
 */
static int run_key(unsigned char *key, const struct tar_sink *t,
		   struct plan_entry *v, size_t n, char *buf,
		   struct roger_err *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const char *comp = roger_seg_compressor();
	char mtime[32];
	int rc = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return roger_err_set(err, ROGER_ERROR, "cannot start SHA-256");
	}
	snprintf(mtime, sizeof(mtime), "%lld", (long long)t->mtime);
	EVP_DigestUpdate(md, SEG_FORMAT, sizeof(SEG_FORMAT));
	EVP_DigestUpdate(md, comp, strlen(comp) + 1);
	EVP_DigestUpdate(md, mtime, strlen(mtime) + 1);
	if (t->prefix) {
		EVP_DigestUpdate(md, "prefix", sizeof("prefix"));
		EVP_DigestUpdate(md, t->prefix, strlen(t->prefix) + 1);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct plan_entry *e = &v[i];
		char kind = e->kind == PLAN_DIR    ? 'd'
			    : e->kind == PLAN_LINK ? 'l'
			    : e->exec              ? 'x'
						   : 'f';

		EVP_DigestUpdate(md, &kind, 1);
		EVP_DigestUpdate(md, e->path, strlen(e->path) + 1);
		if (e->kind == PLAN_LINK)
			EVP_DigestUpdate(md, e->target, strlen(e->target) + 1);
		if (e->kind != PLAN_FILE)
			continue;
		if (e->abs)
			rc = file_blob_id(&e->oid, e->abs, buf, err);
		EVP_DigestUpdate(md, e->oid.id, GIT_OID_RAWSZ);
	}
	if (rc == 0)
		EVP_DigestFinal_ex(md, key, NULL);
	EVP_MD_CTX_free(md);
	return rc;
}

/* ---- the tar.gz writers ------------------------------------------------- */

static int tar_open(struct tar_sink *t, struct roger_pack_stats *stats,
		    int64_t mtime, int threads, const char *prefix,
		    roger_pack_write_fn fn, void *data, struct roger_err *err)
{
	memset(t, 0, sizeof(*t));
	memset(stats, 0, sizeof(*stats));
	t->stats = stats;
	t->mtime = mtime ? mtime : ROGER_PACK_MTIME;
	t->prefix = prefix;
	roger_buf_init(&t->name);
	t->fn = fn;
	t->data = data;
	/*
	 * libarchive converts names through the thread's LC_CTYPE: pin it to
	 * UTF-8 so that the bytes do not depend on the caller's locale.
	 */
	t->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (t->utf8)
		t->saved = uselocale(t->utf8);
	t->md = EVP_MD_CTX_new();
	if (!t->md || !EVP_DigestInit_ex(t->md, EVP_sha256(), NULL))
		return roger_err_set(err, ROGER_ERROR, "cannot start SHA-256");
	if (prefix) {
		t->tar_md = EVP_MD_CTX_new();
		if (!t->tar_md ||
		    !EVP_DigestInit_ex(t->tar_md, EVP_sha256(), NULL))
			return roger_err_set(err, ROGER_ERROR,
					     "cannot start SHA-256");
	}
	if (roger_seg_new(&t->seg, threads, seg_out, t, err) < 0)
		return err ? err->code : ROGER_ERROR;
	t->ar = archive_write_new();
	t->entry = archive_entry_new();
	if (!t->ar || !t->entry)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	/*
	 * No blocking (bytes_per_block 0): libarchive hands each entry's
	 * bytes over as it writes them, so that a run's bytes are all given
	 * before the next run begins.
	 */
	if (archive_write_set_format_pax_restricted(t->ar) != ARCHIVE_OK ||
	    archive_write_add_filter_none(t->ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(t->ar, 0) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(t->ar, 1) != ARCHIVE_OK ||
	    archive_write_open2(t->ar, t, NULL, tar_cb, NULL, NULL) !=
		    ARCHIVE_OK)
		return roger_err_set(err, ROGER_ERROR,
				     "cannot start the archive: %s",
				     archive_error_string(t->ar));
	return 0;
}

/* The end of the archive (two zero blocks) as a segment of its own. */
static int tar_end(struct tar_sink *t, struct roger_seg_index *index,
		   struct roger_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char key[32];
	struct roger_seg_index idx = { 0 };
	unsigned int mdlen = 0;
	int rc;

	EVP_Digest(SEG_FORMAT " end", sizeof(SEG_FORMAT " end"), key, NULL,
		   EVP_sha256(), NULL);
	rc = roger_seg_begin(t->seg, key, err);
	if (rc == 0 && archive_write_close(t->ar) != ARCHIVE_OK)
		rc = tar_fail(t, "(end)", err);
	if (rc == 0)
		rc = roger_seg_end(t->seg, 0, NULL, 0, err);
	if (rc == 0)
		rc = roger_seg_finish(t->seg, &idx, err);
	if (rc < 0)
		return rc;
	EVP_DigestFinal_ex(t->md, md, &mdlen);
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		sprintf(t->stats->sha256 + 2 * i, "%02x", md[i]);
	if (t->tar_md) {
		EVP_DigestFinal_ex(t->tar_md, md, &mdlen);
		for (unsigned i = 0; i < mdlen && i < 32; i++)
			sprintf(t->stats->diff_id + 2 * i, "%02x", md[i]);
	}
	if (index)
		*index = idx;
	else
		roger_seg_index_release(&idx);
	return 0;
}

static void tar_close(struct tar_sink *t, bool ok)
{
	/*
	 * On failure libarchive still closes the archive in archive_write_free
	 * (archive_write_fail would leak its buffers): let it write nowhere.
	 */
	t->discard = !ok;
	if (t->ar)
		archive_write_free(t->ar);
	archive_entry_free(t->entry);
	roger_seg_free(t->seg);
	EVP_MD_CTX_free(t->md);
	EVP_MD_CTX_free(t->tar_md);
	roger_buf_release(&t->name);
	if (t->utf8) {
		uselocale(t->saved);
		freelocale(t->utf8);
	}
}

void roger_pack_stats_release(struct roger_pack_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_lfs_pointers; i++)
		free(s->lfs_pointers[i]);
	free(s->lfs_pointers);
	s->lfs_pointers = NULL;
	s->n_lfs_pointers = 0;
}

const char *roger_pack_compressor(void)
{
	return roger_seg_compressor();
}

/*
 * A layer's directory and its parents, outermost first ("srv", then
 * "srv/app"), before any entry of the tree, as a segment of their own.
 */
static int prefix_dirs(struct tar_sink *t, const char *prefix,
		       struct roger_err *err)
{
	const char *saved = t->prefix;
	unsigned char key[32];
	char *dir;
	int rc = 0;

	if (!*prefix)
		return 0;
	/* The key of no entries under the prefix: these directories. */
	rc = run_key(key, t, NULL, 0, NULL, err);
	if (rc == 0)
		rc = roger_seg_begin(t->seg, key, err);
	if (rc < 0)
		return rc;
	t->stats->segments++;
	dir = strdup(prefix);
	if (!dir)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	t->prefix = NULL;
	for (size_t i = 1; rc == 0; i++) {
		if (dir[i] && dir[i] != '/')
			continue;
		if (!dir[i]) {
			rc = tar_dir(t, dir, err);
			break;
		}
		dir[i] = '\0';
		rc = tar_dir(t, dir, err);
		dir[i] = '/';
	}
	t->prefix = saved;
	free(dir);
	if (rc == 0)
		rc = roger_seg_end(t->seg, 0, NULL, 0, err);
	return rc;
}

/* One planned entry into the archive, its file read now. */
static int emit_entry(struct tar_sink *t, const struct plan_entry *e, char *buf,
		      struct roger_err *err)
{
	struct content c = { .fd = -1, .buf = buf };
	git_odb *odb = NULL;
	int rc;

	if (e->kind == PLAN_DIR)
		return tar_dir(t, e->path, err);
	if (e->kind == PLAN_LINK)
		return tar_link(t, e->path, e->target, err);
	if (e->abs) {
		rc = content_open_file(&c, AT_FDCWD, e->abs, e->abs, err);
	} else if (git_repository_odb(&odb, e->git) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, e->path);
	} else {
		rc = content_open_blob(&c, odb, &e->oid, e->path, err);
	}
	if (rc == 0)
		rc = tar_file(t, e->path, e->exec, &c, err);
	content_close(&c);
	git_odb_free(odb);
	return rc;
}

/* Entries v[0, n) as one segment: copied when `reuse` has it, else written. */
static int emit_run(struct tar_sink *t, struct walker *w, struct plan_entry *v,
		    size_t n, const struct roger_seg_table *reuse,
		    struct roger_err *err)
{
	struct roger_pack_stats *st = t->stats;
	const struct roger_seg_info *old;
	unsigned char key[32];
	uint64_t files = st->files;
	size_t lfs = st->n_lfs_pointers;
	int rc;

	rc = run_key(key, t, v, n, w->buf, err);
	if (rc < 0)
		return rc;
	st->segments++;
	/* A layer's diff_id is the digest of every tar byte: none copied. */
	old = t->tar_md ? NULL : roger_seg_table_find(reuse, key);
	if (old) {
		st->reused++;
		rc = roger_seg_copy(t->seg, reuse, old, err);
		for (size_t i = 0; rc == 0 && i < old->n_lfs; i++)
			rc = note_lfs(t, old->lfs[i], err);
		st->files += old->files;
		st->tar_size += old->ulen;
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = step(w, 0, err);
		return rc;
	}
	rc = roger_seg_begin(t->seg, key, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		uint64_t before = st->tar_size;

		rc = emit_entry(t, &v[i], w->buf, err);
		if (rc == 0)
			rc = step(w, st->tar_size - before, err);
	}
	if (rc == 0)
		rc = roger_seg_end(t->seg, st->files - files,
				   st->lfs_pointers + lfs,
				   st->n_lfs_pointers - lfs, err);
	return rc;
}

static int emit(struct tar_sink *t, struct walker *w, struct plan *p,
		const struct roger_seg_table *reuse, struct roger_err *err)
{
	size_t start = 0;
	int rc = 0;

	w->files = 0;
	w->bytes = 0;
	for (size_t i = 0; i < p->n && rc == 0; i++) {
		if (i + 1 < p->n && !run_ends_after(&p->v[i], i + 1 - start))
			continue;
		rc = emit_run(t, w, p->v + start, i + 1 - start, reuse, err);
		start = i + 1;
	}
	return rc;
}

int roger_pack_source(struct roger_pack_stats *out,
		      struct roger_seg_index *index, struct roger_ctx *ctx,
		      enum roger_pack_source kind, struct roger_repo *repo,
		      const char *what, const struct roger_pack_opts *o,
		      const struct roger_seg_table *reuse,
		      roger_pack_write_fn fn, void *data, struct roger_err *err)
{
	struct roger_pack_stats stats;
	struct wt_repo wt = { 0 };
	struct plan plan = { 0 };
	struct tar_sink t;
	struct walker w;
	const char *subdir = o->subdir ? o->subdir : "";
	char *roger_dir = NULL;
	int rc;

	rc = tar_open(&t, &stats, o->mtime, o->threads, o->prefix, fn, data,
		      err);
	if (rc == 0)
		rc = walker_init(&w, ctx, &plan_ops, &plan, true, o->exclude,
				 err);
	else
		walker_init(&w, ctx, &plan_ops, &plan, true, NULL, NULL);
	if (rc < 0)
		goto out;
	switch (kind) {
	case ROGER_PACK_FROM_COMMIT:
		rc = walk_commit(&w, repo, what, subdir, err);
		break;
	case ROGER_PACK_FROM_WORKTREE:
		roger_dir = malloc(strlen(subdir) + 8);
		if (!roger_dir) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			break;
		}
		sprintf(roger_dir, "%s%s.roger", subdir, *subdir ? "/" : "");
		w.roger_dir = roger_dir;
		wt.git = roger_repo_git(repo);
		if (git_repository_index(&wt.index, wt.git) < 0) {
			rc = roger_repo_git_error(err, ROGER_ERROR, what);
			break;
		}
		rc = walk_root(&w, &wt, what, subdir, err);
		break;
	case ROGER_PACK_FROM_DIR:
		w.defer_dirs = false;
		rc = walk_root(&w, NULL, what, subdir, err);
		break;
	}
	if (rc == 0 && plan.oom)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	w.progress_fn = o->progress_fn;
	w.progress_data = o->progress_data;
	t.stats = &stats;
	if (rc == 0 && o->prefix)
		rc = prefix_dirs(&t, o->prefix, err);
	if (rc == 0)
		rc = emit(&t, &w, &plan, reuse, err);
	if (rc == 0)
		rc = tar_end(&t, index, err);
out:
	tar_close(&t, rc == 0);
	walker_release(&w);
	plan_release(&plan);
	git_index_free(wt.index);
	free(roger_dir);
	if (rc < 0) {
		roger_pack_stats_release(&stats);
		return rc;
	}
	*out = stats;
	return 0;
}

int roger_pack_commit(struct roger_pack_stats *out, struct roger_ctx *ctx,
		      struct roger_repo *repo, const char *commit,
		      const struct roger_pack_opts *o, roger_pack_write_fn fn,
		      void *data, struct roger_err *err)
{
	struct roger_commit_info info;
	int rc;

	rc = roger_repo_resolve(&info, repo, commit, err);
	if (rc < 0)
		return rc;
	return roger_pack_source(out, NULL, ctx, ROGER_PACK_FROM_COMMIT, repo,
				 info.id, o, NULL, fn, data, err);
}

int roger_pack_worktree(struct roger_pack_stats *out, struct roger_ctx *ctx,
			struct roger_repo *repo,
			const struct roger_pack_opts *o, roger_pack_write_fn fn,
			void *data, struct roger_err *err)
{
	return roger_pack_source(out, NULL, ctx, ROGER_PACK_FROM_WORKTREE, repo,
				 roger_repo_workdir(repo), o, NULL, fn, data,
				 err);
}

int roger_pack_dir(struct roger_pack_stats *out, struct roger_ctx *ctx,
		   const char *root, const struct roger_pack_opts *o,
		   roger_pack_write_fn fn, void *data, struct roger_err *err)
{
	return roger_pack_source(out, NULL, ctx, ROGER_PACK_FROM_DIR, NULL,
				 root, o, NULL, fn, data, err);
}

/* ---- exports ------------------------------------------------------------ */

/* `dest`/`path` for the export of one path (a new string). */
static char *export_dest(const char *dest, const char *path)
{
	return *path ? roger_path_join(dest, path) : strdup(dest);
}

/* Make the parent directories of `dest`/`path`. */
static int export_parents(const char *dest, const char *path,
			  struct roger_err *err)
{
	char *abs = roger_path_join(dest, path), *slash;
	int rc = 0;

	if (!abs)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	slash = strrchr(abs, '/');
	if (slash) {
		*slash = '\0';
		rc = roger_fs_mkdirs(abs, 0755, err);
	}
	free(abs);
	return rc;
}

/* One directory of a commit, or the whole tree for "", under dest/path. */
static int export_commit_dir(struct roger_ctx *ctx, struct roger_repo *repo,
			     const char *commit, const char *path,
			     const char *dest, struct roger_err *err)
{
	struct dir_sink d = { NULL, ROGER_BUF_INIT };
	struct walker w;
	char *root = export_dest(dest, path);
	int rc;

	if (!root)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	d.root = root;
	rc = roger_fs_mkdirs(root, 0755, err);
	if (rc == 0)
		rc = walker_init(&w, ctx, &dir_ops, &d, false, NULL, err);
	else
		walker_init(&w, ctx, &dir_ops, &d, false, NULL, NULL);
	if (rc == 0)
		rc = walk_commit(&w, repo, commit, path, err);
	walker_release(&w);
	roger_buf_release(&d.path);
	free(root);
	return rc;
}

/* One file or symbolic link of a commit, at dest/path. */
static int export_commit_blob(git_repository *git, const git_tree_entry *te,
			      const char *path, const char *dest,
			      struct roger_err *err)
{
	git_blob *blob = NULL;
	char *abs = roger_path_join(dest, path);
	const char *data;
	size_t len;
	int rc;

	if (!abs)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if ((rc = export_parents(dest, path, err)) < 0)
		goto out;
	if (git_blob_lookup(&blob, git, git_tree_entry_id(te)) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, path);
		goto out;
	}
	data = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	if (git_tree_entry_filemode(te) == GIT_FILEMODE_LINK) {
		char *target = strndup(data, len);

		if (!target) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
		if (symlink(target, abs) < 0)
			rc = roger_err_set(
				err, ROGER_EIO,
				"cannot create symbolic link '%s': %s", abs,
				strerror(errno));
		free(target);
		goto out;
	}
	rc = roger_fs_write_atomic(abs, data, len,
				   git_tree_entry_filemode(te) ==
						   GIT_FILEMODE_BLOB_EXECUTABLE
					   ? 0755
					   : 0644,
				   err);
out:
	git_blob_free(blob);
	free(abs);
	return rc;
}

int roger_pack_export_commit(struct roger_ctx *ctx, struct roger_repo *repo,
			     const char *commit, const char *const *paths,
			     const char *dest, struct roger_err *err)
{
	git_repository *git = roger_repo_git(repo);
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	int rc = 0;

	if (git_oid_fromstr(&oid, commit) < 0 ||
	    git_commit_lookup(&c, git, &oid) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, commit);
		goto out;
	}
	for (size_t i = 0; rc == 0 && paths[i]; i++) {
		git_tree_entry *te = NULL;

		if (!*paths[i]) {
			rc = export_commit_dir(ctx, repo, commit, "", dest,
					       err);
			continue;
		}
		if (git_tree_entry_bypath(&te, tree, paths[i]) < 0) {
			git_error_clear();
			rc = roger_err_set(
				err, ROGER_ENOTFOUND,
				"'%s' does not exist at commit %.12s", paths[i],
				commit);
			break;
		}
		switch (git_tree_entry_type(te)) {
		case GIT_OBJECT_TREE:
			rc = export_commit_dir(ctx, repo, commit, paths[i],
					       dest, err);
			break;
		case GIT_OBJECT_BLOB:
			rc = export_commit_blob(git, te, paths[i], dest, err);
			break;
		default:
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"'%s' is a submodule at commit %.12s; name the directory that holds it",
				paths[i], commit);
			break;
		}
		git_tree_entry_free(te);
	}
out:
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

/* Copy the file or symbolic link `src` (described by `st`) to `dst`. */
static int copy_file(const char *src, const struct stat *st, const char *dst,
		     struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	int rc;

	if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t n = readlink(src, target, sizeof(target) - 1);

		if (n < 0)
			return roger_err_set(err, ROGER_EIO,
					     "cannot read '%s': %s", src,
					     strerror(errno));
		target[n] = '\0';
		if (symlink(target, dst) < 0)
			return roger_err_set(
				err, ROGER_EIO,
				"cannot create symbolic link '%s': %s", dst,
				strerror(errno));
		return 0;
	}
	rc = roger_fs_read_file(&b, src, err);
	if (rc == 0)
		rc = roger_fs_write_atomic(dst, b.buf, b.len,
					   (st->st_mode & 0111) ? 0755 : 0644,
					   err);
	roger_buf_release(&b);
	return rc;
}

/* One path of the work tree as it is on disk, under dest/path. */
static int export_worktree_path(struct roger_ctx *ctx, struct roger_repo *repo,
				const char *roger_dir, const char *path,
				const char *dest, struct roger_err *err)
{
	struct dir_sink d = { NULL, ROGER_BUF_INIT };
	struct wt_repo wt = { 0 };
	struct walker w;
	struct stat st;
	char *src = export_dest(roger_repo_workdir(repo), path);
	char *root = export_dest(dest, path);
	int rc = 0;

	if (!src || !root) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (lstat(src, &st) < 0) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "'%s' does not exist in the work tree",
				   path);
		goto out;
	}
	if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
		if ((rc = export_parents(dest, path, err)) == 0)
			rc = copy_file(src, &st, root, err);
		goto out;
	}
	d.root = root;
	rc = roger_fs_mkdirs(root, 0755, err);
	if (rc == 0)
		rc = walker_init(&w, ctx, &dir_ops, &d, false, NULL, err);
	else
		walker_init(&w, ctx, &dir_ops, &d, false, NULL, NULL);
	w.roger_dir = roger_dir;
	wt.git = roger_repo_git(repo);
	if (rc == 0 && git_repository_index(&wt.index, wt.git) < 0)
		rc = roger_repo_git_error(err, ROGER_ERROR, dest);
	if (rc == 0)
		rc = walk_root(&w, &wt, roger_repo_workdir(repo), path, err);
	walker_release(&w);
	git_index_free(wt.index);
	roger_buf_release(&d.path);
out:
	free(src);
	free(root);
	return rc;
}

int roger_pack_export_worktree(struct roger_ctx *ctx, struct roger_repo *repo,
			       const char *subdir, const char *const *paths,
			       const char *dest, struct roger_err *err)
{
	char *roger_dir = malloc(strlen(subdir) + 8);
	int rc = 0;

	if (!roger_dir)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	sprintf(roger_dir, "%s%s.roger", subdir, *subdir ? "/" : "");
	for (size_t i = 0; rc == 0 && paths[i]; i++)
		rc = export_worktree_path(ctx, repo, roger_dir, paths[i], dest,
					  err);
	free(roger_dir);
	return rc;
}
