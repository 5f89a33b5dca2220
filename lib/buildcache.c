/*
 * buildcache.c - the build-step cache: the paths a build command fills
 * from a few input files (node_modules from package-lock.json, .pydeps
 * from requirements.txt...), saved after a successful build and put back
 * into the next clean export with the same key, so that the command finds
 * its work done.
 *
 * Design.  The build still runs in a clean export of the commit: the
 * cache only puts back directories the command would make the same way.
 * An entry is an uncompressed tar of the paths (pax, relative to the
 * project directory, modes and times kept) named by its key, with a small
 * JSON beside it giving the tar's size and SHA-256:
 *   .roger/build-cache/<key>.tar    written first (temporary file, rename)
 *   .roger/build-cache/<key>.json   then this, which makes the entry count
 * The key hashes the command, the paths, the content of each key file and
 * the output of the version command (the tool's version: a new node or
 * npm means a new key).  A restore checks size and digest before anything
 * is extracted, and extracts through extract.c (beneath the export, by
 * descriptors, staged and renamed in at the end), so a damaged or hostile
 * entry leaves nothing behind: it is deleted, and the build runs without
 * it.  A restore also touches the tar: its mtime is the entry's last use,
 * and pruning removes the least recently used entries first until the
 * cache fits its size (build.cache.max_mb).
 *
 * In front of the tars, buildcache-hot.c keeps hot copies: the paths of
 * the last few entries used, as extracted trees under
 * $TMPDIR/roger-<euid>/build-cache (a directory of the user's own, mode
 * 0700, checked before use), moved into the export by rename(2) instead
 * of extracted, and moved back after a build that left them unchanged.
 * They are an accelerator only, never the durable copy, bound to the
 * SHA-256 of their tar, and safe to delete at any time; none are kept on
 * a tmpfs $TMPDIR.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "buf.h"
#include "buildcache.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "local/extract.h"
#include "noop.h"
#include "pack-internal.h"

#define FORMAT "roger-build-cache-1"
#define VERSION_TIMEOUT 120
#define COPY_CHUNK (256 * 1024)

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

const char *roger_build_cache_path_invalid(const char *path)
{
	const char *p = path;

	if (!*path)
		return "is empty";
	if (*path == '/')
		return "is absolute: give a path inside the project directory";
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0)
			return "has an empty component";
		if ((n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2)))
			return "has a '.' or '..' component: give a path inside the project directory";
		p += n;
		if (*p == '/' && !p[1])
			return "ends with '/'";
		if (*p == '/')
			p++;
	}
	return NULL;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static char **strv_from_json(const json_t *a)
{
	size_t n = json_array_size(a);
	char **v = calloc(n + 1, sizeof(*v));

	for (size_t i = 0; v && i < n; i++) {
		v[i] = strdup(json_string_value(json_array_get(a, i)));
		if (!v[i]) {
			free_strv(v);
			return NULL;
		}
	}
	return v;
}

int roger_build_cache_init(struct roger_build_cache *bc, const json_t *spec,
			   const char *roger_dir, struct roger_err *err)
{
	const char *version =
		json_string_value(json_object_get(spec, "version"));
	json_int_t mb = json_integer_value(json_object_get(spec, "max_mb"));

	memset(bc, 0, sizeof(*bc));
	bc->dir = roger_path_join(roger_dir, "build-cache");
	bc->paths = strv_from_json(json_object_get(spec, "paths"));
	bc->keys = strv_from_json(json_object_get(spec, "key"));
	bc->version = version && *version ? strdup(version) : NULL;
	bc->max_bytes = (uint64_t)(mb > 0 ? mb : ROGER_BUILD_CACHE_MAX_MB)
			<< 20;
	if (!bc->dir || !bc->paths || !bc->keys ||
	    (version && *version && !bc->version)) {
		roger_build_cache_release(bc);
		return nomem(err);
	}
	return 0;
}

void roger_build_cache_release(struct roger_build_cache *bc)
{
	if (!bc)
		return;
	free(bc->dir);
	free_strv(bc->paths);
	free_strv(bc->keys);
	free(bc->version);
	memset(bc, 0, sizeof(*bc));
}

static void hex(char *out, const unsigned char *md, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* ---- the key -------------------------------------------------------------- */

