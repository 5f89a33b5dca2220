/*
 * history.c - `roger history`: the app's versions newest first, each with
 * its release labels (commit, environment, who deployed it, with which
 * roger) and what changed from the version before it, the live one marked.
 *
 * Marathon lists version timestamps in no promised order (sorted here) and
 * keeps at most 50; the labels live in each version's definition, one GET
 * each.  The cost is bounded by -n: the N newest definitions are read, in
 * order, plus one more to tell what changed in the oldest shown.  "What
 * changed" is roger_diff_apps() between neighbours, in the words of
 * roger_release_summary().
 */
#include <config.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util/jobs.h"

#define DEFAULT_COUNT 10

static const char *app_opt;
static long count = DEFAULT_COUNT;

static const struct cmd_opt history_opts[] = {
	OPT_STRING(0, "app", &app_opt, "id", ARG_APP, "another app of the target instead of the project's"),
	OPT_COUNT_OR_ALL('n', "count", &count, "count", 1, "the COUNT newest versions (default 10; 'all': every one Marathon keeps)"),
	OPT_END(),
};

struct entry {
	const char *version;
	json_t *def; /* the stored definition; NULL when not read or gone */
	bool gone;   /* listed, but Marathon no longer has it */
	struct roger_release rel;
	bool is_release;
	bool known;  /* `changes` says what changed from the version before */
	bool first;  /* the app's oldest version: it was created here */
	struct roger_diff *changes;
	char summary[160];
};

struct history {
	struct cli *cli;
	const char *app_id;
	const char *live;
	struct roger_marathon_versions *versions;
	struct entry *e;
	size_t shown, read;
};

/* The summary of an entry, or what is known instead of one. */
static void summarize(struct entry *e, const struct entry *before)
{
	if (!e->known)
		snprintf(e->summary, sizeof(e->summary), "%s",
			 e->gone ? "(definition gone)"
			 : e->first ? "created" : "-");
	else
		roger_release_summary(e->summary, sizeof(e->summary),
				      before->def, e->def, e->changes);
}

static int read_definitions(struct history *h, struct roger_marathon *m)
{
	struct roger_err err = ROGER_ERR_INIT;

	for (size_t i = 0; i < h->read; i++) {
		struct entry *e = &h->e[i];

		if (roger_marathon_app_version(&e->def, m, h->app_id,
					       e->version, &err) < 0) {
			if (err.code != ROGER_ENOTFOUND)
				return cli_fail_app(h->cli, h->app_id, &err);
			e->def = NULL;
			e->gone = true;
			roger_err_clear(&err);
			continue;
		}
		e->is_release = roger_render_release(&e->rel, e->def);
	}
	for (size_t i = 0; i < h->shown; i++) {
		struct entry *e = &h->e[i];

		e->first = i + 1 == h->versions->n;
		if (e->def && i + 1 < h->read && h->e[i + 1].def) {
			if (roger_diff_apps(&e->changes, h->e[i + 1].def,
					    e->def, ROGER_DIFF_IGNORE_METADATA,
					    &err) < 0)
				return cli_fail(&err);
			e->known = true;
		}
		summarize(e, i + 1 < h->read ? &h->e[i + 1] : NULL);
	}
	return ROGER_EXIT_OK;
}

/* ---- output -------------------------------------------------------------- */

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static const char *env_name(const struct entry *e)
{
	if (!e->is_release || !e->rel.env)
		return "-";
	return *e->rel.env ? e->rel.env : "(base)";
}

