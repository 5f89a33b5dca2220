/*
 * render.h - the final Marathon app definition roger deploys, and the
 * differences between two app definitions.
 *
 * Rendering takes a loaded roger.json, an environment and what deploy knows
 * (the commit, the artifact's URL and digest, who deploys) to the app JSON
 * that is PUT to Marathon.  Diffing compares two app objects in any shape
 * Marathon 1.4 to 1.10 writes (and the user-shaped rendered app) by JSON
 * path, ignoring what the server owns and what it fills in with defaults,
 * so that "no differences" means "the same app would run".
 *
 * Everything here is pure: JSON and strings in, new JSON or strings out;
 * no files, environment, clock or network.
 */
#ifndef ROGER_RENDER_H
#define ROGER_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_buf;
struct roger_err;
struct roger_project;
struct roger_var;

/* ---- the labels and env roger owns --------------------------------------- */

#define ROGER_LABEL_APP "ROGER_APP" /* the app id, "/web/hello" */
#define ROGER_LABEL_ENV "ROGER_ENV" /* the environment; "" for the base */
#define ROGER_LABEL_COMMIT "ROGER_COMMIT" /* the full commit id */
#define ROGER_LABEL_ARTIFACT_SHA256 "ROGER_ARTIFACT_SHA256"
#define ROGER_LABEL_VERSION "ROGER_VERSION" /* the roger that deployed it */
#define ROGER_LABEL_DEPLOYED_BY "ROGER_DEPLOYED_BY"
/* "true" on a release packaged from a work tree with uncommitted changes */
#define ROGER_LABEL_DIRTY "ROGER_DIRTY"
/* roger.json's instance count the release was rendered with (release.h) */
#define ROGER_LABEL_INSTANCES "ROGER_INSTANCES"
/*
 * On a version that a rollback made (release.h): the version it undid,
 * that version's commit, the version whose definition it deployed again,
 * why ("failed": a deployment failed and roger rolled it back;
 * "requested": `roger rollback`), and who rolled back.
 */
#define ROGER_LABEL_ROLLBACK_OF "ROGER_ROLLBACK_OF"
#define ROGER_LABEL_ROLLBACK_COMMIT "ROGER_ROLLBACK_COMMIT"
#define ROGER_LABEL_ROLLBACK_TO "ROGER_ROLLBACK_TO"
#define ROGER_LABEL_ROLLBACK_CAUSE "ROGER_ROLLBACK_CAUSE"
#define ROGER_LABEL_ROLLBACK_BY "ROGER_ROLLBACK_BY"
#define ROGER_LABEL_IMAGE "ROGER_IMAGE" /* the image the app runs */
#define ROGER_LABEL_IMAGE_BASE "ROGER_IMAGE_BASE" /* what roger built it on */
#define ROGER_ENV_COMMIT "ROGER_COMMIT" /* the env variable of the tasks */

/* How many hex digits {{ short_commit }} and short commits shown have. */
#define ROGER_SHORT_COMMIT_LEN 12

/* ---- rendering ----------------------------------------------------------- */

/*
 * How a Marathon version writes a container's networking
 * (MESOS-CONTAINERS.md section 1): 1.5 and later take top-level
 * "networks"; 1.4 takes "network" inside container.docker.
 */
enum roger_render_shape {
	ROGER_RENDER_SHAPE_15 = 0,
	ROGER_RENDER_SHAPE_14,
};

/*
 * The shape for Marathon `version` as /v2/info reports it ("1.4.13"):
 * ROGER_RENDER_SHAPE_14 for 1.4 and older, ROGER_RENDER_SHAPE_15 for
 * anything else, unknown versions (NULL, "") included, since 1.5 is
 * what every supported Marathon after 1.4 reads.
 */
ROGER_EXTERN enum roger_render_shape
roger_render_shape_for(const char *version);

/* An image app built by roger (roger_render_input.image). */
struct roger_render_image {
	/*
	 * What the runtime pulls: "host/repo@sha256:..." where it can pull
	 * by digest, else "host/repo:tag" with a tag never reused.
	 */
	const char *reference;
	/* The base it was built on, pinned ("debian:12@sha256:..."). */
	const char *base;
	const char *runtime; /* "DOCKER" or "MESOS"; NULL: DOCKER */
	enum roger_render_shape shape;
};

/* What rendering needs beyond roger.json.  Strings are borrowed. */
struct roger_render_input {
	const char *commit; /* 40 (or 64) lower-case hex digits */
	/* A tarball app's (ignored for image apps): */
	const char *artifact_url; /* roger_store_artifact_url() */
	const char *artifact_sha256; /* 64 lower-case hex digits */
	const char *deployed_by; /* "alice@laptop"; NULL: "unknown" */
	const char *roger_version; /* NULL: roger_version() */
	/*
	 * The user's {{ }} variables in lookup order, first wins: what
	 * roger_project_vars() returns when given no built-ins.  The
	 * built-ins are added in front of them, so they always win.
	 */
	const struct roger_var *vars;
	size_t n_vars;
	/*
	 * An image app built by roger: no artifact, a container instead.
	 * NULL for a tarball app, and for an app whose marathon.container
	 * names an image built elsewhere (deployed as it is).
	 */
	const struct roger_render_image *image;
	bool dirty; /* packaged from a work tree with uncommitted changes */
	/* The target's marathon-lb group (HAPROXY_GROUP); NULL: none. */
	const char *router_group;
};

