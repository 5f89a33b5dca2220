/*
 * pattern.c - git's path patterns: wildmatch, gitignore-style pattern lists
 * and the one attribute of .gitattributes that packaging needs.
 *
 * Packaging never asks libgit2 for attributes: libgit2 would also read
 * $GIT_DIR/info/attributes, core.attributesFile and the system file, which
 * differ from one machine to the next, and an artifact must come out the
 * same in any clone.  So only the .gitattributes files inside the packaged
 * tree count, parsed here, matched with git's rules.
 */
#include <config.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pattern.h"

/* Match a bracket expression at `p` (after '[') against `c`; *end after ']'. */
static bool match_bracket(const char *p, unsigned char c, const char **end,
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

/*
 * What wm() found.  Besides a match and no match, the two "abort" results
 * of git's wildmatch tell the '*' loops above that trying more text cannot
 * help, which keeps the matcher from trying every way of splitting the
 * text among the stars (exponential in their number):
 *  - WM_ABORT_ALL: the text ran out before the pattern did.  A '*' further
 *    up could only leave less text for the rest, so every loop gives up.
 *  - WM_ABORT_TO_STARSTAR: a '*' that may not cross '/' reached one.  A
 *    '*' further up cannot cross it either, so only a "**" keeps trying.
 */
enum wm_result {
	WM_MATCH,
	WM_NOMATCH,
	WM_ABORT_ALL,
	WM_ABORT_TO_STARSTAR,
};

static enum wm_result wm(const char *start, const char *p, const char *t,
			 bool pathname)
{
	enum wm_result r;

	for (; *p; p++, t++) {
		if (!*t && *p != '*')
			return WM_ABORT_ALL;
		switch (*p) {
		case '\\':
			if (p[1])
				p++;
			if (*t != *p)
				return WM_NOMATCH;
			break;
		case '?':
			if (pathname && *t == '/')
				return WM_NOMATCH;
			break;
		case '[': {
			const char *end;
			bool ok, m;

			if (pathname && *t == '/')
				return WM_NOMATCH;
			m = match_bracket(p + 1, (unsigned char)*t, &end, &ok);
			if (!ok) {
				/* An unclosed '[' is a literal. */
				if (*t != '[')
					return WM_NOMATCH;
				break;
			}
			if (!m)
				return WM_NOMATCH;
			p = end - 1;
			break;
		}
		case '*': {
			const char *star = p;

			while (*p == '*')
				p++;
			if (pathname && p - star >= 2 &&
			    (star == start || star[-1] == '/') &&
			    (*p == '\0' || *p == '/')) {
				/* "**" as a whole path component. */
				if (*p == '\0')
					return WM_MATCH;
				r = wm(start, p + 1, t, pathname);
				if (r == WM_MATCH || r == WM_ABORT_ALL)
					return r;
				for (; *t; t++) {
					if (*t != '/')
						continue;
					r = wm(start, p + 1, t + 1, pathname);
					if (r == WM_MATCH || r == WM_ABORT_ALL)
						return r;
				}
				return WM_ABORT_ALL;
			}
			if (*p == '\0')
				return !pathname || !strchr(t, '/')
					       ? WM_MATCH
					       : WM_ABORT_TO_STARSTAR;
			for (;; t++) {
				r = wm(start, p, t, pathname);
				if (r != WM_NOMATCH)
					return r;
				if (!*t)
					return WM_ABORT_ALL;
				if (pathname && *t == '/')
					return WM_ABORT_TO_STARSTAR;
			}
		}
		default:
			if (*t != *p)
				return WM_NOMATCH;
			break;
		}
	}
	return *t ? WM_NOMATCH : WM_MATCH;
}

bool roger_wildmatch(const char *pattern, const char *text, bool pathname)
{
	return wm(pattern, pattern, text, pathname) == WM_MATCH;
}

int roger_pattern_list_add(struct roger_pattern_list *l, const char *pattern,
			   int value, struct roger_err *err)
{
	struct roger_pattern *pat;
	unsigned flags = 0;
	size_t len;
	char *text;

	if (*pattern == '!') {
		flags |= ROGER_PATTERN_NEGATE;
		pattern++;
	}
	len = strlen(pattern);
	if (len && pattern[len - 1] == '/') {
		flags |= ROGER_PATTERN_MUSTDIR;
		len--;
	}
	if (!memchr(pattern, '/', len))
		flags |= ROGER_PATTERN_NODIR;
	else if (*pattern == '/') {
		pattern++;
		len--;
	}
	if (len == 0)
		return roger_err_set(err, ROGER_EINVALID, "empty pattern");
	if (l->n == l->alloc) {
		size_t alloc = l->alloc ? 2 * l->alloc : 8;
		struct roger_pattern *items =
			realloc(l->items, alloc * sizeof(*items));

		if (!items)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		l->items = items;
		l->alloc = alloc;
	}
	text = strndup(pattern, len);
	if (!text)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	pat = &l->items[l->n++];
	pat->text = text;
	pat->flags = flags;
	pat->value = value;
	return 0;
}

/* Unquote a C-style quoted pattern in place; false when malformed. */
static bool unquote(char *s)
{
	char *w = s;

	for (const char *r = s + 1; *r; r++) {
		if (*r == '"')
			return r[1] == '\0' && (*w = '\0', true);
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		r++;
		switch (*r) {
		case 'n':
			*w++ = '\n';
			break;
		case 't':
			*w++ = '\t';
			break;
		case '"':
		case '\\':
			*w++ = *r;
			break;
		case 'a':
			*w++ = '\a';
			break;
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 'v':
			*w++ = '\v';
			break;
		default:
			if (r[0] >= '0' && r[0] <= '3' && r[1] >= '0' &&
			    r[1] <= '7' && r[2] >= '0' && r[2] <= '7') {
				*w++ = (char)((r[0] - '0') << 6 |
					      (r[1] - '0') << 3 | (r[2] - '0'));
				r += 2;
				break;
			}
			return false;
		}
	}
	return false;
}

/* Parse one line of .gitattributes (modified in place). */
static int parse_attr_line(struct roger_pattern_list *l, char *line,
			   const char *attr, struct roger_err *err)
{
	size_t attrlen = strlen(attr);
	char *pattern, *tok, *save = NULL;
	int value = -1;

	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#')
		return 0;
	if (*line == '"') {
		char *close = line + 1;

		while (*close && *close != '"')
			close += (*close == '\\' && close[1]) ? 2 : 1;
		if (!*close)
			return 0;
		pattern = line;
		line = close + 1;
		if (*line)
			*line++ = '\0';
		if (!unquote(pattern))
			return 0;
	} else {
		pattern = line;
		line += strcspn(line, " \t");
		if (*line)
			*line++ = '\0';
	}
	if (!strncmp(pattern, "[attr]", 6) || *pattern == '!')
		return 0; /* macros; negative patterns are forbidden by git */
	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		int v = 1;

		if (*tok == '-' || *tok == '!') {
			v = 0;
			tok++;
		}
		if (strncmp(tok, attr, attrlen))
			continue;
		if (tok[attrlen] == '=')
			v = 0; /* a string value is not "set" */
		else if (tok[attrlen])
			continue;
		value = v;
	}
	if (value < 0)
		return 0;
	return roger_pattern_list_add(l, pattern, value, err);
}

