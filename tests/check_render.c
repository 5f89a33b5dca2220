/*
 * check_render.c - unit tests of the render module: the app definition
 * roger deploys (merge, variables, the artifact's fetch entry, roger's
 * labels and env, what is refused), and the diff of two app definitions
 * on the Marathon fixtures of every version and on hand-made cases for
 * each default rule.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/roger.h"

#define COMMIT "0123456789abcdef0123456789abcdef01234567"
#define SHA "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999"
#define URL "http://127.0.0.1:7878/artifacts/web/hello/" SHA ".tar.gz"

/* ---- helpers ------------------------------------------------------------- */

static json_t *J(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	ck_assert_msg(v != NULL, "bad test JSON %s: %s", text, jerr.text);
	return v;
}

static void assert_json(const json_t *v, const char *text)
{
	char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_t *want = J(text);
	char *wanted = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);

	ck_assert_str_eq(got, wanted);
	free(got);
	free(wanted);
	json_decref(want);
}

static json_t *fixture(const char *name)
{
	const char *src = getenv("TEST_SRCDIR");
	char path[1024];
	json_error_t jerr;
	json_t *v;

	snprintf(path, sizeof(path), "%s/fixtures/%s",
		 src && *src ? src : "tests", name);
	v = json_load_file(path, 0, &jerr);
	ck_assert_msg(v != NULL, "%s: %s", path, jerr.text);
	return v;
}

static struct roger_project *project(const char *text)
{
	struct roger_project *p = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_project_parse(&p, "roger.json", text, strlen(text),
					  &err) == 0,
		      "%s", err.msg);
	return p;
}

static const struct roger_render_input input = {
	COMMIT, URL, SHA, "alice@laptop", "9.9.9", NULL, 0, NULL, false, NULL,
};

static json_t *render(const struct roger_project *p, const char *env,
		      const struct roger_render_input *in)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *app = NULL;

	ck_assert_msg(roger_render_app(&app, p, env, in, &err) == 0, "%s",
		      err.msg);
	return app;
}

/* Rendering fails with ROGER_EINVALID and this message. */
static void assert_render_fails(const struct roger_project *p, const char *env,
				const struct roger_render_input *in,
				const char *msg)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *app = NULL;

	ck_assert_int_eq(roger_render_app(&app, p, env, in, &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(app);
	ck_assert_str_eq(err.msg, msg);
}

/* ---- expose: marathon-lb labels (MARATHON-LB.md §5) ---------------------- */

START_TEST(test_render_expose_labels)
{
	struct roger_project *p = project(
		"{\"version\":1,\"app\":\"hello\",\"group\":\"/web\","
		"\"marathon\":{\"cmd\":\"x\",\"labels\":{\"team\":\"a\"}},"
		"\"expose\":{\"vhost\":[\"Hello.Example.com\",\"www.example.com\"],\"https_redirect\":true},"
		"\"environments\":{\"staging\":{\"expose\":{\"vhost\":\"hello.staging.example.com\",\"https_redirect\":false}},"
		"\"tcp\":{\"expose\":{\"vhost\":null,\"mode\":\"tcp\",\"https_redirect\":false,\"service_port\":10001}}}}");
	struct roger_render_input in = input;
	json_t *app, *labels;

	in.router_group = "external";
	app = render(p, NULL, &in);
	labels = json_object_get(app, "labels");
	ck_assert_str_eq(
		json_string_value(json_object_get(labels, "HAPROXY_GROUP")),
		"external");
	ck_assert_str_eq(
		json_string_value(json_object_get(labels, "HAPROXY_0_VHOST")),
		"hello.example.com,www.example.com");
	ck_assert_str_eq(
		json_string_value(json_object_get(labels, "HAPROXY_0_MODE")),
		"http");
	ck_assert_str_eq(json_string_value(json_object_get(
				 labels, "HAPROXY_0_REDIRECT_TO_HTTPS")),
			 "true");
	ck_assert_str_eq(json_string_value(json_object_get(labels, "team")),
			 "a");
	/* service ports stay 0 (absent) unless pinned */
	ck_assert_ptr_null(json_object_get(app, "portDefinitions"));
	json_decref(app);

	app = render(p, "staging", &input); /* a target without a group */
	labels = json_object_get(app, "labels");
	ck_assert_ptr_null(json_object_get(labels, "HAPROXY_GROUP"));
	ck_assert_str_eq(
		json_string_value(json_object_get(labels, "HAPROXY_0_VHOST")),
		"hello.staging.example.com");
	ck_assert_ptr_null(
		json_object_get(labels, "HAPROXY_0_REDIRECT_TO_HTTPS"));
	json_decref(app);

	app = render(p, "tcp", &in);
	labels = json_object_get(app, "labels");
	ck_assert_ptr_null(json_object_get(labels, "HAPROXY_0_VHOST"));
	ck_assert_str_eq(
		json_string_value(json_object_get(labels, "HAPROXY_0_MODE")),
		"tcp");
	assert_json(json_object_get(app, "portDefinitions"),
		    "[{\"port\":10001}]");
	json_decref(app);
	roger_project_free(p);
}
END_TEST

START_TEST(test_render_expose_refused)
{
	struct roger_project *p = project(
		"{\"version\":1,\"app\":\"hello\",\"group\":\"/web\","
		"\"marathon\":{\"cmd\":\"x\",\"labels\":{\"HAPROXY_0_VHOST\":\"a.example.com\"}},"
		"\"expose\":{\"vhost\":\"hello.example.com\"},"
		"\"environments\":{\"e\":{\"expose\":{\"vhost\":null,\"https_redirect\":true}}}}");
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *bad = NULL;
	const char *text =
		"{\"version\":1,\"app\":\"a\",\"expose\":{\"vhost\":\"a b\"}}";

	assert_render_fails(
		p, NULL, &input,
		"marathon.labels.HAPROXY_0_VHOST: roger sets it from 'expose' (or the target's router); remove it from marathon.labels");
	roger_project_free(p);
	p = project(
		"{\"version\":1,\"app\":\"hello\",\"marathon\":{\"cmd\":\"x\"},"
		"\"expose\":{\"https_redirect\":true}}");
	assert_render_fails(
		p, NULL, &input,
		"expose.https_redirect: needs a vhost (marathon-lb redirects by host name)");
	roger_project_free(p);
	ck_assert_int_eq(roger_project_parse(&bad, "roger.json", text,
					     strlen(text), &err),
			 ROGER_EINVALID);
	ck_assert_msg(strstr(err.msg, "expose.vhost") &&
			      strstr(err.msg, "not a host name"),
		      "%s", err.msg);
	text = "{\"version\":1,\"app\":\"a\",\"expose\":{\"vhosts\":\"a\"}}";
	roger_err_clear(&err);
	ck_assert_int_eq(roger_project_parse(&bad, "roger.json", text,
					     strlen(text), &err),
			 ROGER_EINVALID);
	ck_assert_msg(strstr(err.msg, "did you mean 'vhost'"), "%s", err.msg);
}
END_TEST

static struct roger_diff *diff(const char *old_app, const char *new_app,
			       unsigned flags)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_diff *d = NULL;
	json_t *o = J(old_app), *n = J(new_app);

	ck_assert_msg(roger_diff_apps(&d, o, n, flags, &err) == 0, "%s",
		      err.msg);
	json_decref(o);
	json_decref(n);
	return d;
}

/* The diff as text lines, without colors. */
static char *diff_text(const struct roger_diff *d)
{
	struct roger_buf b = ROGER_BUF_INIT;

	ck_assert_int_eq(roger_diff_format_text(&b, d, 0), 0);
	return roger_buf_detach(&b, NULL);
}

/* The diff of two apps is exactly `want` (lines of text; "" for none). */
static void assert_diff(const char *old_app, const char *new_app,
			unsigned flags, const char *want)
{
	struct roger_diff *d = diff(old_app, new_app, flags);
	char *got = diff_text(d);

	ck_assert_str_eq(got, want);
	ck_assert(roger_diff_empty(d) == (*want == '\0'));
	free(got);
	roger_diff_free(d);
}

/* No difference either way round. */
static void assert_same(const char *a, const char *b)
{
	assert_diff(a, b, 0, "");
	assert_diff(b, a, 0, "");
}

