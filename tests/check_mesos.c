/*
 * check_mesos.c - unit tests of the mesos module: the master's and agents'
 * states parsed from the fixtures and from the shapes of other Mesos
 * versions, agent URLs, task-to-app matching, the /files/read scanner on
 * bytes that are not UTF-8, and the client over loopback against
 * tests/faultd.py (a master that redirects to the leader, an agent that is
 * down, a sandbox that is gone, reads looped over the 64 KiB cap).
 */
#include <config.h>

#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/roger.h"
#include "lib/mesos.h"
#include "faultd.h"

#define TASK "test-app.d44dd7f2-f9b7-11e4-bb43-56847afe9799"
#define AGENT "20150513-185808-177048842-5050-1220-S0"
#define FRAMEWORK "20150502-231327-16842879-5050-3889-0000"

/* ---- helpers ------------------------------------------------------------- */

static char *fixture_path(const char *name)
{
	static char path[1024];
	const char *src = getenv("TEST_SRCDIR");

	snprintf(path, sizeof(path), "%s/fixtures/%s",
		 src && *src ? src : "tests", name);
	return path;
}

static json_t *fixture_json(const char *name)
{
	json_error_t jerr;
	json_t *doc = json_load_file(fixture_path(name), 0, &jerr);

	ck_assert_msg(doc, "%s: %s", name, jerr.text);
	return doc;
}

static struct roger_mesos_master *master_from(const json_t *doc)
{
	struct roger_mesos_master *m = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	char *text = json_dumps(doc, 0);

	ck_assert_msg(roger_mesos_master_parse(&m, text, strlen(text), &err) ==
			      0,
		      "%s", err.msg);
	free(text);
	return m;
}

static struct roger_mesos_agent_state *agent_from(const json_t *doc)
{
	struct roger_mesos_agent_state *a = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	char *text = json_dumps(doc, 0);

	ck_assert_msg(roger_mesos_agent_parse(&a, text, strlen(text), &err) ==
			      0,
		      "%s", err.msg);
	free(text);
	return a;
}

static void assert_one_line(const char *msg)
{
	ck_assert_msg(*msg, "empty message");
	ck_assert_msg(!strchr(msg, '\n'), "not one line: %s", msg);
}

/* A loopback port nothing listens on. */
static int closed_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/*
 * The text of `doc` with every string "__PORT__" replaced by faultd's
 * "{port}" (its own port, filled in when it answers): for a "body".
 */
static char *with_port(const json_t *doc)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *text = json_dumps(doc, JSON_COMPACT), *p = text, *hit;

	while ((hit = strstr(p, "\"__PORT__\""))) {
		roger_buf_add(&b, p, (size_t)(hit - p));
		roger_buf_adds(&b, "{port}");
		p = hit + strlen("\"__PORT__\"");
	}
	roger_buf_adds(&b, p);
	free(text);
	return roger_buf_detach(&b, NULL);
}

/* A faultd rule answering GET `path` forever with `doc` as JSON. */
static json_t *rule_json(const char *path, const json_t *doc)
{
	char match[512];
	char *body = with_port(doc);
	json_t *r;

	snprintf(match, sizeof(match), "GET %s", path);
	r = json_pack("{s:s, s:i, s:s, s:{s:s}}", "match", match, "times", 0,
		      "body", body, "headers", "Content-Type",
		      "application/json");
	free(body);
	return r;
}

static void start_rules(struct faultd *f, json_t *rules)
{
	char *text = json_dumps(rules, 0);

	faultd_start_raw(f, text);
	free(text);
	json_decref(rules);
}

static struct roger_mesos *client(const char *url)
{
	struct roger_http_client_opts o = { 0 };
	struct roger_http_client *http = NULL;
	struct roger_mesos *m = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	const char *bases[1] = { url };

	o.name = "mesos";
	o.bases = bases;
	o.n_bases = 1;
	o.max_retries = -1;
	o.timeout_ms = 10000;
	ck_assert_msg(roger_http_client_new(&http, NULL, &o, NULL, &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(roger_mesos_new(&m, NULL, http, &err), 0);
	return m;
}

/* ---- the master's state -------------------------------------------------- */

START_TEST(test_mesos_master_fixture)
{
	json_t *doc = fixture_json("mesos-master-state.json");
	struct roger_mesos_master *m = master_from(doc);
	const struct roger_mesos_task *t;
	const struct roger_mesos_agent_info *a;
	char *url = NULL;

	ck_assert_str_eq(m->version, "1.7.2");
	ck_assert_str_eq(m->leader, "master@10.0.1.10:5050");
	ck_assert_uint_eq(m->n_agents, 1);
	ck_assert_uint_eq(m->n_tasks, 1);
	t = roger_mesos_master_task(m, TASK);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->framework_id, FRAMEWORK);
	ck_assert_str_eq(t->slave_id, AGENT);
	ck_assert_str_eq(t->state, "TASK_RUNNING");
	ck_assert_str_eq(t->executor_id, "");
	ck_assert_str_eq(t->container_id,
			 "b8a3b7c2-6a1e-4b5c-9c8e-2d0f5e3a1c11");
	ck_assert(t->timestamp > 1431552866.5 && t->timestamp < 1431552866.6);
	ck_assert(!t->completed);
	ck_assert_ptr_null(roger_mesos_master_task(m, "nope"));
	a = roger_mesos_master_agent(m, AGENT);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->hostname, "dcos-01");
	ck_assert_int_eq(a->port, 5051);
	ck_assert(a->active);
	ck_assert_int_eq(
		roger_mesos_agent_url(&url, a, "http://10.0.1.10:5050", NULL),
		0);
	ck_assert_str_eq(url, "http://dcos-01:5051");
	free(url);
	roger_mesos_master_free(m);
	json_decref(doc);
}
END_TEST

