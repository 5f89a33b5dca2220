/*
 * project.h - roger.json (the project) and its environments, resolved into
 * what a command needs: the app fragment and the variables of one
 * environment, and the name of its target (target.h resolves it).
 *
 * Parsing and validation are pure (text in, structs out); only the *_load
 * functions read files, and they read the environment through the context.
 * Errors name the file with line and column (jansson's position) for syntax,
 * or the file and the JSON path ("roger.json: environments.prod.marathon:
 * ...") for meaning, and unknown keys come with a "did you mean".
 */
#ifndef ROGER_PROJECT_H
#define ROGER_PROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_ctx;
struct roger_err;
struct roger_repo;
struct roger_var;

/* ---- roger.json ---------------------------------------------------------- */

/*
 * roger.json's `image` section: the app runs as a container image built
 * from `base` (image.h), instead of from a tarball fetched into the
 * sandbox.  Strings are borrowed from the document unless said otherwise.
 */
struct roger_project_image {
	const char *base; /* a reference, checked with roger_image_ref_parse */
	const char *workdir; /* absolute; NULL: ROGER_IMAGE_WORKDIR */
	const char *user; /* NULL: the base's */
	/* "DOCKER" (the default: Mesos' Docker containerizer) or "MESOS" */
	const char *runtime;
	char *os, *arch, *variant; /* "platform", owned; NULL: linux/amd64 */
	char **env; /* "NAME=VALUE", NULL-terminated (owned) */
	const char **entrypoint; /* NULL-terminated (array owned), or NULL */
	const char **cmd; /* the same */
};

struct roger_project {
	char *path; /* absolute path of roger.json */
	char *display; /* roger.json's path for messages: relative to the start
			  directory */
	char *dir; /* absolute directory holding it (the project) */
	char *workdir; /* absolute git work tree root, without trailing '/' */
	char *subdir; /* dir relative to workdir: "" at the root, "apps/web" */
	json_t *root; /* the whole document (owned) */
	/*
	 * The app of the base, or of the environment roger_project_select_env()
	 * chose: its name ("hello", borrowed from root), group ("/web", "/"
	 * when absent; borrowed or static) and id ("/web/hello", validated).
	 */
	const char *app;
	const char *group;
	char *id;
	json_t *app_ids; /* "" (the base) and environment names -> app id
			    (owned) */
	const char *build_command; /* NULL when none */
	const char **build_exclude; /* NULL-terminated patterns, never NULL
				       (array owned, strings borrowed) */
	const char **build_inputs; /* NULL-terminated paths relative to dir,
				      never NULL (likewise) */
	int build_timeout; /* seconds; default ROGER_BUILD_TIMEOUT */
	json_t *marathon; /* base app fragment (borrowed; an empty object if
			     absent) */
	json_t *environments; /* object (borrowed; an empty object if absent) */
	json_t *vars; /* top-level "vars": name -> string (borrowed; an empty
			 object if absent) */
	struct roger_project_image *image; /* NULL when roger.json has none */
};

#define ROGER_BUILD_TIMEOUT 1800

/*
 * Parse and validate the text of a roger.json (`path` is used in messages
 * only).  ROGER_EINVALID with "path:line:column: message" for bad JSON and
 * "path: json.path: message" for bad content.  Only `root` and the fields
 * borrowed from it are set; the path fields are NULL (roger_project_load
 * fills them).
 */
ROGER_EXTERN int roger_project_parse(struct roger_project **out,
				     const char *path, const char *text,
				     size_t len, struct roger_err *err);

enum roger_project_flags {
	/*
	 * A key of a `marathon` fragment that the Marathon app schema does
	 * not know passes unexamined (a field newer than Marathon 1.10).
	 */
	ROGER_PROJECT_NO_SCHEMA_CHECK = 1 << 0,
};

/* roger_project_parse() with enum roger_project_flags. */
ROGER_EXTERN int roger_project_parse_ext(struct roger_project **out,
					 const char *path, const char *text,
					 size_t len, unsigned flags,
					 struct roger_err *err);

/*
 * The absolute form of directory `start_dir` (NULL: the current one),
 * symbolic links resolved, and the root of the git work tree holding it, as
 * new strings in *dir_out and *workdir_out.  ROGER_ENOTFOUND when the
 * directory does not exist or is outside a git work tree (a bare
 * repository counts as outside); the message says which.
 */
ROGER_EXTERN int roger_project_locate(char **dir_out, char **workdir_out,
				      const char *start_dir,
				      struct roger_err *err);

