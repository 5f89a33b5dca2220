/*
 * scheduler.c - roger local's Marathon: apps, their tasks, deployments,
 * health checks, the launch queue with backoff, and the cpu/mem capacity.
 *
 * The model is Marathon's: an app's definition is the desired state and the
 * scheduler thread moves the actual state (tasks run by the agent) towards
 * it, every 200 ms or when kicked.  One pass under the lock:
 *   1. mark apps whose deployment's current step restarts them;
 *   2. reconcile every app: with a restart in progress, replace old tasks
 *      following upgradeStrategy (never fewer than minimumHealthCapacity
 *      ready, never more than maximumOverCapacity extra); otherwise start
 *      missing instances and kill surplus ones (killSelection).  Launches
 *      wait for the app's backoff delay and for free cpus, memory and ports,
 *      and what cannot start is what /v2/queue shows;
 *   3. advance deployments whose current step is done (a step is done when
 *      the app runs its target instances of the target version, healthy
 *      when it has health checks; like Marathon there is no timeout);
 *   4. collect due health checks.
 * Then, with the lock released, it launches and kills through the agent and
 * starts one thread per due health check.  The agent's status updates come
 * back through roger_local_sched_on_update(), which updates the task, the
 * backoff and lastTaskFailure, publishes Marathon's events and kicks the
 * loop.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ctx.h"
#include "err.h"
#include "json-num.h"
#include "local/internal.h"
#include "local/proc.h"
#include "util.h"

#define TICK_MS 200
#define DEFAULT_KILL_GRACE 3.0
#define HOST_PORT_MIN 31000
#define HOST_PORT_MAX 32000
#define SERVICE_PORT_MIN 10000
#define SERVICE_PORT_MAX 20000

static pthread_t sched_thread;

/* ---- small accessors ------------------------------------------------------- */

static double def_num(const json_t *def, const char *key, double dflt)
{
	json_t *v = json_object_get(def, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

/*
 * An int of a definition in [0, INT32_MAX], or `dflt`.  Requests are
 * normalized to that range, but app files of the state directory are not.
 */
static long def_int(const json_t *def, const char *key, long dflt)
{
	int64_t v;

	if (!roger_json_int(json_object_get(def, key), 0, INT32_MAX, &v))
		return dflt;
	return (long)v;
}

/* Seconds of a definition in [0, INT32_MAX]: as ms, they fit an int64. */
static double def_seconds(const json_t *def, const char *key, double dflt)
{
	double s = def_num(def, key, dflt);

	return s > 0 ? (s < INT32_MAX ? s : INT32_MAX) : 0;
}

static long def_instances(const struct roger_local_app *app)
{
	return app->deleted ? 0 : def_int(app->def, "instances", 1);
}

static bool task_alive(const struct roger_local_task *t)
{
	return !roger_task_state_terminal(t->state) && !t->kill_wanted;
}

static bool task_healthy(const struct roger_local_task *t)
{
	for (int i = 0; i < t->n_hc; i++)
		if (!t->hc[i].has_result || !t->hc[i].alive)
			return false;
	return true;
}

static bool task_ready(const struct roger_local_task *t)
{
	return t->state == ROGER_TASK_RUNNING && !t->kill_wanted &&
	       task_healthy(t);
}

static bool task_old(const struct roger_local_task *t)
{
	return strcmp(t->config_version, t->app->last_config) != 0;
}

static double kill_grace(const json_t *def)
{
	return def_seconds(def, "taskKillGracePeriodSeconds", DEFAULT_KILL_GRACE);
}

struct roger_local_app *roger_local_app_find(struct roger_local *L,
					     const char *id, bool deleted_too)
{
	for (struct roger_local_app *a = L->apps; a; a = a->next)
		if (!strcmp(a->id, id) && (deleted_too || !a->deleted))
			return a;
	return NULL;
}

struct roger_local_task *roger_local_task_find(struct roger_local *L,
					       const char *id)
{
	for (struct roger_local_app *a = L->apps; a; a = a->next)
		for (struct roger_local_task *t = a->tasks; t; t = t->next)
			if (!strcmp(t->id, id))
				return t;
	return NULL;
}

void roger_local_sched_kick(struct roger_local *L)
{
	pthread_cond_signal(&L->wake);
}

/* ---- apps ------------------------------------------------------------------- */

struct roger_local_app *roger_local_app_add(struct roger_local *L, json_t *def)
{
	struct roger_local_app *app = calloc(1, sizeof(*app)), **p;

	if (!app)
		return NULL;
	app->id = strdup(json_string_value(json_object_get(def, "id")));
	app->versions = json_array();
	if (!app->id) {
		json_decref(app->versions);
		free(app);
		return NULL;
	}
	for (p = &L->apps; *p && strcmp((*p)->id, app->id) < 0; p = &(*p)->next)
		;
	app->next = *p;
	*p = app;
	roger_local_app_set_def(L, app, def, true);
	if (L->txn)
		roger_local_txn_created(L->txn, app);
	return app;
}

static void task_free(struct roger_local_task *t)
{
	if (!t)
		return;
	json_decref(t->def);
	for (int i = 0; i < t->n_hc; i++)
		free(t->hc[i].last_failure_cause);
	free(t->hc);
	if (t->env)
		for (char **e = t->env; *e; e++)
			free(*e);
	free(t->env);
	free(t);
}

void roger_local_app_free(struct roger_local_app *app)
{
	if (!app)
		return;
	while (app->tasks) {
		struct roger_local_task *t = app->tasks;

		app->tasks = t->next;
		task_free(t);
	}
	json_decref(app->def);
	json_decref(app->versions);
	json_decref(app->last_failure);
	free(app->id);
	free(app);
}

void roger_local_app_unlink(struct roger_local *L, struct roger_local_app *app)
{
	for (struct roger_local_app **p = &L->apps; *p; p = &(*p)->next) {
		if (*p == app) {
			*p = app->next;
			return;
		}
	}
}

static json_t *versioned(const json_t *def, const char *version,
			 const char *last_config, const char *last_scaling)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach((json_t *)def, k, v)
	{
		if (!strcmp(k, "killSelection")) {
			json_object_set_new(out, "version", json_string(version));
			json_object_set_new(out, "versionInfo",
					    json_pack("{s:s,s:s}", "lastScalingAt",
						      last_scaling,
						      "lastConfigChangeAt",
						      last_config));
		}
		json_object_set(out, k, v);
	}
	if (!json_object_get(out, "version"))
		json_object_set_new(out, "version", json_string(version));
	return out;
}

bool roger_local_app_set_def(struct roger_local *L,
			     struct roger_local_app *app, json_t *def,
			     bool force_config_change)
{
	bool config = force_config_change || !app->def ||
		      roger_local_app_config_differs(app->def, def);

	roger_local_new_version(L, app->version, app->version);
	if (config) {
		strcpy(app->last_config, app->version);
		app->delay_s = 0;
		app->delay_until_ms = 0;
	}
	strcpy(app->last_scaling, app->version);
	json_decref(app->def);
	app->def = def;
	json_array_append_new(app->versions,
			      versioned(def, app->version, app->last_config,
					app->last_scaling));
	while (json_array_size(app->versions) > ROGER_LOCAL_MAX_VERSIONS)
		json_array_remove(app->versions, 0);
	return config;
}

static bool service_port_used(struct roger_local *L, long port,
			      const char *except)
{
	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		json_t *pd;
		size_t i;

		if (except && !strcmp(a->id, except))
			continue;
		json_array_foreach(json_object_get(a->def, "portDefinitions"), i, pd)
			if (json_integer_value(json_object_get(pd, "port")) == port)
				return true;
	}
	return false;
}

