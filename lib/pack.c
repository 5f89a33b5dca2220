/*
 * pack.c - `roger build` as a library call: resolve the revision, refuse or
 * accept a dirty work tree, look in the cache, run the build command in a
 * clean export, write the artifact atomically and remember it.
 *
 * The cache lives in the project's .roger/ directory (beside roger.json,
 * the directory `roger init` adds to .gitignore; a .gitignore inside it
 * keeps it out of git's sight anyway):
 *   .roger/artifacts/<sha256>.tar.gz   the artifacts, named by digest
 *   .roger/index/<key>.json            what a key built: digest, size...
 *   .roger/worktree-stamp              the last clean work tree check
 * The key is a SHA-256 over everything the bytes depend on: the format
 * version, the compressor, the packaged subtree's id and the
 * .gitattributes above it (the whole root tree and the commit id when a
 * build command runs, since it may read anything and is told the commit),
 * the project directory, the exclude patterns and the command.  Both files are
 * written through a temporary file and rename(2), the artifact before its index
 * entry, so a crash leaves at worst an artifact nobody points to.  The entry
 * also records the artifact file's inode, size and modification time when its
 * digest was taken: a hit whose file still has them is trusted as it is, and
 * only a file that changed in one of them is hashed again (a mismatch
 * removes the entry and builds again; a match records the new stat).
 * Dirty work trees are never cached: nothing names their content cheaply.
 *
 * Image layers (roger_build_opts.layer_dir) are artifacts too: the same
 * tree under a directory, every entry dated ROGER_PACK_LAYER_MTIME, so
 * their key also names the directory and that time, and their index entry
 * also records the digest of the uncompressed tar (the image config's
 * diff_id).  They are always compressed anew (the digest needs every tar
 * byte), never copied from the segments of other artifacts.
 *
 * A cached build is then mostly the work tree check, whose comparison of
 * HEAD with the index is skipped while the worktree stamp says the same
 * index matched the same HEAD; a digest that has to be computed again
 * runs on a thread of its own meanwhile.
 *
 * Cheaper still, a clean build leaves .roger/noop (noop.h): HEAD, the
 * index file and the stat data of every file the check covered.  While
 * they are all as recorded, roger_pack_build_unchanged() answers with the
 * cache entry of the recorded key without starting libgit2 (whose start
 * parses the system's CA bundle) or reading the index.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "buf.h"
#include "buildcache.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "noop.h"
#include "pack-internal.h"
#include "pack.h"
#include "project.h"
#include "repo-git.h"
#include "repo.h"
#include "seg.h"
#include "util.h"

/*
 * Changed whenever the bytes of an artifact could change (2: NFD names
 * kept; 3: segments, and a fixed mtime instead of the commit's).
 */
#define CACHE_FORMAT "roger-artifact-3"

void roger_build_opts_from_project(struct roger_build_opts *o,
				   const struct roger_project *p)
{
	o->workdir = p->workdir;
	o->subdir = p->subdir;
	o->command = p->build_command;
	o->exclude = (const char *const *)p->build_exclude;
	o->inputs = (const char *const *)p->build_inputs;
	o->timeout = p->build_timeout;
	o->cache = json_object_get(json_object_get(p->root, "build"), "cache");
}

void roger_artifact_free(struct roger_artifact *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_lfs_pointers; i++)
		free(a->lfs_pointers[i]);
	free(a->lfs_pointers);
	free(a->path);
	free(a);
}

static void hex(char *out, const unsigned char *md, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* SHA-256 of a whole file, as hex in out[65] (mapped, not copied). */
static int file_sha256(char *out, uint64_t *size, const char *path,
		       struct roger_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct stat st;
	void *map = NULL;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return roger_err_set(
			err, errno == ENOENT ? ROGER_ENOTFOUND : ROGER_EIO,
			"cannot read '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = roger_err_set(err, ROGER_EIO, "cannot read '%s'", path);
		goto out;
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			   0);
		if (map == MAP_FAILED) {
			map = NULL;
			rc = roger_err_set(err, ROGER_EIO,
					   "cannot read '%s': %s", path,
					   strerror(errno));
			goto out;
		}
		madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	}
	if (!EVP_Digest(map ? map : "", (size_t)st.st_size, md, &mdlen,
			EVP_sha256(), NULL)) {
		rc = roger_err_set(err, ROGER_ERROR, "cannot hash '%s'", path);
		goto out;
	}
	hex(out, md, mdlen);
	*size = (uint64_t)st.st_size;
out:
	if (map)
		munmap(map, (size_t)st.st_size);
	close(fd);
	return rc;
}

/* ---- what a release is made of ------------------------------------------- */

/*
 * The parts of the repository a project's artifact depends on, as paths
 * from the work tree root: the project's directory ("" at the root), the
 * .gitattributes files of the directories above it, and build.inputs made
 * relative to the root.  `export` lists what a build command's export
 * writes: the directory and the inputs, none below another.
 */
struct ident {
	char **paths;
	size_t n;
	size_t first_input; /* paths[first_input..n) are the inputs */
	char **export; /* NULL-terminated, borrowed from paths */
	size_t n_export;
};

static void ident_release(struct ident *id)
{
	for (size_t i = 0; i < id->n; i++)
		free(id->paths[i]);
	free(id->paths);
	free(id->export);
}

static int ident_add(struct ident *id, char *path, struct roger_err *err)
{
	char **v;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	v = realloc(id->paths, (id->n + 1) * sizeof(*v));
	if (!v) {
		free(path);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	id->paths = v;
	id->paths[id->n++] = path;
	return 0;
}

/*
 * `input`, relative to the project directory `subdir`, as a path from the
 * root without "." or ".." ("" for the root itself); NULL in *out for one
 * that leaves the repository or is absolute.
 */
static int input_path(char **out, const char *subdir, const char *input)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *joined, *save = NULL;
	int rc = 0;

	*out = NULL;
	if (input[0] == '/')
		return 0;
	joined = malloc(strlen(subdir) + strlen(input) + 2);
	if (!joined)
		return ROGER_ENOMEM;
	sprintf(joined, "%s%s%s", subdir, *subdir ? "/" : "", input);
	for (char *part = strtok_r(joined, "/", &save); part;
	     part = strtok_r(NULL, "/", &save)) {
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			char *slash = strrchr(b.buf, '/');

			if (!b.len)
				goto out; /* above the root */
			roger_buf_truncate(&b,
					   slash ? (size_t)(slash - b.buf) : 0);
			continue;
		}
		if ((b.len && roger_buf_addch(&b, '/') < 0) ||
		    roger_buf_adds(&b, part) < 0) {
			rc = ROGER_ENOMEM;
			goto out;
		}
	}
	*out = roger_buf_detach(&b, NULL);
	if (!*out)
		rc = ROGER_ENOMEM;
out:
	roger_buf_release(&b);
	free(joined);
	return rc;
}

/* Whether `path` is `top` or below it ("" is above everything). */
static bool path_under(const char *path, const char *top)
{
	size_t n = strlen(top);

	return !n || (!strncmp(path, top, n) && (path[n] == '/' || !path[n]));
}

