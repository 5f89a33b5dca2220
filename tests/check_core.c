/*
 * check_core.c - unit tests of the core module: errors and exit statuses,
 * buffers, string helpers, file helpers, and the small helpers of
 * lib/util.h.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/roger.h"
#include "lib/json-num.h"
#include "lib/util.h"

START_TEST(test_core_err_set_returns_code)
{
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_err_set(&err, ROGER_EINVALID, "bad '%s'", "x"),
			 ROGER_EINVALID);
	ck_assert_int_eq(err.code, ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "bad 'x'");
	ck_assert_int_eq(roger_err_set(NULL, ROGER_ENET, "ignored"),
			 ROGER_ENET);
	roger_err_prefix(&err, "roger.json");
	ck_assert_str_eq(err.msg, "roger.json: bad 'x'");
	roger_err_clear(&err);
	ck_assert_int_eq(err.code, 0);
	ck_assert_str_eq(err.msg, "");
}
END_TEST

START_TEST(test_core_err_long_message_is_cut)
{
	struct roger_err err = ROGER_ERR_INIT;
	char big[4000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	roger_err_set(&err, ROGER_ERROR, "%s", big);
	ck_assert_uint_eq(strlen(err.msg), sizeof(err.msg) - 1);
}
END_TEST

START_TEST(test_core_exit_status_mapping)
{
	ck_assert_int_eq(roger_exit_status(0), 0);
	ck_assert_int_eq(roger_exit_status(5), 0);
	ck_assert_int_eq(roger_exit_status(ROGER_ERROR), 1);
	ck_assert_int_eq(roger_exit_status(ROGER_EUSAGE), 2);
	ck_assert_int_eq(roger_exit_status(ROGER_EINVALID), 3);
	ck_assert_int_eq(roger_exit_status(ROGER_ENET), 4);
	ck_assert_int_eq(roger_exit_status(ROGER_EAUTH), 4);
	ck_assert_int_eq(roger_exit_status(ROGER_EDEPLOY), 5);
	ck_assert_int_eq(roger_exit_status(ROGER_ETIMEOUT), 6);
	ck_assert_int_eq(roger_exit_status(ROGER_ECONFLICT), 7);
	ck_assert_int_eq(roger_exit_status(ROGER_EINTR), 130);
	ck_assert_int_eq(roger_exit_status(-999), 1);
	ck_assert_str_eq(roger_strerror(ROGER_ENOTFOUND), "not found");
	ck_assert_str_eq(roger_strerror(-999), "unknown error");
}
END_TEST

START_TEST(test_core_buf_grows_and_stays_terminated)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *s;
	size_t len;

	ck_assert_ptr_nonnull(b.buf);
	ck_assert_str_eq(b.buf, "");
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(roger_buf_addf(&b, "%d,", i), 0);
	ck_assert_uint_eq(b.len, strlen(b.buf));
	ck_assert(roger_starts_with(b.buf, "0,1,2,"));
	roger_buf_truncate(&b, 4);
	ck_assert_str_eq(b.buf, "0,1,");
	ck_assert_int_eq(roger_buf_add(&b, "x\0y", 3), 0);
	ck_assert_uint_eq(b.len, 7);
	ck_assert_int_eq(b.buf[5], '\0');
	s = roger_buf_detach(&b, &len);
	ck_assert_uint_eq(len, 7);
	ck_assert_int_eq(memcmp(s, "0,1,x\0y", 7), 0);
	ck_assert_str_eq(b.buf, "");
	free(s);
	s = roger_buf_detach(&b, NULL);
	ck_assert_str_eq(s, "");
	free(s);
	roger_buf_release(&b);
	roger_buf_release(NULL);
}
END_TEST

START_TEST(test_core_edit_distance_and_suggest)
{
	static const char *const cmds[] = { "build", "deploy",  "destroy",
					    "diff",  "history", "init",
					    "logs" };

	ck_assert_uint_eq(roger_edit_distance("deploy", "deploy"), 0);
	ck_assert_uint_eq(roger_edit_distance("depoly", "deploy"), 1);
	ck_assert_uint_eq(roger_edit_distance("", "abc"), 3);
	ck_assert_str_eq(roger_suggest("depoly", cmds, 7), "deploy");
	ck_assert_str_eq(roger_suggest("biuld", cmds, 7), "build");
	ck_assert_str_eq(roger_suggest("histor", cmds, 7), "history");
	ck_assert_ptr_null(roger_suggest("zzzzzz", cmds, 7));
}
END_TEST

START_TEST(test_core_utf8)
{
	ck_assert(roger_utf8_valid("plain", 5));
	ck_assert(roger_utf8_valid("caf\xc3\xa9", 5));
	ck_assert(roger_utf8_valid("\xf0\x9f\x98\x80", 4));
	ck_assert(!roger_utf8_valid("\xff", 1));
	ck_assert(!roger_utf8_valid("caf\xc3", 4));
	ck_assert(!roger_utf8_valid("\xc0\xaf", 2)); /* overlong */
	ck_assert(!roger_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
}
END_TEST

