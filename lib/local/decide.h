/*
 * decide.h - the decisions of roger local's scheduler as pure functions:
 * facts in, decisions out, no lock, no clock, no I/O (internal; see
 * decide.c).  scheduler.c and health.c gather the facts under the lock,
 * call these, and carry the decisions out.
 */
#ifndef ROGER_LOCAL_DECIDE_H
#define ROGER_LOCAL_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "local/agent.h"

/* ---- an app's tasks ---------------------------------------------------------- */

/* What the decisions need to know of one task of an app. */
struct roger_decide_task {
	bool live; /* not in a terminal state (one being killed is live) */
	bool alive; /* live, and the scheduler has not decided to kill it */
	bool ready; /* alive, running, and every health check passes */
	bool old; /* runs an older configuration than the app's */
	int64_t staged_ms;
	bool kill; /* out: roger_decide_reconcile() decided to kill it */
};

/* What reconciling needs to know of an app. */
struct roger_decide_app {
	long instances; /* wanted: 0 for an app being deleted */
	double min_health; /* upgradeStrategy.minimumHealthCapacity */
	double max_over; /* upgradeStrategy.maximumOverCapacity */
	bool oldest_first; /* killSelection is OLDEST_FIRST */
	bool restarting; /* a RestartApplication is its current step */
};

struct roger_decide_plan {
	int start; /* tasks to start now (backoff, capacity and ports allowing)
		    */
	int missing; /* instances missing before those start: the queue */
};

/*
 * Move an app towards `app->instances` alive tasks, as Marathon does:
 * during a restart, replace old tasks without going below
 * minimumHealthCapacity ready ones or above maximumOverCapacity extra
 * ones (old tasks that are not ready are replaced at once); otherwise
 * start what is missing or kill the surplus.  Sets `kill` on the tasks
 * to kill (tasks already marked count as killed) and fills `out`.
 */
void roger_decide_reconcile(struct roger_decide_plan *out,
			    struct roger_decide_task *tasks, size_t n,
			    const struct roger_decide_app *app);

/*
 * Which alive task (with `old_only`, of an old configuration) to kill
 * first: one not ready before ready ones, then by killSelection: the
 * most recently staged (YOUNGEST_FIRST; of equals, the last one) or the
 * least recently staged (`oldest_first`).  Its index, -1 when none.
 */
long roger_decide_victim(const struct roger_decide_task *tasks, size_t n,
			 bool old_only, bool oldest_first);

/* ---- deployments ------------------------------------------------------------- */

enum roger_decide_action {
	ROGER_DECIDE_START, /* StartApplication */
	ROGER_DECIDE_STOP, /* StopApplication */
	ROGER_DECIDE_SCALE, /* ScaleApplication, and any other name */
	ROGER_DECIDE_RESTART, /* RestartApplication */
};

/* The action named `name` (Marathon's name; NULL is a scale). */
enum roger_decide_action roger_decide_action_kind(const char *name);

/* The app an action names, NULL when it is unknown. */
struct roger_decide_target {
	bool deleted;
	long instances;
};

/*
 * Whether a deployment action is done: a start at once; a stop when the
 * app is gone or not deleted, or has no live task left; a restart when
 * `instances` tasks of the current configuration are ready and no old one
 * is alive; a scale when `instances` tasks are alive and ready.  An
 * action on an app that is gone (or being deleted) is done.
 */
bool roger_decide_action_done(enum roger_decide_action kind,
			      const struct roger_decide_target *app,
			      const struct roger_decide_task *tasks, size_t n);

enum roger_decide_event_type {
	ROGER_DECIDE_STEP_INFO, /* deployment_info: step `step` is current */
	ROGER_DECIDE_STEP_SUCCESS, /* deployment_step_success of `step` */
	ROGER_DECIDE_SUCCESS, /* deployment_success: it is over and goes */
};

struct roger_decide_event {
	enum roger_decide_event_type type;
	int step;
};

/* Room for the events of roger_decide_advance() over `total` steps. */
#define ROGER_DECIDE_MAX_EVENTS(total) (2 * (size_t)(total) + 2)