void roger_local_assign_service_ports(struct roger_local *L, json_t *def,
				      const char *app_id)
{
	json_t *pd, *pds = json_object_get(def, "portDefinitions");
	long next = SERVICE_PORT_MIN;
	size_t i;

	json_array_foreach(pds, i, pd)
	{
		bool taken;

		if (json_integer_value(json_object_get(pd, "port")) != 0)
			continue;
		do {
			taken = service_port_used(L, next, app_id);
			for (size_t j = 0; !taken && j < json_array_size(pds); j++)
				taken = json_integer_value(json_object_get(
						json_array_get(pds, j), "port")) == next;
			if (taken)
				next++;
		} while (taken && next < SERVICE_PORT_MAX);
		json_object_set_new(pd, "port", json_integer(next++));
	}
}

/* ---- JSON views ------------------------------------------------------------ */

static json_t *time_or_null(int64_t ms)
{
	char ts[ROGER_LOCAL_TIME_LEN];

	if (!ms)
		return json_null();
	roger_local_fmt_time(ts, ms);
	return json_string(ts);
}

json_t *roger_local_task_json(struct roger_local *L,
			      const struct roger_local_task *t,
			      bool service_ports)
{
	json_t *o = json_object(), *hcr = json_array(), *ports = json_array(),
	       *sp = json_array();
	char ts[ROGER_LOCAL_TIME_LEN];

	for (int i = 0; i < t->n_hc; i++) {
		const struct roger_local_hc *h = &t->hc[i];

		if (!h->has_result)
			continue;
		json_array_append_new(
			hcr,
			json_pack("{s:b,s:i,s:o,s:o,s:o,s:o,s:s}", "alive",
				  h->alive, "consecutiveFailures",
				  h->consecutive_failures, "firstSuccess",
				  time_or_null(h->first_success), "lastFailure",
				  time_or_null(h->last_failure), "lastSuccess",
				  time_or_null(h->last_success),
				  "lastFailureCause",
				  h->last_failure_cause
					  ? json_string(h->last_failure_cause)
					  : json_null(),
				  "instanceId", t->instance_id));
	}
	for (int i = 0; i < t->n_ports; i++)
		json_array_append_new(ports, json_integer(t->ports[i]));
	if (service_ports) {
		json_t *pd;
		size_t i;

		json_array_foreach(json_object_get(t->def, "portDefinitions"), i, pd)
			json_array_append(sp, json_object_get(pd, "port"));
	}
	json_object_set_new(o, "appId", json_string(t->app->id));
	json_object_set_new(o, "healthCheckResults", hcr);
	json_object_set_new(o, "host", json_string(ROGER_LOCAL_HOST));
	json_object_set_new(o, "id", json_string(t->id));
	json_object_set_new(o, "ipAddresses",
			    json_pack("[{s:s,s:s}]", "ipAddress",
				      ROGER_LOCAL_HOST, "protocol", "IPv4"));
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "servicePorts", sp);
	json_object_set_new(o, "slaveId", json_string(L->agent_id));
	/* A task the scheduler is killing shows so at once, as with an
	 * agent that reports TASK_KILLING. */
	json_object_set_new(o, "state",
			    json_string(roger_task_state_name(
				    t->kill_wanted && !roger_task_state_terminal(t->state)
					    ? ROGER_TASK_KILLING
					    : t->state)));
	roger_local_fmt_time(ts, t->staged_ms);
	json_object_set_new(o, "stagedAt", json_string(ts));
	if (t->started_ms) {
		roger_local_fmt_time(ts, t->started_ms);
		json_object_set_new(o, "startedAt", json_string(ts));
	}
	json_object_set_new(o, "version", json_string(t->version));
	json_object_set_new(o, "localVolumes", json_array());
	json_object_set_new(o, "role", json_string("*"));
	return o;
}

json_t *roger_local_deployments_of(struct roger_local *L, const char *app_id)
{
	json_t *out = json_array();

	for (struct roger_local_deployment *d = L->deployments; d; d = d->next) {
		json_t *step, *action;
		size_t i, j;
		bool hit = false;

		if (d->cancelling)
			continue;
		json_array_foreach(d->steps, i, step)
			json_array_foreach(json_object_get(step, "actions"), j, action)
				if (!strcmp(json_string_value(json_object_get(action, "app")),
					    app_id))
					hit = true;
		if (hit)
			json_array_append_new(out, json_pack("{s:s}", "id", d->id));
	}
	return out;
}

json_t *roger_local_app_json(struct roger_local *L,
			     const struct roger_local_app *app, bool info,
			     unsigned embed)
{
	json_t *o = versioned(app->def, app->version, app->last_config,
			      app->last_scaling);
	int staged = 0, running = 0, healthy = 0, unhealthy = 0;

	if (!info)
		return o;
	for (struct roger_local_task *t = app->tasks; t; t = t->next) {
		bool has_results = false, all_alive = true;

		if (t->state == ROGER_TASK_STAGING ||
		    t->state == ROGER_TASK_STARTING)
			staged++;
		else if (t->state == ROGER_TASK_RUNNING)
			running++;
		for (int i = 0; i < t->n_hc; i++) {
			if (t->hc[i].has_result)
				has_results = true;
			if (t->hc[i].has_result && !t->hc[i].alive)
				all_alive = false;
		}
		if (has_results && all_alive && task_healthy(t))
			healthy++;
		else if (has_results && !all_alive)
			unhealthy++;
	}
	json_object_set_new(o, "tasksStaged", json_integer(staged));
	json_object_set_new(o, "tasksRunning", json_integer(running));
	json_object_set_new(o, "tasksHealthy", json_integer(healthy));
	json_object_set_new(o, "tasksUnhealthy", json_integer(unhealthy));
	json_object_set_new(o, "deployments",
			    roger_local_deployments_of(L, app->id));
	if (embed & ROGER_LOCAL_EMBED_READINESS)
		json_object_set_new(o, "readinessCheckResults", json_array());
	if (embed & ROGER_LOCAL_EMBED_TASKS) {
		json_t *tasks = json_array();

		for (struct roger_local_task *t = app->tasks; t; t = t->next)
			if (!roger_task_state_terminal(t->state))
				json_array_append_new(tasks,
						      roger_local_task_json(L, t, false));
		json_object_set_new(o, "tasks", tasks);
	}
	if ((embed & ROGER_LOCAL_EMBED_FAILURE) && app->last_failure)
		json_object_set(o, "lastTaskFailure", app->last_failure);
	if (embed & ROGER_LOCAL_EMBED_STATS)
		json_object_set_new(o, "taskStats", json_object());
	return o;
}

json_t *roger_local_plan_json(const struct roger_local_deployment *d)
{
	return json_pack("{s:s,s:O,s:s}", "id", d->id, "steps", d->steps,
			 "version", d->version);
}

static json_t *step_actions(const struct roger_local_deployment *d, int step)
{
	return json_object_get(json_array_get(d->steps, (size_t)step - 1),
			       "actions");
}

json_t *roger_local_deployment_json(struct roger_local *L,
				    const struct roger_local_deployment *d)
{
	json_t *affected = json_array(), *current = json_array(), *step,
	       *action;
	size_t i, j;

	(void)L;
	json_array_foreach(d->steps, i, step)
	{
		json_array_foreach(json_object_get(step, "actions"), j, action)
		{
			json_t *app = json_object_get(action, "app");
			bool seen = false;

			for (size_t k = 0; k < json_array_size(affected); k++)
				if (json_equal(json_array_get(affected, k), app))
					seen = true;
			if (!seen)
				json_array_append(affected, app);
		}
	}
	if (d->current_step > 0)
		json_array_foreach(step_actions(d, d->current_step), j, action)
		{
			json_t *a = json_pack("{s:O,s:O,s:[]}", "action",
					      json_object_get(action, "action"),
					      "app", json_object_get(action, "app"),
					      "readinessCheckResults");

			roger_local_pull_progress(L, a);
			json_array_append_new(current, a);
		}
	return json_pack("{s:s,s:s,s:o,s:[],s:O,s:o,s:i,s:i}", "id", d->id,
			 "version", d->version, "affectedApps", affected,
			 "affectedPods", "steps", d->steps, "currentActions",
			 current, "currentStep", d->current_step, "totalSteps",
			 (int)json_array_size(d->steps));
}