START_TEST(test_core_parse_size)
{
	uint64_t v = 7;

	ck_assert_int_eq(roger_parse_size(&v, "0"), 0);
	ck_assert(v == 0);
	ck_assert_int_eq(roger_parse_size(&v, "512"), 0);
	ck_assert(v == 512);
	ck_assert_int_eq(roger_parse_size(&v, "64k"), 0);
	ck_assert(v == 65536);
	ck_assert_int_eq(roger_parse_size(&v, "2G"), 0);
	ck_assert(v == (uint64_t)2 << 30);
	ck_assert_int_eq(roger_parse_size(&v, "3t"), 0);
	ck_assert(v == (uint64_t)3 << 40);
	ck_assert_int_eq(roger_parse_size(&v, "18446744073709551615"), 0);
	ck_assert(v == UINT64_MAX);
	v = 7;
	ck_assert_int_eq(roger_parse_size(&v, "18446744073709551616"), -1);
	ck_assert_int_eq(roger_parse_size(&v, "17179869184G"), -1);
	ck_assert_int_eq(roger_parse_size(&v, ""), -1);
	ck_assert_int_eq(roger_parse_size(&v, "G"), -1);
	ck_assert_int_eq(roger_parse_size(&v, "-1"), -1);
	ck_assert_int_eq(roger_parse_size(&v, "1GB"), -1);
	ck_assert_int_eq(roger_parse_size(&v, "1 G"), -1);
	ck_assert_int_eq(roger_parse_size(&v, "1x"), -1);
	ck_assert(v == 7); /* untouched on failure */
}
END_TEST

/* roger_json_int of the JSON text `text`: whether it is an int in [lo, hi]. */
static bool json_int_of(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	bool ok;

	ck_assert_ptr_nonnull(v);
	ok = roger_json_int(v, lo, hi, out);
	json_decref(v);
	return ok;
}

START_TEST(test_core_json_int_never_casts_what_does_not_fit)
{
	int64_t v = 42;

	ck_assert(json_int_of("8080", 0, 65535, &v));
	ck_assert_int_eq(v, 8080);
	ck_assert(json_int_of("3.0", 0, 10, &v)); /* a real without fraction */
	ck_assert_int_eq(v, 3);
	ck_assert(json_int_of("-1e3", INT32_MIN, INT32_MAX, &v));
	ck_assert_int_eq(v, -1000);
	v = 42;
	/* the findings: reals far beyond the range, left alone */
	ck_assert(!json_int_of("2.23e10", INT32_MIN, INT32_MAX, &v));
	ck_assert(!json_int_of("1e308", INT64_MIN, INT64_MAX, &v));
	ck_assert(!json_int_of("-1e308", INT64_MIN, INT64_MAX, &v));
	/* 2^63 does not fit an int64 (INT64_MAX rounds up to it as a double) */
	ck_assert(!json_int_of("9223372036854775808.0", INT64_MIN, INT64_MAX,
			       &v));
	ck_assert(json_int_of("-9223372036854775808.0", INT64_MIN, INT64_MAX,
			      &v));
	ck_assert(v == INT64_MIN);
	v = 42;
	ck_assert(!json_int_of("0.5", 0, 10, &v));
	ck_assert(!json_int_of("65536", 0, 65535, &v));
	ck_assert(!json_int_of("-1", 0, 65535, &v));
	ck_assert(!json_int_of("\"1\"", 0, 10, &v));
	ck_assert(!json_int_of("null", 0, 10, &v));
	ck_assert(!roger_json_int(NULL, 0, 10, &v));
	ck_assert_int_eq(v, 42);
	ck_assert(json_int_of("9223372036854775807", INT64_MIN, INT64_MAX, &v));
	ck_assert(v == INT64_MAX);
}
END_TEST

static char tmpdir[PATH_MAX];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/check_core.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	roger_fs_remove_tree(tmpdir, NULL);
}

