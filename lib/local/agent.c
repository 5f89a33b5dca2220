/*
 * agent.c - roger local's Mesos agent: sandboxes, task processes, kills and
 * status updates.
 *
 * Model.  Each launched task is a "run" (struct roger_agent_run): its
 * sandbox, laid out as a Mesos agent lays it out, and one agent thread that
 * drives it from start to end, like Mesos' command executor:
 *
 *   launch ── sandbox created, thread started (TASK_STAGING)
 *   thread ── fetch URIs ── fails: TASK_FAILED "Failed to launch container:
 *          │                Failed to fetch all URIs ... 256"
 *          ├─ TASK_STARTING ── fork/exec (watchdog-recorded) ── TASK_RUNNING
 *          ├─ wait for the exit or a kill request (poll on a pidfd and an
 *          │  eventfd): kill = TASK_KILLING, SIGTERM to the process group,
 *          │  SIGKILL when the grace period ends
 *          └─ exit observed (WNOWAIT), rest of the group killed, watchdog
 *             told, leader reaped, daemons the task started in sessions of
 *             their own killed: TASK_FINISHED / TASK_FAILED / TASK_KILLED
 *
 * One thread per task keeps every task's updates in order and lets a slow
 * download or a long kill grace hold up nothing else.  A thread reports
 * through the scheduler's callback with no agent lock held, so the callback
 * may take the scheduler's lock and call back in; roger_agent_launch() and
 * roger_agent_kill() only record and wake, they never call back.  The
 * thread waits for its own pid only (waitid on that pid), never for "any
 * child": the server runs health-check commands of its own.
 *
 * Finished runs are kept for the state and files endpoints, up to
 * max_completed; beyond that the oldest is forgotten and its sandbox
 * deleted, so a crash-looping app cannot fill the disk.
 *
 * Crash safety (no task outlives the server, even one SIGKILLed) is the
 * watchdog's job, see watchdog.c; the fork/exec dance is in proc.c, the
 * fetcher in fetch.c, the state and files endpoints in mesos-state.c and
 * files.c.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "str.h"
#include "util.h"
#include "local/agent-int.h"
#include "local/agent.h"
#include "local/container.h"
#include "local/fetch.h"
#include "local/proc.h"

#define DEFAULT_KILL_GRACE 3.0
#define DEFAULT_MAX_COMPLETED 100
#define DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- task states --------------------------------------------------------- */

const char *roger_task_state_name(enum roger_task_state s)
{
	switch (s) {
#define ROGER_TASK_STATE_CASE_(name, text) \
	case name:                         \
		return text;
		ROGER_TASK_STATES(ROGER_TASK_STATE_CASE_)
#undef ROGER_TASK_STATE_CASE_
	}
	return "TASK_UNKNOWN";
}

bool roger_task_state_terminal(enum roger_task_state s)
{
	return s == ROGER_TASK_FINISHED || s == ROGER_TASK_FAILED ||
	       s == ROGER_TASK_KILLED || s == ROGER_TASK_LOST ||
	       s == ROGER_TASK_ERROR;
}

/* ---- small helpers ------------------------------------------------------- */

static double wall_now(const struct roger_agent *a)
{
	return (double)roger_ctx_wall_ms(a->ctx) / 1000.0;
}

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static char **dup_strv(const char *const *v)
{
	size_t n = 0;
	char **out;

	while (v && v[n])
		n++;
	out = calloc(n + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			free_strv(out);
			return NULL;
		}
	}
	return out;
}

/* A Mesos id may become a path component: no '/', no "." or "..", no
 * control characters, not empty. */
static bool valid_id(const char *s)
{
	if (!s || !*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
	    strlen(s) > 255)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/*
 * rm -rf that also gets through what a task made read-only (Go's module
 * cache, `chmod -w` directories): directories are made writable before
 * they are emptied.  Symbolic links are removed, never followed.
 */
static void remove_tree_at(int at, const char *name)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(at, name, 0);
		return;
	}
	if ((st.st_mode & 0700) != 0700)
		fchmodat(at, name, (st.st_mode & 07777) | 0700, 0);
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		d = fdopendir(fd);
		if (!d) {
			close(fd);
		} else {
			while ((e = readdir(d)))
				if (strcmp(e->d_name, ".") != 0 &&
				    strcmp(e->d_name, "..") != 0)
					remove_tree_at(dirfd(d), e->d_name);
			closedir(d);
		}
	}
	unlinkat(at, name, AT_REMOVEDIR);
}

static void remove_tree(const char *path)
{
	remove_tree_at(AT_FDCWD, path);
}

/* A line of the executor's own output into a sandbox file. */
static void say(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	struct roger_buf b = ROGER_BUF_INIT;
	va_list ap;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	roger_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	roger_buf_addch(&b, '\n');
	(void)roger_write_all(fd, b.buf, b.len);
	roger_buf_release(&b);
}

/* "Command exited with status 1" / "Command terminated with signal Killed",
 * as Mesos' command executor words it. */
static void describe_exit(char *out, size_t size, const siginfo_t *si)
{
	static pthread_mutex_t strsignal_lock = PTHREAD_MUTEX_INITIALIZER;

	if (si->si_code == CLD_EXITED) {
		snprintf(out, size, "Command exited with status %d",
			 si->si_status);
		return;
	}
	pthread_mutex_lock(&strsignal_lock);
	snprintf(out, size, "Command terminated with signal %s",
		 strsignal(si->si_status));
	pthread_mutex_unlock(&strsignal_lock);
}

/* ---- runs ---------------------------------------------------------------- */

