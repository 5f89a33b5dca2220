/*
 * check_marathon.c - unit tests of the marathon module: request builders,
 * the parsers on every Marathon fixture (1.4, 1.5 and 1.10 shapes), error
 * mapping, the SSE parser fed in every chunking, and the client over canned
 * replies and over loopback against tests/faultd.py.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/roger.h"
#include "lib/http.h"
#include "lib/marathon.h"
#include "lib/marathon-defaults.h"
#include "fake_http.h"
#include "faultd.h"

/* ---- helpers ------------------------------------------------------------- */

static char *fixture_path(const char *name)
{
	static char path[1024];
	const char *src = getenv("TEST_SRCDIR");

	snprintf(path, sizeof(path), "%s/fixtures/%s",
		 src && *src ? src : "tests", name);
	return path;
}

/* The bytes of a fixture (the buffer is the caller's). */
static struct roger_buf fixture(const char *name)
{
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_fs_read_file(&b, fixture_path(name), &err) == 0,
		      "%s", err.msg);
	return b;
}

static void assert_one_line(const char *msg)
{
	ck_assert_msg(*msg, "empty message");
	ck_assert_msg(!strchr(msg, '\n') && !strchr(msg, '\r'),
		      "message is not one line: %s", msg);
}

/* ---- identifiers --------------------------------------------------------- */

START_TEST(test_marathon_id_rules)
{
	static const char *const good[] = { "/web/hello", "/a.b/c-d", "/x",
					    "/a1/b2/c3", "/my.app-1" };
	static const char *const bad[] = {
		"web",  "/",          "/Web",     "/a//b",      "/a/",
		"/-a",  "/a-",        "/a/tasks", "/a/.",       "/a/../b",
		"/a_b", "/a/restart", "/a.",      "/a/versions"
	};
	struct roger_err err = ROGER_ERR_INIT;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		ck_assert_msg(roger_marathon_id_check(good[i], &err) == 0,
			      "%s: %s", good[i], err.msg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		roger_err_clear(&err);
		ck_assert_msg(roger_marathon_id_check(bad[i], &err) ==
				      ROGER_EINVALID,
			      "%s accepted", bad[i]);
		ck_assert_msg(strstr(err.msg, "invalid app id '"), "%s",
			      err.msg);
		assert_one_line(err.msg);
	}
	roger_marathon_id_check("/web/Hello", &err);
	ck_assert_str_eq(
		err.msg,
		"invalid app id '/web/Hello': segment 'Hello' must be lower-case letters, digits and '-' (not at either end), in labels separated by '.'");
	roger_marathon_id_check("/web/tasks", &err);
	ck_assert_str_eq(
		err.msg,
		"invalid app id '/web/tasks': the last segment must not be 'tasks'");
}
END_TEST

