/*
 * check_image.c - unit tests of image building and pushing (lib/image.c)
 * against Debian's docker-registry started by the tests
 * (tests/registryd.py), from fixture repositories built with libgit2.
 *
 * The base images are assembled here: a layer holding busybox-static's
 * binary (or a small script when it is not installed) and a symbolic link,
 * a config with a history, pushed with roger's own registry client under
 * Docker and OCI media types, alone or behind a manifest list or an OCI
 * index.  Request counts come from the registry's access log.
 */
#include <config.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <git2.h>

#include "lib/roger.h"
#include "tests/faultd.h"
#include "tests/git-fixture.h"
#include "tests/regd.h"

#define BASE_REPO "base/busybox"

static struct regd reg;
static struct roger_ctx *ctx;
static char *tmp;

/* What the fixture pushed: the base image "base/busybox:1". */
static char base_digest[ROGER_DIGEST_SIZE];
static char base_ref[256];

/* ---- assembling base images ---------------------------------------------- */

struct layer {
	char *gz;
	size_t gz_len;
	char digest[ROGER_DIGEST_SIZE];
	char diff_id[ROGER_DIGEST_SIZE];
};

static void add_entry(struct archive *a, const char *path, unsigned type,
		      unsigned perm, const char *data, size_t len,
		      const char *target)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, 1, 0);
	if (target)
		archive_entry_set_symlink(e, target);
	ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
	if (len)
		ck_assert_int_eq(archive_write_data(a, data, len),
				 (la_ssize_t)len);
	archive_entry_free(e);
}

/* A layer: busybox as bin/busybox and bin/sh, plus etc/release = `tag`. */
static void make_layer(struct layer *l, const char *tag)
{
	struct roger_buf bb = ROGER_BUF_INIT;
	size_t tar_cap = 8 << 20, tar_len = 0, used = 0;
	char *tar = malloc(tar_cap);
	struct archive *a = archive_write_new();

	ck_assert_ptr_nonnull(tar);
	if (roger_fs_read_file(&bb, "/bin/busybox", NULL) < 0)
		roger_buf_adds(&bb,
			       "#!/bin/sh\necho busybox is not installed\n");
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	ck_assert_int_eq(archive_write_open_memory(a, tar, tar_cap, &tar_len),
			 ARCHIVE_OK);
	add_entry(a, "bin", AE_IFDIR, 0755, NULL, 0, NULL);
	add_entry(a, "bin/busybox", AE_IFREG, 0755, bb.buf, bb.len, NULL);
	add_entry(a, "bin/sh", AE_IFLNK, 0777, NULL, 0, "busybox");
	add_entry(a, "etc", AE_IFDIR, 0755, NULL, 0, NULL);
	add_entry(a, "etc/release", AE_IFREG, 0644, tag, strlen(tag), NULL);
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	roger_digest_of(l->diff_id, tar, tar_len);

	/* gzip it: the raw format writes one entry's data as is. */
	l->gz = malloc(tar_len + 65536);
	ck_assert_ptr_nonnull(l->gz);
	a = archive_write_new();
	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	ck_assert_int_eq(
		archive_write_open_memory(a, l->gz, tar_len + 65536, &used),
		ARCHIVE_OK);
	{
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_pathname(e, "layer");
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		ck_assert_int_eq(archive_write_data(a, tar, tar_len),
				 (la_ssize_t)tar_len);
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	l->gz_len = used;
	roger_digest_of(l->digest, l->gz, l->gz_len);
	roger_buf_release(&bb);
	free(tar);
}

static struct roger_registry *client_for(const struct regd *r,
					 const struct roger_registry_auth *a)
{
	struct roger_registry_opts o = { 0 };
	struct roger_registry *c = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	o.url = r->url;
	o.ca_file = r->ca[0] ? r->ca : NULL;
	o.auth = a;
	o.backoff_base_ms = 10;
	o.backoff_max_ms = 20;
	ck_assert_msg(roger_registry_new(&c, ctx, &o, &err) == 0, "%s",
		      err.msg);
	return c;
}

static void put_manifest(struct roger_registry *c, const char *repo,
			 const char *ref, const char *type, const char *m)
{
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_registry_manifest_put(c, repo, ref, type, m,
						  strlen(m), &err) == 0,
		      "%s", err.msg);
}

/*
 * Push a one-layer base image to `repo` (tag `tag` when not NULL), with
 * Docker or OCI media types; its manifest's digest and size out.
 */
