/*
 * internal.h - what the parts of roger local's server share (not installed).
 *
 * One `struct roger_local` holds the whole cluster: apps with their tasks,
 * deployments, the event subscribers, the agent.  One mutex (`lock`)
 * guards all of it; the scheduler thread, the health-check threads, the
 * HTTP connection threads, the router's thread (router.c, briefly, to
 * pick a task) and the agent's status-update callback take it.
 * Nobody calls into the agent while holding it (see agent.h): work for the
 * agent is collected under the lock and done after releasing it.
 */
#ifndef ROGER_LOCAL_INTERNAL_H
#define ROGER_LOCAL_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "buf.h"
#include "local/agent.h"
#include "local/decide.h"
#include "local/local.h"

struct roger_ctx;
struct roger_err;
struct roger_local_events;
struct roger_local_registry;
struct roger_images;
struct roger_local_resp;
struct roger_local_router;

#define ROGER_LOCAL_HOST "127.0.0.1"
/*
 * The longest app id (with its leading slash): roger local names a file
 * and every task (task ids are 53 characters longer, and the agent makes
 * a directory of each) after it, and keeps task ids in 192 bytes.
 */
#define ROGER_LOCAL_APP_ID_MAX 128
#define ROGER_LOCAL_MAX_VERSIONS 50
#define ROGER_LOCAL_MAX_PORTS 16
#define ROGER_LOCAL_TIME_LEN 32

struct roger_local_app;

struct roger_local_task {
	struct roger_local_task *next;
	struct roger_local_app *app;
	char id[192];
	char instance_id[192];
	char version[ROGER_LOCAL_TIME_LEN]; /* app version at launch */
	char config_version[ROGER_LOCAL_TIME_LEN]; /* its lastConfigChangeAt */
	json_t *def; /* the definition it runs (own reference) */
	enum roger_task_state state;
	bool launched; /* handed to the agent */
	bool kill_wanted; /* the scheduler decided to kill it */
	bool kill_sent; /* the agent was asked */
	bool kill_unhealthy; /* killed by its health checks: backoff applies */
	/* while kill_wanted: kill only once the router has no connection to
	 * it open, or at this time (CLOCK_MONOTONIC ms), its grace period */
	int64_t drain_until_ms;
	char **env; /* what it was launched with (NULL-terminated) */
	int64_t staged_ms, started_ms;
	uint16_t ports[ROGER_LOCAL_MAX_PORTS];
	int n_ports;
	double cpus, mem, disk;
	struct roger_local_hc *hc;
	int n_hc;
};

struct roger_local_app {
	struct roger_local_app *next;
	char *id;
	json_t *def; /* normalized definition: no version, no versionInfo */
	char version[ROGER_LOCAL_TIME_LEN];
	char last_config[ROGER_LOCAL_TIME_LEN];
	char last_scaling[ROGER_LOCAL_TIME_LEN];
	json_t *versions; /* array of stored definitions, oldest first */
	struct roger_local_task *tasks;
	/* launch queue and backoff */
	double delay_s; /* current backoff, 0: none */
	int64_t delay_until_ms;
	int64_t queue_since_ms; /* 0: not queued */
	int64_t last_offer_ms;
	long offers_processed, offers_unused;
	int reject_cpus, reject_mem, reject_ports;
	int queue_count; /* instances waiting to be launched */
	json_t *last_failure; /* lastTaskFailure, or NULL */
	bool deleted; /* being stopped; hidden from the API */
	bool restarting; /* a RestartApplication is the current step */
	bool unsaved; /* its file is behind: the scheduler retries */
};

struct roger_local_deployment {
	struct roger_local_deployment *next;
	char id[40];
	char version[ROGER_LOCAL_TIME_LEN];
	json_t *steps; /* [{"actions":[{"action":A,"app":ID}]}] */
	json_t *originals; /* {appId: definition before, or null if new} */
	int current_step; /* 1-based, 0 before it started */
	bool forced; /* a revert: never locked out */
	bool cancelling; /* cancelled by the change in progress (txn) */
};

struct roger_local_txn;

