/*
 * status.c - `roger status`: what runs of the app on its target, in one
 * look.  The live version and its release labels (commit, environment, who
 * deployed it) against the project's HEAD; the instance counts; each task
 * with its address, state, health and age; the deployments in progress
 * with their steps; the last task failure; the launch queue's delay.
 *
 * Three reads: the app with its tasks, last failure and deployments
 * embedded (the only one that must succeed), then /v2/deployments (only
 * when the app has deployments, for their steps) and /v2/queue; a failure
 * of the last two is a warning and leaves their part out.  With a Mesos
 * URL, each task's cpu and memory come from its agent's statistics (one
 * request per agent, lib/stats.c): memory as rss against the limit, cpu
 * averaged over the task's life (one sample; `roger top` takes two, for
 * the use of the moment); an agent that does not answer leaves its tasks'
 * columns at '-'.  Nothing is
 * changed, and roger local is never started: when the local target is
 * down, the error says how to start it.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/jobs.h"
#include "util/watch.h"

/* How long an agent may take to give its statistics. */
#define STATS_TIMEOUT_MS 3000L

/* --wait is a deployment watch of its own: the options go to it. */
static struct cli_watch w = CLI_WATCH_INIT;
static bool wait_opt;

static const struct cmd_opt status_opts[] = {
	OPT_STRING(0, "app", &w.app_opt, "id", ARG_APP,
		   "another app of the target instead of the project's"),
	OPT_WATCH_TIMEOUT(&w),
	OPT_BOOL(
		0, "wait", &wait_opt,
		"first wait until the deployment in progress ends, as deploy waits"),
	OPT_END(),
};

struct status {
	struct cli *cli;
	const char *app_id;
	struct roger_marathon_app *app;
	struct roger_marathon_deployments *deps; /* NULL when not read */
	struct roger_marathon_queue *queue; /* NULL when not read */
	const struct roger_marathon_queue_entry *queued;
	struct roger_release release;
	bool is_release;
	bool has_head, dirty;
	char head[65];
	int64_t now;
	json_t *wait; /* what --wait saw (its watch document), or NULL */
	char *address; /* its stable address (cli_stable_address), or NULL */
	struct roger_stats_sample *stats; /* NULL: no Mesos, or unreadable */
	int waited; /* the exit status of --wait */
};

/*
 * The project's HEAD, when the app is the project's: the commit its release
 * at HEAD is of (in a monorepo, the last commit that changed the project;
 * see roger_pack_source_commit()), so that a commit of another app
 * leaves it live.
 */
static void read_head(struct status *s)
{
	struct cli *cli = s->cli;
	struct roger_repo *repo = NULL;
	struct roger_build_opts o = { 0 };
	struct roger_commit_info ci;
	bool dirty = false;

	if (!cli->project &&
	    roger_project_load(&cli->project, cli->ctx, cli->dir, NULL) == 0)
		(void)roger_project_select_env(cli->project, cli->env, NULL);
	if (!cli->project || strcmp(cli->project->id, s->app_id))
		return;
	if (roger_repo_discover(&repo, cli->project->dir, NULL) < 0)
		return;
	roger_build_opts_from_project(&o, cli->project);
	if (roger_pack_source_commit(&ci, cli->ctx, &o, NULL) == 0) {
		snprintf(s->head, sizeof(s->head), "%s", ci.id);
		s->has_head = true;
		if (roger_repo_dirty(&dirty, NULL, repo, cli->project->subdir,
				     NULL) == 0)
			s->dirty = dirty;
	}
	roger_repo_free(repo);
}

static int by_staged(const void *a, const void *b)
{
	const struct roger_marathon_task *x = a, *y = b;

	return strcmp(x->staged_at ? x->staged_at : "",
		      y->staged_at ? y->staged_at : "");
}

