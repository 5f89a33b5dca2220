/*
 * marathon.h - the Marathon REST API (versions 1.4 to 1.10) as data, and a
 * thin client that sends it.
 *
 * Three layers, in this order in the file:
 *  - requests as data: roger_marathon_req_*() build the method, path, query,
 *    body and headers of each call roger makes (pure);
 *  - replies as structs: roger_marathon_*_parse() read the bodies Marathon
 *    sends, in every shape the contract (MARATHON-MESOS.md) lists: 1.4's
 *    nulls and empties, 1.5+'s omitted fields, missing keys, both task id
 *    formats, `slaveId`, legacy `ports` (pure);  error replies become one
 *    roger_err with roger_marathon_error_from_reply() (pure), and the
 *    `/v2/events` stream is cut into events by a push parser fed arbitrary
 *    chunks (pure);
 *  - the client: roger_marathon_*() send a request through a
 *    struct roger_http_client and parse the reply (thin I/O).
 *
 * Parsed structs keep a reference to the JSON they came from (`json`), and
 * their strings are borrowed from it: they live as long as the struct.  A
 * string field is NULL when Marathon sent null or left the key out; a
 * number is 0.  Arrays of structs are owned by the struct that holds them.
 */
#ifndef ROGER_MARATHON_H
#define ROGER_MARATHON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "common.h"
#include "http.h"
#include "sse.h"

ROGER_BEGIN_DECLS

struct roger_ctx;
struct roger_err;
struct roger_target;

/* ---- identifiers --------------------------------------------------------- */

/*
 * Check an absolute app id ("/web/hello") against Marathon's rules: each
 * segment lower-case letters, digits and '-' (not at either end), labels
 * separated by '.', no "." or ".." segments, and the last segment not
 * "restart", "tasks" or "versions".  0 or ROGER_EINVALID naming the id.
 */
ROGER_EXTERN int roger_marathon_id_check(const char *id, struct roger_err *err);

/*
 * The instance id a task id belongs to, as health results and events name
 * it: "web.instance-<uuid>._app.2" -> "web.instance-<uuid>" (1.8+),
 * "web.<uuid>" -> "web.marathon-<uuid>" (up to 1.7).  A new string in *out;
 * ROGER_EINVALID when `task_id` has neither shape.
 */
ROGER_EXTERN int roger_marathon_task_instance_id(char **out,
						 const char *task_id,
						 struct roger_err *err);

/*
 * A short name for a task, for log prefixes: the first 8 characters of its
 * UUID, plus ".N" for an incarnation N > 1 ("01da9a15", "b6ff5fa5.2").  The
 * whole id when it has neither shape.  Always NUL-terminated in `out`.
 */
ROGER_EXTERN void roger_marathon_task_short_name(char *out, size_t size,
						 const char *task_id);

/*
 * Read Marathon's timestamp `s` ("2014-03-01T23:42:20.938Z": UTC, the
 * fraction of 1 to 9 digits or absent) as milliseconds since the epoch
 * into *out.  False, leaving *out alone, for NULL or any other text.  App
 * versions, deployment and task times are all in this form.
 */
ROGER_EXTERN bool roger_marathon_time_parse(int64_t *out, const char *s);

/* ---- requests as data ---------------------------------------------------- */

/* What an app GET embeds (the `embed` query parameter). */
enum roger_marathon_embed {
	ROGER_MARATHON_EMBED_TASKS = 1 << 0,
	ROGER_MARATHON_EMBED_LAST_TASK_FAILURE = 1 << 1,
	ROGER_MARATHON_EMBED_DEPLOYMENTS = 1 << 2,
	ROGER_MARATHON_EMBED_COUNTS = 1 << 3,
	ROGER_MARATHON_EMBED_READINESS = 1 << 4,
	ROGER_MARATHON_EMBED_ALL = (1 << 5) - 1,
};

enum roger_marathon_flags {
	ROGER_MARATHON_FORCE = 1 << 0, /* ?force=true: override a lock */
	ROGER_MARATHON_REPLACE = 1 << 1, /* PUT: ?partialUpdate=false */
	ROGER_MARATHON_SCALE = 1 << 2, /* kill tasks: ?scale=true */
	ROGER_MARATHON_WIPE = 1 << 3, /* kill tasks: ?wipe=true */
};