struct roger_local {
	struct roger_ctx *ctx;
	char *state_dir, *apps_dir, *artifacts_dir, *work_dir;
	int port;
	int registry_port; /* of its own registry (registry-server.c) */
	char url[64]; /* http://127.0.0.1:PORT */
	char token[ROGER_LOCAL_TOKEN_LEN + 1]; /* secret: see auth.c */
	char leader[64]; /* 127.0.0.1:PORT */
	char framework_id[64], master_id[64], agent_id[64];
	double cap_cpus, cap_mem;
	int64_t start_ms;
	uint64_t gc_size; /* prune past this many bytes; UINT64_MAX: never */
	pthread_cond_t gc_wake; /* wakes the collector (prune.c) to stop */
	pthread_t gc_thread;
	bool gc_started;

	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t sched_thread; /* the scheduler's, once started */
	/* The next host port to try for a task (0: none chosen yet). */
	long next_host_port;
	bool stopping;
	bool dirty_deployments;
	bool deployments_save_failed; /* logged once until a save works */
	/* The change a request is making, between roger_local_txn_begin()
	 * and roger_local_txn_end() (lock held throughout); NULL otherwise. */
	struct roger_local_txn *txn;
	int health_threads; /* running check threads */
	pthread_cond_t health_done;

	/* connections (server.c): libmicrohttpd's limit, how many of them
	 * are served (the others get a 503), how many event streams, and
	 * how many connections are open (atomic) */
	unsigned conn_limit, max_conns, max_events, conns;

	struct roger_agent *agent;
	struct roger_images *images; /* images.h */
	struct roger_local_registry *registry; /* registry-server.c */
	struct roger_local_metronome *metronome; /* local/metronome-int.h */
	/* router.c: set before the scheduler starts, freed after it stopped;
	 * NULL when not running */
	struct roger_local_router *router;
	int router_port; /* the HTTP front's, 0 until it listens */
	int service_port_min; /* service ports are assigned from here */
	struct roger_local_events *events;
	struct roger_local_sessions *sessions; /* exec sessions (session.h) */
	struct roger_local_app *apps; /* sorted by id */
	struct roger_local_deployment *deployments; /* in creation order */
};

/* ---- util.c ---------------------------------------------------------------- */

/* "2014-03-01T23:42:20.938Z" for `ms` since the epoch. */
void roger_local_fmt_time(char out[ROGER_LOCAL_TIME_LEN], int64_t ms);
/* The wall clock in ms, made strictly increasing for version stamps. */
int64_t roger_local_now(struct roger_local *L);
/* A new version stamp later than `after` (may be ""). */
void roger_local_new_version(struct roger_local *L,
			     char out[ROGER_LOCAL_TIME_LEN], const char *after);
/* Marathon's safe id of an app path: "/a/b" -> "a_b". */
void roger_local_safe_id(char *out, size_t size, const char *app_id);
/* A JSON number as Marathon prints a double: 1 for 1.0, 0.25 for 0.25. */
json_t *roger_local_json_number(double v);
/* Scala's Double.toString for the environment: "1.0", "0.25". */
void roger_local_fmt_double(char *out, size_t size, double v);
/* A copy of the NULL-terminated string vector `v` (NULL: an empty one);
 * NULL when out of memory. */
char **roger_local_strv_dup(char *const *v);
/* Free a string vector and its strings; NULL is fine. */
void roger_local_strv_free(char **v);
/* `prefix` then `name` upper-cased with everything but [A-Z0-9_] made
 * '_', as Marathon names variables after ports and labels. */
void roger_local_env_name(char *out, size_t size, const char *prefix,
			  const char *name);

/* ---- launch.c: launches, kills and environments of both schedulers -------- */

/* A NULL-terminated string vector being built; `failed` once out of memory. */
struct roger_local_strv {
	char **v; /* NULL until the first string */
	size_t n, alloc;
	bool failed;
};
/* Append `s` (steals it; NULL counts as out of memory). */
void roger_local_strv_push(struct roger_local_strv *sv, char *s);
/* Add "name=value": in place of the entry of that name when `replace`,
 * after it (both kept) otherwise. */
