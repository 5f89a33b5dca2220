/*
 * container.c - a task's process inside its image, without a daemon.
 *
 * What runs and with what environment follows the Mesos containerizer
 * (MESOS-CONTAINERS.md sections 2 and 3); how it is isolated follows
 * bubblewrap's order of operations:
 *
 *   agent thread ── clone(CLONE_NEWNS | CLONE_NEWPID [| CLONE_NEWUSER])
 *        │            the child is PID 1 of a new PID namespace and the
 *        │            leader of a new session: the watchdog's group
 *        │            records it before it may do anything (the gate)
 *        └─ init ── [user namespace: setgroups deny, uid/gid maps: the
 *                   server's user becomes the image's user inside]
 *                 ── mounts made private, then the root: overlayfs with
 *                    the image as lower directory and upper/work of the
 *                    container's own (or a bind of a copy of the image)
 *                 ── into the root, each target opened beneath it with
 *                    openat2(RESOLVE_IN_ROOT), so no link of the image can
 *                    send a mount or a mkdir out of it: the sandbox at
 *                    /mnt/mesos/sandbox, /proc (of the new PID namespace),
 *                    a tmpfs /dev with null, zero, full, random, urandom
 *                    and tty bound from the host, devpts and shm,
 *                    /etc/hosts, /etc/resolv.conf and /etc/hostname bound
 *                    read-only from the host (host networking), the
 *                    working directory created if missing (as Docker does)
 *                 ── pivot_root into it, the old root detached
 *                 ── fork: the command (PID 2) with the image's user,
 *                    its stdio and working directory, then execve
 *                 └─ reap every process until the command ends, keep its
 *                    status for the agent, exit: the kernel then kills
 *                    whatever the command left in the namespace
 *
 * No process of a container can outlive it: killing the init (the
 * agent's SIGKILL to the group after the grace period, the watchdog's when
 * the server dies) ends the PID namespace.  SIGTERM to the group reaches
 * the command; the init, as PID 1 of its namespace, ignores it.  Mounts
 * live in the container's mount namespace only and vanish with it, so a
 * server killed with SIGKILL leaves no mount behind, only directories,
 * which the agent removes when it starts again.
 *
 * The child of clone() copies a process full of threads, so until it
 * execs it makes only async-signal-safe calls (system calls, no malloc,
 * no stdio), and not even fork() or setuid(), whose glibc versions take
 * locks or signal the threads the copy does not have: raw system calls
 * instead.  Every path, option string and map is prepared by the parent.
 * Failures travel back on a pipe as {stage, errno}; its closing without
 * data means the command was executed.  The command's exit status travels
 * in a shared anonymous page, since the init, being PID 1, cannot die of
 * the signal that killed the command.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "buf.h"
#include "err.h"
#include "fs.h"
#include "local/beneath.h"
#include "local/container.h"
#include "local/images.h"
#include "local/proc.h"
#include "local/watchdog.h"
#include "util.h"

/* ---- what runs ----------------------------------------------------------- */

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* Append `n` strings of `src` (NULL-terminated when n is SIZE_MAX). */
static int strv_append(char ***v, size_t *len, const char *const *src, size_t n)
{
	for (size_t i = 0; src && i < n && src[i]; i++) {
		char **p = realloc(*v, (*len + 2) * sizeof(**v));

		if (!p)
			return ROGER_ENOMEM;
		*v = p;
		if (!(p[*len] = strdup(src[i])))
			return ROGER_ENOMEM;
		p[++*len] = NULL;
	}
	return 0;
}

int roger_container_argv(char ***out, const char *cmd, const char *const *args,
			 const struct roger_image_use *img,
			 struct roger_err *err)
{
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;
	int rc = 0;

