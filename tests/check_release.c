/*
 * check_release.c - unit tests of the decisions the commands used to make
 * themselves: which release a rollback goes back to and which version a
 * user names (lib/release.c, the walks against faultd over loopback),
 * what changed between two versions in words, where an app answers
 * (lib/address.c, on the recorded app of tests/fixtures), and how long
 * removing an app may take (lib/deploy.c).
 */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/roger.h"
#include "lib/address.h"
#include "lib/release.h"
#include "faultd.h"

#define C_A "aaaaaaa111111111111111111111111111111111"
#define C_B "bbbbbbb222222222222222222222222222222222"
#define C_B2 "bbbbbbb333333333333333333333333333333333"
#define SHA_1 "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA_2 "2222222222222222222222222222222222222222222222222222222222222222"

#define V1 "2026-01-01T00:00:01.000Z"
#define V2 "2026-01-01T00:00:02.000Z"
#define V3 "2026-01-01T00:00:03.000Z"
#define V4 "2026-01-01T00:00:04.000Z"
/* as they are in request paths */
#define P1 "2026-01-01T00%3A00%3A01.000Z"
#define P2 "2026-01-01T00%3A00%3A02.000Z"
#define P3 "2026-01-01T00%3A00%3A03.000Z"
#define P4 "2026-01-01T00%3A00%3A04.000Z"

static char *fixture_path(const char *name)
{
	static char path[4096];
	const char *src = getenv("TEST_SRCDIR");

	snprintf(path, sizeof(path), "%s/fixtures/%s", src ? src : "tests",
		 name);
	return path;
}

/* A stored definition: a release of `commit` with artifact `sha`, or none. */
static json_t *def_of(const char *commit, const char *sha, const char *cmd,
		      int instances)
{
	json_t *d = json_pack("{s:s, s:s, s:i}", "id", "/web/x", "cmd", cmd,
			      "instances", instances);

	if (commit)
		json_object_set_new(d, "labels",
				    json_pack("{s:s, s:s, s:s}", "ROGER_COMMIT",
					      commit, "ROGER_ARTIFACT_SHA256",
					      sha, "ROGER_VERSION", "0.1.0"));
	return d;
}

/* ---- pure decisions ------------------------------------------------------ */

START_TEST(test_release_ref_kind)
{
	ck_assert_int_eq(roger_release_ref_kind("abc1234"),
			 ROGER_RELEASE_REF_COMMIT);
	ck_assert_int_eq(roger_release_ref_kind(C_A), ROGER_RELEASE_REF_COMMIT);
	ck_assert_int_eq(roger_release_ref_kind(SHA_1),
			 ROGER_RELEASE_REF_COMMIT);
	ck_assert_int_eq(roger_release_ref_kind(SHA_1 "1"),
			 ROGER_RELEASE_REF_INVALID);
	ck_assert_int_eq(roger_release_ref_kind("abc123"),
			 ROGER_RELEASE_REF_INVALID);
	ck_assert_int_eq(roger_release_ref_kind("ABC1234"),
			 ROGER_RELEASE_REF_INVALID);
	ck_assert_int_eq(roger_release_ref_kind(V1), ROGER_RELEASE_REF_VERSION);
	ck_assert_int_eq(roger_release_ref_kind("2026-01-02T03:04:05Z"),
			 ROGER_RELEASE_REF_VERSION);
	ck_assert_int_eq(roger_release_ref_kind("2026-01-02T03:04:05.1234567Z"),
			 ROGER_RELEASE_REF_VERSION);
	ck_assert_int_eq(roger_release_ref_kind("2026-01-02T03:04:05.Z"),
			 ROGER_RELEASE_REF_INVALID);
	ck_assert_int_eq(roger_release_ref_kind("2026-1-02T03:04:05Z"),
			 ROGER_RELEASE_REF_INVALID);
	ck_assert_int_eq(roger_release_ref_kind("2026-01-02 03:04:05Z"),
			 ROGER_RELEASE_REF_INVALID);
	/* the right shape, but no such date */
	ck_assert_int_eq(roger_release_ref_kind("2026-13-02T03:04:05Z"),
			 ROGER_RELEASE_REF_INVALID);
	ck_assert_int_eq(roger_release_ref_kind("latest"),
			 ROGER_RELEASE_REF_INVALID);
	ck_assert_int_eq(roger_release_ref_kind(""), ROGER_RELEASE_REF_INVALID);
	ck_assert_int_eq(roger_release_ref_kind(NULL),
			 ROGER_RELEASE_REF_INVALID);
}
END_TEST

