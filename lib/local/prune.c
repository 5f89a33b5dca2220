/*
 * prune.c - roger local's disk: removing what nothing needs any more, on
 * request (`roger local prune`) and, for sandboxes and artifacts, by the
 * server itself past a size.
 *
 * Three things grow without bound on a developer's machine: the sandboxes
 * of finished tasks (a crash-looping app leaves one a second, each with
 * its extracted artifact), the artifacts of the store, which every deploy
 * of a new commit adds and nothing removes, even once the app is
 * destroyed, and pulled images.  Pruning removes:
 *   - the sandboxes of finished tasks beyond the `keep` most recent of
 *     each app (the agent's, roger_agent_prune()), and those of earlier
 *     runs of the server, which it no longer serves;
 *   - the artifacts that no app refers to: neither its definition, nor a
 *     version Marathon keeps of it (a rollback needs them), nor a task, nor
 *     a deployment in progress, nor a Metronome job; and none used in the
 *     last GRACE_MS, since a deploy pushes (or finds, with HEAD) its
 *     artifact a moment before it sends the app that refers to it (the
 *     store dates a file again when it is asked for it).  References are
 *     looked for as strings: any string of the state that holds
 *     "/artifacts/<path>" keeps <path>, which errs on the side of keeping;
 *   - the images that no version of any app names (container.docker.image
 *     of the definitions in apps/) nor any job of metronome.json, unless
 *     a task still runs on one (the image store's locks say so, whether or
 *     not a server runs), and the blobs only they needed (images.c does
 *     the removing); and what a server killed outright left under
 *     agent/provisioner/ (a running server owns that directory; it
 *     removes what it leaves when it starts).
 * A task that runs is never touched, nor is its artifact or image.
 *
 * The server prunes sandboxes and artifacts once they pass gc_size
 * (checked at most once a minute, in a thread of its own).  `roger local
 * prune` asks a running server to prune them (POST /roger/prune, with the
 * token), or, when none runs, prunes the state directory itself: then no
 * task runs, the apps' files say what is referenced, and a task's app is
 * told by its task id.  Images are pruned by the command either way.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "http.h"
#include "target.h"
#include "util.h"
#include "local/beneath.h"
#include "local/images.h"
#include "local/internal.h"
#include "local/metronome-int.h"

#define GRACE_MS (10 * 60 * 1000LL)
#define GC_EVERY_MS (60 * 1000LL)

/* ---- what the state refers to ------------------------------------------ */

/* Add to `set` the artifact paths that the strings of `v` name. */
static void collect_refs(const json_t *v, json_t *set)
{
	const char *key, *s, *at;
	json_t *val;
	size_t i;

	if (!v)
		return;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, val)
			collect_refs(val, set);
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, val)
			collect_refs(val, set);
		break;
	case JSON_STRING:
		s = json_string_value(v);
		for (at = strstr(s, "/artifacts/"); at;
		     at = strstr(at + 1, "/artifacts/")) {
			char *rel = strndup(at + 11, strcspn(at + 11, "?#"));

			if (rel && *rel)
				json_object_set_new(set, rel, json_true());
			free(rel);
		}
		break;
	default:
		break;
	}
}

/*
 * Add to `set` what the jobs of roger local's Metronome refer to: the
 * strings of <state>/metronome.json, which the server saves after every
 * change, so the file is current whether or not a server runs.  A file
 * that is there but cannot be read might refer to anything: an error.
 */
static int job_refs(const char *state_dir, json_t *set, struct roger_err *err)
{
	char *path = roger_path_join(state_dir, ROGER_LOCAL_METRONOME_FILE);
	json_t *doc = path ? json_load_file(path, 0, NULL) : NULL;
	int rc = 0;

	if (!path)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	else if (!doc && roger_fs_exists(path))
		rc = roger_err_set(err, ROGER_EINVALID,
				   "cannot read '%s', so nothing is pruned",
				   path);
	collect_refs(doc, set);
	json_decref(doc);
	free(path);
	return rc;
}

