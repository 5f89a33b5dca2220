/*
 * metronome.c - roger local's Metronome: jobs, runs, schedules and the
 * history, and the thread that turns them into tasks of the agent
 * (metronome-int.h says who holds which lock).
 *
 * A run goes INITIAL (created, saved) -> ACTIVE (its task reported
 * staging, starting or running) -> SUCCESS (TASK_FINISHED) or FAILED (the
 * task failed or was killed and the restart policy says no more, the run
 * was stopped, or a scheduled run missed its starting deadline).  A run
 * that ends leaves the active list for the job's history, newest first,
 * at most ROGER_LOCAL_HISTORY_MAX of each outcome, exactly what
 * Metronome's API shows (finished runs vanish from /runs).
 *
 * Tasks are launched as Metronome's Marathon library would build them:
 * task id "<job path joined by _>_<runId>.<uuid>", the command executor,
 * MARATHON_APP_ID "/<job path>/<runId>", the resources and labels in the
 * environment, the job's artifacts fetched into the sandbox, in the
 * run's image when it names one (run.docker or run.ucr, run as Marathon's
 * image apps are), in a
 * framework of its own named "metronome" so that they show in
 * /master/state where `roger logs --job` looks for them.
 *
 * Schedules: each enabled schedule has its next time, computed with the
 * cron parser in the schedule's zone, read from the zone database (TZDIR
 * or /usr/share/zoneinfo) by tz.c rather than through localtime_r() and
 * a TZ variable, which would be one zone for the whole process and race
 * with every other thread.  When the time comes the thread starts a run
 * (or, with FORBID, skips it while one is active) and computes the next
 * time from now: missed runs (the server was down) are not caught up, as
 * Metronome does not.  A scheduled run that is not ACTIVE within
 * startingDeadlineSeconds fails; a manual one waits as long as it takes.
 *
 * Saving: the whole state is one JSON file, replaced atomically (fsync,
 * rename, fsync of the directory) after every change.  Active runs are in
 * it too, so that a server that died with runs in flight records them as
 * failed when it starts again: no run disappears from the history.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "cron.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "local/agent.h"
#include "local/internal.h"
#include "local/metronome-int.h"
#include "metronome.h"
#include "tz.h"
#include "util.h"

#define TICK_MS 1000

/* ---- small things ----------------------------------------------------------- */

int64_t roger_local_metronome_now(const struct roger_local_metronome *M)
{
	return roger_ctx_wall_ms(M->L->ctx);
}

json_t *roger_local_metronome_time(int64_t ms)
{
	char s[32];

	roger_metronome_time_format(s, ms);
	return json_string(s);
}

static json_t *time_or_null(int64_t ms)
{
	return ms ? roger_local_metronome_time(ms) : json_null();
}

static const char *tz_dir(const struct roger_local_metronome *M)
{
	const char *d = roger_ctx_getenv(M->L->ctx, "TZDIR");

	return d ? d : ROGER_TZ_DIR;
}

void roger_local_metronome_kick(struct roger_local_metronome *M)
{
	pthread_cond_broadcast(&M->wake);
}

const char *
roger_local_metronome_framework_id(const struct roger_local_metronome *M)
{
	return M->framework_id;
}

/* ---- jobs ------------------------------------------------------------------- */

static json_t *empty_history(void)
{
	return json_pack("{s:i,s:i,s:n,s:n,s:[],s:[]}", "successCount", 0,
			 "failureCount", 0, "lastSuccessAt", "lastFailureAt",
			 "successfulFinishedRuns", "failedFinishedRuns");
}

struct roger_local_job *roger_local_mjob_find(struct roger_local_metronome *M,
					      const char *id)
{
	for (struct roger_local_job *j = M->jobs; j; j = j->next)
		if (!strcmp(j->id, id))
			return j;
	return NULL;
}

static void run_free(struct roger_local_run *r)
{
	if (!r)
		return;
	json_decref(r->spec);
	free(r);
}

