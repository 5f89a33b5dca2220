/*
 * config.c - roger.json, the user configuration and the environment,
 * resolved into a project, its environments and a target.
 *
 * Design: parsing is jansson with JSON_REJECT_DUPLICATES, whose line and
 * column go straight into "file:line:column: message".  Validation is a
 * walk over the document with a `struct check` that carries the file name
 * and the JSON path of the value under examination, so that every message
 * names where the problem is ("roger.json: environments.prod.marathon.
 * instances: expected an integer, got a string").  Keys are checked in
 * document order against small tables of the keys roger owns; an unknown
 * one gets a "did you mean" from roger_suggest().  Inside `marathon` (a
 * Marathon app fragment) unknown keys pass through, since Marathon owns
 * them, but the fields roger knows are type-checked, and `id` and `version`
 * are refused because roger sets the first and the second means a rollback.
 *
 * Secrets never belong in roger.json, which is committed with the code.
 * The rule, also in roger(1): at the levels roger owns, a key whose words
 * include password, passwd, passphrase, pass, secret, token, credential(s),
 * auth or an api/private/access "key" is refused with a pointer to the user
 * config and the ROGER_* variables; a variable in `vars` with such a name
 * is refused too; and in `marathon.env` (base and environments) a variable
 * with such a name (except "auth", common in harmless names) must hold a
 * Marathon secret reference {"secret": ...}, a value built from a
 * {{ variable }}, or an obviously harmless value (empty, a number, a
 * boolean word); any env value that is a URL with a password is refused.
 *
 * The user config is validated completely when loaded; resolving a target
 * then only chooses a name, copies settings, applies the environment
 * variables and reads secrets (token files must not be accessible by group
 * or others).  Secrets are wiped from memory when a target is freed.
 */
#include <config.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "buildcache.h"
#include "config.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "local/local.h"
#include "repo.h"
#include "spec.h"
#include "str.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define USER_CONFIG_HINT "the user config (~/.config/roger/config.json)"

/* ---- validation machinery ------------------------------------------------ */

struct check {
	const char *file;      /* for messages */
	struct roger_buf path; /* JSON path of the value being checked */
	bool oom;              /* the path could not grow */
	struct roger_err *err;
};

enum json_types {
	T_OBJECT = 1 << 0,
	T_ARRAY = 1 << 1,
	T_STRING = 1 << 2,
	T_INTEGER = 1 << 3,
	T_REAL = 1 << 4,
	T_BOOL = 1 << 5,
	T_NULL = 1 << 6,
	T_NUMBER = T_INTEGER | T_REAL,
};

static int check_fail(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int check_fail(struct check *c, const char *fmt, ...)
{
	char msg[ROGER_ERR_MSG_MAX];
	va_list ap;

	if (c->oom)
		return roger_err_set(c->err, ROGER_ENOMEM, "out of memory");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return roger_err_set(c->err, ROGER_EINVALID, "%s: %s%s%s", c->file,
			     c->path.buf, c->path.len ? ": " : "", msg);
}

/* Descend into `key`; returns the mark to give back to pop(). */
static size_t push_key(struct check *c, const char *key)
{
	size_t mark = c->path.len;

	if (roger_spec_path_key(&c->path, key) < 0)
		c->oom = true;
	return mark;
}

static size_t push_index(struct check *c, size_t i)
{
	size_t mark = c->path.len;

	if (roger_spec_path_index(&c->path, i) < 0)
		c->oom = true;
	return mark;
}

static void pop(struct check *c, size_t mark)
{
	roger_buf_truncate(&c->path, mark);
}

static unsigned type_bit(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return T_OBJECT;
	case JSON_ARRAY:
		return T_ARRAY;
	case JSON_STRING:
		return T_STRING;
	case JSON_INTEGER:
		return T_INTEGER;
	case JSON_REAL:
		return T_REAL;
	case JSON_TRUE:
	case JSON_FALSE:
		return T_BOOL;
	case JSON_NULL:
		return T_NULL;
	}
	return 0;
}

static const char *wanted(unsigned mask, char *buf, size_t size)
{
	static const struct {
		unsigned bits;
		const char *name;
	} names[] = {
		{ T_OBJECT, "an object" }, { T_ARRAY, "an array" },
		{ T_STRING, "a string" },  { T_NUMBER, "a number" },
		{ T_INTEGER, "an integer" }, { T_BOOL, "a boolean" },
		{ T_NULL, "null" },
	};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if ((mask & names[i].bits) != names[i].bits)
			continue;
		mask &= ~names[i].bits;
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					len ? " or " : "", names[i].name);
		if (len >= size)
			break;
	}
	return buf;
}

/* The value at the current path has one of the types in `mask`. */
static int expect(struct check *c, const json_t *v, unsigned mask)
{
	char want[96];

	if (type_bit(v) & mask)
		return 0;
	return check_fail(c, "expected %s, got %s",
			  wanted(mask, want, sizeof(want)),
			  roger_spec_type_name(v));
}

/* Like expect(), for the member `key` of an object. */
static int expect_member(struct check *c, const char *key, const json_t *v,
			 unsigned mask)
{
	size_t mark = push_key(c, key);
	int rc = expect(c, v, mask);

	pop(c, mark);
	return rc;
}

/* A number (integer when `integer`) in [min, max]. */
static int expect_range(struct check *c, const json_t *v, bool integer,
			double min, double max)
{
	double d;
	int rc = expect(c, v, integer ? T_INTEGER : T_NUMBER);

	if (rc < 0)
		return rc;
	d = json_number_value(v);
	if (d < min)
		return check_fail(c, "expected %s >= %g, got %g",
				  integer ? "an integer" : "a number", min, d);
	if (d > max)
		return check_fail(c, "expected %s <= %g, got %g",
				  integer ? "an integer" : "a number", max, d);
	return 0;
}

