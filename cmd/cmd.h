/*
 * cmd.h - what every command file of the roger binary shares: the command
 * descriptor, the option table, the global options, and the printing
 * helpers.
 *
 * Each cmd/<name>.c defines one `const struct roger_cmd cmd_<name>` and
 * keeps everything else static; cmd/roger.c lists the descriptors in one
 * sorted table.  Option tables are the single source for the parser, the
 * usage line, `-h`, the completion candidates and the meta-tests that
 * compare them with the man pages, so nothing here is written twice.  What
 * the commands share lives in cmd/util/.
 */
#ifndef ROGER_CMD_H
#define ROGER_CMD_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/roger.h"

/* What the argument of an option (or a positional argument) is, for completion.
 */
enum cmd_arg {
	ARG_NONE,
	ARG_WORD, /* free text: nothing to offer */
	ARG_CHOICE, /* one of the words in `choices` */
	ARG_DIR,
	ARG_FILE,
	ARG_ENV, /* an environment of roger.json */
	ARG_TARGET, /* a target of the user config */
	ARG_REF, /* a git ref of the project's repository */
	ARG_APP, /* a Marathon app id of the target (short timeout) */
	ARG_TASK, /* a task id of the project's app */
	ARG_VERSION, /* an app version or a commit, for rollback --to */
	ARG_COMMAND, /* a roger command name */
	ARG_JOB, /* a job of roger.json (or release, run) */
	ARG_RUN, /* a run id of the job --job names (short timeout) */
};

struct cli;
struct cmd_opt;

/* How an option hands its argument to its destination. */
enum cmd_opt_type {
	CMD_OPT_END,
	CMD_OPT_BOOL, /* bool *: true when given */
	CMD_OPT_COUNT, /* int *: one more each time it is given (-vv) */
	CMD_OPT_STRING, /* const char **: the argument (the last one wins) */
	CMD_OPT_CHOICE, /* int *: the argument's index among `choices` */
	CMD_OPT_INT, /* long *: a whole number from `min` to `max` */
	CMD_OPT_DURATION, /* int64_t *: ms, with units, from `min` to `max` */
	CMD_OPT_CALLBACK, /* `cb` takes it */
};

/*
 * What a CMD_OPT_CALLBACK option runs; `arg` is NULL for a flag.  Returns
 * 0, or an exit status after printing the error.
 */
typedef int (*cmd_opt_fn)(struct cli *cli, const struct cmd_opt *opt,
			  const char *arg);

/*
 * One row of an option table, as git's parse-options has them: the names,
 * where the value goes and the help.  The tables are the single source of
 * the parser (getopt_long, built from them), the usage line (generated,
 * and equal to the man page SYNOPSIS), -h, and completion.  Rows are made
 * with the OPT_* macros below and a table ends with OPT_END().
 */
struct cmd_opt {
	enum cmd_opt_type type;
	int short_name; /* a letter, or 0 */
	const char *long_name; /* without "--", or NULL */
	void *value; /* the destination, of the type's kind */
	const char *argh; /* the argument as usage names it; NULL: a flag */
	const char *help; /* one line for -h */
	enum cmd_arg complete; /* what the argument completes to */
	const char *choices; /* CMD_OPT_CHOICE and ARG_CHOICE: words, spaced */
	int64_t min, max; /* CMD_OPT_INT, CMD_OPT_DURATION (ms) */
	cmd_opt_fn cb; /* CMD_OPT_CALLBACK */
};

/* `v` as a destination of type T *, checked by the compiler. */
#define CMD_OPT_DEST(T, v) (1 ? (v) : (T *)NULL)

#define OPT_END()                   \
	{                           \
		.type = CMD_OPT_END \
	}
#define OPT_BOOL(s, l, v, h)                                               \
	{                                                                  \
		.type = CMD_OPT_BOOL, .short_name = (s), .long_name = (l), \
		.value = CMD_OPT_DEST(bool, v), .help = (h)                \
	}
#define OPT_COUNT(s, l, v, h)                                               \
	{                                                                   \
		.type = CMD_OPT_COUNT, .short_name = (s), .long_name = (l), \
		.value = CMD_OPT_DEST(int, v), .help = (h)                  \
	}
#define OPT_STRING(s, l, v, a, c, h)                                         \
	{                                                                    \
		.type = CMD_OPT_STRING, .short_name = (s), .long_name = (l), \
		.value = CMD_OPT_DEST(const char *, v), .argh = (a),         \
		.help = (h), .complete = (c)                                 \
	}
