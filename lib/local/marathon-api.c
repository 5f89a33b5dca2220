/*
 * marathon-api.c - the Marathon 1.10 REST subset of roger local.
 *
 * Each handler parses its request outside the scheduler lock, then takes
 * the lock to read or change apps and deployments, and answers with the
 * status codes and bodies of the contract (shared/api/MARATHON-MESOS.md):
 * 201 + AppInfo for POST /v2/apps, 200/201 + {deploymentId, version} for
 * changes, the 409 lock body with its literal <DEPLOYMENT_ID>, 415 for a
 * body that is not declared JSON, 400 with a string `details` for JSON
 * that does not parse, 422 for validation, 404 messages worded as
 * Marathon's.  Every call that creates a deployment sets the
 * Marathon-Deployment-Id header and publishes the events of section 7.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "local/internal.h"
#include "marathon.h"
#include "util.h"
#include "version.h"

#define STOP_ACTION "StopApplication"
#define START_ACTION "StartApplication"
#define SCALE_ACTION "ScaleApplication"
#define RESTART_ACTION "RestartApplication"

static bool method_is(const struct roger_local_req *rq, const char *m)
{
	return !strcmp(rq->method, m);
}

static void method_not_allowed(struct roger_local_resp *rs, const char *allow)
{
	roger_local_resp_message(rs, 405, "HTTP 405 Method Not Allowed");
	roger_local_resp_header(rs, "Allow", allow);
}

/* ---- request bodies ------------------------------------------------------- */

static bool is_json_type(const char *ct)
{
	size_t n;

	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; ");
	return n == 16 && !strncasecmp(ct, "application/json", 16);
}

/* The JSON body of a POST/PUT/PATCH (new reference), or NULL with `rs` set. */
static json_t *json_body(const struct roger_local_req *rq,
			 struct roger_local_resp *rs)
{
	json_error_t jerr;
	json_t *doc;

	if (!is_json_type(rq->content_type)) {
		roger_local_resp_message(rs, 415, "Unsupported Media Type");
		return NULL;
	}
	doc = json_loadb(rq->body.buf, rq->body.len,
			 JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		char details[400];

		snprintf(details, sizeof(details), "%s at line %d, column %d",
			 jerr.text, jerr.line, jerr.column);
		roger_local_resp_json(rs, 400,
				      json_pack("{s:s,s:s}", "message",
						"Invalid JSON", "details",
						details));
		return NULL;
	}
	return doc;
}

/* ---- shared pieces -------------------------------------------------------- */

static void deployment_result(struct roger_local_resp *rs, int status,
			      const struct roger_local_deployment *d)
{
	roger_local_resp_header(rs, "Marathon-Deployment-Id", d->id);
	roger_local_resp_json(rs, status,
			      json_pack("{s:s,s:s}", "deploymentId", d->id,
					"version", d->version));
}

#define LOCKED_MESSAGE \
	"App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'."

/*
 * 409 "locked" when deployments hold `id`; with force they are cancelled.
 * As in Marathon 1.5+, a refused change still publishes deployment_failed
 * for the plan that never ran (an id nobody was given; its steps are not
 * computed here, so they are empty), then group_change_failed.
 */
static bool check_lock(struct roger_local *L, const char *id, bool force,
		       struct roger_local_resp *rs)
{
	json_t *deps = roger_local_deployments_of(L, id), *dep;
	size_t i;

	if (json_array_size(deps) == 0) {
		json_decref(deps);
		return true;
	}
	if (!force) {
		char version[ROGER_LOCAL_TIME_LEN], plan_id[37];

		roger_local_fmt_time(version, roger_local_now(L));
		roger_uuid(plan_id);
		roger_local_events_publish(
			L, "deployment_failed",
			json_pack("{s:s,s:{s:s,s:[],s:s},s:s,s:s,s:s}", "id",
				  plan_id, "plan", "id", plan_id, "steps",
				  "version", version, "eventType",
				  "deployment_failed", "timestamp", version,
				  "reason", LOCKED_MESSAGE));
		roger_local_events_publish(
			L, "group_change_failed",
			json_pack("{s:s,s:s,s:s}", "groupId", "/", "version",
				  version, "reason",
				  "App is locked by one or more deployments."));
		roger_local_resp_json(rs, 409,
				      json_pack("{s:o,s:s}", "deployments",
						deps, "message",
						LOCKED_MESSAGE));
		return false;
	}
	json_array_foreach(deps, i, dep) {
		struct roger_local_deployment *d = roger_local_deployment_find(
			L, json_string_value(json_object_get(dep, "id")));

		if (d)
			roger_local_deployment_cancel(L, d);
	}
	json_decref(deps);
	return true;
}

static void parent_group(char *out, size_t size, const char *id)
{
	const char *slash = strrchr(id, '/');

	if (!slash || slash == id)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - id), id);
}

static void publish_change(struct roger_local *L,
			   const struct roger_local_req *rq,
			   const struct roger_local_app *app, bool api_post)
{
	char group[512];

	if (api_post)
		roger_local_events_publish(
			L, "api_post_event",
			json_pack("{s:s,s:s,s:o}", "clientIp",
				  rq->client_ip ? rq->client_ip : "127.0.0.1",
				  "uri", rq->path, "appDefinition",
				  roger_local_app_json(L, app, false, 0)));
	parent_group(group, sizeof(group), app->id);
	roger_local_events_publish(L, "group_change_success",
				   json_pack("{s:s,s:s}", "groupId", group,
					     "version", app->version));
}

static json_t *action(const char *kind, const char *app)
{
	return json_pack("{s:s,s:s}", "action", kind, "app", app);
}

/* Steps from up to three groups of actions, empty groups dropped. */
static json_t *steps_of(json_t *stop, json_t *start, json_t *main)
{
	json_t *steps = json_array(), *groups[3] = { stop, start, main };

	for (int i = 0; i < 3; i++) {
		if (groups[i] && json_array_size(groups[i]) > 0)
			json_array_append_new(
				steps,
				json_pack("{s:O}", "actions", groups[i]));
		json_decref(groups[i]);
	}
	return steps;
}

static json_t *without_version(const json_t *def)
{
	json_t *out = json_deep_copy(def);

	json_object_del(out, "version");
	json_object_del(out, "versionInfo");
	return out;
}

/* Keep the service ports the app had for port definitions that ask for 0. */
static void keep_service_ports(json_t *def, const json_t *old)
{
	json_t *pds = json_object_get(def, "portDefinitions"), *pd;
	json_t *olds = json_object_get(old, "portDefinitions");
	size_t i;

	json_array_foreach(pds, i, pd) {
		json_t *o = json_array_get(olds, i);

		if (json_integer_value(json_object_get(pd, "port")) == 0 && o)
			json_object_set(pd, "port", json_object_get(o, "port"));
	}
}

