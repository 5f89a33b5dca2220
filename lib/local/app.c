/*
 * app.c - Marathon app definitions as roger local accepts and prints them.
 *
 * roger_local_app_normalize() is Marathon 1.10's reading of an app: JSON
 * type errors are 422 "Invalid JSON" with Play's error keys
 * (error.expected.jsnumber, error.expected.int, error.path.missing,
 * error.pattern, error.min, error.max), semantic errors are 422 "Object is
 * not valid" with accord-style messages, each under the JSON path Marathon
 * prints ("/healthChecks(0)/portIndex").
 * What it returns is the definition in 1.10's output shape: defaults
 * filled in, fields in the order of the RAML serializer, empty optional
 * fields left out, so GET prints exactly what is stored.  Pure: no I/O.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json-num.h"
#include "local/internal.h"

struct check {
	json_t *type_errors; /* details of "Invalid JSON" */
	json_t *sem_errors; /* details of "Object is not valid" */
};

static void add_detail(json_t *details, const char *path, const char *error)
{
	size_t i;
	json_t *d;

	json_array_foreach(details, i, d) {
		if (!strcmp(json_string_value(json_object_get(d, "path")),
			    path)) {
			json_array_append_new(json_object_get(d, "errors"),
					      json_string(error));
			return;
		}
	}
	json_array_append_new(details, json_pack("{s:s,s:[s]}", "path", path,
						 "errors", error));
}

static void type_error(struct check *c, const char *path, const char *error)
{
	add_detail(c->type_errors, path, error);
}

static void sem_error(struct check *c, const char *path, const char *error)
{
	add_detail(c->sem_errors, path, error);
}

json_t *roger_local_invalid(const char *message, const char *path,
			    const char *error)
{
	return json_pack("{s:s,s:[{s:s,s:[s]}]}", "message", message, "details",
			 "path", path, "errors", error);
}

/* ---- ids ------------------------------------------------------------------- */

/* One dot-separated label: [a-z0-9] or [a-z0-9][a-z0-9-]*[a-z0-9]. */
static bool label_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum =
			(ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (!alnum && !(ch == '-' && i > 0 && i + 1 < n))
			return false;
	}
	return true;
}