START_TEST(test_marathon_task_ids_both_formats)
{
	char *inst = NULL;
	char shortname[32];
	struct roger_err err = ROGER_ERR_INIT;

	/* up to 1.7 */
	ck_assert_int_eq(
		roger_marathon_task_instance_id(
			&inst,
			"nginx-green.01da9a15-68a7-11e7-a229-e6a514ca0c21",
			&err),
		0);
	ck_assert_str_eq(
		inst,
		"nginx-green.marathon-01da9a15-68a7-11e7-a229-e6a514ca0c21");
	free(inst);
	roger_marathon_task_short_name(
		shortname, sizeof(shortname),
		"nginx-green.01da9a15-68a7-11e7-a229-e6a514ca0c21");
	ck_assert_str_eq(shortname, "01da9a15");
	/* an app id with dots in it */
	ck_assert_int_eq(roger_marathon_task_instance_id(
				 &inst,
				 "my.app.01da9a15-68a7-11e7-a229-e6a514ca0c21",
				 &err),
			 0);
	ck_assert_str_eq(
		inst, "my.app.marathon-01da9a15-68a7-11e7-a229-e6a514ca0c21");
	free(inst);
	/* 1.8+ */
	ck_assert_int_eq(
		roger_marathon_task_instance_id(
			&inst,
			"my_app.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6._app.1",
			&err),
		0);
	ck_assert_str_eq(
		inst, "my_app.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6");
	free(inst);
	roger_marathon_task_short_name(
		shortname, sizeof(shortname),
		"my_app.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6._app.1");
	ck_assert_str_eq(shortname, "b6ff5fa5");
	roger_marathon_task_short_name(
		shortname, sizeof(shortname),
		"my_app.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6._app.12");
	ck_assert_str_eq(shortname, "b6ff5fa5.12");
	/* an instance id is its own instance */
	ck_assert_int_eq(
		roger_marathon_task_instance_id(
			&inst,
			"nginx-green.marathon-01da9a15-68a7-11e7-a229-e6a514ca0c21",
			&err),
		0);
	ck_assert_str_eq(
		inst,
		"nginx-green.marathon-01da9a15-68a7-11e7-a229-e6a514ca0c21");
	free(inst);
	/* neither */
	ck_assert_int_eq(roger_marathon_task_instance_id(&inst, "foo", &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "unexpected task id 'foo'");
	roger_marathon_task_short_name(shortname, sizeof(shortname), "foo");
	ck_assert_str_eq(shortname, "foo");
}
END_TEST

START_TEST(test_marathon_time_parse_refuses_and_keeps_out)
{
	int64_t ms = 42;

	ck_assert(roger_marathon_time_parse(&ms, "2014-03-01T23:42:20.938Z"));
	ck_assert_int_eq(ms, 1393717340938LL);
	ms = 42;
	ck_assert(!roger_marathon_time_parse(&ms, NULL));
	ck_assert(!roger_marathon_time_parse(&ms, ""));
	ck_assert(!roger_marathon_time_parse(&ms, "2014-03-01T23:42:20.Z"));
	ck_assert(!roger_marathon_time_parse(
		&ms, "2014-03-01T23:42:20.1234567890Z"));
	ck_assert(!roger_marathon_time_parse(&ms,
					     "2014-03-01T23:42:20.938+0000"));
	ck_assert(!roger_marathon_time_parse(&ms, "2014-3-1T23:42:20Z"));
	ck_assert_int_eq(ms, 42);
}
END_TEST

/* ---- builders ------------------------------------------------------------ */

static void check_req(const struct roger_marathon_req *r, const char *method,
		      const char *path, const char *body, int idempotent)
{
	struct roger_http_req h;

	ck_assert_str_eq(r->method, method);
	ck_assert_str_eq(r->path, path);
	if (body)
		ck_assert_str_eq(r->body, body);
	else
		ck_assert_ptr_null(r->body);
	roger_marathon_req_http(r, &h);
	ck_assert_str_eq(h.url, path);
	ck_assert_int_eq(h.idempotent, idempotent);
	if (body) {
		ck_assert_str_eq(h.content_type, "application/json");
		ck_assert_uint_eq(h.body_len, strlen(body));
	} else {
		ck_assert_ptr_null(h.content_type);
	}
}

START_TEST(test_marathon_request_builders)
{
	struct roger_marathon_req r = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	json_t *app =
		json_pack("{s:s,s:f}", "cmd", "node index.js", "cpus", 0.25);
	static const char *const types[] = { "deployment_success",
					     "status_update_event" };

	ck_assert_int_eq(roger_marathon_req_get_app(&r, "/web/hello",
						    ROGER_MARATHON_EMBED_ALL,
						    &err),
			 0);
	check_req(
		&r, "GET",
		"/v2/apps/web/hello?embed=app.tasks&embed=app.lastTaskFailure&embed=app.deployments&embed=app.counts&embed=app.readiness",
		NULL, ROGER_HTTP_IDEMPOTENT_AUTO);
	ck_assert_str_eq(r.accept, "application/json");
	roger_marathon_req_release(&r);

	ck_assert_int_eq(roger_marathon_req_get_app(&r, "/web/hello", 0, &err),
			 0);
	check_req(&r, "GET", "/v2/apps/web/hello", NULL, 0);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(
		roger_marathon_req_list_apps(&r, "/web", "env==prod,tier!=fe",
					     ROGER_MARATHON_EMBED_TASKS, &err),
		0);
	check_req(
		&r, "GET",
		"/v2/apps?id=%2Fweb&label=env%3D%3Dprod%2Ctier%21%3Dfe&embed=apps.tasks",
		NULL, 0);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(roger_marathon_req_put_app(
				 &r, "/web/hello", app,
				 ROGER_MARATHON_FORCE | ROGER_MARATHON_REPLACE,
				 &err),
			 0);
	check_req(&r, "PUT",
		  "/v2/apps/web/hello?force=true&partialUpdate=false",
		  "{\"cmd\":\"node index.js\",\"cpus\":0.25}",
		  ROGER_HTTP_IDEMPOTENT_YES);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(
		roger_marathon_req_put_app(&r, "/web/hello", app, 0, &err), 0);
	check_req(&r, "PUT", "/v2/apps/web/hello",
		  "{\"cmd\":\"node index.js\",\"cpus\":0.25}",
		  ROGER_HTTP_IDEMPOTENT_YES);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(roger_marathon_req_patch_app(&r, "/web/hello", app,
						      ROGER_MARATHON_REPLACE,
						      &err),
			 0);
	check_req(&r, "PATCH", "/v2/apps/web/hello",
		  "{\"cmd\":\"node index.js\",\"cpus\":0.25}",
		  ROGER_HTTP_IDEMPOTENT_YES);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(
		roger_marathon_req_scale_app(&r, "/web/hello", 3, 0, &err), 0);
	check_req(&r, "PUT", "/v2/apps/web/hello", "{\"instances\":3}",
		  ROGER_HTTP_IDEMPOTENT_YES);
	roger_marathon_req_release(&r);
	ck_assert_int_eq(
		roger_marathon_req_scale_app(&r, "/web/hello", -1, 0, &err),
		ROGER_EINVALID);

	ck_assert_int_eq(roger_marathon_req_rollback_app(
				 &r, "/web/hello", "2014-03-01T23:17:50.295Z",
				 ROGER_MARATHON_FORCE, &err),
			 0);
	check_req(&r, "PUT", "/v2/apps/web/hello?force=true",
		  "{\"version\":\"2014-03-01T23:17:50.295Z\"}",
		  ROGER_HTTP_IDEMPOTENT_YES);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(
		roger_marathon_req_delete_app(&r, "/web/hello", 0, &err), 0);
	check_req(&r, "DELETE", "/v2/apps/web/hello?force=false", NULL, 0);
	roger_marathon_req_release(&r);
	ck_assert_int_eq(roger_marathon_req_delete_app(
				 &r, "/web/hello", ROGER_MARATHON_FORCE, &err),
			 0);
	check_req(&r, "DELETE", "/v2/apps/web/hello?force=true", NULL, 0);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(
		roger_marathon_req_restart_app(&r, "/web/hello", 0, &err), 0);
	check_req(&r, "POST", "/v2/apps/web/hello/restart", NULL,
		  ROGER_HTTP_IDEMPOTENT_NO);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(roger_marathon_req_app_tasks(&r, "/web/hello", &err),
			 0);
	check_req(&r, "GET", "/v2/apps/web/hello/tasks", NULL, 0);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(
		roger_marathon_req_kill_tasks(&r, "/web/hello", "10.0.0.1",
					      ROGER_MARATHON_SCALE, &err),
		0);
	check_req(&r, "DELETE",
		  "/v2/apps/web/hello/tasks?host=10.0.0.1&scale=true", NULL,
		  ROGER_HTTP_IDEMPOTENT_NO);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(
		roger_marathon_req_kill_task(
			&r, "/web/hello",
			"web_hello.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6._app.1",
			ROGER_MARATHON_WIPE, &err),
		0);
	check_req(
		&r, "DELETE",
		"/v2/apps/web/hello/tasks/web_hello.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6._app.1?wipe=true",
		NULL, ROGER_HTTP_IDEMPOTENT_NO);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(
		roger_marathon_req_app_versions(&r, "/web/hello", &err), 0);
	check_req(&r, "GET", "/v2/apps/web/hello/versions", NULL, 0);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(
		roger_marathon_req_app_version(
			&r, "/web/hello", "2014-03-01T23:42:20.938Z", &err),
		0);
	check_req(&r, "GET",
		  "/v2/apps/web/hello/versions/2014-03-01T23%3A42%3A20.938Z",
		  NULL, 0);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(roger_marathon_req_deployments(&r, &err), 0);
	check_req(&r, "GET", "/v2/deployments", NULL, 0);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(
		roger_marathon_req_cancel_deployment(
			&r, "97c136bf-5a28-4821-9d94-480d9fbb01c8", 0, &err),
		0);
	check_req(&r, "DELETE",
		  "/v2/deployments/97c136bf-5a28-4821-9d94-480d9fbb01c8", NULL,
		  ROGER_HTTP_IDEMPOTENT_NO);
	roger_marathon_req_release(&r);
	ck_assert_int_eq(roger_marathon_req_cancel_deployment(
				 &r, "97c136bf", ROGER_MARATHON_FORCE, &err),
			 0);
	check_req(&r, "DELETE", "/v2/deployments/97c136bf?force=true", NULL,
		  ROGER_HTTP_IDEMPOTENT_NO);
	roger_marathon_req_release(&r);

	ck_assert_int_eq(roger_marathon_req_queue(&r, &err), 0);
	check_req(&r, "GET", "/v2/queue", NULL, 0);
	roger_marathon_req_release(&r);
	ck_assert_int_eq(roger_marathon_req_info(&r, &err), 0);
	check_req(&r, "GET", "/v2/info", NULL, 0);
	roger_marathon_req_release(&r);
	ck_assert_int_eq(roger_marathon_req_leader(&r, &err), 0);
	check_req(&r, "GET", "/v2/leader", NULL, 0);
	roger_marathon_req_release(&r);
	ck_assert_int_eq(roger_marathon_req_ping(&r, &err), 0);
	check_req(&r, "GET", "/ping", NULL, 0);
	ck_assert_str_eq(r.accept, "text/plain");
	roger_marathon_req_release(&r);

	ck_assert_int_eq(roger_marathon_req_events(&r, types, 2, &err), 0);
	check_req(
		&r, "GET",
		"/v2/events?event_type=deployment_success&event_type=status_update_event&plan-format=light",
		NULL, 0);
	ck_assert_str_eq(r.accept, "text/event-stream");
	roger_marathon_req_release(&r);
	ck_assert_int_eq(roger_marathon_req_events(&r, NULL, 0, &err), 0);
	ck_assert_str_eq(r.path, "/v2/events?plan-format=light");
	roger_marathon_req_release(&r);

	/* a bad id never becomes a request */
	ck_assert_int_eq(roger_marathon_req_get_app(&r, "/Web", 0, &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(r.path);
	ck_assert_int_eq(roger_marathon_req_put_app(&r, "web", app, 0, &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(
		roger_marathon_req_put_app(&r, "/web", json_null(), 0, &err),
		ROGER_EINVALID);
	json_decref(app);
}
END_TEST

/* ---- parsers ------------------------------------------------------------- */

static struct roger_marathon_app *parse_app_fixture(const char *name)
{
	struct roger_buf b = fixture(name);
	struct roger_marathon_app *app = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_marathon_app_parse(&app, b.buf, b.len, &err) == 0,
		      "%s: %s", name, err.msg);
	roger_buf_release(&b);
	return app;
}

START_TEST(test_marathon_parse_app_1_5)
{
	struct roger_marathon_app *app =
		parse_app_fixture("marathon-get-app.json");
	const struct roger_marathon_task *t;

	ck_assert_str_eq(app->id, "/nginx-green");
	ck_assert_str_eq(app->version, "2017-07-14T15:13:34.402Z");
	ck_assert_str_eq(app->last_config_change_at,
			 "2017-07-14T15:13:34.402Z");
	ck_assert_str_eq(app->last_scaling_at, "2017-07-14T15:13:34.402Z");
	ck_assert_ptr_null(app->cmd);
	ck_assert_int_eq(app->instances, 3);
	ck_assert(app->cpus > 0.09 && app->cpus < 0.11);
	ck_assert_int_eq((int)app->mem, 65);
	ck_assert_int_eq(app->tasks_staged, 0);
	ck_assert_int_eq(app->tasks_running, 3);
	ck_assert_int_eq(app->tasks_healthy, 3);
	ck_assert_int_eq(app->tasks_unhealthy, 0);
	ck_assert_uint_eq(app->n_deployments, 0);
	ck_assert_uint_eq(app->n_health_checks, 1);
	ck_assert(!app->has_last_task_failure);
	ck_assert_uint_eq(app->n_service_ports, 1);
	ck_assert_int_eq(app->service_ports[0], 10000);
	ck_assert_str_eq(roger_marathon_app_label(app, "HAPROXY_GROUP"),
			 "external");
	ck_assert_ptr_null(roger_marathon_app_label(app, "ROGER_COMMIT"));
	ck_assert_uint_eq(app->n_tasks, 3);
	t = &app->tasks[0];
	ck_assert_str_eq(t->id,
			 "nginx-green.01da9a15-68a7-11e7-a229-e6a514ca0c21");
	ck_assert_str_eq(t->app_id, "/nginx-green");
	ck_assert_str_eq(t->host, "10.0.3.60");
	ck_assert_str_eq(t->slave_id,
			 "c28a2184-c702-482c-91c8-5af9318434d4-S0");
	ck_assert_str_eq(t->state, "TASK_RUNNING");
	ck_assert_str_eq(t->staged_at, "2017-07-14T15:13:35.804Z");
	ck_assert_str_eq(t->started_at, "2017-07-14T15:13:58.326Z");
	ck_assert_str_eq(t->version, "2017-07-14T15:13:34.402Z");
	ck_assert_uint_eq(t->n_ports, 1);
	ck_assert_int_eq(t->ports[0], 26281);
	ck_assert_uint_eq(t->n_ip_addresses, 1);
	ck_assert_str_eq(t->ip_addresses[0], "172.17.0.2");
	ck_assert_uint_eq(t->n_health, 1);
	ck_assert(t->health[0].alive);
	ck_assert_ptr_null(t->health[0].last_failure_cause);
	ck_assert_int_eq(roger_marathon_task_health(t),
			 ROGER_MARATHON_HEALTH_HEALTHY);
	/* the instance id of a health result is the task's instance */
	{
		char *inst = NULL;

		ck_assert_int_eq(
			roger_marathon_task_instance_id(&inst, t->id, NULL), 0);
		ck_assert_str_eq(inst, t->health[0].instance_id);
		free(inst);
	}
	roger_marathon_app_free(app);
	roger_marathon_app_free(NULL);
}
END_TEST

START_TEST(test_marathon_parse_apps_1_5_omitted_fields)
{
	struct roger_buf b = fixture("marathon-get-apps-1.5.json");
	struct roger_marathon_apps *apps = NULL;
	const struct roger_marathon_app *app;

	ck_assert_int_eq(roger_marathon_apps_parse(&apps, b.buf, b.len, NULL),
			 0);
	ck_assert_uint_eq(apps->n, 1);
	app = &apps->items[0];
	ck_assert_str_eq(app->id, "/pywebserver");
	ck_assert_ptr_nonnull(strstr(app->cmd, "python -m http.server 80"));
	ck_assert_uint_eq(app->n_health_checks, 0);
	ck_assert_int_eq(app->tasks_healthy, 0);
	ck_assert_uint_eq(app->n_service_ports, 1);
	ck_assert_int_eq(app->service_ports[0], 10101);
	ck_assert_uint_eq(app->n_tasks, 1);
	/* no healthCheckResults key at all (1.5, no health checks) */
	ck_assert_uint_eq(app->tasks[0].n_health, 0);
	ck_assert_int_eq(roger_marathon_task_health(&app->tasks[0]),
			 ROGER_MARATHON_HEALTH_UNKNOWN);
	ck_assert_str_eq(app->tasks[0].slave_id,
			 "db7b40e2-791c-445f-b373-183e2a648a86-S1");
	roger_marathon_apps_free(apps);
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_marathon_parse_apps_1_4_nulls_and_legacy)
{
	struct roger_buf b = fixture("marathon-get-apps-legacy-0.15.json");
	struct roger_marathon_apps *apps = NULL;
	const struct roger_marathon_app *app;
	const struct roger_marathon_task *t;

	ck_assert_int_eq(roger_marathon_apps_parse(&apps, b.buf, b.len, NULL),
			 0);
	ck_assert_uint_eq(apps->n, 1);
	app = &apps->items[0];
	ck_assert_str_eq(app->id, "/nginx-blue");
	ck_assert_ptr_null(app->cmd); /* "cmd": null */
	ck_assert_uint_eq(app->n_health_checks, 1);
	/* 1.4: docker portMappings carry the service port */
	ck_assert_uint_eq(app->n_service_ports, 1);
	ck_assert_int_eq(app->service_ports[0], 10001);
	t = &app->tasks[0];
	ck_assert_ptr_null(t->state); /* absent in this shape */
	ck_assert_str_eq(t->slave_id,
			 "1f09399d-0cb0-4484-afd7-f08e99d2acbb-S3");
	ck_assert_uint_eq(t->n_health, 1);
	/* before 1.4 the health result named a taskId */
	ck_assert_str_eq(t->health[0].instance_id,
			 "nginx-blue.3a58a46a-c937-11e5-9836-026ee08d9f6f");
	ck_assert_int_eq(roger_marathon_task_health(t),
			 ROGER_MARATHON_HEALTH_HEALTHY);
	roger_marathon_apps_free(apps);
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_marathon_parse_app_post_201_bare)
{
	struct roger_marathon_app *app =
		parse_app_fixture("marathon-post-app-201.json");

	ck_assert_str_eq(app->id, "/product/web");
	ck_assert_ptr_null(app->last_config_change_at); /* no versionInfo */
	ck_assert_uint_eq(app->n_deployments, 1);
	ck_assert_str_eq(app->deployments[0],
			 "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43");
	ck_assert_uint_eq(app->n_tasks, 0);
	ck_assert_int_eq(app->instances, 2);
	ck_assert_uint_eq(app->n_service_ports, 1);
	ck_assert_int_eq(app->service_ports[0], 0);
	roger_marathon_app_free(app);
}
END_TEST

START_TEST(test_marathon_parse_app_edge_shapes)
{
	static const char *const bodies[] = {
		/* 1.4 nulls everywhere */
		"{\"app\":{\"id\":\"/a\",\"cmd\":null,\"tasks\":null,\"deployments\":null,\"versionInfo\":null,\"lastTaskFailure\":null,\"labels\":null,\"healthChecks\":null,\"ports\":null,\"instances\":null}}",
		/* nothing but the id */
		"{\"id\":\"/a\"}",
		/* wrong types read as absent */
		"{\"app\":{\"id\":\"/a\",\"tasks\":[1,\"x\",{\"id\":7,\"ports\":[\"80\",81],\"healthCheckResults\":[null,{\"alive\":\"yes\"}]}],\"deployments\":[{\"id\":null},{}],\"instances\":\"3\"}}",
	};
	struct roger_marathon_app *app = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
		ck_assert_msg(roger_marathon_app_parse(&app, bodies[i],
						       strlen(bodies[i]),
						       &err) == 0,
			      "%zu: %s", i, err.msg);
		ck_assert_str_eq(app->id, "/a");
		ck_assert_int_eq(app->instances, 0);
		ck_assert_uint_eq(app->n_deployments, 0);
		ck_assert(!app->has_last_task_failure);
		ck_assert_ptr_null(roger_marathon_app_label(app, "x"));
		if (i == 2) {
			ck_assert_uint_eq(app->n_tasks, 1);
			ck_assert_ptr_null(app->tasks[0].id);
			ck_assert_uint_eq(app->tasks[0].n_ports, 1);
			ck_assert_int_eq(app->tasks[0].ports[0], 81);
			ck_assert_uint_eq(app->tasks[0].n_health, 1);
			ck_assert(!app->tasks[0].health[0].alive);
		} else {
			ck_assert_uint_eq(app->n_tasks, 0);
		}
		roger_marathon_app_free(app);
	}
	/* a last task failure */
	{
		const char *body =
			"{\"app\":{\"id\":\"/a\",\"lastTaskFailure\":{\"appId\":\"/a\",\"host\":\"h1\",\"message\":\"Command exited with status 1\",\"state\":\"TASK_FAILED\",\"taskId\":\"a.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6._app.1\",\"timestamp\":\"2021-03-04T10:11:12.345Z\",\"version\":\"2021-03-04T10:00:00.000Z\",\"slaveId\":\"s1\"}}}";

		ck_assert_int_eq(roger_marathon_app_parse(&app, body,
							  strlen(body), &err),
				 0);
		ck_assert(app->has_last_task_failure);
		ck_assert_str_eq(app->last_task_failure.state, "TASK_FAILED");
		ck_assert_str_eq(app->last_task_failure.message,
				 "Command exited with status 1");
		ck_assert_str_eq(app->last_task_failure.slave_id, "s1");
		ck_assert_str_eq(app->last_task_failure.host, "h1");
		roger_marathon_app_free(app);
	}
}
END_TEST

START_TEST(test_marathon_parse_app_timing)
{
	struct roger_marathon_app *app =
		parse_app_fixture("marathon-get-app.json");
	const char *bare =
		"{\"id\":\"/a\",\"healthChecks\":[7,{\"protocol\":\"TCP\"},{\"gracePeriodSeconds\":2,\"intervalSeconds\":1,\"timeoutSeconds\":1,\"maxConsecutiveFailures\":0}],\"upgradeStrategy\":{\"minimumHealthCapacity\":0.5,\"maximumOverCapacity\":0},\"backoffSeconds\":0.5,\"backoffFactor\":2,\"maxLaunchDelaySeconds\":10}";

	/* a recorded 1.5 app: MESOS_HTTP check, default strategy, 1.7 max delay
	 */
	ck_assert_uint_eq(app->n_health_checks, 1);
	ck_assert_str_eq(app->health_checks[0].protocol, "MESOS_HTTP");
	ck_assert_int_eq(app->health_checks[0].grace_period_seconds, 15);
	ck_assert_int_eq(app->health_checks[0].interval_seconds, 3);
	ck_assert_int_eq(app->health_checks[0].timeout_seconds, 15);
	ck_assert_int_eq(app->health_checks[0].max_consecutive_failures, 10);
	ck_assert(app->minimum_health_capacity == 1);
	ck_assert(app->maximum_over_capacity == 1);
	ck_assert(app->backoff_seconds == 1);
	ck_assert(app->backoff_factor > 1.149 && app->backoff_factor < 1.151);
	ck_assert(app->max_launch_delay_seconds == 3600);
	roger_marathon_app_free(app);

	/* Marathon's defaults for what a definition leaves out */
	ck_assert_int_eq(
		roger_marathon_app_parse(&app, "{\"id\":\"/a\"}", 11, NULL), 0);
	ck_assert_uint_eq(app->n_health_checks, 0);
	ck_assert(app->minimum_health_capacity == 1);
	ck_assert(app->maximum_over_capacity == 1);
	ck_assert(app->backoff_seconds == 1);
	ck_assert(app->max_launch_delay_seconds == 300);
	roger_marathon_app_free(app);

	/* a rendered definition: partial checks, a non-object skipped */
	ck_assert_int_eq(
		roger_marathon_app_parse(&app, bare, strlen(bare), NULL), 0);
	ck_assert_uint_eq(app->n_health_checks, 2);
	ck_assert_str_eq(app->health_checks[0].protocol, "TCP");
	ck_assert_int_eq(app->health_checks[0].grace_period_seconds, 300);
	ck_assert_int_eq(app->health_checks[0].interval_seconds, 60);
	ck_assert_int_eq(app->health_checks[0].timeout_seconds, 20);
	ck_assert_int_eq(app->health_checks[0].max_consecutive_failures, 3);
	ck_assert_str_eq(app->health_checks[1].protocol, "HTTP");
	ck_assert_int_eq(app->health_checks[1].grace_period_seconds, 2);
	ck_assert_int_eq(app->health_checks[1].max_consecutive_failures, 0);
	ck_assert(app->minimum_health_capacity == 0.5);
	ck_assert(app->maximum_over_capacity == 0);
	ck_assert(app->backoff_seconds == 0.5);
	ck_assert(app->backoff_factor == 2);
	ck_assert(app->max_launch_delay_seconds == 10);
	roger_marathon_app_free(app);
}
END_TEST

/* Every default of the one table reads back as JSON, each path once. */
START_TEST(test_marathon_defaults_table)
{
	ck_assert_ptr_null(roger_marathon_default_json(ROGER_MD_NONE));
	for (int d = ROGER_MD_NONE + 1; d < ROGER_MD_COUNT_; d++) {
		const char *json = roger_marathon_default_json(d);
		const char *path = roger_marathon_default_path(d);

		ck_assert_ptr_nonnull(json);
		ck_assert_ptr_nonnull(path);
		for (int e = ROGER_MD_NONE + 1; e < d; e++)
			ck_assert_str_ne(roger_marathon_default_path(e), path);
		while (*json) {
			size_t len = strcspn(json, "|");
			char *one = strndup(json, len);
			json_t *v = json_loads(one, JSON_DECODE_ANY, NULL);

			ck_assert_msg(v != NULL, "%s: '%s' is no JSON", path,
				      one);
			json_decref(v);
			free(one);
			json += len + (json[len] == '|');
		}
	}
	ck_assert_str_eq(roger_marathon_default_string(ROGER_MD_HC_PROTOCOL),
			 "HTTP");
	ck_assert_str_eq(roger_marathon_default_json(ROGER_MD_HC_PROTOCOL),
			 "\"HTTP\"");
	/* where versions differ, the newest Marathon's value comes first */
	ck_assert(roger_marathon_default_number(ROGER_MD_MAX_LAUNCH_DELAY) ==
		  300);
	ck_assert_str_eq(roger_marathon_default_json(ROGER_MD_MAX_LAUNCH_DELAY),
			 "300|3600");
}
END_TEST

START_TEST(test_marathon_parse_bad_bodies)
{
	struct roger_marathon_app *app = NULL;
	struct roger_marathon_apps *apps = NULL;
	struct roger_marathon_deployments *deps = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	const char *trunc = "{\"app\":{\"id\":\"/a\",\"tasks\":[{\"id\":\"a.1";

	ck_assert_int_eq(
		roger_marathon_app_parse(&app, trunc, strlen(trunc), &err),
		ROGER_EHTTP);
	ck_assert_msg(!strncmp(err.msg, "invalid JSON in the app: ", 25), "%s",
		      err.msg);
	assert_one_line(err.msg);
	ck_assert_int_eq(roger_marathon_app_parse(&app, "", 0, &err),
			 ROGER_EHTTP);
	ck_assert_int_eq(roger_marathon_app_parse(&app, "[1]", 3, &err),
			 ROGER_EHTTP);
	ck_assert_str_eq(err.msg,
			 "unexpected JSON in the app: expected an object");
	ck_assert_int_eq(
		roger_marathon_app_parse(&app, "{\"app\":{}}", 10, &err),
		ROGER_EHTTP);
	ck_assert_str_eq(err.msg, "unexpected JSON in the app: no \"id\"");
	ck_assert_int_eq(roger_marathon_app_parse(
				 &app, "<html><title>Error 502</title></html>",
				 37, &err),
			 ROGER_EHTTP);
	assert_one_line(err.msg);
	ck_assert_int_eq(roger_marathon_apps_parse(&apps, "{}", 2, &err),
			 ROGER_EHTTP);
	ck_assert_int_eq(roger_marathon_deployments_parse(&deps, "{}", 2, &err),
			 ROGER_EHTTP);
	ck_assert_str_eq(
		err.msg,
		"unexpected JSON in the deployment list: expected an array");
	ck_assert_ptr_null(app);
	ck_assert_ptr_null(apps);
	ck_assert_ptr_null(deps);
}
END_TEST

START_TEST(test_marathon_parse_tasks_all_shapes)
{
	static const char *const files[] = { "marathon-app-tasks.json",
					     "marathon-kill-tasks-1.10.json",
					     "marathon-tasks.json" };
	static const size_t counts[] = { 3, 2, 2 };
	struct roger_marathon_tasks *tasks = NULL;

	for (size_t i = 0; i < 3; i++) {
		struct roger_buf b = fixture(files[i]);

		ck_assert_int_eq(
			roger_marathon_tasks_parse(&tasks, b.buf, b.len, NULL),
			0);
		ck_assert_uint_eq(tasks->n, counts[i]);
		for (size_t j = 0; j < tasks->n; j++) {
			ck_assert_ptr_nonnull(tasks->items[j].id);
			ck_assert_ptr_nonnull(tasks->items[j].slave_id);
			ck_assert_ptr_nonnull(tasks->items[j].app_id);
		}
		if (i == 1) {
			const struct roger_marathon_task *t = &tasks->items[0];

			/* 1.10: new ids, empty arrays present, staging */
			ck_assert_str_eq(
				t->id,
				"my_app.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6._app.1");
			ck_assert_str_eq(t->state, "TASK_STAGING");
			ck_assert_ptr_null(t->started_at);
			ck_assert_uint_eq(t->n_ports, 0);
			ck_assert_uint_eq(t->n_health, 0);
			ck_assert_str_eq(t->slave_id, "agent-1");
		}
		if (i == 2)
			ck_assert_str_eq(tasks->items[1].app_id,
					 "/tools/docker/registry");
		roger_marathon_tasks_free(tasks);
		roger_buf_release(&b);
	}
	/* the single task of a DELETE .../tasks/{id} */
	ck_assert_int_eq(roger_marathon_tasks_parse(
				 &tasks,
				 "{\"task\":{\"id\":\"a.1\",\"host\":\"h\"}}",
				 32, NULL),
			 0);
	ck_assert_uint_eq(tasks->n, 1);
	ck_assert_str_eq(tasks->items[0].host, "h");
	roger_marathon_tasks_free(tasks);
}
END_TEST

/*
 * Numbers that do not fit where an int goes read as absent: fuzzing found
 * (int)2.23e10 of a task's port, which C leaves undefined (UBSan aborts;
 * x86 made it INT_MIN).
 */
START_TEST(test_marathon_parse_numbers_out_of_range)
{
	static const char tasks_body[] =
		"{\"tasks\":[{\"id\":\"a.1\",\"ports\":[2.23e10,8080,-1,1.5,70000,31000.0]}]}";
	static const char app_body[] =
		"{\"app\":{\"id\":\"/a\",\"instances\":1e308,\"tasksRunning\":-2.5e10,"
		"\"tasksHealthy\":3,\"portDefinitions\":[{\"port\":1e19},{\"port\":10001}],"
		"\"upgradeStrategy\":{\"minimumHealthCapacity\":-1e308,\"maximumOverCapacity\":1e308},"
		"\"healthChecks\":[{\"intervalSeconds\":1e300,\"timeoutSeconds\":-3e9,"
		"\"gracePeriodSeconds\":7.5,\"maxConsecutiveFailures\":2147483647}]}}";
	struct roger_marathon_tasks *tasks = NULL;
	struct roger_marathon_app *app = NULL;
	const struct roger_marathon_health_check *hc;

	ck_assert_int_eq(roger_marathon_tasks_parse(&tasks, tasks_body,
						    strlen(tasks_body), NULL),
			 0);
	ck_assert_uint_eq(tasks->n, 1);
	ck_assert_uint_eq(tasks->items[0].n_ports, 2);
	ck_assert_int_eq(tasks->items[0].ports[0], 8080);
	ck_assert_int_eq(tasks->items[0].ports[1], 31000);
	roger_marathon_tasks_free(tasks);

	ck_assert_int_eq(roger_marathon_app_parse(&app, app_body,
						  strlen(app_body), NULL),
			 0);
	ck_assert_int_eq(app->instances, 0);
	ck_assert_int_eq(app->tasks_running, 0);
	ck_assert_int_eq(app->tasks_healthy, 3);
	ck_assert_uint_eq(app->n_service_ports, 1);
	ck_assert_int_eq(app->service_ports[0], 10001);
	ck_assert(app->minimum_health_capacity == 1);
	ck_assert(app->maximum_over_capacity == 1);
	ck_assert_uint_eq(app->n_health_checks, 1);
	hc = &app->health_checks[0];
	ck_assert_int_eq(hc->interval_seconds, 60);
	ck_assert_int_eq(hc->timeout_seconds, 20);
	ck_assert_int_eq(hc->grace_period_seconds, 300);
	ck_assert_int_eq(hc->max_consecutive_failures, 2147483647);
	roger_marathon_app_free(app);
}
END_TEST

START_TEST(test_marathon_parse_versions_sorted)
{
	struct roger_buf b = fixture("marathon-app-versions.json");
	struct roger_marathon_versions *v = NULL;
	const char *body =
		"{\"versions\":[\"2021-03-04T10:11:12.345Z\",\"2023-01-01T00:00:00.000Z\",\"2019-12-31T23:59:59.999Z\",\"2021-03-04T10:11:12.346Z\"]}";

	ck_assert_int_eq(roger_marathon_versions_parse(&v, b.buf, b.len, NULL),
			 0);
	ck_assert_uint_eq(v->n, 1);
	ck_assert_str_eq(v->items[0], "2014-03-01T23:42:20.938Z");
	roger_marathon_versions_free(v);
	ck_assert_int_eq(
		roger_marathon_versions_parse(&v, body, strlen(body), NULL), 0);
	ck_assert_uint_eq(v->n, 4);
	ck_assert_str_eq(v->items[0], "2023-01-01T00:00:00.000Z");
	ck_assert_str_eq(v->items[1], "2021-03-04T10:11:12.346Z");
	ck_assert_str_eq(v->items[2], "2021-03-04T10:11:12.345Z");
	ck_assert_str_eq(v->items[3], "2019-12-31T23:59:59.999Z");
	roger_marathon_versions_free(v);
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_marathon_parse_deployments)
{
	struct roger_buf b = fixture("marathon-deployments.json");
	struct roger_marathon_deployments *d = NULL;
	const struct roger_marathon_deployment *x;
	const char *old =
		"[{\"id\":\"d2\",\"version\":\"v\",\"affectedApps\":[\"/b\"],\"currentStep\":0,\"totalSteps\":2,\"currentActions\":[],\"steps\":[{\"actions\":[{\"type\":\"StartApplication\",\"app\":\"/b\"}]}]},"
		" {\"id\":\"d3\",\"currentActions\":[{\"type\":\"RestartApplication\",\"app\":\"/c\"}]}]";

	ck_assert_int_eq(
		roger_marathon_deployments_parse(&d, b.buf, b.len, NULL), 0);
	ck_assert_uint_eq(d->n, 1);
	x = &d->items[0];
	ck_assert_str_eq(x->id, "97c136bf-5a28-4821-9d94-480d9fbb01c8");
	ck_assert_str_eq(x->version, "2015-09-30T09:09:17.614Z");
	ck_assert_uint_eq(x->n_affected_apps, 1);
	ck_assert_str_eq(x->affected_apps[0], "/foo");
	ck_assert_int_eq(x->current_step, 1);
	ck_assert_int_eq(x->total_steps, 1);
	ck_assert_uint_eq(x->n_current_actions, 1);
	ck_assert_str_eq(x->current_actions[0].action, "ScaleApplication");
	ck_assert_str_eq(x->current_actions[0].app, "/foo");
	ck_assert(roger_marathon_deployment_affects(x, "/foo"));
	ck_assert(!roger_marathon_deployment_affects(x, "/bar"));
	ck_assert_ptr_eq(roger_marathon_deployments_find(
				 d, "97c136bf-5a28-4821-9d94-480d9fbb01c8"),
			 x);
	ck_assert_ptr_null(roger_marathon_deployments_find(d, "nope"));
	roger_marathon_deployments_free(d);

	ck_assert_int_eq(
		roger_marathon_deployments_parse(&d, old, strlen(old), NULL),
		0);
	ck_assert_uint_eq(d->n, 2);
	ck_assert_int_eq(d->items[0].current_step, 0);
	ck_assert_uint_eq(d->items[0].n_current_actions, 0);
	ck_assert_str_eq(d->items[1].current_actions[0].action,
			 "RestartApplication");
	ck_assert(roger_marathon_deployment_affects(&d->items[1], "/c"));
	roger_marathon_deployments_free(d);
	ck_assert_int_eq(roger_marathon_deployments_parse(&d, "[]", 2, NULL),
			 0);
	ck_assert_uint_eq(d->n, 0);
	roger_marathon_deployments_free(d);
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_marathon_parse_deployment_result)
{
	struct roger_buf b = fixture("marathon-deployment-result.json");
	struct roger_marathon_deployment_result r;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_marathon_deployment_result_parse(
				 &r, b.buf, b.len, "other", NULL),
			 0);
	ck_assert_str_eq(r.deployment_id,
			 "83b215a6-4e26-4e44-9333-5c385eda6438");
	ck_assert_str_eq(r.version, "2014-08-26T07:37:50.462Z");
	ck_assert_int_eq(roger_marathon_deployment_result_parse(&r, "", 0,
								"hdr-id", NULL),
			 0);
	ck_assert_str_eq(r.deployment_id, "hdr-id");
	ck_assert_str_eq(r.version, "");
	ck_assert_int_eq(
		roger_marathon_deployment_result_parse(&r, "{}", 2, NULL, &err),
		ROGER_EHTTP);
	ck_assert_str_eq(
		err.msg,
		"unexpected JSON in the deployment result: no \"deploymentId\"");
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_marathon_parse_queue_info_leader)
{
	struct roger_buf q = fixture("marathon-queue.json");
	struct roger_buf i = fixture("marathon-info.json");
	struct roger_buf l = fixture("marathon-leader.json");
	struct roger_marathon_queue *queue = NULL;
	struct roger_marathon_info *info = NULL;
	const struct roger_marathon_queue_entry *e;
	char *leader = NULL;

	ck_assert_int_eq(roger_marathon_queue_parse(&queue, q.buf, q.len, NULL),
			 0);
	ck_assert_uint_eq(queue->n, 1);
	e = roger_marathon_queue_find(queue, "/tools/datadog-agent");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->count, 1);
	ck_assert_int_eq(e->time_left_seconds, 0);
	ck_assert(e->overdue);
	ck_assert_str_eq(e->since, "2016-02-28T16:41:41.090Z");
	ck_assert_str_eq(e->version, "2015-08-26T22:33:24.225Z");
	ck_assert(e->cpus == 1.0 && e->mem == 512.0);
	/* the recorded summary says nothing of rejections */
	ck_assert_int_eq(e->declined_cpus, 0);
	ck_assert_int_eq(e->declined_mem, 0);
	ck_assert_ptr_null(roger_marathon_queue_find(queue, "/other"));
	roger_marathon_queue_free(queue);

	ck_assert_int_eq(roger_marathon_info_parse(&info, i.buf, i.len, NULL),
			 0);
	ck_assert_str_eq(info->framework_id,
			 "96d7da70-b731-4cfb-96a7-0ee877af615d-0000");
	ck_assert_str_eq(info->version, "1.5.0-SNAPSHOT");
	ck_assert_str_eq(info->leader, "localhost:8080");
	ck_assert(info->elected);
	roger_marathon_info_free(info);

	ck_assert_int_eq(
		roger_marathon_leader_parse(&leader, l.buf, l.len, NULL), 0);
	ck_assert_str_eq(leader, "marathon.globalcorp.com:8080");
	free(leader);
	roger_buf_release(&q);
	roger_buf_release(&i);
	roger_buf_release(&l);
}
END_TEST

/*
 * Why a queued app waits: rejectSummaryLastOffers (1.4+) counts the offers
 * declined per reason; cpus and memory are what roger reports.  Counts
 * of a hostile server saturate; Marathon's defaults stand in for a
 * definition without cpus or mem.
 */
START_TEST(test_marathon_parse_queue_declined)
{
	static const char body[] =
		"{\"queue\": [{\"app\": {\"id\": \"/a\", \"cpus\": 0.5, \"mem\": 64},"
		" \"count\": 2, \"delay\": {\"timeLeftSeconds\": 0, \"overdue\": true},"
		" \"processedOffersSummary\": {\"processedOffersCount\": 9,"
		" \"unusedOffersCount\": 9, \"rejectSummaryLastOffers\": ["
		"{\"reason\": \"UnfulfilledRole\", \"declined\": 0, \"processed\": 9},"
		"{\"reason\": \"InsufficientCpus\", \"declined\": 7, \"processed\": 9},"
		"{\"reason\": \"InsufficientMemory\", \"declined\": 2, \"processed\": 9},"
		"{\"reason\": \"InsufficientCpus\", \"declined\": 2147483647},"
		"{\"reason\": 7, \"declined\": -3}]}},"
		" {\"app\": {\"id\": \"/b\"}, \"count\": 1}]}";
	struct roger_marathon_queue *queue = NULL;
	const struct roger_marathon_queue_entry *e;

	ck_assert_int_eq(roger_marathon_queue_parse(&queue, body,
						    sizeof(body) - 1, NULL),
			 0);
	e = roger_marathon_queue_find(queue, "/a");
	ck_assert(e->cpus == 0.5 && e->mem == 64);
	ck_assert_int_eq(e->declined_cpus, INT32_MAX);
	ck_assert_int_eq(e->declined_mem, 2);
	e = roger_marathon_queue_find(queue, "/b");
	ck_assert(e->cpus == 1 && e->mem == 128);
	ck_assert_int_eq(e->declined_cpus, 0);
	roger_marathon_queue_free(queue);
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

START_TEST(test_marathon_parse_error_shapes)
{
	struct roger_marathon_error *e = NULL;
	struct roger_buf b;

	b = fixture("marathon-422.json");
	ck_assert_int_eq(roger_marathon_error_parse(&e, b.buf, b.len, NULL), 0);
	ck_assert_str_eq(e->message, "Object is not valid");
	ck_assert_uint_eq(e->n_details, 1);
	ck_assert_str_eq(e->details[0].path,
			 "/upgradeStrategy/minimumHealthCapacity");
	ck_assert_uint_eq(e->details[0].n_errors, 1);
	ck_assert_str_eq(e->details[0].errors[0], "is greater than 1");
	ck_assert_ptr_null(e->details_text);
	roger_marathon_error_free(e);
	roger_buf_release(&b);

	b = fixture("marathon-400-parse-error.json");
	ck_assert_int_eq(roger_marathon_error_parse(&e, b.buf, b.len, NULL), 0);
	ck_assert_uint_eq(e->n_details, 0);
	ck_assert(!strncmp(e->details_text, "Unexpected end-of-input", 23));
	roger_marathon_error_free(e);
	roger_buf_release(&b);

	b = fixture("marathon-put-app-409.json");
	ck_assert_int_eq(roger_marathon_error_parse(&e, b.buf, b.len, NULL), 0);
	ck_assert_uint_eq(e->n_deployments, 1);
	ck_assert_str_eq(e->deployments[0],
			 "5cd987cd-85ae-4e70-8df7-f1438367d9cb");
	roger_marathon_error_free(e);
	roger_buf_release(&b);
	roger_marathon_error_free(NULL);
}
END_TEST

START_TEST(test_marathon_user_paths)
{
	static const char *const cases[][2] = {
		{ "/cpus", "marathon.cpus" },
		{ "/healthChecks(0)/portIndex",
		  "marathon.healthChecks[0].portIndex" },
		{ "/", "marathon" },
		{ "", "marathon" },
		{ "/constraints(1)(0)", "marathon.constraints[1][0]" },
		{ "id", "marathon.id" },
		{ "/fetch[2].uri", "marathon.fetch[2].uri" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct roger_buf b = ROGER_BUF_INIT;

		ck_assert_int_eq(roger_marathon_user_path(&b, cases[i][0]), 0);
		ck_assert_str_eq(b.buf, cases[i][1]);
		roger_buf_release(&b);
	}
}
END_TEST

static void check_reply_err(long status, const char *body, const char *source,
			    int code, const char *want)
{
	struct roger_err err = ROGER_ERR_INIT;
	int rc = roger_marathon_error_from_reply(
		&err, status, body, strlen(body), "http://m1:8080/v2/apps/x",
		source);

	ck_assert_msg(rc == code, "HTTP %ld %s: code %d, want %d (%s)", status,
		      body, rc, code, err.msg);
	if (!code)
		return;
	ck_assert_int_eq(err.code, code);
	ck_assert_int_eq(err.http_status, status);
	ck_assert_str_eq(err.msg, want);
	assert_one_line(err.msg);
}

static void check_reply_fixture(long status, const char *name,
				const char *source, int code, const char *want)
{
	struct roger_buf b = fixture(name);

	check_reply_err(status, b.buf, source, code, want);
	roger_buf_release(&b);
}

START_TEST(test_marathon_error_to_roger_err)
{
	check_reply_fixture(
		422, "marathon-422.json", "roger.json", ROGER_EINVALID,
		"roger.json: marathon.upgradeStrategy.minimumHealthCapacity: is greater than 1");
	/* a type error: 400 on 1.4, 422 on 1.5+, same message */
	check_reply_fixture(
		400, "marathon-invalid-json-details.json", "roger.json",
		ROGER_EINVALID,
		"roger.json: marathon.id: error.expected.jsstring (expected a string)");
	check_reply_fixture(
		422, "marathon-invalid-json-details.json", NULL, ROGER_EINVALID,
		"invalid app definition: marathon.id: error.expected.jsstring (expected a string)");
	check_reply_err(
		422,
		"{\"message\":\"Invalid JSON\",\"details\":[{\"path\":\"/cpus\",\"errors\":[\"error.expected.jsnumber\"]},{\"path\":\"/healthChecks(0)/portIndex\",\"errors\":[\"error.path.missing\",\"Is required.\"]}]}",
		"roger.json", ROGER_EINVALID,
		"roger.json: marathon.cpus: error.expected.jsnumber (expected a number); marathon.healthChecks[0].portIndex: error.path.missing (missing), is required");
	check_reply_err(
		422,
		"{\"message\":\"Object is not valid\",\"details\":[{\"path\":\"/\",\"errors\":[\"AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.\"]}]}",
		"roger.json", ROGER_EINVALID,
		"roger.json: marathon: AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'");
	check_reply_fixture(
		400, "marathon-400-parse-error.json", NULL, ROGER_EINVALID,
		"invalid app definition: marathon cannot read the app JSON: unexpected end-of-input: expected close marker for Object (start marker at [Source: (byte[])\"{\"id\": \"/x\"\"; line: 1, column: 1])");
	check_reply_err(
		422,
		"{\"message\":\"Invalid timestamp provided 'x'. Expecting ISO-8601 datetime string.\"}",
		NULL, ROGER_EINVALID,
		"marathon refused the request to 'http://m1:8080/v2/apps/x' (HTTP 422): invalid timestamp provided 'x'. Expecting ISO-8601 datetime string");
	check_reply_fixture(
		409, "marathon-put-app-409.json", NULL, ROGER_ECONFLICT,
		"app locked by deployment '5cd987cd-85ae-4e70-8df7-f1438367d9cb' in progress (HTTP 409 from 'http://m1:8080/v2/apps/x')");
	check_reply_fixture(409, "marathon-post-app-409-exists.json", NULL,
			    ROGER_EEXISTS,
			    "an app with id [/existing_app] already exists");
	check_reply_fixture(404, "marathon-404.json", NULL, ROGER_ENOTFOUND,
			    "app '/not_existent' does not exist");
	check_reply_fixture(404, "marathon-deployment-404.json", NULL,
			    ROGER_ENOTFOUND,
			    "DeploymentPlan unknown_deployment does not exist");
	check_reply_err(
		403,
		"{\"message\":\"Max number (100) of running deployments is achieved. Wait for existing deployments to complete.\"}",
		NULL, ROGER_EHTTP,
		"marathon refused another deployment: max number (100) of running deployments is achieved. Wait for existing deployments to complete");
	/* not Marathon's to explain: left to the HTTP client's mapping */
	check_reply_err(
		403, "{\"message\":\"Not Authorized to perform this action!\"}",
		NULL, 0, NULL);
	check_reply_err(401, "<html><title>Error 401</title></html>", NULL, 0,
			NULL);
	check_reply_err(502, "{\"message\":\"x\"}", NULL, 0, NULL);
	check_reply_err(404, "<html>Not found</html>", NULL, 0, NULL);
	check_reply_err(422, "{\"message\":\"Object is", NULL, 0, NULL);
	check_reply_err(404, "{}", NULL, 0, NULL);
}
END_TEST

/* ---- SSE ----------------------------------------------------------------- */

struct collected {
	struct roger_buf types; /* "type\n" each */
	struct roger_buf data; /* "data\n" each */
	size_t n;
	size_t stop_at; /* 0: never */
};

static int collect_event(void *data, const char *type, const char *json,
			 size_t len, struct roger_err *err)
{
	struct collected *c = data;

	(void)err;
	if (json[len] != '\0')
		ck_abort_msg("event data is not NUL-terminated");
	roger_buf_addf(&c->types, "%s\n", type);
	roger_buf_add(&c->data, json, len);
	roger_buf_addch(&c->data, '\n');
	c->n++;
	return c->stop_at && c->n == c->stop_at ? ROGER_HTTP_STOP : 0;
}

static void collected_release(struct collected *c)
{
	roger_buf_release(&c->types);
	roger_buf_release(&c->data);
}

/* Feed `bytes` in chunks of the sizes `next_size` gives. */
static size_t feed_chunks(struct collected *c, const char *bytes, size_t len,
			  unsigned seed, size_t fixed)
{
	struct roger_sse p;
	size_t off = 0, heartbeats;
	int rc = 0;

	roger_sse_init(&p);
	srand(seed);
	/* one assertion at the end: Check's cost per assertion is a syscall */
	while (off < len && rc == 0) {
		size_t n = fixed ? fixed : (size_t)(rand() % 97) + 1;

		if (n > len - off)
			n = len - off;
		rc = roger_sse_feed(&p, bytes + off, n, collect_event, c, NULL);
		off += n;
	}
	ck_assert_int_eq(rc, 0);
	heartbeats = p.n_heartbeats;
	ck_assert_uint_eq(p.n_events, c->n);
	roger_sse_release(&p);
	return heartbeats;
}

static const char fixture_types[] =
	"event_stream_attached\nstatus_update_event\nstatus_update_event\n"
	"group_change_success\ndeployment_info\ndeployment_step_success\n"
	"deployment_info\nstatus_update_event\ninstance_changed_event\n"
	"health_status_changed_event\ndeployment_step_success\n"
	"deployment_success\ndeployment_failed\n";

START_TEST(test_marathon_sse_fixture_any_chunking)
{
	struct roger_buf b = fixture("marathon-events.sse");
	struct collected whole = { ROGER_BUF_INIT, ROGER_BUF_INIT, 0, 0 };

	ck_assert_uint_eq(feed_chunks(&whole, b.buf, b.len, 0, b.len), 1);
	ck_assert_uint_eq(whole.n, 13);
	ck_assert_str_eq(whole.types.buf, fixture_types);
	/* every data is one JSON object whose eventType is the SSE type */
	{
		const char *d = whole.data.buf, *t = whole.types.buf;

		for (size_t i = 0; i < whole.n; i++) {
			size_t dl = strcspn(d, "\n"), tl = strcspn(t, "\n");
			json_t *j = json_loadb(d, dl, 0, NULL);

			ck_assert_ptr_nonnull(j);
			ck_assert(!strncmp(json_string_value(json_object_get(
						   j, "eventType")),
					   t, tl));
			json_decref(j);
			d += dl + 1;
			t += tl + 1;
		}
	}
	for (size_t fixed = 1; fixed <= 3; fixed++) {
		struct collected c = { ROGER_BUF_INIT, ROGER_BUF_INIT, 0, 0 };

		ck_assert_uint_eq(feed_chunks(&c, b.buf, b.len, 0, fixed), 1);
		ck_assert_str_eq(c.types.buf, whole.types.buf);
		ck_assert_str_eq(c.data.buf, whole.data.buf);
		collected_release(&c);
	}
	for (unsigned seed = 1; seed <= 50; seed++) {
		struct collected c = { ROGER_BUF_INIT, ROGER_BUF_INIT, 0, 0 };

		ck_assert_uint_eq(feed_chunks(&c, b.buf, b.len, seed, 0), 1);
		ck_assert_str_eq(c.types.buf, whole.types.buf);
		ck_assert_str_eq(c.data.buf, whole.data.buf);
		collected_release(&c);
	}
	collected_release(&whole);
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_marathon_sse_framing_variants)
{
	static const char *const streams[] = {
		/* LF only, CR only, mixed */
		"event: a\ndata: {\"x\":1}\n\nevent: b\ndata: {}\n\n",
		"event: a\rdata: {\"x\":1}\r\revent: b\rdata: {}\r\r",
		"event: a\r\ndata: {\"x\":1}\n\r\nevent: b\rdata: {}\r\n\n",
		/* comments, unknown fields, no space after the colon,
		   heartbeats */
		": hello\r\n\r\nid: 7\r\nevent:a\r\nretry: 10\r\ndata:{\"x\":1}\r\n\r\n\r\n\r\nevent: b\r\ndata: {}\r\n\r\n",
	};
	static const size_t heartbeats[] = { 0, 0, 0, 3 };

	for (size_t i = 0; i < sizeof(streams) / sizeof(*streams); i++) {
		for (size_t fixed = 1; fixed <= strlen(streams[i]); fixed++) {
			struct collected c = { ROGER_BUF_INIT, ROGER_BUF_INIT,
					       0, 0 };

			ck_assert_uint_eq(feed_chunks(&c, streams[i],
						      strlen(streams[i]), 0,
						      fixed),
					  heartbeats[i]);
			ck_assert_msg(!strcmp(c.types.buf, "a\nb\n"),
				      "stream %zu, chunk %zu: %s", i, fixed,
				      c.types.buf);
			ck_assert_str_eq(c.data.buf, "{\"x\":1}\n{}\n");
			collected_release(&c);
		}
	}
}
END_TEST

START_TEST(test_marathon_sse_multiline_partial_and_stop)
{
	const char *multi = "data: line1\r\ndata: line2\r\n\r\n";
	const char *partial = "event: a\r\ndata: {}\r\n";
	const char *three =
		"event: a\r\ndata: 1\r\n\r\nevent: b\r\ndata: 2\r\n\r\nevent: c\r\ndata: 3\r\n\r\n";
	struct collected c = { ROGER_BUF_INIT, ROGER_BUF_INIT, 0, 0 };
	struct roger_sse p;
	struct roger_err err = ROGER_ERR_INIT;

	feed_chunks(&c, multi, strlen(multi), 0, strlen(multi));
	ck_assert_str_eq(c.types.buf, "message\n");
	ck_assert_str_eq(c.data.buf, "line1\nline2\n");
	collected_release(&c);

	/* an event is only complete at its blank line */
	memset(&c, 0, sizeof(c));
	roger_buf_init(&c.types);
	roger_buf_init(&c.data);
	roger_sse_init(&p);
	ck_assert_int_eq(roger_sse_feed(&p, partial, strlen(partial),
					collect_event, &c, NULL),
			 0);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_int_eq(roger_sse_feed(&p, "\r", 1, collect_event, &c, NULL),
			 0);
	ck_assert_uint_eq(c.n, 1);
	/* the LF of that CRLF, in its own chunk, is not another line */
	ck_assert_int_eq(roger_sse_feed(&p, "\n", 1, collect_event, &c, NULL),
			 0);
	ck_assert_uint_eq(p.n_heartbeats, 0);

	/* several events in one chunk; the callback stops at the second */
	c.stop_at = 3;
	ck_assert_int_eq(roger_sse_feed(&p, three, strlen(three), collect_event,
					&c, NULL),
			 ROGER_HTTP_STOP);
	ck_assert_str_eq(c.types.buf, "a\na\nb\n");
	roger_sse_release(&p);
	collected_release(&c);

	/* an event over the cap */
	memset(&c, 0, sizeof(c));
	roger_buf_init(&c.types);
	roger_buf_init(&c.data);
	roger_sse_init(&p);
	p.max_event = 16;
	ck_assert_int_eq(roger_sse_feed(&p, "data: 0123456789abcdef\r\n", 24,
					collect_event, &c, &err),
			 ROGER_EHTTP);
	ck_assert_str_eq(err.msg,
			 "an event of the stream is larger than 16 bytes");
	roger_sse_release(&p);
	collected_release(&c);
}
END_TEST

START_TEST(test_marathon_sse_big_event_linear)
{
	/* a 1.4-style event with a huge plan, fed in 1-byte chunks */
	struct roger_buf s = ROGER_BUF_INIT;
	struct collected c = { ROGER_BUF_INIT, ROGER_BUF_INIT, 0, 0 };
	size_t big = 2u << 20;

	roger_buf_adds(&s, "event: deployment_info\r\ndata: {\"x\":\"");
	roger_buf_grow(&s, big);
	memset(s.buf + s.len, 'a', big);
	s.len += big;
	s.buf[s.len] = '\0';
	roger_buf_adds(&s, "\"}\r\n\r\n");
	feed_chunks(&c, s.buf, s.len, 0, 1);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_eq(c.data.len, big + 9);
	collected_release(&c);
	roger_buf_release(&s);
}
END_TEST

/* The data of the n-th event of the fixture (new string). */
static char *fixture_event(size_t n, char *type, size_t type_size)
{
	struct roger_buf b = fixture("marathon-events.sse");
	struct collected c = { ROGER_BUF_INIT, ROGER_BUF_INIT, 0, 0 };
	const char *d, *t;
	char *out;

	feed_chunks(&c, b.buf, b.len, 0, b.len);
	d = c.data.buf;
	t = c.types.buf;
	for (size_t i = 0; i < n; i++) {
		d += strcspn(d, "\n") + 1;
		t += strcspn(t, "\n") + 1;
	}
	out = strndup(d, strcspn(d, "\n"));
	snprintf(type, type_size, "%.*s", (int)strcspn(t, "\n"), t);
	collected_release(&c);
	roger_buf_release(&b);
	return out;
}

static struct roger_marathon_event *event_of(size_t n)
{
	char type[64];
	char *data = fixture_event(n, type, sizeof(type));
	struct roger_marathon_event *ev = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_marathon_event_parse(&ev, type, data, strlen(data),
						 &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(ev->type, type);
	free(data);
	return ev;
}

START_TEST(test_marathon_event_fields)
{
	struct roger_marathon_event *ev;

	ev = event_of(0);
	ck_assert_str_eq(ev->type, "event_stream_attached");
	ck_assert_int_eq(ev->alive, -1);
	ck_assert_ptr_null(ev->deployment_id);
	roger_marathon_event_free(ev);

	ev = event_of(1);
	ck_assert_str_eq(ev->task_status, "TASK_FAILED");
	ck_assert_str_eq(ev->app_id, "/foo");
	ck_assert_str_eq(ev->slave_id,
			 "20150707-153709-218108076-5050-25588-S6");
	ck_assert_ptr_nonnull(strstr(ev->message, "Failed to fetch all URIs"));
	ck_assert(roger_marathon_event_affects(ev, "/foo"));
	ck_assert(!roger_marathon_event_affects(ev, "/bar"));
	roger_marathon_event_free(ev);

	ev = event_of(4);
	ck_assert_str_eq(ev->type, "deployment_info");
	ck_assert_str_eq(ev->deployment_id,
			 "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43");
	ck_assert_uint_eq(ev->n_plan_apps, 1);
	ck_assert_str_eq(ev->plan_apps[0], "/product/web");
	ck_assert(roger_marathon_event_affects(ev, "/product/web"));
	roger_marathon_event_free(ev);

	ev = event_of(8);
	ck_assert_str_eq(ev->type, "instance_changed_event");
	ck_assert_str_eq(ev->condition, "Running");
	ck_assert_str_eq(ev->app_id, "/product/web");
	ck_assert_str_eq(ev->slave_id,
			 "c28a2184-c702-482c-91c8-5af9318434d4-S0");
	ck_assert_str_eq(ev->version, "2021-03-04T10:11:12.345Z");
	ck_assert_str_eq(
		ev->instance_id,
		"product_web.instance-01da9a15-68a7-11e7-a229-e6a514ca0c21");
	roger_marathon_event_free(ev);

	ev = event_of(9);
	ck_assert_int_eq(ev->alive, 1);
	ck_assert_str_eq(ev->app_id, "/product/web");
	roger_marathon_event_free(ev);

	ev = event_of(11);
	ck_assert_str_eq(ev->type, "deployment_success");
	ck_assert_str_eq(ev->deployment_id,
			 "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43");
	roger_marathon_event_free(ev);

	ev = event_of(12);
	ck_assert_str_eq(ev->type, "deployment_failed");
	ck_assert_str_eq(ev->deployment_id,
			 "97c136bf-5a28-4821-9d94-480d9fbb01c8");
	ck_assert_str_eq(ev->reason, "The upgrade has been cancelled");
	ck_assert(roger_marathon_event_affects(ev, "/product/api"));
	roger_marathon_event_free(ev);

	/* an event without eventType takes the SSE type */
	ck_assert_int_eq(
		roger_marathon_event_parse(&ev, "custom", "{}", 2, NULL), 0);
	ck_assert_str_eq(ev->type, "custom");
	roger_marathon_event_free(ev);
}
END_TEST

/* ---- the client over canned replies -------------------------------------- */

static struct roger_marathon *fake_marathon(struct roger_ctx **ctx,
					    struct fake_http *f)
{
	static const char *const bases[] = { "http://m1:8080" };
	struct roger_http_client_opts o = { .name = "marathon",
					    .target_name = "prod",
					    .bases = bases,
					    .n_bases = 1,
					    .max_retries = -1 };
	struct roger_http_client *c;
	struct roger_marathon *m;

	ck_assert_int_eq(roger_ctx_new(ctx, NULL), 0);
	ck_assert_int_eq(roger_http_client_new(&c, *ctx, &o, &f->base, NULL),
			 0);
	ck_assert_int_eq(roger_marathon_new(&m, *ctx, c, NULL), 0);
	return m;
}

START_TEST(test_marathon_client_calls)
{
	struct roger_ctx *ctx;
	struct fake_http *f = fake_http_new();
	struct roger_marathon *m = fake_marathon(&ctx, f);
	struct roger_marathon_app *app = NULL;
	struct roger_marathon_deployment_result dep;
	struct roger_marathon_versions *versions = NULL;
	struct roger_marathon_tasks *tasks = NULL;
	struct roger_marathon_info *info = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *def = json_pack("{s:s}", "cmd", "sleep 1"), *stored = NULL;
	bool created = false;

	fake_http_push_file(f, 200, fixture_path("marathon-get-app.json"),
			    "Content-Type: application/json\n");
	ck_assert_msg(roger_marathon_get_app(&app, m, "/nginx-green",
					     ROGER_MARATHON_EMBED_ALL,
					     &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(app->id, "/nginx-green");
	ck_assert_str_eq(f->requests[0].method, "GET");
	ck_assert(!strncmp(f->requests[0].url,
			   "http://m1:8080/v2/apps/nginx-green?embed=app.tasks",
			   50));
	ck_assert_str_eq(fake_http_req_header(f, 0, "Accept"),
			 "application/json");
	roger_marathon_app_free(app);

	fake_http_push_file(f, 404, fixture_path("marathon-404.json"), NULL);
	ck_assert_int_eq(
		roger_marathon_get_app(&app, m, "/not-existent", 0, &err),
		ROGER_ENOTFOUND);
	ck_assert_str_eq(err.msg, "app '/not_existent' does not exist");

	fake_http_push(
		f,
		&(struct fake_reply){
			.status = 201,
			.headers =
				"Marathon-Deployment-Id: 5ed4c0c5\nLocation: http://m1:8080/v2/apps/web\n",
			.body = "{\"deploymentId\":\"5ed4c0c5\",\"version\":\"2021-03-04T10:11:12.345Z\"}" });
	ck_assert_int_eq(
		roger_marathon_put_app(&dep, &created, m, "/web", def, 0, &err),
		0);
	ck_assert(created);
	ck_assert_str_eq(dep.deployment_id, "5ed4c0c5");
	ck_assert_str_eq(dep.version, "2021-03-04T10:11:12.345Z");
	ck_assert_str_eq(f->requests[2].body, "{\"cmd\":\"sleep 1\"}");
	ck_assert_str_eq(fake_http_req_header(f, 2, "Content-Type"),
			 "application/json");

	fake_http_push_file(f, 409, fixture_path("marathon-put-app-409.json"),
			    NULL);
	ck_assert_int_eq(
		roger_marathon_put_app(&dep, NULL, m, "/web", def, 0, &err),
		ROGER_ECONFLICT);
	ck_assert_int_eq(roger_exit_status(err.code), 7);

	ck_assert_int_eq(roger_marathon_set_source(m, "roger.json"), 0);
	fake_http_push_file(f, 422, fixture_path("marathon-422.json"), NULL);
	ck_assert_int_eq(
		roger_marathon_put_app(&dep, NULL, m, "/web", def, 0, &err),
		ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"roger.json: marathon.upgradeStrategy.minimumHealthCapacity: is greater than 1");
	ck_assert_int_eq(roger_exit_status(err.code), 3);

	/* an HTML 401 falls back to the HTTP client's message */
	fake_http_push(
		f,
		&(struct fake_reply){
			.status = 401,
			.headers = "Content-Type: text/html\n",
			.body = "<html><head><title>Error 401 Unauthorized</title></head></html>" });
	ck_assert_int_eq(
		roger_marathon_put_app(&dep, NULL, m, "/web", def, 0, &err),
		ROGER_EAUTH);
	ck_assert_msg(
		!strncmp(
			err.msg,
			"authentication refused by marathon at 'http://m1:8080/v2/apps/web' (HTTP 401 Unauthorized: Error 401 Unauthorized); target 'prod' has no credentials",
			141),
		"%s", err.msg);

	/* a rollback of a deployment gives a new one; an abort gives 202 */
	fake_http_push_file(
		f, 200, fixture_path("marathon-deployment-result.json"), NULL);
	ck_assert_int_eq(
		roger_marathon_cancel_deployment(&dep, m, "d1", 0, &err), 0);
	ck_assert_str_eq(dep.deployment_id,
			 "83b215a6-4e26-4e44-9333-5c385eda6438");
	fake_http_push(f, &(struct fake_reply){ .status = 202 });
	ck_assert_int_eq(roger_marathon_cancel_deployment(
				 &dep, m, "d1", ROGER_MARATHON_FORCE, &err),
			 0);
	ck_assert_str_eq(dep.deployment_id, "");
	ck_assert_str_eq(f->requests[7].url,
			 "http://m1:8080/v2/deployments/d1?force=true");

	/* kill with scale gives a deployment, without it the tasks */
	fake_http_push_file(
		f, 200, fixture_path("marathon-deployment-result.json"), NULL);
	ck_assert_int_eq(roger_marathon_kill_tasks(NULL, &dep, m, "/my/app",
						   NULL, ROGER_MARATHON_SCALE,
						   &err),
			 0);
	fake_http_push_file(
		f, 200, fixture_path("marathon-kill-tasks-1.10.json"), NULL);
	ck_assert_int_eq(roger_marathon_kill_tasks(&tasks, NULL, m, "/my/app",
						   NULL, 0, &err),
			 0);
	ck_assert_uint_eq(tasks->n, 2);
	roger_marathon_tasks_free(tasks);

	fake_http_push(
		f,
		&(struct fake_reply){
			.status = 200,
			.body = "{\"versions\":[\"2020-01-01T00:00:00.000Z\",\"2021-01-01T00:00:00.000Z\"]}" });
	ck_assert_int_eq(
		roger_marathon_app_versions(&versions, m, "/web", &err), 0);
	ck_assert_str_eq(versions->items[0], "2021-01-01T00:00:00.000Z");
	roger_marathon_versions_free(versions);

	fake_http_push_file(f, 200, fixture_path("marathon-post-app-201.json"),
			    NULL);
	ck_assert_int_eq(roger_marathon_app_version(&stored, m, "/product/web",
						    "2021-03-04T10:11:12.345Z",
						    &err),
			 0);
	ck_assert_str_eq(json_string_value(json_object_get(stored, "cmd")),
			 "python3 -m http.server $PORT0");
	json_decref(stored);

	fake_http_push_file(f, 200, fixture_path("marathon-info.json"), NULL);
	ck_assert_int_eq(roger_marathon_info(&info, m, &err), 0);
	ck_assert_str_eq(info->framework_id,
			 "96d7da70-b731-4cfb-96a7-0ee877af615d-0000");
	roger_marathon_info_free(info);

	fake_http_push(f,
		       &(struct fake_reply){ .status = 200, .body = "pong" });
	ck_assert_int_eq(roger_marathon_ping(m, &err), 0);
	ck_assert_str_eq(fake_http_req_header(f, f->n_requests - 1, "Accept"),
			 "text/plain");

	/* a 200 whose JSON is cut short names the URL */
	fake_http_push(
		f, &(struct fake_reply){ .status = 200,
					 .body = "{\"app\":{\"id\":\"/we" });
	ck_assert_int_eq(roger_marathon_get_app(&app, m, "/web", 0, &err),
			 ROGER_EHTTP);
	ck_assert_msg(strstr(err.msg, "invalid JSON in the app: ") == err.msg,
		      "%s", err.msg);
	ck_assert_msg(strstr(err.msg, " (from 'http://m1:8080/v2/apps/web')"),
		      "%s", err.msg);
	assert_one_line(err.msg);

	json_decref(def);
	roger_marathon_free(m);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_marathon_client_events_over_fake)
{
	struct roger_ctx *ctx;
	struct fake_http *f = fake_http_new();
	struct roger_marathon *m = fake_marathon(&ctx, f);
	struct collected c = { ROGER_BUF_INIT, ROGER_BUF_INIT, 0, 5 };
	struct roger_err err = ROGER_ERR_INIT;
	static const char *const types[] = { "deployment_info" };
	struct roger_marathon_watch w = { 0 };

	f->chunk = 7;
	fake_http_push_file(f, 200, fixture_path("marathon-events.sse"),
			    "Content-Type: text/event-stream\n");
	w.types = types;
	w.n_types = 1;
	w.on_event = collect_event;
	w.data = &c;
	ck_assert_int_eq(roger_marathon_events(m, &w, &err), 0);
	ck_assert_uint_eq(c.n, 5);
	ck_assert_str_eq(fake_http_req_header(f, 0, "Accept"),
			 "text/event-stream");
	ck_assert_str_eq(
		f->requests[0].url,
		"http://m1:8080/v2/events?event_type=deployment_info&plan-format=light");
	ck_assert_int_eq(f->requests[0].timeout_ms, ROGER_HTTP_NO_TIMEOUT);
	ck_assert_int_eq(f->requests[0].idle_timeout_ms, 30000);

	/* the stream ends before the caller is done: ENET, to reconnect */
	c.stop_at = 0;
	fake_http_push_file(f, 200, fixture_path("marathon-events.sse"), NULL);
	w.types = NULL;
	w.n_types = 0;
	w.idle_timeout_ms = 5000;
	ck_assert_int_eq(roger_marathon_events(m, &w, &err), ROGER_ENET);
	ck_assert_str_eq(
		err.msg,
		"the event stream of 'http://m1:8080/v2/events?plan-format=light' ended");
	ck_assert_uint_eq(c.n, 18);
	collected_release(&c);
	roger_marathon_free(m);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_marathon_parse_large_list)
{
	/* 20000 apps with a task each: one pass, no quadratic steps */
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_marathon_apps *apps = NULL;

	roger_buf_adds(&b, "{\"apps\":[");
	for (int i = 0; i < 20000; i++)
		roger_buf_addf(
			&b,
			"%s{\"id\":\"/g/app-%d\",\"instances\":1,\"tasks\":[{\"id\":\"g_app-%d.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6._app.1\",\"ports\":[%d],\"healthCheckResults\":[{\"alive\":true}]}],\"deployments\":[]}",
			i ? "," : "", i, i, 10000 + i % 1000);
	roger_buf_adds(&b, "]}");
	ck_assert_int_eq(roger_marathon_apps_parse(&apps, b.buf, b.len, NULL),
			 0);
	ck_assert_uint_eq(apps->n, 20000);
	ck_assert_str_eq(apps->items[19999].id, "/g/app-19999");
	ck_assert_int_eq(apps->items[19999].tasks[0].ports[0], 10999);
	roger_marathon_apps_free(apps);
	roger_buf_release(&b);
}
END_TEST

/* ---- the client over loopback -------------------------------------------- */

static struct roger_marathon *real_marathon(struct roger_ctx **ctx,
					    const char *url)
{
	const char *bases[1] = { url };
	struct roger_http_client_opts o = { .name = "marathon",
					    .target_name = "test",
					    .bases = bases,
					    .n_bases = 1,
					    .backoff_base_ms = 10,
					    .backoff_max_ms = 40,
					    .max_retries = 2 };
	struct roger_http_client *c;
	struct roger_marathon *m;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_ctx_new(ctx, NULL), 0);
	ck_assert_msg(roger_http_client_new(&c, *ctx, &o, NULL, &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(roger_marathon_new(&m, *ctx, c, NULL), 0);
	return m;
}

START_TEST(test_marathon_real_errors_are_one_line)
{
	struct roger_ctx *ctx;
	struct faultd fd;
	struct roger_marathon *m;
	struct roger_marathon_app *app = NULL;
	struct roger_marathon_deployment_result dep;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *def = json_pack("{s:s}", "cmd", "sleep 1");
	char script[2048], conflict[1024];

	/* fixture_path() returns a static buffer: keep one copy aside */
	snprintf(conflict, sizeof(conflict), "%s",
		 fixture_path("marathon-put-app-409.json"));
	snprintf(
		script, sizeof(script),
		"[{'match': 'GET /v2/apps/trunc*', 'body': '{\\'app\\': {\\'id\\': \\'/tr', 'headers': {'Content-Type': 'application/json'}},"
		" {'match': 'PUT /v2/apps/locked*', 'status': 409, 'body_file': '%s'},"
		" {'match': 'GET /v2/apps/html*', 'status': 502, 'html': true, 'times': 0, 'message': 'Could not determine the current leader'},"
		" {'match': 'GET /v2/apps/ok*', 'status': 503, 'times': 1},"
		" {'match': 'GET /v2/apps/ok*', 'body_file': '%s'}]",
		conflict, fixture_path("marathon-get-app.json"));
	faultd_start(&fd, script);
	m = real_marathon(&ctx, fd.url);

	ck_assert_int_eq(roger_marathon_get_app(&app, m, "/trunc", 0, &err),
			 ROGER_EHTTP);
	ck_assert_msg(strstr(err.msg, "invalid JSON in the app: "), "%s",
		      err.msg);
	assert_one_line(err.msg);

	ck_assert_int_eq(
		roger_marathon_put_app(&dep, NULL, m, "/locked", def, 0, &err),
		ROGER_ECONFLICT);
	ck_assert_msg(
		strstr(err.msg,
		       "app locked by deployment '5cd987cd-85ae-4e70-8df7-f1438367d9cb' in progress (HTTP 409 from 'http://127.0.0.1:"),
		"%s", err.msg);
	ck_assert_uint_eq(faultd_count(&fd, "PUT", "/v2/apps/locked"), 1);

	ck_assert_int_eq(roger_marathon_get_app(&app, m, "/html", 0, &err),
			 ROGER_ENET);
	ck_assert_msg(
		strstr(err.msg,
		       "(HTTP 502 Bad Gateway: Error 502 Could not determine the current leader, 3 attempts)"),
		"%s", err.msg);
	assert_one_line(err.msg);
	ck_assert_int_eq(roger_exit_status(err.code), 4);

	/* a 503 during a leader election, then the app */
	ck_assert_msg(roger_marathon_get_app(&app, m, "/ok",
					     ROGER_MARATHON_EMBED_ALL,
					     &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(app->id, "/nginx-green");
	ck_assert_uint_eq(app->n_tasks, 3);
	roger_marathon_app_free(app);
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/v2/apps/ok"), 2);

	json_decref(def);
	roger_marathon_free(m);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_marathon_real_event_stream)
{
	struct roger_ctx *ctx;
	struct faultd fd;
	struct roger_marathon *m;
	struct collected c = { ROGER_BUF_INIT, ROGER_BUF_INIT, 0, 3 };
	struct roger_err err = ROGER_ERR_INIT;
	static const char *const types[] = { "deployment_info",
					     "deployment_success" };
	struct roger_marathon_watch w = { 0 };
	json_t *reqs;

	faultd_start(
		&fd,
		"[{'match': 'GET /v2/events*', 'chunk': 5, 'sse': ["
		" {'event': 'event_stream_attached', 'data': {'eventType': 'event_stream_attached'}},"
		" {'heartbeat': true},"
		" {'event': 'deployment_info', 'data': {'eventType': 'deployment_info', 'plan': {'id': 'p1'}}},"
		" {'sleep': 0.2},"
		" {'event': 'deployment_success', 'data': {'eventType': 'deployment_success', 'id': 'p1'}},"
		" {'event': 'never_read', 'data': {}}], 'sse_end': 'hang'},"
		" {'match': 'GET /v2/events*', 'sse': [{'event': 'a', 'data': {}}], 'sse_end': 'close'},"
		" {'match': 'GET /v2/events*', 'sse': [{'event': 'a', 'data': {}}], 'sse_end': 'hang'}]");
	m = real_marathon(&ctx, fd.url);
	w.types = types;
	w.n_types = 2;
	w.on_event = collect_event;
	w.data = &c;
	ck_assert_msg(roger_marathon_events(m, &w, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(
		c.types.buf,
		"event_stream_attached\ndeployment_info\ndeployment_success\n");
	reqs = faultd_requests(&fd);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_array_get(reqs, 0), "h"),
				 "accept")),
			 "text/event-stream");
	ck_assert_str_eq(
		json_string_value(
			json_object_get(json_array_get(reqs, 0), "path")),
		"/v2/events?event_type=deployment_info&event_type=deployment_success&plan-format=light");
	json_decref(reqs);

	/* the stream drops: ENET, so the caller reconnects */
	c.stop_at = 0;
	w.types = NULL;
	w.n_types = 0;
	ck_assert_int_eq(roger_marathon_events(m, &w, &err), ROGER_ENET);
	ck_assert_msg(strstr(err.msg, "the event stream of '"), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "' ended"), "%s", err.msg);

	/* the stream goes silent: ENET after the idle timeout */
	w.idle_timeout_ms = 1000;
	ck_assert_int_eq(roger_marathon_events(m, &w, &err), ROGER_ENET);
	ck_assert_msg(strstr(err.msg, "no data for 1 s from '"), "%s", err.msg);
	collected_release(&c);
	roger_marathon_free(m);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

struct ticks {
	int n, stop_at, fail_at;
};

static int count_tick(void *data, struct roger_err *err)
{
	struct ticks *t = data;

	t->n++;
	if (t->fail_at && t->n == t->fail_at)
		return roger_err_set(err, ROGER_EDEPLOY, "tick failed");
	return t->stop_at && t->n == t->stop_at ? ROGER_HTTP_STOP : 0;
}

static int ignore_event(void *data, const char *type, const char *json,
			size_t len, struct roger_err *err)
{
	(void)data;
	(void)type;
	(void)json;
	(void)len;
	(void)err;
	return 0;
}

START_TEST(test_marathon_real_event_stream_ticks)
{
	struct roger_ctx *ctx;
	struct faultd fd;
	struct roger_marathon *m;
	struct ticks t = { 0, 2, 0 };
	struct roger_marathon_watch w = { .on_event = ignore_event,
					  .on_tick = count_tick,
					  .data = &t };
	struct roger_err err = ROGER_ERR_INIT;

	/* a quiet stream: the watcher still gets its ticks, and can stop */
	faultd_start(
		&fd,
		"[{'match': 'GET /v2/events*', 'times': 0, 'sse': [{'heartbeat': true}], 'sse_end': 'hang'}]");
	m = real_marathon(&ctx, fd.url);
	ck_assert_msg(roger_marathon_events(m, &w, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(t.n, 2);
	/* or fail, and the error is the tick's */
	t.n = 0;
	t.stop_at = 0;
	t.fail_at = 2;
	ck_assert_int_eq(roger_marathon_events(m, &w, &err), ROGER_EDEPLOY);
	ck_assert_str_eq(err.msg, "tick failed");
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/v2/events"), 2);
	roger_marathon_free(m);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

static Suite *marathon_suite(void)
{
	Suite *s = suite_create("marathon");
	TCase *tc;

	tc = tcase_create("ids");
	tcase_add_test(tc, test_marathon_id_rules);
	tcase_add_test(tc, test_marathon_task_ids_both_formats);
	tcase_add_test(tc, test_marathon_time_parse_refuses_and_keeps_out);
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_test(tc, test_marathon_request_builders);
	suite_add_tcase(s, tc);

	tc = tcase_create("parsers");
	tcase_add_test(tc, test_marathon_parse_app_1_5);
	tcase_add_test(tc, test_marathon_parse_apps_1_5_omitted_fields);
	tcase_add_test(tc, test_marathon_parse_apps_1_4_nulls_and_legacy);
	tcase_add_test(tc, test_marathon_parse_app_post_201_bare);
	tcase_add_test(tc, test_marathon_parse_app_edge_shapes);
	tcase_add_test(tc, test_marathon_parse_app_timing);
	tcase_add_test(tc, test_marathon_defaults_table);
	tcase_add_test(tc, test_marathon_parse_bad_bodies);
	tcase_add_test(tc, test_marathon_parse_tasks_all_shapes);
	tcase_add_test(tc, test_marathon_parse_numbers_out_of_range);
	tcase_add_test(tc, test_marathon_parse_versions_sorted);
	tcase_add_test(tc, test_marathon_parse_deployments);
	tcase_add_test(tc, test_marathon_parse_deployment_result);
	tcase_add_test(tc, test_marathon_parse_queue_info_leader);
	tcase_add_test(tc, test_marathon_parse_queue_declined);
	tcase_add_test(tc, test_marathon_parse_large_list);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_marathon_parse_error_shapes);
	tcase_add_test(tc, test_marathon_user_paths);
	tcase_add_test(tc, test_marathon_error_to_roger_err);
	suite_add_tcase(s, tc);

	tc = tcase_create("events");
	tcase_add_test(tc, test_marathon_sse_fixture_any_chunking);
	tcase_add_test(tc, test_marathon_sse_framing_variants);
	tcase_add_test(tc, test_marathon_sse_multiline_partial_and_stop);
	tcase_add_test(tc, test_marathon_sse_big_event_linear);
	tcase_add_test(tc, test_marathon_event_fields);
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_marathon_client_calls);
	tcase_add_test(tc, test_marathon_client_events_over_fake);
	tcase_add_test(tc, test_marathon_real_errors_are_one_line);
	tcase_add_test(tc, test_marathon_real_event_stream);
	tcase_add_test(tc, test_marathon_real_event_stream_ticks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(marathon_suite());
	int failed;

	faultd_tmp_init();
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	faultd_tmp_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