/* ---- /v2/apps ---------------------------------------------------------------- */

static unsigned parse_embed(const struct roger_local_req *rq, unsigned dflt)
{
	unsigned embed = dflt;
	json_t *pair;
	size_t i;

	json_array_foreach(rq->query, i, pair) {
		const char *v = json_string_value(json_array_get(pair, 1));
		const char *prefixes[] = { "group.apps.", "apps.", "app." };

		if (strcmp(json_string_value(json_array_get(pair, 0)), "embed"))
			continue;
		for (size_t p = 0; p < 3; p++)
			if (!strncmp(v, prefixes[p], strlen(prefixes[p]))) {
				v += strlen(prefixes[p]);
				break;
			}
		if (!strcmp(v, "tasks"))
			embed |= ROGER_LOCAL_EMBED_TASKS |
				 ROGER_LOCAL_EMBED_DEPLOYMENTS;
		else if (!strcmp(v, "lastTaskFailure"))
			embed |= ROGER_LOCAL_EMBED_FAILURE;
		else if (!strcmp(v, "failures"))
			embed |= ROGER_LOCAL_EMBED_TASKS |
				 ROGER_LOCAL_EMBED_FAILURE |
				 ROGER_LOCAL_EMBED_DEPLOYMENTS;
		else if (!strcmp(v, "readiness"))
			embed |= ROGER_LOCAL_EMBED_READINESS;
		else if (!strcmp(v, "taskStats"))
			embed |= ROGER_LOCAL_EMBED_STATS;
	}
	return embed;
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay && *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return true;
	return n == 0;
}

/* One term of a label selector: "k==v", "k!=v", "k in (a,b)", "k". */
static bool label_term(const json_t *labels, const char *term)
{
	char key[256], vals[512];
	const char *op;
	const char *have;

	while (*term == ' ')
		term++;
	if ((op = strstr(term, "==")) || (op = strstr(term, "!="))) {
		bool eq = op[0] == '=';

		snprintf(key, sizeof(key), "%.*s", (int)(op - term), term);
		have = json_string_value(json_object_get(labels, key));
		return eq ? have && !strcmp(have, op + 2)
			  : !have || strcmp(have, op + 2);
	}
	if (sscanf(term, "%255s in (%511[^)])", key, vals) == 2 ||
	    sscanf(term, "%255s notin (%511[^)])", key, vals) == 2) {
		bool in = strstr(term, " notin ") == NULL, found = false;
		char *save = NULL;

		have = json_string_value(json_object_get(labels, key));
		for (char *v = strtok_r(vals, ",", &save); v;
		     v = strtok_r(NULL, ",", &save)) {
			while (*v == ' ')
				v++;
			if (have && !strcmp(have, v))
				found = true;
		}
		return in ? found : !found;
	}
	snprintf(key, sizeof(key), "%s", term);
	key[strcspn(key, " ")] = '\0';
	return json_object_get(labels, key) != NULL;
}

static bool label_match(const json_t *labels, const char *selector)
{
	char *copy = strdup(selector), *save = NULL;
	bool ok = true;
	int depth = 0;
	char *start = copy;

	if (!copy)
		return false;
	/* Split on commas outside parentheses. */
	for (char *p = copy;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if (*p == '\0' || (*p == ',' && depth == 0)) {
			char end = *p;

			*p = '\0';
			if (!label_term(labels, start))
				ok = false;
			if (end == '\0')
				break;
			start = p + 1;
		}
	}
	(void)save;
	free(copy);
	return ok;
}

static void list_apps(struct roger_local *L, const struct roger_local_req *rq,
		      struct roger_local_resp *rs, const char *group)
{
	unsigned embed = parse_embed(rq, ROGER_LOCAL_EMBED_COUNTS |
						 ROGER_LOCAL_EMBED_DEPLOYMENTS);
	const char *cmd = roger_local_query(rq, "cmd");
	const char *id = roger_local_query(rq, "id");
	const char *label = roger_local_query(rq, "label");
	json_t *apps = json_array();

	pthread_mutex_lock(&L->lock);
	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		if (a->deleted)
			continue;
		if (group && strncmp(a->id, group, strlen(group)))
			continue;
		if (cmd && !contains_ci(json_string_value(
						json_object_get(a->def, "cmd")),
					cmd))
			continue;
		if (id && !contains_ci(a->id, id))
			continue;
		if (label &&
		    !label_match(json_object_get(a->def, "labels"), label))
			continue;
		json_array_append_new(apps,
				      roger_local_app_json(L, a, true, embed));
	}
	pthread_mutex_unlock(&L->lock);
	roger_local_resp_json(rs, 200,
			      json_pack("{s:o}", group ? "*" : "apps", apps));
}

static void post_app(struct roger_local *L, const struct roger_local_req *rq,
		     struct roger_local_resp *rs)
{
	json_t *body = json_body(rq, rs), *def, *error = NULL, *resp, *stored;
	bool force = roger_local_query_bool(rq, "force", false);
	struct roger_local_deployment *d;
	struct roger_local_txn txn;
	struct roger_local_app *app;
	const char *id;
	int status = 0;
	char location[600];

	if (!body)
		return;
	def = roger_local_app_normalize(body, NULL, &status, &error);
	json_decref(body);
	if (!def) {
		roger_local_resp_json(rs, status, error);
		return;
	}
	if (roger_local_image_refused(L, def, rs)) {
		json_decref(def);
		return;
	}
	id = json_string_value(json_object_get(def, "id"));
	pthread_mutex_lock(&L->lock);
	roger_local_txn_begin(L, &txn);
	app = roger_local_app_find(L, id, true);
	if (app && !app->deleted) {
		roger_local_resp_message(
			rs, 409, "An app with id [%s] already exists.", id);
		goto out;
	}
	if (app && !check_lock(L, id, force, rs))
		goto out;
	stored = json_deep_copy(def);
	roger_local_assign_service_ports(L, stored, id);
	if (app) {
		roger_local_txn_touch(L, app);
		app->deleted = false;
		roger_local_app_set_def(L, app, stored, true);
	} else {
		app = roger_local_app_add(L, stored);
	}
	if (!app) {
		roger_local_resp_message(rs, 500, "out of memory");
		goto out;
	}
	{
		json_t *steps = steps_of(
			NULL, json_pack("[o]", action(START_ACTION, id)),
			json_pack("[o]", action(SCALE_ACTION, id)));
		json_t *originals = json_pack("{s:n}", id);

		d = roger_local_deployment_add(L, steps, originals,
					       app->version);
		json_decref(steps);
		json_decref(originals);
	}
	publish_change(L, rq, app, true);
	/* The 201 body is built from the definition before ports were given. */
	resp = roger_local_app_json(L, app, false, 0);
	json_object_set(resp, "portDefinitions",
			json_object_get(def, "portDefinitions"));
	json_object_del(resp, "versionInfo");
	json_object_set_new(resp, "tasksStaged", json_integer(0));
	json_object_set_new(resp, "tasksRunning", json_integer(0));
	json_object_set_new(resp, "tasksHealthy", json_integer(0));
	json_object_set_new(resp, "tasksUnhealthy", json_integer(0));
	json_object_set_new(resp, "deployments",
			    json_pack("[{s:s}]", "id", d->id));
	snprintf(location, sizeof(location), "%s/v2/apps%s", L->url, id);
	roger_local_resp_header(rs, "Location", location);
	roger_local_resp_header(rs, "Marathon-Deployment-Id", d->id);
	roger_local_resp_json(rs, 201, resp);
out:
	roger_local_txn_end(L, rs);
	pthread_mutex_unlock(&L->lock);
	json_decref(def);
}

