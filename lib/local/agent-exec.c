/*
 * agent-exec.c - what the agent offers the operator API: starting a
 * command inside a running task (the process of a nested container
 * session), and the resource statistics of its tasks.
 *
 * A session's command joins its task the way Mesos' DEBUG containers do:
 * the task's sandbox as working directory, the task's environment (the
 * call's variables over it), and, for an image task, the task's container:
 * its user namespace (when the server is not root), its PID and mount
 * namespaces and its root, as nsenter(1) enters them, the image's user,
 * the container's environment and PATH.  roger_agent_exec_target()
 * gathers all of that under the agent's lock, so the session code never
 * sees a run; roger_agent_exec_spawn() is the one place where a session's
 * process is made, through proc.c like every task process
 * (watchdog-recorded, a session of its own, nothing inherited).  Only a
 * child enters a PID namespace: the forked process joins, forks the
 * command into the namespace, and waits for it, ending as it ends, so
 * that the session sees one process whose group holds both.
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
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctx.h"
#include "err.h"
#include "util.h"
#include "local/agent-int.h"
#include "local/agent.h"
#include "local/container.h"
#include "local/proc.h"

/* The command executor's allowance on top of the task (MESOS-CONTAINERS.md 3).
 */
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

/* An image task's environment: the image's under the task's (container.c). */
static int container_env(struct roger_agent_exec_target *t,
			 struct roger_agent *a, const char *container_id,
			 struct roger_err *err)
{
	struct roger_agent_run *r;
	char **env = NULL;
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	r = find_container(a, container_id);
	if (!r || roger_agent_run_over(r) || !r->img)
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "Root container %s not found", container_id);
	else if (roger_container_env(&env, t->env, r->img) < 0)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		return rc;
	for (char **e = t->env; *e; e++)
		free(*e);
	free(t->env);
	t->env = env;
	return 0;
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
		rc = roger_err_set(
			err, ROGER_EEXISTS,
			"Container %s is not running (its task is %s)",
			container_id, roger_task_state_name(r->state));
	} else {
		t.task_id = strdup(r->task_id);
		t.sandbox = strdup(r->sandbox);
		t.task_pid = r->pid;
		if (r->image && r->ct) {
			t.in_container = true;
			roger_container_user_of(r->ct, &t.userns, &t.uid,
						&t.gid);
		}
		if (!t.task_id || !t.sandbox)
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&a->lock);
	/* Task ids are unique: the environment of the same run. */
	if (rc == 0 && roger_agent_task_env(&t.env, a, t.task_id) < 0)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (rc == 0 && t.in_container)
		rc = container_env(&t, a, container_id, err);
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

/* What the session's child needs, prepared before the fork. */
struct exec_child {
	const struct roger_agent_exec_cmd *c;
	/* joining a container */
	bool join, userns;
	uid_t uid;
	gid_t gid;
	char ns_user[64], ns_mnt[64], ns_pid[64], root[64];
	char **paths; /* the candidates for the program, in order */
};

/*
 * Join the container of init `x`: its user namespace (when it has one),
 * its PID namespace (for the next child), its mounts and root, the
 * sandbox as working directory, its user.  As nsenter(1) does; only
 * system calls, the child of a threaded process.
 */
