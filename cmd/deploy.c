/*
 * deploy.c - `roger deploy`: build the project's artifact, push it, render
 * the app definition, show how it differs from the live app, PUT it
 * (create or replace), and wait until the new version runs, healthy.  The
 * artifact of an app with an `image` section is its image, pushed to the
 * target's registry and rendered as the container in the shape of the
 * Marathon the target runs (its /v2/info); an app whose container names
 * an image built elsewhere is deployed as it is, nothing built or pushed.
 *
 * The pieces are elsewhere: building and pushing in util/artifact.c, rendering
 * and diffing in lib/render, waiting (events plus polls, fail-fast, the
 * stderr tail, rollback, timeout, interrupt) in util/watch.c over lib/deploy.
 * This file puts them in order and decides the two things only deploy
 * has to decide:
 *
 *  - nothing to do: the live app already is the rendered one (the diff
 *    ignoring server-owned fields, Marathon's defaults and the labels
 *    that change with every deploy is empty), so nothing is sent unless
 *    --force;
 *  - the dry run: the artifact is built (locally, nothing leaves the
 *    machine) but not pushed, its URL is computed, the live app is read
 *    for the diff, and the PUT is printed instead of sent.  A dry run does
 *    not start roger local.
 *
 * Output.  The diff goes to standard output before the PUT (colored on a
 * terminal, not with -q), then the result line and, on success (or when
 * nothing changed), the app's stable address (roger local's router, or
 * the target's router template; read back after the deployment, since
 * Marathon assigns service ports) and then the address of each task
 * (http://host:port/ when the app has an HTTP health check, else
 * host:port), one per line, so that a script can pick the first.  With -o json,
 * one document (cli_watch_finish) holds all of it.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "util/jobs.h"
#include "util/watch.h"

struct deploy {
	struct cli_watch w;
	struct cli_build_args args;
	enum cli_app_kind kind;
	struct cli_image *image; /* CLI_APP_IMAGE */
	char *external; /* CLI_APP_EXTERNAL: the image it names */
	char full_commit[41];
	struct roger_artifact *artifact; /* CLI_APP_ARTIFACT */
	struct roger_store_result pushed;
	char *artifact_url; /* borrowed from `pushed`, or owned (dry run) */
	bool own_url;
	json_t *rendered;
	struct roger_marathon_app *live; /* NULL: the app does not exist */
	struct roger_marathon_app *goal; /* the rendered app, parsed */
	struct roger_diff *diff;
	struct cli_jobs_plan jobs; /* the release and the jobs of roger.json */
	bool skip_release;
	char commit[ROGER_SHORT_COMMIT_LEN + 1];
};

/* Static, for the option table to point into. */
static struct deploy dep = {
	.w = CLI_WATCH_INIT,
	.pushed = ROGER_STORE_RESULT_INIT,
};

static const struct cmd_opt deploy_opts[] = {
	OPT_BUILD_ALLOW_DIRTY(&dep.args),
	OPT_WATCH_DETACH(&dep.w),
	OPT_BOOL('n', "dry-run", &dep.w.dry_run,
		 "build, print the diff and the request, and change nothing"),
	OPT_BOOL(
		0, "force", &dep.w.force,
		"deploy even when nothing changed, and override a deployment in progress"),
	OPT_BUILD_NO_CACHE(&dep.args),
	OPT_WATCH_NO_ROLLBACK(&dep.w),
	OPT_BUILD_REF(&dep.args),
	OPT_WATCH_ROLLBACK_ON_INTERRUPT(&dep.w),
	OPT_WATCH_SETTLE(&dep.w),
	OPT_BOOL(0, "skip-release", &dep.skip_release,
		 "do not run roger.json's release command (emergencies only)"),
	OPT_WATCH_TIMEOUT(&dep.w),
	OPT_END(),
};

