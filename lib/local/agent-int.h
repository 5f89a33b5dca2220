/*
 * agent-int.h - what the agent's source files (agent.c, mesos-state.c,
 * files.c) share: the agent and one task run.  Not installed, not for the
 * scheduler: it goes through agent.h.
 */
#ifndef ROGER_LOCAL_AGENT_INT_H
#define ROGER_LOCAL_AGENT_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "local/agent.h"
#include "local/watchdog.h"

#define ROGER_AGENT_MESOS_VERSION "1.11.0"
#define ROGER_AGENT_MAX_STATUSES 8

struct roger_agent_status {
	enum roger_task_state state;
	double timestamp;
};

/*
 * One task and its executor run.  The fields above `lock-protected` never
 * change after roger_agent_launch() publishes the run; the others are read
 * and written under the agent's lock.
 */
struct roger_agent_run {
	struct roger_agent_run *next; /* newest first */
	struct roger_agent *agent;
	char *task_id;
	char *framework_id;
	char *framework_name;
	char *name;
	char *container_id;
	char *cmd; /* or NULL */
	char **args; /* or NULL */
	char **env; /* the task's own, NULL-terminated */
	json_t *fetch;
	char *executor_dir; /* <slave_dir>/frameworks/<fid>/executors/<tid> */
	char *sandbox; /* <executor_dir>/runs/<container_id> */
	double cpus, mem, disk;
	uint16_t *ports;
	int n_ports;
	double kill_grace;
	char *image; /* or NULL: a plain process */
	bool force_pull;
	/* Image tasks, used by the run's thread only (agent-image.c). */
	struct roger_image_use *img;
	struct roger_container *ct;
	char **exec_paths;
	int wake_fd; /* eventfd: kill requested */
	pthread_t thread;

	/* lock-protected */
	enum roger_task_state state;
	struct roger_agent_status statuses[ROGER_AGENT_MAX_STATUSES];
	int n_statuses;
	pid_t pid; /* while the process runs, else 0 */
	bool kill_requested;
	int64_t kill_deadline_ms; /* monotonic */
	bool done; /* the thread finished its work and may be joined */
	bool joined; /* somebody joined (or is joining) the thread */
	uint64_t completed_seq; /* order of completion, 0 while live */
};

struct roger_agent {
	struct roger_ctx *ctx;
	char *work_dir; /* canonical */
	char *slave_dir; /* <work_dir>/slaves/<agent_id> */
	char *agent_id;
	char *hostname;
	char *ca_file; /* NULL: the system's CA certificates */
	uint64_t max_extract_bytes,
		max_extract_entries; /* the fetcher's caps */
	char *token; /* roger local's token (secret), or NULL */
	char *user;
	int port;
	roger_agent_update_fn on_update;
	void *data;
	double cpus, mem, disk;
	unsigned port_min, port_max;
	size_t max_completed;
	double start_time;
	char *default_path;
	char *home;

	pthread_mutex_t lock;
	struct roger_agent_run *runs;
	size_t n_completed;
	uint64_t completed_seq;
	bool closing;
	struct roger_watchdog watchdog;
	pthread_t gc_thread; /* deletes the sandboxes of older generations */
	bool gc_started;
	struct roger_images *images;
	char *isolation_why; /* why containers cannot run here, or NULL */
	bool overlay_broken; /* overlayfs failed once: copy the images */
};

/* The executor's name as Mesos words it (mesos-state.c); new reference. */
json_t *roger_agent_executor_name(const struct roger_agent_run *r);

/* ---- agent-image.c: tasks that run in an image ----------------------------- */

struct roger_err;
struct roger_proc_spec;

/*
 * Before TASK_STARTING: pull the run's image, decide its command, its
 * environment (*envp, the task's, is replaced by the container's) and
 * user, and prepare its root.  *argv gets the command.  ROGER_EINTR when
 * the task was killed meanwhile; otherwise a failure is the message of
 * TASK_FAILED after "Failed to launch container: ".
 */
int roger_agent_image_prepare(struct roger_agent *a, struct roger_agent_run *r,
			      char ***envp, char ***argv,
			      bool (*cancelled)(void *data), void *data,
			      struct roger_err *err);
/* Start what roger_agent_image_prepare() prepared, as roger_proc_spawn(). */
int roger_agent_image_spawn(struct roger_agent *a, struct roger_agent_run *r,
			    const struct roger_proc_spec *spec, pid_t *pid,
			    int *exec_errno, struct roger_err *err);
/* The command's own exit status in place of its container init's. */
void roger_agent_image_exit(struct roger_agent_run *r, siginfo_t *si);
/* Once the task's processes are gone: its root removed, its image let go. */
void roger_agent_image_release(struct roger_agent_run *r);
/* At start: the containers an earlier run of the agent left behind. */
void roger_agent_image_setup(struct roger_agent *a);

/* Whether the run's task reached a terminal state (under the lock). */
static inline bool roger_agent_run_over(const struct roger_agent_run *r)
{
	return roger_task_state_terminal(r->state);
}

#endif
