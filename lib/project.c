/*
 * project.c - roger.json: the keys roger owns at each level, loading the
 * file from the project's directory, and its environments resolved into
 * an app fragment and variables.
 *
 * Design: validation walks the document with schema.c's checks, over small
 * tables of the keys roger owns here (the top level, `build`, each
 * environment), in document order; the Marathon fragments inside are
 * schema.c's.  At every level a key that looks like a credential is refused
 * with a pointer to where credentials belong (the rule is in secret.c).
 * Once valid, the fields a command needs are borrowed from the document.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "buf.h"
#include "buildcache.h"
#include "cron.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "jobs.h"
#include "marathon-schema.h"
#include "oci.h"
#include "project.h"
#include "repo-git.h"
#include "repo.h"
#include "schema.h"
#include "secret.h"
#include "spec.h"
#include "str.h"
#include "tz.h"
#include "util.h"

/* ---- validation --------------------------------------------------------- */

/* fn on every member of the object v, its key pushed for the messages. */
static int check_members(struct roger_schema *c, const json_t *v,
			 int (*fn)(struct roger_schema *c, const char *key,
				   const json_t *val))
{
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)v, key, val) {
		size_t mark = roger_schema_push_key(c, key);
		int rc = fn(c, key, val);

		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A variable of "vars". */
static int check_var(struct roger_schema *c, const char *key, const json_t *val)
{
	if (!roger_spec_var_name_valid(key))
		return roger_schema_fail(
			c,
			"invalid variable name '%s': use letters, digits and '_', not starting with a digit",
			key);
	if (roger_spec_var_is_builtin(key))
		return roger_schema_fail(
			c, "'%s' is a built-in variable and cannot be set",
			key);
	if (roger_config_name_is_secret(key, true))
		return roger_schema_fail(
			c,
			"this looks like a secret, and roger.json is committed with the code; pass it with --var %s=VALUE or ROGER_VAR_%s",
			key, key);
	return roger_schema_expect(c, val, ROGER_JSON_STRING);
}

static int check_vars(struct roger_schema *c, const json_t *v, unsigned flags)
{
	(void)flags;
	return check_members(c, v, check_var);
}

/*
 * An array of strings (none empty with `non_empty`), each checked by
 * `check` with its index in the path of the error; the first failure.
 */
static int each_string(struct roger_schema *c, const json_t *v, bool non_empty,
		       int (*check)(struct roger_schema *c, const char *s))
{
	json_t *item;
	size_t i;
	int rc = roger_schema_expect_strings(c, v, non_empty);

	json_array_foreach(v, i, item) {
		size_t mark;

		if (rc < 0)
			break;
		mark = roger_schema_push_index(c, i);
		rc = check(c, json_string_value(item));
		roger_schema_pop(c, mark);
	}
	return rc;
}

/* build.inputs: paths relative to the project directory, not absolute. */
static int input_path(struct roger_schema *c, const char *s)
{
	if (*s && *s != '/')
		return 0;
	if (*s)
		return roger_schema_fail(
			c,
			"'%s' is absolute: write it relative to the project directory, such as \"../shared\"",
			s);
	return roger_schema_fail(
		c,
		"an empty path: write a path relative to the project directory, such as \"../shared\"");
}

static int check_inputs(struct roger_schema *c, const json_t *v, unsigned flags)
{
	(void)flags;
	return each_string(c, v, false, input_path);
}

/* build.cache.paths and build.cache.key: relative paths inside the project. */
static int cache_path(struct roger_schema *c, const char *s)
{
	const char *why = roger_build_cache_path_invalid(s);

	return why ? roger_schema_fail(c, "'%s' %s", s, why) : 0;
}

static int check_cache_paths(struct roger_schema *c, const json_t *v,
			     unsigned flags)
{
	(void)flags;
	return each_string(c, v, true, cache_path);
}

static const struct roger_schema_key build_cache_keys[] = {
	{ "key", ROGER_JSON_ARRAY, check_cache_paths, 0, 0 },
	{ "max_mb", ROGER_JSON_INTEGER, NULL, 1, 1024 * 1024 },
	{ "paths", ROGER_JSON_ARRAY, check_cache_paths, 0, 0 },
	{ "version", ROGER_JSON_STRING, NULL, 0, 0 },
};

static int check_build_cache(struct roger_schema *c, const json_t *v,
			     unsigned flags)
{
	int rc;

	(void)flags;
	rc = roger_schema_object(c, v, build_cache_keys,
				 ROGER_ARRAY_SIZE(build_cache_keys),
				 ROGER_SCHEMA_NO_SECRETS);
	if (rc == 0 && !json_object_get(v, "paths"))
		rc = roger_schema_fail(
			c,
			"missing 'paths': the directories the build command fills, such as [\"node_modules\"]");
	if (rc == 0 && !json_object_get(v, "key"))
		rc = roger_schema_fail(
			c,
			"missing 'key': the files they depend on, such as [\"package-lock.json\"]");
	return rc;
}

static const struct roger_schema_key build_keys[] = {
	{ "cache", ROGER_JSON_OBJECT, check_build_cache, 0, 0 },
	{ "command", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "exclude", ROGER_JSON_ARRAY, roger_schema_strings, 0, 0 },
	{ "inputs", ROGER_JSON_ARRAY, check_inputs, 0, 0 },
	{ "timeout", ROGER_JSON_INTEGER, NULL, 1, 86400 * 7 },
};

static int check_build(struct roger_schema *c, const json_t *v, unsigned flags)
{
	size_t mark;
	int rc;

	(void)flags;
	rc = roger_schema_object(c, v, build_keys, ROGER_ARRAY_SIZE(build_keys),
				 ROGER_SCHEMA_NO_SECRETS);
	if (rc < 0 || !json_object_get(v, "cache") ||
	    json_object_get(v, "command"))
		return rc;
	mark = roger_schema_push_key(c, "cache");
	rc = roger_schema_fail(
		c,
		"caches what build.command makes, and there is no build.command");
	roger_schema_pop(c, mark);
	return rc;
}

static int check_overlay(struct roger_schema *c, const json_t *v,
			 unsigned flags)
{
	(void)flags;
	return roger_schema_marathon(c, v, true);
}

static int check_target_name(struct roger_schema *c, const json_t *v,
			     unsigned flags)
{
	(void)flags;
	if (roger_schema_simple_name(json_string_value(v)))
		return 0;
	return roger_schema_fail(
		c,
		"invalid target name '%s': use letters, digits, '-', '_' and '.'",
		json_string_value(v));
}

/* ---- image ------------------------------------------------------------- */

/* A string of the image section: no {{ }} (an image is built once). */
static int image_literal(struct roger_schema *c, const char *s)
{
	if (roger_spec_has_var(s))
		return roger_schema_fail(
			c,
			"{{ }} variables are not expanded in 'image': the image is built once, from the commit, for every environment");
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return roger_schema_fail(
				c, "a control character in '%s'", s);
	return 0;
}

static int check_image_base(struct roger_schema *c, const json_t *v,
			    unsigned flags)
{
	struct roger_image_ref ref = { 0 };
	struct roger_err perr = ROGER_ERR_INIT;
	const char *s = json_string_value(v);
	int rc;

	(void)flags;
	if ((rc = image_literal(c, s)) < 0)
		return rc;
	rc = roger_image_ref_parse(&ref, s, &perr);
	roger_image_ref_release(&ref);
	if (rc == ROGER_ENOMEM)
		return roger_err_set(c->err, rc, "out of memory");
	if (rc < 0)
		return roger_schema_fail(c, "%s", perr.msg);
	return 0;
}

/* An absolute directory below '/', clean: no "//", ".", ".." or final '/'. */
static int check_image_workdir(struct roger_schema *c, const json_t *v,
			       unsigned flags)
{
	const char *s = json_string_value(v);
	int rc;

	(void)flags;
	if ((rc = image_literal(c, s)) < 0)
		return rc;
	if (roger_path_clean_abs(s))
		return 0;
	return roger_schema_fail(
		c,
		"invalid directory '%s': expected an absolute path below '/' without '.', '..', '//' or a final '/', such as \"/app\"",
		s);
}

static int check_image_user(struct roger_schema *c, const json_t *v,
			    unsigned flags)
{
	const char *s = json_string_value(v);
	int rc;

	(void)flags;
	if ((rc = image_literal(c, s)) < 0)
		return rc;
	if (!*s || strpbrk(s, " \t"))
		return roger_schema_fail(
			c,
			"invalid user '%s': expected a name or number, optionally ':' and a group (\"1000\", \"app:app\")",
			s);
	return 0;
}

/* One variable of image.env: baked into the image, so never a secret. */
static int check_image_var(struct roger_schema *c, const char *name,
			   const json_t *v)
{
	const char *s = json_string_value(v);
	int rc;

	if (!*name || strchr(name, '='))
		return roger_schema_fail(
			c,
			"invalid variable name '%s': it must not be empty or hold '='",
			name);
	if (!strcmp(name, "ROGER_COMMIT"))
		return roger_schema_fail(
			c,
			"roger sets this variable to the commit in every image; use another name");
	if ((rc = roger_schema_expect(c, v, ROGER_JSON_STRING)) < 0 ||
	    (rc = image_literal(c, s)) < 0)
		return rc;
	if (roger_secret_url_has_password(s) ||
	    (roger_config_name_is_secret(name, false) &&
	     !roger_secret_value_harmless(s)))
		return roger_schema_fail(
			c,
			"this looks like a secret, and anyone who can pull the image reads its environment; set it in marathon.env with a Marathon secret {\"secret\": \"NAME\"} or a {{ variable }}");
	return 0;
}

static int check_image_env(struct roger_schema *c, const json_t *v,
			   unsigned flags)
{
	(void)flags;
	return check_members(c, v, check_image_var);
}

static int check_image_runtime(struct roger_schema *c, const json_t *v,
			       unsigned flags)
{
	const char *s = json_string_value(v);

	(void)flags;
	if (!strcmp(s, "DOCKER") || !strcmp(s, "MESOS"))
		return 0;
	if (!strcasecmp(s, "docker") || !strcasecmp(s, "mesos") ||
	    !strcasecmp(s, "ucr"))
		return roger_schema_fail(
			c, "unknown runtime '%s', did you mean '%s'?", s,
			!strcasecmp(s, "docker") ? "DOCKER" : "MESOS");
	return roger_schema_fail(
		c,
		"unknown runtime '%s': expected \"DOCKER\" (Mesos' Docker containerizer) or \"MESOS\" (the Mesos containerizer)",
		s);
}

/* One part of a platform: lower-case letters and digits. */
static bool platform_word(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static int check_image_platform(struct roger_schema *c, const json_t *v,
				unsigned flags)
{
	const char *s = json_string_value(v), *p = s;
	size_t parts = 0;

	(void)flags;
	for (;;) {
		size_t n = strcspn(p, "/");

		if (!platform_word(p, n) || ++parts > 3)
			break;
		p += n;
		if (!*p)
			return parts >= 2
				       ? 0
				       : roger_schema_fail(
						 c,
						 "invalid platform '%s': expected OS/ARCH or OS/ARCH/VARIANT, such as \"linux/amd64\" or \"linux/arm64/v8\"",
						 s);
		p++;
	}
	return roger_schema_fail(
		c,
		"invalid platform '%s': expected OS/ARCH or OS/ARCH/VARIANT, such as \"linux/amd64\" or \"linux/arm64/v8\"",
		s);
}

static int check_image_argv(struct roger_schema *c, const json_t *v,
			    unsigned flags)
{
	(void)flags;
	return each_string(c, v, false, image_literal);
}

static const struct roger_schema_key image_keys[] = {
	{ "base", ROGER_JSON_STRING, check_image_base, 0, 0 },
	{ "cmd", ROGER_JSON_ARRAY, check_image_argv, 0, 0 },
	{ "entrypoint", ROGER_JSON_ARRAY, check_image_argv, 0, 0 },
	{ "env", ROGER_JSON_OBJECT, check_image_env, 0, 0 },
	{ "platform", ROGER_JSON_STRING, check_image_platform, 0, 0 },
	{ "runtime", ROGER_JSON_STRING, check_image_runtime, 0, 0 },
	{ "user", ROGER_JSON_STRING, check_image_user, 0, 0 },
	{ "workdir", ROGER_JSON_STRING, check_image_workdir, 0, 0 },
};

/*
 * The image section; and, since roger renders the container of an image
 * app itself, a `marathon.container` that names an image or a type of its
 * own is refused next to it (the base's and each environment's).
 */
static int check_image(struct roger_schema *c, const json_t *v, unsigned flags)
{
	int rc;

	(void)flags;
	rc = roger_schema_object(c, v, image_keys, ROGER_ARRAY_SIZE(image_keys),
				 ROGER_SCHEMA_NO_SECRETS);
	if (rc == 0 && !json_object_get(v, "base"))
		rc = roger_schema_fail(
			c,
			"missing 'base': the image to build on, such as \"debian:bookworm-slim\"");
	return rc;
}

/* With `image`, a container fragment must leave the image and type to roger. */
static int check_container_for_image(struct roger_schema *c,
				     const json_t *marathon)
{
	json_t *container = json_object_get(marathon, "container");
	json_t *docker = json_object_get(container, "docker");
	const char *what = NULL;
	size_t mark;
	int rc;

	if (!json_is_object(container))
		return 0;
	if (json_object_get(docker, "image") &&
	    !json_is_null(json_object_get(docker, "image")))
		what = "docker.image";
	else if (json_object_get(container, "type") &&
		 !json_is_null(json_object_get(container, "type")))
		what = "type";
	if (!what)
		return 0;
	mark = roger_schema_push_key(c, "marathon");
	roger_schema_push_key(c, "container");
	if (!strcmp(what, "docker.image"))
		roger_schema_push_key(c, "docker");
	roger_schema_push_key(c, strcmp(what, "type") ? "image" : "type");
	rc = roger_schema_fail(
		c,
		!strcmp(what, "type")
			? "roger sets the container type of an app with an 'image' section; choose it with image.runtime"
			: "roger sets the image of an app with an 'image' section; remove one of the two (an image built elsewhere needs no 'image' section)");
	roger_schema_pop(c, mark);
	return rc;
}

/* expose.vhost: a host name, or a list of them (HAPROXY_0_VHOST). */
static int check_vhost_name(struct roger_schema *c, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return roger_schema_fail(c, "'%s' is not a host name", s);
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '.' || (s[i] == '*' && i == 0)))
			return roger_schema_fail(
				c,
				"'%s' is not a host name (letters, digits, '-' and '.')",
				s);
	return 0;
}

