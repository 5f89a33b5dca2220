/*
 * watchdog.c - kill the agent's tasks when the agent's process dies.
 *
 * The problem: roger local runs tasks as process groups of its own.  When
 * the server exits normally, roger_agent_free() kills them; but when it is
 * killed with SIGKILL, crashes, or is OOM-killed, nothing in the process
 * runs any more, and the tasks (and whatever they forked) would live on,
 * holding their ports, until the user hunts them down.
 *
 * The choice: a watchdog process, forked once by roger_agent_new(), that
 * holds one end of a SOCK_SEQPACKET socket pair.  The agent sends it "+pgid"
 * when a task's group is created and "-pgid" just before the group's leader
 * is reaped.  The agent's end is close-on-exec and held by nobody else, so
 * the kernel closes it when the agent's process dies, for any reason; the
 * watchdog then reads the messages still queued, sees end-of-file, and
 * sends SIGKILL to every group still recorded.  As a second signal it polls
 * getppid() every second, in case some stray fork still holds our end.
 * It lives in a session of its own, so that a signal sent to the server's
 * whole process group (`kill -9 -<pgid>`, a test runner cleaning up, the
 * terminal) does not take it down together with the server.
 *
 * Alternatives considered: PR_SET_PDEATHSIG on each task fires when the
 * *thread* that forked it exits, not the process, and only covers the
 * direct child, not what the task forks; PR_SET_CHILD_SUBREAPER would make
 * the whole server reap every orphan below it, stealing children from code
 * that waits for its own.  cgroups would be exact but need privileges or
 * systemd delegation that a laptop user does not have.  A process group per
 * task (each task is a session leader) catches `sh -c 'a & b'`.  A daemon
 * that a task starts with setsid() leaves the group, but it still carries
 * the MESOS_DIRECTORY=<sandbox> every task process inherits: after the
 * groups, the watchdog kills every process whose environment holds an
 * entry under this agent's directory, pass after pass until none is left.
 * Only a process that both leaves its session and scrubs its environment
 * escapes (it would escape Mesos' POSIX launcher too).
 *
 * Id reuse: the agent removes a group before it reaps the leader (it
 * observes the exit with WNOWAIT), so a recorded id always belongs to a
 * process the agent has not reaped, and cannot name somebody else's group.
 *
 * A watchdog killed on its own (by a user, the OOM killer) would leave the
 * tasks unprotected.  The agent keeps its own copy of the recorded groups,
 * notices the death (roger_watchdog_check(), called often, reaps it; a
 * failed send reaps it too) and forks a new watchdog that starts with
 * that copy in its memory, so no group is ever missing from it.
 *
 * The child is forked by roger_proc_fork() (proc.c) from a process that
 * may run many threads, so until it exits it makes only async-signal-safe
 * calls (recv, poll, kill, sigaction, getppid, open, read, close,
 * getdents64, nanosleep, _exit) and uses memory allocated before fork().
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "local/proc.h"
#include "local/watchdog.h"

struct watchdog_msg {
	int op; /* '+' or '-' */
	pid_t pgid;
};

#define SCRATCH_SIZE (256 * 1024)

/* Kill the recorded groups, then, pass after pass until a pass finds
 * none, the processes that carry the marker but left their group. */
static void kill_all(pid_t *groups, size_t n, const char *marker, char *scratch)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };

	for (size_t i = 0; i < n; i++)
		kill(-groups[i], SIGKILL);
	for (int pass = 0; pass < 50; pass++) {
		if (roger_proc_kill_env(marker, true, 0, scratch,
					SCRATCH_SIZE) == 0)
			break;
		nanosleep(&nap, NULL);
	}
}

/* What the watchdog process starts with (prepared before fork). */
struct watchdog_start {
	pid_t parent;
	pid_t *groups;
	size_t n;
	const char *marker;
	char *scratch;
};

/* The watchdog process (forked by roger_proc_fork(): a session of its
 * own, default signals, nothing open but /dev/null and `fd`). */