/* One call as data.  Release with roger_marathon_req_release(). */
struct roger_marathon_req {
	const char *method; /* static */
	char *path; /* "/v2/apps/web/hello?embed=app.tasks" (owned) */
	char *body; /* JSON text, or NULL (owned) */
	const char *accept; /* static */
	enum roger_http_idempotence idempotent;
};

ROGER_EXTERN void roger_marathon_req_release(struct roger_marathon_req *r);
/*
 * View `r` as an HTTP request (borrowing its strings): method, path,
 * Accept, the body as application/json, and its idempotence.
 */
ROGER_EXTERN void roger_marathon_req_http(const struct roger_marathon_req *r,
					  struct roger_http_req *out);

/*
 * Builders.  Each checks the app id (ROGER_EINVALID) and fills *out;
 * ROGER_ENOMEM otherwise.  Query values are percent-encoded.
 */
/* GET /v2/apps/{id}?embed=app.tasks&... */
ROGER_EXTERN int roger_marathon_req_get_app(struct roger_marathon_req *out,
					    const char *id, unsigned embed,
					    struct roger_err *err);
/* GET /v2/apps?id=...&label=...&embed=apps.tasks...: both filters optional */
ROGER_EXTERN int roger_marathon_req_list_apps(struct roger_marathon_req *out,
					      const char *id_filter,
					      const char *label, unsigned embed,
					      struct roger_err *err);
/* PUT /v2/apps/{id}[?force=true][&partialUpdate=false]: create or update */
ROGER_EXTERN int roger_marathon_req_put_app(struct roger_marathon_req *out,
					    const char *id, const json_t *app,
					    unsigned flags,
					    struct roger_err *err);
/* PATCH /v2/apps/{id}[?force=true] (never creates) */
ROGER_EXTERN int roger_marathon_req_patch_app(struct roger_marathon_req *out,
					      const char *id, const json_t *app,
					      unsigned flags,
					      struct roger_err *err);
/* PUT /v2/apps/{id} {"instances": N} */
ROGER_EXTERN int roger_marathon_req_scale_app(struct roger_marathon_req *out,
					      const char *id, int instances,
					      unsigned flags,
					      struct roger_err *err);
/* PUT /v2/apps/{id} {"version": v}: redeploy a stored version */
ROGER_EXTERN int roger_marathon_req_rollback_app(struct roger_marathon_req *out,
						 const char *id,
						 const char *version,
						 unsigned flags,
						 struct roger_err *err);
/* DELETE /v2/apps/{id}?force=true|false (Marathon's default is true) */
ROGER_EXTERN int roger_marathon_req_delete_app(struct roger_marathon_req *out,
					       const char *id, unsigned flags,
					       struct roger_err *err);
/* POST /v2/apps/{id}/restart[?force=true] (not idempotent) */
ROGER_EXTERN int roger_marathon_req_restart_app(struct roger_marathon_req *out,
						const char *id, unsigned flags,
						struct roger_err *err);
/* GET /v2/apps/{id}/tasks */
ROGER_EXTERN int roger_marathon_req_app_tasks(struct roger_marathon_req *out,
					      const char *id,
					      struct roger_err *err);
/* DELETE /v2/apps/{id}/tasks[?host=h][&scale=true][&wipe=true] (not retried) */
ROGER_EXTERN int roger_marathon_req_kill_tasks(struct roger_marathon_req *out,
					       const char *id, const char *host,
					       unsigned flags,
					       struct roger_err *err);
/* DELETE /v2/apps/{id}/tasks/{task}[?scale=true][&wipe=true] (not retried) */
ROGER_EXTERN int roger_marathon_req_kill_task(struct roger_marathon_req *out,
					      const char *id,
					      const char *task_id,
					      unsigned flags,
					      struct roger_err *err);
/* GET /v2/apps/{id}/versions */
ROGER_EXTERN int roger_marathon_req_app_versions(struct roger_marathon_req *out,
						 const char *id,
						 struct roger_err *err);
/* GET /v2/apps/{id}/versions/{version} */
ROGER_EXTERN int roger_marathon_req_app_version(struct roger_marathon_req *out,
						const char *id,
						const char *version,
						struct roger_err *err);
/* GET /v2/deployments */
ROGER_EXTERN int roger_marathon_req_deployments(struct roger_marathon_req *out,
						struct roger_err *err);