START_TEST(test_release_matches)
{
	json_t *rel = def_of(C_A, SHA_1, "run", 1);
	json_t *plain = def_of(NULL, NULL, "run", 1);

	ck_assert(roger_release_matches(V2, V2, plain));
	ck_assert(!roger_release_matches(V2, V1, rel));
	ck_assert(roger_release_matches("aaaaaaa", V1, rel));
	ck_assert(roger_release_matches(C_A, V1, rel));
	ck_assert(!roger_release_matches("aaaaaab", V1, rel));
	ck_assert(!roger_release_matches("aaaaaaa", V1, plain));
	ck_assert(!roger_release_matches("nope", V1, rel));
	json_decref(rel);
	json_decref(plain);
}
END_TEST

START_TEST(test_release_is_previous)
{
	json_t *live = def_of(C_A, SHA_1, "run", 1);
	json_t *other = def_of(C_B, SHA_2, "run", 1);
	json_t *same = def_of(C_A, SHA_1, "run", 3);
	json_t *rebuilt = def_of(C_A, SHA_2, "run", 1);
	json_t *plain = def_of(NULL, NULL, "run", 1);
	json_t *wrapped = json_pack("{s:O}", "app", other);

	ck_assert(roger_release_is_previous(live, other));
	ck_assert(roger_release_is_previous(live, wrapped));
	/* a scale of the live release is no release to go back to */
	ck_assert(!roger_release_is_previous(live, same));
	/* the same commit built again (another build command) is */
	ck_assert(roger_release_is_previous(live, rebuilt));
	ck_assert(!roger_release_is_previous(live, plain));
	/* a live app roger did not deploy: any release will do */
	ck_assert(roger_release_is_previous(plain, same));
	ck_assert(roger_release_is_previous(NULL, same));
	json_decref(live);
	json_decref(other);
	json_decref(same);
	json_decref(rebuilt);
	json_decref(plain);
	json_decref(wrapped);
}
END_TEST

/* Add the rollback labels of a rollback from `of` back to `to`. */
static json_t *rolled(json_t *d, const char *of, const char *to, bool failed)
{
	json_t *labels = json_object_get(d, "labels");

	json_object_set_new(labels, "ROGER_ROLLBACK_OF", json_string(of));
	if (to)
		json_object_set_new(labels, "ROGER_ROLLBACK_TO",
				    json_string(to));
	json_object_set_new(labels, "ROGER_ROLLBACK_CAUSE",
			    json_string(failed ? "failed" : "requested"));
	json_object_set_new(labels, "ROGER_ROLLBACK_BY", json_string("bob"));
	return d;
}

static enum roger_release_outcome
outcome(const char *version, const json_t *before, const json_t *def,
	const struct roger_release_rollback *newer, size_t n)
{
	struct roger_diff *d = NULL;
	enum roger_release_outcome o;

	if (before)
		ck_assert_int_eq(roger_diff_apps(&d, before, def,
						 ROGER_DIFF_IGNORE_METADATA,
						 NULL),
				 0);
	o = roger_release_outcome(version, before, def, d, newer, n);
	roger_diff_free(d);
	return o;
}

