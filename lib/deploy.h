/*
 * deploy.h - watching a Marathon deployment to its real end: the engine
 * under `roger deploy`, `scale`, `restart`, `destroy` and `rollback`.
 *
 * Marathon has no deployment timeout, and its deployment list cannot tell
 * success from failure: a version whose tasks crash-loop or never pass
 * their health checks stays "in progress" forever, and a deployment of an
 * app without health checks is done as soon as its tasks run, even if they
 * die a second later.  So roger decides for itself, in two layers:
 *
 *  - the machine (struct roger_deploy): pure decisions, no I/O and no
 *    clock.  It is fed observations (the app with its tasks and
 *    lastTaskFailure, the deployment list, the launch queue, events of
 *    /v2/events), each with the monotonic time it was made, and says
 *    whether the deployment is still under way (with progress counts), has
 *    succeeded, has failed (and why, naming the task whose stderr to show)
 *    or has run out of time;
 *  - the driver, roger_deploy_watch(): follows the event stream and polls
 *    through a second client until the machine decides, reconnecting when
 *    the stream drops or goes silent and going on by polling alone when
 *    the stream is not available; roger_deploy_rollback() cancels a
 *    failed deployment (Marathon reverts it) and watches the revert.
 *
 * Words.  A task "runs the current configuration" when its version is at
 * least the app's versionInfo.lastConfigChangeAt (a scale changes the
 * app's version but not its configuration, so the tasks from before a
 * scale count).  A task is "of the new version" when its version is at
 * least the goal's version (the deployment result's), so the failures of
 * tasks that predate the deployment never count.  Timestamps of Marathon
 * always have the same shape, so they compare as strings.
 *
 * Success: our deployment has left /v2/deployments (or a
 * deployment_success event named it), an observation of the app made
 * after that shows at least the target count of tasks of the current
 * configuration running, none of an older one alive, and each of them
 * healthy when the app has health checks or, without health checks, each
 * of them running for the settle period (a task started before the
 * deployment is settled already), and no task still being killed.
 *
 * Failing fast, before the timeout:
 *  - ROGER_DEPLOY_MAX_FAILURES (3) distinct tasks of the new version ended
 *    in a failure state (TASK_FAILED, TASK_ERROR, TASK_LOST, TASK_DROPPED,
 *    TASK_GONE or TASK_FINISHED, a service that exited by itself), seen in
 *    events or in the app's lastTaskFailure;
 *  - one task of the new version killed for failing its health checks
 *    (unhealthy_instance_kill_event; when polling alone: a task seen with
 *    as many consecutive failures as its check allows, or seen unhealthy
 *    and then gone).  Marathon kills only after the grace period and the
 *    configured number of failures in a row, so one kill is the app's own
 *    verdict;
 *  - the launch queue delays the next launch of the new version (backoff
 *    after failures) for longer than the time left before the timeout;
 *  - once the deployment has left the list, any failure of a task of the
 *    new version (it had to keep running through the settle period);
 *  - a deployment_failed event for our deployment (cancelled, or overridden
 *    by someone else's --force);
 *  - the deployment leaving the list while the app is not where it should
 *    be: at once when the app has a newer version (another deployment
 *    replaced ours), else after ROGER_DEPLOY_VANISH_GRACE_MS;
 *  - the app disappearing (404) when the goal is not its removal.
 */
#ifndef ROGER_DEPLOY_H
#define ROGER_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_buf;
struct roger_ctx;
struct roger_err;
struct roger_marathon;
struct roger_marathon_app;
struct roger_marathon_deployments;
struct roger_marathon_event;
struct roger_marathon_queue;
struct roger_mesos;

#define ROGER_DEPLOY_MAX_FAILURES 3
#define ROGER_DEPLOY_SETTLE_MS 10000
#define ROGER_DEPLOY_VANISH_GRACE_MS 5000

