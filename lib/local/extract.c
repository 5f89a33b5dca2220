/*
 * extract.c - unpacking untrusted archives beneath a directory descriptor.
 *
 * libarchive reads; this file writes.  archive_write_disk names what it
 * creates by path, relative to the process's working directory, and checks
 * those paths before using them: a symbolic link planted by one entry could
 * redirect a later one, and an archive refused half-way left its first
 * entries (links included) behind.  Here every entry is written through
 * directory descriptors instead:
 *
 *   1. A staging directory is made inside the root (".roger-extract-XXXXXX").
 *   2. For each entry, its parent directory is opened beneath the staging
 *      directory with beneath.h (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS,
 *      or an O_NOFOLLOW walk), creating missing ones, and the entry is made
 *      relative to that descriptor: openat(O_CREAT|O_EXCL|O_NOFOLLOW) for a
 *      file, mkdirat, symlinkat, linkat without AT_SYMLINK_FOLLOW.  No path
 *      is ever resolved through a symbolic link, so no entry can be written
 *      anywhere but where its name says, whatever came before it.
 *   3. Symbolic links are stored as they are, never followed, but their
 *      targets must stay inside the root, judged from the text alone: not
 *      absolute, ".." only at the start, and no more of them than the link
 *      has directories above it.  Because links are only ever created in
 *      real directories at the depth their name gives, and every link
 *      target starts by climbing real directories, a link resolves inside
 *      the root however links chain (and a hard link that moves a symbolic
 *      link to another depth is judged again there).
 *   4. Once the archive has been read to its end, the staging directory is
 *      merged into the root by rename(2): names the root lacks move in
 *      whole, directories present on both sides merge, anything else is
 *      replaced.  A first, dry pass refuses a file that would replace a
 *      directory before anything moves.
 *
 * On any failure before the merge (a refused entry, a read error, a write
 * error, a cap reached, a cancel) the staging directory is removed and the
 * root is as it was: no link, file or directory of the archive is left.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "local/beneath.h"
#include "local/extract.h"

#define STAGING_PREFIX ".roger-extract-"
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

struct whiteout {
	char *dir; /* the directory it applies to, relative to the root */
	char *name; /* the name removed; NULL: the directory is opaque */
};

struct extraction {
	const struct roger_extract_opts *o;
	const char *archive; /* its name in messages */
	int root_fd;
	int stage_fd; /* the staging directory */
	char stage[64]; /* its name in the root */
	int beneath_flags;
	char *parent; /* the last parent directory opened, */
	int parent_fd; /* and its descriptor (-1: none) */
	struct whiteout *wh;
	size_t n_wh, alloc_wh;
	struct roger_extract_stats stats;
	struct roger_err *err;
};