static const char *health_name(const struct status *s,
			       const struct roger_marathon_task *t)
{
	switch (roger_marathon_task_health(t)) {
	case ROGER_MARATHON_HEALTH_HEALTHY:
		return "healthy";
	case ROGER_MARATHON_HEALTH_UNHEALTHY:
		return "unhealthy";
	case ROGER_MARATHON_HEALTH_UNKNOWN:
		break;
	}
	return s->app->n_health_checks ? "unknown" : "-";
}

/* The version a task runs, when older than the app's configuration. */
static const char *old_version(const struct status *s,
			       const struct roger_marathon_task *t)
{
	const char *config = s->app->last_config_change_at
				     ? s->app->last_config_change_at
				     : s->app->version;

	if (t->version && config && strcmp(t->version, config) < 0)
		return t->version;
	return NULL;
}

/* A task's usage from the statistics, over its life: false when unknown. */
static bool task_usage(const struct status *s,
		       const struct roger_marathon_task *t,
		       struct roger_stats_usage *u)
{
	const struct roger_stats_task *st =
		roger_stats_sample_task(s->stats, t->id);
	int64_t started;

	if (!st || !st->found)
		return false;
	if (!t->started_at ||
	    !roger_marathon_time_parse(&started, t->started_at))
		started = 0;
	roger_stats_usage(u, NULL, &st->entry, (double)started / 1000.0);
	return true;
}

/* "3%" of the cpu limit and "1.5M/64M" of memory, "-" when unknown. */
static void usage_text(char *cpu, size_t cpu_size, char *mem, size_t mem_size,
		       const struct status *s,
		       const struct roger_marathon_task *t)
{
	static const char units[] = "KMGTP";
	struct roger_stats_usage u;
	char rss[16], lim[16];
	double p;

	snprintf(cpu, cpu_size, "-");
	snprintf(mem, mem_size, "-");
	if (!task_usage(s, t, &u))
		return;
	p = roger_stats_cpu_percent(&u);
	if (p >= 0)
		snprintf(cpu, cpu_size, "%.0f%%", p);
	for (int k = 0; k < 2; k++) {
		uint64_t b = k ? u.mem_limit_bytes : u.rss_bytes;
		char *out = k ? lim : rss;
		double v = (double)b;
		int unit = -1;

		while (v >= 1024 && unit < 4) {
			v /= 1024;
			unit++;
		}
		if (unit < 0)
			snprintf(out, 16, "%lluB", (unsigned long long)b);
		else
			snprintf(out, 16, v < 10 ? "%.1f%c" : "%.0f%c", v,
				 units[unit]);
	}
	if (u.has_mem && u.mem_limit_bytes)
		snprintf(mem, mem_size, "%s/%s", rss, lim);
	else if (u.has_mem)
		snprintf(mem, mem_size, "%s", rss);
}

/* "2m" since `when`, or "" when it is not a timestamp. */
static void age(char *out, size_t size, const struct status *s,
		const char *when)
{
	int64_t ms;

	if (roger_marathon_time_parse(&ms, when))
		cli_format_age(out, size, s->now - ms);
	else
		snprintf(out, size, "-");
}

static void task_address(struct roger_buf *b,
			 const struct roger_marathon_task *t)
{
	roger_buf_reset(b);
	roger_buf_adds(b, t->host ? t->host : "-");
	for (size_t i = 0; i < t->n_ports; i++)
		roger_buf_addf(b, "%c%d", i ? ',' : ':', t->ports[i]);
}

static bool deployment_shown(const struct status *s,
			     const struct roger_marathon_deployment *d)
{
	return roger_marathon_deployment_affects(d, s->app_id);
}

/* ---- text ---------------------------------------------------------------- */

static const char *env_name(const char *env)
{
	return !env ? "-" : *env ? env : "(base)";
}

