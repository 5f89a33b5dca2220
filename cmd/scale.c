/*
 * scale.c - `roger scale N`: set the app's instance count (PUT
 * {"instances": N}) and wait until N instances run, healthy, as deploy
 * waits (cmd/util/watch.c, lib/deploy.c).  A count the app already has changes
 * nothing and says so.  The app's version before the change is what a
 * rollback redeploys when the deployment has already ended.
 */
#include <config.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/watch.h"

static struct cli_watch w = CLI_WATCH_INIT;

static const struct cmd_opt scale_opts[] = {
	OPT_WATCH_ALL(&w),
	OPT_END(),
};

/* Marathon keeps counts in an int; more than this is surely a typo. */
#define MAX_INSTANCES 100000

static int scale_run(struct cli *cli, int argc, char **argv)
{
	struct cli_watch_goal g = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon_app *app = NULL;
	struct roger_marathon_req req = { 0 };
	struct roger_marathon_deployment_result res;
	char what[512], done[512];
	unsigned flags;
	long n;
	int status;

	if (cli_parse_options(cli, argc, argv) < 1)
		return cli_usage_error(cli, "missing the instance count");
	if (cli_parse_long(cli, "instance count", argv[0], 0, MAX_INSTANCES,
			   &n))
		return ROGER_EXIT_USAGE;
	cli_watch_init(&w, cli, "scale");
	if ((status = cli_watch_setup(&w)) != 0)
		goto out;
	if (roger_marathon_get_app(&app, w.m, w.app_id, 0, &err) < 0) {
		status = cli_watch_app_failed(&w, &err);
		goto out;
	}
	json_object_set_new(w.doc, "instances",
			    json_pack("{s:i,s:I}", "from", app->instances,
				      "to", (json_int_t)n));
	if (app->instances == n) {
		json_object_set_new(w.doc, "status", json_string("unchanged"));
		if (cli->output == OUTPUT_TEXT && !cli->quiet)
			printf("app '%s' already has %ld instance%s: nothing to do\n",
			       w.app_id, n, n == 1 ? "" : "s");
		status = ROGER_EXIT_OK;
		goto out;
	}
	snprintf(what, sizeof(what), "scale app '%s' from %d to %ld instances",
		 w.app_id, app->instances, n);
	if ((status = cli_watch_confirm(&w, what, false)) != 0)
		goto out;
	flags = w.force ? ROGER_MARATHON_FORCE : 0;
	if (roger_marathon_req_scale_app(&req, w.app_id, (int)n, flags,
					 &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	if ((status = cli_watch_send(&w, &req, &res)) != CLI_WATCH_SENT)
		goto out;
	snprintf(w.label, sizeof(w.label), "scaling '%s' to %ld", w.app_id, n);
	snprintf(done, sizeof(done), "app '%s' scaled to %ld instance%s",
		 w.app_id, n, n == 1 ? "" : "s");
	g.res = &res;
	g.before = app;
	g.instances = (int)n;
	g.previous_version = app->version;
	g.default_timeout_ms = roger_deploy_default_timeout_ms(
		app, (int)n, cli_watch_settle_ms(&w));
	g.done = done;
	status = cli_watch_run(&w, &g);
out:
	roger_marathon_req_release(&req);
	status = cli_watch_finish(&w, status);
	roger_marathon_app_free(app);
	return status;
}

const struct roger_cmd cmd_scale = {
	.name = "scale",
	.summary = "set the app's instance count and wait until they run",
	.operands = "instances",
	.max_operands = 1,
	.opts = scale_opts,
	.run = scale_run,
};
