/*
 * files.c - the agent's /files/read, /files/browse and /files/download.
 *
 * Mesos serves only the paths it "attached": each sandbox under its real
 * path, under `<work_dir>/.../runs/latest`, and (since 1.5) under the
 * virtual `/frameworks/<fid>/executors/<eid>/runs/latest`.  We do the same:
 * a request path is normalized as text ("." and ".." folded), must name a
 * known run by one of those three forms, and what it leads to is resolved
 * with realpath(3) and must still lie inside that run's sandbox.  Anything
 * else is 404 with an empty body, like a path Mesos never attached; a path
 * that leaves the sandbox through a symbolic link is 403.  So no file of
 * the machine can be read through roger local, whatever the tasks put in
 * their sandboxes.
 *
 * Statuses and bodies follow src/files/files.cpp (contract section 8.4):
 * text/plain 400s with Mesos' messages, the offset=-1 size probe, reads
 * capped at 64 KiB.  `data` carries the file's bytes as they are: like
 * Mesos we escape only what JSON requires and copy every other byte, so a
 * chunk that is not UTF-8 (binary output, or a multi-byte character cut at
 * the 64 KiB boundary) reaches the client byte for byte.  jansson would
 * refuse such a string, so the reply is written here by hand.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "local/agent-int.h"
#include "local/agent.h"

#define READ_CAP 65536 /* Mesos: 16 pages */

struct resolved {
	char *real; /* canonical path inside the sandbox */
	char *display; /* the normalized request path */
};

static void resolved_release(struct resolved *r)
{
	free(r->real);
	free(r->display);
}

static void reply_text(struct roger_agent_reply *out, int status,
		       const char *text)
{
	out->status = status;
	out->content_type = "text/plain";
	roger_buf_reset(&out->body);
	if (text && roger_buf_adds(&out->body, text) < 0)
		out->status = 500;
}

/* Split the absolute `path` into components with "." dropped and ".."
 * applied, into `parts` (pointers into `copy`).  Returns the count, or -1
 * when the path is not absolute or has too many components. */
static int normalize(char *copy, char **parts, int max)
{
	int n = 0;
	char *p = copy, *tok;

	if (*p != '/')
		return -1;
	while ((tok = strsep(&p, "/"))) {
		if (!*tok || strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			if (n > 0)
				n--;
			continue;
		}
		if (n == max)
			return -1;
		parts[n++] = tok;
	}
	return n;
}

static int join_parts(struct roger_buf *b, char **parts, int n)
{
	if (n == 0)
		return roger_buf_addch(b, '/');
	for (int i = 0; i < n; i++)
		if (roger_buf_addf(b, "/%s", parts[i]) < 0)
			return ROGER_ENOMEM;
	return 0;
}

/* The newest run of framework `fid`, executor `eid`, with container `run`
 * ("latest": any), or NULL.  Under the lock. */
static const struct roger_agent_run *find_run(const struct roger_agent *a,
					      const char *fid, const char *eid,
					      const char *run)
{
	for (const struct roger_agent_run *r = a->runs; r; r = r->next)
		if (strcmp(r->framework_id, fid) == 0 &&
		    strcmp(r->task_id, eid) == 0 &&
		    (strcmp(run, "latest") == 0 ||
		     strcmp(run, r->container_id) == 0))
			return r;
	return NULL;
}

/*
 * Map a request path to a file in a sandbox.  Returns 0, or the HTTP
 * status to answer with (404: not ours or missing; 403: leads out of its
 * sandbox; 500: out of memory).
 */
