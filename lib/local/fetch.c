/*
 * fetch.c - the fetcher of roger local's agent.
 *
 * Before a task starts, the agent fetches its URIs into the sandbox the way
 * the Mesos fetcher does (docs/fetcher.md, src/launcher/fetcher.cpp): in
 * order; into the URI's basename (query string included, as Mesos does) or
 * Marathon's `destPath`; extracting the archive extensions Mesos knows into
 * the sandbox while keeping the archive; gunzipping a bare `.gz`; making an
 * `executable` file executable instead of extracting it.  `cache` is
 * accepted and ignored: every fetch downloads.  The fetcher's log lines go
 * to the top of the sandbox's stderr, glog-style, as in Mesos; a URI's
 * password never does.
 *
 * Everything here runs on the task's agent thread, not in a forked child:
 * the process is multi-threaded, and between fork and exec only
 * async-signal-safe calls are allowed.  Files land under a temporary name
 * beside their destination and are renamed into place when complete.
 *
 * Archives are untrusted input: an artifact can be built by anybody who
 * can push, and a sandbox may already hold what an earlier archive put
 * there.  So nothing here names a sandbox file by a path the kernel would
 * resolve through symbolic links: the destination's directory is opened
 * beneath the sandbox's descriptor (beneath.h), and archives are unpacked
 * by extract.c, which refuses the whole archive at the first entry that
 * could write or point outside the sandbox and leaves nothing of a failed
 * one behind.  Extraction is capped in bytes and entries (a gzip bomb
 * fails instead of filling the disk); a bare .gz is capped in bytes too.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "str.h"
#include "util.h"
#include "version.h"
#include "local/auth.h"
#include "local/beneath.h"
#include "local/extract.h"
#include "local/fetch.h"

struct fetch_entry {
	const char *uri;
	const char *dest; /* destPath, or NULL */
	bool extract, executable;
};

/* ---- helpers ------------------------------------------------------------- */

static bool is_cancelled(const struct roger_fetch_opts *o)
{
	return o->cancelled && o->cancelled(o->data);
}

/* One glog-style line ("I1126 02:55:37.123456  4242 fetcher] ...") on the
 * sandbox's stderr.  Failing to log never fails the fetch. */
static void flog(const struct roger_fetch_opts *o, char level, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));
static void flog(const struct roger_fetch_opts *o, char level, const char *fmt,
		 ...)
{
	struct roger_buf b = ROGER_BUF_INIT;
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (o->log_fd < 0)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	roger_buf_addf(&b, "%c%02d%02d %02d:%02d:%02d.%06ld %5ld fetcher] ",
		       level, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		       tm.tm_sec, (long)tv.tv_usec, (long)syscall(SYS_gettid));
	va_start(ap, fmt);
	roger_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	roger_buf_addch(&b, '\n');
	(void)roger_write_all(o->log_fd, b.buf, b.len);
	roger_buf_release(&b);
}

/*
 * The URI with the password of its user information masked
 * ("http://u:***@host/x"); a new string, or NULL when out of memory.
 */
static char *redact_uri(const char *uri)
{
	const char *scheme_end = strstr(uri, "://"), *auth, *at, *colon, *slash;
	struct roger_buf b = ROGER_BUF_INIT;

	if (!scheme_end)
		return strdup(uri);
	auth = scheme_end + 3;
	slash = strchr(auth, '/');
	at = strchr(auth, '@');
	if (!at || (slash && at > slash))
		return strdup(uri);
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (!colon)
		return strdup(uri);
	if (roger_buf_add(&b, uri, (size_t)(colon - uri) + 1) < 0 ||
	    roger_buf_adds(&b, "***") < 0 || roger_buf_adds(&b, at) < 0) {
		roger_buf_release(&b);
		return NULL;
	}
	return roger_buf_detach(&b, NULL);
}

/* The scheme of `uri` in lower case into `out` ("" when it has none). */
static void uri_scheme(const char *uri, char *out, size_t size)
{
	const char *end = strstr(uri, "://");
	size_t n = 0;

	out[0] = '\0';
	if (!end || end == uri)
		return;
	for (const char *p = uri; p < end; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		      c == '.'))
			return;
	}
	for (const char *p = uri; p < end && n + 1 < size; p++)
		out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	out[n] = '\0';
}

