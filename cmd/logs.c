/*
 * logs.c - `roger logs`: the output of the app's tasks through Mesos,
 * every task at once, each line prefixed with the task's short name
 * (colored per task on a terminal), or one JSON object per line with -o
 * json.  Following (-f) goes on as tasks start and end.  Both files of a
 * task, stdout and stderr, are read and their lines interleaved as they
 * come, unless --stdout or --stderr picks one; --timestamps puts the time
 * each line was read before it; --app names another app of the target.
 * --job shows a Metronome run's tasks instead, through the same engine
 * and printer (lines without a task prefix), or when it is still going
 * with -f, through the run's follower (lib/jobs-follow.c).
 *
 * Lines go to stdout as the engine (lib/logs.c) passes them on, flushed
 * before it waits; notes (a task started, ended, skipped) go to stderr.
 * When the reader of stdout goes away (`roger logs -f | head`), the
 * command stops quietly with status 0: SIGPIPE is ignored here so that
 * the write fails with EPIPE and the engine is told to stop.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "util/jobs.h"

static struct roger_logs_opts o = { .tail = -1 };
static bool stdout_only, stderr_only, timestamps;
static const char *app_opt, *job_opt, *run_opt;

static const struct cmd_opt logs_opts[] = {
	OPT_STRING(0, "app", &app_opt, "id", ARG_APP,
		   "another app of the target instead of the project's"),
	OPT_BOOL(
		0, "failed", &o.ended,
		"also the app's recently ended tasks (finished, failed, killed)"),
	OPT_BOOL('f', "follow", &o.follow,
		 "keep printing new lines, and the lines of tasks that start"),
	OPT_STRING(
		0, "job", &job_opt, "name", ARG_JOB,
		"a run of this job of roger.json (or release, run) instead of the app's tasks"),
	OPT_STRING(0, "run", &run_opt, "id", ARG_RUN,
		   "with --job: this run (default: the latest)"),
	OPT_BOOL(
		0, "stderr", &stderr_only,
		"only the tasks' standard error (default: both files, interleaved)"),
	OPT_BOOL(
		0, "stdout", &stdout_only,
		"only the tasks' standard output (default: both files, interleaved)"),
	OPT_COUNT_OR_ALL(
		'n', "tail", &o.tail, "lines", 0,
		"only the last LINES lines of each task's files ('all': every line, the default)"),
	OPT_STRING(0, "task", &o.task, "id", ARG_TASK,
		   "only this task: its id, short name or the start of either"),
	OPT_BOOL(0, "timestamps", &timestamps,
		 "start each line with the time roger read it, in UTC"),
	OPT_END(),
};

/* Task colors, by order of appearance. */
static const char *const palette[] = { "cyan",    "green", "yellow",
				       "magenta", "blue",  "red" };

struct printer {
	struct cli *cli;
	const char *app_id;
	const char *job, *run; /* --job: the run shown (its notes) */
	const char *only; /* one stream of lines given both, or NULL */
	bool prefix; /* several tasks may be shown: name each line */
	bool follow, ended;
	bool timestamps;
	struct roger_buf out;
	char **prefixes; /* by task index: "[name] ", colored */
	size_t n_prefixes;
	bool closed; /* the reader of stdout went away */
};

static const char *task_color(const struct printer *p, unsigned index)
{
	return cli_color(p->cli,
			 palette[index % (sizeof(palette) / sizeof(*palette))]);
}

/* The prefix of a task's lines, made once (a task keeps its name). */
static const char *prefix(struct printer *p, const struct roger_logs_line *l)
{
	size_t i = l->task_index;

	if (i >= p->n_prefixes) {
		size_t n = i + 8;
		char **grown = xcalloc(n, sizeof(*grown));

		if (p->n_prefixes)
			memcpy(grown, p->prefixes,
			       p->n_prefixes * sizeof(*grown));
		free(p->prefixes);
		p->prefixes = grown;
		p->n_prefixes = n;
	}
	if (!p->prefixes[i]) {
		const char *color = task_color(p, l->task_index);
		const char *reset = cli_color(p->cli, "reset");
		size_t len = strlen(color) + strlen(l->short_name) +
			     strlen(reset) + 4;

		p->prefixes[i] = xmalloc(len);
		snprintf(p->prefixes[i], len, "%s[%s]%s ", color, l->short_name,
			 reset);
	}
	return p->prefixes[i];
}

/* A failed write: EPIPE stops the engine quietly, the rest is an error. */
static int write_failed(struct printer *p, struct roger_err *err)
{
	if (errno == EPIPE) {
		p->closed = true;
		return ROGER_HTTP_STOP;
	}
	return roger_err_set(err, ROGER_EIO,
			     "write error on standard output: %s",
			     strerror(errno));
}

#define OUT_BLOCK (64 * 1024)

