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

static void parse_bad(const char *s, const char *why)
{
	struct roger_err err = ROGER_ERR_INIT;
	int64_t ms = -42;

	ck_assert_int_eq(roger_duration_parse(&ms, s, &err), ROGER_EUSAGE);
	ck_assert_int_eq(err.code, ROGER_EUSAGE);
	ck_assert_msg(strstr(err.msg, why), "'%s': '%s' lacks '%s'", s,
		      err.msg, why);
	/* the out parameter is left alone on failure */
	ck_assert_int_eq(ms, -42);
}

START_TEST(test_duration_bare_number_is_seconds)
{
	ck_assert_int_eq(parse_ok("0"), 0);
	ck_assert_int_eq(parse_ok("90"), 90000);
	ck_assert_int_eq(parse_ok("1.5"), 1500);
	ck_assert_int_eq(parse_ok("007"), 7000);
	ck_assert_int_eq(parse_ok(".25"), 250);
}
END_TEST

START_TEST(test_duration_units)
{
	ck_assert_int_eq(parse_ok("90s"), 90000);
	ck_assert_int_eq(parse_ok("2m"), 120000);
	ck_assert_int_eq(parse_ok("1h"), 3600000);
	ck_assert_int_eq(parse_ok("500ms"), 500);
	ck_assert_int_eq(parse_ok("0s"), 0);
	ck_assert_int_eq(parse_ok("1.5h"), 5400000);
	ck_assert_int_eq(parse_ok("0.1s"), 100);
	/* a fraction of a millisecond rounds to the nearest */
	ck_assert_int_eq(parse_ok("1.4ms"), 1);
	ck_assert_int_eq(parse_ok("1.5ms"), 2);
	ck_assert_int_eq(parse_ok("0.0004s"), 0);
	ck_assert_int_eq(parse_ok("1.000000000001s"), 1000);
}
END_TEST

START_TEST(test_duration_compound)
{
	ck_assert_int_eq(parse_ok("1h30m"), 5400000);
	ck_assert_int_eq(parse_ok("2m30s"), 150000);
	ck_assert_int_eq(parse_ok("1m500ms"), 60500);
	ck_assert_int_eq(parse_ok("1h1m1s1ms"), 3661001);
	/* any order, as Go's time.ParseDuration reads them */
	ck_assert_int_eq(parse_ok("30s1m"), 90000);
}
END_TEST

START_TEST(test_duration_refused)
{
	parse_bad("", "empty");
	parse_bad("soon", "expected a duration");
	parse_bad("s", "expected a duration");
	parse_bad("-5s", "expected a duration");
	parse_bad("+5", "expected a duration");
	parse_bad("5 s", "expected a duration");
	parse_bad(" 5s", "expected a duration");
	parse_bad("5x", "expected a duration");
	parse_bad("5d", "expected a duration");
	parse_bad("1e3", "expected a duration");
	parse_bad("1h30", "expected a duration");
	parse_bad("1.", "expected a duration");
	parse_bad("1.s", "expected a duration");
	parse_bad(".", "expected a duration");
	parse_bad("5S", "expected a duration");
	parse_bad("367d", "expected a duration");
	parse_bad("8785h", "too long");
	parse_bad("99999999999999999999999", "too long");
	parse_bad("366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h366h", "too long");
	ck_assert_int_eq(parse_ok("8784h"), ROGER_DURATION_MAX_MS);
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
		{ 0, "0s" },          { 1, "1ms" },
		{ 999, "999ms" },     { 1000, "1s" },
		{ 90000, "1m30s" },   { 120500, "2m500ms" },
		{ 3600000, "1h" },    { 5400000, "1h30m" },
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

	tcase_add_test(tc, test_duration_bare_number_is_seconds);
	tcase_add_test(tc, test_duration_units);
	tcase_add_test(tc, test_duration_compound);
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
