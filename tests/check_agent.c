/*
 * check_agent.c - unit tests of roger local's agent: real task processes
 * in real sandboxes, the fetcher against file:// URIs and a loopback HTTP
 * server, archives built here with libarchive (malicious ones included),
 * kills with and without grace, the files and state endpoints against the
 * Mesos fixtures, and the crash test: the process hosting the agent is
 * SIGKILLed and no task process may survive it.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "lib/roger.h"
#include "lib/local/agent.h"
#include "lib/local/extract.h"
#include "lib/local/fetch.h"
#include "lib/local/proc.h"

#define FID "20150502-231327-16842879-5050-3889-0000"
static const struct roger_agent_framework marathon_fw = { FID, "marathon" };
#define AID "20150513-185808-177048842-5050-1220-S0"

/* ---- status update recorder ---------------------------------------------- */

struct update {
	char id[128];
	enum roger_task_state state;
	char msg[512];
	double ts;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct update u[512];
	int n;
	void (*hook)(const struct roger_agent_update *u);
} rec = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void on_update(void *data, const struct roger_agent_update *u)
{
	(void)data;
	pthread_mutex_lock(&rec.lock);
	if (rec.n < 512) {
		struct update *x = &rec.u[rec.n++];

		snprintf(x->id, sizeof(x->id), "%s", u->task_id);
		x->state = u->state;
		snprintf(x->msg, sizeof(x->msg), "%s", u->message);
		x->ts = u->timestamp;
	}
	pthread_cond_broadcast(&rec.cond);
	pthread_mutex_unlock(&rec.lock);
	if (rec.hook)
		rec.hook(u);
}

/* Wait up to `secs` for `id` to reach `state`; its update, or NULL. */
static const struct update *wait_state(const char *id,
				       enum roger_task_state state, int secs)
{
	struct timespec end;
	const struct update *found = NULL;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += secs;
	pthread_mutex_lock(&rec.lock);
	while (!found) {
		for (int i = 0; i < rec.n && !found; i++)
			if (strcmp(rec.u[i].id, id) == 0 &&
			    rec.u[i].state == state)
				found = &rec.u[i];
		if (found || pthread_cond_timedwait(&rec.cond, &rec.lock,
						    &end) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&rec.lock);
	return found;
}

/* Wait for a terminal update of `id`; its update, or NULL. */
static const struct update *wait_end(const char *id, int secs)
{
	struct timespec end;
	const struct update *found = NULL;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += secs;
	pthread_mutex_lock(&rec.lock);
	while (!found) {
		for (int i = 0; i < rec.n && !found; i++)
			if (strcmp(rec.u[i].id, id) == 0 &&
			    roger_task_state_terminal(rec.u[i].state))
				found = &rec.u[i];
		if (found || pthread_cond_timedwait(&rec.cond, &rec.lock,
						    &end) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&rec.lock);
	return found;
}

/* The states `id` went through, as "STARTING,RUNNING,FINISHED". */
static void states_of(const char *id, char *out, size_t size)
{
	out[0] = '\0';
	pthread_mutex_lock(&rec.lock);
	for (int i = 0; i < rec.n; i++) {
		if (strcmp(rec.u[i].id, id) != 0)
			continue;
		snprintf(out + strlen(out), size - strlen(out), "%s%s",
			 out[0] ? "," : "",
			 roger_task_state_name(rec.u[i].state) + 5);
	}
	pthread_mutex_unlock(&rec.lock);
}

/* ---- fixture ------------------------------------------------------------- */

static char tmp[PATH_MAX];
static char work[PATH_MAX];
static struct roger_ctx *ctx;
static struct roger_agent *agent;

static void new_agent(unsigned max_completed)
{
	struct roger_agent_options o;
	struct roger_err err = ROGER_ERR_INIT;

	memset(&o, 0, sizeof(o));
	o.work_dir = work;
	o.agent_id = AID;
	o.hostname = "127.0.0.1";
	o.port = 5051;
	o.on_update = on_update;
	o.max_completed = max_completed;
	/* Small enough for a bomb made in a test, large for everything else. */
	o.max_extract_bytes = 4 << 20;
	ck_assert_msg(roger_agent_new(&agent, ctx, &o, &err) == 0, "%s",
		      err.msg);
}

/*
 * Each test case gets a base directory, made and removed by the runner
 * (unchecked fixtures), so that a failed test, whose process ends before
 * its own teardown, leaves nothing behind; each test works in its own
 * directory below it.  Its task processes die with the test's process:
 * that is the watchdog's job.
 */
static char base[PATH_MAX];

static void case_setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/check_agent.XXXXXX",
		 t && *t ? t : "/tmp");
	if (!mkdtemp(base))
		abort();
}

static void case_teardown(void)
{
	roger_fs_remove_tree(base, NULL);
}

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(work, sizeof(work), "%s/work", tmp);
	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
	pthread_mutex_lock(&rec.lock);
	rec.n = 0;
	rec.hook = NULL;
	pthread_mutex_unlock(&rec.lock);
	new_agent(0);
}

static void kill_marked(void);

static void teardown(void)
{
	roger_agent_free(agent);
	agent = NULL;
	kill_marked();
	roger_ctx_free(ctx);
	ctx = NULL;
	roger_fs_remove_tree(tmp, NULL);
}

/* ---- helpers ------------------------------------------------------------- */

static int launch_full(const char *id, const char *cmd, const char *const *args,
		       const char *const *env, json_t *fetch,
		       struct roger_err *err)
{
	struct roger_agent_task t;
	static const uint16_t ports[] = { 31001, 31002 };

	memset(&t, 0, sizeof(t));
	t.task_id = id;
	t.framework_id = FID;
	t.name = "/test/app";
	t.cmd = cmd;
	t.args = args;
	t.env = env;
	t.fetch = fetch;
	t.cpus = 0.1;
	t.mem = 16;
	t.ports = ports;
	t.n_ports = 2;
	return roger_agent_launch(agent, &t, err);
}

static void launch(const char *id, const char *cmd)
{
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(launch_full(id, cmd, NULL, NULL, NULL, &err) == 0, "%s",
		      err.msg);
}

static char *slurp(const char *path, size_t *len)
{
	struct roger_buf b = ROGER_BUF_INIT;

	if (roger_fs_read_file(&b, path, NULL) < 0)
		return NULL;
	return roger_buf_detach(&b, len);
}

static char *sandbox_file(const char *id, const char *name)
{
	char *sb = roger_agent_sandbox(agent, id), *p;

	ck_assert_ptr_nonnull(sb);
	p = roger_path_join(sb, name);
	free(sb);
	return p;
}

static char *task_file(const char *id, const char *name)
{
	char *p = sandbox_file(id, name), *s = slurp(p, NULL);

	free(p);
	return s ? s : strdup("");
}

/* Wait until the sandbox file holds `needle`. */
static bool wait_file_has(const char *id, const char *name, const char *needle,
			  int secs)
{
	for (int i = 0; i < secs * 50; i++) {
		char *s = task_file(id, name);
		bool ok = strstr(s, needle) != NULL;

		free(s);
		if (ok)
			return true;
		usleep(20000);
	}
	return false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void write_file(const char *path, const char *data, size_t len,
		       mode_t mode)
{
	ck_assert_int_eq(roger_fs_write_atomic(path, data, len, mode, NULL), 0);
}

static char *in_tmp(const char *name)
{
	return roger_path_join(tmp, name);
}

/* ---- archives built with libarchive -------------------------------------- */

enum ent_kind {
	ENT_FILE,
	ENT_DIR,
	ENT_SYMLINK,
	ENT_HARDLINK,
	ENT_CHARDEV,
	ENT_FIFO
};

struct ent {
	enum ent_kind kind;
	const char *name;
	const char *data; /* file content, or link target */
	mode_t mode;
};

enum arc_kind { ARC_TGZ, ARC_TAR, ARC_TBZ2, ARC_TXZ, ARC_ZIP };

static void make_archive(const char *path, enum arc_kind kind,
			 const struct ent *e, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae;

	ck_assert_ptr_nonnull(a);
	if (kind == ARC_ZIP) {
		archive_write_set_format_zip(a);
	} else {
		archive_write_set_format_pax_restricted(a);
		if (kind == ARC_TGZ)
			archive_write_add_filter_gzip(a);
		else if (kind == ARC_TBZ2)
			archive_write_add_filter_bzip2(a);
		else if (kind == ARC_TXZ)
			archive_write_add_filter_xz(a);
	}
	ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_mtime(ae, 1500000000, 0);
		switch (e[i].kind) {
		case ENT_FILE:
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae,
					       e[i].mode ? e[i].mode : 0644);
			archive_entry_set_size(ae,
					       (la_int64_t)strlen(e[i].data));
			break;
		case ENT_DIR:
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae, 0755);
			break;
		case ENT_SYMLINK:
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_perm(ae, 0777);
			archive_entry_set_symlink(ae, e[i].data);
			break;
		case ENT_HARDLINK:
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_hardlink(ae, e[i].data);
			break;
		case ENT_CHARDEV:
			archive_entry_set_filetype(ae, AE_IFCHR);
			archive_entry_set_perm(ae, 0666);
			archive_entry_set_rdevmajor(ae, 1);
			archive_entry_set_rdevminor(ae, 3);
			break;
		case ENT_FIFO:
			archive_entry_set_filetype(ae, AE_IFIFO);
			archive_entry_set_perm(ae, 0644);
			break;
		}
		ck_assert_int_eq(archive_write_header(a, ae), ARCHIVE_OK);
		if (e[i].kind == ENT_FILE) {
			size_t len = strlen(e[i].data);

			ck_assert_int_eq(archive_write_data(a, e[i].data, len),
					 (la_ssize_t)len);
		}
		archive_entry_free(ae);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static void make_gz(const char *path, const char *data)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();

	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_pathname(ae, "x");
	ck_assert_int_eq(archive_write_header(a, ae), ARCHIVE_OK);
	archive_write_data(a, data, strlen(data));
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(ae);
}