/*
 * Apply a new definition to `id` (lock held, within a change): create the
 * app or update it, start the deployment, publish, answer.  `def` is
 * normalized (stolen).
 */
static void apply_def(struct roger_local *L, const struct roger_local_req *rq,
		      struct roger_local_resp *rs, const char *id, json_t *def,
		      bool force)
{
	struct roger_local_app *app = roger_local_app_find(L, id, true);
	struct roger_local_deployment *d;
	json_t *steps, *originals;
	bool created = false;

	if (app && !check_lock(L, id, force, rs)) {
		json_decref(def);
		return;
	}
	roger_local_txn_touch(L, app);
	if (app && !app->deleted) {
		long before = (long)json_integer_value(
			json_object_get(app->def, "instances"));
		bool config;

		originals = json_pack("{s:O}", id, app->def);
		keep_service_ports(def, app->def);
		roger_local_assign_service_ports(L, def, id);
		config = roger_local_app_set_def(L, app, def, false);
		if (config)
			steps = steps_of(
				NULL, NULL,
				json_pack("[o]", action(RESTART_ACTION, id)));
		else if (before !=
			 json_integer_value(json_object_get(def, "instances")))
			steps = steps_of(
				NULL, NULL,
				json_pack("[o]", action(SCALE_ACTION, id)));
		else
			steps = json_array();
	} else {
		originals = json_pack("{s:n}", id);
		roger_local_assign_service_ports(L, def, id);
		if (app) {
			app->deleted = false;
			roger_local_app_set_def(L, app, def, true);
		} else {
			app = roger_local_app_add(L, def);
		}
		created = true;
		steps = steps_of(NULL,
				 json_pack("[o]", action(START_ACTION, id)),
				 json_pack("[o]", action(SCALE_ACTION, id)));
	}
	if (!app) {
		json_decref(steps);
		json_decref(originals);
		roger_local_resp_message(rs, 500, "out of memory");
		return;
	}
	d = roger_local_deployment_add(L, steps, originals, app->version);
	json_decref(steps);
	json_decref(originals);
	publish_change(L, rq, app, true);
	if (created) {
		char location[600];

		snprintf(location, sizeof(location), "%s/v2/apps%s", L->url,
			 id);
		roger_local_resp_header(rs, "Location", location);
	}
	deployment_result(rs, created ? 201 : 200, d);
}

/* The definition an update asks for (new reference) or NULL with `rs` set. */
static json_t *update_def(struct roger_local *L, const json_t *body,
			  const char *id, bool partial,
			  struct roger_local_resp *rs)
{
	struct roger_local_app *app = roger_local_app_find(L, id, false);
	json_t *merged, *def, *error = NULL, *v;
	const char *k;
	int status = 0;

	if (app && partial) {
		merged = json_copy(app->def);
		json_object_foreach((json_t *)body, k, v) {
			if (!strcmp(k, "id") || !strcmp(k, "version") ||
			    !strcmp(k, "versionInfo"))
				continue;
			json_object_set(merged, k, v);
		}
		/* "ports" in an update replaces the port definitions. */
		if (json_object_get(body, "ports") &&
		    !json_object_get(body, "portDefinitions"))
			json_object_del(merged, "portDefinitions");
	} else {
		merged = json_incref((json_t *)body);
	}
	def = roger_local_app_normalize(merged, id, &status, &error);
	json_decref(merged);
	if (!def)
		roger_local_resp_json(rs, status, error);
	if (def && roger_local_image_refused(L, def, rs)) {
		json_decref(def);
		def = NULL;
	}
	return def;
}

static void rollback_app(struct roger_local *L,
			 const struct roger_local_req *rq,
			 struct roger_local_resp *rs, const char *id,
			 const char *version, bool force)
{
	struct roger_local_app *app = roger_local_app_find(L, id, false);
	json_t *entry, *found = NULL;
	size_t i;

	if (!app) {
		roger_local_resp_message(rs, 404, "App '%s' does not exist",
					 id);
		return;
	}
	json_array_foreach(app->versions, i, entry)
		if (!strcmp(json_string_value(
				    json_object_get(entry, "version")),
			    version))
			found = entry;
	if (!found) {
		roger_local_resp_message(rs, 404, "App '%s' does not exist",
					 id);
		return;
	}
	apply_def(L, rq, rs, id, without_version(found), force);
}

static bool only_version_fields(const json_t *body)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)body, k, v)
		if (strcmp(k, "id") && strcmp(k, "version"))
			return false;
	return true;
}

static void put_app(struct roger_local *L, const struct roger_local_req *rq,
		    struct roger_local_resp *rs, const char *id, bool patch)
{
	json_t *body = json_body(rq, rs), *def;
	bool force = roger_local_query_bool(rq, "force", false);
	bool partial =
		patch || roger_local_query_bool(rq, "partialUpdate", true);
	struct roger_local_txn txn;
	json_t *version;
	int64_t ms;

	if (!body)
		return;
	if (!json_is_object(body)) {
		roger_local_resp_json(
			rs, 422,
			roger_local_invalid("Invalid JSON", "/",
					    "error.expected.jsobject"));
		json_decref(body);
		return;
	}
	version = json_object_get(body, "version");
	pthread_mutex_lock(&L->lock);
	roger_local_txn_begin(L, &txn);
	if (patch && !roger_local_app_find(L, id, false)) {
		roger_local_resp_message(rs, 404, "App '%s' does not exist",
					 id);
		goto out;
	}
	if (version) {
		if (!only_version_fields(body)) {
			roger_local_resp_json(
				rs, 422,
				roger_local_invalid(
					"Object is not valid", "/",
					"The 'version' field may only be combined with the 'id' field."));
			goto out;
		}
		if (!json_is_string(version) ||
		    !roger_marathon_time_parse(&ms,
					       json_string_value(version))) {
			roger_local_resp_message(
				rs, 422,
				"Invalid timestamp provided '%s'. Expecting ISO-8601 datetime string.",
				json_is_string(version)
					? json_string_value(version)
					: "");
			goto out;
		}
		rollback_app(L, rq, rs, id, json_string_value(version), force);
		goto out;
	}
	def = update_def(L, body, id, partial, rs);
	if (def)
		apply_def(L, rq, rs, id, def, force);
out:
	roger_local_txn_end(L, rs);
	pthread_mutex_unlock(&L->lock);
	json_decref(body);
}

