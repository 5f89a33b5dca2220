/*
 * artifact.c - building and pushing the project's artifact on behalf of a
 * command: what `roger build`, `roger push` and `roger deploy` share.  The
 * artifact of an app with an `image` section is a container image
 * (lib/image.h): built here too, pushed to the target's registry; an app
 * whose container names an image built elsewhere has none.
 *
 * The library does the work (roger_pack_build, roger_store_push); this file
 * is the terminal side of it: the build command's output prefixed with
 * "build:", the packaging progress and the upload progress bar on a
 * terminal (never off one, never with -q), the last lines of a failed build
 * command, and the warnings about dirty work trees and Git LFS pointers.
 * Progress lines are drawn on stderr with "\r" and erased before anything
 * else is printed, so they never mix with real output.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

/* ---- build --------------------------------------------------------------- */

static void clear_progress(struct cli_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

static void on_pack_progress(void *data, uint64_t files, uint64_t bytes)
{
	struct cli_progress *p = data;
	int64_t now = roger_ctx_now_ms(p->cli->ctx);

	if (now - p->last_ms < 100)
		return;
	p->last_ms = now;
	p->shown = true;
	fprintf(stderr, "\rroger: packaging: %llu files, %.1f MiB\033[K",
		(unsigned long long)files, (double)bytes / (1024.0 * 1024.0));
	fflush(stderr);
}

static void on_output(void *data, const char *line)
{
	struct cli_progress *p = data;
	struct cli *cli = p->cli;

	clear_progress(p);
	fprintf(stderr, "%sbuild:%s %s\n", cli_color(cli, "dim"),
		cli_color(cli, "reset"), line);
}

static void warn_lfs(const struct roger_artifact *a)
{
	size_t shown = a->n_lfs_pointers < 5 ? a->n_lfs_pointers : 5;

	for (size_t i = 0; i < shown; i++)
		cli_warn(
			"'%s' is a Git LFS pointer: the artifact holds the pointer, not the file",
			a->lfs_pointers[i]);
	if (a->n_lfs_pointers > shown)
		cli_warn("%zu more Git LFS pointers",
			 a->n_lfs_pointers - shown);
}

static void print_tail(struct cli *cli, const struct roger_buf *tail)
{
	const char *p = tail->buf;

	if (!tail->len)
		return;
	fputs("roger: last lines of its output:\n", stderr);
	while (*p) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "%s  | %.*s%s\n", cli_color(cli, "dim"), (int)n,
			p, cli_color(cli, "reset"));
		p += n + (p[n] == '\n');
	}
}

/* ---- which roger.json -------------------------------------------------- */

/* The environment's target name in `p` (NULL: none, or no -e). */
static const char *env_target(const struct cli *cli,
			      const struct roger_project *p)
{
	const char *name = NULL;

	if (cli->env &&
	    roger_project_environment(p, cli->env, NULL, &name, NULL) < 0)
		return NULL;
	return name;
}