static void run_free(struct roger_agent_run *r)
{
	if (!r)
		return;
	free(r->task_id);
	free(r->framework_id);
	free(r->framework_name);
	free(r->name);
	free(r->container_id);
	free(r->cmd);
	free_strv(r->args);
	free_strv(r->env);
	json_decref(r->fetch);
	free(r->executor_dir);
	free(r->sandbox);
	free(r->ports);
	free(r->image);
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	free(r);
}

static int run_new(struct roger_agent_run **out, struct roger_agent *a,
		   const struct roger_agent_task *t, struct roger_err *err)
{
	struct roger_agent_run *r = calloc(1, sizeof(*r));
	struct roger_buf b = ROGER_BUF_INIT;
	char cid[37];
	int rc = ROGER_ENOMEM;

	if (!r)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	r->wake_fd = -1;
	roger_uuid(cid);
	r->task_id = strdup(t->task_id);
	r->framework_id = strdup(t->framework_id);
	r->framework_name =
		strdup(t->framework_name ? t->framework_name : "marathon");
	r->name = strdup(t->name ? t->name : t->task_id);
	r->container_id = strdup(cid);
	if (!r->task_id || !r->framework_id || !r->framework_name || !r->name ||
	    !r->container_id)
		goto fail;
	if (t->cmd) {
		r->cmd = strdup(t->cmd);
		if (!r->cmd)
			goto fail;
	} else {
		r->args = dup_strv(t->args);
		if (!r->args)
			goto fail;
	}
	r->env = dup_strv(t->env);
	if (!r->env)
		goto fail;
	if (t->image && !(r->image = strdup(t->image)))
		goto fail;
	r->force_pull = t->force_pull_image;
	if (t->fetch && !json_is_null(t->fetch)) {
		r->fetch = json_deep_copy(t->fetch);
		if (!r->fetch)
			goto fail;
	}
	if (roger_buf_addf(&b, "%s/frameworks/%s/executors/%s", a->slave_dir,
			   t->framework_id, t->task_id) < 0)
		goto fail;
	r->executor_dir = strdup(b.buf);
	if (!r->executor_dir || roger_buf_addf(&b, "/runs/%s", cid) < 0)
		goto fail;
	r->sandbox = roger_buf_detach(&b, NULL);
	if (!r->sandbox)
		goto fail;
	r->cpus = t->cpus;
	r->mem = t->mem;
	r->disk = t->disk;
	if (t->n_ports > 0) {
		r->ports = calloc((size_t)t->n_ports, sizeof(*r->ports));
		if (!r->ports)
			goto fail;
		memcpy(r->ports, t->ports,
		       (size_t)t->n_ports * sizeof(*r->ports));
		r->n_ports = t->n_ports;
	}
	r->kill_grace = t->kill_grace_seconds > 0 ? t->kill_grace_seconds
						  : DEFAULT_KILL_GRACE;
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake_fd < 0) {
		rc = roger_err_set(err, ROGER_ERROR,
				   "cannot create an eventfd: %s",
				   strerror(errno));
		goto fail_set;
	}
	r->state = ROGER_TASK_STAGING;
	*out = r;
	return 0;
fail:
	rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
fail_set:
	roger_buf_release(&b);
	run_free(r);
	return rc;
}

/* Create the sandbox with its (empty) stdout and stderr. */
static int make_sandbox(struct roger_agent_run *r, struct roger_err *err)
{
	static const char *const files[] = { "stdout", "stderr" };
	struct roger_buf b = ROGER_BUF_INIT;
	int rc;

	if ((rc = roger_fs_mkdirs(r->sandbox, 0755, err)) < 0)
		return rc;
	for (size_t i = 0; i < 2; i++) {
		int fd;

		roger_buf_reset(&b);
		if (roger_buf_addf(&b, "%s/%s", r->sandbox, files[i]) < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
		fd = open(b.buf, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			  0644);
		if (fd < 0) {
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot create '%s': %s", b.buf,
					   strerror(errno));
			goto out;
		}
		close(fd);
	}
out:
	roger_buf_release(&b);
	return rc;
}

/* Point `runs/latest` at the run's sandbox (replaced atomically). */
static void link_latest(struct roger_agent *a, struct roger_agent_run *r)
{
	char *tmp = NULL, *latest = NULL;

	if (asprintf(&tmp, "%s/runs/.latest-%s", r->executor_dir,
		     r->container_id) < 0) {
		tmp = NULL;
		goto out;
	}
	latest = roger_path_join(r->executor_dir, "runs/latest");
	if (!latest || symlink(r->container_id, tmp) < 0 ||
	    rename(tmp, latest) < 0) {
		roger_warn(a->ctx,
			   "cannot point '%s/runs/latest' at the new run: %s",
			   r->executor_dir, strerror(errno));
		if (tmp)
			unlink(tmp);
	}
out:
	free(tmp);
	free(latest);
}

static struct roger_agent_run *find_live(struct roger_agent *a,
					 const char *task_id)
{
	for (struct roger_agent_run *r = a->runs; r; r = r->next)
		if (!roger_agent_run_over(r) &&
		    strcmp(r->task_id, task_id) == 0)
			return r;
	return NULL;
}

/*
 * Report a state change: record it, then call the scheduler with no lock
 * held (nothing is called once the agent is closing).  Only the run's own
 * thread calls this, so a task's updates arrive in order.
 */
static void emit(struct roger_agent *a, struct roger_agent_run *r,
		 enum roger_task_state state, const char *message)
{
	struct roger_agent_update u;
	bool quiet;