/* PUT/PATCH /v2/apps with an array: every app, one deployment. */
static void put_apps(struct roger_local *L, const struct roger_local_req *rq,
		     struct roger_local_resp *rs, bool patch)
{
	json_t *body = json_body(rq, rs), *item, *defs = json_array();
	json_t *start = json_array(), *main = json_array(),
	       *originals = json_object();
	bool force = roger_local_query_bool(rq, "force", false);
	bool partial =
		patch || roger_local_query_bool(rq, "partialUpdate", true);
	struct roger_local_deployment *d;
	struct roger_local_txn txn;
	char version[ROGER_LOCAL_TIME_LEN] = "";
	size_t i;

	if (!body)
		goto done;
	if (!json_is_array(body)) {
		roger_local_resp_json(
			rs, 422,
			roger_local_invalid("Invalid JSON", "/",
					    "error.expected.jsarray"));
		goto done;
	}
	pthread_mutex_lock(&L->lock);
	roger_local_txn_begin(L, &txn);
	json_array_foreach(body, i, item) {
		const char *raw =
			json_string_value(json_object_get(item, "id"));
		char why[160], *id;
		json_t *def;

		if (!raw) {
			roger_local_resp_json(
				rs, 422,
				roger_local_invalid("Invalid JSON", "/id",
						    "error.path.missing"));
			goto unlock;
		}
		id = roger_local_app_id(raw, "/", why, sizeof(why));
		if (!id) {
			roger_local_resp_json(
				rs, 422,
				roger_local_invalid("Invalid JSON", "/id",
						    why));
			goto unlock;
		}
		if (patch && !roger_local_app_find(L, id, false)) {
			roger_local_resp_message(rs, 404,
						 "App '%s' does not exist", id);
			free(id);
			goto unlock;
		}
		def = update_def(L, item, id, partial, rs);
		if (!def || !check_lock(L, id, force, rs)) {
			json_decref(def);
			free(id);
			goto unlock;
		}
		json_array_append_new(defs, json_pack("[s,o]", id, def));
		free(id);
	}
	json_array_foreach(defs, i, item) {
		const char *id = json_string_value(json_array_get(item, 0));
		json_t *def = json_incref(json_array_get(item, 1));
		struct roger_local_app *app = roger_local_app_find(L, id, true);

		roger_local_txn_touch(L, app);
		if (app && !app->deleted) {
			long before = (long)json_integer_value(
				json_object_get(app->def, "instances"));

			json_object_set(originals, id, app->def);
			keep_service_ports(def, app->def);
			roger_local_assign_service_ports(L, def, id);
			if (roger_local_app_set_def(L, app, def, false))
				json_array_append_new(
					main, action(RESTART_ACTION, id));
			else if (before != json_integer_value(json_object_get(
						   def, "instances")))
				json_array_append_new(main,
						      action(SCALE_ACTION, id));
		} else {
			json_object_set_new(originals, id, json_null());
			roger_local_assign_service_ports(L, def, id);
			if (app) {
				app->deleted = false;
				roger_local_app_set_def(L, app, def, true);
			} else {
				app = roger_local_app_add(L, def);
			}
			json_array_append_new(start, action(START_ACTION, id));
			json_array_append_new(main, action(SCALE_ACTION, id));
		}
		if (app) {
			snprintf(version, sizeof(version), "%s", app->version);
			publish_change(L, rq, app, true);
		}
	}
	if (!version[0])
		roger_local_new_version(L, version, "");
	{
		json_t *steps = steps_of(NULL, start, main);

		start = main = NULL;
		d = roger_local_deployment_add(L, steps, originals, version);
		json_decref(steps);
		deployment_result(rs, 200, d);
	}
unlock:
	roger_local_txn_end(L, rs);
	pthread_mutex_unlock(&L->lock);
done:
	json_decref(start);
	json_decref(main);
	json_decref(originals);
	json_decref(defs);
	json_decref(body);
}

static void delete_app(struct roger_local *L, const struct roger_local_req *rq,
		       struct roger_local_resp *rs, const char *id)
{
	bool force = roger_local_query_bool(rq, "force", true);
	struct roger_local_app *app;
	struct roger_local_deployment *d;
	struct roger_local_txn txn;
	char version[ROGER_LOCAL_TIME_LEN];
	json_t *steps, *originals;

	pthread_mutex_lock(&L->lock);
	roger_local_txn_begin(L, &txn);
	app = roger_local_app_find(L, id, false);
	if (!app) {
		roger_local_resp_message(rs, 404, "App '%s' does not exist",
					 id);
		goto out;
	}
	if (!check_lock(L, id, force, rs))
		goto out;
	roger_local_txn_touch(L, app);
	app->deleted = true;
	roger_local_new_version(L, version, app->version);
	originals =
		json_pack("{s:o}", id, roger_local_app_json(L, app, false, 0));
	json_object_del(json_object_get(originals, id), "versionInfo");
	json_object_del(json_object_get(originals, id), "version");
	steps = steps_of(json_pack("[o]", action(STOP_ACTION, id)), NULL, NULL);
	d = roger_local_deployment_add(L, steps, originals, version);
	json_decref(steps);
	json_decref(originals);
	{
		char group[512];

		parent_group(group, sizeof(group), id);
		roger_local_events_publish(L, "group_change_success",
					   json_pack("{s:s,s:s}", "groupId",
						     group, "version",
						     version));
	}
	deployment_result(rs, 200, d);
out:
	roger_local_txn_end(L, rs);
	pthread_mutex_unlock(&L->lock);
}

static void restart_app(struct roger_local *L, const struct roger_local_req *rq,
			struct roger_local_resp *rs, const char *id)
{
	bool force = roger_local_query_bool(rq, "force", false);
	struct roger_local_app *app;
	struct roger_local_deployment *d;
	struct roger_local_txn txn;
	json_t *steps, *originals;