static void push_base(char *digest, size_t *size, const struct regd *r,
		      const struct roger_registry_auth *a, const char *repo,
		      const char *tag, const char *arch, const char *release,
		      bool oci)
{
	struct roger_registry *c = client_for(r, a);
	struct roger_err err = ROGER_ERR_INIT;
	struct layer l;
	char config[1024], cdigest[ROGER_DIGEST_SIZE], *m = NULL;

	make_layer(&l, release);
	snprintf(
		config, sizeof(config),
		"{\"architecture\":\"%s\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\",\"LANG=C\"],\"Cmd\":[\"sh\"]},"
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]},"
		"\"history\":[{\"created_by\":\"ADD busybox /bin\"},{\"created_by\":\"ENV LANG=C\",\"empty_layer\":true}]}",
		arch, l.diff_id);
	roger_digest_of(cdigest, config, strlen(config));
	ck_assert_msg(roger_registry_blob_upload(c, repo, l.digest,
						 (int64_t)l.gz_len, NULL, l.gz,
						 &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(roger_registry_blob_upload(c, repo, cdigest,
						    (int64_t)strlen(config),
						    NULL, config, &err),
			 0);
	ck_assert(
		asprintf(
			&m,
			"{\"schemaVersion\":2,\"mediaType\":\"%s\","
			"\"config\":{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\"},"
			"\"layers\":[{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\"}]}",
			oci ? ROGER_MT_OCI_MANIFEST : ROGER_MT_DOCKER_MANIFEST,
			oci ? ROGER_MT_OCI_CONFIG : ROGER_MT_DOCKER_CONFIG,
			strlen(config), cdigest,
			oci ? ROGER_MT_OCI_LAYER_GZIP : ROGER_MT_DOCKER_LAYER,
			l.gz_len, l.digest) > 0);
	roger_digest_of(digest, m, strlen(m));
	*size = strlen(m);
	put_manifest(c, repo, digest,
		     oci ? ROGER_MT_OCI_MANIFEST : ROGER_MT_DOCKER_MANIFEST, m);
	if (tag)
		put_manifest(c, repo, tag,
			     oci ? ROGER_MT_OCI_MANIFEST
				 : ROGER_MT_DOCKER_MANIFEST,
			     m);
	free(m);
	free(l.gz);
	roger_registry_free(c);
}

/* An index (Docker list or OCI index) of an amd64 and an arm64 image. */
static void push_index(char *digest, char *amd64, char *arm64, const char *repo,
		       const char *tag, bool oci)
{
	struct roger_registry *c = client_for(&reg, NULL);
	const char *mt = oci ? ROGER_MT_OCI_MANIFEST : ROGER_MT_DOCKER_MANIFEST;
	const char *it = oci ? ROGER_MT_OCI_INDEX : ROGER_MT_DOCKER_LIST;
	size_t s1, s2;
	char *m = NULL;

	push_base(amd64, &s1, &reg, NULL, repo, NULL, "amd64", "amd64", oci);
	push_base(arm64, &s2, &reg, NULL, repo, NULL, "arm64", "arm64", oci);
	ck_assert(
		asprintf(
			&m,
			"{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
			"{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
			"{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}",
			it, mt, s2, arm64, mt, s1, amd64) > 0);
	roger_digest_of(digest, m, strlen(m));
	put_manifest(c, repo, tag, it, m);
	free(m);
	roger_registry_free(c);
}

/* ---- fixtures ------------------------------------------------------------ */

static void registry_up(void)
{
	size_t size;

	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
	regd_start(&reg, "");
	push_base(base_digest, &size, &reg, NULL, BASE_REPO, "1", "amd64",
		  "one", false);
	snprintf(base_ref, sizeof(base_ref), "%s/" BASE_REPO ":1", reg.host);
	roger_ctx_free(ctx);
	ctx = NULL;
}

static void registry_down(void)
{
	regd_stop(&reg);
}

static void each_setup(void)
{
	tmp = fx_tmpdir();
	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
}

static void each_teardown(void)
{
	fx_rmtree(tmp);
	free(tmp);
	roger_ctx_free(ctx);
}

/* A repository at tmp/`name` with an app; its commit id out. */
static char *make_repo(const char *name, char *commit)
{
	char *dir = roger_path_join(tmp, name);
	git_repository *r = fx_init(dir);

	fx_writes(r, "roger.json", "{\"version\":1,\"app\":\"hello\"}\n");
	fx_writes(r, "index.js", "console.log('hello')\n");
	fx_write(r, "bin/run", "#!/bin/sh\nexec node index.js\n", 29, 0755);
	fx_writes(r, "lib/util/a.txt", "a\n");
	fx_symlink(r, "current", "index.js");
	fx_commit(r, "first", 1700000000, commit);
	git_repository_free(r);
	return dir;
}

static struct roger_registry_pool *pool_for(const char *const *urls,
					    const struct roger_registry_auth *a,
					    const char *ca)
{
	struct roger_registry_pool_opts o = { 0 };
	struct roger_registry_pool *p = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	o.urls = urls;
	o.target_auth = a;
	o.docker_config = "";
	o.ca_file = ca;
	o.backoff_base_ms = 10;
	o.backoff_max_ms = 20;
	o.max_retries = 2;
	ck_assert_msg(roger_registry_pool_new(&p, ctx, &o, &err) == 0, "%s",
		      err.msg);
	return p;
}

static struct roger_registry_pool *pool(void)
{
	static const char *urls[2];

	urls[0] = reg.url;
	urls[1] = NULL;
	return pool_for(urls, NULL, NULL);
}

static void opts_for(struct roger_image_opts *o, const char *dir,
		     const char *base)
{
	static const char *const env[] = { "LANG=C.UTF-8",
					   "NODE_ENV=production", NULL };

	memset(o, 0, sizeof(*o));
	o->build.workdir = dir;
	o->build.subdir = "";
	o->base = base;
	o->env = env;
}

static struct roger_image *build(struct roger_registry_pool *p,
				 const struct roger_image_opts *o)
{
	struct roger_image *img = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_image_build(&img, ctx, p, o, &err) == 0, "%s",
		      err.msg);
	return img;
}

