/*
 * registry.c - the registry client and the pool (see registry.h).
 *
 * Every request goes through call_send(), which is the whole auth story:
 * pick the Authorization for the request's scope (a static bearer token;
 * a cached token that covers the scope, fetched from the realm first when
 * the registry is known to want tokens; Basic once the registry asked for
 * it), send, and on a 401 read the challenge, meet it once (fetch a token
 * for the scope the registry names, or start sending Basic) and send
 * again.  Redirects are followed here, not by the HTTP client, so that the
 * Authorization header never leaves the registry's origin (blob stores
 * behind 307s are other hosts; the contract and Mesos agree).
 *
 * Scopes are strings "repository:<name>:<actions>" separated by spaces,
 * as the registry writes them in challenges; a token is cached under the
 * scopes it was asked for and reused for any request whose scopes they
 * cover, until 90% of its lifetime (expires_in, 60 s by default) is gone.
 *
 * Uploads.  The registry tracks an upload by the _state token in the
 * Location of its latest answer; an older Location kills the upload, and
 * a request that failed half-way leaves the state unknown.  So requests of
 * an upload session are never resent: a failure abandons the session and
 * the whole upload starts again in a new one (after a HEAD, in case the
 * blob arrived after all).  Content-Range is sent with each PATCH, as OCI
 * registries want; the Range of each answer is checked against our own
 * count (0-0 is ambiguous and accepted for one byte or none).
 *
 * Downloads are streamed into a temporary file and hashed as they arrive;
 * only a file whose digest matches is renamed into place.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "http.h"
#include "oci.h"
#include "registry-internal.h"
#include "registry.h"

#define DEFAULT_CHUNK ((size_t)16 << 20)
#define DEFAULT_MAX_RETRIES 5
#define DEFAULT_BACKOFF_BASE_MS 500L
#define DEFAULT_BACKOFF_MAX_MS 8000L
#define MANIFEST_MAX ((size_t)4 << 20)
#define MAX_REDIRECTS 5
#define MAX_TOKENS 32
#define TOKEN_DEFAULT_S 60
#define STALL_MS 60000L
#define SUMMARY_MAX 400

struct token {
	char *scope; /* the scopes it was asked for: its key */
	char *value; /* secret */
	int64_t valid_until_ms;
};

struct roger_registry {
	struct roger_ctx *ctx;
	struct roger_http_client *http;
	char *url; /* "https://host:port", no trailing '/' */
	char *host; /* "host:port" */
	char *user;
	char *password; /* secret */
	char *static_token; /* secret */
	char *basic; /* "Basic ...": secret */
	char *authz; /* the Authorization of the current request */
	char *auth_source;
	char *auth_note;
	bool send_basic; /* the registry asked for Basic */
	bool wants_tokens; /* the registry answered with a Bearer challenge */
	char *realm;
	char *service;
	struct token *tokens;
	size_t n_tokens;
	size_t chunk_size;
	int max_retries;
	long backoff_base_ms;
	long backoff_max_ms;
	uint32_t rng;
	roger_registry_progress_fn progress_fn;
	void *progress_data;
};

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void token_release(struct token *t)
{
	free(t->scope);
	wipe_free(t->value);
	memset(t, 0, sizeof(*t));
}

/* ---- construction -------------------------------------------------------- */

static size_t scheme_len(const char *url)
{
	if (!strncasecmp(url, "http://", 7))
		return 7;
	if (!strncasecmp(url, "https://", 8))
		return 8;
	return 0;
}

static bool same_origin(const char *a, const char *b)
{
	size_t sa = scheme_len(a), sb = scheme_len(b);
	size_t la = sa + strcspn(a + sa, "/?#"),
	       lb = sb + strcspn(b + sb, "/?#");

	return sa && la == lb && !strncasecmp(a, b, la);
}

int roger_registry_new(struct roger_registry **out, struct roger_ctx *ctx,
		       const struct roger_registry_opts *o,
		       struct roger_err *err)
{
	struct roger_http_client_opts ho = { 0 };
	struct roger_registry *r = NULL;
	struct roger_http *transport = o->transport;
	const struct roger_registry_auth *a = o->auth;
	const char *bases[1];
	size_t s, n;
	int rc;

	s = o->url ? scheme_len(o->url) : 0;
	if (!s) {
		roger_http_free(transport);
		return roger_err_set(
			err, ROGER_EINVALID,
			"invalid registry URL '%s': expected http:// or https://",
			o->url ? o->url : "");
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	r->ctx = ctx;
	n = strlen(o->url);
	while (n > s && o->url[n - 1] == '/')
		n--;
	r->url = strndup(o->url, n);
	r->host = strndup(o->url + s, strcspn(o->url + s, "/?#"));
	if (!r->url || !r->host)
		goto nomem;
	if (a && ((a->user && *a->user) || (a->token && *a->token)) && s == 7 &&
	    !roger_registry_loopback_host(r->host)) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"refusing to send credentials to registry '%s' over plain http (use https://, or a registry on loopback)",
			r->host);
		goto fail;
	}
	if (a && a->token && *a->token) {
		r->static_token = strdup(a->token);
		if (!r->static_token)
			goto nomem;
	} else if (a && a->user && *a->user) {
		struct roger_buf b = ROGER_BUF_INIT;
		char *enc = NULL;

		r->user = strdup(a->user);
		r->password = strdup(a->password ? a->password : "");
		if (!r->user || !r->password ||
		    roger_buf_addf(&b, "%s:%s", r->user, r->password) < 0 ||
		    roger_registry_b64_encode(&enc, b.buf, b.len) < 0 ||
		    asprintf(&r->basic, "Basic %s", enc) < 0)
			r->basic = NULL;
		if (b.alloc)
			explicit_bzero(b.buf, b.len);
		roger_buf_release(&b);
		wipe_free(enc);
		if (!r->basic)
			goto nomem;
	}
	if ((o->auth_source && !(r->auth_source = strdup(o->auth_source))) ||
	    (o->auth_note && !(r->auth_note = strdup(o->auth_note))))
		goto nomem;
	r->progress_fn = o->progress_fn;
	r->progress_data = o->progress_data;
	r->chunk_size = o->chunk_size ? o->chunk_size : DEFAULT_CHUNK;
	r->max_retries = o->max_retries < 0 ? 0
			 : o->max_retries   ? o->max_retries
					    : DEFAULT_MAX_RETRIES;
	r->backoff_base_ms = o->backoff_base_ms > 0 ? o->backoff_base_ms
						    : DEFAULT_BACKOFF_BASE_MS;
	r->backoff_max_ms = o->backoff_max_ms > 0 ? o->backoff_max_ms
						  : DEFAULT_BACKOFF_MAX_MS;
	r->rng = (uint32_t)roger_ctx_now_ms(ctx) ^ (uint32_t)getpid() ^
		 (uint32_t)(uintptr_t)r;
	if (!r->rng)
		r->rng = 0x9e3779b9u;
	bases[0] = r->url;
	ho.name = "registry";
	ho.bases = bases;
	ho.n_bases = 1;
	ho.ca_file = o->ca_file;
	ho.connect_timeout_ms = o->connect_timeout_ms;
	ho.timeout_ms = o->timeout_ms;
	ho.max_retries = o->max_retries;
	ho.backoff_base_ms = o->backoff_base_ms;
	ho.backoff_max_ms = o->backoff_max_ms;
	transport = NULL;
	rc = roger_http_client_new(&r->http, ctx, &ho, o->transport, err);
	if (rc < 0)
		goto fail;
	*out = r;
	return 0;
nomem:
	rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
fail:
	roger_http_free(transport);
	roger_registry_free(r);
	return rc;
}

