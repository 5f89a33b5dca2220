/*
 * check_http.c - unit tests of the http module: the pure helpers, the
 * client's policy over canned replies (tests/fake_http.c), and the curl
 * transport end to end over loopback against tests/faultd.py.
 */
#include <config.h>

#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_http.h"
#include "faultd.h"
#include "lib/http.h"
#include "lib/roger.h"
#include "lib/target.h"

/* ---- helpers ------------------------------------------------------------- */

/* Secrets for the tests (struct roger_auth holds writable strings). */
static char tok_t0k[] = "T0K", tok_t[] = "T", tok_jwt[] = "eyJhbGciOi.SECRET",
	    tok_super[] = "SUPERSECRETTOKEN", user_alice[] = "alice",
	    pw_s3cret[] = "s3cret";

/* Log lines captured from the context. */
static struct roger_buf logged = ROGER_BUF_INIT;

static void capture_log(void *data, int level, const char *fmt, va_list ap)
	ROGER_PRINTF(3, 0);

static void capture_log(void *data, int level, const char *fmt, va_list ap)
{
	(void)data;
	roger_buf_addf(&logged, "%d ", level);
	roger_buf_vaddf(&logged, fmt, ap);
	roger_buf_addch(&logged, '\n');
}

static const char *fake_env_trace;

static const char *test_getenv(void *data, const char *name)
{
	(void)data;
	if (!strcmp(name, "ROGER_TRACE_HTTP"))
		return fake_env_trace;
	return NULL;
}

static struct roger_ctx *new_ctx(int level)
{
	struct roger_ctx *ctx;

	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
	roger_buf_reset(&logged);
	roger_ctx_set_log_fn(ctx, capture_log, NULL);
	roger_ctx_set_log_level(ctx, level);
	roger_ctx_set_getenv_fn(ctx, test_getenv, NULL);
	return ctx;
}

/* Sleeps recorded instead of slept. */
static long slept[64];
static size_t n_slept;

static int record_sleep(void *data, long ms)
{
	(void)data;
	ck_assert_uint_lt(n_slept, 64);
	slept[n_slept++] = ms;
	return 0;
}

static struct roger_http_client *fake_client(struct roger_ctx *ctx,
					     struct fake_http *f,
					     const char *const *bases, size_t n,
					     const struct roger_auth *auth)
{
	struct roger_http_client_opts o = { 0 };
	struct roger_http_client *c;
	struct roger_err err = ROGER_ERR_INIT;

	o.name = "marathon";
	o.target_name = "prod";
	o.bases = bases;
	o.n_bases = n;
	o.auth = auth;
	ck_assert_msg(roger_http_client_new(&c, ctx, &o, &f->base, &err) == 0,
		      "%s", err.msg);
	n_slept = 0;
	roger_http_client_set_sleep_fn(c, record_sleep, NULL);
	return c;
}

static const char *const one_base[] = { "http://m1:8080" };
static const char *const two_bases[] = { "http://m1:8080/", "http://m2:8080" };

static void assert_one_line(const char *msg)
{
	ck_assert_msg(*msg, "empty message");
	ck_assert_msg(!strchr(msg, '\n') && !strchr(msg, '\r'),
		      "message is not one line: %s", msg);
}

/* ---- pure helpers -------------------------------------------------------- */

START_TEST(test_http_backoff_grows_with_jitter_and_cap)
{
	long prev_max = 0;

	for (int retry = 1; retry <= 8; retry++) {
		long d = 500L << (retry - 1);
		long lo, hi;

		if (d > 8000)
			d = 8000;
		lo = roger_http_backoff_ms(retry, 500, 8000, 0);
		hi = roger_http_backoff_ms(retry, 500, 8000, 0xffffffffu);
		ck_assert_int_eq(lo, d - d / 2);
		ck_assert_int_le(hi, d);
		ck_assert_int_ge(hi, lo);
		ck_assert_int_ge(d, prev_max);
		prev_max = d;
		for (uint32_t r = 0; r < 1000; r += 37) {
			long v = roger_http_backoff_ms(retry, 500, 8000, r);

			ck_assert_int_ge(v, lo);
			ck_assert_int_le(v, d);
		}
	}
	ck_assert_int_eq(roger_http_backoff_ms(40, 500, 8000, 0), 4000);
}
END_TEST

START_TEST(test_http_idempotent_methods)
{
	ck_assert(roger_http_method_idempotent("GET"));
	ck_assert(roger_http_method_idempotent("head"));
	ck_assert(roger_http_method_idempotent("PUT"));
	ck_assert(roger_http_method_idempotent("DELETE"));
	ck_assert(roger_http_method_idempotent(NULL));
	ck_assert(!roger_http_method_idempotent("POST"));
	ck_assert(!roger_http_method_idempotent("PATCH"));
}
END_TEST

static void check_resolve(const char *base, const char *ref, const char *want)
{
	char *out = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_http_resolve_url(&out, base, ref, &err) == 0, "%s",
		      err.msg);
	ck_assert_str_eq(out, want);
	free(out);
}

