/*
 * state.c - what roger local keeps across restarts, in its state directory.
 *
 *	cluster.json		{"frameworkId", "masterId", "agentId"}
 *	apps/<safe id>.json	{"app": definition, "version",
 *"lastConfigChangeAt", "lastScalingAt", "versions": [...], "lastTaskFailure"?}
 *	deployments.json
 *[{"id","version","steps","currentStep","originals", "forced"}]
 *
 * Every file is replaced atomically (temporary file, fsync, rename), so a
 * server killed at any moment finds either the old or the new content; for
 * what a request changed, the directory is synced too before the answer.  Tasks
 *are not stored: a restarted server starts them again (the agent makes sure no
 *task outlives its server).
 *
 * A request's change is saved before it is acknowledged (struct
 * roger_local_txn): every file it alters is first written beside its
 * target, and only when all of them are on disk are they renamed into
 * place; if one cannot be written, nothing is renamed and the change is
 * undone in memory, so the server never runs a state it could not recover.
 * What the scheduler changes on its own (a deployment's step, an app's
 * last task failure) is saved when it happens, and when that fails it is
 * kept as "behind" and tried again on every tick.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "local/internal.h"
#include "util.h"

/* What a temporary file of the state directory is named after its target. */
static char *temp_path(const char *path)
{
	char *tmp = NULL;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return NULL;
	return tmp;
}

/*
 * Write `doc` to a new temporary file beside `path`, synced to disk;
 * its name in *tmp_out (new string).  Nothing is left behind on failure.
 */
static int write_temp(char **tmp_out, const char *path, json_t *doc,
		      struct roger_err *err)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
	char *tmp = temp_path(path);
	int fd = -1, rc = 0;

	if (!text || !tmp) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || roger_write_all(fd, text, strlen(text)) < 0 ||
	    fsync(fd) < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				   path, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				   path, strerror(errno));
		goto out;
	}
	fd = -1;
	*tmp_out = tmp;
	tmp = NULL;
out:
	if (fd >= 0)
		close(fd);
	if (tmp && rc < 0)
		unlink(tmp);
	free(tmp);
	free(text);
	return rc;
}

/* fsync a directory, so that the renames and unlinks in it are durable. */
static int sync_dir(const char *dir, struct roger_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fsync(fd) < 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot sync '%s': %s", dir,
				   strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Replace `path` with `doc`; with `dir`, sync that directory after. */
static int save_json(const char *path, const char *dir, json_t *doc,
		     struct roger_err *err)
{
	char *tmp = NULL;
	int rc;

	if (!doc)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if ((rc = write_temp(&tmp, path, doc, err)) < 0)
		return rc;
	if (rename(tmp, path) < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				   path, strerror(errno));
		unlink(tmp);
	} else if (dir) {
		rc = sync_dir(dir, err);
	}
	free(tmp);
	return rc;
}

static json_t *load_json(const char *path, struct roger_err *err)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);

	if (!doc)
		roger_err_set(err, ROGER_EINVALID,
			      "cannot load '%s': %s (line %d)", path, jerr.text,
			      jerr.line);
	return doc;
}

static char *app_path(struct roger_local *L, const char *id)
{
	char safe[512], name[530];

	roger_local_safe_id(safe, sizeof(safe), id);
	snprintf(name, sizeof(name), "%s.json", safe);
	return roger_path_join(L->apps_dir, name);
}

/* The document of an app's file (new reference). */
static json_t *app_doc(const struct roger_local_app *app)
{
	json_t *doc = json_pack("{s:O,s:s,s:s,s:s,s:O}", "app", app->def,
				"version", app->version, "lastConfigChangeAt",
				app->last_config, "lastScalingAt",
				app->last_scaling, "versions", app->versions);

	if (doc && app->last_failure)
		json_object_set(doc, "lastTaskFailure", app->last_failure);
	return doc;
}

/* deployments.json as it should be: those a change cancels left out. */
static json_t *deployments_doc(struct roger_local *L)
{
	json_t *doc = json_array();

	for (struct roger_local_deployment *d = L->deployments; d;
	     d = d->next) {
		if (d->cancelling)
			continue;
		if (json_array_append_new(
			    doc, json_pack("{s:s,s:s,s:O,s:i,s:O,s:b}", "id",
					   d->id, "version", d->version,
					   "steps", d->steps, "currentStep",
					   d->current_step, "originals",
					   d->originals, "forced", d->forced)) <
		    0) {
			json_decref(doc);
			return NULL;
		}
	}
	return doc;
}

