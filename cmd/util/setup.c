/*
 * setup.c - loading roger.json, the user config and the target for the
 * commands that need them, and the completion candidates that come from
 * them.
 *
 * Everything is loaded once and cached in struct cli, so a command that
 * asks twice (or the dispatcher, then the command) pays once.  Completion
 * loads the same files with the same -C and -e, silently: a broken
 * roger.json gives no candidates rather than an error in the middle of a
 * command line.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "complete.h"

int cli_load_project(struct cli *cli)
{
	struct roger_err err = ROGER_ERR_INIT;

	if (cli->project)
		return ROGER_EXIT_OK;
	if (roger_project_load(&cli->project, cli->ctx, cli->dir, &err) < 0)
		return cli_fail(&err);
	/* -e chooses the app too: an environment may set its app and group. */
	if (roger_project_select_env(cli->project, cli->env, &err) < 0)
		return cli_fail(&err);
	return ROGER_EXIT_OK;
}

static int load_user_config(struct cli *cli, struct roger_err *err)
{
	if (cli->user_config)
		return 0;
	return roger_user_config_load(&cli->user_config, cli->ctx, NULL, err);
}

int cli_load_target(struct cli *cli)
{
	struct roger_err err = ROGER_ERR_INIT;
	const char *env_target = NULL;
	int status;

	if (cli->resolved_target)
		return ROGER_EXIT_OK;
	if (load_user_config(cli, &err) < 0)
		return cli_fail(&err);
	/* The environment may name the target: -e needs roger.json. */
	if (cli->env) {
		status = cli_load_project(cli);
		if (status)
			return status;
		if (roger_project_environment(cli->project, cli->env, NULL,
					      &env_target, &err) < 0)
			return cli_fail(&err);
	}
	if (roger_target_resolve(&cli->resolved_target, cli->ctx,
				 cli->user_config, cli->target, env_target,
				 &err) < 0)
		return cli_fail(&err);
	return ROGER_EXIT_OK;
}

int cli_app_id(struct cli *cli, const char *app, const char **out)
{
	struct roger_err err = ROGER_ERR_INIT;
	int status;

	if (cli->app_id) {
		*out = cli->app_id;
		return ROGER_EXIT_OK;
	}
	if (!app) {
		if ((status = cli_load_project(cli)) != 0)
			return status;
		cli->app_id = xstrdup(cli->project->id);
	} else {
		const char *rel = app;

		while (*rel == '/')
			rel++;
		if (!*rel)
			return cli_usage_error(
				cli, "invalid app id '%s' for --app", app);
		if (roger_spec_check_id(rel, &err) < 0) {
			cli_error("invalid --app: %s", err.msg);
			return ROGER_EXIT_USAGE;
		}
		cli->app_id = xmalloc(strlen(rel) + 2);
		cli->app_id[0] = '/';
		strcpy(cli->app_id + 1, rel);
		/* Marathon canonicalizes ids without a trailing '/'. */
		while (strlen(cli->app_id) > 1 &&
		       cli->app_id[strlen(cli->app_id) - 1] == '/')
			cli->app_id[strlen(cli->app_id) - 1] = '\0';
	}
	*out = cli->app_id;
	return ROGER_EXIT_OK;
}

int cli_start_local(struct cli *cli)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_local_status st;
	struct roger_target *t = cli->resolved_target;
	int port = cli->user_config->local_port;
	char exe[PATH_MAX];
	ssize_t n;
	int rc;

	/* The target knows whether the server of its state directory runs. */
	if (t->local_running)
		return ROGER_EXIT_OK;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		cli_error("cannot find the roger binary: %s", strerror(errno));
		return ROGER_EXIT_FAILURE;
	}
	exe[n] = '\0';
	if (!cli->quiet)
		fprintf(stderr,
			"roger: starting roger local on port %d (state in %s)\n",
			port, t->local_state_dir);
	rc = roger_local_up(&st, cli->ctx, exe, t->local_state_dir, port, 30000,
			    &err);
	if (rc < 0 && rc != ROGER_EEXISTS)
		return cli_fail(&err);
	if (!cli->quiet && rc == 0 && port != 0 && st.port != port)
		fprintf(stderr,
			"roger: port %d is taken by another program; roger local serves on %s\n",
			port, st.url);
	if (roger_target_local_sync(t, port, &err) < 0)
		return cli_fail(&err);
	if (!t->local_running) {
		cli_error(
			"roger local stopped right after it started; see '%s/server.log'",
			t->local_state_dir);
		return ROGER_EXIT_UNREACHABLE;
	}
	return ROGER_EXIT_OK;
}

int cli_marathon(struct cli *cli, bool start, struct roger_marathon **out)
{
	struct roger_err err = ROGER_ERR_INIT;
	int status;

	if ((status = cli_load_target(cli)) != 0)
		return status;
	if (start && cli->resolved_target->is_local &&
	    (status = cli_start_local(cli)) != 0)
		return status;
	if (roger_marathon_for_target(out, cli->ctx, cli->resolved_target,
				      &err) < 0)
		return cli_fail(&err);
	cli_limit_requests(cli, roger_marathon_http(*out));
	return ROGER_EXIT_OK;
}

void cli_limit_requests(struct cli *cli, struct roger_http_client *c)
{
	long ms = (long)cli->request_timeout_ms;

	if (ms > 0)
		roger_http_client_set_limits(c, ms < 10000 ? ms : 10000, ms, 0);
}

/* A malloc'd array of malloc'd copies of `names`, for complete_dynamic(). */
static void copy_names(char ***out, size_t *n, const char **names, size_t count)
{
	char **words = xcalloc(count + 1, sizeof(char *));

	for (size_t i = 0; i < count; i++)
		words[i] = xstrdup(names[i]);
	*out = words;
	*n = count;
}

static int complete_envs(struct cli *cli, char ***out, size_t *n)
{
	const char **names = NULL;
	size_t count = 0;

	if (!cli->project &&
	    roger_project_load(&cli->project, cli->ctx, cli->dir, NULL) < 0)
		return 0;
	if (roger_project_env_names(cli->project, &names, &count) < 0)
		return 0;
	copy_names(out, n, names, count);
	free(names);
	return 0;
}

static int complete_targets(struct cli *cli, char ***out, size_t *n)
{
	const char **names = NULL;
	size_t count = 0;

	/* A broken user config still leaves the built-in target. */
	(void)load_user_config(cli, NULL);
	if (roger_user_config_target_names(cli->user_config, &names, &count) <
	    0)
		return 0;
	copy_names(out, n, names, count);
	free(names);
	return 0;
}

int complete_dynamic(struct cli *cli, enum cmd_arg kind, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	switch (kind) {
	case ARG_ENV:
		return complete_envs(cli, out, n);
	case ARG_TARGET:
		return complete_targets(cli, out, n);
	case ARG_REF:
		return complete_refs(cli, out, n);
	case ARG_TASK:
		return complete_tasks(cli, out, n);
	case ARG_APP:
		return complete_apps(cli, out, n);
	case ARG_VERSION:
		return complete_versions(cli, out, n);
	case ARG_JOB:
		return complete_jobs(cli, out, n);
	case ARG_RUN:
		return complete_runs(cli, out, n);
	default:
		return 0;
	}
}
