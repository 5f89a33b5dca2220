/*
 * schema.c - the validator of roger's JSON documents: the walk with its
 * path, the checks every document uses, and the Marathon app fragment.
 *
 * Design: parsing is jansson with JSON_REJECT_DUPLICATES, whose line and
 * column go straight into "file:line:column: message".  Validation is a
 * walk over the document with a struct roger_schema that carries the file
 * name and the JSON path of the value under examination, so that every
 * message names where the problem is.  Keys are checked in document order
 * against small tables of the keys roger owns (in project.c and target.c);
 * an unknown one gets a "did you mean" from roger_suggest().  A `marathon`
 * fragment is checked against Marathon's own schema, the table of
 * marathon-schema.c.
 */
#include <config.h>

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "marathon-schema.h"
#include "project.h"
#include "schema.h"
#include "spec.h"
#include "str.h"
#include "util.h"

#define USER_CONFIG_HINT "the user config (~/.config/roger/config.json)"

/* ---- the walk ----------------------------------------------------------- */

void roger_schema_release(struct roger_schema *c)
{
	roger_buf_release(&c->path);
}

int roger_schema_fail(struct roger_schema *c, const char *fmt, ...)
{
	char msg[ROGER_ERR_MSG_MAX];
	va_list ap;

	if (c->oom)
		return roger_err_set(c->err, ROGER_ENOMEM, "out of memory");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return roger_err_set(c->err, ROGER_EINVALID, "%s: %s%s%s", c->file,
			     c->path.buf, c->path.len ? ": " : "", msg);
}

size_t roger_schema_push_key(struct roger_schema *c, const char *key)
{
	size_t mark = c->path.len;

	if (roger_spec_path_key(&c->path, key) < 0)
		c->oom = true;
	return mark;
}

size_t roger_schema_push_index(struct roger_schema *c, size_t i)
{
	size_t mark = c->path.len;

	if (roger_spec_path_index(&c->path, i) < 0)
		c->oom = true;
	return mark;
}

void roger_schema_pop(struct roger_schema *c, size_t mark)
{
	roger_buf_truncate(&c->path, mark);
}

static unsigned type_bit(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return ROGER_JSON_OBJECT;
	case JSON_ARRAY:
		return ROGER_JSON_ARRAY;
	case JSON_STRING:
		return ROGER_JSON_STRING;
	case JSON_INTEGER:
		return ROGER_JSON_INTEGER;
	case JSON_REAL:
		return ROGER_JSON_REAL;
	case JSON_TRUE:
	case JSON_FALSE:
		return ROGER_JSON_BOOL;
	case JSON_NULL:
		return ROGER_JSON_NULL;
	}
	return 0;
}

static const char *wanted(unsigned mask, char *buf, size_t size)
{
	static const struct {
		unsigned bits;
		const char *name;
	} names[] = {
		{ ROGER_JSON_OBJECT, "an object" },
		{ ROGER_JSON_ARRAY, "an array" },
		{ ROGER_JSON_STRING, "a string" },
		{ ROGER_JSON_NUMBER, "a number" },
		{ ROGER_JSON_INTEGER, "an integer" },
		{ ROGER_JSON_BOOL, "a boolean" },
		{ ROGER_JSON_NULL, "null" },
	};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(names); i++) {
		if ((mask & names[i].bits) != names[i].bits)
			continue;
		mask &= ~names[i].bits;
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					len ? " or " : "", names[i].name);
		if (len >= size)
			break;
	}
	return buf;
}

int roger_schema_expect(struct roger_schema *c, const json_t *v, unsigned mask)
{
	char want[96];

	if (type_bit(v) & mask)
		return 0;
	return roger_schema_fail(c, "expected %s, got %s",
				 wanted(mask, want, sizeof(want)),
				 roger_spec_type_name(v));
}

int roger_schema_expect_member(struct roger_schema *c, const char *key,
			       const json_t *v, unsigned mask)
{
	size_t mark = roger_schema_push_key(c, key);
	int rc = roger_schema_expect(c, v, mask);

	roger_schema_pop(c, mark);
	return rc;
}

int roger_schema_expect_range(struct roger_schema *c, const json_t *v,
			      bool integer, double min, double max)
{
	double d;
	int rc = roger_schema_expect(
		c, v, integer ? ROGER_JSON_INTEGER : ROGER_JSON_NUMBER);

	if (rc < 0)
		return rc;
	d = json_number_value(v);
	if (d < min)
		return roger_schema_fail(c, "expected %s >= %g, got %g",
					 integer ? "an integer" : "a number",
					 min, d);
	if (d > max)
		return roger_schema_fail(c, "expected %s <= %g, got %g",
					 integer ? "an integer" : "a number",
					 max, d);
	return 0;
}

