/*
 * check_config.c - unit tests of the configuration (project.c, target.c,
 * and the schema.c and secret.c they use): roger.json parsing and
 * validation, finding it in a git work tree, environments and variables,
 * the user config, target resolution with environment overrides and every
 * auth form.
 *
 * The environment is the context's getenv hook over a table the tests fill,
 * so nothing of the caller's environment leaks in; files live in a fresh
 * temporary directory per test, and git repositories are made there with
 * libgit2.
 */
#include <config.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "lib/roger.h"

/* ---- fixture: a temporary directory, a context with a fake environment ---- */

static char tmpdir[PATH_MAX];
static struct roger_ctx *ctx;
static struct {
	char name[64];
	char value[PATH_MAX];
} fake_env[32];
static size_t n_fake_env;

static const char *fake_getenv(void *data, const char *name)
{
	(void)data;
	for (size_t i = 0; i < n_fake_env; i++)
		if (!strcmp(fake_env[i].name, name))
			return fake_env[i].value;
	return NULL;
}

static void set_env(const char *name, const char *value)
{
	for (size_t i = 0; i < n_fake_env; i++)
		if (!strcmp(fake_env[i].name, name)) {
			snprintf(fake_env[i].value, sizeof(fake_env[i].value),
				 "%s", value);
			return;
		}
	ck_assert_uint_lt(n_fake_env, 32);
	snprintf(fake_env[n_fake_env].name, sizeof(fake_env[0].name), "%s",
		 name);
	snprintf(fake_env[n_fake_env].value, sizeof(fake_env[0].value), "%s",
		 value);
	n_fake_env++;
}

/* A path below the temporary directory (static buffer, one of four). */
static const char *T(const char *rel)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", tmpdir, rel);
	return b;
}

static void write_file(const char *rel, const char *text, mode_t mode)
{
	char *path = strdup(T(rel));
	char *slash = strrchr(path, '/');

	*slash = '\0';
	ck_assert_int_eq(roger_fs_mkdirs(path, 0755, NULL), 0);
	*slash = '/';
	ck_assert_int_eq(
		roger_fs_write_atomic(path, text, strlen(text), mode, NULL), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	free(path);
}

static void make_repo(const char *rel)
{
	git_repository *repo = NULL;

	ck_assert_int_eq(git_repository_init(&repo, T(rel), 0), 0);
	git_repository_free(repo);
}

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_config.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* Symlinks in TMPDIR must not change the paths the tests compare. */
	{
		char *real = realpath(tmpdir, NULL);

		snprintf(tmpdir, sizeof(tmpdir), "%s", real);
		free(real);
	}
	git_libgit2_init();
	n_fake_env = 0;
	set_env("HOME", T("home"));
	set_env("XDG_CONFIG_HOME", T("config"));
	set_env("XDG_STATE_HOME", T("state"));
	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
	roger_ctx_set_getenv_fn(ctx, fake_getenv, NULL);
}

static void teardown(void)
{
	roger_ctx_free(ctx);
	ctx = NULL;
	git_libgit2_shutdown();
	roger_fs_remove_tree(tmpdir, NULL);
}

/* ---- roger.json parsing ----------------------------------------------------- */

static int parse(struct roger_project **out, const char *text,
		 struct roger_err *err)
{
	return roger_project_parse(out, "roger.json", text, strlen(text), err);
}

/* The text must be refused with exactly `msg`. */
static void assert_refused(const char *text, const char *msg)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;

	ck_assert_int_eq(parse(&p, text, &err), ROGER_EINVALID);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(err.code, ROGER_EINVALID);
	ck_assert_str_eq(err.msg, msg);
}

static struct roger_project *parse_ok(const char *text)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;

	ck_assert_msg(parse(&p, text, &err) == 0, "refused: %s", err.msg);
	return p;
}

#define HEAD "{\"version\": 1, \"app\": \"hello\", "

START_TEST(test_config_syntax_errors_have_line_and_column)
{
	assert_refused(
		"{\n  \"version\": 1,\n  \"app\": \"x\",\n",
		"roger.json:4:1: string or '}' expected near end of file");
	assert_refused("{\"version\": 1, \"app\": \"x\"}\n  }\n",
		       "roger.json:2:3: end of file expected near '}'");
	assert_refused(
		"{\n  \"version\": 1,\n  \"app\": \"x\",\n  \"app\": \"y\"\n}\n",
		"roger.json:4:7: duplicate object key near '\"app\"'");
	assert_refused("",
		       "roger.json:1:1: '[' or '{' expected near end of file");
	assert_refused(
		"{\"version\": 1, \"app\": \"caf\xe9\"}",
		"roger.json:1:26: unable to decode byte 0xe9 near '\"caf'");
}
END_TEST

START_TEST(test_config_byte_order_mark_is_skipped)
{
	struct roger_project *p =
		parse_ok("\xef\xbb\xbf{\"version\": 1, \"app\": \"x\"}");

	ck_assert_str_eq(p->id, "/x");
	roger_project_free(p);
}
END_TEST

START_TEST(test_config_minimal_project_defaults)
{
	struct roger_project *p =
		parse_ok("{\"version\": 1, \"app\": \"hello\"}");

	ck_assert_str_eq(p->app, "hello");
	ck_assert_str_eq(p->group, "/");
	ck_assert_str_eq(p->id, "/hello");
	ck_assert_ptr_null(p->build_command);
	ck_assert_ptr_nonnull(p->build_exclude);
	ck_assert_ptr_null(p->build_exclude[0]);
	ck_assert_int_eq(p->build_timeout, ROGER_BUILD_TIMEOUT);
	ck_assert(json_is_object(p->marathon));
	ck_assert_uint_eq(json_object_size(p->marathon), 0);
	ck_assert(json_is_object(p->environments));
	ck_assert(json_is_object(p->vars));
	ck_assert_ptr_null(p->path);
	roger_project_free(p);
	roger_project_free(NULL);
}
END_TEST

START_TEST(test_config_full_project)
{
	struct roger_project *p = parse_ok(
		"{\"version\": 1, \"app\": \"hello\", \"group\": \"/web\","
		" \"build\": {\"command\": \"npm ci --omit=dev\", \"exclude\": [\"test/\", \"*.md\"], \"timeout\": 600},"
		" \"vars\": {\"domain\": \"example.com\"},"
		" \"marathon\": {\"cmd\": \"node index.js\", \"cpus\": 0.25, \"mem\": 128, \"instances\": 1,"
		"   \"env\": {\"NODE_ENV\": \"production\", \"DB_PASSWORD\": {\"secret\": \"db\"}, \"TOKEN_URL\": \"https://{{ domain }}/t\"},"
		"   \"healthChecks\": [{\"protocol\": \"HTTP\", \"path\": \"/\", \"portIndex\": 0}]},"
		" \"environments\": {"
		"   \"staging\": {\"target\": \"staging\", \"marathon\": {\"instances\": 2}},"
		"   \"production\": {\"target\": \"prod\", \"marathon\": {\"instances\": 6, \"mem\": 256}, \"vars\": {\"domain\": \"prod.example.com\"}}}}");

	ck_assert_str_eq(p->id, "/web/hello");
	ck_assert_str_eq(p->group, "/web");
	ck_assert_str_eq(p->build_command, "npm ci --omit=dev");
	ck_assert_str_eq(p->build_exclude[0], "test/");
	ck_assert_str_eq(p->build_exclude[1], "*.md");
	ck_assert_ptr_null(p->build_exclude[2]);
	ck_assert_int_eq(p->build_timeout, 600);
	ck_assert_str_eq(json_string_value(json_object_get(p->marathon, "cmd")),
			 "node index.js");
	roger_project_free(p);
}
END_TEST

START_TEST(test_config_wrong_types_by_path)
{
	assert_refused(
		"{\"version\": \"1\", \"app\": \"x\"}",
		"roger.json: version: expected an integer, got a string");
	assert_refused("{\"version\": 1, \"app\": 5}",
		       "roger.json: app: expected a string, got an integer");
	assert_refused(
		HEAD
		"\"environments\": {\"staging\": {\"marathon\": {\"instances\": \"2\"}}}}",
		"roger.json: environments.staging.marathon.instances: expected an integer, got a string");
	assert_refused(
		HEAD "\"marathon\": {\"instances\": 1.5}}",
		"roger.json: marathon.instances: expected an integer, got a number");
	assert_refused(
		HEAD "\"marathon\": {\"cpus\": -1}}",
		"roger.json: marathon.cpus: expected a number >= 0, got -1");
	assert_refused(
		HEAD "\"marathon\": {\"cmd\": [\"a\"]}}",
		"roger.json: marathon.cmd: expected a string, got an array");
	assert_refused(
		HEAD
		"\"marathon\": {\"healthChecks\": [{\"path\": \"/\"}, {\"portIndex\": \"0\"}]}}",
		"roger.json: marathon.healthChecks[1].portIndex: expected an integer, got a string");
	assert_refused(
		HEAD "\"marathon\": {\"labels\": {\"traefik.enable\": true}}}",
		"roger.json: marathon.labels[\"traefik.enable\"]: expected a string, got a boolean");
	assert_refused(HEAD "\"marathon\": {\"fetch\": [{\"extract\": true}]}}",
		       "roger.json: marathon.fetch[0]: missing 'uri'");
	assert_refused(
		HEAD
		"\"marathon\": {\"upgradeStrategy\": {\"minimumHealthCapacity\": 2}}}",
		"roger.json: marathon.upgradeStrategy.minimumHealthCapacity: expected a number <= 1, got 2");
	assert_refused(
		HEAD "\"marathon\": {\"env\": {\"A\": 1}}}",
		"roger.json: marathon.env.A: expected a string or a secret reference {\"secret\": \"NAME\"}, got an integer");
	assert_refused(
		HEAD "\"build\": {\"exclude\": [\"a\", 2]}}",
		"roger.json: build.exclude[1]: expected a string, got an integer");
	assert_refused(
		HEAD "\"build\": {\"timeout\": 0}}",
		"roger.json: build.timeout: expected an integer >= 1, got 0");
	assert_refused(
		HEAD
		"\"build\": {\"command\": \"make\", \"cache\": {\"paths\": [\"out\"], \"key\": [\"k\"], \"max_mb\": 0}}}",
		"roger.json: build.cache.max_mb: expected an integer >= 1, got 0");
	assert_refused(
		HEAD
		"\"build\": {\"command\": \"make\", \"cache\": {\"paths\": \"out\", \"key\": [\"k\"]}}}",
		"roger.json: build.cache.paths: expected an array, got a string");
	assert_refused(
		HEAD
		"\"build\": {\"command\": \"make\", \"cache\": {\"paths\": [\"out\"], \"key\": [\"k\"], \"versoin\": \"v\"}}}",
		"roger.json: build.cache: unknown key 'versoin', did you mean 'version'?");
	assert_refused(
		HEAD
		"\"build\": {\"command\": \"make\", \"cache\": {\"key\": [\"k\"]}}}",
		"roger.json: build.cache: missing 'paths': the directories the build command fills, such as [\"node_modules\"]");
	assert_refused(
		HEAD "\"environments\": []}",
		"roger.json: environments: expected an object, got an array");
	assert_refused(
		HEAD "\"environments\": {\"prod\": {\"target\": 1}}}",
		"roger.json: environments.prod.target: expected a string, got an integer");
	assert_refused(HEAD "\"marathon\": {\"cmd\": null}}",
		       "roger.json: marathon.cmd: expected a string, got null");
	assert_refused(
		"[1]",
		"roger.json: expected an object at the top, got an array");
}
END_TEST

