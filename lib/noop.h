/*
 * noop.h - the record of the last clean build (.roger/noop), which lets a
 * build that has nothing to do answer without libgit2.  Not installed.
 *
 * A clean build writes what its answer depended on: the build options (in
 * hex, compared as they are: no hashing, which would cost the start of
 * OpenSSL), HEAD's commit and the files it is read through, the index
 * file's stat data and checksum, and the lstat(2) data of every index
 * entry the work tree check covered, each one then known to be clean.
 * The next build reads HEAD and the ref it names itself, stats the index
 * and every recorded file, and when all of them are as recorded, the work
 * tree is as clean as it was and the commit, its tree and the cache key
 * are the recorded ones: the build is the cache lookup alone.  Anything
 * else (a file touched, another HEAD, the index rewritten, a record that
 * does not parse) sends the build the long way, which writes a new one.
 *
 * A file modified after the record was made cannot keep its recorded
 * stat data: entries are recorded only when their modification time is
 * before the index file's (git's racy-clean rule) or well in the past,
 * so a later write gives the file a later time, and its change time,
 * inode and size are compared too.
 */
#ifndef ROGER_NOOP_H
#define ROGER_NOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct roger_buf;

#define ROGER_NOOP_MAGIC "roger-noop 1"

struct roger_noop_entry {
	uint64_t ino, size;
	int64_t mtime_ns, ctime_ns;
	uint32_t mode;
	const char *path; /* into the record's text */
};

struct roger_noop {
	char *text; /* the record, its newlines made NULs */
	const char *opts; /* the options text, as hex (noop_opts in pack.c) */
	const char *gitdir, *commondir, *workdir, *index;
	char head[41]; /* HEAD's commit */
	uint64_t index_ino, index_size;
	int64_t index_mtime_ns, index_ctime_ns;
	char index_sum[41]; /* the index file's trailing checksum */
	char commit[41], tree[41]; /* what the build answers with */
	int64_t time;
	char key[65];
	struct roger_noop_entry *entries;
	size_t n_entries;
};

/*
 * Parse a record (`len` bytes of `text`, copied).  0, ROGER_EINVALID for
 * anything that is not one, ROGER_ENOMEM.
 */
int roger_noop_parse(struct roger_noop *out, const char *text, size_t len);
void roger_noop_release(struct roger_noop *r);

/*
 * Whether the record still holds: HEAD, the index and every recorded file
 * as they were, and `tracked` (a path from the work tree root, or NULL)
 * among the recorded files.
 */
bool roger_noop_holds(const struct roger_noop *r, const char *tracked);

/*
 * HEAD's commit as hex in out[41], read from the files: `gitdir`/HEAD and,
 * when it names a branch, the loose ref under `commondir` or its line in
 * packed-refs.  false for anything else (a symbolic ref to a symbolic ref,
 * an unborn branch, an unreadable file).
 */
bool roger_noop_read_head(char *out, const char *gitdir, const char *commondir);

/* A file's stat data as a record stores it. */
int64_t roger_noop_ns(const struct timespec *ts);

/*
 * The trailing checksum of the index file `path` (the last 20 bytes) as
 * hex in out[41]; false when it cannot be read.
 */
bool roger_noop_index_sum(char *out, const char *path);

/* Append the line of one entry ("entry ino size mtime ctime mode path"). */
int roger_noop_add_entry(struct roger_buf *b, const struct stat *st,
			 const char *path);

#endif