void roger_registry_free(struct roger_registry *r)
{
	if (!r)
		return;
	roger_http_client_free(r->http);
	for (size_t i = 0; i < r->n_tokens; i++)
		token_release(&r->tokens[i]);
	free(r->tokens);
	free(r->url);
	free(r->host);
	free(r->user);
	wipe_free(r->password);
	wipe_free(r->static_token);
	wipe_free(r->basic);
	wipe_free(r->authz);
	free(r->auth_source);
	free(r->auth_note);
	free(r->realm);
	free(r->service);
	free(r);
}

const char *roger_registry_host(const struct roger_registry *r)
{
	return r->host;
}

/* ---- errors -------------------------------------------------------------- */

static const char *reason(long status)
{
	switch (status) {
	case 200:
		return " OK";
	case 400:
		return " Bad Request";
	case 401:
		return " Unauthorized";
	case 403:
		return " Forbidden";
	case 404:
		return " Not Found";
	case 405:
		return " Method Not Allowed";
	case 416:
		return " Range Not Satisfiable";
	case 429:
		return " Too Many Requests";
	case 500:
		return " Internal Server Error";
	case 502:
		return " Bad Gateway";
	case 503:
		return " Service Unavailable";
	case 504:
		return " Gateway Timeout";
	default:
		return "";
	}
}

static bool html_reply(const struct roger_http_resp *resp)
{
	const char *ct = roger_http_resp_header(resp, "Content-Type");
	const char *b = resp->body.buf;

	if (ct && strcasestr(ct, "html"))
		return true;
	while (*b == ' ' || *b == '\n' || *b == '\r' || *b == '\t')
		b++;
	return *b == '<';
}

/* What to suggest when the registry refused us (401). */
static void auth_hint(const struct roger_registry *r, char *out, size_t size)
{
	const char *src = r->auth_source ? r->auth_source : "the caller";

	if (r->user)
		snprintf(out, size,
			 "; check the password of user '%s' (from %s)", r->user,
			 src);
	else if (r->static_token)
		snprintf(
			out, size,
			"; the token from %s was refused (it may have expired)",
			src);
	else if (r->auth_note)
		snprintf(out, size, "; %s", r->auth_note);
	else
		snprintf(
			out, size,
			"; roger has no credentials for it (the target's registry: ROGER_REGISTRY_USER and ROGER_REGISTRY_PASSWORD, ROGER_REGISTRY_TOKEN or registry.auth; any registry: an \"auths\" entry in Docker's config.json)");
}

/*
 * Turn a reply that is not what `op` expected into an error: one line,
 * "cannot <op> at registry 'host': <why> (HTTP n: <what the body says>)",
 * coded by status (see registry.h).
 */
static int reply_err(const struct roger_registry *r,
		     const struct roger_http_resp *resp, const char *op,
		     struct roger_err *err)
{
	struct roger_buf sum = ROGER_BUF_INIT;
	char code[48] = "", hint[700] = "";
	const char *why;
	long st = resp->status;
	bool html = html_reply(resp);
	int rc;

	if (!html &&
	    roger_oci_error_summary(&sum, code, sizeof(code), resp->body.buf,
				    resp->body.len, SUMMARY_MAX) <= 0)
		roger_http_body_summary(
			&sum, roger_http_resp_header(resp, "Content-Type"),
			resp->body.buf, resp->body.len, SUMMARY_MAX);
	if (html) {
		roger_http_body_summary(&sum, "text/html", resp->body.buf,
					resp->body.len, SUMMARY_MAX);
		rc = (st == 502 || st == 503 || st == 504) ? ROGER_ENET
							   : ROGER_EHTTP;
		roger_err_set(
			err, rc,
			"cannot %s at registry '%s': it answered with an HTML page (HTTP %ld%s%s%s), not the registry API; check the registry's URL '%s'",
			op, r->host, st, reason(st), sum.len ? ": " : "",
			sum.buf, r->url);
		goto out;
	}
	switch (st) {
	case 401:
		rc = ROGER_EAUTH;
		why = "authentication refused";
		auth_hint(r, hint, sizeof(hint));
		break;
	case 403:
		rc = ROGER_EAUTH;
		why = "access denied";
		snprintf(hint, sizeof(hint),
			 "; the credentials lack the permission");
		break;
	case 404:
		rc = ROGER_ENOTFOUND;
		why = "not found";
		if (!code[0] && sum.len)
			snprintf(
				hint, sizeof(hint),
				"; the registry has no such path (is the repository name valid?)");
		break;
	case 429:
	case 502:
	case 503:
	case 504:
		rc = ROGER_ENET;
		why = "the registry is unavailable";
		break;
	default:
		if (!strcmp(code, "NAME_INVALID") ||
		    !strcmp(code, "TAG_INVALID")) {
			rc = ROGER_EINVALID;
			why = "invalid name";
		} else if (!strcmp(code, "UNAUTHORIZED") ||
			   !strcmp(code, "DENIED")) {
			rc = ROGER_EAUTH;
			why = "access denied";
		} else {
			rc = ROGER_EHTTP;
			why = "unexpected reply";
		}
		break;
	}
	roger_err_set(err, rc,
		      "cannot %s at registry '%s': %s (HTTP %ld%s%s%s)%s", op,
		      r->host, why, st, reason(st), sum.len ? ": " : "",
		      sum.buf, hint);
out:
	if (err)
		err->http_status = (int)st;
	roger_buf_release(&sum);
	return rc;
}

/* ---- sending ------------------------------------------------------------- */

/* An upload body: a file or memory, from `start` to `end`. */
struct reader {
	int fd; /* -1: memory */
	const char *mem;
	uint64_t start, end, pos;
	struct roger_ctx *ctx;
	int64_t last_up;
	int64_t last_move_ms;
	/* the blob, for the caller's progress function (NULL: none) */
	const struct roger_registry *r;
	const char *digest;
	uint64_t total;
};

static long reader_read(void *data, char *buf, size_t len,
			struct roger_err *err)
{
	struct reader *rd = data;
	uint64_t left = rd->end - rd->pos;
	ssize_t n;

	if (len > left)
		len = (size_t)left;
	if (len == 0)
		return 0;
	if (rd->fd < 0) {
		memcpy(buf, rd->mem + rd->pos, len);
		n = (ssize_t)len;
	} else {
		do
			n = pread(rd->fd, buf, len, (off_t)rd->pos);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return roger_err_set(err, ROGER_EIO,
					     "cannot read the blob: %s",
					     strerror(errno));
		if (n == 0)
			return roger_err_set(
				err, ROGER_EIO,
				"the blob file is shorter than its size");
	}
	rd->pos += (uint64_t)n;
	return (long)n;
}

static int reader_rewind(void *data, struct roger_err *err)
{
	struct reader *rd = data;

	(void)err;
	rd->pos = rd->start;
	rd->last_up = -1;
	rd->last_move_ms = roger_ctx_now_ms(rd->ctx);
	return 0;
}

/* Cut an upload that has not moved for STALL_MS (the network is gone). */
static int reader_progress(void *data, int64_t down_now, int64_t down_total,
			   int64_t up_now, int64_t up_total,
			   struct roger_err *err)
{
	struct reader *rd = data;
	int64_t now = roger_ctx_now_ms(rd->ctx);

	(void)down_now;
	(void)down_total;
	(void)up_total;
	if (rd->r && rd->r->progress_fn && up_now >= 0 && up_now != rd->last_up)
		rd->r->progress_fn(rd->r->progress_data, rd->digest,
				   rd->start + (uint64_t)up_now, rd->total);
	if (up_now != rd->last_up) {
		rd->last_up = up_now;
		rd->last_move_ms = now;
	} else if (now - rd->last_move_ms > STALL_MS &&
		   (uint64_t)up_now < rd->end - rd->start) {
		return roger_err_set(err, ROGER_ENET,
				     "the upload made no progress for %ld s",
				     STALL_MS / 1000);
	}
	return 0;
}