static void assert_same_json(const json_t *a, const json_t *b)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_diff *d = NULL;
	char *text;

	ck_assert_msg(roger_diff_apps(&d, a, b, 0, &err) == 0, "%s", err.msg);
	text = diff_text(d);
	ck_assert_msg(roger_diff_empty(d), "unexpected differences:\n%s", text);
	free(text);
	roger_diff_free(d);
	ck_assert_msg(roger_diff_apps(&d, b, a, 0, &err) == 0, "%s", err.msg);
	text = diff_text(d);
	ck_assert_msg(roger_diff_empty(d), "unexpected differences:\n%s", text);
	free(text);
	roger_diff_free(d);
}

/* ---- rendering ----------------------------------------------------------- */

START_TEST(test_render_base)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\", \"group\": \"/web\","
		" \"marathon\": {\"cmd\": \"./run $PORT0\", \"cpus\": 0.25,"
		" \"env\": {\"NODE_ENV\": \"production\"},"
		" \"labels\": {\"team\": \"web\"}}}");
	json_t *app = render(p, NULL, &input);

	assert_json(
		app,
		"{\"id\": \"/web/hello\", \"cmd\": \"./run $PORT0\", \"cpus\": 0.25,"
		" \"env\": {\"NODE_ENV\": \"production\", \"ROGER_COMMIT\": \"" COMMIT
		"\"},"
		" \"labels\": {\"team\": \"web\", \"ROGER_APP\": \"/web/hello\","
		" \"ROGER_ENV\": \"\", \"ROGER_COMMIT\": \"" COMMIT "\","
		" \"ROGER_ARTIFACT_SHA256\": \"" SHA
		"\", \"ROGER_VERSION\": \"9.9.9\","
		" \"ROGER_DEPLOYED_BY\": \"alice@laptop\", \"ROGER_INSTANCES\": \"1\"},"
		" \"fetch\": [{\"uri\": \"" URL "\", \"extract\": true}]}");
	json_decref(app);
	roger_project_free(p);
}
END_TEST

/*
 * ROGER_INSTANCES records roger.json's count (the environment's, after
 * variables); ROGER_DIRTY is there for a dirty work tree only.
 */
START_TEST(test_render_instances_and_dirty_labels)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\","
		" \"marathon\": {\"cmd\": \"x\", \"instances\": 2},"
		" \"environments\": {\"prod\": {\"marathon\": {\"instances\": 6}},"
		" \"none\": {\"marathon\": {\"instances\": null}}}}");
	struct roger_render_input in = input;
	struct roger_release rel;
	json_t *app, *labels;

	app = render(p, NULL, &input);
	labels = json_object_get(app, "labels");
	assert_json(json_object_get(labels, "ROGER_INSTANCES"), "\"2\"");
	ck_assert_ptr_null(json_object_get(labels, "ROGER_DIRTY"));
	ck_assert(roger_render_release(&rel, app));
	ck_assert(!rel.dirty);
	json_decref(app);
	app = render(p, "prod", &input);
	assert_json(json_object_get(json_object_get(app, "labels"),
				    "ROGER_INSTANCES"),
		    "\"6\"");
	json_decref(app);
	app = render(p, "none", &input);
	assert_json(json_object_get(json_object_get(app, "labels"),
				    "ROGER_INSTANCES"),
		    "\"1\"");
	json_decref(app);
	in.dirty = true;
	app = render(p, NULL, &in);
	assert_json(
		json_object_get(json_object_get(app, "labels"), "ROGER_DIRTY"),
		"\"true\"");
	ck_assert(roger_render_release(&rel, app));
	ck_assert(rel.dirty);
	json_decref(app);
	roger_project_free(p);
}
END_TEST

START_TEST(test_render_environment_and_variables)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\", \"group\": \"/web\","
		" \"vars\": {\"region\": \"eu\"},"
		" \"marathon\": {\"cmd\": \"./run --env {{ env }} --rev {{short_commit}} --in {{ region }}\","
		" \"instances\": 1, \"mem\": 64, \"env\": {\"A\": \"{{ app }}\", \"URL\": \"{{ artifact_url }}\"}},"
		" \"environments\": {\"prod\": {\"marathon\": {\"instances\": 6, \"mem\": null,"
		" \"env\": {\"SHA\": \"{{ artifact_sha256 }}\", \"C\": \"{{ commit }}\", \"U\": \"{{ user }}\"}}}}}");
	struct roger_var vars[] = { { "user", "bob" }, { "region", "us" } };
	struct roger_render_input in = input;
	json_t *app;

	in.vars = vars;
	in.n_vars = 2;
	app = render(p, "prod", &in);
	assert_json(json_object_get(app, "cmd"),
		    "\"./run --env prod --rev 0123456789ab --in us\"");
	ck_assert_int_eq(json_integer_value(json_object_get(app, "instances")),
			 6);
	ck_assert_ptr_null(json_object_get(app, "mem"));
	assert_json(json_object_get(app, "env"),
		    "{\"A\": \"hello\", \"URL\": \"" URL "\", \"SHA\": \"" SHA
		    "\","
		    " \"C\": \"" COMMIT
		    "\", \"U\": \"bob\", \"ROGER_COMMIT\": \"" COMMIT "\"}");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(app, "labels"), "ROGER_ENV")),
			 "prod");
	json_decref(app);
	roger_project_free(p);
}
END_TEST

/* An environment with its own app and group renders as that app. */
START_TEST(test_render_environment_app_and_group)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\", \"group\": \"/web\","
		" \"marathon\": {\"cmd\": \"./run {{ app }}\"},"
		" \"environments\": {\"staging\": {\"app\": \"hello-staging\"},"
		" \"qa\": {\"group\": \"/qa\"}, \"prod\": {}}}");
	json_t *app;

	app = render(p, "staging", &input);
	assert_json(json_object_get(app, "id"), "\"/web/hello-staging\"");
	assert_json(json_object_get(app, "cmd"), "\"./run hello-staging\"");
	assert_json(
		json_object_get(json_object_get(app, "labels"), "ROGER_APP"),
		"\"/web/hello-staging\"");
	json_decref(app);
	app = render(p, "qa", &input);
	assert_json(json_object_get(app, "id"), "\"/qa/hello\"");
	json_decref(app);
	app = render(p, "prod", &input);
	assert_json(json_object_get(app, "id"), "\"/web/hello\"");
	json_decref(app);
	app = render(p, NULL, &input);
	assert_json(json_object_get(app, "id"), "\"/web/hello\"");
	json_decref(app);
	roger_project_free(p);
}
END_TEST

START_TEST(test_render_fetch_order)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\","
		" \"marathon\": {\"cmd\": \"x\", \"fetch\": [{\"uri\": \"https://e.com/conf.tgz\"}]}}");
	struct roger_project *q = project(
		"{\"version\": 1, \"app\": \"hello\","
		" \"marathon\": {\"cmd\": \"x\", \"fetch\": [{\"uri\": \"https://e.com/a\"},"
		" {\"uri\": \"{{ artifact_url }}\", \"cache\": true}]}}");
	json_t *app = render(p, NULL, &input);

	/* The artifact first, the user's entries after it. */
	assert_json(json_object_get(app, "fetch"),
		    "[{\"uri\": \"" URL "\", \"extract\": true},"
		    " {\"uri\": \"https://e.com/conf.tgz\"}]");
	json_decref(app);
	/* A user entry for the artifact takes the place of roger's. */
	app = render(q, NULL, &input);
	assert_json(json_object_get(app, "fetch"),
		    "[{\"uri\": \"https://e.com/a\"},"
		    " {\"uri\": \"" URL "\", \"cache\": true}]");
	ck_assert_str_eq(json_string_value(json_object_get(app, "id")),
			 "/hello");
	json_decref(app);
	roger_project_free(p);
	roger_project_free(q);
}
END_TEST