static int build_fails(struct roger_registry_pool *p,
		       const struct roger_image_opts *o, struct roger_err *err)
{
	struct roger_image *img = NULL;
	int rc = roger_image_build(&img, ctx, p, o, err);

	ck_assert_int_lt(rc, 0);
	ck_assert_ptr_null(img);
	ck_assert_ptr_null(strchr(err->msg, '\n'));
	return rc;
}

/* ---- builds -------------------------------------------------------------- */

/* Read the layer file: entries in order, checking their metadata. */
static void check_layer(const char *path, const char *diff_id)
{
	static const char *const want[] = {
		"app/",          "app/bin/",           "app/bin/run",
		"app/current",   "app/index.js",       "app/lib/",
		"app/lib/util/", "app/lib/util/a.txt", "app/roger.json"
	};
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct roger_buf raw = ROGER_BUF_INIT, gz = ROGER_BUF_INIT;
	char actual[ROGER_DIGEST_SIZE];
	size_t i = 0;

	/* gzip without name or time (zlib's header, level 6). */
	ck_assert_int_eq(roger_fs_read_file(&gz, path, NULL), 0);
	ck_assert_mem_eq(gz.buf, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
			 10);
	roger_buf_release(&gz);
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 65536),
			 ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		mode_t type = archive_entry_filetype(e);

		ck_assert_uint_lt(i, sizeof(want) / sizeof(*want));
		ck_assert_str_eq(name, want[i]);
		ck_assert_int_eq(archive_entry_mtime(e), 1);
		ck_assert_int_eq(archive_entry_uid(e), 0);
		ck_assert_int_eq(archive_entry_gid(e), 0);
		ck_assert(!archive_entry_uname(e) || !*archive_entry_uname(e));
		ck_assert(!archive_entry_gname(e) || !*archive_entry_gname(e));
		if (type == AE_IFDIR)
			ck_assert_int_eq(archive_entry_perm(e), 0755);
		else if (!strcmp(name, "app/bin/run"))
			ck_assert_int_eq(archive_entry_perm(e), 0755);
		else if (type == AE_IFLNK)
			ck_assert_str_eq(archive_entry_symlink(e), "index.js");
		else
			ck_assert_int_eq(archive_entry_perm(e), 0644);
		i++;
	}
	ck_assert_uint_eq(i, sizeof(want) / sizeof(*want));
	archive_read_free(a);

	/* diff_id: the digest of the tar, decompressed. */
	a = archive_read_new();
	archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	ck_assert_int_eq(archive_read_open_filename(a, path, 65536),
			 ARCHIVE_OK);
	ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_OK);
	for (;;) {
		char buf[65536];
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));

		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		roger_buf_add(&raw, buf, (size_t)n);
	}
	archive_read_free(a);
	roger_digest_of(actual, raw.buf, raw.len);
	ck_assert_str_eq(actual, diff_id);
	roger_buf_release(&raw);
}

