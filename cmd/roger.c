/*
 * roger.c - main: global options, the sorted command table, dispatch.
 *
 * `roger [global options] <command> [options] [arguments]`.  A command name
 * found in the table runs its descriptor after the setup its flags ask for;
 * an unknown name X runs `roger-X` from PATH (git style) and otherwise
 * fails with a "did you mean" hint.  Every exit goes through cli_exit(), so
 * a failed write to stdout is never silent.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

extern const struct roger_cmd cmd_build;
extern const struct roger_cmd cmd_complete;
extern const struct roger_cmd cmd_completion;
extern const struct roger_cmd cmd_config;
extern const struct roger_cmd cmd_deploy;
extern const struct roger_cmd cmd_destroy;
extern const struct roger_cmd cmd_diff;
extern const struct roger_cmd cmd_help;
extern const struct roger_cmd cmd_history;
extern const struct roger_cmd cmd_init;
extern const struct roger_cmd cmd_local;
extern const struct roger_cmd cmd_logs;
extern const struct roger_cmd cmd_push;
extern const struct roger_cmd cmd_restart;
extern const struct roger_cmd cmd_rollback;
extern const struct roger_cmd cmd_scale;
extern const struct roger_cmd cmd_status;

/* Sorted by name (a test checks), one descriptor per cmd/<name>.c. */
const struct roger_cmd *const cli_commands[] = {
	&cmd_complete,
	&cmd_build,
	&cmd_completion,
	&cmd_config,
	&cmd_deploy,
	&cmd_destroy,
	&cmd_diff,
	&cmd_help,
	&cmd_history,
	&cmd_init,
	&cmd_local,
	&cmd_logs,
	&cmd_push,
	&cmd_restart,
	&cmd_rollback,
	&cmd_scale,
	&cmd_status,
};
const size_t cli_n_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);

volatile sig_atomic_t cli_interrupted;

static const struct roger_cmd cmd_roger = {
	.name = "roger",
	.summary = "Ship a git repository to Apache Mesos through Marathon, and operate it there.",
	.usage = "roger [-hqvy] [-C dir] [-e env] [-o format] [-t target] [--color when] [--var name=value] command [arg ...]",
};

const struct roger_cmd *cli_find_command(const char *name)
{
	size_t lo = 0, hi = cli_n_commands;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, cli_commands[mid]->name);

		if (c == 0)
			return cli_commands[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int cli_finish_stdout(int status)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;

	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		e = errno;
	}
	if (failed) {
		cli_error("write error on standard output: %s", strerror(e));
		return status ? status : ROGER_EXIT_FAILURE;
	}
	return status;
}

void cli_exit(int status)
{
	exit(cli_finish_stdout(status));
}

void cli_print_main_help(FILE *fp)
{
	fprintf(fp, "usage: %s\n\n%s\n\nCommands:\n", cmd_roger.usage,
		cmd_roger.summary);
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct roger_cmd *c = cli_commands[i];

		if (!(c->flags & CMD_HIDDEN))
			fprintf(fp, "  %-12s %s\n", c->name, c->summary);
	}
	fputs("\nGlobal options (before or after the command):\n", fp);
	cli_print_opts(fp, cli_global_opts);
	fputs("\nSee 'roger help <command>' or 'man roger-<command>' for a command.\n", fp);
}

void cli_suggest_command(const char *name)
{
	const char *names[64];
	size_t n = 0;
	const char *best;

	for (size_t i = 0; i < cli_n_commands && n < 64; i++)
		if (!(cli_commands[i]->flags & CMD_HIDDEN))
			names[n++] = cli_commands[i]->name;
	best = roger_suggest(name, names, n);
	if (best)
		fprintf(stderr, "\nThe most similar command is\n\t%s\n", best);
}

/* Run roger-NAME from PATH with the remaining arguments; returns only on failure. */
static int run_external(const char *name, int argc, char **argv)
{
	size_t len = strlen(name) + sizeof("roger-");
	char *prog = xmalloc(len);
	char **args = xcalloc((size_t)argc + 1, sizeof(char *));

	snprintf(prog, len, "roger-%s", name);
	args[0] = prog;
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	fflush(stdout);
	execvp(prog, args);
	if (errno != ENOENT) {
		cli_error("cannot run '%s': %s", prog, strerror(errno));
		exit(ROGER_EXIT_FAILURE);
	}
	free(args);
	free(prog);
	return -1;
}

static void log_to_stderr(void *data, int level, const char *fmt, va_list ap)
	ROGER_PRINTF(3, 0);

static void log_to_stderr(void *data, int level, const char *fmt, va_list ap)
{
	(void)data;
	fputs("roger: ", stderr);
	if (level <= ROGER_LOG_ERR)
		fputs("error: ", stderr);
	else if (level == ROGER_LOG_WARN)
		fputs("warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void on_interrupt(int sig)
{
	(void)sig;
	if (cli_interrupted) {
		/* A second Ctrl-C leaves at once. */
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
	}
	cli_interrupted = 1;
}

static void setup_context(struct cli *cli)
{
	struct roger_err err = ROGER_ERR_INIT;

	if (roger_ctx_new(&cli->ctx, &err) < 0)
		exit(cli_fail(&err));
	roger_ctx_set_log_fn(cli->ctx, log_to_stderr, cli);
	cli_update_log_level(cli);
	roger_ctx_set_interrupt_flag(cli->ctx, &cli_interrupted);
}

static int run_command(struct cli *cli, const struct roger_cmd *cmd, int argc,
		       char **argv)
{
	struct sigaction sa;
	int status;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	cli->cmd = cmd;
	setup_context(cli);
	/* The setup the command's flags ask for happens in cli_getopt(), once
	 * the options are parsed: -h needs no project, and -C, -e and -t may
	 * come after the command name. */
	status = cmd->run(cli, argc, argv);
	if (cli_interrupted && status == ROGER_EXIT_OK)
		status = ROGER_EXIT_INTERRUPTED;
	return status;
}

int main(int argc, char **argv)
{
	static struct cli cli;
	const struct roger_cmd *cmd;
	int c;

	setlocale(LC_CTYPE, "");
	cli.stdin_tty = isatty(STDIN_FILENO);
	cli.stdout_tty = isatty(STDOUT_FILENO);
	cli.stderr_tty = isatty(STDERR_FILENO);
	cli.color = cli.stdout_tty && !getenv("NO_COLOR") &&
		    !(getenv("TERM") && !strcmp(getenv("TERM"), "dumb"));

	cli.cmd = &cmd_roger;
	for (;;) {
		c = cli_getopt(&cli, argc, argv);
		if (c == -1)
			break;
	}
	if (optind >= argc) {
		cli_print_main_help(stderr);
		cli_exit(ROGER_EXIT_USAGE);
	}
	argc -= optind;
	argv += optind;
	optind = 1;

	cmd = cli_find_command(argv[0]);
	if (!cmd) {
		run_external(argv[0], argc, argv);
		cli_error("'%s' is not a roger command; see 'roger --help'", argv[0]);
		cli_suggest_command(argv[0]);
		cli_exit(ROGER_EXIT_USAGE);
	}
	cli_exit(run_command(&cli, cmd, argc, argv));
}
