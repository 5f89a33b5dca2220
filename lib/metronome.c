/*
 * metronome.c - Metronome requests built and replies parsed, as data.
 *
 * Nothing here does I/O (metronome-client.c sends).  Like marathon.c, the
 * parsers follow the contract (METRONOME.md) rather than one server: a
 * field of the wrong type reads as absent, and only a body that is not
 * JSON, or not the object or array the endpoint returns, is an error.
 * The quirks: times carry "+HHMM" offsets; `completedAt` is null or
 * absent; the history's runs list task ids only from 0.6.33; a job of a
 * list has no `activeRuns` when idle; and a run that ended is only found
 * in its job's history, which roger_metronome_job_finished() searches.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api-client.h"
#include "err.h"
#include "http.h"
#include "json-num.h"
#include "metronome.h"
#include "util.h"

/* ---- identifiers and times ----------------------------------------------- */

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int roger_metronome_id_check(const char *id, struct roger_err *err)
{
	const char *p = id;

	if (!id || !*id)
		return roger_err_set(err, ROGER_EINVALID, "empty job id");
	if (strlen(id) > 255)
		return roger_err_set(
			err, ROGER_EINVALID,
			"job id '%.40s...' is longer than 255 characters", id);
	while (*p) {
		/* one name: [a-z0-9]+(-[a-z0-9]+)* */
		if (!lower_alnum(*p))
			goto bad;
		while (*p && *p != '.') {
			if (*p == '-' &&
			    (!lower_alnum(p[-1]) || !lower_alnum(p[1])))
				goto bad;
			if (*p != '-' && !lower_alnum(*p))
				goto bad;
			p++;
		}
		if (*p == '.' && !*++p)
			goto bad;
	}
	return 0;
bad:
	return roger_err_set(
		err, ROGER_EINVALID,
		"invalid job id '%s': Metronome takes dot-separated names of lower-case letters and digits, with single '-' inside a name",
		id);
}

int roger_metronome_schedule_id_check(const char *id, struct roger_err *err)
{
	size_t n = id ? strlen(id) : 0;

	if (n >= 2 && n <= 255 && lower_alnum(id[0]) &&
	    lower_alnum(id[n - 1])) {
		size_t i = 1;

		while (i < n - 1 && (lower_alnum(id[i]) || id[i] == '-'))
			i++;
		if (i == n - 1)
			return 0;
	}
	return roger_err_set(
		err, ROGER_EINVALID,
		"invalid schedule id '%s': Metronome takes two or more lower-case letters, digits and '-', not starting or ending with '-'",
		id ? id : "");
}

bool roger_metronome_time_parse(int64_t *out, const char *s)
{
	return roger_iso_time_parse(out, s, true);
}

void roger_metronome_time_format(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ms - (int64_t)t * 1000));
}

/* ---- requests ------------------------------------------------------------ */

void roger_metronome_req_release(struct roger_metronome_req *r)
{
	if (r)
		roger_api_req_release(&r->path, &r->body);
}

void roger_metronome_req_http(const struct roger_metronome_req *r,
			      struct roger_http_req *out)
{
	roger_api_req_http(out, r->method, r->path, "application/json", r->body,
			   r->idempotent);
}

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

/*
 * Fill `r`: `method`, the path "/v1/jobs[/id][suffix...]" (ids checked
 * before), and `body` serialized when not NULL.
 */
static int build(struct roger_metronome_req *r, const char *method,
		 const char *id, const char *suffix, const char *sid,
		 const char *tail, const json_t *body, struct roger_err *err)
{
	struct roger_buf path = ROGER_BUF_INIT;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->method = method;
	rc = roger_buf_adds(&path, "/v1/jobs");
	if (rc == 0 && id)
		rc = roger_buf_addf(&path, "/%s", id);
	if (rc == 0 && suffix)
		rc = roger_buf_adds(&path, suffix);
	if (rc == 0 && sid)
		rc = roger_buf_addf(&path, "/%s", sid);
	if (rc == 0 && tail)
		rc = roger_buf_adds(&path, tail);
	if (rc < 0) {
		roger_buf_release(&path);
		return nomem(err);
	}
	r->path = roger_buf_detach(&path, NULL);
	if (body) {
		r->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!r->body) {
			roger_metronome_req_release(r);
			return nomem(err);
		}
	}
	return 0;
}

