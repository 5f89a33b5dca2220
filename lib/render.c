/*
 * render.c - the app definition roger deploys (roger.json's fragment with
 * the environment merged in, variables expanded, the artifact's fetch
 * entry and roger's labels added), and the diff of two app definitions.
 *
 * Rendering refuses rather than overwrites: a user's label or env variable
 * with a name roger owns, an `id`, or `uris` next to the fetch entry roger
 * adds are errors that name their JSON path, so that nothing written in
 * roger.json disappears without a word.
 *
 * The diff walks both apps at once under a schema: a static tree of the
 * Marathon fields whose defaults or ownership matter (MARATHON-MESOS.md
 * section 3 and 4.1).  Everything the schema does not name is compared as
 * plain JSON.  The one rule that makes every Marathon version agree is
 * "absent equals default": a null, an empty collection, a field left out
 * and a field at its default are the same thing, and when one side lacks
 * an object or an array, it is compared member by member against an empty
 * one (or, for networks and portDefinitions, against what Marathon puts
 * there), so the change names the member.  Before the walk, each side is
 * rewritten once out of its legacy shapes (`ports`, `uris`), on a copy.
 * The defaults themselves are marathon-defaults.h's, which the parsers of
 * marathon.c share.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json-num.h"
#include "marathon-defaults.h"
#include "project.h"
#include "render.h"
#include "spec.h"
#include "util.h"
#include "version.h"

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

/* ---- rendering ----------------------------------------------------------- */

static const char *const owned_labels[] = {
	ROGER_LABEL_APP,         ROGER_LABEL_ENV,
	ROGER_LABEL_COMMIT,      ROGER_LABEL_ARTIFACT_SHA256,
	ROGER_LABEL_VERSION,     ROGER_LABEL_DEPLOYED_BY,
	ROGER_LABEL_DIRTY,       ROGER_LABEL_INSTANCES,
	ROGER_LABEL_ROLLBACK_OF, ROGER_LABEL_ROLLBACK_COMMIT,
	ROGER_LABEL_ROLLBACK_TO, ROGER_LABEL_ROLLBACK_CAUSE,
	ROGER_LABEL_ROLLBACK_BY, ROGER_LABEL_IMAGE,
	ROGER_LABEL_IMAGE_BASE,
};

enum roger_render_shape roger_render_shape_for(const char *version)
{
	long major, minor;
	char *end;

	if (!version || !*version)
		return ROGER_RENDER_SHAPE_15;
	major = strtol(version, &end, 10);
	if (end == version || *end != '.')
		return ROGER_RENDER_SHAPE_15;
	minor = strtol(end + 1, &end, 10);
	if (major < 1 || (major == 1 && minor <= 4))
		return ROGER_RENDER_SHAPE_14;
	return ROGER_RENDER_SHAPE_15;
}

const char *roger_render_external_image(const json_t *marathon)
{
	json_t *docker = json_object_get(json_object_get(marathon, "container"),
					 "docker");

	return json_string_value(json_object_get(docker, "image"));
}