bool roger_local_app_queued(struct roger_local *L,
			    const struct roger_local_app *app)
{
	(void)L;
	return !app->deleted && app->queue_count > 0;
}

json_t *roger_local_queue_json(struct roger_local *L)
{
	json_t *queue = json_array();
	int64_t now = roger_local_now(L);

	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		json_t *entry, *summary, *rejects;
		int64_t left = a->delay_until_ms > now ? a->delay_until_ms - now : 0;
		char since[ROGER_LOCAL_TIME_LEN];

		if (!roger_local_app_queued(L, a))
			continue;
		rejects = json_array();
		roger_local_fmt_time(since, a->queue_since_ms ? a->queue_since_ms : now);
		if (a->reject_cpus)
			json_array_append_new(rejects, json_pack("{s:s,s:i,s:i}", "reason", "InsufficientCpus", "declined", a->reject_cpus, "processed", a->reject_cpus));
		if (a->reject_mem)
			json_array_append_new(rejects, json_pack("{s:s,s:i,s:i}", "reason", "InsufficientMemory", "declined", a->reject_mem, "processed", a->reject_mem));
		if (a->reject_ports)
			json_array_append_new(rejects, json_pack("{s:s,s:i,s:i}", "reason", "InsufficientPorts", "declined", a->reject_ports, "processed", a->reject_ports));
		summary = json_pack("{s:I,s:I}", "processedOffersCount",
				    (json_int_t)a->offers_processed,
				    "unusedOffersCount",
				    (json_int_t)a->offers_unused);
		if (a->last_offer_ms && a->offers_unused)
			json_object_set_new(summary, "lastUnusedOfferAt",
					    time_or_null(a->last_offer_ms));
		json_object_set_new(summary, "rejectSummaryLastOffers", rejects);
		json_object_set_new(summary, "rejectSummaryLaunchAttempt",
				    json_deep_copy(rejects));
		entry = json_pack("{s:o,s:i,s:s,s:{s:I,s:b},s:s,s:o}", "app",
				  roger_local_app_json(L, a, false, 0), "count",
				  a->queue_count, "role", "*", "delay",
				  "timeLeftSeconds",
				  (json_int_t)((left + 999) / 1000), "overdue",
				  left == 0, "since", since,
				  "processedOffersSummary", summary);
		json_array_append_new(queue, entry);
	}
	return json_pack("{s:o}", "queue", queue);
}

/* ---- deployments ----------------------------------------------------------- */

struct roger_local_deployment *
roger_local_deployment_add(struct roger_local *L, json_t *steps,
			   json_t *originals, const char *version)
{
	struct roger_local_deployment *d = calloc(1, sizeof(*d)), **p;

	if (!d)
		return NULL;
	roger_uuid(d->id);
	snprintf(d->version, sizeof(d->version), "%s", version);
	d->steps = json_incref(steps);
	d->originals = originals ? json_incref(originals) : json_object();
	for (p = &L->deployments; *p; p = &(*p)->next)
		;
	*p = d;
	L->dirty_deployments = true;
	if (L->txn)
		roger_local_txn_deployments(L->txn, d);
	roger_local_sched_kick(L);
	return d;
}

struct roger_local_deployment *roger_local_deployment_find(
	struct roger_local *L, const char *id)
{
	for (struct roger_local_deployment *d = L->deployments; d; d = d->next)
		if (!d->cancelling && !strcmp(d->id, id))
			return d;
	return NULL;
}

void roger_local_deployment_drop(struct roger_local *L,
				 struct roger_local_deployment *d)
{
	for (struct roger_local_deployment **p = &L->deployments; *p;
	     p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			break;
		}
	}
	json_decref(d->steps);
	json_decref(d->originals);
	free(d);
	L->dirty_deployments = true;
}

void roger_local_deployment_cancel(struct roger_local *L,
				   struct roger_local_deployment *d)
{
	char ts[ROGER_LOCAL_TIME_LEN];
	json_t *ev;

	roger_local_fmt_time(ts, roger_local_now(L));
	ev = json_pack("{s:s,s:o,s:s,s:s,s:s}", "id", d->id, "plan",
		       roger_local_plan_json(d), "eventType",
		       "deployment_failed", "timestamp", ts, "reason",
		       "The upgrade has been cancelled");
	roger_local_events_publish(L, "deployment_failed", ev);
	if (L->txn) {
		d->cancelling = true;
		roger_local_txn_deployments(L->txn, NULL);
		return;
	}
	roger_local_deployment_drop(L, d);
}

static json_t *step_event(struct roger_local_deployment *d, int step)
{
	return json_pack("{s:o,s:{s:O}}", "plan", roger_local_plan_json(d),
			 "currentStep", "actions", step_actions(d, step));
}

/* Counts over an app's live tasks; `current_only`: of the current config. */
static void count_tasks(const struct roger_local_app *app, bool current_only,
			int *alive, int *ready, int *old)
{
	*alive = *ready = *old = 0;
	for (struct roger_local_task *t = app->tasks; t; t = t->next) {
		if (!task_alive(t))
			continue;
		if (task_old(t)) {
			(*old)++;
			if (current_only)
				continue;
		}
		(*alive)++;
		if (task_ready(t))
			(*ready)++;
	}
}

static bool action_done(struct roger_local *L, const json_t *action)
{
	const char *kind = json_string_value(json_object_get(action, "action"));
	const char *id = json_string_value(json_object_get(action, "app"));
	struct roger_local_app *app = roger_local_app_find(L, id, true);
	int alive, ready, old;
	long want;

	if (!strcmp(kind, "StartApplication"))
		return true;
	if (!strcmp(kind, "StopApplication")) {
		if (!app || !app->deleted)
			return true;
		for (struct roger_local_task *t = app->tasks; t; t = t->next)
			if (!roger_task_state_terminal(t->state))
				return false;
		return true;
	}
	if (!app || app->deleted)
		return true;
	want = def_instances(app);
	if (!strcmp(kind, "RestartApplication")) {
		count_tasks(app, true, &alive, &ready, &old);
		return old == 0 && alive == want && ready == want;
	}
	count_tasks(app, false, &alive, &ready, &old);
	return alive + old == want && ready == want;
}

static bool step_done(struct roger_local *L, struct roger_local_deployment *d)
{
	json_t *action;
	size_t i;

	json_array_foreach(step_actions(d, d->current_step), i, action)
		if (!action_done(L, action))
			return false;
	return true;
}

static void advance_deployments(struct roger_local *L)
{
	struct roger_local_deployment *d = L->deployments, *next;

	for (; d; d = next) {
		int total = (int)json_array_size(d->steps);

		next = d->next;
		if (d->current_step == 0) {
			if (total == 0) {
				roger_local_events_publish(
					L, "deployment_success",
					json_pack("{s:s,s:o}", "id", d->id, "plan",
						  roger_local_plan_json(d)));
				roger_local_deployment_drop(L, d);
				continue;
			}
			d->current_step = 1;
			L->dirty_deployments = true;
			roger_local_events_publish(L, "deployment_info",
						   step_event(d, 1));
		}
		while (step_done(L, d)) {
			roger_local_events_publish(L, "deployment_step_success",
						   step_event(d, d->current_step));
			if (d->current_step == total) {
				roger_local_events_publish(
					L, "deployment_success",
					json_pack("{s:s,s:o}", "id", d->id, "plan",
						  roger_local_plan_json(d)));
				roger_local_deployment_drop(L, d);
				break;
			}
			d->current_step++;
			L->dirty_deployments = true;
			roger_local_events_publish(L, "deployment_info",
						   step_event(d, d->current_step));
		}
	}
}

