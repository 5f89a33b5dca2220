/*
 * faultd.c - start and stop tests/faultd.py from Check tests.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fs.h"
#include "faultd.h"

static char tmp_root[1024];

void faultd_tmp_init(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmp_root, sizeof(tmp_root), "%s/roger-faultd.XXXXXX",
		 t && *t ? t : "/tmp");
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		exit(99);
	}
}

void faultd_tmp_cleanup(void)
{
	if (tmp_root[0])
		roger_fs_remove_tree(tmp_root, NULL);
}

const char *faultd_tmp_dir(void)
{
	return tmp_root;
}

static const char *script_path(void)
{
	static char path[1024];
	const char *src = getenv("TEST_SRCDIR");

	snprintf(path, sizeof(path), "%s/faultd.py",
		 src && *src ? src : "tests");
	return path;
}

static void start(struct faultd *f, const char *script, const char *cert,
		  const char *key)
{
	char script_file[1100], line[64] = "";
	struct roger_err err = ROGER_ERR_INIT;
	const char *python = getenv("PYTHON");
	int pipefd[2];
	size_t got = 0;

	ck_assert_msg(tmp_root[0], "faultd_tmp_init() was not called");
	if (!python || !*python)
		python = "python3";
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s/faultd.XXXXXX", tmp_root);
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(script_file, sizeof(script_file), "%s/script.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/requests.jsonl", f->dir);
	ck_assert_msg(roger_fs_write_atomic(script_file, script, strlen(script),
					    0644, &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(pipe(pipefd), 0);
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (f->pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		if (cert)
			execlp(python, python, script_path(), "--script",
			       script_file, "--log", f->log, "--tls-cert", cert,
			       "--tls-key", key, (char *)NULL);
		else
			execlp(python, python, script_path(), "--script",
			       script_file, "--log", f->log, (char *)NULL);
		fprintf(stderr, "cannot run '%s': %s\n", python,
			strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	while (got < sizeof(line) - 1 && !strchr(line, '\n')) {
		struct pollfd p = { pipefd[0], POLLIN, 0 };
		ssize_t n;

		ck_assert_msg(poll(&p, 1, 15000) == 1,
			      "faultd did not start within 15 s");
		n = read(pipefd[0], line + got, sizeof(line) - 1 - got);
		ck_assert_msg(n > 0, "faultd exited before printing its port");
		got += (size_t)n;
		line[got] = '\0';
	}
	close(pipefd[0]);
	ck_assert_int_eq(sscanf(line, "port %d", &f->port), 1);
	snprintf(f->url, sizeof(f->url), "%s://127.0.0.1:%d",
		 cert ? "https" : "http", f->port);
}

void faultd_start_raw(struct faultd *f, const char *script)
{
	start(f, script, NULL, NULL);
}

static char *convert_quotes(const char *script)
{
	char *s = strdup(script);

	ck_assert_ptr_nonnull(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

void faultd_start(struct faultd *f, const char *script)
{
	char *s = convert_quotes(script);

	start(f, s, NULL, NULL);
	free(s);
}

void faultd_start_tls(struct faultd *f, const char *script, const char *cert,
		      const char *key)
{
	char *s = convert_quotes(script);

	start(f, s, cert, key);
	free(s);
}

void faultd_stop(struct faultd *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
	if (f->dir[0])
		roger_fs_remove_tree(f->dir, NULL);
}

json_t *faultd_requests(const struct faultd *f)
{
	struct roger_buf b = ROGER_BUF_INIT;
	json_t *all = json_array();
	const char *p;

	if (roger_fs_read_file(&b, f->log, NULL) < 0)
		return all;
	for (p = b.buf; *p;) {
		size_t n = strcspn(p, "\n");
		json_t *one = json_loadb(p, n, 0, NULL);

		if (one)
			json_array_append_new(all, one);
		p += n;
		if (*p)
			p++;
	}
	roger_buf_release(&b);
	return all;
}

size_t faultd_count(const struct faultd *f, const char *method,
		    const char *path)
{
	json_t *all = faultd_requests(f), *r;
	size_t i, n = 0;

	json_array_foreach(all, i, r) {
		const char *m = json_string_value(json_object_get(r, "method"));
		const char *p = json_string_value(json_object_get(r, "path"));

		if (m && p && !strcmp(m, method) &&
		    !strncmp(p, path, strlen(path)))
			n++;
	}
	json_decref(all);
	return n;
}
