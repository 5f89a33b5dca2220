/*
 * store.h - artifact stores: where an artifact lives and how it gets there.
 *
 * A store is the base URL of a target's "artifacts" setting (always ending
 * in '/'): an http(s) server that accepts PUT (nginx WebDAV, Artifactory,
 * Nexus, roger local's /artifacts/), or a file:// directory shared with the
 * agents.  Artifacts are content-addressed: the artifact with digest D of
 * the app "/web/hello" is <store>web/hello/D.tar.gz, the URL that roger
 * deploy puts into the Marathon fetch entry.
 */
#ifndef ROGER_STORE_H
#define ROGER_STORE_H

struct roger_err;

/*
 * The URL of the artifact `sha256` (64 lower-case hex digits) of the app
 * `app_id` (absolute, as "/web/hello") in the store `store_base` (ending in
 * '/'), as a new string in *out: "https://a.example.com/roger/web/hello/<sha256>.tar.gz".
 * Pure.  ROGER_EINVALID for a digest or app id of the wrong shape,
 * ROGER_ENOMEM.
 */
int roger_store_artifact_url(char **out, const char *store_base,
			     const char *app_id, const char *sha256,
			     struct roger_err *err);

#endif
