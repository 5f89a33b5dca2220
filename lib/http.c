/*
 * http.c - the HTTP client: the policy above a transport.
 *
 * A send walks this loop: pick the base URL (the last one that answered),
 * build the attempt (absolute URL, User-Agent, Accept, Content-Type,
 * credentials, the caller's headers, resolved timeouts), log it as a curl
 * command line at TRACE, hand it to the transport, follow redirects, then
 * decide.  The decision is the whole retry policy (see http.h): connection
 * failures before anything was sent move on to the next base URL, and when
 * a round over all of them failed, back off and start again; resets after
 * sending and 502/503/504 are retried only for idempotent requests; a
 * timeout waiting for a reply is final.  Backoff is exponential with equal
 * jitter, and a Retry-After header on a 503 is honoured up to the cap.
 *
 * Nothing here touches a socket: the transport does.  So this file is
 * tested with canned replies (tests/fake_http.c) as well as over loopback
 * against tests/faultd.py.
 *
 * Secrets: the Basic and token credentials are turned into one
 * "Authorization" value when the client is built, kept only here, wiped on
 * free, and masked in everything that is logged ("-u 'user:***'",
 * "Authorization: token=***").
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctx.h"
#include "err.h"
#include "http.h"
#include "secret.h"
#include "str.h"
#include "target.h"
#include "util.h"
#include "version.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 60000L
#define DEFAULT_MAX_RETRIES 5
#define DEFAULT_BACKOFF_BASE_MS 500L
#define DEFAULT_BACKOFF_MAX_MS 8000L
#define MAX_REDIRECTS 5
#define TRACE_BODY_MAX 65536
#define SUMMARY_MAX 300

struct roger_http_client {
	struct roger_ctx *ctx;
	struct roger_http *transport;
	char *name;
	char *target_name;
	char *auth_hint; /* NULL: by auth_kind */
	char **bases;
	size_t n_bases;
	size_t current;
	bool https_base; /* never send secrets over http when this is set */
	enum roger_auth_kind auth_kind;
	char *auth_user; /* shown in the trace as -u 'user:***' */
	char *auth_header; /* "Basic ..." or "token=...": secret */
	char *netrc_file;
	char *ca_file;
	long connect_timeout_ms;
	long timeout_ms;
	int max_retries;
	long backoff_base_ms;
	long backoff_max_ms;
	roger_http_sleep_fn sleep_fn;
	void *sleep_data;
	uint32_t rng;
};

/* ---- replies ------------------------------------------------------------- */

void roger_http_resp_reset(struct roger_http_resp *resp)
{
	resp->status = 0;
	roger_buf_reset(&resp->body);
	roger_buf_reset(&resp->headers_);
	resp->sent = false;
	resp->timed_out = false;
	resp->final = false;
	resp->streamed = 0;
}

void roger_http_resp_release(struct roger_http_resp *resp)
{
	if (!resp)
		return;
	roger_buf_release(&resp->body);
	roger_buf_release(&resp->headers_);
	free(resp->url);
	resp->url = NULL;
	resp->status = 0;
	resp->attempts = 0;
	resp->sent = false;
	resp->timed_out = false;
	resp->final = false;
	resp->streamed = 0;
}

int roger_http_resp_add_header(struct roger_http_resp *resp, const char *name,
			       size_t name_len, const char *value,
			       size_t value_len)
{
	struct roger_buf *h = &resp->headers_;
	size_t old = h->len;

	if (roger_buf_add(h, name, name_len) < 0 || roger_buf_addch(h, 0) < 0 ||
	    roger_buf_add(h, value, value_len) < 0 ||
	    roger_buf_addch(h, 0) < 0) {
		roger_buf_truncate(h, old);
		return ROGER_ENOMEM;
	}
	return 0;
}

const char *roger_http_resp_header(const struct roger_http_resp *resp,
				   const char *name)
{
	const char *p = resp->headers_.buf;
	const char *end = p + resp->headers_.len;
	const char *found = NULL;

	while (p < end) {
		const char *value = p + strlen(p) + 1;

		if (value >= end)
			break;
		if (!strcasecmp(p, name))
			found = value;
		p = value + strlen(value) + 1;
	}
	return found;
}

bool roger_http_resp_ok(const struct roger_http_resp *resp)
{
	return resp->status >= 200 && resp->status < 300;
}

void roger_http_free(struct roger_http *h)
{
	if (h)
		h->free(h);
}

/* ---- helpers ------------------------------------------------------------- */

bool roger_http_method_idempotent(const char *method)
{
	static const char *const idempotent[] = { "GET", "HEAD", "PUT",
						  "DELETE", "OPTIONS" };

	if (!method)
		return true;
	for (size_t i = 0; i < sizeof(idempotent) / sizeof(*idempotent); i++)
		if (!strcasecmp(method, idempotent[i]))
			return true;
	return false;
}

long roger_http_backoff_ms(int retry, long base_ms, long max_ms,
			   uint32_t random)
{
	long d = base_ms > 0 ? base_ms : 1;
	long half;

	for (int i = 1; i < retry && d < max_ms; i++)
		d = d > max_ms / 2 ? max_ms : d * 2;
	if (d > max_ms)
		d = max_ms;
	half = d / 2;
	return d - half + (long)(random % (uint32_t)(half + 1));
}

