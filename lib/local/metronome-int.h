/*
 * metronome-int.h - roger local's Metronome (not installed): the jobs API of
 * METRONOME.md on the server's own port, jobs and their one schedule,
 * runs launched through the same agent as Marathon's tasks, and the
 * history of finished runs, kept across restarts in <state>/metronome.json.
 *
 * Threads and locks.  Everything here is guarded by the Metronome's own
 * mutex, never the scheduler's: the two share only the agent, and, as
 * for the scheduler, nobody calls into the agent while holding the lock.
 * The HTTP handlers (metronome-api.c) change the state under the lock
 * and save it before they answer; the Metronome's thread (metronome.c)
 * fires schedules, enforces starting deadlines, and does the launches and
 * kills the handlers asked for, outside the lock.
 *
 * The server's hooks are the functions under "server" below: created
 * after the state is loaded, started after the agent, its routes tried
 * before Marathon's, the agent's updates offered to it, its framework
 * shown in /master/state, stopped before the agent is freed.
 */
#ifndef ROGER_LOCAL_METRONOME_INT_H
#define ROGER_LOCAL_METRONOME_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

struct roger_agent_update;
struct roger_err;
struct roger_local;
struct roger_local_req;
struct roger_local_resp;
struct roger_local_metronome;

/* ---- server ------------------------------------------------------------- */

/* The framework runs are launched in, as /master/state names it. */
#define ROGER_LOCAL_METRONOME_FRAMEWORK "metronome"
/* The file of the state directory that keeps the jobs (prune.c reads it). */
#define ROGER_LOCAL_METRONOME_FILE "metronome.json"

/*
 * Load <state>/metronome.json (runs that were active when the server
 * stopped are recorded as failed) into a new Metronome of `L`.
 * ROGER_EINVALID naming the file when it does not parse.
 */
int roger_local_metronome_new(struct roger_local_metronome **out,
			      struct roger_local *L, struct roger_err *err);
/* Start its thread (after the agent exists). */
int roger_local_metronome_start(struct roger_local_metronome *M,
				struct roger_err *err);
/*
 * Stop its thread, record the active runs as failed (their tasks die
 * with the agent), save.  Before roger_agent_free(); NULL is fine.
 */
void roger_local_metronome_stop(struct roger_local_metronome *M);
void roger_local_metronome_free(struct roger_local_metronome *M);
/* The routes under /v1/ (false for any other path). */
bool roger_local_metronome_api(struct roger_local_metronome *M,
			       const struct roger_local_req *rq,
			       struct roger_local_resp *rs);
/* An agent status update; ignored unless the task is a run's. */
void roger_local_metronome_on_update(struct roger_local_metronome *M,
				     const struct roger_agent_update *u);
/* Its framework id (borrowed, lives as long as M). */
const char *
roger_local_metronome_framework_id(const struct roger_local_metronome *M);

/* ---- shared by metronome.c and metronome-api.c ---------------------------- */

#define ROGER_LOCAL_RUN_ID_LEN 19 /* yyyyMMddHHmmss + 5 */
#define ROGER_LOCAL_RUN_TASKS 16
#define ROGER_LOCAL_HISTORY_MAX 1000

struct roger_local_run_task {
	char id[320];
	char status[24]; /* TASK_STAGING ... */
	int64_t started_ms, completed_ms;
};

struct roger_local_run {
	struct roger_local_run *next;
	char id[ROGER_LOCAL_RUN_ID_LEN + 1];
	char status[16]; /* INITIAL, ACTIVE, SUCCESS, FAILED */
	int64_t created_ms, completed_ms;
	json_t *spec; /* the job spec it started with (own reference) */
	bool scheduled; /* fired by the schedule: the deadline applies */
	int64_t deadline_ms;
	bool launch_wanted; /* a task should be launched */
	struct roger_local_run_task tasks[ROGER_LOCAL_RUN_TASKS];
	int n_tasks;
};

struct roger_local_job {
	struct roger_local_job *next;
	char *id;
	json_t *spec; /* normalized, as written out */
	json_t *schedule; /* normalized ScheduleSpec without nextRunAt, or NULL
			   */
	int64_t next_run_ms; /* 0: none computed (or disabled) */
	struct roger_local_run *runs; /* active runs, newest first */
	json_t *history; /* JobHistory as written out */
};

struct roger_local_metronome {
	struct roger_local *L;
	char *path; /* <state>/metronome.json */
	char framework_id[64];
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool started, stopping;
	struct roger_local_job *jobs; /* sorted by id */
	struct roger_local_kill *kills; /* sent outside the lock */
};

/* Milliseconds on the wall clock. */
int64_t roger_local_metronome_now(const struct roger_local_metronome *M);
/* "2016-07-15T13:02:59.735+0000", as Metronome writes times (UTC here). */
json_t *roger_local_metronome_time(int64_t ms);

struct roger_local_job *roger_local_mjob_find(struct roger_local_metronome *M,
					      const char *id);
/* A new job (steals `spec`), linked in order; NULL when out of memory. */
struct roger_local_job *roger_local_mjob_add(struct roger_local_metronome *M,
					     json_t *spec);
/* Unlink and free (its runs must be gone). */
void roger_local_mjob_remove(struct roger_local_metronome *M,
			     struct roger_local_job *job);
/* A new run of `job`, INITIAL, to be launched; NULL when out of memory. */
struct roger_local_run *roger_local_mrun_new(struct roger_local_metronome *M,
					     struct roger_local_job *job,
					     bool scheduled);
struct roger_local_run *roger_local_mrun_find(struct roger_local_job *job,
					      const char *id);
/*
 * Stop a run: FAILED now, moved to the history, its live task queued for
 * a kill.  Returns the run's JSON as it was last (new reference).
 */
json_t *roger_local_mrun_stop(struct roger_local_metronome *M,
			      struct roger_local_job *job,
			      struct roger_local_run *run);
/* The run as GET .../runs/{id} shows it (new reference). */
json_t *roger_local_mrun_json(const struct roger_local_job *job,
			      const struct roger_local_run *run);
/* The schedule as the API shows it, with nextRunAt (new reference). */
json_t *roger_local_mschedule_json(struct roger_local_metronome *M,
				   const struct roger_local_job *job);
/* Recompute the job's next scheduled time (after a schedule change). */
void roger_local_mjob_reschedule(struct roger_local_metronome *M,
				 struct roger_local_job *job);
/* Save everything (lock held): 0, or ROGER_EIO with the reason logged. */
int roger_local_metronome_save(struct roger_local_metronome *M);
/* Wake the thread (launches, kills, schedules). */
void roger_local_metronome_kick(struct roger_local_metronome *M);

/*
 * Validate a job spec from a request and normalize it to the shape
 * Metronome writes (every run field with its default).  `path_id` (may be
 * NULL) wins over the body's id.  NULL with *status and *error (the 422
 * body, new reference) on failure.
 */
json_t *roger_local_mjob_normalize(const json_t *in, const char *path_id,
				   int *status, json_t **error);
/* The same for a ScheduleSpec; `path_id` (may be NULL) wins. */
json_t *roger_local_mschedule_normalize(const json_t *in, const char *path_id,
					const char *tz_dir, int *status,
					json_t **error);

#endif
