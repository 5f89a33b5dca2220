/*
 * check_spec.c - unit tests of the spec module: JSON paths, the deep merge
 * of environment overlays, {{ name }} expansion, app id rules.
 */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/roger.h"

/* Parse a JSON literal of the test (which must be valid). */
static json_t *J(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	ck_assert_msg(v != NULL, "bad test JSON %s: %s", text, jerr.text);
	return v;
}

/* Whether `v` equals the JSON text `text`, key order included. */
static void assert_json(const json_t *v, const char *text)
{
	char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_t *want = J(text);
	char *wanted = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);

	ck_assert_str_eq(got, wanted);
	free(got);
	free(wanted);
	json_decref(want);
}

static json_t *merged(const char *base, const char *overlay)
{
	json_t *b = base ? J(base) : NULL, *o = overlay ? J(overlay) : NULL;
	json_t *out = NULL;
	char *before_b =
		b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char *before_o =
		o ? json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	ck_assert_int_eq(roger_spec_merge(&out, b, o, NULL), 0);
	/* The inputs are never modified. */
	if (b) {
		char *after = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);

		ck_assert_str_eq(after, before_b);
		free(after);
	}
	if (o) {
		char *after = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);

		ck_assert_str_eq(after, before_o);
		free(after);
	}
	free(before_b);
	free(before_o);
	json_decref(b);
	json_decref(o);
	return out;
}

static void assert_merge(const char *base, const char *overlay,
			 const char *want)
{
	json_t *m = merged(base, overlay);

	assert_json(m, want);
	json_decref(m);
}

/* ---- paths ---------------------------------------------------------------- */

START_TEST(test_spec_path_plain_and_quoted_keys)
{
	struct roger_buf p = ROGER_BUF_INIT;

	ck_assert_int_eq(roger_spec_path_key(&p, "environments"), 0);
	ck_assert_int_eq(roger_spec_path_key(&p, "prod-1"), 0);
	ck_assert_int_eq(roger_spec_path_key(&p, "healthChecks"), 0);
	ck_assert_int_eq(roger_spec_path_index(&p, 2), 0);
	ck_assert_int_eq(roger_spec_path_key(&p, "path"), 0);
	ck_assert_str_eq(p.buf, "environments.prod-1.healthChecks[2].path");
	roger_buf_reset(&p);
	ck_assert_int_eq(roger_spec_path_key(&p, "labels"), 0);
	ck_assert_int_eq(roger_spec_path_key(&p, "traefik.enable"), 0);
	ck_assert_str_eq(p.buf, "labels[\"traefik.enable\"]");
	roger_buf_reset(&p);
	ck_assert_int_eq(roger_spec_path_key(&p, "a \"b\""), 0);
	ck_assert_str_eq(p.buf, "[\"a \\\"b\\\"\"]");
	roger_buf_release(&p);
}
END_TEST

START_TEST(test_spec_type_names)
{
	json_t *v = J("[{}, [], \"s\", 1, 1.5, true, null]");

	ck_assert_str_eq(roger_spec_type_name(json_array_get(v, 0)),
			 "an object");
	ck_assert_str_eq(roger_spec_type_name(json_array_get(v, 1)),
			 "an array");
	ck_assert_str_eq(roger_spec_type_name(json_array_get(v, 2)),
			 "a string");
	ck_assert_str_eq(roger_spec_type_name(json_array_get(v, 3)),
			 "an integer");
	ck_assert_str_eq(roger_spec_type_name(json_array_get(v, 4)),
			 "a number");
	ck_assert_str_eq(roger_spec_type_name(json_array_get(v, 5)),
			 "a boolean");
	ck_assert_str_eq(roger_spec_type_name(json_array_get(v, 6)), "null");
	json_decref(v);
}
END_TEST

/* ---- merge ---------------------------------------------------------------- */

START_TEST(test_spec_merge_nested_objects)
{
	assert_merge(
		"{\"cpus\": 0.25, \"env\": {\"A\": \"1\", \"B\": \"2\"}, \"upgradeStrategy\": {\"minimumHealthCapacity\": 1}}",
		"{\"env\": {\"B\": \"3\", \"C\": \"4\"}, \"upgradeStrategy\": {\"maximumOverCapacity\": 0.5}}",
		"{\"cpus\": 0.25, \"env\": {\"A\": \"1\", \"B\": \"3\", \"C\": \"4\"}, \"upgradeStrategy\": {\"minimumHealthCapacity\": 1, \"maximumOverCapacity\": 0.5}}");
	/* Three levels deep. */
	assert_merge("{\"a\": {\"b\": {\"c\": 1, \"d\": 2}}}",
		     "{\"a\": {\"b\": {\"d\": 3}}}",
		     "{\"a\": {\"b\": {\"c\": 1, \"d\": 3}}}");
}
END_TEST

