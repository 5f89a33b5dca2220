/*
 * extract.h - unpacking an untrusted archive beneath a directory descriptor
 * (internal to roger local: the fetcher now, image layers later).
 *
 * Whatever the archive holds, nothing is created, written, linked or
 * followed outside the root directory, and an archive that fails half-way
 * (a refused entry, a truncated or corrupt stream, a full disk, a limit
 * reached, a cancel) leaves the root as it was.
 */
#ifndef ROGER_LOCAL_EXTRACT_H
#define ROGER_LOCAL_EXTRACT_H

#include <stdbool.h>
#include <stdint.h>

struct archive;
struct roger_err;

typedef bool (*roger_extract_cancelled_fn)(void *data);
/* Called once every entry is read and before anything reaches the root:
 * a negative status fails the archive, the root untouched. */
typedef int (*roger_extract_finish_fn)(void *data, struct roger_err *err);

enum roger_extract_flags {
	/* Resolve paths by the O_NOFOLLOW walk even where openat2(2)
	 * exists (ROGER_BENEATH_NO_OPENAT2; for tests). */
	ROGER_EXTRACT_NO_OPENAT2 = 1 << 0,
	/* Skip devices, FIFOs and sockets instead of refusing the archive. */
	ROGER_EXTRACT_SKIP_SPECIAL = 1 << 1,
	/* Store symbolic links whatever they point to (an image layer, whose
	 * links are read inside the container's own root).  Nothing is
	 * written through them either way; only set this when nothing on the
	 * host follows the links later. */
	ROGER_EXTRACT_ANY_SYMLINK = 1 << 2,
	/* OCI/AUFS whiteouts: an entry ".wh.NAME" removes NAME from what
	 * the root already held, ".wh..wh..opq" empties its directory of it;
	 * neither marker is created. */
	ROGER_EXTRACT_WHITEOUTS = 1 << 3,
	/* Owners (uid, gid) as the archive gives them (for a process that
	 * may chown: root).  Without it, everything is the caller's. */
	ROGER_EXTRACT_KEEP_OWNER = 1 << 4,
	/* Permission bits as the archive gives them: group and other write
	 * and the sticky bit kept (a /tmp of mode 1777), set-id bits too
	 * with ROGER_EXTRACT_KEEP_OWNER.  Without KEEP_OWNER the owner can
	 * still read and write (and enter) everything, so that later layers
	 * can be applied and the tree removed. */
	ROGER_EXTRACT_KEEP_MODE = 1 << 5,
	/* An image layer: an entry may replace a directory of the root (its
	 * whole tree goes), and a hard link may join a file the root held
	 * before the archive (found beneath the root, never through a link). */
	ROGER_EXTRACT_LAYER = 1 << 6,
};

/* The defaults of roger local's --max-extract-bytes and
 * --max-extract-entries. */
#define ROGER_EXTRACT_DEFAULT_MAX_BYTES ((uint64_t)2 << 30)
#define ROGER_EXTRACT_DEFAULT_MAX_ENTRIES ((uint64_t)1000000)

struct roger_extract_opts {
	int flags; /* enum roger_extract_flags */
	/* Caps on the size of all regular files together (their length,
	 * holes included) and on the number of entries; 0: none. */
	uint64_t max_bytes;
	uint64_t max_entries;
	/* How the user sets those caps, for the message when one is reached
	 * ("--max-extract-bytes"); NULL: not said. */
	const char *max_bytes_name, *max_entries_name;
	const char *name; /* the archive as messages name it; NULL: "archive" */
	roger_extract_cancelled_fn cancelled; /* polled while working; NULL */
	void *data;
	roger_extract_finish_fn finish; /* NULL: none */
	void *finish_data;
};

struct roger_extract_stats {
	uint64_t entries; /* entries read */
	uint64_t bytes; /* bytes of regular files */
};

/*
 * Extract every entry of `in` (a libarchive reader, opened by the caller
 * with the formats and filters it wants; its position is consumed) beneath
 * the directory `root_fd`, merging with what is there, as tar(1) does:
 * files and symbolic links replace files and links of the same name,
 * directories merge.  `out` (may be NULL) gets what was extracted.
 *
 * Entries are first written into a fresh staging directory inside the root,
 * each through descriptors (beneath.h), then moved into place by rename(2)
 * once the whole archive has been read; on failure the staging directory is
 * removed and the root is untouched.
 *
 * Refused, failing the whole archive (ROGER_EINVALID, the message naming
 * the archive and the entry): absolute names and ".." components; a path
 * through a symbolic link or a non-directory; a symbolic link whose target
 * is absolute, has ".." after a name, or climbs above the root from where
 * the link is; a hard link to an absolute name, to a name with "..", to
 * anything the archive did not create before it, to a directory, or to a
 * symbolic link that would lead out from the hard link's place; devices,
 * FIFOs and sockets (unless ROGER_EXTRACT_SKIP_SPECIAL); a file replacing a
 * directory (unless ROGER_EXTRACT_LAYER); a cap reached.  Set-id and
 * sticky bits and group/other write permission are dropped (unless
 * ROGER_EXTRACT_KEEP_MODE); the owner can always read and write (and enter
 * directories).  Modification times of files are kept; owners only with
 * ROGER_EXTRACT_KEEP_OWNER.
 *
 * ROGER_EIO for an archive that cannot be read (truncated, corrupt) and
 * for every write that fails (ENOSPC, EDQUOT...); ROGER_EINTR when
 * cancelled; ROGER_ENOMEM.
 */
int roger_extract(struct roger_extract_stats *out, int root_fd,
		  struct archive *in, const struct roger_extract_opts *o,
		  struct roger_err *err);

#endif
