/*
 * jobs.h - the app's batch work on Metronome: the `release` command and
 * the `jobs` of roger.json, and one-off runs, turned into Metronome job
 * specs from the app they belong to; what a deploy changes in them; and
 * following a run to its end, its output and exit status.
 *
 * A job runs in the app's release: the same artifact or image (its fetch
 * entries, its container), the same environment (`env` and `secrets`),
 * user and labels, so `./bin/migrate` finds what `node index.js` finds.
 * Its id is derived from the app's: the app "/web/hello" owns the jobs
 * "web.hello.<name>", where <name> is a job of roger.json, "release" or
 * "run" (those two names are reserved); each carries the labels ROGER_APP
 * and ROGER_JOB, by which roger recognizes its own jobs and never touches
 * another's.
 *
 * Exit status.  Neither Metronome nor Mesos' state tells a command's exit
 * status, so the job's command is a small wrapper: it runs the command
 * with /bin/sh, writes the status to ROGER_JOBS_STATUS_FILE in the
 * sandbox, and exits with it; the follower reads that file through the
 * Mesos files API.  A run whose file is missing never ran its command
 * (the fetch failed, it was killed first).
 *
 * Pure: everything here but roger_jobs_follow(), which talks to Metronome
 * and Mesos through their clients.
 */
#ifndef ROGER_JOBS_H
#define ROGER_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "common.h"
#include "logs.h"

ROGER_BEGIN_DECLS

struct roger_ctx;
struct roger_err;
struct roger_metronome;
struct roger_mesos;
struct roger_project;

#define ROGER_JOBS_RELEASE "release"
#define ROGER_JOBS_RUN "run"
/* The file in the sandbox where the wrapper leaves the exit status. */
#define ROGER_JOBS_STATUS_FILE ".roger-exit-status"
/* The id of the one schedule roger gives a job. */
#define ROGER_JOBS_SCHEDULE_ID "default"

/*
 * Whether `name` may name a job in roger.json: one Metronome name
 * (lower-case letters and digits, single '-' inside), not reserved.
 */
ROGER_EXTERN bool roger_jobs_name_valid(const char *name);

/*
 * The Metronome id of the job `name` of the app `app_id`: "/web/hello" and
 * "report" give "web.hello.report".  ROGER_EINVALID when the result breaks
 * Metronome's id rules (an app id with "--" in it, say), naming the app.
 */
ROGER_EXTERN int roger_jobs_id(char **out, const char *app_id, const char *name,
			       struct roger_err *err);

/*
 * The command Metronome runs for `cmd`: /bin/sh -c with `cmd` quoted,
 * then the status written to ROGER_JOBS_STATUS_FILE.  A new string.
 */
ROGER_EXTERN char *roger_jobs_wrap_cmd(const char *cmd);
/* The user's command back from a wrapped one (new string), or NULL. */
ROGER_EXTERN char *roger_jobs_unwrap_cmd(const char *wrapped);

/*
 * `argv` as one shell command line: words that need it are single-quoted
 * ("echo 'a b'"), so that `roger run -- echo 'a b'` prints "a b".  A
 * single word is taken as it is (a whole command line, as ssh does).
 */
ROGER_EXTERN char *roger_jobs_join_argv(int argc, char *const *argv);

/* What a job is made of besides the app. */
struct roger_jobs_job {
	const char *name; /* "report", "release", "run" */
	const char *cmd; /* the user's command */
	const char *source; /* "jobs.report", "release": for messages */
	/* 0: the app's (the roger.json job's values otherwise) */
	double cpus, mem, disk;
	const json_t *env; /* added over the app's env, or NULL */
	const char *description;
	/* the schedule, or cron NULL */
	const char *cron, *timezone, *concurrency_policy;
	bool enabled;
	int starting_deadline_seconds; /* 0: Metronome's default */
};