	memset(&u, 0, sizeof(u));
	u.task_id = r->task_id;
	u.state = state;
	u.message = message ? message : "";
	u.timestamp = wall_now(a);
	pthread_mutex_lock(&a->lock);
	r->state = state;
	if (r->n_statuses < ROGER_AGENT_MAX_STATUSES) {
		r->statuses[r->n_statuses].state = state;
		r->statuses[r->n_statuses].timestamp = u.timestamp;
		r->n_statuses++;
	}
	if (roger_task_state_terminal(state)) {
		r->completed_seq = ++a->completed_seq;
		a->n_completed++;
	}
	quiet = a->closing;
	pthread_mutex_unlock(&a->lock);
	roger_log(a->ctx, ROGER_LOG_DEBUG, "task '%s' is %s%s%s", r->task_id,
		  roger_task_state_name(state), *u.message ? ": " : "",
		  u.message);
	if (!quiet && a->on_update)
		a->on_update(a->data, &u);
}

/* The bytes of the files under `name` (relative to `at`), links not followed.
 */
static uint64_t tree_bytes_at(int at, const char *name)
{
	struct dirent *e;
	struct stat st;
	uint64_t total = 0;
	DIR *d;
	int fd;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			total += tree_bytes_at(dirfd(d), e->d_name);
	closedir(d);
	return total;
}

uint64_t roger_agent_tree_bytes(const char *path)
{
	return tree_bytes_at(AT_FDCWD, path);
}

/* Take the finished run at `*pp` off the list onto `*victims` (lock held). */
static void take(struct roger_agent *a, struct roger_agent_run **pp,
		 struct roger_agent_run **victims)
{
	struct roger_agent_run *v = *pp;

	*pp = v->next;
	v->joined = true;
	v->next = *victims;
	*victims = v;
	a->n_completed--;
}

/*
 * Join the threads of `victims` (runs already taken off the list, lock
 * not held), delete their sandboxes (the executor directory, unless a
 * later run of the same executor shares it), adding their bytes to
 * `*bytes` when not NULL, and free them.
 */
static void reap(struct roger_agent *a, struct roger_agent_run *victims,
		 uint64_t *bytes)
{
	while (victims) {
		struct roger_agent_run *v = victims;
		bool shared = false;
		const char *dir;

		victims = v->next;
		pthread_join(v->thread, NULL);
		pthread_mutex_lock(&a->lock);
		for (struct roger_agent_run *r = a->runs; r; r = r->next)
			if (strcmp(r->executor_dir, v->executor_dir) == 0)
				shared = true;
		pthread_mutex_unlock(&a->lock);
		dir = shared ? v->sandbox : v->executor_dir;
		if (bytes)
			*bytes += tree_bytes_at(AT_FDCWD, dir);
		remove_tree(dir);
		run_free(v);
	}
}

/*
 * Forget the oldest finished runs beyond max_completed, deleting their
 * sandboxes.  Runs whose thread has not finished yet are skipped (`self`
 * never qualifies: it is still running).
 */
static void evict(struct roger_agent *a)
{
	struct roger_agent_run *victims = NULL;

	pthread_mutex_lock(&a->lock);
	while (!a->closing && a->n_completed > a->max_completed) {
		struct roger_agent_run **pp, **oldest = NULL;

		for (pp = &a->runs; *pp; pp = &(*pp)->next)
			if ((*pp)->completed_seq && (*pp)->done &&
			    !(*pp)->joined &&
			    (!oldest ||
			     (*pp)->completed_seq < (*oldest)->completed_seq))
				oldest = pp;
		if (!oldest)
			break;
		take(a, oldest, &victims);
	}
	pthread_mutex_unlock(&a->lock);
	reap(a, victims, NULL);
}

/*
 * Whether finished run `r` is one of the `keep` most recent finished runs
 * of its app (lock held).
 */
static bool recent_of_app(const struct roger_agent *a,
			  const struct roger_agent_run *r, unsigned keep)
{
	unsigned newer = 0;

	for (const struct roger_agent_run *o = a->runs; o; o = o->next)
		if (o != r && o->completed_seq > r->completed_seq &&
		    !strcmp(o->name, r->name) && o->done && !o->joined)
			newer++;
	return newer < keep;
}

void roger_agent_prune_generations(const char *work_dir, unsigned *removed,
				   uint64_t *bytes)
{
	struct dirent *e;
	int fd = open(work_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, "slaves.previous") &&
		    !roger_starts_with(e->d_name, ".slaves.trash-"))
			continue;
		*bytes += tree_bytes_at(dirfd(d), e->d_name);
		(*removed)++;
		remove_tree_at(dirfd(d), e->d_name);
	}
	closedir(d);
}

int roger_agent_prune(struct roger_agent *a, unsigned keep, unsigned *removed,
		      uint64_t *bytes)
{
	struct roger_agent_run *victims = NULL, **pp;

	*removed = 0;
	*bytes = 0;
	pthread_mutex_lock(&a->lock);
	for (pp = &a->runs; *pp && !a->closing;) {
		struct roger_agent_run *r = *pp;

		if (!r->completed_seq || !r->done || r->joined ||
		    recent_of_app(a, r, keep)) {
			pp = &r->next;
			continue;
		}
		(*removed)++;
		take(a, pp, &victims);
	}
	pthread_mutex_unlock(&a->lock);
	reap(a, victims, bytes);
	roger_agent_prune_generations(a->work_dir, removed, bytes);
	return 0;
}

/* ---- the task thread ----------------------------------------------------- */

struct run_ctx {
	struct roger_agent *a;
	struct roger_agent_run *r;
	int out_fd, err_fd;
	char **envp;
	char **argv;
	char *path;
};

static bool run_cancelled(void *data)
{
	struct run_ctx *c = data;
	bool k;

	pthread_mutex_lock(&c->a->lock);
	k = c->r->kill_requested;
	pthread_mutex_unlock(&c->a->lock);
	return k;
}

static bool env_has(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return true;
	return false;
}

