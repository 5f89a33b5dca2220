/*
 * restart.c - `roger restart`: a rolling restart of the app (POST
 * /v2/apps/{id}/restart), which Marathon carries out by its
 * upgradeStrategy, and the wait until every instance is a new task,
 * running and healthy, as deploy waits (cmd/util/watch.c, lib/deploy.c).
 *
 * A restart changes nothing a version could restore, so a restart that
 * fails is rolled back only while its deployment is still in progress
 * (Marathon then cancels it and keeps what has not been replaced yet).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/watch.h"

static struct cli_watch w = CLI_WATCH_INIT;

static const struct cmd_opt restart_opts[] = {
	OPT_WATCH_ALL(&w),
	OPT_END(),
};

static int plan(struct cli_watch *cw, const struct roger_marathon_app *app,
		void *data, struct cli_watch_plan *p)
{
	struct roger_err err = ROGER_ERR_INIT;

	(void)data;
	if (roger_marathon_req_restart_app(&p->req, cw->app_id,
					   cw->force ? ROGER_MARATHON_FORCE : 0,
					   &err) < 0)
		return cli_fail(&err);
	snprintf(p->what, sizeof(p->what), "restart app '%s' (%d instance%s)",
		 cw->app_id, app->instances, app->instances == 1 ? "" : "s");
	snprintf(cw->label, sizeof(cw->label), "restarting '%s'", cw->app_id);
	snprintf(p->done, sizeof(p->done), "app '%s' restarted", cw->app_id);
	p->instances = app->instances;
	p->default_timeout_ms = roger_deploy_default_timeout_ms(
		app, -1, cli_watch_settle_ms(cw));
	return ROGER_EXIT_OK;
}

static int restart_run(struct cli *cli, int argc, char **argv)
{
	cli_parse_options(cli, argc, argv);
	cli_watch_init(&w, cli, "restart");
	return cli_watch_change(&w, plan, NULL);
}

const struct roger_cmd cmd_restart = {
	.name = "restart",
	.summary =
		"restart the app's tasks, rolling, and wait until the new ones run",
	.opts = restart_opts,
	.run = restart_run,
};
