/*
 * jobs.c - Metronome for the commands (jobs.h): clients, a run started and
 * followed to its exit status (lib/jobs-follow.c), and the plan that makes
 * the target's jobs of the app match roger.json.
 *
 * Which jobs are the app's: those whose labels say ROGER_APP = the app's
 * id (roger sets it on every job it makes).  A job of roger.json becomes
 * "<app>.<name>" (lib/jobs.c); the `release` and `run` jobs are made by
 * deploy and run and left out of the plan, except that a release job is
 * removed once roger.json has no `release` any more.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "jobs.h"

#define TAIL_LINES 20
#define COLLECT_MAX 100000

int cli_metronome(struct cli *cli, bool start_local,
		  struct roger_metronome **out)
{
	struct roger_err err = ROGER_ERR_INIT;
	int status;

	if ((status = cli_load_target(cli)) != 0)
		return status;
	if (start_local && cli->resolved_target->is_local &&
	    (status = cli_start_local(cli)) != 0)
		return status;
	if (roger_metronome_for_target(out, cli->ctx, cli->resolved_target,
				       &err) < 0)
		return cli_fail_app(cli, cli->app_id ? cli->app_id : "", &err);
	cli_limit_requests(cli, roger_metronome_http(*out));
	if (cli->project)
		roger_metronome_set_source(*out, cli->project->display, NULL,
					   NULL);
	return ROGER_EXIT_OK;
}

int cli_mesos(struct cli *cli, struct roger_mesos **out)
{
	const struct roger_target *t;
	struct roger_err err = ROGER_ERR_INIT;
	int status;

	if ((status = cli_load_target(cli)) != 0)
		return status;
	t = cli->resolved_target;
	if (!t->mesos) {
		cli_error(
			"target '%s' has no Mesos URL; set \"mesos\" in its entry of the user config, or ROGER_MESOS_URL",
			t->name);
		return ROGER_EXIT_INVALID;
	}
	if (roger_mesos_for_target(out, cli->ctx, t, &err) < 0)
		return cli_fail(&err);
	cli_limit_requests(cli, roger_mesos_http(*out));
	return ROGER_EXIT_OK;
}

/* ---- a run ----------------------------------------------------------------- */

void cli_run_result_release(struct cli_run_result *r)
{
	json_decref(r->output);
	r->output = NULL;
	roger_buf_release(&r->tail);
}

struct printer {
	struct cli *cli;
	const struct cli_run_opts *o;
	struct cli_run_result *res;
	size_t n_collected;
};

/* Keep the last TAIL_LINES lines in res->tail. */
static void keep_tail(struct cli_run_result *res, const char *text, size_t len)
{
	size_t lines = 0;
	char *p;

	roger_buf_add(&res->tail, text, len);
	roger_buf_addch(&res->tail, '\n');
	for (p = res->tail.buf; (p = strchr(p, '\n')); p++)
		lines++;
	if (lines > TAIL_LINES) {
		char *cut = strchr(res->tail.buf, '\n') + 1;
		size_t rest = res->tail.len - (size_t)(cut - res->tail.buf);

		memmove(res->tail.buf, cut, rest);
		roger_buf_truncate(&res->tail, rest);
	}
}

/*
 * Whether a line is the Mesos command executor's or fetcher's, not the
 * command's: the executor's notes on stdout ("Starting task ...", the
 * command line it forks, "Command exited with status 3 ..."), the
 * fetcher's glog lines on stderr.  They stay in the sandbox files, where
 * `roger logs --job` shows them; a run shows the command's output only.
 */
static bool executor_line(const struct roger_logs_line *l)
{
	static const char *const notes[] = {
		"Registered executor on ",
		"Starting task ",
		"Forked command at ",
		"Command exited with status ",
		"Command terminated with signal ",
		"Received killTask for task ",
		"Sending SIGTERM to process tree at pid ",
		"Sending SIGKILL to process tree at pid ",
	};
	const char *t = l->text;
	size_t n = l->len;

	if (!strcmp(l->stream, "stderr"))
		return n > 30 && strchr("IWEF", t[0]) && t[5] == ' ' &&
		       t[8] == ':' && t[14] == '.' &&
		       memmem(t, n, " fetcher] ", 10);
	for (size_t i = 0; i < sizeof(notes) / sizeof(*notes); i++)
		if (n >= strlen(notes[i]) &&
		    !strncmp(t, notes[i], strlen(notes[i])))
			return true;
	/* the wrapped command, as the executor echoes it */
	return (n > 7 && !strncmp(t, "sh -c '", 7)) &&
	       memmem(t, n, ROGER_JOBS_STATUS_FILE,
		      strlen(ROGER_JOBS_STATUS_FILE));
}

