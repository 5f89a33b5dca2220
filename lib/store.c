/*
 * store.c - artifact stores (see store.h): content-addressed names, and
 * pushing an artifact to an http(s) or file:// store.
 *
 * A push is check, upload, check.  The first check decides whether there
 * is anything to do (roger_store_head_state for http, a stat for file://);
 * the upload streams the cached artifact file, never holding it in memory;
 * the last check proves the store holds the whole object before roger
 * deploy names it in a fetch entry.
 *
 * http uploads go through the HTTP client (lib/http.c), which owns the
 * retry policy: a PUT is idempotent, and the body can be rewound, so a
 * connection refused, reset or cut in the middle, and a 502/503/504, are
 * sent again from the first byte after a backoff.  What the client cannot
 * see is an upload that stalls: nothing arrives while we send, so its idle
 * timeout does not apply.  The progress callback watches the bytes sent
 * instead and cuts an attempt that has not moved for STALL_MS (a network
 * failure, hence retried); once the whole body is out, the store gets
 * REPLY_MS to answer (it may be syncing a large file to disk).
 *
 * file:// writes are atomic in the usual way: a temporary file beside the
 * destination, fsync, rename, fsync of the directory.
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
#include "http.h"
#include "pack.h"
#include "store.h"
#include "target.h"
#include "util.h"

#define STALL_MS 60000L
#define REPLY_MS 300000L
#define COPY_CHUNK (1024 * 1024)

static int valid_sha256(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

int roger_store_artifact_url(char **out, const char *store_base,
			     const char *app_id, const char *sha256,
			     struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	size_t len;

	if (!store_base || !*store_base)
		return roger_err_set(err, ROGER_EINVALID,
				     "the target has no artifact store");
	if (!sha256 || !valid_sha256(sha256))
		return roger_err_set(err, ROGER_EINVALID,
				     "'%s' is not a SHA-256 digest",
				     sha256 ? sha256 : "");
	if (!app_id || app_id[0] != '/' || !app_id[1])
		return roger_err_set(err, ROGER_EINVALID,
				     "'%s' is not an absolute app id",
				     app_id ? app_id : "");
	len = strlen(store_base);
	if (roger_buf_add(&b, store_base, len) < 0 ||
	    (store_base[len - 1] != '/' && roger_buf_addch(&b, '/') < 0) ||
	    roger_buf_addf(&b, "%s/%s.tar.gz", app_id + 1, sha256) < 0) {
		roger_buf_release(&b);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	*out = roger_buf_detach(&b, NULL);
	return 0;
}

void roger_store_result_release(struct roger_store_result *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->request);
	memset(r, 0, sizeof(*r));
}

/* ---- pure helpers -------------------------------------------------------- */

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/*
 * Decode `len` characters of base64 (standard or URL alphabet, padding
 * optional) into exactly 32 bytes; false for anything else.
 */
static bool b64_sha256(unsigned char out[32], const char *s, size_t len)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;

	while (len > 0 && s[len - 1] == '=')
		len--;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value((unsigned char)s[i]);

		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == 32)
				return false;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n == 32;
}

static void to_hex(char out[65], const unsigned char md[32])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* A hex digest of 64 digits in either case, lower-cased into `out`. */
static bool hex_sha256(char out[65], const char *s, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < 64; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[64] = '\0';
	return true;
}

static void trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/*
 * The sha-256 member of a digest list: "sha-256=:B64:, md5=:x:" (RFC 9530)
 * or "SHA-256=B64,MD5=x" (RFC 3230).
 */
static bool digest_list_sha256(char out[65], const char *v)
{
	while (*v) {
		size_t n = strcspn(v, ",");
		const char *item = v, *eq;
		size_t len = n;

		v += n + (v[n] == ',');
		trim(&item, &len);
		eq = memchr(item, '=', len);
		if (!eq || (size_t)(eq - item) != 7 ||
		    strncasecmp(item, "sha-256", 7))
			continue;
		item = eq + 1;
		len -= 8;
		trim(&item, &len);
		if (len >= 2 && item[0] == ':' && item[len - 1] == ':') {
			item++;
			len -= 2;
		}
		{
			unsigned char md[32];

			if (!b64_sha256(md, item, len))
				return false;
			to_hex(out, md);
			return true;
		}
	}
	return false;
}