/* ---- work done outside the lock -------------------------------------------- */

struct launch {
	struct launch *next;
	char task_id[192];
	char *name;
	char *cmd;
	char **args;
	json_t *fetch;
	char **env;
	char *image; /* container.docker.image, or NULL */
	bool force_pull;
	double cpus, mem, disk;
	double kill_grace;
	uint16_t ports[ROGER_LOCAL_MAX_PORTS];
	int n_ports;
};

struct kill {
	struct kill *next;
	char task_id[192];
	double grace;
};

struct hc_job {
	struct hc_job *next;
	struct roger_local *L;
	char task_id[192];
	int index;
	char protocol[16];
	int port;
	char *path;
	char *command;
	char **env;
	int timeout_s;
	bool ignore_1xx;
};

struct work {
	struct launch *launches;
	struct kill *kills;
	struct hc_job *checks;
};

static char **strv_dup(char *const *v)
{
	size_t n = 0;
	char **out;

	while (v && v[n])
		n++;
	out = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; out && i < n; i++)
		out[i] = strdup(v[i]);
	return out;
}

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* ---- environment ----------------------------------------------------------- */

struct envb {
	char **v;
	size_t n, alloc;
};

static void env_set(struct envb *e, const char *name, const char *value)
{
	size_t nl = strlen(name);
	char *entry = malloc(nl + strlen(value) + 2);

	if (!entry)
		return;
	sprintf(entry, "%s=%s", name, value);
	for (size_t i = 0; i < e->n; i++) {
		if (!strncmp(e->v[i], name, nl) && e->v[i][nl] == '=') {
			free(e->v[i]);
			e->v[i] = entry;
			return;
		}
	}
	if (e->n + 2 > e->alloc) {
		size_t na = e->alloc ? e->alloc * 2 : 32;
		char **nv = realloc(e->v, na * sizeof(char *));

		if (!nv) {
			free(entry);
			return;
		}
		e->v = nv;
		e->alloc = na;
	}
	e->v[e->n++] = entry;
	e->v[e->n] = NULL;
}

/* Upper case with everything but [A-Z0-9_] turned into '_'. */
static void env_name(char *out, size_t size, const char *prefix,
		     const char *name)
{
	size_t n = (size_t)snprintf(out, size, "%s", prefix);

	for (; *name && n + 1 < size; name++) {
		char ch = *name;

		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		else if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			   ch == '_'))
			ch = '_';
		out[n++] = ch;
	}
	out[n] = '\0';
}

/* The environment Marathon gives a task (mesos/TaskBuilder, EnvironmentHelper). */
static char **task_env(const struct roger_local_task *t)
{
	struct envb e = { NULL, 0, 0 };
	const json_t *def = t->def;
	json_t *pds = json_object_get(def, "portDefinitions"), *pd, *v;
	struct roger_buf ports = ROGER_BUF_INIT, names = ROGER_BUF_INIT;
	char name[320], val[64];
	const char *k;
	size_t i;

	env_set(&e, "HOST", ROGER_LOCAL_HOST);
	for (int p = 0; p < t->n_ports; p++) {
		snprintf(name, sizeof(name), "PORT%d", p);
		snprintf(val, sizeof(val), "%u", t->ports[p]);
		env_set(&e, name, val);
		roger_buf_addf(&ports, "%s%u", p ? "," : "", t->ports[p]);
	}
	if (t->n_ports > 0) {
		snprintf(val, sizeof(val), "%u", t->ports[0]);
		env_set(&e, "PORT", val);
		env_set(&e, "PORTS", ports.buf);
	}
	json_array_foreach(pds, i, pd)
	{
		const char *pname = json_string_value(json_object_get(pd, "name"));
		json_int_t declared = json_integer_value(json_object_get(pd, "port"));

		if ((int)i >= t->n_ports)
			break;
		snprintf(val, sizeof(val), "%u", t->ports[i]);
		if (pname) {
			env_name(name, sizeof(name), "PORT_", pname);
			env_set(&e, name, val);
		}
		if (declared) {
			snprintf(name, sizeof(name), "PORT_%lld", (long long)declared);
			env_set(&e, name, val);
		}
	}
	env_set(&e, "MARATHON_APP_ID", t->app->id);
	env_set(&e, "MARATHON_APP_VERSION", t->version);
	roger_local_fmt_double(val, sizeof(val), def_num(def, "cpus", 1));
	env_set(&e, "MARATHON_APP_RESOURCE_CPUS", val);
	roger_local_fmt_double(val, sizeof(val), def_num(def, "mem", 128));
	env_set(&e, "MARATHON_APP_RESOURCE_MEM", val);
	roger_local_fmt_double(val, sizeof(val), def_num(def, "disk", 0));
	env_set(&e, "MARATHON_APP_RESOURCE_DISK", val);
	snprintf(val, sizeof(val), "%ld", def_int(def, "gpus", 0));
	env_set(&e, "MARATHON_APP_RESOURCE_GPUS", val);
	json_object_foreach(json_object_get(def, "labels"), k, v)
	{
		const char *s = json_string_value(v);

		if (!s || strlen(k) > 512 || strlen(s) > 512)
			continue;
		env_name(name, sizeof(name), "", k);
		roger_buf_addf(&names, "%s%s", names.len ? " " : "", name);
		env_name(name, sizeof(name), "MARATHON_APP_LABEL_", k);
		env_set(&e, name, s);
	}
	env_set(&e, "MARATHON_APP_LABELS", names.buf);
	json_object_foreach(json_object_get(def, "env"), k, v)
		if (json_is_string(v))
			env_set(&e, k, json_string_value(v));
	roger_buf_release(&ports);
	roger_buf_release(&names);
	if (!e.v)
		e.v = calloc(1, sizeof(char *));
	return e.v;
}

/* ---- launching ------------------------------------------------------------- */

static bool port_in_use(struct roger_local *L, long port)
{
	for (struct roger_local_app *a = L->apps; a; a = a->next)
		for (struct roger_local_task *t = a->tasks; t; t = t->next)
			if (!roger_task_state_terminal(t->state))
				for (int i = 0; i < t->n_ports; i++)
					if (t->ports[i] == port)
						return true;
	return false;
}

