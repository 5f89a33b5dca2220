/*
 * release.h - decisions about an app's releases, the Marathon app
 * versions roger deployed (known by their labels, roger_render_release()):
 * which one a rollback goes back to, which one a user names, what changed
 * from one version to the next, in a few words, what became of each
 * version, and how many instances a deploy or a rollback keeps.
 *
 * What became of a version.  Marathon keeps no outcome: a version is a
 * definition that cannot be edited once stored.  So roger records what it
 * knows in the versions that come after: a rollback (roger's own, after a
 * failed deployment, or `roger rollback`) deploys the definition it goes
 * back to with the ROGER_ROLLBACK_ labels (render.h), naming the version
 * it undid, the version it goes back to and why.  Every version after the
 * one it goes back to, up to the one it undid, was undone: "failed" when
 * the rollback followed a failed deployment, "rolled back" when a user
 * asked for it.  The other outcomes come from the version before:
 * "scaled" when only the instance count changed, "restarted" when nothing
 * did, "deployed" for any other change of a roger release, "changed" for
 * one made without roger.  This works on every Marathon, 1.4 to 1.10: it
 * needs nothing but labels.
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
ROGER_EXTERN bool roger_release_matches(const char *ref, const char *version,
					const json_t *def);

/*
 * Whether `def`, the definition of a version older than the live app
 * `live`, is a release a rollback may go back to: a roger release whose
 * commit, artifact or image is not the live one's (any roger release, when
 * the live app is none).  A version without roger's labels (a scale, a change
 * made by hand) is not, nor a later version of the live release, so that a
 * rollback after a scale goes back a release, not a scale.  (Versions that
 * a rollback undid are passed over by roger_release_find_previous().)
 */
ROGER_EXTERN bool roger_release_is_previous(const json_t *live,
					    const json_t *def);

/*
 * The release a rollback of app `app_id` goes back to: the newest version
 * in `v` (newest first) older than `live_version` whose definition passes
 * roger_release_is_previous() against `live` and that no rollback undid
 * (roger_release_undid() for the rollbacks among `live` and the versions
 * newer than it: a release that failed, or that a user rolled back, is
 * not gone back to).  On success *index is its
 * place in v->items and *def its stored definition (new reference).
 * ROGER_ENOTFOUND when there is none; the errors of the requests
 * otherwise.  `live_version` may be NULL (every version is older).
 */
ROGER_EXTERN int roger_release_find_previous(
	size_t *index, json_t **def, struct roger_marathon *m,
	const char *app_id, const struct roger_marathon_versions *v,
	const json_t *live, const char *live_version, struct roger_err *err);

/*
 * The version of app `app_id` that `ref` names among `v` (newest first):
 * that version, or the newest release of a commit that starts with `ref`,
 * in *index and its stored definition in *def (new reference).
 * ROGER_EUSAGE for a `ref` of neither shape, and for a commit prefix that
 * the releases of two commits share (older versions are read to make
 * sure); ROGER_ENOTFOUND when nothing matches; the errors of the requests
 * otherwise.
 */
ROGER_EXTERN int roger_release_find(size_t *index, json_t **def,
				    struct roger_marathon *m,
				    const char *app_id,
				    const struct roger_marathon_versions *v,
				    const char *ref, struct roger_err *err);

/*
 * What changed from `before` to `def`, the definitions of two versions one
 * after the other, in a few words from `diff` (roger_diff_apps(before,
 * def)): "commit" (or "artifact", or "image") when the release labels
 * say so, then the top-level fields that changed ("commit, cmd, env"; five at
 * most, then "..."), or "instances 1 -> 3" when the count is all that changed,
 * or "no change".  The labels and env that roger sets on every release,
 * and the artifact's fetch entry, are not words of their own: the commit
 * says them, nor the container's image when it is the release's
 * ROGER_IMAGE.  Written to `out`, cut to `size`.
 */
ROGER_EXTERN void roger_release_summary(char *out, size_t size,
					const json_t *before, const json_t *def,
					const struct roger_diff *diff);

/* ---- what became of each version ---------------------------------------- */

enum roger_release_outcome {
	ROGER_RELEASE_CHANGED, /* a change made without roger */
	ROGER_RELEASE_DEPLOYED, /* a release roger deployed */
	ROGER_RELEASE_FAILED, /* its deployment failed: rolled back */
	ROGER_RELEASE_ROLLED_BACK, /* undone later by `roger rollback` */
	ROGER_RELEASE_ROLLBACK, /* made by a rollback */
	ROGER_RELEASE_SCALED, /* only the instance count changed */
	ROGER_RELEASE_RESTARTED, /* nothing changed: a restart */
};