static void job_free(struct roger_local_job *j)
{
	if (!j)
		return;
	while (j->runs) {
		struct roger_local_run *r = j->runs;

		j->runs = r->next;
		run_free(r);
	}
	free(j->id);
	json_decref(j->spec);
	json_decref(j->schedule);
	json_decref(j->history);
	free(j);
}

struct roger_local_job *roger_local_mjob_add(struct roger_local_metronome *M,
					     json_t *spec)
{
	struct roger_local_job *j = calloc(1, sizeof(*j)), **pp;
	const char *id = json_string_value(json_object_get(spec, "id"));

	if (!j || !id || !(j->id = strdup(id)) ||
	    !(j->history = empty_history())) {
		json_decref(spec);
		job_free(j);
		return NULL;
	}
	j->spec = spec;
	for (pp = &M->jobs; *pp && strcmp((*pp)->id, j->id) < 0;
	     pp = &(*pp)->next)
		;
	j->next = *pp;
	*pp = j;
	return j;
}

void roger_local_mjob_remove(struct roger_local_metronome *M,
			     struct roger_local_job *job)
{
	for (struct roger_local_job **pp = &M->jobs; *pp; pp = &(*pp)->next)
		if (*pp == job) {
			*pp = job->next;
			break;
		}
	job_free(job);
}

/* ---- schedules -------------------------------------------------------------- */

/* The next time the schedule fires after `after` (ms), or 0. */
static int64_t next_time(const struct roger_local_metronome *M,
			 const json_t *schedule, int64_t after)
{
	struct roger_tz *tz = NULL;
	struct roger_cron c;
	int64_t t = 0;
	const char *zone =
		json_string_value(json_object_get(schedule, "timezone"));

	if (roger_cron_parse(
		    &c, json_string_value(json_object_get(schedule, "cron")),
		    NULL) < 0 ||
	    roger_tz_load(&tz, tz_dir(M), zone ? zone : "UTC", NULL) < 0)
		return 0;
	if (roger_cron_next(&t, &c, tz, after / 1000) < 0)
		t = 0;
	roger_tz_free(tz);
	return t * 1000;
}

void roger_local_mjob_reschedule(struct roger_local_metronome *M,
				 struct roger_local_job *job)
{
	job->next_run_ms = 0;
	if (job->schedule &&
	    !json_is_false(json_object_get(job->schedule, "enabled")))
		job->next_run_ms = next_time(M, job->schedule,
					     roger_local_metronome_now(M));
}

json_t *roger_local_mschedule_json(struct roger_local_metronome *M,
				   const struct roger_local_job *job)
{
	json_t *s = json_deep_copy(job->schedule);
	int64_t next = job->next_run_ms;

	if (!s)
		return NULL;
	if (!next)
		next = next_time(M, job->schedule,
				 roger_local_metronome_now(M));
	json_object_set_new(s, "nextRunAt", time_or_null(next));
	return s;
}

/* ---- runs ------------------------------------------------------------------- */

static void random_alnum(char *out, size_t n)
{
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char bytes[16];
	char uuid[ROGER_UUID_LEN + 1];

	if (getrandom(bytes, n, 0) != (ssize_t)n) {
		roger_uuid(uuid);
		memcpy(bytes, uuid, n);
	}
	for (size_t i = 0; i < n; i++)
		out[i] = set[bytes[i] % (sizeof(set) - 1)];
	out[n] = '\0';
}

struct roger_local_run *roger_local_mrun_find(struct roger_local_job *job,
					      const char *id)
{
	for (struct roger_local_run *r = job->runs; r; r = r->next)
		if (!strcmp(r->id, id))
			return r;
	return NULL;
}

