/*
 * artifact.c - building and pushing the project's artifact on behalf of a
 * command: what `roger build`, `roger push` and `roger deploy` share.
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

#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

/* ---- build --------------------------------------------------------------- */

struct progress {
	struct cli *cli;
	int64_t last_ms;
	bool shown;
	/* uploads */
	int64_t start_ms;
	uint64_t last_sent;
};

static void clear_progress(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

static void on_pack_progress(void *data, uint64_t files, uint64_t bytes)
{
	struct progress *p = data;
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
	struct progress *p = data;
	struct cli *cli = p->cli;

	clear_progress(p);
	fprintf(stderr, "%sbuild:%s %s\n", cli_color(cli, "dim"),
		cli_color(cli, "reset"), line);
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

int cli_build_artifact(struct cli *cli, const struct cli_build_args *args,
		       struct roger_artifact **out)
{
	struct roger_build_opts o = { 0 };
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf tail = ROGER_BUF_INIT;
	struct progress prog = { 0 };
	int status;

	if (args->ref && args->allow_dirty)
		return cli_usage_error(cli, "--allow-dirty packages the work tree; it cannot go with --ref");
	status = cli_load_project(cli);
	if (status)
		return status;
	o.ref = args->ref;
	o.allow_dirty = args->allow_dirty;
	o.no_cache = args->no_cache;
	roger_build_opts_from_project(&o, cli->project);
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
		cli_warn("packaged the work tree with its uncommitted changes (--allow-dirty)");
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
	struct progress *p = data;
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
	struct progress prog = { 0 };
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
