/*
 * apps.c - `roger apps`: the apps on the target, one line each: the id,
 * the instances running of those wanted, their health, and the release
 * (commit, environment) roger deployed, like `kubectl get deployments`.
 *
 * Which apps: in a project, the project's (its app id, and the ids its
 * environments give it when they set "app" or "group"), one GET each, an
 * app that is not on the target left out; with --all, or outside a
 * project, every app of the target (GET /v2/apps).  Marathon embeds the
 * counts and the deployments in progress in both.  Sorted by id.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static bool all_opt;

static const struct cmd_opt apps_opts[] = {
	OPT_BOOL(0, "all", &all_opt,
		 "every app of the target, not only the project's"),
	OPT_END(),
};

struct apps {
	struct cli *cli;
	/* what is shown: borrowed from `list` or from `own` */
	const struct roger_marathon_app **items;
	size_t n;
	struct roger_marathon_apps *list; /* --all */
	struct roger_marathon_app **own; /* the project's, one GET each */
	size_t n_own;
	bool project; /* the project's apps only */
};

/* ---- which apps ---------------------------------------------------------- */

static void add_id(char ***ids, size_t *n, const char *id)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*ids)[i], id))
			return;
	*ids = realloc(*ids, (*n + 1) * sizeof(**ids));
	if (!*ids) {
		cli_error("out of memory");
		cli_exit(ROGER_EXIT_FAILURE);
	}
	(*ids)[(*n)++] = xstrdup(id);
}

/*
 * "/group/app" from an environment that sets "app" or "group", with the
 * project's for the other (Marathon's rules are checked by the GET).
 */
static void env_id(struct roger_buf *b, const struct roger_project *p,
		   const json_t *env)
{
	const char *app = json_string_value(json_object_get(env, "app"));
	const char *group = json_string_value(json_object_get(env, "group"));
	size_t len;

	roger_buf_reset(b);
	if (!app && !group)
		return;
	group = group ? group : p->group;
	len = strlen(group);
	while (len && group[len - 1] == '/')
		len--;
	roger_buf_addf(b, "%s%.*s/%s", *group == '/' ? "" : "/", (int)len,
		       group, app ? app : p->app);
}

/* The ids of the project's app in every environment. */
static void project_ids(char ***ids, size_t *n, const struct roger_project *p)
{
	struct roger_buf b = ROGER_BUF_INIT;
	const char *name;
	json_t *env;

	add_id(ids, n, p->id);
	json_object_foreach(p->environments, name, env) {
		env_id(&b, p, env);
		if (b.len)
			add_id(ids, n, b.buf);
	}
	roger_buf_release(&b);
}

static int cmp_apps(const void *a, const void *b)
{
	const struct roger_marathon_app *x =
		*(const struct roger_marathon_app *const *)a;
	const struct roger_marathon_app *y =
		*(const struct roger_marathon_app *const *)b;

	return strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

static int read_all(struct apps *s, struct roger_marathon *m)
{
	struct roger_err err = ROGER_ERR_INIT;

	if (roger_marathon_list_apps(&s->list, m, NULL, NULL, 0, &err) < 0)
		return cli_fail_app(s->cli, "/", &err);
	s->items = xcalloc(s->list->n + 1, sizeof(*s->items));
	for (size_t i = 0; i < s->list->n; i++)
		s->items[s->n++] = &s->list->items[i];
	return ROGER_EXIT_OK;
}

static int read_project(struct apps *s, struct roger_marathon *m)
{
	struct roger_err err = ROGER_ERR_INIT;
	char **ids = NULL;
	size_t n = 0;
	int status = ROGER_EXIT_OK;

	project_ids(&ids, &n, s->cli->project);
	s->own = xcalloc(n + 1, sizeof(*s->own));
	s->items = xcalloc(n + 1, sizeof(*s->items));
	for (size_t i = 0; i < n && status == ROGER_EXIT_OK; i++) {
		struct roger_marathon_app *app = NULL;
		int rc = roger_marathon_get_app(&app, m, ids[i], 0, &err);

		if (rc == ROGER_ENOTFOUND) {
			roger_err_clear(&err);
			continue;
		}
		if (rc < 0) {
			status = cli_fail_app(s->cli, ids[i], &err);
			break;
		}
		s->own[s->n_own++] = app;
		s->items[s->n++] = app;
	}
	if (status == ROGER_EXIT_OK && s->n == 0 && !s->cli->quiet)
		cli_note(
			"app '%s' is not on target '%s'; --all lists every app there",
			s->cli->project->id, s->cli->resolved_target->name);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return status;
}

/* ---- output -------------------------------------------------------------- */

/* "2/3" of the instances wanted. */
static void instances_text(char *out, size_t size,
			   const struct roger_marathon_app *a)
{
	snprintf(out, size, "%d/%d", a->tasks_running, a->instances);
}

/* "2/3 healthy", "1 unhealthy", or "-" without health checks. */
static void health_text(char *out, size_t size,
			const struct roger_marathon_app *a)
{
	if (!a->n_health_checks)
		snprintf(out, size, "-");
	else if (a->tasks_unhealthy)
		snprintf(out, size, "%d unhealthy", a->tasks_unhealthy);
	else
		snprintf(out, size, "%d/%d healthy", a->tasks_healthy,
			 a->instances);
}

static void commit_text(char *out, size_t size, const struct roger_release *r,
			bool is_release)
{
	if (!is_release)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%.*s%s", ROGER_SHORT_COMMIT_LEN, r->commit,
			 r->dirty ? "-dirty" : "");
}