void roger_local_env_put(struct roger_local_strv *sv, const char *name,
			 const char *value, bool replace);
/*
 * The variables Marathon's task builder makes of a definition's labels
 * and env: MARATHON_APP_LABEL_<KEY> for each string label whose key has
 * at most `key_max` bytes and whose value at most 512, MARATHON_APP_LABELS
 * naming them, then each string of `env`.  `labels` and `env` may be NULL.
 */
void roger_local_env_labels(struct roger_local_strv *sv, const json_t *labels,
			    size_t key_max, const json_t *env, bool replace);

/*
 * A task to launch, owning what the agent needs: made while the lock is
 * held, started after it is released.
 */
struct roger_local_launch {
	struct roger_local_launch *next;
	char task_id[320];
	char *name, *cmd;
	char **args, **env;
	json_t *fetch;
	char *image; /* the image to run the task in, or NULL */
	bool force_pull;
	double cpus, mem, disk, kill_grace;
	uint16_t ports[ROGER_LOCAL_MAX_PORTS];
	int n_ports;
};
/* NULL is fine. */
void roger_local_launch_free(struct roger_local_launch *l);
/* roger_agent_launch() of `l` in the framework given (its name NULL:
 * "marathon"); call it without the lock. */
int roger_local_launch_start(struct roger_agent *a,
			     const struct roger_local_launch *l,
			     const char *framework_id,
			     const char *framework_name, struct roger_err *err);

/* A kill to send once the lock is released. */
struct roger_local_kill {
	struct roger_local_kill *next;
	char task_id[320];
	double grace;
};
/* Put a kill of `task_id` at the head of `*list`; -1 when out of memory. */
int roger_local_kill_queue(struct roger_local_kill **list, const char *task_id,
			   double grace);
/* Send every kill of `list` (call it without the lock), ignoring the
 * agent's answers, and free them. */
void roger_local_kills_send(struct roger_agent *a,
			    struct roger_local_kill *list);

/* ---- app.c: app definitions (pure) ----------------------------------------- */

/*
 * Validate an app definition from a request and normalize it into the
 * shape Marathon 1.10 prints (defaults filled in, fields ordered, empty
 * optional fields dropped).  `id` (may be NULL) overrides the body's id.
 * On failure returns NULL and sets *status and *error to the response
 * (422 with {"message":...,"details":[...]}; new reference).
 */
json_t *roger_local_app_normalize(const json_t *in, const char *id, int *status,
				  json_t **error);
/*
 * Canonical absolute form of an app id ("a/b/" -> "/a/b"), or NULL (and a
 * message in `why`) when a segment breaks Marathon's rules.  New string.
 */
char *roger_local_app_id(const char *raw, const char *base, char *why,
			 size_t why_size);
/* Whether two normalized definitions differ apart from `instances`. */
bool roger_local_app_config_differs(const json_t *a, const json_t *b);
/* A validation error body: {"message":message,"details":[{path,errors:[e]}]}.
 */
json_t *roger_local_invalid(const char *message, const char *path,
			    const char *error);

/* ---- events.c -------------------------------------------------------------- */

/* The event bus; at most `max_subs` subscribers at once. */
int roger_local_events_new(struct roger_local_events **out, size_t max_subs);
/* Free (after the HTTP server stopped and every subscriber is gone). */
void roger_local_events_free(struct roger_local_events *ev);
/* Close every stream (their readers end); called when stopping. */
void roger_local_events_shutdown(struct roger_local_events *ev);
/* Whether every attached stream has ended (after shutdown). */
bool roger_local_events_ended(struct roger_local_events *ev);
/* Resume the suspended streams whose heartbeat is due; call it often. */
void roger_local_events_tick(struct roger_local_events *ev);
/* The cap on subscribers. */
size_t roger_local_events_max(const struct roger_local_events *ev);
/*
 * Publish one event (steals `data`; adds eventType and timestamp if
 * absent).  While a change is in progress (L->txn), the event waits in it
 * and comes out only if the change is saved.
 */
void roger_local_events_publish(struct roger_local *L, const char *type,
				json_t *data);

