/*
 * cli.c - option parsing, messages and output helpers shared by every
 * command of the roger binary.
 *
 * Global options are accepted before the command name (parsed in roger.c)
 * and after it: cli_getopt() merges them into each command's getopt_long
 * table and consumes them, so `roger deploy -e prod --yes` works as CI
 * scripts write it.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

enum {
	GOPT_COLOR = OPT_LONG + 100,
	GOPT_VERSION,
	GOPT_VAR,
};

const struct cmd_opt cli_global_opts[] = {
	{ 'C', NULL, "DIR", ARG_DIR, NULL, "run as if started in DIR" },
	{ GOPT_COLOR, "color", "WHEN", ARG_CHOICE, "auto always never", "color output: auto (on a terminal), always or never" },
	{ 'e', "env", "NAME", ARG_ENV, NULL, "the environment of roger.json to use" },
	{ 'h', "help", NULL, ARG_NONE, NULL, "show this help" },
	{ 'o', "output", "FORMAT", ARG_CHOICE, "text json", "output format: text or json" },
	{ 'q', "quiet", NULL, ARG_NONE, NULL, "print errors only" },
	{ 't', "target", "NAME", ARG_TARGET, NULL, "the cluster to talk to" },
	{ 'v', "verbose", NULL, ARG_NONE, NULL, "say more; twice: show every HTTP request as a curl command" },
	{ GOPT_VAR, "var", "NAME=VALUE", ARG_WORD, NULL, "set a {{ NAME }} variable of roger.json" },
	{ GOPT_VERSION, "version", NULL, ARG_NONE, NULL, "print the version and exit" },
	{ 'y', "yes", NULL, ARG_NONE, NULL, "assume yes: no confirmation, allow protected targets" },
	{ 0 },
};

struct cli_getopt {
	struct option *longopts;
	char *optstring;
};

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("roger: out of memory\n", stderr);
		exit(ROGER_EXIT_FAILURE);
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fputs("roger: out of memory\n", stderr);
		exit(ROGER_EXIT_FAILURE);
	}
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	fputs("roger: ", stderr);
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning: ", fmt, ap);
	va_end(ap);
}

int cli_fail(const struct roger_err *err)
{
	if (err->msg[0])
		cli_error("%s", err->msg);
	else
		cli_error("%s", roger_strerror(err->code));
	return roger_exit_status(err->code ? err->code : ROGER_ERROR);
}

void cli_print_opts(FILE *fp, const struct cmd_opt *opts)
{
	for (const struct cmd_opt *o = opts; o && o->val; o++) {
		char left[64];
		int n = 0;

		if (o->val < OPT_LONG)
			n = snprintf(left, sizeof(left), "-%c%s", o->val,
				     o->name ? ", " : "");
		else
			n = snprintf(left, sizeof(left), "    ");
		if (o->name)
			n += snprintf(left + n, sizeof(left) - (size_t)n,
				      "--%s", o->name);
		if (o->arg)
			snprintf(left + n, sizeof(left) - (size_t)n, "%s%s",
				 o->name ? "=" : " ", o->arg);
		fprintf(fp, "  %-24s %s\n", left, o->help);
	}
}

void cli_print_usage(FILE *fp, const struct roger_cmd *cmd)
{
	const char *u = cmd->usage;

	/* A usage of several lines repeats "usage:" as "   or:", like git. */
	fputs("usage: ", fp);
	for (const char *nl; (nl = strchr(u, '\n')); u = nl + 1)
		fprintf(fp, "%.*s\n   or: ", (int)(nl - u), u);
	fprintf(fp, "%s\n", u);
	fprintf(fp, "\n%s\n", cmd->summary);
	if (cmd->opts && cmd->opts[0].val) {
		fputs("\nOptions:\n", fp);
		cli_print_opts(fp, cmd->opts);
	}
	if (!(cmd->flags & CMD_NO_GLOBAL_OPTS)) {
		fputs("\nGlobal options:\n", fp);
		cli_print_opts(fp, cli_global_opts);
	}
	if (strcmp(cmd->name, "roger"))
		fprintf(fp, "\nSee 'man roger-%s' for details.\n", cmd->name);
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
	if (cli && cli->cmd)
		fprintf(stderr, "usage: %s\n",
			strchr(cli->cmd->usage, '\n') ? "see 'roger help'"
						       : cli->cmd->usage);
	if (cli && cli->cmd)
		fprintf(stderr, "Try 'roger %s --help' for more.\n",
			cli->cmd->name);
	return ROGER_EXIT_USAGE;
}

