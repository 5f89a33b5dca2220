/*
 * jobs.c - job specs derived from the app, the wrapper that keeps the
 * exit status, and the comparable form of a job for diffs (jobs.h).
 *
 * Everything here is pure: JSON and strings in, JSON and strings out.
 * The spec takes from the app exactly what makes its tasks what they are
 * (artifact, image, environment, user, the release labels) and nothing
 * about serving (ports, health checks, instances), which a job has not.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "jobs.h"
#include "metronome.h"
#include "project.h"

#define WRAP_HEAD "/bin/sh -c "
#define WRAP_TAIL                                                            \
	"; s=$?; echo \"$s\" >\"${MESOS_SANDBOX:-.}/" ROGER_JOBS_STATUS_FILE \
	"\"; exit \"$s\""

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

bool roger_jobs_name_valid(const char *name)
{
	if (!name || !strcmp(name, ROGER_JOBS_RELEASE) ||
	    !strcmp(name, ROGER_JOBS_RUN) || strchr(name, '.') ||
	    strlen(name) > 63)
		return false;
	return roger_metronome_id_check(name, NULL) == 0;
}

int roger_jobs_id(char **out, const char *app_id, const char *name,
		  struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_err why = ROGER_ERR_INIT;
	int rc = 0;

	for (const char *p = app_id; rc == 0 && *p; p++)
		if (*p != '/' || (b.len && p[1]))
			rc = roger_buf_addch(&b, *p == '/' ? '.' : *p);
	if (rc == 0)
		rc = roger_buf_addf(&b, "%s%s", b.len ? "." : "", name);
	if (rc < 0) {
		roger_buf_release(&b);
		return nomem(err);
	}
	if (roger_metronome_id_check(b.buf, &why) < 0) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"the job '%s' of app '%s' would have the Metronome id '%s', which Metronome refuses: use only lower-case letters, digits and single '-' in the app's group and name",
			name, app_id, b.buf);
		roger_buf_release(&b);
		return rc;
	}
	*out = roger_buf_detach(&b, NULL);
	return 0;
}

/* `s` single-quoted for /bin/sh. */
static int shell_quote(struct roger_buf *b, const char *s)
{
	int rc = roger_buf_addch(b, '\'');

	for (; rc == 0 && *s; s++)
		rc = *s == '\'' ? roger_buf_adds(b, "'\\''")
				: roger_buf_addch(b, *s);
	return rc == 0 ? roger_buf_addch(b, '\'') : rc;
}

char *roger_jobs_wrap_cmd(const char *cmd)
{
	struct roger_buf b = ROGER_BUF_INIT;

	if (roger_buf_adds(&b, WRAP_HEAD) < 0 || shell_quote(&b, cmd) < 0 ||
	    roger_buf_adds(&b, WRAP_TAIL) < 0) {
		roger_buf_release(&b);
		return NULL;
	}
	return roger_buf_detach(&b, NULL);
}

char *roger_jobs_unwrap_cmd(const char *wrapped)
{
	size_t hl = strlen(WRAP_HEAD), tl = strlen(WRAP_TAIL), n;
	struct roger_buf b = ROGER_BUF_INIT;
	const char *p, *end;

	if (!wrapped)
		return NULL;
	n = strlen(wrapped);
	if (n < hl + tl + 2 || strncmp(wrapped, WRAP_HEAD, hl) ||
	    strcmp(wrapped + n - tl, WRAP_TAIL) || wrapped[hl] != '\'' ||
	    wrapped[n - tl - 1] != '\'')
		return NULL;
	end = wrapped + n - tl - 1;
	for (p = wrapped + hl + 1; p < end; p++) {
		if (*p == '\'' && !strncmp(p, "'\\''", 4) && p + 4 <= end) {
			p += 3;
			if (roger_buf_addch(&b, '\'') < 0)
				goto fail;
		} else if (*p == '\'' || roger_buf_addch(&b, *p) < 0) {
			goto fail;
		}
	}
	return roger_buf_detach(&b, NULL);
fail:
	roger_buf_release(&b);
	return NULL;
}

/* Whether a word needs quoting to reach the command as it is. */
static bool plain_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-./=:,+@%",
			    *s))
			return false;
	return true;
}

