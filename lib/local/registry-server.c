/*
 * registry-server.c - roger local's own registry, so that an image app
 * deploys on a laptop with no registry set up (issue: the `local` target
 * pushes there, roger local's tasks pull from there).
 *
 * A second libmicrohttpd daemon, on a loopback port of its own (the
 * Marathon API owns /v2/ on the main port), answering the distribution API
 * the way Debian's docker-registry 2.8 does for what roger's client and
 * Mesos pullers use (REGISTRY.md, recorded behaviour):
 *
 *	GET /v2/				200 {}
 *	HEAD, GET /v2/<name>/blobs/<digest>	per-repository links, 404
 *						BLOB_UNKNOWN with the digest
 *	POST /v2/<name>/blobs/uploads/		202 with Location (absolute,
 *						from Host, with a signed
 *						_state), Range 0-0; ?mount=
 *						&from= gives 201 when `from`
 *						has the blob; a ?digest= body
 *						is ignored (no single POST)
 *	PATCH <location>			append, 202, a new Location
 *	PUT <location>&digest=			the last bytes; 201, or 400
 *						DIGEST_INVALID
 *	GET, DELETE <location>			204 status, 204 cancel
 *	PUT /v2/<name>/manifests/<ref>		Content-Type = mediaType, every
 *						blob in the repository (one
 *						MANIFEST_BLOB_UNKNOWN each),
 *						bytes kept as sent, 201
 *	GET, HEAD /v2/<name>/manifests/<ref>	Accept negotiation for OCI
 *						types, If-None-Match, 304
 *	GET /v2/<name>/tags/list, /v2/_catalog
 *	DELETE of blobs and manifests		405 UNSUPPORTED (delete is
 *						off, as in 2.8's default)
 *
 * Every answer carries Docker-Distribution-Api-Version: registry/2.0; a
 * name or tag the grammar refuses is a plain-text "404 page not found".
 * A stale upload Location is 404 BLOB_UPLOAD_INVALID and ends the upload.
 * Deviations, all documented in roger-local(1): no schema 1 conversion
 * (a tag is served in its stored form whatever Accept says, as 2.8 serves
 * a digest), no Range requests, no redirects, uploads do not survive a
 * restart (as 2.8 without http.secret).
 *
 * Who may use it: the same token as the rest of roger local, in any form a
 * registry client can send it: HTTP Basic with any user name and the token
 * as the password (what `docker login` and roger's registry client send),
 * "Bearer <token>", or roger's "token=<token>".  Without it: 401
 * UNAUTHORIZED with a Basic challenge.  A Host that is not a loopback name
 * is refused first (403), as on the main port.
 *
 * Storage, beneath <state>/registry (every file written atomically):
 *	blobs/sha256/<hex>			the bytes
 *	repositories/<name>/_layers/<hex>	a blob linked into <name>
 *	repositories/<name>/_manifests/revisions/<hex>	its media type
 *	repositories/<name>/_manifests/tags/<tag>	the digest it names
 *	uploads/<uuid>/{data,repo}		uploads in progress
 *	tmp/					request bodies being received
 */
#include <config.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "oci.h"
#include "registry-internal.h"
#include "util.h"
#include "local/auth.h"
#include "local/extract.h"
#include "local/images.h"
#include "local/internal.h"
#include "local/registry-server.h"

#define MANIFEST_MAX (4 << 20)
#define API_VERSION "registry/2.0"
#define JSON_TYPE "application/json; charset=utf-8"

struct roger_local_registry {
	struct roger_ctx *ctx;
	char *dir;
	char token[ROGER_LOCAL_TOKEN_LEN + 1];
	char secret[65]; /* signs upload states; new at each start */
	int port;
	struct MHD_Daemon *daemon;
};

/* ---- responses ----------------------------------------------------------- */

void roger_registry_resp_init(struct roger_registry_resp *rs)
{
	memset(rs, 0, sizeof(*rs));
	roger_buf_init(&rs->body);
	rs->fd = -1;
	rs->status = 500;
}

void roger_registry_resp_release(struct roger_registry_resp *rs)
{
	roger_buf_release(&rs->body);
	json_decref(rs->headers);
	rs->headers = NULL;
	if (rs->fd >= 0)
		close(rs->fd);
	rs->fd = -1;
}

static void header(struct roger_registry_resp *rs, const char *name,
		   const char *value)
{
	if (!rs->headers)
		rs->headers = json_object();
	json_object_set_new(rs->headers, name, json_string(value));
}

/* An error envelope; `detail` (stolen) may be NULL: no detail member. */
static void fail(struct roger_registry_resp *rs, int status, const char *code,
		 const char *message, json_t *detail)
{
	json_t *e = json_pack("{s:s,s:s}", "code", code, "message", message);
	json_t *doc;
	char *text;

	if (detail)
		json_object_set_new(e, "detail", detail);
	doc = json_pack("{s:[o]}", "errors", e);
	text = json_dumps(doc, JSON_COMPACT);
	roger_buf_reset(&rs->body);
	if (text)
		roger_buf_adds(&rs->body, text);
	roger_buf_addch(&rs->body, '\n');
	free(text);
	json_decref(doc);
	rs->status = status;
	rs->content_type = JSON_TYPE;
}

static void page_not_found(struct roger_registry_resp *rs)
{
	rs->status = 404;
	rs->content_type = "text/plain; charset=utf-8";
	roger_buf_reset(&rs->body);
	roger_buf_adds(&rs->body, "404 page not found\n");
}

static void unsupported(struct roger_registry_resp *rs)
{
	fail(rs, 405, "UNSUPPORTED", "The operation is unsupported.", NULL);
}

