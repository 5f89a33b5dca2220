/*
 * images.h - roger local's image store: images pulled from registries,
 * kept by digest, and unpacked once each into a root filesystem that the
 * tasks of the image share, read-only, beneath a root of their own
 * (internal to roger local; see images.c for the layout and the locks).
 */
#ifndef ROGER_LOCAL_IMAGES_H
#define ROGER_LOCAL_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "oci.h"

struct roger_ctx;
struct roger_err;
struct roger_images;

struct roger_images_opts {
	const char *dir; /* the store: <state>/images (created) */
	const char *ca_file; /* for https registries; NULL: the system's */
	/* Docker's config.json whose "auths" give credentials per registry
	 * (`roger local --registry-auth`); NULL: $DOCKER_CONFIG/config.json
	 * or ~/.docker/config.json; "": none. */
	const char *docker_config;
	/* roger local's own registry ("127.0.0.1:PORT"), to which the token
	 * is sent as the password (and to no other); NULL: none. */
	const char *own_registry;
	const char *token;
	/* Caps on what one layer may extract; 0: none. */
	uint64_t max_extract_bytes, max_extract_entries;
	/* Keep the layers' owners (a server run by root). */
	bool keep_owner;
	/* The platform manifest lists resolve to; NULL: this machine's. */
	const char *arch;
};

int roger_images_new(struct roger_images **out, struct roger_ctx *ctx,
		     const struct roger_images_opts *o, struct roger_err *err);
/* Free the store (no pull may be in flight).  NULL is fine. */
void roger_images_free(struct roger_images *s);

/* What a task needs of its image (see roger_images_get). */
struct roger_image_use {
	char digest[ROGER_DIGEST_SIZE]; /* the image manifest's */
	char *rootfs; /* the unpacked image: never written to */
	char **env; /* config.Env ("NAME=value" only), NULL-terminated */
	char **entrypoint; /* config.Entrypoint, NULL-terminated; NULL: none */
	char **cmd; /* config.Cmd, likewise */
	char *workdir; /* config.WorkingDir, "" when none */
	char *user; /* config.User, "" when none */
	int lock_fd; /* holds the root filesystem against prune */
};

typedef bool (*roger_images_cancelled_fn)(void *data);

/*
 * The image `reference` ([registry/]repository[:tag][@digest]), pulled
 * if needed, unpacked, and locked for use until roger_image_use_free().
 * A reference seen before is not asked of its registry again unless
 * `force_pull` (Mesos' Image.cached = !forcePullImage); a digest reference
 * is never re-pulled.  Tasks that want the same reference at the same time
 * share one pull.  Manifest lists and indexes resolve to linux and the
 * store's architecture.  Every blob is checked against its digest before
 * it is kept (a mismatch keeps nothing) and every layer's uncompressed
 * stream against the config's diff_id; the root filesystem appears whole
 * or not at all.  The error message says what failed in one line, naming
 * the reference (registry.h's errors: ROGER_EAUTH, ROGER_ENOTFOUND,
 * ROGER_ENET, ROGER_EHTTP; ROGER_EINVALID for a reference or an image
 * roger local cannot run); ROGER_EINTR when `cancelled` says so.
 */
int roger_images_get(struct roger_image_use **out, struct roger_images *s,
		     const char *reference, bool force_pull,
		     roger_images_cancelled_fn cancelled, void *data,
		     struct roger_err *err);
/* Release the lock and free.  NULL is fine. */
void roger_image_use_free(struct roger_image_use *u);

/*
 * The pull of `reference` in flight, as
 * {"image", "layers", "layersDone", "bytes", "bytesDone"} (new reference),
 * or NULL when none is.
 */
json_t *roger_images_progress(struct roger_images *s, const char *reference);

struct roger_images_prune_report {
	unsigned images; /* root filesystems removed */
	unsigned in_use; /* unreferenced ones kept: a task runs on them */
	unsigned blobs; /* blobs removed */
	uint64_t bytes; /* bytes of blobs removed */
};

/*
 * Remove from the store at `dir` the images that no reference of `keep`
 * (NULL-terminated, references as apps name them) leads to, unless a
 * task runs on them, and the blobs that no kept image needs.  Waits for
 * pulls in flight to end first.  Works whether or not a server runs.
 */
int roger_images_prune(struct roger_images_prune_report *out, const char *dir,
		       const char *const *keep, struct roger_err *err);

#endif