/* "deployed", "rolled back", ...: for text. */
ROGER_EXTERN const char *
roger_release_outcome_name(enum roger_release_outcome o);
/* "deployed", "rolled_back", ...: for JSON. */
ROGER_EXTERN const char *roger_release_outcome_id(enum roger_release_outcome o);

/* The ROGER_ROLLBACK_ labels of a version a rollback made. */
struct roger_release_rollback {
	const char *of; /* the version it undid */
	const char *to; /* the version it deployed again; NULL: unknown */
	const char *commit; /* the commit of the version undone; may be NULL */
	const char *by; /* who rolled back; may be NULL */
	bool failed; /* after a failed deployment (else requested) */
};

/*
 * Fill *out from the labels of `def` (strings borrowed from it); returns
 * whether `def` was made by a rollback (it has ROGER_ROLLBACK_OF).
 */
ROGER_EXTERN bool
roger_release_rollback_info(struct roger_release_rollback *out,
			    const json_t *def);

/*
 * Whether the rollback `rb` undid `version`: a version after rb->to, up to
 * and including rb->of (only rb->of when rb->to is unknown).
 */
ROGER_EXTERN bool roger_release_undid(const struct roger_release_rollback *rb,
				      const char *version);

/*
 * The outcome of `def`, the definition of `version`: undone by one of the
 * `n` rollbacks in `newer` (made by versions newer than it: FAILED or
 * ROLLED_BACK), else made by a rollback (ROLLBACK), else judged against
 * `before`, the version before it, and `diff`, roger_diff_apps(before,
 * def, ROGER_DIFF_IGNORE_METADATA): RESTARTED when empty, SCALED when
 * only the instance count changed, else DEPLOYED for a roger release and
 * CHANGED for any other.  `before` NULL (the first version, or one that
 * is gone): DEPLOYED or CHANGED.
 */
ROGER_EXTERN enum roger_release_outcome
roger_release_outcome(const char *version, const json_t *before,
		      const json_t *def, const struct roger_diff *diff,
		      const struct roger_release_rollback *newer,
		      size_t n_newer);

/* ---- redeploying a version ------------------------------------------------ */

/* What a rollback records, and the instance count it deploys. */
struct roger_release_redeploy {
	const char *of; /* the version undone (the live one) */
	const json_t *of_def; /* its definition, for its commit; may be NULL */
	const char *to; /* the version whose definition is redeployed */
	bool failed; /* after a failed deployment; else requested */
	const char *by; /* who rolls back ("alice@laptop"); may be NULL */
	int instances; /* -1: the definition's own */
};

/*
 * The app definition that redeploys `def` (a stored version, or an app as
 * GET gives it), as a new reference in *out: what the server owns taken
 * out (version, versionInfo, the tasks and their counts, deployments,
 * lastTaskFailure, taskStats, readinessCheckResults), nulls dropped, the
 * legacy fields Marathon 1.4 writes beside their successors dropped
 * (`ports` beside portDefinitions, `uris` beside fetch, an empty `uris`)
 * so that any Marathon takes it back, the instance count set, and the
 * ROGER_ROLLBACK_ labels of `r` replacing any `def` had.  A PUT of it
 * with partialUpdate=false deploys the same app as `def`, labelled as a
 * rollback.  ROGER_EINVALID when `def` is not an object; ROGER_ENOMEM.
 */
ROGER_EXTERN int
roger_release_redeploy_app(json_t **out, const json_t *def,
			   const struct roger_release_redeploy *r,
			   struct roger_err *err);

/* ---- the instance count ---------------------------------------------------- */

/* Why roger_release_instances() chose its count. */
enum roger_release_count {
	ROGER_RELEASE_COUNT_NEW, /* no live app: roger.json's */
	ROGER_RELEASE_COUNT_SAME, /* the live count is roger.json's */
	ROGER_RELEASE_COUNT_KEPT, /* roger.json's is unchanged: the live one */
	ROGER_RELEASE_COUNT_UNKNOWN, /* the live release does not say: the live
					one */
	ROGER_RELEASE_COUNT_CHANGED, /* roger.json's changed: it applies */
};

/*
 * The instance count recorded by a release (ROGER_INSTANCES) in *out;
 * false when `def` has none (a release made before roger recorded it, or
 * not a release).
 */
ROGER_EXTERN bool roger_release_instances_label(int *out, const json_t *def);

/*
 * How many instances a deploy of a release whose roger.json asks for
 * `wanted` runs, in *out, when `live` (NULL: no app yet) runs: the live
 * count, unless roger.json's count changed since the live release was
 * made (its ROGER_INSTANCES differs from `wanted`), so that `roger scale`
 * survives deploys and rollbacks.  A live release that does not record
 * the count keeps the live count.
 */
ROGER_EXTERN enum roger_release_count
roger_release_instances(int *out, const json_t *live, int wanted);

ROGER_END_DECLS

#endif
