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

static int restart_run(struct cli *cli, int argc, char **argv)
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
	cli_watch_init(&w, cli, "restart");
	if ((status = cli_watch_setup(&w)) != 0)
		goto out;
	if (roger_marathon_get_app(&app, w.m, w.app_id, 0, &err) < 0) {
		status = cli_watch_app_failed(&w, &err);
		goto out;
	}
	snprintf(what, sizeof(what), "restart app '%s' (%d instance%s)",
		 w.app_id, app->instances, app->instances == 1 ? "" : "s");
	if ((status = cli_watch_confirm(&w, what, false)) != 0)
		goto out;
	flags = w.force ? ROGER_MARATHON_FORCE : 0;
	if (roger_marathon_req_restart_app(&req, w.app_id, flags, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	if ((status = cli_watch_send(&w, &req, &res)) != CLI_WATCH_SENT)
		goto out;
	snprintf(w.label, sizeof(w.label), "restarting '%s'", w.app_id);
	snprintf(done, sizeof(done), "app '%s' restarted", w.app_id);
	g.res = &res;
	g.before = app;
	g.instances = app->instances;
	g.default_timeout_ms = roger_deploy_default_timeout_ms(
		app, -1, cli_watch_settle_ms(&w));
	g.done = done;
	status = cli_watch_run(&w, &g);
out:
	roger_marathon_req_release(&req);
	status = cli_watch_finish(&w, status);
	roger_marathon_app_free(app);
	return status;
}

const struct roger_cmd cmd_restart = {
	.name = "restart",
	.summary = "restart the app's tasks, rolling, and wait until the new ones run",
	.opts = restart_opts,
	.run = restart_run,
};