static bool lower_hex(const char *s, size_t len)
{
	if (!s || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* `artifact`: the app is a tarball app, which needs its artifact. */
static int check_input(const struct roger_render_input *in, bool artifact,
		       struct roger_err *err)
{
	if (!lower_hex(in->commit, 40) && !lower_hex(in->commit, 64))
		return roger_err_set(
			err, ROGER_EINVALID,
			"cannot render the app: commit '%s' is not a full commit id",
			in->commit ? in->commit : "");
	if (in->image && (!in->image->reference || !*in->image->reference))
		return roger_err_set(
			err, ROGER_EINVALID,
			"cannot render the app: no image reference");
	if (!artifact)
		return 0;
	if (!lower_hex(in->artifact_sha256, 64))
		return roger_err_set(
			err, ROGER_EINVALID,
			"cannot render the app: '%s' is not a SHA-256 digest",
			in->artifact_sha256 ? in->artifact_sha256 : "");
	if (!in->artifact_url || !*in->artifact_url)
		return roger_err_set(err, ROGER_EINVALID,
				     "cannot render the app: no artifact URL");
	return 0;
}

static bool set_value(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return v && !json_is_null(v);
}

/*
 * Refuse in the fragment `frag` (at JSON path `where`) what roger sets
 * itself.  Nulls are fine: they only delete.
 */
static int check_fragment(const json_t *frag, const char *where,
			  struct roger_err *err)
{
	json_t *labels = json_object_get(frag, "labels");
	json_t *env = json_object_get(frag, "env");

	if (set_value(frag, "id"))
		return roger_err_set(
			err, ROGER_EINVALID,
			"%s.id: must not be set: roger sets the app id from 'group' and 'app'",
			where);
	if (set_value(frag, "version"))
		return roger_err_set(
			err, ROGER_EINVALID,
			"%s.version: must not be set: Marathon takes it as a rollback to that version",
			where);
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(owned_labels); i++)
		if (set_value(labels, owned_labels[i]))
			return roger_err_set(
				err, ROGER_EINVALID,
				"%s.labels.%s: roger sets this label on every release; use another name",
				where, owned_labels[i]);
	if (set_value(env, ROGER_ENV_COMMIT))
		return roger_err_set(
			err, ROGER_EINVALID,
			"%s.env.%s: roger sets this variable to the deployed commit; use another name",
			where, ROGER_ENV_COMMIT);
	if (json_array_size(json_object_get(frag, "uris")) > 0)
		return roger_err_set(
			err, ROGER_EINVALID,
			"%s.uris: cannot be used with fetch, which roger sets for the artifact; write each URI as a fetch entry {\"uri\": \"...\"}",
			where);
	return 0;
}

static int check_fragments(const struct roger_project *p, const char *env,
			   struct roger_err *err)
{
	struct roger_buf where = ROGER_BUF_INIT;
	json_t *overlay;
	int rc;

	if ((rc = check_fragment(p->marathon, "marathon", err)) < 0 || !env)
		return rc;
	overlay = json_object_get(json_object_get(p->environments, env),
				  "marathon");
	if (roger_spec_path_key(&where, "environments") < 0 ||
	    roger_spec_path_key(&where, env) < 0 ||
	    roger_spec_path_key(&where, "marathon") < 0)
		rc = nomem(err);
	else
		rc = check_fragment(overlay, where.buf, err);
	roger_buf_release(&where);
	return rc;
}

/* The fetch list: the artifact's entry first, unless the user has one. */
static json_t *render_fetch(const json_t *user, const char *url)
{
	json_t *fetch = json_array(), *e;
	bool found = false;
	size_t i;

	if (!fetch)
		return NULL;
	json_array_foreach(user, i, e) {
		const char *uri = json_string_value(json_object_get(e, "uri"));

		if (uri && !strcmp(uri, url))
			found = true;
	}
	if (!found &&
	    json_array_append_new(fetch, json_pack("{s:s, s:b}", "uri", url,
						   "extract", 1)) < 0)
		goto fail;
	json_array_foreach(user, i, e)
		if (json_array_append(fetch, e) < 0)
			goto fail;
	return fetch;
fail:
	json_decref(fetch);
	return NULL;
}

/* A shallow copy of the object `user` (or a new one) for roger to add to. */
static int own_object(json_t **out, const json_t *user, const char *what,
		      struct roger_err *err)
{
	if (user && !json_is_object(user))
		return roger_err_set(err, ROGER_EINVALID,
				     "marathon.%s: expected an object, got %s",
				     what, roger_spec_type_name(user));
	*out = user ? json_copy((json_t *)user) : json_object();
	return *out ? 0 : nomem(err);
}

/*
 * roger.json's `expose`, the environment's members over the base's, as
 * marathon-lb labels (MARATHON-LB.md §5): HAPROXY_GROUP from the target,
 * HAPROXY_0_VHOST, HAPROXY_0_MODE (http with a vhost, or as asked),
 * HAPROXY_0_REDIRECT_TO_HTTPS; a pinned service port goes into the first
 * port definition (or port mapping).  A label the user set too is refused.
 */
static int add_expose(json_t *app, json_t *labels, const json_t *root,
		      const char *env, const struct roger_render_input *in,
		      struct roger_err *err)
{
	const json_t *base = json_object_get(root, "expose");
	const json_t *over =
		env ? json_object_get(
			      json_object_get(
				      json_object_get(root, "environments"),
				      env),
			      "expose")
		    : NULL;
	json_t *ex = json_object(), *vhost, *sp, *v;
	struct roger_buf names = ROGER_BUF_INIT;
	const char *key, *mode;
	int rc = 0;

	if (!ex)
		return nomem(err);
	if (base)
		json_object_update(ex, (json_t *)base);
	if (over)
		json_object_update(ex, (json_t *)over);
	{
		void *tmp;

		json_object_foreach_safe(ex, tmp, key, v) if (json_is_null(v))
			json_object_del(ex, key);
	}
	vhost = json_object_get(ex, "vhost");
	if (json_is_string(vhost)) {
		rc = roger_buf_adds(&names, json_string_value(vhost));
	} else {
		size_t i;

		json_array_foreach(vhost, i, v)
			if (rc == 0)
				rc = roger_buf_addf(&names, "%s%s",
						    i ? "," : "",
						    json_string_value(v));
	}
	for (size_t i = 0; i < names.len; i++)
		names.buf[i] = (char)(names.buf[i] >= 'A' && names.buf[i] <= 'Z'
					      ? names.buf[i] + 32
					      : names.buf[i]);
	mode = json_string_value(json_object_get(ex, "mode"));
	if (!mode && names.len)
		mode = "http";
	if (rc < 0)
		goto nomem;
	if (json_is_true(json_object_get(ex, "https_redirect")) && !names.len) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"expose.https_redirect: needs a vhost (marathon-lb redirects by host name)");
		goto out;
	}
	{
		const char *set[][2] = {
			{ "HAPROXY_GROUP", in->router_group },
			{ "HAPROXY_0_VHOST", names.len ? names.buf : NULL },
			{ "HAPROXY_0_MODE", mode },
			{ "HAPROXY_0_REDIRECT_TO_HTTPS",
			  json_is_true(json_object_get(ex, "https_redirect"))
				  ? "true"
				  : NULL },
		};

		for (size_t i = 0; i < ROGER_ARRAY_SIZE(set); i++) {
			key = set[i][0];
			if (!set[i][1])
				continue;
			if (json_object_get(labels, key)) {
				rc = roger_err_set(
					err, ROGER_EINVALID,
					"marathon.labels.%s: roger sets it from 'expose' (or the target's router); remove it from marathon.labels",
					key);
				goto out;
			}
			if (json_object_set_new(labels, key,
						json_string(set[i][1])) < 0)
				goto nomem;
		}
	}
	sp = json_object_get(ex, "service_port");
	if (sp) {
		json_t *maps = json_object_get(
			json_object_get(app, "container"), "portMappings");
		json_t *defs = json_object_get(app, "portDefinitions");
		json_t *first = json_array_get(maps ? maps : defs, 0);
		const char *field = maps ? "servicePort" : "port";

		if (!first) {
			json_t *pd = json_pack("[{s:O}]", "port", sp);

			if (!pd ||
			    json_object_set_new(app, "portDefinitions", pd) < 0)
				goto nomem;
		} else {
			/* a copy: the user's fragment stays as it was */
			json_t *copy = json_deep_copy(maps ? maps : defs);

			if (!copy || json_object_set(json_array_get(copy, 0),
						     field, sp) < 0) {
				json_decref(copy);
				goto nomem;
			}
			if (maps)
				json_object_set_new(
					json_object_get(app, "container"),
					"portMappings", copy);
			else
				json_object_set_new(app, "portDefinitions",
						    copy);
		}
	}
	goto out;
nomem:
	rc = nomem(err);
out:
	roger_buf_release(&names);
	json_decref(ex);
	return rc;
}

/*
 * The instance count of the fragment, as ROGER_INSTANCES records it:
 * Marathon's default 1 when it has none (a value Marathon would refuse
 * is recorded as it is written, for the diff to show).
 */
