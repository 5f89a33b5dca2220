/*
 * layer.h - applying one image layer to a root filesystem (internal to
 * roger local's image store).
 *
 * A layer is a tar archive, gzip-compressed or not, holding a changeset
 * (REGISTRY.md section 9): files to add or replace, ".wh.NAME" whiteouts
 * and ".wh..wh..opq" opaque markers.  roger_layer_apply() streams it
 * through zlib into the safe extractor (extract.h) with the whiteout,
 * layer and mode flags, and hashes the uncompressed stream on the way, so
 * that the caller can check the config's diff_id without a second pass.
 */
#ifndef ROGER_LOCAL_LAYER_H
#define ROGER_LOCAL_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct roger_err;

enum roger_layer_compression {
	ROGER_LAYER_TAR, /* an uncompressed tar */
	ROGER_LAYER_GZIP, /* gzip (one or more members) */
};

/*
 * The compression of a layer of media type `media_type` into *out:
 * Docker's and OCI's gzip types and OCI's plain tar.  ROGER_EINVALID for
 * anything else (zstd, foreign layers), naming the type.
 */
int roger_layer_compression(enum roger_layer_compression *out,
			    const char *media_type, struct roger_err *err);

struct roger_layer_opts {
	enum roger_layer_compression compression;
	/* Keep owners (root) and set-id bits; otherwise everything is the
	 * caller's (ROGER_EXTRACT_KEEP_OWNER). */
	bool keep_owner;
	/* Caps on what the layer may hold (bytes of files, entries); 0: none.
	 */
	uint64_t max_bytes, max_entries;
	const char *name; /* the layer in messages ("sha256:..."), or NULL */
	bool (*cancelled)(void *data); /* polled; NULL */
	void *data;
};

/*
 * Apply the layer read from descriptor `fd` (its position is consumed)
 * to the root filesystem beneath `root_fd`: whiteouts and opaque markers
 * hide what lower layers left, then the entries are merged in (an entry
 * replaces a file, link or directory of the same name; directories
 * merge).  Nothing is written outside the root: names, symbolic links and
 * hard links are confined as extract.h says; devices, FIFOs and sockets are
 * skipped.  On success diff_id[72] is "sha256:" and the hex digest of the
 * whole uncompressed stream.  On failure the root is as it was (the
 * extractor's guarantee).  ROGER_EINVALID for a refused entry or a stream
 * that is not gzip/tar, ROGER_EIO for reads and writes, ROGER_EINTR when
 * cancelled.
 */
int roger_layer_apply(char *diff_id, int root_fd, int fd,
		      const struct roger_layer_opts *o, struct roger_err *err);

#endif
