/*
 * regd.c - start and stop tests/registryd.py from Check tests.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fs.h"
#include "faultd.h"
#include "regd.h"

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[1024];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (access(buf, X_OK) == 0)
			return true;
		p += n;
		if (*p)
			p++;
	}
	return false;
}

const char *regd_skip_reason(void)
{
	const char *reg = getenv("DOCKER_REGISTRY");

	if (reg && *reg ? access(reg, X_OK) != 0 : !on_path("docker-registry"))
		return "docker-registry is not installed (./install-deps installs it)";
	if (!on_path("openssl"))
		return "openssl is not installed";
	return NULL;
}

static const char *helper_path(void)
{
	static char path[1024];
	const char *src = getenv("TEST_SRCDIR");

	snprintf(path, sizeof(path), "%s/registryd.py",
		 src && *src ? src : "tests");
	return path;
}

void regd_start(struct regd *r, const char *args)
{
	const char *python = getenv("PYTHON");
	char line[4096] = "", argbuf[512];
	char *argv[32];
	size_t argc = 0, got = 0;
	json_t *ready;
	int pipefd[2];

	if (!python || !*python)
		python = "python3";
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s/registry.XXXXXX",
		 faultd_tmp_dir());
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	argv[argc++] = (char *)python;
	argv[argc++] = (char *)helper_path();
	argv[argc++] = (char *)"--dir";
	argv[argc++] = r->dir;
	snprintf(argbuf, sizeof(argbuf), "%s", args);
	for (char *tok = strtok(argbuf, " "); tok && argc < 30;
	     tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	ck_assert_int_eq(pipe(pipefd), 0);
	r->pid = fork();
	ck_assert_int_ge(r->pid, 0);
	if (r->pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execvp(python, argv);
		fprintf(stderr, "cannot run '%s': %s\n", python,
			strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	while (got < sizeof(line) - 1 && !strchr(line, '\n')) {
		struct pollfd p = { pipefd[0], POLLIN, 0 };
		ssize_t n;

		ck_assert_msg(poll(&p, 1, 30000) == 1,
			      "registryd did not start within 30 s");
		n = read(pipefd[0], line + got, sizeof(line) - 1 - got);
		ck_assert_msg(n > 0, "registryd exited before it was ready");
		got += (size_t)n;
		line[got] = '\0';
	}
	close(pipefd[0]);
	ready = json_loads(line, 0, NULL);
	ck_assert_msg(ready != NULL, "registryd said '%s'", line);
	snprintf(r->url, sizeof(r->url), "%s",
		 json_string_value(json_object_get(ready, "url")));
	snprintf(r->host, sizeof(r->host), "%s",
		 json_string_value(json_object_get(ready, "host")));
	if (json_string_value(json_object_get(ready, "ca")))
		snprintf(r->ca, sizeof(r->ca), "%s",
			 json_string_value(json_object_get(ready, "ca")));
	if (json_string_value(json_object_get(ready, "token_url")))
		snprintf(
			r->token_url, sizeof(r->token_url), "%s",
			json_string_value(json_object_get(ready, "token_url")));
	json_decref(ready);
}

void regd_stop(struct regd *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
	if (r->dir[0])
		roger_fs_remove_tree(r->dir, NULL);
	r->dir[0] = '\0';
}

static void read_log(struct roger_buf *b, const struct regd *r,
		     const char *name)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	roger_fs_read_file(b, path, NULL);
}

size_t regd_lines(const struct regd *r)
{
	struct roger_buf b = ROGER_BUF_INIT;
	size_t n = 0;

	read_log(&b, r, "access.log");
	for (size_t i = 0; i < b.len; i++)
		n += b.buf[i] == '\n';
	roger_buf_release(&b);
	return n;
}

size_t regd_count(const struct regd *r, size_t mark, const char *method,
		  const char *prefix)
{
	struct roger_buf b = ROGER_BUF_INIT;
	size_t n = 0, line = 0;
	char *p;

	read_log(&b, r, "access.log");
	for (p = b.buf; *p; line++) {
		char *nl = strchr(p, '\n'), *q = strchr(p, '"');
		char m[16], uri[2048];

		if (nl)
			*nl = '\0';
		if (line >= mark && q &&
		    sscanf(q + 1, "%15s %2047s", m, uri) == 2 &&
		    (!strcmp(method, "*") || !strcmp(m, method)) &&
		    !strncmp(uri, prefix, strlen(prefix)))
			n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	roger_buf_release(&b);
	return n;
}

size_t regd_token_requests(const struct regd *r)
{
	struct roger_buf b = ROGER_BUF_INIT;
	size_t n = 0;

	read_log(&b, r, "token.log");
	for (size_t i = 0; i < b.len; i++)
		n += b.buf[i] == '\n';
	roger_buf_release(&b);
	return n;
}

const char *regd_log_since(const struct regd *r, size_t mark)
{
	static char out[8192];
	struct roger_buf b = ROGER_BUF_INIT;
	size_t line = 0;
	const char *p;

	read_log(&b, r, "access.log");
	for (p = b.buf; *p && line < mark; p++)
		line += *p == '\n';
	snprintf(out, sizeof(out), "%s", p);
	roger_buf_release(&b);
	return out;
}