static void watchdog_main(void *data, int fd)
{
	static const int ignored[] = { SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
				       SIGPIPE, SIGUSR1, SIGUSR2, SIGTSTP,
				       SIGTTIN, SIGTTOU };
	const struct watchdog_start *ws = data;
	pid_t *groups = ws->groups;
	size_t n = ws->n;
	struct sigaction sa;
	struct watchdog_msg m;
	struct pollfd pfd;
	ssize_t r;

	/* No signal meant for the server should take the watchdog down
	 * with it: its session of its own keeps it out of `kill -9 -<pgid>`
	 * and of the terminal's ^C and hang-up, and it ignores the usual
	 * polite signals.  It acts on EOF. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		sigaction(ignored[i], &sa, NULL);
	prctl(PR_SET_NAME, (unsigned long)"roger-watchdog", 0, 0, 0);

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		int pr = poll(&pfd, 1, 1000);

		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0) {
			if (getppid() != ws->parent)
				break;
			continue;
		}
		r = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r != (ssize_t)sizeof(m))
			break; /* end of file: the agent is gone */
		if (m.op == '+' && n < ROGER_WATCHDOG_MAX_GROUPS) {
			groups[n++] = m.pgid;
		} else if (m.op == '-') {
			for (size_t i = 0; i < n; i++) {
				if (groups[i] == m.pgid) {
					groups[i] = groups[--n];
					break;
				}
			}
		}
	}
	/* Drain what is still queued: a record sent just before the agent
	 * died must still be honoured. */
	while (recv(fd, &m, sizeof(m), MSG_DONTWAIT) == (ssize_t)sizeof(m)) {
		if (m.op == '+' && n < ROGER_WATCHDOG_MAX_GROUPS)
			groups[n++] = m.pgid;
		else if (m.op == '-')
			for (size_t i = 0; i < n; i++)
				if (groups[i] == m.pgid) {
					groups[i] = groups[--n];
					break;
				}
	}
	kill_all(groups, n, ws->marker, ws->scratch);
	_exit(0);
}

/*
 * Fork a watchdog that starts out recording the groups of w->groups
 * (w->lock held, or before anyone else uses `w`); w->pid and w->fd are
 * set on success.
 */
static int spawn(struct roger_watchdog *w, struct roger_err *err)
{
	struct watchdog_start ws;
	struct roger_proc_child c;
	int sv[2] = { -1, -1 };
	int rc = 0;
	pid_t pid;

	memset(&ws, 0, sizeof(ws));
	ws.parent = getpid();
	ws.groups = calloc(ROGER_WATCHDOG_MAX_GROUPS, sizeof(*ws.groups));
	ws.scratch = malloc(SCRATCH_SIZE);
	if (!ws.groups || !ws.scratch) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(ws.groups, w->groups, w->n_groups * sizeof(*ws.groups));
	ws.n = w->n_groups;
	ws.marker = w->marker;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = roger_err_set(err, ROGER_ERROR,
				   "cannot create the watchdog socket: %s",
				   strerror(errno));
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.what = "the watchdog";
	c.std[0] = c.std[1] = c.std[2] = -1;
	c.keep = sv[1];
	c.run = watchdog_main;
	c.data = &ws;
	if ((rc = roger_proc_fork(&pid, NULL, &c, err)) < 0)
		goto out;
	w->pid = pid;
	w->fd = sv[0];
	sv[0] = -1;
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	free(ws.groups);
	free(ws.scratch);
	return rc;
}

int roger_watchdog_start(struct roger_watchdog *w, const char *marker,
			 struct roger_err *err)
{
	struct sigaction old;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	w->pid = -1;
	w->fd = -1;
	pthread_mutex_init(&w->lock, NULL);
	if (sigaction(SIGCHLD, NULL, &old) == 0 && old.sa_handler == SIG_IGN) {
		rc = roger_err_set(
			err, ROGER_ERROR,
			"cannot supervise tasks: SIGCHLD is ignored by this process");
		goto out;
	}
	w->groups = calloc(ROGER_WATCHDOG_MAX_GROUPS, sizeof(*w->groups));
	w->marker = strdup(marker);
	if (!w->groups || !w->marker) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	rc = spawn(w, err);
out:
	if (rc < 0) {
		free(w->groups);
		free(w->marker);
		w->groups = NULL;
		w->marker = NULL;
		pthread_mutex_destroy(&w->lock);
	}
	return rc;
}