static void add_line(void *data, const char *line)
{
	struct roger_buf *b = data;

	roger_buf_adds(b, line);
	roger_buf_addch(b, '\n');
}

/* The SHA-256 of a regular file into `md`, or false when there is none. */
static bool key_file_digest(unsigned char *md, const char *path)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	char *buf = malloc(COPY_CHUNK);
	unsigned int len = 0;
	struct stat st;
	bool ok = false;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || !h || !buf || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || !EVP_DigestInit_ex(h, EVP_sha256(), NULL))
		goto out;
	while ((n = read(fd, buf, COPY_CHUNK)) > 0)
		EVP_DigestUpdate(h, buf, (size_t)n);
	ok = n == 0 && EVP_DigestFinal_ex(h, md, &len);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(h);
	return ok;
}

int roger_build_cache_key(struct roger_build_cache *bc, struct roger_ctx *ctx,
			  const char *command, const char *projdir,
			  struct roger_err *err)
{
	struct roger_buf text = ROGER_BUF_INIT, out = ROGER_BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char digest[65];
	int rc = 0;
	int oom = roger_buf_addf(&text, "%s\ncommand %s\n", FORMAT, command);

	for (size_t i = 0; bc->paths[i]; i++)
		oom |= roger_buf_addf(&text, "path %s\n", bc->paths[i]);
	for (size_t i = 0; bc->keys[i]; i++) {
		char *path = roger_path_join(projdir, bc->keys[i]);

		if (!path) {
			rc = nomem(err);
			goto out;
		}
		if (key_file_digest(md, path)) {
			hex(digest, md, 32);
			oom |= roger_buf_addf(&text, "key %s %s\n", bc->keys[i],
					      digest);
		} else {
			oom |= roger_buf_addf(&text, "key %s absent\n",
					      bc->keys[i]);
		}
		free(path);
	}
	if (bc->version) {
		struct roger_run_opts ro = { 0 };

		ro.command = bc->version;
		ro.dir = projdir;
		ro.timeout = VERSION_TIMEOUT;
		ro.output_fn = add_line;
		ro.output_data = &out;
		roger_info(ctx, "running '%s' for the build cache key",
			   bc->version);
		rc = roger_run_command(ctx, &ro, err);
		if (rc < 0) {
			if (rc != ROGER_EINTR)
				roger_err_prefix(err,
						 "build.cache.version '%s'",
						 bc->version);
			goto out;
		}
		oom |= roger_buf_addf(&text, "version %s\n", bc->version);
		oom |= roger_buf_add(&text, out.buf, out.len);
	}
	if (oom < 0) {
		rc = nomem(err);
		goto out;
	}
	if (!EVP_Digest(text.buf, text.len, md, &mdlen, EVP_sha256(), NULL)) {
		rc = roger_err_set(err, ROGER_ERROR, "cannot compute SHA-256");
		goto out;
	}
	hex(bc->key, md, 32);
out:
	roger_buf_release(&text);
	roger_buf_release(&out);
	return rc;
}

/* ---- entries -------------------------------------------------------------- */

static char *entry_file(const struct roger_build_cache *bc, const char *key,
			const char *ext)
{
	struct roger_buf b = ROGER_BUF_INIT;

	roger_buf_addf(&b, "%s/%s.%s", bc->dir, key, ext);
	return roger_buf_detach(&b, NULL);
}

int roger_build_cache_entry_parse(char *sha256, uint64_t *size,
				  const char *text, size_t len,
				  struct roger_err *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr);
	const char *sha = json_string_value(json_object_get(doc, "sha256"));
	json_t *sz = json_object_get(doc, "size");
	int rc = 0;

	if (!doc)
		return roger_err_set(err, ROGER_EINVALID, "line %d: %s",
				     jerr.line, jerr.text);
	if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		rc = roger_err_set(err, ROGER_EINVALID, "no valid 'sha256'");
	else if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		rc = roger_err_set(err, ROGER_EINVALID, "no valid 'size'");
	if (rc == 0) {
		memcpy(sha256, sha, 65);
		*size = (uint64_t)json_integer_value(sz);
	}
	json_decref(doc);
	return rc;
}