START_TEST(test_core_fs_atomic_write_and_read)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf b = ROGER_BUF_INIT;
	char *path = roger_path_join(tmpdir, "f.txt");
	struct stat st;

	ck_assert_int_eq(roger_fs_write_atomic(path, "hello", 5, 0600, &err),
			 0);
	ck_assert_int_eq(roger_fs_read_file(&b, path, &err), 0);
	ck_assert_str_eq(b.buf, "hello");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	roger_buf_release(&b);
	free(path);
}
END_TEST

START_TEST(test_core_fs_write_into_missing_dir_fails_cleanly)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *path = roger_path_join(tmpdir, "missing/f.txt");

	ck_assert_int_eq(roger_fs_write_atomic(path, "x", 1, 0644, &err),
			 ROGER_EIO);
	ck_assert(strstr(err.msg, "missing/f.txt") != NULL);
	free(path);
}
END_TEST

START_TEST(test_core_fs_read_missing_is_notfound)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf b = ROGER_BUF_INIT;
	char *path = roger_path_join(tmpdir, "nope");

	ck_assert_int_eq(roger_fs_read_file(&b, path, &err), ROGER_ENOTFOUND);
	ck_assert(strstr(err.msg, "nope") != NULL);
	free(path);
}
END_TEST

START_TEST(test_core_fs_mkdirs_and_remove_tree)
{
	char *deep = roger_path_join(tmpdir, "a/b/c");
	char *top = roger_path_join(tmpdir, "a");
	char *file = roger_path_join(deep, "f");

	ck_assert_int_eq(roger_fs_mkdirs(deep, 0755, NULL), 0);
	ck_assert_int_eq(roger_fs_mkdirs(deep, 0755, NULL), 0);
	ck_assert(roger_fs_is_dir(deep));
	ck_assert_int_eq(roger_fs_write_atomic(file, "x", 1, 0644, NULL), 0);
	ck_assert_int_eq(roger_fs_remove_tree(top, NULL), 0);
	ck_assert(!roger_fs_exists(top));
	ck_assert_int_eq(roger_fs_remove_tree(top, NULL), 0);
	free(deep);
	free(top);
	free(file);
}
END_TEST

static const char *fake_env(void *data, const char *name)
{
	const char *const *kv = data;

	for (; kv[0]; kv += 2)
		if (!strcmp(kv[0], name))
			return kv[1];
	return NULL;
}

START_TEST(test_core_xdg_dirs)
{
	static const char *const env1[] = { "HOME", "/home/u", NULL, NULL };
	static const char *const env2[] = { "HOME",
					    "/home/u",
					    "XDG_CONFIG_HOME",
					    "/cfg",
					    "XDG_STATE_HOME",
					    "relative",
					    NULL,
					    NULL };
	struct roger_ctx *ctx;
	char *d;

	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
	roger_ctx_set_getenv_fn(ctx, fake_env, (void *)env1);
	d = roger_xdg_dir(ctx, "config");
	ck_assert_str_eq(d, "/home/u/.config/roger");
	free(d);
	d = roger_xdg_dir(ctx, "state");
	ck_assert_str_eq(d, "/home/u/.local/state/roger");
	free(d);
	roger_ctx_set_getenv_fn(ctx, fake_env, (void *)env2);
	d = roger_xdg_dir(ctx, "config");
	ck_assert_str_eq(d, "/cfg/roger");
	free(d);
	/* A relative XDG value is ignored, as the specification says. */
	d = roger_xdg_dir(ctx, "state");
	ck_assert_str_eq(d, "/home/u/.local/state/roger");
	free(d);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_core_write_all)
{
	char *path = roger_path_join(tmpdir, "big");
	struct roger_buf b = ROGER_BUF_INIT;
	static char data[300000];
	int fd;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(roger_write_all(fd, data, sizeof(data)), 0);
	ck_assert_int_eq(roger_write_all(fd, data, 0), 0);
	close(fd);
	ck_assert_int_eq(roger_fs_read_file(&b, path, NULL), 0);
	ck_assert_uint_eq(b.len, sizeof(data));
	ck_assert(memcmp(b.buf, data, sizeof(data)) == 0);
	/* a descriptor not open for writing: -1, and errno says why */
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	errno = 0;
	ck_assert_int_eq(roger_write_all(fd, "x", 1), -1);
	ck_assert_int_eq(errno, EBADF);
	close(fd);
	roger_buf_release(&b);
	free(path);
}
END_TEST

static bool uuid_shape(const char *u)
{
	for (size_t i = 0; i < ROGER_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? u[i] != '-' : !strchr("0123456789abcdef", u[i]))
			return false;
	}
	return u[ROGER_UUID_LEN] == '\0' && u[14] == '4' &&
	       strchr("89ab", u[19]) != NULL;
}

