/*
 * complete.h - candidates that need roger.json, the user config, the
 * repository or the cluster, for `roger __complete`.
 */
#ifndef ROGER_CMD_COMPLETE_H
#define ROGER_CMD_COMPLETE_H

#include <stddef.h>

#include "cmd.h"

/*
 * The candidates of a dynamic kind (ARG_ENV, ARG_TARGET, ARG_REF, ARG_APP,
 * ARG_TASK, ARG_VERSION) as a malloc'd array of malloc'd strings.  Failures
 * are silent (completion never complains): they give no candidates.
 */
int complete_dynamic(struct cli *cli, enum cmd_arg kind, char ***out,
		     size_t *n);

/* Revisions of the project's repository, for ARG_REF (complete-repo.c). */
int complete_refs(struct cli *cli, char ***out, size_t *n);

#endif