START_TEST(test_image_build_layout)
{
	struct roger_registry_pool *p = pool();
	struct roger_image_opts o;
	struct roger_image *img;
	struct roger_oci_manifest *m = NULL;
	json_t *config = NULL, *cfg, *env, *history;
	char commit[41], want[64];
	char *dir = make_repo("app", commit);

	opts_for(&o, dir, base_ref);
	img = build(p, &o);
	ck_assert_str_eq(img->base_digest, base_digest);
	ck_assert_str_eq(img->base_index_digest, "");
	ck_assert_str_eq(img->base_registry, reg.host);
	ck_assert_str_eq(img->base_repository, BASE_REPO);
	ck_assert_str_eq(img->commit, commit);
	ck_assert(!img->dirty);
	ck_assert(!img->cached);
	ck_assert_uint_eq(img->n_layers, 2);
	ck_assert_ptr_null(img->layers[0].path);
	ck_assert_ptr_nonnull(img->layers[1].path);
	ck_assert_uint_eq(img->files, 5);

	/* The manifest: Docker schema 2, its digest that of its bytes. */
	{
		char d[ROGER_DIGEST_SIZE];

		roger_digest_of(d, img->manifest, img->manifest_len);
		ck_assert_str_eq(d, img->digest);
		roger_digest_of(d, img->config, img->config_len);
		ck_assert_str_eq(d, img->config_digest);
	}
	ck_assert_int_eq(roger_oci_manifest_parse(&m, ROGER_MT_DOCKER_MANIFEST,
						  img->manifest,
						  img->manifest_len, NULL),
			 0);
	ck_assert_uint_eq(m->n_layers, 2);
	ck_assert_str_eq(m->config.media_type, ROGER_MT_DOCKER_CONFIG);
	ck_assert_str_eq(m->layers[1].digest, img->layers[1].digest);
	ck_assert_str_eq(m->layers[1].media_type, ROGER_MT_DOCKER_LAYER);
	roger_oci_manifest_free(m);

	/* The config: the base's, with ours on top. */
	ck_assert_int_eq(roger_oci_config_parse(&config, img->config,
						img->config_len, 2, NULL),
			 0);
	ck_assert_str_eq(json_string_value(json_object_get(config, "created")),
			 "1970-01-01T00:00:00Z");
	cfg = json_object_get(config, "config");
	ck_assert_str_eq(json_string_value(json_object_get(cfg, "WorkingDir")),
			 "/app");
	ck_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(cfg, "Cmd"), 0)),
			 "sh");
	env = json_object_get(cfg, "Env");
	ck_assert_uint_eq(json_array_size(env), 4);
	ck_assert_str_eq(json_string_value(json_array_get(env, 0)),
			 "PATH=/bin");
	ck_assert_str_eq(json_string_value(json_array_get(env, 1)),
			 "LANG=C.UTF-8");
	ck_assert_str_eq(json_string_value(json_array_get(env, 2)),
			 "NODE_ENV=production");
	snprintf(want, sizeof(want), "ROGER_COMMIT=%s", commit);
	ck_assert_str_eq(json_string_value(json_array_get(env, 3)), want);
	history = json_object_get(config, "history");
	ck_assert_uint_eq(json_array_size(history), 3);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(history, 2), "created")),
			 "1970-01-01T00:00:00Z");
	ck_assert_str_eq(
		img->layers[1].diff_id,
		json_string_value(json_array_get(
			json_object_get(json_object_get(config, "rootfs"),
					"diff_ids"),
			1)));
	json_decref(config);
	check_layer(img->layers[1].path, img->layers[1].diff_id);

	/* In the cache, under their digests. */
	{
		char path[4096];

		snprintf(path, sizeof(path), "%s/.roger/blobs/sha256/%s", dir,
			 img->digest + 7);
		ck_assert(roger_fs_exists(path));
		snprintf(path, sizeof(path), "%s/.roger/blobs/sha256/%s", dir,
			 img->config_digest + 7);
		ck_assert(roger_fs_exists(path));
	}
	roger_image_free(img);
	roger_registry_pool_free(p);
	free(dir);
}
END_TEST

START_TEST(test_image_same_digest_in_two_clones)
{
	struct roger_registry_pool *p = pool();
	struct roger_image_opts o;
	struct roger_image *a, *b;
	struct roger_buf la = ROGER_BUF_INIT, lb = ROGER_BUF_INIT;
	char commit[41], *src = make_repo("origin", commit);
	char *c1 = roger_path_join(tmp, "clone1");
	char *c2 = roger_path_join(tmp, "clone2");

	/* git's own clones (libgit2's git_clone leaks in its regex library). */
	ck_assert_int_eq(
		fx_sh("git clone -q '%s' '%s' && git clone -q '%s' '%s'", src,
		      c1, src, c2),
		0);
	opts_for(&o, c1, base_ref);
	a = build(p, &o);
	opts_for(&o, c2, base_ref);
	b = build(p, &o);
	ck_assert_str_eq(a->digest, b->digest);
	ck_assert_str_eq(a->config_digest, b->config_digest);
	ck_assert_str_eq(a->layers[1].digest, b->layers[1].digest);
	ck_assert_uint_eq(a->manifest_len, b->manifest_len);
	ck_assert_mem_eq(a->manifest, b->manifest, a->manifest_len);
	ck_assert_str_ne(a->layers[1].path, b->layers[1].path);
	ck_assert_int_eq(roger_fs_read_file(&la, a->layers[1].path, NULL), 0);
	ck_assert_int_eq(roger_fs_read_file(&lb, b->layers[1].path, NULL), 0);
	ck_assert_uint_eq(la.len, lb.len);
	ck_assert_mem_eq(la.buf, lb.buf, la.len);
	roger_buf_release(&la);
	roger_buf_release(&lb);
	roger_image_free(a);
	roger_image_free(b);
	roger_registry_pool_free(p);
	free(src);
	free(c1);
	free(c2);
}
END_TEST