static int expect_string_array(struct check *c, const json_t *v,
			       bool non_empty)
{
	json_t *item;
	size_t i;
	int rc = expect(c, v, T_ARRAY);

	if (rc < 0)
		return rc;
	if (non_empty && json_array_size(v) == 0)
		return check_fail(c, "expected at least one element");
	json_array_foreach(v, i, item) {
		size_t mark = push_index(c, i);

		rc = expect(c, item, T_STRING);
		pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int unknown_key(struct check *c, const char *key,
		       const char *const *known, size_t n)
{
	const char *best = roger_suggest(key, known, n);

	if (best)
		return check_fail(c, "unknown key '%s', did you mean '%s'?",
				  key, best);
	return check_fail(c, "unknown key '%s'", key);
}

/* ---- secrets -------------------------------------------------------------- */

static bool word_is(const char *w, size_t len, const char *upper)
{
	if (strlen(upper) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = w[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != upper[i])
			return false;
	}
	return true;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

bool roger_config_name_is_secret(const char *name, bool strict)
{
	static const char *const secret_words[] = {
		"PASSWORD", "PASSWORDS", "PASSWD", "PASSPHRASE", "PASS",
		"SECRET", "SECRETS", "TOKEN", "TOKENS", "CREDENTIAL",
		"CREDENTIALS", "APIKEY",
	};
	static const char *const strict_words[] = {
		"AUTH", "AUTHORIZATION",
	};
	static const char *const key_owners[] = {
		"API", "PRIVATE", "ACCESS",
	};
	const char *prev = NULL;
	size_t prev_len = 0;
	const char *p = name;

	/* Words: runs of letters and digits, also split at camelCase humps. */
	while (*p) {
		const char *w;
		size_t len;

		while (*p && !is_alnum(*p))
			p++;
		if (!*p)
			break;
		w = p++;
		while (is_alnum(*p) && !(is_upper(*p) && !is_upper(p[-1])))
			p++;
		len = (size_t)(p - w);
		for (size_t i = 0; i < ARRAY_SIZE(secret_words); i++)
			if (word_is(w, len, secret_words[i]))
				return true;
		for (size_t i = 0; strict && i < ARRAY_SIZE(strict_words); i++)
			if (word_is(w, len, strict_words[i]))
				return true;
		if (prev && word_is(w, len, "KEY"))
			for (size_t i = 0; i < ARRAY_SIZE(key_owners); i++)
				if (word_is(prev, prev_len, key_owners[i]))
					return true;
		prev = w;
		prev_len = len;
	}
	return false;
}

/* Values that cannot be a secret however their variable is named. */
static bool harmless_value(const char *s)
{
	static const char *const words[] = {
		"true", "false", "yes", "no", "on", "off",
	};
	const char *p = s;

	if (!*s)
		return true;
	while (*p >= '0' && *p <= '9')
		p++;
	if (!*p)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcasecmp(s, words[i]))
			return true;
	return false;
}

/* Whether `s` holds "scheme://user:password@" with a literal password. */
static bool url_with_password(const char *s)
{
	const char *p = strstr(s, "://"), *end, *colon;

	if (!p)
		return false;
	p += 3;
	end = p + strcspn(p, "/?#@");
	if (*end != '@')
		return false;
	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || colon + 1 == end)
		return false;
	return !roger_spec_has_var(colon + 1);
}

static int secret_key_fail(struct check *c, const char *key)
{
	size_t mark = push_key(c, key);
	int rc = check_fail(c, "this looks like a credential, and roger.json is committed with the code; put credentials in " USER_CONFIG_HINT " or in ROGER_TOKEN, or ROGER_USER and ROGER_PASSWORD");

	pop(c, mark);
	return rc;
}

/* ---- marathon fragments --------------------------------------------------- */

struct field {
	const char *name;
	unsigned types;
	int (*check)(struct check *c, const json_t *v, bool overlay);
};

static int check_env_value(struct check *c, const char *name, const json_t *v)
{
	const char *s;
	json_t *ref;

	if (json_is_object(v)) {
		ref = json_object_get(v, "secret");
		if (!ref || json_object_size(v) != 1)
			return check_fail(c, "expected a string or a secret reference {\"secret\": \"NAME\"}");
		return expect_member(c, "secret", ref, T_STRING);
	}
	if (!json_is_string(v))
		return check_fail(c, "expected a string or a secret reference {\"secret\": \"NAME\"}, got %s",
				  roger_spec_type_name(v));
	s = json_string_value(v);
	if (roger_spec_has_var(s))
		return 0;
	if (url_with_password(s))
		return check_fail(c, "the URL holds a password, and roger.json is committed with the code; write the password as a {{ variable }} set with --var or ROGER_VAR_<name>, or use a Marathon secret {\"secret\": \"NAME\"}");
	if (roger_config_name_is_secret(name, false) && !harmless_value(s))
		return check_fail(c, "this looks like a secret, and roger.json is committed with the code; use a Marathon secret {\"secret\": \"NAME\"} or a {{ variable }} set with --var or ROGER_VAR_<name>");
	return 0;
}

static int check_env(struct check *c, const json_t *v, bool overlay)
{
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = push_key(c, key);

		if (!(overlay && json_is_null(val)))
			rc = check_env_value(c, key, val);
		pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return rc;
}

static int check_string_map(struct check *c, const json_t *v, bool overlay)
{
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		if (overlay && json_is_null(val))
			continue;
		if ((rc = expect_member(c, key, val, T_STRING)) < 0)
			return rc;
	}
	return rc;
}

static int check_nonneg_integer(struct check *c, const json_t *v, bool overlay)
{
	(void)overlay;
	return expect_range(c, v, true, 0, 1e15);
}

static int check_nonneg_number(struct check *c, const json_t *v, bool overlay)
{
	(void)overlay;
	return expect_range(c, v, false, 0, 1e15);
}

static int check_strings(struct check *c, const json_t *v, bool overlay)
{
	(void)overlay;
	return expect_string_array(c, v, false);
}

/* The members of object `v` listed in `fields` have the right types. */
static int check_fields(struct check *c, const json_t *v,
			const struct field *fields, size_t n, bool overlay)
{
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark;

		if (overlay && json_is_null(val))
			continue;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(key, fields[i].name))
				continue;
			mark = push_key(c, key);
			rc = expect(c, val, fields[i].types);
			if (rc == 0 && fields[i].check)
				rc = fields[i].check(c, val, overlay);
			pop(c, mark);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* Each element of array `v` is an object whose `fields` are well typed. */
