/*
 * check_store.c - unit tests of the store module: content-addressed
 * artifact names, the judgement of a HEAD reply and of the digests stores
 * report, file:// paths, pushes to a file:// directory (concurrent ones
 * included), and pushes over loopback to tests/faultd.py.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/roger.h"
#include "tests/faultd.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA2 "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* SHA in base64, as Digest headers carry it. */
#define SHA_B64 "ASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4mrze8="

START_TEST(test_store_url_joins_store_app_digest)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *url = NULL;

	ck_assert_int_eq(
		roger_store_artifact_url(&url, "https://a.example.com/roger/",
					 "/web/hello", SHA, &err),
		0);
	ck_assert_str_eq(url, "https://a.example.com/roger/web/hello/" SHA
			      ".tar.gz");
	free(url);
	ck_assert_int_eq(roger_store_artifact_url(&url, "file:///srv/art",
						  "/hello", SHA, &err),
			 0);
	ck_assert_str_eq(url, "file:///srv/art/hello/" SHA ".tar.gz");
	free(url);
}
END_TEST

START_TEST(test_store_url_refuses_bad_input)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *url = NULL;

	ck_assert_int_eq(
		roger_store_artifact_url(&url, "http://s/", "/a", "ABC", &err),
		ROGER_EINVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "SHA-256"));
	ck_assert_int_eq(
		roger_store_artifact_url(&url, "http://s/", "a", SHA, &err),
		ROGER_EINVALID);
	ck_assert_int_eq(roger_store_artifact_url(&url, NULL, "/a", SHA, &err),
			 ROGER_EINVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "artifact store"));
	ck_assert_ptr_null(url);
}
END_TEST

/* ---- HEAD replies -------------------------------------------------------- */

static void reply(struct roger_http_resp *r, long status, const char *name,
		  const char *value)
{
	r->status = status;
	if (name)
		ck_assert_int_eq(roger_http_resp_add_header(r, name,
							    strlen(name), value,
							    strlen(value)),
				 0);
}

START_TEST(test_store_head_states)
{
	struct roger_http_resp r = ROGER_HTTP_RESP_INIT;
	char why[160];

	reply(&r, 404, NULL, NULL);
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA, why, sizeof(why)),
			 ROGER_STORE_ABSENT);
	reply(&r, 410, NULL, NULL);
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA, NULL, 0),
			 ROGER_STORE_ABSENT);
	reply(&r, 405, NULL, NULL);
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA, NULL, 0),
			 ROGER_STORE_UNKNOWN);
	reply(&r, 401, NULL, NULL);
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA, NULL, 0),
			 ROGER_STORE_REFUSED);
	reply(&r, 500, NULL, NULL);
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA, NULL, 0),
			 ROGER_STORE_REFUSED);
	/* 200 without a length cannot tell. */
	reply(&r, 200, NULL, NULL);
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA, NULL, 0),
			 ROGER_STORE_UNKNOWN);
	reply(&r, 200, "Content-Length", "10");
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA, why, sizeof(why)),
			 ROGER_STORE_PRESENT);
	ck_assert_int_eq(roger_store_head_state(&r, 11, SHA, why, sizeof(why)),
			 ROGER_STORE_MISMATCH);
	ck_assert_str_eq(why, "the store has 10 bytes, the artifact 11");
	roger_http_resp_release(&r);
	reply(&r, 200, "Content-Length", "x10");
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA, NULL, 0),
			 ROGER_STORE_UNKNOWN);
	roger_http_resp_release(&r);
}
END_TEST