/* Push the artifact (or, for a dry run, only work out its URL). */
static int push(struct deploy *d)
{
	struct cli *cli = d->w.cli;
	const struct roger_artifact *a = d->artifact;
	struct roger_err err = ROGER_ERR_INIT;
	int status;

	if (d->w.dry_run) {
		if (roger_store_artifact_url(&d->artifact_url,
					     cli->resolved_target->artifacts,
					     d->w.app_id, a->sha256, &err) < 0)
			return cli_fail(&err);
		d->own_url = true;
	} else {
		status = cli_push_artifact(cli, a, false, &d->pushed);
		if (status)
			return status;
		d->artifact_url = d->pushed.url;
	}
	cli_json_set(
		d->w.doc, "artifact",
		json_pack("{s:s,s:s,s:I,s:s,s:b,s:o}", "url", d->artifact_url,
			  "sha256", a->sha256, "size", (json_int_t)a->size,
			  "commit", a->commit, "dirty", a->dirty, "pushed",
			  d->w.dry_run ? json_false()
				       : json_boolean(!d->pushed.skipped)));
	return ROGER_EXIT_OK;
}

/* Build and push what the app runs; d->full_commit is its commit. */
static int build_and_push(struct deploy *d)
{
	struct cli *cli = d->w.cli;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *doc;
	int status;

	switch (d->kind) {
	case CLI_APP_IMAGE:
		/* a dry run builds the image, and only names it */
		if ((status = cli_ship_image(cli, &d->args, !d->w.dry_run,
					     &d->image)) != 0)
			return status;
		memcpy(d->full_commit, d->image->img->commit, 41);
		doc = cli_image_json(d->image);
		cli_json_set(doc, "pushed", json_boolean(d->image->was_pushed));
		cli_json_set(d->w.doc, "image", doc);
		return ROGER_EXIT_OK;
	case CLI_APP_EXTERNAL:
		if ((status = cli_resolve_commit(cli, &d->args,
						 d->full_commit)) != 0)
			return status;
		cli_json_set(d->w.doc, "image",
			     json_pack("{s:s, s:b}", "reference", d->external,
				       "external", 1));
		return ROGER_EXIT_OK;
	case CLI_APP_ARTIFACT:
		break;
	}
	if (roger_store_check_target(cli->resolved_target, &err) < 0)
		return cli_fail(&err);
	if ((status = cli_build_artifact(cli, &d->args, &d->artifact)) != 0)
		return status;
	memcpy(d->full_commit, d->artifact->commit, 41);
	return push(d);
}

/* The app definition to deploy, in d->rendered (compare() parses it). */
static int render(struct deploy *d)
{
	int status;

	if (d->kind == CLI_APP_IMAGE) {
		status = cli_render_built_image(d->w.cli, d->w.m, d->image,
						&d->rendered);
	} else if (d->kind == CLI_APP_EXTERNAL) {
		status = cli_render_image_app(d->w.cli, d->full_commit, NULL,
					      &d->rendered);
	} else {
		status = cli_render_app_at(d->w.cli, d->artifact,
					   d->artifact_url, &d->rendered);
	}
	return status;
}

/*
 * Read the live app (d->live stays NULL when there is none), keep its
 * instance count unless roger.json changed it, and diff; the definition
 * to deploy, parsed, in d->goal.
 */
static int compare(struct deploy *d)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *none = NULL, *changes = NULL;
	int rc;

	rc = roger_marathon_get_app(&d->live, d->w.m, d->w.app_id, 0, &err);
	if (rc < 0 && rc != ROGER_ENOTFOUND)
		return cli_watch_app_failed(&d->w, &err);
	cli_keep_instances(d->w.cli, d->rendered,
			   d->live ? d->live->json : NULL, d->w.doc);
	if (roger_marathon_app_from_json(&d->goal, d->rendered, &err) < 0)
		return cli_fail(&err);
	if (!d->live)
		none = json_pack("{s:s}", "id", d->w.app_id);
	rc = roger_diff_apps(&d->diff, d->live ? d->live->json : none,
			     d->rendered, ROGER_DIFF_IGNORE_METADATA, &err);
	json_decref(none);
	if (rc < 0 || roger_diff_to_json(&changes, d->diff, &err) < 0)
		return cli_fail(&err);
	cli_json_set(d->w.doc, "created", json_boolean(!d->live));
	cli_json_set(d->w.doc, "previous_version",
		     d->live && d->live->version ? json_string(d->live->version)
						 : json_null());
	cli_json_set(d->w.doc, "diff", changes);
	return ROGER_EXIT_OK;
}