START_TEST(test_config_null_allowed_in_overlays)
{
	struct roger_project *p = parse_ok(
		HEAD
		"\"marathon\": {\"cmd\": \"x\", \"env\": {\"A\": \"1\"}},"
		" \"environments\": {\"prod\": {\"marathon\": {\"healthChecks\": null, \"env\": {\"A\": null}}}}}");

	roger_project_free(p);
}
END_TEST

START_TEST(test_config_unknown_keys_suggest)
{
	assert_refused(
		HEAD "\"enviroments\": {}}",
		"roger.json: unknown key 'enviroments', did you mean 'environments'?");
	assert_refused(
		HEAD "\"build\": {\"comand\": \"make\"}}",
		"roger.json: build: unknown key 'comand', did you mean 'command'?");
	assert_refused(
		HEAD "\"environments\": {\"prod\": {\"taget\": \"prod\"}}}",
		"roger.json: environments.prod: unknown key 'taget', did you mean 'target'?");
	assert_refused(HEAD "\"zzz\": 1}", "roger.json: unknown key 'zzz'");
}
END_TEST

/* ---- the Marathon app schema --------------------------------------------- */

START_TEST(test_config_marathon_unknown_fields_suggest)
{
	assert_refused(
		HEAD "\"marathon\": {\"instnaces\": 2}}",
		"roger.json: marathon: unknown Marathon app field 'instnaces', did you mean 'instances'?");
	assert_refused(
		HEAD "\"marathon\": {\"healthcheck\": [{}]}}",
		"roger.json: marathon: unknown Marathon app field 'healthcheck', did you mean 'healthChecks'?");
	assert_refused(
		HEAD
		"\"environments\": {\"prod\": {\"marathon\": {\"cpu\": 2}}}}",
		"roger.json: environments.prod.marathon: unknown Marathon app field 'cpu', did you mean 'cpus'?");
	assert_refused(
		HEAD
		"\"marathon\": {\"healthChecks\": [{\"path\": \"/\", \"intervalSecond\": 5}]}}",
		"roger.json: marathon.healthChecks[0]: unknown Marathon app field 'intervalSecond', did you mean 'intervalSeconds'?");
	assert_refused(
		HEAD
		"\"marathon\": {\"upgradeStrategy\": {\"maximumOverCapcity\": 0}}}",
		"roger.json: marathon.upgradeStrategy: unknown Marathon app field 'maximumOverCapcity', did you mean 'maximumOverCapacity'?");
	assert_refused(
		HEAD
		"\"marathon\": {\"container\": {\"type\": \"DOCKER\", \"docker\": {\"image\": \"x\", \"forcePull\": true}}}}",
		"roger.json: marathon.container.docker: unknown Marathon app field 'forcePull', did you mean 'forcePullImage'?");
	assert_refused(
		HEAD
		"\"marathon\": {\"portDefinitions\": [{\"port\": 0, \"nmae\": \"http\"}]}}",
		"roger.json: marathon.portDefinitions[0]: unknown Marathon app field 'nmae', did you mean 'name'?");
	assert_refused(
		HEAD
		"\"marathon\": {\"container\": {\"volumes\": [{\"containerPath\": \"/d\", \"persistent\": {\"siz\": 1}}]}}}",
		"roger.json: marathon.container.volumes[0].persistent: unknown Marathon app field 'siz', did you mean 'size'?");
	assert_refused(
		HEAD "\"marathon\": {\"zzzz\": 1}}",
		"roger.json: marathon: unknown Marathon app field 'zzzz' (no Marathon from 1.4 to 1.10 has it; --no-schema-check lets a newer one through)");
}
END_TEST

START_TEST(test_config_marathon_values_checked)
{
	assert_refused(
		HEAD
		"\"marathon\": {\"healthChecks\": [{\"protocol\": \"HTTP2\"}]}}",
		"roger.json: marathon.healthChecks[0].protocol: expected one of HTTP HTTPS TCP COMMAND MESOS_HTTP MESOS_HTTPS MESOS_TCP, got 'HTTP2'");
	assert_refused(
		HEAD "\"marathon\": {\"container\": {\"type\": \"docker\"}}}",
		"roger.json: marathon.container.type: expected one of DOCKER MESOS, got 'docker'");
	assert_refused(
		HEAD
		"\"marathon\": {\"portDefinitions\": [{\"port\": 70000}]}}",
		"roger.json: marathon.portDefinitions[0].port: expected an integer <= 65535, got 70000");
	assert_refused(
		HEAD "\"marathon\": {\"constraints\": [[\"hostname\"]]}}",
		"roger.json: marathon.constraints[0]: expected [field, operator] or [field, operator, value], got 1 elements");
	assert_refused(
		HEAD "\"marathon\": {\"unreachableStrategy\": \"off\"}}",
		"roger.json: marathon.unreachableStrategy: expected one of disabled, got 'off'");
	assert_refused(
		HEAD "\"marathon\": {\"networks\": [{\"mode\": \"bridge\"}]}}",
		"roger.json: marathon.networks[0].mode: expected one of host container/bridge container, got 'bridge'");
	assert_refused(
		HEAD
		"\"marathon\": {\"resourceLimits\": {\"cpus\": \"lots\"}}}",
		"roger.json: marathon.resourceLimits.cpus: expected one of unlimited, got 'lots'");
	assert_refused(
		HEAD "\"marathon\": {\"tasksRunning\": 3}}",
		"roger.json: marathon.tasksRunning: Marathon reports this field, an app definition does not set it; remove it");
	/* A {{ variable }} is known when rendered, not before. */
	roger_project_free(parse_ok(
		HEAD
		"\"marathon\": {\"killSelection\": \"{{ kill }}\"}, \"vars\": {\"kill\": \"OLDEST_FIRST\"}}"));
	roger_project_free(parse_ok(
		HEAD
		"\"marathon\": {\"unreachableStrategy\": \"disabled\", \"resourceLimits\": {\"cpus\": 2, \"mem\": \"unlimited\"},"
		" \"constraints\": [[\"hostname\", \"UNIQUE\"], [\"rack\", \"GROUP_BY\", \"3\"]]}}"));
}
END_TEST

START_TEST(test_config_marathon_overlay_nulls_at_any_depth)
{
	roger_project_free(parse_ok(
		HEAD
		"\"marathon\": {\"cmd\": \"x\", \"container\": {\"type\": \"DOCKER\", \"docker\": {\"image\": \"i\", \"privileged\": true}}},"
		" \"environments\": {\"prod\": {\"marathon\": {\"container\": {\"docker\": {\"privileged\": null}}, \"labels\": {\"A\": null}}}}}"));
	/* Arrays replace what they merge over: their elements are whole. */
	assert_refused(
		HEAD
		"\"environments\": {\"prod\": {\"marathon\": {\"fetch\": [{\"uri\": null}]}}}}",
		"roger.json: environments.prod.marathon.fetch[0].uri: expected a string, got null");
	/* null is no deletion in the base. */
	assert_refused(
		HEAD "\"marathon\": {\"container\": {\"docker\": null}}}",
		"roger.json: marathon.container.docker: expected an object, got null");
}
END_TEST

START_TEST(test_config_marathon_no_schema_check)
{
	static const char text[] = HEAD
		"\"marathon\": {\"cmd\": \"x\", \"futureField\": {\"a\": 1},"
		" \"container\": {\"docker\": {\"image\": \"i\", \"newKnob\": true}}, \"instances\": 2}}";
	static const char typed[] = HEAD
		"\"marathon\": {\"futureField\": 1, \"instances\": \"2\"}}";
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;

	ck_assert_int_eq(
		roger_project_parse(&p, "roger.json", text, strlen(text), &err),
		ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"roger.json: marathon: unknown Marathon app field 'futureField' (no Marathon from 1.4 to 1.10 has it; --no-schema-check lets a newer one through)");
	ck_assert_int_eq(
		roger_project_parse_ext(&p, "roger.json", text, strlen(text),
					ROGER_PROJECT_NO_SCHEMA_CHECK, &err),
		0);
	ck_assert_int_eq(
		json_integer_value(json_object_get(p->marathon, "instances")),
		2);
	roger_project_free(p);
	p = NULL;
	/* The fields the schema knows are still checked. */
	ck_assert_int_eq(
		roger_project_parse_ext(&p, "roger.json", typed, strlen(typed),
					ROGER_PROJECT_NO_SCHEMA_CHECK, &err),
		ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"roger.json: marathon.instances: expected an integer, got a string");
}
END_TEST

/* A fixture's apps, as the list "apps", the object "app" or the app itself. */
static json_t *fixture_apps(const char *name)
{
	char path[PATH_MAX];
	const char *src = getenv("TEST_SRCDIR");
	json_error_t jerr;
	json_t *doc, *apps;

	snprintf(path, sizeof(path), "%s/fixtures/%s",
		 src && *src ? src : "tests", name);
	doc = json_load_file(path, 0, &jerr);
	ck_assert_msg(doc != NULL, "%s: %s", path, jerr.text);
	if (json_object_get(doc, "apps"))
		apps = json_incref(json_object_get(doc, "apps"));
	else if (json_object_get(doc, "app"))
		apps = json_pack("[O]", json_object_get(doc, "app"));
	else
		apps = json_pack("[O]", doc);
	json_decref(doc);
	return apps;
}

/* Drop the members Marathon 1.4 writes as null (a definition leaves them out).
 */
static void drop_nulls(json_t *v)
{
	const char *key;
	json_t *val;
	void *tmp;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, key, val)
		{
			if (json_is_null(val))
				json_object_del(v, key);
			else
				drop_nulls(val);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, val)
			drop_nulls(val);
	}
}

/*
 * Every app of the contract's fixtures (1.4's style, 1.5, 1.10), less what
 * Marathon reports and roger sets, is a valid `marathon` fragment: the
 * table knows every field a real Marathon wrote.
 */
START_TEST(test_config_marathon_fixtures_pass)
{
	static const char *const files[] = {
		"marathon-get-app.json",
		"marathon-get-apps-1.5.json",
		"marathon-get-apps-legacy-0.15.json",
		"marathon-post-app-201.json",
	};
	static const char *const reported[] = {
		"id",           "version",
		"versionInfo",  "tasks",
		"tasksStaged",  "tasksRunning",
		"tasksHealthy", "tasksUnhealthy",
		"deployments",  "lastTaskFailure",
	};

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		json_t *apps = fixture_apps(files[f]), *app;
		size_t i;

		ck_assert_uint_gt(json_array_size(apps), 0);
		json_array_foreach(apps, i, app) {
			json_t *doc = json_pack("{s:i, s:s, s:O}", "version", 1,
						"app", "x", "marathon", app);
			json_t *m = json_object_get(doc, "marathon");
			struct roger_err err = ROGER_ERR_INIT;
			struct roger_project *p = NULL;
			char *text;
			int rc;

			json_object_set_new(doc, "marathon", json_deep_copy(m));
			m = json_object_get(doc, "marathon");
			for (size_t k = 0;
			     k < sizeof(reported) / sizeof(reported[0]); k++)
				json_object_del(m, reported[k]);
			drop_nulls(m);
			text = json_dumps(doc, 0);
			rc = roger_project_parse(&p, "roger.json", text,
						 strlen(text), &err);
			ck_assert_msg(rc == 0, "%s app %zu: %s", files[f], i,
				      err.msg);
			roger_project_free(p);
			free(text);
			json_decref(doc);
		}
		json_decref(apps);
	}
}
END_TEST