/* One request of the registry API, before auth and redirects. */
struct call {
	const char *method;
	const char *url; /* absolute */
	const char *scope; /* the scopes it needs; NULL: none */
	const char *accept;
	const char *content_type;
	const char *body;
	size_t body_len;
	struct reader *reader;
	roger_http_body_fn body_fn;
	void *body_data;
	enum roger_http_idempotence idempotent;
	unsigned flags;
	long timeout_ms;
	long idle_timeout_ms;
	size_t max_body;
	const struct roger_http_header *headers; /* extra ones */
	size_t n_headers;
};

/* Send `c` once per hop, following redirects of GET and HEAD. */
static int send_follow(struct roger_registry *r, const struct call *c,
		       const char *authz, struct roger_http_resp *resp,
		       struct roger_err *err)
{
	struct roger_http_header hdr[4];
	struct roger_http_req req = { 0 };
	char *url = strdup(c->url), *next = NULL;
	bool get = !strcmp(c->method, "GET") || !strcmp(c->method, "HEAD");
	int rc = 0;

	if (!url)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (int hops = 0;; hops++) {
		const char *loc;

		req.method = c->method;
		req.url = url;
		req.accept = c->accept;
		req.content_type = c->content_type;
		req.body = c->body;
		req.body_len = c->body_len;
		if (c->reader) {
			req.read_fn = reader_read;
			req.rewind_fn = reader_rewind;
			req.read_data = c->reader;
			req.upload_len =
				(int64_t)(c->reader->end - c->reader->start);
			req.progress_fn = reader_progress;
			req.progress_data = c->reader;
			if (req.upload_len > 65536)
				req.flags |= ROGER_HTTP_EXPECT_CONTINUE;
		}
		req.body_fn = c->body_fn;
		req.body_data = c->body_data;
		req.idempotent = c->idempotent;
		req.flags |= c->flags | ROGER_HTTP_NO_REDIRECT;
		req.timeout_ms = c->timeout_ms;
		req.idle_timeout_ms = c->idle_timeout_ms;
		req.max_body = c->max_body;
		req.n_headers = 0;
		req.headers = hdr;
		if (authz && same_origin(url, r->url)) {
			hdr[req.n_headers].name = "Authorization";
			hdr[req.n_headers++].value = authz;
		}
		for (size_t i = 0; i < c->n_headers && i < 3; i++)
			hdr[req.n_headers++] = c->headers[i];
		rc = roger_http_client_send(r->http, &req, resp, err);
		if (rc < 0 || !get || resp->status < 300 || resp->status > 308)
			break;
		loc = roger_http_resp_header(resp, "Location");
		if (!loc || !*loc)
			break;
		if (hops >= MAX_REDIRECTS) {
			rc = roger_err_set(
				err, ROGER_EHTTP,
				"too many redirects from registry '%s'",
				r->host);
			break;
		}
		rc = roger_http_resolve_url(&next, url, loc, err);
		if (rc < 0)
			break;
		roger_debug(r->ctx,
			    "following redirect (HTTP %ld) to another %s",
			    resp->status,
			    same_origin(next, r->url) ? "path" : "host");
		free(url);
		url = next;
		next = NULL;
	}
	free(url);
	return rc;
}

static int64_t now_ms(const struct roger_registry *r)
{
	return roger_ctx_now_ms(r->ctx);
}

/* A cached token for `scope`, or NULL. */
static const struct token *token_find(const struct roger_registry *r,
				      const char *scope)
{
	int64_t now = now_ms(r);

	for (size_t i = r->n_tokens; i-- > 0;) {
		const struct token *t = &r->tokens[i];

		if (t->valid_until_ms > now &&
		    roger_registry_scope_covers(t->scope, scope))
			return t;
	}
	return NULL;
}

static int token_store(struct roger_registry *r, const char *scope, char *value,
		       int64_t lifetime_s)
{
	struct token *t;

	for (size_t i = 0; i < r->n_tokens; i++)
		if (!strcmp(r->tokens[i].scope, scope ? scope : "")) {
			token_release(&r->tokens[i]);
			r->tokens[i] = r->tokens[--r->n_tokens];
			break;
		}
	if (r->n_tokens == MAX_TOKENS) {
		token_release(&r->tokens[0]);
		memmove(r->tokens, r->tokens + 1,
			(r->n_tokens - 1) * sizeof(*r->tokens));
		r->n_tokens--;
	}
	if (!r->tokens) {
		r->tokens = calloc(MAX_TOKENS, sizeof(*r->tokens));
		if (!r->tokens)
			return ROGER_ENOMEM;
	}
	t = &r->tokens[r->n_tokens];
	t->scope = strdup(scope ? scope : "");
	if (!t->scope)
		return ROGER_ENOMEM;
	t->value = value;
	t->valid_until_ms = now_ms(r) + lifetime_s * 900;
	r->n_tokens++;
	return 0;
}

/*
 * Fetch a token for `scope` from the realm: GET realm?service=&scope=...
 * (one scope parameter per space-separated scope), with Basic credentials
 * when the user has some.
 */