	if (!method_is(rq, "POST")) {
		method_not_allowed(rs, "POST");
		return;
	}
	pthread_mutex_lock(&L->lock);
	roger_local_txn_begin(L, &txn);
	app = roger_local_app_find(L, id, false);
	if (!app) {
		roger_local_resp_message(rs, 404, "App '%s' does not exist",
					 id);
		goto out;
	}
	if (!check_lock(L, id, force, rs))
		goto out;
	roger_local_txn_touch(L, app);
	originals = json_pack("{s:O}", id, app->def);
	roger_local_app_set_def(L, app, json_copy(app->def), true);
	steps = steps_of(NULL, NULL,
			 json_pack("[o]", action(RESTART_ACTION, id)));
	d = roger_local_deployment_add(L, steps, originals, app->version);
	json_decref(originals);
	json_decref(steps);
	publish_change(L, rq, app, false);
	deployment_result(rs, 200, d);
out:
	roger_local_txn_end(L, rs);
	pthread_mutex_unlock(&L->lock);
}

static void get_app(struct roger_local *L, const struct roger_local_req *rq,
		    struct roger_local_resp *rs, const char *id)
{
	unsigned embed = parse_embed(rq, ROGER_LOCAL_EMBED_TASKS |
						 ROGER_LOCAL_EMBED_FAILURE |
						 ROGER_LOCAL_EMBED_COUNTS |
						 ROGER_LOCAL_EMBED_DEPLOYMENTS);
	struct roger_local_app *app;

	pthread_mutex_lock(&L->lock);
	app = roger_local_app_find(L, id, false);
	if (app)
		roger_local_resp_json(
			rs, 200,
			json_pack("{s:o}", "app",
				  roger_local_app_json(L, app, true, embed)));
	else
		roger_local_resp_message(rs, 404, "App '%s' does not exist",
					 id);
	pthread_mutex_unlock(&L->lock);
}

/* ---- tasks of an app ---------------------------------------------------------- */

/* Scale `app` down by `n` killed tasks (lock held, within a change): the
 * deployment result. */
static void scale_down(struct roger_local *L, const struct roger_local_req *rq,
		       struct roger_local_resp *rs, struct roger_local_app *app,
		       long n)
{
	json_t *def = json_copy(app->def), *steps, *originals;
	long instances =
		(long)json_integer_value(json_object_get(def, "instances"));
	struct roger_local_deployment *d;

	roger_local_txn_touch(L, app);
	originals = json_pack("{s:O}", app->id, app->def);
	json_object_set_new(def, "instances",
			    json_integer(instances > n ? instances - n : 0));
	roger_local_app_set_def(L, app, def, false);
	steps = steps_of(NULL, NULL,
			 json_pack("[o]", action(SCALE_ACTION, app->id)));
	d = roger_local_deployment_add(L, steps, originals, app->version);
	json_decref(steps);
	json_decref(originals);
	publish_change(L, rq, app, false);
	deployment_result(rs, 200, d);
}

static bool host_matches(const char *host)
{
	return !host || !*host || !strcmp(host, ROGER_LOCAL_HOST) ||
	       !strcmp(host, "localhost");
}

static void app_tasks(struct roger_local *L, const struct roger_local_req *rq,
		      struct roger_local_resp *rs, const char *id,
		      const char *task_id)
{
	bool scale = roger_local_query_bool(rq, "scale", false);
	bool wipe = roger_local_query_bool(rq, "wipe", false);
	bool force = roger_local_query_bool(rq, "force", false);
	struct roger_local_app *app;
	struct roger_local_txn txn;
	json_t *tasks;
	long killed = 0;

	if (!method_is(rq, "GET") && !method_is(rq, "DELETE")) {
		method_not_allowed(rs, task_id ? "DELETE" : "GET, DELETE");
		return;
	}
	if (task_id && method_is(rq, "GET")) {
		method_not_allowed(rs, "DELETE");
		return;
	}
	if (method_is(rq, "DELETE") && scale && wipe) {
		roger_local_resp_message(
			rs, 400,
			"You cannot use scale and wipe at the same time.");
		return;
	}
	pthread_mutex_lock(&L->lock);
	roger_local_txn_begin(L, &txn);
	app = roger_local_app_find(L, id, false);
	if (!app) {
		roger_local_resp_message(rs, 404, "App '%s' does not exist",
					 id);
		goto out;
	}
	tasks = json_array();
	for (struct roger_local_task *t = app->tasks; t; t = t->next) {
		if (roger_task_state_terminal(t->state))
			continue;
		if (task_id && strcmp(t->id, task_id))
			continue;
		if (method_is(rq, "DELETE") &&
		    !host_matches(roger_local_query(rq, "host")))
			continue;
		json_array_append_new(tasks,
				      roger_local_task_json(L, t, false));
	}
	if (method_is(rq, "GET")) {
		roger_local_resp_json(rs, 200,
				      json_pack("{s:o}", "tasks", tasks));
		goto out;
	}
	if (task_id && json_array_size(tasks) == 0) {
		json_decref(tasks);
		roger_local_resp_message(rs, 404, "Task '%s' does not exist",
					 task_id);
		goto out;
	}
	if (scale && !check_lock(L, id, force, rs)) {
		json_decref(tasks);
		goto out;
	}
	for (struct roger_local_task *t = app->tasks; t; t = t->next) {
		if (roger_task_state_terminal(t->state) || t->kill_wanted)
			continue;
		if (task_id && strcmp(t->id, task_id))
			continue;
		if (!host_matches(roger_local_query(rq, "host")))
			continue;
		roger_local_task_kill(L, t);
		killed++;
	}
	if (scale) {
		json_decref(tasks);
		scale_down(L, rq, rs, app, killed);
	} else if (task_id) {
		json_t *one = json_incref(json_array_get(tasks, 0));

		json_decref(tasks);
		roger_local_resp_json(rs, 200, json_pack("{s:o}", "task", one));
	} else {
		roger_local_resp_json(rs, 200,
				      json_pack("{s:o}", "tasks", tasks));
	}
out:
	roger_local_txn_end(L, rs);
	pthread_mutex_unlock(&L->lock);
}

/* ---- versions ------------------------------------------------------------------ */

