/*
 * destroy.c - `roger destroy`: remove the app from Marathon (DELETE
 * /v2/apps/{id}) after confirmation, and wait until its tasks are stopped
 * and the app is gone (its deployment ended, GET answering 404).
 *
 * Marathon's DELETE defaults to force=true and so cancels a deployment in
 * progress without a word.  roger refuses instead (exit 7) unless --force,
 * and always sends force explicitly, so that a deployment that starts
 * between the check and the DELETE is refused by Marathon itself (409).
 * There is nothing to roll back to: a destroy that fails is reported.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/watch.h"

static struct cli_watch w = CLI_WATCH_INIT;

static const struct cmd_opt destroy_opts[] = {
	OPT_WATCH_APP(&w),
	OPT_WATCH_DETACH(&w),
	OPT_WATCH_DRY_RUN(&w),
	OPT_BOOL(0, "force", &w.force, "destroy even while a deployment is in progress (it is cancelled)"),
	OPT_WATCH_TIMEOUT(&w),
	OPT_END(),
};

static int destroy_run(struct cli *cli, int argc, char **argv)
{
	struct cli_watch_goal g = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon_app *app = NULL;
	struct roger_marathon_req req = { 0 };
	struct roger_marathon_deployment_result res;
	char what[512], done[512];
	unsigned flags;
	int status;

	cli_parse_options(cli, argc, argv);
	cli_watch_init(&w, cli, "destroy");
	/* nothing to roll a removal back to */
	w.no_rollback = true;
	if ((status = cli_watch_setup(&w)) != 0)
		goto out;
	if (roger_marathon_get_app(&app, w.m, w.app_id, 0, &err) < 0) {
		status = cli_watch_app_failed(&w, &err);
		goto out;
	}
	if (app->n_deployments && !w.force) {
		cli_error("app '%s' has a deployment in progress ('%s'); pass --force to cancel it and destroy the app",
			  w.app_id, app->deployments[0]);
		json_object_set_new(w.doc, "status", json_string("error"));
		status = ROGER_EXIT_CONFLICT;
		goto out;
	}
	snprintf(what, sizeof(what), "destroy app '%s' and its %d task%s",
		 w.app_id, app->tasks_running + app->tasks_staged,
		 app->tasks_running + app->tasks_staged == 1 ? "" : "s");
	if ((status = cli_watch_confirm(&w, what, true)) != 0)
		goto out;
	flags = w.force ? ROGER_MARATHON_FORCE : 0;
	if (roger_marathon_req_delete_app(&req, w.app_id, flags, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	if ((status = cli_watch_send(&w, &req, &res)) != CLI_WATCH_SENT)
		goto out;
	snprintf(w.label, sizeof(w.label), "destroying '%s'", w.app_id);
	snprintf(done, sizeof(done), "app '%s' destroyed", w.app_id);
	g.res = &res;
	g.before = app;
	g.instances = 0;
	g.flags = ROGER_DEPLOY_REMOVE;
	g.default_timeout_ms = roger_deploy_remove_timeout_ms(app);
	g.done = done;
	status = cli_watch_run(&w, &g);
out:
	roger_marathon_req_release(&req);
	status = cli_watch_finish(&w, status);
	roger_marathon_app_free(app);
	return status;
}

const struct roger_cmd cmd_destroy = {
	.name = "destroy",
	.summary = "remove the app and its tasks, after confirmation",
	.opts = destroy_opts,
	.run = destroy_run,
};
