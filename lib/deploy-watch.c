/*
 * deploy-watch.c - the driver of the deploy machine: feed it the event
 * stream and polls until it decides, and roll a failed deployment back.
 *
 * Two clients, because a stream keeps its client busy: `events` follows
 * /v2/events (filtered server-side to the types the machine reads), `m`
 * polls the deployments, the app (tasks and lastTaskFailure) and the
 * launch queue, in that order, so that the app is always seen after the
 * deployment list it is judged against.  Polls happen every poll_ms, and
 * after the events that arrived together when one of them is about our app
 * or deployment (at most one poll per SLICE_MS: the rest of the slice is
 * waited out, the stream buffering meanwhile, so a burst makes one or two
 * polls and its last event is never left for the next tick), so a stream
 * that works makes the watch quick and a stream that does not changes
 * nothing but the latency.
 *
 * The stream is never trusted to be there: it has no history (the watch
 * polls when it attaches, to catch up), it may end or stay silent (it is
 * reopened after a backoff of 1, 2, 4... up to reconnect_max_ms seconds,
 * polling going on meanwhile), and it may be refused (405 from a proxy,
 * 401/403 for it alone): then the watch goes on by polling alone.
 *
 * Polls are not optional: an unreachable Marathon (after the HTTP client's
 * own retries) is tolerated max_poll_errors times in a row, any other
 * error ends the watch with that error.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ctx.h"
#include "deploy.h"
#include "err.h"
#include "http.h"
#include "marathon.h"
#include "mesos.h"

#define DEFAULT_POLL_MS 2000L
#define DEFAULT_IDLE_MS 30000L
#define DEFAULT_RECONNECT_MAX_MS 10000L
#define DEFAULT_MAX_POLL_ERRORS 3
#define DEFAULT_FREE_POLL_MS 5000L
#define TICK_MS 1000L
#define SLICE_MS 100L

static const char *const event_types[] = {
	"event_stream_attached",
	"deployment_success",
	"deployment_failed",
	"deployment_info",
	"deployment_step_success",
	"deployment_step_failure",
	"status_update_event",
	"instance_changed_event",
	"health_status_changed_event",
	"failed_health_check_event",
	"unhealthy_instance_kill_event",
	"unhealthy_task_kill_event",
	"app_terminated_event",
};

struct watch {
	struct roger_ctx *ctx;
	struct roger_marathon *m;
	struct roger_deploy *d;
	const struct roger_deploy_watch_opts *o;
	long poll_ms;
	int max_poll_errors;
	int fatal; /* the error that ends the watch, 0: none */
	struct roger_err fatal_err;
	bool interrupted;
	bool poll_soon;
	bool attached; /* the current stream said it is live */
	int64_t next_poll_ms;
	int64_t last_poll_ms; /* when the last poll ended */
	int poll_errors;
	size_t n_noted; /* failures already told through on_note */
	struct roger_deploy_progress last;
	bool have_last;
	int64_t next_free_ms; /* when the master's state may be read again */
	int free_tasks[4]; /* running, staging, old, stopping at that read */
};