enum roger_deploy_goal_flags {
	/* Done when the app is gone (destroy) instead of running. */
	ROGER_DEPLOY_REMOVE = 1 << 0,
	/*
	 * Tasks of any version count towards success (the revert of a
	 * rollback: what runs again is the previous version).
	 */
	ROGER_DEPLOY_ANY_VERSION = 1 << 1,
	/*
	 * The deployment creates the app (it did not exist before): rolling
	 * it back removes the app (roger_deploy_rollback()).
	 */
	ROGER_DEPLOY_CREATES = 1 << 2,
};

/* What to wait for.  Strings are copied by roger_deploy_new(). */
struct roger_deploy_goal {
	const char *app_id; /* "/web/hello" */
	const char *deployment_id; /* NULL: none to wait for */
	const char *version; /* of the deployment result; may be NULL */
	int instances; /* the target count; -1: the app's own */
	unsigned flags; /* enum roger_deploy_goal_flags */
	int64_t start_ms; /* monotonic time the watch started */
	int64_t timeout_ms; /* 0: none */
	int64_t settle_ms; /* -1: ROGER_DEPLOY_SETTLE_MS; 0: none */
	int max_failures; /* 0: ROGER_DEPLOY_MAX_FAILURES */
};

enum roger_deploy_state {
	ROGER_DEPLOY_WAITING,
	ROGER_DEPLOY_SUCCEEDED,
	ROGER_DEPLOY_FAILED,
	ROGER_DEPLOY_TIMED_OUT,
};

enum roger_deploy_failure {
	ROGER_DEPLOY_FAIL_NONE,
	ROGER_DEPLOY_FAIL_TASKS, /* too many new tasks failed */
	ROGER_DEPLOY_FAIL_HEALTH, /* one killed for failing health checks */
	ROGER_DEPLOY_FAIL_BACKOFF, /* launch delay past the timeout */
	ROGER_DEPLOY_FAIL_SETTLE, /* a new task ended after the deployment */
	ROGER_DEPLOY_FAIL_CANCELLED, /* Marathon says the deployment failed */
	ROGER_DEPLOY_FAIL_VANISHED, /* it ended short of the goal */
	ROGER_DEPLOY_FAIL_APP_GONE, /* the app was deleted */
};

/* Counts of the last observation of the app, for progress lines. */
struct roger_deploy_progress {
	int target; /* instances wanted (-1 while unknown) */
	int running; /* tasks of the current configuration running */
	int healthy; /* of those: healthy (health checks) or settled */
	int unhealthy; /* of those: failing a health check */
	int staging; /* of the current configuration, not running yet */
	int old; /* tasks of an older configuration still alive */
	int stopping; /* tasks being killed (TASK_KILLING), of any version */
	int failures; /* failed tasks of the new version so far */
	int delay_seconds; /* launch backoff in the queue; 0: none */
	/*
	 * The queue says tasks of the new version wait for resources (offers
	 * declined for too few cpus or too little memory): `waiting` of them,
	 * each needing need_cpus and need_mem (MB).  free_known: what the
	 * agents have free, from Mesos (roger_deploy_observe_free()): on the
	 * roomiest agent, of free_agents.
	 */
	bool waiting_resources;
	int waiting;
	double need_cpus, need_mem;
	bool free_known;
	double free_cpus, free_mem;
	int free_agents;
	bool health_checks; /* "healthy" means healthy (else settled) */
	bool deployment_active; /* our deployment is still listed */
	bool app_missing; /* the last GET of the app said 404 */
	int current_step, total_steps; /* of our deployment, 0 when unknown */
	int64_t elapsed_ms;
	int64_t settle_left_ms; /* the longest a task must still settle */
};

struct roger_deploy_status {
	enum roger_deploy_state state;
	enum roger_deploy_failure failure;
	struct roger_deploy_progress progress;
	char app_id[256];
	char deployment_id[128];
	/* FAILED: why, in one line; TIMED_OUT: what was missing. */
	char reason[1024];
	/* The task whose stderr tells why ("" when none), its state, message.
	 */
	char task_id[256];
	char task_state[32];
	char task_message[512];
};

struct roger_deploy;