START_TEST(test_http_resolve_url_forms)
{
	struct roger_err err = ROGER_ERR_INIT;
	char *out = NULL;

	check_resolve("http://m1:5050/master/state", "//m2:5050/master/state",
		      "http://m2:5050/master/state");
	check_resolve("https://m1:5050/master/state", "//m2:5050/master/state",
		      "https://m2:5050/master/state");
	check_resolve("http://m1:5050/a/b?x=1", "https://o/p", "https://o/p");
	check_resolve("http://m1:5050/a/b?x=1", "/c?d", "http://m1:5050/c?d");
	check_resolve("http://m1:5050/a/b?x=1", "c", "http://m1:5050/a/c");
	check_resolve("http://m1:5050", "c", "http://m1:5050/c");
	check_resolve("http://m1:5050/a/b?x=1", "?y=2",
		      "http://m1:5050/a/b?y=2");
	ck_assert_int_eq(roger_http_resolve_url(&out, "m1:5050", "/x", &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_http_mask_url_hides_password)
{
	struct roger_buf b = ROGER_BUF_INIT;

	roger_http_mask_url(&b, "https://alice:s3cret@m1:8080/v2/apps?x=a@b");
	ck_assert_str_eq(b.buf, "https://alice:***@m1:8080/v2/apps?x=a@b");
	roger_buf_reset(&b);
	roger_http_mask_url(&b, "http://m1:8080/v2/apps?x=a:b@c");
	ck_assert_str_eq(b.buf, "http://m1:8080/v2/apps?x=a:b@c");
	roger_buf_reset(&b);
	roger_http_mask_url(&b, "http://alice@m1/");
	ck_assert_str_eq(b.buf, "http://alice@m1/");
	roger_buf_release(&b);
}
END_TEST

static void check_summary(const char *ct, const char *body, const char *want)
{
	struct roger_buf b = ROGER_BUF_INIT;

	ck_assert_int_eq(
		roger_http_body_summary(&b, ct, body, strlen(body), 80), 0);
	ck_assert_str_eq(b.buf, want);
	roger_buf_release(&b);
}

START_TEST(test_http_body_summary_shapes)
{
	check_summary("application/json",
		      "{\"message\":\"App '/x' does not exist\"}",
		      "App '/x' does not exist");
	check_summary(
		NULL,
		"{\"message\":\"Invalid JSON\",\"details\":\"Unexpected end\\nof input\"}",
		"Invalid JSON: Unexpected end of input");
	check_summary(
		"text/html;charset=iso-8859-1",
		"<html>\n<head>\n<title>Error 502 Could not determine the current leader</title>\n</head><body>x</body></html>",
		"Error 502 Could not determine the current leader");
	check_summary(
		"text/html",
		"<html><body><h2>HTTP ERROR 401</h2>\n<p>Problem</p></body></html>",
		"HTTP ERROR 401 Problem");
	check_summary("text/plain", "No leader elected\nsecond line",
		      "No leader elected");
	check_summary("application/json", "{\"message\":\"App is lo",
		      "{\"message\":\"App is lo");
	check_summary(NULL, "  \r\n ", "");
	check_summary(NULL, "x\001y\tz", "x y z");
	check_summary(
		NULL,
		"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
		"01234567890123456789012345678901234567890123456789012345678901234567890123456789...");
}
END_TEST

START_TEST(test_http_escape)
{
	struct roger_buf b = ROGER_BUF_INIT;

	roger_http_escape(&b, "2014-03-01T23:42:20.938Z a/b&c=d");
	ck_assert_str_eq(b.buf, "2014-03-01T23%3A42%3A20.938Z%20a%2Fb%26c%3Dd");
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_http_resp_headers_last_wins)
{
	struct roger_http_resp r = ROGER_HTTP_RESP_INIT;

	roger_http_resp_add_header(&r, "Location", 8, "/a", 2);
	roger_http_resp_add_header(&r, "X-Empty", 7, "", 0);
	roger_http_resp_add_header(&r, "location", 8, "/b", 2);
	ck_assert_str_eq(roger_http_resp_header(&r, "LOCATION"), "/b");
	ck_assert_str_eq(roger_http_resp_header(&r, "x-empty"), "");
	ck_assert_ptr_null(roger_http_resp_header(&r, "Content-Type"));
	roger_http_resp_reset(&r);
	ck_assert_ptr_null(roger_http_resp_header(&r, "Location"));
	roger_http_resp_release(&r);
	roger_http_resp_release(NULL);
}
END_TEST

/* ---- client policy over canned replies ----------------------------------- */

START_TEST(test_http_retries_503_for_get_then_succeeds)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_INFO);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, NULL);
	struct roger_http_req req = { .url = "/v2/apps" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	fake_http_push(f, &(struct fake_reply){ .status = 503 });
	fake_http_push(f, &(struct fake_reply){ .status = 502 });
	fake_http_push(f, &(struct fake_reply){ .status = 200, .body = "{}" });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_int_eq(resp.attempts, 3);
	ck_assert_uint_eq(f->n_requests, 3);
	ck_assert_uint_eq(n_slept, 2);
	ck_assert_int_ge(slept[0], 250);
	ck_assert_int_le(slept[0], 500);
	ck_assert_int_ge(slept[1], 500);
	ck_assert_int_le(slept[1], 1000);
	ck_assert_str_eq(f->requests[0].url, "http://m1:8080/v2/apps");
	ck_assert_ptr_nonnull(strstr(logged.buf, "answered HTTP 503"));
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_503_gives_up_after_max_retries)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, NULL);
	struct roger_http_req req = { .url = "/v2/apps" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	for (int i = 0; i < 6; i++)
		fake_http_push(
			f,
			&(struct fake_reply){
				.status = 503,
				.headers = "Content-Type: text/html\n",
				.body = "<html><title>Error 503 Could not determine the current leader</title></html>" });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err), 0);
	ck_assert_int_eq(resp.status, 503);
	ck_assert_uint_eq(f->n_requests, 6);
	ck_assert_uint_eq(n_slept, 5);
	ck_assert_int_eq(roger_http_client_status_err(c, &resp, &err),
			 ROGER_ENET);
	ck_assert_int_eq(err.http_status, 503);
	ck_assert_str_eq(
		err.msg,
		"marathon at 'http://m1:8080/v2/apps' is unavailable (HTTP 503 Service Unavailable: Error 503 Could not determine the current leader, 6 attempts)");
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_retry_after_is_honoured)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, NULL);
	struct roger_http_req req = { .url = "/v2/apps" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;

	fake_http_push(f,
		       &(struct fake_reply){ .status = 503,
					     .headers = "Retry-After: 3\n" });
	fake_http_push(f, &(struct fake_reply){ .status = 200 });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_uint_eq(n_slept, 1);
	ck_assert_int_eq(slept[0], 3000);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_post_is_not_retried_on_503)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, NULL);
	struct roger_http_req req = { .method = "POST",
				      .url = "/v2/apps/x/restart" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;

	fake_http_push(f, &(struct fake_reply){ .status = 503 });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_int_eq(resp.status, 503);
	ck_assert_uint_eq(f->n_requests, 1);
	ck_assert_uint_eq(n_slept, 0);
	ck_assert_int_eq(f->requests[0].idempotent, ROGER_HTTP_IDEMPOTENT_NO);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_post_retried_only_if_never_sent)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, NULL);
	struct roger_http_req req = {
		.method = "POST", .url = "/v2/apps", .body = "{}", .body_len = 2
	};
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	/* refused: nothing left, so it is safe to try again */
	fake_http_push(
		f,
		&(struct fake_reply){
			.fail = ROGER_ENET,
			.message =
				"cannot connect to 'http://m1:8080/v2/apps': connection refused" });
	/* reset after sending: the server may have created the app */
	fake_http_push(
		f,
		&(struct fake_reply){
			.fail = ROGER_ENET,
			.sent = true,
			.message =
				"connection to 'http://m1:8080/v2/apps' was reset" });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err),
			 ROGER_ENET);
	ck_assert_uint_eq(f->n_requests, 2);
	ck_assert_uint_eq(n_slept, 1);
	ck_assert_str_eq(
		err.msg,
		"connection to 'http://m1:8080/v2/apps' was reset after the request was sent (a POST is not retried: the server may have acted on it)");
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_get_retried_after_reset_not_after_timeout)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, NULL);
	struct roger_http_req req = { .url = "/v2/apps" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	fake_http_push(f, &(struct fake_reply){ .fail = ROGER_ENET,
						.sent = true,
						.message = "reset" });
	fake_http_push(
		f,
		&(struct fake_reply){
			.fail = ROGER_ENET,
			.sent = true,
			.timed_out = true,
			.message =
				"timed out after 5 s waiting for 'http://m1:8080/v2/apps'" });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err),
			 ROGER_ENET);
	ck_assert_uint_eq(f->n_requests, 2);
	ck_assert_str_eq(
		err.msg,
		"timed out after 5 s waiting for 'http://m1:8080/v2/apps'");
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_no_retry_flag)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, NULL);
	struct roger_http_req req = { .url = "/v2/apps",
				      .flags = ROGER_HTTP_NO_RETRY };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;

	fake_http_push(f, &(struct fake_reply){ .fail = ROGER_ENET });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL),
			 ROGER_ENET);
	ck_assert_uint_eq(f->n_requests, 1);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_failover_remembers_the_base_that_answered)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_INFO);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, two_bases, 2, NULL);
	struct roger_http_req req = { .url = "/v2/info" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;

	fake_http_push(
		f,
		&(struct fake_reply){
			.fail = ROGER_ENET,
			.message =
				"cannot connect to 'http://m1:8080/v2/info': connection refused" });
	fake_http_push(f, &(struct fake_reply){ .status = 200 });
	fake_http_push(f, &(struct fake_reply){ .status = 200 });
	ck_assert_str_eq(roger_http_client_base(c), "http://m1:8080");
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_uint_eq(n_slept, 0);
	ck_assert_str_eq(f->requests[0].url, "http://m1:8080/v2/info");
	ck_assert_str_eq(f->requests[1].url, "http://m2:8080/v2/info");
	ck_assert_str_eq(roger_http_client_base(c), "http://m2:8080");
	ck_assert_ptr_nonnull(strstr(logged.buf, "trying 'http://m2:8080'"));
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_str_eq(f->requests[2].url, "http://m2:8080/v2/info");
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_failover_rounds_then_gives_up)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, two_bases, 2, NULL);
	struct roger_http_req req = { .url = "/v2/info" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	for (int i = 0; i < 12; i++)
		fake_http_push(
			f,
			&(struct fake_reply){
				.fail = ROGER_ENET,
				.message =
					i % 2 ? "cannot connect to 'http://m2:8080/v2/info': connection refused"
					      : "cannot connect to 'http://m1:8080/v2/info': connection refused" });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err),
			 ROGER_ENET);
	/* 6 rounds of 2 URLs, a backoff between rounds only */
	ck_assert_uint_eq(f->n_requests, 12);
	ck_assert_uint_eq(n_slept, 5);
	ck_assert_str_eq(
		err.msg,
		"cannot reach marathon at any of its 2 URLs; last: cannot connect to 'http://m2:8080/v2/info': connection refused");
	assert_one_line(err.msg);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_absolute_url_skips_bases)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, two_bases, 2, NULL);
	struct roger_http_req req = {
		.url = "http://agent-1:5051/files/read?path=x"
	};
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	fake_http_push(f, &(struct fake_reply){ .status = 200 });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err), 0);
	ck_assert_str_eq(f->requests[0].url,
			 "http://agent-1:5051/files/read?path=x");
	ck_assert_str_eq(roger_http_client_base(c), "http://m1:8080");
	req.url = "v2/apps";
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err),
			 ROGER_EINVALID);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_follows_mesos_protocol_relative_307)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	static const char *const mesos[] = { "https://mesos-1:5050" };
	struct roger_auth auth = { .kind = ROGER_AUTH_TOKEN, .token = tok_t0k };
	struct roger_http_client *c = fake_client(ctx, f, mesos, 1, &auth);
	struct roger_http_req req = { .url = "/master/state" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;

	fake_http_push(
		f,
		&(struct fake_reply){
			.status = 307,
			.headers = "Location: //mesos-2:5050/master/state\n" });
	fake_http_push(f, &(struct fake_reply){ .status = 200, .body = "{}" });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(f->n_requests, 2);
	ck_assert_str_eq(f->requests[1].url,
			 "https://mesos-2:5050/master/state");
	ck_assert_str_eq(f->requests[1].method, "GET");
	ck_assert_str_eq(fake_http_req_header(f, 1, "Authorization"),
			 "token=T0K");
	ck_assert_str_eq(resp.url, "https://mesos-2:5050/master/state");
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_redirect_rules)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	static const char *const base[] = { "https://m1" };
	struct roger_auth auth = { .kind = ROGER_AUTH_TOKEN, .token = tok_t0k };
	struct roger_http_client *c = fake_client(ctx, f, base, 1, &auth);
	struct roger_http_req req = { .method = "PUT",
				      .url = "/v2/apps/x",
				      .body = "{}",
				      .body_len = 2,
				      .content_type = "application/json" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	/* 307 keeps the method and body; a downgrade to http drops the token */
	fake_http_push(f,
		       &(struct fake_reply){
			       .status = 307,
			       .headers = "Location: http://m2/v2/apps/x\n" });
	fake_http_push(f, &(struct fake_reply){ .status = 200 });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_str_eq(f->requests[1].method, "PUT");
	ck_assert_str_eq(f->requests[1].body, "{}");
	ck_assert_ptr_nonnull(fake_http_req_header(f, 0, "Authorization"));
	ck_assert_ptr_null(fake_http_req_header(f, 1, "Authorization"));

	/* 303 turns into a GET without a body */
	fake_http_push(f,
		       &(struct fake_reply){ .status = 303,
					     .headers = "Location: /done\n" });
	fake_http_push(f, &(struct fake_reply){ .status = 200 });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_str_eq(f->requests[3].method, "GET");
	ck_assert_str_eq(f->requests[3].url, "https://m1/done");
	ck_assert_uint_eq(f->requests[3].body_len, 0);
	ck_assert_ptr_null(fake_http_req_header(f, 3, "Content-Type"));

	/* NO_REDIRECT hands the 3xx back */
	req.flags = ROGER_HTTP_NO_REDIRECT;
	fake_http_push(f, &(struct fake_reply){ .status = 307,
						.headers = "Location: /x\n" });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_int_eq(resp.status, 307);
	req.flags = 0;

	/* a loop ends */
	for (int i = 0; i < 6; i++)
		fake_http_push(f, &(struct fake_reply){
					  .status = 302,
					  .headers = "Location: /loop\n" });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err),
			 ROGER_EHTTP);
	ck_assert_str_eq(err.msg, "too many redirects from 'https://m1/loop'");
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_headers_and_auth)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_auth basic = { .kind = ROGER_AUTH_BASIC,
				    .user = user_alice,
				    .password = pw_s3cret };
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, &basic);
	struct roger_http_header extra[] = { { "X-Extra", "1" } };
	struct roger_http_req req = { .method = "PUT",
				      .url = "/v2/apps/x",
				      .body = "{\"cpus\":1}",
				      .body_len = 10,
				      .content_type = "application/json",
				      .accept = "application/json",
				      .headers = extra,
				      .n_headers = 1 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	char ua[64];

	fake_http_push(f, &(struct fake_reply){ .status = 200 });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	snprintf(ua, sizeof(ua), "roger/%s", roger_version());
	ck_assert_str_eq(fake_http_req_header(f, 0, "User-Agent"), ua);
	ck_assert_str_eq(fake_http_req_header(f, 0, "Authorization"),
			 "Basic YWxpY2U6czNjcmV0");
	ck_assert_str_eq(fake_http_req_header(f, 0, "Accept"),
			 "application/json");
	ck_assert_str_eq(fake_http_req_header(f, 0, "Content-Type"),
			 "application/json");
	ck_assert_str_eq(fake_http_req_header(f, 0, "X-Extra"), "1");
	ck_assert_str_eq(f->requests[0].body, "{\"cpus\":1}");
	/* the client's default timeouts reach the transport */
	ck_assert_int_eq(f->requests[0].connect_timeout_ms, 10000);
	ck_assert_int_eq(f->requests[0].timeout_ms, 60000);
	ck_assert_int_eq(f->requests[0].idempotent, ROGER_HTTP_IDEMPOTENT_YES);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_trace_is_a_curl_line_with_secrets_masked)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_TRACE);
	struct fake_http *f = fake_http_new();
	struct roger_auth token = { .kind = ROGER_AUTH_TOKEN,
				    .token = tok_jwt };
	struct roger_auth basic = { .kind = ROGER_AUTH_BASIC,
				    .user = user_alice,
				    .password = pw_s3cret };
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, &token);
	struct roger_http_req req = { .method = "PUT",
				      .url = "/v2/apps/x?force=true",
				      .body = "{\"cmd\":\"echo 'hi'\"}",
				      .body_len = 19,
				      .content_type = "application/json",
				      .timeout_ms = 2500 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	char want[512];

	fake_http_push(f, &(struct fake_reply){ .status = 200 });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	snprintf(
		want, sizeof(want),
		"8 curl -sS -X PUT -H 'User-Agent: roger/%s' -H 'Content-Type: application/json' -H 'Authorization: token=***' --connect-timeout 10 --max-time 2.5 --data-binary '{\"cmd\":\"echo '\\''hi'\\''\"}' 'http://m1:8080/v2/apps/x?force=true'\n",
		roger_version());
	ck_assert_str_eq(logged.buf, want);
	ck_assert_ptr_null(strstr(logged.buf, "SECRET"));
	roger_http_client_free(c);
	fake_http_free(f);

	f = fake_http_new();
	c = fake_client(ctx, f, one_base, 1, &basic);
	roger_buf_reset(&logged);
	req.method = NULL;
	req.body = NULL;
	req.body_len = 0;
	fake_http_push(f, &(struct fake_reply){ .status = 200 });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_ptr_nonnull(strstr(logged.buf, " -u 'alice:***' "));
	ck_assert_ptr_null(strstr(logged.buf, "s3cret"));
	ck_assert_ptr_null(strstr(logged.buf, "YWxpY2U6czNjcmV0"));
	ck_assert_ptr_null(strstr(logged.buf, "-X GET"));
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_no_trace_below_trace_level)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_DEBUG);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, NULL);
	struct roger_http_req req = { .url = "/ping" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;

	fake_http_push(f, &(struct fake_reply){ .status = 200 });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_ptr_null(strstr(logged.buf, "curl "));
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

static void check_status(struct roger_http_client *c, long status,
			 const char *ct, const char *body, int code,
			 const char *want)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	resp.status = status;
	resp.attempts = 1;
	resp.url = strdup("http://m1:8080/v2/apps/x");
	if (ct)
		roger_http_resp_add_header(&resp, "Content-Type", 12, ct,
					   strlen(ct));
	roger_buf_adds(&resp.body, body);
	ck_assert_int_eq(roger_http_client_status_err(c, &resp, &err), code);
	ck_assert_int_eq(err.code, code);
	ck_assert_int_eq(err.http_status, status);
	ck_assert_str_eq(err.msg, want);
	assert_one_line(err.msg);
	roger_http_resp_release(&resp);
}