struct roger_local_sub;
struct MHD_Connection;
/*
 * A subscriber with an optional filter (array of event types, borrowed).
 * ROGER_EEXISTS when the cap on subscribers is reached, ROGER_ENOMEM.
 */
int roger_local_sub_new(struct roger_local_sub **out,
			struct roger_local_events *ev, const char *const *types,
			size_t n_types);
/* The connection the stream goes out on (before its first read). */
void roger_local_sub_attach(struct roger_local_sub *s,
			    struct MHD_Connection *conn);
/* MHD content reader over a subscriber: never waits; with nothing to
 * send it suspends the connection and returns 0. */
ssize_t roger_local_sub_read(void *cls, uint64_t pos, char *buf, size_t max);
void roger_local_sub_free(void *cls);

/* ---- scheduler.c ------------------------------------------------------------ */

int roger_local_sched_start(struct roger_local *L, struct roger_err *err);
/* Stop the scheduler and health threads, then kill every task. */
void roger_local_sched_stop(struct roger_local *L);
/* The agent's status-update callback (data is the struct roger_local). */
void roger_local_sched_on_update(void *data,
				 const struct roger_agent_update *u);
/* Ask the scheduler thread to look at the state now (lock held or not). */
void roger_local_sched_kick(struct roger_local *L);

struct roger_local_app *roger_local_app_find(struct roger_local *L,
					     const char *id, bool deleted_too);
/* Create an app from a normalized definition (lock held). */
struct roger_local_app *roger_local_app_add(struct roger_local *L, json_t *def);
void roger_local_app_free(struct roger_local_app *app);
/*
 * Make `def` (steals) the app's definition with a new version; records it
 * among the versions and moves lastConfigChangeAt or lastScalingAt.
 * Returns whether the configuration changed (not only instances).
 */
bool roger_local_app_set_def(struct roger_local *L, struct roger_local_app *app,
			     json_t *def, bool force_config_change);
/* Give portDefinitions with port 0 free service ports (lock held). */
void roger_local_assign_service_ports(struct roger_local *L, json_t *def,
				      const char *app_id);

/* A new deployment (steps: new reference taken) appended, lock held. */
struct roger_local_deployment *roger_local_deployment_add(struct roger_local *L,
							  json_t *steps,
							  json_t *originals,
							  const char *version);
/* A deployment by id; one a change in progress cancels is not found. */
struct roger_local_deployment *
roger_local_deployment_find(struct roger_local *L, const char *id);
/*
 * Cancel: emit deployment_failed and drop it (lock held).  Within a
 * change (L->txn) it is only marked; the change drops it once saved.
 */
void roger_local_deployment_cancel(struct roger_local *L,
				   struct roger_local_deployment *d);
/* Remove and free a deployment without any event (lock held). */
void roger_local_deployment_drop(struct roger_local *L,
				 struct roger_local_deployment *d);
/* Unlink an app from the list (lock held); the caller frees it. */
void roger_local_app_unlink(struct roger_local *L, struct roger_local_app *app);

/* Ask to kill a task (lock held): the scheduler kills it on its next pass. */
void roger_local_task_kill(struct roger_local *L, struct roger_local_task *t);
struct roger_local_task *roger_local_task_find(struct roger_local *L,
					       const char *id);

/*
 * An int of a definition in [0, INT32_MAX], or `dflt`.  Requests are
 * normalized to that range, but app files of the state directory are not.
 */
long roger_local_def_int(const json_t *def, const char *key, long dflt);
/* Whether every health check of `t` has a result and it is alive (true
 * when it has none). */
bool roger_local_task_healthy(const struct roger_local_task *t);
/* The actions of step `step` (1-based) of `d` (borrowed). */
json_t *roger_local_step_actions(const struct roger_local_deployment *d,
				 int step);

/* ---- marathon-views.c ------------------------------------------------------- */