int roger_local_state_save_app(struct roger_local *L,
			       struct roger_local_app *app)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *path = app_path(L, app->id);
	json_t *doc;
	int rc;

	if (!path) {
		app->unsaved = true;
		return ROGER_ENOMEM;
	}
	if (app->deleted) {
		if (unlink(path) < 0 && errno != ENOENT)
			rc = roger_err_set(&err, ROGER_EIO,
					   "cannot remove '%s': %s", path,
					   strerror(errno));
		else
			rc = 0;
	} else {
		doc = app_doc(app);
		rc = save_json(path, NULL, doc, &err);
		json_decref(doc);
	}
	if (rc < 0 && !app->unsaved)
		roger_log(L->ctx, ROGER_LOG_ERR, "%s; trying again", err.msg);
	app->unsaved = rc < 0;
	free(path);
	return rc;
}

int roger_local_state_save_deployments(struct roger_local *L)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *path = roger_path_join(L->state_dir, "deployments.json");
	json_t *doc = deployments_doc(L);
	int rc;

	if (!path)
		rc = roger_err_set(&err, ROGER_ENOMEM, "out of memory");
	else
		rc = save_json(path, NULL, doc, &err);
	if (rc < 0 && !L->deployments_save_failed)
		roger_log(L->ctx, ROGER_LOG_ERR, "%s; trying again", err.msg);
	L->deployments_save_failed = rc < 0;
	if (rc < 0)
		L->dirty_deployments = true;
	json_decref(doc);
	free(path);
	return rc;
}

void roger_local_state_flush(struct roger_local *L)
{
	for (struct roger_local_app *a = L->apps; a; a = a->next)
		if (a->unsaved)
			roger_local_state_save_app(L, a);
	if (L->dirty_deployments) {
		L->dirty_deployments = false;
		roger_local_state_save_deployments(L);
	}
}

static int load_cluster(struct roger_local *L, struct roger_err *err)
{
	char *path = roger_path_join(L->state_dir, "cluster.json");
	json_t *doc = NULL;
	int rc = 0;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (roger_fs_exists(path)) {
		doc = load_json(path, err);
		if (!doc) {
			rc = ROGER_EINVALID;
			goto out;
		}
		snprintf(L->framework_id, sizeof(L->framework_id), "%s",
			 json_string_value(json_object_get(doc, "frameworkId"))
				 ?: "");
		snprintf(L->master_id, sizeof(L->master_id), "%s",
			 json_string_value(json_object_get(doc, "masterId"))
				 ?: "");
		snprintf(L->agent_id, sizeof(L->agent_id), "%s",
			 json_string_value(json_object_get(doc, "agentId"))
				 ?: "");
	}
	if (!L->framework_id[0] || !L->master_id[0] || !L->agent_id[0]) {
		char uuid[37];

		roger_uuid(uuid);
		/* Mesos: master id, "<master>-0000" frameworks, "<master>-S0"
		 * agents. */
		snprintf(L->master_id, sizeof(L->master_id), "%s", uuid);
		snprintf(L->framework_id, sizeof(L->framework_id), "%s-0000",
			 uuid);
		snprintf(L->agent_id, sizeof(L->agent_id), "%s-S0", uuid);
		json_decref(doc);
		doc = json_pack("{s:s,s:s,s:s}", "frameworkId", L->framework_id,
				"masterId", L->master_id, "agentId",
				L->agent_id);
		rc = save_json(path, L->state_dir, doc, err);
	}
out:
	json_decref(doc);
	free(path);
	return rc;
}

static void load_app(struct roger_local *L, const char *path)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *doc = load_json(path, &err), *def;
	struct roger_local_app *app;

	if (!doc) {
		roger_log(L->ctx, ROGER_LOG_WARN, "%s, ignoring", err.msg);
		return;
	}
	def = json_object_get(doc, "app");
	if (!json_is_object(def) ||
	    !json_is_string(json_object_get(def, "id")) ||
	    !json_is_string(json_object_get(doc, "version"))) {
		roger_log(L->ctx, ROGER_LOG_WARN,
			  "invalid app file '%s', ignoring", path);
		json_decref(doc);
		return;
	}
	app = roger_local_app_add(L, json_incref(def));
	if (app) {
		snprintf(app->version, sizeof(app->version), "%s",
			 json_string_value(json_object_get(doc, "version")));
		snprintf(app->last_config, sizeof(app->last_config), "%s",
			 json_string_value(
				 json_object_get(doc, "lastConfigChangeAt"))
				 ?: app->version);
		snprintf(
			app->last_scaling, sizeof(app->last_scaling), "%s",
			json_string_value(json_object_get(doc, "lastScalingAt"))
				?: app->version);
		if (json_is_array(json_object_get(doc, "versions"))) {
			json_decref(app->versions);
			app->versions =
				json_incref(json_object_get(doc, "versions"));
		}
		if (json_is_object(json_object_get(doc, "lastTaskFailure")))
			app->last_failure = json_incref(
				json_object_get(doc, "lastTaskFailure"));
	}
	json_decref(doc);
}