static void print_text(const struct history *h)
{
	int w_env = 3, w_by = 11, w_roger = 5;

	for (size_t i = 0; i < h->shown; i++) {
		const struct entry *e = &h->e[i];
		int n = (int)strlen(env_name(e));

		w_env = n > w_env ? n : w_env;
		n = (int)strlen(or_dash(e->rel.deployed_by));
		w_by = n > w_by ? n : w_by;
		n = (int)strlen(or_dash(e->rel.roger_version));
		w_roger = n > w_roger ? n : w_roger;
	}
	printf("  %-24s  %-*s  %-*s  %-*s  %-*s  %s\n", "VERSION",
	       ROGER_SHORT_COMMIT_LEN, "COMMIT", w_env, "ENV", w_by,
	       "DEPLOYED BY", w_roger, "ROGER", "CHANGES");
	for (size_t i = 0; i < h->shown; i++) {
		const struct entry *e = &h->e[i];
		bool live = h->live && !strcmp(e->version, h->live);

		printf("%s%s %-24s  %-*.*s  %-*s  %-*s  %-*s  %s%s\n",
		       live ? cli_color(h->cli, "green") : "", live ? "*" : " ",
		       e->version, ROGER_SHORT_COMMIT_LEN,
		       ROGER_SHORT_COMMIT_LEN,
		       e->is_release ? e->rel.commit : "-", w_env, env_name(e),
		       w_by, or_dash(e->rel.deployed_by), w_roger,
		       or_dash(e->rel.roger_version), e->summary,
		       live ? cli_color(h->cli, "reset") : "");
	}
	if (h->shown < h->versions->n && !h->cli->quiet)
		cli_error("showing the %zu newest of %zu versions; -n all shows every one",
			  h->shown, h->versions->n);
}


static json_t *entry_json(const struct history *h, const struct entry *e)
{
	json_t *rel = cli_release_json(&e->rel, e->is_release);
	json_t *changes = json_null();

	if (e->known && roger_diff_to_json(&changes, e->changes, NULL) < 0)
		changes = NULL;
	return json_pack("{s:s, s:b, s:b, s:o, s:s, s:o}", "version",
			 e->version, "live",
			 h->live && !strcmp(e->version, h->live), "gone",
			 e->gone, "release", rel, "summary", e->summary,
			 "changes", changes);
}

static int print_json(const struct history *h)
{
	json_t *list = json_array(), *doc;

	for (size_t i = 0; i < h->shown; i++)
		json_array_append_new(list, entry_json(h, &h->e[i]));
	doc = json_pack("{s:s, s:o, s:i, s:o}", "app", h->app_id,
			"live_version", cli_json_str(h->live), "total",
			(int)h->versions->n, "versions", list);
	if (doc)
		cli_jobs_summary(h->cli, h->app_id, doc);
	return cli_print_doc(h->cli, doc);
}

/* ---- one version --------------------------------------------------------- */

static void print_one(const struct history *h, const char *version,
		      const struct roger_release *r, bool is_release,
		      const char *previous, const struct roger_diff *d,
		      bool first)
{
	struct roger_buf b = ROGER_BUF_INIT;

	printf("version:    %s%s\n", version,
	       h->live && !strcmp(version, h->live) ? " (live)" : "");
	if (is_release) {
		printf("release:    commit %s, environment %s, deployed by %s with roger %s\n",
		       r->commit, !r->env ? "-" : *r->env ? r->env : "(base)",
		       or_dash(r->deployed_by), or_dash(r->roger_version));
		cli_print_image(r);
	} else {
		printf("release:    not deployed by roger (no %s label)\n",
		       ROGER_LABEL_COMMIT);
	}
	if (!previous) {
		printf("changes:    none known (%s)\n",
		       first ? "the app's first version"
			     : "the version before it is gone");
		return;
	}
	if (roger_diff_empty(d)) {
		printf("changes:    none from %s\n", previous);
		return;
	}
	printf("changes from %s:\n", previous);
	if (roger_diff_format_text(&b, d, h->cli->color ? ROGER_DIFF_COLOR
						       : 0) == 0)
		fputs(b.buf, stdout);
	roger_buf_release(&b);
}

/*
 * `roger history VERSION`: one version (or the newest release of a
 * commit) and what changed from the version before it.
 */
