/*
 * check_sched.c - unit tests of roger local's scheduler decisions
 * (lib/local/decide.c): reconciling an app (scaling, kill selection,
 * rolling restarts within the upgrade strategy), deployment steps and
 * their events, capacity, backoff, what a task's end means, and health
 * results.  Facts in, decisions out: no server, no threads, no clock.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/local/decide.h"
#include "lib/util.h"

/* ---- facts ------------------------------------------------------------------ */

/* A task for the tables below: R ready, U running but not ready (staging,
 * or not healthy yet), K being killed, D terminal; `old` or current. */
enum kind { R, U, K, D };

static struct roger_decide_task task(enum kind k, bool old, int64_t staged)
{
	struct roger_decide_task t;

	memset(&t, 0, sizeof(t));
	t.live = k != D;
	t.alive = k == R || k == U;
	t.ready = k == R;
	t.old = old;
	t.staged_ms = staged;
	return t;
}

static struct roger_decide_app app(long instances, double min_health,
				   double max_over, bool restarting)
{
	struct roger_decide_app a;

	memset(&a, 0, sizeof(a));
	a.instances = instances;
	a.min_health = min_health;
	a.max_over = max_over;
	a.restarting = restarting;
	return a;
}

/* Which tasks the decision kills, as a string of 'k' and '.'. */
static const char *kills(const struct roger_decide_task *t, size_t n)
{
	static char out[64];

	ck_assert_uint_lt(n, sizeof(out));
	for (size_t i = 0; i < n; i++)
		out[i] = t[i].kill ? 'k' : '.';
	out[n] = '\0';
	return out;
}

/* ---- reconciling ------------------------------------------------------------- */

START_TEST(test_sched_scale_up_starts_what_is_missing)
{
	struct roger_decide_task t[] = { task(R, false, 10), task(U, false, 20),
					 task(D, false, 5), task(K, false, 1) };
	struct roger_decide_app a = app(5, 1, 1, false);
	struct roger_decide_plan p;

	/* Two alive: the one being killed and the ended one do not count. */
	roger_decide_reconcile(&p, t, ROGER_ARRAY_SIZE(t), &a);
	ck_assert_int_eq(p.start, 3);
	ck_assert_int_eq(p.missing, 3);
	ck_assert_str_eq(kills(t, ROGER_ARRAY_SIZE(t)), "....");
	/* A new app with no task yet. */
	roger_decide_reconcile(&p, NULL, 0, &a);
	ck_assert_int_eq(p.start, 5);
	ck_assert_int_eq(p.missing, 5);
}
END_TEST

START_TEST(test_sched_scale_down_kills_not_ready_then_youngest)
{
	struct roger_decide_task t[] = { task(R, false, 10), task(R, false, 30),
					 task(U, false, 5), task(R, false, 20) };
	struct roger_decide_app a = app(2, 1, 1, false);
	struct roger_decide_plan p;

	roger_decide_reconcile(&p, t, ROGER_ARRAY_SIZE(t), &a);
	/* The one not ready first, then the most recently staged. */
	ck_assert_str_eq(kills(t, ROGER_ARRAY_SIZE(t)), ".kk.");
	ck_assert_int_eq(p.start, 0);
	ck_assert_int_eq(p.missing, 0);
}
END_TEST

START_TEST(test_sched_scale_down_oldest_first)
{
	struct roger_decide_task t[] = { task(R, false, 10), task(R, false, 30),
					 task(R, false, 5), task(R, false, 20) };
	struct roger_decide_app a = app(1, 1, 1, false);
	struct roger_decide_plan p;

	a.oldest_first = true;
	roger_decide_reconcile(&p, t, ROGER_ARRAY_SIZE(t), &a);
	ck_assert_str_eq(kills(t, ROGER_ARRAY_SIZE(t)), "k.kk");
}
END_TEST