struct roger_local_run *roger_local_mrun_new(struct roger_local_metronome *M,
					     struct roger_local_job *job,
					     bool scheduled)
{
	struct roger_local_run *r = calloc(1, sizeof(*r));
	int64_t now = roger_local_metronome_now(M);
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	json_t *deadline;

	if (!r)
		return NULL;
	gmtime_r(&t, &tm);
	do {
		strftime(r->id, sizeof(r->id), "%Y%m%d%H%M%S", &tm);
		random_alnum(r->id + 14, 5);
	} while (roger_local_mrun_find(job, r->id));
	snprintf(r->status, sizeof(r->status), "INITIAL");
	r->created_ms = now;
	r->spec = json_incref(job->spec);
	r->scheduled = scheduled;
	if (scheduled) {
		deadline = json_object_get(job->schedule,
					   "startingDeadlineSeconds");
		r->deadline_ms = now + (json_is_integer(deadline)
						? json_integer_value(deadline)
						: 900) *
					       1000;
	}
	r->launch_wanted = true;
	r->next = job->runs;
	job->runs = r;
	return r;
}

json_t *roger_local_mrun_json(const struct roger_local_job *job,
			      const struct roger_local_run *run)
{
	json_t *tasks = json_array(), *o;

	for (int i = 0; tasks && i < run->n_tasks; i++) {
		const struct roger_local_run_task *t = &run->tasks[i];

		o = json_pack("{s:s,s:o,s:s}", "id", t->id, "startedAt",
			      roger_local_metronome_time(t->started_ms),
			      "status", t->status);
		if (o && t->completed_ms)
			json_object_set_new(
				o, "completedAt",
				roger_local_metronome_time(t->completed_ms));
		json_array_append_new(tasks, o);
	}
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "id", run->id, "jobId",
			 job->id, "status", run->status, "createdAt",
			 roger_local_metronome_time(run->created_ms),
			 "completedAt", time_or_null(run->completed_ms),
			 "tasks", tasks ? tasks : json_array());
}

/* Unlink `run` from the job's active runs and record it in the history. */
static void finish(struct roger_local_metronome *M, struct roger_local_job *job,
		   struct roger_local_run *run, bool success)
{
	const char *list =
		success ? "successfulFinishedRuns" : "failedFinishedRuns";
	const char *count = success ? "successCount" : "failureCount";
	const char *last = success ? "lastSuccessAt" : "lastFailureAt";
	json_t *h = job->history, *runs = json_object_get(h, list), *e, *ids;
	int64_t now = roger_local_metronome_now(M);

	snprintf(run->status, sizeof(run->status), "%s",
		 success ? "SUCCESS" : "FAILED");
	if (!run->completed_ms)
		run->completed_ms = now;
	ids = json_array();
	for (int i = 0; ids && i < run->n_tasks; i++)
		json_array_append_new(ids, json_string(run->tasks[i].id));
	e = json_pack("{s:s,s:o,s:o,s:o}", "id", run->id, "createdAt",
		      roger_local_metronome_time(run->created_ms), "finishedAt",
		      roger_local_metronome_time(run->completed_ms), "tasks",
		      ids ? ids : json_array());
	if (e && json_is_array(runs)) {
		json_array_insert_new(runs, 0, e);
		while (json_array_size(runs) > ROGER_LOCAL_HISTORY_MAX)
			json_array_remove(runs, json_array_size(runs) - 1);
	} else {
		json_decref(e);
	}
	json_object_set_new(
		h, count,
		json_integer(json_integer_value(json_object_get(h, count)) +
			     1));
	json_object_set_new(h, last,
			    roger_local_metronome_time(run->completed_ms));
	for (struct roger_local_run **pp = &job->runs; *pp; pp = &(*pp)->next)
		if (*pp == run) {
			*pp = run->next;
			break;
		}
	run_free(run);
}

static double kill_grace(const json_t *spec)
{
	json_t *v = json_object_get(json_object_get(spec, "run"),
				    "taskKillGracePeriodSeconds");

	return json_is_number(v) ? json_number_value(v) : 0;
}

/* Queue a kill of the run's live task (lock held). */
static void queue_kill(struct roger_local_metronome *M,
		       const struct roger_local_run *run)
{
	const struct roger_local_run_task *t;

	if (run->n_tasks == 0)
		return;
	t = &run->tasks[run->n_tasks - 1];
	if (t->completed_ms || !strcmp(t->status, "TASK_FAILED") ||
	    !strcmp(t->status, "TASK_KILLED") ||
	    !strcmp(t->status, "TASK_FINISHED"))
		return;
	roger_local_kill_queue(&M->kills, t->id, kill_grace(run->spec));
}