static json_t *instances_label(const json_t *frag)
{
	json_t *v = json_object_get(frag, "instances");
	char *text, num[32];
	int64_t n;

	if (!v || json_is_null(v))
		return json_string("1");
	if (roger_json_int(v, 0, INT32_MAX, &n)) {
		snprintf(num, sizeof(num), "%lld", (long long)n);
		return json_string(num);
	}
	text = json_dumps(v, JSON_ENCODE_ANY);
	v = json_string(text ? text : "?");
	free(text);
	return v;
}

/*
 * The container of an image app: the fragment's `user` container (volumes
 * and the like; check_fragment() left type and image to roger) with the
 * type, the image and, for Marathon 1.4's Docker containers, the network.
 */
static json_t *image_container(const json_t *user,
			       const struct roger_render_image *im)
{
	const char *runtime = im->runtime ? im->runtime : "DOCKER";
	json_t *c = json_object(),
	       *user_docker = json_object_get(user, "docker");
	json_t *docker = json_object(), *v;
	const char *key;

	/* type and image first, as Marathon's documentation writes them */
	if (!c || !docker ||
	    json_object_set_new(c, "type", json_string(runtime)) < 0 ||
	    json_object_set(c, "docker", docker) < 0 ||
	    json_object_set_new(docker, "image", json_string(im->reference)) <
		    0)
		goto fail;
	json_object_foreach((json_t *)user_docker, key, v)
		if (strcmp(key, "image") && json_object_set(docker, key, v) < 0)
			goto fail;
	json_object_foreach((json_t *)user, key, v)
		if (strcmp(key, "type") && strcmp(key, "docker") &&
		    json_object_set(c, key, v) < 0)
			goto fail;
	if (im->shape == ROGER_RENDER_SHAPE_14 && !strcmp(runtime, "DOCKER") &&
	    !json_object_get(docker, "network") &&
	    json_object_set_new(docker, "network", json_string("HOST")) < 0)
		goto fail;
	json_decref(docker);
	return c;
fail:
	json_decref(docker);
	json_decref(c);
	return NULL;
}

/* What an image app has instead of the artifact's fetch entry. */
static int image_parts(json_t *app, const json_t *frag,
		       const struct roger_render_image *im)
{
	json_t *c = image_container(json_object_get(frag, "container"), im);

	if (!c || json_object_set_new(app, "container", c) < 0)
		return ROGER_ENOMEM;
	if (im->shape == ROGER_RENDER_SHAPE_15 &&
	    !json_object_get(frag, "networks") &&
	    json_object_set_new(app, "networks",
				json_pack("[{s:s}]", "mode", "host")) < 0)
		return ROGER_ENOMEM;
	return 0;
}

/* The labels that say what runs: the artifact's, or the image's. */
static int what_runs(json_t *labels, const struct roger_render_input *in,
		     const json_t *frag)
{
	const char *external = roger_render_external_image(frag);

	if (in->image)
		return json_object_set_new(labels, ROGER_LABEL_IMAGE,
					   json_string(in->image->reference)) <
			       0 ||
		       (in->image->base &&
			json_object_set_new(labels, ROGER_LABEL_IMAGE_BASE,
					    json_string(in->image->base)) < 0);
	if (external)
		return json_object_set_new(labels, ROGER_LABEL_IMAGE,
					   json_string(external)) < 0;
	return json_object_set_new(labels, ROGER_LABEL_ARTIFACT_SHA256,
				   json_string(in->artifact_sha256)) < 0;
}

static int assemble(json_t **out, const struct roger_project_app *p,
		    const json_t *root, const char *env,
		    const struct roger_render_input *in, const json_t *frag,
		    struct roger_err *err)
{
	json_t *app = json_object(), *labels = NULL, *envs = NULL, *fetch;
	const char *key, *by = in->deployed_by ? in->deployed_by : "unknown";
	bool artifact = !in->image && !roger_render_external_image(frag);
	json_t *v;
	int rc = 0;

	if (!app || json_object_set_new(app, "id", json_string(p->id)) < 0)
		goto nomem;
	json_object_foreach((json_t *)frag, key, v) {
		if (!strcmp(key, "id") || !strcmp(key, "uris"))
			continue;
		if (json_object_set(app, key, v) < 0)
			goto nomem;
	}
	if (artifact) {
		fetch = render_fetch(json_object_get(frag, "fetch"),
				     in->artifact_url);
		if (!fetch || json_object_set_new(app, "fetch", fetch) < 0)
			goto nomem;
	}
	if (in->image && image_parts(app, frag, in->image) < 0)
		goto nomem;
	if ((rc = own_object(&labels, json_object_get(frag, "labels"), "labels",
			     err)) < 0 ||
	    (rc = own_object(&envs, json_object_get(frag, "env"), "env", err)) <
		    0)
		goto out;
	if (json_object_set_new(labels, ROGER_LABEL_APP, json_string(p->id)) <
		    0 ||
	    json_object_set_new(labels, ROGER_LABEL_ENV,
				json_string(env ? env : "")) < 0 ||
	    json_object_set_new(labels, ROGER_LABEL_COMMIT,
				json_string(in->commit)) < 0 ||
	    what_runs(labels, in, frag) ||
	    json_object_set_new(labels, ROGER_LABEL_VERSION,
				json_string(in->roger_version
						    ? in->roger_version
						    : roger_version())) < 0 ||
	    json_object_set_new(labels, ROGER_LABEL_DEPLOYED_BY,
				json_string(by)) < 0 ||
	    json_object_set_new(labels, ROGER_LABEL_INSTANCES,
				instances_label(frag)) < 0 ||
	    (in->dirty && json_object_set_new(labels, ROGER_LABEL_DIRTY,
					      json_string("true")) < 0) ||
	    json_object_set_new(envs, ROGER_ENV_COMMIT,
				json_string(in->commit)) < 0)
		goto nomem;
	if ((rc = add_expose(app, labels, root, env, in, err)) < 0)
		goto out;
	if (json_object_set(app, "labels", labels) < 0 ||
	    json_object_set(app, "env", envs) < 0)
		goto nomem;
	*out = app;
	app = NULL;
	goto out;
nomem:
	rc = nomem(err);
out:
	json_decref(labels);
	json_decref(envs);
	json_decref(app);
	return rc;
}

