/*
 * agent-check.c - a COMMAND health check of a task, run as the Mesos
 * command executor runs it: `sh -c <command>` in the task's sandbox with
 * the task's whole environment; for an image task, inside its container
 * (its namespaces, root, user and environment), through the same spawn
 * as a session of `roger exec` (agent-exec.c).
 *
 * The check is a process of the task's: it must not outlive it, nor the
 * server.  It is forked through roger_proc_fork() like the task itself (a
 * session of its own, nothing of the server's open, default signals) and
 * its process group is recorded by the agent's watchdog before it runs,
 * so a server that dies takes it along.  While it runs, the thread that
 * waits for it also watches the task: once the task ends or is being
 * killed, or the server stops, the check's whole group is killed and gives
 * no result (a check of a task that is going says nothing about it); the
 * same happens at the check's timeout, which is a failure.  What a finished
 * check leaves behind in its group is killed too.  As for tasks, the group is
 * removed from the watchdog after its leader's exit is seen (WNOWAIT) and
 * before the leader is reaped, so the recorded id cannot have been reused.
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
			      bool (*stop)(void *data), void *data, char *cause,
			      size_t size)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_agent_exec_target t;
	struct roger_agent_exec_cmd cmd;
	struct roger_agent_run *r;
	char *argv[4], *cid = NULL;
	int64_t deadline;
	bool going = false, timed_out = false, have_target = false;
	siginfo_t si;
	pid_t pid;
	int rc;

	memset(&t, 0, sizeof(t));
	pthread_mutex_lock(&a->lock);
	r = live_run(a, task_id);
	rc = !r                                 ? ROGER_ENOTFOUND
	     : !(cid = strdup(r->container_id)) ? ROGER_ENOMEM
						: 0;
	pthread_mutex_unlock(&a->lock);
	if (rc == 0) {
		rc = roger_agent_exec_target(&t, a, cid, &err);
		have_target = rc == 0;
	}
	if (rc < 0) {
		snprintf(cause, size, "%s",
			 rc == ROGER_ENOMEM ? "out of memory"
					    : "the task is not running");
		rc = -1;
		goto out;
	}
	/* Where a session of `roger exec` would run: in an image task's
	 * container, with its environment, as Mesos runs a COMMAND check of
	 * a container (MESOS-CONTAINERS.md); on the host otherwise. */
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)command;
	argv[3] = NULL;
	memset(&cmd, 0, sizeof(cmd));
	cmd.path = t.in_container ? "sh" : "/bin/sh";
	cmd.argv = argv;
	cmd.envp = t.env;
	cmd.in_fd = cmd.out_fd = cmd.err_fd = -1;
	if (roger_agent_exec_spawn(&pid, NULL, a, &t, &cmd, &err) < 0) {
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
		snprintf(cause, size,
			 "the task is not running or the server stops");
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
	if (have_target)
		roger_agent_exec_target_release(&t);
	free(cid);
	return rc;
}
