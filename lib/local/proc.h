/*
 * proc.h - starting a task's process from a multi-threaded process
 * (internal to the agent; see proc.c).
 */
#ifndef ROGER_LOCAL_PROC_H
#define ROGER_LOCAL_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct roger_err;
struct roger_watchdog;

struct roger_proc_spec {
	const char *path;  /* what execve() runs */
	char *const *argv; /* NULL-terminated */
	char *const *envp; /* NULL-terminated, the whole environment */
	const char *cwd;   /* the working directory */
	int out_fd;        /* becomes the task's stdout */
	int err_fd;        /* becomes the task's stderr */
	/* With has_in, in_fd becomes stdin; else stdin is /dev/null. */
	bool has_in;
	int in_fd;
	/* Make stdin, a terminal, the controlling terminal of the new
	 * session (a pseudo-terminal's slave side). */
	bool ctty;
	/*
	 * Called in the parent once the child exists and is recorded by the
	 * watchdog, before it may exec (to log "Forked command at <pid>").
	 */
	void (*forked)(void *data, pid_t pid);
	void *data;
};

/*
 * Start `s` as the leader of a new session (so its process group id is its
 * pid), recorded by the watchdog before it can run anything.  On success
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
 * Close every file descriptor from `lo` up except `keep` (-1: none), with
 * descriptors below `max_fd` when close_range(2) is missing.  Only makes
 * async-signal-safe calls: usable between fork and exec.
 */
void roger_proc_close_from(int lo, int keep, int max_fd);

/* The RLIMIT_NOFILE soft limit, capped at 65536: the `max_fd` above. */
int roger_proc_max_fd(void);

/*
 * Raise this process's soft RLIMIT_NOFILE to its hard limit (at most
 * 2^20) and remember the old value for roger_proc_restore_nofile().
 * Call it once, before starting threads.  Returns the soft limit now in
 * force (-1 when it cannot be read); `*before` (may be NULL) gets the old
 * one, -1 for unlimited.
 */
long roger_proc_raise_nofile(long *before);

/* In a child about to exec: put back the soft limit of open files the
 * process had before roger_proc_raise_nofile() (a plain setrlimit(2),
 * async-signal-safe in practice). */
void roger_proc_restore_nofile(void);

#endif