static bool segment_ok(const char *s, size_t n)
{
	size_t start = 0;

	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return true;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!label_ok(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

char *roger_local_app_id(const char *raw, const char *base, char *why,
			 size_t why_size)
{
	char *segs[128];
	size_t nsegs = 0, len = 0;
	char *out, *work, *p;
	const char *prefix = (raw[0] == '/' || !base) ? "" : base;
	bool ok = true;

	work = malloc(strlen(prefix) + strlen(raw) + 2);
	if (!work)
		return NULL;
	sprintf(work, "%s/%s", prefix, raw);
	for (p = work; ok && *p;) {
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		if (!segment_ok(p, n)) {
			snprintf(why, why_size, "error.pattern");
			ok = false;
			break;
		}
		if (n == 1 && p[0] == '.') {
			/* stays */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (nsegs > 0)
				nsegs--;
		} else if (nsegs < 128) {
			segs[nsegs++] = p;
		}
		p += n;
		if (*p)
			*p++ = '\0';
	}
	if (ok && nsegs == 0) {
		snprintf(why, why_size,
			 "Path must contain at least one path element");
		ok = false;
	}
	if (ok) {
		const char *last = segs[nsegs - 1];

		if (!strcmp(last, "restart") || !strcmp(last, "tasks") ||
		    !strcmp(last, "versions")) {
			snprintf(
				why, why_size,
				"must not end with any of the following reserved keywords: restart, tasks, versions");
			ok = false;
		}
	}
	if (!ok) {
		free(work);
		return NULL;
	}
	for (size_t i = 0; i < nsegs; i++)
		len += strlen(segs[i]) + 1;
	out = malloc(len + 1);
	if (out) {
		out[0] = '\0';
		for (size_t i = 0; i < nsegs; i++) {
			strcat(out, "/");
			strcat(out, segs[i]);
		}
	}
	free(work);
	return out;
}

/* ---- field readers --------------------------------------------------------- */

static bool get_number(struct check *c, const json_t *in, const char *key,
		       double dflt, double min, double *out)
{
	json_t *v = json_object_get(in, key);
	char path[64];

	snprintf(path, sizeof(path), "/%s", key);
	*out = dflt;
	if (!v || json_is_null(v))
		return false;
	if (!json_is_number(v)) {
		type_error(c, path, "error.expected.jsnumber");
		return false;
	}
	*out = json_number_value(v);
	if (*out < min) {
		type_error(c, path, "error.min");
		return false;
	}
	return true;
}

/*
 * An Int field as Play reads it: a number without a fraction (3.0 counts)
 * that fits 32 bits, else error.expected.int (1e308 and 0.5 alike).
 */
static bool int_value(struct check *c, const json_t *v, const char *path,
		      long *out)
{
	int64_t i;

	if (!json_is_number(v)) {
		type_error(c, path, "error.expected.jsnumber");
		return false;
	}
	if (!roger_json_int(v, INT32_MIN, INT32_MAX, &i)) {
		type_error(c, path, "error.expected.int");
		return false;
	}
	*out = (long)i;
	return true;
}

static bool get_int(struct check *c, const json_t *in, const char *key,
		    long dflt, long min, long *out)
{
	json_t *v = json_object_get(in, key);
	char path[64];
	long i;

	snprintf(path, sizeof(path), "/%s", key);
	*out = dflt;
	if (!v || json_is_null(v))
		return false;
	if (!int_value(c, v, path, &i))
		return false;
	if (i < min) {
		type_error(c, path, "error.min");
		return false;
	}
	*out = i;
	return true;
}

static const char *get_string(struct check *c, const json_t *in,
			      const char *key, const char *path)
{
	json_t *v = json_object_get(in, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		type_error(c, path, "error.expected.jsstring");
		return NULL;
	}
	return json_string_value(v);
}

static bool get_bool(struct check *c, const json_t *in, const char *key,
		     const char *path, bool dflt)
{
	json_t *v = json_object_get(in, key);

	if (!v || json_is_null(v))
		return dflt;
	if (!json_is_boolean(v)) {
		type_error(c, path, "error.expected.jsboolean");
		return dflt;
	}
	return json_is_true(v);
}

/* {NAME: "value"} for env and labels; NULL when absent or empty. */
static json_t *string_map(struct check *c, const json_t *in, const char *key)
{
	json_t *v = json_object_get(in, key), *out, *val;
	const char *k;
	char path[320];

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_object(v)) {
		snprintf(path, sizeof(path), "/%s", key);
		type_error(c, path, "error.expected.jsobject");
		return NULL;
	}
	out = json_object();
	json_object_foreach(v, k, val) {
		snprintf(path, sizeof(path), "/%s/%s", key, k);
		if (json_is_string(val)) {
			json_object_set(out, k, val);
		} else if (!strcmp(key, "env") && json_is_object(val) &&
			   json_object_get(val, "secret")) {
			sem_error(c, path,
				  "secrets are not supported by roger local");
		} else {
			type_error(c, path, "error.expected.jsstring");
		}
	}
	return out;
}

static bool is_archive(const char *uri)
{
	static const char *const exts[] = { ".tar",    ".tgz",     ".tar.gz",
					    ".tbz2",   ".tar.bz2", ".txz",
					    ".tar.xz", ".zip" };
	size_t n = strlen(uri);

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t e = strlen(exts[i]);

		if (n >= e && !strcmp(uri + n - e, exts[i]))
			return true;
	}
	return false;
}

