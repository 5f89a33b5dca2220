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

static bool interactive, tty;
static const char *app_opt, *task_opt;

static const struct cmd_opt exec_opts[] = {
	OPT_STRING(0, "app", &app_opt, "id", ARG_APP, "a task of another app of the target instead of the project's"),
	OPT_BOOL('i', "interactive", &interactive, "pass standard input to the command"),
	OPT_STRING(0, "task", &task_opt, "id", ARG_TASK, "run in this task: its id, short name or the start of either"),
	OPT_BOOL('t', "tty", &tty, "give the command a pseudo-terminal (with -i: an interactive shell)"),
	OPT_END(),
};

/* The terminal's settings before raw mode, and whether to restore them. */
static struct termios saved;
static volatile sig_atomic_t raw_on;
static int winch_pipe[2] = { -1, -1 };

static void restore_terminal(void)
{
	if (raw_on) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
		raw_on = 0;
	}
}

static void on_winch(int sig)
{
	int e = errno;
	ssize_t n = write(winch_pipe[1], "w", 1);

	(void)sig;
	(void)n; /* a full pipe already says it */
	errno = e;
}

/* SIGINT, SIGTERM: as the other commands (a flag, a second one leaves),
 * with the terminal restored before leaving; SIGHUP leaves at once. */
static void on_signal(int sig)
{
	if (sig == SIGHUP || cli_interrupted) {
		restore_terminal();
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	cli_interrupted = 1;
}

static int raw_mode(void)
{
	struct termios raw;
	struct sigaction sa;

	if (tcgetattr(STDIN_FILENO, &saved) < 0)
		return -1;
	if (pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
	atexit(restore_terminal);
	raw = saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0)
		return -1;
	raw_on = 1;
	return 0;
}

static void on_pick(void *data, const char *task_id, size_t n_running,
		    bool healthy)
{
	struct cli *cli = data;

	if (!cli->quiet)
		fprintf(stderr, "roger: app '%s' has %zu running tasks; running in '%s', the oldest%s one (--task picks another)\n",
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
		return cli_usage_error(cli, "missing the command to run (after --)");
	if ((status = cli_app_id(cli, app_opt, &app_id)) != 0)
		return status;
	if ((status = cli_marathon(cli, false, &m)) != 0)
		return status;
	if (!cli->resolved_target->mesos) {
		cli_error("target '%s' has no Mesos URL; set \"mesos\" in its entry of the user config, or ROGER_MESOS_URL",
			  cli->resolved_target->name);
		status = ROGER_EXIT_INVALID;
		goto out;
	}
	if (tty && !cli->stdin_tty) {
		cli_warn("-t: standard input is not a terminal, so the command gets no pseudo-terminal");
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
		if (raw_mode() < 0) {
			restore_terminal();
			cli_error("cannot put the terminal in raw mode: %s",
				  strerror(errno));
			status = ROGER_EXIT_FAILURE;
			goto out;
		}
		o.winch_fd = winch_pipe[0];
	}
	rc = roger_exec_run(&code, cli->ctx, cli->resolved_target, m, &o, &err);
	restore_terminal();
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