START_TEST(test_release_outcomes)
{
	json_t *a = def_of(C_A, SHA_1, "run", 1);
	json_t *a3 = def_of(C_A, SHA_1, "run", 3);
	json_t *b = def_of(C_B, SHA_2, "run", 1);
	json_t *plain = def_of(NULL, NULL, "run", 1);
	json_t *plain2 = def_of(NULL, NULL, "other", 1);
	json_t *back = rolled(def_of(C_A, SHA_1, "run", 1), V2, V1, true);
	json_t *asked = rolled(def_of(C_A, SHA_1, "run", 1), V3, V1, false);
	struct roger_release_rollback rb[2];

	ck_assert(roger_release_rollback_info(&rb[0], back));
	ck_assert_str_eq(rb[0].of, V2);
	ck_assert_str_eq(rb[0].to, V1);
	ck_assert_str_eq(rb[0].by, "bob");
	ck_assert(rb[0].failed);
	ck_assert(roger_release_rollback_info(&rb[1], asked));
	ck_assert(!rb[1].failed);
	ck_assert(!roger_release_rollback_info(&rb[1], a));
	ck_assert(roger_release_rollback_info(&rb[1], asked));
	/* the range a rollback undid: after `to`, up to `of` */
	ck_assert(roger_release_undid(&rb[0], V2));
	ck_assert(!roger_release_undid(&rb[0], V1));
	ck_assert(!roger_release_undid(&rb[0], V3));
	ck_assert(roger_release_undid(&rb[1], V2));
	ck_assert(roger_release_undid(&rb[1], V3));
	rb[1].to = NULL;
	ck_assert(roger_release_undid(&rb[1], V3));
	ck_assert(!roger_release_undid(&rb[1], V2));
	rb[1].to = V1;
	/* undone: failed, or rolled back on request */
	ck_assert_int_eq(outcome(V2, a, b, rb, 1), ROGER_RELEASE_FAILED);
	ck_assert_int_eq(outcome(V2, a, b, &rb[1], 1),
			 ROGER_RELEASE_ROLLED_BACK);
	/* made by a rollback */
	ck_assert_int_eq(outcome(V3, b, back, NULL, 0), ROGER_RELEASE_ROLLBACK);
	/* from the version before */
	ck_assert_int_eq(outcome(V2, a, b, NULL, 0), ROGER_RELEASE_DEPLOYED);
	ck_assert_int_eq(outcome(V2, a, a3, NULL, 0), ROGER_RELEASE_SCALED);
	ck_assert_int_eq(outcome(V2, a, a, NULL, 0), ROGER_RELEASE_RESTARTED);
	ck_assert_int_eq(outcome(V2, NULL, a, NULL, 0), ROGER_RELEASE_DEPLOYED);
	ck_assert_int_eq(outcome(V2, plain, plain2, NULL, 0),
			 ROGER_RELEASE_CHANGED);
	ck_assert_int_eq(outcome(V1, NULL, plain, NULL, 0),
			 ROGER_RELEASE_CHANGED);
	ck_assert_str_eq(roger_release_outcome_name(ROGER_RELEASE_ROLLED_BACK),
			 "rolled back");
	ck_assert_str_eq(roger_release_outcome_id(ROGER_RELEASE_ROLLED_BACK),
			 "rolled_back");
	json_decref(a);
	json_decref(a3);
	json_decref(b);
	json_decref(plain);
	json_decref(plain2);
	json_decref(back);
	json_decref(asked);
}
END_TEST

/*
 * A stored definition as Marathon 1.4 writes it comes back without what
 * the server owns, nulls and legacy doubles, with the rollback's labels
 * in place of older ones.
 */
START_TEST(test_release_redeploy_app)
{
	json_t *stored = json_loads(
		"{\"id\": \"/web/x\", \"cmd\": \"run\", \"args\": null,"
		" \"instances\": 2, \"version\": \"" V1 "\","
		" \"versionInfo\": {\"lastScalingAt\": \"" V1 "\"},"
		" \"ports\": [10000], \"portDefinitions\": [{\"port\": 10000}],"
		" \"uris\": [\"http://a/x.tgz\"], \"fetch\": [{\"uri\": \"http://a/x.tgz\"}],"
		" \"tasksRunning\": 2, \"deployments\": [],"
		" \"labels\": {\"ROGER_COMMIT\": \"" C_A
		"\", \"team\": \"web\","
		" \"ROGER_ROLLBACK_OF\": \"old\", \"ROGER_ROLLBACK_TO\": \"older\"}}",
		0, NULL);
	json_t *failed = def_of(C_B, SHA_2, "run", 1), *out = NULL;
	struct roger_release_redeploy r = { 0 };
	struct roger_release_rollback rb;
	struct roger_err err = ROGER_ERR_INIT;
	char *text;

	ck_assert_ptr_nonnull(stored);
	r.of = V2;
	r.of_def = failed;
	r.to = V1;
	r.failed = true;
	r.by = "bob@laptop";
	r.instances = -1;
	ck_assert_int_eq(roger_release_redeploy_app(&out, stored, &r, &err), 0);
	text = json_dumps(out, JSON_SORT_KEYS);
	ck_assert_str_eq(
		text,
		"{\"cmd\": \"run\", \"fetch\": [{\"uri\": \"http://a/x.tgz\"}],"
		" \"id\": \"/web/x\", \"instances\": 2, \"labels\": {"
		"\"ROGER_COMMIT\": \"" C_A
		"\", \"ROGER_ROLLBACK_BY\": \"bob@laptop\","
		" \"ROGER_ROLLBACK_CAUSE\": \"failed\","
		" \"ROGER_ROLLBACK_COMMIT\": \"" C_B "\","
		" \"ROGER_ROLLBACK_OF\": \"" V2
		"\", \"ROGER_ROLLBACK_TO\": \"" V1 "\","
		" \"team\": \"web\"}, \"portDefinitions\": [{\"port\": 10000}]}");
	free(text);
	ck_assert(roger_release_rollback_info(&rb, out));
	ck_assert(rb.failed);
	json_decref(out);
	/* requested, with an instance count; an app as GET wraps it */
	json_decref(failed);
	failed = json_pack("{s:O}", "app", stored);
	r.of_def = NULL;
	r.failed = false;
	r.instances = 5;
	ck_assert_int_eq(roger_release_redeploy_app(&out, failed, &r, &err), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "instances")),
			 5);
	ck_assert(roger_release_rollback_info(&rb, out));
	ck_assert(!rb.failed);
	ck_assert_ptr_null(rb.commit);
	ck_assert_ptr_null(json_object_get(out, "app"));
	json_decref(out);
	json_decref(failed);
	failed = json_string("x");
	ck_assert_int_eq(roger_release_redeploy_app(&out, failed, &r, &err),
			 ROGER_EINVALID);
	json_decref(failed);
	json_decref(stored);
}
END_TEST