START_TEST(test_spec_merge_arrays_replace)
{
	assert_merge(
		"{\"args\": [\"a\", \"b\", \"c\"], \"healthChecks\": [{\"path\": \"/\"}]}",
		"{\"args\": [\"z\"], \"healthChecks\": []}",
		"{\"args\": [\"z\"], \"healthChecks\": []}");
	/* An array replaces an object, and the other way round. */
	assert_merge("{\"x\": {\"a\": 1}}", "{\"x\": [1]}", "{\"x\": [1]}");
	assert_merge("{\"x\": [1]}", "{\"x\": {\"a\": 1}}",
		     "{\"x\": {\"a\": 1}}");
}
END_TEST

START_TEST(test_spec_merge_scalars_replace)
{
	assert_merge(
		"{\"instances\": 1, \"cmd\": \"a\", \"requirePorts\": false, \"mem\": 128}",
		"{\"instances\": 6, \"cmd\": \"b\", \"requirePorts\": true, \"mem\": 256.5}",
		"{\"instances\": 6, \"cmd\": \"b\", \"requirePorts\": true, \"mem\": 256.5}");
	/* A scalar replaces an object. */
	assert_merge("{\"unreachableStrategy\": {\"inactiveAfterSeconds\": 0}}",
		     "{\"unreachableStrategy\": \"disabled\"}",
		     "{\"unreachableStrategy\": \"disabled\"}");
}
END_TEST

START_TEST(test_spec_merge_null_deletes)
{
	assert_merge(
		"{\"cmd\": \"a\", \"env\": {\"A\": \"1\", \"B\": \"2\"}, \"healthChecks\": [{}]}",
		"{\"env\": {\"A\": null}, \"healthChecks\": null, \"missing\": null}",
		"{\"cmd\": \"a\", \"env\": {\"B\": \"2\"}}");
	/* Nulls inside an object the overlay adds are dropped too. */
	assert_merge("{}", "{\"env\": {\"A\": null, \"B\": \"1\"}}",
		     "{\"env\": {\"B\": \"1\"}}");
}
END_TEST

START_TEST(test_spec_merge_null_in_base)
{
	/* A null in the base is kept unless the overlay says otherwise... */
	assert_merge("{\"executor\": null, \"env\": null}", "{}",
		     "{\"executor\": null, \"env\": null}");
	/* ...and an overlay object over it starts from nothing. */
	assert_merge("{\"env\": null}",
		     "{\"env\": {\"A\": \"1\", \"B\": null}}",
		     "{\"env\": {\"A\": \"1\"}}");
	assert_merge("{\"env\": null}", "{\"env\": \"x\"}", "{\"env\": \"x\"}");
}
END_TEST

START_TEST(test_spec_merge_absent_sides)
{
	assert_merge("{\"a\": 1}", NULL, "{\"a\": 1}");
	assert_merge(NULL, "{\"a\": {\"b\": null}}", "{\"a\": {}}");
	assert_merge("{\"a\": 1}", "{}", "{\"a\": 1}");
}
END_TEST

START_TEST(test_spec_merge_keeps_base_order)
{
	assert_merge("{\"z\": 1, \"a\": 2, \"m\": 3}", "{\"b\": 4, \"a\": 5}",
		     "{\"z\": 1, \"a\": 5, \"m\": 3, \"b\": 4}");
}
END_TEST

/* ---- variables ------------------------------------------------------------ */

static const struct roger_var test_vars[] = {
	{ "commit", "0123456789abcdef0123456789abcdef01234567" },
	{ "short_commit", "0123456" },
	{ "app", "hello" },
	{ "env", "staging" },
	{ "domain", "example.com" },
	{ "domain", "shadowed.example.com" },
	{ "empty", "" },
	{ "braces", "{{ app }}" },
};

static json_t *expanded(const char *doc, int *rc, struct roger_err *err)
{
	json_t *d = J(doc), *out = NULL;

	*rc = roger_spec_expand(&out, d, test_vars,
				sizeof(test_vars) / sizeof(test_vars[0]),
				"marathon", err);
	json_decref(d);
	return out;
}

