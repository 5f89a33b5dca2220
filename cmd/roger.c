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
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

extern const struct roger_cmd cmd_apps;
extern const struct roger_cmd cmd_build;
extern const struct roger_cmd cmd_complete;
extern const struct roger_cmd cmd_completion;
extern const struct roger_cmd cmd_config;
extern const struct roger_cmd cmd_deploy;
extern const struct roger_cmd cmd_destroy;
extern const struct roger_cmd cmd_diff;
extern const struct roger_cmd cmd_exec;
extern const struct roger_cmd cmd_help;
extern const struct roger_cmd cmd_history;
extern const struct roger_cmd cmd_init;
extern const struct roger_cmd cmd_jobs;
extern const struct roger_cmd cmd_local;
extern const struct roger_cmd cmd_logs;
extern const struct roger_cmd cmd_push;
extern const struct roger_cmd cmd_restart;
extern const struct roger_cmd cmd_rollback;
extern const struct roger_cmd cmd_run;
extern const struct roger_cmd cmd_scale;
extern const struct roger_cmd cmd_status;
extern const struct roger_cmd cmd_top;
extern const struct roger_cmd cmd_version;

/* Sorted by name (a test checks), one descriptor per cmd/<name>.c. */
const struct roger_cmd *const cli_commands[] = {
	&cmd_complete, &cmd_apps,     &cmd_build,   &cmd_completion,
	&cmd_config,   &cmd_deploy,   &cmd_destroy, &cmd_diff,
	&cmd_exec,     &cmd_help,     &cmd_history, &cmd_init,
	&cmd_jobs,     &cmd_local,    &cmd_logs,    &cmd_push,
	&cmd_restart,  &cmd_rollback, &cmd_run,     &cmd_scale,
	&cmd_status,   &cmd_top,      &cmd_version,
};
const size_t cli_n_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);

volatile sig_atomic_t cli_interrupted;

/* The one state of the program: the global options and what is loaded. */
static struct cli cli_state;

static int opt_help(struct cli *c, const struct cmd_opt *o, const char *arg);
static int opt_version(struct cli *c, const struct cmd_opt *o, const char *arg);
static int opt_var(struct cli *c, const struct cmd_opt *o, const char *arg);

/* Before or after the command name; sorted by name. */
const struct cmd_opt cli_global_opts[] = {
	OPT_STRING('C', NULL, &cli_state.dir, "dir", ARG_DIR,
		   "run as if started in DIR"),
	OPT_CHOICE(0, "color", &cli_state.color_when, "when",
		   "auto always never",
		   "color output: auto (on a terminal), always or never"),
	OPT_STRING('e', "env", &cli_state.env, "env", ARG_ENV,
		   "the environment of roger.json to use"),
	OPT_CALLBACK('h', "help", NULL, NULL, ARG_NONE, opt_help,
		     "show this help"),
	OPT_BOOL(
		0, "no-schema-check", &cli_state.no_schema_check,
		"let roger.json's marathon have fields newer than Marathon 1.10"),
	OPT_CHOICE('o', "output", &cli_state.output, "format", "text json",
		   "output format: text or json"),
	OPT_BOOL('q', "quiet", &cli_state.quiet, "print errors only"),
	OPT_DURATION(
		0, "request-timeout", &cli_state.request_timeout_ms, 1, CLI_DAY,
		"give up on each request to the cluster after this long (default 60s)"),
	OPT_STRING('t', "target", &cli_state.target, "target", ARG_TARGET,
		   "the cluster to talk to"),
	OPT_COUNT('v', "verbose", &cli_state.verbose,
		  "say more; twice: show every HTTP request as a curl command"),
	OPT_CALLBACK(0, "var", NULL, "name=value", ARG_WORD, opt_var,
		     "set a {{ NAME }} variable of roger.json"),
	OPT_CALLBACK(0, "version", NULL, NULL, ARG_NONE, opt_version,
		     "print the version and exit"),
	OPT_BOOL('y', "yes", &cli_state.yes,
		 "assume yes: no confirmation, allow protected targets"),
	OPT_END(),
};