static int check_object_array(struct check *c, const json_t *v,
			      const struct field *fields, size_t n,
			      const char *required)
{
	json_t *item;
	size_t i;
	int rc = 0;

	json_array_foreach(v, i, item) {
		size_t mark = push_index(c, i);

		rc = check_fields(c, item, fields, n, false);
		if (rc == 0 && required && !json_object_get(item, required))
			rc = check_fail(c, "missing '%s'", required);
		pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const struct field health_check_fields[] = {
	{ "protocol", T_STRING, NULL },
	{ "path", T_STRING, NULL },
	{ "portIndex", T_INTEGER, check_nonneg_integer },
	{ "port", T_INTEGER, check_nonneg_integer },
	{ "gracePeriodSeconds", T_INTEGER, check_nonneg_integer },
	{ "intervalSeconds", T_INTEGER, check_nonneg_integer },
	{ "timeoutSeconds", T_INTEGER, check_nonneg_integer },
	{ "maxConsecutiveFailures", T_INTEGER, check_nonneg_integer },
	{ "delaySeconds", T_INTEGER, check_nonneg_integer },
	{ "ignoreHttp1xx", T_BOOL, NULL },
	{ "command", T_OBJECT, NULL },
};

static int check_health_checks(struct check *c, const json_t *v, bool overlay)
{
	(void)overlay;
	return check_object_array(c, v, health_check_fields,
				  ARRAY_SIZE(health_check_fields), NULL);
}

static const struct field fetch_fields[] = {
	{ "uri", T_STRING, NULL },
	{ "extract", T_BOOL, NULL },
	{ "executable", T_BOOL, NULL },
	{ "cache", T_BOOL, NULL },
	{ "destPath", T_STRING, NULL },
};

static int check_fetch(struct check *c, const json_t *v, bool overlay)
{
	(void)overlay;
	return check_object_array(c, v, fetch_fields, ARRAY_SIZE(fetch_fields),
				  "uri");
}

static const struct field port_definition_fields[] = {
	{ "port", T_INTEGER, check_nonneg_integer },
	{ "protocol", T_STRING, NULL },
	{ "name", T_STRING, NULL },
	{ "labels", T_OBJECT, check_string_map },
};

static int check_port_definitions(struct check *c, const json_t *v,
				  bool overlay)
{
	(void)overlay;
	return check_object_array(c, v, port_definition_fields,
				  ARRAY_SIZE(port_definition_fields), NULL);
}

static int check_fraction(struct check *c, const json_t *v, bool overlay)
{
	(void)overlay;
	return expect_range(c, v, false, 0, 1);
}

static const struct field upgrade_strategy_fields[] = {
	{ "minimumHealthCapacity", T_NUMBER, check_fraction },
	{ "maximumOverCapacity", T_NUMBER, check_fraction },
};

static int check_upgrade_strategy(struct check *c, const json_t *v,
				  bool overlay)
{
	return check_fields(c, v, upgrade_strategy_fields,
			    ARRAY_SIZE(upgrade_strategy_fields), overlay);
}

/* The Marathon app fields roger type-checks; any other key passes through. */
static const struct field marathon_fields[] = {
	{ "acceptedResourceRoles", T_ARRAY, check_strings },
	{ "args", T_ARRAY, check_strings },
	{ "backoffFactor", T_NUMBER, check_nonneg_number },
	{ "backoffSeconds", T_NUMBER, check_nonneg_number },
	{ "cmd", T_STRING, NULL },
	{ "constraints", T_ARRAY, NULL },
	{ "container", T_OBJECT, NULL },
	{ "cpus", T_NUMBER, check_nonneg_number },
	{ "dependencies", T_ARRAY, check_strings },
	{ "disk", T_NUMBER, check_nonneg_number },
	{ "env", T_OBJECT, check_env },
	{ "executor", T_STRING, NULL },
	{ "fetch", T_ARRAY, check_fetch },
	{ "gpus", T_NUMBER, check_nonneg_number },
	{ "healthChecks", T_ARRAY, check_health_checks },
	{ "instances", T_INTEGER, check_nonneg_integer },
	{ "killSelection", T_STRING, NULL },
	{ "labels", T_OBJECT, check_string_map },
	{ "maxLaunchDelaySeconds", T_NUMBER, check_nonneg_number },
	{ "mem", T_NUMBER, check_nonneg_number },
	{ "networks", T_ARRAY, NULL },
	{ "portDefinitions", T_ARRAY, check_port_definitions },
	{ "ports", T_ARRAY, NULL },
	{ "readinessChecks", T_ARRAY, NULL },
	{ "requirePorts", T_BOOL, NULL },
	{ "role", T_STRING, NULL },
	{ "secrets", T_OBJECT, NULL },
	{ "taskKillGracePeriodSeconds", T_NUMBER, check_nonneg_number },
	{ "unreachableStrategy", T_OBJECT | T_STRING, NULL },
	{ "upgradeStrategy", T_OBJECT, check_upgrade_strategy },
	{ "uris", T_ARRAY, check_strings },
	{ "user", T_STRING, NULL },
};

/* A `marathon` app fragment: the base, or an environment's overlay. */
static int check_marathon(struct check *c, const json_t *v, bool overlay)
{
	json_t *id = json_object_get(v, "id");
	json_t *version = json_object_get(v, "version");
	size_t mark;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	if (id || version) {
		mark = push_key(c, id ? "id" : "version");
		rc = id ? check_fail(c, "must not be set: roger sets the app id from 'group' and 'app'")
			: check_fail(c, "must not be set: Marathon takes it as a rollback to that version");
		pop(c, mark);
		return rc;
	}
	return check_fields(c, v, marathon_fields, ARRAY_SIZE(marathon_fields),
			    overlay);
}

/* ---- roger.json ------------------------------------------------------------ */

/* Environment and target names: a letter or digit, then also '-', '_', '.'. */
static bool simple_name(const char *s)
{
	if (!is_alnum(*s))
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!is_alnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

static int check_vars(struct check *c, const json_t *v)
{
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = push_key(c, key);

		if (!roger_spec_var_name_valid(key))
			rc = check_fail(c, "invalid variable name '%s': use letters, digits and '_', not starting with a digit", key);
		else if (roger_spec_var_is_builtin(key))
			rc = check_fail(c, "'%s' is a built-in variable and cannot be set", key);
		else if (roger_config_name_is_secret(key, true))
			rc = check_fail(c, "this looks like a secret, and roger.json is committed with the code; pass it with --var %s=VALUE or ROGER_VAR_%s",
					key, key);
		else
			rc = expect(c, val, T_STRING);
		pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* build.cache.paths and build.cache.key: relative paths inside the project. */
static int check_cache_paths(struct check *c, const json_t *v)
{
	json_t *item;
	size_t i;
	int rc = expect_string_array(c, v, true);

	json_array_foreach(v, i, item) {
		size_t mark = push_index(c, i);
		const char *why = roger_build_cache_path_invalid(json_string_value(item));

		if (rc == 0 && why)
			rc = check_fail(c, "'%s' %s", json_string_value(item), why);
		pop(c, mark);
	}
	return rc;
}

static int check_build_cache(struct check *c, const json_t *v)
{
	static const char *const known[] = { "key", "max_mb", "paths", "version" };
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = push_key(c, key);
		bool found = true;

		if (!strcmp(key, "paths") || !strcmp(key, "key"))
			rc = check_cache_paths(c, val);
		else if (!strcmp(key, "version"))
			rc = expect(c, val, T_STRING);
		else if (!strcmp(key, "max_mb"))
			rc = expect_range(c, val, true, 1, 1024 * 1024);
		else
			found = false;
		pop(c, mark);
		if (rc < 0)
			return rc;
		if (!found)
			return unknown_key(c, key, known, ARRAY_SIZE(known));
	}
	if (!json_object_get(v, "paths"))
		return check_fail(c, "missing 'paths': the directories the build command fills, such as [\"node_modules\"]");
	if (!json_object_get(v, "key"))
		return check_fail(c, "missing 'key': the files they depend on, such as [\"package-lock.json\"]");
	return 0;
}

static int check_build(struct check *c, const json_t *v)
{
	static const char *const known[] = { "cache", "command", "exclude",
					     "timeout" };
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = push_key(c, key);

		if (!strcmp(key, "command"))
			rc = expect(c, val, T_STRING);
		else if (!strcmp(key, "exclude"))
			rc = expect_string_array(c, val, false);
		else if (!strcmp(key, "timeout"))
			rc = expect_range(c, val, true, 1, 86400 * 7);
		else if (!strcmp(key, "cache"))
			rc = check_build_cache(c, val);
		pop(c, mark);
		if (rc < 0)
			return rc;
		if (!strcmp(key, "command") || !strcmp(key, "exclude") ||
		    !strcmp(key, "timeout") || !strcmp(key, "cache"))
			continue;
		if (roger_config_name_is_secret(key, true))
			return secret_key_fail(c, key);
		return unknown_key(c, key, known, ARRAY_SIZE(known));
	}
	if (json_object_get(v, "cache") && !json_object_get(v, "command")) {
		size_t mark = push_key(c, "cache");

		rc = check_fail(c, "caches what build.command makes, and there is no build.command");
		pop(c, mark);
		return rc;
	}
	return 0;
}

static int check_environment(struct check *c, const json_t *v)
{
	static const char *const known[] = { "marathon", "target", "vars" };
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = push_key(c, key);
		bool found = true;

		if (!strcmp(key, "marathon"))
			rc = check_marathon(c, val, true);
		else if (!strcmp(key, "vars"))
			rc = check_vars(c, val);
		else if (!strcmp(key, "target")) {
			rc = expect(c, val, T_STRING);
			if (rc == 0 && !simple_name(json_string_value(val)))
				rc = check_fail(c, "invalid target name '%s': use letters, digits, '-', '_' and '.'",
						json_string_value(val));
		} else
			found = false;
		pop(c, mark);
		if (rc < 0)
			return rc;
		if (found)
			continue;
		if (roger_config_name_is_secret(key, true))
			return secret_key_fail(c, key);
		return unknown_key(c, key, known, ARRAY_SIZE(known));
	}
	return 0;
}

static int check_environments(struct check *c, const json_t *v)
{
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = push_key(c, key);

		if (!simple_name(key))
			rc = check_fail(c, "invalid environment name '%s': use letters, digits, '-', '_' and '.'", key);
		else
			rc = check_environment(c, val);
		pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_project(struct check *c, const json_t *root)
{
	static const char *const known[] = {
		"app", "build", "environments", "group", "marathon", "vars",
		"version",
	};
	const char *key;
	json_t *val;
	int rc;

	if (!json_is_object(root))
		return check_fail(c, "expected an object at the top, got %s",
				  roger_spec_type_name(root));
	json_object_foreach((json_t *)root, key, val) {
		size_t mark = push_key(c, key);
		bool found = true;

		if (!strcmp(key, "version")) {
			rc = expect(c, val, T_INTEGER);
			if (rc == 0 && json_integer_value(val) != 1)
				rc = check_fail(c, "unsupported version %lld: this roger reads version 1",
						(long long)json_integer_value(val));
		} else if (!strcmp(key, "app") || !strcmp(key, "group")) {
			rc = expect(c, val, T_STRING);
		} else if (!strcmp(key, "build")) {
			rc = check_build(c, val);
		} else if (!strcmp(key, "marathon")) {
			rc = check_marathon(c, val, false);
		} else if (!strcmp(key, "environments")) {
			rc = check_environments(c, val);
		} else if (!strcmp(key, "vars")) {
			rc = check_vars(c, val);
		} else {
			found = false;
			rc = 0;
		}
		pop(c, mark);
		if (rc < 0)
			return rc;
		if (found)
			continue;
		if (roger_config_name_is_secret(key, true))
			return secret_key_fail(c, key);
		return unknown_key(c, key, known, ARRAY_SIZE(known));
	}
	if (!json_object_get(root, "version"))
		return check_fail(c, "missing 'version': add \"version\": 1");
	if (!json_object_get(root, "app"))
		return check_fail(c, "missing 'app': add \"app\": \"NAME\", the name of the app in Marathon");
	return 0;
}

/*
 * A configuration file that exists but cannot be read is invalid
 * configuration (exit status 3), whatever the system call said; the
 * message, which names the file and the reason, stays.
 */
static int as_invalid(struct roger_err *err, int rc)
{
	if (rc == ROGER_ENOMEM)
		return rc;
	if (err)
		err->code = ROGER_EINVALID;
	return ROGER_EINVALID;
}

/* jansson's error as "file:line:column: text". */
static int json_fail(struct roger_err *err, const char *file,
		     const json_error_t *jerr)
{
	return roger_err_set(err, ROGER_EINVALID, "%s:%d:%d: %s", file,
			     jerr->line > 0 ? jerr->line : 1,
			     jerr->column > 0 ? jerr->column : 1, jerr->text);
}

/* Parse JSON text, skipping a UTF-8 byte order mark. */
static json_t *parse_json(const char *file, const char *text, size_t len,
			  struct roger_err *err)
{
	json_error_t jerr;
	json_t *root;

	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		json_fail(err, file, &jerr);
	return root;
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
	free(p->build_exclude);
	json_decref(p->root);
	free(p);
}

/* Fill the fields borrowed from `p->root`, which check_project() accepted. */
static int project_fields(struct roger_project *p, struct roger_err *err)
{
	json_t *build = json_object_get(p->root, "build");
	json_t *exclude = json_object_get(build, "exclude");
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
		p->build_exclude[i] = json_string_value(json_array_get(exclude, i));
	/* Absent sections become empty objects, so callers need no NULL checks. */
	for (size_t i = 0; i < 3; i++) {
		static const char *const keys[] = { "marathon", "environments", "vars" };
		json_t **slot[] = { &p->marathon, &p->environments, &p->vars };

		v = json_object_get(p->root, keys[i]);
		if (!v) {
			v = json_object();
			if (!v || json_object_set_new(p->root, keys[i], v) < 0)
				return roger_err_set(err, ROGER_ENOMEM, "out of memory");
		}
		*slot[i] = v;
	}
	return 0;
}

int roger_project_parse(struct roger_project **out, const char *path,
			const char *text, size_t len, struct roger_err *err)
{
	struct check c = { path, ROGER_BUF_INIT, false, err };
	struct roger_project *p = NULL;
	int rc;

	p = calloc(1, sizeof(*p));
	if (!p)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	p->root = parse_json(path, text, len, err);
	if (!p->root) {
		rc = ROGER_EINVALID;
		goto out;
	}
	if ((rc = check_project(&c, p->root)) < 0)
		goto out;
	if ((rc = project_fields(p, err)) < 0)
		goto out;
	rc = roger_spec_app_id(&p->id, p->group, p->app, err);
	if (rc < 0) {
		roger_err_prefix(err, "%s", path);
		goto out;
	}
	*out = p;
	p = NULL;
out:
	roger_buf_release(&c.path);
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
			return roger_err_set(err, ROGER_ENOMEM, "out of memory");
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
		return roger_err_set(err, ROGER_ENOTFOUND,
				     "no roger.json in '%s'; run 'roger init' to create one",
				     start);
	return roger_err_set(err, ROGER_ENOTFOUND,
			     "no roger.json in '%s' or above it up to the work tree root '%s'; run 'roger init' to create one",
			     start, root);
}

int roger_project_locate(char **dir_out, char **workdir_out,
			 const char *start_dir, struct roger_err *err)
{
	struct roger_repo *repo = NULL;
	char *dir = NULL, *root = NULL;
	int rc;

	if (!start_dir)
		start_dir = ".";
	dir = realpath(start_dir, NULL);
	if (!dir || !roger_fs_is_dir(dir)) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "cannot use directory '%s': %s", start_dir,
				   dir ? "not a directory" : strerror(errno));
		goto out;
	}
	rc = roger_repo_discover(&repo, dir, err);
	if (rc == ROGER_ENOTFOUND) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
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
		rc = as_invalid(err, rc);
		goto out;
	}
	if ((rc = roger_project_parse(&p, display, text.buf, text.len, err)) < 0)
		goto out;
	p->subdir = strdup(path_within(dir, root) && strcmp(dir, root)
				   ? dir + strlen(root) + (strcmp(root, "/") ? 1 : 0)
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
		rc = roger_err_set(err, ROGER_EINVALID,
				   "unknown environment '%s' in %s, did you mean '%s'?",
				   env, p->display ? p->display : "roger.json",
				   best);
	else if (n == 0)
		rc = roger_err_set(err, ROGER_EINVALID,
				   "unknown environment '%s': %s defines no environments",
				   env, p->display ? p->display : "roger.json");
	else
		rc = roger_err_set(err, ROGER_EINVALID,
				   "unknown environment '%s' in %s (it defines: %s%s)",
				   env, p->display ? p->display : "roger.json",
				   names[0], n > 1 ? ", ..." : "");
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

static bool vars_have(const struct roger_var *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return true;
	return false;
}

int roger_project_vars(struct roger_var **out, size_t *n,
		       struct roger_ctx *ctx, const struct roger_project *p,
		       const char *env, const struct roger_var *builtins,
		       size_t n_builtins, const struct roger_var *cli_vars,
		       size_t n_cli_vars, struct roger_err *err)
{
	json_t *env_vars, *val;
	struct roger_var *vars = NULL;
	char **refs = NULL, *names;
	size_t n_refs = 0, max, bytes = 0, count = 0;
	const char *key;
	int rc;

	for (size_t i = 0; i < n_cli_vars; i++) {
		if (!roger_spec_var_name_valid(cli_vars[i].name))
			return roger_err_set(err, ROGER_EUSAGE,
					     "invalid --var name '%s': use letters, digits and '_', not starting with a digit",
					     cli_vars[i].name);
		if (roger_spec_var_is_builtin(cli_vars[i].name))
			return roger_err_set(err, ROGER_EUSAGE,
					     "invalid --var '%s': it is a built-in variable and cannot be set",
					     cli_vars[i].name);
	}
	if ((rc = roger_project_check_env(p, env, err)) < 0)
		return rc;
	env_vars = env ? json_object_get(json_object_get(p->environments, env), "vars")
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

/* ---- URLs and file names ---------------------------------------------------- */

enum url_kind {
	URL_BASE,      /* Marathon, Mesos: http(s), no trailing '/' */
	URL_ARTIFACTS, /* http(s) or file, ending in '/' */
};

/*
 * Check `url` and return a normalised copy in *out, or a reason in `why`
 * (ROGER_EINVALID) without touching *out.
 */
static int normalize_url(char **out, const char *url, enum url_kind kind,
			 char *why, size_t size)
{
	const char *rest = NULL;
	bool file = false;
	size_t len;
	char *copy;

	if (!strncasecmp(url, "http://", 7))
		rest = url + 7;
	else if (!strncasecmp(url, "https://", 8))
		rest = url + 8;
	else if (kind == URL_ARTIFACTS && !strncasecmp(url, "file://", 7)) {
		rest = url + 7;
		file = true;
	}
	if (!rest) {
		snprintf(why, size, "expected an %s URL",
			 kind == URL_ARTIFACTS ? "http://, https:// or file://"
					       : "http:// or https://");
		return ROGER_EINVALID;
	}
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(why, size, "it holds a space or a control character");
			return ROGER_EINVALID;
		}
		if (*p == '?' || *p == '#') {
			snprintf(why, size, "a base URL takes no query or fragment ('%c')", *p);
			return ROGER_EINVALID;
		}
	}
	if (file ? rest[0] != '/' : (rest[0] == '/' || rest[0] == '\0')) {
		snprintf(why, size, file ? "expected an absolute path: file:///path/"
					 : "the host is missing");
		return ROGER_EINVALID;
	}
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/' && url + len > rest + 1)
		len--;
	copy = malloc(len + 2);
	if (!copy) {
		snprintf(why, size, "out of memory");
		return ROGER_ENOMEM;
	}
	memcpy(copy, url, len);
	if (kind == URL_ARTIFACTS)
		copy[len++] = '/';
	copy[len] = '\0';
	*out = copy;
	return 0;
}