static json_t *read_fetch(struct check *c, const json_t *in)
{
	json_t *fetch = json_object_get(in, "fetch");
	json_t *uris = json_object_get(in, "uris");
	json_t *out = json_array(), *item;
	size_t i;
	char path[64];

	if (fetch && !json_is_null(fetch) && uris && !json_is_null(uris) &&
	    json_array_size(uris) > 0 && json_array_size(fetch) > 0)
		sem_error(
			c, "/",
			"AppDefinition must not contain both 'uris' and 'fetch'");
	if (uris && json_is_array(uris) &&
	    (!fetch || json_array_size(fetch) == 0)) {
		json_array_foreach(uris, i, item) {
			snprintf(path, sizeof(path), "/uris(%zu)", i);
			if (!json_is_string(item)) {
				type_error(c, path, "error.expected.jsstring");
				continue;
			}
			json_array_append_new(
				out,
				json_pack("{s:O,s:b,s:b,s:b}", "uri", item,
					  "extract",
					  is_archive(json_string_value(item)),
					  "executable", 0, "cache", 0));
		}
		return out;
	}
	if (!fetch || json_is_null(fetch))
		return out;
	if (!json_is_array(fetch)) {
		type_error(c, "/fetch", "error.expected.jsarray");
		return out;
	}
	json_array_foreach(fetch, i, item) {
		const char *uri, *dest;
		json_t *o;

		snprintf(path, sizeof(path), "/fetch(%zu)", i);
		if (!json_is_object(item)) {
			type_error(c, path, "error.expected.jsobject");
			continue;
		}
		snprintf(path, sizeof(path), "/fetch(%zu)/uri", i);
		uri = get_string(c, item, "uri", path);
		if (!uri) {
			if (!json_object_get(item, "uri"))
				type_error(c, path, "error.path.missing");
			continue;
		}
		o = json_pack("{s:s}", "uri", uri);
		snprintf(path, sizeof(path), "/fetch(%zu)/extract", i);
		json_object_set_new(
			o, "extract",
			json_boolean(get_bool(c, item, "extract", path, true)));
		snprintf(path, sizeof(path), "/fetch(%zu)/executable", i);
		json_object_set_new(o, "executable",
				    json_boolean(get_bool(c, item, "executable",
							  path, false)));
		snprintf(path, sizeof(path), "/fetch(%zu)/cache", i);
		json_object_set_new(
			o, "cache",
			json_boolean(get_bool(c, item, "cache", path, false)));
		snprintf(path, sizeof(path), "/fetch(%zu)/destPath", i);
		dest = get_string(c, item, "destPath", path);
		if (dest)
			json_object_set_new(o, "destPath", json_string(dest));
		json_array_append_new(out, o);
	}
	return out;
}

static json_t *read_ports(struct check *c, const json_t *in)
{
	json_t *defs = json_object_get(in, "portDefinitions");
	json_t *ports = json_object_get(in, "ports");
	json_t *out = json_array(), *item;
	size_t i;
	char path[96];

	if (defs && !json_is_null(defs)) {
		if (!json_is_array(defs)) {
			type_error(c, "/portDefinitions",
				   "error.expected.jsarray");
			return out;
		}
		json_array_foreach(defs, i, item) {
			json_t *o, *pv, *labels;
			const char *proto, *name;
			long port = 0;

			snprintf(path, sizeof(path), "/portDefinitions(%zu)",
				 i);
			if (!json_is_object(item)) {
				type_error(c, path, "error.expected.jsobject");
				continue;
			}
			pv = json_object_get(item, "port");
			snprintf(path, sizeof(path),
				 "/portDefinitions(%zu)/port", i);
			if (pv && !json_is_integer(pv))
				type_error(c, path, "error.expected.int");
			else if (pv)
				port = (long)json_integer_value(pv);
			if (port < 0 || port > 65535)
				sem_error(c, path,
					  "is not between 0 and 65535");
			o = json_pack("{s:I}", "port", (json_int_t)port);
			snprintf(path, sizeof(path),
				 "/portDefinitions(%zu)/name", i);
			name = get_string(c, item, "name", path);
			if (name)
				json_object_set_new(o, "name",
						    json_string(name));
			snprintf(path, sizeof(path),
				 "/portDefinitions(%zu)/protocol", i);
			proto = get_string(c, item, "protocol", path);
			if (proto && strcmp(proto, "tcp") &&
			    strcmp(proto, "udp") && strcmp(proto, "udp,tcp"))
				type_error(c, path,
					   "error.unknown.enum.literal");
			json_object_set_new(o, "protocol",
					    json_string(proto ? proto : "tcp"));
			labels = json_object_get(item, "labels");
			if (labels && json_is_object(labels) &&
			    json_object_size(labels) > 0)
				json_object_set(o, "labels", labels);
			json_array_append_new(out, o);
		}
		return out;
	}
	if (ports && !json_is_null(ports)) {
		if (!json_is_array(ports)) {
			type_error(c, "/ports", "error.expected.jsarray");
			return out;
		}
		json_array_foreach(ports, i, item) {
			snprintf(path, sizeof(path), "/ports(%zu)", i);
			if (!json_is_integer(item)) {
				type_error(c, path, "error.expected.int");
				continue;
			}
			/*
			 * Checked as the port definition it becomes (where
			 * Marathon checks it, after normalizing), so that
			 * what GET prints can be PUT back.
			 */
			snprintf(path, sizeof(path),
				 "/portDefinitions(%zu)/port", i);
			if (json_integer_value(item) < 0 ||
			    json_integer_value(item) > 65535)
				sem_error(c, path,
					  "is not between 0 and 65535");
			json_array_append_new(
				out, json_pack("{s:O,s:s}", "port", item,
					       "protocol", "tcp"));
		}
		return out;
	}
	json_array_append_new(out, json_pack("{s:i,s:s,s:s}", "port", 0, "name",
					     "default", "protocol", "tcp"));
	return out;
}

