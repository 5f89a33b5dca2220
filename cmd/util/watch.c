/*
 * watch.c - waiting for a deployment the way every deploying command
 * does: lib/deploy decides, this file prints.
 *
 * Output.  On a terminal, one progress line on stderr, rewritten in place
 * about once a second ("roger: scaling '/web/hello' to 3: 2/3 running, 1
 * staging (4 s)"); elsewhere, one plain line each time the counts change.
 * Task failures are told as they happen, on their own lines; notes about
 * the event stream only with -v (polling carries on without it).  The
 * result goes to stdout: one line of text, or with -o json one document
 * (cli_watch_finish) whatever the outcome, so that scripts read the same
 * thing on success and failure.  -q keeps only the errors.
 *
 * Outcomes.  Success: exit 0.  Failure: the reason, the stderr tail of the
 * failed task (when the target has a Mesos URL), then the rollback unless
 * --no-rollback, exit 5 either way.  Timeout: exit 6, the deployment left
 * running with the commands to inspect and cancel it.  Interrupt: exit
 * 130, the deployment left running unless --rollback-on-interrupt.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "watch.h"

#define TAIL_LINES 20

void cli_watch_init(struct cli_watch *w, struct cli *cli, const char *verb)
{
	w->cli = cli;
	w->verb = verb;
}

int cli_watch_setup(struct cli_watch *w)
{
	struct cli *cli = w->cli;
	int status;

	if ((status = cli_app_id(cli, w->app_opt, &w->app_id)) != 0)
		return status;
	if ((status = cli_marathon(cli, false, &w->m)) != 0 ||
	    (status = cli_marathon(cli, false, &w->events)) != 0)
		return status;
	/* only to say what is free while tasks wait for resources */
	if (cli->resolved_target->mesos &&
	    roger_mesos_for_target(&w->mesos, cli->ctx, cli->resolved_target,
				   NULL) == 0)
		cli_limit_requests(cli, roger_mesos_http(w->mesos));
	/* no request outlives the whole wait (the client's default is 60 s) */
	if (w->timeout_ms > 0 && w->timeout_ms < 60000 &&
	    (!cli->request_timeout_ms ||
	     cli->request_timeout_ms > w->timeout_ms))
		roger_http_client_set_limits(roger_marathon_http(w->m),
					     (long)w->timeout_ms,
					     (long)w->timeout_ms, 0);
	w->doc = json_pack("{s:s,s:s,s:s}", "command", w->verb, "app",
			   w->app_id, "target", cli->resolved_target->name);
	if (!w->doc)
		cli_exit(ROGER_EXIT_FAILURE);
	return ROGER_EXIT_OK;
}

static void doc_status(struct cli_watch *w, const char *status)
{
	cli_json_set(w->doc, "status", json_string(status));
}

int cli_watch_confirm(struct cli_watch *w, const char *what, bool always)
{
	const struct roger_target *t = w->cli->resolved_target;
	char question[1024];

	if (w->dry_run || (!always && !t->is_protected))
		return ROGER_EXIT_OK;
	if (t->is_protected)
		snprintf(question, sizeof(question),
			 "%s on protected target '%s'", what, t->name);
	else
		snprintf(question, sizeof(question), "%s on target '%s'", what,
			 t->name);
	if (cli_confirm(w->cli, question))
		return ROGER_EXIT_OK;
	if (w->cli->stdin_tty)
		cli_error("not confirmed: nothing changed");
	doc_status(w, "not_confirmed");
	return ROGER_EXIT_FAILURE;
}

/* The masked base URL of the Marathon client, for messages. */
static void base_url(struct cli_watch *w, struct roger_buf *out)
{
	roger_http_mask_url(out,
			    roger_http_client_base(roger_marathon_http(w->m)));
}