	if (!v)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (cmd) {
		const char *const sh[] = { "/bin/sh", "-c", cmd, NULL };

		rc = strv_append(&v, &n, sh, SIZE_MAX);
	} else if (img->entrypoint && img->entrypoint[0]) {
		rc = strv_append(&v, &n, (const char *const *)img->entrypoint,
				 SIZE_MAX);
		if (rc == 0 && args && args[0])
			rc = strv_append(&v, &n, args, SIZE_MAX);
		else if (rc == 0)
			rc = strv_append(&v, &n, (const char *const *)img->cmd,
					 SIZE_MAX);
	} else if (img->cmd && img->cmd[0]) {
		/* UCR keeps Cmd[0] and appends the args (Docker would
		 * replace the whole Cmd). */
		if (args && args[0]) {
			rc = strv_append(&v, &n, (const char *const *)img->cmd,
					 1);
			if (rc == 0)
				rc = strv_append(&v, &n, args, SIZE_MAX);
		} else {
			rc = strv_append(&v, &n, (const char *const *)img->cmd,
					 SIZE_MAX);
		}
	}
	if (rc < 0) {
		free_strv(v);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	if (n == 0 || !*v[0]) {
		free_strv(v);
		return roger_err_set(
			err, ROGER_EINVALID,
			"Failed to determine the launch command: No executable is found");
	}
	*out = v;
	return 0;
}

static bool env_named(const char *entry, const char *name, size_t len)
{
	return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

int roger_container_env(char ***out, char *const *task_env,
			const struct roger_image_use *img)
{
	char **v = calloc(1, sizeof(*v));
	bool path = false;
	size_t n = 0;

	if (!v)
		return ROGER_ENOMEM;
	for (char *const *e = img->env; e && *e; e++) {
		size_t len = strcspn(*e, "=");
		bool overridden = false;

		for (char *const *t = task_env; t && *t && !overridden; t++)
			overridden = env_named(*t, *e, len);
		if (!overridden &&
		    strv_append(&v, &n, (const char *const *)e, 1) < 0)
			goto fail;
	}
	if (strv_append(&v, &n, (const char *const *)task_env, SIZE_MAX) < 0)
		goto fail;
	for (size_t i = 0; i < n && !path; i++)
		path = env_named(v[i], "PATH", 4);
	if (!path) {
		const char *const p[] = { "PATH=" ROGER_CONTAINER_PATH, NULL };

		if (strv_append(&v, &n, p, 1) < 0)
			goto fail;
	}
	*out = v;
	return 0;
fail:
	free_strv(v);
	return ROGER_ENOMEM;
}

int roger_container_exec_paths(char ***out, const char *argv0, const char *path,
			       const char *cwd)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;
	int rc = 0;

	if (!v)
		return ROGER_ENOMEM;
	if (strchr(argv0, '/')) {
		if (argv0[0] == '/')
			rc = roger_buf_adds(&b, argv0);
		else
			rc = roger_buf_addf(&b, "%s/%s", cwd, argv0);
		if (rc == 0) {
			const char *const one[] = { b.buf, NULL };

			rc = strv_append(&v, &n, one, 1);
		}
	} else {
		for (const char *p = path ? path : ROGER_CONTAINER_PATH;
		     rc == 0;) {
			size_t len = strcspn(p, ":");

			roger_buf_reset(&b);
			if (len == 0 || p[0] != '/')
				rc = roger_buf_addf(&b, "%s/", cwd);
			if (rc == 0)
				rc = roger_buf_add(&b, p, len);
			if (rc == 0)
				rc = roger_buf_addf(&b, "%s%s", len ? "/" : "",
						    argv0);
			if (rc == 0) {
				const char *const one[] = { b.buf, NULL };

				rc = strv_append(&v, &n, one, 1);
			}
			p += len;
			if (!*p)
				break;
			p++;
		}
	}
	roger_buf_release(&b);
	if (rc < 0) {
		free_strv(v);
		return ROGER_ENOMEM;
	}
	*out = v;
	return 0;
}

/* ---- the image's users --------------------------------------------------- */

/* Open `path` (absolute inside the root) beneath the root, links resolved
 * inside it; -1 when it cannot be. */
static int open_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
}

/*
 * Find `name` (or the numeric id `id` when name is NULL) in the image's
 * passwd or group file: field 3 (the id) and, for passwd, field 4 (the
 * primary group).  1 found, 0 not, -1 when the file cannot be read.
 */
static int lookup_db(int root_fd, const char *file, const char *name,
		     unsigned long *id, unsigned long *gid)
{
	struct roger_buf text = ROGER_BUF_INIT;
	char buf[8192];
	int fd = open_in_root(root_fd, file, O_RDONLY), found = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0 && text.len < (1 << 22))
		roger_buf_add(&text, buf, (size_t)n);
	close(fd);
	for (char *line = text.buf; line && *line && !found;) {
		char *end = strchr(line, '\n'), *f[4] = { NULL };
		int nf = 0;

		if (end)
			*end = '\0';
		for (char *p = line; p && nf < 4; nf++) {
			f[nf] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (nf >= 3 && f[2] && *f[2]) {
			char *e;
			unsigned long v = strtoul(f[2], &e, 10);

			if (!*e && ((name && strcmp(f[0], name) == 0) ||
				    (!name && v == *id))) {
				*id = v;
				if (gid)
					*gid = nf >= 4 && f[3]
						       ? strtoul(f[3], NULL, 10)
						       : 0;
				found = 1;
			}
		}
		line = end ? end + 1 : NULL;
	}
	roger_buf_release(&text);
	return found;
}

static bool numeric(const char *s, unsigned long *out)
{
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !*end && !errno && *out < 0xfffffffful;
}