static json_t *fetch_of(const char *uri, int extract, int executable,
			const char *dest)
{
	json_t *e = json_pack("{s:s}", "uri", uri);

	if (extract >= 0)
		json_object_set_new(e, "extract", json_boolean(extract));
	if (executable >= 0)
		json_object_set_new(e, "executable", json_boolean(executable));
	if (dest)
		json_object_set_new(e, "destPath", json_string(dest));
	return json_pack("[o]", e);
}

/* ---- a loopback HTTP server ---------------------------------------------- */

struct route {
	const char *path;
	int status;
	const char *body;
	size_t len;
	bool stall; /* send headers, then nothing until stopped */
};

static struct {
	int fd;
	int port;
	pthread_t thread;
	int stop; /* atomic */
	struct route routes[8];
	int n_routes;
	int hits; /* atomic */
} srv = { .fd = -1 };

static void serve_one(int c)
{
	char req[4096], path[1024], head[256];
	size_t got = 0;
	const struct route *r = NULL;

	req[0] = '\0';
	while (got < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		ssize_t n = recv(c, req + got, sizeof(req) - 1 - got, 0);

		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = '\0';
	}
	if (sscanf(req, "GET %1023s", path) != 1)
		return;
	__atomic_add_fetch(&srv.hits, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < srv.n_routes; i++)
		if (strcmp(srv.routes[i].path, path) == 0)
			r = &srv.routes[i];
	if (!r) {
		snprintf(
			head, sizeof(head),
			"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found");
		send(c, head, strlen(head), MSG_NOSIGNAL);
		return;
	}
	snprintf(
		head, sizeof(head),
		"HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		r->status, r->stall ? (size_t)1000000 : r->len);
	send(c, head, strlen(head), MSG_NOSIGNAL);
	if (r->stall) {
		while (!__atomic_load_n(&srv.stop, __ATOMIC_SEQ_CST))
			usleep(10000);
		return;
	}
	send(c, r->body, r->len, MSG_NOSIGNAL);
}

static void *serve(void *data)
{
	(void)data;
	while (!__atomic_load_n(&srv.stop, __ATOMIC_SEQ_CST)) {
		struct pollfd p = { srv.fd, POLLIN, 0 };
		int c;

		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept(srv.fd, NULL, NULL);
		if (c < 0)
			continue;
		serve_one(c);
		close(c);
	}
	return NULL;
}

static void srv_route(const char *path, int status, const char *body,
		      size_t len, bool stall)
{
	struct route *r = &srv.routes[srv.n_routes++];

	r->path = path;
	r->status = status;
	r->body = body;
	r->len = len;
	r->stall = stall;
}

static void srv_start(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(srv.fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(srv.fd, 16), 0);
	getsockname(srv.fd, (struct sockaddr *)&sa, &sl);
	srv.port = ntohs(sa.sin_port);
	__atomic_store_n(&srv.stop, 0, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void srv_stop(void)
{
	if (srv.fd < 0)
		return;
	__atomic_store_n(&srv.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(srv.thread, NULL);
	close(srv.fd);
	srv.fd = -1;
	srv.n_routes = 0;
}

/* ---- processes, by a marker in their environment ------------------------- */

/* How many live (not zombie) processes carry ROGER_TEST_MARKER=<marker>. */
static int count_marked(const char *marker)
{
	char want[128], path[64], buf[65536];
	DIR *d = opendir("/proc");
	struct dirent *e;
	int count = 0;

	snprintf(want, sizeof(want), "ROGER_TEST_MARKER=%s", marker);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		ssize_t n;
		int fd;
		char state = '?', *p;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ')
			state = p[2];
		if (state == 'Z' || state == 'X')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/environ", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		for (ssize_t i = 0; i < n;) {
			if (strcmp(buf + i, want) == 0) {
				count++;
				break;
			}
			i += (ssize_t)strnlen(buf + i, (size_t)(n - i)) + 1;
		}
	}
	closedir(d);
	return count;
}

/* The marker of the running test and the process hosting an agent, for
 * teardown to clean up after a failed test. */
static char cur_marker[64];
static pid_t cur_host = -1;

static void unique_marker(char *out, size_t size)
{
	snprintf(out, size, "m%ld-%ld", (long)getpid(),
		 (long)time(NULL) ^ (long)random());
	snprintf(cur_marker, sizeof(cur_marker), "%s", out);
}

static void kill_marked(void)
{
	char entry[128], *buf;

	if (cur_host > 0) {
		kill(cur_host, SIGKILL);
		waitpid(cur_host, NULL, 0);
		cur_host = -1;
	}
	if (!cur_marker[0])
		return;
	buf = malloc(256 * 1024);
	snprintf(entry, sizeof(entry), "ROGER_TEST_MARKER=%s", cur_marker);
	if (buf)
		roger_proc_kill_env(entry, false, 0, buf, 256 * 1024);
	free(buf);
	cur_marker[0] = '\0';
}

/* ---- tasks --------------------------------------------------------------- */

START_TEST(test_agent_task_finishes)
{
	const struct update *u;
	char states[256], *out, *err;

	launch("t1", "echo hello; echo oops >&2");
	u = wait_end("t1", 20);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->state, ROGER_TASK_FINISHED);
	ck_assert_str_eq(u->msg, "Command exited with status 0");
	ck_assert(u->ts > 1e9);
	states_of("t1", states, sizeof(states));
	ck_assert_str_eq(states, "STARTING,RUNNING,FINISHED");
	out = task_file("t1", "stdout");
	err = task_file("t1", "stderr");
	ck_assert_ptr_nonnull(strstr(out, "Starting task t1\n"));
	ck_assert_ptr_nonnull(strstr(out, "Forked command at "));
	ck_assert_ptr_nonnull(
		strstr(out, "sh -c 'echo hello; echo oops >&2'\nhello\n"));
	ck_assert_ptr_nonnull(
		strstr(out, "Command exited with status 0 (pid: "));
	ck_assert_str_eq(err, "oops\n");
	free(out);
	free(err);
}
END_TEST

START_TEST(test_agent_task_fails_with_status)
{
	const struct update *u;

	launch("t2", "exit 3");
	u = wait_end("t2", 20);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->state, ROGER_TASK_FAILED);
	ck_assert_str_eq(u->msg, "Command exited with status 3");
}
END_TEST

START_TEST(test_agent_task_killed_by_signal)
{
	const struct update *u;

	launch("t3", "kill -KILL $$");
	u = wait_end("t3", 20);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->state, ROGER_TASK_FAILED);
	ck_assert_str_eq(u->msg, "Command terminated with signal Killed");
}
END_TEST

START_TEST(test_agent_kill_with_term)
{
	struct roger_err err = ROGER_ERR_INIT;
	const struct update *u;
	char states[256], *out;
	double t0;

	launch("k1",
	       "trap 'echo got\"\"-term; exit 0' TERM; echo re\"\"ady; while :; do sleep 0.05; done");
	ck_assert(wait_file_has("k1", "stdout", "\nready\n", 20));
	t0 = now_s();
	ck_assert_int_eq(roger_agent_kill(agent, "k1", 30, &err), 0);
	u = wait_end("k1", 20);
	ck_assert_ptr_nonnull(u);
	ck_assert(now_s() - t0 < 10);
	ck_assert_int_eq(u->state, ROGER_TASK_KILLED);
	states_of("k1", states, sizeof(states));
	ck_assert_str_eq(states, "STARTING,RUNNING,KILLING,KILLED");
	out = task_file("k1", "stdout");
	ck_assert_ptr_nonnull(strstr(out, "\ngot-term\n"));
	free(out);
	/* Finished: it cannot be killed again. */
	ck_assert_int_eq(roger_agent_kill(agent, "k1", 1, &err),
			 ROGER_ENOTFOUND);
}
END_TEST

START_TEST(test_agent_kill_escalates_after_grace)
{
	struct roger_err err = ROGER_ERR_INIT;
	const struct update *killing, *u;
	double t0, elapsed;

	launch("k2",
	       "trap '' TERM; echo re\"\"ady; while :; do sleep 0.05; done");
	ck_assert(wait_file_has("k2", "stdout", "\nready\n", 20));
	t0 = now_s();
	ck_assert_int_eq(roger_agent_kill(agent, "k2", 0.7, &err), 0);
	killing = wait_state("k2", ROGER_TASK_KILLING, 10);
	ck_assert_ptr_nonnull(killing);
	u = wait_end("k2", 20);
	elapsed = now_s() - t0;
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->state, ROGER_TASK_KILLED);
	ck_assert_str_eq(u->msg, "Command terminated with signal Killed");
	ck_assert_msg(elapsed >= 0.6,
		      "SIGKILL came after %.2f s, before the grace", elapsed);
	ck_assert(u->ts - killing->ts >= 0.6);
}
END_TEST

