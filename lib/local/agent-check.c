/*
 * agent-check.c - a COMMAND health check of a task, run as the Mesos
 * command executor runs it: `sh -c <command>` in the task's sandbox with
 * the task's whole environment.
 *
 * The check is a process of the task's: it must not outlive it, nor the
 * server.  It is forked through roger_proc_fork() like the task itself (a
 * session of its own, nothing of the server's open, default signals) and
 * its process group is recorded by the agent's watchdog before it runs,
 * so a server that dies takes it along.  While it runs, the thread that
 * waits for it also watches the task: once the task ends or is being
 * killed, or the server stops, the check's whole group is killed and gives
 * no result (a check of a task that is going says nothing about it); the
 * same happens at the check's timeout, which is a failure.  What a finished check leaves
 * behind in its group is killed too.  As for tasks, the group is removed
 * from the watchdog after its leader's exit is seen (WNOWAIT) and before
 * the leader is reaped, so the recorded id cannot have been reused.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "util.h"
#include "local/agent-int.h"
#include "local/agent.h"
#include "local/proc.h"

#define POLL_US 20000

struct check_exec {
	char *argv[4];
	char **envp;
};

/* The check's child: the shell. */
static void exec_check(void *data, int keep)
{
	struct check_exec *x = data;

	(void)keep;
	roger_proc_exec("/bin/sh", x->argv, x->envp);
}

/* The run of `task_id`, if it is neither over nor being killed (lock held). */
static struct roger_agent_run *live_run(struct roger_agent *a,
					const char *task_id)
{
	for (struct roger_agent_run *r = a->runs; r; r = r->next)
		if (!strcmp(r->task_id, task_id))
			return roger_agent_run_over(r) || r->kill_requested
				       ? NULL
				       : r;
	return NULL;
}

static bool task_going(struct roger_agent *a, const char *task_id)
{
	bool going;

	pthread_mutex_lock(&a->lock);
	going = live_run(a, task_id) == NULL;
	pthread_mutex_unlock(&a->lock);
	return going;
}

/* Whether `pid` has exited (not reaped: WNOWAIT); `si` gets how. */
static bool exited(pid_t pid, siginfo_t *si, bool wait)
{
	int r;

	do {
		memset(si, 0, sizeof(*si));
		r = waitid(P_PID, (id_t)pid, si,
			   WEXITED | WNOWAIT | (wait ? 0 : WNOHANG));
	} while (r < 0 && errno == EINTR);
	return r == 0 && si->si_pid == pid;
}

int roger_agent_check_command(struct roger_agent *a, const char *task_id,
			      const char *command, int timeout_s,
			      bool (*stop)(void *data), void *data,
			      char *cause, size_t size)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_proc_child c;
	struct check_exec x;
	char *sandbox = NULL;
	int64_t deadline;
	bool going = false, timed_out = false;
	siginfo_t si;
	pid_t pid;
	int rc;

	memset(&x, 0, sizeof(x));
	rc = task_going(a, task_id) ? ROGER_ENOTFOUND
				    : roger_agent_task_env(&x.envp, a, task_id);
	if (rc == 0 && !(sandbox = roger_agent_sandbox(a, task_id)))
		rc = ROGER_ENOMEM;
	if (rc < 0) {
		snprintf(cause, size, "%s", rc == ROGER_ENOTFOUND
						    ? "the task is not running"
						    : "out of memory");
		rc = -1;
		goto out;
	}
	x.argv[0] = (char *)"sh";
	x.argv[1] = (char *)"-c";
	x.argv[2] = (char *)command;
	memset(&c, 0, sizeof(c));
	c.what = "a health check";
	c.std[0] = c.std[1] = c.std[2] = -1;
	c.keep = -1;
	c.cwd = sandbox;
	c.watchdog = &a->watchdog;
	c.run = exec_check;
	c.data = &x;
	if (roger_proc_fork(&pid, NULL, &c, &err) < 0) {
		/* The server's shortage (or its watchdog's), not the task's. */
		snprintf(cause, size, "%s", err.msg);
		rc = -1;
		goto out;
	}
	deadline = roger_clock_ms(CLOCK_MONOTONIC) + (int64_t)timeout_s * 1000;
	while (!exited(pid, &si, false)) {
		if (task_going(a, task_id) || (stop && stop(data))) {
			going = true;
			break;
		}
		if (roger_clock_ms(CLOCK_MONOTONIC) > deadline) {
			timed_out = true;
			break;
		}
		usleep(POLL_US);
	}
	/* The check's group goes: the leader if it still runs, and what a
	 * finished one left behind. */
	kill(-pid, SIGKILL);
	exited(pid, &si, true);
	roger_watchdog_remove(&a->watchdog, pid);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (going) {
		snprintf(cause, size, "the task is not running or the server stops");
		rc = -1;
	} else if (timed_out) {
		snprintf(cause, size, "command timed out after %d seconds",
			 timeout_s);
		rc = 0;
	} else if (si.si_code == CLD_EXITED && si.si_status == 0) {
		rc = 1;
	} else if (si.si_code == CLD_EXITED) {
		snprintf(cause, size, "command exited with status %d",
			 si.si_status);
		rc = 0;
	} else {
		snprintf(cause, size, "command failed");
		rc = 0;
	}
out:
	free(sandbox);
	if (x.envp)
		for (char **e = x.envp; *e; e++)
			free(*e);
	free(x.envp);
	return rc;
}
