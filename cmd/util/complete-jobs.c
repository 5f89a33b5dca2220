/*
 * complete-jobs.c - completion candidates for job names (ARG_JOB), from
 * roger.json alone, and for run ids (ARG_RUN), asked of the target's
 * Metronome in one attempt with a short timeout.  Anything that fails
 * gives no candidates and no message: completion never complains.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "complete.h"

#define COMPLETE_CONNECT_MS 1000L
#define COMPLETE_TIMEOUT_MS 1500L

int complete_jobs(struct cli *cli, char ***out, size_t *n)
{
	json_t *jobs, *v;
	const char *name;
	char **words;
	size_t count = 0;

	if (!cli->project &&
	    roger_project_load(&cli->project, cli->ctx, cli->dir, NULL) < 0)
		return 0;
	jobs = json_object_get(cli->project->root, "jobs");
	words = xcalloc(json_object_size(jobs) + 3, sizeof(char *));
	json_object_foreach(jobs, name, v)
		words[count++] = xstrdup(name);
	if (json_object_get(cli->project->root, "release"))
		words[count++] = xstrdup(ROGER_JOBS_RELEASE);
	words[count++] = xstrdup(ROGER_JOBS_RUN);
	*out = words;
	*n = count;
	return 0;
}

int complete_runs(struct cli *cli, char ***out, size_t *n)
{
	struct roger_metronome_job *job = NULL;
	struct roger_metronome *m = NULL;
	const char *env_target = NULL;
	char *id = NULL, **words;
	size_t count = 0;

	roger_ctx_set_log_fn(cli->ctx, NULL, NULL);
	if ((!cli->project &&
	     roger_project_load(&cli->project, cli->ctx, cli->dir, NULL) < 0) ||
	    (cli->env && roger_project_environment(cli->project, cli->env, NULL,
						   &env_target, NULL) < 0) ||
	    (!cli->user_config &&
	     roger_user_config_load(&cli->user_config, cli->ctx, NULL, NULL) <
		     0) ||
	    (!cli->resolved_target &&
	     roger_target_resolve(&cli->resolved_target, cli->ctx,
				  cli->user_config, cli->target, env_target,
				  NULL) < 0) ||
	    roger_jobs_id(&id, cli->project->id,
			  cli->complete_job ? cli->complete_job
					    : ROGER_JOBS_RUN,
			  NULL) < 0 ||
	    roger_metronome_for_target(&m, cli->ctx, cli->resolved_target,
				       NULL) < 0)
		goto out;
	roger_http_client_set_limits(roger_metronome_http(m),
				     COMPLETE_CONNECT_MS, COMPLETE_TIMEOUT_MS,
				     -1);
	if (roger_metronome_get_job(&job, m, id,
				    ROGER_METRONOME_EMBED_ACTIVE_RUNS |
					    ROGER_METRONOME_EMBED_HISTORY,
				    NULL) < 0)
		goto out;
	words = xcalloc(job->n_active_runs + job->history.n_runs + 1,
			sizeof(char *));
	for (size_t i = 0; i < job->n_active_runs; i++)
		words[count++] = xstrdup(job->active_runs[i].id);
	for (size_t i = 0; i < job->history.n_runs; i++)
		words[count++] = xstrdup(job->history.runs[i].id);
	*out = words;
	*n = count;
out:
	roger_metronome_job_free(job);
	roger_metronome_free(m);
	free(id);
	return 0;
}
