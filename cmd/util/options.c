/*
 * options.c - the option parser of every command, over getopt_long, and
 * everything else made from the option tables: the usage line, the option
 * lines of -h, and the usage errors.
 *
 * A command's table and the global one are merged into one getopt_long
 * table per parse.  Letters are their own getopt values; long-only options
 * get 256 plus their place in the merged table, so no value is kept by
 * hand and two options cannot share one: a letter or a long name defined
 * twice stops the program at once (and with it the meta-tests, which run
 * -h of every command).
 *
 * Commands are parsed in getopt's RETURN_IN_ORDER mode ("-" first in the
 * option string): operands come back one by one wherever they stand, so
 * options may follow them whatever POSIXLY_CORRECT says, and `--` ends
 * the options.  The top level stops at the first operand instead ("+"),
 * which is the command name.
 */
#include <config.h>

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

#define LONG_BASE 256

struct parser {
	const struct cmd_opt *tables[2];
	struct option *longopts;
	char *optstring;
	const struct cmd_opt **by_val; /* indexed by getopt value */
	size_t n_vals;
};

static size_t table_len(const struct cmd_opt *t)
{
	size_t n = 0;

	while (t && t[n].type != CMD_OPT_END)
		n++;
	return n;
}

static void clash(const struct roger_cmd *cmd, const struct cmd_opt *o)
{
	if (o->long_name)
		fprintf(stderr,
			"roger: internal error: option '--%s' of 'roger %s' is defined twice\n",
			o->long_name, cmd->name);
	else
		fprintf(stderr,
			"roger: internal error: option '-%c' of 'roger %s' is defined twice\n",
			o->short_name, cmd->name);
	abort();
}

static const struct cmd_opt *find_long(const struct parser *p, const char *name,
				       size_t len)
{
	for (int t = 0; t < 2; t++)
		for (const struct cmd_opt *o = p->tables[t];
		     o && o->type != CMD_OPT_END; o++)
			if (o->long_name && strlen(o->long_name) == len &&
			    !strncmp(o->long_name, name, len))
				return o;
	return NULL;
}

static void parser_init(struct parser *p, const struct roger_cmd *cmd,
			bool stop_at_operand)
{
	size_t n, nl = 0, ns = 0, next_long = LONG_BASE;

	memset(p, 0, sizeof(*p));
	p->tables[0] = cmd->opts;
	if (!(cmd->flags & CMD_NO_GLOBAL_OPTS) && cmd->opts != cli_global_opts)
		p->tables[1] = cli_global_opts;
	n = table_len(p->tables[0]) + table_len(p->tables[1]);
	p->longopts = xcalloc(n + 1, sizeof(*p->longopts));
	p->optstring = xcalloc(2 * n + 3, 1);
	p->n_vals = LONG_BASE + n;
	p->by_val = xcalloc(p->n_vals, sizeof(*p->by_val));
	p->optstring[ns++] = stop_at_operand ? '+' : '-';
	/* ':' first: a missing argument is told apart from an unknown option */
	p->optstring[ns++] = ':';
	for (int t = 0; t < 2; t++) {
		for (const struct cmd_opt *o = p->tables[t];
		     o && o->type != CMD_OPT_END; o++) {
			int val;

			if (o->short_name && t == 1 && cmd->shadows &&
			    strchr(cmd->shadows, o->short_name)) {
				/* taken over by the command: long name only */
				val = (int)next_long++;
			} else if (o->short_name) {
				val = o->short_name;
				if (p->by_val[val])
					clash(cmd, o);
				p->optstring[ns++] = (char)val;
				if (o->argh)
					p->optstring[ns++] = ':';
			} else {
				val = (int)next_long++;
			}
			p->by_val[val] = o;
			if (!o->long_name)
				continue;
			if (find_long(p, o->long_name, strlen(o->long_name)) !=
			    o)
				clash(cmd, o);
			p->longopts[nl].name = o->long_name;
			p->longopts[nl].has_arg =
				o->argh ? required_argument : no_argument;
			p->longopts[nl].val = val;
			nl++;
		}
	}
}

static void parser_release(struct parser *p)
{
	free(p->longopts);
	free(p->optstring);
	free(p->by_val);
}

/* "--timeout" or "-n": how an option is named in messages. */
static void opt_name(char *out, size_t size, const struct cmd_opt *o)
{
	if (o->long_name)
		snprintf(out, size, "--%s", o->long_name);
	else
		snprintf(out, size, "-%c", o->short_name);
}