START_TEST(test_image_second_build_is_cached)
{
	struct roger_registry_pool *p = pool();
	struct roger_image_opts o;
	struct roger_image *a, *b;
	char commit[41], *dir = make_repo("app", commit);
	size_t mark;

	opts_for(&o, dir, base_ref);
	a = build(p, &o);
	ck_assert(!a->cached);
	mark = regd_lines(&reg);
	b = build(p, &o);
	ck_assert(b->cached);
	ck_assert_str_eq(a->digest, b->digest);
	/* One question to the registry: where the tag points now. */
	ck_assert_msg(regd_count(&reg, mark, "*", "/") == 1, "%s",
		      regd_log_since(&reg, mark));
	ck_assert_uint_eq(
		regd_count(&reg, mark, "HEAD", "/v2/" BASE_REPO "/manifests/1"),
		1);
	roger_image_free(a);
	roger_image_free(b);
	/* Pinned by digest, none at all. */
	{
		char ref[300];

		snprintf(ref, sizeof(ref), "%s/" BASE_REPO "@%s", reg.host,
			 base_digest);
		o.base = ref;
		mark = regd_lines(&reg);
		a = build(p, &o);
		ck_assert_uint_eq(regd_count(&reg, mark, "*", "/"), 0);
		ck_assert_str_eq(a->base_digest, base_digest);
		roger_image_free(a);
	}
	roger_registry_pool_free(p);
	free(dir);
}
END_TEST

START_TEST(test_image_base_tag_moved)
{
	struct roger_registry_pool *p = pool();
	struct roger_image_opts o;
	struct roger_image *a, *b;
	char commit[41], *dir = make_repo("app", commit);
	char moved[ROGER_DIGEST_SIZE], ref[300];
	size_t size;

	push_base(moved, &size, &reg, NULL, "base/moving", "stable", "amd64",
		  "first", false);
	snprintf(ref, sizeof(ref), "%s/base/moving:stable", reg.host);
	opts_for(&o, dir, ref);
	a = build(p, &o);
	ck_assert_str_eq(a->base_digest, moved);
	push_base(moved, &size, &reg, NULL, "base/moving", "stable", "amd64",
		  "second", false);
	b = build(p, &o);
	ck_assert_str_eq(b->base_digest, moved);
	ck_assert_str_ne(a->base_digest, b->base_digest);
	ck_assert_str_ne(a->digest, b->digest);
	/* Same tree: the same layer. */
	ck_assert_str_eq(a->layers[1].digest, b->layers[1].digest);
	roger_image_free(a);
	roger_image_free(b);
	roger_registry_pool_free(p);
	free(dir);
}
END_TEST

static void index_case(bool oci)
{
	struct roger_registry_pool *p = pool();
	struct roger_image_opts o;
	struct roger_image *img;
	struct roger_err err = ROGER_ERR_INIT;
	char commit[41], *dir = make_repo("app", commit);
	char idx[ROGER_DIGEST_SIZE], amd64[ROGER_DIGEST_SIZE];
	char arm64[ROGER_DIGEST_SIZE], ref[300];
	const char *repo = oci ? "base/oci" : "base/list";
	struct roger_oci_manifest *m = NULL;

	push_index(idx, amd64, arm64, repo, "multi", oci);
	snprintf(ref, sizeof(ref), "%s/%s:multi", reg.host, repo);
	opts_for(&o, dir, ref);
	img = build(p, &o);
	ck_assert_str_eq(img->base_index_digest, idx);
	ck_assert_str_eq(img->base_digest, amd64);
	/* Whatever the base's types, ours is a Docker schema 2 manifest. */
	ck_assert_int_eq(roger_oci_manifest_parse(&m, NULL, img->manifest,
						  img->manifest_len, NULL),
			 0);
	ck_assert_str_eq(m->media_type, ROGER_MT_DOCKER_MANIFEST);
	ck_assert_str_eq(m->layers[0].media_type, ROGER_MT_DOCKER_LAYER);
	roger_oci_manifest_free(m);
	roger_image_free(img);
	o.arch = "arm64";
	img = build(p, &o);
	ck_assert_str_eq(img->base_digest, arm64);
	roger_image_free(img);
	o.arch = "s390x";
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_ENOTFOUND);
	ck_assert_msg(
		strstr(err.msg,
		       "no image for platform linux/s390x in the index (it has: linux/arm64/v8, linux/amd64)"),
		"%s", err.msg);
	roger_registry_pool_free(p);
	free(dir);
}