static void app_versions(struct roger_local *L,
			 const struct roger_local_req *rq,
			 struct roger_local_resp *rs, const char *id,
			 const char *version)
{
	struct roger_local_app *app;
	json_t *entry;
	size_t i;
	int64_t ms;

	if (!method_is(rq, "GET")) {
		method_not_allowed(rs, "GET");
		return;
	}
	if (version && !roger_marathon_time_parse(&ms, version)) {
		roger_local_resp_message(
			rs, 422,
			"Invalid timestamp provided '%s'. Expecting ISO-8601 datetime string.",
			version);
		return;
	}
	pthread_mutex_lock(&L->lock);
	app = roger_local_app_find(L, id, false);
	if (!app) {
		roger_local_resp_message(rs, 404, "App '%s' does not exist",
					 id);
	} else if (!version) {
		json_t *list = json_array();

		for (i = json_array_size(app->versions); i-- > 0;)
			json_array_append(
				list, json_object_get(
					      json_array_get(app->versions, i),
					      "version"));
		roger_local_resp_json(rs, 200,
				      json_pack("{s:o}", "versions", list));
	} else {
		json_t *found = NULL;

		json_array_foreach(app->versions, i, entry) {
			int64_t have;

			if (roger_marathon_time_parse(
				    &have, json_string_value(json_object_get(
						   entry, "version"))) &&
			    have == ms)
				found = entry;
		}
		if (found)
			roger_local_resp_json(rs, 200, json_incref(found));
		else
			roger_local_resp_message(
				rs, 404,
				"App '%s' does not exist in version %s", id,
				version);
	}
	pthread_mutex_unlock(&L->lock);
}

/* ---- /v2/apps routing ---------------------------------------------------------- */

static void apps_route(struct roger_local *L, const struct roger_local_req *rq,
		       struct roger_local_resp *rs, const char *rest)
{
	char *copy = strdup(rest), *segs[64], *id = NULL, why[160];
	size_t n = 0, len;
	const char *kind = "app", *arg = NULL;

	if (!copy) {
		roger_local_resp_message(rs, 500, "out of memory");
		return;
	}
	for (char *save = NULL, *s = strtok_r(copy, "/", &save); s && n < 64;
	     s = strtok_r(NULL, "/", &save))
		segs[n++] = s;
	len = n;
	if (n >= 1 && !strcmp(segs[n - 1], "restart")) {
		kind = "restart";
		len = n - 1;
	} else if (n >= 1 && !strcmp(segs[n - 1], "tasks")) {
		kind = "tasks";
		len = n - 1;
	} else if (n >= 2 && !strcmp(segs[n - 2], "tasks")) {
		kind = "tasks";
		arg = segs[n - 1];
		len = n - 2;
	} else if (n >= 1 && !strcmp(segs[n - 1], "versions")) {
		kind = "versions";
		len = n - 1;
	} else if (n >= 2 && !strcmp(segs[n - 2], "versions")) {
		kind = "versions";
		arg = segs[n - 1];
		len = n - 2;
	} else if (n >= 1 && !strcmp(segs[n - 1], "*")) {
		kind = "group";
		len = n - 1;
	}
	{
		struct roger_buf b = ROGER_BUF_INIT;

		for (size_t i = 0; i < len; i++)
			roger_buf_addf(&b, "/%s", segs[i]);
		if (!strcmp(kind, "group")) {
			roger_buf_addch(&b, '/');
			if (method_is(rq, "GET"))
				list_apps(L, rq, rs, b.len > 1 ? b.buf : "/");
			else
				method_not_allowed(rs, "GET");
			roger_buf_release(&b);
			free(copy);
			return;
		}
		id = b.len ? roger_local_app_id(b.buf, "/", why, sizeof(why))
			   : NULL;
		roger_buf_release(&b);
	}
	if (!id) {
		roger_local_resp_message(rs, 404, "App '/%s' does not exist",
					 rest);
	} else if (!strcmp(kind, "restart")) {
		restart_app(L, rq, rs, id);
	} else if (!strcmp(kind, "tasks")) {
		app_tasks(L, rq, rs, id, arg);
	} else if (!strcmp(kind, "versions")) {
		app_versions(L, rq, rs, id, arg);
	} else if (method_is(rq, "GET")) {
		get_app(L, rq, rs, id);
	} else if (method_is(rq, "PUT")) {
		put_app(L, rq, rs, id, false);
	} else if (method_is(rq, "PATCH")) {
		put_app(L, rq, rs, id, true);
	} else if (method_is(rq, "DELETE")) {
		delete_app(L, rq, rs, id);
	} else {
		method_not_allowed(rs, "GET, PUT, PATCH, DELETE");
	}
	free(id);
	free(copy);
}

/* ---- /v2/deployments ------------------------------------------------------------ */

static void list_deployments(struct roger_local *L, struct roger_local_resp *rs)
{
	json_t *list = json_array();

	pthread_mutex_lock(&L->lock);
	for (struct roger_local_deployment *d = L->deployments; d; d = d->next)
		json_array_append_new(list, roger_local_deployment_json(L, d));
	pthread_mutex_unlock(&L->lock);
	roger_local_resp_json(rs, 200, list);
}

/* Undo a cancelled deployment: put every app back as it was (lock held). */
static struct roger_local_deployment *revert(struct roger_local *L,
					     const struct roger_local_req *rq,
					     json_t *originals)
{
	json_t *stop = json_array(), *start = json_array(),
	       *main = json_array();
	json_t *before = json_object(), *def, *steps;
	char version[ROGER_LOCAL_TIME_LEN] = "";
	struct roger_local_deployment *d;
	const char *id;

	json_object_foreach(originals, id, def) {
		struct roger_local_app *app = roger_local_app_find(L, id, true);

		if (json_is_null(def)) {
			/* It was created: remove it. */
			if (!app || app->deleted)
				continue;
			roger_local_txn_touch(L, app);
			json_object_set(before, id, app->def);
			app->deleted = true;
			roger_local_new_version(L, version, app->version);
			json_array_append_new(stop, action(STOP_ACTION, id));
			continue;
		}
		roger_local_txn_touch(L, app);
		def = without_version(def);
		if (!app || app->deleted) {
			json_object_set_new(before, id, json_null());
			if (app) {
				app->deleted = false;
				roger_local_app_set_def(L, app, def, true);
			} else {
				app = roger_local_app_add(L, def);
			}
			json_array_append_new(start, action(START_ACTION, id));
			json_array_append_new(main, action(SCALE_ACTION, id));
		} else {
			long instances = (long)json_integer_value(
				json_object_get(app->def, "instances"));

			json_object_set(before, id, app->def);
			if (roger_local_app_set_def(L, app, def, false))
				json_array_append_new(
					main, action(RESTART_ACTION, id));
			else if (instances !=
				 json_integer_value(
					 json_object_get(def, "instances")))
				json_array_append_new(main,
						      action(SCALE_ACTION, id));
		}
		if (app) {
			snprintf(version, sizeof(version), "%s", app->version);
			publish_change(L, rq, app, false);
		}
	}
	if (!version[0])
		roger_local_new_version(L, version, "");
	steps = steps_of(stop, start, main);
	d = roger_local_deployment_add(L, steps, before, version);
	json_decref(steps);
	json_decref(before);
	if (d)
		d->forced = true;
	return d;
}

