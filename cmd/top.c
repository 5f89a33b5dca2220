/*
 * top.c - `roger top`: what the app's tasks consume, cpu and memory
 * against their limits, per task and summed (lib/stats.c computes it
 * from the agents' /monitor/statistics).
 *
 * Cpu needs two samples: the share of its limit a task used between them.
 * On a terminal (stdout and stdin both), the command takes a sample every
 * --interval (2 s) and redraws a table with a bar per task on the
 * alternate screen, at once when the window changes size; `q` or Ctrl-C
 * quits, and the terminal's modes and screen are put back on every way
 * out.  Off a terminal, or with -o json, it takes two samples --interval
 * apart and prints one snapshot: a table, or a JSON document.
 *
 * Each round asks Marathon for the app's tasks again, so tasks that start
 * appear and tasks that end go; an agent that does not answer costs only
 * the numbers of its tasks (shown as '-', with the reason in JSON).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "util/term.h"

#define DEFAULT_INTERVAL_MS 2000
#define AGENT_TIMEOUT_MS 5000L

static const char *app_opt;
static int64_t interval_ms = DEFAULT_INTERVAL_MS;

static const struct cmd_opt top_opts[] = {
	OPT_STRING(0, "app", &app_opt, "id", ARG_APP,
		   "another app of the target instead of the project's"),
	OPT_DURATION(0, "interval", &interval_ms, 200, CLI_DAY,
		     "time between two samples (default 2s)"),
	OPT_END(),
};

/* One row: a task, or the total. */
struct row {
	char name[64];
	const char *id; /* NULL for the total */
	const char *host;
	struct roger_stats_usage u;
	bool has_sample; /* the agent reported the task */
	const char *error;
};

struct top {
	struct cli *cli;
	const char *app_id;
	struct roger_marathon *m;
	struct roger_mesos *mesos;
	struct roger_marathon_tasks *tasks;
	struct roger_stats_sample *prev, *cur;
	struct row *rows; /* tasks, then the total */
	size_t n_rows;
};

/* ---- sampling ------------------------------------------------------------------- */

/* The app's tasks again, and a new sample of them; the old one kept. */
static int sample(struct top *t)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon_tasks *tasks = NULL;
	struct roger_stats_sample *s = NULL;

	if (roger_logs_app_tasks(&tasks, t->m, t->app_id, 0, &err) < 0)
		return cli_fail_app(t->cli, t->app_id, &err);
	if (roger_stats_sample(&s, t->mesos, tasks->items, tasks->n,
			       AGENT_TIMEOUT_MS, &err) < 0) {
		roger_marathon_tasks_free(tasks);
		return cli_fail(&err);
	}
	roger_stats_sample_free(t->prev);
	t->prev = t->cur;
	t->cur = s;
	roger_marathon_tasks_free(t->tasks);
	t->tasks = tasks;
	return ROGER_EXIT_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name,
		      ((const struct row *)b)->name);
}

/* The rows from the last two samples (the total last). */
static void compute(struct top *t)
{
	const char **taken;
	struct row *total;
	size_t n = 0;

	free(t->rows);
	t->rows = xcalloc(t->tasks->n + 1, sizeof(*t->rows));
	taken = xcalloc(t->tasks->n + 1, sizeof(*taken));
	for (size_t i = 0; i < t->tasks->n; i++) {
		const struct roger_marathon_task *mt = &t->tasks->items[i];
		const struct roger_stats_task *cur =
			roger_stats_sample_task(t->cur, mt->id);
		const struct roger_stats_task *prev =
			roger_stats_sample_task(t->prev, mt->id);
		struct row *r = &t->rows[n];

		if (!mt->id || !cur)
			continue;
		roger_logs_short_name(r->name, sizeof(r->name), mt->id, taken,
				      n);
		taken[n++] = r->name;
		r->id = mt->id;
		r->host = mt->host;
		r->has_sample = cur->found;
		r->error = cur->error;
		if (cur->found)
			roger_stats_usage(&r->u,
					  prev && prev->found ? &prev->entry
							      : NULL,
					  &cur->entry, 0);
	}
	free(taken);
	qsort(t->rows, n, sizeof(*t->rows), by_name);
	total = &t->rows[n];
	snprintf(total->name, sizeof(total->name), "total");
	for (size_t i = 0; i < n; i++)
		roger_stats_usage_add(&total->u, &t->rows[i].u);
	total->has_sample = n > 0;
	t->n_rows = n + 1;
}