/* A machine for `goal`.  ROGER_EINVALID without an app id; ROGER_ENOMEM. */
ROGER_EXTERN int roger_deploy_new(struct roger_deploy **out,
				  const struct roger_deploy_goal *goal,
				  struct roger_err *err);
ROGER_EXTERN void roger_deploy_free(struct roger_deploy *d);

/*
 * Observations, each made at the monotonic time `now_ms` (never going
 * back).  They return 0, or ROGER_ENOMEM; the decision is made at once
 * (roger_deploy_state()).  Once decided, the machine ignores what follows.
 *
 * The app: as GET /v2/apps/{id}?embed=app.tasks&embed=app.lastTaskFailure
 * gives it, or NULL when that said 404.
 */
ROGER_EXTERN int roger_deploy_observe_app(struct roger_deploy *d,
					  int64_t now_ms,
					  const struct roger_marathon_app *app);
/* GET /v2/deployments. */
ROGER_EXTERN int
roger_deploy_observe_deployments(struct roger_deploy *d, int64_t now_ms,
				 const struct roger_marathon_deployments *list);
/* GET /v2/queue. */
ROGER_EXTERN int
roger_deploy_observe_queue(struct roger_deploy *d, int64_t now_ms,
			   const struct roger_marathon_queue *queue);
/*
 * What the Mesos agents have free (roger_mesos_master_free_resources()),
 * for the progress of a deployment that waits for resources; `agents`
 * active.
 */
ROGER_EXTERN void roger_deploy_observe_free(struct roger_deploy *d, double cpus,
					    double mem, int agents);
/*
 * One event of /v2/events (any type: those about other apps and other
 * deployments are ignored).  Returns 1 when it concerns this watch, so
 * that a driver can poll soon, else 0 (or ROGER_ENOMEM).
 */
ROGER_EXTERN int
roger_deploy_observe_event(struct roger_deploy *d, int64_t now_ms,
			   const struct roger_marathon_event *ev);
/* Nothing observed, time passed (for the timeout and the settle period). */
ROGER_EXTERN void roger_deploy_tick(struct roger_deploy *d, int64_t now_ms);

ROGER_EXTERN enum roger_deploy_state
roger_deploy_state(const struct roger_deploy *d);
/* The status as of the last observation (borrowed, lives with `d`). */
ROGER_EXTERN const struct roger_deploy_status *
roger_deploy_status(const struct roger_deploy *d);

/* A failed task the machine knows of, in the order it learned of them. */
struct roger_deploy_task_failure {
	const char *task_id; /* NULL when only the instance id is known */
	const char *instance_id;
	const char *state; /* "TASK_FAILED"; "unhealthy" for a health kill */
	const char *message; /* may be "" */
	const char *version; /* may be NULL */
	bool counted; /* of the new version, since the deployment */
};

ROGER_EXTERN size_t roger_deploy_n_failures(const struct roger_deploy *d);
/* The failure number `i` (borrowed, lives with `d`). */
ROGER_EXTERN const struct roger_deploy_task_failure *
roger_deploy_failure_at(const struct roger_deploy *d, size_t i);

/*
 * "2/3 healthy, 1 staging, 1 old" (without health checks: "running", and
 * "settling 7 s" while they settle), and while the queue says so,
 * "; waiting for resources: needs 0.5 cpus / 512 MB, 0.2 cpus / 100 MB
 * free", appended to `out`.  0 or ROGER_ENOMEM.
 */
ROGER_EXTERN int
roger_deploy_progress_text(struct roger_buf *out,
			   const struct roger_deploy_status *st);
/*
 * The status as a JSON object (new reference, NULL when out of memory):
 * {"app", "deployment", "state": "waiting|succeeded|failed|timed_out",
 * "reason", "target", "running", "healthy", "unhealthy", "staging", "old",
 * "stopping", "failures", "deployment_active", "elapsed_seconds",
 * "failed_task": {"id", "state", "message"}}.
 */