START_TEST(test_render_refuses_what_roger_owns)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\","
		" \"marathon\": {\"cmd\": \"x\", \"labels\": {\"ROGER_COMMIT\": \"x\"}}}");
	struct roger_project *q = project(
		"{\"version\": 1, \"app\": \"hello\", \"marathon\": {\"cmd\": \"x\"},"
		" \"environments\": {\"prod\": {\"marathon\": {\"env\": {\"ROGER_COMMIT\": \"x\"}}},"
		" \"qa\": {\"marathon\": {\"labels\": {\"ROGER_DEPLOYED_BY\": \"me\"}}},"
		" \"old\": {\"marathon\": {\"uris\": [\"https://e.com/a.tgz\"]}},"
		" \"empty\": {\"marathon\": {\"uris\": []}}}}");
	json_t *app;

	assert_render_fails(
		p, NULL, &input,
		"marathon.labels.ROGER_COMMIT: roger sets this label on every release; use another name");
	assert_render_fails(
		q, "prod", &input,
		"environments.prod.marathon.env.ROGER_COMMIT: roger sets this variable to the deployed commit; use another name");
	assert_render_fails(
		q, "qa", &input,
		"environments.qa.marathon.labels.ROGER_DEPLOYED_BY: roger sets this label on every release; use another name");
	assert_render_fails(
		q, "old", &input,
		"environments.old.marathon.uris: cannot be used with fetch, which roger sets for the artifact; write each URI as a fetch entry {\"uri\": \"...\"}");
	/* An empty uris is dropped. */
	app = render(q, "empty", &input);
	ck_assert_ptr_null(json_object_get(app, "uris"));
	json_decref(app);
	/* roger.json refuses "id"; a fragment changed in memory too. */
	json_object_set_new(q->marathon, "id", json_string("/other"));
	assert_render_fails(
		q, NULL, &input,
		"marathon.id: must not be set: roger sets the app id from 'group' and 'app'");
	roger_project_free(p);
	roger_project_free(q);
}
END_TEST

START_TEST(test_render_errors)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\", \"marathon\": {\"cmd\": \"run {{ commt }}\"}}");
	struct roger_render_input in = input;

	assert_render_fails(
		p, NULL, &input,
		"marathon.cmd: unknown variable 'commt', did you mean 'commit'?");
	in.commit = "0123456";
	assert_render_fails(
		p, NULL, &in,
		"cannot render the app: commit '0123456' is not a full commit id");
	in = input;
	in.artifact_sha256 = "xyz";
	assert_render_fails(
		p, NULL, &in,
		"cannot render the app: 'xyz' is not a SHA-256 digest");
	in = input;
	in.artifact_url = "";
	assert_render_fails(p, NULL, &in,
			    "cannot render the app: no artifact URL");
	roger_project_free(p);
}
END_TEST

START_TEST(test_render_defaults_and_release)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\", \"marathon\": {\"cmd\": \"x\"}}");
	struct roger_render_input in = input;
	struct roger_release r;
	json_t *app, *wrapped,
		*plain = J("{\"id\": \"/x\", \"labels\": {\"a\": \"b\"}}");

	in.deployed_by = NULL;
	in.roger_version = NULL;
	app = render(p, NULL, &in);
	ck_assert(roger_render_release(&r, app));
	ck_assert_str_eq(r.deployed_by, "unknown");
	ck_assert_str_eq(r.roger_version, roger_version());
	ck_assert_str_eq(r.commit, COMMIT);
	ck_assert_str_eq(r.artifact_sha256, SHA);
	ck_assert_str_eq(r.env, "");
	ck_assert_str_eq(r.app, "/hello");
	wrapped = json_pack("{s:O}", "app", app);
	ck_assert(roger_render_release(&r, wrapped));
	ck_assert_str_eq(r.commit, COMMIT);
	ck_assert(!roger_render_release(&r, plain));
	ck_assert_ptr_null(r.commit);
	ck_assert_ptr_null(r.env);
	json_decref(wrapped);
	json_decref(plain);
	json_decref(app);
	roger_project_free(p);
}
END_TEST

START_TEST(test_render_mask_secrets)
{
	json_t *app = J(
		"{\"app\": {\"id\": \"/a\", \"env\": {\"DB_PASSWORD\": \"hunter2\","
		" \"MODE\": \"fast\", \"API_TOKEN\": {\"secret\": \"t\"}},"
		" \"labels\": {\"deploy_token\": \"x\", \"team\": \"web\"}}}");
	json_t *masked = NULL;

	ck_assert_int_eq(roger_render_mask_secrets(&masked, app, NULL), 0);
	assert_json(
		masked,
		"{\"app\": {\"id\": \"/a\", \"env\": {\"DB_PASSWORD\": \"***\","
		" \"MODE\": \"fast\", \"API_TOKEN\": \"***\"},"
		" \"labels\": {\"deploy_token\": \"***\", \"team\": \"web\"}}}");
	/* The input is left alone. */
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(app, "app"), "env"),
			"DB_PASSWORD")),
		"hunter2");
	json_decref(masked);
	json_decref(app);
}
END_TEST

/* ---- diff: defaults ------------------------------------------------------ */

/*
 * A member of a live app and, when it is not at its default, the line the
 * diff against an app that leaves it out must give.
 */
struct default_case {
	const char *member; /* "cpus": 1 */
	const char *line; /* NULL: no difference */
};

static const struct default_case default_cases[] = {
	{ "\"cpus\": 1", NULL },
	{ "\"cpus\": 1.0", NULL },
	{ "\"cpus\": 2", "- cpus: 2\n" },
	{ "\"mem\": 128", NULL },
	{ "\"mem\": 256", "- mem: 256\n" },
	{ "\"disk\": 0", NULL },
	{ "\"disk\": 10", "- disk: 10\n" },
	{ "\"gpus\": 0", NULL },
	{ "\"gpus\": 1", "- gpus: 1\n" },
	{ "\"instances\": 1", NULL },
	{ "\"instances\": 0", "- instances: 0\n" },
	{ "\"backoffSeconds\": 1", NULL },
	{ "\"backoffSeconds\": 5", "- backoffSeconds: 5\n" },
	{ "\"backoffFactor\": 1.15", NULL },
	{ "\"backoffFactor\": 2", "- backoffFactor: 2\n" },
	{ "\"maxLaunchDelaySeconds\": 3600", NULL },
	{ "\"maxLaunchDelaySeconds\": 300", NULL },
	{ "\"maxLaunchDelaySeconds\": 60", "- maxLaunchDelaySeconds: 60\n" },
	{ "\"requirePorts\": false", NULL },
	{ "\"requirePorts\": true", "- requirePorts: true\n" },
	{ "\"executor\": \"\"", NULL },
	{ "\"executor\": \"//cmd\"", "- executor: \"//cmd\"\n" },
	{ "\"killSelection\": \"YOUNGEST_FIRST\"", NULL },
	{ "\"killSelection\": \"OLDEST_FIRST\"",
	  "- killSelection: \"OLDEST_FIRST\"\n" },
	{ "\"upgradeStrategy\": {\"minimumHealthCapacity\": 1, \"maximumOverCapacity\": 1}",
	  NULL },
	{ "\"upgradeStrategy\": {\"minimumHealthCapacity\": 0.5, \"maximumOverCapacity\": 1}",
	  "- upgradeStrategy.minimumHealthCapacity: 0.5\n" },
	{ "\"unreachableStrategy\": {\"inactiveAfterSeconds\": 0, \"expungeAfterSeconds\": 0}",
	  NULL },
	{ "\"unreachableStrategy\": {\"inactiveAfterSeconds\": 300, \"expungeAfterSeconds\": 600}",
	  NULL },
	{ "\"unreachableStrategy\": {\"inactiveAfterSeconds\": 60, \"expungeAfterSeconds\": 0}",
	  "- unreachableStrategy.inactiveAfterSeconds: 60\n" },
	{ "\"unreachableStrategy\": \"disabled\"",
	  "- unreachableStrategy: \"disabled\"\n" },
	{ "\"networks\": [{\"mode\": \"host\"}]", NULL },
	{ "\"networks\": [{\"mode\": \"container/bridge\"}]",
	  "~ networks[0].mode: \"container/bridge\" -> \"host\"\n" },
	{ "\"portDefinitions\": [{\"port\": 10000, \"name\": \"default\", \"protocol\": \"tcp\"}]",
	  NULL },
	{ "\"portDefinitions\": [{\"port\": 10000, \"protocol\": \"tcp\", \"labels\": {}}]",
	  NULL },
	{ "\"portDefinitions\": [{\"port\": 10000, \"name\": \"http\"}]",
	  "~ portDefinitions[0].name: \"http\" -> \"default\"\n" },
	{ "\"portDefinitions\": []",
	  "+ portDefinitions[0]: {\"port\":0,\"protocol\":\"tcp\",\"name\":\"default\"}\n" },
	{ "\"ports\": [10001]", NULL },
	{ "\"labels\": {}", NULL },
	{ "\"labels\": {\"team\": \"web\"}", "- labels.team: \"web\"\n" },
	{ "\"env\": {}", NULL },
	{ "\"env\": {\"A\": \"1\"}", "- env.A: \"1\"\n" },
	{ "\"constraints\": []", NULL },
	{ "\"constraints\": [[\"hostname\", \"UNIQUE\"]]",
	  "- constraints[0]: [\"hostname\",\"UNIQUE\"]\n" },
	{ "\"uris\": []", NULL },
	{ "\"storeUrls\": []", NULL },
	{ "\"fetch\": []", NULL },
	{ "\"healthChecks\": []", NULL },
	{ "\"dependencies\": []", NULL },
	{ "\"readinessChecks\": []", NULL },
	{ "\"secrets\": {}", NULL },
	{ "\"args\": null", NULL },
	{ "\"user\": null", NULL },
	{ "\"ipAddress\": null", NULL },
	{ "\"residency\": null", NULL },
	{ "\"taskKillGracePeriodSeconds\": null", NULL },
	{ "\"taskKillGracePeriodSeconds\": 30",
	  "- taskKillGracePeriodSeconds: 30\n" },
	{ "\"role\": \"*\"", NULL },
	{ "\"role\": \"slave_public\"", NULL },
	{ "\"version\": \"2017-07-14T15:13:34.402Z\"", NULL },
	{ "\"versionInfo\": {\"lastScalingAt\": \"2017-07-14T15:13:34.402Z\"}",
	  NULL },
	{ "\"tasks\": [{\"id\": \"x\"}]", NULL },
	{ "\"tasksStaged\": 1, \"tasksRunning\": 2, \"tasksHealthy\": 3, \"tasksUnhealthy\": 4",
	  NULL },
	{ "\"deployments\": [{\"id\": \"d\"}]", NULL },
	{ "\"lastTaskFailure\": {\"taskId\": \"x\"}", NULL },
	{ "\"taskStats\": {\"totalSummary\": {}}", NULL },
	{ "\"readinessCheckResults\": [{\"name\": \"r\"}]", NULL },
	{ "\"acceptedResourceRoles\": null", NULL },
	{ "\"acceptedResourceRoles\": [\"*\"]",
	  "- acceptedResourceRoles[0]: \"*\"\n" },
	{ "\"container\": {\"type\": \"DOCKER\", \"volumes\": [], \"docker\": {\"image\": \"i\", \"forcePullImage\": false, \"privileged\": false, \"parameters\": []}}",
	  "- container.docker.image: \"i\"\n- container.type: \"DOCKER\"\n" },
};