/* Whether the relative path `p` has a ".." component. */
static bool has_dotdot(const char *p)
{
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
		while (*p == '/')
			p++;
	}
	return false;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* ---- entries and names --------------------------------------------------- */

static int parse_entry(struct fetch_entry *out, const json_t *e, size_t i,
		       struct roger_err *err)
{
	const json_t *v;

	memset(out, 0, sizeof(*out));
	out->extract = true;
	if (json_is_string(e)) {
		out->uri = json_string_value(e);
		goto check;
	}
	if (!json_is_object(e))
		return roger_err_set(err, ROGER_EINVALID,
				     "fetch[%zu] is not an object", i);
	v = json_object_get(e, "uri");
	if (!json_is_string(v))
		return roger_err_set(
			err, ROGER_EINVALID,
			"fetch[%zu].uri is missing or not a string", i);
	out->uri = json_string_value(v);
	v = json_object_get(e, "extract");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return roger_err_set(
				err, ROGER_EINVALID,
				"fetch[%zu].extract is not a boolean", i);
		out->extract = json_is_true(v);
	}
	v = json_object_get(e, "executable");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return roger_err_set(
				err, ROGER_EINVALID,
				"fetch[%zu].executable is not a boolean", i);
		out->executable = json_is_true(v);
	}
	v = json_object_get(e, "destPath");
	if (!v || json_is_null(v))
		v = json_object_get(e, "outputFile");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v))
			return roger_err_set(
				err, ROGER_EINVALID,
				"fetch[%zu].destPath is not a string", i);
		out->dest = json_string_value(v);
	}
check:
	if (!*out->uri)
		return roger_err_set(err, ROGER_EINVALID,
				     "fetch[%zu].uri is empty", i);
	return 0;
}

/*
 * The path, relative to the sandbox, that the entry is fetched to: its
 * destPath, or the URI's last path segment (Mesos' Fetcher::basename:
 * everything after the last '/', query string included).
 */
static int output_name(char **out, const struct fetch_entry *e,
		       const char *shown, struct roger_err *err)
{
	const char *name, *start;
	char *s;

	if (e->dest && *e->dest) {
		name = e->dest;
		if (name[0] == '/' || has_dotdot(name) || ends_with(name, "/"))
			return roger_err_set(
				err, ROGER_EINVALID,
				"destination '%s' must be a relative file name inside the sandbox",
				name);
	} else {
		if (strpbrk(e->uri, "\\'"))
			return roger_err_set(err, ROGER_EINVALID,
					     "invalid basename for URI '%s'",
					     shown);
		start = strstr(e->uri, "://");
		start = start ? strchr(start + 3, '/') : e->uri;
		name = start ? base_name(start) : "";
		if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return roger_err_set(err, ROGER_EINVALID,
					     "no file name in URI '%s'", shown);
	}
	s = strdup(name);
	if (!s)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	*out = s;
	return 0;
}

/* ---- getting the bytes --------------------------------------------------- */

struct download {
	const struct roger_fetch_opts *o;
	int fd;
	int write_errno;
};

static size_t download_write(char *p, size_t size, size_t n, void *data)
{
	struct download *d = data;

	if (roger_write_all(d->fd, p, size * n) < 0) {
		d->write_errno = errno;
		return 0;
	}
	return size * n;
}

static int download_progress(void *data, curl_off_t dltotal, curl_off_t dlnow,
			     curl_off_t ultotal, curl_off_t ulnow)
{
	struct download *d = data;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return is_cancelled(d->o) ? 1 : 0;
}

/* The header list that authenticates to roger local itself. */
static int own_auth(struct curl_slist **out, const char *token,
		    struct roger_err *err)
{
	char h[32 + ROGER_LOCAL_TOKEN_LEN];
	struct curl_slist *list = NULL;

	if (snprintf(h, sizeof(h), "Authorization: token=%s", token) <
	    (int)sizeof(h))
		list = curl_slist_append(NULL, h);
	explicit_bzero(h, sizeof(h));
	if (!list)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	*out = list;
	return 0;
}

