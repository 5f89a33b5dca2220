/*
 * check_local.c - unit tests of roger local's pure parts: app definitions
 * as Marathon reads and prints them, ids, timestamps, number formats, the
 * Host and token rules and the token file; and servers as a library
 * user runs them: one in the background, and two in one process.  (The
 * server itself is tested over HTTP by tests/cli/t70*-local-*.sh.)
 */
#include <config.h>

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/roger.h"
#include "lib/local/auth.h"
#include "lib/local/router.h"
#include "lib/local/container.h"
#include "lib/local/images.h"
#include "lib/local/internal.h"
#include "lib/util.h"

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);

	ck_assert_msg(doc != NULL, "bad test JSON: %s", jerr.text);
	return doc;
}

/* Normalize `text`; expect failure with `status`, message and first path. */
static void expect_invalid(const char *text, int status, const char *message,
			   const char *path, const char *error)
{
	json_t *in = parse(text), *err = NULL, *out, *d0;
	int st = 0;

	out = roger_local_app_normalize(in, NULL, &st, &err);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(st, status);
	ck_assert_str_eq(json_string_value(json_object_get(err, "message")),
			 message);
	d0 = json_array_get(json_object_get(err, "details"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(d0, "path")), path);
	if (error)
		ck_assert_str_eq(json_string_value(json_array_get(
					 json_object_get(d0, "errors"), 0)),
				 error);
	json_decref(err);
	json_decref(in);
}

START_TEST(test_local_app_defaults_in_1_10_order)
{
	json_t *in = parse("{\"id\":\"web\",\"cmd\":\"run\"}"), *err = NULL,
	       *out;
	const char *want[] = { "id",
			       "backoffFactor",
			       "backoffSeconds",
			       "cmd",
			       "cpus",
			       "disk",
			       "executor",
			       "instances",
			       "labels",
			       "maxLaunchDelaySeconds",
			       "mem",
			       "gpus",
			       "networks",
			       "portDefinitions",
			       "requirePorts",
			       "upgradeStrategy",
			       "killSelection",
			       "unreachableStrategy",
			       "role" };
	const char *k;
	json_t *v;
	size_t i = 0;
	int st = 0;
	char *text;

	out = roger_local_app_normalize(in, NULL, &st, &err);
	ck_assert_ptr_nonnull(out);
	json_object_foreach(out, k, v) {
		ck_assert_uint_lt(i, sizeof(want) / sizeof(want[0]));
		ck_assert_str_eq(k, want[i]);
		i++;
	}
	ck_assert_uint_eq(i, sizeof(want) / sizeof(want[0]));
	text = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(15));
	ck_assert_str_eq(
		text,
		"{\"id\":\"/web\",\"backoffFactor\":1.15,\"backoffSeconds\":1,"
		"\"cmd\":\"run\",\"cpus\":1,\"disk\":0,\"executor\":\"\","
		"\"instances\":1,\"labels\":{},\"maxLaunchDelaySeconds\":300,"
		"\"mem\":128,\"gpus\":0,\"networks\":[{\"mode\":\"host\"}],"
		"\"portDefinitions\":[{\"port\":0,\"name\":\"default\",\"protocol\":\"tcp\"}],"
		"\"requirePorts\":false,\"upgradeStrategy\":{\"maximumOverCapacity\":1,"
		"\"minimumHealthCapacity\":1},\"killSelection\":\"YOUNGEST_FIRST\","
		"\"unreachableStrategy\":{\"inactiveAfterSeconds\":0,\"expungeAfterSeconds\":0},"
		"\"role\":\"*\"}");
	free(text);
	json_decref(out);
	json_decref(in);
}
END_TEST

START_TEST(test_local_app_health_check_and_fetch_defaults)
{
	json_t *in = parse(
		"{\"id\":\"/a\",\"args\":[\"x\"],\"uris\":[\"http://h/a.tgz\",\"http://h/b\"],"
		"\"healthChecks\":[{},{\"protocol\":\"COMMAND\",\"command\":{\"value\":\"true\"}},{\"protocol\":\"TCP\",\"port\":8080}]}");
	json_t *err = NULL, *out, *hc;
	int st = 0;

	out = roger_local_app_normalize(in, NULL, &st, &err);
	ck_assert_ptr_nonnull(out);
	hc = json_array_get(json_object_get(out, "healthChecks"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(hc, "protocol")),
			 "HTTP");
	ck_assert_str_eq(json_string_value(json_object_get(hc, "path")), "/");
	ck_assert_int_eq(
		json_integer_value(json_object_get(hc, "gracePeriodSeconds")),
		300);
	ck_assert_int_eq(
		json_integer_value(json_object_get(hc, "intervalSeconds")), 60);
	ck_assert_int_eq(
		json_integer_value(json_object_get(hc, "timeoutSeconds")), 20);
	ck_assert_int_eq(json_integer_value(
				 json_object_get(hc, "maxConsecutiveFailures")),
			 3);
	ck_assert(json_is_false(json_object_get(hc, "ignoreHttp1xx")));
	hc = json_array_get(json_object_get(out, "healthChecks"), 1);
	ck_assert_ptr_null(json_object_get(hc, "portIndex"));
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(hc, "command"), "value")),
			 "true");
	hc = json_array_get(json_object_get(out, "healthChecks"), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(hc, "port")), 8080);
	ck_assert_ptr_null(json_object_get(hc, "path"));
	ck_assert(json_is_true(json_object_get(
		json_array_get(json_object_get(out, "fetch"), 0), "extract")));
	ck_assert(json_is_false(json_object_get(
		json_array_get(json_object_get(out, "fetch"), 1), "extract")));
	ck_assert_ptr_null(json_object_get(out, "cmd"));
	json_decref(out);
	json_decref(in);
}
END_TEST

