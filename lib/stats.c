/*
 * stats.c - resource usage from the agents' /monitor/statistics (see
 * stats.h for the layers and the rules).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "json-num.h"
#include "marathon.h"
#include "mesos.h"
#include "stats.h"

#define AGENT_TIMEOUT_MS 5000L
/* The largest reply read: thousands of executors fit. */
#define MAX_REPLY ((size_t)64 << 20)

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

/* ---- the reply ------------------------------------------------------------- */

static bool number(const json_t *obj, const char *key, double *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

/* A byte count: a whole number from 0 up, else not measured. */
static bool bytes(const json_t *obj, const char *key, uint64_t *out)
{
	int64_t v;

	if (!roger_json_int(json_object_get(obj, key), 0, INT64_MAX, &v))
		return false;
	*out = (uint64_t)v;
	return true;
}

static bool entry_fill(struct roger_stats_entry *e, const json_t *obj)
{
	const json_t *st = json_object_get(obj, "statistics");
	double user, sys, limit;

	memset(e, 0, sizeof(*e));
	e->executor_id = json_string_value(json_object_get(obj, "executor_id"));
	e->source = json_string_value(json_object_get(obj, "source"));
	e->framework_id =
		json_string_value(json_object_get(obj, "framework_id"));
	if (!e->executor_id || !json_is_object(st) ||
	    !number(st, "timestamp", &e->timestamp))
		return false;
	if (number(st, "cpus_user_time_secs", &user) &&
	    number(st, "cpus_system_time_secs", &sys) && user >= 0 &&
	    sys >= 0) {
		e->has_cpu_time = true;
		e->cpu_seconds = user + sys;
	}
	if (number(st, "cpus_limit", &limit) && limit > 0)
		e->cpus_limit = limit;
	e->has_rss = bytes(st, "mem_rss_bytes", &e->mem_rss_bytes);
	if (!bytes(st, "mem_limit_bytes", &e->mem_limit_bytes))
		e->mem_limit_bytes = 0;
	return true;
}

int roger_stats_parse(struct roger_stats **out, const char *body, size_t len,
		      struct roger_err *err)
{
	struct roger_stats *s;
	json_error_t jerr;
	json_t *root, *v;
	size_t i;

	root = json_loadb(body ? body : "", len, 0, &jerr);
	if (!root)
		return roger_err_set(
			err, ROGER_EHTTP,
			"invalid JSON in the statistics: %s (line %d, column %d)",
			jerr.text, jerr.line, jerr.column);
	if (!json_is_array(root)) {
		json_decref(root);
		return roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in the statistics: expected an array");
	}
	s = calloc(1, sizeof(*s));
	if (s)
		s->items = calloc(json_array_size(root) + 1, sizeof(*s->items));
	if (!s || !s->items) {
		free(s);
		json_decref(root);
		return nomem(err);
	}
	json_array_foreach(root, i, v)
		if (json_is_object(v) && entry_fill(&s->items[s->n], v))
			s->n++;
	s->json = root;
	*out = s;
	return 0;
}

void roger_stats_free(struct roger_stats *s)
{
	if (!s)
		return;
	free(s->items);
	json_decref(s->json);
	free(s);
}

const struct roger_stats_entry *roger_stats_find(const struct roger_stats *s,
						 const char *task_id)
{
	if (!s || !task_id)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->items[i].executor_id, task_id) ||
		    (s->items[i].source &&
		     !strcmp(s->items[i].source, task_id)))
			return &s->items[i];
	return NULL;
}

/* ---- usage ----------------------------------------------------------------- */

void roger_stats_usage(struct roger_stats_usage *out,
		       const struct roger_stats_entry *prev,
		       const struct roger_stats_entry *cur, double started)
{
	memset(out, 0, sizeof(*out));
	out->cpus_limit = cur->cpus_limit;
	out->mem_limit_bytes = cur->mem_limit_bytes;
	out->has_mem = cur->has_rss;
	out->rss_bytes = cur->mem_rss_bytes;
	if (!cur->has_cpu_time)
		return;
	if (prev) {
		double dt = cur->timestamp - prev->timestamp;
		double used = cur->cpu_seconds - prev->cpu_seconds;

		if (!prev->has_cpu_time || !(dt > 0))
			return;
		out->has_cpu = true;
		out->cpus_used = used > 0 ? used / dt : 0;
		return;
	}
	if (started > 0 && cur->timestamp > started) {
		out->has_cpu = true;
		out->cpus_used = cur->cpu_seconds / (cur->timestamp - started);
	}
}

void roger_stats_usage_add(struct roger_stats_usage *sum,
			   const struct roger_stats_usage *u)
{
	if (u->has_cpu) {
		sum->has_cpu = true;
		sum->cpus_used += u->cpus_used;
	}
	sum->cpus_limit += u->cpus_limit;
	if (u->has_mem) {
		sum->has_mem = true;
		sum->rss_bytes += u->rss_bytes;
	}
	sum->mem_limit_bytes += u->mem_limit_bytes;
}

double roger_stats_cpu_percent(const struct roger_stats_usage *u)
{
	if (!u->has_cpu || !(u->cpus_limit > 0))
		return -1;
	return 100.0 * u->cpus_used / u->cpus_limit;
}

double roger_stats_mem_percent(const struct roger_stats_usage *u)
{
	if (!u->has_mem || u->mem_limit_bytes == 0)
		return -1;
	return 100.0 * (double)u->rss_bytes / (double)u->mem_limit_bytes;
}

/* ---- the client ------------------------------------------------------------ */