/* Scale survives a deploy unless roger.json's count changed. */
START_TEST(test_release_instances)
{
	json_t *live = json_loads("{\"id\": \"/a\", \"instances\": 3,"
				  " \"labels\": {\"ROGER_INSTANCES\": \"1\"}}",
				  0, NULL);
	json_t *old = json_loads("{\"app\": {\"id\": \"/a\", \"instances\": 3,"
				 " \"labels\": {\"ROGER_COMMIT\": \"c\"}}}",
				 0, NULL);
	json_t *odd = json_loads(
		"{\"id\": \"/a\", \"labels\": {\"ROGER_INSTANCES\": \"-2\"}}",
		0, NULL);
	int n = -1;

	ck_assert(roger_release_instances_label(&n, live));
	ck_assert_int_eq(n, 1);
	ck_assert(!roger_release_instances_label(&n, old));
	ck_assert(!roger_release_instances_label(&n, odd));
	ck_assert_int_eq(roger_release_instances(&n, NULL, 2),
			 ROGER_RELEASE_COUNT_NEW);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(roger_release_instances(&n, live, 1),
			 ROGER_RELEASE_COUNT_KEPT);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(roger_release_instances(&n, live, 2),
			 ROGER_RELEASE_COUNT_CHANGED);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(roger_release_instances(&n, live, 3),
			 ROGER_RELEASE_COUNT_SAME);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(roger_release_instances(&n, old, 1),
			 ROGER_RELEASE_COUNT_UNKNOWN);
	ck_assert_int_eq(n, 3);
	/* no count in the live app: Marathon's default, 1 */
	ck_assert_int_eq(roger_release_instances(&n, odd, 1),
			 ROGER_RELEASE_COUNT_SAME);
	json_decref(live);
	json_decref(old);
	json_decref(odd);
}
END_TEST

/* ---- the walks, against faultd ------------------------------------------- */

static int no_sleep(void *data, long ms)
{
	(void)data;
	(void)ms;
	return 0;
}

static struct roger_ctx *ctx;
static struct roger_marathon *m;
static struct roger_marathon_versions *versions;
static struct faultd fd;

static void start(const char *script)
{
	struct roger_http_client_opts o = { 0 };
	struct roger_http_client *http = NULL;
	const char *bases[1];
	const char *list = "{\"versions\": [\"" V1 "\", \"" V3 "\", \"" V4
			   "\", \"" V2 "\"]}";

	faultd_start(&fd, script);
	bases[0] = fd.url;
	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
	o.name = "marathon";
	o.bases = bases;
	o.n_bases = 1;
	o.timeout_ms = 5000;
	o.max_retries = 1;
	ck_assert_int_eq(roger_http_client_new(&http, ctx, &o, NULL, NULL), 0);
	roger_http_client_set_sleep_fn(http, no_sleep, NULL);
	ck_assert_int_eq(roger_marathon_new(&m, ctx, http, NULL), 0);
	ck_assert_int_eq(roger_marathon_versions_parse(&versions, list,
						       strlen(list), NULL),
			 0);
	ck_assert_str_eq(versions->items[0], V4);
}