static int check_vhost(struct roger_schema *c, const json_t *v, unsigned flags)
{
	(void)flags;
	if (json_is_null(v))
		return 0;
	if (json_is_string(v))
		return check_vhost_name(c, json_string_value(v));
	return each_string(c, v, true, check_vhost_name);
}

static int check_expose_mode(struct roger_schema *c, const json_t *v,
			     unsigned flags)
{
	const char *s = json_string_value(v);

	(void)flags;
	if (!s)
		return 0;
	if (strcmp(s, "http") && strcmp(s, "tcp"))
		return roger_schema_fail(
			c, "'%s' is not a mode: use \"http\" or \"tcp\"", s);
	return 0;
}

static const struct roger_schema_key expose_keys[] = {
	/* null: an environment drops the base's value */
	{ "https_redirect", ROGER_JSON_BOOL | ROGER_JSON_NULL, NULL, 0, 0 },
	{ "mode", ROGER_JSON_STRING | ROGER_JSON_NULL, check_expose_mode, 0,
	  0 },
	{ "service_port", ROGER_JSON_INTEGER | ROGER_JSON_NULL, NULL, 1,
	  65535 },
	{ "vhost", ROGER_JSON_STRING | ROGER_JSON_ARRAY | ROGER_JSON_NULL,
	  check_vhost, 0, 0 },
};