/* The URL at the current path of `c` is valid (string already checked). */
static int check_url(struct check *c, const json_t *v, enum url_kind kind)
{
	char why[160];
	char *norm = NULL;
	int rc = normalize_url(&norm, json_string_value(v), kind, why,
			       sizeof(why));

	free(norm);
	if (rc == ROGER_ENOMEM)
		return roger_err_set(c->err, rc, "out of memory");
	if (rc < 0)
		return check_fail(c, "invalid URL '%s': %s",
				  json_string_value(v), why);
	return 0;
}

/*
 * A file name from the user config as a new string: "~/x" is under $HOME,
 * a relative name is relative to `base_dir`.
 */
static char *expand_file(const struct roger_ctx *ctx, const char *base_dir,
			 const char *name)
{
	const char *home;

	if (name[0] == '~' && (name[1] == '/' || name[1] == '\0')) {
		home = roger_ctx_getenv(ctx, "HOME");
		return roger_path_join(home ? home : "/",
				       name[1] ? name + 2 : "");
	}
	if (name[0] == '/' || !base_dir)
		return strdup(name);
	return roger_path_join(base_dir, name);
}

/* The directory part of `path` as a new string. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* ---- user configuration ----------------------------------------------------- */

static bool env_name_valid(const char *s)
{
	return roger_spec_var_name_valid(s);
}