int roger_schema_expect_strings(struct roger_schema *c, const json_t *v,
				bool non_empty)
{
	json_t *item;
	size_t i;
	int rc = roger_schema_expect(c, v, ROGER_JSON_ARRAY);

	if (rc < 0)
		return rc;
	if (non_empty && json_array_size(v) == 0)
		return roger_schema_fail(c, "expected at least one element");
	json_array_foreach(v, i, item) {
		size_t mark = roger_schema_push_index(c, i);

		rc = roger_schema_expect(c, item, ROGER_JSON_STRING);
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int roger_schema_strings(struct roger_schema *c, const json_t *v,
			 unsigned flags)
{
	(void)flags;
	return roger_schema_expect_strings(c, v, false);
}

int roger_schema_unknown_key(struct roger_schema *c, const char *key,
			     const char *const *known, size_t n)
{
	const char *best = roger_suggest(key, known, n);

	if (best)
		return roger_schema_fail(
			c, "unknown key '%s', did you mean '%s'?", key, best);
	return roger_schema_fail(c, "unknown key '%s'", key);
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool roger_schema_simple_name(const char *s)
{
	if (!is_alnum(*s))
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!is_alnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

/* ---- objects ------------------------------------------------------------ */

static const struct roger_schema_key *
find_key(const char *name, const struct roger_schema_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, keys[i].name))
			return &keys[i];
	return NULL;
}

/* Refuse the unknown `key` of an object whose keys are `keys`. */
static int unknown_member(struct roger_schema *c, const char *key,
			  const struct roger_schema_key *keys, size_t n,
			  unsigned flags)
{
	const char *known[32];
	size_t mark;
	int rc;

	if ((flags & ROGER_SCHEMA_NO_SECRETS) &&
	    roger_config_name_is_secret(key, true)) {
		mark = roger_schema_push_key(c, key);
		rc = roger_schema_fail(
			c,
			"this looks like a credential, and roger.json is committed with the code; put credentials in " USER_CONFIG_HINT
			" or in ROGER_TOKEN, or ROGER_USER and ROGER_PASSWORD");
		roger_schema_pop(c, mark);
		return rc;
	}
	assert(n <= ROGER_ARRAY_SIZE(known));
	for (size_t i = 0; i < n; i++)
		known[i] = keys[i].name;
	return roger_schema_unknown_key(c, key, known, n);
}

int roger_schema_object(struct roger_schema *c, const json_t *v,
			const struct roger_schema_key *keys, size_t n,
			unsigned flags)
{
	const struct roger_schema_key *k;
	const char *key;
	json_t *val;
	size_t mark;
	int rc = roger_schema_expect(c, v, ROGER_JSON_OBJECT);

	if (rc < 0)
		return rc;
	json_object_foreach((json_t *)v, key, val) {
		if ((flags & ROGER_SCHEMA_OVERLAY) && json_is_null(val))
			continue;
		k = find_key(key, keys, n);
		if (!k && (flags & ROGER_SCHEMA_OPEN))
			continue;
		if (!k)
			return unknown_member(c, key, keys, n, flags);
		mark = roger_schema_push_key(c, key);
		rc = roger_schema_expect(c, val, k->types);
		if (rc == 0 && k->min < k->max)
			rc = roger_schema_expect_range(
				c, val, k->types == ROGER_JSON_INTEGER, k->min,
				k->max);
		if (rc == 0 && k->check)
			rc = k->check(c, val, flags & ROGER_SCHEMA_OVERLAY);
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int roger_schema_names(struct roger_schema *c, const json_t *v,
		       const char *what,
		       int (*check)(struct roger_schema *c, const char *name,
				    const json_t *v))
{
	const char *key;
	json_t *val;
	int rc;

	json_object_foreach((json_t *)v, key, val) {
		size_t mark = roger_schema_push_key(c, key);

		if (!roger_schema_simple_name(key))
			rc = roger_schema_fail(
				c,
				"invalid %s name '%s': use letters, digits, '-', '_' and '.'",
				what, key);
		else
			rc = check(c, key, val);
		roger_schema_pop(c, mark);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the Marathon app fragment ------------------------------------------- */

int roger_schema_marathon(struct roger_schema *c, const json_t *v, bool overlay)
{
	json_t *id = json_object_get(v, "id");
	json_t *version = json_object_get(v, "version");
	size_t mark;
	int rc = roger_schema_expect(c, v, ROGER_JSON_OBJECT);

	if (rc < 0)
		return rc;
	if (id || version) {
		mark = roger_schema_push_key(c, id ? "id" : "version");
		rc = id ? roger_schema_fail(
				  c,
				  "must not be set: roger sets the app id from 'group' and 'app'")
			: roger_schema_fail(
				  c,
				  "must not be set: Marathon takes it as a rollback to that version");
		roger_schema_pop(c, mark);
		return rc;
	}
	return roger_marathon_schema_check(c, v, overlay);
}

/* ---- parsing ------------------------------------------------------------ */

int roger_schema_as_invalid(struct roger_err *err, int rc)
{
	if (rc == ROGER_ENOMEM)
		return rc;
	if (err)
		err->code = ROGER_EINVALID;
	return ROGER_EINVALID;
}

/* jansson's error as "file:line:column: text". */
static int json_fail(struct roger_err *err, const char *file,
		     const json_error_t *jerr)
{
	return roger_err_set(err, ROGER_EINVALID, "%s:%d:%d: %s", file,
			     jerr->line > 0 ? jerr->line : 1,
			     jerr->column > 0 ? jerr->column : 1, jerr->text);
}

json_t *roger_schema_parse_json(const char *file, const char *text, size_t len,
				struct roger_err *err)
{
	json_error_t jerr;
	json_t *root;

	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		json_fail(err, file, &jerr);
	return root;
}
