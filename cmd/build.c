/*
 * build.c - `roger build`: package a commit of the project into its
 * artifact (running build.command first when roger.json has one) and
 * print where it is and what it is.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

enum {
	OPT_ALLOW_DIRTY = OPT_LONG,
	OPT_NO_CACHE,
	OPT_REF,
};

static const struct cmd_opt build_opts[] = {
	{ OPT_ALLOW_DIRTY, "allow-dirty", NULL, ARG_NONE, NULL, "package the work tree as it is when it has uncommitted changes" },
	{ OPT_NO_CACHE, "no-cache", NULL, ARG_NONE, NULL, "package again even when the cache has the artifact" },
	{ OPT_REF, "ref", "REF", ARG_REF, NULL, "package this branch, tag or commit instead of HEAD" },
	{ 0 },
};

struct progress {
	struct cli *cli;
	int64_t last_ms;
	bool shown;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_progress(void *data, uint64_t files, uint64_t bytes)
{
	struct progress *p = data;
	int64_t now = now_ms();

	if (now - p->last_ms < 100)
		return;
	p->last_ms = now;
	p->shown = true;
	fprintf(stderr, "\rroger: packaging: %llu files, %.1f MiB\033[K",
		(unsigned long long)files, (double)bytes / (1024.0 * 1024.0));
	fflush(stderr);
}

static void clear_progress(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

static void on_output(void *data, const char *line)
{
	struct progress *p = data;
	struct cli *cli = p->cli;

	clear_progress(p);
	fprintf(stderr, "%sbuild:%s %s\n", cli_color(cli, "dim"),
		cli_color(cli, "reset"), line);
}

static void print_text(const struct roger_artifact *a)
{
	printf("artifact  %s\n", a->path);
	printf("sha256    %s\n", a->sha256);
	printf("size      %llu\n", (unsigned long long)a->size);
	printf("files     %llu\n", (unsigned long long)a->files);
	printf("commit    %s\n", a->commit);
	printf("dirty     %s\n", a->dirty ? "yes" : "no");
	printf("cached    %s\n", a->cached ? "yes" : "no");
}

static int print_json(struct cli *cli, const struct roger_artifact *a)
{
	json_t *doc = json_object(), *lfs = json_array();
	int status;

	if (!doc || !lfs) {
		json_decref(doc);
		json_decref(lfs);
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	for (size_t i = 0; i < a->n_lfs_pointers; i++)
		json_array_append_new(lfs, json_string(a->lfs_pointers[i]));
	json_object_set_new(doc, "path", json_string(a->path));
	json_object_set_new(doc, "sha256", json_string(a->sha256));
	json_object_set_new(doc, "size", json_integer((json_int_t)a->size));
	json_object_set_new(doc, "files", json_integer((json_int_t)a->files));
	json_object_set_new(doc, "commit", json_string(a->commit));
	json_object_set_new(doc, "tree", a->tree[0] ? json_string(a->tree)
						    : json_null());
	json_object_set_new(doc, "time", json_integer((json_int_t)a->time));
	json_object_set_new(doc, "dirty", json_boolean(a->dirty));
	json_object_set_new(doc, "cached", json_boolean(a->cached));
	json_object_set_new(doc, "lfs_pointers", lfs);
	status = cli_print_json(cli, doc);
	json_decref(doc);
	return status;
}

static void warn_lfs(const struct roger_artifact *a)
{
	size_t shown = a->n_lfs_pointers < 5 ? a->n_lfs_pointers : 5;

	for (size_t i = 0; i < shown; i++)
		cli_warn("'%s' is a Git LFS pointer: the artifact holds the pointer, not the file",
			 a->lfs_pointers[i]);
	if (a->n_lfs_pointers > shown)
		cli_warn("%zu more Git LFS pointers", a->n_lfs_pointers - shown);
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

static int build_run(struct cli *cli, int argc, char **argv)
{
	struct roger_build_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf tail = ROGER_BUF_INIT;
	struct roger_artifact *a = NULL;
	struct progress prog = { cli, 0, false };
	int c, status;

	while ((c = cli_getopt(cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_ALLOW_DIRTY:
			o.allow_dirty = true;
			break;
		case OPT_NO_CACHE:
			o.no_cache = true;
			break;
		case OPT_REF:
			o.ref = optarg;
			break;
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
				       argv[optind]);
	if (o.ref && o.allow_dirty)
		return cli_usage_error(cli, "--allow-dirty packages the work tree; it cannot go with --ref");
	status = cli_load_project(cli);
	if (status)
		return status;
	roger_build_opts_from_project(&o, cli->project);
	if (!cli->quiet)
		o.output_fn = on_output;
	o.output_data = &prog;
	o.output_tail = &tail;
	if (cli->stderr_tty && !cli->quiet) {
		o.progress_fn = on_progress;
		o.progress_data = &prog;
	}
	if (roger_pack_build(&a, cli->ctx, &o, &err) < 0) {
		clear_progress(&prog);
		status = cli_fail(&err);
		print_tail(cli, &tail);
		roger_buf_release(&tail);
		return status;
	}
	clear_progress(&prog);
	if (a->dirty)
		cli_warn("packaged the work tree with its uncommitted changes (--allow-dirty)");
	warn_lfs(a);
	if (cli->output == OUTPUT_JSON)
		status = print_json(cli, a);
	else {
		print_text(a);
		status = ROGER_EXIT_OK;
	}
	roger_artifact_free(a);
	roger_buf_release(&tail);
	return status;
}

const struct roger_cmd cmd_build = {
	.name = "build",
	.summary = "package a commit of the project into its artifact",
	.usage = "roger build [--allow-dirty] [--no-cache] [--ref ref]",
	.opts = build_opts,
	.run = build_run,
};