START_TEST(test_sched_deleted_app_kills_everything)
{
	struct roger_decide_task t[] = { task(R, false, 10), task(U, true, 30),
					 task(K, false, 5) };
	struct roger_decide_app a = app(0, 1, 1, false);
	struct roger_decide_plan p;

	roger_decide_reconcile(&p, t, ROGER_ARRAY_SIZE(t), &a);
	/* The one already being killed is not killed twice. */
	ck_assert_str_eq(kills(t, ROGER_ARRAY_SIZE(t)), "kk.");
	ck_assert_int_eq(p.start, 0);
}
END_TEST

START_TEST(test_sched_victim)
{
	struct roger_decide_task t[] = { task(R, true, 10), task(R, false, 30),
					 task(U, false, 20), task(R, true, 30),
					 task(D, true, 99) };
	size_t n = ROGER_ARRAY_SIZE(t);

	ck_assert_int_eq(roger_decide_victim(t, n, false, false), 2);
	ck_assert_int_eq(roger_decide_victim(t, n, false, true), 2);
	/* among old ones only */
	ck_assert_int_eq(roger_decide_victim(t, n, true, false), 3);
	ck_assert_int_eq(roger_decide_victim(t, n, true, true), 0);
	/* all ready: the youngest (of equals, the last listed), the oldest */
	t[2].kill = true;
	ck_assert_int_eq(roger_decide_victim(t, n, false, false), 3);
	ck_assert_int_eq(roger_decide_victim(t, n, false, true), 0);
	t[0].kill = t[3].kill = true;
	ck_assert_int_eq(roger_decide_victim(t, n, true, false), -1);
	ck_assert_int_eq(roger_decide_victim(NULL, 0, false, false), -1);
}
END_TEST

START_TEST(test_sched_restart_default_strategy)
{
	/* minimumHealthCapacity 1, maximumOverCapacity 1: start all new
	 * ones alongside, kill an old one per new one ready. */
	struct roger_decide_task t[] = { task(R, true, 1), task(R, true, 2) };
	struct roger_decide_task t2[] = { task(R, true, 1), task(R, true, 2),
					  task(R, false, 3), task(U, false, 4) };
	struct roger_decide_app a = app(2, 1, 1, true);
	struct roger_decide_plan p;

	roger_decide_reconcile(&p, t, ROGER_ARRAY_SIZE(t), &a);
	ck_assert_str_eq(kills(t, ROGER_ARRAY_SIZE(t)), "..");
	ck_assert_int_eq(p.start, 2);
	ck_assert_int_eq(p.missing, 2);
	/* One new one is ready: one old one may go, the youngest. */
	roger_decide_reconcile(&p, t2, ROGER_ARRAY_SIZE(t2), &a);
	ck_assert_str_eq(kills(t2, ROGER_ARRAY_SIZE(t2)), ".k..");
	ck_assert_int_eq(p.start, 0);
	ck_assert_int_eq(p.missing, 0);
}
END_TEST

START_TEST(test_sched_restart_half_capacity_no_extra)
{
	/* minimumHealthCapacity 0.5, maximumOverCapacity 0 over 4: two old
	 * ones go at once and two new ones take their room. */
	struct roger_decide_task t[] = { task(R, true, 1), task(R, true, 2),
					 task(R, true, 3), task(R, true, 4) };
	struct roger_decide_app a = app(4, 0.5, 0, true);
	struct roger_decide_plan p;

	roger_decide_reconcile(&p, t, ROGER_ARRAY_SIZE(t), &a);
	ck_assert_str_eq(kills(t, ROGER_ARRAY_SIZE(t)), "..kk");
	ck_assert_int_eq(p.start, 2);
	ck_assert_int_eq(p.missing, 4);
}
END_TEST

START_TEST(test_sched_restart_replaces_old_not_ready_at_once)
{
	struct roger_decide_task t[] = { task(U, true, 1), task(R, true, 2) };
	struct roger_decide_app a = app(2, 1, 0, true);
	struct roger_decide_plan p;

	roger_decide_reconcile(&p, t, ROGER_ARRAY_SIZE(t), &a);
	/* The old one that is not ready counts for nothing, and its room
	 * goes to a new one. */
	ck_assert_str_eq(kills(t, ROGER_ARRAY_SIZE(t)), "k.");
	ck_assert_int_eq(p.start, 1);
	ck_assert_int_eq(p.missing, 2);
}
END_TEST