#define OPT_CHOICE(s, l, v, a, words, h)                                     \
	{                                                                    \
		.type = CMD_OPT_CHOICE, .short_name = (s), .long_name = (l), \
		.value = CMD_OPT_DEST(int, v), .argh = (a), .help = (h),     \
		.complete = ARG_CHOICE, .choices = (words)                   \
	}
#define OPT_INT(s, l, v, a, lo, hi, h)                                    \
	{                                                                 \
		.type = CMD_OPT_INT, .short_name = (s), .long_name = (l), \
		.value = CMD_OPT_DEST(long, v), .argh = (a), .help = (h), \
		.complete = ARG_WORD, .min = (lo), .max = (hi)            \
	}
#define OPT_DURATION(s, l, v, lo, hi, h)                                       \
	{                                                                      \
		.type = CMD_OPT_DURATION, .short_name = (s), .long_name = (l), \
		.value = CMD_OPT_DEST(int64_t, v), .argh = "duration",         \
		.help = (h), .complete = ARG_WORD, .min = (lo), .max = (hi)    \
	}
#define OPT_CALLBACK(s, l, v, a, c, fn, h)                                     \
	{                                                                      \
		.type = CMD_OPT_CALLBACK, .short_name = (s), .long_name = (l), \
		.value = (v), .argh = (a), .help = (h), .complete = (c),       \
		.cb = (fn)                                                     \
	}

/*
 * A count from `lo` up, or "all" (stored as -1), into a long: -n of
 * history and logs.
 */
int cli_opt_count_or_all(struct cli *cli, const struct cmd_opt *opt,
			 const char *arg);
#define OPT_COUNT_OR_ALL(s, l, v, a, lo, h)                                    \
	{                                                                      \
		.type = CMD_OPT_CALLBACK, .short_name = (s), .long_name = (l), \
		.value = CMD_OPT_DEST(long, v), .argh = (a), .help = (h),      \
		.complete = ARG_WORD, .min = (lo), .cb = cli_opt_count_or_all  \
	}

/* Durations in ms, for the limits of OPT_DURATION. */
#define CLI_SECOND 1000LL
#define CLI_DAY (86400 * CLI_SECOND)

enum cmd_flags {
	CMD_HIDDEN = 1 << 0, /* not listed in help or completion */
	CMD_NEED_PROJECT = 1 << 1, /* load roger.json before run */
	CMD_NEED_TARGET = 1 << 2, /* resolve the target before run */
	CMD_NO_GLOBAL_OPTS = 1 << 3, /* pass argv through unparsed */
};

struct roger_cmd {
	const char *name;
	const char *summary; /* one line, lower case, for `roger help` */
	/*
	 * The operands as the usage line ends ("instances", "[command]");
	 * the line itself is generated from `opts` (cli_usage_line) and is
	 * byte-identical to the man page SYNOPSIS.
	 */
	const char *operands;
	const struct cmd_opt *opts; /* ends with OPT_END() */
	int max_operands; /* more is a usage error; -1: any number */
	enum cmd_arg args; /* what operands complete to */
	const char *arg_choices; /* for args == ARG_CHOICE */
	enum cmd_arg verb_args; /* what follows a sub-verb ("jobs run NAME") */
	/*
	 * Letters of global options that this command's own options take
	 * over after the command name ("t": `exec -t` is --tty, as in
	 * kubectl); the global option keeps its long name there, and its
	 * letter before the command name.  Any other letter defined twice
	 * stops the program.
	 */
	const char *shadows;
	unsigned flags;
	/*
	 * argv[0] is the command name; returns an exit status.  It calls
	 * cli_parse_options() first (unless CMD_NO_GLOBAL_OPTS).
	 */
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
	const char *dir; /* -C */
	const char *env; /* -e */
	const char *target; /* -t */
	int output; /* -o: enum cli_output */
	int verbose; /* count of -v */
	bool quiet;
	bool yes;
	bool no_schema_check; /* --no-schema-check */
	int color_when; /* --color: enum cli_color_when */
	bool color; /* resolved from --color, NO_COLOR, TERM, the terminal */
	int64_t request_timeout_ms; /* --request-timeout; 0: the client's */
	bool stdin_tty, stdout_tty, stderr_tty;
	struct cli_var *vars; /* --var NAME=VALUE, in order */
	size_t n_vars;
	struct roger_ctx *ctx;
	struct roger_project *project; /* loaded for CMD_NEED_PROJECT */
	struct roger_user_config *user_config;
	struct roger_target *resolved_target; /* for CMD_NEED_TARGET */
	char *app_id; /* the app a command acts on (cli_app_id) */
	/* roger.json is not HEAD's, used with --allow-dirty (cli_use_ref) */
	bool project_dirty;
	const char *complete_job; /* completion: the --job on the line */
};

