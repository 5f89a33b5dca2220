/*
 * scheduler.c - roger local's Marathon: apps, their tasks, deployments,
 * the launch queue with backoff, and the cpu/mem capacity.
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
 *   4. collect due health checks (health.c).
 * Then, with the lock released, it launches and kills through the agent and
 * starts one thread per due health check (health.c).  The agent's status
 * updates come back through roger_local_sched_on_update(), which updates the
 * task, the backoff and lastTaskFailure, publishes Marathon's events and kicks
 * the loop.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "err.h"
#include "json-num.h"
#include "local/decide.h"
#include "local/internal.h"
#include "local/router.h"
#include "util.h"

#define TICK_MS 200
#define TICK_PASSES 3
#define DEFAULT_KILL_GRACE 3.0
#define HOST_PORT_MIN 31000
#define HOST_PORT_MAX 32000
#define SERVICE_PORT_SPAN 10000

/* ---- small accessors ------------------------------------------------------- */

static double def_num(const json_t *def, const char *key, double dflt)
{
	json_t *v = json_object_get(def, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

long roger_local_def_int(const json_t *def, const char *key, long dflt)
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
	return app->deleted ? 0 : roger_local_def_int(app->def, "instances", 1);
}

static bool task_alive(const struct roger_local_task *t)
{
	return !roger_task_state_terminal(t->state) && !t->kill_wanted;
}

bool roger_local_task_healthy(const struct roger_local_task *t)
{
	for (int i = 0; i < t->n_hc; i++)
		if (!t->hc[i].has_result || !t->hc[i].alive)
			return false;
	return true;
}

static bool task_ready(const struct roger_local_task *t)
{
	return t->state == ROGER_TASK_RUNNING && !t->kill_wanted &&
	       roger_local_task_healthy(t);
}

static bool task_old(const struct roger_local_task *t)
{
	return strcmp(t->config_version, t->app->last_config) != 0;
}

/*
 * The facts decide.c needs about the tasks of `app`, in list order: a new
 * array in `*out` (NULL when it has no task) of `*n` entries.
 */
static int task_facts(struct roger_decide_task **out, size_t *n,
		      const struct roger_local_app *app)
{
	struct roger_decide_task *facts = NULL;
	size_t count = 0, i = 0;

	for (struct roger_local_task *t = app->tasks; t; t = t->next)
		count++;
	if (count > 0 && !(facts = calloc(count, sizeof(*facts))))
		return ROGER_ENOMEM;
	for (struct roger_local_task *t = app->tasks; t; t = t->next, i++) {
		facts[i].live = !roger_task_state_terminal(t->state);
		facts[i].alive = task_alive(t);
		facts[i].ready = task_ready(t);
		facts[i].old = task_old(t);
		facts[i].staged_ms = t->staged_ms;
	}
	*out = facts;
	*n = count;
	return 0;
}

static double kill_grace(const json_t *def)
{
	return def_seconds(def, "taskKillGracePeriodSeconds",
			   DEFAULT_KILL_GRACE);
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

bool roger_local_app_set_def(struct roger_local *L, struct roger_local_app *app,
			     json_t *def, bool force_config_change)
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
			      roger_local_app_version_json(def, app->version,
							   app->last_config,
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
		json_array_foreach(json_object_get(a->def, "portDefinitions"),
				   i, pd)
			if (json_integer_value(json_object_get(pd, "port")) ==
			    port)
				return true;
	}
	return false;
}

void roger_local_assign_service_ports(struct roger_local *L, json_t *def,
				      const char *app_id)
{
	json_t *pd, *pds = json_object_get(def, "portDefinitions");
	long next = L->service_port_min > 0 ? L->service_port_min : 10000;
	long last = next + SERVICE_PORT_SPAN < 65535 ? next + SERVICE_PORT_SPAN
						     : 65535;
	size_t i;

	json_array_foreach(pds, i, pd) {
		bool taken;

		if (json_integer_value(json_object_get(pd, "port")) != 0)
			continue;
		do {
			taken = service_port_used(L, next, app_id);
			for (size_t j = 0; !taken && j < json_array_size(pds);
			     j++)
				taken = json_integer_value(json_object_get(
						json_array_get(pds, j),
						"port")) == next;
			if (taken)
				next++;
		} while (taken && next < last);
		json_object_set_new(pd, "port", json_integer(next++));
	}
}

/* ---- deployments ----------------------------------------------------------- */

json_t *roger_local_step_actions(const struct roger_local_deployment *d,
				 int step)
{
	return json_object_get(json_array_get(d->steps, (size_t)step - 1),
			       "actions");
}

struct roger_local_deployment *roger_local_deployment_add(struct roger_local *L,
							  json_t *steps,
							  json_t *originals,
							  const char *version)
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

struct roger_local_deployment *
roger_local_deployment_find(struct roger_local *L, const char *id)
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
			 "currentStep", "actions",
			 roger_local_step_actions(d, step));
}

