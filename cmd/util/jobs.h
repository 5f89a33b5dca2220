/*
 * jobs.h - what the commands that touch Metronome share (run, jobs,
 * deploy, diff, logs --job, status, history): the clients, starting a run
 * and following it to its exit status, and the plan that makes the
 * target's jobs match roger.json.
 */
#ifndef ROGER_CMD_JOBS_H
#define ROGER_CMD_JOBS_H

#include "cmd/cmd.h"

/*
 * A Metronome client for the target (resolving it; starting roger local
 * for the built-in target with `start_local`).  A target without a
 * Metronome URL is exit 3 with how to set one.  Returns an exit status,
 * after printing the error.
 */
int cli_metronome(struct cli *cli, bool start_local,
		  struct roger_metronome **out);
/* A Mesos client for the target (exit 3 without a Mesos URL). */
int cli_mesos(struct cli *cli, struct roger_mesos **out);

/* How a run is shown while it is followed. */
struct cli_run_opts {
	const char *prefix; /* "release": lines go to stderr after it */
	bool detach; /* start it and return */
	int64_t timeout_ms; /* 0: none; on timeout the run is stopped */
	bool collect; /* keep every line for the JSON document */
};

struct cli_run_result {
	char run_id[64];
	int exit_status; /* the command's, -1 when it never ran */
	bool success;
	json_t *output; /* with `collect`: [{"stream","line"}] */
	struct roger_buf tail; /* the last lines of output, for messages */
};

void cli_run_result_release(struct cli_run_result *r);

/*
 * Start a run of the job `job_id` and follow it, its output as it comes
 * (stdout to stdout and stderr to stderr, or both to stderr after
 * `prefix`; nothing with -q).  Returns 0 once the run ended (its outcome
 * in *res, initialized by the caller with {0}), or an exit status after
 * printing the error: 5 when the run never ran its command (the reason
 * said), 6 on timeout and 130 on Ctrl-C (the run stopped in both cases),
 * the request's status otherwise.
 */
int cli_job_run(struct cli *cli, struct roger_metronome *m, const char *job_id,
		const struct cli_run_opts *o, struct cli_run_result *res);

/*
 * `roger run` and `roger jobs run`: start a run of `job_id` and follow it
 * (cli_job_run(), with `detach` and `timeout_ms`), then report it.  With
 * -o json, `doc` (stolen; NULL otherwise) holds the command's own fields,
 * "run_id" among them where it is to stand (null until known); the run's
 * id, "exit_status", "output" and, on failure, "error" are set in it and
 * it is printed.  Otherwise a detached run prints its id, then, with
 * `hint_job` (may be NULL), how to follow it with 'roger logs --job'.
 * Returns the exit status: the run's exit status when it was followed
 * to an end with a failure of its command.
 */
int cli_job_run_report(struct cli *cli, struct roger_metronome *m,
		       const char *job_id, bool detach, int64_t timeout_ms,
		       json_t *doc, const char *hint_job);

/* Create or replace a job spec, then make its schedule `schedule` (NULL:
 * none) the only one.  `live` (may be NULL) is the job as it is now. */
int cli_job_put(struct cli *cli, struct roger_metronome *m, const json_t *spec,
		const json_t *schedule, const struct roger_metronome_job *live,
		struct roger_err *err);

/* ---- making the target's jobs match roger.json ---------------------------- */

enum cli_job_op {
	CLI_JOB_SAME,
	CLI_JOB_CREATE,
	CLI_JOB_UPDATE,
	CLI_JOB_REMOVE,
};

struct cli_job_change {
	enum cli_job_op op;
	const char *name; /* borrowed */
	char *id;
	json_t *spec, *schedule; /* NULL for a removal */
	const struct roger_metronome_job *live; /* NULL when new */
	struct roger_diff *diff; /* for an update */
	char *source; /* "jobs.report" */
};

struct cli_jobs_plan {
	struct cli_job_change *items;
	size_t n;
	struct roger_metronome_jobs *live;
	const char *release; /* the release command, or NULL */
	bool changes; /* something to create, update or remove */
	struct roger_metronome *m; /* NULL: the target has no Metronome */
};

/*
 * The jobs of roger.json for the app `app` (rendered) against the app's
 * jobs on the target.  Without jobs or a release in roger.json and no
 * Metronome URL on the target, the plan is empty and nothing is asked.
 * Returns an exit status after printing the error.
 */
int cli_jobs_plan(struct cli *cli, const json_t *app, bool start_local,
		  struct cli_jobs_plan *out);
void cli_jobs_plan_release(struct cli_jobs_plan *p);
/* The plan's changes on stdout ("job 'report' (new)", diff lines). */
void cli_jobs_plan_show(struct cli *cli, const struct cli_jobs_plan *p);
/* The plan as JSON: [{"name","id","op","diff"}] (new reference). */
json_t *cli_jobs_plan_json(const struct cli_jobs_plan *p);
/*
 * Apply the plan: create and update, schedules included, then remove
 * the jobs no longer in roger.json (saying so first).  Returns an exit
 * status after printing the error.
 */
int cli_jobs_apply(struct cli *cli, struct cli_jobs_plan *p);

/*
 * A few lines about the app's jobs on the target (name, schedule, next
 * run, last run and outcome) for status and history, into `doc` (may be
 * NULL) as "jobs" and, in text, on stdout.  Silent when the target has no
 * Metronome or the app no jobs; a failure is a warning.
 */
void cli_jobs_summary(struct cli *cli, const char *app_id, json_t *doc);

#endif