static int add_embed(struct roger_metronome_req *r, unsigned embed,
		     struct roger_err *err)
{
	static const char *const names[] = { "activeRuns", "schedules",
					     "history", "historySummary" };
	struct roger_buf b = ROGER_BUF_INIT;
	int rc;

	rc = roger_buf_adds(&b, r->path);
	for (size_t i = 0; rc == 0 && i < 4; i++)
		if (embed & (1U << i))
			rc = roger_buf_addf(&b, "%cembed=%s",
					    strchr(b.buf, '?') ? '&' : '?',
					    names[i]);
	if (rc < 0) {
		roger_buf_release(&b);
		roger_metronome_req_release(r);
		return nomem(err);
	}
	free(r->path);
	r->path = roger_buf_detach(&b, NULL);
	return 0;
}

int roger_metronome_req_list_jobs(struct roger_metronome_req *out,
				  unsigned embed, struct roger_err *err)
{
	int rc = build(out, "GET", NULL, NULL, NULL, NULL, NULL, err);

	return rc < 0 ? rc : add_embed(out, embed, err);
}

int roger_metronome_req_get_job(struct roger_metronome_req *out, const char *id,
				unsigned embed, struct roger_err *err)
{
	int rc = roger_metronome_id_check(id, err);

	if (rc == 0)
		rc = build(out, "GET", id, NULL, NULL, NULL, NULL, err);
	return rc < 0 ? rc : add_embed(out, embed, err);
}

int roger_metronome_req_create_job(struct roger_metronome_req *out,
				   const json_t *job, struct roger_err *err)
{
	int rc = roger_metronome_id_check(
		json_string_value(json_object_get(job, "id")), err);

	if (rc == 0)
		rc = build(out, "POST", NULL, NULL, NULL, NULL, job, err);
	return rc;
}

int roger_metronome_req_put_job(struct roger_metronome_req *out, const char *id,
				const json_t *job, struct roger_err *err)
{
	int rc = roger_metronome_id_check(id, err);

	if (rc == 0)
		rc = build(out, "PUT", id, NULL, NULL, NULL, job, err);
	return rc;
}

int roger_metronome_req_delete_job(struct roger_metronome_req *out,
				   const char *id, bool stop_runs,
				   struct roger_err *err)
{
	int rc = roger_metronome_id_check(id, err);

	if (rc == 0)
		rc = build(out, "DELETE", id,
			   stop_runs ? "?stopCurrentJobRuns=true" : NULL, NULL,
			   NULL, NULL, err);
	return rc;
}

int roger_metronome_req_create_schedule(struct roger_metronome_req *out,
					const char *id, const json_t *schedule,
					struct roger_err *err)
{
	int rc = roger_metronome_id_check(id, err);

	if (rc == 0)
		rc = roger_metronome_schedule_id_check(
			json_string_value(json_object_get(schedule, "id")),
			err);
	if (rc == 0)
		rc = build(out, "POST", id, "/schedules", NULL, NULL, schedule,
			   err);
	return rc;
}

int roger_metronome_req_put_schedule(struct roger_metronome_req *out,
				     const char *id, const char *schedule_id,
				     const json_t *schedule,
				     struct roger_err *err)
{
	int rc = roger_metronome_id_check(id, err);

	if (rc == 0)
		rc = roger_metronome_schedule_id_check(schedule_id, err);
	if (rc == 0)
		rc = build(out, "PUT", id, "/schedules", schedule_id, NULL,
			   schedule, err);
	return rc;
}

int roger_metronome_req_delete_schedule(struct roger_metronome_req *out,
					const char *id, const char *schedule_id,
					struct roger_err *err)
{
	int rc = roger_metronome_id_check(id, err);