/*
 * The length of a stdout line without the executor's final note glued to
 * it: a command whose output does not end in a newline leaves its last
 * piece in front of "Command exited with status N (pid: P)".
 */
static size_t unglue(const struct roger_logs_line *l, bool *glued)
{
	static const char *const ends[] = { "Command exited with status ",
					    "Command terminated with signal " };
	const char *t = l->text;

	*glued = false;
	if (strcmp(l->stream, "stdout") || l->len < 2 || t[l->len - 1] != ')')
		return l->len;
	for (size_t i = 0; i < sizeof(ends) / sizeof(*ends); i++) {
		size_t n = strlen(ends[i]);

		for (size_t k = l->len; k-- > 1;)
			if (k + n <= l->len && !memcmp(t + k, ends[i], n) &&
			    memmem(t + k, l->len - k, " (pid: ", 7)) {
				*glued = true;
				return k;
			}
	}
	return l->len;
}

static int on_line(void *data, const struct roger_logs_line *in,
		   struct roger_err *err)
{
	struct printer *p = data;
	bool to_err = p->o->prefix || !strcmp(in->stream, "stderr");
	FILE *fp = to_err ? stderr : stdout;
	struct roger_logs_line line = *in, *l = &line;
	bool glued;

	(void)err;
	if (executor_line(l))
		return 0;
	line.len = unglue(in, &glued);
	keep_tail(p->res, l->text, l->len);
	if (p->o->collect) {
		if (p->n_collected++ < COLLECT_MAX) {
			struct roger_buf js = ROGER_BUF_INIT;

			/* JSON needs UTF-8: lib/logs makes the line safe */
			if (roger_logs_json_line(&js, l->task_id, l->stream,
						 l->text, l->len) == 0) {
				json_t *o = json_loads(js.buf, 0, NULL);

				if (o)
					json_array_append_new(
						p->res->output,
						json_pack("{s:O,s:O}", "stream",
							  json_object_get(
								  o, "stream"),
							  "line",
							  json_object_get(
								  o, "line")));
				json_decref(o);
			}
			roger_buf_release(&js);
		}
		return 0;
	}
	if (p->cli->quiet)
		return 0;
	if (p->o->prefix)
		fprintf(fp, "%s: ", p->o->prefix);
	fwrite(l->text, 1, l->len, fp);
	if (!glued || p->o->prefix)
		fputc('\n', fp);
	return 0;
}

static int on_flush(void *data, struct roger_err *err)
{
	(void)data;
	(void)err;
	fflush(stdout);
	fflush(stderr);
	return 0;
}

/* Stop the run after Ctrl-C or a timeout (a second Ctrl-C skips it). */
static void stop_run(struct roger_metronome *m, const char *job_id,
		     const char *run_id)
{
	struct roger_err err = ROGER_ERR_INIT;

	cli_interrupted = 0;
	if (roger_metronome_stop_run(m, job_id, run_id, &err) < 0 &&
	    err.code != ROGER_ENOTFOUND)
		cli_warn("cannot stop run '%s' of job '%s': %s", run_id, job_id,
			 err.msg);
}

