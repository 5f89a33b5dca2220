/*
 * metronome-client.c - the Metronome calls roger makes: build the request
 * (metronome.c), send it through the HTTP client (http.c), check the
 * status and parse the reply.  Each function is that sequence and nothing
 * more, as in marathon-client.c.
 *
 * Errors: a non-2xx reply becomes Metronome's own explanation when its
 * body has one (roger_metronome_error_from_reply), else the HTTP client's
 * mapping by status; a 2xx reply that does not parse names the URL.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api-client.h"
#include "ctx.h"
#include "err.h"
#include "http.h"
#include "metronome.h"
#include "target.h"

struct roger_metronome {
	struct roger_api_client c; /* first: see api-client.h */
	roger_metronome_path_fn path_fn;
	void *path_data;
};

int roger_metronome_new(struct roger_metronome **out, struct roger_ctx *ctx,
			struct roger_http_client *http, struct roger_err *err)
{
	struct roger_metronome *m =
		roger_api_client_new(sizeof(*m), ctx, http, err);

	if (!m)
		return ROGER_ENOMEM;
	*out = m;
	return 0;
}

int roger_metronome_for_target(struct roger_metronome **out,
			       struct roger_ctx *ctx,
			       const struct roger_target *target,
			       struct roger_err *err)
{
	struct roger_http_client *http;
	int rc;

	if (!target->n_metronome && !target->is_local)
		return roger_err_set(
			err, ROGER_EINVALID,
			"target '%s' has no Metronome URL: set \"metronome\" in its entry of the user config (on DC/OS \"<cluster URL>/service/metronome\"), or ROGER_METRONOME_URL",
			target->name ? target->name : "");
	rc = roger_http_client_for_target(&http, ctx, target,
					  ROGER_HTTP_METRONOME, err);
	if (rc < 0)
		return rc;
	return roger_metronome_new(out, ctx, http, err);
}

void roger_metronome_free(struct roger_metronome *m)
{
	if (!m)
		return;
	roger_api_client_release(&m->c);
	free(m);
}

struct roger_http_client *roger_metronome_http(const struct roger_metronome *m)
{
	return m->c.http;
}

int roger_metronome_set_source(struct roger_metronome *m, const char *source,
			       roger_metronome_path_fn fn, void *data)
{
	if (roger_api_client_set_source(&m->c, source) < 0)
		return ROGER_ENOMEM;
	m->path_fn = fn;
	m->path_data = data;
	return 0;
}

/* Metronome's own explanation of a reply that is not a 2xx. */
static int explain(struct roger_err *err, const struct roger_http_resp *resp,
		   const char *url, void *data)
{
	const struct roger_metronome *m = data;

	return roger_metronome_error_from_reply(
		err, resp->status, resp->body.buf, resp->body.len, url,
		m->c.source, m->path_fn, m->path_data);
}

int roger_metronome_send(struct roger_metronome *m,
			 const struct roger_metronome_req *req,
			 struct roger_http_resp *resp, struct roger_err *err)
{
	struct roger_http_req h;

	roger_metronome_req_http(req, &h);
	return roger_api_client_send(&m->c, &h, resp, explain, m, err);
}

/* Send `req` (released here) and keep the reply in `resp`. */
static int call(struct roger_metronome *m, struct roger_metronome_req *req,
		int built, struct roger_http_resp *resp, struct roger_err *err)
{
	int rc = built;

	if (rc == 0)
		rc = roger_metronome_send(m, req, resp, err);
	roger_metronome_req_release(req);
	return rc;
}

/* Send `req` (released here) for the status alone. */
static int call_status(struct roger_metronome *m,
		       struct roger_metronome_req *req, int built,
		       struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = call(m, req, built, &resp, err);

	roger_http_resp_release(&resp);
	return rc;
}

int roger_metronome_list_jobs(struct roger_metronome_jobs **out,
			      struct roger_metronome *m, unsigned embed,
			      struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_metronome_req req = { 0 };
	int rc = call(m, &req, roger_metronome_req_list_jobs(&req, embed, err),
		      &resp, err);

	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_metronome_jobs_parse(out, resp.body.buf,
						   resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_metronome_get_job(struct roger_metronome_job **out,
			    struct roger_metronome *m, const char *id,
			    unsigned embed, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_metronome_req req = { 0 };
	int rc =
		call(m, &req, roger_metronome_req_get_job(&req, id, embed, err),
		     &resp, err);

	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_metronome_job_parse(out, resp.body.buf,
						  resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_metronome_put_job(struct roger_metronome_job **out,
			    struct roger_metronome *m, const json_t *job,
			    bool create, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_metronome_req req = { 0 };
	const char *id = json_string_value(json_object_get(job, "id"));
	int rc = call(m, &req,
		      create ? roger_metronome_req_create_job(&req, job, err)
			     : roger_metronome_req_put_job(&req, id, job, err),
		      &resp, err);

	if (rc == 0 && out)
		rc = roger_api_from_url(
			err, &resp,
			roger_metronome_job_parse(out, resp.body.buf,
						  resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_metronome_delete_job(struct roger_metronome *m, const char *id,
			       bool stop_runs, struct roger_err *err)
{
	struct roger_metronome_req req = { 0 };

	return call_status(
		m, &req,
		roger_metronome_req_delete_job(&req, id, stop_runs, err), err);
}

int roger_metronome_put_schedule(struct roger_metronome *m, const char *id,
				 const json_t *schedule, bool create,
				 struct roger_err *err)
{
	struct roger_metronome_req req = { 0 };
	const char *sid = json_string_value(json_object_get(schedule, "id"));

	return call_status(m, &req,
			   create ? roger_metronome_req_create_schedule(
					    &req, id, schedule, err)
				  : roger_metronome_req_put_schedule(
					    &req, id, sid, schedule, err),
			   err);
}

int roger_metronome_delete_schedule(struct roger_metronome *m, const char *id,
				    const char *schedule_id,
				    struct roger_err *err)
{
	struct roger_metronome_req req = { 0 };

	return call_status(
		m, &req,
		roger_metronome_req_delete_schedule(&req, id, schedule_id, err),
		err);
}

int roger_metronome_start_run(struct roger_metronome_run **out,
			      struct roger_metronome *m, const char *id,
			      struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_metronome_req req = { 0 };
	int rc = call(m, &req, roger_metronome_req_start_run(&req, id, err),
		      &resp, err);

	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_metronome_run_parse(out, resp.body.buf,
						  resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_metronome_get_run(struct roger_metronome_run **out,
			    struct roger_metronome *m, const char *id,
			    const char *run_id, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_metronome_req req = { 0 };
	int rc = call(m, &req,
		      roger_metronome_req_get_run(&req, id, run_id, err), &resp,
		      err);

	if (rc == 0)
		rc = roger_api_from_url(
			err, &resp,
			roger_metronome_run_parse(out, resp.body.buf,
						  resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_metronome_stop_run(struct roger_metronome *m, const char *id,
			     const char *run_id, struct roger_err *err)
{
	struct roger_metronome_req req = { 0 };

	return call_status(m, &req,
			   roger_metronome_req_stop_run(&req, id, run_id, err),
			   err);
}
