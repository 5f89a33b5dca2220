/*
 * buildcache-hot.c - hot copies of build cache entries: the paths of a
 * recent entry kept as an extracted tree, moved into the next export with
 * rename(2) instead of extracted from the tar again.
 *
 * Why.  Extracting an entry of a few thousand files (node_modules) into
 * each export and deleting them with the export costs more than the build
 * command it spares on ext4, whose inode allocator slows down right after
 * many deletions.  A rename costs the same for one file or ten thousand.
 *
 * Where.  In a directory of the user's own under the $TMPDIR of the
 * export (so that rename(2) stays on one file system):
 *   $TMPDIR/roger-<euid>/                   mode 0700, owned by the user
 *   $TMPDIR/roger-<euid>/build-cache/<key>/ a slot:
 *       tree/<path>...                      the cache paths at their places
 *       manifest                            what a walk of tree/ saw
 * The per-user directory is checked before any use (a directory, not a
 * link, owned by geteuid(), mode 0700): anyone else able to write there
 * could plant a node_modules that a build would ship.  When it is not
 * such a directory it is not used (one warning) and builds restore from
 * the tar.  Nothing is kept when $TMPDIR is a tmpfs: extraction there is
 * fast already, and a hot tree would hold memory.
 *
 * The tar under .roger/build-cache stays the durable copy; a slot is only
 * an accelerator bound to it: its manifest names the entry's SHA-256, and
 * a slot whose entry is gone or was saved again is not used.  A slot is
 * taken by renaming it to a private name first (two builds never share
 * one), then its tree is walked and compared with its manifest: a file
 * added, removed or changed behind roger's back (another inode, size,
 * mode, mtime or ctime) makes the slot go, and the build restores from
 * the tar.  When moving the paths into the export fails part way, what was
 * moved is removed again, so the tar restore sees the export as it was.
 *
 * After a successful build and packaging, the paths go back into a new
 * slot if they are unchanged since they were restored (or saved, on a
 * miss): the walk then must equal the one taken at that time.  The
 * manifest is a byte string only ever compared with a fresh walk, never
 * parsed, so a damaged one is a mismatch like any other.  At most
 * HOT_SLOTS slots are kept, least recently made first to go.  Deleting
 * $TMPDIR/roger-<euid> at any time is safe: builds then extract from the
 * tar again.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "buf.h"
#include "buildcache.h"
#include "err.h"
#include "fs.h"
#include "local/beneath.h"
#include "noop.h"
#include "util.h"

#define HOT_FORMAT "roger-build-hot-1"
#define MANIFEST "manifest"
#define TREE "tree"
/* A leftover .tmp- or .use- slot older than this is a crashed build's. */
#define STALE_SECONDS (24 * 3600)

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

void roger_build_hot_release(struct roger_build_hot *h)
{
	if (!h)
		return;
	if (h->fd >= 0)
		close(h->fd);
	free(h->dir);
	roger_buf_release(&h->snap);
	memset(h, 0, sizeof(*h));
	h->fd = -1;
}

