/*
 * metronome-api.c - the Metronome 0.6 jobs API of roger local
 * (METRONOME.md sections 3-6): jobs, schedules and runs under /v1/jobs,
 * with the contract's statuses and bodies.
 *
 * Validation follows the JSON schema of 0.6.44 (additionalProperties
 * false at the top and in `run`, cpus/mem/disk required) and its semantic
 * checks, and answers 422 {"message":"Object is not valid","details":
 * [{"path","errors"}]} with the 0.6 validator's wording.  Accepted specs
 * are written back with every run field at its default, whole numbers
 * without a fraction, as the recorded 0.6.33 replies are.  The quirks
 * kept: POST/PUT need a JSON content type (415), `schedules` is refused on
 * /v1/jobs, one schedule per job (409), PUT of a missing schedule is 404,
 * DELETE of a schedule answers an empty 200, a run is INITIAL when
 * triggered and gone from /runs once it ended, a list omits the
 * activeRuns of an idle job while a single job shows [], bad ids and
 * `embed` values are 400 with {message, requestPath}, and an unknown
 * route is {"message":"Unknown route.","requestPath":...}.
 *
 * Every change is saved before the answer; if saving fails the change is
 * undone and the answer is a 500 with only `requestPath`, as Metronome's.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cron.h"
#include "ctx.h"
#include "err.h"
#include "json-num.h"
#include "local/internal.h"
#include "local/metronome-int.h"
#include "metronome.h"
#include "tz.h"

/* ---- answers ----------------------------------------------------------------- */

static void client_error(struct roger_local_resp *rs,
			 const struct roger_local_req *rq, int status,
			 const char *message)
{
	roger_local_resp_json(rs, status,
			      json_pack("{s:s,s:s}", "message", message,
					"requestPath", rq->path));
}

static void server_error(struct roger_local_resp *rs,
			 const struct roger_local_req *rq)
{
	roger_local_resp_json(rs, 500,
			      json_pack("{s:s}", "requestPath", rq->path));
}

static void unknown_job(struct roger_local_resp *rs, const char *id)
{
	roger_local_resp_json(
		rs, 404,
		json_pack("{s:s,s:s}", "id", id, "message", "Job not found"));
}

/* ---- validation ---------------------------------------------------------------- */

struct check {
	json_t *details; /* [{path, errors}] */
};

static void problem(struct check *c, const char *path, const char *fmt, ...)
	ROGER_PRINTF(3, 4);

static void problem(struct check *c, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(c->details, json_pack("{s:s,s:[s]}", "path", path,
						    "errors", msg));
}

/* Members of `o` not among `known`: "Additional properties ..." at `path`. */
static void only(struct check *c, const json_t *o, const char *path,
		 const char *const *known)
{
	struct roger_buf extra = ROGER_BUF_INIT;
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v) {
		bool ok = false;

		for (size_t i = 0; known[i]; i++)
			ok = ok || !strcmp(known[i], key);
		if (!ok)
			roger_buf_addf(&extra, "%s'%s'", extra.len ? ", " : "",
				       key);
	}
	if (extra.len)
		problem(c, path,
			"Additional properties are not allowed, but found properties %s.",
			extra.buf);
	roger_buf_release(&extra);
}

static const json_t *number(struct check *c, const json_t *o, const char *key,
			    const char *path, double min, bool required,
			    const char *parent)
{
	const json_t *v = json_object_get(o, key);

	if (!v) {
		if (required)
			problem(c, parent, "Property %s missing.", key);
		return NULL;
	}
	if (!json_is_number(v)) {
		problem(c, path, "Wrong type. Expected number, was %s.",
			json_is_string(v) ? "string" : "another type");
		return NULL;
	}
	if (json_number_value(v) < min)
		problem(c, path,
			"%g is smaller than required minimum value of %g.",
			json_number_value(v), min);
	return v;
}

static bool job_id_ok(const char *id)
{
	return id && roger_metronome_id_check(id, NULL) == 0;
}

static void check_env(struct check *c, const json_t *env)
{
	const char *key;
	json_t *v;
	char path[300];

	if (!env)
		return;
	if (!json_is_object(env)) {
		problem(c, "/run/env", "Wrong type. Expected object.");
		return;
	}
	json_object_foreach((json_t *)env, key, v) {
		snprintf(path, sizeof(path), "/run/env/%s", key);
		if (!json_is_string(v) &&
		    !(json_is_object(v) &&
		      json_is_string(json_object_get(v, "secret"))))
			problem(c, path,
				"Wrong type. Expected string or {\"secret\": name}.");
	}
}

