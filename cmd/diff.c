/*
 * diff.c - `roger diff`: what a deploy would change.  The artifact is
 * built as `roger build` builds it (cached), the app is rendered for it
 * (cmd/util/render.c: the artifact's URL comes from its digest, so nothing is
 * pushed; an image app's image is built and named by its digest, not
 * pushed either), the live app is read (GET /v2/apps/{id}) and the two are
 * compared by roger_diff_apps(), which ignores the fields Marathon owns,
 * Marathon's defaults and the labels that change with every deploy
 * (ROGER_DEPLOYED_BY, ROGER_VERSION).
 *
 * Like diff(1), the exit status says whether there are differences: 0
 * none, 1 some.  1 is also the generic failure status (PRODUCT.md), so
 * the two are told apart by standard output: a comparison that was made
 * prints its result there (at least one line when there are differences),
 * and a failure prints nothing there, only its "roger: " line on standard
 * error.  With -o json both print one document, the failure's an "error"
 * one.  An app that does not
 * exist yet is all additions.  The jobs of roger.json are compared with
 * the app's jobs on the target's Metronome too (cmd/util/jobs.c) and
 * their changes follow the app's; they count as differences.  Secrets are
 * masked by the diff itself, and the rendered definition in the JSON document
 * by roger_render_mask_secrets().
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/jobs.h"

static struct cli_build_args args;

static const struct cmd_opt diff_opts[] = {
	OPT_BUILD_ALLOW_DIRTY(&args),
	OPT_BUILD_NO_CACHE(&args),
	OPT_BUILD_REF(&args),
	OPT_END(),
};

/* What is compared: the artifact's app, or the image's. */
struct what {
	enum cli_app_kind kind;
	struct roger_artifact *a;
	char *url;
	struct cli_image *image;
	char *external;
	char commit[41];
};

static int print_json(struct cli *cli, const char *app_id, const struct what *w,
		      const struct roger_marathon_app *live,
		      const struct roger_diff *d, const json_t *rendered,
		      const struct cli_jobs_plan *jobs)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *changes = NULL, *masked = NULL, *doc;

	if (roger_diff_to_json(&changes, d, &err) < 0 ||
	    roger_render_mask_secrets(&masked, rendered, &err) < 0) {
		json_decref(changes);
		return cli_fail(&err);
	}
	doc = json_pack("{s:s, s:s, s:o, s:s, s:b, s:o, s:b, s:o, s:o}", "app",
			app_id, "target", cli->resolved_target->name, "env",
			cli->env ? json_string(cli->env) : json_null(),
			"commit", w->commit, "exists", live != NULL,
			"live_version",
			live && live->version ? json_string(live->version)
					      : json_null(),
			"differences", !roger_diff_empty(d) || jobs->changes,
			"changes", changes, "rendered", masked);
	if (!doc)
		return cli_print_doc(cli, doc);
	cli_json_set(doc, "jobs", cli_jobs_plan_json(jobs));
	if (w->a) {
		cli_json_set(doc, "artifact_sha256", json_string(w->a->sha256));
		cli_json_set(doc, "artifact_url", json_string(w->url));
	}
	if (w->image)
		cli_json_set(doc, "image", cli_image_json(w->image));
	else if (w->external)
		cli_json_set(doc, "image",
			     json_pack("{s:s, s:b}", "reference", w->external,
				       "external", 1));
	cli_json_set(doc, "dirty",
		     json_boolean(w->a ? w->a->dirty
				       : w->image && w->image->img->dirty));
	return cli_print_doc(cli, doc);
}

