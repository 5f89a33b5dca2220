/*
 * control.c - finding, starting and stopping a roger local server that
 * runs in the background for a state directory.
 *
 * The flock on <state>/server.lock, held by the serving process for its
 * whole life, says whether a server runs: the kernel drops it when the
 * process dies, however it dies, so a pid file left behind by a crash is
 * recognised as stale instead of trusted.  <state>/server.json tells the
 * pid and port.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "local/local.h"
#include "local/proc.h"
#include "util.h"

extern char **environ;

char *roger_local_default_state_dir(const struct roger_ctx *ctx)
{
	char *base = roger_xdg_dir(ctx, "state"), *dir;

	if (!base)
		return NULL;
	dir = roger_path_join(base, "local");
	free(base);
	return dir;
}

bool roger_local_ping(int port, int timeout_ms)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	char buf[256];
	const char *req =
		"GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n";
	int fd, soerr = 0;
	socklen_t len = sizeof(soerr);
	size_t got = 0;
	int64_t deadline = roger_clock_ms(CLOCK_MONOTONIC) + timeout_ms;
	bool ok = false;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS)
			goto out;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) <= 0)
			goto out;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr)
			goto out;
	}
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		goto out;
	while (got < sizeof(buf) - 1) {
		int left = (int)(deadline - roger_clock_ms(CLOCK_MONOTONIC));
		ssize_t n;

		if (left <= 0)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) <= 0)
			break;
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n"))
			break;
	}
	buf[got] = '\0';
	ok = !strncmp(buf, "HTTP/1.1 200", 12) ||
	     !strncmp(buf, "HTTP/1.0 200", 12);
out:
	close(fd);
	return ok;
}

/* Whether process `pid` exists and is not a zombie waiting for its
 * parent (a watchdog that died and is not reaped yet is no watchdog). */
static bool process_alive(long pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kill((pid_t)pid, 0) == 0 || errno == EPERM;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Whether a process holds the lock of `state_dir`. */
static bool locked(const char *state_dir)
{
	char *path = roger_path_join(state_dir, "server.lock");
	int fd;
	bool held = false;

	if (!path)
		return false;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)
			held = true;
		close(fd);
	}
	free(path);
	return held;
}

int roger_local_status(struct roger_local_status *out, const char *state_dir,
		       struct roger_err *err)
{
	struct roger_local_status st;
	char *path = roger_path_join(state_dir, "server.json");
	json_t *doc = NULL;

	(void)err;
	memset(&st, 0, sizeof(st));
	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	doc = json_load_file(path, 0, NULL);
	if (doc) {
		st.pid = (long)json_integer_value(json_object_get(doc, "pid"));
		st.port = (int)json_integer_value(json_object_get(doc, "port"));
		snprintf(st.url, sizeof(st.url), "%s",
			 json_string_value(json_object_get(doc, "url")) ?: "");
		st.watchdog_pid = (long)json_integer_value(
			json_object_get(doc, "watchdog_pid"));
		st.watchdog_restarts = (unsigned)json_integer_value(
			json_object_get(doc, "watchdog_restarts"));
		st.cpus = json_number_value(json_object_get(doc, "cpus"));
		st.mem = json_number_value(json_object_get(doc, "mem"));
		snprintf(st.registry, sizeof(st.registry), "%s",
			 json_string_value(json_object_get(doc, "registry"))
				 ?: "");
		snprintf(st.router, sizeof(st.router), "%s",
			 json_string_value(json_object_get(doc, "router"))
				 ?: "");
	}
	st.running = locked(state_dir);
	st.watchdog_running = st.running && process_alive(st.watchdog_pid);
	st.stale = !st.running && doc != NULL;
	json_decref(doc);
	free(path);
	*out = st;
	return 0;
}

static void remove_stale(const char *state_dir)
{
	char *path = roger_path_join(state_dir, "server.json");

	if (path)
		unlink(path);
	free(path);
}

/* The last lines of server.log, for a server that died at start. */
static void log_tail(const char *state_dir, char *out, size_t size)
{
	char *path = roger_path_join(state_dir, "server.log");
	struct roger_buf b = ROGER_BUF_INIT;
	const char *p;
	int lines = 0;

	out[0] = '\0';
	if (path && roger_fs_read_file(&b, path, NULL) == 0 && b.len > 0) {
		while (b.len > 0 && b.buf[b.len - 1] == '\n')
			roger_buf_truncate(&b, b.len - 1);
		p = b.buf + b.len;
		while (p > b.buf && lines < 3) {
			p--;
			if (*p == '\n')
				lines++;
		}
		if (*p == '\n')
			p++;
		snprintf(out, size, "%s", p);
		for (char *q = out; *q; q++)
			if (*q == '\n')
				*q = ' ';
	}
	roger_buf_release(&b);
	free(path);
}