/* "expected 'a', 'b' or 'c'" for the words of `choices`. */
static void expected_choices(struct roger_buf *b, const char *choices)
{
	size_t words = 0, i = 0;

	for (const char *p = choices; *p; p += strspn(p, " ")) {
		p += strcspn(p, " ");
		words++;
	}
	roger_buf_adds(b, "expected ");
	for (const char *p = choices; *p; i++) {
		size_t len = strcspn(p, " ");

		if (i)
			roger_buf_adds(b, i + 1 == words ? " or " : ", ");
		roger_buf_addf(b, "'%.*s'", (int)len, p);
		p += len;
		p += strspn(p, " ");
	}
}

static int choice_index(const char *choices, const char *arg)
{
	int i = 0;

	for (const char *p = choices; *p; i++) {
		size_t len = strcspn(p, " ");

		if (strlen(arg) == len && !strncmp(p, arg, len))
			return i;
		p += len;
		p += strspn(p, " ");
	}
	return -1;
}

/* Hand `arg` to the option's destination: 0, or an exit status. */
static int apply(struct cli *cli, const struct cmd_opt *o, const char *arg)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char name[64];
	int index;

	opt_name(name, sizeof(name), o);
	switch (o->type) {
	case CMD_OPT_BOOL:
		*(bool *)o->value = true;
		return 0;
	case CMD_OPT_COUNT:
		(*(int *)o->value)++;
		return 0;
	case CMD_OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case CMD_OPT_CHOICE:
		index = choice_index(o->choices, arg);
		if (index >= 0) {
			*(int *)o->value = index;
			return 0;
		}
		expected_choices(&b, o->choices);
		index = cli_usage_error(cli, "invalid %s '%s': %s", name, arg,
					b.buf);
		roger_buf_release(&b);
		return index;
	case CMD_OPT_INT:
		return cli_parse_long(cli, name, arg, (long)o->min,
				      (long)o->max, (long *)o->value);
	case CMD_OPT_DURATION:
		return cli_parse_duration(cli, name, arg, o->min, o->max,
					  (int64_t *)o->value);
	case CMD_OPT_CALLBACK:
		return o->cb(cli, o, arg);
	case CMD_OPT_END:
		break;
	}
	return 0;
}

/* The command an operand of the top level names, when it is one. */
static const struct roger_cmd *command_after(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++)
		if (argv[i][0] != '-')
			return cli_find_command(argv[i]);
	return NULL;
}

/* Whether the table of `cmd` has the option written `word`. */
static bool has_option(const struct roger_cmd *cmd, const char *word)
{
	for (const struct cmd_opt *o = cmd->opts; o && o->type != CMD_OPT_END;
	     o++) {
		if (word[1] == '-' && o->long_name &&
		    !strncmp(word + 2, o->long_name, strcspn(word + 2, "=")) &&
		    strlen(o->long_name) == strcspn(word + 2, "="))
			return true;
		if (word[1] != '-' && o->short_name &&
		    strchr(word + 1, o->short_name))
			return true;
	}
	return false;
}

static void suggest_option(const struct parser *p, const char *word)
{
	const char *names[256];
	size_t n = 0;
	const char *best;

	for (int t = 0; t < 2; t++)
		for (const struct cmd_opt *o = p->tables[t];
		     o && o->type != CMD_OPT_END && n < 256; o++)
			if (o->long_name)
				names[n++] = o->long_name;
	best = roger_suggest(word, names, n);
	/* an option renamed with a qualifier: --timeout, --request-timeout */
	for (size_t i = 0; !best && *word && i < n; i++) {
		size_t len = strlen(names[i]), wl = strlen(word);

		if (len > wl && names[i][len - wl - 1] == '-' &&
		    !strcmp(names[i] + len - wl, word))
			best = names[i];
	}
	if (best)
		fprintf(stderr, "roger: did you mean '--%s'?\n", best);
}

/* The options whose long names start with `word` (an abbreviation). */
static size_t abbreviations(const struct parser *p, const char *word,
			    size_t len, struct roger_buf *names)
{
	size_t n = 0;

	for (int t = 0; t < 2; t++)
		for (const struct cmd_opt *o = p->tables[t];
		     o && o->type != CMD_OPT_END; o++)
			if (o->long_name && !strncmp(o->long_name, word, len)) {
				roger_buf_addf(names, "%s'--%s'", n ? ", " : "",
					       o->long_name);
				n++;
			}
	return n;
}

static void print_usage_hint(const struct cli *cli);

