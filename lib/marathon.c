/*
 * marathon.c - Marathon requests built and replies parsed, as data.
 *
 * Nothing here does I/O (marathon-client.c sends).  The parsers are
 * written against the contract in MARATHON-MESOS.md rather than one
 * server: every field may be missing (1.5+ omits empty ones), null (1.4
 * writes them), or of an older shape (1.4 docker portMappings, legacy
 * `ports`, `taskId` in health results, `type` in deployment actions).  A
 * field of the wrong type reads as absent, so a surprising reply degrades
 * to "unknown" instead of failing a deploy; only a body that is not JSON,
 * or not the JSON object the endpoint returns, is an error.
 *
 * Parsed structs hold one reference to their JSON and borrow their strings
 * from it; the arrays of structs they own are allocated once per reply, so
 * parsing stays linear in the size of the reply (jansson's parser is too).
 *
 * The event stream is cut into events by sse.c; the events' JSON is parsed
 * here.
 */
#include <config.h>

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api-client.h"
#include "err.h"
#include "http.h"
#include "json-num.h"
#include "marathon-defaults.h"
#include "marathon.h"
#include "util.h"

#define KILL_FLAGS (ROGER_MARATHON_SCALE | ROGER_MARATHON_WIPE)

/* ---- small JSON readers -------------------------------------------------- */

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An int member of `o`, or `dflt` when absent, fractional or out of range. */
static int jint_or(const json_t *o, const char *key, int dflt)
{
	int64_t v;

	if (!roger_json_int(json_object_get(o, key), INT32_MIN, INT32_MAX, &v))
		return dflt;
	return (int)v;
}

static int jint(const json_t *o, const char *key)
{
	return jint_or(o, key, 0);
}

static double jnum(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void *xcalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* The strings of a JSON array of strings (or of objects' `key`). */
static int string_list(const char ***out, size_t *n_out, const json_t *array,
		       const char *key)
{
	const char **v;
	size_t i, n = 0;
	json_t *e;

	*out = NULL;
	*n_out = 0;
	if (!json_is_array(array))
		return 0;
	v = xcalloc(json_array_size(array), sizeof(*v));
	if (!v)
		return ROGER_ENOMEM;
	json_array_foreach(array, i, e) {
		const char *s = key ? jstr(e, key) : json_string_value(e);

		if (s)
			v[n++] = s;
	}
	*out = v;
	*n_out = n;
	return 0;
}

/* The ports of a JSON array of ports (or of objects' `key`); others skipped. */
static int port_list(int **out, size_t *n_out, const json_t *array,
		     const char *key)
{
	size_t i, n = 0;
	int64_t port;
	json_t *e;
	int *v;

	*out = NULL;
	*n_out = 0;
	if (!json_is_array(array))
		return 0;
	v = xcalloc(json_array_size(array), sizeof(*v));
	if (!v)
		return ROGER_ENOMEM;
	json_array_foreach(array, i, e) {
		json_t *x = key ? json_object_get(e, key) : e;

		if (roger_json_int(x, 0, 65535, &port))
			v[n++] = (int)port;
	}
	*out = v;
	*n_out = n;
	return 0;
}

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

/* ---- identifiers --------------------------------------------------------- */

static bool label_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		      isdigit((unsigned char)s[i]) || s[i] == '-'))
			return false;
	return true;
}

/* The reserved word the last segment `seg` (n bytes) is, or NULL. */
static const char *reserved_word(const char *seg, size_t n)
{
	static const char *const reserved[] = { "restart", "tasks",
						"versions" };

	for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
		if (strlen(reserved[i]) == n && !strncmp(seg, reserved[i], n))
			return reserved[i];
	return NULL;
}

int roger_marathon_id_check(const char *id, struct roger_err *err)
{
	const char *seg, *end;

	if (!id || id[0] != '/' || !id[1])
		return roger_err_set(
			err, ROGER_EINVALID,
			"invalid app id '%s': it must be an absolute path like '/group/app'",
			id ? id : "");
	for (seg = id + 1;; seg = end + 1) {
		size_t n;

		end = strchr(seg, '/');
		if (!end)
			end = seg + strlen(seg);
		n = (size_t)(end - seg);
		if (n == 0)
			return roger_err_set(
				err, ROGER_EINVALID,
				"invalid app id '%s': empty segment", id);
		for (const char *l = seg; l < end;) {
			const char *dot = memchr(l, '.', (size_t)(end - l));
			const char *lend = dot ? dot : end;

			if (!label_ok(l, (size_t)(lend - l)))
				return roger_err_set(
					err, ROGER_EINVALID,
					"invalid app id '%s': segment '%.*s' must be lower-case letters, digits and '-' (not at either end), in labels separated by '.'",
					id, (int)n, seg);
			l = dot ? dot + 1 : end;
			if (dot && l == end)
				return roger_err_set(
					err, ROGER_EINVALID,
					"invalid app id '%s': segment '%.*s' ends with '.'",
					id, (int)n, seg);
		}
		if (!*end && reserved_word(seg, n))
			return roger_err_set(
				err, ROGER_EINVALID,
				"invalid app id '%s': the last segment must not be '%s'",
				id, reserved_word(seg, n));
		if (!*end)
			return 0;
	}
}

bool roger_marathon_time_parse(int64_t *out, const char *s)
{
	return roger_iso_time_parse(out, s, false);
}

/* Where the UUID of a task or instance id starts, or NULL. */
static const char *task_uuid(const char *task_id, const char **incarnation)
{
	const char *p = strstr(task_id, ".instance-");
	size_t len = strlen(task_id);

	*incarnation = NULL;
	if (p) {
		p += strlen(".instance-");
		if (strlen(p) < ROGER_UUID_LEN)
			return NULL;
		if (!strncmp(p + ROGER_UUID_LEN, "._app.", 6))
			*incarnation = p + ROGER_UUID_LEN + 6;
		return p;
	}
	if (len > ROGER_UUID_LEN && task_id[len - ROGER_UUID_LEN - 1] == '.')
		return task_id + len - ROGER_UUID_LEN;
	if (len > ROGER_UUID_LEN + 9 &&
	    !strncmp(task_id + len - ROGER_UUID_LEN - 9, "marathon-", 9))
		return task_id + len - ROGER_UUID_LEN;
	return NULL;
}

int roger_marathon_task_instance_id(char **out, const char *task_id,
				    struct roger_err *err)
{
	const char *inc, *uuid = task_uuid(task_id, &inc);
	char *s;

	if (!uuid)
		return roger_err_set(err, ROGER_EINVALID,
				     "unexpected task id '%s'", task_id);
	if (strstr(task_id, ".instance-") ||
	    (uuid - task_id >= 9 && !strncmp(uuid - 9, "marathon-", 9)))
		s = strndup(task_id, (size_t)(uuid - task_id) + ROGER_UUID_LEN);
	else if (asprintf(&s, "%.*smarathon-%s", (int)(uuid - task_id), task_id,
			  uuid) < 0)
		s = NULL;
	if (!s)
		return nomem(err);
	*out = s;
	return 0;
}