bool roger_store_reply_sha256(char out[65], const struct roger_http_resp *resp)
{
	static const char *const lists[] = { "Repr-Digest", "Content-Digest",
					     "Digest" };
	const char *v;
	unsigned char md[32];

	v = roger_http_resp_header(resp, "X-Checksum-Sha256");
	if (v) {
		size_t len = strlen(v);

		trim(&v, &len);
		return hex_sha256(out, v, len);
	}
	v = roger_http_resp_header(resp, "x-amz-checksum-sha256");
	if (v) {
		size_t len = strlen(v);

		trim(&v, &len);
		if (!b64_sha256(md, v, len))
			return false;
		to_hex(out, md);
		return true;
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++) {
		v = roger_http_resp_header(resp, lists[i]);
		if (v && digest_list_sha256(out, v))
			return true;
	}
	return false;
}

/* A decimal Content-Length, or -1. */
static int64_t content_length(const struct roger_http_resp *resp)
{
	const char *v = roger_http_resp_header(resp, "Content-Length");
	int64_t n = 0;

	if (!v || !*v)
		return -1;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*v - '0');
	}
	return n;
}

enum roger_store_state
roger_store_head_state(const struct roger_http_resp *resp, uint64_t size,
		       const char *sha256, char *why, size_t why_size)
{
	char reported[65];
	int64_t len;

	if (why && why_size)
		why[0] = '\0';
	switch (resp->status) {
	case 404:
	case 410:
		return ROGER_STORE_ABSENT;
	case 405:
	case 501:
		return ROGER_STORE_UNKNOWN;
	default:
		break;
	}
	if (resp->status < 200 || resp->status >= 300)
		return ROGER_STORE_REFUSED;
	if (resp->status != 200)
		return ROGER_STORE_UNKNOWN;
	len = content_length(resp);
	if (len < 0)
		return ROGER_STORE_UNKNOWN;
	if ((uint64_t)len != size) {
		if (why)
			snprintf(why, why_size,
				 "the store has %lld bytes, the artifact %llu",
				 (long long)len, (unsigned long long)size);
		return ROGER_STORE_MISMATCH;
	}
	if (roger_store_reply_sha256(reported, resp) &&
	    strcmp(reported, sha256)) {
		if (why)
			snprintf(
				why, why_size,
				"the store reports the SHA-256 %.12s..., the artifact's is %.12s...",
				reported, sha256);
		return ROGER_STORE_MISMATCH;
	}
	return ROGER_STORE_PRESENT;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int roger_store_file_path(char **out, const char *url, struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	const char *p;

	if (strncasecmp(url, "file://", 7))
		return roger_err_set(err, ROGER_EINVALID,
				     "'%s' is not a file:// URL", url);
	p = url + 7;
	if (!strncasecmp(p, "localhost/", 10))
		p += 9;
	if (*p != '/')
		return roger_err_set(
			err, ROGER_EINVALID,
			"invalid artifact store '%s': a file:// URL names a local directory (file:///path/)",
			url);
	for (; *p; p++) {
		int c = (unsigned char)*p;

		if (c == '?' || c == '#')
			break;
		if (c == '%') {
			int hi = hex_digit((unsigned char)p[1]);
			int lo = hi < 0 ? -1 : hex_digit((unsigned char)p[2]);

			if (lo < 0 || (hi == 0 && lo == 0)) {
				roger_buf_release(&b);
				return roger_err_set(
					err, ROGER_EINVALID,
					"invalid percent-encoding in artifact store '%s'",
					url);
			}
			c = hi * 16 + lo;
			p += 2;
		}
		if (roger_buf_addch(&b, c) < 0) {
			roger_buf_release(&b);
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		}
	}
	*out = roger_buf_detach(&b, NULL);
	if (!*out)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

/* "12.3 MiB", "512 bytes" */
static void human_size(char *out, size_t n, uint64_t bytes)
{
	if (bytes < 1024)
		snprintf(out, n, "%llu bytes", (unsigned long long)bytes);
	else if (bytes < 1024 * 1024)
		snprintf(out, n, "%.1f KiB", (double)bytes / 1024.0);
	else if (bytes < 1024ULL * 1024 * 1024)
		snprintf(out, n, "%.1f MiB", (double)bytes / (1024.0 * 1024));
	else
		snprintf(out, n, "%.2f GiB",
			 (double)bytes / (1024.0 * 1024 * 1024));
}

/* ---- http(s) ------------------------------------------------------------- */

struct upload {
	struct roger_ctx *ctx;
	const struct roger_store_push_opts *o;
	const char *url; /* masked, for messages */
	int fd;
	uint64_t size;
	uint64_t read; /* this attempt */
	uint64_t total_read; /* every attempt */
	int attempts;
	int64_t last_up; /* bytes sent at the last change */
	int64_t last_move_ms;
	bool done_sending;
	int64_t done_ms;
};

static long upload_read(void *data, char *buf, size_t len,
			struct roger_err *err)
{
	struct upload *u = data;
	ssize_t n;

	do
		n = read(u->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return roger_err_set(err, ROGER_EIO,
				     "cannot read the artifact: %s",
				     strerror(errno));
	u->read += (uint64_t)n;
	u->total_read += (uint64_t)n;
	return (long)n;
}

static void attempt_start(struct upload *u)
{
	u->attempts++;
	u->read = 0;
	u->last_up = -1;
	u->last_move_ms = roger_ctx_now_ms(u->ctx);
	u->done_sending = false;
	if (u->o->progress_fn)
		u->o->progress_fn(u->o->progress_data, 0, u->size);
}

static int upload_rewind(void *data, struct roger_err *err)
{
	struct upload *u = data;

	if (lseek(u->fd, 0, SEEK_SET) < 0)
		return roger_err_set(err, ROGER_EIO,
				     "cannot rewind the artifact: %s",
				     strerror(errno));
	roger_info(u->ctx, "uploading '%s' again from the start", u->url);
	attempt_start(u);
	return 0;
}

static int upload_progress(void *data, int64_t down_now, int64_t down_total,
			   int64_t up_now, int64_t up_total,
			   struct roger_err *err)
{
	struct upload *u = data;
	int64_t now = roger_ctx_now_ms(u->ctx);

	(void)down_now;
	(void)down_total;
	(void)up_total;
	if (up_now != u->last_up) {
		u->last_up = up_now;
		u->last_move_ms = now;
		if (u->o->progress_fn)
			u->o->progress_fn(u->o->progress_data, (uint64_t)up_now,
					  u->size);
	}
	if ((uint64_t)up_now >= u->size) {
		if (!u->done_sending) {
			u->done_sending = true;
			u->done_ms = now;
		}
		if (now - u->done_ms > REPLY_MS)
			return roger_err_set(
				err, ROGER_ENET,
				"no reply from '%s' %ld s after the upload",
				u->url, REPLY_MS / 1000);
		return 0;
	}
	if (now - u->last_move_ms > STALL_MS)
		return roger_err_set(
			err, ROGER_ENET,
			"the upload to '%s' made no progress for %ld s", u->url,
			STALL_MS / 1000);
	return 0;
}

/* The error for a refused upload, saying what the common statuses mean. */
static int put_refused(struct roger_http_client *c,
		       const struct roger_http_resp *resp, const char *url,
		       uint64_t size, struct roger_err *err)
{
	char human[32];
	int rc;

	human_size(human, sizeof(human), size);
	switch (resp->status) {
	case 413:
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"the artifact (%s) is too large for the artifact store at '%s' (HTTP 413 Payload Too Large); raise the store's upload limit (nginx: client_max_body_size)",
			human, url);
		break;
	case 507:
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"the artifact store at '%s' is out of space (HTTP 507 Insufficient Storage) for the artifact (%s)",
			url, human);
		break;
	case 405:
	case 501:
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"the artifact store at '%s' does not accept uploads (HTTP %ld for PUT); enable PUT on it (nginx: dav_methods PUT)",
			url, resp->status);
		break;
	case 409:
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"the artifact store refused to create '%s' (HTTP 409 Conflict: a parent collection is missing); create it, or let the store create it (nginx: create_full_put_path on)",
			url);
		break;
	default:
		rc = roger_http_client_status_err(c, resp, err);
		/* A store's 400/404/409/422 is not our configuration. */
		if (rc == ROGER_EINVALID || rc == ROGER_ECONFLICT ||
		    rc == ROGER_ENOTFOUND) {
			if (err)
				err->code = ROGER_EHTTP;
			rc = ROGER_EHTTP;
		}
		return rc;
	}
	if (err)
		err->http_status = (int)resp->status;
	return rc;
}

