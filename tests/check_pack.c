/*
 * check_pack.c - unit tests of the pack module: the tar.gz writer checked
 * in memory against git archive, reproducibility, submodules, attributes,
 * the parallel gzip writer, patterns, the cache, dirty trees and build
 * commands.  Fixture repositories are made with libgit2 in temporary
 * directories; `git` itself runs only to produce reference archives.
 */
#include <config.h>

#include <check.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <git2.h>
#include <zlib.h>

#include "git-fixture.h"
#include "lib/buf.h"
#include "lib/noop.h"
#include "lib/seg.h"
#include "lib/pattern.h"
#include "lib/roger.h"

#define T0 1700000000

/* ---- reading archives back ---------------------------------------------- */

struct entry {
	char *path;
	unsigned type;
	unsigned perm;
	char *target;
	struct roger_buf data;
	int64_t mtime;
	int64_t uid, gid;
	char *uname, *gname;
};

struct listing {
	struct entry *v;
	size_t n;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path,
		      ((const struct entry *)b)->path);
}

static char *dupnull(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The whole of a gzip stream (members joined), or a copy of plain data. */
static void gunzip_all(struct roger_buf *out, const void *data, size_t len)
{
	const unsigned char *d = data;
	unsigned char buf[65536];
	z_stream z;
	int rc = Z_OK;

	if (len < 2 || d[0] != 0x1f || d[1] != 0x8b) {
		roger_buf_add(out, data, len);
		return;
	}
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = (unsigned char *)d;
	z.avail_in = (uInt)len;
	while (z.avail_in > 0) {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		rc = inflate(&z, Z_NO_FLUSH);
		ck_assert_msg(rc == Z_OK || rc == Z_STREAM_END, "inflate: %d",
			      rc);
		roger_buf_add(out, buf, sizeof(buf) - z.avail_out);
		if (rc == Z_STREAM_END && z.avail_in > 0)
			inflateReset(&z);
	}
	inflateEnd(&z);
}

static uint64_t octal(const unsigned char *f, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(f[i] - '0');
	return v;
}

/*
 * The names and link targets of a tar stream as stored, in archive order
 * (ustar fields, or pax path and linkpath records), read without
 * libarchive, whose readers turn decomposed UTF-8 (NFD) into NFC.
 */
static size_t raw_names(char ***names, char ***targets, const void *data,
			size_t len)
{
	struct roger_buf tar = ROGER_BUF_INIT;
	char *path = NULL, *link = NULL;
	size_t n = 0, off = 0;

	*names = *targets = NULL;
	gunzip_all(&tar, data, len);
	while (off + 512 <= tar.len) {
		const unsigned char *h = (const unsigned char *)tar.buf + off;
		uint64_t size = octal(h + 124, 12);
		const char *body = tar.buf + off + 512;
		char type = (char)h[156];

		if (!h[0])
			break;
		if (type == 'x') {
			for (size_t i = 0; i < size;) {
				size_t rec =
					(size_t)strtoul(body + i, NULL, 10);
				const char *kv = memchr(body + i, ' ', rec);
				const char *end = body + i + rec - 1; /* '\n' */
				const char *eq =
					kv ? memchr(kv, '=', (size_t)(end - kv))
					   : NULL;

				ck_assert(rec > 0 && eq);
				if (!strncmp(kv + 1, "path=", 5))
					path = strndup(eq + 1,
						       (size_t)(end - eq - 1));
				else if (!strncmp(kv + 1, "linkpath=", 9))
					link = strndup(eq + 1,
						       (size_t)(end - eq - 1));
				i += rec;
			}
		} else if (type != 'g') {
			struct roger_buf b = ROGER_BUF_INIT;

			*names = realloc(*names, (n + 1) * sizeof(**names));
			*targets =
				realloc(*targets, (n + 1) * sizeof(**targets));
			if (!path) {
				if (h[345])
					roger_buf_addf(&b, "%.155s/",
						       (const char *)h + 345);
				roger_buf_addf(&b, "%.100s", (const char *)h);
				path = roger_buf_detach(&b, NULL);
			}
			if (!link && type == '2')
				link = strndup((const char *)h + 157, 100);
			(*names)[n] = path;
			(*targets)[n++] = link;
			path = link = NULL;
		}
		off += 512 + (size_t)((size + 511) / 512 * 512);
	}
	free(path);
	free(link);
	roger_buf_release(&tar);
	return n;
}

/*
 * Every entry of an archive in memory (any compression), sorted by path:
 * read with libarchive, which must accept it, with the names and link
 * targets as stored (raw_names).
 */
static struct listing read_archive(const void *data, size_t len)
{
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t saved = uselocale(utf8);
	struct listing l = { 0 };
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char buf[65536], **names, **targets;
	size_t n_raw = raw_names(&names, &targets, data, len);

	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	ck_assert_int_eq(archive_read_open_memory(a, data, len), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		struct entry *x;
		la_ssize_t n;
		char *path;

		ck_assert_uint_lt(l.n, n_raw);
		l.v = realloc(l.v, (l.n + 1) * sizeof(*l.v));
		x = &l.v[l.n];
		memset(x, 0, sizeof(*x));
		path = names[l.n];
		if (path[0] && path[strlen(path) - 1] == '/')
			path[strlen(path) - 1] = '\0';
		x->path = path;
		x->type = archive_entry_filetype(e);
		x->perm = archive_entry_perm(e);
		x->target = targets[l.n];
		if (x->type != AE_IFLNK) {
			free(x->target);
			x->target = NULL;
		}
		l.n++;
		x->mtime = archive_entry_mtime(e);
		x->uid = archive_entry_uid(e);
		x->gid = archive_entry_gid(e);
		x->uname = dupnull(archive_entry_uname(e));
		x->gname = dupnull(archive_entry_gname(e));
		roger_buf_init(&x->data);
		while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
			roger_buf_add(&x->data, buf, (size_t)n);
		ck_assert_int_ge(n, 0);
	}
	ck_assert_uint_eq(l.n, n_raw);
	archive_read_free(a);
	uselocale(saved);
	freelocale(utf8);
	free(names);
	free(targets);
	qsort(l.v, l.n, sizeof(*l.v), cmp_entry);
	return l;
}

static void free_listing(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].target);
		free(l->v[i].uname);
		free(l->v[i].gname);
		roger_buf_release(&l->v[i].data);
	}
	free(l->v);
}

static void free_entry(struct entry *e)
{
	free(e->path);
	free(e->target);
	free(e->uname);
	free(e->gname);
	roger_buf_release(&e->data);
}

/* Keep the entries under `prefix`, with the prefix taken off their paths. */
static void keep_under(struct listing *l, const char *prefix)
{
	size_t w = 0, n = strlen(prefix);

	for (size_t i = 0; i < l->n; i++) {
		if (strncmp(l->v[i].path, prefix, n)) {
			free_entry(&l->v[i]);
			continue;
		}
		memmove(l->v[i].path, l->v[i].path + n,
			strlen(l->v[i].path + n) + 1);
		l->v[w++] = l->v[i];
	}
	l->n = w;
}

static const struct entry *find(const struct listing *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, path))
			return &l->v[i];
	return NULL;
}

/* Same paths, types, modes, link targets and bytes. */
static void assert_same_tree(const struct listing *got,
			     const struct listing *want)
{
	for (size_t i = 0; i < want->n || i < got->n; i++) {
		ck_assert_msg(i < got->n, "missing '%s'", want->v[i].path);
		ck_assert_msg(i < want->n, "extra '%s'", got->v[i].path);
		ck_assert_str_eq(got->v[i].path, want->v[i].path);
		ck_assert_uint_eq(got->v[i].type, want->v[i].type);
		if (got->v[i].type != AE_IFLNK)
			ck_assert_uint_eq(got->v[i].perm, want->v[i].perm);
		if (want->v[i].target)
			ck_assert_str_eq(got->v[i].target, want->v[i].target);
		ck_assert_uint_eq(got->v[i].data.len, want->v[i].data.len);
		ck_assert(!memcmp(got->v[i].data.buf, want->v[i].data.buf,
				  want->v[i].data.len));
	}
}

static int to_buf(void *data, const void *buf, size_t len,
		  struct roger_err *err)
{
	(void)err;
	return roger_buf_add(data, buf, len);
}