static int token_fetch(struct roger_registry *r, const char *scope,
		       struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_http_header hdr[1];
	struct roger_http_req req = { 0 };
	struct roger_buf url = ROGER_BUF_INIT;
	json_t *doc = NULL, *tok, *exp;
	char *value = NULL;
	char sep;
	int64_t lifetime = TOKEN_DEFAULT_S;
	int rc = 0;

	if (r->basic && scheme_len(r->realm) == 7) {
		size_t s = 7, n = strcspn(r->realm + 7, "/?#");
		char host[256];

		snprintf(host, sizeof(host), "%.*s", (int)n, r->realm + s);
		if (!roger_registry_loopback_host(host))
			return roger_err_set(
				err, ROGER_EINVALID,
				"refusing to send the password of user '%s' to the token server '%s' over plain http",
				r->user, host);
	}
	rc = roger_buf_adds(&url, r->realm);
	sep = strchr(r->realm, '?') ? '&' : '?';
	if (rc == 0 && r->service && *r->service) {
		rc = roger_buf_addf(&url, "%cservice=", sep);
		if (rc == 0)
			rc = roger_http_escape(&url, r->service);
		sep = '&';
	}
	for (const char *s = scope ? scope : ""; rc == 0 && *s;) {
		size_t n = strcspn(s, " ");
		char *one = strndup(s, n);

		if (!one) {
			rc = ROGER_ENOMEM;
			break;
		}
		if (n) {
			rc = roger_buf_addf(&url, "%cscope=", sep);
			if (rc == 0)
				rc = roger_http_escape(&url, one);
			sep = '&';
		}
		free(one);
		s += n;
		while (*s == ' ')
			s++;
	}
	if (rc < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	req.url = url.buf;
	req.accept = "application/json";
	req.max_body = 1 << 20;
	if (r->basic) {
		hdr[0].name = "Authorization";
		hdr[0].value = r->basic;
		req.headers = hdr;
		req.n_headers = 1;
	}
	rc = roger_http_client_send(r->http, &req, &resp, err);
	if (rc < 0) {
		roger_err_prefix(err, "cannot get a token for registry '%s'",
				 r->host);
		goto out;
	}
	if (resp.status != 200) {
		char op[300];

		snprintf(op, sizeof(op), "get a token from '%.200s'", r->realm);
		rc = reply_err(r, &resp, op, err);
		goto out;
	}
	doc = json_loadb(resp.body.buf, resp.body.len, 0, NULL);
	tok = json_object_get(doc, "token");
	if (!json_is_string(tok) || !json_string_length(tok))
		tok = json_object_get(doc, "access_token");
	if (!json_is_string(tok) || !json_string_length(tok)) {
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"the token server '%s' of registry '%s' answered without a token",
			r->realm, r->host);
		goto out;
	}
	exp = json_object_get(doc, "expires_in");
	if (json_is_integer(exp) && json_integer_value(exp) > 0)
		lifetime = json_integer_value(exp);
	value = malloc(json_string_length(tok) + 8);
	if (!value) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	sprintf(value, "Bearer %s", json_string_value(tok));
	if (token_store(r, scope, value, lifetime) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	value = NULL;
	roger_debug(r->ctx, "got a token for '%s' from '%s' (valid %lld s)",
		    scope ? scope : "", r->realm, (long long)lifetime);
out:
	if (doc) {
		/* The token text lives in the document: wipe it. */
		tok = json_object_get(doc, "token");
		if (json_is_string(tok))
			json_string_set(tok, "");
		tok = json_object_get(doc, "access_token");
		if (json_is_string(tok))
			json_string_set(tok, "");
	}
	json_decref(doc);
	if (resp.body.alloc)
		explicit_bzero(resp.body.buf, resp.body.len);
	roger_http_resp_release(&resp);
	wipe_free(value);
	roger_buf_release(&url);
	return rc;
}

/* The Authorization for a request needing `scope` (NULL: none). */
static int authorization(const char **out, struct roger_registry *r,
			 const char *scope, struct roger_err *err)
{
	const struct token *t;
	int rc;

	*out = NULL;
	if (r->static_token) {
		if (!r->authz &&
		    asprintf(&r->authz, "Bearer %s", r->static_token) < 0) {
			r->authz = NULL;
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		}
		*out = r->authz;
		return 0;
	}
	if (r->wants_tokens) {
		t = token_find(r, scope);
		if (!t && scope) {
			rc = token_fetch(r, scope, err);
			if (rc < 0)
				return rc;
			t = token_find(r, scope);
		}
		if (t)
			*out = t->value;
		return 0;
	}
	if (r->send_basic)
		*out = r->basic;
	return 0;
}

/*
 * Meet the challenge of a 401: *again when the request is worth sending
 * once more (with *authz_out, borrowed from `r`).
 */
static int meet_challenge(bool *again, const char **authz_out,
			  struct roger_registry *r,
			  const struct roger_http_resp *resp, const char *scope,
			  const char *sent, struct roger_err *err)
{
	struct roger_registry_challenge ch = { 0 };
	const char *h = roger_http_resp_header(resp, "WWW-Authenticate");
	const char *want;
	const struct token *t;
	int rc;

	*again = false;
	if (!h || r->static_token ||
	    roger_registry_challenge_parse(&ch, h, NULL) < 0)
		return 0;
	if (!strcmp(ch.scheme, "Basic")) {
		if (r->basic && !r->send_basic) {
			r->send_basic = true;
			*authz_out = r->basic;
			*again = true;
		}
		goto out;
	}
	/* Bearer. */
	if (!r->realm || strcmp(r->realm, ch.realm) ||
	    (ch.service && (!r->service || strcmp(r->service, ch.service)))) {
		free(r->realm);
		free(r->service);
		r->realm = strdup(ch.realm);
		r->service = ch.service ? strdup(ch.service) : NULL;
		if (!r->realm || (ch.service && !r->service)) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			roger_registry_challenge_release(&ch);
			return rc;
		}
	}
	r->wants_tokens = true;
	want = ch.scope ? ch.scope : scope;
	t = token_find(r, want);
	if (t && t->value != sent && !ch.error) {
		*authz_out = t->value;
		*again = true;
		goto out;
	}
	rc = token_fetch(r, want, err);
	if (rc < 0) {
		roger_registry_challenge_release(&ch);
		return rc;
	}
	t = token_find(r, want);
	if (t) {
		*authz_out = t->value;
		*again = true;
	}
out:
	roger_registry_challenge_release(&ch);
	return 0;
}

/* Send a call with auth: see the top of the file. */
static int call_send(struct roger_registry *r, struct call *c,
		     struct roger_http_resp *resp, struct roger_err *err)
{
	const char *authz = NULL;
	bool again = false;
	int rc;

	rc = authorization(&authz, r, c->scope, err);
	if (rc < 0)
		return rc;
	rc = send_follow(r, c, authz, resp, err);
	if (rc < 0 || resp->status != 401)
		return rc;
	rc = meet_challenge(&again, &authz, r, resp, c->scope, authz, err);
	if (rc < 0 || !again)
		return rc;
	if (c->reader)
		reader_rewind(c->reader, NULL);
	return send_follow(r, c, authz, resp, err);
}

/* ---- URLs ---------------------------------------------------------------- */

static int api_url(struct roger_buf *out, const struct roger_registry *r,
		   const char *repo, const char *kind, const char *ref)
{
	return roger_buf_addf(out, "%s/v2/%s/%s/%s", r->url, repo, kind,
			      ref ? ref : "");
}

static int scope_of(char *out, size_t size, const char *repo, bool push,
		    const char *from)
{
	int n;

	if (from)
		n = snprintf(out, size,
			     "repository:%s:pull,push repository:%s:pull", repo,
			     from);
	else
		n = snprintf(out, size, "repository:%s:%s", repo,
			     push ? "pull,push" : "pull");
	return n < 0 || (size_t)n >= size ? ROGER_EINVALID : 0;
}

/* ---- ping ---------------------------------------------------------------- */

