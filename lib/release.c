/*
 * release.c - which release a rollback goes back to, which version a user
 * names, and what changed between two versions (release.h).
 *
 * The walks over an app's versions are what `roger rollback` and `roger
 * history` did each on their own: read the stored definitions newest
 * first, one GET each, passing over versions Marathon pruned meanwhile,
 * until one fits.  The predicates they stop on are pure and exported, so
 * that the choice is tested without a server.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json-num.h"
#include "marathon.h"
#include "release.h"
#include "render.h"
#include "util.h"

enum roger_release_ref roger_release_ref_kind(const char *ref)
{
	int64_t ms;
	size_t n;

	if (!ref)
		return ROGER_RELEASE_REF_INVALID;
	n = strlen(ref);
	if (n >= 7 && n <= 64 && strspn(ref, "0123456789abcdef") == n)
		return ROGER_RELEASE_REF_COMMIT;
	if (roger_marathon_time_parse(&ms, ref))
		return ROGER_RELEASE_REF_VERSION;
	return ROGER_RELEASE_REF_INVALID;
}

static bool commit_starts_with(const json_t *def, const char *ref,
			       struct roger_release *rel)
{
	return roger_render_release(rel, def) && rel->commit &&
	       !strncmp(rel->commit, ref, strlen(ref));
}

bool roger_release_matches(const char *ref, const char *version,
			   const json_t *def)
{
	struct roger_release rel;

	switch (roger_release_ref_kind(ref)) {
	case ROGER_RELEASE_REF_VERSION:
		return version && !strcmp(version, ref);
	case ROGER_RELEASE_REF_COMMIT:
		return commit_starts_with(def, ref, &rel);
	case ROGER_RELEASE_REF_INVALID:
		break;
	}
	return false;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

bool roger_release_is_previous(const json_t *live, const json_t *def)
{
	struct roger_release cur, rel;

	if (!roger_render_release(&rel, def))
		return false;
	if (!live || !roger_render_release(&cur, live))
		return true;
	return !same(rel.commit, cur.commit) ||
	       !same(rel.artifact_sha256, cur.artifact_sha256) ||
	       !same(rel.image, cur.image);
}

/*
 * The stored definition of `version`: 0, 1 when Marathon no longer has it
 * (pass over it), or the error.
 */
static int read_version(json_t **def, struct roger_marathon *m,
			const char *app_id, const char *version,
			struct roger_err *err)
{
	int rc = roger_marathon_app_version(def, m, app_id, version, err);

	if (rc == ROGER_ENOTFOUND) {
		roger_err_clear(err);
		return 1;
	}
	return rc;
}

/* Remember the rollback labels of `def`, if it has some; 0 or ROGER_ENOMEM. */
static int add_rollback(struct roger_release_rollback **list, size_t *n,
			const json_t *def)
{
	struct roger_release_rollback rb, *grown;

	if (!roger_release_rollback_info(&rb, def))
		return 0;
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (!grown)
		return ROGER_ENOMEM;
	grown[(*n)++] = rb;
	*list = grown;
	return 0;
}

static bool undone(const struct roger_release_rollback *list, size_t n,
		   const char *version)
{
	for (size_t i = 0; i < n; i++)
		if (roger_release_undid(&list[i], version))
			return true;
	return false;
}

int roger_release_find_previous(size_t *index, json_t **def,
				struct roger_marathon *m, const char *app_id,
				const struct roger_marathon_versions *v,
				const json_t *live, const char *live_version,
				struct roger_err *err)
{
	/* the rollbacks seen so far, borrowing from `live` and `kept` */
	struct roger_release_rollback *undos = NULL;
	json_t *kept = json_array();
	size_t n_undos = 0;
	int rc = 0;

