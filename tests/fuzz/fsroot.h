/*
 * fsroot.h - the scratch directories of the harnesses that write files
 * (fuzz_extract, fuzz_layers).
 *
 * fuzz_fsroot_init() makes the fuzzer's own directory under $TMPDIR (or
 * /tmp), removed at exit unless a crash left evidence in it.  Each input
 * then gets `run/inner`, the root to write into, beside `run/sentinel`, an
 * empty directory that must stay empty; fuzz_fsroot_check() aborts when
 * anything appeared beside the root or in the sentinel, and
 * fuzz_fsroot_end() removes `run` without following links.
 */
#ifndef ROGER_FUZZ_FSROOT_H
#define ROGER_FUZZ_FSROOT_H

struct fuzz_fsroot {
	int run_fd; /* `run` */
	int root_fd; /* `run/inner` */
};

/* The fuzzer's directory, `<tmp>/<name>.XXXXXX`; its path is copied to
 * fuzz_fsroot_base. */
void fuzz_fsroot_init(const char *name);

extern char fuzz_fsroot_base[];

/* Make `run`, `run/inner` and `run/sentinel`. */
void fuzz_fsroot_begin(struct fuzz_fsroot *r);

/* abort() when anything but `inner` and `sentinel` is in `run`, or
 * anything is in the sentinel; `why` is printed with the message. */
void fuzz_fsroot_check(const struct fuzz_fsroot *r, const char *why);

/* The number of entries in the directory `name` of `dir_fd` (-1: none),
 * without following a link at `name`. */
int fuzz_count_entries(int dir_fd, const char *name);

/* Close both and remove `run`. */
void fuzz_fsroot_end(struct fuzz_fsroot *r);

#endif