static const char *env_text(const struct roger_release *r, bool is_release)
{
	if (!is_release || !r->env)
		return "-";
	return *r->env ? r->env : "(base)";
}

static int width(int w, const char *s)
{
	int n = (int)strlen(s);

	return n > w ? n : w;
}

/* The columns of one app's line. */
struct row {
	const char *id, *env, *deployment;
	char inst[32], health[64], commit[64], address[512];
};

static void row_of(struct cli *cli, struct row *w,
		   const struct roger_marathon_app *a)
{
	struct roger_release r;
	bool rel = roger_render_release(&r, a->json);
	char *address = cli_stable_address(cli, a->json, a);

	snprintf(w->address, sizeof(w->address), "%s", address ? address : "-");
	free(address);

	instances_text(w->inst, sizeof(w->inst), a);
	health_text(w->health, sizeof(w->health), a);
	commit_text(w->commit, sizeof(w->commit), &r, rel);
	w->id = a->id ? a->id : "-";
	w->env = env_text(&r, rel);
	w->deployment = a->n_deployments ? a->deployments[0] : "-";
}

static void print_text(const struct apps *s)
{
	int w_id = 2, w_addr = 7, w_inst = 9, w_health = 6, w_commit = 6;
	int w_env = 3;
	struct row w;

	for (size_t i = 0; i < s->n; i++) {
		row_of(s->cli, &w, s->items[i]);
		w_id = width(w_id, w.id);
		w_addr = width(w_addr, w.address);
		w_inst = width(w_inst, w.inst);
		w_health = width(w_health, w.health);
		w_commit = width(w_commit, w.commit);
		w_env = width(w_env, w.env);
	}
	if (!s->n)
		return;
	printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w_id, "ID", w_addr,
	       "ADDRESS", w_inst, "INSTANCES", w_health, "HEALTH", w_commit,
	       "COMMIT", w_env, "ENV", "DEPLOYMENT");
	for (size_t i = 0; i < s->n; i++) {
		row_of(s->cli, &w, s->items[i]);
		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w_id, w.id,
		       w_addr, w.address, w_inst, w.inst, w_health, w.health,
		       w_commit, w.commit, w_env, w.env, w.deployment);
	}
}

static json_t *app_json(struct cli *cli, const struct roger_marathon_app *a)
{
	json_t *deps = json_array(), *doc;
	struct roger_release r;
	bool rel = roger_render_release(&r, a->json);
	char *address = cli_stable_address(cli, a->json, a);

	for (size_t i = 0; i < a->n_deployments; i++)
		json_array_append_new(deps, json_string(a->deployments[i]));
	doc = json_pack(
		"{s:o, s:o, s:o, s:{s:i, s:i, s:i, s:i, s:i}, s:b, s:o,"
		" s:o}",
		"id", cli_json_str(a->id), "address", cli_json_str(address),
		"version", cli_json_str(a->version), "instances", "wanted",
		a->instances, "running", a->tasks_running, "staged",
		a->tasks_staged, "healthy", a->tasks_healthy, "unhealthy",
		a->tasks_unhealthy, "health_checks", a->n_health_checks > 0,
		"release", cli_release_json(&r, rel), "deployments", deps);
	free(address);
	return doc;
}

static int print_json(const struct apps *s)
{
	json_t *list = json_array();

	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(list, app_json(s->cli, s->items[i]));
	return cli_print_doc(s->cli,
			     json_pack("{s:s, s:b, s:o}", "target",
				       s->cli->resolved_target->name, "all",
				       !s->project, "apps", list));
}

/* ---- the command --------------------------------------------------------- */

static int apps_run(struct cli *cli, int argc, char **argv)
{
	struct roger_marathon *m = NULL;
	struct apps s = { 0 };
	int status;

	cli_parse_options(cli, argc, argv);
	s.cli = cli;
	/* outside a project, every app: there is no "this project" */
	if (!all_opt && !cli->project)
		(void)roger_project_load(&cli->project, cli->ctx, cli->dir,
					 NULL);
	s.project = !all_opt && cli->project;
	if ((status = cli_marathon(cli, false, &m)) != 0)
		goto out;
	status = s.project ? read_project(&s, m) : read_all(&s, m);
	if (status)
		goto out;
	if (s.n > 1)
		qsort(s.items, s.n, sizeof(*s.items), cmp_apps);
	if (cli->output == OUTPUT_JSON)
		status = print_json(&s);
	else
		print_text(&s);
out:
	for (size_t i = 0; i < s.n_own; i++)
		roger_marathon_app_free(s.own[i]);
	free(s.own);
	free(s.items);
	roger_marathon_apps_free(s.list);
	roger_marathon_free(m);
	return status;
}

const struct roger_cmd cmd_apps = {
	.name = "apps",
	.summary = "list the apps on the target: instances, health, release",
	.opts = apps_opts,
	.run = apps_run,
};