/* HEAD the artifact: its state in *state, or an error. */
static int head(enum roger_store_state *state, char *why, size_t why_size,
		struct roger_http_client *c, const char *url,
		const struct roger_artifact *a, struct roger_http_resp *resp,
		struct roger_err *err)
{
	struct roger_http_req req = { 0 };
	int rc;

	req.method = "HEAD";
	req.url = url;
	rc = roger_http_client_send(c, &req, resp, err);
	if (rc < 0)
		return rc;
	*state =
		roger_store_head_state(resp, a->size, a->sha256, why, why_size);
	if (*state == ROGER_STORE_REFUSED)
		return roger_http_client_status_err(c, resp, err);
	return 0;
}

static int push_http(struct roger_store_result *out, struct roger_ctx *ctx,
		     const struct roger_target *t,
		     const struct roger_artifact *a,
		     const struct roger_store_push_opts *o,
		     struct roger_err *err)
{
	struct roger_http_client *own = NULL, *c = o->client;
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_buf masked = ROGER_BUF_INIT;
	struct roger_http_header headers[1];
	struct roger_http_req req = { 0 };
	struct upload u = { 0 };
	enum roger_store_state state;
	char why[160];
	int rc;

	u.fd = -1;
	if (!c) {
		rc = roger_http_client_for_target(&own, ctx, t,
						  ROGER_HTTP_ARTIFACTS, err);
		if (rc < 0)
			goto out;
		c = own;
	}
	if (roger_http_mask_url(&masked, out->url) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	rc = head(&state, why, sizeof(why), c, out->url, a, &resp, err);
	if (rc < 0)
		goto out;
	if (state == ROGER_STORE_PRESENT) {
		roger_info(ctx, "'%s' is already in the store", masked.buf);
		out->skipped = true;
		goto out;
	}
	if (state == ROGER_STORE_MISMATCH) {
		roger_warn(ctx, "'%s' holds another object (%s), replacing it",
			   masked.buf, why);
		out->replaced = true;
	}

	headers[0].name = "X-Checksum-Sha256";
	headers[0].value = a->sha256;
	req.method = "PUT";
	req.url = out->url;
	req.content_type = "application/gzip";
	req.read_fn = upload_read;
	req.rewind_fn = upload_rewind;
	req.read_data = &u;
	req.upload_len = (int64_t)a->size;
	req.upload_name = a->path;
	req.headers = headers;
	req.n_headers = 1;
	req.flags = ROGER_HTTP_EXPECT_CONTINUE;
	req.timeout_ms = ROGER_HTTP_NO_TIMEOUT;
	req.progress_fn = upload_progress;
	req.progress_data = &u;
	if (o->dry_run) {
		struct roger_buf line = ROGER_BUF_INIT;

		rc = roger_http_client_describe(&line, c, &req);
		if (rc == 0 && !(out->request = roger_buf_detach(&line, NULL)))
			rc = ROGER_ENOMEM;
		roger_buf_release(&line);
		if (rc < 0)
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}

	u.ctx = ctx;
	u.o = o;
	u.url = masked.buf;
	u.size = a->size;
	u.fd = open(a->path, O_RDONLY | O_CLOEXEC);
	if (u.fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot read '%s': %s",
				   a->path, strerror(errno));
		goto out;
	}
	attempt_start(&u);
	rc = roger_http_client_send(c, &req, &resp, err);
	out->attempts = u.attempts;
	out->bytes_sent = u.total_read;
	if (rc < 0)
		goto out;
	if (!roger_http_resp_ok(&resp)) {
		rc = put_refused(c, &resp, masked.buf, a->size, err);
		goto out;
	}
	if (o->progress_fn)
		o->progress_fn(o->progress_data, a->size, a->size);