START_TEST(test_config_required_and_version)
{
	assert_refused("{\"app\": \"x\"}",
		       "roger.json: missing 'version': add \"version\": 1");
	assert_refused(
		"{\"version\": 1}",
		"roger.json: missing 'app': add \"app\": \"NAME\", the name of the app in Marathon");
	assert_refused(
		"{\"version\": 2, \"app\": \"x\"}",
		"roger.json: version: unsupported version 2: this roger reads version 1");
}
END_TEST

START_TEST(test_config_app_id_rules)
{
	assert_refused(
		"{\"version\": 1, \"app\": \"Hello\"}",
		"roger.json: invalid app name 'Hello': segment 'Hello': 'H' is not allowed; use lowercase letters, digits, '-' and '.'");
	assert_refused(
		"{\"version\": 1, \"app\": \"versions\", \"group\": \"/web\"}",
		"roger.json: invalid app name 'versions': the last segment must not be 'versions', which Marathon reserves ('restart', 'tasks' and 'versions' are)");
	assert_refused(
		"{\"version\": 1, \"app\": \"x\", \"group\": \"/a/../b\"}",
		"roger.json: invalid group '/a/../b': segment '..': '.' and '..' are not allowed");
}
END_TEST

START_TEST(test_config_marathon_id_and_version_refused)
{
	assert_refused(
		HEAD "\"marathon\": {\"id\": \"/x\"}}",
		"roger.json: marathon.id: must not be set: roger sets the app id from 'group' and 'app'");
	assert_refused(
		HEAD
		"\"environments\": {\"prod\": {\"marathon\": {\"id\": \"/y\"}}}}",
		"roger.json: environments.prod.marathon.id: must not be set: roger sets the app id from 'group' and 'app'");
	assert_refused(
		HEAD
		"\"marathon\": {\"version\": \"2024-01-01T00:00:00.000Z\"}}",
		"roger.json: marathon.version: must not be set: Marathon takes it as a rollback to that version");
}
END_TEST

START_TEST(test_config_image_section)
{
	struct roger_project *p = parse_ok(
		HEAD
		"\"image\": {\"base\": \"registry.example.com:5000/lib/debian:12\","
		" \"workdir\": \"/srv/app\", \"user\": \"1000:1000\","
		" \"env\": {\"LANG\": \"C.UTF-8\", \"TZ\": \"UTC\"}, \"runtime\": \"MESOS\","
		" \"platform\": \"linux/arm64/v8\", \"entrypoint\": [\"/bin/tini\", \"--\"],"
		" \"cmd\": []}}");
	const struct roger_project_image *im = p->image;
	struct roger_image_opts o = { 0 };

	ck_assert_ptr_nonnull(im);
	ck_assert_str_eq(im->base, "registry.example.com:5000/lib/debian:12");
	ck_assert_str_eq(im->workdir, "/srv/app");
	ck_assert_str_eq(im->user, "1000:1000");
	ck_assert_str_eq(im->runtime, "MESOS");
	ck_assert_str_eq(im->os, "linux");
	ck_assert_str_eq(im->arch, "arm64");
	ck_assert_str_eq(im->variant, "v8");
	ck_assert_str_eq(im->env[0], "LANG=C.UTF-8");
	ck_assert_str_eq(im->env[1], "TZ=UTC");
	ck_assert_ptr_null(im->env[2]);
	ck_assert_str_eq(im->entrypoint[1], "--");
	ck_assert_ptr_null(im->entrypoint[2]);
	ck_assert_ptr_nonnull(im->cmd);
	ck_assert_ptr_null(im->cmd[0]);
	ck_assert(roger_image_opts_from_project(&o, p));
	ck_assert_str_eq(o.base, im->base);
	ck_assert_str_eq(o.arch, "arm64");
	ck_assert_str_eq(o.env[1], "TZ=UTC");
	roger_project_free(p);

	p = parse_ok(HEAD "\"image\": {\"base\": \"debian\"}}");
	ck_assert_str_eq(p->image->runtime, "DOCKER");
	ck_assert_ptr_null(p->image->workdir);
	ck_assert_ptr_null(p->image->os);
	ck_assert_ptr_null(p->image->entrypoint);
	ck_assert_ptr_null(p->image->env[0]);
	roger_project_free(p);

	p = parse_ok(HEAD "\"marathon\": {}}");
	ck_assert_ptr_null(p->image);
	ck_assert(!roger_image_opts_from_project(&o, p));
	roger_project_free(p);
}
END_TEST

/* The arrays of strings checked one by one name the element at fault. */
START_TEST(test_config_string_arrays_refused)
{
	assert_refused(
		HEAD "\"build\": {\"inputs\": [\"../lib\", \"/etc\"]}}",
		"roger.json: build.inputs[1]: '/etc' is absolute: write it relative to the project directory, such as \"../shared\"");
	assert_refused(
		HEAD "\"build\": {\"inputs\": [\"\"]}}",
		"roger.json: build.inputs[0]: an empty path: write a path relative to the project directory, such as \"../shared\"");
	assert_refused(
		HEAD
		"\"image\": {\"base\": \"x\", \"entrypoint\": [\"a\", \"b\\u0001\"]}}",
		"roger.json: image.entrypoint[1]: a control character in 'b\001'");
	assert_refused(
		HEAD "\"expose\": {\"vhost\": [\"a.example\", \"b_c\"]}}",
		"roger.json: expose.vhost[1]: 'b_c' is not a host name (letters, digits, '-' and '.')");
}
END_TEST

START_TEST(test_config_image_refused)
{
	assert_refused(
		HEAD "\"image\": {}}",
		"roger.json: image: missing 'base': the image to build on, such as \"debian:bookworm-slim\"");
	assert_refused(
		HEAD "\"image\": {\"base\": \"Debian\"}}",
		"roger.json: image.base: invalid image reference 'Debian': invalid repository name 'library/Debian' (lower-case letters, digits and the separators '.', '_', '__', '-' between them, components joined by '/', at most 255)");
	assert_refused(
		HEAD "\"image\": {\"base\": \"x\", \"workdir\": \"/\"}}",
		"roger.json: image.workdir: invalid directory '/': expected an absolute path below '/' without '.', '..', '//' or a final '/', such as \"/app\"");
	assert_refused(
		HEAD "\"image\": {\"base\": \"x\", \"workdir\": \"/app/\"}}",
		"roger.json: image.workdir: invalid directory '/app/': expected an absolute path below '/' without '.', '..', '//' or a final '/', such as \"/app\"");
	assert_refused(
		HEAD "\"image\": {\"base\": \"x\", \"runtime\": \"ucr\"}}",
		"roger.json: image.runtime: unknown runtime 'ucr', did you mean 'MESOS'?");
	assert_refused(
		HEAD "\"image\": {\"base\": \"x\", \"runtime\": \"rkt\"}}",
		"roger.json: image.runtime: unknown runtime 'rkt': expected \"DOCKER\" (Mesos' Docker containerizer) or \"MESOS\" (the Mesos containerizer)");
	assert_refused(
		HEAD
		"\"image\": {\"base\": \"x\", \"platform\": \"linux/amd64/v1/x\"}}",
		"roger.json: image.platform: invalid platform 'linux/amd64/v1/x': expected OS/ARCH or OS/ARCH/VARIANT, such as \"linux/amd64\" or \"linux/arm64/v8\"");
	assert_refused(
		HEAD
		"\"image\": {\"base\": \"x\", \"platform\": \"Linux/amd64\"}}",
		"roger.json: image.platform: invalid platform 'Linux/amd64': expected OS/ARCH or OS/ARCH/VARIANT, such as \"linux/amd64\" or \"linux/arm64/v8\"");
	assert_refused(
		HEAD "\"image\": {\"base\": \"x\", \"env\": {\"A=B\": \"c\"}}}",
		"roger.json: image.env[\"A=B\"]: invalid variable name 'A=B': it must not be empty or hold '='");
	assert_refused(
		HEAD
		"\"image\": {\"base\": \"x\", \"env\": {\"URL\": \"https://u:pw@h/\"}}}",
		"roger.json: image.env.URL: this looks like a secret, and anyone who can pull the image reads its environment; set it in marathon.env with a Marathon secret {\"secret\": \"NAME\"} or a {{ variable }}");
	assert_refused(
		HEAD "\"image\": {\"base\": \"x\", \"cmd\": [\"a\", 1]}}",
		"roger.json: image.cmd[1]: expected a string, got an integer");
	assert_refused(
		HEAD "\"image\": {\"base\": \"x\", \"user\": \"a b\"}}",
		"roger.json: image.user: invalid user 'a b': expected a name or number, optionally ':' and a group (\"1000\", \"app:app\")");
	assert_refused(
		HEAD "\"image\": {\"base\": \"x\", \"password\": \"y\"}}",
		"roger.json: image.password: this looks like a credential, and roger.json is committed with the code; put credentials in the user config (~/.config/roger/config.json) or in ROGER_TOKEN, or ROGER_USER and ROGER_PASSWORD");
	/* roger renders the container of an image app */
	assert_refused(
		HEAD
		"\"image\": {\"base\": \"x\"}, \"marathon\": {\"container\": {\"type\": \"MESOS\"}}}",
		"roger.json: marathon.container.type: roger sets the container type of an app with an 'image' section; choose it with image.runtime");
	assert_refused(
		HEAD
		"\"image\": {\"base\": \"x\"}, \"environments\": {\"p\": {\"marathon\": {\"container\": {\"docker\": {\"image\": \"y\"}}}}}}",
		"roger.json: environments.p.marathon.container.docker.image: roger sets the image of an app with an 'image' section; remove one of the two (an image built elsewhere needs no 'image' section)");
	/* volumes and the like are the fragment's */
	roger_project_free(parse_ok(
		HEAD
		"\"image\": {\"base\": \"x\"}, \"marathon\": {\"container\": {\"volumes\": [], \"docker\": {\"forcePullImage\": true}}}}"));
}
END_TEST

START_TEST(test_config_environment_names)
{
	assert_refused(
		HEAD "\"environments\": {\"my env\": {}}}",
		"roger.json: environments[\"my env\"]: invalid environment name 'my env': use letters, digits, '-', '_' and '.'");
}
END_TEST

#define CREDENTIAL_MSG \
	"this looks like a credential, and roger.json is committed with the code; put credentials in the user config (~/.config/roger/config.json) or in ROGER_TOKEN, or ROGER_USER and ROGER_PASSWORD"
#define ENV_SECRET_MSG \
	"this looks like a secret, and roger.json is committed with the code; use a Marathon secret {\"secret\": \"NAME\"} or a {{ variable }} set with --var or ROGER_VAR_<name>"

