/*
 * complete-repo.c - completion candidates that come from the project's git
 * repository: revisions for --ref (branches, tags, HEAD and its short id).
 */
#include <config.h>

#include <stdlib.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "complete.h"

int complete_refs(struct cli *cli, char ***out, size_t *n)
{
	struct roger_repo *repo = NULL;
	char cwd[4096];
	const char *dir = cli->dir;
	int rc;

	*out = NULL;
	*n = 0;
	if (!dir)
		dir = getcwd(cwd, sizeof(cwd));
	if (!dir || roger_repo_discover(&repo, dir, NULL) < 0)
		return 0;
	rc = roger_repo_list_refs(out, n, repo, NULL);
	roger_repo_free(repo);
	return rc < 0 ? rc : 0;
}