enum cli_color_when {
	COLOR_AUTO,
	COLOR_ALWAYS,
	COLOR_NEVER,
};

extern volatile sig_atomic_t cli_interrupted;

/*
 * Parse the options of `cli->cmd` and the global ones (argv[0] is the
 * command name), writing each value to its destination: options may come
 * before, between and after the operands, and `--` ends them, as in git
 * and GNU getopt.  The operands are moved to argv[0..n), in order, and n
 * is returned; then what the command's CMD_NEED_* flags ask for is
 * loaded.  A usage error (an unknown option, a bad value, more operands
 * than cmd->max_operands), -h/--help or a failed setup does not return.
 */
int cli_parse_options(struct cli *cli, int argc, char **argv);

/*
 * The same for the global options before the command name: parsing stops
 * at the first operand, whose index is returned (argc when there is none).
 */
int cli_parse_global_options(struct cli *cli, int argc, char **argv);

/*
 * The usage line of `cmd`, generated from its option table: "roger NAME",
 * the flags with a letter in one group ("[-nq]"), the letters that take an
 * argument ("[-o format]"), the long-only options ("[--timeout duration]"),
 * each group sorted, then cmd->operands.
 */
void cli_usage_line(struct roger_buf *out, const struct roger_cmd *cmd);

/*
 * Set what the context takes from the options: the log level from -q, -v
 * (repeatable) and ROGER_TRACE_HTTP; the schema check of roger.json from
 * --no-schema-check and ROGER_NO_SCHEMA_CHECK.
 */
void cli_update_context(struct cli *cli);

/*
 * Print "roger: <msg>", the usage line of the running command and where
 * to read more, on stderr; returns ROGER_EXIT_USAGE.
 */
int cli_usage_error(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "roger: <msg>" on stderr: what a command tells along the way, no error. */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the error's message and return the exit status for its code. */
int cli_fail(const struct roger_err *err);
/* The option lines of a help text, without the letters in `hide` (may
 * be NULL). */
void cli_print_opts(FILE *fp, const struct cmd_opt *opts, const char *hide);
/* The usage text of a command (usage line and its options) on `fp`. */
void cli_print_usage(FILE *fp, const struct roger_cmd *cmd);

/*
 * Parse a whole number from `min` to `max` (an operand or an option's
 * argument, named `what` in the message): 0, or a usage error (2).
 */
int cli_parse_long(struct cli *cli, const char *what, const char *s, long min,
		   long max, long *out);
/* The same for a duration with units (lib/duration.h), in ms. */
int cli_parse_duration(struct cli *cli, const char *what, const char *s,
		       int64_t min, int64_t max, int64_t *out);

/*
 * Terminal styling: the escape sequence for `what` ("red", "green",
 * "yellow", "bold", "dim", "reset") when color is on, else "".
 */
const char *cli_color(const struct cli *cli, const char *what);

/*
 * -o json on failure.  Every command that fails prints one JSON document
 * on stdout: its own, with an "error" member (the deploying commands), or
 * else {"error": ...} alone on one line, printed at exit
 * (cli_finish_stdout), after the JSON lines of `logs` if any.  The
 * error is {"message": the first error said, "code": the exit status's
 * name ("usage", "deploy_failed"), "exit": the status}.
 */
void cli_set_main(const struct cli *cli);
/* Remember the first error message (cli_error and the usage errors do). */
void cli_note_error(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));
/* The error object for exit `status` (new reference; NULL: no memory). */
json_t *cli_error_json(int status);
/* At exit with -o json: {"error": ...}, unless a document was printed. */
void cli_print_error_doc(int status);

/* Write one JSON document (pretty, with a final newline) to stdout. */
int cli_print_json(struct cli *cli, const json_t *doc);
/*
 * The same, stealing `doc`: NULL (a json_pack() that ran out of memory)
 * is an error, said.  Returns an exit status.
 */
int cli_print_doc(struct cli *cli, json_t *doc);

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
 * A Marathon client for the target (resolving it first), whose requests
 * give up after --request-timeout when it is given.  For the built-in
 * local target with `start_local`, roger local is started when it is not
 * running, saying so on stderr (deploy does this; read-only commands do
 * not).  Returns an exit status, after printing the error.
 */
int cli_marathon(struct cli *cli, bool start_local,
		 struct roger_marathon **out);
/*
 * Apply --request-timeout (when given) to a client: each request gives up
 * after it, and connecting after at most 10 s of it.
 */
void cli_limit_requests(struct cli *cli, struct roger_http_client *c);

/* ---- looking at a live app (cmd/util/appinfo.c) ---- */

