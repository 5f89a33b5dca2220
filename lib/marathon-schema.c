/*
 * marathon-schema.c - the Marathon app definition as a data table, and the
 * walk that checks roger.json's `marathon` fragments against it.
 *
 * Design: one `struct field` per member of an object Marathon reads in an
 * app (the top level, container, container.docker, healthChecks[] and so
 * on), grouped in a `struct shape` per object.  A field says which JSON
 * types its value may have, and then, by kind: the shape of an object,
 * the `item` that describes each element of an array (or each member of
 * an object whose keys are free, such as labels), the words a string may
 * be, a number's range, or a check function for what a table cannot say
 * (the secret rules of env, constraints).  The walk is generic.
 *
 * The table is the union of Marathon 1.4 to 1.10: the fields of the app
 * RAML types and of 1.4's JSON readers, as api/MARATHON-MESOS.md and
 * api/MESOS-CONTAINERS.md describe them (1.4's docker.network and
 * docker.portMappings, 1.5's networks and container.portMappings, 1.9's
 * role, 1.10's resourceLimits...), checked against every app of the
 * contract's fixtures (tests/check_config.c).  Marathon ignores a key it
 * does not know, so a typo (`instnaces`) would deploy silently: here it
 * is an error with a "did you mean".  A field newer than the table passes
 * with --no-schema-check (c->lenient).  The fields Marathon only reports
 * (tasksRunning, versionInfo...) are refused with that reason, since a
 * definition copied from `GET /v2/apps` brings them along.
 *
 * Ranges and word lists are the contract's where it states them; where a
 * Marathon version might take a value the others refuse, the table takes
 * it and lets Marathon answer.  A string holding a {{ variable }} is not
 * compared with a word list: its value is known only when rendered.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "marathon-schema.h"
#include "project.h"
#include "schema.h"
#include "secret.h"
#include "spec.h"
#include "str.h"
#include "util.h"

struct shape;

enum field_flags {
	F_MAP = 1 << 0, /* an object of free keys: `item` for each value */
	F_READ_ONLY = 1 << 1, /* Marathon reports it; a definition has none */
};

struct field {
	const char *name; /* NULL for an `item` */
	unsigned types; /* enum roger_json_types */
	const struct shape *shape; /* an object: its members */
	const struct field *item; /* an array's elements; F_MAP: the values */
	const char *choices; /* a string is one of these, blank separated */
	double min, max; /* a number's range, when min < max */
	/* Then this, for what the table cannot say. */
	int (*check)(struct roger_schema *c, const json_t *v, bool overlay);
	unsigned flags; /* enum field_flags */
};

struct shape {
	const struct field *fields;
	size_t n;
	const char *required; /* a member every element of an array must have */
};

#define SHAPE(name, fields_, req)                                              \
	static const struct shape name = { fields_, ROGER_ARRAY_SIZE(fields_), \
					   req }

#define T_OBJ ROGER_JSON_OBJECT
#define T_ARR ROGER_JSON_ARRAY
#define T_STR ROGER_JSON_STRING
#define T_INT ROGER_JSON_INTEGER
#define T_NUM ROGER_JSON_NUMBER
#define T_BOOL ROGER_JSON_BOOL

/* The largest number the ranges below allow where Marathon sets none. */
#define BIG 1e15

#define STR(n)                              \
	{                                   \
		.name = (n), .types = T_STR \
	}
#define BOOL(n)                              \
	{                                    \
		.name = (n), .types = T_BOOL \
	}
#define WORD(n, words)                                          \
	{                                                       \
		.name = (n), .types = T_STR, .choices = (words) \
	}
#define INT(n, lo, hi)                                                \
	{                                                             \
		.name = (n), .types = T_INT, .min = (lo), .max = (hi) \
	}
#define NUM(n, lo, hi)                                                \
	{                                                             \
		.name = (n), .types = T_NUM, .min = (lo), .max = (hi) \
	}