int cli_watch_dry_run(struct cli_watch *w, const struct roger_marathon_req *req)
{
	struct roger_buf url = ROGER_BUF_INIT;
	json_t *body = req->body ? json_loads(req->body, 0, NULL) : json_null();

	base_url(w, &url);
	roger_buf_adds(&url, req->path);
	doc_status(w, "dry_run");
	cli_json_set(w->doc, "request",
		     json_pack("{s:s,s:s,s:o}", "method", req->method, "url",
			       url.buf, "body", body ? body : json_null()));
	if (w->cli->output == OUTPUT_TEXT) {
		printf("%s %s\n", req->method, url.buf);
		if (req->body)
			printf("Content-Type: application/json\n\n%s\n",
			       req->body);
	}
	roger_buf_release(&url);
	return ROGER_EXIT_OK;
}

int cli_watch_send(struct cli_watch *w, struct roger_marathon_req *req,
		   struct roger_marathon_deployment_result *res)
{
	struct roger_err err = ROGER_ERR_INIT;
	int status;

	if (w->dry_run) {
		status = cli_watch_dry_run(w, req);
		roger_marathon_req_release(req);
		return status;
	}
	if (roger_marathon_send_deploying(res, NULL, w->m, req, &err) < 0)
		return cli_watch_request_failed(w, &err);
	return CLI_WATCH_SENT;
}

int64_t cli_watch_settle_ms(const struct cli_watch *w)
{
	return w->settle_ms >= 0 ? w->settle_ms : ROGER_DEPLOY_SETTLE_MS;
}

int cli_watch_app_failed(struct cli_watch *w, const struct roger_err *err)
{
	doc_status(w, "error");
	return cli_fail_app(w->cli, w->app_id, err);
}

int cli_watch_request_failed(struct cli_watch *w, const struct roger_err *err)
{
	doc_status(w, "error");
	if (err->code == ROGER_ECONFLICT && !w->force) {
		cli_error(
			"%s; pass --force to override it (Marathon then cancels that deployment)",
			err->msg);
		return ROGER_EXIT_CONFLICT;
	}
	return cli_fail(err);
}

/* ---- progress ------------------------------------------------------------ */