static int check_auth(struct check *c, const json_t *v)
{
	static const char *const known[] = {
		"netrc", "netrc_file", "password_env", "token_env", "token_file",
		"user",
	};
	const char *key, *form = NULL;
	json_t *val;
	int rc = expect(c, v, T_OBJECT | T_NULL);

	if (rc < 0 || json_is_null(v))
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = push_key(c, key);
		bool found = false;
		const char *this_form = key;

		for (size_t i = 0; i < ARRAY_SIZE(known); i++)
			found = found || !strcmp(key, known[i]);
		if (!strcmp(key, "password") || !strcmp(key, "token")) {
			rc = check_fail(c, "roger does not read literal secrets from its configuration; name an environment variable with '%s_env'%s",
					key, strcmp(key, "token") ? "" : " or a file with 'token_file'");
		} else if (!found) {
			pop(c, mark);
			return unknown_key(c, key, known, ARRAY_SIZE(known));
		} else if (!strcmp(key, "netrc")) {
			rc = expect(c, val, T_BOOL);
		} else {
			rc = expect(c, val, T_STRING);
			if (rc == 0 && strstr(key, "_env") &&
			    !env_name_valid(json_string_value(val)))
				rc = check_fail(c, "invalid environment variable name '%s'",
						json_string_value(val));
			if (rc == 0 && !*json_string_value(val))
				rc = check_fail(c, "expected a non-empty string");
		}
		pop(c, mark);
		if (rc < 0)
			return rc;
		if (!strcmp(key, "password_env"))
			this_form = "user";
		else if (!strcmp(key, "netrc_file"))
			this_form = "netrc";
		if (form && strcmp(form, this_form))
			return check_fail(c, "'%s' and '%s' are two different forms; use one of {\"user\", \"password_env\"}, {\"token_env\"}, {\"token_file\"} or {\"netrc\": true}",
					  form, this_form);
		form = this_form;
	}
	if (!form)
		return check_fail(c, "empty; use one of {\"user\", \"password_env\"}, {\"token_env\"}, {\"token_file\"} or {\"netrc\": true}, or leave 'auth' out");
	if (!strcmp(form, "user") && (!json_object_get(v, "user") ||
				      !json_object_get(v, "password_env")))
		return check_fail(c, "HTTP Basic authentication needs both 'user' and 'password_env'");
	if (!strcmp(form, "user") &&
	    strchr(json_string_value(json_object_get(v, "user")), ':')) {
		size_t mark = push_key(c, "user");

		rc = check_fail(c, "a user name must not contain ':'");
		pop(c, mark);
		return rc;
	}
	if (!strcmp(form, "netrc") && !json_object_get(v, "netrc"))
		return check_fail(c, "'netrc_file' needs \"netrc\": true");
	return 0;
}

static int check_target(struct check *c, const json_t *v)
{
	static const char *const known[] = {
		"artifacts", "auth", "ca_file", "marathon", "mesos", "protected",
	};
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = push_key(c, key);
		json_t *item;
		size_t i;

		rc = 0;
		if (!strcmp(key, "marathon")) {
			rc = expect(c, val, T_STRING | T_ARRAY);
			if (rc == 0 && json_is_string(val))
				rc = check_url(c, val, URL_BASE);
			else if (rc == 0 &&
				 (rc = expect_string_array(c, val, true)) == 0) {
				json_array_foreach(val, i, item) {
					size_t m = push_index(c, i);

					rc = check_url(c, item, URL_BASE);
					pop(c, m);
					if (rc < 0)
						break;
				}
			}
		} else if (!strcmp(key, "mesos") || !strcmp(key, "artifacts")) {
			rc = expect(c, val, T_STRING);
			if (rc == 0)
				rc = check_url(c, val, strcmp(key, "mesos") ? URL_ARTIFACTS
									  : URL_BASE);
		} else if (!strcmp(key, "auth")) {
			rc = check_auth(c, val);
		} else if (!strcmp(key, "ca_file")) {
			rc = expect(c, val, T_STRING);
		} else if (!strcmp(key, "protected")) {
			rc = expect(c, val, T_BOOL);
		} else {
			pop(c, mark);
			return unknown_key(c, key, known, ARRAY_SIZE(known));
		}
		pop(c, mark);
		if (rc < 0)
			return rc;
	}
	if (!json_object_get(v, "marathon"))
		return check_fail(c, "missing 'marathon': the Marathon URL, or a list of them");
	return 0;
}