	if (rc == 0)
		rc = roger_metronome_schedule_id_check(schedule_id, err);
	if (rc == 0)
		rc = build(out, "DELETE", id, "/schedules", schedule_id, NULL,
			   NULL, err);
	return rc;
}

/* A run id: what Metronome makes, and nothing a path could be bent by. */
static int run_id_check(const char *run_id, struct roger_err *err)
{
	size_t n = run_id ? strlen(run_id) : 0;

	for (size_t i = 0; i < n; i++)
		if (!((run_id[i] >= 'a' && run_id[i] <= 'z') ||
		      (run_id[i] >= 'A' && run_id[i] <= 'Z') ||
		      (run_id[i] >= '0' && run_id[i] <= '9')))
			n = 0;
	if (n == 0 || n > 64)
		return roger_err_set(
			err, ROGER_EINVALID,
			"invalid run id '%s': expected letters and digits, such as 20160715130259A34HX",
			run_id ? run_id : "");
	return 0;
}

int roger_metronome_req_start_run(struct roger_metronome_req *out,
				  const char *id, struct roger_err *err)
{
	int rc = roger_metronome_id_check(id, err);

	if (rc == 0)
		rc = build(out, "POST", id, "/runs", NULL, NULL, NULL, err);
	if (rc == 0)
		out->idempotent = ROGER_HTTP_IDEMPOTENT_NO;
	return rc;
}

int roger_metronome_req_get_run(struct roger_metronome_req *out, const char *id,
				const char *run_id, struct roger_err *err)
{
	int rc = roger_metronome_id_check(id, err);

	if (rc == 0)
		rc = run_id_check(run_id, err);
	if (rc == 0)
		rc = build(out, "GET", id, "/runs", run_id, NULL, NULL, err);
	return rc;
}

int roger_metronome_req_stop_run(struct roger_metronome_req *out,
				 const char *id, const char *run_id,
				 struct roger_err *err)
{
	int rc = roger_metronome_id_check(id, err);

	if (rc == 0)
		rc = run_id_check(run_id, err);
	if (rc == 0)
		rc = build(out, "POST", id, "/runs", run_id, "/actions/stop",
			   NULL, err);
	/* stopping twice is harmless: the second finds nothing to stop */
	if (rc == 0)
		out->idempotent = ROGER_HTTP_IDEMPOTENT_YES;
	return rc;
}

/* ---- replies ------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void *zalloc(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static void run_release(struct roger_metronome_run *r)
{
	free(r->tasks);
	json_decref(r->json);
}

void roger_metronome_run_free(struct roger_metronome_run *run)
{
	if (!run)
		return;
	run_release(run);
	free(run);
}

bool roger_metronome_run_done(const char *status)
{
	return status &&
	       (!strcmp(status, "SUCCESS") || !strcmp(status, "FAILED"));
}

/* Fill `r` from the run object `o` (borrowed; r->json left alone). */
static int run_fields(struct roger_metronome_run *r, const json_t *o)
{
	json_t *tasks = json_object_get(o, "tasks"), *t;
	size_t i;

	r->id = jstr(o, "id");
	r->job_id = jstr(o, "jobId");
	r->status = jstr(o, "status");
	r->created_at = jstr(o, "createdAt");
	r->completed_at = jstr(o, "completedAt");
	if (!json_is_array(tasks))
		return 0;
	r->tasks = zalloc(json_array_size(tasks), sizeof(*r->tasks));
	if (!r->tasks)
		return ROGER_ENOMEM;
	json_array_foreach(tasks, i, t) {
		struct roger_metronome_task *k = &r->tasks[r->n_tasks];

		if (!jstr(t, "id"))
			continue;
		k->id = jstr(t, "id");
		k->status = jstr(t, "status");
		k->started_at = jstr(t, "startedAt");
		k->completed_at = jstr(t, "completedAt");
		r->n_tasks++;
	}
	return 0;
}

int roger_metronome_run_parse(struct roger_metronome_run **out,
			      const char *body, size_t len,
			      struct roger_err *err)
{
	struct roger_metronome_run *r;
	json_t *root;
	int rc = roger_json_reply(&root, body, len, "the run", false, err);