START_TEST(test_config_secrets_refused)
{
	assert_refused(HEAD "\"password\": \"hunter2\"}",
		       "roger.json: password: " CREDENTIAL_MSG);
	assert_refused(HEAD "\"token\": \"abc\"}",
		       "roger.json: token: " CREDENTIAL_MSG);
	assert_refused(HEAD "\"build\": {\"auth\": {}}}",
		       "roger.json: build.auth: " CREDENTIAL_MSG);
	assert_refused(
		HEAD "\"environments\": {\"prod\": {\"credentials\": \"x\"}}}",
		"roger.json: environments.prod.credentials: " CREDENTIAL_MSG);
	assert_refused(
		HEAD "\"marathon\": {\"env\": {\"DB_PASSWORD\": \"hunter2\"}}}",
		"roger.json: marathon.env.DB_PASSWORD: " ENV_SECRET_MSG);
	assert_refused(
		HEAD
		"\"environments\": {\"prod\": {\"marathon\": {\"env\": {\"STRIPE_API_KEY\": \"sk_live_x\"}}}}}",
		"roger.json: environments.prod.marathon.env.STRIPE_API_KEY: " ENV_SECRET_MSG);
	assert_refused(HEAD
		       "\"marathon\": {\"env\": {\"githubToken\": \"ghp_x\"}}}",
		       "roger.json: marathon.env.githubToken: " ENV_SECRET_MSG);
	assert_refused(
		HEAD
		"\"marathon\": {\"env\": {\"DATABASE_URL\": \"postgres://app:hunter2@db/app\"}}}",
		"roger.json: marathon.env.DATABASE_URL: the URL holds a password, and roger.json is committed with the code; write the password as a {{ variable }} set with --var or ROGER_VAR_<name>, or use a Marathon secret {\"secret\": \"NAME\"}");
	assert_refused(
		HEAD "\"vars\": {\"db_password\": \"x\"}}",
		"roger.json: vars.db_password: this looks like a secret, and roger.json is committed with the code; pass it with --var db_password=VALUE or ROGER_VAR_db_password");
	assert_refused(
		HEAD
		"\"marathon\": {\"env\": {\"DB_PASSWORD\": {\"secret\": 1}}}}",
		"roger.json: marathon.env.DB_PASSWORD.secret: expected a string, got an integer");
}
END_TEST

START_TEST(test_config_secret_references_accepted)
{
	struct roger_project *p = parse_ok(
		HEAD
		"\"marathon\": {\"env\": {"
		"\"DB_PASSWORD\": {\"secret\": \"db-password\"},"
		"\"API_TOKEN\": \"{{ api_token }}\","
		"\"SESSION_SECRET\": \"prefix-{{session}}\","
		"\"TOKEN_TTL\": \"3600\", \"AUTH_ENABLED\": \"true\", \"PASSWORD_MIN\": \"\","
		"\"AUTH_URL\": \"https://auth.example.com/\", \"OAUTH_CLIENT_ID\": \"abc\","
		"\"DATABASE_URL\": \"postgres://app:{{ db_password }}@db/app\","
		"\"HOMEPAGE\": \"https://user@example.com/\","
		"\"KEYBOARD\": \"qwerty\", \"PWD\": \"/srv\"}}}");

	roger_project_free(p);
}
END_TEST

START_TEST(test_config_secret_name_rule)
{
	ck_assert(roger_config_name_is_secret("password", false));
	ck_assert(roger_config_name_is_secret("DB_PASS", false));
	ck_assert(roger_config_name_is_secret("CLIENT_SECRET", false));
	ck_assert(roger_config_name_is_secret("apiKey", false));
	ck_assert(roger_config_name_is_secret("AWS_ACCESS_KEY_ID", false));
	ck_assert(roger_config_name_is_secret("ssh-private-key", false));
	ck_assert(roger_config_name_is_secret("APIKEY", false));
	ck_assert(roger_config_name_is_secret("refresh_tokens", false));
	ck_assert(!roger_config_name_is_secret("AUTH_URL", false));
	ck_assert(roger_config_name_is_secret("AUTH_URL", true));
	ck_assert(roger_config_name_is_secret("auth", true));
	ck_assert(!roger_config_name_is_secret("KEY", false));
	ck_assert(!roger_config_name_is_secret("MONKEY_KEY", false));
	ck_assert(!roger_config_name_is_secret("PASSENGER_MAX", false));
	ck_assert(!roger_config_name_is_secret("PWD", false));
	ck_assert(!roger_config_name_is_secret("tokenizer", false));
}
END_TEST

/* ---- environments and variables --------------------------------------------- */

#define ENVS_PROJECT                                                                                                                                        \
	"{\"version\": 1, \"app\": \"hello\", \"vars\": {\"domain\": \"example.com\", \"region\": \"eu\"},"                                                 \
	" \"marathon\": {\"cmd\": \"run {{ domain }} {{ color }}\", \"instances\": 1, \"env\": {\"A\": \"1\", \"B\": \"2\"}},"                              \
	" \"environments\": {"                                                                                                                              \
	"  \"staging\": {\"target\": \"staging\", \"marathon\": {\"instances\": 2}},"                                                                       \
	"  \"production\": {\"target\": \"prod\", \"marathon\": {\"instances\": 6, \"env\": {\"A\": null}}, \"vars\": {\"domain\": \"prod.example.com\"}}," \
	"  \"plain\": {}}}"

START_TEST(test_config_environment_merge_and_target)
{
	struct roger_project *p = parse_ok(ENVS_PROJECT);
	struct roger_err err = ROGER_ERR_INIT;
	json_t *m = NULL;
	const char *target = "unset";
	char *s;

	ck_assert_int_eq(
		roger_project_environment(p, "production", &m, &target, &err),
		0);
	ck_assert_str_eq(target, "prod");
	s = json_dumps(m, JSON_COMPACT);
	ck_assert_str_eq(
		s,
		"{\"cmd\":\"run {{ domain }} {{ color }}\",\"instances\":6,\"env\":{\"B\":\"2\"}}");
	free(s);
	json_decref(m);
	ck_assert_int_eq(roger_project_environment(p, NULL, &m, &target, &err),
			 0);
	ck_assert_ptr_null(target);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "instances")),
			 1);
	json_decref(m);
	ck_assert_int_eq(
		roger_project_environment(p, "plain", NULL, &target, &err), 0);
	ck_assert_ptr_null(target);
	roger_project_free(p);
}
END_TEST

START_TEST(test_config_environment_app_and_group)
{
	struct roger_project *p = parse_ok(
		HEAD
		"\"group\": \"/web\", \"environments\": {"
		" \"staging\": {\"app\": \"hello-staging\", \"target\": \"prod\"},"
		" \"qa\": {\"group\": \"/qa/team\"}, \"prod\": {}}}");
	struct roger_project_app a;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_project_app(&a, p, "staging", &err), 0);
	ck_assert_str_eq(a.id, "/web/hello-staging");
	ck_assert_str_eq(a.app, "hello-staging");
	ck_assert_str_eq(a.group, "/web");
	ck_assert_int_eq(roger_project_app(&a, p, "qa", &err), 0);
	ck_assert_str_eq(a.id, "/qa/team/hello");
	ck_assert_int_eq(roger_project_app(&a, p, "prod", &err), 0);
	ck_assert_str_eq(a.id, "/web/hello");
	ck_assert_int_eq(roger_project_app(&a, p, NULL, &err), 0);
	ck_assert_str_eq(a.id, "/web/hello");
	ck_assert_int_eq(roger_project_app(&a, p, "prdo", &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"unknown environment 'prdo' in roger.json, did you mean 'prod'?");
	/* Selecting an environment makes its app the project's. */
	ck_assert_str_eq(p->id, "/web/hello");
	ck_assert_int_eq(roger_project_select_env(p, "staging", &err), 0);
	ck_assert_str_eq(p->id, "/web/hello-staging");
	ck_assert_str_eq(p->app, "hello-staging");
	ck_assert_int_eq(roger_project_select_env(p, NULL, &err), 0);
	ck_assert_str_eq(p->id, "/web/hello");
	roger_project_free(p);
	/* Their ids follow Marathon's rules like the base's. */
	assert_refused(
		HEAD
		"\"environments\": {\"staging\": {\"app\": \"Hello_Staging\"}}}",
		"roger.json: environments.staging: invalid app name 'Hello_Staging': segment 'Hello_Staging': 'H' is not allowed; use lowercase letters, digits, '-' and '.'");
	assert_refused(
		HEAD "\"environments\": {\"qa\": {\"group\": \"/qa/../x\"}}}",
		"roger.json: environments.qa: invalid group '/qa/../x': segment '..': '.' and '..' are not allowed");
	assert_refused(
		HEAD "\"environments\": {\"qa\": {\"app\": \"tasks\"}}}",
		"roger.json: environments.qa: invalid app name 'tasks': the last segment must not be 'tasks', which Marathon reserves ('restart', 'tasks' and 'versions' are)");
	assert_refused(
		HEAD "\"environments\": {\"qa\": {\"app\": 1}}}",
		"roger.json: environments.qa.app: expected a string, got an integer");
}
END_TEST

