/*
 * scale.c - `roger scale N`: set the app's instance count (PUT
 * {"instances": N}) and wait until N instances run, healthy, as deploy
 * waits (cmd/util/watch.c, lib/deploy.c).  A count the app already has
 * changes nothing and says so.  The app's version before the change is
 * what a rollback redeploys when the deployment has already ended.
 */
#include <config.h>

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

static int plan(struct cli_watch *cw, const struct roger_marathon_app *app,
		void *data, struct cli_watch_plan *p)
{
	long n = *(const long *)data;
	struct roger_err err = ROGER_ERR_INIT;

	cli_json_set(cw->doc, "instances",
		     json_pack("{s:i,s:I}", "from", app->instances, "to",
			       (json_int_t)n));
	if (app->instances == n) {
		cli_json_set(cw->doc, "status", json_string("unchanged"));
		if (cw->cli->output == OUTPUT_TEXT && !cw->cli->quiet)
			printf("app '%s' already has %ld instance%s: nothing to do\n",
			       cw->app_id, n, n == 1 ? "" : "s");
		return CLI_WATCH_NOTHING;
	}
	if (roger_marathon_req_scale_app(&p->req, cw->app_id, (int)n,
					 cw->force ? ROGER_MARATHON_FORCE : 0,
					 &err) < 0)
		return cli_fail(&err);
	snprintf(p->what, sizeof(p->what),
		 "scale app '%s' from %d to %ld instances", cw->app_id,
		 app->instances, n);
	snprintf(cw->label, sizeof(cw->label), "scaling '%s' to %ld",
		 cw->app_id, n);
	snprintf(p->done, sizeof(p->done), "app '%s' scaled to %ld instance%s",
		 cw->app_id, n, n == 1 ? "" : "s");
	p->instances = (int)n;
	p->previous_version = app->version;
	snprintf(p->undo, sizeof(p->undo), "scale %d --force", app->instances);
	p->default_timeout_ms = roger_deploy_default_timeout_ms(
		app, (int)n, cli_watch_settle_ms(cw));
	return ROGER_EXIT_OK;
}

static int scale_run(struct cli *cli, int argc, char **argv)
{
	long n;

	if (cli_parse_options(cli, argc, argv) < 1)
		return cli_usage_error(cli, "missing the instance count");
	if (cli_parse_long(cli, "instance count", argv[0], 0, MAX_INSTANCES,
			   &n))
		return ROGER_EXIT_USAGE;
	cli_watch_init(&w, cli, "scale");
	return cli_watch_change(&w, plan, &n);
}

const struct roger_cmd cmd_scale = {
	.name = "scale",
	.summary = "set the app's instance count and wait until they run",
	.operands = "instances",
	.opts = scale_opts,
	.max_operands = 1,
	.run = scale_run,
};
