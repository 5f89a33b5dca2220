/*
 * mesos.h - from a Marathon task to the bytes of its sandbox files, through
 * Mesos' own HTTP API (MARATHON-MESOS.md section 8): the master's state
 * names the task's agent, the agent's state names its sandbox directory,
 * and the agent's files API reads the files.
 *
 * Two layers, in this order in the file:
 *  - replies as structs (pure): roger_mesos_master_parse() and
 *    roger_mesos_agent_parse() read /master/state and /slave(1)/state in
 *    the shapes of Mesos 1.0 to 1.11 (agents with `hostname`/`port` or
 *    only a `pid`; tasks in frameworks and completed frameworks, live,
 *    unreachable and completed; executors live and completed; pods), and
 *    roger_mesos_read_parse() reads a /files/read reply whose `data` may
 *    hold bytes that are not UTF-8 (Mesos copies the file's bytes into the
 *    JSON string as they are, so the text is not always valid JSON);
 *  - the client (thin I/O over struct roger_http_client): state fetches,
 *    the size probe, reads looped over the agent's 64 KiB cap, and
 *    roger_mesos_locate(), which does the whole walk from a task id to its
 *    agent URL and sandbox file.
 *
 * The master is reached through the target's Mesos URL, following the 307
 * a non-leading master answers (the HTTP client does).  An agent is reached
 * at http(s)://<hostname>:<port> from the master's state (the scheme of the
 * master URL; the `pid` "slave(1)@ip:port" when hostname and port are
 * absent), or, when the master URL ends in "/mesos" as on DC/OS, through
 * the same front door at <prefix>/slave/<agentId> (Admin Router's route to
 * an agent; "/agent/" is its newer alias).  Requests to agents
 * carry the target's credentials like those to the master.
 *
 * Parsed structs keep a reference to their JSON and borrow their strings
 * from it; a missing string is NULL, a missing number 0.
 */
#ifndef ROGER_MESOS_H
#define ROGER_MESOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "common.h"

ROGER_BEGIN_DECLS

struct roger_ctx;
struct roger_err;
struct roger_http_client;
struct roger_target;

/* The most /files/read returns at once (Mesos: 16 pages). */
#define ROGER_MESOS_READ_CAP 65536

/* ---- the master's state -------------------------------------------------- */

/* An agent, as the master lists it in `slaves`. */
struct roger_mesos_agent_info {
	const char *id;
	const char *hostname; /* NULL before Mesos 1.2 */
	int port; /* 0 before Mesos 1.2, or when not a port */
	const char *pid; /* "slave(1)@10.0.1.7:5051" */
	bool active;
	const char *version; /* "1.7.2"; NULL when the master does not say */
	/* resources and used_resources: cpus and memory (MB); 0 when absent */
	double cpus, mem, used_cpus, used_mem;
};

/* A task, from any framework's tasks, unreachable or completed tasks. */
struct roger_mesos_task {
	const char *id;
	const char *name;
	const char *framework_id;
	const char *slave_id;
	const char *executor_id; /* "" for command tasks */
	const char *state; /* "TASK_FAILED" */
	const char *container_id; /* of the last status carrying one */
	double timestamp; /* of the last status, seconds */
	bool completed; /* listed in completed_tasks */
	/* The parent of container_id (a task of a pod), else NULL. */
	const char *container_parent;
};

struct roger_mesos_master {
	json_t *json;
	const char *version;
	const char *leader; /* "master@10.0.1.10:5050" */
	struct roger_mesos_agent_info *agents;
	size_t n_agents;
	/* Live and unreachable tasks first, then completed ones. */
	struct roger_mesos_task *tasks;
	size_t n_tasks;
};

/*
 * Parse GET /master/state.  ROGER_EHTTP when the body is not JSON or not a
 * master's state ("invalid JSON in the master state: ...").
 */
ROGER_EXTERN int roger_mesos_master_parse(struct roger_mesos_master **out,
					  const char *body, size_t len,
					  struct roger_err *err);
ROGER_EXTERN void roger_mesos_master_free(struct roger_mesos_master *m);

/*
 * The task `task_id` (borrowed), or NULL.  A live entry wins over a
 * completed one (Mesos may list both around a failover).
 */
ROGER_EXTERN const struct roger_mesos_task *
roger_mesos_master_task(const struct roger_mesos_master *m,
			const char *task_id);
/* The agent `agent_id` (borrowed), or NULL. */
ROGER_EXTERN const struct roger_mesos_agent_info *
roger_mesos_master_agent(const struct roger_mesos_master *m,
			 const char *agent_id);