START_TEST(test_config_unknown_environment_suggests)
{
	struct roger_project *p = parse_ok(ENVS_PROJECT);
	struct roger_err err = ROGER_ERR_INIT;
	json_t *m = NULL;

	ck_assert_int_eq(
		roger_project_environment(p, "prodution", &m, NULL, &err),
		ROGER_EINVALID);
	ck_assert_ptr_null(m);
	ck_assert_str_eq(
		err.msg,
		"unknown environment 'prodution' in roger.json, did you mean 'production'?");
	ck_assert_int_eq(roger_project_check_env(p, "zzz", &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"unknown environment 'zzz' in roger.json (it defines: staging, ...)");
	ck_assert_int_eq(roger_project_check_env(p, NULL, &err), 0);
	roger_project_free(p);

	p = parse_ok("{\"version\": 1, \"app\": \"x\"}");
	ck_assert_int_eq(roger_project_check_env(p, "prod", &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"unknown environment 'prod': roger.json defines no environments");
	roger_project_free(p);
}
END_TEST

START_TEST(test_config_env_names_in_file_order)
{
	struct roger_project *p = parse_ok(ENVS_PROJECT);
	const char **names = NULL;
	size_t n = 0;

	ck_assert_int_eq(roger_project_env_names(p, &names, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(names[0], "staging");
	ck_assert_str_eq(names[1], "production");
	ck_assert_str_eq(names[2], "plain");
	free(names);
	roger_project_free(p);
}
END_TEST

static const char *lookup(const struct roger_var *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return v[i].value;
	return NULL;
}

START_TEST(test_config_vars_precedence)
{
	struct roger_project *p = parse_ok(ENVS_PROJECT);
	struct roger_err err = ROGER_ERR_INIT;
	const struct roger_var builtins[] = { { "app", "hello" },
					      { "env", "production" } };
	const struct roger_var cli[] = { { "region", "us" },
					 { "region", "ap" } };
	struct roger_var *vars = NULL;
	json_t *m = NULL, *out = NULL;
	size_t n = 0;

	set_env("ROGER_VAR_color", "blue");
	set_env("ROGER_VAR_region", "from-env");
	set_env("ROGER_VAR_unused", "x");
	ck_assert_int_eq(roger_project_vars(&vars, &n, ctx, p, "production",
					    builtins, 2, cli, 2, &err),
			 0);
	/* builtins, then --var (last wins), then ROGER_VAR_, then the
	 * environment's vars, then the top-level vars. */
	ck_assert_str_eq(lookup(vars, n, "app"), "hello");
	ck_assert_str_eq(lookup(vars, n, "region"), "ap");
	ck_assert_str_eq(lookup(vars, n, "color"), "blue");
	ck_assert_str_eq(lookup(vars, n, "domain"), "prod.example.com");
	ck_assert_ptr_null(lookup(vars, n, "unused"));
	ck_assert_int_eq(
		roger_project_environment(p, "production", &m, NULL, &err), 0);
	ck_assert_int_eq(roger_spec_expand(&out, m, vars, n, "marathon", &err),
			 0);
	ck_assert_str_eq(json_string_value(json_object_get(out, "cmd")),
			 "run prod.example.com blue");
	json_decref(out);
	json_decref(m);
	free(vars);

	/* Without the environment, the top-level vars apply. */
	ck_assert_int_eq(roger_project_vars(&vars, &n, ctx, p, NULL, builtins,
					    2, NULL, 0, &err),
			 0);
	ck_assert_str_eq(lookup(vars, n, "domain"), "example.com");
	ck_assert_str_eq(lookup(vars, n, "region"), "eu");
	free(vars);
	roger_project_free(p);
}
END_TEST

START_TEST(test_config_vars_refuse_bad_cli_vars)
{
	struct roger_project *p = parse_ok(ENVS_PROJECT);
	struct roger_err err = ROGER_ERR_INIT;
	const struct roger_var builtin[] = { { "commit", "x" } };
	const struct roger_var bad[] = { { "a-b", "x" } };
	struct roger_var *vars = NULL;
	size_t n = 0;

	ck_assert_int_eq(roger_project_vars(&vars, &n, ctx, p, NULL, NULL, 0,
					    builtin, 1, &err),
			 ROGER_EUSAGE);
	ck_assert_str_eq(
		err.msg,
		"invalid --var 'commit': it is a built-in variable and cannot be set");
	ck_assert_int_eq(roger_project_vars(&vars, &n, ctx, p, NULL, NULL, 0,
					    bad, 1, &err),
			 ROGER_EUSAGE);
	ck_assert_str_eq(
		err.msg,
		"invalid --var name 'a-b': use letters, digits and '_', not starting with a digit");
	ck_assert_int_eq(roger_project_vars(&vars, &n, ctx, p, "nope", NULL, 0,
					    NULL, 0, &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(vars);
	roger_project_free(p);
	assert_refused(
		HEAD "\"vars\": {\"commit\": \"x\"}}",
		"roger.json: vars.commit: 'commit' is a built-in variable and cannot be set");
	assert_refused(
		HEAD "\"vars\": {\"a-b\": \"x\"}}",
		"roger.json: vars.a-b: invalid variable name 'a-b': use letters, digits and '_', not starting with a digit");
}
END_TEST

/* ---- finding and loading roger.json ----------------------------------------- */

#define SIMPLE "{\"version\": 1, \"app\": \"web\"}\n"

START_TEST(test_config_load_from_root)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;

	make_repo("repo");
	write_file("repo/roger.json", SIMPLE, 0644);
	ck_assert_msg(roger_project_load(&p, ctx, T("repo"), &err) == 0, "%s",
		      err.msg);
	ck_assert_str_eq(p->path, T("repo/roger.json"));
	ck_assert_str_eq(p->dir, T("repo"));
	ck_assert_str_eq(p->workdir, T("repo"));
	ck_assert_str_eq(p->subdir, "");
	ck_assert_str_eq(p->display, "roger.json");
	ck_assert_str_eq(p->id, "/web");
	roger_project_free(p);
}
END_TEST

START_TEST(test_config_load_walks_up_to_the_project)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;

	make_repo("repo");
	write_file("repo/roger.json", "{\"version\": 1, \"app\": \"root\"}",
		   0644);
	write_file("repo/apps/web/roger.json", SIMPLE, 0644);
	write_file("repo/apps/web/src/deep/x.js", "", 0644);
	ck_assert_int_eq(
		roger_project_load(&p, ctx, T("repo/apps/web/src/deep"), &err),
		0);
	ck_assert_str_eq(p->dir, T("repo/apps/web"));
	ck_assert_str_eq(p->workdir, T("repo"));
	ck_assert_str_eq(p->subdir, "apps/web");
	ck_assert_str_eq(p->display, "../../roger.json");
	ck_assert_str_eq(p->id, "/web");
	roger_project_free(p);
	/* Outside the app directory, the repository's own roger.json. */
	ck_assert_int_eq(roger_project_load(&p, ctx, T("repo/apps"), &err), 0);
	ck_assert_str_eq(p->id, "/root");
	ck_assert_str_eq(p->display, "../roger.json");
	roger_project_free(p);
}
END_TEST

START_TEST(test_config_load_stops_at_the_work_tree)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;
	char want[PATH_MAX * 3];

	/* A roger.json above the repository is not the project's. */
	write_file("roger.json", SIMPLE, 0644);
	make_repo("repo");
	write_file("repo/sub/x", "", 0644);
	ck_assert_int_eq(roger_project_load(&p, ctx, T("repo/sub"), &err),
			 ROGER_ENOTFOUND);
	ck_assert_ptr_null(p);
	snprintf(
		want, sizeof(want),
		"no roger.json in '%s' or above it up to the work tree root '%s'; run 'roger init' to create one",
		T("repo/sub"), T("repo"));
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(roger_project_load(&p, ctx, T("repo"), &err),
			 ROGER_ENOTFOUND);
	snprintf(want, sizeof(want),
		 "no roger.json in '%s'; run 'roger init' to create one",
		 T("repo"));
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_config_load_outside_git)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;
	char want[PATH_MAX * 2];

	write_file("plain/roger.json", SIMPLE, 0644);
	{
		git_buf found = { 0 };
		int inside =
			git_repository_discover(&found, tmpdir, 0, NULL) == 0;

		git_buf_dispose(&found);
		if (inside) {
			fprintf(stderr,
				"skipping %s: the temporary directory %s is inside a git repository\n",
				__func__, tmpdir);
			return;
		}
	}
	ck_assert_int_eq(roger_project_load(&p, ctx, T("plain"), &err),
			 ROGER_ENOTFOUND);
	snprintf(
		want, sizeof(want),
		"'%s' is not inside a git work tree; run 'git init' first, roger deploys commits",
		T("plain"));
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(roger_project_load(&p, ctx, T("missing"), &err),
			 ROGER_ENOTFOUND);
	ck_assert(strstr(err.msg, "cannot use directory") != NULL);
}
END_TEST

START_TEST(test_config_load_errors_name_the_file)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;

	make_repo("repo");
	write_file("repo/roger.json",
		   "{\n  \"version\": 1,\n  \"app\": \"x\",\n  \"mem\": 5\n}\n",
		   0644);
	write_file("repo/a/b", "", 0644);
	ck_assert_int_eq(roger_project_load(&p, ctx, T("repo/a"), &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "../roger.json: unknown key 'mem'");
	/* A directory where the file should be: unreadable, and invalid. */
	make_repo("repo2");
	ck_assert_int_eq(roger_fs_mkdirs(T("repo2/roger.json"), 0755, NULL), 0);
	ck_assert_int_eq(roger_project_load(&p, ctx, T("repo2"), &err),
			 ROGER_EINVALID);
	ck_assert(strstr(err.msg, "roger.json") != NULL);
	ck_assert(strstr(err.msg, "Is a directory") != NULL);
}
END_TEST

START_TEST(test_config_load_non_utf8_directory)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_project *p = NULL;

	make_repo("repo");
	write_file("repo/caf\xe9/roger.json", SIMPLE, 0644);
	write_file("repo/caf\xe9/\xff\xfe.txt", "x", 0644);
	ck_assert_int_eq(roger_project_load(&p, ctx, T("repo/caf\xe9"), &err),
			 0);
	ck_assert_str_eq(p->subdir, "caf\xe9");
	roger_project_free(p);
}
END_TEST

/* ---- user configuration ------------------------------------------------------- */

#define UC "config/roger/config.json"

static struct roger_user_config *load_uc(const char *text)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_user_config *uc = NULL;

	if (text)
		write_file(UC, text, 0600);
	ck_assert_msg(roger_user_config_load(&uc, ctx, NULL, &err) == 0, "%s",
		      err.msg);
	return uc;
}