/* Everything the server's state refers to (lock held). */
static void server_refs(struct roger_local *L, json_t *set)
{
	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		collect_refs(a->def, set);
		collect_refs(a->versions, set);
		for (struct roger_local_task *t = a->tasks; t; t = t->next)
			collect_refs(t->def, set);
	}
	for (struct roger_local_deployment *d = L->deployments; d; d = d->next)
		collect_refs(d->originals, set);
}

/* Everything the files of a stopped server's state refer to. */
static int disk_refs(const char *state_dir, json_t *set, struct roger_err *err)
{
	char *apps = roger_path_join(state_dir, "apps");
	char *deps = roger_path_join(state_dir, "deployments.json");
	struct dirent *e;
	json_t *doc;
	DIR *d;
	int rc = 0;

	if (!apps || !deps) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	d = opendir(apps);
	while (d && (e = readdir(d))) {
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = roger_path_join(apps, e->d_name);
		doc = path ? json_load_file(path, 0, NULL) : NULL;
		if (path && !doc && roger_fs_exists(path)) {
			/* What cannot be read might refer to anything. */
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"cannot read '%s', so nothing is pruned", path);
		}
		collect_refs(doc, set);
		json_decref(doc);
		free(path);
		if (rc < 0)
			break;
	}
	if (d)
		closedir(d);
	doc = json_load_file(deps, 0, NULL);
	collect_refs(doc, set);
	json_decref(doc);
	if (rc == 0)
		rc = job_refs(state_dir, set, err);
out:
	free(apps);
	free(deps);
	return rc;
}

/* ---- artifacts ----------------------------------------------------------- */

struct artifacts {
	json_t *refs; /* path -> true */
	int64_t before_ms; /* files used since are kept */
	unsigned removed;
	uint64_t bytes;
	json_t *names; /* the paths removed */
};

/* Prune the directory `rel` ("" the store's top) of the store at `fd`. */
static void prune_store_dir(struct artifacts *s, int fd, const char *rel)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;

	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		char *path;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strncmp(e->d_name, ".upload-", 8) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		path = *rel ? roger_path_join(rel, e->d_name)
			    : strdup(e->d_name);
		if (!path)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						 O_CLOEXEC);

			if (sub >= 0)
				prune_store_dir(s, sub, path);
			unlinkat(dirfd(d), e->d_name,
				 AT_REMOVEDIR); /* when empty */
		} else if (!json_object_get(s->refs, path) &&
			   (int64_t)st.st_mtim.tv_sec * 1000 +
					   st.st_mtim.tv_nsec / 1000000 <
				   s->before_ms &&
			   unlinkat(dirfd(d), e->d_name, 0) == 0) {
			s->removed++;
			s->bytes +=
				S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
			json_array_append_new(s->names, json_string(path));
		}
		free(path);
	}
	closedir(d);
}

static void prune_store(struct artifacts *s, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		prune_store_dir(s, fd, "");
}

static void fill_result(struct roger_local_prune_report *out,
			const struct artifacts *s, unsigned sandboxes,
			uint64_t sandbox_bytes)
{
	out->sandboxes = sandboxes;
	out->sandbox_bytes = sandbox_bytes;
	out->artifacts = s->removed;
	out->artifact_bytes = s->bytes;
	out->artifact_paths = json_incref(s->names);
}

void roger_local_prune_report_release(struct roger_local_prune_report *r)
{
	if (!r)
		return;
	json_decref(r->artifact_paths);
	r->artifact_paths = NULL;
}

/* ---- in the server ------------------------------------------------------- */

int roger_local_prune_run(struct roger_local *L, unsigned keep,
			  struct roger_local_prune_report *out,
			  struct roger_err *err)
{
	struct artifacts s = { 0 };
	unsigned sandboxes = 0;
	uint64_t sandbox_bytes = 0;
	int rc;