static void print_release(const struct status *s)
{
	const struct roger_release *r = &s->release;

	if (!s->is_release) {
		printf("release:    not deployed by roger (no %s label)\n",
		       ROGER_LABEL_COMMIT);
		return;
	}
	printf("release:    commit %.*s%s, environment %s, deployed by %s with roger %s\n",
	       ROGER_SHORT_COMMIT_LEN, r->commit,
	       r->dirty ? " with uncommitted changes (--allow-dirty)" : "",
	       env_name(r->env), r->deployed_by ? r->deployed_by : "-",
	       r->roger_version ? r->roger_version : "-");
	cli_print_image(r);
	if (!s->has_head)
		return;
	if (!strcmp(s->head, r->commit) && r->dirty)
		printf("local:      HEAD is the live commit, but the live release has uncommitted changes of a work tree%s\n",
		       s->dirty ? "; this one has uncommitted changes too"
				: "");
	else if (!strcmp(s->head, r->commit))
		printf("local:      HEAD is the live commit%s\n",
		       s->dirty ? ", with uncommitted changes" : "");
	else
		printf("local:      HEAD %s%.*s%s differs from the live commit%s\n",
		       cli_color(s->cli, "yellow"), ROGER_SHORT_COMMIT_LEN,
		       s->head, cli_color(s->cli, "reset"),
		       s->dirty ? " (and has uncommitted changes)" : "");
}

static void print_instances(const struct status *s)
{
	const struct roger_marathon_app *a = s->app;

	printf("instances:  %d of %d running, %d staged", a->tasks_running,
	       a->instances, a->tasks_staged);
	if (a->n_health_checks)
		printf(", %d healthy, %d unhealthy\n", a->tasks_healthy,
		       a->tasks_unhealthy);
	else
		printf(" (no health checks)\n");
}

static void print_tasks(const struct status *s)
{
	struct roger_buf addr = ROGER_BUF_INIT;
	const struct roger_marathon_app *a = s->app;
	int w_id = 2, w_addr = 4, w_state = 5;

	if (a->n_tasks == 0) {
		printf("tasks:      none\n");
		return;
	}
	for (size_t i = 0; i < a->n_tasks; i++) {
		const struct roger_marathon_task *t = &a->tasks[i];
		int n;

		task_address(&addr, t);
		n = t->id ? (int)strlen(t->id) : 1;
		w_id = n > w_id ? n : w_id;
		w_addr = (int)addr.len > w_addr ? (int)addr.len : w_addr;
		n = t->state ? (int)strlen(t->state) : 1;
		w_state = n > w_state ? n : w_state;
	}
	printf("tasks:\n");
	for (size_t i = 0; i < a->n_tasks; i++) {
		const struct roger_marathon_task *t = &a->tasks[i];
		const char *health = health_name(s, t),
			   *old = old_version(s, t);
		const char *color = !strcmp(health, "healthy")     ? "green"
				    : !strcmp(health, "unhealthy") ? "red"
								   : "";
		char when[32], cpu[16], mem[40];

		task_address(&addr, t);
		age(when, sizeof(when), s,
		    t->started_at ? t->started_at : t->staged_at);
		printf("  %-*s  %-*s  %-*s  %s%-9s%s  ", w_id,
		       t->id ? t->id : "-", w_addr, addr.buf, w_state,
		       t->state ? t->state : "-", cli_color(s->cli, color),
		       health, cli_color(s->cli, "reset"));
		if (s->stats) {
			usage_text(cpu, sizeof(cpu), mem, sizeof(mem), s, t);
			printf("cpu %-4s  mem %-11s  ", cpu, mem);
		}
		printf("%s", when);
		if (old)
			printf("  (previous version %s)", old);
		putchar('\n');
	}
	roger_buf_release(&addr);
}

/* "StartApplication /web/hello, ScaleApplication /web/db" */
static void print_actions(json_t *actions)
{
	json_t *e;
	size_t i;

	json_array_foreach(actions, i, e) {
		const char *action =
			json_string_value(json_object_get(e, "action"));
		const char *app = json_string_value(json_object_get(e, "app"));

		if (!action)
			action = json_string_value(json_object_get(e, "type"));
		if (!app)
			app = json_string_value(json_object_get(e, "pod"));
		printf("%s%s %s", i ? ", " : "", action ? action : "?",
		       app ? app : "?");
	}
}