static int check_expose(struct roger_schema *c, const json_t *v, unsigned flags)
{
	/* https_redirect without a vhost is refused when rendering, once
	 * an environment's expose is merged over the base's */
	return roger_schema_object(c, v, expose_keys,
				   ROGER_ARRAY_SIZE(expose_keys), flags);
}

static const struct roger_schema_key environment_keys[] = {
	{ "app", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "expose", ROGER_JSON_OBJECT, check_expose, 0, 0 },
	{ "group", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "marathon", ROGER_JSON_OBJECT, check_overlay, 0, 0 },
	{ "target", ROGER_JSON_STRING, check_target_name, 0, 0 },
	{ "vars", ROGER_JSON_OBJECT, check_vars, 0, 0 },
};

static int check_environment(struct roger_schema *c, const char *name,
			     const json_t *v)
{
	(void)name;
	return roger_schema_object(c, v, environment_keys,
				   ROGER_ARRAY_SIZE(environment_keys),
				   ROGER_SCHEMA_NO_SECRETS);
}

static int check_environments(struct roger_schema *c, const json_t *v,
			      unsigned flags)
{
	(void)flags;
	return roger_schema_names(c, v, "environment", check_environment);
}

static int check_base(struct roger_schema *c, const json_t *v, unsigned flags)
{
	(void)flags;
	return roger_schema_marathon(c, v, false);
}

