/*
 * beneath.c - opening directories beneath a root descriptor without
 * following symbolic links (see beneath.h).
 *
 * Two ways to the same answer.  Where the kernel has openat2(2) (Linux 5.6
 * and later; glibc 2.36 has no wrapper, so it is called through syscall(2)),
 * one call resolves the whole path with RESOLVE_BENEATH (no "..", no
 * absolute path, no escape through a mount trick) and RESOLVE_NO_SYMLINKS
 * (any symbolic link on the way is an error).  Otherwise, and whenever that
 * call fails (a directory to create, or an error to explain), the path is
 * walked one component at a time from a duplicate of the root descriptor,
 * each step an openat(O_DIRECTORY | O_NOFOLLOW) relative to the previous
 * one, so that every step names a real directory that is already known to
 * lie beneath the root.  Both refuse the same paths; the walk gives the
 * precise reason (which component is a symbolic link, or not a directory).
 *
 * Whether openat2 is usable is learnt once per process: ENOSYS (an old
 * kernel) or EPERM (a seccomp profile that does not know it) turns it off
 * for good.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "err.h"
#include "local/beneath.h"

#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
#define HAVE_OPENAT2 1
#endif

/* 1: openat2 works, -1: it does not, 0: not tried yet. */
static int openat2_state;

/* The next component of the path at `*p`, skipping empty and "." ones:
 * its start into `*name` and length into `*len`; false at the end. */
static bool next_component(const char **p, const char **name, size_t *len)
{
	const char *s = *p;

	for (;;) {
		size_t n;

		while (*s == '/')
			s++;
		if (!*s) {
			*p = s;
			return false;
		}
		n = strcspn(s, "/");
		if (n == 1 && s[0] == '.') {
			s++;
			continue;
		}
		*name = s;
		*len = n;
		*p = s + n;
		return true;
	}
}

/* Check a relative path's shape; its number of components, or an error. */
static int check_path(const char *path, struct roger_err *err)
{
	const char *p = path, *name;
	size_t len;
	int n = 0;

	if (path[0] == '/')
		return roger_err_set(err, ROGER_EINVALID,
				     "'%s' is an absolute path", path);
	while (next_component(&p, &name, &len)) {
		if (len == 2 && name[0] == '.' && name[1] == '.')
			return roger_err_set(err, ROGER_EINVALID,
					     "'%s' has a '..' component", path);
		if (len > NAME_MAX)
			return roger_err_set(
				err, ROGER_EINVALID,
				"'%s' has a component longer than %d bytes",
				path, NAME_MAX);
		if (++n > ROGER_BENEATH_MAX_DEPTH)
			return roger_err_set(err, ROGER_EINVALID,
					     "'%s' has more than %d components",
					     path, ROGER_BENEATH_MAX_DEPTH);
	}
	return n;
}

/* Why stepping from `dir_fd` into the component `name` (of `len` bytes)
 * of `path` failed with `e` (an errno). */
static int step_error(int dir_fd, const char *path, const char *name,
		      size_t len, int e, struct roger_err *err)
{
	int upto = (int)(name - path + (ptrdiff_t)len);
	char comp[NAME_MAX + 1];
	struct stat st;

	memcpy(comp, name, len);
	comp[len] = '\0';
	if (e == ENOTDIR || e == ELOOP) {
		if (fstatat(dir_fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			return roger_err_set(err, ROGER_EINVALID,
					     "'%.*s' is a symbolic link", upto,
					     path);
		return roger_err_set(err, ROGER_EINVALID,
				     "'%.*s' is not a directory", upto, path);
	}
	if (e == ENOENT)
		return roger_err_set(err, ROGER_ENOTFOUND,
				     "'%.*s' does not exist", upto, path);
	return roger_err_set(err, ROGER_EIO, "cannot open '%.*s': %s", upto,
			     path, strerror(e));
}

static int walk(int *out, int root_fd, const char *path, int flags,
		struct roger_err *err)
{
	const char *p = path, *name;
	char comp[NAME_MAX + 1];
	size_t len;
	int fd, next, rc;

	fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return roger_err_set(err, ROGER_EIO,
				     "cannot open the directory of '%s': %s",
				     path, strerror(errno));
	while (next_component(&p, &name, &len)) {
		memcpy(comp, name, len);
		comp[len] = '\0';
		next = openat(fd, comp,
			      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT &&
		    (flags & ROGER_BENEATH_CREATE)) {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
				rc = roger_err_set(
					err, ROGER_EIO,
					"cannot create directory '%.*s': %s",
					(int)(name - path + (ptrdiff_t)len),
					path, strerror(errno));
				close(fd);
				return rc;
			}
			next = openat(fd, comp,
				      O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					      O_CLOEXEC);
		}
		if (next < 0) {
			rc = step_error(fd, path, name, len, errno, err);
			close(fd);
			return rc;
		}
		close(fd);
		fd = next;
	}
	*out = fd;
	return 0;
}

#ifdef HAVE_OPENAT2
/* openat2 of the whole path: a descriptor, or -1 (errno set; ENOSYS when
 * the kernel lacks it). */
static int open_openat2(int root_fd, const char *path)
{
	struct open_how how;
	int state = __atomic_load_n(&openat2_state, __ATOMIC_RELAXED);
	int tries = 0;
	long fd;

	if (state < 0) {
		errno = ENOSYS;
		return -1;
	}
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	how.resolve =
		RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	/* EAGAIN: a rename elsewhere raced with the lookup; the walk, if it
	 * comes to that, does not mind. */
	do {
		fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	} while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 8);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == E2BIG ||
		       errno == EINVAL)) {
		__atomic_store_n(&openat2_state, -1, __ATOMIC_RELAXED);
		errno = ENOSYS;
		return -1;
	}
	if (fd >= 0)
		__atomic_store_n(&openat2_state, 1, __ATOMIC_RELAXED);
	return (int)fd;
}
#endif

