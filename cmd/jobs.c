/*
 * jobs.c - `roger jobs`: the project's jobs on the target, with their
 * schedule, next run, active runs and last runs with their outcome; and
 * `roger jobs run NAME`, which starts one and waits for it as `roger run`
 * does (its output, its exit status).
 *
 * The list is roger.json's jobs (and the release, when there is one) in
 * file order, each matched with the job Metronome has under its id; a
 * job of the app that roger.json no longer has is listed too, marked, as
 * the next deploy will remove it.  Times are Metronome's, shown as it
 * writes them.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/jobs.h"

#define LAST_RUNS 3

static bool detach;
static int64_t timeout_ms;

static const struct cmd_opt jobs_opts[] = {
	OPT_BOOL(0, "detach", &detach,
		 "jobs run: start the run, print its id and do not wait"),
	OPT_DURATION(
		0, "timeout", &timeout_ms, 0, 7 * CLI_DAY,
		"jobs run: stop the run after this long (0, the default: never)"),
	OPT_END(),
};

static const struct roger_metronome_job *
find(const struct roger_metronome_jobs *jobs, const char *id)
{
	for (size_t i = 0; jobs && i < jobs->n; i++)
		if (!strcmp(jobs->items[i]->id, id))
			return jobs->items[i];
	return NULL;
}

/* The last runs, newest first, as JSON and as "ok 12:00, failed 11:00". */
static json_t *last_runs(const struct roger_metronome_job *j,
			 struct roger_buf *text)
{
	const struct roger_metronome_finished *picked[LAST_RUNS];
	json_t *list = json_array();
	size_t n = 0;
	bool used[4096] = { false };

	while (n < LAST_RUNS) {
		const struct roger_metronome_finished *best = NULL;
		size_t bi = 0;
		int64_t bt = -1, t;

		for (size_t i = 0; j && i < j->history.n_runs && i < 4096;
		     i++) {
			const struct roger_metronome_finished *f =
				&j->history.runs[i];

			if (!used[i] &&
			    roger_metronome_time_parse(&t, f->finished_at) &&
			    t > bt) {
				bt = t;
				best = f;
				bi = i;
			}
		}
		if (!best)
			break;
		used[bi] = true;
		picked[n++] = best;
	}
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(
			list,
			json_pack("{s:s,s:s,s:o,s:o}", "id", picked[i]->id,
				  "outcome",
				  picked[i]->success ? "success" : "failure",
				  "created_at",
				  cli_json_str(picked[i]->created_at),
				  "finished_at",
				  cli_json_str(picked[i]->finished_at)));
		roger_buf_addf(text, "%s%s %s", i ? ", " : "",
			       picked[i]->success ? "ok" : "failed",
			       picked[i]->finished_at ? picked[i]->finished_at
						      : "?");
	}
	if (n == 0)
		roger_buf_adds(text, j ? "never run" : "-");
	return list;
}

static void add_row(struct cli *cli, json_t *list, const char *name,
		    const char *id, const char *cron, const char *zone,
		    const struct roger_metronome_job *j, const char *note)
{
	const struct roger_metronome_schedule *s =
		j && j->n_schedules ? &j->schedules[0] : NULL;
	struct roger_buf runs = ROGER_BUF_INIT;
	json_t *last = last_runs(j, &runs), *active = json_array();
	char sched[160];

	for (size_t i = 0; j && i < j->n_active_runs; i++)
		json_array_append_new(active,
				      json_string(j->active_runs[i].id));
	if (s && s->cron)
		snprintf(sched, sizeof(sched), "%s (%s)%s", s->cron,
			 s->timezone, s->enabled ? "" : " disabled");
	else if (cron)
		snprintf(sched, sizeof(sched), "%s (%s)", cron,
			 zone ? zone : "UTC");
	else
		snprintf(sched, sizeof(sched), "-");
	json_array_append_new(
		list,
		json_pack("{s:s,s:s,s:b,s:o,s:o,s:o,s:o,s:o}", "name", name,
			  "id", id, "deployed", j != NULL, "schedule",
			  cli_json_str(s ? s->cron : cron), "timezone",
			  cli_json_str(s ? s->timezone : zone), "next_run",
			  cli_json_str(s && s->enabled ? s->next_run_at : NULL),
			  "active_runs", active, "last_runs", last));
	if (cli->output == OUTPUT_TEXT)
		printf("%-14s %-34s %-30s %s%s%s%s\n", name, sched,
		       s && s->enabled && s->next_run_at ? s->next_run_at : "-",
		       j && j->n_active_runs ? "running now; " : "", runs.buf,
		       note ? "  " : "", note ? note : "");
	roger_buf_release(&runs);
}