/* Append "name=value" (or `name` alone when value is NULL) to the
 * NULL-terminated vector `*v` of `*n` strings. */
static int env_push(char ***v, size_t *n, const char *name, const char *value)
{
	char **p = realloc(*v, (*n + 2) * sizeof(**v));
	struct roger_buf b = ROGER_BUF_INIT;

	if (!p)
		return ROGER_ENOMEM;
	*v = p;
	if (roger_buf_adds(&b, name) < 0 ||
	    (value && roger_buf_addf(&b, "=%s", value) < 0)) {
		roger_buf_release(&b);
		return ROGER_ENOMEM;
	}
	p[*n] = roger_buf_detach(&b, NULL);
	if (!p[*n])
		return ROGER_ENOMEM;
	p[++*n] = NULL;
	return 0;
}

/*
 * The task's environment: its own variables, those the agent sets
 * (MESOS_*: ours win over the task's), then PATH and HOME from the agent's
 * environment when the task has none.  Reads only what does not change
 * while the run exists.
 */
static int task_env(char ***out, const struct roger_agent *a,
		    const struct roger_agent_run *r)
{
	char endpoint[300], pid[320];
	const char *mesos[][2] = {
		{ "MESOS_SANDBOX",
		  r->image ? ROGER_CONTAINER_SANDBOX : r->sandbox },
		{ "MESOS_DIRECTORY", r->sandbox },
		{ "MESOS_TASK_ID", r->task_id },
		{ "MESOS_FRAMEWORK_ID", r->framework_id },
		{ "MESOS_EXECUTOR_ID", r->task_id },
		{ "MESOS_SLAVE_ID", a->agent_id },
		{ "MESOS_AGENT_ENDPOINT", endpoint },
		{ "MESOS_SLAVE_PID", pid },
		{ "MESOS_CONTAINER_NAME", NULL },
	};
	size_t n_mesos = sizeof(mesos) / sizeof(mesos[0]);
	char **v = NULL, *cname = NULL;
	size_t n = 0;
	int rc = 0;

	snprintf(endpoint, sizeof(endpoint), "%s:%d", a->hostname, a->port);
	snprintf(pid, sizeof(pid), "slave(1)@%s:%d", a->hostname, a->port);
	cname = malloc(strlen(r->container_id) + 7);
	if (!cname)
		return ROGER_ENOMEM;
	sprintf(cname, "mesos-%s", r->container_id);
	mesos[n_mesos - 1][1] = cname;
	v = calloc(1, sizeof(*v));
	if (!v) {
		rc = ROGER_ENOMEM;
		goto out;
	}
	for (char **e = r->env; *e; e++) {
		bool ours = false;

		for (size_t i = 0; i < n_mesos && !ours; i++) {
			size_t l = strlen(mesos[i][0]);

			ours = strncmp(*e, mesos[i][0], l) == 0 &&
			       (*e)[l] == '=';
		}
		if (!ours && (rc = env_push(&v, &n, *e, NULL)) < 0)
			goto out;
	}
	for (size_t i = 0; i < n_mesos; i++)
		if ((rc = env_push(&v, &n, mesos[i][0], mesos[i][1])) < 0)
			goto out;
	/* An image task's PATH and HOME are the image's (container.c). */
	if (!r->image && !env_has(v, "PATH") &&
	    (rc = env_push(&v, &n, "PATH", a->default_path)) < 0)
		goto out;
	if (!r->image && a->home && !env_has(v, "HOME") &&
	    (rc = env_push(&v, &n, "HOME", a->home)) < 0)
		goto out;
	*out = v;
	v = NULL;
out:
	free_strv(v);
	free(cname);
	return rc;
}

static int build_env(struct run_ctx *c)
{
	return task_env(&c->envp, c->a, c->r);
}

/* The PATH the task sees (for execvp-like lookup of args[0]). */
static const char *env_path(char *const *env)
{
	for (; env && *env; env++)
		if (strncmp(*env, "PATH=", 5) == 0)
			return *env + 5;
	return DEFAULT_PATH;
}

/*
 * What execve() should run: /bin/sh -c cmd, or args[0] looked up in the
 * task's PATH like execvp() does (relative directories and names with a
 * slash are relative to the sandbox).  Done before fork: execvp itself is
 * not async-signal-safe.
 */
static int build_command(struct run_ctx *c)
{
	const struct roger_agent_run *r = c->r;
	const char *file, *p;
	struct roger_buf b = ROGER_BUF_INIT;
	struct stat st;

	if (r->cmd) {
		const char *argv[] = { "sh", "-c", r->cmd, NULL };

		c->argv = dup_strv(argv);
		c->path = strdup("/bin/sh");
		return c->argv && c->path ? 0 : ROGER_ENOMEM;
	}
	c->argv = dup_strv((const char *const *)r->args);
	if (!c->argv || !c->argv[0])
		return ROGER_ENOMEM;
	file = c->argv[0];
	if (strchr(file, '/')) {
		c->path = strdup(file);
		return c->path ? 0 : ROGER_ENOMEM;
	}
	for (p = env_path(c->envp);; p++) {
		size_t n = strcspn(p, ":");

		roger_buf_reset(&b);
		if (n == 0 || p[0] != '/')
			roger_buf_addf(&b, "%s/", r->sandbox);
		roger_buf_add(&b, p, n);
		roger_buf_addf(&b, "%s%s", n ? "/" : "", file);
		if (stat(b.buf, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(b.buf, X_OK) == 0) {
			c->path = roger_buf_detach(&b, NULL);
			return c->path ? 0 : ROGER_ENOMEM;
		}
		p += n;
		if (!*p)
			break;
	}
	roger_buf_release(&b);
	c->path = strdup(file); /* execve fails with ENOENT, reported */
	return c->path ? 0 : ROGER_ENOMEM;
}

static void on_forked(void *data, pid_t pid)
{
	struct run_ctx *c = data;

	pthread_mutex_lock(&c->a->lock);
	c->r->pid = pid;
	pthread_mutex_unlock(&c->a->lock);
	say(c->out_fd, "Forked command at %ld", (long)pid);
	if (c->r->cmd)
		say(c->out_fd, "sh -c '%s'", c->r->cmd);
	else
		for (char **p = c->argv; *p; p++)
			say(c->out_fd, "%s%s", p == c->argv ? "" : "  ", *p);
}

static bool exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == pid;
}