START_TEST(test_diff_default_rules)
{
	const struct default_case *c = &default_cases[_i];
	char live[1024], rendered[] = "{\"id\": \"/a\", \"cmd\": \"c\"}";
	struct roger_diff *d;
	char *text;

	snprintf(live, sizeof(live), "{\"id\": \"/a\", \"cmd\": \"c\", %s}",
		 c->member);
	d = diff(live, rendered, 0);
	text = diff_text(d);
	ck_assert_msg(!strcmp(text, c->line ? c->line : ""),
		      "%s: got \"%s\", want \"%s\"", c->member, text,
		      c->line ? c->line : "");
	free(text);
	roger_diff_free(d);
	/* The other way round: as many changes, added instead of removed. */
	d = diff(rendered, live, 0);
	ck_assert_int_eq(d->n > 0, c->line != NULL);
	for (size_t i = 0; c->line && c->line[0] == '-' && i < d->n; i++)
		ck_assert_int_eq(d->items[i].op, ROGER_DIFF_ADD);
	roger_diff_free(d);
}
END_TEST

START_TEST(test_diff_health_check_defaults)
{
	const char *live =
		"{\"id\": \"/a\", \"healthChecks\": [{\"protocol\": \"HTTP\", \"path\": \"/\","
		" \"portIndex\": 0, \"gracePeriodSeconds\": 300, \"intervalSeconds\": 60,"
		" \"timeoutSeconds\": 20, \"maxConsecutiveFailures\": 3, \"delaySeconds\": 15,"
		" \"ignoreHttp1xx\": false, \"ipProtocol\": \"IPv4\", \"command\": null}]}";

	assert_same(live,
		    "{\"id\": \"/a\", \"healthChecks\": [{\"path\": \"/\"}]}");
	assert_diff(
		live,
		"{\"id\": \"/a\", \"healthChecks\": [{\"path\": \"/\", \"gracePeriodSeconds\": 30}]}",
		0, "~ healthChecks[0].gracePeriodSeconds: 300 -> 30\n");
	assert_diff(
		live,
		"{\"id\": \"/a\", \"healthChecks\": [{\"path\": \"/\", \"protocol\": \"TCP\"}]}",
		0, "~ healthChecks[0].protocol: \"HTTP\" -> \"TCP\"\n");
	/* A 1.5 MESOS_HTTP check shows no ignoreHttp1xx. */
	assert_same(
		"{\"id\": \"/a\", \"healthChecks\": [{\"protocol\": \"MESOS_HTTP\","
		" \"path\": \"/\", \"portIndex\": 0, \"delaySeconds\": 15}]}",
		"{\"id\": \"/a\", \"healthChecks\": [{\"protocol\": \"MESOS_HTTP\", \"path\": \"/\"}]}");
}
END_TEST

START_TEST(test_diff_health_checks_element_wise)
{
	const char *two =
		"{\"id\": \"/a\", \"healthChecks\": [{\"path\": \"/\"},"
		" {\"protocol\": \"TCP\", \"portIndex\": 1}]}";

	assert_diff(two,
		    "{\"id\": \"/a\", \"healthChecks\": [{\"path\": \"/\"},"
		    " {\"protocol\": \"TCP\", \"portIndex\": 2}]}",
		    0, "~ healthChecks[1].portIndex: 1 -> 2\n");
	assert_diff(
		two, "{\"id\": \"/a\", \"healthChecks\": [{\"path\": \"/\"}]}",
		0,
		"- healthChecks[1]: {\"protocol\":\"TCP\",\"portIndex\":1}\n");
	assert_diff("{\"id\": \"/a\"}",
		    "{\"id\": \"/a\", \"healthChecks\": [{\"path\": \"/h\"}]}",
		    0, "+ healthChecks[0]: {\"path\":\"/h\"}\n");
	assert_diff(
		two,
		"{\"id\": \"/a\", \"healthChecks\": [{\"protocol\": \"TCP\", \"portIndex\": 1}]}",
		0,
		"- healthChecks[0].path: \"/\"\n"
		"+ healthChecks[0].portIndex: 1\n"
		"+ healthChecks[0].protocol: \"TCP\"\n"
		"- healthChecks[1]: {\"protocol\":\"TCP\",\"portIndex\":1}\n");
}
END_TEST

START_TEST(test_diff_fetch_and_ports)
{
	assert_same(
		"{\"id\": \"/a\", \"fetch\": [{\"uri\": \"u\", \"extract\": true,"
		" \"executable\": false, \"cache\": false}]}",
		"{\"id\": \"/a\", \"fetch\": [{\"uri\": \"u\"}]}");
	assert_diff("{\"id\": \"/a\", \"fetch\": [{\"uri\": \"u\"}]}",
		    "{\"id\": \"/a\", \"fetch\": [{\"uri\": \"v\"}]}", 0,
		    "~ fetch[0].uri: \"u\" -> \"v\"\n");
	/* 1.4 writes uris beside fetch; 0.15 has only uris. */
	assert_same(
		"{\"id\": \"/a\", \"uris\": [\"u\"], \"fetch\": [{\"uri\": \"u\", \"extract\": true}]}",
		"{\"id\": \"/a\", \"fetch\": [{\"uri\": \"u\"}]}");
	assert_same("{\"id\": \"/a\", \"uris\": [\"u\"]}",
		    "{\"id\": \"/a\", \"fetch\": [{\"uri\": \"u\"}]}");
	/* Service ports Marathon assigned for port 0. */
	assert_same(
		"{\"id\": \"/a\", \"portDefinitions\": [{\"port\": 10003, \"name\": \"http\", \"protocol\": \"tcp\"}]}",
		"{\"id\": \"/a\", \"portDefinitions\": [{\"port\": 0, \"name\": \"http\"}]}");
	assert_same(
		"{\"id\": \"/a\", \"portDefinitions\": [{\"port\": 10003, \"name\": \"http\"}]}",
		"{\"id\": \"/a\", \"portDefinitions\": [{\"name\": \"http\"}]}");
	assert_diff("{\"id\": \"/a\", \"portDefinitions\": [{\"port\": 8081}]}",
		    "{\"id\": \"/a\", \"portDefinitions\": [{\"port\": 8080}]}",
		    0, "~ portDefinitions[0].port: 8081 -> 8080\n");
	assert_diff(
		"{\"id\": \"/a\", \"portDefinitions\": [{\"port\": 10000}]}",
		"{\"id\": \"/a\", \"portDefinitions\": [{\"port\": 0}, {\"port\": 0}]}",
		0, "+ portDefinitions[1]: {\"port\":0}\n");
	/* 1.4's legacy ports, and bridge networking's derived ones. */
	assert_same(
		"{\"id\": \"/a\", \"ports\": [10001, 10002]}",
		"{\"id\": \"/a\", \"portDefinitions\": [{\"port\": 0}, {\"port\": 0}]}");
	assert_same(
		"{\"id\": \"/a\", \"ports\": [10001], \"portDefinitions\": [{\"port\": 10001}],"
		" \"container\": {\"docker\": {\"network\": \"BRIDGE\"}}}",
		"{\"id\": \"/a\", \"container\": {\"docker\": {\"network\": \"BRIDGE\"}}}");
}
END_TEST