static int list(struct cli *cli)
{
	struct roger_metronome_jobs *live = NULL;
	struct roger_metronome *m = NULL;
	struct roger_jobs_job *jobs = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	const char *release = NULL;
	json_t *rows = json_array();
	size_t n = 0;
	int status;
	char *id;

	if ((status = cli_metronome(cli, false, &m)) != 0)
		goto out;
	if (roger_jobs_of_project(&jobs, &n, &release, cli->project, &err) <
		    0 ||
	    roger_metronome_list_jobs(&live, m,
				      ROGER_METRONOME_EMBED_SCHEDULES |
					      ROGER_METRONOME_EMBED_HISTORY |
					      ROGER_METRONOME_EMBED_ACTIVE_RUNS,
				      &err) < 0) {
		status = cli_fail_app(cli, cli->project->id, &err);
		goto out;
	}
	if (cli->output == OUTPUT_TEXT)
		printf("%-14s %-34s %-30s %s\n", "NAME", "SCHEDULE", "NEXT RUN",
		       "LAST RUNS");
	for (size_t i = 0; i < n; i++) {
		if (roger_jobs_id(&id, cli->project->id, jobs[i].name, &err) <
		    0) {
			status = cli_fail(&err);
			goto out;
		}
		add_row(cli, rows, jobs[i].name, id, jobs[i].cron,
			jobs[i].timezone, find(live, id),
			find(live, id) ? NULL : "(not deployed yet)");
		free(id);
	}
	for (size_t i = 0; live && i < live->n; i++) {
		const struct roger_metronome_job *j = live->items[i];
		const char *owner = roger_metronome_job_label(j, "ROGER_APP");
		const char *name = roger_metronome_job_label(j, "ROGER_JOB");
		bool listed = false;

		if (!owner || strcmp(owner, cli->project->id) || !name)
			continue;
		for (size_t k = 0; k < n; k++)
			listed = listed || !strcmp(jobs[k].name, name);
		if (listed)
			continue;
		add_row(cli, rows, name, j->id, NULL, NULL, j,
			!strcmp(name, ROGER_JOBS_RUN) ? "(roger run)"
			: !strcmp(name, ROGER_JOBS_RELEASE)
				? (release ? "(release)"
					   : "(release: no longer in roger.json)")
				: "(no longer in roger.json: the next deploy removes it)");
	}
	if (cli->output == OUTPUT_JSON)
		status = cli_print_doc(cli, json_pack("{s:s,s:O}", "app",
						      cli->project->id, "jobs",
						      rows));
out:
	json_decref(rows);
	free(jobs);
	roger_metronome_jobs_free(live);
	roger_metronome_free(m);
	return status;
}

static int run_one(struct cli *cli, const char *name)
{
	struct roger_metronome_job *live = NULL;
	struct roger_metronome *m = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	char *id = NULL;
	int status;

	if (strcmp(name, ROGER_JOBS_RELEASE) && strcmp(name, ROGER_JOBS_RUN) &&
	    !json_object_get(json_object_get(cli->project->root, "jobs"),
			     name)) {
		cli_error("no job '%s' in %s", name, cli->project->display);
		return ROGER_EXIT_USAGE;
	}
	if (roger_jobs_id(&id, cli->project->id, name, &err) < 0)
		return cli_fail(&err);
	if ((status = cli_metronome(cli, false, &m)) != 0)
		goto out;
	if (roger_metronome_get_job(&live, m, id, 0, &err) < 0) {
		if (err.code == ROGER_ENOTFOUND) {
			cli_error(
				"job '%s' (%s) is not on target '%s': deploy the app first",
				name, id, cli->resolved_target->name);
			status = ROGER_EXIT_FAILURE;
		} else {
			status = cli_fail(&err);
		}
		goto out;
	}
	status = cli_job_run_report(cli, m, id, detach, timeout_ms,
				    cli->output == OUTPUT_JSON
					    ? json_pack("{s:s,s:s,s:n}", "job",
							id, "name", name,
							"run_id")
					    : NULL,
				    NULL);
out:
	roger_metronome_job_free(live);
	roger_metronome_free(m);
	free(id);
	return status;
}

static int jobs_run(struct cli *cli, int argc, char **argv)
{
	int n = cli_parse_options(cli, argc, argv);

	if (n == 0)
		return list(cli);
	if (strcmp(argv[0], "run"))
		return cli_usage_error(
			cli,
			"unknown verb '%s': expected 'run NAME', or nothing to list the jobs",
			argv[0]);
	if (n != 2)
		return cli_usage_error(cli,
				       "'jobs run' takes the name of one job");
	return run_one(cli, argv[1]);
}

const struct roger_cmd cmd_jobs = {
	.name = "jobs",
	.summary =
		"list the project's jobs with their schedules and last runs, or run one",
	.operands = "[run name]",
	.opts = jobs_opts,
	.max_operands = 2,
	.args = ARG_CHOICE,
	.arg_choices = "run",
	.verb_args = ARG_JOB,
	.flags = CMD_NEED_PROJECT | CMD_NEED_TARGET,
	.run = jobs_run,
};