	if (rc < 0)
		return rc;
	if (!jstr(root, "id")) {
		json_decref(root);
		return roger_err_set(err, ROGER_EHTTP,
				     "unexpected JSON in the run: no 'id'");
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		json_decref(root);
		return nomem(err);
	}
	r->json = root;
	if (run_fields(r, root) < 0) {
		roger_metronome_run_free(r);
		return nomem(err);
	}
	*out = r;
	return 0;
}

static void schedule_fields(struct roger_metronome_schedule *s, const json_t *o)
{
	json_t *v;
	int64_t n;

	s->id = jstr(o, "id");
	s->cron = jstr(o, "cron");
	s->timezone = jstr(o, "timezone");
	if (!s->timezone)
		s->timezone = "UTC";
	s->concurrency_policy = jstr(o, "concurrencyPolicy");
	if (!s->concurrency_policy)
		s->concurrency_policy = "ALLOW";
	v = json_object_get(o, "enabled");
	s->enabled = !json_is_false(v);
	s->starting_deadline_seconds = 900;
	if (roger_json_int(json_object_get(o, "startingDeadlineSeconds"), 0,
			   INT32_MAX, &n))
		s->starting_deadline_seconds = (int)n;
	s->next_run_at = jstr(o, "nextRunAt");
}

int roger_metronome_schedule_parse(struct roger_metronome_schedule *out,
				   json_t **json_out, const char *body,
				   size_t len, struct roger_err *err)
{
	json_t *root;
	int rc = roger_json_reply(&root, body, len, "the schedule", false, err);

	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	schedule_fields(out, root);
	*json_out = root;
	return 0;
}

void roger_metronome_job_free(struct roger_metronome_job *job)
{
	if (!job)
		return;
	free(job->schedules);
	for (size_t i = 0; i < job->n_active_runs; i++)
		free(job->active_runs[i].tasks);
	free(job->active_runs);
	for (size_t i = 0; i < job->history.n_runs; i++)
		free(job->history.runs[i].tasks);
	free(job->history.runs);
	json_decref(job->json);
	free(job);
}

static int finished_list(struct roger_metronome_history *h, const json_t *list,
			 bool success)
{
	size_t i;
	json_t *o;

	json_array_foreach(list, i, o) {
		struct roger_metronome_finished *f = &h->runs[h->n_runs];
		json_t *tasks = json_object_get(o, "tasks"), *t;
		size_t j;

		if (!jstr(o, "id"))
			continue;
		f->id = jstr(o, "id");
		f->created_at = jstr(o, "createdAt");
		f->finished_at = jstr(o, "finishedAt");
		f->success = success;
		if (json_is_array(tasks)) {
			f->tasks = zalloc(json_array_size(tasks),
					  sizeof(*f->tasks));
			if (!f->tasks)
				return ROGER_ENOMEM;
			json_array_foreach(tasks, j, t)
				if (json_is_string(t))
					f->tasks[f->n_tasks++] =
						json_string_value(t);
		}
		h->n_runs++;
	}
	return 0;
}

static int history_fields(struct roger_metronome_history *h, const json_t *o)
{
	json_t *ok = json_object_get(o, "successfulFinishedRuns");
	json_t *bad = json_object_get(o, "failedFinishedRuns");
	int64_t n;

	if (!json_is_object(o))
		return 0;
	h->present = true;
	if (roger_json_int(json_object_get(o, "successCount"), 0, INT64_MAX,
			   &n))
		h->success_count = n;
	if (roger_json_int(json_object_get(o, "failureCount"), 0, INT64_MAX,
			   &n))
		h->failure_count = n;
	h->last_success_at = jstr(o, "lastSuccessAt");
	h->last_failure_at = jstr(o, "lastFailureAt");
	h->runs = zalloc(json_array_size(ok) + json_array_size(bad),
			 sizeof(*h->runs));
	if (!h->runs)
		return ROGER_ENOMEM;
	if (finished_list(h, ok, true) < 0 || finished_list(h, bad, false) < 0)
		return ROGER_ENOMEM;
	return 0;
}