/* ---- text ------------------------------------------------------------------------- */

/* "12.3M", "1.5G", "512K": bytes in binary units, short. */
static void fmt_bytes(char *out, size_t size, uint64_t b)
{
	static const char units[] = "KMGTP";
	double v = (double)b;
	int u = -1;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(out, size, "%lluB", (unsigned long long)b);
	else
		snprintf(out, size, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

static void fmt_cpu(char *out, size_t size, const struct roger_stats_usage *u)
{
	if (!u->has_cpu)
		snprintf(out, size, "-");
	else if (u->cpus_limit > 0)
		snprintf(out, size, "%.2f/%.2f", u->cpus_used, u->cpus_limit);
	else
		snprintf(out, size, "%.2f", u->cpus_used);
}

static void fmt_mem(char *out, size_t size, const struct roger_stats_usage *u)
{
	char a[16], b[16];

	if (!u->has_mem) {
		snprintf(out, size, "-");
		return;
	}
	fmt_bytes(a, sizeof(a), u->rss_bytes);
	if (u->mem_limit_bytes) {
		fmt_bytes(b, sizeof(b), u->mem_limit_bytes);
		snprintf(out, size, "%s/%s", a, b);
	} else {
		snprintf(out, size, "%s", a);
	}
}

static void fmt_percent(char *out, size_t size, double p)
{
	if (p < 0)
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%.0f%%", p);
}

static const char *level_color(const struct cli *cli, double p)
{
	return cli_color(cli, p >= 90 ? "red" : p >= 70 ? "yellow" : "green");
}

/* A bar of `width` cells for `p` percent: "[|||||     ]". */
static void put_bar(struct roger_buf *b, const struct cli *cli, double p,
		    int width)
{
	int fill = p < 0 ? 0 : (int)(p / 100.0 * width + 0.5);

	if (fill > width)
		fill = width;
	roger_buf_addf(b, "[%s", p >= 0 ? level_color(cli, p) : "");
	for (int i = 0; i < width; i++)
		roger_buf_addch(b, i < fill ? '|' : ' ');
	roger_buf_addf(b, "%s]", p >= 0 ? cli_color(cli, "reset") : "");
}

/* The table into `b`, lines of at most `cols` characters when bars are
 * drawn (cols > 0), plain otherwise. */
static void render(struct roger_buf *b, const struct top *t, int cols,
		   const char *eol)
{
	int w_name = 4, w_host = 4, w_cpu = 3, bar = 0;
	char cpu[32], mem[48], cp[16], mp[16];

	for (size_t i = 0; i < t->n_rows; i++) {
		const struct row *r = &t->rows[i];
		int n = (int)strlen(r->name);

		w_name = n > w_name ? n : w_name;
		n = r->host ? (int)strlen(r->host) : 1;
		w_host = n > w_host ? n : w_host;
		fmt_cpu(cpu, sizeof(cpu), &r->u);
		w_cpu = (int)strlen(cpu) > w_cpu ? (int)strlen(cpu) : w_cpu;
	}
	if (cols > 0) {
		/* what is left of the line, shared by the two bars */
		int fixed = w_name + w_host + w_cpu + 12 + 2 * 5 + 5 * 2 + 4;

		bar = (cols - fixed) / 2;
		if (bar > 30)
			bar = 30;
		if (bar < 5)
			bar = 0;
	}
	roger_buf_addf(b, "%s%-*s  %-*s  %*s %-*s", cli_color(t->cli, "bold"),
		       w_name, "TASK", w_host, "HOST", 4, "CPU%",
		       bar ? bar + 2 : 0, "");
	roger_buf_addf(b, " %-*s  %*s %-*s %s%s%s", w_cpu, "CPU", 4, "MEM%",
		       bar ? bar + 2 : 0, "", "MEM", cli_color(t->cli, "reset"),
		       eol);
	for (size_t i = 0; i < t->n_rows; i++) {
		const struct row *r = &t->rows[i];
		double pc = roger_stats_cpu_percent(&r->u);
		double pm = roger_stats_mem_percent(&r->u);

		if (!r->id && t->n_rows == 1)
			break; /* no task: no total */
		fmt_cpu(cpu, sizeof(cpu), &r->u);
		fmt_mem(mem, sizeof(mem), &r->u);
		fmt_percent(cp, sizeof(cp), pc);
		fmt_percent(mp, sizeof(mp), pm);
		if (!r->id)
			roger_buf_adds(b, cli_color(t->cli, "bold"));
		roger_buf_addf(b, "%-*s  %-*s  %4s ", w_name, r->name, w_host,
			       r->id ? (r->host ? r->host : "-") : "", cp);
		if (bar)
			put_bar(b, t->cli, pc, bar);
		roger_buf_addf(b, " %-*s  %4s ", w_cpu, cpu, mp);
		if (bar)
			put_bar(b, t->cli, pm, bar);
		roger_buf_addf(b, " %s", mem);
		if (!r->id)
			roger_buf_adds(b, cli_color(t->cli, "reset"));
		if (r->id && !r->has_sample && r->error && cols <= 0)
			roger_buf_addf(b, "  (%s)", r->error);
		roger_buf_adds(b, eol);
	}
}

/* ---- JSON ------------------------------------------------------------------------- */

static json_t *usage_json(const struct roger_stats_usage *u)
{
	double pc = roger_stats_cpu_percent(u), pm = roger_stats_mem_percent(u);

	return json_pack(
		"{s:o, s:o}", "cpu",
		u->has_cpu
			? json_pack("{s:f, s:o, s:o}", "used", u->cpus_used,
				    "limit",
				    u->cpus_limit > 0 ? json_real(u->cpus_limit)
						      : json_null(),
				    "percent",
				    pc >= 0 ? json_real(pc) : json_null())
			: json_null(),
		"mem",
		u->has_mem
			? json_pack("{s:I, s:o, s:o}", "rss_bytes",
				    (json_int_t)u->rss_bytes, "limit_bytes",
				    u->mem_limit_bytes
					    ? json_integer(
						      (json_int_t)u
							      ->mem_limit_bytes)
					    : json_null(),
				    "percent",
				    pm >= 0 ? json_real(pm) : json_null())
			: json_null());
}

static int print_json(const struct top *t)
{
	json_t *tasks = json_array(), *total = NULL;

	for (size_t i = 0; i < t->n_rows; i++) {
		const struct row *r = &t->rows[i];
		json_t *o = usage_json(&r->u);

		if (!r->id) {
			total = o;
			continue;
		}
		cli_json_set(o, "id", json_string(r->id));
		cli_json_set(o, "name", json_string(r->name));
		cli_json_set(o, "host", cli_json_str(r->host));
		cli_json_set(o, "error",
			     cli_json_str(r->has_sample ? NULL : r->error));
		json_array_append_new(tasks, o);
	}
	return cli_print_doc(
		t->cli, json_pack("{s:s, s:s, s:f, s:o, s:o}", "app", t->app_id,
				  "target", t->cli->resolved_target->name,
				  "interval_seconds",
				  (double)interval_ms / 1000.0, "tasks", tasks,
				  "total", total ? total : json_null()));
}

/* ---- the terminal ------------------------------------------------------------------ */

static int winch_fd = -1;

/* Keys without Enter and no echo; Ctrl-C still interrupts. */
static void keys(struct termios *t)
{
	t->c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t->c_cc[VMIN] = 0;
	t->c_cc[VTIME] = 0;
}

/* The alternate screen, without a cursor, until the terminal is put back. */
static int enter_screen(void)
{
	static const char enter[] = "\033[?1049h\033[?25l";

	if (cli_term_take(keys, "\033[?25h\033[?1049l", &winch_fd) < 0)
		return -1;
	fflush(stdout);
	return write(STDOUT_FILENO, enter, sizeof(enter) - 1) < 0 ? -1 : 0;
}

static int columns(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0)
		return 80;
	return ws.ws_col;
}

static void draw(const struct top *t)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char every[32];

	roger_duration_format(every, sizeof(every), interval_ms);
	/* home, then each line cleared to its end, then the rest cleared */
	roger_buf_addf(
		&b,
		"\033[H%s%s%s on %s, every %s (q quits)\033[K\r\n\033[K\r\n",
		cli_color(t->cli, "bold"), t->app_id,
		cli_color(t->cli, "reset"), t->cli->resolved_target->name,
		every);
	if (t->n_rows <= 1)
		roger_buf_adds(&b, "no running task\033[K\r\n");
	else
		render(&b, t, columns() - 1, "\033[K\r\n");
	roger_buf_adds(&b, "\033[J");
	(void)!write(STDOUT_FILENO, b.buf, b.len);
	roger_buf_release(&b);
}

