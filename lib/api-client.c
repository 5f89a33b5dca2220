/*
 * api-client.c - the part of the Marathon and Metronome clients that is
 * the same for both (api-client.h): the client's lifetime, sending with
 * the API's explanation of a failed reply, naming the server in a parse
 * error, and the HTTP view of a request.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-client.h"
#include "buf.h"
#include "err.h"
#include "http.h"

void *roger_api_client_new(size_t size, struct roger_ctx *ctx,
			   struct roger_http_client *http,
			   struct roger_err *err)
{
	struct roger_api_client *c;

	if (size < sizeof(*c) || !(c = calloc(1, size))) {
		roger_http_client_free(http);
		roger_err_set(err, ROGER_ENOMEM, "out of memory");
		return NULL;
	}
	c->ctx = ctx;
	c->http = http;
	return c;
}

void roger_api_client_release(struct roger_api_client *c)
{
	if (!c)
		return;
	roger_http_client_free(c->http);
	free(c->source);
	c->http = NULL;
	c->source = NULL;
}

int roger_api_client_set_source(struct roger_api_client *c, const char *source)
{
	char *s = NULL;

	if (source && !(s = strdup(source)))
		return ROGER_ENOMEM;
	free(c->source);
	c->source = s;
	return 0;
}

int roger_api_client_reply_err(struct roger_api_client *c,
			       const struct roger_http_resp *resp,
			       roger_api_explain_fn explain, void *data,
			       struct roger_err *err)
{
	struct roger_buf url = ROGER_BUF_INIT;
	int rc;

	roger_http_mask_url(&url, resp->url ? resp->url : "");
	rc = explain(err, resp, url.buf, data);
	if (rc == 0)
		rc = roger_http_client_status_err(c->http, resp, err);
	roger_buf_release(&url);
	return rc;
}

int roger_api_client_send(struct roger_api_client *c,
			  const struct roger_http_req *h,
			  struct roger_http_resp *resp,
			  roger_api_explain_fn explain, void *data,
			  struct roger_err *err)
{
	int rc = roger_http_client_send(c->http, h, resp, err);

	if (rc < 0 || roger_http_resp_ok(resp))
		return rc;
	return roger_api_client_reply_err(c, resp, explain, data, err);
}

int roger_api_from_url(struct roger_err *err,
		       const struct roger_http_resp *resp, int rc)
{
	struct roger_buf url = ROGER_BUF_INIT;
	char old[ROGER_ERR_MSG_MAX];

	if (!err || rc >= 0)
		return rc;
	roger_http_mask_url(&url, resp->url ? resp->url : "");
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s (from '%s')", old, url.buf);
	roger_buf_release(&url);
	return rc;
}

void roger_api_req_http(struct roger_http_req *out, const char *method,
			const char *path, const char *accept, const char *body,
			enum roger_http_idempotence idempotent)
{
	memset(out, 0, sizeof(*out));
	out->method = method;
	out->url = path;
	out->accept = accept;
	out->idempotent = idempotent;
	if (body) {
		out->body = body;
		out->body_len = strlen(body);
		out->content_type = "application/json";
	}
}

void roger_api_req_release(char **path, char **body)
{
	free(*path);
	free(*body);
	*path = NULL;
	*body = NULL;
}