static void delete_deployment(struct roger_local *L,
			      const struct roger_local_req *rq,
			      struct roger_local_resp *rs, const char *id)
{
	bool force = roger_local_query_bool(rq, "force", false);
	struct roger_local_deployment *d, *undo;
	struct roger_local_txn txn;
	json_t *originals;

	pthread_mutex_lock(&L->lock);
	roger_local_txn_begin(L, &txn);
	d = roger_local_deployment_find(L, id);
	if (!d) {
		roger_local_resp_message(
			rs, 404, "DeploymentPlan %s does not exist", id);
		goto out;
	}
	originals = json_incref(d->originals);
	roger_local_deployment_cancel(L, d);
	if (force) {
		json_decref(originals);
		rs->status = 202;
		rs->content_type = NULL;
		goto out;
	}
	undo = revert(L, rq, originals);
	json_decref(originals);
	if (undo)
		deployment_result(rs, 200, undo);
	else
		roger_local_resp_message(rs, 500, "out of memory");
out:
	roger_local_txn_end(L, rs);
	pthread_mutex_unlock(&L->lock);
}

/* ---- /v2/tasks, /v2/queue -------------------------------------------------------- */

static bool status_wanted(const struct roger_local_req *rq,
			  enum roger_task_state s)
{
	bool any = false, match = false;
	json_t *pair;
	size_t i;

	json_array_foreach(rq->query, i, pair) {
		const char *k = json_string_value(json_array_get(pair, 0));
		const char *v = json_string_value(json_array_get(pair, 1));

		if (strcmp(k, "status") && strcmp(k, "status[]"))
			continue;
		any = true;
		if (!strcmp(v, "running") && s == ROGER_TASK_RUNNING)
			match = true;
		if (!strcmp(v, "staging") &&
		    (s == ROGER_TASK_STAGING || s == ROGER_TASK_STARTING))
			match = true;
	}
	return !any || match;
}

static void list_tasks(struct roger_local *L, const struct roger_local_req *rq,
		       struct roger_local_resp *rs)
{
	json_t *tasks = json_array();

	pthread_mutex_lock(&L->lock);
	for (struct roger_local_app *a = L->apps; a; a = a->next)
		for (struct roger_local_task *t = a->tasks; t; t = t->next)
			if (!roger_task_state_terminal(t->state) &&
			    status_wanted(rq, t->state))
				json_array_append_new(
					tasks,
					roger_local_task_json(L, t, true));
	pthread_mutex_unlock(&L->lock);
	roger_local_resp_json(rs, 200, json_pack("{s:o}", "tasks", tasks));
}

static void delete_tasks(struct roger_local *L,
			 const struct roger_local_req *rq,
			 struct roger_local_resp *rs)
{
	json_t *body = json_body(rq, rs), *ids, *id, *tasks;
	bool scale = roger_local_query_bool(rq, "scale", false);
	bool wipe = roger_local_query_bool(rq, "wipe", false);
	struct roger_local_txn txn;
	size_t i;

	if (!body)
		return;
	ids = json_object_get(body, "ids");
	if (scale && wipe) {
		roger_local_resp_message(
			rs, 400,
			"You cannot use scale and wipe at the same time.");
		goto done;
	}
	if (!json_is_array(ids)) {
		roger_local_resp_json(
			rs, 422,
			roger_local_invalid("Invalid JSON", "/ids",
					    "error.path.missing"));
		goto done;
	}
	json_array_foreach(ids, i, id) {
		const char *s = json_string_value(id);

		if (!s || !strchr(s, '.')) {
			roger_local_resp_message(
				rs, 400, "Invalid task id '%s'", s ? s : "");
			goto done;
		}
	}
	tasks = json_array();
	pthread_mutex_lock(&L->lock);
	roger_local_txn_begin(L, &txn);
	{
		struct roger_local_app *scaled = NULL;
		long n = 0;

		json_array_foreach(ids, i, id) {
			struct roger_local_task *t =
				roger_local_task_find(L, json_string_value(id));

			if (!t || roger_task_state_terminal(t->state))
				continue;
			json_array_append_new(
				tasks, roger_local_task_json(L, t, false));
			roger_local_task_kill(L, t);
			if (scale) {
				if (scaled && scaled != t->app) {
					scale_down(L, rq, rs, scaled, n);
					n = 0;
				}
				scaled = t->app;
				n++;
			}
		}
		if (scale && scaled)
			scale_down(L, rq, rs, scaled, n);
		else if (scale)
			roger_local_resp_json(rs, 200,
					      json_pack("{s:[]}", "tasks"));
	}
	if (!roger_local_txn_end(L, rs))
		scale = true; /* the 500 stands, not the list of tasks */
	pthread_mutex_unlock(&L->lock);
	if (!scale)
		roger_local_resp_json(rs, 200,
				      json_pack("{s:o}", "tasks", tasks));
	else
		json_decref(tasks);
done:
	json_decref(body);
}

static void queue_route(struct roger_local *L, const struct roger_local_req *rq,
			struct roger_local_resp *rs, const char *rest)
{
	size_t n = strlen(rest);
	char *id, why[160];
	struct roger_local_app *app;

	if (!*rest) {
		if (!method_is(rq, "GET")) {
			method_not_allowed(rs, "GET");
			return;
		}
		pthread_mutex_lock(&L->lock);
		roger_local_resp_json(rs, 200, roger_local_queue_json(L));
		pthread_mutex_unlock(&L->lock);
		return;
	}
	if (n <= 6 || strcmp(rest + n - 6, "/delay")) {
		roger_local_resp_message(rs, 404, "URI not found: %s",
					 rq->path);
		return;
	}
	if (!method_is(rq, "DELETE")) {
		method_not_allowed(rs, "DELETE");
		return;
	}
	{
		char raw[512];

		snprintf(raw, sizeof(raw), "%.*s", (int)(n - 6), rest);
		id = roger_local_app_id(raw, "/", why, sizeof(why));
	}
	if (!id) {
		roger_local_resp_message(
			rs, 404, "Application /%.*s not found in tasks queue.",
			(int)(n - 6), rest);
		return;
	}
	pthread_mutex_lock(&L->lock);
	app = roger_local_app_find(L, id, false);
	if (!app || !roger_local_app_queued(L, app)) {
		roger_local_resp_message(
			rs, 404, "Application %s not found in tasks queue.",
			id);
	} else {
		app->delay_s = 0;
		app->delay_until_ms = 0;
		rs->status = 204;
		roger_local_sched_kick(L);
	}
	pthread_mutex_unlock(&L->lock);
	free(id);
}

/* ---- info, leader, ping, events --------------------------------------------------- */

