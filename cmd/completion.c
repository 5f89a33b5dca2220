/*
 * completion.c - `roger completion bash|zsh|fish`: print the completion
 * script for a shell.  The scripts are the files under completions/,
 * embedded at build time, so the printed and the installed script are the
 * same bytes.
 */
#include <config.h>

#include <string.h>

#include "cmd.h"
#include "cmd/completion-scripts.h"

static int completion_run(struct cli *cli, int argc, char **argv)
{
	static const struct {
		const char *shell;
		const char *script;
	} scripts[] = {
		{ "bash", completion_bash },
		{ "fish", completion_fish },
		{ "zsh", completion_zsh },
	};

	if (cli_parse_options(cli, argc, argv) < 1)
		return cli_usage_error(
			cli, "missing shell: expected bash, zsh or fish");
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		if (strcmp(argv[0], scripts[i].shell))
			continue;
		fputs(scripts[i].script, stdout);
		return ROGER_EXIT_OK;
	}
	return cli_usage_error(
		cli, "unknown shell '%s': expected bash, zsh or fish", argv[0]);
}

const struct roger_cmd cmd_completion = {
	.name = "completion",
	.summary = "print the shell completion script for bash, zsh or fish",
	.operands = "bash | zsh | fish",
	.max_operands = 1,
	.args = ARG_CHOICE,
	.arg_choices = "bash zsh fish",
	.run = completion_run,
};