int roger_pattern_list_parse_attributes(struct roger_pattern_list *l,
					const char *base, const char *text,
					size_t len, const char *attr,
					struct roger_err *err)
{
	char *copy, *line, *next;
	int rc = 0;

	free(l->base);
	l->base = strdup(base);
	copy = malloc(len + 1);
	if (!l->base || !copy) {
		free(copy);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	l->baselen = strlen(base);
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (line = copy; line; line = next) {
		size_t n;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		rc = parse_attr_line(l, line, attr, err);
		if (rc < 0)
			break;
	}
	free(copy);
	return rc;
}

void roger_pattern_list_release(struct roger_pattern_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].text);
	free(l->items);
	free(l->base);
	memset(l, 0, sizeof(*l));
}

static bool pattern_matches(const struct roger_pattern *pat, const char *rel,
			    bool is_dir)
{
	const char *slash;

	if ((pat->flags & ROGER_PATTERN_MUSTDIR) && !is_dir)
		return false;
	if (pat->flags & ROGER_PATTERN_NODIR) {
		slash = strrchr(rel, '/');
		return roger_wildmatch(pat->text, slash ? slash + 1 : rel,
				       false);
	}
	return roger_wildmatch(pat->text, rel, true);
}

const struct roger_pattern *
roger_pattern_list_match(const struct roger_pattern_list *l, const char *path,
			 bool is_dir)
{
	const char *rel = path;

	if (l->baselen) {
		if (strncmp(path, l->base, l->baselen))
			return NULL;
		rel = path + l->baselen;
	}
	for (size_t i = l->n; i-- > 0;)
		if (pattern_matches(&l->items[i], rel, is_dir))
			return &l->items[i];
	return NULL;
}

bool roger_pattern_excluded(const struct roger_pattern_list *l,
			    const char *path, bool is_dir)
{
	const struct roger_pattern *pat;

	if (!l || !l->n)
		return false;
	pat = roger_pattern_list_match(l, path, is_dir);
	return pat && !(pat->flags & ROGER_PATTERN_NEGATE);
}