static void info(struct roger_local *L, struct roger_local_resp *rs)
{
	char buildref[64];

	snprintf(buildref, sizeof(buildref), "roger-local-%s", roger_version());
	roger_local_resp_json(
		rs, 200,
		json_pack(
			"{s:s,s:s,s:s,s:b,s:s,s:s,"
			"s:{s:[s],s:b,s:s,s:[],s:s,s:b,s:s,s:i,s:i,s:s,s:s,s:s,s:i,s:s},"
			"s:{s:s,s:i},s:{s:i,s:i}}",
			"name", "marathon", "version", "1.10.26", "buildref",
			buildref, "elected", 1, "leader", L->leader,
			"frameworkId", L->framework_id, "marathon_config",
			"access_control_allow_origin", "*", "checkpoint", 1,
			"executor", "//cmd", "features", "framework_name",
			"marathon", "ha", 0, "hostname", ROGER_LOCAL_HOST,
			"local_port_max", 20000, "local_port_min", 10000,
			"master", L->url, "mesos_leader_ui_url", L->url,
			"mesos_role", "*", "task_launch_timeout", 300000,
			"webui_url", L->url, "zookeeper_config", "zk",
			"roger-local", "zk_max_versions",
			ROGER_LOCAL_MAX_VERSIONS, "http_config", "http_port",
			L->port, "https_port", 8443));
}

/* GET /ping: text unless the client accepts JSON only. */
static void ping(const struct roger_local_req *rq, struct roger_local_resp *rs)
{
	const char *a = rq->accept;

	if (!a || strstr(a, "text/plain") || strstr(a, "*/*") ||
	    strstr(a, "text/*")) {
		rs->status = 200;
		rs->content_type = "text/plain";
		roger_buf_adds(&rs->body, "pong");
	} else if (strstr(a, "application/json")) {
		rs->status = 200;
		rs->content_type = "application/json";
		roger_buf_adds(&rs->body, "\"pong\"");
	} else {
		rs->status = 204;
	}
}

static const char jetty_405[] =
	"<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=utf-8\"/>\n"
	"<title>Error 405 HTTP method GET is not supported by this URL</title>\n"
	"</head>\n<body><h2>HTTP ERROR 405</h2>\n"
	"<p>Problem accessing /v2/events. Reason:\n"
	"<pre>    HTTP method GET is not supported by this URL</pre></p><hr>"
	"<a href=\"http://eclipse.org/jetty\">Powered by Jetty:// 9.4</a><hr/>\n\n"
	"</body>\n</html>\n";

static void events(struct roger_local *L, const struct roger_local_req *rq,
		   struct roger_local_resp *rs)
{
	const char *types[64];
	size_t n = 0, i;
	json_t *pair;
	int rc;

	if (!method_is(rq, "GET") || !rq->accept ||
	    strcmp(rq->accept, "text/event-stream")) {
		rs->status = 405;
		rs->content_type = "text/html;charset=ISO-8859-1";
		roger_buf_adds(&rs->body, jetty_405);
		return;
	}
	json_array_foreach(rq->query, i, pair)
		if (!strcmp(json_string_value(json_array_get(pair, 0)),
			    "event_type") &&
		    n < 64)
			types[n++] = json_string_value(json_array_get(pair, 1));
	rc = roger_local_sub_new(&rs->sub, L->events, types, n);
	if (rc == ROGER_EEXISTS) {
		/* Each stream may hold megabytes of events: there is a cap. */
		roger_local_resp_message(
			rs, 503,
			"Too many event stream subscribers: at most %zu may be connected at once",
			roger_local_events_max(L->events));
		roger_local_resp_header(rs, "Retry-After", "10");
		return;
	}
	if (rc < 0) {
		roger_local_resp_message(rs, 500, "out of memory");
		return;
	}
	rs->status = 200;
	rs->content_type = "text/event-stream;charset=UTF-8";
	pthread_mutex_lock(&L->lock);
	roger_local_events_publish(
		L, "event_stream_attached",
		json_pack("{s:s}", "remoteAddress",
			  rq->client_ip ? rq->client_ip : "127.0.0.1"));
	pthread_mutex_unlock(&L->lock);
}

/* ---- entry --------------------------------------------------------------------- */

bool roger_local_api(struct roger_local *L, const struct roger_local_req *rq,
		     struct roger_local_resp *rs)
{
	const char *p = rq->path;

	if (!strcmp(p, "/ping")) {
		ping(rq, rs);
	} else if (!strcmp(p, "/v2/apps") || !strcmp(p, "/v2/apps/")) {
		if (method_is(rq, "GET"))
			list_apps(L, rq, rs, NULL);
		else if (method_is(rq, "POST"))
			post_app(L, rq, rs);
		else if (method_is(rq, "PUT"))
			put_apps(L, rq, rs, false);
		else if (method_is(rq, "PATCH"))
			put_apps(L, rq, rs, true);
		else
			method_not_allowed(rs, "GET, POST, PUT, PATCH");
	} else if (!strncmp(p, "/v2/apps/", 9)) {
		apps_route(L, rq, rs, p + 9);
	} else if (!strcmp(p, "/v2/deployments") ||
		   !strcmp(p, "/v2/deployments/")) {
		if (method_is(rq, "GET"))
			list_deployments(L, rs);
		else
			method_not_allowed(rs, "GET");
	} else if (!strncmp(p, "/v2/deployments/", 16)) {
		if (method_is(rq, "DELETE"))
			delete_deployment(L, rq, rs, p + 16);
		else
			method_not_allowed(rs, "DELETE");
	} else if (!strcmp(p, "/v2/tasks")) {
		if (method_is(rq, "GET"))
			list_tasks(L, rq, rs);
		else
			method_not_allowed(rs, "GET");
	} else if (!strcmp(p, "/v2/tasks/delete")) {
		if (method_is(rq, "POST"))
			delete_tasks(L, rq, rs);
		else
			method_not_allowed(rs, "POST");
	} else if (!strcmp(p, "/v2/queue")) {
		queue_route(L, rq, rs, "");
	} else if (!strncmp(p, "/v2/queue/", 10)) {
		queue_route(L, rq, rs, p + 10);
	} else if (!strcmp(p, "/v2/info")) {
		if (method_is(rq, "GET"))
			info(L, rs);
		else
			method_not_allowed(rs, "GET");
	} else if (!strcmp(p, "/v2/leader")) {
		if (method_is(rq, "GET"))
			roger_local_resp_json(
				rs, 200,
				json_pack("{s:s}", "leader", L->leader));
		else if (method_is(rq, "DELETE"))
			roger_local_resp_message(rs, 200,
						 "Leadership abdicated");
		else
			method_not_allowed(rs, "GET, DELETE");
	} else if (!strcmp(p, "/v2/events")) {
		events(L, rq, rs);
	} else {
		return false;
	}
	return true;
}
