/*
 * marathon-defaults.c - the table of marathon-defaults.h, built from its
 * X-macro: each default once, as JSON text for the diff and as the value
 * itself for the parsers.
 */
#include <config.h>

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#include "marathon-defaults.h"

#define JSON_VALUE(v) v
#define JSON_STRING(v) "\"" v "\""
#define IS_STRING_VALUE false
#define IS_STRING_STRING true

static const struct {
	const char *path;
	const char *json; /* JSON text, alternatives separated by '|' */
	const char *text; /* as written in the table */
	bool string;
} table[ROGER_MD_COUNT_] = { { NULL, NULL, NULL, false },
#define ROGER_MD_ROW_(id, path, kind, value) \
	{ path, JSON_##kind(value), value, IS_STRING_##kind },
			     ROGER_MARATHON_DEFAULTS(ROGER_MD_ROW_)
#undef ROGER_MD_ROW_
};

const char *roger_marathon_default_path(enum roger_marathon_default d)
{
	return table[d].path;
}

const char *roger_marathon_default_json(enum roger_marathon_default d)
{
	return table[d].json;
}

double roger_marathon_default_number(enum roger_marathon_default d)
{
	assert(d != ROGER_MD_NONE && !table[d].string);
	/* strtod stops at the '|' of older versions' values */
	return strtod(table[d].text, NULL);
}

const char *roger_marathon_default_string(enum roger_marathon_default d)
{
	assert(d != ROGER_MD_NONE && table[d].string);
	return table[d].text;
}
