/*
 * rollback.c - `roger rollback`: redeploy an earlier version of the app and
 * wait for it as deploy waits (cmd/util/watch.c).
 *
 * Which version is lib/release's decision: by default the previous
 * release (roger_release_find_previous: a release of another commit or
 * artifact than the live one, so that a rollback after a scale goes back
 * a release, not a scale, and not one that failed or was rolled back
 * already); with --to, a version timestamp or the newest release of a
 * commit (roger_release_find; a prefix that names two commits is
 * refused).
 *
 * How: PUT /v2/apps/{id}?partialUpdate=false with the stored definition
 * of that version (roger_release_redeploy_app), rather than Marathon's
 * {"version": V}, which can carry nothing else: the new version records
 * what it undid in its ROGER_ROLLBACK_ labels (history shows the undone
 * releases as rolled back, and later rollbacks pass over them), and it
 * keeps the live instance count unless roger.json's count differs between
 * the two releases (cli_keep_instances), as a deploy does.
 *
 * What changes is shown first (roger_diff_apps of the live app against
 * that definition, secrets masked), unless -q.  If the rollback's own
 * deployment fails, cli_watch_run() rolls *that* back, to where the app
 * was, unless --no-rollback.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/watch.h"

static struct cli_watch watch = CLI_WATCH_INIT;
static const char *to_opt;

static const struct cmd_opt rollback_opts[] = {
	OPT_WATCH_ALL(&watch),
	OPT_STRING(
		0, "to", &to_opt, "version", ARG_VERSION,
		"this version, or the newest release of this commit (default: the previous release)"),
	OPT_END(),
};

struct rollback {
	struct cli_watch *w;
	const struct roger_marathon_app *live;
	struct roger_release live_rel;
	bool live_is_release;
	struct roger_marathon_versions *versions;
	/* the version to go back to */
	const char *version;
	json_t *def;
	struct roger_release rel;
	bool is_release;
	json_t *redeploy; /* `def`, as the rollback PUTs it */
	struct roger_marathon_app *target; /* `redeploy`, parsed */
	struct roger_diff *diff; /* from the live app to `redeploy` */
};

/* The release to go back to: --to, or the previous one (lib/release). */
static int find_target(struct rollback *rb, const char *to)
{
	struct cli_watch *w = rb->w;
	struct roger_err err = ROGER_ERR_INIT;
	size_t index;
	int rc, status;

	if (to) {
		status = cli_find_version(w->cli, w->m, w->app_id, rb->versions,
					  to, &index, &rb->def);
		if (status) {
			cli_json_set(w->doc, "status", json_string("error"));
			return status;
		}
	} else {
		rc = roger_release_find_previous(
			&index, &rb->def, w->m, w->app_id, rb->versions,
			rb->live->json, rb->live->version, &err);
		if (rc == ROGER_ENOTFOUND) {
			cli_json_set(w->doc, "status",
				     json_string("nothing_to_roll_back"));
			if (rb->live_is_release)
				cli_error(
					"app '%s' has no release older than the live one (commit %.12s) on target '%s': nothing to roll back to",
					w->app_id, rb->live_rel.commit,
					w->cli->resolved_target->name);
			else
				cli_error(
					"app '%s' has no release older than the live version on target '%s': nothing to roll back to",
					w->app_id,
					w->cli->resolved_target->name);
			return ROGER_EXIT_FAILURE;
		}
		if (rc < 0)
			return cli_watch_app_failed(w, &err);
	}
	rb->version = rb->versions->items[index];
	rb->is_release = roger_render_release(&rb->rel, rb->def);
	return ROGER_EXIT_OK;
}

static json_t *side_json(const char *version, const struct roger_release *r,
			 bool is_release)
{
	return json_pack("{s:s?, s:s?, s:s?}", "version", version, "commit",
			 is_release ? r->commit : NULL, "image",
			 is_release ? r->image : NULL);
}

/* "2026-01-02T03:04:05.678Z (commit 0123456789ab[, image REF])" */
static void describe(char *out, size_t size, const char *version,
		     const struct roger_release *r, bool is_release)
{
	if (is_release && r->commit && r->image)
		snprintf(out, size, "%s (commit %.12s, image %s)",
			 version ? version : "?", r->commit, r->image);
	else if (is_release && r->commit)
		snprintf(out, size, "%s (commit %.12s)",
			 version ? version : "?", r->commit);
	else
		snprintf(out, size, "%s", version ? version : "?");
}