/* Build what the app runs and render it: *rendered. */
static int prepare(struct cli *cli, struct roger_marathon *m, struct what *w,
		   json_t **rendered)
{
	int status;

	switch (w->kind) {
	case CLI_APP_IMAGE:
		if ((status = cli_ship_image(cli, &args, false, &w->image)) !=
		    0)
			return status;
		memcpy(w->commit, w->image->img->commit, sizeof(w->commit));
		return cli_render_built_image(cli, m, w->image, rendered);
	case CLI_APP_EXTERNAL:
		if ((status = cli_resolve_commit(cli, &args, w->commit)) != 0)
			return status;
		return cli_render_image_app(cli, w->commit, NULL, rendered);
	case CLI_APP_ARTIFACT:
		break;
	}
	if ((status = cli_build_artifact(cli, &args, &w->a)) != 0)
		return status;
	memcpy(w->commit, w->a->commit, sizeof(w->commit));
	return cli_render_app(cli, w->a, rendered, &w->url);
}

static int diff_run(struct cli *cli, int argc, char **argv)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct what w = { 0 };
	struct roger_marathon *m = NULL;
	struct roger_marathon_app *live = NULL;
	struct roger_diff *d = NULL;
	struct cli_jobs_plan jobs = { 0 };
	struct roger_buf text = ROGER_BUF_INIT;
	json_t *rendered = NULL, *none = NULL;
	const char *app_id;
	int status;

	cli_parse_options(cli, argc, argv);
	/* What cannot work fails before any packaging. */
	if ((status = cli_use_ref(cli, &args)) != 0 ||
	    (status = cli_app_id(cli, NULL, &app_id)) != 0 ||
	    (status = cli_load_target(cli)) != 0 ||
	    (status = cli_app_kind(cli, &w.kind, &w.external)) != 0)
		return status;
	if (w.kind == CLI_APP_ARTIFACT &&
	    roger_store_check_target(cli->resolved_target, &err) < 0)
		return cli_fail(&err);
	if ((status = cli_marathon(cli, false, &m)) != 0 ||
	    (status = prepare(cli, m, &w, &rendered)) != 0)
		goto out;
	if (roger_marathon_get_app(&live, m, app_id, 0, &err) < 0) {
		if (err.code != ROGER_ENOTFOUND) {
			status = cli_fail_app(cli, app_id, &err);
			goto out;
		}
		if (!cli->quiet)
			cli_error(
				"app '%s' does not exist on target '%s': deploy would create it",
				app_id, cli->resolved_target->name);
		live = NULL;
	}
	cli_keep_instances(cli, rendered, live ? live->json : NULL, NULL);
	none = json_object();
	if (!none) {
		cli_error("out of memory");
		status = ROGER_EXIT_FAILURE;
		goto out;
	}
	if (roger_diff_apps(&d, live ? live->json : none, rendered,
			    ROGER_DIFF_IGNORE_METADATA, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	if ((status = cli_load_project(cli)) != 0 ||
	    (status = cli_jobs_plan(cli, rendered, false, &jobs)) != 0)
		goto out;
	if (cli->output == OUTPUT_JSON) {
		status = print_json(cli, app_id, &w, live, d, rendered, &jobs);
		if (status)
			goto out;
	} else if (roger_diff_format_text(
			   &text, d, cli->color ? ROGER_DIFF_COLOR : 0) < 0) {
		cli_error("out of memory");
		status = ROGER_EXIT_FAILURE;
		goto out;
	} else {
		fputs(text.buf, stdout);
		cli_jobs_plan_show(cli, &jobs);
	}
	status = roger_diff_empty(d) && !jobs.changes ? ROGER_EXIT_OK
						      : ROGER_EXIT_FAILURE;
out:
	cli_jobs_plan_release(&jobs);
	roger_buf_release(&text);
	roger_diff_free(d);
	json_decref(none);
	json_decref(rendered);
	roger_marathon_app_free(live);
	roger_marathon_free(m);
	roger_artifact_free(w.a);
	free(w.url);
	cli_image_free(w.image);
	free(w.external);
	return status;
}

const struct roger_cmd cmd_diff = {
	.name = "diff",
	.summary = "show what a deploy would change in the live app",
	.opts = diff_opts,
	.run = diff_run,
};