int roger_registry_ping(struct roger_registry *r, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_buf url = ROGER_BUF_INIT;
	struct call c = { 0 };
	int rc;

	if (roger_buf_addf(&url, "%s/v2/", r->url) < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	c.method = "GET";
	c.url = url.buf;
	c.accept = "application/json";
	c.max_body = 1 << 20;
	rc = call_send(r, &c, &resp, err);
	if (rc < 0) {
		roger_err_prefix(err, "cannot reach registry '%s'", r->host);
		goto out;
	}
	if (resp.status == 200 && !html_reply(&resp)) {
		if (!roger_http_resp_header(&resp,
					    "Docker-Distribution-Api-Version"))
			roger_debug(
				r->ctx,
				"registry '%s' sent no Docker-Distribution-Api-Version header",
				r->host);
		goto out;
	}
	rc = reply_err(r, &resp, "check the API (GET /v2/)", err);
	if (rc == ROGER_ENOTFOUND && err) {
		err->code = ROGER_EHTTP;
		rc = ROGER_EHTTP;
		roger_err_prefix(err, "'%s' is not a registry (v2 API)",
				 r->url);
	}
out:
	roger_http_resp_release(&resp);
	roger_buf_release(&url);
	return rc;
}

/* ---- manifests ----------------------------------------------------------- */

static void bare_type(char *out, size_t size, const char *ct)
{
	size_t n;

	out[0] = '\0';
	if (!ct)
		return;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; \t");
	if (n >= size)
		n = size - 1;
	memcpy(out, ct, n);
	out[n] = '\0';
}

int roger_registry_manifest_get(struct roger_buf *body, char **media_type,
				char *digest, struct roger_registry *r,
				const char *repo, const char *ref,
				struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_buf url = ROGER_BUF_INIT;
	struct call c = { 0 };
	char scope[600], op[600], actual[ROGER_DIGEST_SIZE], type[160];
	const char *said;
	bool by_digest = roger_digest_valid(ref);
	char *mt = NULL;
	int rc;

	snprintf(op, sizeof(op), "get manifest '%s%s%s'", repo,
		 by_digest ? "@" : ":", ref);
	if (scope_of(scope, sizeof(scope), repo, false, NULL) < 0 ||
	    api_url(&url, r, repo, "manifests", ref) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	c.method = "GET";
	c.url = url.buf;
	c.scope = scope;
	c.accept = ROGER_OCI_MANIFEST_ACCEPT;
	c.max_body = MANIFEST_MAX;
	rc = call_send(r, &c, &resp, err);
	if (rc < 0) {
		roger_err_prefix(err, "cannot %s at registry '%s'", op,
				 r->host);
		goto out;
	}
	if (resp.status != 200 || html_reply(&resp)) {
		rc = reply_err(r, &resp, op, err);
		goto out;
	}
	roger_digest_of(actual, resp.body.buf, resp.body.len);
	said = roger_http_resp_header(&resp, "Docker-Content-Digest");
	if ((by_digest && strcmp(actual, ref)) ||
	    (said && roger_digest_valid(said) && strcmp(actual, said))) {
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"cannot %s at registry '%s': the bytes received hash to '%s', not to '%s'",
			op, r->host, actual, by_digest ? ref : said);
		goto out;
	}
	bare_type(type, sizeof(type),
		  roger_http_resp_header(&resp, "Content-Type"));
	mt = strdup(type);
	if (!mt || roger_buf_add(body, resp.body.buf, resp.body.len) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(digest, actual, ROGER_DIGEST_SIZE);
	*media_type = mt;
	mt = NULL;
out:
	free(mt);
	roger_http_resp_release(&resp);
	roger_buf_release(&url);
	return rc;
}

int roger_registry_manifest_head(bool *exists, char *digest,
				 struct roger_registry *r, const char *repo,
				 const char *ref, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_buf url = ROGER_BUF_INIT;
	struct call c = { 0 };
	char scope[600], op[600];
	const char *said;
	int rc;

	snprintf(op, sizeof(op), "check manifest '%s%s%s'", repo,
		 roger_digest_valid(ref) ? "@" : ":", ref);
	if (scope_of(scope, sizeof(scope), repo, false, NULL) < 0 ||
	    api_url(&url, r, repo, "manifests", ref) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	c.method = "HEAD";
	c.url = url.buf;
	c.scope = scope;
	c.accept = ROGER_OCI_MANIFEST_ACCEPT;
	rc = call_send(r, &c, &resp, err);
	if (rc < 0) {
		roger_err_prefix(err, "cannot %s at registry '%s'", op,
				 r->host);
		goto out;
	}
	if (resp.status == 404 && !html_reply(&resp)) {
		*exists = false;
		digest[0] = '\0';
		goto out;
	}
	if (resp.status != 200 || html_reply(&resp)) {
		rc = reply_err(r, &resp, op, err);
		goto out;
	}
	said = roger_http_resp_header(&resp, "Docker-Content-Digest");
	*exists = true;
	if (said && roger_digest_valid(said))
		snprintf(digest, ROGER_DIGEST_SIZE, "%s", said);
	else
		digest[0] = '\0';
out:
	roger_http_resp_release(&resp);
	roger_buf_release(&url);
	return rc;
}

int roger_registry_manifest_put(struct roger_registry *r, const char *repo,
				const char *ref, const char *media_type,
				const char *body, size_t len,
				struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_buf url = ROGER_BUF_INIT;
	struct call c = { 0 };
	char scope[600], op[600], digest[ROGER_DIGEST_SIZE];
	const char *said;
	int rc;

	roger_digest_of(digest, body, len);
	snprintf(op, sizeof(op), "put manifest '%s%s%s'", repo,
		 roger_digest_valid(ref) ? "@" : ":", ref);
	if (scope_of(scope, sizeof(scope), repo, true, NULL) < 0 ||
	    api_url(&url, r, repo, "manifests", ref) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	c.method = "PUT";
	c.url = url.buf;
	c.scope = scope;
	c.content_type = media_type;
	c.body = body;
	c.body_len = len;
	c.max_body = 1 << 20;
	rc = call_send(r, &c, &resp, err);
	if (rc < 0) {
		roger_err_prefix(err, "cannot %s at registry '%s'", op,
				 r->host);
		goto out;
	}
	if (resp.status != 201 && resp.status != 200) {
		rc = reply_err(r, &resp, op, err);
		goto out;
	}
	said = roger_http_resp_header(&resp, "Docker-Content-Digest");
	if (said && strcmp(said, digest))
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"cannot %s at registry '%s': it stored digest '%s' for bytes whose digest is '%s'",
			op, r->host, said, digest);
out:
	roger_http_resp_release(&resp);
	roger_buf_release(&url);
	return rc;
}

/* ---- blobs --------------------------------------------------------------- */

int roger_registry_blob_head(bool *exists, int64_t *size,
			     struct roger_registry *r, const char *repo,
			     const char *digest, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_buf url = ROGER_BUF_INIT;
	struct call c = { 0 };
	char scope[600], op[600];
	const char *len;
	int rc;

	snprintf(op, sizeof(op), "check blob '%s' of '%s'", digest, repo);
	if (scope_of(scope, sizeof(scope), repo, false, NULL) < 0 ||
	    api_url(&url, r, repo, "blobs", digest) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	c.method = "HEAD";
	c.url = url.buf;
	c.scope = scope;
	rc = call_send(r, &c, &resp, err);
	if (rc < 0) {
		roger_err_prefix(err, "cannot %s at registry '%s'", op,
				 r->host);
		goto out;
	}
	if (resp.status == 404 && !html_reply(&resp)) {
		*exists = false;
		goto out;
	}
	if (resp.status != 200 || html_reply(&resp)) {
		rc = reply_err(r, &resp, op, err);
		goto out;
	}
	*exists = true;
	len = roger_http_resp_header(&resp, "Content-Length");
	if (size)
		*size = len ? strtoll(len, NULL, 10) : -1;
out:
	roger_http_resp_release(&resp);
	roger_buf_release(&url);
	return rc;
}

/* Wait `ms`, or give up on an interrupt. */
static int pause_ms(struct roger_registry *r, long ms)
{
	int64_t end = now_ms(r) + ms;

	for (;;) {
		int64_t left = end - now_ms(r);
		struct timespec ts;

		if (roger_ctx_interrupted(r->ctx))
			return ROGER_EINTR;
		if (left <= 0)
			return 0;
		if (left > 50)
			left = 50;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
}

static int backoff(struct roger_registry *r, int attempt, const char *what,
		   const struct roger_err *why, struct roger_err *err)
{
	uint32_t x = r->rng;
	long d;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	r->rng = x;
	d = roger_http_backoff_ms(attempt, r->backoff_base_ms,
				  r->backoff_max_ms, x);
	roger_info(r->ctx, "%s; %s again in %.1f s", why ? why->msg : "failed",
		   what, (double)d / 1000.0);
	if (pause_ms(r, d) < 0)
		return roger_err_set(err, ROGER_EINTR,
				     "interrupted while waiting to %s", what);
	return 0;
}

struct download {
	int fd;
	const char *path;
	EVP_MD_CTX *md;
	uint64_t got;
	int64_t size;
	uint64_t flushed; /* bytes handed to writeback so far */
};

/* Write back every WRITEBACK_STEP bytes as they arrive. */
#define WRITEBACK_STEP (8u << 20)

/*
 * Start writing the bytes received since the last call back to disk, without
 * waiting for them: the fsync that makes the blob durable then has only the
 * tail left to wait for, rather than the whole blob written at once.
 */
static void start_writeback(struct download *d)
{
#ifdef SYNC_FILE_RANGE_WRITE
	if (d->got - d->flushed < WRITEBACK_STEP)
		return;
	/* Best effort: the final fsync reports any error. */
	(void)sync_file_range(d->fd, (off_t)d->flushed,
			      (off_t)(d->got - d->flushed),
			      SYNC_FILE_RANGE_WRITE);
	d->flushed = d->got;
#else
	(void)d;
#endif
}

static int download_write(void *data, const char *chunk, size_t len,
			  struct roger_err *err)
{
	struct download *d = data;

	if (d->size >= 0 && d->got + len > (uint64_t)d->size)
		return roger_err_set(err, ROGER_EHTTP,
				     "the blob is longer than its %lld bytes",
				     (long long)d->size);
	while (len) {
		ssize_t n = write(d->fd, chunk, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return roger_err_set(err, ROGER_EIO,
					     "cannot write '%s': %s", d->path,
					     strerror(errno));
		EVP_DigestUpdate(d->md, chunk, (size_t)n);
		d->got += (uint64_t)n;
		chunk += n;
		len -= (size_t)n;
	}
	start_writeback(d);
	return 0;
}

static void md_hex(char *out, EVP_MD_CTX *md)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char v[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(md, v, &n);
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[v[i] >> 4];
		out[7 + 2 * i + 1] = hex[v[i] & 15];
	}
	out[71] = '\0';
}

/* One download attempt into d->fd (emptied first). */
static int fetch_once(struct roger_registry *r, struct call *c,
		      struct download *d, const char *op, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc;

	if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0)
		return roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				     d->path, strerror(errno));
	d->got = 0;
	d->flushed = 0;
	if (!EVP_DigestInit_ex(d->md, EVP_sha256(), NULL))
		return roger_err_set(err, ROGER_ERROR, "cannot start SHA-256");
	rc = call_send(r, c, &resp, err);
	if (rc == 0 && !roger_http_resp_ok(&resp))
		rc = reply_err(r, &resp, op, err);
	else if (rc < 0)
		roger_err_prefix(err, "cannot %s at registry '%s'", op,
				 r->host);
	roger_http_resp_release(&resp);
	return rc;
}

int roger_registry_blob_fetch(struct roger_registry *r, const char *repo,
			      const char *digest, int64_t size,
			      const char *path, struct roger_err *err)
{
	struct roger_buf url = ROGER_BUF_INIT;
	struct download d = { -1, path, NULL, 0, size, 0 };
	struct roger_err e = ROGER_ERR_INIT;
	struct call c = { 0 };
	char scope[600], op[600], actual[ROGER_DIGEST_SIZE];
	char *tmp = NULL;
	int rc = 0;

	snprintf(op, sizeof(op), "get blob '%s' of '%s'", digest, repo);
	if (scope_of(scope, sizeof(scope), repo, false, NULL) < 0 ||
	    api_url(&url, r, repo, "blobs", digest) < 0 ||
	    asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		tmp = NULL;
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	d.fd = mkostemp(tmp, O_CLOEXEC);
	if (d.fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot create '%s': %s",
				   tmp, strerror(errno));
		goto out;
	}
	fchmod(d.fd, 0644);
	d.md = EVP_MD_CTX_new();
	if (!d.md) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	c.method = "GET";
	c.url = url.buf;
	c.scope = scope;
	c.body_fn = download_write;
	c.body_data = &d;
	c.timeout_ms = ROGER_HTTP_NO_TIMEOUT;
	c.idle_timeout_ms = STALL_MS;
	for (int attempt = 0;; attempt++) {
		roger_err_clear(&e);
		rc = fetch_once(r, &c, &d, op, &e);
		if (rc != ROGER_ENET || attempt >= r->max_retries)
			break;
		rc = backoff(r, attempt + 1, "downloading", &e, err);
		if (rc < 0)
			goto out;
	}
	if (rc < 0) {
		if (err)
			*err = e;
		goto out;
	}
	md_hex(actual, d.md);
	if (strcmp(actual, digest) || (size >= 0 && d.got != (uint64_t)size)) {
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"blob '%s' of '%s' from registry '%s' does not match its digest (%llu bytes hashing to '%s'); nothing was kept",
			digest, repo, r->host, (unsigned long long)d.got,
			actual);
		goto out;
	}
	if (fsync(d.fd) < 0 || close(d.fd) < 0) {
		d.fd = -1;
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s", tmp,
				   strerror(errno));
		goto out;
	}
	d.fd = -1;
	if (rename(tmp, path) < 0)
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot rename '%s' to '%s': %s", tmp, path,
				   strerror(errno));
out:
	if (d.fd >= 0)
		close(d.fd);
	if (rc < 0 && tmp)
		unlink(tmp);
	EVP_MD_CTX_free(d.md);
	free(tmp);
	roger_buf_release(&url);
	return rc;
}

