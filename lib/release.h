/*
 * release.h - decisions about an app's releases, the Marathon app
 * versions roger deployed (known by their labels, roger_render_release()):
 * which one a rollback goes back to, which one a user names, and what
 * changed from one version to the next, in a few words.
 *
 * The decisions are pure functions of app definitions, tested with
 * recorded ones.  The walks read the stored definitions from Marathon one
 * by one, newest first, and stop as soon as one decides: Marathon keeps
 * up to 50 versions, one GET each.  A version listed but gone by the time
 * it is read (Marathon prunes them) is passed over.
 */
#ifndef ROGER_RELEASE_H
#define ROGER_RELEASE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_diff;
struct roger_err;
struct roger_marathon;
struct roger_marathon_versions;

/* What a version argument names ("--to", "roger history X"). */
enum roger_release_ref {
	ROGER_RELEASE_REF_INVALID,
	/*
	 * a version timestamp, as Marathon writes it and
	 * roger_marathon_time_parse() reads it: 2026-01-02T03:04:05.678Z
	 */
	ROGER_RELEASE_REF_VERSION,
	/* 7 to 64 lower-case hex digits: a commit, or the start of one */
	ROGER_RELEASE_REF_COMMIT,
};

/* The kind of `ref` (NULL is ROGER_RELEASE_REF_INVALID). */
ROGER_EXTERN enum roger_release_ref roger_release_ref_kind(const char *ref);

/*
 * Whether `def`, the stored definition of `version`, is what `ref` names:
 * that version, or a release of a commit that starts with `ref`.
 */
ROGER_EXTERN bool
roger_release_matches(const char *ref, const char *version, const json_t *def);

/*
 * Whether `def`, the definition of a version older than the live app
 * `live`, is a release a rollback may go back to: a roger release whose
 * commit, artifact or image is not the live one's (any roger release, when
 * the live app is none).  A version without roger's labels (a scale, a change
 * made by hand) is not, nor a later version of the live release, so that a
 * rollback after a scale goes back a release, not a scale.
 */
ROGER_EXTERN bool
roger_release_is_previous(const json_t *live, const json_t *def);

/*
 * The release a rollback of app `app_id` goes back to: the newest version
 * in `v` (newest first) older than `live_version` whose definition passes
 * roger_release_is_previous() against `live`.  On success *index is its
 * place in v->items and *def its stored definition (new reference).
 * ROGER_ENOTFOUND when there is none; the errors of the requests
 * otherwise.  `live_version` may be NULL (every version is older).
 */
ROGER_EXTERN int
roger_release_find_previous(size_t *index, json_t **def,
			    struct roger_marathon *m, const char *app_id,
			    const struct roger_marathon_versions *v,
			    const json_t *live, const char *live_version,
			    struct roger_err *err);

/*
 * The version of app `app_id` that `ref` names among `v` (newest first):
 * that version, or the newest release of a commit that starts with `ref`,
 * in *index and its stored definition in *def (new reference).
 * ROGER_EUSAGE for a `ref` of neither shape, and for a commit prefix that
 * the releases of two commits share (older versions are read to make
 * sure); ROGER_ENOTFOUND when nothing matches; the errors of the requests
 * otherwise.
 */
ROGER_EXTERN int
roger_release_find(size_t *index, json_t **def, struct roger_marathon *m,
		   const char *app_id, const struct roger_marathon_versions *v,
		   const char *ref, struct roger_err *err);

/*
 * What changed from `before` to `def`, the definitions of two versions one
 * after the other, in a few words from `diff` (roger_diff_apps(before,
 * def)): "commit" (or "artifact", or "image") when the release labels
 * say so, then the top-level fields that changed ("commit, cmd, env"; five at most,
 * then "..."), or "instances 1 -> 3" when the count is all that changed,
 * or "no change".  The labels and env that roger sets on every release,
 * and the artifact's fetch entry, are not words of their own: the commit
 * says them, nor the container's image when it is the release's
 * ROGER_IMAGE.  Written to `out`, cut to `size`.
 */
ROGER_EXTERN void
roger_release_summary(char *out, size_t size, const json_t *before,
		      const json_t *def, const struct roger_diff *diff);

ROGER_END_DECLS

#endif