static json_t *check_artifacts(struct check *c, const json_t *list)
{
	static const char *const keys[] = { "uri", "extract", "executable",
					    "cache", NULL };
	json_t *out = json_array(), *a;
	size_t i;
	char path[64];

	if (list && !json_is_array(list)) {
		problem(c, "/run/artifacts", "Wrong type. Expected array.");
		return out;
	}
	json_array_foreach(list, i, a) {
		snprintf(path, sizeof(path), "/run/artifacts/%zu", i);
		if (!json_is_object(a) ||
		    !json_is_string(json_object_get(a, "uri"))) {
			problem(c, path, "Property uri missing.");
			continue;
		}
		only(c, a, path, keys);
		json_array_append_new(
			out,
			json_pack(
				"{s:O,s:b,s:b,s:b}", "uri",
				json_object_get(a, "uri"), "extract",
				!json_is_false(json_object_get(a, "extract")),
				"executable",
				json_is_true(json_object_get(a, "executable")),
				"cache",
				json_is_true(json_object_get(a, "cache"))));
	}
	return out;
}

static json_t *check_restart(struct check *c, const json_t *r)
{
	const char *policy;
	json_t *out;

	if (!r)
		return json_pack("{s:s}", "policy", "NEVER");
	policy = json_string_value(json_object_get(r, "policy"));
	if (!json_is_object(r) || !policy) {
		problem(c, "/run/restart", "Property policy missing.");
		return json_pack("{s:s}", "policy", "NEVER");
	}
	if (strcmp(policy, "NEVER") && strcmp(policy, "ON_FAILURE"))
		problem(c, "/run/restart/policy",
			"Instance value (\"%s\") not found in enum (possible values: [\"NEVER\",\"ON_FAILURE\"]).",
			policy);
	out = json_pack("{s:s}", "policy", policy);
	if (json_is_integer(json_object_get(r, "activeDeadlineSeconds")))
		json_object_set(out, "activeDeadlineSeconds",
				json_object_get(r, "activeDeadlineSeconds"));
	return out;
}

static json_t *num_out(const json_t *v, double dflt)
{
	return roger_local_json_number(v ? json_number_value(v) : dflt);
}

/* A boolean member of `o` (absent: false) written into `out`. */
static void flag(struct check *c, const json_t *o, const char *key,
		 const char *path, json_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (v && !json_is_boolean(v))
		problem(c, path, "Wrong type. Expected boolean.");
	json_object_set_new(out, key, json_boolean(json_is_true(v)));
}

/* The image's name, a string that must be there: NULL when it is not. */
static const char *image_name(struct check *c, const json_t *o, const char *key,
			      const char *path, const char *parent)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		problem(c, parent, "Property %s missing.", key);
	else if (!json_is_string(v) || !*json_string_value(v))
		problem(c, path, "Wrong type. Expected non-empty string.");
	return json_string_value(v) && *json_string_value(v)
		       ? json_string_value(v)
		       : NULL;
}

/*
 * run.docker or run.ucr, written back with their defaults as Metronome
 * writes them; what roger local cannot run (privileged containers, Docker
 * parameters, appc images) is refused as it is for Marathon's apps.
 */