/*
 * DELETE /v2/deployments/{id}: rollback (200, a new deployment), or with
 * ROGER_MARATHON_FORCE abort only (202, empty).  Not retried blindly: a
 * second DELETE after a lost reply would find nothing and say 404.
 */
ROGER_EXTERN int
roger_marathon_req_cancel_deployment(struct roger_marathon_req *out,
				     const char *deployment_id, unsigned flags,
				     struct roger_err *err);
/* GET /v2/queue */
ROGER_EXTERN int roger_marathon_req_queue(struct roger_marathon_req *out,
					  struct roger_err *err);
/* GET /v2/info */
ROGER_EXTERN int roger_marathon_req_info(struct roger_marathon_req *out,
					 struct roger_err *err);
/* GET /v2/leader */
ROGER_EXTERN int roger_marathon_req_leader(struct roger_marathon_req *out,
					   struct roger_err *err);
/* GET /ping (Accept: text/plain) */
ROGER_EXTERN int roger_marathon_req_ping(struct roger_marathon_req *out,
					 struct roger_err *err);
/*
 * GET /v2/events?event_type=...&plan-format=light with exactly
 * "Accept: text/event-stream" (Marathon answers 405 otherwise).  `types`
 * may be NULL (every event).
 */
ROGER_EXTERN int roger_marathon_req_events(struct roger_marathon_req *out,
					   const char *const *types,
					   size_t n_types,
					   struct roger_err *err);

/* ---- replies as structs -------------------------------------------------- */

struct roger_marathon_health_result {
	bool alive;
	int consecutive_failures;
	const char *last_failure_cause;
	const char *instance_id; /* "taskId" before 1.4 */
};

enum roger_marathon_health {
	ROGER_MARATHON_HEALTH_UNKNOWN, /* no health results */
	ROGER_MARATHON_HEALTH_HEALTHY, /* every result alive */
	ROGER_MARATHON_HEALTH_UNHEALTHY,
};

struct roger_marathon_task {
	json_t *json; /* borrowed from the container's JSON */
	const char *id;
	const char *app_id;
	const char *host;
	const char *slave_id; /* the Mesos agent id */
	const char *state; /* "TASK_RUNNING" */
	const char *staged_at;
	const char *started_at; /* NULL while staging */
	const char *version; /* the app version the task runs */
	int *ports;
	size_t n_ports;
	const char **ip_addresses;
	size_t n_ip_addresses;
	struct roger_marathon_health_result *health;
	size_t n_health;
};

ROGER_EXTERN enum roger_marathon_health
roger_marathon_task_health(const struct roger_marathon_task *t);

struct roger_marathon_task_failure {
	const char *task_id;
	const char *state;
	const char *message;
	const char *host;
	const char *slave_id;
	const char *timestamp;
	const char *version;
};

/*
 * A health check's timing, with Marathon's defaults for missing fields
 * (grace period 300 s, interval 60 s, timeout 20 s, 3 failures).
 */
struct roger_marathon_health_check {
	const char *protocol; /* "HTTP" when absent */
	int grace_period_seconds;
	int interval_seconds;
	int timeout_seconds;
	int max_consecutive_failures; /* 0: never killed */
};

struct roger_marathon_app {
	json_t *json; /* the app object (a reference of its own) */
	const char *id;
	const char *version;
	const char *last_config_change_at; /* versionInfo */
	const char *last_scaling_at;
	const char *cmd;
	int instances;
	double cpus, mem;
	int tasks_staged, tasks_running, tasks_healthy, tasks_unhealthy;
	const char **deployments; /* ids of the deployments in progress */
	size_t n_deployments;
	struct roger_marathon_task *tasks;
	size_t n_tasks;
	bool has_last_task_failure;
	struct roger_marathon_task_failure last_task_failure;
	size_t n_health_checks;
	/*
	 * Service ports: portDefinitions, container.portMappings (1.5+),
	 * container.docker.portMappings (1.4), or the legacy `ports`.
	 */
	int *service_ports;
	size_t n_service_ports;
	/* n_health_checks of them, in the order of healthChecks */
	struct roger_marathon_health_check *health_checks;
	/*
	 * upgradeStrategy and the launch backoff, with Marathon's defaults
	 * (1 and 1; 1 s, factor 1.15, at most 300 s) when absent (and the
	 * capacities also when outside 0 to 1).
	 */
	double minimum_health_capacity;
	double maximum_over_capacity;
	double backoff_seconds;
	double backoff_factor;
	double max_launch_delay_seconds;
};