/* The facts about one action of a deployment's step, for decide.c. */
static bool action_done(struct roger_local *L, const json_t *action)
{
	const char *kind = json_string_value(json_object_get(action, "action"));
	const char *id = json_string_value(json_object_get(action, "app"));
	struct roger_local_app *app = roger_local_app_find(L, id, true);
	struct roger_decide_target target;
	struct roger_decide_task *facts = NULL;
	size_t n = 0;
	bool done;

	if (app && task_facts(&facts, &n, app) < 0)
		return false; /* out of memory: look again next time */
	if (app) {
		target.deleted = app->deleted;
		target.instances = def_instances(app);
	}
	done = roger_decide_action_done(roger_decide_action_kind(kind),
					app ? &target : NULL, facts, n);
	free(facts);
	return done;
}

static bool step_done(struct roger_local *L, struct roger_local_deployment *d,
		      int step)
{
	json_t *action;
	size_t i;

	json_array_foreach(roger_local_step_actions(d, step), i, action)
		if (!action_done(L, action))
			return false;
	return true;
}

/* Publish what roger_decide_advance() decided for `d`; false when `d` is
 * over (and dropped). */
static bool publish_advance(struct roger_local *L,
			    struct roger_local_deployment *d,
			    const struct roger_decide_event *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (ev[i].type) {
		case ROGER_DECIDE_STEP_INFO:
			roger_local_events_publish(L, "deployment_info",
						   step_event(d, ev[i].step));
			break;
		case ROGER_DECIDE_STEP_SUCCESS:
			roger_local_events_publish(L, "deployment_step_success",
						   step_event(d, ev[i].step));
			break;
		case ROGER_DECIDE_SUCCESS:
			roger_local_events_publish(
				L, "deployment_success",
				json_pack("{s:s,s:o}", "id", d->id, "plan",
					  roger_local_plan_json(d)));
			roger_local_deployment_drop(L, d);
			return false;
		}
	}
	return true;
}

/* Move every deployment on as far as its steps are done; true when one
 * moved (a step began, or the deployment ended). */
static bool advance_deployments(struct roger_local *L)
{
	struct roger_local_deployment *d = L->deployments, *next;
	bool moved = false;

	for (; d; d = next) {
		int total = (int)json_array_size(d->steps),
		    step = d->current_step;
		struct roger_decide_event *ev;
		bool *done;
		size_t n;

		next = d->next;
		done = calloc((size_t)total + 1, sizeof(*done));
		ev = calloc(ROGER_DECIDE_MAX_EVENTS(total), sizeof(*ev));
		if (!done || !ev) {
			free(done);
			free(ev);
			continue; /* out of memory: look again next time */
		}
		for (int s = step > 0 ? step : 1; s <= total; s++)
			done[s - 1] = step_done(L, d, s);
		n = roger_decide_advance(ev, &step, total, done);
		free(done);
		/* Every event names the step it is about: move first. */
		if (step != d->current_step) {
			d->current_step = step;
			L->dirty_deployments = true;
			moved = true;
		}
		if (!publish_advance(L, d, ev, n))
			moved = true;
		free(ev);
	}
	return moved;
}