static json_t *check_container(struct check *c, const json_t *r)
{
	static const char *const dkeys[] = { "image", "forcePullImage",
					     "privileged", "parameters", NULL };
	static const char *const ukeys[] = { "image", "privileged", NULL };
	static const char *const ikeys[] = { "id", "kind", "forcePull", NULL };
	const json_t *d = json_object_get(r, "docker");
	const json_t *u = json_object_get(r, "ucr"), *img, *kind;
	const char *name;
	json_t *out = json_object(), *io;

	if (d) {
		if (!json_is_object(d)) {
			problem(c, "/run/docker",
				"Wrong type. Expected object.");
			return out;
		}
		only(c, d, "/run/docker", dkeys);
		if ((name = image_name(c, d, "image", "/run/docker/image",
				       "/run/docker")))
			json_object_set_new(out, "image", json_string(name));
		flag(c, d, "forcePullImage", "/run/docker/forcePullImage", out);
		flag(c, d, "privileged", "/run/docker/privileged", out);
		if (json_is_true(json_object_get(out, "privileged")))
			problem(c, "/run/docker/privileged",
				"privileged containers are not supported by roger local");
		if (json_array_size(json_object_get(d, "parameters")) > 0)
			problem(c, "/run/docker/parameters",
				"Docker parameters are not supported by roger local (it runs images without Docker)");
		json_object_set_new(out, "parameters", json_array());
		if (json_integer_value(json_object_get(r, "gpus")) > 0)
			problem(c, "/run",
				"GPUs are not supported with Docker");
		return out;
	}
	if (!json_is_object(u)) {
		problem(c, "/run/ucr", "Wrong type. Expected object.");
		return out;
	}
	only(c, u, "/run/ucr", ukeys);
	img = json_object_get(u, "image");
	if (!json_is_object(img)) {
		problem(c, img ? "/run/ucr/image" : "/run/ucr",
			img ? "Wrong type. Expected object."
			    : "Property image missing.");
		return out;
	}
	only(c, img, "/run/ucr/image", ikeys);
	io = json_object();
	json_object_set_new(out, "image", io);
	if ((name = image_name(c, img, "id", "/run/ucr/image/id",
			       "/run/ucr/image")))
		json_object_set_new(io, "id", json_string(name));
	kind = json_object_get(img, "kind");
	if (kind && !json_is_string(kind))
		problem(c, "/run/ucr/image/kind",
			"Wrong type. Expected string.");
	else if (kind && strcmp(json_string_value(kind), "docker") != 0)
		problem(c, "/run/ucr/image/kind",
			"%s images are not supported by roger local: use docker",
			json_string_value(kind));
	json_object_set_new(io, "kind", json_string("docker"));
	flag(c, img, "forcePull", "/run/ucr/image/forcePull", io);
	flag(c, u, "privileged", "/run/ucr/privileged", out);
	if (json_is_true(json_object_get(out, "privileged")))
		problem(c, "/run/ucr/privileged",
			"privileged containers are not supported by roger local");
	return out;
}

/* The `run` object, checked and written back with its defaults. */
static json_t *check_run(struct check *c, const json_t *r)
{
	static const char *const keys[] = { "cpus",
					    "mem",
					    "disk",
					    "gpus",
					    "cmd",
					    "args",
					    "user",
					    "env",
					    "placement",
					    "artifacts",
					    "maxLaunchDelay",
					    "docker",
					    "ucr",
					    "volumes",
					    "restart",
					    "taskKillGracePeriodSeconds",
					    "secrets",
					    "networks",
					    NULL };
	const json_t *cpus, *mem, *disk, *v;
	const char *cmd = json_string_value(json_object_get(r, "cmd"));
	json_t *out;

	only(c, r, "/run", keys);
	cpus = number(c, r, "cpus", "/run/cpus", 0.01, true, "/run");
	mem = number(c, r, "mem", "/run/mem", 32, true, "/run");
	disk = number(c, r, "disk", "/run/disk", 0, true, "/run");
	if ((v = json_object_get(r, "cmd")) && (!cmd || !*cmd))
		problem(c, "/run/cmd",
			"String is too short (0 chars), minimum 1.");
	if ((v = json_object_get(r, "args")) && !json_is_array(v))
		problem(c, "/run/args", "Wrong type. Expected array.");
	check_env(c, json_object_get(r, "env"));
	if (json_object_get(r, "docker") && json_object_get(r, "ucr"))
		problem(c, "/run",
			"Either Docker or UCR should be provided, but not both");
	if (!cmd && !json_object_get(r, "docker") && !json_object_get(r, "ucr"))
		problem(c, "/run",
			"Cmd, Docker or UCR image must be specified");
	out = json_pack("{s:o,s:o,s:o,s:i}", "cpus", num_out(cpus, 1), "mem",
			num_out(mem, 128), "disk", num_out(disk, 0), "gpus",
			(int)json_integer_value(json_object_get(r, "gpus")));
	if (cmd)
		json_object_set_new(out, "cmd", json_string(cmd));
	if (json_is_array(json_object_get(r, "args")))
		json_object_set(out, "args", json_object_get(r, "args"));
	if (json_is_string(json_object_get(r, "user")))
		json_object_set(out, "user", json_object_get(r, "user"));
	json_object_set_new(out, "env",
			    json_is_object(json_object_get(r, "env"))
				    ? json_deep_copy(json_object_get(r, "env"))
				    : json_object());
	json_object_set_new(out, "placement",
			    json_pack("{s:[]}", "constraints"));
	json_object_set_new(
		out, "artifacts",
		check_artifacts(c, json_object_get(r, "artifacts")));
	v = json_object_get(r, "maxLaunchDelay");
	json_object_set_new(out, "maxLaunchDelay",
			    json_integer(json_is_integer(v)
						 ? json_integer_value(v)
						 : 3600));
	if (json_object_get(r, "docker"))
		json_object_set_new(out, "docker", check_container(c, r));
	else if (json_object_get(r, "ucr"))
		json_object_set_new(out, "ucr", check_container(c, r));
	json_object_set_new(out, "volumes", json_array());
	json_object_set_new(out, "restart",
			    check_restart(c, json_object_get(r, "restart")));
	if (json_is_number(json_object_get(r, "taskKillGracePeriodSeconds")))
		json_object_set(
			out, "taskKillGracePeriodSeconds",
			json_object_get(r, "taskKillGracePeriodSeconds"));
	json_object_set_new(
		out, "secrets",
		json_is_object(json_object_get(r, "secrets"))
			? json_deep_copy(json_object_get(r, "secrets"))
			: json_object());
	return out;
}

