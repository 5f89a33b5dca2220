/*
 * fake_http.c - canned replies for unit tests.  See fake_http.h.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fs.h"
#include "fake_http.h"

static char *xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	ck_assert_ptr_nonnull(d);
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void record(struct fake_http *f, const struct roger_http_req *req)
{
	struct fake_request *r;
	struct roger_buf h = ROGER_BUF_INIT;

	f->requests = realloc(f->requests,
			      (f->n_requests + 1) * sizeof(*f->requests));
	ck_assert_ptr_nonnull(f->requests);
	r = &f->requests[f->n_requests++];
	memset(r, 0, sizeof(*r));
	r->method = strdup(req->method ? req->method : "GET");
	r->url = strdup(req->url);
	for (size_t i = 0; i < req->n_headers; i++)
		roger_buf_addf(&h, "%s: %s\n", req->headers[i].name,
			       req->headers[i].value ? req->headers[i].value
						     : "");
	r->headers = roger_buf_detach(&h, NULL);
	if (req->read_fn) {
		struct roger_buf b = ROGER_BUF_INIT;
		char tmp[1000];
		long n;

		while ((n = req->read_fn(req->read_data, tmp, sizeof(tmp),
					 NULL)) > 0)
			roger_buf_add(&b, tmp, (size_t)n);
		r->body_len = b.len;
		r->body = roger_buf_detach(&b, NULL);
	} else {
		r->body = xstrndup(req->body ? req->body : "", req->body_len);
		r->body_len = req->body_len;
	}
	r->connect_timeout_ms = req->connect_timeout_ms;
	r->timeout_ms = req->timeout_ms;
	r->idle_timeout_ms = req->idle_timeout_ms;
	r->flags = req->flags;
	r->idempotent = req->idempotent;
}

static int fake_send(struct roger_http *h, const struct roger_http_req *req,
		     struct roger_http_resp *resp, struct roger_err *err)
{
	struct fake_http *f = (struct fake_http *)h;
	const struct fake_reply *r;
	const char *p, *body;
	size_t len;

	record(f, req);
	ck_assert_msg(f->next < f->n_replies,
		      "fake_http: no reply queued for %s %s",
		      req->method ? req->method : "GET", req->url);
	r = &f->replies[f->next++];
	if (r->fail) {
		resp->sent = r->sent;
		resp->timed_out = r->timed_out;
		return roger_err_set(err, r->fail, "%s",
				     r->message ? r->message : "fake failure");
	}
	resp->sent = true;
	resp->status = r->status;
	for (p = r->headers; p && *p;) {
		size_t line = strcspn(p, "\n");
		const char *colon = memchr(p, ':', line);

		if (colon) {
			const char *v = colon + 1;

			while (*v == ' ')
				v++;
			roger_http_resp_add_header(resp, p, (size_t)(colon - p),
						   v, line - (size_t)(v - p));
		}
		p += line;
		if (*p)
			p++;
	}
	body = r->body ? r->body : "";
	len = r->body_len ? r->body_len : strlen(body);
	if (req->body_fn && r->status >= 200 && r->status < 300) {
		size_t step = f->chunk ? f->chunk : (len ? len : 1);

		for (size_t off = 0; off < len; off += step) {
			size_t n = len - off < step ? len - off : step;
			int rc = req->body_fn(req->body_data, body + off, n,
					      err);

			resp->streamed += (int64_t)n;
			if (rc == ROGER_HTTP_STOP)
				return 0;
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	roger_buf_add(&resp->body, body, len);
	return 0;
}

static void fake_detach(struct roger_http *h)
{
	((struct fake_http *)h)->detached = true;
}

struct fake_http *fake_http_new(void)
{
	struct fake_http *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	f->base.send = fake_send;
	f->base.free = fake_detach;
	return f;
}

void fake_http_free(struct fake_http *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_requests; i++) {
		free(f->requests[i].method);
		free(f->requests[i].url);
		free(f->requests[i].headers);
		free(f->requests[i].body);
	}
	for (size_t i = 0; i < f->n_owned; i++)
		free(f->owned[i]);
	free(f->requests);
	free(f->replies);
	free(f);
}

void fake_http_push(struct fake_http *f, const struct fake_reply *r)
{
	f->replies = realloc(f->replies, (f->n_replies + 1) * sizeof(*r));
	ck_assert_ptr_nonnull(f->replies);
	f->replies[f->n_replies++] = *r;
}

void fake_http_push_file(struct fake_http *f, long status, const char *path,
			 const char *headers)
{
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	struct fake_reply r = { 0 };

	ck_assert_msg(roger_fs_read_file(&b, path, &err) == 0, "%s", err.msg);
	ck_assert_uint_lt(f->n_owned, sizeof(f->owned) / sizeof(*f->owned));
	r.status = status;
	r.body_len = b.len;
	r.body = f->owned[f->n_owned++] = roger_buf_detach(&b, NULL);
	r.headers = headers;
	fake_http_push(f, &r);
}

const char *fake_http_req_header(const struct fake_http *f, size_t i,
				 const char *name)
{
	static char value[4096];
	const char *p;
	size_t n = strlen(name);

	ck_assert_uint_lt(i, f->n_requests);
	for (p = f->requests[i].headers; *p;) {
		size_t line = strcspn(p, "\n");

		if (line > n && !strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1;

			while (*v == ' ')
				v++;
			snprintf(value, sizeof(value), "%.*s",
				 (int)(line - (size_t)(v - p)), v);
			return value;
		}
		p += line;
		if (*p)
			p++;
	}
	return NULL;
}