	if (!kept || add_rollback(&undos, &n_undos, live) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < v->n; i++) {
		json_t *d = NULL;

		if (live_version && strcmp(v->items[i], live_version) >= 0)
			continue;
		rc = read_version(&d, m, app_id, v->items[i], err);
		if (rc < 0)
			goto out;
		if (rc > 0)
			continue;
		if (roger_release_is_previous(live, d) &&
		    !undone(undos, n_undos, v->items[i])) {
			*index = i;
			*def = d;
			rc = 0;
			goto out;
		}
		if (json_array_append_new(kept, d) < 0 ||
		    add_rollback(&undos, &n_undos, d) < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = roger_err_set(
		err, ROGER_ENOTFOUND,
		"app '%s' has no release older than the live one: nothing to roll back to",
		app_id);
out:
	free(undos);
	json_decref(kept);
	return rc;
}

/*
 * A commit prefix found at `index` (a release of `commit`): an older
 * release of another commit with the same prefix makes it ambiguous.
 */
static int check_unique(struct roger_marathon *m, const char *app_id,
			const struct roger_marathon_versions *v,
			const char *ref, size_t index, const char *commit,
			struct roger_err *err)
{
	for (size_t i = index + 1; i < v->n; i++) {
		struct roger_release rel;
		json_t *d = NULL;
		bool other;
		int rc;

		rc = read_version(&d, m, app_id, v->items[i], err);
		if (rc < 0)
			return rc;
		other = rc == 0 && commit_starts_with(d, ref, &rel) &&
			strcmp(rel.commit, commit);
		if (other)
			roger_err_set(
				err, ROGER_EUSAGE,
				"commit '%s' is ambiguous among the releases of app '%s': %.12s and %.12s; give more digits",
				ref, app_id, commit, rel.commit);
		json_decref(d);
		if (other)
			return ROGER_EUSAGE;
	}
	return 0;
}

int roger_release_find(size_t *index, json_t **def, struct roger_marathon *m,
		       const char *app_id,
		       const struct roger_marathon_versions *v, const char *ref,
		       struct roger_err *err)
{
	enum roger_release_ref kind = roger_release_ref_kind(ref);
	struct roger_release rel;

	if (kind == ROGER_RELEASE_REF_INVALID)
		return roger_err_set(
			err, ROGER_EUSAGE,
			"invalid version '%s': expected a version such as 2026-01-02T03:04:05.678Z, or a commit (at least 7 hex digits)",
			ref ? ref : "");
	for (size_t i = 0; i < v->n; i++) {
		json_t *d = NULL;
		int rc;

		if (kind == ROGER_RELEASE_REF_VERSION &&
		    strcmp(v->items[i], ref))
			continue;
		if (kind == ROGER_RELEASE_REF_VERSION)
			rc = roger_marathon_app_version(&d, m, app_id,
							v->items[i], err);
		else
			rc = read_version(&d, m, app_id, v->items[i], err);
		if (rc < 0)
			return rc;
		if (rc > 0 || !roger_release_matches(ref, v->items[i], d)) {
			json_decref(d);
			continue;
		}
		if (kind == ROGER_RELEASE_REF_COMMIT) {
			roger_render_release(&rel, d);
			rc = check_unique(m, app_id, v, ref, i, rel.commit,
					  err);
			if (rc < 0) {
				json_decref(d);
				return rc;
			}
		}
		*index = i;
		*def = d;
		return 0;
	}
	return roger_err_set(
		err, ROGER_ENOTFOUND, "app '%s' has no %s '%s'", app_id,
		kind == ROGER_RELEASE_REF_COMMIT ? "release of commit"
						 : "version",
		ref);
}

/* Whether a change is one that roger makes on every release. */
static bool release_noise(const struct roger_diff_change *c,
			  const struct roger_release *rel)
{
	const char *uri;

	if (!strncmp(c->path, "labels.ROGER_", 13) ||
	    !strcmp(c->path, "env." ROGER_ENV_COMMIT))
		return true;
	/* the image of a release is its label's, which the words say */
	if (!strcmp(c->path, "container.docker.image") && rel->image &&
	    json_is_string(c->new_value) &&
	    !strcmp(json_string_value(c->new_value), rel->image))
		return true;
	if (strncmp(c->path, "fetch[", 6) || !rel->artifact_sha256)
		return false;
	uri = json_string_value(c->new_value);
	if (!uri && json_is_object(c->new_value))
		uri = json_string_value(json_object_get(c->new_value, "uri"));
	if (!uri && json_is_object(c->old_value))
		uri = json_string_value(json_object_get(c->old_value, "uri"));
	return uri && strstr(uri, rel->artifact_sha256);
}

static bool differs(const char *a, const char *b)
{
	return !same(a, b);
}

void roger_release_summary(char *out, size_t size, const json_t *before,
			   const json_t *def, const struct roger_diff *diff)
{
	struct roger_release rel = { 0 }, old = { 0 };
	struct roger_buf b = ROGER_BUF_INIT;
	const struct roger_diff_change *only = NULL;
	char last[64] = "";
	size_t words = 0, n = 0;

	if (!size)
		return;
	roger_render_release(&rel, def);
	roger_render_release(&old, before);
	if (differs(rel.commit, old.commit)) {
		roger_buf_adds(&b, "commit");
		words++;
	} else if (differs(rel.artifact_sha256, old.artifact_sha256)) {
		roger_buf_adds(&b, "artifact");
		words++;
	} else if (differs(rel.image, old.image)) {
		roger_buf_adds(&b, "image");
		words++;
	}
	for (size_t i = 0; diff && i < diff->n; i++) {
		const struct roger_diff_change *c = &diff->items[i];
		size_t len = strcspn(c->path, ".[");

		if (release_noise(c, &rel))
			continue;
		n++;
		only = c;
		if (len >= sizeof(last) ||
		    (!strncmp(last, c->path, len) && !last[len]))
			continue;
		snprintf(last, sizeof(last), "%.*s", (int)len, c->path);
		if (words < 5)
			roger_buf_addf(&b, "%s%s", words ? ", " : "", last);
		else if (words == 5)
			roger_buf_adds(&b, ", ...");
		words++;
	}
	if (words == 1 && n == 1 && !strcmp(only->path, "instances") &&
	    only->op == ROGER_DIFF_CHANGE) {
		char *o = json_dumps(only->old_value, JSON_ENCODE_ANY);
		char *v = json_dumps(only->new_value, JSON_ENCODE_ANY);

		roger_buf_reset(&b);
		roger_buf_addf(&b, "instances %s -> %s", o ? o : "?",
			       v ? v : "?");
		free(o);
		free(v);
	}
	snprintf(out, size, "%s", words && b.len ? b.buf : "no change");
	roger_buf_release(&b);
}

/* ---- what became of each version ----------------------------------------- */

static const char *const outcome_names[][2] = {
	[ROGER_RELEASE_CHANGED] = { "changed", "changed" },
	[ROGER_RELEASE_DEPLOYED] = { "deployed", "deployed" },
	[ROGER_RELEASE_FAILED] = { "failed", "failed" },
	[ROGER_RELEASE_ROLLED_BACK] = { "rolled back", "rolled_back" },
	[ROGER_RELEASE_ROLLBACK] = { "rollback", "rollback" },
	[ROGER_RELEASE_SCALED] = { "scaled", "scaled" },
	[ROGER_RELEASE_RESTARTED] = { "restarted", "restarted" },
};

const char *roger_release_outcome_name(enum roger_release_outcome o)
{
	return (size_t)o < ROGER_ARRAY_SIZE(outcome_names) ? outcome_names[o][0]
							   : "?";
}

const char *roger_release_outcome_id(enum roger_release_outcome o)
{
	return (size_t)o < ROGER_ARRAY_SIZE(outcome_names) ? outcome_names[o][1]
							   : "unknown";
}

static const json_t *labels_of(const json_t *def)
{
	const json_t *app = json_object_get(def, "app");

	if (json_is_object(app) && !json_object_get(def, "id"))
		def = app;
	return json_object_get(def, "labels");
}

static const char *label(const json_t *def, const char *key)
{
	return json_string_value(json_object_get(labels_of(def), key));
}

bool roger_release_rollback_info(struct roger_release_rollback *out,
				 const json_t *def)
{
	const char *cause = label(def, ROGER_LABEL_ROLLBACK_CAUSE);

	out->of = label(def, ROGER_LABEL_ROLLBACK_OF);
	out->to = label(def, ROGER_LABEL_ROLLBACK_TO);
	out->commit = label(def, ROGER_LABEL_ROLLBACK_COMMIT);
	out->by = label(def, ROGER_LABEL_ROLLBACK_BY);
	out->failed = cause && !strcmp(cause, "failed");
	return out->of != NULL;
}

bool roger_release_undid(const struct roger_release_rollback *rb,
			 const char *version)
{
	if (!rb->of || !version)
		return false;
	if (!rb->to)
		return !strcmp(version, rb->of);
	/* timestamps of one shape compare as strings */
	return strcmp(version, rb->to) > 0 && strcmp(version, rb->of) <= 0;
}

/* Whether the one change of `diff` is the instance count. */
static bool only_instances(const struct roger_diff *diff)
{
	size_t n = 0;
	bool count = false;

	for (size_t i = 0; diff && i < diff->n; i++) {
		const char *path = diff->items[i].path;

		/* the label that records roger.json's count goes with it */
		if (!strcmp(path, "labels." ROGER_LABEL_INSTANCES))
			continue;
		n++;
		count = count || !strcmp(path, "instances");
	}
	return n == 1 && count;
}

enum roger_release_outcome
roger_release_outcome(const char *version, const json_t *before,
		      const json_t *def, const struct roger_diff *diff,
		      const struct roger_release_rollback *newer,
		      size_t n_newer)
{
	struct roger_release_rollback rb;
	struct roger_release rel;

	for (size_t i = 0; i < n_newer; i++)
		if (roger_release_undid(&newer[i], version))
			return newer[i].failed ? ROGER_RELEASE_FAILED
					       : ROGER_RELEASE_ROLLED_BACK;
	if (def && roger_release_rollback_info(&rb, def))
		return ROGER_RELEASE_ROLLBACK;
	if (before && def && roger_diff_empty(diff))
		return ROGER_RELEASE_RESTARTED;
	if (before && def && only_instances(diff))
		return ROGER_RELEASE_SCALED;
	return def && roger_render_release(&rel, def) ? ROGER_RELEASE_DEPLOYED
						      : ROGER_RELEASE_CHANGED;
}

/* ---- redeploying a version ------------------------------------------------ */

/* What the server owns, never sent back. */
static const char *const server_owned[] = {
	"deployments",  "lastTaskFailure", "readinessCheckResults",
	"taskStats",    "tasks",           "tasksHealthy",
	"tasksRunning", "tasksStaged",     "tasksUnhealthy",
	"version",      "versionInfo",
};

static const char *const rollback_labels[] = {
	ROGER_LABEL_ROLLBACK_OF, ROGER_LABEL_ROLLBACK_COMMIT,
	ROGER_LABEL_ROLLBACK_TO, ROGER_LABEL_ROLLBACK_CAUSE,
	ROGER_LABEL_ROLLBACK_BY,
};

/* Drop what Marathon 1.4 writes twice, and nulls, from `app`. */
static void drop_legacy(json_t *app)
{
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(app, tmp, key, v) if (json_is_null(v))
		json_object_del(app, key);
	if (json_object_get(app, "portDefinitions"))
		json_object_del(app, "ports");
	if (json_array_size(json_object_get(app, "fetch")) ||
	    !json_array_size(json_object_get(app, "uris")))
		json_object_del(app, "uris");
}

static int set_label(json_t *labels, const char *key, const char *value)
{
	if (!value)
		return 0;
	return json_object_set_new(labels, key, json_string(value));
}

int roger_release_redeploy_app(json_t **out, const json_t *def,
			       const struct roger_release_redeploy *r,
			       struct roger_err *err)
{
	const json_t *src = json_object_get(def, "app");
	struct roger_release of = { 0 };
	json_t *app, *labels;

	if (!json_is_object(src) || json_object_get(def, "id"))
		src = def;
	if (!json_is_object(src))
		return roger_err_set(
			err, ROGER_EINVALID,
			"cannot redeploy: the app definition is not an object");
	app = json_deep_copy(src);
	if (!app)
		goto nomem;
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(server_owned); i++)
		json_object_del(app, server_owned[i]);
	drop_legacy(app);
	if (r->instances >= 0 &&
	    json_object_set_new(app, "instances", json_integer(r->instances)) <
		    0)
		goto nomem;
	labels = json_object_get(app, "labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		if (json_object_set_new(app, "labels", labels) < 0)
			goto nomem;
	}
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(rollback_labels); i++)
		json_object_del(labels, rollback_labels[i]);
	if (r->of_def)
		roger_render_release(&of, r->of_def);
	if (set_label(labels, ROGER_LABEL_ROLLBACK_OF, r->of) < 0 ||
	    set_label(labels, ROGER_LABEL_ROLLBACK_COMMIT, of.commit) < 0 ||
	    set_label(labels, ROGER_LABEL_ROLLBACK_TO, r->to) < 0 ||
	    set_label(labels, ROGER_LABEL_ROLLBACK_CAUSE,
		      r->failed ? "failed" : "requested") < 0 ||
	    set_label(labels, ROGER_LABEL_ROLLBACK_BY, r->by) < 0)
		goto nomem;
	*out = app;
	return 0;
nomem:
	json_decref(app);
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

/* ---- the instance count ---------------------------------------------------- */

bool roger_release_instances_label(int *out, const json_t *def)
{
	const char *v = label(def, ROGER_LABEL_INSTANCES);
	char *end;
	long n;

	if (!v || !*v || *v == '-' || *v == '+')
		return false;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*end || errno || n > INT32_MAX)
		return false;
	*out = (int)n;
	return true;
}

enum roger_release_count roger_release_instances(int *out, const json_t *live,
						 int wanted)
{
	const json_t *app = json_object_get(live, "app");
	int64_t count = 1;
	int recorded;

	*out = wanted;
	if (!live)
		return ROGER_RELEASE_COUNT_NEW;
	if (!json_is_object(app) || json_object_get(live, "id"))
		app = live;
	if (json_object_get(app, "instances"))
		(void)roger_json_int(json_object_get(app, "instances"), 0,
				     INT32_MAX, &count);
	if (count == wanted)
		return ROGER_RELEASE_COUNT_SAME;
	if (!roger_release_instances_label(&recorded, live)) {
		*out = (int)count;
		return ROGER_RELEASE_COUNT_UNKNOWN;
	}
	if (recorded == wanted) {
		*out = (int)count;
		return ROGER_RELEASE_COUNT_KEPT;
	}
	return ROGER_RELEASE_COUNT_CHANGED;
}
