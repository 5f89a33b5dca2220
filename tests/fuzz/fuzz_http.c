/*
 * fuzz_http.c - what the HTTP client (lib/http.c) reads from a server
 * before any module sees the body: statuses, headers (Location of a
 * redirect, Retry-After of a 503), and error bodies summarized into one
 * line.  A transport of this harness answers each attempt with the next
 * reply of the input, so the client's retries, failover and redirects
 * (absolute, protocol-relative, relative) run on replies from the input;
 * retries do not sleep.
 *
 * Input: replies separated by NUL bytes, each
 *
 *	503
 *	Retry-After: 2
 *	Content-Type: text/html
 *
 *	<html><title>busy</title></html>
 *
 * ("status", header lines, a blank line, the body).  A reply whose status
 * line is "-" is a connection refused before anything was sent, "!" one
 * reset after the request was sent.  When the replies run out, the server
 * refuses connections.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/project.h"
#include "lib/target.h"
#include "lib/ctx.h"
#include "lib/err.h"
#include "lib/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct roger_ctx *ctx;

struct script {
	struct roger_http http;
	const char *p, *end;
};

static struct script script;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (roger_ctx_new(&ctx, NULL) < 0)
		abort();
	return 0;
}

/* The next reply of the script into `resp`. */
static int scripted_send(struct roger_http *h, const struct roger_http_req *req,
			 struct roger_http_resp *resp, struct roger_err *err)
{
	struct script *s = (struct script *)h;
	const char *nul, *end, *line, *e;

	(void)req;
	if (s->p >= s->end)
		return roger_err_set(err, ROGER_ENET, "connection refused");
	nul = memchr(s->p, '\0', (size_t)(s->end - s->p));
	end = nul ? nul : s->end;
	line = s->p;
	s->p = nul ? nul + 1 : s->end;
	if (*line == '-')
		return roger_err_set(err, ROGER_ENET, "connection refused");
	resp->sent = true;
	if (*line == '!')
		return roger_err_set(err, ROGER_ENET, "connection reset");
	resp->status = 0;
	for (; line < end && *line >= '0' && *line <= '9'; line++)
		if (resp->status < 100000)
			resp->status = resp->status * 10 + (*line - '0');
	line = memchr(line, '\n', (size_t)(end - line));
	for (line = line ? line + 1 : end; line < end; line = e + 1) {
		const char *colon;

		e = memchr(line, '\n', (size_t)(end - line));
		if (!e)
			e = end;
		if (e == line) {
			line++;
			break;
		}
		colon = memchr(line, ':', (size_t)(e - line));
		if (colon) {
			const char *v = colon + 1;

			while (v < e && *v == ' ')
				v++;
			roger_http_resp_add_header(resp, line,
						   (size_t)(colon - line), v,
						   (size_t)(e - v));
		}
		if (e == end) {
			line = end;
			break;
		}
	}
	if (line < end)
		roger_buf_add(&resp->body, line, (size_t)(end - line));
	return 0;
}

static void scripted_free(struct roger_http *h)
{
	(void)h;
}

static int no_sleep(void *data, long ms)
{
	(void)data;
	(void)ms;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const bases[] = {
		"https://m1.example.com:8080",
		"http://m2.example.com:8080/marathon"
	};
	static char token[] = "t0ken";
	struct roger_auth auth = { .kind = ROGER_AUTH_TOKEN, .token = token };
	struct roger_http_client_opts o = {
		.name = "marathon",
		.target_name = "prod",
		.bases = bases,
		.n_bases = 2,
		.auth = &auth,
	};
	struct roger_http_req req = {
		.method = "GET",
		.url = "/v2/apps/web/hello?embed=app.tasks",
		.accept = "application/json",
	};
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_http_client *c = NULL;
	struct roger_buf text = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	const char *location;
	char *resolved;

	script.http.send = scripted_send;
	script.http.free = scripted_free;
	script.p = (const char *)data;
	script.end = script.p + size;
	if (roger_http_client_new(&c, ctx, &o, &script.http, NULL) < 0)
		return 0;
	roger_http_client_set_sleep_fn(c, no_sleep, NULL);
	if (roger_http_client_send(c, &req, &resp, &err) == 0 &&
	    !roger_http_resp_ok(&resp))
		roger_http_client_status_err(c, &resp, &err);
	location = roger_http_resp_header(&resp, "Location");
	if (location &&
	    roger_http_resolve_url(&resolved, bases[0], location, NULL) == 0) {
		roger_http_mask_url(&text, resolved);
		free(resolved);
	}
	roger_http_body_summary(&text,
				roger_http_resp_header(&resp, "Content-Type"),
				resp.body.buf, resp.body.len, 200);
	roger_buf_release(&text);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	return 0;
}