int roger_beneath_open_dir(int *out, int root_fd, const char *path, int flags,
			   struct roger_err *err)
{
	int n = check_path(path, err);

	if (n < 0)
		return n;
#ifdef HAVE_OPENAT2
	if (n > 0 && !(flags & ROGER_BENEATH_NO_OPENAT2)) {
		int fd = open_openat2(root_fd, path);

		if (fd >= 0) {
			*out = fd;
			return 0;
		}
		/* Missing directories to create, or a reason to give: the
		 * walk does both, and refuses whatever openat2 refused. */
	}
#endif
	return walk(out, root_fd, path, flags, err);
}

int roger_beneath_split(char **dir, char **leaf, size_t *depth,
			const char *path, struct roger_err *err)
{
	const char *p = path, *name, *last = NULL;
	size_t len, last_len = 0, n = 0;
	char *d = NULL, *l = NULL;
	int rc = check_path(path, err);

	if (rc < 0)
		return rc;
	while (next_component(&p, &name, &len)) {
		last = name;
		last_len = len;
		n++;
	}
	if (!last)
		return roger_err_set(err, ROGER_EINVALID, "'%s' names nothing",
				     path);
	/* The directory part keeps the path's own spelling up to the leaf;
	 * the resolver skips its "." and empty components. */
	d = strndup(path, (size_t)(last - path));
	l = strndup(last, last_len);
	if (!d || !l) {
		free(d);
		free(l);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	*dir = d;
	*leaf = l;
	if (depth)
		*depth = n - 1;
	return 0;
}

static int remove_dir(int dir_fd, const char *name, int depth)
{
	struct stat dst;
	struct dirent *de;
	bool again = true;
	DIR *d;
	int fd, rc = 0;

	if (depth > 2 * ROGER_BENEATH_MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	/* A directory made read-only (a task's, an image's) is opened up
	 * first, so that its entries can go. */
	if (fstatat(dir_fd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(dst.st_mode) && (dst.st_mode & 0700) != 0700)
		(void)fchmodat(dir_fd, name, (dst.st_mode & 07777) | 0700, 0);
	fd = openat(dir_fd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	/* Removing entries while reading a directory may make readdir skip
	 * others on some file systems: read it again until it is empty. */
	while (rc == 0 && again) {
		again = false;
		rewinddir(d);
		while (rc == 0 && (de = readdir(d))) {
			struct stat st;

			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			again = true;
			if (de->d_type == DT_UNKNOWN &&
			    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
				    0 &&
			    S_ISDIR(st.st_mode))
				de->d_type = DT_DIR;
			if (de->d_type == DT_DIR)
				rc = remove_dir(fd, de->d_name, depth + 1);
			else if (unlinkat(fd, de->d_name, 0) < 0 &&
				 errno != ENOENT)
				rc = -1;
		}
	}
	closedir(d);
	if (rc == 0 && unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT)
		rc = -1;
	return rc;
}

int roger_beneath_remove(int dir_fd, const char *name)
{
	struct stat st;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode))
		return remove_dir(dir_fd, name, 0);
	if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int roger_beneath_create_temp(int dir_fd, const char *prefix, bool dir,
			      mode_t mode, char *name, size_t size)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static unsigned counter;
	size_t plen = strlen(prefix);

	if (plen + 7 > size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (int attempt = 0; attempt < 100; attempt++) {
		unsigned char rnd[6];
		int fd;

		if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(rnd)) {
			uint64_t x = (uint64_t)time(NULL) ^
				     ((uint64_t)getpid() << 16) ^
				     __atomic_add_fetch(&counter, 7919,
							__ATOMIC_RELAXED);

			for (size_t i = 0; i < sizeof(rnd); i++)
				rnd[i] = (unsigned char)(x >> (8 * i));
		}
		memcpy(name, prefix, plen);
		for (size_t i = 0; i < sizeof(rnd); i++)
			name[plen + i] = chars[rnd[i] % (sizeof(chars) - 1)];
		name[plen + sizeof(rnd)] = '\0';
		if (dir) {
			if (mkdirat(dir_fd, name, mode) == 0)
				return 0;
		} else {
			fd = openat(dir_fd, name,
				    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					    O_CLOEXEC,
				    mode);
			if (fd >= 0)
				return fd;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

bool roger_beneath_have_openat2(void)
{
#ifdef HAVE_OPENAT2
	int fd;

	if (__atomic_load_n(&openat2_state, __ATOMIC_RELAXED) == 0) {
		fd = open_openat2(AT_FDCWD, ".");
		if (fd >= 0)
			close(fd);
	}
	return __atomic_load_n(&openat2_state, __ATOMIC_RELAXED) > 0;
#else
	return false;
#endif
}