int roger_build_hot_open(struct roger_build_hot *h, struct roger_buf *note,
			 const char *tmpdir, struct roger_err *err)
{
	struct roger_buf user = ROGER_BUF_INIT;
	struct stat lst, fst;
	struct statfs sfs;
	int ufd = -1, rc = 0;

	memset(h, 0, sizeof(*h));
	h->fd = -1;
	roger_buf_init(&h->snap);
	if (statfs(tmpdir, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC)
		return 0; /* extracting is fast there already */
	if (roger_buf_addf(&user, "%s/roger-%lu", tmpdir,
			   (unsigned long)geteuid()) < 0)
		return nomem(err);
	if (mkdir(user.buf, 0700) == 0)
		(void)chmod(user.buf, 0700); /* whatever the umask */
	if (lstat(user.buf, &lst) < 0)
		goto out; /* no hot copies, and nothing to say */
	if (!S_ISDIR(lst.st_mode) || lst.st_uid != geteuid() ||
	    (lst.st_mode & 07777) != 0700) {
		roger_buf_addf(
			note,
			"'%s' is not a private directory of this user (%s, owner %lu, mode %04o): not keeping hot copies of the build cache there",
			user.buf,
			S_ISLNK(lst.st_mode)   ? "a symbolic link"
			: S_ISDIR(lst.st_mode) ? "a directory"
					       : "not a directory",
			(unsigned long)lst.st_uid,
			(unsigned)(lst.st_mode & 07777));
		goto out;
	}
	ufd = open(user.buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* The same directory that was checked, not one swapped in since. */
	if (ufd < 0 || fstat(ufd, &fst) < 0 || fst.st_dev != lst.st_dev ||
	    fst.st_ino != lst.st_ino)
		goto out;
	if (mkdirat(ufd, "build-cache", 0700) < 0 && errno != EEXIST)
		goto out;
	h->fd = openat(ufd, "build-cache",
		       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (h->fd >= 0 && roger_buf_adds(&user, "/build-cache") == 0)
		h->dir = roger_buf_detach(&user, NULL);
	if (h->fd >= 0 && !h->dir)
		rc = nomem(err);
out:
	if (ufd >= 0)
		close(ufd);
	roger_buf_release(&user);
	if (rc < 0 || !h->dir) {
		if (h->fd >= 0)
			close(h->fd);
		h->fd = -1;
	}
	return rc;
}

/* ---- the walk ------------------------------------------------------------ */

/*
 * Add `name` in `dirfd` (its path relative to the project is `rel`) and
 * all below it to `out`: one record per entry, the path ended by a NUL
 * (no name holds one) and then its type and mode, inode, size and times.
 * A directory's size and times are left out (its names are what counts),
 * and so is the ctime of the top entry, which rename(2) changes.
 */
static int walk(struct roger_buf *out, int dirfd, const char *name,
		struct roger_buf *rel, bool top)
{
	size_t base = rel->len;
	struct stat st;
	char **names = NULL;
	size_t n = 0;
	int fd, rc = 0;

	if (roger_buf_adds(rel, name) < 0)
		return -1;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		st.st_size = 0;
		st.st_mtim = (struct timespec){ 0 };
		st.st_ctim = (struct timespec){ 0 };
	}
	if (top)
		st.st_ctim = (struct timespec){ 0 };
	rc = roger_buf_add(out, rel->buf, rel->len + 1);
	if (rc == 0)
		rc = roger_buf_addf(
			out,
			"%o %" PRIu64 " %" PRId64 " %" PRId64 ".%09ld %" PRId64
			".%09ld\n",
			(unsigned)st.st_mode, (uint64_t)st.st_ino,
			(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec,
			st.st_mtim.tv_nsec, (int64_t)st.st_ctim.tv_sec,
			st.st_ctim.tv_nsec);
	if (rc < 0 || !S_ISDIR(st.st_mode))
		goto out;
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = roger_build_cache_list_dir(&names, &n, fd);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = roger_buf_addch(rel, '/');
		if (rc == 0)
			rc = walk(out, fd, names[i], rel, false);
		roger_buf_truncate(rel, base + strlen(name));
	}
	close(fd);
	roger_build_cache_free_names(names, n);
out:
	roger_buf_truncate(rel, base);
	return rc;
}

/*
 * Open the directory holding the cache path `path` beneath `root` into
 * *parent (created when `create`) and point *leaf at its last name (in
 * `path`).  -1 when the directory is not there or not a plain one.
 */
static int open_parent(int *parent, const char **leaf, int root,
		       const char *path, bool create)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	*leaf = slash ? slash + 1 : path;
	dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (!dir)
		return -1;
	rc = roger_beneath_open_dir(parent, root, dir,
				    create ? ROGER_BENEATH_CREATE : 0, NULL);
	free(dir);
	return rc < 0 ? -1 : 0;
}

/*
 * The record of the cache paths beneath `root` as they are now, for the
 * entry `sha` of bc->key.  -1 when a path cannot be walked (that makes
 * no record worth keeping).
 */
static int record(struct roger_buf *out, const struct roger_build_cache *bc,
		  const char *sha, int root)
{
	struct roger_buf rel = ROGER_BUF_INIT;
	int rc = roger_buf_addf(out, "%s\n%s\n%s\n", HOT_FORMAT, bc->key, sha);

	for (size_t i = 0; rc == 0 && bc->paths[i]; i++) {
		const char *leaf;
		int parent = -1;

		rc = roger_buf_addf(out, "path %s\n", bc->paths[i]);
		if (rc < 0)
			break;
		if (open_parent(&parent, &leaf, root, bc->paths[i], false) <
			    0 ||
		    faccessat(parent, leaf, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = roger_buf_adds(out, "absent\n");
		} else {
			roger_buf_reset(&rel);
			rc = roger_buf_add(&rel, bc->paths[i],
					   (size_t)(leaf - bc->paths[i]));
			if (rc == 0)
				rc = walk(out, parent, leaf, &rel, true);
		}
		if (parent >= 0)
			close(parent);
	}
	roger_buf_release(&rel);
	return rc;
}

/* ---- slots --------------------------------------------------------------- */

static int read_fd(struct roger_buf *out, int fd)
{
	char chunk[8192];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || roger_buf_add(out, chunk, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/* Take the slot `name` for this process: rename it to a private name. */
static bool claim(char *claimed, size_t size, struct roger_build_hot *h,
		  const char *name)
{
	if (roger_beneath_create_temp(h->fd, ".use-", true, 0700, claimed,
				      size) < 0)
		return false;
	if (renameat(h->fd, name, h->fd, claimed) == 0)
		return true;
	unlinkat(h->fd, claimed, AT_REMOVEDIR);
	return false;
}

/*
 * Move each cache path from beneath `from` to the same place beneath
 * `to`, creating missing parent directories there.  On a failure, what
 * was moved is removed from `to` and -1 is returned.
 */
static int move_paths(const struct roger_build_cache *bc, int from, int to)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && bc->paths[i]; i++) {
		int sp = -1, dp = -1;
		const char *leaf;

		if (open_parent(&sp, &leaf, from, bc->paths[i], false) < 0 ||
		    faccessat(sp, leaf, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
			if (sp >= 0)
				close(sp);
			continue; /* absent on both sides */
		}
		if (open_parent(&dp, &leaf, to, bc->paths[i], true) < 0 ||
		    faccessat(dp, leaf, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
		    renameat(sp, leaf, dp, leaf) < 0)
			rc = -1;
		if (sp >= 0)
			close(sp);
		if (dp >= 0)
			close(dp);
	}
	if (rc == 0)
		return 0;
	/* Paths [0, i - 1) were moved; the one at i - 1 was not. */
	for (size_t j = 0; j + 1 < i; j++) {
		const char *leaf;
		int dp = -1;

		if (open_parent(&dp, &leaf, to, bc->paths[j], false) == 0)
			roger_beneath_remove(dp, leaf);
		if (dp >= 0)
			close(dp);
	}
	return -1;
}

int roger_build_hot_restore(bool *moved, struct roger_buf *note,
			    struct roger_build_hot *h,
			    const struct roger_build_cache *bc,
			    const char *projdir, struct roger_err *err)
{
	struct roger_buf manifest = ROGER_BUF_INIT, now = ROGER_BUF_INIT;
	char claimed[64], sha[65];
	int slot = -1, tree = -1, mfd = -1, proj = -1, rc = 0;
	bool taken = false;

	*moved = false;
	if (h->fd < 0)
		return 0;
	roger_buf_reset(&h->snap);
	if (!roger_build_cache_entry_sha(sha, bc, bc->key)) {
		/* The tar is gone: so is what its hot copy stood for. */
		roger_beneath_remove(h->fd, bc->key);
		return 0;
	}
	taken = claim(claimed, sizeof(claimed), h, bc->key);
	if (!taken)
		goto out; /* no slot: restore from the tar */
	slot = openat(h->fd, claimed,
		      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (slot >= 0)
		mfd = openat(slot, MANIFEST, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (slot >= 0)
		tree = openat(slot, TREE,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (mfd < 0 || tree < 0 || read_fd(&manifest, mfd) < 0 ||
	    record(&now, bc, sha, tree) < 0 || manifest.len != now.len ||
	    memcmp(manifest.buf, now.buf, now.len)) {
		roger_buf_addf(
			note,
			"the hot copy '%s/%s' of the build cache does not match its manifest: removed, restoring from the tar",
			h->dir, bc->key);
		goto out;
	}
	proj = open(projdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proj < 0 || move_paths(bc, tree, proj) < 0) {
		roger_buf_addf(
			note,
			"cannot move the hot copy '%s/%s' of the build cache into the export: restoring from the tar",
			h->dir, bc->key);
		goto out;
	}
	if (roger_buf_add(&h->snap, now.buf, now.len) < 0) {
		rc = nomem(err);
		goto out;
	}
	roger_build_cache_touch(bc);
	*moved = true;
out:
	if (taken)
		roger_beneath_remove(h->fd, claimed);
	if (proj >= 0)
		close(proj);
	if (mfd >= 0)
		close(mfd);
	if (tree >= 0)
		close(tree);
	if (slot >= 0)
		close(slot);
	roger_buf_release(&manifest);
	roger_buf_release(&now);
	return rc;
}

int roger_build_hot_snapshot(struct roger_build_hot *h,
			     const struct roger_build_cache *bc,
			     const char *projdir)
{
	char sha[65];
	int proj, rc = -1;

	if (h->fd < 0)
		return 0;
	roger_buf_reset(&h->snap);
	proj = open(projdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proj >= 0 && roger_build_cache_entry_sha(sha, bc, bc->key))
		rc = record(&h->snap, bc, sha, proj);
	if (proj >= 0)
		close(proj);
	if (rc < 0)
		roger_buf_reset(&h->snap);
	return rc;
}

struct slot_use {
	char *name;
	int64_t made;
};

static int cmp_made(const void *a, const void *b)
{
	const struct slot_use *x = a, *y = b;

	return x->made > y->made ? -1 : x->made < y->made;
}

static bool is_key(const char *name)
{
	return strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64;
}

/*
 * Keep the HOT_SLOTS most recently made slots, remove the others and the
 * temporary slots of builds that ended long ago without cleaning up.
 */
static void prune_slots(struct roger_build_hot *h)
{
	struct slot_use *v = NULL;
	char **names = NULL;
	size_t n = 0, used = 0;
	time_t now = time(NULL);

	if (roger_build_cache_list_dir(&names, &n, h->fd) < 0)
		return;
	v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++) {
		struct stat st;
		char *m = NULL;

		if (!is_key(names[i])) {
			if (names[i][0] == '.' &&
			    fstatat(h->fd, names[i], &st,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
			    st.st_mtime + STALE_SECONDS < now)
				roger_beneath_remove(h->fd, names[i]);
			continue;
		}
		if (asprintf(&m, "%s/%s", names[i], MANIFEST) < 0)
			continue;
		v[used].name = names[i];
		v[used].made = fstatat(h->fd, m, &st, AT_SYMLINK_NOFOLLOW) == 0
				       ? roger_noop_ns(&st.st_mtim)
				       : 0;
		used++;
		free(m);
	}
	if (used)
		qsort(v, used, sizeof(*v), cmp_made);
	for (size_t i = ROGER_BUILD_HOT_SLOTS; i < used; i++)
		roger_beneath_remove(h->fd, v[i].name);
	free(v);
	roger_build_cache_free_names(names, n);
}

int roger_build_hot_keep(bool *kept, struct roger_buf *note,
			 struct roger_build_hot *h,
			 const struct roger_build_cache *bc,
			 const char *projdir, struct roger_err *err)
{
	struct roger_buf now = ROGER_BUF_INIT;
	char tmp[64], sha[65];
	int proj = -1, slot = -1, tree = -1, rc = 0;
	bool made = false;

	*kept = false;
	if (h->fd < 0 || !h->snap.len)
		return 0;
	proj = open(projdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proj < 0 || !roger_build_cache_entry_sha(sha, bc, bc->key) ||
	    record(&now, bc, sha, proj) < 0)
		goto out;
	if (now.len != h->snap.len || memcmp(now.buf, h->snap.buf, now.len)) {
		roger_buf_addf(
			note,
			"the build changed the cached paths: no hot copy kept");
		goto out;
	}
	if (roger_beneath_create_temp(h->fd, ".tmp-", true, 0700, tmp,
				      sizeof(tmp)) < 0)
		goto out;
	made = true;
	slot = openat(h->fd, tmp,
		      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (slot < 0 || mkdirat(slot, TREE, 0700) < 0)
		goto out;
	tree = openat(slot, TREE,
		      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tree < 0 || move_paths(bc, proj, tree) < 0)
		goto out;
	{
		int fd = openat(slot, MANIFEST ".tmp",
				O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					O_CLOEXEC,
				0600);

		if (fd < 0)
			goto out;
		rc = roger_write_all(fd, now.buf, now.len);
		if (close(fd) < 0 || rc < 0 ||
		    renameat(slot, MANIFEST ".tmp", slot, MANIFEST) < 0) {
			rc = 0;
			goto out;
		}
	}
	/* An existing slot for the key wins; ours goes with `made`. */
	if (renameat(h->fd, tmp, h->fd, bc->key) < 0)
		goto out;
	made = false;
	*kept = true;
	prune_slots(h);
out:
	if (made)
		roger_beneath_remove(h->fd, tmp);
	if (tree >= 0)
		close(tree);
	if (slot >= 0)
		close(slot);
	if (proj >= 0)
		close(proj);
	roger_buf_release(&now);
	(void)err;
	return rc;
}
