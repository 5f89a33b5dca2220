/*
 * complete-apps.c - completion candidates asked of the target's Marathon:
 * app ids (ARG_APP) and, for `rollback --to`, the app's versions and the
 * commits of its releases (ARG_VERSION).
 *
 * A shell waits for these while the user waits for the shell, so every
 * request is one attempt with a short timeout, and the whole lookup has a
 * budget: versions beyond it are left out.  Anything that fails (no
 * target, a cluster that does not answer, a refused credential) gives no
 * candidates and no message.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "complete.h"

#define COMPLETE_CONNECT_MS 1000L
#define COMPLETE_TIMEOUT_MS 1500L
#define COMPLETE_BUDGET_MS 2000L
/* Releases whose commits are offered: the newest ones. */
#define COMPLETE_RELEASES 10

int complete_marathon(struct cli *cli, bool need_project,
		      struct roger_marathon **out)
{
	const char *env_target = NULL;

	/* Whatever goes wrong stays out of the shell's line. */
	roger_ctx_set_log_fn(cli->ctx, NULL, NULL);
	if ((need_project || cli->env) && !cli->project &&
	    roger_project_load(&cli->project, cli->ctx, cli->dir, NULL) < 0)
		return -1;
	if (cli->env &&
	    (roger_project_environment(cli->project, cli->env, NULL,
				       &env_target, NULL) < 0 ||
	     roger_project_select_env(cli->project, cli->env, NULL) < 0))
		return -1;
	if (!cli->user_config &&
	    roger_user_config_load(&cli->user_config, cli->ctx, NULL, NULL) < 0)
		return -1;
	if (!cli->resolved_target &&
	    roger_target_resolve(&cli->resolved_target, cli->ctx,
				 cli->user_config, cli->target, env_target,
				 NULL) < 0)
		return -1;
	if (roger_marathon_for_target(out, cli->ctx, cli->resolved_target,
				      NULL) < 0)
		return -1;
	roger_http_client_set_limits(roger_marathon_http(*out),
				     COMPLETE_CONNECT_MS, COMPLETE_TIMEOUT_MS,
				     -1);
	return 0;
}

int complete_apps(struct cli *cli, char ***out, size_t *n)
{
	struct roger_marathon_apps *apps = NULL;
	struct roger_marathon *m = NULL;
	char **words;
	size_t count = 0;

	if (complete_marathon(cli, false, &m) < 0)
		return 0;
	if (roger_marathon_list_apps(&apps, m, NULL, NULL, 0, NULL) == 0) {
		words = xcalloc(apps->n + 1, sizeof(char *));
		for (size_t i = 0; i < apps->n; i++)
			if (apps->items[i].id)
				words[count++] = xstrdup(apps->items[i].id);
		*out = words;
		*n = count;
	}
	roger_marathon_apps_free(apps);
	roger_marathon_free(m);
	return 0;
}

static bool listed(char **words, size_t n, const char *word)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(words[i], word))
			return true;
	return false;
}

int complete_versions(struct cli *cli, char ***out, size_t *n)
{
	struct roger_marathon_versions *v = NULL;
	struct roger_marathon *m = NULL;
	const char *app_id = cli->app_id;
	int64_t deadline;
	char **words;
	size_t count = 0;

	if (complete_marathon(cli, !app_id, &m) < 0)
		return 0;
	if (!app_id)
		app_id = cli->project->id;
	deadline = roger_ctx_now_ms(cli->ctx) + COMPLETE_BUDGET_MS;
	if (roger_marathon_app_versions(&v, m, app_id, NULL) < 0)
		goto out;
	words = xcalloc(v->n + COMPLETE_RELEASES + 1, sizeof(char *));
	for (size_t i = 0; i < v->n; i++)
		words[count++] = xstrdup(v->items[i]);
	/* The commits of the newest releases, while the budget lasts. */
	for (size_t i = 0; i < v->n && i < COMPLETE_RELEASES; i++) {
		struct roger_release rel;
		char commit[ROGER_SHORT_COMMIT_LEN + 1];
		json_t *def = NULL;

		if (roger_ctx_now_ms(cli->ctx) >= deadline)
			break;
		if (roger_marathon_app_version(&def, m, app_id, v->items[i],
					       NULL) < 0)
			break;
		if (roger_render_release(&rel, def)) {
			snprintf(commit, sizeof(commit), "%s", rel.commit);
			if (!listed(words, count, commit))
				words[count++] = xstrdup(commit);
		}
		json_decref(def);
	}
	*out = words;
	*n = count;
out:
	roger_marathon_versions_free(v);
	roger_marathon_free(m);
	return 0;
}