/* Free a header list that may hold the token, wiping it. */
static void free_headers(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static int download(const struct roger_fetch_opts *o, const char *uri,
		    const char *scheme, int fd, struct roger_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "", agent[64];
	struct download d = { o, fd, 0 };
	struct curl_slist *headers = NULL;
	CURLcode cc;
	CURL *c;
	long code = 0;
	int rc = 0;

	c = curl_easy_init();
	if (!c)
		return roger_err_set(err, ROGER_ENOMEM,
				     "cannot start a download");
	curl_easy_setopt(c, CURLOPT_URL, uri);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,ftp,ftps");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp,ftps");
	if (o->token && roger_local_url_is_own(uri, o->own_port)) {
		/* Our own store: the token, and no redirect to carry it on. */
		rc = own_auth(&headers, o->token, err);
		if (rc < 0)
			goto out;
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	} else {
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	}
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	if (o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	/* Mesos' stall timeout: give up on a transfer idle for a minute. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	snprintf(agent, sizeof(agent), "roger-local/%s", roger_version());
	curl_easy_setopt(c, CURLOPT_USERAGENT, agent);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, download_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, download_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	cc = curl_easy_perform(c);
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		rc = roger_err_set(err, ROGER_EINTR, "fetch cancelled");
	} else if (cc == CURLE_WRITE_ERROR && d.write_errno) {
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot write the download: %s",
				   strerror(d.write_errno));
	} else if (cc != CURLE_OK) {
		rc = roger_err_set(err, ROGER_ENET,
				   "Error downloading resource: %s",
				   errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (strncmp(scheme, "http", 4) == 0) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code < 200 || code >= 300)
			rc = roger_err_set(
				err, ROGER_EHTTP,
				"Error downloading resource, received HTTP return code %ld",
				code);
	}
out:
	curl_easy_cleanup(c);
	free_headers(headers);
	return rc;
}

static int copy_local(const struct roger_fetch_opts *o, const char *path,
		      int fd, struct roger_err *err)
{
	char buf[65536];
	struct stat st;
	int in, rc = 0;
	ssize_t n;

	in = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (in < 0)
		return roger_err_set(
			err, errno == ENOENT ? ROGER_ENOTFOUND : ROGER_EIO,
			"cannot open '%s': %s", path, strerror(errno));
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = roger_err_set(err, ROGER_EIO, "'%s' is not a regular file",
				   path);
		goto out;
	}
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot read '%s': %s", path,
					   strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (roger_write_all(fd, buf, (size_t)n) < 0) {
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot write the copy of '%s': %s",
					   path, strerror(errno));
			goto out;
		}
		if (is_cancelled(o)) {
			rc = roger_err_set(err, ROGER_EINTR, "fetch cancelled");
			goto out;
		}
	}
out:
	close(in);
	return rc;
}

/* A temporary file beside `dest`: its name into `tmp` (new string). */
/*
 * A new temporary file beside `leaf` in `dir_fd` (".<leaf>.fetch-XXXXXX"):
 * its name into `tmp` (NAME_MAX + 1 bytes) and its descriptor returned.
 */
static int open_temp(char *tmp, int dir_fd, const char *leaf, const char *dest,
		     struct roger_err *err)
{
	char prefix[NAME_MAX + 1];
	int fd;

	/* Room for the suffix within NAME_MAX, whatever the name's length. */
	snprintf(prefix, sizeof(prefix), ".%.*s.fetch-", NAME_MAX - 20, leaf);
	fd = roger_beneath_create_temp(dir_fd, prefix, false, 0600, tmp,
				       NAME_MAX + 1);
	if (fd < 0)
		return roger_err_set(err, ROGER_EIO,
				     "cannot create a file beside '%s': %s",
				     dest, strerror(errno));
	return fd;
}

/* Rename the complete temporary file `tmp` to `leaf`, in `dir_fd`; the
 * temporary file is removed on failure. */
static int finish_temp(int fd, int dir_fd, const char *tmp, const char *leaf,
		       const char *dest, mode_t mode, int rc,
		       struct roger_err *err)
{
	if (rc == 0 && fchmod(fd, mode) < 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				   dest, strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				   dest, strerror(errno));
	if (rc == 0 && renameat(dir_fd, tmp, dir_fd, leaf) < 0)
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot rename '%s' to '%s': %s", tmp, dest,
				   strerror(errno));
	if (rc < 0)
		unlinkat(dir_fd, tmp, 0);
	return rc;
}

/* Download or copy the entry's URI to `leaf` in `dir_fd` (`dest` is its
 * path, for messages), through a temporary file. */
static int get_uri(const struct roger_fetch_opts *o,
		   const struct fetch_entry *e, const char *shown, int dir_fd,
		   const char *leaf, const char *dest, struct roger_err *err)
{
	char scheme[16], tmp[NAME_MAX + 1];
	const char *uri = e->uri, *local = NULL;
	int fd, rc;

	uri_scheme(uri, scheme, sizeof(scheme));
	if (strcmp(scheme, "file") == 0) {
		local = uri + strlen("file://");
		if (roger_starts_with(local, "localhost/"))
			local += strlen("localhost");
	} else if (!*scheme) {
		local = uri;
	} else if (strcmp(scheme, "http") != 0 &&
		   strcmp(scheme, "https") != 0 && strcmp(scheme, "ftp") != 0 &&
		   strcmp(scheme, "ftps") != 0) {
		return roger_err_set(err, ROGER_EINVALID,
				     "unsupported URI scheme '%s'", scheme);
	}
	if (local && local[0] != '/')
		return roger_err_set(
			err, ROGER_EINVALID,
			"'%s' is not an absolute path, and roger local has no frameworks home to resolve it in",
			local);

	fd = open_temp(tmp, dir_fd, leaf, dest, err);
	if (fd < 0)
		return fd;
	if (local) {
		flog(o, 'I', "Copying resource from '%s' to '%s'", local, dest);
		rc = copy_local(o, local, fd, err);
	} else {
		flog(o, 'I', "Downloading resource from '%s' to '%s'", shown,
		     dest);
		rc = download(o, uri, scheme, fd, err);
	}
	/* `executable` is set before the file appears under its name. */
	return finish_temp(fd, dir_fd, tmp, leaf, dest,
			   e->executable ? 0755 : 0644, rc, err);
}

/* ---- extraction ---------------------------------------------------------- */

/* The extraction options of a fetch: its caps (0: the defaults), cancel
 * callback, and the openat2 fallback when ROGER_NO_OPENAT2 is set. */
static void extract_opts(struct roger_extract_opts *eo,
			 const struct roger_fetch_opts *o, const char *name)
{
	memset(eo, 0, sizeof(*eo));
	eo->max_bytes = o->max_extract_bytes ? o->max_extract_bytes
					     : ROGER_EXTRACT_DEFAULT_MAX_BYTES;
	eo->max_entries = o->max_extract_entries
				  ? o->max_extract_entries
				  : ROGER_EXTRACT_DEFAULT_MAX_ENTRIES;
	if (eo->max_bytes == UINT64_MAX)
		eo->max_bytes = 0;
	if (eo->max_entries == UINT64_MAX)
		eo->max_entries = 0;
	eo->max_bytes_name = "--max-extract-bytes (local.max_extract_bytes)";
	eo->max_entries_name =
		"--max-extract-entries (local.max_extract_entries)";
	eo->name = name;
	eo->cancelled = o->cancelled;
	eo->data = o->data;
	if (roger_ctx_getenv(o->ctx, "ROGER_NO_OPENAT2"))
		eo->flags |= ROGER_EXTRACT_NO_OPENAT2;
}

static int beneath_flags(const struct roger_fetch_opts *o)
{
	return roger_ctx_getenv(o->ctx, "ROGER_NO_OPENAT2")
		       ? ROGER_BENEATH_NO_OPENAT2
		       : 0;
}

/* Extract the archive open at `fd` (named `name`) beneath `root_fd`. */
static int extract_fd(struct roger_extract_stats *out, int root_fd, int fd,
		      const char *name, const struct roger_extract_opts *eo,
		      struct roger_err *err)
{
	struct archive *in = archive_read_new();
	int rc;

	if (!in)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (ends_with(name, ".zip")) {
		archive_read_support_format_zip(in);
	} else {
		archive_read_support_format_tar(in);
		archive_read_support_filter_gzip(in);
		archive_read_support_filter_bzip2(in);
		archive_read_support_filter_xz(in);
	}
	if (archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK)
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot open archive '%s': %s", name,
				   archive_error_string(in));
	else
		rc = roger_extract(out, root_fd, in, eo, err);
	archive_read_free(in);
	return rc;
}