int roger_container_user(uid_t *uid, gid_t *gid, const char *rootfs,
			 const char *user, struct roger_err *err)
{
	char name[256], *colon;
	unsigned long u = 0, g = 0;
	int root_fd, rc = 0;

	*uid = 0;
	*gid = 0;
	if (!user || !*user)
		return 0;
	snprintf(name, sizeof(name), "%s", user);
	colon = strchr(name, ':');
	if (colon)
		*colon++ = '\0';
	root_fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return roger_err_set(err, ROGER_EIO, "cannot open '%s': %s",
				     rootfs, strerror(errno));
	if (numeric(name, &u)) {
		/* A uid of the passwd file gives its group; others group 0. */
		if (lookup_db(root_fd, "/etc/passwd", NULL, &u, &g) != 1)
			g = 0;
	} else if (lookup_db(root_fd, "/etc/passwd", name, &u, &g) != 1) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"unable to find user %s: no matching entries in passwd file",
			name);
		goto out;
	}
	if (colon && !numeric(colon, &g) &&
	    lookup_db(root_fd, "/etc/group", colon, &g, NULL) != 1)
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"unable to find group %s: no matching entries in group file",
			colon);
out:
	close(root_fd);
	if (rc == 0) {
		*uid = (uid_t)u;
		*gid = (gid_t)g;
	}
	return rc;
}

/* ---- the container ------------------------------------------------------- */

/* The command's status, written by the init for the agent. */
struct shared_status {
	int set;
	int code; /* CLD_EXITED, CLD_KILLED or CLD_DUMPED */
	int status; /* the exit status or the signal */
};

/* What fails in the child, sent back as {stage, errno}. */
enum stage {
	STAGE_MAPS = 1,
	STAGE_PRIVATE,
	STAGE_OVERLAY,
	STAGE_ROOT,
	STAGE_SANDBOX,
	STAGE_PROC,
	STAGE_DEV,
	STAGE_ETC,
	STAGE_WORKDIR,
	STAGE_PIVOT,
	STAGE_FORK,
	STAGE_USER,
	STAGE_EXEC,
};

static const char *const stage_names[] = {
	[STAGE_MAPS] = "cannot map the user into the user namespace",
	[STAGE_PRIVATE] = "cannot make the mounts private",
	[STAGE_OVERLAY] = "cannot mount the overlay root",
	[STAGE_ROOT] = "cannot mount the root",
	[STAGE_SANDBOX] =
		"cannot mount the sandbox at " ROGER_CONTAINER_SANDBOX,
	[STAGE_PROC] = "cannot mount /proc",
	[STAGE_DEV] = "cannot set up /dev",
	[STAGE_ETC] = "cannot mount /etc/hosts or /etc/resolv.conf",
	[STAGE_WORKDIR] = "cannot create the working directory",
	[STAGE_PIVOT] = "cannot change into the root",
	[STAGE_FORK] = "cannot fork the command",
	[STAGE_USER] = "cannot become the image's user",
	[STAGE_EXEC] = "cannot execute the command",
};

struct report {
	int stage;
	int err;
};

/* Host files bound read-only into the root (skipped when missing). */
static const char *const etc_files[] = { "/etc/hosts", "/etc/resolv.conf",
					 "/etc/hostname" };
/* Devices bound from the host into the container's /dev. */
static const char *const dev_nodes[] = { "null",   "zero",    "full",
					 "random", "urandom", "tty" };

struct roger_container {
	char *dir, *image, *sandbox, *cwd;
	char *upper, *work, *root; /* root: the mount point (overlay) or copy */
	char *overlay_opts;
	bool copy;
	bool userns;
	uid_t uid;
	gid_t gid;
	char uid_map[64], gid_map[64];
	/* Every prefix of the paths made inside ("mnt", "mnt/mesos", ...),
	 * for mkdir one component at a time. */
	char **sandbox_parts, **cwd_parts;
	struct shared_status *shared;
};

/* The prefixes of an absolute path, without the leading '/': "a", "a/b". */
static char **path_prefixes(const char *abs)
{
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	for (const char *p = abs; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (!(len == 1 && p[0] == '.') &&
		    !(len == 2 && p[0] == '.' && p[1] == '.')) {
			char *pre = strndup(abs, (size_t)(p - abs) + len), **g;

			if (!pre || !(g = realloc(v, (n + 2) * sizeof(*v)))) {
				free(pre);
				free_strv(v);
				return NULL;
			}
			v = g;
			v[n++] = pre;
			v[n] = NULL;
		}
		p += len;
	}
	/* drop the leading '/' of each */
	for (size_t i = 0; i < n; i++)
		memmove(v[i], v[i] + strspn(v[i], "/"),
			strlen(v[i] + strspn(v[i], "/")) + 1);
	return v;
}

/* Copy the tree `src` into the empty directory `dst`: files, links and
 * directories with their modes (and owners when root); no devices. */
static int copy_tree(int src, int dst, int depth, struct roger_err *err);

static int copy_file(int src, int dst, const char *name, const struct stat *st,
		     struct roger_err *err)
{
	int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out = in < 0 ? -1
			 : openat(dst, name,
				  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					  O_CLOEXEC,
				  0600);
	int rc = 0;