/*
 * What is free: resources less used_resources of the active agents (the
 * fixture's agent has 4 cpus and 2933 MB, 0.1 and 16 used), the roomiest
 * one's, never below nothing.
 */
START_TEST(test_mesos_master_free_resources)
{
	json_t *doc = fixture_json("mesos-master-state.json");
	json_t *slaves = json_object_get(doc, "slaves");
	json_t *second = json_deep_copy(json_array_get(slaves, 0));
	json_t *third = json_deep_copy(second);
	struct roger_mesos_master *m = master_from(doc);
	struct roger_mesos_free f;

	roger_mesos_master_free_resources(&f, m);
	ck_assert_uint_eq(f.agents, 1);
	ck_assert(f.cpus > 3.89 && f.cpus < 3.91);
	ck_assert(f.mem > 2916.9 && f.mem < 2917.1);
	roger_mesos_master_free(m);
	/* a fuller agent, and one overcommitted and inactive */
	json_object_set_new(second, "id", json_string("S2"));
	json_object_set_new(json_object_get(second, "used_resources"), "cpus",
			    json_real(3.5));
	json_object_set_new(third, "id", json_string("S3"));
	json_object_set_new(json_object_get(third, "used_resources"), "cpus",
			    json_real(9));
	json_object_set_new(third, "active", json_false());
	json_array_append_new(slaves, second);
	json_array_append_new(slaves, third);
	m = master_from(doc);
	roger_mesos_master_free_resources(&f, m);
	ck_assert_uint_eq(f.agents, 2);
	ck_assert(f.cpus > 3.89 && f.cpus < 3.91);
	ck_assert(f.total_cpus > 4.39 && f.total_cpus < 4.41);
	ck_assert(f.total_mem > 5833.9 && f.total_mem < 5834.1);
	roger_mesos_master_free(m);
	roger_mesos_master_free_resources(&f, NULL);
	ck_assert_uint_eq(f.agents, 0);
	json_decref(doc);
}
END_TEST