json_t *roger_local_mrun_stop(struct roger_local_metronome *M,
			      struct roger_local_job *job,
			      struct roger_local_run *run)
{
	json_t *doc;

	snprintf(run->status, sizeof(run->status), "FAILED");
	run->completed_ms = roger_local_metronome_now(M);
	run->launch_wanted = false;
	queue_kill(M, run);
	doc = roger_local_mrun_json(job, run);
	finish(M, job, run, false);
	roger_local_metronome_kick(M);
	return doc;
}

/* ---- agent updates ---------------------------------------------------------- */

/* Whether the restart policy allows another task for `run` now. */
static bool may_restart(const struct roger_local_metronome *M,
			const struct roger_local_run *run)
{
	const json_t *restart =
		json_object_get(json_object_get(run->spec, "run"), "restart");
	const char *policy =
		json_string_value(json_object_get(restart, "policy"));
	json_t *deadline = json_object_get(restart, "activeDeadlineSeconds");

	if (!policy || strcmp(policy, "ON_FAILURE") ||
	    run->n_tasks >= ROGER_LOCAL_RUN_TASKS)
		return false;
	return !json_is_integer(deadline) ||
	       roger_local_metronome_now(M) <
		       run->created_ms + json_integer_value(deadline) * 1000;
}

static void update_locked(struct roger_local_metronome *M,
			  const struct roger_agent_update *u)
{
	int64_t now = u->timestamp > 0 ? (int64_t)(u->timestamp * 1000)
				       : roger_local_metronome_now(M);

	for (struct roger_local_job *j = M->jobs; j; j = j->next) {
		for (struct roger_local_run *r = j->runs; r; r = r->next) {
			struct roger_local_run_task *t = NULL;

			for (int i = 0; i < r->n_tasks; i++)
				if (!strcmp(r->tasks[i].id, u->task_id))
					t = &r->tasks[i];
			if (!t)
				continue;
			snprintf(t->status, sizeof(t->status), "%s",
				 roger_task_state_name(u->state));
			if (!roger_task_state_terminal(u->state)) {
				snprintf(r->status, sizeof(r->status),
					 "ACTIVE");
			} else if (u->state == ROGER_TASK_FINISHED) {
				t->completed_ms = now;
				finish(M, j, r, true);
			} else if (may_restart(M, r)) {
				r->launch_wanted = true;
				roger_local_metronome_kick(M);
			} else {
				finish(M, j, r, false);
			}
			roger_local_metronome_save(M);
			return;
		}
	}
}

void roger_local_metronome_on_update(struct roger_local_metronome *M,
				     const struct roger_agent_update *u)
{
	if (!M)
		return;
	pthread_mutex_lock(&M->lock);
	update_locked(M, u);
	pthread_mutex_unlock(&M->lock);
}

/* ---- launching -------------------------------------------------------------- */

/* Variables are added in order; a run's own env does not replace ours. */
static void env_add(struct roger_local_strv *e, const char *name,
		    const char *value)
{
	roger_local_env_put(e, name, value, false);
}

