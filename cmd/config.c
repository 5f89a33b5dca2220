/*
 * config.c - `roger config`: what roger would use here, resolved: the
 * project and its app id, the environment's app fragment (environment
 * merged, variables not yet expanded), the target with its origin, and the
 * user config file.  For people (and scripts, with -o json) debugging their
 * configuration.  Secrets are masked: only their presence shows.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define MASK "********"

/* `s` as a JSON string, with bytes that are not UTF-8 replaced by U+FFFD. */
static json_t *lossy_string(const char *s)
{
	struct roger_buf b = ROGER_BUF_INIT;
	json_t *j;
	size_t len;

	if (!s)
		return json_null();
	len = strlen(s);
	if (roger_utf8_valid(s, len))
		return json_string(s);
	for (size_t i = 0; i < len;) {
		size_t k = 1;

		while (k <= 4 && i + k <= len && !roger_utf8_valid(s + i, k))
			k++;
		if (k <= 4 && i + k <= len) {
			roger_buf_add(&b, s + i, k);
			i += k;
		} else {
			roger_buf_adds(&b, "\xef\xbf\xbd");
			i++;
		}
	}
	j = json_string(b.buf);
	roger_buf_release(&b);
	return j;
}

static const char *auth_kind(enum roger_auth_kind kind)
{
	switch (kind) {
	case ROGER_AUTH_NONE:
		return "none";
	case ROGER_AUTH_BASIC:
		return "basic";
	case ROGER_AUTH_TOKEN:
		return "token";
	case ROGER_AUTH_NETRC:
		return "netrc";
	}
	return "none";
}

static json_t *target_json(const struct roger_target *t)
{
	json_t *urls = json_array(), *auth;

	for (size_t i = 0; i < t->n_marathon; i++)
		json_array_append_new(urls, json_string(t->marathon[i]));
	auth = json_pack("{s:s}", "kind", auth_kind(t->auth.kind));
	if (t->auth.user)
		json_object_set_new(auth, "user", lossy_string(t->auth.user));
	if (t->auth.password)
		json_object_set_new(auth, "password", json_string(MASK));
	if (t->auth.token)
		json_object_set_new(auth, "token", json_string(MASK));
	if (t->auth.kind == ROGER_AUTH_NETRC)
		json_object_set_new(auth, "netrc_file",
				    t->auth.netrc_file
					    ? lossy_string(t->auth.netrc_file)
					    : json_string("~/.netrc"));
	return json_pack(
		"{s:o, s:s, s:o, s:o?, s:o?, s:o, s:o?, s:b, s:b}", "name",
		lossy_string(t->name), "origin", t->origin, "marathon", urls,
		"mesos", t->mesos ? json_string(t->mesos) : NULL, "artifacts",
		t->artifacts ? json_string(t->artifacts) : NULL, "auth", auth,
		"ca_file", t->ca_file ? lossy_string(t->ca_file) : NULL,
		"protected", t->is_protected, "local", t->is_local);
}

static json_t *project_json(const struct roger_project *p)
{
	json_t *envs = json_array(), *exclude = json_array();
	const char *key;
	json_t *v;

	json_object_foreach(p->environments, key, v)
		json_array_append_new(envs, json_string(key));
	for (size_t i = 0; p->build_exclude[i]; i++)
		json_array_append_new(exclude,
				      json_string(p->build_exclude[i]));
	return json_pack("{s:o, s:o, s:o, s:s, s:o, s:{s:s?, s:o, s:i}}",
			 "file", lossy_string(p->path), "workdir",
			 lossy_string(p->workdir), "subdir",
			 lossy_string(p->subdir), "id", p->id, "environments",
			 envs, "build", "command", p->build_command, "exclude",
			 exclude, "timeout", p->build_timeout);
}

static void print_kv(struct cli *cli, const char *key, const char *value)
{
	char label[32];

	snprintf(label, sizeof(label), "%s:", key);
	printf("%-14s%s%s%s\n", label, cli_color(cli, "bold"),
	       value ? value : "(none)", cli_color(cli, "reset"));
}