START_TEST(test_local_app_validation)
{
	expect_invalid("{\"cmd\":\"x\"}", 422, "Invalid JSON", "/id",
		       "error.path.missing");
	expect_invalid("{\"id\":\"/A\",\"cmd\":\"x\"}", 422, "Invalid JSON",
		       "/id", "error.pattern");
	expect_invalid("{\"id\":\"/a/versions\",\"cmd\":\"x\"}", 422,
		       "Object is not valid", "/id", NULL);
	expect_invalid(
		"{\"id\":\"/a\"}", 422, "Object is not valid", "/",
		"AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
	expect_invalid("{\"id\":\"/a\",\"cmd\":\"x\",\"args\":[\"y\"]}", 422,
		       "Object is not valid", "/", NULL);
	expect_invalid("{\"id\":\"/a\",\"cmd\":\"x\",\"cpus\":\"1\"}", 422,
		       "Invalid JSON", "/cpus", "error.expected.jsnumber");
	expect_invalid("{\"id\":\"/a\",\"cmd\":\"x\",\"mem\":-1}", 422,
		       "Invalid JSON", "/mem", "error.min");
	expect_invalid("{\"id\":\"/a\",\"cmd\":\"x\",\"instances\":1.5}", 422,
		       "Invalid JSON", "/instances", "error.expected.int");
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"upgradeStrategy\":{\"maximumOverCapacity\":2}}",
		422, "Object is not valid",
		"/upgradeStrategy/maximumOverCapacity", "is greater than 1");
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"healthChecks\":[{\"portIndex\":1}]}",
		422, "Object is not valid", "/healthChecks(0)", NULL);
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"healthChecks\":[{\"protocol\":\"GOPHER\"}]}",
		422, "Invalid JSON", "/healthChecks(0)/protocol",
		"error.unknown.enum.literal");
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"container\":{\"docker\":{\"image\":\"nginx\",\"privileged\":true}}}",
		422, "Object is not valid", "/container/docker/privileged",
		"privileged containers are not supported by roger local");
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"container\":{\"type\":\"MESOS\",\"docker\":{\"image\":\"nginx\"},\"volumes\":[{\"containerPath\":\"/d\",\"hostPath\":\"/\",\"mode\":\"RW\"}]}}",
		422, "Object is not valid", "/container/volumes", NULL);
	expect_invalid(
		"{\"id\":\"/a\",\"container\":{\"type\":\"MESOS\"}}", 422,
		"Object is not valid", "/",
		"AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"networks\":[{\"mode\":\"container/bridge\"}]}",
		422, "Object is not valid", "/networks", NULL);
	expect_invalid("{\"id\":\"/a\",\"cmd\":\"x\",\"env\":{\"A\":1}}", 422,
		       "Invalid JSON", "/env/A", "error.expected.jsstring");
}
END_TEST

/*
 * Ints are Scala Ints: a number beyond 32 bits is error.expected.int, as
 * Play reads it.  Fuzzing found "instances":1e308 cast to a long, which C
 * leaves undefined (UBSan aborts; x86 gave LONG_MIN and "error.min").
 */