static int resolve(struct roger_agent *a, const char *path,
		   struct resolved *out)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *copy = NULL, *parts[256], *sandbox = NULL, *real = NULL;
	char **rest;
	int n, skip, status = 0;
	size_t slen;

	memset(out, 0, sizeof(*out));
	copy = strdup(path);
	if (!copy)
		return 500;
	n = normalize(copy, parts, 256);
	if (n < 0) {
		status = 404;
		goto out;
	}
	/* How many leading components are the agent's slave directory? */
	skip = -1;
	if (n >= 6 && strcmp(parts[0], "frameworks") == 0) {
		skip = 0;
	} else {
		char *sd = strdup(a->slave_dir), *sparts[64];
		int sn = sd ? normalize(sd, sparts, 64) : -1;

		if (sn >= 0 && n >= sn + 6) {
			skip = sn;
			for (int i = 0; i < sn && skip >= 0; i++)
				if (strcmp(parts[i], sparts[i]) != 0)
					skip = -1;
		}
		free(sd);
		if (!sd) {
			status = 500;
			goto out;
		}
	}
	if (skip < 0 || strcmp(parts[skip], "frameworks") != 0 ||
	    strcmp(parts[skip + 2], "executors") != 0 ||
	    strcmp(parts[skip + 4], "runs") != 0) {
		status = 404;
		goto out;
	}
	pthread_mutex_lock(&a->lock);
	{
		const struct roger_agent_run *r = find_run(
			a, parts[skip + 1], parts[skip + 3], parts[skip + 5]);

		if (r)
			sandbox = strdup(r->sandbox);
	}
	pthread_mutex_unlock(&a->lock);
	if (!sandbox) {
		status = 404;
		goto out;
	}
	rest = parts + skip + 6;
	if (roger_buf_adds(&b, sandbox) < 0 ||
	    (rest < parts + n &&
	     join_parts(&b, rest, (int)(parts + n - rest)) < 0)) {
		status = 500;
		goto out;
	}
	real = realpath(b.buf, NULL);
	if (!real) {
		status = errno == ENOMEM ? 500 : errno == EACCES ? 403 : 404;
		goto out;
	}
	slen = strlen(sandbox);
	if (strncmp(real, sandbox, slen) != 0 ||
	    (real[slen] != '\0' && real[slen] != '/')) {
		status = 403;
		goto out;
	}
	roger_buf_reset(&b);
	if (join_parts(&b, parts, n) < 0) {
		status = 500;
		goto out;
	}
	out->display = roger_buf_detach(&b, NULL);
	out->real = real;
	real = NULL;
	if (!out->display)
		status = 500;
out:
	if (status)
		resolved_release(out);
	roger_buf_release(&b);
	free(real);
	free(sandbox);
	free(copy);
	return status;
}

static void reply_resolve_error(struct roger_agent_reply *out, int status,
				const char *path)
{
	struct roger_buf b = ROGER_BUF_INIT;

	if (status == 403 &&
	    roger_buf_addf(&b, "'%s' is inaccessible.\n", path) == 0) {
		reply_text(out, 403, b.buf);
	} else {
		reply_text(out, status, NULL);
	}
	roger_buf_release(&b);
}

/*
 * A query number as Mesos' numify reads it: an optional sign and decimal
 * digits, nothing else.  Returns false when it is not one.
 */