static const char *const hc_protocols[] = { "HTTP",       "HTTPS",
					    "TCP",        "COMMAND",
					    "MESOS_HTTP", "MESOS_HTTPS",
					    "MESOS_TCP" };

static json_t *read_health_check(struct check *c, const json_t *hc, size_t idx,
				 size_t n_ports)
{
	json_t *o = json_object(), *cmd;
	const char *proto, *p;
	char path[96], base[48];
	bool known = false, http, command;
	struct {
		const char *key;
		long dflt;
		long val;
	} nums[] = {
		{ "gracePeriodSeconds", 300, 0 },
		{ "intervalSeconds", 60, 0 },
		{ "maxConsecutiveFailures", 3, 0 },
		{ "timeoutSeconds", 20, 0 },
		{ "delaySeconds", 15, 0 },
	};
	long port_index = 0, port = 0;
	bool has_port;

	snprintf(base, sizeof(base), "/healthChecks(%zu)", idx);
	snprintf(path, sizeof(path), "%s/protocol", base);
	proto = get_string(c, hc, "protocol", path);
	if (!proto)
		proto = "HTTP";
	for (size_t i = 0; i < sizeof(hc_protocols) / sizeof(hc_protocols[0]);
	     i++)
		if (!strcmp(proto, hc_protocols[i]))
			known = true;
	if (!known)
		type_error(c, path, "error.unknown.enum.literal");
	http = !strcmp(proto, "HTTP") || !strcmp(proto, "HTTPS") ||
	       !strcmp(proto, "MESOS_HTTP") || !strcmp(proto, "MESOS_HTTPS");
	command = !strcmp(proto, "COMMAND");
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		json_t *v = json_object_get(hc, nums[i].key);
		long val;

		nums[i].val = nums[i].dflt;
		snprintf(path, sizeof(path), "%s/%s", base, nums[i].key);
		if (!v || json_is_null(v))
			continue;
		if (!int_value(c, v, path, &val))
			continue;
		if (val < 0)
			type_error(c, path, "error.min");
		else
			nums[i].val = val;
	}
	if (command) {
		cmd = json_object_get(hc, "command");
		snprintf(path, sizeof(path), "%s/command", base);
		if (!cmd || !json_is_object(cmd) ||
		    !json_is_string(json_object_get(cmd, "value"))) {
			sem_error(
				c, path,
				"COMMAND health checks need a command: {\"value\": \"...\"}");
			cmd = NULL;
		}
		if (cmd)
			json_object_set_new(
				o, "command",
				json_pack("{s:O}", "value",
					  json_object_get(cmd, "value")));
	}
	json_object_set_new(o, "gracePeriodSeconds", json_integer(nums[0].val));
	if (!strcmp(proto, "HTTP"))
		json_object_set_new(
			o, "ignoreHttp1xx",
			json_boolean(
				get_bool(c, hc, "ignoreHttp1xx", base, false)));
	json_object_set_new(o, "intervalSeconds", json_integer(nums[1].val));
	json_object_set_new(o, "maxConsecutiveFailures",
			    json_integer(nums[2].val));
	if (http) {
		snprintf(path, sizeof(path), "%s/path", base);
		p = get_string(c, hc, "path", path);
		json_object_set_new(o, "path", json_string(p ? p : "/"));
	}
	if (!command) {
		has_port = json_is_integer(json_object_get(hc, "port"));
		if (has_port) {
			port = (long)json_integer_value(
				json_object_get(hc, "port"));
			json_object_set_new(o, "port", json_integer(port));
		} else {
			json_t *pi = json_object_get(hc, "portIndex");

			snprintf(path, sizeof(path), "%s/portIndex", base);
			if (pi && !json_is_null(pi) && !json_is_integer(pi))
				type_error(c, path, "error.expected.int");
			else if (pi && json_is_integer(pi))
				port_index = (long)json_integer_value(pi);
			if (port_index < 0 || (size_t)port_index >= n_ports)
				sem_error(
					c, base,
					"Health check port indices must address an element of the ports array or container port mappings.");
			json_object_set_new(o, "portIndex",
					    json_integer(port_index));
		}
	}
	json_object_set_new(o, "protocol", json_string(proto));
	if (!command)
		json_object_set_new(o, "ipProtocol", json_string("IPv4"));
	json_object_set_new(o, "timeoutSeconds", json_integer(nums[3].val));
	json_object_set_new(o, "delaySeconds", json_integer(nums[4].val));
	return o;
}