	if (in < 0 || out < 0) {
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot copy '%s' of the image: %s", name,
				   strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		char buf[65536];

		if (n == 0)
			break;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
		    errno != EOPNOTSUPP) {
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot copy '%s' of the image: %s",
					   name, strerror(errno));
			goto out;
		}
		/* No copy_file_range here: read and write. */
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (roger_write_all(out, buf, (size_t)n) < 0)
				break;
		if (n != 0) {
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot copy '%s' of the image: %s",
					   name, strerror(errno));
			goto out;
		}
		break;
	}
	if (geteuid() == 0)
		(void)fchown(out, st->st_uid, st->st_gid);
	(void)fchmod(out, st->st_mode & 07777);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

static int copy_entry(int src, int dst, const char *name, int depth,
		      struct roger_err *err)
{
	struct stat st;
	char target[PATH_MAX];
	ssize_t n;
	int s, d, rc;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return roger_err_set(err, ROGER_EIO,
				     "cannot copy '%s' of the image: %s", name,
				     strerror(errno));
	if (S_ISREG(st.st_mode))
		return copy_file(src, dst, name, &st, err);
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return roger_err_set(
				err, ROGER_EIO,
				"cannot copy '%s' of the image: %s", name,
				strerror(errno));
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return roger_err_set(
				err, ROGER_EIO,
				"cannot copy '%s' of the image: %s", name,
				strerror(errno));
		if (geteuid() == 0)
			(void)fchownat(dst, name, st.st_uid, st.st_gid,
				       AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0; /* the image store holds no devices */
	if (mkdirat(dst, name, 0700) < 0)
		return roger_err_set(err, ROGER_EIO,
				     "cannot copy '%s' of the image: %s", name,
				     strerror(errno));
	s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot copy '%s' of the image: %s", name,
				   strerror(errno));
	else
		rc = copy_tree(s, d, depth + 1, err);
	if (rc == 0 && geteuid() == 0)
		(void)fchown(d, st.st_uid, st.st_gid);
	if (rc == 0)
		(void)fchmod(d, (st.st_mode & 07777) |
					(geteuid() == 0 ? 0 : 0700));
	if (s >= 0)
		close(s);
	if (d >= 0)
		close(d);
	return rc;
}

static int copy_tree(int src, int dst, int depth, struct roger_err *err)
{
	struct dirent *de;
	DIR *dir;
	int fd, rc = 0;

	if (depth > 4 * ROGER_BENEATH_MAX_DEPTH)
		return roger_err_set(err, ROGER_EINVALID,
				     "the image is too deep to copy");
	fd = fcntl(src, F_DUPFD_CLOEXEC, 0);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return roger_err_set(err, ROGER_EIO,
				     "cannot read the image: %s",
				     strerror(errno));
	}
	while (rc == 0 && (de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = copy_entry(src, dst, de->d_name, depth, err);
	closedir(dir);
	return rc;
}

void roger_container_user_of(const struct roger_container *c, bool *userns,
			     uid_t *uid, gid_t *gid)
{
	*userns = c->userns;
	*uid = c->uid;
	*gid = c->gid;
}

void roger_container_free(struct roger_container *c)
{
	if (!c)
		return;
	if (c->dir)
		(void)roger_beneath_remove(AT_FDCWD, c->dir);
	free(c->dir);
	free(c->image);
	free(c->sandbox);
	free(c->cwd);
	free(c->upper);
	free(c->work);
	free(c->root);
	free(c->overlay_opts);
	free_strv(c->sandbox_parts);
	free_strv(c->cwd_parts);
	if (c->shared)
		munmap(c->shared, sizeof(*c->shared));
	free(c);
}

/* Make the container's root: an empty mount point, or a copy. */
static int make_root(struct roger_container *c, struct roger_err *err)
{
	int src = -1, dst = -1, rc;

	if ((rc = roger_fs_mkdirs(c->root, 0755, err)) < 0)
		return rc;
	if (!c->copy)
		return 0;
	src = open(c->image, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dst = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src < 0 || dst < 0)
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot copy the image into '%s': %s",
				   c->root, strerror(errno));
	else
		rc = copy_tree(src, dst, 0, err);
	if (src >= 0)
		close(src);
	if (dst >= 0)
		close(dst);
	return rc;
}