/* Hand the lines gathered in p->out to stdio. */
static int drain(struct printer *p, struct roger_err *err)
{
	size_t n = p->out.len;

	errno = 0;
	if (n && fwrite_unlocked(p->out.buf, 1, n, stdout) != n)
		return write_failed(p, err);
	roger_buf_reset(&p->out);
	return 0;
}

static int on_line(void *data, const struct roger_logs_line *l,
		   struct roger_err *err)
{
	struct printer *p = data;
	int rc = 0;

	if (p->only && strcmp(l->stream, p->only))
		return 0;
	/*
	 * This runs once a line: lines gather in p->out and go to stdio in
	 * blocks, which costs a fraction of a stdio call per line.
	 */
	if (p->cli->output == OUTPUT_JSON) {
		rc = roger_logs_json_line_at(&p->out, l->task_id, l->stream,
					     p->timestamps ? l->time_ms : -1,
					     l->text, l->len);
	} else {
		if (p->timestamps) {
			char when[ROGER_LOGS_TIME_LEN];

			roger_logs_time(when, l->time_ms);
			rc = roger_buf_addf(&p->out, "%s ", when);
		}
		if (rc == 0 && p->prefix)
			rc = roger_buf_adds(&p->out, prefix(p, l));
	}
	if (rc == 0 && p->cli->output != OUTPUT_JSON)
		rc = roger_buf_add(&p->out, l->text, l->len);
	if (rc == 0)
		rc = roger_buf_addch(&p->out, '\n');
	if (rc < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return p->out.len >= OUT_BLOCK ? drain(p, err) : 0;
}

static int on_flush(void *data, struct roger_err *err)
{
	struct printer *p = data;
	int rc = drain(p, err);

	if (rc != 0)
		return rc;
	errno = 0;
	if (fflush(stdout) != 0)
		return write_failed(p, err);
	return 0;
}

static int on_note(void *data, const struct roger_logs_note *n,
		   struct roger_err *err)
{
	struct printer *p = data;
	const char *app = p->app_id;
	int rc;

	if (p->cli->quiet)
		return 0;
	/* --job: the run was named already; only what went wrong is said */
	if (p->job && n->kind != ROGER_LOGS_NOTE_SKIPPED &&
	    n->kind != ROGER_LOGS_NOTE_NO_TASKS)
		return 0;
	/* The lines before the note, before it (on one terminal). */
	if ((rc = on_flush(p, err)) != 0)
		return rc;
	switch (n->kind) {
	case ROGER_LOGS_NOTE_STARTED:
		cli_error("[%s] task '%s' started%s%s", n->short_name,
			  n->task_id, n->host ? " on " : "",
			  n->host ? n->host : "");
		break;
	case ROGER_LOGS_NOTE_ENDED:
		cli_error("[%s] task '%s' ended%s%s%s", n->short_name,
			  n->task_id, n->state ? " (" : "",
			  n->state ? n->state : "", n->state ? ")" : "");
		break;
	case ROGER_LOGS_NOTE_FINISHED:
		cli_error("[%s] task '%s' has ended (%s)", n->short_name,
			  n->task_id, n->state ? n->state : "state unknown");
		break;
	case ROGER_LOGS_NOTE_SKIPPED:
		cli_warn("skipping task '%s': %s", n->task_id, n->message);
		break;
	case ROGER_LOGS_NOTE_NO_TASKS:
		if (p->job)
			cli_error(
				"run '%s' of job '%s' has no task that Mesos still knows",
				p->run, p->job);
		else if (p->follow)
			cli_error(
				"app '%s' has no running task; waiting for one to start",
				app);
		else
			cli_error("app '%s' has no running task%s", app,
				  p->ended ? ""
					   : " (--failed shows ended ones)");
		break;
	case ROGER_LOGS_NOTE_RETRY:
		cli_warn("%s; trying again", n->message);
		break;
	}
	return 0;
}

/* Stop writing to a stdout whose reader went away, so exit stays quiet. */
static void discard_stdout(void)
{
	int fd = open("/dev/null", O_WRONLY);

	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	clearerr(stdout);
}

static int make_clients(struct cli *cli, struct roger_marathon **marathon,
			struct roger_mesos **mesos)
{
	const struct roger_target *t = cli->resolved_target;
	struct roger_err err = ROGER_ERR_INIT;