static int ident_init(struct ident *id, const struct roger_build_opts *o,
		      const char *subdir, struct roger_err *err)
{
	size_t len = strlen(subdir);
	int rc;

	memset(id, 0, sizeof(*id));
	if ((rc = ident_add(id, strdup(subdir), err)) < 0)
		return rc;
	for (size_t i = 0; len && i < len; i++) {
		char *attrs;

		if (i > 0 && subdir[i] != '/')
			continue;
		attrs = malloc(i + sizeof("/.gitattributes"));
		if (!attrs)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		sprintf(attrs, "%.*s%s.gitattributes", (int)i, subdir,
			i ? "/" : "");
		if ((rc = ident_add(id, attrs, err)) < 0)
			return rc;
	}
	id->first_input = id->n;
	for (size_t i = 0; o->inputs && o->inputs[i]; i++) {
		char *path;

		if (input_path(&path, subdir, o->inputs[i]) < 0)
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		if (!path)
			return roger_err_set(
				err, ROGER_EINVALID,
				"build.inputs: '%s' is outside the repository",
				o->inputs[i]);
		if ((rc = ident_add(id, path, err)) < 0)
			return rc;
	}
	/* The export: the directory and the inputs, none below another. */
	id->export = calloc(id->n + 1, sizeof(*id->export));
	if (!id->export)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (size_t i = 0; i < id->n; i++) {
		bool covered = false;

		if (i > 0 && i < id->first_input)
			continue;
		for (size_t j = 0; j < id->n && !covered; j++)
			covered = j != i && (j == 0 || j >= id->first_input) &&
				  path_under(id->paths[i], id->paths[j]) &&
				  (strcmp(id->paths[i], id->paths[j]) || j < i);
		if (!covered)
			id->export[id->n_export++] = id->paths[i];
	}
	return 0;
}

/* The ids of the parts at the tree of `commit` (zero for an absent one). */
static int ident_oids(git_oid *out, git_repository *git,
		      const git_commit *commit, const struct ident *id,
		      struct roger_err *err)
{
	git_tree *tree = NULL;

	if (git_commit_tree(&tree, commit) < 0)
		return roger_repo_git_error(err, ROGER_ERROR, "commit tree");
	for (size_t i = 0; i < id->n; i++) {
		git_tree_entry *te = NULL;

		memset(&out[i], 0, sizeof(out[i]));
		if (!*id->paths[i])
			git_oid_cpy(&out[i], git_tree_id(tree));
		else if (git_tree_entry_bypath(&te, tree, id->paths[i]) == 0)
			git_oid_cpy(&out[i], git_tree_entry_id(te));
		else
			git_error_clear();
		git_tree_entry_free(te);
	}
	(void)git;
	git_tree_free(tree);
	return 0;
}

/*
 * The last commit that changed the parts: from `start` back along first
 * parents, the oldest commit whose parts all equal `start`'s.
 */