	/* The store said yes: it must now hold the whole object. */
	rc = head(&state, why, sizeof(why), c, out->url, a, &resp, err);
	if (rc < 0) {
		roger_err_prefix(err, "checking the upload");
		goto out;
	}
	if (state == ROGER_STORE_UNKNOWN) {
		roger_warn(
			ctx,
			"cannot check the upload of '%s': the store's reply to HEAD has no length",
			masked.buf);
	} else if (state != ROGER_STORE_PRESENT) {
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"the artifact store accepted '%s' but does not hold it whole afterwards (%s)",
			masked.buf,
			state == ROGER_STORE_ABSENT ? "HEAD: not found" : why);
		goto out;
	}
out:
	if (u.fd >= 0)
		close(u.fd);
	roger_http_resp_release(&resp);
	roger_buf_release(&masked);
	roger_http_client_free(own);
	return rc;
}

/* ---- file:// ------------------------------------------------------------- */

/* The code for a failed system call on a store directory or file. */
static int errno_code(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
	case EROFS:
		return ROGER_EAUTH;
	case ENOENT:
	case ENOTDIR:
		return ROGER_ENOTFOUND;
	case ENOMEM:
		return ROGER_ENOMEM;
	default:
		return ROGER_EIO;
	}
}

static int file_error(struct roger_err *err, int e, const char *what,
		      const char *path)
{
	if (e == ENOSPC || e == EDQUOT)
		return roger_err_set(
			err, ROGER_EIO,
			"the artifact store is out of space: cannot write '%s': %s",
			path, strerror(e));
	if (e == EACCES || e == EPERM || e == EROFS)
		return roger_err_set(
			err, ROGER_EAUTH,
			"no permission to %s '%s' in the artifact store: %s",
			what, path, strerror(e));
	return roger_err_set(err, errno_code(e), "cannot %s '%s': %s", what,
			     path, strerror(e));
}

