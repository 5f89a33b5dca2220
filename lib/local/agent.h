/*
 * agent.h - roger local's Mesos agent: task sandboxes, the fetcher, task
 * processes, and the Mesos state and files endpoints computed from them.
 *
 * The scheduler side of roger local (apps, deployments, health checks,
 * backoff, the Marathon API) decides which tasks should run; the agent runs
 * them as local processes the way a Mesos agent with the command executor
 * does, and reports every task state change through a callback, as Mesos
 * status updates.  The split is the real one: Marathon never touches a
 * process, the agent never knows about apps or versions.
 *
 * Threads: every function here may be called from any thread.  Callbacks
 * come from the agent's own threads, never while the caller holds an agent
 * function, so a callback may take the scheduler's lock and call back into
 * the agent.
 */
#ifndef ROGER_LOCAL_AGENT_H
#define ROGER_LOCAL_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

struct roger_ctx;
struct roger_err;
struct roger_agent;

/* Mesos task states, with the names Mesos and Marathon print. */
#define ROGER_TASK_STATES(X)                    \
	X(ROGER_TASK_STAGING, "TASK_STAGING")   \
	X(ROGER_TASK_STARTING, "TASK_STARTING") \
	X(ROGER_TASK_RUNNING, "TASK_RUNNING")   \
	X(ROGER_TASK_KILLING, "TASK_KILLING")   \
	X(ROGER_TASK_FINISHED, "TASK_FINISHED") \
	X(ROGER_TASK_FAILED, "TASK_FAILED")     \
	X(ROGER_TASK_KILLED, "TASK_KILLED")     \
	X(ROGER_TASK_LOST, "TASK_LOST")         \
	X(ROGER_TASK_ERROR, "TASK_ERROR")

enum roger_task_state {
#define ROGER_TASK_STATE_ENUM_(name, text) name,
	ROGER_TASK_STATES(ROGER_TASK_STATE_ENUM_)
#undef ROGER_TASK_STATE_ENUM_
};

/* "TASK_RUNNING" for ROGER_TASK_RUNNING. */
const char *roger_task_state_name(enum roger_task_state s);
/* Whether the state is final (FINISHED, FAILED, KILLED, LOST, ERROR). */
bool roger_task_state_terminal(enum roger_task_state s);

/* What the scheduler asks the agent to run (all borrowed for the call). */
struct roger_agent_task {
	const char *task_id; /* Marathon's task id; also the executor id */
	const char *framework_id; /* Marathon's framework id */
	const char *name; /* the app id, for the executor name */
	const char *cmd; /* run as /bin/sh -c cmd; NULL when args */
	const char *const *args; /* NULL-terminated argv when cmd is NULL */
	const json_t *fetch; /* Marathon `fetch` array, or NULL */
	/*
	 * The environment Marathon sets (PORT0.., HOST, MARATHON_APP_*, labels,
	 * the app's env), NULL-terminated "NAME=value".  The agent adds the
	 * Mesos variables (MESOS_SANDBOX, MESOS_TASK_ID, ...) and PATH/HOME
	 * from its own environment when absent.
	 */
	const char *const *env;
	double cpus, mem, disk;
	const uint16_t *ports; /* host ports given to the task */
	int n_ports;
	/* Marathon's taskKillGracePeriodSeconds, the grace roger_agent_free()
	 * gives the task; 0 for Mesos' default, 3 seconds. */
	double kill_grace_seconds;
	const char *framework_name; /* NULL: "marathon" */
	/*
	 * The image to run the task in (Marathon's container.docker.image,
	 * either container type), or NULL for a plain process.  The task then
	 * runs as the Mesos containerizer runs one (container.h); the pull
	 * happens while it is TASK_STAGING.
	 */
	const char *image;
	bool force_pull_image; /* container.docker.forcePullImage */
};

struct roger_agent_update {
	const char *task_id;
	enum roger_task_state state;
	/* Mesos-style reason text: "Command exited with status 1",
	 * "Failed to launch container: Failed to fetch all URIs for
	 * container '<cid>' with exit status: 256", "Command terminated with
	 * signal Killed"; "" when none. */
	const char *message;
	double timestamp; /* seconds since the epoch, as Mesos prints it */
};