	s.refs = json_object();
	s.names = json_array();
	if (!s.refs || !s.names) {
		json_decref(s.refs);
		json_decref(s.names);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	s.before_ms = roger_ctx_wall_ms(L->ctx) - GRACE_MS;
	/*
	 * The jobs' references first, from their file (not under the lock:
	 * the Metronome has a lock of its own); a job comes to refer to an
	 * artifact only as its app does, and recent files are kept anyway.
	 */
	if ((rc = job_refs(L->state_dir, s.refs, err)) < 0) {
		json_decref(s.refs);
		json_decref(s.names);
		return rc;
	}
	/* The agent is never called with the lock held. */
	roger_agent_prune(L->agent, keep, &sandboxes, &sandbox_bytes);
	/*
	 * The store is pruned under the lock, so that no app can come to
	 * refer to a file between the look at the references and its
	 * removal.
	 */
	pthread_mutex_lock(&L->lock);
	server_refs(L, s.refs);
	prune_store(&s, L->artifacts_dir);
	pthread_mutex_unlock(&L->lock);
	fill_result(out, &s, sandboxes, sandbox_bytes);
	roger_log(
		L->ctx, ROGER_LOG_INFO,
		"pruned %u sandboxes (%llu bytes) and %u artifacts (%llu bytes)",
		out->sandboxes, (unsigned long long)out->sandbox_bytes,
		out->artifacts, (unsigned long long)out->artifact_bytes);
	json_decref(s.refs);
	json_decref(s.names);
	return 0;
}

static json_t *result_json(const struct roger_local_prune_report *r)
{
	return json_pack("{s:{s:I, s:I}, s:{s:I, s:I, s:O}}", "sandboxes",
			 "removed", (json_int_t)r->sandboxes, "bytes",
			 (json_int_t)r->sandbox_bytes, "artifacts", "removed",
			 (json_int_t)r->artifacts, "bytes",
			 (json_int_t)r->artifact_bytes, "paths",
			 r->artifact_paths ? r->artifact_paths : json_array());
}

void roger_local_prune_route(struct roger_local *L,
			     const struct roger_local_req *rq,
			     struct roger_local_resp *rs)
{
	struct roger_local_prune_report r = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	const char *keep = roger_local_query(rq, "keep");
	unsigned keep_n = ROGER_LOCAL_PRUNE_KEEP;
	char *end;
	long n;