/*
 * Print the error of a request about the app `app_id` and return its exit
 * status: ROGER_ENOTFOUND as "app '/x' does not exist on target 't'" (1);
 * an unreachable built-in local target adds that roger local is not
 * running and how to start it (4).
 */
int cli_fail_app(struct cli *cli, const char *app_id,
		 const struct roger_err *err);
/*
 * roger_release_find() for a command: the version `want` of the app among
 * `v`, in *index and *def (new reference).  Returns an exit status, after
 * printing the error: 2 for a `want` of neither shape or an ambiguous
 * commit, 1 when nothing matches.
 */
int cli_find_version(struct cli *cli, struct roger_marathon *m,
		     const char *app_id,
		     const struct roger_marathon_versions *v, const char *want,
		     size_t *index, json_t **def);
/*
 * The app's stable address on the command's target (lib/address.h): roger
 * local's router front, or the target's "router" template filled from
 * `app` (read back after the deployment; `def` is its definition).  A new
 * string, or NULL when none is known.
 */
char *cli_stable_address(struct cli *cli, const json_t *def,
			 const struct roger_marathon_app *app);
/* A JSON string of `s`, or null for NULL. */
json_t *cli_json_str(const char *s);
/* The release labels as the -o json documents show them (null: none). */
json_t *cli_release_json(const struct roger_release *r, bool is_release);
/* "image:      REF (built on BASE)" for a release that runs an image. */
void cli_print_image(const struct roger_release *r);
/* A duration in ms as a short age: "42s", "5m", "3h", "2d". */
void cli_format_age(char *out, size_t size, int64_t ms);

/*
 * What `roger --version` and `roger version` print: the version, and the
 * compressor of artifacts (artifacts are the same bytes only when made by
 * the same one).
 */
void cli_print_version(void);

/*
 * Start roger local for the built-in target when it is not running, saying
 * so on stderr (the target must be resolved).  Returns an exit status,
 * after printing the error.
 */
int cli_start_local(struct cli *cli);

/* ---- artifacts (cmd/util/artifact.c): build and push for build, push, deploy -- */

struct cli_build_args {
	const char *ref; /* --ref; NULL: HEAD */
	bool allow_dirty;
	bool no_cache;
	char commit[65]; /* what --ref resolved to (cli_use_ref), or "" */
};

/* The build options, the same in every command that builds, into `a`. */
#define OPT_BUILD_ALLOW_DIRTY(a)                     \
	OPT_BOOL(                                    \
		0, "allow-dirty", &(a)->allow_dirty, \
		"package the work tree as it is when it has uncommitted changes")
#define OPT_BUILD_NO_CACHE(a)                  \
	OPT_BOOL(                              \
		0, "no-cache", &(a)->no_cache, \
		"build and package again, ignoring the artifact and build caches")
#define OPT_BUILD_REF(a)                                \
	OPT_STRING(0, "ref", &(a)->ref, "ref", ARG_REF, \
		   "package this branch, tag or commit instead of HEAD")

/*
 * Make roger.json the one that will be packaged, before anything reads
 * it (the app id, the target of -e): with --ref, roger.json as that
 * commit has it replaces the work tree's (roger_project_load_commit; the
 * commit is kept in args->commit for the build); without --ref, a
 * roger.json that HEAD does not have (untracked, or only added) or that
 * differs from HEAD's is refused like a dirty work tree (exit 1), unless
 * --allow-dirty, which uses it and says so.  Returns an exit status,
 * after printing the error.
 */
int cli_use_ref(struct cli *cli, struct cli_build_args *args);

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

/* A progress line on stderr, redrawn in place (cmd/util/artifact.c). */
struct cli_progress {
	struct cli *cli;
	int64_t last_ms;
	bool shown;
	/* uploads */
	int64_t start_ms;
	uint64_t last_sent;
};

/* What the project's app runs (cli_app_kind). */
enum cli_app_kind {
	CLI_APP_ARTIFACT, /* a tarball fetched into the sandbox */
	CLI_APP_IMAGE, /* a container image roger builds (roger.json's image) */
	CLI_APP_EXTERNAL, /* the image marathon.container names: nothing to
			     build */
};

/*
 * What the project's app runs for -e (loading roger.json), and for
 * CLI_APP_EXTERNAL the image, as written, in *external (malloc'd; may be
 * NULL when not wanted).  Returns an exit status, after printing the error.
 */
int cli_app_kind(struct cli *cli, enum cli_app_kind *kind, char **external);

/*
 * The commit that `args` names (--ref, else HEAD), into out[41], without
 * packaging anything: what an app that builds nothing deploys.  Returns an
 * exit status, after printing the error.
 */