static json_t *read_health_checks(struct check *c, const json_t *in,
				  size_t n_ports)
{
	json_t *hcs = json_object_get(in, "healthChecks"), *out = json_array(),
	       *hc;
	size_t i;
	char path[48];

	if (!hcs || json_is_null(hcs))
		return out;
	if (!json_is_array(hcs)) {
		type_error(c, "/healthChecks", "error.expected.jsarray");
		return out;
	}
	json_array_foreach(hcs, i, hc) {
		snprintf(path, sizeof(path), "/healthChecks(%zu)", i);
		if (!json_is_object(hc)) {
			type_error(c, path, "error.expected.jsobject");
			continue;
		}
		json_array_append_new(out,
				      read_health_check(c, hc, i, n_ports));
	}
	return out;
}

static json_t *read_upgrade(struct check *c, const json_t *in)
{
	json_t *u = json_object_get(in, "upgradeStrategy");
	double min = 1, over = 1;
	const char *keys[2] = { "minimumHealthCapacity",
				"maximumOverCapacity" };
	double *vals[2] = { &min, &over };

	if (u && !json_is_null(u) && !json_is_object(u)) {
		type_error(c, "/upgradeStrategy", "error.expected.jsobject");
		u = NULL;
	}
	for (int i = 0; u && i < 2; i++) {
		json_t *v = json_object_get(u, keys[i]);
		char path[96];

		snprintf(path, sizeof(path), "/upgradeStrategy/%s", keys[i]);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_number(v)) {
			type_error(c, path, "error.expected.jsnumber");
			continue;
		}
		*vals[i] = json_number_value(v);
		if (*vals[i] > 1)
			sem_error(c, path, "is greater than 1");
		else if (*vals[i] < 0)
			sem_error(c, path, "is less than 0");
	}
	return json_pack("{s:o,s:o}", "maximumOverCapacity",
			 roger_local_json_number(over), "minimumHealthCapacity",
			 roger_local_json_number(min));
}