void roger_marathon_task_short_name(char *out, size_t size, const char *task_id)
{
	const char *inc, *uuid = task_uuid(task_id, &inc);

	if (!uuid)
		snprintf(out, size, "%s", task_id);
	else if (inc && strcmp(inc, "1"))
		snprintf(out, size, "%.8s.%s", uuid, inc);
	else
		snprintf(out, size, "%.8s", uuid);
}

/* ---- requests ------------------------------------------------------------ */

void roger_marathon_req_release(struct roger_marathon_req *r)
{
	if (r)
		roger_api_req_release(&r->path, &r->body);
}

void roger_marathon_req_http(const struct roger_marathon_req *r,
			     struct roger_http_req *out)
{
	roger_api_req_http(out, r->method, r->path, r->accept, r->body,
			   r->idempotent);
}

/* Query building: "?k=v" first, "&k=v" after. */
static int add_query(struct roger_buf *b, const char *key, const char *value)
{
	int rc = roger_buf_addch(b, strchr(b->buf, '?') ? '&' : '?');

	if (rc == 0)
		rc = roger_buf_adds(b, key);
	if (rc == 0)
		rc = roger_buf_addch(b, '=');
	if (rc == 0)
		rc = roger_http_escape(b, value);
	return rc;
}

/* Start a request: method, "/v2/apps" + id + suffix, Accept JSON. */
static int req_start(struct roger_marathon_req *r, struct roger_buf *path,
		     const char *method, const char *id, const char *suffix,
		     struct roger_err *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->method = method;
	r->accept = "application/json";
	if (id) {
		rc = roger_marathon_id_check(id, err);
		if (rc < 0)
			return rc;
	}
	if (roger_buf_adds(path, id ? "/v2/apps" : "") < 0 ||
	    roger_buf_adds(path, id ? id : "") < 0 ||
	    roger_buf_adds(path, suffix ? suffix : "") < 0)
		return nomem(err);
	return 0;
}

static int req_finish(struct roger_marathon_req *r, struct roger_buf *path,
		      int rc, struct roger_err *err)
{
	if (rc == 0) {
		r->path = roger_buf_detach(path, NULL);
		if (!r->path)
			rc = nomem(err);
	}
	if (rc < 0) {
		roger_buf_release(path);
		roger_marathon_req_release(r);
	}
	return rc;
}

static int add_embeds(struct roger_buf *b, unsigned embed, const char *prefix)
{
	static const struct {
		unsigned flag;
		const char *name;
	} names[] = {
		{ ROGER_MARATHON_EMBED_TASKS, "tasks" },
		{ ROGER_MARATHON_EMBED_LAST_TASK_FAILURE, "lastTaskFailure" },
		{ ROGER_MARATHON_EMBED_DEPLOYMENTS, "deployments" },
		{ ROGER_MARATHON_EMBED_COUNTS, "counts" },
		{ ROGER_MARATHON_EMBED_READINESS, "readiness" },
	};
	char v[64];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(names) / sizeof(*names); i++) {
		if (!(embed & names[i].flag))
			continue;
		snprintf(v, sizeof(v), "%s.%s", prefix, names[i].name);
		rc = add_query(b, "embed", v);
	}
	return rc;
}

static int set_body(struct roger_marathon_req *r, const json_t *body,
		    struct roger_err *err)
{
	r->body = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
	return r->body ? 0 : nomem(err);
}

int roger_marathon_req_get_app(struct roger_marathon_req *out, const char *id,
			       unsigned embed, struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc = req_start(out, &p, "GET", id, NULL, err);

	if (rc == 0 && add_embeds(&p, embed, "app") < 0)
		rc = nomem(err);
	return req_finish(out, &p, rc, err);
}

int roger_marathon_req_list_apps(struct roger_marathon_req *out,
				 const char *id_filter, const char *label,
				 unsigned embed, struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc = req_start(out, &p, "GET", NULL, "/v2/apps", err);

	if (rc == 0 && id_filter && add_query(&p, "id", id_filter) < 0)
		rc = nomem(err);
	if (rc == 0 && label && add_query(&p, "label", label) < 0)
		rc = nomem(err);
	if (rc == 0 && add_embeds(&p, embed, "apps") < 0)
		rc = nomem(err);
	return req_finish(out, &p, rc, err);
}

static int add_flags(struct roger_buf *p, unsigned flags, unsigned which)
{
	int rc = 0;

	if ((which & flags & ROGER_MARATHON_FORCE))
		rc = add_query(p, "force", "true");
	if (rc == 0 && (which & flags & ROGER_MARATHON_REPLACE))
		rc = add_query(p, "partialUpdate", "false");
	if (rc == 0 && (which & flags & ROGER_MARATHON_SCALE))
		rc = add_query(p, "scale", "true");
	if (rc == 0 && (which & flags & ROGER_MARATHON_WIPE))
		rc = add_query(p, "wipe", "true");
	return rc;
}

/* PUT or PATCH of an app with `body`. */
static int req_write_app(struct roger_marathon_req *out, const char *method,
			 const char *id, const json_t *body, unsigned flags,
			 unsigned which, struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc = req_start(out, &p, method, id, NULL, err);

	if (rc == 0 && add_flags(&p, flags, which) < 0)
		rc = nomem(err);
	if (rc == 0)
		rc = set_body(out, body, err);
	/* PUT and PATCH of the same definition land in the same state. */
	out->idempotent = ROGER_HTTP_IDEMPOTENT_YES;
	return req_finish(out, &p, rc, err);
}

int roger_marathon_req_put_app(struct roger_marathon_req *out, const char *id,
			       const json_t *app, unsigned flags,
			       struct roger_err *err)
{
	if (!json_is_object(app))
		return roger_err_set(
			err, ROGER_EINVALID,
			"the app definition of '%s' is not a JSON object", id);
	return req_write_app(out, "PUT", id, app, flags,
			     ROGER_MARATHON_FORCE | ROGER_MARATHON_REPLACE,
			     err);
}

int roger_marathon_req_patch_app(struct roger_marathon_req *out, const char *id,
				 const json_t *app, unsigned flags,
				 struct roger_err *err)
{
	if (!json_is_object(app))
		return roger_err_set(
			err, ROGER_EINVALID,
			"the app definition of '%s' is not a JSON object", id);
	return req_write_app(out, "PATCH", id, app, flags, ROGER_MARATHON_FORCE,
			     err);
}

int roger_marathon_req_scale_app(struct roger_marathon_req *out, const char *id,
				 int instances, unsigned flags,
				 struct roger_err *err)
{
	json_t *body;
	int rc;

