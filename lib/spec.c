/*
 * spec.c - building the Marathon app definition: JSON paths for messages,
 * the deep merge of environment overlays, {{ name }} expansion, app id
 * rules.
 *
 * Design: every function here is pure and works on jansson values without
 * modifying its inputs; results are fresh references.  Walks over a JSON
 * tree carry the JSON path in a roger_buf that grows when descending and is
 * truncated back when returning, so a message can name the exact value at
 * no cost on the good path.  The variable syntax is deliberately narrow
 * (`{{`, optional blanks, a name, optional blanks, `}}`) so that shell text
 * such as `$PORT0` or `${X}` and Go-template-like text that is not a
 * variable reach Marathon untouched.  Rendering (roger's labels, the fetch
 * entry) and the diff against the live app belong in this module too, next
 * to the merge they build on.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "spec.h"
#include "str.h"

/* ---- JSON paths ---------------------------------------------------------- */

static bool plain_key(const char *key)
{
	if (!*key)
		return false;
	for (const char *p = key; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '$'))
			return false;
	}
	return true;
}

int roger_spec_path_key(struct roger_buf *path, const char *key)
{
	char *quoted;
	json_t *s;
	int rc;

	if (plain_key(key))
		return path->len ? roger_buf_addf(path, ".%s", key)
				 : roger_buf_adds(path, key);
	/* JSON string syntax keeps odd keys unambiguous and printable. */
	s = json_string(key);
	quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
	json_decref(s);
	if (!quoted)
		return ROGER_ENOMEM;
	rc = roger_buf_addf(path, "[%s]", quoted);
	free(quoted);
	return rc;
}

int roger_spec_path_index(struct roger_buf *path, size_t index)
{
	return roger_buf_addf(path, "[%zu]", index);
}

const char *roger_spec_type_name(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

/* ---- merging -------------------------------------------------------------- */

static json_t *merge(const json_t *base, const json_t *overlay);

/* `overlay` (an object) over `base` (an object, or NULL for none). */
static json_t *merge_objects(const json_t *base, const json_t *overlay)
{
	json_t *result = json_object();
	const char *key;
	json_t *v;

	if (!result)
		return NULL;
	/* Base keys first, in their order, then the keys the overlay adds. */
	json_object_foreach((json_t *)base, key, v) {
		json_t *o = json_object_get(overlay, key);
		json_t *m;

		if (o && json_is_null(o))
			continue;
		m = o ? merge(v, o) : json_deep_copy(v);
		if (!m || json_object_set_new(result, key, m) < 0)
			goto fail;
	}
	json_object_foreach((json_t *)overlay, key, v) {
		json_t *m;

		if (json_is_null(v) || (base && json_object_get(base, key)))
			continue;
		m = merge(NULL, v);
		if (!m || json_object_set_new(result, key, m) < 0)
			goto fail;
	}
	return result;
fail:
	json_decref(result);
	return NULL;
}

static json_t *merge(const json_t *base, const json_t *overlay)
{
	if (!overlay)
		return base ? json_deep_copy(base) : json_null();
	if (!json_is_object(overlay))
		return json_deep_copy(overlay);
	return merge_objects(json_is_object(base) ? base : NULL, overlay);
}

int roger_spec_merge(json_t **out, const json_t *base, const json_t *overlay,
		     struct roger_err *err)
{
	json_t *m = merge(base, overlay);

	if (!m)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	*out = m;
	return 0;
}

/* ---- variables ------------------------------------------------------------ */

static const char *const builtin_vars[] = {
	"app", "artifact_sha256", "artifact_url", "commit",
	"env", "short_commit",    NULL,
};

const char *const *roger_spec_builtin_vars(void)
{
	return builtin_vars;
}

bool roger_spec_var_is_builtin(const char *name)
{
	for (size_t i = 0; builtin_vars[i]; i++)
		if (!strcmp(name, builtin_vars[i]))
			return true;
	return false;
}

static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

bool roger_spec_var_name_valid(const char *name)
{
	if (!name_start(name[0]))
		return false;
	for (const char *p = name + 1; *p; p++)
		if (!name_char(*p))
			return false;
	return true;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * If `p` starts a complete reference "{{ name }}", store where the name is
 * and return the first character after the reference; otherwise NULL.
 */
static const char *match_ref(const char *p, const char **name, size_t *len)
{
	const char *q;

	if (p[0] != '{' || p[1] != '{')
		return NULL;
	q = skip_blanks(p + 2);
	if (!name_start(*q))
		return NULL;
	*name = q;
	while (name_char(*q))
		q++;
	*len = (size_t)(q - *name);
	q = skip_blanks(q);
	if (q[0] != '}' || q[1] != '}')
		return NULL;
	return q + 2;
}

bool roger_spec_has_var(const char *s)
{
	const char *name;
	size_t len;

	for (const char *p = strstr(s, "{{"); p; p = strstr(p + 1, "{{"))
		if (match_ref(p, &name, &len))
			return true;
	return false;
}

static const struct roger_var *find_var(const struct roger_var *vars, size_t n,
					const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i].name) == len &&
		    !memcmp(vars[i].name, name, len))
			return &vars[i];
	return NULL;
}