/* The diff on standard output, with a line that says what it is. */
static void show_diff(struct deploy *d)
{
	struct cli *cli = d->w.cli;
	struct roger_buf text = ROGER_BUF_INIT;
	const char *target = cli->resolved_target->name;

	if (cli->output != OUTPUT_TEXT || cli->quiet)
		return;
	if (!d->live)
		printf("app '%s' does not exist on target '%s': creating it at commit %s\n",
		       d->w.app_id, target, d->commit);
	else if (roger_diff_empty(d->diff))
		printf("app '%s' on target '%s' is unchanged: deploying commit %s again (--force)\n",
		       d->w.app_id, target, d->commit);
	else
		printf("changes to app '%s' on target '%s' (commit %s):\n",
		       d->w.app_id, target, d->commit);
	if (roger_diff_format_text(&text, d->diff,
				   cli->color ? ROGER_DIFF_COLOR : 0) < 0) {
		cli_error("out of memory");
		cli_exit(ROGER_EXIT_FAILURE);
	}
	fputs(text.buf, stdout);
	fflush(stdout);
	roger_buf_release(&text);
}

/*
 * The release command of roger.json, once, in the new release: the job
 * "<app>.release" made from the rendered app and run to its end, its
 * output on stderr after "release: ".  Anything but exit 0 stops the
 * deploy before the app is touched: exit 5, with the last lines of the
 * output when they were not shown already.
 */
static int release(struct deploy *d)
{
	struct cli *cli = d->w.cli;
	struct roger_jobs_job job = { 0 };
	struct cli_run_opts o = { 0 };
	struct cli_run_result res = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	const struct roger_metronome_job *live = NULL;
	json_t *spec = NULL;
	int status;

	job.name = ROGER_JOBS_RELEASE;
	job.cmd = d->jobs.release;
	job.source = ROGER_JOBS_RELEASE;
	if (roger_jobs_spec(&spec, d->rendered, &job, &err) < 0)
		return cli_fail(&err);
	for (size_t i = 0; d->jobs.live && i < d->jobs.live->n; i++)
		if (!strcmp(d->jobs.live->items[i]->id,
			    json_string_value(json_object_get(spec, "id"))))
			live = d->jobs.live->items[i];
	roger_metronome_set_source(d->jobs.m, cli->project->display,
				   roger_jobs_user_path,
				   (void *)ROGER_JOBS_RELEASE);
	if (cli_job_put(cli, d->jobs.m, spec, NULL, live, &err) < 0) {
		json_decref(spec);
		return cli_fail(&err);
	}
	if (!cli->quiet && cli->output == OUTPUT_TEXT)
		fprintf(stderr,
			"roger: running the release command of commit %s: %s\n",
			d->commit, d->jobs.release);
	o.prefix = "release";
	o.collect = cli->output == OUTPUT_JSON;
	o.timeout_ms = d->w.timeout_ms > 0 ? d->w.timeout_ms : 0;
	status = cli_job_run(cli, d->jobs.m,
			     json_string_value(json_object_get(spec, "id")), &o,
			     &res);
	cli_json_set(
		d->w.doc, "release",
		json_pack("{s:s,s:s,s:o,s:o}", "command", d->jobs.release,
			  "run_id", res.run_id, "exit_status",
			  res.exit_status >= 0 ? json_integer(res.exit_status)
					       : json_null(),
			  "output",
			  res.output ? json_incref(res.output) : json_array()));
	if (status == 0 && res.exit_status != 0) {
		cli_error(
			"the release command failed (exit status %d): nothing deployed",
			res.exit_status);
		if ((cli->quiet || cli->output != OUTPUT_TEXT) && res.tail.len)
			fprintf(stderr,
				"roger: the last lines of its output:\n%s",
				res.tail.buf);
		status = ROGER_EXIT_DEPLOY_FAILED;
	} else if (status) {
		cli_error(
			"the release command did not run to its end: nothing deployed");
		if (status != ROGER_EXIT_INTERRUPTED &&
		    status != ROGER_EXIT_TIMEOUT)
			status = ROGER_EXIT_DEPLOY_FAILED;
	}
	if (status)
		cli_json_set(d->w.doc, "status", json_string("release_failed"));
	cli_run_result_release(&res);
	json_decref(spec);
	return status;
}

