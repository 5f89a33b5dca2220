/*
 * registry-auth.c - registry authentication as data: WWW-Authenticate
 * challenges, Docker's config.json, scope sets, base64.
 *
 * Pure functions (no I/O), each one fuzzed: the challenge comes from a
 * server, config.json from the user's disk.  registry.c drives the flows
 * with them.  Secrets decoded here are wiped before their memory is
 * released, and no message ever quotes one: errors name the file and the
 * key instead.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "oci.h"
#include "registry-internal.h"
#include "registry.h"

/* ---- base64 -------------------------------------------------------------- */

int roger_registry_b64_encode(char **out, const char *in, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = malloc((len + 2) / 3 * 4 + 1);
	size_t j = 0;

	if (!o)
		return ROGER_ENOMEM;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)(unsigned char)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)(unsigned char)in[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)in[i + 2];
		o[j++] = tab[(v >> 18) & 63];
		o[j++] = tab[(v >> 12) & 63];
		o[j++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		o[j++] = i + 2 < len ? tab[v & 63] : '=';
	}
	o[j] = '\0';
	*out = o;
	return 0;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int roger_registry_b64_decode(char **out, size_t *out_len, const char *in,
			      size_t len)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;
	char *o;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return ROGER_EINVALID;
	o = malloc(len / 4 * 3 + 3);
	if (!o)
		return ROGER_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value((unsigned char)in[i]);

		if (v < 0) {
			explicit_bzero(o, n);
			free(o);
			return ROGER_EINVALID;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[n++] = (char)(acc >> bits);
		}
		acc &= 0xff;
	}
	o[n] = '\0';
	*out = o;
	*out_len = n;
	return 0;
}

/* ---- scopes -------------------------------------------------------------- */

/*
 * The resource ("type:name") and actions of one scope entry: split at the
 * first and the last ':'.  False when it has no actions part.
 */
static bool scope_split(const char *s, size_t len, size_t *res_len,
			const char **actions, size_t *actions_len)
{
	const char *first = memchr(s, ':', len), *last = NULL;

	for (size_t i = len; i > 0; i--)
		if (s[i - 1] == ':') {
			last = s + i - 1;
			break;
		}
	if (!first || last == first)
		return false;
	*res_len = (size_t)(last - s);
	*actions = last + 1;
	*actions_len = len - *res_len - 1;
	return true;
}

static bool action_in(const char *a, size_t alen, const char *list,
		      size_t list_len)
{
	for (size_t i = 0; i < list_len;) {
		size_t n = 0;

		while (i + n < list_len && list[i + n] != ',')
			n++;
		if ((n == alen && !memcmp(list + i, a, n)) ||
		    (n == 1 && list[i] == '*'))
			return true;
		i += n + 1;
	}
	return false;
}

/* Whether the granted scopes hold every action of one wanted entry. */
static bool entry_covered(const char *granted, const char *w, size_t wlen)
{
	const char *wact;
	size_t wres, wact_len;

	if (!scope_split(w, wlen, &wres, &wact, &wact_len))
		return false;
	for (size_t i = 0; i < wact_len;) {
		size_t n = 0;
		bool found = false;

		while (i + n < wact_len && wact[i + n] != ',')
			n++;
		for (const char *g = granted; *g && !found;) {
			size_t glen = strcspn(g, " "), gres, gact_len;
			const char *gact;

			if (glen &&
			    scope_split(g, glen, &gres, &gact, &gact_len) &&
			    gres == wres && !memcmp(g, w, wres) &&
			    action_in(wact + i, n, gact, gact_len))
				found = true;
			g += glen;
			while (*g == ' ')
				g++;
		}
		if (!found && n)
			return false;
		i += n + 1;
	}
	return true;
}

bool roger_registry_scope_covers(const char *granted, const char *wanted)
{
	if (!wanted || !*wanted)
		return true;
	if (!granted)
		return false;
	for (const char *w = wanted; *w;) {
		size_t wlen = strcspn(w, " ");

		if (wlen && !entry_covered(granted, w, wlen))
			return false;
		w += wlen;
		while (*w == ' ')
			w++;
	}
	return true;
}

bool roger_registry_loopback_host(const char *host)
{
	size_t n;

	if (host[0] == '[')
		return !strncmp(host, "[::1]", 5) &&
		       (host[5] == '\0' || host[5] == ':');
	n = strcspn(host, ":");
	if (n == 9 && !strncasecmp(host, "localhost", 9))
		return true;
	if (n >= 9 && !strncmp(host, "127.", 4)) {
		for (size_t i = 4; i < n; i++)
			if (!isdigit((unsigned char)host[i]) && host[i] != '.')
				return false;
		return true;
	}
	return false;
}

/* ---- WWW-Authenticate ---------------------------------------------------- */