/*
 * The image that the app fragment `marathon` (merged for an environment,
 * variables not yet expanded) names in container.docker.image, borrowed;
 * NULL when none.  An app that names one and has no `image` section runs
 * an image built elsewhere: roger neither builds nor pushes anything for
 * it.
 */
ROGER_EXTERN const char *roger_render_external_image(const json_t *marathon);

/*
 * The app definition to deploy for environment `env` of project `p` (NULL:
 * the base alone), as a new reference in *out:
 *  - the base `marathon` with the environment's overlay deep-merged over it
 *    (roger_project_environment());
 *  - every {{ name }} expanded: the built-ins commit, short_commit (the
 *    first ROGER_SHORT_COMMIT_LEN digits), app (the environment's app
 *    name, "hello"), env (`env`, or "" for the base), artifact_url,
 *    artifact_sha256, then in->vars;
 *  - "id" first: the app id of environment `env` (roger_project_app());
 *  - "fetch": the artifact's entry {"uri": artifact_url, "extract": true}
 *    first, so that the user's entries come after it and may add or
 *    replace files of the tree; a user entry whose uri is the artifact URL
 *    (written as {{ artifact_url }}, to set cache or destPath) takes its
 *    place instead;
 *  - "labels": the user's, then ROGER_APP, ROGER_ENV ("" for the base),
 *    ROGER_COMMIT, ROGER_ARTIFACT_SHA256, ROGER_VERSION,
 *    ROGER_DEPLOYED_BY, ROGER_INSTANCES (the fragment's "instances", 1
 *    when it has none) and, for a dirty work tree only, ROGER_DIRTY
 *    "true"; "env": the user's, then ROGER_COMMIT.
 * An image app (in->image) has no artifact: no fetch entry, no
 * artifact_url or artifact_sha256 variable, no ROGER_ARTIFACT_SHA256;
 * "container" gets "type" (in->image->runtime) and docker.image (the
 * reference), over what marathon.container holds (volumes...), host
 * networking in the shape in->image->shape says (1.5: "networks":
 * [{"mode": "host"}] unless the fragment has networks; 1.4, DOCKER:
 * docker.network "HOST"); labels ROGER_IMAGE (the reference) and
 * ROGER_IMAGE_BASE (in->image->base) replace ROGER_ARTIFACT_SHA256.  An
 * app whose fragment names an image (roger_render_external_image) is
 * rendered as it is written, with ROGER_IMAGE set to that image and no
 * artifact either.
 * ROGER_EINVALID, naming the JSON path (marathon.labels.ROGER_COMMIT or
 * environments.prod.marathon.uris), for: a fragment that sets "id" or
 * "version"; a label or env variable that roger owns (they are refused
 * rather than overwritten, so that nothing the user wrote is dropped
 * silently); a non-empty "uris" (Marathon refuses it together with
 * "fetch", which roger always sets; an empty or null one is dropped); an
 * unknown variable; inputs of the wrong shape (callers put the file in
 * front with roger_err_prefix(), as for lib/spec.h).  ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_render_app(json_t **out, const struct roger_project *p,
				  const char *env,
				  const struct roger_render_input *in,
				  struct roger_err *err);

/*
 * The roger labels of an app object (a GET of the app, its "app" member, a
 * stored version, or a rendered app).  The strings are borrowed from
 * `app`; each is NULL when its label is absent.
 */
struct roger_release {
	const char *app;
	const char *env;
	const char *commit;
	const char *artifact_sha256;
	const char *roger_version;
	const char *deployed_by;
	const char *image; /* ROGER_IMAGE, for image apps */
	const char *image_base; /* ROGER_IMAGE_BASE, for images roger built */
	bool dirty; /* ROGER_DIRTY is "true" */
};

/*
 * Fill *out from the labels of `app`; returns whether it is a roger release
 * (it carries ROGER_COMMIT).  `app` may be {"app": {...}}.
 */
ROGER_EXTERN bool roger_render_release(struct roger_release *out,
				       const json_t *app);

/*
 * A copy of the app `app` (new reference in *out) with the value of every
 * env variable and label whose name looks like a secret
 * (roger_config_name_is_secret()) replaced by "***", for printing: a
 * {{ variable }} may have put a password there.  ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_render_mask_secrets(json_t **out, const json_t *app,
					   struct roger_err *err);

/* ---- differences --------------------------------------------------------- */