START_TEST(test_store_head_digest_decides)
{
	struct roger_http_resp r = ROGER_HTTP_RESP_INIT;
	char why[160];

	reply(&r, 200, "Content-Length", "10");
	reply(&r, 200, "ETag", "\"" SHA "\"");
	/* An ETag is never taken for a digest, whatever it looks like. */
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA2, NULL, 0),
			 ROGER_STORE_PRESENT);
	reply(&r, 200, "X-Checksum-Sha256", SHA);
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA, NULL, 0),
			 ROGER_STORE_PRESENT);
	ck_assert_int_eq(roger_store_head_state(&r, 10, SHA2, why, sizeof(why)),
			 ROGER_STORE_MISMATCH);
	ck_assert_ptr_nonnull(strstr(why, "reports the SHA-256 0123456789ab"));
	roger_http_resp_release(&r);
}
END_TEST

START_TEST(test_store_reply_digests)
{
	struct roger_http_resp r = ROGER_HTTP_RESP_INIT;
	char out[65];

	ck_assert(!roger_store_reply_sha256(out, &r));
	reply(&r, 200, "X-Checksum-Sha256",
	      "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
	ck_assert(roger_store_reply_sha256(out, &r));
	ck_assert_str_eq(out, SHA);
	roger_http_resp_release(&r);

	reply(&r, 200, "Digest",
	      "MD5=HUXZLQLMuI/KZ5KDcJPcOA==, SHA-256=" SHA_B64);
	ck_assert(roger_store_reply_sha256(out, &r));
	ck_assert_str_eq(out, SHA);
	roger_http_resp_release(&r);

	reply(&r, 200, "Repr-Digest", "sha-512=:AAAA:, sha-256=:" SHA_B64 ":");
	ck_assert(roger_store_reply_sha256(out, &r));
	ck_assert_str_eq(out, SHA);
	roger_http_resp_release(&r);

	reply(&r, 200, "x-amz-checksum-sha256", SHA_B64);
	ck_assert(roger_store_reply_sha256(out, &r));
	ck_assert_str_eq(out, SHA);
	roger_http_resp_release(&r);

	/* Malformed or short values are no digest. */
	reply(&r, 200, "X-Checksum-Sha256", "0123");
	ck_assert(!roger_store_reply_sha256(out, &r));
	roger_http_resp_release(&r);
	reply(&r, 200, "Digest", "SHA-256=AAAA");
	ck_assert(!roger_store_reply_sha256(out, &r));
	roger_http_resp_release(&r);
	reply(&r, 200, "Content-Digest", "sha-256=:not base64!:");
	ck_assert(!roger_store_reply_sha256(out, &r));
	roger_http_resp_release(&r);
}
END_TEST

START_TEST(test_store_file_paths)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *p = NULL;

	ck_assert_int_eq(roger_store_file_path(&p, "file:///srv/a%20b/", &err),
			 0);
	ck_assert_str_eq(p, "/srv/a b/");
	free(p);
	ck_assert_int_eq(
		roger_store_file_path(&p, "file://localhost/srv/", &err), 0);
	ck_assert_str_eq(p, "/srv/");
	free(p);
	p = NULL;
	ck_assert_int_eq(roger_store_file_path(&p, "file://host/srv/", &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_store_file_path(&p, "file:///a%00b/", &err),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_store_file_path(&p, "file:///a%zz/", &err),
			 ROGER_EINVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "percent-encoding"));
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_store_check_target)
{
	struct roger_target t = { 0 };
	struct roger_err err = ROGER_ERR_INIT;

	t.name = (char *)"prod";
	ck_assert_int_eq(roger_store_check_target(&t, &err), ROGER_EINVALID);
	ck_assert_ptr_nonnull(
		strstr(err.msg, "target 'prod' has no artifact store"));
	t.artifacts = (char *)"ftp://h/";
	ck_assert_int_eq(roger_store_check_target(&t, &err), ROGER_EINVALID);
	ck_assert_ptr_nonnull(
		strstr(err.msg, "unsupported artifact store 'ftp://h/'"));
	t.artifacts = (char *)"https://h/";
	ck_assert_int_eq(roger_store_check_target(&t, &err), 0);
	t.artifacts = (char *)"file:///srv/";
	ck_assert_int_eq(roger_store_check_target(&t, &err), 0);
}
END_TEST