static void note(struct watch *w, enum roger_deploy_note_kind kind,
		 const char *task_id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void note(struct watch *w, enum roger_deploy_note_kind kind,
		 const char *task_id, const char *fmt, ...)
{
	struct roger_deploy_note n = { kind, NULL, task_id };
	char text[ROGER_ERR_MSG_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!w->o->on_note) {
		roger_log(w->ctx, ROGER_LOG_INFO, "%s", text);
		return;
	}
	n.text = text;
	w->o->on_note(w->o->data, &n);
}

static bool decided(const struct watch *w)
{
	return roger_deploy_state(w->d) != ROGER_DEPLOY_WAITING ||
	       w->interrupted || w->fatal;
}

/* Tell new failures and the progress to the caller. */
static void report(struct watch *w)
{
	const struct roger_deploy_status *st = roger_deploy_status(w->d);
	struct roger_deploy_progress a, b;
	bool changed;

	for (; w->n_noted < roger_deploy_n_failures(w->d); w->n_noted++) {
		const struct roger_deploy_task_failure *f =
			roger_deploy_failure_at(w->d, w->n_noted);
		const char *who = f->task_id ? f->task_id : f->instance_id;

		if (!f->counted)
			continue;
		if (!strcmp(f->state, "unhealthy"))
			note(w, ROGER_DEPLOY_NOTE_TASK_FAILED, f->task_id,
			     "task '%s' failed its health checks%s%s", who,
			     *f->message ? ": " : "", f->message);
		else
			note(w, ROGER_DEPLOY_NOTE_TASK_FAILED, f->task_id,
			     "task '%s' ended in %s%s%s", who, f->state,
			     *f->message ? ": " : "", f->message);
	}
	/* the clock alone does not make a change */
	a = st->progress;
	b = w->last;
	a.elapsed_ms = b.elapsed_ms = 0;
	a.settle_left_ms = a.settle_left_ms > 0;
	b.settle_left_ms = b.settle_left_ms > 0;
	changed = !w->have_last || memcmp(&a, &b, sizeof(a)) != 0;
	w->last = st->progress;
	w->have_last = true;
	if (w->o->on_progress)
		w->o->on_progress(w->o->data, st, changed);
}

/* Note a failed poll; decide whether it ends the watch. */
static void poll_failed(struct watch *w, int rc, const struct roger_err *perr)
{
	if (rc == ROGER_EINTR) {
		w->interrupted = true;
		return;
	}
	if (rc == ROGER_ENET && ++w->poll_errors < w->max_poll_errors) {
		note(w, ROGER_DEPLOY_NOTE_POLL, NULL, "%s; trying again",
		     perr->msg[0] ? perr->msg : roger_strerror(rc));
		return;
	}
	w->fatal = rc;
	w->fatal_err = *perr;
	if (!w->fatal_err.msg[0])
		roger_err_set(&w->fatal_err, rc, "%s", roger_strerror(rc));
	w->fatal_err.code = rc;
}

/*
 * While the new tasks wait for resources, what the agents have free (the
 * master's state, at most every free_poll_ms, and again as soon as tasks
 * come or go: they change what is free).  Best effort: a master that does
 * not answer leaves the progress without it.
 */
static void read_free(struct watch *w)
{
	const struct roger_deploy_status *st = roger_deploy_status(w->d);
	const struct roger_deploy_progress *p = &st->progress;
	struct roger_mesos_master *master = NULL;
	struct roger_mesos_free f;
	struct roger_err ignored = ROGER_ERR_INIT;
	int64_t now = roger_ctx_now_ms(w->ctx);
	/* Each count, not their sum: a read can come before the agent has
	 * a task Marathon calls staging, and its start keeps the sum. */
	int tasks[4] = { p->running, p->staging, p->old, p->stopping };

	if (!w->o->mesos || !p->waiting_resources ||
	    (now < w->next_free_ms &&
	     !memcmp(tasks, w->free_tasks, sizeof(tasks))))
		return;
	memcpy(w->free_tasks, tasks, sizeof(tasks));
	w->next_free_ms = now + (w->o->free_poll_ms > 0 ? w->o->free_poll_ms
							: DEFAULT_FREE_POLL_MS);
	if (roger_mesos_master_state(&master, w->o->mesos, &ignored) < 0) {
		roger_debug(w->ctx, "cannot read what the agents have free: %s",
			    ignored.msg);
		return;
	}
	roger_mesos_master_free_resources(&f, master);
	roger_deploy_observe_free(w->d, f.cpus, f.mem, (int)f.agents);
	roger_mesos_master_free(master);
}

static void poll(struct watch *w)
{
	const struct roger_deploy_status *st = roger_deploy_status(w->d);
	struct roger_err perr = ROGER_ERR_INIT;
	struct roger_marathon_deployments *deps = NULL;
	struct roger_marathon_app *app = NULL;
	struct roger_marathon_queue *queue = NULL;
	bool missing = false;
	int rc;

	rc = roger_marathon_deployments(&deps, w->m, &perr);
	if (rc == 0)
		rc = roger_deploy_observe_deployments(
			w->d, roger_ctx_now_ms(w->ctx), deps);
	if (rc == 0 && roger_deploy_state(w->d) == ROGER_DEPLOY_WAITING) {
		rc = roger_marathon_get_app(
			&app, w->m, st->app_id,
			ROGER_MARATHON_EMBED_TASKS |
				ROGER_MARATHON_EMBED_LAST_TASK_FAILURE,
			&perr);
		if (rc == ROGER_ENOTFOUND) {
			roger_err_clear(&perr);
			rc = 0;
		}
		if (rc == 0)
			rc = roger_deploy_observe_app(
				w->d, roger_ctx_now_ms(w->ctx), app);
		missing = !app;
	}
	if (rc == 0 && !missing &&
	    roger_deploy_state(w->d) == ROGER_DEPLOY_WAITING) {
		rc = roger_marathon_queue(&queue, w->m, &perr);
		if (rc == 0)
			rc = roger_deploy_observe_queue(
				w->d, roger_ctx_now_ms(w->ctx), queue);
		if (rc == 0)
			read_free(w);
	}
	if (rc == ROGER_ENOMEM && !perr.msg[0])
		roger_err_set(&perr, rc, "out of memory");
	if (rc < 0)
		poll_failed(w, rc, &perr);
	else
		w->poll_errors = 0;
	w->poll_soon = false;
	w->last_poll_ms = roger_ctx_now_ms(w->ctx);
	w->next_poll_ms = w->last_poll_ms + w->poll_ms;
	roger_marathon_queue_free(queue);
	roger_marathon_app_free(app);
	roger_marathon_deployments_free(deps);
	report(w);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Wait up to `ms` in slices, leaving early on an interrupt. */
static void wait_a_bit(struct watch *w, long ms)
{
	for (long waited = 0; waited < ms; waited += SLICE_MS) {
		if (roger_ctx_interrupted(w->ctx))
			return;
		sleep_ms(ms - waited < SLICE_MS ? ms - waited : SLICE_MS);
	}
}

/*
 * About once a second, and after a batch of events: the interrupt flag, a
 * poll when due (one asked for by an event waits out the rest of its
 * slice), the clock.
 */
static void tick(struct watch *w)
{
	int64_t now = roger_ctx_now_ms(w->ctx);

	if (roger_ctx_interrupted(w->ctx)) {
		w->interrupted = true;
		return;
	}
	if (w->poll_soon && now - w->last_poll_ms < SLICE_MS) {
		wait_a_bit(w, (long)(SLICE_MS - (now - w->last_poll_ms)));
		if (roger_ctx_interrupted(w->ctx)) {
			w->interrupted = true;
			return;
		}
	}
	if (w->poll_soon || now >= w->next_poll_ms) {
		poll(w);
		return;
	}
	roger_deploy_tick(w->d, now);
	report(w);
}

static int on_event(void *data, const char *type, const char *json, size_t len,
		    struct roger_err *err)
{
	struct watch *w = data;
	struct roger_marathon_event *ev = NULL;
	int rc;

	(void)err;
	if (roger_marathon_event_parse(&ev, type, json, len, NULL) < 0) {
		roger_debug(w->ctx,
			    "ignoring an event '%s' that does not parse",
			    type ? type : "message");
		return 0;
	}
	rc = roger_deploy_observe_event(w->d, roger_ctx_now_ms(w->ctx), ev);
	if (rc > 0) {
		w->poll_soon = true;
		if (ev->type && !strcmp(ev->type, "event_stream_attached"))
			w->attached = true;
	} else if (rc < 0) {
		w->fatal = rc;
		roger_err_set(&w->fatal_err, rc, "out of memory");
	}
	roger_marathon_event_free(ev);
	if (rc > 0)
		report(w); /* the poll comes with the tick after the batch */
	return decided(w) ? ROGER_HTTP_STOP : 0;
}

static int on_tick(void *data, struct roger_err *err)
{
	struct watch *w = data;

	(void)err;
	tick(w);
	return decided(w) ? ROGER_HTTP_STOP : 0;
}

/*
 * A stream error names the URL with its long event_type query: keep the
 * path only ("'http://h/v2/events'"), in place.
 */
static void drop_stream_query(char *msg)
{
	char *q = strstr(msg, "/v2/events?"), *end;

	if (!q)
		return;
	q += strlen("/v2/events");
	end = strchr(q, '\'');
	if (end)
		memmove(q, end, strlen(end) + 1);
	else
		*q = '\0';
}

/* Follow the stream (when there is one) and poll until decided. */
static void run(struct watch *w, struct roger_marathon *events)
{
	struct roger_marathon_watch mw = {
		.types = event_types,
		.n_types = sizeof(event_types) / sizeof(*event_types),
		.idle_timeout_ms =
			w->o->idle_ms > 0 ? w->o->idle_ms : DEFAULT_IDLE_MS,
		.on_event = on_event,
		.on_tick = on_tick,
		.data = w,
	};
	long reconnect_max = w->o->reconnect_max_ms > 0
				     ? w->o->reconnect_max_ms
				     : DEFAULT_RECONNECT_MAX_MS;
	bool stream = events && !w->o->no_events;
	int64_t next_stream = 0;
	int attempts = 0;

	while (!decided(w)) {
		struct roger_err serr = ROGER_ERR_INIT;
		long delay;
		int rc;

		if (!stream || roger_ctx_now_ms(w->ctx) < next_stream) {
			int64_t until = roger_ctx_now_ms(w->ctx) + TICK_MS;

			if (w->next_poll_ms < until)
				until = w->next_poll_ms;
			wait_a_bit(w, (long)(until - roger_ctx_now_ms(w->ctx)));
			tick(w);
			continue;
		}
		w->attached = false;
		rc = roger_marathon_events(events, &mw, &serr);
		if (decided(w))
			break;
		if (rc == ROGER_EINTR || roger_ctx_interrupted(w->ctx)) {
			w->interrupted = true;
			break;
		}
		drop_stream_query(serr.msg);
		if (rc != ROGER_ENET) {
			note(w, ROGER_DEPLOY_NOTE_STREAM, NULL,
			     "the event stream is not available (%s); watching by polling alone",
			     serr.msg[0] ? serr.msg : roger_strerror(rc));
			stream = false;
			continue;
		}
		attempts = w->attached ? 1 : attempts + 1;
		delay = 1000L << (attempts - 1 < 4 ? attempts - 1 : 4);
		if (delay > reconnect_max)
			delay = reconnect_max;
		note(w, ROGER_DEPLOY_NOTE_STREAM, NULL,
		     "%s; reconnecting in %ld s, polling meanwhile",
		     serr.msg[0] ? serr.msg : "the event stream ended",
		     (delay + 999) / 1000);
		next_stream = roger_ctx_now_ms(w->ctx) + delay;
		/* it may have been silent for long: catch up now */
		w->poll_soon = true;
	}
}

int roger_deploy_watch(struct roger_deploy_status *out, struct roger_ctx *ctx,
		       struct roger_marathon *m, struct roger_marathon *events,
		       const struct roger_deploy_goal *goal,
		       const struct roger_deploy_watch_opts *opts,
		       struct roger_err *err)
{
	static const struct roger_deploy_watch_opts no_opts;
	struct roger_deploy_goal g = *goal;
	struct watch w = { 0 };
	const struct roger_deploy_status *st;
	struct roger_buf line = ROGER_BUF_INIT;
	int rc;

	w.ctx = ctx;
	w.m = m;
	w.o = opts ? opts : &no_opts;
	w.poll_ms = w.o->poll_ms > 0 ? w.o->poll_ms : DEFAULT_POLL_MS;
	w.max_poll_errors = w.o->max_poll_errors > 0 ? w.o->max_poll_errors
						     : DEFAULT_MAX_POLL_ERRORS;
	if (!g.start_ms)
		g.start_ms = roger_ctx_now_ms(ctx);
	if ((rc = roger_deploy_new(&w.d, &g, err)) < 0) {
		if (out)
			memset(out, 0, sizeof(*out));
		return rc;
	}
	poll(&w);
	run(&w, events);
	st = roger_deploy_status(w.d);
	if (out)
		*out = *st;
	if (w.fatal) {
		rc = w.fatal;
		if (err)
			*err = w.fatal_err;
	} else if (st->state == ROGER_DEPLOY_SUCCEEDED) {
		rc = 0;
	} else if (st->state == ROGER_DEPLOY_FAILED) {
		rc = roger_err_set(err, ROGER_EDEPLOY, "%s", st->reason);
	} else if (st->state == ROGER_DEPLOY_TIMED_OUT) {
		rc = roger_err_set(err, ROGER_ETIMEOUT, "%s", st->reason);
	} else {
		roger_deploy_progress_text(&line, st);
		rc = roger_err_set(
			err, ROGER_EINTR,
			"interrupted while waiting for %s of app '%s': %s",
			st->deployment_id[0] ? "the deployment" : "the app",
			st->app_id, line.buf);
	}
	roger_buf_release(&line);
	roger_deploy_free(w.d);
	return rc;
}

/* Record what a rollback started in *rb (may be NULL). */
static void started(struct roger_deploy_rollback *rb,
		    const struct roger_marathon_deployment_result *res)
{
	if (!rb)
		return;
	snprintf(rb->deployment_id, sizeof(rb->deployment_id), "%s",
		 res->deployment_id);
	snprintf(rb->version, sizeof(rb->version), "%s", res->version);
}

/* Watch what a rollback started: the app as it was, or its removal. */
static int watch_revert(struct roger_deploy_status *out, struct roger_ctx *ctx,
			struct roger_marathon *m, struct roger_marathon *events,
			const struct roger_deploy_goal *failed,
			const struct roger_marathon_deployment_result *res,
			unsigned flags,
			const struct roger_deploy_watch_opts *opts,
			struct roger_err *err)
{
	struct roger_deploy_goal g = *failed;

	roger_log(ctx, ROGER_LOG_INFO,
		  "rolling back app '%s' with deployment '%s'", failed->app_id,
		  res->deployment_id);
	g.deployment_id = res->deployment_id;
	g.version = res->version[0] ? res->version : NULL;
	g.instances = (flags & ROGER_DEPLOY_REMOVE) ? 0 : -1;
	g.flags = flags;
	g.start_ms = 0;
	return roger_deploy_watch(out, ctx, m, events, &g, opts, err);
}

/*
 * The rollback of a deployment that created the app: remove it.  Marathon
 * deletes with force by default, which cancels the deployment when it
 * still runs.
 */
static int remove_created(struct roger_deploy_rollback *rb,
			  struct roger_deploy_status *out,
			  struct roger_ctx *ctx, struct roger_marathon *m,
			  struct roger_marathon *events,
			  const struct roger_deploy_goal *failed,
			  const struct roger_deploy_watch_opts *opts,
			  struct roger_err *err)
{
	struct roger_marathon_deployment_result res = { { 0 }, { 0 } };
	int rc;

	rc = roger_marathon_delete_app(&res, m, failed->app_id,
				       ROGER_MARATHON_FORCE, err);
	if (rc == ROGER_ENOTFOUND) {
		/* already gone: that is where a rollback would take it */
		roger_err_clear(err);
		if (rb)
			rb->removed = true;
		if (out)
			out->state = ROGER_DEPLOY_SUCCEEDED;
		return 0;
	}
	if (rc < 0)
		return rc;
	if (rb)
		rb->removed = true;
	started(rb, &res);
	return watch_revert(out, ctx, m, events, failed, &res,
			    ROGER_DEPLOY_REMOVE, opts, err);
}

/* Clear what a rollback reports (either may be NULL) before it starts. */
static void reset(struct roger_deploy_rollback *rb,
		  struct roger_deploy_status *out)
{
	if (out)
		memset(out, 0, sizeof(*out));
	if (rb)
		memset(rb, 0, sizeof(*rb));
}

int roger_deploy_rollback(struct roger_deploy_rollback *rb,
			  struct roger_deploy_status *out,
			  struct roger_ctx *ctx, struct roger_marathon *m,
			  struct roger_marathon *events,
			  const struct roger_deploy_goal *failed,
			  const char *previous_version,
			  const struct roger_deploy_watch_opts *opts,
			  struct roger_err *err)
{
	struct roger_marathon_deployment_result res = { { 0 }, { 0 } };
	bool by_version = false;
	int rc = ROGER_ENOTFOUND;

	reset(rb, out);
	if (failed->flags & ROGER_DEPLOY_CREATES)
		return remove_created(rb, out, ctx, m, events, failed, opts,
				      err);
	if (failed->deployment_id)
		rc = roger_marathon_cancel_deployment(
			&res, m, failed->deployment_id, 0, err);
	if (rc == ROGER_ENOTFOUND) {
		if (!previous_version)
			return roger_err_set(
				err, ROGER_ENOTFOUND,
				"deployment '%s' of app '%s' has already ended: nothing to roll back",
				failed->deployment_id ? failed->deployment_id
						      : "",
				failed->app_id);
		roger_err_clear(err);
		by_version = true;
		rc = roger_marathon_rollback_app(&res, m, failed->app_id,
						 previous_version, 0, err);
	}
	if (rc < 0)
		return rc;
	started(rb, &res);
	if (rb)
		rb->by_version = by_version;
	return watch_revert(out, ctx, m, events, failed, &res,
			    ROGER_DEPLOY_ANY_VERSION, opts, err);
}

int roger_deploy_rollback_app(struct roger_deploy_rollback *rb,
			      struct roger_deploy_status *out,
			      struct roger_ctx *ctx, struct roger_marathon *m,
			      struct roger_marathon *events,
			      const struct roger_deploy_goal *failed,
			      const json_t *app,
			      const struct roger_deploy_watch_opts *opts,
			      struct roger_err *err)
{
	struct roger_marathon_deployment_result res = { { 0 }, { 0 } };
	int rc;

	reset(rb, out);
	if (failed->flags & ROGER_DEPLOY_CREATES)
		return remove_created(rb, out, ctx, m, events, failed, opts,
				      err);
	if (!app)
		return roger_err_set(
			err, ROGER_EINVALID,
			"no app definition to roll back app '%s' to",
			failed->app_id);
	rc = roger_marathon_put_app(
		&res, NULL, m, failed->app_id, app,
		ROGER_MARATHON_FORCE | ROGER_MARATHON_REPLACE, err);
	if (rc < 0)
		return rc;
	started(rb, &res);
	if (rb)
		rb->replaced = true;
	return watch_revert(out, ctx, m, events, failed, &res, 0, opts, err);
}