/*
 * Wait for the process to exit, carrying out kill requests on the way.
 * Returns whether a kill was requested.
 */
static bool supervise(struct run_ctx *c, pid_t pid)
{
	struct roger_agent *a = c->a;
	struct roger_agent_run *r = c->r;
	bool term_sent = false, kill_sent = false, requested = false;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	for (;;) {
		struct pollfd pfd[2];
		int64_t deadline, now = roger_clock_ms(CLOCK_MONOTONIC);
		int timeout = -1, nfds = 0;
		uint64_t v;

		pthread_mutex_lock(&a->lock);
		requested = r->kill_requested;
		deadline = r->kill_deadline_ms;
		pthread_mutex_unlock(&a->lock);

		if (requested && !term_sent) {
			/* Signal first: the update may wait for the
			 * scheduler's lock. */
			term_sent = true;
			say(c->out_fd, "Received killTask for task %s",
			    r->task_id);
			say(c->out_fd,
			    "Sending SIGTERM to process tree at pid %ld",
			    (long)pid);
			kill(-pid, SIGTERM);
			emit(a, r, ROGER_TASK_KILLING, NULL);
		}
		if (requested && !kill_sent && now >= deadline) {
			kill_sent = true;
			say(c->out_fd,
			    "Process %ld did not terminate after the grace period, sending SIGKILL to its process tree",
			    (long)pid);
			kill(-pid, SIGKILL);
		}
		if (exited(pid))
			break;
		if (requested && !kill_sent)
			timeout =
				(int)(deadline - now > 0 ? deadline - now : 0);
		if (pidfd >= 0) {
			pfd[nfds].fd = pidfd;
			pfd[nfds++].events = POLLIN;
		} else if (timeout < 0 || timeout > 100) {
			timeout = 100; /* no pidfd: poll for the exit */
		}
		pfd[nfds].fd = r->wake_fd;
		pfd[nfds++].events = POLLIN;
		if (poll(pfd, (nfds_t)nfds, timeout) > 0)
			while (read(r->wake_fd, &v, sizeof(v)) > 0)
				;
	}
	if (pidfd >= 0)
		close(pidfd);
	return requested;
}

/* Kill what the task started in sessions of its own (daemons): they still
 * carry its MESOS_DIRECTORY, and started after its first process. */
static void kill_strays(const struct roger_agent_run *r,
			unsigned long long since)
{
	size_t size = 256 * 1024;
	char *scratch = malloc(size), *entry = NULL;

	if (scratch &&
	    asprintf(&entry, "MESOS_DIRECTORY=%s", r->sandbox) >= 0) {
		for (int pass = 0; pass < 10; pass++) {
			if (roger_proc_kill_env(entry, false, since, scratch,
						size) == 0)
				break;
			usleep(20000);
		}
		free(entry);
	}
	free(scratch);
}

/*
 * The process exited: take its status without reaping it, kill what is
 * left of its process group (a Mesos container dies with its command),
 * tell the watchdog, and only then reap, so the group id stays ours until
 * the watchdog has forgotten it.
 */
static void finish_process(struct run_ctx *c, pid_t pid, bool killed)
{
	struct roger_agent *a = c->a;
	char msg[200];
	siginfo_t si;
	enum roger_task_state state;
	unsigned long long started;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 &&
	       errno == EINTR)
		;
	if (c->r->ct)
		roger_agent_image_exit(c->r, &si);
	started = roger_proc_start_time(pid); /* a zombie still has it */
	kill(-pid, SIGKILL);
	roger_watchdog_remove(&a->watchdog, pid);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	roger_proc_wait_group(pid, 2000);
	kill_strays(c->r, started);
	pthread_mutex_lock(&a->lock);
	c->r->pid = 0;
	pthread_mutex_unlock(&a->lock);
	describe_exit(msg, sizeof(msg), &si);
	say(c->out_fd, "%s (pid: %ld)", msg, (long)pid);
	if (killed)
		state = ROGER_TASK_KILLED;
	else if (si.si_code == CLD_EXITED && si.si_status == 0)
		state = ROGER_TASK_FINISHED;
	else
		state = ROGER_TASK_FAILED;
	emit(a, c->r, state, msg);
}