/* roger_pack_commit of `ref` into memory. */
static void pack_mem(struct roger_buf *out, struct roger_pack_stats *st,
		     const char *dir, const char *ref, const char *subdir,
		     const char *const *exclude, int threads)
{
	struct roger_pack_opts o = { 0 };
	struct roger_repo *repo = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	int rc;

	o.subdir = subdir;
	o.exclude = exclude;
	o.threads = threads;
	ck_assert_int_eq(roger_repo_discover(&repo, dir, &err), 0);
	rc = roger_pack_commit(st, NULL, repo, ref, &o, to_buf, out, &err);
	ck_assert_msg(rc == 0, "pack: %s", err.msg);
	roger_repo_free(repo);
}

/* `git archive` of HEAD in `dir` (a subdirectory archives just itself). */
static struct listing git_archive(const char *dir, struct roger_buf *raw)
{
	char *tmp = fx_tmpdir();
	char *file = roger_path_join(tmp, "ref.tar");

	ck_assert_int_eq(
		fx_sh("cd '%s' && git -c tar.umask=022 archive --format=tar HEAD >'%s'",
		      dir, file),
		0);
	ck_assert_int_eq(roger_fs_read_file(raw, file, NULL), 0);
	fx_rmtree(tmp);
	free(tmp);
	free(file);
	return read_archive(raw->buf, raw->len);
}

/* ---- fixtures ----------------------------------------------------------- */

static char *tmp;

static void setup(void)
{
	git_libgit2_init();
	tmp = fx_tmpdir();
}

static void teardown(void)
{
	fx_rmtree(tmp);
	free(tmp);
	tmp = NULL;
	git_libgit2_shutdown();
}

static char *sub_path(const char *name)
{
	return roger_path_join(tmp, name);
}

/* A repository with most of what a source tree holds. */
static git_repository *make_rich(const char *dir, char *commit)
{
	git_repository *r = fx_init(dir);
	char big[70000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + (i * 7 + i / 13) % 26);
	fx_writes(r, "README.md", "hello\n");
	fx_writes(r, "src/main.c", "int main(void) { return 0; }\n");
	fx_write(r, "bin/run", "#!/bin/sh\necho run\n", 19, 0755);
	fx_symlink(r, "current", "src/main.c");
	fx_symlink(r, "dangling", "does/not/exist");
	fx_writes(r, "d\xc3\xa9j\xc3\xa0 vu/na\xc3\xafve file.txt",
		  "unicode\n");
	fx_writes(r, "with space/a b.txt", "spaces\n");
	/* The same name decomposed (NFD): kept as it is, never normalized. */
	fx_writes(r, "d\xc3\xa9j\xc3\xa0 vu/nai\xcc\x88ve file.txt", "nfd\n");
	fx_symlink(r, "nfd-link", "cafe\xcc\x81");
	fx_write(r, "data/big.bin", big, sizeof(big), 0644);
	fx_writes(r, "a.txt", "a\n");
	fx_writes(r, "a-b/x", "x\n");
	fx_writes(r, "a/b", "b\n");
	fx_writes(r, "empty", "");
	fx_writes(
		r,
		"long/"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.txt",
		"long name\n");
	fx_commit(r, "rich", T0, commit);
	return r;
}

/* ---- tests: the archive ------------------------------------------------- */

START_TEST(test_pack_matches_git_archive)
{
	char *dir = sub_path("rich");
	struct roger_buf out = ROGER_BUF_INIT, raw = ROGER_BUF_INIT;
	struct roger_pack_stats st;
	struct listing got, want;
	git_repository *r;
	char commit[41];

	r = make_rich(dir, commit);
	pack_mem(&out, &st, dir, NULL, "", NULL, 0);
	got = read_archive(out.buf, out.len);
	want = git_archive(dir, &raw);
	assert_same_tree(&got, &want);
	ck_assert_uint_eq(st.files, 15);
	ck_assert_str_eq(find(&got, "nfd-link")->target, "cafe\xcc\x81");
	ck_assert_ptr_nonnull(
		find(&got, "d\xc3\xa9j\xc3\xa0 vu/nai\xcc\x88ve file.txt"));
	ck_assert_uint_eq(st.size, out.len);
	ck_assert_uint_eq(strlen(st.sha256), 64);
	ck_assert_ptr_nonnull(find(&got, "bin/run"));
	ck_assert_uint_eq(find(&got, "bin/run")->perm, 0755);
	ck_assert_str_eq(find(&got, "current")->target, "src/main.c");
	free_listing(&got);
	free_listing(&want);
	roger_pack_stats_release(&st);
	roger_buf_release(&out);
	roger_buf_release(&raw);
	git_repository_free(r);
	free(dir);
}
END_TEST

START_TEST(test_pack_attributes_match_git_archive)
{
	char *dir = sub_path("attrs");
	char *app = roger_path_join(dir, "apps/web");
	struct roger_buf out = ROGER_BUF_INIT, raw = ROGER_BUF_INIT;
	struct roger_pack_stats st;
	struct listing got, want;
	git_repository *r = fx_init(dir);

	fx_writes(r, ".gitattributes",
		  "*.log export-ignore\n/secret export-ignore\n");
	fx_writes(r, "secret/key", "k\n");
	fx_writes(r, "top.log", "log\n");
	fx_writes(r, "keep.txt", "keep\n");
	fx_writes(r, "apps/web/index.js", "js\n");
	fx_writes(r, "apps/web/debug.log", "log\n");
	fx_writes(
		r, "apps/web/.gitattributes",
		"tests/ export-ignore\nkeep.log -export-ignore\n\"sp ace.txt\" export-ignore\ndocs/** export-ignore\n");
	fx_writes(r, "apps/web/keep.log", "kept\n");
	fx_writes(r, "apps/web/sp ace.txt", "gone\n");
	fx_writes(r, "apps/web/tests/t.js", "t\n");
	fx_writes(r, "apps/web/docs/a/b.md", "md\n");
	fx_writes(r, "apps/web/lib/tests", "a file named tests stays\n");
	fx_writes(r, "apps/web/lib/.gitattributes", "*.tmp export-ignore\n");
	fx_writes(r, "apps/web/lib/x.tmp", "tmp\n");
	fx_writes(r, "apps/web/lib/y.txt", "y\n");
	fx_commit(r, "attrs", T0, NULL);

	/* The whole repository. */
	pack_mem(&out, &st, dir, NULL, "", NULL, 2);
	got = read_archive(out.buf, out.len);
	want = git_archive(dir, &raw);
	assert_same_tree(&got, &want);
	ck_assert_ptr_null(find(&got, "secret"));
	ck_assert_ptr_null(find(&got, "apps/web/tests/t.js"));
	ck_assert_ptr_nonnull(find(&got, "apps/web/keep.log"));
	ck_assert_ptr_null(find(&got, "apps/web/lib/x.tmp"));
	free_listing(&got);
	free_listing(&want);
	roger_pack_stats_release(&st);
	roger_buf_reset(&out);
	roger_buf_reset(&raw);

	/*
	 * A project in a subdirectory: the attributes above it apply too
	 * (git archive run from the subdirectory would forget them), so the
	 * reference is the whole archive's part under apps/web/.
	 */
	pack_mem(&out, &st, dir, NULL, "apps/web", NULL, 1);
	got = read_archive(out.buf, out.len);
	want = git_archive(dir, &raw);
	keep_under(&want, "apps/web/");
	assert_same_tree(&got, &want);
	ck_assert_ptr_nonnull(find(&got, "index.js"));
	ck_assert_ptr_null(find(&got, "debug.log"));
	ck_assert_ptr_nonnull(find(&got, "lib/tests"));
	free_listing(&got);
	free_listing(&want);
	roger_pack_stats_release(&st);
	roger_buf_release(&out);
	roger_buf_release(&raw);
	git_repository_free(r);
	free(app);
	free(dir);
}
END_TEST

START_TEST(test_pack_metadata_is_normalized)
{
	char *dir = sub_path("meta");
	struct roger_buf out = ROGER_BUF_INIT;
	struct roger_pack_stats st;
	struct listing got;
	git_repository *r = make_rich(dir, NULL);
	const unsigned char *h;

	pack_mem(&out, &st, dir, NULL, "", NULL, 0);
	h = (const unsigned char *)out.buf;
	/* gzip: deflate, no flags (no name), mtime 0, OS Unix. */
	ck_assert_uint_eq(h[0], 0x1f);
	ck_assert_uint_eq(h[1], 0x8b);
	ck_assert_uint_eq(h[2], 8);
	ck_assert_uint_eq(h[3], 0);
	ck_assert_uint_eq(h[4] | h[5] | h[6] | h[7], 0);
	ck_assert_uint_eq(h[9], 3);
	got = read_archive(out.buf, out.len);
	for (size_t i = 0; i < got.n; i++) {
		const struct entry *e = &got.v[i];

		ck_assert_int_eq(e->mtime, ROGER_PACK_MTIME);
		ck_assert_int_eq(e->uid, 0);
		ck_assert_int_eq(e->gid, 0);
		ck_assert(!e->uname || !*e->uname);
		ck_assert(!e->gname || !*e->gname);
		if (e->type == AE_IFDIR)
			ck_assert_uint_eq(e->perm, 0755);
		else if (e->type == AE_IFREG)
			ck_assert(e->perm == 0644 || e->perm == 0755);
		if (i > 0)
			ck_assert_str_lt(got.v[i - 1].path, e->path);
	}
	free_listing(&got);
	roger_pack_stats_release(&st);
	roger_buf_release(&out);
	git_repository_free(r);
	free(dir);
}
END_TEST

