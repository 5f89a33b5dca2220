/*
 * project.h - roger.json (the project), the user configuration and the
 * environment, resolved into what a command needs: the app settings of one
 * environment and one target.
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

struct roger_ctx;
struct roger_err;
struct roger_var;

/* ---- roger.json ---------------------------------------------------------- */

struct roger_project {
	char *path;     /* absolute path of roger.json */
	char *display;  /* roger.json's path for messages: relative to the start directory */
	char *dir;      /* absolute directory holding it (the project) */
	char *workdir;  /* absolute git work tree root, without trailing '/' */
	char *subdir;   /* dir relative to workdir: "" at the root, "apps/web" */
	json_t *root;   /* the whole document (owned) */
	const char *app;   /* "hello" (borrowed from root) */
	const char *group; /* "/web", "/" when absent (borrowed or static) */
	char *id;          /* "/web/hello": group + app, validated */
	const char *build_command; /* NULL when none */
	const char **build_exclude; /* NULL-terminated patterns, never NULL (array owned, strings borrowed) */
	int build_timeout; /* seconds; default ROGER_BUILD_TIMEOUT */
	json_t *marathon;  /* base app fragment (borrowed; an empty object if absent) */
	json_t *environments; /* object (borrowed; an empty object if absent) */
	json_t *vars;      /* top-level "vars": name -> string (borrowed; an empty object if absent) */
};

#define ROGER_BUILD_TIMEOUT 1800

/*
 * Parse and validate the text of a roger.json (`path` is used in messages
 * only).  ROGER_EINVALID with "path:line:column: message" for bad JSON and
 * "path: json.path: message" for bad content.  Only `root` and the fields
 * borrowed from it are set; the path fields are NULL (roger_project_load
 * fills them).
 */
int roger_project_parse(struct roger_project **out, const char *path,
			const char *text, size_t len, struct roger_err *err);

/*
 * The absolute form of directory `start_dir` (NULL: the current one),
 * symbolic links resolved, and the root of the git work tree holding it, as
 * new strings in *dir_out and *workdir_out.  ROGER_ENOTFOUND when the
 * directory does not exist or is outside a git work tree (a bare
 * repository counts as outside); the message says which.
 */
int roger_project_locate(char **dir_out, char **workdir_out,
			 const char *start_dir, struct roger_err *err);

/*
 * Find roger.json from `start_dir` (NULL: the current directory) upwards,
 * stopping at the git work tree root, and load it.  Fails with
 * ROGER_ENOTFOUND outside a git work tree or without roger.json (the
 * message says which and suggests `roger init`), ROGER_EINVALID when the
 * file cannot be read or is invalid.
 */
int roger_project_load(struct roger_project **out, struct roger_ctx *ctx,
		       const char *start_dir, struct roger_err *err);
void roger_project_free(struct roger_project *p);

/* Environment names in file order (borrowed; the array is malloc'd). */
int roger_project_env_names(const struct roger_project *p, const char ***out,
			    size_t *n);

/*
 * Check that environment `env` exists: 0, or ROGER_EINVALID naming it with
 * a suggestion ("unknown environment 'prdo' in roger.json, did you mean
 * 'prod'?").  NULL is the base alone and always exists.
 */
int roger_project_check_env(const struct roger_project *p, const char *env,
			    struct roger_err *err);

/*
 * The app fragment of environment `env` (NULL: the base alone): the base
 * `marathon` with the environment's `marathon` deep-merged over it (a new
 * reference in *marathon_out), and the environment's target name (borrowed;
 * NULL when it names none).  ROGER_EINVALID for an unknown environment, with
 * a suggestion.  Either out pointer may be NULL when not wanted.
 */