int roger_render_app(json_t **out, const struct roger_project *p,
		     const char *env, const struct roger_render_input *in,
		     struct roger_err *err)
{
	char short_commit[ROGER_SHORT_COMMIT_LEN + 1];
	struct roger_project_app a;
	struct roger_var *vars = NULL;
	json_t *merged = NULL, *expanded = NULL;
	bool artifact;
	size_t n = 0;
	int rc;

	if ((rc = roger_project_app(&a, p, env, err)) < 0)
		return rc;
	if ((rc = roger_project_environment(p, env, &merged, NULL, err)) < 0)
		return rc;
	artifact = !in->image && !roger_render_external_image(merged);
	if ((rc = check_input(in, artifact, err)) < 0 ||
	    (rc = check_fragments(p, env, err)) < 0)
		goto out;
	vars = malloc((6 + in->n_vars) * sizeof(*vars));
	if (!vars) {
		rc = nomem(err);
		goto out;
	}
	snprintf(short_commit, sizeof(short_commit), "%s", in->commit);
	vars[n++] = (struct roger_var){ "commit", in->commit };
	vars[n++] = (struct roger_var){ "short_commit", short_commit };
	vars[n++] = (struct roger_var){ "app", a.app };
	vars[n++] = (struct roger_var){ "env", env ? env : "" };
	if (artifact) {
		vars[n++] =
			(struct roger_var){ "artifact_url", in->artifact_url };
		vars[n++] = (struct roger_var){ "artifact_sha256",
						in->artifact_sha256 };
	}
	for (size_t i = 0; i < in->n_vars; i++)
		vars[n++] = in->vars[i];
	if ((rc = roger_spec_expand(&expanded, merged, vars, n, "marathon",
				    err)) < 0)
		goto out;
	rc = assemble(out, &a, p->root, env, in, expanded, err);
out:
	free(vars);
	json_decref(expanded);
	json_decref(merged);
	return rc;
}

/* {"app": {...}} -> the app; anything else as it is. */
static const json_t *unwrap(const json_t *v)
{
	json_t *inner = json_object_get(v, "app");

	return json_is_object(inner) && !json_object_get(v, "id") ? inner : v;
}

bool roger_render_release(struct roger_release *out, const json_t *app)
{
	json_t *labels = json_object_get(unwrap(app), "labels");

	out->app = json_string_value(json_object_get(labels, ROGER_LABEL_APP));
	out->env = json_string_value(json_object_get(labels, ROGER_LABEL_ENV));
	out->commit =
		json_string_value(json_object_get(labels, ROGER_LABEL_COMMIT));
	out->artifact_sha256 = json_string_value(
		json_object_get(labels, ROGER_LABEL_ARTIFACT_SHA256));
	out->roger_version =
		json_string_value(json_object_get(labels, ROGER_LABEL_VERSION));
	out->deployed_by = json_string_value(
		json_object_get(labels, ROGER_LABEL_DEPLOYED_BY));
	out->dirty =
		json_is_string(json_object_get(labels, ROGER_LABEL_DIRTY)) &&
		!strcmp(json_string_value(
				json_object_get(labels, ROGER_LABEL_DIRTY)),
			"true");
	out->image =
		json_string_value(json_object_get(labels, ROGER_LABEL_IMAGE));
	out->image_base = json_string_value(
		json_object_get(labels, ROGER_LABEL_IMAGE_BASE));
	return out->commit != NULL;
}

int roger_render_mask_secrets(json_t **out, const json_t *app,
			      struct roger_err *err)
{
	static const char *const maps[] = { "env", "labels" };
	json_t *copy = json_deep_copy(app), *inner;

	if (!copy)
		return nomem(err);
	inner = (json_t *)unwrap(copy);
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(maps); i++) {
		json_t *map = json_object_get(inner, maps[i]), *v;
		const char *key;

		json_object_foreach(map, key, v) {
			if (!roger_config_name_is_secret(key, false))
				continue;
			if (json_object_set_new(map, key, json_string("***")) <
			    0) {
				json_decref(copy);
				return nomem(err);
			}
		}
	}
	*out = copy;
	return 0;
}

/* ---- the diff schema ----------------------------------------------------- */

enum {
	F_IGNORE = 1 << 0, /* owned by the server: never compared */
	F_ANY = 1 << 1, /* left out on one side: anything goes */
	F_KEEP_EMPTY = 1 << 2, /* [] is a value, not "absent" */
	F_PORT = 1 << 3, /* 0 stands for whatever port is assigned */
	F_METADATA = 1 << 4, /* skipped with ROGER_DIFF_IGNORE_METADATA */
};

struct node;

struct field {
	const char *key;
	unsigned flags;
	enum roger_marathon_default dflt; /* what its absence stands for */
	const struct node *node;
};

struct node {
	const struct field *fields; /* sorted by key */
	size_t n_fields;
	const struct node *elem; /* the schema of an array's elements */
	enum roger_marathon_default absent; /* an absent value stands for it */
	bool secret_keys; /* members are names that may look secret */
};

#define FIELDS(a) a, ROGER_ARRAY_SIZE(a)

static const struct field health_check_fields[] = {
	{ "delaySeconds", 0, ROGER_MD_HC_DELAY, NULL },
	{ "gracePeriodSeconds", 0, ROGER_MD_HC_GRACE, NULL },
	{ "ignoreHttp1xx", 0, ROGER_MD_HC_IGNORE_1XX, NULL },
	{ "intervalSeconds", 0, ROGER_MD_HC_INTERVAL, NULL },
	{ "ipProtocol", 0, ROGER_MD_HC_IP_PROTOCOL, NULL },
	{ "maxConsecutiveFailures", 0, ROGER_MD_HC_MAX_FAILURES, NULL },
	{ "portIndex", 0, ROGER_MD_HC_PORT_INDEX, NULL },
	{ "protocol", 0, ROGER_MD_HC_PROTOCOL, NULL },
	{ "timeoutSeconds", 0, ROGER_MD_HC_TIMEOUT, NULL },
};
static const struct node health_check = { FIELDS(health_check_fields), NULL,
					  ROGER_MD_NONE, false };
