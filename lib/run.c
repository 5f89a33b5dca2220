/*
 * run.c - running a build command: /bin/sh -c in its own process group,
 * output merged and handed over line by line, a deadline, interruption.
 *
 * The command gets stdin from /dev/null and one pipe for stdout and stderr,
 * so its lines arrive in the order it wrote them.  The parent polls the pipe
 * in slices of 100 ms, checking the deadline and the interrupt flag between
 * slices; either ends the whole process group (TERM, then KILL after a
 * grace period), so nothing the command started outlives it.  The last
 * lines are kept in a small ring for the error report.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "pack-internal.h"

#define TAIL_LINES 10
#define LINE_MAX_LEN 4096
#define KILL_GRACE_MS 2000

extern char **environ;

struct lines {
	const struct roger_run_opts *o;
	struct roger_buf partial;
	struct roger_buf tail[TAIL_LINES];
	size_t n_tail; /* lines seen */
};

static void emit_line(struct lines *l)
{
	struct roger_buf *slot = &l->tail[l->n_tail % TAIL_LINES];

	roger_buf_reset(slot);
	roger_buf_add(slot, l->partial.buf, l->partial.len);
	l->n_tail++;
	if (l->o->output_fn)
		l->o->output_fn(l->o->output_data, l->partial.buf);
	roger_buf_reset(&l->partial);
}

static void feed(struct lines *l, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			emit_line(l);
			continue;
		}
		if (p[i] == '\r')
			continue;
		roger_buf_addch(&l->partial, p[i]);
		if (l->partial.len >= LINE_MAX_LEN)
			emit_line(l);
	}
}

static void copy_tail(struct lines *l, struct roger_buf *out)
{
	size_t first = l->n_tail > TAIL_LINES ? l->n_tail - TAIL_LINES : 0;

	if (!out)
		return;
	for (size_t i = first; i < l->n_tail; i++) {
		roger_buf_add(out, l->tail[i % TAIL_LINES].buf,
			      l->tail[i % TAIL_LINES].len);
		roger_buf_addch(out, '\n');
	}
}

/* NULL-terminated environment: ours plus the extra entries (new array). */
static char **make_env(const char *const *extra)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[k])
		k++;
	env = calloc(n + k + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < k; i++)
		env[i] = (char *)extra[i];
	for (size_t i = 0, j = k; i < n; i++) {
		size_t len = strcspn(environ[i], "=");
		bool shadowed = false;

		for (size_t x = 0; x < k && !shadowed; x++)
			shadowed = !strncmp(extra[x], environ[i], len + 1);
		if (!shadowed)
			env[j++] = environ[i];
	}
	return env;
}

static void stop_group(pid_t pid, int *status)
{
	kill(-pid, SIGTERM);
	for (int waited = 0; waited < KILL_GRACE_MS; waited += 50) {
		if (waitpid(pid, status, WNOHANG) == pid) {
			kill(-pid, SIGKILL);
			return;
		}
		usleep(50 * 1000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, status, 0);
}

int roger_run_command(struct roger_ctx *ctx, const struct roger_run_opts *o,
		      struct roger_err *err)
{
	struct lines l = { .o = o };
	char **env = NULL;
	int fds[2] = { -1, -1 };
	int status = 0, rc = 0;
	int64_t deadline;
	bool exited = false, eof = false;
	pid_t pid;
	char buf[8192];

	roger_buf_init(&l.partial);
	for (size_t i = 0; i < TAIL_LINES; i++)
		roger_buf_init(&l.tail[i]);
	env = make_env(o->env);
	if (!env)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (pipe2(fds, O_CLOEXEC) < 0) {
		rc = roger_err_set(err, ROGER_ERROR, "cannot create a pipe: %s",
				   strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = roger_err_set(err, ROGER_ERROR, "cannot start '%s': %s",
				   o->command, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		char sh[] = "sh", dash_c[] = "-c";
		char *argv[] = { sh, dash_c, (char *)o->command, NULL };
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0 ||
		    dup2(fds[1], 2) < 0 || chdir(o->dir) < 0)
			_exit(126);
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	setpgid(pid, pid);
	close(fds[1]);
	fds[1] = -1;
	deadline = roger_ctx_now_ms(ctx) + (int64_t)o->timeout * 1000;
	while (!eof) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		int n = poll(&pfd, 1, 100);

		if (n > 0) {
			ssize_t got = read(fds[0], buf, sizeof(buf));

			if (got > 0)
				feed(&l, buf, (size_t)got);
			else if (got == 0 || errno != EINTR)
				eof = true;
		}
		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		if (exited && n == 0) {
			/* Output left open by a background process: stop it. */
			kill(-pid, SIGKILL);
			break;
		}
		if (exited)
			continue;
		if (roger_ctx_interrupted(ctx)) {
			stop_group(pid, &status);
			rc = roger_err_set(err, ROGER_EINTR,
					   "build command '%s' interrupted",
					   o->command);
			goto out;
		}
		if (roger_ctx_now_ms(ctx) >= deadline) {
			stop_group(pid, &status);
			copy_tail(&l, o->tail);
			rc = roger_err_set(
				err, ROGER_ERROR,
				"build command '%s' timed out after %d s",
				o->command, o->timeout);
			goto out;
		}
	}
	if (!exited)
		waitpid(pid, &status, 0);
	kill(-pid, SIGKILL); /* whatever it left behind */
	if (l.partial.len)
		emit_line(&l);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		goto out;
	copy_tail(&l, o->tail);
	if (WIFSIGNALED(status))
		rc = roger_err_set(err, ROGER_ERROR,
				   "build command '%s' was killed by signal %d",
				   o->command, WTERMSIG(status));
	else if (WEXITSTATUS(status) == 127)
		rc = roger_err_set(
			err, ROGER_ERROR,
			"build command '%s' failed with exit status 127: a program it runs is not installed here (its output names it); install it, or change build.command",
			o->command);
	else
		rc = roger_err_set(
			err, ROGER_ERROR,
			"build command '%s' failed with exit status %d",
			o->command, WEXITSTATUS(status));
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	roger_buf_release(&l.partial);
	for (size_t i = 0; i < TAIL_LINES; i++)
		roger_buf_release(&l.tail[i]);
	free(env);
	return rc;
}