START_TEST(test_diff_env_labels_and_metadata)
{
	const char *live =
		"{\"id\": \"/a\", \"env\": {\"A\": \"1\", \"B\": \"2\"},"
		" \"labels\": {\"ROGER_COMMIT\": \"c1\", \"ROGER_DEPLOYED_BY\": \"alice\","
		" \"ROGER_VERSION\": \"0.1.0\", \"team\": \"web\"}}";
	const char *next =
		"{\"id\": \"/a\", \"env\": {\"A\": \"1\", \"B\": \"3\", \"C\": \"4\"},"
		" \"labels\": {\"ROGER_COMMIT\": \"c1\", \"ROGER_DEPLOYED_BY\": \"bob\","
		" \"ROGER_VERSION\": \"0.2.0\"}}";
	const char *redeploy =
		"{\"id\": \"/a\", \"env\": {\"A\": \"1\", \"B\": \"2\"},"
		" \"labels\": {\"ROGER_COMMIT\": \"c1\", \"ROGER_DEPLOYED_BY\": \"bob\","
		" \"ROGER_VERSION\": \"0.2.0\", \"team\": \"web\"}}";

	assert_diff(live, next, 0,
		    "~ env.B: \"2\" -> \"3\"\n"
		    "+ env.C: \"4\"\n"
		    "~ labels.ROGER_DEPLOYED_BY: \"alice\" -> \"bob\"\n"
		    "~ labels.ROGER_VERSION: \"0.1.0\" -> \"0.2.0\"\n"
		    "- labels.team: \"web\"\n");
	assert_diff(live, next, ROGER_DIFF_IGNORE_METADATA,
		    "~ env.B: \"2\" -> \"3\"\n"
		    "+ env.C: \"4\"\n"
		    "- labels.team: \"web\"\n");
	/* The same release deployed again by someone else: unchanged. */
	assert_diff(live, redeploy, ROGER_DIFF_IGNORE_METADATA, "");
	assert_diff(
		live,
		"{\"id\": \"/a\", \"env\": {\"A\": \"1\", \"B\": \"2\"},"
		" \"labels\": {\"ROGER_COMMIT\": \"c2\", \"team\": \"web\"}}",
		ROGER_DIFF_IGNORE_METADATA,
		"~ labels.ROGER_COMMIT: \"c1\" -> \"c2\"\n");
	/* Odd key names are quoted in paths. */
	assert_diff("{\"id\": \"/a\"}",
		    "{\"id\": \"/a\", \"labels\": {\"a.b\": \"x\"}}", 0,
		    "+ labels[\"a.b\"]: \"x\"\n");
}
END_TEST

/*
 * A rollback's labels are metadata; ROGER_INSTANCES counts only when both
 * sides have it (a release of an older roger has none); ROGER_DIRTY
 * always counts.
 */
START_TEST(test_diff_release_labels)
{
	const char *live =
		"{\"id\": \"/a\", \"labels\": {\"ROGER_COMMIT\": \"c1\"}}";

	assert_diff(
		live,
		"{\"id\": \"/a\", \"labels\": {\"ROGER_COMMIT\": \"c1\","
		" \"ROGER_ROLLBACK_OF\": \"v\", \"ROGER_ROLLBACK_TO\": \"w\","
		" \"ROGER_ROLLBACK_COMMIT\": \"c2\", \"ROGER_ROLLBACK_CAUSE\": \"failed\","
		" \"ROGER_ROLLBACK_BY\": \"bob\"}}",
		ROGER_DIFF_IGNORE_METADATA, "");
	assert_diff(live,
		    "{\"id\": \"/a\", \"labels\": {\"ROGER_COMMIT\": \"c1\","
		    " \"ROGER_INSTANCES\": \"3\"}}",
		    ROGER_DIFF_IGNORE_METADATA, "");
	assert_diff(
		"{\"id\": \"/a\", \"labels\": {\"ROGER_INSTANCES\": \"1\"}}",
		"{\"id\": \"/a\", \"labels\": {\"ROGER_INSTANCES\": \"3\"}}",
		ROGER_DIFF_IGNORE_METADATA,
		"~ labels.ROGER_INSTANCES: \"1\" -> \"3\"\n");
	assert_diff("{\"id\": \"/a\", \"labels\": {\"ROGER_DIRTY\": \"true\"}}",
		    "{\"id\": \"/a\"}", ROGER_DIFF_IGNORE_METADATA,
		    "- labels.ROGER_DIRTY: \"true\"\n");
}
END_TEST

START_TEST(test_diff_secrets_masked)
{
	struct roger_diff *d = diff(
		"{\"id\": \"/a\", \"env\": {\"DB_PASSWORD\": \"hunter2\", \"API_TOKEN\": {\"secret\": \"s1\"}}}",
		"{\"id\": \"/a\", \"env\": {\"DB_PASSWORD\": \"swordfish\", \"API_TOKEN\": {\"secret\": \"s2\"}}}",
		0);
	char *text = diff_text(d);
	json_t *j = NULL;
	char *dump;

	ck_assert_str_eq(text, "~ env.API_TOKEN.secret: \"***\" -> \"***\"\n"
			       "~ env.DB_PASSWORD: \"***\" -> \"***\"\n");
	ck_assert(d->items[0].secret && d->items[1].secret);
	ck_assert_int_eq(roger_diff_to_json(&j, d, NULL), 0);
	dump = json_dumps(j, JSON_COMPACT);
	ck_assert_ptr_null(strstr(dump, "hunter2"));
	ck_assert_ptr_null(strstr(dump, "swordfish"));
	ck_assert_ptr_null(strstr(dump, "s2"));
	ck_assert_ptr_nonnull(strstr(dump, "\"secret\":true"));
	free(dump);
	json_decref(j);
	free(text);
	roger_diff_free(d);
}
END_TEST

START_TEST(test_diff_ids_and_numbers)
{
	assert_same("{\"id\": \"/web/hello\"}", "{\"id\": \"web/hello/\"}");
	assert_diff("{\"id\": \"/web/a\"}", "{\"id\": \"/web/b\"}", 0,
		    "~ id: \"/web/a\" -> \"/web/b\"\n");
	assert_same("{\"id\": \"/a\", \"cpus\": 0.5, \"mem\": 64}",
		    "{\"id\": \"/a\", \"cpus\": 0.5, \"mem\": 64.0}");
	assert_diff("{\"id\": \"/a\", \"cmd\": \"x\"}",
		    "{\"id\": \"/a\", \"args\": [\"x\"]}", 0,
		    "+ args[0]: \"x\"\n- cmd: \"x\"\n");
	assert_diff("{\"id\": \"/a\", \"cmd\": \"x\"}",
		    "{\"id\": \"/a\", \"cmd\": 1}", 0, "~ cmd: \"x\" -> 1\n");
}
END_TEST

/* ---- image apps ---------------------------------------------------------- */

#define REF "127.0.0.1:5000/web/hello@sha256:" SHA
#define BASE "debian:12@sha256:" SHA