static void run_task(struct run_ctx *c)
{
	struct roger_agent *a = c->a;
	struct roger_agent_run *r = c->r;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_proc_spec spec;
	struct roger_fetch_opts fo;
	char msg[600];
	int exec_errno = 0;
	pid_t pid;

	say(c->out_fd, "Registered executor on %s", a->hostname);
	memset(&fo, 0, sizeof(fo));
	fo.ctx = a->ctx;
	fo.sandbox = r->sandbox;
	fo.log_fd = c->err_fd;
	fo.ca_file = a->ca_file;
	fo.max_extract_bytes = a->max_extract_bytes;
	fo.max_extract_entries = a->max_extract_entries;
	fo.own_port = a->port;
	fo.token = a->token;
	fo.cancelled = run_cancelled;
	fo.data = c;
	if (roger_fetch_all(r->fetch, &fo, &err) < 0) {
		if (err.code == ROGER_EINTR) {
			emit(a, r, ROGER_TASK_KILLED,
			     "Killed before delivery to the executor");
			return;
		}
		roger_log(a->ctx, ROGER_LOG_INFO, "task '%s': %s", r->task_id,
			  err.msg);
		snprintf(
			msg, sizeof(msg),
			"Failed to launch container: Failed to fetch all URIs for container '%s' with exit status: 256",
			r->container_id);
		emit(a, r, ROGER_TASK_FAILED, msg);
		return;
	}
	if (run_cancelled(c)) {
		emit(a, r, ROGER_TASK_KILLED,
		     "Killed before delivery to the executor");
		return;
	}
	if (build_env(c) < 0 || (!r->image && build_command(c) < 0)) {
		emit(a, r, ROGER_TASK_FAILED,
		     "Failed to launch container: out of memory");
		return;
	}
	if (r->image && roger_agent_image_prepare(a, r, &c->envp, &c->argv,
						  run_cancelled, c, &err) < 0) {
		if (err.code == ROGER_EINTR) {
			emit(a, r, ROGER_TASK_KILLED,
			     "Killed before delivery to the executor");
			return;
		}
		say(c->err_fd, "Failed to launch container: %s", err.msg);
		snprintf(msg, sizeof(msg), "Failed to launch container: %s",
			 err.msg);
		emit(a, r, ROGER_TASK_FAILED, msg);
		return;
	}
	say(c->out_fd, "Starting task %s", r->task_id);
	emit(a, r, ROGER_TASK_STARTING, NULL);

	memset(&spec, 0, sizeof(spec));
	spec.path = c->path;
	spec.argv = c->argv;
	spec.envp = c->envp;
	spec.cwd = r->sandbox;
	spec.out_fd = c->out_fd;
	spec.err_fd = c->err_fd;
	spec.forked = on_forked;
	spec.data = c;
	if ((r->image ? roger_agent_image_spawn(a, r, &spec, &pid, &exec_errno,
						&err)
		      : roger_proc_spawn(&pid, &exec_errno, &spec, &a->watchdog,
					 &err)) < 0) {
		say(c->err_fd, "Failed to launch the command: %s", err.msg);
		snprintf(msg, sizeof(msg), "Failed to launch container: %s",
			 err.msg);
		emit(a, r, ROGER_TASK_FAILED, msg);
		return;
	}
	if (exec_errno)
		say(c->err_fd, "Failed to execute command '%s': %s",
		    c->path ? c->path : c->argv[0], strerror(exec_errno));
	else
		emit(a, r, ROGER_TASK_RUNNING, NULL);
	finish_process(c, pid, supervise(c, pid));
}

