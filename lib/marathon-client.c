/*
 * marathon-client.c - the Marathon calls roger makes: build the request
 * (marathon.c), send it through the HTTP client (http.c), check the status
 * and parse the reply (marathon.c).  Each function is that sequence and
 * nothing more; the policy (retries, failover, auth, tracing) lives in the
 * HTTP client, the knowledge of Marathon's shapes in marathon.c.
 *
 * Errors: a non-2xx reply becomes Marathon's own explanation when its body
 * has one (roger_marathon_error_from_reply), else the HTTP client's mapping
 * by status; a 2xx reply that does not parse names the URL it came from.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api-client.h"
#include "ctx.h"
#include "err.h"
#include "http.h"
#include "marathon.h"

#define DEFAULT_EVENTS_IDLE_MS 30000L

struct roger_marathon {
	struct roger_api_client c; /* first: see api-client.h */
};

int roger_marathon_new(struct roger_marathon **out, struct roger_ctx *ctx,
		       struct roger_http_client *http, struct roger_err *err)
{
	struct roger_marathon *m =
		roger_api_client_new(sizeof(*m), ctx, http, err);

	if (!m)
		return ROGER_ENOMEM;
	*out = m;
	return 0;
}

int roger_marathon_for_target(struct roger_marathon **out,
			      struct roger_ctx *ctx,
			      const struct roger_target *target,
			      struct roger_err *err)
{
	struct roger_http_client *http;
	int rc = roger_http_client_for_target(&http, ctx, target,
					      ROGER_HTTP_MARATHON, err);

	if (rc < 0)
		return rc;
	return roger_marathon_new(out, ctx, http, err);
}

void roger_marathon_free(struct roger_marathon *m)
{
	if (!m)
		return;
	roger_api_client_release(&m->c);
	free(m);
}

struct roger_http_client *roger_marathon_http(const struct roger_marathon *m)
{
	return m->c.http;
}

int roger_marathon_set_source(struct roger_marathon *m, const char *source)
{
	return roger_api_client_set_source(&m->c, source);
}

/* Marathon's own explanation of a reply that is not a 2xx. */
static int explain(struct roger_err *err, const struct roger_http_resp *resp,
		   const char *url, void *data)
{
	const struct roger_marathon *m = data;

	return roger_marathon_error_from_reply(err, resp->status,
					       resp->body.buf, resp->body.len,
					       url, m->c.source);
}

int roger_marathon_send(struct roger_marathon *m,
			const struct roger_marathon_req *req,
			struct roger_http_resp *resp, struct roger_err *err)
{
	struct roger_http_req h;

	roger_marathon_req_http(req, &h);
	return roger_api_client_send(&m->c, &h, resp, explain, m, err);
}

/*
 * Send a built request (`rc` is the builder's result) and leave the reply
 * in `resp`; the request is released either way.
 */
static int call(struct roger_marathon *m, struct roger_marathon_req *req,
		int rc, struct roger_http_resp *resp, struct roger_err *err)
{
	if (rc == 0)
		rc = roger_marathon_send(m, req, resp, err);
	roger_marathon_req_release(req);
	return rc;
}