int roger_fetch_extract(const char *archive, const char *dir,
			const struct roger_extract_opts *eo,
			struct roger_err *err)
{
	struct roger_extract_opts defaults;
	int root = -1, fd = -1, rc;

	if (!eo) {
		memset(&defaults, 0, sizeof(defaults));
		defaults.max_bytes = ROGER_EXTRACT_DEFAULT_MAX_BYTES;
		defaults.max_entries = ROGER_EXTRACT_DEFAULT_MAX_ENTRIES;
		defaults.name = base_name(archive);
		eo = &defaults;
	}
	root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return roger_err_set(err, ROGER_EIO, "cannot open '%s': %s",
				     dir, strerror(errno));
	fd = open(archive, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot open archive '%s': %s", archive,
				   strerror(errno));
	else
		rc = extract_fd(NULL, root, fd, base_name(archive), eo, err);
	if (fd >= 0)
		close(fd);
	close(root);
	return rc;
}

/* `x.gz` (not an archive) to `x` beside it, through a temporary file, up
 * to the byte cap. */
static int gunzip(const struct roger_fetch_opts *o, int dir_fd,
		  const char *leaf, const char *path, struct roger_err *err)
{
	struct roger_extract_opts eo;
	struct archive *in = NULL;
	struct archive_entry *e;
	char *dest = NULL, *out_leaf = NULL, tmp[NAME_MAX + 1], buf[65536];
	uint64_t total = 0;
	int in_fd = -1, fd = -1, rc = 0;
	la_ssize_t n;

	extract_opts(&eo, o, leaf);
	dest = strndup(path, strlen(path) - 3);
	out_leaf = strndup(leaf, strlen(leaf) - 3);
	in = archive_read_new();
	if (!dest || !out_leaf || !in) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	in_fd = openat(dir_fd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in_fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot open '%s': %s", path,
				   strerror(errno));
		goto out;
	}
	archive_read_support_format_raw(in);
	archive_read_support_filter_gzip(in);
	if (archive_read_open_fd(in, in_fd, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(in, &e) != ARCHIVE_OK ||
	    archive_filter_code(in, 0) != ARCHIVE_FILTER_GZIP) {
		rc = roger_err_set(
			err, ROGER_EIO, "cannot gunzip '%s': %s", leaf,
			archive_error_string(in) ? archive_error_string(in)
						 : "not in gzip format");
		goto out;
	}
	fd = open_temp(tmp, dir_fd, out_leaf, dest, err);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	while ((n = archive_read_data(in, buf, sizeof(buf))) > 0) {
		total += (uint64_t)n;
		if (eo.max_bytes && total > eo.max_bytes) {
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"refusing '%s': it holds more than %llu bytes, the limit set by %s",
				leaf, (unsigned long long)eo.max_bytes,
				eo.max_bytes_name);
			break;
		}
		if (roger_write_all(fd, buf, (size_t)n) < 0) {
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot write '%s': %s", dest,
					   strerror(errno));
			break;
		}
		if (is_cancelled(o)) {
			rc = roger_err_set(err, ROGER_EINTR, "fetch cancelled");
			break;
		}
	}
	if (rc == 0 && n < 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot gunzip '%s': %s",
				   leaf, archive_error_string(in));
	rc = finish_temp(fd, dir_fd, tmp, out_leaf, dest, 0644, rc, err);
	if (rc == 0)
		flog(o, 'I', "Decompressed '%s' to '%s'", path, dest);