static int open_output(struct roger_agent_run *r, const char *name)
{
	char *path = roger_path_join(r->sandbox, name);
	int fd;

	if (!path) {
		errno = ENOMEM;
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	return fd;
}

static void *run_main(void *data)
{
	struct roger_agent_run *r = data;
	struct roger_agent *a = r->agent;
	struct run_ctx c;
	char msg[300];

	/* Wait until the launcher has stored r->thread and let go. */
	pthread_mutex_lock(&a->lock);
	pthread_mutex_unlock(&a->lock);

	memset(&c, 0, sizeof(c));
	c.a = a;
	c.r = r;
	c.out_fd = open_output(r, "stdout");
	c.err_fd = open_output(r, "stderr");
	if (c.out_fd < 0 || c.err_fd < 0) {
		snprintf(
			msg, sizeof(msg),
			"Failed to launch container: cannot open the sandbox's output files: %s",
			strerror(errno));
		emit(a, r, ROGER_TASK_FAILED, msg);
	} else {
		run_task(&c);
	}
	if (c.out_fd >= 0)
		close(c.out_fd);
	if (c.err_fd >= 0)
		close(c.err_fd);
	free_strv(c.envp);
	free_strv(c.argv);
	free(c.path);
	roger_agent_image_release(r);
	/* Evict before `done`: a thread must never pick itself to join. */
	evict(a);
	pthread_mutex_lock(&a->lock);
	r->done = true;
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* ---- the agent ----------------------------------------------------------- */

static char *current_user(void)
{
	struct passwd pw, *res = NULL;
	char buf[4096], num[32];

	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
		return strdup(res->pw_name);
	snprintf(num, sizeof(num), "%lu", (unsigned long)getuid());
	return strdup(num);
}

static void agent_defaults(struct roger_agent *a,
			   const struct roger_agent_options *o)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	a->cpus = o->cpus > 0 ? o->cpus : (ncpu > 0 ? (double)ncpu : 1.0);
	a->mem = o->mem > 0 ? o->mem
			    : (pages > 0 && psize > 0
				       ? (double)((pages / 1024) * psize / 1024)
				       : 1024.0);
	a->disk = o->disk > 0 ? o->disk : 10240.0;
	a->port_min = o->port_min ? o->port_min : 31000;
	a->port_max = o->port_max ? o->port_max : 32000;
	a->max_completed =
		o->max_completed ? o->max_completed : DEFAULT_MAX_COMPLETED;
}

/*
 * Sandboxes of an earlier run of the agent are not served (as after a
 * Mesos agent restart), but a crash is worth a post-mortem: the previous
 * generation stays in <work_dir>/slaves.previous until the next start,
 * and older ones are deleted in the background.
 */
static void rotate_sandboxes(struct roger_agent *a)
{
	char *cur = roger_path_join(a->work_dir, "slaves");
	char *prev = roger_path_join(a->work_dir, "slaves.previous");
	char *trash = NULL, uuid[37];
	struct stat st;

	if (!cur || !prev || lstat(cur, &st) < 0)
		goto out;
	roger_uuid(uuid);
	if (asprintf(&trash, "%s/.slaves.trash-%s", a->work_dir, uuid) < 0) {
		trash = NULL;
		goto out;
	}
	if (lstat(prev, &st) == 0 && rename(prev, trash) < 0)
		roger_warn(a->ctx, "cannot move '%s' out of the way: %s", prev,
			   strerror(errno));
	if (rename(cur, prev) < 0)
		roger_warn(a->ctx,
			   "cannot keep the previous sandboxes in '%s': %s",
			   prev, strerror(errno));
out:
	free(cur);
	free(prev);
	free(trash);
}

/*
 * Task processes of an earlier run that nothing killed (its watchdog was
 * killed along with it) are no task of ours any more: kill them before
 * they hold the ports our tasks are about to get.
 */
static void kill_leftovers(struct roger_agent *a, const char *marker)
{
	size_t size = 256 * 1024;
	char *scratch = malloc(size);
	int total = 0, n;

	if (!scratch)
		return;
	for (int pass = 0; pass < 10; pass++) {
		if ((n = roger_proc_kill_env(marker, true, 0, scratch, size)) ==
		    0)
			break;
		total += n;
		usleep(20000);
	}
	free(scratch);
	if (total)
		roger_warn(
			a->ctx,
			"killed %d task processes left over by an earlier run in '%s'",
			total, a->work_dir);
}

static void *gc_main(void *data)
{
	struct roger_agent *a = data;
	struct dirent *e;
	DIR *d = opendir(a->work_dir);

	if (!d)
		return NULL;
	while ((e = readdir(d)))
		if (roger_starts_with(e->d_name, ".slaves.trash-"))
			remove_tree_at(dirfd(d), e->d_name);
	closedir(d);
	return NULL;
}

/* Free a string that holds a secret, wiping it first. */
static void free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

int roger_agent_new(struct roger_agent **out, struct roger_ctx *ctx,
		    const struct roger_agent_options *opts,
		    struct roger_err *err)
{
	struct roger_agent *a = NULL;
	struct roger_buf b = ROGER_BUF_INIT;
	const char *env;
	int rc;

	if (!opts || !opts->work_dir || !*opts->work_dir)
		return roger_err_set(err, ROGER_EINVALID,
				     "the agent needs a work directory");
	if (!valid_id(opts->agent_id))
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid agent id '%s'",
				     opts->agent_id ? opts->agent_id : "");
	if ((rc = roger_fs_mkdirs(opts->work_dir, 0755, err)) < 0)
		return rc;
	a = calloc(1, sizeof(*a));
	if (!a)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	pthread_mutex_init(&a->lock, NULL);
	a->ctx = ctx;
	a->watchdog.pid = -1;
	a->watchdog.fd = -1;
	a->port = opts->port;
	a->max_extract_bytes = opts->max_extract_bytes;
	a->max_extract_entries = opts->max_extract_entries;
	a->on_update = opts->on_update;
	a->data = opts->data;
	a->images = opts->images;
	agent_defaults(a, opts);
	a->work_dir = realpath(opts->work_dir, NULL);
	if (!a->work_dir) {
		rc = roger_err_set(err, ROGER_EIO, "cannot resolve '%s': %s",
				   opts->work_dir, strerror(errno));
		goto fail;
	}
	a->agent_id = strdup(opts->agent_id);
	a->hostname = strdup(opts->hostname && *opts->hostname ? opts->hostname
							       : "127.0.0.1");
	if ((opts->ca_file && !(a->ca_file = strdup(opts->ca_file))) ||
	    (opts->token && !(a->token = strdup(opts->token)))) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto fail;
	}
	a->user = current_user();
	env = roger_ctx_getenv(ctx, "PATH");
	a->default_path = strdup(env ? env : DEFAULT_PATH);
	env = roger_ctx_getenv(ctx, "HOME");
	a->home = env ? strdup(env) : NULL;
	if (!a->agent_id || !a->hostname || !a->user || !a->default_path ||
	    (env && !a->home) ||
	    roger_buf_addf(&b, "%s/slaves/%s", a->work_dir, a->agent_id) < 0 ||
	    !(a->slave_dir = strdup(b.buf))) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto fail;
	}
	rotate_sandboxes(a);
	roger_agent_image_setup(a);
	if ((rc = roger_fs_mkdirs(a->slave_dir, 0755, err)) < 0)
		goto fail;
	a->start_time = wall_now(a);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	roger_buf_reset(&b);
	if (roger_buf_addf(&b, "MESOS_DIRECTORY=%s/", a->slave_dir) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto fail;
	}
	kill_leftovers(a, b.buf);
	if ((rc = roger_watchdog_start(&a->watchdog, b.buf, err)) < 0) {
		curl_global_cleanup();
		goto fail;
	}
	a->gc_started = pthread_create(&a->gc_thread, NULL, gc_main, a) == 0;
	roger_buf_release(&b);
	*out = a;
	return 0;
fail:
	roger_buf_release(&b);
	free(a->work_dir);
	free(a->slave_dir);
	free(a->agent_id);
	free(a->hostname);
	free(a->ca_file);
	free_secret(a->token);
	free(a->user);
	free(a->default_path);
	free(a->home);
	free(a->isolation_why);
	pthread_mutex_destroy(&a->lock);
	free(a);
	return rc;
}

static void wake(struct roger_agent_run *r)
{
	uint64_t one = 1;
	ssize_t n = write(r->wake_fd, &one, sizeof(one));

	(void)n; /* a full counter is already awake */
}