static const struct node health_checks = { NULL, 0, &health_check,
					   ROGER_MD_NONE, false };

static const struct field fetch_fields[] = {
	{ "cache", 0, ROGER_MD_FETCH_CACHE, NULL },
	{ "executable", 0, ROGER_MD_FETCH_EXECUTABLE, NULL },
	{ "extract", 0, ROGER_MD_FETCH_EXTRACT, NULL },
};
static const struct node fetch_entry = { FIELDS(fetch_fields), NULL,
					 ROGER_MD_NONE, false };
static const struct node fetch_list = { NULL, 0, &fetch_entry, ROGER_MD_NONE,
					false };

static const struct field port_fields[] = {
	{ "name", 0, ROGER_MD_PORT_NAME, NULL },
	{ "port", F_PORT, ROGER_MD_PORT_PORT, NULL },
	{ "protocol", 0, ROGER_MD_PORT_PROTOCOL, NULL },
};
static const struct node port_definition = { FIELDS(port_fields), NULL,
					     ROGER_MD_NONE, false };
static const struct node port_definitions = { NULL, 0, &port_definition,
					      ROGER_MD_PORT_DEFINITIONS,
					      false };

static const struct field port_mapping_fields[] = {
	{ "hostPort", 0, ROGER_MD_MAPPING_HOST_PORT, NULL },
	{ "protocol", 0, ROGER_MD_MAPPING_PROTOCOL, NULL },
	{ "servicePort", F_PORT, ROGER_MD_MAPPING_SERVICE_PORT, NULL },
};
static const struct node port_mapping = { FIELDS(port_mapping_fields), NULL,
					  ROGER_MD_NONE, false };
static const struct node port_mappings = { NULL, 0, &port_mapping,
					   ROGER_MD_NONE, false };

static const struct field docker_fields[] = {
	{ "forcePullImage", 0, ROGER_MD_DOCKER_FORCE_PULL, NULL },
	{ "portMappings", 0, ROGER_MD_NONE, &port_mappings },
	{ "privileged", 0, ROGER_MD_DOCKER_PRIVILEGED, NULL },
};
static const struct node docker_node = { FIELDS(docker_fields), NULL,
					 ROGER_MD_NONE, false };

static const struct field container_fields[] = {
	{ "docker", 0, ROGER_MD_NONE, &docker_node },
	{ "portMappings", 0, ROGER_MD_NONE, &port_mappings },
};
static const struct node container_node = { FIELDS(container_fields), NULL,
					    ROGER_MD_NONE, false };

static const struct node networks_node = { NULL, 0, NULL, ROGER_MD_NETWORKS,
					   false };

static const struct field upgrade_fields[] = {
	{ "maximumOverCapacity", 0, ROGER_MD_UPGRADE_MAX_OVER, NULL },
	{ "minimumHealthCapacity", 0, ROGER_MD_UPGRADE_MIN_HEALTH, NULL },
};
static const struct node upgrade = { FIELDS(upgrade_fields), NULL,
				     ROGER_MD_NONE, false };

static const struct field unreachable_fields[] = {
	{ "expungeAfterSeconds", 0, ROGER_MD_UNREACHABLE_EXPUNGE, NULL },
	{ "inactiveAfterSeconds", 0, ROGER_MD_UNREACHABLE_INACTIVE, NULL },
};
static const struct node unreachable = { FIELDS(unreachable_fields), NULL,
					 ROGER_MD_NONE, false };

/*
 * ROGER_INSTANCES: a release made before roger recorded it has none,
 * which is no reason to deploy it again.
 */
static const struct field label_fields[] = {
	{ ROGER_LABEL_DEPLOYED_BY, F_METADATA, ROGER_MD_NONE, NULL },
	{ ROGER_LABEL_INSTANCES, F_ANY, ROGER_MD_NONE, NULL },
	{ ROGER_LABEL_ROLLBACK_BY, F_METADATA, ROGER_MD_NONE, NULL },
	{ ROGER_LABEL_ROLLBACK_CAUSE, F_METADATA, ROGER_MD_NONE, NULL },
	{ ROGER_LABEL_ROLLBACK_COMMIT, F_METADATA, ROGER_MD_NONE, NULL },
	{ ROGER_LABEL_ROLLBACK_OF, F_METADATA, ROGER_MD_NONE, NULL },
	{ ROGER_LABEL_ROLLBACK_TO, F_METADATA, ROGER_MD_NONE, NULL },
	{ ROGER_LABEL_VERSION, F_METADATA, ROGER_MD_NONE, NULL },
};
static const struct node labels_node = { FIELDS(label_fields), NULL,
					 ROGER_MD_NONE, true };
static const struct node env_node = { NULL, 0, NULL, ROGER_MD_NONE, true };

static const struct field app_fields[] = {
	{ "backoffFactor", 0, ROGER_MD_BACKOFF_FACTOR, NULL },
	{ "backoffSeconds", 0, ROGER_MD_BACKOFF_SECONDS, NULL },
	{ "container", 0, ROGER_MD_NONE, &container_node },
	{ "cpus", 0, ROGER_MD_CPUS, NULL },
	{ "deployments", F_IGNORE, ROGER_MD_NONE, NULL },
	{ "disk", 0, ROGER_MD_DISK, NULL },
	{ "env", 0, ROGER_MD_NONE, &env_node },
	{ "executor", 0, ROGER_MD_EXECUTOR, NULL },
	{ "fetch", 0, ROGER_MD_NONE, &fetch_list },
	{ "gpus", 0, ROGER_MD_GPUS, NULL },
	{ "healthChecks", 0, ROGER_MD_NONE, &health_checks },
	{ "id", F_IGNORE, ROGER_MD_NONE, NULL }, /* compared canonically */
	{ "instances", 0, ROGER_MD_INSTANCES, NULL },
	{ "killSelection", 0, ROGER_MD_KILL_SELECTION, NULL },
	{ "labels", 0, ROGER_MD_NONE, &labels_node },
	{ "lastTaskFailure", F_IGNORE, ROGER_MD_NONE, NULL },
	{ "maxLaunchDelaySeconds", 0, ROGER_MD_MAX_LAUNCH_DELAY, NULL },
	{ "mem", 0, ROGER_MD_MEM, NULL },
	{ "networks", 0, ROGER_MD_NONE, &networks_node },
	{ "portDefinitions", F_KEEP_EMPTY, ROGER_MD_NONE, &port_definitions },
	{ "readinessCheckResults", F_IGNORE, ROGER_MD_NONE, NULL },
	{ "requirePorts", 0, ROGER_MD_REQUIRE_PORTS, NULL },
	{ "role", F_ANY, ROGER_MD_NONE, NULL },
	{ "taskStats", F_IGNORE, ROGER_MD_NONE, NULL },
	{ "tasks", F_IGNORE, ROGER_MD_NONE, NULL },
	{ "tasksHealthy", F_IGNORE, ROGER_MD_NONE, NULL },
	{ "tasksRunning", F_IGNORE, ROGER_MD_NONE, NULL },
	{ "tasksStaged", F_IGNORE, ROGER_MD_NONE, NULL },
	{ "tasksUnhealthy", F_IGNORE, ROGER_MD_NONE, NULL },
	{ "unreachableStrategy", 0, ROGER_MD_NONE, &unreachable },
	{ "upgradeStrategy", 0, ROGER_MD_NONE, &upgrade },
	{ "version", F_IGNORE, ROGER_MD_NONE, NULL },
	{ "versionInfo", F_IGNORE, ROGER_MD_NONE, NULL },
};
static const struct node app_node = { FIELDS(app_fields), NULL, ROGER_MD_NONE,
				      false };

