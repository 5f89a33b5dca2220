/*
 * deploy.c - the watch machine of a deployment (pure: no I/O, no clock).
 *
 * The machine keeps facts, not conclusions: the tasks of the last
 * observation of the app (what each runs, whether it runs, its health),
 * since when each task has been seen running, every task failure it heard
 * of (events and lastTaskFailure, merged by instance), whether the
 * deployment has left the list and in which observation, the launch delay
 * of the queue.  After every observation decide() derives the progress
 * counts and the verdict from those facts and the time, in a fixed order:
 * the app gone, a cancel, a health kill, too many failures, a failure past
 * the end of the deployment, success, a deployment that vanished, the
 * backoff, the timeout.  Deriving again each time keeps late facts honest:
 * an event that arrives before the app's version is known is judged once
 * the version is.
 *
 * Observations are numbered, so "the app as seen after the deployment left
 * the list" does not depend on clocks: the driver polls the deployments
 * before the app.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "deploy.h"
#include "err.h"
#include "marathon.h"

/* A task of the last observation of the app. */
struct obs_task {
	char *id;
	bool alive; /* not in a terminal state */
	bool running;
	bool killing;
	bool current; /* runs the current configuration */
	bool is_new; /* of the new version */
	bool pre_started; /* started before the deployment */
	enum roger_marathon_health health;
	int64_t first_running_ms;
};

/* What the machine remembers of a task across observations. */
struct seen_task {
	char *id;
	int64_t first_running_ms; /* 0: never seen running */
	bool unhealthy; /* a failing health result was seen */
	char *cause;
	char *instance; /* its instance id (failures name it) */
	bool is_new;
	bool after_gone; /* seen running after the deployment ended */
};

struct failure {
	struct roger_deploy_task_failure pub;
	char *key; /* the instance id, else the task id */
	char *task_id, *instance_id, *state, *message, *version, *timestamp;
	bool health; /* a kill for failing health checks */
	bool preexisting; /* in the first observation of the app */
	unsigned long seq; /* the observation that brought it */
};

struct roger_deploy {
	char *app_id, *dep_id, *version;
	struct roger_deploy_goal goal;
	struct roger_deploy_status st;
	int64_t now_ms;
	unsigned long seq;

	/* the app */
	bool app_seen;
	bool app_missing;
	unsigned long app_seq;
	char *cfg_version;
	char *app_version;
	int app_instances;
	size_t n_health_checks;
	int hc_max_failures; /* the smallest non-zero maxConsecutiveFailures */
	struct obs_task *tasks;
	size_t n_tasks;
	struct seen_task *seen;
	size_t n_seen, cap_seen;

	/* failures */
	struct failure *fails;
	size_t n_fails, cap_fails;

	/* the deployment */
	bool gone;
	unsigned long gone_seq;
	int64_t gone_ms;
	bool cancelled;
	char *cancel_reason;
	int current_step, total_steps;

	/* the queue */
	int delay_seconds;
	bool waiting_resources;
	int waiting;
	double need_cpus, need_mem;
	bool free_known;
	double free_cpus, free_mem;
	int free_agents;
};

/* ---- small helpers ------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Replace *dst by a copy of `s`; false when out of memory. */
static bool set_str(char **dst, const char *s)
{
	char *c = NULL;

	if (s && !(c = strdup(s)))
		return false;
	free(*dst);
	*dst = c;
	return true;
}

/* Set *dst to a copy of `s` when it is NULL; false when out of memory. */
static bool fill(char **dst, const char *s)
{
	return *dst || !s || set_str(dst, s);
}

static bool streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static int64_t settle_ms(const struct roger_deploy *d)
{
	return d->goal.settle_ms < 0 ? ROGER_DEPLOY_SETTLE_MS
				     : d->goal.settle_ms;
}

static int max_failures(const struct roger_deploy *d)
{
	return d->goal.max_failures > 0 ? d->goal.max_failures
					: ROGER_DEPLOY_MAX_FAILURES;
}

static bool removing(const struct roger_deploy *d)
{
	return d->goal.flags & ROGER_DEPLOY_REMOVE;
}

/* Mesos states in which a task is over. */
static bool state_terminal(const char *s)
{
	static const char *const terminal[] = {
		"TASK_FINISHED", "TASK_FAILED",
		"TASK_KILLED",   "TASK_LOST",
		"TASK_ERROR",    "TASK_DROPPED",
		"TASK_GONE",     "TASK_GONE_BY_OPERATOR",
		"TASK_UNKNOWN",
	};

	for (size_t i = 0; s && i < sizeof(terminal) / sizeof(*terminal); i++)
		if (!strcmp(s, terminal[i]))
			return true;
	return false;
}

/* Terminal states that are a failure of a long-running service. */
static bool state_failure(const char *s)
{
	return state_terminal(s) && strcmp(s, "TASK_KILLED") &&
	       strcmp(s, "TASK_UNKNOWN");
}

/*
 * An instance_changed_event condition that is a failure, as the Mesos
 * state it stands for ("Failed" -> "TASK_FAILED"), or NULL.
 */
static const char *condition_failure(const char *c)
{
	static const char *const map[][2] = {
		{ "Failed", "TASK_FAILED" },     { "Error", "TASK_ERROR" },
		{ "Finished", "TASK_FINISHED" }, { "Gone", "TASK_GONE" },
		{ "Dropped", "TASK_DROPPED" },
	};

	for (size_t i = 0; c && i < sizeof(map) / sizeof(*map); i++)
		if (!strcmp(c, map[i][0]))
			return map[i][1];
	return NULL;
}