START_TEST(test_pack_reproducible_across_clones)
{
	char *dir = sub_path("origin");
	char *c1 = sub_path("clone1"), *c2 = sub_path("clone2");
	struct roger_buf a = ROGER_BUF_INIT, b = ROGER_BUF_INIT;
	struct roger_pack_stats sa, sb;
	git_repository *r = make_rich(dir, NULL);

	/* git itself clones (libgit2's checkout leaks under LSan). */
	ck_assert_int_eq(
		fx_sh("git clone -q '%s' '%s' && git clone -q '%s' '%s'", dir,
		      c1, dir, c2),
		0);
	/* Different thread counts and file times must not matter. */
	ck_assert_int_eq(fx_sh("touch -d '2001-01-01' '%s/README.md'", c2), 0);
	pack_mem(&a, &sa, c1, NULL, "", NULL, 1);
	pack_mem(&b, &sb, c2, NULL, "", NULL, 3);
	ck_assert_str_eq(sa.sha256, sb.sha256);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(!memcmp(a.buf, b.buf, a.len));
	roger_pack_stats_release(&sa);
	roger_pack_stats_release(&sb);
	roger_buf_release(&a);
	roger_buf_release(&b);
	git_repository_free(r);
	free(dir);
	free(c1);
	free(c2);
}
END_TEST

START_TEST(test_pack_exclude_patterns)
{
	char *dir = sub_path("excl");
	struct roger_buf out = ROGER_BUF_INIT;
	struct roger_pack_stats st;
	struct listing got;
	git_repository *r = fx_init(dir);
	const char *const exclude[] = { "*.md",     "test/",           "/docs",
					"!KEEP.md", "src/**/fixtures", NULL };

	fx_writes(r, "README.md", "r\n");
	fx_writes(r, "KEEP.md", "k\n");
	fx_writes(r, "test/t.js", "t\n");
	fx_writes(r, "lib/test/u.js", "u\n");
	fx_writes(r, "docs/index.html", "d\n");
	fx_writes(r, "lib/docs/keep.html", "d\n");
	fx_writes(r, "src/a/b/fixtures/f.json", "{}\n");
	fx_writes(r, "src/a/main.c", "c\n");
	fx_commit(r, "excl", T0, NULL);
	pack_mem(&out, &st, dir, NULL, "", exclude, 0);
	got = read_archive(out.buf, out.len);
	ck_assert_ptr_null(find(&got, "README.md"));
	ck_assert_ptr_nonnull(find(&got, "KEEP.md"));
	ck_assert_ptr_null(find(&got, "test"));
	ck_assert_ptr_null(find(&got, "lib/test/u.js"));
	ck_assert_ptr_null(find(&got, "docs"));
	ck_assert_ptr_nonnull(find(&got, "lib/docs/keep.html"));
	ck_assert_ptr_null(find(&got, "src/a/b/fixtures"));
	ck_assert_ptr_nonnull(find(&got, "src/a/main.c"));
	ck_assert_uint_eq(st.files, 3);
	free_listing(&got);
	roger_pack_stats_release(&st);
	roger_buf_release(&out);
	git_repository_free(r);
	free(dir);
}
END_TEST

START_TEST(test_pack_tags_and_detached_head)
{
	char *dir = sub_path("tags");
	struct roger_buf out = ROGER_BUF_INIT;
	struct roger_pack_stats st;
	struct listing got;
	git_repository *r = fx_init(dir);
	git_oid oid;
	char c1[41], c2[41];
	const char *refs[] = { "v1", "v1-annotated", c1, "HEAD~1" };

	fx_writes(r, "v.txt", "one\n");
	fx_commit(r, "one", T0, c1);
	fx_tag(r, "v1", c1, 0);
	fx_tag(r, "v1-annotated", c1, 1);
	fx_writes(r, "v.txt", "two\n");
	fx_commit(r, "two", T0 + 60, c2);
	for (size_t i = 0; i < 4; i++) {
		pack_mem(&out, &st, dir, refs[i], "", NULL, 0);
		got = read_archive(out.buf, out.len);
		ck_assert_str_eq(find(&got, "v.txt")->data.buf, "one\n");
		ck_assert_int_eq(find(&got, "v.txt")->mtime, ROGER_PACK_MTIME);
		free_listing(&got);
		roger_pack_stats_release(&st);
		roger_buf_reset(&out);
	}
	/* A detached HEAD packs the commit it points to. */
	git_oid_fromstr(&oid, c1);
	ck_assert_int_eq(git_repository_set_head_detached(r, &oid), 0);
	pack_mem(&out, &st, dir, NULL, "", NULL, 0);
	got = read_archive(out.buf, out.len);
	ck_assert_str_eq(find(&got, "v.txt")->data.buf, "one\n");
	free_listing(&got);
	roger_pack_stats_release(&st);
	roger_buf_release(&out);
	git_repository_free(r);
	free(dir);
}
END_TEST

START_TEST(test_pack_submodule)
{
	char *dir = sub_path("super");
	char *subdir = roger_path_join(dir, "vendor/lib");
	char *other = sub_path("other");
	struct roger_buf out = ROGER_BUF_INIT;
	struct roger_pack_stats st;
	struct roger_pack_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_repo *repo = NULL;
	struct listing got;
	git_repository *r = fx_init(dir), *s;
	const char *const exclude[] = { "vendor/lib", NULL };

	fx_writes(r, "app.js", "app\n");
	fx_commit(r, "app", T0, NULL);
	s = fx_init(subdir);
	fx_writes(s, "lib.js", "lib\n");
	fx_writes(s, ".gitattributes", "*.txt export-ignore\n");
	fx_writes(s, "notes.txt", "not packaged\n");
	fx_symlink(s, "link", "lib.js");
	fx_commit(s, "lib", T0, NULL);
	fx_add_submodule(r, "vendor/lib", s, "../lib.git");
	fx_commit(r, "with submodule", T0 + 1, NULL);

	pack_mem(&out, &st, dir, NULL, "", NULL, 0);
	got = read_archive(out.buf, out.len);
	ck_assert_ptr_nonnull(find(&got, "vendor/lib"));
	ck_assert_str_eq(find(&got, "vendor/lib/lib.js")->data.buf, "lib\n");
	ck_assert_str_eq(find(&got, "vendor/lib/link")->target, "lib.js");
	ck_assert_ptr_null(find(&got, "vendor/lib/notes.txt"));
	ck_assert_ptr_null(find(&got, "vendor/lib/.git"));
	free_listing(&got);
	roger_pack_stats_release(&st);
	roger_buf_reset(&out);
	git_repository_free(s);

	/* Not checked out: a clear error, unless excluded. */
	ck_assert_int_eq(fx_sh("rm -rf '%s' && mkdir '%s'", subdir, subdir), 0);
	ck_assert_int_eq(roger_repo_discover(&repo, dir, &err), 0);
	ck_assert_int_eq(roger_pack_commit(&st, NULL, repo, NULL, &o, to_buf,
					   &out, &err),
			 ROGER_EINVALID);
	ck_assert_msg(strstr(err.msg, "'vendor/lib' is not checked out") &&
			      strstr(err.msg, "git submodule update --init"),
		      "%s", err.msg);
	roger_buf_reset(&out);
	o.exclude = exclude;
	ck_assert_int_eq(roger_pack_commit(&st, NULL, repo, NULL, &o, to_buf,
					   &out, &err),
			 0);
	roger_pack_stats_release(&st);
	roger_repo_free(repo);
	roger_buf_release(&out);
	git_repository_free(r);
	free(other);
	free(subdir);
	free(dir);
}
END_TEST