static bool same_name(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Put `p` in the place of the project, re-resolving what depended on it. */
static int swap_project(struct cli *cli, struct roger_project *p)
{
	bool retarget =
		cli->resolved_target &&
		!same_name(env_target(cli, cli->project), env_target(cli, p));
	struct roger_err err = ROGER_ERR_INIT;

	if (roger_project_check_env(p, cli->env, &err) < 0) {
		roger_project_free(p);
		return cli_fail(&err);
	}
	roger_project_free(cli->project);
	cli->project = p;
	free(cli->app_id);
	cli->app_id = NULL;
	if (!retarget)
		return ROGER_EXIT_OK;
	roger_target_free(cli->resolved_target);
	cli->resolved_target = NULL;
	return cli_load_target(cli);
}

/* Without --ref: roger.json must be HEAD's, unless --allow-dirty. */
static int check_committed(struct cli *cli, struct roger_repo *repo,
			   const struct cli_build_args *args)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf head = ROGER_BUF_INIT, disk = ROGER_BUF_INIT;
	struct roger_commit_info ci;
	const struct roger_project *p = cli->project;
	char *in_repo = *p->subdir ? roger_path_join(p->subdir, "roger.json")
				   : xstrdup("roger.json");
	const char *why = NULL;
	bool has = false;
	int status = ROGER_EXIT_OK;

	if (!in_repo) {
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	/* an empty repository: the build says there is nothing to build */
	if (roger_repo_resolve(&ci, repo, NULL, &err) == ROGER_ENOTFOUND)
		goto out;
	if (roger_repo_head_has_file(&has, repo, in_repo, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	if (!has) {
		why = "is not committed";
	} else if (roger_repo_read_file(&head, repo, ci.id, in_repo, &err) <
			   0 ||
		   roger_fs_read_file(&disk, p->path, &err) < 0) {
		status = cli_fail(&err);
		goto out;
	} else if (head.len != disk.len ||
		   memcmp(head.buf, disk.buf, head.len)) {
		why = "has uncommitted changes";
	}
	if (!why)
		goto out;
	if (!args->allow_dirty) {
		cli_error(
			"'%s' %s; commit it, or pass --allow-dirty to use the work tree as it is",
			p->display, why);
		status = ROGER_EXIT_FAILURE;
	} else {
		cli->project_dirty = true;
		if (!cli->quiet)
			cli_warn(
				"'%s' %s: using it as it is in the work tree (--allow-dirty)",
				p->display, why);
	}
out:
	roger_buf_release(&head);
	roger_buf_release(&disk);
	free(in_repo);
	return status;
}

/*
 * The build options of `args` for the project, the same wherever a
 * command builds.
 */
static void build_opts(struct roger_build_opts *o, const struct cli *cli,
		       const struct cli_build_args *args)
{
	memset(o, 0, sizeof(*o));
	o->ref = args->commit[0] ? args->commit : args->ref;
	o->allow_dirty = args->allow_dirty;
	o->no_cache = args->no_cache;
	roger_build_opts_from_project(o, cli->project);
}

/*
 * The artifact of a build with nothing to do, found by cli_use_ref() from
 * the last clean build's record (roger_pack_build_unchanged) and handed to
 * cli_build_artifact(): such a build opens no repository at all.  The
 * record covers roger.json too, so it is HEAD's.
 */
static struct roger_artifact *unchanged;

static int try_unchanged(struct cli *cli, const struct cli_build_args *args)
{
	const struct roger_project *p = cli->project;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_build_opts o;
	char *tracked = *p->subdir ? roger_path_join(p->subdir, "roger.json")
				   : xstrdup("roger.json");
	int rc;

	if (!tracked) {
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	build_opts(&o, cli, args);
	roger_artifact_free(unchanged);
	unchanged = NULL;
	rc = roger_pack_build_unchanged(&unchanged, cli->ctx, &o, tracked,
					&err);
	free(tracked);
	return rc < 0 ? cli_fail(&err) : ROGER_EXIT_OK;
}

int cli_use_ref(struct cli *cli, struct cli_build_args *args)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_repo *repo = NULL;
	struct roger_project *p = NULL;
	struct roger_commit_info ci;
	int status;

	if (args->ref && args->allow_dirty)
		return cli_usage_error(
			cli,
			"--allow-dirty packages the work tree; it cannot go with --ref");
	if ((status = cli_load_project(cli)) != 0)
		return status;
	if (!args->ref && !cli->project->image) {
		status = try_unchanged(cli, args);
		if (status != ROGER_EXIT_OK || unchanged)
			return status;
	}
	if (roger_repo_discover(&repo, cli->project->workdir, &err) < 0)
		return cli_fail(&err);
	if (!args->ref) {
		status = check_committed(cli, repo, args);
		goto out;
	}
	if (roger_repo_resolve(&ci, repo, args->ref, &err) < 0 ||
	    roger_project_load_commit(&p, cli->project, repo, ci.id, &err) <
		    0) {
		status = err.code == ROGER_EUSAGE
				 ? cli_usage_error(cli, "%s", err.msg)
				 : cli_fail(&err);
		goto out;
	}
	snprintf(args->commit, sizeof(args->commit), "%s", ci.id);
	status = swap_project(cli, p);
out:
	roger_repo_free(repo);
	return status;
}

int cli_build_artifact(struct cli *cli, const struct cli_build_args *args,
		       struct roger_artifact **out)
{
	struct roger_build_opts o;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf tail = ROGER_BUF_INIT;
	struct cli_progress prog = { 0 };
	int status;

	if (args->ref && args->allow_dirty)
		return cli_usage_error(
			cli,
			"--allow-dirty packages the work tree; it cannot go with --ref");
	status = cli_load_project(cli);
	if (status)
		return status;
	if (unchanged && !args->ref && !args->no_cache) {
		*out = unchanged;
		unchanged = NULL;
		warn_lfs(*out);
		return ROGER_EXIT_OK;
	}
	build_opts(&o, cli, args);
	prog.cli = cli;
	if (!cli->quiet)
		o.output_fn = on_output;
	o.output_data = &prog;
	o.output_tail = &tail;
	if (cli->stderr_tty && !cli->quiet) {
		o.progress_fn = on_pack_progress;
		o.progress_data = &prog;
	}
	if (roger_pack_build(out, cli->ctx, &o, &err) < 0) {
		clear_progress(&prog);
		status = cli_fail(&err);
		print_tail(cli, &tail);
		roger_buf_release(&tail);
		return status;
	}
	clear_progress(&prog);
	roger_buf_release(&tail);
	if ((*out)->dirty)
		cli_warn(
			"packaged the work tree with its uncommitted changes (--allow-dirty)");
	warn_lfs(*out);
	return ROGER_EXIT_OK;
}

/* ---- push ---------------------------------------------------------------- */

/* "1.5 MiB" (or "12.0 KiB" below a MiB) into `buf`. */
static const char *mib(char *buf, size_t n, double bytes)
{
	if (bytes < 1024.0 * 1024.0)
		snprintf(buf, n, "%.1f KiB", bytes / 1024.0);
	else
		snprintf(buf, n, "%.1f MiB", bytes / (1024.0 * 1024.0));
	return buf;
}

/*
 * The bar: "roger: uploading [#######      ]  45%  90.0/200.0 MiB
 * 85.3 MiB/s  0:02 left", redrawn at most ten times a second.
 */
static void on_push_progress(void *data, uint64_t sent, uint64_t total)
{
	struct cli_progress *p = data;
	int64_t now = roger_ctx_now_ms(p->cli->ctx), elapsed;
	char bar[25], done[32], all[32], rate[32], left[32];
	double bps = 0;
	int pct, fill;

	if (sent < p->last_sent || !p->start_ms)
		p->start_ms = now; /* a retry starts again */
	p->last_sent = sent;
	if (now - p->last_ms < 100 && sent < total)
		return;
	p->last_ms = now;
	elapsed = now - p->start_ms;
	if (elapsed > 0)
		bps = (double)sent * 1000.0 / (double)elapsed;
	pct = total ? (int)(sent * 100 / total) : 100;
	fill = pct * 24 / 100;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(24 - fill));
	bar[24] = '\0';
	if (bps > 0 && elapsed >= 500) {
		long secs = (long)((double)(total - sent) / bps + 0.5);

		snprintf(rate, sizeof(rate), "%.1f MiB/s",
			 bps / (1024.0 * 1024.0));
		snprintf(left, sizeof(left), "%ld:%02ld left", secs / 60,
			 secs % 60);
	} else {
		snprintf(rate, sizeof(rate), "-- MiB/s");
		snprintf(left, sizeof(left), "-:-- left");
	}
	mib(done, sizeof(done), (double)sent);
	mib(all, sizeof(all), (double)total);
	p->shown = true;
	fprintf(stderr, "\rroger: uploading [%s] %3d%%  %s/%s  %s  %s\033[K",
		bar, pct, done, all, rate, left);
	fflush(stderr);
}

int cli_push_artifact(struct cli *cli, const struct roger_artifact *a,
		      bool dry_run, struct roger_store_result *out)
{
	struct roger_store_push_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct cli_progress prog = { 0 };
	const char *app_id;
	int status, rc;

	if ((status = cli_app_id(cli, NULL, &app_id)) != 0 ||
	    (status = cli_load_target(cli)) != 0)
		return status;
	if (cli->resolved_target->is_local && !dry_run &&
	    (status = cli_start_local(cli)) != 0)
		return status;
	o.dry_run = dry_run;
	prog.cli = cli;
	if (cli->stderr_tty && !cli->quiet && !dry_run) {
		o.progress_fn = on_push_progress;
		o.progress_data = &prog;
	}
	rc = roger_store_push(out, cli->ctx, cli->resolved_target, app_id, a,
			      &o, &err);
	clear_progress(&prog);
	if (rc < 0)
		return cli_fail(&err);
	if (cli->stderr_tty && !cli->quiet && !dry_run && !out->skipped) {
		char size[32];
		double secs = (double)out->elapsed_ms / 1000.0;

		fprintf(stderr, "roger: uploaded %s in %.1f s (%.1f MiB/s)\n",
			mib(size, sizeof(size), (double)out->size), secs,
			secs > 0 ? (double)out->size / (1024.0 * 1024.0) / secs
				 : 0.0);
	}
	return ROGER_EXIT_OK;
}

/* ---- images -------------------------------------------------------------- */

int cli_app_kind(struct cli *cli, enum cli_app_kind *kind, char **external)
{
	struct roger_err err = ROGER_ERR_INIT;
	json_t *merged = NULL;
	const char *ref;
	int status;

	if ((status = cli_load_project(cli)) != 0)
		return status;
	if (external)
		*external = NULL;
	if (cli->project->image) {
		*kind = CLI_APP_IMAGE;
		return ROGER_EXIT_OK;
	}
	if (roger_project_environment(cli->project, cli->env, &merged, NULL,
				      &err) < 0)
		return cli_fail(&err);
	ref = roger_render_external_image(merged);
	*kind = ref ? CLI_APP_EXTERNAL : CLI_APP_ARTIFACT;
	if (ref && external)
		*external = xstrdup(ref);
	json_decref(merged);
	return ROGER_EXIT_OK;
}

int cli_resolve_commit(struct cli *cli, const struct cli_build_args *args,
		       char *out)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_repo *repo = NULL;
	struct roger_commit_info ci;
	int status;

	if ((status = cli_load_project(cli)) != 0)
		return status;
	if (roger_repo_discover(&repo, cli->project->dir, &err) < 0 ||
	    roger_repo_resolve(&ci, repo, args->ref, &err) < 0) {
		roger_repo_free(repo);
		return err.code == ROGER_EUSAGE
			       ? cli_usage_error(cli, "%s", err.msg)
			       : cli_fail(&err);
	}
	roger_repo_free(repo);
	memcpy(out, ci.id, sizeof(ci.id));
	return ROGER_EXIT_OK;
}

/* Progress of one blob's upload: the bar of artifacts, blob by blob. */
static void on_blob_progress(void *data, const char *digest, uint64_t sent,
			     uint64_t total)
{
	struct cli_progress *p = data;

	(void)digest;
	on_push_progress(p, sent, total);
}

/*
 * The API base URL of the target's registry (a new string), or NULL when
 * the target has none: its own URL, else https, or http for a loopback
 * host, as Mesos decides (REGISTRY.md section 12).
 */
static char *registry_url(const struct roger_target *t)
{
	const char *host = t->registry;
	bool loopback;
	char *url;

	if (t->registry_url)
		return xstrdup(t->registry_url);
	if (!host)
		return NULL;
	loopback = !strncmp(host, "127.", 4) ||
		   !strncmp(host, "localhost", 9) || !strncmp(host, "[::1]", 5);
	if (asprintf(&url, "%s://%s", loopback ? "http" : "https", host) < 0)
		cli_exit(ROGER_EXIT_FAILURE);
	return url;
}

/*
 * The pool for an image of the project: the target's registry first
 * (with its credentials), any other registry a base names after it, with
 * Docker's config.json.  roger local's own registry (the local target's,
 * known from its server) takes the local token as a Basic password.
 */
static int image_pool(struct cli *cli, struct cli_image *im,
		      struct roger_err *err)
{
	const struct roger_target *t = cli->resolved_target;
	struct roger_registry_pool_opts o = { 0 };
	struct roger_registry_auth auth = { 0 };
	const char *urls[2] = { NULL, NULL };

	im->url = registry_url(t);
	urls[0] = im->url;
	o.urls = urls;
	if (t->registry_auth.kind == ROGER_AUTH_BASIC) {
		auth.user = t->registry_auth.user;
		auth.password = t->registry_auth.password;
	} else if (t->registry_auth.kind == ROGER_AUTH_TOKEN) {
		auth.token = t->registry_auth.token;
	} else if (t->is_local && t->registry && !t->registry_url &&
		   t->auth.token) {
		auth.user = "roger";
		auth.password = t->auth.token;
	}
	if (auth.user || auth.token)
		o.target_auth = &auth;
	o.ca_file = t->registry_ca_file;
	if (cli->request_timeout_ms > 0)
		o.connect_timeout_ms = cli->request_timeout_ms < 10000
					       ? (long)cli->request_timeout_ms
					       : 10000;
	im->prog.cli = cli;
	if (cli->stderr_tty && !cli->quiet) {
		o.progress_fn = on_blob_progress;
		o.progress_data = &im->prog;
	}
	return roger_registry_pool_new(&im->pool, cli->ctx, &o, err);
}

void cli_image_free(struct cli_image *im)
{
	if (!im)
		return;
	roger_image_free(im->img);
	roger_registry_pool_free(im->pool);
	roger_image_push_result_release(&im->pushed);
	free(im->url);
	free(im->repository);
	free(im->pinned);
	free(im->tagged);
	free(im->base_pinned);
	free(im);
}

/* The names of the image: where it goes, and what it was built on. */
static void image_names(struct cli *cli, struct cli_image *im)
{
	const struct roger_target *t = cli->resolved_target;
	const struct roger_image *img = im->img;
	const char *id = cli->project->id + 1, *prefix = t->registry_prefix;
	size_t at = strcspn(img->base, "@");

	roger_image_tag(im->tag, img->commit, img->digest);
	if (asprintf(&im->base_pinned, "%.*s@%s", (int)at, img->base,
		     img->base_digest) < 0)
		cli_exit(ROGER_EXIT_FAILURE);
	im->runtime = cli->project->image->runtime;
	if (!t->registry)
		return;
	if (asprintf(&im->repository, "%s%s%s", prefix ? prefix : "",
		     prefix && *prefix ? "/" : "", id) < 0 ||
	    asprintf(&im->pinned, "%s/%s@%s", t->registry, im->repository,
		     img->digest) < 0 ||
	    asprintf(&im->tagged, "%s/%s:%s", t->registry, im->repository,
		     im->tag) < 0)
		cli_exit(ROGER_EXIT_FAILURE);
	/* the Docker daemon pulls by digest; Mesos <= 1.7 only by tag */
	im->reference = strcmp(im->runtime, "MESOS") ? im->pinned : im->tagged;
}

int cli_check_registry(struct cli *cli, bool start)
{
	const struct roger_target *t;
	int status;

	if ((status = cli_load_target(cli)) != 0)
		return status;
	t = cli->resolved_target;
	if (!t->registry && t->is_local && start &&
	    (status = cli_start_local(cli)) != 0)
		return status;
	if (t->registry)
		return ROGER_EXIT_OK;
	if (t->is_local && !t->local_running) {
		/* as a dry run of an artifact's push says it (4) */
		cli_error(
			"roger local is not running (state in '%s'): start it with 'roger local up' for its registry, or set \"local\": {\"registry\": URL} in %s",
			t->local_state_dir,
			cli->user_config ? cli->user_config->path
					 : "the user config");
		return ROGER_EXIT_UNREACHABLE;
	}
	if (t->is_local)
		cli_error(
			"the local target has no registry to push images to: its server runs without one; set \"local\": {\"registry\": URL} in %s",
			cli->user_config ? cli->user_config->path
					 : "the user config");
	else
		cli_error(
			"target '%s' has no registry to push images to: add \"registry\": URL to it in %s, or set ROGER_REGISTRY_URL",
			t->name,
			cli->user_config ? cli->user_config->path
					 : "the user config");
	return ROGER_EXIT_INVALID;
}

int cli_build_image(struct cli *cli, const struct cli_build_args *args,
		    struct cli_image **out)
{
	struct roger_image_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf tail = ROGER_BUF_INIT;
	struct cli_image *im;
	int status, rc;

	if (args->ref && args->allow_dirty)
		return cli_usage_error(
			cli,
			"--allow-dirty packages the work tree; it cannot go with --ref");
	if ((status = cli_load_project(cli)) != 0 ||
	    (status = cli_load_target(cli)) != 0)
		return status;
	im = xcalloc(1, sizeof(*im));
	roger_image_opts_from_project(&o, cli->project);
	o.build.ref = args->ref;
	o.build.allow_dirty = args->allow_dirty;
	o.build.no_cache = args->no_cache;
	im->prog.cli = cli;
	if (!cli->quiet)
		o.build.output_fn = on_output;
	o.build.output_data = &im->prog;
	o.build.output_tail = &tail;
	if (cli->stderr_tty && !cli->quiet) {
		o.build.progress_fn = on_pack_progress;
		o.build.progress_data = &im->prog;
	}
	rc = image_pool(cli, im, &err);
	if (rc == 0)
		rc = roger_image_build(&im->img, cli->ctx, im->pool, &o, &err);
	clear_progress(&im->prog);
	if (rc < 0) {
		/* the base the project names does not exist: its configuration
		 */
		if (rc == ROGER_ENOTFOUND)
			err.code = ROGER_EINVALID;
		status = cli_fail(&err);
		print_tail(cli, &tail);
		roger_buf_release(&tail);
		cli_image_free(im);
		return status;
	}
	roger_buf_release(&tail);
	if (im->img->dirty)
		cli_warn(
			"packaged the work tree with its uncommitted changes (--allow-dirty)");
	image_names(cli, im);
	*out = im;
	return ROGER_EXIT_OK;
}

/* -n: whether the registry has the image already, and nothing sent. */
static int push_dry_run(struct cli *cli, struct cli_image *im)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_registry *r = NULL;
	char have[ROGER_DIGEST_SIZE] = "";
	bool exists = false;

	if (roger_registry_pool_get(&r, im->pool,
				    cli->resolved_target->registry, &err) < 0 ||
	    roger_registry_ping(r, &err) < 0 ||
	    roger_registry_manifest_head(&exists, have, r, im->repository,
					 im->tag, &err) < 0)
		return cli_fail(&err);
	im->pushed.already = exists && !strcmp(have, im->img->digest);
	snprintf(im->pushed.tag, sizeof(im->pushed.tag), "%s", im->tag);
	return ROGER_EXIT_OK;
}

