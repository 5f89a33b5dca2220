/*
 * secret.c - secrets: the rule that keeps them out of roger.json, and the
 * credentials of targets read from the environment and from token files.
 *
 * The rule, also in roger(1): at the levels roger owns, a key whose words
 * include password, passwd, passphrase, pass, secret, token, credential(s),
 * auth or an api/private/access "key" is refused with a pointer to the user
 * config and the ROGER_* variables; a variable in `vars` with such a name
 * is refused too; and in `marathon.env` (base and environments) a variable
 * with such a name (except "auth", common in harmless names) must hold a
 * Marathon secret reference {"secret": ...}, a value built from a
 * {{ variable }}, or an obviously harmless value (empty, a number, a
 * boolean word); any env value that is a URL with a password is refused.
 * The checks themselves are in schema.c and project.c; the words are here.
 *
 * Token files must not be accessible by group or others, and every copy of
 * a secret is wiped from memory before it is freed.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "project.h"
#include "secret.h"
#include "spec.h"
#include "util.h"

/* ---- names and values --------------------------------------------------- */

static bool word_is(const char *w, size_t len, const char *upper)
{
	if (strlen(upper) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = w[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != upper[i])
			return false;
	}
	return true;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

bool roger_config_name_is_secret(const char *name, bool strict)
{
	static const char *const secret_words[] = {
		"PASSWORD", "PASSWORDS",  "PASSWD",      "PASSPHRASE",
		"PASS",     "SECRET",     "SECRETS",     "TOKEN",
		"TOKENS",   "CREDENTIAL", "CREDENTIALS", "APIKEY",
	};
	static const char *const strict_words[] = {
		"AUTH",
		"AUTHORIZATION",
	};
	static const char *const key_owners[] = {
		"API",
		"PRIVATE",
		"ACCESS",
	};
	const char *prev = NULL;
	size_t prev_len = 0;
	const char *p = name;

	/* Words: runs of letters and digits, also split at camelCase humps. */
	while (*p) {
		const char *w;
		size_t len;

		while (*p && !is_alnum(*p))
			p++;
		if (!*p)
			break;
		w = p++;
		while (is_alnum(*p) && !(is_upper(*p) && !is_upper(p[-1])))
			p++;
		len = (size_t)(p - w);
		for (size_t i = 0; i < ROGER_ARRAY_SIZE(secret_words); i++)
			if (word_is(w, len, secret_words[i]))
				return true;
		for (size_t i = 0; strict && i < ROGER_ARRAY_SIZE(strict_words);
		     i++)
			if (word_is(w, len, strict_words[i]))
				return true;
		if (prev && word_is(w, len, "KEY"))
			for (size_t i = 0; i < ROGER_ARRAY_SIZE(key_owners);
			     i++)
				if (word_is(prev, prev_len, key_owners[i]))
					return true;
		prev = w;
		prev_len = len;
	}
	return false;
}

bool roger_secret_value_harmless(const char *s)
{
	static const char *const words[] = {
		"true", "false", "yes", "no", "on", "off",
	};
	const char *p = s;

	if (!*s)
		return true;
	while (*p >= '0' && *p <= '9')
		p++;
	if (!*p)
		return true;
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(words); i++)
		if (!strcasecmp(s, words[i]))
			return true;
	return false;
}

bool roger_secret_url_has_password(const char *s)
{
	const char *p = strstr(s, "://"), *end, *colon;

	if (!p)
		return false;
	p += 3;
	end = p + strcspn(p, "/?#@");
	if (*end != '@')
		return false;
	colon = memchr(p, ':', (size_t)(end - p));
	if (!colon || colon + 1 == end)
		return false;
	return !roger_spec_has_var(colon + 1);
}

/* ---- credentials --------------------------------------------------------- */

int roger_secret_from_env(char **slot, const struct roger_ctx *ctx,
			  const char *name, const char *where,
			  struct roger_err *err)
{
	const char *value = roger_ctx_getenv(ctx, name);
	char *copy;

	if (!value)
		return roger_err_set(err, ROGER_EINVALID,
				     "%s: environment variable '%s' is not set",
				     where, name);
	copy = strdup(value);
	if (!copy)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	roger_secret_free(*slot);
	*slot = copy;
	return 0;
}

int roger_secret_read_token_file(char **out, const char *path,
				 const char *where, struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	struct stat st;
	char chunk[4096];
	size_t start = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return roger_err_set(err, ROGER_EINVALID,
				     "%s: cannot read token file '%s': %s",
				     where, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "%s: token file '%s' is not a regular file",
				   where, path);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"token file '%s' has mode %04o: group and others must have no access to it (chmod 600 '%s')",
			path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || b.len + (size_t)n > 65536) {
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"%s: cannot read token file '%s': %s", where,
				path,
				n < 0 ? strerror(errno) : "larger than 64 KiB");
			goto out;
		}
		if (roger_buf_add(&b, chunk, (size_t)n) < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	while (b.len > 0 && (unsigned char)b.buf[b.len - 1] <= ' ')
		b.len--;
	b.buf[b.len] = '\0';
	while (start < b.len && (unsigned char)b.buf[start] <= ' ')
		start++;
	for (size_t i = start; i < b.len; i++) {
		if ((unsigned char)b.buf[i] < ' ' || b.buf[i] == 0x7f) {
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"token file '%s' holds control characters or several lines",
				path);
			goto out;
		}
	}
	if (start == b.len) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "token file '%s' is empty", path);
		goto out;
	}
	*out = strdup(b.buf + start);
	if (!*out)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
out:
	if (b.alloc)
		explicit_bzero(b.buf, b.alloc);
	roger_buf_release(&b);
	close(fd);
	return rc;
}

void roger_secret_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}