static const char image_project[] =
	"{\"version\": 1, \"app\": \"hello\", \"group\": \"/web\","
	" \"image\": {\"base\": \"debian:12\"},"
	" \"marathon\": {\"cmd\": \"./server\", \"portDefinitions\": [{\"port\": 0, \"name\": \"http\"}],"
	"  \"container\": {\"volumes\": [{\"containerPath\": \"/data\", \"hostPath\": \"/srv\", \"mode\": \"RW\"}],"
	"                 \"docker\": {\"forcePullImage\": true}}},"
	" \"environments\": {\"own\": {\"marathon\": {\"networks\": [{\"mode\": \"container/bridge\"}]}}}}";

static json_t *render_image(const struct roger_project *p, const char *env,
			    const char *runtime, enum roger_render_shape shape)
{
	struct roger_render_image im = { REF, BASE, runtime, shape };
	struct roger_render_input in = input;

	in.artifact_url = NULL;
	in.artifact_sha256 = NULL;
	in.image = &im;
	return render(p, env, &in);
}

START_TEST(test_render_image_shapes)
{
	struct roger_project *p = project(image_project);
	json_t *app = render_image(p, NULL, NULL, ROGER_RENDER_SHAPE_15);

	/* 1.5: type and image over the fragment's container, host networks */
	assert_json(
		json_object_get(app, "container"),
		"{\"type\": \"DOCKER\", \"docker\": {\"image\": \"" REF
		"\", \"forcePullImage\": true},"
		" \"volumes\": [{\"containerPath\": \"/data\", \"hostPath\": \"/srv\", \"mode\": \"RW\"}]}");
	assert_json(json_object_get(app, "networks"), "[{\"mode\": \"host\"}]");
	assert_json(json_object_get(app, "portDefinitions"),
		    "[{\"port\": 0, \"name\": \"http\"}]");
	ck_assert_ptr_null(json_object_get(app, "fetch"));
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(app, "labels"), "ROGER_IMAGE")),
		REF);
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(app, "labels"), "ROGER_IMAGE_BASE")),
		BASE);
	ck_assert_ptr_null(json_object_get(json_object_get(app, "labels"),
					   "ROGER_ARTIFACT_SHA256"));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(app, "env"), "ROGER_COMMIT")),
			 COMMIT);
	json_decref(app);

	/* 1.4: the network of a Docker container inside docker */
	app = render_image(p, NULL, "DOCKER", ROGER_RENDER_SHAPE_14);
	assert_json(
		json_object_get(json_object_get(app, "container"), "docker"),
		"{\"image\": \"" REF
		"\", \"forcePullImage\": true, \"network\": \"HOST\"}");
	ck_assert_ptr_null(json_object_get(app, "networks"));
	json_decref(app);

	/* the Mesos containerizer: no docker.network in 1.4 */
	app = render_image(p, NULL, "MESOS", ROGER_RENDER_SHAPE_14);
	assert_json(json_object_get(json_object_get(app, "container"), "type"),
		    "\"MESOS\"");
	ck_assert_ptr_null(json_object_get(
		json_object_get(json_object_get(app, "container"), "docker"),
		"network"));
	json_decref(app);

	/* networks of the fragment's own stay */
	app = render_image(p, "own", "MESOS", ROGER_RENDER_SHAPE_15);
	assert_json(json_object_get(app, "networks"),
		    "[{\"mode\": \"container/bridge\"}]");
	json_decref(app);
	roger_project_free(p);
}
END_TEST

START_TEST(test_render_image_no_artifact)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\", \"image\": {\"base\": \"debian:12\"},"
		" \"marathon\": {\"cmd\": \"curl {{ artifact_url }}\"}}");
	struct roger_render_image im = { REF, NULL, NULL,
					 ROGER_RENDER_SHAPE_15 };
	struct roger_render_input in = input;

	in.image = &im;
	/* an image app has no artifact to name */
	assert_render_fails(
		p, NULL, &in,
		"marathon.cmd: unknown variable 'artifact_url'; set it with --var artifact_url=VALUE or ROGER_VAR_artifact_url");
	im.reference = NULL;
	assert_render_fails(p, NULL, &in,
			    "cannot render the app: no image reference");
	roger_project_free(p);

	p = project(
		"{\"version\": 1, \"app\": \"hello\", \"image\": {\"base\": \"debian:12\"},"
		" \"marathon\": {\"labels\": {\"ROGER_IMAGE\": \"x\"}}}");
	im.reference = REF;
	assert_render_fails(
		p, NULL, &in,
		"marathon.labels.ROGER_IMAGE: roger sets this label on every release; use another name");
	roger_project_free(p);
}
END_TEST

START_TEST(test_render_external_image)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\", \"group\": \"/web\","
		" \"marathon\": {\"container\": {\"type\": \"DOCKER\", \"docker\": {\"image\": \"nginx:{{ tag }}\", \"network\": \"BRIDGE\"}}}}");
	static const struct roger_var vars[] = { { "tag", "1.25" } };
	struct roger_render_input in = input;
	json_t *merged = NULL, *app;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(
		roger_project_environment(p, NULL, &merged, NULL, &err), 0);
	ck_assert_str_eq(roger_render_external_image(merged),
			 "nginx:{{ tag }}");
	json_decref(merged);
	in.artifact_url = NULL;
	in.artifact_sha256 = NULL;
	in.vars = vars;
	in.n_vars = 1;
	app = render(p, NULL, &in);
	/* as written, variables expanded; nothing of an artifact */
	assert_json(
		json_object_get(app, "container"),
		"{\"type\": \"DOCKER\", \"docker\": {\"image\": \"nginx:1.25\", \"network\": \"BRIDGE\"}}");
	ck_assert_ptr_null(json_object_get(app, "fetch"));
	ck_assert_ptr_null(json_object_get(app, "networks"));
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(app, "labels"), "ROGER_IMAGE")),
		"nginx:1.25");
	ck_assert_ptr_null(json_object_get(json_object_get(app, "labels"),
					   "ROGER_ARTIFACT_SHA256"));
	json_decref(app);
	roger_project_free(p);
}
END_TEST