static int unknown_var(const struct roger_var *vars, size_t n,
		       const struct roger_buf *path, const char *name,
		       size_t len, struct roger_err *err)
{
	const char **names = NULL;
	const char *best = NULL;
	char *word = strndup(name, len);
	int rc;

	if (!word)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (n > 0)
		names = malloc(n * sizeof(*names));
	if (names) {
		for (size_t i = 0; i < n; i++)
			names[i] = vars[i].name;
		best = roger_suggest(word, names, n);
	}
	if (best)
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"%s%sunknown variable '%s', did you mean '%s'?",
			path->buf, path->len ? ": " : "", word, best);
	else
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"%s%sunknown variable '%s'; set it with --var %s=VALUE or ROGER_VAR_%s",
			path->buf, path->len ? ": " : "", word, word, word);
	free(names);
	free(word);
	return rc;
}

/* Expand the references of one string value in place. */
static int expand_string(json_t *str, const struct roger_var *vars, size_t n,
			 const struct roger_buf *path, struct roger_err *err)
{
	struct roger_buf out = ROGER_BUF_INIT;
	const char *s = json_string_value(str);
	const char *p = s, *name, *end;
	size_t len;
	int rc = 0;

	if (!strstr(s, "{{"))
		return 0;
	while (*p) {
		const char *open = strstr(p, "{{");
		const struct roger_var *v;

		if (!open) {
			rc = roger_buf_adds(&out, p);
			break;
		}
		end = match_ref(open, &name, &len);
		if (!end) {
			/* Not a reference: keep one brace and look again. */
			rc = roger_buf_add(&out, p, (size_t)(open - p) + 1);
			p = open + 1;
			if (rc < 0)
				break;
			continue;
		}
		v = find_var(vars, n, name, len);
		if (!v) {
			rc = unknown_var(vars, n, path, name, len, err);
			goto out;
		}
		if ((rc = roger_buf_add(&out, p, (size_t)(open - p))) < 0 ||
		    (rc = roger_buf_adds(&out, v->value)) < 0)
			break;
		p = end;
	}
	if (rc < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (json_string_setn(str, out.buf, out.len) < 0)
		rc = roger_err_set(err, ROGER_EINVALID,
				   "%s%sa variable's value is not valid UTF-8",
				   path->buf, path->len ? ": " : "");
out:
	roger_buf_release(&out);
	return rc;
}

static int expand_walk(json_t *v, const struct roger_var *vars, size_t n,
		       struct roger_buf *path, struct roger_err *err)
{
	size_t mark = path->len;
	const char *key;
	json_t *child;
	size_t i;
	int rc = 0;

	if (json_is_string(v))
		return expand_string(v, vars, n, path, err);
	if (json_is_object(v)) {
		json_object_foreach(v, key, child) {
			if (roger_spec_path_key(path, key) < 0)
				return roger_err_set(err, ROGER_ENOMEM,
						     "out of memory");
			rc = expand_walk(child, vars, n, path, err);
			roger_buf_truncate(path, mark);
			if (rc < 0)
				return rc;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (roger_spec_path_index(path, i) < 0)
				return roger_err_set(err, ROGER_ENOMEM,
						     "out of memory");
			rc = expand_walk(child, vars, n, path, err);
			roger_buf_truncate(path, mark);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int roger_spec_expand(json_t **out, const json_t *doc,
		      const struct roger_var *vars, size_t n_vars,
		      const char *path, struct roger_err *err)
{
	struct roger_buf where = ROGER_BUF_INIT;
	json_t *copy = NULL;
	int rc;

	copy = json_deep_copy(doc);
	if (!copy || (path && roger_buf_adds(&where, path) < 0)) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	rc = expand_walk(copy, vars, n_vars, &where, err);
	if (rc < 0)
		goto out;
	*out = copy;
	copy = NULL;
out:
	json_decref(copy);
	roger_buf_release(&where);
	return rc;
}

struct name_list {
	char **names;
	size_t n, alloc;
};

static int add_name(struct name_list *l, const char *name, size_t len)
{
	char *copy;

	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->names[i]) == len &&
		    !memcmp(l->names[i], name, len))
			return 0;
	if (l->n == l->alloc) {
		size_t alloc = l->alloc ? 2 * l->alloc : 8;
		char **grown = realloc(l->names, alloc * sizeof(*grown));

		if (!grown)
			return ROGER_ENOMEM;
		l->names = grown;
		l->alloc = alloc;
	}
	copy = strndup(name, len);
	if (!copy)
		return ROGER_ENOMEM;
	l->names[l->n++] = copy;
	return 0;
}

static int collect_names(const json_t *v, struct name_list *l)
{
	const char *key, *name;
	json_t *child;
	size_t i, len;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		for (const char *p = strstr(s, "{{"); p;
		     p = strstr(p + 1, "{{"))
			if (match_ref(p, &name, &len) &&
			    add_name(l, name, len) < 0)
				return ROGER_ENOMEM;
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child)
			if (collect_names(child, l) < 0)
				return ROGER_ENOMEM;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			if (collect_names(child, l) < 0)
				return ROGER_ENOMEM;
	}
	return 0;
}

