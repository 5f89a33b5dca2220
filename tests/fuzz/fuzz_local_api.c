/*
 * fuzz_local_api.c - roger local's Marathon API (lib/local/marathon-api.c
 * and what it calls: app normalization, deployments, label selectors,
 * embeds, events), in process: what anyone who reaches its port may send.
 *
 * Each input is a session of requests against one server state, which
 * starts empty and is thrown away afterwards.  The state has no agent, no
 * scheduler thread and so never a task: deployments stay in progress, as
 * behind a busy cluster; nothing is launched.  Apps are saved into a
 * directory of this process under /dev/shm (or /tmp), as the real server
 * saves them, and removed after each input.  An event stream a request
 * opens collects the events of the rest of the session.
 *
 * Input: requests separated by NUL bytes, each written like HTTP/1.0:
 *
 *	PUT /v2/apps/web?force=true&embed=app.tasks
 *	Content-Type: application/json
 *
 *	{"cmd": "sleep 1", "instances": 2}
 *
 * The request line is the method and the target, whose path and query are
 * percent-decoded as libmicrohttpd decodes them; header lines (only
 * Content-Type and Accept count) end at a blank line; the rest is the body.
 * Paths under /artifacts/ go to the artifact store (GET and HEAD; it
 * holds web/hello.tar.gz and a link web/out to /etc/passwd), where an
 * accepted path must stay inside the store.  Every reply must have a
 * status between 100 and 599, and a JSON reply must be JSON.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/ctx.h"
#include "lib/err.h"
#include "lib/fs.h"
#include "lib/local/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_SUBS 8

static struct roger_local L;
static char dir[64];
static int64_t clock_ms;
static struct roger_local_sub *subs[MAX_SUBS];
static size_t n_subs;

/* A clock that moves 1 ms per reading, from the same instant each input. */
static int64_t fake_clock(void *data, bool wall)
{
	(void)data;
	(void)wall;
	return clock_ms++;
}

static void cleanup(void)
{
	roger_fs_remove_tree(dir, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	pthread_condattr_t attr;
	char file[128];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/roger-fuzz-local-api.XXXXXX", base);
	if (!mkdtemp(dir) || roger_ctx_new(&L.ctx, NULL) < 0)
		abort();
	atexit(cleanup);
	roger_ctx_set_clock_fn(L.ctx, fake_clock, NULL);
	L.state_dir = strdup(dir);
	L.apps_dir = roger_path_join(dir, "apps");
	L.artifacts_dir = roger_path_join(dir, "artifacts");
	L.work_dir = roger_path_join(dir, "agent");
	if (!L.state_dir || !L.apps_dir || !L.artifacts_dir || !L.work_dir ||
	    roger_fs_mkdirs(L.apps_dir, 0700, NULL) < 0 ||
	    roger_local_events_new(&L.events, 64) < 0)
		abort();
	/* One artifact in the store, and a link out of it. */
	snprintf(file, sizeof(file), "%s/web", L.artifacts_dir);
	if (roger_fs_mkdirs(file, 0755, NULL) < 0)
		abort();
	snprintf(file, sizeof(file), "%s/web/hello.tar.gz", L.artifacts_dir);
	if (roger_fs_write_atomic(file, "tar", 3, 0644, NULL) < 0)
		abort();
	snprintf(file, sizeof(file), "%s/web/out", L.artifacts_dir);
	if (symlink("/etc/passwd", file) < 0)
		abort();
	L.port = 7878;
	snprintf(L.url, sizeof(L.url), "http://127.0.0.1:7878");
	snprintf(L.leader, sizeof(L.leader), "127.0.0.1:7878");
	snprintf(L.master_id, sizeof(L.master_id),
		 "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43");
	snprintf(L.framework_id, sizeof(L.framework_id), "%s-0000",
		 L.master_id);
	snprintf(L.agent_id, sizeof(L.agent_id), "%s-S0", L.master_id);
	L.cap_cpus = 4;
	L.cap_mem = 8192;
	pthread_mutex_init(&L.lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&L.wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&L.health_done, NULL);
	return 0;
}

/* Back to an empty server: no apps (nor their files), no deployments. */
static void reset(void)
{
	while (L.apps) {
		struct roger_local_app *a = L.apps;

		L.apps = a->next;
		a->deleted = true;
		roger_local_state_save_app(&L, a);
		roger_local_app_free(a);
	}
	while (L.deployments) {
		struct roger_local_deployment *d = L.deployments;

		L.deployments = d->next;
		json_decref(d->steps);
		json_decref(d->originals);
		free(d);
	}
	for (size_t i = 0; i < n_subs; i++)
		roger_local_sub_free(subs[i]);
	n_subs = 0;
	L.dirty_deployments = false;
	clock_ms = 1600000000000;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode `n` bytes of `s` into a new string (NULs end it early). */
static char *decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *w = out;

	if (!out)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0 &&
		    hex(s[i + 2]) >= 0) {
			*w++ = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
			i += 2;
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	return out;
}

/* name=value pairs of a query string, as [[name, value], ...]. */
static json_t *query(const char *q, size_t n)
{
	json_t *pairs = json_array();
	const char *end = q + n;

	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(q, '=', (size_t)(stop - q));
		char *name = decode(q, (size_t)((eq ? eq : stop) - q));
		char *value =
			eq ? decode(eq + 1, (size_t)(stop - eq - 1)) : NULL;

		/* jansson refuses names and values that are not UTF-8. */
		json_array_append_new(
			pairs, json_pack("[s,s]", name, value ? value : ""));
		free(name);
		free(value);
		q = amp ? amp + 1 : end;
	}
	return pairs;
}