/* Length of the origin ("https://host:port") of an absolute URL. */
static size_t origin_len(const char *url)
{
	size_t s = roger_url_scheme_len(url);

	return s + strcspn(url + s, "/?#");
}

int roger_http_resolve_url(char **out, const char *base, const char *ref,
			   struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	size_t s = roger_url_scheme_len(base);
	size_t keep;
	int rc = 0;

	if (!s)
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid base URL '%s'", base);
	if (roger_url_scheme_len(ref)) {
		keep = 0;
	} else if (ref[0] == '/' && ref[1] == '/') {
		keep = s - 2; /* "https:" */
	} else if (ref[0] == '/') {
		keep = origin_len(base);
	} else if (ref[0] == '?') {
		keep = strcspn(base, "?#");
	} else if (!ref[0]) {
		keep = strcspn(base, "#");
	} else {
		size_t path_end = strcspn(base, "?#");
		size_t o = origin_len(base);

		keep = path_end;
		while (keep > o && base[keep - 1] != '/')
			keep--;
		if (keep == o) {
			rc = roger_buf_add(&b, base, o);
			if (rc == 0)
				rc = roger_buf_addch(&b, '/');
			keep = 0;
			base = "";
		}
	}
	if (rc == 0)
		rc = roger_buf_add(&b, base, keep);
	if (rc == 0)
		rc = roger_buf_adds(&b, ref);
	if (rc < 0) {
		roger_buf_release(&b);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	*out = roger_buf_detach(&b, NULL);
	if (!*out)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

int roger_http_mask_url(struct roger_buf *out, const char *url)
{
	size_t s = roger_url_scheme_len(url);
	size_t auth = s ? s + strcspn(url + s, "/?#") : 0;
	const char *at = NULL, *colon;

	for (size_t i = s; i < auth; i++)
		if (url[i] == '@')
			at = url + i;
	if (!at)
		return roger_buf_adds(out, url);
	colon = memchr(url + s, ':', (size_t)(at - (url + s)));
	if (!colon)
		return roger_buf_adds(out, url);
	if (roger_buf_add(out, url, (size_t)(colon - url) + 1) < 0 ||
	    roger_buf_adds(out, "***") < 0 || roger_buf_adds(out, at) < 0)
		return ROGER_ENOMEM;
	return 0;
}

int roger_http_escape(struct roger_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int rc;

		if (isalnum(c) || strchr("-._~", c)) {
			rc = roger_buf_addch(out, c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			rc = roger_buf_add(out, e, 3);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Whether `c` is a UTF-8 continuation byte. */
static bool continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/*
 * Append `len` bytes of `s` as one printable line: control characters and
 * runs of white space become one space, leading and trailing space go, and
 * the text is cut at `max` bytes (on a UTF-8 boundary, with "...").
 */
static int add_one_line(struct roger_buf *out, const char *s, size_t len,
			size_t max)
{
	size_t start = out->len;
	bool space = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == ' ') {
			space = out->len > start;
			continue;
		}
		if (space && roger_buf_addch(out, ' ') < 0)
			return ROGER_ENOMEM;
		space = false;
		if (roger_buf_addch(out, c) < 0)
			return ROGER_ENOMEM;
		if (out->len - start >= max) {
			size_t cut = out->len;

			while (cut > start && continuation(out->buf[cut - 1]))
				cut--;
			if (cut > start &&
			    (unsigned char)out->buf[cut - 1] >= 0xc0)
				cut--;
			roger_buf_truncate(out, cut);
			return roger_buf_adds(out, "...");
		}
	}
	return 0;
}

static const char *memcasestr(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (!strncasecmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

/* The text of an HTML page: its <title>, else the text without tags. */
static int html_summary(struct roger_buf *out, const char *body, size_t len,
			size_t max)
{
	struct roger_buf text = ROGER_BUF_INIT;
	const char *t = memcasestr(body, len, "<title>");
	bool in_tag = false;
	int rc = 0;

	if (t) {
		const char *end;

		t += 7;
		end = memcasestr(t, len - (size_t)(t - body), "</title>");
		if (!end)
			end = body + len;
		if (end > t) {
			rc = add_one_line(out, t, (size_t)(end - t), max);
			return rc;
		}
	}
	for (size_t i = 0; i < len && rc == 0; i++) {
		if (body[i] == '<')
			in_tag = true;
		else if (body[i] == '>')
			in_tag = false;
		if (body[i] == '>')
			rc = roger_buf_addch(&text, ' ');
		else if (!in_tag && body[i] != '<')
			rc = roger_buf_addch(&text, body[i]);
	}
	if (rc == 0)
		rc = add_one_line(out, text.buf, text.len, max);
	roger_buf_release(&text);
	return rc;
}

int roger_http_body_summary(struct roger_buf *out, const char *content_type,
			    const char *body, size_t len, size_t max)
{
	size_t i = 0, line;
	json_t *root;

	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i == len)
		return 0;
	if (body[i] == '{') {
		root = json_loadb(body, len, JSON_DECODE_ANY, NULL);
		if (root) {
			const char *msg = json_string_value(
				json_object_get(root, "message"));
			const char *det = json_string_value(
				json_object_get(root, "details"));
			struct roger_buf m = ROGER_BUF_INIT;
			int rc = 0;

			if (msg)
				rc = roger_buf_adds(&m, msg);
			if (rc == 0 && msg && det)
				rc = roger_buf_adds(&m, ": ");
			if (rc == 0 && det)
				rc = roger_buf_adds(&m, det);
			if (rc == 0 && (msg || det))
				rc = add_one_line(out, m.buf, m.len, max);
			roger_buf_release(&m);
			json_decref(root);
			if (rc < 0 || msg || det)
				return rc;
		}
	}
	if ((content_type && strcasestr(content_type, "html")) ||
	    body[i] == '<')
		return html_summary(out, body + i, len - i, max);
	for (line = i; line < len && body[line] != '\n' && body[line] != '\r';)
		line++;
	return add_one_line(out, body + i, line - i, max);
}

/* ---- client construction ------------------------------------------------- */

static char *xstrdup_or_null(const char *s, bool *failed)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*failed = true;
	return d;
}

static int base64(char **out, const char *in, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = malloc((len + 2) / 3 * 4 + 1);
	size_t j = 0;

	if (!o)
		return ROGER_ENOMEM;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned char)in[i + 1] << 8;
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

static int setup_auth(struct roger_http_client *c, const struct roger_auth *a)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *enc = NULL;
	bool failed = false;
	int rc = 0;

	c->auth_kind = a ? a->kind : ROGER_AUTH_NONE;
	switch (c->auth_kind) {
	case ROGER_AUTH_NONE:
		break;
	case ROGER_AUTH_BASIC:
		if (roger_buf_addf(&b, "%s:%s", a->user ? a->user : "",
				   a->password ? a->password : "") < 0 ||
		    base64(&enc, b.buf, b.len) < 0) {
			rc = ROGER_ENOMEM;
			break;
		}
		c->auth_user = xstrdup_or_null(a->user ? a->user : "", &failed);
		if (asprintf(&c->auth_header, "Basic %s", enc) < 0) {
			c->auth_header = NULL;
			failed = true;
		}
		break;
	case ROGER_AUTH_TOKEN:
		if (asprintf(&c->auth_header, "token=%s",
			     a->token ? a->token : "") < 0) {
			c->auth_header = NULL;
			failed = true;
		}
		break;
	case ROGER_AUTH_NETRC:
		c->netrc_file = xstrdup_or_null(a->netrc_file, &failed);
		break;
	}
	if (b.alloc)
		explicit_bzero(b.buf, b.len);
	roger_buf_release(&b);
	roger_secret_free(enc);
	return failed ? ROGER_ENOMEM : rc;
}

static uint32_t next_random(struct roger_http_client *c)
{
	/* xorshift32: jitter needs spread, not secrecy. */
	uint32_t x = c->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	c->rng = x;
	return x;
}

static long or_default(long v, long def)
{
	return v > 0 ? v : def;
}

int roger_http_client_new(struct roger_http_client **out, struct roger_ctx *ctx,
			  const struct roger_http_client_opts *opts,
			  struct roger_http *transport, struct roger_err *err)
{
	struct roger_http_client *c = NULL;
	bool failed = false;
	int rc = 0;

	if (opts->n_bases == 0) {
		rc = roger_err_set(err, ROGER_EINVALID, "no URL for %s",
				   opts->name ? opts->name : "the service");
		goto out;
	}
	for (size_t i = 0; i < opts->n_bases; i++) {
		if (!roger_url_scheme_len(opts->bases[i])) {
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"invalid %s URL '%s': expected http:// or https://",
				opts->name ? opts->name : "service",
				opts->bases[i]);
			goto out;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto nomem;
	c->ctx = ctx;
	c->bases = calloc(opts->n_bases, sizeof(*c->bases));
	if (!c->bases)
		goto nomem;
	c->n_bases = opts->n_bases;
	for (size_t i = 0; i < opts->n_bases; i++) {
		size_t n = strlen(opts->bases[i]);

		while (n > 0 && opts->bases[i][n - 1] == '/')
			n--;
		c->bases[i] = strndup(opts->bases[i], n);
		if (!c->bases[i])
			goto nomem;
	}
	c->https_base = roger_url_scheme_len(c->bases[0]) == 8;
	c->name = xstrdup_or_null(opts->name ? opts->name : "server", &failed);
	c->target_name = xstrdup_or_null(opts->target_name, &failed);
	c->auth_hint = xstrdup_or_null(opts->auth_hint, &failed);
	c->ca_file = xstrdup_or_null(opts->ca_file, &failed);
	if (failed || setup_auth(c, opts->auth) < 0)
		goto nomem;
	c->connect_timeout_ms = or_default(opts->connect_timeout_ms,
					   DEFAULT_CONNECT_TIMEOUT_MS);
	c->timeout_ms =
		opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->max_retries = opts->max_retries < 0 ? 0
			 : opts->max_retries   ? opts->max_retries
					       : DEFAULT_MAX_RETRIES;
	c->backoff_base_ms =
		or_default(opts->backoff_base_ms, DEFAULT_BACKOFF_BASE_MS);
	c->backoff_max_ms =
		or_default(opts->backoff_max_ms, DEFAULT_BACKOFF_MAX_MS);
	c->rng = (uint32_t)roger_ctx_now_ms(ctx) ^ (uint32_t)getpid() << 16 ^
		 (uint32_t)(uintptr_t)c;
	if (!c->rng)
		c->rng = 0x9e3779b9u;
	if (!transport) {
		rc = roger_http_curl_new(&transport, ctx, err);
		if (rc < 0)
			goto out;
	}
	c->transport = transport;
	transport = NULL;
	*out = c;
	c = NULL;
	goto out;
nomem:
	rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
out:
	roger_http_free(transport);
	roger_http_client_free(c);
	return rc;
}

static bool same_origin(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;
	la = origin_len(a);
	lb = origin_len(b);
	return la == lb && !strncasecmp(a, b, la);
}

int roger_http_client_for_target(struct roger_http_client **out,
				 struct roger_ctx *ctx,
				 const struct roger_target *t,
				 enum roger_http_service service,
				 struct roger_err *err)
{
	struct roger_http_client_opts o = { 0 };
	struct roger_auth netrc_only = { 0 };
	const char *one[1];
	char hint[PATH_MAX + 200];

	if (t->is_local && !t->local_running)
		return roger_err_set(
			err, ROGER_ENET,
			"roger local is not running (state in '%s'): start it with 'roger local up'",
			t->local_state_dir ? t->local_state_dir : "");
	if (t->is_local) {
		/* Its own server knows its token: a refusal means another's. */
		snprintf(
			hint, sizeof(hint),
			"; the server on that port is not the roger local of '%s', whose token it refused",
			t->local_state_dir ? t->local_state_dir : "");
		o.auth_hint = hint;
	}
	o.target_name = t->name;
	o.auth = &t->auth;
	o.ca_file = t->ca_file;
	switch (service) {
	case ROGER_HTTP_MARATHON:
		o.name = "marathon";
		o.bases = (const char *const *)t->marathon;
		o.n_bases = t->n_marathon;
		break;
	case ROGER_HTTP_MESOS:
		o.name = "mesos";
		one[0] = t->mesos;
		o.bases = one;
		o.n_bases = t->mesos ? 1 : 0;
		break;
	case ROGER_HTTP_METRONOME:
		o.name = "metronome";
		o.bases = (const char *const *)t->metronome;
		o.n_bases = t->n_metronome;
		break;
	case ROGER_HTTP_ARTIFACTS:
		o.name = "artifact store";
		one[0] = t->artifacts;
		o.bases = one;
		o.n_bases = t->artifacts ? 1 : 0;
		if (t->auth.kind == ROGER_AUTH_NETRC)
			break;
		o.auth = &netrc_only;
		if (same_origin(t->artifacts, t->mesos))
			o.auth = &t->auth;
		for (size_t i = 0; i < t->n_marathon; i++)
			if (same_origin(t->artifacts, t->marathon[i]))
				o.auth = &t->auth;
		break;
	}
	if (o.n_bases == 0)
		return roger_err_set(err, ROGER_EINVALID,
				     "target '%s' has no %s URL",
				     t->name ? t->name : "", o.name);
	return roger_http_client_new(out, ctx, &o, NULL, err);
}

void roger_http_client_free(struct roger_http_client *c)
{
	if (!c)
		return;
	roger_http_free(c->transport);
	for (size_t i = 0; i < c->n_bases; i++)
		free(c->bases[i]);
	free(c->bases);
	free(c->name);
	free(c->target_name);
	free(c->auth_hint);
	free(c->auth_user);
	roger_secret_free(c->auth_header);
	free(c->netrc_file);
	free(c->ca_file);
	free(c);
}

const char *roger_http_client_base(const struct roger_http_client *c)
{
	return c->bases[c->current];
}

struct roger_ctx *roger_http_client_ctx(const struct roger_http_client *c)
{
	return c->ctx;
}

void roger_http_client_set_sleep_fn(struct roger_http_client *c,
				    roger_http_sleep_fn fn, void *data)
{
	c->sleep_fn = fn;
	c->sleep_data = data;
}

void roger_http_client_set_limits(struct roger_http_client *c,
				  long connect_timeout_ms, long timeout_ms,
				  int max_retries)
{
	if (connect_timeout_ms)
		c->connect_timeout_ms = connect_timeout_ms;
	if (timeout_ms)
		c->timeout_ms = timeout_ms;
	if (max_retries)
		c->max_retries = max_retries < 0 ? 0 : max_retries;
}
static char *join_url(const char *base, const char *path);

/* ---- one attempt --------------------------------------------------------- */

/* What the client adds to the caller's request for one attempt. */
struct attempt {
	struct roger_http_req req;
	struct roger_http_header *headers;
	size_t n_headers;
	bool with_auth;
};

static void attempt_release(struct attempt *a)
{
	free(a->headers);
	a->headers = NULL;
}

static int add_header(struct attempt *a, const char *name, const char *value)
{
	a->headers[a->n_headers].name = name;
	a->headers[a->n_headers].value = value;
	a->n_headers++;
	return 0;
}

/*
 * Fill `a` for sending `orig` to `url` with `method`, without a body when
 * `drop_body` (a redirect that turns into a GET).
 */
static int attempt_build(struct roger_http_client *c, struct attempt *a,
			 const struct roger_http_req *orig, const char *url,
			 const char *method, bool drop_body, bool idempotent,
			 const char *user_agent)
{
	a->req = *orig;
	a->req.url = url;
	a->req.method = method;
	a->req.idempotent = idempotent ? ROGER_HTTP_IDEMPOTENT_YES
				       : ROGER_HTTP_IDEMPOTENT_NO;
	if (drop_body) {
		a->req.body = NULL;
		a->req.body_len = 0;
		a->req.read_fn = NULL;
		a->req.content_type = NULL;
	}
	a->req.connect_timeout_ms = orig->connect_timeout_ms
					    ? orig->connect_timeout_ms
					    : c->connect_timeout_ms;
	a->req.timeout_ms = orig->timeout_ms ? orig->timeout_ms : c->timeout_ms;
	a->req.ca_file = c->ca_file;
	a->req.netrc_file = c->netrc_file;
	a->req.flags &= ~(unsigned)ROGER_HTTP_NETRC;
	a->with_auth = !(c->https_base && roger_url_scheme_len(url) == 7);
	if (c->auth_kind == ROGER_AUTH_NETRC && a->with_auth)
		a->req.flags |= ROGER_HTTP_NETRC;
	a->headers = calloc(orig->n_headers + 4, sizeof(*a->headers));
	if (!a->headers)
		return ROGER_ENOMEM;
	a->n_headers = 0;
	add_header(a, "User-Agent", user_agent);
	if (orig->accept)
		add_header(a, "Accept", orig->accept);
	if (a->req.content_type && (a->req.body || a->req.read_fn))
		add_header(a, "Content-Type", a->req.content_type);
	if (c->auth_header && a->with_auth)
		add_header(a, "Authorization", c->auth_header);
	for (size_t i = 0; i < orig->n_headers; i++)
		add_header(a, orig->headers[i].name, orig->headers[i].value);
	a->req.headers = a->headers;
	a->req.n_headers = a->n_headers;
	return 0;
}

/* Append `s` quoted for a POSIX shell. */
static int add_shell_quoted(struct roger_buf *b, const char *s, size_t len)
{
	if (roger_buf_addch(b, '\'') < 0)
		return ROGER_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\'') {
			if (roger_buf_adds(b, "'\\''") < 0)
				return ROGER_ENOMEM;
		} else if (roger_buf_addch(b, s[i]) < 0) {
			return ROGER_ENOMEM;
		}
	}
	return roger_buf_addch(b, '\'');
}

static int add_shell_str(struct roger_buf *b, const char *s)
{
	return add_shell_quoted(b, s, strlen(s));
}

/* Whether the header carries a secret, so that its value must be masked. */
static bool secret_header(const char *name)
{
	return !strcasecmp(name, "Authorization") ||
	       !strcasecmp(name, "Proxy-Authorization") ||
	       !strcasecmp(name, "Cookie") || strcasestr(name, "token") ||
	       strcasestr(name, "secret") || strcasestr(name, "password");
}

/* "token=abc" -> "token=***", "Bearer x" -> "Bearer ***", "x" -> "***". */
static int add_masked_value(struct roger_buf *b, const char *value)
{
	size_t keep = strcspn(value, " =");

	if (value[keep])
		keep++;
	else
		keep = 0;
	if (roger_buf_add(b, value, keep) < 0)
		return ROGER_ENOMEM;
	return roger_buf_adds(b, "***");
}

static int add_seconds(struct roger_buf *b, const char *opt, long ms)
{
	return roger_buf_addf(b, " %s %g", opt, (double)ms / 1000.0);
}

/* The attempt as a curl command line, with secrets masked. */
static int trace_line(struct roger_buf *b, const struct roger_http_client *c,
		      const struct attempt *a)
{
	const struct roger_http_req *r = &a->req;
	int rc = roger_buf_adds(b, "curl -sS");

	if (rc == 0 && !strcasecmp(r->method, "HEAD"))
		rc = roger_buf_adds(b, " -I");
	else if (rc == 0 && strcasecmp(r->method, "GET"))
		rc = roger_buf_addf(b, " -X %s", r->method);
	for (size_t i = 0; rc == 0 && i < a->n_headers; i++) {
		struct roger_buf h = ROGER_BUF_INIT;
		const struct roger_http_header *hd = &a->headers[i];

		if (!strcasecmp(hd->name, "Authorization") &&
		    c->auth_kind == ROGER_AUTH_BASIC &&
		    hd->value == c->auth_header) {
			rc = roger_buf_adds(&h, c->auth_user);
			if (rc == 0)
				rc = roger_buf_adds(&h, ":***");
			if (rc == 0)
				rc = roger_buf_adds(b, " -u ");
		} else {
			rc = roger_buf_addf(&h, "%s:", hd->name);
			if (rc == 0 && hd->value && *hd->value)
				rc = roger_buf_addch(&h, ' ');
			if (rc == 0 && hd->value && *hd->value)
				rc = secret_header(hd->name)
					     ? add_masked_value(&h, hd->value)
					     : roger_buf_adds(&h, hd->value);
			if (rc == 0)
				rc = roger_buf_adds(b, " -H ");
		}
		if (rc == 0)
			rc = add_shell_quoted(b, h.buf, h.len);
		roger_buf_release(&h);
	}
	if (rc == 0 && (r->flags & ROGER_HTTP_EXPECT_CONTINUE))
		rc = roger_buf_adds(b, " -H 'Expect: 100-continue'");
	if (rc == 0 && (r->flags & ROGER_HTTP_NETRC)) {
		if (r->netrc_file) {
			rc = roger_buf_adds(b, " --netrc-file ");
			if (rc == 0)
				rc = add_shell_str(b, r->netrc_file);
		} else {
			rc = roger_buf_adds(b, " --netrc-optional");
		}
	}
	if (rc == 0 && r->ca_file) {
		rc = roger_buf_adds(b, " --cacert ");
		if (rc == 0)
			rc = add_shell_str(b, r->ca_file);
	}
	if (rc == 0 && r->connect_timeout_ms > 0)
		rc = add_seconds(b, "--connect-timeout", r->connect_timeout_ms);
	if (rc == 0 && r->timeout_ms > 0)
		rc = add_seconds(b, "--max-time", r->timeout_ms);
	if (rc == 0 && r->read_fn) {
		rc = roger_buf_adds(b, " -T ");
		if (rc == 0)
			rc = add_shell_str(b, r->upload_name ? r->upload_name
							     : "-");
	} else if (rc == 0 && (r->body || !strcasecmp(r->method, "POST"))) {
		rc = roger_buf_adds(b, " --data-binary ");
		if (rc == 0 && r->body_len <= TRACE_BODY_MAX &&
		    roger_utf8_valid(r->body ? r->body : "", r->body_len) &&
		    !memchr(r->body ? r->body : "", 0, r->body_len))
			rc = add_shell_quoted(b, r->body ? r->body : "",
					      r->body_len);
		else if (rc == 0)
			rc = roger_buf_addf(b, "@BODY-%zu-BYTES", r->body_len);
	}
	if (rc == 0) {
		struct roger_buf u = ROGER_BUF_INIT;

		rc = roger_http_mask_url(&u, r->url);
		if (rc == 0)
			rc = roger_buf_addch(b, ' ');
		if (rc == 0)
			rc = add_shell_quoted(b, u.buf, u.len);
		roger_buf_release(&u);
	}
	return rc;
}

int roger_http_client_describe(struct roger_buf *out,
			       struct roger_http_client *c,
			       const struct roger_http_req *req)
{
	const char *method = req->method ? req->method : "GET";
	struct attempt a = { 0 };
	char user_agent[64];
	bool idempotent;
	char *url;
	int rc;

	if (!req->url || !*req->url)
		return ROGER_EINVALID;
	url = roger_url_scheme_len(req->url)
		      ? strdup(req->url)
		      : join_url(c->bases[c->current], req->url);
	if (!url)
		return ROGER_ENOMEM;
	idempotent = req->idempotent == ROGER_HTTP_IDEMPOTENT_AUTO
			     ? roger_http_method_idempotent(method)
			     : req->idempotent == ROGER_HTTP_IDEMPOTENT_YES;
	snprintf(user_agent, sizeof(user_agent), "roger/%s", roger_version());
	rc = attempt_build(c, &a, req, url, method, false, idempotent,
			   user_agent);
	if (rc == 0)
		rc = trace_line(out, c, &a) < 0 ? ROGER_ENOMEM : 0;
	attempt_release(&a);
	free(url);
	return rc;
}

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

/*
 * Send `orig` to `url`, following redirects.  resp->url ends up as the URL
 * that answered (or failed).  *attempts counts transport sends.
 */
static int send_redirects(struct roger_http_client *c,
			  const struct roger_http_req *orig, char *url,
			  bool idempotent, struct roger_http_resp *resp,
			  int *attempts, struct roger_err *err)
{
	const char *method = orig->method ? orig->method : "GET";
	char user_agent[64];
	bool drop_body = false;
	int rc = 0;

	snprintf(user_agent, sizeof(user_agent), "roger/%s", roger_version());
	for (int hops = 0;; hops++) {
		struct attempt a = { 0 };
		const char *location;
		char *next = NULL;

		if (*attempts > 0 && orig->read_fn && orig->rewind_fn &&
		    !drop_body) {
			rc = orig->rewind_fn(orig->read_data, err);
			if (rc < 0)
				break;
		}
		if (attempt_build(c, &a, orig, url, method, drop_body,
				  idempotent, user_agent) < 0) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			break;
		}
		if (roger_log_enabled(c->ctx, ROGER_LOG_TRACE)) {
			struct roger_buf line = ROGER_BUF_INIT;

			if (trace_line(&line, c, &a) == 0)
				roger_log(c->ctx, ROGER_LOG_TRACE, "%s",
					  line.buf);
			roger_buf_release(&line);
		}
		roger_http_resp_reset(resp);
		rc = c->transport->send(c->transport, &a.req, resp, err);
		attempt_release(&a);
		(*attempts)++;
		if (rc < 0 || !is_redirect(resp->status) ||
		    (orig->flags & ROGER_HTTP_NO_REDIRECT))
			break;
		location = roger_http_resp_header(resp, "Location");
		if (!location || !*location)
			break;
		if (hops >= MAX_REDIRECTS) {
			struct roger_buf u = ROGER_BUF_INIT;

			roger_http_mask_url(&u, url);
			rc = roger_err_set(err, ROGER_EHTTP,
					   "too many redirects from '%s'",
					   u.buf);
			roger_buf_release(&u);
			break;
		}
		rc = roger_http_resolve_url(&next, url, location, err);
		if (rc < 0)
			break;
		if (!roger_url_scheme_len(next)) {
			rc = roger_err_set(err, ROGER_EHTTP,
					   "unsupported redirect to '%s'",
					   next);
			free(next);
			break;
		}
		if (resp->status == 303 ||
		    ((resp->status == 301 || resp->status == 302) &&
		     strcasecmp(method, "GET") && strcasecmp(method, "HEAD"))) {
			method = "GET";
			drop_body = true;
		} else if (orig->read_fn && !orig->rewind_fn && !drop_body) {
			free(next);
			break; /* the upload cannot be sent again */
		}
		roger_debug(c->ctx, "following redirect (HTTP %ld) to '%s'",
			    resp->status, next);
		free(url);
		url = next;
	}
	free(resp->url);
	resp->url = url;
	return rc;
}

