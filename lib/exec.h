/*
 * exec.h - run a command inside a running task, as `dcos task exec` does:
 * a nested container session through the agent operator API v1
 * (MESOS-CONTAINERS.md section 8), for `roger exec`.
 *
 * The walk: the app's tasks from Marathon, one picked (the only one, the
 * one asked for, or the first healthy one); its container id and agent
 * from the master's state; then on the agent, three requests:
 *  - LAUNCH_NESTED_CONTAINER_SESSION, whose reply is the command's output
 *    as a RecordIO stream of ProcessIO records, written out as it comes
 *    until the command's output closes; the records in protobuf when the
 *    agent offers it (Message-Accept names it first, and the reply's
 *    Message-Content-Type says which came: JSON when absent), since JSON
 *    carries the bytes in base64, which costs more than the rest of the
 *    session; an agent answering 406 to that list is asked once more for
 *    JSON alone;
 *  - ATTACH_CONTAINER_INPUT, once the session's reply head arrived (the
 *    container then exists), with -i or -t: a chunked upload that stays
 *    open, carrying standard input, the window size (first, then on every
 *    change) and a heartbeat every 30 s;
 *  - WAIT_CONTAINER (WAIT_NESTED_CONTAINER before Mesos 1.5), once the
 *    output ended, for the exit status.
 * The session and the input run on two connections at once, the input in
 * a thread of its own.
 *
 * Errors, each with its code, so that a command can tell them apart:
 *  - ROGER_EINVALID: the task runs under the Docker containerizer, which
 *    has no nested containers (the agent's 400 "Nested containers are not
 *    supported"): only tasks of the Mesos containerizer can be entered;
 *  - ROGER_ERROR: the agent has no operator API v1 (Mesos before 1.2);
 *  - ROGER_EAUTH: the agent refused the credentials (401, 403);
 *  - ROGER_ENOTFOUND: no such task, or the task ended (before the session
 *    started, or during it: a session killed with its task says so);
 *  - ROGER_EUSAGE: --task names several tasks;
 *  - ROGER_ENET, ROGER_EINTR: unreachable, interrupted.
 */
#ifndef ROGER_EXEC_H
#define ROGER_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_ctx;
struct roger_err;
struct roger_marathon;
struct roger_marathon_task;
struct roger_target;

/*
 * Pick the task to run in among an app's `tasks`: with `want` (what
 * --task says: an id, a short name, or the start of either), the running
 * task it names; without, the only running task, or, among several, the
 * oldest healthy one (the oldest running one when none has a health
 * result), and then *of_many is set so that the caller can say which was
 * picked.  ROGER_ENOTFOUND when no running task fits, ROGER_EUSAGE when
 * `want` names several (err lists them).  Pure.
 */
ROGER_EXTERN int roger_exec_pick_task(const struct roger_marathon_task **out,
				      bool *of_many,
				      const struct roger_marathon_task *tasks,
				      size_t n, const char *app_id,
				      const char *want, struct roger_err *err);

struct roger_exec_opts {
	const char *app_id;
	const char *task; /* --task; NULL: pick one */
	char *const *argv; /* the command, NULL-terminated, not empty */
	bool interactive; /* -i: standard input goes to the command */
	bool tty; /* -t: a pseudo-terminal */
	const char *term; /* TERM inside, with tty; NULL: "xterm" */
	int in_fd, out_fd, err_fd;
	/*
	 * With tty: the terminal whose window size is sent (-1: none), and a
	 * descriptor that becomes readable when that size changed (the read
	 * end of a pipe a SIGWINCH handler writes to; -1: none).  Its bytes
	 * are read and dropped.
	 */
	int tty_fd;
	int winch_fd;
	/*
	 * Told which task was picked among several (may be NULL): the
	 * oldest healthy one (`healthy`), or the oldest one when none has
	 * a health result.
	 */
	void (*on_pick)(void *data, const char *task_id, size_t n_running,
			bool healthy);
	void *data;
};

/*
 * Run `o->argv` in a task of app `o->app_id` on `target` and wait until
 * it ends; *exit_code gets its exit code (128 + N for signal N).  When the
 * output cannot be written because its reader went away (EPIPE), the
 * session is ended and *exit_code is 141, as for a command killed by
 * SIGPIPE.  Errors: see the top of this file.
 */
ROGER_EXTERN int roger_exec_run(int *exit_code, struct roger_ctx *ctx,
				const struct roger_target *target,
				struct roger_marathon *marathon,
				const struct roger_exec_opts *o,
				struct roger_err *err);

ROGER_END_DECLS

#endif