static int source_commit(struct roger_commit_info *out, struct roger_repo *repo,
			 const struct roger_commit_info *start,
			 const struct ident *id, struct roger_err *err)
{
	git_repository *git = roger_repo_git(repo);
	git_commit *c = NULL, *parent = NULL;
	git_oid oid, *want = NULL, *have = NULL;
	int rc;

	want = calloc(id->n, sizeof(*want));
	have = calloc(id->n, sizeof(*have));
	if (!want || !have) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (git_oid_fromstr(&oid, start->id) < 0 ||
	    git_commit_lookup(&c, git, &oid) < 0) {
		rc = roger_repo_git_error(err, ROGER_ERROR, start->id);
		goto out;
	}
	if ((rc = ident_oids(want, git, c, id, err)) < 0)
		goto out;
	/* A directory the commit does not have yet: the commit itself. */
	while (!git_oid_is_zero(&want[0]) && git_commit_parentcount(c) > 0) {
		if (git_commit_parent(&parent, c, 0) < 0) {
			/* A shallow clone ends here. */
			git_error_clear();
			break;
		}
		if ((rc = ident_oids(have, git, parent, id, err)) < 0)
			goto out;
		if (memcmp(want, have, id->n * sizeof(*have)))
			break;
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	git_oid_tostr(out->id, sizeof(out->id), git_commit_id(c));
	git_oid_tostr(out->tree, sizeof(out->tree), git_commit_tree_id(c));
	out->time = (int64_t)git_commit_time(c);
	rc = 0;
out:
	git_commit_free(parent);
	git_commit_free(c);
	free(want);
	free(have);
	return rc;
}

/* ---- the cache key ------------------------------------------------------ */

/*
 * Add the tree at `subdir` and the .gitattributes above it to `key`, and
 * with a build command (`inputs`) the ids of the inputs, the parts of
 * `id` after those.
 */
static int key_tree(struct roger_buf *key, char *tree_out,
		    struct roger_repo *repo, const struct roger_commit_info *ci,
		    const char *subdir, const struct ident *inputs,
		    struct roger_err *err)
{
	git_repository *git = roger_repo_git(repo);
	git_tree *root = NULL;
	git_tree_entry *te = NULL;
	struct roger_buf path = ROGER_BUF_INIT;
	git_oid oid;
	size_t len = strlen(subdir);
	int rc = 0;

	if (git_oid_fromstr(&oid, ci->tree) < 0 ||
	    git_tree_lookup(&root, git, &oid) < 0)
		return roger_repo_git_error(err, ROGER_ERROR, ci->tree);
	for (size_t i = inputs ? inputs->first_input : 0;
	     inputs && rc == 0 && i < inputs->n; i++) {
		const char *in = inputs->paths[i];

		if (!*in)
			rc = roger_buf_addf(key, "input / %s\n", ci->tree);
		else if (git_tree_entry_bypath(&te, root, in) == 0) {
			git_oid_tostr(tree_out, 41, git_tree_entry_id(te));
			rc = roger_buf_addf(key, "input %s %s\n", in, tree_out);
			git_tree_entry_free(te);
			te = NULL;
		} else {
			git_error_clear();
			rc = roger_err_set(
				err, ROGER_ENOTFOUND,
				"build.inputs: '%s' does not exist at commit %.12s",
				in, ci->id);
			goto out;
		}
	}
	for (size_t i = 0; rc == 0 && i <= len; i++) {
		if (i < len && subdir[i] != '/')
			continue;
		roger_buf_reset(&path);
		if (i > 0)
			roger_buf_add(&path, subdir, i);
		if (i > 0)
			roger_buf_addch(&path, '/');
		roger_buf_adds(&path, ".gitattributes");
		if (git_tree_entry_bypath(&te, root, path.buf) == 0) {
			git_oid_tostr(tree_out, 41, git_tree_entry_id(te));
			rc = roger_buf_addf(key, "attributes %s %s\n", path.buf,
					    tree_out);
			git_tree_entry_free(te);
			te = NULL;
		}
		git_error_clear();
		if (len == 0)
			break;
	}
	if (rc == 0 && len) {
		if (git_tree_entry_bypath(&te, root, subdir) < 0 ||
		    git_tree_entry_type(te) != GIT_OBJECT_TREE) {
			rc = roger_err_set(
				err, ROGER_ENOTFOUND,
				"directory '%s' does not exist at commit %.12s",
				subdir, ci->id);
			goto out;
		}
		git_oid_tostr(tree_out, 41, git_tree_entry_id(te));
	} else if (rc == 0) {
		snprintf(tree_out, 41, "%s", ci->tree);
	}
	if (rc == 0)
		rc = roger_buf_addf(key, "tree %s\n", tree_out);
	if (rc > 0)
		rc = 0;
	if (rc < 0 && rc != ROGER_ENOTFOUND)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
out:
	git_tree_entry_free(te);
	git_tree_free(root);
	roger_buf_release(&path);
	return rc;
}

static int cache_key(char *out, char *tree_out, struct roger_repo *repo,
		     const struct roger_commit_info *ci,
		     const struct roger_build_opts *o, const char *subdir,
		     const struct ident *id, struct roger_err *err)
{
	struct roger_buf key = ROGER_BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc;

	rc = roger_buf_addf(&key, "%s\ncompressor %s\nsubdir %s\n",
			    CACHE_FORMAT, roger_seg_compressor(), subdir);
	/* A build command is told the commit (ROGER_COMMIT). */
	if (rc == 0 && o->command)
		rc = roger_buf_addf(&key, "commit %s\n", ci->id);
	if (rc == 0 && o->layer_dir)
		rc = roger_buf_addf(&key, "layer %s\ntime %lld\n", o->layer_dir,
				    (long long)ROGER_PACK_LAYER_MTIME);
	if (rc == 0)
		rc = key_tree(&key, tree_out, repo, ci, subdir,
			      o->command ? id : NULL, err);
	for (size_t i = 0; rc == 0 && o->exclude && o->exclude[i]; i++)
		rc = roger_buf_addf(&key, "exclude %s\n", o->exclude[i]);
	if (rc == 0 && o->command)
		rc = roger_buf_addf(&key, "command %s\n", o->command);
	if (rc == ROGER_ENOMEM)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (rc == 0) {
		EVP_Digest(key.buf, key.len, md, &mdlen, EVP_sha256(), NULL);
		hex(out, md, mdlen);
	}
	roger_buf_release(&key);
	return rc;
}

/* ---- cache entries ------------------------------------------------------ */

struct cache {
	char *dir; /* .roger */
	char *artifacts; /* .roger/artifacts */
	char *index; /* .roger/index */
};

static void cache_release(struct cache *c)
{
	free(c->dir);
	free(c->artifacts);
	free(c->index);
}

static int cache_init(struct cache *c, const struct roger_build_opts *o,
		      const char *subdir, struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;

	if (o->cache_dir)
		roger_buf_adds(&b, o->cache_dir);
	else
		roger_buf_addf(&b, "%s%s%s/.roger", o->workdir,
			       *subdir ? "/" : "", subdir);
	c->dir = roger_buf_detach(&b, NULL);
	c->artifacts = c->dir ? roger_path_join(c->dir, "artifacts") : NULL;
	c->index = c->dir ? roger_path_join(c->dir, "index") : NULL;
	if (!c->dir || !c->artifacts || !c->index)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

static int cache_prepare(struct cache *c, struct roger_err *err)
{
	char *ignore;
	int rc;

	rc = roger_fs_mkdirs(c->artifacts, 0755, err);
	if (rc == 0)
		rc = roger_fs_mkdirs(c->index, 0755, err);
	if (rc < 0)
		return rc;
	ignore = roger_path_join(c->dir, ".gitignore");
	if (!ignore)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (!roger_fs_exists(ignore))
		rc = roger_fs_write_atomic(ignore, "*\n", 2, 0644, err);
	free(ignore);
	return rc;
}

/*
 * The stamp of the last clean work tree check (see
 * roger_repo_dirty_stamped), kept in .roger/worktree-stamp; "" when there
 * is none.  Saved only when it changed and the cache directory exists.
 */
static void stamp_load(char *stamp, const struct cache *c)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *path = roger_path_join(c->dir, "worktree-stamp");

	stamp[0] = '\0';
	if (path && roger_fs_read_file(&b, path, NULL) == 0 &&
	    b.len < ROGER_REPO_STAMP_SIZE)
		memcpy(stamp, b.buf, b.len + 1);
	roger_buf_release(&b);
	free(path);
}

static void stamp_save(const char *stamp, const char *old,
		       const struct cache *c)
{
	char *path;

	if (!stamp[0] || !strcmp(stamp, old) || !roger_fs_is_dir(c->dir))
		return;
	path = roger_path_join(c->dir, "worktree-stamp");
	if (path)
		roger_fs_write_atomic(path, stamp, strlen(stamp), 0644, NULL);
	free(path);
}

static char *artifact_path(const struct cache *c, const char *sha)
{
	size_t n = strlen(c->artifacts) + 64 + 16;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s.tar.gz", c->artifacts, sha);
	return p;
}

static char *entry_path(const struct cache *c, const char *key)
{
	size_t n = strlen(c->index) + 64 + 16;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s.json", c->index, key);
	return p;
}

static int set_lfs(struct roger_artifact *a, char **v, size_t n)
{
	a->lfs_pointers = v;
	a->n_lfs_pointers = n;
	return 0;
}

static bool hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static bool uint_member(const json_t *o, const char *key, bool required)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return !required;
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

int roger_pack_cache_entry_parse(json_t **out, const char *text, size_t len,
				 struct roger_err *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *sha = json_string_value(json_object_get(doc, "sha256"));
	const json_t *st = json_object_get(doc, "stat");
	const json_t *lfs = json_object_get(doc, "lfs_pointers");
	const json_t *diff_id = json_object_get(doc, "diff_id");
	size_t i;
	json_t *v;

	if (!doc)
		return roger_err_set(err, ROGER_EINVALID, "line %d: %s",
				     jerr.line, jerr.text);
	if (!hex64(sha) || (diff_id && !hex64(json_string_value(diff_id))) ||
	    !uint_member(doc, "size", true) ||
	    !uint_member(doc, "files", false) ||
	    (st && (!json_is_object(st) || !uint_member(st, "ino", true) ||
		    !uint_member(st, "size", true) ||
		    !uint_member(st, "mtime_ns", true) ||
		    !uint_member(st, "checked_ns", true))) ||
	    (lfs && !json_is_array(lfs))) {
		json_decref(doc);
		return roger_err_set(
			err, ROGER_EINVALID,
			"not a cache entry (sha256, size, files, stat, lfs_pointers, diff_id)");
	}
	json_array_foreach(lfs, i, v) {
		if (!json_is_string(v)) {
			json_decref(doc);
			return roger_err_set(
				err, ROGER_EINVALID,
				"lfs_pointers[%zu] is not a string", i);
		}
	}
	*out = doc;
	return 0;
}

/*
 * The cache index trusts an artifact whose inode, size and modification
 * time are those recorded with its digest ("stat" in the entry) and hashes
 * it again only when one of them changed: a cached build then costs a
 * stat(2) instead of reading the whole file.
 */
static json_int_t ns(const struct timespec *ts)
{
	return (json_int_t)roger_noop_ns(ts);
}

#define RACY_NS ((json_int_t)2000000000)

static int stamp_set(json_t *doc, const char *path)
{
	struct timespec now;
	struct stat st;
	json_t *o;

	clock_gettime(CLOCK_REALTIME, &now);
	if (stat(path, &st) < 0)
		return -1;
	o = json_pack("{s:I,s:I,s:I,s:I}", "ino", (json_int_t)st.st_ino, "size",
		      (json_int_t)st.st_size, "mtime_ns", ns(&st.st_mtim),
		      "checked_ns", ns(&now));
	if (!o || json_object_set_new(doc, "stat", o) < 0)
		return -1;
	return 0;
}

static bool stamp_matches(uint64_t *size, const char *path, const json_t *doc)
{
	const json_t *o = json_object_get(doc, "stat");
	struct stat st;

	if (!json_is_object(o) || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	if (json_integer_value(json_object_get(o, "ino")) !=
		    (json_int_t)st.st_ino ||
	    json_integer_value(json_object_get(o, "size")) !=
		    (json_int_t)st.st_size ||
	    json_integer_value(json_object_get(o, "size")) !=
		    json_integer_value(json_object_get(doc, "size")) ||
	    json_integer_value(json_object_get(o, "mtime_ns")) !=
		    ns(&st.st_mtim))
		return false;
	/*
	 * Racy stamps (git's "racy clean" problem): a change made within the
	 * file system's time granularity of the stamp would keep the mtime,
	 * so a file modified less than RACY_NS before it was stamped is
	 * hashed again, and stamped anew.
	 */
	if (json_integer_value(json_object_get(o, "checked_ns")) -
		    ns(&st.st_mtim) <
	    RACY_NS)
		return false;
	*size = (uint64_t)st.st_size;
	return true;
}

static int save_entry(const char *entry, const json_t *doc,
		      struct roger_err *err)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc;

	if (!text)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	rc = roger_fs_write_atomic(entry, text, strlen(text), 0644, err);
	free(text);
	return rc;
}

/*
 * The artifact the cache holds for `key`, checked, or NULL in *out.  A
 * damaged or unreadable entry is removed and reported as a miss, with why
 * in `note` (this runs on a thread of its own, which must not log).
 */
static int cache_lookup(struct roger_artifact **out, struct roger_buf *note,
			const struct cache *c, const char *key,
			struct roger_err *err)
{
	struct roger_artifact *a = NULL;
	char *entry = entry_path(c, key);
	struct roger_buf text = ROGER_BUF_INIT;
	json_t *doc = NULL, *lfs;
	struct roger_err ferr = ROGER_ERR_INIT;
	const char *sha;
	char actual[65] = "";
	uint64_t size = 0;
	int rc = 0;

	*out = NULL;
	if (!entry)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (roger_fs_read_file(&text, entry, NULL) < 0)
		goto out;
	if (roger_pack_cache_entry_parse(&doc, text.buf, text.len, NULL) < 0)
		doc = NULL;
	sha = doc ? json_string_value(json_object_get(doc, "sha256")) : NULL;
	a = calloc(1, sizeof(*a));
	if (!a) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (!sha) {
		roger_buf_addf(note,
			       "cache entry '%s' is damaged, building again",
			       entry);
		goto miss;
	}
	a->path = artifact_path(c, sha);
	if (!a->path) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (stamp_matches(&size, a->path, doc)) {
		/* The file is as it was when its digest was stored. */
	} else if (file_sha256(actual, &size, a->path, &ferr) < 0 ||
		   strcmp(actual, sha)) {
		roger_buf_addf(note,
			       "cached artifact '%s' is %s, building again",
			       a->path, actual[0] ? "damaged" : "missing");
		if (actual[0])
			unlink(a->path);
		goto miss;
	} else if (stamp_set(doc, a->path) == 0) {
		/* Checked again: remember the file as it is now. */
		save_entry(entry, doc, NULL);
	}
	snprintf(a->sha256, sizeof(a->sha256), "%s", sha);
	snprintf(a->diff_id, sizeof(a->diff_id), "%s",
		 json_string_value(json_object_get(doc, "diff_id"))
			 ? json_string_value(json_object_get(doc, "diff_id"))
			 : "");
	a->size = size;
	a->files = (uint64_t)json_integer_value(json_object_get(doc, "files"));
	a->cached = true;
	lfs = json_object_get(doc, "lfs_pointers");
	if (json_array_size(lfs)) {
		char **v = calloc(json_array_size(lfs), sizeof(*v));
		size_t n = 0;

		if (!v) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < json_array_size(lfs); i++) {
			const char *s =
				json_string_value(json_array_get(lfs, i));

			if (s && (v[n] = strdup(s)))
				n++;
		}
		set_lfs(a, v, n);
	}
	*out = a;
	a = NULL;
	goto out;
miss:
	unlink(entry);
out:
	roger_artifact_free(a);
	json_decref(doc);
	roger_buf_release(&text);
	free(entry);
	return rc;
}