out:
	if (in_fd >= 0)
		close(in_fd);
	free(dest);
	free(out_leaf);
	archive_read_free(in);
	return rc;
}

static bool is_archive(const char *name)
{
	static const char *const exts[] = { ".tar",    ".tgz",     ".tar.gz",
					    ".tbz2",   ".tar.bz2", ".txz",
					    ".tar.xz", ".zip" };

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (ends_with(name, exts[i]))
			return true;
	return false;
}

/* Extract the fetched archive `leaf` in `dir_fd` into the sandbox. */
static int extract_fetched(const struct roger_fetch_opts *o, int root_fd,
			   int dir_fd, const char *leaf, const char *path,
			   struct roger_err *err)
{
	struct roger_extract_opts eo;
	struct roger_extract_stats st;
	int fd, rc;

	extract_opts(&eo, o, leaf);
	fd = openat(dir_fd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return roger_err_set(err, ROGER_EIO, "cannot open '%s': %s",
				     path, strerror(errno));
	rc = extract_fd(&st, root_fd, fd, leaf, &eo, err);
	close(fd);
	if (rc == 0)
		flog(o, 'I',
		     "Extracted '%s' into '%s' (%llu entries, %llu bytes)",
		     path, o->sandbox, (unsigned long long)st.entries,
		     (unsigned long long)st.bytes);
	return rc;
}

/* ---- the whole fetch ----------------------------------------------------- */

/*
 * Fetch one entry.  Its destination (destPath or the URI's basename) is
 * opened beneath the sandbox's descriptor, its directories created,
 * without following any symbolic link: an earlier archive cannot redirect
 * a later fetch out of the sandbox.
 */
static int fetch_one(const struct roger_fetch_opts *o,
		     const struct fetch_entry *e, const char *shown,
		     struct roger_err *err)
{
	struct roger_err sub = ROGER_ERR_INIT;
	char *name = NULL, *dest = NULL, *dir = NULL, *leaf = NULL;
	int root = -1, dir_fd = -1, rc;