static void digest_invalid(struct roger_registry_resp *rs, json_t *detail)
{
	fail(rs, 400, "DIGEST_INVALID",
	     "provided digest did not match uploaded content", detail);
}

/* ---- paths --------------------------------------------------------------- */

static char *path_of(const struct roger_local_registry *R, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *path_of(const struct roger_local_registry *R, const char *fmt, ...)
{
	struct roger_buf b = ROGER_BUF_INIT;
	va_list ap;
	int rc = roger_buf_addf(&b, "%s/", R->dir);

	va_start(ap, fmt);
	if (rc == 0)
		rc = roger_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		roger_buf_release(&b);
		return NULL;
	}
	return roger_buf_detach(&b, NULL);
}

static bool file_exists(char *path)
{
	bool ok = path && roger_fs_exists(path);

	free(path);
	return ok;
}

static const char *hex_of(const char *digest)
{
	return digest + 7;
}

/* Create the parents of `path` and write it atomically. */
static int store_file(char *path, const void *data, size_t len)
{
	char *slash;
	int rc;

	if (!path)
		return ROGER_ENOMEM;
	slash = strrchr(path, '/');
	*slash = '\0';
	rc = roger_fs_mkdirs(path, 0700, NULL);
	*slash = '/';
	if (rc == 0)
		rc = roger_fs_write_atomic(path, data, len, 0600, NULL);
	free(path);
	return rc;
}

static bool blob_linked(const struct roger_local_registry *R, const char *name,
			const char *digest)
{
	return file_exists(path_of(R, "repositories/%s/_layers/%s", name,
				   hex_of(digest))) &&
	       file_exists(path_of(R, "blobs/sha256/%s", hex_of(digest)));
}

static int link_blob(const struct roger_local_registry *R, const char *name,
		     const char *digest)
{
	return store_file(
		path_of(R, "repositories/%s/_layers/%s", name, hex_of(digest)),
		"", 0);
}

/* ---- routes -------------------------------------------------------------- */

enum route {
	R_NONE,
	R_BASE,
	R_CATALOG,
	R_TAGS,
	R_BLOB,
	R_UPLOADS,
	R_UPLOAD,
	R_MANIFEST,
};

struct target {
	enum route route;
	char *name;
	const char *ref; /* in `path`: digest, tag, uuid */
};

/* The route of `path` (the name a new string), R_NONE when none: the
 * name and reference must pass the registry's grammar. */
static struct target parse_path(const char *path)
{
	static const struct {
		const char *sep;
		enum route route;
	} seps[] = {
		{ "/blobs/uploads/", R_UPLOAD },
		{ "/blobs/", R_BLOB },
		{ "/manifests/", R_MANIFEST },
	};
	struct target t = { R_NONE, NULL, NULL };
	const char *rest;
	size_t len;

	if (strcmp(path, "/v2/") == 0 || strcmp(path, "/v2") == 0) {
		t.route = R_BASE;
		return t;
	}
	if (strncmp(path, "/v2/", 4) != 0)
		return t;
	rest = path + 4;
	if (strcmp(rest, "_catalog") == 0) {
		t.route = R_CATALOG;
		return t;
	}
	len = strlen(rest);
	if (len > 10 && strcmp(rest + len - 10, "/tags/list") == 0) {
		t.name = strndup(rest, len - 10);
		t.route = R_TAGS;
	} else {
		for (size_t i = 0;
		     i < sizeof(seps) / sizeof(seps[0]) && !t.name; i++) {
			const char *at = NULL, *p = rest;

			/* The rightmost match: names may hold "blobs". */
			while ((p = strstr(p, seps[i].sep))) {
				at = p;
				p++;
			}
			if (!at)
				continue;
			t.name = strndup(rest, (size_t)(at - rest));
			t.ref = at + strlen(seps[i].sep);
			t.route = seps[i].route;
			if (t.route == R_UPLOAD && !*t.ref)
				t.route = R_UPLOADS;
		}
	}
	if (!t.name || !roger_image_repository_valid(t.name) ||
	    (t.route == R_UPLOAD &&
	     (strlen(t.ref) != ROGER_UUID_LEN ||
	      strspn(t.ref, "0123456789abcdef-") != ROGER_UUID_LEN)) ||
	    (t.route == R_MANIFEST && !roger_image_tag_valid(t.ref) &&
	     strncmp(t.ref, "sha256:", 7) != 0) ||
	    (t.route == R_BLOB && strncmp(t.ref, "sha256:", 7) != 0)) {
		free(t.name);
		t.name = NULL;
		t.route = R_NONE;
	}
	return t;
}

static const char *query(const struct roger_registry_req *rq, const char *name)
{
	size_t i;
	json_t *pair;

	json_array_foreach(rq->query, i, pair)
		if (!strcmp(json_string_value(json_array_get(pair, 0)), name))
			return json_string_value(json_array_get(pair, 1));
	return NULL;
}

/* ---- admission ----------------------------------------------------------- */

/* Whether the token is constant-time equal to `given`. */
static bool token_is(const struct roger_local_registry *R, const char *given,
		     size_t len)
{
	char form[ROGER_LOCAL_TOKEN_LEN + 8];

	if (len > ROGER_LOCAL_TOKEN_LEN)
		return false;
	memcpy(form, "token=", 6);
	memcpy(form + 6, given, len);
	form[6 + len] = '\0';
	return roger_local_auth_ok(form, R->token);
}