void roger_registry_challenge_release(struct roger_registry_challenge *c)
{
	if (!c)
		return;
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

static bool tchar(char c)
{
	return c && (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c));
}

static void skip_ows(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* A token or a quoted string at *p, as a new string in *out. */
static int param_value(char **out, const char **p)
{
	struct roger_buf b = ROGER_BUF_INIT;
	const char *s = *p;

	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			if (roger_buf_addch(&b, *s) < 0)
				goto nomem;
		}
		if (*s != '"') {
			roger_buf_release(&b);
			return ROGER_EINVALID;
		}
		s++;
	} else {
		while (tchar(*s) || *s == '/' || *s == ':' || *s == '=')
			if (roger_buf_addch(&b, *s++) < 0)
				goto nomem;
	}
	*p = s;
	*out = roger_buf_detach(&b, NULL);
	return *out ? 0 : ROGER_ENOMEM;
nomem:
	roger_buf_release(&b);
	return ROGER_ENOMEM;
}

int roger_registry_challenge_parse(struct roger_registry_challenge *out,
				   const char *header, struct roger_err *err)
{
	struct roger_registry_challenge best = { 0 }, cur = { 0 };
	const char *p = header;
	bool in_challenge = false;
	int rc = 0;

	for (;;) {
		const char *start;
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		start = p;
		while (tchar(*p))
			p++;
		n = (size_t)(p - start);
		if (n == 0) {
			rc = ROGER_EINVALID;
			break;
		}
		skip_ows(&p);
		if (*p == '=' && in_challenge) {
			char *value = NULL, **slot = NULL;

			p++;
			skip_ows(&p);
			rc = param_value(&value, &p);
			if (rc < 0)
				break;
			if (n == 5 && !strncasecmp(start, "realm", 5))
				slot = &cur.realm;
			else if (n == 7 && !strncasecmp(start, "service", 7))
				slot = &cur.service;
			else if (n == 5 && !strncasecmp(start, "scope", 5))
				slot = &cur.scope;
			else if (n == 5 && !strncasecmp(start, "error", 5))
				slot = &cur.error;
			if (slot) {
				free(*slot);
				*slot = value;
			} else {
				free(value);
			}
			continue;
		}
		/* A new challenge: keep the one before if it is the best. */
		if (in_challenge &&
		    (!best.scheme[0] || (!strcmp(cur.scheme, "Bearer") &&
					 strcmp(best.scheme, "Bearer")))) {
			roger_registry_challenge_release(&best);
			best = cur;
			memset(&cur, 0, sizeof(cur));
		}
		roger_registry_challenge_release(&cur);
		in_challenge = true;
		if (n == 6 && !strncasecmp(start, "Bearer", 6))
			snprintf(cur.scheme, sizeof(cur.scheme), "Bearer");
		else if (n == 5 && !strncasecmp(start, "Basic", 5))
			snprintf(cur.scheme, sizeof(cur.scheme), "Basic");
		else
			in_challenge = true; /* an unknown scheme: ignored */
		/* token68 (Basic abc=): skip it. */
		if (*p && *p != ',' && !tchar(*p))
			while (*p && *p != ',')
				p++;
	}
	if (rc == 0 && in_challenge && cur.scheme[0] &&
	    (!best.scheme[0] || (!strcmp(cur.scheme, "Bearer") &&
				 strcmp(best.scheme, "Bearer")))) {
		roger_registry_challenge_release(&best);
		best = cur;
		memset(&cur, 0, sizeof(cur));
	}
	roger_registry_challenge_release(&cur);
	if (rc == ROGER_ENOMEM) {
		roger_registry_challenge_release(&best);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	if (rc < 0 || !best.scheme[0]) {
		roger_registry_challenge_release(&best);
		return roger_err_set(
			err, ROGER_EINVALID,
			rc < 0 ? "malformed WWW-Authenticate header"
			       : "no Basic or Bearer challenge in the WWW-Authenticate header");
	}
	if (!strcmp(best.scheme, "Bearer") && (!best.realm || !*best.realm)) {
		roger_registry_challenge_release(&best);
		return roger_err_set(err, ROGER_EINVALID,
				     "the Bearer challenge has no realm");
	}
	*out = best;
	return 0;
}

/* ---- Docker's config.json ------------------------------------------------ */

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void roger_registry_creds_release(struct roger_registry_creds *c)
{
	if (!c)
		return;
	wipe_free(c->user);
	wipe_free(c->password);
	wipe_free(c->token);
	free(c->note);
	memset(c, 0, sizeof(*c));
}

static bool hub(const char *host, size_t n)
{
	static const char *const names[] = { "docker.io", "index.docker.io",
					     "registry-1.docker.io",
					     "registry.hub.docker.com" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == n && !strncasecmp(host, names[i], n))
			return true;
	return false;
}

/* Whether the auths key names `host` (scheme and path removed). */
static bool key_matches(const char *key, const char *host)
{
	size_t n;

	if (!strncasecmp(key, "https://", 8))
		key += 8;
	else if (!strncasecmp(key, "http://", 7))
		key += 7;
	n = strcspn(key, "/");
	if (hub(host, strlen(host)))
		return hub(key, n);
	return strlen(host) == n && !strncasecmp(key, host, n);
}

static int helper_note(struct roger_registry_creds *out, const char *helper,
		       const char *how, const char *path, const char *host)
{
	free(out->note);
	if (asprintf(
		    &out->note,
		    "the credentials for '%s' are kept by the Docker credential helper 'docker-credential-%s' (%s in '%s'), which roger does not run (credential helpers are not supported): log in without a helper so that \"auths\" holds them, or give them to roger (for the target's registry: ROGER_REGISTRY_USER and ROGER_REGISTRY_PASSWORD, or registry.auth)",
		    host, helper, how, path) < 0) {
		out->note = NULL;
		return ROGER_ENOMEM;
	}
	return 0;
}

/* Credentials from one "auths" entry. */
static int entry_creds(struct roger_registry_creds *out, json_t *entry,
		       const char *path, const char *key, struct roger_err *err)
{
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	const char *user =
		json_string_value(json_object_get(entry, "username"));
	const char *pass =
		json_string_value(json_object_get(entry, "password"));
	const char *rtok =
		json_string_value(json_object_get(entry, "registrytoken"));
	char *plain = NULL, *colon;
	size_t n = 0;
	int rc;

	if (auth && *auth) {
		rc = roger_registry_b64_decode(&plain, &n, auth, strlen(auth));
		if (rc == ROGER_ENOMEM)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		colon = rc == 0 ? memchr(plain, ':', n) : NULL;
		if (rc < 0 || !colon || colon == plain || memchr(plain, 0, n)) {
			if (plain)
				explicit_bzero(plain, n);
			free(plain);
			return roger_err_set(
				err, ROGER_EINVALID,
				"'%s': auths.\"%s\".auth is not the base64 of user:password",
				path, key);
		}
		out->user = strndup(plain, (size_t)(colon - plain));
		out->password = strdup(colon + 1);
		explicit_bzero(plain, n);
		free(plain);
		if (!out->user || !out->password)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		return 1;
	}
	if (user && *user && pass) {
		out->user = strdup(user);
		out->password = strdup(pass);
		if (!out->user || !out->password)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		return 1;
	}
	if (rtok && *rtok) {
		out->token = strdup(rtok);
		if (!out->token)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		return 1;
	}
	/* Several keys may name the host (docker.io and its aliases): the
	 * first one's note stands. */
	if (json_string_value(json_object_get(entry, "identitytoken")) &&
	    !out->note &&
	    asprintf(
		    &out->note,
		    "the entry for '%s' in '%s' holds an identity token (OAuth), which roger does not use: give roger a user and password or a registry token",
		    key, path) < 0) {
		out->note = NULL;
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	return 0;
}

int roger_registry_docker_config_creds(struct roger_registry_creds *out,
				       const char *text, size_t len,
				       const char *path, const char *host,
				       struct roger_err *err)
{
	struct roger_registry_creds c = { 0 };
	json_t *root, *auths, *helpers, *v;
	const char *key, *store;
	json_error_t jerr;
	int rc = 0, found = 0;

	root = json_loadb(text, len, 0, &jerr);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return roger_err_set(err, ROGER_EINVALID,
				     "%s:%d:%d: not a Docker config.json: %s",
				     path, root ? 1 : jerr.line,
				     root ? 1 : jerr.column,
				     root ? "not a JSON object" : jerr.text);
	}
	auths = json_object_get(root, "auths");
	json_object_foreach(auths, key, v) {
		if (!json_is_object(v) || !key_matches(key, host))
			continue;
		rc = entry_creds(&c, v, path, key, err);
		if (rc != 0)
			break;
	}
	if (rc < 0)
		goto out;
	found = rc;
	rc = 0;
	if (!found) {
		helpers = json_object_get(root, "credHelpers");
		json_object_foreach(helpers, key, v) {
			if (json_is_string(v) && key_matches(key, host)) {
				rc = helper_note(&c, json_string_value(v),
						 "credHelpers", path, host);
				found = -1;
				break;
			}
		}
		store = json_string_value(json_object_get(root, "credsStore"));
		if (rc == 0 && found == 0 && store && *store)
			rc = helper_note(&c, store, "credsStore", path, host);
		if (rc < 0)
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
out:
	json_decref(root);
	if (rc < 0) {
		roger_registry_creds_release(&c);
		return rc;
	}
	*out = c;
	return 0;
}