/* Cancel an upload session (best effort: it expires anyway). */
static void cancel_session(struct roger_registry *r, const char *location,
			   const char *scope)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct call c = { 0 };

	c.method = "DELETE";
	c.url = location;
	c.scope = scope;
	c.flags = ROGER_HTTP_NO_RETRY;
	if (call_send(r, &c, &resp, NULL) < 0 || resp.status >= 300)
		roger_debug(
			r->ctx,
			"could not cancel an upload session at registry '%s'",
			r->host);
	roger_http_resp_release(&resp);
}

/* The Location of `resp`, resolved against the URL that answered. */
static int location_of(char **out, const struct roger_registry *r,
		       const struct roger_http_resp *resp, const char *op,
		       struct roger_err *err)
{
	const char *loc = roger_http_resp_header(resp, "Location");

	if (!loc || !*loc)
		return roger_err_set(
			err, ROGER_EHTTP,
			"cannot %s at registry '%s': HTTP %ld without a Location",
			op, r->host, resp->status);
	return roger_http_resolve_url(out, resp->url ? resp->url : r->url, loc,
				      err);
}

int roger_registry_blob_mount(bool *mounted, struct roger_registry *r,
			      const char *repo, const char *digest,
			      const char *from, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_buf url = ROGER_BUF_INIT;
	struct call c = { 0 };
	char scope[1200], op[800];
	char *loc = NULL;
	int rc;

	snprintf(op, sizeof(op), "mount blob '%s' from '%s' into '%s'", digest,
		 from, repo);
	if (scope_of(scope, sizeof(scope), repo, true, from) < 0 ||
	    roger_buf_addf(&url, "%s/v2/%s/blobs/uploads/?mount=", r->url,
			   repo) < 0 ||
	    roger_http_escape(&url, digest) < 0 ||
	    roger_buf_adds(&url, "&from=") < 0 ||
	    roger_http_escape(&url, from) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	c.method = "POST";
	c.url = url.buf;
	c.scope = scope;
	c.idempotent = ROGER_HTTP_IDEMPOTENT_YES; /* a mount is */
	c.max_body = 1 << 20;
	rc = call_send(r, &c, &resp, err);
	if (rc < 0) {
		roger_err_prefix(err, "cannot %s at registry '%s'", op,
				 r->host);
		goto out;
	}
	if (resp.status == 201) {
		*mounted = true;
		goto out;
	}
	if (resp.status != 202) {
		rc = reply_err(r, &resp, op, err);
		goto out;
	}
	*mounted = false;
	if (location_of(&loc, r, &resp, op, NULL) == 0)
		cancel_session(r, loc, scope);
out:
	free(loc);
	roger_http_resp_release(&resp);
	roger_buf_release(&url);
	return rc;
}

/* The "Range: 0-N" of an upload answer as N + 1 bytes; -1 when absent. */
static int64_t range_end(const struct roger_http_resp *resp)
{
	const char *v = roger_http_resp_header(resp, "Range");
	const char *dash;

	if (!v)
		return -1;
	if (!strncasecmp(v, "bytes=", 6))
		v += 6;
	dash = strchr(v, '-');
	if (!dash)
		return -1;
	return strtoll(dash + 1, NULL, 10) + 1;
}

/*
 * One upload in one session: POST, then PUT the whole blob, or PATCH it
 * in chunks and PUT nothing.  *restart says whether a failure is worth a
 * new session.
 */
static int upload_once(struct roger_registry *r, const char *repo,
		       const char *digest, uint64_t size, int fd,
		       const void *data, const char *scope, bool *restart,
		       struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_buf url = ROGER_BUF_INIT;
	struct reader rd = {
		fd, data, 0, 0, 0, r->ctx, -1, 0, r, digest, size
	};
	struct call c = { 0 };
	char op[600], range[64];
	struct roger_http_header hdr[1] = { { "Content-Range", range } };
	char *loc = NULL, *next = NULL;
	const char *said;
	uint64_t off = 0;
	int rc;

	*restart = false;
	snprintf(op, sizeof(op), "upload blob '%s' to '%s'", digest, repo);
	if (roger_buf_addf(&url, "%s/v2/%s/blobs/uploads/", r->url, repo) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	c.method = "POST";
	c.url = url.buf;
	c.scope = scope;
	c.idempotent =
		ROGER_HTTP_IDEMPOTENT_YES; /* a session more is harmless */
	c.max_body = 1 << 20;
	rc = call_send(r, &c, &resp, err);
	if (rc < 0) {
		roger_err_prefix(err, "cannot %s at registry '%s'", op,
				 r->host);
		goto out;
	}
	if (resp.status != 202) {
		rc = reply_err(r, &resp, op, err);
		*restart = rc == ROGER_ENET;
		goto out;
	}
	rc = location_of(&loc, r, &resp, op, err);
	if (rc < 0)
		goto out;
	/* PATCH chunks while what is left is more than one chunk. */
	while (size - off > r->chunk_size) {
		uint64_t n = r->chunk_size;

		memset(&c, 0, sizeof(c));
		rd.start = rd.pos = off;
		rd.end = off + n;
		snprintf(range, sizeof(range), "%llu-%llu",
			 (unsigned long long)off,
			 (unsigned long long)(off + n - 1));
		c.method = "PATCH";
		c.url = loc;
		c.scope = scope;
		c.content_type = "application/octet-stream";
		c.reader = &rd;
		c.flags = ROGER_HTTP_NO_RETRY;
		c.timeout_ms = ROGER_HTTP_NO_TIMEOUT;
		c.max_body = 1 << 20;
		c.headers = hdr;
		c.n_headers = 1;
		rc = call_send(r, &c, &resp, err);
		if (rc < 0) {
			*restart = rc == ROGER_ENET;
			roger_err_prefix(err, "cannot %s at registry '%s'", op,
					 r->host);
			goto out;
		}
		if (resp.status != 202) {
			rc = reply_err(r, &resp, op, err);
			*restart = resp.status == 404 || resp.status == 416 ||
				   rc == ROGER_ENET;
			goto out;
		}
		off += n;
		if (range_end(&resp) >= 0 && range_end(&resp) != (int64_t)off &&
		    !(range_end(&resp) == 1 && off <= 1)) {
			rc = roger_err_set(
				err, ROGER_EHTTP,
				"cannot %s at registry '%s': it holds %lld bytes after %llu were sent",
				op, r->host, (long long)range_end(&resp),
				(unsigned long long)off);
			*restart = true;
			goto out;
		}
		rc = location_of(&next, r, &resp, op, err);
		if (rc < 0)
			goto out;
		free(loc);
		loc = next;
		next = NULL;
	}
	/* The last piece (or the whole blob) with the digest. */
	roger_buf_reset(&url);
	if (roger_buf_adds(&url, loc) < 0 ||
	    roger_buf_adds(&url, strchr(loc, '?') ? "&digest=" : "?digest=") <
		    0 ||
	    roger_http_escape(&url, digest) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	memset(&c, 0, sizeof(c));
	rd.start = rd.pos = off;
	rd.end = size;
	c.method = "PUT";
	c.url = url.buf;
	c.scope = scope;
	c.content_type = "application/octet-stream";
	c.reader = &rd;
	c.flags = ROGER_HTTP_NO_RETRY;
	c.timeout_ms = ROGER_HTTP_NO_TIMEOUT;
	c.max_body = 1 << 20;
	rc = call_send(r, &c, &resp, err);
	if (rc < 0) {
		*restart = rc == ROGER_ENET;
		roger_err_prefix(err, "cannot %s at registry '%s'", op,
				 r->host);
		goto out;
	}
	if (resp.status != 201) {
		rc = reply_err(r, &resp, op, err);
		*restart = resp.status == 404 || resp.status == 416 ||
			   rc == ROGER_ENET;
		goto out;
	}
	said = roger_http_resp_header(&resp, "Docker-Content-Digest");
	if (said && strcmp(said, digest))
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"cannot %s at registry '%s': it reports digest '%s'",
			op, r->host, said);
out:
	free(loc);
	free(next);
	roger_http_resp_release(&resp);
	roger_buf_release(&url);
	return rc;
}

int roger_registry_blob_upload(struct roger_registry *r, const char *repo,
			       const char *digest, int64_t size,
			       const char *path, const void *data,
			       struct roger_err *err)
{
	struct roger_err e = ROGER_ERR_INIT;
	char scope[600];
	struct stat st;
	int fd = -1, rc;

	if (scope_of(scope, sizeof(scope), repo, true, NULL) < 0)
		return roger_err_set(err, ROGER_EINVALID,
				     "repository name too long");
	if (path) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot read '%s': %s", path,
					   strerror(errno));
			goto out;
		}
		if (st.st_size != size) {
			rc = roger_err_set(
				err, ROGER_EIO, "'%s' has %lld bytes, not %lld",
				path, (long long)st.st_size, (long long)size);
			goto out;
		}
	}
	for (int attempt = 0;; attempt++) {
		bool restart = false, there = false;

		roger_err_clear(&e);
		rc = upload_once(r, repo, digest, (uint64_t)size, fd, data,
				 scope, &restart, &e);
		if (rc == 0 || !restart || attempt >= r->max_retries)
			break;
		if (roger_registry_blob_head(&there, NULL, r, repo, digest,
					     NULL) == 0 &&
		    there) {
			rc = 0;
			break;
		}
		rc = backoff(r, attempt + 1, "uploading", &e, err);
		if (rc < 0)
			goto out;
	}
	if (rc < 0 && err)
		*err = e;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- the pool ------------------------------------------------------------ */