int cli_resolve_commit(struct cli *cli, const struct cli_build_args *args,
		       char *out);

/* A container image built for the project, and where it goes. */
struct cli_image {
	struct roger_image *img;
	struct roger_registry_pool *pool;
	char *url; /* the target registry's API base, or NULL */
	char *repository; /* "team/web/hello", NULL without a registry */
	char tag[32]; /* roger_image_tag() */
	char *pinned; /* "host/repo@sha256:...", NULL without a registry */
	char *tagged; /* "host/repo:tag", the same */
	const char *reference; /* what the runtime pulls: one of the two */
	char *base_pinned; /* "base:tag@sha256:..." */
	const char *runtime; /* "DOCKER" or "MESOS" */
	struct roger_image_push_result pushed;
	bool was_pushed; /* something was sent */
	int64_t push_ms; /* how long the push took (or its dry run) */
	struct cli_progress prog;
};

/*
 * Build the image of the project (roger.json's `image` section) as `roger
 * build` does, resolving the target first (its registry's credentials may
 * be the base's): the output of the build command, packaging progress,
 * the last lines of a failed build, the dirty warning.  A base that does
 * not exist is invalid configuration (3).  Returns an exit status after
 * printing any error; on success *out (cli_image_free).
 */
int cli_build_image(struct cli *cli, const struct cli_build_args *args,
		    struct cli_image **out);
void cli_image_free(struct cli_image *im);

/*
 * 0 when the target has a registry to push images to; else says so, 3
 * (4 for the local target whose server does not run).  With `start`, the
 * local target starts roger local when neither the user config nor the
 * environment names a registry, and takes its server's.
 */
int cli_check_registry(struct cli *cli, bool start);

/*
 * Push `im` to the target's registry (upload progress on a terminal; one
 * line on stderr saying it was pushed or already there).  With `dry_run`
 * only asks the registry whether it has it.  Returns an exit status.
 */
int cli_push_image(struct cli *cli, struct cli_image *im, bool dry_run);

/* The image as the -o json documents show it (a new reference). */
json_t *cli_image_json(const struct cli_image *im);

/*
 * The image of `args` built (cli_build_image) and, with `push`, pushed
 * (cli_push_image), after checking that the target has a registry
 * (cli_check_registry, starting roger local only to push): what deploy,
 * diff and run --ref do for an app that builds its image.  Returns an exit
 * status after printing any error; on success *out (cli_image_free), else
 * NULL.
 */
int cli_ship_image(struct cli *cli, const struct cli_build_args *args,
		   bool push, struct cli_image **out);

/* ---- the app to deploy (cmd/util/render.c) ----------------------------- */

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
 * The instance count to deploy `rendered` with (roger_release_instances()
 * against the live app `live`, NULL when there is none), set in it: the
 * live count, unless roger.json's count changed since the live release
 * (the live count too when `rendered`, a stored version, does not
 * record roger.json's count).
 * Says why on stderr when that is not roger.json's count (not with -q;
 * a changed count shows in the diff), and records the choice in `doc`
 * (may be NULL) as "instances": {"live", "roger_json", "deployed",
 * "reason"}.
 */
void cli_keep_instances(struct cli *cli, json_t *rendered, const json_t *live,
			json_t *doc);

/*
 * The same as cli_render_app_at() for an app without an artifact: an
 * image app (`image`), or one whose container names an image built
 * elsewhere (`image` NULL).
 */
int cli_render_image_app(struct cli *cli, const char *commit,
			 const struct roger_render_image *image, json_t **out);

/*
 * cli_render_image_app() for the image `im` that roger built: its commit,
 * reference, pinned base and runtime, in the container shape of the
 * Marathon `m` (cli_marathon_shape()).
 */
int cli_render_built_image(struct cli *cli, struct roger_marathon *m,
			   const struct cli_image *im, json_t **out);

/*
 * The container shape of the target's Marathon, from its /v2/info: 1.4's
 * for 1.4, else (later versions, and a Marathon that does not say) 1.5's.
 */
enum roger_render_shape cli_marathon_shape(struct cli *cli,
					   struct roger_marathon *m);

/*
 * Leave the program with `status` after checking that everything written
 * to stdout arrived (a full disk or a closed pipe is an error, not silence).
 */
void cli_exit(int status) __attribute__((noreturn));
/* The same check without exiting: `status`, or 1 when stdout failed. */
int cli_finish_stdout(int status);

/*
 * json_object_set_new() that cannot fail: steals `value` into `obj`, and
 * dies with a message when either is missing (out of memory).
 */
void cli_json_set(json_t *obj, const char *key, json_t *value);

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