static void print_deployments(const struct status *s)
{
	bool any = false;

	if (!s->deps) {
		for (size_t i = 0; i < s->app->n_deployments; i++)
			printf("%s  %s\n", i ? "" : "deployments:\n",
			       s->app->deployments[i]);
		return;
	}
	for (size_t i = 0; i < s->deps->n; i++) {
		const struct roger_marathon_deployment *d = &s->deps->items[i];
		json_t *steps = json_object_get(d->json, "steps"), *step;
		size_t k;

		if (!deployment_shown(s, d))
			continue;
		if (!any)
			printf("deployments:\n");
		any = true;
		printf("  %s (version %s): step %d of %d", d->id ? d->id : "-",
		       d->version ? d->version : "-", d->current_step,
		       d->total_steps);
		if (d->current_step == 0)
			printf(", not started yet");
		printf("\n");
		json_array_foreach(steps, k, step) {
			printf("    %s %zu. ",
			       (int)k + 1 == d->current_step ? ">" : " ",
			       k + 1);
			print_actions(json_object_get(step, "actions"));
			putchar('\n');
		}
	}
}

static void print_failure(const struct status *s)
{
	const struct roger_marathon_task_failure *f =
		&s->app->last_task_failure;
	char when[32];

	if (!s->app->has_last_task_failure)
		return;
	age(when, sizeof(when), s, f->timestamp);
	printf("last failure: %s%s%s %s ago, task %s on %s: %s\n",
	       cli_color(s->cli, "red"), f->state ? f->state : "-",
	       cli_color(s->cli, "reset"), when, f->task_id ? f->task_id : "-",
	       f->host ? f->host : "-", f->message ? f->message : "");
}

static void print_queue(const struct status *s)
{
	const struct roger_marathon_queue_entry *q = s->queued;

	if (!q)
		return;
	printf("queue:      %d instance%s waiting to launch", q->count,
	       q->count == 1 ? "" : "s");
	if (q->time_left_seconds > 0 && !q->overdue)
		printf(", delayed %d s more (backoff after failures)",
		       q->time_left_seconds);
	else
		printf(", waiting for resources");
	if (q->since)
		printf(" since %s", q->since);
	putchar('\n');
}

