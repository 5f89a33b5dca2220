/*
 * check_extract.c - unit tests of the extractor (lib/local/extract.c) and
 * the resolver under it (lib/local/beneath.c): archives built here with
 * libarchive, hostile ones above all (the escape of issue 11, absolute
 * names, "..", writes through symbolic links, hard links out, bombs,
 * truncated and corrupt streams, a full disk), each extracted into a root
 * beside a sentinel directory that must stay as it was, and a root that
 * must be left as it was when the archive fails.  Every case that resolves
 * paths runs twice: with openat2(2) where the kernel has it, and with the
 * O_NOFOLLOW walk forced.
 */
#include <config.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/roger.h"
#include "lib/local/beneath.h"
#include "lib/local/extract.h"
#include "lib/local/layer.h"

/* ---- the directories ------------------------------------------------------ */

static char tmp[256]; /* the test's directory */
static char root[300]; /* where archives are extracted */
static char outside[300]; /* a sibling of root that must not change */
static int root_fd = -1;
static int flags; /* 0, or ROGER_EXTRACT_NO_OPENAT2 */

static void setup(void)
{
	const char *base = getenv("TMPDIR");
	char victim[400];

	snprintf(tmp, sizeof(tmp), "%s/roger-extract-XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/root", tmp);
	snprintf(outside, sizeof(outside), "%s/outside", tmp);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(mkdir(outside, 0755), 0);
	snprintf(victim, sizeof(victim), "%s/victim", outside);
	ck_assert_int_eq(
		roger_fs_write_atomic(victim, "original\n", 9, 0644, NULL), 0);
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(root_fd, 0);
}

static void teardown(void)
{
	if (root_fd >= 0)
		close(root_fd);
	root_fd = -1;
	roger_fs_remove_tree(tmp, NULL);
}

/* The names in `dir`, sorted, joined by spaces ("" when empty). */
static char *listing(const char *dir)
{
	struct dirent **names;
	struct roger_buf b = ROGER_BUF_INIT;
	int n = scandir(dir, &names, NULL, alphasort);

	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") &&
		    strcmp(names[i]->d_name, ".."))
			roger_buf_addf(&b, "%s%s", b.len ? " " : "",
				       names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return roger_buf_detach(&b, NULL);
}

static void expect_listing(const char *dir, const char *want)
{
	char *got = listing(dir);

	ck_assert_msg(strcmp(got, want) == 0, "'%s' holds '%s', expected '%s'",
		      dir, got, want);
	free(got);
}

/* Nothing changed next to the root, and nothing appeared beside it. */
static void expect_outside_untouched(void)
{
	char victim[400];
	struct roger_buf b = ROGER_BUF_INIT;

	expect_listing(tmp, "outside root");
	expect_listing(outside, "victim");
	snprintf(victim, sizeof(victim), "%s/victim", outside);
	ck_assert_int_eq(roger_fs_read_file(&b, victim, NULL), 0);
	ck_assert_str_eq(b.buf, "original\n");
	roger_buf_release(&b);
}

static char *in_root(const char *name)
{
	return roger_path_join(root, name);
}

static char *read_in_root(const char *name)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *p = in_root(name);

	ck_assert_msg(roger_fs_read_file(&b, p, NULL) == 0, "cannot read '%s'",
		      p);
	free(p);
	return roger_buf_detach(&b, NULL);
}

static mode_t mode_in_root(const char *name)
{
	struct stat st;
	char *p = in_root(name);

	ck_assert_msg(lstat(p, &st) == 0, "'%s' is missing", name);
	free(p);
	return st.st_mode;
}

/* ---- archives built with libarchive -------------------------------------- */

enum kind { F, D, L, H, CHR, FIFO, BIG, RND };

struct ent {
	enum kind kind;
	const char *name;
	const char *data; /* a file's content, a link's target */
	mode_t mode; /* 0: 0644 for files */
	size_t size; /* BIG: that many zero bytes; RND: random ones */
};

enum fmt { TAR, TGZ, ZIP };

static la_ssize_t to_buf(struct archive *a, void *data, const void *p, size_t n)
{
	(void)a;
	ck_assert_int_eq(roger_buf_add(data, p, n), 0);
	return (la_ssize_t)n;
}

