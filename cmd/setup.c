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

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "complete.h"

int cli_load_project(struct cli *cli)
{
	struct roger_err err = ROGER_ERR_INIT;

	if (cli->project)
		return ROGER_EXIT_OK;
	if (roger_project_load(&cli->project, cli->ctx, cli->dir, &err) < 0)
		return cli_fail(&err);
	if (roger_project_check_env(cli->project, cli->env, &err) < 0)
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

/* A malloc'd array of malloc'd copies of `names`, for complete_dynamic(). */
static void copy_names(char ***out, size_t *n, const char **names,
		       size_t count)
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
	if (roger_user_config_target_names(cli->user_config, &names, &count) < 0)
		return 0;
	copy_names(out, n, names, count);
	free(names);
	return 0;
}

int complete_dynamic(struct cli *cli, enum cmd_arg kind, char ***out,
		     size_t *n)
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
	default:
		return 0;
	}
}