typedef void (*roger_agent_update_fn)(void *data,
				      const struct roger_agent_update *u);

struct roger_agent_options {
	const char *work_dir; /* sandboxes live under <work_dir>/slaves/... */
	const char *agent_id; /* e.g. "<uuid>-S0" */
	const char *hostname; /* "127.0.0.1" */
	int port; /* the HTTP port the agent is served on */
	roger_agent_update_fn on_update;
	void *data;
	/* What the agent offers, as its state shows it; 0: the machine's
	 * processors, its physical memory in MB, 10240 MB of disk. */
	double cpus, mem, disk;
	/* The fetcher's CA file (struct roger_fetch_opts); NULL: the system's.
	 */
	const char *ca_file;
	/* The fetcher's caps on what one archive extracts (bytes, entries);
	 * 0: the defaults, UINT64_MAX: none (struct roger_fetch_opts). */
	uint64_t max_extract_bytes, max_extract_entries;
	/* The server's token, which the fetcher sends to URIs of the server
	 * itself (`port` on a loopback name) and nowhere else; NULL: none. */
	const char *token;
	/* The host port range it shows; 0: 31000-32000. */
	unsigned port_min, port_max;
	/* How many finished tasks are kept, with their sandboxes on disk, for
	 * the state and files endpoints; older ones are deleted.  0: 100. */
	unsigned max_completed;
	/* The image store image tasks are pulled into (borrowed, outlives the
	 * agent); NULL: image tasks fail. */
	struct roger_images *images;
};

/*
 * Create the agent: its directories under work_dir, and the watchdog
 * process that kills every task process group if this process dies
 * without roger_agent_free() (SIGKILL, a crash).  Call it after any
 * daemonizing fork, in the process that will serve; the process must not
 * ignore SIGCHLD.  `ctx` (borrowed, may be NULL) gives the log, the clock
 * and the PATH and HOME that tasks inherit.
 */
int roger_agent_new(struct roger_agent **out, struct roger_ctx *ctx,
		    const struct roger_agent_options *opts,
		    struct roger_err *err);
/*
 * Kill every task (SIGTERM, SIGKILL after its kill_grace_seconds) and free
 * the agent.  Blocks until every task process is gone.  No callback starts
 * once it is called, but it waits for those in flight: never call it while
 * holding a lock the callback takes.  NULL is fine.
 */
void roger_agent_free(struct roger_agent *a);

/*
 * Start a task: create its sandbox, then (on an agent thread) fetch its
 * URIs and start its process, reporting STARTING then RUNNING, or FAILED
 * with Mesos' message when the fetch fails.  Returns at once.
 */
int roger_agent_launch(struct roger_agent *a, const struct roger_agent_task *t,
		       struct roger_err *err);

/*
 * Kill a task's process group: SIGTERM, then SIGKILL after `grace_seconds`.
 * Reports KILLING, then KILLED.  ROGER_ENOTFOUND for an unknown or finished
 * task.
 */
int roger_agent_kill(struct roger_agent *a, const char *task_id,
		     double grace_seconds, struct roger_err *err);

/*
 * Check the watchdog (see roger_agent_new()): when something killed it,
 * start a new one that protects every running task.  0: it runs, 1: a new
 * one was started, negative: none runs and none could be started, so a
 * crash of this process would leave the tasks running.  `*pid` (may be
 * NULL) gets the watchdog's pid, -1 for none.  Call it often.
 */
int roger_agent_watchdog(struct roger_agent *a, long *pid,
			 struct roger_err *err);
/* How many times the watchdog was replaced after it died. */
unsigned roger_agent_watchdog_restarts(struct roger_agent *a);
/* Why this agent cannot run image tasks (no way to isolate them), or NULL
 * when it can (borrowed, for the agent's life). */
const char *roger_agent_isolation_why(struct roger_agent *a);

/*
 * Delete the sandboxes of finished tasks beyond the `keep` most recent of
 * each app (the agent knows an app by the task's `name`), and those of
 * earlier runs of the agent, which it no longer serves.  A task that runs
 * is never touched.  *removed and *bytes get how many sandboxes (or
 * earlier generations) and how many bytes of files they held.  Returns 0.
 */