START_TEST(test_pack_lfs_pointer_reported)
{
	char *dir = sub_path("lfs");
	struct roger_buf out = ROGER_BUF_INIT;
	struct roger_pack_stats st;
	git_repository *r = fx_init(dir);

	fx_writes(
		r, "model.bin",
		"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n");
	fx_writes(r, "plain.txt", "version 2\n");
	fx_commit(r, "lfs", T0, NULL);
	pack_mem(&out, &st, dir, NULL, "", NULL, 0);
	ck_assert_uint_eq(st.n_lfs_pointers, 1);
	ck_assert_str_eq(st.lfs_pointers[0], "model.bin");
	roger_pack_stats_release(&st);
	roger_buf_release(&out);
	git_repository_free(r);
	free(dir);
}
END_TEST

START_TEST(test_pack_errors)
{
	char *dir = sub_path("errs");
	char *empty = sub_path("empty");
	struct roger_buf out = ROGER_BUF_INIT;
	struct roger_pack_stats st;
	struct roger_pack_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_repo *repo = NULL;
	struct roger_artifact *a = NULL;
	struct roger_build_opts bo = { 0 };
	git_repository *r = fx_init(dir), *e = fx_init(empty);

	fx_writes(r, "x", "x\n");
	fx_commit(r, "x", T0, NULL);
	ck_assert_int_eq(roger_repo_discover(&repo, dir, &err), 0);
	ck_assert_int_eq(roger_pack_commit(&st, NULL, repo, "nope", &o, to_buf,
					   &out, &err),
			 ROGER_EUSAGE);
	ck_assert_str_eq(err.msg, "unknown revision 'nope'");
	o.subdir = "missing/dir";
	ck_assert_int_eq(roger_pack_commit(&st, NULL, repo, NULL, &o, to_buf,
					   &out, &err),
			 ROGER_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "'missing' does not exist"), "%s",
		      err.msg);
	roger_repo_free(repo);

	/* An empty repository has nothing to package. */
	bo.workdir = empty;
	ck_assert_int_eq(roger_pack_build(&a, NULL, &bo, &err),
			 ROGER_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "has no commit yet"), "%s", err.msg);
	ck_assert_ptr_null(a);
	roger_buf_release(&out);
	git_repository_free(r);
	git_repository_free(e);
	free(dir);
	free(empty);
}
END_TEST

/* ---- tests: a 200 MB file ----------------------------------------------- */

struct counter {
	uint64_t n;
};

static int count(void *data, const void *buf, size_t len, struct roger_err *err)
{
	(void)buf;
	(void)err;
	((struct counter *)data)->n += len;
	return 0;
}

START_TEST(test_pack_big_file_memory_stays_flat)
{
	char *dir = sub_path("big");
	struct roger_pack_opts o = { 0 };
	struct roger_pack_stats st;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_repo *repo = NULL;
	struct counter c = { 0 };
	struct rusage ru;
	long before, after;
	pid_t pid;
	int status;

	/* Made in a child, so that this process never holds the file. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		git_repository *r = fx_init(dir);
		size_t size = 200u << 20, line = 64;
		char *data = malloc(size);

		for (size_t i = 0; i < size; i += line)
			snprintf(
				data + i, line,
				"%010zu the quick brown fox jumps over %010zu\n",
				i / line, (i / line) * 7919 % 1000003);
		for (size_t i = line - 1; i < size; i += line)
			data[i] = '\n';
		fx_write(r, "big.dat", data, size, 0644);
		free(data);
		fx_writes(r, "small.txt", "small\n");
		fx_commit(r, "big", T0, NULL);
		git_repository_free(r);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	getrusage(RUSAGE_SELF, &ru);
	before = ru.ru_maxrss;
	ck_assert_int_eq(roger_repo_discover(&repo, dir, &err), 0);
	ck_assert_int_eq(
		roger_pack_commit(&st, NULL, repo, NULL, &o, count, &c, &err),
		0);
	getrusage(RUSAGE_SELF, &ru);
	after = ru.ru_maxrss;
	ck_assert_uint_eq(st.files, 2);
	ck_assert_uint_ge(st.tar_size, 200u << 20);
	ck_assert_uint_eq(c.n, st.size);
	/* Flat: far below the 200 MB that holding the file would take. */
	ck_assert_msg(after - before < 64 * 1024, "peak memory grew by %ld KiB",
		      after - before);
	roger_pack_stats_release(&st);
	roger_repo_free(repo);
	free(dir);
}
END_TEST

/* ---- tests: roger_pack_build: cache, dirty trees, build command --------- */

static void build_ok(struct roger_artifact **a, struct roger_build_opts *o)
{
	struct roger_err err = ROGER_ERR_INIT;
	int rc = roger_pack_build(a, NULL, o, &err);

	ck_assert_msg(rc == 0, "build: %s", err.msg);
}

START_TEST(test_pack_build_cache)
{
	char *dir = sub_path("cache");
	struct roger_build_opts o = { 0 };
	struct roger_artifact *a = NULL, *b = NULL, *c = NULL;
	char commit[41], sha[65];
	git_repository *r = make_rich(dir, commit);
	const char *const exclude[] = { "*.md", NULL };
	FILE *fp;

	o.workdir = dir;
	build_ok(&a, &o);
	ck_assert(!a->cached);
	ck_assert(!a->dirty);
	ck_assert_str_eq(a->commit, commit);
	ck_assert(roger_fs_exists(a->path));
	ck_assert(strstr(a->path, "/.roger/artifacts/") != NULL);
	memcpy(sha, a->sha256, sizeof(sha));

	build_ok(&b, &o);
	ck_assert(b->cached);
	ck_assert_str_eq(b->sha256, sha);
	ck_assert_str_eq(b->path, a->path);
	ck_assert_uint_eq(b->files, a->files);

	/* A damaged artifact is never handed out: it is built again. */
	fp = fopen(a->path, "r+b");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 40, SEEK_SET);
	fputc('X', fp);
	fclose(fp);
	build_ok(&c, &o);
	ck_assert(!c->cached);
	ck_assert_str_eq(c->sha256, sha);
	roger_artifact_free(c);

	/* A garbled index entry too. */
	ck_assert_int_eq(
		fx_sh("for f in '%s'/.roger/index/*.json; do echo '{' >\"$f\"; done",
		      dir),
		0);
	build_ok(&c, &o);
	ck_assert(!c->cached);
	ck_assert_str_eq(c->sha256, sha);
	roger_artifact_free(c);

	/* Different settings are a different key. */
	o.exclude = exclude;
	build_ok(&c, &o);
	ck_assert(!c->cached);
	ck_assert_str_ne(c->sha256, sha);
	roger_artifact_free(c);

	/* No temporary files are left behind. */
	ck_assert_int_eq(
		fx_sh("test -z \"$(ls -A '%s/.roger/artifacts' | grep tmp)\"",
		      dir),
		0);
	roger_artifact_free(a);
	roger_artifact_free(b);
	git_repository_free(r);
	free(dir);
}
END_TEST

START_TEST(test_pack_build_dirty)
{
	char *dir = sub_path("dirty");
	struct roger_build_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_artifact *a = NULL, *clean = NULL;
	struct roger_buf raw = ROGER_BUF_INIT;
	struct listing got;
	git_repository *r = make_rich(dir, NULL);

	fx_writes(r, ".gitignore", "*.o\n");
	fx_commit(r, "ignore", T0 + 5, NULL);
	o.workdir = dir;
	build_ok(&clean, &o);

	/* Untracked files do not make the tree dirty. */
	fx_writes(r, "untracked.txt", "u\n");
	fx_writes(r, "junk.o", "o\n");
	build_ok(&a, &o);
	ck_assert(!a->dirty);
	ck_assert_str_eq(a->sha256, clean->sha256);
	roger_artifact_free(a);

	/* A modified tracked file does. */
	fx_writes(r, "README.md", "changed\n");
	ck_assert_int_eq(roger_pack_build(&a, NULL, &o, &err), ROGER_EDIRTY);
	ck_assert_msg(strstr(err.msg, "README.md") &&
			      strstr(err.msg, "--allow-dirty"),
		      "%s", err.msg);
	ck_assert_int_eq(roger_exit_status(err.code), 1);

	/* --allow-dirty packages the work tree: untracked, not ignored. */
	o.allow_dirty = true;
	build_ok(&a, &o);
	ck_assert(a->dirty);
	ck_assert(!a->cached);
	ck_assert_int_eq(roger_fs_read_file(&raw, a->path, NULL), 0);
	got = read_archive(raw.buf, raw.len);
	ck_assert_str_eq(find(&got, "README.md")->data.buf, "changed\n");
	ck_assert_ptr_nonnull(find(&got, "untracked.txt"));
	ck_assert_ptr_null(find(&got, "junk.o"));
	ck_assert_ptr_null(find(&got, ".roger"));
	ck_assert_str_eq(find(&got, "current")->target, "src/main.c");
	ck_assert_uint_eq(find(&got, "bin/run")->perm, 0755);
	free_listing(&got);
	roger_artifact_free(a);

	/* A staged change counts as well; --ref ignores the work tree. */
	ck_assert_int_eq(
		fx_sh("cd '%s' && git checkout -q README.md && echo new >new.txt && git add new.txt",
		      dir),
		0);
	o.allow_dirty = false;
	ck_assert_int_eq(roger_pack_build(&a, NULL, &o, &err), ROGER_EDIRTY);
	ck_assert_msg(strstr(err.msg, "new.txt"), "%s", err.msg);
	o.ref = "HEAD";
	build_ok(&a, &o);
	ck_assert(!a->dirty);
	ck_assert_str_eq(a->sha256, clean->sha256);
	roger_artifact_free(a);
	roger_artifact_free(clean);
	roger_buf_release(&raw);
	git_repository_free(r);
	free(dir);
}
END_TEST