static bool authorized(const struct roger_local_registry *R, const char *auth)
{
	char *plain = NULL, *colon;
	size_t n = 0;
	bool ok = false;

	if (!auth)
		return false;
	if (roger_local_auth_ok(auth, R->token))
		return true;
	if (strncasecmp(auth, "Bearer ", 7) == 0)
		return token_is(R, auth + 7, strlen(auth + 7));
	if (strncasecmp(auth, "Basic ", 6) != 0 ||
	    roger_registry_b64_decode(&plain, &n, auth + 6, strlen(auth + 6)) <
		    0)
		return false;
	colon = memchr(plain, ':', n);
	if (colon)
		ok = token_is(R, colon + 1, n - (size_t)(colon + 1 - plain));
	explicit_bzero(plain, n);
	free(plain);
	return ok;
}

/* ---- uploads ------------------------------------------------------------- */

/* The signed state of upload `uuid` at `offset`: 32 hex digits. */
static void upload_state(char out[33], const struct roger_local_registry *R,
			 const char *uuid, uint64_t offset)
{
	char text[160], d[ROGER_DIGEST_SIZE];

	snprintf(text, sizeof(text), "%s:%s:%llu", R->secret, uuid,
		 (unsigned long long)offset);
	roger_digest_of(d, text, strlen(text));
	memcpy(out, hex_of(d), 32);
	out[32] = '\0';
	explicit_bzero(text, sizeof(text));
}

static void set_location(struct roger_registry_resp *rs,
			 const struct roger_registry_req *rq, const char *fmt,
			 ...) __attribute__((format(printf, 3, 4)));
static void set_location(struct roger_registry_resp *rs,
			 const struct roger_registry_req *rq, const char *fmt,
			 ...)
{
	struct roger_buf b = ROGER_BUF_INIT;
	va_list ap;

	roger_buf_addf(&b, "http://%s", rq->host ? rq->host : "127.0.0.1");
	va_start(ap, fmt);
	roger_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	header(rs, "Location", b.buf);
	roger_buf_release(&b);
}

/* 202 (or 204) with the session's Location, Range and uuid. */
static void upload_answer(const struct roger_local_registry *R,
			  const struct roger_registry_req *rq,
			  struct roger_registry_resp *rs, const char *name,
			  const char *uuid, uint64_t size, int status)
{
	char state[33], range[48];

	upload_state(state, R, uuid, size);
	set_location(rs, rq, "/v2/%s/blobs/uploads/%s?_state=%s", name, uuid,
		     state);
	snprintf(range, sizeof(range), "0-%llu",
		 (unsigned long long)(size ? size - 1 : 0));
	header(rs, "Range", range);
	header(rs, "Docker-Upload-Uuid", uuid);
	rs->status = status;
}

static void start_upload(const struct roger_local_registry *R,
			 const struct roger_registry_req *rq,
			 struct roger_registry_resp *rs, const char *name)
{
	char uuid[ROGER_UUID_LEN + 1];
	const char *mount = query(rq, "mount"), *from = query(rq, "from");

	if (mount && from && roger_digest_valid(mount) &&
	    roger_image_repository_valid(from) && blob_linked(R, from, mount)) {
		if (link_blob(R, name, mount) < 0) {
			fail(rs, 500, "UNKNOWN", "unknown error", NULL);
			return;
		}
		set_location(rs, rq, "/v2/%s/blobs/%s", name, mount);
		header(rs, "Docker-Content-Digest", mount);
		rs->status = 201;
		return;
	}
	roger_uuid(uuid);
	if (store_file(path_of(R, "uploads/%s/repo", uuid), name,
		       strlen(name)) < 0 ||
	    store_file(path_of(R, "uploads/%s/data", uuid), "", 0) < 0) {
		fail(rs, 500, "UNKNOWN", "unknown error", NULL);
		return;
	}
	upload_answer(R, rq, rs, name, uuid, 0, 202);
}

static void cancel_upload(const struct roger_local_registry *R,
			  const char *uuid)
{
	char *dir = path_of(R, "uploads/%s", uuid);

	if (dir)
		roger_fs_remove_tree(dir, NULL);
	free(dir);
}

/* Append the request body to the upload's data; 0, or -1. */
static int append_body(const struct roger_registry_req *rq, int fd)
{
	if (rq->body_fd >= 0) {
		char buf[65536];
		ssize_t n;

		if (lseek(rq->body_fd, 0, SEEK_SET) < 0)
			return -1;
		while ((n = read(rq->body_fd, buf, sizeof(buf))) > 0)
			if (roger_write_all(fd, buf, (size_t)n) < 0)
				return -1;
		return n < 0 ? -1 : 0;
	}
	return rq->body_len ? roger_write_all(fd, rq->body, rq->body_len) : 0;
}