START_TEST(test_agent_kill_unknown_and_duplicates)
{
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_agent_kill(agent, "nope", 1, &err),
			 ROGER_ENOTFOUND);
	launch("d1", "sleep 30");
	ck_assert_int_eq(launch_full("d1", "true", NULL, NULL, NULL, &err),
			 ROGER_EEXISTS);
	ck_assert_int_eq(launch_full("a/b", "true", NULL, NULL, NULL, &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(launch_full("..", "true", NULL, NULL, NULL, &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(launch_full("d2", NULL, NULL, NULL, NULL, &err),
			 ROGER_EINVALID);
	ck_assert_ptr_nonnull(wait_state("d1", ROGER_TASK_RUNNING, 20));
	ck_assert_int_eq(roger_agent_kill(agent, "d1", 0, &err), 0);
	ck_assert_ptr_nonnull(wait_state("d1", ROGER_TASK_KILLED, 20));
}
END_TEST

START_TEST(test_agent_environment)
{
	static const char *const env[] = { "PORT0=31001", "MESOS_TASK_ID=bogus",
					   "CUSTOM=a b=c", NULL };
	static const char *const args[] = { "sh", "-c",
					    "env > env.txt; pwd > pwd.txt",
					    NULL };
	struct roger_err err = ROGER_ERR_INIT;
	const struct update *u;
	char *sb, *e, *pwd, want[PATH_MAX + 64];

	ck_assert_msg(launch_full("e1", NULL, args, env, NULL, &err) == 0, "%s",
		      err.msg);
	u = wait_end("e1", 20);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->state, ROGER_TASK_FINISHED);
	sb = roger_agent_sandbox(agent, "e1");
	e = task_file("e1", "env.txt");
	pwd = task_file("e1", "pwd.txt");
	snprintf(want, sizeof(want), "%s\n", sb);
	ck_assert_str_eq(pwd, want);
	snprintf(want, sizeof(want), "MESOS_SANDBOX=%s\n", sb);
	ck_assert_ptr_nonnull(strstr(e, want));
	snprintf(want, sizeof(want), "MESOS_DIRECTORY=%s\n", sb);
	ck_assert_ptr_nonnull(strstr(e, want));
	ck_assert_ptr_nonnull(strstr(e, "MESOS_TASK_ID=e1\n"));
	ck_assert_ptr_null(strstr(e, "bogus"));
	ck_assert_ptr_nonnull(strstr(e, "MESOS_EXECUTOR_ID=e1\n"));
	ck_assert_ptr_nonnull(strstr(e, "MESOS_FRAMEWORK_ID=" FID "\n"));
	ck_assert_ptr_nonnull(strstr(e, "MESOS_SLAVE_ID=" AID "\n"));
	ck_assert_ptr_nonnull(
		strstr(e, "MESOS_AGENT_ENDPOINT=127.0.0.1:5051\n"));
	ck_assert_ptr_nonnull(strstr(e, "PORT0=31001\n"));
	ck_assert_ptr_nonnull(strstr(e, "CUSTOM=a b=c\n"));
	ck_assert_ptr_nonnull(strstr(e, "PATH="));
	if (getenv("HOME") && *getenv("HOME"))
		ck_assert_ptr_nonnull(strstr(e, "HOME="));
	/* The same environment, for a COMMAND health check. */
	{
		char **v = NULL;
		struct roger_buf all = ROGER_BUF_INIT;

		ck_assert_int_eq(roger_agent_task_env(&v, agent, "e1"), 0);
		for (char **p = v; *p; p++) {
			roger_buf_addf(&all, "%s\n", *p);
			free(*p);
		}
		free(v);
		ck_assert_ptr_nonnull(strstr(all.buf, "MESOS_TASK_ID=e1\n"));
		ck_assert_ptr_nonnull(strstr(all.buf, "PORT0=31001\n"));
		ck_assert_ptr_nonnull(strstr(all.buf, "CUSTOM=a b=c\n"));
		snprintf(want, sizeof(want), "MESOS_SANDBOX=%s\n", sb);
		ck_assert_ptr_nonnull(strstr(all.buf, want));
		ck_assert_ptr_nonnull(strstr(all.buf, "PATH="));
		ck_assert_ptr_null(strstr(all.buf, "bogus"));
		roger_buf_release(&all);
		ck_assert_int_eq(roger_agent_task_env(&v, agent, "nope"),
				 ROGER_ENOTFOUND);
		ck_assert_ptr_null(v);
	}
	free(sb);
	free(e);
	free(pwd);
}
END_TEST

START_TEST(test_agent_args_not_found)
{
	static const char *const args[] = { "no-such-command-roger", "x",
					    NULL };
	struct roger_err err = ROGER_ERR_INIT;
	const struct update *u;
	char *e;

	ck_assert_int_eq(launch_full("n1", NULL, args, NULL, NULL, &err), 0);
	u = wait_end("n1", 20);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->state, ROGER_TASK_FAILED);
	ck_assert_str_eq(u->msg, "Command exited with status 127");
	e = task_file("n1", "stderr");
	ck_assert_ptr_nonnull(strstr(
		e,
		"Failed to execute command 'no-such-command-roger': No such file or directory"));
	free(e);
}
END_TEST

/* A callback may call back into the agent (the scheduler restarts tasks
 * from its status handler). */
static void relaunch_hook(const struct roger_agent_update *u)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *st;

	if (strcmp(u->task_id, "r1") != 0 || u->state != ROGER_TASK_FINISHED)
		return;
	st = roger_agent_state(agent);
	json_decref(st);
	roger_agent_kill(agent, "r1", 1, &err);
	launch_full("r2", "true", NULL, NULL, NULL, &err);
}

START_TEST(test_agent_callback_reenters)
{
	rec.hook = relaunch_hook;
	launch("r1", "true");
	ck_assert_ptr_nonnull(wait_state("r2", ROGER_TASK_FINISHED, 20));
}
END_TEST

/* Launches, kills and endpoint reads from many threads at once. */
static int stress_stop; /* atomic */

static void *stress_launcher(void *data)
{
	long n = (long)data;
	struct roger_err err = ROGER_ERR_INIT;
	char id[32];

	for (int i = 0; i < 8; i++) {
		snprintf(id, sizeof(id), "st%ld-%d", n, i);
		if (launch_full(id, i % 2 ? "sleep 0.2" : "sleep 30", NULL,
				NULL, NULL, &err) < 0)
			return (void *)1;
		if (i % 2 == 0) {
			usleep(20000);
			roger_agent_kill(agent, id, 0.1, NULL);
		}
	}
	return NULL;
}

static void *stress_reader(void *data)
{
	char p[128];
	struct roger_agent_reply r;

	(void)data;
	while (!__atomic_load_n(&stress_stop, __ATOMIC_SEQ_CST)) {
		json_decref(roger_agent_state(agent));
		json_decref(
			roger_agent_master_state(agent, &marathon_fw, 1, "x"));
		snprintf(p, sizeof(p),
			 "/frameworks/%s/executors/st0-1/runs/latest/stdout",
			 FID);
		roger_agent_reply_init(&r);
		roger_agent_files_read(agent, p, "0", NULL, &r);
		roger_agent_reply_release(&r);
	}
	return NULL;
}