START_TEST(test_mesos_master_pid_only)
{
	/* Mesos 1.0 and 1.1 write no hostname or port for an agent. */
	json_t *doc = fixture_json("mesos-master-state.json");
	json_t *slave = json_array_get(json_object_get(doc, "slaves"), 0);
	struct roger_mesos_master *m;
	struct roger_err err = ROGER_ERR_INIT;
	char *url = NULL;

	json_object_del(slave, "hostname");
	json_object_del(slave, "port");
	m = master_from(doc);
	ck_assert_ptr_null(m->agents[0].hostname);
	ck_assert_int_eq(roger_mesos_agent_url(&url, &m->agents[0],
					       "https://mesos:5050/", &err),
			 0);
	ck_assert_str_eq(url, "https://172.17.8.101:5051");
	free(url);
	json_object_set_new(slave, "pid", json_string("slave(1)@nowhere"));
	roger_mesos_master_free(m);
	m = master_from(doc);
	ck_assert_int_eq(roger_mesos_agent_url(&url, &m->agents[0],
					       "http://m:5050", &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"agent '" AGENT
		"' has no hostname and port, and no usable pid ('slave(1)@nowhere')");
	roger_mesos_master_free(m);
	json_decref(doc);
}
END_TEST

/* A port that is not one (4294972347 wraps to 5051 as an int) reads as absent.
 */
START_TEST(test_mesos_master_port_out_of_range)
{
	json_t *doc = fixture_json("mesos-master-state.json");
	json_t *slave = json_array_get(json_object_get(doc, "slaves"), 0);
	struct roger_mesos_master *m;
	char *url = NULL;

	json_object_set_new(slave, "port", json_integer(4294972347LL));
	json_object_set_new(slave, "pid",
			    json_string("slave(1)@10.0.0.9:5052"));
	m = master_from(doc);
	ck_assert_int_eq(m->agents[0].port, 0);
	ck_assert_int_eq(roger_mesos_agent_url(&url, &m->agents[0],
					       "http://m:5050", NULL),
			 0);
	ck_assert_str_eq(url, "http://10.0.0.9:5052");
	free(url);
	roger_mesos_master_free(m);
	json_decref(doc);
}
END_TEST

START_TEST(test_mesos_agent_urls)
{
	struct roger_mesos_agent_info a = { .id = "S1",
					    .hostname = "agent-7.example.com",
					    .port = 5051,
					    .pid = "slave(1)@10.0.0.7:5051",
					    .active = true };
	struct roger_mesos_agent_info v6 = {
		.id = "S2", .hostname = "::1", .port = 5051, .active = true
	};
	static const struct {
		const char *master, *want;
	} cases[] = {
		{ "http://master:5050", "http://agent-7.example.com:5051" },
		{ "https://master:5050", "https://agent-7.example.com:5051" },
		{ "HTTPS://master", "HTTPS://agent-7.example.com:5051" },
		/* DC/OS: through Admin Router, by agent id. */
		{ "https://dcos.example.com/mesos",
		  "https://dcos.example.com/slave/S1" },
		{ "https://dcos.example.com/mesos/",
		  "https://dcos.example.com/slave/S1" },
		{ "https://dcos.example.com/x/mesos",
		  "https://dcos.example.com/x/slave/S1" },
		/* Only a final "/mesos" path segment means DC/OS. */
		{ "http://mesos", "http://agent-7.example.com:5051" },
		{ "http://h/mesosx", "http://agent-7.example.com:5051" },
	};
	char *url = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		ck_assert_int_eq(
			roger_mesos_agent_url(&url, &a, cases[i].master, NULL),
			0);
		ck_assert_msg(!strcmp(url, cases[i].want), "%s: %s",
			      cases[i].master, url);
		free(url);
	}
	ck_assert_int_eq(roger_mesos_agent_url(&url, &v6, "http://m", NULL), 0);
	ck_assert_str_eq(url, "http://[::1]:5051");
	free(url);
}
END_TEST

START_TEST(test_mesos_master_completed)
{
	/* Every place a task may be: live, unreachable, completed, in a
	 * completed framework, orphaned; live entries first. */
	json_t *doc = json_pack(
		"{s:[{s:s, s:s, s:i}],"
		" s:[{s:s, s:[{s:s, s:s, s:s}], s:[{s:s, s:s}],"
		"     s:[{s:s, s:s, s:s, s:[{s:s, s:f}, {s:s, s:f}]},"
		"        {s:s, s:s}]}],"
		" s:[{s:s, s:[], s:[{s:s, s:s}]}],"
		" s:[{s:s, s:s}]}",
		"slaves", "id", "S0", "hostname", "h0", "port", 5051,
		"frameworks", "id", "F1", "tasks", "id", "live", "slave_id",
		"S0", "state", "TASK_RUNNING", "unreachable_tasks", "id",
		"gone", "state", "TASK_UNREACHABLE", "completed_tasks", "id",
		"done", "state", "TASK_FAILED", "slave_id", "S0", "statuses",
		"state", "TASK_RUNNING", "timestamp", 10.0, "state",
		"TASK_FAILED", "timestamp", 20.5, "id", "live", "state",
		"TASK_KILLED", "completed_frameworks", "id", "F0", "tasks",
		"completed_tasks", "id", "old", "state", "TASK_FINISHED",
		"orphan_tasks", "id", "orphan", "framework_id", "F9");
	struct roger_mesos_master *m = master_from(doc);
	const struct roger_mesos_task *t;

	ck_assert_uint_eq(m->n_tasks, 6);
	ck_assert_str_eq(m->tasks[0].id, "live");
	ck_assert_str_eq(m->tasks[1].id, "gone");
	ck_assert_str_eq(m->tasks[2].id, "orphan");
	ck_assert_str_eq(m->tasks[2].framework_id, "F9");
	t = roger_mesos_master_task(m, "live");
	ck_assert_str_eq(t->state, "TASK_RUNNING");
	ck_assert(!t->completed);
	t = roger_mesos_master_task(m, "done");
	ck_assert(t->completed);
	ck_assert_str_eq(t->framework_id, "F1");
	ck_assert(t->timestamp == 20.5);
	ck_assert_ptr_null(t->container_id);
	t = roger_mesos_master_task(m, "old");
	ck_assert(t->completed);
	ck_assert_str_eq(t->framework_id, "F0");
	roger_mesos_master_free(m);
	json_decref(doc);
}
END_TEST

