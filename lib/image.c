/*
 * image.c - building and pushing container images (see image.h).
 *
 * A build is four steps, network first so that an unreachable registry or
 * a missing base fails before any packaging:
 *   1. resolve the base: its tag to a manifest digest (HEAD), the manifest
 *      (an index resolved to the platform's entry), its config; each
 *      document read from .roger/blobs when there, else fetched, checked
 *      against its digest and kept;
 *   2. the new layer: roger_pack_build() with layer_dir, so the tree,
 *      the build command, the dirty check and the cache are exactly those
 *      of `roger build`;
 *   3. the config, derived from the base's (oci.c), and the manifest;
 *   4. both written to .roger/blobs under their digests.
 * Steps 3 and 4 cost microseconds, so an image is "cached" when its layer
 * was and its manifest was already in the cache: the manifest digest is
 * itself the key (a function of the tree, the base digest and every
 * setting).
 *
 * A push asks the registry as little as it can: when the tag already
 * names the image, the registry has every blob (it refuses a manifest
 * whose blobs it lacks), so one HEAD settles it.  Otherwise each blob is
 * checked, then mounted, copied or uploaded, and the manifest is put by
 * digest and by tag.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "image.h"
#include "oci.h"
#include "pack.h"
#include "project.h"
#include "registry.h"
#include "str.h"
#include "util.h"

/* ---- the blob cache ------------------------------------------------------ */

static char *blob_path(const char *cache_dir, const char *digest)
{
	char *p;

	if (asprintf(&p, "%s/blobs/sha256/%s", cache_dir, digest + 7) < 0)
		return NULL;
	return p;
}

/*
 * The cached blob `digest` into `out`: ROGER_ENOTFOUND when absent, and
 * when damaged (then removed, so that it is fetched again).
 */
static int blob_read(struct roger_buf *out, struct roger_ctx *ctx,
		     const char *cache_dir, const char *digest,
		     struct roger_err *err)
{
	char actual[ROGER_DIGEST_SIZE];
	char *path = blob_path(cache_dir, digest);
	int rc;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	rc = roger_fs_read_file(out, path, NULL);
	if (rc == 0) {
		roger_digest_of(actual, out->buf, out->len);
		if (strcmp(actual, digest)) {
			roger_warn(
				ctx,
				"cached blob '%s' is damaged, fetching it again",
				path);
			unlink(path);
			roger_buf_reset(out);
			rc = ROGER_ENOTFOUND;
		}
	} else if (rc != ROGER_ENOTFOUND) {
		rc = ROGER_ENOTFOUND;
	}
	free(path);
	return rc;
}