START_TEST(test_agent_concurrent_use)
{
	pthread_t l[4], rd;
	void *res;
	char id[32];

	__atomic_store_n(&stress_stop, 0, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(pthread_create(&rd, NULL, stress_reader, NULL), 0);
	for (long i = 0; i < 4; i++)
		ck_assert_int_eq(
			pthread_create(&l[i], NULL, stress_launcher, (void *)i),
			0);
	for (int i = 0; i < 4; i++) {
		pthread_join(l[i], &res);
		ck_assert_ptr_null(res);
	}
	for (int n = 0; n < 4; n++)
		for (int i = 0; i < 8; i++) {
			const struct update *u;

			snprintf(id, sizeof(id), "st%d-%d", n, i);
			u = wait_end(id, 30);
			ck_assert_msg(u != NULL, "%s never ended", id);
			ck_assert_int_eq(u->state, i % 2 ? ROGER_TASK_FINISHED
							 : ROGER_TASK_KILLED);
		}
	__atomic_store_n(&stress_stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(rd, NULL);
}
END_TEST

/* The agent waits for its own children only. */
START_TEST(test_agent_leaves_other_children)
{
	pid_t mine = fork();
	int status = 0;

	if (mine == 0) {
		execl("/bin/sh", "sh", "-c", "sleep 0.3; exit 7", (char *)NULL);
		_exit(127);
	}
	launch("o1", "sleep 0.6");
	ck_assert_ptr_nonnull(wait_state("o1", ROGER_TASK_FINISHED, 20));
	ck_assert_int_eq(waitpid(mine, &status, 0), mine);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
}
END_TEST

/* A task that forks a grandchild, and a daemon in a session of its own. */
#define TREE_CMD "sleep 300 & setsid sleep 300 & sleep 300"

START_TEST(test_agent_free_kills_tasks)
{
	char marker[64], env0[128];
	const char *env[] = { env0, NULL };
	struct roger_err err = ROGER_ERR_INIT;

	unique_marker(marker, sizeof(marker));
	snprintf(env0, sizeof(env0), "ROGER_TEST_MARKER=%s", marker);
	ck_assert_int_eq(launch_full("f1", TREE_CMD, NULL, env, NULL, &err), 0);
	ck_assert_ptr_nonnull(wait_state("f1", ROGER_TASK_RUNNING, 20));
	for (int i = 0; i < 250 && count_marked(marker) < 3; i++)
		usleep(20000);
	/* the sleeps, and the shell unless it exec'd the last one */
	ck_assert_int_ge(count_marked(marker), 3);
	roger_agent_free(agent);
	agent = NULL;
	ck_assert_int_eq(count_marked(marker), 0);
}
END_TEST

/*
 * The crash test: a child process hosts the agent and a task that forks a
 * grandchild and a daemon; the child (or its whole process group) is
 * SIGKILLed, and every sleep must die with it.
 * This process becomes a subreaper so the orphans are reparented to it and
 * can be reaped here (some container inits never reap).
 */
START_TEST(test_agent_crash_kills_tasks)
{
	char marker[64], env0[128];
	int sync[2], status;
	pid_t host;
	char c;

	unique_marker(marker, sizeof(marker));
	snprintf(env0, sizeof(env0), "ROGER_TEST_MARKER=%s", marker);
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	ck_assert_int_eq(pipe(sync), 0);
	roger_agent_free(agent); /* the host makes its own */
	agent = NULL;
	host = fork();
	ck_assert_int_ge(host, 0);
	if (host > 0)
		cur_host = host;
	if (host == 0) {
		const char *env[] = { env0, NULL };
		struct roger_err err = ROGER_ERR_INIT;

		/* should this test fail, the host dies with it */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		setpgid(0, 0);
		close(sync[0]);
		new_agent(0);
		if (launch_full("c1", TREE_CMD, NULL, env, NULL, &err) < 0 ||
		    !wait_state("c1", ROGER_TASK_RUNNING, 20))
			_exit(1);
		for (int i = 0; i < 500 && count_marked(marker) < 3; i++)
			usleep(20000);
		if (write(sync[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(sync[1]);
	ck_assert_int_eq(read(sync[0], &c, 1), 1);
	close(sync[0]);
	ck_assert_int_ge(count_marked(marker), 3);
	/* _i 0: the host alone, as a crash; 1: its whole process group, as
	 * `kill -9 -<pgid>` does */
	kill(_i ? -host : host, SIGKILL);
	ck_assert_int_eq(waitpid(host, &status, 0), host);
	cur_host = -1;
	for (int i = 0; i < 250 && count_marked(marker) > 0; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		usleep(20000);
	}
	ck_assert_int_eq(count_marked(marker), 0);
	/* The watchdog is gone too: nothing is left to reap after a while. */
	for (int i = 0; i < 250; i++) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p < 0 && errno == ECHILD)
			break;
		usleep(20000);
	}
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
}
END_TEST

START_TEST(test_agent_eviction_deletes_old_sandboxes)
{
	char id[8], *first;
	json_t *st, *done;

	roger_agent_free(agent);
	new_agent(2);
	/* what a task made read-only is deleted all the same */
	launch("v0", "mkdir -p ro/sub && touch ro/sub/f && chmod -R a-w ro");
	ck_assert_ptr_nonnull(wait_end("v0", 20));
	first = roger_agent_sandbox(agent, "v0");
	ck_assert_ptr_nonnull(first);
	for (int i = 1; i < 5; i++) {
		snprintf(id, sizeof(id), "v%d", i);
		launch(id, "true");
		ck_assert_ptr_nonnull(wait_end(id, 20));
	}
	/* The last one may still be finishing its thread; one more pass. */
	launch("v5", "true");
	ck_assert_ptr_nonnull(wait_end("v5", 20));
	/* forgotten at once, deleted by a task thread right after */
	ck_assert_ptr_null(roger_agent_sandbox(agent, "v0"));
	for (int i = 0; i < 250 && roger_fs_exists(first); i++)
		usleep(20000);
	ck_assert(!roger_fs_exists(first));
	st = roger_agent_state(agent);
	done = json_object_get(
		json_array_get(json_object_get(st, "completed_frameworks"), 0),
		"completed_executors");
	ck_assert_int_le(json_array_size(done), 4);
	ck_assert_int_ge(json_array_size(done), 2);
	json_decref(st);
	free(first);
}
END_TEST

START_TEST(test_agent_restart_keeps_one_generation)
{
	char *prev = roger_path_join(work, "slaves.previous"), *first, *second;
	char *moved;
	struct dirent *e;
	DIR *d;

	launch("g1", "true");
	ck_assert_ptr_nonnull(wait_end("g1", 20));
	first = roger_agent_sandbox(agent, "g1");
	roger_agent_free(agent);
	new_agent(0);
	/* the first generation is kept aside, and not served */
	ck_assert_ptr_null(roger_agent_sandbox(agent, "g1"));
	ck_assert(!roger_fs_exists(first));
	moved = roger_path_join(prev,
				first + strlen(work) + strlen("/slaves/"));
	ck_assert(roger_fs_exists(moved));
	launch("g2", "true");
	ck_assert_ptr_nonnull(wait_end("g2", 20));
	second = roger_agent_sandbox(agent, "g2");
	roger_agent_free(agent);
	new_agent(0);
	roger_agent_free(agent); /* joins the collector */
	agent = NULL;
	ck_assert(!roger_fs_exists(moved));
	free(moved);
	moved = roger_path_join(prev,
				second + strlen(work) + strlen("/slaves/"));
	ck_assert(roger_fs_exists(moved));
	d = opendir(work);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		ck_assert_msg(!roger_starts_with(e->d_name, ".slaves.trash-"),
			      "%s left behind", e->d_name);
	closedir(d);
	free(moved);
	free(first);
	free(second);
	free(prev);
}
END_TEST

/* A task process whose agent and watchdog both died is killed by the next
 * agent on the same directory. */
START_TEST(test_agent_new_kills_leftovers)
{
	char marker[64], env0[128], env1[PATH_MAX + 64];
	pid_t orphan;

	unique_marker(marker, sizeof(marker));
	snprintf(env0, sizeof(env0), "ROGER_TEST_MARKER=%s", marker);
	snprintf(env1, sizeof(env1),
		 "MESOS_DIRECTORY=%s/slaves/%s/frameworks/f/executors/e/runs/c",
		 work, AID);
	orphan = fork();
	ck_assert_int_ge(orphan, 0);
	if (orphan == 0) {
		char a0[] = "sleep", a1[] = "300";
		char *const argv[] = { a0, a1, NULL };
		char *const envp[] = { env0, env1, NULL };

		setsid();
		execve("/bin/sleep", argv, envp);
		_exit(127);
	}
	for (int i = 0; i < 250 && count_marked(marker) < 1; i++)
		usleep(20000);
	ck_assert_int_eq(count_marked(marker), 1);
	roger_agent_free(agent);
	new_agent(0);
	ck_assert_int_eq(waitpid(orphan, NULL, 0), orphan);
	ck_assert_int_eq(count_marked(marker), 0);
}
END_TEST

/* ---- the fetcher --------------------------------------------------------- */

static const struct ent good_tree[] = {
	{ ENT_DIR, "app", NULL, 0 },
	{ ENT_FILE, "app/run.sh", "#!/bin/sh\necho run-ok\n", 0755 },
	{ ENT_FILE, "data.txt", "payload\n", 04666 },
	{ ENT_SYMLINK, "app/data", "../data.txt", 0 },
};

START_TEST(test_agent_fetch_file_targz)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *arc = in_tmp("artifact.tar.gz"), uri[PATH_MAX + 16], *out,
	     *err_text, *p;
	const struct update *u;
	struct stat st;
	json_t *f;

	make_archive(arc, ARC_TGZ, good_tree, 4);
	snprintf(uri, sizeof(uri), "file://%s", arc);
	f = fetch_of(uri, -1, -1, NULL);
	ck_assert_int_eq(launch_full("g1", "cat app/data && ./app/run.sh", NULL,
				     NULL, f, &err),
			 0);
	u = wait_end("g1", 20);
	ck_assert_ptr_nonnull(u);
	ck_assert_msg(u->state == ROGER_TASK_FINISHED, "%s", u->msg);
	out = task_file("g1", "stdout");
	ck_assert_ptr_nonnull(strstr(out, "payload\nrun-ok\n"));
	err_text = task_file("g1", "stderr");
	ck_assert_ptr_nonnull(strstr(err_text, "Fetching URI 'file://"));
	ck_assert_ptr_nonnull(strstr(err_text, "Extracted '"));
	/* The archive stays, set-id and group/other write bits do not. */
	p = sandbox_file("g1", "artifact.tar.gz");
	ck_assert(roger_fs_exists(p));
	free(p);
	p = sandbox_file("g1", "data.txt");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	free(p);
	json_decref(f);
	free(out);
	free(err_text);
	free(arc);
}
END_TEST

START_TEST(test_agent_fetch_formats)
{
	static const struct ent one[] = { { ENT_FILE, "f.txt", "in-archive\n",
					    0644 } };
	static const char *const names[] = { "a.tar", "a.tbz2", "a.tar.xz",
					     "a.zip" };
	static const enum arc_kind kinds[] = { ARC_TAR, ARC_TBZ2, ARC_TXZ,
					       ARC_ZIP };
	struct roger_err err = ROGER_ERR_INIT;

	for (size_t i = 0; i < 4; i++) {
		char *arc = in_tmp(names[i]), *dir, *f, *s;

		make_archive(arc, kinds[i], one, 1);
		dir = in_tmp(names[i] + 2);
		ck_assert_int_eq(roger_fs_mkdirs(dir, 0755, NULL), 0);
		ck_assert_msg(roger_fetch_extract(arc, dir, NULL, &err) == 0,
			      "%s: %s", names[i], err.msg);
		f = roger_path_join(dir, "f.txt");
		s = slurp(f, NULL);
		ck_assert_ptr_nonnull(s);
		ck_assert_str_eq(s, "in-archive\n");
		free(s);
		free(f);
		free(dir);
		free(arc);
	}
}
END_TEST

static const char tool_sh[] = "#!/bin/sh\necho tool-ran\n";
static const char page[] = "plain text, not extracted\n";

START_TEST(test_agent_fetch_http)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *arc = in_tmp("served.tgz"), *gz = in_tmp("notes.txt.gz");
	char *arc_data, *gz_data, *out, *p;
	size_t arc_len, gz_len;
	char u1[128], u2[128], u3[128], u4[128];
	const struct update *u;
	struct stat st;
	json_t *f;

	make_archive(arc, ARC_TGZ, good_tree, 4);
	make_gz(gz, "unzipped notes\n");
	arc_data = slurp(arc, &arc_len);
	gz_data = slurp(gz, &gz_len);
	srv_route("/v1/served.tgz", 200, arc_data, arc_len, false);
	srv_route("/bin/tool", 200, tool_sh, strlen(tool_sh), false);
	srv_route("/notes.txt.gz", 200, gz_data, gz_len, false);
	srv_route("/page.html", 200, page, strlen(page), false);
	srv_start();
	snprintf(u1, sizeof(u1), "http://127.0.0.1:%d/v1/served.tgz", srv.port);
	snprintf(u2, sizeof(u2), "http://127.0.0.1:%d/bin/tool", srv.port);
	snprintf(u3, sizeof(u3), "http://127.0.0.1:%d/notes.txt.gz", srv.port);
	snprintf(u4, sizeof(u4), "http://127.0.0.1:%d/page.html", srv.port);
	f = json_pack("[{s:s}, {s:s, s:b, s:b}, {s:s}, {s:s, s:s}]", "uri", u1,
		      "uri", u2, "executable", 1, "extract", 1, "uri", u3,
		      "uri", u4, "destPath", "web/index.html");
	ck_assert_int_eq(
		launch_full(
			"h1",
			"./tool && cat notes.txt web/index.html && test -x app/run.sh",
			NULL, NULL, f, &err),
		0);
	u = wait_end("h1", 30);
	ck_assert_ptr_nonnull(u);
	ck_assert_msg(u->state == ROGER_TASK_FINISHED, "%s", u->msg);
	out = task_file("h1", "stdout");
	ck_assert_ptr_nonnull(
		strstr(out, "tool-ran\nunzipped notes\nplain text"));
	p = sandbox_file("h1", "tool");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(st.st_mode & S_IXOTH);
	free(p);
	srv_stop();
	json_decref(f);
	free(out);
	free(arc_data);
	free(gz_data);
	free(arc);
	free(gz);
}
END_TEST

START_TEST(test_agent_fetch_executable_is_not_extracted)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *arc = in_tmp("keep.tar.gz"), uri[PATH_MAX + 16], *p;
	const struct update *u;
	struct stat st;
	json_t *f;

	make_archive(arc, ARC_TGZ, good_tree, 4);
	snprintf(uri, sizeof(uri), "%s", arc); /* a plain absolute path */
	f = fetch_of(uri, 1, 1, NULL);
	ck_assert_int_eq(
		launch_full("x1", "test ! -e data.txt && test -x keep.tar.gz",
			    NULL, NULL, f, &err),
		0);
	u = wait_end("x1", 20);
	ck_assert_ptr_nonnull(u);
	ck_assert_msg(u->state == ROGER_TASK_FINISHED, "%s", u->msg);
	p = sandbox_file("x1", "keep.tar.gz");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0111, 0111);
	free(p);
	json_decref(f);
	free(arc);
}
END_TEST