/* The archive of `n` entries, in `out` (released by the caller). */
static void build(struct roger_buf *out, enum fmt fmt, const struct ent *e,
		  size_t n)
{
	struct archive *a = archive_write_new();
	static char zeros[65536], noise[65536];
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < sizeof(noise); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		noise[i] = (char)x;
	}

	roger_buf_init(out);
	if (fmt == ZIP) {
		archive_write_set_format_zip(a);
	} else {
		archive_write_set_format_pax_restricted(a);
		if (fmt == TGZ)
			archive_write_add_filter_gzip(a);
	}
	archive_write_set_bytes_in_last_block(a, 1);
	ck_assert_int_eq(archive_write_open2(a, out, NULL, to_buf, NULL, NULL),
			 ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		size_t len = 0;

		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_mtime(ae, 1500000000, 0);
		switch (e[i].kind) {
		case F:
		case BIG:
		case RND:
			len = e[i].kind == F ? strlen(e[i].data) : e[i].size;
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae,
					       e[i].mode ? e[i].mode : 0644);
			archive_entry_set_size(ae, (la_int64_t)len);
			break;
		case D:
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae,
					       e[i].mode ? e[i].mode : 0755);
			break;
		case L:
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_perm(ae, 0777);
			archive_entry_set_symlink(ae, e[i].data);
			break;
		case H:
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_hardlink(ae, e[i].data);
			break;
		case CHR:
			archive_entry_set_filetype(ae, AE_IFCHR);
			archive_entry_set_perm(ae, 0666);
			archive_entry_set_rdevmajor(ae, 1);
			archive_entry_set_rdevminor(ae, 3);
			break;
		case FIFO:
			archive_entry_set_filetype(ae, AE_IFIFO);
			archive_entry_set_perm(ae, 0644);
			break;
		}
		ck_assert_int_eq(archive_write_header(a, ae), ARCHIVE_OK);
		if (e[i].kind == F) {
			ck_assert_int_eq(archive_write_data(a, e[i].data, len),
					 (la_ssize_t)len);
		} else if (e[i].kind == BIG || e[i].kind == RND) {
			for (size_t done = 0; done < len;) {
				size_t k = len - done < sizeof(zeros)
						   ? len - done
						   : sizeof(zeros);

				ck_assert_int_eq(
					archive_write_data(a,
							   e[i].kind == BIG
								   ? zeros
								   : noise,
							   k),
					(la_ssize_t)k);
				done += k;
			}
		}
		archive_entry_free(ae);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static struct archive *reader(const struct roger_buf *b)
{
	struct archive *in = archive_read_new();

	archive_read_support_format_tar(in);
	archive_read_support_format_zip(in);
	archive_read_support_filter_gzip(in);
	ck_assert_int_eq(archive_read_open_memory(in, b->buf, b->len),
			 ARCHIVE_OK);
	return in;
}

static struct roger_extract_opts opts_for(int extra)
{
	struct roger_extract_opts o;

	memset(&o, 0, sizeof(o));
	o.flags = flags | extra;
	o.name = "test.tar";
	o.max_bytes = ROGER_EXTRACT_DEFAULT_MAX_BYTES;
	o.max_entries = ROGER_EXTRACT_DEFAULT_MAX_ENTRIES;
	return o;
}

/* Extract the bytes of `b` into the root with `o`. */
static int extract_buf(const struct roger_buf *b,
		       const struct roger_extract_opts *o,
		       struct roger_err *err)
{
	struct archive *in = reader(b);
	int rc = roger_extract(NULL, root_fd, in, o, err);

	archive_read_free(in);
	return rc;
}

static int extract_ents(const struct ent *e, size_t n, int extra,
			struct roger_err *err)
{
	struct roger_extract_opts o = opts_for(extra);
	struct roger_buf b;
	int rc;

	build(&b, TAR, e, n);
	rc = extract_buf(&b, &o, err);
	roger_buf_release(&b);
	return rc;
}

/* The archive is refused with a message holding `why`; the root is as
 * empty as it started and nothing changed outside. */
static void expect_refused(const struct ent *e, size_t n, int extra,
			   const char *why)
{
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(extract_ents(e, n, extra, &err) == ROGER_EINVALID,
		      "accepted (flags %d): %s", flags | extra, err.msg);
	ck_assert_msg(strstr(err.msg, "refusing archive 'test.tar'") != NULL,
		      "%s", err.msg);
	ck_assert_msg(strstr(err.msg, why) != NULL, "'%s' lacks '%s'", err.msg,
		      why);
	expect_listing(root, "");
	expect_outside_untouched();
}

