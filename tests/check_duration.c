/*
 * check_duration.c - unit tests of lib/duration.c: durations with units as
 * every option of roger reads them, and written back.
 */
#include <config.h>

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/duration.h"
#include "lib/err.h"

static int64_t parse_ok(const char *s)
{
	struct roger_err err = ROGER_ERR_INIT;
	int64_t ms = -42;

	ck_assert_msg(roger_duration_parse(&ms, s, &err) == 0,
		      "'%s' refused: %s", s, err.msg);
	return ms;
}

/* What the parser reads, as a user types it, and what it makes of it. */
static const struct {
	const char *text;
	int64_t ms;
} good[] = {
	/* a bare number is seconds */
	{ "0", 0 },
	{ "90", 90000 },
	{ "1.5", 1500 },
	{ "007", 7000 },
	{ ".25", 250 },
	/* one unit */
	{ "90s", 90000 },
	{ "2m", 120000 },
	{ "1h", 3600000 },
	{ "500ms", 500 },
	{ "0s", 0 },
	{ "1.5h", 5400000 },
	{ "0.1s", 100 },
	/* a fraction of a millisecond rounds to the nearest */
	{ "1.4ms", 1 },
	{ "1.5ms", 2 },
	{ "0.0004s", 0 },
	{ "1.000000000001s", 1000 },
	/* several, in any order, as Go's time.ParseDuration reads them */
	{ "1h30m", 5400000 },
	{ "2m30s", 150000 },
	{ "1m500ms", 60500 },
	{ "1h1m1s1ms", 3661001 },
	{ "30s1m", 90000 },
	{ "8784h", ROGER_DURATION_MAX_MS },
};

/* What it refuses, and a word of the reason. */
static const struct {
	const char *text;
	const char *why;
} bad[] = {
	{ "", "empty" },
	{ "soon", "expected a duration" },
	{ "s", "expected a duration" },
	{ "-5s", "expected a duration" },
	{ "+5", "expected a duration" },
	{ "5 s", "expected a duration" },
	{ " 5s", "expected a duration" },
	{ "5x", "expected a duration" },
	{ "5d", "expected a duration" },
	{ "1e3", "expected a duration" },
	{ "1h30", "expected a duration" },
	{ "1.", "expected a duration" },
	{ "1.s", "expected a duration" },
	{ ".", "expected a duration" },
	{ "5S", "expected a duration" },
	{ "8785h", "too long" },
	{ "99999999999999999999999", "too long" },
	{ "366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h"
	  "366h366h366h366h366h366h366h366h366h366h",
	  "too long" },
};

START_TEST(test_duration_read)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(parse_ok(good[i].text) == good[i].ms,
			      "'%s' is not %lld ms", good[i].text,
			      (long long)good[i].ms);
}
END_TEST

START_TEST(test_duration_refused)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct roger_err err = ROGER_ERR_INIT;
		int64_t ms = -42;

		ck_assert_int_eq(roger_duration_parse(&ms, bad[i].text, &err),
				 ROGER_EUSAGE);
		ck_assert_int_eq(err.code, ROGER_EUSAGE);
		ck_assert_msg(strstr(err.msg, bad[i].why),
			      "'%s': '%s' lacks '%s'", bad[i].text, err.msg,
			      bad[i].why);
		/* the out parameter is left alone on failure */
		ck_assert_int_eq(ms, -42);
	}
}
END_TEST

START_TEST(test_duration_error_may_be_null)
{
	int64_t ms = 0;

	ck_assert_int_eq(roger_duration_parse(&ms, "nope", NULL), ROGER_EUSAGE);
	ck_assert_int_eq(roger_duration_parse(&ms, NULL, NULL), ROGER_EUSAGE);
}
END_TEST

START_TEST(test_duration_format_reads_back)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "0s" },
		{ 1, "1ms" },
		{ 999, "999ms" },
		{ 1000, "1s" },
		{ 90000, "1m30s" },
		{ 120500, "2m500ms" },
		{ 3600000, "1h" },
		{ 5400000, "1h30m" },
		{ 90061001, "25h1m1s1ms" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		roger_duration_format(buf, sizeof(buf), cases[i].ms);
		ck_assert_str_eq(buf, cases[i].text);
		ck_assert_int_eq(parse_ok(buf), cases[i].ms);
	}
	roger_duration_format(buf, sizeof(buf), -5);
	ck_assert_str_eq(buf, "0s");
	/* cut to fit, still terminated */
	roger_duration_format(buf, 4, 5400000);
	ck_assert_str_eq(buf, "1h");
	roger_duration_format(buf, 1, 5400000);
	ck_assert_str_eq(buf, "");
}
END_TEST

static Suite *duration_suite(void)
{
	Suite *s = suite_create("duration");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_duration_read);
	tcase_add_test(tc, test_duration_refused);
	tcase_add_test(tc, test_duration_error_may_be_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_duration_format_reads_back);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(duration_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
