/*
 * agent-exec.c - what the agent offers the operator API: starting a
 * command inside a running task (the process of a nested container
 * session), and the resource statistics of its tasks.
 *
 * A session's command joins its task the way Mesos' DEBUG containers do:
 * the task's sandbox as working directory, the task's environment (the
 * call's variables over it), and, once tasks run in containers of their
 * own, the task's root and namespaces.  roger_agent_exec_target() gathers
 * all of that under the agent's lock, so the session code never sees a
 * run; roger_agent_exec_spawn() is the one place where a session's process
 * is made, through proc.c like every task process (watchdog-recorded, a
 * session of its own, nothing inherited), and so the one place where
 * entering the task's container belongs.
 *
 * Statistics are computed as a cgroup would count them, from /proc: every
 * process of the task's session (its leader is the task's first process,
 * and everything it starts stays in that session unless it makes its own)
 * contributes its user and system time, the time of the children it has
 * waited for, its resident pages and its threads.  One pass over /proc
 * serves every task.  The limits are the task's resources plus the command
 * executor's allowance, as a Mesos agent reports them.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctx.h"
#include "err.h"
#include "util.h"
#include "local/agent-int.h"
#include "local/agent.h"
#include "local/proc.h"

/* The command executor's allowance on top of the task (MESOS-CONTAINERS.md 3). */
#define EXECUTOR_CPUS 0.1
#define EXECUTOR_MEM_MB 32.0

static struct roger_agent_run *find_container(struct roger_agent *a,
					      const char *container_id)
{
	for (struct roger_agent_run *r = a->runs; r; r = r->next)
		if (!strcmp(r->container_id, container_id))
			return r;
	return NULL;
}

void roger_agent_exec_target_release(struct roger_agent_exec_target *t)
{
	if (!t)
		return;
	free(t->task_id);
	free(t->sandbox);
	if (t->env)
		for (char **e = t->env; *e; e++)
			free(*e);
	free(t->env);
	memset(t, 0, sizeof(*t));
}

int roger_agent_exec_target(struct roger_agent_exec_target *out,
			    struct roger_agent *a, const char *container_id,
			    struct roger_err *err)
{
	struct roger_agent_exec_target t;
	struct roger_agent_run *r;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	pthread_mutex_lock(&a->lock);
	r = container_id ? find_container(a, container_id) : NULL;
	if (!r || roger_agent_run_over(r) || a->closing) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "Root container %s not found",
				   container_id ? container_id : "");
	} else if (r->pid <= 0) {
		rc = roger_err_set(err, ROGER_EEXISTS,
				   "Container %s is not running (its task is %s)",
				   container_id, roger_task_state_name(r->state));
	} else {
		t.task_id = strdup(r->task_id);
		t.sandbox = strdup(r->sandbox);
		t.task_pid = r->pid;
		if (!t.task_id || !t.sandbox)
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&a->lock);
	/* Task ids are unique: the environment of the same run. */
	if (rc == 0 && roger_agent_task_env(&t.env, a, t.task_id) < 0)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (rc < 0) {
		roger_agent_exec_target_release(&t);
		return rc;
	}
	*out = t;
	return 0;
}

bool roger_agent_container_live(struct roger_agent *a, const char *container_id)
{
	struct roger_agent_run *r;
	bool live;

	pthread_mutex_lock(&a->lock);
	r = find_container(a, container_id);
	live = r && !roger_agent_run_over(r) && r->pid > 0 &&
	       !r->kill_requested && !a->closing;
	pthread_mutex_unlock(&a->lock);
	return live;
}

bool roger_agent_container_over(struct roger_agent *a, const char *container_id)
{
	struct roger_agent_run *r;
	bool over;

	pthread_mutex_lock(&a->lock);
	r = find_container(a, container_id);
	over = !r || roger_agent_run_over(r);
	pthread_mutex_unlock(&a->lock);
	return over;
}

/* The session's child: the terminal, then the command. */
static void exec_run(void *data, int keep)
{
	const struct roger_agent_exec_cmd *c = data;

	(void)keep;
	if (c->ctty && ioctl(0, TIOCSCTTY, 0) < 0)
		roger_proc_fail();
	roger_proc_exec(c->path, c->argv, c->envp);
}

int roger_agent_exec_spawn(pid_t *out, int *exec_errno, struct roger_agent *a,
			   const struct roger_agent_exec_target *t,
			   const struct roger_agent_exec_cmd *c,
			   struct roger_err *err)
{
	struct roger_proc_child child;

	memset(&child, 0, sizeof(child));
	child.what = "the session's process";
	child.std[0] = c->in_fd;
	child.std[1] = c->out_fd;
	child.std[2] = c->err_fd;
	child.keep = -1;
	/*
	 * The task's container: a task of a command app runs on the host,
	 * in its sandbox.  Entering the namespaces of an image task's
	 * container would go here, in exec_run() before the exec.
	 */
	child.cwd = t->sandbox;
	child.watchdog = &a->watchdog;
	child.run = exec_run;
	child.data = (void *)c;
	return roger_proc_fork(out, exec_errno, &child, err);
}