static bool port_free_on_host(long port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

static bool alloc_ports(struct roger_local *L, const json_t *def,
			uint16_t *out, int *n_out)
{
	json_t *pds = json_object_get(def, "portDefinitions"), *pd;
	bool require = json_is_true(json_object_get(def, "requirePorts"));
	static long next = -1;
	size_t i;
	int n = 0;

	if (next < 0) {
		/*
		 * Start at a random place in the range: two servers on one
		 * machine (parallel test runs, a second state directory)
		 * would otherwise hand out the same ports in the same order,
		 * each seeing a port free until the other's task binds it.
		 */
		unsigned short r = 0;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (unsigned short)getpid();
		next = HOST_PORT_MIN + r % (HOST_PORT_MAX - HOST_PORT_MIN + 1);
	}
	json_array_foreach(pds, i, pd)
	{
		long want = (long)json_integer_value(json_object_get(pd, "port"));
		long tries = 0;

		if (n >= ROGER_LOCAL_MAX_PORTS)
			break;
		if (require && want) {
			if (port_in_use(L, want) || !port_free_on_host(want))
				return false;
			out[n++] = (uint16_t)want;
			continue;
		}
		for (;;) {
			bool dup = false;

			if (++tries > HOST_PORT_MAX - HOST_PORT_MIN)
				return false;
			if (next > HOST_PORT_MAX)
				next = HOST_PORT_MIN;
			for (int j = 0; j < n; j++)
				dup = dup || out[j] == next;
			if (!dup && !port_in_use(L, next) &&
			    port_free_on_host(next))
				break;
			next++;
		}
		out[n++] = (uint16_t)next++;
	}
	*n_out = n;
	return true;
}

static void used_resources(struct roger_local *L, double *cpus, double *mem)
{
	*cpus = *mem = 0;
	for (struct roger_local_app *a = L->apps; a; a = a->next)
		for (struct roger_local_task *t = a->tasks; t; t = t->next)
			if (!roger_task_state_terminal(t->state)) {
				*cpus += t->cpus;
				*mem += t->mem;
			}
}

static struct roger_local_task *task_new(struct roger_local *L,
					 struct roger_local_app *app,
					 const uint16_t *ports, int n_ports)
{
	struct roger_local_task *t = calloc(1, sizeof(*t)), **p;
	char uuid[37], safe[160];
	json_t *hcs = json_object_get(app->def, "healthChecks");

	if (!t)
		return NULL;
	roger_uuid(uuid);
	roger_local_safe_id(safe, sizeof(safe), app->id);
	snprintf(t->instance_id, sizeof(t->instance_id), "%s.instance-%s", safe,
		 uuid);
	snprintf(t->id, sizeof(t->id), "%s._app.1", t->instance_id);
	t->app = app;
	strcpy(t->version, app->version);
	strcpy(t->config_version, app->last_config);
	t->def = json_incref(app->def);
	t->state = ROGER_TASK_STAGING;
	t->staged_ms = roger_local_now(L);
	t->cpus = def_num(app->def, "cpus", 1);
	t->mem = def_num(app->def, "mem", 128);
	t->disk = def_num(app->def, "disk", 0);
	memcpy(t->ports, ports, sizeof(uint16_t) * (size_t)n_ports);
	t->n_ports = n_ports;
	t->n_hc = (int)json_array_size(hcs);
	if (t->n_hc > 0)
		t->hc = calloc((size_t)t->n_hc, sizeof(*t->hc));
	if (t->n_hc > 0 && !t->hc)
		t->n_hc = 0;
	t->env = task_env(t);
	for (p = &app->tasks; *p; p = &(*p)->next)
		;
	*p = t;
	return t;
}

static struct launch *launch_job(const struct roger_local_task *t)
{
	struct launch *l = calloc(1, sizeof(*l));
	const json_t *def = t->def;
	json_t *args = json_object_get(def, "args");

	if (!l)
		return NULL;
	snprintf(l->task_id, sizeof(l->task_id), "%s", t->id);
	l->name = strdup(t->app->id);
	if (json_is_string(json_object_get(def, "cmd")))
		l->cmd = strdup(json_string_value(json_object_get(def, "cmd")));
	if (json_is_array(args)) {
		size_t n = json_array_size(args);

		l->args = calloc(n + 1, sizeof(char *));
		for (size_t i = 0; l->args && i < n; i++)
			l->args[i] = strdup(json_string_value(json_array_get(args, i)));
	}
	if (json_object_get(def, "fetch"))
		l->fetch = json_deep_copy(json_object_get(def, "fetch"));
	{
		json_t *docker = json_object_get(json_object_get(def, "container"), "docker");
		const char *image = json_string_value(json_object_get(docker, "image"));

		l->image = image ? strdup(image) : NULL;
		l->force_pull = json_is_true(json_object_get(docker, "forcePullImage"));
	}
	l->env = strv_dup(t->env);
	l->cpus = t->cpus;
	l->mem = t->mem;
	l->disk = t->disk;
	l->kill_grace = kill_grace(def);
	memcpy(l->ports, t->ports, sizeof(l->ports));
	l->n_ports = t->n_ports;
	return l;
}

/* Start up to `n` tasks of `app`, as backoff, capacity and ports allow. */
static int start_tasks(struct roger_local *L, struct roger_local_app *app,
		       int n, struct work *w)
{
	int64_t now = roger_local_now(L);
	int started = 0;

	if (n <= 0)
		return 0;
	if (now < app->delay_until_ms)
		return 0;
	for (; started < n; started++) {
		uint16_t ports[ROGER_LOCAL_MAX_PORTS];
		int n_ports = 0;
		double used_cpus, used_mem;
		struct roger_local_task *t;
		struct launch *l;
		double cpus = def_num(app->def, "cpus", 1);
		double mem = def_num(app->def, "mem", 128);

		used_resources(L, &used_cpus, &used_mem);
		app->offers_processed++;
		app->last_offer_ms = now;
		if (used_cpus + cpus > L->cap_cpus + 1e-9 ||
		    used_mem + mem > L->cap_mem + 1e-9) {
			app->offers_unused++;
			if (used_cpus + cpus > L->cap_cpus + 1e-9)
				app->reject_cpus++;
			if (used_mem + mem > L->cap_mem + 1e-9)
				app->reject_mem++;
			break;
		}
		if (!alloc_ports(L, app->def, ports, &n_ports)) {
			app->offers_unused++;
			app->reject_ports++;
			break;
		}
		t = task_new(L, app, ports, n_ports);
		if (!t)
			break;
		l = launch_job(t);
		if (l) {
			l->next = w->launches;
			w->launches = l;
		}
		t->launched = true;
	}
	return started;
}

/* ---- killing ---------------------------------------------------------------- */

void roger_local_task_kill(struct roger_local *L, struct roger_local_task *t)
{
	if (t->kill_wanted || roger_task_state_terminal(t->state))
		return;
	t->kill_wanted = true;
	roger_local_sched_kick(L);
}

static void queue_kills(struct roger_local *L, struct work *w)
{
	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		for (struct roger_local_task *t = a->tasks; t; t = t->next) {
			struct kill *k;

			if (!t->kill_wanted || t->kill_sent ||
			    roger_task_state_terminal(t->state))
				continue;
			k = calloc(1, sizeof(*k));
			if (!k)
				continue;
			snprintf(k->task_id, sizeof(k->task_id), "%s", t->id);
			k->grace = kill_grace(t->def);
			k->next = w->kills;
			w->kills = k;
			t->kill_sent = true;
		}
	}
	(void)L;
}

/* Kill order: tasks not ready first, then by killSelection. */
static struct roger_local_task *pick_victim(struct roger_local_app *app,
					    bool old_only)
{
	bool oldest_first = !strcmp(json_string_value(json_object_get(app->def, "killSelection")) ?: "",
				    "OLDEST_FIRST");
	struct roger_local_task *best = NULL;

	for (struct roger_local_task *t = app->tasks; t; t = t->next) {
		if (!task_alive(t) || (old_only && !task_old(t)))
			continue;
		if (!best) {
			best = t;
			continue;
		}
		if (task_ready(best) && !task_ready(t)) {
			best = t;
			continue;
		}
		if (task_ready(best) != task_ready(t))
			continue;
		if (oldest_first ? t->staged_ms < best->staged_ms
				 : t->staged_ms >= best->staged_ms)
			best = t;
	}
	return best;
}

/* ---- reconciling ------------------------------------------------------------ */

static void reconcile(struct roger_local *L, struct roger_local_app *app,
		      struct work *w)
{
	long want = def_instances(app);
	int alive = 0, ready = 0, old = 0, old_ready = 0, new_alive = 0,
	    new_ready = 0, missing = 0;
	json_t *us = json_object_get(app->def, "upgradeStrategy");