START_TEST(test_http_status_errors)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_auth token = { .kind = ROGER_AUTH_TOKEN, .token = tok_t };
	struct roger_http_client *none = fake_client(ctx, f, one_base, 1, NULL);
	struct fake_http *f2 = fake_http_new();
	struct roger_http_client *tok =
		fake_client(ctx, f2, one_base, 1, &token);

	check_status(
		none, 401, "text/html",
		"<html><head><title>Error 401 Unauthorized</title></head></html>",
		ROGER_EAUTH,
		"authentication refused by marathon at 'http://m1:8080/v2/apps/x' (HTTP 401 Unauthorized: Error 401 Unauthorized); target 'prod' has no credentials (set \"auth\" in its configuration, or ROGER_TOKEN, or ROGER_USER and ROGER_PASSWORD)");
	check_status(
		tok, 401, "application/json",
		"{\"message\":\"Invalid username or password.\"}", ROGER_EAUTH,
		"authentication refused by marathon at 'http://m1:8080/v2/apps/x' (HTTP 401 Unauthorized: Invalid username or password.); the token of target 'prod' was refused (it may have expired)");
	check_status(
		tok, 403, "application/json",
		"{\"message\":\"Not Authorized to perform this action!\"}",
		ROGER_EAUTH,
		"access denied by marathon at 'http://m1:8080/v2/apps/x' (HTTP 403 Forbidden: Not Authorized to perform this action!); the credentials of target 'prod' lack the permission");
	check_status(
		tok, 404, NULL, "", ROGER_ENOTFOUND,
		"'http://m1:8080/v2/apps/x' not found (HTTP 404 Not Found)");
	check_status(
		tok, 409, NULL, "{\"message\":\"locked\"}", ROGER_ECONFLICT,
		"conflict at 'http://m1:8080/v2/apps/x' (HTTP 409 Conflict: locked)");
	check_status(
		tok, 422, NULL, "{\"message\":\"Object is not valid\"}",
		ROGER_EINVALID,
		"marathon refused the request to 'http://m1:8080/v2/apps/x' (HTTP 422 Unprocessable Entity: Object is not valid)");
	check_status(
		tok, 500, NULL, "{\"message\":\"URI not found\"}", ROGER_EHTTP,
		"unexpected reply from marathon at 'http://m1:8080/v2/apps/x' (HTTP 500 Internal Server Error: URI not found)");
	check_status(
		tok, 418, NULL, "", ROGER_EHTTP,
		"unexpected reply from marathon at 'http://m1:8080/v2/apps/x' (HTTP 418)");
	roger_http_client_free(none);
	roger_http_client_free(tok);
	fake_http_free(f);
	fake_http_free(f2);
	roger_ctx_free(ctx);
}
END_TEST