/* JSON of apps and tasks as Marathon 1.10 prints them (lock held). */
enum roger_local_embed {
	ROGER_LOCAL_EMBED_TASKS = 1 << 0,
	ROGER_LOCAL_EMBED_FAILURE = 1 << 1,
	ROGER_LOCAL_EMBED_COUNTS = 1 << 2,
	ROGER_LOCAL_EMBED_DEPLOYMENTS = 1 << 3,
	ROGER_LOCAL_EMBED_STATS = 1 << 4,
	ROGER_LOCAL_EMBED_READINESS = 1 << 5,
};
json_t *roger_local_app_json(struct roger_local *L,
			     const struct roger_local_app *app, bool info,
			     unsigned embed);
json_t *roger_local_task_json(struct roger_local *L,
			      const struct roger_local_task *t,
			      bool service_ports);
json_t *roger_local_deployment_json(struct roger_local *L,
				    const struct roger_local_deployment *d);
json_t *roger_local_queue_json(struct roger_local *L);
/* Whether the app has something waiting in the launch queue. */
bool roger_local_app_queued(struct roger_local *L,
			    const struct roger_local_app *app);
/* Deployments affecting `app_id`, as [{"id":...}] (new reference). */
json_t *roger_local_deployments_of(struct roger_local *L, const char *app_id);
json_t *roger_local_plan_json(const struct roger_local_deployment *d);
/*
 * One stored version of an app: `def` with "version" and "versionInfo"
 * put where Marathon prints them (new reference).
 */
json_t *roger_local_app_version_json(const json_t *def, const char *version,
				     const char *last_config,
				     const char *last_scaling);

/* ---- health.c --------------------------------------------------------------- */

struct roger_local_hc_job;

/*
 * The health checks now due, as a list of jobs for roger_local_health_run()
 * (lock held); each is marked in flight.  NULL when none is due.
 */
struct roger_local_hc_job *roger_local_health_due(struct roger_local *L);
/* Run `jobs` (steals them), one thread each, lock not held: the threads
 * record their results and count themselves in L->health_threads. */
void roger_local_health_run(struct roger_local *L,
			    struct roger_local_hc_job *jobs);
/* Task `t` has just started running: schedule its first checks (lock held). */
void roger_local_health_started(struct roger_local *L,
				struct roger_local_task *t);

/* ---- state.c ---------------------------------------------------------------- */

/*
 * Load cluster ids, apps and deployments from the state directory.  A
 * deployments.json that does not parse or has the wrong shape is refused
 * (ROGER_EINVALID, the file and the field named).
 */
int roger_local_state_load(struct roger_local *L, struct roger_err *err);
/*
 * Write one app (or remove its file when deleted); lock held.  On failure
 * the app is marked unsaved (the scheduler tries again) and it is logged.
 */
int roger_local_state_save_app(struct roger_local *L,
			       struct roger_local_app *app);
int roger_local_state_save_deployments(struct roger_local *L);
/* Save what is behind on disk (unsaved apps, dirty deployments); the
 * scheduler calls it on every tick, lock held. */
void roger_local_state_flush(struct roger_local *L);

/*
 * A change made by one request, saved as a unit (acknowledge after
 * durable).  Under the lock, a handler calls roger_local_txn_begin(),
 * roger_local_txn_touch() on every existing app before it changes it, and
 * finally roger_local_txn_end(): that writes every app file the change
 * touched and deployments.json to temporary files, renames them into
 * place, and only then lets out the events published meanwhile and drops
 * the deployments cancelled meanwhile.  If anything cannot be written the
 * change is undone in memory (apps restored, apps and deployments created
 * by it removed, cancelled ones kept, events discarded), the files stay
 * as they were, and the response becomes a 500 that says so.  Apps created
 * by roger_local_app_add() and deployments added or cancelled while the
 * change is open are recorded by those functions themselves.
 */
struct roger_local_txn_app;
struct roger_local_txn_event;

struct roger_local_txn {
	struct roger_local_txn_app *apps; /* touched or created, in order */
	size_t n_apps, cap_apps;
	struct roger_local_deployment **added;
	size_t n_added, cap_added;
	struct roger_local_txn_event *events;
	size_t n_events, cap_events;
	bool deployments; /* deployments.json changes */
	bool dirty_before; /* L->dirty_deployments when it began */
	bool oom; /* something could not be recorded */
};

