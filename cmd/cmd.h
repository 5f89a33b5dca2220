/*
 * cmd.h - what every command file of the roger binary shares: the command
 * descriptor, the option table, the global options, and the printing
 * helpers.
 *
 * Each cmd/<name>.c defines one `const struct roger_cmd cmd_<name>` and
 * keeps everything else static; cmd/roger.c lists the descriptors in one
 * sorted table.  Option tables are the single source for getopt, `-h`, the
 * completion candidates and the meta-tests that compare them with the man
 * pages, so nothing here is written twice.
 */
#ifndef ROGER_CMD_H
#define ROGER_CMD_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "lib/roger.h"

/* What the argument of an option (or a positional argument) is, for completion. */
enum cmd_arg {
	ARG_NONE,
	ARG_WORD,    /* free text: nothing to offer */
	ARG_CHOICE,  /* one of the words in `choices` */
	ARG_DIR,
	ARG_FILE,
	ARG_ENV,     /* an environment of roger.json */
	ARG_TARGET,  /* a target of the user config */
	ARG_REF,     /* a git ref of the project's repository */
	ARG_APP,     /* a Marathon app id of the target (short timeout) */
	ARG_TASK,    /* a task id of the project's app */
	ARG_VERSION, /* an app version or a commit, for rollback --to */
	ARG_COMMAND, /* a roger command name */
};

/* Long-only options use values from here up, so they never clash with letters. */
#define OPT_LONG 256

struct cmd_opt {
	int val;             /* the short letter, or OPT_LONG + n for long-only */
	const char *name;    /* long name, without "--" */
	const char *arg;     /* argument name shown in help, NULL for a flag */
	enum cmd_arg complete;
	const char *choices; /* ARG_CHOICE: words separated by spaces */
	const char *help;
};

enum cmd_flags {
	CMD_HIDDEN = 1 << 0,       /* not listed in help or completion */
	CMD_NEED_PROJECT = 1 << 1, /* load roger.json before run */
	CMD_NEED_TARGET = 1 << 2,  /* resolve the target before run */
	CMD_NO_GLOBAL_OPTS = 1 << 3, /* pass argv through unparsed */
};

struct cli;

struct roger_cmd {
	const char *name;
	const char *summary; /* one line, lower case, for `roger help` */
	const char *usage;   /* byte-identical to the man page SYNOPSIS */
	const struct cmd_opt *opts; /* ends with an entry whose val is 0 */
	enum cmd_arg args;          /* what positional arguments complete to */
	const char *arg_choices;    /* for args == ARG_CHOICE */
	unsigned flags;
	/* argv[0] is the command name; returns an exit status. */
	int (*run)(struct cli *cli, int argc, char **argv);
};

enum cli_output {
	OUTPUT_TEXT,
	OUTPUT_JSON,
};

struct cli_var {
	const char *name;
	const char *value;
};

/* The global options and the state every command may use. */
struct cli {
	const struct roger_cmd *cmd;
	const char *dir;    /* -C */
	const char *env;    /* -e */
	const char *target; /* -t */
	enum cli_output output;
	int verbose;        /* count of -v */
	bool quiet;
	bool yes;
	bool color;         /* resolved from --color, NO_COLOR and the terminal */
	bool stdin_tty, stdout_tty, stderr_tty;
	struct cli_var *vars; /* --var NAME=VALUE, in order */
	size_t n_vars;
	struct roger_ctx *ctx;
	struct roger_project *project; /* loaded for CMD_NEED_PROJECT */
	struct roger_user_config *user_config;
	struct roger_target *resolved_target; /* for CMD_NEED_TARGET */
	char *app_id;       /* the app a command acts on (cli_app_id) */
	/* getopt state of the running command */
	struct cli_getopt *go;
};

extern volatile sig_atomic_t cli_interrupted;

/*
 * getopt_long over the command's options plus the global ones, which it
 * handles itself, so they work before and after the command name.  Returns
 * the next command option's val, or -1 at the end (then `optind` indexes the
 * first operand), after loading what the command's CMD_NEED_* flags ask for.
 * A usage error, -h/--help or a failed setup does not return.
 */
int cli_getopt(struct cli *cli, int argc, char **argv);

