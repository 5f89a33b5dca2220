/*
 * jobs-follow.c - following a Metronome run to its end (jobs.h).
 *
 * One loop, every poll_ms: ask Metronome for the run; note the tasks it
 * lists (a restart policy may add some); locate each task's sandbox
 * through the Mesos master (a task just launched may not be known yet:
 * tried again next time); read what its stdout and stderr gained since
 * the last poll, cut into lines.  A run that ended is no longer in /runs
 * (404, the contract's quirk): its outcome, and on 0.6.33+ its task ids,
 * are then read from the job's history.  A run that is in neither place
 * may just be between the two (Metronome removes it from /runs before it
 * records the history), so the history is asked a few more times before
 * that counts as an error.  Then every file is read to its end, the
 * partial last lines passed on, and the exit status the wrapper left in
 * the last task's sandbox read; no file means the command never ran.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "jobs.h"
#include "logs.h"
#include "marathon.h"
#include "mesos.h"
#include "metronome.h"

#define DEFAULT_POLL_MS 200L
#define HISTORY_TRIES 25
#define MAX_TASKS 64
#define READS_PER_POLL 16

struct file {
	const char *stream;
	char *path;
	int64_t cursor;
	struct roger_logs_splitter lines;
};

struct task {
	char *id;
	char short_name[64];
	unsigned index;
	bool located;
	struct roger_mesos_sandbox box;
	struct file out, err;
	char state[32];
};

struct follow {
	struct roger_ctx *ctx;
	struct roger_metronome *m;
	struct roger_mesos *mesos;
	const struct roger_jobs_follow *o;
	struct task tasks[MAX_TASKS];
	size_t n_tasks;
	struct roger_buf chunk;
	struct task *cur;
	struct file *cur_file;
	bool printed;
};

static struct task *add_task(struct follow *f, const char *id)
{
	struct task *t;

	for (size_t i = 0; i < f->n_tasks; i++)
		if (!strcmp(f->tasks[i].id, id))
			return &f->tasks[i];
	if (f->n_tasks == MAX_TASKS)
		return NULL;
	t = &f->tasks[f->n_tasks];
	memset(t, 0, sizeof(*t));
	if (!(t->id = strdup(id)))
		return NULL;
	t->index = (unsigned)f->n_tasks++;
	roger_marathon_task_short_name(t->short_name, sizeof(t->short_name),
				       id);
	t->out.stream = "stdout";
	t->err.stream = "stderr";
	roger_logs_splitter_init(&t->out.lines);
	roger_logs_splitter_init(&t->err.lines);
	return t;
}

static void task_release(struct task *t)
{
	free(t->id);
	roger_mesos_sandbox_release(&t->box);
	free(t->out.path);
	free(t->err.path);
	roger_logs_splitter_release(&t->out.lines);
	roger_logs_splitter_release(&t->err.lines);
}

static int emit(void *data, const char *text, size_t len, bool partial,
		struct roger_err *err)
{
	struct follow *f = data;
	struct roger_logs_line l;

	l.task_id = f->cur->id;
	l.short_name = f->cur->short_name;
	l.task_index = f->cur->index;
	l.stream = f->cur_file->stream;
	l.text = text;
	l.len = len;
	l.partial = partial;
	l.time_ms = roger_ctx_wall_ms(f->ctx);
	f->printed = true;
	return f->o->on_line(f->o->data, &l, err);
}

/* Find the task's sandbox; 0 also when Mesos does not know it yet. */
static int locate(struct follow *f, struct task *t, struct roger_err *err)
{
	struct roger_err why = ROGER_ERR_INIT;
	int rc;

	if (t->located)
		return 0;
	rc = roger_mesos_locate(&t->box, f->mesos, NULL, t->id, NULL, &why);
	if (rc == ROGER_ENOTFOUND)
		return 0;
	if (rc < 0)
		return roger_err_set(err, rc, "%s", why.msg);
	t->out.path = roger_mesos_sandbox_file(&t->box, "stdout");
	t->err.path = roger_mesos_sandbox_file(&t->box, "stderr");
	if (!t->out.path || !t->err.path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	t->located = true;
	return 0;
}

/* Read a file from its cursor until a read comes back empty. */
static int read_file(struct follow *f, struct task *t, struct file *file,
		     int budget, struct roger_err *err)
{
	struct roger_err why = ROGER_ERR_INIT;
	int rc;

	f->cur = t;
	f->cur_file = file;
	while (budget-- > 0) {
		roger_buf_reset(&f->chunk);
		rc = roger_mesos_file_read(
			&f->chunk, f->mesos, t->box.agent_url, file->path,
			file->cursor, ROGER_MESOS_READ_CAP, &why);
		if (rc == ROGER_ENOTFOUND)
			return 0; /* not written yet, or its sandbox is gone */
		if (rc < 0)
			return roger_err_set(err, rc, "%s", why.msg);
		if (f->chunk.len == 0)
			return 0;
		file->cursor += (int64_t)f->chunk.len;
		rc = roger_logs_splitter_feed(&file->lines, f->chunk.buf,
					      f->chunk.len, emit, f, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int poll_files(struct follow *f, int budget, struct roger_err *err)
{
	int rc;

	for (size_t i = 0; i < f->n_tasks; i++) {
		struct task *t = &f->tasks[i];

		if ((rc = locate(f, t, err)) < 0)
			return rc;
		if (!t->located)
			continue;
		if ((rc = read_file(f, t, &t->out, budget, err)) != 0 ||
		    (rc = read_file(f, t, &t->err, budget, err)) != 0)
			return rc;
	}
	if (f->printed && f->o->on_flush) {
		f->printed = false;
		return f->o->on_flush(f->o->data, err);
	}
	return 0;
}

static int finish_lines(struct follow *f, struct roger_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < f->n_tasks; i++) {
		f->cur = &f->tasks[i];
		f->cur_file = &f->cur->out;
		rc = roger_logs_splitter_finish(&f->cur->out.lines, emit, f,
						err);
		f->cur_file = &f->cur->err;
		if (rc == 0)
			rc = roger_logs_splitter_finish(&f->cur->err.lines,
							emit, f, err);
	}
	if (rc == 0 && f->printed && f->o->on_flush)
		rc = f->o->on_flush(f->o->data, err);
	return rc;
}

/* Sleep `ms`, waking for interrupts. */
static void nap(struct follow *f, long ms)
{
	while (ms > 0 && !roger_ctx_interrupted(f->ctx)) {
		struct timespec ts = { 0, (ms > 50 ? 50 : ms) * 1000000L };

		nanosleep(&ts, NULL);
		ms -= 50;
	}
}

/* The exit status the wrapper left in the last task's sandbox, or -1. */
static int exit_status(struct follow *f, struct task *t)
{
	struct roger_buf data = ROGER_BUF_INIT;
	char *path;
	long v = -1;
	int rc;

	if (!t->located)
		return -1;
	path = roger_mesos_sandbox_file(&t->box, ROGER_JOBS_STATUS_FILE);
	if (!path)
		return -1;
	rc = roger_mesos_file_read(&data, f->mesos, t->box.agent_url, path, 0,
				   32, NULL);
	if (rc == 0 && data.len > 0) {
		char *end;

		errno = 0;
		v = strtol(data.buf, &end, 10);
		if (errno || end == data.buf || v < 0 || v > 255)
			v = -1;
	}
	roger_buf_release(&data);
	free(path);
	return (int)v;
}

/* The last state Mesos knows of the task. */
static void task_state(struct follow *f, struct task *t)
{
	struct roger_mesos_master *master = NULL;
	const struct roger_mesos_task *mt;

	if (roger_mesos_master_state(&master, f->mesos, NULL) < 0)
		return;
	mt = roger_mesos_master_task(master, t->id);
	if (mt && mt->state)
		snprintf(t->state, sizeof(t->state), "%s", mt->state);
	roger_mesos_master_free(master);
}

/* The run's outcome from the job's history: 1 found, 0 not (yet). */
static int from_history(struct follow *f, bool *success, struct roger_err *err)
{
	struct roger_metronome_job *job = NULL;
	const struct roger_metronome_finished *fin;
	int rc;

	rc = roger_metronome_get_job(&job, f->m, f->o->job_id,
				     ROGER_METRONOME_EMBED_HISTORY, err);
	if (rc < 0)
		return rc;
	fin = roger_metronome_job_finished(job, f->o->run_id);
	if (fin) {
		*success = fin->success;
		for (size_t i = 0; i < fin->n_tasks; i++)
			add_task(f, fin->tasks[i]);
	}
	roger_metronome_job_free(job);
	return fin ? 1 : 0;
}

static int follow(struct follow *f, struct roger_jobs_outcome *out,
		  struct roger_err *err)
{
	int64_t start = roger_ctx_now_ms(f->ctx);
	long poll = f->o->poll_ms > 0 ? f->o->poll_ms : DEFAULT_POLL_MS;
	int missing = 0, rc;
	bool done = false, success = false;
	struct task *last;

	while (!done) {
		struct roger_metronome_run *run = NULL;
		struct roger_err why = ROGER_ERR_INIT;

		if (roger_ctx_interrupted(f->ctx))
			return roger_err_set(
				err, ROGER_EINTR,
				"interrupted while following run '%s' of job '%s'",
				f->o->run_id, f->o->job_id);
		if (f->o->timeout_ms > 0 &&
		    roger_ctx_now_ms(f->ctx) - start > f->o->timeout_ms)
			return roger_err_set(
				err, ROGER_ETIMEOUT,
				"run '%s' of job '%s' still running after the timeout",
				f->o->run_id, f->o->job_id);
		rc = roger_metronome_get_run(&run, f->m, f->o->job_id,
					     f->o->run_id, &why);
		if (rc == 0) {
			for (size_t i = 0; i < run->n_tasks; i++)
				add_task(f, run->tasks[i].id);
			if (roger_metronome_run_done(run->status)) {
				done = true;
				success = !strcmp(run->status, "SUCCESS");
			}
			roger_metronome_run_free(run);
		} else if (rc == ROGER_ENOTFOUND) {
			rc = from_history(f, &success, err);
			if (rc < 0)
				return rc;
			done = rc > 0;
			if (!done && ++missing > HISTORY_TRIES)
				return roger_err_set(
					err, ROGER_ENOTFOUND,
					"run '%s' of job '%s' is neither running nor in the job's history",
					f->o->run_id, f->o->job_id);
		} else {
			return roger_err_set(err, rc, "%s", why.msg);
		}
		if ((rc = poll_files(f, done ? 1 << 20 : READS_PER_POLL,
				     err)) != 0)
			return rc;
		if (!done)
			nap(f, poll);
	}
	if ((rc = finish_lines(f, err)) != 0)
		return rc;
	out->success = success;
	out->exit_status = -1;
	if (f->n_tasks == 0) {
		snprintf(out->reason, sizeof(out->reason),
			 "the run ended without starting a task");
		return 0;
	}
	last = &f->tasks[f->n_tasks - 1];
	snprintf(out->task_id, sizeof(out->task_id), "%s", last->id);
	out->exit_status = exit_status(f, last);
	task_state(f, last);
	snprintf(out->state, sizeof(out->state), "%s", last->state);
	if (out->exit_status < 0)
		snprintf(
			out->reason, sizeof(out->reason),
			"its task '%s' ended%s%s without running the command (see its stderr above)",
			last->id, last->state[0] ? " " : "", last->state);
	return 0;
}

int roger_jobs_follow_run(struct roger_jobs_outcome *out, struct roger_ctx *ctx,
			  struct roger_metronome *metronome,
			  struct roger_mesos *mesos,
			  const struct roger_jobs_follow *o,
			  struct roger_err *err)
{
	struct follow f;
	struct roger_jobs_outcome res;
	int rc;

	memset(&f, 0, sizeof(f));
	memset(&res, 0, sizeof(res));
	f.ctx = ctx;
	f.m = metronome;
	f.mesos = mesos;
	f.o = o;
	roger_buf_init(&f.chunk);
	rc = follow(&f, &res, err);
	if (rc == ROGER_HTTP_STOP)
		rc = 0;
	if (rc == 0)
		*out = res;
	for (size_t i = 0; i < f.n_tasks; i++)
		task_release(&f.tasks[i]);
	roger_buf_release(&f.chunk);
	return rc;
}