enum roger_diff_op {
	ROGER_DIFF_ADD, /* only in the new app */
	ROGER_DIFF_REMOVE, /* only in the old app */
	ROGER_DIFF_CHANGE, /* in both, with other values */
};

struct roger_diff_change {
	char *path; /* "healthChecks[0].path", "env.PORT_NAME" */
	enum roger_diff_op op;
	json_t *old_value; /* NULL for ROGER_DIFF_ADD */
	json_t *new_value; /* NULL for ROGER_DIFF_REMOVE */
	/*
	 * The path names an env variable or label whose name looks like a
	 * secret (roger_config_name_is_secret()): the values above are then
	 * the string "***", never the real ones.
	 */
	bool secret;
};

struct roger_diff {
	struct roger_diff_change *items; /* sorted by path */
	size_t n;
};

enum roger_diff_flags {
	/*
	 * Ignore the labels that change with every deploy without changing
	 * what runs: ROGER_DEPLOYED_BY, ROGER_VERSION and the ROGER_ROLLBACK_
	 * labels of a rollback.  With it, an empty diff means the same
	 * commit, artifact and definition: deploy can say "unchanged" and
	 * skip the update.
	 */
	ROGER_DIFF_IGNORE_METADATA = 1 << 0,
};

/*
 * The differences from the app `old_app` to `new_app`, as a new list in
 * *out.  Either may be an app object or {"app": {...}}, in any shape:
 * rendered by roger, GET /v2/apps/{id} of Marathon 1.4 (nulls and empties
 * written) or 1.5+ (empties omitted), a stored version.  For a deploy pass
 * (live, rendered); for a rollback (live, stored version).
 *
 * What counts as no difference:
 *  - fields the server owns: version, versionInfo, tasks, tasksStaged,
 *    tasksRunning, tasksHealthy, tasksUnhealthy, deployments,
 *    lastTaskFailure, taskStats, readinessCheckResults; role when one side
 *    leaves it out (the server fills it in from its Mesos role);
 *  - the form of the id ("web/hello", "/web/hello/" and "/web/hello");
 *  - null, an empty object or an empty array versus an absent field;
 *  - a field left out on one side that the other shows at Marathon's
 *    default (MARATHON-MESOS.md section 3): cpus 1, mem 128, disk 0,
 *    gpus 0, instances 1, backoffSeconds 1, backoffFactor 1.15,
 *    maxLaunchDelaySeconds 3600 or 300, requirePorts false, executor "",
 *    killSelection YOUNGEST_FIRST, upgradeStrategy 1 and 1,
 *    unreachableStrategy 0 and 0 (or 1.4's 300 and 600), networks
 *    [{"mode": "host"}], portDefinitions [{"port": 0, "protocol": "tcp",
 *    "name": "default"}]; per health check protocol HTTP,
 *    gracePeriodSeconds 300, intervalSeconds 60, timeoutSeconds 20,
 *    maxConsecutiveFailures 3, delaySeconds 15, portIndex 0,
 *    ignoreHttp1xx false, ipProtocol IPv4; per fetch entry extract true,
 *    executable false, cache false; per port definition or mapping
 *    protocol tcp, name "default", hostPort 0;
 *  - a port or servicePort of 0 on either side (Marathon assigns one);
 *  - legacy shapes: `ports` is read as portDefinitions, `uris` as fetch
 *    entries when there is no `fetch`, and dropped when there is (1.4
 *    writes both); for apps without host networking, ports and
 *    portDefinitions are ignored (Marathon derives them);
 *  - numbers equal in value (1 and 1.0).
 * Arrays are compared element by element (health checks, fetch entries);
 * an element only one side has is added or removed whole.  Objects that
 * one side lacks compare member by member against the defaults, so the
 * change names the member.  ROGER_EINVALID when either is not an object;
 * ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_diff_apps(struct roger_diff **out, const json_t *old_app,
				 const json_t *new_app, unsigned flags,
				 struct roger_err *err);
ROGER_EXTERN void roger_diff_free(struct roger_diff *d);

/* Whether there is no difference (NULL counts as none). */
ROGER_EXTERN bool roger_diff_empty(const struct roger_diff *d);

enum roger_diff_format_flags {
	ROGER_DIFF_COLOR = 1 << 0, /* ANSI colors: + green, - red, ~ yellow */
};

/*
 * Append the changes to `out`, one line per JSON path, values as compact
 * JSON: "+ env.DEBUG: \"1\"", "- labels.team: \"web\"",
 * "~ instances: 1 -> 3".  Nothing for an empty diff.  0 or ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_diff_format_text(struct roger_buf *out,
					const struct roger_diff *d,
					unsigned flags);

/*
 * The changes as a new JSON array in *out: [{"path": "instances", "op":
 * "change", "old": 1, "new": 3}, ...]; "old" is left out for "add", "new"
 * for "remove".  0 or ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_diff_to_json(json_t **out, const struct roger_diff *d,
				    struct roger_err *err);

ROGER_END_DECLS

#endif