	if (instances < 0)
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid instance count %d for '%s'",
				     instances, id);
	body = json_pack("{s:i}", "instances", instances);
	if (!body)
		return nomem(err);
	rc = req_write_app(out, "PUT", id, body, flags, ROGER_MARATHON_FORCE,
			   err);
	json_decref(body);
	return rc;
}

int roger_marathon_req_rollback_app(struct roger_marathon_req *out,
				    const char *id, const char *version,
				    unsigned flags, struct roger_err *err)
{
	json_t *body;
	int rc;

	if (!version || !*version)
		return roger_err_set(err, ROGER_EINVALID,
				     "no version to roll '%s' back to", id);
	body = json_pack("{s:s}", "version", version);
	if (!body)
		return nomem(err);
	rc = req_write_app(out, "PUT", id, body, flags, ROGER_MARATHON_FORCE,
			   err);
	json_decref(body);
	return rc;
}

int roger_marathon_req_delete_app(struct roger_marathon_req *out,
				  const char *id, unsigned flags,
				  struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc = req_start(out, &p, "DELETE", id, NULL, err);

	/* Marathon's default here is force=true: always say which. */
	if (rc == 0 &&
	    add_query(&p, "force",
		      (flags & ROGER_MARATHON_FORCE) ? "true" : "false") < 0)
		rc = nomem(err);
	return req_finish(out, &p, rc, err);
}

int roger_marathon_req_restart_app(struct roger_marathon_req *out,
				   const char *id, unsigned flags,
				   struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc = req_start(out, &p, "POST", id, "/restart", err);

	if (rc == 0 && add_flags(&p, flags, ROGER_MARATHON_FORCE) < 0)
		rc = nomem(err);
	out->idempotent = ROGER_HTTP_IDEMPOTENT_NO;
	return req_finish(out, &p, rc, err);
}

int roger_marathon_req_app_tasks(struct roger_marathon_req *out, const char *id,
				 struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc = req_start(out, &p, "GET", id, "/tasks", err);

	return req_finish(out, &p, rc, err);
}

int roger_marathon_req_kill_tasks(struct roger_marathon_req *out,
				  const char *id, const char *host,
				  unsigned flags, struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc = req_start(out, &p, "DELETE", id, "/tasks", err);

	if (rc == 0 && host && add_query(&p, "host", host) < 0)
		rc = nomem(err);
	if (rc == 0 && add_flags(&p, flags, KILL_FLAGS) < 0)
		rc = nomem(err);
	/* sent again, it would kill the replacements of the killed tasks */
	out->idempotent = ROGER_HTTP_IDEMPOTENT_NO;
	return req_finish(out, &p, rc, err);
}

int roger_marathon_req_kill_task(struct roger_marathon_req *out, const char *id,
				 const char *task_id, unsigned flags,
				 struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc;

	if (!task_id || !*task_id)
		return roger_err_set(err, ROGER_EINVALID, "empty task id");
	rc = req_start(out, &p, "DELETE", id, "/tasks/", err);
	if (rc == 0 && roger_http_escape(&p, task_id) < 0)
		rc = nomem(err);
	if (rc == 0 && add_flags(&p, flags, KILL_FLAGS) < 0)
		rc = nomem(err);
	/* sent again, it would say 404 for a task it did kill */
	out->idempotent = ROGER_HTTP_IDEMPOTENT_NO;
	return req_finish(out, &p, rc, err);
}

int roger_marathon_req_app_versions(struct roger_marathon_req *out,
				    const char *id, struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc = req_start(out, &p, "GET", id, "/versions", err);

	return req_finish(out, &p, rc, err);
}

int roger_marathon_req_app_version(struct roger_marathon_req *out,
				   const char *id, const char *version,
				   struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc;

	if (!version || !*version)
		return roger_err_set(err, ROGER_EINVALID, "empty version");
	rc = req_start(out, &p, "GET", id, "/versions/", err);
	if (rc == 0 && roger_http_escape(&p, version) < 0)
		rc = nomem(err);
	return req_finish(out, &p, rc, err);
}

static int req_simple(struct roger_marathon_req *out, const char *method,
		      const char *path, struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc = req_start(out, &p, method, NULL, path, err);

	return req_finish(out, &p, rc, err);
}

int roger_marathon_req_deployments(struct roger_marathon_req *out,
				   struct roger_err *err)
{
	return req_simple(out, "GET", "/v2/deployments", err);
}

int roger_marathon_req_cancel_deployment(struct roger_marathon_req *out,
					 const char *deployment_id,
					 unsigned flags, struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc;

	if (!deployment_id || !*deployment_id)
		return roger_err_set(err, ROGER_EINVALID,
				     "empty deployment id");
	rc = req_start(out, &p, "DELETE", NULL, "/v2/deployments/", err);
	if (rc == 0 && roger_http_escape(&p, deployment_id) < 0)
		rc = nomem(err);
	if (rc == 0 && add_flags(&p, flags, ROGER_MARATHON_FORCE) < 0)
		rc = nomem(err);
	out->idempotent = ROGER_HTTP_IDEMPOTENT_NO;
	return req_finish(out, &p, rc, err);
}

int roger_marathon_req_queue(struct roger_marathon_req *out,
			     struct roger_err *err)
{
	return req_simple(out, "GET", "/v2/queue", err);
}

int roger_marathon_req_info(struct roger_marathon_req *out,
			    struct roger_err *err)
{
	return req_simple(out, "GET", "/v2/info", err);
}

int roger_marathon_req_leader(struct roger_marathon_req *out,
			      struct roger_err *err)
{
	return req_simple(out, "GET", "/v2/leader", err);
}

int roger_marathon_req_ping(struct roger_marathon_req *out,
			    struct roger_err *err)
{
	int rc = req_simple(out, "GET", "/ping", err);

	out->accept = "text/plain";
	return rc;
}

int roger_marathon_req_events(struct roger_marathon_req *out,
			      const char *const *types, size_t n_types,
			      struct roger_err *err)
{
	struct roger_buf p = ROGER_BUF_INIT;
	int rc = req_start(out, &p, "GET", NULL, "/v2/events", err);

	for (size_t i = 0; rc == 0 && types && i < n_types; i++)
		if (add_query(&p, "event_type", types[i]) < 0)
			rc = nomem(err);
	/* 1.5-1.7 send huge plans without it; others ignore it. */
	if (rc == 0 && add_query(&p, "plan-format", "light") < 0)
		rc = nomem(err);
	out->accept = "text/event-stream";
	return req_finish(out, &p, rc, err);
}

/* ---- tasks and apps ------------------------------------------------------ */

enum roger_marathon_health
roger_marathon_task_health(const struct roger_marathon_task *t)
{
	if (t->n_health == 0)
		return ROGER_MARATHON_HEALTH_UNKNOWN;
	for (size_t i = 0; i < t->n_health; i++)
		if (!t->health[i].alive)
			return ROGER_MARATHON_HEALTH_UNHEALTHY;
	return ROGER_MARATHON_HEALTH_HEALTHY;
}

