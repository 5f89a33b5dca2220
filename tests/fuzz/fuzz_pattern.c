/*
 * fuzz_pattern.c - git's wildmatch and the pattern lists of packaging
 * (lib/pattern.c), whose patterns a repository writes: build.exclude of
 * roger.json and every .gitattributes of the packaged tree.
 *
 * Input: one byte of flags (bit 0: pathname matching, bit 1: the path is
 * a directory), the pattern, '\n', the path.  The pattern goes through
 * roger_wildmatch(), a gitignore-style list and, with the path, through
 * the .gitattributes parser (the whole input after the flags is also read
 * as a .gitattributes file).  roger_wildmatch() is checked against a
 * memoized copy of the backtracking matcher it replaced, whose answers are
 * the contract: a difference aborts.
 */
#include <config.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the reference: the old matcher, memoized on (pattern, text) ---------- */

#define REF_MAX_PATTERN 64
#define REF_MAX_TEXT 256

struct ref {
	const char *pattern, *text;
	bool pathname;
	/* 0: not computed, 1: match, 2: no match */
	unsigned char memo[REF_MAX_PATTERN + 1][REF_MAX_TEXT + 1];
};

static bool ref_bracket(const char *p, unsigned char c, const char **end,
			bool *ok)
{
	bool negate = false, matched = false;
	unsigned char prev = 0;

	*ok = false;
	if (*p == '!' || *p == '^') {
		negate = true;
		p++;
	}
	for (bool first = true; *p && (first || *p != ']'); first = false) {
		if (*p == '[' && p[1] == ':') {
			const char *close = strstr(p + 2, ":]");
			char name[16];
			size_t n;

			if (!close)
				return false;
			n = (size_t)(close - (p + 2));
			if (n >= sizeof(name))
				return false;
			memcpy(name, p + 2, n);
			name[n] = '\0';
			if ((!strcmp(name, "alnum") && isalnum(c)) ||
			    (!strcmp(name, "alpha") && isalpha(c)) ||
			    (!strcmp(name, "blank") &&
			     (c == ' ' || c == '\t')) ||
			    (!strcmp(name, "cntrl") && iscntrl(c)) ||
			    (!strcmp(name, "digit") && isdigit(c)) ||
			    (!strcmp(name, "graph") && isgraph(c)) ||
			    (!strcmp(name, "lower") && islower(c)) ||
			    (!strcmp(name, "print") && isprint(c)) ||
			    (!strcmp(name, "punct") && ispunct(c)) ||
			    (!strcmp(name, "space") && isspace(c)) ||
			    (!strcmp(name, "upper") && isupper(c)) ||
			    (!strcmp(name, "xdigit") && isxdigit(c)))
				matched = true;
			p = close + 2;
			prev = 0;
			continue;
		}
		if (*p == '\\' && p[1])
			p++;
		if (*p == '-' && prev && p[1] && p[1] != ']') {
			unsigned char hi = (unsigned char)p[1];

			if (hi == '\\' && p[2])
				hi = (unsigned char)*++p;
			if (c >= prev && c <= hi)
				matched = true;
			p += 2;
			prev = 0;
			continue;
		}
		prev = (unsigned char)*p;
		if (prev == c)
			matched = true;
		p++;
	}
	if (*p != ']')
		return false;
	*end = p + 1;
	*ok = true;
	return matched != negate;
}

static bool ref_wm(struct ref *r, const char *p, const char *t);

static bool ref_memo(struct ref *r, const char *p, const char *t)
{
	unsigned char *m = &r->memo[p - r->pattern][t - r->text];

	if (!*m)
		*m = ref_wm(r, p, t) ? 1 : 2;
	return *m == 1;
}

static bool ref_wm(struct ref *r, const char *p, const char *t)
{
	bool pathname = r->pathname;

	for (; *p; p++, t++) {
		switch (*p) {
		case '\\':
			if (p[1])
				p++;
			if (*t != *p)
				return false;
			break;
		case '?':
			if (!*t || (pathname && *t == '/'))
				return false;
			break;
		case '[': {
			const char *end;
			bool ok, m;

			if (!*t || (pathname && *t == '/'))
				return false;
			m = ref_bracket(p + 1, (unsigned char)*t, &end, &ok);
			if (!ok) {
				if (*t != '[')
					return false;
				break;
			}
			if (!m)
				return false;
			p = end - 1;
			break;
		}
		case '*': {
			const char *star = p;

			while (*p == '*')
				p++;
			if (pathname && p - star >= 2 &&
			    (star == r->pattern || star[-1] == '/') &&
			    (*p == '\0' || *p == '/')) {
				if (*p == '\0')
					return true;
				if (ref_memo(r, p + 1, t))
					return true;
				for (; *t; t++)
					if (*t == '/' &&
					    ref_memo(r, p + 1, t + 1))
						return true;
				return false;
			}
			if (*p == '\0')
				return !pathname || !strchr(t, '/');
			for (;; t++) {
				if (ref_memo(r, p, t))
					return true;
				if (!*t || (pathname && *t == '/'))
					return false;
			}
		}
		default:
			if (*t != *p)
				return false;
			break;
		}
	}
	return *t == '\0';
}

static void check_against_reference(const char *pattern, const char *text,
				    bool pathname)
{
	static struct ref r;

	if (strlen(pattern) > REF_MAX_PATTERN || strlen(text) > REF_MAX_TEXT)
		return;
	memset(&r, 0, sizeof(r));
	r.pattern = pattern;
	r.text = text;
	r.pathname = pathname;
	if (roger_wildmatch(pattern, text, pathname) !=
	    ref_memo(&r, pattern, text))
		abort();
}

/* ---- the harness ----------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_pattern_list list = { 0 }, attrs = { 0 };
	const char *body = (const char *)data + 1, *nl;
	char *pattern, *path;
	bool pathname, is_dir;

	if (size < 2)
		return 0;
	pathname = data[0] & 1;
	is_dir = data[0] & 2;
	nl = memchr(body, '\n', size - 1);
	if (!nl)
		return 0;
	pattern = strndup(body, (size_t)(nl - body));
	path = strndup(nl + 1, size - 1 - (size_t)(nl + 1 - body));
	if (!pattern || !path)
		goto out;
	check_against_reference(pattern, path, pathname);
	if (roger_pattern_list_add(&list, pattern, 1, NULL) == 0)
		(void)roger_pattern_excluded(&list, path, is_dir);
	if (roger_pattern_list_parse_attributes(&attrs, "", body, size - 1,
						"export-ignore", NULL) == 0)
		(void)roger_pattern_list_match(&attrs, path, is_dir);
out:
	roger_pattern_list_release(&list);
	roger_pattern_list_release(&attrs);
	free(pattern);
	free(path);
	return 0;
}