ROGER_EXTERN json_t *
roger_deploy_status_json(const struct roger_deploy_status *st);
/* "succeeded", "failed", ... */
ROGER_EXTERN const char *roger_deploy_state_name(enum roger_deploy_state s);

/*
 * Whether a failure leaves a deployment of ours to roll back: false for
 * CANCELLED, VANISHED and APP_GONE (someone else changed the app).
 */
ROGER_EXTERN bool roger_deploy_failure_revertible(enum roger_deploy_failure f);

/*
 * The timeout roger uses when the user gives none, in ms, for the app
 * definition `app` (the live app, or a rendered definition read with
 * roger_marathon_app_from_json()) reaching `instances` (-1: its own
 * count):
 *
 *	60 s + waves x (60 s + H) + settle
 *
 * where H, the longest a task may take to prove healthy, is the largest
 * gracePeriodSeconds + intervalSeconds x maxConsecutiveFailures +
 * timeoutSeconds over the health checks (0 without any, when the settle
 * period applies instead), and waves = ceil(instances / step) with step =
 * max(1, instances - ceil(instances x minimumHealthCapacity) +
 * floor(instances x maximumOverCapacity)), the tasks Marathon replaces at
 * once under the upgrade strategy.  `settle_ms` counts only without health
 * checks.  A restart of 4 instances with one check of Marathon's defaults
 * (300 + 60 x 3 + 20 s) and the default strategy: 60 + 1 x 560 = 620 s.
 * Absurd values a server may send saturate at ROGER_DEPLOY_TIMEOUT_MAX_MS.
 */
/* The most roger_deploy_default_timeout_ms() answers, whatever the app. */
#define ROGER_DEPLOY_TIMEOUT_MAX_MS ((int64_t)1 << 60)
ROGER_EXTERN int64_t roger_deploy_default_timeout_ms(
	const struct roger_marathon_app *app, int instances, int64_t settle_ms);

/*
 * The timeout of removing `app` (roger destroy) when the user gives none,
 * in ms: 120 s for Marathon to kill every task, plus the grace period the
 * app gives each one (taskKillGracePeriodSeconds, 0 when absent).
 */
ROGER_EXTERN int64_t
roger_deploy_remove_timeout_ms(const struct roger_marathon_app *app);

/* ---- the driver ---------------------------------------------------------- */

enum roger_deploy_note_kind {
	ROGER_DEPLOY_NOTE_TASK_FAILED, /* a task of the new version failed */
	ROGER_DEPLOY_NOTE_STREAM, /* the event stream dropped or refused */
	ROGER_DEPLOY_NOTE_POLL, /* a poll failed and will be retried */
};

struct roger_deploy_note {
	enum roger_deploy_note_kind kind;
	const char *text; /* one line, lower case */
	const char *task_id; /* TASK_FAILED: the task, may be NULL */
};

/*
 * Progress: called after every poll and about once a second; `changed`
 * tells whether the counts differ from the previous call.
 */
typedef void (*roger_deploy_progress_fn)(void *data,
					 const struct roger_deploy_status *st,
					 bool changed);
typedef void (*roger_deploy_note_fn)(void *data,
				     const struct roger_deploy_note *note);

struct roger_deploy_watch_opts {
	long poll_ms; /* between polls; 0: 2000 (1 s after an event) */
	long idle_ms; /* a silent stream is dropped after; 0: 30000 */
	long reconnect_max_ms; /* longest wait before reconnecting; 0: 10000 */
	int max_poll_errors; /* unreachable polls in a row tolerated; 0: 3 */
	bool no_events; /* poll only */
	/*
	 * The target's Mesos master (may be NULL): while the queue says the
	 * new tasks wait for resources, its state tells what is free, read at
	 * most every free_poll_ms (0: 5000).
	 */
	struct roger_mesos *mesos;
	long free_poll_ms;
	roger_deploy_progress_fn on_progress; /* may be NULL */
	roger_deploy_note_fn on_note; /* may be NULL */
	void *data;
};