static void task_release(struct roger_marathon_task *t)
{
	free(t->ports);
	free(t->ip_addresses);
	free(t->health);
}

static int task_fill(struct roger_marathon_task *t, json_t *o)
{
	json_t *hcr = json_object_get(o, "healthCheckResults"), *h;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->json = o;
	t->id = jstr(o, "id");
	t->app_id = jstr(o, "appId");
	t->host = jstr(o, "host");
	t->slave_id = jstr(o, "slaveId");
	t->state = jstr(o, "state");
	t->staged_at = jstr(o, "stagedAt");
	t->started_at = jstr(o, "startedAt");
	t->version = jstr(o, "version");
	if (port_list(&t->ports, &t->n_ports, json_object_get(o, "ports"),
		      NULL) < 0 ||
	    string_list(&t->ip_addresses, &t->n_ip_addresses,
			json_object_get(o, "ipAddresses"), "ipAddress") < 0)
		goto nomem;
	if (json_is_array(hcr)) {
		t->health = xcalloc(json_array_size(hcr), sizeof(*t->health));
		if (!t->health)
			goto nomem;
		json_array_foreach(hcr, i, h) {
			struct roger_marathon_health_result *r =
				&t->health[t->n_health];

			if (!json_is_object(h))
				continue;
			r->alive = json_is_true(json_object_get(h, "alive"));
			r->consecutive_failures =
				jint(h, "consecutiveFailures");
			r->last_failure_cause = jstr(h, "lastFailureCause");
			r->instance_id = jstr(h, "instanceId");
			if (!r->instance_id)
				r->instance_id = jstr(h, "taskId");
			t->n_health++;
		}
	}
	return 0;
nomem:
	task_release(t);
	return ROGER_ENOMEM;
}

static void tasks_release(struct roger_marathon_task *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		task_release(&items[i]);
	free(items);
}

/* The tasks of a JSON array (objects only). */
static int tasks_fill(struct roger_marathon_task **out, size_t *n_out,
		      json_t *array)
{
	struct roger_marathon_task *items;
	size_t i, n = 0;
	json_t *e;

	*out = NULL;
	*n_out = 0;
	if (!json_is_array(array))
		return 0;
	items = xcalloc(json_array_size(array), sizeof(*items));
	if (!items)
		return ROGER_ENOMEM;
	json_array_foreach(array, i, e) {
		if (!json_is_object(e))
			continue;
		if (task_fill(&items[n], e) < 0) {
			tasks_release(items, n);
			return ROGER_ENOMEM;
		}
		n++;
	}
	*out = items;
	*n_out = n;
	return 0;
}

static void app_release(struct roger_marathon_app *app)
{
	free(app->health_checks);
	free(app->deployments);
	tasks_release(app->tasks, app->n_tasks);
	free(app->service_ports);
	json_decref(app->json);
	memset(app, 0, sizeof(*app));
}

/*
 * The service ports: portDefinitions (1.5+ host networking), container
 * portMappings (1.5+), docker portMappings (1.4), or legacy `ports`.
 */
static int service_ports(struct roger_marathon_app *app, json_t *o)
{
	json_t *container = json_object_get(o, "container");
	json_t *pd = json_object_get(o, "portDefinitions");
	json_t *pm = json_object_get(container, "portMappings");

	if (json_array_size(pd))
		return port_list(&app->service_ports, &app->n_service_ports, pd,
				 "port");
	if (!json_array_size(pm))
		pm = json_object_get(json_object_get(container, "docker"),
				     "portMappings");
	if (json_array_size(pm))
		return port_list(&app->service_ports, &app->n_service_ports, pm,
				 "servicePort");
	return port_list(&app->service_ports, &app->n_service_ports,
			 json_object_get(o, "ports"), NULL);
}

/* A number of `o`, or Marathon's default `d` when absent or not a number. */
static double jnum_or(const json_t *o, const char *key,
		      enum roger_marathon_default d)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v)
				 : roger_marathon_default_number(d);
}

/* An int of `o`, or Marathon's default `d` (jint_or's rules). */
static int jint_default(const json_t *o, const char *key,
			enum roger_marathon_default d)
{
	return jint_or(o, key, (int)roger_marathon_default_number(d));
}

/* A string of `o`, or Marathon's default `d` when absent or not a string. */
static const char *jstr_or(const json_t *o, const char *key,
			   enum roger_marathon_default d)
{
	const char *s = jstr(o, key);

	return s ? s : roger_marathon_default_string(d);
}

/* A fraction (0 to 1) of `o`, or Marathon's default `d` when absent or
 * out of that range. */
static double jfraction_or(const json_t *o, const char *key,
			   enum roger_marathon_default d)
{
	double v = jnum_or(o, key, d);

	return v >= 0 && v <= 1 ? v : roger_marathon_default_number(d);
}

/* The timing of each health check (objects only, in order). */
static int health_checks(struct roger_marathon_app *app, json_t *o)
{
	json_t *list = json_object_get(o, "healthChecks"), *h;
	size_t i;

	app->n_health_checks = 0;
	if (!json_is_array(list))
		return 0;
	app->health_checks =
		xcalloc(json_array_size(list), sizeof(*app->health_checks));
	if (!app->health_checks)
		return ROGER_ENOMEM;
	json_array_foreach(list, i, h) {
		struct roger_marathon_health_check *hc =
			&app->health_checks[app->n_health_checks];

		if (!json_is_object(h))
			continue;
		hc->protocol = jstr_or(h, "protocol", ROGER_MD_HC_PROTOCOL);
		hc->grace_period_seconds = jint_default(h, "gracePeriodSeconds",
							ROGER_MD_HC_GRACE);
		hc->interval_seconds = jint_default(h, "intervalSeconds",
						    ROGER_MD_HC_INTERVAL);
		hc->timeout_seconds =
			jint_default(h, "timeoutSeconds", ROGER_MD_HC_TIMEOUT);
		hc->max_consecutive_failures = jint_default(
			h, "maxConsecutiveFailures", ROGER_MD_HC_MAX_FAILURES);
		app->n_health_checks++;
	}
	return 0;
}