static void assert_expand(const char *doc, const char *want)
{
	struct roger_err err = ROGER_ERR_INIT;
	int rc;
	json_t *out = expanded(doc, &rc, &err);

	ck_assert_msg(rc == 0, "expand failed: %s", err.msg);
	assert_json(out, want);
	json_decref(out);
}

START_TEST(test_spec_expand_builtins_and_user_vars)
{
	assert_expand(
		"{\"env\": {\"REV\": \"{{ commit }}\", \"HOST\": \"{{ app }}.{{ domain }}\"}}",
		"{\"env\": {\"REV\": \"0123456789abcdef0123456789abcdef01234567\", \"HOST\": \"hello.example.com\"}}");
}
END_TEST

START_TEST(test_spec_expand_whitespace_inside_braces)
{
	assert_expand(
		"[\"{{app}}\", \"{{ app }}\", \"{{  app\\t}}\", \"{{\\tapp}}\"]",
		"[\"hello\", \"hello\", \"hello\", \"hello\"]");
}
END_TEST

START_TEST(test_spec_expand_several_in_one_string)
{
	assert_expand("\"{{ app }}-{{ env }}-{{ short_commit }}/{{ app }}\"",
		      "\"hello-staging-0123456/hello\"");
}
END_TEST

START_TEST(test_spec_expand_leaves_shell_text)
{
	assert_expand(
		"{\"cmd\": \"exec ./server --port $PORT0 --host ${HOST} $((1+1)) {{ app }}\"}",
		"{\"cmd\": \"exec ./server --port $PORT0 --host ${HOST} $((1+1)) hello\"}");
	/* Text that is not a whole reference stays as it is. */
	assert_expand(
		"[\"{{\", \"{{ app\", \"{{ }}\", \"{{ 1x }}\", \"{{ a b }}\", \"{{.State}}\", \"}}\"]",
		"[\"{{\", \"{{ app\", \"{{ }}\", \"{{ 1x }}\", \"{{ a b }}\", \"{{.State}}\", \"}}\"]");
	assert_expand("\"{{{ app }}}\"", "\"{hello}\"");
}
END_TEST

START_TEST(test_spec_expand_non_strings_untouched)
{
	assert_expand(
		"{\"{{ app }}\": 1, \"n\": 2.5, \"b\": true, \"z\": null, \"a\": [1, {\"k\": \"{{ env }}\"}]}",
		"{\"{{ app }}\": 1, \"n\": 2.5, \"b\": true, \"z\": null, \"a\": [1, {\"k\": \"staging\"}]}");
}
END_TEST

START_TEST(test_spec_expand_first_wins_and_no_reexpansion)
{
	assert_expand("[\"{{ domain }}\", \"{{ braces }}\", \"<{{ empty }}>\"]",
		      "[\"example.com\", \"{{ app }}\", \"<>\"]");
}
END_TEST

START_TEST(test_spec_expand_unknown_names_path)
{
	struct roger_err err = ROGER_ERR_INIT;
	int rc;
	json_t *out;

	out = expanded(
		"{\"cmd\": \"ok\", \"healthChecks\": [{\"path\": \"/{{ version }}\"}]}",
		&rc, &err);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(rc, ROGER_EINVALID);
	ck_assert_int_eq(err.code, ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"marathon.healthChecks[0].path: unknown variable 'version'; set it with --var version=VALUE or ROGER_VAR_version");

	out = expanded("{\"env\": {\"URL\": \"https://{{ domian }}/\"}}", &rc,
		       &err);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(
		err.msg,
		"marathon.env.URL: unknown variable 'domian', did you mean 'domain'?");
}
END_TEST

START_TEST(test_spec_expand_input_untouched)
{
	json_t *d = J("{\"a\": \"{{ app }}\"}"), *out = NULL;

	ck_assert_int_eq(roger_spec_expand(&out, d, test_vars, 3, NULL, NULL),
			 0);
	assert_json(d, "{\"a\": \"{{ app }}\"}");
	assert_json(out, "{\"a\": \"hello\"}");
	json_decref(d);
	json_decref(out);
}
END_TEST