/*
 * A cache lookup on a thread of its own: the digest of a cached artifact
 * (tens of megabytes) is computed while the work tree is checked, each on
 * its own processor.
 */
struct lookup {
	const struct cache *c;
	const char *key;
	struct roger_artifact *hit;
	struct roger_buf note;
	struct roger_err err;
	int rc;
	pthread_t thread;
	bool started;
};

static void *lookup_main(void *data)
{
	struct lookup *l = data;

	l->rc = cache_lookup(&l->hit, &l->note, l->c, l->key, &l->err);
	return NULL;
}

static void lookup_start(struct lookup *l, const struct cache *c,
			 const char *key)
{
	l->c = c;
	l->key = key;
	l->started = pthread_create(&l->thread, NULL, lookup_main, l) == 0;
	if (!l->started)
		lookup_main(l);
}

static void lookup_finish(struct lookup *l)
{
	if (l->started)
		pthread_join(l->thread, NULL);
	l->started = false;
}

static int cache_store(const struct cache *c, const char *key,
		       const struct roger_artifact *a, struct roger_err *err)
{
	char *entry = entry_path(c, key);
	json_t *doc, *lfs;
	int rc;

	doc = json_object();
	lfs = json_array();
	if (!entry || !doc || !lfs) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < a->n_lfs_pointers; i++)
		json_array_append_new(lfs, json_string(a->lfs_pointers[i]));
	json_object_set_new(doc, "sha256", json_string(a->sha256));
	json_object_set_new(doc, "size", json_integer((json_int_t)a->size));
	json_object_set_new(doc, "files", json_integer((json_int_t)a->files));
	json_object_set_new(doc, "commit", json_string(a->commit));
	json_object_set_new(doc, "tree", json_string(a->tree));
	json_object_set_new(doc, "lfs_pointers", lfs);
	if (a->diff_id[0])
		json_object_set_new(doc, "diff_id", json_string(a->diff_id));
	lfs = NULL;
	if (stamp_set(doc, a->path) < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot read '%s': %s",
				   a->path, strerror(errno));
		goto out;
	}
	rc = save_entry(entry, doc, err);
out:
	json_decref(lfs);
	json_decref(doc);
	free(entry);
	return rc;
}

/* ---- writing an artifact ------------------------------------------------ */

/*
 * The artifact is synced before it is renamed into place.  Its writeback
 * is started every WRITEBACK_STEP bytes (1 MiB) on the way, with
 * sync_file_range(2), which does not wait: the disk writes while the rest
 * is compressed or copied, and the final fsync(2) has less to wait for.
 * On a 24 MB artifact it waited 60 ms, a quarter of a one-file rebuild.
 */
#define WRITEBACK_STEP (1u << 20)

struct file_out {
	int fd;
	const char *path;
	uint64_t written, started; /* bytes written; writeback started up to */
};

static void writeback_start(struct file_out *f)
{
#ifdef SYNC_FILE_RANGE_WRITE
	if (f->written - f->started < WRITEBACK_STEP)
		return;
	/* Only a hint: an error here shows again at the fsync. */
	(void)sync_file_range(f->fd, (off_t)f->started,
			      (off_t)(f->written - f->started),
			      SYNC_FILE_RANGE_WRITE);
	f->started = f->written;
#else
	(void)f;
#endif
}