static size_t count_opts(const struct cmd_opt *opts)
{
	size_t n = 0;

	while (opts && opts[n].val)
		n++;
	return n;
}

static void add_opts(struct option *lo, size_t *nl, char *os, size_t *ns,
		     const struct cmd_opt *opts)
{
	for (const struct cmd_opt *o = opts; o && o->val; o++) {
		if (o->name) {
			lo[*nl].name = o->name;
			lo[*nl].has_arg = o->arg ? required_argument
						 : no_argument;
			lo[*nl].flag = NULL;
			lo[*nl].val = o->val;
			(*nl)++;
		}
		if (o->val < OPT_LONG) {
			os[(*ns)++] = (char)o->val;
			if (o->arg)
				os[(*ns)++] = ':';
		}
	}
}

static struct cli_getopt *build_getopt(const struct roger_cmd *cmd)
{
	size_t n = count_opts(cmd->opts) + count_opts(cli_global_opts);
	struct cli_getopt *go = xcalloc(1, sizeof(*go));
	size_t nl = 0, ns = 0;

	go->longopts = xcalloc(n + 1, sizeof(struct option));
	go->optstring = xcalloc(2 * n + 3, 1);
	/* '+': stop at the first operand; ':': report a missing argument. */
	go->optstring[ns++] = '+';
	go->optstring[ns++] = ':';
	add_opts(go->longopts, &nl, go->optstring, &ns, cmd->opts);
	add_opts(go->longopts, &nl, go->optstring, &ns, cli_global_opts);
	return go;
}

static const struct cmd_opt *find_opt(const struct cmd_opt *opts, int val)
{
	for (const struct cmd_opt *o = opts; o && o->val; o++)
		if (o->val == val)
			return o;
	return NULL;
}

static void suggest_option(const struct roger_cmd *cmd, const char *word)
{
	const char *names[128];
	size_t n = 0;
	const char *best;

	for (const struct cmd_opt *o = cmd->opts; o && o->val && n < 64; o++)
		if (o->name)
			names[n++] = o->name;
	for (const struct cmd_opt *o = cli_global_opts; o->val && n < 128; o++)
		if (o->name)
			names[n++] = o->name;
	best = roger_suggest(word, names, n);
	if (best)
		fprintf(stderr, "roger: did you mean '--%s'?\n", best);
}

static void free_getopt(struct cli *cli)
{
	if (!cli->go)
		return;
	free(cli->go->longopts);
	free(cli->go->optstring);
	free(cli->go);
	cli->go = NULL;
}

static void add_var(struct cli *cli, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name;

	if (!eq || eq == arg)
		exit(cli_usage_error(cli, "invalid --var '%s': expected NAME=VALUE", arg));
	name = xmalloc((size_t)(eq - arg) + 1);
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	cli->vars = realloc(cli->vars, (cli->n_vars + 1) * sizeof(*cli->vars));
	if (!cli->vars)
		exit(ROGER_EXIT_FAILURE);
	cli->vars[cli->n_vars].name = name;
	cli->vars[cli->n_vars].value = eq + 1;
	cli->n_vars++;
}

void cli_update_log_level(struct cli *cli)
{
	int level = ROGER_LOG_WARN + cli->verbose * 2;
	const char *trace = getenv("ROGER_TRACE_HTTP");

	if (!cli->ctx)
		return;
	if (cli->quiet)
		level = ROGER_LOG_ERR;
	/* libcurl's trace is logged at TRACE: asking for it asks for -vv. */
	if (trace && *trace && strcmp(trace, "0") && level < ROGER_LOG_TRACE)
		level = ROGER_LOG_TRACE;
	roger_ctx_set_log_level(cli->ctx, level);
}