static int app_fill(struct roger_marathon_app *app, json_t *o)
{
	json_t *vi = json_object_get(o, "versionInfo");
	json_t *ltf = json_object_get(o, "lastTaskFailure");
	json_t *us;

	memset(app, 0, sizeof(*app));
	app->json = json_incref(o);
	app->id = jstr(o, "id");
	app->version = jstr(o, "version");
	app->last_config_change_at = jstr(vi, "lastConfigChangeAt");
	app->last_scaling_at = jstr(vi, "lastScalingAt");
	app->cmd = jstr(o, "cmd");
	app->instances = jint(o, "instances");
	app->cpus = jnum(o, "cpus");
	app->mem = jnum(o, "mem");
	app->tasks_staged = jint(o, "tasksStaged");
	app->tasks_running = jint(o, "tasksRunning");
	app->tasks_healthy = jint(o, "tasksHealthy");
	app->tasks_unhealthy = jint(o, "tasksUnhealthy");
	us = json_object_get(o, "upgradeStrategy");
	app->minimum_health_capacity = jfraction_or(
		us, "minimumHealthCapacity", ROGER_MD_UPGRADE_MIN_HEALTH);
	app->maximum_over_capacity = jfraction_or(us, "maximumOverCapacity",
						  ROGER_MD_UPGRADE_MAX_OVER);
	app->backoff_seconds =
		jnum_or(o, "backoffSeconds", ROGER_MD_BACKOFF_SECONDS);
	app->backoff_factor =
		jnum_or(o, "backoffFactor", ROGER_MD_BACKOFF_FACTOR);
	app->max_launch_delay_seconds =
		jnum_or(o, "maxLaunchDelaySeconds", ROGER_MD_MAX_LAUNCH_DELAY);
	if (json_is_object(ltf)) {
		struct roger_marathon_task_failure *f = &app->last_task_failure;

		app->has_last_task_failure = true;
		f->task_id = jstr(ltf, "taskId");
		f->state = jstr(ltf, "state");
		f->message = jstr(ltf, "message");
		f->host = jstr(ltf, "host");
		f->slave_id = jstr(ltf, "slaveId");
		f->timestamp = jstr(ltf, "timestamp");
		f->version = jstr(ltf, "version");
	}
	if (string_list(&app->deployments, &app->n_deployments,
			json_object_get(o, "deployments"), "id") < 0 ||
	    tasks_fill(&app->tasks, &app->n_tasks,
		       json_object_get(o, "tasks")) < 0 ||
	    service_ports(app, o) < 0 || health_checks(app, o) < 0) {
		app_release(app);
		return ROGER_ENOMEM;
	}
	return 0;
}

int roger_marathon_app_from_json(struct roger_marathon_app **out, json_t *obj,
				 struct roger_err *err)
{
	struct roger_marathon_app *app;

	if (!json_is_object(obj))
		return roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in the app: expected an object");
	app = calloc(1, sizeof(*app));
	if (!app || app_fill(app, obj) < 0) {
		free(app);
		return nomem(err);
	}
	*out = app;
	return 0;
}

int roger_marathon_app_parse(struct roger_marathon_app **out, const char *body,
			     size_t len, struct roger_err *err)
{
	json_t *root = NULL, *app;
	int rc = roger_json_reply(&root, body, len, "the app", false, err);

	if (rc < 0)
		return rc;
	app = json_object_get(root, "app");
	if (!app)
		app = root;
	if (!jstr(app, "id")) {
		rc = roger_err_set(err, ROGER_EHTTP,
				   "unexpected JSON in the app: no \"id\"");
		goto out;
	}
	rc = roger_marathon_app_from_json(out, app, err);
out:
	json_decref(root);
	return rc;
}

void roger_marathon_app_free(struct roger_marathon_app *app)
{
	if (!app)
		return;
	app_release(app);
	free(app);
}

const char *roger_marathon_app_label(const struct roger_marathon_app *app,
				     const char *key)
{
	return jstr(json_object_get(app->json, "labels"), key);
}

int roger_marathon_apps_parse(struct roger_marathon_apps **out,
			      const char *body, size_t len,
			      struct roger_err *err)
{
	struct roger_marathon_apps *apps = NULL;
	json_t *root = NULL, *list, *e;
	size_t i;
	int rc = roger_json_reply(&root, body, len, "the app list", false, err);

	if (rc < 0)
		return rc;
	list = json_object_get(root, "apps");
	if (!list)
		list = json_object_get(root, "*");
	if (!json_is_array(list)) {
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in the app list: no \"apps\" array");
		goto out;
	}
	apps = calloc(1, sizeof(*apps));
	if (!apps)
		goto nomem;
	apps->json = root;
	root = NULL;
	apps->items = xcalloc(json_array_size(list), sizeof(*apps->items));
	if (!apps->items)
		goto nomem;
	json_array_foreach(list, i, e) {
		if (!json_is_object(e))
			continue;
		if (app_fill(&apps->items[apps->n], e) < 0)
			goto nomem;
		apps->n++;
	}
	*out = apps;
	apps = NULL;
	goto out;
nomem:
	rc = nomem(err);
out:
	roger_marathon_apps_free(apps);
	json_decref(root);
	return rc;
}

void roger_marathon_apps_free(struct roger_marathon_apps *apps)
{
	if (!apps)
		return;
	for (size_t i = 0; i < apps->n; i++)
		app_release(&apps->items[i]);
	free(apps->items);
	json_decref(apps->json);
	free(apps);
}

int roger_marathon_tasks_parse(struct roger_marathon_tasks **out,
			       const char *body, size_t len,
			       struct roger_err *err)
{
	struct roger_marathon_tasks *t = NULL;
	json_t *root = NULL, *list, *one;
	int rc =
		roger_json_reply(&root, body, len, "the task list", false, err);

	if (rc < 0)
		return rc;
	list = json_object_get(root, "tasks");
	one = json_object_get(root, "task");
	if (!json_is_array(list) && !json_is_object(one)) {
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in the task list: no \"tasks\" array");
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	if (json_is_array(list)) {
		if (tasks_fill(&t->items, &t->n, list) < 0)
			goto nomem;
	} else {
		t->items = calloc(1, sizeof(*t->items));
		if (!t->items || task_fill(&t->items[0], one) < 0)
			goto nomem;
		t->n = 1;
	}
	t->json = root;
	root = NULL;
	*out = t;
	t = NULL;
	goto out;
nomem:
	rc = nomem(err);
out:
	roger_marathon_tasks_free(t);
	json_decref(root);
	return rc;
}

void roger_marathon_tasks_free(struct roger_marathon_tasks *t)
{
	if (!t)
		return;
	tasks_release(t->items, t->n);
	json_decref(t->json);
	free(t);
}

/* ---- versions, deployments, queue, info ---------------------------------- */

static int newest_first(const void *a, const void *b)
{
	return strcmp(*(const char *const *)b, *(const char *const *)a);
}

int roger_marathon_versions_parse(struct roger_marathon_versions **out,
				  const char *body, size_t len,
				  struct roger_err *err)
{
	struct roger_marathon_versions *v;
	json_t *root = NULL, *list;
	int rc = roger_json_reply(&root, body, len, "the version list", false,
				  err);

