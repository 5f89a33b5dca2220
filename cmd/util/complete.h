/*
 * complete.h - candidates that need roger.json, the user config, the
 * repository or the cluster, for `roger __complete`.
 */
#ifndef ROGER_CMD_COMPLETE_H
#define ROGER_CMD_COMPLETE_H

#include <stddef.h>

#include "cmd/cmd.h"

/*
 * The candidates of a dynamic kind (ARG_ENV, ARG_TARGET, ARG_REF, ARG_APP,
 * ARG_TASK, ARG_VERSION) as a malloc'd array of malloc'd strings.  Failures
 * are silent (completion never complains): they give no candidates.
 */
int complete_dynamic(struct cli *cli, enum cmd_arg kind, char ***out,
		     size_t *n);

/* Revisions of the project's repository, for ARG_REF (complete-repo.c). */
int complete_refs(struct cli *cli, char ***out, size_t *n);

/* ARG_TASK: the task ids of the project's app (cmd/util/complete-tasks.c). */
int complete_tasks(struct cli *cli, char ***out, size_t *n);

/*
 * A Marathon client for the target of the command line being completed,
 * with completion's short timeouts and no retries, logging nothing
 * (cmd/util/complete-apps.c).  `need_project` loads roger.json (else only when
 * -e asks for it).  -1, silently, when anything is missing.
 */
int complete_marathon(struct cli *cli, bool need_project,
		      struct roger_marathon **out);
/* ARG_APP: the app ids of the target, absolute ("/web/hello"). */
int complete_apps(struct cli *cli, char ***out, size_t *n);
/*
 * ARG_VERSION: the versions of the app (--app on the line, else the
 * project's), newest first, then the short commits of its newest releases.
 */
int complete_versions(struct cli *cli, char ***out, size_t *n);

/* ARG_JOB: the jobs of roger.json, then release and run (complete-jobs.c). */
int complete_jobs(struct cli *cli, char ***out, size_t *n);
/*
 * ARG_RUN: the run ids of the job on the line (--job; else "run"), active
 * ones first, then the history's, newest first.
 */
int complete_runs(struct cli *cli, char ***out, size_t *n);

#endif
