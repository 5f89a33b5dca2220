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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "marathon.h"
#include "release.h"
#include "render.h"

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

int roger_release_find_previous(size_t *index, json_t **def,
				struct roger_marathon *m, const char *app_id,
				const struct roger_marathon_versions *v,
				const json_t *live, const char *live_version,
				struct roger_err *err)
{
	for (size_t i = 0; i < v->n; i++) {
		json_t *d = NULL;
		int rc;

		if (live_version && strcmp(v->items[i], live_version) >= 0)
			continue;
		rc = read_version(&d, m, app_id, v->items[i], err);
		if (rc < 0)
			return rc;
		if (rc == 0 && roger_release_is_previous(live, d)) {
			*index = i;
			*def = d;
			return 0;
		}
		json_decref(d);
	}
	return roger_err_set(err, ROGER_ENOTFOUND,
			     "app '%s' has no release older than the live one: nothing to roll back to",
			     app_id);
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
			roger_err_set(err, ROGER_EUSAGE,
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
		       const struct roger_marathon_versions *v,
		       const char *ref, struct roger_err *err)
{
	enum roger_release_ref kind = roger_release_ref_kind(ref);
	struct roger_release rel;

	if (kind == ROGER_RELEASE_REF_INVALID)
		return roger_err_set(err, ROGER_EUSAGE,
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
	return roger_err_set(err, ROGER_ENOTFOUND, "app '%s' has no %s '%s'",
			     app_id,
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