struct lines {
	struct roger_buf all;
};

static void on_line(void *data, const char *line)
{
	struct lines *l = data;

	roger_buf_addf(&l->all, "%s\n", line);
}

START_TEST(test_pack_build_command)
{
	char *dir = sub_path("cmd");
	struct roger_build_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_artifact *a = NULL, *b = NULL;
	struct roger_buf raw = ROGER_BUF_INIT, tail = ROGER_BUF_INIT;
	struct lines lines = { ROGER_BUF_INIT };
	const char *const exclude[] = { "*.tmp", NULL };
	const char *const inputs[] = { "../shared", NULL };
	struct listing got;
	git_repository *r = fx_init(dir);
	char *where;

	fx_writes(r, "shared/VERSION", "1.2.3\n");
	fx_writes(r, "other/secret.txt", "not exported\n");
	fx_writes(r, "app/src.txt", "source\n");
	fx_writes(r, "app/.gitignore", "out/\n");
	fx_commit(r, "cmd", T0, NULL);
	o.workdir = dir;
	o.subdir = "app";
	o.exclude = exclude;
	o.output_fn = on_line;
	o.output_data = &lines;
	/* The export holds the project's directory, not the rest. */
	o.command = "test ! -e ../other && test ! -e ../shared";
	build_ok(&a, &o);
	roger_artifact_free(a);
	roger_buf_reset(&lines.all);
	/* and the inputs the project declares, at their places. */
	o.inputs = inputs;
	o.command =
		"echo building; mkdir out && cp ../shared/VERSION out/ && test ! -e ../other && pwd >out/where && echo $ROGER_COMMIT >out/commit && echo x >junk.tmp && echo done >&2";
	build_ok(&a, &o);
	ck_assert_str_eq(lines.all.buf, "building\ndone\n");
	ck_assert_int_eq(roger_fs_read_file(&raw, a->path, NULL), 0);
	got = read_archive(raw.buf, raw.len);
	ck_assert_str_eq(find(&got, "out/VERSION")->data.buf, "1.2.3\n");
	ck_assert_ptr_nonnull(find(&got, "src.txt"));
	ck_assert_ptr_null(find(&got, "junk.tmp"));
	where = find(&got, "out/where")->data.buf;
	where[strcspn(where, "\n")] = '\0';
	ck_assert_msg(!strstr(where, dir), "ran in the work tree: %s", where);
	ck_assert(!roger_fs_exists(where)); /* the export is gone */
	ck_assert_int_eq(
		strncmp(find(&got, "out/commit")->data.buf, a->commit, 40), 0);
	ck_assert_int_eq(find(&got, "out/VERSION")->mtime, ROGER_PACK_MTIME);
	where = roger_path_join(dir, "app/out");
	ck_assert(!roger_fs_is_dir(where));
	free(where);
	free_listing(&got);

	/* Cached: the command does not run again. */
	roger_buf_reset(&lines.all);
	build_ok(&b, &o);
	ck_assert(b->cached);
	ck_assert_uint_eq(lines.all.len, 0);
	roger_artifact_free(b);

	/* A failure reports the exit status and the last lines. */
	o.command =
		"for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line $i; done; exit 3";
	o.output_tail = &tail;
	ck_assert_int_eq(roger_pack_build(&b, NULL, &o, &err), ROGER_ERROR);
	ck_assert_msg(strstr(err.msg, "failed with exit status 3"), "%s",
		      err.msg);
	ck_assert_ptr_nonnull(strstr(tail.buf, "line 12\n"));
	ck_assert_ptr_null(strstr(tail.buf, "line 1\n"));

	/* A slow one is stopped at its timeout, with what it started. */
	roger_buf_reset(&tail);
	o.command = "echo started; sleep 30 & sleep 30";
	o.timeout = 1;
	ck_assert_int_eq(roger_pack_build(&b, NULL, &o, &err), ROGER_ERROR);
	ck_assert_msg(strstr(err.msg, "timed out after 1 s"), "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(tail.buf, "started"));

	roger_artifact_free(a);
	roger_buf_release(&raw);
	roger_buf_release(&tail);
	roger_buf_release(&lines.all);
	git_repository_free(r);
	free(dir);
}
END_TEST

/*
 * A monorepo: a commit of another app makes the same release (the same
 * bytes, labelled with the last commit that changed this project); a
 * change to the project, to a .gitattributes above it or to one of its
 * inputs makes a new one.
 */
START_TEST(test_pack_build_monorepo_identity)
{
	char *dir = sub_path("mono"), *cache = sub_path("mono-cache");
	struct roger_build_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_artifact *a = NULL, *b = NULL;
	struct roger_commit_info src;
	const char *const inputs[] = { "../../lib", NULL };
	char c1[41], c2[41], c3[41], c4[41], sha[65];
	git_repository *r = fx_init(dir);

	fx_writes(r, "apps/vote/app.py", "vote\n");
	fx_writes(r, "apps/result/server.js", "result\n");
	fx_writes(r, "lib/common.txt", "common\n");
	fx_commit(r, "both apps", T0, c1);
	o.workdir = dir;
	o.subdir = "apps/result";
	/* outside the work tree, which the fixture commits whole */
	o.cache_dir = cache;
	build_ok(&a, &o);
	ck_assert_str_eq(a->commit, c1);
	memcpy(sha, a->sha256, sizeof(sha));
	roger_artifact_free(a);

	/* vote changes: result's release is the same, bytes and commit. */
	fx_writes(r, "apps/vote/app.py", "vote 2\n");
	fx_commit(r, "vote only", T0 + 100, c2);
	build_ok(&a, &o);
	ck_assert(a->cached);
	ck_assert_str_eq(a->commit, c1);
	ck_assert_str_eq(a->sha256, sha);
	ck_assert_int_eq(a->time, T0);
	ck_assert_int_eq(roger_pack_source_commit(&src, NULL, &o, &err), 0);
	ck_assert_str_eq(src.id, c1);
	/* Packaged again from nothing, still the same bytes. */
	o.no_cache = true;
	build_ok(&b, &o);
	ck_assert_str_eq(b->sha256, sha);
	ck_assert_str_eq(b->commit, c1);
	roger_artifact_free(b);
	o.no_cache = false;
	roger_artifact_free(a);

	/* vote's release follows its own commits. */
	o.subdir = "apps/vote";
	ck_assert_int_eq(roger_pack_source_commit(&src, NULL, &o, &err), 0);
	ck_assert_str_eq(src.id, c2);
	o.subdir = "apps/result";

	/* A .gitattributes above the project is part of it. */
	fx_writes(r, "apps/.gitattributes", "*.md export-ignore\n");
	fx_commit(r, "attributes", T0 + 200, c3);
	build_ok(&a, &o);
	ck_assert_str_eq(a->commit, c3);
	roger_artifact_free(a);

	/* An input of a build command too, and only with one. */
	fx_writes(r, "lib/common.txt", "common 2\n");
	fx_commit(r, "lib", T0 + 300, c4);
	build_ok(&a, &o);
	ck_assert_str_eq(a->commit, c3);
	roger_artifact_free(a);
	o.inputs = inputs;
	o.command = "cp ../../lib/common.txt .";
	build_ok(&a, &o);
	ck_assert_str_eq(a->commit, c4);
	roger_artifact_free(a);
	fx_writes(r, "apps/vote/app.py", "vote 3\n");
	fx_commit(r, "vote again", T0 + 400, NULL);
	build_ok(&a, &o);
	ck_assert(a->cached);
	ck_assert_str_eq(a->commit, c4);
	roger_artifact_free(a);

	/* A modified input makes the work tree dirty. */
	fx_writes(r, "lib/common.txt", "uncommitted\n");
	ck_assert_int_eq(roger_pack_build(&a, NULL, &o, &err), ROGER_EDIRTY);
	ck_assert_msg(strstr(err.msg, "lib/common.txt"), "%s", err.msg);
	/* and --allow-dirty exports it from the work tree. */
	o.allow_dirty = true;
	build_ok(&a, &o);
	ck_assert(a->dirty);
	roger_artifact_free(a);
	o.allow_dirty = false;

	/* An input outside the repository is refused. */
	{
		const char *const outside[] = { "../../../elsewhere", NULL };

		o.inputs = outside;
		ck_assert_int_eq(roger_pack_build(&a, NULL, &o, &err),
				 ROGER_EINVALID);
		ck_assert_str_eq(
			err.msg,
			"build.inputs: '../../../elsewhere' is outside the repository");
	}
	git_repository_free(r);
	free(cache);
	free(dir);
}
END_TEST

/*
 * An image layer's file, checked: its diff_id is the digest of the whole
 * tar, every entry is under "srv/app" (after "srv" and "srv/app") and
 * dated ROGER_PACK_LAYER_MTIME.  Returns the file's bytes in `raw`.
 */
static void check_layer(struct roger_buf *raw, const struct roger_artifact *a)
{
	struct roger_buf tar = ROGER_BUF_INIT;
	struct listing l;
	char d[ROGER_DIGEST_SIZE];

	ck_assert_int_eq(roger_fs_read_file(raw, a->path, NULL), 0);
	gunzip_all(&tar, raw->buf, raw->len);
	roger_digest_of(d, tar.buf, tar.len);
	ck_assert_str_eq(a->diff_id, d + strlen("sha256:"));
	l = read_archive(raw->buf, raw->len);
	ck_assert_uint_gt(l.n, 2);
	ck_assert_str_eq(l.v[0].path, "srv");
	ck_assert_str_eq(l.v[1].path, "srv/app");
	for (size_t i = 0; i < l.n; i++) {
		ck_assert_int_eq(l.v[i].mtime, ROGER_PACK_LAYER_MTIME);
		ck_assert(i < 2 || !strncmp(l.v[i].path, "srv/app/", 8));
	}
	free_listing(&l);
	roger_buf_release(&tar);
}

/*
 * Image layers go through the segment writer too, but are never made of
 * segments copied from earlier artifacts: their diff_id is the digest of
 * every tar byte.  A layer built after an artifact and a layer of the
 * tree a commit before, whose runs of entries mostly did not change, is
 * the same as one built from scratch, with the right diff_id.
 */
START_TEST(test_pack_build_layer)
{
	char *dir = sub_path("layer"), *cache = sub_path("layer-cache");
	char *fresh = sub_path("layer-fresh");
	struct roger_build_opts o = { 0 };
	struct roger_artifact *art = NULL, *l1 = NULL, *l2 = NULL, *l3 = NULL;
	struct roger_buf b1 = ROGER_BUF_INIT, b2 = ROGER_BUF_INIT,
			 b3 = ROGER_BUF_INIT;
	char commit[41], name[32];
	git_repository *r = fx_init(dir);

	/* Enough entries for many runs, so that most could be copied. */
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "src/f%03d.txt", i);
		fx_writes(r, name, name);
	}
	fx_commit(r, "many", T0, commit);
	o.workdir = dir;
	o.cache_dir = cache; /* out of the tree, which fx_commit takes whole */
	build_ok(&art, &o);
	ck_assert(!art->cached);
	ck_assert_str_eq(art->diff_id, "");
	o.layer_dir = "srv/app";
	build_ok(&l1, &o);
	ck_assert(!l1->cached);
	ck_assert_str_ne(l1->sha256, art->sha256);
	check_layer(&b1, l1);

	/* One file changed: a new layer, right, as if built from scratch. */
	fx_writes(r, "src/f150.txt", "changed");
	fx_commit(r, "one change", T0 + 60, commit);
	o.layer_dir = NULL;
	roger_artifact_free(art);
	build_ok(&art, &o);
	o.layer_dir = "srv/app";
	build_ok(&l2, &o);
	ck_assert(!l2->cached);
	ck_assert_str_ne(l2->diff_id, l1->diff_id);
	check_layer(&b2, l2);
	o.cache_dir = fresh;
	build_ok(&l3, &o);
	ck_assert(!l3->cached);
	check_layer(&b3, l3);
	ck_assert_str_eq(l3->sha256, l2->sha256);
	ck_assert_str_eq(l3->diff_id, l2->diff_id);
	ck_assert_uint_eq(b3.len, b2.len);
	ck_assert(!memcmp(b3.buf, b2.buf, b2.len));

	roger_artifact_free(art);
	roger_artifact_free(l1);
	roger_artifact_free(l2);
	roger_artifact_free(l3);
	roger_buf_release(&b1);
	roger_buf_release(&b2);
	roger_buf_release(&b3);
	git_repository_free(r);
	free(dir);
	free(cache);
	free(fresh);
}
END_TEST