/* ---- deployments.json, checked before anything of it is used -------------- */

static bool known_action(const char *a)
{
	return a && (!strcmp(a, "StartApplication") ||
		     !strcmp(a, "StopApplication") ||
		     !strcmp(a, "ScaleApplication") ||
		     !strcmp(a, "RestartApplication"));
}

/* A string member of `obj` shorter than `size` (non-empty), or an error. */
static const char *check_string(const json_t *obj, const char *key, size_t size,
				char *why, size_t why_size, const char *at)
{
	const json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	if (!v)
		snprintf(why, why_size, "%s.%s: missing", at, key);
	else if (!s)
		snprintf(why, why_size, "%s.%s: expected a string", at, key);
	else if (!*s || strlen(s) >= size)
		snprintf(why, why_size,
			 "%s.%s: expected a string of 1 to %zu characters", at,
			 key, size - 1);
	else
		return s;
	return NULL;
}

static bool check_steps(const json_t *steps, char *why, size_t why_size,
			const char *at)
{
	const json_t *step, *act;
	size_t i, j;

	if (!json_is_array(steps)) {
		snprintf(why, why_size, "%s.steps: expected an array", at);
		return false;
	}
	json_array_foreach(steps, i, step) {
		const json_t *acts = json_object_get(step, "actions");

		if (!json_is_array(acts)) {
			snprintf(why, why_size,
				 "%s.steps[%zu].actions: expected an array", at,
				 i);
			return false;
		}
		json_array_foreach(acts, j, act) {
			if (!known_action(json_string_value(
				    json_object_get(act, "action")))) {
				snprintf(
					why, why_size,
					"%s.steps[%zu].actions[%zu].action: expected StartApplication, StopApplication, ScaleApplication or RestartApplication",
					at, i, j);
				return false;
			}
			if (!json_is_string(json_object_get(act, "app"))) {
				snprintf(
					why, why_size,
					"%s.steps[%zu].actions[%zu].app: expected a string",
					at, i, j);
				return false;
			}
		}
	}
	return true;
}

/* Whether `doc` has the shape roger_local_state_save_deployments() writes;
 * if not, the first field that does not, and why, in `why`. */
static bool deployments_valid(const json_t *doc, char *why, size_t why_size)
{
	const struct roger_local_deployment *proto = NULL;
	const json_t *d, *v;
	char at[32];
	size_t i;

	if (!json_is_array(doc)) {
		snprintf(why, why_size, "expected an array of deployments");
		return false;
	}
	json_array_foreach(doc, i, d) {
		snprintf(at, sizeof(at), "[%zu]", i);
		if (!json_is_object(d)) {
			snprintf(why, why_size, "%s: expected an object", at);
			return false;
		}
		if (!check_string(d, "id", sizeof(proto->id), why, why_size,
				  at) ||
		    !check_string(d, "version", sizeof(proto->version), why,
				  why_size, at) ||
		    !check_steps(json_object_get(d, "steps"), why, why_size,
				 at))
			return false;
		v = json_object_get(d, "currentStep");
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    (size_t)json_integer_value(v) >
			    json_array_size(json_object_get(d, "steps"))) {
			snprintf(
				why, why_size,
				"%s.currentStep: expected an integer from 0 to the number of steps",
				at);
			return false;
		}
		v = json_object_get(d, "originals");
		if (v && !json_is_object(v)) {
			snprintf(why, why_size,
				 "%s.originals: expected an object", at);
			return false;
		}
		v = json_object_get(d, "forced");
		if (v && !json_is_boolean(v)) {
			snprintf(why, why_size,
				 "%s.forced: expected true or false", at);
			return false;
		}
	}
	return true;
}

/*
 * The deployments in progress.  A file that does not parse or has another
 * shape is refused: starting without it would silently forget deployments
 * that clients are watching, and guessing at a damaged one is worse.  The
 * message names the file and the field, and says how to start anyway.
 */