static void stop(void)
{
	roger_marathon_versions_free(versions);
	roger_marathon_free(m);
	roger_ctx_free(ctx);
	faultd_stop(&fd);
	versions = NULL;
	m = NULL;
	ctx = NULL;
}

/* A rule answering GET of version V with a definition. */
#define VERSION_RULE(v, labels)                       \
	"{'match':'GET /v2/apps/web/x/versions/" P##v \
		"','times':0,'json':"                 \
		"{'id':'/web/x','cmd':'run','version':'" V##v "'" labels "}}"
#define LABELS(commit, sha)                                                    \
	",'labels':{'ROGER_COMMIT':'" commit "','ROGER_ARTIFACT_SHA256':'" sha \
	"'}"
#define GONE(v)                                       \
	"{'match':'GET /v2/apps/web/x/versions/" P##v \
		"','times':0,'status':404,'json':{'message':'not found'}}"

/*
 * V4 live (commit A), V3 a scale of it (commit A), V2 gone, V1 commit B:
 * the previous release is V1, read after V3 and V2, and V4 is never read.
 */
#define HISTORY_ABA                                                     \
	"[" VERSION_RULE(4, LABELS(C_A, SHA_1)) "," VERSION_RULE(       \
		3,                                                      \
		LABELS(C_A,                                             \
		       SHA_1)) "," GONE(2) "," VERSION_RULE(1,          \
							    LABELS(C_B, \
								   SHA_2)) "]"

START_TEST(test_release_find_previous_skips_scales_and_gone)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *live = def_of(C_A, SHA_1, "run", 1), *def = NULL;
	size_t index = 99;
	struct roger_release rel;

	start(HISTORY_ABA);
	ck_assert_int_eq(roger_release_find_previous(&index, &def, m, "/web/x",
						     versions, live, V4, &err),
			 0);
	ck_assert_uint_eq(index, 3);
	ck_assert(roger_render_release(&rel, def));
	ck_assert_str_eq(rel.commit, C_B);
	ck_assert_uint_eq(
		faultd_count(&fd, "GET", "/v2/apps/web/x/versions/" P4), 0);
	ck_assert_uint_eq(
		faultd_count(&fd, "GET", "/v2/apps/web/x/versions/" P3), 1);
	ck_assert_uint_eq(
		faultd_count(&fd, "GET", "/v2/apps/web/x/versions/" P2), 1);
	json_decref(def);
	json_decref(live);
	stop();
}
END_TEST

/*
 * V4 live, a rollback (commit A): when it undid V3 (commit B2, failed)
 * back to V2, the previous release is V2 (commit B), never V3; when it
 * undid V3 and V2 back to V1 on request, nothing is left (V1 has the live
 * commit).
 */
START_TEST(test_release_find_previous_skips_undone)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *live = rolled(def_of(C_A, SHA_1, "run", 1), V3, V2, true);
	json_t *def = NULL;
	size_t index = 99;
	struct roger_release rel;

	start("[" VERSION_RULE(3, LABELS(C_B2, SHA_2)) "," VERSION_RULE(
		2, LABELS(C_B, SHA_2)) "," VERSION_RULE(1, LABELS(C_A,
								  SHA_1)) "]");
	ck_assert_int_eq(roger_release_find_previous(&index, &def, m, "/web/x",
						     versions, live, V4, &err),
			 0);
	ck_assert_uint_eq(index, 2);
	ck_assert(roger_render_release(&rel, def));
	ck_assert_str_eq(rel.commit, C_B);
	json_decref(def);
	def = NULL;
	json_decref(live);
	live = rolled(def_of(C_A, SHA_1, "run", 1), V3, V1, false);
	ck_assert_int_eq(roger_release_find_previous(&index, &def, m, "/web/x",
						     versions, live, V4, &err),
			 ROGER_ENOTFOUND);
	json_decref(live);
	stop();
}
END_TEST

START_TEST(test_release_find_previous_none)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *live = def_of(C_B, SHA_2, "run", 1), *def = NULL;
	size_t index = 99;

	start(HISTORY_ABA);
	/* from V1 on, nothing is older */
	ck_assert_int_eq(roger_release_find_previous(&index, &def, m, "/web/x",
						     versions, live, V1, &err),
			 ROGER_ENOTFOUND);
	ck_assert_ptr_null(def);
	ck_assert_uint_eq(index, 99);
	ck_assert(strstr(err.msg, "nothing to roll back to"));
	json_decref(live);
	stop();
}
END_TEST