/* The environment of a run's task, as Marathon's task builder makes it. */
static char **run_env(const struct roger_local_job *job,
		      const struct roger_local_run *run, const json_t *r)
{
	struct roger_local_strv e = { NULL, 0, 0, false };
	struct roger_buf app_id = ROGER_BUF_INIT;
	char val[64];

	roger_buf_addch(&app_id, '/');
	for (const char *p = job->id; *p; p++)
		roger_buf_addch(&app_id, *p == '.' ? '/' : *p);
	roger_buf_addf(&app_id, "/%s", run->id);
	env_add(&e, "HOST", ROGER_LOCAL_HOST);
	env_add(&e, "MARATHON_APP_ID", app_id.buf);
	roger_local_fmt_double(val, sizeof(val),
			       json_number_value(json_object_get(r, "cpus")));
	env_add(&e, "MARATHON_APP_RESOURCE_CPUS", val);
	roger_local_fmt_double(val, sizeof(val),
			       json_number_value(json_object_get(r, "mem")));
	env_add(&e, "MARATHON_APP_RESOURCE_MEM", val);
	roger_local_fmt_double(val, sizeof(val),
			       json_number_value(json_object_get(r, "disk")));
	env_add(&e, "MARATHON_APP_RESOURCE_DISK", val);
	env_add(&e, "MARATHON_APP_RESOURCE_GPUS", "0");
	roger_local_env_labels(&e, json_object_get(run->spec, "labels"), 256,
			       json_object_get(r, "env"), false);
	roger_buf_release(&app_id);
	if (e.failed || !e.v) {
		roger_local_strv_free(e.v);
		return NULL;
	}
	return e.v;
}

/*
 * The image a run's task runs in: run.docker.image (forcePullImage) or
 * run.ucr.image.id (forcePull), as the agent runs Marathon's image apps;
 * *image NULL for a task on the host.  -1 when out of memory.
 */
static int run_image(const json_t *r, char **image, bool *force_pull)
{
	const json_t *docker = json_object_get(r, "docker");
	const json_t *ucr = json_object_get(json_object_get(r, "ucr"), "image");
	const char *id = json_string_value(json_object_get(docker, "image"));

	*force_pull = json_is_true(json_object_get(docker, "forcePullImage"));
	if (!id) {
		id = json_string_value(json_object_get(ucr, "id"));
		*force_pull = json_is_true(json_object_get(ucr, "forcePull"));
	}
	*image = NULL;
	if (id && *id && !(*image = strdup(id)))
		return -1;
	return 0;
}

/* A launch of a new task for `run` (lock held); NULL when out of memory. */
static struct roger_local_launch *prepare(struct roger_local_metronome *M,
					  struct roger_local_job *job,
					  struct roger_local_run *run)
{
	const json_t *r = json_object_get(run->spec, "run");
	struct roger_local_launch *l = calloc(1, sizeof(*l));
	struct roger_local_strv args = { NULL, 0, 0, false };
	struct roger_local_run_task *t;
	char uuid[ROGER_UUID_LEN + 1], path[256];
	json_t *a;
	size_t i;

	if (!l || run->n_tasks >= ROGER_LOCAL_RUN_TASKS)
		goto fail;
	snprintf(path, sizeof(path), "%s", job->id);
	for (char *p = path; *p; p++)
		if (*p == '.')
			*p = '_';
	roger_uuid(uuid);
	snprintf(l->task_id, sizeof(l->task_id), "%s_%s.%s", path, run->id,
		 uuid);
	l->name = strdup(job->id);
	if (json_is_string(json_object_get(r, "cmd")))
		l->cmd = strdup(json_string_value(json_object_get(r, "cmd")));
	json_array_foreach(json_object_get(r, "args"), i, a)
		if (json_is_string(a))
			roger_local_strv_push(&args,
					      strdup(json_string_value(a)));
	l->args = args.v;
	if (args.failed)
		goto fail;
	l->env = run_env(job, run, r);
	l->fetch = json_deep_copy(json_object_get(r, "artifacts"));
	l->cpus = json_number_value(json_object_get(r, "cpus"));
	l->mem = json_number_value(json_object_get(r, "mem"));
	l->disk = json_number_value(json_object_get(r, "disk"));
	l->kill_grace = kill_grace(run->spec);
	if (run_image(r, &l->image, &l->force_pull) < 0)
		goto fail;
	if (!l->name || !l->env || !l->fetch ||
	    (!l->cmd && !l->args && !l->image))
		goto fail;
	t = &run->tasks[run->n_tasks++];
	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", l->task_id);
	snprintf(t->status, sizeof(t->status), "TASK_STAGING");
	t->started_ms = roger_local_metronome_now(M);
	return l;
fail:
	roger_local_launch_free(l);
	return NULL;
}