static int write_fd(void *data, const void *buf, size_t len,
		    struct roger_err *err)
{
	struct file_out *f = data;

	if (roger_write_all(f->fd, buf, len) < 0)
		return roger_err_set(err, ROGER_EIO, "cannot write '%s': %s",
				     f->path, strerror(errno));
	f->written += len;
	writeback_start(f);
	return 0;
}

/* ---- segments of recent artifacts ---------------------------------------- */

/*
 * Each artifact has its segment index beside it (<sha256>.idx), holding
 * the stat of the artifact when it was written; .roger/artifacts/recent
 * lists the last RECENT artifacts built, newest first.  A build offers
 * their segments for reuse, from the artifacts whose files still have
 * that stat (an artifact changed since is not read, whatever its index
 * says).  None of this is needed for correctness: a missing or damaged
 * index only costs compression time.
 */
#define RECENT 4

static char *side_path(const struct cache *c, const char *sha, const char *ext)
{
	struct roger_buf b = ROGER_BUF_INIT;

	roger_buf_addf(&b, "%s/%s.%s", c->artifacts, sha, ext);
	return roger_buf_detach(&b, NULL);
}

/* The shas of .roger/artifacts/recent, at most RECENT (64 hex digits each). */
static size_t recent_load(char shas[][65], const struct cache *c)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *path = roger_path_join(c->artifacts, "recent");
	size_t n = 0;

	if (path && roger_fs_read_file(&b, path, NULL) == 0) {
		const char *p = b.buf;

		while (n < RECENT && strlen(p) >= 64 &&
		       strspn(p, "0123456789abcdef") == 64 &&
		       (p[64] == '\n' || !p[64])) {
			memcpy(shas[n], p, 64);
			shas[n++][64] = '\0';
			p += 64 + (p[64] == '\n');
		}
	}
	roger_buf_release(&b);
	free(path);
	return n;
}

/* Whether the artifact file still has the stat its index recorded. */
static bool index_stat_ok(const char *artifact, const json_t *stat_doc)
{
	struct stat st;

	return json_is_object(stat_doc) && stat(artifact, &st) == 0 &&
	       json_integer_value(json_object_get(stat_doc, "ino")) ==
		       (json_int_t)st.st_ino &&
	       json_integer_value(json_object_get(stat_doc, "size")) ==
		       (json_int_t)st.st_size &&
	       json_integer_value(json_object_get(stat_doc, "mtime_ns")) ==
		       ns(&st.st_mtim);
}

static struct roger_seg_table *recent_segments(struct roger_ctx *ctx,
					       const struct cache *c)
{
	struct roger_seg_table *t = NULL;
	char shas[RECENT][65];
	size_t n = recent_load(shas, c);

	if (!n || roger_seg_table_new(&t, NULL) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct roger_seg_index idx = { 0 };
		struct roger_buf text = ROGER_BUF_INIT;
		char *ipath = side_path(c, shas[i], "idx");
		char *apath = artifact_path(c, shas[i]);
		json_t *doc = NULL;

		if (ipath && apath &&
		    roger_fs_read_file(&text, ipath, NULL) == 0)
			doc = json_loadb(text.buf, text.len,
					 JSON_REJECT_DUPLICATES, NULL);
		if (doc && index_stat_ok(apath, json_object_get(doc, "stat")) &&
		    roger_seg_index_from_json(&idx, doc, NULL) == 0 &&
		    roger_seg_table_add(t, apath, &idx, NULL) == 0)
			roger_debug(ctx, "offering the segments of %.12s",
				    shas[i]);
		roger_seg_index_release(&idx);
		json_decref(doc);
		roger_buf_release(&text);
		free(ipath);
		free(apath);
	}
	return t;
}

/* Write the new artifact's segment index and put it first in `recent`. */
static void segments_save(struct roger_ctx *ctx, const struct cache *c,
			  const struct roger_artifact *a,
			  const struct roger_seg_index *index)
{
	struct roger_buf list = ROGER_BUF_INIT;
	char shas[RECENT][65];
	size_t n = recent_load(shas, c);
	char *ipath = side_path(c, a->sha256, "idx");
	char *rpath = roger_path_join(c->artifacts, "recent");
	json_t *doc = roger_seg_index_to_json(index);
	char *full = NULL;

	if (!doc || stamp_set(doc, a->path) < 0 || !ipath || !rpath ||
	    !(full = json_dumps(doc, JSON_COMPACT)) ||
	    roger_fs_write_atomic(ipath, full, strlen(full), 0644, NULL) < 0) {
		roger_debug(ctx, "cannot save the segment index of %.12s",
			    a->sha256);
		goto out;
	}
	roger_buf_addf(&list, "%s\n", a->sha256);
	for (size_t i = 0; i < n && i + 1 < RECENT; i++)
		if (strcmp(shas[i], a->sha256))
			roger_buf_addf(&list, "%s\n", shas[i]);
	roger_fs_write_atomic(rpath, list.buf, list.len, 0644, NULL);
out:
	roger_buf_release(&list);
	json_decref(doc);
	free(full);
	free(ipath);
	free(rpath);
}

enum build_source {
	FROM_COMMIT,
	FROM_WORKTREE,
	FROM_DIR,
};

/* Package one source into the cache directory, named by its digest. */
static int package(struct roger_artifact *a, struct roger_ctx *ctx,
		   struct roger_repo *repo, const struct cache *c,
		   enum build_source src, const char *what,
		   const struct roger_build_opts *o, const char *subdir,
		   struct roger_err *err)
{
	struct roger_pack_opts po = { 0 };
	struct roger_pack_stats st = { 0 };
	struct roger_seg_index index = { 0 };
	struct roger_seg_table *reuse = NULL;
	struct file_out f = { -1, NULL, 0, 0 };
	char *tmp = NULL;
	int rc;