int cli_job_run(struct cli *cli, struct roger_metronome *m, const char *job_id,
		const struct cli_run_opts *o, struct cli_run_result *res)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_metronome_run *run = NULL;
	struct roger_mesos *mesos = NULL;
	struct roger_jobs_follow f = { 0 };
	struct roger_jobs_outcome out;
	struct printer p = { cli, o, res, 0 };
	char limit[32];
	int status, rc;

	roger_buf_init(&res->tail);
	res->exit_status = -1;
	if (o->collect && !(res->output = json_array())) {
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	if (!o->detach && (status = cli_mesos(cli, &mesos)) != 0)
		return status;
	if (roger_metronome_start_run(&run, m, job_id, &err) < 0) {
		roger_mesos_free(mesos);
		return cli_fail(&err);
	}
	snprintf(res->run_id, sizeof(res->run_id), "%s", run->id);
	roger_metronome_run_free(run);
	if (o->detach) {
		res->success = true;
		return ROGER_EXIT_OK;
	}
	f.job_id = job_id;
	f.run_id = res->run_id;
	f.on_line = on_line;
	f.on_flush = on_flush;
	f.data = &p;
	f.timeout_ms = o->timeout_ms;
	rc = roger_jobs_follow_run(&out, cli->ctx, m, mesos, &f, &err);
	roger_mesos_free(mesos);
	fflush(stdout);
	if (rc == ROGER_EINTR) {
		stop_run(m, job_id, res->run_id);
		cli_error("interrupted: run '%s' of job '%s' stopped",
			  res->run_id, job_id);
		return ROGER_EXIT_INTERRUPTED;
	}
	if (rc == ROGER_ETIMEOUT) {
		stop_run(m, job_id, res->run_id);
		roger_duration_format(limit, sizeof(limit), o->timeout_ms);
		cli_error(
			"run '%s' of job '%s' did not end within %s: stopped it",
			res->run_id, job_id, limit);
		return ROGER_EXIT_TIMEOUT;
	}
	if (rc < 0)
		return cli_fail(&err);
	res->success = out.success;
	res->exit_status = out.exit_status;
	if (out.exit_status < 0) {
		cli_error("run '%s' of job '%s' failed to start: %s",
			  res->run_id, job_id, out.reason);
		return ROGER_EXIT_DEPLOY_FAILED;
	}
	return ROGER_EXIT_OK;
}

int cli_job_run_report(struct cli *cli, struct roger_metronome *m,
		       const char *job_id, bool detach, int64_t timeout_ms,
		       json_t *doc, const char *hint_job)
{
	struct cli_run_opts o = { 0 };
	struct cli_run_result res = { 0 };
	int status;

	o.detach = detach;
	o.timeout_ms = timeout_ms;
	o.collect = cli->output == OUTPUT_JSON;
	status = cli_job_run(cli, m, job_id, &o, &res);
	if (cli->output == OUTPUT_JSON && res.run_id[0]) {
		int st;

		cli_json_set(doc, "run_id", json_string(res.run_id));
		cli_json_set(doc, "exit_status",
			     res.exit_status >= 0
				     ? json_integer(res.exit_status)
				     : json_null());
		cli_json_set(doc, "output",
			     res.output ? json_incref(res.output)
					: json_array());
		if (status)
			cli_json_set(doc, "error", cli_error_json(status));
		st = cli_print_doc(cli, doc);
		doc = NULL;
		if (!status)
			status = st;
	} else if (detach && status == 0 && !cli->quiet) {
		printf("%s\n", res.run_id);
		if (hint_job)
			fprintf(stderr,
				"roger: run '%s' started; follow it with 'roger logs --job %s --run %s -f'\n",
				res.run_id, hint_job, res.run_id);
	}
	json_decref(doc);
	if (status == 0 && !detach && res.exit_status > 0)
		status = res.exit_status;
	cli_run_result_release(&res);
	return status;
}

/* ---- putting a job ---------------------------------------------------------- */

int cli_job_put(struct cli *cli, struct roger_metronome *m, const json_t *spec,
		const json_t *schedule, const struct roger_metronome_job *live,
		struct roger_err *err)
{
	const char *id = json_string_value(json_object_get(spec, "id"));
	const char *want = json_string_value(json_object_get(schedule, "id"));
	bool have = false;
	int rc;