static void do_launch(struct roger_local_metronome *M,
		      const struct roger_local_launch *l)
{
	struct roger_err err = ROGER_ERR_INIT;

	if (roger_local_launch_start(M->L->agent, l, M->framework_id,
				     ROGER_LOCAL_METRONOME_FRAMEWORK,
				     &err) < 0) {
		struct roger_agent_update u = { l->task_id, ROGER_TASK_FAILED,
						err.msg, 0 };

		roger_log(M->L->ctx, ROGER_LOG_WARN,
			  "metronome: cannot launch task '%s': %s", l->task_id,
			  err.msg);
		roger_local_metronome_on_update(M, &u);
	}
}

/* ---- the thread ------------------------------------------------------------- */

/*
 * One pass over the jobs (lock held): fire due schedules, fail scheduled
 * runs past their starting deadline, prepare launches.  Returns when the
 * next schedule is due (ms, 0: none).
 */
static int64_t tick(struct roger_local_metronome *M,
		    struct roger_local_launch **launches)
{
	int64_t now = roger_local_metronome_now(M), next = 0;
	bool changed = false;

	for (struct roger_local_job *j = M->jobs; j; j = j->next) {
		if (j->next_run_ms && now >= j->next_run_ms) {
			const char *policy = json_string_value(json_object_get(
				j->schedule, "concurrencyPolicy"));

			if (policy && !strcmp(policy, "FORBID") && j->runs)
				roger_log(
					M->L->ctx, ROGER_LOG_INFO,
					"metronome: job '%s' still runs: scheduled run skipped (FORBID)",
					j->id);
			else if (roger_local_mrun_new(M, j, true))
				changed = true;
			roger_local_mjob_reschedule(M, j);
		}
		if (j->next_run_ms && (!next || j->next_run_ms < next))
			next = j->next_run_ms;
		for (struct roger_local_run *r = j->runs, *rn; r; r = rn) {
			rn = r->next;
			if (r->scheduled && strcmp(r->status, "ACTIVE") &&
			    now >= r->deadline_ms) {
				roger_log(
					M->L->ctx, ROGER_LOG_INFO,
					"metronome: run '%s' of job '%s' missed its starting deadline",
					r->id, j->id);
				queue_kill(M, r);
				finish(M, j, r, false);
				changed = true;
				continue;
			}
			if (r->launch_wanted) {
				struct roger_local_launch *l = prepare(M, j, r);

				r->launch_wanted = false;
				changed = true;
				if (!l) {
					finish(M, j, r, false);
					continue;
				}
				l->next = *launches;
				*launches = l;
			}
		}
	}
	if (changed)
		roger_local_metronome_save(M);
	return next;
}

static void *thread_main(void *arg)
{
	struct roger_local_metronome *M = arg;

	pthread_mutex_lock(&M->lock);
	while (!M->stopping) {
		struct roger_local_launch *launches = NULL;
		struct roger_local_kill *kills;
		struct timespec ts;
		int64_t next, wait = TICK_MS;

		next = tick(M, &launches);
		kills = M->kills;
		M->kills = NULL;
		pthread_mutex_unlock(&M->lock);
		roger_local_kills_send(M->L->agent, kills);
		while (launches) {
			struct roger_local_launch *l = launches;

			launches = l->next;
			do_launch(M, l);
			roger_local_launch_free(l);
		}
		pthread_mutex_lock(&M->lock);
		if (M->stopping || M->kills)
			continue;
		if (next) {
			int64_t left = next - roger_local_metronome_now(M);

			wait = left < 0 ? 0 : left < TICK_MS ? left : TICK_MS;
		}
		roger_clock_deadline(&ts, wait);
		pthread_cond_timedwait(&M->wake, &M->lock, &ts);
	}
	pthread_mutex_unlock(&M->lock);
	return NULL;
}

int roger_local_metronome_start(struct roger_local_metronome *M,
				struct roger_err *err)
{
	if (pthread_create(&M->thread, NULL, thread_main, M) != 0)
		return roger_err_set(err, ROGER_ERROR,
				     "cannot start the Metronome thread");
	M->started = true;
	return 0;
}