int roger_agent_prune(struct roger_agent *a, unsigned keep, unsigned *removed,
		      uint64_t *bytes);

/*
 * Delete the sandboxes of earlier runs of an agent whose work directory
 * is `work_dir` (slaves.previous, and what a start left to delete),
 * adding to *removed and *bytes.
 */
void roger_agent_prune_generations(const char *work_dir, unsigned *removed,
				   uint64_t *bytes);

/* The bytes of the files under `path`, symbolic links not followed. */
uint64_t roger_agent_tree_bytes(const char *path);

/* The sandbox directory of a task, running or completed (new string). */
char *roger_agent_sandbox(struct roger_agent *a, const char *task_id);

/*
 * The environment the task's process was given (its own variables, the
 * agent's MESOS_*, PATH and HOME), as a new NULL-terminated vector for
 * execve(): what a COMMAND health check runs with, as in Mesos.  Free each
 * string and the vector.  ROGER_ENOTFOUND for an unknown task.
 */
int roger_agent_task_env(char ***out, struct roger_agent *a,
			 const char *task_id);

/*
 * Run a COMMAND health check of task `task_id` as the Mesos executor
 * does (agent-check.c): `sh -c command` in its sandbox with its
 * environment, at most `timeout_s` seconds; its process group is recorded
 * by the watchdog and killed when the task ends or is being killed, or
 * when `stop` (may be NULL; called with `data` every few milliseconds)
 * says so.  Waits for it: 1 when it exits with 0; 0 when it fails
 * (`cause` says how: its exit status, the timeout); -1 when it gives no
 * result (the task is not running, the server stops or could not start
 * it).
 */
int roger_agent_check_command(struct roger_agent *a, const char *task_id,
			      const char *command, int timeout_s,
			      bool (*stop)(void *data), void *data, char *cause,
			      size_t size);

/* ---- Mesos endpoints, as data for the HTTP server ------------------------ */

/*
 * A reply to send as is.  An error reply may have an empty body (Mesos'
 * 404); content_type is then still set.  With `fd` >= 0 (downloads) the
 * body is empty and the file, open for reading at offset 0, is the reply:
 * send `Content-Disposition: attachment; filename=<filename>`.  The reply
 * owns the descriptor: a server that hands it to something that closes it
 * (MHD_create_response_from_fd) sets `fd` to -1 before releasing.
 */
struct roger_agent_reply {
	int status; /* HTTP status */
	const char *content_type; /* static string, never NULL */
	struct roger_buf body;
	int fd; /* >= 0: send this file instead of body */
	char filename[256]; /* with fd: for Content-Disposition */
};

/* An empty reply (500, text/plain, no fd); release it after use. */
void roger_agent_reply_init(struct roger_agent_reply *r);
/* Free the body and close `fd` if still >= 0.  NULL is fine. */
void roger_agent_reply_release(struct roger_agent_reply *r);

/* GET /slave(1)/state (and /state on the agent): new reference, NULL when
 * out of memory. */
json_t *roger_agent_state(struct roger_agent *a);
/* A framework as the master lists it. */
struct roger_agent_framework {
	const char *id;
	const char *name; /* "marathon", "metronome" */
};

/*
 * GET /master/state (and /state on the master): the master's view of this
 * one agent and of the `n` frameworks `fws` (Marathon's, Metronome's),
 * each with its running and completed tasks; `master_url` becomes their
 * webui_url.  New reference, NULL when out of memory.
 */
json_t *roger_agent_master_state(struct roger_agent *a,
				 const struct roger_agent_framework *fws,
				 size_t n, const char *master_url);

/*
 * GET /files/read, /files/browse, /files/download with the query values as
 * the server decoded them (NULL when absent), answered with Mesos'
 * statuses and bodies (section 8.4) into `out` (initialized by the
 * caller).  Paths: a sandbox's real path, its `runs/latest` path, or the
 * virtual /frameworks/<fid>/executors/<eid>/runs/latest, and what lies
 * inside; anything else is 404 with an empty body, and a path leading out
 * of its sandbox through a link is 403.  /files/read's `data` holds the
 * file's raw bytes, which need not be UTF-8 (as in Mesos): parse it with
 * a decoder that accepts that, or check roger_utf8_valid() first.
 */
