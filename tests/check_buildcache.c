/*
 * check_buildcache.c - the hot copies of build cache entries
 * (lib/buildcache-hot.c) on a real file system: kept only when unchanged,
 * refused when tampered with, and an export left as it was when moving a
 * copy in fails part way.  tests/cli/t3111-build-cache-hot.sh drives the
 * same through `roger build`.
 */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "buildcache.h"
#include "err.h"
#include "fs.h"
#include "git-fixture.h"

static char *tmp;

static void setup(void)
{
	tmp = fx_tmpdir();
}

static void teardown(void)
{
	fx_sh("chmod -R u+rwx '%s'", tmp);
	fx_rmtree(tmp);
	free(tmp);
	tmp = NULL;
}

/* A cache with the paths "a" and "b/c", an entry saved from an export. */
static void cache_with_entry(struct roger_build_cache *bc, const char *proj)
{
	struct roger_buf note = ROGER_BUF_INIT;
	json_t *spec = json_pack("{s:[s,s],s:[s]}", "paths", "a", "b/c", "key",
				 "lock");
	char *roger_dir = roger_path_join(tmp, "roger");

	ck_assert_int_eq(roger_build_cache_init(bc, spec, roger_dir, NULL), 0);
	memset(bc->key, 'a', 64);
	bc->key[64] = '\0';
	ck_assert_int_eq(
		fx_sh("mkdir -p '%s/a/d' '%s/b/c' && echo 1 >'%s/a/d/f'"
		      " && echo 2 >'%s/b/c/g' && ln -s d/f '%s/a/l'",
		      proj, proj, proj, proj, proj),
		0);
	ck_assert_int_eq(roger_build_cache_save(&note, bc, proj, NULL), 0);
	ck_assert_uint_eq(note.len, 0);
	roger_buf_release(&note);
	free(roger_dir);
	json_decref(spec);
}

static void hot_open(struct roger_build_hot *h, const char *tmpdir)
{
	struct roger_buf note = ROGER_BUF_INIT;

	ck_assert_int_eq(roger_build_hot_open(h, &note, tmpdir, NULL), 0);
	ck_assert_msg(note.len == 0, "%s", note.buf);
	ck_assert_int_ge(h->fd, 0);
	roger_buf_release(&note);
}

/* Keep what `proj` holds as the hot copy of bc->key. */
static void keep(struct roger_build_hot *h, struct roger_build_cache *bc,
		 const char *proj)
{
	struct roger_buf note = ROGER_BUF_INIT;
	bool kept = false;

	ck_assert_int_eq(roger_build_hot_snapshot(h, bc, proj), 0);
	ck_assert_int_eq(roger_build_hot_keep(&kept, &note, h, bc, proj, NULL),
			 0);
	ck_assert_msg(kept, "%s", note.buf);
	roger_buf_release(&note);
}

/* A saved entry, its hot copy kept, and a fresh export `proj2`. */
struct hot_fx {
	struct roger_build_cache bc;
	struct roger_build_hot h;
	struct roger_buf note;
	char *proj, *proj2, *hottmp;
};

static void fx_start(struct hot_fx *f)
{
	f->proj = roger_path_join(tmp, "export1");
	f->proj2 = roger_path_join(tmp, "export2");
	f->hottmp = roger_path_join(tmp, "t");
	roger_buf_init(&f->note);
	ck_assert_int_eq(mkdir(f->hottmp, 0755), 0);
	ck_assert_int_eq(mkdir(f->proj2, 0755), 0);
	cache_with_entry(&f->bc, f->proj);
	hot_open(&f->h, f->hottmp);
	keep(&f->h, &f->bc, f->proj);
}

static void fx_end(struct hot_fx *f)
{
	roger_buf_release(&f->note);
	roger_build_hot_release(&f->h);
	roger_build_cache_release(&f->bc);
	free(f->proj);
	free(f->proj2);
	free(f->hottmp);
}