static const struct field *find_field(const struct node *node, const char *key)
{
	size_t lo = 0, hi = node ? node->n_fields : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(key, node->fields[mid].key);

		if (c == 0)
			return &node->fields[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- the walk ------------------------------------------------------------ */

struct walk {
	struct roger_diff *d;
	size_t alloc;
	struct roger_buf path;
	unsigned flags;
	struct roger_err *err;
};

static json_t *copy_value(const json_t *v, bool secret)
{
	if (!v)
		return NULL;
	return secret ? json_string("***") : json_deep_copy(v);
}

static int record(struct walk *w, enum roger_diff_op op, const json_t *o,
		  const json_t *n, bool secret)
{
	struct roger_diff_change *c;

	if (w->d->n == w->alloc) {
		size_t alloc = w->alloc ? 2 * w->alloc : 16;
		struct roger_diff_change *grown =
			realloc(w->d->items, alloc * sizeof(*grown));

		if (!grown)
			return nomem(w->err);
		w->d->items = grown;
		w->alloc = alloc;
	}
	c = &w->d->items[w->d->n];
	c->op = op;
	c->secret = secret;
	c->path = strdup(w->path.len ? w->path.buf : "(app)");
	c->old_value = copy_value(o, secret);
	c->new_value = copy_value(n, secret);
	if (!c->path || (o && !c->old_value) || (n && !c->new_value)) {
		free(c->path);
		json_decref(c->old_value);
		json_decref(c->new_value);
		return nomem(w->err);
	}
	w->d->n++;
	return 0;
}

static bool absentish(const json_t *v, unsigned flags)
{
	if (!v || json_is_null(v))
		return true;
	if (flags & F_KEEP_EMPTY)
		return false;
	return (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

static bool scalar_equal(const json_t *a, const json_t *b, unsigned flags)
{
	if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a), y = json_number_value(b);

		return x == y || ((flags & F_PORT) && (x == 0 || y == 0));
	}
	return json_equal((json_t *)a, (json_t *)b);
}

/* Whether `v` is one of the values (of any version) of default `d`. */
static bool is_default(const json_t *v, enum roger_marathon_default which)
{
	const char *defaults = roger_marathon_default_json(which);
	char one[64];

	while (defaults && *defaults) {
		size_t len = strcspn(defaults, "|");
		json_t *d;
		bool eq;

		snprintf(one, sizeof(one), "%.*s", (int)len, defaults);
		d = json_loads(one, JSON_DECODE_ANY, NULL);
		eq = d && scalar_equal(v, d, 0);
		json_decref(d);
		if (eq)
			return true;
		defaults += len;
		if (*defaults == '|')
			defaults++;
	}
	return false;
}

static int diff_value(struct walk *w, const json_t *o, const json_t *n,
		      const struct field *f, const struct node *node,
		      bool secret);

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of `o` and `n`, sorted, without duplicates (array malloc'd). */
static const char **union_keys(size_t *count, const json_t *o, const json_t *n)
{
	size_t max = json_object_size(o) + json_object_size(n), k = 0;
	const char **keys = malloc((max ? max : 1) * sizeof(*keys));
	const char *key;
	json_t *v;

	if (!keys)
		return NULL;
	json_object_foreach((json_t *)o, key, v)
		keys[k++] = key;
	json_object_foreach((json_t *)n, key, v)
		if (!json_object_get(o, key))
			keys[k++] = key;
	qsort(keys, k, sizeof(*keys), cmp_keys);
	*count = k;
	return keys;
}

static int diff_objects(struct walk *w, const json_t *o, const json_t *n,
			const struct node *node, bool secret)
{
	size_t mark = w->path.len, count = 0;
	const char **keys = union_keys(&count, o, n);
	int rc = 0;

	if (!keys)
		return nomem(w->err);
	for (size_t i = 0; i < count && rc == 0; i++) {
		const struct field *f = find_field(node, keys[i]);
		bool hide =
			secret || (node && node->secret_keys &&
				   roger_config_name_is_secret(keys[i], false));

		if (f && (f->flags & F_IGNORE))
			continue;
		if (f && (f->flags & F_METADATA) &&
		    (w->flags & ROGER_DIFF_IGNORE_METADATA))
			continue;
		if (roger_spec_path_key(&w->path, keys[i]) < 0) {
			rc = nomem(w->err);
			break;
		}
		rc = diff_value(w, json_object_get(o, keys[i]),
				json_object_get(n, keys[i]), f,
				f ? f->node : NULL, hide);
		roger_buf_truncate(&w->path, mark);
	}
	free(keys);
	return rc;
}

static int diff_arrays(struct walk *w, const json_t *o, const json_t *n,
		       const struct node *elem, bool secret)
{
	size_t mark = w->path.len;
	size_t lo = json_array_size(o), ln = json_array_size(n);
	int rc = 0;

	for (size_t i = 0; i < (lo > ln ? lo : ln) && rc == 0; i++) {
		json_t *a = json_array_get(o, i), *b = json_array_get(n, i);

		if (roger_spec_path_index(&w->path, i) < 0)
			return nomem(w->err);
		if (a && b)
			rc = diff_value(w, a, b, NULL, elem, secret);
		else
			rc = record(w, a ? ROGER_DIFF_REMOVE : ROGER_DIFF_ADD,
				    a, b, secret);
		roger_buf_truncate(&w->path, mark);
	}
	return rc;
}

/*
 * One side lacks the value: compare with what its absence stands for (an
 * empty object or array, or the node's stand-in), else with the defaults.
 */
static int diff_one_side(struct walk *w, const json_t *o, const json_t *n,
			 const struct field *f, const struct node *node,
			 bool secret)
{
	const json_t *present = o ? o : n;
	json_t *stand_in;
	int rc;

	/* An absent port is 0 too: Marathon assigns one. */
	if (f && (f->flags & (F_ANY | F_PORT)))
		return 0;
	if (node && node->absent)
		stand_in = json_loads(roger_marathon_default_json(node->absent),
				      0, NULL);
	else if (json_is_object(present))
		stand_in = json_object();
	else if (json_is_array(present))
		stand_in = json_array();
	else if (f && is_default(present, f->dflt))
		return 0;
	else
		return record(w, o ? ROGER_DIFF_REMOVE : ROGER_DIFF_ADD, o, n,
			      secret);
	if (!stand_in)
		return nomem(w->err);
	/* Never back through diff_value: an empty stand-in is "absent". */
	if (json_is_object(present) && json_is_object(stand_in))
		rc = diff_objects(w, o ? o : stand_in, n ? n : stand_in, node,
				  secret);
	else if (json_is_array(present) && json_is_array(stand_in))
		rc = diff_arrays(w, o ? o : stand_in, n ? n : stand_in,
				 node ? node->elem : NULL, secret);
	else
		rc = record(w, o ? ROGER_DIFF_REMOVE : ROGER_DIFF_ADD, o, n,
			    secret);
	json_decref(stand_in);
	return rc;
}

static int diff_value(struct walk *w, const json_t *o, const json_t *n,
		      const struct field *f, const struct node *node,
		      bool secret)
{
	unsigned flags = f ? f->flags : 0;

	if (absentish(o, flags))
		o = NULL;
	if (absentish(n, flags))
		n = NULL;
	if (!o && !n)
		return 0;
	if (!o || !n)
		return diff_one_side(w, o, n, f, node, secret);
	if (json_is_object(o) && json_is_object(n))
		return diff_objects(w, o, n, node, secret);
	if (json_is_array(o) && json_is_array(n))
		return diff_arrays(w, o, n, node ? node->elem : NULL, secret);
	if (scalar_equal(o, n, flags))
		return 0;
	return record(w, ROGER_DIFF_CHANGE, o, n, secret);
}

/* ---- legacy shapes ------------------------------------------------------- */

static bool host_networking(const json_t *app)
{
	json_t *docker =
		json_object_get(json_object_get(app, "container"), "docker");
	const char *net = json_string_value(json_object_get(docker, "network"));
	json_t *e;
	size_t i;

	if (net && strcmp(net, "HOST"))
		return false;
	json_array_foreach(json_object_get(app, "networks"), i, e) {
		const char *mode =
			json_string_value(json_object_get(e, "mode"));

		if (mode && strcmp(mode, "host"))
			return false;
	}
	return true;
}

/* A list of {key: value} objects, one per element of `values`. */
static json_t *objects_of(const json_t *values, const char *key)
{
	json_t *list = json_array(), *v;
	size_t i;

	if (!list)
		return NULL;
	json_array_foreach(values, i, v) {
		json_t *e = json_object();

		if (!e || json_object_set(e, key, v) < 0 ||
		    json_array_append_new(list, e) < 0) {
			json_decref(e);
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

/*
 * Marathon 1.4's networking, inside container.docker, as 1.5 writes it
 * (MESOS-CONTAINERS.md section 1): docker.network HOST, BRIDGE or USER
 * becomes "networks" (USER with the name of ipAddress.networkName), and
 * docker.portMappings container.portMappings, so that an app rendered in
 * one shape compares equal to the same app read back in the other.
 */
static int normalize_network(json_t *app)
{
	json_t *container = json_object_get(app, "container");
	json_t *docker = json_object_get(container, "docker");
	const char *net = json_string_value(json_object_get(docker, "network"));
	json_t *maps = json_object_get(docker, "portMappings"), *nets;
	const char *name;
	bool user;

	if (!net)
		return 0;
	user = !strcmp(net, "USER");
	if (!strcmp(net, "HOST"))
		nets = json_pack("[{s:s}]", "mode", "host");
	else if (!strcmp(net, "BRIDGE"))
		nets = json_pack("[{s:s}]", "mode", "container/bridge");
	else if (user) {
		name = json_string_value(json_object_get(
			json_object_get(app, "ipAddress"), "networkName"));
		nets = name ? json_pack("[{s:s, s:s}]", "mode", "container",
					"name", name)
			    : json_pack("[{s:s}]", "mode", "container");
	} else
		return 0;
	if (!nets)
		return ROGER_ENOMEM;
	if (json_array_size(json_object_get(app, "networks")) == 0 &&
	    json_object_set(app, "networks", nets) < 0) {
		json_decref(nets);
		return ROGER_ENOMEM;
	}
	json_decref(nets);
	if (json_array_size(maps) > 0 &&
	    json_array_size(json_object_get(container, "portMappings")) == 0 &&
	    json_object_set(container, "portMappings", maps) < 0)
		return ROGER_ENOMEM;
	json_object_del(docker, "portMappings");
	json_object_del(docker, "network");
	if (user)
		json_object_del(app, "ipAddress");
	return 0;
}

/*
 * Rewrite a copy of an app out of its legacy shapes: `ports` becomes
 * portDefinitions (when there are none), `uris` fetch entries (when there
 * is no fetch); both are then dropped.  Without host networking, ports and
 * portDefinitions are derived by Marathon and dropped too.
 */
static int normalize(json_t *app)
{
	json_t *ports = json_object_get(app, "ports");
	json_t *defs = json_object_get(app, "portDefinitions");
	json_t *uris = json_object_get(app, "uris");
	json_t *list;

	if (normalize_network(app) < 0)
		return ROGER_ENOMEM;
	if (!host_networking(app)) {
		json_object_del(app, "portDefinitions");
	} else if (json_array_size(ports) > 0 &&
		   (!defs || json_is_null(defs))) {
		list = objects_of(ports, "port");
		if (!list ||
		    json_object_set_new(app, "portDefinitions", list) < 0)
			return ROGER_ENOMEM;
	}
	json_object_del(app, "ports");
	if (json_array_size(uris) > 0 &&
	    json_array_size(json_object_get(app, "fetch")) == 0) {
		list = objects_of(uris, "uri");
		if (!list || json_object_set_new(app, "fetch", list) < 0)
			return ROGER_ENOMEM;
	}
	json_object_del(app, "uris");
	return 0;
}

/* The id without leading and trailing '/' (borrowed from `app`). */
static void canonical_id(const json_t *app, const char **start, size_t *len)
{
	const char *id = json_string_value(json_object_get(app, "id"));
	size_t n;

	if (!id)
		id = "";
	while (*id == '/')
		id++;
	n = strlen(id);
	while (n > 0 && id[n - 1] == '/')
		n--;
	*start = id;
	*len = n;
}

static int diff_ids(struct walk *w, const json_t *o, const json_t *n)
{
	const char *a, *b;
	size_t la, lb;
	int rc;

	canonical_id(o, &a, &la);
	canonical_id(n, &b, &lb);
	if (la == lb && !memcmp(a, b, la))
		return 0;
	if ((rc = roger_spec_path_key(&w->path, "id")) < 0)
		return nomem(w->err);
	rc = diff_value(w, json_object_get(o, "id"), json_object_get(n, "id"),
			NULL, NULL, false);
	roger_buf_reset(&w->path);
	return rc;
}

int roger_diff_apps(struct roger_diff **out, const json_t *old_app,
		    const json_t *new_app, unsigned flags,
		    struct roger_err *err)
{
	struct walk w = { NULL, 0, ROGER_BUF_INIT, flags, err };
	json_t *o = NULL, *n = NULL;
	int rc;

	old_app = unwrap(old_app);
	new_app = unwrap(new_app);
	if (!json_is_object(old_app) || !json_is_object(new_app))
		return roger_err_set(
			err, ROGER_EINVALID,
			"cannot compare apps: expected two app objects");
	w.d = calloc(1, sizeof(*w.d));
	o = json_deep_copy(old_app);
	n = json_deep_copy(new_app);
	if (!w.d || !o || !n || normalize(o) < 0 || normalize(n) < 0) {
		rc = nomem(err);
		goto out;
	}
	if ((rc = diff_ids(&w, o, n)) < 0 ||
	    (rc = diff_objects(&w, o, n, &app_node, false)) < 0)
		goto out;
	*out = w.d;
	w.d = NULL;
out:
	roger_diff_free(w.d);
	roger_buf_release(&w.path);
	json_decref(o);
	json_decref(n);
	return rc;
}

void roger_diff_free(struct roger_diff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].path);
		json_decref(d->items[i].old_value);
		json_decref(d->items[i].new_value);
	}
	free(d->items);
	free(d);
}

bool roger_diff_empty(const struct roger_diff *d)
{
	return !d || d->n == 0;
}

/* ---- output -------------------------------------------------------------- */

static const char *op_name(enum roger_diff_op op)
{
	switch (op) {
	case ROGER_DIFF_ADD:
		return "add";
	case ROGER_DIFF_REMOVE:
		return "remove";
	case ROGER_DIFF_CHANGE:
		break;
	}
	return "change";
}

static int add_json(struct roger_buf *out, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
					JSON_REAL_PRECISION(15));
	int rc;

	if (!s)
		return ROGER_ENOMEM;
	rc = roger_buf_adds(out, s);
	free(s);
	return rc;
}

int roger_diff_format_text(struct roger_buf *out, const struct roger_diff *d,
			   unsigned flags)
{
	static const char *const sign[] = { "+", "-", "~" };
	static const char *const color[] = { "\033[32m", "\033[31m",
					     "\033[33m" };
	bool colored = flags & ROGER_DIFF_COLOR;
	int rc = 0;

	for (size_t i = 0; d && i < d->n && rc == 0; i++) {
		const struct roger_diff_change *c = &d->items[i];

		rc = roger_buf_addf(out,
				    "%s%s %s: ", colored ? color[c->op] : "",
				    sign[c->op], c->path);
		if (rc == 0 && c->old_value)
			rc = add_json(out, c->old_value);
		if (rc == 0 && c->op == ROGER_DIFF_CHANGE)
			rc = roger_buf_adds(out, " -> ");
		if (rc == 0 && c->new_value)
			rc = add_json(out, c->new_value);
		if (rc == 0)
			rc = roger_buf_adds(out, colored ? "\033[0m\n" : "\n");
	}
	return rc < 0 ? ROGER_ENOMEM : 0;
}

int roger_diff_to_json(json_t **out, const struct roger_diff *d,
		       struct roger_err *err)
{
	json_t *list = json_array();

	if (!list)
		return nomem(err);
	for (size_t i = 0; d && i < d->n; i++) {
		const struct roger_diff_change *c = &d->items[i];
		json_t *e = json_pack("{s:s, s:s}", "path", c->path, "op",
				      op_name(c->op));

		if (!e || json_array_append_new(list, e) < 0 ||
		    (c->old_value &&
		     json_object_set(e, "old", c->old_value) < 0) ||
		    (c->new_value &&
		     json_object_set(e, "new", c->new_value) < 0) ||
		    (c->secret &&
		     json_object_set_new(e, "secret", json_true()) < 0)) {
			json_decref(list);
			return nomem(err);
		}
	}
	*out = list;
	return 0;
}
