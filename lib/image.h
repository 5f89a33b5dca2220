/*
 * image.h - container images built without a daemon, and pushed.
 *
 * roger_image_build() turns the tree `roger build` packages (the same
 * walker, build outputs included) into an image every Mesos can pull: the
 * base image's layers by reference, one new gzip layer holding the tree
 * under the image's working directory, a config derived from the base's,
 * and a Docker schema 2 manifest (contract: REGISTRY.md sections 9, 10
 * and 12, MESOS-CONTAINERS.md section 4).  The same commit, base digest
 * and settings give the same image digest on any machine with the same
 * zlib: entries sorted and dated ROGER_PACK_LAYER_MTIME, owners 0 without
 * names, fixed modes, gzip without name or time, every date in the config
 * "1970-01-01T00:00:00Z", and one JSON serializer (roger_oci_json_dump).
 *
 * Cache, in the project's .roger/ directory beside the artifacts:
 *   .roger/artifacts/<sha256>.tar.gz   the new layers (pack.h)
 *   .roger/blobs/sha256/<hex>          manifests and configs, ours and the
 *                                      bases', and base layers copied
 *                                      between registries; each file is
 *                                      named by the digest of its bytes
 * A build asks the base's registry for the tag's digest (one HEAD) unless
 * the base is pinned by digest; everything else a second build needs is
 * found in the cache.  roger_image_push() sends what the target registry
 * lacks, once (see there).
 */
#ifndef ROGER_IMAGE_H
#define ROGER_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "oci.h"
#include "pack.h"

ROGER_BEGIN_DECLS

struct roger_ctx;
struct roger_err;
struct roger_project;
struct roger_registry_pool;

/* The date of every image roger builds, and of each history entry. */
#define ROGER_IMAGE_CREATED "1970-01-01T00:00:00Z"
/* image.workdir when roger.json gives none. */
#define ROGER_IMAGE_WORKDIR "/app"

struct roger_image_opts {
	/*
	 * The tree, as `roger build` packages it (roger_build_opts_from_project
	 * and the command's flags); layer_dir is ignored (workdir decides).
	 */
	struct roger_build_opts build;
	const char *base; /* image.base, a reference (required) */
	const char *workdir; /* image.workdir, absolute; NULL: /app */
	const char *user; /* image.user; NULL: the base's */
	const char *const *env; /* image.env as NAME=VALUE, NULL-terminated */
	const char *const *entrypoint; /* NULL-terminated; NULL: the base's */
	const char *const *cmd; /* NULL-terminated; NULL: the base's */
	const char *os; /* the platform; NULL: "linux" */
	const char *arch; /* NULL: "amd64" */
	const char *variant; /* NULL: any ("v8" for arm64...) */
};

struct roger_image_layer {
	char digest[ROGER_DIGEST_SIZE]; /* of the blob (compressed) */
	char diff_id[ROGER_DIGEST_SIZE]; /* of the tar */
	int64_t size;
	char *media_type;
	char *path; /* the new layer's file; NULL for the base's layers */
};

struct roger_image {
	char digest[ROGER_DIGEST_SIZE]; /* of the manifest: the image */
	char config_digest[ROGER_DIGEST_SIZE];
	char *manifest; /* its exact bytes (Docker schema 2) */
	size_t manifest_len;
	char *config; /* its exact bytes */
	size_t config_len;
	struct roger_image_layer *layers; /* the base's first, ours last */
	size_t n_layers;
	char *base; /* image.base as given */
	char *base_registry; /* "docker.io", "127.0.0.1:5000" */
	char *base_repository; /* "library/debian" */
	char base_digest[ROGER_DIGEST_SIZE]; /* the platform's manifest */
	char base_index_digest[ROGER_DIGEST_SIZE]; /* its index, or "" */
	char *workdir; /* "/app" */
	char commit[41]; /* ROGER_COMMIT in the image */
	char tree[41]; /* the packaged subtree ("" when dirty) */
	bool dirty; /* packaged from a dirty work tree */
	bool cached; /* layer, config and manifest were in the cache */
	uint64_t files; /* files and links in the new layer */
	char *cache_dir; /* the .roger directory it lives in */
};

/*
 * Fill `o` from roger.json's image section and build settings (what
 * roger_build_opts_from_project() sets for the tree); the strings are
 * borrowed from `p`.  Returns false, leaving `o` alone, when the project
 * has no image section.
 */
ROGER_EXTERN bool roger_image_opts_from_project(struct roger_image_opts *o,
						const struct roger_project *p);

/*
 * Build the image `o` describes, through `pool` for the base's registry.
 * Errors: those of roger_pack_build; ROGER_EINVALID for a bad reference
 * or workdir, an env entry without '=', a base the runtimes cannot run (a
 * schema 1 manifest, layers that are not gzip tars, another platform, a
 * malformed config); ROGER_ENOTFOUND when the base's tag or repository
 * does not exist (or the index has no image for the platform);
 * ROGER_EAUTH, ROGER_ENET, ROGER_EHTTP from the registry (a digest
 * mismatch leaves nothing in the cache).
 */
ROGER_EXTERN int roger_image_build(struct roger_image **out,
				   struct roger_ctx *ctx,
				   struct roger_registry_pool *pool,
				   const struct roger_image_opts *o,
				   struct roger_err *err);
ROGER_EXTERN void roger_image_free(struct roger_image *img);

/*
 * The tag roger pushes an image under: the commit's first 12 digits, '-',
 * the image digest's first 12 ("3f2a9c1b7d4e-8d17a0c2b9f1").  Runtimes
 * cache images by tag and never pull a tag again (MESOS-CONTAINERS.md
 * section 4), so a tag must never name two images: the commit alone would
 * when the base moved or the settings changed.  out[] holds at least 26
 * bytes.
 */
ROGER_EXTERN void roger_image_tag(char *out, const char *commit,
				  const char *digest);

struct roger_image_push_opts {
	const char *registry; /* the target's registry ("host:port") */
	const char *repository; /* "web/hello" */
	const char *tag; /* NULL: roger_image_tag() */
};

struct roger_image_push_result {
	char *reference; /* "host:port/web/hello:<tag>" */
	char *pinned; /* "host:port/web/hello@sha256:..." */
	char tag[130];
	bool already; /* the tag named this image: nothing sent */
	unsigned present; /* blobs the registry had */
	unsigned mounted; /* blobs mounted from the base's repository */
	unsigned copied; /* base layers copied from another registry */
	unsigned uploaded; /* our layer and config, when missing */
};

ROGER_EXTERN void
roger_image_push_result_release(struct roger_image_push_result *r);

/*
 * Push `img` to o->repository on o->registry: when the tag already names
 * the image, nothing else (one HEAD after the ping).  Otherwise, for each
 * blob, a HEAD (skipped when present); a missing base layer is mounted
 * from the base's repository when the base lives on the same registry,
 * else copied from the base's registry (downloaded into the cache,
 * digest-checked, then uploaded); our layer and the config are uploaded.
 * Then the manifest is PUT by digest and by tag.
 */
ROGER_EXTERN int roger_image_push(struct roger_image_push_result *out,
				  struct roger_ctx *ctx,
				  struct roger_registry_pool *pool,
				  const struct roger_image *img,
				  const struct roger_image_push_opts *o,
				  struct roger_err *err);

ROGER_END_DECLS

#endif