START_TEST(test_image_manifest_list)
{
	index_case(false);
}
END_TEST

START_TEST(test_image_oci_index)
{
	index_case(true);
}
END_TEST

START_TEST(test_image_build_errors)
{
	static const char *const bad_env[] = { "NOEQUALS", NULL };
	struct roger_registry_pool *p = pool();
	struct roger_image_opts o;
	struct roger_err err = ROGER_ERR_INIT;
	char commit[41], *dir = make_repo("app", commit), ref[300];

	opts_for(&o, dir, ref);
	snprintf(ref, sizeof(ref), "%s/base/none:1", reg.host);
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "base image '127.0.0.1:") &&
			      strstr(err.msg, "not found: registry '") &&
			      strstr(err.msg, "has no tag '1' in 'base/none'"),
		      "%s", err.msg);
	snprintf(ref, sizeof(ref), "%s/" BASE_REPO ":1", reg.host);
	o.arch = "arm64";
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_EINVALID);
	ck_assert_msg(strstr(err.msg, "is for linux/amd64, not linux/arm64"),
		      "%s", err.msg);
	o.arch = NULL;
	o.workdir = "/app/../etc";
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_EINVALID);
	ck_assert(strstr(err.msg, "invalid image workdir '/app/../etc'"));
	o.workdir = "/";
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_EINVALID);
	o.workdir = NULL;
	o.env = bad_env;
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_EINVALID);
	ck_assert(strstr(err.msg, "'NOEQUALS'"));
	o.env = NULL;
	o.base = "127.0.0.1:1/Upper/case";
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_EINVALID);
	/* Nothing listens there: unreachable, exit 4. */
	o.base = "127.0.0.1:1/base/x:1";
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_ENET);
	ck_assert_int_eq(roger_exit_status(err.code), 4);
	roger_registry_pool_free(p);
	free(dir);
}
END_TEST

/* ---- pushes -------------------------------------------------------------- */

static void push(struct roger_image_push_result *res,
		 struct roger_registry_pool *p, const struct roger_image *img,
		 const char *registry, const char *repo)
{
	struct roger_image_push_opts po = { registry, repo, NULL };
	struct roger_err err = ROGER_ERR_INIT;

	memset(res, 0, sizeof(*res));
	ck_assert_msg(roger_image_push(res, ctx, p, img, &po, &err) == 0, "%s",
		      err.msg);
}

/* GET a manifest as a Mesos agent would (1.7: schema 1 only). */
static long mesos_pull(const struct regd *r, const char *repo, const char *ref,
		       const char *accept, struct roger_buf *body)
{
	struct roger_http_client_opts ho = { 0 };
	struct roger_http_client *c = NULL;
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_http_req req = { 0 };
	const char *bases[] = { r->url };
	char url[512];
	long status;

	ho.bases = bases;
	ho.n_bases = 1;
	ck_assert_int_eq(roger_http_client_new(&c, ctx, &ho, NULL, NULL), 0);
	snprintf(url, sizeof(url), "/v2/%s/manifests/%s", repo, ref);
	req.url = url;
	req.accept = accept;
	ck_assert_int_eq(roger_http_client_send(c, &req, &resp, NULL), 0);
	status = resp.status;
	if (body)
		roger_buf_add(body, resp.body.buf, resp.body.len);
	roger_http_resp_release(&resp);
	roger_http_client_free(c);
	return status;
}