json_t *roger_local_mjob_normalize(const json_t *in, const char *path_id,
				   int *status, json_t **error)
{
	static const char *const keys[] = { "id", "description", "labels",
					    "run", NULL };
	struct check c = { json_array() };
	const char *id = json_string_value(json_object_get(in, "id"));
	const json_t *labels = json_object_get(in, "labels"), *run;
	json_t *out = NULL, *r = NULL, *v;
	const char *key;

	if (!json_is_object(in)) {
		problem(&c, "/", "Wrong type. Expected object.");
		goto fail;
	}
	only(&c, in, "/", keys);
	if (!id)
		problem(&c, "/", "Property id missing.");
	else if (!job_id_ok(id))
		problem(&c, "/id",
			"'%s' does not match the pattern of a job id.", id);
	if (labels && !json_is_object(labels))
		problem(&c, "/labels", "Wrong type. Expected object.");
	json_object_foreach((json_t *)labels, key, v)
		if (!json_is_string(v))
			problem(&c, "/labels", "Wrong type. Expected string.");
	run = json_object_get(in, "run");
	if (!json_is_object(run))
		problem(&c, "/", "Property run missing.");
	else
		r = check_run(&c, run);
	if (json_array_size(c.details))
		goto fail;
	out = json_pack("{s:s}", "id", path_id ? path_id : id);
	if (json_is_string(json_object_get(in, "description")))
		json_object_set(out, "description",
				json_object_get(in, "description"));
	json_object_set_new(out, "labels",
			    labels ? json_deep_copy(labels) : json_object());
	json_object_set_new(out, "run", r);
	json_decref(c.details);
	return out;
fail:
	json_decref(r);
	*status = 422;
	*error = json_pack("{s:s,s:o}", "message", "Object is not valid",
			   "details", c.details);
	return NULL;
}

