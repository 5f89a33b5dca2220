/*
 * marathon-views.c - roger local's apps, tasks, deployments and launch
 * queue as JSON, in the shapes Marathon 1.10 prints them (AppInfo with its
 * embedded parts, tasks with their health results, deployment plans and
 * their current actions, the queue with its offer summaries), for the
 * handlers of marathon-api.c and the events.  Each function reads the
 * state under the lock its caller holds and returns a new reference.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local/internal.h"

json_t *roger_local_app_version_json(const json_t *def, const char *version,
				     const char *last_config,
				     const char *last_scaling)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach((json_t *)def, k, v) {
		if (!strcmp(k, "killSelection")) {
			json_object_set_new(out, "version",
					    json_string(version));
			json_object_set_new(
				out, "versionInfo",
				json_pack("{s:s,s:s}", "lastScalingAt",
					  last_scaling, "lastConfigChangeAt",
					  last_config));
		}
		json_object_set(out, k, v);
	}
	if (!json_object_get(out, "version"))
		json_object_set_new(out, "version", json_string(version));
	return out;
}

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

		json_array_foreach(json_object_get(t->def, "portDefinitions"),
				   i, pd)
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
	json_object_set_new(
		o, "state",
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

	for (struct roger_local_deployment *d = L->deployments; d;
	     d = d->next) {
		json_t *step, *action;
		size_t i, j;
		bool hit = false;

		if (d->cancelling)
			continue;
		json_array_foreach(d->steps, i, step)
			json_array_foreach(json_object_get(step, "actions"), j,
					   action)
				if (!strcmp(json_string_value(json_object_get(
						    action, "app")),
					    app_id))
					hit = true;
		if (hit)
			json_array_append_new(out,
					      json_pack("{s:s}", "id", d->id));
	}
	return out;
}

json_t *roger_local_app_json(struct roger_local *L,
			     const struct roger_local_app *app, bool info,
			     unsigned embed)
{
	json_t *o = roger_local_app_version_json(
		app->def, app->version, app->last_config, app->last_scaling);
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
		if (has_results && all_alive && roger_local_task_healthy(t))
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
				json_array_append_new(
					tasks,
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

json_t *roger_local_deployment_json(struct roger_local *L,
				    const struct roger_local_deployment *d)
{
	json_t *affected = json_array(), *current = json_array(), *step,
	       *action;
	size_t i, j;

	(void)L;
	json_array_foreach(d->steps, i, step) {
		json_array_foreach(json_object_get(step, "actions"), j,
				   action) {
			json_t *app = json_object_get(action, "app");
			bool seen = false;

			for (size_t k = 0; k < json_array_size(affected); k++)
				if (json_equal(json_array_get(affected, k),
					       app))
					seen = true;
			if (!seen)
				json_array_append(affected, app);
		}
	}
	if (d->current_step > 0)
		json_array_foreach(roger_local_step_actions(d, d->current_step),
				   j, action) {
			json_t *a =
				json_pack("{s:O,s:O,s:[]}", "action",
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
		int64_t left =
			a->delay_until_ms > now ? a->delay_until_ms - now : 0;
		char since[ROGER_LOCAL_TIME_LEN];

		if (!roger_local_app_queued(L, a))
			continue;
		rejects = json_array();
		roger_local_fmt_time(
			since, a->queue_since_ms ? a->queue_since_ms : now);
		if (a->reject_cpus)
			json_array_append_new(
				rejects,
				json_pack("{s:s,s:i,s:i}", "reason",
					  "InsufficientCpus", "declined",
					  a->reject_cpus, "processed",
					  a->reject_cpus));
		if (a->reject_mem)
			json_array_append_new(
				rejects, json_pack("{s:s,s:i,s:i}", "reason",
						   "InsufficientMemory",
						   "declined", a->reject_mem,
						   "processed", a->reject_mem));
		if (a->reject_ports)
			json_array_append_new(
				rejects,
				json_pack("{s:s,s:i,s:i}", "reason",
					  "InsufficientPorts", "declined",
					  a->reject_ports, "processed",
					  a->reject_ports));
		summary = json_pack("{s:I,s:I}", "processedOffersCount",
				    (json_int_t)a->offers_processed,
				    "unusedOffersCount",
				    (json_int_t)a->offers_unused);
		if (a->last_offer_ms && a->offers_unused)
			json_object_set_new(summary, "lastUnusedOfferAt",
					    time_or_null(a->last_offer_ms));
		json_object_set_new(summary, "rejectSummaryLastOffers",
				    rejects);
		json_object_set_new(summary, "rejectSummaryLaunchAttempt",
				    json_deep_copy(rejects));
		entry = json_pack(
			"{s:o,s:i,s:s,s:{s:I,s:b},s:s,s:o}", "app",
			roger_local_app_json(L, a, false, 0), "count",
			a->queue_count, "role", "*", "delay", "timeLeftSeconds",
			(json_int_t)((left + 999) / 1000), "overdue", left == 0,
			"since", since, "processedOffersSummary", summary);
		json_array_append_new(queue, entry);
	}
	return json_pack("{s:o}", "queue", queue);
}
