/*
 * decide.c - what roger local's scheduler decides, apart from how it
 * finds out and how it acts (pure: no lock, no clock, no I/O).
 *
 * The scheduler thread (scheduler.c) and the health-check threads
 * (health.c) hold the state: apps with their definitions, tasks with the
 * agent's last word on them, deployments.  On each pass they reduce what
 * a decision needs to plain facts (struct roger_decide_task for each task
 * of an app, the app's instances and upgrade strategy, a check's result
 * and policy, the time as a number), call a function here, and carry out
 * what it returns: kill these tasks, start that many, publish those
 * events, wait so long.  Everything here follows Marathon 1.10 and the
 * Mesos executor as shared/api/MARATHON-MESOS.md describes them; keeping
 * it apart lets tests/check_sched.c check each rule with a handful of
 * facts, no threads, no server and no waiting.
 */
#include <config.h>

#include <math.h>
#include <string.h>

#include "local/decide.h"

/* ---- reconciling ------------------------------------------------------------- */

static bool counts_alive(const struct roger_decide_task *t)
{
	return t->alive && !t->kill;
}

long roger_decide_victim(const struct roger_decide_task *tasks, size_t n,
			 bool old_only, bool oldest_first)
{
	long best = -1;

	for (size_t i = 0; i < n; i++) {
		const struct roger_decide_task *t = &tasks[i], *b;

		if (!counts_alive(t) || (old_only && !t->old))
			continue;
		if (best < 0) {
			best = (long)i;
			continue;
		}
		b = &tasks[best];
		if (b->ready && !t->ready) {
			best = (long)i;
			continue;
		}
		if (b->ready != t->ready)
			continue;
		if (oldest_first ? t->staged_ms < b->staged_ms
				 : t->staged_ms >= b->staged_ms)
			best = (long)i;
	}
	return best;
}

/* Kill the victim of `tasks` (see above); false when there is none. */
static bool kill_victim(struct roger_decide_task *tasks, size_t n,
			bool old_only, bool oldest_first)
{
	long v = roger_decide_victim(tasks, n, old_only, oldest_first);

	if (v < 0)
		return false;
	tasks[v].kill = true;
	return true;
}

/* A restart in progress: replace the old tasks within the strategy. */
static void restart(struct roger_decide_plan *out,
		    struct roger_decide_task *tasks, size_t n,
		    const struct roger_decide_app *app)
{
	long want = app->instances;
	long min_healthy = (long)ceil(want * app->min_health - 1e-9);
	long max_cap = (long)floor(want * (1 + app->max_over) + 1e-9);
	long alive = 0, ready = 0, old = 0, new_alive = 0, new_ready = 0;
	long can_kill, to_start;

	for (size_t i = 0; i < n; i++) {
		const struct roger_decide_task *t = &tasks[i];

		if (!counts_alive(t))
			continue;
		alive++;
		ready += t->ready;
		if (t->old) {
			old++;
		} else {
			new_alive++;
			new_ready += t->ready;
		}
	}
	/* Old tasks that are not ready count for nothing: replace them. */
	for (size_t i = 0; i < n; i++) {
		struct roger_decide_task *t = &tasks[i];

		if (counts_alive(t) && t->old && !t->ready) {
			t->kill = true;
			old--;
			alive--;
		}
	}
	for (can_kill = ready - min_healthy; can_kill > 0 && old > 0;
	     can_kill--) {
		if (!kill_victim(tasks, n, true, app->oldest_first))
			break;
		old--;
		alive--;
	}
	to_start = want - new_alive;
	if (to_start > max_cap - alive)
		to_start = max_cap - alive;
	/*
	 * Stuck between the two bounds (minimumHealthCapacity 1 and
	 * maximumOverCapacity 0): Marathon kills one old instance to make
	 * room for a new one.
	 */
	if (to_start <= 0 && old > 0 && new_alive < want &&
	    new_alive == new_ready && max_cap <= alive &&
	    kill_victim(tasks, n, true, app->oldest_first))
		to_start = 1;
	out->start = to_start > 0 ? (int)to_start : 0;
	out->missing = (int)(want - new_alive);
}

void roger_decide_reconcile(struct roger_decide_plan *out,
			    struct roger_decide_task *tasks, size_t n,
			    const struct roger_decide_app *app)
{
	long alive = 0, old = 0;

	out->start = out->missing = 0;
	for (size_t i = 0; i < n; i++) {
		if (!counts_alive(&tasks[i]))
			continue;
		alive++;
		old += tasks[i].old;
	}
	if (app->restarting && old > 0) {
		restart(out, tasks, n, app);
		return;
	}
	if (alive < app->instances) {
		out->start = out->missing = (int)(app->instances - alive);
		return;
	}
	for (; alive > app->instances; alive--)
		if (!kill_victim(tasks, n, false, app->oldest_first))
			break;
}

/* ---- deployments ------------------------------------------------------------- */

enum roger_decide_action roger_decide_action_kind(const char *name)
{
	if (!name)
		return ROGER_DECIDE_SCALE;
	if (!strcmp(name, "StartApplication"))
		return ROGER_DECIDE_START;
	if (!strcmp(name, "StopApplication"))
		return ROGER_DECIDE_STOP;
	if (!strcmp(name, "RestartApplication"))
		return ROGER_DECIDE_RESTART;
	return ROGER_DECIDE_SCALE;
}