static const struct roger_cmd cmd_roger = {
	.name = "roger",
	.summary =
		"Ship a git repository to Apache Mesos through Marathon, and operate it there.",
	.operands = "command [arg ...]",
	.opts = cli_global_opts,
	.flags = CMD_NO_GLOBAL_OPTS,
};

static int opt_help(struct cli *c, const struct cmd_opt *o, const char *arg)
{
	(void)o;
	(void)arg;
	if (c->cmd == &cmd_roger)
		cli_print_main_help(stdout);
	else
		cli_print_usage(stdout, c->cmd);
	cli_exit(ROGER_EXIT_OK);
}

static int opt_version(struct cli *c, const struct cmd_opt *o, const char *arg)
{
	(void)c;
	(void)o;
	(void)arg;
	cli_print_version();
	cli_exit(ROGER_EXIT_OK);
}

/* --var NAME=VALUE, kept in order (the last one of a name wins later). */
static int opt_var(struct cli *c, const struct cmd_opt *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct cli_var *vars;
	char *name;

	(void)o;
	if (!eq || eq == arg)
		return cli_usage_error(
			c, "invalid --var '%s': expected NAME=VALUE", arg);
	vars = realloc(c->vars, (c->n_vars + 1) * sizeof(*c->vars));
	if (!vars) {
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	c->vars = vars;
	name = xmalloc((size_t)(eq - arg) + 1);
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	c->vars[c->n_vars].name = name;
	c->vars[c->n_vars].value = eq + 1;
	c->n_vars++;
	return 0;
}

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
	int failed, e;

	cli_print_error_doc(status);
	failed = fflush(stdout) != 0 || ferror(stdout);
	e = errno;

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
	struct roger_buf usage = ROGER_BUF_INIT;

	cli_usage_line(&usage, &cmd_roger);
	fprintf(fp, "usage: %s\n\n%s\n\nCommands:\n", usage.buf,
		cmd_roger.summary);
	roger_buf_release(&usage);
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct roger_cmd *c = cli_commands[i];

		if (!(c->flags & CMD_HIDDEN))
			fprintf(fp, "  %-12s %s\n", c->name, c->summary);
	}
	fputs("\nGlobal options (before or after the command):\n", fp);
	cli_print_opts(fp, cli_global_opts, NULL);
	fputs("\nSee 'roger help <command>' or 'man roger-<command>' for a command.\n",
	      fp);
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

/* Run roger-NAME from PATH with the remaining arguments; returns only on
 * failure. */
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
	va_list copy;

	(void)data;
	fputs("roger: ", stderr);
	if (level <= ROGER_LOG_ERR) {
		va_copy(copy, ap);
		cli_note_error(fmt, copy);
		va_end(copy);
		fputs("error: ", stderr);
	} else if (level == ROGER_LOG_WARN)
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
	cli_update_context(cli);
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
	/* The setup the command's flags ask for happens in
	 * cli_parse_options(), once the options are parsed: -h needs no
	 * project, and -C, -e and -t may come after the command name. */
	status = cmd->run(cli, argc, argv);
	if (cli_interrupted && status == ROGER_EXIT_OK)
		status = ROGER_EXIT_INTERRUPTED;
	return status;
}

int main(int argc, char **argv)
{
	const struct roger_cmd *cmd;
	int first;

	setlocale(LC_CTYPE, "");
	cli_state.stdin_tty = isatty(STDIN_FILENO);
	cli_state.stdout_tty = isatty(STDOUT_FILENO);
	cli_state.stderr_tty = isatty(STDERR_FILENO);

	cli_state.cmd = &cmd_roger;
	cli_set_main(&cli_state);
	first = cli_parse_global_options(&cli_state, argc, argv);
	if (first >= argc) {
		cli_print_main_help(stderr);
		cli_exit(ROGER_EXIT_USAGE);
	}
	argc -= first;
	argv += first;

	cmd = cli_find_command(argv[0]);
	if (!cmd) {
		run_external(argv[0], argc, argv);
		cli_error("'%s' is not a roger command; see 'roger --help'",
			  argv[0]);
		cli_suggest_command(argv[0]);
		cli_exit(ROGER_EXIT_USAGE);
	}
	cli_exit(run_command(&cli_state, cmd, argc, argv));
}