	tmp = roger_path_join(c->artifacts, ".tmp-XXXXXX");
	if (!tmp)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	f.fd = mkostemp(tmp, O_CLOEXEC);
	f.path = tmp;
	if (f.fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot create '%s': %s",
				   tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	fchmod(f.fd, 0644);
	po.subdir = subdir;
	po.exclude = o->exclude;
	po.mtime = o->layer_dir ? ROGER_PACK_LAYER_MTIME : ROGER_PACK_MTIME;
	po.prefix = o->layer_dir;
	po.threads = o->threads;
	po.progress_fn = o->progress_fn;
	po.progress_data = o->progress_data;
	if (!o->no_cache)
		reuse = recent_segments(ctx, c);
	if (src == FROM_COMMIT)
		rc = roger_pack_source(&st, &index, ctx, ROGER_PACK_FROM_COMMIT,
				       repo, what, &po, reuse, write_fd, &f,
				       err);
	else if (src == FROM_WORKTREE)
		rc = roger_pack_source(&st, &index, ctx,
				       ROGER_PACK_FROM_WORKTREE, repo,
				       roger_repo_workdir(repo), &po, reuse,
				       write_fd, &f, err);
	else
		rc = roger_pack_source(&st, &index, ctx, ROGER_PACK_FROM_DIR,
				       NULL, what, &po, reuse, write_fd, &f,
				       err);
	roger_seg_table_free(reuse);
	if (rc == 0 && fsync(f.fd) < 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s", tmp,
				   strerror(errno));
	if (close(f.fd) < 0 && rc == 0)
		rc = roger_err_set(err, ROGER_EIO, "cannot write '%s': %s", tmp,
				   strerror(errno));
	if (rc == 0) {
		a->path = artifact_path(c, st.sha256);
		if (!a->path)
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	if (rc == 0 && rename(tmp, a->path) < 0)
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot rename '%s' to '%s': %s", tmp,
				   a->path, strerror(errno));
	if (rc < 0) {
		unlink(tmp);
		roger_pack_stats_release(&st);
	} else {
		memcpy(a->sha256, st.sha256, sizeof(a->sha256));
		memcpy(a->diff_id, st.diff_id, sizeof(a->diff_id));
		a->size = st.size;
		a->files = st.files;
		set_lfs(a, st.lfs_pointers, st.n_lfs_pointers);
		roger_info(
			ctx,
			"packaged %llu files in %llu segments, %llu of them reused",
			(unsigned long long)st.files,
			(unsigned long long)st.segments,
			(unsigned long long)st.reused);
		segments_save(ctx, c, a, &index);
	}
	roger_seg_index_release(&index);
	free(tmp);
	return rc;
}

/*
 * The build cache before the command: its key from the export, and the
 * entry restored when there is one, moved in from its hot copy under
 * `tmpdir` when there is one of those.  Leaves bc->dir NULL (cache off
 * for this build) when the key cannot be had; fails only on ROGER_ENOMEM
 * and ROGER_EINTR.
 */
static int cache_before(struct roger_build_cache *bc,
			struct roger_build_hot *hot, bool *restored,
			struct roger_ctx *ctx, const struct cache *c,
			const struct roger_build_opts *o, const char *tmpdir,
			const char *projdir, struct roger_err *err)
{
	struct roger_buf note = ROGER_BUF_INIT;
	struct roger_err kerr = ROGER_ERR_INIT;
	bool moved = false;
	int rc;

	rc = roger_build_cache_init(bc, o->cache, c->dir, err);
	if (rc < 0)
		return rc;
	rc = roger_build_cache_key(bc, ctx, o->command, projdir, &kerr);
	if (rc == ROGER_ENOMEM || rc == ROGER_EINTR) {
		if (err)
			*err = kerr;
		return rc;
	}
	if (rc < 0) {
		roger_warn(ctx, "%s; building without the build cache",
			   kerr.msg);
		roger_build_cache_release(bc);
		return 0;
	}
	rc = roger_build_hot_open(hot, &note, tmpdir, err);
	if (rc == 0)
		rc = roger_build_hot_restore(&moved, &note, hot, bc, projdir,
					     err);
	if (note.len)
		roger_warn(ctx, "%s", note.buf);
	roger_buf_reset(&note);
	if (rc == 0 && moved) {
		*restored = true;
		roger_info(ctx, "build cache %.12s: restored (moved in)",
			   bc->key);
		goto out;
	}
	if (rc == 0)
		rc = roger_build_cache_restore(restored, &note, bc, ctx,
					       projdir, err);
	if (note.len)
		roger_warn(ctx, "%s", note.buf);
	if (rc == 0 && *restored)
		roger_build_hot_snapshot(hot, bc, projdir);
	if (rc == 0)
		roger_info(ctx, "build cache %.12s: %s", bc->key,
			   *restored ? "restored" : "not there yet");
out:
	roger_buf_release(&note);
	return rc;
}

/* Save what the command made; a failure only costs the next build time. */
static void cache_after(struct roger_build_cache *bc,
			struct roger_build_hot *hot, struct roger_ctx *ctx,
			const char *projdir)
{
	struct roger_buf note = ROGER_BUF_INIT;
	struct roger_err serr = ROGER_ERR_INIT;

	if (roger_build_cache_save(&note, bc, projdir, &serr) < 0) {
		roger_warn(ctx, "cannot save the build cache: %s", serr.msg);
	} else if (note.len) {
		roger_warn(ctx, "%s", note.buf);
	} else {
		roger_info(ctx, "build cache %.12s: saved", bc->key);
		/* The tree and the tar agree now: it may become the hot copy.
		 */
		roger_build_hot_snapshot(hot, bc, projdir);
	}
	roger_buf_release(&note);
}

/* After packaging: the cache paths become the hot copy if unchanged. */
static int cache_keep(struct roger_build_cache *bc, struct roger_build_hot *hot,
		      struct roger_ctx *ctx, const char *projdir,
		      struct roger_err *err)
{
	struct roger_buf note = ROGER_BUF_INIT;
	bool kept = false;
	int rc = roger_build_hot_keep(&kept, &note, hot, bc, projdir, err);