int roger_project_environment(const struct roger_project *p, const char *env,
			      json_t **marathon_out, const char **target_out,
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
int roger_project_vars(struct roger_var **out, size_t *n,
		       struct roger_ctx *ctx, const struct roger_project *p,
		       const char *env, const struct roger_var *builtins,
		       size_t n_builtins, const struct roger_var *cli_vars,
		       size_t n_cli_vars, struct roger_err *err);

/*
 * Whether a key or variable name looks like it holds a secret (password,
 * passwd, passphrase, secret, token, credential(s), auth, api_key, apikey,
 * private_key, access_key, compared case-insensitively on the name's words).
 * `strict` adds "auth", which is too common in environment variable names
 * (OAUTH_CLIENT_ID, AUTH_URL) to refuse there.
 */
bool roger_config_name_is_secret(const char *name, bool strict);

/* ---- user configuration and targets -------------------------------------- */

enum roger_auth_kind {
	ROGER_AUTH_NONE,
	ROGER_AUTH_BASIC, /* user + password */
	ROGER_AUTH_TOKEN, /* DC/OS: "Authorization: token=<token>" */
	ROGER_AUTH_NETRC, /* credentials from ~/.netrc (curl reads it) */
};

struct roger_auth {
	enum roger_auth_kind kind;
	char *user;
	char *password; /* secret: never print, log or write it */
	char *token;    /* secret */
	char *netrc_file; /* NULL: ~/.netrc */
};

struct roger_target {
	char *name;
	char **marathon;   /* base URLs without trailing '/', in failover order */
	size_t n_marathon;
	char *mesos;       /* master base URL, NULL when unknown */
	char *artifacts;   /* store base URL ending in '/', NULL when none */
	struct roger_auth auth;
	char *ca_file;
	bool is_protected; /* changes need --yes */
	bool is_local;     /* the built-in target of roger local */
	const char *origin; /* "user config", "environment" or "built-in" (static) */
};

/*
 * The name of the target roger_target_resolve() makes from environment
 * variables alone when nothing names one.
 */
#define ROGER_ENV_TARGET "environment"

struct roger_user_config {
	char *path;        /* the file read, or the one that would be */
	json_t *root;      /* NULL when the file does not exist */
	const char *default_target; /* borrowed, NULL when unset */
	int local_port;    /* roger local's port (default ROGER_LOCAL_PORT) */
	char *local_state_dir; /* roger local's state directory */
	char *local_ca_file;   /* its fetcher's CA certificates, or NULL */
};

#define ROGER_LOCAL_PORT 7878

/*
 * Load $XDG_CONFIG_HOME/roger/config.json (or `path`).  A missing file is
 * an empty configuration; an unreadable or invalid one is an error
 * (ROGER_EINVALID, naming the file and line/column or JSON path).  Every
 * target is validated here (types, unknown keys, URLs, auth forms), so
 * roger_target_resolve() only reads secrets.  `~/` in a file name is the
 * home directory; a relative file name is relative to the file's directory.
 */
int roger_user_config_load(struct roger_user_config **out,
			   struct roger_ctx *ctx, const char *path,
			   struct roger_err *err);
void roger_user_config_free(struct roger_user_config *uc);

/*
 * Target names of the user config plus "local", sorted (array malloc'd,
 * strings borrowed).  `uc` may be NULL.  0 or ROGER_ENOMEM.
 */
int roger_user_config_target_names(const struct roger_user_config *uc,
				   const char ***out, size_t *n);

/*
 * Resolve the target to use.  The name is the first of: `flag_name` (-t),
 * $ROGER_TARGET, `env_target` (the roger.json environment's target), the
 * user config's default_target, "local".  The settings come from the user
 * config (or the built-in local target), then ROGER_MARATHON_URL,
 * ROGER_MESOS_URL, ROGER_ARTIFACTS_URL, ROGER_TOKEN, ROGER_USER,
 * ROGER_PASSWORD and ROGER_CA_FILE override them; with ROGER_MARATHON_URL
 * set, a name the user config does not know is a target defined by the
 * environment alone.  Secrets are read here: password_env/token_env from the
 * environment, token_file only when its mode is 0600 or stricter.
 * When nothing names a target and ROGER_MARATHON_URL is set, the target is
 * the environment's, named ROGER_ENV_TARGET, rather than "local".  URLs are
 * checked (http or https; file also for artifacts), Marathon and Mesos URLs
 * lose trailing '/', the artifacts URL gains one.  ROGER_EINVALID for an
 * unknown name (with a suggestion), a bad URL, a variable that is not set
 * or an unsafe token file.  `uc` may be NULL (no user config).
 */
int roger_target_resolve(struct roger_target **out, struct roger_ctx *ctx,
			 const struct roger_user_config *uc,
			 const char *flag_name, const char *env_target,
			 struct roger_err *err);
void roger_target_free(struct roger_target *t);

#endif