START_TEST(test_sched_restart_stuck_between_bounds)
{
	/* minimumHealthCapacity 1 and maximumOverCapacity 0: no room and
	 * nothing may go; Marathon kills one old instance to make room. */
	struct roger_decide_task t[] = { task(R, true, 1), task(R, true, 2) };
	struct roger_decide_task t2[] = { task(R, true, 1), task(U, false, 3) };
	struct roger_decide_app a = app(2, 1, 0, true);
	struct roger_decide_plan p;

	roger_decide_reconcile(&p, t, ROGER_ARRAY_SIZE(t), &a);
	ck_assert_str_eq(kills(t, ROGER_ARRAY_SIZE(t)), ".k");
	ck_assert_int_eq(p.start, 1);
	ck_assert_int_eq(p.missing, 2);
	/* While the new one is not ready, nothing more happens. */
	roger_decide_reconcile(&p, t2, ROGER_ARRAY_SIZE(t2), &a);
	ck_assert_str_eq(kills(t2, ROGER_ARRAY_SIZE(t2)), "..");
	ck_assert_int_eq(p.start, 0);
	ck_assert_int_eq(p.missing, 1);
}
END_TEST

START_TEST(test_sched_old_tasks_without_restart_are_scaled_alike)
{
	/* Old tasks are replaced only while a restart is the current step. */
	struct roger_decide_task t[] = { task(R, true, 1), task(R, true, 2),
					 task(R, false, 3) };
	struct roger_decide_app a = app(2, 1, 1, false);
	struct roger_decide_plan p;

	roger_decide_reconcile(&p, t, ROGER_ARRAY_SIZE(t), &a);
	ck_assert_str_eq(kills(t, ROGER_ARRAY_SIZE(t)), "..k");
	ck_assert_int_eq(p.start, 0);
}
END_TEST

/* ---- deployments ------------------------------------------------------------- */

START_TEST(test_sched_action_kinds)
{
	ck_assert_int_eq(roger_decide_action_kind("StartApplication"), ROGER_DECIDE_START);
	ck_assert_int_eq(roger_decide_action_kind("StopApplication"), ROGER_DECIDE_STOP);
	ck_assert_int_eq(roger_decide_action_kind("RestartApplication"), ROGER_DECIDE_RESTART);
	ck_assert_int_eq(roger_decide_action_kind("ScaleApplication"), ROGER_DECIDE_SCALE);
	ck_assert_int_eq(roger_decide_action_kind(NULL), ROGER_DECIDE_SCALE);
}
END_TEST

START_TEST(test_sched_action_done)
{
	struct roger_decide_target live = { false, 2 }, deleted = { true, 0 };
	struct roger_decide_task two[] = { task(R, false, 1), task(R, false, 2) };
	struct roger_decide_task unready[] = { task(R, false, 1), task(U, false, 2) };
	struct roger_decide_task mixed[] = { task(R, true, 1), task(R, false, 2),
					     task(R, false, 3) };
	struct roger_decide_task killing[] = { task(K, false, 1) };
	struct roger_decide_task ended[] = { task(D, false, 1) };

	ck_assert(roger_decide_action_done(ROGER_DECIDE_START, NULL, NULL, 0));
	/* a stop: done once no task of the deleted app is live */
	ck_assert(!roger_decide_action_done(ROGER_DECIDE_STOP, &deleted, killing, 1));
	ck_assert(roger_decide_action_done(ROGER_DECIDE_STOP, &deleted, ended, 1));
	ck_assert(roger_decide_action_done(ROGER_DECIDE_STOP, &live, killing, 1));
	ck_assert(roger_decide_action_done(ROGER_DECIDE_STOP, NULL, NULL, 0));
	/* a scale: the target alive and ready */
	ck_assert(roger_decide_action_done(ROGER_DECIDE_SCALE, &live, two, 2));
	ck_assert(!roger_decide_action_done(ROGER_DECIDE_SCALE, &live, unready, 2));
	ck_assert(!roger_decide_action_done(ROGER_DECIDE_SCALE, &live, two, 1));
	ck_assert(!roger_decide_action_done(ROGER_DECIDE_SCALE, &live, mixed, 3));
	/* a restart: the target of the new configuration, no old one */
	ck_assert(roger_decide_action_done(ROGER_DECIDE_RESTART, &live, two, 2));
	ck_assert(!roger_decide_action_done(ROGER_DECIDE_RESTART, &live, mixed, 3));
	mixed[0].alive = mixed[0].ready = false; /* the old one being killed */
	ck_assert(roger_decide_action_done(ROGER_DECIDE_RESTART, &live, mixed, 3));
	/* on an app that is gone or being deleted */
	ck_assert(roger_decide_action_done(ROGER_DECIDE_RESTART, NULL, NULL, 0));
	ck_assert(roger_decide_action_done(ROGER_DECIDE_SCALE, &deleted, killing, 1));
}
END_TEST