static int blob_dir(const char *cache_dir, struct roger_err *err)
{
	char *dir;
	int rc;

	if (asprintf(&dir, "%s/blobs/sha256", cache_dir) < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	rc = roger_fs_mkdirs(dir, 0755, err);
	free(dir);
	return rc;
}

/* Keep `len` bytes under their digest; *existed when they were there. */
static int blob_write(bool *existed, const char *cache_dir, const char *digest,
		      const char *data, size_t len, struct roger_err *err)
{
	char *path = blob_path(cache_dir, digest);
	int rc = 0;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (existed)
		*existed = roger_fs_exists(path);
	if (!roger_fs_exists(path)) {
		rc = blob_dir(cache_dir, err);
		if (rc == 0)
			rc = roger_fs_write_atomic(path, data, len, 0644, err);
	}
	free(path);
	return rc;
}

/* ---- the base ------------------------------------------------------------ */

struct base {
	struct roger_image_ref ref;
	struct roger_registry *reg;
	const char *display; /* the reference as given */
	char digest[ROGER_DIGEST_SIZE]; /* the platform's manifest */
	char index_digest[ROGER_DIGEST_SIZE];
	struct roger_oci_manifest *m;
	json_t *config;
};

static void base_release(struct base *b)
{
	roger_image_ref_release(&b->ref);
	roger_oci_manifest_free(b->m);
	json_decref(b->config);
	memset(b, 0, sizeof(*b));
}

/*
 * A manifest of the base by digest (from the cache when there) or, when
 * digest[0] is empty, by `tag` (the digest is then filled in).  *type is
 * the served media type, NULL when it came from the cache.
 */
static int base_manifest(struct roger_oci_manifest **out, char *digest,
			 struct roger_ctx *ctx, struct base *b, const char *tag,
			 const char *cache_dir, struct roger_err *err)
{
	struct roger_buf body = ROGER_BUF_INIT;
	struct roger_err perr = ROGER_ERR_INIT;
	char *type = NULL;
	int rc = ROGER_ENOTFOUND;

	if (digest[0])
		rc = blob_read(&body, ctx, cache_dir, digest, err);
	if (rc == ROGER_ENOTFOUND) {
		rc = roger_registry_manifest_get(&body, &type, digest, b->reg,
						 b->ref.repository,
						 digest[0] ? digest : tag, err);
		if (rc == 0)
			rc = blob_write(NULL, cache_dir, digest, body.buf,
					body.len, err);
	}
	if (rc < 0)
		goto out;
	rc = roger_oci_manifest_parse(out, type, body.buf, body.len, &perr);
	if (rc < 0)
		rc = roger_err_set(err, rc, "base image '%s': manifest %s: %s",
				   b->display, digest, perr.msg);
out:
	free(type);
	roger_buf_release(&body);
	return rc;
}

/* The config of the base's manifest, fetched into the cache if needed. */
static int base_config(struct roger_ctx *ctx, struct base *b,
		       const char *cache_dir, struct roger_err *err)
{
	struct roger_buf body = ROGER_BUF_INIT;
	struct roger_err perr = ROGER_ERR_INIT;
	const struct roger_oci_desc *c = &b->m->config;
	char *path = NULL;
	int rc;

	rc = blob_read(&body, ctx, cache_dir, c->digest, err);
	if (rc == ROGER_ENOTFOUND) {
		path = blob_path(cache_dir, c->digest);
		if (!path)
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		else
			rc = blob_dir(cache_dir, err);
		if (rc == 0 || rc == ROGER_ENOTFOUND)
			rc = roger_registry_blob_fetch(
				b->reg, b->ref.repository, c->digest, c->size,
				path, err);
		if (rc == 0)
			rc = roger_fs_read_file(&body, path, err);
	}
	if (rc < 0)
		goto out;
	rc = roger_oci_config_parse(&b->config, body.buf, body.len,
				    b->m->n_layers, &perr);
	if (rc < 0)
		rc = roger_err_set(err, rc, "base image '%s': config %s: %s",
				   b->display, c->digest, perr.msg);
out:
	free(path);
	roger_buf_release(&body);
	return rc;
}

/* Check that the base is an image that a Docker schema 2 manifest can extend.
 */
static int base_check(const struct base *b, const char *os, const char *arch,
		      struct roger_err *err)
{
	const char *ct = b->m->config.media_type;
	const char *have_os, *have_arch;

	if (strcmp(ct, ROGER_MT_DOCKER_CONFIG) &&
	    strcmp(ct, ROGER_MT_OCI_CONFIG))
		return roger_err_set(
			err, ROGER_EINVALID,
			"base image '%s' is not a container image (its config is '%s')",
			b->display, ct);
	for (size_t i = 0; i < b->m->n_layers; i++)
		if (!roger_oci_layer_gzip(b->m->layers[i].media_type))
			return roger_err_set(
				err, ROGER_EINVALID,
				"base image '%s': layer %s is '%s', which Mesos cannot pull (only gzip tar layers)",
				b->display, b->m->layers[i].digest,
				b->m->layers[i].media_type);
	have_os = json_string_value(json_object_get(b->config, "os"));
	have_arch =
		json_string_value(json_object_get(b->config, "architecture"));
	if (strcmp(have_os, os) || strcmp(have_arch, arch))
		return roger_err_set(err, ROGER_EINVALID,
				     "base image '%s' is for %s/%s, not %s/%s",
				     b->display, have_os, have_arch, os, arch);
	return 0;
}

static int base_resolve(struct base *b, struct roger_ctx *ctx,
			struct roger_registry_pool *pool,
			const struct roger_image_opts *o, const char *os,
			const char *arch, const char *cache_dir,
			struct roger_err *err)
{
	const struct roger_oci_desc *pick;
	bool exists = true;
	int rc;

	b->display = o->base;
	rc = roger_image_ref_parse(&b->ref, o->base, err);
	if (rc == 0)
		rc = roger_registry_pool_get(&b->reg, pool, b->ref.registry,
					     err);
	if (rc < 0)
		return rc;
	if (b->ref.digest) {
		snprintf(b->digest, sizeof(b->digest), "%s", b->ref.digest);
	} else {
		rc = roger_registry_manifest_head(&exists, b->digest, b->reg,
						  b->ref.repository, b->ref.tag,
						  err);
		if (rc == 0 && !exists)
			rc = roger_err_set(
				err, ROGER_ENOTFOUND,
				"base image '%s' not found: registry '%s' has no tag '%s' in '%s'",
				o->base, b->ref.registry, b->ref.tag,
				b->ref.repository);
		if (rc < 0)
			return rc;
	}
	rc = base_manifest(&b->m, b->digest, ctx, b, b->ref.tag, cache_dir,
			   err);
	if (rc == ROGER_ENOTFOUND)
		roger_err_prefix(err, "base image '%s' not found", o->base);
	if (rc < 0)
		return rc;
	if (b->m->kind == ROGER_OCI_INDEX) {
		struct roger_oci_manifest *idx = b->m;

		b->m = NULL;
		rc = roger_oci_index_select(&pick, idx, os, arch, o->variant,
					    err);
		if (rc == 0 && !roger_digest_valid(pick->digest))
			rc = roger_err_set(err, ROGER_EINVALID,
					   "invalid digest in the index");
		if (rc == 0) {
			memcpy(b->index_digest, b->digest, sizeof(b->digest));
			memcpy(b->digest, pick->digest, sizeof(b->digest));
		}
		roger_oci_manifest_free(idx);
		if (rc < 0)
			return roger_err_prefix(err, "base image '%s'",
						o->base);
		rc = base_manifest(&b->m, b->digest, ctx, b, NULL, cache_dir,
				   err);
		if (rc < 0)
			return rc;
		if (b->m->kind != ROGER_OCI_IMAGE)
			return roger_err_set(
				err, ROGER_EINVALID,
				"base image '%s': the index entry for %s/%s is another index",
				o->base, os, arch);
	}
	rc = base_config(ctx, b, cache_dir, err);
	if (rc == 0)
		rc = base_check(b, os, arch, err);
	return rc;
}

/* ---- the build ----------------------------------------------------------- */

void roger_image_free(struct roger_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->n_layers; i++) {
		free(img->layers[i].media_type);
		free(img->layers[i].path);
	}
	free(img->layers);
	free(img->manifest);
	free(img->config);
	free(img->base);
	free(img->base_registry);
	free(img->base_repository);
	free(img->workdir);
	free(img->cache_dir);
	free(img);
}