/*
 * mkdir of each component of `dir` below the existing directory `root`
 * (a prefix of it): 0, or an errno with the directory that failed in
 * *failed (a new string, NULL when out of memory).
 */
static int make_app_dirs(const char *root, const char *dir, char **failed)
{
	size_t root_len = strlen(root);
	char *buf = strdup(dir);
	int e = 0;

	*failed = NULL;
	if (!buf)
		return ENOMEM;
	for (char *p = buf + root_len + 1;; p++) {
		if (*p && *p != '/')
			continue;
		{
			char saved = *p;

			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
				e = errno;
				*failed = buf;
				return e;
			}
			*p = saved;
		}
		if (!*p)
			break;
	}
	free(buf);
	return 0;
}

/* Copy the artifact to the open temporary file `out_fd`. */
static int copy_into(struct roger_store_result *out, struct roger_ctx *ctx,
		     const struct roger_artifact *a, int out_fd,
		     const char *tmp, const struct roger_store_push_opts *o,
		     struct roger_err *err)
{
	char *buf = malloc(COPY_CHUNK);
	int in_fd = -1, rc = 0;

	if (!buf)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	in_fd = open(a->path, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot read '%s': %s",
				   a->path, strerror(errno));
		goto out;
	}
	if (o->progress_fn)
		o->progress_fn(o->progress_data, 0, a->size);
	for (;;) {
		ssize_t n = read(in_fd, buf, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot read '%s': %s", a->path,
					   strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (roger_ctx_interrupted(ctx)) {
			rc = roger_err_set(
				err, ROGER_EINTR,
				"interrupted while copying the artifact to the store");
			goto out;
		}
		if (roger_write_all(out_fd, buf, (size_t)n) < 0) {
			rc = file_error(err, errno, "write", tmp);
			goto out;
		}
		out->bytes_sent += (uint64_t)n;
		if (o->progress_fn)
			o->progress_fn(o->progress_data, out->bytes_sent,
				       a->size);
	}
out:
	if (in_fd >= 0)
		close(in_fd);
	free(buf);
	return rc;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static int push_file(struct roger_store_result *out, struct roger_ctx *ctx,
		     const struct roger_target *t, const char *app_id,
		     const struct roger_artifact *a,
		     const struct roger_store_push_opts *o,
		     struct roger_err *err)
{
	char *root = NULL, *dir = NULL, *dest = NULL, *tmp = NULL;
	struct stat st;
	int fd = -1, rc = 0, e;
	size_t len;

	rc = roger_store_file_path(&root, t->artifacts, err);
	if (rc < 0)
		goto out;
	len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		root[--len] = '\0';
	if (stat(root, &st) < 0) {
		e = errno;
		if (e == ENOENT)
			rc = roger_err_set(
				err, ROGER_ENOTFOUND,
				"the artifact store directory '%s' does not exist (is it mounted?)",
				root);
		else
			rc = file_error(err, e, "read", root);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "the artifact store '%s' is not a directory",
				   root);
		goto out;
	}
	if (asprintf(&dir, "%s%s", root, app_id) < 0) {
		dir = NULL;
		goto nomem;
	}
	if (asprintf(&dest, "%s/%s.tar.gz", dir, a->sha256) < 0) {
		dest = NULL;
		goto nomem;
	}
	if (stat(dest, &st) == 0) {
		if (S_ISREG(st.st_mode) && (uint64_t)st.st_size == a->size) {
			roger_info(ctx, "'%s' is already in the store", dest);
			out->skipped = true;
			goto out;
		}
		roger_warn(
			ctx,
			"'%s' holds another object (%lld bytes, the artifact %llu), replacing it",
			dest, (long long)st.st_size,
			(unsigned long long)a->size);
		out->replaced = true;
	} else if (errno != ENOENT && errno != ENOTDIR) {
		rc = file_error(err, errno, "read", dest);
		goto out;
	}
	if (o->dry_run) {
		if (asprintf(
			    &out->request,
			    "copy '%s' to '%s' (%llu bytes, through a temporary file and rename)",
			    a->path, dest, (unsigned long long)a->size) < 0) {
			out->request = NULL;
			goto nomem;
		}
		goto out;
	}
	{
		char *failed = NULL;

		e = make_app_dirs(root, dir, &failed);
		if (e) {
			rc = file_error(err, e, "create the directory",
					failed ? failed : dir);
			free(failed);
			goto out;
		}
	}
	if (asprintf(&tmp, "%s/.%s.tar.gz.XXXXXX", dir, a->sha256) < 0) {
		tmp = NULL;
		goto nomem;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = file_error(err, errno, "create a file in", dir);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	out->attempts = 1;
	rc = copy_into(out, ctx, a, fd, tmp, o, err);
	if (rc < 0)
		goto out;
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		rc = file_error(err, errno, "write", tmp);
		goto out;
	}
	e = close(fd) < 0 ? errno : 0;
	fd = -1;
	if (e) {
		rc = file_error(err, e, "write", tmp);
		goto out;
	}
	if (rename(tmp, dest) < 0) {
		rc = file_error(err, errno, "rename into", dest);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	sync_dir(dir);
	if (stat(dest, &st) < 0 || (uint64_t)st.st_size != a->size) {
		rc = roger_err_set(
			err, ROGER_EIO,
			"'%s' does not hold the whole artifact after the copy",
			dest);
		goto out;
	}
	goto out;
nomem:
	rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(dest);
	free(dir);
	free(root);
	return rc;
}

/* ---- push ---------------------------------------------------------------- */

int roger_store_check_target(const struct roger_target *t,
			     struct roger_err *err)
{
	char *path = NULL;
	int rc;

	if (!t->artifacts || !*t->artifacts)
		return roger_err_set(
			err, ROGER_EINVALID,
			"target '%s' has no artifact store (set \"artifacts\" in its configuration, or ROGER_ARTIFACTS_URL)",
			t->name ? t->name : "");
	if (!strncasecmp(t->artifacts, "http://", 7) ||
	    !strncasecmp(t->artifacts, "https://", 8))
		return 0;
	if (strncasecmp(t->artifacts, "file:", 5))
		return roger_err_set(
			err, ROGER_EINVALID,
			"unsupported artifact store '%s' of target '%s': expected http://, https:// or file://",
			t->artifacts, t->name ? t->name : "");
	rc = roger_store_file_path(&path, t->artifacts, err);
	free(path);
	return rc;
}

int roger_store_push(struct roger_store_result *out, struct roger_ctx *ctx,
		     const struct roger_target *t, const char *app_id,
		     const struct roger_artifact *a,
		     const struct roger_store_push_opts *o,
		     struct roger_err *err)
{
	static const struct roger_store_push_opts none = { 0 };
	int64_t start = roger_ctx_now_ms(ctx);
	int rc;

	if (!o)
		o = &none;
	rc = roger_store_check_target(t, err);
	if (rc < 0)
		return rc;
	rc = roger_store_artifact_url(&out->url, t->artifacts, app_id,
				      a->sha256, err);
	if (rc < 0)
		return rc;
	out->size = a->size;
	if (!strncasecmp(t->artifacts, "file:", 5))
		rc = push_file(out, ctx, t, app_id, a, o, err);
	else
		rc = push_http(out, ctx, t, a, o, err);
	out->elapsed_ms = roger_ctx_now_ms(ctx) - start;
	return rc;
}