static int load_deployments(struct roger_local *L, struct roger_err *err)
{
	char *path = roger_path_join(L->state_dir, "deployments.json");
	json_t *doc = NULL, *d;
	json_error_t jerr;
	char why[400];
	size_t i;
	int rc = 0;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (!roger_fs_exists(path))
		goto out;
	doc = json_load_file(path, 0, &jerr);
	if (!doc)
		snprintf(why, sizeof(why), "line %d: %s", jerr.line, jerr.text);
	if (!doc || !deployments_valid(doc, why, sizeof(why))) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"invalid state file '%s': %s (move the file away to start without the deployments in progress)",
			path, why);
		goto out;
	}
	json_array_foreach(doc, i, d) {
		struct roger_local_deployment *dep = roger_local_deployment_add(
			L, json_object_get(d, "steps"),
			json_object_get(d, "originals"),
			json_string_value(json_object_get(d, "version")));

		if (!dep) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
		snprintf(dep->id, sizeof(dep->id), "%s",
			 json_string_value(json_object_get(d, "id")));
		dep->current_step = (int)json_integer_value(
			json_object_get(d, "currentStep"));
		dep->forced = json_is_true(json_object_get(d, "forced"));
	}
out:
	json_decref(doc);
	free(path);
	return rc;
}

/* Temporary files left by a server killed in the middle of a save. */
static bool stale_temp(const char *name)
{
	const char *t = strstr(name, ".json.tmp.");

	return t && t[10] >= '0' && t[10] <= '9';
}

int roger_local_state_load(struct roger_local *L, struct roger_err *err)
{
	DIR *dir;
	struct dirent *de;
	int rc;

	if ((rc = roger_fs_mkdirs(L->apps_dir, 0700, err)) < 0)
		return rc;
	if ((rc = roger_fs_mkdirs(L->artifacts_dir, 0755, err)) < 0)
		return rc;
	if ((rc = roger_fs_mkdirs(L->work_dir, 0700, err)) < 0)
		return rc;
	if ((rc = load_cluster(L, err)) < 0)
		return rc;
	dir = opendir(L->apps_dir);
	if (!dir)
		return roger_err_set(err, ROGER_EIO, "cannot open '%s'",
				     L->apps_dir);
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		char *path;

		if (stale_temp(de->d_name)) {
			unlinkat(dirfd(dir), de->d_name, 0);
			continue;
		}
		if (n < 6 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		path = roger_path_join(L->apps_dir, de->d_name);
		if (path)
			load_app(L, path);
		free(path);
	}
	closedir(dir);
	if ((rc = load_deployments(L, err)) < 0)
		return rc;
	L->dirty_deployments = false;
	return 0;
}

/* ---- a request's change, saved as a unit ----------------------------------- */

struct roger_local_txn_app {
	struct roger_local_app *app;
	bool created; /* by this change: removed when it is undone */
	/* the app as it was, for undoing */
	json_t *def, *versions;
	char version[ROGER_LOCAL_TIME_LEN];
	char last_config[ROGER_LOCAL_TIME_LEN];
	char last_scaling[ROGER_LOCAL_TIME_LEN];
	double delay_s;
	int64_t delay_until_ms;
	bool deleted;
};

struct roger_local_txn_event {
	char *type;
	json_t *data;
};

/* Make room for one more element of `size` bytes in *items. */
static bool grow(void **items, size_t n, size_t *cap, size_t size)
{
	void *p;
	size_t want;

	if (n < *cap)
		return true;
	want = *cap ? *cap * 2 : 8;
	p = realloc(*items, want * size);
	if (!p)
		return false;
	*items = p;
	*cap = want;
	return true;
}

void roger_local_txn_begin(struct roger_local *L, struct roger_local_txn *t)
{
	memset(t, 0, sizeof(*t));
	t->dirty_before = L->dirty_deployments;
	L->txn = t;
}

static struct roger_local_txn_app *txn_find(struct roger_local_txn *t,
					    const struct roger_local_app *app)
{
	for (size_t i = 0; i < t->n_apps; i++)
		if (t->apps[i].app == app)
			return &t->apps[i];
	return NULL;
}