json_t *roger_local_mschedule_normalize(const json_t *in, const char *path_id,
					const char *tz_dir, int *status,
					json_t **error)
{
	static const char *const keys[] = { "id",
					    "cron",
					    "timezone",
					    "startingDeadlineSeconds",
					    "concurrencyPolicy",
					    "enabled",
					    "nextRunAt",
					    NULL };
	struct check c = { json_array() };
	const char *id = path_id ? path_id
				 : json_string_value(json_object_get(in, "id"));
	const char *cron = json_string_value(json_object_get(in, "cron"));
	const char *zone = json_string_value(json_object_get(in, "timezone"));
	const char *policy =
		json_string_value(json_object_get(in, "concurrencyPolicy"));
	json_t *deadline = json_object_get(in, "startingDeadlineSeconds");
	struct roger_err why = ROGER_ERR_INIT;
	struct roger_cron cr;
	struct roger_tz *tz = NULL;

	if (!json_is_object(in)) {
		problem(&c, "/", "Wrong type. Expected object.");
		goto fail;
	}
	only(&c, in, "/", keys);
	if (!id)
		problem(&c, "/", "Property id missing.");
	else if (roger_metronome_schedule_id_check(id, NULL) < 0)
		problem(&c, "/id",
			"'%s' does not match the pattern of a schedule id.",
			id);
	if (!cron)
		problem(&c, "/", "Property cron missing.");
	else if (roger_cron_parse(&cr, cron, &why) < 0)
		problem(&c, "/cron",
			strstr(why.msg, "does not exist")
				? "Day of the month must exist in the provided month (%s)"
				: "Can not read cron expression \"%s\"",
			cron);
	if (zone && roger_tz_load(&tz, tz_dir, zone, NULL) < 0)
		problem(&c, "/timezone",
			"No time zone found with this id: \"%s\"", zone);
	roger_tz_free(tz);
	if (deadline &&
	    (!json_is_integer(deadline) || json_integer_value(deadline) < 60))
		problem(&c, "/startingDeadlineSeconds",
			"must be an integer of at least 60 seconds");
	if (policy && strcmp(policy, "ALLOW") && strcmp(policy, "FORBID"))
		problem(&c, "/concurrencyPolicy",
			"Instance value (\"%s\") not found in enum (possible values: [\"ALLOW\",\"FORBID\"]).",
			policy);
	if (json_object_get(in, "enabled") &&
	    !json_is_boolean(json_object_get(in, "enabled")))
		problem(&c, "/enabled", "Wrong type. Expected boolean.");
	if (json_array_size(c.details))
		goto fail;
	json_decref(c.details);
	return json_pack(
		"{s:s,s:s,s:s,s:b,s:I,s:s}", "id", id, "cron", cron,
		"concurrencyPolicy", policy ? policy : "ALLOW", "enabled",
		!json_is_false(json_object_get(in, "enabled")),
		"startingDeadlineSeconds",
		(json_int_t)(deadline ? json_integer_value(deadline) : 900),
		"timezone", zone ? zone : "UTC");
fail:
	*status = 422;
	*error = json_pack("{s:s,s:o}", "message", "Object is not valid",
			   "details", c.details);
	return NULL;
}

/* ---- requests ------------------------------------------------------------------ */

static bool is_json_type(const char *ct)
{
	size_t n;

	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; ");
	return (n == 16 && !strncasecmp(ct, "application/json", 16)) ||
	       (n == 9 && !strncasecmp(ct, "text/json", 9));
}

/* The JSON body (new reference), or NULL with the 415/400 answer set. */
static json_t *body_of(const struct roger_local_req *rq,
		       struct roger_local_resp *rs)
{
	json_error_t jerr;
	json_t *doc;
	char msg[400];

	if (!is_json_type(rq->content_type)) {
		client_error(rs, rq, 415,
			     "Expecting text/json or application/json body");
		return NULL;
	}
	doc = json_loadb(rq->body.buf, rq->body.len, JSON_DECODE_ANY, &jerr);
	if (!doc) {
		snprintf(msg, sizeof(msg), "Invalid Json: %s", jerr.text);
		client_error(rs, rq, 400, msg);
	}
	return doc;
}

/* The `embed` values as bits; -1 after answering 400 for an unknown one. */
static int embeds(const struct roger_local_req *rq, struct roger_local_resp *rs)
{
	static const char *const names[] = { "activeRuns", "schedules",
					     "history", "historySummary" };
	size_t i;
	json_t *pair;
	int bits = 0;

	json_array_foreach(rq->query, i, pair) {
		char buf[256], *save = NULL, *tok;

		if (strcmp(json_string_value(json_array_get(pair, 0)), "embed"))
			continue;
		snprintf(buf, sizeof(buf), "%s",
			 json_string_value(json_array_get(pair, 1)));
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			size_t k;

			for (k = 0; k < 4 && strcmp(tok, names[k]); k++)
				;
			if (k == 4) {
				client_error(
					rs, rq, 400,
					"Unknown embed options. Valid options are: activeRuns, schedules, history, historySummary");
				return -1;
			}
			bits |= 1 << k;
		}
	}
	return bits;
}