static bool parse_number(const char *s, long long *out)
{
	const char *p = s;
	long long v = 0;
	bool neg = false;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!*p)
		return false;
	for (; *p; p++) {
		int d = *p - '0';

		if (d < 0 || d > 9 || v > (LLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? -v : v;
	return true;
}

/* Append `data` as the inside of a JSON string: escape what JSON requires,
 * copy every other byte as it is. */
static int add_json_bytes(struct roger_buf *b, const unsigned char *data,
			  size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	if (roger_buf_grow(b, len + len / 8 + 16) < 0)
		return ROGER_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = data[i];
		char esc[7];
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		esc[0] = '\\';
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		if (roger_buf_add(b, data + start, i - start) < 0 ||
		    roger_buf_add(b, esc, n) < 0)
			return ROGER_ENOMEM;
		start = i + 1;
	}
	return roger_buf_add(b, data + start, len - start);
}

static void reply_read(struct roger_agent_reply *out, const void *data,
		       size_t len, long long offset)
{
	struct roger_buf *b = &out->body;

	roger_buf_reset(b);
	if (roger_buf_adds(b, "{\"data\":\"") < 0 ||
	    add_json_bytes(b, data, len) < 0 ||
	    roger_buf_addf(b, "\",\"offset\":%lld}", offset) < 0) {
		reply_text(out, 500, NULL);
		return;
	}
	out->status = 200;
	out->content_type = "application/json";
}

/* Open a resolved file for reading: -1 with the reply set on failure. */
static int open_file(struct roger_agent_reply *out, const struct resolved *res,
		     const char *what, struct stat *st)
{
	char msg[64];
	int fd =
		open(res->real, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0) {
		reply_text(out,
			   errno == ENOENT   ? 404
			   : errno == EACCES ? 403
					     : 500,
			   NULL);
		return -1;
	}
	if (fstat(fd, st) < 0) {
		close(fd);
		reply_text(out, 500, NULL);
		return -1;
	}
	if (S_ISDIR(st->st_mode) || !S_ISREG(st->st_mode)) {
		snprintf(msg, sizeof(msg), "Cannot %s a %s.\n", what,
			 S_ISDIR(st->st_mode) ? "directory" : "special file");
		reply_text(out, 400, msg);
		close(fd);
		return -1;
	}
	return fd;
}

void roger_agent_files_read(struct roger_agent *a, const char *path,
			    const char *offset, const char *length,
			    struct roger_agent_reply *out)
{
	struct resolved res = { NULL, NULL };
	long long off = -1, len = -1;
	char msg[400], *data = NULL;
	struct stat st;
	ssize_t got;
	int fd = -1, status;

	if (!path || !*path) {
		reply_text(out, 400, "Expecting 'path=value' in query.\n");
		return;
	}
	if (offset) {
		if (!parse_number(offset, &off)) {
			snprintf(
				msg, sizeof(msg),
				"Failed to parse offset: Failed to convert '%.300s' to number.\n",
				offset);
			reply_text(out, 400, msg);
			return;
		}
		if (off < -1) {
			snprintf(msg, sizeof(msg),
				 "Negative offset provided: %lld.\n", off);
			reply_text(out, 400, msg);
			return;
		}
	}
	if (length) {
		if (!parse_number(length, &len)) {
			snprintf(
				msg, sizeof(msg),
				"Failed to parse length: Failed to convert '%.300s' to number.\n",
				length);
			reply_text(out, 400, msg);
			return;
		}
		if (len < -1) {
			snprintf(msg, sizeof(msg),
				 "Negative length provided: %lld.\n", len);
			reply_text(out, 400, msg);
			return;
		}
	}
	if ((status = resolve(a, path, &res)) != 0) {
		reply_resolve_error(out, status, path);
		return;
	}
	fd = open_file(out, &res, "read", &st);
	if (fd < 0)
		goto out;
	if (off == -1) {
		reply_read(out, "", 0, (long long)st.st_size);
		goto out;
	}
	if (off >= (long long)st.st_size || len == 0) {
		reply_read(out, "", 0, off);
		goto out;
	}
	if (len == -1 || len > (long long)st.st_size - off)
		len = (long long)st.st_size - off;
	if (len > READ_CAP)
		len = READ_CAP;
	data = malloc((size_t)len);
	if (!data) {
		reply_text(out, 500, NULL);
		goto out;
	}
	do
		got = pread(fd, data, (size_t)len, (off_t)off);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		snprintf(msg, sizeof(msg),
			 "Failed to read file at '%.300s': %s.\n", path,
			 strerror(errno));
		reply_text(out, 500, msg);
		goto out;
	}
	reply_read(out, data, (size_t)got, off);
out:
	free(data);
	if (fd >= 0)
		close(fd);
	resolved_release(&res);
}

/* "-rw-r--r--", as ls and Mesos print a mode. */
static void mode_string(char out[11], mode_t m)
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = S_ISDIR(m)    ? 'd'
		 : S_ISLNK(m)  ? 'l'
		 : S_ISCHR(m)  ? 'c'
		 : S_ISBLK(m)  ? 'b'
		 : S_ISFIFO(m) ? 'p'
		 : S_ISSOCK(m) ? 's'
			       : '-';
	for (int i = 0; i < 9; i++)
		out[i + 1] = (m & (1u << (8 - i))) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		out[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		out[9] = (m & S_IXOTH) ? 't' : 'T';
	out[10] = '\0';
}

static json_t *user_name(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096], num[32];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		return json_string(res->pw_name);
	snprintf(num, sizeof(num), "%lu", (unsigned long)uid);
	return json_string(num);
}

static json_t *group_name(gid_t gid)
{
	struct group gr, *res = NULL;
	char buf[4096], num[32];

	if (getgrgid_r(gid, &gr, buf, sizeof(buf), &res) == 0 && res)
		return json_string(res->gr_name);
	snprintf(num, sizeof(num), "%lu", (unsigned long)gid);
	return json_string(num);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The names in directory `dir`, sorted, "." and ".." left out. */
static char **list_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, alloc = 0;

	*count = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == alloc) {
			char **p = realloc(v, (alloc = alloc ? 2 * alloc : 32) *
						      sizeof(*p));

			if (!p)
				goto fail;
			v = p;
		}
		v[n] = strdup(e->d_name);
		if (!v[n])
			goto fail;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*count = n;
	return v;
fail:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return NULL;
}

/* A browse entry: stat() follows links, as Mesos does; a link leading out
 * of the sandbox is left out rather than described. */