/*
 * Advance a deployment of `total` steps whose current step is `*step`
 * (0: it has not begun), given which steps are done now (`done[i]` for
 * step i + 1): it begins, then every done step in a row succeeds and the
 * next becomes current, until one is not done or none is left (an empty
 * deployment succeeds at once).  Writes the events to publish, in order,
 * to `out` (ROGER_DECIDE_MAX_EVENTS(total) of room) and returns how many;
 * `*step` becomes the current step (the last one once it succeeded).
 */
size_t roger_decide_advance(struct roger_decide_event *out, int *step,
			    int total, const bool *done);

/* ---- launching --------------------------------------------------------------- */

struct roger_decide_res {
	double cpus, mem;
};

enum roger_decide_shortage {
	ROGER_DECIDE_NO_CPUS = 1 << 0,
	ROGER_DECIDE_NO_MEM = 1 << 1,
};

/* What is short (enum roger_decide_shortage) for a task asking `want`
 * when `used` of the capacity `cap` is taken; 0: it fits. */
unsigned roger_decide_fit(const struct roger_decide_res *used,
			  const struct roger_decide_res *want,
			  const struct roger_decide_res *cap);

/* The launch delay after a failure: `base_s` for the first, then
 * `factor` times the last one, never more than `max_s`. */
double roger_decide_backoff(double delay_s, double base_s, double factor,
			    double max_s);

enum roger_decide_end {
	ROGER_DECIDE_END_FAILURE = 1 << 0, /* it becomes lastTaskFailure */
	ROGER_DECIDE_END_BACKOFF = 1 << 1, /* the app's launch delay grows */
};

/*
 * What a task ending in `state` means for its app (enum roger_decide_end):
 * FAILED, ERROR and LOST are failures; the delay grows unless the
 * scheduler killed the task itself for another reason than its health.
 */
unsigned roger_decide_task_end(enum roger_task_state state, bool kill_wanted,
			       bool kill_unhealthy);

/* ---- health checks ----------------------------------------------------------- */

/* Per task and health check: Marathon's health result plus scheduling. */
struct roger_local_hc {
	bool has_result;
	bool alive;
	int consecutive_failures;
	int64_t first_success, last_success, last_failure; /* ms, 0: none */
	char *last_failure_cause;
	int64_t next_ms; /* when the next check is due */
	bool in_flight; /* a check thread runs */
};

/* A health check's definition, as far as judging results goes. */
struct roger_decide_hc_policy {
	long grace_s; /* gracePeriodSeconds */
	long interval_s; /* intervalSeconds; 1 when not positive */
	long max_failures; /* maxConsecutiveFailures; 0: never kill */
};

enum roger_decide_hc_outcome {
	ROGER_DECIDE_HC_PASSED = 1 << 0, /* a success was recorded */
	ROGER_DECIDE_HC_UP = 1 << 1, /* health_status_changed_event, alive */
	ROGER_DECIDE_HC_FAILED =
		1 << 2, /* a failure was recorded (its cause
			   is the check's): failed_health_check_event */
	ROGER_DECIDE_HC_DOWN = 1 << 3, /* health_status_changed_event, dead */
	ROGER_DECIDE_HC_KILL = 1 << 4, /* too many failures: kill the task */
};

/*
 * Record in `h` a check that ended at `now_ms` with `result` (1 healthy,
 * 0 unhealthy, -1 no result) for a task running since `started_ms`;
 * `counts` says whether the task takes results (running and not being
 * killed).  The next check is due an interval later, but for a failure
 * within the grace period before a first success: that one is not
 * recorded, and the check runs again ROGER_DECIDE_HC_RETRY_MS later (the
 * grace period is a grace, not a delay: the task is healthy as soon as it
 * answers).  Returns what follows (enum roger_decide_hc_outcome).
 */
#define ROGER_DECIDE_HC_RETRY_MS 100
unsigned roger_decide_health(struct roger_local_hc *h, int result, bool counts,
			     int64_t now_ms, int64_t started_ms,
			     const struct roger_decide_hc_policy *p);

/*
 * How long after a task starts running its first check of `protocol`
 * runs, in ms: Mesos-native checks (COMMAND, MESOS_*) wait delaySeconds
 * (`delay_s`; -1 when unset: 15 s), as the Mesos executor does;
 * Marathon's own HTTP and TCP checks ROGER_DECIDE_HC_RETRY_MS (a check
 * before the task listens fails within its grace period, and is tried
 * again as soon).
 */
int64_t roger_decide_first_check_ms(const char *protocol, long delay_s);

#endif