static int check_version(struct roger_schema *c, const json_t *v,
			 unsigned flags)
{
	(void)flags;
	if (json_integer_value(v) == 1)
		return 0;
	return roger_schema_fail(
		c, "unsupported version %lld: this roger reads version 1",
		(long long)json_integer_value(v));
}

static int check_command(struct roger_schema *c, const json_t *v,
			 unsigned flags)
{
	(void)flags;
	if (!*json_string_value(v))
		return roger_schema_fail(c, "empty command");
	return 0;
}

static int check_cron(struct roger_schema *c, const json_t *v, unsigned flags)
{
	struct roger_err why = ROGER_ERR_INIT;
	struct roger_cron cron;

	(void)flags;
	if (roger_cron_parse(&cron, json_string_value(v), &why) < 0)
		return roger_schema_fail(c, "invalid cron expression '%s': %s",
					 json_string_value(v), why.msg);
	return 0;
}

static int check_timezone(struct roger_schema *c, const json_t *v,
			  unsigned flags)
{
	(void)flags;
	if (!roger_tz_name_valid(json_string_value(v)))
		return roger_schema_fail(
			c,
			"invalid time zone '%s': expected an IANA zone such as Europe/Berlin or UTC",
			json_string_value(v));
	return 0;
}

static int check_policy(struct roger_schema *c, const json_t *v, unsigned flags)
{
	(void)flags;
	if (strcmp(json_string_value(v), "ALLOW") &&
	    strcmp(json_string_value(v), "FORBID"))
		return roger_schema_fail(
			c, "expected \"ALLOW\" or \"FORBID\", got '%s'",
			json_string_value(v));
	return 0;
}

static const struct roger_schema_key job_keys[] = {
	{ "cmd", ROGER_JSON_STRING, check_command, 0, 0 },
	{ "concurrencyPolicy", ROGER_JSON_STRING, check_policy, 0, 0 },
	{ "cpus", ROGER_JSON_NUMBER, NULL, 0.01, 1e6 },
	{ "description", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "disk", ROGER_JSON_NUMBER, NULL, 0, 1e9 },
	{ "enabled", ROGER_JSON_BOOL, NULL, 0, 0 },
	{ "env", ROGER_JSON_OBJECT, roger_schema_env, 0, 0 },
	{ "mem", ROGER_JSON_NUMBER, NULL, 32, 1e9 },
	{ "schedule", ROGER_JSON_STRING, check_cron, 0, 0 },
	{ "startingDeadlineSeconds", ROGER_JSON_INTEGER, NULL, 60, 1e9 },
	{ "timezone", ROGER_JSON_STRING, check_timezone, 0, 0 },
};

static int check_job(struct roger_schema *c, const char *name, const json_t *v)
{
	int rc;

	if (!roger_jobs_name_valid(name))
		return roger_schema_fail(
			c,
			"invalid job name '%s': use lower-case letters, digits and single '-' inside, and not 'release' or 'run', which roger keeps for itself",
			name);
	rc = roger_schema_object(c, v, job_keys, ROGER_ARRAY_SIZE(job_keys),
				 ROGER_SCHEMA_NO_SECRETS);
	if (rc < 0)
		return rc;
	if (!json_object_get(v, "cmd"))
		return roger_schema_fail(
			c, "missing 'cmd': the command the job runs");
	if (!json_object_get(v, "schedule")) {
		static const char *const needs[] = {
			"timezone", "concurrencyPolicy", "enabled",
			"startingDeadlineSeconds"
		};

		for (size_t i = 0; i < ROGER_ARRAY_SIZE(needs); i++)
			if (json_object_get(v, needs[i]))
				return roger_schema_fail(
					c, "'%s' needs a 'schedule'", needs[i]);
	}
	return 0;
}