START_TEST(test_mesos_master_errors)
{
	struct roger_mesos_master *m = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_mesos_master_parse(&m, "<html>", 6, &err),
			 ROGER_EHTTP);
	ck_assert(strstr(err.msg, "invalid JSON in the master state"));
	assert_one_line(err.msg);
	ck_assert_int_eq(roger_mesos_master_parse(&m, "[]", 2, &err),
			 ROGER_EHTTP);
	ck_assert_int_eq(roger_mesos_master_parse(&m, "{\"x\":1}", 7, &err),
			 ROGER_EHTTP);
	ck_assert_str_eq(
		err.msg,
		"unexpected JSON in the master state: no \"slaves\" or \"frameworks\"");
	ck_assert_ptr_null(m);
	/* An empty cluster is a state. */
	ck_assert_int_eq(
		roger_mesos_master_parse(&m, "{\"slaves\":[]}", 13, &err), 0);
	ck_assert_uint_eq(m->n_tasks, 0);
	roger_mesos_master_free(m);
	roger_mesos_master_free(NULL);
}
END_TEST

START_TEST(test_mesos_task_of_app)
{
	static const struct {
		const char *task, *app;
		bool want;
	} cases[] = {
		{ "web_hello.01da9a15-1111-2222-3333-444455556666",
		  "/web/hello", true },
		{ "web_hello.marathon-01da9a15-1111-2222-3333-444455556666",
		  "/web/hello", true },
		{ "web_hello.instance-01da9a15-1111-2222-3333-444455556666._app.3",
		  "/web/hello", true },
		{ "web_hello.instance-01da9a15-1111-2222-3333-444455556666.nginx",
		  "/web/hello", true },
		{ "hello.01da9a15-1111-2222-3333-444455556666", "/hello",
		  true },
		{ TASK, "/test-app", true },
		/* Another app whose id starts the same. */
		{ "web_hello.x.01da9a15-1111-2222-3333-444455556666",
		  "/web/hello", false },
		{ "web_hello-2.01da9a15-1111-2222-3333-444455556666",
		  "/web/hello", false },
		{ "web_hello.01da9a15-1111-2222-3333-444455556666", "/web/hell",
		  false },
		{ "web_hello.01da9a15-1111-2222-3333-44445555666", "/web/hello",
		  false },
		{ "web_hello.01da9a15-1111-2222-3333-444455556666x",
		  "/web/hello", false },
		{ "web_hello.instance-zzda9a15-1111-2222-3333-444455556666._app.1",
		  "/web/hello", false },
		{ "chronos.8810d396-2c09-11e5-af1a-080027d3e806", "/web/hello",
		  false },
		{ "web_hello.01da9a15-1111-2222-3333-444455556666", "web/hello",
		  false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		ck_assert_msg(
			roger_mesos_task_of_app(cases[i].task, cases[i].app) ==
				cases[i].want,
			"%s of %s", cases[i].task, cases[i].app);
	ck_assert(!roger_mesos_task_of_app(NULL, "/a"));
}
END_TEST

/* ---- an agent's state ---------------------------------------------------- */

START_TEST(test_mesos_agent_fixture)
{
	json_t *doc = fixture_json("mesos-agent-state.json");
	struct roger_mesos_agent_state *a = agent_from(doc);
	struct roger_err err = ROGER_ERR_INIT;
	char *dir = NULL;

	ck_assert_str_eq(a->id, AGENT);
	ck_assert_str_eq(a->hostname, "dcos-01");
	ck_assert_int_eq(roger_mesos_agent_sandbox(&dir, a, NULL, TASK, &err),
			 0);
	ck_assert_str_eq(dir, "/var/lib/mesos/slaves/" AGENT
			      "/frameworks/" FRAMEWORK "/executors/" TASK
			      "/runs/b8a3b7c2-6a1e-4b5c-9c8e-2d0f5e3a1c11");
	free(dir);
	ck_assert_int_eq(
		roger_mesos_agent_sandbox(&dir, a, FRAMEWORK, TASK, &err), 0);
	free(dir);
	ck_assert_int_eq(
		roger_mesos_agent_sandbox(&dir, a, "other", TASK, &err),
		ROGER_ENOTFOUND);
	ck_assert_int_eq(roger_mesos_agent_sandbox(&dir, a, NULL, "nope", &err),
			 ROGER_ENOTFOUND);
	ck_assert_str_eq(err.msg,
			 "agent '" AGENT "' does not know task 'nope'");
	roger_mesos_agent_state_free(a);
	json_decref(doc);
}
END_TEST

START_TEST(test_mesos_agent_places)
{
	/* Completed executors, completed frameworks, a task found in an
	 * executor's task lists, a pod, an executor without a directory. */
	json_t *doc = json_pack(
		"{s:s, s:[{s:s, s:[{s:s, s:s, s:[{s:s}]}],"
		"          s:[{s:s, s:s, s:s}]}],"
		" s:[{s:s, s:[], s:[{s:s, s:s, s:s, s:[{s:s}], s:[{s:s}]},"
		"                 {s:s}]}]}",
		"id", "S0", "frameworks", "id", "F1", "executors", "id",
		"custom-exec", "directory", "/sb/custom", "queued_tasks", "id",
		"queued-task", "completed_executors", "id", "ended-task",
		"source", "ended-task", "directory", "/sb/ended",
		"completed_frameworks", "id", "F0", "executors",
		"completed_executors", "id", "pod-exec", "type", "DEFAULT",
		"directory", "/sb/pod", "tasks", "id", "pod-task-a",
		"completed_tasks", "id", "pod-task-b", "id", "no-dir");
	struct roger_mesos_agent_state *a = agent_from(doc);
	struct roger_err err = ROGER_ERR_INIT;
	static const struct {
		const char *task, *fw, *want;
	} cases[] = {
		{ "queued-task", NULL, "/sb/custom" },
		{ "ended-task", "F1", "/sb/ended" },
		{ "pod-task-a", NULL, "/sb/pod/tasks/pod-task-a" },
		{ "pod-task-b", "F0", "/sb/pod/tasks/pod-task-b" },
	};
	char *dir = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		ck_assert_msg(roger_mesos_agent_sandbox(&dir, a, cases[i].fw,
							cases[i].task,
							&err) == 0,
			      "%s: %s", cases[i].task, err.msg);
		ck_assert_str_eq(dir, cases[i].want);
		free(dir);
	}
	ck_assert_int_eq(
		roger_mesos_agent_sandbox(&dir, a, NULL, "no-dir", &err),
		ROGER_ENOTFOUND);
	ck_assert_str_eq(
		err.msg,
		"agent 'S0' has no sandbox directory for task 'no-dir' yet");
	roger_mesos_agent_state_free(a);
	json_decref(doc);
	ck_assert_int_eq(roger_mesos_agent_parse(&a, "{}", 2, &err),
			 ROGER_EHTTP);
	roger_mesos_agent_state_free(NULL);
}
END_TEST

/* ---- the files API ------------------------------------------------------- */

static int parse_read(struct roger_buf *data, int64_t *offset, const char *body,
		      size_t len)
{
	roger_buf_reset(data);
	*offset = -42;
	return roger_mesos_read_parse(data, offset, body, len, NULL);
}

START_TEST(test_mesos_read_fixtures)
{
	struct roger_buf body = ROGER_BUF_INIT, data = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	int64_t offset;

	ck_assert_int_eq(
		roger_fs_read_file(&body, fixture_path("mesos-files-read.json"),
				   &err),
		0);
	ck_assert_int_eq(parse_read(&data, &offset, body.buf, body.len), 0);
	ck_assert_int_eq(offset, 0);
	ck_assert_str_eq(
		data.buf,
		"Registered executor on mesos-slave.novalocal\nStarting task bcebedef-6e37-450d-99ca-84206a5385de\nForked command at 13319\nsh -c 'echo hello world'\nhello world\n");
	roger_buf_reset(&body);
	ck_assert_int_eq(
		roger_fs_read_file(&body,
				   fixture_path("mesos-files-read-size.json"),
				   &err),
		0);
	ck_assert_int_eq(parse_read(&data, &offset, body.buf, body.len), 0);
	ck_assert_int_eq(offset, 353857);
	ck_assert_uint_eq(data.len, 0);
	roger_buf_release(&body);
	roger_buf_release(&data);
}
END_TEST

START_TEST(test_mesos_read_bytes)
{
	struct roger_buf data = ROGER_BUF_INIT;
	int64_t offset;
	/* Raw bytes that are not UTF-8, as Mesos copies them, between
	 * escapes of every kind. */
	static const char body[] =
		"{\"offset\": 65536, \"data\": \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t"
		"\xff\xfe\xc3\\\" \\u00e9\\u0000\\ud83d\\ude00\\ud800x\xe2\x82\"}";
	static const char want[] = "a\"b\\c/d\b\f\n\r\t\xff\xfe\xc3"
				   "\" \xc3\xa9\0\xf0\x9f\x98\x80\xef\xbf\xbdx"
				   "\xe2\x82";

	ck_assert_int_eq(parse_read(&data, &offset, body, sizeof(body) - 1), 0);
	ck_assert_int_eq(offset, 65536);
	ck_assert_uint_eq(data.len, sizeof(want) - 1);
	ck_assert_mem_eq(data.buf, want, sizeof(want) - 1);
	roger_buf_release(&data);
}
END_TEST

START_TEST(test_mesos_read_shapes)
{
	struct roger_buf data = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	int64_t offset;
	static const char mixed[] =
		" { \"x\" : {\"a\": [1, \"]}\", {}]}, \"data\" : \"no\","
		" \"y\": true, \"offset\":12,\"data\":\"yes\", \"z\": null } ";
	static const char *const bad[] = {
		"",
		"null",
		"[]",
		"{",
		"{\"data\": \"x\"}",
		"{\"offset\": 1",
		"{\"data\": \"abc, \"offset\": 1}",
		"{\"offset\": x}",
		"{\"offset\": 1} trailing",
		"{\"data\": \"\\q\", \"offset\": 1}",
		"{\"data\": \"\\u12\", \"offset\": 1}",
		"{\"offset\": 1,}",
		"{\"offset\": -2}",
		"{\"x\": [1, 2}, \"offset\": 1}",
	};

	/* Other members of any kind are skipped; the last "data" wins. */
	ck_assert_int_eq(parse_read(&data, &offset, mixed, strlen(mixed)), 0);
	ck_assert_str_eq(data.buf, "yes");
	ck_assert_int_eq(offset, 12);
	ck_assert_int_eq(parse_read(&data, &offset, "{\"offset\": 3.0E2}", 17),
			 0);
	ck_assert_int_eq(offset, 300);
	ck_assert_uint_eq(data.len, 0);
	/* What was in the buffer stays, and the data is appended. */
	roger_buf_adds(&data, "old");
	ck_assert_int_eq(roger_mesos_read_parse(
				 &data, &offset,
				 "{\"data\":\"new\",\"offset\":1}", 25, NULL),
			 0);
	ck_assert_str_eq(data.buf, "oldnew");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		roger_buf_reset(&data);
		roger_buf_adds(&data, "keep");
		ck_assert_msg(roger_mesos_read_parse(&data, &offset, bad[i],
						     strlen(bad[i]),
						     &err) == ROGER_EHTTP,
			      "accepted: %s", bad[i]);
		ck_assert_str_eq(data.buf, "keep");
		assert_one_line(err.msg);
	}
	roger_buf_release(&data);
}
END_TEST