char *roger_jobs_join_argv(int argc, char *const *argv)
{
	struct roger_buf b = ROGER_BUF_INIT;
	int rc = 0;

	if (argc == 1)
		return strdup(argv[0]);
	for (int i = 0; rc == 0 && i < argc; i++) {
		if (i)
			rc = roger_buf_addch(&b, ' ');
		if (rc == 0)
			rc = plain_word(argv[i]) ? roger_buf_adds(&b, argv[i])
						 : shell_quote(&b, argv[i]);
	}
	if (rc < 0) {
		roger_buf_release(&b);
		return NULL;
	}
	return roger_buf_detach(&b, NULL);
}

/* ---- the spec ------------------------------------------------------------- */

static const json_t *unwrap_app(const json_t *v)
{
	const json_t *inner = json_object_get(v, "app");

	return json_is_object(inner) ? inner : v;
}

static double number_or(const json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

/* Marathon fetch entries as Metronome artifacts (no destPath there). */
static json_t *artifacts_of(const json_t *app)
{
	json_t *out = json_array(), *e;
	size_t i;

	if (!out)
		return NULL;
	json_array_foreach(json_object_get(app, "fetch"), i, e) {
		json_t *a;

		if (!json_is_string(json_object_get(e, "uri")) ||
		    json_object_get(e, "destPath"))
			continue;
		a = json_pack("{s:O,s:b,s:b,s:b}", "uri",
			      json_object_get(e, "uri"), "extract",
			      !json_is_false(json_object_get(e, "extract")),
			      "executable",
			      json_is_true(json_object_get(e, "executable")),
			      "cache",
			      json_is_true(json_object_get(e, "cache")));
		if (!a || json_array_append_new(out, a) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* The app's container as Metronome's docker or ucr member. */
static int container_of(json_t *run, const json_t *app)
{
	const json_t *c = json_object_get(app, "container");
	const json_t *docker = json_object_get(c, "docker");
	const char *type = json_string_value(json_object_get(c, "type"));
	const char *image = json_string_value(json_object_get(docker, "image"));
	bool force = json_is_true(json_object_get(docker, "forcePullImage"));

	if (!image)
		return 0;
	if (type && !strcmp(type, "MESOS"))
		return json_object_set_new(
			run, "ucr",
			json_pack("{s:{s:s,s:s,s:b}}", "image", "id", image,
				  "kind", "docker", "forcePull", force));
	return json_object_set_new(run, "docker",
				   json_pack("{s:s,s:b}", "image", image,
					     "forcePullImage", force));
}

/* The app's env (strings and secret references) with the job's over it. */
static json_t *env_of(const json_t *app, const json_t *extra)
{
	json_t *env = json_object(), *v;
	const char *key;

	if (!env)
		return NULL;
	json_object_foreach((json_t *)json_object_get(app, "env"), key, v)
		if ((json_is_string(v) || json_is_object(v)) &&
		    json_object_set(env, key, v) < 0)
			goto fail;
	json_object_foreach((json_t *)extra, key, v)
		if (json_is_string(v) && json_object_set(env, key, v) < 0)
			goto fail;
	return env;
fail:
	json_decref(env);
	return NULL;
}

static json_t *labels_of(const json_t *app, const char *app_id,
			 const char *name)
{
	json_t *labels = json_object(), *v;
	const char *key;

	if (!labels)
		return NULL;
	json_object_foreach((json_t *)json_object_get(app, "labels"), key, v)
		if (!strncmp(key, "ROGER_", 6) && json_is_string(v) &&
		    json_object_set(labels, key, v) < 0)
			goto fail;
	if (json_object_set_new(labels, "ROGER_APP", json_string(app_id)) < 0 ||
	    json_object_set_new(labels, "ROGER_JOB", json_string(name)) < 0)
		goto fail;
	return labels;
fail:
	json_decref(labels);
	return NULL;
}

int roger_jobs_spec(json_t **out, const json_t *app_in,
		    const struct roger_jobs_job *job, struct roger_err *err)
{
	const json_t *app = unwrap_app(app_in);
	const char *app_id = json_string_value(json_object_get(app, "id"));
	json_t *spec = NULL, *run = NULL, *v;
	char *id = NULL, *cmd = NULL;
	double mem;
	int rc;

	if (!app_id)
		return roger_err_set(
			err, ROGER_EINVALID,
			"the app has no id to derive the job '%s' from",
			job->name);
	if ((rc = roger_jobs_id(&id, app_id, job->name, err)) < 0)
		return rc;
	cmd = roger_jobs_wrap_cmd(job->cmd ? job->cmd : "");
	mem = job->mem > 0 ? job->mem : number_or(app, "mem", 128);
	run = json_pack("{s:s,s:f,s:f,s:f,s:o*,s:o*,s:{s:s},s:i}", "cmd",
			cmd ? cmd : "", "cpus",
			job->cpus > 0 ? job->cpus : number_or(app, "cpus", 1),
			"mem", mem < 32 ? 32 : mem, "disk",
			job->disk > 0 ? job->disk : number_or(app, "disk", 0),
			"env", env_of(app, job->env), "artifacts",
			artifacts_of(app), "restart", "policy", "NEVER",
			"maxLaunchDelay", 3600);
	if (!cmd || !run)
		goto nomem;
	if ((v = json_object_get(app, "user")) && json_is_string(v) &&
	    json_object_set(run, "user", v) < 0)
		goto nomem;
	if ((v = json_object_get(app, "secrets")) && json_object_size(v) &&
	    json_object_set(run, "secrets", v) < 0)
		goto nomem;
	if (container_of(run, app) < 0)
		goto nomem;
	spec = json_pack("{s:s,s:o*,s:O}", "id", id, "labels",
			 labels_of(app, app_id, job->name), "run", run);
	if (!spec || !json_object_get(spec, "labels"))
		goto nomem;
	if (job->description &&
	    json_object_set_new(spec, "description",
				json_string(job->description)) < 0)
		goto nomem;
	*out = spec;
	spec = NULL;
	rc = 0;
	goto out;
nomem:
	rc = nomem(err);
out:
	json_decref(spec);
	json_decref(run);
	free(cmd);
	free(id);
	return rc;
}

json_t *roger_jobs_schedule(const struct roger_jobs_job *job)
{
	json_t *s;

	if (!job->cron)
		return NULL;
	s = json_pack(
		"{s:s,s:s,s:s,s:s,s:b}", "id", ROGER_JOBS_SCHEDULE_ID, "cron",
		job->cron, "timezone", job->timezone ? job->timezone : "UTC",
		"concurrencyPolicy",
		job->concurrency_policy ? job->concurrency_policy : "ALLOW",
		"enabled", job->enabled);
	if (s && job->starting_deadline_seconds > 0 &&
	    json_object_set_new(s, "startingDeadlineSeconds",
				json_integer(job->starting_deadline_seconds)) <
		    0) {
		json_decref(s);
		return NULL;
	}
	return s;
}

int roger_jobs_of_project(struct roger_jobs_job **out, size_t *n,
			  const char **release, const struct roger_project *p,
			  struct roger_err *err)
{
	json_t *jobs = json_object_get(p->root, "jobs"), *def;
	struct roger_jobs_job *v;
	const char *name;
	size_t i = 0;

	if (release)
		*release =
			json_string_value(json_object_get(p->root, "release"));
	v = calloc(json_object_size(jobs) + 1, sizeof(*v));
	if (!v)
		return nomem(err);
	json_object_foreach(jobs, name, def) {
		struct roger_jobs_job *j = &v[i++];
		json_t *e = json_object_get(def, "enabled");

		j->name = name;
		j->cmd = json_string_value(json_object_get(def, "cmd"));
		j->cpus = number_or(def, "cpus", 0);
		j->mem = number_or(def, "mem", 0);
		j->disk = number_or(def, "disk", 0);
		j->env = json_object_get(def, "env");
		j->description =
			json_string_value(json_object_get(def, "description"));
		j->cron = json_string_value(json_object_get(def, "schedule"));
		j->timezone =
			json_string_value(json_object_get(def, "timezone"));
		j->concurrency_policy = json_string_value(
			json_object_get(def, "concurrencyPolicy"));
		j->enabled = !json_is_false(e);
		j->starting_deadline_seconds = (int)json_integer_value(
			json_object_get(def, "startingDeadlineSeconds"));
	}
	*out = v;
	*n = i;
	return 0;
}

/* ---- comparing ------------------------------------------------------------- */

static int copy_member(json_t *dst, const json_t *src, const char *key,
		       json_t *dflt)
{
	json_t *v = json_object_get(src, key);

	if (!v || json_is_null(v)) {
		if (!dflt)
			return 0;
		return json_object_set_new(dst, key, dflt);
	}
	json_decref(dflt);
	return json_object_set(dst, key, v);
}

static json_t *comparable_artifacts(const json_t *list)
{
	json_t *out = json_array(), *e;
	size_t i;

	json_array_foreach(list, i, e) {
		json_t *a = json_pack(
			"{s:O*,s:b,s:b,s:b}", "uri", json_object_get(e, "uri"),
			"extract",
			!json_is_false(json_object_get(e, "extract")),
			"executable",
			json_is_true(json_object_get(e, "executable")), "cache",
			json_is_true(json_object_get(e, "cache")));

		if (!a || json_array_append_new(out, a) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

json_t *roger_jobs_comparable(const json_t *spec, const json_t *schedule)
{
	const json_t *run = json_object_get(spec, "run");
	json_t *out = json_object(), *r = json_object(), *s = NULL;
	int rc = 0;

	if (!out || !r)
		goto fail;
	rc |= copy_member(out, spec, "id", NULL);
	rc |= copy_member(out, spec, "description", NULL);
	rc |= copy_member(out, spec, "labels", json_object());
	rc |= copy_member(r, run, "cmd", NULL);
	rc |= copy_member(r, run, "cpus", json_real(1));
	rc |= copy_member(r, run, "mem", json_real(128));
	rc |= copy_member(r, run, "disk", json_real(0));
	rc |= copy_member(r, run, "env", json_object());
	rc |= copy_member(r, run, "user", NULL);
	rc |= copy_member(r, run, "docker", NULL);
	rc |= copy_member(r, run, "ucr", NULL);
	rc |= json_object_set_new(
		r, "artifacts",
		comparable_artifacts(json_object_get(run, "artifacts")));
	rc |= json_object_set_new(out, "run", r);
	r = NULL;
	if (schedule) {
		s = json_object();
		if (!s)
			goto fail;
		rc |= copy_member(s, schedule, "cron", NULL);
		rc |= copy_member(s, schedule, "timezone", json_string("UTC"));
		rc |= copy_member(s, schedule, "concurrencyPolicy",
				  json_string("ALLOW"));
		rc |= copy_member(s, schedule, "enabled", json_true());
		rc |= copy_member(s, schedule, "startingDeadlineSeconds",
				  json_integer(900));
		rc |= json_object_set_new(out, "schedule", s);
	}
	if (rc == 0)
		return out;
fail:
	json_decref(r);
	json_decref(out);
	return NULL;
}

int roger_jobs_user_path(void *data, struct roger_buf *out, const char *path)
{
	static const struct {
		const char *metronome, *ours;
	} map[] = {
		{ "/run/cmd", "cmd" },
		{ "/run/cpus", "cpus" },
		{ "/run/mem", "mem" },
		{ "/run/disk", "disk" },
		{ "/description", "description" },
		{ "/cron", "schedule" },
		{ "/timezone", "timezone" },
		{ "/concurrencyPolicy", "concurrencyPolicy" },
		{ "/enabled", "enabled" },
		{ "/startingDeadlineSeconds", "startingDeadlineSeconds" },
	};
	static const struct {
		const char *prefix, *ours;
	} app[] = {
		{ "/run/env", "marathon.env" },
		{ "/run/secrets", "marathon.secrets" },
		{ "/run/docker", "marathon.container" },
		{ "/run/ucr", "marathon.container" },
		{ "/run/user", "marathon.user" },
		{ "/run/artifacts", "marathon.fetch" },
	};
	const char *source = data ? data : "jobs";
	bool is_release = !strcmp(source, ROGER_JOBS_RELEASE);

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(path, map[i].metronome))
			return is_release ? roger_buf_adds(out, source)
					  : roger_buf_addf(out, "%s.%s", source,
							   map[i].ours);
	for (size_t i = 0; i < sizeof(app) / sizeof(app[0]); i++) {
		size_t n = strlen(app[i].prefix);

		if (!strncmp(path, app[i].prefix, n) &&
		    (path[n] == '\0' || path[n] == '/'))
			return roger_buf_addf(out, "%s (as %s of the job)",
					      app[i].ours, path);
	}
	return roger_buf_addf(out, "%s (Metronome's %s)", source, path);
}