void roger_stats_sample_free(struct roger_stats_sample *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->tasks[i].task_id);
		free(s->tasks[i].agent_id);
		free(s->tasks[i].error);
	}
	free(s->tasks);
	for (size_t i = 0; i < s->n_replies; i++)
		roger_stats_free(s->replies[i]);
	free(s->replies);
	free(s);
}

const struct roger_stats_task *
roger_stats_sample_task(const struct roger_stats_sample *s, const char *task_id)
{
	if (!s || !task_id)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->tasks[i].task_id, task_id))
			return &s->tasks[i];
	return NULL;
}

/* GET <agent_url>/monitor/statistics, parsed. */
static int fetch(struct roger_stats **out, struct roger_mesos *mesos,
		 const char *agent_url, long timeout_ms, struct roger_err *err)
{
	struct roger_http_client *http = roger_mesos_http(mesos);
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_http_req req = { 0 };
	char *url = NULL;
	int rc;

	if (asprintf(&url, "%s/monitor/statistics", agent_url) < 0)
		return nomem(err);
	req.url = url;
	req.accept = "application/json";
	req.flags = ROGER_HTTP_NO_RETRY;
	req.timeout_ms = timeout_ms;
	req.connect_timeout_ms = timeout_ms;
	req.max_body = MAX_REPLY;
	rc = roger_http_client_send(http, &req, &resp, err);
	if (rc == 0 && !roger_http_resp_ok(&resp))
		rc = roger_http_client_status_err(http, &resp, err);
	else if (rc == 0)
		rc = roger_stats_parse(out, resp.body.buf, resp.body.len, err);
	roger_http_resp_release(&resp);
	free(url);
	return rc;
}

/* Mark every task of agent `agent_id` not found, for `why`. */
static int agent_failed(struct roger_stats_sample *s, const char *agent_id,
			const char *why)
{
	for (size_t i = 0; i < s->n; i++) {
		struct roger_stats_task *t = &s->tasks[i];

		if (t->error || t->found || !t->agent_id ||
		    strcmp(t->agent_id, agent_id))
			continue;
		t->error = strdup(why);
		if (!t->error)
			return ROGER_ENOMEM;
	}
	return 0;
}

/* Ask the agent of task `first` for the statistics of all its tasks. */
static int sample_agent(struct roger_stats_sample *s, size_t first,
			struct roger_mesos *mesos,
			const struct roger_mesos_master *master,
			long timeout_ms)
{
	const char *agent_id = s->tasks[first].agent_id;
	const struct roger_mesos_agent_info *info =
		roger_mesos_master_agent(master, agent_id);
	struct roger_err why = ROGER_ERR_INIT;
	struct roger_stats *reply = NULL, **grown;
	char *url = NULL;
	int rc;

	if (!info) {
		snprintf(why.msg, sizeof(why.msg),
			 "the Mesos master does not know agent '%s'", agent_id);
		return agent_failed(s, agent_id, why.msg);
	}
	rc = roger_mesos_agent_url(
		&url, info, roger_http_client_base(roger_mesos_http(mesos)),
		&why);
	if (rc == 0)
		rc = fetch(&reply, mesos, url, timeout_ms, &why);
	free(url);
	if (rc == ROGER_ENOMEM)
		return rc;
	if (rc < 0)
		return agent_failed(s, agent_id, why.msg);
	grown = realloc(s->replies, (s->n_replies + 1) * sizeof(*grown));
	if (!grown) {
		roger_stats_free(reply);
		return ROGER_ENOMEM;
	}
	s->replies = grown;
	s->replies[s->n_replies++] = reply;
	for (size_t i = first; i < s->n; i++) {
		struct roger_stats_task *t = &s->tasks[i];
		const struct roger_stats_entry *e;

		if (t->found || t->error || !t->agent_id ||
		    strcmp(t->agent_id, agent_id))
			continue;
		e = roger_stats_find(reply, t->task_id);
		if (e) {
			t->found = true;
			t->entry = *e;
		} else {
			t->error = strdup(
				"its agent has no statistics of it (yet)");
			if (!t->error)
				return ROGER_ENOMEM;
		}
	}
	return 0;
}

int roger_stats_sample(struct roger_stats_sample **out,
		       struct roger_mesos *mesos,
		       const struct roger_marathon_task *tasks, size_t n_tasks,
		       long timeout_ms, struct roger_err *err)
{
	struct roger_mesos_master *master = NULL;
	struct roger_stats_sample *s = calloc(1, sizeof(*s));
	int rc = 0;

	if (!s || !(s->tasks = calloc(n_tasks + 1, sizeof(*s->tasks)))) {
		free(s);
		return nomem(err);
	}
	for (size_t i = 0; i < n_tasks; i++) {
		struct roger_stats_task *t = &s->tasks[s->n];

		if (!tasks[i].id)
			continue;
		s->n++;
		t->task_id = strdup(tasks[i].id);
		t->agent_id =
			tasks[i].slave_id ? strdup(tasks[i].slave_id) : NULL;
		if (!t->task_id || (tasks[i].slave_id && !t->agent_id))
			goto nomem;
		if (!t->agent_id &&
		    !(t->error = strdup(
			      "Marathon does not say which agent runs it")))
			goto nomem;
	}
	if (s->n && (rc = roger_mesos_master_state(&master, mesos, err)) < 0)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		if (s->tasks[i].found || s->tasks[i].error)
			continue;
		rc = sample_agent(s, i, mesos, master,
				  timeout_ms > 0 ? timeout_ms
						 : AGENT_TIMEOUT_MS);
		if (rc < 0)
			goto nomem;
	}
	*out = s;
	s = NULL;
	goto out;
nomem:
	rc = nomem(err);
out:
	roger_mesos_master_free(master);
	roger_stats_sample_free(s);
	return rc;
}
