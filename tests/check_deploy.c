/*
 * check_deploy.c - the deploy watch: the machine fed canned sequences
 * (fixtures and hand-made JSON, no I/O), and the driver against a real
 * roger local running the test app and against tests/faultd.py.
 *
 * Hand-made JSON is written with single quotes (turned into double quotes
 * by J()) so that it reads well in C.  Versions are timestamps of one
 * imaginary morning: V0 < V1 < V2 < V3.
 */
#include <config.h>

#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/roger.h"
#include "tests/faultd.h"

#define V0 "2024-05-01T09:00:00.000Z"
#define V1 "2024-05-01T10:00:00.000Z"
#define V2 "2024-05-01T11:00:00.000Z"
#define V3 "2024-05-01T12:00:00.000Z"
#define T_MID "2024-05-01T11:30:00.000Z"
#define DEP "2e72dbf1-2b2a-4204-b628-e8bd160945dd"
#define OTHER "97c136bf-5a28-4821-9d94-480d9fbb01c8"
#define U "-68a7-11e7-a229-e6a514ca0c21"
/* 1.8+ task ids and their instances */
#define TASK(x) "web_hello.instance-" x U "._app.1"
#define INST(x) "web_hello.instance-" x U

/* ---- building observations ------------------------------------------------ */

/* printf, then ' -> " (the JSON needs no single quote of its own). */
static char *J(const char *fmt, ...)
{
	static char buf[16][16384];
	static int next;
	char *b = buf[next++ % 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	for (char *p = b; *p; p++)
		if (*p == '\'')
			*p = '"';
	return b;
}

/* A task of /web/hello as GET /v2/apps embeds it. */
static char *task(const char *id, const char *version, const char *state,
		  const char *health)
{
	bool staging = !strcmp(state, "TASK_STAGING");

	return J("{'id':'%s','appId':'/web/hello','host':'127.0.0.1','slaveId':'S0',"
		 "'state':'%s','stagedAt':'%s',%s%s%s'version':'%s',"
		 "'ports':[31000],'healthCheckResults':[%s]}",
		 id, state, version, staging ? "" : "'startedAt':'",
		 staging ? "" : version, staging ? "" : "',", version,
		 health ? health : "");
}

static const char *HEALTHY = "{'alive':true,'consecutiveFailures':0}";

static struct roger_marathon_app *app_of(const char *json)
{
	struct roger_marathon_app *app = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_marathon_app_parse(&app, json, strlen(json),
					       &err) == 0,
		      "bad test app: %s: %s", err.msg, json);
	return app;
}

/*
 * The app /web/hello: `version`, configuration `config`, `instances`,
 * health checks when `hc` (maxConsecutiveFailures 3), the tasks (a
 * comma-separated list of task()s) and an optional lastTaskFailure.
 */
static struct roger_marathon_app *app(const char *version, const char *config,
				      int instances, bool hc,
				      const char *tasks, const char *ltf)
{
	char *body = J("{'app':{'id':'/web/hello','version':'%s','versionInfo':"
		       "{'lastConfigChangeAt':'%s','lastScalingAt':'%s'},"
		       "'instances':%d,%s'tasks':[%s]%s%s}}",
		       version, config, version, instances,
		       hc ? "'healthChecks':[{'protocol':'HTTP','gracePeriodSeconds':1,"
			    "'intervalSeconds':1,'maxConsecutiveFailures':3}],"
			  : "",
		       tasks, ltf ? ",'lastTaskFailure':" : "", ltf ? ltf : "");

	return app_of(body);
}

static void see_app(struct roger_deploy *d, int64_t now,
		    struct roger_marathon_app *a)
{
	ck_assert_int_eq(roger_deploy_observe_app(d, now, a), 0);
	roger_marathon_app_free(a);
}

static void see_deployments(struct roger_deploy *d, int64_t now,
			    const char *json)
{
	struct roger_marathon_deployments *list = NULL;

	ck_assert_int_eq(roger_marathon_deployments_parse(&list, json,
							  strlen(json), NULL),
			 0);
	ck_assert_int_eq(roger_deploy_observe_deployments(d, now, list), 0);
	roger_marathon_deployments_free(list);
}

static const char *ours(void)
{
	return J("[{'id':'%s','version':'%s','affectedApps':['/web/hello'],"
		 "'steps':[{'actions':[{'action':'RestartApplication','app':'/web/hello'}]}],"
		 "'currentActions':[{'action':'RestartApplication','app':'/web/hello'}],"
		 "'currentStep':1,'totalSteps':1}]",
		 DEP, V2);
}

/* One event as the stream gives it; returns what observe_event said. */
static int see_event(struct roger_deploy *d, int64_t now, const char *json)
{
	struct roger_marathon_event *ev = NULL;
	int rc;

	ck_assert_int_eq(roger_marathon_event_parse(&ev, NULL, json,
						    strlen(json), NULL),
			 0);
	rc = roger_deploy_observe_event(d, now, ev);
	roger_marathon_event_free(ev);
	return rc;
}