/*
 * Parse an app reply: {"app": {...}} (GET one), or the bare app (POST 201,
 * GET of a version).  A body that is not JSON, or not an app, is
 * ROGER_EHTTP ("invalid JSON in the app: ...", "unexpected JSON in the
 * app: ..."); every parser below fails the same way.
 */
ROGER_EXTERN int roger_marathon_app_parse(struct roger_marathon_app **out,
					  const char *body, size_t len,
					  struct roger_err *err);
/* The same, from a JSON object (takes a reference of its own). */
ROGER_EXTERN int roger_marathon_app_from_json(struct roger_marathon_app **out,
					      json_t *obj,
					      struct roger_err *err);
ROGER_EXTERN void roger_marathon_app_free(struct roger_marathon_app *app);
/* A label's value (borrowed), or NULL. */
ROGER_EXTERN const char *
roger_marathon_app_label(const struct roger_marathon_app *app, const char *key);

struct roger_marathon_apps {
	json_t *json;
	struct roger_marathon_app *items;
	size_t n;
};

/* {"apps": [...]} (also {"*": [...]} of a group wildcard). */
ROGER_EXTERN int roger_marathon_apps_parse(struct roger_marathon_apps **out,
					   const char *body, size_t len,
					   struct roger_err *err);
ROGER_EXTERN void roger_marathon_apps_free(struct roger_marathon_apps *apps);

struct roger_marathon_tasks {
	json_t *json;
	struct roger_marathon_task *items;
	size_t n;
};

/* {"tasks": [...]} or the {"task": {...}} of a single kill. */
ROGER_EXTERN int roger_marathon_tasks_parse(struct roger_marathon_tasks **out,
					    const char *body, size_t len,
					    struct roger_err *err);
ROGER_EXTERN void roger_marathon_tasks_free(struct roger_marathon_tasks *tasks);

struct roger_marathon_versions {
	json_t *json;
	const char **items; /* newest first */
	size_t n;
};

/* {"versions": [...]}, sorted newest first (Marathon promises no order). */
ROGER_EXTERN int
roger_marathon_versions_parse(struct roger_marathon_versions **out,
			      const char *body, size_t len,
			      struct roger_err *err);
ROGER_EXTERN void
roger_marathon_versions_free(struct roger_marathon_versions *v);

struct roger_marathon_action {
	const char *action; /* "ScaleApplication" ("type" before 1.1.2) */
	const char *app; /* or the pod */
};

struct roger_marathon_deployment {
	json_t *json;
	const char *id;
	const char *version;
	const char **affected_apps;
	size_t n_affected_apps;
	int current_step; /* 1-based; 0 before it started */
	int total_steps;
	struct roger_marathon_action *current_actions;
	size_t n_current_actions;
};

struct roger_marathon_deployments {
	json_t *json;
	struct roger_marathon_deployment *items;
	size_t n;
};

ROGER_EXTERN int
roger_marathon_deployments_parse(struct roger_marathon_deployments **out,
				 const char *body, size_t len,
				 struct roger_err *err);
ROGER_EXTERN void
roger_marathon_deployments_free(struct roger_marathon_deployments *d);
/* The deployment with `id`, or NULL (borrowed). */
ROGER_EXTERN const struct roger_marathon_deployment *
roger_marathon_deployments_find(const struct roger_marathon_deployments *d,
				const char *id);
/* Whether the deployment touches the app `app_id`. */
ROGER_EXTERN bool
roger_marathon_deployment_affects(const struct roger_marathon_deployment *d,
				  const char *app_id);

/* The reply of every call that starts a deployment. */
struct roger_marathon_deployment_result {
	char deployment_id[128];
	char version[64];
};

/*
 * {"deploymentId": ..., "version": ...}; when the body lacks the id, the
 * Marathon-Deployment-Id header value `header_id` (may be NULL) is used.
 * ROGER_EINVALID when neither gives an id.
 */
ROGER_EXTERN int roger_marathon_deployment_result_parse(
	struct roger_marathon_deployment_result *out, const char *body,
	size_t len, const char *header_id, struct roger_err *err);