bool roger_decide_action_done(enum roger_decide_action kind,
			      const struct roger_decide_target *app,
			      const struct roger_decide_task *tasks, size_t n)
{
	long alive = 0, ready = 0, old = 0;

	if (kind == ROGER_DECIDE_START)
		return true;
	if (kind == ROGER_DECIDE_STOP) {
		if (!app || !app->deleted)
			return true;
		for (size_t i = 0; i < n; i++)
			if (tasks[i].live)
				return false;
		return true;
	}
	if (!app || app->deleted)
		return true;
	for (size_t i = 0; i < n; i++) {
		const struct roger_decide_task *t = &tasks[i];

		if (!t->alive)
			continue;
		if (t->old) {
			old++;
			if (kind == ROGER_DECIDE_RESTART)
				continue;
		}
		alive++;
		ready += t->ready;
	}
	if (kind == ROGER_DECIDE_RESTART)
		return old == 0 && alive == app->instances &&
		       ready == app->instances;
	return alive + old == app->instances && ready == app->instances;
}

size_t roger_decide_advance(struct roger_decide_event *out, int *step,
			    int total, const bool *done)
{
	size_t n = 0;
	int s = *step;

	if (s == 0) {
		if (total <= 0) {
			out[n].type = ROGER_DECIDE_SUCCESS;
			out[n++].step = 0;
			return n;
		}
		s = 1;
		out[n].type = ROGER_DECIDE_STEP_INFO;
		out[n++].step = s;
	}
	while (s <= total && done[s - 1]) {
		out[n].type = ROGER_DECIDE_STEP_SUCCESS;
		out[n++].step = s;
		if (s == total) {
			out[n].type = ROGER_DECIDE_SUCCESS;
			out[n++].step = s;
			break;
		}
		s++;
		out[n].type = ROGER_DECIDE_STEP_INFO;
		out[n++].step = s;
	}
	*step = s;
	return n;
}

/* ---- launching --------------------------------------------------------------- */

unsigned roger_decide_fit(const struct roger_decide_res *used,
			  const struct roger_decide_res *want,
			  const struct roger_decide_res *cap)
{
	unsigned short_of = 0;

	if (used->cpus + want->cpus > cap->cpus + 1e-9)
		short_of |= ROGER_DECIDE_NO_CPUS;
	if (used->mem + want->mem > cap->mem + 1e-9)
		short_of |= ROGER_DECIDE_NO_MEM;
	return short_of;
}

double roger_decide_backoff(double delay_s, double base_s, double factor,
			    double max_s)
{
	double next = delay_s > 0 ? delay_s * factor : base_s;

	return next > max_s ? max_s : next;
}

unsigned roger_decide_task_end(enum roger_task_state state, bool kill_wanted,
			       bool kill_unhealthy)
{
	unsigned end = 0;

	if (state == ROGER_TASK_FAILED || state == ROGER_TASK_ERROR ||
	    state == ROGER_TASK_LOST)
		end |= ROGER_DECIDE_END_FAILURE;
	if (!kill_wanted || kill_unhealthy)
		end |= ROGER_DECIDE_END_BACKOFF;
	return end;
}

/* ---- health checks ----------------------------------------------------------- */

unsigned roger_decide_health(struct roger_local_hc *h, int result, bool counts,
			     int64_t now_ms, int64_t started_ms,
			     const struct roger_decide_hc_policy *p)
{
	unsigned out = 0;
	bool was_alive = h->has_result && h->alive;

	h->in_flight = false;
	h->next_ms = now_ms +
		     (int64_t)(p->interval_s > 0 ? p->interval_s : 1) * 1000;
	if (!counts || result < 0)
		return 0;
	/*
	 * Not up yet, within the grace period: a failure does not count, so
	 * the check is tried again soon rather than an interval later (up to
	 * 10 s of a developer's loop otherwise, for an app a little slower to
	 * listen than the first check).
	 */
	if (result == 0 && !h->first_success &&
	    now_ms - started_ms < (int64_t)p->grace_s * 1000 &&
	    ROGER_DECIDE_HC_RETRY_MS < h->next_ms - now_ms)
		h->next_ms = now_ms + ROGER_DECIDE_HC_RETRY_MS;
	if (result == 1) {
		if (!was_alive)
			out |= ROGER_DECIDE_HC_UP;
		h->has_result = h->alive = true;
		h->consecutive_failures = 0;
		h->last_success = now_ms;
		if (!h->first_success)
			h->first_success = now_ms;
		return out | ROGER_DECIDE_HC_PASSED;
	}
	/* Failures within the grace period count only after a first success. */
	if (!h->first_success &&
	    now_ms - started_ms < (int64_t)p->grace_s * 1000)
		return 0;
	h->has_result = true;
	h->alive = false;
	h->consecutive_failures++;
	h->last_failure = now_ms;
	out |= ROGER_DECIDE_HC_FAILED;
	if (was_alive || h->consecutive_failures == 1)
		out |= ROGER_DECIDE_HC_DOWN;
	if (p->max_failures > 0 && h->consecutive_failures >= p->max_failures)
		out |= ROGER_DECIDE_HC_KILL;
	return out;
}

int64_t roger_decide_first_check_ms(const char *protocol, long delay_s)
{
	if (!protocol ||
	    (strcmp(protocol, "COMMAND") && strncmp(protocol, "MESOS_", 6)))
		return ROGER_DECIDE_HC_RETRY_MS;
	return delay_s >= 0 ? (int64_t)delay_s * 1000 : 15000;
}
