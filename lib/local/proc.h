/*
 * proc.h - forking from roger local's multi-threaded server: the one way
 * every fork() of lib/local goes (internal; see proc.c), and the process
 * helpers of the agent and the watchdog.
 */
#ifndef ROGER_LOCAL_PROC_H
#define ROGER_LOCAL_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct roger_err;
struct roger_watchdog;

/*
 * A child to fork with roger_proc_fork().  In the child, before `run`:
 * a new session (its pid is its process group id), every signal at its
 * default disposition and none blocked, `std` as its descriptors 0, 1 and
 * 2, every other descriptor closed but `keep` (whether or not it was
 * close-on-exec), `cwd` as its directory, and the limit of open files the
 * process had before roger_proc_raise_nofile().
 */
struct roger_proc_child {
	const char *what; /* for messages: "the task's process" */
	int std[3]; /* the child's stdin, stdout, stderr; -1: /dev/null */
	int keep; /* one more descriptor it keeps, -1: none */
	const char *cwd; /* its working directory; NULL: this one */
	/*
	 * Not NULL: its process group is recorded by this watchdog before
	 * it runs anything, so it dies with the server however the server
	 * dies; the caller tells the watchdog (roger_watchdog_remove())
	 * before it reaps the child.
	 */
	struct roger_watchdog *watchdog;
	/* Called in the parent once the child exists (and is recorded),
	 * before it runs. */
	void (*forked)(void *data, pid_t pid);
	/*
	 * What the child runs, given `data` and its number for `keep` (-1:
	 * none).  Until it execs it may only make async-signal-safe calls
	 * (the other threads' locks stay locked in the child) and use memory
	 * prepared beforehand; it must not return: it ends in
	 * roger_proc_exec() or _exit().
	 */
	void (*run)(void *data, int keep);
	void *data;
};

/*
 * Fork the child `c` describes.  On success `*out` is its pid, which the
 * caller must reap.  With `exec_errno` not NULL, this waits until the
 * child called roger_proc_exec(): `*exec_errno` is 0 when the exec worked,
 * else the errno of what failed (entering `cwd`, the exec; the child then
 * exits with status 127).  On failure (no descriptors, no process, a
 * watchdog that cannot record it) no child is left behind.
 */
int roger_proc_fork(pid_t *out, int *exec_errno,
		    const struct roger_proc_child *c, struct roger_err *err);

/* In a child of roger_proc_fork(): execve(), or report its errno to the
 * parent and exit with status 127. */
void roger_proc_exec(const char *path, char *const argv[], char *const envp[])
	__attribute__((noreturn));

/* In a child of roger_proc_fork(): report errno (what just failed) to the
 * parent as roger_proc_exec() does, and exit with status 127. */
void roger_proc_fail(void) __attribute__((noreturn));

/*
 * In a child of roger_proc_fork() that forks again and waits, leaving the
 * exec to its own child: let go of the report, so that the parent learns
 * of the exec (or its failure) from the grandchild alone.
 */
void roger_proc_handoff(void);

/* A task's process, for roger_proc_spawn(). */
struct roger_proc_spec {
	const char *path; /* what execve() runs */
	char *const *argv; /* NULL-terminated */
	char *const *envp; /* NULL-terminated, the whole environment */
	const char *cwd; /* the working directory */
	int out_fd; /* becomes the task's stdout */
	int err_fd; /* becomes the task's stderr; stdin is /dev/null */
	/*
	 * Called in the parent once the child exists and is recorded by the
	 * watchdog, before it may exec (to log "Forked command at <pid>").
	 */
	void (*forked)(void *data, pid_t pid);
	void *data;
};

/*
 * Start `s` with roger_proc_fork(), recorded by the watchdog `w` before it
 * can run anything (roger_proc_fork()'s `forked` is `s->forked`).  On success
 * `*out` is the child's pid, which the caller must reap, and `*exec_errno`
 * is 0 when the exec succeeded or the errno of the failed exec (the child
 * then exits with status 127).  On failure no child is left behind.
 */
int roger_proc_spawn(pid_t *out, int *exec_errno,
		     const struct roger_proc_spec *s, struct roger_watchdog *w,
		     struct roger_err *err);

/*
 * After SIGKILL to process group `pgid`: wait until none of its members is
 * still alive (zombies waiting for their reaper do not count), at most
 * `timeout_ms`.  A killed process holds its sockets until it is gone.
 */
void roger_proc_wait_group(pid_t pgid, int timeout_ms);

/*
 * Send SIGKILL to every process whose environment holds `entry` (with
 * `prefix`: an entry starting with it), such as the MESOS_DIRECTORY=<sandbox>
 * that every process of a task inherits: this reaches what a task started
 * in a session of its own, out of its process group.  With `since` > 0,
 * only processes started at or after that time (roger_proc_start_time())
 * are looked at, which spares reading the environment of every process
 * on the machine.  `buf` (`size` bytes, at least 8 KiB) is scratch space.
 * Only async-signal-safe calls, for the watchdog.  Returns how many
 * processes were signalled.
 */
int roger_proc_kill_env(const char *entry, bool prefix,
			unsigned long long since, char *buf, size_t size);

/*
 * What execve() should run for program `file` in an environment whose PATH
 * is taken from `env`: `file` itself when it holds a '/', else the first
 * executable regular file of that name in PATH's directories, relative
 * ones (and empty entries) taken from `dir`; `file` when none is found, so
 * that the exec fails with ENOENT.  As execvp() does, but computed before
 * fork(): execvp is not async-signal-safe.  New string, NULL when out of
 * memory.
 */
char *roger_proc_find_program(const char *file, char *const *env,
			      const char *dir);

/* When process `pid` started, in clock ticks after boot; 0 if unknown. */
unsigned long long roger_proc_start_time(pid_t pid);

/*
 * Close every file descriptor from `lo` up except `keep` (-1: none), one
 * by one below `max_fd` where close_range(2) is missing.  Only makes
 * async-signal-safe calls: for a child that cannot go through
 * roger_proc_fork() (the container's clone() with new namespaces).
 */
void roger_proc_close_from(int lo, int keep, int max_fd);

/* The RLIMIT_NOFILE soft limit, capped at 65536: the descriptors a child
 * closes one by one where close_range(2) is missing. */
int roger_proc_max_fd(void);

/*
 * Raise this process's soft RLIMIT_NOFILE to its hard limit (at most
 * 2^20) and remember the old value for roger_proc_restore_nofile().
 * Only the first call remembers: a later one (a second server in the
 * same process) says the same `before`.  Returns the soft limit now in
 * force (-1 when it cannot be read); `*before` (may be NULL) gets the old
 * one, -1 for unlimited.
 */
long roger_proc_raise_nofile(long *before);

/* In a child about to exec: put back the soft limit of open files the
 * process had before roger_proc_raise_nofile() (a plain setrlimit(2),
 * async-signal-safe in practice). */
void roger_proc_restore_nofile(void);

#endif
