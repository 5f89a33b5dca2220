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

/* A task: R ready, U running but not ready (staging, or not healthy yet),
 * K being killed, D terminal; `old` or of the current configuration. */
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

/*
 * Tasks from text: one word each, its kind (R, U, K, D), when it was
 * staged, and "o" when it is old: "R10 U20o".  Returns how many.
 */
static size_t tasks(struct roger_decide_task *out, size_t max, const char *text)
{
	size_t n = 0;

	while (*text) {
		char *end;
		enum kind k;
		long staged;

		while (*text == ' ')
			text++;
		if (!*text)
			break;
		ck_assert_uint_lt(n, max);
		k = *text == 'R' ? R : *text == 'U' ? U : *text == 'K' ? K : D;
		staged = strtol(text + 1, &end, 10);
		out[n++] = task(k, *end == 'o', staged);
		text = *end == 'o' ? end + 1 : end;
	}
	return n;
}

/* Which tasks a decision kills, as a string of 'k' and '.'. */
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

/* Marathon's rules, one case a row: the app, its tasks, the decision. */
static const struct reconcile_case {
	const char *what;
	long instances;
	double min_health, max_over;
	bool oldest_first, restarting;
	const char *tasks;
	const char *kills; /* 'k' for each task killed */
	int start, missing;
} reconcile_cases[] = {
	{ "scale up: what is missing starts; one being killed or ended does not count",
	  5, 1, 1, false, false, "R10 U20 D5 K1", "....", 3, 3 },
	{ "a new app", 5, 1, 1, false, false, "", "", 5, 5 },
	{ "scale down: one not ready first, then the youngest", 2, 1, 1, false,
	  false, "R10 R30 U5 R20", ".kk.", 0, 0 },
	{ "scale down, OLDEST_FIRST", 1, 1, 1, true, false, "R10 R30 R5 R20",
	  "k.kk", 0, 0 },
	{ "a deleted app: everything goes, once", 0, 1, 1, false, false,
	  "R10 U30o K5", "kk.", 0, 0 },
	{ "old tasks and no restart: scaled like the others", 2, 1, 1, false,
	  false, "R1o R2o R3", "..k", 0, 0 },
	{ "restart, default strategy: every new one starts alongside", 2, 1, 1,
	  false, true, "R1o R2o", "..", 2, 2 },
	{ "restart, default strategy: one new one ready, one old one goes", 2,
	  1, 1, false, true, "R1o R2o R3 U4", ".k..", 0, 0 },
	{ "restart at half capacity, no extra: half goes at once, half starts",
	  4, 0.5, 0, false, true, "R1o R2o R3o R4o", "..kk", 2, 4 },
	{ "restart: an old task that is not ready is replaced at once", 2, 1, 0,
	  false, true, "U1o R2o", "k.", 1, 2 },
	{ "restart stuck between the bounds: one old one goes to make room", 2,
	  1, 0, false, true, "R1o R2o", ".k", 1, 2 },
	{ "restart stuck: nothing more while the new one is not ready", 2, 1, 0,
	  false, true, "R1o U3", "..", 0, 1 },
};

START_TEST(test_sched_reconcile)
{
	const struct reconcile_case *c = &reconcile_cases[_i];
	struct roger_decide_task t[16];
	struct roger_decide_app app;
	struct roger_decide_plan p;
	size_t n = tasks(t, ROGER_ARRAY_SIZE(t), c->tasks);

	memset(&app, 0, sizeof(app));
	app.instances = c->instances;
	app.min_health = c->min_health;
	app.max_over = c->max_over;
	app.oldest_first = c->oldest_first;
	app.restarting = c->restarting;
	roger_decide_reconcile(&p, n ? t : NULL, n, &app);
	ck_assert_msg(!strcmp(kills(t, n), c->kills), "%s: killed %s, not %s",
		      c->what, kills(t, n), c->kills);
	ck_assert_msg(p.start == c->start && p.missing == c->missing,
		      "%s: start %d and missing %d, not %d and %d", c->what,
		      p.start, p.missing, c->start, c->missing);
}
END_TEST