int cli_push_image(struct cli *cli, struct cli_image *im, bool dry_run)
{
	struct roger_image_push_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	int64_t start = roger_ctx_now_ms(cli->ctx);
	int status, rc;

	if ((status = cli_check_registry(cli, !dry_run)) != 0)
		return status;
	if (dry_run) {
		status = push_dry_run(cli, im);
		im->push_ms = roger_ctx_now_ms(cli->ctx) - start;
		return status;
	}
	o.registry = cli->resolved_target->registry;
	o.repository = im->repository;
	o.tag = im->tag;
	rc = roger_image_push(&im->pushed, cli->ctx, im->pool, im->img, &o,
			      &err);
	im->push_ms = roger_ctx_now_ms(cli->ctx) - start;
	clear_progress(&im->prog);
	if (rc < 0)
		return cli_fail(&err);
	im->was_pushed = !im->pushed.already;
	if (!cli->quiet && cli->output == OUTPUT_TEXT)
		fprintf(stderr,
			im->pushed.already
				? "roger: image '%s' is already there\n"
				: "roger: pushed image '%s'\n",
			im->tagged);
	return ROGER_EXIT_OK;
}

int cli_ship_image(struct cli *cli, const struct cli_build_args *args,
		   bool push, struct cli_image **out)
{
	int status;

	*out = NULL;
	if ((status = cli_check_registry(cli, push)) != 0 ||
	    (status = cli_build_image(cli, args, out)) != 0)
		return status;
	if (push && (status = cli_push_image(cli, *out, false)) != 0) {
		cli_image_free(*out);
		*out = NULL;
	}
	return status;
}

