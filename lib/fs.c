/*
 * fs.c - atomic writes, whole-file reads, directory helpers.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "util.h"

int roger_fs_read_file(struct roger_buf *out, const char *path,
		       struct roger_err *err)
{
	char chunk[65536];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return roger_err_set(
			err, errno == ENOENT ? ROGER_ENOTFOUND : ROGER_EIO,
			"cannot read '%s': %s", path, strerror(errno));
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (roger_buf_add(out, chunk, (size_t)n) < 0) {
			close(fd);
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory reading '%s'",
					     path);
		}
	}
	if (n < 0) {
		int e = errno;

		close(fd);
		return roger_err_set(err,
				     e == EISDIR ? ROGER_EINVALID : ROGER_EIO,
				     "cannot read '%s': %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

int roger_fs_write_atomic(const char *path, const void *data, size_t len,
			  mode_t mode, struct roger_err *err)
{
	char *tmp = NULL;
	int fd = -1, rc = 0, e;
	size_t n = strlen(path) + 32;

	tmp = malloc(n);
	if (!tmp)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				   path, strerror(errno));
		goto out;
	}
	if (roger_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		e = errno;
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				   path, strerror(e));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				   path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot rename '%s' to '%s': %s", tmp, path,
				   strerror(errno));
		goto out;
	}
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int roger_fs_mkdirs(const char *path, mode_t mode, struct roger_err *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid directory '%s'", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return roger_err_set(err, ROGER_EIO,
					     "cannot create directory '%s': %s",
					     buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return roger_err_set(err, ROGER_EIO,
				     "cannot create directory '%s': %s", buf,
				     strerror(errno));
	if (!roger_fs_is_dir(buf))
		return roger_err_set(err, ROGER_EIO, "'%s' is not a directory",
				     buf);
	return 0;
}

int roger_fs_remove_tree(const char *path, struct roger_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : roger_err_set(err, ROGER_EIO,
						       "cannot remove '%s': %s",
						       path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return roger_err_set(err, ROGER_EIO,
					     "cannot remove '%s': %s", path,
					     strerror(errno));
		return 0;
	}
	d = opendir(path);
	if (!d)
		return roger_err_set(err, ROGER_EIO, "cannot open '%s': %s",
				     path, strerror(errno));
	while (rc == 0 && (de = readdir(d))) {
		char *child;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		child = roger_path_join(path, de->d_name);
		if (!child) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			break;
		}
		rc = roger_fs_remove_tree(child, err);
		free(child);
	}
	closedir(d);
	if (rc == 0 && rmdir(path) < 0 && errno != ENOENT)
		rc = roger_err_set(err, ROGER_EIO, "cannot remove '%s': %s",
				   path, strerror(errno));
	return rc;
}

bool roger_fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool roger_fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

char *roger_path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	bool slash = la > 0 && a[la - 1] != '/';
	char *s = malloc(la + lb + 2);

	if (!s)
		return NULL;
	memcpy(s, a, la);
	if (slash)
		s[la++] = '/';
	memcpy(s + la, b, lb + 1);
	return s;
}

char *roger_xdg_dir(const struct roger_ctx *ctx, const char *kind)
{
	static const struct {
		const char *kind, *var, *fallback;
	} xdg[] = {
		{ "config", "XDG_CONFIG_HOME", ".config" },
		{ "state", "XDG_STATE_HOME", ".local/state" },
		{ "cache", "XDG_CACHE_HOME", ".cache" },
		{ "data", "XDG_DATA_HOME", ".local/share" },
	};
	for (size_t i = 0; i < sizeof(xdg) / sizeof(xdg[0]); i++) {
		const char *base, *home;
		char *tmp, *dir;

		if (strcmp(kind, xdg[i].kind))
			continue;
		base = roger_ctx_getenv(ctx, xdg[i].var);
		/* The XDG spec ignores relative values. */
		if (base && base[0] == '/')
			return roger_path_join(base, "roger");
		home = roger_ctx_getenv(ctx, "HOME");
		if (!home)
			home = "/";
		tmp = roger_path_join(home, xdg[i].fallback);
		if (!tmp)
			return NULL;
		dir = roger_path_join(tmp, "roger");
		free(tmp);
		return dir;
	}
	return NULL;
}
