/*
 * state.c - what roger local keeps across restarts, in its state directory.
 *
 *	cluster.json		{"frameworkId", "masterId", "agentId"}
 *	apps/<safe id>.json	{"app": definition, "version", "lastConfigChangeAt",
 *				 "lastScalingAt", "versions": [...], "lastTaskFailure"?}
 *	deployments.json	[{"id","version","steps","currentStep","originals"}]
 *
 * Every file is replaced atomically (temporary file, fsync, rename), so a
 * server killed at any moment finds either the old or the new content.
 * Tasks are not stored: a restarted server starts them again (the agent
 * makes sure no task outlives its server).
 */
#include <config.h>

#include <dirent.h>
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

static int save_json(const char *path, json_t *doc, struct roger_err *err)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
	int rc;

	if (!text)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	rc = roger_fs_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

static json_t *load_json(const char *path, struct roger_err *err)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);

	if (!doc)
		roger_err_set(err, ROGER_EINVALID, "cannot load '%s': %s (line %d)",
			      path, jerr.text, jerr.line);
	return doc;
}

static char *app_path(struct roger_local *L, const char *id)
{
	char safe[512], name[530];

	roger_local_safe_id(safe, sizeof(safe), id);
	snprintf(name, sizeof(name), "%s.json", safe);
	return roger_path_join(L->apps_dir, name);
}

int roger_local_state_save_app(struct roger_local *L,
			       const struct roger_local_app *app)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *path = app_path(L, app->id);
	json_t *doc;
	int rc;

	if (!path)
		return ROGER_ENOMEM;
	if (app->deleted) {
		unlink(path);
		free(path);
		return 0;
	}
	doc = json_pack("{s:O,s:s,s:s,s:s,s:O}", "app", app->def, "version",
			app->version, "lastConfigChangeAt", app->last_config,
			"lastScalingAt", app->last_scaling, "versions",
			app->versions);
	if (app->last_failure)
		json_object_set(doc, "lastTaskFailure", app->last_failure);
	rc = save_json(path, doc, &err);
	if (rc < 0)
		roger_log(L->ctx, ROGER_LOG_ERR, "%s", err.msg);
	json_decref(doc);
	free(path);
	return rc;
}

int roger_local_state_save_deployments(struct roger_local *L)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *path = roger_path_join(L->state_dir, "deployments.json");
	json_t *doc = json_array();
	int rc;

	if (!path) {
		json_decref(doc);
		return ROGER_ENOMEM;
	}
	for (struct roger_local_deployment *d = L->deployments; d; d = d->next)
		json_array_append_new(
			doc, json_pack("{s:s,s:s,s:O,s:i,s:O,s:b}", "id", d->id,
				       "version", d->version, "steps", d->steps,
				       "currentStep", d->current_step,
				       "originals", d->originals, "forced",
				       d->forced));
	rc = save_json(path, doc, &err);
	if (rc < 0)
		roger_log(L->ctx, ROGER_LOG_ERR, "%s", err.msg);
	json_decref(doc);
	free(path);
	return rc;
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
			 json_string_value(json_object_get(doc, "frameworkId")) ?: "");
		snprintf(L->master_id, sizeof(L->master_id), "%s",
			 json_string_value(json_object_get(doc, "masterId")) ?: "");
		snprintf(L->agent_id, sizeof(L->agent_id), "%s",
			 json_string_value(json_object_get(doc, "agentId")) ?: "");
	}
	if (!L->framework_id[0] || !L->master_id[0] || !L->agent_id[0]) {
		char uuid[37];

		roger_uuid(uuid);
		/* Mesos: master id, "<master>-0000" frameworks, "<master>-S0" agents. */
		snprintf(L->master_id, sizeof(L->master_id), "%s", uuid);
		snprintf(L->framework_id, sizeof(L->framework_id), "%s-0000", uuid);
		snprintf(L->agent_id, sizeof(L->agent_id), "%s-S0", uuid);
		json_decref(doc);
		doc = json_pack("{s:s,s:s,s:s}", "frameworkId", L->framework_id,
				"masterId", L->master_id, "agentId", L->agent_id);
		rc = save_json(path, doc, err);
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
			 json_string_value(json_object_get(doc, "lastConfigChangeAt")) ?: app->version);
		snprintf(app->last_scaling, sizeof(app->last_scaling), "%s",
			 json_string_value(json_object_get(doc, "lastScalingAt")) ?: app->version);
		if (json_is_array(json_object_get(doc, "versions"))) {
			json_decref(app->versions);
			app->versions = json_incref(json_object_get(doc, "versions"));
		}
		if (json_is_object(json_object_get(doc, "lastTaskFailure")))
			app->last_failure = json_incref(json_object_get(doc, "lastTaskFailure"));
	}
	json_decref(doc);
}

static void load_deployments(struct roger_local *L)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *path = roger_path_join(L->state_dir, "deployments.json");
	json_t *doc, *d;
	size_t i;

	if (!path || !roger_fs_exists(path)) {
		free(path);
		return;
	}
	doc = load_json(path, &err);
	if (!doc)
		roger_log(L->ctx, ROGER_LOG_WARN, "%s, ignoring", err.msg);
	json_array_foreach(doc, i, d)
	{
		struct roger_local_deployment *dep;

		if (!json_is_string(json_object_get(d, "id")) ||
		    !json_is_array(json_object_get(d, "steps")))
			continue;
		dep = roger_local_deployment_add(
			L, json_object_get(d, "steps"),
			json_object_get(d, "originals"),
			json_string_value(json_object_get(d, "version")) ?: "");
		if (!dep)
			continue;
		snprintf(dep->id, sizeof(dep->id), "%s",
			 json_string_value(json_object_get(d, "id")));
		dep->current_step = (int)json_integer_value(json_object_get(d, "currentStep"));
		dep->forced = json_is_true(json_object_get(d, "forced"));
	}
	json_decref(doc);
	free(path);
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

		if (n < 6 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		path = roger_path_join(L->apps_dir, de->d_name);
		if (path)
			load_app(L, path);
		free(path);
	}
	closedir(dir);
	load_deployments(L);
	L->dirty_deployments = false;
	return 0;
}