void roger_local_metronome_stop(struct roger_local_metronome *M)
{
	struct roger_local_kill *kills;

	if (!M)
		return;
	pthread_mutex_lock(&M->lock);
	M->stopping = true;
	pthread_cond_broadcast(&M->wake);
	pthread_mutex_unlock(&M->lock);
	if (M->started)
		pthread_join(M->thread, NULL);
	M->started = false;
	pthread_mutex_lock(&M->lock);
	for (struct roger_local_job *j = M->jobs; j; j = j->next)
		while (j->runs) {
			roger_log(
				M->L->ctx, ROGER_LOG_NOTICE,
				"metronome: run '%s' of job '%s' stopped with the server",
				j->runs->id, j->id);
			queue_kill(M, j->runs);
			finish(M, j, j->runs, false);
		}
	roger_local_metronome_save(M);
	kills = M->kills;
	M->kills = NULL;
	pthread_mutex_unlock(&M->lock);
	roger_local_kills_send(M->L->agent, kills);
}

void roger_local_metronome_free(struct roger_local_metronome *M)
{
	if (!M)
		return;
	while (M->jobs) {
		struct roger_local_job *j = M->jobs;

		M->jobs = j->next;
		job_free(j);
	}
	while (M->kills) {
		struct roger_local_kill *k = M->kills;

		M->kills = k->next;
		free(k);
	}
	pthread_mutex_destroy(&M->lock);
	pthread_cond_destroy(&M->wake);
	free(M->path);
	free(M);
}

/* ---- saving and loading ----------------------------------------------------- */

int roger_local_metronome_save(struct roger_local_metronome *M)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *doc, *jobs = json_array();
	char *text = NULL, *dir = NULL;
	int rc = ROGER_ENOMEM, fd;

	for (struct roger_local_job *j = M->jobs; jobs && j; j = j->next) {
		json_t *runs = json_array(), *o;

		for (struct roger_local_run *r = j->runs; runs && r;
		     r = r->next) {
			json_t *ids = json_array();

			for (int i = 0; ids && i < r->n_tasks; i++)
				json_array_append_new(
					ids, json_string(r->tasks[i].id));
			json_array_append_new(
				runs,
				json_pack("{s:s,s:I,s:o}", "id", r->id,
					  "createdAt",
					  (json_int_t)r->created_ms, "tasks",
					  ids ? ids : json_array()));
		}
		o = json_pack("{s:O,s:O?,s:O,s:o}", "spec", j->spec, "schedule",
			      j->schedule, "history", j->history, "activeRuns",
			      runs ? runs : json_array());
		if (!o || json_array_append_new(jobs, o) < 0)
			goto out;
	}
	doc = json_pack("{s:i,s:s,s:o}", "version", 1, "frameworkId",
			M->framework_id, "jobs", jobs);
	jobs = NULL;
	if (!doc)
		goto out;
	text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		goto out;
	rc = roger_fs_write_atomic(M->path, text, strlen(text), 0600, &err);
	if (rc == 0 && (dir = strdup(M->L->state_dir))) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			if (fsync(fd) < 0)
				rc = roger_err_set(&err, ROGER_EIO,
						   "cannot sync '%s': %s", dir,
						   strerror(errno));
			close(fd);
		}
	}
out:
	if (rc < 0)
		roger_log(M->L->ctx, ROGER_LOG_ERR,
			  "metronome: cannot save '%s': %s", M->path,
			  err.msg[0] ? err.msg : "out of memory");
	json_decref(jobs);
	free(text);
	free(dir);
	return rc < 0 ? ROGER_EIO : 0;
}

/* The runs that were active when the server went away: failed now. */
static void fail_lost_runs(struct roger_local_metronome *M,
			   struct roger_local_job *job, const json_t *runs)
{
	size_t i, k;
	json_t *r, *id;