/* Wait up to `ms`; 1 when q was pressed or Ctrl-C, 2 on a resize. */
static int wait_keys(const struct top *t, int64_t ms)
{
	struct pollfd pfd[2] = { { STDIN_FILENO, POLLIN, 0 },
				 { winch_fd, POLLIN, 0 } };
	int64_t end = roger_ctx_now_ms(t->cli->ctx) + ms;

	for (;;) {
		int64_t left = end - roger_ctx_now_ms(t->cli->ctx);
		char c[64];
		ssize_t n;

		if (cli_interrupted)
			return 1;
		if (left <= 0)
			return 0;
		if (poll(pfd, 2, (int)(left > 200 ? 200 : left)) <= 0)
			continue;
		if (pfd[1].revents) {
			while (read(winch_fd, c, sizeof(c)) > 0)
				;
			return 2;
		}
		n = read(STDIN_FILENO, c, sizeof(c));
		if (n == 0)
			pfd[0].fd = -1; /* input closed: keys no more */
		for (ssize_t i = 0; i < n; i++)
			if (c[i] == 'q' || c[i] == 'Q')
				return 1;
	}
}

static int live(struct top *t)
{
	int status, k;

	if (enter_screen() < 0) {
		cli_term_restore();
		cli_error("cannot set up the terminal: %s", strerror(errno));
		return ROGER_EXIT_FAILURE;
	}
	/* the first frame as soon as cpu can be told: two samples */
	k = wait_keys(t, interval_ms < 1000 ? interval_ms : 1000);
	while (k != 1) {
		if ((status = sample(t)) != 0)
			break;
		compute(t);
		draw(t);
		while ((k = wait_keys(t, interval_ms)) == 2)
			draw(t);
	}
	cli_term_restore();
	return k == 1 ? ROGER_EXIT_OK : status;
}

