/*
 * complete.c - `roger __complete WORD...`: the candidates for the last word
 * of a command line, for the thin bash, zsh and fish scripts.
 *
 * The words are those after "roger" up to the cursor; the last one is the
 * word being completed (possibly empty).  Candidates go to stdout one per
 * line as "word" or "word<TAB>description", already filtered by prefix.  Two
 * special answers ask the shell to complete paths itself: ":file" and
 * ":dir".  Everything comes from the command and option tables, roger.json
 * and the user config, so a new command or option needs no script change.
 * Lookups that may be slow (app ids, tasks, versions) use a short timeout and
 * fail silently: completion never prints an error.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "util/complete.h"

static void emit(const char *cur, const char *word, const char *desc)
{
	if (strncmp(word, cur, strlen(cur)))
		return;
	if (desc && *desc)
		printf("%s\t%s\n", word, desc);
	else
		printf("%s\n", word);
}

static void emit_prefixed(const char *prefix, const char *cur, const char *word,
			  const char *desc)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s%s", prefix, word);
	emit(cur, buf, desc);
}

static void complete_choices(const char *prefix, const char *cur,
			     const char *choices)
{
	const char *p = choices;

	while (p && *p) {
		size_t n = strcspn(p, " ");
		char word[128];

		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		emit_prefixed(prefix, cur, word, NULL);
		p += n;
		while (*p == ' ')
			p++;
	}
}

static void complete_commands(const char *prefix, const char *cur)
{
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct roger_cmd *c = cli_commands[i];

		if (!(c->flags & CMD_HIDDEN))
			emit_prefixed(prefix, cur, c->name, c->summary);
	}
}

static void complete_arg(struct cli *cli, enum cmd_arg kind,
			 const char *choices, const char *prefix,
			 const char *cur)
{
	switch (kind) {
	case ARG_NONE:
	case ARG_WORD:
		return;
	case ARG_CHOICE:
		complete_choices(prefix, cur, choices);
		return;
	case ARG_COMMAND:
		complete_commands(prefix, cur);
		return;
	case ARG_FILE:
		puts(":file");
		return;
	case ARG_DIR:
		puts(":dir");
		return;
	default:
		break;
	}
	{
		char **words = NULL;
		size_t n = 0;
		/* App ids as typed: "web/h" completes to "web/hello". */
		bool skip = kind == ARG_APP && cur[strlen(prefix)] &&
			    cur[strlen(prefix)] != '/';

		if (complete_dynamic(cli, kind, &words, &n) < 0)
			return;
		for (size_t i = 0; i < n; i++) {
			emit_prefixed(prefix, cur,
				      words[i] + (skip && words[i][0] == '/'),
				      NULL);
			free(words[i]);
		}
		free(words);
	}
}

static const struct cmd_opt *lookup_long(const struct roger_cmd *cmd,
					 const char *name, size_t len)
{
	const struct cmd_opt *tables[2] = { cmd ? cmd->opts : NULL,
					    cli_global_opts };

	for (int t = 0; t < 2; t++)
		for (const struct cmd_opt *o = tables[t];
		     o && o->type != CMD_OPT_END; o++)
			if (o->long_name && strlen(o->long_name) == len &&
			    !strncmp(o->long_name, name, len))
				return o;
	return NULL;
}

static const struct cmd_opt *lookup_short(const struct roger_cmd *cmd, int c)
{
	const struct cmd_opt *tables[2] = { cmd ? cmd->opts : NULL,
					    cli_global_opts };

	for (int t = 0; t < 2; t++)
		for (const struct cmd_opt *o = tables[t];
		     o && o->type != CMD_OPT_END; o++)
			if (o->short_name == c)
				return o;
	return NULL;
}

static void complete_options(const struct roger_cmd *cmd, const char *cur)
{
	const struct cmd_opt *tables[2] = { cmd ? cmd->opts : NULL,
					    cli_global_opts };

	for (int t = 0; t < 2; t++) {
		for (const struct cmd_opt *o = tables[t];
		     o && o->type != CMD_OPT_END; o++) {
			char word[128];

			if (o->long_name)
				snprintf(word, sizeof(word), "--%s%s",
					 o->long_name, o->argh ? "=" : "");
			else
				snprintf(word, sizeof(word), "-%c",
					 o->short_name);
			/* Offer "--opt=" only once the user typed "--". */
			if (o->long_name && o->argh && strncmp(cur, "--", 2))
				snprintf(word, sizeof(word), "--%s",
					 o->long_name);
			emit(cur, word, o->help);
		}
	}
}