void roger_local_txn_begin(struct roger_local *L, struct roger_local_txn *t);
void roger_local_txn_touch(struct roger_local *L, struct roger_local_app *app);
/* Returns whether the change was saved (or there was none). */
bool roger_local_txn_end(struct roger_local *L, struct roger_local_resp *rs);
/* For scheduler.c and events.c: record into the open change. */
void roger_local_txn_created(struct roger_local_txn *t,
			     struct roger_local_app *app);
void roger_local_txn_deployments(struct roger_local_txn *t,
				 struct roger_local_deployment *added);
void roger_local_txn_event(struct roger_local_txn *t, const char *type,
			   json_t *data);

/* ---- registry-server.c: images ------------------------------------------------ */

/* Start roger local's own registry and open the image store (L->registry,
 * L->images, L->registry_port). */
int roger_local_images_start(struct roger_local *L,
			     const struct roger_local_options *o,
			     struct roger_err *err);
/* Stop the registry and close the image store (after the agent). */
void roger_local_images_stop(struct roger_local *L);
/*
 * When `def` (a normalized app) runs an image that this server cannot
 * isolate, answer 422 saying why in `rs` and return true: no image task
 * ever runs on the host instead.
 */
bool roger_local_image_refused(struct roger_local *L, const json_t *def,
			       struct roger_local_resp *rs);
/* Add "imagePull" (roger_images_progress()) to a deployment's current
 * action when its app's image is being pulled (lock held). */
void roger_local_pull_progress(struct roger_local *L, json_t *action);

/* ---- marathon-api.c, artifacts.c, server.c ---------------------------------- */

struct roger_local_req {
	const char *method;
	const char *path;
	json_t *query; /* [[name, value], ...] in request order */
	const char *content_type;
	const char *accept; /* the first Accept header, or NULL */
	const char *client_ip;
	struct roger_buf body;
	bool body_too_large;
};

struct roger_local_resp {
	int status;
	const char *content_type; /* static */
	struct roger_buf body;
	json_t *headers; /* {name: value} extra headers */
	int fd; /* >= 0: send this file (size from fstat) */
	bool head_only;
	struct roger_local_sub *sub; /* an event stream */
};

/* First value of query parameter `name`, or NULL. */
const char *roger_local_query(const struct roger_local_req *rq,
			      const char *name);
/* Query parameter as a boolean ("true"), `dflt` when absent. */
bool roger_local_query_bool(const struct roger_local_req *rq, const char *name,
			    bool dflt);
void roger_local_resp_json(struct roger_local_resp *rs, int status,
			   json_t *body);
void roger_local_resp_message(struct roger_local_resp *rs, int status,
			      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void roger_local_resp_header(struct roger_local_resp *rs, const char *name,
			     const char *value);

/* Marathon routes (/v2/..., /ping); false when the path is not one. */
bool roger_local_api(struct roger_local *L, const struct roger_local_req *rq,
		     struct roger_local_resp *rs);

/* Validate an artifact path (below /artifacts/); its absolute file path. */
char *roger_local_artifact_path(struct roger_local *L, const char *rel);
/* GET and HEAD of an artifact. */
void roger_local_artifact_get(struct roger_local *L, const char *rel, bool head,
			      struct roger_local_resp *rs);

/* ---- prune.c ---------------------------------------------------------------- */

/*
 * Prune sandboxes and artifacts now (no lock held), keeping the sandboxes
 * of the `keep` last finished tasks of each app: see roger_local_prune().
 * Fills the sandbox and artifact fields of `out`.
 */
int roger_local_prune_run(struct roger_local *L, unsigned keep,
			  struct roger_local_prune_report *out,
			  struct roger_err *err);
/* POST /roger/prune?keep=N: what was removed, as JSON. */
void roger_local_prune_route(struct roger_local *L,
			     const struct roger_local_req *rq,
			     struct roger_local_resp *rs);
/* The thread that prunes past L->gc_size (none when it is UINT64_MAX). */
int roger_local_gc_start(struct roger_local *L, struct roger_err *err);
/* Stop it (after L->stopping is set). */
void roger_local_gc_stop(struct roger_local *L);

#endif