/* The jobs of roger.json against the target's, shown and in the document. */
static int plan_jobs(struct deploy *d)
{
	struct cli *cli = d->w.cli;
	int status = cli_jobs_plan(cli, d->rendered, !d->w.dry_run, &d->jobs);

	if (status)
		return status;
	if (d->jobs.m || d->jobs.n)
		cli_json_set(d->w.doc, "jobs", cli_jobs_plan_json(&d->jobs));
	return ROGER_EXIT_OK;
}

/* After the app: the jobs, made to match roger.json. */
static int apply_jobs(struct deploy *d)
{
	if (!d->jobs.changes || d->w.dry_run)
		return ROGER_EXIT_OK;
	return cli_jobs_apply(d->w.cli, &d->jobs);
}

static int dry_run(struct deploy *d, unsigned flags)
{
	struct roger_marathon_req req = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	json_t *masked = NULL;
	int status;

	if (roger_render_mask_secrets(&masked, d->rendered, &err) < 0 ||
	    roger_marathon_req_put_app(&req, d->w.app_id, masked, flags, &err) <
		    0)
		status = cli_fail(&err);
	else
		status = cli_watch_dry_run(&d->w, &req);
	roger_marathon_req_release(&req);
	json_decref(masked);
	return status;
}

/*
 * Where the app answers (lib/address: the first port of each running
 * task, as a URL when the health check tells the scheme): printed one per
 * line, and in the document.
 */
static void show_addresses(struct deploy *d)
{
	struct cli *cli = d->w.cli;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon_app *app = NULL;
	json_t *list = NULL, *addr;
	char *stable;
	size_t i;

	if (roger_marathon_get_app(&app, d->w.m, d->w.app_id,
				   ROGER_MARATHON_EMBED_TASKS, &err) < 0 ||
	    roger_address_list(&list, d->rendered, app, &err) < 0) {
		if (!cli->quiet)
			cli_warn("cannot list the addresses of app '%s': %s",
				 d->w.app_id, err.msg);
		roger_marathon_app_free(app);
		return;
	}
	/* the stable address first: it stays while the tasks come and go */
	stable = cli_stable_address(cli, d->rendered, app);
	if (cli->output == OUTPUT_TEXT && !cli->quiet) {
		if (stable)
			printf("%s\n", stable);
		json_array_foreach(list, i, addr)
			printf("%s\n", json_string_value(addr));
	}
	cli_json_set(d->w.doc, "address", cli_json_str(stable));
	cli_json_set(d->w.doc, "addresses", list);
	free(stable);
	roger_marathon_app_free(app);
}

