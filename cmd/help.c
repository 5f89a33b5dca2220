/*
 * help.c - `roger help [command]`: the usage of roger, or a command's man
 * page on a terminal (its usage elsewhere, or when the page is not
 * installed).
 */
#include <config.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"

/* Whether `man` knows the page (man -w exits 0), without printing anything. */
static bool man_page_exists(const char *page)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execlp("man", "man", "-w", page, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int help_run(struct cli *cli, int argc, char **argv)
{
	const struct roger_cmd *cmd;
	char page[64];

	if (cli_parse_options(cli, argc, argv) < 1) {
		cli_print_main_help(stdout);
		return ROGER_EXIT_OK;
	}
	cmd = cli_find_command(argv[0]);
	if (!cmd || (cmd->flags & CMD_HIDDEN)) {
		cli_error("'%s' is not a roger command; see 'roger --help'",
			  argv[0]);
		cli_suggest_command(argv[0]);
		return ROGER_EXIT_USAGE;
	}
	snprintf(page, sizeof(page), "roger-%s", cmd->name);
	if (cli->stdout_tty && man_page_exists(page)) {
		fflush(stdout);
		execlp("man", "man", page, (char *)NULL);
	}
	cli_print_usage(stdout, cmd);
	return ROGER_EXIT_OK;
}

const struct roger_cmd cmd_help = {
	.name = "help",
	.summary = "show the usage of roger or the manual of a command",
	.operands = "[command]",
	.max_operands = 1,
	.args = ARG_COMMAND,
	.run = help_run,
};