static void expect_fetch_failure(const char *id, json_t *f,
				 const char *in_stderr)
{
	struct roger_err err = ROGER_ERR_INIT;
	const struct update *u;
	char states[128], want[256], *sb, *e;

	ck_assert_int_eq(
		launch_full(id, "echo must-not-run", NULL, NULL, f, &err), 0);
	u = wait_end(id, 30);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->state, ROGER_TASK_FAILED);
	sb = roger_agent_sandbox(agent, id);
	snprintf(
		want, sizeof(want),
		"Failed to launch container: Failed to fetch all URIs for container '%s' with exit status: 256",
		strrchr(sb, '/') + 1);
	ck_assert_str_eq(u->msg, want);
	states_of(id, states, sizeof(states));
	ck_assert_str_eq(states, "FAILED");
	e = task_file(id, "stderr");
	ck_assert_msg(strstr(e, in_stderr) != NULL, "stderr lacks '%s': %s",
		      in_stderr, e);
	free(e);
	e = task_file(id, "stdout");
	ck_assert_ptr_null(strstr(e, "must-not-run"));
	free(e);
	free(sb);
}

START_TEST(test_agent_fetch_failures)
{
	char uri[256];
	json_t *f;

	srv_start();
	snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/missing.tgz", srv.port);
	f = fetch_of(uri, -1, -1, NULL);
	expect_fetch_failure("ff1", f, "received HTTP return code 404");
	json_decref(f);
	f = fetch_of("file:///nonexistent/roger/artifact.tgz", -1, -1, NULL);
	expect_fetch_failure("ff2", f, "No such file or directory");
	json_decref(f);
	f = fetch_of("hdfs://namenode/x.tgz", -1, -1, NULL);
	expect_fetch_failure("ff3", f, "unsupported URI scheme 'hdfs'");
	json_decref(f);
	f = fetch_of("/etc", -1, -1, NULL);
	expect_fetch_failure("ff4", f, "is not a regular file");
	json_decref(f);
	snprintf(uri, sizeof(uri), "http://user:s3cret@127.0.0.1:%d/nope.tgz",
		 srv.port);
	f = fetch_of(uri, -1, -1, NULL);
	expect_fetch_failure("ff5", f, "http://user:***@127.0.0.1");
	{
		char *e = task_file("ff5", "stderr");

		ck_assert_ptr_null(strstr(e, "s3cret"));
		free(e);
	}
	json_decref(f);
	srv_stop();
}
END_TEST

START_TEST(test_agent_kill_during_fetch)
{
	struct roger_err err = ROGER_ERR_INIT;
	const struct update *u;
	char uri[128], states[64];
	json_t *f;
	double t0;

	srv_route("/slow.tgz", 200, NULL, 0, true);
	srv_start();
	snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/slow.tgz", srv.port);
	f = fetch_of(uri, -1, -1, NULL);
	ck_assert_int_eq(launch_full("s1", "true", NULL, NULL, f, &err), 0);
	for (int i = 0;
	     i < 500 && __atomic_load_n(&srv.hits, __ATOMIC_SEQ_CST) == 0; i++)
		usleep(10000);
	t0 = now_s();
	ck_assert_int_eq(roger_agent_kill(agent, "s1", 5, &err), 0);
	u = wait_end("s1", 20);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->state, ROGER_TASK_KILLED);
	ck_assert(now_s() - t0 < 4);
	states_of("s1", states, sizeof(states));
	ck_assert_str_eq(states, "KILLED");
	srv_stop();
	json_decref(f);
}
END_TEST

/* ---- malicious archives -------------------------------------------------- */

struct evil {
	const char *what;
	struct ent e[3];
	size_t n;
};

/* Check that extracting `e` into a fresh directory fails and leaves
 * nothing outside it. */
static void expect_refused(const struct evil *ev, int flags)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_extract_opts eo;
	char *arc = in_tmp("evil.tar"), *dir = in_tmp("x/y"),
	     *outside = in_tmp("outside");
	char *victim = in_tmp("outside/victim"),
	     *pwned = in_tmp("outside/pwned");
	char *pwned2 = in_tmp("x/pwned"), *s;

	roger_fs_remove_tree(dir, NULL);
	roger_fs_remove_tree(outside, NULL);
	ck_assert_int_eq(roger_fs_mkdirs(dir, 0755, NULL), 0);
	ck_assert_int_eq(roger_fs_mkdirs(outside, 0755, NULL), 0);
	write_file(victim, "original\n", 9, 0644);
	make_archive(arc, ARC_TAR, ev->e, ev->n);
	memset(&eo, 0, sizeof(eo));
	eo.flags = flags;
	eo.name = "evil.tar";
	ck_assert_msg(roger_fetch_extract(arc, dir, &eo, &err) < 0,
		      "%s (flags %d) was accepted", ev->what, flags);
	ck_assert_msg(strstr(err.msg, "refusing archive 'evil.tar'") != NULL,
		      "%s: %s", ev->what, err.msg);
	s = slurp(victim, NULL);
	ck_assert_str_eq(s, "original\n");
	free(s);
	ck_assert_msg(!roger_fs_exists(pwned), "%s wrote outside", ev->what);
	ck_assert_msg(!roger_fs_exists(pwned2), "%s wrote outside", ev->what);
	free(arc);
	free(dir);
	free(outside);
	free(victim);
	free(pwned);
	free(pwned2);
}

START_TEST(test_agent_malicious_archives_refused)
{
	char abs_pwned[PATH_MAX], abs_outside[PATH_MAX], abs_victim[PATH_MAX];
	struct evil evils[] = {
		{ "an absolute path",
		  { { ENT_FILE, abs_pwned, "x", 0644 } },
		  1 },
		{ "a '..' entry", { { ENT_FILE, "../pwned", "x", 0644 } }, 1 },
		{ "a nested '..' entry",
		  { { ENT_FILE, "a/../../../outside/pwned", "x", 0644 } },
		  1 },
		{ "an absolute symlink and a file through it",
		  { { ENT_SYMLINK, "link", abs_outside, 0 },
		    { ENT_FILE, "link/pwned", "x", 0644 } },
		  2 },
		{ "a relative symlink out and a file through it",
		  { { ENT_SYMLINK, "link", "../../outside", 0 },
		    { ENT_FILE, "link/pwned", "x", 0644 } },
		  2 },
		{ "a symlink chain leading out",
		  { { ENT_SYMLINK, "l", ".", 0 },
		    { ENT_SYMLINK, "m", "l/..", 0 },
		    { ENT_FILE, "m/pwned", "x", 0644 } },
		  3 },
		{ "a hard link to an absolute path",
		  { { ENT_HARDLINK, "h", abs_victim, 0 } },
		  1 },
		{ "a hard link out with '..'",
		  { { ENT_HARDLINK, "h", "../../outside/victim", 0 } },
		  1 },
		{ "a character device",
		  { { ENT_CHARDEV, "null", NULL, 0 } },
		  1 },
		{ "a FIFO", { { ENT_FIFO, "fifo", NULL, 0 } }, 1 },
	};

	snprintf(abs_pwned, sizeof(abs_pwned), "%s/outside/pwned", tmp);
	snprintf(abs_outside, sizeof(abs_outside), "%s/outside", tmp);
	snprintf(abs_victim, sizeof(abs_victim), "%s/outside/victim", tmp);
	for (size_t i = 0; i < sizeof(evils) / sizeof(evils[0]); i++) {
		expect_refused(&evils[i], 0);
		expect_refused(&evils[i], ROGER_EXTRACT_NO_OPENAT2);
	}
}
END_TEST