static int deploy(struct deploy *d)
{
	struct cli *cli = d->w.cli;
	struct cli_watch *w = &d->w;
	struct cli_watch_goal g = { 0 };
	struct roger_marathon_deployment_result res;
	struct roger_err err = ROGER_ERR_INIT;
	char what[512], done[512], undo[256];
	unsigned flags;
	bool created;
	int status;

	/* roger.json first: the one of --ref, or the work tree's if committed
	 */
	if ((status = cli_use_ref(cli, &d->args)) != 0)
		return status;
	/* roger local next: the clients need the port and token it takes. */
	if (cli->resolved_target->is_local && !w->dry_run &&
	    (status = cli_start_local(cli)) != 0)
		return status;
	if ((status = cli_watch_setup(w)) != 0)
		return status;
	if (roger_marathon_set_source(w->m, cli->project->display) < 0) {
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	if ((status = cli_app_kind(cli, &d->kind, &d->external)) != 0 ||
	    (status = build_and_push(d)) != 0)
		return status;
	snprintf(d->commit, sizeof(d->commit), "%s", d->full_commit);
	cli_json_set(d->w.doc, "commit", json_string(d->full_commit));
	if ((status = render(d)) != 0 || (status = compare(d)) != 0 ||
	    (status = plan_jobs(d)) != 0)
		return status;
	if (d->live && roger_diff_empty(d->diff) && !w->force) {
		cli_json_set(d->w.doc, "status", json_string("unchanged"));
		if (d->jobs.changes) {
			cli_jobs_plan_show(cli, &d->jobs);
			if (cli->output == OUTPUT_TEXT && !cli->quiet)
				printf("app '%s' is up to date (commit %s): %s its jobs only\n",
				       w->app_id, d->commit,
				       w->dry_run ? "would update"
						  : "updating");
			if ((status = apply_jobs(d)) != 0)
				return status;
		} else if (cli->output == OUTPUT_TEXT && !cli->quiet)
			printf("app '%s' is up to date (commit %s): nothing to deploy\n",
			       w->app_id, d->commit);
		if (d->live->n_deployments && !cli->quiet)
			cli_warn(
				"a deployment of app '%s' is still in progress ('%s'): see 'roger status'",
				w->app_id, d->live->deployments[0]);
		show_addresses(d);
		return ROGER_EXIT_OK;
	}
	show_diff(d);
	cli_jobs_plan_show(cli, &d->jobs);
	snprintf(what, sizeof(what), "deploy commit %s of app '%s'", d->commit,
		 w->app_id);
	if ((status = cli_watch_confirm(w, what, false)) != 0)
		return status;
	flags = ROGER_MARATHON_REPLACE | (w->force ? ROGER_MARATHON_FORCE : 0);
	if (w->dry_run) {
		if (d->jobs.release && cli->output == OUTPUT_TEXT &&
		    !cli->quiet)
			printf("release: would run '%s' in the new release before updating the app%s\n",
			       d->jobs.release,
			       d->skip_release ? " (skipped: --skip-release)"
					       : "");
		return dry_run(d, flags);
	}
	if (d->jobs.release && d->skip_release && !cli->quiet)
		cli_warn("skipping the release command '%s' (--skip-release)",
			 d->jobs.release);
	if (d->jobs.release && !d->skip_release && (status = release(d)) != 0)
		return status;
	if (roger_marathon_put_app(&res, &created, w->m, w->app_id, d->rendered,
				   flags, &err) < 0)
		return cli_watch_request_failed(w, &err);
	snprintf(w->label, sizeof(w->label), "deploying '%s' at %s", w->app_id,
		 d->commit);
	snprintf(done, sizeof(done), "app '%s' %s at commit %s", w->app_id,
		 created ? "created" : "deployed", d->commit);
	g.res = &res;
	g.before = d->live;
	g.instances = -1;
	g.previous_version = d->live ? d->live->version : NULL;
	g.previous_app = d->live ? d->live->json : NULL;
	g.new_app = d->rendered;
	g.created = !d->live;
	/* while it runs, a deployment is undone by going back, or away */
	if (g.previous_version)
		snprintf(undo, sizeof(undo), "rollback --to %s --force",
			 g.previous_version);
	else
		snprintf(undo, sizeof(undo), "destroy --force");
	g.undo = undo;
	g.default_timeout_ms = roger_deploy_default_timeout_ms(
		d->goal, -1, cli_watch_settle_ms(w));
	g.done = done;
	status = cli_watch_run(w, &g);
	if (status == ROGER_EXIT_OK)
		status = apply_jobs(d);
	if (status == ROGER_EXIT_OK && !w->detach)
		show_addresses(d);
	return status;
}

static int deploy_run(struct cli *cli, int argc, char **argv)
{
	int status;

	cli_parse_options(cli, argc, argv);
	cli_watch_init(&dep.w, cli, "deploy");
	status = deploy(&dep);
	/* a step that printed its own error (build, push, render) */
	if (status && dep.w.doc && !json_object_get(dep.w.doc, "status"))
		cli_json_set(dep.w.doc, "status", json_string("error"));
	status = cli_watch_finish(&dep.w, status);
	roger_diff_free(dep.diff);
	cli_jobs_plan_release(&dep.jobs);
	roger_marathon_app_free(dep.goal);
	roger_marathon_app_free(dep.live);
	json_decref(dep.rendered);
	if (dep.own_url)
		free(dep.artifact_url);
	roger_store_result_release(&dep.pushed);
	roger_artifact_free(dep.artifact);
	cli_image_free(dep.image);
	free(dep.external);
	return status;
}

const struct roger_cmd cmd_deploy = {
	.name = "deploy",
	.summary =
		"build, push and deploy the project's app, and wait until it runs",
	.opts = deploy_opts,
	.flags = CMD_NEED_PROJECT | CMD_NEED_TARGET,
	.run = deploy_run,
};