	for (struct roger_local_task *t = app->tasks; t; t = t->next) {
		if (!task_alive(t))
			continue;
		alive++;
		if (task_ready(t))
			ready++;
		if (task_old(t)) {
			old++;
			if (task_ready(t))
				old_ready++;
		} else {
			new_alive++;
			if (task_ready(t))
				new_ready++;
		}
	}
	if (app->restarting && old > 0) {
		long min_healthy = (long)ceil(
			want * def_num(us, "minimumHealthCapacity", 1) - 1e-9);
		long max_cap = (long)floor(
			want * (1 + def_num(us, "maximumOverCapacity", 1)) + 1e-9);
		long can_kill = ready - min_healthy, to_start;
		struct roger_local_task *t;

		/* Old tasks that are not ready count for nothing: replace them. */
		for (t = app->tasks; t; t = t->next) {
			if (task_alive(t) && task_old(t) && !task_ready(t)) {
				roger_local_task_kill(L, t);
				old--;
				alive--;
			}
		}
		while (can_kill > 0 && old > 0 && (t = pick_victim(app, true))) {
			roger_local_task_kill(L, t);
			can_kill--;
			old--;
			alive--;
		}
		to_start = want - new_alive;
		if (to_start > max_cap - alive)
			to_start = max_cap - alive;
		if (to_start <= 0 && old > 0 && new_alive < want &&
		    new_alive == new_ready && max_cap <= alive) {
			/* minimumHealthCapacity == maximumOverCapacity bound:
			 * Marathon kills one old instance to make room. */
			t = pick_victim(app, true);
			if (t) {
				roger_local_task_kill(L, t);
				alive--;
				to_start = 1;
			}
		}
		missing = (int)(want - new_alive);
		if (to_start > 0)
			missing -= start_tasks(L, app, (int)to_start, w);
	} else if (alive < want) {
		missing = (int)(want - alive);
		missing -= start_tasks(L, app, missing, w);
	} else {
		while (alive > want) {
			struct roger_local_task *t = pick_victim(app, false);

			if (!t)
				break;
			roger_local_task_kill(L, t);
			alive--;
		}
	}
	if (missing > 0 && !app->deleted) {
		if (!app->queue_since_ms)
			app->queue_since_ms = roger_local_now(L);
	} else {
		missing = 0;
		app->queue_since_ms = 0;
		app->reject_cpus = app->reject_mem = app->reject_ports = 0;
		app->offers_processed = app->offers_unused = 0;
	}
	app->queue_count = missing;
}

static void mark_restarting(struct roger_local *L)
{
	for (struct roger_local_app *a = L->apps; a; a = a->next)
		a->restarting = false;
	for (struct roger_local_deployment *d = L->deployments; d; d = d->next) {
		json_t *action;
		size_t i;

		if (d->current_step == 0)
			continue;
		json_array_foreach(step_actions(d, d->current_step), i, action)
		{
			struct roger_local_app *a;

			if (strcmp(json_string_value(json_object_get(action, "action")),
				   "RestartApplication"))
				continue;
			a = roger_local_app_find(
				L, json_string_value(json_object_get(action, "app")),
				false);
			if (a)
				a->restarting = true;
		}
	}
}

static void reap_deleted(struct roger_local *L)
{
	struct roger_local_app *a = L->apps, *next;

	for (; a; a = next) {
		json_t *deps;
		bool busy = false;

		next = a->next;
		/* Kept until its file is gone too, or a restart finds it. */
		if (!a->deleted || a->unsaved)
			continue;
		for (struct roger_local_task *t = a->tasks; t; t = t->next)
			if (!roger_task_state_terminal(t->state))
				busy = true;
		deps = roger_local_deployments_of(L, a->id);
		if (json_array_size(deps) > 0)
			busy = true;
		json_decref(deps);
		if (busy)
			continue;
		roger_local_app_unlink(L, a);
		roger_local_events_publish(L, "app_terminated_event",
					   json_pack("{s:s}", "appId", a->id));
		roger_local_app_free(a);
	}
}

/* ---- health checks --------------------------------------------------------- */

static void collect_checks(struct roger_local *L, struct work *w)
{
	int64_t now = roger_local_now(L);

	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		for (struct roger_local_task *t = a->tasks; t; t = t->next) {
			json_t *hcs = json_object_get(t->def, "healthChecks");

			if (t->state != ROGER_TASK_RUNNING || t->kill_wanted)
				continue;
			for (int i = 0; i < t->n_hc; i++) {
				json_t *hc = json_array_get(hcs, (size_t)i);
				struct roger_local_hc *h = &t->hc[i];
				struct hc_job *j;
				const char *proto;
				json_t *pi, *cmd;

				if (h->in_flight || now < h->next_ms)
					continue;
				j = calloc(1, sizeof(*j));
				if (!j)
					continue;
				j->L = L;
				snprintf(j->task_id, sizeof(j->task_id), "%s", t->id);
				j->index = i;
				proto = json_string_value(json_object_get(hc, "protocol"));
				snprintf(j->protocol, sizeof(j->protocol), "%s",
					 proto ? proto : "HTTP");
				pi = json_object_get(hc, "portIndex");
				if (json_is_integer(json_object_get(hc, "port")))
					j->port = (int)def_int(hc, "port", 0);
				else if (json_integer_value(pi) >= 0 &&
					 json_integer_value(pi) < t->n_ports)
					j->port = t->ports[json_integer_value(pi)];
				if (json_is_string(json_object_get(hc, "path")))
					j->path = strdup(json_string_value(json_object_get(hc, "path")));
				cmd = json_object_get(json_object_get(hc, "command"), "value");
				if (json_is_string(cmd))
					j->command = strdup(json_string_value(cmd));
				j->env = strv_dup(t->env);
				/* poll() takes the timeout in ms as an int. */
				j->timeout_s = (int)def_int(hc, "timeoutSeconds", 1);
				if (j->timeout_s <= 0)
					j->timeout_s = 1;
				if (j->timeout_s > INT32_MAX / 1000)
					j->timeout_s = INT32_MAX / 1000;
				j->ignore_1xx = json_is_true(json_object_get(hc, "ignoreHttp1xx"));
				h->in_flight = true;
				j->next = w->checks;
				w->checks = j;
			}
		}
	}
}

/*
 * Whether a check could not run for want of something of the server's
 * own (descriptors, memory): that says nothing about the task, so the
 * check gives no result instead of a failure that would get it killed.
 */
static bool own_shortage(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM ||
	       e == EAGAIN;
}

static size_t discard(char *p, size_t size, size_t n, void *data)
{
	(void)p;
	(void)data;
	return size * n;
}

/* 1: healthy, 0: unhealthy (cause set), -1: no result (an ignored 1xx,
 * or the server could not run the check). */
static int check_http(struct hc_job *j, char *cause, size_t size)
{
	CURL *c = curl_easy_init();
	char url[512];
	long code = 0, os_errno = 0;
	CURLcode rc;
	bool https = strstr(j->protocol, "HTTPS") != NULL;

	if (!c)
		return -1; /* out of memory: ours, not the task's */
	snprintf(url, sizeof(url), "%s://%s:%d%s", https ? "https" : "http",
		 ROGER_LOCAL_HOST, j->port, j->path ? j->path : "/");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)j->timeout_s * 1000);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "marathon");
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(cause, size, "%s", curl_easy_strerror(rc));
		return own_shortage((int)os_errno) ? -1 : 0;
	}
	if (code >= 100 && code < 200 && j->ignore_1xx)
		return -1;
	if (code >= 200 && code < 400)
		return 1;
	snprintf(cause, size, "%ld", code);
	return 0;
}

static int check_tcp(struct hc_job *j, char *cause, size_t size)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc, soerr = 0;
	socklen_t len = sizeof(soerr);

	if (fd < 0) {
		snprintf(cause, size, "%s", strerror(errno));
		return own_shortage(errno) ? -1 : 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)j->port);
	inet_pton(AF_INET, ROGER_LOCAL_HOST, &sa.sin_addr);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc < 0 && errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		rc = poll(&pfd, 1, j->timeout_s * 1000);
		if (rc == 0) {
			close(fd);
			snprintf(cause, size, "connection timed out");
			return 0;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		rc = soerr ? -1 : 0;
		errno = soerr;
	}
	close(fd);
	if (rc < 0) {
		snprintf(cause, size, "%s", strerror(errno));
		return 0;
	}
	return 1;
}