static char *failed_event(const char *task_id, const char *version,
			  const char *status)
{
	return J("{'slaveId':'S0','taskId':'%s','taskStatus':'%s',"
		 "'message':'Command exited with status 3','appId':'/web/hello',"
		 "'host':'127.0.0.1','ports':[31000],'version':'%s',"
		 "'eventType':'status_update_event','timestamp':'%s'}",
		 task_id, status, version, T_MID);
}

static void see_queue(struct roger_deploy *d, int64_t now, const char *json)
{
	struct roger_marathon_queue *q = NULL;

	ck_assert_int_eq(roger_marathon_queue_parse(&q, json, strlen(json),
						    NULL),
			 0);
	ck_assert_int_eq(roger_deploy_observe_queue(d, now, q), 0);
	roger_marathon_queue_free(q);
}

/* A machine for /web/hello, deployment DEP at version V2. */
static struct roger_deploy *machine(int instances, unsigned flags,
				    int64_t timeout_ms, int64_t settle_ms)
{
	struct roger_deploy_goal g = { 0 };
	struct roger_deploy *d = NULL;

	g.app_id = "/web/hello";
	g.deployment_id = DEP;
	g.version = V2;
	g.instances = instances;
	g.flags = flags;
	g.start_ms = 1000;
	g.timeout_ms = timeout_ms;
	g.settle_ms = settle_ms;
	ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
	return d;
}

static const struct roger_deploy_progress *progress(const struct roger_deploy *d)
{
	return &roger_deploy_status(d)->progress;
}

static void assert_reason(const struct roger_deploy *d, const char *part)
{
	const char *r = roger_deploy_status(d)->reason;

	ck_assert_msg(strstr(r, part), "reason '%s' lacks '%s'", r, part);
	ck_assert_msg(!strchr(r, '\n'), "reason '%s' is not one line", r);
}

static char *text(const struct roger_deploy *d)
{
	static char out[512];
	struct roger_buf b = ROGER_BUF_INIT;

	ck_assert_int_eq(roger_deploy_progress_text(&b, roger_deploy_status(d)), 0);
	snprintf(out, sizeof(out), "%s", b.buf);
	roger_buf_release(&b);
	return out;
}

/* ---- the machine ----------------------------------------------------------- */

