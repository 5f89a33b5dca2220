/*
 * term.c - the terminal taken over and put back (see term.h).
 *
 * Everything a signal handler touches is static and set before the
 * handlers are installed; cli_term_restore() makes only
 * async-signal-safe calls, so that the handlers and atexit() share it.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/util/term.h"

static struct termios saved;
static volatile sig_atomic_t taken;
static const char *leave_seq;
static int winch_pipe[2] = { -1, -1 };

void cli_term_restore(void)
{
	if (!taken)
		return;
	taken = 0;
	tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	if (leave_seq && write(STDOUT_FILENO, leave_seq, strlen(leave_seq)) < 0)
		return;
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
		cli_term_restore();
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	cli_interrupted = 1;
}

int cli_term_take(void (*mode)(struct termios *t), const char *leave,
		  int *winch_fd)
{
	struct termios t;
	struct sigaction sa;

	leave_seq = leave;
	if (tcgetattr(STDIN_FILENO, &saved) < 0 ||
	    (winch_pipe[0] < 0 &&
	     pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK) < 0))
		return -1;
	*winch_fd = winch_pipe[0];
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
	atexit(cli_term_restore);
	t = saved;
	mode(&t);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) < 0)
		return -1;
	taken = 1;
	return 0;
}