bool roger_image_opts_from_project(struct roger_image_opts *o,
				   const struct roger_project *p)
{
	const struct roger_project_image *im = p->image;

	if (!im)
		return false;
	roger_build_opts_from_project(&o->build, p);
	o->base = im->base;
	o->workdir = im->workdir;
	o->user = im->user;
	o->env = (const char *const *)im->env;
	o->entrypoint = im->entrypoint;
	o->cmd = im->cmd;
	o->os = im->os;
	o->arch = im->arch;
	o->variant = im->variant;
	return true;
}

void roger_image_tag(char *out, const char *commit, const char *digest)
{
	snprintf(out, 26, "%.12s-%.12s", commit,
		 roger_digest_valid(digest) ? digest + 7 : digest);
}

/* An absolute, clean directory below "/": no "//", ".", "..", trailing '/'. */
static int check_workdir(const char *w, struct roger_err *err)
{
	const char *p;

	if (!roger_utf8_valid(w, strlen(w)))
		goto bad;
	for (p = w; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			goto bad;
	if (roger_path_clean_abs(w))
		return 0;
bad:
	return roger_err_set(
		err, ROGER_EINVALID,
		"invalid image workdir '%s': an absolute directory below '/' without '.', '..', '//' or a trailing '/'",
		w);
}

static char *cache_dir_of(const struct roger_build_opts *b)
{
	const char *sub = b->subdir ? b->subdir : "";
	char *p;

	if (b->cache_dir)
		return strdup(b->cache_dir);
	if (asprintf(&p, "%s%s%s/.roger", b->workdir, *sub ? "/" : "", sub) < 0)
		return NULL;
	return p;
}

static int set_layer(struct roger_image_layer *l,
		     const struct roger_oci_desc *d, const char *diff_id)
{
	memcpy(l->digest, d->digest, sizeof(l->digest));
	snprintf(l->diff_id, sizeof(l->diff_id), "%s", diff_id);
	l->size = d->size;
	l->media_type = strdup(ROGER_MT_DOCKER_LAYER);
	return l->media_type ? 0 : ROGER_ENOMEM;
}

/* Steps 3 and 4 (see the top of the file). */
static int assemble(struct roger_image *img, const struct base *b,
		    const struct roger_artifact *art,
		    const struct roger_image_opts *o, const char *workdir,
		    struct roger_err *err)
{
	struct roger_oci_config_change ch = { 0 };
	struct roger_oci_desc cdesc = { 0 }, *descs = NULL;
	struct roger_buf cbytes = ROGER_BUF_INIT, mbytes = ROGER_BUF_INIT;
	json_t *config = NULL, *manifest = NULL, *ids;
	const char **env = NULL;
	char commit_env[64], diff_id[ROGER_DIGEST_SIZE], created_by[400];
	size_t n_env = 0, nb = b->m->n_layers;
	bool had = false;
	int rc;

	while (o->env && o->env[n_env])
		n_env++;
	env = calloc(n_env + 2, sizeof(*env));
	descs = calloc(nb + 1, sizeof(*descs));
	if (!env || !descs)
		goto nomem;
	for (size_t i = 0; i < n_env; i++)
		env[i] = o->env[i];
	snprintf(commit_env, sizeof(commit_env), "ROGER_COMMIT=%s",
		 art->commit);
	env[n_env] = commit_env;
	snprintf(diff_id, sizeof(diff_id), "sha256:%s", art->diff_id);
	snprintf(created_by, sizeof(created_by),
		 "roger build: the project's tree in %s", workdir);
	ch.workdir = workdir;
	ch.user = o->user;
	ch.env = env;
	ch.entrypoint = o->entrypoint;
	ch.cmd = o->cmd;
	ch.diff_id = diff_id;
	ch.created = ROGER_IMAGE_CREATED;
	ch.created_by = created_by;
	rc = roger_oci_config_derive(&config, b->config, nb, &ch, err);
	if (rc < 0)
		goto out;
	if (roger_oci_json_dump(&cbytes, config) < 0)
		goto nomem;
	cdesc.media_type = (char *)ROGER_MT_DOCKER_CONFIG;
	cdesc.size = (int64_t)cbytes.len;
	roger_digest_of(cdesc.digest, cbytes.buf, cbytes.len);
	for (size_t i = 0; i < nb; i++)
		descs[i] = b->m->layers[i];
	descs[nb].media_type = (char *)ROGER_MT_DOCKER_LAYER;
	descs[nb].size = (int64_t)art->size;
	snprintf(descs[nb].digest, sizeof(descs[nb].digest), "sha256:%s",
		 art->sha256);
	rc = roger_oci_manifest_docker(&manifest, &cdesc, descs, nb + 1, err);
	if (rc < 0)
		goto out;
	if (roger_oci_json_dump(&mbytes, manifest) < 0)
		goto nomem;
	roger_digest_of(img->digest, mbytes.buf, mbytes.len);
	memcpy(img->config_digest, cdesc.digest, sizeof(cdesc.digest));
	rc = blob_write(NULL, img->cache_dir, img->config_digest, cbytes.buf,
			cbytes.len, err);
	if (rc == 0)
		rc = blob_write(&had, img->cache_dir, img->digest, mbytes.buf,
				mbytes.len, err);
	if (rc < 0)
		goto out;
	img->cached = art->cached && had;
	img->layers = calloc(nb + 1, sizeof(*img->layers));
	if (!img->layers)
		goto nomem;
	img->n_layers = nb + 1;
	ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	for (size_t i = 0; i <= nb; i++)
		if (set_layer(&img->layers[i], &descs[i],
			      json_string_value(json_array_get(ids, i))) < 0)
			goto nomem;
	img->layers[nb].path = strdup(art->path);
	img->config_len = cbytes.len;
	img->config = roger_buf_detach(&cbytes, NULL);
	img->manifest_len = mbytes.len;
	img->manifest = roger_buf_detach(&mbytes, NULL);
	if (!img->layers[nb].path || !img->config || !img->manifest)
		goto nomem;
	goto out;
nomem:
	rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
out:
	json_decref(config);
	json_decref(manifest);
	roger_buf_release(&cbytes);
	roger_buf_release(&mbytes);
	free(descs);
	free(env);
	return rc;
}

int roger_image_build(struct roger_image **out, struct roger_ctx *ctx,
		      struct roger_registry_pool *pool,
		      const struct roger_image_opts *o, struct roger_err *err)
{
	const char *workdir = o->workdir ? o->workdir : ROGER_IMAGE_WORKDIR;
	const char *os = o->os ? o->os : "linux";
	const char *arch = o->arch ? o->arch : "amd64";
	struct roger_build_opts bo = o->build;
	struct roger_artifact *art = NULL;
	struct roger_image *img = NULL;
	struct base b = { 0 };
	int rc;

	if (!o->base || !*o->base)
		return roger_err_set(err, ROGER_EINVALID,
				     "the image has no base");
	rc = check_workdir(workdir, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; o->env && o->env[i]; i++) {
		const char *eq = strchr(o->env[i], '=');

		if (!eq || eq == o->env[i])
			return roger_err_set(
				err, ROGER_EINVALID,
				"invalid image environment entry '%s': expected NAME=VALUE",
				o->env[i]);
	}
	img = calloc(1, sizeof(*img));
	if (!img || !(img->cache_dir = cache_dir_of(&o->build)) ||
	    !(img->workdir = strdup(workdir)) || !(img->base = strdup(o->base)))
		goto nomem;
	rc = base_resolve(&b, ctx, pool, o, os, arch, img->cache_dir, err);
	if (rc < 0)
		goto out;
	roger_info(ctx, "base image '%s' is %s", o->base, b.digest);
	bo.layer_dir = workdir + 1;
	rc = roger_pack_build(&art, ctx, &bo, err);
	if (rc < 0)
		goto out;
	rc = assemble(img, &b, art, o, workdir, err);
	if (rc < 0)
		goto out;
	memcpy(img->base_digest, b.digest, sizeof(b.digest));
	memcpy(img->base_index_digest, b.index_digest, sizeof(b.index_digest));
	img->base_registry = strdup(b.ref.registry);
	img->base_repository = strdup(b.ref.repository);
	if (!img->base_registry || !img->base_repository)
		goto nomem;
	memcpy(img->commit, art->commit, sizeof(img->commit));
	memcpy(img->tree, art->tree, sizeof(img->tree));
	img->dirty = art->dirty;
	img->files = art->files;
	*out = img;
	img = NULL;
	goto out;
nomem:
	rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
out:
	base_release(&b);
	roger_artifact_free(art);
	roger_image_free(img);
	return rc;
}

/* ---- the push ------------------------------------------------------------ */

void roger_image_push_result_release(struct roger_image_push_result *r)
{
	if (!r)
		return;
	free(r->reference);
	free(r->pinned);
	memset(r, 0, sizeof(*r));
}

/* A base layer the target lacks: copy it from the base's registry. */
static int copy_layer(struct roger_ctx *ctx, struct roger_registry_pool *pool,
		      struct roger_registry *target, const char *repo,
		      const struct roger_image *img,
		      const struct roger_image_layer *l, struct roger_err *err)
{
	struct roger_registry *src = NULL;
	char *path = blob_path(img->cache_dir, l->digest);
	int rc = 0;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (!roger_fs_exists(path)) {
		rc = roger_registry_pool_get(&src, pool, img->base_registry,
					     err);
		if (rc == 0)
			rc = blob_dir(img->cache_dir, err);
		if (rc == 0) {
			roger_info(ctx, "downloading base layer %s from '%s'",
				   l->digest, img->base_registry);
			rc = roger_registry_blob_fetch(
				src, img->base_repository, l->digest, l->size,
				path, err);
		}
	}
	if (rc == 0)
		rc = roger_registry_blob_upload(target, repo, l->digest,
						l->size, path, NULL, err);
	/* A cached copy the registry refused is not worth keeping. */
	if (rc == ROGER_EHTTP)
		unlink(path);
	free(path);
	return rc;
}

/* Send one blob the target lacks (see roger_image_push). */
static int push_blob(struct roger_image_push_result *out, struct roger_ctx *ctx,
		     struct roger_registry_pool *pool,
		     struct roger_registry *target, bool same_registry,
		     const char *repo, const struct roger_image *img,
		     const struct roger_image_layer *l, struct roger_err *err)
{
	bool there = false;
	int rc;

	rc = roger_registry_blob_head(&there, NULL, target, repo, l->digest,
				      err);
	if (rc < 0 || there) {
		out->present += there;
		return rc;
	}
	if (l->path) {
		roger_info(ctx, "uploading layer %s (%lld bytes)", l->digest,
			   (long long)l->size);
		rc = roger_registry_blob_upload(target, repo, l->digest,
						l->size, l->path, NULL, err);
		out->uploaded += rc == 0;
		return rc;
	}
	if (same_registry && strcmp(img->base_repository, repo)) {
		rc = roger_registry_blob_mount(&there, target, repo, l->digest,
					       img->base_repository, err);
		if (rc < 0 || there) {
			out->mounted += there;
			return rc;
		}
		roger_info(
			ctx,
			"registry '%s' did not mount %s from '%s', copying it",
			roger_registry_host(target), l->digest,
			img->base_repository);
	}
	rc = copy_layer(ctx, pool, target, repo, img, l, err);
	out->copied += rc == 0;
	return rc;
}

int roger_image_push(struct roger_image_push_result *out, struct roger_ctx *ctx,
		     struct roger_registry_pool *pool,
		     const struct roger_image *img,
		     const struct roger_image_push_opts *o,
		     struct roger_err *err)
{
	struct roger_image_push_result res = { 0 };
	struct roger_registry *target = NULL;
	char *turl = NULL, *burl = NULL, have[ROGER_DIGEST_SIZE];
	bool exists = false, same;
	int rc;

	if (!o->repository || !roger_image_repository_valid(o->repository))
		return roger_err_set(
			err, ROGER_EINVALID,
			"invalid image repository name '%s' (lower-case letters, digits and '.', '_', '-' between them, components joined by '/')",
			o->repository ? o->repository : "");
	if (o->tag)
		snprintf(res.tag, sizeof(res.tag), "%s", o->tag);
	else
		roger_image_tag(res.tag, img->commit, img->digest);
	if (!roger_image_tag_valid(res.tag))
		return roger_err_set(err, ROGER_EINVALID,
				     "invalid image tag '%s'", res.tag);
	if (asprintf(&res.reference, "%s/%s:%s", o->registry, o->repository,
		     res.tag) < 0)
		res.reference = NULL;
	if (asprintf(&res.pinned, "%s/%s@%s", o->registry, o->repository,
		     img->digest) < 0)
		res.pinned = NULL;
	if (!res.reference || !res.pinned) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	rc = roger_registry_pool_get(&target, pool, o->registry, err);
	if (rc == 0)
		rc = roger_registry_ping(target, err);
	if (rc == 0)
		rc = roger_registry_manifest_head(&exists, have, target,
						  o->repository, res.tag, err);
	if (rc < 0)
		goto out;
	if (exists && !strcmp(have, img->digest)) {
		res.already = true;
		goto done;
	}
	if (exists)
		roger_warn(
			ctx,
			"tag '%s' of '%s' names another image (%s), moving it",
			res.tag, o->repository, have[0] ? have : "no digest");
	if (roger_registry_pool_url(&turl, pool, o->registry) < 0 ||
	    roger_registry_pool_url(&burl, pool, img->base_registry) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	same = !strcmp(turl, burl);
	for (size_t i = 0; i < img->n_layers && rc == 0; i++)
		rc = push_blob(&res, ctx, pool, target, same, o->repository,
			       img, &img->layers[i], err);
	if (rc == 0) {
		bool there = false;

		rc = roger_registry_blob_head(&there, NULL, target,
					      o->repository, img->config_digest,
					      err);
		if (rc == 0 && !there)
			rc = roger_registry_blob_upload(
				target, o->repository, img->config_digest,
				(int64_t)img->config_len, NULL, img->config,
				err);
		res.present += there;
		res.uploaded += rc == 0 && !there;
	}
	if (rc == 0)
		rc = roger_registry_manifest_put(
			target, o->repository, img->digest,
			ROGER_MT_DOCKER_MANIFEST, img->manifest,
			img->manifest_len, err);
	if (rc == 0)
		rc = roger_registry_manifest_put(target, o->repository, res.tag,
						 ROGER_MT_DOCKER_MANIFEST,
						 img->manifest,
						 img->manifest_len, err);
	if (rc < 0)
		goto out;
done:
	*out = res;
	memset(&res, 0, sizeof(res));
out:
	free(turl);
	free(burl);
	roger_image_push_result_release(&res);
	return rc;
}