/* The version tasks of the new version have at least (NULL: any). */
static const char *new_ref(const struct roger_deploy *d)
{
	return d->version ? d->version : d->cfg_version;
}

static bool version_is_new(const struct roger_deploy *d, const char *version,
			   const char *timestamp)
{
	const char *ref = new_ref(d);

	if (!ref)
		return true;
	if (version)
		return strcmp(version, ref) >= 0;
	return !timestamp || strcmp(timestamp, ref) >= 0;
}

static bool version_is_current(const struct roger_deploy *d,
			       const char *version)
{
	if ((d->goal.flags & ROGER_DEPLOY_ANY_VERSION) || !d->cfg_version)
		return true;
	return version && strcmp(version, d->cfg_version) >= 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

int roger_deploy_new(struct roger_deploy **out,
		     const struct roger_deploy_goal *goal,
		     struct roger_err *err)
{
	struct roger_deploy *d;

	if (!goal->app_id || !*goal->app_id)
		return roger_err_set(err, ROGER_EINVALID, "no app id to watch");
	d = calloc(1, sizeof(*d));
	if (!d)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	d->goal = *goal;
	d->app_id = strdup(goal->app_id);
	d->dep_id = dup_or_null(goal->deployment_id);
	d->version = dup_or_null(goal->version && *goal->version ? goal->version
								 : NULL);
	if (!d->app_id || (goal->deployment_id && !d->dep_id) ||
	    (goal->version && *goal->version && !d->version)) {
		roger_deploy_free(d);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	d->goal.app_id = d->app_id;
	d->goal.deployment_id = d->dep_id;
	d->goal.version = d->version;
	d->now_ms = goal->start_ms;
	d->app_instances = -1;
	d->gone = !d->dep_id;
	snprintf(d->st.app_id, sizeof(d->st.app_id), "%s", d->app_id);
	snprintf(d->st.deployment_id, sizeof(d->st.deployment_id), "%s",
		 d->dep_id ? d->dep_id : "");
	d->st.progress.target = goal->instances;
	d->st.progress.deployment_active = !d->gone;
	*out = d;
	return 0;
}

static void free_tasks(struct roger_deploy *d)
{
	for (size_t i = 0; i < d->n_tasks; i++)
		free(d->tasks[i].id);
	free(d->tasks);
	d->tasks = NULL;
	d->n_tasks = 0;
}

void roger_deploy_free(struct roger_deploy *d)
{
	if (!d)
		return;
	free_tasks(d);
	for (size_t i = 0; i < d->n_seen; i++) {
		free(d->seen[i].id);
		free(d->seen[i].cause);
		free(d->seen[i].instance);
	}
	free(d->seen);
	for (size_t i = 0; i < d->n_fails; i++) {
		struct failure *f = &d->fails[i];

		free(f->key);
		free(f->task_id);
		free(f->instance_id);
		free(f->state);
		free(f->message);
		free(f->version);
		free(f->timestamp);
	}
	free(d->fails);
	free(d->cfg_version);
	free(d->app_version);
	free(d->cancel_reason);
	free(d->app_id);
	free(d->dep_id);
	free(d->version);
	free(d);
}

enum roger_deploy_state roger_deploy_state(const struct roger_deploy *d)
{
	return d->st.state;
}

const struct roger_deploy_status *
roger_deploy_status(const struct roger_deploy *d)
{
	return &d->st;
}

size_t roger_deploy_n_failures(const struct roger_deploy *d)
{
	return d->n_fails;
}

/* Whether failure `f` counts against the new version. */
static bool failure_counts(const struct roger_deploy *d,
			   const struct failure *f)
{
	const char *ref = new_ref(d);

	if (f->preexisting || !version_is_new(d, f->version, f->timestamp))
		return false;
	/* a failure stamped before the deployment is an old one */
	return !ref || !f->timestamp || strcmp(f->timestamp, ref) >= 0;
}

const struct roger_deploy_task_failure *
roger_deploy_failure_at(const struct roger_deploy *d, size_t i)
{
	struct failure *f;

	if (i >= d->n_fails)
		return NULL;
	f = &d->fails[i];
	f->pub.task_id = f->task_id;
	f->pub.instance_id = f->instance_id;
	f->pub.state = f->state ? f->state : "";
	f->pub.message = f->message ? f->message : "";
	f->pub.version = f->version;
	f->pub.counted = failure_counts(d, f);
	return &f->pub;
}

/* ---- facts --------------------------------------------------------------- */

/* The instance a task belongs to, or a copy of the task id. */
static char *instance_key(const char *task_id, const char *instance_id)
{
	char *inst = NULL;

	if (instance_id)
		return strdup(instance_id);
	if (!task_id)
		return NULL;
	if (roger_marathon_task_instance_id(&inst, task_id, NULL) == 0)
		return inst;
	return strdup(task_id);
}

/*
 * Remember a failure (merged with what is known of the same instance).
 * Returns 0 or ROGER_ENOMEM.
 */
static int add_failure(struct roger_deploy *d, const char *task_id,
		       const char *instance_id, const char *state,
		       const char *message, const char *version,
		       const char *timestamp, bool health, bool preexisting)
{
	char *key = instance_key(task_id, instance_id);
	struct failure *f = NULL;

	if (!key)
		return task_id || instance_id ? ROGER_ENOMEM : 0;
	for (size_t i = 0; i < d->n_fails; i++) {
		if (!strcmp(d->fails[i].key, key)) {
			f = &d->fails[i];
			break;
		}
	}
	if (f) {
		free(key);
		/* a health kill explains the failure better than its end */
		if (health && !f->health) {
			f->health = true;
			if (!set_str(&f->state, state) ||
			    (message && *message &&
			     !set_str(&f->message, message)))
				return ROGER_ENOMEM;
		}
		/* fill in what this source knows and the others did not */
		if (!fill(&f->task_id, task_id) ||
		    !fill(&f->instance_id, instance_id) ||
		    (f->message && !*f->message &&
		     !set_str(&f->message, message)) ||
		    !fill(&f->version, version) ||
		    !fill(&f->timestamp, timestamp))
			return ROGER_ENOMEM;
		return 0;
	}
	if (d->n_fails == d->cap_fails) {
		size_t cap = d->cap_fails ? d->cap_fails * 2 : 8;
		struct failure *v = realloc(d->fails, cap * sizeof(*v));

		if (!v) {
			free(key);
			return ROGER_ENOMEM;
		}
		d->fails = v;
		d->cap_fails = cap;
	}
	f = &d->fails[d->n_fails];
	memset(f, 0, sizeof(*f));
	f->key = key;
	f->health = health;
	f->preexisting = preexisting;
	f->seq = d->seq;
	d->n_fails++;
	if (!set_str(&f->task_id, task_id) ||
	    !set_str(&f->instance_id, instance_id) ||
	    !set_str(&f->state, state) ||
	    !set_str(&f->message, message ? message : "") ||
	    !set_str(&f->version, version) ||
	    !set_str(&f->timestamp, timestamp))
		return ROGER_ENOMEM;
	return 0;
}

static struct seen_task *find_seen(struct roger_deploy *d, const char *id)
{
	for (size_t i = 0; i < d->n_seen; i++)
		if (!strcmp(d->seen[i].id, id))
			return &d->seen[i];
	return NULL;
}

static struct seen_task *add_seen(struct roger_deploy *d, const char *id)
{
	struct seen_task *s;

	if (d->n_seen == d->cap_seen) {
		size_t cap = d->cap_seen ? d->cap_seen * 2 : 16;
		struct seen_task *v = realloc(d->seen, cap * sizeof(*v));

		if (!v)
			return NULL;
		d->seen = v;
		d->cap_seen = cap;
	}
	s = &d->seen[d->n_seen];
	memset(s, 0, sizeof(*s));
	s->id = strdup(id);
	s->instance = instance_key(id, NULL);
	if (!s->id || !s->instance) {
		free(s->id);
		free(s->instance);
		return NULL;
	}
	d->n_seen++;
	return s;
}

static bool task_is_running(const struct roger_marathon_task *t)
{
	if (t->state)
		return !strcmp(t->state, "TASK_RUNNING");
	/* 1.4-era shapes without a state: started means running */
	return t->started_at != NULL;
}

/* A failing result of `t` and its cause; the most consecutive failures. */
static int worst_health(const struct roger_marathon_task *t, const char **cause)
{
	int worst = 0;

	*cause = NULL;
	for (size_t i = 0; i < t->n_health; i++) {
		if (t->health[i].alive)
			continue;
		if (t->health[i].consecutive_failures >= worst) {
			worst = t->health[i].consecutive_failures;
			*cause = t->health[i].last_failure_cause;
		}
	}
	return worst;
}

/* Record one task of an app observation; 0 or ROGER_ENOMEM. */
static int observe_task(struct roger_deploy *d,
			const struct roger_marathon_task *t, struct obs_task *o)
{
	struct seen_task *s = find_seen(d, t->id);
	const char *cause;
	int fails;

	if (!s && !(s = add_seen(d, t->id)))
		return ROGER_ENOMEM;
	o->id = strdup(t->id);
	if (!o->id)
		return ROGER_ENOMEM;
	o->alive = !state_terminal(t->state);
	o->running = o->alive && task_is_running(t);
	o->killing = t->state && !strcmp(t->state, "TASK_KILLING");
	o->current = version_is_current(d, t->version);
	o->is_new = version_is_new(d, t->version, t->staged_at);
	s->is_new = o->is_new;
	o->pre_started = d->version && t->started_at &&
			 strcmp(t->started_at, d->version) < 0;
	o->health = roger_marathon_task_health(t);
	if (o->running && !s->first_running_ms)
		s->first_running_ms = d->now_ms ? d->now_ms : 1;
	o->first_running_ms = s->first_running_ms;
	if (o->running && d->gone)
		s->after_gone = true;
	fails = worst_health(t, &cause);
	if (o->running && fails > 0) {
		s->unhealthy = true;
		if (cause && !set_str(&s->cause, cause))
			return ROGER_ENOMEM;
	}
	/* as many failures in a row as the check allows: it is being killed */
	if (o->running && o->is_new && d->hc_max_failures > 0 &&
	    fails >= d->hc_max_failures)
		return add_failure(d, t->id, NULL, "unhealthy",
				   cause ? cause : "", t->version, NULL, true,
				   false);
	return 0;
}

/*
 * Tasks of the previous observation missing from `tasks`: a task of the
 * new version last seen unhealthy was killed for it (what polling alone
 * can tell of an unhealthy_instance_kill_event).
 */
static int note_vanished(struct roger_deploy *d, const struct obs_task *tasks,
			 size_t n)
{
	for (size_t i = 0; i < d->n_tasks; i++) {
		const struct seen_task *s;
		bool still = false;
		int rc;

		for (size_t j = 0; j < n && !still; j++)
			still = !strcmp(tasks[j].id, d->tasks[i].id);
		s = find_seen(d, d->tasks[i].id);
		if (still || !s || !s->unhealthy || !s->is_new)
			continue;
		rc = add_failure(d, s->id, NULL, "unhealthy",
				 s->cause ? s->cause : "", NULL, NULL, true,
				 false);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void decide(struct roger_deploy *d);

int roger_deploy_observe_app(struct roger_deploy *d, int64_t now_ms,
			     const struct roger_marathon_app *app)
{
	bool first = !d->app_seen && !d->app_missing;
	struct obs_task *tasks = NULL;
	size_t n = 0;
	int rc = 0;

	if (d->st.state != ROGER_DEPLOY_WAITING)
		return 0;
	d->now_ms = now_ms;
	d->app_seq = ++d->seq;
	if (!app) {
		d->app_missing = true;
		free_tasks(d);
		goto out;
	}
	d->app_missing = false;
	d->app_seen = true;
	if (!set_str(&d->cfg_version, app->last_config_change_at
					      ? app->last_config_change_at
					      : app->version) ||
	    !set_str(&d->app_version, app->version))
		return ROGER_ENOMEM;
	d->app_instances = app->instances;
	d->n_health_checks = app->n_health_checks;
	d->hc_max_failures = 0;
	for (size_t i = 0; i < app->n_health_checks; i++) {
		int m = app->health_checks[i].max_consecutive_failures;

		if (m > 0 &&
		    (d->hc_max_failures == 0 || m < d->hc_max_failures))
			d->hc_max_failures = m;
	}
	if (app->has_last_task_failure) {
		const struct roger_marathon_task_failure *f =
			&app->last_task_failure;

		if (state_failure(f->state) &&
		    (rc = add_failure(d, f->task_id, NULL, f->state, f->message,
				      f->version, f->timestamp, false,
				      first && !d->version)) < 0)
			return rc;
	}
	tasks = calloc(app->n_tasks ? app->n_tasks : 1, sizeof(*tasks));
	if (!tasks)
		return ROGER_ENOMEM;
	for (size_t i = 0; i < app->n_tasks && rc == 0; i++) {
		if (!app->tasks[i].id)
			continue;
		rc = observe_task(d, &app->tasks[i], &tasks[n]);
		if (tasks[n].id)
			n++;
	}
	if (rc == 0)
		rc = note_vanished(d, tasks, n);
	free_tasks(d);
	d->tasks = tasks;
	d->n_tasks = n;
	tasks = NULL;
out:
	free(tasks);
	decide(d);
	return rc;
}

static void mark_gone(struct roger_deploy *d)
{
	if (d->gone)
		return;
	d->gone = true;
	d->gone_seq = d->seq;
	d->gone_ms = d->now_ms;
}

int roger_deploy_observe_deployments(
	struct roger_deploy *d, int64_t now_ms,
	const struct roger_marathon_deployments *list)
{
	const struct roger_marathon_deployment *dep;

	if (d->st.state != ROGER_DEPLOY_WAITING)
		return 0;
	d->now_ms = now_ms;
	++d->seq;
	dep = d->dep_id ? roger_marathon_deployments_find(list, d->dep_id)
			: NULL;
	if (dep) {
		d->current_step = dep->current_step;
		d->total_steps = dep->total_steps;
	} else {
		mark_gone(d);
	}
	decide(d);
	return 0;
}

int roger_deploy_observe_queue(struct roger_deploy *d, int64_t now_ms,
			       const struct roger_marathon_queue *queue)
{
	const struct roger_marathon_queue_entry *e;

	if (d->st.state != ROGER_DEPLOY_WAITING)
		return 0;
	d->now_ms = now_ms;
	++d->seq;
	e = roger_marathon_queue_find(queue, d->app_id);
	d->delay_seconds = 0;
	d->waiting_resources = false;
	if (e && !e->overdue && e->time_left_seconds > 0 &&
	    version_is_new(d, e->version, NULL))
		d->delay_seconds = e->time_left_seconds;
	/* queued, not held back by a backoff, and offers declined for it */
	if (e && e->count > 0 && !d->delay_seconds &&
	    (e->declined_cpus > 0 || e->declined_mem > 0) &&
	    (version_is_new(d, e->version, NULL) ||
	     (d->goal.flags & ROGER_DEPLOY_ANY_VERSION))) {
		d->waiting_resources = true;
		d->waiting = e->count;
		d->need_cpus = e->cpus;
		d->need_mem = e->mem;
	}
	decide(d);
	return 0;
}

void roger_deploy_observe_free(struct roger_deploy *d, double cpus, double mem,
			       int agents)
{
	d->free_known = true;
	d->free_cpus = cpus;
	d->free_mem = mem;
	d->free_agents = agents;
	d->st.progress.free_known = true;
	d->st.progress.free_cpus = cpus;
	d->st.progress.free_mem = mem;
	d->st.progress.free_agents = agents;
}

static bool is_type(const struct roger_marathon_event *ev, const char *t)
{
	return ev->type && !strcmp(ev->type, t);
}

/* Apply one event; 1 when it concerns the watch, 0, or ROGER_ENOMEM. */
static int apply_event(struct roger_deploy *d,
		       const struct roger_marathon_event *ev)
{
	bool ours = d->dep_id && streq(ev->deployment_id, d->dep_id);
	const char *state;

	if (is_type(ev, "event_stream_attached"))
		return 1;
	if (is_type(ev, "deployment_success")) {
		if (!ours)
			return 0;
		mark_gone(d);
		return 1;
	}
	if (is_type(ev, "deployment_failed")) {
		if (!ours)
			return 0;
		mark_gone(d);
		d->cancelled = true;
		if (!set_str(&d->cancel_reason, ev->reason))
			return ROGER_ENOMEM;
		return 1;
	}
	if (!strncmp(ev->type ? ev->type : "", "deployment_", 11))
		return ours;
	if (!roger_marathon_event_affects(ev, d->app_id))
		return 0;
	if (is_type(ev, "status_update_event")) {
		state = ev->task_status;
		if (state_failure(state) &&
		    add_failure(d, ev->task_id, NULL, state, ev->message,
				ev->version, ev->timestamp, false, false) < 0)
			return ROGER_ENOMEM;
		return 1;
	}
	if (is_type(ev, "instance_changed_event")) {
		state = condition_failure(ev->condition);
		if (state &&
		    add_failure(d, NULL, ev->instance_id, state, NULL,
				ev->version, ev->timestamp, false, false) < 0)
			return ROGER_ENOMEM;
		return 1;
	}
	if (is_type(ev, "unhealthy_instance_kill_event") ||
	    is_type(ev, "unhealthy_task_kill_event")) {
		if (add_failure(d, ev->task_id, ev->instance_id, "unhealthy",
				ev->reason, ev->version, ev->timestamp, true,
				false) < 0)
			return ROGER_ENOMEM;
		return 1;
	}
	return 1;
}

int roger_deploy_observe_event(struct roger_deploy *d, int64_t now_ms,
			       const struct roger_marathon_event *ev)
{
	int rc;

	if (d->st.state != ROGER_DEPLOY_WAITING)
		return 0;
	d->now_ms = now_ms;
	++d->seq;
	rc = apply_event(d, ev);
	decide(d);
	return rc;
}

void roger_deploy_tick(struct roger_deploy *d, int64_t now_ms)
{
	if (d->st.state != ROGER_DEPLOY_WAITING)
		return;
	d->now_ms = now_ms;
	decide(d);
}

/* ---- the decision -------------------------------------------------------- */

static void count(struct roger_deploy *d)
{
	struct roger_deploy_progress *p = &d->st.progress;
	int64_t settle = d->n_health_checks ? 0 : settle_ms(d);

	memset(p, 0, sizeof(*p));
	p->target =
		d->goal.instances >= 0 ? d->goal.instances : d->app_instances;
	p->health_checks = d->n_health_checks > 0;
	p->deployment_active = !d->gone;
	p->app_missing = d->app_missing;
	p->current_step = d->gone ? 0 : d->current_step;
	p->total_steps = d->gone ? 0 : d->total_steps;
	p->elapsed_ms = d->now_ms - d->goal.start_ms;
	p->delay_seconds = d->delay_seconds;
	p->waiting_resources = d->waiting_resources;
	p->waiting = d->waiting_resources ? d->waiting : 0;
	p->need_cpus = d->need_cpus;
	p->need_mem = d->need_mem;
	p->free_known = d->free_known;
	p->free_cpus = d->free_cpus;
	p->free_mem = d->free_mem;
	p->free_agents = d->free_agents;
	for (size_t i = 0; i < d->n_tasks; i++) {
		const struct obs_task *t = &d->tasks[i];
		int64_t ran = d->now_ms - t->first_running_ms;

		if (!t->alive || t->killing)
			continue; /* being killed: counted as stopping */
		if (!t->current) {
			p->old++;
			continue;
		}
		if (!t->running) {
			p->staging++;
			continue;
		}
		p->running++;
		if (p->health_checks) {
			if (t->health == ROGER_MARATHON_HEALTH_HEALTHY)
				p->healthy++;
			else if (t->health == ROGER_MARATHON_HEALTH_UNHEALTHY)
				p->unhealthy++;
		} else if (t->pre_started || settle == 0 || ran >= settle) {
			p->healthy++;
		} else if (settle - ran > p->settle_left_ms) {
			p->settle_left_ms = settle - ran;
		}
	}
	for (size_t i = 0; i < d->n_fails; i++)
		if (failure_counts(d, &d->fails[i]))
			p->failures++;
	for (size_t i = 0; i < d->n_tasks; i++)
		if (d->tasks[i].alive && d->tasks[i].killing)
			p->stopping++;
	/* every task wanted is launched: a queue entry left is stale */
	if (p->waiting_resources && p->target >= 0 &&
	    p->running + p->staging >= p->target) {
		p->waiting_resources = false;
		p->waiting = 0;
	}
}

static void set_task(struct roger_deploy *d, const struct failure *f)
{
	snprintf(d->st.task_id, sizeof(d->st.task_id), "%s",
		 f && f->task_id ? f->task_id : "");
	snprintf(d->st.task_state, sizeof(d->st.task_state), "%s",
		 f && f->state ? f->state : "");
	snprintf(d->st.task_message, sizeof(d->st.task_message), "%s",
		 f && f->message ? f->message : "");
}

static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = ' ';
}

static void fail(struct roger_deploy *d, enum roger_deploy_failure why,
		 const struct failure *f, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail(struct roger_deploy *d, enum roger_deploy_failure why,
		 const struct failure *f, const char *fmt, ...)
{
	va_list ap;

	d->st.state = ROGER_DEPLOY_FAILED;
	d->st.failure = why;
	va_start(ap, fmt);
	vsnprintf(d->st.reason, sizeof(d->st.reason), fmt, ap);
	va_end(ap);
	one_line(d->st.reason);
	set_task(d, f);
}

/* The subject of a failure message: "task 'id'" or "instance 'id'". */
static void task_name(char *out, size_t size, const struct failure *f)
{
	if (f->task_id)
		snprintf(out, size, "task '%s'", f->task_id);
	else
		snprintf(out, size, "instance '%s'", f->instance_id);
}

/* ": message" or "" */
static const char *colon(const char *msg)
{
	return msg && *msg ? ": " : "";
}

/* The most recent counted failure, preferring one that names its task. */
static const struct failure *last_failure(const struct roger_deploy *d,
					  bool health)
{
	const struct failure *best = NULL;

	for (size_t i = 0; i < d->n_fails; i++) {
		const struct failure *f = &d->fails[i];

		if (!failure_counts(d, f) || f->health != health)
			continue;
		if (!best || f->task_id || !best->task_id)
			best = f;
	}
	return best;
}

/*
 * A counted failure of a task that was seen running after the deployment
 * left the list: it did not keep running.
 */
static const struct failure *failure_after_gone(const struct roger_deploy *d)
{
	for (size_t i = d->n_fails; i-- > 0;) {
		const struct failure *f = &d->fails[i];

		if (!failure_counts(d, f) || f->health)
			continue;
		for (size_t j = 0; j < d->n_seen; j++)
			if (d->seen[j].after_gone &&
			    !strcmp(d->seen[j].instance, f->key))
				return f;
	}
	return NULL;
}

static bool ready(const struct roger_deploy *d)
{
	const struct roger_deploy_progress *p = &d->st.progress;

	return d->app_seen && !d->app_missing && p->target >= 0 &&
	       p->healthy >= p->target && p->running <= p->target &&
	       p->old == 0 && p->stopping == 0;
}

/* Ready but for the settle period. */
static bool settling(const struct roger_deploy *d)
{
	const struct roger_deploy_progress *p = &d->st.progress;

	return !p->health_checks && p->target >= 0 && p->running >= p->target &&
	       p->running <= p->target && p->old == 0 && p->settle_left_ms > 0;
}

static void progress_line(char *out, size_t size,
			  const struct roger_deploy_status *st)
{
	struct roger_buf b = ROGER_BUF_INIT;

	if (roger_deploy_progress_text(&b, st) == 0)
		snprintf(out, size, "%s", b.buf);
	else
		snprintf(out, size, "?");
	roger_buf_release(&b);
}

/* "30 s", "2.5 s" (a static buffer) */
static const char *seconds(int64_t ms)
{
	static char buf[32];

	if (ms % 1000 == 0)
		snprintf(buf, sizeof(buf), "%lld s", (long long)(ms / 1000));
	else
		snprintf(buf, sizeof(buf), "%.1f s", (double)ms / 1000.0);
	return buf;
}

static void decide_remove(struct roger_deploy *d)
{
	if (d->cancelled) {
		fail(d, ROGER_DEPLOY_FAIL_CANCELLED, NULL,
		     "deployment '%s' failed: %s", d->dep_id,
		     d->cancel_reason ? d->cancel_reason
				      : "Marathon gave no reason");
		return;
	}
	if (d->gone && d->app_missing) {
		d->st.state = ROGER_DEPLOY_SUCCEEDED;
		return;
	}
}

static void decide(struct roger_deploy *d)
{
	const struct roger_deploy_progress *p = &d->st.progress;
	const struct failure *f;
	char name[300], line[512];
	int64_t left;

	if (d->st.state != ROGER_DEPLOY_WAITING)
		return;
	count(d);
	if (removing(d)) {
		decide_remove(d);
		if (d->st.state != ROGER_DEPLOY_WAITING)
			return;
		goto timeout;
	}
	if (d->app_missing) {
		fail(d, ROGER_DEPLOY_FAIL_APP_GONE, NULL,
		     "app '%s' was deleted during the deployment", d->app_id);
		return;
	}
	if (d->cancelled) {
		fail(d, ROGER_DEPLOY_FAIL_CANCELLED, NULL,
		     "deployment '%s' failed: %s", d->dep_id,
		     d->cancel_reason && *d->cancel_reason
			     ? d->cancel_reason
			     : "Marathon gave no reason");
		return;
	}
	if ((f = last_failure(d, true))) {
		task_name(name, sizeof(name), f);
		fail(d, ROGER_DEPLOY_FAIL_HEALTH, f,
		     "%s of the new version was killed for failing its health checks%s%s",
		     name, colon(f->message), f->message ? f->message : "");
		return;
	}
	if (p->failures >= max_failures(d)) {
		f = last_failure(d, false);
		task_name(name, sizeof(name), f);
		fail(d, ROGER_DEPLOY_FAIL_TASKS, f,
		     "%d task%s of the new version failed; the last, %s, ended in %s%s%s",
		     p->failures, p->failures == 1 ? "" : "s", name, f->state,
		     colon(f->message), f->message ? f->message : "");
		return;
	}
	if (d->gone && (f = failure_after_gone(d))) {
		task_name(name, sizeof(name), f);
		fail(d, ROGER_DEPLOY_FAIL_SETTLE, f,
		     "%s of the new version ended in %s after the deployment, within the %lld s it had to keep running%s%s",
		     name, f->state, (long long)(settle_ms(d) / 1000),
		     colon(f->message), f->message ? f->message : "");
		return;
	}
	if (d->gone && d->app_seq > d->gone_seq) {
		if (ready(d)) {
			d->st.state = ROGER_DEPLOY_SUCCEEDED;
			return;
		}
		if (!settling(d) && d->version && d->app_version &&
		    strcmp(d->app_version, d->version) > 0) {
			fail(d, ROGER_DEPLOY_FAIL_VANISHED, NULL,
			     "deployment '%s' ended before the new version was up: the app now has version '%s' (another deployment replaced it)",
			     d->dep_id ? d->dep_id : "", d->app_version);
			return;
		}
		if (!settling(d) &&
		    d->now_ms - d->gone_ms >= ROGER_DEPLOY_VANISH_GRACE_MS &&
		    (f = last_failure(d, false))) {
			/*
			 * Our version is still the app's, and its tasks keep
			 * failing: they ran for a moment, which ended the
			 * deployment, between two looks (a slow machine, or
			 * polling alone).  That is a failure of the new
			 * tasks, and undoing it is safe.
			 */
			task_name(name, sizeof(name), f);
			fail(d, ROGER_DEPLOY_FAIL_TASKS, f,
			     "deployment '%s' ended, but the new version is not up: %d task%s of the new version failed; the last, %s, ended in %s%s%s",
			     d->dep_id ? d->dep_id : "", p->failures,
			     p->failures == 1 ? "" : "s", name, f->state,
			     colon(f->message), f->message ? f->message : "");
			return;
		}
		if (!settling(d) &&
		    d->now_ms - d->gone_ms >= ROGER_DEPLOY_VANISH_GRACE_MS) {
			progress_line(line, sizeof(line), &d->st);
			fail(d, ROGER_DEPLOY_FAIL_VANISHED, NULL,
			     "deployment '%s' ended before the new version was up (cancelled?): %s",
			     d->dep_id ? d->dep_id : "", line);
			return;
		}
	}
	left = d->goal.timeout_ms - p->elapsed_ms;
	if (d->goal.timeout_ms > 0 && p->delay_seconds > 0 &&
	    (int64_t)p->delay_seconds * 1000 > left) {
		f = last_failure(d, false);
		fail(d, ROGER_DEPLOY_FAIL_BACKOFF, f,
		     "launch backoff: Marathon waits %d s before launching the app again, past the %lld s left before the timeout%s%s",
		     p->delay_seconds, (long long)(left > 0 ? left / 1000 : 0),
		     f ? " (the last failure: " : "",
		     f ? (f->message && *f->message ? f->message : f->state)
		       : "");
		if (f && strlen(d->st.reason) + 1 < sizeof(d->st.reason))
			strcat(d->st.reason, ")");
		return;
	}
timeout:
	if (d->goal.timeout_ms > 0 && p->elapsed_ms >= d->goal.timeout_ms) {
		progress_line(line, sizeof(line), &d->st);
		d->st.state = ROGER_DEPLOY_TIMED_OUT;
		snprintf(d->st.reason, sizeof(d->st.reason),
			 "timed out after %s waiting for %s of app '%s': %s",
			 seconds(d->goal.timeout_ms),
			 d->dep_id ? "the deployment" : "the app", d->app_id,
			 line);
		set_task(d, last_failure(d, false));
	}
}

/* ---- reporting ----------------------------------------------------------- */

const char *roger_deploy_state_name(enum roger_deploy_state s)
{
	switch (s) {
	case ROGER_DEPLOY_WAITING:
		return "waiting";
	case ROGER_DEPLOY_SUCCEEDED:
		return "succeeded";
	case ROGER_DEPLOY_FAILED:
		return "failed";
	case ROGER_DEPLOY_TIMED_OUT:
		return "timed_out";
	}
	return "unknown";
}

bool roger_deploy_failure_revertible(enum roger_deploy_failure f)
{
	switch (f) {
	case ROGER_DEPLOY_FAIL_CANCELLED:
	case ROGER_DEPLOY_FAIL_VANISHED:
	case ROGER_DEPLOY_FAIL_APP_GONE:
	case ROGER_DEPLOY_FAIL_NONE:
		return false;
	default:
		return true;
	}
}

static int add_count(struct roger_buf *b, int n, const char *what)
{
	return n > 0 ? roger_buf_addf(b, ", %d %s", n, what) : 0;
}

/* "0.25" for cpus: two decimals at most, without trailing zeros. */
static void cpus_text(char *out, size_t size, double cpus)
{
	char *p;

	snprintf(out, size, "%.2f", cpus);
	p = out + strlen(out) - 1;
	while (p > out && *p == '0')
		*p-- = '\0';
	if (p > out && *p == '.')
		*p = '\0';
}

/*
 * "; waiting for resources: 2 tasks need 0.5 cpus / 512 MB each, 0.25
 * cpus / 100 MB free", or with several agents "... free on the roomiest
 * of 3 agents".
 */
static int resources_text(struct roger_buf *out,
			  const struct roger_deploy_progress *p)
{
	char need[32], free_cpus[32];
	int rc;

	cpus_text(need, sizeof(need), p->need_cpus);
	if (p->waiting > 1)
		rc = roger_buf_addf(
			out,
			"; waiting for resources: %d tasks need %s cpus / %.0f MB each",
			p->waiting, need, p->need_mem);
	else
		rc = roger_buf_addf(
			out, "; waiting for resources: needs %s cpus / %.0f MB",
			need, p->need_mem);
	if (rc < 0 || !p->free_known)
		return rc;
	cpus_text(free_cpus, sizeof(free_cpus), p->free_cpus);
	rc = roger_buf_addf(out, ", %s cpus / %.0f MB free", free_cpus,
			    p->free_mem);
	if (rc == 0 && p->free_agents > 1)
		rc = roger_buf_addf(out, " on the roomiest of %d agents",
				    p->free_agents);
	return rc;
}

int roger_deploy_progress_text(struct roger_buf *out,
			       const struct roger_deploy_status *st)
{
	const struct roger_deploy_progress *p = &st->progress;
	int rc;

	if (p->app_missing)
		return roger_buf_adds(
			out, p->deployment_active
				     ? "app removed, its tasks stopping"
				     : "app removed");
	if (p->target < 0)
		return roger_buf_adds(out, "waiting for the app");
	rc = roger_buf_addf(
		out, "%d/%d %s", p->health_checks ? p->healthy : p->running,
		p->target, p->health_checks ? "healthy" : "running");
	if (rc == 0 && !p->health_checks && p->settle_left_ms > 0) {
		long long s = (long long)(p->settle_left_ms + 999) / 1000;

		rc = roger_buf_addf(out, ", settling %lld s", s);
	}
	if (rc == 0)
		rc = add_count(out, p->staging, "staging");
	if (rc == 0)
		rc = add_count(out, p->unhealthy, "unhealthy");
	if (rc == 0)
		rc = add_count(out, p->old, "old");
	if (rc == 0)
		rc = add_count(out, p->stopping, "stopping");
	if (rc == 0)
		rc = add_count(out, p->failures, "failed");
	if (rc == 0 && p->delay_seconds > 0)
		rc = roger_buf_addf(out, ", launch delayed %d s",
				    p->delay_seconds);
	if (rc == 0 && p->waiting_resources)
		rc = resources_text(out, p);
	return rc;
}

json_t *roger_deploy_status_json(const struct roger_deploy_status *st)
{
	const struct roger_deploy_progress *p = &st->progress;
	json_t *o = json_pack(
		"{s:s,s:s?,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:b,s:f}", "app",
		st->app_id, "deployment",
		st->deployment_id[0] ? st->deployment_id : NULL, "state",
		roger_deploy_state_name(st->state), "target", p->target,
		"running", p->running, "healthy", p->healthy, "unhealthy",
		p->unhealthy, "staging", p->staging, "old", p->old, "stopping",
		p->stopping, "failures", p->failures, "deployment_active",
		p->deployment_active, "elapsed_seconds",
		(double)p->elapsed_ms / 1000.0);

	if (!o)
		return NULL;
	if (st->reason[0] &&
	    json_object_set_new(o, "reason", json_string(st->reason)) < 0)
		goto nomem;
	if (p->waiting_resources &&
	    json_object_set_new(
		    o, "waiting_for_resources",
		    json_pack("{s:i,s:f,s:f,s:o}", "tasks", p->waiting, "cpus",
			      p->need_cpus, "mem", p->need_mem, "free",
			      p->free_known ? json_pack("{s:f,s:f,s:i}", "cpus",
							p->free_cpus, "mem",
							p->free_mem, "agents",
							p->free_agents)
					    : json_null())) < 0)
		goto nomem;
	if (st->task_id[0] &&
	    json_object_set_new(o, "failed_task",
				json_pack("{s:s,s:s,s:s}", "id", st->task_id,
					  "state", st->task_state, "message",
					  st->task_message)) < 0)
		goto nomem;
	return o;
nomem:
	json_decref(o);
	return NULL;
}

/* ---- the default timeout ------------------------------------------------- */

static long ceil_l(double x)
{
	long i = (long)x;

	return (double)i < x ? i + 1 : i;
}

int64_t roger_deploy_default_timeout_ms(const struct roger_marathon_app *app,
					int instances, int64_t settle)
{
	long n = instances >= 0 ? instances : app->instances;
	long step, waves;
	double h = 0, ms;

	if (n < 1)
		n = 1;
	for (size_t i = 0; i < app->n_health_checks; i++) {
		const struct roger_marathon_health_check *hc =
			&app->health_checks[i];
		double t = (double)hc->grace_period_seconds +
			   (double)hc->interval_seconds *
				   hc->max_consecutive_failures +
			   hc->timeout_seconds;

		if (t > h)
			h = t;
	}
	step = n - ceil_l((double)n * app->minimum_health_capacity) +
	       (long)((double)n * app->maximum_over_capacity);
	if (step < 1)
		step = 1;
	waves = (n + step - 1) / step;
	if (app->n_health_checks || settle < 0)
		settle = 0;
	/* In doubles: health checks of a hostile reply overflow a long. */
	ms = (60 + (double)waves * (60 + h)) * 1000 + (double)settle;
	if (!(ms < (double)ROGER_DEPLOY_TIMEOUT_MAX_MS))
		return ROGER_DEPLOY_TIMEOUT_MAX_MS;
	return (int64_t)ms;
}

int64_t roger_deploy_remove_timeout_ms(const struct roger_marathon_app *app)
{
	json_t *grace =
		json_object_get(app->json, "taskKillGracePeriodSeconds");
	double s = json_number_value(grace); /* 0 when not a number */

	/* A server's 1e308 must not overflow the conversion to ms. */
	return 120000 + (int64_t)((s > 0 ? (s < 1e9 ? s : 1e9) : 0) * 1000);
}