START_TEST(test_release_find_previous_error)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *live = def_of(C_A, SHA_1, "run", 1), *def = NULL;
	size_t index;

	start("[{'match':'GET /v2/apps/web/x/versions/*','times':0,'status':401,'json':{'message':'no'}}]");
	ck_assert_int_eq(roger_release_find_previous(&index, &def, m, "/web/x",
						     versions, live, V4, &err),
			 ROGER_EAUTH);
	ck_assert_ptr_null(def);
	json_decref(live);
	stop();
}
END_TEST

START_TEST(test_release_find_by_version_and_commit)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_release rel;
	json_t *def = NULL;
	size_t index = 99;

	start(HISTORY_ABA);
	ck_assert_int_eq(roger_release_find(&index, &def, m, "/web/x", versions,
					    V3, &err),
			 0);
	ck_assert_uint_eq(index, 1);
	json_decref(def);
	/* the newest release of the commit, checked against the older ones */
	ck_assert_int_eq(roger_release_find(&index, &def, m, "/web/x", versions,
					    "aaaaaaa", &err),
			 0);
	ck_assert_uint_eq(index, 0);
	ck_assert(roger_render_release(&rel, def));
	ck_assert_str_eq(rel.commit, C_A);
	json_decref(def);
	ck_assert_int_eq(roger_release_find(&index, &def, m, "/web/x", versions,
					    "bbbbbbb", &err),
			 0);
	ck_assert_uint_eq(index, 3);
	json_decref(def);
	stop();
}
END_TEST

START_TEST(test_release_find_refused)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *def = NULL;
	size_t index = 99;

	start("[" VERSION_RULE(4, LABELS(C_B2, SHA_1)) "," VERSION_RULE(
		3,
		LABELS(C_B2,
		       SHA_1)) "," GONE(2) "," VERSION_RULE(1,
							    LABELS(C_B,
								   SHA_2)) "]");
	ck_assert_int_eq(roger_release_find(&index, &def, m, "/web/x", versions,
					    "soon", &err),
			 ROGER_EUSAGE);
	ck_assert(strstr(err.msg, "invalid version 'soon'"));
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/v2"), 0);
	/* two commits start with bbbbbbb: more digits, please */
	roger_err_clear(&err);
	ck_assert_int_eq(roger_release_find(&index, &def, m, "/web/x", versions,
					    "bbbbbbb", &err),
			 ROGER_EUSAGE);
	ck_assert(strstr(err.msg, "is ambiguous"));
	ck_assert(strstr(err.msg, "give more digits"));
	ck_assert_int_eq(roger_release_find(&index, &def, m, "/web/x", versions,
					    "bbbbbbb3", &err),
			 0);
	ck_assert_uint_eq(index, 0);
	json_decref(def);
	def = NULL;
	roger_err_clear(&err);
	ck_assert_int_eq(roger_release_find(&index, &def, m, "/web/x", versions,
					    "ccccccc", &err),
			 ROGER_ENOTFOUND);
	ck_assert_str_eq(err.msg,
			 "app '/web/x' has no release of commit 'ccccccc'");
	roger_err_clear(&err);
	ck_assert_int_eq(roger_release_find(&index, &def, m, "/web/x", versions,
					    "2020-01-02T03:04:05.678Z", &err),
			 ROGER_ENOTFOUND);
	ck_assert_str_eq(
		err.msg,
		"app '/web/x' has no version '2020-01-02T03:04:05.678Z'");
	ck_assert_ptr_null(def);
	ck_assert_uint_eq(index, 0);
	stop();
}
END_TEST

/* ---- summaries ----------------------------------------------------------- */

static void summary_of(char *out, size_t size, json_t *before, json_t *def)
{
	struct roger_diff *d = NULL;

	ck_assert_int_eq(roger_diff_apps(&d, before, def,
					 ROGER_DIFF_IGNORE_METADATA, NULL),
			 0);
	roger_release_summary(out, size, before, def, d);
	roger_diff_free(d);
	json_decref(before);
	json_decref(def);
}