START_TEST(test_mesos_read_url)
{
	struct roger_buf b = ROGER_BUF_INIT;

	ck_assert_int_eq(roger_mesos_read_url(&b, "http://a:5051",
					      "/var/lib/mesos/x y/stdout", -1,
					      0),
			 0);
	ck_assert_str_eq(
		b.buf,
		"http://a:5051/files/read?path=%2Fvar%2Flib%2Fmesos%2Fx%20y%2Fstdout&offset=-1&length=0");
	roger_buf_reset(&b);
	ck_assert_int_eq(
		roger_mesos_read_url(&b, "http://a", "/f", 5000000000LL, -1),
		0);
	ck_assert_str_eq(b.buf,
			 "http://a/files/read?path=%2Ff&offset=5000000000");
	roger_buf_release(&b);
}
END_TEST

/* ---- the client over loopback -------------------------------------------- */

/* A master state naming one agent at faultd's own port. */
static json_t *master_doc(const char *task, int agent_port)
{
	json_t *doc = fixture_json("mesos-master-state.json");
	json_t *slave = json_array_get(json_object_get(doc, "slaves"), 0);
	json_t *t = json_array_get(
		json_object_get(
			json_array_get(json_object_get(doc, "frameworks"), 0),
			"tasks"),
		0);

	json_object_set_new(slave, "hostname", json_string("127.0.0.1"));
	if (agent_port)
		json_object_set_new(slave, "port", json_integer(agent_port));
	else
		json_object_set_new(slave, "port", json_string("__PORT__"));
	json_object_set_new(t, "id", json_string(task));
	return doc;
}