static void assert_uc_refused(const char *text, const char *msg)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_user_config *uc = NULL;
	char want[2 * PATH_MAX];

	write_file(UC, text, 0600);
	ck_assert_int_eq(roger_user_config_load(&uc, ctx, NULL, &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(uc);
	snprintf(want, sizeof(want), "%s%s", T(UC), msg);
	ck_assert_str_eq(err.msg, want);
}

START_TEST(test_config_user_config_missing_is_empty)
{
	struct roger_user_config *uc = load_uc(NULL);
	const char **names = NULL;
	size_t n = 0;

	ck_assert_str_eq(uc->path, T(UC));
	ck_assert_ptr_null(uc->root);
	ck_assert_ptr_null(uc->default_target);
	ck_assert_int_eq(uc->local_port, ROGER_LOCAL_PORT);
	ck_assert_str_eq(uc->local_state_dir, T("state/roger/local"));
	ck_assert(uc->local_max_extract_bytes == 0); /* unset: the default */
	ck_assert(uc->local_max_extract_entries == 0);
	ck_assert_int_eq(roger_user_config_target_names(uc, &names, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], "local");
	free(names);
	roger_user_config_free(uc);
	roger_user_config_free(NULL);
}
END_TEST

START_TEST(test_config_user_config_full)
{
	struct roger_user_config *uc = load_uc(
		"{\"default_target\": \"staging\", \"local\": {\"port\": 9999, \"state_dir\": \"~/st\"},"
		" \"targets\": {"
		"  \"staging\": {\"marathon\": \"http://m:8080/\", \"auth\": {\"netrc\": true}},"
		"  \"prod\": {\"marathon\": [\"https://m1:8080\", \"https://m2:8080\"], \"mesos\": \"https://mesos:5050\","
		"    \"artifacts\": \"https://a.example.com/roger\", \"auth\": {\"token_env\": \"DCOS_TOKEN\"},"
		"    \"ca_file\": \"/etc/ssl/certs/ca.pem\", \"protected\": true},"
		"  \"basic\": {\"marathon\": \"http://b:8080\", \"auth\": {\"user\": \"deploy\", \"password_env\": \"PW\"}},"
		"  \"file\": {\"marathon\": \"http://f:8080\", \"artifacts\": \"file:///srv/artifacts\", \"auth\": {\"token_file\": \"token\"}}}}");
	const char **names = NULL;
	size_t n = 0;

	ck_assert_str_eq(uc->default_target, "staging");
	ck_assert_int_eq(uc->local_port, 9999);
	ck_assert_str_eq(uc->local_state_dir, T("home/st"));
	ck_assert_int_eq(roger_user_config_target_names(uc, &names, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(names[0], "basic");
	ck_assert_str_eq(names[1], "file");
	ck_assert_str_eq(names[2], "local");
	ck_assert_str_eq(names[3], "prod");
	ck_assert_str_eq(names[4], "staging");
	free(names);
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_user_config_extract_caps)
{
	struct roger_user_config *uc = load_uc(
		"{\"local\": {\"max_extract_bytes\": \"512M\", \"max_extract_entries\": 5000}}");

	ck_assert(uc->local_max_extract_bytes == (uint64_t)512 << 20);
	ck_assert(uc->local_max_extract_entries == 5000);
	roger_user_config_free(uc);
	uc = load_uc(
		"{\"local\": {\"max_extract_bytes\": 1000, \"max_extract_entries\": 0}}");
	ck_assert(uc->local_max_extract_bytes == 1000);
	ck_assert(uc->local_max_extract_entries == UINT64_MAX); /* 0: no cap */
	roger_user_config_free(uc);
	assert_uc_refused(
		"{\"local\": {\"max_extract_bytes\": \"4GB\"}}",
		": local.max_extract_bytes: invalid size '4GB': expected bytes, or a number with K, M, G or T");
	assert_uc_refused(
		"{\"local\": {\"max_extract_bytes\": -1}}",
		": local.max_extract_bytes: expected an integer >= 0, got -1");
	assert_uc_refused(
		"{\"local\": {\"max_extract_entries\": \"10\"}}",
		": local.max_extract_entries: expected an integer, got a string");
	assert_uc_refused(
		"{\"local\": {\"max_extract\": 1}}",
		": local: unknown key 'max_extract', did you mean 'max_extract_bytes'?");
}
END_TEST

START_TEST(test_config_user_config_errors)
{
	assert_uc_refused(
		"{\"targets\": {\"prod\": {\"marathon\": \"http://m\",}}}",
		":1:46: string or '}' expected near '}'");
	assert_uc_refused(
		"{\"default_taget\": \"x\"}",
		": unknown key 'default_taget', did you mean 'default_target'?");
	assert_uc_refused(
		"{\"targets\": {\"prod\": {\"marathon\": \"http://m\", \"protcted\": true}}}",
		": targets.prod: unknown key 'protcted', did you mean 'protected'?");
	assert_uc_refused(
		"{\"targets\": {\"prod\": {\"marathon\": 5}}}",
		": targets.prod.marathon: expected an array or a string, got an integer");
	assert_uc_refused(
		"{\"targets\": {\"prod\": {\"marathon\": []}}}",
		": targets.prod.marathon: expected at least one element");
	assert_uc_refused(
		"{\"targets\": {\"prod\": {\"marathon\": [\"http://a\", \"ftp://b\"]}}}",
		": targets.prod.marathon[1]: invalid URL 'ftp://b': expected an http:// or https:// URL");
	assert_uc_refused(
		"{\"targets\": {\"prod\": {\"marathon\": \"http://\"}}}",
		": targets.prod.marathon: invalid URL 'http://': the host is missing");
	assert_uc_refused(
		"{\"targets\": {\"prod\": {\"marathon\": \"http://m\", \"artifacts\": \"s3://b/\"}}}",
		": targets.prod.artifacts: invalid URL 's3://b/': expected an http://, https:// or file:// URL");
	assert_uc_refused(
		"{\"targets\": {\"prod\": {\"marathon\": \"http://m?x=1\"}}}",
		": targets.prod.marathon: invalid URL 'http://m?x=1': a base URL takes no query or fragment ('?')");
	assert_uc_refused(
		"{\"targets\": {\"prod\": {\"mesos\": \"http://m\"}}}",
		": targets.prod: missing 'marathon': the Marathon URL, or a list of them");
	assert_uc_refused(
		"{\"targets\": {\"prod\": {\"marathon\": \"http://m\", \"protected\": \"yes\"}}}",
		": targets.prod.protected: expected a boolean, got a string");
	assert_uc_refused(
		"{\"targets\": {\"local\": {\"marathon\": \"http://m\"}}}",
		": targets.local: 'local' is the built-in target of roger local; set its port and state directory under the top-level 'local'");
	assert_uc_refused(
		"{\"default_target\": \"prdo\", \"targets\": {\"prod\": {\"marathon\": \"http://m\"}}}",
		": default_target: unknown target 'prdo', did you mean 'prod'?");
	assert_uc_refused(
		"{\"local\": {\"port\": 70000}}",
		": local.port: expected an integer <= 65535, got 70000");
	assert_uc_refused("{\"local\": {\"prot\": 1}}",
			  ": local: unknown key 'prot', did you mean 'port'?");
}
END_TEST

START_TEST(test_config_user_config_auth_forms_checked)
{
	assert_uc_refused(
		"{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"auth\": {\"user\": \"u\"}}}}",
		": targets.p.auth: HTTP Basic authentication needs both 'user' and 'password_env'");
	assert_uc_refused(
		"{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"auth\": {\"token_env\": \"T\", \"user\": \"u\"}}}}",
		": targets.p.auth: 'token_env' and 'user' are two different forms; use one of {\"user\", \"password_env\"}, {\"token_env\"}, {\"token_file\"} or {\"netrc\": true}");
	assert_uc_refused(
		"{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"auth\": {}}}}",
		": targets.p.auth: empty; use one of {\"user\", \"password_env\"}, {\"token_env\"}, {\"token_file\"} or {\"netrc\": true}, or leave 'auth' out");
	assert_uc_refused(
		"{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"auth\": {\"user\": \"u\", \"password\": \"x\"}}}}",
		": targets.p.auth.password: roger does not read literal secrets from its configuration; name an environment variable with 'password_env'");
	assert_uc_refused(
		"{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"auth\": {\"token\": \"x\"}}}}",
		": targets.p.auth.token: roger does not read literal secrets from its configuration; name an environment variable with 'token_env' or a file with 'token_file'");
	assert_uc_refused(
		"{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"auth\": {\"token_env\": \"A-B\"}}}}",
		": targets.p.auth.token_env: invalid environment variable name 'A-B'");
	assert_uc_refused(
		"{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"auth\": {\"netrc_file\": \"x\"}}}}",
		": targets.p.auth: 'netrc_file' needs \"netrc\": true");
	assert_uc_refused(
		"{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"auth\": {\"user\": \"a:b\", \"password_env\": \"P\"}}}}",
		": targets.p.auth.user: a user name must not contain ':'");
	assert_uc_refused(
		"{\"targets\": {\"p\": {\"marathon\": \"http://m\", \"auth\": {\"tokn_env\": \"T\"}}}}",
		": targets.p.auth: unknown key 'tokn_env', did you mean 'token_env'?");
}
END_TEST

START_TEST(test_config_user_config_unreadable)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_user_config *uc = NULL;

	/* A directory where the file should be cannot be read, even by root. */
	ck_assert_int_eq(roger_fs_mkdirs(T(UC), 0755, NULL), 0);
	ck_assert_int_eq(roger_user_config_load(&uc, ctx, NULL, &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(uc);
	ck_assert(strstr(err.msg, T(UC)) != NULL);
	ck_assert(strstr(err.msg, "Is a directory") != NULL);
}
END_TEST

/* ---- target resolution ------------------------------------------------------- */

#define TARGETS                                                                                                               \
	"{\"default_target\": \"staging\", \"local\": {\"port\": 9999}, \"targets\": {"                                       \
	" \"staging\": {\"marathon\": \"http://staging:8080/\"},"                                                             \
	" \"prod\": {\"marathon\": [\"https://m1:8080\", \"https://m2:8080//\"], \"mesos\": \"https://mesos:5050/\","         \
	"   \"artifacts\": \"https://a.example.com/roger\", \"auth\": {\"token_env\": \"DCOS_TOKEN\"}, \"protected\": true}," \
	" \"ci\": {\"marathon\": \"http://ci:8080\"}}}"

static struct roger_target *resolve(const struct roger_user_config *uc,
				    const char *flag, const char *env_target)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_target *t = NULL;

	ck_assert_msg(
		roger_target_resolve(&t, ctx, uc, flag, env_target, &err) == 0,
		"%s", err.msg);
	return t;
}

static void assert_resolve_fails(const struct roger_user_config *uc,
				 const char *flag, const char *env_target,
				 const char *msg)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_target *t = NULL;

	ck_assert_int_eq(
		roger_target_resolve(&t, ctx, uc, flag, env_target, &err),
		ROGER_EINVALID);
	ck_assert_ptr_null(t);
	ck_assert_str_eq(err.msg, msg);
}

static void assert_name(const struct roger_user_config *uc, const char *flag,
			const char *env_target, const char *want)
{
	struct roger_target *t = resolve(uc, flag, env_target);

	ck_assert_str_eq(t->name, want);
	roger_target_free(t);
}

START_TEST(test_config_target_precedence)
{
	struct roger_user_config *uc = load_uc(TARGETS);
	struct roger_user_config *empty = NULL;

	set_env("DCOS_TOKEN", "t0k3n");
	/* flag > ROGER_TARGET > the environment's target > default_target >
	 * local */
	set_env("ROGER_TARGET", "ci");
	assert_name(uc, "prod", "staging", "prod");
	assert_name(uc, NULL, "prod", "ci");
	set_env("ROGER_TARGET", "");
	assert_name(uc, NULL, "prod", "prod");
	assert_name(uc, NULL, NULL, "staging");
	roger_user_config_free(uc);
	unlink(T(UC));
	empty = load_uc(NULL);
	assert_name(empty, NULL, NULL, "local");
	assert_name(NULL, NULL, NULL, "local");
	roger_user_config_free(empty);
}
END_TEST

START_TEST(test_config_target_from_user_config)
{
	struct roger_user_config *uc = load_uc(TARGETS);
	struct roger_target *t;

	set_env("DCOS_TOKEN", "t0k3n");
	t = resolve(uc, "prod", NULL);
	ck_assert_str_eq(t->origin, "user config");
	ck_assert_uint_eq(t->n_marathon, 2);
	ck_assert_str_eq(t->marathon[0], "https://m1:8080");
	ck_assert_str_eq(t->marathon[1], "https://m2:8080");
	ck_assert_str_eq(t->mesos, "https://mesos:5050");
	ck_assert_str_eq(t->artifacts, "https://a.example.com/roger/");
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_TOKEN);
	ck_assert_str_eq(t->auth.token, "t0k3n");
	ck_assert(t->is_protected);
	ck_assert(!t->is_local);
	ck_assert_ptr_null(t->ca_file);
	roger_target_free(t);
	t = resolve(uc, "staging", NULL);
	ck_assert_str_eq(t->marathon[0], "http://staging:8080");
	ck_assert_ptr_null(t->mesos);
	ck_assert_ptr_null(t->artifacts);
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_NONE);
	ck_assert(!t->is_protected);
	roger_target_free(t);
	roger_target_free(NULL);
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_target_local_builtin)
{
	struct roger_user_config *uc = load_uc(TARGETS);
	struct roger_target *t = resolve(uc, "local", NULL);

	ck_assert(t->is_local);
	ck_assert_str_eq(t->origin, "built-in");
	ck_assert_uint_eq(t->n_marathon, 1);
	ck_assert_str_eq(t->marathon[0], "http://127.0.0.1:9999");
	ck_assert_str_eq(t->mesos, "http://127.0.0.1:9999");
	ck_assert_str_eq(t->artifacts, "http://127.0.0.1:9999/artifacts/");
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_NONE);
	roger_target_free(t);
	t = resolve(NULL, NULL, NULL);
	ck_assert_str_eq(t->marathon[0], "http://127.0.0.1:7878");
	roger_target_free(t);
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_target_env_overrides)
{
	struct roger_user_config *uc = load_uc(TARGETS);
	struct roger_target *t;

	write_file("ca.pem", "x", 0644);
	set_env("DCOS_TOKEN", "t0k3n");
	set_env("ROGER_MARATHON_URL", " https://x1:8080/ , http://x2 ");
	set_env("ROGER_MESOS_URL", "http://mesos.x:5050/");
	set_env("ROGER_ARTIFACTS_URL", "file:///srv/art");
	set_env("ROGER_CA_FILE", T("ca.pem"));
	set_env("ROGER_TOKEN", "env-token");
	t = resolve(uc, "prod", NULL);
	ck_assert_str_eq(t->name, "prod");
	ck_assert_str_eq(t->origin, "user config");
	ck_assert_uint_eq(t->n_marathon, 2);
	ck_assert_str_eq(t->marathon[0], "https://x1:8080");
	ck_assert_str_eq(t->marathon[1], "http://x2");
	ck_assert_str_eq(t->mesos, "http://mesos.x:5050");
	ck_assert_str_eq(t->artifacts, "file:///srv/art/");
	ck_assert_str_eq(t->ca_file, T("ca.pem"));
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_TOKEN);
	ck_assert_str_eq(t->auth.token, "env-token");
	ck_assert(t->is_protected);
	roger_target_free(t);
	/* ROGER_USER and ROGER_PASSWORD replace the configured token. */
	set_env("ROGER_TOKEN", "");
	set_env("ROGER_USER", "ci");
	set_env("ROGER_PASSWORD", "pw");
	t = resolve(uc, "prod", NULL);
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_BASIC);
	ck_assert_str_eq(t->auth.user, "ci");
	ck_assert_str_eq(t->auth.password, "pw");
	ck_assert_ptr_null(t->auth.token);
	roger_target_free(t);
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_target_env_errors)
{
	struct roger_user_config *uc = load_uc(TARGETS);

	set_env("ROGER_MARATHON_URL", "marathon:8080");
	assert_resolve_fails(
		uc, "staging", NULL,
		"ROGER_MARATHON_URL: invalid URL 'marathon:8080': expected an http:// or https:// URL");
	set_env("ROGER_MARATHON_URL", "http://a,,http://b");
	assert_resolve_fails(
		uc, "staging", NULL,
		"ROGER_MARATHON_URL: empty URL in the comma-separated list");
	set_env("ROGER_MARATHON_URL", "");
	set_env("ROGER_USER", "u");
	assert_resolve_fails(uc, "staging", NULL,
			     "ROGER_USER is set but ROGER_PASSWORD is not");
	set_env("ROGER_TOKEN", "t");
	assert_resolve_fails(
		uc, "staging", NULL,
		"set either ROGER_TOKEN or ROGER_USER and ROGER_PASSWORD, not both");
	set_env("ROGER_TOKEN", "");
	set_env("ROGER_USER", "");
	set_env("ROGER_PASSWORD", "p");
	assert_resolve_fails(uc, "staging", NULL,
			     "ROGER_PASSWORD is set but ROGER_USER is not");
	set_env("ROGER_PASSWORD", "");
	set_env("ROGER_CA_FILE", T("nope.pem"));
	{
		char want[2 * PATH_MAX];

		snprintf(
			want, sizeof(want),
			"cannot read the CA file '%s' of target 'staging': No such file or directory",
			T("nope.pem"));
		assert_resolve_fails(uc, "staging", NULL, want);
	}
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_target_from_environment_alone)
{
	struct roger_target *t;

	/* CI: no user config at all. */
	set_env("ROGER_MARATHON_URL", "https://marathon.ci:8443/");
	set_env("ROGER_TOKEN", "ci-token");
	t = resolve(NULL, NULL, NULL);
	ck_assert_str_eq(t->name, ROGER_ENV_TARGET);
	ck_assert_str_eq(t->origin, "environment");
	ck_assert(!t->is_local);
	ck_assert_str_eq(t->marathon[0], "https://marathon.ci:8443");
	ck_assert_ptr_null(t->artifacts);
	ck_assert_str_eq(t->auth.token, "ci-token");
	roger_target_free(t);
	/* A name nobody defines, given by roger.json or ROGER_TARGET. */
	t = resolve(NULL, NULL, "production");
	ck_assert_str_eq(t->name, "production");
	ck_assert_str_eq(t->origin, "environment");
	roger_target_free(t);
	set_env("ROGER_TARGET", "ci");
	t = resolve(NULL, NULL, "production");
	ck_assert_str_eq(t->name, "ci");
	roger_target_free(t);
	/*
	 * Naming local explicitly keeps local, and the variables do not
	 * apply to it: they would send its token elsewhere, or another token
	 * to it.
	 */
	t = resolve(NULL, "local", NULL);
	ck_assert(t->is_local);
	ck_assert_str_eq(t->marathon[0], "http://127.0.0.1:7878");
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_NONE);
	roger_target_free(t);
}
END_TEST

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Hold the lock of a state directory, as its running server does (fd). */
static int hold_lock(const char *state_rel)
{
	char rel[256];
	int fd;

	snprintf(rel, sizeof(rel), "%s/server.lock", state_rel);
	write_file(rel, "", 0600);
	fd = open(T(rel), O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	return fd;
}

START_TEST(test_config_target_local_state_dir)
{
	struct roger_user_config *uc;
	struct roger_target *t;
	char text[PATH_MAX + 100];
	int fd;

	snprintf(text, sizeof(text),
		 "{\"local\": {\"port\": 9999, \"state_dir\": \"%s\"}}",
		 T("st"));
	uc = load_uc(text);
	/* No server: the configured port, no token, nothing to talk to. */
	write_file("st/token", TOKEN "\n", 0600);
	t = resolve(uc, "local", NULL);
	ck_assert_str_eq(t->local_state_dir, T("st"));
	ck_assert(!t->local_running);
	ck_assert_str_eq(t->marathon[0], "http://127.0.0.1:9999");
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_NONE);
	roger_target_free(t);
	/* A server.json left by a server that is gone changes nothing. */
	write_file(
		"st/server.json",
		"{\"pid\":1,\"port\":4242,\"url\":\"http://127.0.0.1:4242\"}\n",
		0644);
	t = resolve(uc, "local", NULL);
	ck_assert(!t->local_running);
	ck_assert_str_eq(t->mesos, "http://127.0.0.1:9999");
	roger_target_free(t);
	/* Its server runs: the port it recorded, and its token. */
	fd = hold_lock("st");
	set_env("ROGER_TOKEN", "not-this-one");
	set_env("ROGER_MARATHON_URL", "http://elsewhere:8080");
	t = resolve(uc, "local", NULL);
	ck_assert(t->local_running);
	ck_assert_uint_eq(t->n_marathon, 1);
	ck_assert_str_eq(t->marathon[0], "http://127.0.0.1:4242");
	ck_assert_str_eq(t->mesos, "http://127.0.0.1:4242");
	ck_assert_str_eq(t->artifacts, "http://127.0.0.1:4242/artifacts/");
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_TOKEN);
	ck_assert_str_eq(t->auth.token, TOKEN);
	/* Synced again once it stopped: back to nothing. */
	close(fd);
	ck_assert_int_eq(roger_target_local_sync(t, 9999, NULL), 0);
	ck_assert(!t->local_running);
	ck_assert_uint_eq(t->n_marathon, 1);
	ck_assert_str_eq(t->marathon[0], "http://127.0.0.1:9999");
	ck_assert_ptr_null(t->auth.token);
	roger_target_free(t);
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_target_local_token_unsound)
{
	struct roger_user_config *uc;
	char text[PATH_MAX + 100], want[2 * PATH_MAX];
	int fd;

	snprintf(text, sizeof(text), "{\"local\": {\"state_dir\": \"%s\"}}",
		 T("st"));
	uc = load_uc(text);
	write_file(
		"st/server.json",
		"{\"pid\":1,\"port\":4242,\"url\":\"http://127.0.0.1:4242\"}\n",
		0644);
	fd = hold_lock("st");
	snprintf(want, sizeof(want),
		 "cannot read the token file '%s': No such file or directory",
		 T("st/token"));
	assert_resolve_fails(uc, "local", NULL, want);
	write_file("st/token", TOKEN "\n", 0640);
	snprintf(
		want, sizeof(want),
		"the token file '%s' has mode 0640: group and others must have no access to it",
		T("st/token"));
	assert_resolve_fails(uc, "local", NULL, want);
	write_file("st/token", "secret\n", 0600);
	snprintf(
		want, sizeof(want),
		"the token file '%s' does not hold a token of roger local (64 hex digits)",
		T("st/token"));
	assert_resolve_fails(uc, "local", NULL, want);
	close(fd);
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_target_registry)
{
	struct roger_user_config *uc = load_uc(
		"{\"targets\": {"
		" \"a\": {\"marathon\": \"http://m\", \"registry\": \"https://Reg.Example.com:5000/team/web/\"},"
		" \"b\": {\"marathon\": \"http://m\", \"registry\": {\"url\": \"http://127.0.0.1:5000\","
		"        \"auth\": {\"user\": \"ci\", \"password_env\": \"REG_PW\"}, \"ca_file\": \"ca.pem\"}},"
		" \"c\": {\"marathon\": \"http://m\", \"registry\": {\"url\": \"https://r.example.com\","
		"        \"auth\": {\"token_env\": \"REG_TOKEN\"}}},"
		" \"d\": {\"marathon\": \"http://m\"}},"
		" \"local\": {\"registry\": \"http://localhost:5000\"}}");
	struct roger_target *t;

	set_env("REG_PW", "pw");
	set_env("REG_TOKEN", "tok");
	t = resolve(uc, "a", NULL);
	ck_assert_str_eq(t->registry, "reg.example.com:5000");
	ck_assert_str_eq(t->registry_url, "https://Reg.Example.com:5000");
	ck_assert_str_eq(t->registry_prefix, "team/web");
	ck_assert_int_eq(t->registry_auth.kind, ROGER_AUTH_NONE);
	roger_target_free(t);
	t = resolve(uc, "b", NULL);
	ck_assert_str_eq(t->registry, "127.0.0.1:5000");
	ck_assert_str_eq(t->registry_prefix, "");
	ck_assert_int_eq(t->registry_auth.kind, ROGER_AUTH_BASIC);
	ck_assert_str_eq(t->registry_auth.user, "ci");
	ck_assert_str_eq(t->registry_auth.password, "pw");
	ck_assert_str_eq(t->registry_ca_file, T("config/roger/ca.pem"));
	/* never the target's own credentials */
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_NONE);
	roger_target_free(t);
	t = resolve(uc, "c", NULL);
	ck_assert_int_eq(t->registry_auth.kind, ROGER_AUTH_TOKEN);
	ck_assert_str_eq(t->registry_auth.token, "tok");
	roger_target_free(t);
	t = resolve(uc, "d", NULL);
	ck_assert_ptr_null(t->registry);
	ck_assert_ptr_null(t->registry_url);
	roger_target_free(t);
	t = resolve(uc, "local", NULL);
	ck_assert_str_eq(t->registry, "localhost:5000");
	roger_target_free(t);
	/* ROGER_REGISTRY_URL: the same host keeps its credentials, another not
	 */
	set_env("ROGER_REGISTRY_URL", "http://127.0.0.1:5000/ci");
	t = resolve(uc, "b", NULL);
	ck_assert_str_eq(t->registry_prefix, "ci");
	ck_assert_int_eq(t->registry_auth.kind, ROGER_AUTH_BASIC);
	roger_target_free(t);
	set_env("ROGER_REGISTRY_URL", "https://elsewhere.example.com");
	t = resolve(uc, "b", NULL);
	ck_assert_str_eq(t->registry, "elsewhere.example.com");
	ck_assert_int_eq(t->registry_auth.kind, ROGER_AUTH_NONE);
	ck_assert_ptr_null(t->registry_auth.password);
	ck_assert_ptr_null(t->registry_ca_file);
	roger_target_free(t);
	set_env("ROGER_REGISTRY_URL", "ftp://x");
	assert_resolve_fails(
		uc, "d", NULL,
		"ROGER_REGISTRY_URL: invalid registry URL 'ftp://x': expected an http:// or https:// URL");
	set_env("ROGER_REGISTRY_URL", "");
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_target_registry_refused)
{
	assert_uc_refused(
		"{\"targets\": {\"a\": {\"marathon\": \"http://m\", \"registry\": \"registry/team\"}}}",
		": targets.a.registry: invalid registry URL 'registry/team': expected an http:// or https:// URL");
	assert_uc_refused(
		"{\"targets\": {\"a\": {\"marathon\": \"http://m\", \"registry\": \"https://registry\"}}}",
		": targets.a.registry: invalid registry URL 'https://registry': image references cannot name host 'registry': use a name with a '.', add the port, or use localhost");
	assert_uc_refused(
		"{\"targets\": {\"a\": {\"marathon\": \"http://m\", \"registry\": \"https://r.io/Team\"}}}",
		": targets.a.registry: invalid registry URL 'https://r.io/Team': 'Team' is not a repository path: lower-case letters and digits, with '.', '_' or '-' between them, joined by '/'");
	assert_uc_refused(
		"{\"targets\": {\"a\": {\"marathon\": \"http://m\", \"registry\": \"https://u:p@r.io\"}}}",
		": targets.a.registry: invalid registry URL 'https://u:p@r.io': a registry URL takes no user, query or fragment");
	assert_uc_refused(
		"{\"targets\": {\"a\": {\"marathon\": \"http://m\", \"registry\": {\"auth\": {\"token_env\": \"T\"}}}}}",
		": targets.a.registry: missing 'url': the registry's URL, such as \"https://registry.example.com\"");
	assert_uc_refused(
		"{\"targets\": {\"a\": {\"marathon\": \"http://m\", \"registry\": {\"url\": \"https://r.io\", \"auth\": {\"netrc\": true}}}}}",
		": targets.a.registry.auth: 'netrc' is not read for registries; use {\"user\", \"password_env\"}, {\"token_env\"} or {\"token_file\"} (a bearer token), or an \"auths\" entry of Docker's config.json");
	assert_uc_refused(
		"{\"targets\": {\"a\": {\"marathon\": \"http://m\", \"registry\": {\"url\": \"https://r.io\", \"auth\": {\"password\": \"x\"}}}}}",
		": targets.a.registry.auth.password: roger does not read literal secrets from its configuration; name an environment variable with 'password_env'");
	assert_uc_refused(
		"{\"local\": {\"registry\": {\"uri\": \"x\"}}}",
		": local.registry: unknown key 'uri', did you mean 'url'?");
}
END_TEST

