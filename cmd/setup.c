/*
 * setup.c - loading roger.json, the user config and the target for the
 * commands that need them, and the completion candidates that come from
 * them.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "complete.h"

int cli_load_project(struct cli *cli)
{
	(void)cli;
	cli_error("roger.json support is not built yet");
	return ROGER_EXIT_FAILURE;
}

int cli_load_target(struct cli *cli)
{
	(void)cli;
	cli_error("targets are not built yet");
	return ROGER_EXIT_FAILURE;
}

int complete_dynamic(struct cli *cli, enum cmd_arg kind, char ***out,
		     size_t *n)
{
	*out = NULL;
	*n = 0;
	switch (kind) {
	case ARG_REF: return complete_refs(cli, out, n);
	default:
		break;
	}
	return 0;
}