/* The events of `ev` as text: "I1 S1 I2 S2 OK". */
static const char *events(const struct roger_decide_event *ev, size_t n)
{
	static char out[256];
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *sep = i ? " " : "";

		if (ev[i].type == ROGER_DECIDE_SUCCESS)
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%sOK", sep);
		else
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%c%d", sep,
						ev[i].type == ROGER_DECIDE_STEP_INFO ? 'I' : 'S',
						ev[i].step);
	}
	return out;
}

START_TEST(test_sched_advance)
{
	struct roger_decide_event ev[ROGER_DECIDE_MAX_EVENTS(3)];
	bool none[] = { false, false, false }, first[] = { true, false, false };
	bool all[] = { true, true, true }, later[] = { false, true, true };
	int step;
	size_t n;

	/* nothing to do: it succeeds at once */
	step = 0;
	n = roger_decide_advance(ev, &step, 0, NULL);
	ck_assert_str_eq(events(ev, n), "OK");
	/* it begins, and waits on its first step */
	step = 0;
	n = roger_decide_advance(ev, &step, 3, none);
	ck_assert_str_eq(events(ev, n), "I1");
	ck_assert_int_eq(step, 1);
	n = roger_decide_advance(ev, &step, 3, none);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(step, 1);
	/* one step done: the next is current */
	n = roger_decide_advance(ev, &step, 3, first);
	ck_assert_str_eq(events(ev, n), "S1 I2");
	ck_assert_int_eq(step, 2);
	/* a later step done does not skip the current one */
	step = 1;
	n = roger_decide_advance(ev, &step, 3, later);
	ck_assert_uint_eq(n, 0);
	/* all done in one pass, from the start */
	step = 0;
	n = roger_decide_advance(ev, &step, 3, all);
	ck_assert_str_eq(events(ev, n), "I1 S1 I2 S2 I3 S3 OK");
	ck_assert_uint_le(n, ROGER_DECIDE_MAX_EVENTS(3));
	ck_assert_int_eq(step, 3);
}
END_TEST

/* ---- launching --------------------------------------------------------------- */

START_TEST(test_sched_fit)
{
	struct roger_decide_res cap = { 2, 1024 }, used = { 1.5, 512 };
	struct roger_decide_res small = { 0.5, 512 }, big = { 0.6, 600 };
	struct roger_decide_res cpus = { 1, 1 }, tenth = { 0.1, 0 };
	struct roger_decide_res tenths = { 0, 0 };

	ck_assert_uint_eq(roger_decide_fit(&used, &small, &cap), 0);
	ck_assert_uint_eq(roger_decide_fit(&used, &big, &cap),
			  ROGER_DECIDE_NO_CPUS | ROGER_DECIDE_NO_MEM);
	ck_assert_uint_eq(roger_decide_fit(&used, &cpus, &cap), ROGER_DECIDE_NO_CPUS);
	/* ten tasks of 0.1 cpus fill one cpu, despite rounding */
	cap.cpus = 1;
	for (int i = 0; i < 10; i++) {
		ck_assert_uint_eq(roger_decide_fit(&tenths, &tenth, &cap), 0);
		tenths.cpus += 0.1;
	}
	ck_assert_uint_eq(roger_decide_fit(&tenths, &tenth, &cap), ROGER_DECIDE_NO_CPUS);
}
END_TEST