int roger_spec_var_names(char ***out, size_t *n, const json_t *doc,
			 struct roger_err *err)
{
	struct name_list l = { NULL, 0, 0 };

	if (collect_names(doc, &l) < 0) {
		for (size_t i = 0; i < l.n; i++)
			free(l.names[i]);
		free(l.names);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	*out = l.names;
	*n = l.n;
	return 0;
}

/* ---- app ids -------------------------------------------------------------- */

static const char *const reserved_last[] = { "restart", "tasks", "versions" };

/* `c` for a message: itself when printable ASCII, else "\xNN". */
static const char *show_char(char buf[8], unsigned char c)
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, 8, "%c", c);
	else
		snprintf(buf, 8, "\\x%02x", c);
	return buf;
}

/*
 * Why the segment `seg` (len bytes) breaks Marathon's segment pattern, in
 * `why`; false when it is fine.
 */
static bool segment_problem(const char *seg, size_t len, char *why, size_t size)
{
	char cbuf[8];
	size_t start = 0;

	if (len == 0) {
		snprintf(why, size, "empty segment ('//', or '/' at an end)");
		return true;
	}
	if ((len == 1 && seg[0] == '.') ||
	    (len == 2 && !memcmp(seg, "..", 2))) {
		snprintf(why, size,
			 "segment '%.*s': '.' and '..' are not allowed",
			 (int)len, seg);
		return true;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)seg[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.')
			continue;
		snprintf(
			why, size,
			"segment '%.*s': '%s' is not allowed; use lowercase letters, digits, '-' and '.'",
			(int)len, seg, show_char(cbuf, c));
		return true;
	}
	/* Labels separated by '.': non-empty, no '-' at either end. */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && seg[i] != '.')
			continue;
		if (i == start) {
			snprintf(
				why, size,
				"segment '%.*s': '.' must separate non-empty names",
				(int)len, seg);
			return true;
		}
		if (seg[start] == '-' || seg[i - 1] == '-') {
			snprintf(
				why, size,
				"segment '%.*s': a name must not start or end with '-'",
				(int)len, seg);
			return true;
		}
		start = i + 1;
	}
	return false;
}

/* Check the segments of `path` (without leading '/'); `what` names it in
 * messages. */
static int check_segments(const char *path, const char *what, const char *shown,
			  bool check_last, struct roger_err *err)
{
	char why[256];
	const char *seg = path, *slash;
	size_t len;

	for (;;) {
		slash = strchr(seg, '/');
		len = slash ? (size_t)(slash - seg) : strlen(seg);
		if (segment_problem(seg, len, why, sizeof(why)))
			return roger_err_set(err, ROGER_EINVALID,
					     "invalid %s '%s': %s", what, shown,
					     why);
		if (!slash)
			break;
		seg = slash + 1;
	}
	if (!check_last)
		return 0;
	for (size_t i = 0; i < sizeof(reserved_last) / sizeof(reserved_last[0]);
	     i++)
		if (len == strlen(reserved_last[i]) &&
		    !memcmp(seg, reserved_last[i], len))
			return roger_err_set(
				err, ROGER_EINVALID,
				"invalid %s '%s': the last segment must not be '%s', which Marathon reserves ('restart', 'tasks' and 'versions' are)",
				what, shown, reserved_last[i]);
	return 0;
}

int roger_spec_check_id(const char *id, struct roger_err *err)
{
	const char *p = id[0] == '/' ? id + 1 : id;

	if (!*p)
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid app id '%s': it is empty", id);
	return check_segments(p, "app id", id, true, err);
}

int roger_spec_app_id(char **out, const char *group, const char *app,
		      struct roger_err *err)
{
	struct roger_buf id = ROGER_BUF_INIT;
	const char *shown = group ? group : "";
	char *g = NULL, *result;
	size_t glen;
	int rc;

	if (!group)
		group = "";
	while (*group == '/')
		group++;
	g = strdup(group);
	if (!g)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	glen = strlen(g);
	while (glen > 0 && g[glen - 1] == '/')
		g[--glen] = '\0';
	if (glen > 0 &&
	    (rc = check_segments(g, "group", shown, false, err)) < 0)
		goto out;
	if (!*app) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "invalid app name '': it is empty");
		goto out;
	}
	if (app[0] == '/') {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"invalid app name '%s': it must be relative to the group (put the leading path in 'group')",
			app);
		goto out;
	}
	if ((rc = check_segments(app, "app name", app, true, err)) < 0)
		goto out;
	if (roger_buf_addf(&id, "/%s%s%s", g, glen ? "/" : "", app) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	result = roger_buf_detach(&id, NULL);
	if (!result) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	*out = result;
	rc = 0;
out:
	roger_buf_release(&id);
	free(g);
	return rc;
}