/*
 * A COMMAND check runs `sh -c command` in the task's sandbox with the
 * task's whole environment (HOST, PORT0..., MESOS_*, PATH), as the Mesos
 * command executor runs it.
 */
static int check_command(struct hc_job *j, char *cause, size_t size)
{
	char *sandbox = roger_agent_sandbox(j->L->agent, j->task_id);
	char **env = NULL;
	int64_t deadline;
	int status = 0;
	pid_t pid, r;

	if (roger_agent_task_env(&env, j->L->agent, j->task_id) < 0) {
		strv_free(env);
		env = NULL;
	}
	pid = fork();
	if (pid < 0) {
		free(sandbox);
		strv_free(env);
		snprintf(cause, size, "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		setpgid(0, 0);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		if (sandbox && chdir(sandbox) < 0)
			_exit(127);
		roger_proc_restore_nofile();
		execle("/bin/sh", "sh", "-c", j->command ? j->command : "false",
		       (char *)NULL, env ? env : j->env);
		_exit(127);
	}
	free(sandbox);
	strv_free(env);
	deadline = roger_clock_ms(CLOCK_MONOTONIC) +
		   (int64_t)j->timeout_s * 1000;
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			break;
		if (roger_clock_ms(CLOCK_MONOTONIC) > deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(cause, size, "command timed out after %d seconds",
				 j->timeout_s);
			return 0;
		}
		usleep(20000);
	}
	if (r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	if (r == pid && WIFEXITED(status))
		snprintf(cause, size, "command exited with status %d",
			 WEXITSTATUS(status));
	else
		snprintf(cause, size, "command failed");
	return 0;
}

/*
 * When the first check of health check `i` of a task that has just started
 * runs: Mesos-native checks (COMMAND, MESOS_*) wait delaySeconds (15 by
 * default), as the Mesos executor does; Marathon's own HTTP and TCP
 * checks start about a second after the task runs.
 */
static int64_t first_check_delay_ms(const struct roger_local_task *t, int i)
{
	json_t *hc = json_array_get(json_object_get(t->def, "healthChecks"),
				    (size_t)i);
	const char *proto = json_string_value(json_object_get(hc, "protocol"));

	if (!proto || (strcmp(proto, "COMMAND") && strncmp(proto, "MESOS_", 6)))
		return 1000;
	return (int64_t)def_int(hc, "delaySeconds", 15) * 1000;
}

static void record_check(struct roger_local *L, struct hc_job *j, int result,
			 const char *cause)
{
	struct roger_local_task *t = roger_local_task_find(L, j->task_id);
	struct roger_local_hc *h;
	json_t *hc;
	int64_t now = roger_local_now(L);
	long grace, interval, max_fail;
	bool was_alive;

	if (!t || j->index >= t->n_hc)
		return;
	h = &t->hc[j->index];
	h->in_flight = false;
	hc = json_array_get(json_object_get(t->def, "healthChecks"),
			    (size_t)j->index);
	grace = def_int(hc, "gracePeriodSeconds", 0);
	interval = def_int(hc, "intervalSeconds", 0);
	max_fail = def_int(hc, "maxConsecutiveFailures", 0);
	h->next_ms = now + (int64_t)(interval > 0 ? interval : 1) * 1000;
	if (t->state != ROGER_TASK_RUNNING || t->kill_wanted || result < 0)
		return;
	was_alive = h->has_result && h->alive;
	if (result == 1) {
		bool changed = !h->has_result || !h->alive;

		h->has_result = h->alive = true;
		h->consecutive_failures = 0;
		h->last_success = now;
		if (!h->first_success)
			h->first_success = now;
		if (changed)
			roger_local_events_publish(
				L, "health_status_changed_event",
				json_pack("{s:s,s:s,s:s,s:b}", "appId",
					  t->app->id, "instanceId",
					  t->instance_id, "version", t->version,
					  "alive", 1));
		roger_local_sched_kick(L);
		return;
	}
	/* Failures within the grace period count only after a first success. */
	if (!h->first_success && now - t->started_ms < (int64_t)grace * 1000)
		return;
	h->has_result = true;
	h->alive = false;
	h->consecutive_failures++;
	h->last_failure = now;
	free(h->last_failure_cause);
	h->last_failure_cause = strdup(cause);
	roger_local_events_publish(
		L, "failed_health_check_event",
		json_pack("{s:s,s:O,s:s}", "appId", t->app->id, "healthCheck",
			  hc, "taskId", t->instance_id));
	if (was_alive || h->consecutive_failures == 1)
		roger_local_events_publish(
			L, "health_status_changed_event",
			json_pack("{s:s,s:s,s:s,s:b}", "appId", t->app->id,
				  "instanceId", t->instance_id, "version",
				  t->version, "alive", 0));
	if (max_fail > 0 && h->consecutive_failures >= max_fail) {
		roger_local_events_publish(
			L, "unhealthy_instance_kill_event",
			json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "appId",
				  t->app->id, "taskId", t->id, "instanceId",
				  t->instance_id, "version", t->version,
				  "reason", cause, "host", ROGER_LOCAL_HOST,
				  "slaveId", L->agent_id));
		roger_log(L->ctx, ROGER_LOG_NOTICE,
			  "killing unhealthy task '%s': %s", t->id, cause);
		t->kill_unhealthy = true;
		roger_local_task_kill(L, t);
	}
}

static void hc_job_free(struct hc_job *j)
{
	free(j->path);
	free(j->command);
	strv_free(j->env);
	free(j);
}

static void *hc_thread(void *arg)
{
	struct hc_job *j = arg;
	struct roger_local *L = j->L;
	char cause[256] = "";
	int result;

	if (!strcmp(j->protocol, "COMMAND"))
		result = check_command(j, cause, sizeof(cause));
	else if (strstr(j->protocol, "TCP"))
		result = check_tcp(j, cause, sizeof(cause));
	else
		result = check_http(j, cause, sizeof(cause));
	pthread_mutex_lock(&L->lock);
	record_check(L, j, result, cause);
	L->health_threads--;
	pthread_cond_broadcast(&L->health_done);
	pthread_mutex_unlock(&L->lock);
	hc_job_free(j);
	return NULL;
}

/* ---- status updates --------------------------------------------------------- */

static const char *condition_name(enum roger_task_state s)
{
	switch (s) {
	case ROGER_TASK_STAGING:
		return "Staging";
	case ROGER_TASK_STARTING:
		return "Starting";
	case ROGER_TASK_RUNNING:
		return "Running";
	case ROGER_TASK_KILLING:
		return "Killing";
	case ROGER_TASK_FINISHED:
		return "Finished";
	case ROGER_TASK_FAILED:
		return "Failed";
	case ROGER_TASK_KILLED:
		return "Killed";
	case ROGER_TASK_LOST:
		return "Unreachable";
	case ROGER_TASK_ERROR:
		return "Error";
	}
	return "Unknown";
}

static void publish_status(struct roger_local *L, struct roger_local_task *t,
			   const char *message)
{
	json_t *ports = json_array();

	for (int i = 0; i < t->n_ports; i++)
		json_array_append_new(ports, json_integer(t->ports[i]));
	roger_local_events_publish(
		L, "status_update_event",
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:o,s:s}",
			  "slaveId", L->agent_id, "taskId", t->id, "taskStatus",
			  roger_task_state_name(t->state), "message",
			  message ? message : "", "appId", t->app->id, "host",
			  ROGER_LOCAL_HOST, "ipAddresses", "ipAddress",
			  ROGER_LOCAL_HOST, "protocol", "IPv4", "ports", ports,
			  "version", t->version));
	roger_local_events_publish(
		L, "instance_changed_event",
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "instanceId",
			  t->instance_id, "condition", condition_name(t->state),
			  "runSpecId", t->app->id, "agentId", L->agent_id,
			  "host", ROGER_LOCAL_HOST, "runSpecVersion",
			  t->version));
}

