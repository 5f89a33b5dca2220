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
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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
static char *J(const char *fmt, ...) ROGER_PRINTF(1, 2);

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

	return J(
		"{'id':'%s','appId':'/web/hello','host':'127.0.0.1','slaveId':'S0',"
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

	ck_assert_msg(
		roger_marathon_app_parse(&app, json, strlen(json), &err) == 0,
		"bad test app: %s: %s", err.msg, json);
	return app;
}

/*
 * The app /web/hello: `version`, configuration `config`, `instances`,
 * health checks when `hc` (maxConsecutiveFailures 3), the tasks (a
 * comma-separated list of task()s) and an optional lastTaskFailure.
 */
static struct roger_marathon_app *app(const char *version, const char *config,
				      int instances, bool hc, const char *tasks,
				      const char *ltf)
{
	char *body = J(
		"{'app':{'id':'/web/hello','version':'%s','versionInfo':"
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
	return J(
		"[{'id':'%s','version':'%s','affectedApps':['/web/hello'],"
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

	ck_assert_int_eq(
		roger_marathon_event_parse(&ev, NULL, json, strlen(json), NULL),
		0);
	rc = roger_deploy_observe_event(d, now, ev);
	roger_marathon_event_free(ev);
	return rc;
}

static char *failed_event(const char *task_id, const char *version,
			  const char *status)
{
	return J(
		"{'slaveId':'S0','taskId':'%s','taskStatus':'%s',"
		"'message':'Command exited with status 3','appId':'/web/hello',"
		"'host':'127.0.0.1','ports':[31000],'version':'%s',"
		"'eventType':'status_update_event','timestamp':'%s'}",
		task_id, status, version, T_MID);
}

static void see_queue(struct roger_deploy *d, int64_t now, const char *json)
{
	struct roger_marathon_queue *q = NULL;

	ck_assert_int_eq(
		roger_marathon_queue_parse(&q, json, strlen(json), NULL), 0);
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

static const struct roger_deploy_progress *
progress(const struct roger_deploy *d)
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

	ck_assert_int_eq(roger_deploy_progress_text(&b, roger_deploy_status(d)),
			 0);
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
	see_app(d, 1200,
		app(V2, V2, 2, true,
		    J("%s,%s,%s",
		      task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", HEALTHY),
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
	see_app(d, 5100,
		app(V2, V2, 2, true,
		    J("%s,%s,%s",
		      task(TASK("aaaaaaa2"), V1, "TASK_RUNNING", HEALTHY),
		      task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", HEALTHY),
		      task(TASK("bbbbbbb2"), V2, "TASK_RUNNING", NULL)),
		    NULL));
	ck_assert_int_eq(p->running, 2);
	ck_assert_int_eq(p->healthy, 1);
	ck_assert_int_eq(p->old, 1);
	ck_assert_str_eq(text(d), "1/2 healthy, 1 old");
	/* all healthy, but the deployment is still listed: not done */
	see_app(d, 6000,
		app(V2, V2, 2, true,
		    J("%s,%s",
		      task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", HEALTHY),
		      task(TASK("bbbbbbb2"), V2, "TASK_RUNNING", HEALTHY)),
		    NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	/* gone, but the app was seen before that: still not done */
	see_deployments(d, 7000, "[]");
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert(!p->deployment_active);
	see_app(d, 7100,
		app(V2, V2, 2, true,
		    J("%s,%s",
		      task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", HEALTHY),
		      task(TASK("bbbbbbb2"), V2, "TASK_RUNNING", HEALTHY)),
		    NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_NONE);
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
	see_app(d, 1200,
		app(V2, V1, 3, false,
		    J("%s,%s,%s", t1, t2,
		      task(TASK("bbbbbbb1"), V2, "TASK_STAGING", NULL)),
		    NULL));
	ck_assert_int_eq(p->old, 0);
	ck_assert_int_eq(p->running, 2);
	ck_assert_int_eq(p->healthy, 2); /* started before: settled already */
	ck_assert_int_eq(p->staging, 1);
	ck_assert(!p->health_checks);
	ck_assert_str_eq(text(d), "2/3 running, 1 staging");
	see_deployments(d, 2000, "[]");
	see_app(d, 2100,
		app(V2, V1, 3, false,
		    J("%s,%s,%s", t1, t2,
		      task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", NULL)),
		    NULL));
	/* the new task must run for 10 s from when it was first seen running */
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(p->settle_left_ms, 10000);
	ck_assert_str_eq(text(d), "3/3 running, settling 10 s");
	roger_deploy_tick(d, 9000);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(p->settle_left_ms, 3100);
	/* settling is not vanishing, however long it takes */
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_NONE);
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
	/* the surplus one being killed: done once it is gone */
	see_app(d, 1300, app(V2, V1, 1, false, J("%s,%s", t1, t2k), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_str_eq(text(d), "1/1 running, 1 stopping");
	see_app(d, 1400, app(V2, V1, 1, false, t1, NULL));
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
	const char *ltf = J(
		"{'appId':'/web/hello','host':'h','message':'Command exited with status 3',"
		"'state':'TASK_FAILED','taskId':'%s','timestamp':'%s','version':'%s','slaveId':'S0'}",
		TASK("ccccccc1"), T_MID, V2);

	see_deployments(d, 1100, ours());
	see_app(d, 1200,
		app(V2, V2, 1, false,
		    task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", NULL), NULL));
	/* the same failure told three ways counts once */
	ck_assert_int_eq(
		see_event(d, 2000,
			  failed_event(TASK("ccccccc1"), V2, "TASK_FAILED")),
		1);
	ck_assert_int_eq(
		see_event(
			d, 2001,
			J("{'instanceId':'%s','condition':'Failed','runSpecId':'/web/hello',"
			  "'agentId':'S0','host':'h','runSpecVersion':'%s','timestamp':'%s',"
			  "'eventType':'instance_changed_event'}",
			  INST("ccccccc1"), V2, T_MID)),
		1);
	see_app(d, 2100,
		app(V2, V2, 1, false,
		    task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", NULL), ltf));
	ck_assert_int_eq(progress(d)->failures, 1);
	ck_assert_uint_eq(roger_deploy_n_failures(d), 1);
	ck_assert_str_eq(roger_deploy_failure_at(d, 0)->task_id,
			 TASK("ccccccc1"));
	ck_assert(roger_deploy_failure_at(d, 0)->counted);
	ck_assert_ptr_null(roger_deploy_failure_at(d, 1));
	ck_assert_str_eq(text(d), "0/1 running, 1 old, 1 failed");
	/* a kill is not a failure; a task of another app neither */
	see_event(d, 2200, failed_event(TASK("ccccccc9"), V2, "TASK_KILLED"));
	ck_assert_int_eq(
		see_event(
			d, 2300,
			J("{'taskId':'other.x','taskStatus':'TASK_FAILED','appId':'/other',"
			  "'version':'%s','eventType':'status_update_event'}",
			  V2)),
		0);
	ck_assert_int_eq(progress(d)->failures, 1);
	/* an instance event alone (1.8's only word for it) counts too */
	see_event(
		d, 3000,
		J("{'instanceId':'%s','condition':'Error','runSpecId':'/web/hello',"
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

/* lastTaskFailure: state, task id, timestamp, version */
#define LAST_FAILURE                                             \
	"{'appId':'/web/hello','message':'exit 3','state':'%s'," \
	"'taskId':'%s','timestamp':'%s','version':'%s'}"

START_TEST(test_deploy_polling_alone_counts_each_last_failure_once)
{
	struct roger_deploy *d = machine(1, 0, 0, -1);

	see_deployments(d, 1100, ours());
	/* each poll sees the latest failure; the same one again counts once */
	for (int i = 0; i < 2; i++)
		see_app(d, 1200 + i,
			app(V2, V2, 1, false, "",
			    J(LAST_FAILURE, "TASK_FAILED", TASK("ccccccc1"),
			      T_MID, V2)));
	ck_assert_int_eq(progress(d)->failures, 1);
	/* a kill recorded as the last failure is not one */
	see_app(d, 1300,
		app(V2, V2, 1, false, "",
		    J(LAST_FAILURE, "TASK_KILLED", TASK("ccccccc2"), T_MID,
		      V2)));
	ck_assert_int_eq(progress(d)->failures, 1);
	see_app(d, 1400,
		app(V2, V2, 1, false, "",
		    J(LAST_FAILURE, "TASK_ERROR", TASK("ccccccc3"), T_MID,
		      V2)));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	see_app(d, 1500,
		app(V2, V2, 1, false, "",
		    J(LAST_FAILURE, "TASK_LOST", TASK("ccccccc4"), T_MID, V2)));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_TASKS);
	ck_assert_str_eq(roger_deploy_status(d)->task_id, TASK("ccccccc4"));
	ck_assert_str_eq(roger_deploy_status(d)->task_state, "TASK_LOST");
	roger_deploy_free(d);

	/* a limit of one: the first failure is enough */
	{
		struct roger_deploy_goal g = { "/web/hello", DEP, V2, 1, 0,
					       1000,         0,   -1, 1 };

		ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
		see_event(d, 1200,
			  failed_event(TASK("ccccccc1"), V2, "TASK_FAILED"));
		ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
		assert_reason(
			d, "1 task of the new version failed; the last, task");
		roger_deploy_free(d);
	}
}
END_TEST

START_TEST(test_deploy_old_failures_do_not_count)
{
	struct roger_deploy *d = machine(1, 0, 0, -1);
	const char *old_ltf =
		J("{'appId':'/web/hello','message':'old','state':'TASK_FAILED',"
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
		struct roger_deploy_goal g = { "/web/hello", DEP, NULL, 1, 0,
					       1000,         0,   -1,   0 };

		ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
		old_ltf = J(
			"{'appId':'/web/hello','message':'old','state':'TASK_FAILED',"
			"'taskId':'%s','timestamp':'%s','version':'%s'}",
			TASK("0000000a"), V3, V2);
		see_app(d, 1200, app(V2, V2, 1, false, "", old_ltf));
		ck_assert_int_eq(progress(d)->failures, 0);
		see_event(d, 1300,
			  failed_event(TASK("0000000b"), V2, "TASK_FAILED"));
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
	see_app(d, 1200,
		app(V2, V2, 2, true,
		    task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", NULL), NULL));
	/* health results of other tasks and failed checks: only progress */
	ck_assert_int_eq(
		see_event(
			d, 1300,
			J("{'appId':'/web/hello','eventType':'failed_health_check_event',"
			  "'healthCheck':{},'taskId':'%s'}",
			  INST("bbbbbbb1"))),
		1);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	see_event(
		d, 2000,
		J("{'appId':'/web/hello','taskId':'%s','instanceId':'%s','version':'%s',"
		  "'reason':'HTTP status 503','host':'h','slaveId':'S0',"
		  "'eventType':'unhealthy_instance_kill_event','timestamp':'%s'}",
		  TASK("bbbbbbb1"), INST("bbbbbbb1"), V2, T_MID));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(st->failure, ROGER_DEPLOY_FAIL_HEALTH);
	ck_assert_str_eq(st->task_id, TASK("bbbbbbb1"));
	ck_assert_str_eq(st->task_state, "unhealthy");
	assert_reason(d,
		      "killed for failing its health checks: HTTP status 503");
	roger_deploy_free(d);

	/* the kill of an old task is not ours to judge */
	d = machine(2, 0, 0, -1);
	see_event(d, 2000,
		  J("{'appId':'/web/hello','taskId':'%s','version':'%s',"
		    "'eventType':'unhealthy_instance_kill_event'}",
		    TASK("aaaaaaa1"), V1));
	see_app(d, 2100, app(V2, V2, 2, true, "", NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_health_failures_seen_by_polling)
{
	struct roger_deploy *d = machine(1, 0, 0, -1);
	const char *sick1 =
		"{'alive':false,'consecutiveFailures':1,'lastFailureCause':'HTTP status 503'}";
	const char *sick3 =
		"{'alive':false,'consecutiveFailures':3,'lastFailureCause':'HTTP status 503'}";

	/* as many failures in a row as the check allows */
	see_app(d, 1200,
		app(V2, V2, 1, true,
		    task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", sick3), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_HEALTH);
	assert_reason(d, "HTTP status 503");
	roger_deploy_free(d);

	/* seen failing, then gone: it was killed */
	d = machine(1, 0, 0, -1);
	see_app(d, 1200,
		app(V2, V2, 1, true,
		    task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", sick1), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(progress(d)->unhealthy, 1);
	ck_assert_str_eq(text(d), "0/1 healthy, 1 unhealthy");
	see_app(d, 3200,
		app(V2, V2, 1, true,
		    task(TASK("bbbbbbb2"), V2, "TASK_STAGING", NULL), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_HEALTH);
	ck_assert_str_eq(roger_deploy_status(d)->task_id, TASK("bbbbbbb1"));
	roger_deploy_free(d);

	/* an old task that goes after failing checks: replaced, fine */
	d = machine(1, 0, 0, -1);
	see_app(d, 1200,
		app(V2, V2, 1, true,
		    task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", sick1), NULL));
	see_app(d, 3200, app(V2, V2, 1, true, "", NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_free(d);
}
END_TEST

/* the launch queue: seconds left, overdue */
#define QUEUE                                                                \
	"{'queue':[{'app':{'id':'/web/hello','version':'" V2 "'},'count':1," \
	"'delay':{'timeLeftSeconds':%d,'overdue':%s},'since':'" V2 "'}]}"

START_TEST(test_deploy_backoff_past_the_timeout)
{
	struct roger_deploy *d = machine(1, 0, 30000, -1);

	see_deployments(d, 1100, ours());
	see_app(d, 1200, app(V2, V2, 1, false, "", NULL));
	see_event(d, 1300, failed_event(TASK("ccccccc1"), V2, "TASK_FAILED"));
	/* a short delay: wait, and say so */
	see_queue(d, 1400, J(QUEUE, 5, "false"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(progress(d)->delay_seconds, 5);
	ck_assert_str_eq(text(d), "0/1 running, 1 failed, launch delayed 5 s");
	/* overdue: no delay */
	see_queue(d, 1500, J(QUEUE, 0, "true"));
	ck_assert_int_eq(progress(d)->delay_seconds, 0);
	/* another app's delay: not ours */
	see_queue(
		d, 1600,
		J("{'queue':[{'app':{'id':'/other'},'delay':{'timeLeftSeconds':900,'overdue':false}}]}"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	/* 40 s to wait, 29 s left */
	see_queue(d, 2000, J(QUEUE, 40, "false"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_BACKOFF);
	ck_assert_str_eq(roger_deploy_status(d)->task_id, TASK("ccccccc1"));
	assert_reason(d, "waits 40 s");
	assert_reason(d, "29 s left");
	roger_deploy_free(d);

	/* no timeout: a backoff is only waited for */
	d = machine(1, 0, 0, -1);
	see_queue(d, 2000, J(QUEUE, 3000, "false"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_free(d);
}
END_TEST

/*
 * Tasks of the new version the queue declines offers for: waiting for
 * resources, with what they need and, once Mesos said, what is free;
 * gone when the queue no longer declines, and never for a backoff.
 */
START_TEST(test_deploy_waiting_for_resources)
{
#define DECLINED                                                             \
	"{'queue':[{'app':{'id':'/web/hello','version':'" V2 "','cpus':0.4," \
	"'mem':32},'count':%d,'delay':{'timeLeftSeconds':%d,'overdue':%s},"  \
	"'processedOffersSummary':{'rejectSummaryLastOffers':["              \
	"{'reason':'InsufficientCpus','declined':4,'processed':4}]}}]}"
	struct roger_deploy *d = machine(3, 0, 60000, -1);
	json_t *j;

	see_deployments(d, 1100, ours());
	see_app(d, 1200,
		app(V2, V2, 3, false,
		    J("%s,%s", task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", ""),
		      task(TASK("bbbbbbb2"), V2, "TASK_RUNNING", "")),
		    NULL));
	see_queue(d, 1300, J(DECLINED, 1, 0, "true"));
	ck_assert(progress(d)->waiting_resources);
	ck_assert_int_eq(progress(d)->waiting, 1);
	ck_assert_str_eq(
		text(d),
		"2/3 running, settling 10 s; waiting for resources: needs 0.4 cpus / 32 MB");
	roger_deploy_observe_free(d, 0.2, 448, 1);
	roger_deploy_tick(d, 1400);
	ck_assert_str_eq(
		text(d),
		"2/3 running, settling 10 s; waiting for resources: needs 0.4 cpus / 32 MB, 0.2 cpus / 448 MB free");
	j = roger_deploy_status_json(roger_deploy_status(d));
	ck_assert_int_eq(
		json_integer_value(json_object_get(
			json_object_get(j, "waiting_for_resources"), "tasks")),
		1);
	json_decref(j);
	see_queue(d, 1500, J(DECLINED, 2, 0, "true"));
	roger_deploy_observe_free(d, 1.25, 4096, 3);
	roger_deploy_tick(d, 1600);
	ck_assert_str_eq(
		text(d),
		"2/3 running, settling 10 s; waiting for resources: 2 tasks need 0.4 cpus / 32 MB each, 1.25 cpus / 4096 MB free on the roomiest of 3 agents");
	/* a backoff is a backoff, not resources */
	see_queue(d, 1700, J(DECLINED, 1, 5, "false"));
	ck_assert(!progress(d)->waiting_resources);
	/* nothing queued: nothing waits */
	see_queue(d, 1800, J("{'queue':[]}"));
	ck_assert(!progress(d)->waiting_resources);
	ck_assert_str_eq(text(d), "2/3 running, settling 10 s");
	/* every task launched: a queue entry still declining is stale */
	see_app(d, 1900,
		app(V2, V2, 3, false,
		    J("%s,%s,%s",
		      task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", ""),
		      task(TASK("bbbbbbb2"), V2, "TASK_RUNNING", ""),
		      task(TASK("bbbbbbb3"), V2, "TASK_STAGING", "")),
		    NULL));
	see_queue(d, 2000, J(DECLINED, 1, 0, "true"));
	ck_assert(!progress(d)->waiting_resources);
	ck_assert_str_eq(text(d), "2/3 running, settling 10 s, 1 staging");
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_timeout)
{
	struct roger_deploy *d = machine(2, 0, 5000, -1);

	see_deployments(d, 1100, ours());
	see_app(d, 1200,
		app(V2, V2, 2, true,
		    J("%s,%s",
		      task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", HEALTHY),
		      task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", HEALTHY)),
		    NULL));
	roger_deploy_tick(d, 5999);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_tick(d, 6000);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_TIMED_OUT);
	assert_reason(
		d,
		"timed out after 5 s waiting for the deployment of app '/web/hello': 1/2 healthy, 1 old");
	ck_assert_str_eq(roger_deploy_state_name(roger_deploy_state(d)),
			 "timed_out");
	roger_deploy_free(d);
}
END_TEST

/* deployment_failed of a deployment and its plan */
#define DEPLOYMENT_FAILED                                                           \
	"{'id':'%s','plan':{'id':'%s','steps':[]},'eventType':'deployment_failed'," \
	"'timestamp':'" T_MID "','reason':'The upgrade has been cancelled'}"

START_TEST(test_deploy_deployment_failed_is_filtered_by_id)
{
	struct roger_deploy *d = machine(1, 0, 0, -1);

	see_deployments(d, 1100, ours());
	/* a 409 still publishes deployment_failed for the plan that never ran
	 */
	ck_assert_int_eq(see_event(d, 1200, J(DEPLOYMENT_FAILED, OTHER, OTHER)),
			 0);
	ck_assert_int_eq(
		see_event(
			d, 1300,
			J("{'plan':{'id':'%s'},'eventType':'deployment_info'}",
			  OTHER)),
		0);
	ck_assert_int_eq(
		see_event(
			d, 1301,
			J("{'plan':{'id':'%s'},'eventType':'deployment_step_success'}",
			  DEP)),
		1);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	ck_assert_int_eq(see_event(d, 1400, J(DEPLOYMENT_FAILED, DEP, DEP)), 1);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_CANCELLED);
	assert_reason(d, "deployment '" DEP
			 "' failed: The upgrade has been cancelled");
	ck_assert(
		!roger_deploy_failure_revertible(ROGER_DEPLOY_FAIL_CANCELLED));
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_vanished_deployment)
{
	struct roger_deploy *d = machine(2, 0, 0, -1);
	const char *half =
		J("%s,%s", task(TASK("bbbbbbb1"), V2, "TASK_RUNNING", HEALTHY),
		  task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", HEALTHY));

	/* someone else's deployment replaced ours */
	see_deployments(d, 1100, ours());
	see_deployments(d, 2000, "[]");
	see_app(d, 2100, app(V3, V3, 2, true, half, NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_VANISHED);
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
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_VANISHED);
	assert_reason(
		d,
		"ended before the new version was up (cancelled?): 1/2 healthy, 1 old");
	roger_deploy_free(d);

	/*
	 * Ended while our version's tasks crash: they ran between two looks.
	 * A failure of the new tasks, which may be undone.
	 */
	d = machine(1, 0, 0, -1);
	see_deployments(d, 1100, ours());
	see_deployments(d, 1500, "[]");
	see_event(d, 1600, failed_event(TASK("bbbbbbb1"), V2, "TASK_FAILED"));
	see_app(d, 1700, app(V2, V2, 1, false, "", NULL));
	roger_deploy_tick(d, 1500 + ROGER_DEPLOY_VANISH_GRACE_MS - 1);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_tick(d, 1500 + ROGER_DEPLOY_VANISH_GRACE_MS);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_TASKS);
	ck_assert_str_eq(roger_deploy_status(d)->task_id, TASK("bbbbbbb1"));
	assert_reason(
		d,
		"ended, but the new version is not up: 1 task of the new version failed");
	ck_assert(roger_deploy_failure_revertible(ROGER_DEPLOY_FAIL_TASKS));
	roger_deploy_free(d);

	/* the app deleted under us */
	d = machine(2, 0, 0, -1);
	see_app(d, 1200, NULL);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_APP_GONE);
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
	ck_assert_int_eq(
		see_event(
			d, 1300,
			J("{'id':'%s','plan':{'id':'%s'},'eventType':'deployment_success'}",
			  DEP, DEP)),
		1);
	see_app(d, 1400, app(V2, V2, 1, false, t, NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	/* a crash of a task of the other app, then of ours */
	see_event(d, 3000, failed_event(TASK("bbbbbbb1"), V2, "TASK_FAILED"));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_SETTLE);
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
	see_app(d, 1200,
		app(V2, V2, 1, false,
		    task(TASK("aaaaaaa1"), V1, "TASK_RUNNING", NULL), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	roger_deploy_tick(d, 4000);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_TIMED_OUT);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_any_version_for_a_revert)
{
	/* a rollback: the revert keeps the old tasks of an older config */
	struct roger_deploy *d =
		machine(-1, ROGER_DEPLOY_ANY_VERSION, 0, 10000);

	see_deployments(d, 1100, "[]");
	see_app(d, 1200,
		app(V2, V2, 2, false,
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

	ck_assert_int_eq(roger_marathon_event_parse(&ev, type, json, len, err),
			 0);
	ck_assert_int_ge(roger_deploy_observe_event(d, 2000, ev), 0);
	roger_marathon_event_free(ev);
	return 0;
}

static void feed_fixture(struct roger_deploy *d, const char *name)
{
	char path[1024];
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_sse sse;
	const char *src = getenv("TEST_SRCDIR");

	snprintf(path, sizeof(path), "%s/fixtures/%s",
		 src && *src ? src : "tests", name);
	ck_assert_int_eq(roger_fs_read_file(&b, path, NULL), 0);
	roger_sse_init(&sse);
	/* in small pieces, as a slow stream would give them */
	for (size_t i = 0; i < b.len; i += 7)
		ck_assert_int_eq(roger_sse_feed(&sse, b.buf + i,
						b.len - i < 7 ? b.len - i : 7,
						feed_event, d, NULL),
				 0);
	roger_sse_release(&sse);
	roger_buf_release(&b);
}

START_TEST(test_deploy_recorded_event_stream)
{
	struct roger_deploy_goal g = { "/product/web",
				       "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43",
				       "2021-03-04T10:11:12.345Z",
				       1,
				       0,
				       1000,
				       0,
				       -1,
				       0 };
	struct roger_deploy *d = NULL;
	const char *a =
		"{'app':{'id':'/product/web','version':'2021-03-04T10:11:12.345Z',"
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

	/* the recorded list holds /foo's deployment, whose end the stream tells
	 */
	g.deployment_id = "97c136bf-5a28-4821-9d94-480d9fbb01c8";
	ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
	{
		struct roger_buf b = ROGER_BUF_INIT;
		struct roger_marathon_deployments *list = NULL;
		char path[1024];
		const char *src = getenv("TEST_SRCDIR");

		snprintf(path, sizeof(path),
			 "%s/fixtures/marathon-deployments.json",
			 src && *src ? src : "tests");
		ck_assert_int_eq(roger_fs_read_file(&b, path, NULL), 0);
		ck_assert_int_eq(roger_marathon_deployments_parse(&list, b.buf,
								  b.len, NULL),
				 0);
		ck_assert_int_eq(
			roger_deploy_observe_deployments(d, 2200, list), 0);
		ck_assert(progress(d)->deployment_active);
		ck_assert_int_eq(progress(d)->current_step, 1);
		roger_marathon_deployments_free(list);
		roger_buf_release(&b);
	}
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_WAITING);
	feed_fixture(d, "marathon-events.sse");
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_FAILED);
	ck_assert_int_eq(roger_deploy_status(d)->failure,
			 ROGER_DEPLOY_FAIL_CANCELLED);
	roger_deploy_free(d);
}
END_TEST

START_TEST(test_deploy_recorded_app_shapes)
{
	/* 1.5 (three healthy tasks) and 1.4 (tasks without a state) */
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_marathon_app *a = NULL;
	struct roger_marathon_apps *apps = NULL;
	struct roger_deploy_goal g = { "/nginx-green", NULL, NULL, -1, 0,
				       1000,           0,    -1,   0 };
	struct roger_deploy *d = NULL;
	char path[1024];
	const char *src = getenv("TEST_SRCDIR");

	snprintf(path, sizeof(path), "%s/fixtures/marathon-get-app.json",
		 src && *src ? src : "tests");
	ck_assert_int_eq(roger_fs_read_file(&b, path, NULL), 0);
	ck_assert_int_eq(roger_marathon_app_parse(&a, b.buf, b.len, NULL), 0);
	ck_assert_int_eq(roger_deploy_new(&d, &g, NULL), 0);
	see_app(d, 1200, a);
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	ck_assert_str_eq(text(d), "3/3 healthy");
	roger_deploy_free(d);
	roger_buf_release(&b);

	snprintf(path, sizeof(path),
		 "%s/fixtures/marathon-get-apps-legacy-0.15.json",
		 src && *src ? src : "tests");
	ck_assert_int_eq(roger_fs_read_file(&b, path, NULL), 0);
	ck_assert_int_eq(roger_marathon_apps_parse(&apps, b.buf, b.len, NULL),
			 0);
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
	see_event(
		d, 2000,
		J("{'appId':'/web/hello','taskId':'%s','version':'%s','reason':'HTTP status 503',"
		  "'eventType':'unhealthy_instance_kill_event'}",
		  TASK("bbbbbbb1"), V2));
	j = roger_deploy_status_json(roger_deploy_status(d));
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "state")),
			 "failed");
	ck_assert_str_eq(json_string_value(json_object_get(j, "app")),
			 "/web/hello");
	ck_assert_str_eq(json_string_value(json_object_get(j, "deployment")),
			 DEP);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "target")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "failures")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(j, "failed_task"), "id")),
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
	a = app_of(J(
		"{'id':'/a','instances':4,'upgradeStrategy':{'minimumHealthCapacity':0.5,'maximumOverCapacity':0},"
		"'healthChecks':[{'gracePeriodSeconds':5,'intervalSeconds':2,'maxConsecutiveFailures':3,'timeoutSeconds':1},"
		"{'gracePeriodSeconds':30,'intervalSeconds':10,'maxConsecutiveFailures':2,'timeoutSeconds':5}]}"));
	ck_assert_int_eq(roger_deploy_default_timeout_ms(a, -1, 0),
			 (60 + 2 * (60 + 55)) * 1000);
	/* one at a time (no capacity to spare): a wave per instance */
	roger_marathon_app_free(a);
	a = app_of(J(
		"{'id':'/a','instances':3,'upgradeStrategy':{'minimumHealthCapacity':1,'maximumOverCapacity':0}}"));
	ck_assert_int_eq(roger_deploy_default_timeout_ms(a, -1, 0),
			 (60 + 3 * 60) * 1000);
	/* the target count given: a scale to 6 of the recorded app */
	ck_assert_int_eq(roger_deploy_default_timeout_ms(a, 6, 0),
			 (60 + 6 * 60) * 1000);
	ck_assert_int_eq(roger_deploy_default_timeout_ms(a, 0, 0),
			 (60 + 60) * 1000);
	roger_marathon_app_free(a);
	/* a reply's largest health checks and count saturate, not overflow */
	a = app_of(J(
		"{'id':'/a','instances':2147483647,"
		"'healthChecks':[{'gracePeriodSeconds':2147483647,'intervalSeconds':2147483647,"
		"'maxConsecutiveFailures':2147483647,'timeoutSeconds':2147483647}]}"));
	ck_assert(roger_deploy_default_timeout_ms(a, -1, 0) ==
		  ROGER_DEPLOY_TIMEOUT_MAX_MS);
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
	see_app(d, 100,
		app(V2, V2, 1, false,
		    task(TASK("aaaaaaa1"), V2, "TASK_RUNNING", NULL), NULL));
	ck_assert_int_eq(roger_deploy_state(d), ROGER_DEPLOY_SUCCEEDED);
	roger_deploy_free(d);
}
END_TEST

/* ---- the driver: shared helpers ------------------------------------------- */

struct seen_notes {
	int stream, poll, failed;
	int progress_calls, changes;
	char last_text[2048];
	char last_failed_task[256];
};

static void on_note(void *data, const struct roger_deploy_note *n)
{
	struct seen_notes *s = data;

	ck_assert_msg(!strchr(n->text, '\n'), "note on two lines: %s", n->text);
	if (n->kind == ROGER_DEPLOY_NOTE_STREAM)
		s->stream++;
	else if (n->kind == ROGER_DEPLOY_NOTE_POLL)
		s->poll++;
	else if (n->kind == ROGER_DEPLOY_NOTE_TASK_FAILED) {
		s->failed++;
		snprintf(s->last_failed_task, sizeof(s->last_failed_task), "%s",
			 n->task_id ? n->task_id : "");
	}
	snprintf(s->last_text, sizeof(s->last_text), "%s", n->text);
}

static void on_progress(void *data, const struct roger_deploy_status *st,
			bool changed)
{
	struct seen_notes *s = data;

	ck_assert_ptr_nonnull(st);
	s->progress_calls++;
	if (changed)
		s->changes++;
}

static struct roger_ctx *test_ctx(void)
{
	struct roger_ctx *ctx = NULL;

	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
	return ctx;
}

static int no_sleep(void *data, long ms)
{
	(void)data;
	(void)ms;
	return 0;
}

/* A Marathon client for `url`, quick to give up (1 s replies, 2 retries). */
/* A Marathon client for `url`, with a DC/OS token when `token` is not NULL. */
static struct roger_marathon *client_token(struct roger_ctx *ctx,
					   const char *url, const char *token,
					   long timeout_ms)
{
	struct roger_http_client_opts o = { 0 };
	struct roger_http_client *http = NULL;
	struct roger_marathon *m = NULL;
	struct roger_auth auth = { 0 };
	const char *bases[1] = { url };

	o.name = "marathon";
	o.bases = bases;
	o.n_bases = 1;
	o.timeout_ms = timeout_ms;
	if (token) {
		auth.kind = ROGER_AUTH_TOKEN;
		auth.token = (char *)token;
		o.auth = &auth;
	}
	o.max_retries = 2;
	ck_assert_int_eq(roger_http_client_new(&http, ctx, &o, NULL, NULL), 0);
	roger_http_client_set_sleep_fn(http, no_sleep, NULL);
	ck_assert_int_eq(roger_marathon_new(&m, ctx, http, NULL), 0);
	return m;
}

static struct roger_marathon *client(struct roger_ctx *ctx, const char *url,
				     long timeout_ms)
{
	return client_token(ctx, url, NULL, timeout_ms);
}

static struct roger_deploy_watch_opts watch_opts(struct seen_notes *seen,
						 long poll_ms)
{
	struct roger_deploy_watch_opts o = { 0 };

	memset(seen, 0, sizeof(*seen));
	o.poll_ms = poll_ms;
	o.idle_ms = 1500;
	o.reconnect_max_ms = 1000;
	o.on_note = on_note;
	o.on_progress = on_progress;
	o.data = seen;
	return o;
}

/* ---- the driver against roger local ----------------------------------------- */

struct local {
	pid_t pid;
	char dir[1024];
	char url[64];
	char token[ROGER_LOCAL_TOKEN_LEN + 1];
};

static const char *roger_bin(void)
{
	const char *r = getenv("ROGER");

	return r && *r ? r : "./roger";
}

static const char *testapp(void)
{
	static char path[PATH_MAX];
	char rel[PATH_MAX];
	const char *b = getenv("TEST_BUILDDIR");

	/* the tasks run in their sandboxes: the path must be absolute */
	snprintf(rel, sizeof(rel), "%s/testapp", b && *b ? b : "tests");
	ck_assert_ptr_nonnull(realpath(rel, path));
	return path;
}

static void local_start(struct local *l)
{
	char file[1100];
	json_t *doc = NULL;

	snprintf(l->dir, sizeof(l->dir), "%s/local.XXXXXX", faultd_tmp_dir());
	ck_assert_ptr_nonnull(mkdtemp(l->dir));
	snprintf(file, sizeof(file), "%s/serve.log", l->dir);
	l->pid = fork();
	ck_assert_int_ge(l->pid, 0);
	if (l->pid == 0) {
		int fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0644);

		/* the server (and its tasks) end with the test */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(roger_bin(), roger_bin(), "local", "serve", "--port", "0",
		      "--state-dir", l->dir, "--cpus", "8", "--mem", "8192",
		      (char *)NULL);
		_exit(127);
	}
	snprintf(file, sizeof(file), "%s/server.json", l->dir);
	for (int i = 0; i < 400 && !doc; i++) {
		doc = json_load_file(file, 0, NULL);
		if (!doc)
			usleep(25000);
	}
	ck_assert_msg(doc != NULL, "roger local did not start (see %s)",
		      l->dir);
	snprintf(l->url, sizeof(l->url), "http://127.0.0.1:%d",
		 (int)json_integer_value(json_object_get(doc, "port")));
	json_decref(doc);
	ck_assert_int_eq(roger_local_token_read(l->token, l->dir, NULL), 0);
}

static void local_stop(struct local *l)
{
	int status;

	kill(l->pid, SIGTERM);
	waitpid(l->pid, &status, 0);
}

/*
 * The test app as /web/hello: `instances`, an HTTP health check (grace 1 s,
 * every second, killed after 2 failures) when `hc`, and `env` (JSON
 * members, may be empty).  Backoffs are short so that crash loops are quick.
 */
static json_t *hello(int instances, bool hc, const char *env)
{
	json_error_t jerr;
	json_t *app = json_loads(
		J("{'id':'/web/hello','cmd':'exec %s','cpus':0.05,'mem':8,"
		  "'instances':%d,'portDefinitions':[{'port':0}],"
		  "'backoffSeconds':1,'backoffFactor':1.01,'maxLaunchDelaySeconds':2,"
		  "'taskKillGracePeriodSeconds':1,'env':{%s}%s}",
		  testapp(), instances, env,
		  hc ? ",'healthChecks':[{'protocol':'HTTP','path':'/health','portIndex':0,"
		       "'gracePeriodSeconds':1,'intervalSeconds':1,'timeoutSeconds':1,"
		       "'maxConsecutiveFailures':2}]"
		     : ""),
		0, &jerr);

	ck_assert_msg(app != NULL, "bad app: %s", jerr.text);
	return app;
}

/* PUT the app and watch the deployment; returns what the watch did. */
static int put_and_watch(struct roger_deploy_status *st,
			 struct roger_deploy_goal *goal,
			 struct roger_marathon_deployment_result *res,
			 struct roger_ctx *ctx, struct roger_marathon *m,
			 struct roger_marathon *ev, json_t *app,
			 int64_t timeout_ms, int64_t settle_ms,
			 const struct roger_deploy_watch_opts *o,
			 struct roger_err *err)
{
	struct roger_err perr = ROGER_ERR_INIT;

	ck_assert_msg(roger_marathon_put_app(res, NULL, m, "/web/hello", app, 0,
					     &perr) == 0,
		      "PUT: %s", perr.msg);
	memset(goal, 0, sizeof(*goal));
	goal->app_id = "/web/hello";
	goal->deployment_id = res->deployment_id;
	goal->version = res->version;
	goal->instances =
		(int)json_integer_value(json_object_get(app, "instances"));
	goal->timeout_ms = timeout_ms;
	goal->settle_ms = settle_ms;
	json_decref(app);
	return roger_deploy_watch(st, ctx, m, ev, goal, o, err);
}

START_TEST(test_watch_local_create_scale_restart_destroy)
{
	struct roger_ctx *ctx = test_ctx();
	struct roger_marathon *m, *ev;
	struct roger_marathon_deployment_result res;
	struct roger_deploy_goal goal;
	struct roger_deploy_status st;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon_app *a = NULL;
	struct seen_notes seen;
	struct roger_deploy_watch_opts o = watch_opts(&seen, 500);
	struct local l;

	local_start(&l);
	m = client_token(ctx, l.url, l.token, 5000);
	ev = client_token(ctx, l.url, l.token, 5000);
	/* create, with health checks */
	ck_assert_msg(put_and_watch(&st, &goal, &res, ctx, m, ev,
				    hello(1, true, ""), 30000, -1, &o,
				    &err) == 0,
		      "create: %s", err.msg);
	ck_assert_int_eq(st.state, ROGER_DEPLOY_SUCCEEDED);
	ck_assert_int_eq(st.progress.healthy, 1);
	ck_assert_int_gt(seen.progress_calls, 0);
	ck_assert_int_eq(seen.stream, 0);
	/* scale up: the old task stays, a new one becomes healthy */
	ck_assert_int_eq(
		roger_marathon_scale_app(&res, m, "/web/hello", 3, 0, NULL), 0);
	goal.deployment_id = res.deployment_id;
	goal.version = res.version;
	goal.instances = 3;
	ck_assert_msg(roger_deploy_watch(&st, ctx, m, ev, &goal, &o, &err) == 0,
		      "scale: %s", err.msg);
	ck_assert_int_eq(st.progress.healthy, 3);
	ck_assert_int_eq(st.progress.old, 0);
	/* down again */
	ck_assert_int_eq(
		roger_marathon_scale_app(&res, m, "/web/hello", 1, 0, NULL), 0);
	goal.deployment_id = res.deployment_id;
	goal.version = res.version;
	goal.instances = 1;
	ck_assert_msg(roger_deploy_watch(&st, ctx, m, ev, &goal, &o, &err) == 0,
		      "scale down: %s", err.msg);
	ck_assert_int_eq(roger_marathon_get_app(&a, m, "/web/hello",
						ROGER_MARATHON_EMBED_TASKS,
						NULL),
			 0);
	ck_assert_uint_eq(a->n_tasks, 1);
	roger_marathon_app_free(a);
	/* a restart replaces the task */
	ck_assert_int_eq(
		roger_marathon_restart_app(&res, m, "/web/hello", 0, NULL), 0);
	goal.deployment_id = res.deployment_id;
	goal.version = res.version;
	ck_assert_msg(roger_deploy_watch(&st, ctx, m, ev, &goal, &o, &err) == 0,
		      "restart: %s", err.msg);
	ck_assert_int_eq(roger_marathon_get_app(&a, m, "/web/hello",
						ROGER_MARATHON_EMBED_TASKS,
						NULL),
			 0);
	ck_assert_uint_eq(a->n_tasks, 1);
	ck_assert_str_eq(a->tasks[0].version, res.version);
	roger_marathon_app_free(a);
	/* destroy: done when the app is gone */
	ck_assert_int_eq(
		roger_marathon_delete_app(&res, m, "/web/hello", 0, NULL), 0);
	goal.deployment_id = res.deployment_id;
	goal.version = res.version;
	goal.flags = ROGER_DEPLOY_REMOVE;
	goal.instances = 0;
	ck_assert_msg(roger_deploy_watch(&st, ctx, m, ev, &goal, &o, &err) == 0,
		      "destroy: %s", err.msg);
	ck_assert_int_eq(roger_marathon_get_app(&a, m, "/web/hello", 0, NULL),
			 ROGER_ENOTFOUND);
	roger_marathon_free(ev);
	roger_marathon_free(m);
	roger_ctx_free(ctx);
	local_stop(&l);
}
END_TEST

/* The crash loop of a new version, with the stream or by polling alone. */
static void crash_loop(bool stream)
{
	struct roger_ctx *ctx = test_ctx();
	struct roger_marathon *m, *ev;
	struct roger_marathon_deployment_result res, first;
	struct roger_deploy_goal goal;
	struct roger_deploy_status st;
	struct roger_deploy_rollback rb;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon_app *a = NULL;
	struct seen_notes seen;
	struct roger_deploy_watch_opts o = watch_opts(&seen, 500);
	struct local l;
	bool active;
	char *env;

	local_start(&l);
	m = client_token(ctx, l.url, l.token, 5000);
	ev = stream ? client_token(ctx, l.url, l.token, 5000) : NULL;
	ck_assert_msg(put_and_watch(&st, &goal, &first, ctx, m, ev,
				    hello(2, false, ""), 30000, 1000, &o,
				    &err) == 0,
		      "create: %s", err.msg);
	/* the new version exits at once */
	ck_assert_int_eq(
		put_and_watch(
			&st, &goal, &res, ctx, m, ev,
			hello(2, false,
			      "'TESTAPP_EXIT':'3','TESTAPP_STDERR':'boom'"),
			60000, 1000, &o, &err),
		ROGER_EDEPLOY);
	/*
	 * With the event stream every failure is seen.  Polling alone sees
	 * fewer, and on a slow machine (sanitizers) the deployment may end
	 * before three are counted: then a new task ending within the settle
	 * time fails it.  Either way it is a failure of the new tasks.
	 */
	if (stream || st.failure == ROGER_DEPLOY_FAIL_TASKS) {
		ck_assert_int_eq(st.failure, ROGER_DEPLOY_FAIL_TASKS);
		ck_assert_msg(
			strstr(err.msg, "3 tasks of the new version failed"),
			"%s", err.msg);
	} else {
		ck_assert_int_eq(st.failure, ROGER_DEPLOY_FAIL_SETTLE);
		ck_assert_msg(strstr(err.msg, "after the deployment"), "%s",
			      err.msg);
	}
	ck_assert_str_ne(st.task_id, "");
	ck_assert_int_ge(seen.failed, 1);
	ck_assert_str_eq(seen.last_failed_task, st.task_id);
	/*
	 * Roll back: the old version runs again, two of it.  Without health
	 * checks the new tasks may all have run for a moment, which ends the
	 * deployment: then the previous version is redeployed.
	 */
	active = st.progress.deployment_active;
	ck_assert_msg(roger_deploy_rollback(&rb, &st, ctx, m, ev, &goal,
					    first.version, &o, &err) == 0,
		      "rollback: %s", err.msg);
	ck_assert(rb.by_version == !active);
	ck_assert_str_ne(rb.deployment_id, res.deployment_id);
	ck_assert_int_eq(roger_marathon_get_app(&a, m, "/web/hello",
						ROGER_MARATHON_EMBED_TASKS,
						NULL),
			 0);
	ck_assert_int_eq(a->tasks_running, 2);
	/* the old definition: no env at all */
	env = json_dumps(a->json, 0);
	ck_assert_ptr_null(strstr(env, "TESTAPP_EXIT"));
	free(env);
	roger_marathon_app_free(a);
	/* nothing left to roll back: by version when one is given */
	ck_assert_int_eq(roger_deploy_rollback(&rb, &st, ctx, m, ev, &goal,
					       NULL, &o, &err),
			 ROGER_ENOTFOUND);
	ck_assert_msg(
		strstr(err.msg, "has already ended: nothing to roll back"),
		"%s", err.msg);
	ck_assert_int_eq(roger_deploy_rollback(&rb, &st, ctx, m, ev, &goal,
					       first.version, &o, &err),
			 0);
	ck_assert(rb.by_version);
	roger_marathon_free(ev);
	roger_marathon_free(m);
	roger_ctx_free(ctx);
	local_stop(&l);
}

START_TEST(test_watch_local_crash_loop_rollback)
{
	crash_loop(true);
}
END_TEST

START_TEST(test_watch_local_crash_loop_polling_alone)
{
	crash_loop(false);
}
END_TEST

START_TEST(test_watch_local_never_healthy)
{
	struct roger_ctx *ctx = test_ctx();
	struct roger_marathon *m, *ev;
	struct roger_marathon_deployment_result res;
	struct roger_deploy_goal goal;
	struct roger_deploy_status st;
	struct roger_err err = ROGER_ERR_INIT;
	struct seen_notes seen;
	struct roger_deploy_watch_opts o = watch_opts(&seen, 500);
	struct local l;

	local_start(&l);
	m = client_token(ctx, l.url, l.token, 5000);
	ev = client_token(ctx, l.url, l.token, 5000);
	ck_assert_int_eq(
		put_and_watch(&st, &goal, &res, ctx, m, ev,
			      hello(1, true, "'TESTAPP_UNHEALTHY':'1'"), 60000,
			      -1, &o, &err),
		ROGER_EDEPLOY);
	ck_assert_int_eq(st.failure, ROGER_DEPLOY_FAIL_HEALTH);
	ck_assert_msg(strstr(err.msg, "killed for failing its health checks"),
		      "%s", err.msg);
	ck_assert_str_ne(st.task_id, "");
	/* polling alone sees it too */
	ck_assert_int_eq(
		roger_marathon_cancel_deployment(NULL, m, res.deployment_id,
						 ROGER_MARATHON_FORCE, NULL),
		0);
	ck_assert_int_eq(
		put_and_watch(&st, &goal, &res, ctx, m, NULL,
			      hello(1, true, "'TESTAPP_UNHEALTHY':'1','X':'2'"),
			      60000, -1, &o, &err),
		ROGER_EDEPLOY);
	ck_assert_int_eq(st.failure, ROGER_DEPLOY_FAIL_HEALTH);
	roger_marathon_free(ev);
	roger_marathon_free(m);
	roger_ctx_free(ctx);
	local_stop(&l);
}
END_TEST

static volatile sig_atomic_t interrupt_flag;

static void on_alarm(int sig)
{
	(void)sig;
	interrupt_flag = 1;
}

START_TEST(test_watch_local_slow_times_out_or_is_interrupted)
{
	struct roger_ctx *ctx = test_ctx();
	struct roger_marathon *m, *ev;
	struct roger_marathon_deployment_result res;
	struct roger_deploy_goal goal;
	struct roger_deploy_status st;
	struct roger_err err = ROGER_ERR_INIT;
	struct seen_notes seen;
	struct roger_deploy_watch_opts o = watch_opts(&seen, 500);
	struct local l;
	json_t *slow;

	local_start(&l);
	m = client_token(ctx, l.url, l.token, 5000);
	ev = client_token(ctx, l.url, l.token, 5000);
	/* never listens, and the grace period outlasts the test */
	slow = hello(1, true, "'TESTAPP_HANG':'1'");
	json_object_set_new(
		json_array_get(json_object_get(slow, "healthChecks"), 0),
		"gracePeriodSeconds", json_integer(600));
	ck_assert_int_eq(put_and_watch(&st, &goal, &res, ctx, m, ev, slow, 2500,
				       -1, &o, &err),
			 ROGER_ETIMEOUT);
	ck_assert_int_eq(st.state, ROGER_DEPLOY_TIMED_OUT);
	ck_assert_msg(
		strstr(err.msg,
		       "timed out after 2.5 s waiting for the deployment of app '/web/hello': 0/1 healthy"),
		"%s", err.msg);
	ck_assert(st.progress.deployment_active);
	/* the same watch, interrupted */
	roger_ctx_set_interrupt_flag(ctx, &interrupt_flag);
	signal(SIGALRM, on_alarm);
	alarm(1);
	goal.timeout_ms = 0;
	ck_assert_int_eq(roger_deploy_watch(&st, ctx, m, ev, &goal, &o, &err),
			 ROGER_EINTR);
	ck_assert_int_eq(st.state, ROGER_DEPLOY_WAITING);
	ck_assert_msg(
		strstr(err.msg,
		       "interrupted while waiting for the deployment of app '/web/hello': 0/1 healthy"),
		"%s", err.msg);
	roger_marathon_free(ev);
	roger_marathon_free(m);
	roger_ctx_free(ctx);
	local_stop(&l);
}
END_TEST

/* ---- the driver against scripted faults -------------------------------------- */

#define FD_APP                                                                                         \
	"{'match':'GET /v2/apps/web/hello*','times':0,'json':{'app':{'id':'/web/hello','version':'" V2 \
	"',"                                                                                           \
	"'versionInfo':{'lastConfigChangeAt':'" V2                                                     \
	"'},'instances':1,'tasks':[{'id':'" TASK(                                                      \
		"aaaaaaa1") "',"                                                                       \
			    "'state':'TASK_RUNNING','version':'" V2                                    \
			    "','startedAt':'" V2 "'}]}}}"
#define FD_OURS(n)                                                          \
	"{'match':'GET /v2/deployments','times':" #n ",'json':[{'id':'" DEP \
	"','version':'" V2 "',"                                             \
	"'affectedApps':['/web/hello'],'steps':[],'currentActions':[],'currentStep':1,'totalSteps':1}]}"
#define FD_NONE "{'match':'GET /v2/deployments','times':0,'json':[]}"
#define FD_QUEUE "{'match':'GET /v2/queue','times':0,'json':{'queue':[]}}"
#define FD_ATTACHED \
	"{'event':'event_stream_attached','data':{'eventType':'event_stream_attached'}}"

/* Watch the scripted /web/hello; `events`: with a stream client too. */
static int fd_watch(struct faultd *f, struct seen_notes *seen, bool events,
		    long timeout_ms, struct roger_err *err)
{
	struct roger_ctx *ctx = test_ctx();
	struct roger_marathon *m = client(ctx, f->url, timeout_ms);
	struct roger_marathon *ev =
		events ? client(ctx, f->url, timeout_ms) : NULL;
	struct roger_deploy_goal g = { "/web/hello", DEP, V2, 1, 0, 0,
				       20000,        0,   0 };
	struct roger_deploy_watch_opts o = watch_opts(seen, 200);
	struct roger_deploy_status st;
	int rc;

	rc = roger_deploy_watch(&st, ctx, m, ev, &g, &o, err);
	ck_assert_str_eq(st.app_id, "/web/hello");
	ck_assert_msg(!strchr(err->msg, '\n'), "error on two lines: %s",
		      err->msg);
	roger_marathon_free(ev);
	roger_marathon_free(m);
	roger_ctx_free(ctx);
	return rc;
}

START_TEST(test_watch_stream_silent_then_reconnected)
{
	struct faultd f;
	struct seen_notes seen;
	struct roger_err err = ROGER_ERR_INIT;

	faultd_start(
		&f,
		"[" FD_OURS(
			12) "," FD_NONE "," FD_APP "," FD_QUEUE ","
			    "{'match':'GET /v2/events*','times':0,'sse':[" FD_ATTACHED
			    "],'sse_end':'hang'}]");
	ck_assert_msg(fd_watch(&f, &seen, true, 5000, &err) == 0, "%s",
		      err.msg);
	/* silent for 1.5 s: dropped and opened again, polling meanwhile */
	ck_assert_uint_ge(faultd_count(&f, "GET", "/v2/events"), 2);
	ck_assert_int_ge(seen.stream, 1);
	ck_assert_msg(strstr(seen.last_text, "reconnecting") || seen.stream > 1,
		      "%s", seen.last_text);
	ck_assert_uint_ge(faultd_count(&f, "GET", "/v2/deployments"), 13);
	/* the server-side filter and the exact Accept header */
	{
		json_t *reqs = faultd_requests(&f), *r;
		size_t i;
		bool found = false;

		json_array_foreach(reqs, i, r) {
			const char *path =
				json_string_value(json_object_get(r, "path"));

			if (strncmp(path, "/v2/events", 10))
				continue;
			found = true;
			ck_assert_ptr_nonnull(
				strstr(path, "event_type=deployment_failed"));
			ck_assert_ptr_nonnull(
				strstr(path, "event_type=status_update_event"));
			ck_assert_str_eq(
				json_string_value(json_object_get(
					json_object_get(r, "h"), "accept")),
				"text/event-stream");
		}
		ck_assert(found);
		json_decref(reqs);
	}
	faultd_stop(&f);
}
END_TEST

START_TEST(test_watch_stream_dropped_then_reconnected)
{
	struct faultd f;
	struct seen_notes seen;
	struct roger_err err = ROGER_ERR_INIT;

	faultd_start(
		&f,
		"[" FD_OURS(
			12) "," FD_NONE "," FD_APP "," FD_QUEUE ","
			    "{'match':'GET /v2/events*','times':0,'sse':[" FD_ATTACHED
			    ",{'heartbeat':true}],'sse_end':'close'}]");
	ck_assert_msg(fd_watch(&f, &seen, true, 5000, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_ge(faultd_count(&f, "GET", "/v2/events"), 2);
	ck_assert_int_ge(seen.stream, 1);
	ck_assert_msg(strstr(seen.last_text, "event stream"), "%s",
		      seen.last_text);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_watch_stream_refused_polling_alone)
{
	struct faultd f;
	struct seen_notes seen;
	struct roger_err err = ROGER_ERR_INIT;

	faultd_start(
		&f,
		"[" FD_OURS(
			2) "," FD_NONE "," FD_APP "," FD_QUEUE ","
			   "{'match':'GET /v2/events*','times':0,'status':405,'html':true,"
			   "'message':'HTTP method GET is not supported by this URL'}]");
	ck_assert_msg(fd_watch(&f, &seen, true, 5000, &err) == 0, "%s",
		      err.msg);
	ck_assert_uint_eq(faultd_count(&f, "GET", "/v2/events"), 1);
	ck_assert_int_eq(seen.stream, 1);
	ck_assert_msg(strstr(seen.last_text, "watching by polling alone"), "%s",
		      seen.last_text);
	ck_assert_msg(strstr(seen.last_text, "405"), "%s", seen.last_text);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_watch_leader_election_503s)
{
	struct faultd f;
	struct seen_notes seen;
	struct roger_err err = ROGER_ERR_INIT;

	/* no leader for a moment: 503 (HTML, as Jetty), then the new leader */
	faultd_start(
		&f,
		"[{'match':'GET /v2/deployments','times':2,'status':503,'html':true}," FD_OURS(
			1) ","
			   "{'match':'GET /v2/apps/*','times':2,'status':502,'html':true,'message':'Could not determine the current leader'}," FD_NONE
			   "," FD_APP "," FD_QUEUE "]");
	ck_assert_msg(fd_watch(&f, &seen, false, 5000, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(seen.poll, 0);
	ck_assert_uint_ge(faultd_count(&f, "GET", "/v2/deployments"), 4);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_watch_unreachable_polls_end_the_watch)
{
	static const char *const rules[] = {
		/* reset at every try */
		"{'match':'GET /v2/apps/*','times':0,'reset':true}",
		/* slower than the client's timeout */
		"{'match':'GET /v2/apps/*','times':0,'delay':2,'json':{}}",
		/* cut in the middle of the body */
		"{'match':'GET /v2/apps/*','times':0,'close_after':10,'json':{'app':{'id':'/web/hello','tasks':[]}}}",
	};

	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
		struct faultd f;
		struct seen_notes seen;
		struct roger_err err = ROGER_ERR_INIT;
		char script[1024];

		snprintf(script, sizeof(script),
			 "[%s," FD_OURS(0) "," FD_QUEUE "]", rules[i]);
		faultd_start(&f, script);
		ck_assert_int_eq(fd_watch(&f, &seen, false, 500, &err),
				 ROGER_ENET);
		/* tolerated twice, with a note each time, then given up */
		ck_assert_int_eq(seen.poll, 2);
		ck_assert_msg(strstr(seen.last_text, "trying again"), "%s",
			      seen.last_text);
		ck_assert_msg(strstr(err.msg, "/v2/apps/web/hello"), "%s",
			      err.msg);
		if (i == 1)
			ck_assert_msg(strstr(err.msg, "timed out"), "%s",
				      err.msg);
		faultd_stop(&f);
	}
}
END_TEST

START_TEST(test_watch_refused_or_garbled_replies_end_the_watch_at_once)
{
	static const struct {
		const char *rule;
		int code;
		const char *says;
	} cases[] = {
		{ "{'match':'GET /v2/apps/*','times':0,'status':401,'html':true,'headers':{'WWW-Authenticate':'Basic realm=\\'Mesosphere\\''}}",
		  ROGER_EAUTH, "401" },
		{ "{'match':'GET /v2/apps/*','times':0,'status':403,'json':{'message':'Not Authorized to perform this action!'}}",
		  ROGER_EAUTH, "Not Authorized to perform this action!" },
		{ "{'match':'GET /v2/apps/*','times':0,'status':500,'html':true,'message':'Server Error'}",
		  ROGER_EHTTP, "500" },
		{ "{'match':'GET /v2/apps/*','times':0,'body':'{\\'app\\': {\\'id\\': \\'/web/hel','headers':{'Content-Type':'application/json'}}",
		  ROGER_EHTTP, "invalid JSON in the app" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct faultd f;
		struct seen_notes seen;
		struct roger_err err = ROGER_ERR_INIT;
		char script[1024];

		snprintf(script, sizeof(script),
			 "[%s," FD_OURS(0) "," FD_QUEUE "]", cases[i].rule);
		faultd_start(&f, script);
		ck_assert_int_eq(fd_watch(&f, &seen, false, 2000, &err),
				 cases[i].code);
		ck_assert_msg(strstr(err.msg, cases[i].says), "case %zu: %s", i,
			      err.msg);
		/* one try: retrying cannot change these */
		ck_assert_uint_eq(faultd_count(&f, "GET", "/v2/apps"), 1);
		ck_assert_int_eq(seen.poll, 0);
		faultd_stop(&f);
	}
}
END_TEST

/* ---- main ------------------------------------------------------------------ */

static Suite *deploy_suite(void)
{
	Suite *s = suite_create("deploy");
	TCase *tc = tcase_create("machine");

	tcase_add_test(tc, test_deploy_restart_with_health_checks_succeeds);
	tcase_add_test(tc,
		       test_deploy_scale_keeps_old_configuration_and_settles);
	tcase_add_test(tc, test_deploy_scale_down_and_to_zero);
	tcase_add_test(tc,
		       test_deploy_crash_loop_fails_after_three_distinct_tasks);
	tcase_add_test(tc,
		       test_deploy_polling_alone_counts_each_last_failure_once);
	tcase_add_test(tc, test_deploy_old_failures_do_not_count);
	tcase_add_test(tc, test_deploy_health_kill_event_fails_at_once);
	tcase_add_test(tc, test_deploy_health_failures_seen_by_polling);
	tcase_add_test(tc, test_deploy_backoff_past_the_timeout);
	tcase_add_test(tc, test_deploy_waiting_for_resources);
	tcase_add_test(tc, test_deploy_timeout);
	tcase_add_test(tc, test_deploy_deployment_failed_is_filtered_by_id);
	tcase_add_test(tc, test_deploy_vanished_deployment);
	tcase_add_test(tc,
		       test_deploy_crash_after_the_deployment_fails_the_settle);
	tcase_add_test(tc, test_deploy_remove);
	tcase_add_test(tc, test_deploy_any_version_for_a_revert);
	tcase_add_test(tc, test_deploy_recorded_event_stream);
	tcase_add_test(tc, test_deploy_recorded_app_shapes);
	tcase_add_test(tc, test_deploy_status_json);
	tcase_add_test(tc, test_deploy_default_timeout);
	tcase_add_test(tc, test_deploy_goal_checked);
	suite_add_tcase(s, tc);
	tc = tcase_create("local");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_watch_local_create_scale_restart_destroy);
	tcase_add_test(tc, test_watch_local_crash_loop_rollback);
	tcase_add_test(tc, test_watch_local_crash_loop_polling_alone);
	tcase_add_test(tc, test_watch_local_never_healthy);
	tcase_add_test(tc, test_watch_local_slow_times_out_or_is_interrupted);
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_watch_stream_silent_then_reconnected);
	tcase_add_test(tc, test_watch_stream_dropped_then_reconnected);
	tcase_add_test(tc, test_watch_stream_refused_polling_alone);
	tcase_add_test(tc, test_watch_leader_election_503s);
	tcase_add_test(tc, test_watch_unreachable_polls_end_the_watch);
	tcase_add_test(
		tc,
		test_watch_refused_or_garbled_replies_end_the_watch_at_once);
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
