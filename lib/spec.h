/*
 * spec.h - the Marathon app definition as roger builds it: environment
 * overlays merged over the base, {{ name }} variables expanded, app ids
 * checked against Marathon's rules.
 *
 * Everything here is pure: JSON and strings in, new JSON or strings out, no
 * environment, files or clock.  Errors name the JSON path of the offending
 * value ("marathon.env.URL"); callers add the file in front with
 * roger_err_prefix().
 */
#ifndef ROGER_SPEC_H
#define ROGER_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_buf;
struct roger_err;

/* ---- JSON paths ---------------------------------------------------------- */

/*
 * Append one step to a JSON path as roger prints it in messages:
 * `environments.prod.marathon.env.PORT`, `healthChecks[0].path`.  A key
 * that is not a plain word (letters, digits, '_', '-', '$') is written as
 * `["a.b"]`.  0 or ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_spec_path_key(struct roger_buf *path, const char *key);
ROGER_EXTERN int roger_spec_path_index(struct roger_buf *path, size_t index);

/* "an object", "an array", "a string", "an integer", "a number", "a boolean",
 * "null". */
ROGER_EXTERN const char *roger_spec_type_name(const json_t *value);

/* ---- merging -------------------------------------------------------------- */

/*
 * `overlay` deep-merged over `base`, as a new reference in *out: objects
 * merge key by key, recursively; arrays and scalars in the overlay replace;
 * a null in the overlay deletes the key (and nulls inside an object the
 * overlay adds are dropped too).  A base value that is not an object is
 * treated as absent under an overlay object.  Either may be NULL (absent):
 * merging NULL over `base` copies it.  Neither argument is modified.
 * 0 or ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_spec_merge(json_t **out, const json_t *base,
				  const json_t *overlay, struct roger_err *err);

/* ---- variables ------------------------------------------------------------ */

/* One {{ name }} variable.  Both strings are borrowed. */
struct roger_var {
	const char *name;
	const char *value;
};

/* Whether `name` can be a variable: [A-Za-z_][A-Za-z0-9_]*. */
ROGER_EXTERN bool roger_spec_var_name_valid(const char *name);

/*
 * Whether `name` is one of roger's built-in variables (commit,
 * short_commit, app, env, artifact_url, artifact_sha256), which users
 * cannot set.
 */
ROGER_EXTERN bool roger_spec_var_is_builtin(const char *name);

/* The built-in variable names, NULL-terminated (static). */
ROGER_EXTERN const char *const *roger_spec_builtin_vars(void);

/*
 * A copy of `doc` (new reference in *out) with every `{{ name }}` in every
 * string value replaced by the value of the first entry of `vars` with that
 * name.  Spaces and tabs may surround the name inside the braces.  Object
 * keys, numbers, booleans and null are left alone, and so is any text that
 * is not a complete `{{ name }}` (`$PORT0`, a lone `{{`).  Substituted
 * values are not expanded again.  `path` is the JSON path of `doc` for
 * messages ("" or NULL at the top).  ROGER_EINVALID for an unknown name,
 * naming it and the JSON path of the string it appeared in, with a
 * suggestion when a known name is close.
 */
ROGER_EXTERN int roger_spec_expand(json_t **out, const json_t *doc,
				   const struct roger_var *vars, size_t n_vars,
				   const char *path, struct roger_err *err);

/*
 * The distinct variable names referenced in the string values of `doc`, in
 * document order (array and strings malloc'd; free each, then the array).
 * 0 or ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_spec_var_names(char ***out, size_t *n, const json_t *doc,
				      struct roger_err *err);

/* Whether the string `s` references at least one {{ variable }}. */
ROGER_EXTERN bool roger_spec_has_var(const char *s);

/* ---- app ids -------------------------------------------------------------- */

/*
 * Check an app id (absolute "/web/hello" or relative "web/hello") against
 * Marathon's rules (MARATHON-MESOS.md section 2): each segment made of
 * labels of lowercase letters, digits and '-' (not at a label's start or
 * end) joined by '.'; no empty segment; no "." or ".." (roger writes
 * canonical ids); the last segment not "restart", "tasks" or "versions".
 * ROGER_EINVALID with a message naming the id and the offending segment.
 */
ROGER_EXTERN int roger_spec_check_id(const char *id, struct roger_err *err);

/*
 * The absolute app id of `app` inside `group` (NULL or "" or "/": the
 * root), checked as above, in a new string in *out: ("/web", "hello") ->
 * "/web/hello".  The group's leading '/' is optional and a trailing '/' is
 * dropped; `app` must be relative (no leading '/').
 */
ROGER_EXTERN int roger_spec_app_id(char **out, const char *group,
				   const char *app, struct roger_err *err);

ROGER_END_DECLS

#endif