START_TEST(test_release_summary)
{
	char s[160];
	json_t *a, *b;

	summary_of(s, sizeof(s), def_of(C_A, SHA_1, "run", 1),
		   def_of(C_A, SHA_1, "run", 1));
	ck_assert_str_eq(s, "no change");
	summary_of(s, sizeof(s), def_of(C_A, SHA_1, "run", 1),
		   def_of(C_A, SHA_1, "run", 3));
	ck_assert_str_eq(s, "instances 1 -> 3");
	/* a new commit: its labels and env are the commit, not words */
	a = def_of(C_A, SHA_1, "run", 1);
	b = def_of(C_B, SHA_2, "run --fast", 2);
	json_object_set_new(a, "env", json_pack("{s:s}", "ROGER_COMMIT", C_A));
	json_object_set_new(
		b, "env",
		json_pack("{s:s, s:s}", "ROGER_COMMIT", C_B, "MODE", "x"));
	json_object_set_new(
		a, "fetch",
		json_pack("[{s:s}]", "uri", "http://s/a/" SHA_1 ".tar.gz"));
	json_object_set_new(
		b, "fetch",
		json_pack("[{s:s}]", "uri", "http://s/a/" SHA_2 ".tar.gz"));
	summary_of(s, sizeof(s), a, b);
	ck_assert_str_eq(s, "commit, cmd, env, instances");
	/* the same commit packaged again */
	summary_of(s, sizeof(s), def_of(C_A, SHA_1, "run", 1),
		   def_of(C_A, SHA_2, "run", 1));
	ck_assert_str_eq(s, "artifact");
	/* many fields: five words, then "..." */
	a = def_of(C_A, SHA_1, "run", 1);
	b = json_pack("{s:s, s:s, s:i, s:f, s:i, s:i, s:i, s:i}", "id",
		      "/web/x", "cmd", "other", "instances", 2, "cpus", 0.5,
		      "mem", 64, "disk", 10, "gpus", 1, "backoffSeconds", 3);
	json_object_set(b, "labels", json_object_get(a, "labels"));
	summary_of(s, sizeof(s), a, b);
	ck_assert_str_eq(s, "backoffSeconds, cmd, cpus, disk, gpus, ...");
	/* cut to fit */
	summary_of(s, 7, def_of(C_A, SHA_1, "run", 1),
		   def_of(C_B, SHA_1, "run", 1));
	ck_assert_str_eq(s, "commit");
}
END_TEST

/* A release of an image app: `commit` running `image`. */
static json_t *image_def(const char *commit, const char *image)
{
	return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s, s:s, s:s}}",
			 "id", "/web/x", "cmd", "run", "container", "type",
			 "DOCKER", "docker", "image", image, "labels",
			 "ROGER_COMMIT", commit, "ROGER_IMAGE", image,
			 "ROGER_IMAGE_BASE", "debian:12@sha256:" SHA_1);
}

START_TEST(test_release_image)
{
	json_t *live = image_def(C_A, "r.io/web/x@sha256:" SHA_1);
	json_t *moved = image_def(C_A, "r.io/web/x@sha256:" SHA_2);
	json_t *scaled = image_def(C_A, "r.io/web/x@sha256:" SHA_1);
	struct roger_release rel;
	char s[160];

	ck_assert(roger_render_release(&rel, live));
	ck_assert_str_eq(rel.image, "r.io/web/x@sha256:" SHA_1);
	ck_assert_str_eq(rel.image_base, "debian:12@sha256:" SHA_1);
	ck_assert_ptr_null(rel.artifact_sha256);
	/* the same commit built on a base that moved is another release */
	ck_assert(roger_release_is_previous(live, moved));
	json_object_set_new(scaled, "instances", json_integer(3));
	ck_assert(!roger_release_is_previous(live, scaled));
	/* and says "image", not the container path its label says already */
	summary_of(s, sizeof(s), json_incref(live), json_incref(moved));
	ck_assert_str_eq(s, "image");
	summary_of(s, sizeof(s), json_incref(live),
		   image_def(C_B, "r.io/web/x@sha256:" SHA_2));
	ck_assert_str_eq(s, "commit");
	json_decref(live);
	json_decref(moved);
	json_decref(scaled);
}
END_TEST

/* ---- addresses ----------------------------------------------------------- */

static struct roger_marathon_app *recorded_app(void)
{
	struct roger_marathon_app *app = NULL;
	struct roger_buf b = ROGER_BUF_INIT;

	ck_assert_int_eq(
		roger_fs_read_file(&b, fixture_path("marathon-get-app.json"),
				   NULL),
		0);
	ck_assert_int_eq(roger_marathon_app_parse(&app, b.buf, b.len, NULL), 0);
	roger_buf_release(&b);
	return app;
}