/* JobInfo: the spec and what was embedded (lock held). */
static json_t *job_info(struct roger_local_metronome *M,
			const struct roger_local_job *j, int embed, bool list)
{
	json_t *o = json_deep_copy(j->spec), *runs, *h;

	if (!o)
		return NULL;
	if (embed & ROGER_METRONOME_EMBED_SCHEDULES)
		json_object_set_new(
			o, "schedules",
			j->schedule
				? json_pack("[o]",
					    roger_local_mschedule_json(M, j))
				: json_array());
	if ((embed & ROGER_METRONOME_EMBED_ACTIVE_RUNS) && (!list || j->runs)) {
		runs = json_array();
		for (const struct roger_local_run *r = j->runs; r; r = r->next)
			json_array_append_new(runs,
					      roger_local_mrun_json(j, r));
		json_object_set_new(o, "activeRuns", runs);
	}
	if (embed & ROGER_METRONOME_EMBED_HISTORY)
		json_object_set(o, "history", j->history);
	if (embed & ROGER_METRONOME_EMBED_HISTORY_SUMMARY) {
		h = json_pack("{s:O,s:O,s:O,s:O}", "successCount",
			      json_object_get(j->history, "successCount"),
			      "failureCount",
			      json_object_get(j->history, "failureCount"),
			      "lastSuccessAt",
			      json_object_get(j->history, "lastSuccessAt"),
			      "lastFailureAt",
			      json_object_get(j->history, "lastFailureAt"));
		json_object_set_new(o, "historySummary", h);
	}
	return o;
}

/* Save, or undo with `undo` and answer 500.  Returns whether it saved. */
static bool saved(struct roger_local_metronome *M,
		  const struct roger_local_req *rq, struct roger_local_resp *rs)
{
	if (roger_local_metronome_save(M) == 0)
		return true;
	server_error(rs, rq);
	return false;
}

static void list_jobs(struct roger_local_metronome *M,
		      const struct roger_local_req *rq,
		      struct roger_local_resp *rs)
{
	int embed = embeds(rq, rs);
	json_t *list;

	if (embed < 0)
		return;
	list = json_array();
	pthread_mutex_lock(&M->lock);
	for (struct roger_local_job *j = M->jobs; j; j = j->next)
		json_array_append_new(list, job_info(M, j, embed, true));
	pthread_mutex_unlock(&M->lock);
	roger_local_resp_json(rs, 200, list);
}

static void create_job(struct roger_local_metronome *M,
		       const struct roger_local_req *rq,
		       struct roger_local_resp *rs)
{
	json_t *body = body_of(rq, rs), *spec, *error = NULL;
	struct roger_local_job *j;
	int status = 0;

	if (!body)
		return;
	spec = roger_local_mjob_normalize(body, NULL, &status, &error);
	json_decref(body);
	if (!spec) {
		roger_local_resp_json(rs, status, error);
		return;
	}
	pthread_mutex_lock(&M->lock);
	if (roger_local_mjob_find(
		    M, json_string_value(json_object_get(spec, "id")))) {
		json_decref(spec);
		roger_local_resp_message(rs, 409,
					 "Job with this id already exists");
	} else if (!(j = roger_local_mjob_add(M, spec))) {
		server_error(rs, rq);
	} else if (saved(M, rq, rs)) {
		roger_local_resp_json(rs, 201, json_deep_copy(j->spec));
	} else {
		roger_local_mjob_remove(M, j);
	}
	pthread_mutex_unlock(&M->lock);
}

static void put_job(struct roger_local_metronome *M, const char *id,
		    const struct roger_local_req *rq,
		    struct roger_local_resp *rs)
{
	json_t *body = body_of(rq, rs), *spec, *error = NULL, *old;
	struct roger_local_job *j;
	int status = 0;

	if (!body)
		return;
	spec = roger_local_mjob_normalize(body, id, &status, &error);
	json_decref(body);
	if (!spec) {
		roger_local_resp_json(rs, status, error);
		return;
	}
	pthread_mutex_lock(&M->lock);
	j = roger_local_mjob_find(M, id);
	if (!j) {
		unknown_job(rs, id);
		json_decref(spec);
	} else {
		old = j->spec;
		j->spec = spec;
		if (saved(M, rq, rs)) {
			roger_local_resp_json(rs, 200, json_deep_copy(spec));
			json_decref(old);
		} else {
			j->spec = old;
			json_decref(spec);
		}
	}
	pthread_mutex_unlock(&M->lock);
}

static void delete_job(struct roger_local_metronome *M,
		       struct roger_local_job *j,
		       const struct roger_local_req *rq,
		       struct roger_local_resp *rs)
{
	json_t *spec;