/* Show (and record) what changes from the live app to the version. */
static int show_changes(struct rollback *rb, struct roger_diff **out)
{
	struct cli_watch *w = rb->w;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf text = ROGER_BUF_INIT;
	json_t *changes = NULL;
	char from[512], to[512];

	if (roger_diff_apps(out, rb->live->json, rb->redeploy,
			    ROGER_DIFF_IGNORE_METADATA, &err) < 0 ||
	    roger_diff_to_json(&changes, *out, &err) < 0)
		return cli_fail(&err);
	cli_json_set(w->doc, "from",
		     side_json(rb->live->version, &rb->live_rel,
			       rb->live_is_release));
	cli_json_set(w->doc, "to",
		     side_json(rb->version, &rb->rel, rb->is_release));
	cli_json_set(w->doc, "changes", changes);
	if (w->cli->output != OUTPUT_TEXT || w->cli->quiet ||
	    roger_diff_empty(*out))
		return ROGER_EXIT_OK;
	describe(from, sizeof(from), rb->live->version, &rb->live_rel,
		 rb->live_is_release);
	describe(to, sizeof(to), rb->version, &rb->rel, rb->is_release);
	printf("rolling back app '%s' from %s to %s:\n", w->app_id, from, to);
	if (roger_diff_format_text(&text, *out,
				   w->cli->color ? ROGER_DIFF_COLOR : 0) < 0) {
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	fputs(text.buf, stdout);
	fflush(stdout);
	roger_buf_release(&text);
	return ROGER_EXIT_OK;
}

static int plan(struct cli_watch *w, const struct roger_marathon_app *app,
		void *data, struct cli_watch_plan *p)
{
	struct rollback *rb = data;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_release_redeploy r = { 0 };
	json_t *masked = NULL;
	char desc[512], by[512];
	int rc, status;

	if (roger_marathon_app_versions(&rb->versions, w->m, w->app_id, &err) <
	    0)
		return cli_watch_app_failed(w, &err);
	rb->live = app;
	rb->live_is_release = roger_render_release(&rb->live_rel, app->json);
	if ((status = find_target(rb, to_opt)) != 0)
		return status;
	describe(desc, sizeof(desc), rb->version, &rb->rel, rb->is_release);
	cli_deployed_by(w->cli, by, sizeof(by));
	r.of = app->version;
	r.of_def = app->json;
	r.to = rb->version;
	r.by = by;
	r.instances = -1;
	if (roger_release_redeploy_app(&rb->redeploy, rb->def, &r, &err) < 0)
		return cli_fail(&err);
	if (!(app->version && !strcmp(rb->version, app->version)))
		cli_keep_instances(w->cli, rb->redeploy, app->json, w->doc);
	if (!(app->version && !strcmp(rb->version, app->version)) &&
	    (status = show_changes(rb, &rb->diff)) != 0)
		return status;
	if (!rb->diff || roger_diff_empty(rb->diff)) {
		if (!rb->diff) {
			cli_json_set(w->doc, "from",
				     side_json(app->version, &rb->live_rel,
					       rb->live_is_release));
			cli_json_set(w->doc, "to",
				     side_json(rb->version, &rb->rel,
					       rb->is_release));
		}
		cli_json_set(w->doc, "status", json_string("unchanged"));
		if (w->cli->output == OUTPUT_TEXT && !w->cli->quiet)
			printf("app '%s' already runs version %s: nothing to do\n",
			       w->app_id, desc);
		return CLI_WATCH_NOTHING;
	}
	/* a dry run prints the request: secrets masked */
	if (w->dry_run &&
	    roger_render_mask_secrets(&masked, rb->redeploy, &err) < 0)
		return cli_fail(&err);
	rc = roger_marathon_app_from_json(&rb->target, rb->redeploy, &err);
	if (rc == 0)
		rc = roger_marathon_req_put_app(
			&p->req, w->app_id, masked ? masked : rb->redeploy,
			ROGER_MARATHON_REPLACE |
				(w->force ? ROGER_MARATHON_FORCE : 0),
			&err);
	json_decref(masked);
	if (rc < 0)
		return cli_fail(&err);
	snprintf(p->what, sizeof(p->what), "roll back app '%s' to version %s",
		 w->app_id, desc);
	snprintf(w->label, sizeof(w->label), "rolling back '%s' to %s",
		 w->app_id, desc);
	snprintf(p->done, sizeof(p->done), "app '%s' rolled back to version %s",
		 w->app_id, desc);
	p->previous_version = app->version;
	p->previous_app = app->json;
	p->new_app = rb->redeploy;
	if (app->version)
		snprintf(p->undo, sizeof(p->undo), "rollback --to %s --force",
			 app->version);
	p->default_timeout_ms = roger_deploy_default_timeout_ms(
		rb->target, -1, cli_watch_settle_ms(w));
	return ROGER_EXIT_OK;
}

static int rollback_run(struct cli *cli, int argc, char **argv)
{
	struct rollback rb = { 0 };
	int status;

	/* a version given as an operand is a --to forgotten: say so */
	if (cli_parse_options(cli, argc, argv) > 0)
		return cli_usage_error(cli, "unexpected argument '%s'%s",
				       argv[0],
				       to_opt ? "" : " (use --to VERSION)");
	cli_watch_init(&watch, cli, "rollback");
	rb.w = &watch;
	status = cli_watch_change(&watch, plan, &rb);
	roger_diff_free(rb.diff);
	json_decref(rb.redeploy);
	json_decref(rb.def);
	roger_marathon_versions_free(rb.versions);
	roger_marathon_app_free(rb.target);
	return status;
}

const struct roger_cmd cmd_rollback = {
	.name = "rollback",
	.summary =
		"redeploy the previous release, or another version, and wait",
	.opts = rollback_opts,
	.max_operands = 1,
	.run = rollback_run,
};