START_TEST(test_config_target_unknown_suggests)
{
	struct roger_user_config *uc = load_uc(TARGETS);
	char want[2 * PATH_MAX];

	assert_resolve_fails(
		uc, "prdo", NULL,
		"unknown target 'prdo' (from -t), did you mean 'prod'?");
	set_env("ROGER_TARGET", "stagin");
	assert_resolve_fails(
		uc, NULL, NULL,
		"unknown target 'stagin' (from ROGER_TARGET), did you mean 'staging'?");
	set_env("ROGER_TARGET", "");
	snprintf(
		want, sizeof(want),
		"unknown target 'zzz' (from the environment in roger.json): define it under 'targets' in '%s', or set ROGER_MARATHON_URL",
		T(UC));
	assert_resolve_fails(uc, NULL, "zzz", want);
	roger_user_config_free(uc);
}
END_TEST

#define AUTH_UC(auth)                                                             \
	"{\"targets\": {\"p\": {\"marathon\": \"http://m:8080\", \"auth\": " auth \
	"}}}"

START_TEST(test_config_auth_basic)
{
	struct roger_user_config *uc = load_uc(AUTH_UC(
		"{\"user\": \"deploy\", \"password_env\": \"DEPLOY_PW\"}"));
	struct roger_target *t;
	char want[2 * PATH_MAX];

	snprintf(
		want, sizeof(want),
		"%s: targets.p.auth.password_env: environment variable 'DEPLOY_PW' is not set",
		T(UC));
	assert_resolve_fails(uc, "p", NULL, want);
	set_env("DEPLOY_PW", "s3cret");
	t = resolve(uc, "p", NULL);
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_BASIC);
	ck_assert_str_eq(t->auth.user, "deploy");
	ck_assert_str_eq(t->auth.password, "s3cret");
	roger_target_free(t);
	/* ROGER_PASSWORD alone overrides the password, keeping the user. */
	set_env("ROGER_PASSWORD", "override");
	t = resolve(uc, "p", NULL);
	ck_assert_str_eq(t->auth.user, "deploy");
	ck_assert_str_eq(t->auth.password, "override");
	roger_target_free(t);
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_auth_token_env)
{
	struct roger_user_config *uc =
		load_uc(AUTH_UC("{\"token_env\": \"DCOS_TOKEN\"}"));
	struct roger_target *t;
	char want[2 * PATH_MAX];

	snprintf(
		want, sizeof(want),
		"%s: targets.p.auth.token_env: environment variable 'DCOS_TOKEN' is not set",
		T(UC));
	assert_resolve_fails(uc, "p", NULL, want);
	set_env("DCOS_TOKEN", "eyJ");
	t = resolve(uc, "p", NULL);
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_TOKEN);
	ck_assert_str_eq(t->auth.token, "eyJ");
	ck_assert_ptr_null(t->auth.user);
	roger_target_free(t);
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_auth_token_file_modes)
{
	struct roger_user_config *uc =
		load_uc(AUTH_UC("{\"token_file\": \"~/.dcos/token\"}"));
	struct roger_target *t;
	char want[2 * PATH_MAX];

	write_file("home/.dcos/token", "  tok-from-file\n\n", 0644);
	snprintf(
		want, sizeof(want),
		"token file '%s' has mode 0644: group and others must have no access to it (chmod 600 '%s')",
		T("home/.dcos/token"), T("home/.dcos/token"));
	assert_resolve_fails(uc, "p", NULL, want);
	ck_assert_int_eq(chmod(T("home/.dcos/token"), 0640), 0);
	snprintf(
		want, sizeof(want),
		"token file '%s' has mode 0640: group and others must have no access to it (chmod 600 '%s')",
		T("home/.dcos/token"), T("home/.dcos/token"));
	assert_resolve_fails(uc, "p", NULL, want);
	ck_assert_int_eq(chmod(T("home/.dcos/token"), 0600), 0);
	t = resolve(uc, "p", NULL);
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_TOKEN);
	ck_assert_str_eq(t->auth.token, "tok-from-file");
	roger_target_free(t);
	ck_assert_int_eq(chmod(T("home/.dcos/token"), 0400), 0);
	t = resolve(uc, "p", NULL);
	ck_assert_str_eq(t->auth.token, "tok-from-file");
	roger_target_free(t);
	/* Empty, several lines, missing. */
	write_file("home/.dcos/token", "\n", 0600);
	snprintf(want, sizeof(want), "token file '%s' is empty",
		 T("home/.dcos/token"));
	assert_resolve_fails(uc, "p", NULL, want);
	write_file("home/.dcos/token", "a\nb\n", 0600);
	snprintf(want, sizeof(want),
		 "token file '%s' holds control characters or several lines",
		 T("home/.dcos/token"));
	assert_resolve_fails(uc, "p", NULL, want);
	unlink(T("home/.dcos/token"));
	snprintf(
		want, sizeof(want),
		"%s: targets.p.auth.token_file: cannot read token file '%s': No such file or directory",
		T(UC), T("home/.dcos/token"));
	assert_resolve_fails(uc, "p", NULL, want);
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_auth_token_file_relative_to_config)
{
	struct roger_user_config *uc =
		load_uc(AUTH_UC("{\"token_file\": \"prod.token\"}"));
	struct roger_target *t;

	write_file("config/roger/prod.token", "rel", 0600);
	t = resolve(uc, "p", NULL);
	ck_assert_str_eq(t->auth.token, "rel");
	roger_target_free(t);
	roger_user_config_free(uc);
}
END_TEST