static void check_reply(const struct roger_local_resp *rs)
{
	json_t *doc;

	if (rs->status < 100 || rs->status > 599)
		abort();
	if (!rs->content_type || strcmp(rs->content_type, "application/json") ||
	    !rs->body.len)
		return;
	doc = json_loadb(rs->body.buf, rs->body.len,
			 JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!doc)
		abort();
	json_decref(doc);
}

/*
 * GET or HEAD of an artifact (server.c's route for /artifacts/): a path
 * the store accepts must name a file inside it, whatever the request says.
 */
static void artifact(const char *rel, bool head, struct roger_local_resp *rs)
{
	char *path = roger_local_artifact_path(&L, rel);
	size_t n = strlen(L.artifacts_dir);

	if (path && (strncmp(path, L.artifacts_dir, n) || path[n] != '/' ||
		     strstr(path + n, "/../") || strstr(path + n, "/./") ||
		     strstr(path + n, "//")))
		abort();
	free(path);
	roger_local_artifact_get(&L, rel, head, rs);
	check_reply(rs);
	if (rs->fd >= 0)
		close(rs->fd);
	rs->fd = -1;
}

/* One request of the session; `text` (n bytes) as in the header. */
static void request(const char *text, size_t n)
{
	const char *end = text + n, *line_end, *sp, *qm, *p;
	char *method = NULL, *path = NULL, *content_type = NULL, *accept = NULL;
	struct roger_local_req rq;
	struct roger_local_resp rs;

	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	roger_buf_init(&rq.body);
	roger_buf_init(&rs.body);
	rs.fd = -1;
	line_end = memchr(text, '\n', n);
	if (!line_end)
		line_end = end;
	sp = memchr(text, ' ', (size_t)(line_end - text));
	if (!sp)
		goto out;
	method = strndup(text, (size_t)(sp - text));
	qm = memchr(sp + 1, '?', (size_t)(line_end - sp - 1));
	path = decode(sp + 1, (size_t)((qm ? qm : line_end) - sp - 1));
	rq.query =
		qm ? query(qm + 1, (size_t)(line_end - qm - 1)) : json_array();
	/* Header lines up to a blank line. */
	for (p = line_end < end ? line_end + 1 : end; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((e ? e : end) - p);

		if (len == 0) {
			p++;
			break;
		}
		if (len > 14 && !strncasecmp(p, "Content-Type: ", 14)) {
			free(content_type);
			content_type = strndup(p + 14, len - 14);
		} else if (len > 8 && !strncasecmp(p, "Accept: ", 8)) {
			free(accept);
			accept = strndup(p + 8, len - 8);
		}
		p = e ? e + 1 : end;
	}
	if (!method || !path)
		goto out;
	roger_buf_add(&rq.body, p, (size_t)(end - p));
	rq.method = method;
	rq.path = path;
	rq.content_type = content_type;
	rq.accept = accept;
	rq.client_ip = "127.0.0.1";
	if (!strncmp(path, "/artifacts/", 11))
		artifact(path + 11, !strcmp(method, "HEAD"), &rs);
	else if (roger_local_api(&L, &rq, &rs))
		check_reply(&rs);
	if (rs.sub) {
		if (n_subs < MAX_SUBS)
			subs[n_subs++] = rs.sub;
		else
			roger_local_sub_free(rs.sub);
	}
out:
	roger_buf_release(&rs.body);
	json_decref(rs.headers);
	roger_buf_release(&rq.body);
	json_decref(rq.query);
	free(method);
	free(path);
	free(content_type);
	free(accept);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	reset();
	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		request(p, (size_t)((nul ? nul : end) - p));
		p = nul ? nul + 1 : end;
	}
	reset();
	return 0;
}