/* The SHA-256 of a file, "sha256:..." into out. */
static int file_digest(char *out, int fd)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int len = 0;
	ssize_t n = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    lseek(fd, 0, SEEK_SET) < 0) {
		EVP_MD_CTX_free(md);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(md, buf, (size_t)n);
	EVP_DigestFinal_ex(md, d, &len);
	EVP_MD_CTX_free(md);
	if (n < 0)
		return -1;
	memcpy(out, "sha256:", 7);
	for (unsigned int i = 0; i < 32 && i < len; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", d[i]);
	return 0;
}

static void upload(const struct roger_local_registry *R,
		   const struct roger_registry_req *rq,
		   struct roger_registry_resp *rs, const char *name,
		   const char *uuid)
{
	char *data = path_of(R, "uploads/%s/data", uuid);
	char *repo = path_of(R, "uploads/%s/repo", uuid), *blob = NULL;
	struct roger_buf owner = ROGER_BUF_INIT;
	char state[33], digest[ROGER_DIGEST_SIZE];
	const char *given = query(rq, "_state"), *want;
	struct stat st;
	int fd = -1;

	if (!data || !repo || roger_fs_read_file(&owner, repo, NULL) < 0 ||
	    strcmp(owner.buf, name) != 0 || lstat(data, &st) < 0) {
		fail(rs, 404, "BLOB_UPLOAD_UNKNOWN",
		     "blob upload unknown to registry", json_object());
		goto out;
	}
	if (!strcmp(rq->method, "DELETE")) {
		cancel_upload(R, uuid);
		rs->status = 204;
		goto out;
	}
	if (!strcmp(rq->method, "GET")) {
		upload_answer(R, rq, rs, name, uuid, (uint64_t)st.st_size, 204);
		goto out;
	}
	if (strcmp(rq->method, "PATCH") && strcmp(rq->method, "PUT")) {
		page_not_found(rs);
		goto out;
	}
	upload_state(state, R, uuid, (uint64_t)st.st_size);
	if (!given || strcmp(given, state) != 0) {
		/* A stale Location: 2.8 ends the upload. */
		cancel_upload(R, uuid);
		fail(rs, 404, "BLOB_UPLOAD_INVALID", "blob upload invalid",
		     NULL);
		goto out;
	}
	if (!strcmp(rq->method, "PATCH") && rq->content_type &&
	    *rq->content_type &&
	    strcasecmp(rq->content_type, "application/octet-stream") != 0) {
		fail(rs, 500, "UNKNOWN", "unknown error", json_object());
		goto out;
	}
	fd = open(data, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || append_body(rq, fd) < 0 || fstat(fd, &st) < 0) {
		fail(rs, 500, "UNKNOWN", "unknown error", json_object());
		goto out;
	}
	if (!strcmp(rq->method, "PATCH")) {
		upload_answer(R, rq, rs, name, uuid, (uint64_t)st.st_size, 202);
		goto out;
	}
	want = query(rq, "digest");
	if (!want) {
		digest_invalid(rs, json_string("digest missing"));
		goto out;
	}
	if (file_digest(digest, fd) < 0) {
		fail(rs, 500, "UNKNOWN", "unknown error", json_object());
		goto out;
	}
	if (strcmp(want, digest) != 0) {
		digest_invalid(
			rs, json_pack("{s:s,s:{}}", "Digest", want, "Reason"));
		goto out;
	}
	blob = path_of(R, "blobs/sha256/%s", hex_of(digest));
	if (!blob || (store_file(strdup(blob), "", 0) < 0) ||
	    rename(data, blob) < 0 || link_blob(R, name, digest) < 0) {
		fail(rs, 500, "UNKNOWN", "unknown error", json_object());
		goto out;
	}
	cancel_upload(R, uuid);
	set_location(rs, rq, "/v2/%s/blobs/%s", name, digest);
	header(rs, "Docker-Content-Digest", digest);
	rs->status = 201;
out:
	if (fd >= 0)
		close(fd);
	roger_buf_release(&owner);
	free(data);
	free(repo);
	free(blob);
}

/* ---- blobs and manifests ------------------------------------------------- */

static void blob(const struct roger_local_registry *R,
		 const struct roger_registry_req *rq,
		 struct roger_registry_resp *rs, const char *name,
		 const char *digest)
{
	char etag[ROGER_DIGEST_SIZE + 2], *path;

	if (!roger_digest_valid(digest)) {
		digest_invalid(rs, json_object());
		return;
	}
	if (!strcmp(rq->method, "DELETE")) {
		unsupported(rs);
		return;
	}
	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
		page_not_found(rs);
		return;
	}
	path = path_of(R, "blobs/sha256/%s", hex_of(digest));
	if (!blob_linked(R, name, digest) || !path ||
	    (rs->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		free(path);
		fail(rs, 404, "BLOB_UNKNOWN", "blob unknown to registry",
		     json_string(digest));
		return;
	}
	free(path);
	snprintf(etag, sizeof(etag), "\"%s\"", digest);
	header(rs, "Docker-Content-Digest", digest);
	header(rs, "Etag", etag);
	header(rs, "Cache-Control", "max-age=31536000");
	rs->content_type = "application/octet-stream";
	rs->status = 200;
}

/* Whether `accept` (comma-separated, parameters ignored) names `type`. */
static bool accepts(const char *accept, const char *type)
{
	size_t tl = strlen(type);

	for (const char *p = accept; p && *p;) {
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ",;");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == tl && strncasecmp(p, type, n) == 0)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

/* Every blob (or, for an index, manifest) that `m` names and `name`
 * lacks, as MANIFEST_BLOB_UNKNOWN errors; 0 when none. */
static size_t missing_blobs(const struct roger_local_registry *R,
			    const char *name,
			    const struct roger_oci_manifest *m, json_t *errors)
{
	if (m->kind == ROGER_OCI_INDEX) {
		for (size_t i = 0; i < m->n_manifests; i++)
			if (!file_exists(path_of(
				    R,
				    "repositories/%s/_manifests/revisions/%s",
				    name, hex_of(m->manifests[i].digest))))
				json_array_append_new(
					errors,
					json_pack("{s:s,s:s,s:s}", "code",
						  "MANIFEST_UNKNOWN", "message",
						  "manifest unknown", "detail",
						  m->manifests[i].digest));
		return json_array_size(errors);
	}
	if (!blob_linked(R, name, m->config.digest))
		json_array_append_new(
			errors, json_pack("{s:s,s:s,s:s}", "code",
					  "MANIFEST_BLOB_UNKNOWN", "message",
					  "blob unknown to registry", "detail",
					  m->config.digest));
	for (size_t i = 0; i < m->n_layers; i++)
		if (!blob_linked(R, name, m->layers[i].digest))
			json_array_append_new(
				errors,
				json_pack("{s:s,s:s,s:s}", "code",
					  "MANIFEST_BLOB_UNKNOWN", "message",
					  "blob unknown to registry", "detail",
					  m->layers[i].digest));
	return json_array_size(errors);
}

static void put_manifest(const struct roger_local_registry *R,
			 const struct roger_registry_req *rq,
			 struct roger_registry_resp *rs, const char *name,
			 const char *ref)
{
	struct roger_oci_manifest *m = NULL;
	char digest[ROGER_DIGEST_SIZE], type[128];
	json_t *errors = NULL;

	if (rq->body_fd >= 0 || rq->body_len > MANIFEST_MAX) {
		fail(rs, 400, "MANIFEST_INVALID", "manifest invalid",
		     json_string("the manifest is larger than 4 MiB"));
		return;
	}
	snprintf(type, sizeof(type), "%.*s",
		 (int)strcspn(rq->content_type ? rq->content_type : "", ";"),
		 rq->content_type ? rq->content_type : "");
	if (!*type || !strcmp(type, "application/json") ||
	    roger_oci_manifest_parse(&m, type, rq->body ? rq->body : "",
				     rq->body_len, NULL) < 0) {
		fail(rs, 400, "MANIFEST_INVALID", "manifest invalid",
		     json_object());
		return;
	}
	roger_digest_of(digest, rq->body ? rq->body : "", rq->body_len);
	if (strncmp(ref, "sha256:", 7) == 0 && strcmp(ref, digest) != 0) {
		digest_invalid(rs, NULL);
		goto out;
	}
	errors = json_array();
	if (missing_blobs(R, name, m, errors) > 0) {
		json_t *doc = json_pack("{s:O}", "errors", errors);
		char *text = json_dumps(doc, JSON_COMPACT);

		roger_buf_reset(&rs->body);
		if (text)
			roger_buf_adds(&rs->body, text);
		free(text);
		json_decref(doc);
		rs->status = 400;
		rs->content_type = JSON_TYPE;
		goto out;
	}
	if (store_file(path_of(R, "blobs/sha256/%s", hex_of(digest)),
		       rq->body ? rq->body : "", rq->body_len) < 0 ||
	    store_file(path_of(R, "repositories/%s/_manifests/revisions/%s",
			       name, hex_of(digest)),
		       type, strlen(type)) < 0 ||
	    (strncmp(ref, "sha256:", 7) != 0 &&
	     store_file(path_of(R, "repositories/%s/_manifests/tags/%s", name,
				ref),
			digest, strlen(digest)) < 0)) {
		fail(rs, 500, "UNKNOWN", "unknown error", json_object());
		goto out;
	}
	set_location(rs, rq, "/v2/%s/manifests/%s", name, digest);
	header(rs, "Docker-Content-Digest", digest);
	rs->status = 201;
out:
	json_decref(errors);
	roger_oci_manifest_free(m);
}

static void get_manifest(const struct roger_local_registry *R,
			 const struct roger_registry_req *rq,
			 struct roger_registry_resp *rs, const char *name,
			 const char *ref)
{
	struct roger_buf text = ROGER_BUF_INIT, type = ROGER_BUF_INIT;
	char digest[ROGER_DIGEST_SIZE] = "", etag[ROGER_DIGEST_SIZE + 2];
	char *path;
	bool by_tag = strncmp(ref, "sha256:", 7) != 0;

	if (!by_tag && !roger_digest_valid(ref)) {
		digest_invalid(rs, json_object());
		return;
	}
	if (by_tag) {
		path = path_of(R, "repositories/%s/_manifests/tags/%s", name,
			       ref);
		if (path && roger_fs_read_file(&text, path, NULL) == 0 &&
		    roger_digest_valid(text.buf))
			snprintf(digest, sizeof(digest), "%s", text.buf);
		free(path);
	} else {
		snprintf(digest, sizeof(digest), "%s", ref);
	}
	path = digest[0] ? path_of(R, "repositories/%s/_manifests/revisions/%s",
				   name, hex_of(digest))
			 : NULL;
	if (!path || roger_fs_read_file(&type, path, NULL) < 0) {
		free(path);
		fail(rs, 404, "MANIFEST_UNKNOWN", "manifest unknown",
		     by_tag ? json_pack("{s:s}", "Tag", ref) : json_object());
		goto out;
	}
	free(path);
	if (!strcmp(type.buf, ROGER_MT_OCI_MANIFEST) &&
	    !accepts(rq->accept, ROGER_MT_OCI_MANIFEST)) {
		fail(rs, 404, "MANIFEST_UNKNOWN",
		     "OCI manifest found, but accept header does not support OCI manifests",
		     NULL);
		goto out;
	}
	if (!strcmp(type.buf, ROGER_MT_OCI_INDEX) &&
	    !accepts(rq->accept, ROGER_MT_OCI_INDEX)) {
		fail(rs, 404, "MANIFEST_UNKNOWN",
		     "OCI index found, but accept header does not support OCI indexes",
		     NULL);
		goto out;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", digest);
	header(rs, "Docker-Content-Digest", digest);
	header(rs, "Etag", etag);
	if (rq->if_none_match && strcmp(rq->if_none_match, etag) == 0) {
		rs->status = 304;
		goto out;
	}
	path = path_of(R, "blobs/sha256/%s", hex_of(digest));
	rs->fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	free(path);
	if (rs->fd < 0) {
		fail(rs, 404, "MANIFEST_UNKNOWN", "manifest unknown",
		     json_object());
		goto out;
	}
	/* The type is kept in the response: a static string is needed. */
	rs->content_type =
		!strcmp(type.buf, ROGER_MT_DOCKER_MANIFEST)
			? ROGER_MT_DOCKER_MANIFEST
		: !strcmp(type.buf, ROGER_MT_DOCKER_LIST) ? ROGER_MT_DOCKER_LIST
		: !strcmp(type.buf, ROGER_MT_OCI_MANIFEST)
			? ROGER_MT_OCI_MANIFEST
		: !strcmp(type.buf, ROGER_MT_OCI_INDEX) ? ROGER_MT_OCI_INDEX
							: "application/json";
	rs->status = 200;
out:
	roger_buf_release(&text);
	roger_buf_release(&type);
}

/* ---- tags and catalog ---------------------------------------------------- */

static void tags(const struct roger_local_registry *R,
		 struct roger_registry_resp *rs, const char *name)
{
	char *dir = path_of(R, "repositories/%s/_manifests/tags", name);
	json_t *list = json_array(), *doc;
	struct dirent *de;
	DIR *d = dir ? opendir(dir) : NULL;
	char *text;

	free(dir);
	if (!d) {
		json_decref(list);
		fail(rs, 404, "NAME_UNKNOWN",
		     "repository name not known to registry",
		     json_pack("{s:s}", "name", name));
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			json_array_append_new(list, json_string(de->d_name));
	closedir(d);
	doc = json_pack("{s:s,s:o}", "name", name, "tags", list);
	text = json_dumps(doc, JSON_COMPACT);
	if (text)
		roger_buf_adds(&rs->body, text);
	free(text);
	json_decref(doc);
	rs->status = 200;
	rs->content_type = JSON_TYPE;
}

/* The repositories below `rel` (a directory of repositories/). */
static void walk_repos(const struct roger_local_registry *R, const char *rel,
		       json_t *out, int depth)
{
	char *dir = path_of(R, "repositories%s%s", *rel ? "/" : "", rel);
	struct dirent *de;
	DIR *d = dir && depth < 32 ? opendir(dir) : NULL;

	free(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *sub;

		if (de->d_name[0] == '.')
			continue;
		if (!strcmp(de->d_name, "_manifests")) {
			json_array_append_new(out, json_string(rel));
			continue;
		}
		if (de->d_name[0] == '_')
			continue;
		if (asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name) <
		    0)
			continue;
		walk_repos(R, sub, out, depth + 1);
		free(sub);
	}
	closedir(d);
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

static void catalog(const struct roger_local_registry *R,
		    const struct roger_registry_req *rq,
		    struct roger_registry_resp *rs)
{
	json_t *all = json_array(), *page = json_array(), *doc;
	const char *last = query(rq, "last"), *n_arg = query(rq, "n");
	long n = n_arg ? strtol(n_arg, NULL, 10) : 100;
	size_t count = 0, i;
	json_t **items;
	char *text;

	walk_repos(R, "", all, 0);
	count = json_array_size(all);
	items = calloc(count ? count : 1, sizeof(*items));
	for (i = 0; items && i < count; i++)
		items[i] = json_array_get(all, i);
	if (items)
		qsort(items, count, sizeof(*items), cmp_json_str);
	for (i = 0; items && i < count && (long)json_array_size(page) < n; i++)
		if (!last || strcmp(json_string_value(items[i]), last) > 0)
			json_array_append(page, items[i]);
	if (items && n > 0 && (long)json_array_size(page) == n && i < count) {
		char link[600];

		snprintf(link, sizeof(link),
			 "</v2/_catalog?last=%s&n=%ld>; rel=\"next\"",
			 json_string_value(json_array_get(
				 page, json_array_size(page) - 1)),
			 n);
		header(rs, "Link", link);
	}
	free(items);
	doc = json_pack("{s:o}", "repositories", page);
	text = json_dumps(doc, JSON_COMPACT);
	if (text)
		roger_buf_adds(&rs->body, text);
	free(text);
	json_decref(doc);
	json_decref(all);
	rs->status = 200;
	rs->content_type = JSON_TYPE;
}

/* ---- the handler --------------------------------------------------------- */

void roger_local_registry_handle(struct roger_local_registry *R,
				 const struct roger_registry_req *rq,
				 struct roger_registry_resp *rs)
{
	struct target t;
	const char *m = rq->method;

	header(rs, "Docker-Distribution-Api-Version", API_VERSION);
	if (!roger_local_host_ok(rq->host, R->port)) {
		fail(rs, 403, "DENIED",
		     "requested access to the resource is denied",
		     json_string(
			     "roger local's registry answers only requests for 127.0.0.1, localhost or [::1] on its port"));
		return;
	}
	if (!authorized(R, rq->authorization)) {
		fail(rs, 401, "UNAUTHORIZED", "authentication required",
		     json_null());
		header(rs, "WWW-Authenticate", "Basic realm=\"roger local\"");
		return;
	}
	t = parse_path(rq->path);
	switch (t.route) {
	case R_NONE:
		page_not_found(rs);
		break;
	case R_BASE:
		roger_buf_adds(&rs->body, "{}");
		rs->content_type = JSON_TYPE;
		rs->status = 200;
		break;
	case R_CATALOG:
		catalog(R, rq, rs);
		break;
	case R_TAGS:
		tags(R, rs, t.name);
		break;
	case R_BLOB:
		blob(R, rq, rs, t.name, t.ref);
		break;
	case R_UPLOADS:
		if (!strcmp(m, "POST"))
			start_upload(R, rq, rs, t.name);
		else
			page_not_found(rs);
		break;
	case R_UPLOAD:
		upload(R, rq, rs, t.name, t.ref);
		break;
	case R_MANIFEST:
		if (!strcmp(m, "PUT"))
			put_manifest(R, rq, rs, t.name, t.ref);
		else if (!strcmp(m, "GET") || !strcmp(m, "HEAD"))
			get_manifest(R, rq, rs, t.name, t.ref);
		else if (!strcmp(m, "DELETE"))
			unsupported(rs);
		else
			page_not_found(rs);
		break;
	}
	free(t.name);
}

int roger_local_registry_new(struct roger_local_registry **out,
			     struct roger_ctx *ctx, const char *dir, int port,
			     const char *token, struct roger_err *err)
{
	struct roger_local_registry *R = calloc(1, sizeof(*R));
	unsigned char rnd[32];
	int rc;

	if (!R)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	R->ctx = ctx;
	R->port = port;
	snprintf(R->token, sizeof(R->token), "%s", token);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		roger_uuid(R->secret); /* good enough to tell stale states */
	else
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(R->secret + 2 * i, 3, "%02x", rnd[i]);
	R->dir = strdup(dir);
	if (!R->dir) {
		free(R);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	if ((rc = roger_fs_mkdirs(dir, 0700, err)) < 0) {
		roger_local_registry_free(R);
		return rc;
	}
	/* Uploads do not survive a restart (the secret is new). */
	{
		char *up = path_of(R, "uploads"), *tmp = path_of(R, "tmp");

		if (up)
			roger_fs_remove_tree(up, NULL);
		if (tmp)
			roger_fs_remove_tree(tmp, NULL);
		if (!tmp || roger_fs_mkdirs(tmp, 0700, err) < 0) {
			free(up);
			free(tmp);
			roger_local_registry_free(R);
			return roger_err_set(
				err, ROGER_EIO,
				"cannot prepare the registry's directory '%s'",
				dir);
		}
		free(up);
		free(tmp);
	}
	*out = R;
	return 0;
}

void roger_local_registry_free(struct roger_local_registry *R)
{
	if (!R)
		return;
	if (R->daemon)
		MHD_stop_daemon(R->daemon);
	explicit_bzero(R->token, sizeof(R->token));
	explicit_bzero(R->secret, sizeof(R->secret));
	free(R->dir);
	free(R);
}

/* ---- HTTP ---------------------------------------------------------------- */

struct conn {
	char *path;
	json_t *query;
	struct roger_buf body;
	bool to_file; /* blob uploads: the body goes to a file */
	int body_fd;
	bool too_large;
	bool write_failed;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	(void)kind;
	json_array_append_new(cls, json_pack("[s,s]", key, value ? value : ""));
	return MHD_YES;
}

struct accept_acc {
	struct roger_buf b;
};

static enum MHD_Result collect_accept(void *cls, enum MHD_ValueKind kind,
				      const char *key, const char *value)
{
	struct roger_buf *b = cls;

	(void)kind;
	if (value && strcasecmp(key, "Accept") == 0) {
		if (b->len)
			roger_buf_adds(b, ", ");
		roger_buf_adds(b, value);
	}
	return MHD_YES;
}

static int open_body_file(struct roger_local_registry *R)
{
	char *tmp = path_of(R, "tmp");
	int fd = tmp ? open(tmp, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600) : -1;

	free(tmp);
	return fd;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *mc,
			     const char *url, const char *method,
			     const char *version, const char *upload_data,
			     size_t *upload_data_size, void **con_cls)
{
	struct roger_local_registry *R = cls;
	struct conn *c = *con_cls;
	struct roger_registry_req rq;
	struct roger_registry_resp rs;
	struct roger_buf accept = ROGER_BUF_INIT;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const char *k;
	json_t *v;

	(void)version;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		c->body_fd = -1;
		c->path = strdup(url);
		c->query = json_array();
		roger_buf_init(&c->body);
		MHD_get_connection_values(mc, MHD_GET_ARGUMENT_KIND,
					  collect_arg, c->query);
		c->to_file =
			strstr(url, "/blobs/uploads/") &&
			(!strcmp(method, "PATCH") || !strcmp(method, "PUT"));
		if (c->to_file) {
			c->body_fd = open_body_file(R);
			c->write_failed = c->body_fd < 0;
		}
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (c->to_file) {
			if (!c->write_failed &&
			    roger_write_all(c->body_fd, upload_data,
					    *upload_data_size) < 0)
				c->write_failed = true;
		} else if (c->body.len + *upload_data_size > MANIFEST_MAX + 1) {
			c->too_large = true;
		} else {
			roger_buf_add(&c->body, upload_data, *upload_data_size);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.path = c->path;
	rq.query = c->query;
	rq.host = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
					      MHD_HTTP_HEADER_HOST);
	rq.authorization = MHD_lookup_connection_value(
		mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	rq.content_type = MHD_lookup_connection_value(
		mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	rq.if_none_match = MHD_lookup_connection_value(
		mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	MHD_get_connection_values(mc, MHD_HEADER_KIND, collect_accept, &accept);
	rq.accept = accept.buf;
	rq.body = c->body.buf;
	rq.body_len = c->too_large ? (size_t)MANIFEST_MAX + 1 : c->body.len;
	rq.body_fd = c->body_fd;
	roger_registry_resp_init(&rs);
	if (c->write_failed) {
		header(&rs, "Docker-Distribution-Api-Version", API_VERSION);
		fail(&rs, 500, "UNKNOWN", "unknown error",
		     json_string("cannot store the request body"));
	} else {
		roger_local_registry_handle(R, &rq, &rs);
	}
	if (rs.fd >= 0) {
		struct stat st;

		fstat(rs.fd, &st);
		resp = MHD_create_response_from_fd((uint64_t)st.st_size, rs.fd);
		rs.fd = -1;
	} else {
		resp = MHD_create_response_from_buffer(rs.body.len, rs.body.buf,
						       MHD_RESPMEM_MUST_COPY);
	}
	if (!resp) {
		roger_registry_resp_release(&rs);
		roger_buf_release(&accept);
		return MHD_NO;
	}
	if (rs.content_type)
		MHD_add_response_header(resp, "Content-Type", rs.content_type);
	json_object_foreach(rs.headers, k, v)
		MHD_add_response_header(resp, k, json_string_value(v));
	ret = MHD_queue_response(mc, (unsigned)rs.status, resp);
	MHD_destroy_response(resp);
	roger_registry_resp_release(&rs);
	roger_buf_release(&accept);
	return ret;
}

static void request_done(void *cls, struct MHD_Connection *mc, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)mc;
	(void)toe;
	if (!c)
		return;
	if (c->body_fd >= 0)
		close(c->body_fd);
	free(c->path);
	json_decref(c->query);
	roger_buf_release(&c->body);
	free(c);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) ROGER_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct roger_local_registry *R = cls;
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	roger_log(R->ctx, ROGER_LOG_DEBUG, "registry http: %s", msg);
}

int roger_local_registry_listen(struct roger_local_registry *R, int port,
				int *bound, struct roger_err *err)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, rc;

	if (fd < 0)
		return roger_err_set(err, ROGER_EIO,
				     "cannot create a socket: %s",
				     strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ROGER_LOCAL_HOST, &sa.sin_addr);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc < 0 && errno == EADDRINUSE && port != 0) {
		roger_log(
			R->ctx, ROGER_LOG_NOTICE,
			"port %d of %s is taken by another program; the registry takes a free one",
			port, ROGER_LOCAL_HOST);
		sa.sin_port = 0;
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	if (rc < 0 || listen(fd, 128) < 0) {
		int e = errno;

		close(fd);
		return roger_err_set(
			err, ROGER_EIO,
			"cannot listen on %s:%d for the registry: %s",
			ROGER_LOCAL_HOST, port, strerror(e));
	}
	getsockname(fd, (struct sockaddr *)&sa, &len);
	R->port = ntohs(sa.sin_port);
	R->daemon = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION |
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			MHD_USE_ERROR_LOG,
		0, NULL, NULL, serve, R, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, R,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
		request_done, R, MHD_OPTION_CONNECTION_LIMIT, (unsigned)200,
		MHD_OPTION_END);
	if (!R->daemon) {
		close(fd);
		return roger_err_set(err, ROGER_EIO,
				     "cannot start the registry on %s:%d",
				     ROGER_LOCAL_HOST, R->port);
	}
	*bound = R->port;
	return 0;
}

/* ---- roger local's image support: the registry and the image store ------- */

int roger_local_images_start(struct roger_local *L,
			     const struct roger_local_options *o,
			     struct roger_err *err)
{
	struct roger_images_opts io;
	char *dir = roger_path_join(L->state_dir, "registry");
	char *images = roger_path_join(L->state_dir, "images");
	char own[32];
	int port = 0, rc;

	if (!dir || !images) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = roger_local_registry_new(&L->registry, L->ctx, dir, 0,
					   L->token, err)) < 0 ||
	    (rc = roger_local_registry_listen(L->registry, o->registry_port,
					      &port, err)) < 0)
		goto out;
	L->registry_port = port;
	snprintf(own, sizeof(own), "%s:%d", ROGER_LOCAL_HOST, port);
	roger_log(L->ctx, ROGER_LOG_NOTICE,
		  "roger local's registry listening on %s", own);
	memset(&io, 0, sizeof(io));
	io.dir = images;
	io.ca_file = o->ca_file;
	io.docker_config = o->registry_auth;
	io.own_registry = own;
	io.token = L->token;
	/* The fetcher's caps, per layer: 0 the defaults, UINT64_MAX none. */
	io.max_extract_bytes = o->max_extract_bytes == UINT64_MAX ? 0
			       : o->max_extract_bytes
				       ? o->max_extract_bytes
				       : ROGER_EXTRACT_DEFAULT_MAX_BYTES;
	io.max_extract_entries = o->max_extract_entries == UINT64_MAX ? 0
				 : o->max_extract_entries
					 ? o->max_extract_entries
					 : ROGER_EXTRACT_DEFAULT_MAX_ENTRIES;
	io.keep_owner = geteuid() == 0;
	rc = roger_images_new(&L->images, L->ctx, &io, err);
out:
	free(dir);
	free(images);
	return rc;
}

void roger_local_images_stop(struct roger_local *L)
{
	roger_local_registry_free(L->registry);
	L->registry = NULL;
	roger_images_free(L->images);
	L->images = NULL;
}

bool roger_local_image_refused(struct roger_local *L, const json_t *def,
			       struct roger_local_resp *rs)
{
	const char *why = roger_agent_isolation_why(L->agent);

	if (!why ||
	    !json_object_get(json_object_get(json_object_get(def, "container"),
					     "docker"),
			     "image"))
		return false;
	roger_local_resp_json(
		rs, 422,
		roger_local_invalid("Object is not valid", "/container", why));
	return true;
}

void roger_local_pull_progress(struct roger_local *L, json_t *action)
{
	const struct roger_local_app *app;
	const char *image;
	json_t *p;

	app = roger_local_app_find(
		L, json_string_value(json_object_get(action, "app")), false);
	image = app ? json_string_value(json_object_get(
			      json_object_get(
				      json_object_get(app->def, "container"),
				      "docker"),
			      "image"))
		    : NULL;
	if (image && (p = roger_images_progress(L->images, image)))
		json_object_set_new(action, "imagePull", p);
}