/* What getopt_long refused ('?' or ':'), said in one line; exits. */
static void bad_option(struct cli *cli, const struct parser *p, int c, int argc,
		       char **argv, bool top)
{
	const char *word = argv[optind - 1];
	const struct cmd_opt *o = NULL;
	struct roger_buf names = ROGER_BUF_INIT;
	char name[128];

	if (optopt > 0 && (size_t)optopt < p->n_vals)
		o = p->by_val[optopt];
	/* a long option is named as written, a letter alone (even in "-qX") */
	if (!optopt || (o && o->long_name && !strncmp(word, "--", 2)))
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(word, "="),
			 word);
	else
		snprintf(name, sizeof(name), "-%c", optopt);
	if (c == ':')
		cli_exit(cli_usage_error(
			cli, "option '%s' requires an argument", name));
	if (o && name[1] == '-' && strchr(word, '='))
		cli_exit(cli_usage_error(cli, "option '%s' takes no argument",
					 name));
	if (top) {
		const struct roger_cmd *cmd = command_after(argc, argv, optind);

		if (cmd && has_option(cmd, name)) {
			cli->cmd = cmd;
			cli_exit(cli_usage_error(
				cli,
				"'%s' is an option of 'roger %s': give it after the command name",
				name, cmd->name));
		}
	}
	if (name[1] == '-' &&
	    abbreviations(p, name + 2, strlen(name + 2), &names) > 1)
		cli_error("option '%s' is ambiguous: %s", name, names.buf);
	else
		cli_error("unknown option '%s'", name);
	roger_buf_release(&names);
	if (name[1] == '-')
		suggest_option(p, name + 2);
	print_usage_hint(cli);
	cli_exit(ROGER_EXIT_USAGE);
}