START_TEST(test_deploy_restart_with_health_checks_succeeds)
{
	struct roger_deploy *d = machine(2, 0, 0, -1);
	const struct roger_deploy_progress *p = progress(d);

	/* the restart begins: two old tasks, one new staging */
	see_deployments(d, 1100, ours());
	see_app(d, 1200, app(V2, V2, 2, true,
			     J("%s,%s,%s", task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", HEALTHY),
			       task(TASK("aaaaaaa2"), V1, "TASK_RUNNING", HEALTHY),
			       task(TASK("bbbbbbb1"), V2, "TASK_STAGING", NULL)),
			     NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(p->target, 2);
	ck_assert_int_eq(p->old, 2);
	ck_assert_int_eq(p->staging, 1);
	ck_assert_int_eq(p->running, 0);
	ck_assert(p->health_checks);
	ck_assert(p->deployment_active);
	ck_assert_int_eq(p->current_step, 1);
	ck_assert_int_eq(p->total_steps, 1);
	ck_assert_str_eq(text(d), "0/2 healthy, 1 staging, 2 old");
	/* both new ones run, one healthy; one old left */
	see_deployments(d, 5000, ours());
	see_app(d, 5100, app(V2, V2, 2, true,
			     J("%s,%s,%s", task(TASK("aaaaaaa2"), V1, "TASK_RUNNING", HEALTHY),
			       task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", HEALTHY),
			       task(TASK("bbbbbbb2"), V2, "TASK_RUNNING", NULL)),
			     NULL));
	ck_assert_int_eq(p->running, 2);
	ck_assert_int_eq(p->healthy, 1);
	ck_assert_int_eq(p->old, 1);
	ck_assert_str_eq(text(d), "1/2 healthy, 1 old");
	/* all healthy, but the deployment is still listed: not done */
	see_app(d, 6000, app(V2, V2, 2, true,
			     J("%s,%s", task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", HEALTHY),
			       task(TASK("bbbbbbb2"), V2, "TASK_RUNNING", HEALTHY)),
			     NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	/* gone, but the app was seen before that: still not done */
	see_deployments(d, 7000, "[]");
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert(!p->deployment_active);
	see_app(d, 7100, app(V2, V2, 2, true,
			     J("%s,%s", task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", HEALTHY),
			       task(TASK("bbbbbbb2"), V2, "TASK_RUNNING", HEALTHY)),
			     NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_NONE);
	ck_assert_str_eq(text(d), "2/2 healthy");
	/* decided: later observations change nothing */
	see_app(d, 8000, NULL);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	roger_deploy_free(d);
	roger_deploy_free(NULL);
}
END_TEST

START_TEST(test_deploy_scale_keeps_old_configuration_and_settles)
{
	/* a scale 2 -> 3: the app's version moves, its configuration not */
	struct roger_deploy *d = machine(3, 0, 0, 10000);
	const struct roger_deploy_progress *p = progress(d);
	const char *t1 = task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", NULL);
	const char *t2 = task(TASK("aaaaaaa2"), V1, "TASK_RUNNING", NULL);

	see_deployments(d, 1100, ours());
	see_app(d, 1200, app(V2, V1, 3, false,
			     J("%s,%s,%s", t1, t2, task(TASK("bbbbbbb1"), V2, "TASK_STAGING", NULL)),
			     NULL));
	ck_assert_int_eq(p->old, 0);
	ck_assert_int_eq(p->running, 2);
	ck_assert_int_eq(p->healthy, 2); /* started before: settled already */
	ck_assert_int_eq(p->staging, 1);
	ck_assert(!p->health_checks);
	ck_assert_str_eq(text(d), "2/3 running, 1 staging");
	see_deployments(d, 2000, "[]");
	see_app(d, 2100, app(V2, V1, 3, false,
			     J("%s,%s,%s", t1, t2, task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", NULL)),
			     NULL));
	/* the new task must run for 10 s from when it was first seen running */
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(p->settle_left_ms, 10000);
	ck_assert_str_eq(text(d), "3/3 running, settling 10 s");
	roger_deploy_tick(d, 9000);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(p->settle_left_ms, 3100);
	/* settling is not vanishing, however long it takes */
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_NONE);
	roger_deploy_tick(d, 12100);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	ck_assert_int_eq(p->elapsed_ms, 11100);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_scale_down_and_to_zero)
{
	struct roger_deploy *d = machine(1, 0, 0, 10000);
	const char *t1 = task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", NULL);
	const char *t2 = task(TASK("aaaaaaa2"), V1, "TASK_RUNNING", NULL);
	const char *t2k = task(TASK("aaaaaaa2"), V1, "TASK_KILLING", NULL);

	see_deployments(d, 1100, "[]");
	/* two running: one too many */
	see_app(d, 1200, app(V2, V1, 1, false, J("%s,%s", t1, t2), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	/* the surplus one being killed does not count */
	see_app(d, 1300, app(V2, V1, 1, false, J("%s,%s", t1, t2k), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	roger_deploy_free(d);

	d = machine(0, 0, 0, -1);
	see_deployments(d, 1100, ours());
	see_app(d, 1200, app(V2, V1, 0, false, t1, NULL));
	ck_assert_str_eq(text(d), "1/0 running");
	see_deployments(d, 1300, "[]");
	see_app(d, 1400, app(V2, V1, 0, false, "", NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_crash_loop_fails_after_three_distinct_tasks)
{
	struct roger_deploy *d = machine(1, 0, 0, -1);
	const struct roger_deploy_status *st = roger_deploy_status(d);
	const char *ltf = J("{'appId':'/web/hello','host':'h','message':'Command exited with status 3',"
			    "'state':'TASK_FAILED','taskId':'%s','timestamp':'%s','version':'%s','slaveId':'S0'}",
			    TASK("ccccccc1"), T_MID, V2);

	see_deployments(d, 1100, ours());
	see_app(d, 1200, app(V2, V2, 1, false,
			     task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", NULL), NULL));
	/* the same failure told three ways counts once */
	ck_assert_int_eq(see_event(d, 2000, failed_event(TASK("ccccccc1"), V2, "TASK_FAILED")), 1);
	ck_assert_int_eq(see_event(d, 2001, J("{'instanceId':'%s','condition':'Failed','runSpecId':'/web/hello',"
					      "'agentId':'S0','host':'h','runSpecVersion':'%s','timestamp':'%s',"
					      "'eventType':'instance_changed_event'}",
					      INST("ccccccc1"), V2, T_MID)),
			 1);
	see_app(d, 2100, app(V2, V2, 1, false,
			     task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", NULL), ltf));
	ck_assert_int_eq(progress(d)->failures, 1);
	ck_assert_uint_eq(roger_deploy_n_failures(d), 1);
	ck_assert_str_eq(roger_deploy_failure_at(d, 0)->task_id, TASK("ccccccc1"));
	ck_assert(roger_deploy_failure_at(d, 0)->counted);
	ck_assert_ptr_null(roger_deploy_failure_at(d, 1));
	ck_assert_str_eq(text(d), "0/1 running, 1 old, 1 failed");
	/* a kill is not a failure; a task of another app neither */
	see_event(d, 2200, failed_event(TASK("ccccccc9"), V2, "TASK_KILLED"));
	ck_assert_int_eq(see_event(d, 2300, J("{'taskId':'other.x','taskStatus':'TASK_FAILED','appId':'/other',"
					      "'version':'%s','eventType':'status_update_event'}", V2)),
			 0);
	ck_assert_int_eq(progress(d)->failures, 1);
	/* an instance event alone (1.8's only word for it) counts too */
	see_event(d, 3000, J("{'instanceId':'%s','condition':'Error','runSpecId':'/web/hello',"
			     "'runSpecVersion':'%s','eventType':'instance_changed_event'}",
			     INST("ccccccc2"), V2));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	see_event(d, 4000, failed_event(TASK("ccccccc3"), V2, "TASK_FINISHED"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(st->failure, ROGER_DEPLOY_FAIL_TASKS);
	ck_assert_str_eq(st->task_id, TASK("ccccccc3"));
	ck_assert_str_eq(st->task_state, "TASK_FINISHED");
	ck_assert_str_eq(st->task_message, "Command exited with status 3");
	assert_reason(d, "3 tasks of the new version failed");
	assert_reason(d, TASK("ccccccc3"));
	ck_assert(roger_deploy_failure_revertible(st->failure));
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_old_failures_do_not_count)
{
	struct roger_deploy *d = machine(1, 0, 0, -1);
	const char *old_ltf = J("{'appId':'/web/hello','message':'old','state':'TASK_FAILED',"
				"'taskId':'%s','timestamp':'%s','version':'%s'}",
				TASK("0000000a"), V1, V1);

	see_deployments(d, 1100, ours());
	see_app(d, 1200, app(V2, V2, 1, false, "", old_ltf));
	ck_assert_int_eq(progress(d)->failures, 0);
	ck_assert(!roger_deploy_failure_at(d, 0)->counted);
	/* tasks of the old version failing during the deployment: no */
	see_event(d, 1300, failed_event(TASK("0000000b"), V1, "TASK_FAILED"));
	see_event(d, 1400, failed_event(TASK("0000000c"), V1, "TASK_LOST"));
	see_event(d, 1500, failed_event(TASK("0000000d"), V1, "TASK_ERROR"));
	ck_assert_int_eq(progress(d)->failures, 0);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_free(d);

	/* without the deployment's version, what the first look finds is old */
	{
		struct roger_deploy_goal g = { "/web/hello", DEP, NULL, 1, 0, 1000, 0, -1, 0 };

		ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
		old_ltf = J("{'appId':'/web/hello','message':'old','state':'TASK_FAILED',"
			    "'taskId':'%s','timestamp':'%s','version':'%s'}",
			    TASK("0000000a"), V3, V2);
		see_app(d, 1200, app(V2, V2, 1, false, "", old_ltf));
		ck_assert_int_eq(progress(d)->failures, 0);
		see_event(d, 1300, failed_event(TASK("0000000b"), V2, "TASK_FAILED"));
		ck_assert_int_eq(progress(d)->failures, 1);
		roger_deploy_free(d);
	}
}
END_TEST

START_TEST(test_deploy_health_kill_event_fails_at_once)
{
	struct roger_deploy *d = machine(2, 0, 0, -1);
	const struct roger_deploy_status *st = roger_deploy_status(d);

	see_deployments(d, 1100, ours());
	see_app(d, 1200, app(V2, V2, 2, true,
			     task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", NULL), NULL));
	/* health results of other tasks and failed checks: only progress */
	ck_assert_int_eq(see_event(d, 1300, J("{'appId':'/web/hello','eventType':'failed_health_check_event',"
					      "'healthCheck':{},'taskId':'%s'}", INST("bbbbbbb1"))),
			 1);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	see_event(d, 2000, J("{'appId':'/web/hello','taskId':'%s','instanceId':'%s','version':'%s',"
			     "'reason':'HTTP status 503','host':'h','slaveId':'S0',"
			     "'eventType':'unhealthy_instance_kill_event','timestamp':'%s'}",
			     TASK("bbbbbbb1"), INST("bbbbbbb1"), V2, T_MID));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(st->failure, ROGER_DEPLOY_FAIL_HEALTH);
	ck_assert_str_eq(st->task_id, TASK("bbbbbbb1"));
	ck_assert_str_eq(st->task_state, "unhealthy");
	assert_reason(d, "killed for failing its health checks: HTTP status 503");
	roger_deploy_free(d);

	/* the kill of an old task is not ours to judge */
	d = machine(2, 0, 0, -1);
	see_event(d, 2000, J("{'appId':'/web/hello','taskId':'%s','version':'%s',"
			     "'eventType':'unhealthy_instance_kill_event'}", TASK("aaaaaaa1"), V1));
	see_app(d, 2100, app(V2, V2, 2, true, "", NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_health_failures_seen_by_polling)
{
	struct roger_deploy *d = machine(1, 0, 0, -1);
	const char *sick1 = "{'alive':false,'consecutiveFailures':1,'lastFailureCause':'HTTP status 503'}";
	const char *sick3 = "{'alive':false,'consecutiveFailures':3,'lastFailureCause':'HTTP status 503'}";

	/* as many failures in a row as the check allows */
	see_app(d, 1200, app(V2, V2, 1, true,
			     task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", sick3), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_HEALTH);
	assert_reason(d, "HTTP status 503");
	roger_deploy_free(d);

	/* seen failing, then gone: it was killed */
	d = machine(1, 0, 0, -1);
	see_app(d, 1200, app(V2, V2, 1, true,
			     task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", sick1), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(progress(d)->unhealthy, 1);
	ck_assert_str_eq(text(d), "0/1 healthy, 1 unhealthy");
	see_app(d, 3200, app(V2, V2, 1, true,
			     task(TASK("bbbbbbb2"), V2, "TASK_STAGING", NULL), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_HEALTH);
	ck_assert_str_eq(roger_deploy_status(d)->task_id, TASK("bbbbbbb1"));
	roger_deploy_free(d);

	/* an old task that goes after failing checks: replaced, fine */
	d = machine(1, 0, 0, -1);
	see_app(d, 1200, app(V2, V2, 1, true,
			     task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", sick1), NULL));
	see_app(d, 3200, app(V2, V2, 1, true, "", NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_backoff_past_the_timeout)
{
	struct roger_deploy *d = machine(1, 0, 30000, -1);
	const char *q = "{'queue':[{'app':{'id':'/web/hello','version':'" V2 "'},'count':1,"
			"'delay':{'timeLeftSeconds':%d,'overdue':%s},'since':'" V2 "'}]}";

	see_deployments(d, 1100, ours());
	see_app(d, 1200, app(V2, V2, 1, false, "", NULL));
	see_event(d, 1300, failed_event(TASK("ccccccc1"), V2, "TASK_FAILED"));
	/* a short delay: wait, and say so */
	see_queue(d, 1400, J(q, 5, "false"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(progress(d)->delay_seconds, 5);
	ck_assert_str_eq(text(d), "0/1 running, 1 failed, launch delayed 5 s");
	/* overdue: no delay */
	see_queue(d, 1500, J(q, 0, "true"));
	ck_assert_int_eq(progress(d)->delay_seconds, 0);
	/* another app's delay: not ours */
	see_queue(d, 1600, J("{'queue':[{'app':{'id':'/other'},'delay':{'timeLeftSeconds':900,'overdue':false}}]}"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	/* 40 s to wait, 29 s left */
	see_queue(d, 2000, J(q, 40, "false"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_BACKOFF);
	ck_assert_str_eq(roger_deploy_status(d)->task_id, TASK("ccccccc1"));
	assert_reason(d, "waits 40 s");
	assert_reason(d, "29 s left");
	roger_deploy_free(d);

	/* no timeout: a backoff is only waited for */
	d = machine(1, 0, 0, -1);
	see_queue(d, 2000, J(q, 3000, "false"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_timeout)
{
	struct roger_deploy *d = machine(2, 0, 5000, -1);

	see_deployments(d, 1100, ours());
	see_app(d, 1200, app(V2, V2, 2, true,
			     J("%s,%s", task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", HEALTHY),
			       task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", HEALTHY)),
			     NULL));
	roger_deploy_tick(d, 5999);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_tick(d, 6000);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_TIMED_OUT);
	assert_reason(d, "timed out after 5 s waiting for the deployment of app '/web/hello': 1/2 healthy, 1 old");
	ck_assert_str_eq(roger_deploy_state_name(roger_deploy_state(d)), "timed_out");
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_deployment_failed_is_filtered_by_id)
{
	struct roger_deploy *d = machine(1, 0, 0, -1);
	const char *failed = "{'id':'%s','plan':{'id':'%s','steps':[]},'eventType':'deployment_failed',"
			     "'timestamp':'" T_MID "','reason':'The upgrade has been cancelled'}";

	see_deployments(d, 1100, ours());
	/* a 409 still publishes deployment_failed for the plan that never ran */
	ck_assert_int_eq(see_event(d, 1200, J(failed, OTHER, OTHER)), 0);
	ck_assert_int_eq(see_event(d, 1300, J("{'plan':{'id':'%s'},'eventType':'deployment_info'}", OTHER)), 0);
	ck_assert_int_eq(see_event(d, 1301, J("{'plan':{'id':'%s'},'eventType':'deployment_step_success'}", DEP)), 1);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(see_event(d, 1400, J(failed, DEP, DEP)), 1);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_CANCELLED);
	assert_reason(d, "deployment '" DEP "' failed: The upgrade has been cancelled");
	ck_assert(!roger_deploy_failure_revertible(ROGER_DEPLOY_FAIL_CANCELLED));
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_vanished_deployment)
{
	struct roger_deploy *d = machine(2, 0, 0, -1);
	const char *half = J("%s,%s", task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", HEALTHY),
			     task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", HEALTHY));

	/* someone else's deployment replaced ours */
	see_deployments(d, 1100, ours());
	see_deployments(d, 2000, "[]");
	see_app(d, 2100, app(V3, V3, 2, true, half, NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_VANISHED);
	assert_reason(d, "the app now has version '" V3 "'");
	roger_deploy_free(d);

	/* aborted (no new version): after a grace period */
	d = machine(2, 0, 0, -1);
	see_deployments(d, 1100, "[]");
	see_app(d, 1200, app(V2, V2, 2, true, half, NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_tick(d, 1100 + ROGER_DEPLOY_VANISH_GRACE_MS - 1);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_tick(d, 1100 + ROGER_DEPLOY_VANISH_GRACE_MS);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_VANISHED);
	assert_reason(d, "ended before the new version was up (cancelled?): 1/2 healthy, 1 old");
	roger_deploy_free(d);

	/* the app deleted under us */
	d = machine(2, 0, 0, -1);
	see_app(d, 1200, NULL);
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_APP_GONE);
	assert_reason(d, "app '/web/hello' was deleted");
	ck_assert_str_eq(text(d), "app removed, its tasks stopping");
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_crash_after_the_deployment_fails_the_settle)
{
	struct roger_deploy *d = machine(1, 0, 0, 10000);
	const char *t = task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", NULL);

	see_deployments(d, 1100, ours());
	/* before the end: one crash is one of three */
	see_event(d, 1150, failed_event(TASK("bbbbbbb0"), V2, "TASK_FAILED"));
	see_app(d, 1200, app(V2, V2, 1, false, t, NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	/* Marathon calls it done as soon as the task runs */
	ck_assert_int_eq(see_event(d, 1300, J("{'id':'%s','plan':{'id':'%s'},'eventType':'deployment_success'}",
					      DEP, DEP)),
			 1);
	see_app(d, 1400, app(V2, V2, 1, false, t, NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	/* a crash of a task of the other app, then of ours */
	see_event(d, 3000, failed_event(TASK("bbbbbbb1"), V2, "TASK_FAILED"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_SETTLE);
	ck_assert_str_eq(roger_deploy_status(d)->task_id, TASK("bbbbbbb1"));
	assert_reason(d, "within the 10 s it had to keep running");
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_remove)
{
	struct roger_deploy *d = machine(0, ROGER_DEPLOY_REMOVE, 0, -1);

	see_deployments(d, 1100, ours());
	see_app(d, 1200, NULL);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_str_eq(text(d), "app removed, its tasks stopping");
	see_deployments(d, 2000, "[]");
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	ck_assert_str_eq(text(d), "app removed");
	roger_deploy_free(d);

	/* the app still there after the deployment: wait (then time out) */
	d = machine(0, ROGER_DEPLOY_REMOVE, 3000, -1);
	see_deployments(d, 1100, "[]");
	see_app(d, 1200, app(V2, V2, 1, false, task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", NULL), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_tick(d, 4000);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_TIMED_OUT);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_any_version_for_a_revert)
{
	/* a rollback: the revert keeps the old tasks of an older config */
	struct roger_deploy *d = machine(-1, ROGER_DEPLOY_ANY_VERSION, 0, 10000);

	see_deployments(d, 1100, "[]");
	see_app(d, 1200, app(V2, V2, 2, false,
			     J("%s,%s", task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", NULL),
			       task(TASK("aaaaaaa2"), V1, "TASK_RUNNING", NULL)),
			     NULL));
	ck_assert_int_eq(progress(d)->target, 2);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	roger_deploy_free(d);
}
END_TEST

/* Feed the bytes of an SSE fixture to the machine through the push parser. */
static int feed_event(void *data, const char *type, const char *json,
		      size_t len, struct roger_err *err)
{
	struct roger_deploy *d = data;
	struct roger_marathon_event *ev = NULL;

	ck_assert_int_eq(roger_marathon_event_parse(&ev, type, json, len, err), 0);
	ck_assert_int_ge(roger_deploy_observe_event(d, 2000, ev), 0);
	roger_marathon_event_free(ev);
	return 0;
}

static void feed_fixture(struct roger_deploy *d, const char *name)
{
	char path[1024];
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_marathon_sse sse;
	const char *src = getenv("TEST_SRCDIR");

	snprintf(path, sizeof(path), "%s/fixtures/%s", src && *src ? src : "tests", name);
	ck_assert_int_eq(roger_fs_read_file(&b, path, NULL), 0);
	roger_marathon_sse_init(&sse);
	/* in small pieces, as a slow stream would give them */
	for (size_t i = 0; i < b.len; i += 7)
		ck_assert_int_eq(roger_marathon_sse_feed(&sse, b.buf + i,
							 b.len - i < 7 ? b.len - i : 7,
							 feed_event, d, NULL),
				 0);
	roger_marathon_sse_release(&sse);
	roger_buf_release(&b);
}

START_TEST(test_deploy_recorded_event_stream)
{
	struct roger_deploy_goal g = { "/product/web", "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43",
				       "2021-03-04T10:11:12.345Z", 1, 0, 1000, 0, -1, 0 };
	struct roger_deploy *d = NULL;
	const char *a = "{'app':{'id':'/product/web','version':'2021-03-04T10:11:12.345Z',"
			"'instances':1,'healthChecks':[{}],'tasks':[{'id':"
			"'product_web.instance-01da9a15-68a7-11e7-a229-e6a514ca0c21._app.1',"
			"'state':'TASK_RUNNING','version':'2021-03-04T10:11:12.345Z',"
			"'startedAt':'2021-03-04T10:11:20.000Z','healthCheckResults':[{'alive':true}]}]}}";

	/* a new app: the deployment succeeds; another one fails (ignored) */
	ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
	feed_fixture(d, "marathon-events.sse");
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert(!progress(d)->deployment_active);
	ck_assert_uint_eq(roger_deploy_n_failures(d), 0);
	see_app(d, 2100, app_of(J("%s", a)));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	roger_deploy_free(d);

	/* /foo's fetch failure is a failure of its new version */
	g.app_id = "/foo";
	g.deployment_id = DEP;
	g.version = "2015-09-30T09:00:00.000Z";
	ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
	feed_fixture(d, "marathon-events.sse");
	ck_assert_int_eq(progress(d)->failures, 1);
	ck_assert_ptr_nonnull(strstr(roger_deploy_failure_at(d, 0)->message,
				     "Failed to fetch all URIs"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_free(d);

	/* the recorded list holds /foo's deployment, whose end the stream tells */
	g.deployment_id = "97c136bf-5a28-4821-9d94-480d9fbb01c8";
	ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
	{
		struct roger_buf b = ROGER_BUF_INIT;
		struct roger_marathon_deployments *list = NULL;
		char path[1024];
		const char *src = getenv("TEST_SRCDIR");

		snprintf(path, sizeof(path), "%s/fixtures/marathon-deployments.json",
			 src && *src ? src : "tests");
		ck_assert_int_eq(roger_fs_read_file(&b, path, NULL), 0);
		ck_assert_int_eq(roger_marathon_deployments_parse(&list, b.buf, b.len, NULL), 0);
		ck_assert_int_eq(roger_deploy_observe_deployments(d, 2200, list), 0);
		ck_assert(progress(d)->deployment_active);
		ck_assert_int_eq(progress(d)->current_step, 1);
		roger_marathon_deployments_free(list);
		roger_buf_release(&b);
	}
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	feed_fixture(d, "marathon-events.sse");
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure, ROGER_DEPLOY_FAIL_CANCELLED);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_recorded_app_shapes)
{
	/* 1.5 (three healthy tasks) and 1.4 (tasks without a state) */
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_marathon_app *a = NULL;
	struct roger_marathon_apps *apps = NULL;
	struct roger_deploy_goal g = { "/nginx-green", NULL, NULL, -1, 0, 1000, 0, -1, 0 };
	struct roger_deploy *d = NULL;
	char path[1024];
	const char *src = getenv("TEST_SRCDIR");

	snprintf(path, sizeof(path), "%s/fixtures/marathon-get-app.json", src && *src ? src : "tests");
	ck_assert_int_eq(roger_fs_read_file(&b, path, NULL), 0);
	ck_assert_int_eq(roger_marathon_app_parse(&a, b.buf, b.len, NULL), 0);
	ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
	see_app(d, 1200, a);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	ck_assert_str_eq(text(d), "3/3 healthy");
	roger_deploy_free(d);
	roger_buf_release(&b);

	snprintf(path, sizeof(path), "%s/fixtures/marathon-get-apps-legacy-0.15.json", src && *src ? src : "tests");
	ck_assert_int_eq(roger_fs_read_file(&b, path, NULL), 0);
	ck_assert_int_eq(roger_marathon_apps_parse(&apps, b.buf, b.len, NULL), 0);
	g.app_id = "/nginx-blue";
	ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
	ck_assert_int_eq(roger_deploy_observe_app(d, 1200, &apps->items[0]), 0);
	/* no "state": started means running; its result is healthy */
	ck_assert_int_eq(progress(d)->running, 1);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	roger_deploy_free(d);
	roger_marathon_apps_free(apps);
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_deploy_status_json)
{
	struct roger_deploy *d = machine(1, 0, 0, -1);
	json_t *j;
	char *s;

	see_deployments(d, 1100, ours());
	see_app(d, 1200, app(V2, V2, 1, true, "", NULL));
	see_event(d, 2000, J("{'appId':'/web/hello','taskId':'%s','version':'%s','reason':'HTTP status 503',"
			     "'eventType':'unhealthy_instance_kill_event'}", TASK("bbbbbbb1"), V2));
	j = roger_deploy_status_json(roger_deploy_status(d));
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "failed");
	ck_assert_str_eq(json_string_value(json_object_get(j, "app")), "/web/hello");
	ck_assert_str_eq(json_string_value(json_object_get(j, "deployment")), DEP);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "target")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "failures")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "failed_task"), "id")),
			 TASK("bbbbbbb1"));
	s = json_dumps(json_object_get(j, "reason"), JSON_ENCODE_ANY);
	ck_assert_ptr_nonnull(strstr(s, "health checks"));
	free(s);
	json_decref(j);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_default_timeout)
{
	struct roger_marathon_app *a;

	/* no health checks: 60 + 1 x 60 + the settle period */
	a = app_of(J("{'id':'/a','instances':1}"));
	ck_assert_int_eq(roger_deploy_default_timeout_ms(a, -1, 10000), 130000);
	/* with health checks the settle period does not apply */
	roger_marathon_app_free(a);
	a = app_of(J("{'id':'/a','instances':4,'healthChecks':[{}]}"));
	ck_assert_int_eq(roger_deploy_default_timeout_ms(a, -1, 10000), 620000);
	roger_marathon_app_free(a);
	/* the largest check wins; half the instances at a time: 2 waves */
	a = app_of(J("{'id':'/a','instances':4,'upgradeStrategy':{'minimumHealthCapacity':0.5,'maximumOverCapacity':0},"
		     "'healthChecks':[{'gracePeriodSeconds':5,'intervalSeconds':2,'maxConsecutiveFailures':3,'timeoutSeconds':1},"
		     "{'gracePeriodSeconds':30,'intervalSeconds':10,'maxConsecutiveFailures':2,'timeoutSeconds':5}]}"));
	ck_assert_int_eq(roger_deploy_default_timeout_ms(a, -1, 0), (60 + 2 * (60 + 55)) * 1000);
	/* one at a time (no capacity to spare): a wave per instance */
	roger_marathon_app_free(a);
	a = app_of(J("{'id':'/a','instances':3,'upgradeStrategy':{'minimumHealthCapacity':1,'maximumOverCapacity':0}}"));
	ck_assert_int_eq(roger_deploy_default_timeout_ms(a, -1, 0), (60 + 3 * 60) * 1000);
	/* the target count given: a scale to 6 of the recorded app */
	ck_assert_int_eq(roger_deploy_default_timeout_ms(a, 6, 0), (60 + 6 * 60) * 1000);
	ck_assert_int_eq(roger_deploy_default_timeout_ms(a, 0, 0), (60 + 60) * 1000);
	roger_marathon_app_free(a);
}
END_TEST

START_TEST(test_deploy_goal_checked)
{
	struct roger_deploy_goal g = { 0 };
	struct roger_deploy *d = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_deploy_new(&d, &g, &err), ROGER_EINVALID);
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err.msg, "no app id to watch");
	/* no deployment to wait for: judged on the app alone */
	g.app_id = "/web/hello";
	g.instances = 1;
	ck_assert_int_eq(roger_deploy_new(&d, &g, &err), 0);
	ck_assert(!progress(d)->deployment_active);
	see_app(d, 100, app(V2, V2, 1, false, task(TASK("aaaaaaa1"), V2, "TASK_RUNNING", NULL), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	roger_deploy_free(d);
}
END_TEST

/* ---- main ------------------------------------------------------------------ */

static Suite *deploy_suite(void)
{
	Suite *s = suite_create("deploy");
	TCase *tc = tcase_create("machine");

	tcase_add_test(tc, test_deploy_restart_with_health_checks_succeeds);
	tcase_add_test(tc, test_deploy_scale_keeps_old_configuration_and_settles);
	tcase_add_test(tc, test_deploy_scale_down_and_to_zero);
	tcase_add_test(tc, test_deploy_crash_loop_fails_after_three_distinct_tasks);
	tcase_add_test(tc, test_deploy_old_failures_do_not_count);
	tcase_add_test(tc, test_deploy_health_kill_event_fails_at_once);
	tcase_add_test(tc, test_deploy_health_failures_seen_by_polling);
	tcase_add_test(tc, test_deploy_backoff_past_the_timeout);
	tcase_add_test(tc, test_deploy_timeout);
	tcase_add_test(tc, test_deploy_deployment_failed_is_filtered_by_id);
	tcase_add_test(tc, test_deploy_vanished_deployment);
	tcase_add_test(tc, test_deploy_crash_after_the_deployment_fails_the_settle);
	tcase_add_test(tc, test_deploy_remove);
	tcase_add_test(tc, test_deploy_any_version_for_a_revert);
	tcase_add_test(tc, test_deploy_recorded_event_stream);
	tcase_add_test(tc, test_deploy_recorded_app_shapes);
	tcase_add_test(tc, test_deploy_status_json);
	tcase_add_test(tc, test_deploy_default_timeout);
	tcase_add_test(tc, test_deploy_goal_checked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	faultd_tmp_init();
	sr = srunner_create(deploy_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	faultd_tmp_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