#define SECONDS(n) INT(n, 0, BIG)
#define PORT(n) INT(n, 0, 65535)
#define OBJ(n, s)                                          \
	{                                                  \
		.name = (n), .types = T_OBJ, .shape = &(s) \
	}
#define ARR(n, it)                                         \
	{                                                  \
		.name = (n), .types = T_ARR, .item = &(it) \
	}
#define MAP(n, it)                                                         \
	{                                                                  \
		.name = (n), .types = T_OBJ, .item = &(it), .flags = F_MAP \
	}
#define RO(n, t)                                                \
	{                                                       \
		.name = (n), .types = (t), .flags = F_READ_ONLY \
	}

#define PROTOCOLS "tcp udp udp,tcp tcp,udp"

/* ---- checks the table cannot express ------------------------------------- */

static int check_env_value(struct roger_schema *c, const char *name,
			   const json_t *v)
{
	const char *s;
	json_t *ref;

	if (json_is_object(v)) {
		ref = json_object_get(v, "secret");
		if (!ref || json_object_size(v) != 1)
			return roger_schema_fail(
				c,
				"expected a string or a secret reference {\"secret\": \"NAME\"}");
		return roger_schema_expect_member(c, "secret", ref,
						  ROGER_JSON_STRING);
	}
	if (!json_is_string(v))
		return roger_schema_fail(
			c,
			"expected a string or a secret reference {\"secret\": \"NAME\"}, got %s",
			roger_spec_type_name(v));
	s = json_string_value(v);
	if (roger_spec_has_var(s))
		return 0;
	if (roger_secret_url_has_password(s))
		return roger_schema_fail(
			c,
			"the URL holds a password, and roger.json is committed with the code; write the password as a {{ variable }} set with --var or ROGER_VAR_<name>, or use a Marathon secret {\"secret\": \"NAME\"}");
	if (roger_config_name_is_secret(name, false) &&
	    !roger_secret_value_harmless(s))
		return roger_schema_fail(
			c,
			"this looks like a secret, and roger.json is committed with the code; use a Marathon secret {\"secret\": \"NAME\"} or a {{ variable }} set with --var or ROGER_VAR_<name>");
	return 0;
}