/* Set the context's log level from -q, -v (repeatable) and ROGER_TRACE_HTTP. */
void cli_update_log_level(struct cli *cli);

/* Print "roger: <msg>" (and, for usage errors, the usage) and return status. */
int cli_usage_error(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the error's message and return the exit status for its code. */
int cli_fail(const struct roger_err *err);
/* The option lines of a help text. */
void cli_print_opts(FILE *fp, const struct cmd_opt *opts);
/* The usage text of a command (usage line and its options) on `fp`. */
void cli_print_usage(FILE *fp, const struct roger_cmd *cmd);

/* Parse an integer operand or option argument, or fail with a usage error. */
int cli_parse_long(struct cli *cli, const char *what, const char *s, long min,
		   long max, long *out);

/*
 * Terminal styling: the escape sequence for `what` ("red", "green",
 * "yellow", "bold", "dim", "reset") when color is on, else "".
 */
const char *cli_color(const struct cli *cli, const char *what);

/* Write one JSON document (pretty, with a final newline) to stdout. */
int cli_print_json(struct cli *cli, const json_t *doc);

/*
 * Ask for confirmation of `what`: true with --yes; false with a message
 * naming --yes when stdin is not a terminal; otherwise a y/N prompt.
 */
bool cli_confirm(struct cli *cli, const char *what);

/* Load roger.json (cached in cli->project); prints the error itself. */
int cli_load_project(struct cli *cli);
/* Resolve the target (cached in cli->resolved_target); prints the error. */
int cli_load_target(struct cli *cli);

/*
 * The Marathon app id a command acts on, in *out (borrowed from cli, valid
 * until exit): `app` (an --app option: checked against Marathon's id rules
 * and made absolute) or, when `app` is NULL, the project's (loading
 * roger.json).  Returns an exit status, after printing the error.
 */
int cli_app_id(struct cli *cli, const char *app, const char **out);

/*
 * A Marathon client for the target (resolving it first).  For the
 * built-in local target with `start_local`, roger local is started when it
 * is not running, saying so on stderr (deploy does this; read-only
 * commands do not).  Returns an exit status, after printing the error.
 */
int cli_marathon(struct cli *cli, bool start_local,
		 struct roger_marathon **out);

/* ---- looking at a live app (cmd/appinfo.c) ---- */

/* --timeout SECONDS (1 to 86400) in ms; an exit status. */
int cli_parse_timeout(struct cli *cli, const char *arg, long *ms);
/*
 * cli_marathon(cli, false, out) whose requests each give up after
 * `timeout_ms` (0: the HTTP client's default, 60 s).
 */
int cli_marathon_timeout(struct cli *cli, long timeout_ms,
			 struct roger_marathon **out);
/*
 * Print the error of a request about the app `app_id` and return its exit
 * status: ROGER_ENOTFOUND as "app '/x' does not exist on target 't'" (1);
 * an unreachable built-in local target adds that roger local is not
 * running and how to start it (4).
 */
int cli_fail_app(struct cli *cli, const char *app_id,
		 const struct roger_err *err);
/*
 * The version `want` of the app among `v` (newest first): a version
 * timestamp, or a commit (7 to 64 hex digits, the start of one is enough)
 * whose newest release is meant.  Definitions are read one by one, newest
 * first, until one matches: *index is its place in `v` and *def the
 * stored definition (new reference).  Returns an exit status, after
 * printing the error: 2 for a `want` of neither shape, 1 when nothing
 * matches.
 */
int cli_find_version(struct cli *cli, struct roger_marathon *m,
		     const char *app_id,
		     const struct roger_marathon_versions *v, const char *want,
		     size_t *index, json_t **def);
/* Marathon's "2026-01-02T03:04:05.678Z" in ms since the epoch. */
bool cli_parse_time(const char *s, int64_t *ms);
/* A duration in ms as a short age: "42s", "5m", "3h", "2d". */
void cli_format_age(char *out, size_t size, int64_t ms);

/*
 * Start roger local for the built-in target when it is not running, saying
 * so on stderr (the target must be resolved).  Returns an exit status,
 * after printing the error.
 */
int cli_start_local(struct cli *cli);

/* ---- artifacts (cmd/artifact.c): build and push for build, push, deploy -- */

/* The build options, the same in every command that builds. */
enum {
	CLI_OPT_ALLOW_DIRTY = OPT_LONG + 60,
	CLI_OPT_NO_CACHE,
	CLI_OPT_REF,
};

/* Their option table entries (keep each table sorted by name). */
#define CLI_OPT_ENTRY_ALLOW_DIRTY                                              \
	{ CLI_OPT_ALLOW_DIRTY, "allow-dirty", NULL, ARG_NONE, NULL,            \
	  "package the work tree as it is when it has uncommitted changes" }
#define CLI_OPT_ENTRY_NO_CACHE                                                 \
	{ CLI_OPT_NO_CACHE, "no-cache", NULL, ARG_NONE, NULL,                  \
	  "build and package again, ignoring the artifact and build caches" }
#define CLI_OPT_ENTRY_REF                                                      \
	{ CLI_OPT_REF, "ref", "REF", ARG_REF, NULL,                            \
	  "package this branch, tag or commit instead of HEAD" }

struct cli_build_args {
	const char *ref; /* --ref; NULL: HEAD */
	bool allow_dirty;
	bool no_cache;
};

/*
 * Record `c` (a value of cli_getopt, with its `arg`) in `args` when it is
 * one of the build options, and say whether it was.
 */
bool cli_build_option(struct cli_build_args *args, int c, const char *arg);

/*
 * Build the project's artifact as `roger build` does (loading roger.json):
 * the build command's output on stderr prefixed with "build:" (not with
 * -q), packaging progress on a terminal, the last lines of a failed build
 * command, and the warnings for a dirty work tree and Git LFS pointers.
 * --ref with --allow-dirty is a usage error.  Returns an exit status after
 * printing any error; on success *out is the artifact (roger_artifact_free).
 */
int cli_build_artifact(struct cli *cli, const struct cli_build_args *args,
		       struct roger_artifact **out);

/*
 * Push `a` to the store of the target (resolving it, and starting roger
 * local for the built-in target unless `dry_run`), with a progress bar on
 * a terminal.  Returns an exit status after printing any error; *out (from
 * ROGER_STORE_RESULT_INIT) is the caller's to release either way.
 */
int cli_push_artifact(struct cli *cli, const struct roger_artifact *a,
		      bool dry_run, struct roger_store_result *out);

/* ---- the app to deploy (cmd/render.c) ---------------------------------- */

/* "user@host", who deploys, for the ROGER_DEPLOYED_BY label. */
void cli_deployed_by(struct cli *cli, char *out, size_t size);

/*
 * The app definition of the project for -e and the target (loading both)
 * with the artifact `a`: its URL in the target's store, the --var and
 * ROGER_VAR_ variables, who deploys.  *out is a new reference; *url_out
 * (may be NULL) the artifact's URL, malloc'd.  Returns an exit status,
 * after printing the error (3 for a target without a store).
 */
int cli_render_app(struct cli *cli, const struct roger_artifact *a,
		   json_t **out, char **url_out);

/*
 * The same with the artifact's URL given (deploy knows it from the push);
 * the project must be loaded.  A bad --var is a usage error (2).
 */
int cli_render_app_at(struct cli *cli, const struct roger_artifact *a,
		      const char *url, json_t **out);

/*
 * Leave the program with `status` after checking that everything written
 * to stdout arrived (a full disk or a closed pipe is an error, not silence).
 */
void cli_exit(int status) __attribute__((noreturn));
/* The same check without exiting: `status`, or 1 when stdout failed. */
int cli_finish_stdout(int status);

/* Allocation that cannot fail: dies with a message (only in cmd/). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

/* `roger --help`: usage, the commands and the global options. */
void cli_print_main_help(FILE *fp);
/* "The most similar command is ..." on stderr, when one is close. */
void cli_suggest_command(const char *name);

/* The command table, sorted by name, and lookup in it. */
extern const struct roger_cmd *const cli_commands[];
extern const size_t cli_n_commands;
const struct roger_cmd *cli_find_command(const char *name);
extern const struct cmd_opt cli_global_opts[];

#endif