struct pooled {
	char *registry;
	struct roger_registry *client;
};

struct roger_registry_pool {
	struct roger_ctx *ctx;
	struct roger_registry_pool_opts o; /* strings below */
	char **urls;
	size_t n_urls;
	char *ca_file;
	char *docker_config; /* NULL: none */
	struct roger_registry_creds
		target; /* the environment's or target_auth */
	const char *target_source;
	struct pooled *clients;
	size_t n_clients;
};

void roger_registry_pool_free(struct roger_registry_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_clients; i++) {
		free(p->clients[i].registry);
		roger_registry_free(p->clients[i].client);
	}
	free(p->clients);
	for (size_t i = 0; i < p->n_urls; i++)
		free(p->urls[i]);
	free(p->urls);
	free(p->ca_file);
	free(p->docker_config);
	roger_registry_creds_release(&p->target);
	free(p);
}

static int dupe(char **out, const char *s)
{
	if (!s) {
		*out = NULL;
		return 0;
	}
	*out = strdup(s);
	return *out ? 0 : ROGER_ENOMEM;
}

/* The target's credentials: the environment, else target_auth. */
static int target_creds(struct roger_registry_pool *p,
			const struct roger_registry_auth *a,
			struct roger_err *err)
{
	const char *tok = roger_ctx_getenv(p->ctx, "ROGER_REGISTRY_TOKEN");
	const char *user = roger_ctx_getenv(p->ctx, "ROGER_REGISTRY_USER");
	const char *pass = roger_ctx_getenv(p->ctx, "ROGER_REGISTRY_PASSWORD");