START_TEST(test_address_scheme)
{
	json_t *d = json_pack("{s:[{s:s, s:i}]}", "healthChecks", "protocol",
			      "MESOS_HTTPS", "portIndex", 0);

	ck_assert_str_eq(roger_address_scheme(d), "https");
	json_decref(d);
	d = json_pack("{s:[{s:s}]}", "healthChecks", "path", "/");
	ck_assert_str_eq(roger_address_scheme(d), "http");
	json_decref(d);
	d = json_pack("{s:[{s:s, s:i}]}", "healthChecks", "protocol", "HTTP",
		      "portIndex", 1);
	ck_assert_ptr_null(roger_address_scheme(d));
	json_decref(d);
	d = json_pack("{s:[{s:s}]}", "healthChecks", "protocol", "TCP");
	ck_assert_ptr_null(roger_address_scheme(d));
	json_decref(d);
	d = json_pack("{s:s}", "cmd", "run");
	ck_assert_ptr_null(roger_address_scheme(d));
	json_decref(d);
}
END_TEST

START_TEST(test_address_list_of_recorded_app)
{
	struct roger_marathon_app *app = recorded_app();
	json_t *list = NULL, *tcp;

	/* its own health check: MESOS_HTTP on port index 0 */
	ck_assert_int_eq(roger_address_list(&list, app->json, app, NULL), 0);
	ck_assert_uint_eq(json_array_size(list), 3);
	ck_assert_str_eq(json_string_value(json_array_get(list, 0)),
			 "http://10.0.3.60:26281/");
	ck_assert_str_eq(json_string_value(json_array_get(list, 2)),
			 "http://10.0.4.97:22328/");
	json_decref(list);
	tcp = json_pack("{s:[{s:s}]}", "healthChecks", "protocol", "TCP");
	ck_assert_int_eq(roger_address_list(&list, tcp, app, NULL), 0);
	ck_assert_str_eq(json_string_value(json_array_get(list, 1)),
			 "10.0.4.97:7694");
	json_decref(list);
	/* a task not running yet has no address */
	app->tasks[1].state = "TASK_STAGING";
	ck_assert_int_eq(roger_address_list(&list, tcp, app, NULL), 0);
	ck_assert_uint_eq(json_array_size(list), 2);
	ck_assert_str_eq(json_string_value(json_array_get(list, 1)),
			 "10.0.4.97:22328");
	json_decref(list);
	json_decref(tcp);
	roger_marathon_app_free(app);
}
END_TEST

START_TEST(test_deploy_remove_timeout)
{
	struct roger_marathon_app *app = NULL;
	json_t *j = json_pack("{s:s, s:i}", "id", "/web/x",
			      "taskKillGracePeriodSeconds", 30);

	ck_assert_int_eq(roger_marathon_app_from_json(&app, j, NULL), 0);
	ck_assert_int_eq(roger_deploy_remove_timeout_ms(app), 150000);
	roger_marathon_app_free(app);
	json_object_del(j, "taskKillGracePeriodSeconds");
	ck_assert_int_eq(roger_marathon_app_from_json(&app, j, NULL), 0);
	ck_assert_int_eq(roger_deploy_remove_timeout_ms(app), 120000);
	roger_marathon_app_free(app);
	json_decref(j);
}
END_TEST

static Suite *release_suite(void)
{
	Suite *s = suite_create("release");
	TCase *tc = tcase_create("decide");

	tcase_add_test(tc, test_release_ref_kind);
	tcase_add_test(tc, test_release_matches);
	tcase_add_test(tc, test_release_is_previous);
	tcase_add_test(tc, test_release_summary);
	tcase_add_test(tc, test_release_outcomes);
	tcase_add_test(tc, test_release_redeploy_app);
	tcase_add_test(tc, test_release_instances);
	tcase_add_test(tc, test_release_image);
	suite_add_tcase(s, tc);

	tc = tcase_create("walk");
	tcase_add_test(tc, test_release_find_previous_skips_scales_and_gone);
	tcase_add_test(tc, test_release_find_previous_skips_undone);
	tcase_add_test(tc, test_release_find_previous_none);
	tcase_add_test(tc, test_release_find_previous_error);
	tcase_add_test(tc, test_release_find_by_version_and_commit);
	tcase_add_test(tc, test_release_find_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("address");
	tcase_add_test(tc, test_address_scheme);
	tcase_add_test(tc, test_address_list_of_recorded_app);
	suite_add_tcase(s, tc);

	tc = tcase_create("remove");
	tcase_add_test(tc, test_deploy_remove_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	faultd_tmp_init();
	sr = srunner_create(release_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	faultd_tmp_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