void roger_local_txn_touch(struct roger_local *L, struct roger_local_app *app)
{
	struct roger_local_txn *t = L->txn;
	struct roger_local_txn_app *e;

	if (!t || !app || txn_find(t, app))
		return;
	if (!grow((void **)&t->apps, t->n_apps, &t->cap_apps,
		  sizeof(*t->apps))) {
		t->oom = true;
		return;
	}
	e = &t->apps[t->n_apps];
	memset(e, 0, sizeof(*e));
	e->app = app;
	e->def = json_incref(app->def);
	/* The array is changed in place; its elements never are. */
	e->versions = json_copy(app->versions);
	if (!e->versions) {
		json_decref(e->def);
		t->oom = true;
		return;
	}
	memcpy(e->version, app->version, sizeof(e->version));
	memcpy(e->last_config, app->last_config, sizeof(e->last_config));
	memcpy(e->last_scaling, app->last_scaling, sizeof(e->last_scaling));
	e->delay_s = app->delay_s;
	e->delay_until_ms = app->delay_until_ms;
	e->deleted = app->deleted;
	t->n_apps++;
}

void roger_local_txn_created(struct roger_local_txn *t,
			     struct roger_local_app *app)
{
	if (!grow((void **)&t->apps, t->n_apps, &t->cap_apps,
		  sizeof(*t->apps))) {
		t->oom = true;
		return;
	}
	memset(&t->apps[t->n_apps], 0, sizeof(t->apps[0]));
	t->apps[t->n_apps].app = app;
	t->apps[t->n_apps].created = true;
	t->n_apps++;
}

void roger_local_txn_deployments(struct roger_local_txn *t,
				 struct roger_local_deployment *added)
{
	t->deployments = true;
	if (!added)
		return;
	if (!grow((void **)&t->added, t->n_added, &t->cap_added,
		  sizeof(*t->added))) {
		t->oom = true;
		return;
	}
	t->added[t->n_added++] = added;
}

void roger_local_txn_event(struct roger_local_txn *t, const char *type,
			   json_t *data)
{
	char *copy = strdup(type);

	if (!copy || !data ||
	    !grow((void **)&t->events, t->n_events, &t->cap_events,
		  sizeof(*t->events))) {
		/* Losing an event is not worth refusing the change for. */
		free(copy);
		json_decref(data);
		return;
	}
	t->events[t->n_events].type = copy;
	t->events[t->n_events].data = data;
	t->n_events++;
}

/* One file of a change: a temporary file to rename, or a file to remove. */
struct txn_file {
	char *path;
	char *tmp; /* NULL: remove `path` */
	struct roger_local_app *app; /* NULL: deployments.json */
};

static void files_free(struct txn_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].tmp)
			unlink(f[i].tmp);
		free(f[i].tmp);
		free(f[i].path);
	}
	free(f);
}

/* Something of the change is on disk and something not: the scheduler
 * saves the rest as soon as it can. */
static void mark_behind(struct roger_local *L, struct txn_file *f)
{
	if (f->app)
		f->app->unsaved = true;
	else
		L->dirty_deployments = true;
}

/*
 * Write the change: 0 when all of it is on disk, ROGER_EIO with nothing of
 * it on disk, ROGER_EEXISTS (an odd code for an odd case) when only a part
 * could be put in place, the rest being retried by the scheduler.
 */
static int txn_write(struct roger_local *L, struct roger_local_txn *t,
		     struct roger_err *err)
{
	struct txn_file *files = calloc(t->n_apps + 1, sizeof(*files));
	size_t n = 0, done = 0;
	int rc = 0;

	if (!files || t->oom)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < t->n_apps; i++) {
		struct roger_local_app *app = t->apps[i].app;
		struct txn_file *f = &files[n++];
		json_t *doc;

		f->app = app;
		f->path = app_path(L, app->id);
		if (!f->path) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			break;
		}
		if (app->deleted)
			continue;
		doc = app_doc(app);
		if (!doc)
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		else
			rc = write_temp(&f->tmp, f->path, doc, err);
		json_decref(doc);
	}
	if (rc == 0 && t->deployments) {
		struct txn_file *f = &files[n++];
		json_t *doc = deployments_doc(L);

		f->path = roger_path_join(L->state_dir, "deployments.json");
		if (!f->path || !doc)
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		else
			rc = write_temp(&f->tmp, f->path, doc, err);
		json_decref(doc);
	}
	if (rc < 0)
		goto out;
	/* Everything is written: put it in place. */
	for (; done < n; done++) {
		struct txn_file *f = &files[done];
		int r = f->tmp ? rename(f->tmp, f->path) : unlink(f->path);

		if (r < 0 && !(f->tmp == NULL && errno == ENOENT)) {
			rc = roger_err_set(err, ROGER_EIO, "cannot %s '%s': %s",
					   f->tmp ? "write" : "remove", f->path,
					   strerror(errno));
			break;
		}
		free(f->tmp);
		f->tmp = NULL;
	}
	if (rc == 0 && n > 0 &&
	    ((t->n_apps > 0 && sync_dir(L->apps_dir, err) < 0) ||
	     (t->deployments && sync_dir(L->state_dir, err) < 0)))
		rc = ROGER_EIO;
	if (rc < 0 && done > 0) {
		for (size_t i = done < n ? done : 0; i < n; i++)
			mark_behind(L, &files[i]);
		rc = ROGER_EEXISTS;
	}