/* What is free on the agents: the most on one active agent, and in all. */
struct roger_mesos_free {
	double cpus, mem; /* on the agent with the most free cpus */
	double total_cpus, total_mem;
	size_t agents; /* active ones */
};

/*
 * Free resources of `m`'s active agents: resources less used_resources
 * (never below 0), the agent with the most free cpus (the most free
 * memory breaking ties) in cpus and mem.  Pure.
 */
ROGER_EXTERN void
roger_mesos_master_free_resources(struct roger_mesos_free *out,
				  const struct roger_mesos_master *m);

/*
 * The base URL of an agent (no trailing '/'), as a new string: see the top
 * of this file.  `master_url` is the target's Mesos URL.  ROGER_EINVALID
 * when the agent has neither hostname and port nor a usable pid.
 */
ROGER_EXTERN int roger_mesos_agent_url(char **out,
				       const struct roger_mesos_agent_info *a,
				       const char *master_url,
				       struct roger_err *err);

/*
 * Whether the Mesos task `task_id` is a task of the Marathon app `app_id`:
 * "/web/hello" runs tasks "web_hello.<uuid>" (up to 1.7),
 * "web_hello.marathon-<uuid>" and "web_hello.instance-<uuid>._app.<n>"
 * (1.8+), and "web_hello.instance-<uuid>.<container>" in pods; the tasks
 * of "/web/hello.x" are not those of "/web/hello".
 */
ROGER_EXTERN bool roger_mesos_task_of_app(const char *task_id,
					  const char *app_id);

/* ---- an agent's state ---------------------------------------------------- */

struct roger_mesos_agent_state {
	json_t *json;
	const char *id;
	const char *hostname;
};

/* Parse GET /slave(1)/state.  ROGER_EHTTP as for the master. */
ROGER_EXTERN int roger_mesos_agent_parse(struct roger_mesos_agent_state **out,
					 const char *body, size_t len,
					 struct roger_err *err);
ROGER_EXTERN void
roger_mesos_agent_state_free(struct roger_mesos_agent_state *a);

/*
 * The sandbox directory holding the files of task `task_id`, as a new
 * string: the `directory` of the executor whose id or source is the task
 * id, or whose tasks, queued tasks or completed tasks list it, searched in
 * executors and completed executors of frameworks and completed frameworks
 * (only the framework `framework_id` when not NULL).  For a task of a pod
 * (an executor of type "DEFAULT" running several tasks) that is
 * "<directory>/tasks/<task_id>".  ROGER_ENOTFOUND when the agent does not
 * know the task, or knows no directory for it yet.
 */
ROGER_EXTERN int
roger_mesos_agent_sandbox(char **out, const struct roger_mesos_agent_state *a,
			  const char *framework_id, const char *task_id,
			  struct roger_err *err);

/* ---- the files API ------------------------------------------------------- */

/*
 * Parse a /files/read reply {"data": "...", "offset": N}: the bytes of
 * `data`, JSON escapes decoded and every other byte copied as it is (valid
 * UTF-8 or not), are appended to `data_out`, and `offset` goes to
 * *offset_out.  ROGER_EHTTP when the body is not such an object; `data_out`
 * then keeps its old contents.
 */
ROGER_EXTERN int roger_mesos_read_parse(struct roger_buf *data_out,
					int64_t *offset_out, const char *body,
					size_t len, struct roger_err *err);

/*
 * Append the URL of a read of `path` on the agent at `agent_url`:
 * "<agent_url>/files/read?path=<escaped>&offset=<offset>&length=<length>".
 * A negative `length` leaves it out (the agent reads up to its cap).
 */
ROGER_EXTERN int roger_mesos_read_url(struct roger_buf *out,
				      const char *agent_url, const char *path,
				      int64_t offset, int64_t length);

/* ---- the client ---------------------------------------------------------- */

struct roger_mesos;

/* A client over `http`, the master's (steals it, even on failure). */
ROGER_EXTERN int roger_mesos_new(struct roger_mesos **out,
				 struct roger_ctx *ctx,
				 struct roger_http_client *http,
				 struct roger_err *err);
/* A client for the Mesos master of a target (ROGER_EINVALID without one). */
ROGER_EXTERN int roger_mesos_for_target(struct roger_mesos **out,
					struct roger_ctx *ctx,
					const struct roger_target *target,
					struct roger_err *err);
ROGER_EXTERN void roger_mesos_free(struct roger_mesos *m);
/* The HTTP client underneath (borrowed). */
ROGER_EXTERN struct roger_http_client *
roger_mesos_http(const struct roger_mesos *m);