static void clear_line(struct cli_watch *w)
{
	if (!w->line_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	w->line_shown = false;
}

static void on_progress(void *data, const struct roger_deploy_status *st,
			bool changed)
{
	struct cli_watch *w = data;
	struct roger_buf line = ROGER_BUF_INIT;

	(void)changed;
	if (w->cli->quiet)
		return;
	roger_buf_addf(&line, "%s: ", w->label);
	roger_deploy_progress_text(&line, st);
	/* plain lines: only when what they say changes */
	if (!w->cli->stderr_tty && !strcmp(line.buf, w->last_line)) {
		roger_buf_release(&line);
		return;
	}
	snprintf(w->last_line, sizeof(w->last_line), "%s", line.buf);
	if (w->cli->stderr_tty) {
		fprintf(stderr, "\r\033[Kroger: %s (%lld s)", line.buf,
			(long long)(st->progress.elapsed_ms / 1000));
		fflush(stderr);
		w->line_shown = true;
	} else {
		fprintf(stderr, "roger: %s\n", line.buf);
	}
	roger_buf_release(&line);
}

static void on_note(void *data, const struct roger_deploy_note *n)
{
	struct cli_watch *w = data;

	if (w->cli->quiet)
		return;
	if (n->kind == ROGER_DEPLOY_NOTE_STREAM && !w->cli->verbose)
		return;
	clear_line(w);
	if (n->kind == ROGER_DEPLOY_NOTE_TASK_FAILED)
		cli_error("%s", n->text);
	else
		cli_warn("%s", n->text);
}

static struct roger_deploy_watch_opts watch_opts(struct cli_watch *w)
{
	struct roger_deploy_watch_opts o = { 0 };

	o.on_progress = on_progress;
	o.on_note = on_note;
	o.data = w;
	o.mesos = w->mesos;
	return o;
}

/* ---- outcomes ------------------------------------------------------------ */

/* " -t 'my target'": an option and its value, quoted for a shell if need be. */
static void add_arg(struct roger_buf *b, const char *opt, const char *value)
{
	roger_buf_addf(b, " %s ", opt);
	if (value[0] && strspn(value, "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				      "/._-:@+=,") == strlen(value)) {
		roger_buf_adds(b, value);
		return;
	}
	roger_buf_addch(b, '\'');
	for (const char *p = value; *p; p++) {
		if (*p == '\'')
			roger_buf_adds(b, "'\\''");
		else
			roger_buf_addch(b, *p);
	}
	roger_buf_addch(b, '\'');
}

/* The options that name this app and target again, for a command to suggest. */
static void context_args(struct cli_watch *w, struct roger_buf *b)
{
	struct cli *cli = w->cli;

	if (cli->dir)
		add_arg(b, "-C", cli->dir);
	if (cli->env)
		add_arg(b, "-e", cli->env);
	if (cli->target)
		add_arg(b, "-t", cli->target);
	if (w->app_opt)
		add_arg(b, "--app", w->app_id);
}

/*
 * A deployment left running: how to wait for it again, and the roger
 * command that undoes it while it runs (`undo`, after "roger "; NULL when
 * there is none: a restart or a removal cannot be taken back).
 */
static void left_running(struct cli_watch *w, const char *deployment_id,
			 const char *undo)
{
	struct roger_buf ctx = ROGER_BUF_INIT;

	context_args(w, &ctx);
	cli_error(
		"deployment '%s' is left running; wait for it with 'roger status --wait%s'",
		deployment_id, ctx.buf);
	if (undo && *undo)
		cli_error("to undo it: 'roger %s%s'", undo, ctx.buf);
	roger_buf_release(&ctx);
}

/* A JSON string of text that may hold bytes that are not UTF-8. */
static json_t *json_text(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	char *copy;

	if (j)
		return j;
	copy = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		copy[i] = (unsigned char)s[i] < 0x80 && s[i] ? s[i] : '?';
	copy[len] = '\0';
	j = json_string(copy);
	free(copy);
	return j;
}

/* Print `b`'s lines indented, under a heading line already printed. */
static void print_indented(const struct roger_buf *b)
{
	const char *line, *nl, *end = b->buf + b->len;

	for (line = b->buf; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		fprintf(stderr, "    %.*s\n", (int)(nl - line), line);
	}
}

/* `b`'s text without its last newline, for -o json. */
static json_t *json_lines(const struct roger_buf *b)
{
	size_t len = b->len;

	if (len && b->buf[len - 1] == '\n')
		len--;
	return json_text(b->buf, len);
}

/* Mesos says so when the fetcher could not fetch the task's URIs. */
static bool fetch_failed(const struct roger_deploy_status *st)
{
	return strstr(st->task_message, "Failed to fetch") != NULL ||
	       strstr(st->task_message, "fetcher") != NULL;
}

/*
 * The last lines the failed task wrote itself (its standard error, or its
 * standard output when its standard error has nothing of its own), without
 * what Mesos wrote around them; the fetcher's lines only when the fetch is
 * what failed.
 */
static void stderr_tail(struct cli_watch *w,
			const struct roger_deploy_status *st)
{
	const struct roger_target *t = w->cli->resolved_target;
	const char *task_id = st->task_id;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_logs_task_output out = ROGER_LOGS_TASK_OUTPUT_INIT;
	bool fetcher = fetch_failed(st);
	const char *stream;

	if (!t->mesos) {
		if (!w->cli->quiet)
			cli_warn(
				"target '%s' has no Mesos URL: cannot show the standard error of task '%s'",
				t->name, task_id);
		return;
	}
	if (roger_logs_target_task_output(&out, w->cli->ctx, t, task_id,
					  TAIL_LINES, &err) < 0) {
		if (!w->cli->quiet)
			cli_warn(
				"cannot show the standard error of task '%s': %s",
				task_id, err.msg);
		roger_logs_task_output_release(&out);
		return;
	}
	stream = out.own_stream == ROGER_LOGS_STDOUT ? "output" : "error";
	cli_json_set(w->doc, "stderr_tail", json_lines(&out.own));
	cli_json_set(w->doc, "tail_stream",
		     json_string(roger_logs_stream_name(out.own_stream)));
	if (fetcher)
		cli_json_set(w->doc, "fetcher_log", json_lines(&out.fetcher));
	if (w->cli->quiet) {
		roger_logs_task_output_release(&out);
		return;
	}
	if (!out.own.len) {
		cli_error(
			"task '%s' wrote nothing on its standard error or output",
			task_id);
	} else {
		cli_error("the last lines of the standard %s of task '%s':",
			  stream, task_id);
		print_indented(&out.own);
	}
	if (fetcher && out.fetcher.len) {
		cli_error("the fetcher's lines for task '%s':", task_id);
		print_indented(&out.fetcher);
	}
	roger_logs_task_output_release(&out);
}

/*
 * Start the rollback of `goal`: deploy g->previous_app again, labelled as
 * the rollback of the failed version (`failed`: after a failure, else on
 * request), or else let Marathon revert the deployment.
 */
static int start_rollback(struct cli_watch *w, struct roger_deploy_rollback *rb,
			  struct roger_deploy_status *st,
			  const struct roger_deploy_goal *goal,
			  const struct cli_watch_goal *g, bool failed,
			  struct roger_err *err)
{
	struct roger_deploy_watch_opts o = watch_opts(w);
	struct roger_release_redeploy r = { 0 };
	json_t *app = NULL;
	char by[512];
	int rc;

	if (!g->previous_app || (goal->flags & ROGER_DEPLOY_CREATES))
		return roger_deploy_rollback(rb, st, w->cli->ctx, w->m,
					     w->events, goal,
					     g->previous_version, &o, err);
	cli_deployed_by(w->cli, by, sizeof(by));
	r.of = g->res->version[0] ? g->res->version : NULL;
	r.of_def = g->new_app;
	r.to = g->previous_version;
	r.failed = failed;
	r.by = by;
	r.instances = -1;
	if ((rc = roger_release_redeploy_app(&app, g->previous_app, &r, err)) <
	    0) {
		memset(rb, 0, sizeof(*rb));
		memset(st, 0, sizeof(*st));
		return rc;
	}
	rc = roger_deploy_rollback_app(rb, st, w->cli->ctx, w->m, w->events,
				       goal, app, &o, err);
	json_decref(app);
	return rc;
}

/* Roll back after a failure or an interrupt; returns an exit status. */
static int roll_back(struct cli_watch *w, const struct roger_deploy_goal *goal,
		     const struct cli_watch_goal *g, int status)
{
	struct roger_deploy_rollback rb;
	struct roger_deploy_status st;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *doc;
	int rc;

	if (!w->cli->quiet)
		cli_error("rolling back deployment '%s'", goal->deployment_id);
	snprintf(w->label, sizeof(w->label), "%s '%s'",
		 (goal->flags & ROGER_DEPLOY_CREATES) ? "removing"
						      : "rolling back",
		 w->app_id);
	w->last_line[0] = '\0';
	rc = start_rollback(w, &rb, &st, goal, g,
			    status == ROGER_EXIT_DEPLOY_FAILED, &err);
	clear_line(w);
	doc = json_pack("{s:s?,s:b,s:b,s:s}", "deployment",
			rb.deployment_id[0] ? rb.deployment_id : NULL,
			"by_version", rb.by_version, "removed", rb.removed,
			"status",
			rc == 0                 ? "succeeded"
			: rc == ROGER_ENOTFOUND ? "nothing_to_roll_back"
			: rc == ROGER_EINTR     ? "interrupted"
			: rc == ROGER_ETIMEOUT  ? "timed_out"
						: "failed");
	if (rb.deployment_id[0])
		cli_json_set(doc, "watch", roger_deploy_status_json(&st));
	if (rb.version[0])
		cli_json_set(doc, "version", json_string(rb.version));
	if (rc < 0)
		cli_json_set(doc, "error", json_string(err.msg));
	cli_json_set(w->doc, "rollback", doc);
	if (rc == 0) {
		struct roger_buf line = ROGER_BUF_INIT;

		roger_deploy_progress_text(&line, &st);
		if (rb.removed && !w->cli->quiet)
			cli_error(
				"rolled back: app '%s' removed, as it did not exist before",
				w->app_id);
		else if (!w->cli->quiet)
			cli_error("rolled back %s: %s",
				  rb.by_version || rb.replaced
					  ? "to the previous version"
					  : "the deployment",
				  line.buf);
		roger_buf_release(&line);
	} else if (rc == ROGER_ENOTFOUND) {
		cli_error("%s", err.msg);
	} else if (rc == ROGER_EINTR) {
		cli_error("the rollback was %s", err.msg);
		if (rb.deployment_id[0])
			left_running(w, rb.deployment_id, NULL);
		return ROGER_EXIT_INTERRUPTED;
	} else {
		cli_error("the rollback did not complete: %s", err.msg);
		if (rb.deployment_id[0] && rc == ROGER_ETIMEOUT)
			left_running(w, rb.deployment_id, NULL);
	}
	return status;
}

static const char *no_rollback_reason(enum roger_deploy_failure f)
{
	switch (f) {
	case ROGER_DEPLOY_FAIL_CANCELLED:
		return "the deployment was cancelled or overridden by another";
	case ROGER_DEPLOY_FAIL_VANISHED:
		return "the deployment has ended and the app was changed since";
	case ROGER_DEPLOY_FAIL_APP_GONE:
		return "the app no longer exists";
	default:
		return "nothing to undo";
	}
}

static int failed(struct cli_watch *w, const struct roger_deploy_status *st,
		  const struct roger_deploy_goal *goal,
		  const struct cli_watch_goal *g)
{
	cli_error("%s", st->reason);
	if (st->task_id[0])
		stderr_tail(w, st);
	if (w->no_rollback) {
		if (st->progress.deployment_active)
			left_running(w, goal->deployment_id, g->undo);
		else if (!w->cli->quiet && !w->observing)
			cli_error(
				"not rolling back (--no-rollback): the deployment has ended, and the app is left as it is");
		return ROGER_EXIT_DEPLOY_FAILED;
	}
	if (!roger_deploy_failure_revertible(st->failure)) {
		if (!w->cli->quiet)
			cli_error("not rolling back: %s",
				  no_rollback_reason(st->failure));
		return ROGER_EXIT_DEPLOY_FAILED;
	}
	return roll_back(w, goal, g, ROGER_EXIT_DEPLOY_FAILED);
}

int cli_watch_run(struct cli_watch *w, const struct cli_watch_goal *g)
{
	struct roger_deploy_watch_opts o = watch_opts(w);
	struct roger_deploy_goal goal = { 0 };
	struct roger_deploy_status st;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf line = ROGER_BUF_INIT;
	int rc, status;

	cli_json_set(w->doc, "deployment", json_string(g->res->deployment_id));
	cli_json_set(w->doc, "version",
		     g->res->version[0] ? json_string(g->res->version)
					: json_null());
	if (w->detach) {
		struct roger_buf ctx = ROGER_BUF_INIT;

		doc_status(w, "detached");
		if (w->cli->output == OUTPUT_TEXT && !w->cli->quiet)
			printf("deployment '%s' of app '%s' started; not waiting for it (--detach)\n",
			       g->res->deployment_id, w->app_id);
		context_args(w, &ctx);
		if (!w->cli->quiet)
			cli_note("wait for it with 'roger status --wait%s'",
				 ctx.buf);
		roger_buf_release(&ctx);
		return ROGER_EXIT_OK;
	}
	goal.app_id = w->app_id;
	goal.deployment_id = g->res->deployment_id;
	goal.version = g->res->version[0] ? g->res->version : NULL;
	goal.instances = g->instances;
	goal.flags = g->flags | (g->created ? ROGER_DEPLOY_CREATES : 0);
	goal.timeout_ms =
		w->timeout_ms >= 0 ? w->timeout_ms : g->default_timeout_ms;
	goal.settle_ms = w->settle_ms >= 0 ? w->settle_ms : -1;
	cli_json_set(w->doc, "timeout_seconds",
		     json_real((double)goal.timeout_ms / 1000.0));
	rc = roger_deploy_watch(&st, w->cli->ctx, w->m, w->events, &goal, &o,
				&err);
	clear_line(w);
	cli_json_set(w->doc, "watch", roger_deploy_status_json(&st));
	switch (rc) {
	case 0:
		doc_status(w, "succeeded");
		roger_deploy_progress_text(&line, &st);
		if (w->cli->output == OUTPUT_TEXT && !w->cli->quiet &&
		    (g->flags & ROGER_DEPLOY_REMOVE))
			printf("%s\n", g->done);
		else if (w->cli->output == OUTPUT_TEXT && !w->cli->quiet)
			printf("%s: %s\n", g->done, line.buf);
		status = ROGER_EXIT_OK;
		break;
	case ROGER_EDEPLOY:
		doc_status(w, "failed");
		status = failed(w, &st, &goal, g);
		break;
	case ROGER_ETIMEOUT:
		doc_status(w, "timed_out");
		cli_error("%s", err.msg);
		left_running(w, goal.deployment_id, g->undo);
		status = ROGER_EXIT_TIMEOUT;
		break;
	case ROGER_EINTR:
		doc_status(w, "interrupted");
		cli_error("%s", err.msg);
		if (w->rollback_on_interrupt) {
			/* a second Ctrl-C interrupts the rollback */
			cli_interrupted = 0;
			status = roll_back(w, &goal, g, ROGER_EXIT_INTERRUPTED);
		} else {
			left_running(w, goal.deployment_id, g->undo);
			status = ROGER_EXIT_INTERRUPTED;
		}
		break;
	default:
		doc_status(w, "error");
		status = cli_fail(&err);
		if (st.progress.deployment_active)
			left_running(w, goal.deployment_id, g->undo);
		break;
	}
	roger_buf_release(&line);
	return status;
}

int cli_watch_change(struct cli_watch *w, cli_watch_plan_fn plan_fn, void *data)
{
	struct cli_watch_plan plan;
	struct cli_watch_goal g = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon_app *app = NULL;
	struct roger_marathon_deployment_result res;
	int status;

	memset(&plan, 0, sizeof(plan));
	plan.instances = -1;
	if ((status = cli_watch_setup(w)) != 0)
		goto out;
	if (roger_marathon_get_app(&app, w->m, w->app_id, 0, &err) < 0) {
		status = cli_watch_app_failed(w, &err);
		goto out;
	}
	status = plan_fn(w, app, data, &plan);
	if (status == CLI_WATCH_NOTHING) {
		status = ROGER_EXIT_OK;
		goto out;
	}
	if (status != ROGER_EXIT_OK)
		goto out;
	if ((status = cli_watch_confirm(w, plan.what, plan.always_confirm)) !=
	    0)
		goto out;
	if ((status = cli_watch_send(w, &plan.req, &res)) != CLI_WATCH_SENT)
		goto out;
	g.res = &res;
	g.before = app;
	g.instances = plan.instances;
	g.flags = plan.flags;
	g.previous_version = plan.previous_version;
	g.previous_app = plan.previous_app;
	g.new_app = plan.new_app;
	g.default_timeout_ms = plan.default_timeout_ms;
	g.done = plan.done;
	g.undo = plan.undo;
	status = cli_watch_run(w, &g);
out:
	roger_marathon_req_release(&plan.req);
	status = cli_watch_finish(w, status);
	roger_marathon_app_free(app);
	return status;
}

int cli_watch_finish(struct cli_watch *w, int status)
{
	if (w->doc && w->cli && w->cli->output == OUTPUT_JSON &&
	    json_object_get(w->doc, "status")) {
		if (status)
			cli_json_set(w->doc, "error", cli_error_json(status));
		cli_print_json(w->cli, w->doc);
	}
	cli_watch_release(w);
	return status;
}

void cli_watch_release(struct cli_watch *w)
{
	json_decref(w->doc);
	roger_mesos_free(w->mesos);
	roger_marathon_free(w->events);
	roger_marathon_free(w->m);
	memset(w, 0, sizeof(*w));
}