START_TEST(test_sched_backoff)
{
	double d = 0;

	d = roger_decide_backoff(d, 1, 1.15, 300);
	ck_assert_double_eq(d, 1);
	d = roger_decide_backoff(d, 1, 1.15, 300);
	ck_assert_double_eq_tol(d, 1.15, 1e-9);
	d = roger_decide_backoff(d, 1, 1.15, 300);
	ck_assert_double_eq_tol(d, 1.3225, 1e-9);
	for (int i = 0; i < 100; i++)
		d = roger_decide_backoff(d, 1, 1.15, 300);
	ck_assert_double_eq(d, 300);
	/* a base above the cap is capped too */
	ck_assert_double_eq(roger_decide_backoff(0, 10, 2, 5), 5);
}
END_TEST

START_TEST(test_sched_task_end)
{
	unsigned fail = ROGER_DECIDE_END_FAILURE, back = ROGER_DECIDE_END_BACKOFF;

	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_FAILED, false, false), fail | back);
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_ERROR, false, false), fail | back);
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_LOST, false, false), fail | back);
	/* a task that finished on its own is relaunched after a delay */
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_FINISHED, false, false), back);
	/* killed by the scheduler (a scale, a restart): no delay */
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_KILLED, true, false), 0);
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_FAILED, true, false), fail);
	/* killed for failing its health checks: the delay grows */
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_KILLED, true, true), back);
}
END_TEST

/* ---- health checks ----------------------------------------------------------- */

START_TEST(test_sched_health_pass_and_fail)
{
	struct roger_decide_hc_policy p = { 10, 5, 3 };
	struct roger_local_hc h;
	unsigned out;

	memset(&h, 0, sizeof(h));
	h.in_flight = true;
	/* the first success: alive, and the next check an interval later */
	out = roger_decide_health(&h, 1, true, 20000, 1000, &p);
	ck_assert_uint_eq(out, ROGER_DECIDE_HC_PASSED | ROGER_DECIDE_HC_UP);
	ck_assert(h.has_result && h.alive && !h.in_flight);
	ck_assert_int_eq(h.first_success, 20000);
	ck_assert_int_eq(h.next_ms, 25000);
	/* more successes change nothing visible */
	out = roger_decide_health(&h, 1, true, 25000, 1000, &p);
	ck_assert_uint_eq(out, ROGER_DECIDE_HC_PASSED);
	ck_assert_int_eq(h.first_success, 20000);
	ck_assert_int_eq(h.last_success, 25000);
	/* a failure after a success counts, grace period or not */
	out = roger_decide_health(&h, 0, true, 26000, 1000, &p);
	ck_assert_uint_eq(out, ROGER_DECIDE_HC_FAILED | ROGER_DECIDE_HC_DOWN);
	ck_assert(h.has_result && !h.alive);
	ck_assert_int_eq(h.consecutive_failures, 1);
	ck_assert_int_eq(h.last_failure, 26000);
	out = roger_decide_health(&h, 0, true, 31000, 1000, &p);
	ck_assert_uint_eq(out, ROGER_DECIDE_HC_FAILED);
	/* the third in a row: kill */
	out = roger_decide_health(&h, 0, true, 36000, 1000, &p);
	ck_assert_uint_eq(out, ROGER_DECIDE_HC_FAILED | ROGER_DECIDE_HC_KILL);
	ck_assert_int_eq(h.consecutive_failures, 3);
	/* a success resets the count */
	out = roger_decide_health(&h, 1, true, 41000, 1000, &p);
	ck_assert_uint_eq(out, ROGER_DECIDE_HC_PASSED | ROGER_DECIDE_HC_UP);
	ck_assert_int_eq(h.consecutive_failures, 0);
}
END_TEST

