/*
 * init.c - `roger init`: write roger.json for the project in the current
 * directory (or -C DIR), from what lib/init.c detects there, and report
 * each decision with its reason on standard output.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lib/init.h"

static struct roger_init_opts opts;
static bool force;

static const struct cmd_opt init_opts[] = {
	OPT_STRING(0, "app", &opts.app, "name", ARG_WORD,
		   "the app name (default: the directory name)"),
	OPT_STRING(0, "cmd", &opts.cmd, "command", ARG_WORD,
		   "the command that runs the app (default: detected)"),
	OPT_BOOL(0, "force", &force, "replace an existing roger.json"),
	OPT_STRING(0, "group", &opts.group, "group", ARG_WORD,
		   "the Marathon group of the app (default: /)"),
	OPT_END(),
};

/* `s` as one shell word, quoted when it needs it. */
static void add_word(struct roger_buf *b, const char *s)
{
	if (*s &&
	    strspn(s,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-") ==
		    strlen(s)) {
		roger_buf_adds(b, s);
		return;
	}
	roger_buf_addch(b, '\'');
	for (; *s; s++)
		if (*s == '\'')
			roger_buf_adds(b, "'\\''");
		else
			roger_buf_addch(b, *s);
	roger_buf_addch(b, '\'');
}

/*
 * The step after init, as commands to copy: roger deploys commits, and
 * init leaves roger.json untracked and .gitignore new or changed, which a
 * deploy would refuse as uncommitted changes.  The project's .gitignore
 * is added whenever there is one (adding an unchanged file does nothing).
 */
static char *next_step(struct cli *cli, const struct roger_init *init)
{
	struct roger_buf b = ROGER_BUF_INIT, git = ROGER_BUF_INIT;
	char *ignore = roger_path_join(init->dir, ".gitignore");
	bool has_ignore = ignore && roger_fs_exists(ignore);

	free(ignore);
	roger_buf_adds(&git, "git ");
	if (cli->dir) {
		roger_buf_adds(&git, "-C ");
		add_word(&git, cli->dir);
		roger_buf_addch(&git, ' ');
	}
	roger_buf_addf(
		&b,
		"%sadd roger.json%s && %scommit -m 'Deploy with roger' && roger ",
		git.buf, has_ignore ? " .gitignore" : "", git.buf);
	if (cli->dir) {
		roger_buf_adds(&b, "-C ");
		add_word(&b, cli->dir);
		roger_buf_addch(&b, ' ');
	}
	roger_buf_adds(&b, "deploy");
	roger_buf_release(&git);
	return roger_buf_detach(&b, NULL);
}

static void print_text(struct cli *cli, const struct roger_init *init,
		       const char *file, bool gitignore, const char *next)
{
	for (size_t i = 0; i < init->n_notes; i++) {
		const struct roger_init_note *n = &init->notes[i];
		char label[32];

		snprintf(label, sizeof(label), "%s:", n->what);
		printf("%-14s%s%s%s (%s)\n", label, cli_color(cli, "bold"),
		       n->value ? n->value : "none", cli_color(cli, "reset"),
		       n->why);
	}
	for (size_t i = 0; i < init->n_skipped; i++) {
		const struct roger_init_skipped *sk = &init->skipped[i];

		printf("%-14s%s:%u: %s (%s)\n", "not honoured:", sk->file,
		       sk->line, sk->instruction, sk->why);
	}
	printf("wrote %s for app %s\n", file, init->id);
	if (gitignore)
		puts("added '.roger/' to .gitignore");
	printf("next: %s\n", next);
}

static int print_json(struct cli *cli, const struct roger_init *init,
		      const char *file, bool gitignore, const char *next)
{
	json_t *doc = json_object(), *detected = json_object();
	json_t *skipped = json_array();

	for (size_t i = 0; i < init->n_notes; i++) {
		const struct roger_init_note *n = &init->notes[i];
		char key[32];

		/* "health check" becomes "health_check". */
		snprintf(key, sizeof(key), "%s", n->what);
		for (char *p = key; *p; p++)
			if (*p == ' ')
				*p = '_';
		json_object_set_new(detected, key,
				    json_pack("{s:s?, s:s}", "value", n->value,
					      "why", n->why));
	}
	for (size_t i = 0; i < init->n_skipped; i++) {
		const struct roger_init_skipped *sk = &init->skipped[i];

		json_array_append_new(skipped,
				      json_pack("{s:s, s:i, s:s, s:s}", "file",
						sk->file, "line", (int)sk->line,
						"instruction", sk->instruction,
						"why", sk->why));
	}
	json_object_set_new(doc, "file", json_string(file));
	json_object_set_new(doc, "id", json_string(init->id));
	json_object_set_new(doc, "detected", detected);
	json_object_set_new(doc, "not_honoured", skipped);
	json_object_set_new(doc, "gitignore_updated", json_boolean(gitignore));
	json_object_set(doc, "roger_json", init->doc);
	json_object_set_new(doc, "next", json_string(next));
	{
		json_t *warnings = json_array();

		for (size_t i = 0; i < init->n_warnings; i++)
			json_array_append_new(warnings,
					      json_string(init->warnings[i]));
		json_object_set_new(doc, "warnings", warnings);
	}
	return cli_print_doc(cli, doc);
}

static int init_run(struct cli *cli, int argc, char **argv)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_init *init = NULL;
	bool gitignore = false;
	char *file, *next;
	int status = ROGER_EXIT_OK;

	cli_parse_options(cli, argc, argv);
	opts.path = getenv("PATH");
	if (roger_init_detect(&init, cli->dir, &opts, &err) < 0 ||
	    roger_init_write(init, force, &gitignore, &err) < 0) {
		roger_init_free(init);
		return cli_fail(&err);
	}
	file = cli->dir ? roger_path_join(cli->dir, "roger.json")
			: xstrdup("roger.json");
	next = file ? next_step(cli, init) : NULL;
	if (!next) {
		free(file);
		roger_init_free(init);
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	for (size_t i = 0; i < init->n_warnings && !cli->quiet; i++)
		cli_warn("%s", init->warnings[i]);
	if (cli->output == OUTPUT_JSON)
		status = print_json(cli, init, file, gitignore, next);
	else if (!cli->quiet)
		print_text(cli, init, file, gitignore, next);
	free(next);
	free(file);
	roger_init_free(init);
	return status;
}

const struct roger_cmd cmd_init = {
	.name = "init",
	.summary = "write roger.json for the project, detecting what it can",
	.opts = init_opts,
	.run = init_run,
};