int roger_container_new(struct roger_container **out,
			const struct roger_container_opts *o,
			struct roger_err *err)
{
	struct roger_container *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	c->copy = o->copy;
	c->uid = o->uid;
	c->gid = o->gid;
	c->userns = geteuid() != 0;
	c->dir = strdup(o->dir);
	c->image = strdup(o->image);
	c->sandbox = strdup(o->sandbox);
	c->cwd = strdup(o->cwd);
	c->upper = roger_path_join(o->dir, "upper");
	c->work = roger_path_join(o->dir, "work");
	c->root = roger_path_join(o->dir, "rootfs");
	c->sandbox_parts = path_prefixes(ROGER_CONTAINER_SANDBOX);
	c->cwd_parts = path_prefixes(o->cwd);
	c->shared = mmap(NULL, sizeof(*c->shared), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->shared == MAP_FAILED)
		c->shared = NULL;
	if (!c->dir || !c->image || !c->sandbox || !c->cwd || !c->upper ||
	    !c->work || !c->root || !c->sandbox_parts || !c->cwd_parts ||
	    !c->shared ||
	    asprintf(&c->overlay_opts, "lowerdir=%s,upperdir=%s,workdir=%s%s",
		     c->image, c->upper, c->work,
		     c->userns ? ",userxattr" : "") < 0) {
		c->overlay_opts = NULL;
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto fail;
	}
	if (strpbrk(c->image, ",:\\") || strpbrk(c->dir, ",:\\")) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"the state directory's path holds ',', ':' or '\\', which overlayfs options cannot carry");
		goto fail;
	}
	memset(c->shared, 0, sizeof(*c->shared));
	snprintf(c->uid_map, sizeof(c->uid_map), "%lu %lu 1\n",
		 (unsigned long)o->uid, (unsigned long)geteuid());
	snprintf(c->gid_map, sizeof(c->gid_map), "%lu %lu 1\n",
		 (unsigned long)o->gid, (unsigned long)getegid());
	if ((rc = roger_fs_mkdirs(c->dir, 0700, err)) < 0)
		goto fail;
	if (!c->copy && ((rc = roger_fs_mkdirs(c->upper, 0755, err)) < 0 ||
			 (rc = roger_fs_mkdirs(c->work, 0700, err)) < 0))
		goto fail;
	if ((rc = make_root(c, err)) < 0)
		goto fail;
	/* As root, a task of another user must still write its sandbox. */
	if (!c->userns && (o->uid || o->gid) &&
	    chown(c->sandbox, o->uid, o->gid) < 0) {
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot give the sandbox to uid %lu: %s",
				   (unsigned long)o->uid, strerror(errno));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	roger_container_free(c);
	return rc;
}

/* ---- in the child: async-signal-safe only -------------------------------- */

struct child_fds {
	int gate, gate_w, report, in, out, errout;
};

static void report_fail(int fd, int stage, int e) __attribute__((noreturn));
static void report_fail(int fd, int stage, int e)
{
	struct report r = { stage, e };
	ssize_t n = write(fd, &r, sizeof(r));

	(void)n;
	_exit(127);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (text[len])
		len++;
	n = write(fd, text, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* "/proc/self/fd/N" into buf (at least 32 bytes). */
static const char *fd_path(char *buf, int fd)
{
	static const char prefix[] = "/proc/self/fd/";
	char digits[12];
	int n = 0, i;

	memcpy(buf, prefix, sizeof(prefix));
	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) > 0);
	for (i = 0; i < n; i++)
		buf[sizeof(prefix) - 1 + i] = digits[n - 1 - i];
	buf[sizeof(prefix) - 1 + n] = '\0';
	return buf;
}

/* Create each prefix of `parts` beneath the root (links resolved inside
 * it) and open the last one as an O_PATH descriptor; -1 on failure. */
static int make_dirs(int root_fd, const char *const *parts)
{
	int fd = -1;

	for (size_t i = 0; parts[i]; i++) {
		if (fd >= 0)
			close(fd);
		fd = open_in_root(root_fd, parts[i], O_PATH | O_DIRECTORY);
		if (fd < 0 && errno == ENOENT) {
			const char *leaf = parts[i];
			int parent;

			for (const char *p = parts[i]; *p; p++)
				if (*p == '/')
					leaf = p + 1;
			parent = i ? open_in_root(root_fd, parts[i - 1],
						  O_PATH | O_DIRECTORY)
				   : fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
			if (parent < 0)
				return -1;
			if (mkdirat(parent, leaf, 0755) < 0 &&
			    errno != EEXIST) {
				close(parent);
				return -1;
			}
			close(parent);
			fd = open_in_root(root_fd, parts[i],
					  O_PATH | O_DIRECTORY);
		}
		if (fd < 0)
			return -1;
	}
	return fd >= 0 ? fd : fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
}

/* An empty file `name` in the directory `dir_fd` to mount over; -1 if it
 * cannot be (a link, a directory). */
