/*
 * check_store.c - unit tests of the store module: content-addressed
 * artifact names.
 */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/roger.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(test_store_url_joins_store_app_digest)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *url = NULL;

	ck_assert_int_eq(roger_store_artifact_url(&url, "https://a.example.com/roger/",
						  "/web/hello", SHA, &err), 0);
	ck_assert_str_eq(url, "https://a.example.com/roger/web/hello/" SHA ".tar.gz");
	free(url);
	ck_assert_int_eq(roger_store_artifact_url(&url, "file:///srv/art",
						  "/hello", SHA, &err), 0);
	ck_assert_str_eq(url, "file:///srv/art/hello/" SHA ".tar.gz");
	free(url);
}
END_TEST

START_TEST(test_store_url_refuses_bad_input)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *url = NULL;

	ck_assert_int_eq(roger_store_artifact_url(&url, "http://s/", "/a",
						  "ABC", &err), ROGER_EINVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "SHA-256"));
	ck_assert_int_eq(roger_store_artifact_url(&url, "http://s/", "a", SHA,
						  &err), ROGER_EINVALID);
	ck_assert_int_eq(roger_store_artifact_url(&url, NULL, "/a", SHA, &err),
			 ROGER_EINVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "artifact store"));
	ck_assert_ptr_null(url);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, test_store_url_joins_store_app_digest);
	tcase_add_test(tc, test_store_url_refuses_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