struct roger_marathon_queue_entry {
	const char *app_id; /* app.id, or pod.id */
	const char *version;
	int count;
	int time_left_seconds; /* delay.timeLeftSeconds */
	bool overdue;
	const char *since;
	double cpus,
		mem; /* what one task needs: app.cpus and app.mem (1, 128) */
	/*
	 * How many of the last offers were declined for too few cpus or too
	 * little memory (processedOffersSummary.rejectSummaryLastOffers,
	 * InsufficientCpus and InsufficientMemory; 0 when Marathon does not
	 * say, as before 1.4)
	 */
	int declined_cpus, declined_mem;
};

struct roger_marathon_queue {
	json_t *json;
	struct roger_marathon_queue_entry *items;
	size_t n;
};

ROGER_EXTERN int roger_marathon_queue_parse(struct roger_marathon_queue **out,
					    const char *body, size_t len,
					    struct roger_err *err);
ROGER_EXTERN void roger_marathon_queue_free(struct roger_marathon_queue *q);
ROGER_EXTERN const struct roger_marathon_queue_entry *
roger_marathon_queue_find(const struct roger_marathon_queue *q,
			  const char *app_id);

struct roger_marathon_info {
	json_t *json;
	const char *name;
	const char *version;
	const char *leader;
	const char *framework_id;
	bool elected;
};

ROGER_EXTERN int roger_marathon_info_parse(struct roger_marathon_info **out,
					   const char *body, size_t len,
					   struct roger_err *err);
ROGER_EXTERN void roger_marathon_info_free(struct roger_marathon_info *info);

/* {"leader": "host:port"} -> a new string. */
ROGER_EXTERN int roger_marathon_leader_parse(char **out, const char *body,
					     size_t len, struct roger_err *err);

/* ---- error replies ------------------------------------------------------- */

struct roger_marathon_error_detail {
	const char *path; /* "/healthChecks(0)/portIndex" */
	const char **errors;
	size_t n_errors;
};

struct roger_marathon_error {
	json_t *json;
	const char *message;
	struct roger_marathon_error_detail *details; /* validation (4xx) */
	size_t n_details;
	const char *details_text; /* "details" as a string (parse errors) */
	const char **deployments; /* 409: ids of the locking deployments */
	size_t n_deployments;
};

/* Parse an error body; ROGER_EHTTP when it is not a JSON object. */
ROGER_EXTERN int roger_marathon_error_parse(struct roger_marathon_error **out,
					    const char *body, size_t len,
					    struct roger_err *err);
ROGER_EXTERN void roger_marathon_error_free(struct roger_marathon_error *e);

/*
 * A validation path of Marathon as the user wrote it under roger.json's
 * "marathon": "/healthChecks(0)/portIndex" ->
 * "marathon.healthChecks[0].portIndex",
 * "/" -> "marathon".  Appended to `out`.
 */
ROGER_EXTERN int roger_marathon_user_path(struct roger_buf *out,
					  const char *path);

/*
 * Turn a Marathon error reply into `err`, when Marathon's body says what
 * went wrong: 404 ROGER_ENOTFOUND ("app '/x' does not exist"), 409
 * ROGER_ECONFLICT naming the locking deployments (ROGER_EEXISTS for a
 * create of an existing id), 400/422 ROGER_EINVALID with each detail as
 * "<source>: marathon.path: errors" ("roger.json: marathon.cpus:
 * error.expected.jsnumber (expected a number)"; `source` NULL gives
 * "invalid app definition"), and a 403 for too many deployments
 * ROGER_EHTTP.  `url` names the request in messages.  Returns the code, or
 * 0 when the reply is not one of these (401, 5xx, HTML, ...): the caller
 * then uses roger_http_client_status_err().
 */
ROGER_EXTERN int roger_marathon_error_from_reply(struct roger_err *err,
						 long status, const char *body,
						 size_t len, const char *url,
						 const char *source);

/* ---- the event stream ---------------------------------------------------- */

/*
 * An event of /v2/events (cut out of the stream by sse.h): its type (the
 * SSE "event:" field, "message" when absent) and its data, one line of
 * JSON.
 */
typedef roger_sse_event_fn roger_marathon_event_fn;

/* The fields of an event that deploy watching needs; NULL/-1 when absent. */
struct roger_marathon_event {
	json_t *json;
	const char *type; /* eventType */
	const char *timestamp;
	const char *app_id; /* appId or runSpecId */
	const char *task_id;
	const char *instance_id;
	const char *task_status; /* status_update_event: "TASK_FAILED" */
	const char *condition; /* instance_changed_event: "Failed" */
	const char *host;
	const char *slave_id; /* slaveId or agentId */
	const char *version; /* version or runSpecVersion */
	const char *message;
	const char *reason;
	const char *group_id;
	const char *deployment_id; /* deployment_*: id, else plan.id */
	int alive; /* health_status_changed_event: 0/1, else -1 */
	const char **plan_apps; /* apps the plan's actions touch */
	size_t n_plan_apps;
};