static int show_one(struct history *h, struct roger_marathon *m,
		    const char *want)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_diff *d = NULL;
	struct roger_release rel;
	json_t *def = NULL, *prev = NULL, *masked = NULL, *doc, *changes;
	const char *previous = NULL;
	bool is_release;
	size_t i;
	int status;

	status = cli_find_version(h->cli, m, h->app_id, h->versions, want, &i,
				  &def);
	if (status)
		return status;
	if (i + 1 < h->versions->n) {
		previous = h->versions->items[i + 1];
		if (roger_marathon_app_version(&prev, m, h->app_id, previous,
					       &err) < 0) {
			if (err.code != ROGER_ENOTFOUND) {
				status = cli_fail_app(h->cli, h->app_id, &err);
				goto out;
			}
			previous = NULL;
		}
	}
	if ((prev && roger_diff_apps(&d, prev, def, ROGER_DIFF_IGNORE_METADATA,
				     &err) < 0) ||
	    roger_render_mask_secrets(&masked, def, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	is_release = roger_render_release(&rel, def);
	if (h->cli->output != OUTPUT_JSON) {
		print_one(h, h->versions->items[i], &rel, is_release, previous,
			  d, i + 1 == h->versions->n);
		goto out;
	}
	changes = json_null();
	if (d && roger_diff_to_json(&changes, d, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	doc = json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:O}", "app",
			h->app_id, "version", h->versions->items[i], "live",
			h->live && !strcmp(h->versions->items[i], h->live),
			"release", cli_release_json(&rel, is_release), "previous",
			cli_json_str(previous), "changes", changes,
			"definition", masked);
	status = cli_print_doc(h->cli, doc);
out:
	roger_diff_free(d);
	json_decref(masked);
	json_decref(prev);
	json_decref(def);
	return status;
}

/* ---- the command --------------------------------------------------------- */

static int history_run(struct cli *cli, int argc, char **argv)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon *m = NULL;
	struct roger_marathon_app *app = NULL;
	struct history h = { 0 };
	int n, status;

	n = cli_parse_options(cli, argc, argv);
	if (count < 0)
		count = LONG_MAX;
	h.cli = cli;
	if ((status = cli_app_id(cli, app_opt, &h.app_id)) != 0 ||
	    (status = cli_marathon(cli, false, &m)) != 0)
		goto out;
	if (roger_marathon_get_app(&app, m, h.app_id, 0, &err) < 0 ||
	    roger_marathon_app_versions(&h.versions, m, h.app_id, &err) < 0) {
		status = cli_fail_app(cli, h.app_id, &err);
		goto out;
	}
	h.live = app->version;
	if (n > 0) {
		status = show_one(&h, m, argv[0]);
		goto out;
	}
	h.shown = (size_t)count < h.versions->n ? (size_t)count
						 : h.versions->n;
	h.read = h.shown < h.versions->n ? h.shown + 1 : h.shown;
	h.e = xcalloc(h.read, sizeof(*h.e));
	for (size_t i = 0; i < h.read; i++)
		h.e[i].version = h.versions->items[i];
	if ((status = read_definitions(&h, m)) != 0)
		goto out;
	if (cli->output == OUTPUT_JSON) {
		status = print_json(&h);
	} else {
		print_text(&h);
		cli_jobs_summary(cli, h.app_id, NULL);
	}
out:
	for (size_t i = 0; h.e && i < h.read; i++) {
		json_decref(h.e[i].def);
		roger_diff_free(h.e[i].changes);
	}
	free(h.e);
	roger_marathon_versions_free(h.versions);
	roger_marathon_app_free(app);
	roger_marathon_free(m);
	return status;
}

const struct roger_cmd cmd_history = {
	.name = "history",
	.summary = "list the app's versions with their commits and who deployed them",
	.operands = "[version | commit]",
	.max_operands = 1,
	.opts = history_opts,
	.args = ARG_VERSION,
	.run = history_run,
};