static json_t *agent_doc(const char *task, const char *dir)
{
	json_t *doc = fixture_json("mesos-agent-state.json");
	json_t *ex = json_array_get(
		json_object_get(
			json_array_get(json_object_get(doc, "frameworks"), 0),
			"executors"),
		0);

	json_object_set_new(ex, "id", json_string(task));
	json_object_set_new(ex, "source", json_string(task));
	json_object_set_new(ex, "directory", json_string(dir));
	json_object_set_new(ex, "tasks", json_array());
	return doc;
}

START_TEST(test_mesos_master_redirect)
{
	/* A master that is not the leader answers 307 with a
	 * protocol-relative Location; the leader answers. */
	struct faultd leader, follower;
	struct roger_mesos_master *st = NULL;
	struct roger_mesos *m;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *doc = master_doc(TASK, 5051), *rules;
	char location[64];

	rules = json_pack("[o]", rule_json("/master/state", doc));
	start_rules(&leader, rules);
	snprintf(location, sizeof(location), "//127.0.0.1:%d/master/state",
		 leader.port);
	rules = json_pack("[{s:s, s:i, s:i, s:{s:s}}]", "match",
			  "GET /master/state", "times", 0, "status", 307,
			  "headers", "Location", location);
	start_rules(&follower, rules);
	m = client(follower.url);
	ck_assert_msg(roger_mesos_master_state(&st, m, &err) == 0, "%s",
		      err.msg);
	ck_assert_ptr_nonnull(roger_mesos_master_task(st, TASK));
	ck_assert_uint_eq(faultd_count(&follower, "GET", "/master/state"), 1);
	ck_assert_uint_eq(faultd_count(&leader, "GET", "/master/state"), 1);
	roger_mesos_master_free(st);
	roger_mesos_free(m);
	json_decref(doc);
	faultd_stop(&leader);
	faultd_stop(&follower);
}
END_TEST