static int job_fields(struct roger_metronome_job *job)
{
	json_t *o = job->json, *v, *e;
	size_t i;

	job->id = jstr(o, "id");
	job->description = jstr(o, "description");
	v = json_object_get(o, "labels");
	job->labels = json_is_object(v) ? v : NULL;
	v = json_object_get(o, "run");
	job->run = json_is_object(v) ? v : NULL;
	job->cmd = jstr(job->run, "cmd");
	v = json_object_get(o, "schedules");
	job->has_schedules = json_is_array(v);
	if (job->has_schedules) {
		job->schedules =
			zalloc(json_array_size(v), sizeof(*job->schedules));
		if (!job->schedules)
			return ROGER_ENOMEM;
		json_array_foreach(v, i, e)
			if (json_is_object(e))
				schedule_fields(
					&job->schedules[job->n_schedules++], e);
	}
	v = json_object_get(o, "activeRuns");
	if (json_is_array(v)) {
		job->active_runs =
			zalloc(json_array_size(v), sizeof(*job->active_runs));
		if (!job->active_runs)
			return ROGER_ENOMEM;
		json_array_foreach(v, i, e) {
			if (!json_is_object(e) || !jstr(e, "id"))
				continue;
			if (run_fields(&job->active_runs[job->n_active_runs++],
				       e) < 0)
				return ROGER_ENOMEM;
		}
	}
	v = json_object_get(o, "history");
	if (!v)
		v = json_object_get(o, "historySummary");
	return history_fields(&job->history, v);
}

int roger_metronome_job_from_json(struct roger_metronome_job **out, json_t *obj,
				  struct roger_err *err)
{
	struct roger_metronome_job *job;

	if (!json_is_object(obj) || !jstr(obj, "id"))
		return roger_err_set(err, ROGER_EHTTP,
				     "unexpected JSON in the job: no 'id'");
	job = calloc(1, sizeof(*job));
	if (!job)
		return nomem(err);
	job->json = json_incref(obj);
	if (job_fields(job) < 0) {
		roger_metronome_job_free(job);
		return nomem(err);
	}
	*out = job;
	return 0;
}

int roger_metronome_job_parse(struct roger_metronome_job **out,
			      const char *body, size_t len,
			      struct roger_err *err)
{
	json_t *root;
	int rc = roger_json_reply(&root, body, len, "the job", false, err);

	if (rc < 0)
		return rc;
	rc = roger_metronome_job_from_json(out, root, err);
	json_decref(root);
	return rc;
}

const char *roger_metronome_job_label(const struct roger_metronome_job *job,
				      const char *key)
{
	return jstr(job->labels, key);
}

const struct roger_metronome_finished *
roger_metronome_job_finished(const struct roger_metronome_job *job,
			     const char *run_id)
{
	for (size_t i = 0; run_id && i < job->history.n_runs; i++)
		if (!strcmp(job->history.runs[i].id, run_id))
			return &job->history.runs[i];
	return NULL;
}

void roger_metronome_jobs_free(struct roger_metronome_jobs *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++)
		roger_metronome_job_free(j->items[i]);
	free(j->items);
	json_decref(j->json);
	free(j);
}

int roger_metronome_jobs_parse(struct roger_metronome_jobs **out,
			       const char *body, size_t len,
			       struct roger_err *err)
{
	struct roger_metronome_jobs *j = NULL;
	json_t *root, *o;
	size_t i;
	int rc = roger_json_reply(&root, body, len, "the job list", true, err);

	if (rc < 0)
		return rc;
	j = calloc(1, sizeof(*j));
	if (!j ||
	    !(j->items = zalloc(json_array_size(root), sizeof(*j->items)))) {
		free(j);
		json_decref(root);
		return nomem(err);
	}
	j->json = root;
	json_array_foreach(root, i, o) {
		if (!json_is_object(o) || !jstr(o, "id"))
			continue;
		if ((rc = roger_metronome_job_from_json(&j->items[j->n], o,
							err)) < 0) {
			roger_metronome_jobs_free(j);
			return rc;
		}
		j->n++;
	}
	*out = j;
	return 0;
}

