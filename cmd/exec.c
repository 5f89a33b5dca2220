/*
 * exec.c - `roger exec [-it] -- CMD...`: run a command inside a running
 * task of the app and exit with its status (lib/exec.c does the work).
 *
 * What belongs to the terminal is here.  With -t on a terminal, standard
 * input goes into raw mode for the session (the remote pseudo-terminal
 * does the line editing and turns Ctrl-C into SIGINT there), and is put
 * back on every way out: the normal return, an error, SIGTERM or SIGHUP,
 * a second interrupt, and exit() through atexit().  A SIGWINCH handler
 * writes to a pipe that the library watches to send the new window size.
 * With -t but no terminal on standard input, the session gets no
 * pseudo-terminal and a warning says so, as kubectl does.
 *
 * SIGPIPE is ignored: when the reader of the output goes away, the session
 * ends and the exit status is 141, as for a command killed by SIGPIPE.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "util/term.h"

static bool interactive, tty;
static const char *app_opt, *task_opt;

static const struct cmd_opt exec_opts[] = {
	OPT_STRING(
		0, "app", &app_opt, "id", ARG_APP,
		"a task of another app of the target instead of the project's"),
	OPT_BOOL('i', "interactive", &interactive,
		 "pass standard input to the command"),
	OPT_STRING(
		0, "task", &task_opt, "id", ARG_TASK,
		"run in this task: its id, short name or the start of either"),
	OPT_BOOL(
		't', "tty", &tty,
		"give the command a pseudo-terminal (with -i: an interactive shell)"),
	OPT_END(),
};

/* Raw mode: every byte as typed goes to the command's terminal. */
static void raw(struct termios *t)
{
	cfmakeraw(t);
}

static void on_pick(void *data, const char *task_id, size_t n_running,
		    bool healthy)
{
	struct cli *cli = data;

	if (!cli->quiet)
		fprintf(stderr,
			"roger: app '%s' has %zu running tasks; running in '%s', the oldest%s one (--task picks another)\n",
			cli->app_id, n_running, task_id,
			healthy ? " healthy" : "");
}

static int exec_run(struct cli *cli, int argc, char **argv)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon *m = NULL;
	struct roger_exec_opts o = { 0 };
	const char *app_id;
	int status, code = 0, rc;

	argc = cli_parse_options(cli, argc, argv);
	if (argc < 1)
		return cli_usage_error(cli,
				       "missing the command to run (after --)");
	if ((status = cli_app_id(cli, app_opt, &app_id)) != 0)
		return status;
	if ((status = cli_marathon(cli, false, &m)) != 0)
		return status;
	if (!cli->resolved_target->mesos) {
		cli_error(
			"target '%s' has no Mesos URL; set \"mesos\" in its entry of the user config, or ROGER_MESOS_URL",
			cli->resolved_target->name);
		status = ROGER_EXIT_INVALID;
		goto out;
	}
	if (tty && !cli->stdin_tty) {
		cli_warn(
			"-t: standard input is not a terminal, so the command gets no pseudo-terminal");
		tty = false;
	}
	o.app_id = app_id;
	o.task = task_opt;
	o.argv = argv;
	o.interactive = interactive;
	o.tty = tty;
	o.term = getenv("TERM");
	o.in_fd = STDIN_FILENO;
	o.out_fd = STDOUT_FILENO;
	o.err_fd = STDERR_FILENO;
	o.tty_fd = tty ? STDIN_FILENO : -1;
	o.winch_fd = -1;
	o.on_pick = on_pick;
	o.data = cli;
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	if (tty) {
		if (cli_term_take(raw, NULL, &o.winch_fd) < 0) {
			cli_term_restore();
			cli_error("cannot put the terminal in raw mode: %s",
				  strerror(errno));
			status = ROGER_EXIT_FAILURE;
			goto out;
		}
	}
	rc = roger_exec_run(&code, cli->ctx, cli->resolved_target, m, &o, &err);
	cli_term_restore();
	if (rc == ROGER_ENET)
		status = cli_fail_app(cli, app_id, &err);
	else if (rc < 0)
		status = cli_fail(&err);
	else
		status = code;
out:
	roger_marathon_free(m);
	return status;
}

const struct roger_cmd cmd_exec = {
	.name = "exec",
	.summary = "run a command inside a running task of the app",
	.operands = "-- command [arg ...]",
	.opts = exec_opts,
	.max_operands = -1,
	.shadows = "t",
	.run = exec_run,
};