/*
 * An app's container, as roger local runs it: an image of
 * container.docker.image run as the Mesos containerizer runs it, for both
 * types (DOCKER and MESOS are the same thing locally), with host
 * networking and the sandbox as its only volume.  What only Docker or a
 * cluster offers is refused by name.  Returns the container in Marathon's
 * output shape (type, docker.image, forcePullImage and privileged filled
 * in), or NULL when there is none or it is invalid.
 */
static json_t *read_container(struct check *c, const json_t *container,
			      bool *has_image)
{
	const json_t *docker, *v;
	const char *type, *image;
	json_t *out, *d;

	*has_image = false;
	if (!container || json_is_null(container))
		return NULL;
	if (!json_is_object(container)) {
		type_error(c, "/container", "error.expected.jsobject");
		return NULL;
	}
	type = get_string(c, container, "type", "/container/type");
	if (type && strcmp(type, "DOCKER") && strcmp(type, "MESOS"))
		type_error(c, "/container/type", "error.unknown.enum.literal");
	if (json_object_get(container, "appc"))
		sem_error(
			c, "/container/appc",
			"appc images are not supported by roger local: use container.docker.image");
	v = json_object_get(container, "volumes");
	if (json_is_array(v) && json_array_size(v) > 0)
		sem_error(
			c, "/container/volumes",
			"roger local supports no volumes besides the sandbox (at /mnt/mesos/sandbox)");
	v = json_object_get(container, "portMappings");
	if (json_is_array(v) && json_array_size(v) > 0)
		sem_error(
			c, "/container/portMappings",
			"port mappings need bridge networking, which roger local does not support: use portDefinitions and host networking");
	docker = json_object_get(container, "docker");
	if (docker && !json_is_null(docker) && !json_is_object(docker)) {
		type_error(c, "/container/docker", "error.expected.jsobject");
		return NULL;
	}
	out = json_deep_copy(container);
	json_object_set_new(out, "type", json_string(type ? type : "DOCKER"));
	if (!docker || json_is_null(docker))
		return out;
	image = get_string(c, docker, "image", "/container/docker/image");
	if (!image || !*image)
		type_error(c, "/container/docker/image",
			   image ? "error.minLength" : "error.path.missing");
	*has_image = image && *image;
	v = json_object_get(docker, "network");
	if (json_is_string(v) && strcmp(json_string_value(v), "HOST"))
		sem_error(c, "/container/docker/network",
			  "roger local supports host networking only");
	v = json_object_get(docker, "portMappings");
	if (json_is_array(v) && json_array_size(v) > 0)
		sem_error(
			c, "/container/docker/portMappings",
			"port mappings need bridge networking, which roger local does not support: use portDefinitions and host networking");
	if (get_bool(c, docker, "privileged", "/container/docker/privileged",
		     false))
		sem_error(
			c, "/container/docker/privileged",
			"privileged containers are not supported by roger local");
	v = json_object_get(docker, "parameters");
	if (json_is_array(v) && json_array_size(v) > 0)
		sem_error(
			c, "/container/docker/parameters",
			"Docker parameters are not supported by roger local (it runs images without Docker)");
	d = json_object_get(out, "docker");
	json_object_set_new(
		d, "forcePullImage",
		json_boolean(get_bool(c, docker, "forcePullImage",
				      "/container/docker/forcePullImage",
				      false)));
	json_object_set_new(d, "privileged", json_false());
	return out;
}

static void check_networks(struct check *c, const json_t *networks)
{
	size_t i;
	json_t *n;

	if (!networks || json_is_null(networks))
		return;
	if (!json_is_array(networks)) {
		type_error(c, "/networks", "error.expected.jsarray");
		return;
	}
	json_array_foreach(networks, i, n) {
		const char *mode =
			json_string_value(json_object_get(n, "mode"));

		if (mode && strcmp(mode, "host"))
			sem_error(c, "/networks",
				  "roger local supports host networking only");
	}
}

/* Copy `key` from `in` to `out` when present and not empty. */
static void pass(json_t *out, const json_t *in, const char *key)
{
	json_t *v = json_object_get(in, key);

	if (!v || json_is_null(v))
		return;
	if ((json_is_array(v) && json_array_size(v) == 0) ||
	    (json_is_object(v) && json_object_size(v) == 0))
		return;
	json_object_set_new(out, key, json_deep_copy(v));
}