	if (rc < 0)
		return rc;
	list = json_object_get(root, "versions");
	if (!json_is_array(list)) {
		json_decref(root);
		return roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in the version list: no \"versions\" array");
	}
	v = calloc(1, sizeof(*v));
	if (!v || string_list(&v->items, &v->n, list, NULL) < 0) {
		free(v);
		json_decref(root);
		return nomem(err);
	}
	qsort(v->items, v->n, sizeof(*v->items), newest_first);
	v->json = root;
	*out = v;
	return 0;
}

void roger_marathon_versions_free(struct roger_marathon_versions *v)
{
	if (!v)
		return;
	free(v->items);
	json_decref(v->json);
	free(v);
}

static void deployment_release(struct roger_marathon_deployment *d)
{
	free(d->affected_apps);
	free(d->current_actions);
}

static int actions_fill(struct roger_marathon_action **out, size_t *n_out,
			json_t *array)
{
	struct roger_marathon_action *a;
	size_t i, n = 0;
	json_t *e;

	*out = NULL;
	*n_out = 0;
	if (!json_is_array(array))
		return 0;
	a = xcalloc(json_array_size(array), sizeof(*a));
	if (!a)
		return ROGER_ENOMEM;
	json_array_foreach(array, i, e) {
		if (!json_is_object(e))
			continue;
		a[n].action = jstr(e, "action");
		if (!a[n].action)
			a[n].action = jstr(e, "type");
		a[n].app = jstr(e, "app");
		if (!a[n].app)
			a[n].app = jstr(e, "pod");
		n++;
	}
	*out = a;
	*n_out = n;
	return 0;
}

static int deployment_fill(struct roger_marathon_deployment *d, json_t *o)
{
	memset(d, 0, sizeof(*d));
	d->json = o;
	d->id = jstr(o, "id");
	d->version = jstr(o, "version");
	d->current_step = jint(o, "currentStep");
	d->total_steps = jint(o, "totalSteps");
	if (string_list(&d->affected_apps, &d->n_affected_apps,
			json_object_get(o, "affectedApps"), NULL) < 0 ||
	    actions_fill(&d->current_actions, &d->n_current_actions,
			 json_object_get(o, "currentActions")) < 0) {
		deployment_release(d);
		return ROGER_ENOMEM;
	}
	return 0;
}

int roger_marathon_deployments_parse(struct roger_marathon_deployments **out,
				     const char *body, size_t len,
				     struct roger_err *err)
{
	struct roger_marathon_deployments *d = NULL;
	json_t *root = NULL, *e;
	size_t i;
	int rc = roger_json_reply(&root, body, len, "the deployment list", true,
				  err);

	if (rc < 0)
		return rc;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto nomem;
	d->json = root;
	root = NULL;
	d->items = xcalloc(json_array_size(d->json), sizeof(*d->items));
	if (!d->items)
		goto nomem;
	json_array_foreach(d->json, i, e) {
		if (!json_is_object(e))
			continue;
		if (deployment_fill(&d->items[d->n], e) < 0)
			goto nomem;
		d->n++;
	}
	*out = d;
	return 0;
nomem:
	roger_marathon_deployments_free(d);
	json_decref(root);
	return nomem(err);
}

void roger_marathon_deployments_free(struct roger_marathon_deployments *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		deployment_release(&d->items[i]);
	free(d->items);
	json_decref(d->json);
	free(d);
}

const struct roger_marathon_deployment *
roger_marathon_deployments_find(const struct roger_marathon_deployments *d,
				const char *id)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].id && !strcmp(d->items[i].id, id))
			return &d->items[i];
	return NULL;
}

bool roger_marathon_deployment_affects(
	const struct roger_marathon_deployment *d, const char *app_id)
{
	for (size_t i = 0; i < d->n_affected_apps; i++)
		if (!strcmp(d->affected_apps[i], app_id))
			return true;
	for (size_t i = 0; i < d->n_current_actions; i++)
		if (d->current_actions[i].app &&
		    !strcmp(d->current_actions[i].app, app_id))
			return true;
	return false;
}

int roger_marathon_deployment_result_parse(
	struct roger_marathon_deployment_result *out, const char *body,
	size_t len, const char *header_id, struct roger_err *err)
{
	json_t *root = NULL;
	const char *id = NULL, *version = NULL;

	memset(out, 0, sizeof(*out));
	if (len > 0) {
		int rc = roger_json_reply(&root, body, len,
					  "the deployment result", false, err);

		if (rc < 0 && !header_id)
			return rc;
		id = jstr(root, "deploymentId");
		version = jstr(root, "version");
	}
	if (!id)
		id = header_id;
	if (!id || !*id) {
		json_decref(root);
		return roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in the deployment result: no \"deploymentId\"");
	}
	snprintf(out->deployment_id, sizeof(out->deployment_id), "%s", id);
	snprintf(out->version, sizeof(out->version), "%s",
		 version ? version : "");
	json_decref(root);
	return 0;
}

/* a + b for counts of a server's (b > 0), saturating rather than overflowing */
static int add_count(int a, int b)
{
	return a > INT32_MAX - b ? INT32_MAX : a + b;
}

/* The offers declined for cpus and memory, from a reject summary. */
static void declined(struct roger_marathon_queue_entry *qe,
		     const json_t *summary)
{
	const json_t *r;
	size_t i;

	json_array_foreach(summary, i, r) {
		const char *reason = jstr(r, "reason");
		int n = jint(r, "declined");

		if (!reason || n <= 0)
			continue;
		if (!strcmp(reason, "InsufficientCpus"))
			qe->declined_cpus = add_count(qe->declined_cpus, n);
		else if (!strcmp(reason, "InsufficientMemory"))
			qe->declined_mem = add_count(qe->declined_mem, n);
	}
}

int roger_marathon_queue_parse(struct roger_marathon_queue **out,
			       const char *body, size_t len,
			       struct roger_err *err)
{
	struct roger_marathon_queue *q;
	json_t *root = NULL, *list, *e;
	size_t i;
	int rc = roger_json_reply(&root, body, len, "the launch queue", false,
				  err);

	if (rc < 0)
		return rc;
	list = json_object_get(root, "queue");
	if (!json_is_array(list)) {
		json_decref(root);
		return roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in the launch queue: no \"queue\" array");
	}
	q = calloc(1, sizeof(*q));
	if (q)
		q->items = xcalloc(json_array_size(list), sizeof(*q->items));
	if (!q || !q->items) {
		free(q);
		json_decref(root);
		return nomem(err);
	}
	json_array_foreach(list, i, e) {
		struct roger_marathon_queue_entry *qe = &q->items[q->n];
		json_t *spec = json_object_get(e, "app"), *delay;

		if (!json_is_object(e))
			continue;
		if (!spec)
			spec = json_object_get(e, "pod");
		delay = json_object_get(e, "delay");
		qe->app_id = jstr(spec, "id");
		qe->version = jstr(spec, "version");
		qe->count = jint(e, "count");
		qe->time_left_seconds = jint(delay, "timeLeftSeconds");
		qe->overdue = json_is_true(json_object_get(delay, "overdue"));
		qe->since = jstr(e, "since");
		qe->cpus = jnum_or(spec, "cpus", ROGER_MD_CPUS);
		qe->mem = jnum_or(spec, "mem", ROGER_MD_MEM);
		declined(qe,
			 json_object_get(
				 json_object_get(e, "processedOffersSummary"),
				 "rejectSummaryLastOffers"));
		q->n++;
	}
	q->json = root;
	*out = q;
	return 0;
}

