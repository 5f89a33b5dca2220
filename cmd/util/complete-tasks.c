/*
 * complete-tasks.c - completion candidates for task ids (ARG_TASK): the
 * tasks of the project's app, asked of the target's Marathon in one
 * attempt with a short timeout.  Anything that fails (no roger.json, no
 * target, a cluster that does not answer) gives no candidates and no
 * message: completion never complains.
 */
#include <config.h>

#include <stdlib.h>

#include "cmd/cmd.h"
#include "complete.h"

#define COMPLETE_TIMEOUT_MS 1500L

int complete_tasks(struct cli *cli, char ***out, size_t *n)
{
	struct roger_marathon_tasks *tasks = NULL;
	struct roger_marathon *marathon = NULL;
	char **words;
	size_t count = 0;

	if (complete_marathon(cli, true, &marathon) < 0)
		return 0;
	if (roger_logs_app_tasks(&tasks, marathon, cli->project->id,
				 COMPLETE_TIMEOUT_MS, NULL) == 0) {
		words = xcalloc(tasks->n + 1, sizeof(char *));
		for (size_t i = 0; i < tasks->n; i++)
			if (tasks->items[i].id)
				words[count++] = xstrdup(tasks->items[i].id);
		*out = words;
		*n = count;
	}
	roger_marathon_tasks_free(tasks);
	roger_marathon_free(marathon);
	return 0;
}