START_TEST(test_sched_victim)
{
	struct roger_decide_task t[8];
	size_t n = tasks(t, ROGER_ARRAY_SIZE(t), "R10o R30 U20 R30o D99o");

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

/* ---- deployments ------------------------------------------------------------- */

START_TEST(test_sched_action_kinds)
{
	ck_assert_int_eq(roger_decide_action_kind("StartApplication"),
			 ROGER_DECIDE_START);
	ck_assert_int_eq(roger_decide_action_kind("StopApplication"),
			 ROGER_DECIDE_STOP);
	ck_assert_int_eq(roger_decide_action_kind("RestartApplication"),
			 ROGER_DECIDE_RESTART);
	ck_assert_int_eq(roger_decide_action_kind("ScaleApplication"),
			 ROGER_DECIDE_SCALE);
	ck_assert_int_eq(roger_decide_action_kind(NULL), ROGER_DECIDE_SCALE);
}
END_TEST

/* When a deployment action is done, one case a row. */
static const struct action_case {
	const char *what;
	enum roger_decide_action kind;
	int app; /* 0: unknown, 1: live (2 instances), 2: deleted */
	const char *tasks;
	bool done;
} action_cases[] = {
	{ "a start, at once", ROGER_DECIDE_START, 0, "", true },
	{ "a stop, while a task is being killed", ROGER_DECIDE_STOP, 2, "K1",
	  false },
	{ "a stop, once every task ended", ROGER_DECIDE_STOP, 2, "D1", true },
	{ "a stop of an app not deleted", ROGER_DECIDE_STOP, 1, "K1", true },
	{ "a stop of an app that is gone", ROGER_DECIDE_STOP, 0, "", true },
	{ "a scale, the target alive and ready", ROGER_DECIDE_SCALE, 1, "R1 R2",
	  true },
	{ "a scale, one not ready", ROGER_DECIDE_SCALE, 1, "R1 U2", false },
	{ "a scale, one missing", ROGER_DECIDE_SCALE, 1, "R1", false },
	{ "a scale, an old one too many", ROGER_DECIDE_SCALE, 1, "R1o R2 R3",
	  false },
	{ "a scale of a deleted app", ROGER_DECIDE_SCALE, 2, "K1", true },
	{ "a restart, all new and ready", ROGER_DECIDE_RESTART, 1, "R1 R2",
	  true },
	{ "a restart, an old one alive", ROGER_DECIDE_RESTART, 1, "R1o R2 R3",
	  false },
	{ "a restart, the old one being killed", ROGER_DECIDE_RESTART, 1,
	  "K1o R2 R3", true },
	{ "a restart of an app that is gone", ROGER_DECIDE_RESTART, 0, "",
	  true },
};

START_TEST(test_sched_action_done)
{
	static const struct roger_decide_target apps[] = { { false, 0 },
							   { false, 2 },
							   { true, 0 } };
	const struct action_case *c = &action_cases[_i];
	struct roger_decide_task t[8];
	size_t n = tasks(t, ROGER_ARRAY_SIZE(t), c->tasks);

	ck_assert_msg(roger_decide_action_done(c->kind,
					       c->app ? &apps[c->app] : NULL,
					       n ? t : NULL, n) == c->done,
		      "%s: %s", c->what, c->done ? "not done" : "done");
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
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						"%sOK", sep);
		else
			len += (size_t)snprintf(
				out + len, sizeof(out) - len, "%s%c%d", sep,
				ev[i].type == ROGER_DECIDE_STEP_INFO ? 'I'
								     : 'S',
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
	ck_assert_uint_eq(roger_decide_fit(&used, &cpus, &cap),
			  ROGER_DECIDE_NO_CPUS);
	/* ten tasks of 0.1 cpus fill one cpu, despite rounding */
	cap.cpus = 1;
	for (int i = 0; i < 10; i++) {
		ck_assert_uint_eq(roger_decide_fit(&tenths, &tenth, &cap), 0);
		tenths.cpus += 0.1;
	}
	ck_assert_uint_eq(roger_decide_fit(&tenths, &tenth, &cap),
			  ROGER_DECIDE_NO_CPUS);
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
	unsigned fail = ROGER_DECIDE_END_FAILURE,
		 back = ROGER_DECIDE_END_BACKOFF;

	ck_assert_uint_eq(
		roger_decide_task_end(ROGER_TASK_FAILED, false, false),
		fail | back);
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_ERROR, false, false),
			  fail | back);
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_LOST, false, false),
			  fail | back);
	/* a task that finished on its own is relaunched after a delay */
	ck_assert_uint_eq(
		roger_decide_task_end(ROGER_TASK_FINISHED, false, false), back);
	/* killed by the scheduler (a scale, a restart): no delay */
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_KILLED, true, false),
			  0);
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_FAILED, true, false),
			  fail);
	/* killed for failing its health checks: the delay grows */
	ck_assert_uint_eq(roger_decide_task_end(ROGER_TASK_KILLED, true, true),
			  back);
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
	/* tried again soon, not an interval later: it does not count */
	ck_assert_int_eq(h.next_ms, 5000 + ROGER_DECIDE_HC_RETRY_MS);
	/* after the grace period it counts, and the first one says so */
	out = roger_decide_health(&h, 0, true, 11000, 1000, &p);
	ck_assert_uint_eq(out, ROGER_DECIDE_HC_FAILED | ROGER_DECIDE_HC_DOWN |
				       ROGER_DECIDE_HC_KILL);
	/* counted failures come at the interval again */
	ck_assert_int_eq(h.next_ms, 12000);
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
		ck_assert_uint_eq(
			roger_decide_health(&h, 0, true, 9000, 0, &p) &
				ROGER_DECIDE_HC_KILL,
			0);
	ck_assert_int_eq(h.consecutive_failures, 20);
}
END_TEST

START_TEST(test_sched_first_check)
{
	ck_assert_int_eq(roger_decide_first_check_ms("HTTP", -1),
			 ROGER_DECIDE_HC_RETRY_MS);
	ck_assert_int_eq(roger_decide_first_check_ms("MESOS_HTTP", -1), 15000);
	ck_assert_int_eq(roger_decide_first_check_ms("COMMAND", -1), 15000);
	ck_assert_int_eq(roger_decide_first_check_ms("COMMAND", 0), 0);
	ck_assert_int_eq(roger_decide_first_check_ms("COMMAND", 3), 3000);
	ck_assert_int_eq(roger_decide_first_check_ms("TCP", 30),
			 ROGER_DECIDE_HC_RETRY_MS);
	ck_assert_int_eq(roger_decide_first_check_ms(NULL, 30),
			 ROGER_DECIDE_HC_RETRY_MS);
}
END_TEST

static Suite *sched_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc;

	tc = tcase_create("reconcile");
	tcase_add_loop_test(tc, test_sched_reconcile, 0,
			    (int)ROGER_ARRAY_SIZE(reconcile_cases));
	tcase_add_test(tc, test_sched_victim);
	suite_add_tcase(s, tc);

	tc = tcase_create("deployments");
	tcase_add_test(tc, test_sched_action_kinds);
	tcase_add_loop_test(tc, test_sched_action_done, 0,
			    (int)ROGER_ARRAY_SIZE(action_cases));
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