void roger_marathon_queue_free(struct roger_marathon_queue *q)
{
	if (!q)
		return;
	free(q->items);
	json_decref(q->json);
	free(q);
}

const struct roger_marathon_queue_entry *
roger_marathon_queue_find(const struct roger_marathon_queue *q,
			  const char *app_id)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->items[i].app_id && !strcmp(q->items[i].app_id, app_id))
			return &q->items[i];
	return NULL;
}

int roger_marathon_info_parse(struct roger_marathon_info **out,
			      const char *body, size_t len,
			      struct roger_err *err)
{
	struct roger_marathon_info *info;
	json_t *root = NULL;
	int rc = roger_json_reply(&root, body, len, "the server info", false,
				  err);

	if (rc < 0)
		return rc;
	info = calloc(1, sizeof(*info));
	if (!info) {
		json_decref(root);
		return nomem(err);
	}
	info->json = root;
	info->name = jstr(root, "name");
	info->version = jstr(root, "version");
	info->leader = jstr(root, "leader");
	info->framework_id = jstr(root, "frameworkId");
	info->elected = json_is_true(json_object_get(root, "elected"));
	*out = info;
	return 0;
}

void roger_marathon_info_free(struct roger_marathon_info *info)
{
	if (!info)
		return;
	json_decref(info->json);
	free(info);
}

int roger_marathon_leader_parse(char **out, const char *body, size_t len,
				struct roger_err *err)
{
	json_t *root = NULL;
	const char *leader;
	int rc = roger_json_reply(&root, body, len, "the leader reply", false,
				  err);

	if (rc < 0)
		return rc;
	leader = jstr(root, "leader");
	if (!leader) {
		json_decref(root);
		return roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in the leader reply: no \"leader\"");
	}
	*out = strdup(leader);
	json_decref(root);
	return *out ? 0 : nomem(err);
}

/* ---- errors -------------------------------------------------------------- */

int roger_marathon_error_parse(struct roger_marathon_error **out,
			       const char *body, size_t len,
			       struct roger_err *err)
{
	struct roger_marathon_error *e;
	json_t *root = NULL, *details, *d;
	size_t i;
	int rc = roger_json_reply(&root, body, len, "the error reply", false,
				  err);

	if (rc < 0)
		return rc;
	e = calloc(1, sizeof(*e));
	if (!e)
		goto nomem;
	e->json = root;
	e->message = jstr(root, "message");
	details = json_object_get(root, "details");
	e->details_text = json_string_value(details);
	if (json_is_array(details)) {
		e->details =
			xcalloc(json_array_size(details), sizeof(*e->details));
		if (!e->details)
			goto nomem;
		json_array_foreach(details, i, d) {
			struct roger_marathon_error_detail *x =
				&e->details[e->n_details];

			if (!json_is_object(d))
				continue;
			x->path = jstr(d, "path");
			if (string_list(&x->errors, &x->n_errors,
					json_object_get(d, "errors"), NULL) < 0)
				goto nomem;
			e->n_details++;
		}
	}
	if (string_list(&e->deployments, &e->n_deployments,
			json_object_get(root, "deployments"), "id") < 0)
		goto nomem;
	*out = e;
	return 0;
nomem:
	if (e)
		roger_marathon_error_free(e);
	else
		json_decref(root);
	return nomem(err);
}

void roger_marathon_error_free(struct roger_marathon_error *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_details; i++)
		free(e->details[i].errors);
	free(e->details);
	free(e->deployments);
	json_decref(e->json);
	free(e);
}

int roger_marathon_user_path(struct roger_buf *out, const char *path)
{
	bool dot = true;
	int rc = roger_buf_adds(out, "marathon");

	for (const char *p = path ? path : ""; rc == 0 && *p; p++) {
		if (*p == '/' || *p == '.') {
			dot = true;
		} else if (*p == '(' || *p == '[') {
			rc = roger_buf_addch(out, '[');
			dot = false;
		} else if (*p == ')' || *p == ']') {
			rc = roger_buf_addch(out, ']');
			dot = false;
		} else {
			if (dot)
				rc = roger_buf_addch(out, '.');
			if (rc == 0)
				rc = roger_buf_addch(out, *p);
			dot = false;
		}
	}
	return rc;
}

/* What Play's error keys mean, for people. */
static const char *error_gloss(const char *code)
{
	static const char *const glosses[][2] = {
		{ "error.expected.jsnumber", "expected a number" },
		{ "error.expected.jsstring", "expected a string" },
		{ "error.expected.jsboolean", "expected true or false" },
		{ "error.expected.jsarray", "expected an array" },
		{ "error.expected.jsobject", "expected an object" },
		{ "error.expected.jsnumberorjsstring",
		  "expected a number or a string" },
		{ "error.path.missing", "missing" },
		{ "error.pattern", "does not match the required pattern" },
		{ "error.minLength", "too short" },
		{ "error.maxLength", "too long" },
		{ "error.min", "too small" },
		{ "error.max", "too large" },
	};

	for (size_t i = 0; i < sizeof(glosses) / sizeof(*glosses); i++)
		if (!strcmp(code, glosses[i][0]))
			return glosses[i][1];
	return NULL;
}

/*
 * Marathon's message made to fit ours: no final full stop, and a first
 * word like "App" in lower case (but not "DeploymentPlan").
 */
static void add_message(struct roger_buf *b, const char *msg)
{
	size_t start = b->len, n = strlen(msg), w = 0;

	while (n > 0 && strchr(". \t\r\n", msg[n - 1]))
		n--;
	roger_buf_add(b, msg, n);
	while (isalpha((unsigned char)msg[w]))
		w++;
	if (w > 1 && isupper((unsigned char)msg[0])) {
		for (size_t i = 1; i < w; i++)
			if (isupper((unsigned char)msg[i]))
				return;
		b->buf[start] = (char)tolower((unsigned char)b->buf[start]);
	}
}