START_TEST(test_sched_health_grace_period)
{
	struct roger_decide_hc_policy p = { 10, 0, 1 };
	struct roger_local_hc h;
	unsigned out;

	memset(&h, 0, sizeof(h));
	/* failing within 10 s of the start, before any success: nothing */
	out = roger_decide_health(&h, 0, true, 5000, 1000, &p);
	ck_assert_uint_eq(out, 0);
	ck_assert(!h.has_result);
	ck_assert_int_eq(h.consecutive_failures, 0);
	ck_assert_int_eq(h.next_ms, 6000); /* interval 0 means 1 s */
	/* after the grace period it counts, and the first one says so */
	out = roger_decide_health(&h, 0, true, 11000, 1000, &p);
	ck_assert_uint_eq(out, ROGER_DECIDE_HC_FAILED | ROGER_DECIDE_HC_DOWN |
				       ROGER_DECIDE_HC_KILL);
}
END_TEST

START_TEST(test_sched_health_no_result)
{
	struct roger_decide_hc_policy p = { 0, 2, 0 };
	struct roger_local_hc h;

	memset(&h, 0, sizeof(h));
	h.in_flight = true;
	/* the server could not run the check: no result either way */
	ck_assert_uint_eq(roger_decide_health(&h, -1, true, 5000, 0, &p), 0);
	ck_assert(!h.has_result && !h.in_flight);
	ck_assert_int_eq(h.next_ms, 7000);
	/* a task not running (or being killed) takes no result */
	ck_assert_uint_eq(roger_decide_health(&h, 1, false, 8000, 0, &p), 0);
	ck_assert(!h.has_result);
	/* max_failures 0: failures never kill */
	for (int i = 0; i < 20; i++)
		ck_assert_uint_eq(roger_decide_health(&h, 0, true, 9000, 0, &p) &
					  ROGER_DECIDE_HC_KILL,
				  0);
	ck_assert_int_eq(h.consecutive_failures, 20);
}
END_TEST

START_TEST(test_sched_first_check)
{
	ck_assert_int_eq(roger_decide_first_check_ms("HTTP", -1), 1000);
	ck_assert_int_eq(roger_decide_first_check_ms("MESOS_HTTP", -1), 15000);
	ck_assert_int_eq(roger_decide_first_check_ms("COMMAND", -1), 15000);
	ck_assert_int_eq(roger_decide_first_check_ms("COMMAND", 0), 0);
	ck_assert_int_eq(roger_decide_first_check_ms("COMMAND", 3), 3000);
	ck_assert_int_eq(roger_decide_first_check_ms("TCP", 30), 1000);
	ck_assert_int_eq(roger_decide_first_check_ms(NULL, 30), 1000);
}
END_TEST

static Suite *sched_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc;

	tc = tcase_create("reconcile");
	tcase_add_test(tc, test_sched_scale_up_starts_what_is_missing);
	tcase_add_test(tc, test_sched_scale_down_kills_not_ready_then_youngest);
	tcase_add_test(tc, test_sched_scale_down_oldest_first);
	tcase_add_test(tc, test_sched_deleted_app_kills_everything);
	tcase_add_test(tc, test_sched_victim);
	tcase_add_test(tc, test_sched_restart_default_strategy);
	tcase_add_test(tc, test_sched_restart_half_capacity_no_extra);
	tcase_add_test(tc, test_sched_restart_replaces_old_not_ready_at_once);
	tcase_add_test(tc, test_sched_restart_stuck_between_bounds);
	tcase_add_test(tc, test_sched_old_tasks_without_restart_are_scaled_alike);
	suite_add_tcase(s, tc);

	tc = tcase_create("deployments");
	tcase_add_test(tc, test_sched_action_kinds);
	tcase_add_test(tc, test_sched_action_done);
	tcase_add_test(tc, test_sched_advance);
	suite_add_tcase(s, tc);

	tc = tcase_create("launching");
	tcase_add_test(tc, test_sched_fit);
	tcase_add_test(tc, test_sched_backoff);
	tcase_add_test(tc, test_sched_task_end);
	suite_add_tcase(s, tc);

	tc = tcase_create("health");
	tcase_add_test(tc, test_sched_health_pass_and_fail);
	tcase_add_test(tc, test_sched_health_grace_period);
	tcase_add_test(tc, test_sched_health_no_result);
	tcase_add_test(tc, test_sched_first_check);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sched_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