int roger_marathon_get_app(struct roger_marathon_app **out,
			   struct roger_marathon *m, const char *id,
			   unsigned embed, struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = roger_marathon_req_get_app(&req, id, embed, err);

	rc = call(m, &req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_app_parse(out, resp.body.buf,
						 resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_marathon_list_apps(struct roger_marathon_apps **out,
			     struct roger_marathon *m, const char *id_filter,
			     const char *label, unsigned embed,
			     struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = roger_marathon_req_list_apps(&req, id_filter, label, embed,
					      err);

	rc = call(m, &req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_apps_parse(out, resp.body.buf,
						  resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

/* Send a request that starts a deployment and read its result. */
static int call_deploying(struct roger_marathon_deployment_result *out,
			  bool *created, struct roger_marathon *m,
			  struct roger_marathon_req *req, int rc,
			  struct roger_err *err)
{
	struct roger_marathon_deployment_result ignored;
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;

	rc = call(m, req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_deployment_result_parse(
				out ? out : &ignored, resp.body.buf,
				resp.body.len,
				roger_http_resp_header(
					&resp, "Marathon-Deployment-Id"),
				err));
	if (rc == 0 && created)
		*created = resp.status == 201;
	roger_http_resp_release(&resp);
	return rc;
}

int roger_marathon_send_deploying(struct roger_marathon_deployment_result *out,
				  bool *created, struct roger_marathon *m,
				  struct roger_marathon_req *req,
				  struct roger_err *err)
{
	return call_deploying(out, created, m, req, 0, err);
}

int roger_marathon_put_app(struct roger_marathon_deployment_result *out,
			   bool *created, struct roger_marathon *m,
			   const char *id, const json_t *app, unsigned flags,
			   struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	int rc = roger_marathon_req_put_app(&req, id, app, flags, err);

	return call_deploying(out, created, m, &req, rc, err);
}

int roger_marathon_patch_app(struct roger_marathon_deployment_result *out,
			     struct roger_marathon *m, const char *id,
			     const json_t *app, unsigned flags,
			     struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	int rc = roger_marathon_req_patch_app(&req, id, app, flags, err);

	return call_deploying(out, NULL, m, &req, rc, err);
}

int roger_marathon_scale_app(struct roger_marathon_deployment_result *out,
			     struct roger_marathon *m, const char *id,
			     int instances, unsigned flags,
			     struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	int rc = roger_marathon_req_scale_app(&req, id, instances, flags, err);

	return call_deploying(out, NULL, m, &req, rc, err);
}

int roger_marathon_rollback_app(struct roger_marathon_deployment_result *out,
				struct roger_marathon *m, const char *id,
				const char *version, unsigned flags,
				struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	int rc = roger_marathon_req_rollback_app(&req, id, version, flags, err);

	return call_deploying(out, NULL, m, &req, rc, err);
}

int roger_marathon_delete_app(struct roger_marathon_deployment_result *out,
			      struct roger_marathon *m, const char *id,
			      unsigned flags, struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	int rc = roger_marathon_req_delete_app(&req, id, flags, err);

	return call_deploying(out, NULL, m, &req, rc, err);
}

int roger_marathon_restart_app(struct roger_marathon_deployment_result *out,
			       struct roger_marathon *m, const char *id,
			       unsigned flags, struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	int rc = roger_marathon_req_restart_app(&req, id, flags, err);

	return call_deploying(out, NULL, m, &req, rc, err);
}

int roger_marathon_app_tasks(struct roger_marathon_tasks **out,
			     struct roger_marathon *m, const char *id,
			     struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = roger_marathon_req_app_tasks(&req, id, err);

	rc = call(m, &req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_tasks_parse(out, resp.body.buf,
						   resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

/* The reply of a kill: tasks, or a deployment when scaling. */
static int kill_reply(struct roger_marathon_tasks **tasks_out,
		      struct roger_marathon_deployment_result *dep_out,
		      struct roger_marathon *m, struct roger_marathon_req *req,
		      int rc, unsigned flags, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_marathon_tasks *tasks = NULL;

	if (flags & ROGER_MARATHON_SCALE)
		return call_deploying(dep_out, NULL, m, req, rc, err);
	rc = call(m, req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_tasks_parse(&tasks, resp.body.buf,
						   resp.body.len, err));
	if (rc == 0 && tasks_out) {
		*tasks_out = tasks;
		tasks = NULL;
	}
	roger_marathon_tasks_free(tasks);
	roger_http_resp_release(&resp);
	return rc;
}

int roger_marathon_kill_tasks(struct roger_marathon_tasks **tasks_out,
			      struct roger_marathon_deployment_result *dep_out,
			      struct roger_marathon *m, const char *id,
			      const char *host, unsigned flags,
			      struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	int rc = roger_marathon_req_kill_tasks(&req, id, host, flags, err);

	return kill_reply(tasks_out, dep_out, m, &req, rc, flags, err);
}

int roger_marathon_kill_task(struct roger_marathon_tasks **tasks_out,
			     struct roger_marathon_deployment_result *dep_out,
			     struct roger_marathon *m, const char *id,
			     const char *task_id, unsigned flags,
			     struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	int rc = roger_marathon_req_kill_task(&req, id, task_id, flags, err);

	return kill_reply(tasks_out, dep_out, m, &req, rc, flags, err);
}

int roger_marathon_app_versions(struct roger_marathon_versions **out,
				struct roger_marathon *m, const char *id,
				struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = roger_marathon_req_app_versions(&req, id, err);

	rc = call(m, &req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_versions_parse(out, resp.body.buf,
						      resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_marathon_app_version(json_t **out, struct roger_marathon *m,
			       const char *id, const char *version,
			       struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_marathon_app *app = NULL;
	int rc = roger_marathon_req_app_version(&req, id, version, err);

	rc = call(m, &req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_app_parse(&app, resp.body.buf,
						 resp.body.len, err));
	if (rc == 0)
		*out = json_incref(app->json);
	roger_marathon_app_free(app);
	roger_http_resp_release(&resp);
	return rc;
}

int roger_marathon_deployments(struct roger_marathon_deployments **out,
			       struct roger_marathon *m, struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = roger_marathon_req_deployments(&req, err);

	rc = call(m, &req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_deployments_parse(out, resp.body.buf,
							 resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_marathon_cancel_deployment(
	struct roger_marathon_deployment_result *out, struct roger_marathon *m,
	const char *deployment_id, unsigned flags, struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = roger_marathon_req_cancel_deployment(&req, deployment_id,
						      flags, err);

	if (!(flags & ROGER_MARATHON_FORCE))
		return call_deploying(out, NULL, m, &req, rc, err);
	/* an abort: 202 with an empty body */
	rc = call(m, &req, rc, &resp, err);
	if (rc == 0 && out)
		memset(out, 0, sizeof(*out));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_marathon_queue(struct roger_marathon_queue **out,
			 struct roger_marathon *m, struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = roger_marathon_req_queue(&req, err);

	rc = call(m, &req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_queue_parse(out, resp.body.buf,
						   resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_marathon_info(struct roger_marathon_info **out,
			struct roger_marathon *m, struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = roger_marathon_req_info(&req, err);

	rc = call(m, &req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_info_parse(out, resp.body.buf,
						  resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_marathon_leader(char **out, struct roger_marathon *m,
			  struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = roger_marathon_req_leader(&req, err);

	rc = call(m, &req, rc, &resp, err);
	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_marathon_leader_parse(out, resp.body.buf,
						    resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_marathon_ping(struct roger_marathon *m, struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = roger_marathon_req_ping(&req, err);

	rc = call(m, &req, rc, &resp, err);
	roger_http_resp_release(&resp);
	return rc;
}

struct events_state {
	struct roger_sse sse;
	const struct roger_marathon_watch *w;
	struct roger_ctx *ctx;
	int64_t last_tick_ms;
	bool stopped;
};

static int events_body(void *data, const char *chunk, size_t len,
		       struct roger_err *err)
{
	struct events_state *st = data;
	size_t before = st->sse.n_events;
	int rc = roger_sse_feed(&st->sse, chunk, len, st->w->on_event,
				st->w->data, err);

	/* The events that came together are delivered: a tick now lets the
	 * watcher act once on all of them. */
	if (rc == 0 && st->sse.n_events > before && st->w->on_tick) {
		st->last_tick_ms = roger_ctx_now_ms(st->ctx);
		rc = st->w->on_tick(st->w->data, err);
	}
	if (rc == ROGER_HTTP_STOP)
		st->stopped = true;
	return rc;
}

static int events_tick(void *data, int64_t down_now, int64_t down_total,
		       int64_t up_now, int64_t up_total, struct roger_err *err)
{
	struct events_state *st = data;
	int rc;

	(void)down_now;
	(void)down_total;
	(void)up_now;
	(void)up_total;
	/* curl calls this more often than once a second when busy */
	if (!st->w->on_tick ||
	    roger_ctx_now_ms(st->ctx) - st->last_tick_ms < 1000)
		return 0;
	st->last_tick_ms = roger_ctx_now_ms(st->ctx);
	rc = st->w->on_tick(st->w->data, err);
	if (rc == ROGER_HTTP_STOP)
		st->stopped = true;
	return rc;
}

int roger_marathon_events(struct roger_marathon *m,
			  const struct roger_marathon_watch *w,
			  struct roger_err *err)
{
	struct roger_marathon_req req = { 0 };
	struct roger_http_req h;
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct events_state st = { .w = w, .ctx = m->c.ctx };
	int rc = roger_marathon_req_events(&req, w->types, w->n_types, err);

	if (rc < 0)
		return rc;
	roger_sse_init(&st.sse);
	st.last_tick_ms = roger_ctx_now_ms(m->c.ctx);
	roger_marathon_req_http(&req, &h);
	h.timeout_ms = ROGER_HTTP_NO_TIMEOUT;
	h.idle_timeout_ms = w->idle_timeout_ms > 0 ? w->idle_timeout_ms
						   : DEFAULT_EVENTS_IDLE_MS;
	h.body_fn = events_body;
	h.body_data = &st;
	h.progress_fn = events_tick;
	h.progress_data = &st;
	rc = roger_http_client_send(m->c.http, &h, &resp, err);
	if (rc == 0 && !st.stopped && !roger_http_resp_ok(&resp))
		rc = roger_api_client_reply_err(&m->c, &resp, explain, m, err);
	else if (rc == 0 && !st.stopped) {
		struct roger_buf url = ROGER_BUF_INIT;

		roger_http_mask_url(&url, resp.url ? resp.url : "");
		rc = roger_err_set(err, ROGER_ENET,
				   "the event stream of '%s' ended", url.buf);
		roger_buf_release(&url);
	}
	roger_sse_release(&st.sse);
	roger_marathon_req_release(&req);
	roger_http_resp_release(&resp);
	return rc;
}