static int validation_err(struct roger_err *err,
			  const struct roger_marathon_error *e,
			  const char *source)
{
	struct roger_buf b = ROGER_BUF_INIT;
	int rc;

	roger_buf_adds(&b, source ? source : "invalid app definition");
	for (size_t i = 0; i < e->n_details; i++) {
		const struct roger_marathon_error_detail *d = &e->details[i];

		roger_buf_adds(&b, i ? "; " : ": ");
		roger_marathon_user_path(&b, d->path);
		roger_buf_adds(&b, ":");
		for (size_t j = 0; j < d->n_errors; j++) {
			const char *gloss = error_gloss(d->errors[j]);

			roger_buf_adds(&b, j ? ", " : " ");
			add_message(&b, d->errors[j]);
			if (gloss)
				roger_buf_addf(&b, " (%s)", gloss);
		}
	}
	if (e->n_details == 0 && e->details_text) {
		roger_buf_adds(&b, ": marathon cannot read the app JSON: ");
		add_message(&b, e->details_text);
	}
	rc = roger_err_set(err, ROGER_EINVALID, "%s", b.buf);
	if (err)
		roger_one_line(err->msg);
	roger_buf_release(&b);
	return rc;
}

int roger_marathon_error_from_reply(struct roger_err *err, long status,
				    const char *body, size_t len,
				    const char *url, const char *source)
{
	struct roger_marathon_error *e = NULL;
	struct roger_buf b = ROGER_BUF_INIT;
	int rc = 0;

	if (status != 400 && status != 403 && status != 404 && status != 409 &&
	    status != 422)
		return 0;
	if (roger_marathon_error_parse(&e, body, len, NULL) < 0)
		return 0;
	switch (status) {
	case 404:
		if (!e->message)
			break;
		add_message(&b, e->message);
		rc = roger_err_set(err, ROGER_ENOTFOUND, "%s", b.buf);
		break;
	case 409:
		if (e->n_deployments ||
		    (e->message && strstr(e->message, "locked"))) {
			roger_buf_adds(&b, "app locked by deployment");
			for (size_t i = 0; i < e->n_deployments; i++)
				roger_buf_addf(&b, "%s'%s'", i ? ", " : " ",
					       e->deployments[i]);
			rc = roger_err_set(
				err, ROGER_ECONFLICT,
				"%s in progress (HTTP 409 from '%s')", b.buf,
				url ? url : "");
		} else if (e->message) {
			add_message(&b, e->message);
			rc = roger_err_set(err, ROGER_EEXISTS, "%s", b.buf);
		}
		break;
	case 403:
		if (!e->message || !strstr(e->message, "running deployments"))
			break;
		add_message(&b, e->message);
		rc = roger_err_set(err, ROGER_EHTTP,
				   "marathon refused another deployment: %s",
				   b.buf);
		break;
	default: /* 400, 422 */
		if (e->n_details || e->details_text) {
			rc = validation_err(err, e, source);
			break;
		}
		if (!e->message)
			break;
		add_message(&b, e->message);
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"marathon refused the request to '%s' (HTTP %ld): %s",
			url ? url : "", status, b.buf);
		break;
	}
	if (rc && err) {
		err->http_status = (int)status;
		roger_one_line(err->msg);
	}
	roger_buf_release(&b);
	roger_marathon_error_free(e);
	return rc;
}

/* ---- events ------------------------------------------------------------- */

static int add_unique(const char ***list, size_t *n, size_t *cap, const char *s)
{
	const char **v;

	if (!s)
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*list)[i], s))
			return 0;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		v = realloc(*list, *cap * sizeof(*v));
		if (!v)
			return ROGER_ENOMEM;
		*list = v;
	}
	(*list)[(*n)++] = s;
	return 0;
}

/* The apps of a plan's steps (and a deployment_info's current step). */
static int plan_apps(struct roger_marathon_event *ev, json_t *root)
{
	json_t *steps = json_object_get(json_object_get(root, "plan"), "steps");
	json_t *current = json_object_get(json_object_get(root, "currentStep"),
					  "actions");
	size_t cap = 0, i, j;
	json_t *s, *a;

	json_array_foreach(steps, i, s) {
		json_array_foreach(json_object_get(s, "actions"), j, a) {
			const char *app = jstr(a, "app");

			if (add_unique(&ev->plan_apps, &ev->n_plan_apps, &cap,
				       app ? app : jstr(a, "pod")) < 0)
				return ROGER_ENOMEM;
		}
	}
	json_array_foreach(current, j, a) {
		const char *app = jstr(a, "app");

		if (add_unique(&ev->plan_apps, &ev->n_plan_apps, &cap,
			       app ? app : jstr(a, "pod")) < 0)
			return ROGER_ENOMEM;
	}
	return 0;
}

int roger_marathon_event_parse(struct roger_marathon_event **out,
			       const char *type, const char *json, size_t len,
			       struct roger_err *err)
{
	struct roger_marathon_event *ev;
	json_t *root = NULL, *alive, *plan;
	int rc = roger_json_reply(&root, json, len, "the event", false, err);

	if (rc < 0)
		return rc;
	ev = calloc(1, sizeof(*ev));
	if (!ev) {
		json_decref(root);
		return nomem(err);
	}
	ev->json = root;
	ev->type = jstr(root, "eventType");
	if (!ev->type) {
		/* Keep the SSE type in the JSON, so it lives as long as ev. */
		json_object_set_new(root, "eventType",
				    json_string(type ? type : "message"));
		ev->type = jstr(root, "eventType");
	}
	ev->timestamp = jstr(root, "timestamp");
	ev->app_id = jstr(root, "appId");
	if (!ev->app_id)
		ev->app_id = jstr(root, "runSpecId");
	ev->task_id = jstr(root, "taskId");
	ev->instance_id = jstr(root, "instanceId");
	ev->task_status = jstr(root, "taskStatus");
	ev->condition = jstr(root, "condition");
	ev->host = jstr(root, "host");
	ev->slave_id = jstr(root, "slaveId");
	if (!ev->slave_id)
		ev->slave_id = jstr(root, "agentId");
	ev->version = jstr(root, "version");
	if (!ev->version)
		ev->version = jstr(root, "runSpecVersion");
	ev->message = jstr(root, "message");
	ev->reason = jstr(root, "reason");
	ev->group_id = jstr(root, "groupId");
	plan = json_object_get(root, "plan");
	if (plan) {
		ev->deployment_id = jstr(root, "id");
		if (!ev->deployment_id)
			ev->deployment_id = jstr(plan, "id");
	}
	alive = json_object_get(root, "alive");
	ev->alive = json_is_boolean(alive) ? json_is_true(alive) : -1;
	if (plan_apps(ev, root) < 0) {
		roger_marathon_event_free(ev);
		return nomem(err);
	}
	*out = ev;
	return 0;
}

void roger_marathon_event_free(struct roger_marathon_event *ev)
{
	if (!ev)
		return;
	free(ev->plan_apps);
	json_decref(ev->json);
	free(ev);
}

bool roger_marathon_event_affects(const struct roger_marathon_event *ev,
				  const char *app_id)
{
	if (ev->app_id && !strcmp(ev->app_id, app_id))
		return true;
	for (size_t i = 0; i < ev->n_plan_apps; i++)
		if (!strcmp(ev->plan_apps[i], app_id))
			return true;
	return false;
}