/* Color as --color, NO_COLOR, TERM and the terminal say, in one place. */
static void resolve_color(struct cli *cli)
{
	const char *term = getenv("TERM");

	switch (cli->color_when) {
	case COLOR_ALWAYS:
		cli->color = true;
		break;
	case COLOR_NEVER:
		cli->color = false;
		break;
	default:
		cli->color = cli->stdout_tty && !getenv("NO_COLOR") &&
			     !(term && !strcmp(term, "dumb"));
		break;
	}
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

static int parse(struct cli *cli, int argc, char **argv, bool top)
{
	struct parser p;
	char **operands = xcalloc((size_t)argc + 1, sizeof(char *));
	int n = 0, c, status;

	parser_init(&p, cli->cmd, top);
	opterr = 0;
	/* 0, not 1: getopt starts afresh, with this parse's ordering mode */
	optind = 0;
	while ((c = getopt_long(argc, argv, p.optstring, p.longopts, NULL)) !=
	       -1) {
		if (c == 1) {
			operands[n++] = optarg;
			continue;
		}
		if (c == '?' || c == ':' || c < 0 || (size_t)c >= p.n_vals ||
		    !p.by_val[c])
			bad_option(cli, &p, c, argc, argv, top);
		status = apply(cli, p.by_val[c], optarg);
		if (status)
			cli_exit(status);
	}
	parser_release(&p);
	cli_update_context(cli);
	resolve_color(cli);
	if (top) {
		free(operands);
		return optind;
	}
	/* what follows "--" */
	while (optind < argc)
		operands[n++] = argv[optind++];
	memcpy(argv, operands, (size_t)n * sizeof(char *));
	argv[n] = NULL;
	free(operands);
	if (cli->cmd->max_operands >= 0 && n > cli->cmd->max_operands)
		cli_exit(cli_usage_error(cli, "unexpected argument '%s'",
					 argv[cli->cmd->max_operands]));
	run_setup(cli);
	return n;
}

int cli_parse_options(struct cli *cli, int argc, char **argv)
{
	return parse(cli, argc, argv, false);
}

int cli_parse_global_options(struct cli *cli, int argc, char **argv)
{
	return parse(cli, argc, argv, true);
}

int cli_opt_count_or_all(struct cli *cli, const struct cmd_opt *opt,
			 const char *arg)
{
	char name[64];

	if (!strcmp(arg, "all")) {
		*(long *)opt->value = -1;
		return 0;
	}
	opt_name(name, sizeof(name), opt);
	return cli_parse_long(cli, name, arg, (long)opt->min, LONG_MAX,
			      (long *)opt->value);
}

int cli_parse_duration(struct cli *cli, const char *what, const char *s,
		       int64_t min, int64_t max, int64_t *out)
{
	struct roger_err err = ROGER_ERR_INIT;
	char lo[32], hi[32];
	int64_t ms;

	if (roger_duration_parse(&ms, s, &err) < 0)
		return cli_usage_error(cli, "invalid %s '%s': %s", what, s,
				       err.msg);
	if (ms < min || ms > max) {
		roger_duration_format(lo, sizeof(lo), min);
		roger_duration_format(hi, sizeof(hi), max);
		return cli_usage_error(
			cli, "invalid %s '%s': expected from %s to %s", what, s,
			lo, hi);
	}
	*out = ms;
	return 0;
}

/* ---- usage and help ------------------------------------------------------ */

/* Letters sorted as style(9) sorts them: by letter, then upper case first. */
static int letter_cmp(int a, int b)
{
	int la = tolower(a), lb = tolower(b);

	if (la != lb)
		return la - lb;
	return a - b;
}

static int by_letter(const void *x, const void *y)
{
	const struct cmd_opt *a = *(const struct cmd_opt *const *)x;
	const struct cmd_opt *b = *(const struct cmd_opt *const *)y;

	return letter_cmp(a->short_name, b->short_name);
}

static int by_long_name(const void *x, const void *y)
{
	const struct cmd_opt *a = *(const struct cmd_opt *const *)x;
	const struct cmd_opt *b = *(const struct cmd_opt *const *)y;

	return strcmp(a->long_name, b->long_name);
}

void cli_usage_line(struct roger_buf *out, const struct roger_cmd *cmd)
{
	size_t n = table_len(cmd->opts), nf = 0, na = 0, nl = 0;
	const struct cmd_opt **flags = xcalloc(n + 1, sizeof(*flags));
	const struct cmd_opt **args = xcalloc(n + 1, sizeof(*args));
	const struct cmd_opt **longs = xcalloc(n + 1, sizeof(*longs));

	roger_buf_adds(out, "roger");
	if (strcmp(cmd->name, "roger"))
		roger_buf_addf(out, " %s", cmd->name);
	for (size_t i = 0; i < n; i++) {
		const struct cmd_opt *o = &cmd->opts[i];

		if (o->short_name && !o->argh)
			flags[nf++] = o;
		else if (o->short_name)
			args[na++] = o;
		else
			longs[nl++] = o;
	}
	qsort(flags, nf, sizeof(*flags), by_letter);
	qsort(args, na, sizeof(*args), by_letter);
	qsort(longs, nl, sizeof(*longs), by_long_name);
	if (nf) {
		roger_buf_adds(out, " [-");
		for (size_t i = 0; i < nf; i++)
			roger_buf_addch(out, (char)flags[i]->short_name);
		roger_buf_addch(out, ']');
	}
	for (size_t i = 0; i < na; i++)
		roger_buf_addf(out, " [-%c %s]", args[i]->short_name,
			       args[i]->argh);
	for (size_t i = 0; i < nl; i++)
		roger_buf_addf(out, " [--%s%s%s]", longs[i]->long_name,
			       longs[i]->argh ? " " : "",
			       longs[i]->argh ? longs[i]->argh : "");
	if (cmd->operands)
		roger_buf_addf(out, " %s", cmd->operands);
	free(flags);
	free(args);
	free(longs);
}

void cli_print_opts(FILE *fp, const struct cmd_opt *opts, const char *hide)
{
	for (const struct cmd_opt *o = opts; o && o->type != CMD_OPT_END; o++) {
		struct roger_buf left = ROGER_BUF_INIT;

		if (o->short_name && !(hide && strchr(hide, o->short_name)))
			roger_buf_addf(&left, "-%c%s", o->short_name,
				       o->long_name ? ", " : "");
		else
			roger_buf_adds(&left, "    ");
		if (o->long_name)
			roger_buf_addf(&left, "--%s", o->long_name);
		if (o->argh) {
			roger_buf_addch(&left, o->long_name ? '=' : ' ');
			for (const char *a = o->argh; *a; a++)
				roger_buf_addch(
					&left,
					(char)toupper((unsigned char)*a));
		}
		fprintf(fp, "  %-24s %s\n", left.buf, o->help);
		roger_buf_release(&left);
	}
}

void cli_print_usage(FILE *fp, const struct roger_cmd *cmd)
{
	struct roger_buf line = ROGER_BUF_INIT;

	cli_usage_line(&line, cmd);
	fprintf(fp, "usage: %s\n\n%s\n", line.buf, cmd->summary);
	roger_buf_release(&line);
	if (cmd->opts && cmd->opts[0].type != CMD_OPT_END) {
		fputs("\nOptions:\n", fp);
		cli_print_opts(fp, cmd->opts, NULL);
	}
	if (!(cmd->flags & CMD_NO_GLOBAL_OPTS)) {
		fputs("\nGlobal options:\n", fp);
		cli_print_opts(fp, cli_global_opts, cmd->shadows);
	}
	fprintf(fp, "\nSee 'man roger-%s' for details.\n", cmd->name);
}

/* The usage line of the running command, and where to read more. */
static void print_usage_hint(const struct cli *cli)
{
	struct roger_buf line = ROGER_BUF_INIT;

	if (!cli || !cli->cmd)
		return;
	cli_usage_line(&line, cli->cmd);
	fprintf(stderr, "usage: %s\n", line.buf);
	roger_buf_release(&line);
	if (strcmp(cli->cmd->name, "roger"))
		fprintf(stderr, "Try 'roger %s --help' for more.\n",
			cli->cmd->name);
	else
		fputs("Try 'roger --help' for more.\n", stderr);
}

int cli_usage_error(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_note_error(fmt, ap);
	va_end(ap);
	fputs("roger: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage_hint(cli);
	return ROGER_EXIT_USAGE;
}
