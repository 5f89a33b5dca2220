/*
 * auth.c - who may use a roger local: its token and the Host rule.
 *
 * roger local runs commands for whoever reaches its port, so it answers
 * only its owner.  Two checks run on every request before any handler:
 *
 *  - Host.  A web page can reach 127.0.0.1 through a name it controls (DNS
 *    rebinding); the browser then sends that name as Host.  Only
 *    127.0.0.1, localhost and [::1], bare or with the server's own port,
 *    compared without regard to case, are answered.
 *  - Token.  Other users of the machine reach the loopback port too.  The
 *    server keeps a random token in <state>/token (mode 0600, so only its
 *    owner can read it) and every request but GET/HEAD /ping must carry
 *    "Authorization: token=<token>", the DC/OS form every client path of
 *    roger already sends.  It is compared in constant time.
 *
 * The token is 32 bytes from getrandom(2) (or /dev/urandom), written as 64
 * lower-case hex digits.  It is created by the server that holds the state
 * directory's lock, written to a temporary file of mode 0600 and renamed
 * into place, and kept across restarts, so scripts and shells that read it
 * once keep working.  A token file that anyone else may read, that belongs
 * to another user or that is not one roger wrote is replaced by a new one
 * at start.  To rotate the token: stop the server, delete the file, start
 * it again.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "local/auth.h"
#include "local/local.h"

#define TOKEN_BYTES (ROGER_LOCAL_TOKEN_LEN / 2)

char *roger_local_token_file(const char *state_dir)
{
	return roger_path_join(state_dir, ROGER_LOCAL_TOKEN_NAME);
}

static bool is_token(const char *s, size_t len)
{
	if (len != ROGER_LOCAL_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int roger_local_token_read(char out[ROGER_LOCAL_TOKEN_LEN + 1],
			   const char *state_dir, struct roger_err *err)
{
	char *path = roger_local_token_file(state_dir);
	char buf[ROGER_LOCAL_TOKEN_LEN + 2];
	struct stat st;
	ssize_t n = 0;
	size_t len;
	int fd = -1, rc = 0;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		rc = roger_err_set(
			err, errno == ENOENT ? ROGER_ENOTFOUND : ROGER_EINVALID,
			"cannot read the token file '%s': %s", path,
			strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = roger_err_set(err, ROGER_EINVALID,
				   "the token file '%s' is not a regular file",
				   path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"the token file '%s' belongs to uid %ld, not to you",
			path, (long)st.st_uid);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"the token file '%s' has mode %04o: group and others must have no access to it",
			path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	len = n > 0 ? (size_t)n : 0;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (!is_token(buf, len)) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"the token file '%s' does not hold a token of roger local (%d hex digits)",
			path, ROGER_LOCAL_TOKEN_LEN);
		goto out;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
out:
	explicit_bzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* Fill `b` with random bytes: getrandom(2), else /dev/urandom; never less. */
static int random_bytes(unsigned char *b, size_t size, struct roger_err *err)
{
	size_t got = 0;
	int fd;

	while (got < size) {
		ssize_t n = getrandom(b + got, size - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == size)
		return 0;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && got < size) {
		ssize_t n = read(fd, b + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (got < size)
		return roger_err_set(
			err, ROGER_EIO,
			"cannot make a token: no source of random bytes");
	return 0;
}

/* A new token in a temporary file of mode 0600, renamed into place. */
static int token_create(char out[ROGER_LOCAL_TOKEN_LEN + 1],
			const char *state_dir, struct roger_err *err)
{
	unsigned char raw[TOKEN_BYTES];
	char text[ROGER_LOCAL_TOKEN_LEN + 2], *tmp = NULL, *path = NULL;
	size_t len = ROGER_LOCAL_TOKEN_LEN + 1;
	int fd = -1, rc;

	if ((rc = random_bytes(raw, sizeof(raw), err)) < 0)
		return rc;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(text + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	text[ROGER_LOCAL_TOKEN_LEN] = '\n';
	text[ROGER_LOCAL_TOKEN_LEN + 1] = '\0';
	path = roger_local_token_file(state_dir);
	tmp = roger_path_join(state_dir, ".token.XXXXXX");
	if (!path || !tmp) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	/* mkstemp creates the file with mode 0600, and only if it is new. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				   path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = roger_err_set(
				err, ROGER_EIO, "cannot write '%s': %s", path,
				n < 0 ? strerror(errno) : "short write");
			goto out;
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				   path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot rename '%s' to '%s': %s", tmp, path,
				   strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	memcpy(out, text, ROGER_LOCAL_TOKEN_LEN);
	out[ROGER_LOCAL_TOKEN_LEN] = '\0';
out:
	explicit_bzero(text, sizeof(text));
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(path);
	return rc;
}

int roger_local_token_ensure(char out[ROGER_LOCAL_TOKEN_LEN + 1],
			     struct roger_ctx *ctx, const char *state_dir,
			     struct roger_err *err)
{
	struct roger_err why = ROGER_ERR_INIT;
	int rc = roger_local_token_read(out, state_dir, &why);

	if (rc == 0)
		return 0;
	if (rc == ROGER_ENOMEM)
		return roger_err_set(err, rc, "%s", why.msg);
	if (rc != ROGER_ENOTFOUND)
		roger_log(ctx, ROGER_LOG_WARN,
			  "%s; replacing it with a new token", why.msg);
	return token_create(out, state_dir, err);
}

/* ---- request checks ------------------------------------------------------ */

/* Whether `s` (of `len` bytes) is `port` in decimal, without sign or zeros. */
static bool is_port(const char *s, size_t len, int port)
{
	long v = 0;

	if (len == 0 || len > 5 || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	return v == port;
}

static bool is_loopback_name(const char *s, size_t len)
{
	static const char *const names[] = { "127.0.0.1", "localhost",
					     "[::1]" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (len == strlen(names[i]) && !strncasecmp(s, names[i], len))
			return true;
	return false;
}

bool roger_local_host_ok(const char *host, int port)
{
	const char *colon;
	size_t name_len;

	if (!host)
		return false;
	if (host[0] == '[') {
		const char *end = strchr(host, ']');

		if (!end)
			return false;
		colon = end[1] ? end + 1 : NULL;
		if (colon && *colon != ':')
			return false;
	} else {
		colon = strchr(host, ':');
	}
	name_len = colon ? (size_t)(colon - host) : strlen(host);
	if (!is_loopback_name(host, name_len))
		return false;
	return !colon || is_port(colon + 1, strlen(colon + 1), port);
}

bool roger_local_auth_ok(const char *authorization, const char *token)
{
	static const char scheme[] = "token=";
	size_t n = strlen(token);
	unsigned char diff = 0;
	const char *given;

	if (!authorization || n == 0 ||
	    strncasecmp(authorization, scheme, sizeof(scheme) - 1))
		return false;
	given = authorization + sizeof(scheme) - 1;
	/* The length of a token is no secret: all have the same. */
	if (strlen(given) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(given[i] ^ token[i]);
	return diff == 0;
}

bool roger_local_url_is_own(const char *url, int port)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *p = NULL;
	bool own = false;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) !=
		    CURLUE_OK)
		goto out;
	own = !strcasecmp(scheme, "http") &&
	      is_loopback_name(host, strlen(host)) &&
	      is_port(p, strlen(p), port);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(p);
	curl_url_cleanup(u);
	return own;
}