/* Whether the tar at `path` has `size` bytes and SHA-256 `sha`. */
static bool tar_whole(const char *path, const char *sha, uint64_t size)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	char *buf = malloc(COPY_CHUNK);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char actual[65] = "";
	uint64_t total = 0;
	ssize_t n = -1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && h && buf && EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
		while ((n = read(fd, buf, COPY_CHUNK)) > 0) {
			EVP_DigestUpdate(h, buf, (size_t)n);
			total += (uint64_t)n;
		}
		if (n == 0 && EVP_DigestFinal_ex(h, md, &len))
			hex(actual, md, 32);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(h);
	return total == size && !strcmp(actual, sha);
}

bool roger_build_cache_entry_sha(char *sha, const struct roger_build_cache *bc,
				 const char *key)
{
	struct roger_buf text = ROGER_BUF_INIT;
	char *tar = entry_file(bc, key, "tar");
	char *json = entry_file(bc, key, "json");
	uint64_t size = 0;
	struct stat st;
	bool ok = tar && json && roger_fs_read_file(&text, json, NULL) == 0 &&
		  roger_build_cache_entry_parse(sha, &size, text.buf, text.len,
						NULL) == 0 &&
		  lstat(tar, &st) == 0 && S_ISREG(st.st_mode) &&
		  (uint64_t)st.st_size == size;

	roger_buf_release(&text);
	free(tar);
	free(json);
	return ok;
}

void roger_build_cache_touch(const struct roger_build_cache *bc)
{
	char *tar = entry_file(bc, bc->key, "tar");

	if (tar)
		utimensat(AT_FDCWD, tar, NULL, AT_SYMLINK_NOFOLLOW);
	free(tar);
}

static void discard(const char *tar, const char *json)
{
	unlink(json);
	unlink(tar);
}

int roger_build_cache_restore(bool *restored, struct roger_buf *note,
			      struct roger_build_cache *bc,
			      struct roger_ctx *ctx, const char *projdir,
			      struct roger_err *err)
{
	struct roger_extract_opts eo = { 0 };
	struct roger_err xerr = ROGER_ERR_INIT;
	struct roger_buf text = ROGER_BUF_INIT;
	struct archive *ar = NULL;
	char *tar = entry_file(bc, bc->key, "tar");
	char *json = entry_file(bc, bc->key, "json");
	char sha[65];
	uint64_t size = 0;
	int fd = -1, rc = 0;

	*restored = false;
	if (!tar || !json) {
		rc = nomem(err);
		goto out;
	}
	if (roger_fs_read_file(&text, json, NULL) < 0)
		goto out; /* no entry: a miss */
	if (roger_build_cache_entry_parse(sha, &size, text.buf, text.len,
					  &xerr) < 0) {
		roger_buf_addf(
			note,
			"build cache entry '%s' is damaged (%s), building without it",
			json, xerr.msg);
		discard(tar, json);
		goto out;
	}
	if (!tar_whole(tar, sha, size)) {
		roger_buf_addf(
			note,
			"build cache entry '%s' is damaged, building without it",
			tar);
		discard(tar, json);
		goto out;
	}
	fd = open(projdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ar = archive_read_new();
	if (!ar) {
		rc = nomem(err);
		goto out;
	}
	if (fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot open '%s': %s",
				   projdir, strerror(errno));
		goto out;
	}
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, tar, COPY_CHUNK) != ARCHIVE_OK) {
		roger_buf_addf(
			note,
			"cannot read build cache entry '%s' (%s), building without it",
			tar, archive_error_string(ar));
		discard(tar, json);
		goto out;
	}
	eo.name = tar;
	roger_debug(ctx, "restoring '%s' into '%s'", tar, projdir);
	rc = roger_extract(NULL, fd, ar, &eo, &xerr);
	if (rc == ROGER_ENOMEM || rc == ROGER_EINTR) {
		if (err)
			*err = xerr;
		goto out;
	}
	if (rc < 0) {
		roger_buf_addf(
			note,
			"build cache entry '%s' cannot be restored (%s), building without it",
			tar, xerr.msg);
		discard(tar, json);
		rc = 0;
		goto out;
	}
	utimensat(AT_FDCWD, tar, NULL, 0); /* its last use, for pruning */
	*restored = true;