/* Record the global options that change what candidates exist. */
static void note_global(struct cli *cli, const struct cmd_opt *o,
			const char *arg)
{
	if (!arg)
		return;
	if (o->short_name == 'C')
		cli->dir = arg;
	else if (o->short_name == 'e')
		cli->env = arg;
	else if (o->short_name == 't')
		cli->target = arg;
	else if (o->complete == ARG_JOB && *arg)
		cli->complete_job = arg;
	else if (o->complete == ARG_APP && *arg) {
		/* The app that versions are completed for. */
		free(cli->app_id);
		cli->app_id = xmalloc(strlen(arg) + 2);
		snprintf(cli->app_id, strlen(arg) + 2, "%s%s",
			 arg[0] == '/' ? "" : "/", arg);
	}
}

static int complete_run(struct cli *cli, int argc, char **argv)
{
	const struct roger_cmd *cmd = NULL;
	const struct cmd_opt *pending = NULL;
	const char **words;
	size_t n = 0, npos = 0;
	bool options_done = false;
	const char *cur;

	/* bash splits "--opt=value" at '='; put the pieces back as two words.
	 */
	words = xcalloc((size_t)argc + 1, sizeof(char *));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "=") && n > 0 &&
		    !strncmp(words[n - 1], "--", 2)) {
			if (i == argc - 1)
				words[n++] = "";
			continue;
		}
		words[n++] = argv[i];
	}
	if (n == 0)
		words[n++] = "";
	cur = words[n - 1];

	for (size_t i = 0; i + 1 < n; i++) {
		const char *w = words[i];
		const struct cmd_opt *o = NULL;

		if (pending) {
			note_global(cli, pending, w);
			pending = NULL;
			continue;
		}
		if (!options_done && !strcmp(w, "--")) {
			options_done = true;
			continue;
		}
		if (!options_done && w[0] == '-' && w[1] == '-') {
			const char *eq = strchr(w + 2, '=');

			o = lookup_long(cmd, w + 2,
					eq ? (size_t)(eq - w - 2)
					   : strlen(w + 2));
			if (o && o->argh && !eq)
				pending = o;
			else if (o && eq)
				note_global(cli, o, eq + 1);
			continue;
		}
		if (!options_done && w[0] == '-' && w[1]) {
			/* A cluster of short flags; the last may take an
			 * argument. */
			for (const char *p = w + 1; *p; p++) {
				o = lookup_short(cmd, (unsigned char)*p);
				if (o && o->argh) {
					if (p[1])
						note_global(cli, o, p + 1);
					else
						pending = o;
					break;
				}
			}
			continue;
		}
		if (!cmd) {
			cmd = cli_find_command(w);
			if (!cmd)
				return ROGER_EXIT_OK;
			continue;
		}
		npos++;
	}

	if (pending) {
		complete_arg(cli, pending->complete, pending->choices, "", cur);
	} else if (!options_done && !strncmp(cur, "--", 2) &&
		   strchr(cur, '=')) {
		const char *eq = strchr(cur, '=');
		const struct cmd_opt *o =
			lookup_long(cmd, cur + 2, (size_t)(eq - cur - 2));
		char prefix[128];

		if (o && o->argh) {
			snprintf(prefix, sizeof(prefix), "%.*s",
				 (int)(eq - cur + 1), cur);
			complete_arg(cli, o->complete, o->choices, prefix, cur);
		}
	} else if (!options_done && cur[0] == '-') {
		complete_options(cmd, cur);
	} else if (!cmd) {
		complete_commands("", cur);
	} else {
		enum cmd_arg kind = cmd->args;

		/* Commands with sub-verbs ("local up") take one verb first,
		 * then what the verb takes ("jobs run NAME"). */
		if (kind == ARG_CHOICE && npos > 0)
			kind = npos == 1 ? cmd->verb_args : ARG_NONE;
		complete_arg(cli, kind, cmd->arg_choices, "", cur);
	}
	free(words);
	return ROGER_EXIT_OK;
}

const struct roger_cmd cmd_complete = {
	.name = "__complete",
	.summary = "print completion candidates (used by the shell scripts)",
	.operands = "[word ...]",
	.max_operands = -1,
	.flags = CMD_HIDDEN | CMD_NO_GLOBAL_OPTS,
	.run = complete_run,
};