/* ---- tests: gzip and patterns ------------------------------------------- */

static void inflate_all(struct roger_buf *out, const struct roger_buf *in)
{
	z_stream zs;
	char buf[65536];
	int zrc;

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (unsigned char *)in->buf;
	zs.avail_in = (uInt)in->len;
	do {
		zs.next_out = (unsigned char *)buf;
		zs.avail_out = sizeof(buf);
		zrc = inflate(&zs, Z_NO_FLUSH);
		ck_assert(zrc == Z_OK || zrc == Z_STREAM_END);
		roger_buf_add(out, buf, sizeof(buf) - zs.avail_out);
	} while (zrc != Z_STREAM_END);
	/* One member: nothing after its trailer. */
	ck_assert_uint_eq(zs.avail_in, 0);
	inflateEnd(&zs);
}

/* Text that compresses about as source code does. */
static char *text_data(size_t len, unsigned seed)
{
	char *data = malloc(len ? len : 1);
	unsigned x = seed;

	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		data[i] = (i % 3) ? (char)('a' + (x >> 16) % 8) : ' ';
	}
	return data;
}

struct seg_piece {
	unsigned char key;
	size_t len;
	unsigned seed;
};

/*
 * A stream of segments (keys 1, 2, ... filled with bytes), written in
 * pieces of `step` bytes with `threads` workers, segments found in `reuse`
 * copied; the index in *idx.
 */