static int refuse(struct extraction *x, const char *entry, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(struct extraction *x, const char *entry, const char *fmt, ...)
{
	char why[ROGER_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return roger_err_set(x->err, ROGER_EINVALID,
			     "refusing archive '%s': entry '%s' %s", x->archive,
			     entry, why);
}

static int write_error(struct extraction *x, const char *entry, int e)
{
	return roger_err_set(x->err, ROGER_EIO,
			     "cannot write '%s' from archive '%s': %s", entry,
			     x->archive, strerror(e));
}

static int read_error(struct extraction *x, struct archive *in)
{
	const char *why = archive_error_string(in);

	return roger_err_set(x->err, ROGER_EIO, "cannot read archive '%s': %s",
			     x->archive, why ? why : "unknown error");
}

static bool cancelled(const struct extraction *x)
{
	return x->o->cancelled && x->o->cancelled(x->o->data);
}

static int too_big(struct extraction *x)
{
	const char *by = x->o->max_bytes_name;

	return roger_err_set(
		x->err, ROGER_EINVALID,
		"refusing archive '%s': it holds more than %llu bytes, the limit%s%s",
		x->archive, (unsigned long long)x->o->max_bytes,
		by ? " set by " : "", by ? by : "");
}

static int too_many(struct extraction *x)
{
	const char *by = x->o->max_entries_name;

	return roger_err_set(
		x->err, ROGER_EINVALID,
		"refusing archive '%s': it holds more than %llu entries, the limit%s%s",
		x->archive, (unsigned long long)x->o->max_entries,
		by ? " set by " : "", by ? by : "");
}

/* Whether `more` bytes fit under the cap after what was extracted. */
static bool bytes_fit(const struct extraction *x, uint64_t more)
{
	uint64_t max = x->o->max_bytes;

	return !max || (x->stats.bytes <= max && more <= max - x->stats.bytes);
}

/* ---- names and link targets ---------------------------------------------- */

/* Whether the relative path `p` has a ".." component. */
static bool has_dotdot(const char *p)
{
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
		while (*p == '/')
			p++;
	}
	return false;
}

/*
 * Why a symbolic link in a directory `depth` levels below the root, to
 * `target`, could resolve outside the root; NULL when it cannot.
 */
static const char *link_escapes(size_t depth, const char *target)
{
	const char *p = target;
	size_t up = 0;
	bool named = false;

	if (!*target)
		return "points to nothing";
	if (target[0] == '/')
		return "points to an absolute path";
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (named)
				return "has '..' after a name in its target";
			up++;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			named = true;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	if (up > depth)
		return "leads out of the sandbox";
	return NULL;
}

/* ---- writing entries ----------------------------------------------------- */

/* The parent directory `dir` beneath the staging directory, created if
 * needed (a borrowed descriptor: the last one is kept for the next entry,
 * since archives list a directory's files together). */
static int open_parent(struct extraction *x, const char *entry, const char *dir,
		       int *out)
{
	struct roger_err sub = ROGER_ERR_INIT;
	int fd, rc;

	if (x->parent && strcmp(x->parent, dir) == 0) {
		*out = x->parent_fd;
		return 0;
	}
	free(x->parent);
	x->parent = NULL;
	if (x->parent_fd >= 0)
		close(x->parent_fd);
	x->parent_fd = -1;
	rc = roger_beneath_open_dir(&fd, x->stage_fd, dir,
				    ROGER_BENEATH_CREATE | x->beneath_flags,
				    &sub);
	if (rc == ROGER_EINVALID)
		return refuse(x, entry, "cannot be written: %s", sub.msg);
	if (rc < 0)
		return roger_err_set(
			x->err, rc, "cannot extract '%s' from archive '%s': %s",
			entry, x->archive, sub.msg);
	x->parent = strdup(dir);
	if (!x->parent) {
		close(fd);
		return roger_err_set(x->err, ROGER_ENOMEM, "out of memory");
	}
	x->parent_fd = fd;
	*out = fd;
	return 0;
}

/* An earlier entry of the same name is in the way: remove it, unless it
 * is a directory (tar refuses to replace one with a file as well). */
static int make_room(struct extraction *x, int dir_fd, const char *leaf,
		     const char *entry)
{
	struct stat st;

	if (fstatat(dir_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : write_error(x, entry, errno);
	if (S_ISDIR(st.st_mode))
		return refuse(x, entry, "would replace a directory");
	if (unlinkat(dir_fd, leaf, 0) < 0 && errno != ENOENT)
		return write_error(x, entry, errno);
	return 0;
}

/* Drop set-id, sticky and group/other write bits; keep the owner able to
 * read and write (and enter) what it extracted.  KEEP_MODE keeps the bits
 * (set-id ones only with the owners); with KEEP_OWNER they are exact. */
static mode_t sanitize_perm(const struct extraction *x, mode_t perm, bool dir)
{
	int f = x->o->flags;

	if ((f & ROGER_EXTRACT_KEEP_MODE) && (f & ROGER_EXTRACT_KEEP_OWNER))
		return perm & 07777;
	if (f & ROGER_EXTRACT_KEEP_MODE)
		return (perm & 01777) | (dir ? 0700 : 0600);
	return (perm & 0755) | (dir ? 0700 : 0600);
}

/* The archive's owner on `fd` (or on the link `leaf` in `dir_fd` when fd
 * is -1), with KEEP_OWNER; before the mode, which a chown may clear. */
static int set_owner(struct extraction *x, struct archive_entry *e, int fd,
		     int dir_fd, const char *leaf, const char *entry)
{
	uid_t uid = (uid_t)archive_entry_uid(e);
	gid_t gid = (gid_t)archive_entry_gid(e);
	int r;

	if (!(x->o->flags & ROGER_EXTRACT_KEEP_OWNER))
		return 0;
	if (fd >= 0)
		r = fchown(fd, uid, gid);
	else
		r = fchownat(dir_fd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW);
	return r < 0 ? write_error(x, entry, errno) : 0;
}

static int pwrite_all(int fd, const char *p, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC; /* no progress: treat as full */
			return -1;
		}
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

static int copy_data(struct extraction *x, struct archive *in, int fd,
		     const char *entry, uint64_t *end)
{
	const void *block;
	size_t size;
	la_int64_t offset;
	int r;

	for (;;) {
		if (cancelled(x))
			return roger_err_set(x->err, ROGER_EINTR,
					     "extraction of '%s' cancelled",
					     x->archive);
		r = archive_read_data_block(in, &block, &size, &offset);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return read_error(x, in);
		if (offset < 0 || (uint64_t)offset > UINT64_MAX - size)
			return refuse(x, entry,
				      "has data at an invalid offset");
		if (!bytes_fit(x, (uint64_t)offset + size))
			return too_big(x);
		if (size > 0 && pwrite_all(fd, block, size, (off_t)offset) < 0)
			return write_error(x, entry, errno);
		if ((uint64_t)offset + size > *end)
			*end = (uint64_t)offset + size;
	}
}

static int do_file(struct extraction *x, struct archive *in,
		   struct archive_entry *e, const char *entry, int dir_fd,
		   const char *leaf)
{
	uint64_t size = 0, end = 0;
	struct timespec times[2];
	int fd, rc;

	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
		size = (uint64_t)archive_entry_size(e);
	if (!bytes_fit(x, size))
		return too_big(x);
	fd = openat(dir_fd, leaf,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		if ((rc = make_room(x, dir_fd, leaf, entry)) < 0)
			return rc;
		fd = openat(dir_fd, leaf,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				    O_CLOEXEC,
			    0600);
	}
	if (fd < 0)
		return write_error(x, entry, errno);
	rc = copy_data(x, in, fd, entry, &end);
	/* A file that ends in a hole (sparse) gets its length here. */
	if (rc == 0 && size > end) {
		if (ftruncate(fd, (off_t)size) < 0)
			rc = write_error(x, entry, errno);
		end = size;
	}
	if (rc == 0)
		rc = set_owner(x, e, fd, -1, NULL, entry);
	if (rc == 0 &&
	    fchmod(fd, sanitize_perm(x, archive_entry_perm(e), false)) < 0)
		rc = write_error(x, entry, errno);
	if (rc == 0 && archive_entry_mtime_is_set(e)) {
		times[0].tv_sec = 0;
		times[0].tv_nsec = UTIME_OMIT;
		times[1].tv_sec = archive_entry_mtime(e);
		times[1].tv_nsec = archive_entry_mtime_nsec(e);
		(void)futimens(fd,
			       times); /* a time out of range is no failure */
	}
	/* Some file systems (NFS, quotas) report a full disk only here. */
	if (close(fd) < 0 && rc == 0)
		rc = write_error(x, entry, errno);
	if (rc == 0)
		x->stats.bytes += end;
	return rc;
}

static int do_dir(struct extraction *x, struct archive_entry *e,
		  const char *entry, int dir_fd, const char *leaf)
{
	struct stat st;
	int fd, rc;

	if (mkdirat(dir_fd, leaf, 0700) < 0) {
		if (errno != EEXIST)
			return write_error(x, entry, errno);
		if (fstatat(dir_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return write_error(x, entry, errno);
		if (!S_ISDIR(st.st_mode)) {
			if ((rc = make_room(x, dir_fd, leaf, entry)) < 0)
				return rc;
			if (mkdirat(dir_fd, leaf, 0700) < 0)
				return write_error(x, entry, errno);
		}
	}
	fd = openat(dir_fd, leaf,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return write_error(x, entry, errno);
	rc = set_owner(x, e, fd, -1, NULL, entry);
	if (rc == 0 &&
	    fchmod(fd, sanitize_perm(x, archive_entry_perm(e), true)) < 0)
		rc = write_error(x, entry, errno);
	close(fd);
	return rc;
}

static int do_symlink(struct extraction *x, struct archive_entry *e,
		      const char *entry, size_t depth, int dir_fd,
		      const char *leaf)
{
	const char *target = archive_entry_symlink(e);
	const char *why;
	int rc;

	if (!target || !*target)
		return refuse(x, entry, "is a symbolic link to nothing");
	if (!(x->o->flags & ROGER_EXTRACT_ANY_SYMLINK) &&
	    (why = link_escapes(depth, target)))
		return refuse(x, entry, "is a symbolic link that %s", why);
	if (symlinkat(target, dir_fd, leaf) == 0)
		return set_owner(x, e, -1, dir_fd, leaf, entry);
	if (errno != EEXIST)
		return write_error(x, entry, errno);
	if ((rc = make_room(x, dir_fd, leaf, entry)) < 0)
		return rc;
	if (symlinkat(target, dir_fd, leaf) < 0)
		return write_error(x, entry, errno);
	return set_owner(x, e, -1, dir_fd, leaf, entry);
}

/*
 * A hard link may only join an entry the archive created before it, in the
 * staging directory; a hard link to a symbolic link copies the link to
 * another depth, so its target is judged again from there.
 */
static int do_hardlink(struct extraction *x, const char *entry, size_t depth,
		       int dir_fd, const char *leaf, const char *target)
{
	struct roger_err sub = ROGER_ERR_INIT;
	char *tdir = NULL, *tleaf = NULL, text[PATH_MAX];
	struct stat st, here;
	const char *why;
	int tfd = -1, rc;
	ssize_t n;

	if (target[0] == '/')
		return refuse(x, entry, "is a hard link to an absolute path");
	if (has_dotdot(target))
		return refuse(x, entry,
			      "is a hard link with '..' in its target");
	rc = roger_beneath_split(&tdir, &tleaf, NULL, target, &sub);
	if (rc < 0) {
		rc = rc == ROGER_ENOMEM
			     ? roger_err_set(x->err, rc, "out of memory")
			     : refuse(x, entry, "is a hard link to %s",
				      sub.msg);
		goto out;
	}
	rc = roger_beneath_open_dir(&tfd, x->stage_fd, tdir, x->beneath_flags,
				    &sub);
	if ((x->o->flags & ROGER_EXTRACT_LAYER) &&
	    (rc == ROGER_ENOTFOUND ||
	     (rc == 0 && fstatat(tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0))) {
		/* A file of a lower layer, beneath the root. */
		if (tfd >= 0)
			close(tfd);
		tfd = -1;
		roger_err_clear(&sub);
		rc = roger_beneath_open_dir(&tfd, x->root_fd, tdir,
					    x->beneath_flags, &sub);
		if (rc == 0 && strcmp(tdir, "") == 0 &&
		    strcmp(tleaf, x->stage) == 0)
			rc = ROGER_ENOTFOUND;
	}
	if (rc == ROGER_ENOTFOUND ||
	    (rc == 0 && fstatat(tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) < 0)) {
		rc = refuse(
			x, entry,
			"is a hard link to '%s', which the archive does not hold before it",
			target);
		goto out;
	}
	if (rc < 0) {
		rc = rc == ROGER_EINVALID
			     ? refuse(x, entry,
				      "is a hard link that cannot be made: %s",
				      sub.msg)
			     : roger_err_set(
				       x->err, rc,
				       "cannot extract '%s' from archive '%s': %s",
				       entry, x->archive, sub.msg);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = refuse(x, entry, "is a hard link to a directory");
		goto out;
	}
	if (S_ISLNK(st.st_mode) && !(x->o->flags & ROGER_EXTRACT_ANY_SYMLINK)) {
		n = readlinkat(tfd, tleaf, text, sizeof(text) - 1);
		if (n < 0) {
			rc = write_error(x, entry, errno);
			goto out;
		}
		text[n] = '\0';
		if ((why = link_escapes(depth, text))) {
			rc = refuse(
				x, entry,
				"is a hard link to a symbolic link that, from here, %s",
				why);
			goto out;
		}
	}
	/* A hard link to itself (tar may store one) changes nothing. */
	if (fstatat(dir_fd, leaf, &here, AT_SYMLINK_NOFOLLOW) == 0 &&
	    here.st_dev == st.st_dev && here.st_ino == st.st_ino)
		goto out;
	if (linkat(tfd, tleaf, dir_fd, leaf, 0) < 0) {
		if (errno != EEXIST) {
			rc = write_error(x, entry, errno);
			goto out;
		}
		if ((rc = make_room(x, dir_fd, leaf, entry)) < 0)
			goto out;
		if (linkat(tfd, tleaf, dir_fd, leaf, 0) < 0)
			rc = write_error(x, entry, errno);
	}
out:
	if (tfd >= 0)
		close(tfd);
	free(tdir);
	free(tleaf);
	return rc;
}

static int add_whiteout(struct extraction *x, const char *dir, const char *name)
{
	struct whiteout *w;

	if (x->n_wh == x->alloc_wh) {
		size_t n = x->alloc_wh ? 2 * x->alloc_wh : 8;

		w = realloc(x->wh, n * sizeof(*w));
		if (!w)
			return roger_err_set(x->err, ROGER_ENOMEM,
					     "out of memory");
		x->wh = w;
		x->alloc_wh = n;
	}
	w = &x->wh[x->n_wh];
	w->dir = strdup(dir);
	w->name = name ? strdup(name) : NULL;
	if (!w->dir || (name && !w->name)) {
		free(w->dir);
		free(w->name);
		return roger_err_set(x->err, ROGER_ENOMEM, "out of memory");
	}
	x->n_wh++;
	return 0;
}

/* A whiteout marker: remembered for the merge, never created. */
static int do_whiteout(struct extraction *x, const char *entry, const char *dir,
		       const char *leaf)
{
	const char *name = leaf + strlen(WHITEOUT_PREFIX);

	if (strcmp(leaf, WHITEOUT_OPAQUE) == 0)
		return add_whiteout(x, dir, NULL);
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return refuse(x, entry, "is a whiteout of nothing");
	return add_whiteout(x, dir, name);
}

static int do_entry(struct extraction *x, struct archive *in,
		    struct archive_entry *e)
{
	struct roger_err sub = ROGER_ERR_INIT;
	const char *entry = archive_entry_pathname(e);
	const char *hard = archive_entry_hardlink(e);
	char *dir = NULL, *leaf = NULL;
	size_t depth = 0;
	int dir_fd, rc;

	if (!entry || !*entry)
		return refuse(x, "", "has no name");
	if (entry[0] == '/')
		return refuse(x, entry, "has an absolute path");
	if (has_dotdot(entry))
		return refuse(x, entry, "has '..' in its path");
	rc = roger_beneath_split(&dir, &leaf, &depth, entry, &sub);
	if (rc == ROGER_ENOMEM)
		return roger_err_set(x->err, rc, "out of memory");
	if (rc < 0) {
		/* "./" names the root itself, which exists. */
		if (archive_entry_filetype(e) == AE_IFDIR && !hard &&
		    strspn(entry, "./") == strlen(entry))
			return 0;
		return refuse(x, entry, "cannot be written: %s", sub.msg);
	}
	if ((x->o->flags & ROGER_EXTRACT_WHITEOUTS) &&
	    strncmp(leaf, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0) {
		rc = open_parent(x, entry, dir, &dir_fd);
		if (rc == 0)
			rc = do_whiteout(x, entry, dir, leaf);
		goto out;
	}
	if ((rc = open_parent(x, entry, dir, &dir_fd)) < 0)
		goto out;
	if (hard) {
		rc = do_hardlink(x, entry, depth, dir_fd, leaf, hard);
		goto out;
	}
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		rc = do_file(x, in, e, entry, dir_fd, leaf);
		break;
	case AE_IFDIR:
		rc = do_dir(x, e, entry, dir_fd, leaf);
		break;
	case AE_IFLNK:
		rc = do_symlink(x, e, entry, depth, dir_fd, leaf);
		break;
	default:
		if (!(x->o->flags & ROGER_EXTRACT_SKIP_SPECIAL))
			rc = refuse(x, entry, "is a device, FIFO or socket");
		break;
	}
out:
	free(dir);
	free(leaf);
	return rc;
}

static int read_entries(struct extraction *x, struct archive *in)
{
	struct archive_entry *e;
	int r, rc;

	for (;;) {
		if (cancelled(x))
			return roger_err_set(x->err, ROGER_EINTR,
					     "extraction of '%s' cancelled",
					     x->archive);
		r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return read_error(x, in);
		x->stats.entries++;
		if (x->o->max_entries && x->stats.entries > x->o->max_entries)
			return too_many(x);
		if ((rc = do_entry(x, in, e)) < 0)
			return rc;
	}
}

/* ---- moving into place --------------------------------------------------- */

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The names in the directory `fd` (a new array of new strings). */
static int list_dir(char ***out, size_t *n_out, int fd)
{
	char **names = NULL, **grown;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d;
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (dup_fd < 0)
		return -1;
	d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			grown = realloc(names, alloc * sizeof(*names));
			if (!grown)
				goto fail;
			names = grown;
		}
		if (!(names[n] = strdup(de->d_name)))
			goto fail;
		n++;
	}
	closedir(d);
	*out = names;
	*n_out = n;
	return 0;
fail:
	closedir(d);
	free_names(names, n);
	errno = ENOMEM;
	return -1;
}

static int merge_error(struct extraction *x, const char *what, int e)
{
	return roger_err_set(
		x->err, e == ENOMEM ? ROGER_ENOMEM : ROGER_EIO,
		"cannot move '%s' from archive '%s' into place: %s", what,
		x->archive, strerror(e));
}

/*
 * Merge the staged directory `src_fd` into `dst_fd` (`rel` is its path in
 * the root, for messages).  The dry pass only looks for a non-directory
 * that would replace a directory; the other one moves.
 */
static int merge(struct extraction *x, int src_fd, int dst_fd, const char *rel,
		 bool dry, int depth)
{
	char **names = NULL, *path = NULL;
	size_t n = 0;
	int rc = 0;

	if (list_dir(&names, &n, src_fd) < 0)
		return merge_error(x, *rel ? rel : ".", errno);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *name = names[i];
		struct stat ss, ds;
		int s = -1, d = -1;

		free(path);
		if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", name) < 0) {
			path = NULL;
			rc = roger_err_set(x->err, ROGER_ENOMEM,
					   "out of memory");
			break;
		}
		if (depth == 0 && strcmp(name, x->stage) == 0) {
			rc = refuse(x, path,
				    "has the name of the staging directory");
			break;
		}
		if (fstatat(src_fd, name, &ss, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = merge_error(x, path, errno);
			break;
		}
		if (fstatat(dst_fd, name, &ds, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				rc = merge_error(x, path, errno);
			else if (!dry &&
				 renameat(src_fd, name, dst_fd, name) < 0)
				rc = merge_error(x, path, errno);
			continue;
		}
		if (S_ISDIR(ss.st_mode) && S_ISDIR(ds.st_mode)) {
			s = openat(src_fd, name,
				   O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
			d = openat(dst_fd, name,
				   O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					   O_CLOEXEC);
			if (s < 0 || d < 0)
				rc = merge_error(x, path, errno);
			else if (!dry &&
				 (x->o->flags & ROGER_EXTRACT_KEEP_OWNER) &&
				 fchown(d, ss.st_uid, ss.st_gid) < 0)
				rc = merge_error(x, path, errno);
			else if (!dry && fchmod(d, ss.st_mode & 07777) < 0)
				rc = merge_error(x, path, errno);
			else
				rc = merge(x, s, d, path, dry, depth + 1);
			if (s >= 0)
				close(s);
			if (d >= 0)
				close(d);
		} else if (S_ISDIR(ds.st_mode) &&
			   !(x->o->flags & ROGER_EXTRACT_LAYER)) {
			rc = refuse(x, path, "would replace a directory");
		} else if (!dry && S_ISDIR(ds.st_mode)) {
			/* A layer's file or link replaces a directory. */
			if (roger_beneath_remove(dst_fd, name) < 0 ||
			    renameat(src_fd, name, dst_fd, name) < 0)
				rc = merge_error(x, path, errno);
		} else if (!dry) {
			/* rename(2) replaces a file or link atomically, but
			 * a directory only replaces a directory. */
			if (S_ISDIR(ss.st_mode) &&
			    unlinkat(dst_fd, name, 0) < 0 && errno != ENOENT)
				rc = merge_error(x, path, errno);
			else if (renameat(src_fd, name, dst_fd, name) < 0)
				rc = merge_error(x, path, errno);
		}
	}
	free(path);
	free_names(names, n);
	return rc;
}

/* Empty the directory `fd` of everything in it. */
static int empty_dir(int fd)
{
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (list_dir(&names, &n, fd) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = roger_beneath_remove(fd, names[i]);
	free_names(names, n);
	return rc;
}

/* Apply the whiteouts to what the root held before this archive.  A
 * directory that is missing, or reached only through a symbolic link, has
 * nothing to hide. */
static int apply_whiteouts(struct extraction *x)
{
	for (size_t i = 0; i < x->n_wh; i++) {
		const struct whiteout *w = &x->wh[i];
		int fd, rc;

		if (roger_beneath_open_dir(&fd, x->root_fd, w->dir,
					   x->beneath_flags, NULL) < 0)
			continue;
		rc = w->name ? roger_beneath_remove(fd, w->name)
			     : empty_dir(fd);
		if (rc < 0)
			rc = roger_err_set(
				x->err, ROGER_EIO,
				"cannot apply the whiteout of '%s%s%s' from archive '%s': %s",
				w->dir, *w->dir ? "/" : "",
				w->name ? w->name : WHITEOUT_OPAQUE, x->archive,
				strerror(errno));
		close(fd);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the whole archive --------------------------------------------------- */

int roger_extract(struct roger_extract_stats *out, int root_fd,
		  struct archive *in, const struct roger_extract_opts *o,
		  struct roger_err *err)
{
	struct extraction x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.o = o;
	x.archive = o->name ? o->name : "archive";
	x.root_fd = root_fd;
	x.stage_fd = -1;
	x.parent_fd = -1;
	x.err = err;
	if (o->flags & ROGER_EXTRACT_NO_OPENAT2)
		x.beneath_flags = ROGER_BENEATH_NO_OPENAT2;
	if (roger_beneath_create_temp(root_fd, STAGING_PREFIX, true, 0700,
				      x.stage, sizeof(x.stage)) < 0)
		return roger_err_set(
			err, ROGER_EIO,
			"cannot extract archive '%s': cannot create a staging directory: %s",
			x.archive, strerror(errno));
	x.stage_fd = openat(root_fd, x.stage,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (x.stage_fd < 0) {
		rc = roger_err_set(
			err, ROGER_EIO,
			"cannot extract archive '%s': cannot open the staging directory: %s",
			x.archive, strerror(errno));
		goto out;
	}
	if ((rc = read_entries(&x, in)) < 0)
		goto out;
	if (o->finish && (rc = o->finish(o->finish_data, err)) < 0)
		goto out;
	if ((rc = apply_whiteouts(&x)) < 0)
		goto out;
	if ((rc = merge(&x, x.stage_fd, root_fd, "", true, 0)) < 0)
		goto out;
	rc = merge(&x, x.stage_fd, root_fd, "", false, 0);
	if (rc == 0 && out)
		*out = x.stats;
out:
	if (x.parent_fd >= 0)
		close(x.parent_fd);
	free(x.parent);
	if (x.stage_fd >= 0)
		close(x.stage_fd);
	/* What is left to remove: everything on failure, the shells of
	 * merged directories on success. */
	(void)roger_beneath_remove(root_fd, x.stage);
	for (size_t i = 0; i < x.n_wh; i++) {
		free(x.wh[i].dir);
		free(x.wh[i].name);
	}
	free(x.wh);
	return rc;
}
