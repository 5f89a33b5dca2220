/*
 * dockerfile.c - reading a Dockerfile into its instructions (see
 * dockerfile.h), for `roger init`.
 *
 * Design: one pass over the lines.  Parser directives are looked for only
 * before anything else, as BuildKit does.  An instruction is its first
 * line and every line after it while the last one ends in the escape
 * character (white space after it allowed); comment and empty lines in
 * between are dropped, and the pieces are joined without the escape
 * character and the newline, as Docker joins them.  A here-document marker
 * in RUN, COPY or ADD then takes the lines up to its terminator into the
 * arguments, newlines kept.  The JSON form is jansson's: arguments that
 * start with '[' and parse as an array of strings; anything else is the
 * shell form, as in Docker.  Nothing here touches files.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "buf.h"
#include "dockerfile.h"
#include "err.h"

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* ---- lines --------------------------------------------------------------- */

struct lines {
	const char *p, *end;
	unsigned line; /* of the line next() returns */
};

/* The next line (without its newline or a final '\r'), or false at the end. */
static bool next_line(struct lines *l, const char **s, size_t *n)
{
	const char *nl;

	if (l->p >= l->end)
		return false;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	*s = l->p;
	*n = nl ? (size_t)(nl - l->p) : (size_t)(l->end - l->p);
	l->p = nl ? nl + 1 : l->end;
	if (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	l->line++;
	return true;
}

static size_t skip_blank(const char *s, size_t n, size_t i)
{
	while (i < n && blank(s[i]))
		i++;
	return i;
}

/* Whether the line is empty, white space or a comment. */
static bool ignorable(const char *s, size_t n)
{
	size_t i = skip_blank(s, n, 0);

	return i == n || s[i] == '#';
}

/*
 * A parser directive "# name=value" (names are case-insensitive): 1 and
 * the escape character set when it is one, 0 when the line is not a
 * directive, or ROGER_EINVALID.
 */
static int directive(struct roger_dockerfile *df, const char *s, size_t n,
		     const char *name, unsigned line, struct roger_err *err)
{
	size_t i = skip_blank(s, n, 0), k, ke, v, ve;

	if (i == n || s[i] != '#')
		return 0;
	i = skip_blank(s, n, i + 1);
	k = i;
	while (i < n &&
	       ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
		i++;
	ke = i;
	i = skip_blank(s, n, i);
	if (ke == k || i == n || s[i] != '=')
		return 0;
	v = skip_blank(s, n, i + 1);
	ve = n;
	while (ve > v && blank(s[ve - 1]))
		ve--;
	if (ke - k != 6 || strncasecmp(s + k, "escape", 6))
		return 1; /* syntax=, check=: nothing for us */
	if (ve - v != 1 || (s[v] != '\\' && s[v] != '`'))
		return roger_err_set(
			err, ROGER_EINVALID,
			"%s:%u: invalid escape directive '%.*s': expected '\\' or '`'",
			name, line, (int)(ve - v), s + v);
	df->escape = s[v];
	return 1;
}

/* ---- instructions -------------------------------------------------------- */

void roger_dockerfile_free(struct roger_dockerfile *df)
{
	if (!df)
		return;
	for (size_t i = 0; i < df->n; i++) {
		free(df->instrs[i].keyword);
		free(df->instrs[i].args);
		roger_dockerfile_words_free(df->instrs[i].argv);
	}
	free(df->instrs);
	free(df);
}

/* Whether line `s` continues: it ends in `escape`, then white space. */
static bool continues(const char *s, size_t *n, char escape)
{
	size_t e = *n;

	while (e > 0 && blank(s[e - 1]))
		e--;
	if (e == 0 || s[e - 1] != escape)
		return false;
	*n = e - 1;
	return true;
}

/*
 * The here-document markers of `args` (RUN, COPY, ADD): for each "<<WORD",
 * "<<-WORD", "<<'WORD'" or "<<\"WORD\"", the lines up to WORD are appended
 * to `b`, each after a newline.
 */
static int heredocs(struct roger_buf *b, size_t args_len, struct lines *l,
		    const char *name, struct roger_err *err)
{
	char word[128];

	for (size_t i = 0; i + 2 < args_len; i++) {
		const char *a = b->buf;
		size_t j = i + 2, w = 0;
		bool strip = false;
		unsigned start = l->line;
		char quote = 0;

		if (a[i] != '<' || a[i + 1] != '<' || a[j] == '<' ||
		    (i > 0 && a[i - 1] == '<'))
			continue;
		if (a[j] == '-') {
			strip = true;
			j++;
		}
		if (j < args_len && (a[j] == '\'' || a[j] == '"'))
			quote = a[j++];
		while (j < args_len && w + 1 < sizeof(word) &&
		       ((a[j] >= 'a' && a[j] <= 'z') ||
			(a[j] >= 'A' && a[j] <= 'Z') ||
			(a[j] >= '0' && a[j] <= '9') || a[j] == '_'))
			word[w++] = a[j++];
		word[w] = '\0';
		if (!w || (quote && (j >= args_len || a[j] != quote)))
			continue;
		for (;;) {
			const char *s;
			size_t n;

			if (!next_line(l, &s, &n))
				return roger_err_set(
					err, ROGER_EINVALID,
					"%s:%u: the here-document '%s' never ends",
					name, start, word);
			while (strip && n && *s == '\t') {
				s++;
				n--;
			}
			if (roger_buf_addch(b, '\n') < 0 ||
			    roger_buf_add(b, s, n) < 0)
				return nomem(err);
			if (n == w && !memcmp(s, word, w))
				break;
		}
		i = j;
	}
	return 0;
}

/* The JSON form of `args`: argv set when it is an array of strings. */
static int json_form(struct roger_dockerfile_instr *in)
{
	json_t *v;
	size_t n, i;

	if (in->args[0] != '[')
		return 0;
	v = json_loads(in->args, 0, NULL);
	if (!json_is_array(v)) {
		json_decref(v);
		return 0;
	}
	n = json_array_size(v);
	for (i = 0; i < n; i++)
		if (!json_is_string(json_array_get(v, i)))
			break;
	if (i < n) {
		json_decref(v);
		return 0;
	}
	in->argv = calloc(n + 1, sizeof(*in->argv));
	for (i = 0; in->argv && i < n; i++) {
		in->argv[i] = strdup(json_string_value(json_array_get(v, i)));
		if (!in->argv[i])
			break;
	}
	json_decref(v);
	if (!in->argv || i < n)
		return ROGER_ENOMEM;
	in->json = true;
	return 0;
}

/* One instruction from its joined text in `b` (first line `line`). */
static int instruction(struct roger_dockerfile *df, struct roger_buf *b,
		       unsigned line, struct lines *l, const char *name,
		       struct roger_err *err)
{
	struct roger_dockerfile_instr *in, *grown;
	size_t i = skip_blank(b->buf, b->len, 0), k = i, a, e;
	int rc;

	while (i < b->len && ((b->buf[i] >= 'a' && b->buf[i] <= 'z') ||
			      (b->buf[i] >= 'A' && b->buf[i] <= 'Z')))
		i++;
	if (i == k || (i < b->len && !blank(b->buf[i]))) {
		size_t w = strcspn(b->buf + k, " \t");

		return roger_err_set(
			err, ROGER_EINVALID,
			"%s:%u: expected an instruction such as FROM or RUN, got '%.*s'",
			name, line, (int)(w > 40 ? 40 : w), b->buf + k);
	}
	grown = realloc(df->instrs, (df->n + 1) * sizeof(*grown));
	if (!grown)
		return nomem(err);
	df->instrs = grown;
	in = &df->instrs[df->n];
	memset(in, 0, sizeof(*in));
	in->line = line;
	in->keyword = strndup(b->buf + k, i - k);
	if (!in->keyword)
		return nomem(err);
	df->n++;
	for (char *p = in->keyword; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	a = skip_blank(b->buf, b->len, i);
	e = b->len;
	while (e > a && blank(b->buf[e - 1]))
		e--;
	/* here-documents: their lines follow the instruction's */
	if (!strcmp(in->keyword, "RUN") || !strcmp(in->keyword, "COPY") ||
	    !strcmp(in->keyword, "ADD")) {
		roger_buf_truncate(b, e);
		if ((rc = heredocs(b, e, l, name, err)) < 0)
			return rc;
		e = b->len;
	}
	in->args = strndup(b->buf + a, e - a);
	if (!in->args)
		return nomem(err);
	if (memchr(in->args, '\0', e - a))
		return roger_err_set(err, ROGER_EINVALID, "%s:%u: a NUL byte",
				     name, line);
	if (json_form(in) < 0)
		return nomem(err);
	return 0;
}

int roger_dockerfile_parse(struct roger_dockerfile **out, const char *text,
			   size_t len, const char *name, struct roger_err *err)
{
	struct roger_dockerfile *df = calloc(1, sizeof(*df));
	struct roger_buf b = ROGER_BUF_INIT;
	struct lines l = { text, text + len, 0 };
	bool directives = true;
	const char *s;
	size_t n;
	int rc = 0;

	if (!df)
		return nomem(err);
	df->escape = '\\';
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		l.p += 3;
	if (memchr(text, '\0', len)) {
		const char *z = memchr(text, '\0', len);
		unsigned line = 1;

		for (const char *p = text; p < z; p++)
			line += *p == '\n';
		rc = roger_err_set(err, ROGER_EINVALID,
				   "%s:%u: a NUL byte: not a text file", name,
				   line);
		goto out;
	}
	while (rc == 0 && next_line(&l, &s, &n)) {
		unsigned start = l.line;

		if (directives) {
			rc = directive(df, s, n, name, l.line, err);
			if (rc != 0) {
				rc = rc < 0 ? rc : 0;
				continue;
			}
			directives = false;
		}
		if (ignorable(s, n))
			continue;
		roger_buf_reset(&b);
		while (continues(s, &n, df->escape)) {
			if (roger_buf_add(&b, s, n) < 0) {
				rc = nomem(err);
				goto out;
			}
			do {
				if (!next_line(&l, &s, &n)) {
					s = "";
					n = 0;
					break;
				}
			} while (ignorable(s, n));
		}
		if (roger_buf_add(&b, s, n) < 0) {
			rc = nomem(err);
			goto out;
		}
		rc = instruction(df, &b, start, &l, name, err);
	}
	if (rc < 0)
		goto out;
	*out = df;
	df = NULL;
out:
	roger_buf_release(&b);
	roger_dockerfile_free(df);
	return rc;
}

/* ---- words and variables ------------------------------------------------- */

void roger_dockerfile_words_free(char **words)
{
	if (!words)
		return;
	for (size_t i = 0; words[i]; i++)
		free(words[i]);
	free(words);
}

static int push_word(char ***words, size_t *n, struct roger_buf *w)
{
	char **grown = realloc(*words, (*n + 2) * sizeof(*grown));

	if (!grown)
		return ROGER_ENOMEM;
	*words = grown;
	grown[*n] = roger_buf_detach(w, NULL);
	if (!grown[*n])
		return ROGER_ENOMEM;
	grown[++*n] = NULL;
	return 0;
}

int roger_dockerfile_words(char ***out, const char *args, char escape,
			   struct roger_err *err)
{
	struct roger_buf w = ROGER_BUF_INIT;
	char **words = calloc(1, sizeof(*words));
	size_t n = 0;
	bool in_word = false;
	char quote = 0;
	int rc = 0;

	if (!words)
		return nomem(err);
	for (const char *p = args; *p && rc == 0; p++) {
		if (!quote && blank(*p)) {
			if (in_word)
				rc = push_word(&words, &n, &w);
			in_word = false;
			continue;
		}
		in_word = true;
		if (quote == '\'') {
			if (*p == '\'')
				quote = 0;
			else
				rc = roger_buf_addch(&w, *p);
		} else if (*p == escape && p[1] &&
			   (!quote || p[1] == '"' || p[1] == escape ||
			    p[1] == '$')) {
			rc = roger_buf_addch(&w, *++p);
		} else if (quote == '"' && *p == '"') {
			quote = 0;
		} else if (!quote && (*p == '"' || *p == '\'')) {
			quote = *p;
		} else {
			rc = roger_buf_addch(&w, *p);
		}
	}
	if (rc == 0 && quote)
		rc = roger_err_set(err, ROGER_EINVALID,
				   "unterminated %s quote in '%s'",
				   quote == '"' ? "double" : "single", args);
	else if (rc == 0 && in_word)
		rc = push_word(&words, &n, &w);
	if (rc == ROGER_ENOMEM)
		rc = nomem(err);
	roger_buf_release(&w);
	if (rc < 0) {
		roger_dockerfile_words_free(words);
		return rc;
	}
	*out = words;
	return 0;
}

static const char *lookup(const struct roger_dockerfile_var *vars, size_t n,
			  const char *name, size_t len)
{
	for (size_t i = n; i-- > 0;)
		if (strlen(vars[i].name) == len &&
		    !memcmp(vars[i].name, name, len))
			return vars[i].value;
	return NULL;
}

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

int roger_dockerfile_substitute(char **out, const char *s, char escape,
				const struct roger_dockerfile_var *vars,
				size_t n_vars, struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	const char *p = s;
	int rc = 0;

	while (*p && rc == 0) {
		const char *name, *value, *word = NULL;
		size_t len = 0, wlen = 0;
		char mod = 0;

		if (*p == escape && p[1] == '$') {
			rc = roger_buf_addch(&b, '$');
			p += 2;
			continue;
		}
		if (*p != '$' || !(p[1] == '{' || name_char(p[1], true))) {
			rc = roger_buf_addch(&b, *p++);
			continue;
		}
		if (p[1] != '{') {
			name = p + 1;
			while (name_char(name[len], len == 0))
				len++;
			p = name + len;
		} else {
			const char *close = strchr(p + 2, '}');

			name = p + 2;
			while (name_char(name[len], len == 0))
				len++;
			if (!close || !len) {
				roger_buf_release(&b);
				return roger_err_set(
					err, ROGER_EINVALID,
					"unterminated or empty '${' in '%s'",
					s);
			}
			if (name + len < close) {
				if (name[len] != ':' ||
				    (name[len + 1] != '-' &&
				     name[len + 1] != '+')) {
					roger_buf_release(&b);
					return roger_err_set(
						err, ROGER_EINVALID,
						"unsupported substitution '%.*s' in '%s': only ${NAME}, ${NAME:-default} and ${NAME:+value}",
						(int)(close - p + 1), p, s);
				}
				mod = name[len + 1];
				word = name + len + 2;
				wlen = (size_t)(close - word);
			}
			p = close + 1;
		}
		value = lookup(vars, n_vars, name, len);
		if (mod == '-' && (!value || !*value))
			rc = roger_buf_add(&b, word, wlen);
		else if (mod == '+')
			rc = value && *value ? roger_buf_add(&b, word, wlen)
					     : 0;
		else if (value)
			rc = roger_buf_adds(&b, value);
	}
	if (rc < 0) {
		roger_buf_release(&b);
		return nomem(err);
	}
	*out = roger_buf_detach(&b, NULL);
	return *out ? 0 : nomem(err);
}
