/*
 * proc.c - forking from a process full of threads: the one way every
 * fork() of roger local goes (tasks, health-check commands, the watchdog,
 * a server started in the background), and the process helpers of the
 * agent and the watchdog.
 *
 * After fork() in a multi-threaded process the child holds a copy of every
 * lock as it was at that instant, so until execve() it may only make
 * async-signal-safe calls: everything (argv, envp, the exec path, the
 * descriptors) is prepared by the parent beforehand.  roger_proc_fork()'s
 * child makes itself a session leader (its process group is its own, and
 * a signal to the server's group misses it), restores default signal
 * handling (the server may ignore SIGPIPE or block signals in its threads,
 * and a child must not inherit that), then waits on a "gate" pipe.  The
 * parent records the new process group with the watchdog, when there is
 * one, and only then opens the gate: if the server dies in between, the
 * gate reads end-of-file and the child exits without running anything, so
 * no task can exist unrecorded.  A second, close-on-exec pipe carries the
 * errno of a failed chdir() or execve() back; its closing without data
 * means the exec succeeded.
 *
 * Every descriptor the child does not need is closed before it runs
 * anything, whether or not its owner set close-on-exec (close_range(2), or
 * one close() per descriptor below the limit where it is missing): a child
 * must never hold the server's listening socket, a connection, a state file
 * being written or the watchdog's socket, not even until it execs.
 *
 * The server raises its own limit of open files (roger_proc_raise_nofile)
 * to serve many connections; a child gets the limit back that the server was
 * started with, as programs that still use select(2) expect.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "local/proc.h"
#include "local/watchdog.h"

/* The soft RLIMIT_NOFILE the process had before roger_proc_raise_nofile()
 * first raised it, restored in children; written once, by the first call.
 * (Two servers in one process: the second must not record the limit the
 * first one raised.) */
static struct rlimit task_nofile;
static bool task_nofile_set;
static pthread_mutex_t task_nofile_lock = PTHREAD_MUTEX_INITIALIZER;

long roger_proc_raise_nofile(long *before)
{
	struct rlimit rl;
	rlim_t want;

	pthread_mutex_lock(&task_nofile_lock);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		pthread_mutex_unlock(&task_nofile_lock);
		return -1;
	}
	if (task_nofile_set)
		rl.rlim_cur = task_nofile.rlim_cur;
	if (before)
		*before = rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
	if (!task_nofile_set) {
		task_nofile = rl;
		task_nofile_set = true;
	}
	/* An infinite hard limit is not a value the kernel takes for the
	 * soft one (it is capped by fs.nr_open): stop at a round 2^20. */
	want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1U << 20)
		       ? (1U << 20)
		       : rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	pthread_mutex_unlock(&task_nofile_lock);
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1U << 20)
		       ? (long)(1U << 20)
		       : (long)rl.rlim_cur;
}

void roger_proc_restore_nofile(void)
{
	if (task_nofile_set)
		setrlimit(RLIMIT_NOFILE, &task_nofile);
}

int roger_proc_max_fd(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > 65536)
		return 65536;
	return (int)rl.rlim_cur;
}

/* ---- forking ----------------------------------------------------------------- */

/* The write end of the pipe that reports a failed exec, in a child. */
static int child_report_fd = -1;

/* Close the descriptors from `lo` to `hi` (both included); only
 * async-signal-safe calls. */
static void close_span(unsigned lo, unsigned hi, int max_fd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
#endif
	for (unsigned fd = lo; fd <= hi && fd < (unsigned)max_fd; fd++)
		close((int)fd);
}

/* Close every descriptor from `lo` up but `a` and `b` (-1: none). */
static void close_all_but(int lo, int a, int b, int max_fd)
{
	int keep[2] = { a < b ? a : b, a < b ? b : a };
	unsigned from = (unsigned)lo;

	for (int i = 0; i < 2; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from)
			close_span(from, (unsigned)keep[i] - 1, max_fd);
		from = (unsigned)keep[i] + 1;
	}
	close_span(from, ~0U, max_fd);
}

void roger_proc_close_from(int lo, int keep, int max_fd)
{
	close_all_but(lo, keep, -1, max_fd);
}

/* Tell the parent why the child goes no further, and end it. */
static void child_fail(void) __attribute__((noreturn));
static void child_fail(void)
{
	int e = errno;
	ssize_t n;

	if (child_report_fd >= 0) {
		n = write(child_report_fd, &e, sizeof(e));
		(void)n;
	}
	_exit(127);
}

void roger_proc_exec(const char *path, char *const argv[], char *const envp[])
{
	execve(path, argv, envp);
	child_fail();
}

void roger_proc_fail(void)
{
	child_fail();
}

void roger_proc_handoff(void)
{
	if (child_report_fd >= 0)
		close(child_report_fd);
	child_report_fd = -1;
}

