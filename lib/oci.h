/*
 * oci.h - container image formats, as data: image references, digests,
 * manifests and indexes (Docker schema 2 and OCI), image configs, the
 * registry's error envelope, and the one JSON serializer whose bytes roger
 * hashes.
 *
 * Everything here is pure: bytes or structs in, structs or bytes out, no
 * I/O, no clock, no environment (so every parser has a fuzz harness in
 * tests/fuzz/).  The registry client (registry.h) moves these documents,
 * the image builder (image.h) makes them.  The formats are those of the
 * distribution registry 2.8 and OCI image-spec 1.0 as recorded in the
 * contract (../shared/api/REGISTRY.md, sections 2, 5, 7, 9 and 10).
 */
#ifndef ROGER_OCI_H
#define ROGER_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_buf;
struct roger_err;

/* ---- media types --------------------------------------------------------- */

#define ROGER_MT_DOCKER_MANIFEST \
	"application/vnd.docker.distribution.manifest.v2+json"
#define ROGER_MT_DOCKER_LIST \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define ROGER_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define ROGER_MT_DOCKER_LAYER \
	"application/vnd.docker.image.rootfs.diff.tar.gzip"
#define ROGER_MT_DOCKER_FOREIGN \
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define ROGER_MT_DOCKER_SCHEMA1 \
	"application/vnd.docker.distribution.manifest.v1+json"
#define ROGER_MT_DOCKER_SCHEMA1_SIGNED \
	"application/vnd.docker.distribution.manifest.v1+prettyjws"
#define ROGER_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define ROGER_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define ROGER_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define ROGER_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define ROGER_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"

/* What a client sends as Accept for manifests (the contract's client rule). */
#define ROGER_OCI_MANIFEST_ACCEPT                           \
	ROGER_MT_DOCKER_MANIFEST ", " ROGER_MT_DOCKER_LIST  \
				 ", " ROGER_MT_OCI_MANIFEST \
				 ", " ROGER_MT_OCI_INDEX

/* ---- digests ------------------------------------------------------------- */

/* "sha256:" and 64 lower-case hex digits, plus the NUL. */
#define ROGER_DIGEST_SIZE 72

/* Whether `s` is "sha256:" followed by exactly 64 lower-case hex digits. */
ROGER_EXTERN bool roger_digest_valid(const char *s);

/* The digest of `len` bytes at `data`, into out[ROGER_DIGEST_SIZE]. */
ROGER_EXTERN void roger_digest_of(char *out, const void *data, size_t len);

/* ---- image references ---------------------------------------------------- */

/* Where references without a registry go, and the host its API lives on. */
#define ROGER_DOCKER_HUB "docker.io"
#define ROGER_DOCKER_HUB_API "registry-1.docker.io"

/*
 * A parsed image reference: [REGISTRY[:PORT]/]REPOSITORY[:TAG][@DIGEST].
 * As Docker and Mesos read them: the first component names a registry
 * when it holds a '.' or a ':' or is "localhost"; otherwise the registry is
 * docker.io, where a one-component repository lives under "library/".  A
 * reference with neither tag nor digest means the tag "latest".
 */
struct roger_image_ref {
	char *registry; /* "127.0.0.1:5000", "docker.io" */
	char *repository; /* "web/hello", "library/debian" */
	char *tag; /* NULL when only a digest was given */
	char *digest; /* "sha256:...", or NULL */
};

/*
 * Parse `s`.  ROGER_EINVALID, naming the part that is wrong, for anything
 * the registry would refuse: upper case or other characters outside the
 * repository grammar, a name over 255 characters, a tag over 128, a
 * digest that is not sha256 with 64 hex digits.  ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_image_ref_parse(struct roger_image_ref *out,
				       const char *s, struct roger_err *err);
ROGER_EXTERN void roger_image_ref_release(struct roger_image_ref *r);

/*
 * Append the reference in its full form to `out`: registry/repository,
 * then ":tag" when there is one, then "@digest" when there is one.
 */
ROGER_EXTERN int roger_image_ref_format(struct roger_buf *out,
					const struct roger_image_ref *r);

/* The host[:port] whose API serves `registry` (docker.io's is another). */
ROGER_EXTERN const char *roger_image_ref_api_host(const char *registry);

/* Whether `tag` is a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). */
ROGER_EXTERN bool roger_image_tag_valid(const char *tag);

/* Whether `repo` is a valid repository name (components joined by '/'). */
ROGER_EXTERN bool roger_image_repository_valid(const char *repo);

/* ---- manifests and indexes ----------------------------------------------- */

/* A content descriptor; for index entries, the platform too. */
struct roger_oci_desc {
	char *media_type;
	char digest[ROGER_DIGEST_SIZE];
	int64_t size;
	char *os; /* index entries only; NULL otherwise */
	char *arch;
	char *variant; /* NULL when absent */
};

enum roger_oci_kind {
	ROGER_OCI_IMAGE = 1, /* Docker schema 2 or OCI image manifest */
	ROGER_OCI_INDEX, /* Docker manifest list or OCI index */
};