/* env: each value a string or a secret reference, following secret.h. */
static int check_env(struct roger_schema *c, const json_t *v, bool overlay)
{
	const char *key;
	json_t *val;
	int rc = 0;

	json_object_foreach((json_t *)v, key, val) {
		size_t mark = roger_schema_push_key(c, key);

		if (!(overlay && json_is_null(val)))
			rc = check_env_value(c, key, val);
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int roger_schema_env(struct roger_schema *c, const json_t *v, unsigned flags)
{
	return check_env(c, v, (flags & ROGER_SCHEMA_OVERLAY) != 0);
}

/* constraints: each one [field, operator] or [field, operator, value]. */
static int check_constraints(struct roger_schema *c, const json_t *v,
			     bool overlay)
{
	json_t *item;
	size_t i;
	int rc = 0;

	(void)overlay;
	json_array_foreach(v, i, item) {
		size_t mark = roger_schema_push_index(c, i);

		rc = roger_schema_expect_strings(c, item, true);
		if (rc == 0 &&
		    (json_array_size(item) < 2 || json_array_size(item) > 3))
			rc = roger_schema_fail(
				c,
				"expected [field, operator] or [field, operator, value], got %zu elements",
				json_array_size(item));
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

static const struct field string_item = { .types = T_STR };
static const struct field port_item = { .types = T_INT,
					.min = 0,
					.max = 65535 };
static const struct field status_code_item = { .types = T_INT,
					       .min = 100,
					       .max = 999 };
static const struct field constraint_item = { .types = T_ARR };

/* labels and other maps of strings */
static const struct field labels_item = { .types = T_STR };

static const struct field upgrade_strategy_fields[] = {
	NUM("maximumOverCapacity", 0, 1),
	NUM("minimumHealthCapacity", 0, 1),
};
SHAPE(upgrade_strategy, upgrade_strategy_fields, NULL);

static const struct field unreachable_strategy_fields[] = {
	SECONDS("expungeAfterSeconds"),
	SECONDS("inactiveAfterSeconds"),
};
SHAPE(unreachable_strategy, unreachable_strategy_fields, NULL);

static const struct field residency_fields[] = {
	SECONDS("relaunchEscalationTimeoutSeconds"),
	WORD("taskLostBehavior", "WAIT_FOREVER RELAUNCH_AFTER_TIMEOUT"),
};
SHAPE(residency, residency_fields, NULL);

/* resourceLimits (1.10): a number, or "unlimited". */
static const struct field resource_limits_fields[] = {
	{ .name = "cpus",
	  .types = T_NUM | T_STR,
	  .choices = "unlimited",
	  .min = 0,
	  .max = BIG },
	{ .name = "mem",
	  .types = T_NUM | T_STR,
	  .choices = "unlimited",
	  .min = 0,
	  .max = BIG },
};
SHAPE(resource_limits, resource_limits_fields, NULL);

static const struct field fetch_fields[] = {
	BOOL("cache"),   STR("destPath"), BOOL("executable"),
	BOOL("extract"), STR("uri"),
};
SHAPE(fetch_shape, fetch_fields, "uri");
static const struct field fetch_item = { .types = T_OBJ,
					 .shape = &fetch_shape };

static const struct field port_definition_fields[] = {
	MAP("labels", labels_item),
	STR("name"),
	PORT("port"),
	WORD("protocol", PROTOCOLS),
};
SHAPE(port_definition, port_definition_fields, NULL);
static const struct field port_definition_item = { .types = T_OBJ,
						   .shape = &port_definition };

static const struct field port_mapping_fields[] = {
	PORT("containerPort"),
	PORT("hostPort"),
	MAP("labels", labels_item),
	STR("name"),
	ARR("networkNames", string_item),
	WORD("protocol", PROTOCOLS),
	PORT("servicePort"),
};
SHAPE(port_mapping, port_mapping_fields, NULL);
static const struct field port_mapping_item = { .types = T_OBJ,
						.shape = &port_mapping };

static const struct field network_fields[] = {
	MAP("labels", labels_item),
	WORD("mode", "host container/bridge container"),
	STR("name"),
};
SHAPE(network, network_fields, NULL);
static const struct field network_item = { .types = T_OBJ, .shape = &network };

static const struct field health_command_fields[] = {
	STR("value"),
};
SHAPE(health_command, health_command_fields, NULL);

static const struct field health_check_fields[] = {
	OBJ("command", health_command),
	SECONDS("delaySeconds"),
	SECONDS("gracePeriodSeconds"),
	BOOL("ignoreHttp1xx"),
	SECONDS("intervalSeconds"),
	WORD("ipProtocol", "IPv4 IPv6"),
	INT("maxConsecutiveFailures", 0, BIG),
	STR("path"),
	PORT("port"),
	INT("portIndex", 0, BIG),
	WORD("protocol",
	     "HTTP HTTPS TCP COMMAND MESOS_HTTP MESOS_HTTPS MESOS_TCP"),
	SECONDS("timeoutSeconds"),
};
SHAPE(health_check, health_check_fields, NULL);
static const struct field health_check_item = { .types = T_OBJ,
						.shape = &health_check };

static const struct field readiness_check_fields[] = {
	ARR("httpStatusCodesForReady", status_code_item),
	SECONDS("intervalSeconds"),
	STR("name"),
	STR("path"),
	STR("portName"),
	BOOL("preserveLastResponse"),
	WORD("protocol", "HTTP HTTPS"),
	SECONDS("timeoutSeconds"),
};
SHAPE(readiness_check, readiness_check_fields, NULL);
static const struct field readiness_check_item = { .types = T_OBJ,
						   .shape = &readiness_check };

/* check (Mesos checks of an app, 1.6+) */
static const struct field mesos_command_fields[] = {
	ARR("argv", string_item),
	STR("shell"),
};
SHAPE(mesos_command, mesos_command_fields, NULL);

static const struct field check_exec_fields[] = {
	OBJ("command", mesos_command),
};
SHAPE(check_exec, check_exec_fields, NULL);

static const struct field check_http_fields[] = {
	STR("path"),
	INT("portIndex", 0, BIG),
	WORD("scheme", "HTTP HTTPS"),
};
SHAPE(check_http, check_http_fields, NULL);

static const struct field check_tcp_fields[] = {
	INT("portIndex", 0, BIG),
};
SHAPE(check_tcp, check_tcp_fields, NULL);

static const struct field app_check_fields[] = {
	SECONDS("delaySeconds"), OBJ("exec", check_exec),
	OBJ("http", check_http), SECONDS("intervalSeconds"),
	OBJ("tcp", check_tcp),   SECONDS("timeoutSeconds"),
};
SHAPE(app_check, app_check_fields, NULL);

/* ipAddress (1.4's IP per task, deprecated) */
static const struct field discovery_port_fields[] = {
	MAP("labels", labels_item),
	STR("name"),
	PORT("number"),
	WORD("protocol", PROTOCOLS),
};
SHAPE(discovery_port, discovery_port_fields, NULL);
static const struct field discovery_port_item = { .types = T_OBJ,
						  .shape = &discovery_port };

static const struct field discovery_fields[] = {
	ARR("ports", discovery_port_item),
};
SHAPE(discovery, discovery_fields, NULL);

static const struct field ip_address_fields[] = {
	OBJ("discovery", discovery),
	ARR("groups", string_item),
	MAP("labels", labels_item),
	STR("networkName"),
};
SHAPE(ip_address, ip_address_fields, NULL);

static const struct field secret_fields[] = {
	STR("source"),
};
SHAPE(secret_shape, secret_fields, NULL);
static const struct field secret_item = { .types = T_OBJ,
					  .shape = &secret_shape };

/* container */
static const struct field docker_parameter_fields[] = {
	STR("key"),
	STR("value"),
};
SHAPE(docker_parameter, docker_parameter_fields, NULL);
static const struct field docker_parameter_item = { .types = T_OBJ,
						    .shape =
							    &docker_parameter };

static const struct field docker_credential_fields[] = {
	STR("principal"),
	STR("secret"),
};
SHAPE(docker_credential, docker_credential_fields, NULL);

static const struct field pull_config_fields[] = {
	STR("secret"),
};
SHAPE(pull_config, pull_config_fields, NULL);

static const struct field docker_fields[] = {
	OBJ("credential", docker_credential),
	BOOL("forcePullImage"),
	STR("image"),
	WORD("network", "BRIDGE HOST NONE USER"),
	ARR("parameters", docker_parameter_item),
	ARR("portMappings", port_mapping_item),
	BOOL("privileged"),
	OBJ("pullConfig", pull_config),
};
SHAPE(docker, docker_fields, NULL);

static const struct field appc_fields[] = {
	BOOL("forcePullImage"),
	STR("id"),
	STR("image"),
	MAP("labels", labels_item),
};
SHAPE(appc, appc_fields, NULL);

static const struct field persistent_fields[] = {
	{ .name = "constraints",
	  .types = T_ARR,
	  .item = &constraint_item,
	  .check = check_constraints },
	INT("maxSize", 0, BIG),
	STR("profileName"),
	INT("size", 0, BIG),
	WORD("type", "root path mount"),
};
SHAPE(persistent, persistent_fields, NULL);

static const struct field external_fields[] = {
	STR("name"),    MAP("options", labels_item), STR("provider"),
	BOOL("shared"), INT("size", 0, BIG),
};
SHAPE(external, external_fields, NULL);

static const struct field volume_fields[] = {
	STR("containerPath"),  OBJ("external", external),     STR("hostPath"),
	WORD("mode", "RO RW"), OBJ("persistent", persistent), STR("secret"),
};
SHAPE(volume, volume_fields, NULL);
static const struct field volume_item = { .types = T_OBJ, .shape = &volume };

static const struct field seccomp_fields[] = {
	STR("profileName"),
	BOOL("unconfined"),
};
SHAPE(seccomp, seccomp_fields, NULL);

static const struct field ipc_info_fields[] = {
	WORD("mode", "PRIVATE SHARE_PARENT"),
	INT("shmSize", 0, BIG),
};
SHAPE(ipc_info, ipc_info_fields, NULL);

static const struct field linux_info_fields[] = {
	OBJ("ipcInfo", ipc_info),
	OBJ("seccomp", seccomp),
};
SHAPE(linux_info, linux_info_fields, NULL);

static const struct field container_fields[] = {
	OBJ("appc", appc),
	OBJ("docker", docker),
	OBJ("linuxInfo", linux_info),
	ARR("portMappings", port_mapping_item),
	WORD("type", "DOCKER MESOS"),
	ARR("volumes", volume_item),
};
SHAPE(container, container_fields, NULL);

/* The app.  `id` and `version` are refused before the table is used. */
static const struct field app_fields[] = {
	ARR("acceptedResourceRoles", string_item),
	ARR("args", string_item),
	NUM("backoffFactor", 1, BIG),
	NUM("backoffSeconds", 0, BIG),
	OBJ("check", app_check),
	STR("cmd"),
	{ .name = "constraints",
	  .types = T_ARR,
	  .item = &constraint_item,
	  .check = check_constraints },
	OBJ("container", container),
	NUM("cpus", 0, BIG),
	RO("deployments", T_ARR),
	ARR("dependencies", string_item),
	NUM("disk", 0, BIG),
	{ .name = "env", .types = T_OBJ, .check = check_env },
	STR("executor"),
	ARR("fetch", fetch_item),
	NUM("gpus", 0, BIG),
	ARR("healthChecks", health_check_item),
	INT("instances", 0, BIG),
	OBJ("ipAddress", ip_address),
	WORD("killSelection", "YOUNGEST_FIRST OLDEST_FIRST"),
	MAP("labels", labels_item),
	RO("lastTaskFailure", T_OBJ),
	NUM("maxLaunchDelaySeconds", 0, BIG),
	NUM("mem", 0, BIG),
	ARR("networks", network_item),
	ARR("portDefinitions", port_definition_item),
	ARR("ports", port_item),
	RO("readinessCheckResults", T_ARR),
	ARR("readinessChecks", readiness_check_item),
	BOOL("requirePorts"),
	OBJ("residency", residency),
	OBJ("resourceLimits", resource_limits),
	STR("role"),
	MAP("secrets", secret_item),
	ARR("storeUrls", string_item),
	NUM("taskKillGracePeriodSeconds", 0, BIG),
	RO("taskStats", T_OBJ),
	RO("tasks", T_ARR),
	RO("tasksHealthy", T_INT),
	RO("tasksRunning", T_INT),
	RO("tasksStaged", T_INT),
	RO("tasksUnhealthy", T_INT),
	BOOL("tty"),
	{ .name = "unreachableStrategy",
	  .types = T_OBJ | T_STR,
	  .shape = &unreachable_strategy,
	  .choices = "disabled" },
	OBJ("upgradeStrategy", upgrade_strategy),
	ARR("uris", string_item),
	STR("user"),
	RO("versionInfo", T_OBJ),
};
SHAPE(app, app_fields, NULL);

/* ---- the walk ------------------------------------------------------------- */

static const struct field *find_field(const struct shape *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->fields[i].name, key))
			return &s->fields[i];
	return NULL;
}

/* Refuse member `key` of an object of shape `s`, which `f` describes (or none).
 */
static int refuse(struct roger_schema *c, const struct shape *s,
		  const char *key, const struct field *f)
{
	const char *known[64];
	const char *best;
	size_t n = 0;
	size_t mark;
	int rc;

	if (f) {
		mark = roger_schema_push_key(c, key);
		rc = roger_schema_fail(
			c,
			"Marathon reports this field, an app definition does not set it; remove it");
		roger_schema_pop(c, mark);
		return rc;
	}
	for (size_t i = 0; i < s->n && n < ROGER_ARRAY_SIZE(known); i++)
		if (!(s->fields[i].flags & F_READ_ONLY))
			known[n++] = s->fields[i].name;
	best = roger_suggest(key, known, n);
	if (best)
		return roger_schema_fail(
			c,
			"unknown Marathon app field '%s', did you mean '%s'?",
			key, best);
	return roger_schema_fail(
		c,
		"unknown Marathon app field '%s' (no Marathon from 1.4 to 1.10 has it; --no-schema-check lets a newer one through)",
		key);
}

static int check_value(struct roger_schema *c, const struct field *f,
		       const json_t *v, bool overlay);

static int check_object(struct roger_schema *c, const struct shape *s,
			const json_t *v, bool overlay)
{
	const struct field *f;
	const char *key;
	json_t *val;
	size_t mark;
	int rc;

	json_object_foreach((json_t *)v, key, val) {
		if (overlay && json_is_null(val))
			continue;
		f = find_field(s, key);
		if (!f || (f->flags & F_READ_ONLY)) {
			if (c->lenient)
				continue;
			return refuse(c, s, key, f);
		}
		mark = roger_schema_push_key(c, key);
		rc = check_value(c, f, val, overlay);
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	if (s->required && !overlay && !json_object_get(v, s->required))
		return roger_schema_fail(c, "missing '%s'", s->required);
	return 0;
}

/* A string is one of the blank separated `words`. */
static int check_choice(struct roger_schema *c, const char *words,
			const char *s)
{
	size_t len = strlen(s);

	if (roger_spec_has_var(s))
		return 0;
	for (const char *w = words; *w;) {
		size_t n = strcspn(w, " ");

		if (n == len && !memcmp(w, s, n))
			return 0;
		w += n;
		w += strspn(w, " ");
	}
	return roger_schema_fail(c, "expected one of %s, got '%s'", words, s);
}

static int check_members(struct roger_schema *c, const struct field *f,
			 const json_t *v, bool overlay)
{
	const char *key;
	json_t *val;
	int rc = 0;

	json_object_foreach((json_t *)v, key, val) {
		size_t mark;

		if (overlay && json_is_null(val))
			continue;
		mark = roger_schema_push_key(c, key);
		rc = check_value(c, f->item, val, overlay);
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Arrays replace what they merge over: their elements are no overlay. */
static int check_elements(struct roger_schema *c, const struct field *f,
			  const json_t *v)
{
	json_t *item;
	size_t i;
	int rc = 0;

	json_array_foreach(v, i, item) {
		size_t mark = roger_schema_push_index(c, i);

		rc = check_value(c, f->item, item, false);
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_value(struct roger_schema *c, const struct field *f,
		       const json_t *v, bool overlay)
{
	int rc = roger_schema_expect(c, v, f->types);

	if (rc == 0 && f->choices && json_is_string(v))
		rc = check_choice(c, f->choices, json_string_value(v));
	if (rc == 0 && f->min < f->max && json_is_number(v))
		rc = roger_schema_expect_range(
			c, v, !(f->types & ROGER_JSON_REAL), f->min, f->max);
	if (rc == 0 && f->shape && json_is_object(v))
		rc = check_object(c, f->shape, v, overlay);
	if (rc == 0 && f->item && (f->flags & F_MAP) && json_is_object(v))
		rc = check_members(c, f, v, overlay);
	if (rc == 0 && f->item && json_is_array(v))
		rc = check_elements(c, f, v);
	if (rc == 0 && f->check)
		rc = f->check(c, v, overlay);
	return rc;
}

int roger_marathon_schema_check(struct roger_schema *c, const json_t *v,
				bool overlay)
{
	int rc = roger_schema_expect(c, v, ROGER_JSON_OBJECT);

	if (rc < 0)
		return rc;
	return check_object(c, &app, v, overlay);
}
