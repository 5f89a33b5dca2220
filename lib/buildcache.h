/*
 * buildcache.h - the build-step cache (internal to libroger): what
 * build.command made in the paths of build.cache, kept under
 * .roger/build-cache/ and put back into the next clean export whose key
 * files, command and tool version are the same.
 */
#ifndef ROGER_BUILDCACHE_H
#define ROGER_BUILDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

struct roger_ctx;
struct roger_err;

/* The size the cache may grow to when build.cache.max_mb is not set. */
#define ROGER_BUILD_CACHE_MAX_MB 1024

struct roger_build_cache {
	char *dir; /* .roger/build-cache */
	char **paths; /* build.cache.paths, NULL-terminated */
	char **keys; /* build.cache.key, NULL-terminated */
	char *version; /* build.cache.version, or NULL */
	uint64_t max_bytes;
	char key[65]; /* set by roger_build_cache_key */
};

/*
 * Why `path` cannot be a build.cache path or key file ("is absolute",
 * "climbs out of the project with '..'"...), or NULL when it can: a
 * relative path of one or more names, none of them "." or "..", without
 * empty names or a trailing '/'.
 */
const char *roger_build_cache_path_invalid(const char *path);

/*
 * Read the build.cache object `spec` (checked by roger_project_parse) into
 * `bc`, whose entries live in `roger_dir`/build-cache.  ROGER_ENOMEM.
 */
int roger_build_cache_init(struct roger_build_cache *bc, const json_t *spec,
			   const char *roger_dir, struct roger_err *err);
void roger_build_cache_release(struct roger_build_cache *bc);

/*
 * The key of what the build command `command` makes in the project
 * directory `projdir` of a clean export: a SHA-256 over the command, the
 * paths, the content of each key file (or its absence), and the version
 * command with its output (run in `projdir`).  ROGER_ERROR when the
 * version command fails, ROGER_EINTR, ROGER_ENOMEM.
 */
int roger_build_cache_key(struct roger_build_cache *bc, struct roger_ctx *ctx,
			  const char *command, const char *projdir,
			  struct roger_err *err);

/*
 * Put the entry of bc->key back under `projdir`, if the cache has it and
 * it is whole: its size and SHA-256 match what was stored with it.  A
 * damaged entry, or one that cannot be extracted, is removed and reported
 * in `note` as a miss; nothing of it is left in `projdir`.  ROGER_ENOMEM
 * and ROGER_EINTR are the only failures.
 */
int roger_build_cache_restore(bool *restored, struct roger_buf *note,
			      struct roger_build_cache *bc,
			      struct roger_ctx *ctx, const char *projdir,
			      struct roger_err *err);

/*
 * Store the paths under `projdir` as the entry of bc->key (through a
 * temporary file and rename), then remove the least recently used entries
 * until the cache holds at most bc->max_bytes.  An entry larger than that
 * on its own is not stored (said in `note`).  ROGER_EIO, ROGER_ENOMEM.
 */
int roger_build_cache_save(struct roger_buf *note, struct roger_build_cache *bc,
			   const char *projdir, struct roger_err *err);

/*
 * Check the stored description of an entry (the JSON text beside its
 * tar): its "sha256" (64 hex digits) and "size".  ROGER_EINVALID when it
 * is not one; fills *sha256 (65 bytes) and *size.
 */
int roger_build_cache_entry_parse(char *sha256, uint64_t *size,
				  const char *text, size_t len,
				  struct roger_err *err);

/*
 * Whether the cache holds an entry for `key` that looks whole at a glance
 * (its description parses and its tar has the size given there; no
 * digest is computed): its SHA-256 into `sha` (65 bytes).
 */
bool roger_build_cache_entry_sha(char *sha, const struct roger_build_cache *bc,
				 const char *key);

/*
 * The names in the directory `fd` but "." and "..", sorted, into *names
 * and *n (free with roger_build_cache_free_names).  -1 with errno set.
 */
int roger_build_cache_list_dir(char ***names, size_t *n, int fd);
void roger_build_cache_free_names(char **names, size_t n);

/* Mark the entry of bc->key used now (pruning goes by last use). */
void roger_build_cache_touch(const struct roger_build_cache *bc);

/* ---- hot copies (buildcache-hot.c) ---------------------------------------- */

/* The most hot copies kept in the per-user directory. */
#define ROGER_BUILD_HOT_SLOTS 3

struct roger_build_hot {
	int fd; /* $TMPDIR/roger-<euid>/build-cache, or -1: not used */
	char *dir; /* its path, for messages */
	struct roger_buf snap; /* the cache paths when restored or saved */
};

/*
 * Open the per-user directory of hot copies under `tmpdir` into `h`, after
 * checking that it is the user's own (a directory, not a link, owned by
 * geteuid(), mode 0700); when it is not, `note` says so and h->fd is -1,
 * as it is when `tmpdir` is a tmpfs.  ROGER_ENOMEM only.
 */
int roger_build_hot_open(struct roger_build_hot *h, struct roger_buf *note,
			 const char *tmpdir, struct roger_err *err);
void roger_build_hot_release(struct roger_build_hot *h);

/*
 * Move the hot copy of bc->key into `projdir` when there is one that
 * matches its manifest and the entry it was made from (*moved true, and
 * h->snap records the paths).  A copy that does not match, or that cannot
 * be moved in, is removed, `note` says so, and `projdir` is as it was.
 * ROGER_ENOMEM only.
 */
int roger_build_hot_restore(bool *moved, struct roger_buf *note,
			    struct roger_build_hot *h,
			    const struct roger_build_cache *bc,
			    const char *projdir, struct roger_err *err);

/*
 * Record the cache paths under `projdir` as they are now (right after a
 * tar restore, or right after roger_build_cache_save), for
 * roger_build_hot_keep.  -1 when they cannot be walked (nothing is kept).
 */
int roger_build_hot_snapshot(struct roger_build_hot *h,
			     const struct roger_build_cache *bc,
			     const char *projdir);

/*
 * After a successful build: move the cache paths out of `projdir` into a
 * new hot copy of bc->key when they are what the last restore or snapshot
 * recorded (*kept true), then remove the least recently made copies
 * beyond ROGER_BUILD_HOT_SLOTS.  Otherwise `note` may say why not.
 * Never fails but for ROGER_ENOMEM.
 */
int roger_build_hot_keep(bool *kept, struct roger_buf *note,
			 struct roger_build_hot *h,
			 const struct roger_build_cache *bc,
			 const char *projdir, struct roger_err *err);

#endif