static int check_jobs(struct roger_schema *c, const json_t *v, unsigned flags)
{
	const char *name;
	json_t *def;
	int rc;

	(void)flags;
	json_object_foreach((json_t *)v, name, def) {
		size_t mark = roger_schema_push_key(c, name);

		rc = roger_schema_expect(c, def, ROGER_JSON_OBJECT);
		if (rc == 0)
			rc = check_job(c, name, def);
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const struct roger_schema_key project_keys[] = {
	{ "app", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "build", ROGER_JSON_OBJECT, check_build, 0, 0 },
	{ "environments", ROGER_JSON_OBJECT, check_environments, 0, 0 },
	{ "expose", ROGER_JSON_OBJECT, check_expose, 0, 0 },
	{ "group", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "image", ROGER_JSON_OBJECT, check_image, 0, 0 },
	{ "jobs", ROGER_JSON_OBJECT, check_jobs, 0, 0 },
	{ "marathon", ROGER_JSON_OBJECT, check_base, 0, 0 },
	{ "release", ROGER_JSON_STRING, check_command, 0, 0 },
	{ "vars", ROGER_JSON_OBJECT, check_vars, 0, 0 },
	{ "version", ROGER_JSON_INTEGER, check_version, 0, 0 },
};

/* check_container_for_image() on the base and every environment. */
static int check_containers(struct roger_schema *c, const json_t *root)
{
	json_t *envs = json_object_get(root, "environments"), *e;
	const char *name;
	int rc =
		check_container_for_image(c, json_object_get(root, "marathon"));

	json_object_foreach(envs, name, e) {
		size_t mark;

		if (rc < 0)
			break;
		mark = roger_schema_push_key(c, "environments");
		roger_schema_push_key(c, name);
		rc = check_container_for_image(c,
					       json_object_get(e, "marathon"));
		roger_schema_pop(c, mark);
	}
	return rc;
}

static int check_project(struct roger_schema *c, const json_t *root)
{
	int rc;

	if (!json_is_object(root))
		return roger_schema_fail(
			c, "expected an object at the top, got %s",
			roger_spec_type_name(root));
	rc = roger_schema_object(c, root, project_keys,
				 ROGER_ARRAY_SIZE(project_keys),
				 ROGER_SCHEMA_NO_SECRETS);
	if (rc < 0)
		return rc;
	if (!json_object_get(root, "version"))
		return roger_schema_fail(
			c, "missing 'version': add \"version\": 1");
	if (!json_object_get(root, "app"))
		return roger_schema_fail(
			c,
			"missing 'app': add \"app\": \"NAME\", the name of the app in Marathon");
	if (json_object_get(root, "image"))
		return check_containers(c, root);
	return 0;
}

/* ---- loading and resolving ----------------------------------------------- */

static void project_image_free(struct roger_project_image *im)
{
	if (!im)
		return;
	free(im->os);
	free(im->arch);
	free(im->variant);
	for (size_t i = 0; im->env && im->env[i]; i++)
		free(im->env[i]);
	free(im->env);
	free(im->entrypoint);
	free(im->cmd);
	free(im);
}

/* A NULL-terminated copy of the array of strings `v` (strings borrowed). */
static int argv_of(const char ***out, const json_t *v)
{
	size_t n = json_array_size(v);

	*out = NULL;
	if (!v)
		return 0;
	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return ROGER_ENOMEM;
	for (size_t i = 0; i < n; i++)
		(*out)[i] = json_string_value(json_array_get(v, i));
	return 0;
}

/* p->image from the `image` section, which check_image() accepted. */
static int project_image(struct roger_project *p, const json_t *v)
{
	struct roger_project_image *im;
	const char *platform, *key;
	json_t *val;
	size_t n = 0;

	if (!v)
		return 0;
	im = p->image = calloc(1, sizeof(*im));
	if (!im)
		return ROGER_ENOMEM;
	im->base = json_string_value(json_object_get(v, "base"));
	im->workdir = json_string_value(json_object_get(v, "workdir"));
	im->user = json_string_value(json_object_get(v, "user"));
	im->runtime = json_string_value(json_object_get(v, "runtime"));
	if (!im->runtime)
		im->runtime = "DOCKER";
	platform = json_string_value(json_object_get(v, "platform"));
	if (platform) {
		size_t a = strcspn(platform, "/");
		const char *arch = platform + a + 1;
		size_t b = strcspn(arch, "/");

		im->os = strndup(platform, a);
		im->arch = strndup(arch, b);
		if (!im->os || !im->arch ||
		    (arch[b] && !(im->variant = strdup(arch + b + 1))))
			return ROGER_ENOMEM;
	}
	im->env = calloc(json_object_size(json_object_get(v, "env")) + 1,
			 sizeof(*im->env));
	if (!im->env)
		return ROGER_ENOMEM;
	json_object_foreach(json_object_get(v, "env"), key, val)
		if (asprintf(&im->env[n++], "%s=%s", key,
			     json_string_value(val)) < 0) {
			im->env[--n] = NULL;
			return ROGER_ENOMEM;
		}
	if (argv_of(&im->entrypoint, json_object_get(v, "entrypoint")) < 0 ||
	    argv_of(&im->cmd, json_object_get(v, "cmd")) < 0)
		return ROGER_ENOMEM;
	return 0;
}

void roger_project_free(struct roger_project *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->display);
	free(p->dir);
	free(p->workdir);
	free(p->subdir);
	free(p->id);
	json_decref(p->app_ids);
	free(p->build_exclude);
	project_image_free(p->image);
	free(p->build_inputs);
	json_decref(p->root);
	free(p);
}

/* Fill the fields borrowed from `p->root`, which check_project() accepted. */
static int project_fields(struct roger_project *p, struct roger_err *err)
{
	json_t *build = json_object_get(p->root, "build");
	json_t *exclude = json_object_get(build, "exclude");
	json_t *inputs = json_object_get(build, "inputs");
	json_t *v;
	size_t n = json_array_size(exclude);

	p->app = json_string_value(json_object_get(p->root, "app"));
	p->group = json_string_value(json_object_get(p->root, "group"));
	if (!p->group || !*p->group)
		p->group = "/";
	p->build_command = json_string_value(json_object_get(build, "command"));
	if (p->build_command && !*p->build_command)
		p->build_command = NULL;
	v = json_object_get(build, "timeout");
	p->build_timeout = v ? (int)json_integer_value(v) : ROGER_BUILD_TIMEOUT;
	p->build_exclude = calloc(n + 1, sizeof(*p->build_exclude));
	if (!p->build_exclude)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		p->build_exclude[i] =
			json_string_value(json_array_get(exclude, i));
	if (project_image(p, json_object_get(p->root, "image")) < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	p->build_inputs =
		calloc(json_array_size(inputs) + 1, sizeof(*p->build_inputs));
	if (!p->build_inputs)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (size_t i = 0; i < json_array_size(inputs); i++)
		p->build_inputs[i] =
			json_string_value(json_array_get(inputs, i));
	/* Absent sections become empty objects, so callers need no NULL checks.
	 */
	for (size_t i = 0; i < 3; i++) {
		static const char *const keys[] = { "marathon", "environments",
						    "vars" };
		json_t **slot[] = { &p->marathon, &p->environments, &p->vars };

		v = json_object_get(p->root, keys[i]);
		if (!v) {
			v = json_object();
			if (!v || json_object_set_new(p->root, keys[i], v) < 0)
				return roger_err_set(err, ROGER_ENOMEM,
						     "out of memory");
		}
		*slot[i] = v;
	}
	return 0;
}

/* The app name and group of environment `e` (NULL: the base). */
static void env_app(const struct roger_project *p, const json_t *e,
		    const char **app, const char **group)
{
	const char *g = json_string_value(json_object_get(e, "group"));

	*app = json_string_value(json_object_get(e, "app"));
	if (!*app)
		*app = json_string_value(json_object_get(p->root, "app"));
	if (!g)
		g = json_string_value(json_object_get(p->root, "group"));
	*group = g && *g ? g : "/";
}

/*
 * The app id of the base (under "") and of every environment, validated,
 * into p->app_ids; a bad one is refused naming where it comes from.
 */
static int app_ids(struct roger_project *p, const char *path,
		   struct roger_err *err)
{
	const char *name, *app, *group;
	json_t *e;
	char *id = NULL;
	int rc;

	p->app_ids = json_object();
	if (!p->app_ids)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	env_app(p, NULL, &app, &group);
	if ((rc = roger_spec_app_id(&id, group, app, err)) < 0) {
		roger_err_prefix(err, "%s", path);
		return rc;
	}
	if (json_object_set_new(p->app_ids, "", json_string(id)) < 0)
		goto nomem;
	free(id);
	id = NULL;
	json_object_foreach(p->environments, name, e) {
		if (!json_object_get(e, "app") && !json_object_get(e, "group"))
			continue;
		env_app(p, e, &app, &group);
		if ((rc = roger_spec_app_id(&id, group, app, err)) < 0) {
			roger_err_prefix(err, "%s: environments.%s", path,
					 name);
			return rc;
		}
		if (json_object_set_new(p->app_ids, name, json_string(id)) < 0)
			goto nomem;
		free(id);
		id = NULL;
	}
	return 0;
nomem:
	free(id);
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

int roger_project_parse(struct roger_project **out, const char *path,
			const char *text, size_t len, struct roger_err *err)
{
	return roger_project_parse_ext(out, path, text, len, 0, err);
}

int roger_project_parse_ext(struct roger_project **out, const char *path,
			    const char *text, size_t len, unsigned flags,
			    struct roger_err *err)
{
	struct roger_schema c = ROGER_SCHEMA_INIT(path, err);
	struct roger_project *p = NULL;
	int rc;

	c.lenient = flags & ROGER_PROJECT_NO_SCHEMA_CHECK;
	p = calloc(1, sizeof(*p));
	if (!p)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	p->root = roger_schema_parse_json(path, text, len, err);
	if (!p->root) {
		rc = ROGER_EINVALID;
		goto out;
	}
	if ((rc = check_project(&c, p->root)) < 0)
		goto out;
	if ((rc = project_fields(p, err)) < 0)
		goto out;
	if ((rc = app_ids(p, path, err)) < 0)
		goto out;
	p->id = strdup(json_string_value(json_object_get(p->app_ids, "")));
	if (!p->id) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	*out = p;
	p = NULL;
out:
	roger_schema_release(&c);
	roger_project_free(p);
	return rc;
}

/* "../../roger.json": `file_dir`'s roger.json seen from `start`, below it. */
static char *display_name(const char *start, const char *file_dir)
{
	struct roger_buf b = ROGER_BUF_INIT;
	size_t dl = strlen(file_dir);
	const char *rest = start + dl;

	if (dl == 1) /* the file system root */
		rest = start;
	for (const char *p = rest; *p; p++)
		if (*p == '/' && roger_buf_adds(&b, "../") < 0)
			goto fail;
	if (roger_buf_adds(&b, "roger.json") < 0)
		goto fail;
	return roger_buf_detach(&b, NULL);
fail:
	roger_buf_release(&b);
	return NULL;
}

/* Whether `dir` is `root` or below it. */
static bool path_within(const char *dir, const char *root)
{
	size_t n = strlen(root);

	if (n == 1 && root[0] == '/')
		return true;
	return !strncmp(dir, root, n) && (dir[n] == '/' || dir[n] == '\0');
}

/* Cut the last component of the absolute path `dir` in place. */
static void path_parent(char *dir)
{
	char *slash = strrchr(dir, '/');

	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
}

/*
 * The directory holding roger.json, from `start` up to `root`, in *out (a
 * new string); ROGER_ENOTFOUND when there is none.
 */
static int find_project_dir(char **out, const char *start, const char *root,
			    struct roger_err *err)
{
	char *dir = strdup(start), *file;
	bool found;

	if (!dir)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (;;) {
		file = roger_path_join(dir, "roger.json");
		if (!file) {
			free(dir);
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		}
		found = roger_fs_exists(file);
		free(file);
		if (found) {
			*out = dir;
			return 0;
		}
		if (!strcmp(dir, root) || !path_within(dir, root) ||
		    !strcmp(dir, "/"))
			break;
		path_parent(dir);
	}
	free(dir);
	if (!strcmp(start, root))
		return roger_err_set(
			err, ROGER_ENOTFOUND,
			"no roger.json in '%s'; run 'roger init' to create one",
			start);
	return roger_err_set(
		err, ROGER_ENOTFOUND,
		"no roger.json in '%s' or above it up to the work tree root '%s'; run 'roger init' to create one",
		start, root);
}

int roger_project_locate(char **dir_out, char **workdir_out,
			 const char *start_dir, struct roger_err *err)
{
	struct roger_repo *repo = NULL;
	char *dir = NULL, *root = NULL;
	int rc = 0;

	if (!start_dir)
		start_dir = ".";
	dir = realpath(start_dir, NULL);
	if (!dir || !roger_fs_is_dir(dir)) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "cannot use directory '%s': %s", start_dir,
				   dir ? "not a directory" : strerror(errno));
		goto out;
	}
	if (roger_repo_quick_root(&root, dir)) {
		char *real = realpath(root, NULL);

		if (real) {
			free(root);
			root = real;
		}
		goto found;
	}
	rc = roger_repo_discover(&repo, dir, err);
	if (rc == ROGER_ENOTFOUND) {
		rc = roger_err_set(
			err, ROGER_ENOTFOUND,
			"'%s' is not inside a git work tree; run 'git init' first, roger deploys commits",
			dir);
		goto out;
	}
	if (rc < 0)
		goto out;
	root = realpath(roger_repo_workdir(repo), NULL);
	if (!root)
		root = strdup(roger_repo_workdir(repo));
	if (!root) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
found:
	*dir_out = dir;
	*workdir_out = root;
	dir = root = NULL;
out:
	roger_repo_free(repo);
	free(dir);
	free(root);
	return rc;
}

int roger_project_load(struct roger_project **out, struct roger_ctx *ctx,
		       const char *start_dir, struct roger_err *err)
{
	struct roger_buf text = ROGER_BUF_INIT;
	struct roger_project *p = NULL;
	char *start = NULL, *root = NULL, *dir = NULL, *file = NULL;
	char *display = NULL;
	int rc;

	if ((rc = roger_project_locate(&start, &root, start_dir, err)) < 0)
		goto out;
	if ((rc = find_project_dir(&dir, start, root, err)) < 0)
		goto out;
	file = roger_path_join(dir, "roger.json");
	display = display_name(start, dir);
	if (!file || !display) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	roger_debug(ctx, "reading '%s'", file);
	rc = roger_fs_read_file(&text, file, err);
	if (rc < 0) {
		rc = roger_schema_as_invalid(err, rc);
		goto out;
	}
	rc = roger_project_parse_ext(
		&p, display, text.buf, text.len,
		roger_ctx_schema_check(ctx) ? 0 : ROGER_PROJECT_NO_SCHEMA_CHECK,
		err);
	if (rc < 0)
		goto out;
	p->subdir = strdup(path_within(dir, root) && strcmp(dir, root)
				   ? dir + strlen(root) +
					     (strcmp(root, "/") ? 1 : 0)
				   : "");
	p->path = file;
	p->display = display;
	p->dir = dir;
	p->workdir = root;
	file = display = dir = root = NULL;
	if (!p->subdir) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	*out = p;
	p = NULL;
out:
	roger_project_free(p);
	roger_buf_release(&text);
	free(start);
	free(root);
	free(dir);
	free(file);
	free(display);
	return rc;
}

int roger_project_env_names(const struct roger_project *p, const char ***out,
			    size_t *n)
{
	size_t count = json_object_size(p->environments), i = 0;
	const char **names = calloc(count + 1, sizeof(*names));
	const char *key;
	json_t *v;

	if (!names)
		return ROGER_ENOMEM;
	json_object_foreach(p->environments, key, v)
		names[i++] = key;
	*out = names;
	*n = count;
	return 0;
}

int roger_project_check_env(const struct roger_project *p, const char *env,
			    struct roger_err *err)
{
	const char **names = NULL;
	const char *best;
	size_t n = 0;
	int rc;

	if (!env || json_object_get(p->environments, env))
		return 0;
	if (roger_project_env_names(p, &names, &n) < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	best = roger_suggest(env, names, n);
	if (best)
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"unknown environment '%s' in %s, did you mean '%s'?",
			env, p->display ? p->display : "roger.json", best);
	else if (n == 0)
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"unknown environment '%s': %s defines no environments",
			env, p->display ? p->display : "roger.json");
	else
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"unknown environment '%s' in %s (it defines: %s%s)",
			env, p->display ? p->display : "roger.json", names[0],
			n > 1 ? ", ..." : "");
	free(names);
	return rc;
}