/* ---- pushes -------------------------------------------------------------- */

static char dir[1024];
static struct roger_ctx *ctx;

static void push_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/check_store.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
}

static void push_teardown(void)
{
	roger_fs_remove_tree(dir, NULL);
	roger_ctx_free(ctx);
}

/* An artifact of `size` bytes at dir/art.tar.gz (not a real tar.gz). */
static void make_artifact(struct roger_artifact *a, size_t size)
{
	static char path[1100];
	char *data = malloc(size);

	ck_assert_ptr_nonnull(data);
	/* Printable, so that faultd's log of the body parses as JSON. */
	for (size_t i = 0; i < size; i++)
		data[i] = (char)('a' + (i * 7 + i / 26) % 26);
	snprintf(path, sizeof(path), "%s/art.tar.gz", dir);
	ck_assert_int_eq(roger_fs_write_atomic(path, data, size, 0644, NULL),
			 0);
	free(data);
	memset(a, 0, sizeof(*a));
	a->path = path;
	strcpy(a->sha256, SHA);
	a->size = size;
}

static bool same_file(const char *a, const char *b)
{
	struct roger_buf x = ROGER_BUF_INIT, y = ROGER_BUF_INIT;
	bool same;

	ck_assert_int_eq(roger_fs_read_file(&x, a, NULL), 0);
	ck_assert_int_eq(roger_fs_read_file(&y, b, NULL), 0);
	same = x.len == y.len && !memcmp(x.buf, y.buf, x.len);
	roger_buf_release(&x);
	roger_buf_release(&y);
	return same;
}

struct seen {
	int calls;
	uint64_t last, total;
	bool backwards;
};

static void on_progress(void *data, uint64_t sent, uint64_t total)
{
	struct seen *s = data;

	if (s->calls && sent < s->last)
		s->backwards = true;
	s->calls++;
	s->last = sent;
	s->total = total;
}

