/*
 * run.c - `roger run -- CMD...`: a one-off command in the app's live
 * release, as a Metronome job run, its output streamed, its exit status
 * roger's (like `heroku run`).
 *
 * The job "<app>.run" (lib/jobs.c) is made from the live app, or with
 * --ref from the app rendered for that commit (its roger.json, as deploy
 * --ref reads it) with its artifact or image, built and pushed first as
 * deploy does (an app naming an image built elsewhere needs no build): the
 * same artifact or image, environment, user and labels.  It is created or
 * replaced, then started, and followed through Metronome and the Mesos
 * files API (cmd/util/jobs.c).  Exit status: the command's;
 * 5 when it never ran (the reason said), 6 after --timeout and 130 on
 * Ctrl-C, the run stopped in both cases; --detach prints the run id.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/jobs.h"

static struct cli_build_args args;
static const char *cpus_opt;
static long mem_opt;
static bool detach;
static int64_t timeout_ms;

static const struct cmd_opt run_opts[] = {
	OPT_BUILD_ALLOW_DIRTY(&args),
	OPT_STRING(0, "cpus", &cpus_opt, "n", ARG_WORD,
		   "CPUs for the command (default: the app's)"),
	OPT_BOOL(0, "detach", &detach,
		 "start the run, print its id and do not wait for it"),
	OPT_INT(0, "mem", &mem_opt, "mb", 32, 1024 * 1024,
		"memory for the command in MiB (default: the app's)"),
	OPT_BUILD_REF(&args),
	OPT_DURATION(0, "timeout", &timeout_ms, 0, 7 * CLI_DAY,
		     "stop the run after this long (0, the default: never)"),
	OPT_END(),
};

/* The app the command runs in: the live one, or --ref's rendered. */
static int app_def(struct cli *cli, json_t **out)
{
	struct roger_store_result pushed = ROGER_STORE_RESULT_INIT;
	struct roger_marathon_app *app = NULL;
	struct roger_artifact *a = NULL;
	struct cli_image *im = NULL;
	struct roger_marathon *m = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	int status;

	if (args.ref || args.allow_dirty) {
		enum cli_app_kind kind;
		char commit[41];

		if ((status = cli_use_ref(cli, &args)) != 0 ||
		    (status = cli_app_kind(cli, &kind, NULL)) != 0)
			return status;
		if (kind == CLI_APP_EXTERNAL) {
			/* nothing to build: the image its container names */
			if ((status = cli_resolve_commit(cli, &args, commit)) ==
			    0)
				status = cli_render_image_app(cli, commit, NULL,
							      out);
			return status;
		}
		if (kind == CLI_APP_IMAGE) {
			/* the container in the shape of the target's Marathon
			 */
			if ((status = cli_ship_image(cli, &args, true, &im)) ==
				    0 &&
			    (status = cli_marathon(cli, true, &m)) == 0)
				status =
					cli_render_built_image(cli, m, im, out);
			cli_image_free(im);
			roger_marathon_free(m);
			return status;
		}
		if ((status = cli_build_artifact(cli, &args, &a)) == 0 &&
		    (status = cli_push_artifact(cli, a, false, &pushed)) == 0)
			status = cli_render_app_at(cli, a, pushed.url, out);
		roger_store_result_release(&pushed);
		roger_artifact_free(a);
		return status;
	}
	if ((status = cli_marathon(cli, false, &m)) != 0)
		return status;
	if (roger_marathon_get_app(&app, m, cli->project->id, 0, &err) < 0) {
		status = cli_fail_app(cli, cli->project->id, &err);
		if (err.code == ROGER_ENOTFOUND)
			cli_error(
				"'roger run' runs in the app's live release: deploy it first, or name a commit with --ref");
	} else {
		*out = json_incref(app->json);
	}
	roger_marathon_app_free(app);
	roger_marathon_free(m);
	return status;
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct roger_jobs_job job = { 0 };
	struct roger_metronome_job *live = NULL;
	struct roger_metronome *m = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *app = NULL, *spec = NULL;
	char *cmd = NULL, *end;
	int status, rc;

	if (cpus_opt) {
		job.cpus = strtod(cpus_opt, &end);
		if (end == cpus_opt || *end ||
		    !(job.cpus >= 0.01 && job.cpus <= 1e6))
			return cli_usage_error(
				cli,
				"invalid --cpus '%s': expected a number of CPUs, at least 0.01",
				cpus_opt);
	}
	job.mem = (double)mem_opt;
	if ((status = app_def(cli, &app)) != 0)
		goto out;
	cmd = roger_jobs_join_argv(argc, argv);
	job.name = ROGER_JOBS_RUN;
	job.cmd = cmd;
	job.source = "run";
	if (roger_jobs_spec(&spec, app, &job, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	if ((status = cli_metronome(cli, true, &m)) != 0)
		goto out;
	rc = roger_metronome_get_job(
		&live, m, json_string_value(json_object_get(spec, "id")),
		ROGER_METRONOME_EMBED_SCHEDULES, &err);
	if ((rc < 0 && rc != ROGER_ENOTFOUND) ||
	    cli_job_put(cli, m, spec, NULL, live, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	status = cli_job_run_report(
		cli, m, json_string_value(json_object_get(spec, "id")), detach,
		timeout_ms,
		cli->output == OUTPUT_JSON
			? json_pack("{s:s,s:n,s:s,s:b}", "job",
				    json_string_value(
					    json_object_get(spec, "id")),
				    "run_id", "command", cmd, "detached",
				    detach)
			: NULL,
		"run");
out:
	roger_metronome_job_free(live);
	roger_metronome_free(m);
	json_decref(spec);
	json_decref(app);
	free(cmd);
	return status;
}

static int run_run(struct cli *cli, int argc, char **argv)
{
	int n = cli_parse_options(cli, argc, argv);

	if (n < 1)
		return cli_usage_error(cli,
				       "missing the command to run (after --)");
	return run(cli, n, argv);
}

const struct roger_cmd cmd_run = {
	.name = "run",
	.summary =
		"run a one-off command in the app's release as a Metronome job, with its output and exit status",
	.operands = "command [arg ...]",
	.opts = run_opts,
	.max_operands = -1,
	.flags = CMD_NEED_PROJECT | CMD_NEED_TARGET,
	.run = run_run,
};