int roger_project_environment(const struct roger_project *p, const char *env,
			      json_t **marathon_out, const char **target_out,
			      struct roger_err *err)
{
	json_t *e, *merged = NULL;
	int rc;

	if ((rc = roger_project_check_env(p, env, err)) < 0)
		return rc;
	e = env ? json_object_get(p->environments, env) : NULL;
	if (marathon_out) {
		rc = roger_spec_merge(&merged, p->marathon,
				      json_object_get(e, "marathon"), err);
		if (rc < 0)
			return rc;
		*marathon_out = merged;
	}
	if (target_out)
		*target_out = json_string_value(json_object_get(e, "target"));
	return 0;
}

int roger_project_app(struct roger_project_app *out,
		      const struct roger_project *p, const char *env,
		      struct roger_err *err)
{
	json_t *e, *id;
	int rc;

	if ((rc = roger_project_check_env(p, env, err)) < 0)
		return rc;
	e = env ? json_object_get(p->environments, env) : NULL;
	id = env ? json_object_get(p->app_ids, env) : NULL;
	if (!id)
		id = json_object_get(p->app_ids, "");
	env_app(p, e, &out->app, &out->group);
	out->id = json_string_value(id);
	return 0;
}

int roger_project_select_env(struct roger_project *p, const char *env,
			     struct roger_err *err)
{
	struct roger_project_app a;
	char *id;
	int rc;