static int collect_body(void *data, const char *chunk, size_t len,
			struct roger_err *err)
{
	struct roger_buf *b = data;

	(void)err;
	roger_buf_add(b, chunk, len);
	return b->len >= 6 ? ROGER_HTTP_STOP : 0;
}

START_TEST(test_http_body_callback_can_stop)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct fake_http *f = fake_http_new();
	struct roger_http_client *c = fake_client(ctx, f, one_base, 1, NULL);
	struct roger_buf got = ROGER_BUF_INIT;
	struct roger_http_req req = { .url = "/v2/events",
				      .body_fn = collect_body,
				      .body_data = &got };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;

	f->chunk = 2;
	fake_http_push(
		f, &(struct fake_reply){ .status = 200, .body = "abcdefghij" });
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	ck_assert_str_eq(got.buf, "abcdef");
	ck_assert_int_eq(resp.streamed, 6);
	ck_assert_uint_eq(resp.body.len, 0);
	roger_buf_release(&got);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	fake_http_free(f);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_client_for_target)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	char u1[] = "https://m1:8080", u2[] = "https://m2:8080";
	char bad[] = "m1:8080", name[] = "prod", mesos[] = "https://mesos:5050";
	char *urls[] = { u1, u2 };
	struct roger_target t = {
		.name = name, .marathon = urls, .n_marathon = 2, .mesos = mesos
	};
	struct roger_http_client *c = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_http_client_for_target(
				 &c, ctx, &t, ROGER_HTTP_MARATHON, &err),
			 0);
	ck_assert_str_eq(roger_http_client_base(c), "https://m1:8080");
	roger_http_client_free(c);
	ck_assert_int_eq(roger_http_client_for_target(
				 &c, ctx, &t, ROGER_HTTP_ARTIFACTS, &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "target 'prod' has no artifact store URL");
	urls[0] = bad;
	ck_assert_int_eq(roger_http_client_for_target(
				 &c, ctx, &t, ROGER_HTTP_MARATHON, &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(
		err.msg,
		"invalid marathon URL 'm1:8080': expected http:// or https://");
	roger_ctx_free(ctx);
}
END_TEST

/* ---- over loopback, against faultd --------------------------------------- */

static struct roger_http_client *real_client(struct roger_ctx *ctx,
					     const char *base,
					     const struct roger_auth *auth,
					     long timeout_ms)
{
	struct roger_http_client_opts o = { 0 };
	struct roger_http_client *c;
	struct roger_err err = ROGER_ERR_INIT;
	const char *bases[1] = { base };

	o.name = "marathon";
	o.target_name = "test";
	o.bases = bases;
	o.n_bases = 1;
	o.auth = auth;
	o.timeout_ms = timeout_ms;
	o.backoff_base_ms = 20;
	o.backoff_max_ms = 80;
	o.max_retries = 3;
	ck_assert_msg(roger_http_client_new(&c, ctx, &o, NULL, &err) == 0, "%s",
		      err.msg);
	return c;
}

/* Send `method path` and expect the error `code` with message `want`. */
static void expect_failure(struct roger_http_client *c, const char *method,
			   const char *path, int code, const char *want)
{
	struct roger_http_req req = { .method = method, .url = path };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	int rc = roger_http_client_send(c, &req, &resp, &err);

	if (rc == 0)
		rc = roger_http_client_status_err(c, &resp, &err);
	ck_assert_msg(rc == code, "%s %s: code %d, want %d: %s", method, path,
		      rc, code, err.msg);
	ck_assert_msg(strstr(err.msg, want), "%s %s: message '%s' lacks '%s'",
		      method, path, err.msg, want);
	assert_one_line(err.msg);
	roger_http_resp_release(&resp);
}

START_TEST(test_http_real_leader_election_503s_then_success)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;
	struct roger_http_req req = { .url = "/v2/apps",
				      .accept = "application/json" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	faultd_start(
		&fd,
		"[{'match': 'GET /v2/apps', 'status': 503, 'html': true, 'times': 1, 'message': 'Could not determine the current leader'},"
		" {'match': 'GET /v2/apps', 'status': 502, 'times': 1},"
		" {'match': 'GET /v2/apps', 'json': {'apps': []}}]");
	c = real_client(ctx, fd.url, NULL, 0);
	ck_assert_msg(roger_http_client_send(c, &req, &resp, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.body.buf, "{\"apps\": []}");
	ck_assert_str_eq(roger_http_resp_header(&resp, "Content-Type"),
			 "application/json");
	ck_assert_int_eq(resp.attempts, 3);
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/v2/apps"), 3);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_error_statuses)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;

	faultd_start(
		&fd,
		"[{'match': 'PUT /v2/apps/locked', 'status': 409, 'json': {'message': 'App is locked by one or more deployments.', 'deployments': [{'id': 'd1'}]}},"
		" {'match': 'GET /401', 'status': 401, 'html': true, 'times': 2, 'headers': {'WWW-Authenticate': 'Basic realm=\\'Mesosphere\\''}},"
		" {'match': 'GET /403', 'status': 403, 'json': {'message': 'Not Authorized to perform this action!'}},"
		" {'match': 'GET /502', 'status': 502, 'html': true, 'times': 0, 'message': 'Could not determine the current leader'}]");
	c = real_client(ctx, fd.url, NULL, 0);
	expect_failure(
		c, "PUT", "/v2/apps/locked", ROGER_ECONFLICT,
		"(HTTP 409 Conflict: App is locked by one or more deployments.)");
	expect_failure(c, "GET", "/401", ROGER_EAUTH,
		       "authentication refused by marathon at '");
	expect_failure(
		c, "GET", "/401", ROGER_EAUTH,
		"(HTTP 401 Unauthorized: Error 401 Unauthorized); target 'test' has no credentials");
	expect_failure(c, "GET", "/403", ROGER_EAUTH,
		       "access denied by marathon");
	expect_failure(
		c, "GET", "/502", ROGER_ENET,
		"/502' is unavailable (HTTP 502 Bad Gateway: Error 502 Could not determine the current leader, 4 attempts)");
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/502"), 4);
	ck_assert_uint_eq(faultd_count(&fd, "PUT", "/v2/apps/locked"), 1);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_truncated_reply)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;

	faultd_start(
		&fd,
		"[{'match': 'GET /v2/apps', 'json': {'apps': [{'id': '/a'}, {'id': '/b'}]}, 'close_after': 15, 'times': 0}]");
	c = real_client(ctx, fd.url, NULL, 0);
	expect_failure(
		c, "GET", "/v2/apps", ROGER_ENET,
		"/v2/apps' closed the connection in the middle of the reply");
	/* an idempotent request is tried again: 1 + 3 retries */
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/v2/apps"), 4);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_reset_get_retried_post_not)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;
	struct roger_http_req get = { .url = "/v2/apps" };
	struct roger_http_req post = { .method = "POST",
				       .url = "/v2/apps",
				       .body = "{\"id\":\"/a\"}",
				       .body_len = 11,
				       .content_type = "application/json" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *reqs;

	faultd_start(&fd,
		     "[{'match': 'GET /v2/apps', 'reset': true},"
		     " {'match': 'GET /v2/apps', 'json': {'apps': []}},"
		     " {'match': 'POST /v2/apps', 'reset': true},"
		     " {'match': 'POST /v2/apps', 'status': 201, 'json': {}}]");
	c = real_client(ctx, fd.url, NULL, 0);
	ck_assert_msg(roger_http_client_send(c, &get, &resp, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/v2/apps"), 2);

	ck_assert_int_eq(roger_http_client_send(c, &post, &resp, &err),
			 ROGER_ENET);
	ck_assert_msg(
		strstr(err.msg,
		       " after the request was sent (a POST is not retried: the server may have acted on it)"),
		"%s", err.msg);
	assert_one_line(err.msg);
	/* the server received the POST once, and it was not sent again */
	reqs = faultd_requests(&fd);
	ck_assert_uint_eq(faultd_count(&fd, "POST", "/v2/apps"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(reqs, 2), "body")),
			 "{\"id\":\"/a\"}");
	json_decref(reqs);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_slow_reply_times_out)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;
	char want[128];

	faultd_start(
		&fd,
		"[{'match': 'GET /slow', 'delay': 3, 'json': {}, 'times': 0}]");
	c = real_client(ctx, fd.url, NULL, 500);
	snprintf(want, sizeof(want),
		 "timed out after 0.5 s waiting for 'http://127.0.0.1:%d/slow'",
		 fd.port);
	expect_failure(c, "GET", "/slow", ROGER_ENET, want);
	/* a slow reply is not retried */
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/slow"), 1);
	ck_assert_int_eq(roger_exit_status(ROGER_ENET), 4);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

/* Limits changed after creation apply to the next requests. */
START_TEST(test_http_real_set_limits)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;
	char want[128];

	faultd_start(
		&fd,
		"[{'match': 'GET /slow', 'delay': 3, 'json': {}, 'times': 0},"
		" {'match': 'GET /reset', 'reset': true, 'times': 0}]");
	c = real_client(ctx, fd.url, NULL, 0);
	roger_http_client_set_limits(c, 0, 400, -1);
	snprintf(want, sizeof(want),
		 "timed out after 0.4 s waiting for 'http://127.0.0.1:%d/slow'",
		 fd.port);
	expect_failure(c, "GET", "/slow", ROGER_ENET, want);
	/* No retries: one reset is the end. */
	expect_failure(c, "GET", "/reset", ROGER_ENET, "/reset");
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/reset"), 1);
	/* Zeros keep what was set. */
	roger_http_client_set_limits(c, 0, 0, 0);
	expect_failure(c, "GET", "/slow", ROGER_ENET, want);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_failover_from_dead_url)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd, dead;
	struct roger_http_client_opts o = { 0 };
	struct roger_http_client *c;
	struct roger_http_req req = { .url = "/v2/info" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	char dead_url[64];
	const char *bases[2];

	/* a port nobody listens on: start a server, note its port, stop it */
	faultd_start(&dead, "[]");
	snprintf(dead_url, sizeof(dead_url), "%s", dead.url);
	faultd_stop(&dead);
	faultd_start(
		&fd,
		"[{'match': 'GET /v2/info', 'json': {'name': 'marathon'}, 'times': 0}]");
	bases[0] = dead_url;
	bases[1] = fd.url;
	o.name = "marathon";
	o.bases = bases;
	o.n_bases = 2;
	o.backoff_base_ms = 10;
	ck_assert_int_eq(roger_http_client_new(&c, ctx, &o, NULL, &err), 0);
	ck_assert_msg(roger_http_client_send(c, &req, &resp, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(roger_http_client_base(c), fd.url);
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/v2/info"), 1);
	roger_http_client_free(c);

	/* only the dead one: refused, retried, then a one-line error */
	c = real_client(ctx, dead_url, NULL, 0);
	snprintf(dead_url + strlen(dead_url), 20, "/v2/info");
	expect_failure(c, "GET", "/v2/info", ROGER_ENET, "cannot connect to '");
	expect_failure(c, "GET", "/v2/info", ROGER_ENET,
		       "/v2/info': connection refused");
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_mesos_redirect_to_leader)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd follower, leader;
	struct roger_http_client *c;
	struct roger_http_req req = { .url = "/master/state" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	char script[512], want[64];

	faultd_start(
		&leader,
		"[{'match': 'GET /master/state', 'json': {'leader': 'master@127.0.0.1'}}]");
	snprintf(
		script, sizeof(script),
		"[{'match': 'GET /master/state', 'status': 307, 'headers': {'Location': '//127.0.0.1:%d/master/state'}}]",
		leader.port);
	faultd_start(&follower, script);
	c = real_client(ctx, follower.url, NULL, 0);
	ck_assert_msg(roger_http_client_send(c, &req, &resp, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(resp.status, 200);
	snprintf(want, sizeof(want), "%s/master/state", leader.url);
	ck_assert_str_eq(resp.url, want);
	ck_assert_uint_eq(faultd_count(&follower, "GET", "/master/state"), 1);
	ck_assert_uint_eq(faultd_count(&leader, "GET", "/master/state"), 1);
	/* the base stays the configured one */
	ck_assert_str_eq(roger_http_client_base(c), follower.url);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&follower);
	faultd_stop(&leader);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_trace_masks_secrets)
{
	struct roger_ctx *ctx;
	struct faultd fd;
	struct roger_auth auth = { .kind = ROGER_AUTH_TOKEN,
				   .token = tok_super };
	struct roger_http_client *c;
	struct roger_http_req req = { .url = "/v2/apps" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *reqs;
	char ua[64];

	fake_env_trace = "1";
	ctx = new_ctx(ROGER_LOG_TRACE);
	faultd_start(
		&fd,
		"[{'match': 'GET /v2/apps', 'json': {'apps': []}, 'headers': {'Set-Cookie': 'session=abc123'}}]");
	c = real_client(ctx, fd.url, &auth, 0);
	ck_assert_msg(roger_http_client_send(c, &req, &resp, &err) == 0, "%s",
		      err.msg);
	fake_env_trace = NULL;
	/* the server got the real token and our User-Agent */
	reqs = faultd_requests(&fd);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_array_get(reqs, 0), "h"),
				 "authorization")),
			 "token=SUPERSECRETTOKEN");
	snprintf(ua, sizeof(ua), "roger/%s", roger_version());
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_array_get(reqs, 0), "h"),
				 "user-agent")),
			 ua);
	json_decref(reqs);
	/* the log has the curl line and curl's verbose output, both masked */
	ck_assert_ptr_nonnull(
		strstr(logged.buf, "-H 'Authorization: token=***'"));
	ck_assert_ptr_nonnull(
		strstr(logged.buf, "> Authorization: token=***\n"));
	ck_assert_ptr_nonnull(strstr(logged.buf, "< HTTP/1.1 200 OK"));
	ck_assert_ptr_nonnull(strstr(logged.buf, "< Set-Cookie: session=***"));
	ck_assert_ptr_null(strstr(logged.buf, "SUPERSECRETTOKEN"));
	ck_assert_ptr_null(strstr(logged.buf, "abc123"));
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_netrc)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_TRACE);
	struct faultd fd;
	struct roger_auth auth = { .kind = ROGER_AUTH_NETRC };
	struct roger_http_client *c;
	struct roger_http_req req = { .url = "/v2/apps" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	char netrc[1200];
	const char *text = "machine 127.0.0.1 login bob password hunter2\n";
	json_t *reqs;

	faultd_start(&fd, "[{'match': 'GET /v2/apps', 'json': {'apps': []}}]");
	snprintf(netrc, sizeof(netrc), "%s/netrc", fd.dir);
	ck_assert_int_eq(
		roger_fs_write_atomic(netrc, text, strlen(text), 0600, NULL),
		0);
	auth.netrc_file = netrc;
	c = real_client(ctx, fd.url, &auth, 0);
	ck_assert_msg(roger_http_client_send(c, &req, &resp, &err) == 0, "%s",
		      err.msg);
	reqs = faultd_requests(&fd);
	/* base64("bob:hunter2") */
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_array_get(reqs, 0), "h"),
				 "authorization")),
			 "Basic Ym9iOmh1bnRlcjI=");
	json_decref(reqs);
	ck_assert_ptr_nonnull(strstr(logged.buf, " --netrc-file '"));
	ck_assert_ptr_null(strstr(logged.buf, "hunter2"));
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