static int default_sleep(struct roger_http_client *c, long ms)
{
	int64_t end = roger_ctx_now_ms(c->ctx) + ms;

	for (;;) {
		int64_t left = end - roger_ctx_now_ms(c->ctx);
		struct timespec ts;

		if (roger_ctx_interrupted(c->ctx))
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

/* The delay a 503 asks for with Retry-After (seconds), or -1. */
static long retry_after_ms(const struct roger_http_resp *resp)
{
	const char *v = roger_http_resp_header(resp, "Retry-After");
	char *end;
	long s;

	if (!v)
		return -1;
	errno = 0;
	s = strtol(v, &end, 10);
	if (errno || end == v || *end || s < 0)
		return -1;
	return s > 3600 ? 3600000L : s * 1000L;
}

static char *join_url(const char *base, const char *path)
{
	char *u;

	if (asprintf(&u, "%s%s", base, path) < 0)
		return NULL;
	return u;
}

/* Say why a failed request that reached the server is not sent again. */
static void not_retried(struct roger_err *err, const char *method)
{
	size_t n;

	if (!err)
		return;
	n = strlen(err->msg);
	snprintf(
		err->msg + n, sizeof(err->msg) - n,
		" after the request was sent (a %s is not retried: the server may have acted on it)",
		method ? method : "GET");
}

/*
 * Whether a reply asks to be tried again: a gateway error of a leaderless
 * Marathon, for a request that can be sent again.
 */
static bool retryable_reply(const struct roger_http_client *c,
			    const struct roger_http_req *req,
			    const struct roger_http_resp *resp, bool idempotent,
			    int retries)
{
	if (resp->status != 502 && resp->status != 503 && resp->status != 504)
		return false;
	return idempotent && resp->streamed == 0 &&
	       !(req->read_fn && !req->rewind_fn) &&
	       !(req->flags & ROGER_HTTP_NO_RETRY) && retries < c->max_retries;
}

/*
 * Whether a failed attempt may be sent again at all (to this base URL or
 * another): never after a callback's error, streamed data, a refused
 * certificate, a timeout after sending, or when a non-idempotent request or
 * an upload that cannot be rewound had left.
 */
static bool retryable_failure(const struct roger_http_req *req,
			      const struct roger_http_resp *resp, int rc,
			      bool idempotent, struct roger_err *err)
{
	if (rc != ROGER_ENET || resp->streamed > 0 || resp->final)
		return false;
	if (!resp->sent)
		return true;
	if (!idempotent && !resp->timed_out)
		not_retried(err, req->method);
	return idempotent && !resp->timed_out &&
	       !(req->read_fn && !req->rewind_fn);
}

int roger_http_client_send(struct roger_http_client *c,
			   const struct roger_http_req *req,
			   struct roger_http_resp *resp, struct roger_err *err)
{
	bool absolute, idempotent;
	size_t n_bases, base, failed_in_round = 0;
	int retries = 0, attempts = 0, rc;

	if (!req->url || !*req->url)
		return roger_err_set(err, ROGER_EINVALID, "empty request URL");
	absolute = roger_url_scheme_len(req->url) > 0;
	if (!absolute && req->url[0] != '/')
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid request URL '%s'", req->url);
	if (req->read_fn && req->body)
		return roger_err_set(err, ROGER_EINVALID,
				     "request with both a body and an upload");
	idempotent = req->idempotent == ROGER_HTTP_IDEMPOTENT_AUTO
			     ? roger_http_method_idempotent(req->method)
			     : req->idempotent == ROGER_HTTP_IDEMPOTENT_YES;
	n_bases = absolute || (req->flags & ROGER_HTTP_NO_FAILOVER)
			  ? 1
			  : c->n_bases;
	base = c->current;
	for (;;) {
		char *url = absolute ? strdup(req->url)
				     : join_url(c->bases[base], req->url);
		long delay;

		if (!url)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		rc = send_redirects(c, req, url, idempotent, resp, &attempts,
				    err);
		resp->attempts = attempts;
		if (rc == 0 && !absolute)
			c->current = base;
		if (rc == 0 &&
		    !retryable_reply(c, req, resp, idempotent, retries))
			return 0;
		if (rc == 0) {
			delay = retry_after_ms(resp);
			if (delay < 0 || delay > c->backoff_max_ms)
				delay = roger_http_backoff_ms(
					retries + 1, c->backoff_base_ms,
					c->backoff_max_ms, next_random(c));
			roger_info(c->ctx,
				   "%s answered HTTP %ld, retrying in %.1f s",
				   c->name, resp->status,
				   (double)delay / 1000.0);
		} else {
			if (!retryable_failure(req, resp, rc, idempotent, err))
				return rc;
			/* Failover: the next base URL at once. */
			if (!resp->sent && n_bases > 1) {
				base = (base + 1) % n_bases;
				if (++failed_in_round < n_bases) {
					roger_info(c->ctx, "%s; trying '%s'",
						   err ? err->msg : "failed",
						   c->bases[base]);
					continue;
				}
				failed_in_round = 0;
			}
			if ((req->flags & ROGER_HTTP_NO_RETRY) ||
			    retries >= c->max_retries) {
				if (!resp->sent && n_bases > 1)
					roger_err_prefix(
						err,
						"cannot reach %s at any of its %zu URLs; last",
						c->name, n_bases);
				return rc;
			}
			delay = roger_http_backoff_ms(
				retries + 1, c->backoff_base_ms,
				c->backoff_max_ms, next_random(c));
			roger_info(c->ctx, "%s; retrying in %.1f s",
				   err ? err->msg : "failed",
				   (double)delay / 1000.0);
		}
		retries++;
		rc = c->sleep_fn ? c->sleep_fn(c->sleep_data, delay)
				 : default_sleep(c, delay);
		if (rc < 0)
			return roger_err_set(
				err, ROGER_EINTR,
				"interrupted while waiting to retry %s",
				c->name);
	}
}

/* ---- status errors ------------------------------------------------------- */

static const char *reason_phrase(long status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return NULL;
	}
}

/* The hint for a 401, by the kind of credentials the target has. */
static void auth_hint(const struct roger_http_client *c, const char *url,
		      char *out, size_t size)
{
	const char *t = c->target_name ? c->target_name : "";
	size_t s = roger_url_scheme_len(url);
	int host_len = (int)strcspn(url + s, ":/?#");

	if (c->auth_hint) {
		snprintf(out, size, "%s", c->auth_hint);
		return;
	}
	switch (c->auth_kind) {
	case ROGER_AUTH_NONE:
		snprintf(
			out, size,
			"; target '%s' has no credentials (set \"auth\" in its configuration, or ROGER_TOKEN, or ROGER_USER and ROGER_PASSWORD)",
			t);
		break;
	case ROGER_AUTH_BASIC:
		snprintf(out, size,
			 "; check the user and password of target '%s'", t);
		break;
	case ROGER_AUTH_TOKEN:
		snprintf(
			out, size,
			"; the token of target '%s' was refused (it may have expired)",
			t);
		break;
	case ROGER_AUTH_NETRC:
		snprintf(out, size, "; check the netrc entry for '%.*s'",
			 host_len, url + s);
		break;
	}
}

int roger_http_client_status_err(const struct roger_http_client *c,
				 const struct roger_http_resp *resp,
				 struct roger_err *err)
{
	struct roger_buf url = ROGER_BUF_INIT, sum = ROGER_BUF_INIT;
	const char *reason = reason_phrase(resp->status);
	char what[64], hint[512] = "";
	const char *sep;
	int code;

	roger_http_mask_url(&url, resp->url ? resp->url : "");
	roger_http_body_summary(&sum,
				roger_http_resp_header(resp, "Content-Type"),
				resp->body.buf, resp->body.len, SUMMARY_MAX);
	if (reason)
		snprintf(what, sizeof(what), "HTTP %ld %s", resp->status,
			 reason);
	else
		snprintf(what, sizeof(what), "HTTP %ld", resp->status);
	sep = sum.len ? ": " : "";
	switch (resp->status) {
	case 401:
		auth_hint(c, resp->url ? resp->url : "", hint, sizeof(hint));
		code = roger_err_set(
			err, ROGER_EAUTH,
			"authentication refused by %s at '%s' (%s%s%s)%s",
			c->name, url.buf, what, sep, sum.buf, hint);
		break;
	case 403:
		code = roger_err_set(
			err, ROGER_EAUTH,
			"access denied by %s at '%s' (%s%s%s); the credentials%s%s%s lack the permission",
			c->name, url.buf, what, sep, sum.buf,
			c->target_name ? " of target '" : "",
			c->target_name ? c->target_name : "",
			c->target_name ? "'" : "");
		break;
	case 404:
		code = roger_err_set(err, ROGER_ENOTFOUND,
				     "'%s' not found (%s%s%s)", url.buf, what,
				     sep, sum.buf);
		break;
	case 409:
		code = roger_err_set(err, ROGER_ECONFLICT,
				     "conflict at '%s' (%s%s%s)", url.buf, what,
				     sep, sum.buf);
		break;
	case 400:
	case 422:
		code = roger_err_set(err, ROGER_EINVALID,
				     "%s refused the request to '%s' (%s%s%s)",
				     c->name, url.buf, what, sep, sum.buf);
		break;
	case 502:
	case 503:
	case 504:
		code = roger_err_set(
			err, ROGER_ENET,
			"%s at '%s' is unavailable (%s%s%s, %d attempt%s)",
			c->name, url.buf, what, sep, sum.buf, resp->attempts,
			resp->attempts == 1 ? "" : "s");
		break;
	default:
		code = roger_err_set(
			err, ROGER_EHTTP,
			"unexpected reply from %s at '%s' (%s%s%s)", c->name,
			url.buf, what, sep, sum.buf);
		break;
	}
	if (err)
		err->http_status = (int)resp->status;
	roger_buf_release(&url);
	roger_buf_release(&sum);
	return code;
}