/* ---- work done outside the lock -------------------------------------------- */

struct work {
	struct roger_local_launch *launches;
	struct roger_local_kill *kills;
	struct roger_local_hc_job *checks;
};

/* ---- environment ----------------------------------------------------------- */

/* A later value of a variable replaces an earlier one (Marathon's map). */
static void env_set(struct roger_local_strv *e, const char *name,
		    const char *value)
{
	roger_local_env_put(e, name, value, true);
}

/* The environment Marathon gives a task (mesos/TaskBuilder, EnvironmentHelper).
 */
static char **task_env(const struct roger_local_task *t)
{
	struct roger_local_strv e = { NULL, 0, 0, false };
	const json_t *def = t->def;
	json_t *pds = json_object_get(def, "portDefinitions"), *pd;
	struct roger_buf ports = ROGER_BUF_INIT;
	char name[320], val[64];
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
	json_array_foreach(pds, i, pd) {
		const char *pname =
			json_string_value(json_object_get(pd, "name"));
		json_int_t declared =
			json_integer_value(json_object_get(pd, "port"));

		if ((int)i >= t->n_ports)
			break;
		snprintf(val, sizeof(val), "%u", t->ports[i]);
		if (pname) {
			roger_local_env_name(name, sizeof(name), "PORT_",
					     pname);
			env_set(&e, name, val);
		}
		if (declared) {
			snprintf(name, sizeof(name), "PORT_%lld",
				 (long long)declared);
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
	snprintf(val, sizeof(val), "%ld", roger_local_def_int(def, "gpus", 0));
	env_set(&e, "MARATHON_APP_RESOURCE_GPUS", val);
	roger_local_env_labels(&e, json_object_get(def, "labels"), 512,
			       json_object_get(def, "env"), true);
	roger_buf_release(&ports);
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

static bool alloc_ports(struct roger_local *L, const json_t *def, uint16_t *out,
			int *n_out)
{
	json_t *pds = json_object_get(def, "portDefinitions"), *pd;
	bool require = json_is_true(json_object_get(def, "requirePorts"));
	long *next = &L->next_host_port; /* this server's cursor */
	size_t i;
	int n = 0;

	if (*next == 0) {
		/*
		 * Start at a random place in the range: two servers on one
		 * machine (parallel test runs, a second state directory)
		 * would otherwise hand out the same ports in the same order,
		 * each seeing a port free until the other's task binds it.
		 */
		unsigned short r = 0;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (unsigned short)getpid();
		*next = HOST_PORT_MIN + r % (HOST_PORT_MAX - HOST_PORT_MIN + 1);
	}
	json_array_foreach(pds, i, pd) {
		long want =
			(long)json_integer_value(json_object_get(pd, "port"));
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
			if (*next > HOST_PORT_MAX)
				*next = HOST_PORT_MIN;
			for (int j = 0; j < n; j++)
				dup = dup || out[j] == *next;
			if (!dup && !port_in_use(L, *next) &&
			    port_free_on_host(*next))
				break;
			(*next)++;
		}
		out[n++] = (uint16_t)(*next)++;
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

static struct roger_local_launch *launch_job(const struct roger_local_task *t)
{
	struct roger_local_launch *l = calloc(1, sizeof(*l));
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
			l->args[i] = strdup(
				json_string_value(json_array_get(args, i)));
	}
	if (json_object_get(def, "fetch"))
		l->fetch = json_deep_copy(json_object_get(def, "fetch"));
	{
		json_t *docker = json_object_get(
			json_object_get(def, "container"), "docker");
		const char *image =
			json_string_value(json_object_get(docker, "image"));

		l->image = image ? strdup(image) : NULL;
		l->force_pull =
			json_is_true(json_object_get(docker, "forcePullImage"));
	}
	l->env = roger_local_strv_dup(t->env);
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
		struct roger_decide_res used, cap = { L->cap_cpus, L->cap_mem };
		struct roger_decide_res want = { def_num(app->def, "cpus", 1),
						 def_num(app->def, "mem",
							 128) };
		struct roger_local_task *t;
		struct roger_local_launch *l;
		unsigned short_of;

		used_resources(L, &used.cpus, &used.mem);
		app->offers_processed++;
		app->last_offer_ms = now;
		short_of = roger_decide_fit(&used, &want, &cap);
		if (short_of) {
			app->offers_unused++;
			if (short_of & ROGER_DECIDE_NO_CPUS)
				app->reject_cpus++;
			if (short_of & ROGER_DECIDE_NO_MEM)
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
	t->drain_until_ms = roger_clock_ms(CLOCK_MONOTONIC) +
			    (int64_t)(kill_grace(t->def) * 1000);
	roger_local_sched_kick(L);
}

static void queue_kills(struct roger_local *L, struct work *w)
{
	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		for (struct roger_local_task *t = a->tasks; t; t = t->next) {
			if (!t->kill_wanted || t->kill_sent ||
			    roger_task_state_terminal(t->state))
				continue;
			/* drain: connections the router opened finish first */
			if (t->state == ROGER_TASK_RUNNING &&
			    roger_local_router_busy(L->router, t) &&
			    roger_clock_ms(CLOCK_MONOTONIC) < t->drain_until_ms)
				continue;
			if (roger_local_kill_queue(&w->kills, t->id,
						   kill_grace(t->def)) < 0)
				continue;
			t->kill_sent = true;
		}
	}
	(void)L;
}

/* ---- reconciling ------------------------------------------------------------ */

static void reconcile(struct roger_local *L, struct roger_local_app *app,
		      struct work *w)
{
	json_t *us = json_object_get(app->def, "upgradeStrategy");
	const char *selection =
		json_string_value(json_object_get(app->def, "killSelection"));
	struct roger_decide_app facts_app;
	struct roger_decide_plan plan;
	struct roger_decide_task *facts = NULL;
	struct roger_local_task *t;
	size_t n = 0, i = 0;
	int missing;

	if (task_facts(&facts, &n, app) < 0)
		return; /* out of memory: look again next time */
	facts_app.instances = def_instances(app);
	facts_app.min_health = def_num(us, "minimumHealthCapacity", 1);
	facts_app.max_over = def_num(us, "maximumOverCapacity", 1);
	facts_app.oldest_first =
		selection && !strcmp(selection, "OLDEST_FIRST");
	facts_app.restarting = app->restarting;
	roger_decide_reconcile(&plan, facts, n, &facts_app);
	for (t = app->tasks; t && i < n; t = t->next, i++)
		if (facts[i].kill)
			roger_local_task_kill(L, t);
	free(facts);
	missing = plan.missing;
	if (plan.start > 0)
		missing -= start_tasks(L, app, plan.start, w);
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
	for (struct roger_local_deployment *d = L->deployments; d;
	     d = d->next) {
		json_t *action;
		size_t i;

		if (d->current_step == 0)
			continue;
		json_array_foreach(roger_local_step_actions(d, d->current_step),
				   i, action) {
			struct roger_local_app *a;

			if (strcmp(json_string_value(
					   json_object_get(action, "action")),
				   "RestartApplication"))
				continue;
			a = roger_local_app_find(
				L,
				json_string_value(
					json_object_get(action, "app")),
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

	app->delay_s = roger_decide_backoff(app->delay_s, base, factor, max);
	app->delay_until_ms =
		roger_local_now(L) + (int64_t)(app->delay_s * 1000);
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
	unsigned end = roger_decide_task_end(u->state, t->kill_wanted,
					     t->kill_unhealthy);

	if (end & ROGER_DECIDE_END_FAILURE) {
		char ts[ROGER_LOCAL_TIME_LEN];

		roger_local_fmt_time(
			ts, u->timestamp > 0 ? (int64_t)(u->timestamp * 1000)
					     : roger_local_now(L));
		json_decref(app->last_failure);
		app->last_failure =
			json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "appId",
				  app->id, "host", ROGER_LOCAL_HOST, "message",
				  u->message ? u->message : "", "state",
				  roger_task_state_name(u->state), "taskId",
				  t->id, "timestamp", ts, "version", t->version,
				  "slaveId", L->agent_id);
		roger_local_state_save_app(L, app);
	}
	if (end & ROGER_DECIDE_END_BACKOFF)
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
		t->started_ms = u->timestamp > 0
					? (int64_t)(u->timestamp * 1000)
					: roger_local_now(L);
		roger_local_health_started(L, t);
	}
	publish_status(L, t, u->message);
	if (roger_task_state_terminal(u->state))
		task_terminated(L, t, u);
	roger_local_sched_kick(L);
	pthread_mutex_unlock(&L->lock);
}

/* ---- the loop --------------------------------------------------------------- */

/*
 * One look at everything.  When a deployment moves on (a new step, or its
 * end), the apps are reconciled again at once under the new step, rather
 * than a tick later: a deploy's first task starts in the tick that
 * received it.  Bounded, as steps complete in a pass only when they have
 * nothing left to do.
 */
static void tick(struct roger_local *L, struct work *w)
{
	for (int pass = 0; pass < TICK_PASSES; pass++) {
		mark_restarting(L);
		for (struct roger_local_app *a = L->apps; a; a = a->next)
			reconcile(L, a, w);
		if (!advance_deployments(L))
			break;
	}
	mark_restarting(L);
	queue_kills(L, w);
	w->checks = roger_local_health_due(L);
	reap_deleted(L);
	roger_local_state_flush(L);
}

static void fail_launch(struct roger_local *L, const char *task_id,
			const char *message)
{
	struct roger_agent_update u = { task_id, ROGER_TASK_FAILED, message,
					0 };

	roger_local_sched_on_update(L, &u);
}

static void do_work(struct roger_local *L, struct work *w)
{
	struct roger_err err = ROGER_ERR_INIT;

	while (w->kills) {
		struct roger_local_kill *k = w->kills;

		w->kills = k->next;
		if (roger_agent_kill(L->agent, k->task_id, k->grace, &err) <
		    0) {
			struct roger_agent_update u = { k->task_id,
							ROGER_TASK_KILLED, "",
							0 };

			/* Not known to the agent (never started, or gone). */
			roger_local_sched_on_update(L, &u);
		}
		free(k);
	}
	while (w->launches) {
		struct roger_local_launch *l = w->launches;

		w->launches = l->next;
		roger_err_clear(&err);
		if (roger_local_launch_start(L->agent, l, L->framework_id, NULL,
					     &err) < 0)
			fail_launch(L, l->task_id, err.msg);
		roger_local_launch_free(l);
	}
	roger_local_health_run(L, w->checks);
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
	if (pthread_create(&L->sched_thread, NULL, sched_main, L) != 0)
		return roger_err_set(err, ROGER_ERROR,
				     "cannot start the scheduler thread");
	return 0;
}

void roger_local_sched_stop(struct roger_local *L)
{
	struct roger_local_kill *kills = NULL;

	pthread_mutex_lock(&L->lock);
	L->stopping = true;
	pthread_cond_broadcast(&L->wake);
	pthread_mutex_unlock(&L->lock);
	pthread_join(L->sched_thread, NULL);

	pthread_mutex_lock(&L->lock);
	while (L->health_threads > 0)
		pthread_cond_wait(&L->health_done, &L->lock);
	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		for (struct roger_local_task *t = a->tasks; t; t = t->next) {
			if (!roger_task_state_terminal(t->state) && t->launched)
				roger_local_kill_queue(&kills, t->id,
						       kill_grace(t->def));
		}
	}
	pthread_mutex_unlock(&L->lock);
	roger_local_kills_send(L->agent, kills);
}