START_TEST(test_mesos_locate)
{
	static const char *const other =
		"web.instance-01da9a15-1111-2222-3333-444455556666._app.1";
	struct faultd f;
	struct roger_mesos_sandbox box = { 0 };
	struct roger_mesos *m;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *mdoc = master_doc(TASK, 0), *adoc = agent_doc(TASK, "/sb/1");
	char want[64];
	char *path;

	start_rules(&f, json_pack("[o, o]", rule_json("/master/state", mdoc),
				  rule_json("/slave(1)/state", adoc)));
	m = client(f.url);
	ck_assert_msg(roger_mesos_locate(&box, m, NULL, TASK, NULL, &err) == 0,
		      "%s", err.msg);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d", f.port);
	ck_assert_str_eq(box.agent_url, want);
	ck_assert_str_eq(box.agent_id, AGENT);
	ck_assert_str_eq(box.framework_id, FRAMEWORK);
	ck_assert_str_eq(box.directory, "/sb/1");
	path = roger_mesos_sandbox_file(&box, "stderr");
	ck_assert_str_eq(path, "/sb/1/stderr");
	free(path);
	roger_mesos_sandbox_release(&box);
	/* The second time, both states come from the cache. */
	ck_assert_int_eq(roger_mesos_locate(&box, m, NULL, TASK, NULL, &err),
			 0);
	roger_mesos_sandbox_release(&box);
	ck_assert_uint_eq(faultd_count(&f, "GET", "/master/state"), 1);
	ck_assert_uint_eq(faultd_count(&f, "GET", "/slave(1)/state"), 1);
	/* A task the cached agent state does not know: fetched again.  The
	 * agent Marathon named serves when the master lacks the task. */
	ck_assert_int_eq(roger_mesos_locate(&box, m, NULL, other, AGENT, &err),
			 ROGER_ENOTFOUND);
	ck_assert_str_eq(
		err.msg,
		"agent '" AGENT "' does not know task '"
		"web.instance-01da9a15-1111-2222-3333-444455556666._app.1"
		"'");
	ck_assert_uint_eq(faultd_count(&f, "GET", "/master/state"), 1);
	ck_assert_uint_eq(faultd_count(&f, "GET", "/slave(1)/state"), 2);
	/* Without that hint the master's state is fetched again. */
	ck_assert_int_eq(roger_mesos_locate(&box, m, NULL, other, NULL, &err),
			 ROGER_ENOTFOUND);
	ck_assert_str_eq(
		err.msg,
		"the Mesos master does not know task '"
		"web.instance-01da9a15-1111-2222-3333-444455556666._app.1"
		"'");
	ck_assert_uint_eq(faultd_count(&f, "GET", "/master/state"), 2);
	ck_assert_int_eq(roger_mesos_locate(&box, m, NULL, other, "S9", &err),
			 ROGER_ENOTFOUND);
	ck_assert(strstr(err.msg, "agent 'S9' of task"));
	roger_mesos_free(m);
	json_decref(mdoc);
	json_decref(adoc);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_mesos_agent_down)
{
	struct faultd f;
	struct roger_mesos_sandbox box = { 0 };
	struct roger_mesos *m;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *mdoc = master_doc(TASK, closed_port());

	start_rules(&f, json_pack("[o]", rule_json("/master/state", mdoc)));
	m = client(f.url);
	ck_assert_int_eq(roger_mesos_locate(&box, m, NULL, TASK, NULL, &err),
			 ROGER_ENET);
	ck_assert_msg(strstr(err.msg, "/slave(1)/state"), "%s", err.msg);
	assert_one_line(err.msg);
	roger_mesos_free(m);
	json_decref(mdoc);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_mesos_files_errors)
{
	struct faultd f;
	struct roger_mesos *m;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf data = ROGER_BUF_INIT;
	int64_t size = -5;

	faultd_start(
		&f,
		"[{'match': 'GET /files/read?path=%2Fgone*', 'status': 404, 'body': '', 'times': 0},"
		" {'match': 'GET /files/read?path=%2Fsecret*', 'status': 403, 'body': 'forbidden', 'times': 0},"
		" {'match': 'GET /files/read?path=%2Fbroken*', 'body': '<html>', 'times': 0},"
		" {'match': 'GET /files/read?path=%2Fok&offset=-1*', 'json': {'data': '', 'offset': 7}}]");
	m = client(f.url);
	ck_assert_int_eq(roger_mesos_file_size(&size, m, f.url, "/ok", &err),
			 0);
	ck_assert_int_eq(size, 7);
	ck_assert_int_eq(
		roger_mesos_file_size(&size, m, f.url, "/gone/stdout", &err),
		ROGER_ENOTFOUND);
	ck_assert_int_eq(size, 7);
	ck_assert_msg(
		strstr(err.msg,
		       "file '/gone/stdout' not found on agent 'http://127.0.0.1:"),
		"%s", err.msg);
	ck_assert_int_eq(
		roger_mesos_file_read(&data, m, f.url, "/secret", 0, -1, &err),
		ROGER_EAUTH);
	assert_one_line(err.msg);
	ck_assert_int_eq(
		roger_mesos_file_read(&data, m, f.url, "/broken", 0, -1, &err),
		ROGER_EHTTP);
	ck_assert_msg(
		strstr(err.msg, "invalid JSON in a file read (from 'http://"),
		"%s", err.msg);
	ck_assert_uint_eq(data.len, 0);
	roger_buf_release(&data);
	roger_mesos_free(m);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_mesos_read_loop)
{
	/* A range longer than the agent's cap takes several reads; the end
	 * of the file ends it early. */
	static const char tail[] = "{\"offset\":65536,\"data\":\"tail\"}";
	char file1[1200], file2[1200], script[4096];
	struct roger_buf big = ROGER_BUF_INIT, data = ROGER_BUF_INIT;
	struct faultd f;
	struct roger_mesos *m;
	struct roger_err err = ROGER_ERR_INIT;

	roger_buf_adds(&big, "{\"offset\": 0, \"data\": \"");
	for (int i = 0; i < ROGER_MESOS_READ_CAP / 8; i++)
		roger_buf_adds(&big, "0123456\\n");
	roger_buf_adds(&big, "\"}");
	snprintf(file1, sizeof(file1), "%s/chunk1", faultd_tmp_dir());
	ck_assert_int_eq(
		roger_fs_write_atomic(file1, big.buf, big.len, 0644, NULL), 0);
	snprintf(file2, sizeof(file2), "%s/chunk2", faultd_tmp_dir());
	ck_assert_int_eq(
		roger_fs_write_atomic(file2, tail, strlen(tail), 0644, NULL),
		0);
	snprintf(
		script, sizeof(script),
		"[{'match': 'GET /files/read?path=%%2Ff&offset=0&*', 'body_file': '%s'},"
		" {'match': 'GET /files/read?path=%%2Ff&offset=65536&*', 'body_file': '%s'},"
		" {'match': 'GET /files/read?path=%%2Ff&offset=65540&*', 'json': {'data': '', 'offset': 65540}}]",
		file1, file2);
	faultd_start(&f, script);
	m = client(f.url);
	ck_assert_msg(roger_mesos_file_read_range(&data, m, f.url, "/f", 0,
						  1000000, &err) == 0,
		      "%s", err.msg);
	ck_assert_uint_eq(data.len, ROGER_MESOS_READ_CAP + 4);
	ck_assert_str_eq(data.buf + ROGER_MESOS_READ_CAP, "tail");
	ck_assert_uint_eq(faultd_count(&f, "GET", "/files/read"), 3);
	roger_buf_release(&data);
	roger_buf_release(&big);
	roger_mesos_free(m);
	faultd_stop(&f);
}
END_TEST