	if ((rc = roger_project_app(&a, p, env, err)) < 0)
		return rc;
	id = strdup(a.id);
	if (!id)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	free(p->id);
	p->id = id;
	p->app = a.app;
	p->group = a.group;
	return 0;
}

static bool vars_have(const struct roger_var *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return true;
	return false;
}

int roger_project_vars(struct roger_var **out, size_t *n, struct roger_ctx *ctx,
		       const struct roger_project *p, const char *env,
		       const struct roger_var *builtins, size_t n_builtins,
		       const struct roger_var *cli_vars, size_t n_cli_vars,
		       struct roger_err *err)
{
	json_t *env_vars, *val;
	struct roger_var *vars = NULL;
	char **refs = NULL, *names;
	size_t n_refs = 0, max, bytes = 0, count = 0;
	const char *key;
	int rc;

	for (size_t i = 0; i < n_cli_vars; i++) {
		if (!roger_spec_var_name_valid(cli_vars[i].name))
			return roger_err_set(
				err, ROGER_EUSAGE,
				"invalid --var name '%s': use letters, digits and '_', not starting with a digit",
				cli_vars[i].name);
		if (roger_spec_var_is_builtin(cli_vars[i].name))
			return roger_err_set(
				err, ROGER_EUSAGE,
				"invalid --var '%s': it is a built-in variable and cannot be set",
				cli_vars[i].name);
	}
	if ((rc = roger_project_check_env(p, env, err)) < 0)
		return rc;
	env_vars = env ? json_object_get(json_object_get(p->environments, env),
					 "vars")
		       : NULL;
	if ((rc = roger_spec_var_names(&refs, &n_refs, p->root, err)) < 0)
		return rc;
	for (size_t i = 0; i < n_refs; i++)
		bytes += strlen(refs[i]) + 1;
	max = n_builtins + n_cli_vars + n_refs + json_object_size(env_vars) +
	      json_object_size(p->vars);
	/* One block: the entries, then the names of ROGER_VAR_ entries. */
	vars = malloc(max * sizeof(*vars) + bytes + 1);
	if (!vars) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	names = (char *)(vars + max);
	for (size_t i = 0; i < n_builtins; i++)
		vars[count++] = builtins[i];
	for (size_t i = n_cli_vars; i-- > 0;)
		vars[count++] = cli_vars[i];
	for (size_t i = 0; i < n_refs; i++) {
		char var[256];
		const char *value;

		if (vars_have(vars, count, refs[i]) ||
		    roger_spec_var_is_builtin(refs[i]) ||
		    strlen(refs[i]) > sizeof(var) - sizeof("ROGER_VAR_"))
			continue;
		snprintf(var, sizeof(var), "ROGER_VAR_%s", refs[i]);
		value = roger_ctx_getenv(ctx, var);
		if (!value)
			continue;
		strcpy(names, refs[i]);
		vars[count].name = names;
		vars[count++].value = value;
		names += strlen(names) + 1;
	}
	json_object_foreach(env_vars, key, val) {
		vars[count].name = key;
		vars[count++].value = json_string_value(val);
	}
	json_object_foreach(p->vars, key, val) {
		vars[count].name = key;
		vars[count++].value = json_string_value(val);
	}
	*out = vars;
	*n = count;
	vars = NULL;
	rc = 0;
out:
	for (size_t i = 0; i < n_refs; i++)
		free(refs[i]);
	free(refs);
	free(vars);
	return rc;
}

