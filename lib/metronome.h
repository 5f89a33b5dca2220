/*
 * metronome.h - the Metronome jobs API (0.2 to 0.6, METRONOME.md) as
 * data, and a thin client that sends it.
 *
 * The same three layers as marathon.h:
 *  - requests as data: roger_metronome_req_*() build the method, path and
 *    body of each call (pure), checking job and schedule ids against
 *    Metronome's rules first (the strict 0.6.44 pattern: no "--");
 *  - replies as structs: roger_metronome_*_parse() read jobs (with the
 *    embedded schedules, active runs and history), runs and schedules in
 *    the shapes the contract lists: timestamps with a "+0000" offset,
 *    `completedAt` null or absent, `history.*.tasks` only from 0.6.33,
 *    `activeRuns` absent from a list's idle jobs (pure); error replies
 *    become one roger_err with roger_metronome_error_from_reply() (pure);
 *  - the client: roger_metronome_*() send a request through a
 *    struct roger_http_client and parse the reply (thin I/O).
 *
 * Parsed structs keep a reference to the JSON they came from and borrow
 * their strings from it; a missing string is NULL, a missing number 0.
 */
#ifndef ROGER_METRONOME_H
#define ROGER_METRONOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "common.h"
#include "http.h"

ROGER_BEGIN_DECLS

struct roger_ctx;
struct roger_err;
struct roger_target;

/* ---- identifiers and times ----------------------------------------------- */

/*
 * Check a job id ("prod.example.app"): dot-separated names of lower-case
 * letters, digits and single '-' between them, as Metronome 0.6.41+
 * requires.  0, or ROGER_EINVALID with the reason.
 */
ROGER_EXTERN int roger_metronome_id_check(const char *id,
					  struct roger_err *err);
/* A schedule id: [a-z0-9][a-z0-9-]*[a-z0-9], two characters at least. */
ROGER_EXTERN int roger_metronome_schedule_id_check(const char *id,
						   struct roger_err *err);
/*
 * Read Metronome's timestamp ("2016-07-15T13:02:59.735+0000": an offset
 * without a colon, of the server's zone; "Z" and "+00:00" are read too)
 * as ms since the epoch into *out.  False, leaving *out alone, for NULL
 * or any other text.
 */
ROGER_EXTERN bool roger_metronome_time_parse(int64_t *out, const char *s);
/* `ms` as Metronome writes it, in UTC: "2016-07-15T13:02:59.735+0000". */
ROGER_EXTERN void roger_metronome_time_format(char out[32], int64_t ms);

/* ---- requests as data ---------------------------------------------------- */

/* What a job GET embeds (the `embed` query parameter, repeated). */
enum roger_metronome_embed {
	ROGER_METRONOME_EMBED_ACTIVE_RUNS = 1 << 0,
	ROGER_METRONOME_EMBED_SCHEDULES = 1 << 1,
	ROGER_METRONOME_EMBED_HISTORY = 1 << 2,
	ROGER_METRONOME_EMBED_HISTORY_SUMMARY = 1 << 3,
};

/* One call as data.  Release with roger_metronome_req_release(). */
struct roger_metronome_req {
	const char *method; /* static */
	char *path; /* "/v1/jobs/web.hello.report?embed=history" */
	char *body; /* JSON text, or NULL */
	enum roger_http_idempotence idempotent;
};

ROGER_EXTERN void roger_metronome_req_release(struct roger_metronome_req *r);
/* View `r` as an HTTP request (borrowing its strings). */
ROGER_EXTERN void roger_metronome_req_http(const struct roger_metronome_req *r,
					   struct roger_http_req *out);

/*
 * Builders: each checks the ids (ROGER_EINVALID) and fills *out, or
 * ROGER_ENOMEM.  Bodies are sent as application/json (Metronome answers
 * 415 otherwise).
 */
/* GET /v1/jobs?embed=... */
ROGER_EXTERN int roger_metronome_req_list_jobs(struct roger_metronome_req *out,
					       unsigned embed,
					       struct roger_err *err);
/* GET /v1/jobs/{id}?embed=... */
ROGER_EXTERN int roger_metronome_req_get_job(struct roger_metronome_req *out,
					     const char *id, unsigned embed,
					     struct roger_err *err);
/* POST /v1/jobs (201), the job's own id checked */
ROGER_EXTERN int roger_metronome_req_create_job(struct roger_metronome_req *out,
						const json_t *job,
						struct roger_err *err);
/* PUT /v1/jobs/{id}: the whole spec */
ROGER_EXTERN int roger_metronome_req_put_job(struct roger_metronome_req *out,
					     const char *id, const json_t *job,
					     struct roger_err *err);
/* DELETE /v1/jobs/{id}[?stopCurrentJobRuns=true] */
ROGER_EXTERN int roger_metronome_req_delete_job(struct roger_metronome_req *out,
						const char *id, bool stop_runs,
						struct roger_err *err);
/* POST /v1/jobs/{id}/schedules (201) */
ROGER_EXTERN int
roger_metronome_req_create_schedule(struct roger_metronome_req *out,
				    const char *id, const json_t *schedule,
				    struct roger_err *err);