static void seg_stream(struct roger_buf *out, struct roger_buf *plain,
		       struct roger_seg_index *idx, const struct seg_piece *p,
		       size_t n, int threads, size_t step,
		       const struct roger_seg_table *reuse)
{
	struct roger_seg *s = NULL;

	ck_assert_int_eq(roger_seg_new(&s, threads, to_buf, out, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char key[32] = { p[i].key };
		char *data = text_data(p[i].len, p[i].seed);
		const struct roger_seg_info *old =
			roger_seg_table_find(reuse, key);
		char name[] = "a/pointer";
		char *lfs[] = { name };

		roger_buf_add(plain, data, p[i].len);
		if (old) {
			ck_assert_int_eq(roger_seg_copy(s, reuse, old, NULL),
					 0);
			free(data);
			continue;
		}
		ck_assert_int_eq(roger_seg_begin(s, key, NULL), 0);
		for (size_t off = 0; off < p[i].len; off += step)
			ck_assert_int_eq(
				roger_seg_write(s, data + off,
						p[i].len - off < step
							? p[i].len - off
							: step,
						NULL),
				0);
		ck_assert_int_eq(roger_seg_end(s, i, lfs, i % 2, NULL), 0);
		free(data);
	}
	ck_assert_int_eq(roger_seg_finish(s, idx, NULL), 0);
	roger_seg_free(s);
}

static const struct seg_piece pieces[] = {
	{ 1, 1000, 1 },  { 2, 3 * ROGER_SEG_CHUNK + 12345, 2 },
	{ 3, 1, 3 },     { 4, ROGER_SEG_CHUNK, 4 },
	{ 5, 70000, 5 },
};

START_TEST(test_pack_seg_is_deterministic)
{
	struct roger_buf one = ROGER_BUF_INIT, four = ROGER_BUF_INIT,
			 plain = ROGER_BUF_INIT, plain4 = ROGER_BUF_INIT,
			 back = ROGER_BUF_INIT;
	struct roger_seg_index i1 = { 0 }, i4 = { 0 }, parsed = { 0 };
	uint64_t at = 10, total = 0;
	char *text;

	seg_stream(&one, &plain, &i1, pieces, 5, 1, 1 << 20, NULL);
	seg_stream(&four, &plain4, &i4, pieces, 5, 4, 1000, NULL);
	ck_assert_uint_eq(one.len, four.len);
	ck_assert(!memcmp(one.buf, four.buf, one.len));
	ck_assert_uint_lt(one.len, plain.len / 2);
	inflate_all(&back, &four);
	ck_assert_uint_eq(back.len, plain.len);
	ck_assert(!memcmp(back.buf, plain.buf, plain.len));
	/* The index says where each segment is and what it holds. */
	ck_assert_uint_eq(i1.n, 5);
	ck_assert_uint_eq(i1.size, one.len);
	for (size_t i = 0; i < i1.n; i++) {
		ck_assert_uint_eq(i1.v[i].offset, at);
		ck_assert_uint_eq(i1.v[i].ulen, pieces[i].len);
		ck_assert_uint_eq(i1.v[i].files, i);
		ck_assert_uint_eq(i1.v[i].n_lfs, i % 2);
		ck_assert_uint_eq(
			i1.v[i].crc,
			crc32(0, (const unsigned char *)plain.buf + total,
			      (uInt)pieces[i].len));
		at += i1.v[i].clen;
		total += pieces[i].len;
	}
	ck_assert_uint_eq(at + 10, one.len);
	/* Its text reads back the same. */
	text = roger_seg_index_dump(&i1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(
		roger_seg_index_parse(&parsed, text, strlen(text), NULL), 0);
	ck_assert_uint_eq(parsed.n, i1.n);
	ck_assert_uint_eq(parsed.v[3].clen, i1.v[3].clen);
	ck_assert_str_eq(parsed.v[1].lfs[0], "a/pointer");
	ck_assert_str_eq(parsed.compressor, roger_seg_compressor());
	free(text);
	roger_seg_index_release(&parsed);
	roger_seg_index_release(&i1);
	roger_seg_index_release(&i4);
	roger_buf_release(&one);
	roger_buf_release(&four);
	roger_buf_release(&plain);
	roger_buf_release(&plain4);
	roger_buf_release(&back);
}
END_TEST

START_TEST(test_pack_seg_reuse_gives_the_same_bytes)
{
	struct roger_buf a = ROGER_BUF_INIT, b = ROGER_BUF_INIT,
			 c = ROGER_BUF_INIT, plain = ROGER_BUF_INIT,
			 back = ROGER_BUF_INIT;
	struct roger_seg_index ia = { 0 }, ib = { 0 }, ic = { 0 };
	struct roger_seg_table *t = NULL;
	struct seg_piece changed[5];
	char path[] = "/tmp/roger-check-seg-XXXXXX";
	int fd;

	seg_stream(&a, &plain, &ia, pieces, 5, 2, 4096, NULL);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, a.buf, a.len), (ssize_t)a.len);
	close(fd);
	ck_assert_int_eq(roger_seg_table_new(&t, NULL), 0);
	ck_assert_int_eq(roger_seg_table_add(t, path, &ia, NULL), 0);
	ck_assert_uint_eq(ia.n, 0); /* taken by the table */
	unlink(path); /* open already: still readable */
	/* Every segment copied: the same bytes. */
	roger_buf_reset(&plain);
	seg_stream(&b, &plain, &ib, pieces, 5, 2, 4096, t);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(!memcmp(a.buf, b.buf, a.len));
	ck_assert_uint_eq(ib.v[1].files, 1);
	ck_assert_uint_eq(ib.v[1].n_lfs, 1);
	/* One changed (new key): the others copied, a valid stream still. */
	memcpy(changed, pieces, sizeof(changed));
	changed[2].key = 9;
	changed[2].len = 5000;
	roger_buf_reset(&plain);
	seg_stream(&c, &plain, &ic, changed, 5, 2, 4096, t);
	inflate_all(&back, &c);
	ck_assert_uint_eq(back.len, plain.len);
	ck_assert(!memcmp(back.buf, plain.buf, plain.len));
	roger_seg_table_free(t);
	roger_seg_index_release(&ia);
	roger_seg_index_release(&ib);
	roger_seg_index_release(&ic);
	roger_buf_release(&a);
	roger_buf_release(&b);
	roger_buf_release(&c);
	roger_buf_release(&plain);
	roger_buf_release(&back);
}
END_TEST

START_TEST(test_pack_seg_index_refused)
{
	static const char *const bad[] = {
		"",
		"{}",
		"{\"format\":\"roger-segments-1\",\"compressor\":\"x\",\"size\":100,\"segments\":[[\"00\",10,5,5,0,0,[]]]}",
		"{\"format\":\"roger-segments-1\",\"compressor\":\"x\",\"size\":100,\"segments\":[[\""
		"0000000000000000000000000000000000000000000000000000000000000000"
		"\",11,5,5,0,0,[]]]}",
		"{\"format\":\"roger-segments-1\",\"compressor\":\"x\",\"size\":12,\"segments\":[[\""
		"0000000000000000000000000000000000000000000000000000000000000000"
		"\",10,5,5,0,0,[]]]}",
		"{\"format\":\"roger-segments-1\",\"compressor\":\"x\",\"size\":100,\"segments\":[[\""
		"0000000000000000000000000000000000000000000000000000000000000000"
		"\",10,5,5,-1,0,[]]]}",
		"{\"format\":\"roger-segments-1\",\"compressor\":\"x\",\"size\":100,\"segments\":[[\""
		"0000000000000000000000000000000000000000000000000000000000000000"
		"\",10,5,5,0,0,[1]]]}",
	};
	struct roger_seg_index idx = { 0 };
	struct roger_err err = ROGER_ERR_INIT;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(roger_seg_index_parse(&idx, bad[i],
						    strlen(bad[i]),
						    &err) == ROGER_EINVALID,
			      "accepted: %s", bad[i]);
}
END_TEST

