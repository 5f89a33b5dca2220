/*
 * history.c - `roger history`: the app's versions newest first, each with
 * its release labels (commit, environment, who deployed it, with which
 * roger), what became of it (deployed, failed, rolled back, scaled,
 * restarted...), what changed from the version before it and the subject
 * of its commit, the live one marked.
 *
 * Marathon lists version timestamps in no promised order (sorted here) and
 * keeps at most 50; the labels live in each version's definition, one GET
 * each.  The cost is bounded by -n: the N newest definitions are read, in
 * order, plus one more to tell what changed in the oldest shown.  "What
 * changed" is roger_diff_apps() between neighbours, in the words of
 * roger_release_summary(); what became of a version is
 * roger_release_outcome(), from its neighbour and the rollbacks among the
 * newer versions, all of which are read before it.  Subjects come from the
 * project's repository, when it has the commit.
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
	OPT_STRING(0, "app", &app_opt, "id", ARG_APP,
		   "another app of the target instead of the project's"),
	OPT_COUNT_OR_ALL(
		'n', "count", &count, "count", 1,
		"the COUNT newest versions (default 10; 'all': every one Marathon keeps)"),
	OPT_END(),
};

struct entry {
	const char *version;
	json_t *def; /* the stored definition; NULL when not read or gone */
	bool gone; /* listed, but Marathon no longer has it */
	struct roger_release rel;
	bool is_release;
	bool known; /* `changes` says what changed from the version before */
	bool first; /* the app's oldest version: it was created here */
	struct roger_diff *changes;
	char summary[160];
	enum roger_release_outcome outcome;
	bool deploying; /* the live version, its deployment in progress */
	struct roger_release_rollback rollback; /* when made by a rollback */
	bool is_rollback;
	char *subject; /* of the commit, when the repository has it */
};

struct history {
	struct cli *cli;
	const char *app_id;
	const char *live;
	bool live_deploying;
	struct roger_marathon_versions *versions;
	struct entry *e;
	size_t shown, read;
	struct roger_repo *repo; /* the project's, when there is one */
};

/* The project's repository, for commit subjects (NULL when none). */
static void open_repo(struct history *h)
{
	struct cli *cli = h->cli;

	if (!cli->project)
		(void)roger_project_load(&cli->project, cli->ctx, cli->dir,
					 NULL);
	if (cli->project)
		(void)roger_repo_discover(&h->repo, cli->project->workdir,
					  NULL);
}

/* The subject of `commit` (new string), or NULL when unknown. */
static char *subject_of(struct history *h, const char *commit)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *s = NULL;

	if (h->repo && commit &&
	    roger_repo_commit_subject(&b, h->repo, commit, NULL) == 0)
		s = xstrdup(b.buf);
	roger_buf_release(&b);
	return s;
}

/* What became of entry `i`, knowing the versions newer than it. */
static void judge(struct history *h, size_t i)
{
	struct entry *e = &h->e[i];
	struct roger_release_rollback *newer;
	const struct entry *before = i + 1 < h->read ? &h->e[i + 1] : NULL;
	size_t n = 0;

	newer = xcalloc(i + 1, sizeof(*newer));
	for (size_t j = 0; j < i; j++)
		if (h->e[j].is_rollback)
			newer[n++] = h->e[j].rollback;
	e->outcome =
		roger_release_outcome(e->version, e->known ? before->def : NULL,
				      e->def, e->changes, newer, n);
	e->deploying =
		h->live_deploying && h->live && !strcmp(e->version, h->live);
	free(newer);
}

/* The summary of an entry, or what is known instead of one. */
static void summarize(struct entry *e, const struct entry *before)
{
	if (!e->known)
		snprintf(e->summary, sizeof(e->summary), "%s",
			 e->gone    ? "(definition gone)"
			 : e->first ? "created"
				    : "-");
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
		e->is_rollback =
			roger_release_rollback_info(&e->rollback, e->def);
		if (e->is_release && i < h->shown)
			e->subject = subject_of(h, e->rel.commit);
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
		judge(h, i);
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

static const char *outcome_text(const struct entry *e)
{
	if (e->gone)
		return "-";
	return e->deploying ? "deploying"
			    : roger_release_outcome_name(e->outcome);
}

/* Who made the version: who rolled back, for a rollback. */
static const char *made_by(const struct entry *e)
{
	if (e->is_rollback && e->rollback.by)
		return e->rollback.by;
	return or_dash(e->rel.deployed_by);
}

/* "0123456789ab", "0123456789ab-dirty" (git describe's word) or "-". */
static void commit_text(char *out, size_t size, const struct entry *e)
{
	if (!e->is_release)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%.*s%s", ROGER_SHORT_COMMIT_LEN,
			 e->rel.commit, e->rel.dirty ? "-dirty" : "");
}