START_TEST(test_agent_malicious_archive_fails_task)
{
	static const struct ent evil[] = {
		{ ENT_FILE, "ok.txt", "fine\n", 0644 },
		{ ENT_SYMLINK, "link", "../../../../../../../../../../tmp", 0 },
		{ ENT_FILE, "link/pwned-by-roger-test", "x", 0644 },
	};
	char *arc = in_tmp("evil.tgz"), uri[PATH_MAX + 16];
	json_t *f;

	make_archive(arc, ARC_TGZ, evil, 3);
	snprintf(uri, sizeof(uri), "file://%s", arc);
	f = fetch_of(uri, -1, -1, NULL);
	expect_fetch_failure(
		"m1", f,
		"refusing archive 'evil.tgz': entry 'link' is a symbolic link that leads out of the sandbox");
	ck_assert(!roger_fs_exists("/tmp/pwned-by-roger-test"));
	json_decref(f);
	free(arc);
}
END_TEST

/* A gzipped tar of one file of `size` zero bytes at `path`. */
static void make_bomb(const char *path, size_t size)
{
	static char zeros[65536];
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_pathname(ae, "zeros");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, (la_int64_t)size);
	ck_assert_int_eq(archive_write_header(a, ae), ARCHIVE_OK);
	for (size_t done = 0; done < size; done += sizeof(zeros))
		archive_write_data(a, zeros, sizeof(zeros));
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(ae);
}

/* An archive over the agent's cap (4 MiB here) fails the task with the
 * cap and the option in the sandbox's stderr; nothing of it is left. */
START_TEST(test_agent_fetch_bomb_refused)
{
	char *arc = in_tmp("bomb.tar.gz"), uri[PATH_MAX + 16], *p;
	json_t *f;

	make_bomb(arc, 16 << 20);
	snprintf(uri, sizeof(uri), "file://%s", arc);
	f = fetch_of(uri, -1, -1, NULL);
	expect_fetch_failure(
		"b1", f,
		"refusing archive 'bomb.tar.gz': it holds more than 4194304 bytes, the limit set by --max-extract-bytes (local.max_extract_bytes)");
	p = sandbox_file("b1", "zeros");
	ck_assert(!roger_fs_exists(p));
	free(p);
	json_decref(f);
	free(arc);
}
END_TEST

/* A truncated archive fails the task and leaves none of its entries. */
START_TEST(test_agent_fetch_truncated_archive)
{
	char *arc = in_tmp("cut.tar"), uri[PATH_MAX + 16], *p;
	struct stat st;
	json_t *f;

	make_archive(arc, ARC_TAR, good_tree, 4);
	ck_assert_int_eq(stat(arc, &st), 0);
	/* Into the data of data.txt, the second file. */
	ck_assert_int_eq(truncate(arc, 4 * 512 + 100), 0);
	snprintf(uri, sizeof(uri), "file://%s", arc);
	f = fetch_of(uri, -1, -1, NULL);
	expect_fetch_failure("t1", f, "cannot read archive 'cut.tar'");
	p = sandbox_file("t1", "app");
	ck_assert(!roger_fs_exists(p));
	free(p);
	json_decref(f);
	free(arc);
}
END_TEST

/* destPath is written without following symbolic links, even one that an
 * earlier archive left inside the sandbox. */
START_TEST(test_agent_fetch_dest_path_not_through_links)
{
	static const struct ent linked[] = {
		{ ENT_DIR, "sub", NULL, 0 },
		{ ENT_SYMLINK, "link", "sub", 0 },
	};
	char *arc = in_tmp("linked.tar"), *plain = in_tmp("plain.txt"), *p;
	char u1[PATH_MAX + 16], u2[PATH_MAX + 16];
	json_t *f;

	make_archive(arc, ARC_TAR, linked, 2);
	write_file(plain, "plain\n", 6, 0644);
	snprintf(u1, sizeof(u1), "file://%s", arc);
	snprintf(u2, sizeof(u2), "file://%s", plain);
	f = json_pack("[{s:s}, {s:s, s:s}]", "uri", u1, "uri", u2, "destPath",
		      "link/X");
	expect_fetch_failure(
		"dl1", f,
		"destination 'link/X' cannot be written: 'link' is a symbolic link");
	p = sandbox_file("dl1", "sub/X");
	ck_assert(!roger_fs_exists(p));
	free(p);
	json_decref(f);
	free(arc);
	free(plain);
}
END_TEST

/* ---- files API ----------------------------------------------------------- */

struct reply {
	struct roger_agent_reply r;
};

static json_t *reply_json(const struct roger_agent_reply *r)
{
	json_error_t je;
	json_t *j = json_loadb(r->body.buf, r->body.len, 0, &je);

	ck_assert_msg(j != NULL, "bad JSON (%s): %s", je.text, r->body.buf);
	return j;
}

static void do_read(struct roger_agent_reply *r, const char *path,
		    const char *off, const char *len)
{
	roger_agent_reply_release(r);
	roger_agent_reply_init(r);
	roger_agent_files_read(agent, path, off, len, r);
}

static void expect_400(const char *path, const char *off, const char *len,
		       const char *text)
{
	struct roger_agent_reply r;

	roger_agent_reply_init(&r);
	roger_agent_files_read(agent, path, off, len, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.content_type, "text/plain");
	ck_assert_str_eq(r.body.buf, text);
	roger_agent_reply_release(&r);
}

static void expect_read(const char *path, const char *off, const char *len,
			const char *data, long long offset)
{
	struct roger_agent_reply r;
	json_t *j;

	roger_agent_reply_init(&r);
	roger_agent_files_read(agent, path, off, len, &r);
	ck_assert_msg(r.status == 200, "%s: %d %s", path, r.status, r.body.buf);
	ck_assert_str_eq(r.content_type, "application/json");
	j = reply_json(&r);
	ck_assert_str_eq(json_string_value(json_object_get(j, "data")), data);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "offset")),
			 offset);
	ck_assert_int_eq(json_object_size(j), 2);
	json_decref(j);
	roger_agent_reply_release(&r);
}

static void expect_status(int status, const char *path)
{
	struct roger_agent_reply r;

	roger_agent_reply_init(&r);
	roger_agent_files_read(agent, path, NULL, NULL, &r);
	ck_assert_msg(r.status == status, "%s: %d, not %d", path, r.status,
		      status);
	if (status == 404)
		ck_assert_uint_eq(r.body.len, 0);
	roger_agent_reply_release(&r);
	roger_agent_reply_init(&r);
	roger_agent_files_download(agent, path, &r);
	ck_assert_msg(r.status == status, "download %s: %d, not %d", path,
		      r.status, status);
	ck_assert_int_eq(r.fd, -1);
	roger_agent_reply_release(&r);
}

/* A finished task with files to read: stdout "0123456789", a 200000-byte
 * file, bytes that are not UTF-8, a directory, and a link out. */
static char *files_task(void)
{
	const struct update *u;

	launch("fa",
	       "printf 0123456789 > ten; "
	       "i=0; while [ $i -lt 2000 ]; do printf '%099d\\n' $i; i=$((i+1)); done > big; "
	       "printf 'a\\377\\376\"\\\\\\001b\\n' > bin; mkdir -p dir/sub; ln -s /etc/passwd out; "
	       "ln -s ten ten-link");
	u = wait_end("fa", 30);
	ck_assert_ptr_nonnull(u);
	ck_assert_msg(u->state == ROGER_TASK_FINISHED, "%s", u->msg);
	return roger_agent_sandbox(agent, "fa");
}