START_TEST(test_pack_seg_unfinal_refuses_garbage)
{
	unsigned char buf[64] = { 0xff, 0xff, 0xff, 0xff };
	size_t len = 4;

	ck_assert_int_eq(roger_seg_unfinal(buf, &len, sizeof(buf), 10), -1);
	buf[0] = 0x03; /* an empty final block: not the 10 bytes it claims */
	buf[1] = 0x00;
	len = 2;
	ck_assert_int_eq(roger_seg_unfinal(buf, &len, sizeof(buf), 10), -1);
	len = 2;
	ck_assert_int_eq(roger_seg_unfinal(buf, &len, sizeof(buf), 0), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(buf[0], 0x02); /* the final bit cleared */
}
END_TEST

START_TEST(test_pack_wildmatch)
{
	ck_assert(roger_wildmatch("*.md", "README.md", false));
	ck_assert(!roger_wildmatch("*.md", "README.mdx", false));
	ck_assert(roger_wildmatch("src/*.c", "src/a.c", true));
	ck_assert(!roger_wildmatch("src/*.c", "src/x/a.c", true));
	ck_assert(roger_wildmatch("src/**/a.c", "src/a.c", true));
	ck_assert(roger_wildmatch("src/**/a.c", "src/x/y/a.c", true));
	ck_assert(roger_wildmatch("**/a.c", "x/a.c", true));
	ck_assert(roger_wildmatch("docs/**", "docs/a/b", true));
	ck_assert(!roger_wildmatch("docs/**", "docs", true));
	ck_assert(roger_wildmatch("[a-c]x?", "bxz", false));
	ck_assert(!roger_wildmatch("[!a-c]x", "bx", false));
	ck_assert(roger_wildmatch("[[:digit:]]*", "9lives", false));
	ck_assert(roger_wildmatch("\\*", "*", false));
	ck_assert(!roger_wildmatch("\\*", "a", false));
	ck_assert(!roger_wildmatch("a?b", "a/b", true));
}
END_TEST

/*
 * Corners of the stars, brackets and escapes, with the results of the
 * matcher before it learned to give up early (WM_ABORT_*): same answers.
 */
START_TEST(test_pack_wildmatch_corners)
{
	static const struct {
		const char *pattern, *text;
		bool plain, pathname;
	} cases[] = {
		{ "**/*x", "aa/aa/bx", 1, 1 },
		{ "**/*x", "aa/aa/b", 0, 0 },
		{ "a/**/b", "a/b", 0, 1 },
		{ "a/**/b", "a/x/y/b", 1, 1 },
		{ "a/**/b", "a/xb", 0, 0 },
		{ "a**/b", "ax/b", 1, 1 },
		{ "a**/b", "ax/y/b", 1, 0 },
		{ "**", "a/b", 1, 1 },
		{ "**/", "a/b/", 1, 1 },
		{ "*/**", "a", 0, 0 },
		{ "*/**", "a/", 1, 1 },
		{ "x/**", "x/", 1, 1 },
		{ "*a*b", "xaybzb", 1, 1 },
		{ "*a*b", "xa/b", 1, 0 },
		{ "*.c", "a/b.c", 1, 0 },
		{ "**/*.c", "a/b.c", 1, 1 },
		{ "**/**/c", "c", 0, 1 },
		{ "**/**/c", "a/b/c", 1, 1 },
		{ "a/*/c", "a/b/c", 1, 1 },
		{ "a/*/c", "a/b/x/c", 1, 0 },
		{ "[a-]x", "-x", 1, 1 },
		{ "[]a]", "]", 1, 1 },
		{ "[!]]", "a", 1, 1 },
		{ "[", "[", 1, 1 },
		{ "a[", "a[", 1, 1 },
		{ "\\", "\\", 1, 1 },
		{ "*[", "ab[", 1, 1 },
		{ "?*?", "ab", 1, 1 },
		{ "?*?", "a", 0, 0 },
		{ "*/", "a/", 1, 1 },
		{ "\\**", "*ab", 1, 1 },
		{ "a\\/**/b", "a/x/b", 1, 1 },
		{ "[[:alpha:]]*[[:digit:]]", "ab/1", 1, 0 },
		{ "**/a/**/a/**/b", "a/a/a/a/b", 0, 1 },
		{ "**/a/**/a/**/b", "a/a/c", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(roger_wildmatch(cases[i].pattern, cases[i].text,
					      false) == cases[i].plain,
			      "'%s' on '%s'", cases[i].pattern, cases[i].text);
		ck_assert_msg(roger_wildmatch(cases[i].pattern, cases[i].text,
					      true) == cases[i].pathname,
			      "'%s' on '%s' (pathname)", cases[i].pattern,
			      cases[i].text);
	}
}
END_TEST

/*
 * A pattern a repository controls (build.exclude, .gitattributes) cannot
 * make packaging exponential: star-star-slash-star n times, then "x",
 * against "aa/" repeated took 0.86 s for n = 14 and ten times more per two
 * more (fuzzing found it).  With n = 40 that was years; a failed star now
 * stops the stars above it from trying more text, so this ends at once
 * (Check's timeout fails it otherwise).
 */
START_TEST(test_pack_wildmatch_no_backtracking_blowup)
{
	struct roger_buf pattern = ROGER_BUF_INIT, text = ROGER_BUF_INIT;

	for (int i = 0; i < 40; i++) {
		roger_buf_adds(&pattern, "**/*");
		roger_buf_adds(&text, "aa/");
	}
	roger_buf_adds(&pattern, "x");
	roger_buf_adds(&text, "b");
	ck_assert(!roger_wildmatch(pattern.buf, text.buf, true));
	ck_assert(!roger_wildmatch(pattern.buf, text.buf, false));
	text.buf[text.len - 1] = 'x';
	ck_assert(roger_wildmatch(pattern.buf, text.buf, true));
	roger_buf_reset(&pattern);
	for (int i = 0; i < 40; i++)
		roger_buf_adds(&pattern, "*a");
	roger_buf_adds(&pattern, "b");
	roger_buf_reset(&text);
	for (int i = 0; i < 4000; i++)
		roger_buf_adds(&text, "a");
	ck_assert(!roger_wildmatch(pattern.buf, text.buf, false));
	roger_buf_release(&pattern);
	roger_buf_release(&text);
}
END_TEST

/* The no-op record's entry lines, made by hand, are what printf makes. */
START_TEST(test_pack_noop_entry_format)
{
	static const int64_t times[] = {
		0,         1,         -1,
		9,         10,        1796605992194681195LL,
		INT64_MAX, INT64_MIN, -1000000000LL
	};
	static const uint64_t sizes[] = { 0,         7, 10, 99, 4294967296ULL,
					  UINT64_MAX };

	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			struct roger_buf b = ROGER_BUF_INIT;
			struct stat st;
			char want[256];

			memset(&st, 0, sizeof(st));
			st.st_ino = (ino_t)sizes[(j + 1) % 6];
			st.st_size = (off_t)(sizes[j] >> 1);
			st.st_mtim.tv_sec = (time_t)(times[i] / 1000000000);
			st.st_mtim.tv_nsec = (long)(times[i] % 1000000000);
			if (st.st_mtim.tv_nsec < 0) {
				st.st_mtim.tv_sec--;
				st.st_mtim.tv_nsec += 1000000000;
			}
			st.st_ctim.tv_sec = -st.st_mtim.tv_sec;
			st.st_ctim.tv_nsec = 999999999 - st.st_mtim.tv_nsec;
			st.st_mode = (mode_t)(j ? 0100755 : 0120777);
			snprintf(want, sizeof(want),
				 "x\nentry %" PRIu64 " %" PRIu64 " %" PRId64
				 " %" PRId64 " %" PRIu32 " dir/a b\n",
				 (uint64_t)st.st_ino, (uint64_t)st.st_size,
				 roger_noop_ns(&st.st_mtim),
				 roger_noop_ns(&st.st_ctim),
				 (uint32_t)st.st_mode);
			ck_assert_int_eq(roger_buf_adds(&b, "x\n"), 0);
			ck_assert_int_eq(
				roger_noop_add_entry(&b, &st, "dir/a b"), 0);
			ck_assert_str_eq(b.buf, want);
			ck_assert_uint_eq(b.len, strlen(want));
			roger_buf_release(&b);
		}
}
END_TEST

/* File times beyond 64 bits of nanoseconds (touch -d 2300-01-01) hold the
 * limit, where they used to overflow. */
START_TEST(test_pack_noop_ns_limits)
{
	struct timespec ts = { 0, 5 };

	ck_assert_int_eq(roger_noop_ns(&ts), 5);
	ts.tv_sec = 10413792000; /* 2300-01-01 */
	ck_assert_int_eq(roger_noop_ns(&ts), INT64_MAX);
	ts.tv_sec = INT64_MAX / 1000000000 - 1;
	ts.tv_nsec = 999999999;
	ck_assert_int_eq(roger_noop_ns(&ts),
			 (INT64_MAX / 1000000000 - 1) * 1000000000 + 999999999);
	ts.tv_sec = -10413792000;
	ck_assert_int_eq(roger_noop_ns(&ts), INT64_MIN);
	ts.tv_sec = (time_t)(INT64_MIN / 1000000000 + 1);
	ts.tv_nsec = 0;
	ck_assert_int_eq(roger_noop_ns(&ts),
			 (INT64_MIN / 1000000000 + 1) * 1000000000);
}
END_TEST

static Suite *pack_suite(void)
{
	Suite *s = suite_create("pack");
	TCase *tc;

	tc = tcase_create("archive");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pack_matches_git_archive);
	tcase_add_test(tc, test_pack_attributes_match_git_archive);
	tcase_add_test(tc, test_pack_metadata_is_normalized);
	tcase_add_test(tc, test_pack_reproducible_across_clones);
	tcase_add_test(tc, test_pack_exclude_patterns);
	tcase_add_test(tc, test_pack_tags_and_detached_head);
	tcase_add_test(tc, test_pack_submodule);
	tcase_add_test(tc, test_pack_lfs_pointer_reported);
	tcase_add_test(tc, test_pack_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("big");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_pack_big_file_memory_stays_flat);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pack_build_cache);
	tcase_add_test(tc, test_pack_build_dirty);
	tcase_add_test(tc, test_pack_build_command);
	tcase_add_test(tc, test_pack_build_monorepo_identity);
	tcase_add_test(tc, test_pack_build_layer);
	suite_add_tcase(s, tc);

	tc = tcase_create("gzip");
	tcase_add_test(tc, test_pack_seg_is_deterministic);
	tcase_add_test(tc, test_pack_seg_reuse_gives_the_same_bytes);
	tcase_add_test(tc, test_pack_seg_index_refused);
	tcase_add_test(tc, test_pack_seg_unfinal_refuses_garbage);
	tcase_add_test(tc, test_pack_wildmatch);
	tcase_add_test(tc, test_pack_wildmatch_corners);
	tcase_add_test(tc, test_pack_wildmatch_no_backtracking_blowup);
	tcase_add_test(tc, test_pack_noop_entry_format);
	tcase_add_test(tc, test_pack_noop_ns_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pack_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