START_TEST(test_spec_var_names_in_order)
{
	json_t *d = J(
		"{\"b\": \"{{ x }} {{y}}\", \"a\": [\"{{ x }}\", \"{{ z }}\", \"$PORT0\", \"{{ bad name }}\"], \"{{ key }}\": 1}");
	char **names = NULL;
	size_t n = 0;

	ck_assert_int_eq(roger_spec_var_names(&names, &n, d, NULL), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(names[0], "x");
	ck_assert_str_eq(names[1], "y");
	ck_assert_str_eq(names[2], "z");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	json_decref(d);
}
END_TEST

START_TEST(test_spec_var_name_rules)
{
	ck_assert(roger_spec_var_name_valid("domain"));
	ck_assert(roger_spec_var_name_valid("_x1"));
	ck_assert(roger_spec_var_name_valid("DB_HOST"));
	ck_assert(!roger_spec_var_name_valid("1x"));
	ck_assert(!roger_spec_var_name_valid("a-b"));
	ck_assert(!roger_spec_var_name_valid(""));
	ck_assert(!roger_spec_var_name_valid("a.b"));
	ck_assert(roger_spec_var_is_builtin("commit"));
	ck_assert(roger_spec_var_is_builtin("artifact_sha256"));
	ck_assert(!roger_spec_var_is_builtin("domain"));
	ck_assert(roger_spec_has_var("a {{b}} c"));
	ck_assert(!roger_spec_has_var("a {{ b c"));
	ck_assert(!roger_spec_has_var("$PORT0"));
	ck_assert_str_eq(roger_spec_builtin_vars()[0], "app");
}
END_TEST

/* ---- app ids -------------------------------------------------------------- */

START_TEST(test_spec_id_valid)
{
	static const char *const ok[] = {
		"/web/hello",  "hello",
		"/a",          "/a1",
		"/1a",         "/my-app",
		"/a.b-c/d",    "/product/web/api-v2",
		"/x.y.z",      "/tasks/web",
		"/versions-x", "/a--b",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct roger_err err = ROGER_ERR_INIT;

		ck_assert_msg(roger_spec_check_id(ok[i], &err) == 0,
			      "'%s' refused: %s", ok[i], err.msg);
	}
}
END_TEST

static void assert_bad_id(const char *id, const char *msg)
{
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_spec_check_id(id, &err), ROGER_EINVALID);
	ck_assert_str_eq(err.msg, msg);
}

START_TEST(test_spec_id_invalid)
{
	assert_bad_id(
		"/Web/hello",
		"invalid app id '/Web/hello': segment 'Web': 'W' is not allowed; use lowercase letters, digits, '-' and '.'");
	assert_bad_id(
		"/web/my_app",
		"invalid app id '/web/my_app': segment 'my_app': '_' is not allowed; use lowercase letters, digits, '-' and '.'");
	assert_bad_id(
		"/a b",
		"invalid app id '/a b': segment 'a b': ' ' is not allowed; use lowercase letters, digits, '-' and '.'");
	assert_bad_id(
		"/caf\xc3\xa9",
		"invalid app id '/caf\xc3\xa9': segment 'caf\xc3\xa9': '\\xc3' is not allowed; use lowercase letters, digits, '-' and '.'");
	assert_bad_id(
		"/-web",
		"invalid app id '/-web': segment '-web': a name must not start or end with '-'");
	assert_bad_id(
		"/web-",
		"invalid app id '/web-': segment 'web-': a name must not start or end with '-'");
	assert_bad_id(
		"/a.-b",
		"invalid app id '/a.-b': segment 'a.-b': a name must not start or end with '-'");
	assert_bad_id(
		"/a..b",
		"invalid app id '/a..b': segment 'a..b': '.' must separate non-empty names");
	assert_bad_id(
		"/.a",
		"invalid app id '/.a': segment '.a': '.' must separate non-empty names");
	assert_bad_id(
		"/a.",
		"invalid app id '/a.': segment 'a.': '.' must separate non-empty names");
	assert_bad_id(
		"/web/.",
		"invalid app id '/web/.': segment '.': '.' and '..' are not allowed");
	assert_bad_id(
		"/web/../x",
		"invalid app id '/web/../x': segment '..': '.' and '..' are not allowed");
	assert_bad_id(
		"//a",
		"invalid app id '//a': empty segment ('//', or '/' at an end)");
	assert_bad_id(
		"/a/",
		"invalid app id '/a/': empty segment ('//', or '/' at an end)");
	assert_bad_id("/", "invalid app id '/': it is empty");
	assert_bad_id("", "invalid app id '': it is empty");
}
END_TEST