/* Parse the data of one event (`type` is used when eventType is absent). */
ROGER_EXTERN int roger_marathon_event_parse(struct roger_marathon_event **out,
					    const char *type, const char *json,
					    size_t len, struct roger_err *err);
ROGER_EXTERN void roger_marathon_event_free(struct roger_marathon_event *ev);
/* Whether the event concerns the app `app_id` (appId, runSpecId, plan). */
ROGER_EXTERN bool
roger_marathon_event_affects(const struct roger_marathon_event *ev,
			     const char *app_id);

/* ---- the client ---------------------------------------------------------- */

struct roger_marathon;

/* A client over `http` (steals it, even on failure). */
ROGER_EXTERN int roger_marathon_new(struct roger_marathon **out,
				    struct roger_ctx *ctx,
				    struct roger_http_client *http,
				    struct roger_err *err);
/* A client for the Marathon URLs of a target. */
ROGER_EXTERN int roger_marathon_for_target(struct roger_marathon **out,
					   struct roger_ctx *ctx,
					   const struct roger_target *target,
					   struct roger_err *err);
ROGER_EXTERN void roger_marathon_free(struct roger_marathon *m);
/* The HTTP client underneath (borrowed). */
ROGER_EXTERN struct roger_http_client *
roger_marathon_http(const struct roger_marathon *m);
/*
 * The name that validation errors start with ("roger.json"); copied.  NULL
 * (the default) gives "invalid app definition".
 */
ROGER_EXTERN int roger_marathon_set_source(struct roger_marathon *m,
					   const char *source);

/*
 * Send a built request and check its status: 0 with the reply in `resp`
 * for a 2xx, else the error of roger_marathon_error_from_reply() or
 * roger_http_client_status_err().  The building block of the calls below.
 */
ROGER_EXTERN int roger_marathon_send(struct roger_marathon *m,
				     const struct roger_marathon_req *req,
				     struct roger_http_resp *resp,
				     struct roger_err *err);

/*
 * Send a built request that starts a deployment (PUT, PATCH or DELETE of
 * an app, a restart) and parse the deployment it started; `req` is
 * released.  *created (may be NULL) tells a 201 from a 200.
 */
ROGER_EXTERN int
roger_marathon_send_deploying(struct roger_marathon_deployment_result *out,
			      bool *created, struct roger_marathon *m,
			      struct roger_marathon_req *req,
			      struct roger_err *err);

/* ROGER_ENOTFOUND when the app does not exist. */
ROGER_EXTERN int roger_marathon_get_app(struct roger_marathon_app **out,
					struct roger_marathon *m,
					const char *id, unsigned embed,
					struct roger_err *err);
ROGER_EXTERN int roger_marathon_list_apps(struct roger_marathon_apps **out,
					  struct roger_marathon *m,
					  const char *id_filter,
					  const char *label, unsigned embed,
					  struct roger_err *err);
/* Create or update; *created (may be NULL) tells a 201 from a 200. */
ROGER_EXTERN int
roger_marathon_put_app(struct roger_marathon_deployment_result *out,
		       bool *created, struct roger_marathon *m, const char *id,
		       const json_t *app, unsigned flags,
		       struct roger_err *err);
ROGER_EXTERN int
roger_marathon_patch_app(struct roger_marathon_deployment_result *out,
			 struct roger_marathon *m, const char *id,
			 const json_t *app, unsigned flags,
			 struct roger_err *err);
ROGER_EXTERN int
roger_marathon_scale_app(struct roger_marathon_deployment_result *out,
			 struct roger_marathon *m, const char *id,
			 int instances, unsigned flags, struct roger_err *err);
ROGER_EXTERN int
roger_marathon_rollback_app(struct roger_marathon_deployment_result *out,
			    struct roger_marathon *m, const char *id,
			    const char *version, unsigned flags,
			    struct roger_err *err);
ROGER_EXTERN int
roger_marathon_delete_app(struct roger_marathon_deployment_result *out,
			  struct roger_marathon *m, const char *id,
			  unsigned flags, struct roger_err *err);