static Suite *mesos_suite(void)
{
	Suite *s = suite_create("mesos");
	TCase *tc;

	tc = tcase_create("master");
	tcase_add_test(tc, test_mesos_master_fixture);
	tcase_add_test(tc, test_mesos_master_free_resources);
	tcase_add_test(tc, test_mesos_master_pid_only);
	tcase_add_test(tc, test_mesos_master_port_out_of_range);
	tcase_add_test(tc, test_mesos_agent_urls);
	tcase_add_test(tc, test_mesos_master_completed);
	tcase_add_test(tc, test_mesos_master_errors);
	tcase_add_test(tc, test_mesos_task_of_app);
	suite_add_tcase(s, tc);

	tc = tcase_create("agent");
	tcase_add_test(tc, test_mesos_agent_fixture);
	tcase_add_test(tc, test_mesos_agent_places);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_mesos_read_fixtures);
	tcase_add_test(tc, test_mesos_read_bytes);
	tcase_add_test(tc, test_mesos_read_shapes);
	tcase_add_test(tc, test_mesos_read_url);
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mesos_master_redirect);
	tcase_add_test(tc, test_mesos_locate);
	tcase_add_test(tc, test_mesos_agent_down);
	tcase_add_test(tc, test_mesos_files_errors);
	tcase_add_test(tc, test_mesos_read_loop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mesos_suite());
	int failed;

	faultd_tmp_init();
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	faultd_tmp_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