	if (kept)
		roger_info(ctx, "build cache %.12s: kept hot in '%s'", bc->key,
			   hot->dir);
	else if (note.len)
		roger_info(ctx, "build cache %.12s: %s", bc->key, note.buf);
	roger_buf_release(&note);
	return rc;
}

/* Export, run the build command, package the result. */
/*
 * What the export of a build command writes: the directory and the inputs
 * (id->export), and the .gitattributes above the directory that exist, so
 * that the result is packaged with the same attributes.  NULL-terminated,
 * borrowed from `id`.
 */
static int export_list(const char ***out, struct roger_repo *repo,
		       const char *commit, const struct ident *id,
		       struct roger_err *err)
{
	git_repository *git = roger_repo_git(repo);
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	const char **v = calloc(id->n + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (commit && (git_oid_fromstr(&oid, commit) < 0 ||
		       git_commit_lookup(&c, git, &oid) < 0 ||
		       git_commit_tree(&tree, c) < 0)) {
		git_commit_free(c);
		free(v);
		return roger_repo_git_error(err, ROGER_ERROR, commit);
	}
	for (size_t i = 0; i < id->n_export; i++)
		v[n++] = id->export[i];
	for (size_t i = 1; i < id->first_input; i++) {
		const char *attrs = id->paths[i];
		bool exists, covered = false;

		for (size_t j = 0; j < id->n_export && !covered; j++)
			covered = path_under(attrs, id->export[j]);
		if (covered)
			continue;
		if (tree) {
			git_tree_entry *te = NULL;

			exists = git_tree_entry_bypath(&te, tree, attrs) == 0;
			git_tree_entry_free(te);
			git_error_clear();
		} else {
			char *abs = roger_path_join(roger_repo_workdir(repo),
						    attrs);

			exists = abs && roger_fs_exists(abs);
			free(abs);
		}
		if (exists)
			v[n++] = attrs;
	}
	git_tree_free(tree);
	git_commit_free(c);
	*out = v;
	return 0;
}

static int build_with_command(struct roger_artifact *a, struct roger_ctx *ctx,
			      struct roger_repo *repo, const struct cache *c,
			      const struct roger_build_opts *o,
			      const char *subdir, const struct ident *id,
			      struct roger_err *err)
{
	const char **paths = NULL;
	const char *tmpdir = roger_ctx_getenv(ctx, "TMPDIR");
	struct roger_run_opts ro = { 0 };
	struct roger_build_cache bc = { 0 };
	struct roger_build_hot hot = { .fd = -1 };
	char env_commit[64];
	const char *env[] = { env_commit, NULL, NULL };
	char *dir = NULL, *workdir = NULL;
	bool restored = false;
	int rc;

	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	dir = roger_path_join(tmpdir, "roger-build-XXXXXX");
	if (!dir)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (!mkdtemp(dir)) {
		rc = roger_err_set(
			err, ROGER_EIO,
			"cannot create a temporary directory '%s': %s", dir,
			strerror(errno));
		free(dir);
		return rc;
	}
	roger_info(ctx, "exporting %s to '%s'",
		   a->dirty ? "the work tree" : a->commit, dir);
	rc = export_list(&paths, repo, a->dirty ? NULL : a->commit, id, err);
	if (rc == 0 && a->dirty)
		rc = roger_pack_export_worktree(ctx, repo, subdir, paths, dir,
						err);
	else if (rc == 0)
		rc = roger_pack_export_commit(ctx, repo, a->commit, paths, dir,
					      err);
	if (rc < 0)
		goto out;
	workdir = *subdir ? roger_path_join(dir, subdir) : strdup(dir);
	if (!workdir) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (o->cache && !o->no_cache) {
		rc = cache_before(&bc, &hot, &restored, ctx, c, o, tmpdir,
				  workdir, err);
		if (rc < 0)
			goto out;
	}
	env[1] = !bc.dir    ? "ROGER_BUILD_CACHE=off"
		 : restored ? "ROGER_BUILD_CACHE=restored"
			    : "ROGER_BUILD_CACHE=missed";
	snprintf(env_commit, sizeof(env_commit), "ROGER_COMMIT=%s", a->commit);
	ro.command = o->command;
	ro.dir = workdir;
	ro.env = env;
	ro.timeout = o->timeout > 0 ? o->timeout : ROGER_BUILD_TIMEOUT_DEFAULT;
	ro.output_fn = o->output_fn;
	ro.output_data = o->output_data;
	ro.tail = o->output_tail;
	roger_info(ctx, "running '%s'", o->command);
	rc = roger_run_command(ctx, &ro, err);
	if (rc == 0 && bc.dir && !restored)
		cache_after(&bc, &hot, ctx, workdir);
	if (rc == 0)
		rc = package(a, ctx, repo, c, FROM_DIR, dir, o, subdir, err);
	if (rc == 0 && bc.dir)
		rc = cache_keep(&bc, &hot, ctx, workdir, err);
out:
	roger_build_hot_release(&hot);
	roger_build_cache_release(&bc);
	{
		struct roger_err rerr = ROGER_ERR_INIT;

		if (roger_fs_remove_tree(dir, &rerr) < 0)
			roger_warn(ctx, "%s", rerr.msg);
	}
	free(paths);
	free(workdir);
	free(dir);
	return rc;
}

/* ---- the no-op record ---------------------------------------------------- */

/*
 * The options of a build, what its answer depends on besides the commit
 * and the work tree (noop.h), as a new hex string in *out: a record made
 * under other options does not hold.
 */
static int noop_opts(char **out, const struct roger_build_opts *o,
		     const char *subdir, const struct cache *c)
{
	struct roger_buf b = ROGER_BUF_INIT, h = ROGER_BUF_INIT;
	char *cache =
		o->cache ? json_dumps(o->cache, JSON_COMPACT | JSON_SORT_KEYS)
			 : NULL;
	int rc;

	*out = NULL;
	rc = roger_buf_addf(&b,
			    "%s\ncompressor %s\nworkdir %s\nsubdir %s\n"
			    "dir %s\ncommand %s\ncache %s\n",
			    CACHE_FORMAT, roger_seg_compressor(), o->workdir,
			    subdir, c->dir, o->command ? o->command : "-",
			    cache ? cache : "-");
	for (size_t i = 0; rc == 0 && o->exclude && o->exclude[i]; i++)
		rc = roger_buf_addf(&b, "exclude %s\n", o->exclude[i]);
	for (size_t i = 0; rc == 0 && o->inputs && o->inputs[i]; i++)
		rc = roger_buf_addf(&b, "input %s\n", o->inputs[i]);
	if (rc == 0 && o->cache && !cache)
		rc = ROGER_ENOMEM;
	for (size_t i = 0; rc == 0 && i < b.len; i++)
		rc = roger_buf_addf(&h, "%02x", (unsigned char)b.buf[i]);
	if (rc == 0)
		*out = roger_buf_detach(&h, NULL);
	if (rc == 0 && !*out)
		rc = ROGER_ENOMEM;
	free(cache);
	roger_buf_release(&b);
	roger_buf_release(&h);
	return rc < 0 ? rc : 0;
}

static char *noop_path(const struct cache *c)
{
	return roger_path_join(c->dir, "noop");
}

/*
 * After a clean build: record what it depended on for the next one.  A
 * record that cannot be made is only a slower next build; the old one,
 * which no longer holds, is removed then.
 */
static void noop_save(struct roger_ctx *ctx, const struct cache *c,
		      struct roger_repo *repo, const struct roger_build_opts *o,
		      const char *subdir, const struct ident *id,
		      const struct roger_commit_info *head,
		      const struct roger_artifact *a, const char *key,
		      const char *stamp)
{
	struct roger_buf text = ROGER_BUF_INIT, where = ROGER_BUF_INIT,
			 entries = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	const char **scopes = NULL, *why = NULL;
	char isum[41], tree[41];
	char *path = noop_path(c), *opts = NULL;
	size_t n = 0;
	bool ok = false;

	if (!path)
		return;
	/* The stamp names the index and the tree the check compared. */
	if (sscanf(stamp, "index %40s tree %40s", isum, tree) != 2 ||
	    strcmp(tree, head->tree)) {
		roger_debug(ctx, "no no-op record: no work tree stamp ('%s')",
			    stamp);
		goto out;
	}
	if (noop_opts(&opts, o, subdir, c) < 0 || strchr(c->dir, '\n') ||
	    strchr(o->workdir, '\n') ||
	    (o->command && strchr(o->command, '\n')))
		goto out;
	scopes = calloc(id->n, sizeof(*scopes));
	if (!scopes)
		goto out;
	scopes[n++] = id->paths[0];
	for (size_t i = id->first_input; i < id->n; i++)
		scopes[n++] = id->paths[i];
	if (roger_repo_noop_record(&where, &entries, &ok, repo, head->id, isum,
				   scopes, n, &why, &err) < 0) {
		roger_info(ctx, "no no-op record: %s", err.msg);
		ok = false;
	} else if (!ok) {
		roger_debug(ctx, "no no-op record: %s", why);
	}
	if (ok &&
	    roger_buf_addf(&text,
			   ROGER_NOOP_MAGIC "\nopts %s\n%scommit %s\n"
					    "tree %s\ntime %lld\nkey %s\n",
			   opts, where.buf, a->commit, a->tree,
			   (long long)a->time, key) < 0)
		ok = false;
	if (ok && (roger_buf_add(&text, entries.buf, entries.len) < 0 ||
		   roger_buf_adds(&text, "end\n") < 0))
		ok = false;
	if (ok &&
	    roger_fs_write_atomic(path, text.buf, text.len, 0644, &err) < 0) {
		roger_info(ctx, "no no-op record: %s", err.msg);
		ok = false;
	}
out:
	if (!ok)
		unlink(path);
	free(scopes);
	free(opts);
	free(path);
	roger_buf_release(&text);
	roger_buf_release(&where);
	roger_buf_release(&entries);
}

int roger_pack_build_unchanged(struct roger_artifact **out,
			       struct roger_ctx *ctx,
			       const struct roger_build_opts *o,
			       const char *tracked, struct roger_err *err)
{
	const char *subdir = o->subdir ? o->subdir : "";
	struct roger_buf text = ROGER_BUF_INIT, note = ROGER_BUF_INIT;
	struct roger_artifact *a = NULL;
	struct roger_noop r = { 0 };
	struct cache c = { 0 };
	char *path = NULL, *opts = NULL;
	int rc;

	*out = NULL;
	if (o->ref || o->layer_dir || o->no_cache)
		return 0;
	if ((rc = cache_init(&c, o, subdir, err)) < 0)
		goto out;
	path = noop_path(&c);
	if (!path) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (roger_fs_read_file(&text, path, NULL) < 0 ||
	    roger_noop_parse(&r, text.buf, text.len) < 0 ||
	    noop_opts(&opts, o, subdir, &c) < 0 || strcmp(opts, r.opts) ||
	    !roger_noop_holds(&r, tracked))
		goto out;
	rc = cache_lookup(&a, &note, &c, r.key, err);
	/* A damaged entry is gone now: say so, and take the long way. */
	if (note.len)
		roger_warn(ctx, "%s", note.buf);
	if (rc < 0 || !a)
		goto out;
	memcpy(a->commit, r.commit, sizeof(a->commit));
	memcpy(a->tree, r.tree, sizeof(a->tree));
	a->time = r.time;
	roger_info(ctx, "nothing changed since the last build of %.12s",
		   a->commit);
	*out = a;
	rc = 1;
out:
	roger_noop_release(&r);
	roger_buf_release(&text);
	roger_buf_release(&note);
	cache_release(&c);
	free(opts);
	free(path);
	return rc;
}

/* Whether the work tree differs under the project or one of its inputs. */
static int dirty_check(bool *dirty, struct roger_buf *first,
		       struct roger_repo *repo, const char *subdir,
		       const struct ident *id, char *stamp,
		       struct roger_err *err)
{
	int rc = roger_repo_dirty_stamped(dirty, first, repo, subdir, stamp,
					  err);