static json_t *browse_entry(const struct resolved *res,
			    const char *sandbox_root, const char *name,
			    bool *ok)
{
	struct roger_buf full = ROGER_BUF_INIT, shown = ROGER_BUF_INIT;
	json_t *o = NULL;
	struct stat st;
	char mode[11], *real = NULL;
	size_t rlen = strlen(sandbox_root);

	if (roger_buf_addf(&full, "%s/%s", res->real, name) < 0 ||
	    roger_buf_addf(&shown, "%s%s%s", res->display,
			   strcmp(res->display, "/") ? "/" : "", name) < 0) {
		*ok = false;
		goto out;
	}
	if (stat(full.buf, &st) < 0)
		goto out;
	real = realpath(full.buf, NULL);
	if (!real || strncmp(real, sandbox_root, rlen) != 0 ||
	    (real[rlen] != '\0' && real[rlen] != '/'))
		goto out;
	mode_string(mode, st.st_mode);
	o = json_object();
	if (!o ||
	    json_object_set_new(o, "path", json_stringn(shown.buf, shown.len)) <
		    0 ||
	    json_object_set_new(o, "nlink",
				json_integer((json_int_t)st.st_nlink)) < 0 ||
	    json_object_set_new(o, "size",
				json_integer((json_int_t)st.st_size)) < 0 ||
	    json_object_set_new(o, "mtime",
				json_integer((json_int_t)st.st_mtime)) < 0 ||
	    json_object_set_new(o, "mode", json_string(mode)) < 0 ||
	    json_object_set_new(o, "uid", user_name(st.st_uid)) < 0 ||
	    json_object_set_new(o, "gid", group_name(st.st_gid)) < 0) {
		json_decref(o);
		o = NULL;
		*ok = false;
	}
out:
	free(real);
	roger_buf_release(&full);
	roger_buf_release(&shown);
	return o;
}

/* The sandbox that a resolved path lies in (new string). */
static char *sandbox_of(struct roger_agent *a, const char *real)
{
	char *s = NULL;

	pthread_mutex_lock(&a->lock);
	for (const struct roger_agent_run *r = a->runs; r && !s; r = r->next) {
		size_t n = strlen(r->sandbox);

		if (strncmp(real, r->sandbox, n) == 0 &&
		    (real[n] == '\0' || real[n] == '/'))
			s = strdup(r->sandbox);
	}
	pthread_mutex_unlock(&a->lock);
	return s;
}

void roger_agent_files_browse(struct roger_agent *a, const char *path,
			      struct roger_agent_reply *out)
{
	struct resolved res = { NULL, NULL };
	char **names = NULL, *root = NULL, *text = NULL;
	json_t *list = NULL;
	size_t n = 0;
	bool ok = true;
	int status;

	if (!path || !*path) {
		reply_text(out, 400, "Expecting 'path=value' in query.\n");
		return;
	}
	if ((status = resolve(a, path, &res)) != 0) {
		reply_resolve_error(out, status, path);
		return;
	}
	root = sandbox_of(a, res.real);
	list = json_array();
	if (!root || !list) {
		/* The run was forgotten meanwhile. */
		reply_text(out, root ? 500 : 404, NULL);
		goto out;
	}
	/* Like Mesos, browsing a file lists nothing. */
	names = list_dir(res.real, &n);
	for (size_t i = 0; i < n && ok; i++) {
		json_t *e = browse_entry(&res, root, names[i], &ok);

		if (e && json_array_append_new(list, e) < 0)
			ok = false;
	}
	text = ok ? json_dumps(list, JSON_COMPACT) : NULL;
	if (!text) {
		reply_text(out, 500, NULL);
		goto out;
	}
	roger_buf_reset(&out->body);
	if (roger_buf_adds(&out->body, text) < 0) {
		reply_text(out, 500, NULL);
		goto out;
	}
	out->status = 200;
	out->content_type = "application/json";
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(text);
	free(root);
	json_decref(list);
	resolved_release(&res);
}

void roger_agent_files_download(struct roger_agent *a, const char *path,
				struct roger_agent_reply *out)
{
	struct resolved res = { NULL, NULL };
	const char *base;
	struct stat st;
	int fd, status;

	if (!path || !*path) {
		reply_text(out, 400, "Expecting 'path=value' in query.\n");
		return;
	}
	if ((status = resolve(a, path, &res)) != 0) {
		reply_resolve_error(out, status, path);
		return;
	}
	fd = open_file(out, &res, "download", &st);
	if (fd >= 0) {
		base = strrchr(res.real, '/');
		base = base ? base + 1 : res.real;
		snprintf(out->filename, sizeof(out->filename), "%s", base);
		roger_buf_reset(&out->body);
		out->status = 200;
		out->content_type = "application/octet-stream";
		out->fd = fd;
	}
	resolved_release(&res);
}