out:
	if (ar)
		archive_read_free(ar);
	if (fd >= 0)
		close(fd);
	roger_buf_release(&text);
	free(tar);
	free(json);
	return rc;
}

/* ---- saving ------------------------------------------------------------- */

struct tar_out {
	int fd;
	const char *path;
	EVP_MD_CTX *md;
	uint64_t size;
	int write_errno;
};

static la_ssize_t tar_write(struct archive *a, void *data, const void *buf,
			    size_t len)
{
	struct tar_out *t = data;
	const char *p = buf;
	size_t left = len;

	(void)a;
	while (left) {
		ssize_t n = write(t->fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			t->write_errno = errno;
			archive_set_error(a, errno, "%s", strerror(errno));
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	EVP_DigestUpdate(t->md, buf, len);
	t->size += len;
	return (la_ssize_t)len;
}

struct saver {
	struct archive *ar;
	struct archive_entry *entry;
	struct roger_buf rel; /* path relative to the project directory */
	const char *projdir;
	char *buf;
};

static int save_fail(struct saver *s, struct roger_err *err)
{
	return roger_err_set(err, ROGER_EIO,
			     "cannot write the build cache entry ('%s'): %s",
			     s->rel.buf, archive_error_string(s->ar));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void roger_build_cache_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int roger_build_cache_list_dir(char ***out, size_t *count, int fd)
{
	char **names = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de = NULL;
	int dfd = dup(fd), e;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

	if (!d) {
		e = errno;
		if (dfd >= 0)
			close(dfd);
		errno = e;
		return -1;
	}
	for (;;) {
		errno = 0; /* readdir's end and its failure look alike */
		de = readdir(d);
		if (!de)
			break;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == alloc) {
			size_t na = alloc ? 2 * alloc : 32;
			char **v = realloc(names, na * sizeof(*v));

			if (!v)
				break;
			names = v;
			alloc = na;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			break;
		n++;
	}
	e = de ? ENOMEM : errno;
	closedir(d);
	if (e) {
		roger_build_cache_free_names(names, n);
		errno = e;
		return -1;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	*count = n;
	return 0;
}

static int save_tree(struct saver *s, int dirfd, const char *name,
		     struct roger_err *err);

static int save_dir_entries(struct saver *s, int fd, struct roger_err *err)
{
	char **names = NULL;
	size_t n = 0, base = s->rel.len;
	int rc = 0;

	if (roger_build_cache_list_dir(&names, &n, fd) < 0) {
		if (errno == ENOMEM)
			return nomem(err);
		return roger_err_set(err, ROGER_EIO, "cannot read '%s/%s': %s",
				     s->projdir, s->rel.buf, strerror(errno));
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		roger_buf_addch(&s->rel, '/');
		rc = save_tree(s, fd, names[i], err);
		roger_buf_truncate(&s->rel, base);
	}
	roger_build_cache_free_names(names, n);
	return rc;
}

static int save_file(struct saver *s, int dirfd, const char *name,
		     struct roger_err *err)
{
	ssize_t n;
	int fd, rc = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return roger_err_set(err, ROGER_EIO, "cannot read '%s/%s': %s",
				     s->projdir, s->rel.buf, strerror(errno));
	while ((n = read(fd, s->buf, COPY_CHUNK)) > 0) {
		if (archive_write_data(s->ar, s->buf, (size_t)n) != n) {
			rc = save_fail(s, err);
			break;
		}
	}
	if (n < 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot read '%s/%s': %s",
				   s->projdir, s->rel.buf, strerror(errno));
	close(fd);
	return rc;
}

/* `name` in `dirfd` (s->rel already ends with it) and all below it. */
static int save_tree(struct saver *s, int dirfd, const char *name,
		     struct roger_err *err)
{
	struct archive_entry *e = s->entry;
	char target[4096];
	struct stat st;
	int fd, rc = 0;

	if (roger_buf_adds(&s->rel, name) < 0)
		return nomem(err);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return roger_err_set(err, ROGER_EIO, "cannot read '%s/%s': %s",
				     s->projdir, s->rel.buf, strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode))
		return 0; /* sockets and the like are no build output */
	archive_entry_clear(e);
	archive_entry_copy_pathname(e, s->rel.buf);
	archive_entry_set_mode(e, st.st_mode & (S_IFMT | 0777));
	archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (S_ISREG(st.st_mode))
		archive_entry_set_size(e, st.st_size);
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

		if (n < 0)
			return roger_err_set(
				err, ROGER_EIO, "cannot read link '%s/%s': %s",
				s->projdir, s->rel.buf, strerror(errno));
		target[n] = '\0';
		archive_entry_copy_symlink(e, target);
	}
	if (archive_write_header(s->ar, e) != ARCHIVE_OK)
		return save_fail(s, err);
	if (S_ISREG(st.st_mode))
		return save_file(s, dirfd, name, err);
	if (!S_ISDIR(st.st_mode))
		return 0;
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return roger_err_set(err, ROGER_EIO, "cannot read '%s/%s': %s",
				     s->projdir, s->rel.buf, strerror(errno));
	rc = save_dir_entries(s, fd, err);
	close(fd);
	return rc;
}

/*
 * A path of build.cache ("a/b/c") from the project directory: its parent
 * directories are opened without following links, then the last name is
 * saved with all below it.  A path that does not exist is left out.
 */
static int save_path(struct saver *s, int projfd, const char *path,
		     struct roger_err *err)
{
	char *copy = strdup(path), *slash;
	int fd = dup(projfd), rc = 0;
	const char *name;

	if (!copy || fd < 0) {
		free(copy);
		if (fd >= 0)
			close(fd);
		return nomem(err);
	}
	roger_buf_reset(&s->rel);
	name = copy;
	while ((slash = strchr(name, '/'))) {
		int next;

		*slash = '\0';
		next = openat(fd, name,
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		close(fd);
		fd = next;
		if (fd < 0)
			goto out;
		roger_buf_adds(&s->rel, name);
		roger_buf_addch(&s->rel, '/');
		name = slash + 1;
	}
	if (faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		rc = save_tree(s, fd, name, err);
out:
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

struct cache_file {
	char *name;
	uint64_t size;
	int64_t used;
};

static int cmp_used(const void *a, const void *b)
{
	const struct cache_file *x = a, *y = b;

	return x->used < y->used ? -1 : x->used > y->used;
}

/* Remove least recently used entries until the total fits `max`. */
static void prune(const struct roger_build_cache *bc, uint64_t max)
{
	struct cache_file *v = NULL;
	size_t n = 0, alloc = 0;
	uint64_t total = 0;
	struct dirent *de;
	DIR *d = opendir(bc->dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct stat st;

		if (len != 68 || strcmp(de->d_name + 64, ".tar") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == alloc) {
			size_t na = alloc ? 2 * alloc : 16;
			struct cache_file *nv = realloc(v, na * sizeof(*nv));

			if (!nv)
				break;
			v = nv;
			alloc = na;
		}
		v[n].name = strndup(de->d_name, 64);
		if (!v[n].name)
			break;
		v[n].size = (uint64_t)st.st_size;
		v[n].used = roger_noop_ns(&st.st_mtim);
		total += v[n].size;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_used);
	for (size_t i = 0; i < n && total > max; i++) {
		char *tar = entry_file(bc, v[i].name, "tar");
		char *json = entry_file(bc, v[i].name, "json");

		if (tar && json) {
			discard(tar, json);
			total -= v[i].size;
		}
		free(tar);
		free(json);
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int roger_build_cache_save(struct roger_buf *note, struct roger_build_cache *bc,
			   const char *projdir, struct roger_err *err)
{
	struct saver s = { 0 };
	struct tar_out t = { -1, NULL, NULL, 0, 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *tmp = NULL, *tar = NULL, *json = NULL, *text = NULL;
	json_t *doc = NULL;
	bool renamed = false;
	char sha[65];
	int projfd = -1, rc;

	rc = roger_fs_mkdirs(bc->dir, 0755, err);
	if (rc < 0)
		return rc;
	tmp = roger_path_join(bc->dir, ".tmp-XXXXXX");
	tar = entry_file(bc, bc->key, "tar");
	json = entry_file(bc, bc->key, "json");
	s.buf = malloc(COPY_CHUNK);
	s.ar = archive_write_new();
	s.entry = archive_entry_new();
	t.md = EVP_MD_CTX_new();
	roger_buf_init(&s.rel);
	s.projdir = projdir;
	if (!tmp || !tar || !json || !s.buf || !s.ar || !s.entry || !t.md ||
	    !EVP_DigestInit_ex(t.md, EVP_sha256(), NULL)) {
		rc = nomem(err);
		goto out;
	}
	t.fd = mkostemp(tmp, O_CLOEXEC);
	if (t.fd >= 0)
		fchmod(t.fd, 0644);
	t.path = tmp;
	projfd = open(projdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t.fd < 0 || projfd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot create '%s': %s",
				   t.fd < 0 ? tmp : projdir, strerror(errno));
		goto out;
	}
	if (archive_write_set_format_pax_restricted(s.ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(s.ar, 1) != ARCHIVE_OK ||
	    archive_write_open2(s.ar, &t, NULL, tar_write, NULL, NULL) !=
		    ARCHIVE_OK) {
		rc = roger_err_set(err, ROGER_ERROR,
				   "cannot start the build cache entry: %s",
				   archive_error_string(s.ar));
		goto out;
	}
	for (size_t i = 0; rc == 0 && bc->paths[i]; i++)
		rc = save_path(&s, projfd, bc->paths[i], err);
	if (rc == 0 && archive_write_close(s.ar) != ARCHIVE_OK)
		rc = save_fail(&s, err);
	if (rc == 0 && fsync(t.fd) < 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s", tmp,
				   strerror(errno));
	if (rc < 0)
		goto out;
	if (t.size > bc->max_bytes) {
		roger_buf_addf(
			note,
			"the build cache entry would take %llu MiB, more than build.cache.max_mb: not saved",
			(unsigned long long)(t.size >> 20));
		goto out;
	}
	EVP_DigestFinal_ex(t.md, md, &mdlen);
	hex(sha, md, 32);
	doc = json_pack("{s:s,s:I}", "sha256", sha, "size", (json_int_t)t.size);
	text = doc ? json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	if (!text) {
		rc = nomem(err);
		goto out;
	}
	/* Room first, so that the new entry is never the one pruned. */
	prune(bc, bc->max_bytes - t.size);
	if (rename(tmp, tar) < 0) {
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot rename '%s' to '%s': %s", tmp, tar,
				   strerror(errno));
		goto out;
	}
	renamed = true;
	rc = roger_fs_write_atomic(json, text, strlen(text), 0644, err);
	if (rc < 0)
		unlink(tar);
out:
	if (t.fd >= 0)
		close(t.fd);
	if (t.fd >= 0 && !renamed)
		unlink(tmp);
	if (projfd >= 0)
		close(projfd);
	if (s.ar)
		archive_write_free(s.ar);
	archive_entry_free(s.entry);
	EVP_MD_CTX_free(t.md);
	roger_buf_release(&s.rel);
	free(s.buf);
	json_decref(doc);
	free(text);
	free(tmp);
	free(tar);
	free(json);
	return rc;
}