START_TEST(test_image_push_then_only_heads)
{
	struct roger_registry_pool *p = pool();
	struct roger_image_push_result res;
	struct roger_image_opts o;
	struct roger_image *img;
	struct roger_buf body = ROGER_BUF_INIT;
	char commit[41], *dir = make_repo("app", commit), tag[32];
	size_t mark;

	opts_for(&o, dir, base_ref);
	img = build(p, &o);
	mark = regd_lines(&reg);
	push(&res, p, img, reg.host, "web/hello");
	roger_image_tag(tag, commit, img->digest);
	ck_assert_str_eq(res.tag, tag);
	ck_assert_uint_eq(strlen(tag), 25);
	ck_assert_int_eq(memcmp(tag, commit, 12), 0);
	ck_assert_int_eq(tag[12], '-');
	ck_assert_int_eq(memcmp(tag + 13, img->digest + 7, 12), 0);
	ck_assert(!res.already);
	/* The base layer is mounted from its repository, ours uploaded. */
	ck_assert_uint_eq(res.mounted, 1);
	ck_assert_uint_eq(res.uploaded, 2);
	ck_assert_uint_eq(res.copied, 0);
	ck_assert_uint_eq(regd_count(&reg, mark, "POST",
				     "/v2/web/hello/blobs/uploads/?mount="),
			  1);
	ck_assert_uint_eq(
		regd_count(&reg, mark, "PUT", "/v2/web/hello/manifests/"), 2);
	{
		char want[512];

		snprintf(want, sizeof(want), "%s/web/hello:%s", reg.host, tag);
		ck_assert_str_eq(res.reference, want);
		snprintf(want, sizeof(want), "%s/web/hello@%s", reg.host,
			 img->digest);
		ck_assert_str_eq(res.pinned, want);
	}
	roger_image_push_result_release(&res);

	/* Again: the tag names the image; nothing but two questions. */
	mark = regd_lines(&reg);
	push(&res, p, img, reg.host, "web/hello");
	ck_assert(res.already);
	ck_assert_msg(regd_count(&reg, mark, "*", "/") == 2, "%s",
		      regd_log_since(&reg, mark));
	ck_assert_uint_eq(regd_count(&reg, mark, "GET", "/v2/"), 1);
	ck_assert_uint_eq(
		regd_count(&reg, mark, "HEAD", "/v2/web/hello/manifests/"), 1);
	roger_image_push_result_release(&res);

	/* By digest, the registry serves our bytes; by tag with schema 1
	 * only, as Mesos up to 1.7 asks, it converts (the history allows). */
	ck_assert_int_eq(mesos_pull(&reg, "web/hello", img->digest,
				    ROGER_MT_DOCKER_MANIFEST, &body),
			 200);
	ck_assert_uint_eq(body.len, img->manifest_len);
	ck_assert_mem_eq(body.buf, img->manifest, body.len);
	ck_assert_int_eq(
		mesos_pull(
			&reg, "web/hello", tag,
			"application/vnd.docker.distribution.manifest.v1+json",
			NULL),
		200);
	roger_buf_release(&body);
	roger_image_free(img);
	roger_registry_pool_free(p);
	free(dir);
}
END_TEST

START_TEST(test_image_push_copies_from_another_registry)
{
	struct roger_image_push_result res;
	struct roger_image_opts o;
	struct roger_image *img;
	struct roger_registry_pool *p;
	struct roger_registry *c;
	struct roger_err err = ROGER_ERR_INIT;
	struct regd target;
	char commit[41], *dir = make_repo("app", commit), path[4096];
	const char *urls[3];
	bool there = false;

	regd_start(&target, "");
	urls[0] = target.url;
	urls[1] = reg.url;
	urls[2] = NULL;
	p = pool_for(urls, NULL, NULL);
	opts_for(&o, dir, base_ref);
	img = build(p, &o);
	push(&res, p, img, target.host, "web/hello");
	ck_assert_uint_eq(res.copied, 1);
	ck_assert_uint_eq(res.mounted, 0);
	ck_assert_uint_eq(res.uploaded, 2);
	c = client_for(&target, NULL);
	ck_assert_int_eq(roger_registry_blob_head(&there, NULL, c, "web/hello",
						  img->layers[0].digest, &err),
			 0);
	ck_assert(there);
	/* The copy went through the cache, checked. */
	snprintf(path, sizeof(path), "%s/.roger/blobs/sha256/%s", dir,
		 img->layers[0].digest + 7);
	ck_assert(roger_fs_exists(path));
	roger_registry_free(c);
	roger_image_push_result_release(&res);
	roger_image_free(img);
	roger_registry_pool_free(p);
	regd_stop(&target);
	free(dir);
}
END_TEST

/* ---- faults -------------------------------------------------------------- */

static size_t files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(test_image_digest_mismatch_caches_nothing)
{
	struct roger_registry_pool *p;
	struct roger_image_opts o;
	struct roger_err err = ROGER_ERR_INIT;
	struct faultd f;
	char commit[41], *dir = make_repo("app", commit);
	char script[1024], ref[300], blobs[4096];
	const char *urls[2];

	/* A proxy whose blobs are wrong: the base's config comes out bad. */
	snprintf(script, sizeof(script),
		 "[{\"match\": \"GET /v2/" BASE_REPO
		 "/blobs/*\", \"times\": 0, \"body\": \"{\\\"os\\\": 1}\"},"
		 " {\"match\": \"*\", \"times\": 0, \"proxy\": \"%s\"}]",
		 reg.url);
	faultd_start_raw(&f, script);
	urls[0] = f.url;
	urls[1] = NULL;
	p = pool_for(urls, NULL, NULL);
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/" BASE_REPO ":1", f.port);
	opts_for(&o, dir, ref);
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_EHTTP);
	ck_assert_msg(strstr(err.msg, "does not match its digest"), "%s",
		      err.msg);
	ck_assert(strstr(err.msg, "nothing was kept"));
	/* The manifest (right) is cached; the config (wrong) is not. */
	snprintf(blobs, sizeof(blobs), "%s/.roger/blobs/sha256", dir);
	ck_assert_uint_eq(files_in(blobs), 1);
	snprintf(blobs, sizeof(blobs), "%s/.roger/blobs/sha256/%s", dir,
		 base_digest + 7);
	ck_assert(roger_fs_exists(blobs));
	roger_registry_pool_free(p);
	faultd_stop(&f);
	free(dir);
}
END_TEST

