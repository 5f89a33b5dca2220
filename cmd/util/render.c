/*
 * render.c - the app definition a command would deploy: roger.json's
 * environment rendered for a built artifact (lib/render), with the
 * artifact's URL in the target's store, the user's {{ }} variables (--var,
 * ROGER_VAR_*, roger.json's vars) and who deploys.  `roger diff` compares
 * it with the live app; deploy PUTs it.
 *
 * The URL is computed from the digest alone (lib/store is content
 * addressed), so nothing needs to be pushed to know it.
 */
#include <config.h>

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"

void cli_deployed_by(struct cli *cli, char *out, size_t size)
{
	const char *user = roger_ctx_getenv(cli->ctx, "USER");
	struct passwd *pw;
	char host[256];

	if (!user || !*user)
		user = roger_ctx_getenv(cli->ctx, "LOGNAME");
	if (!user || !*user) {
		pw = getpwuid(getuid());
		user = pw && pw->pw_name ? pw->pw_name : "unknown";
	}
	if (gethostname(host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, size, "%s@%s", user, host);
}

/* The app for `commit`: of the artifact `a` at `url`, or of `image`, or
 * neither. */
static int render(struct cli *cli, const char *commit,
		  const struct roger_artifact *a, const char *url,
		  const struct roger_render_image *image, json_t **out)
{
	struct roger_render_input in = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_var *cli_vars = NULL, *vars = NULL;
	char by[512];
	size_t n_vars = 0;
	int status = ROGER_EXIT_OK;

	if (cli->n_vars)
		cli_vars = xcalloc(cli->n_vars, sizeof(*cli_vars));
	for (size_t i = 0; i < cli->n_vars; i++) {
		cli_vars[i].name = cli->vars[i].name;
		cli_vars[i].value = cli->vars[i].value;
	}
	if (roger_project_vars(&vars, &n_vars, cli->ctx, cli->project, cli->env,
			       NULL, 0, cli_vars, cli->n_vars, &err) < 0) {
		status = err.code == ROGER_EUSAGE
				 ? cli_usage_error(cli, "%s", err.msg)
				 : cli_fail(&err);
		goto out;
	}
	cli_deployed_by(cli, by, sizeof(by));
	in.commit = commit;
	in.artifact_url = url;
	in.artifact_sha256 = a ? a->sha256 : NULL;
	in.image = image;
	in.deployed_by = by;
	in.dirty = (a && a->dirty) || cli->project_dirty;
	in.vars = vars;
	in.n_vars = n_vars;
	if (cli->resolved_target)
		in.router_group = cli->resolved_target->router_group;
	if (roger_render_app(out, cli->project, cli->env, &in, &err) < 0) {
		if (err.code == ROGER_EINVALID)
			roger_err_prefix(&err, "%s", cli->project->display);
		status = cli_fail(&err);
	}
out:
	free(vars);
	free(cli_vars);
	return status;
}

int cli_render_app_at(struct cli *cli, const struct roger_artifact *a,
		      const char *url, json_t **out)
{
	return render(cli, a->commit, a, url, NULL, out);
}

int cli_render_image_app(struct cli *cli, const char *commit,
			 const struct roger_render_image *image, json_t **out)
{
	return render(cli, commit, NULL, NULL, image, out);
}

int cli_render_built_image(struct cli *cli, struct roger_marathon *m,
			   const struct cli_image *im, json_t **out)
{
	struct roger_render_image ri = { 0 };

	ri.reference = im->reference;
	ri.base = im->base_pinned;
	ri.runtime = im->runtime;
	ri.shape = cli_marathon_shape(cli, m);
	return cli_render_image_app(cli, im->img->commit, &ri, out);
}

enum roger_render_shape cli_marathon_shape(struct cli *cli,
					   struct roger_marathon *m)
{
	struct roger_marathon_info *info = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	enum roger_render_shape shape = ROGER_RENDER_SHAPE_15;

	if (m && roger_marathon_info(&info, m, &err) == 0) {
		shape = roger_render_shape_for(info->version);
		roger_debug(cli->ctx, "Marathon %s: the container shape of %s",
			    info->version ? info->version : "(no version)",
			    shape == ROGER_RENDER_SHAPE_14 ? "1.4" : "1.5");
	} else {
		roger_info(
			cli->ctx,
			"cannot tell the Marathon version (%s): rendering the container for 1.5 and later",
			err.msg);
	}
	roger_marathon_info_free(info);
	return shape;
}

int cli_render_app(struct cli *cli, const struct roger_artifact *a,
		   json_t **out, char **url_out)
{
	struct roger_err err = ROGER_ERR_INIT;
	const struct roger_target *t;
	char *url = NULL;
	int status;

	if ((status = cli_load_project(cli)) != 0 ||
	    (status = cli_load_target(cli)) != 0)
		return status;
	t = cli->resolved_target;
	if (roger_store_check_target(t, &err) < 0 ||
	    roger_store_artifact_url(&url, t->artifacts, cli->project->id,
				     a->sha256, &err) < 0)
		return cli_fail(&err);
	status = cli_render_app_at(cli, a, url, out);
	if (status == ROGER_EXIT_OK && url_out) {
		*url_out = url;
		url = NULL;
	}
	free(url);
	return status;
}

static const char *const count_reasons[] = {
	[ROGER_RELEASE_COUNT_NEW] = "new",
	[ROGER_RELEASE_COUNT_SAME] = "same",
	[ROGER_RELEASE_COUNT_KEPT] = "kept",
	[ROGER_RELEASE_COUNT_UNKNOWN] = "kept_unknown",
	[ROGER_RELEASE_COUNT_CHANGED] = "changed",
};

/* The instance count of the app `live` ({"app": ...} or the app itself). */
static int live_count(const json_t *live)
{
	const json_t *app = json_object_get(live, "app");
	json_t *n;

	if (!json_is_object(app) || json_object_get(live, "id"))
		app = live;
	n = json_object_get(app, "instances");
	/* Marathon's default; counts are whole numbers there */
	return json_is_integer(n) ? (int)json_integer_value(n) : 1;
}

void cli_keep_instances(struct cli *cli, json_t *rendered, const json_t *live,
			json_t *doc)
{
	const char *id = json_string_value(json_object_get(rendered, "id"));
	enum roger_release_count why;
	int wanted, count, before = live ? live_count(live) : 0;

	if (roger_release_instances_label(&wanted, rendered)) {
		why = roger_release_instances(&count, live, wanted);
	} else if (live) {
		/* a release that does not record roger.json's count */
		wanted = live_count(rendered);
		count = before;
		why = count == wanted ? ROGER_RELEASE_COUNT_SAME
				      : ROGER_RELEASE_COUNT_UNKNOWN;
	} else {
		return;
	}
	cli_json_set(rendered, "instances", json_integer(count));
	if (doc)
		cli_json_set(
			doc, "instances",
			json_pack("{s:o,s:i,s:i,s:s}", "live",
				  live ? json_integer(before) : json_null(),
				  "roger_json", wanted, "deployed", count,
				  "reason", count_reasons[why]));
	if (cli->quiet)
		return;
	switch (why) {
	case ROGER_RELEASE_COUNT_KEPT:
		cli_note(
			"keeping the %d live instance%s of app '%s': roger.json's count (%d) has not changed since the live release",
			count, count == 1 ? "" : "s", id, wanted);
		break;
	case ROGER_RELEASE_COUNT_UNKNOWN:
		cli_note(
			"keeping the %d live instance%s of app '%s': the releases do not both record roger.json's count",
			count, count == 1 ? "" : "s", id);
		break;
	default:
		/* a changed count shows in the diff, with its label */
		break;
	}
}