	if (j->runs &&
	    !roger_local_query_bool(rq, "stopCurrentJobRuns", false)) {
		roger_local_resp_message(
			rs, 409,
			"There are active job runs. Override with stopCurrentJobRuns=true");
		return;
	}
	while (j->runs)
		json_decref(roger_local_mrun_stop(M, j, j->runs));
	spec = json_incref(j->spec);
	roger_local_mjob_remove(M, j);
	/* the stopped runs' kills are queued; losing the job is the change */
	if (roger_local_metronome_save(M) == 0)
		roger_local_resp_json(rs, 200, spec);
	else {
		json_decref(spec);
		server_error(rs, rq);
	}
}

/* /v1/jobs/{id}/schedules[/{sid}] */
static void schedules(struct roger_local_metronome *M,
		      struct roger_local_job *j, const char *sid,
		      const struct roger_local_req *rq,
		      struct roger_local_resp *rs)
{
	const char *m = rq->method;
	bool create = !sid && !strcmp(m, "POST");
	json_t *body, *s, *error = NULL, *old;
	int status = 0;

	if (!sid && !strcmp(m, "GET")) {
		roger_local_resp_json(
			rs, 200,
			j->schedule
				? json_pack("[o]",
					    roger_local_mschedule_json(M, j))
				: json_array());
		return;
	}
	if (sid &&
	    (!j->schedule ||
	     strcmp(json_string_value(json_object_get(j->schedule, "id")),
		    sid))) {
		if (!strcmp(m, "GET") || !strcmp(m, "PUT") ||
		    !strcmp(m, "DELETE"))
			roger_local_resp_json(rs, 404,
					      json_pack("{s:s,s:s}", "id", sid,
							"message",
							"Schedule not found"));
		else
			client_error(rs, rq, 404, "Unknown route.");
		return;
	}
	if (sid && !strcmp(m, "GET")) {
		roger_local_resp_json(rs, 200,
				      roger_local_mschedule_json(M, j));
		return;
	}
	if (sid && !strcmp(m, "DELETE")) {
		old = j->schedule;
		j->schedule = NULL;
		if (saved(M, rq, rs)) {
			json_decref(old);
			roger_local_mjob_reschedule(M, j);
			rs->status = 200;
			rs->content_type = "application/json";
		} else {
			j->schedule = old;
		}
		return;
	}
	if (!create && !(sid && !strcmp(m, "PUT"))) {
		client_error(rs, rq, 404, "Unknown route.");
		return;
	}
	/* the body is read under the lock: small, and already in memory */
	if (!(body = body_of(rq, rs)))
		return;
	s = roger_local_mschedule_normalize(
		body, sid, roger_ctx_getenv(M->L->ctx, "TZDIR"), &status,
		&error);
	json_decref(body);
	if (!s) {
		roger_local_resp_json(rs, status, error);
		return;
	}
	if (create && j->schedule) {
		const char *new_id =
			json_string_value(json_object_get(s, "id"));
		bool same = !strcmp(new_id, json_string_value(json_object_get(
						    j->schedule, "id")));
		char msg[400];

		snprintf(
			msg, sizeof(msg),
			same ? "requirement failed: A schedule with id %s already exists"
			     : "requirement failed: Only one schedule supported at the moment%s",
			same ? new_id : "");
		roger_local_resp_message(rs, 409, "%s", msg);
		json_decref(s);
		return;
	}
	old = j->schedule;
	j->schedule = s;
	if (!saved(M, rq, rs)) {
		j->schedule = old;
		json_decref(s);
		return;
	}
	json_decref(old);
	roger_local_mjob_reschedule(M, j);
	roger_local_metronome_kick(M);
	roger_local_resp_json(rs, create ? 201 : 200,
			      roger_local_mschedule_json(M, j));
}

/* /v1/jobs/{id}/runs[/{rid}[/actions/stop]] */
static void runs(struct roger_local_metronome *M, struct roger_local_job *j,
		 const char *rest, const struct roger_local_req *rq,
		 struct roger_local_resp *rs)
{
	const char *m = rq->method;
	struct roger_local_run *r;
	char rid[64];
	size_t n;