/* Apply a global option; returns false if `c` is not one. */
static bool handle_global(struct cli *cli, int c, const char *arg)
{
	switch (c) {
	case 'C':
		cli->dir = arg;
		return true;
	case 'e':
		cli->env = arg;
		return true;
	case 't':
		cli->target = arg;
		return true;
	case 'o':
		if (!strcmp(arg, "json"))
			cli->output = OUTPUT_JSON;
		else if (!strcmp(arg, "text"))
			cli->output = OUTPUT_TEXT;
		else
			exit(cli_usage_error(cli, "invalid --output '%s': expected 'text' or 'json'", arg));
		return true;
	case 'q':
		cli->quiet = true;
		cli_update_log_level(cli);
		return true;
	case 'v':
		cli->verbose++;
		cli_update_log_level(cli);
		return true;
	case 'y':
		cli->yes = true;
		return true;
	case GOPT_COLOR:
		if (!strcmp(arg, "always"))
			cli->color = true;
		else if (!strcmp(arg, "never"))
			cli->color = false;
		else if (!strcmp(arg, "auto"))
			cli->color = cli->stdout_tty && !getenv("NO_COLOR");
		else
			exit(cli_usage_error(cli, "invalid --color '%s': expected 'auto', 'always' or 'never'", arg));
		return true;
	case GOPT_VAR:
		add_var(cli, arg);
		return true;
	}
	return false;
}

/* Load what the command's flags ask for, or leave with the error's status. */
static void run_setup(struct cli *cli)
{
	int status = 0;

	if (cli->cmd->flags & CMD_NEED_PROJECT)
		status = cli_load_project(cli);
	if (!status && (cli->cmd->flags & CMD_NEED_TARGET))
		status = cli_load_target(cli);
	if (status)
		cli_exit(status);
}

int cli_getopt(struct cli *cli, int argc, char **argv)
{
	const struct roger_cmd *cmd = cli->cmd;
	int c, longindex;

	if (!cli->go) {
		cli->go = build_getopt(cmd);
		optind = 1;
		opterr = 0;
	}
	for (;;) {
		longindex = -1;
		c = getopt_long(argc, argv, cli->go->optstring,
				cli->go->longopts, &longindex);
		if (c == -1) {
			free_getopt(cli);
			run_setup(cli);
			return -1;
		}
		if (c == '?' || c == ':') {
			const char *word = argv[optind - 1];

			if (c == ':')
				exit(cli_usage_error(cli, "option '%s' requires an argument", word));
			if (optopt && optopt < OPT_LONG && word[1] != '-')
				cli_error("unknown option '-%c'", optopt);
			else
				cli_error("unknown option '%s'", word);
			if (word[0] == '-' && word[1] == '-') {
				char name[64];

				snprintf(name, sizeof(name), "%s", word + 2);
				name[strcspn(name, "=")] = '\0';
				suggest_option(cmd, name);
			}
			exit(cli_usage_error(cli, "invalid usage of 'roger %s'", cmd->name));
		}
		if (c == 'h' && !find_opt(cmd->opts, 'h')) {
			if (!strcmp(cmd->name, "roger"))
				cli_print_main_help(stdout);
			else
				cli_print_usage(stdout, cmd);
			cli_exit(ROGER_EXIT_OK);
		}
		if (c == GOPT_VERSION) {
			printf("roger %s\nartifacts: %s\n", roger_version(),
			       roger_pack_compressor());
			cli_exit(ROGER_EXIT_OK);
		}
		if (find_opt(cmd->opts, c))
			return c;
		if (handle_global(cli, c, optarg))
			continue;
		return c;
	}
}

int cli_parse_long(struct cli *cli, const char *what, const char *s, long min,
		   long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return cli_usage_error(cli, "invalid %s '%s': expected a whole number from %ld to %ld", what, s, min, max);
	*out = v;
	return 0;
}

const char *cli_color(const struct cli *cli, const char *what)
{
	static const struct {
		const char *name, *seq;
	} colors[] = {
		{ "red", "\033[31m" },   { "green", "\033[32m" },
		{ "yellow", "\033[33m" }, { "blue", "\033[34m" },
		{ "magenta", "\033[35m" }, { "cyan", "\033[36m" },
		{ "bold", "\033[1m" },   { "dim", "\033[2m" },
		{ "reset", "\033[m" },
	};

	if (!cli || !cli->color)
		return "";
	for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		if (!strcmp(colors[i].name, what))
			return colors[i].seq;
	return "";
}

int cli_print_json(struct cli *cli, const json_t *doc)
{
	(void)cli;
	if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)) < 0)
		return ROGER_EXIT_FAILURE;
	fputc('\n', stdout);
	return ROGER_EXIT_OK;
}

bool cli_confirm(struct cli *cli, const char *what)
{
	char line[16];

	if (cli->yes)
		return true;
	if (!cli->stdin_tty) {
		cli_error("%s needs confirmation and standard input is not a terminal; pass --yes", what);
		return false;
	}
	fprintf(stderr, "%s? [y/N] ", what);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}