static int width(int w, const char *s)
{
	int n = (int)strlen(s);

	return n > w ? n : w;
}

static void print_text(const struct history *h)
{
	int w_commit = ROGER_SHORT_COMMIT_LEN, w_out = 7, w_env = 3, w_by = 11;
	int w_changes = 7;
	char commit[64];

	for (size_t i = 0; i < h->shown; i++) {
		const struct entry *e = &h->e[i];

		commit_text(commit, sizeof(commit), e);
		w_commit = width(w_commit, commit);
		w_out = width(w_out, outcome_text(e));
		w_env = width(w_env, env_name(e));
		w_by = width(w_by, made_by(e));
		w_changes = width(w_changes, e->summary);
	}
	printf("  %-24s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", "VERSION",
	       w_commit, "COMMIT", w_out, "OUTCOME", w_env, "ENV", w_by,
	       "DEPLOYED BY", w_changes, "CHANGES", "SUBJECT");
	for (size_t i = 0; i < h->shown; i++) {
		const struct entry *e = &h->e[i];
		bool live = h->live && !strcmp(e->version, h->live);
		struct roger_buf line = ROGER_BUF_INIT;

		commit_text(commit, sizeof(commit), e);
		roger_buf_addf(
			&line, "%s %-24s  %-*s  %-*s  %-*s  %-*s  %-*s  %s",
			live ? "*" : " ", e->version, w_commit, commit, w_out,
			outcome_text(e), w_env, env_name(e), w_by, made_by(e),
			w_changes, e->summary, e->subject ? e->subject : "-");
		/* no trailing blanks when the subject is short */
		while (line.len && line.buf[line.len - 1] == ' ')
			roger_buf_truncate(&line, line.len - 1);
		printf("%s%s%s\n", live ? cli_color(h->cli, "green") : "",
		       line.buf, live ? cli_color(h->cli, "reset") : "");
		roger_buf_release(&line);
	}
	if (h->shown < h->versions->n && !h->cli->quiet)
		cli_error(
			"showing the %zu newest of %zu versions; -n all shows every one",
			h->shown, h->versions->n);
}

static json_t *rollback_json(const struct entry *e)
{
	const struct roger_release_rollback *r = &e->rollback;

	if (!e->is_rollback)
		return json_null();
	return json_pack("{s:s, s:o, s:o, s:s, s:o}", "of", r->of, "to",
			 cli_json_str(r->to), "commit", cli_json_str(r->commit),
			 "cause", r->failed ? "failed" : "requested", "by",
			 cli_json_str(r->by));
}

