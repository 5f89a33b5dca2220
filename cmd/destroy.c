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
	OPT_BOOL(
		0, "force", &w.force,
		"destroy even while a deployment is in progress (it is cancelled)"),
	OPT_WATCH_TIMEOUT(&w),
	OPT_END(),
};

static int plan(struct cli_watch *cw, const struct roger_marathon_app *app,
		void *data, struct cli_watch_plan *p)
{
	struct roger_err err = ROGER_ERR_INIT;
	int tasks = app->tasks_running + app->tasks_staged;

	(void)data;
	if (app->n_deployments && !cw->force) {
		cli_error(
			"app '%s' has a deployment in progress ('%s'); pass --force to cancel it and destroy the app",
			cw->app_id, app->deployments[0]);
		cli_json_set(cw->doc, "status", json_string("error"));
		return ROGER_EXIT_CONFLICT;
	}
	if (roger_marathon_req_delete_app(&p->req, cw->app_id,
					  cw->force ? ROGER_MARATHON_FORCE : 0,
					  &err) < 0)
		return cli_fail(&err);
	snprintf(p->what, sizeof(p->what), "destroy app '%s' and its %d task%s",
		 cw->app_id, tasks, tasks == 1 ? "" : "s");
	p->always_confirm = true;
	snprintf(cw->label, sizeof(cw->label), "destroying '%s'", cw->app_id);
	snprintf(p->done, sizeof(p->done), "app '%s' destroyed", cw->app_id);
	p->instances = 0;
	p->flags = ROGER_DEPLOY_REMOVE;
	p->default_timeout_ms = roger_deploy_remove_timeout_ms(app);
	return ROGER_EXIT_OK;
}

static int destroy_run(struct cli *cli, int argc, char **argv)
{
	cli_parse_options(cli, argc, argv);
	cli_watch_init(&w, cli, "destroy");
	/* nothing to roll a removal back to */
	w.no_rollback = true;
	return cli_watch_change(&w, plan, NULL);
}

const struct roger_cmd cmd_destroy = {
	.name = "destroy",
	.summary = "remove the app and its tasks, after confirmation",
	.opts = destroy_opts,
	.run = destroy_run,
};