START_TEST(test_hot_round_trip)
{
	struct hot_fx f;
	bool moved = false, kept = true;

	fx_start(&f);
	ck_assert_int_eq(
		fx_sh("test ! -e '%s/a' && test ! -e '%s/b/c'", f.proj, f.proj),
		0);

	/* Moved into a fresh export, parents created, links kept. */
	ck_assert_int_eq(roger_build_hot_restore(&moved, &f.note, &f.h, &f.bc,
						 f.proj2, NULL),
			 0);
	ck_assert(moved);
	ck_assert_uint_eq(f.note.len, 0);
	ck_assert_int_eq(fx_sh("test \"$(cat '%s/a/l')\" = 1 && "
			       "test \"$(cat '%s/b/c/g')\" = 2",
			       f.proj2, f.proj2),
			 0);
	/* The slot is taken: nothing for another build until kept again. */
	ck_assert_int_eq(fx_sh("test -z \"$(ls -A '%s')\"", f.h.dir), 0);

	/* A change made by the build: not kept. */
	ck_assert_int_eq(fx_sh("echo 3 >>'%s/a/d/f'", f.proj2), 0);
	ck_assert_int_eq(roger_build_hot_keep(&kept, &f.note, &f.h, &f.bc,
					      f.proj2, NULL),
			 0);
	ck_assert(!kept);
	ck_assert_ptr_nonnull(strstr(f.note.buf, "changed the cached paths"));
	ck_assert_int_eq(fx_sh("test -f '%s/a/d/f'", f.proj2), 0);
	ck_assert_int_eq(fx_sh("test -z \"$(ls -A '%s')\"", f.h.dir), 0);
	fx_end(&f);
}
END_TEST

START_TEST(test_hot_move_fails_part_way)
{
	struct hot_fx f;
	bool moved = true;

	fx_start(&f);
	/* "a" moves, then "b/c" is in the way: "a" must go again. */
	ck_assert_int_eq(fx_sh("mkdir -p '%s/b/c' && echo mine >'%s/b/c/m'",
			       f.proj2, f.proj2),
			 0);
	ck_assert_int_eq(roger_build_hot_restore(&moved, &f.note, &f.h, &f.bc,
						 f.proj2, NULL),
			 0);
	ck_assert(!moved);
	ck_assert_ptr_nonnull(strstr(f.note.buf, "cannot move the hot copy"));
	ck_assert_int_eq(
		fx_sh("test ! -e '%s/a' && test \"$(ls '%s/b/c')\" = m",
		      f.proj2, f.proj2),
		0);
	/* The half-used copy is gone, not put back. */
	ck_assert_int_eq(fx_sh("test -z \"$(ls -A '%s')\"", f.h.dir), 0);
	fx_end(&f);
}
END_TEST

START_TEST(test_hot_bound_to_its_entry)
{
	struct hot_fx f;
	bool moved = true;

	fx_start(&f);
	/* The tar was removed (pruned, or the cache emptied): no copy. */
	ck_assert_int_eq(fx_sh("rm '%s'/*.tar", f.bc.dir), 0);
	ck_assert_int_eq(roger_build_hot_restore(&moved, &f.note, &f.h, &f.bc,
						 f.proj2, NULL),
			 0);
	ck_assert(!moved);
	ck_assert_int_eq(fx_sh("test -z \"$(ls -A '%s')\" && test -z "
			       "\"$(ls -A '%s')\"",
			       f.h.dir, f.proj2),
			 0);
	fx_end(&f);
}
END_TEST

START_TEST(test_hot_private_dir_only)
{
	struct roger_build_hot h;
	struct roger_buf note = ROGER_BUF_INIT;
	char *hottmp = roger_path_join(tmp, "t");

	ck_assert_int_eq(mkdir(hottmp, 0755), 0);
	ck_assert_int_eq(fx_sh("mkdir -m 750 '%s/roger-%lu'", hottmp,
			       (unsigned long)geteuid()),
			 0);
	ck_assert_int_eq(roger_build_hot_open(&h, &note, hottmp, NULL), 0);
	ck_assert_int_eq(h.fd, -1);
	ck_assert_ptr_nonnull(strstr(note.buf, "mode 0750"));
	ck_assert_ptr_nonnull(strstr(note.buf, hottmp));
	roger_build_hot_release(&h);
	roger_buf_release(&note);
	free(hottmp);
}
END_TEST

static Suite *buildcache_suite(void)
{
	Suite *s = suite_create("buildcache");
	TCase *tc = tcase_create("hot");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hot_round_trip);
	tcase_add_test(tc, test_hot_move_fails_part_way);
	tcase_add_test(tc, test_hot_bound_to_its_entry);
	tcase_add_test(tc, test_hot_private_dir_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(buildcache_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