/*
 * Watch `goal` to its end through `m` (polls) and `events` (the event
 * stream; NULL: poll only; it must be another client, as a stream keeps
 * its client busy).  goal->start_ms 0 means now.
 *
 * Returns 0 when the machine says succeeded, ROGER_EDEPLOY when it says
 * failed (err holds the reason), ROGER_ETIMEOUT when out of time,
 * ROGER_EINTR when the context's interrupt flag was raised, or the error
 * of a poll that could not be made: at once for refused credentials, an
 * invalid reply and the like, after opts->max_poll_errors polls in a row
 * for an unreachable Marathon (each after the client's own retries).  The
 * event stream never fails the watch.  *out holds the last status in
 * every case, so that the caller can report it; `out` may be NULL.
 */
ROGER_EXTERN int roger_deploy_watch(struct roger_deploy_status *out,
				    struct roger_ctx *ctx,
				    struct roger_marathon *m,
				    struct roger_marathon *events,
				    const struct roger_deploy_goal *goal,
				    const struct roger_deploy_watch_opts *opts,
				    struct roger_err *err);

/* What roger_deploy_rollback() and roger_deploy_rollback_app() did. */
struct roger_deploy_rollback {
	char deployment_id[128]; /* the revert's deployment, "" when none */
	char version[64];
	/* The deployment had ended (404): previous_version was redeployed. */
	bool by_version;
	/* The failed deployment created the app: it was removed instead. */
	bool removed;
	/* roger_deploy_rollback_app(): the definition given was deployed. */
	bool replaced;
};

/*
 * Roll back the deployment `failed->deployment_id` of `failed->app_id`:
 * DELETE /v2/deployments/{id}, which makes Marathon cancel it and start a
 * deployment that reverts it, then watch that one to its end with the
 * timeout, settle period and failure limit of `failed` (tasks of any
 * version count, the goal being the app as it was).  When the deployment
 * has already ended (404) and `previous_version` is not NULL, the app is
 * redeployed at that version instead (PUT {"version": ...}, without force)
 * and that is watched.  *rb (may be NULL) says what was started.
 *
 * When `failed` has ROGER_DEPLOY_CREATES, the app did not exist before:
 * it is removed instead (DELETE /v2/apps/{id}, which also cancels the
 * deployment if it still runs) and the removal is watched, whether the
 * deployment still runs or not; rb->removed says so.
 *
 * Returns 0 when the app is back (or gone, for a creation), ROGER_ENOTFOUND
 * when there was nothing to roll back (the deployment ended and no previous
 * version), or what roger_deploy_watch() and the Marathon calls return.
 */
ROGER_EXTERN int roger_deploy_rollback(
	struct roger_deploy_rollback *rb, struct roger_deploy_status *out,
	struct roger_ctx *ctx, struct roger_marathon *m,
	struct roger_marathon *events, const struct roger_deploy_goal *failed,
	const char *previous_version,
	const struct roger_deploy_watch_opts *opts, struct roger_err *err);

/*
 * Roll back the failed deployment of `failed->app_id` by deploying `app`,
 * a whole app definition (the release to go back to, as
 * roger_release_redeploy_app() makes it, with the labels that say why),
 * over it: PUT /v2/apps/{id}?force=true&partialUpdate=false, which
 * overrides the failed deployment whether it still runs or has ended, and
 * watch the new deployment with the timeout, settle period and failure
 * limit of `failed`.  Unlike Marathon's own revert, the new version can
 * carry labels, which is how roger records that a release failed.  With
 * ROGER_DEPLOY_CREATES in `failed`, the app is removed instead, as
 * roger_deploy_rollback() does.  *rb (may be NULL) says what was started;
 * the returns are roger_deploy_rollback()'s.
 */
ROGER_EXTERN int roger_deploy_rollback_app(
	struct roger_deploy_rollback *rb, struct roger_deploy_status *out,
	struct roger_ctx *ctx, struct roger_marathon *m,
	struct roger_marathon *events, const struct roger_deploy_goal *failed,
	const json_t *app, const struct roger_deploy_watch_opts *opts,
	struct roger_err *err);

ROGER_END_DECLS

#endif