/* Record a kill request (under the lock): the run's thread carries it out. */
static void request_kill(struct roger_agent_run *r, double grace)
{
	int64_t deadline;

	/* A grace beyond INT32_MAX s is forever; in ms it must fit an int64. */
	if (!(grace > 0))
		grace = 0;
	else if (grace > INT32_MAX)
		grace = INT32_MAX;
	deadline = roger_clock_ms(CLOCK_MONOTONIC) + (int64_t)(grace * 1000.0);

	if (!r->kill_requested || deadline < r->kill_deadline_ms)
		r->kill_deadline_ms = deadline;
	r->kill_requested = true;
	wake(r);
}

void roger_agent_free(struct roger_agent *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->closing = true;
	for (struct roger_agent_run *r = a->runs; r; r = r->next)
		if (!roger_agent_run_over(r))
			request_kill(r, r->kill_grace);
	pthread_mutex_unlock(&a->lock);

	/* Join every thread; none is evicted once closing is set, but an
	 * eviction begun before may still be joining its victims. */
	for (;;) {
		struct roger_agent_run *todo = NULL;

		pthread_mutex_lock(&a->lock);
		for (struct roger_agent_run *r = a->runs; r && !todo;
		     r = r->next)
			if (!r->joined)
				todo = r;
		if (todo)
			todo->joined = true;
		pthread_mutex_unlock(&a->lock);
		if (!todo)
			break;
		pthread_join(todo->thread, NULL);
	}
	roger_watchdog_stop(&a->watchdog);
	if (a->gc_started)
		pthread_join(a->gc_thread, NULL);
	while (a->runs) {
		struct roger_agent_run *r = a->runs;

		a->runs = r->next;
		run_free(r);
	}
	curl_global_cleanup();
	pthread_mutex_destroy(&a->lock);
	free(a->work_dir);
	free(a->slave_dir);
	free(a->agent_id);
	free(a->hostname);
	free(a->ca_file);
	free_secret(a->token);
	free(a->user);
	free(a->default_path);
	free(a->home);
	free(a->isolation_why);
	free(a);
}

int roger_agent_launch(struct roger_agent *a, const struct roger_agent_task *t,
		       struct roger_err *err)
{
	struct roger_agent_run *r = NULL;
	int rc;

	if (!valid_id(t->task_id))
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid task id '%s'",
				     t->task_id ? t->task_id : "");
	if (!valid_id(t->framework_id))
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid framework id '%s' for task '%s'",
				     t->framework_id ? t->framework_id : "",
				     t->task_id);
	if (!t->cmd && !t->image && !(t->args && t->args[0] && *t->args[0]))
		return roger_err_set(
			err, ROGER_EINVALID,
			"task '%s' has neither a command nor arguments",
			t->task_id);
	if (t->n_ports < 0 || (t->n_ports > 0 && !t->ports))
		return roger_err_set(err, ROGER_EINVALID,
				     "task '%s' has an invalid port list",
				     t->task_id);
	if ((rc = run_new(&r, a, t, err)) < 0)
		return rc;
	r->agent = a;
	if ((rc = make_sandbox(r, err)) < 0)
		goto fail;

	pthread_mutex_lock(&a->lock);
	if (a->closing) {
		rc = roger_err_set(err, ROGER_ERROR,
				   "the agent is shutting down");
	} else if (find_live(a, t->task_id)) {
		rc = roger_err_set(err, ROGER_EEXISTS,
				   "task '%s' is already running", t->task_id);
	} else {
		rc = pthread_create(&r->thread, NULL, run_main, r);
		if (rc != 0) {
			rc = roger_err_set(
				err, ROGER_ERROR,
				"cannot start a thread for task '%s': %s",
				t->task_id, strerror(rc));
		} else {
			r->next = a->runs;
			a->runs = r;
			link_latest(a, r);
		}
	}
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		goto fail;
	roger_log(a->ctx, ROGER_LOG_DEBUG, "launched task '%s' in '%s'",
		  r->task_id, r->sandbox);
	return 0;
fail:
	remove_tree(r->sandbox);
	run_free(r);
	return rc;
}

int roger_agent_kill(struct roger_agent *a, const char *task_id,
		     double grace_seconds, struct roger_err *err)
{
	struct roger_agent_run *r;
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	r = task_id ? find_live(a, task_id) : NULL;
	if (!r)
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "task '%s' is not running",
				   task_id ? task_id : "");
	else
		request_kill(r, grace_seconds);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int roger_agent_watchdog(struct roger_agent *a, long *pid,
			 struct roger_err *err)
{
	int rc = roger_watchdog_check(&a->watchdog, err);

	if (pid)
		*pid = (long)roger_watchdog_pid(&a->watchdog);
	return rc;
}

unsigned roger_agent_watchdog_restarts(struct roger_agent *a)
{
	return roger_watchdog_restarts(&a->watchdog);
}

char *roger_agent_sandbox(struct roger_agent *a, const char *task_id)
{
	char *s = NULL;

	pthread_mutex_lock(&a->lock);
	for (struct roger_agent_run *r = a->runs; r && !s; r = r->next)
		if (strcmp(r->task_id, task_id) == 0)
			s = strdup(r->sandbox);
	pthread_mutex_unlock(&a->lock);
	return s;
}

int roger_agent_task_env(char ***out, struct roger_agent *a,
			 const char *task_id)
{
	int rc = ROGER_ENOTFOUND;

	*out = NULL;
	pthread_mutex_lock(&a->lock);
	for (struct roger_agent_run *r = a->runs; r; r = r->next) {
		if (strcmp(r->task_id, task_id) == 0) {
			rc = task_env(out, a, r);
			break;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void roger_agent_reply_init(struct roger_agent_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 500;
	r->content_type = "text/plain";
	roger_buf_init(&r->body);
	r->fd = -1;
}

void roger_agent_reply_release(struct roger_agent_reply *r)
{
	if (!r)
		return;
	roger_buf_release(&r->body);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