START_TEST(test_image_registry_answers_html)
{
	struct roger_registry_pool *p;
	struct roger_image_opts o;
	struct roger_err err = ROGER_ERR_INIT;
	struct faultd f;
	char commit[41], *dir = make_repo("app", commit), ref[300];
	const char *urls[2];

	faultd_start(
		&f,
		"[{'match': '*', 'times': 0, 'status': 200, 'html': true}]");
	urls[0] = f.url;
	urls[1] = NULL;
	p = pool_for(urls, NULL, NULL);
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/base/x:1", f.port);
	opts_for(&o, dir, ref);
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_EHTTP);
	ck_assert_msg(
		strstr(err.msg, "it answered with an HTML page (HTTP 200 OK"),
		"%s", err.msg);
	ck_assert(strstr(err.msg, "not the registry API"));
	roger_registry_pool_free(p);
	faultd_stop(&f);
	free(dir);
}
END_TEST

/* ---- a registry with a password ------------------------------------------ */

static struct regd auth_reg;

static void auth_registry_up(void)
{
	regd_start(&auth_reg, "--auth basic --tls");
}

static void auth_registry_down(void)
{
	regd_stop(&auth_reg);
}

START_TEST(test_image_push_with_password)
{
	struct roger_registry_auth good = { "roger", "s3cret", NULL };
	struct roger_registry_auth bad = { "roger", "wrong", NULL };
	struct roger_image_push_result res;
	struct roger_image_push_opts po = { auth_reg.host, "web/hello", NULL };
	struct roger_registry_pool *p;
	struct roger_image_opts o;
	struct roger_image *img;
	struct roger_err err = ROGER_ERR_INIT;
	char commit[41], *dir = make_repo("app", commit), ref[300];
	char digest[ROGER_DIGEST_SIZE];
	const char *urls[2] = { auth_reg.url, NULL };
	size_t size;

	push_base(digest, &size, &auth_reg, &good, "base/private", "1", "amd64",
		  "private", false);
	p = pool_for(urls, &good, auth_reg.ca);
	snprintf(ref, sizeof(ref), "%s/base/private:1", auth_reg.host);
	opts_for(&o, dir, ref);
	img = build(p, &o);
	push(&res, p, img, auth_reg.host, "web/hello");
	ck_assert_uint_eq(res.mounted, 1);
	roger_image_push_result_release(&res);
	roger_registry_pool_free(p);

	/* A wrong password: refused, exit 4, the password never shown. */
	p = pool_for(urls, &bad, auth_reg.ca);
	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(roger_image_push(&res, ctx, p, img, &po, &err),
			 ROGER_EAUTH);
	ck_assert_int_eq(roger_exit_status(err.code), 4);
	ck_assert_msg(
		strstr(err.msg,
		       "check the password of user 'roger' (from the target's registry.auth)"),
		"%s", err.msg);
	ck_assert_ptr_null(strstr(err.msg, "wrong"));
	ck_assert_int_eq(build_fails(p, &o, &err), ROGER_EAUTH);
	roger_registry_pool_free(p);
	roger_image_free(img);
	free(dir);
}
END_TEST

static Suite *image_suite(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("build");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, registry_up, registry_down);
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_add_test(tc, test_image_build_layout);
	tcase_add_test(tc, test_image_same_digest_in_two_clones);
	tcase_add_test(tc, test_image_second_build_is_cached);
	tcase_add_test(tc, test_image_base_tag_moved);
	tcase_add_test(tc, test_image_manifest_list);
	tcase_add_test(tc, test_image_oci_index);
	tcase_add_test(tc, test_image_build_errors);
	tcase_add_test(tc, test_image_push_then_only_heads);
	tcase_add_test(tc, test_image_push_copies_from_another_registry);
	tcase_add_test(tc, test_image_digest_mismatch_caches_nothing);
	tcase_add_test(tc, test_image_registry_answers_html);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, auth_registry_up, auth_registry_down);
	tcase_add_checked_fixture(tc, each_setup, each_teardown);
	tcase_add_test(tc, test_image_push_with_password);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *skip = regd_skip_reason();
	SRunner *sr;
	int failed;

	if (skip) {
		fprintf(stderr, "check_image: SKIP: %s\n", skip);
		return 77;
	}
	faultd_tmp_init();
	git_libgit2_init();
	sr = srunner_create(image_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	git_libgit2_shutdown();
	faultd_tmp_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