START_TEST(test_store_push_file)
{
	struct roger_store_result r = ROGER_STORE_RESULT_INIT;
	struct roger_store_push_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_target t = { 0 };
	struct roger_artifact a;
	struct seen seen = { 0 };
	char url[1200], obj[1200];
	struct stat st;

	make_artifact(&a, 3 * 1024 * 1024 + 17);
	snprintf(url, sizeof(url), "file://%s/store/", dir);
	snprintf(obj, sizeof(obj), "%s/store/web/hello/%s.tar.gz", dir, SHA);
	t.name = (char *)"files";
	t.artifacts = url;

	/* The store's own directory must exist. */
	ck_assert_int_eq(
		roger_store_push(&r, ctx, &t, "/web/hello", &a, &o, &err),
		ROGER_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not exist"));
	roger_store_result_release(&r);
	ck_assert(!roger_fs_exists(obj));

	snprintf(obj, sizeof(obj), "%s/store", dir);
	ck_assert_int_eq(mkdir(obj, 0755), 0);
	snprintf(obj, sizeof(obj), "%s/store/web/hello/%s.tar.gz", dir, SHA);
	o.progress_fn = on_progress;
	o.progress_data = &seen;
	ck_assert_int_eq(
		roger_store_push(&r, ctx, &t, "/web/hello", &a, &o, &err), 0);
	ck_assert(!r.skipped);
	ck_assert_str_eq(r.url + strlen(url), "web/hello/" SHA ".tar.gz");
	ck_assert_uint_eq(r.bytes_sent, a.size);
	ck_assert(same_file(a.path, obj));
	ck_assert_int_eq(stat(obj, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	ck_assert_int_ge(seen.calls, 3);
	ck_assert(!seen.backwards);
	ck_assert_uint_eq(seen.last, a.size);
	ck_assert_uint_eq(seen.total, a.size);
	roger_store_result_release(&r);

	/* Again: one stat, nothing copied. */
	seen.calls = 0;
	ck_assert_int_eq(
		roger_store_push(&r, ctx, &t, "/web/hello", &a, &o, &err), 0);
	ck_assert(r.skipped);
	ck_assert_uint_eq(r.bytes_sent, 0);
	ck_assert_int_eq(seen.calls, 0);
	roger_store_result_release(&r);

	/* Something shorter under the name is replaced. */
	ck_assert_int_eq(truncate(obj, 100), 0);
	ck_assert_int_eq(
		roger_store_push(&r, ctx, &t, "/web/hello", &a, &o, &err), 0);
	ck_assert(!r.skipped);
	ck_assert(r.replaced);
	ck_assert(same_file(a.path, obj));
	roger_store_result_release(&r);
}
END_TEST

START_TEST(test_store_push_file_dry_run)
{
	struct roger_store_result r = ROGER_STORE_RESULT_INIT;
	struct roger_store_push_opts o = { 0 };
	struct roger_target t = { 0 };
	struct roger_artifact a;
	char url[1200], store[1200];

	make_artifact(&a, 1000);
	snprintf(store, sizeof(store), "%s/store", dir);
	ck_assert_int_eq(mkdir(store, 0755), 0);
	snprintf(url, sizeof(url), "file://%s/", store);
	t.artifacts = url;
	o.dry_run = true;
	ck_assert_int_eq(roger_store_push(&r, ctx, &t, "/hello", &a, &o, NULL),
			 0);
	ck_assert(!r.skipped);
	ck_assert_ptr_nonnull(r.request);
	ck_assert_ptr_nonnull(strstr(r.request, "/store/hello/" SHA ".tar.gz"));
	ck_assert_ptr_nonnull(strstr(r.request, a.path));
	ck_assert_int_eq(r.attempts, 0);
	roger_store_result_release(&r);
	snprintf(store, sizeof(store), "%s/store/hello", dir);
	ck_assert(!roger_fs_exists(store));
}
END_TEST

START_TEST(test_store_push_file_concurrent)
{
	struct roger_target t = { 0 };
	struct roger_artifact a;
	char url[1200], path[1200];
	pid_t kids[8];
	int n_files = 0;

	make_artifact(&a, 8 * 1024 * 1024);
	snprintf(path, sizeof(path), "%s/store", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(url, sizeof(url), "file://%s/", path);
	t.artifacts = url;
	for (int i = 0; i < 8; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			struct roger_store_result r = ROGER_STORE_RESULT_INIT;
			int rc = roger_store_push(&r, ctx, &t, "/a/b", &a, NULL,
						  NULL);

			_exit(rc == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < 8; i++) {
		int status;

		ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	snprintf(path, sizeof(path), "%s/store/a/b/%s.tar.gz", dir, SHA);
	ck_assert(same_file(a.path, path));
	{
		char cmd[1300];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "find '%s/store' -type f", dir);
		p = popen(cmd, "r");
		ck_assert_ptr_nonnull(p);
		while (fgets(cmd, sizeof(cmd), p))
			n_files++;
		pclose(p);
	}
	ck_assert_int_eq(n_files, 1);
}
END_TEST

START_TEST(test_store_push_http_faultd)
{
	struct roger_store_result r = ROGER_STORE_RESULT_INIT;
	struct roger_store_push_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_target t = { 0 };
	struct roger_artifact a;
	struct seen seen = { 0 };
	struct faultd f;
	char script[1024], base[128];
	json_t *reqs;

	make_artifact(&a, 200000);
	snprintf(
		script, sizeof(script),
		"[{'match': 'HEAD *', 'status': 404},"
		" {'match': 'PUT *', 'status': 201},"
		" {'match': 'HEAD *', 'headers': {'Content-Length': '200000'}}]");
	faultd_start(&f, script);
	snprintf(base, sizeof(base), "%s/store/", f.url);
	t.name = (char *)"dav";
	t.artifacts = base;
	o.progress_fn = on_progress;
	o.progress_data = &seen;
	ck_assert_int_eq(
		roger_store_push(&r, ctx, &t, "/web/hello", &a, &o, &err), 0);
	ck_assert(!r.skipped);
	ck_assert_int_eq(r.attempts, 1);
	ck_assert_uint_eq(r.bytes_sent, 200000);
	ck_assert_uint_eq(seen.last, 200000);
	ck_assert(!seen.backwards);
	roger_store_result_release(&r);
	reqs = faultd_requests(&f);
	ck_assert_int_eq(json_array_size(reqs), 3);
	{
		json_t *put = json_array_get(reqs, 1);
		json_t *h = json_object_get(put, "h");

		ck_assert_str_eq(
			json_string_value(json_object_get(put, "method")),
			"PUT");
		ck_assert_str_eq(
			json_string_value(json_object_get(put, "path")),
			"/store/web/hello/" SHA ".tar.gz");
		ck_assert_int_eq(
			json_integer_value(json_object_get(put, "body_len")),
			200000);
		ck_assert_str_eq(
			json_string_value(json_object_get(h, "content-length")),
			"200000");
		ck_assert_str_eq(
			json_string_value(json_object_get(h, "expect")),
			"100-continue");
		ck_assert_str_eq(json_string_value(json_object_get(
					 h, "x-checksum-sha256")),
				 SHA);
		ck_assert_str_eq(
			json_string_value(json_object_get(h, "content-type")),
			"application/gzip");
	}
	json_decref(reqs);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_store_push_http_dry_run)
{
	struct roger_store_result r = ROGER_STORE_RESULT_INIT;
	struct roger_store_push_opts o = { 0 };
	struct roger_target t = { 0 };
	struct roger_artifact a;
	struct faultd f;
	char base[128];

	make_artifact(&a, 5000);
	faultd_start(&f, "[{'match': 'HEAD *', 'status': 404, 'times': 0}]");
	snprintf(base, sizeof(base), "%s/", f.url);
	t.artifacts = base;
	o.dry_run = true;
	ck_assert_int_eq(roger_store_push(&r, ctx, &t, "/hello", &a, &o, NULL),
			 0);
	ck_assert_ptr_nonnull(r.request);
	ck_assert_ptr_nonnull(strstr(r.request, "curl -sS -X PUT "));
	ck_assert_ptr_nonnull(strstr(r.request, " -T '"));
	ck_assert_ptr_nonnull(strstr(r.request, "/hello/" SHA ".tar.gz'"));
	ck_assert_int_eq(faultd_count(&f, "HEAD", "/hello/"), 1);
	ck_assert_int_eq(faultd_count(&f, "PUT", "/"), 0);
	roger_store_result_release(&r);
	faultd_stop(&f);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, test_store_url_joins_store_app_digest);
	tcase_add_test(tc, test_store_url_refuses_bad_input);
	tcase_add_test(tc, test_store_file_paths);
	tcase_add_test(tc, test_store_check_target);
	suite_add_tcase(s, tc);

	tc = tcase_create("replies");
	tcase_add_test(tc, test_store_head_states);
	tcase_add_test(tc, test_store_head_digest_decides);
	tcase_add_test(tc, test_store_reply_digests);
	suite_add_tcase(s, tc);

	tc = tcase_create("push");
	tcase_add_checked_fixture(tc, push_setup, push_teardown);
	tcase_add_test(tc, test_store_push_file);
	tcase_add_test(tc, test_store_push_file_dry_run);
	tcase_add_test(tc, test_store_push_file_concurrent);
	tcase_add_test(tc, test_store_push_http_faultd);
	tcase_add_test(tc, test_store_push_http_dry_run);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	faultd_tmp_init();
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	faultd_tmp_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
