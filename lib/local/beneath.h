/*
 * beneath.h - paths opened relative to a root directory descriptor, never
 * through a symbolic link and never out of the root (internal to roger
 * local: the fetcher and the extractor).
 *
 * Code that writes where untrusted input says (an archive's entry names, a
 * fetch URI's destPath) resolves the names here instead of checking strings
 * and then handing a path to open(2): the check and the use are the same
 * system call, so a symbolic link planted earlier (by the same archive, a
 * previous one, or a racing process) is refused instead of followed.
 */
#ifndef ROGER_LOCAL_BENEATH_H
#define ROGER_LOCAL_BENEATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct roger_err;

enum roger_beneath_flags {
	/* Create the missing directories (mode 0755 before umask). */
	ROGER_BENEATH_CREATE = 1 << 0,
	/* Walk component by component with O_NOFOLLOW even where the kernel
	 * has openat2(2) (the fallback path, forced for tests). */
	ROGER_BENEATH_NO_OPENAT2 = 1 << 1,
};

/* The most components a path may have (a deeper one is refused). */
#define ROGER_BENEATH_MAX_DEPTH 128

/*
 * Open the directory `path` (relative, '/'-separated; "" or "." is the root
 * itself) beneath `root_fd` into `*out` (O_RDONLY | O_DIRECTORY, close on
 * exec; the caller closes it).  No component may be a symbolic link, "..",
 * or something other than a directory: openat2(2) with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS where the kernel has it, a
 * walk of openat(O_NOFOLLOW) calls from `root_fd` otherwise (and to create
 * missing directories).  ROGER_EINVALID when the path is absolute, has
 * "..", has more than ROGER_BENEATH_MAX_DEPTH components or meets a symbolic
 * link or a non-directory (the message names the component); ROGER_ENOTFOUND
 * when a directory is missing and not created; ROGER_EIO otherwise.
 */
int roger_beneath_open_dir(int *out, int root_fd, const char *path, int flags,
			   struct roger_err *err);

/*
 * Split the relative `path` into its directory part and its last component,
 * skipping empty and "." components: "./a//b/c" gives "a/b" and "c".  Both
 * are new strings in `*dir` and `*leaf` ("" for a top-level name).  The
 * number of directory components goes to `*depth` (may be NULL).
 * ROGER_EINVALID for an absolute path, a ".." component, or a path with no
 * name at all ("", ".", "./"); ROGER_ENOMEM.
 */
int roger_beneath_split(char **dir, char **leaf, size_t *depth,
			const char *path, struct roger_err *err);

/*
 * Remove `name` in the directory `dir_fd` and, for a directory, everything
 * under it, without following symbolic links (they are removed, not what
 * they point to).  A missing name is fine.  0, or -1 with errno set.
 */
int roger_beneath_remove(int dir_fd, const char *name);

/*
 * Create a new, empty, uniquely named entry in `dir_fd`: a regular file
 * (`dir` false; its descriptor, open for writing, is returned) or a
 * directory (`dir` true; 0 is returned), named `prefix` plus random
 * characters, written to `name` (of `size` bytes).  -1 with errno set.
 */
int roger_beneath_create_temp(int dir_fd, const char *prefix, bool dir,
			      mode_t mode, char *name, size_t size);

/* Whether this kernel gives openat2(2) to this process (tests report it). */
bool roger_beneath_have_openat2(void);

#endif