	if (!*rest && !strcmp(m, "GET")) {
		json_t *list = json_array();

		for (r = j->runs; r; r = r->next)
			json_array_append_new(list,
					      roger_local_mrun_json(j, r));
		roger_local_resp_json(rs, 200, list);
		return;
	}
	if (!*rest && !strcmp(m, "POST")) {
		r = roger_local_mrun_new(M, j, false);
		if (!r) {
			server_error(rs, rq);
			return;
		}
		if (!saved(M, rq, rs)) {
			for (struct roger_local_run **pp = &j->runs; *pp;
			     pp = &(*pp)->next)
				if (*pp == r) {
					*pp = r->next;
					json_decref(r->spec);
					free(r);
					break;
				}
			return;
		}
		roger_local_resp_json(rs, 201, roger_local_mrun_json(j, r));
		roger_local_metronome_kick(M);
		return;
	}
	if (*rest != '/') {
		client_error(rs, rq, 404, "Unknown route.");
		return;
	}
	rest++;
	n = strcspn(rest, "/");
	snprintf(rid, sizeof(rid), "%.*s", (int)(n < 63 ? n : 63), rest);
	rest += n;
	if ((!*rest && strcmp(m, "GET")) ||
	    (*rest && (strcmp(rest, "/actions/stop") || strcmp(m, "POST")))) {
		client_error(rs, rq, 404, "Unknown route.");
		return;
	}
	r = roger_local_mrun_find(j, rid);
	if (!r) {
		roger_local_resp_json(rs, 404,
				      json_pack("{s:s,s:s,s:s}", "jobSpec",
						j->id, "id", rid, "message",
						"Job Run not found"));
		return;
	}
	if (!*rest) {
		roger_local_resp_json(rs, 200, roger_local_mrun_json(j, r));
		return;
	}
	{
		json_t *doc = roger_local_mrun_stop(M, j, r);

		if (saved(M, rq, rs))
			roger_local_resp_json(rs, 200, doc);
		else
			json_decref(doc);
	}
}

/* /v1/jobs/{id}[/...] */
static void one_job(struct roger_local_metronome *M, const char *tail,
		    const struct roger_local_req *rq,
		    struct roger_local_resp *rs)
{
	size_t n = strcspn(tail, "/");
	const char *rest = tail + n;
	struct roger_local_job *j;
	char id[300], msg[400];
	int embed;

	if (n == 0 || n >= sizeof(id)) {
		client_error(rs, rq, 404, "Unknown route.");
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)n, tail);
	if (!job_id_ok(id)) {
		snprintf(msg, sizeof(msg), "Not a valid id: %s", id);
		client_error(rs, rq, 400, msg);
		return;
	}
	if (!*rest && !strcmp(rq->method, "PUT")) {
		put_job(M, id, rq, rs);
		return;
	}
	if (!*rest && strcmp(rq->method, "GET") &&
	    strcmp(rq->method, "DELETE")) {
		client_error(rs, rq, 404, "Unknown route.");
		return;
	}
	embed = !*rest && !strcmp(rq->method, "GET") ? embeds(rq, rs) : 0;
	if (embed < 0)
		return;
	pthread_mutex_lock(&M->lock);
	j = roger_local_mjob_find(M, id);
	if (!j)
		unknown_job(rs, id);
	else if (!*rest && !strcmp(rq->method, "GET"))
		roger_local_resp_json(rs, 200, job_info(M, j, embed, false));
	else if (!*rest)
		delete_job(M, j, rq, rs);
	else if (!strcmp(rest, "/schedules"))
		schedules(M, j, NULL, rq, rs);
	else if (!strncmp(rest, "/schedules/", 11) && rest[11] &&
		 !strchr(rest + 11, '/'))
		schedules(M, j, rest + 11, rq, rs);
	else if (!strncmp(rest, "/runs", 5))
		runs(M, j, rest + 5, rq, rs);
	else
		client_error(rs, rq, 404, "Unknown route.");
	pthread_mutex_unlock(&M->lock);
}

bool roger_local_metronome_api(struct roger_local_metronome *M,
			       const struct roger_local_req *rq,
			       struct roger_local_resp *rs)
{
	const char *p = rq->path;

	if (!M || strncmp(p, "/v1/", 4))
		return false;
	if (!strcmp(p, "/v1/jobs")) {
		if (!strcmp(rq->method, "GET"))
			list_jobs(M, rq, rs);
		else if (!strcmp(rq->method, "POST"))
			create_job(M, rq, rs);
		else
			client_error(rs, rq, 404, "Unknown route.");
		return true;
	}
	if (!strncmp(p, "/v1/jobs/", 9)) {
		one_job(M, p + 9, rq, rs);
		return true;
	}
	client_error(rs, rq, 404, "Unknown route.");
	return true;
}