/*
 * Find roger.json from `start_dir` (NULL: the current directory) upwards,
 * stopping at the git work tree root, and load it (checking `marathon`
 * against the Marathon app schema unless roger_ctx_schema_check() says
 * not to).  Fails with
 * ROGER_ENOTFOUND outside a git work tree or without roger.json (the
 * message says which and suggests `roger init`), ROGER_EINVALID when the
 * file cannot be read or is invalid.
 */
ROGER_EXTERN int roger_project_load(struct roger_project **out,
				    struct roger_ctx *ctx,
				    const char *start_dir,
				    struct roger_err *err);
ROGER_EXTERN void roger_project_free(struct roger_project *p);

/*
 * The project `wt` (loaded from the work tree) as commit `commit` (a full
 * hex id) of `repo` has it: its roger.json read from that commit's tree
 * instead of the disk, in the same directory, parsed and validated as
 * roger_project_parse() does.  Messages name the file as git names a file
 * of a commit ("0123456789ab:apps/web/roger.json").  ROGER_ENOTFOUND when
 * the commit has no roger.json there.
 */
ROGER_EXTERN int roger_project_load_commit(struct roger_project **out,
					   const struct roger_project *wt,
					   struct roger_repo *repo,
					   const char *commit,
					   struct roger_err *err);

/* Environment names in file order (borrowed; the array is malloc'd). */
ROGER_EXTERN int roger_project_env_names(const struct roger_project *p,
					 const char ***out, size_t *n);

/*
 * Check that environment `env` exists: 0, or ROGER_EINVALID naming it with
 * a suggestion ("unknown environment 'prdo' in roger.json, did you mean
 * 'prod'?").  NULL is the base alone and always exists.
 */
ROGER_EXTERN int roger_project_check_env(const struct roger_project *p,
					 const char *env,
					 struct roger_err *err);

/*
 * The app fragment of environment `env` (NULL: the base alone): the base
 * `marathon` with the environment's `marathon` deep-merged over it (a new
 * reference in *marathon_out), and the environment's target name (borrowed;
 * NULL when it names none).  ROGER_EINVALID for an unknown environment, with
 * a suggestion.  Either out pointer may be NULL when not wanted.
 */
ROGER_EXTERN int roger_project_environment(const struct roger_project *p,
					   const char *env,
					   json_t **marathon_out,
					   const char **target_out,
					   struct roger_err *err);

/* The app of one environment: borrowed from the project. */
struct roger_project_app {
	const char *app; /* "hello" */
	const char *group; /* "/web", or "/" */
	const char *id; /* "/web/hello" */
};

/*
 * The app of environment `env` (NULL: the base): an environment may set
 * its own `app` and `group` (so that staging and production can live side
 * by side on one cluster), each defaulting to the top-level one; ids are
 * validated when the project is parsed.  ROGER_EINVALID for an unknown
 * environment, with a suggestion.
 */
ROGER_EXTERN int roger_project_app(struct roger_project_app *out,
				   const struct roger_project *p,
				   const char *env, struct roger_err *err);

/*
 * Make p->app, p->group and p->id those of environment `env` (NULL: the
 * base), for the commands that act on the app of the chosen environment.
 * ROGER_EINVALID for an unknown environment, ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_project_select_env(struct roger_project *p,
					  const char *env,
					  struct roger_err *err);

/*
 * The {{ name }} variables for rendering environment `env` (NULL: none), in
 * the order roger_spec_expand() looks them up (first wins): `builtins` as
 * given; `cli_vars` (--var, the last of a name winning); ROGER_VAR_<name>
 * from the environment, for every name roger.json references; the
 * environment's `vars`; the top-level `vars`.  The array is malloc'd, the
 * strings borrowed from the arguments, the environment and `p`.
 * ROGER_EUSAGE when a --var has an invalid name or names a built-in.
 */
ROGER_EXTERN int
roger_project_vars(struct roger_var **out, size_t *n, struct roger_ctx *ctx,
		   const struct roger_project *p, const char *env,
		   const struct roger_var *builtins, size_t n_builtins,
		   const struct roger_var *cli_vars, size_t n_cli_vars,
		   struct roger_err *err);

/*
 * Whether a key or variable name looks like it holds a secret (password,
 * passwd, passphrase, secret, token, credential(s), auth, api_key, apikey,
 * private_key, access_key, compared case-insensitively on the name's words).
 * `strict` adds "auth", which is too common in environment variable names
 * (OAUTH_CLIENT_ID, AUTH_URL) to refuse there.
 */
ROGER_EXTERN bool roger_config_name_is_secret(const char *name, bool strict);

ROGER_END_DECLS

#endif