	json_array_foreach(runs, i, r) {
		struct roger_local_run *run = calloc(1, sizeof(*run));
		const char *rid = json_string_value(json_object_get(r, "id"));

		if (!run || !rid) {
			free(run);
			continue;
		}
		snprintf(run->id, sizeof(run->id), "%s", rid);
		run->created_ms =
			json_integer_value(json_object_get(r, "createdAt"));
		run->spec = json_incref(job->spec);
		json_array_foreach(json_object_get(r, "tasks"), k, id)
			if (json_is_string(id) &&
			    run->n_tasks < ROGER_LOCAL_RUN_TASKS)
				snprintf(run->tasks[run->n_tasks++].id,
					 sizeof(run->tasks[0].id), "%s",
					 json_string_value(id));
		run->next = job->runs;
		job->runs = run;
		roger_log(
			M->L->ctx, ROGER_LOG_NOTICE,
			"metronome: run '%s' of job '%s' was active when the server stopped: recorded as failed",
			rid, job->id);
		finish(M, job, run, false);
	}
}

static int load(struct roger_local_metronome *M, struct roger_err *err)
{
	struct roger_buf text = ROGER_BUF_INIT;
	json_error_t jerr;
	json_t *doc = NULL, *j;
	size_t i;
	int rc;

	rc = roger_fs_read_file(&text, M->path, err);
	if (rc == ROGER_ENOTFOUND) {
		roger_err_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	doc = json_loadb(text.buf, text.len, 0, &jerr);
	roger_buf_release(&text);
	if (!json_is_object(doc) ||
	    !json_is_array(json_object_get(doc, "jobs"))) {
		json_decref(doc);
		return roger_err_set(
			err, ROGER_EINVALID,
			"'%s' is not roger local's Metronome state: %s",
			M->path, doc ? "no 'jobs' list" : jerr.text);
	}
	if (json_string_value(json_object_get(doc, "frameworkId")))
		snprintf(
			M->framework_id, sizeof(M->framework_id), "%s",
			json_string_value(json_object_get(doc, "frameworkId")));
	json_array_foreach(json_object_get(doc, "jobs"), i, j) {
		json_t *spec = json_object_get(j, "spec");
		json_t *history = json_object_get(j, "history");
		struct roger_local_job *job;

		if (!json_is_object(spec) ||
		    !json_string_value(json_object_get(spec, "id")))
			continue;
		job = roger_local_mjob_add(M, json_incref(spec));
		if (!job) {
			json_decref(doc);
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		}
		if (json_is_object(json_object_get(j, "schedule")))
			job->schedule =
				json_incref(json_object_get(j, "schedule"));
		if (json_is_object(history)) {
			json_decref(job->history);
			job->history = json_incref(history);
		}
		fail_lost_runs(M, job, json_object_get(j, "activeRuns"));
		roger_local_mjob_reschedule(M, job);
	}
	json_decref(doc);
	return 0;
}

int roger_local_metronome_new(struct roger_local_metronome **out,
			      struct roger_local *L, struct roger_err *err)
{
	struct roger_local_metronome *M = calloc(1, sizeof(*M));
	pthread_condattr_t attr;
	size_t n;
	int rc;

	if (!M)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	M->L = L;
	pthread_mutex_init(&M->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&M->wake, &attr);
	pthread_condattr_destroy(&attr);
	/* the cluster's framework id with its own number: "<uuid>-0001" */
	snprintf(M->framework_id, sizeof(M->framework_id), "%s",
		 L->framework_id);
	n = strlen(M->framework_id);
	if (n > 5 && !strcmp(M->framework_id + n - 5, "-0000"))
		M->framework_id[n - 1] = '1';
	else
		snprintf(M->framework_id + n, sizeof(M->framework_id) - n,
			 "-m");
	M->path = roger_path_join(L->state_dir, ROGER_LOCAL_METRONOME_FILE);
	if (!M->path) {
		roger_local_metronome_free(M);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	if ((rc = load(M, err)) < 0) {
		roger_local_metronome_free(M);
		return rc;
	}
	*out = M;
	return 0;
}