int roger_project_load_commit(struct roger_project **out,
			      const struct roger_project *wt,
			      struct roger_repo *repo, const char *commit,
			      struct roger_err *err)
{
	struct roger_buf text = ROGER_BUF_INIT, name = ROGER_BUF_INIT;
	struct roger_project *p = NULL;
	char *in_repo;
	int rc;

	in_repo = *wt->subdir ? roger_path_join(wt->subdir, "roger.json")
			      : strdup("roger.json");
	if (!in_repo ||
	    roger_buf_addf(&name, "%.12s:%s", commit, in_repo) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	rc = roger_repo_read_file(&text, repo, commit, in_repo, err);
	if (rc == ROGER_ENOTFOUND) {
		rc = roger_err_set(
			err, ROGER_ENOTFOUND,
			"commit %.12s has no '%s': it is older than the project's roger.json, or from another project",
			commit, in_repo);
		goto out;
	}
	if (rc < 0 || (rc = roger_project_parse(&p, name.buf, text.buf,
						text.len, err)) < 0)
		goto out;
	p->path = strdup(wt->path);
	p->display = roger_buf_detach(&name, NULL);
	p->dir = strdup(wt->dir);
	p->workdir = strdup(wt->workdir);
	p->subdir = strdup(wt->subdir);
	if (!p->path || !p->display || !p->dir || !p->workdir || !p->subdir) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	*out = p;
	p = NULL;
out:
	roger_project_free(p);
	roger_buf_release(&text);
	roger_buf_release(&name);
	free(in_repo);
	return rc;
}