struct upload {
	const char *data;
	size_t len, pos;
	int rewinds;
};

static long upload_read(void *data, char *buf, size_t len,
			struct roger_err *err)
{
	struct upload *u = data;
	size_t n = u->len - u->pos;

	(void)err;
	if (n > len)
		n = len;
	if (n > 7)
		n = 7; /* small pieces, to exercise the loop */
	memcpy(buf, u->data + u->pos, n);
	u->pos += n;
	return (long)n;
}

static int upload_rewind(void *data, struct roger_err *err)
{
	struct upload *u = data;

	(void)err;
	u->pos = 0;
	u->rewinds++;
	return 0;
}

START_TEST(test_http_real_streamed_put_with_expect_continue)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;
	struct upload u = { .data = "0123456789abcdefghijklmnopqrstuvwxyz",
			    .len = 36 };
	struct roger_http_req req = { .method = "PUT",
				      .url = "/artifacts/x.tar.gz",
				      .content_type = "application/gzip",
				      .read_fn = upload_read,
				      .rewind_fn = upload_rewind,
				      .read_data = &u,
				      .upload_len = 36,
				      .flags = ROGER_HTTP_EXPECT_CONTINUE };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *reqs, *h;

	faultd_start(&fd, "[{'match': 'PUT /artifacts/*', 'reset': true},"
			  " {'match': 'PUT /artifacts/*', 'status': 201}]");
	c = real_client(ctx, fd.url, NULL, 0);
	ck_assert_msg(roger_http_client_send(c, &req, &resp, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(resp.status, 201);
	ck_assert_int_eq(u.rewinds, 1);
	reqs = faultd_requests(&fd);
	ck_assert_uint_eq(json_array_size(reqs), 2);
	h = json_object_get(json_array_get(reqs, 1), "h");
	ck_assert_str_eq(json_string_value(json_object_get(h, "expect")),
			 "100-continue");
	ck_assert_str_eq(
		json_string_value(json_object_get(h, "content-length")), "36");
	ck_assert_str_eq(json_string_value(json_object_get(h, "content-type")),
			 "application/gzip");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(reqs, 1), "body")),
			 u.data);
	json_decref(reqs);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_stream_goes_silent)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;
	struct roger_buf got = ROGER_BUF_INIT;
	struct roger_http_req req = { .url = "/v2/events",
				      .accept = "text/event-stream",
				      .timeout_ms = ROGER_HTTP_NO_TIMEOUT,
				      .idle_timeout_ms = 1000,
				      .body_fn = collect_body,
				      .body_data = &got };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	faultd_start(
		&fd,
		"[{'match': 'GET /v2/events', 'sse': [{'raw': 'abc'}], 'sse_end': 'hang'}]");
	c = real_client(ctx, fd.url, NULL, 0);
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err),
			 ROGER_ENET);
	ck_assert_msg(strstr(err.msg, "no data for 1 s from '"), "%s", err.msg);
	ck_assert_str_eq(got.buf, "abc");
	/* what was streamed is not replayed */
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/v2/events"), 1);
	roger_buf_release(&got);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_pause_mid_body)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;
	struct roger_buf got = ROGER_BUF_INIT;
	struct roger_http_req req = { .url = "/files/read",
				      .timeout_ms = ROGER_HTTP_NO_TIMEOUT,
				      .idle_timeout_ms = 1000 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	faultd_start(
		&fd,
		"[{'match': 'GET /files/read', 'body': '0123456789', 'body_delay': 0.3, 'body_delay_after': 4},"
		" {'match': 'GET /files/read', 'body': '0123456789', 'body_delay': 3, 'body_delay_after': 4, 'times': 0}]");
	c = real_client(ctx, fd.url, NULL, 0);
	/* a short pause in the middle of the body is fine */
	ck_assert_msg(roger_http_client_send(c, &req, &resp, &err) == 0, "%s",
		      err.msg);
	ck_assert_str_eq(resp.body.buf, "0123456789");
	/* a long one trips the idle timeout; streamed bytes are not replayed */
	req.body_fn = collect_body;
	req.body_data = &got;
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err),
			 ROGER_ENET);
	ck_assert_msg(strstr(err.msg, "no data for 1 s from '"), "%s", err.msg);
	ck_assert_str_eq(got.buf, "0123");
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/files/read"), 2);
	roger_buf_release(&got);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_upload_refused_before_body)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;
	struct upload u = { .data = "0123456789abcdefghijklmnopqrstuvwxyz",
			    .len = 36 };
	struct roger_http_req req = { .method = "PUT",
				      .url = "/artifacts/x.tar.gz",
				      .read_fn = upload_read,
				      .rewind_fn = upload_rewind,
				      .read_data = &u,
				      .upload_len = 36,
				      .flags = ROGER_HTTP_EXPECT_CONTINUE };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *reqs;

	faultd_start(
		&fd,
		"[{'match': 'PUT /artifacts/*', 'status': 401, 'expect': 'reject', 'html': true}]");
	c = real_client(ctx, fd.url, NULL, 0);
	ck_assert_msg(roger_http_client_send(c, &req, &resp, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(resp.status, 401);
	ck_assert_int_eq(roger_http_client_status_err(c, &resp, &err),
			 ROGER_EAUTH);
	/* the server answered before the body: it never read it */
	reqs = faultd_requests(&fd);
	ck_assert_uint_eq(json_array_size(reqs), 1);
	ck_assert(json_is_false(
		json_object_get(json_array_get(reqs, 0), "body_read")));
	json_decref(reqs);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_slow_heartbeats_are_not_idle)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;
	struct roger_buf got = ROGER_BUF_INIT;
	struct roger_http_req req = { .url = "/v2/events",
				      .accept = "text/event-stream",
				      .timeout_ms = ROGER_HTTP_NO_TIMEOUT,
				      .idle_timeout_ms = 2000,
				      .body_fn = collect_body,
				      .body_data = &got };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	/* one byte every 1.2 s: under 1 byte/s on average, never 2 s idle */
	faultd_start(
		&fd,
		"[{'match': 'GET /v2/events', 'sse': [{'raw': ':'},"
		" {'sleep': 1.2}, {'raw': '\\n'}, {'sleep': 1.2}, {'raw': '\\n'},"
		" {'sleep': 1.2}, {'raw': '\\n'}, {'sleep': 1.2}, {'raw': 'x'}]}]");
	c = real_client(ctx, fd.url, NULL, 0);
	ck_assert_msg(roger_http_client_send(c, &req, &resp, &err) == 0, "%s",
		      err.msg);
	ck_assert_str_eq(got.buf, ":\n\n\nx");
	roger_buf_release(&got);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

static const char *tls_file(const char *name)
{
	static char path[2][1024];
	static int which;
	const char *src = getenv("TEST_SRCDIR");

	which = !which;
	snprintf(path[which], sizeof(path[which]), "%s/fixtures/tls/%s",
		 src && *src ? src : "tests", name);
	return path[which];
}

START_TEST(test_http_real_tls_verified_by_default)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client_opts o = { 0 };
	struct roger_http_client *c;
	struct roger_http_req req = { .url = "/v2/info" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	const char *bases[1];
	char want[256];

	faultd_start_tls(&fd,
			 "[{'match': 'GET /v2/info', 'json': {}, 'times': 0}]",
			 tls_file("localhost.pem"), tls_file("localhost.key"));
	bases[0] = fd.url;
	o.name = "marathon";
	o.bases = bases;
	o.n_bases = 1;
	o.backoff_base_ms = 10;

	/* a self-signed certificate is refused, at once, without retries */
	ck_assert_int_eq(roger_http_client_new(&c, ctx, &o, NULL, &err), 0);
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err),
			 ROGER_ENET);
	snprintf(want, sizeof(want),
		 "cannot verify the TLS certificate of '%s/v2/info': ", fd.url);
	ck_assert_msg(!strncmp(err.msg, want, strlen(want)), "%s", err.msg);
	ck_assert_msg(
		strstr(err.msg,
		       "(a CA file can be set with \"ca_file\" in the target or ROGER_CA_FILE)"),
		"%s", err.msg);
	assert_one_line(err.msg);
	ck_assert_int_eq(resp.attempts, 1);
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/v2/info"), 0);
	roger_http_client_free(c);

	/* with the CA file, it is trusted */
	o.ca_file = tls_file("localhost.pem");
	ck_assert_int_eq(roger_http_client_new(&c, ctx, &o, NULL, &err), 0);
	ck_assert_msg(roger_http_client_send(c, &req, &resp, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_uint_eq(faultd_count(&fd, "GET", "/v2/info"), 1);
	roger_http_client_free(c);

	/* a CA file that cannot be read is a configuration error */
	o.ca_file = "/nonexistent/ca.pem";
	ck_assert_int_eq(roger_http_client_new(&c, ctx, &o, NULL, &err), 0);
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err),
			 ROGER_EINVALID);
	ck_assert_msg(
		!strncmp(err.msg,
			 "cannot use the CA file '/nonexistent/ca.pem': ", 46),
		"%s", err.msg);
	roger_http_client_free(c);
	roger_http_resp_release(&resp);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