/* PUT /v1/jobs/{id}/schedules/{sid} (404 when missing: no upsert) */
ROGER_EXTERN int
roger_metronome_req_put_schedule(struct roger_metronome_req *out,
				 const char *id, const char *schedule_id,
				 const json_t *schedule, struct roger_err *err);
/* DELETE /v1/jobs/{id}/schedules/{sid} (200, empty body) */
ROGER_EXTERN int
roger_metronome_req_delete_schedule(struct roger_metronome_req *out,
				    const char *id, const char *schedule_id,
				    struct roger_err *err);
/* POST /v1/jobs/{id}/runs (201, not idempotent) */
ROGER_EXTERN int roger_metronome_req_start_run(struct roger_metronome_req *out,
					       const char *id,
					       struct roger_err *err);
/* GET /v1/jobs/{id}/runs/{runId} (404 once the run ended) */
ROGER_EXTERN int roger_metronome_req_get_run(struct roger_metronome_req *out,
					     const char *id, const char *run_id,
					     struct roger_err *err);
/* POST /v1/jobs/{id}/runs/{runId}/actions/stop */
ROGER_EXTERN int roger_metronome_req_stop_run(struct roger_metronome_req *out,
					      const char *id,
					      const char *run_id,
					      struct roger_err *err);

/* ---- replies as structs -------------------------------------------------- */

struct roger_metronome_task {
	const char *id;
	const char *status; /* "TASK_RUNNING" */
	const char *started_at;
	const char *completed_at; /* NULL unless TASK_FINISHED */
};

struct roger_metronome_run {
	json_t *json;
	const char *id;
	const char *job_id;
	const char *status; /* INITIAL STARTING ACTIVE SUCCESS FAILED */
	const char *created_at;
	const char *completed_at; /* NULL while it runs */
	struct roger_metronome_task *tasks;
	size_t n_tasks;
};

struct roger_metronome_schedule {
	const char *id;
	const char *cron;
	const char *timezone; /* "UTC" when absent */
	const char *concurrency_policy; /* "ALLOW" when absent */
	bool enabled; /* true when absent */
	int starting_deadline_seconds; /* 900 when absent */
	const char *next_run_at; /* NULL when none */
};

/* A finished run, as the history lists it. */
struct roger_metronome_finished {
	const char *id;
	const char *created_at;
	const char *finished_at;
	const char **tasks; /* 0.6.33+; NULL and 0 before */
	size_t n_tasks;
	bool success;
};

struct roger_metronome_history {
	bool present; /* the job was fetched with history embedded */
	int64_t success_count, failure_count;
	const char *last_success_at, *last_failure_at;
	/* successful ones first, then failed ones, each newest first */
	struct roger_metronome_finished *runs;
	size_t n_runs;
};

struct roger_metronome_job {
	json_t *json;
	const char *id;
	const char *description;
	const json_t *labels; /* object, or NULL */
	const json_t *run; /* object, or NULL */
	const char *cmd; /* run.cmd */
	struct roger_metronome_schedule *schedules;
	size_t n_schedules;
	bool has_schedules; /* `schedules` was in the reply */
	struct roger_metronome_run *active_runs; /* json of each is NULL */
	size_t n_active_runs;
	struct roger_metronome_history history;
};

/*
 * Parse a job (POST/PUT/GET/DELETE replies: the spec, or the JobInfo
 * with what was embedded).  ROGER_EHTTP when the body is not JSON or not
 * a job ("invalid JSON in the job: ..."), as every parser below.
 */
ROGER_EXTERN int roger_metronome_job_parse(struct roger_metronome_job **out,
					   const char *body, size_t len,
					   struct roger_err *err);
/* The same from a JSON object (takes a reference of its own). */
ROGER_EXTERN int roger_metronome_job_from_json(struct roger_metronome_job **out,
					       json_t *obj,
					       struct roger_err *err);
ROGER_EXTERN void roger_metronome_job_free(struct roger_metronome_job *job);
/* A label's value (borrowed), or NULL. */
ROGER_EXTERN const char *
roger_metronome_job_label(const struct roger_metronome_job *job,
			  const char *key);
/*
 * The finished run `run_id` in the job's history (borrowed), or NULL: how
 * a run that vanished from /runs ended.
 */
ROGER_EXTERN const struct roger_metronome_finished *
roger_metronome_job_finished(const struct roger_metronome_job *job,
			     const char *run_id);

struct roger_metronome_jobs {
	json_t *json;
	struct roger_metronome_job **items;
	size_t n;
};

/* GET /v1/jobs: an array of jobs. */
ROGER_EXTERN int roger_metronome_jobs_parse(struct roger_metronome_jobs **out,
					    const char *body, size_t len,
					    struct roger_err *err);
ROGER_EXTERN void roger_metronome_jobs_free(struct roger_metronome_jobs *j);

ROGER_EXTERN int roger_metronome_run_parse(struct roger_metronome_run **out,
					   const char *body, size_t len,
					   struct roger_err *err);