static int check_targets(struct check *c, const json_t *v)
{
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = push_key(c, key);

		if (!strcmp(key, "local"))
			rc = check_fail(c, "'local' is the built-in target of roger local; set its port and state directory under the top-level 'local'");
		else if (!simple_name(key))
			rc = check_fail(c, "invalid target name '%s': use letters, digits, '-', '_' and '.'", key);
		else
			rc = check_target(c, val);
		pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A byte count: a whole number, or a string such as "512M" (str.h). */
static int expect_size(struct check *c, const json_t *v)
{
	uint64_t size;
	int rc = expect(c, v, T_INTEGER | T_STRING);

	if (rc < 0)
		return rc;
	if (json_is_integer(v))
		return expect_range(c, v, true, 0, 9007199254740992.0);
	if (roger_parse_size(&size, json_string_value(v)) < 0)
		return check_fail(c, "invalid size '%s': expected bytes, or a number with K, M, G or T", json_string_value(v));
	return 0;
}

/* The value of a checked size (expect_size) or count: 0 when unset,
 * UINT64_MAX for 0 ("no limit"), else the value. */
static uint64_t limit_value(const json_t *v)
{
	uint64_t n = 0;

	if (json_is_integer(v))
		n = (uint64_t)json_integer_value(v);
	else if (json_is_string(v))
		(void)roger_parse_size(&n, json_string_value(v));
	else
		return 0;
	return n ? n : UINT64_MAX;
}

static int check_local(struct check *c, const json_t *v)
{
	static const char *const known[] = {
		"ca_file", "max_extract_bytes", "max_extract_entries", "port",
		"state_dir",
	};
	const char *key;
	json_t *val;
	int rc = expect(c, v, T_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = push_key(c, key);

		if (!strcmp(key, "port"))
			rc = expect_range(c, val, true, 1, 65535);
		else if (!strcmp(key, "state_dir") || !strcmp(key, "ca_file"))
			rc = expect(c, val, T_STRING);
		else if (!strcmp(key, "max_extract_bytes"))
			rc = expect_size(c, val);
		else if (!strcmp(key, "max_extract_entries"))
			rc = expect_range(c, val, true, 0, 9007199254740992.0);
		else {
			pop(c, mark);
			return unknown_key(c, key, known, ARRAY_SIZE(known));
		}
		pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_user_config(struct check *c, const json_t *root)
{
	static const char *const known[] = {
		"default_target", "local", "targets",
	};
	json_t *targets = json_object_get(root, "targets");
	json_t *def = json_object_get(root, "default_target");
	const char *key;
	json_t *val;
	int rc;

	if (!json_is_object(root))
		return check_fail(c, "expected an object at the top, got %s",
				  roger_spec_type_name(root));
	json_object_foreach((json_t *)root, key, val) {
		size_t mark = push_key(c, key);

		if (!strcmp(key, "default_target"))
			rc = expect(c, val, T_STRING);
		else if (!strcmp(key, "targets"))
			rc = check_targets(c, val);
		else if (!strcmp(key, "local"))
			rc = check_local(c, val);
		else {
			pop(c, mark);
			return unknown_key(c, key, known, ARRAY_SIZE(known));
		}
		pop(c, mark);
		if (rc < 0)
			return rc;
	}
	if (def && strcmp(json_string_value(def), "local") &&
	    !json_object_get(targets, json_string_value(def))) {
		const char *names[64];
		size_t n = 0;
		const char *best;
		size_t mark = push_key(c, "default_target");

		json_object_foreach(targets, key, val)
			if (n < ARRAY_SIZE(names))
				names[n++] = key;
		best = roger_suggest(json_string_value(def), names, n);
		rc = best ? check_fail(c, "unknown target '%s', did you mean '%s'?",
				       json_string_value(def), best)
			  : check_fail(c, "unknown target '%s': define it under 'targets'",
				       json_string_value(def));
		pop(c, mark);
		return rc;
	}
	return 0;
}

void roger_user_config_free(struct roger_user_config *uc)
{
	if (!uc)
		return;
	free(uc->path);
	json_decref(uc->root);
	free(uc->local_state_dir);
	free(uc->local_ca_file);
	free(uc);
}

int roger_user_config_load(struct roger_user_config **out,
			   struct roger_ctx *ctx, const char *path,
			   struct roger_err *err)
{
	struct roger_buf text = ROGER_BUF_INIT;
	struct roger_user_config *uc = NULL;
	struct check c = { NULL, ROGER_BUF_INIT, false, err };
	char *dir = NULL, *base = NULL;
	json_t *local, *v;
	int rc;

	uc = calloc(1, sizeof(*uc));
	if (!uc)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (path) {
		uc->path = strdup(path);
	} else {
		dir = roger_xdg_dir(ctx, "config");
		uc->path = dir ? roger_path_join(dir, "config.json") : NULL;
	}
	if (!uc->path) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	c.file = uc->path;
	rc = roger_fs_read_file(&text, uc->path, err);
	if (rc == ROGER_ENOTFOUND) {
		roger_debug(ctx, "no user config '%s'", uc->path);
		rc = 0;
	} else if (rc < 0) {
		rc = as_invalid(err, rc);
		goto out;
	} else {
		roger_debug(ctx, "reading '%s'", uc->path);
		uc->root = parse_json(uc->path, text.buf, text.len, err);
		if (!uc->root) {
			rc = ROGER_EINVALID;
			goto out;
		}
		if ((rc = check_user_config(&c, uc->root)) < 0)
			goto out;
	}
	uc->default_target = json_string_value(json_object_get(uc->root, "default_target"));
	local = json_object_get(uc->root, "local");
	v = json_object_get(local, "port");
	uc->local_port = v ? (int)json_integer_value(v) : ROGER_LOCAL_PORT;
	v = json_object_get(local, "state_dir");
	free(dir);
	dir = dir_of(uc->path);
	if (v) {
		uc->local_state_dir = dir ? expand_file(ctx, dir, json_string_value(v)) : NULL;
	} else {
		base = roger_xdg_dir(ctx, "state");
		uc->local_state_dir = base ? roger_path_join(base, "local") : NULL;
	}
	uc->local_max_extract_bytes = limit_value(json_object_get(local, "max_extract_bytes"));
	uc->local_max_extract_entries = limit_value(json_object_get(local, "max_extract_entries"));
	v = json_object_get(local, "ca_file");
	if (!uc->local_state_dir ||
	    (v && dir &&
	     !(uc->local_ca_file =
		       expand_file(ctx, dir, json_string_value(v))))) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	*out = uc;
	uc = NULL;
out:
	roger_buf_release(&text);
	roger_buf_release(&c.path);
	roger_user_config_free(uc);
	free(dir);
	free(base);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int roger_user_config_target_names(const struct roger_user_config *uc,
				   const char ***out, size_t *n)
{
	json_t *targets = uc ? json_object_get(uc->root, "targets") : NULL;
	size_t count = json_object_size(targets) + 1, i = 0;
	const char **names = calloc(count + 1, sizeof(*names));
	const char *key;
	json_t *v;

	if (!names)
		return ROGER_ENOMEM;
	json_object_foreach(targets, key, v)
		names[i++] = key;
	names[i++] = "local";
	qsort(names, i, sizeof(*names), cmp_names);
	*out = names;
	*n = i;
	return 0;
}

/* ---- targets ------------------------------------------------------------------ */

static void wipe(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void roger_target_free(struct roger_target *t)
{
	if (!t)
		return;
	free(t->name);
	for (size_t i = 0; i < t->n_marathon; i++)
		free(t->marathon[i]);
	free(t->marathon);
	free(t->mesos);
	free(t->artifacts);
	free(t->auth.user);
	wipe(t->auth.password);
	wipe(t->auth.token);
	free(t->auth.netrc_file);
	free(t->ca_file);
	free(t->local_state_dir);
	free(t);
}

/* Add a normalised URL to the target's Marathon list. */
static int add_marathon(struct roger_target *t, const char *url,
			const char *where, struct roger_err *err)
{
	char why[160];
	char *norm = NULL, **grown;
	int rc = normalize_url(&norm, url, URL_BASE, why, sizeof(why));

	if (rc < 0)
		return roger_err_set(err, rc, "%s: invalid URL '%s': %s", where,
				     url, why);
	grown = realloc(t->marathon, (t->n_marathon + 1) * sizeof(*grown));
	if (!grown) {
		free(norm);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	t->marathon = grown;
	t->marathon[t->n_marathon++] = norm;
	return 0;
}

static int set_url(char **slot, const char *url, enum url_kind kind,
		   const char *where, struct roger_err *err)
{
	char why[160];
	char *norm = NULL;
	int rc = normalize_url(&norm, url, kind, why, sizeof(why));

	if (rc < 0)
		return roger_err_set(err, rc, "%s: invalid URL '%s': %s", where,
				     url, why);
	free(*slot);
	*slot = norm;
	return 0;
}

static int set_string(char **slot, const char *s, struct roger_err *err)
{
	char *copy = strdup(s);

	if (!copy)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

int roger_target_local_sync(struct roger_target *t, int port,
			    struct roger_err *err)
{
	struct roger_local_status st;
	struct roger_err why = ROGER_ERR_INIT;
	char url[64], artifacts[80], token[ROGER_LOCAL_TOKEN_LEN + 1];
	int rc;

	assert(t->is_local && t->local_state_dir);
	if ((rc = roger_local_status(&st, t->local_state_dir, err)) < 0)
		return rc;
	if (st.running && st.port > 0)
		port = st.port;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	snprintf(artifacts, sizeof(artifacts), "%s/artifacts/", url);
	for (size_t i = 0; i < t->n_marathon; i++)
		free(t->marathon[i]);
	t->n_marathon = 0;
	wipe(t->auth.token);
	t->auth.token = NULL;
	t->auth.kind = ROGER_AUTH_NONE;
	t->local_running = false;
	if ((rc = add_marathon(t, url, "local", err)) < 0 ||
	    (rc = set_string(&t->mesos, url, err)) < 0 ||
	    (rc = set_string(&t->artifacts, artifacts, err)) < 0)
		return rc;
	if (!st.running || st.port <= 0)
		return 0;
	/* Its server wrote the token before it answered: none is an error. */
	rc = roger_local_token_read(token, t->local_state_dir, &why);
	if (rc < 0)
		return roger_err_set(err, rc == ROGER_ENOMEM ? rc : ROGER_EINVALID,
				     "%s", why.msg);
	rc = set_string(&t->auth.token, token, err);
	explicit_bzero(token, sizeof(token));
	if (rc < 0)
		return rc;
	t->auth.kind = ROGER_AUTH_TOKEN;
	t->local_running = true;
	return 0;
}

static int local_target(struct roger_target *t, struct roger_ctx *ctx,
			const struct roger_user_config *uc,
			struct roger_err *err)
{
	int port = uc ? uc->local_port : ROGER_LOCAL_PORT;

	t->is_local = true;
	t->origin = "built-in";
	if (uc && uc->local_state_dir)
		t->local_state_dir = strdup(uc->local_state_dir);
	else
		t->local_state_dir = roger_local_default_state_dir(ctx);
	if (!t->local_state_dir)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return roger_target_local_sync(t, port, err);
}

static int config_target(struct roger_target *t, const struct roger_ctx *ctx,
			 const struct roger_user_config *uc, const json_t *def,
			 struct roger_err *err)
{
	json_t *m = json_object_get(def, "marathon"), *v;
	char *dir = NULL;
	size_t i;
	int rc = 0;

	t->origin = "user config";
	if (json_is_string(m)) {
		rc = add_marathon(t, json_string_value(m), uc->path, err);
	} else {
		json_array_foreach(m, i, v)
			if ((rc = add_marathon(t, json_string_value(v), uc->path, err)) < 0)
				break;
	}
	if (rc < 0)
		return rc;
	v = json_object_get(def, "mesos");
	if (v && (rc = set_url(&t->mesos, json_string_value(v), URL_BASE,
			       uc->path, err)) < 0)
		return rc;
	v = json_object_get(def, "artifacts");
	if (v && (rc = set_url(&t->artifacts, json_string_value(v),
			       URL_ARTIFACTS, uc->path, err)) < 0)
		return rc;
	t->is_protected = json_is_true(json_object_get(def, "protected"));
	v = json_object_get(def, "ca_file");
	if (v) {
		dir = dir_of(uc->path);
		t->ca_file = dir ? expand_file(ctx, dir, json_string_value(v)) : NULL;
		free(dir);
		if (!t->ca_file)
			return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	return 0;
}

/* The variable `name` must be set; its value is copied into *slot. */
static int secret_from_env(char **slot, const struct roger_ctx *ctx,
			   const char *name, const char *where,
			   struct roger_err *err)
{
	const char *value = roger_ctx_getenv(ctx, name);

	if (!value)
		return roger_err_set(err, ROGER_EINVALID,
				     "%s: environment variable '%s' is not set",
				     where, name);
	return set_string(slot, value, err);
}

/* Read a token file, refusing one that group or others may access. */
static int read_token_file(char **out, const char *path, const char *where,
			   struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	struct stat st;
	char chunk[4096];
	size_t start = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return roger_err_set(err, ROGER_EINVALID,
				     "%s: cannot read token file '%s': %s",
				     where, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "%s: token file '%s' is not a regular file",
				   where, path);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "token file '%s' has mode %04o: group and others must have no access to it (chmod 600 '%s')",
				   path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || b.len + (size_t)n > 65536) {
			rc = roger_err_set(err, ROGER_EINVALID,
					   "%s: cannot read token file '%s': %s",
					   where, path,
					   n < 0 ? strerror(errno) : "larger than 64 KiB");
			goto out;
		}
		if (roger_buf_add(&b, chunk, (size_t)n) < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	while (b.len > 0 && (unsigned char)b.buf[b.len - 1] <= ' ')
		b.len--;
	b.buf[b.len] = '\0';
	while (start < b.len && (unsigned char)b.buf[start] <= ' ')
		start++;
	for (size_t i = start; i < b.len; i++) {
		if ((unsigned char)b.buf[i] < ' ' || b.buf[i] == 0x7f) {
			rc = roger_err_set(err, ROGER_EINVALID,
					   "token file '%s' holds control characters or several lines",
					   path);
			goto out;
		}
	}
	if (start == b.len) {
		rc = roger_err_set(err, ROGER_EINVALID, "token file '%s' is empty",
				   path);
		goto out;
	}
	*out = strdup(b.buf + start);
	if (!*out)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
out:
	if (b.alloc)
		explicit_bzero(b.buf, b.alloc);
	roger_buf_release(&b);
	close(fd);
	return rc;
}

/* The credentials from the user config's `auth` object (validated). */
static int config_auth(struct roger_target *t, const struct roger_ctx *ctx,
		       const struct roger_user_config *uc, const json_t *auth,
		       const char *env_password, struct roger_err *err)
{
	char where[512];
	const char *s;
	char *dir = NULL, *file = NULL;
	int rc;

	snprintf(where, sizeof(where), "%s: targets.%s.auth", uc->path, t->name);
	if ((s = json_string_value(json_object_get(auth, "user")))) {
		t->auth.kind = ROGER_AUTH_BASIC;
		if ((rc = set_string(&t->auth.user, s, err)) < 0)
			return rc;
		if (env_password)
			return set_string(&t->auth.password, env_password, err);
		strncat(where, ".password_env", sizeof(where) - strlen(where) - 1);
		return secret_from_env(&t->auth.password, ctx,
				       json_string_value(json_object_get(auth, "password_env")),
				       where, err);
	}
	if (env_password)
		return roger_err_set(err, ROGER_EINVALID,
				     "ROGER_PASSWORD is set but ROGER_USER is not, and target '%s' has no user",
				     t->name);
	if ((s = json_string_value(json_object_get(auth, "token_env")))) {
		t->auth.kind = ROGER_AUTH_TOKEN;
		strncat(where, ".token_env", sizeof(where) - strlen(where) - 1);
		return secret_from_env(&t->auth.token, ctx, s, where, err);
	}
	if (json_is_true(json_object_get(auth, "netrc"))) {
		t->auth.kind = ROGER_AUTH_NETRC;
		s = json_string_value(json_object_get(auth, "netrc_file"));
		if (!s)
			return 0;
		dir = dir_of(uc->path);
		t->auth.netrc_file = dir ? expand_file(ctx, dir, s) : NULL;
		free(dir);
		return t->auth.netrc_file ? 0 : roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	if ((s = json_string_value(json_object_get(auth, "token_file")))) {
		t->auth.kind = ROGER_AUTH_TOKEN;
		dir = dir_of(uc->path);
		file = dir ? expand_file(ctx, dir, s) : NULL;
		free(dir);
		if (!file)
			return roger_err_set(err, ROGER_ENOMEM, "out of memory");
		strncat(where, ".token_file", sizeof(where) - strlen(where) - 1);
		rc = read_token_file(&t->auth.token, file, where, err);
		free(file);
		return rc;
	}
	return 0;
}

/* Credentials: ROGER_TOKEN, or ROGER_USER and ROGER_PASSWORD, else the config's. */
static int resolve_auth(struct roger_target *t, const struct roger_ctx *ctx,
			const struct roger_user_config *uc, const json_t *auth,
			struct roger_err *err)
{
	const char *token = roger_ctx_getenv(ctx, "ROGER_TOKEN");
	const char *user = roger_ctx_getenv(ctx, "ROGER_USER");
	const char *password = roger_ctx_getenv(ctx, "ROGER_PASSWORD");
	int rc;

	if (token && (user || password))
		return roger_err_set(err, ROGER_EINVALID,
				     "set either ROGER_TOKEN or ROGER_USER and ROGER_PASSWORD, not both");
	if (token) {
		t->auth.kind = ROGER_AUTH_TOKEN;
		return set_string(&t->auth.token, token, err);
	}
	if (user) {
		if (!password)
			return roger_err_set(err, ROGER_EINVALID,
					     "ROGER_USER is set but ROGER_PASSWORD is not");
		if (strchr(user, ':'))
			return roger_err_set(err, ROGER_EINVALID,
					     "ROGER_USER: a user name must not contain ':'");
		t->auth.kind = ROGER_AUTH_BASIC;
		if ((rc = set_string(&t->auth.user, user, err)) < 0)
			return rc;
		return set_string(&t->auth.password, password, err);
	}
	if (auth && json_is_object(auth))
		return config_auth(t, ctx, uc, auth, password, err);
	if (password)
		return roger_err_set(err, ROGER_EINVALID,
				     "ROGER_PASSWORD is set but ROGER_USER is not");
	return 0;
}

/* ROGER_MARATHON_URL (comma-separated), ROGER_MESOS_URL, ... over `t`. */
static int apply_env_urls(struct roger_target *t, const struct roger_ctx *ctx,
			  struct roger_err *err)
{
	const char *m = roger_ctx_getenv(ctx, "ROGER_MARATHON_URL");
	const char *s;
	int rc;

	if (m) {
		for (size_t i = 0; i < t->n_marathon; i++)
			free(t->marathon[i]);
		t->n_marathon = 0;
		while (*m) {
			size_t len = strcspn(m, ",");
			char *item = strndup(m, len);
			char *a = item, *z;

			if (!item)
				return roger_err_set(err, ROGER_ENOMEM, "out of memory");
			while (*a == ' ' || *a == '\t')
				a++;
			z = a + strlen(a);
			while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
				*--z = '\0';
			rc = *a ? add_marathon(t, a, "ROGER_MARATHON_URL", err)
				: roger_err_set(err, ROGER_EINVALID,
						"ROGER_MARATHON_URL: empty URL in the comma-separated list");
			free(item);
			if (rc < 0)
				return rc;
			m += len;
			if (*m == ',')
				m++;
		}
		if (t->n_marathon == 0)
			return roger_err_set(err, ROGER_EINVALID,
					     "ROGER_MARATHON_URL: no URL in it");
	}
	if ((s = roger_ctx_getenv(ctx, "ROGER_MESOS_URL")) &&
	    (rc = set_url(&t->mesos, s, URL_BASE, "ROGER_MESOS_URL", err)) < 0)
		return rc;
	if ((s = roger_ctx_getenv(ctx, "ROGER_ARTIFACTS_URL")) &&
	    (rc = set_url(&t->artifacts, s, URL_ARTIFACTS, "ROGER_ARTIFACTS_URL",
			  err)) < 0)
		return rc;
	if ((s = roger_ctx_getenv(ctx, "ROGER_CA_FILE")) &&
	    (rc = set_string(&t->ca_file, s, err)) < 0)
		return rc;
	return 0;
}

static int unknown_target(const struct roger_user_config *uc,
			  const char *name, const char *source,
			  struct roger_err *err)
{
	const char **names = NULL;
	const char *best = NULL;
	size_t n = 0;
	int rc;

	if (roger_user_config_target_names(uc, &names, &n) == 0)
		best = roger_suggest(name, names, n);
	if (best)
		rc = roger_err_set(err, ROGER_EINVALID,
				   "unknown target '%s' (from %s), did you mean '%s'?",
				   name, source, best);
	else
		rc = roger_err_set(err, ROGER_EINVALID,
				   "unknown target '%s' (from %s): define it under 'targets' in '%s', or set ROGER_MARATHON_URL",
				   name, source, uc ? uc->path : "the user config");
	free(names);
	return rc;
}

int roger_target_resolve(struct roger_target **out, struct roger_ctx *ctx,
			 const struct roger_user_config *uc,
			 const char *flag_name, const char *env_target,
			 struct roger_err *err)
{
	json_t *targets = uc ? json_object_get(uc->root, "targets") : NULL;
	const char *env_url = roger_ctx_getenv(ctx, "ROGER_MARATHON_URL");
	const char *name, *source = NULL;
	struct roger_target *t = NULL;
	json_t *def = NULL;
	int rc;

	if ((name = flag_name))
		source = "-t";
	else if ((name = roger_ctx_getenv(ctx, "ROGER_TARGET")))
		source = "ROGER_TARGET";
	else if ((name = env_target))
		source = "the environment in roger.json";
	else if ((name = uc ? uc->default_target : NULL))
		source = "default_target";
	else
		name = env_url ? ROGER_ENV_TARGET : "local";

	t = calloc(1, sizeof(*t));
	if (!t)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if ((rc = set_string(&t->name, name, err)) < 0)
		goto out;
	def = json_object_get(targets, name);
	if (!strcmp(name, "local") && (source || !env_url))
		rc = local_target(t, ctx, uc, err);
	else if (def)
		rc = config_target(t, ctx, uc, def, err);
	else if (env_url)
		t->origin = "environment";
	else
		rc = unknown_target(uc, name, source, err);
	if (rc < 0)
		goto out;
	if (!t->is_local &&
	    ((rc = apply_env_urls(t, ctx, err)) < 0 ||
	     (rc = resolve_auth(t, ctx, uc, json_object_get(def, "auth"), err)) < 0))
		goto out;
	if (t->ca_file && access(t->ca_file, R_OK) < 0) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "cannot read the CA file '%s' of target '%s': %s",
				   t->ca_file, t->name, strerror(errno));
		goto out;
	}
	roger_debug(ctx, "target '%s' (%s), Marathon at %s", t->name, t->origin,
		    t->marathon[0]);
	*out = t;
	t = NULL;
out:
	roger_target_free(t);
	return rc;
}