/* The descriptors of a child, all numbered 3 or above (so that dup2()
 * onto 0, 1 and 2 clobbers none of them), -1 where none. */
struct child_fds {
	int gate, gate_w, report, std[3], keep;
};

static void child(const struct roger_proc_child *c, const struct child_fds *f,
		  int max_fd) __attribute__((noreturn));
static void child(const struct roger_proc_child *c, const struct child_fds *f,
		  int max_fd)
{
	struct sigaction sa;
	sigset_t none;
	ssize_t n;
	char ch;

	child_report_fd = f->report;
	/* Our copy of the gate's write end would keep it open forever. */
	close(f->gate_w);
	setsid();
	/* The server may ignore SIGPIPE, catch SIGTERM or block signals in
	 * its threads; what it forks starts from the defaults. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Wait until the parent recorded us (end of file: it could not). */
	do
		n = read(f->gate, &ch, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(127);
	for (int i = 0; i < 3; i++)
		if (dup2(f->std[i], i) < 0)
			child_fail();
	if (c->cwd && chdir(c->cwd) < 0)
		child_fail();
	close_all_but(3, f->report, f->keep, max_fd);
	roger_proc_restore_nofile();
	c->run(c->data, f->keep);
	_exit(127);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A close-on-exec copy of `fd` numbered 3 or above into `*out`. */
static int high_fd(int *out, int fd)
{
	*out = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return *out < 0 ? -1 : 0;
}

int roger_proc_fork(pid_t *out, int *exec_errno,
		    const struct roger_proc_child *c, struct roger_err *err)
{
	int gate[2] = { -1, -1 }, rp[2] = { -1, -1 }, devnull = -1;
	struct child_fds f = { -1, -1, -1, { -1, -1, -1 }, -1 };
	int max_fd = roger_proc_max_fd(), rc = 0, e = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(gate, O_CLOEXEC) < 0 ||
	    (exec_errno && pipe2(rp, O_CLOEXEC) < 0))
		goto prepare;
	if ((c->std[0] < 0 || c->std[1] < 0 || c->std[2] < 0) &&
	    (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		goto prepare;
	f.gate_w = gate[1];
	if (high_fd(&f.gate, gate[0]) < 0 ||
	    (rp[1] >= 0 && high_fd(&f.report, rp[1]) < 0) ||
	    (c->keep >= 0 && high_fd(&f.keep, c->keep) < 0))
		goto prepare;
	for (int i = 0; i < 3; i++)
		if (high_fd(&f.std[i], c->std[i] >= 0 ? c->std[i] : devnull) <
		    0)
			goto prepare;
	pid = fork();
	if (pid < 0) {
		rc = roger_err_set(err, ROGER_ERROR, "cannot fork %s: %s",
				   c->what, strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(c, &f, max_fd);

	close_fd(&f.gate);
	close_fd(&f.report);
	close_fd(&rp[1]);
	if (c->watchdog &&
	    (rc = roger_watchdog_add(c->watchdog, pid, err)) < 0) {
		/* The closed gate makes the child exit before it runs. */
		close_fd(&gate[1]);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	if (c->forked)
		c->forked(c->data, pid);
	do
		n = write(gate[1], "x", 1);
	while (n < 0 && errno == EINTR);
	close_fd(&gate[1]);
	if (exec_errno) {
		do
			n = read(rp[0], &e, sizeof(e));
		while (n < 0 && errno == EINTR);
		*exec_errno = n == (ssize_t)sizeof(e) ? e : 0;
	}
	*out = pid;
	goto out;
prepare:
	rc = roger_err_set(err, ROGER_ERROR, "cannot prepare %s: %s", c->what,
			   strerror(errno));
out:
	close_fd(&gate[0]);
	close_fd(&gate[1]);
	close_fd(&rp[0]);
	close_fd(&rp[1]);
	close_fd(&devnull);
	close_fd(&f.gate);
	close_fd(&f.report);
	close_fd(&f.keep);
	for (int i = 0; i < 3; i++)
		close_fd(&f.std[i]);
	return rc;
}

/* roger_proc_spawn()'s child: exec the task. */
static void exec_task(void *data, int keep)
{
	const struct roger_proc_spec *s = data;

	(void)keep;
	roger_proc_exec(s->path, s->argv, s->envp);
}

/* roger_proc_spawn()'s forked callback, passed on. */
static void task_forked(void *data, pid_t pid)
{
	const struct roger_proc_spec *s = data;

	if (s->forked)
		s->forked(s->data, pid);
}

int roger_proc_spawn(pid_t *out, int *exec_errno,
		     const struct roger_proc_spec *s, struct roger_watchdog *w,
		     struct roger_err *err)
{
	struct roger_proc_child c;

	memset(&c, 0, sizeof(c));
	c.what = "the task's process";
	c.std[0] = -1;
	c.std[1] = s->out_fd;
	c.std[2] = s->err_fd;
	c.keep = -1;
	c.cwd = s->cwd;
	c.watchdog = w;
	c.forked = task_forked;
	c.run = exec_task;
	c.data = (void *)s;
	return roger_proc_fork(out, exec_errno, &c, err);
}

char *roger_proc_find_program(const char *file, char *const *env,
			      const char *dir)
{
	const char *path = "/usr/local/bin:/usr/bin:/bin", *p;
	struct stat st;

	if (strchr(file, '/'))
		return strdup(file);
	for (; env && *env; env++)
		if (!strncmp(*env, "PATH=", 5))
			path = *env + 5;
	for (p = path;; p++) {
		size_t n = strcspn(p, ":");
		bool rel = n == 0 || p[0] != '/';
		char *cand = NULL;

		if (asprintf(&cand, "%s%s%.*s%s%s", rel ? dir : "",
			     rel ? "/" : "", (int)n, p, n ? "/" : "", file) < 0)
			return NULL;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += n;
		if (!*p)
			break;
	}
	return strdup(file);
}

/* Whether a process of group `pgid` is still alive (not a zombie). */
static bool group_alive(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool alive = false;

	if (!d)
		return kill(-pgid, 0) == 0;
	while (!alive && (e = readdir(d))) {
		char path[64], buf[512], state, *p;
		long pgrp;
		ssize_t n;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* "pid (comm) state ppid pgrp ...": comm may hold anything. */
		p = strrchr(buf, ')');
		if (p && sscanf(p + 1, " %c %*d %ld", &state, &pgrp) == 2 &&
		    pgrp == (long)pgid && state != 'Z' && state != 'X')
			alive = true;
	}
	closedir(d);
	return alive;
}

void roger_proc_wait_group(pid_t pgid, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 5) {
		if (kill(-pgid, 0) < 0 && errno == ESRCH)
			return;
		if (!group_alive(pgid))
			return;
		usleep(5000);
	}
}

/* ---- processes that left the group ------------------------------------------ */

/* The helpers below make only async-signal-safe calls (the watchdog runs
 * them in a child forked from a threaded process): no stdio, no malloc. */

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static bool env_matches(const char *env, size_t len, const char *entry,
			size_t elen, bool prefix)
{
	for (size_t i = 0; i < len;) {
		const char *e = env + i;
		size_t n = 0;

		while (i + n < len && e[n])
			n++;
		if (n >= elen && memcmp(e, entry, elen) == 0 &&
		    (prefix || n == elen))
			return true;
		i += n + 1;
	}
	return false;
}

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Field 22 of /proc/<pid>/stat, the start time in clock ticks after boot
 * (0 when unknown).  `path` ends in "/" and has room for "stat". */
static unsigned long long start_ticks(char *path, size_t p, char *buf,
				      size_t size)
{
	unsigned long long v = 0;
	const char *c = NULL;
	ssize_t n;
	int fd, field = 2;

	memcpy(path + p, "stat", 5);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after "pid (comm)", which may hold spaces and parentheses */
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == ')')
			c = buf + i + 1;
	if (!c)
		return 0;
	for (; *c && field < 22; c++)
		if (*c == ' ')
			field++;
	for (; *c >= '0' && *c <= '9'; c++)
		v = v * 10 + (unsigned long long)(*c - '0');
	return v;
}

unsigned long long roger_proc_start_time(pid_t pid)
{
	char path[48], buf[1024];
	int n = snprintf(path, sizeof(path), "/proc/%ld/", (long)pid);

	return n > 0 ? start_ticks(path, (size_t)n, buf, sizeof(buf)) : 0;
}

int roger_proc_kill_env(const char *entry, bool prefix,
			unsigned long long since, char *buf, size_t size)
{
	size_t elen = str_len(entry), dsize = size / 4;
	char *dents = buf, *env = buf + dsize;
	pid_t self = getpid();
	int dfd, killed = 0;
	long n;

	if (size < 8192)
		return 0;
	dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	while ((n = syscall(SYS_getdents64, dfd, dents, dsize)) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(dents + off);
			char path[48] = "/proc/";
			size_t p = 6;
			pid_t pid = 0;
			ssize_t got;
			int fd;

			off += d->d_reclen;
			if (d->d_name[0] < '1' || d->d_name[0] > '9')
				continue;
			for (const char *c = d->d_name; *c && p < 30; c++) {
				pid = pid * 10 + (*c - '0');
				path[p++] = *c;
			}
			path[p++] = '/';
			if (pid == self ||
			    (since &&
			     start_ticks(path, p, env, size - dsize) < since))
				continue;
			memcpy(path + p, "environ", 8);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			got = read(fd, env, size - dsize);
			close(fd);
			if (got > 0 &&
			    env_matches(env, (size_t)got, entry, elen,
					prefix) &&
			    kill(pid, SIGKILL) == 0)
				killed++;
		}
	}
	close(dfd);
	return killed;
}