static void bump_backoff(struct roger_local *L, struct roger_local_app *app)
{
	double base = def_seconds(app->def, "backoffSeconds", 1);
	double factor = def_num(app->def, "backoffFactor", 1.15);
	double max = def_seconds(app->def, "maxLaunchDelaySeconds", 300);

	app->delay_s = app->delay_s > 0 ? app->delay_s * factor : base;
	if (app->delay_s > max)
		app->delay_s = max;
	app->delay_until_ms = roger_local_now(L) + (int64_t)(app->delay_s * 1000);
}

static void remove_task(struct roger_local_app *app, struct roger_local_task *t)
{
	for (struct roger_local_task **p = &app->tasks; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	task_free(t);
}

static void task_terminated(struct roger_local *L, struct roger_local_task *t,
			    const struct roger_agent_update *u)
{
	struct roger_local_app *app = t->app;
	bool failure = u->state == ROGER_TASK_FAILED ||
		       u->state == ROGER_TASK_ERROR ||
		       u->state == ROGER_TASK_LOST;

	if (failure) {
		char ts[ROGER_LOCAL_TIME_LEN];

		roger_local_fmt_time(ts, u->timestamp > 0
						 ? (int64_t)(u->timestamp * 1000)
						 : roger_local_now(L));
		json_decref(app->last_failure);
		app->last_failure = json_pack(
			"{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "appId", app->id,
			"host", ROGER_LOCAL_HOST, "message",
			u->message ? u->message : "", "state",
			roger_task_state_name(u->state), "taskId", t->id,
			"timestamp", ts, "version", t->version, "slaveId",
			L->agent_id);
		roger_local_state_save_app(L, app);
	}
	if (!t->kill_wanted || t->kill_unhealthy)
		bump_backoff(L, app);
	remove_task(app, t);
}

void roger_local_sched_on_update(void *data, const struct roger_agent_update *u)
{
	struct roger_local *L = data;
	struct roger_local_task *t;

	pthread_mutex_lock(&L->lock);
	t = roger_local_task_find(L, u->task_id);
	if (!t || roger_task_state_terminal(t->state)) {
		pthread_mutex_unlock(&L->lock);
		return;
	}
	t->state = u->state;
	if (u->state == ROGER_TASK_RUNNING && !t->started_ms) {
		t->started_ms = u->timestamp > 0 ? (int64_t)(u->timestamp * 1000)
						 : roger_local_now(L);
		for (int i = 0; i < t->n_hc; i++)
			t->hc[i].next_ms = roger_local_now(L) +
					   first_check_delay_ms(t, i);
	}
	publish_status(L, t, u->message);
	if (roger_task_state_terminal(u->state))
		task_terminated(L, t, u);
	roger_local_sched_kick(L);
	pthread_mutex_unlock(&L->lock);
}

/* ---- the loop --------------------------------------------------------------- */

static void tick(struct roger_local *L, struct work *w)
{
	mark_restarting(L);
	for (struct roger_local_app *a = L->apps; a; a = a->next)
		reconcile(L, a, w);
	advance_deployments(L);
	mark_restarting(L);
	queue_kills(L, w);
	collect_checks(L, w);
	reap_deleted(L);
	roger_local_state_flush(L);
}

static void fail_launch(struct roger_local *L, const char *task_id,
			const char *message)
{
	struct roger_agent_update u = { task_id, ROGER_TASK_FAILED, message, 0 };

	roger_local_sched_on_update(L, &u);
}

static void do_work(struct roger_local *L, struct work *w)
{
	struct roger_err err = ROGER_ERR_INIT;

	while (w->kills) {
		struct kill *k = w->kills;

		w->kills = k->next;
		if (roger_agent_kill(L->agent, k->task_id, k->grace, &err) < 0) {
			struct roger_agent_update u = { k->task_id,
							ROGER_TASK_KILLED,
							"", 0 };

			/* Not known to the agent (never started, or gone). */
			roger_local_sched_on_update(L, &u);
		}
		free(k);
	}
	while (w->launches) {
		struct launch *l = w->launches;
		struct roger_agent_task at;

		w->launches = l->next;
		memset(&at, 0, sizeof(at));
		at.task_id = l->task_id;
		at.framework_id = L->framework_id;
		at.name = l->name;
		at.cmd = l->cmd;
		at.args = (const char *const *)l->args;
		at.fetch = l->fetch;
		at.image = l->image;
		at.force_pull_image = l->force_pull;
		at.env = (const char *const *)l->env;
		at.cpus = l->cpus;
		at.mem = l->mem;
		at.disk = l->disk;
		at.kill_grace_seconds = l->kill_grace;
		at.ports = l->ports;
		at.n_ports = l->n_ports;
		roger_err_clear(&err);
		if (roger_agent_launch(L->agent, &at, &err) < 0)
			fail_launch(L, l->task_id, err.msg);
		free(l->name);
		free(l->cmd);
		strv_free(l->args);
		strv_free(l->env);
		json_decref(l->fetch);
		free(l->image);
		free(l);
	}
	while (w->checks) {
		struct hc_job *j = w->checks;
		pthread_attr_t attr;
		pthread_t th;

		w->checks = j->next;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_mutex_lock(&L->lock);
		L->health_threads++;
		pthread_mutex_unlock(&L->lock);
		if (pthread_create(&th, &attr, hc_thread, j) != 0) {
			pthread_mutex_lock(&L->lock);
			L->health_threads--;
			record_check(L, j, -1, "cannot start a health check");
			pthread_mutex_unlock(&L->lock);
			hc_job_free(j);
		}
		pthread_attr_destroy(&attr);
	}
}

static void *sched_main(void *arg)
{
	struct roger_local *L = arg;

	pthread_mutex_lock(&L->lock);
	while (!L->stopping) {
		struct work w = { NULL, NULL, NULL };
		struct timespec ts;

		tick(L, &w);
		pthread_mutex_unlock(&L->lock);
		do_work(L, &w);
		pthread_mutex_lock(&L->lock);
		if (L->stopping)
			break;
		roger_clock_deadline(&ts, TICK_MS);
		pthread_cond_timedwait(&L->wake, &L->lock, &ts);
	}
	pthread_mutex_unlock(&L->lock);
	return NULL;
}

int roger_local_sched_start(struct roger_local *L, struct roger_err *err)
{
	if (pthread_create(&sched_thread, NULL, sched_main, L) != 0)
		return roger_err_set(err, ROGER_ERROR,
				     "cannot start the scheduler thread");
	return 0;
}

void roger_local_sched_stop(struct roger_local *L)
{
	struct kill *kills = NULL;

	pthread_mutex_lock(&L->lock);
	L->stopping = true;
	pthread_cond_broadcast(&L->wake);
	pthread_mutex_unlock(&L->lock);
	pthread_join(sched_thread, NULL);

	pthread_mutex_lock(&L->lock);
	while (L->health_threads > 0)
		pthread_cond_wait(&L->health_done, &L->lock);
	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		for (struct roger_local_task *t = a->tasks; t; t = t->next) {
			struct kill *k;

			if (roger_task_state_terminal(t->state) || !t->launched)
				continue;
			k = calloc(1, sizeof(*k));
			if (!k)
				continue;
			snprintf(k->task_id, sizeof(k->task_id), "%s", t->id);
			k->grace = kill_grace(t->def);
			k->next = kills;
			kills = k;
		}
	}
	pthread_mutex_unlock(&L->lock);
	while (kills) {
		struct kill *k = kills;

		kills = k->next;
		roger_agent_kill(L->agent, k->task_id, k->grace, NULL);
		free(k);
	}
}
