/*
 * container.h - running a task's process inside an image, as the Mesos
 * containerizer does, without a daemon (internal to roger local's agent;
 * see container.c for the design).
 *
 * The decisions about what runs (Entrypoint/Cmd against cmd/args, the
 * environment, the working directory, the user) are pure functions here,
 * tested without any process; roger_container_spawn() does the rest: a
 * mount namespace with a copy-on-write root of its own over the image, a
 * PID namespace whose end takes every process of the container with it,
 * and a user namespace when the server is not root.
 */
#ifndef ROGER_LOCAL_CONTAINER_H
#define ROGER_LOCAL_CONTAINER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct roger_err;
struct roger_image_use;
struct roger_proc_spec;
struct roger_watchdog;

/* Where the task's sandbox appears inside (Mesos' --sandbox_directory). */
#define ROGER_CONTAINER_SANDBOX "/mnt/mesos/sandbox"
/* PATH when neither the image nor the app sets one. */
#define ROGER_CONTAINER_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * The process a task runs in its image (MESOS-CONTAINERS.md section 2,
 * the UCR table): with `cmd`, /bin/sh -c cmd whatever the image says;
 * with `args` (NULL-terminated, `cmd` NULL), the image Entrypoint followed
 * by args, or, with no Entrypoint, Cmd[0] followed by args; with neither,
 * Entrypoint then Cmd.  *out is a new NULL-terminated vector.
 * ROGER_EINVALID with Mesos' message ("No executable is found") when
 * nothing is left to run.
 */
int roger_container_argv(char ***out, const char *cmd, const char *const *args,
			 const struct roger_image_use *img,
			 struct roger_err *err);

/*
 * The environment of the process: the image Env, overridden by the
 * task's own variables (`task_env`, NULL-terminated "NAME=value"), as
 * Mesos' executor orders them; PATH from ROGER_CONTAINER_PATH when neither
 * has one.  *out is a new NULL-terminated vector.
 */
int roger_container_env(char ***out, char *const *task_env,
			const struct roger_image_use *img);

/*
 * The candidates execve() should try for argv0 inside the root, in
 * order, as execvp() would search `path` (the container's PATH): argv0
 * itself when it holds a '/' (relative to the working directory `cwd`).
 * New NULL-terminated vector.
 */
int roger_container_exec_paths(char ***out, const char *argv0, const char *path,
			       const char *cwd);

/*
 * Resolve the image's User ("", "name", "uid", "name:group", "uid:gid")
 * against the image's /etc/passwd and /etc/group (read beneath `rootfs`,
 * never through a link out of it).  "" is root.  ROGER_EINVALID, as
 * Docker words it ("unable to find user NAME: no matching entries in
 * passwd file"), when a name is not there.
 */
int roger_container_user(uid_t *uid, gid_t *gid, const char *rootfs,
			 const char *user, struct roger_err *err);

/* Whether this process can run containers; when not, why (in `why`). */
bool roger_container_possible(char *why, size_t size);

struct roger_container;

struct roger_container_opts {
	const char *dir; /* its own directory, created (upper, work, root) */
	const char *image; /* the image's root filesystem (read-only) */
	const char *sandbox; /* the task's sandbox on the host */
	const char *cwd; /* the working directory inside (absolute) */
	uid_t uid; /* who runs inside */
	gid_t gid;
	bool copy; /* a copy of the image, not an overlay */
};

/*
 * Prepare a container: its directory and, with `copy`, a copy of the
 * image (for file systems where overlayfs cannot be mounted).  Nothing
 * runs yet.
 */
int roger_container_new(struct roger_container **out,
			const struct roger_container_opts *o,
			struct roger_err *err);

/*
 * Start `s` (path is ignored: `paths` are tried in order, see
 * roger_container_exec_paths) as the container's command.  Like
 * roger_proc_spawn(): `*out` is the pid to wait for and to signal as a
 * process group (the container's init, PID 1 inside), recorded by the
 * watchdog before anything runs; *exec_errno the exec's failure.  When the
 * overlay mount fails, ROGER_ENOTSUP-like failure is *overlay_failed (and
 * nothing is left running): prepare a copy and try again.  Other set-up
 * failures are ROGER_ERROR with what failed; no process is left.
 */
int roger_container_spawn(pid_t *out, int *exec_errno, bool *overlay_failed,
			  struct roger_container *c,
			  const struct roger_proc_spec *s, char *const *paths,
			  struct roger_watchdog *w, struct roger_err *err);

/*
 * After the init exited: how the task's command ended, as waitid()
 * reports it, into *si (unchanged when the init died before knowing).
 */
void roger_container_status(const struct roger_container *c, siginfo_t *si);

/* Who runs inside: the image's user, and whether a user namespace maps
 * the server's user to it (then the process that joins is that user). */
void roger_container_user_of(const struct roger_container *c, bool *userns,
			     uid_t *uid, gid_t *gid);

/* Remove its directory (once no process runs in it) and free.  NULL ok. */
void roger_container_free(struct roger_container *c);

#endif