static void set_map(json_t *out, const char *key, json_t *map, bool always)
{
	if (!map)
		map = json_object();
	if (always || json_object_size(map) > 0)
		json_object_set_new(out, key, map);
	else
		json_decref(map);
}

static void set_array(json_t *out, const char *key, json_t *arr)
{
	if (json_array_size(arr) > 0)
		json_object_set_new(out, key, arr);
	else
		json_decref(arr);
}

static void read_id(struct check *c, const json_t *in, const char *id,
		    json_t *out)
{
	json_t *v = json_object_get(in, "id");
	char why[160], *canon;

	if (!id) {
		if (!v || json_is_null(v)) {
			type_error(c, "/id", "error.path.missing");
			return;
		}
		if (!json_is_string(v)) {
			type_error(c, "/id", "error.expected.jsstring");
			return;
		}
		id = json_string_value(v);
	}
	canon = roger_local_app_id(id, "/", why, sizeof(why));
	if (!canon) {
		if (!strcmp(why, "error.pattern"))
			type_error(c, "/id", why);
		else
			sem_error(c, "/id", why);
		return;
	}
	if (strlen(canon) > ROGER_LOCAL_APP_ID_MAX) {
		snprintf(
			why, sizeof(why),
			"must be at most %d characters long in roger local, which names files and tasks after it (this one has %zu)",
			ROGER_LOCAL_APP_ID_MAX, strlen(canon));
		sem_error(c, "/id", why);
		free(canon);
		return;
	}
	json_object_set_new(out, "id", json_string(canon));
	free(canon);
}