START_TEST(test_config_auth_netrc)
{
	struct roger_user_config *uc = load_uc(AUTH_UC("{\"netrc\": true}"));
	struct roger_target *t = resolve(uc, "p", NULL);

	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_NETRC);
	ck_assert_ptr_null(t->auth.netrc_file);
	roger_target_free(t);
	roger_user_config_free(uc);
	uc = load_uc(AUTH_UC(
		"{\"netrc\": true, \"netrc_file\": \"~/.netrc-roger\"}"));
	t = resolve(uc, "p", NULL);
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_NETRC);
	ck_assert_str_eq(t->auth.netrc_file, T("home/.netrc-roger"));
	roger_target_free(t);
	roger_user_config_free(uc);
	/* "netrc": false is no authentication. */
	uc = load_uc(AUTH_UC("{\"netrc\": false}"));
	t = resolve(uc, "p", NULL);
	ck_assert_int_eq(t->auth.kind, ROGER_AUTH_NONE);
	roger_target_free(t);
	roger_user_config_free(uc);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_config_syntax_errors_have_line_and_column);
	tcase_add_test(tc, test_config_byte_order_mark_is_skipped);
	tcase_add_test(tc, test_config_minimal_project_defaults);
	tcase_add_test(tc, test_config_full_project);
	tcase_add_test(tc, test_config_wrong_types_by_path);
	tcase_add_test(tc, test_config_null_allowed_in_overlays);
	tcase_add_test(tc, test_config_unknown_keys_suggest);
	tcase_add_test(tc, test_config_marathon_unknown_fields_suggest);
	tcase_add_test(tc, test_config_marathon_values_checked);
	tcase_add_test(tc, test_config_marathon_overlay_nulls_at_any_depth);
	tcase_add_test(tc, test_config_marathon_no_schema_check);
	tcase_add_test(tc, test_config_marathon_fixtures_pass);
	tcase_add_test(tc, test_config_required_and_version);
	tcase_add_test(tc, test_config_app_id_rules);
	tcase_add_test(tc, test_config_marathon_id_and_version_refused);
	tcase_add_test(tc, test_config_environment_names);
	tcase_add_test(tc, test_config_image_section);
	tcase_add_test(tc, test_config_image_refused);
	tcase_add_test(tc, test_config_string_arrays_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("secrets");
	tcase_add_test(tc, test_config_secrets_refused);
	tcase_add_test(tc, test_config_secret_references_accepted);
	tcase_add_test(tc, test_config_secret_name_rule);
	suite_add_tcase(s, tc);

	tc = tcase_create("environments");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_environment_merge_and_target);
	tcase_add_test(tc, test_config_environment_app_and_group);
	tcase_add_test(tc, test_config_unknown_environment_suggests);
	tcase_add_test(tc, test_config_env_names_in_file_order);
	tcase_add_test(tc, test_config_vars_precedence);
	tcase_add_test(tc, test_config_vars_refuse_bad_cli_vars);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_load_from_root);
	tcase_add_test(tc, test_config_load_walks_up_to_the_project);
	tcase_add_test(tc, test_config_load_stops_at_the_work_tree);
	tcase_add_test(tc, test_config_load_outside_git);
	tcase_add_test(tc, test_config_load_errors_name_the_file);
	tcase_add_test(tc, test_config_load_non_utf8_directory);
	suite_add_tcase(s, tc);

	tc = tcase_create("user_config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_user_config_missing_is_empty);
	tcase_add_test(tc, test_config_user_config_full);
	tcase_add_test(tc, test_config_user_config_errors);
	tcase_add_test(tc, test_config_user_config_extract_caps);
	tcase_add_test(tc, test_config_user_config_auth_forms_checked);
	tcase_add_test(tc, test_config_user_config_unreadable);
	suite_add_tcase(s, tc);

	tc = tcase_create("targets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_target_precedence);
	tcase_add_test(tc, test_config_target_from_user_config);
	tcase_add_test(tc, test_config_target_local_builtin);
	tcase_add_test(tc, test_config_target_local_state_dir);
	tcase_add_test(tc, test_config_target_local_token_unsound);
	tcase_add_test(tc, test_config_target_env_overrides);
	tcase_add_test(tc, test_config_target_env_errors);
	tcase_add_test(tc, test_config_target_from_environment_alone);
	tcase_add_test(tc, test_config_target_unknown_suggests);
	tcase_add_test(tc, test_config_target_registry);
	tcase_add_test(tc, test_config_target_registry_refused);
	tcase_add_test(tc, test_config_auth_basic);
	tcase_add_test(tc, test_config_auth_token_env);
	tcase_add_test(tc, test_config_auth_token_file_modes);
	tcase_add_test(tc, test_config_auth_token_file_relative_to_config);
	tcase_add_test(tc, test_config_auth_netrc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