	(void)cli;
	if ((rc = roger_metronome_put_job(NULL, m, spec, live == NULL, err)) <
	    0)
		return rc;
	for (size_t i = 0; live && i < live->n_schedules; i++) {
		const char *sid = live->schedules[i].id;

		if (want && sid && !strcmp(sid, want)) {
			have = true;
			continue;
		}
		if (sid &&
		    (rc = roger_metronome_delete_schedule(m, id, sid, err)) < 0)
			return rc;
	}
	if (schedule)
		rc = roger_metronome_put_schedule(m, id, schedule, !have, err);
	return rc;
}

/* ---- the plan ----------------------------------------------------------------- */

void cli_jobs_plan_release(struct cli_jobs_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct cli_job_change *c = &p->items[i];

		free(c->id);
		free(c->source);
		json_decref(c->spec);
		json_decref(c->schedule);
		roger_diff_free(c->diff);
	}
	free(p->items);
	roger_metronome_jobs_free(p->live);
	roger_metronome_free(p->m);
	memset(p, 0, sizeof(*p));
}

static const struct roger_metronome_job *live_job(const struct cli_jobs_plan *p,
						  const char *id)
{
	for (size_t i = 0; p->live && i < p->live->n; i++)
		if (!strcmp(p->live->items[i]->id, id))
			return p->live->items[i];
	return NULL;
}

/* The live job as roger compares it: its spec and its one schedule. */
static json_t *live_comparable(const struct roger_metronome_job *j)
{
	json_t *schedules = json_object_get(j->json, "schedules");

	return roger_jobs_comparable(j->json, json_array_get(schedules, 0));
}

static int add_change(struct cli *cli, struct cli_jobs_plan *p,
		      const json_t *app, const struct roger_jobs_job *job)
{
	struct cli_job_change *c = &p->items[p->n];
	struct roger_err err = ROGER_ERR_INIT;
	json_t *a = NULL, *b = NULL;
	char source[160];

	snprintf(source, sizeof(source), "jobs.%s", job->name);
	if (roger_jobs_spec(&c->spec, app, job, &err) < 0) {
		roger_err_prefix(&err, "%s: %s", cli->project->display, source);
		return cli_fail(&err);
	}
	p->n++;
	c->name = job->name;
	c->source = xstrdup(source);
	c->id = xstrdup(json_string_value(json_object_get(c->spec, "id")));
	c->schedule = roger_jobs_schedule(job);
	c->live = live_job(p, c->id);
	if (!c->live) {
		c->op = CLI_JOB_CREATE;
		p->changes = true;
		return ROGER_EXIT_OK;
	}
	a = live_comparable(c->live);
	b = roger_jobs_comparable(c->spec, c->schedule);
	if (!a || !b ||
	    roger_diff_apps(&c->diff, a, b, ROGER_DIFF_IGNORE_METADATA, &err) <
		    0) {
		json_decref(a);
		json_decref(b);
		return err.code ? cli_fail(&err)
				: (cli_error("out of memory"), 1);
	}
	json_decref(a);
	json_decref(b);
	c->op = roger_diff_empty(c->diff) ? CLI_JOB_SAME : CLI_JOB_UPDATE;
	p->changes = p->changes || c->op != CLI_JOB_SAME;
	return ROGER_EXIT_OK;
}