START_TEST(test_spec_id_reserved_last_segment)
{
	assert_bad_id(
		"/web/tasks",
		"invalid app id '/web/tasks': the last segment must not be 'tasks', which Marathon reserves ('restart', 'tasks' and 'versions' are)");
	assert_bad_id(
		"/restart",
		"invalid app id '/restart': the last segment must not be 'restart', which Marathon reserves ('restart', 'tasks' and 'versions' are)");
	assert_bad_id(
		"/a/versions",
		"invalid app id '/a/versions': the last segment must not be 'versions', which Marathon reserves ('restart', 'tasks' and 'versions' are)");
}
END_TEST

START_TEST(test_spec_app_id_joins_group)
{
	static const struct {
		const char *group, *app, *id;
	} cases[] = {
		{ "/web", "hello", "/web/hello" },
		{ NULL, "hello", "/hello" },
		{ "", "hello", "/hello" },
		{ "/", "hello", "/hello" },
		{ "web", "hello", "/web/hello" },
		{ "/web/", "hello", "/web/hello" },
		{ "/product/web", "api.v2", "/product/web/api.v2" },
		{ "/tasks", "x", "/tasks/x" },
		{ "/web", "a/b", "/web/a/b" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct roger_err err = ROGER_ERR_INIT;
		char *id = NULL;

		ck_assert_msg(roger_spec_app_id(&id, cases[i].group,
						cases[i].app, &err) == 0,
			      "%s + %s: %s", cases[i].group, cases[i].app,
			      err.msg);
		ck_assert_str_eq(id, cases[i].id);
		free(id);
	}
}
END_TEST

START_TEST(test_spec_app_id_errors_name_the_part)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *id = NULL;

	ck_assert_int_eq(roger_spec_app_id(&id, "/Web", "x", &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"invalid group '/Web': segment 'Web': 'W' is not allowed; use lowercase letters, digits, '-' and '.'");
	ck_assert_int_eq(roger_spec_app_id(&id, "/web//x", "x", &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"invalid group '/web//x': empty segment ('//', or '/' at an end)");
	ck_assert_int_eq(roger_spec_app_id(&id, "/web", "/x", &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"invalid app name '/x': it must be relative to the group (put the leading path in 'group')");
	ck_assert_int_eq(roger_spec_app_id(&id, "/web", "tasks", &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"invalid app name 'tasks': the last segment must not be 'tasks', which Marathon reserves ('restart', 'tasks' and 'versions' are)");
	ck_assert_int_eq(roger_spec_app_id(&id, "/web", "", &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_spec_app_id(&id, "/web", "..", &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_spec_app_id(&id, "/web", "a_b", &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(id);
}
END_TEST

static Suite *spec_suite(void)
{
	Suite *s = suite_create("spec");
	TCase *tc;

	tc = tcase_create("path");
	tcase_add_test(tc, test_spec_path_plain_and_quoted_keys);
	tcase_add_test(tc, test_spec_type_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("merge");
	tcase_add_test(tc, test_spec_merge_nested_objects);
	tcase_add_test(tc, test_spec_merge_arrays_replace);
	tcase_add_test(tc, test_spec_merge_scalars_replace);
	tcase_add_test(tc, test_spec_merge_null_deletes);
	tcase_add_test(tc, test_spec_merge_null_in_base);
	tcase_add_test(tc, test_spec_merge_absent_sides);
	tcase_add_test(tc, test_spec_merge_keeps_base_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("variables");
	tcase_add_test(tc, test_spec_expand_builtins_and_user_vars);
	tcase_add_test(tc, test_spec_expand_whitespace_inside_braces);
	tcase_add_test(tc, test_spec_expand_several_in_one_string);
	tcase_add_test(tc, test_spec_expand_leaves_shell_text);
	tcase_add_test(tc, test_spec_expand_non_strings_untouched);
	tcase_add_test(tc, test_spec_expand_first_wins_and_no_reexpansion);
	tcase_add_test(tc, test_spec_expand_unknown_names_path);
	tcase_add_test(tc, test_spec_expand_input_untouched);
	tcase_add_test(tc, test_spec_var_names_in_order);
	tcase_add_test(tc, test_spec_var_name_rules);
	suite_add_tcase(s, tc);

	tc = tcase_create("ids");
	tcase_add_test(tc, test_spec_id_valid);
	tcase_add_test(tc, test_spec_id_invalid);
	tcase_add_test(tc, test_spec_id_reserved_last_segment);
	tcase_add_test(tc, test_spec_app_id_joins_group);
	tcase_add_test(tc, test_spec_app_id_errors_name_the_part);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(spec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