/* ---- the command ------------------------------------------------------------------- */

/* Sleep `ms`, or less when interrupted (-1). */
static int pause_ms(struct cli *cli, int64_t ms)
{
	int64_t end = roger_ctx_now_ms(cli->ctx) + ms;

	while (!cli_interrupted) {
		int64_t left = end - roger_ctx_now_ms(cli->ctx);

		if (left <= 0)
			return 0;
		poll(NULL, 0, (int)(left > 100 ? 100 : left));
	}
	return -1;
}

static int top_run(struct cli *cli, int argc, char **argv)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct top t = { 0 };
	struct roger_buf b = ROGER_BUF_INIT;
	int status;

	cli_parse_options(cli, argc, argv);
	t.cli = cli;
	if ((status = cli_app_id(cli, app_opt, &t.app_id)) != 0 ||
	    (status = cli_marathon(cli, false, &t.m)) != 0)
		goto out;
	if (!cli->resolved_target->mesos) {
		cli_error(
			"target '%s' has no Mesos URL; set \"mesos\" in its entry of the user config, or ROGER_MESOS_URL",
			cli->resolved_target->name);
		status = ROGER_EXIT_INVALID;
		goto out;
	}
	if (roger_mesos_for_target(&t.mesos, cli->ctx, cli->resolved_target,
				   &err) < 0) {
		status = cli_fail(&err);
		goto out;
	}
	cli_limit_requests(cli, roger_mesos_http(t.mesos));
	if ((status = sample(&t)) != 0)
		goto out;
	if (cli->output == OUTPUT_TEXT && cli->stdout_tty && cli->stdin_tty) {
		status = live(&t);
		goto out;
	}
	/* one snapshot: a second sample, --interval after the first */
	if (pause_ms(cli, interval_ms) < 0) {
		status = ROGER_EXIT_INTERRUPTED;
		goto out;
	}
	if ((status = sample(&t)) != 0)
		goto out;
	compute(&t);
	if (cli->output == OUTPUT_JSON) {
		status = print_json(&t);
		goto out;
	}
	if (t.n_rows <= 1) {
		cli_error("app '%s' has no running task", t.app_id);
		goto out;
	}
	render(&b, &t, 0, "\n");
	fputs(b.buf, stdout);
out:
	roger_buf_release(&b);
	free(t.rows);
	roger_stats_sample_free(t.prev);
	roger_stats_sample_free(t.cur);
	roger_marathon_tasks_free(t.tasks);
	roger_mesos_free(t.mesos);
	roger_marathon_free(t.m);
	return status;
}

const struct roger_cmd cmd_top = {
	.name = "top",
	.summary =
		"show what the app's tasks consume: cpu and memory against their limits",
	.opts = top_opts,
	.run = top_run,
};