void roger_agent_files_read(struct roger_agent *a, const char *path,
			    const char *offset, const char *length,
			    struct roger_agent_reply *out);
void roger_agent_files_browse(struct roger_agent *a, const char *path,
			      struct roger_agent_reply *out);
void roger_agent_files_download(struct roger_agent *a, const char *path,
				struct roger_agent_reply *out);

/* ---- commands inside tasks, and their statistics (agent-exec.c) ------- */

/*
 * Where a command started inside a running task runs (a nested container
 * session): the task's sandbox and environment, and its first process.
 * Everything is a copy; release it with roger_agent_exec_target_release().
 */
struct roger_agent_exec_target {
	char *task_id;
	char *sandbox; /* the working directory */
	char **env; /* the task's environment, NULL-terminated */
	pid_t task_pid; /* the task's first process (its session's leader) */
	/*
	 * An image task: the session joins its container (task_pid is the
	 * container's init) and runs in ROGER_CONTAINER_SANDBOX there, as
	 * its user; env is the container's.  Else it runs on the host.
	 */
	bool in_container;
	bool userns; /* the container has a user namespace of its own */
	uid_t uid; /* the container's user (set when not userns) */
	gid_t gid;
};

/*
 * The target of the running task whose container id is `container_id`.
 * ROGER_ENOTFOUND ("Root container <id> not found", as Mesos words it)
 * when no live task has it; ROGER_EEXISTS when its task has no process
 * (still fetching, or ending); ROGER_ENOMEM.
 */
int roger_agent_exec_target(struct roger_agent_exec_target *out,
			    struct roger_agent *a, const char *container_id,
			    struct roger_err *err);
void roger_agent_exec_target_release(struct roger_agent_exec_target *t);

/* Whether the task of `container_id` runs and nobody asked to kill it. */
bool roger_agent_container_live(struct roger_agent *a,
				const char *container_id);
/* Whether the task of `container_id` reached a terminal state (or is
 * unknown). */
bool roger_agent_container_over(struct roger_agent *a,
				const char *container_id);

/* The process of a session: what to run and its descriptors. */
struct roger_agent_exec_cmd {
	/* What execve() runs (roger_proc_find_program); in a container,
	 * the program's name, looked for in the container's PATH. */
	const char *path;
	char *const *argv;
	char *const *envp; /* the whole environment */
	int in_fd, out_fd, err_fd;
	bool ctty; /* in_fd is a terminal to make the controlling one */
};

/*
 * Start a session's process inside the task `t`: a session of its own,
 * recorded by the watchdog, in the task's sandbox (and, once tasks run in
 * containers, inside the task's container).  As roger_proc_spawn(): *out
 * is the pid, which the caller waits for with WNOWAIT and then hands to
 * roger_agent_exec_reap().
 */
int roger_agent_exec_spawn(pid_t *out, int *exec_errno, struct roger_agent *a,
			   const struct roger_agent_exec_target *t,
			   const struct roger_agent_exec_cmd *c,
			   struct roger_err *err);
/* After the process exited: kill what is left of its process group,
 * unrecord it from the watchdog, reap it. */
void roger_agent_exec_reap(struct roger_agent *a, pid_t pid);

/*
 * GET /monitor/statistics: one entry per running task, with its cpu
 * times, resident memory, processes and threads summed over the
 * processes of its session, and its limits.  New reference, NULL when out
 * of memory.
 */
json_t *roger_agent_statistics(struct roger_agent *a);

/* The fields of one /proc/<pid>/stat line that statistics use. */
struct roger_agent_proc_stat {
	long session;
	unsigned long long utime, stime, cutime, cstime; /* clock ticks */
	long threads;
	long long rss_pages;
};

/* Read a /proc/<pid>/stat line (`len` bytes): 0, or -1 when malformed. */
int roger_agent_proc_stat_parse(struct roger_agent_proc_stat *out,
				const char *line, size_t len);

#endif
