/*
 * target.c - the user configuration and the targets it defines, resolved
 * with the environment variables into the target a command talks to.
 *
 * Design: the user config is validated completely when loaded (schema.c's
 * walk, over the tables of keys below), so that resolving a target only
 * chooses a name, copies settings, applies the ROGER_* variables and reads
 * the secrets (secret.c).  URLs are normalised once, here: Marathon and
 * Mesos URLs without a trailing '/', the artifact store's with one.  File
 * names in the user config are relative to its directory, or to $HOME with
 * "~/".
 */
#include <config.h>

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "address.h"
#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "local/local.h"
#include "oci.h"
#include "schema.h"
#include "secret.h"
#include "spec.h"
#include "str.h"
#include "target.h"
#include "util.h"

/* ---- URLs and file names ------------------------------------------------ */

enum url_kind {
	URL_BASE, /* Marathon, Mesos: http(s), no trailing '/' */
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
			snprintf(why, size,
				 "it holds a space or a control character");
			return ROGER_EINVALID;
		}
		if (*p == '?' || *p == '#') {
			snprintf(why, size,
				 "a base URL takes no query or fragment ('%c')",
				 *p);
			return ROGER_EINVALID;
		}
	}
	if (file ? rest[0] != '/' : (rest[0] == '/' || rest[0] == '\0')) {
		snprintf(why, size,
			 file ? "expected an absolute path: file:///path/"
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
static int check_url(struct roger_schema *c, const json_t *v,
		     enum url_kind kind)
{
	char why[160];
	char *norm = NULL;
	int rc = normalize_url(&norm, json_string_value(v), kind, why,
			       sizeof(why));

	free(norm);
	if (rc == ROGER_ENOMEM)
		return roger_err_set(c->err, rc, "out of memory");
	if (rc < 0)
		return roger_schema_fail(c, "invalid URL '%s': %s",
					 json_string_value(v), why);
	return 0;
}

/* What a registry URL is made of (registry_url_split). */
struct registry_url {
	char *url; /* "https://host:port": the API base */
	char *host; /* "host:port": how image references name it */
	char *prefix; /* "team/web": repositories go under it; "" for none */
};

static void registry_url_release(struct registry_url *r)
{
	free(r->url);
	free(r->host);
	free(r->prefix);
	memset(r, 0, sizeof(*r));
}

/*
 * Split "http(s)://host[:port][/prefix]" (a registry URL of the user
 * config or ROGER_REGISTRY_URL); ROGER_EINVALID with the reason in `why`.
 * The host must be one that image references can name: with a '.' or a
 * port, or "localhost" (else Docker and Mesos read "host/repo" as a
 * repository of Docker Hub).
 */
static int registry_url_split(struct registry_url *out, const char *in,
			      char *why, size_t size)
{
	struct registry_url r = { 0 };
	const char *host, *path;
	size_t scheme, n;

	if (!strncasecmp(in, "http://", 7))
		scheme = 7;
	else if (!strncasecmp(in, "https://", 8))
		scheme = 8;
	else {
		snprintf(why, size, "expected an http:// or https:// URL");
		return ROGER_EINVALID;
	}
	host = in + scheme;
	n = strcspn(host, "/");
	path = host + n;
	while (*path == '/')
		path++;
	if (!n || strpbrk(in, "?#@ \t")) {
		snprintf(
			why, size,
			!n ? "the host is missing"
			   : "a registry URL takes no user, query or fragment");
		return ROGER_EINVALID;
	}
	if (!memchr(host, '.', n) && !memchr(host, ':', n) &&
	    !(n == 9 && !strncasecmp(host, "localhost", 9))) {
		snprintf(
			why, size,
			"image references cannot name host '%.*s': use a name with a '.', add the port, or use localhost",
			(int)n, host);
		return ROGER_EINVALID;
	}
	r.url = strndup(in, scheme + n);
	r.host = strndup(host, n);
	r.prefix = strdup(path);
	if (!r.url || !r.host || !r.prefix) {
		registry_url_release(&r);
		snprintf(why, size, "out of memory");
		return ROGER_ENOMEM;
	}
	for (char *p = r.host; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	n = strlen(r.prefix);
	while (n > 0 && r.prefix[n - 1] == '/')
		r.prefix[--n] = '\0';
	if (n && !roger_image_repository_valid(r.prefix)) {
		snprintf(
			why, size,
			"'%s' is not a repository path: lower-case letters and digits, with '.', '_' or '-' between them, joined by '/'",
			r.prefix);
		registry_url_release(&r);
		return ROGER_EINVALID;
	}
	*out = r;
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

/* ---- user configuration ------------------------------------------------- */

static bool env_name_valid(const char *s)
{
	return roger_spec_var_name_valid(s);
}

static int check_auth(struct roger_schema *c, const json_t *v, unsigned flags)
{
	static const char *const known[] = {
		"netrc",     "netrc_file", "password_env",
		"token_env", "token_file", "user",
	};
	const char *key, *form = NULL;
	json_t *val;
	int rc;

	(void)flags;
	if (json_is_null(v))
		return 0;
	json_object_foreach((json_t *)v, key, val) {
		size_t mark = roger_schema_push_key(c, key);
		bool found = false;
		const char *this_form = key;

		for (size_t i = 0; i < ROGER_ARRAY_SIZE(known); i++)
			found = found || !strcmp(key, known[i]);
		if (!strcmp(key, "password") || !strcmp(key, "token")) {
			rc = roger_schema_fail(
				c,
				"roger does not read literal secrets from its configuration; name an environment variable with '%s_env'%s",
				key,
				strcmp(key, "token")
					? ""
					: " or a file with 'token_file'");
		} else if (!found) {
			roger_schema_pop(c, mark);
			return roger_schema_unknown_key(
				c, key, known, ROGER_ARRAY_SIZE(known));
		} else if (!strcmp(key, "netrc")) {
			rc = roger_schema_expect(c, val, ROGER_JSON_BOOL);
		} else {
			rc = roger_schema_expect(c, val, ROGER_JSON_STRING);
			if (rc == 0 && strstr(key, "_env") &&
			    !env_name_valid(json_string_value(val)))
				rc = roger_schema_fail(
					c,
					"invalid environment variable name '%s'",
					json_string_value(val));
			if (rc == 0 && !*json_string_value(val))
				rc = roger_schema_fail(
					c, "expected a non-empty string");
		}
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
		if (!strcmp(key, "password_env"))
			this_form = "user";
		else if (!strcmp(key, "netrc_file"))
			this_form = "netrc";
		if (form && strcmp(form, this_form))
			return roger_schema_fail(
				c,
				"'%s' and '%s' are two different forms; use one of {\"user\", \"password_env\"}, {\"token_env\"}, {\"token_file\"} or {\"netrc\": true}",
				form, this_form);
		form = this_form;
	}
	if (!form)
		return roger_schema_fail(
			c,
			"empty; use one of {\"user\", \"password_env\"}, {\"token_env\"}, {\"token_file\"} or {\"netrc\": true}, or leave 'auth' out");
	if (!strcmp(form, "user") && (!json_object_get(v, "user") ||
				      !json_object_get(v, "password_env")))
		return roger_schema_fail(
			c,
			"HTTP Basic authentication needs both 'user' and 'password_env'");
	if (!strcmp(form, "user") &&
	    strchr(json_string_value(json_object_get(v, "user")), ':')) {
		size_t mark = roger_schema_push_key(c, "user");

		rc = roger_schema_fail(c, "a user name must not contain ':'");
		roger_schema_pop(c, mark);
		return rc;
	}
	if (!strcmp(form, "netrc") && !json_object_get(v, "netrc"))
		return roger_schema_fail(c,
					 "'netrc_file' needs \"netrc\": true");
	return 0;
}

static int check_marathon_urls(struct roger_schema *c, const json_t *v,
			       unsigned flags)
{
	json_t *item;
	size_t i;
	int rc;

	(void)flags;
	if (json_is_string(v))
		return check_url(c, v, URL_BASE);
	if ((rc = roger_schema_expect_strings(c, v, true)) < 0)
		return rc;
	json_array_foreach(v, i, item) {
		size_t mark = roger_schema_push_index(c, i);

		rc = check_url(c, item, URL_BASE);
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int check_base_url(struct roger_schema *c, const json_t *v,
			  unsigned flags)
{
	(void)flags;
	return check_url(c, v, URL_BASE);
}

static int check_artifacts_url(struct roger_schema *c, const json_t *v,
			       unsigned flags)
{
	(void)flags;
	return check_url(c, v, URL_ARTIFACTS);
}

static int check_router_address(struct roger_schema *c, const json_t *v,
				unsigned flags)
{
	char why[160];

	(void)flags;
	if (!roger_address_template_ok(json_string_value(v), why, sizeof(why)))
		return roger_schema_fail(c, "%s", why);
	return 0;
}

static int check_router_group(struct roger_schema *c, const json_t *v,
			      unsigned flags)
{
	(void)flags;
	if (!roger_schema_simple_name(json_string_value(v)))
		return roger_schema_fail(
			c,
			"'%s' is not a marathon-lb group name (a letter or digit, then also '-', '_', '.')",
			json_string_value(v));
	return 0;
}

static const struct roger_schema_key router_keys[] = {
	{ "address", ROGER_JSON_STRING, check_router_address, 0, 0 },
	{ "group", ROGER_JSON_STRING, check_router_group, 0, 0 },
};

/* "router": an address template, or {"address": ..., "group": ...}. */
static int check_router(struct roger_schema *c, const json_t *v, unsigned flags)
{
	if (json_is_string(v))
		return check_router_address(c, v, flags);
	return roger_schema_object(c, v, router_keys,
				   ROGER_ARRAY_SIZE(router_keys), 0);
}

static int check_registry_url(struct roger_schema *c, const json_t *v,
			      unsigned flags)
{
	struct registry_url r = { 0 };
	char why[200];
	int rc = registry_url_split(&r, json_string_value(v), why, sizeof(why));

	(void)flags;
	registry_url_release(&r);
	if (rc == ROGER_ENOMEM)
		return roger_err_set(c->err, rc, "out of memory");
	if (rc < 0)
		return roger_schema_fail(c, "invalid registry URL '%s': %s",
					 json_string_value(v), why);
	return 0;
}

/* A target's auth forms, less netrc, which roger does not read itself. */
static int check_registry_auth(struct roger_schema *c, const json_t *v,
			       unsigned flags)
{
	int rc = check_auth(c, v, flags);

	if (rc == 0 && json_object_get(v, "netrc"))
		rc = roger_schema_fail(
			c,
			"'netrc' is not read for registries; use {\"user\", \"password_env\"}, {\"token_env\"} or {\"token_file\"} (a bearer token), or an \"auths\" entry of Docker's config.json");
	return rc;
}

static const struct roger_schema_key registry_keys[] = {
	{ "auth", ROGER_JSON_OBJECT | ROGER_JSON_NULL, check_registry_auth, 0,
	  0 },
	{ "ca_file", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "url", ROGER_JSON_STRING, check_registry_url, 0, 0 },
};

/* "registry": a URL, or {"url", "auth", "ca_file"}. */
static int check_registry(struct roger_schema *c, const json_t *v,
			  unsigned flags)
{
	int rc;

	if (json_is_string(v))
		return check_registry_url(c, v, flags);
	rc = roger_schema_object(c, v, registry_keys,
				 ROGER_ARRAY_SIZE(registry_keys), 0);
	if (rc == 0 && !json_object_get(v, "url"))
		rc = roger_schema_fail(
			c,
			"missing 'url': the registry's URL, such as \"https://registry.example.com\"");
	return rc;
}

static const struct roger_schema_key target_keys[] = {
	{ "artifacts", ROGER_JSON_STRING, check_artifacts_url, 0, 0 },
	{ "auth", ROGER_JSON_OBJECT | ROGER_JSON_NULL, check_auth, 0, 0 },
	{ "ca_file", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "marathon", ROGER_JSON_STRING | ROGER_JSON_ARRAY, check_marathon_urls,
	  0, 0 },
	{ "mesos", ROGER_JSON_STRING, check_base_url, 0, 0 },
	{ "metronome", ROGER_JSON_STRING | ROGER_JSON_ARRAY,
	  check_marathon_urls, 0, 0 },
	{ "protected", ROGER_JSON_BOOL, NULL, 0, 0 },
	{ "registry", ROGER_JSON_STRING | ROGER_JSON_OBJECT, check_registry, 0,
	  0 },
	{ "router", ROGER_JSON_STRING | ROGER_JSON_OBJECT, check_router, 0, 0 },
};

static int check_target(struct roger_schema *c, const char *name,
			const json_t *v)
{
	int rc;

	if (!strcmp(name, "local"))
		return roger_schema_fail(
			c,
			"'local' is the built-in target of roger local; set its port and state directory under the top-level 'local'");
	rc = roger_schema_object(c, v, target_keys,
				 ROGER_ARRAY_SIZE(target_keys), 0);
	if (rc == 0 && !json_object_get(v, "marathon"))
		rc = roger_schema_fail(
			c,
			"missing 'marathon': the Marathon URL, or a list of them");
	return rc;
}

static int check_targets(struct roger_schema *c, const json_t *v,
			 unsigned flags)
{
	(void)flags;
	return roger_schema_names(c, v, "target", check_target);
}

/* A byte count: a whole number, or a string such as "512M" (str.h). */
static int check_size(struct roger_schema *c, const json_t *v, unsigned flags)
{
	uint64_t size;

	(void)flags;
	if (json_is_integer(v))
		return roger_schema_expect_range(c, v, true, 0,
						 9007199254740992.0);
	if (roger_parse_size(&size, json_string_value(v)) < 0)
		return roger_schema_fail(
			c,
			"invalid size '%s': expected bytes, or a number with K, M, G or T",
			json_string_value(v));
	return 0;
}

/* The value of a checked size (check_size) or count: 0 when unset,
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

/* roger local's capacity: a positive number (cpus, MiB). */
static int check_capacity(struct roger_schema *c, const json_t *v,
			  unsigned flags)
{
	(void)flags;
	if (!(json_number_value(v) > 0) || json_number_value(v) > 1e9)
		return roger_schema_fail(c,
					 "expected a positive number, got %g",
					 json_number_value(v));
	return 0;
}

static const struct roger_schema_key local_keys[] = {
	{ "ca_file", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "cpus", ROGER_JSON_NUMBER, check_capacity, 0, 0 },
	{ "gc_size", ROGER_JSON_INTEGER | ROGER_JSON_STRING, check_size, 0, 0 },
	{ "max_extract_bytes", ROGER_JSON_INTEGER | ROGER_JSON_STRING,
	  check_size, 0, 0 },
	{ "max_extract_entries", ROGER_JSON_INTEGER, NULL, 0,
	  9007199254740992.0 },
	{ "mem", ROGER_JSON_NUMBER, check_capacity, 0, 0 },
	{ "port", ROGER_JSON_INTEGER, NULL, 1, 65535 },
	{ "registry", ROGER_JSON_STRING | ROGER_JSON_OBJECT, check_registry, 0,
	  0 },
	{ "registry_auth", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "registry_port", ROGER_JSON_INTEGER, NULL, 0, 65535 },
	{ "router_port", ROGER_JSON_INTEGER, NULL, 0, 65535 },
	{ "service_port_min", ROGER_JSON_INTEGER, NULL, 1024, 55535 },
	{ "state_dir", ROGER_JSON_STRING, NULL, 0, 0 },
};

static int check_local(struct roger_schema *c, const json_t *v, unsigned flags)
{
	(void)flags;
	return roger_schema_object(c, v, local_keys,
				   ROGER_ARRAY_SIZE(local_keys), 0);
}

static const struct roger_schema_key user_config_keys[] = {
	{ "default_target", ROGER_JSON_STRING, NULL, 0, 0 },
	{ "local", ROGER_JSON_OBJECT, check_local, 0, 0 },
	{ "targets", ROGER_JSON_OBJECT, check_targets, 0, 0 },
};

static int check_user_config(struct roger_schema *c, const json_t *root)
{
	json_t *targets = json_object_get(root, "targets");
	json_t *def = json_object_get(root, "default_target");
	const char *key;
	json_t *val;
	int rc;

	if (!json_is_object(root))
		return roger_schema_fail(
			c, "expected an object at the top, got %s",
			roger_spec_type_name(root));
	rc = roger_schema_object(c, root, user_config_keys,
				 ROGER_ARRAY_SIZE(user_config_keys), 0);
	if (rc < 0)
		return rc;
	if (def && strcmp(json_string_value(def), "local") &&
	    !json_object_get(targets, json_string_value(def))) {
		const char *names[64];
		size_t n = 0;
		const char *best;
		size_t mark = roger_schema_push_key(c, "default_target");

		json_object_foreach(targets, key, val)
			if (n < ROGER_ARRAY_SIZE(names))
				names[n++] = key;
		best = roger_suggest(json_string_value(def), names, n);
		rc = best ? roger_schema_fail(
				    c,
				    "unknown target '%s', did you mean '%s'?",
				    json_string_value(def), best)
			  : roger_schema_fail(
				    c,
				    "unknown target '%s': define it under 'targets'",
				    json_string_value(def));
		roger_schema_pop(c, mark);
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
	free(uc->local_registry_auth);
	free(uc);
}

int roger_user_config_load(struct roger_user_config **out,
			   struct roger_ctx *ctx, const char *path,
			   struct roger_err *err)
{
	struct roger_buf text = ROGER_BUF_INIT;
	struct roger_user_config *uc = NULL;
	struct roger_schema c = ROGER_SCHEMA_INIT(NULL, err);
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
		rc = roger_schema_as_invalid(err, rc);
		goto out;
	} else {
		roger_debug(ctx, "reading '%s'", uc->path);
		uc->root = roger_schema_parse_json(uc->path, text.buf, text.len,
						   err);
		if (!uc->root) {
			rc = ROGER_EINVALID;
			goto out;
		}
		if ((rc = check_user_config(&c, uc->root)) < 0)
			goto out;
	}
	uc->default_target =
		json_string_value(json_object_get(uc->root, "default_target"));
	local = json_object_get(uc->root, "local");
	v = json_object_get(local, "port");
	uc->local_port = v ? (int)json_integer_value(v) : ROGER_LOCAL_PORT;
	v = json_object_get(local, "registry_port");
	uc->local_registry_port =
		v ? (int)json_integer_value(v) : ROGER_LOCAL_REGISTRY_PORT;
	v = json_object_get(local, "router_port");
	uc->local_router_port =
		v ? (int)json_integer_value(v) : ROGER_LOCAL_ROUTER_PORT;
	v = json_object_get(local, "service_port_min");
	uc->local_service_port_min =
		v ? (int)json_integer_value(v) : ROGER_LOCAL_SERVICE_PORT_MIN;
	v = json_object_get(local, "state_dir");
	free(dir);
	dir = dir_of(uc->path);
	if (v) {
		uc->local_state_dir =
			dir ? expand_file(ctx, dir, json_string_value(v))
			    : NULL;
	} else {
		base = roger_xdg_dir(ctx, "state");
		uc->local_state_dir =
			base ? roger_path_join(base, "local") : NULL;
	}
	uc->local_max_extract_bytes =
		limit_value(json_object_get(local, "max_extract_bytes"));
	uc->local_max_extract_entries =
		limit_value(json_object_get(local, "max_extract_entries"));
	uc->local_cpus = json_number_value(json_object_get(local, "cpus"));
	uc->local_mem = json_number_value(json_object_get(local, "mem"));
	uc->local_gc_size = limit_value(json_object_get(local, "gc_size"));
	v = json_object_get(local, "registry_auth");
	if (v && dir &&
	    !(uc->local_registry_auth =
		      expand_file(ctx, dir, json_string_value(v)))) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
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
	roger_schema_release(&c);
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

/* ---- targets ------------------------------------------------------------ */

void roger_target_free(struct roger_target *t)
{
	if (!t)
		return;
	free(t->name);
	for (size_t i = 0; i < t->n_marathon; i++)
		free(t->marathon[i]);
	free(t->marathon);
	for (size_t i = 0; i < t->n_metronome; i++)
		free(t->metronome[i]);
	free(t->metronome);
	free(t->mesos);
	free(t->artifacts);
	free(t->auth.user);
	roger_secret_free(t->auth.password);
	roger_secret_free(t->auth.token);
	free(t->auth.netrc_file);
	free(t->ca_file);
	free(t->router_address);
	free(t->router_group);
	free(t->local_state_dir);
	free(t->registry);
	free(t->registry_url);
	free(t->registry_prefix);
	free(t->registry_auth.user);
	roger_secret_free(t->registry_auth.password);
	roger_secret_free(t->registry_auth.token);
	free(t->registry_ca_file);
	free(t);
}

/* Add a normalised URL to a list of base URLs (Marathon's, Metronome's). */
static int add_base(char ***list, size_t *n, const char *url, const char *where,
		    struct roger_err *err)
{
	char why[160];
	char *norm = NULL, **grown;
	int rc = normalize_url(&norm, url, URL_BASE, why, sizeof(why));

	if (rc < 0)
		return roger_err_set(err, rc, "%s: invalid URL '%s': %s", where,
				     url, why);
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (!grown) {
		free(norm);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	*list = grown;
	(*list)[(*n)++] = norm;
	return 0;
}

static int add_marathon(struct roger_target *t, const char *url,
			const char *where, struct roger_err *err)
{
	return add_base(&t->marathon, &t->n_marathon, url, where, err);
}

static void clear_list(char **list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(list[i]);
	*n = 0;
}

/*
 * Replace a list of base URLs with the comma-separated ones of the
 * environment variable `var` (its value `v`).
 */
static int env_list(char ***list, size_t *n, const char *v, const char *var,
		    struct roger_err *err)
{
	int rc;

	clear_list(*list, n);
	while (*v) {
		size_t len = strcspn(v, ",");
		char *item = strndup(v, len);
		char *a = item, *z;

		if (!item)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		while (*a == ' ' || *a == '\t')
			a++;
		z = a + strlen(a);
		while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
			*--z = '\0';
		rc = *a ? add_base(list, n, a, var, err)
			: roger_err_set(
				  err, ROGER_EINVALID,
				  "%s: empty URL in the comma-separated list",
				  var);
		free(item);
		if (rc < 0)
			return rc;
		v += len;
		if (*v == ',')
			v++;
	}
	if (*n == 0)
		return roger_err_set(err, ROGER_EINVALID, "%s: no URL in it",
				     var);
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

/* Point t->registry* at the registry URL `url` (`where` names its origin). */
static int set_registry_url(struct roger_target *t, const char *url,
			    const char *where, struct roger_err *err)
{
	struct registry_url r = { 0 };
	char why[200];
	int rc = registry_url_split(&r, url, why, sizeof(why));

	if (rc < 0)
		return roger_err_set(err, rc,
				     "%s: invalid registry URL '%s': %s", where,
				     url, why);
	free(t->registry);
	free(t->registry_url);
	free(t->registry_prefix);
	t->registry = r.host;
	t->registry_url = r.url;
	t->registry_prefix = r.prefix;
	return 0;
}

/* The registry's `auth` of the user config (validated) into t->registry_auth.
 */
static int registry_auth(struct roger_target *t, const struct roger_ctx *ctx,
			 const struct roger_user_config *uc, const json_t *auth,
			 const char *where, struct roger_err *err)
{
	struct roger_auth *a = &t->registry_auth;
	char at[512];
	const char *s;
	char *dir, *file;
	int rc;

	if ((s = json_string_value(json_object_get(auth, "user")))) {
		a->kind = ROGER_AUTH_BASIC;
		if ((rc = set_string(&a->user, s, err)) < 0)
			return rc;
		snprintf(at, sizeof(at), "%s.auth.password_env", where);
		return roger_secret_from_env(&a->password, ctx,
					     json_string_value(json_object_get(
						     auth, "password_env")),
					     at, err);
	}
	if ((s = json_string_value(json_object_get(auth, "token_env")))) {
		a->kind = ROGER_AUTH_TOKEN;
		snprintf(at, sizeof(at), "%s.auth.token_env", where);
		return roger_secret_from_env(&a->token, ctx, s, at, err);
	}
	if ((s = json_string_value(json_object_get(auth, "token_file")))) {
		a->kind = ROGER_AUTH_TOKEN;
		dir = dir_of(uc->path);
		file = dir ? expand_file(ctx, dir, s) : NULL;
		free(dir);
		if (!file)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		snprintf(at, sizeof(at), "%s.auth.token_file", where);
		rc = roger_secret_read_token_file(&a->token, file, at, err);
		free(file);
		return rc;
	}
	return 0;
}

/*
 * The user config's "registry" (a URL or {"url", "auth", "ca_file"},
 * validated) of the target or of `local`, at `path` ("targets.prod").
 */
static int config_registry(struct roger_target *t, const struct roger_ctx *ctx,
			   const struct roger_user_config *uc,
			   const json_t *reg, const char *path,
			   struct roger_err *err)
{
	const char *url =
		json_is_string(reg)
			? json_string_value(reg)
			: json_string_value(json_object_get(reg, "url"));
	json_t *ca = json_object_get(reg, "ca_file");
	char where[512];
	char *dir;
	int rc;

	if (!url)
		return 0;
	snprintf(where, sizeof(where), "%s: %s.registry", uc->path, path);
	if ((rc = set_registry_url(t, url, where, err)) < 0 ||
	    (rc = registry_auth(t, ctx, uc, json_object_get(reg, "auth"), where,
				err)) < 0)
		return rc;
	if (!ca)
		return 0;
	dir = dir_of(uc->path);
	t->registry_ca_file =
		dir ? expand_file(ctx, dir, json_string_value(ca)) : NULL;
	free(dir);
	return t->registry_ca_file
		       ? 0
		       : roger_err_set(err, ROGER_ENOMEM, "out of memory");
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
	clear_list(t->marathon, &t->n_marathon);
	clear_list(t->metronome, &t->n_metronome);
	roger_secret_free(t->auth.token);
	t->auth.token = NULL;
	t->auth.kind = ROGER_AUTH_NONE;
	t->local_running = false;
	if ((rc = add_marathon(t, url, "local", err)) < 0 ||
	    (rc = add_base(&t->metronome, &t->n_metronome, url, "local", err)) <
		    0 ||
	    (rc = set_string(&t->mesos, url, err)) < 0 ||
	    (rc = set_string(&t->artifacts, artifacts, err)) < 0)
		return rc;
	/* a registry of the user config or the environment stays */
	if (!t->registry_url) {
		free(t->registry);
		t->registry = NULL;
	}
	if (!st.running || st.port <= 0)
		return 0;
	if (!t->registry_url && st.registry[0] &&
	    (rc = set_string(&t->registry, st.registry, err)) < 0)
		return rc;
	/* Its server wrote the token before it answered: none is an error. */
	rc = roger_local_token_read(token, t->local_state_dir, &why);
	if (rc < 0)
		return roger_err_set(err,
				     rc == ROGER_ENOMEM ? rc : ROGER_EINVALID,
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
	int rc;

	t->is_local = true;
	t->origin = "built-in";
	if (uc && uc->local_state_dir)
		t->local_state_dir = strdup(uc->local_state_dir);
	else
		t->local_state_dir = roger_local_default_state_dir(ctx);
	if (!t->local_state_dir)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	rc = roger_target_local_sync(t, port, err);
	if (rc == 0 && uc)
		rc = config_registry(
			t, ctx, uc,
			json_object_get(json_object_get(uc->root, "local"),
					"registry"),
			"local", err);
	return rc;
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
			if ((rc = add_marathon(t, json_string_value(v),
					       uc->path, err)) < 0)
				break;
	}
	if (rc < 0)
		return rc;
	m = json_object_get(def, "metronome");
	if (json_is_string(m)) {
		rc = add_base(&t->metronome, &t->n_metronome,
			      json_string_value(m), uc->path, err);
	} else {
		json_array_foreach(m, i, v)
			if ((rc = add_base(&t->metronome, &t->n_metronome,
					   json_string_value(v), uc->path,
					   err)) < 0)
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
	v = json_object_get(def, "router");
	if ((json_is_string(v) &&
	     (rc = set_string(&t->router_address, json_string_value(v), err)) <
		     0) ||
	    (json_string_value(json_object_get(v, "address")) &&
	     (rc = set_string(&t->router_address,
			      json_string_value(json_object_get(v, "address")),
			      err)) < 0) ||
	    (json_string_value(json_object_get(v, "group")) &&
	     (rc = set_string(&t->router_group,
			      json_string_value(json_object_get(v, "group")),
			      err)) < 0))
		return rc;
	v = json_object_get(def, "registry");
	if (v) {
		char path[300];

		snprintf(path, sizeof(path), "targets.%s", t->name);
		if ((rc = config_registry(t, ctx, uc, v, path, err)) < 0)
			return rc;
	}
	v = json_object_get(def, "ca_file");
	if (v) {
		dir = dir_of(uc->path);
		t->ca_file = dir ? expand_file(ctx, dir, json_string_value(v))
				 : NULL;
		free(dir);
		if (!t->ca_file)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
	}
	return 0;
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

	snprintf(where, sizeof(where), "%s: targets.%s.auth", uc->path,
		 t->name);
	if ((s = json_string_value(json_object_get(auth, "user")))) {
		t->auth.kind = ROGER_AUTH_BASIC;
		if ((rc = set_string(&t->auth.user, s, err)) < 0)
			return rc;
		if (env_password)
			return set_string(&t->auth.password, env_password, err);
		strncat(where, ".password_env",
			sizeof(where) - strlen(where) - 1);
		return roger_secret_from_env(&t->auth.password, ctx,
					     json_string_value(json_object_get(
						     auth, "password_env")),
					     where, err);
	}
	if (env_password)
		return roger_err_set(
			err, ROGER_EINVALID,
			"ROGER_PASSWORD is set but ROGER_USER is not, and target '%s' has no user",
			t->name);
	if ((s = json_string_value(json_object_get(auth, "token_env")))) {
		t->auth.kind = ROGER_AUTH_TOKEN;
		strncat(where, ".token_env", sizeof(where) - strlen(where) - 1);
		return roger_secret_from_env(&t->auth.token, ctx, s, where,
					     err);
	}
	if (json_is_true(json_object_get(auth, "netrc"))) {
		t->auth.kind = ROGER_AUTH_NETRC;
		s = json_string_value(json_object_get(auth, "netrc_file"));
		if (!s)
			return 0;
		dir = dir_of(uc->path);
		t->auth.netrc_file = dir ? expand_file(ctx, dir, s) : NULL;
		free(dir);
		return t->auth.netrc_file ? 0
					  : roger_err_set(err, ROGER_ENOMEM,
							  "out of memory");
	}
	if ((s = json_string_value(json_object_get(auth, "token_file")))) {
		t->auth.kind = ROGER_AUTH_TOKEN;
		dir = dir_of(uc->path);
		file = dir ? expand_file(ctx, dir, s) : NULL;
		free(dir);
		if (!file)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		strncat(where, ".token_file",
			sizeof(where) - strlen(where) - 1);
		rc = roger_secret_read_token_file(&t->auth.token, file, where,
						  err);
		free(file);
		return rc;
	}
	return 0;
}

/* Credentials: ROGER_TOKEN, or ROGER_USER and ROGER_PASSWORD, else the
 * config's. */
static int resolve_auth(struct roger_target *t, const struct roger_ctx *ctx,
			const struct roger_user_config *uc, const json_t *auth,
			struct roger_err *err)
{
	const char *token = roger_ctx_getenv(ctx, "ROGER_TOKEN");
	const char *user = roger_ctx_getenv(ctx, "ROGER_USER");
	const char *password = roger_ctx_getenv(ctx, "ROGER_PASSWORD");
	int rc;

	if (token && (user || password))
		return roger_err_set(
			err, ROGER_EINVALID,
			"set either ROGER_TOKEN or ROGER_USER and ROGER_PASSWORD, not both");
	if (token) {
		t->auth.kind = ROGER_AUTH_TOKEN;
		return set_string(&t->auth.token, token, err);
	}
	if (user) {
		if (!password)
			return roger_err_set(
				err, ROGER_EINVALID,
				"ROGER_USER is set but ROGER_PASSWORD is not");
		if (strchr(user, ':'))
			return roger_err_set(
				err, ROGER_EINVALID,
				"ROGER_USER: a user name must not contain ':'");
		t->auth.kind = ROGER_AUTH_BASIC;
		if ((rc = set_string(&t->auth.user, user, err)) < 0)
			return rc;
		return set_string(&t->auth.password, password, err);
	}
	if (auth && json_is_object(auth))
		return config_auth(t, ctx, uc, auth, password, err);
	if (password)
		return roger_err_set(
			err, ROGER_EINVALID,
			"ROGER_PASSWORD is set but ROGER_USER is not");
	return 0;
}

/*
 * ROGER_REGISTRY_URL over the user config's registry: the config's
 * credentials and CA file stay only when the host is the same, so that
 * they never go to another registry.
 */
static int env_registry(struct roger_target *t, const char *url,
			struct roger_err *err)
{
	char *before = t->registry ? strdup(t->registry) : NULL;
	int rc;

	if (t->registry && !before)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	rc = set_registry_url(t, url, "ROGER_REGISTRY_URL", err);
	if (rc == 0 && (!before || strcmp(before, t->registry))) {
		free(t->registry_auth.user);
		roger_secret_free(t->registry_auth.password);
		roger_secret_free(t->registry_auth.token);
		memset(&t->registry_auth, 0, sizeof(t->registry_auth));
		free(t->registry_ca_file);
		t->registry_ca_file = NULL;
	}
	free(before);
	return rc;
}

/* ROGER_MARATHON_URL (comma-separated), ROGER_MESOS_URL, ... over `t`. */
static int apply_env_urls(struct roger_target *t, const struct roger_ctx *ctx,
			  struct roger_err *err)
{
	const char *m = roger_ctx_getenv(ctx, "ROGER_MARATHON_URL");
	const char *s;
	int rc;

	if (m && (rc = env_list(&t->marathon, &t->n_marathon, m,
				"ROGER_MARATHON_URL", err)) < 0)
		return rc;
	if ((s = roger_ctx_getenv(ctx, "ROGER_METRONOME_URL")) &&
	    (rc = env_list(&t->metronome, &t->n_metronome, s,
			   "ROGER_METRONOME_URL", err)) < 0)
		return rc;
	if ((s = roger_ctx_getenv(ctx, "ROGER_MESOS_URL")) &&
	    (rc = set_url(&t->mesos, s, URL_BASE, "ROGER_MESOS_URL", err)) < 0)
		return rc;
	if ((s = roger_ctx_getenv(ctx, "ROGER_ARTIFACTS_URL")) &&
	    (rc = set_url(&t->artifacts, s, URL_ARTIFACTS,
			  "ROGER_ARTIFACTS_URL", err)) < 0)
		return rc;
	if ((s = roger_ctx_getenv(ctx, "ROGER_CA_FILE")) &&
	    (rc = set_string(&t->ca_file, s, err)) < 0)
		return rc;
	if ((s = roger_ctx_getenv(ctx, "ROGER_REGISTRY_URL")))
		return env_registry(t, s, err);
	return 0;
}

static int unknown_target(const struct roger_user_config *uc, const char *name,
			  const char *source, struct roger_err *err)
{
	const char **names = NULL;
	const char *best = NULL;
	size_t n = 0;
	int rc;

	if (roger_user_config_target_names(uc, &names, &n) == 0)
		best = roger_suggest(name, names, n);
	if (best)
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"unknown target '%s' (from %s), did you mean '%s'?",
			name, source, best);
	else
		rc = roger_err_set(
			err, ROGER_EINVALID,
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
	     (rc = resolve_auth(t, ctx, uc, json_object_get(def, "auth"),
				err)) < 0))
		goto out;
	if (t->ca_file && access(t->ca_file, R_OK) < 0) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
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
