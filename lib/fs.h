/*
 * fs.h - small file-system helpers shared by every module that writes.
 *
 * Nothing roger writes is ever half-written: roger_fs_write_atomic() writes
 * a temporary file beside the target, fsyncs it and renames it into place.
 */
#ifndef ROGER_FS_H
#define ROGER_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_buf;
struct roger_ctx;
struct roger_err;

/* Append the whole file at `path` to `out`.  ROGER_ENOTFOUND if missing. */
ROGER_EXTERN int roger_fs_read_file(struct roger_buf *out, const char *path,
				    struct roger_err *err);

/*
 * Replace `path` with `len` bytes of `data`, created with `mode` (before
 * umask), through a temporary file and rename(2).  On failure the old file
 * is untouched and no temporary file is left behind.
 */
ROGER_EXTERN int roger_fs_write_atomic(const char *path, const void *data,
				       size_t len, mode_t mode,
				       struct roger_err *err);

/* mkdir -p: create `path` and its missing parents with `mode`. */
ROGER_EXTERN int roger_fs_mkdirs(const char *path, mode_t mode,
				 struct roger_err *err);

/* rm -rf: remove `path` and everything under it; a missing path is fine. */
ROGER_EXTERN int roger_fs_remove_tree(const char *path, struct roger_err *err);

ROGER_EXTERN bool roger_fs_is_dir(const char *path);
ROGER_EXTERN bool roger_fs_exists(const char *path);

/* "a" + "/" + "b" as a new string (NULL when out of memory). */
ROGER_EXTERN char *roger_path_join(const char *a, const char *b);

/*
 * The directory to use for a kind of XDG data: "config", "state", "cache".
 * A new string: $XDG_<KIND>_HOME/roger, else $HOME/.config/roger and so on,
 * read through the context's environment (ctx may be NULL: getenv).
 */
ROGER_EXTERN char *roger_xdg_dir(const struct roger_ctx *ctx, const char *kind);

ROGER_END_DECLS

#endif