static void print_text(const struct status *s)
{
	const struct roger_marathon_app *a = s->app;
	const char *config = a->last_config_change_at;

	printf("app:        %s%s%s on target %s\n", cli_color(s->cli, "bold"),
	       s->app_id, cli_color(s->cli, "reset"),
	       s->cli->resolved_target->name);
	if (s->address)
		printf("address:    %s\n", s->address);
	printf("version:    %s", a->version ? a->version : "-");
	if (config && a->version && strcmp(config, a->version))
		printf(" (scaled; configuration of %s)", config);
	putchar('\n');
	print_release(s);
	print_instances(s);
	print_tasks(s);
	print_deployments(s);
	print_failure(s);
	print_queue(s);
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *head_json(const struct status *s)
{
	if (!s->has_head)
		return json_null();
	return json_pack("{s:s, s:b, s:b}", "commit", s->head, "dirty",
			 s->dirty, "is_live",
			 s->is_release && !s->release.dirty &&
				 !strcmp(s->head, s->release.commit));
}

static json_t *tasks_json(const struct status *s)
{
	json_t *list = json_array();

	for (size_t i = 0; i < s->app->n_tasks; i++) {
		const struct roger_marathon_task *t = &s->app->tasks[i];
		const char *when = t->started_at ? t->started_at : t->staged_at;
		const char *health = health_name(s, t);
		json_t *ports = json_array();
		struct roger_stats_usage u;
		bool has_u = task_usage(s, t, &u);
		double pc = has_u ? roger_stats_cpu_percent(&u) : -1;
		double pm = has_u ? roger_stats_mem_percent(&u) : -1;
		int64_t ms;

		for (size_t k = 0; k < t->n_ports; k++)
			json_array_append_new(ports, json_integer(t->ports[k]));

		json_array_append_new(
			list,
			json_pack(
				"{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
				"cpu",
				has_u && u.has_cpu
					? json_pack(
						  "{s:f, s:o, s:o, s:b}",
						  "used", u.cpus_used, "limit",
						  u.cpus_limit > 0
							  ? json_real(
								    u.cpus_limit)
							  : json_null(),
						  "percent",
						  pc >= 0 ? json_real(pc)
							  : json_null(),
						  "since_start", 1)
					: json_null(),
				"mem",
				has_u && u.has_mem
					? json_pack(
						  "{s:I, s:o, s:o}",
						  "rss_bytes",
						  (json_int_t)u.rss_bytes,
						  "limit_bytes",
						  u.mem_limit_bytes
							  ? json_integer(
								    (json_int_t)u
									    .mem_limit_bytes)
							  : json_null(),
						  "percent",
						  pm >= 0 ? json_real(pm)
							  : json_null())
					: json_null(),
				"id", cli_json_str(t->id), "host",
				cli_json_str(t->host), "ports", ports, "state",
				cli_json_str(t->state), "health",
				cli_json_str(strcmp(health, "-") ? health
								 : NULL),
				"staged_at", cli_json_str(t->staged_at),
				"started_at", cli_json_str(t->started_at),
				"version", cli_json_str(t->version),
				"age_seconds",
				roger_marathon_time_parse(&ms, when)
					? json_integer((s->now - ms) / 1000)
					: json_null()));
	}
	return list;
}

static json_t *deployments_json(const struct status *s)
{
	json_t *list = json_array();

	if (!s->deps) {
		for (size_t i = 0; i < s->app->n_deployments; i++)
			json_array_append_new(
				list, json_pack("{s:s}", "id",
						s->app->deployments[i]));
		return list;
	}
	for (size_t i = 0; i < s->deps->n; i++) {
		const struct roger_marathon_deployment *d = &s->deps->items[i];
		json_t *steps = json_object_get(d->json, "steps");
		json_t *current = json_object_get(d->json, "currentActions");

		if (!deployment_shown(s, d))
			continue;
		json_array_append_new(
			list,
			json_pack("{s:o, s:o, s:i, s:i, s:o, s:o}", "id",
				  cli_json_str(d->id), "version",
				  cli_json_str(d->version), "current_step",
				  d->current_step, "total_steps",
				  d->total_steps, "steps",
				  steps ? json_incref(steps) : json_array(),
				  "current_actions",
				  current ? json_incref(current)
					  : json_array()));
	}
	return list;
}

static json_t *failure_json(const struct status *s)
{
	const struct roger_marathon_task_failure *f =
		&s->app->last_task_failure;

	if (!s->app->has_last_task_failure)
		return json_null();
	return json_pack(
		"{s:o, s:o, s:o, s:o, s:o, s:o}", "task_id",
		cli_json_str(f->task_id), "state", cli_json_str(f->state),
		"message", cli_json_str(f->message), "host",
		cli_json_str(f->host), "timestamp", cli_json_str(f->timestamp),
		"version", cli_json_str(f->version));
}

static json_t *queue_json(const struct status *s)
{
	const struct roger_marathon_queue_entry *q = s->queued;

	if (!q)
		return json_null();
	return json_pack("{s:i, s:i, s:b, s:o}", "count", q->count,
			 "delay_seconds", q->time_left_seconds, "overdue",
			 q->overdue, "since", cli_json_str(q->since));
}

static int print_json(const struct status *s)
{
	const struct roger_marathon_app *a = s->app;
	json_t *doc = json_pack(
		"{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:{s:i, s:i, s:i, s:i, s:i},"
		" s:o, s:o, s:o, s:o}",
		"app", s->app_id, "target", s->cli->resolved_target->name,
		"version", cli_json_str(a->version), "last_config_change_at",
		cli_json_str(a->last_config_change_at), "last_scaling_at",
		cli_json_str(a->last_scaling_at), "release",
		cli_release_json(&s->release, s->is_release), "head",
		head_json(s), "instances", "wanted", a->instances, "running",
		a->tasks_running, "staged", a->tasks_staged, "healthy",
		a->tasks_healthy, "unhealthy", a->tasks_unhealthy, "tasks",
		tasks_json(s), "deployments", deployments_json(s),
		"last_task_failure", failure_json(s), "queue", queue_json(s));

	if (doc)
		cli_json_set(doc, "address", cli_json_str(s->address));
	if (doc && s->wait)
		cli_json_set(doc, "wait", json_incref(s->wait));
	if (doc && s->waited)
		cli_json_set(doc, "error", cli_error_json(s->waited));
	if (doc)
		cli_jobs_summary(s->cli, s->app_id, doc);
	return cli_print_doc(s->cli, doc);
}

/* ---- the command --------------------------------------------------------- */

/* The tasks' statistics from their agents, when the target has Mesos. */
static void read_stats(struct status *s)
{
	const struct roger_target *t = s->cli->resolved_target;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_mesos *mesos = NULL;

	if (!t->mesos || s->app->n_tasks == 0)
		return;
	if (roger_mesos_for_target(&mesos, s->cli->ctx, t, &err) == 0) {
		cli_limit_requests(s->cli, roger_mesos_http(mesos));
		if (roger_stats_sample(&s->stats, mesos, s->app->tasks,
				       s->app->n_tasks, STATS_TIMEOUT_MS,
				       &err) < 0)
			s->stats = NULL;
	}
	if (!s->stats)
		cli_warn(
			"cannot read the tasks' resource use, leaving it out: %s",
			err.msg);
	roger_mesos_free(mesos);
}

static void read_extras(struct status *s, struct roger_marathon *m)
{
	struct roger_err err = ROGER_ERR_INIT;

	if (s->app->n_deployments &&
	    roger_marathon_deployments(&s->deps, m, &err) < 0) {
		cli_warn(
			"cannot read the deployments, showing their ids only: %s",
			err.msg);
		s->deps = NULL;
	}
	roger_err_clear(&err);
	if (roger_marathon_queue(&s->queue, m, &err) < 0) {
		cli_warn("cannot read the launch queue, leaving it out: %s",
			 err.msg);
		s->queue = NULL;
	} else {
		s->queued = roger_marathon_queue_find(s->queue, s->app_id);
	}
}

/* Whether the deployment `id` removes the app (a destroy left running). */
static bool removes_app(const struct status *s, const char *id)
{
	const struct roger_marathon_deployment *d =
		s->deps ? roger_marathon_deployments_find(s->deps, id) : NULL;

	for (size_t i = 0; d && i < d->n_current_actions; i++) {
		const struct roger_marathon_action *a = &d->current_actions[i];

		if (a->app && !strcmp(a->app, s->app_id) && a->action &&
		    !strcmp(a->action, "StopApplication"))
			return true;
	}
	return false;
}

/*
 * --wait: the app's deployment in progress (one left running by a deploy,
 * scale or restart that timed out, was interrupted or detached), watched
 * as deploy watches its own but never rolled back: it is not ours.
 * Returns an exit status; *removed says the app is gone for good.
 */
static int wait_deployment(struct status *s, bool *removed)
{
	struct roger_marathon_deployment_result res;
	struct cli_watch_goal g = { 0 };
	char done[512];
	int status;

	memset(&res, 0, sizeof(res));
	snprintf(res.deployment_id, sizeof(res.deployment_id), "%s",
		 s->app->deployments[0]);
	snprintf(res.version, sizeof(res.version), "%s",
		 s->app->version ? s->app->version : "");
	*removed = removes_app(s, res.deployment_id);
	cli_watch_init(&w, s->cli, "status");
	w.no_rollback = true;
	w.observing = true;
	if ((status = cli_watch_setup(&w)) != 0)
		goto out;
	snprintf(w.label, sizeof(w.label),
		 "waiting for deployment '%s' of '%s'", res.deployment_id,
		 s->app_id);
	snprintf(done, sizeof(done), "deployment '%s' of app '%s' %s",
		 res.deployment_id, s->app_id,
		 *removed ? "ended: the app is removed" : "ended");
	g.res = &res;
	g.before = s->app;
	g.instances = *removed ? 0 : -1;
	g.flags = *removed ? ROGER_DEPLOY_REMOVE : 0;
	g.default_timeout_ms =
		*removed ? roger_deploy_remove_timeout_ms(s->app)
			 : roger_deploy_default_timeout_ms(
				   s->app, -1, cli_watch_settle_ms(&w));
	g.done = done;
	status = cli_watch_run(&w, &g);
	s->wait = json_incref(w.doc);
out:
	cli_watch_release(&w);
	return status;
}

/* The app with everything status shows embedded, in s->app. */
static int read_app(struct status *s, struct roger_marathon *m)
{
	struct roger_err err = ROGER_ERR_INIT;

	roger_marathon_app_free(s->app);
	s->app = NULL;
	if (roger_marathon_get_app(
		    &s->app, m, s->app_id,
		    ROGER_MARATHON_EMBED_TASKS |
			    ROGER_MARATHON_EMBED_LAST_TASK_FAILURE |
			    ROGER_MARATHON_EMBED_DEPLOYMENTS |
			    ROGER_MARATHON_EMBED_COUNTS,
		    &err) < 0)
		return cli_fail_app(s->cli, s->app_id, &err);
	return ROGER_EXIT_OK;
}

static int status_run(struct cli *cli, int argc, char **argv)
{
	struct roger_marathon *m = NULL;
	struct status s = { 0 };
	bool removed = false;
	int status;

	cli_parse_options(cli, argc, argv);
	if (w.timeout_ms >= 0 && !wait_opt)
		return cli_usage_error(
			cli,
			"--timeout is how long --wait waits: give --wait too");
	s.cli = cli;
	if ((status = cli_app_id(cli, w.app_opt, &s.app_id)) != 0 ||
	    (status = cli_marathon(cli, false, &m)) != 0 ||
	    (status = read_app(&s, m)) != 0)
		goto out;
	if (wait_opt && s.app->n_deployments) {
		read_extras(&s, m);
		s.waited = wait_deployment(&s, &removed);
		roger_marathon_queue_free(s.queue);
		roger_marathon_deployments_free(s.deps);
		s.queue = NULL;
		s.deps = NULL;
		/* interrupted, or nothing left to show */
		if (s.waited == ROGER_EXIT_INTERRUPTED ||
		    (removed && s.waited == ROGER_EXIT_OK)) {
			if (removed && cli->output == OUTPUT_JSON)
				cli_print_json(cli, s.wait);
			status = s.waited;
			goto out;
		}
		if ((status = read_app(&s, m)) != 0)
			goto out;
	}
	read_extras(&s, m);
	read_stats(&s);
	read_head(&s);
	s.address = cli_stable_address(cli, s.app->json, s.app);
	s.is_release = roger_render_release(&s.release, s.app->json);
	s.now = roger_ctx_wall_ms(cli->ctx);
	qsort(s.app->tasks, s.app->n_tasks, sizeof(*s.app->tasks), by_staged);
	if (cli->output == OUTPUT_JSON) {
		status = print_json(&s);
	} else {
		print_text(&s);
		cli_jobs_summary(cli, s.app_id, NULL);
		status = ROGER_EXIT_OK;
	}
	if (status == ROGER_EXIT_OK)
		status = s.waited;
out:
	free(s.address);
	json_decref(s.wait);
	roger_stats_sample_free(s.stats);
	roger_marathon_queue_free(s.queue);
	roger_marathon_deployments_free(s.deps);
	roger_marathon_app_free(s.app);
	roger_marathon_free(m);
	return status;
}

const struct roger_cmd cmd_status = {
	.name = "status",
	.summary =
		"show the live app: release, instances, tasks, deployments, failures",
	.opts = status_opts,
	.run = status_run,
};