START_TEST(test_local_app_numbers_beyond_int)
{
	json_t *in, *out, *err = NULL;
	int st = 0;

	expect_invalid("{\"id\":\"/a\",\"cmd\":\"x\",\"instances\":1e308}", 422,
		       "Invalid JSON", "/instances", "error.expected.int");
	expect_invalid("{\"id\":\"/a\",\"cmd\":\"x\",\"instances\":-1e308}",
		       422, "Invalid JSON", "/instances", "error.expected.int");
	expect_invalid("{\"id\":\"/a\",\"cmd\":\"x\",\"instances\":2147483648}",
		       422, "Invalid JSON", "/instances", "error.expected.int");
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"backoffSeconds\":9.3e18}", 422,
		"Invalid JSON", "/backoffSeconds", "error.expected.int");
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"maxLaunchDelaySeconds\":\"1\"}",
		422, "Invalid JSON", "/maxLaunchDelaySeconds",
		"error.expected.jsnumber");
	/* health check times are multiplied into ms: 9e15 s overflowed that */
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"healthChecks\":[{\"intervalSeconds\":9000000000000000}]}",
		422, "Invalid JSON", "/healthChecks(0)/intervalSeconds",
		"error.expected.int");
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"healthChecks\":[{\"delaySeconds\":1e300}]}",
		422, "Invalid JSON", "/healthChecks(0)/delaySeconds",
		"error.expected.int");
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"taskKillGracePeriodSeconds\":1e308}",
		422, "Invalid JSON", "/taskKillGracePeriodSeconds",
		"error.max");
	/*
	 * Legacy ports are port definitions: checked alike (fuzzing found
	 * 21474836480 stored, and GET then printing what PUT refuses).
	 */
	expect_invalid(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"ports\":[1,21474836480]}", 422,
		"Object is not valid", "/portDefinitions(1)/port",
		"is not between 0 and 65535");
	expect_invalid("{\"id\":\"/a\",\"cmd\":\"x\",\"ports\":[-1]}", 422,
		       "Object is not valid", "/portDefinitions(0)/port",
		       "is not between 0 and 65535");
	/* the largest Int passes, and an integral real counts as an int */
	in = parse(
		"{\"id\":\"/a\",\"cmd\":\"x\",\"instances\":2147483647,\"backoffSeconds\":2.0,"
		"\"healthChecks\":[{\"intervalSeconds\":10.0}]}");
	out = roger_local_app_normalize(in, NULL, &st, &err);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "instances")),
			 2147483647);
	ck_assert_int_eq(
		json_integer_value(json_object_get(out, "backoffSeconds")), 2);
	ck_assert_int_eq(
		json_integer_value(json_object_get(
			json_array_get(json_object_get(out, "healthChecks"), 0),
			"intervalSeconds")),
		10);
	json_decref(out);
	json_decref(in);
}
END_TEST

START_TEST(test_local_app_ids)
{
	char why[160], *id;

	id = roger_local_app_id("web/hello/", "/", why, sizeof(why));
	ck_assert_str_eq(id, "/web/hello");
	free(id);
	id = roger_local_app_id("/a/./b/../c", "/", why, sizeof(why));
	ck_assert_str_eq(id, "/a/c");
	free(id);
	id = roger_local_app_id("/a.b-c/x1", "/", why, sizeof(why));
	ck_assert_str_eq(id, "/a.b-c/x1");
	free(id);
	ck_assert_ptr_null(roger_local_app_id("/-a", "/", why, sizeof(why)));
	ck_assert_ptr_null(roger_local_app_id("/a-", "/", why, sizeof(why)));
	ck_assert_ptr_null(roger_local_app_id("/a_b", "/", why, sizeof(why)));
	ck_assert_ptr_null(roger_local_app_id("/a..b", "/", why, sizeof(why)));
	ck_assert_ptr_null(roger_local_app_id("/", "/", why, sizeof(why)));
	ck_assert_ptr_null(
		roger_local_app_id("/g/restart", "/", why, sizeof(why)));
	ck_assert(strstr(why, "reserved keywords") != NULL);
}
END_TEST

START_TEST(test_local_config_change_ignores_instances)
{
	json_t *a = parse("{\"id\":\"/a\",\"instances\":1,\"cmd\":\"x\"}");
	json_t *b = parse("{\"id\":\"/a\",\"instances\":5,\"cmd\":\"x\"}");
	json_t *c = parse("{\"id\":\"/a\",\"instances\":5,\"cmd\":\"y\"}");

	ck_assert(!roger_local_app_config_differs(a, b));
	ck_assert(roger_local_app_config_differs(a, c));
	json_decref(a);
	json_decref(b);
	json_decref(c);
}
END_TEST

START_TEST(test_local_time_format)
{
	char ts[ROGER_LOCAL_TIME_LEN];
	int64_t ms;

	roger_local_fmt_time(ts, 1393717340938LL);
	ck_assert_str_eq(ts, "2014-03-01T23:42:20.938Z");
	ck_assert(roger_marathon_time_parse(&ms, "2014-03-01T23:42:20.938Z"));
	ck_assert_int_eq(ms, 1393717340938LL);
	ck_assert(roger_marathon_time_parse(&ms, "2014-03-01T23:42:20Z"));
	ck_assert_int_eq(ms, 1393717340000LL);
	ck_assert(roger_marathon_time_parse(&ms, "2014-03-01T23:42:20.9Z"));
	ck_assert_int_eq(ms, 1393717340900LL);
	ck_assert(!roger_marathon_time_parse(&ms, "2014-03-01 23:42:20.938Z"));
	ck_assert(!roger_marathon_time_parse(&ms, "yesterday"));
	ck_assert(!roger_marathon_time_parse(&ms, "2014-13-01T23:42:20.938Z"));
}
END_TEST