START_TEST(test_agent_files_read)
{
	char *sb = files_task(), p[PATH_MAX], virt[PATH_MAX], latest[PATH_MAX];
	char *cid = strrchr(sb, '/') + 1;

	snprintf(p, sizeof(p), "%s/ten", sb);
	snprintf(virt, sizeof(virt),
		 "/frameworks/%s/executors/fa/runs/latest/ten", FID);
	snprintf(latest, sizeof(latest), "%.*s/latest/ten", (int)(cid - sb - 1),
		 sb);
	/* size probes */
	expect_read(p, "-1", NULL, "", 10);
	expect_read(p, NULL, NULL, "", 10);
	expect_read(p, "-1", "0", "", 10);
	/* ranges, all three path forms */
	expect_read(p, "0", NULL, "0123456789", 0);
	expect_read(virt, "2", "3", "234", 2);
	expect_read(latest, "7", "-1", "789", 7);
	expect_read(p, "4", "100", "456789", 4);
	expect_read(p, "3", "0", "", 3);
	expect_read(p, "10", NULL, "", 10);
	expect_read(p, "50", "5", "", 50);
	/* through a link inside the sandbox */
	snprintf(p, sizeof(p), "%s/ten-link", sb);
	expect_read(p, "0", "2", "01", 0);
	/* the messages */
	snprintf(p, sizeof(p), "%s/ten", sb);
	expect_400(NULL, NULL, NULL, "Expecting 'path=value' in query.\n");
	expect_400("", NULL, NULL, "Expecting 'path=value' in query.\n");
	expect_400(p, "-2", NULL, "Negative offset provided: -2.\n");
	expect_400(p, "0", "-7", "Negative length provided: -7.\n");
	expect_400(
		p, "abc", NULL,
		"Failed to parse offset: Failed to convert 'abc' to number.\n");
	expect_400(
		p, "1x", NULL,
		"Failed to parse offset: Failed to convert '1x' to number.\n");
	expect_400(
		p, "0", "zz",
		"Failed to parse length: Failed to convert 'zz' to number.\n");
	expect_400(sb, "0", NULL, "Cannot read a directory.\n");
	snprintf(p, sizeof(p), "%s/dir", sb);
	expect_400(p, NULL, NULL, "Cannot read a directory.\n");
	free(sb);
}
END_TEST

START_TEST(test_agent_files_read_cap_loop)
{
	char *sb = files_task(), p[PATH_MAX], off[32], *want;
	struct roger_agent_reply r;
	struct roger_buf all = ROGER_BUF_INIT;
	size_t want_len;
	int rounds = 0;

	snprintf(p, sizeof(p), "%s/big", sb);
	want = slurp(p, &want_len);
	ck_assert_uint_eq(want_len, 200000);
	roger_agent_reply_init(&r);
	for (;;) {
		json_t *j;
		const char *d;
		size_t n;

		snprintf(off, sizeof(off), "%zu", all.len);
		do_read(&r, p, off, NULL);
		ck_assert_int_eq(r.status, 200);
		j = reply_json(&r);
		d = json_string_value(json_object_get(j, "data"));
		n = json_string_length(json_object_get(j, "data"));
		ck_assert_int_eq(
			json_integer_value(json_object_get(j, "offset")),
			(json_int_t)all.len);
		ck_assert_uint_le(n, 65536);
		roger_buf_add(&all, d, n);
		json_decref(j);
		rounds++;
		if (n == 0)
			break;
	}
	ck_assert_int_eq(
		rounds, 5); /* 4 chunks (64K, 64K, 64K, 3392) + the empty one */
	ck_assert_uint_eq(all.len, want_len);
	ck_assert(memcmp(all.buf, want, want_len) == 0);
	roger_agent_reply_release(&r);
	roger_buf_release(&all);
	free(want);
	free(sb);
}
END_TEST

START_TEST(test_agent_files_raw_bytes)
{
	char *sb = files_task(), p[PATH_MAX];
	struct roger_agent_reply r;
	const char *want =
		"{\"data\":\"a\xff\xfe\\\"\\\\\\u0001b\\n\",\"offset\":0}";

	snprintf(p, sizeof(p), "%s/bin", sb);
	roger_agent_reply_init(&r);
	roger_agent_files_read(agent, p, "0", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body.len, strlen(want));
	ck_assert(memcmp(r.body.buf, want, r.body.len) == 0);
	ck_assert(!roger_utf8_valid(r.body.buf, r.body.len));
	roger_agent_reply_release(&r);
	free(sb);
}
END_TEST

START_TEST(test_agent_files_refuses_outside)
{
	char *sb = files_task(), p[PATH_MAX];
	char *cid = strrchr(sb, '/') + 1;

	expect_status(404, "/etc/passwd");
	expect_status(404, "etc/passwd");
	expect_status(404, work);
	snprintf(p, sizeof(p), "%s/ten/../../../../../../../../etc/passwd", sb);
	expect_status(404, p);
	snprintf(p, sizeof(p), "%s/no-such-file", sb);
	expect_status(404, p);
	snprintf(p, sizeof(p),
		 "/frameworks/%s/executors/nope/runs/latest/stdout", FID);
	expect_status(404, p);
	snprintf(p, sizeof(p),
		 "%.*s/00000000-0000-0000-0000-000000000000/stdout",
		 (int)(cid - sb - 1), sb);
	expect_status(404, p);
	/* a link in the sandbox pointing out of it */
	snprintf(p, sizeof(p), "%s/out", sb);
	expect_status(403, p);
	free(sb);
}
END_TEST

static void check_keys(json_t *ours, json_t *fixture, const char *where,
		       const char *const *skip)
{
	const char *key;
	json_t *v;

	ck_assert_msg(json_is_object(ours), "%s is not an object", where);
	json_object_foreach(fixture, key, v) {
		bool skipped = false;
		json_t *mine = json_object_get(ours, key);

		for (const char *const *s = skip; s && *s; s++)
			skipped = skipped || strcmp(*s, key) == 0;
		if (skipped)
			continue;
		ck_assert_msg(mine != NULL, "%s lacks '%s'", where, key);
		ck_assert_msg(
			json_typeof(mine) == json_typeof(v) ||
				(json_is_number(mine) && json_is_number(v)) ||
				(json_is_boolean(mine) && json_is_boolean(v)),
			"%s.%s has another type", where, key);
	}
}

static json_t *load_fixture(const char *name)
{
	char path[PATH_MAX];
	const char *dir = getenv("TEST_SRCDIR");
	json_error_t je;
	json_t *j;

	snprintf(path, sizeof(path), "%s/fixtures/%s", dir ? dir : "tests",
		 name);
	j = json_load_file(path, 0, &je);
	ck_assert_msg(j != NULL, "%s: %s", path, je.text);
	return j;
}

