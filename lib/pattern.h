/*
 * pattern.h - git's path patterns, for packaging (internal to libroger).
 *
 * Two users: the `export-ignore` attribute of .gitattributes files, and the
 * `build.exclude` patterns of roger.json, which follow .gitignore rules.
 * Both match paths relative to a base directory, with '/' separators and
 * no leading or trailing '/':
 *   - a pattern without '/' (other than a trailing one) matches the base
 *     name at any depth ("*.md", "test/");
 *   - a pattern with a '/' matches the whole path from the base ("/docs",
 *     "src/main.c", "src/[a-m]*"), where "**" spans directories;
 *   - a trailing '/' makes a pattern match directories only.
 */
#ifndef ROGER_PATTERN_H
#define ROGER_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

struct roger_err;

/*
 * git's wildmatch: `*`, `?`, `[...]` (with `!` or `^`, ranges and
 * `[:class:]`), backslash escapes; with `pathname`, `*`, `?` and brackets
 * never match '/', and "**" between slashes matches any number of
 * directories.
 */
bool roger_wildmatch(const char *pattern, const char *text, bool pathname);

enum roger_pattern_flags {
	ROGER_PATTERN_NEGATE = 1 << 0, /* "!pat": re-include (ignore rules) */
	ROGER_PATTERN_MUSTDIR = 1 << 1, /* "pat/": directories only */
	ROGER_PATTERN_NODIR = 1 << 2, /* no '/': match the base name */
};

struct roger_pattern {
	char *text; /* the pattern without '!', leading '/' and trailing '/' */
	unsigned flags;
	int value; /* attribute rules: 1 set, 0 unset or unspecified */
};

/* One list of patterns relative to the directory `base` ("" or "a/b/"). */
struct roger_pattern_list {
	char *base;
	size_t baselen;
	struct roger_pattern *items;
	size_t n, alloc;
};

/* Parse one pattern (gitignore syntax) and append it. */
int roger_pattern_list_add(struct roger_pattern_list *l, const char *pattern,
			   int value, struct roger_err *err);

/*
 * Parse the text of a .gitattributes file and keep the lines that set,
 * unset or unspecify `attr` (other lines and macro definitions are
 * skipped).  `base` is the directory of the file relative to the root
 * ("" or "a/b/").
 */
int roger_pattern_list_parse_attributes(struct roger_pattern_list *l,
					const char *base, const char *text,
					size_t len, const char *attr,
					struct roger_err *err);
void roger_pattern_list_release(struct roger_pattern_list *l);

/*
 * Match `path` (relative to the root of the lists' bases) against the list
 * from its last pattern to its first.  Returns the matching pattern, or
 * NULL.
 */
const struct roger_pattern *
roger_pattern_list_match(const struct roger_pattern_list *l, const char *path,
			 bool is_dir);

/*
 * Whether `path` is excluded by the gitignore-style patterns of `l` (NULL
 * is none): the last matching pattern decides, "!" re-includes.
 */
bool roger_pattern_excluded(const struct roger_pattern_list *l,
			    const char *path, bool is_dir);

#endif
