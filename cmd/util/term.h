/*
 * term.h - a command that takes the terminal over (exec -t, top): the
 * terminal's modes saved and put back on every way out, and SIGWINCH
 * turned into a pipe that a poll(2) loop can watch.
 */
#ifndef ROGER_CMD_TERM_H
#define ROGER_CMD_TERM_H

#include <termios.h>

/*
 * Save the modes of the terminal on standard input, let `mode` change a
 * copy of them (cfmakeraw, for instance) and set that.  From then on:
 * SIGINT and SIGTERM set cli_interrupted (a second one leaves), SIGHUP
 * leaves at once, in both cases with the terminal restored first;
 * SIGWINCH writes a byte to a pipe whose read end is *winch_fd
 * (non-blocking).  `leave` (may be NULL) is written to standard output
 * when the terminal is restored (to leave the alternate screen).  Returns
 * 0, or -1 with errno; call cli_term_restore() either way.
 */
int cli_term_take(void (*mode)(struct termios *t), const char *leave,
		  int *winch_fd);

/* Put the saved modes back (and write `leave`); async-signal-safe, and
 * harmless when there is nothing to restore.  Runs at exit too. */
void cli_term_restore(void);

#endif