/* ---- error replies ------------------------------------------------------- */

/* Metronome's text, one printable line of at most 300 bytes. */
static void add_text(struct roger_buf *b, const char *s)
{
	size_t n = strlen(s);

	roger_buf_add(b, s, n > 300 ? 300 : n);
	if (n > 300)
		roger_buf_adds(b, "...");
}

static int validation_err(struct roger_err *err, const json_t *root,
			  const char *source, roger_metronome_path_fn fn,
			  void *data)
{
	json_t *details = json_object_get(root, "details"), *d, *e;
	struct roger_buf b = ROGER_BUF_INIT;
	size_t i, j;
	int rc;

	json_array_foreach(details, i, d) {
		const char *path = jstr(d, "path");

		if (i)
			roger_buf_adds(&b, "; ");
		if (i == 0 || source)
			roger_buf_addf(&b,
				       "%s: ", source ? source : "invalid job");
		if (path && *path) {
			if (!fn || fn(data, &b, path) < 0)
				roger_buf_addf(&b, "%s", path);
			roger_buf_adds(&b, ": ");
		}
		json_array_foreach(json_object_get(d, "errors"), j, e) {
			if (j)
				roger_buf_adds(&b, ", ");
			if (json_is_string(e))
				add_text(&b, json_string_value(e));
		}
	}
	if (b.len == 0 && jstr(root, "message")) {
		roger_buf_addf(&b, "%s: ", source ? source : "invalid job");
		add_text(&b, jstr(root, "message"));
	}
	rc = b.len ? roger_err_set(err, ROGER_EINVALID, "%s", b.buf) : 0;
	roger_buf_release(&b);
	return rc;
}

int roger_metronome_error_from_reply(struct roger_err *err, long status,
				     const char *body, size_t len,
				     const char *url, const char *source,
				     roger_metronome_path_fn fn, void *data)
{
	struct roger_buf b = ROGER_BUF_INIT;
	json_t *root = NULL;
	const char *msg, *id;
	int rc = 0;

	if (status != 400 && status != 404 && status != 409 && status != 422)
		return 0;
	if (roger_json_reply(&root, body, len, "the error", false, NULL) < 0)
		return 0;
	msg = jstr(root, "message");
	id = jstr(root, "id");
	switch (status) {
	case 404:
		if (msg && !strcmp(msg, "Job not found") && id)
			rc = roger_err_set(err, ROGER_ENOTFOUND,
					   "job '%s' does not exist", id);
		else if (msg && !strcmp(msg, "Job Run not found") && id)
			rc = roger_err_set(
				err, ROGER_ENOTFOUND,
				"run '%s' of job '%s' does not exist (a run that ended is only in the job's history)",
				id,
				jstr(root, "jobSpec") ? jstr(root, "jobSpec")
						      : "");
		else if (msg && !strcmp(msg, "Schedule not found") && id)
			rc = roger_err_set(err, ROGER_ENOTFOUND,
					   "schedule '%s' does not exist", id);
		else if (msg) {
			add_text(&b, msg);
			rc = roger_err_set(err, ROGER_ENOTFOUND,
					   "not found at '%s': %s",
					   url ? url : "", b.buf);
		}
		break;
	case 409:
		if (!msg)
			break;
		add_text(&b, msg);
		rc = roger_err_set(err, ROGER_ECONFLICT,
				   "metronome refused: %s (HTTP 409 from '%s')",
				   b.buf, url ? url : "");
		break;
	default: /* 400, 422 */
		if (json_is_array(json_object_get(root, "details"))) {
			rc = validation_err(err, root, source, fn, data);
			break;
		}
		if (!msg)
			break;
		add_text(&b, msg);
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"metronome refused the request to '%s' (HTTP %ld): %s",
			url ? url : "", status, b.buf);
		break;
	}
	if (rc && err) {
		err->http_status = (int)status;
		roger_one_line(err->msg);
	}
	roger_buf_release(&b);
	json_decref(root);
	return rc;
}