/* Whether the watchdog process has died (it is reaped then); lock held. */
static bool reap_dead(struct roger_watchdog *w)
{
	pid_t r;

	if (w->pid <= 0)
		return false;
	do
		r = waitpid(w->pid, NULL, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r != w->pid)
		return false;
	w->pid = -1;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	return true;
}

/* After reap_dead(): a new watchdog over the same groups; lock held. */
static int respawn(struct roger_watchdog *w, struct roger_err *err)
{
	int rc = spawn(w, err);

	if (rc == 0)
		w->restarts++;
	return rc;
}

int roger_watchdog_check(struct roger_watchdog *w, struct roger_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	if (!w->stopped && (w->pid <= 0 || reap_dead(w))) {
		rc = respawn(w, err);
		if (rc == 0)
			rc = 1;
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

pid_t roger_watchdog_pid(struct roger_watchdog *w)
{
	pid_t pid;

	pthread_mutex_lock(&w->lock);
	pid = w->pid;
	pthread_mutex_unlock(&w->lock);
	return pid;
}

unsigned roger_watchdog_restarts(struct roger_watchdog *w)
{
	unsigned n;

	pthread_mutex_lock(&w->lock);
	n = w->restarts;
	pthread_mutex_unlock(&w->lock);
	return n;
}

static int send_msg(struct roger_watchdog *w, int op, pid_t pgid)
{
	struct watchdog_msg m;
	ssize_t r;

	memset(&m, 0, sizeof(m));
	m.op = op;
	m.pgid = pgid;
	do
		r = send(w->fd, &m, sizeof(m), MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)sizeof(m) ? 0 : -1;
}

int roger_watchdog_add(struct roger_watchdog *w, pid_t pgid,
		       struct roger_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	if (w->n_groups >= ROGER_WATCHDOG_MAX_GROUPS) {
		rc = roger_err_set(err, ROGER_ERROR,
				   "too many tasks: at most %d may run at once",
				   ROGER_WATCHDOG_MAX_GROUPS);
		goto out;
	}
	/* A dead watchdog is replaced here too, before a task depends on it. */
	if (!w->stopped && (w->pid <= 0 || reap_dead(w)) &&
	    (rc = respawn(w, err)) < 0)
		goto out;
	if (w->fd < 0) {
		rc = roger_err_set(err, ROGER_ERROR,
				   "the task watchdog is not running");
	} else if (send_msg(w, '+', pgid) < 0) {
		rc = roger_err_set(err, ROGER_ERROR,
				   "cannot reach the task watchdog: %s",
				   strerror(errno));
		/* Died just now? The next check replaces it. */
		reap_dead(w);
	} else {
		w->groups[w->n_groups++] = pgid;
	}
out:
	pthread_mutex_unlock(&w->lock);
	return rc;
}

void roger_watchdog_remove(struct roger_watchdog *w, pid_t pgid)
{
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->n_groups; i++) {
		if (w->groups[i] == pgid) {
			w->groups[i] = w->groups[--w->n_groups];
			break;
		}
	}
	if (w->fd >= 0)
		send_msg(w, '-', pgid);
	pthread_mutex_unlock(&w->lock);
}

void roger_watchdog_stop(struct roger_watchdog *w)
{
	pid_t pid;

	pthread_mutex_lock(&w->lock);
	w->stopped = true;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	pid = w->pid;
	w->pid = -1;
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_destroy(&w->lock);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	free(w->groups);
	free(w->marker);
	w->groups = NULL;
	w->marker = NULL;
}