/*
 * Timeouts of the requests to agents, in ms (0: the defaults, 5 s to
 * connect and 30 s in all).  Requests to agents are tried once: the caller
 * decides whether to try again (a log follower skips a dead agent instead
 * of stalling every other task on retries).
 */
ROGER_EXTERN void roger_mesos_set_agent_timeouts(struct roger_mesos *m,
						 long connect_timeout_ms,
						 long timeout_ms);

/* GET /master/state (redirects to the leader followed). */
ROGER_EXTERN int roger_mesos_master_state(struct roger_mesos_master **out,
					  struct roger_mesos *m,
					  struct roger_err *err);
/* GET <agent_url>/slave(1)/state. */
ROGER_EXTERN int roger_mesos_agent_state(struct roger_mesos_agent_state **out,
					 struct roger_mesos *m,
					 const char *agent_url,
					 struct roger_err *err);

/*
 * The size of `path` on the agent (the probe: offset=-1).  ROGER_ENOTFOUND
 * when the agent does not serve that path (a sandbox removed by the
 * agent's garbage collection), ROGER_EAUTH when it refuses (403), ROGER_ENET
 * when it cannot be reached.
 */
ROGER_EXTERN int roger_mesos_file_size(int64_t *out, struct roger_mesos *m,
				       const char *agent_url, const char *path,
				       struct roger_err *err);
/*
 * One read of at most `length` bytes (negative: up to the agent's cap) of
 * `path` at `offset`, appended to `data`; it appends nothing at the end of
 * the file.  Errors as for roger_mesos_file_size().
 */
ROGER_EXTERN int roger_mesos_file_read(struct roger_buf *data,
				       struct roger_mesos *m,
				       const char *agent_url, const char *path,
				       int64_t offset, int64_t length,
				       struct roger_err *err);
/*
 * Read `length` bytes at `offset` in as many reads as the agent's cap
 * needs, appending them to `data`; stops early at the end of the file.
 */
ROGER_EXTERN int roger_mesos_file_read_range(struct roger_buf *data,
					     struct roger_mesos *m,
					     const char *agent_url,
					     const char *path, int64_t offset,
					     int64_t length,
					     struct roger_err *err);

/*
 * Stream `path` from the agent's /files/download, which sends the whole
 * file in one response where /files/read gives 64 KiB a request: the
 * first `skip` bytes are dropped, the rest handed to `fn` until `limit`
 * bytes of the file were seen (the transfer then ends early) or the file
 * ends.  *got counts the bytes given to `fn`, also on failure, so that a
 * caller can go on from there with /files/read.  No overall timeout: it
 * fails when nothing arrives for the agent timeout.  Errors as for
 * roger_mesos_file_size(), and whatever `fn` returns.
 */
ROGER_EXTERN int
roger_mesos_file_download(int64_t *got, struct roger_mesos *m,
			  const char *agent_url, const char *path, int64_t skip,
			  int64_t limit,
			  int (*fn)(void *data, const char *chunk, size_t len,
				    struct roger_err *err),
			  void *data, struct roger_err *err);

/* Where a task's files are. */
struct roger_mesos_sandbox {
	char *agent_id;
	char *agent_url; /* base URL of the agent */
	char *framework_id; /* NULL when the master did not say */
	char *directory; /* the sandbox, on the agent */
};

ROGER_EXTERN void roger_mesos_sandbox_release(struct roger_mesos_sandbox *s);
/* "<directory>/<name>" as a new string (NULL when out of memory). */
ROGER_EXTERN char *roger_mesos_sandbox_file(const struct roger_mesos_sandbox *s,
					    const char *name);

/*
 * Find the sandbox of task `task_id`: its agent from the master's state
 * (`master`, or a fresh GET when NULL or when it does not know the task or
 * agent; `agent_hint` is the agent id Marathon gave, used when the master
 * does not list the task), then the directory from that agent's state.
 * Agents' states are cached in the client and fetched again when they do
 * not know the task yet.  Fills *out on success.  ROGER_ENOTFOUND when the
 * master or the agent does not know the task (yet), with a message saying
 * which; the errors of the requests otherwise.
 */
ROGER_EXTERN int roger_mesos_locate(struct roger_mesos_sandbox *out,
				    struct roger_mesos *m,
				    const struct roger_mesos_master *master,
				    const char *task_id, const char *agent_hint,
				    struct roger_err *err);

/* Forget the cached agent states (and the master's agent list). */
ROGER_EXTERN void roger_mesos_forget(struct roger_mesos *m);

ROGER_END_DECLS

#endif