/* roger_local_start()'s child: run the server. */
static void exec_server(void *data, int keep)
{
	char *const *argv = data;

	(void)keep;
	roger_proc_exec(argv[0], argv, environ);
}

int roger_local_start(struct roger_local_status *out, struct roger_ctx *ctx,
		      const char *state_dir, char *const argv[], int timeout_ms,
		      struct roger_err *err)
{
	struct roger_local_status st;
	struct roger_proc_child c;
	char *log_path = NULL;
	int64_t deadline;
	int log_fd = -1, exec_errno = 0, rc;
	pid_t pid;

	if ((rc = roger_fs_mkdirs(state_dir, 0700, err)) < 0)
		return rc;
	roger_local_status(&st, state_dir, err);
	if (st.running)
		return roger_err_set(
			err, ROGER_EEXISTS,
			"roger local is already running at %s (pid %ld)",
			st.url, st.pid);
	if (st.stale) {
		roger_log(
			ctx, ROGER_LOG_WARN,
			"removing the stale pid file of roger local (pid %ld is gone)",
			st.pid);
		remove_stale(state_dir);
	}
	log_path = roger_path_join(state_dir, "server.log");
	if (!log_path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	log_fd =
		open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot open '%s': %s",
				   log_path, strerror(errno));
		free(log_path);
		return rc;
	}
	free(log_path);
	/* Detached: a session of its own, stdin from /dev/null, nothing of
	 * ours open but the log. */
	memset(&c, 0, sizeof(c));
	c.what = "roger local";
	c.std[0] = -1;
	c.std[1] = c.std[2] = log_fd;
	c.keep = -1;
	c.run = exec_server;
	c.data = (void *)argv;
	rc = roger_proc_fork(&pid, &exec_errno, &c, err);
	close(log_fd);
	if (rc < 0)
		return rc;
	if (exec_errno) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return roger_err_set(err, ROGER_ERROR, "cannot run '%s': %s",
				     argv[0], strerror(exec_errno));
	}
	deadline = roger_clock_ms(CLOCK_MONOTONIC) + timeout_ms;
	for (;;) {
		int status;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			char tail[512];

			log_tail(state_dir, tail, sizeof(tail));
			return roger_err_set(err, ROGER_ERROR,
					     "roger local exited at start%s%s",
					     tail[0] ? ": " : "", tail);
		}
		roger_local_status(&st, state_dir, NULL);
		if (st.running && st.port > 0 &&
		    roger_local_ping(st.port, 1000))
			break;
		if (roger_clock_ms(CLOCK_MONOTONIC) > deadline) {
			kill(pid, SIGTERM);
			return roger_err_set(
				err, ROGER_ETIMEOUT,
				"roger local did not answer within %d seconds; see '%s/server.log'",
				timeout_ms / 1000, state_dir);
		}
		usleep(50000);
	}
	*out = st;
	return 0;
}

int roger_local_up(struct roger_local_status *out, struct roger_ctx *ctx,
		   const char *exe, const char *state_dir, int port,
		   int timeout_ms, struct roger_err *err)
{
	char port_text[16];
	char *argv[8];

	snprintf(port_text, sizeof(port_text), "%d", port);
	argv[0] = (char *)exe;
	argv[1] = (char *)"local";
	argv[2] = (char *)"serve";
	argv[3] = (char *)"--port";
	argv[4] = port_text;
	argv[5] = (char *)"--state-dir";
	argv[6] = (char *)state_dir;
	argv[7] = NULL;
	return roger_local_start(out, ctx, state_dir, argv, timeout_ms, err);
}

int roger_local_stop(struct roger_ctx *ctx, const char *state_dir,
		     int timeout_ms, struct roger_err *err)
{
	struct roger_local_status st;
	int64_t deadline;

	roger_local_status(&st, state_dir, err);
	if (!st.running) {
		if (st.stale)
			remove_stale(state_dir);
		return roger_err_set(err, ROGER_ENOTFOUND,
				     "roger local is not running for '%s'",
				     state_dir);
	}
	if (st.pid <= 0 || kill((pid_t)st.pid, SIGTERM) < 0)
		return roger_err_set(err, ROGER_ERROR,
				     "cannot signal roger local (pid %ld): %s",
				     st.pid, strerror(errno));
	deadline = roger_clock_ms(CLOCK_MONOTONIC) + timeout_ms;
	while (locked(state_dir)) {
		if (roger_clock_ms(CLOCK_MONOTONIC) > deadline) {
			roger_log(
				ctx, ROGER_LOG_WARN,
				"roger local (pid %ld) did not stop within %d seconds, killing it",
				st.pid, timeout_ms / 1000);
			kill((pid_t)st.pid, SIGKILL);
			deadline = roger_clock_ms(CLOCK_MONOTONIC) + 5000;
			while (locked(state_dir) &&
			       roger_clock_ms(CLOCK_MONOTONIC) < deadline)
				usleep(50000);
			break;
		}
		usleep(50000);
	}
	return 0;
}