START_TEST(test_local_numbers_and_ids)
{
	char buf[64], uuid[37];

	roger_local_fmt_double(buf, sizeof(buf), 1);
	ck_assert_str_eq(buf, "1.0");
	roger_local_fmt_double(buf, sizeof(buf), 0.25);
	ck_assert_str_eq(buf, "0.25");
	roger_local_fmt_double(buf, sizeof(buf), 0.1);
	ck_assert_str_eq(buf, "0.1");
	roger_local_fmt_double(buf, sizeof(buf), 128);
	ck_assert_str_eq(buf, "128.0");
	roger_local_safe_id(buf, sizeof(buf), "/product/web");
	ck_assert_str_eq(buf, "product_web");
	roger_uuid(uuid);
	ck_assert_uint_eq(strlen(uuid), 36);
	ck_assert_int_eq(uuid[14], '4');
	ck_assert(strchr("89ab", uuid[19]) != NULL);
}
END_TEST

START_TEST(test_local_host_rule)
{
	static const char *const ok[] = {
		"127.0.0.1",      "127.0.0.1:7878", "localhost",
		"LocalHost:7878", "[::1]",          "[::1]:7878",
	};
	static const char *const refused[] = {
		"evil.example.com",
		"evil.example.com:7878",
		"127.0.0.1:7879",
		"localhost:78780",
		"localhost:07878",
		"localhost:+7878",
		"localhost:",
		"localhost.",
		"localhost.evil.example.com",
		"127.0.0.1.nip.io:7878",
		"127.0.0.2",
		"0.0.0.0:7878",
		"[::1",
		"[::1]x",
		"[::1]:",
		"[::2]:7878",
		"::1",
		"",
		"localhost:7878:1",
		"localhost :7878",
		"evil.example.com#@localhost",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(roger_local_host_ok(ok[i], 7878), "refused '%s'",
			      ok[i]);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(!roger_local_host_ok(refused[i], 7878),
			      "accepted '%s'", refused[i]);
	ck_assert(!roger_local_host_ok(NULL, 7878));
}
END_TEST

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(test_local_token_rule)
{
	ck_assert(roger_local_auth_ok("token=" TOKEN, TOKEN));
	ck_assert(roger_local_auth_ok("Token=" TOKEN, TOKEN));
	ck_assert(!roger_local_auth_ok(NULL, TOKEN));
	ck_assert(!roger_local_auth_ok("", TOKEN));
	ck_assert(!roger_local_auth_ok("token=", TOKEN));
	ck_assert(!roger_local_auth_ok(TOKEN, TOKEN));
	ck_assert(!roger_local_auth_ok("Bearer " TOKEN, TOKEN));
	ck_assert(!roger_local_auth_ok("token=" TOKEN "0", TOKEN));
	ck_assert(!roger_local_auth_ok("token=0123456789abcdef", TOKEN));
	ck_assert(!roger_local_auth_ok(
		"token=1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		TOKEN));
	ck_assert(!roger_local_auth_ok(
		"token=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeF",
		TOKEN));
	/* An empty token (no server state) admits nobody. */
	ck_assert(!roger_local_auth_ok("token=", ""));
}
END_TEST

START_TEST(test_local_own_url)
{
	ck_assert(roger_local_url_is_own(
		"http://127.0.0.1:7878/artifacts/a.tgz", 7878));
	ck_assert(roger_local_url_is_own(
		"http://localhost:7878/artifacts/a.tgz", 7878));
	ck_assert(roger_local_url_is_own("http://[::1]:7878/x", 7878));
	ck_assert(roger_local_url_is_own("HTTP://LOCALHOST:7878/x?y=1", 7878));
	ck_assert(!roger_local_url_is_own(
		"http://127.0.0.1:7879/artifacts/a.tgz", 7878));
	ck_assert(!roger_local_url_is_own("http://127.0.0.1/artifacts/a.tgz",
					  7878));
	ck_assert(
		roger_local_url_is_own("http://127.0.0.1/artifacts/a.tgz", 80));
	ck_assert(
		!roger_local_url_is_own("https://127.0.0.1:7878/a.tgz", 7878));
	ck_assert(!roger_local_url_is_own("ftp://127.0.0.1:7878/a.tgz", 7878));
	ck_assert(!roger_local_url_is_own("http://evil.example.com:7878/a.tgz",
					  7878));
	ck_assert(!roger_local_url_is_own(
		"http://127.0.0.1.evil.example.com:7878/", 7878));
	ck_assert(!roger_local_url_is_own(
		"http://evil.example.com:7878@127.0.0.2:7878/", 7878));
	ck_assert(!roger_local_url_is_own("/srv/a.tgz", 7878));
	ck_assert(!roger_local_url_is_own("file:///srv/a.tgz", 7878));
	ck_assert(!roger_local_url_is_own("not a url", 7878));
}
END_TEST

START_TEST(test_local_token_file)
{
	char dir[] = "/tmp/roger-check-token.XXXXXX", path[64];
	char first[ROGER_LOCAL_TOKEN_LEN + 1], again[ROGER_LOCAL_TOKEN_LEN + 1];
	struct roger_err err = ROGER_ERR_INIT;
	struct stat st;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	ck_assert_int_eq(roger_local_token_read(first, dir, &err),
			 ROGER_ENOTFOUND);
	/* Made on first use: 64 hex digits, mode 0600. */
	ck_assert_int_eq(roger_local_token_ensure(first, NULL, dir, &err), 0);
	ck_assert_uint_eq(strlen(first), ROGER_LOCAL_TOKEN_LEN);
	ck_assert_uint_eq(strspn(first, "0123456789abcdef"),
			  ROGER_LOCAL_TOKEN_LEN);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	/* Kept across restarts. */
	ck_assert_int_eq(roger_local_token_ensure(again, NULL, dir, &err), 0);
	ck_assert_str_eq(again, first);
	ck_assert_int_eq(roger_local_token_read(again, dir, &err), 0);
	ck_assert_str_eq(again, first);
	/* One others could read is replaced by a new one. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(roger_local_token_read(again, dir, &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(strstr(err.msg, first));
	ck_assert_int_eq(roger_local_token_ensure(again, NULL, dir, &err), 0);
	ck_assert_str_ne(again, first);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	/* So is one that does not hold a token (and the text is not shown). */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("my-own-secret\n", f);
	fclose(f);
	chmod(path, 0600);
	ck_assert_int_eq(roger_local_token_read(first, dir, &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(strstr(err.msg, "my-own-secret"));
	ck_assert_int_eq(roger_local_token_ensure(first, NULL, dir, &err), 0);
	ck_assert_str_ne(first, again);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_local_up_status_stop)
{
	const char *roger = getenv("ROGER");
	char dir[] = "/tmp/roger-check-local.XXXXXX";
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_local_status st, again;
	struct roger_ctx *ctx = NULL;
	char *cmd;

	if (!roger) {
		/* Only `make check` says where the binary is. */
		fprintf(stderr,
			"test_local_up_status_stop: skipped: $ROGER "
			"(the roger binary, set by make check) is unset\n");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(roger_ctx_new(&ctx, &err), 0);
	ck_assert_int_eq(roger_local_status(&st, dir, &err), 0);
	ck_assert(!st.running);
	ck_assert_msg(roger_local_up(&st, ctx, roger, dir, 0, 30000, &err) == 0,
		      "%s", err.msg);
	ck_assert(st.running);
	ck_assert_int_gt(st.port, 0);
	ck_assert(roger_local_ping(st.port, 2000));
	/* Already running: an error, and `again` is left alone. */
	memset(&again, 0, sizeof(again));
	again.pid = -42;
	ck_assert_int_eq(
		roger_local_up(&again, ctx, roger, dir, 0, 30000, &err),
		ROGER_EEXISTS);
	ck_assert_int_eq(again.pid, -42);
	ck_assert(!again.running);
	ck_assert_int_eq(roger_local_status(&again, dir, &err), 0);
	ck_assert_int_eq(again.pid, st.pid);
	ck_assert_int_eq(roger_local_stop(ctx, dir, 60000, &err), 0);
	ck_assert_int_eq(roger_local_status(&st, dir, &err), 0);
	ck_assert(!st.running);
	ck_assert_int_eq(roger_local_stop(ctx, dir, 1000, &err),
			 ROGER_ENOTFOUND);
	roger_ctx_free(ctx);
	ck_assert_int_ne(asprintf(&cmd, "rm -rf '%s'", dir), -1);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}
END_TEST

/* ---- servers in one process ----------------------------------------------- */

/* A roger local served by a thread of this process. */
struct server {
	char dir[64];
	struct roger_ctx *ctx;
	volatile sig_atomic_t stop;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready, done;
	char url[64];
	int rc;
	struct roger_err err;
	struct roger_marathon *m;
};

static void server_ready(void *data, const char *url)
{
	struct server *s = data;

	pthread_mutex_lock(&s->lock);
	snprintf(s->url, sizeof(s->url), "%s", url);
	s->ready = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void *server_main(void *data)
{
	struct server *s = data;
	struct roger_local_options o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.state_dir = s->dir;
	o.cpus = 2;
	o.mem = 1024;
	rc = roger_local_serve(s->ctx, &o, &s->stop, server_ready, s, &s->err);
	pthread_mutex_lock(&s->lock);
	s->rc = rc;
	s->done = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Wait at most `seconds` for `*flag` (under s->lock); whether it came. */
static bool server_wait(struct server *s, const bool *flag, int seconds)
{
	struct timespec ts;
	bool got;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	pthread_mutex_lock(&s->lock);
	while (!*flag && !s->done &&
	       pthread_cond_timedwait(&s->cond, &s->lock, &ts) == 0)
		;
	got = *flag;
	pthread_mutex_unlock(&s->lock);
	return got;
}

static void server_start(struct server *s)
{
	struct roger_http_client_opts o = { 0 };
	struct roger_http_client *http = NULL;
	struct roger_auth auth = { 0 };
	char token[ROGER_LOCAL_TOKEN_LEN + 1];
	const char *bases[1];

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/roger-check-two.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	ck_assert_int_eq(roger_ctx_new(&s->ctx, NULL), 0);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	ck_assert_int_eq(pthread_create(&s->thread, NULL, server_main, s), 0);
	ck_assert_msg(server_wait(s, &s->ready, 30),
		      "the server of %s did not start: %s", s->dir, s->err.msg);
	ck_assert_int_eq(roger_local_token_read(token, s->dir, NULL), 0);
	bases[0] = s->url;
	o.name = "marathon";
	o.bases = bases;
	o.n_bases = 1;
	o.timeout_ms = 10000;
	auth.kind = ROGER_AUTH_TOKEN;
	auth.token = token;
	o.auth = &auth;
	ck_assert_int_eq(roger_http_client_new(&http, s->ctx, &o, NULL, NULL),
			 0);
	ck_assert_int_eq(roger_marathon_new(&s->m, s->ctx, http, NULL), 0);
}

/* Ask the server to stop; whether it did within 30 s (then it is joined). */
static bool server_stop(struct server *s)
{
	roger_marathon_free(s->m);
	s->m = NULL;
	s->stop = 1;
	if (!server_wait(s, &s->done, 30))
		return false;
	pthread_join(s->thread, NULL);
	return true;
}

static void server_free(struct server *s)
{
	char *cmd;

	roger_ctx_free(s->ctx);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	ck_assert_int_ne(asprintf(&cmd, "rm -rf '%s'", s->dir), -1);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* Run /two with `instances` on `s`, and wait until that many run. */
static void run_two(struct server *s, int instances)
{
	struct roger_marathon_deployment_result res;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *app = json_pack("{s:s,s:s,s:f,s:i,s:i}", "id", "/two", "cmd",
				"sleep 300", "cpus", 0.1, "mem", 16,
				"instances", instances);
	int running = -1;

	memset(&res, 0, sizeof(res));
	ck_assert_msg(roger_marathon_put_app(&res, NULL, s->m, "/two", app, 0,
					     &err) == 0,
		      "%s", err.msg);
	json_decref(app);
	for (int i = 0; i < 300 && running != instances; i++) {
		struct roger_marathon_app *a = NULL;

		if (i)
			usleep(100000);
		ck_assert_msg(
			roger_marathon_get_app(&a, s->m, "/two", 0, &err) == 0,
			"%s", err.msg);
		running = a->tasks_running;
		roger_marathon_app_free(a);
	}
	ck_assert_int_eq(running, instances);
}

START_TEST(test_local_two_servers_in_one_process)
{
	struct server a, b;

	server_start(&a);
	server_start(&b);
	ck_assert_str_ne(a.url, b.url);
	run_two(&a, 1);
	run_two(&b, 1);
	/* Each has its own scheduler: stopping the first stops its own,
	 * and the second goes on scheduling. */
	ck_assert_msg(server_stop(&a), "the first server did not stop");
	ck_assert_msg(a.rc == 0, "%s", a.err.msg);
	run_two(&b, 2);
	ck_assert_msg(server_stop(&b), "the second server did not stop");
	ck_assert_msg(b.rc == 0, "%s", b.err.msg);
	server_free(&a);
	server_free(&b);
}
END_TEST

/* ---- containers: what runs, with what environment (the UCR's rules) ------ */

static char *entry_busybox[] = { (char *)"/bin/busybox", NULL };
static char *cmd_echo[] = { (char *)"/bin/echo", (char *)"from-cmd", NULL };
static char *img_env[] = { (char *)"PATH=/bin", (char *)"GREETING=image",
			   (char *)"KEEP=1", NULL };

static void check_argv(const char *cmd, const char *const *args, char **entry,
		       char **cmdv, const char *want)
{
	struct roger_image_use img;
	struct roger_err err = ROGER_ERR_INIT;
	char **argv = NULL, joined[512] = "";
	int rc;

	memset(&img, 0, sizeof(img));
	img.entrypoint = entry;
	img.cmd = cmdv;
	rc = roger_container_argv(&argv, cmd, args, &img, &err);
	if (!want) {
		ck_assert_int_eq(rc, ROGER_EINVALID);
		ck_assert_str_eq(
			err.msg,
			"Failed to determine the launch command: No executable is found");
		return;
	}
	ck_assert_int_eq(rc, 0);
	for (char **p = argv; *p; p++) {
		strcat(joined, p == argv ? "" : "|");
		strcat(joined, *p);
		free(*p);
	}
	free(argv);
	ck_assert_str_eq(joined, want);
}

START_TEST(test_local_container_argv)
{
	const char *const args[] = { "sh", "-c", "x", NULL };

	/* cmd: /bin/sh -c, whatever the image says */
	check_argv("echo hi", NULL, entry_busybox, cmd_echo,
		   "/bin/sh|-c|echo hi");
	/* args go to the Entrypoint, Cmd dropped */
	check_argv(NULL, args, entry_busybox, cmd_echo, "/bin/busybox|sh|-c|x");
	/* no Entrypoint: Cmd[0] then args */
	check_argv(NULL, args, NULL, cmd_echo, "/bin/echo|sh|-c|x");
	/* neither: Entrypoint then Cmd, or Cmd alone */
	check_argv(NULL, NULL, entry_busybox, cmd_echo,
		   "/bin/busybox|/bin/echo|from-cmd");
	check_argv(NULL, NULL, NULL, cmd_echo, "/bin/echo|from-cmd");
	check_argv(NULL, NULL, NULL, NULL, NULL);
	check_argv(NULL, args, NULL, NULL, NULL);
}
END_TEST

START_TEST(test_local_container_env)
{
	struct roger_image_use img;
	char *task[] = { (char *)"GREETING=app", (char *)"PORT0=31000", NULL },
	     **env = NULL;
	char joined[512] = "";

	memset(&img, 0, sizeof(img));
	img.env = img_env;
	ck_assert_int_eq(roger_container_env(&env, task, &img), 0);
	for (char **p = env; *p; p++) {
		strcat(joined, p == env ? "" : " ");
		strcat(joined, *p);
		free(*p);
	}
	free(env);
	/* the image's first, those the task sets overridden by the task's */
	ck_assert_str_eq(joined, "PATH=/bin KEEP=1 GREETING=app PORT0=31000");
	img.env = NULL;
	ck_assert_int_eq(roger_container_env(&env, task, &img), 0);
	ck_assert_str_eq(env[2], "PATH=" ROGER_CONTAINER_PATH);
	for (char **p = env; *p; p++)
		free(*p);
	free(env);
}
END_TEST

START_TEST(test_local_container_exec_paths)
{
	char **v = NULL;

	ck_assert_int_eq(roger_container_exec_paths(
				 &v, "httpd", "/usr/bin:/bin::rel", "/srv"),
			 0);
	ck_assert_str_eq(v[0], "/usr/bin/httpd");
	ck_assert_str_eq(v[1], "/bin/httpd");
	ck_assert_str_eq(v[2], "/srv/httpd");
	ck_assert_str_eq(v[3], "/srv/rel/httpd");
	ck_assert_ptr_null(v[4]);
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
	ck_assert_int_eq(roger_container_exec_paths(&v, "./run", NULL, "/app"),
			 0);
	ck_assert_str_eq(v[0], "/app/./run");
	ck_assert_ptr_null(v[1]);
	free(v[0]);
	free(v);
}
END_TEST

START_TEST(test_local_container_user)
{
	char dir[] = "/tmp/check_local_user.XXXXXX", path[128];
	struct roger_err err = ROGER_ERR_INIT;
	uid_t uid;
	gid_t gid;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/etc", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/passwd", dir);
	f = fopen(path, "w");
	fputs("root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/srv:/bin/sh\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/etc/group", dir);
	f = fopen(path, "w");
	fputs("root:x:0:\nstaff:x:50:\n", f);
	fclose(f);
	ck_assert_int_eq(roger_container_user(&uid, &gid, dir, "", &err), 0);
	ck_assert_int_eq(uid, 0);
	ck_assert_int_eq(roger_container_user(&uid, &gid, dir, "app", &err), 0);
	ck_assert_int_eq(uid, 1000);
	ck_assert_int_eq(gid, 1001);
	ck_assert_int_eq(
		roger_container_user(&uid, &gid, dir, "app:staff", &err), 0);
	ck_assert_int_eq(gid, 50);
	ck_assert_int_eq(roger_container_user(&uid, &gid, dir, "4242:7", &err),
			 0);
	ck_assert_int_eq(uid, 4242);
	ck_assert_int_eq(gid, 7);
	ck_assert_int_eq(roger_container_user(&uid, &gid, dir, "nobody", &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"unable to find user nobody: no matching entries in passwd file");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST
/* ---- the router's HTTP front (router-http.c) ------------------------------ */

START_TEST(test_router_head_parse)
{
	static const struct {
		const char *in;
		int rc;
		const char *host, *app_id; /* NULL: absent */
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: a.localhost:7880\r\n\r\n", 1,
		  "a.localhost:7880", NULL },
		{ "GET / HTTP/1.1\r\nhOST:  b.test \r\nX-Marathon-App-Id:/web/x\r\n\r\nBODY",
		  1, "b.test", "/web/x" },
		{ "GET / HTTP/1.1\r\nHost: first\r\nHost: second\r\n\r\n", 1,
		  "first", NULL },
		{ "GET / HTTP/1.1\r\n\r\n", 1, NULL, NULL },
		{ "GET / HTTP/1.1\r\nHost: a", 0, NULL, NULL },
		{ "GET / HTTP/1.1\r\n Host: folded\r\n\r\n", -1, NULL, NULL },
		{ "GET / HTTP/1.1\r\nno colon\r\n\r\n", -1, NULL, NULL },
		{ "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", -1, NULL, NULL },
		{ "NOSPACE\r\n\r\n", -1, NULL, NULL },
		{ "\r\n\r\n", -1, NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct roger_router_head h;
		int rc = roger_router_head_parse(&h, cases[i].in,
						 strlen(cases[i].in));

		ck_assert_msg(rc == cases[i].rc, "case %zu: %d", i, rc);
		if (rc != 1)
			continue;
		if (cases[i].host)
			ck_assert(h.host_len == strlen(cases[i].host) &&
				  !memcmp(h.host, cases[i].host, h.host_len));
		else
			ck_assert_ptr_null(h.host);
		if (cases[i].app_id)
			ck_assert(h.app_id_len == strlen(cases[i].app_id) &&
				  !memcmp(h.app_id, cases[i].app_id,
					  h.app_id_len));
		else
			ck_assert_ptr_null(h.app_id);
	}
}
END_TEST

START_TEST(test_router_head_rewrite)
{
	const char *in =
		"GET /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nkeep-alive: 5\r\nAccept: */*\r\nProxy-Connection: x\r\n\r\nrest";
	struct roger_router_head h;
	size_t len;
	char *out;

	ck_assert_int_eq(roger_router_head_parse(&h, in, strlen(in)), 1);
	out = roger_router_head_rewrite(in, &h, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(
		len,
		strlen("GET /x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nConnection: close\r\n\r\n"));
	ck_assert(!memcmp(
		out,
		"GET /x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nConnection: close\r\n\r\n",
		len));
	free(out);
}
END_TEST

START_TEST(test_router_host_app)
{
	static const struct {
		const char *host, *id; /* NULL: no app */
	} cases[] = {
		{ "hello.web.localhost", "/web/hello" },
		{ "Hello.Web.LOCALHOST:7880", "/web/hello" },
		{ "db.a.b.localhost.", "/b/a/db" },
		{ "one.localhost", "/one" },
		{ "localhost", NULL },
		{ ".localhost", NULL },
		{ "a..b.localhost", NULL },
		{ ".a.localhost", NULL },
		{ "a_b.localhost", NULL },
		{ "hello.example.com", NULL },
		{ "[::1]:80", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char id[64];
		bool ok = roger_router_host_app(id, sizeof(id), cases[i].host,
						strlen(cases[i].host));

		ck_assert_msg(ok == (cases[i].id != NULL), "case %zu", i);
		if (ok)
			ck_assert_str_eq(id, cases[i].id);
	}
}
END_TEST

static Suite *local_suite(void)
{
	Suite *s = suite_create("local");
	TCase *tc;

	tc = tcase_create("app");
	tcase_add_test(tc, test_local_app_defaults_in_1_10_order);
	tcase_add_test(tc, test_local_app_health_check_and_fetch_defaults);
	tcase_add_test(tc, test_local_app_validation);
	tcase_add_test(tc, test_local_app_numbers_beyond_int);
	tcase_add_test(tc, test_local_app_ids);
	tcase_add_test(tc, test_local_config_change_ignores_instances);
	suite_add_tcase(s, tc);

	tc = tcase_create("container");
	tcase_add_test(tc, test_local_container_argv);
	tcase_add_test(tc, test_local_container_env);
	tcase_add_test(tc, test_local_container_exec_paths);
	tcase_add_test(tc, test_local_container_user);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_add_test(tc, test_local_host_rule);
	tcase_add_test(tc, test_local_token_rule);
	tcase_add_test(tc, test_local_own_url);
	tcase_add_test(tc, test_local_token_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("control");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_local_up_status_stop);
	tcase_add_test(tc, test_local_two_servers_in_one_process);
	suite_add_tcase(s, tc);

	tc = tcase_create("util");
	tcase_add_test(tc, test_local_time_format);
	tcase_add_test(tc, test_local_numbers_and_ids);
	tcase_add_test(tc, test_router_head_parse);
	tcase_add_test(tc, test_router_head_rewrite);
	tcase_add_test(tc, test_router_host_app);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(local_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