static void set_flags(int i)
{
	flags = i ? ROGER_EXTRACT_NO_OPENAT2 : 0;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- what is extracted ---------------------------------------------------- */

START_TEST(test_extract_tree)
{
	static const struct ent tree[] = {
		{ D, "app/", NULL, 0750, 0 },
		{ F, "app/run.sh", "#!/bin/sh\necho run\n", 0755, 0 },
		{ F, "./data.txt", "payload\n", 04666, 0 },
		{ D, "./", NULL, 0755, 0 },
		{ L, "app/data", "../data.txt", 0, 0 },
		{ H, "app/same.txt", "data.txt", 0, 0 },
		{ F, "deep/er/file", "made with its parents\n", 0600, 0 },
		{ D, "ro/", NULL, 0555, 0 },
		{ F, "ro/inside", "in a read-only dir\n", 0444, 0 },
	};
	struct roger_extract_opts o;
	struct roger_extract_stats st;
	struct roger_err err = ROGER_ERR_INIT;
	struct archive *in;
	struct roger_buf b;
	struct stat a, c;
	char *s, *p, *q, link[64];
	ssize_t n;

	set_flags(_i);
	o = opts_for(0);
	build(&b, TAR, tree, N(tree));
	in = reader(&b);
	ck_assert_msg(roger_extract(&st, root_fd, in, &o, &err) == 0, "%s",
		      err.msg);
	archive_read_free(in);
	roger_buf_release(&b);
	ck_assert_int_eq(st.entries, N(tree));
	ck_assert_int_eq(st.bytes, strlen(tree[1].data) + strlen(tree[2].data) +
					   strlen(tree[6].data) +
					   strlen(tree[8].data));
	expect_listing(root, "app data.txt deep ro");
	expect_listing(tmp, "outside root"); /* no staging directory left */
	s = read_in_root("app/run.sh");
	ck_assert_str_eq(s, "#!/bin/sh\necho run\n");
	free(s);
	s = read_in_root("app/data"); /* through the link, inside */
	ck_assert_str_eq(s, "payload\n");
	free(s);
	s = read_in_root("deep/er/file");
	ck_assert_str_eq(s, "made with its parents\n");
	free(s);
	/* Modes: set-id and group/other write dropped, owner rw kept. */
	ck_assert_int_eq(mode_in_root("app/run.sh") & 07777, 0755);
	ck_assert_int_eq(mode_in_root("data.txt") & 07777, 0644);
	ck_assert_int_eq(mode_in_root("app") & 07777, 0750);
	ck_assert_int_eq(mode_in_root("ro") & 07777, 0755);
	ck_assert_int_eq(mode_in_root("ro/inside") & 07777, 0644);
	ck_assert(S_ISLNK(mode_in_root("app/data")));
	p = in_root("app/data");
	n = readlink(p, link, sizeof(link) - 1);
	ck_assert_int_eq(n, 11);
	link[n] = '\0';
	ck_assert_str_eq(link, "../data.txt");
	free(p);
	/* The hard link is one file with data.txt; times are kept. */
	p = in_root("data.txt");
	q = in_root("app/same.txt");
	ck_assert_int_eq(stat(p, &a), 0);
	ck_assert_int_eq(stat(q, &c), 0);
	ck_assert(a.st_ino == c.st_ino && a.st_nlink == 2);
	ck_assert_int_eq(a.st_mtime, 1500000000);
	free(p);
	free(q);
	expect_outside_untouched();
}
END_TEST

START_TEST(test_extract_formats)
{
	static const struct ent one[] = {
		{ D, "d/", NULL, 0, 0 },
		{ F, "d/f.txt", "in-archive\n", 0, 0 },
		{ L, "d/l", "f.txt", 0, 0 },
	};
	static const enum fmt fmts[] = { TAR, TGZ, ZIP };
	struct roger_err err = ROGER_ERR_INIT;

	set_flags(_i);
	for (size_t i = 0; i < N(fmts); i++) {
		struct roger_extract_opts o = opts_for(0);
		struct roger_buf b;
		char *s;

		build(&b, fmts[i], one, N(one));
		ck_assert_msg(extract_buf(&b, &o, &err) == 0, "format %zu: %s",
			      i, err.msg);
		roger_buf_release(&b);
		s = read_in_root("d/l");
		ck_assert_str_eq(s, "in-archive\n");
		free(s);
		ck_assert(S_ISLNK(mode_in_root("d/l")));
		ck_assert_int_eq(roger_beneath_remove(root_fd, "d"), 0);
	}
}
END_TEST

/* tar semantics: files and links replace, directories merge; a later
 * entry of the same name wins. */
START_TEST(test_extract_merges_with_the_root)
{
	static const struct ent first[] = {
		{ F, "data/old.txt", "old\n", 0, 0 },
		{ F, "app", "first app\n", 0, 0 },
		{ L, "current", "data", 0, 0 },
		{ F, "keep", "kept\n", 0, 0 },
	};
	static const struct ent second[] = {
		{ F, "data/new.txt", "new\n", 0, 0 },
		{ F, "app", "second app\n", 0, 0 },
		{ F, "app", "third app\n", 0, 0 },
		{ D, "current/", NULL, 0, 0 },
		{ F, "current/real", "a directory now\n", 0, 0 },
	};
	struct roger_err err = ROGER_ERR_INIT;
	char *s;

	set_flags(_i);
	ck_assert_msg(extract_ents(first, N(first), 0, &err) == 0, "%s",
		      err.msg);
	ck_assert_msg(extract_ents(second, N(second), 0, &err) == 0, "%s",
		      err.msg);
	expect_listing(root, "app current data keep");
	expect_listing(root, "app current data keep");
	s = read_in_root("data/old.txt");
	ck_assert_str_eq(s, "old\n");
	free(s);
	s = read_in_root("data/new.txt");
	ck_assert_str_eq(s, "new\n");
	free(s);
	s = read_in_root("app");
	ck_assert_str_eq(s, "third app\n");
	free(s);
	/* The link was replaced by the directory, not followed into data/. */
	ck_assert(S_ISDIR(mode_in_root("current")));
	expect_listing(root, "app current data keep");
	s = in_root("data");
	expect_listing(s, "new.txt old.txt");
	free(s);
	expect_outside_untouched();
}
END_TEST

/* A file that would replace a directory is refused before anything
 * moves: the root keeps both what it had and nothing of the archive. */
START_TEST(test_extract_file_over_directory_refused_whole)
{
	static const struct ent first[] = { { F, "dir/inner", "x\n", 0, 0 } };
	static const struct ent second[] = {
		{ F, "a-new-file", "y\n", 0, 0 },
		{ F, "dir", "a file now\n", 0, 0 },
	};
	struct roger_err err = ROGER_ERR_INIT;
	char *d;

	set_flags(_i);
	ck_assert_msg(extract_ents(first, N(first), 0, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(extract_ents(second, N(second), 0, &err),
			 ROGER_EINVALID);
	ck_assert_msg(strstr(err.msg, "entry 'dir' would replace a directory"),
		      "%s", err.msg);
	expect_listing(root, "dir");
	d = in_root("dir");
	expect_listing(d, "inner");
	free(d);
}
END_TEST

/* ---- hostile archives ----------------------------------------------------- */

/* The escape of issue 11: 20 nested directories, a link at the bottom
 * that climbs back to the root (legal there), then a hard link to it at
 * the top, where the same text climbs 20 levels above the root. */
START_TEST(test_extract_issue_escape_refused)
{
	struct ent e[23];
	char names[21][128], up[128] = "", *p;
	size_t n = 0;

	set_flags(_i);
	names[0][0] = '\0';
	for (int i = 0; i < 20; i++) {
		snprintf(names[i + 1], sizeof(names[i + 1]), "%sd%d/", names[i],
			 i);
		e[n++] = (struct ent){ D, names[i + 1], NULL, 0, 0 };
		strcat(up, i ? "/.." : "..");
	}
	p = malloc(256);
	snprintf(p, 256, "%sl", names[20]);
	e[n++] = (struct ent){ L, p, up, 0, 0 };
	e[n++] = (struct ent){ H, "h", p, 0, 0 };
	expect_refused(
		e, n, 0,
		"entry 'h' is a hard link to a symbolic link that, from here, leads out of the sandbox");
	/* The link alone is fine where it is. */
	ck_assert_int_eq(extract_ents(e, n - 1, 0, NULL), 0);
	expect_outside_untouched();
	free(p);
}
END_TEST

START_TEST(test_extract_absolute_and_dotdot_refused)
{
	char abs_victim[400];
	struct ent e1[] = { { F, abs_victim, "pwned\n", 0, 0 } };
	static const struct ent e2[] = { { F, "../pwned", "x", 0, 0 } };
	static const struct ent e3[] = { { F, "a/../../outside/pwned", "x", 0,
					   0 } };
	static const struct ent e4[] = { { D, "ok/", NULL, 0, 0 },
					 { D, "ok/../../x/", NULL, 0, 0 } };
	static const struct ent e5[] = { { L, "l", "/etc", 0, 0 } };
	static const struct ent e6[] = { { L, "l", "../outside", 0, 0 } };
	static const struct ent e7[] = { { L, "a/b/l", "../../../outside", 0,
					   0 } };

	set_flags(_i);
	snprintf(abs_victim, sizeof(abs_victim), "%s/victim", outside);
	expect_refused(e1, 1, 0, "has an absolute path");
	expect_refused(e2, 1, 0, "entry '../pwned' has '..' in its path");
	expect_refused(e3, 1, 0, "has '..' in its path");
	expect_refused(e4, 2, 0, "has '..' in its path");
	expect_refused(
		e5, 1, 0,
		"entry 'l' is a symbolic link that points to an absolute path");
	expect_refused(
		e6, 1, 0,
		"entry 'l' is a symbolic link that leads out of the sandbox");
	expect_refused(
		e7, 1, 0,
		"entry 'a/b/l' is a symbolic link that leads out of the sandbox");
}
END_TEST

/* Files are never written through a symbolic link, even one that stays
 * inside, and even with ROGER_EXTRACT_ANY_SYMLINK (links stored as they
 * are, never followed). */
START_TEST(test_extract_through_symlink_refused)
{
	char abs_outside[400];
	static const struct ent inside[] = {
		{ D, "sub/", NULL, 0, 0 },
		{ L, "link", "sub", 0, 0 },
		{ F, "link/pwned", "x", 0, 0 },
	};
	struct ent out[] = {
		{ L, "link", abs_outside, 0, 0 },
		{ F, "link/pwned", "x", 0, 0 },
	};
	static const struct ent chain[] = {
		{ L, "l", ".", 0, 0 },
		{ L, "m", "l/..", 0, 0 },
		{ F, "m/pwned", "x", 0, 0 },
	};
	static const struct ent replaced[] = {
		{ D, "d/", NULL, 0, 0 },
		{ L, "d", ".", 0, 0 },
		{ F, "d/pwned", "x", 0, 0 },
	};

	set_flags(_i);
	snprintf(abs_outside, sizeof(abs_outside), "%s", outside);
	expect_refused(
		inside, N(inside), 0,
		"entry 'link/pwned' cannot be written: 'link' is a symbolic link");
	expect_refused(
		out, N(out), ROGER_EXTRACT_ANY_SYMLINK,
		"entry 'link/pwned' cannot be written: 'link' is a symbolic link");
	expect_refused(
		chain, N(chain), 0,
		"entry 'm' is a symbolic link that has '..' after a name in its target");
	expect_refused(replaced, N(replaced), 0,
		       "entry 'd' would replace a directory");
}
END_TEST

/* A symbolic link left in the root by something else (an older roger, an
 * earlier fetch) is never followed: a directory of the archive replaces
 * it, as with tar, and the resolver refuses to go through it. */
START_TEST(test_extract_planted_symlink_not_followed)
{
	static const struct ent e[] = { { F, "h/escaped", "x", 0, 0 } };
	struct roger_err err = ROGER_ERR_INIT;
	char *p;
	int fd = -1;

	set_flags(_i);
	ck_assert_int_eq(symlinkat(outside, root_fd, "h"), 0);
	ck_assert_int_eq(symlinkat(outside, root_fd, "g"), 0);
	ck_assert_msg(extract_ents(e, 1, 0, &err) == 0, "%s", err.msg);
	ck_assert(S_ISDIR(mode_in_root("h")));
	p = in_root("h");
	expect_listing(p, "escaped");
	free(p);
	expect_outside_untouched();
	/* The resolver on its own: the fetcher's destPath goes through it. */
	ck_assert_int_eq(roger_beneath_open_dir(
				 &fd, root_fd, "g/tmp",
				 ROGER_BENEATH_CREATE |
					 (_i ? ROGER_BENEATH_NO_OPENAT2 : 0),
				 &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "'g' is a symbolic link");
	ck_assert_int_eq(fd, -1);
	expect_outside_untouched();
}
END_TEST

START_TEST(test_extract_hard_links_out_refused)
{
	struct stat before, after;
	static const struct ent abs[] = { { H, "passwd", "/etc/passwd", 0,
					    0 } };
	static const struct ent up[] = {
		{ H, "passwd", "../../../../../../../../etc/passwd", 0, 0 }
	};
	static const struct ent missing[] = { { H, "h", "not/there", 0, 0 } };
	static const struct ent to_dir[] = { { D, "d/", NULL, 0, 0 },
					     { H, "h", "d", 0, 0 } };
	static const struct ent through[] = {
		{ D, "sub/", NULL, 0, 0 },
		{ F, "sub/f", "x", 0, 0 },
		{ L, "l", "sub", 0, 0 },
		{ H, "h", "l/f", 0, 0 },
	};
	static const struct ent later[] = { { H, "h", "f", 0, 0 },
					    { F, "f", "x", 0, 0 } };

	set_flags(_i);
	ck_assert_int_eq(stat("/etc/passwd", &before), 0);
	expect_refused(abs, 1, 0,
		       "entry 'passwd' is a hard link to an absolute path");
	expect_refused(up, 1, 0,
		       "entry 'passwd' is a hard link with '..' in its target");
	expect_refused(
		missing, 1, 0,
		"entry 'h' is a hard link to 'not/there', which the archive does not hold before it");
	expect_refused(to_dir, N(to_dir), 0,
		       "entry 'h' is a hard link to a directory");
	expect_refused(through, N(through), 0, "'l' is a symbolic link");
	expect_refused(later, N(later), 0,
		       "which the archive does not hold before it");
	ck_assert_int_eq(stat("/etc/passwd", &after), 0);
	ck_assert_int_eq(before.st_nlink, after.st_nlink);
}
END_TEST

/* Whatever came before the bad entry (links included) goes. */
START_TEST(test_extract_refused_late_leaves_nothing)
{
	static const struct ent e[] = {
		{ F, "ok.txt", "fine\n", 0, 0 },
		{ D, "dir/", NULL, 0, 0 },
		{ L, "dir/link", "../ok.txt", 0, 0 },
		{ H, "hard", "ok.txt", 0, 0 },
		{ L, "evil", "../../outside", 0, 0 },
	};
	static const struct ent dev[] = {
		{ F, "ok.txt", "fine\n", 0, 0 },
		{ CHR, "null", NULL, 0, 0 },
	};
	static const struct ent fifo[] = {
		{ L, "link", "ok.txt", 0, 0 },
		{ FIFO, "fifo", NULL, 0, 0 },
	};

	set_flags(_i);
	expect_refused(
		e, N(e), 0,
		"entry 'evil' is a symbolic link that leads out of the sandbox");
	expect_refused(dev, N(dev), 0,
		       "entry 'null' is a device, FIFO or socket");
	expect_refused(fifo, N(fifo), 0,
		       "entry 'fifo' is a device, FIFO or socket");
}
END_TEST

START_TEST(test_extract_special_files_skipped_on_request)
{
	static const struct ent e[] = {
		{ F, "ok.txt", "fine\n", 0, 0 },
		{ CHR, "null", NULL, 0, 0 },
		{ FIFO, "fifo", NULL, 0, 0 },
	};
	struct roger_err err = ROGER_ERR_INIT;

	set_flags(_i);
	ck_assert_msg(extract_ents(e, N(e), ROGER_EXTRACT_SKIP_SPECIAL, &err) ==
			      0,
		      "%s", err.msg);
	expect_listing(root, "ok.txt");
}
END_TEST

START_TEST(test_extract_too_deep_refused)
{
	struct roger_buf name = ROGER_BUF_INIT;
	struct ent e[1];

	set_flags(_i);
	for (int i = 0; i <= ROGER_BENEATH_MAX_DEPTH; i++)
		roger_buf_adds(&name, "d/");
	roger_buf_adds(&name, "f");
	e[0] = (struct ent){ F, name.buf, "deep\n", 0, 0 };
	expect_refused(e, 1, 0, "has more than 128 components");
	roger_buf_release(&name);
}
END_TEST

/* ---- caps, broken archives, full disks ----------------------------------- */

START_TEST(test_extract_bomb_over_the_cap)
{
	/* 8 MiB of zeros: a few KiB once gzipped. */
	static const struct ent bomb[] = {
		{ F, "small", "fine\n", 0, 0 },
		{ BIG, "zeros", NULL, 0, 8 << 20 },
	};
	struct roger_extract_opts o;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf b;

	set_flags(_i);
	build(&b, TGZ, bomb, N(bomb));
	ck_assert_int_lt(b.len, 64 << 10);
	o = opts_for(0);
	o.name = "bomb.tar.gz";
	o.max_bytes = 1 << 20;
	o.max_bytes_name = "--max-extract-bytes";
	ck_assert_int_eq(extract_buf(&b, &o, &err), ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"refusing archive 'bomb.tar.gz': it holds more than 1048576 bytes, the limit set by --max-extract-bytes");
	expect_listing(root, "");
	/* Without a size in the header (zip streams may lack one), the
	 * bytes are counted as they come. */
	o.max_bytes = 0;
	ck_assert_msg(extract_buf(&b, &o, &err) == 0, "%s", err.msg);
	roger_buf_release(&b);
	ck_assert_int_eq(roger_beneath_remove(root_fd, "zeros"), 0);
	ck_assert_int_eq(roger_beneath_remove(root_fd, "small"), 0);
	build(&b, ZIP, bomb, N(bomb));
	o.max_bytes = 1 << 20;
	ck_assert_int_eq(extract_buf(&b, &o, &err), ROGER_EINVALID);
	ck_assert_msg(strstr(err.msg, "more than 1048576 bytes"), "%s",
		      err.msg);
	roger_buf_release(&b);
	expect_listing(root, "");
	expect_outside_untouched();
}
END_TEST

START_TEST(test_extract_entry_cap)
{
	struct ent e[50];
	char names[50][16];
	struct roger_extract_opts o;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf b;

	set_flags(_i);
	for (int i = 0; i < 50; i++) {
		snprintf(names[i], sizeof(names[i]), "f%02d", i);
		e[i] = (struct ent){ F, names[i], "x", 0, 0 };
	}
	build(&b, TAR, e, 50);
	o = opts_for(0);
	o.max_entries = 10;
	ck_assert_int_eq(extract_buf(&b, &o, &err), ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"refusing archive 'test.tar': it holds more than 10 entries, the limit");
	expect_listing(root, "");
	o.max_entries = 50;
	ck_assert_msg(extract_buf(&b, &o, &err) == 0, "%s", err.msg);
	roger_buf_release(&b);
}
END_TEST

/* A stream cut short, or damaged, fails and leaves nothing. */
START_TEST(test_extract_truncated_or_corrupt_leaves_nothing)
{
	static const struct ent e[] = {
		{ F, "first", "the first file is complete\n", 0, 0 },
		{ L, "link", "first", 0, 0 },
		{ RND, "second", NULL, 0, 200000 },
		{ F, "third", "never reached\n", 0, 0 },
	};
	static const enum fmt fmts[] = { TAR, TGZ };
	struct roger_extract_opts o;
	struct roger_err err = ROGER_ERR_INIT;

	set_flags(_i);
	o = opts_for(0);
	for (size_t i = 0; i < N(fmts); i++) {
		struct roger_buf b;
		size_t len;

		build(&b, fmts[i], e, N(e));
		len = b.len;
		/* Cut in the middle of "second". */
		roger_buf_truncate(&b,
				   fmts[i] == TAR ? 3 * 512 + 100000 : len / 2);
		ck_assert_int_eq(extract_buf(&b, &o, &err), ROGER_EIO);
		ck_assert_msg(strstr(err.msg, "cannot read archive 'test.tar'"),
			      "%s", err.msg);
		expect_listing(root, "");
		/* Damage the middle instead. */
		roger_buf_release(&b);
		build(&b, fmts[i], e, N(e));
		if (fmts[i] == TGZ) /* the deflate block of "third" */
			for (size_t k = b.len - 40; k < b.len - 16; k++)
				b.buf[k] ^= 0x5a;
		else
			memset(b.buf + 4 * 512 + 391 * 512, 'z',
			       512); /* the header of "third" */
		ck_assert_msg(extract_buf(&b, &o, &err) == ROGER_EIO,
			      "damaged format %zu accepted", i);
		expect_listing(root, "");
		roger_buf_release(&b);
	}
	expect_outside_untouched();
}
END_TEST

static bool cancel_now(void *data)
{
	int *calls = data;

	return ++*calls > 3;
}

START_TEST(test_extract_cancel_leaves_nothing)
{
	static const struct ent e[] = {
		{ F, "a", "a\n", 0, 0 },
		{ F, "b", "b\n", 0, 0 },
		{ F, "c", "c\n", 0, 0 },
		{ F, "d", "d\n", 0, 0 },
	};
	struct roger_extract_opts o;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf b;
	int calls = 0;

	set_flags(_i);
	build(&b, TAR, e, N(e));
	o = opts_for(0);
	o.cancelled = cancel_now;
	o.data = &calls;
	ck_assert_int_eq(extract_buf(&b, &o, &err), ROGER_EINTR);
	expect_listing(root, "");
	roger_buf_release(&b);
}
END_TEST

/*
 * A full disk: a 256 KiB tmpfs mounted on the root, in a mount namespace
 * of a child process of its own (so that nothing outlives the test), and
 * an archive of 1 MiB.  Needs root (or CAP_SYS_ADMIN); skipped otherwise.
 */
START_TEST(test_extract_disk_full)
{
	static const struct ent e[] = {
		{ F, "small", "fits\n", 0, 0 },
		{ BIG, "big", NULL, 0, 1 << 20 },
	};
	struct roger_extract_opts o;
	struct roger_buf b;
	pid_t pid;
	int status;

	set_flags(_i);
	if (geteuid() != 0) {
		fprintf(stderr,
			"test_extract_disk_full: skipped: mounting a small tmpfs needs root\n");
		return;
	}
	build(&b, TAR, e, N(e));
	o = opts_for(0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct roger_err err = ROGER_ERR_INIT;
		int fd, rc;

		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", root, "tmpfs", 0, "size=256k,mode=0755") <
			    0) {
			fprintf(stderr,
				"test_extract_disk_full: skipped: cannot mount a tmpfs: %s\n",
				strerror(errno));
			_exit(77);
		}
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			_exit(2);
		{
			struct archive *in = reader(&b);

			rc = roger_extract(NULL, fd, in, &o, &err);
			archive_read_free(in);
		}
		if (rc != ROGER_EIO ||
		    !strstr(err.msg,
			    "cannot write 'big' from archive 'test.tar': No space left on device")) {
			fprintf(stderr, "unexpected: %d %s\n", rc, err.msg);
			_exit(3);
		}
		{
			char *left = listing(root);

			if (*left) {
				fprintf(stderr,
					"left behind on the full disk: %s\n",
					left);
				_exit(4);
			}
			free(left);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	roger_buf_release(&b);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		return;
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	expect_listing(root, "");
	expect_outside_untouched();
}
END_TEST

/* ---- layers ------------------------------------------------------------- */

/*
 * A gzip layer whose trailer is cut off after the tar's last entry: the
 * extractor has every entry before the stream is known to be bad, and the
 * layer must still fail with the root as it was (found by fuzz_layers).
 */
START_TEST(test_layer_truncated_gzip_trailer_leaves_nothing)
{
	static const struct ent e[] = {
		{ D, "bin/", NULL, 0, 0 },
		{ F, "bin/tool", "tool\n", 0755, 0 },
		{ F, "srv/index.html", "hello\n", 0, 0 },
	};
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_layer_opts o;
	struct roger_buf b = ROGER_BUF_INIT;
	char diff_id[80], path[400];
	int fd, rc;

	build(&b, TGZ, e, N(e));
	ck_assert_uint_gt(b.len, 8);
	snprintf(path, sizeof(path), "%s/layer.tgz", tmp);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	/* the whole stream but the last 4 bytes (the gzip size field) */
	ck_assert_int_eq(write(fd, b.buf, b.len - 4), (ssize_t)(b.len - 4));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	memset(&o, 0, sizeof(o));
	o.compression = ROGER_LAYER_GZIP;
	o.name = "sha256:cut";
	rc = roger_layer_apply(diff_id, root_fd, fd, &o, &err);
	close(fd);
	ck_assert_int_lt(rc, 0);
	ck_assert_msg(strstr(err.msg, "sha256:cut") != NULL, "%s", err.msg);
	expect_listing(root, "");
	/* The same bytes whole apply. */
	fd = open(path, O_RDWR | O_TRUNC | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b.buf, b.len), (ssize_t)b.len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	rc = roger_layer_apply(diff_id, root_fd, fd, &o, &err);
	close(fd);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_int_eq(strncmp(diff_id, "sha256:", 7), 0);
	expect_listing(root, "bin srv");
	roger_buf_release(&b);
}
END_TEST

/* ---- whiteouts (image layers) -------------------------------------------- */

START_TEST(test_extract_whiteouts)
{
	static const struct ent lower[] = {
		{ F, "a/old", "old\n", 0, 0 },
		{ F, "a/keep", "keep\n", 0, 0 },
		{ D, "a/olddir/", NULL, 0, 0 },
		{ F, "a/olddir/f", "f\n", 0, 0 },
		{ F, "b/x", "x\n", 0, 0 },
		{ F, "b/y", "y\n", 0, 0 },
	};
	static const struct ent upper[] = {
		{ F, "a/.wh.old", "", 0, 0 },
		{ F, "a/.wh.olddir", "", 0, 0 },
		{ F, "a/.wh.absent", "", 0, 0 },
		{ D, "b/", NULL, 0, 0 },
		{ F, "b/.wh..wh..opq", "", 0, 0 },
		{ F, "b/new", "new\n", 0, 0 },
	};
	struct roger_err err = ROGER_ERR_INIT;
	char *d;

	set_flags(_i);
	ck_assert_msg(extract_ents(lower, N(lower), 0, &err) == 0, "%s",
		      err.msg);
	ck_assert_msg(extract_ents(upper, N(upper), ROGER_EXTRACT_WHITEOUTS,
				   &err) == 0,
		      "%s", err.msg);
	d = in_root("a");
	expect_listing(d, "keep");
	free(d);
	d = in_root("b");
	expect_listing(d, "new");
	free(d);
	/* Without the flag, the markers are plain files. */
	ck_assert_msg(extract_ents(upper, N(upper), 0, &err) == 0, "%s",
		      err.msg);
	d = in_root("b");
	expect_listing(d, ".wh..wh..opq new");
	free(d);
	expect_outside_untouched();
}
END_TEST

/* ---- the resolver on its own --------------------------------------------- */

START_TEST(test_beneath_open_dir)
{
	struct roger_err err = ROGER_ERR_INIT;
	int bf = _i ? ROGER_BENEATH_NO_OPENAT2 : 0, fd = -1;
	char *p;

	if (_i == 0)
		fprintf(stderr, "openat2(2): %s\n",
			roger_beneath_have_openat2()
				? "available, tested along with the walk"
				: "not available here, only the walk is tested");
	ck_assert_int_eq(roger_beneath_open_dir(&fd, root_fd, "a/b/./c//",
						bf | ROGER_BENEATH_CREATE,
						&err),
			 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(mkdirat(fd, "made-through-fd", 0755), 0);
	close(fd);
	p = in_root("a/b/c/made-through-fd");
	ck_assert(roger_fs_is_dir(p));
	free(p);
	ck_assert_int_eq(
		roger_beneath_open_dir(&fd, root_fd, "a/b/c", bf, &err), 0);
	close(fd);
	ck_assert_int_eq(roger_beneath_open_dir(&fd, root_fd, "", bf, &err), 0);
	close(fd);
	ck_assert_int_eq(
		roger_beneath_open_dir(&fd, root_fd, "a/nope/x", bf, &err),
		ROGER_ENOTFOUND);
	ck_assert_str_eq(err.msg, "'a/nope' does not exist");
	ck_assert_int_eq(roger_beneath_open_dir(&fd, root_fd, "/etc", bf, &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "'/etc' is an absolute path");
	ck_assert_int_eq(roger_beneath_open_dir(&fd, root_fd, "a/../..",
						bf | ROGER_BENEATH_CREATE,
						&err),
			 ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "'a/../..' has a '..' component");
	ck_assert_int_eq(symlinkat("b", root_fd, "a/lb"), 0);
	ck_assert_int_eq(
		roger_beneath_open_dir(&fd, root_fd, "a/lb/c", bf, &err),
		ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "'a/lb' is a symbolic link");
	ck_assert_int_eq(roger_beneath_open_dir(&fd, root_fd, "a/lb",
						bf | ROGER_BENEATH_CREATE,
						&err),
			 ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "'a/lb' is a symbolic link");
	fd = openat(root_fd, "a/file", O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = -1;
	ck_assert_int_eq(roger_beneath_open_dir(&fd, root_fd, "a/file/x",
						bf | ROGER_BENEATH_CREATE,
						&err),
			 ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "'a/file' is not a directory");
	ck_assert_int_eq(fd, -1);
	expect_outside_untouched();
}
END_TEST

START_TEST(test_beneath_split_and_remove)
{
	char *dir = NULL, *leaf = NULL;
	size_t depth = 9;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(
		roger_beneath_split(&dir, &leaf, &depth, "./a//b/c", &err), 0);
	ck_assert_str_eq(leaf, "c");
	ck_assert_int_eq(depth, 2);
	free(dir);
	free(leaf);
	ck_assert_int_eq(roger_beneath_split(&dir, &leaf, &depth, "top/", &err),
			 0);
	ck_assert_str_eq(dir, "");
	ck_assert_str_eq(leaf, "top");
	ck_assert_int_eq(depth, 0);
	free(dir);
	free(leaf);
	ck_assert_int_eq(roger_beneath_split(&dir, &leaf, &depth, "./", &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(
		roger_beneath_split(&dir, &leaf, &depth, "a/../b", &err),
		ROGER_EINVALID);
	/* Removing a tree removes links, never what they point to. */
	ck_assert_int_eq(mkdirat(root_fd, "t", 0755), 0);
	ck_assert_int_eq(symlinkat(outside, root_fd, "t/out"), 0);
	ck_assert_int_eq(roger_beneath_remove(root_fd, "t"), 0);
	ck_assert_int_eq(roger_beneath_remove(root_fd, "t"), 0);
	expect_listing(root, "");
	expect_outside_untouched();
}
END_TEST

static Suite *extract_suite(void)
{
	Suite *s = suite_create("extract");
	TCase *tc;

	tc = tcase_create("extracting");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_extract_tree, 0, 2);
	tcase_add_loop_test(tc, test_extract_formats, 0, 2);
	tcase_add_loop_test(tc, test_extract_merges_with_the_root, 0, 2);
	tcase_add_loop_test(tc, test_extract_file_over_directory_refused_whole,
			    0, 2);
	tcase_add_loop_test(tc, test_extract_whiteouts, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_extract_issue_escape_refused, 0, 2);
	tcase_add_loop_test(tc, test_extract_absolute_and_dotdot_refused, 0, 2);
	tcase_add_loop_test(tc, test_extract_through_symlink_refused, 0, 2);
	tcase_add_loop_test(tc, test_extract_planted_symlink_not_followed, 0,
			    2);
	tcase_add_loop_test(tc, test_extract_hard_links_out_refused, 0, 2);
	tcase_add_loop_test(tc, test_extract_refused_late_leaves_nothing, 0, 2);
	tcase_add_loop_test(tc, test_extract_special_files_skipped_on_request,
			    0, 2);
	tcase_add_loop_test(tc, test_extract_too_deep_refused, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_extract_bomb_over_the_cap, 0, 2);
	tcase_add_loop_test(tc, test_extract_entry_cap, 0, 2);
	tcase_add_loop_test(
		tc, test_extract_truncated_or_corrupt_leaves_nothing, 0, 2);
	tcase_add_loop_test(tc, test_extract_cancel_leaves_nothing, 0, 2);
	tcase_add_loop_test(tc, test_extract_disk_full, 0, 2);
	tcase_add_test(tc, test_layer_truncated_gzip_trailer_leaves_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("beneath");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_beneath_open_dir, 0, 2);
	tcase_add_test(tc, test_beneath_split_and_remove);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(extract_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