struct roger_oci_manifest {
	enum roger_oci_kind kind;
	char *media_type; /* one of the four ROGER_MT_* kinds */
	struct roger_oci_desc config; /* images */
	struct roger_oci_desc *layers; /* images, base first */
	size_t n_layers;
	struct roger_oci_desc *manifests; /* indexes */
	size_t n_manifests;
};

/*
 * Parse a manifest or an index.  `content_type` is the media type the
 * registry announced (NULL or "" if none); a document that declares its
 * own mediaType must agree with it.  Docker schema 2 documents must
 * declare theirs (as the registry requires); an OCI document without one
 * is told apart by its "manifests" or "config" member.  Schema 1
 * manifests, unknown types and malformed descriptors (a digest that is not
 * sha256, a negative size) are ROGER_EINVALID, with what is wrong.
 */
ROGER_EXTERN int roger_oci_manifest_parse(struct roger_oci_manifest **out,
					  const char *content_type,
					  const char *body, size_t len,
					  struct roger_err *err);
ROGER_EXTERN void roger_oci_manifest_free(struct roger_oci_manifest *m);

/*
 * The entry of index `idx` for the platform os/arch (and variant, when
 * not NULL; without one, an entry without a variant is preferred, then
 * the first).  Borrowed from `idx`.  ROGER_ENOTFOUND, listing the
 * platforms the index has, when none matches.
 */
ROGER_EXTERN int roger_oci_index_select(const struct roger_oci_desc **out,
					const struct roger_oci_manifest *idx,
					const char *os, const char *arch,
					const char *variant,
					struct roger_err *err);

/* Whether a layer of this media type is a gzip tar roger can reference. */
ROGER_EXTERN bool roger_oci_layer_gzip(const char *media_type);

/* ---- image configs ------------------------------------------------------- */

/*
 * Parse and check an image config for an image of `n_layers` layers: an
 * object with string "architecture" and "os", "rootfs" of type "layers"
 * with one sha256 diff_id per layer, "config" an object or null, and
 * "history" (when present) an array of objects with at most one non-empty
 * entry per layer.  *out is the whole document (new reference), unknown
 * members kept, so that a derived image keeps everything of its base.
 */
ROGER_EXTERN int roger_oci_config_parse(json_t **out, const char *body,
					size_t len, size_t n_layers,
					struct roger_err *err);

/* What the image builder changes in a base config (everything borrowed). */
struct roger_oci_config_change {
	const char *workdir; /* WorkingDir; NULL: keep */
	const char *user; /* User; NULL: keep */
	const char *const *env; /* NAME=VALUE, NULL-terminated */
	const char *const *entrypoint; /* NULL-terminated; NULL: keep */
	const char *const *cmd; /* NULL-terminated; NULL: keep */
	const char *diff_id; /* the new layer's "sha256:..." */
	const char *created; /* RFC 3339 time of every new date */
	const char *created_by; /* history entry of the new layer */
	const char *os, *arch; /* set when the base has none */
};

/*
 * A new config (new reference) derived from `base` (as parsed by
 * roger_oci_config_parse for `n_base_layers` layers): "created" set;
 * config.WorkingDir and User set; config.Env the base's, then each of
 * `env` (replacing a base entry of the same name in place, appending
 * others); Entrypoint and Cmd replaced when given; rootfs.diff_ids with
 * the new layer appended; history completed with one entry per base layer
 * that had none (so that every layer has one, which schema 1 pullers
 * need), then the new layer's.  ROGER_EINVALID for an env entry without
 * '=' or a name that is empty.
 */
ROGER_EXTERN int
roger_oci_config_derive(json_t **out, const json_t *base, size_t n_base_layers,
			const struct roger_oci_config_change *c,
			struct roger_err *err);

/*
 * A Docker schema 2 manifest (new reference) for `config` and `layers`:
 * the media types as given, except that OCI gzip layer types are written
 * as the Docker type (the same bytes; Docker manifests name Docker
 * types).  ROGER_EINVALID for a layer that is not a gzip tar.
 */
ROGER_EXTERN int roger_oci_manifest_docker(json_t **out,
					   const struct roger_oci_desc *config,
					   const struct roger_oci_desc *layers,
					   size_t n_layers,
					   struct roger_err *err);

/*
 * The bytes roger hashes for a JSON document: compact, keys sorted,
 * UTF-8 unescaped, no trailing newline.  Appended to `out`.  The one
 * serializer of image configs and manifests: the same document gives the
 * same bytes.  ROGER_ENOMEM, or ROGER_EINVALID for what jansson cannot
 * dump.
 */
ROGER_EXTERN int roger_oci_json_dump(struct roger_buf *out, const json_t *doc);

/* ---- the registry's error envelope -------------------------------------- */

/*
 * Summarize an error body {"errors":[{"code","message","detail"}]} into
 * one printable line appended to `out`: "CODE: message (detail)" for each
 * error, joined by "; ", the detail shown when it is a string or a small
 * object or array (compact JSON), at most `max` bytes.  The first code
 * goes to `code` (code_size bytes, "" when none).  Returns 1 when the body
 * was an envelope, 0 when it was not (nothing appended), ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_oci_error_summary(struct roger_buf *out, char *code,
					 size_t code_size, const char *body,
					 size_t len, size_t max);

ROGER_END_DECLS

#endif