/* Print a JSON string member `key` of `obj` as a line (nothing if absent). */
static void print_member(struct cli *cli, const char *label, json_t *obj,
			 const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		print_kv(cli, label, json_string_value(v));
	else if (json_is_boolean(v))
		print_kv(cli, label, json_is_true(v) ? "yes" : "no");
}

static void print_text(struct cli *cli, json_t *doc)
{
	json_t *project = json_object_get(doc, "project");
	json_t *target = json_object_get(doc, "target");
	json_t *auth = json_object_get(target, "auth");
	json_t *v;
	struct roger_buf b = ROGER_BUF_INIT;
	size_t i;
	char *app;

	print_member(cli, "project", project, "file");
	print_member(cli, "app id", project, "id");
	print_kv(cli, "environment",
		 json_string_value(json_object_get(doc, "environment")));
	json_array_foreach(json_object_get(project, "environments"), i, v)
		roger_buf_addf(&b, "%s%s", i ? ", " : "", json_string_value(v));
	print_kv(cli, "environments", b.len ? b.buf : NULL);
	roger_buf_reset(&b);
	print_member(cli, "build", json_object_get(project, "build"),
		     "command");
	roger_buf_addf(&b, "%s (%s)",
		       json_string_value(json_object_get(target, "name")),
		       json_string_value(json_object_get(target, "origin")));
	print_kv(cli, "target", b.buf);
	roger_buf_reset(&b);
	json_array_foreach(json_object_get(target, "marathon"), i, v)
		roger_buf_addf(&b, "%s%s", i ? ", " : "", json_string_value(v));
	print_kv(cli, "marathon", b.buf);
	print_member(cli, "mesos", target, "mesos");
	print_member(cli, "artifacts", target, "artifacts");
	roger_buf_reset(&b);
	roger_buf_adds(&b, json_string_value(json_object_get(auth, "kind")));
	if ((v = json_object_get(auth, "user")))
		roger_buf_addf(&b, ", user %s", json_string_value(v));
	if (json_object_get(auth, "password") || json_object_get(auth, "token"))
		roger_buf_addf(&b, ", secret %s", MASK);
	if ((v = json_object_get(auth, "netrc_file")))
		roger_buf_addf(&b, ", %s", json_string_value(v));
	print_kv(cli, "auth", b.buf);
	print_member(cli, "ca file", target, "ca_file");
	print_member(cli, "protected", target, "protected");
	roger_buf_release(&b);
	print_member(cli, "user config", json_object_get(doc, "user_config"),
		     "file");
	app = json_dumps(json_object_get(doc, "marathon"),
			 JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	if (app)
		printf("app definition (before {{ }} variables and roger's additions):\n%s\n",
		       app);
	free(app);
}

static int config_run(struct cli *cli, int argc, char **argv)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *marathon = NULL, *doc;
	int status;

	cli_parse_options(cli, argc, argv);
	/* Loaded here rather than through the command's flags, so -h works
	 * anywhere. */
	if ((status = cli_load_project(cli)) != 0 ||
	    (status = cli_load_target(cli)) != 0)
		return status;
	if (roger_project_environment(cli->project, cli->env, &marathon, NULL,
				      &err) < 0)
		return cli_fail(&err);
	doc = json_pack("{s:o, s:s?, s:o, s:o, s:{s:o, s:b}}", "project",
			project_json(cli->project), "environment", cli->env,
			"marathon", marathon, "target",
			target_json(cli->resolved_target), "user_config",
			"file", lossy_string(cli->user_config->path), "exists",
			cli->user_config->root != NULL);
	if (!doc) {
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	if (cli->output == OUTPUT_JSON)
		status = cli_print_json(cli, doc);
	else {
		print_text(cli, doc);
		status = ROGER_EXIT_OK;
	}
	json_decref(doc);
	return status;
}

const struct roger_cmd cmd_config = {
	.name = "config",
	.summary = "show the project, environment and target roger would use",
	.run = config_run,
};
