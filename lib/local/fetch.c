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
 * can push.  Extraction refuses the whole archive at the first entry that
 * could write or point outside the sandbox (absolute names, `..`, links
 * leading out, devices), with both libarchive's ARCHIVE_EXTRACT_SECURE_*
 * checks and our own, and a final pass that resolves every symbolic link
 * the archive created.  libarchive resolves relative names against the
 * working directory, which belongs to the whole process; so extraction
 * runs on a short-lived thread that takes a private working directory with
 * unshare(CLONE_FS) and chdir()s into the destination.  Where unshare is
 * refused (some seccomp profiles), entries are named by absolute path
 * instead, with our own checks standing in for
 * ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
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
static void flog(const struct roger_fetch_opts *o, char level,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void flog(const struct roger_fetch_opts *o, char level,
		 const char *fmt, ...)
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
		return roger_err_set(err, ROGER_EINVALID, "fetch[%zu] is not an object", i);
	v = json_object_get(e, "uri");
	if (!json_is_string(v))
		return roger_err_set(err, ROGER_EINVALID, "fetch[%zu].uri is missing or not a string", i);
	out->uri = json_string_value(v);
	v = json_object_get(e, "extract");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return roger_err_set(err, ROGER_EINVALID, "fetch[%zu].extract is not a boolean", i);
		out->extract = json_is_true(v);
	}
	v = json_object_get(e, "executable");
	if (v && !json_is_null(v)) {
		if (!json_is_boolean(v))
			return roger_err_set(err, ROGER_EINVALID, "fetch[%zu].executable is not a boolean", i);
		out->executable = json_is_true(v);
	}
	v = json_object_get(e, "destPath");
	if (!v || json_is_null(v))
		v = json_object_get(e, "outputFile");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v))
			return roger_err_set(err, ROGER_EINVALID, "fetch[%zu].destPath is not a string", i);
		out->dest = json_string_value(v);
	}