int cli_jobs_plan(struct cli *cli, const json_t *app, bool start_local,
		  struct cli_jobs_plan *out)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_jobs_job *jobs = NULL;
	const char *app_id = json_string_value(json_object_get(app, "id"));
	size_t n = 0;
	int status;

	memset(out, 0, sizeof(*out));
	if (roger_jobs_of_project(&jobs, &n, &out->release, cli->project,
				  &err) < 0)
		return cli_fail(&err);
	if (n == 0 && !out->release && !cli->resolved_target->n_metronome) {
		free(jobs);
		return ROGER_EXIT_OK;
	}
	if ((status = cli_metronome(cli, start_local, &out->m)) != 0) {
		free(jobs);
		return status;
	}
	/* the target may not run Metronome, which is fine without jobs */
	if (roger_metronome_list_jobs(&out->live, out->m,
				      ROGER_METRONOME_EMBED_SCHEDULES,
				      &err) < 0) {
		free(jobs);
		if (n == 0 && !out->release && err.code == ROGER_ENOTFOUND) {
			roger_metronome_free(out->m);
			out->m = NULL;
			return ROGER_EXIT_OK;
		}
		return cli_fail(&err);
	}
	out->items = xcalloc(n + out->live->n + 1, sizeof(*out->items));
	for (size_t i = 0; i < n; i++)
		if ((status = add_change(cli, out, app, &jobs[i])) != 0) {
			free(jobs);
			return status;
		}
	free(jobs);
	/* the app's jobs that roger.json no longer has */
	for (size_t i = 0; i < out->live->n; i++) {
		const struct roger_metronome_job *j = out->live->items[i];
		const char *owner = roger_metronome_job_label(j, "ROGER_APP");
		const char *name = roger_metronome_job_label(j, "ROGER_JOB");
		struct cli_job_change *c;
		bool known = false;

		if (!owner || !app_id || strcmp(owner, app_id) || !name ||
		    !strcmp(name, ROGER_JOBS_RUN) ||
		    (!strcmp(name, ROGER_JOBS_RELEASE) && out->release))
			continue;
		for (size_t k = 0; k < out->n; k++)
			known = known || !strcmp(out->items[k].id, j->id);
		if (known)
			continue;
		c = &out->items[out->n++];
		c->op = CLI_JOB_REMOVE;
		c->name = name;
		c->id = xstrdup(j->id);
		c->live = j;
		out->changes = true;
	}
	return ROGER_EXIT_OK;
}

void cli_jobs_plan_show(struct cli *cli, const struct cli_jobs_plan *p)
{
	struct roger_buf text = ROGER_BUF_INIT;

	if (cli->output != OUTPUT_TEXT || cli->quiet)
		return;
	for (size_t i = 0; i < p->n; i++) {
		const struct cli_job_change *c = &p->items[i];
		const char *cron =
			json_string_value(json_object_get(c->schedule, "cron"));

		switch (c->op) {
		case CLI_JOB_SAME:
			break;
		case CLI_JOB_CREATE:
			printf("%s+ job '%s' (%s): new%s%s%s%s\n",
			       cli_color(cli, "green"), c->name, c->id,
			       cron ? ", schedule '" : "", cron ? cron : "",
			       cron ? "'" : "", cli_color(cli, "reset"));
			break;
		case CLI_JOB_UPDATE:
			printf("changes to job '%s' (%s):\n", c->name, c->id);
			roger_buf_reset(&text);
			roger_diff_format_text(&text, c->diff,
					       cli->color ? ROGER_DIFF_COLOR
							  : 0);
			fputs(text.buf, stdout);
			break;
		case CLI_JOB_REMOVE:
			printf("%s- job '%s' (%s): no longer in roger.json, to be removed%s\n",
			       cli_color(cli, "red"), c->name, c->id,
			       cli_color(cli, "reset"));
			break;
		}
	}
	fflush(stdout);
	roger_buf_release(&text);
}

json_t *cli_jobs_plan_json(const struct cli_jobs_plan *p)
{
	static const char *const ops[] = { "unchanged", "create", "update",
					   "remove" };
	json_t *list = json_array();

	for (size_t i = 0; list && i < p->n; i++) {
		const struct cli_job_change *c = &p->items[i];
		json_t *diff = NULL;

		if (c->diff)
			roger_diff_to_json(&diff, c->diff, NULL);
		json_array_append_new(
			list, json_pack("{s:s,s:s,s:s,s:o}", "name", c->name,
					"id", c->id, "op", ops[c->op], "diff",
					diff ? diff : json_array()));
	}
	return list;
}