/*
 * The job spec for `job` of the app `app` (a rendered or live Marathon
 * app definition, or {"app": ...}) as POST /v1/jobs takes it, in *out (a
 * new reference): id from the app's, labels ROGER_APP and ROGER_JOB with
 * the app's ROGER_* labels, run.cmd the wrapped command, cpus, mem and
 * disk, env and secrets, user, artifacts from the app's fetch entries
 * (Metronome has no destPath; entries with one are dropped), docker or
 * ucr from its container, restart NEVER.  ROGER_EINVALID for an id
 * Metronome would refuse; ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_jobs_spec(json_t **out, const json_t *app,
				 const struct roger_jobs_job *job,
				 struct roger_err *err);
/* The ScheduleSpec of `job` (new reference), or NULL without a cron. */
ROGER_EXTERN json_t *roger_jobs_schedule(const struct roger_jobs_job *job);

/*
 * The jobs of roger.json (`jobs`, in file order) as *out (an array of
 * `n`; strings borrowed from `p`), and the release command in *release
 * (NULL when there is none; may be NULL).
 */
ROGER_EXTERN int roger_jobs_of_project(struct roger_jobs_job **out, size_t *n,
				       const char **release,
				       const struct roger_project *p,
				       struct roger_err *err);

/*
 * The fields of a job spec (and its schedule, may be NULL) that roger
 * sets, with Metronome's defaults filled in, as a new object for
 * roger_diff_apps(): {id, description, labels, run: {cmd, cpus, mem, disk,
 * env, user, artifacts, docker, ucr}, schedule: {...}}.  Applied to both
 * the live job and the one to deploy, so that the diff shows only what
 * changes.
 */
ROGER_EXTERN json_t *roger_jobs_comparable(const json_t *spec,
					   const json_t *schedule);

/*
 * Map the path of a 422 detail about the job of roger.json `source`
 * ("jobs.report", "release") to what the user wrote: "/run/mem" ->
 * "jobs.report.mem", "/cron" -> "jobs.report.schedule", "/run/env" ->
 * "marathon.env"; anything else "jobs.report (Metronome's /x)".  A
 * roger_metronome_path_fn: `data` is the source.
 */
ROGER_EXTERN int roger_jobs_user_path(void *data, struct roger_buf *out,
				      const char *path);

/* ---- following a run ------------------------------------------------------ */

struct roger_jobs_follow {
	const char *job_id;
	const char *run_id;
	/* Each line of the run's stdout and stderr (line->stream says). */
	roger_logs_line_fn on_line;
	roger_logs_flush_fn on_flush; /* may be NULL */
	void *data;
	int64_t timeout_ms; /* 0: none */
	long poll_ms; /* 0: 200 */
};

struct roger_jobs_outcome {
	bool success; /* Metronome says SUCCESS */
	int exit_status; /* the command's; -1 when it never ran */
	char task_id[256]; /* the last task, "" when none started */
	char state[32]; /* its last Mesos state, "" when unknown */
	char reason[512]; /* why it failed without an exit status */
};

/*
 * Follow the run until it ends: poll it (GET .../runs/{id}); stream the
 * stdout and stderr of its tasks through Mesos as they grow; when it
 * vanishes from /runs, read its outcome from the job's history, drain
 * the files, and read the exit status the wrapper left.  Returns 0 with
 * *out filled once the run ended, ROGER_ETIMEOUT after timeout_ms or
 * ROGER_EINTR when the context was interrupted (the run left alone in
 * both cases: the caller decides, and an interrupted context fails every
 * request until its flag is cleared), or the errors of the clients
 * (ROGER_ENOTFOUND when the run is in neither /runs nor the history).
 */
ROGER_EXTERN int roger_jobs_follow_run(struct roger_jobs_outcome *out,
				       struct roger_ctx *ctx,
				       struct roger_metronome *metronome,
				       struct roger_mesos *mesos,
				       const struct roger_jobs_follow *o,
				       struct roger_err *err);

ROGER_END_DECLS

#endif