	flog(o, 'I', "Fetching URI '%s'", shown);
	if ((rc = output_name(&name, e, shown, err)) < 0)
		return rc;
	dest = roger_path_join(o->sandbox, name);
	if (!dest) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	root = open(o->sandbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot open the sandbox '%s': %s",
				   o->sandbox, strerror(errno));
		goto out;
	}
	rc = roger_beneath_split(&dir, &leaf, NULL, name, &sub);
	if (rc == 0)
		rc = roger_beneath_open_dir(
			&dir_fd, root, dir,
			ROGER_BENEATH_CREATE | beneath_flags(o), &sub);
	if (rc < 0) {
		rc = roger_err_set(err,
				   rc == ROGER_ENOMEM ? rc : ROGER_EINVALID,
				   "destination '%s' cannot be written: %s",
				   name, sub.msg);
		goto out;
	}
	flog(o, 'I', "Fetching directly into the sandbox directory");
	if ((rc = get_uri(o, e, shown, dir_fd, leaf, dest, err)) < 0)
		goto out;
	/* An executable file is never extracted, as in Mesos. */
	if (e->extract && !e->executable) {
		if (is_archive(leaf))
			rc = extract_fetched(o, root, dir_fd, leaf, dest, err);
		else if (ends_with(leaf, ".gz") && strlen(leaf) > 3)
			rc = gunzip(o, dir_fd, leaf, dest, err);
	}
	if (rc == 0)
		flog(o, 'I', "Fetched '%s' to '%s'", shown, dest);
out:
	if (dir_fd >= 0)
		close(dir_fd);
	if (root >= 0)
		close(root);
	free(name);
	free(dest);
	free(dir);
	free(leaf);
	return rc;
}

int roger_fetch_all(const json_t *fetch, const struct roger_fetch_opts *o,
		    struct roger_err *err)
{
	struct fetch_entry e;
	const json_t *v;
	size_t i;
	int rc = 0;

	if (!fetch || json_is_null(fetch))
		return 0;
	if (!json_is_array(fetch))
		return roger_err_set(err, ROGER_EINVALID,
				     "fetch is not an array");
	json_array_foreach(fetch, i, v) {
		char *shown;

		if (is_cancelled(o))
			return roger_err_set(err, ROGER_EINTR,
					     "fetch cancelled");
		if ((rc = parse_entry(&e, v, i, err)) < 0) {
			flog(o, 'E', "Failed to fetch: %s",
			     err ? err->msg : "invalid entry");
			return rc;
		}
		shown = redact_uri(e.uri);
		if (!shown)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		rc = fetch_one(o, &e, shown, err);
		if (rc < 0) {
			if (err)
				roger_err_prefix(err, "Failed to fetch '%s'",
						 shown);
			flog(o, 'E', "%s", err ? err->msg : "Failed to fetch");
		}
		free(shown);
		if (rc < 0)
			return rc;
	}
	return 0;
}