	for (size_t i = id->first_input; rc == 0 && !*dirty && i < id->n; i++)
		rc = roger_repo_dirty(dirty, first, repo, id->paths[i], err);
	return rc;
}

int roger_pack_source_commit(struct roger_commit_info *out,
			     struct roger_ctx *ctx,
			     const struct roger_build_opts *o,
			     struct roger_err *err)
{
	struct roger_repo *repo = NULL;
	struct roger_commit_info ci;
	struct ident id;
	int rc;

	(void)ctx;
	rc = ident_init(&id, o, o->subdir ? o->subdir : "", err);
	if (rc == 0)
		rc = roger_repo_discover(&repo, o->workdir, err);
	if (rc == 0)
		rc = roger_repo_resolve(&ci, repo, o->ref, err);
	if (rc == 0)
		rc = source_commit(out, repo, &ci, &id, err);
	roger_repo_free(repo);
	ident_release(&id);
	return rc;
}

int roger_pack_build(struct roger_artifact **out, struct roger_ctx *ctx,
		     const struct roger_build_opts *o, struct roger_err *err)
{
	const char *subdir = o->subdir ? o->subdir : "";
	struct roger_artifact *a = NULL;
	struct roger_repo *repo = NULL;
	struct roger_commit_info head, ci;
	struct roger_buf first = ROGER_BUF_INIT;
	struct roger_err key_err = ROGER_ERR_INIT;
	struct lookup look = { 0 };
	struct cache c = { 0 };
	struct ident id = { 0 };
	char key[65] = "", tree[41] = "";
	char stamp[ROGER_REPO_STAMP_SIZE] = "",
	     old_stamp[ROGER_REPO_STAMP_SIZE] = "";
	bool dirty = false;
	int rc, key_rc = 0;

	roger_buf_init(&look.note);
	rc = ident_init(&id, o, subdir, err);
	if (rc == 0)
		rc = roger_repo_discover(&repo, o->workdir, err);
	if (rc == 0)
		rc = cache_init(&c, o, subdir, err);
	if (rc == 0)
		rc = roger_repo_resolve(&head, repo, o->ref, err);
	if (rc == 0)
		rc = source_commit(&ci, repo, &head, &id, err);
	if (rc < 0)
		goto out;
	/*
	 * The key and the lookup come before the dirty check, which decides
	 * whether they count: a dirty tree has no key (its project directory
	 * may not even exist at the commit yet).
	 */
	key_rc = cache_key(key, tree, repo, &ci, o, subdir, &id, &key_err);
	if (key_rc == 0 && !o->no_cache)
		lookup_start(&look, &c, key);
	if (!o->ref) {
		stamp_load(stamp, &c);
		memcpy(old_stamp, stamp, sizeof(stamp));
		rc = dirty_check(&dirty, &first, repo, subdir, &id, stamp, err);
	}
	lookup_finish(&look);
	if (rc < 0)
		goto out;
	if (dirty && !o->allow_dirty) {
		rc = roger_err_set(
			err, ROGER_EDIRTY,
			"the work tree has uncommitted changes ('%s'); commit them, or pass --allow-dirty to package the work tree as it is",
			first.buf);
		goto out;
	}
	if (!dirty) {
		if (key_rc < 0 || look.rc < 0) {
			if (err)
				*err = key_rc < 0 ? key_err : look.err;
			rc = key_rc < 0 ? key_rc : look.rc;
			goto out;
		}
		if (look.note.len)
			roger_warn(ctx, "%s", look.note.buf);
		if (look.hit && o->layer_dir && !look.hit->diff_id[0]) {
			roger_artifact_free(look.hit);
			look.hit = NULL;
		}
		if (look.hit) {
			a = look.hit;
			look.hit = NULL;
			memcpy(a->commit, ci.id, sizeof(a->commit));
			memcpy(a->tree, tree, sizeof(a->tree));
			a->time = ci.time;
			goto done;
		}
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	a->dirty = dirty;
	memcpy(a->commit, ci.id, sizeof(a->commit));
	if (!dirty)
		memcpy(a->tree, tree, sizeof(a->tree));
	a->time = ci.time;
	rc = cache_prepare(&c, err);
	if (rc < 0)
		goto out;
	if (o->command)
		rc = build_with_command(a, ctx, repo, &c, o, subdir, &id, err);
	else if (dirty)
		rc = package(a, ctx, repo, &c, FROM_WORKTREE, NULL, o, subdir,
			     err);
	else
		rc = package(a, ctx, repo, &c, FROM_COMMIT, ci.id, o, subdir,
			     err);
	if (rc == 0 && !dirty)
		rc = cache_store(&c, key, a, err);
	if (rc < 0)
		goto out;
done:
	if (!o->ref)
		stamp_save(stamp, old_stamp, &c);
	if (!o->ref && !dirty && !o->layer_dir && roger_fs_is_dir(c.dir))
		noop_save(ctx, &c, repo, o, subdir, &id, &head, a, key, stamp);
	*out = a;
	a = NULL;
out:
	roger_artifact_free(a);
	roger_artifact_free(look.hit);
	roger_buf_release(&look.note);
	cache_release(&c);
	roger_buf_release(&first);
	roger_repo_free(repo);
	ident_release(&id);
	return rc;
}