static json_t *entry_json(const struct history *h, const struct entry *e)
{
	json_t *rel = cli_release_json(&e->rel, e->is_release);
	json_t *changes = json_null();

	if (e->known && roger_diff_to_json(&changes, e->changes, NULL) < 0)
		changes = NULL;
	return json_pack(
		"{s:s, s:b, s:b, s:o, s:s, s:o, s:o, s:o, s:o}", "version",
		e->version, "live", h->live && !strcmp(e->version, h->live),
		"gone", e->gone, "release", rel, "summary", e->summary,
		"changes", changes, "outcome",
		e->gone ? json_null()
		: e->deploying
			? json_string("deploying")
			: json_string(roger_release_outcome_id(e->outcome)),
		"rollback", rollback_json(e), "subject",
		cli_json_str(e->subject));
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

/* What one version shows besides its changes. */
struct one {
	const char *version;
	struct roger_release rel;
	bool is_release;
	struct roger_release_rollback rollback;
	bool is_rollback;
	enum roger_release_outcome outcome;
	bool deploying;
	char *subject;
};

static void print_one(const struct history *h, const struct one *o,
		      const char *previous, const struct roger_diff *d,
		      bool first)
{
	const struct roger_release *r = &o->rel;
	struct roger_buf b = ROGER_BUF_INIT;

	printf("version:    %s%s\n", o->version,
	       h->live && !strcmp(o->version, h->live) ? " (live)" : "");
	if (o->is_release) {
		printf("release:    commit %s%s, environment %s, deployed by %s with roger %s\n",
		       r->commit,
		       r->dirty ? " (dirty: uncommitted changes)" : "",
		       !r->env   ? "-"
		       : *r->env ? r->env
				 : "(base)",
		       or_dash(r->deployed_by), or_dash(r->roger_version));
		cli_print_image(r);
	} else {
		printf("release:    not deployed by roger (no %s label)\n",
		       ROGER_LABEL_COMMIT);
	}
	if (o->subject)
		printf("subject:    %s\n", o->subject);
	printf("outcome:    %s\n",
	       o->deploying ? "deploying"
			    : roger_release_outcome_name(o->outcome));
	if (o->is_rollback)
		printf("rollback:   of %s%s%.*s%s, %s by %s\n", o->rollback.of,
		       o->rollback.commit ? " (commit " : "",
		       ROGER_SHORT_COMMIT_LEN,
		       o->rollback.commit ? o->rollback.commit : "",
		       o->rollback.commit ? ")" : "",
		       o->rollback.failed ? "after it failed" : "requested",
		       or_dash(o->rollback.by));
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
	if (roger_diff_format_text(&b, d,
				   h->cli->color ? ROGER_DIFF_COLOR : 0) == 0)
		fputs(b.buf, stdout);
	roger_buf_release(&b);
}

/*
 * The rollbacks among the versions newer than index `i` (read one by one;
 * those gone are passed over), into a new array of *n in *out, borrowing
 * from the definitions kept in `defs`.
 */
static int newer_rollbacks(struct roger_release_rollback **out, size_t *n,
			   json_t *defs, struct history *h,
			   struct roger_marathon *m, size_t i)
{
	struct roger_err err = ROGER_ERR_INIT;

	*out = xcalloc(i + 1, sizeof(**out));
	*n = 0;
	for (size_t j = 0; j < i; j++) {
		json_t *d = NULL;

		if (roger_marathon_app_version(&d, m, h->app_id,
					       h->versions->items[j],
					       &err) < 0) {
			if (err.code != ROGER_ENOTFOUND)
				return cli_fail_app(h->cli, h->app_id, &err);
			roger_err_clear(&err);
			continue;
		}
		json_array_append_new(defs, d);
		if (roger_release_rollback_info(&(*out)[*n], d))
			(*n)++;
	}
	return ROGER_EXIT_OK;
}

/*
 * `roger history VERSION`: one version (or the newest release of a
 * commit), what became of it and what changed from the version before it.
 */
static int show_one(struct history *h, struct roger_marathon *m,
		    const char *want)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_diff *d = NULL;
	struct roger_release_rollback *newer = NULL;
	struct one o = { 0 };
	json_t *def = NULL, *prev = NULL, *masked = NULL, *doc, *changes;
	json_t *defs = json_array();
	const char *previous = NULL;
	size_t i, n_newer = 0;
	int status;

	status = cli_find_version(h->cli, m, h->app_id, h->versions, want, &i,
				  &def);
	if (status)
		goto out;
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
	if ((status = newer_rollbacks(&newer, &n_newer, defs, h, m, i)) != 0)
		goto out;
	o.version = h->versions->items[i];
	o.is_release = roger_render_release(&o.rel, def);
	o.is_rollback = roger_release_rollback_info(&o.rollback, def);
	o.outcome =
		roger_release_outcome(o.version, prev, def, d, newer, n_newer);
	o.deploying =
		h->live_deploying && h->live && !strcmp(o.version, h->live);
	o.subject = o.is_release ? subject_of(h, o.rel.commit) : NULL;
	if (h->cli->output != OUTPUT_JSON) {
		print_one(h, &o, previous, d, i + 1 == h->versions->n);
		goto out;
	}
	changes = json_null();
	if (d && roger_diff_to_json(&changes, d, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	doc = json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:O, s:s, s:o}", "app",
			h->app_id, "version", o.version, "live",
			h->live && !strcmp(o.version, h->live), "release",
			cli_release_json(&o.rel, o.is_release), "previous",
			cli_json_str(previous), "changes", changes,
			"definition", masked, "outcome",
			o.deploying ? "deploying"
				    : roger_release_outcome_id(o.outcome),
			"subject", cli_json_str(o.subject));
	status = cli_print_doc(h->cli, doc);
out:
	free(o.subject);
	free(newer);
	json_decref(defs);
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
	h.live_deploying = app->n_deployments > 0;
	open_repo(&h);
	if (n > 0) {
		status = show_one(&h, m, argv[0]);
		goto out;
	}
	h.shown = (size_t)count < h.versions->n ? (size_t)count : h.versions->n;
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
		free(h.e[i].subject);
	}
	free(h.e);
	roger_repo_free(h.repo);
	roger_marathon_versions_free(h.versions);
	roger_marathon_app_free(app);
	roger_marathon_free(m);
	return status;
}

const struct roger_cmd cmd_history = {
	.name = "history",
	.summary =
		"list the app's versions with their commits and who deployed them",
	.operands = "[version | commit]",
	.max_operands = 1,
	.opts = history_opts,
	.args = ARG_VERSION,
	.run = history_run,
};