START_TEST(test_render_shape_for_version)
{
	static const struct {
		const char *version;
		enum roger_render_shape shape;
	} cases[] = {
		{ "1.4.13", ROGER_RENDER_SHAPE_14 },
		{ "1.4.0-RC3", ROGER_RENDER_SHAPE_14 },
		{ "1.3.6", ROGER_RENDER_SHAPE_14 },
		{ "0.15.3", ROGER_RENDER_SHAPE_14 },
		{ "1.5.0", ROGER_RENDER_SHAPE_15 },
		{ "1.7.202", ROGER_RENDER_SHAPE_15 },
		{ "1.10.26", ROGER_RENDER_SHAPE_15 },
		{ "2.0", ROGER_RENDER_SHAPE_15 },
		{ "", ROGER_RENDER_SHAPE_15 },
		{ "unknown", ROGER_RENDER_SHAPE_15 },
		{ NULL, ROGER_RENDER_SHAPE_15 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(roger_render_shape_for(cases[i].version) ==
				      cases[i].shape,
			      "%s",
			      cases[i].version ? cases[i].version : "NULL");
}
END_TEST

/* The contract's DOCKER example in 1.4's shape and 1.5's: the same app. */
START_TEST(test_diff_container_shapes)
{
	json_t *a = fixture("marathon-app-container-docker-1.4.json");
	json_t *b = fixture("marathon-app-container-docker-1.5.json");
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_diff *d = NULL;

	ck_assert_int_eq(roger_diff_apps(&d, a, b, 0, &err), 0);
	ck_assert_msg(roger_diff_empty(d), "%s", diff_text(d));
	roger_diff_free(d);
	ck_assert_int_eq(roger_diff_apps(&d, b, a, 0, &err), 0);
	ck_assert(roger_diff_empty(d));
	roger_diff_free(d);
	json_decref(a);
	json_decref(b);
	/* host networking: 1.4's HOST is 1.5's host network, or none */
	assert_same(
		"{\"id\": \"/a\", \"container\": {\"type\": \"DOCKER\", \"docker\": {\"image\": \"x\", \"network\": \"HOST\"}}}",
		"{\"id\": \"/a\", \"container\": {\"type\": \"DOCKER\", \"docker\": {\"image\": \"x\"}}, \"networks\": [{\"mode\": \"host\"}]}");
	assert_same(
		"{\"id\": \"/a\", \"container\": {\"docker\": {\"image\": \"x\", \"network\": \"HOST\"}}}",
		"{\"id\": \"/a\", \"container\": {\"docker\": {\"image\": \"x\"}}}");
	/* USER: a container network of ipAddress.networkName */
	assert_same(
		"{\"id\": \"/a\", \"ipAddress\": {\"networkName\": \"dcos\"}, \"container\": {\"docker\": {\"image\": \"x\", \"network\": \"USER\"}}}",
		"{\"id\": \"/a\", \"container\": {\"docker\": {\"image\": \"x\"}}, \"networks\": [{\"mode\": \"container\", \"name\": \"dcos\"}]}");
	/* another image is a change */
	assert_diff(
		"{\"id\": \"/a\", \"container\": {\"docker\": {\"image\": \"x\", \"network\": \"HOST\"}}}",
		"{\"id\": \"/a\", \"container\": {\"docker\": {\"image\": \"y\"}}, \"networks\": [{\"mode\": \"host\"}]}",
		0, "~ container.docker.image: \"x\" -> \"y\"\n");
}
END_TEST

/* ---- diff: the fixtures -------------------------------------------------- */

START_TEST(test_diff_fixtures_against_themselves)
{
	static const char *const names[] = {
		"marathon-get-app.json",
		"marathon-post-app-201.json",
	};
	json_t *apps = fixture("marathon-get-apps-1.5.json");
	json_t *legacy = fixture("marathon-get-apps-legacy-0.15.json");
	json_t *e;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *a = fixture(names[i]);

		assert_same_json(a, a);
		json_decref(a);
	}
	json_array_foreach(json_object_get(apps, "apps"), i, e)
		assert_same_json(e, e);
	json_array_foreach(json_object_get(legacy, "apps"), i, e)
		assert_same_json(e, e);
	json_decref(apps);
	json_decref(legacy);
}
END_TEST

/* What a user would write for the app of marathon-get-app.json (1.5). */
static const char nginx_green[] =
	"{\"id\": \"/nginx-green\", \"acceptedResourceRoles\": [\"*\", \"slave_public\"],"
	" \"container\": {\"type\": \"DOCKER\", \"docker\": {\"forcePullImage\": true,"
	" \"image\": \"brndnmtthws/nginx-echo-sleep\"},"
	" \"portMappings\": [{\"containerPort\": 8080}]},"
	" \"cpus\": 0.1, \"mem\": 65, \"instances\": 3,"
	" \"networks\": [{\"mode\": \"container/bridge\"}],"
	" \"healthChecks\": [{\"gracePeriodSeconds\": 15, \"intervalSeconds\": 3,"
	" \"maxConsecutiveFailures\": 10, \"path\": \"/\", \"protocol\": \"MESOS_HTTP\","
	" \"timeoutSeconds\": 15}],"
	" \"labels\": {\"HAPROXY_DEPLOYMENT_GROUP\": \"nginx\", \"HAPROXY_GROUP\": \"external\","
	" \"HAPROXY_DEPLOYMENT_COLOUR\": \"green\", \"HAPROXY_DEPLOYMENT_TARGET_INSTANCES\": \"20\","
	" \"HAPROXY_DEPLOYMENT_STARTED_AT\": \"2016-02-01T14:13:42.499089\","
	" \"HAPROXY_DEPLOYMENT_ALT_PORT\": \"10001\", \"HAPROXY_0_PORT\": \"10000\","
	" \"HAPROXY_APP_ID\": \"nginx\"}}";

START_TEST(test_diff_fixture_1_5_against_rendered)
{
	json_t *live = fixture("marathon-get-app.json");
	json_t *rendered = J(nginx_green);
	struct roger_diff *d = NULL;
	char *text;

	assert_same_json(live, rendered);
	json_object_set_new(rendered, "instances", json_integer(5));
	json_object_set_new(json_object_get(rendered, "labels"),
			    "HAPROXY_GROUP", json_string("internal"));
	ck_assert_int_eq(roger_diff_apps(&d, live, rendered, 0, NULL), 0);
	text = diff_text(d);
	ck_assert_str_eq(
		text, "~ instances: 3 -> 5\n"
		      "~ labels.HAPROXY_GROUP: \"external\" -> \"internal\"\n");
	free(text);
	roger_diff_free(d);
	json_decref(rendered);
	json_decref(live);
}
END_TEST

START_TEST(test_diff_fixture_legacy_against_rendered)
{
	json_t *apps = fixture("marathon-get-apps-legacy-0.15.json");
	json_t *live = json_array_get(json_object_get(apps, "apps"), 0);
	json_t *rendered = J(
		"{\"id\": \"nginx-blue\", \"cpus\": 0.1, \"mem\": 65,"
		" \"acceptedResourceRoles\": [\"*\", \"slave_public\"],"
		" \"container\": {\"type\": \"DOCKER\", \"docker\": {\"image\": \"brndnmtthws/nginx-echo-sleep\","
		" \"network\": \"BRIDGE\", \"forcePullImage\": true,"
		" \"portMappings\": [{\"containerPort\": 8080, \"protocol\": \"tcp\"}]}},"
		" \"healthChecks\": [{\"path\": \"/\", \"gracePeriodSeconds\": 15,"
		" \"intervalSeconds\": 3, \"timeoutSeconds\": 15, \"maxConsecutiveFailures\": 10}],"
		" \"labels\": {\"HAPROXY_DEPLOYMENT_GROUP\": \"nginx\", \"HAPROXY_GROUP\": \"external\","
		" \"HAPROXY_DEPLOYMENT_COLOUR\": \"blue\", \"HAPROXY_DEPLOYMENT_TARGET_INSTANCES\": \"3\","
		" \"HAPROXY_DEPLOYMENT_STARTED_AT\": \"2016-02-01T14:57:54.371005\","
		" \"HAPROXY_DEPLOYMENT_ALT_PORT\": \"10001\", \"HAPROXY_0_PORT\": \"10000\","
		" \"HAPROXY_APP_ID\": \"nginx\"}}");

	assert_same_json(live, rendered);
	json_decref(rendered);
	json_decref(apps);
}
END_TEST

/* The same app as roger local (a 1.10 shape) shows it. */
START_TEST(test_diff_local_shape_against_rendered)
{
	const char *live =
		"{\"app\": {\"id\": \"/web/hello\", \"backoffFactor\": 1.15, \"backoffSeconds\": 1,"
		" \"cmd\": \"sleep 1000\", \"cpus\": 0.1, \"disk\": 0, \"executor\": \"\","
		" \"healthChecks\": [{\"command\": {\"value\": \"true\"}, \"gracePeriodSeconds\": 300,"
		" \"intervalSeconds\": 60, \"maxConsecutiveFailures\": 3, \"protocol\": \"COMMAND\","
		" \"timeoutSeconds\": 20, \"delaySeconds\": 15}], \"instances\": 1,"
		" \"labels\": {\"ROGER_COMMIT\": \"abc\"}, \"maxLaunchDelaySeconds\": 300, \"mem\": 16,"
		" \"gpus\": 0, \"networks\": [{\"mode\": \"host\"}],"
		" \"portDefinitions\": [{\"port\": 10000, \"name\": \"default\", \"protocol\": \"tcp\"}],"
		" \"requirePorts\": false, \"upgradeStrategy\": {\"maximumOverCapacity\": 1,"
		" \"minimumHealthCapacity\": 1}, \"version\": \"2026-12-02T20:01:00.645Z\","
		" \"versionInfo\": {\"lastScalingAt\": \"2026-12-02T20:01:00.645Z\","
		" \"lastConfigChangeAt\": \"2026-12-02T20:01:00.645Z\"}, \"killSelection\": \"YOUNGEST_FIRST\","
		" \"unreachableStrategy\": {\"inactiveAfterSeconds\": 0, \"expungeAfterSeconds\": 0},"
		" \"role\": \"*\", \"tasksStaged\": 0, \"tasksRunning\": 1, \"tasksHealthy\": 0,"
		" \"tasksUnhealthy\": 0, \"deployments\": [{\"id\": \"6b98\"}], \"tasks\": []}}";

	assert_same(
		live,
		"{\"id\": \"/web/hello\", \"cmd\": \"sleep 1000\", \"cpus\": 0.1, \"mem\": 16,"
		" \"labels\": {\"ROGER_COMMIT\": \"abc\"},"
		" \"healthChecks\": [{\"protocol\": \"COMMAND\", \"command\": {\"value\": \"true\"}}]}");
}
END_TEST

/* Rollback: the live app (AppInfo) against a stored version (bare). */
START_TEST(test_diff_live_against_stored_version)
{
	json_t *live = fixture("marathon-get-app.json");
	json_t *stored = json_deep_copy(json_object_get(live, "app"));
	const char *drop[] = { "tasks",        "tasksStaged",    "tasksRunning",
			       "tasksHealthy", "tasksUnhealthy", "deployments",
			       "versionInfo" };
	struct roger_diff *d = NULL;
	char *text;

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		json_object_del(stored, drop[i]);
	json_object_set_new(stored, "version",
			    json_string("2017-07-10T10:00:00.000Z"));
	assert_same_json(live, stored);
	json_object_set_new(stored, "instances", json_integer(1));
	json_object_set_new(
		json_array_get(json_object_get(stored, "healthChecks"), 0),
		"path", json_string("/health"));
	ck_assert_int_eq(roger_diff_apps(&d, live, stored, 0, NULL), 0);
	text = diff_text(d);
	ck_assert_str_eq(text, "~ healthChecks[0].path: \"/\" -> \"/health\"\n"
			       "~ instances: 3 -> 1\n");
	free(text);
	roger_diff_free(d);
	json_decref(stored);
	json_decref(live);
}
END_TEST

START_TEST(test_diff_not_objects)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_diff *d = NULL;
	json_t *a = J("[]"), *b = J("{\"id\": \"/a\"}");

	ck_assert_int_eq(roger_diff_apps(&d, a, b, 0, &err), ROGER_EINVALID);
	ck_assert_ptr_null(d);
	ck_assert_str_eq(err.msg,
			 "cannot compare apps: expected two app objects");
	json_decref(a);
	json_decref(b);
}
END_TEST