check:
	if (!*out->uri)
		return roger_err_set(err, ROGER_EINVALID, "fetch[%zu].uri is empty", i);
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
		if (name[0] == '/' || has_dotdot(name) ||
		    ends_with(name, "/"))
			return roger_err_set(err, ROGER_EINVALID, "destination '%s' must be a relative file name inside the sandbox", name);
	} else {
		if (strpbrk(e->uri, "\\'"))
			return roger_err_set(err, ROGER_EINVALID, "invalid basename for URI '%s'", shown);
		start = strstr(e->uri, "://");
		start = start ? strchr(start + 3, '/') : e->uri;
		name = start ? base_name(start) : "";
		if (!*name || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0)
			return roger_err_set(err, ROGER_EINVALID, "no file name in URI '%s'", shown);
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

static int download(const struct roger_fetch_opts *o, const char *uri,
		    const char *scheme, int fd, struct roger_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "", agent[64];
	struct download d = { o, fd, 0 };
	CURLcode cc;
	CURL *c;
	long code = 0;
	int rc = 0;

	c = curl_easy_init();
	if (!c)
		return roger_err_set(err, ROGER_ENOMEM, "cannot start a download");
	curl_easy_setopt(c, CURLOPT_URL, uri);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,ftp,ftps");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp,ftps");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
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
		rc = roger_err_set(err, ROGER_EIO, "cannot write the download: %s", strerror(d.write_errno));
	} else if (cc != CURLE_OK) {
		rc = roger_err_set(err, ROGER_ENET, "Error downloading resource: %s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (strncmp(scheme, "http", 4) == 0) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code < 200 || code >= 300)
			rc = roger_err_set(err, ROGER_EHTTP, "Error downloading resource, received HTTP return code %ld", code);
	}
	curl_easy_cleanup(c);
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
		return roger_err_set(err, errno == ENOENT ? ROGER_ENOTFOUND : ROGER_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = roger_err_set(err, ROGER_EIO, "'%s' is not a regular file", path);
		goto out;
	}
	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = roger_err_set(err, ROGER_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (roger_write_all(fd, buf, (size_t)n) < 0) {
			rc = roger_err_set(err, ROGER_EIO, "cannot write the copy of '%s': %s", path, strerror(errno));
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
static int open_temp(char **tmp, const char *dest, struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	const char *base = base_name(dest);
	int fd;

	if (roger_buf_add(&b, dest, (size_t)(base - dest)) < 0 ||
	    roger_buf_addf(&b, ".%s.fetch-XXXXXX", base) < 0) {
		roger_buf_release(&b);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	fd = mkostemp(b.buf, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		roger_buf_release(&b);
		return roger_err_set(err, ROGER_EIO, "cannot create a file beside '%s': %s", dest, strerror(e));
	}
	fchmod(fd, 0644);
	*tmp = roger_buf_detach(&b, NULL);
	return fd;
}

/* Download or copy the entry's URI to `dest`, through a temporary file. */
static int get_uri(const struct roger_fetch_opts *o, const char *uri,
		   const char *shown, const char *dest, struct roger_err *err)
{
	char scheme[16];
	const char *local = NULL;
	char *tmp = NULL;
	int fd, rc;

	uri_scheme(uri, scheme, sizeof(scheme));
	if (strcmp(scheme, "file") == 0) {
		local = uri + strlen("file://");
		if (roger_starts_with(local, "localhost/"))
			local += strlen("localhost");
	} else if (!*scheme) {
		local = uri;
	} else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0 &&
		   strcmp(scheme, "ftp") != 0 && strcmp(scheme, "ftps") != 0) {
		return roger_err_set(err, ROGER_EINVALID, "unsupported URI scheme '%s'", scheme);
	}
	if (local && local[0] != '/')
		return roger_err_set(err, ROGER_EINVALID, "'%s' is not an absolute path, and roger local has no frameworks home to resolve it in", local);

	fd = open_temp(&tmp, dest, err);
	if (fd < 0)
		return fd;
	if (local) {
		flog(o, 'I', "Copying resource from '%s' to '%s'", local, dest);
		rc = copy_local(o, local, fd, err);
	} else {
		flog(o, 'I', "Downloading resource from '%s' to '%s'", shown, dest);
		rc = download(o, uri, scheme, fd, err);
	}
	if (close(fd) < 0 && rc == 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s", dest, strerror(errno));
	if (rc == 0 && rename(tmp, dest) < 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot rename '%s' to '%s': %s", tmp, dest, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ---- extraction ---------------------------------------------------------- */

struct extract_job {
	const char *archive;
	const char *dir; /* canonical */
	int flags;
	roger_fetch_cancelled_fn cancelled;
	void *data;
	struct roger_err err;
	int rc;
	char **links; /* the symbolic links created, relative to dir */
	size_t n_links, alloc_links;
};

static int refuse(struct extract_job *j, const char *name, const char *why)
{
	return roger_err_set(&j->err, ROGER_EINVALID, "refusing archive '%s': entry '%s' %s", base_name(j->archive), name, why);
}

/* Whether the symbolic link `name` -> `target` (relative) leads out of the
 * archive's root when read as plain path text. */
static bool link_escapes(const char *name, const char *target)
{
	const char *p = name;
	long depth = 0;

	while (*p) {
		size_t n = strcspn(p, "/");

		if (p[n] == '\0')
			break; /* the link itself */
		if (n > 0 && !(n == 1 && p[0] == '.'))
			depth++;
		p += n + 1;
	}
	for (p = target; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return true;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return false;
}

static int check_entry(struct extract_job *j, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	const char *link = archive_entry_hardlink(e);

	if (!name || !*name)
		return refuse(j, "", "has no name");
	if (name[0] == '/')
		return refuse(j, name, "has an absolute path");
	if (has_dotdot(name))
		return refuse(j, name, "has '..' in its path");
	if (link) {
		if (link[0] == '/' || has_dotdot(link))
			return refuse(j, name, "is a hard link to a file outside the archive");
		return 0;
	}
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
	case AE_IFDIR:
		return 0;
	case AE_IFLNK:
		link = archive_entry_symlink(e);
		if (!link || !*link)
			return refuse(j, name, "is a symbolic link to nothing");
		if (link[0] == '/' || link_escapes(name, link))
			return refuse(j, name, "is a symbolic link leading out of the sandbox");
		return 0;
	default:
		return refuse(j, name, "is a device, FIFO or socket");
	}
}

static int remember_link(struct extract_job *j, const char *name)
{
	char *s;

	if (j->n_links == j->alloc_links) {
		size_t n = j->alloc_links ? 2 * j->alloc_links : 16;
		char **p = realloc(j->links, n * sizeof(*p));

		if (!p)
			return roger_err_set(&j->err, ROGER_ENOMEM, "out of memory");
		j->links = p;
		j->alloc_links = n;
	}
	s = strdup(name);
	if (!s)
		return roger_err_set(&j->err, ROGER_ENOMEM, "out of memory");
	j->links[j->n_links++] = s;
	return 0;
}

/* Resolve every symbolic link the archive made; one that leads out of the
 * directory (through other links) fails the extraction and is removed. */
static int check_links(struct extract_job *j)
{
	size_t dlen = strlen(j->dir);
	int rc = 0;

	for (size_t i = 0; i < j->n_links; i++) {
		char *full = roger_path_join(j->dir, j->links[i]);
		char *real;

		if (!full)
			return roger_err_set(&j->err, ROGER_ENOMEM, "out of memory");
		real = realpath(full, NULL);
		if (real && !(strncmp(real, j->dir, dlen) == 0 &&
			      (real[dlen] == '/' || real[dlen] == '\0'))) {
			unlink(full);
			if (rc == 0)
				rc = refuse(j, j->links[i], "is a symbolic link leading out of the sandbox");
		}
		free(real);
		free(full);
	}
	return rc;
}

static int copy_data(struct extract_job *j, struct archive *in,
		     struct archive *out, const char *name)
{
	const void *block;
	size_t size;
	la_int64_t offset;
	int r;

	for (;;) {
		if (j->cancelled && j->cancelled(j->data))
			return roger_err_set(&j->err, ROGER_EINTR, "fetch cancelled");
		r = archive_read_data_block(in, &block, &size, &offset);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return roger_err_set(&j->err, ROGER_EIO, "cannot read '%s' in '%s': %s", name, base_name(j->archive), archive_error_string(in));
		if (archive_write_data_block(out, block, size, offset) <
		    ARCHIVE_WARN)
			return roger_err_set(&j->err, ROGER_EIO, "cannot write '%s' from '%s': %s", name, base_name(j->archive), archive_error_string(out));
	}
}

/* Drop set-id, sticky and group/other write bits; keep the owner able to
 * read and write what it extracted. */
static void sanitize_perm(struct archive_entry *e)
{
	mode_t perm = archive_entry_perm(e) & 0755;

	perm |= archive_entry_filetype(e) == AE_IFDIR ? 0700 : 0600;
	archive_entry_set_perm(e, perm);
}

static int extract_entries(struct extract_job *j, struct archive *in,
			   struct archive *out, bool absolute)
{
	struct roger_buf path = ROGER_BUF_INIT;
	struct archive_entry *e;
	int r, rc = 0;

	for (;;) {
		char *name;

		r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			rc = roger_err_set(&j->err, ROGER_EIO, "cannot read '%s': %s", base_name(j->archive), archive_error_string(in));
			break;
		}
		if ((rc = check_entry(j, e)) < 0)
			break;
		name = strdup(archive_entry_pathname(e));
		if (!name) {
			rc = roger_err_set(&j->err, ROGER_ENOMEM, "out of memory");
			break;
		}
		sanitize_perm(e);
		if (archive_entry_filetype(e) == AE_IFLNK &&
		    !archive_entry_hardlink(e))
			rc = remember_link(j, name);
		if (rc == 0 && absolute) {
			roger_buf_reset(&path);
			if (roger_buf_addf(&path, "%s/%s", j->dir, name) < 0)
				rc = roger_err_set(&j->err, ROGER_ENOMEM, "out of memory");
			else
				archive_entry_set_pathname(e, path.buf);
			if (rc == 0 && archive_entry_hardlink(e)) {
				roger_buf_reset(&path);
				if (roger_buf_addf(&path, "%s/%s", j->dir, archive_entry_hardlink(e)) < 0)
					rc = roger_err_set(&j->err, ROGER_ENOMEM, "out of memory");
				else
					archive_entry_set_hardlink(e, path.buf);
			}
		}
		if (rc == 0 && archive_write_header(out, e) < ARCHIVE_WARN)
			rc = roger_err_set(&j->err, ROGER_EINVALID, "refusing archive '%s': entry '%s': %s", base_name(j->archive), name, archive_error_string(out));
		if (rc == 0 && archive_entry_size(e) > 0)
			rc = copy_data(j, in, out, name);
		if (rc == 0 && archive_write_finish_entry(out) < ARCHIVE_WARN)
			rc = roger_err_set(&j->err, ROGER_EIO, "cannot write '%s' from '%s': %s", name, base_name(j->archive), archive_error_string(out));
		free(name);
		if (rc < 0)
			break;
	}
	roger_buf_release(&path);
	return rc;
}

static void *extract_thread(void *data)
{
	struct extract_job *j = data;
	struct archive *in = NULL, *out = NULL;
	bool absolute = j->flags & ROGER_FETCH_EXTRACT_ABSOLUTE;
	int opts, rc = 0;

	if (!absolute &&
	    (unshare(CLONE_FS) < 0 || chdir(j->dir) < 0))
		absolute = true;
	in = archive_read_new();
	out = archive_write_disk_new();
	if (!in || !out) {
		rc = roger_err_set(&j->err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (ends_with(j->archive, ".zip")) {
		archive_read_support_format_zip(in);
	} else {
		archive_read_support_format_tar(in);
		archive_read_support_filter_gzip(in);
		archive_read_support_filter_bzip2(in);
		archive_read_support_filter_xz(in);
	}
	opts = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
	       ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT;
	if (!absolute)
		opts |= ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	archive_write_disk_set_options(out, opts);
	if (archive_read_open_filename(in, j->archive, 65536) != ARCHIVE_OK) {
		rc = roger_err_set(&j->err, ROGER_EIO, "cannot open archive '%s': %s", base_name(j->archive), archive_error_string(in));
		goto out;
	}
	rc = extract_entries(j, in, out, absolute);
	if (archive_write_close(out) < ARCHIVE_WARN && rc == 0)
		rc = roger_err_set(&j->err, ROGER_EIO, "cannot finish extracting '%s': %s", base_name(j->archive), archive_error_string(out));
	if (rc == 0)
		rc = check_links(j);
out:
	archive_read_free(in);
	archive_write_free(out);
	j->rc = rc;
	return NULL;
}

int roger_fetch_extract(const char *archive, const char *dir, int flags,
			roger_fetch_cancelled_fn cancelled, void *data,
			struct roger_err *err)
{
	struct extract_job j;
	pthread_t th;
	char *real;
	int rc;

	real = realpath(dir, NULL);
	if (!real)
		return roger_err_set(err, ROGER_EIO, "cannot resolve '%s': %s", dir, strerror(errno));
	memset(&j, 0, sizeof(j));
	j.archive = archive;
	j.dir = real;
	j.flags = flags;
	j.cancelled = cancelled;
	j.data = data;
	rc = pthread_create(&th, NULL, extract_thread, &j);
	if (rc != 0) {
		free(real);
		return roger_err_set(err, ROGER_ERROR, "cannot start extracting '%s': %s", archive, strerror(rc));
	}
	pthread_join(th, NULL);
	rc = j.rc;
	if (rc < 0 && err)
		*err = j.err;
	for (size_t i = 0; i < j.n_links; i++)
		free(j.links[i]);
	free(j.links);
	free(real);
	return rc;
}

/* `x.gz` (not an archive) to `x` beside it, through a temporary file. */
static int gunzip(const struct roger_fetch_opts *o, const char *path,
		  struct roger_err *err)
{
	struct archive *in = NULL;
	struct archive_entry *e;
	char *dest = NULL, *tmp = NULL;
	char buf[65536];
	int fd = -1, rc = 0;
	la_ssize_t n;

	dest = strndup(path, strlen(path) - 3);
	in = archive_read_new();
	if (!dest || !in) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	archive_read_support_format_raw(in);
	archive_read_support_filter_gzip(in);
	if (archive_read_open_filename(in, path, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(in, &e) != ARCHIVE_OK ||
	    archive_filter_code(in, 0) != ARCHIVE_FILTER_GZIP) {
		rc = roger_err_set(err, ROGER_EIO, "cannot gunzip '%s': %s", base_name(path), archive_error_string(in) ? archive_error_string(in) : "not in gzip format");
		goto out;
	}
	fd = open_temp(&tmp, dest, err);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	while ((n = archive_read_data(in, buf, sizeof(buf))) > 0) {
		if (roger_write_all(fd, buf, (size_t)n) < 0) {
			rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s", dest, strerror(errno));
			goto out;
		}
		if (is_cancelled(o)) {
			rc = roger_err_set(err, ROGER_EINTR, "fetch cancelled");
			goto out;
		}
	}
	if (n < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot gunzip '%s': %s", base_name(path), archive_error_string(in));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s", dest, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, dest) < 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot rename '%s' to '%s': %s", tmp, dest, strerror(errno));
	else
		flog(o, 'I', "Decompressed '%s' to '%s'", path, dest);
out:
	if (fd >= 0)
		close(fd);
	if (tmp && rc < 0)
		unlink(tmp);
	free(tmp);
	free(dest);
	archive_read_free(in);
	return rc;
}

static bool is_archive(const char *name)
{
	static const char *const exts[] = { ".tar",	".tgz",	   ".tar.gz",
					    ".tbz2",	".tar.bz2", ".txz",
					    ".tar.xz", ".zip" };

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (ends_with(name, exts[i]))
			return true;
	return false;
}

/* ---- the whole fetch ----------------------------------------------------- */

static int fetch_one(const struct roger_fetch_opts *o,
		     const struct fetch_entry *e, const char *shown,
		     struct roger_err *err)
{
	char *name = NULL, *dest = NULL, *slash;
	const char *base;
	int rc;

	flog(o, 'I', "Fetching URI '%s'", shown);
	if ((rc = output_name(&name, e, shown, err)) < 0)
		return rc;
	dest = roger_path_join(o->sandbox, name);
	if (!dest) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	slash = strrchr(dest, '/');
	*slash = '\0';
	rc = roger_fs_mkdirs(dest, 0755, err);
	*slash = '/';
	if (rc < 0)
		goto out;
	flog(o, 'I', "Fetching directly into the sandbox directory");
	if ((rc = get_uri(o, e->uri, shown, dest, err)) < 0)
		goto out;
	base = base_name(dest);
	if (e->executable) {
		struct stat st;

		if (stat(dest, &st) < 0 || chmod(dest, (st.st_mode & 07777) | 0111) < 0) {
			rc = roger_err_set(err, ROGER_EIO, "cannot make '%s' executable: %s", dest, strerror(errno));
			goto out;
		}
	} else if (e->extract && is_archive(base)) {
		rc = roger_fetch_extract(dest, o->sandbox, 0, o->cancelled, o->data, err);
		if (rc < 0)
			goto out;
		flog(o, 'I', "Extracted '%s' into '%s'", dest, o->sandbox);
	} else if (e->extract && ends_with(base, ".gz") && strlen(base) > 3) {
		if ((rc = gunzip(o, dest, err)) < 0)
			goto out;
	}
	flog(o, 'I', "Fetched '%s' to '%s'", shown, dest);
out:
	free(name);
	free(dest);
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
		return roger_err_set(err, ROGER_EINVALID, "fetch is not an array");
	json_array_foreach(fetch, i, v) {
		char *shown;

		if (is_cancelled(o))
			return roger_err_set(err, ROGER_EINTR, "fetch cancelled");
		if ((rc = parse_entry(&e, v, i, err)) < 0) {
			flog(o, 'E', "Failed to fetch: %s", err ? err->msg : "invalid entry");
			return rc;
		}
		shown = redact_uri(e.uri);
		if (!shown)
			return roger_err_set(err, ROGER_ENOMEM, "out of memory");
		rc = fetch_one(o, &e, shown, err);
		if (rc < 0) {
			if (err)
				roger_err_prefix(err, "Failed to fetch '%s'", shown);
			flog(o, 'E', "%s", err ? err->msg : "Failed to fetch");
		}
		free(shown);
		if (rc < 0)
			return rc;
	}
	return 0;
}