int cli_jobs_apply(struct cli *cli, struct cli_jobs_plan *p)
{
	struct roger_err err = ROGER_ERR_INIT;

	for (size_t i = 0; i < p->n; i++) {
		struct cli_job_change *c = &p->items[i];

		if (c->op != CLI_JOB_CREATE && c->op != CLI_JOB_UPDATE)
			continue;
		roger_metronome_set_source(p->m, cli->project->display,
					   roger_jobs_user_path, c->source);
		if (cli_job_put(cli, p->m, c->spec, c->schedule, c->live,
				&err) < 0)
			return cli_fail(&err);
		if (!cli->quiet && cli->output == OUTPUT_TEXT)
			fprintf(stderr, "roger: job '%s' %s\n", c->name,
				c->op == CLI_JOB_CREATE ? "created"
							: "updated");
	}
	for (size_t i = 0; i < p->n; i++) {
		struct cli_job_change *c = &p->items[i];

		if (c->op != CLI_JOB_REMOVE)
			continue;
		if (!cli->quiet)
			fprintf(stderr,
				"roger: removing job '%s' (%s): it is no longer in %s\n",
				c->name, c->id, cli->project->display);
		if (roger_metronome_delete_job(p->m, c->id, false, &err) < 0) {
			if (err.code == ROGER_ECONFLICT) {
				cli_warn(
					"job '%s' has runs in progress: not removed; it will be at the next deploy once they end (%s)",
					c->name, err.msg);
				continue;
			}
			return cli_fail(&err);
		}
	}
	return ROGER_EXIT_OK;
}

/* ---- status and history ----------------------------------------------------- */

static const char *last_outcome(const struct roger_metronome_job *j,
				const char **when)
{
	const struct roger_metronome_finished *best = NULL;
	int64_t bt = 0, t;

	for (size_t i = 0; i < j->history.n_runs; i++) {
		const struct roger_metronome_finished *f = &j->history.runs[i];

		if (roger_metronome_time_parse(&t, f->finished_at) && t >= bt) {
			bt = t;
			best = f;
		}
	}
	*when = best ? best->finished_at : NULL;
	return best ? (best->success ? "succeeded" : "failed") : NULL;
}

void cli_jobs_summary(struct cli *cli, const char *app_id, json_t *doc)
{
	struct roger_metronome_jobs *jobs = NULL;
	struct roger_metronome *m = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *list;
	bool header = false;

	if (!cli->resolved_target || !cli->resolved_target->n_metronome)
		return;
	if (roger_metronome_for_target(&m, cli->ctx, cli->resolved_target,
				       &err) < 0)
		return;
	cli_limit_requests(cli, roger_metronome_http(m));
	if (roger_metronome_list_jobs(&jobs, m,
				      ROGER_METRONOME_EMBED_SCHEDULES |
					      ROGER_METRONOME_EMBED_HISTORY |
					      ROGER_METRONOME_EMBED_ACTIVE_RUNS,
				      &err) < 0) {
		if (err.code != ROGER_ENOTFOUND && !cli->quiet)
			cli_warn("cannot list the jobs of app '%s': %s", app_id,
				 err.msg);
		roger_metronome_free(m);
		return;
	}
	list = json_array();
	for (size_t i = 0; i < jobs->n; i++) {
		const struct roger_metronome_job *j = jobs->items[i];
		const char *owner = roger_metronome_job_label(j, "ROGER_APP");
		const char *name = roger_metronome_job_label(j, "ROGER_JOB");
		const struct roger_metronome_schedule *s =
			j->n_schedules ? &j->schedules[0] : NULL;
		const char *when = NULL, *outcome;

		if (!owner || strcmp(owner, app_id) || !name)
			continue;
		outcome = last_outcome(j, &when);
		json_array_append_new(
			list,
			json_pack("{s:s,s:s,s:o,s:o,s:I,s:o,s:o}", "name", name,
				  "id", j->id, "schedule",
				  cli_json_str(s ? s->cron : NULL), "next_run",
				  cli_json_str(s ? s->next_run_at : NULL),
				  "active_runs", (json_int_t)j->n_active_runs,
				  "last_outcome", cli_json_str(outcome),
				  "last_finished_at", cli_json_str(when)));
		if (cli->output != OUTPUT_TEXT || cli->quiet)
			continue;
		if (!header)
			printf("jobs:\n");
		header = true;
		printf("  %-12s %-24s last run %s%s%s%s\n", name,
		       s && s->cron ? s->cron : "(no schedule)",
		       outcome ? outcome : "never", when ? " at " : "",
		       when ? when : "",
		       j->n_active_runs ? ", running now" : "");
	}
	if (doc)
		cli_json_set(doc, "jobs", list);
	else
		json_decref(list);
	roger_metronome_jobs_free(jobs);
	roger_metronome_free(m);
}