/* ---- output -------------------------------------------------------------- */

START_TEST(test_diff_format_text_and_color)
{
	struct roger_diff *d = diff(
		"{\"id\": \"/a\", \"cmd\": \"x\", \"mem\": 64, \"labels\": {\"a\": \"1\"}}",
		"{\"id\": \"/a\", \"cmd\": \"y\", \"labels\": {\"b\": \"2\"}}",
		0);
	struct roger_buf b = ROGER_BUF_INIT;

	ck_assert_int_eq(roger_diff_format_text(&b, d, 0), 0);
	ck_assert_str_eq(b.buf, "~ cmd: \"x\" -> \"y\"\n"
				"- labels.a: \"1\"\n"
				"+ labels.b: \"2\"\n"
				"- mem: 64\n");
	roger_buf_reset(&b);
	ck_assert_int_eq(roger_diff_format_text(&b, d, ROGER_DIFF_COLOR), 0);
	ck_assert_str_eq(b.buf, "\033[33m~ cmd: \"x\" -> \"y\"\033[0m\n"
				"\033[31m- labels.a: \"1\"\033[0m\n"
				"\033[32m+ labels.b: \"2\"\033[0m\n"
				"\033[31m- mem: 64\033[0m\n");
	roger_buf_release(&b);
	roger_diff_free(d);
}
END_TEST

START_TEST(test_diff_format_json)
{
	struct roger_diff *d = diff(
		"{\"id\": \"/a\", \"cmd\": \"x\", \"mem\": 64}",
		"{\"id\": \"/a\", \"cmd\": \"y\", \"env\": {\"E\": \"1\"}}", 0);
	json_t *j = NULL;

	ck_assert_int_eq(roger_diff_to_json(&j, d, NULL), 0);
	assert_json(
		j,
		"[{\"path\": \"cmd\", \"op\": \"change\", \"old\": \"x\", \"new\": \"y\"},"
		" {\"path\": \"env.E\", \"op\": \"add\", \"new\": \"1\"},"
		" {\"path\": \"mem\", \"op\": \"remove\", \"old\": 64}]");
	json_decref(j);
	roger_diff_free(d);
}
END_TEST

START_TEST(test_diff_unchanged_prints_nothing)
{
	struct roger_diff *d =
		diff("{\"id\": \"/a\", \"cmd\": \"x\"}",
		     "{\"id\": \"/a\", \"cmd\": \"x\", \"env\": {}}", 0);
	struct roger_buf b = ROGER_BUF_INIT;
	json_t *j = NULL;

	ck_assert(roger_diff_empty(d));
	ck_assert(roger_diff_empty(NULL));
	ck_assert_int_eq(roger_diff_format_text(&b, d, ROGER_DIFF_COLOR), 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(roger_diff_to_json(&j, d, NULL), 0);
	assert_json(j, "[]");
	json_decref(j);
	roger_diff_free(d);
	roger_diff_free(NULL);
}
END_TEST

/* A rendered app against itself as Marathon would show it back. */
START_TEST(test_render_then_diff)
{
	struct roger_project *p = project(
		"{\"version\": 1, \"app\": \"hello\", \"group\": \"/web\","
		" \"marathon\": {\"cmd\": \"./run\", \"healthChecks\": [{\"path\": \"/\"}]}}");
	json_t *app = render(p, NULL, &input);
	json_t *live = json_deep_copy(app);
	struct roger_render_input again = input;
	json_t *next;
	struct roger_diff *d = NULL;
	char *text;

	json_object_set_new(live, "version",
			    json_string("2026-01-01T00:00:00.000Z"));
	json_object_set_new(live, "instances", json_integer(1));
	json_object_set_new(json_array_get(json_object_get(live, "fetch"), 0),
			    "cache", json_false());
	assert_same_json(live, app);
	again.deployed_by = "ci";
	next = render(p, NULL, &again);
	ck_assert_int_eq(roger_diff_apps(&d, live, next,
					 ROGER_DIFF_IGNORE_METADATA, NULL),
			 0);
	ck_assert(roger_diff_empty(d));
	roger_diff_free(d);
	ck_assert_int_eq(roger_diff_apps(&d, live, next, 0, NULL), 0);
	text = diff_text(d);
	ck_assert_str_eq(
		text,
		"~ labels.ROGER_DEPLOYED_BY: \"alice@laptop\" -> \"ci\"\n");
	free(text);
	roger_diff_free(d);
	json_decref(next);
	json_decref(live);
	json_decref(app);
	roger_project_free(p);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc;

	tc = tcase_create("render");
	tcase_add_test(tc, test_render_base);
	tcase_add_test(tc, test_render_instances_and_dirty_labels);
	tcase_add_test(tc, test_render_environment_and_variables);
	tcase_add_test(tc, test_render_environment_app_and_group);
	tcase_add_test(tc, test_render_fetch_order);
	tcase_add_test(tc, test_render_refuses_what_roger_owns);
	tcase_add_test(tc, test_render_errors);
	tcase_add_test(tc, test_render_defaults_and_release);
	tcase_add_test(tc, test_render_then_diff);
	tcase_add_test(tc, test_render_mask_secrets);
	tcase_add_test(tc, test_render_image_shapes);
	tcase_add_test(tc, test_render_image_no_artifact);
	tcase_add_test(tc, test_render_external_image);
	tcase_add_test(tc, test_render_shape_for_version);
	suite_add_tcase(s, tc);

	tc = tcase_create("defaults");
	tcase_add_loop_test(
		tc, test_diff_default_rules, 0,
		(int)(sizeof(default_cases) / sizeof(default_cases[0])));
	tcase_add_test(tc, test_render_expose_labels);
	tcase_add_test(tc, test_render_expose_refused);
	tcase_add_test(tc, test_diff_health_check_defaults);
	tcase_add_test(tc, test_diff_health_checks_element_wise);
	tcase_add_test(tc, test_diff_fetch_and_ports);
	tcase_add_test(tc, test_diff_env_labels_and_metadata);
	tcase_add_test(tc, test_diff_release_labels);
	tcase_add_test(tc, test_diff_secrets_masked);
	tcase_add_test(tc, test_diff_ids_and_numbers);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixtures");
	tcase_add_test(tc, test_diff_fixtures_against_themselves);
	tcase_add_test(tc, test_diff_fixture_1_5_against_rendered);
	tcase_add_test(tc, test_diff_fixture_legacy_against_rendered);
	tcase_add_test(tc, test_diff_local_shape_against_rendered);
	tcase_add_test(tc, test_diff_container_shapes);
	tcase_add_test(tc, test_diff_live_against_stored_version);
	tcase_add_test(tc, test_diff_not_objects);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_test(tc, test_diff_format_text_and_color);
	tcase_add_test(tc, test_diff_format_json);
	tcase_add_test(tc, test_diff_unchanged_prints_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(render_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