	if (tok) {
		p->target_source = "ROGER_REGISTRY_TOKEN";
		return dupe(&p->target.token, tok) < 0
			       ? roger_err_set(err, ROGER_ENOMEM,
					       "out of memory")
			       : 0;
	}
	if (user || pass) {
		if (!user || !pass)
			return roger_err_set(
				err, ROGER_EINVALID,
				"%s is set but %s is not: set both, or neither",
				user ? "ROGER_REGISTRY_USER"
				     : "ROGER_REGISTRY_PASSWORD",
				user ? "ROGER_REGISTRY_PASSWORD"
				     : "ROGER_REGISTRY_USER");
		p->target_source = "ROGER_REGISTRY_USER";
		if (dupe(&p->target.user, user) < 0 ||
		    dupe(&p->target.password, pass) < 0)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		return 0;
	}
	if (!a)
		return 0;
	p->target_source = "the target's registry.auth";
	if (dupe(&p->target.user, a->user) < 0 ||
	    dupe(&p->target.password, a->password) < 0 ||
	    dupe(&p->target.token, a->token) < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

int roger_registry_pool_new(struct roger_registry_pool **out,
			    struct roger_ctx *ctx,
			    const struct roger_registry_pool_opts *o,
			    struct roger_err *err)
{
	struct roger_registry_pool *p = calloc(1, sizeof(*p));
	size_t n = 0;
	int rc;

	if (!p)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	p->ctx = ctx;
	p->o = *o;
	while (o->urls && o->urls[n])
		n++;
	p->urls = calloc(n ? n : 1, sizeof(*p->urls));
	if (!p->urls)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(o->urls[i]);

		if (!scheme_len(o->urls[i])) {
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"invalid registry URL '%s': expected http:// or https://",
				o->urls[i]);
			goto fail;
		}
		while (len > scheme_len(o->urls[i]) &&
		       o->urls[i][len - 1] == '/')
			len--;
		p->urls[i] = strndup(o->urls[i], len);
		if (!p->urls[i])
			goto nomem;
		p->n_urls++;
	}
	if (dupe(&p->ca_file, o->ca_file) < 0)
		goto nomem;
	p->o.ca_file = p->ca_file;
	p->o.urls = NULL;
	p->o.target_auth = NULL;
	if (o->docker_config) {
		if (*o->docker_config &&
		    dupe(&p->docker_config, o->docker_config) < 0)
			goto nomem;
	} else {
		const char *dir = roger_ctx_getenv(ctx, "DOCKER_CONFIG");
		const char *home = roger_ctx_getenv(ctx, "HOME");

		if (dir)
			p->docker_config = roger_path_join(dir, "config.json");
		else if (home)
			p->docker_config =
				roger_path_join(home, ".docker/config.json");
		if ((dir || home) && !p->docker_config)
			goto nomem;
	}
	p->o.docker_config = p->docker_config;
	if (n) {
		rc = target_creds(p, o->target_auth, err);
		if (rc < 0)
			goto fail;
	}
	*out = p;
	return 0;
nomem:
	rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
fail:
	roger_registry_pool_free(p);
	return rc;
}

/* The host[:port] part of an absolute URL, compared with `host`. */
static bool url_host_is(const char *url, const char *host)
{
	size_t s = scheme_len(url), n = strcspn(url + s, "/?#");

	return strlen(host) == n && !strncasecmp(url + s, host, n);
}

int roger_registry_pool_url(char **out, const struct roger_registry_pool *p,
			    const char *registry)
{
	const char *host = roger_image_ref_api_host(registry);

	for (size_t i = 0; i < p->n_urls; i++)
		if (url_host_is(p->urls[i], host)) {
			*out = strdup(p->urls[i]);
			return *out ? 0 : ROGER_ENOMEM;
		}
	if (asprintf(out, "%s://%s",
		     roger_registry_loopback_host(host) ? "http" : "https",
		     host) < 0) {
		*out = NULL;
		return ROGER_ENOMEM;
	}
	return 0;
}

/* Docker's config.json credentials for `registry` (none if no file). */
static int docker_creds(struct roger_registry_creds *out,
			const struct roger_registry_pool *p,
			const char *registry, struct roger_err *err)
{
	struct roger_buf text = ROGER_BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!p->docker_config)
		return 0;
	rc = roger_fs_read_file(&text, p->docker_config, err);
	if (rc == ROGER_ENOTFOUND) {
		roger_err_clear(err);
		return 0;
	}
	if (rc == 0)
		rc = roger_registry_docker_config_creds(out, text.buf, text.len,
							p->docker_config,
							registry, err);
	if (text.alloc)
		explicit_bzero(text.buf, text.len);
	roger_buf_release(&text);
	return rc;
}

int roger_registry_pool_get(struct roger_registry **out,
			    struct roger_registry_pool *p, const char *registry,
			    struct roger_err *err)
{
	struct roger_registry_opts ro = { 0 };
	struct roger_registry_auth a = { 0 };
	struct roger_registry_creds dc = { 0 };
	struct roger_registry *r = NULL;
	struct pooled *v;
	char *url = NULL, *name = NULL;
	int rc;

	for (size_t i = 0; i < p->n_clients; i++)
		if (!strcasecmp(p->clients[i].registry, registry)) {
			*out = p->clients[i].client;
			return 0;
		}
	if (roger_registry_pool_url(&url, p, registry) < 0 ||
	    !(name = strdup(registry))) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	ro.url = url;
	if (p->n_urls && !strcmp(url, p->urls[0]) &&
	    (p->target.user || p->target.token)) {
		a.user = p->target.user;
		a.password = p->target.password;
		a.token = p->target.token;
		ro.auth = &a;
		ro.auth_source = p->target_source;
	} else {
		rc = docker_creds(&dc, p, registry, err);
		if (rc < 0)
			goto out;
		if (dc.user || dc.token) {
			a.user = dc.user;
			a.password = dc.password;
			a.token = dc.token;
			ro.auth = &a;
			ro.auth_source = p->docker_config;
		}
		ro.auth_note = dc.note;
	}
	/* A CA file replaces the system's store: only for the URLs given. */
	for (size_t i = 0; i < p->n_urls && !ro.ca_file; i++)
		if (!strcmp(url, p->urls[i]))
			ro.ca_file = p->o.ca_file;
	ro.connect_timeout_ms = p->o.connect_timeout_ms;
	ro.timeout_ms = p->o.timeout_ms;
	ro.max_retries = p->o.max_retries;
	ro.backoff_base_ms = p->o.backoff_base_ms;
	ro.backoff_max_ms = p->o.backoff_max_ms;
	ro.chunk_size = p->o.chunk_size;
	ro.progress_fn = p->o.progress_fn;
	ro.progress_data = p->o.progress_data;
	rc = roger_registry_new(&r, p->ctx, &ro, err);
	if (rc < 0)
		goto out;
	v = realloc(p->clients, (p->n_clients + 1) * sizeof(*v));
	if (!v) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	p->clients = v;
	v[p->n_clients].registry = name;
	v[p->n_clients].client = r;
	p->n_clients++;
	*out = r;
	r = NULL;
	name = NULL;
out:
	roger_registry_free(r);
	roger_registry_creds_release(&dc);
	free(name);
	free(url);
	return rc;
}