static int mount_point_file(int dir_fd, const char *name)
{
	int fd = openat(
		dir_fd, name,
		O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);

	struct stat st;

	if (fd >= 0)
		close(fd);
	fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int bind_into(const char *src, int target_fd)
{
	char p[32];

	return mount(src, fd_path(p, target_fd), NULL, MS_BIND | MS_REC, NULL);
}

/* Make the mount at `path` (inside the root) read-only: opened afresh,
 * since a descriptor taken before the mount names what it covers. */
static int make_readonly(int root_fd, const char *path)
{
	char p[32];
	int fd = open_in_root(root_fd, path, O_PATH | O_NOFOLLOW), rc;

	if (fd < 0)
		return -1;
	rc = mount(NULL, fd_path(p, fd), NULL,
		   MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
		   NULL);
	close(fd);
	return rc;
}

static int setup_dev(int root_fd)
{
	static const char *const dev[] = { "dev", NULL };
	char p[32], hostdev[32] = "/dev/";
	int fd = make_dirs(root_fd, dev), d;

	if (fd < 0)
		return -1;
	if (mount("tmpfs", fd_path(p, fd), "tmpfs", MS_NOSUID | MS_STRICTATIME,
		  "mode=755,size=65536k") < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	/* The tmpfs now covers the directory: open it afresh. */
	d = open_in_root(root_fd, "dev", O_PATH | O_DIRECTORY);
	if (d < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		size_t n = 0;
		int t;

		while (dev_nodes[i][n]) {
			hostdev[5 + n] = dev_nodes[i][n];
			n++;
		}
		hostdev[5 + n] = '\0';
		t = mount_point_file(d, dev_nodes[i]);
		if (t < 0)
			continue;
		if (bind_into(hostdev, t) < 0 && i < 3) {
			close(t);
			close(d);
			return -1;
		}
		close(t);
	}
	(void)symlinkat("/proc/self/fd", d, "fd");
	(void)symlinkat("/proc/self/fd/0", d, "stdin");
	(void)symlinkat("/proc/self/fd/1", d, "stdout");
	(void)symlinkat("/proc/self/fd/2", d, "stderr");
	(void)symlinkat("pts/ptmx", d, "ptmx");
	if (mkdirat(d, "pts", 0755) == 0) {
		int t = openat(d, "pts",
			       O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (t >= 0) {
			(void)mount("devpts", fd_path(p, t), "devpts",
				    MS_NOSUID | MS_NOEXEC,
				    "newinstance,ptmxmode=0666,mode=620");
			close(t);
		}
	}
	if (mkdirat(d, "shm", 01777) == 0) {
		int t = openat(d, "shm",
			       O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (t >= 0) {
			(void)mount("shm", fd_path(p, t), "tmpfs",
				    MS_NOSUID | MS_NODEV,
				    "mode=1777,size=65536k");
			close(t);
		}
	}
	close(d);
	return 0;
}

static int setup_etc(int root_fd)
{
	static const char *const etc[] = { "etc", NULL };
	int d = make_dirs(root_fd, etc);

	if (d < 0)
		return -1;
	for (size_t i = 0; i < sizeof(etc_files) / sizeof(etc_files[0]); i++) {
		struct stat st;
		int t;

		if (stat(etc_files[i], &st) < 0)
			continue;
		t = mount_point_file(d, etc_files[i] + 5);
		if (t < 0)
			continue; /* the image has a link or a directory there
				   */
		if (bind_into(etc_files[i], t) < 0 ||
		    make_readonly(root_fd, etc_files[i]) < 0) {
			close(t);
			close(d);
			return -1;
		}
		close(t);
	}
	close(d);
	return 0;
}

/* The command, PID 2: its user, directory and stdio, then exec. */
static void command(const struct roger_container *c,
		    const struct roger_proc_spec *s, char *const *paths,
		    int report) __attribute__((noreturn));
static void command(const struct roger_container *c,
		    const struct roger_proc_spec *s, char *const *paths,
		    int report)
{
	int e = ENOENT;

	/* Raw system calls: glibc's setuid() would try to reach the
	 * threads of the process this one was copied from. */
	if (!c->userns && (c->uid || c->gid)) {
		if (syscall(SYS_setgroups, 0, NULL) < 0 ||
		    syscall(SYS_setgid, c->gid) < 0 ||
		    syscall(SYS_setuid, c->uid) < 0)
			report_fail(report, STAGE_USER, errno);
	}
	if (chdir(c->cwd) < 0)
		report_fail(report, STAGE_WORKDIR, errno);
	for (size_t i = 0; paths[i]; i++) {
		execve(paths[i], s->argv, s->envp);
		/* execvp's rules: keep looking past what is not there or
		 * not executable; anything else is the answer. */
		if (errno == EACCES)
			e = EACCES;
		else if (errno != ENOENT && errno != ENOTDIR) {
			e = errno;
			break;
		}
	}
	report_fail(report, STAGE_EXEC, e);
}

/* PID 1: reap everything until the command ends, then leave with it. */
static void init_wait(struct roger_container *c, pid_t cmd)
	__attribute__((noreturn));
static void init_wait(struct roger_container *c, pid_t cmd)
{
	for (;;) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED) < 0) {
			if (errno == EINTR)
				continue;
			_exit(127);
		}
		if (si.si_pid != cmd)
			continue;
		c->shared->code = si.si_code;
		c->shared->status = si.si_status;
		c->shared->set = 1;
		_exit(si.si_code == CLD_EXITED ? si.si_status & 0xff
					       : 128 + (si.si_status & 0x7f));
	}
}

static void child(struct roger_container *c, const struct roger_proc_spec *s,
		  char *const *paths, const struct child_fds *f, int max_fd)
	__attribute__((noreturn));
static void child(struct roger_container *c, const struct roger_proc_spec *s,
		  char *const *paths, const struct child_fds *f, int max_fd)
{
	struct sigaction sa;
	sigset_t none;
	char p[32];
	ssize_t n;
	pid_t pid;
	int root_fd, t;
	char ch;

	close(f->gate_w);
	setsid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	do
		n = read(f->gate, &ch, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127);
	if (dup2(f->in, 0) < 0 || dup2(f->out, 1) < 0 || dup2(f->errout, 2) < 0)
		report_fail(f->report, STAGE_FORK, errno);
	roger_proc_close_from(3, f->report, max_fd);

	if (c->userns && (write_file("/proc/self/setgroups", "deny") < 0 ||
			  write_file("/proc/self/uid_map", c->uid_map) < 0 ||
			  write_file("/proc/self/gid_map", c->gid_map) < 0))
		report_fail(f->report, STAGE_MAPS, errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		report_fail(f->report, STAGE_PRIVATE, errno);
	if (!c->copy) {
		if (mount("overlay", c->root, "overlay", 0, c->overlay_opts) <
		    0)
			report_fail(f->report, STAGE_OVERLAY, errno);
	} else if (mount(c->root, c->root, NULL, MS_BIND | MS_REC, NULL) < 0) {
		report_fail(f->report, STAGE_ROOT, errno);
	}
	root_fd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		report_fail(f->report, STAGE_ROOT, errno);
	t = make_dirs(root_fd, (const char *const *)c->sandbox_parts);
	if (t < 0 ||
	    mount(c->sandbox, fd_path(p, t), NULL, MS_BIND | MS_REC, NULL) < 0)
		report_fail(f->report, STAGE_SANDBOX, errno);
	close(t);
	{
		static const char *const proc[] = { "proc", NULL };

		t = make_dirs(root_fd, proc);
		if (t < 0 || mount("proc", fd_path(p, t), "proc",
				   MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			report_fail(f->report, STAGE_PROC, errno);
		close(t);
	}
	if (setup_dev(root_fd) < 0)
		report_fail(f->report, STAGE_DEV, errno);
	if (setup_etc(root_fd) < 0)
		report_fail(f->report, STAGE_ETC, errno);
	t = make_dirs(root_fd, (const char *const *)c->cwd_parts);
	if (t < 0)
		report_fail(f->report, STAGE_WORKDIR, errno);
	close(t);
	if (fchdir(root_fd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		report_fail(f->report, STAGE_PIVOT, errno);
	close(root_fd);
	/* Not fork(): its atfork handlers take locks (malloc's) that another
	 * thread of the server may have held when this process was cloned. */
	pid = (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, NULL, NULL,
			     NULL, NULL);
	if (pid < 0)
		report_fail(f->report, STAGE_FORK, errno);
	if (pid == 0)
		command(c, s, paths, f->report);
	close(f->report);
	close(0);
	close(1);
	close(2);
	init_wait(c, pid);
}

/* ---- spawning ------------------------------------------------------------ */

static int high_fd(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int clone_flags(const struct roger_container *c)
{
	return CLONE_NEWNS | CLONE_NEWPID | (c->userns ? CLONE_NEWUSER : 0) |
	       SIGCHLD;
}

static const char *isolation_hint(int e)
{
	if (geteuid() == 0)
		return "";
	if (e == EPERM || e == ENOSPC || e == EINVAL)
		return " (user namespaces are not available to this user: see /proc/sys/user/max_user_namespaces and kernel.unprivileged_userns_clone; or run roger local as root)";
	return "";
}

int roger_container_spawn(pid_t *out, int *exec_errno, bool *overlay_failed,
			  struct roger_container *c,
			  const struct roger_proc_spec *s, char *const *paths,
			  struct roger_watchdog *w, struct roger_err *err)
{
	int gate[2] = { -1, -1 }, ep[2] = { -1, -1 }, devnull = -1;
	struct child_fds f = { -1, -1, -1, -1, -1, -1 };
	int max_fd = roger_proc_max_fd(), rc = 0;
	struct report r;
	ssize_t n;
	pid_t pid;

	*overlay_failed = false;
	*exec_errno = 0;
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || pipe2(gate, O_CLOEXEC) < 0 ||
	    pipe2(ep, O_CLOEXEC) < 0) {
		rc = roger_err_set(err, ROGER_ERROR,
				   "cannot prepare the task's container: %s",
				   strerror(errno));
		goto out;
	}
	f.gate = high_fd(gate[0]);
	f.gate_w = gate[1];
	f.report = high_fd(ep[1]);
	f.in = high_fd(devnull);
	f.out = high_fd(s->out_fd);
	f.errout = high_fd(s->err_fd);
	if (f.gate < 0 || f.report < 0 || f.in < 0 || f.out < 0 ||
	    f.errout < 0) {
		rc = roger_err_set(err, ROGER_ERROR,
				   "cannot prepare the task's container: %s",
				   strerror(errno));
		goto out;
	}
	memset(c->shared, 0, sizeof(*c->shared));
	pid = (pid_t)syscall(SYS_clone, (unsigned long)clone_flags(c), NULL,
			     NULL, NULL, NULL);
	if (pid < 0) {
		int e = errno;

		rc = roger_err_set(err, ROGER_ERROR,
				   "cannot isolate the task: clone: %s%s",
				   strerror(e), isolation_hint(e));
		goto out;
	}
	if (pid == 0)
		child(c, s, paths, &f, max_fd);

	close_fd(&f.gate);
	close_fd(&f.report);
	close_fd(&ep[1]);
	if ((rc = roger_watchdog_add(w, pid, err)) < 0) {
		close_fd(&gate[1]);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	if (s->forked)
		s->forked(s->data, pid);
	do
		n = write(gate[1], "x", 1);
	while (n < 0 && errno == EINTR);
	close_fd(&gate[1]);
	do
		n = read(ep[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(r) && r.stage == STAGE_EXEC) {
		*exec_errno = r.err;
	} else if (n == (ssize_t)sizeof(r)) {
		const char *what = r.stage > 0 && r.stage <= STAGE_EXEC
					   ? stage_names[r.stage]
					   : "cannot set up the container";

		*overlay_failed = r.stage == STAGE_OVERLAY;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		roger_watchdog_remove(w, pid);
		rc = roger_err_set(err, ROGER_ERROR, "%s: %s", what,
				   strerror(r.err));
		goto out;
	}
	*out = pid;
out:
	close_fd(&gate[0]);
	close_fd(&gate[1]);
	close_fd(&ep[0]);
	close_fd(&ep[1]);
	close_fd(&devnull);
	close_fd(&f.gate);
	close_fd(&f.report);
	close_fd(&f.in);
	close_fd(&f.out);
	close_fd(&f.errout);
	return rc;
}

void roger_container_status(const struct roger_container *c, siginfo_t *si)
{
	if (!c->shared || !c->shared->set)
		return;
	si->si_code = c->shared->code;
	si->si_status = c->shared->status;
}

/*
 * Run in a child of new namespaces (`flags`) what a container's setup does
 * first: map the user (`map`, unless NULL) and make every mount private.
 * 0: it worked; else the errno of clone(2) (negative) or 1 (a step failed).
 */
static int probe_namespaces(unsigned long flags, const char *map)
{
	int status = 0;
	pid_t pid;

	pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL,
			     NULL);
	if (pid == 0) {
		if (map && (write_file("/proc/self/setgroups", "deny") < 0 ||
			    write_file("/proc/self/uid_map", map) < 0))
			_exit(1);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(1);
		_exit(0);
	}
	if (pid < 0)
		return -errno;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

bool roger_container_possible(char *why, size_t size)
{
	char map[64];
	int probe, rc;

	probe = open_in_root(AT_FDCWD, "/", O_PATH | O_DIRECTORY);
	if (probe >= 0)
		close(probe);
	else if (errno == ENOSYS) {
		snprintf(
			why, size,
			"this kernel lacks openat2(2), which roger local needs to set up a container's root safely (Linux 5.6 or later)");
		return false;
	}
	if (geteuid() == 0) {
		/* In a chroot / is no mount point: nothing can be private. */
		rc = probe_namespaces(CLONE_NEWNS | CLONE_NEWPID, NULL);
		if (rc < 0)
			snprintf(
				why, size,
				"roger local cannot create a mount namespace: %s",
				strerror(-rc));
		else if (rc > 0)
			snprintf(
				why, size,
				"the root directory is not a mount point (a chroot?), so a container's mounts cannot be kept from the host's: run roger local outside the chroot, or bind-mount the chroot's directory onto itself before entering it");
		return rc == 0;
	}
	snprintf(map, sizeof(map), "0 %lu 1\n", (unsigned long)geteuid());
	rc = probe_namespaces(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID, map);
	if (rc < 0)
		snprintf(
			why, size,
			"image apps need a user namespace of their own when roger local does not run as root, and this user cannot create one: %s%s",
			strerror(-rc), isolation_hint(-rc));
	else if (rc > 0)
		snprintf(
			why, size,
			"image apps need a user namespace of their own when roger local does not run as root, and this user cannot map itself or mount in one");
	return rc == 0;
}