static void join_container(const struct exec_child *x)
{
	int fu = -1, fm, fp, fr;

	if ((x->userns && (fu = open(x->ns_user, O_RDONLY | O_CLOEXEC)) < 0) ||
	    (fm = open(x->ns_mnt, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (fp = open(x->ns_pid, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (fr = open(x->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		roger_proc_fail();
	if ((fu >= 0 && setns(fu, CLONE_NEWUSER) < 0) ||
	    setns(fp, CLONE_NEWPID) < 0 || setns(fm, CLONE_NEWNS) < 0 ||
	    fchdir(fr) < 0 || chroot(".") < 0 ||
	    chdir(ROGER_CONTAINER_SANDBOX) < 0)
		roger_proc_fail();
	/* Raw system calls: glibc's would signal threads the copy lacks. */
	if (!x->userns && (syscall(SYS_setgroups, 0, NULL) < 0 ||
			   syscall(SYS_setgid, x->gid) < 0 ||
			   syscall(SYS_setuid, x->uid) < 0))
		roger_proc_fail();
	close(fr);
	close(fp);
	close(fm);
	if (fu >= 0)
		close(fu);
}

/* In the container: each candidate in turn, as execvp() does; the
 * first failure other than a missing file is the one reported. */
static void exec_paths(const struct exec_child *x) __attribute__((noreturn));
static void exec_paths(const struct exec_child *x)
{
	int first = ENOENT;

	for (char **p = x->paths; *p; p++) {
		execve(*p, x->c->argv, x->c->envp);
		if (errno != ENOENT && errno != ENOTDIR && first == ENOENT)
			first = errno;
	}
	errno = first;
	roger_proc_fail();
}

/* The session's child: the terminal, the container, then the command. */
static void exec_run(void *data, int keep)
{
	const struct exec_child *x = data;
	int status;
	pid_t pid;

	(void)keep;
	if (x->c->ctty && ioctl(0, TIOCSCTTY, 0) < 0)
		roger_proc_fail();
	if (!x->join)
		roger_proc_exec(x->c->path, x->c->argv, x->c->envp);
	join_container(x);
	/* Only a child enters the PID namespace: this process waits for it
	 * and ends as it ends. */
	pid = (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, NULL, NULL,
			     NULL, NULL);
	if (pid < 0)
		roger_proc_fail();
	if (pid == 0)
		exec_paths(x);
	roger_proc_handoff();
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(127);
	if (WIFSIGNALED(status)) {
		syscall(SYS_kill, syscall(SYS_getpid), WTERMSIG(status));
		_exit(128 + WTERMSIG(status));
	}
	_exit(WEXITSTATUS(status));
}

static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

int roger_agent_exec_spawn(pid_t *out, int *exec_errno, struct roger_agent *a,
			   const struct roger_agent_exec_target *t,
			   const struct roger_agent_exec_cmd *c,
			   struct roger_err *err)
{
	struct roger_proc_child child;
	struct exec_child x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.c = c;
	memset(&child, 0, sizeof(child));
	child.what = "the session's process";
	child.std[0] = c->in_fd;
	child.std[1] = c->out_fd;
	child.std[2] = c->err_fd;
	child.keep = -1;
	child.cwd = t->sandbox;
	if (t->in_container) {
		const char *path = env_get(c->envp, "PATH");

		x.join = true;
		x.userns = t->userns;
		x.uid = t->uid;
		x.gid = t->gid;
		snprintf(x.ns_user, sizeof(x.ns_user), "/proc/%ld/ns/user",
			 (long)t->task_pid);
		snprintf(x.ns_mnt, sizeof(x.ns_mnt), "/proc/%ld/ns/mnt",
			 (long)t->task_pid);
		snprintf(x.ns_pid, sizeof(x.ns_pid), "/proc/%ld/ns/pid",
			 (long)t->task_pid);
		snprintf(x.root, sizeof(x.root), "/proc/%ld/root",
			 (long)t->task_pid);
		if (roger_container_exec_paths(&x.paths, c->path,
					       path ? path
						    : ROGER_CONTAINER_PATH,
					       ROGER_CONTAINER_SANDBOX) < 0)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		child.cwd = NULL; /* the sandbox inside, once joined */
	}
	child.watchdog = &a->watchdog;
	child.run = exec_run;
	child.data = &x;
	rc = roger_proc_fork(out, exec_errno, &child, err);
	if (x.paths) {
		for (char **p = x.paths; *p; p++)
			free(*p);
		free(x.paths);
	}
	return rc;
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
		if (got <= 0 ||
		    roger_agent_proc_stat_parse(&st, buf, (size_t)got) < 0)
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
	double tick = (double)sysconf(_SC_CLK_TCK),
	       page = (double)sysconf(_SC_PAGESIZE);
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
			     json_pack("{s:s, s:s, s:s, s:o, s:f, s:f}",
				       "executor_id", r->task_id,
				       "framework_id", r->framework_id,
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
			"{s:f, s:I, s:I, s:f, s:f, s:f, s:I, s:I}", "timestamp",
			now, "processes", (json_int_t)u[i].processes, "threads",
			(json_int_t)u[i].threads, "cpus_user_time_secs",
			(double)u[i].ticks_user / tick, "cpus_system_time_secs",
			(double)u[i].ticks_system / tick, "cpus_limit",
			json_real_value(json_object_get(info, "cpus")),
			"mem_rss_bytes",
			(json_int_t)((double)u[i].rss_pages * page),
			"mem_limit_bytes",
			(json_int_t)(json_real_value(
					     json_object_get(info, "mem")) *
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