json_t *roger_local_app_normalize(const json_t *in, const char *id, int *status,
				  json_t **error)
{
	struct check c = { json_array(), json_array() };
	json_t *out = json_object(), *ports, *args, *v, *container;
	double cpus, mem, disk, factor;
	long instances, gpus, backoff, maxdelay;
	const char *cmd, *s;
	bool has_image = false;

	if (!json_is_object(in)) {
		type_error(&c, "/", "error.expected.jsobject");
		goto done;
	}
	read_id(&c, in, id, out);
	pass(out, in, "acceptedResourceRoles");
	args = json_object_get(in, "args");
	if (args && !json_is_null(args)) {
		size_t i;
		json_t *a;

		if (!json_is_array(args))
			type_error(&c, "/args", "error.expected.jsarray");
		json_array_foreach(args, i, a)
			if (!json_is_string(a))
				type_error(&c, "/args",
					   "error.expected.jsstring");
		if (json_is_array(args) && json_array_size(args) > 0)
			json_object_set_new(out, "args", json_deep_copy(args));
		else
			args = NULL;
	}
	get_number(&c, in, "backoffFactor", 1.15, 1.0, &factor);
	json_object_set_new(out, "backoffFactor",
			    roger_local_json_number(factor));
	get_int(&c, in, "backoffSeconds", 1, 0, &backoff);
	json_object_set_new(out, "backoffSeconds", json_integer(backoff));
	cmd = get_string(&c, in, "cmd", "/cmd");
	if (cmd && !*cmd)
		type_error(&c, "/cmd", "error.minLength");
	if (cmd && *cmd)
		json_object_set_new(out, "cmd", json_string(cmd));
	container = read_container(&c, json_object_get(in, "container"),
				   &has_image);
	if ((cmd && *cmd && args) || (!(cmd && *cmd) && !args && !has_image))
		sem_error(
			&c, "/",
			"AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
	pass(out, in, "constraints");
	if (container)
		json_object_set_new(out, "container", container);
	get_number(&c, in, "cpus", 1, 0, &cpus);
	json_object_set_new(out, "cpus", roger_local_json_number(cpus));
	pass(out, in, "dependencies");
	get_number(&c, in, "disk", 0, 0, &disk);
	json_object_set_new(out, "disk", roger_local_json_number(disk));
	set_map(out, "env", string_map(&c, in, "env"), false);
	s = get_string(&c, in, "executor", "/executor");
	json_object_set_new(out, "executor", json_string(s ? s : ""));
	set_array(out, "fetch", read_fetch(&c, in));
	ports = read_ports(&c, in);
	set_array(out, "healthChecks",
		  read_health_checks(&c, in, json_array_size(ports)));
	get_int(&c, in, "instances", 1, 0, &instances);
	json_object_set_new(out, "instances", json_integer(instances));
	set_map(out, "labels", string_map(&c, in, "labels"), true);
	get_int(&c, in, "maxLaunchDelaySeconds", 300, 0, &maxdelay);
	json_object_set_new(out, "maxLaunchDelaySeconds",
			    json_integer(maxdelay));
	get_number(&c, in, "mem", 128, 0, &mem);
	json_object_set_new(out, "mem", roger_local_json_number(mem));
	get_int(&c, in, "gpus", 0, 0, &gpus);
	json_object_set_new(out, "gpus", json_integer(gpus));
	if (gpus > 0)
		sem_error(&c, "/gpus", "roger local has no GPUs");
	check_networks(&c, json_object_get(in, "networks"));
	json_object_set_new(out, "networks",
			    json_pack("[{s:s}]", "mode", "host"));
	json_object_set_new(out, "portDefinitions", ports);
	pass(out, in, "readinessChecks");
	json_object_set_new(out, "requirePorts",
			    json_boolean(get_bool(&c, in, "requirePorts",
						  "/requirePorts", false)));
	pass(out, in, "secrets");
	v = json_object_get(in, "taskKillGracePeriodSeconds");
	if (v && !json_is_null(v)) {
		if (!json_is_number(v) || json_number_value(v) < 0)
			type_error(&c, "/taskKillGracePeriodSeconds",
				   "error.expected.jsnumber");
		else if (json_number_value(v) > INT32_MAX)
			type_error(&c, "/taskKillGracePeriodSeconds",
				   "error.max");
		else
			json_object_set_new(out, "taskKillGracePeriodSeconds",
					    json_deep_copy(v));
	}
	json_object_set_new(out, "upgradeStrategy", read_upgrade(&c, in));
	s = get_string(&c, in, "user", "/user");
	if (s)
		json_object_set_new(out, "user", json_string(s));
	s = get_string(&c, in, "killSelection", "/killSelection");
	if (s && strcmp(s, "YOUNGEST_FIRST") && strcmp(s, "OLDEST_FIRST"))
		type_error(&c, "/killSelection", "error.unknown.enum.literal");
	json_object_set_new(out, "killSelection",
			    json_string(s ? s : "YOUNGEST_FIRST"));
	v = json_object_get(in, "unreachableStrategy");
	if (v && (json_is_object(v) || json_is_string(v)))
		json_object_set_new(out, "unreachableStrategy",
				    json_deep_copy(v));
	else
		json_object_set_new(out, "unreachableStrategy",
				    json_pack("{s:i,s:i}",
					      "inactiveAfterSeconds", 0,
					      "expungeAfterSeconds", 0));
	s = get_string(&c, in, "role", "/role");
	json_object_set_new(out, "role", json_string(s ? s : "*"));
done:
	if (json_array_size(c.type_errors) > 0 ||
	    json_array_size(c.sem_errors) > 0) {
		bool typed = json_array_size(c.type_errors) > 0;

		*status = 422;
		*error = json_pack(
			"{s:s,s:O}", "message",
			typed ? "Invalid JSON" : "Object is not valid",
			"details", typed ? c.type_errors : c.sem_errors);
		json_decref(out);
		out = NULL;
	}
	json_decref(c.type_errors);
	json_decref(c.sem_errors);
	return out;
}

bool roger_local_app_config_differs(const json_t *a, const json_t *b)
{
	json_t *ca = json_copy((json_t *)a), *cb = json_copy((json_t *)b);
	bool differs;

	json_object_del(ca, "instances");
	json_object_del(cb, "instances");
	differs = !json_equal(ca, cb);
	json_decref(ca);
	json_decref(cb);
	return differs;
}