out:
	if (files)
		files_free(files, n);
	return rc;
}

/* Put everything the change did in memory back as it was. */
static void txn_undo(struct roger_local *L, struct roger_local_txn *t)
{
	for (size_t i = t->n_apps; i-- > 0;) {
		struct roger_local_txn_app *e = &t->apps[i];
		struct roger_local_app *app = e->app;

		if (e->created) {
			roger_local_app_unlink(L, app);
			roger_local_app_free(app);
			continue;
		}
		json_decref(app->def);
		app->def = e->def;
		e->def = NULL;
		json_decref(app->versions);
		app->versions = e->versions;
		e->versions = NULL;
		memcpy(app->version, e->version, sizeof(e->version));
		memcpy(app->last_config, e->last_config,
		       sizeof(e->last_config));
		memcpy(app->last_scaling, e->last_scaling,
		       sizeof(e->last_scaling));
		app->delay_s = e->delay_s;
		app->delay_until_ms = e->delay_until_ms;
		app->deleted = e->deleted;
	}
	for (size_t i = 0; i < t->n_added; i++)
		roger_local_deployment_drop(L, t->added[i]);
	for (struct roger_local_deployment *d = L->deployments; d; d = d->next)
		d->cancelling = false;
	L->dirty_deployments = t->dirty_before;
}

static void txn_release(struct roger_local_txn *t)
{
	for (size_t i = 0; i < t->n_apps; i++) {
		json_decref(t->apps[i].def);
		json_decref(t->apps[i].versions);
	}
	free(t->apps);
	free(t->added);
	for (size_t i = 0; i < t->n_events; i++) {
		free(t->events[i].type);
		json_decref(t->events[i].data);
	}
	free(t->events);
	memset(t, 0, sizeof(*t));
}

/* What the change did that waits for it to be saved: events out, the
 * deployments it cancelled gone. */
static void txn_finish(struct roger_local *L, struct roger_local_txn *t)
{
	struct roger_local_deployment *d, *next;

	for (size_t i = 0; i < t->n_events; i++) {
		roger_local_events_publish(L, t->events[i].type,
					   t->events[i].data);
		t->events[i].data = NULL;
	}
	for (d = L->deployments; d; d = next) {
		next = d->next;
		if (d->cancelling)
			roger_local_deployment_drop(L, d);
	}
}

/* Drop the headers a failed change had set in the response for success
 * (Location, Marathon-Deployment-Id); the caller sets the 500. */
static void clear_headers(struct roger_local_resp *rs)
{
	json_decref(rs->headers);
	rs->headers = NULL;
}

bool roger_local_txn_end(struct roger_local *L, struct roger_local_resp *rs)
{
	struct roger_local_txn *t = L->txn;
	struct roger_err err = ROGER_ERR_INIT;
	bool changed, saved = true;
	int rc = 0;

	if (!t)
		return true;
	L->txn = NULL;
	changed = t->n_apps > 0 || t->deployments || t->oom;
	if (changed)
		rc = txn_write(L, t, &err);
	if (rc == ROGER_EEXISTS) {
		roger_log(L->ctx, ROGER_LOG_ERR, "%s; trying again", err.msg);
		clear_headers(rs);
		roger_local_resp_message(
			rs, 500,
			"The change was made but only part of it is saved yet: %s",
			err.msg);
		saved = false;
	} else if (rc < 0) {
		roger_log(L->ctx, ROGER_LOG_ERR, "%s: change refused", err.msg);
		txn_undo(L, t);
		clear_headers(rs);
		roger_local_resp_message(
			rs, 500,
			"The change cannot be saved, so it was not made: %s",
			err.msg);
		txn_release(t);
		return false;
	}
	if (changed && rc == 0) {
		for (size_t i = 0; i < t->n_apps; i++)
			t->apps[i].app->unsaved = false;
		if (t->deployments)
			L->dirty_deployments = false;
	}
	txn_finish(L, t);
	txn_release(t);
	return saved;
}