START_TEST(test_core_uuid)
{
	char a[ROGER_UUID_LEN + 1], b[ROGER_UUID_LEN + 1];

	roger_uuid(a);
	roger_uuid(b);
	ck_assert_msg(uuid_shape(a), "'%s' is no version 4 UUID", a);
	ck_assert_msg(uuid_shape(b), "'%s' is no version 4 UUID", b);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_core_clock_deadline)
{
	struct timespec ts;
	int64_t before, after, at;

	before = roger_clock_ms(CLOCK_MONOTONIC);
	roger_clock_deadline(&ts, 1999);
	after = roger_clock_ms(CLOCK_MONOTONIC);
	at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	ck_assert_int_ge(ts.tv_nsec, 0);
	ck_assert_int_lt(ts.tv_nsec, 1000000000L);
	ck_assert_int_ge(at, before + 1999);
	ck_assert_int_le(at, after + 1999);
	ck_assert_int_ge(after, before);
}
END_TEST

START_TEST(test_core_url_scheme_len)
{
	ck_assert_uint_eq(roger_url_scheme_len("http://h/"), 7);
	ck_assert_uint_eq(roger_url_scheme_len("HTTPS://h"), 8);
	ck_assert_uint_eq(roger_url_scheme_len("https:/h"), 0);
	ck_assert_uint_eq(roger_url_scheme_len("file:///x"), 0);
	ck_assert_uint_eq(roger_url_scheme_len("/v2/apps"), 0);
	ck_assert_uint_eq(roger_url_scheme_len(""), 0);
}
END_TEST

static int logged_level;
static char logged[256];

static void capture_log(void *data, int level, const char *fmt, va_list ap)
	ROGER_PRINTF(3, 0);

static void capture_log(void *data, int level, const char *fmt, va_list ap)
{
	(void)data;
	logged_level = level;
	vsnprintf(logged, sizeof(logged), fmt, ap);
}

START_TEST(test_core_log_levels)
{
	struct roger_ctx *ctx;

	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
	roger_log(ctx, ROGER_LOG_WARN, "dropped: no log function");
	roger_ctx_set_log_fn(ctx, capture_log, NULL);
	logged[0] = '\0';
	roger_info(ctx, "too detailed %d", 1);
	ck_assert_str_eq(logged, "");
	roger_warn(ctx, "shown %d", 2);
	ck_assert_str_eq(logged, "shown 2");
	ck_assert_int_eq(logged_level, ROGER_LOG_WARN);
	roger_ctx_set_log_level(ctx, ROGER_LOG_DEBUG);
	roger_info(ctx, "now shown");
	ck_assert_str_eq(logged, "now shown");
	roger_ctx_free(ctx);
	roger_ctx_free(NULL);
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc;

	tc = tcase_create("err");
	tcase_add_test(tc, test_core_err_set_returns_code);
	tcase_add_test(tc, test_core_err_long_message_is_cut);
	tcase_add_test(tc, test_core_exit_status_mapping);
	suite_add_tcase(s, tc);

	tc = tcase_create("buf");
	tcase_add_test(tc, test_core_buf_grows_and_stays_terminated);
	suite_add_tcase(s, tc);

	tc = tcase_create("str");
	tcase_add_test(tc, test_core_edit_distance_and_suggest);
	tcase_add_test(tc, test_core_utf8);
	tcase_add_test(tc, test_core_parse_size);
	tcase_add_test(tc, test_core_json_int_never_casts_what_does_not_fit);
	suite_add_tcase(s, tc);

	tc = tcase_create("fs");
	tcase_add_checked_fixture(tc, make_tmpdir, remove_tmpdir);
	tcase_add_test(tc, test_core_fs_atomic_write_and_read);
	tcase_add_test(tc, test_core_fs_write_into_missing_dir_fails_cleanly);
	tcase_add_test(tc, test_core_fs_read_missing_is_notfound);
	tcase_add_test(tc, test_core_fs_mkdirs_and_remove_tree);
	tcase_add_test(tc, test_core_xdg_dirs);
	suite_add_tcase(s, tc);

	tc = tcase_create("util");
	tcase_add_checked_fixture(tc, make_tmpdir, remove_tmpdir);
	tcase_add_test(tc, test_core_write_all);
	tcase_add_test(tc, test_core_uuid);
	tcase_add_test(tc, test_core_clock_deadline);
	tcase_add_test(tc, test_core_url_scheme_len);
	suite_add_tcase(s, tc);

	tc = tcase_create("ctx");
	tcase_add_test(tc, test_core_log_levels);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(core_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