ROGER_EXTERN void roger_metronome_run_free(struct roger_metronome_run *run);
/* Whether a run status is final (SUCCESS or FAILED). */
ROGER_EXTERN bool roger_metronome_run_done(const char *status);

/* A schedule reply (the struct borrows from `*json_out`, a new reference). */
ROGER_EXTERN int
roger_metronome_schedule_parse(struct roger_metronome_schedule *out,
			       json_t **json_out, const char *body, size_t len,
			       struct roger_err *err);

/* ---- error replies ------------------------------------------------------- */

/*
 * Append to `out` the place in the user's files that a 422 detail's
 * `path` ("/run/mem", "/cron") stands for ("jobs.report.mem"); 0 or
 * ROGER_ENOMEM.  Without one, the Metronome path is shown as it is.
 */
typedef int (*roger_metronome_path_fn)(void *data, struct roger_buf *out,
				       const char *path);

/*
 * Turn a Metronome error reply into `err`: 404 ROGER_ENOTFOUND ("job
 * 'x' does not exist", "run 'r' of job 'x' does not exist", "schedule 's'
 * does not exist"), 409 ROGER_ECONFLICT with Metronome's message, 422 (and
 * 400) ROGER_EINVALID with each detail as "<source>: <path>: <errors>",
 * the path through `fn` (may be NULL) and the errors verbatim.  `url`
 * names the request.  Returns the code, or 0 when the body says nothing
 * of use (the caller then uses roger_http_client_status_err()).
 */
ROGER_EXTERN int roger_metronome_error_from_reply(struct roger_err *err,
						  long status, const char *body,
						  size_t len, const char *url,
						  const char *source,
						  roger_metronome_path_fn fn,
						  void *data);

/* ---- the client ---------------------------------------------------------- */

struct roger_metronome;

/* A client over `http` (steals it, even on failure). */
ROGER_EXTERN int roger_metronome_new(struct roger_metronome **out,
				     struct roger_ctx *ctx,
				     struct roger_http_client *http,
				     struct roger_err *err);
/*
 * A client for the Metronome URLs of a target.  ROGER_EINVALID with how to
 * set them when the target has none.
 */
ROGER_EXTERN int roger_metronome_for_target(struct roger_metronome **out,
					    struct roger_ctx *ctx,
					    const struct roger_target *target,
					    struct roger_err *err);
ROGER_EXTERN void roger_metronome_free(struct roger_metronome *m);
/* The HTTP client underneath (borrowed). */
ROGER_EXTERN struct roger_http_client *
roger_metronome_http(const struct roger_metronome *m);
/*
 * What 422 messages start with ("roger.json", copied) and how their paths
 * are mapped (see roger_metronome_error_from_reply()).
 */
ROGER_EXTERN int roger_metronome_set_source(struct roger_metronome *m,
					    const char *source,
					    roger_metronome_path_fn fn,
					    void *data);

/* Send a built request; 0 with the reply for a 2xx, else the error. */
ROGER_EXTERN int roger_metronome_send(struct roger_metronome *m,
				      const struct roger_metronome_req *req,
				      struct roger_http_resp *resp,
				      struct roger_err *err);

ROGER_EXTERN int roger_metronome_list_jobs(struct roger_metronome_jobs **out,
					   struct roger_metronome *m,
					   unsigned embed,
					   struct roger_err *err);
/* ROGER_ENOTFOUND when the job does not exist. */
ROGER_EXTERN int roger_metronome_get_job(struct roger_metronome_job **out,
					 struct roger_metronome *m,
					 const char *id, unsigned embed,
					 struct roger_err *err);
/* Create (`create`) or replace a job; *out (may be NULL) is the reply. */
ROGER_EXTERN int roger_metronome_put_job(struct roger_metronome_job **out,
					 struct roger_metronome *m,
					 const json_t *job, bool create,
					 struct roger_err *err);
/* ROGER_ECONFLICT when it has active runs and not `stop_runs`. */
ROGER_EXTERN int roger_metronome_delete_job(struct roger_metronome *m,
					    const char *id, bool stop_runs,
					    struct roger_err *err);
/* Create (`create`) or replace the schedule `schedule` (its id inside). */
ROGER_EXTERN int roger_metronome_put_schedule(struct roger_metronome *m,
					      const char *id,
					      const json_t *schedule,
					      bool create,
					      struct roger_err *err);
ROGER_EXTERN int roger_metronome_delete_schedule(struct roger_metronome *m,
						 const char *id,
						 const char *schedule_id,
						 struct roger_err *err);
ROGER_EXTERN int roger_metronome_start_run(struct roger_metronome_run **out,
					   struct roger_metronome *m,
					   const char *id,
					   struct roger_err *err);
/* ROGER_ENOTFOUND once the run ended (or for an unknown run). */
ROGER_EXTERN int roger_metronome_get_run(struct roger_metronome_run **out,
					 struct roger_metronome *m,
					 const char *id, const char *run_id,
					 struct roger_err *err);
ROGER_EXTERN int roger_metronome_stop_run(struct roger_metronome *m,
					  const char *id, const char *run_id,
					  struct roger_err *err);

ROGER_END_DECLS

#endif