void roger_agent_exec_reap(struct roger_agent *a, pid_t pid)
{
	/* As a task's end: the group dies with its leader, the watchdog
	 * forgets it, and only then is the leader reaped. */
	kill(-pid, SIGKILL);
	roger_watchdog_remove(&a->watchdog, pid);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* ---- statistics ------------------------------------------------------------- */

int roger_agent_proc_stat_parse(struct roger_agent_proc_stat *out,
				const char *line, size_t len)
{
	unsigned long long v[24];
	const char *p = NULL, *end = line + len;
	int field = 3;

	/* "pid (comm) state ppid pgrp session ...": comm may hold anything */
	for (const char *c = line; c < end; c++)
		if (*c == ')')
			p = c + 1;
	if (!p)
		return -1;
	memset(v, 0, sizeof(v));
	while (p < end && field <= 24) {
		unsigned long long x = 0;
		bool neg = false, digits = false;

		while (p < end && *p == ' ')
			p++;
		if (p < end && *p == '-') {
			neg = true;
			p++;
		}
		while (p < end && *p >= '0' && *p <= '9') {
			digits = true;
			x = x * 10 + (unsigned long long)(*p - '0');
			p++;
		}
		if (field == 3) {
			/* the state: one letter */
			if (p >= end || *p == ' ')
				return -1;
			p++;
		} else if (!digits) {
			return -1;
		}
		if (p < end && *p != ' ' && *p != '\n')
			return -1;
		v[field - 1] = neg ? 0 : x;
		field++;
	}
	if (field <= 24)
		return -1;
	memset(out, 0, sizeof(*out));
	out->session = (long)v[5];
	out->utime = v[13];
	out->stime = v[14];
	out->cutime = v[15];
	out->cstime = v[16];
	out->threads = (long)v[19];
	out->rss_pages = (long long)v[23];
	return 0;
}

struct usage {
	pid_t sid;
	unsigned long long ticks_user, ticks_system;
	long long rss_pages;
	long processes, threads;
};

/* Add every process of /proc to the usage of its session, if listed. */
static void scan_proc(struct usage *u, size_t n)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct roger_agent_proc_stat st;
		char path[64], buf[1024];
		ssize_t got;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		got = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (got <= 0 || roger_agent_proc_stat_parse(&st, buf, (size_t)got) < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (u[i].sid != st.session)
				continue;
			u[i].ticks_user += st.utime + st.cutime;
			u[i].ticks_system += st.stime + st.cstime;
			u[i].rss_pages += st.rss_pages > 0 ? st.rss_pages : 0;
			u[i].threads += st.threads;
			u[i].processes++;
			break;
		}
	}
	closedir(d);
}

static int put(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v);
}

json_t *roger_agent_statistics(struct roger_agent *a)
{
	struct usage *u = NULL;
	json_t *list = json_array(), *tasks = json_array();
	double tick = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
	double now;
	size_t n = 0, i;
	json_t *info;
	bool ok = list && tasks;

	/* What to measure, under the lock; the measuring, without it. */
	pthread_mutex_lock(&a->lock);
	for (struct roger_agent_run *r = a->runs; r; r = r->next)
		n += !roger_agent_run_over(r) && r->pid > 0;
	u = calloc(n + 1, sizeof(*u));
	n = 0;
	for (struct roger_agent_run *r = a->runs; ok && u && r; r = r->next) {
		if (roger_agent_run_over(r) || r->pid <= 0)
			continue;
		u[n++].sid = r->pid;
		ok = json_array_append_new(
			     tasks,
			     json_pack("{s:s, s:s, s:s, s:o, s:f, s:f}", "executor_id",
				       r->task_id, "framework_id", r->framework_id,
				       "source", r->task_id, "executor_name",
				       roger_agent_executor_name(r), "cpus",
				       r->cpus + EXECUTOR_CPUS, "mem",
				       r->mem + EXECUTOR_MEM_MB)) == 0;
	}
	pthread_mutex_unlock(&a->lock);
	if (!ok || !u)
		goto fail;
	scan_proc(u, n);
	now = (double)roger_ctx_wall_ms(a->ctx) / 1000.0;
	json_array_foreach(tasks, i, info) {
		json_t *st = json_pack(
			"{s:f, s:I, s:I, s:f, s:f, s:f, s:I, s:I}", "timestamp", now,
			"processes", (json_int_t)u[i].processes, "threads",
			(json_int_t)u[i].threads, "cpus_user_time_secs",
			(double)u[i].ticks_user / tick, "cpus_system_time_secs",
			(double)u[i].ticks_system / tick, "cpus_limit",
			json_real_value(json_object_get(info, "cpus")),
			"mem_rss_bytes", (json_int_t)((double)u[i].rss_pages * page),
			"mem_limit_bytes",
			(json_int_t)(json_real_value(json_object_get(info, "mem")) *
				     1024 * 1024));
		json_t *e = json_deep_copy(info);

		if (!st || !e) {
			json_decref(st);
			json_decref(e);
			goto fail;
		}
		json_object_del(e, "cpus");
		json_object_del(e, "mem");
		if (put(e, "statistics", st) < 0 ||
		    json_array_append_new(list, e) < 0)
			goto fail;
	}
	free(u);
	json_decref(tasks);
	return list;
fail:
	free(u);
	json_decref(tasks);
	json_decref(list);
	return NULL;
}