json_t *cli_image_json(const struct cli_image *im)
{
	const struct roger_image *img = im->img;
	json_t *layers = json_array(), *doc;

	if (!layers)
		cli_exit(ROGER_EXIT_FAILURE);
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct roger_image_layer *l = &img->layers[i];

		if (json_array_append_new(
			    layers,
			    json_pack("{s:s, s:s, s:I, s:s, s:s}", "digest",
				      l->digest, "diff_id", l->diff_id, "size",
				      (json_int_t)l->size, "media_type",
				      l->media_type, "from",
				      l->path ? "tree" : "base")) < 0)
			cli_exit(ROGER_EXIT_FAILURE);
	}
	doc = json_pack(
		"{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:o}", "digest",
		img->digest, "config", img->config_digest, "tag", im->tag,
		"reference", cli_json_str(im->reference), "pinned",
		cli_json_str(im->pinned), "tagged", cli_json_str(im->tagged),
		"runtime", im->runtime, "base",
		json_pack("{s:s, s:s, s:o, s:s}", "reference", img->base,
			  "digest", img->base_digest, "index_digest",
			  img->base_index_digest[0]
				  ? json_string(img->base_index_digest)
				  : json_null(),
			  "pinned", im->base_pinned));
	if (!doc)
		cli_exit(ROGER_EXIT_FAILURE);
	cli_json_set(doc, "layers", layers);
	cli_json_set(doc, "workdir", json_string(img->workdir));
	return doc;
}