START_TEST(test_agent_files_browse)
{
	char *sb = files_task(), p[PATH_MAX], want[PATH_MAX];
	struct roger_agent_reply r;
	json_t *list, *fx, *e;
	const char *prev = "";
	size_t i;
	bool saw_stdout = false, saw_dir = false;

	fx = load_fixture("mesos-files-browse.json");
	snprintf(p, sizeof(p), "/frameworks/%s/executors/fa/runs/latest", FID);
	roger_agent_reply_init(&r);
	roger_agent_files_browse(agent, p, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, "application/json");
	list = reply_json(&r);
	ck_assert_int_eq(json_array_size(list), 7); /* all but the link out */
	json_array_foreach(list, i, e) {
		const char *path =
			json_string_value(json_object_get(e, "path"));

		check_keys(e, json_array_get(fx, 0), "browse entry", NULL);
		ck_assert(roger_starts_with(path, p));
		ck_assert_msg(strcmp(prev, path) < 0, "not sorted: %s, %s",
			      prev, path);
		prev = path;
		ck_assert_msg(!roger_starts_with(path + strlen(p), "/out"),
			      "the link out is listed");
		snprintf(want, sizeof(want), "%s/stdout", p);
		if (strcmp(path, want) == 0) {
			saw_stdout = true;
			ck_assert_str_eq(
				json_string_value(json_object_get(e, "mode")),
				"-rw-r--r--");
			ck_assert_int_eq(
				json_integer_value(json_object_get(e, "nlink")),
				1);
			ck_assert(json_integer_value(
					  json_object_get(e, "size")) > 0);
			ck_assert(json_integer_value(json_object_get(
					  e, "mtime")) > 1000000000);
			ck_assert(json_is_string(json_object_get(e, "uid")));
			ck_assert(json_is_string(json_object_get(e, "gid")));
		}
		snprintf(want, sizeof(want), "%s/dir", p);
		if (strcmp(path, want) == 0) {
			saw_dir = true;
			ck_assert_int_eq(json_string_value(
						 json_object_get(e, "mode"))[0],
					 'd');
		}
	}
	ck_assert(saw_stdout && saw_dir);
	json_decref(list);
	/* the real path lists real paths; a file lists nothing */
	roger_agent_reply_release(&r);
	roger_agent_reply_init(&r);
	roger_agent_files_browse(agent, sb, &r);
	ck_assert_int_eq(r.status, 200);
	list = reply_json(&r);
	snprintf(want, sizeof(want), "%s/big", sb);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(list, 0), "path")),
			 want);
	json_decref(list);
	roger_agent_reply_release(&r);
	roger_agent_reply_init(&r);
	snprintf(p, sizeof(p), "%s/ten", sb);
	roger_agent_files_browse(agent, p, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body.buf, "[]");
	roger_agent_reply_release(&r);
	roger_agent_reply_init(&r);
	roger_agent_files_browse(agent, "/etc", &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_uint_eq(r.body.len, 0);
	roger_agent_reply_release(&r);
	roger_agent_reply_init(&r);
	roger_agent_files_browse(agent, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	roger_agent_reply_release(&r);
	json_decref(fx);
	free(sb);
}
END_TEST

START_TEST(test_agent_files_download)
{
	char *sb = files_task(), p[PATH_MAX], buf[64];
	struct roger_agent_reply r;
	ssize_t n;

	snprintf(p, sizeof(p), "/frameworks/%s/executors/fa/runs/latest/ten",
		 FID);
	roger_agent_reply_init(&r);
	roger_agent_files_download(agent, p, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, "application/octet-stream");
	ck_assert_str_eq(r.filename, "ten");
	ck_assert_int_ge(r.fd, 0);
	n = read(r.fd, buf, sizeof(buf));
	ck_assert_int_eq(n, 10);
	ck_assert(memcmp(buf, "0123456789", 10) == 0);
	roger_agent_reply_release(&r);
	ck_assert_int_eq(r.fd, -1);
	roger_agent_reply_init(&r);
	roger_agent_files_download(agent, sb, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.body.buf, "Cannot download a directory.\n");
	roger_agent_reply_release(&r);
	roger_agent_reply_init(&r);
	roger_agent_files_download(agent, "", &r);
	ck_assert_int_eq(r.status, 400);
	roger_agent_reply_release(&r);
	free(sb);
}
END_TEST

/* ---- state endpoints ----------------------------------------------------- */

START_TEST(test_agent_state_shapes)
{
	static const char *const no_log_dir[] = { "log_dir", NULL };
	static const char *const fx_only_status[] = { NULL };
	json_t *fx, *st, *fw, *ex, *task, *fxfw, *fxex, *fxtask;
	const char *sb;
	char *want;

	launch("s1", "sleep 30");
	ck_assert_ptr_nonnull(wait_state("s1", ROGER_TASK_RUNNING, 20));
	fx = load_fixture("mesos-agent-state.json");
	st = roger_agent_state(agent);
	ck_assert_ptr_nonnull(st);
	check_keys(st, fx, "agent state", no_log_dir);
	check_keys(json_object_get(st, "resources"),
		   json_object_get(fx, "resources"), "resources", NULL);
	ck_assert_str_eq(json_string_value(json_object_get(st, "id")), AID);
	ck_assert_str_eq(json_string_value(json_object_get(st, "pid")),
			 "slave(1)@127.0.0.1:5051");
	fw = json_array_get(json_object_get(st, "frameworks"), 0);
	fxfw = json_array_get(json_object_get(fx, "frameworks"), 0);
	check_keys(fw, fxfw, "framework", NULL);
	ck_assert_str_eq(json_string_value(json_object_get(fw, "id")), FID);
	ex = json_array_get(json_object_get(fw, "executors"), 0);
	fxex = json_array_get(json_object_get(fxfw, "executors"), 0);
	check_keys(ex, fxex, "executor", NULL);
	ck_assert_str_eq(json_string_value(json_object_get(ex, "id")), "s1");
	ck_assert_str_eq(json_string_value(json_object_get(ex, "source")),
			 "s1");
	ck_assert_str_eq(
		json_string_value(json_object_get(ex, "name")),
		"Command Executor (Task: s1) (Command: sh -c 'sleep 30')");
	want = roger_agent_sandbox(agent, "s1");
	sb = json_string_value(json_object_get(ex, "directory"));
	ck_assert_str_eq(sb, want);
	ck_assert_str_eq(json_string_value(json_object_get(ex, "container")),
			 strrchr(want, '/') + 1);
	free(want);
	task = json_array_get(json_object_get(ex, "tasks"), 0);
	fxtask = json_array_get(json_object_get(fxex, "tasks"), 0);
	check_keys(task, fxtask, "task", NULL);
	ck_assert_str_eq(
		json_string_value(json_object_get(task, "executor_id")), "");
	ck_assert_str_eq(json_string_value(json_object_get(task, "state")),
			 "TASK_RUNNING");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(task, "resources"), "ports")),
			 "[31001-31002]");
	check_keys(json_array_get(json_object_get(task, "statuses"), 1),
		   json_array_get(json_object_get(fxtask, "statuses"), 1),
		   "status", fx_only_status);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_array_get(json_object_get(task, "statuses"), 1),
			"state")),
		"TASK_RUNNING");
	json_decref(st);

	/* Finished: the executor and the framework move to completed_*. */
	ck_assert_int_eq(roger_agent_kill(agent, "s1", 0, NULL), 0);
	ck_assert_ptr_nonnull(wait_end("s1", 20));
	st = roger_agent_state(agent);
	ck_assert_int_eq(json_array_size(json_object_get(st, "frameworks")), 0);
	fw = json_array_get(json_object_get(st, "completed_frameworks"), 0);
	ex = json_array_get(json_object_get(fw, "completed_executors"), 0);
	task = json_array_get(json_object_get(ex, "completed_tasks"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(task, "state")),
			 "TASK_KILLED");
	json_decref(st);
	json_decref(fx);
}
END_TEST

START_TEST(test_agent_master_state_shapes)
{
	static const char *const skip_top[] = { "log_dir", NULL };
	static const char *const skip_task[] = { NULL };
	json_t *fx, *st, *fw, *fxfw, *task, *slave;

	launch("ms1", "sleep 30");
	launch("ms2", "true");
	ck_assert_ptr_nonnull(wait_state("ms1", ROGER_TASK_RUNNING, 20));
	ck_assert_ptr_nonnull(wait_end("ms2", 20));
	fx = load_fixture("mesos-master-state.json");
	st = roger_agent_master_state(agent, &marathon_fw, 1,
				      "http://127.0.0.1:5051");
	ck_assert_ptr_nonnull(st);
	check_keys(st, fx, "master state", skip_top);
	check_keys(json_object_get(st, "leader_info"),
		   json_object_get(fx, "leader_info"), "leader_info", NULL);
	ck_assert_str_eq(json_string_value(json_object_get(st, "id")),
			 "20150513-185808-177048842-5050-1220");
	ck_assert_str_eq(json_string_value(json_object_get(st, "pid")),
			 "master@127.0.0.1:5051");
	slave = json_array_get(json_object_get(st, "slaves"), 0);
	check_keys(slave, json_array_get(json_object_get(fx, "slaves"), 0),
		   "slave", NULL);
	ck_assert_str_eq(json_string_value(json_object_get(slave, "id")), AID);
	ck_assert_int_eq(json_integer_value(json_object_get(slave, "port")),
			 5051);
	ck_assert_str_eq(json_string_value(json_object_get(slave, "pid")),
			 "slave(1)@127.0.0.1:5051");
	/* the ports of the running task, not those of the finished one */
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(slave, "used_resources"), "ports")),
		"[31001-31002]");
	fw = json_array_get(json_object_get(st, "frameworks"), 0);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(fw, "used_resources"), "ports")),
		"[31001-31002]");
	fxfw = json_array_get(json_object_get(fx, "frameworks"), 0);
	check_keys(fw, fxfw, "framework", NULL);
	ck_assert_str_eq(json_string_value(json_object_get(fw, "name")),
			 "marathon");
	ck_assert_int_eq(json_array_size(json_object_get(fw, "tasks")), 1);
	ck_assert_int_eq(
		json_array_size(json_object_get(fw, "completed_tasks")), 1);
	task = json_array_get(json_object_get(fw, "tasks"), 0);
	check_keys(task, json_array_get(json_object_get(fxfw, "tasks"), 0),
		   "task", skip_task);
	ck_assert_str_eq(json_string_value(json_object_get(task, "id")), "ms1");
	ck_assert_str_eq(json_string_value(json_object_get(task, "slave_id")),
			 AID);
	{
		char *sb = roger_agent_sandbox(agent, "ms1");
		json_t *s0 =
			json_array_get(json_object_get(task, "statuses"), 0);
		const char *cid = json_string_value(json_object_get(
			json_object_get(json_object_get(s0, "container_status"),
					"container_id"),
			"value"));

		ck_assert_str_eq(cid, strrchr(sb, '/') + 1);
		free(sb);
	}
	task = json_array_get(json_object_get(fw, "completed_tasks"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(task, "state")),
			 "TASK_FINISHED");
	json_decref(st);
	json_decref(fx);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *agent_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *tc;

	tc = tcase_create("tasks");
	tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_agent_task_finishes);
	tcase_add_test(tc, test_agent_task_fails_with_status);
	tcase_add_test(tc, test_agent_task_killed_by_signal);
	tcase_add_test(tc, test_agent_kill_with_term);
	tcase_add_test(tc, test_agent_kill_escalates_after_grace);
	tcase_add_test(tc, test_agent_kill_unknown_and_duplicates);
	tcase_add_test(tc, test_agent_environment);
	tcase_add_test(tc, test_agent_args_not_found);
	tcase_add_test(tc, test_agent_callback_reenters);
	tcase_add_test(tc, test_agent_leaves_other_children);
	tcase_add_test(tc, test_agent_concurrent_use);
	tcase_add_test(tc, test_agent_eviction_deletes_old_sandboxes);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifetime");
	tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_agent_free_kills_tasks);
	tcase_add_loop_test(tc, test_agent_crash_kills_tasks, 0, 2);
	tcase_add_test(tc, test_agent_restart_keeps_one_generation);
	tcase_add_test(tc, test_agent_new_kills_leftovers);
	suite_add_tcase(s, tc);

	tc = tcase_create("fetch");
	tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_agent_fetch_file_targz);
	tcase_add_test(tc, test_agent_fetch_formats);
	tcase_add_test(tc, test_agent_fetch_http);
	tcase_add_test(tc, test_agent_fetch_executable_is_not_extracted);
	tcase_add_test(tc, test_agent_fetch_failures);
	tcase_add_test(tc, test_agent_kill_during_fetch);
	tcase_add_test(tc, test_agent_fetch_bomb_refused);
	tcase_add_test(tc, test_agent_fetch_truncated_archive);
	tcase_add_test(tc, test_agent_fetch_dest_path_not_through_links);
	tcase_add_test(tc, test_agent_malicious_archives_refused);
	tcase_add_test(tc, test_agent_malicious_archive_fails_task);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_agent_files_read);
	tcase_add_test(tc, test_agent_files_read_cap_loop);
	tcase_add_test(tc, test_agent_files_raw_bytes);
	tcase_add_test(tc, test_agent_files_refuses_outside);
	tcase_add_test(tc, test_agent_files_browse);
	tcase_add_test(tc, test_agent_files_download);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_agent_state_shapes);
	tcase_add_test(tc, test_agent_master_state_shapes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(agent_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