START_TEST(test_http_real_interrupt)
{
	struct roger_ctx *ctx = new_ctx(ROGER_LOG_WARN);
	struct faultd fd;
	struct roger_http_client *c;
	struct roger_http_req req = { .url = "/slow" };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	static volatile sig_atomic_t interrupted;

	faultd_start(&fd, "[{'match': 'GET /slow', 'delay': 5, 'json': {}}]");
	c = real_client(ctx, fd.url, NULL, 0);
	roger_ctx_set_interrupt_flag(ctx, &interrupted);
	interrupted = 1;
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, &err),
			 ROGER_EINTR);
	ck_assert_msg(!strncmp(err.msg, "interrupted while waiting for '", 31),
		      "%s", err.msg);
	ck_assert_int_eq(roger_exit_status(err.code), 130);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	faultd_stop(&fd);
	roger_ctx_free(ctx);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc;

	tc = tcase_create("helpers");
	tcase_add_test(tc, test_http_backoff_grows_with_jitter_and_cap);
	tcase_add_test(tc, test_http_idempotent_methods);
	tcase_add_test(tc, test_http_resolve_url_forms);
	tcase_add_test(tc, test_http_mask_url_hides_password);
	tcase_add_test(tc, test_http_body_summary_shapes);
	tcase_add_test(tc, test_http_escape);
	tcase_add_test(tc, test_http_resp_headers_last_wins);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_test(tc, test_http_retries_503_for_get_then_succeeds);
	tcase_add_test(tc, test_http_503_gives_up_after_max_retries);
	tcase_add_test(tc, test_http_retry_after_is_honoured);
	tcase_add_test(tc, test_http_post_is_not_retried_on_503);
	tcase_add_test(tc, test_http_post_retried_only_if_never_sent);
	tcase_add_test(tc, test_http_get_retried_after_reset_not_after_timeout);
	tcase_add_test(tc, test_http_no_retry_flag);
	tcase_add_test(tc, test_http_failover_remembers_the_base_that_answered);
	tcase_add_test(tc, test_http_failover_rounds_then_gives_up);
	tcase_add_test(tc, test_http_absolute_url_skips_bases);
	tcase_add_test(tc, test_http_follows_mesos_protocol_relative_307);
	tcase_add_test(tc, test_http_redirect_rules);
	tcase_add_test(tc, test_http_headers_and_auth);
	tcase_add_test(tc, test_http_trace_is_a_curl_line_with_secrets_masked);
	tcase_add_test(tc, test_http_no_trace_below_trace_level);
	tcase_add_test(tc, test_http_status_errors);
	tcase_add_test(tc, test_http_body_callback_can_stop);
	tcase_add_test(tc, test_http_client_for_target);
	suite_add_tcase(s, tc);

	tc = tcase_create("loopback");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_http_real_leader_election_503s_then_success);
	tcase_add_test(tc, test_http_real_error_statuses);
	tcase_add_test(tc, test_http_real_truncated_reply);
	tcase_add_test(tc, test_http_real_reset_get_retried_post_not);
	tcase_add_test(tc, test_http_real_slow_reply_times_out);
	tcase_add_test(tc, test_http_real_set_limits);
	tcase_add_test(tc, test_http_real_failover_from_dead_url);
	tcase_add_test(tc, test_http_real_mesos_redirect_to_leader);
	tcase_add_test(tc, test_http_real_trace_masks_secrets);
	tcase_add_test(tc, test_http_real_netrc);
	tcase_add_test(tc, test_http_real_streamed_put_with_expect_continue);
	tcase_add_test(tc, test_http_real_stream_goes_silent);
	tcase_add_test(tc, test_http_real_pause_mid_body);
	tcase_add_test(tc, test_http_real_slow_heartbeats_are_not_idle);
	tcase_add_test(tc, test_http_real_upload_refused_before_body);
	tcase_add_test(tc, test_http_real_tls_verified_by_default);
	tcase_add_test(tc, test_http_real_interrupt);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	faultd_tmp_init();
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	faultd_tmp_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