	if (strcmp(rq->method, "POST")) {
		roger_local_resp_message(
			rs, 405, "method '%s' not allowed on /roger/prune",
			rq->method);
		roger_local_resp_header(rs, "Allow", "POST");
		return;
	}
	if (keep) {
		errno = 0;
		n = strtol(keep, &end, 10);
		if (!*keep || *end || errno || n < 0 || n > 100000) {
			roger_local_resp_message(
				rs, 400,
				"invalid keep '%s': expected a whole number",
				keep);
			return;
		}
		keep_n = (unsigned)n;
	}
	if (roger_local_prune_run(L, keep_n, &r, &err) < 0) {
		roger_local_resp_message(rs, 500, "%s", err.msg);
		return;
	}
	roger_local_resp_json(rs, 200, result_json(&r));
	roger_local_prune_report_release(&r);
}

/* ---- by itself, past a size -------------------------------------------- */

/* Once a minute (and at the start), prune when past the size. */
static void *gc_main(void *data)
{
	struct roger_local *L = data;

	pthread_mutex_lock(&L->lock);
	while (!L->stopping) {
		struct timespec ts;
		uint64_t used;

		pthread_mutex_unlock(&L->lock);
		used = roger_agent_tree_bytes(L->work_dir) +
		       roger_agent_tree_bytes(L->artifacts_dir);
		if (used > L->gc_size) {
			struct roger_local_prune_report r = { 0 };

			roger_log(
				L->ctx, ROGER_LOG_NOTICE,
				"sandboxes and artifacts hold %llu bytes, more than %llu: pruning",
				(unsigned long long)used,
				(unsigned long long)L->gc_size);
			if (roger_local_prune_run(L, ROGER_LOCAL_PRUNE_KEEP, &r,
						  NULL) == 0)
				roger_local_prune_report_release(&r);
		}
		pthread_mutex_lock(&L->lock);
		if (L->stopping)
			break;
		roger_clock_deadline(&ts, GC_EVERY_MS);
		pthread_cond_timedwait(&L->gc_wake, &L->lock, &ts);
	}
	pthread_mutex_unlock(&L->lock);
	return NULL;
}

int roger_local_gc_start(struct roger_local *L, struct roger_err *err)
{
	pthread_condattr_t attr;
	int rc;

	if (L->gc_size == UINT64_MAX)
		return 0;
	/* roger_clock_deadline() is on the monotonic clock. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&L->gc_wake, &attr);
	pthread_condattr_destroy(&attr);
	if (rc != 0)
		return roger_err_set(err, ROGER_ERROR,
				     "cannot start the collector thread");
	if (pthread_create(&L->gc_thread, NULL, gc_main, L) != 0) {
		pthread_cond_destroy(&L->gc_wake);
		return roger_err_set(err, ROGER_ERROR,
				     "cannot start the collector thread");
	}
	L->gc_started = true;
	return 0;
}

void roger_local_gc_stop(struct roger_local *L)
{
	if (!L->gc_started)
		return;
	pthread_mutex_lock(&L->lock);
	pthread_cond_broadcast(&L->gc_wake);
	pthread_mutex_unlock(&L->lock);
	pthread_join(L->gc_thread, NULL);
	pthread_cond_destroy(&L->gc_wake);
	L->gc_started = false;
}

/* ---- images ------------------------------------------------------------- */

static void add_image(json_t *set, const json_t *def)
{
	const char *image = json_string_value(json_object_get(
		json_object_get(json_object_get(def, "container"), "docker"),
		"image"));

	if (image)
		json_object_set_new(set, image, json_true());
}

/* The images the jobs of <state>/metronome.json run in (run.docker, run.ucr).
 */
static void add_job_images(json_t *set, const char *state_dir)
{
	char *path = roger_path_join(state_dir, ROGER_LOCAL_METRONOME_FILE);
	json_t *doc = path ? json_load_file(path, 0, NULL) : NULL, *j;
	size_t i;

	json_array_foreach(json_object_get(doc, "jobs"), i, j) {
		const json_t *run =
			json_object_get(json_object_get(j, "spec"), "run");
		const char *image = json_string_value(json_object_get(
			json_object_get(run, "docker"), "image"));

		if (!image)
			image = json_string_value(json_object_get(
				json_object_get(json_object_get(run, "ucr"),
						"image"),
				"id"));
		if (image)
			json_object_set_new(set, image, json_true());
	}
	json_decref(doc);
	free(path);
}

/* Every image the stored apps name, in any of their versions, and the
 * images of the jobs. */
static json_t *images_in_use(const char *state_dir)
{
	char *dir = roger_path_join(state_dir, "apps");
	json_t *set = json_object();
	struct dirent *de;
	DIR *d = dir ? opendir(dir) : NULL;

	while (d && (de = readdir(d))) {
		char *path;
		json_t *doc, *v;
		size_t i;

		if (de->d_name[0] == '.' || !strstr(de->d_name, ".json"))
			continue;
		path = roger_path_join(dir, de->d_name);
		doc = path ? json_load_file(path, 0, NULL) : NULL;
		add_image(set, json_object_get(doc, "app"));
		json_array_foreach(json_object_get(doc, "versions"), i, v)
			add_image(set, v);
		json_decref(doc);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	add_job_images(set, state_dir);
	return set;
}

/* Whether a server holds the state directory (its lock). */
static bool server_runs(const char *state_dir)
{
	char *path = roger_path_join(state_dir, "server.lock");
	int fd = path ? open(path, O_RDWR | O_CLOEXEC) : -1;
	bool held = false;

	if (fd >= 0) {
		held = flock(fd, LOCK_EX | LOCK_NB) < 0;
		close(fd);
	}
	free(path);
	return held;
}

/* The images and containers part of roger_local_prune(). */
static int prune_images(struct roger_local_prune_report *out,
			const char *state_dir, struct roger_err *err)
{
	struct roger_images_prune_report r;
	json_t *set = images_in_use(state_dir);
	const char **keep = calloc(json_object_size(set) + 1, sizeof(*keep));
	char *images = roger_path_join(state_dir, "images");
	const char *key;
	json_t *v;
	size_t n = 0;
	int rc;

	if (!keep || !images) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	json_object_foreach(set, key, v)
		keep[n++] = key;
	if ((rc = roger_images_prune(&r, images, keep, err)) < 0)
		goto out;
	out->images = r.images;
	out->images_in_use = r.in_use;
	out->blobs = r.blobs;
	out->bytes = r.bytes;
	if (!server_runs(state_dir)) {
		char *prov = roger_path_join(state_dir, "agent/provisioner");

		if (prov && roger_fs_exists(prov)) {
			(void)roger_beneath_remove(AT_FDCWD, prov);
			out->containers = 1;
		}
		free(prov);
	}
out:
	free(keep);
	free(images);
	json_decref(set);
	return rc;
}

/* ---- roger local prune --------------------------------------------------- */

/* The app part of a task id: "web_hello" of "web_hello.instance-<uuid>._app.1".
 */
static size_t task_app_len(const char *task_id)
{
	const char *inst = strstr(task_id, ".instance-");
	const char *dot = strrchr(task_id, '.');

	if (inst)
		return (size_t)(inst - task_id);
	return dot ? (size_t)(dot - task_id) : strlen(task_id);
}

struct sandbox {
	const char *path;
	char *app;
	int64_t mtime;
};

static int by_app_newest(const void *x, const void *y)
{
	const struct sandbox *a = x, *b = y;
	int c = strcmp(a->app, b->app);

	if (c)
		return c;
	return a->mtime < b->mtime ? 1 : a->mtime > b->mtime ? -1 : 0;
}

/*
 * The sandboxes of a stopped server: every executor directory of its
 * current generation beyond the `keep` newest of each app.  No task runs:
 * none outlives the server.
 */
static void prune_sandboxes_offline(const char *work_dir, unsigned keep,
				    unsigned *removed, uint64_t *bytes)
{
	static const char tail[] = "/slaves/*/frameworks/*/executors/*";
	struct sandbox *v = NULL;
	char *pattern = malloc(2 * strlen(work_dir) + sizeof(tail)), *p;
	glob_t g = { 0 };
	size_t n = 0;

	/* The directory's own name taken literally: its glob characters
	 * escaped. */
	for (p = pattern; p && *work_dir; work_dir++) {
		if (strchr("*?[\\", *work_dir))
			*p++ = '\\';
		*p++ = *work_dir;
	}
	if (p)
		memcpy(p, tail, sizeof(tail));
	if (pattern && glob(pattern, GLOB_ONLYDIR, NULL, &g) == 0)
		v = calloc(g.gl_pathc, sizeof(*v));
	for (size_t i = 0; v && i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		const char *name = strrchr(path, '/') + 1;
		struct stat st;

		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		v[n].path = path;
		v[n].app = strndup(name, task_app_len(name));
		v[n].mtime = (int64_t)st.st_mtim.tv_sec;
		if (v[n].app)
			n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_app_newest);
	for (size_t i = 0, rank = 0; i < n; i++) {
		rank = i > 0 && !strcmp(v[i].app, v[i - 1].app) ? rank + 1 : 0;
		if (rank >= keep) {
			(*removed)++;
			*bytes += roger_agent_tree_bytes(v[i].path);
			roger_fs_remove_tree(v[i].path, NULL);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].app);
	free(v);
	globfree(&g);
	free(pattern);
}

static int prune_offline(struct roger_local_prune_report *out,
			 struct roger_ctx *ctx, const char *state_dir,
			 unsigned keep, struct roger_err *err)
{
	struct artifacts s = { 0 };
	char *work = roger_path_join(state_dir, "agent");
	char *store = roger_path_join(state_dir, "artifacts");
	unsigned sandboxes = 0;
	uint64_t sandbox_bytes = 0;
	int rc;

	s.refs = json_object();
	s.names = json_array();
	if (!work || !store || !s.refs || !s.names) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	s.before_ms = roger_ctx_wall_ms(ctx) - GRACE_MS;
	if ((rc = disk_refs(state_dir, s.refs, err)) < 0)
		goto out;
	prune_sandboxes_offline(work, keep, &sandboxes, &sandbox_bytes);
	roger_agent_prune_generations(work, &sandboxes, &sandbox_bytes);
	prune_store(&s, store);
	fill_result(out, &s, sandboxes, sandbox_bytes);
	out->offline = true;
out:
	json_decref(s.refs);
	json_decref(s.names);
	free(work);
	free(store);
	return rc;
}

/* Read a result from the server's reply. */
static int parse_result(struct roger_local_prune_report *out,
			const struct roger_buf *body, struct roger_err *err)
{
	json_t *doc = json_loadb(body->buf, body->len, 0, NULL);
	json_t *sb = json_object_get(doc, "sandboxes");
	json_t *ar = json_object_get(doc, "artifacts");
	json_t *paths = json_object_get(ar, "paths");

	if (!json_is_object(sb) || !json_is_object(ar) ||
	    !json_is_array(paths)) {
		json_decref(doc);
		return roger_err_set(
			err, ROGER_ERROR,
			"roger local answered the prune with something else than its result");
	}
	out->sandboxes =
		(unsigned)json_integer_value(json_object_get(sb, "removed"));
	out->sandbox_bytes =
		(uint64_t)json_integer_value(json_object_get(sb, "bytes"));
	out->artifacts =
		(unsigned)json_integer_value(json_object_get(ar, "removed"));
	out->artifact_bytes =
		(uint64_t)json_integer_value(json_object_get(ar, "bytes"));
	out->artifact_paths = json_incref(paths);
	json_decref(doc);
	return 0;
}

/* Ask the server of `st` to prune its sandboxes and artifacts. */
static int ask_server(struct roger_local_prune_report *out,
		      struct roger_ctx *ctx,
		      const struct roger_local_status *st,
		      const char *state_dir, unsigned keep,
		      struct roger_err *err)
{
	struct roger_http_client_opts co = { 0 };
	struct roger_http_client *c = NULL;
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_http_req req = { 0 };
	struct roger_auth auth = { 0 };
	char token[ROGER_LOCAL_TOKEN_LEN + 1] = "", url[64];
	const char *base = st->url;
	int rc;

	if ((rc = roger_local_token_read(token, state_dir, err)) < 0)
		return rc;
	auth.kind = ROGER_AUTH_TOKEN;
	auth.token = token;
	co.name = "roger local";
	co.bases = &base;
	co.n_bases = 1;
	co.auth = &auth;
	co.max_retries = -1;
	if ((rc = roger_http_client_new(&c, ctx, &co, NULL, err)) < 0)
		goto out;
	snprintf(url, sizeof(url), "/roger/prune?keep=%u", keep);
	req.method = "POST";
	req.url = url;
	req.accept = "application/json";
	req.timeout_ms = 10 * 60 * 1000;
	rc = roger_http_client_send(c, &req, &resp, err);
	if (rc == 0 && !roger_http_resp_ok(&resp))
		rc = roger_http_client_status_err(c, &resp, err);
	if (rc == 0)
		rc = parse_result(out, &resp.body, err);
out:
	explicit_bzero(token, sizeof(token));
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	return rc;
}

int roger_local_prune(struct roger_local_prune_report *out,
		      struct roger_ctx *ctx, const char *state_dir,
		      unsigned keep, struct roger_err *err)
{
	struct roger_local_status st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = roger_local_status(&st, state_dir, err)) < 0)
		return rc;
	if (st.running)
		rc = ask_server(out, ctx, &st, state_dir, keep, err);
	else
		rc = prune_offline(out, ctx, state_dir, keep, err);
	if (rc == 0)
		rc = prune_images(out, state_dir, err);
	if (rc < 0)
		roger_local_prune_report_release(out);
	return rc;
}