	if (!t->mesos) {
		cli_error(
			"target '%s' has no Mesos URL; set \"mesos\" in its entry of the user config, or ROGER_MESOS_URL",
			t->name);
		return ROGER_EXIT_INVALID;
	}
	if (roger_marathon_for_target(marathon, cli->ctx, t, &err) < 0 ||
	    roger_mesos_for_target(mesos, cli->ctx, t, &err) < 0)
		return cli_fail(&err);
	cli_limit_requests(cli, roger_marathon_http(*marathon));
	cli_limit_requests(cli, roger_mesos_http(*mesos));
	return ROGER_EXIT_OK;
}

/* ---- --job: a run's output --------------------------------------------------- */

/* The run to show: --run, else the newest, active or finished. */
static int pick_run(const struct roger_metronome_job *j, char *out, size_t size,
		    bool *active)
{
	int64_t best = -1, t;

	*active = false;
	for (size_t i = 0; i < j->n_active_runs; i++) {
		const struct roger_metronome_run *r = &j->active_runs[i];

		if ((run_opt && !strcmp(r->id, run_opt)) ||
		    (!run_opt &&
		     roger_metronome_time_parse(&t, r->created_at) &&
		     t > best)) {
			best = run_opt ? INT64_MAX : t;
			snprintf(out, size, "%s", r->id);
			*active = true;
		}
	}
	for (size_t i = 0; i < j->history.n_runs; i++) {
		const struct roger_metronome_finished *f = &j->history.runs[i];

		if ((run_opt && !strcmp(f->id, run_opt)) ||
		    (!run_opt &&
		     roger_metronome_time_parse(&t, f->created_at) &&
		     t > best)) {
			best = run_opt ? INT64_MAX : t;
			snprintf(out, size, "%s", f->id);
			*active = false;
		}
	}
	return best >= 0 ? 0 : -1;
}

/* The run's task ids: Metronome's, else the master's by their prefix. */
static size_t run_tasks(struct roger_mesos *mesos,
			const struct roger_metronome_job *j, const char *run_id,
			char ***out)
{
	struct roger_mesos_master *master = NULL;
	const struct roger_metronome_finished *f;
	char prefix[512], **ids = NULL;
	size_t n = 0;

	for (size_t i = 0; i < j->n_active_runs; i++)
		if (!strcmp(j->active_runs[i].id, run_id)) {
			ids = xcalloc(j->active_runs[i].n_tasks + 1,
				      sizeof(*ids));
			for (size_t k = 0; k < j->active_runs[i].n_tasks; k++)
				ids[n++] =
					xstrdup(j->active_runs[i].tasks[k].id);
		}
	f = roger_metronome_job_finished(j, run_id);
	if (!ids && f && f->n_tasks) {
		ids = xcalloc(f->n_tasks + 1, sizeof(*ids));
		for (size_t k = 0; k < f->n_tasks; k++)
			ids[n++] = xstrdup(f->tasks[k]);
	}
	if (!ids && roger_mesos_master_state(&master, mesos, NULL) == 0) {
		/* before 0.6.33 the history has no task ids */
		snprintf(prefix, sizeof(prefix), "%s_%s.", j->id, run_id);
		for (char *p = prefix; *p; p++)
			if (*p == '.' && p[1])
				*p = '_';
		ids = xcalloc(master->n_tasks + 1, sizeof(*ids));
		for (size_t k = 0; k < master->n_tasks; k++)
			if (!strncmp(master->tasks[k].id, prefix,
				     strlen(prefix)))
				ids[n++] = xstrdup(master->tasks[k].id);
		roger_mesos_master_free(master);
	}
	*out = ids;
	return n;
}

/*
 * Lines to stdout through `p` (SIGPIPE ignored, so that a reader that
 * went away is an EPIPE the printer sees; one large buffer).
 */
static void printer_init(struct printer *p, struct cli *cli)
{
	static char outbuf[1 << 18];

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	roger_buf_init(&p->out);
	p->cli = cli;
	p->follow = o.follow;
	p->ended = o.ended;
	p->timestamps = timestamps;
	p->only = NULL;
	o.on_line = on_line;
	o.on_note = on_note;
	o.on_flush = on_flush;
	o.data = p;
}

/*
 * The exit status after the engine or the follower returned `rc` (`err`):
 * the lines gathered since the last flush go out whatever ended it (an
 * interrupt included), as stdio's buffer would at exit; a reader of
 * stdout that went away ends it quietly with 0.
 */
static int printer_finish(struct printer *p, int rc, struct roger_err *err)
{
	int status;

	if (!p->closed) {
		int drc = drain(p, rc < 0 ? NULL : err);

		if (drc < 0 && rc >= 0)
			rc = drc;
	}
	if (p->closed) {
		discard_stdout();
		status = ROGER_EXIT_OK;
	} else if (rc == ROGER_EINTR) {
		status = ROGER_EXIT_INTERRUPTED;
	} else if (rc < 0) {
		status = cli_fail(err);
	} else {
		status = ROGER_EXIT_OK;
	}
	roger_buf_release(&p->out);
	for (size_t i = 0; i < p->n_prefixes; i++)
		free(p->prefixes[i]);
	free(p->prefixes);
	return status;
}

/*
 * A run's output, its stdout and stderr interleaved as the app's are (or
 * the one of --stdout or --stderr): a run still going with -f through the
 * follower, which reads both files and leaves out the other one's lines
 * here; else its tasks' files as the engine reads an app's.
 */
static int show_run(struct cli *cli, struct printer *p,
		    struct roger_metronome *m, struct roger_mesos *mesos,
		    const struct roger_metronome_job *job, const char *id,
		    bool active)
{
	struct roger_err err = ROGER_ERR_INIT;
	char **tasks = NULL;
	size_t n = 0;
	int rc;

	if (o.follow && active) {
		struct roger_jobs_follow f = { 0 };
		struct roger_jobs_outcome res;

		if (o.stream != ROGER_LOGS_BOTH)
			p->only = roger_logs_stream_name(o.stream);
		f.job_id = id;
		f.run_id = p->run;
		f.on_line = on_line;
		f.on_flush = on_flush;
		f.data = p;
		rc = roger_jobs_follow_run(&res, cli->ctx, m, mesos, &f, &err);
	} else {
		n = run_tasks(mesos, job, p->run, &tasks);
		o.task_ids = (const char *const *)tasks;
		o.n_task_ids = n;
		o.follow = false;
		rc = roger_logs_run(cli->ctx, NULL, mesos, &o, &err);
	}
	for (size_t i = 0; i < n; i++)
		free(tasks[i]);
	free(tasks);
	return printer_finish(p, rc, &err);
}

static int job_logs(struct cli *cli)
{
	struct roger_metronome_job *job = NULL;
	struct roger_metronome *m = NULL;
	struct roger_mesos *mesos = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	struct printer p = { 0 };
	char run_id[64], *id = NULL;
	bool active;
	int status;

	if (o.task)
		return cli_usage_error(
			cli,
			"--task and --job cannot go together: a run's tasks are chosen with --run");
	if ((status = cli_load_project(cli)) != 0 ||
	    (status = cli_load_target(cli)) != 0)
		return status;
	if (roger_jobs_id(&id, cli->project->id, job_opt, &err) < 0)
		return cli_fail(&err);
	if ((status = cli_metronome(cli, false, &m)) != 0 ||
	    (status = cli_mesos(cli, &mesos)) != 0)
		goto out;
	if (roger_metronome_get_job(&job, m, id,
				    ROGER_METRONOME_EMBED_ACTIVE_RUNS |
					    ROGER_METRONOME_EMBED_HISTORY,
				    &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	if (pick_run(job, run_id, sizeof(run_id), &active) < 0) {
		if (run_opt)
			cli_error(
				"job '%s' has no run '%s' (Metronome keeps the latest ones only)",
				job_opt, run_opt);
		else
			cli_error("job '%s' has not run yet", job_opt);
		status = ROGER_EXIT_FAILURE;
		goto out;
	}
	if (!cli->quiet)
		fprintf(stderr, "roger: run '%s' of job '%s'%s\n", run_id,
			job_opt, active ? " (running)" : "");
	printer_init(&p, cli);
	p.job = job_opt;
	p.run = run_id;
	status = show_run(cli, &p, m, mesos, job, id, active);
out:
	roger_metronome_job_free(job);
	roger_mesos_free(mesos);
	roger_metronome_free(m);
	free(id);
	return status;
}

static int logs_run(struct cli *cli, int argc, char **argv)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon *marathon = NULL;
	struct roger_mesos *mesos = NULL;
	struct printer p = { 0 };
	int status;

	cli_parse_options(cli, argc, argv);
	if (stdout_only && stderr_only)
		return cli_usage_error(
			cli,
			"--stdout and --stderr exclude each other (without either, both are shown)");
	o.stream = stdout_only   ? ROGER_LOGS_STDOUT
		   : stderr_only ? ROGER_LOGS_STDERR
				 : ROGER_LOGS_BOTH;
	if (run_opt && !job_opt)
		return cli_usage_error(
			cli, "--run needs --job: the job whose run to show");
	if (job_opt && app_opt)
		return cli_usage_error(
			cli,
			"--job and --app cannot go together: --job shows a run of the project's job");
	if (job_opt)
		return job_logs(cli);
	if ((status = cli_app_id(cli, app_opt, &p.app_id)) != 0 ||
	    (status = cli_load_target(cli)) != 0 ||
	    (status = make_clients(cli, &marathon, &mesos)) != 0)
		goto out;
	printer_init(&p, cli);
	p.prefix = !o.task;
	o.app_id = p.app_id;
	status = printer_finish(
		&p, roger_logs_run(cli->ctx, marathon, mesos, &o, &err), &err);
out:
	roger_mesos_free(mesos);
	roger_marathon_free(marathon);
	return status;
}

const struct roger_cmd cmd_logs = {
	.name = "logs",
	.summary = "print the output of the app's tasks, following new ones",
	.opts = logs_opts,
	.run = logs_run,
};