ROGER_EXTERN int
roger_marathon_restart_app(struct roger_marathon_deployment_result *out,
			   struct roger_marathon *m, const char *id,
			   unsigned flags, struct roger_err *err);
ROGER_EXTERN int roger_marathon_app_tasks(struct roger_marathon_tasks **out,
					  struct roger_marathon *m,
					  const char *id,
					  struct roger_err *err);
/*
 * Kill the app's tasks (on `host` when not NULL).  Without
 * ROGER_MARATHON_SCALE Marathon returns the killed tasks (*tasks_out, may
 * be NULL); with it, a deployment (*dep_out, may be NULL).
 */
ROGER_EXTERN int
roger_marathon_kill_tasks(struct roger_marathon_tasks **tasks_out,
			  struct roger_marathon_deployment_result *dep_out,
			  struct roger_marathon *m, const char *id,
			  const char *host, unsigned flags,
			  struct roger_err *err);
ROGER_EXTERN int
roger_marathon_kill_task(struct roger_marathon_tasks **tasks_out,
			 struct roger_marathon_deployment_result *dep_out,
			 struct roger_marathon *m, const char *id,
			 const char *task_id, unsigned flags,
			 struct roger_err *err);
ROGER_EXTERN int
roger_marathon_app_versions(struct roger_marathon_versions **out,
			    struct roger_marathon *m, const char *id,
			    struct roger_err *err);
/* The app definition stored as `version` (a new reference). */
ROGER_EXTERN int roger_marathon_app_version(json_t **out,
					    struct roger_marathon *m,
					    const char *id, const char *version,
					    struct roger_err *err);
ROGER_EXTERN int
roger_marathon_deployments(struct roger_marathon_deployments **out,
			   struct roger_marathon *m, struct roger_err *err);
/*
 * Roll back a deployment (*out gets the new one), or with
 * ROGER_MARATHON_FORCE abort it (*out is zeroed).  `out` may be NULL.
 */
ROGER_EXTERN int roger_marathon_cancel_deployment(
	struct roger_marathon_deployment_result *out, struct roger_marathon *m,
	const char *deployment_id, unsigned flags, struct roger_err *err);
ROGER_EXTERN int roger_marathon_queue(struct roger_marathon_queue **out,
				      struct roger_marathon *m,
				      struct roger_err *err);
ROGER_EXTERN int roger_marathon_info(struct roger_marathon_info **out,
				     struct roger_marathon *m,
				     struct roger_err *err);
ROGER_EXTERN int roger_marathon_leader(char **out, struct roger_marathon *m,
				       struct roger_err *err);
ROGER_EXTERN int roger_marathon_ping(struct roger_marathon *m,
				     struct roger_err *err);

/* Called about once a second while an event stream is open, and after
 * each batch of events that arrived together (see below). */
typedef int (*roger_marathon_tick_fn)(void *data, struct roger_err *err);

/* How to follow the event stream. */
struct roger_marathon_watch {
	/*
	 * Event types to receive (server-side filter); NULL: every one.
	 * Include "event_stream_attached" to learn when the stream is live:
	 * it has no history, so that is when to poll once to catch up.
	 */
	const char *const *types;
	size_t n_types;
	long idle_timeout_ms; /* 0: 30 s (Marathon's heartbeat is 10 s) */
	roger_marathon_event_fn on_event;
	/*
	 * Optional: called about once a second, events or not, so a watcher
	 * can keep its clock and poll (through another client: this one is
	 * busy), and right after the events that arrived in one read have
	 * all gone to on_event, so that it can act once on a burst.
	 * Returns 0, ROGER_HTTP_STOP, or a negative code.
	 */
	roger_marathon_tick_fn on_tick;
	void *data; /* handed to both callbacks */
};

/*
 * Follow /v2/events, calling w->on_event for each event and w->on_tick
 * about once a second and after each batch of events, until one of them returns
 * ROGER_HTTP_STOP (then 0 is returned) or an error (returned).  The stream
 * ending, or staying silent past the idle timeout, is ROGER_ENET: the caller
 * reconnects and catches up by polling.
 */
ROGER_EXTERN int roger_marathon_events(struct roger_marathon *m,
				       const struct roger_marathon_watch *w,
				       struct roger_err *err);

ROGER_END_DECLS

#endif
