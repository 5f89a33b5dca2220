/*
 * images.c - roger local's image store: pull, content store, root
 * filesystems unpacked once per image, and prune.
 *
 * Layout of the store (<state>/images), every file written atomically:
 *
 *	store.lock		shared by pulls and tasks starting, exclusive
 *				for prune
 *	blobs/sha256/<hex>	manifests, configs and layer blobs, each named
 *				by the digest of its bytes (checked on the way
 *				in: registry.h never leaves an unverified blob)
 *	refs/<h>.json		{"reference","digest"}: what a reference (tag)
 *				resolved to when it was last pulled; <h> is the
 *				SHA-256 of the reference, so any reference
 *				makes a safe file name
 *	images/<hex>.json	{"digest","reference","config","blobs"}: an
 *				image whose root filesystem is complete
 *	rootfs/<hex>/		the image's layers applied in order, owned by
 *				nobody's task: tasks see it through a copy-on-
 *				write root of their own (rootfs.c)
 *	rootfs/<hex>.lock	flock(2)ed shared by every task that runs on
 *				the image; prune takes it exclusively or leaves
 *				the image alone
 *	tmp/			root filesystems being unpacked
 *
 * One directory per image rather than one per layer: a task's root is
 * then one overlay lower directory (or one copy), and whiteouts are
 * applied once, at unpack time, by the extractor (layer.c); no overlayfs
 * whiteout format is ever stored.  Layers shared by two images are
 * unpacked twice; the blobs are kept once.
 *
 * Pulls run on threads of their own, one per reference in flight: the
 * tasks that want a reference wait for its pull, polling their cancel
 * flag, so a task killed while its image downloads ends at once while the
 * pull completes for the others (and for the cache).  A reference is
 * asked of its registry once; later tasks use what it resolved to unless
 * forcePullImage, as Mesos' store does (MESOS-CONTAINERS.md section 4).
 *
 * Locks, so that prune never removes what a task uses or a pull writes:
 * get() holds store.lock shared from its start until the task holds its
 * image's rootfs lock; a pull thread holds it shared throughout; prune
 * holds it exclusively, then removes only the images whose rootfs lock it
 * can take exclusively.  flock(2) locks belong to open file descriptions,
 * so threads of one process exclude each other like processes do.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "oci.h"
#include "registry.h"
#include "util.h"
#include "local/beneath.h"
#include "local/images.h"
#include "local/layer.h"

struct pull {
	struct pull *next;
	struct roger_images *store;
	char *key; /* the canonical reference */
	int refs; /* the thread and the waiters */
	bool done;
	int rc;
	char msg[ROGER_ERR_MSG_MAX];
	int http_status;
	char digest[ROGER_DIGEST_SIZE];
	/* progress */
	size_t layers, layers_done;
	int64_t bytes, bytes_done;
};

struct roger_images {
	struct roger_ctx *ctx;
	char *dir;
	char *ca_file, *docker_config, *own_registry, *token, *arch;
	uint64_t max_bytes, max_entries;
	bool keep_owner;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* a pull finished */
	struct pull *pulls;
	int threads; /* pull threads running */
	bool stopping;
};

/* ---- small helpers ------------------------------------------------------- */

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* A NULL-terminated copy of a JSON array of strings; NULL for anything
 * else, and *bad when that was not null or absent. */
static char **strv_of(const json_t *a, bool env_only, bool *bad)
{
	size_t i, n = 0;
	json_t *v;
	char **out;

	if (!a || json_is_null(a))
		return NULL;
	if (!json_is_array(a)) {
		*bad = true;
		return NULL;
	}
	out = calloc(json_array_size(a) + 1, sizeof(*out));
	if (!out) {
		*bad = true;
		return NULL;
	}
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);

		/* Mesos skips Env entries without '=' (runtime.cpp). */
		if (!s || (env_only && (!strchr(s, '=') || s[0] == '=')))
			continue;
		if (!(out[n++] = strdup(s))) {
			*bad = true;
			free_strv(out);
			return NULL;
		}
	}
	return out;
}

static const char *str_or_empty(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

static const char *hex_of(const char *digest)
{
	return digest + 7; /* after "sha256:" */
}

static char *store_path(const struct roger_images *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *store_path(const struct roger_images *s, const char *fmt, ...)
{
	struct roger_buf b = ROGER_BUF_INIT;
	va_list ap;
	int rc;

	rc = roger_buf_addf(&b, "%s/", s->dir);
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

/* Open (creating) and flock a lock file; -1 with errno on failure. */
static int lock_file(const char *path, int how)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -1;
	while (flock(fd, how) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return -1;
	}
	return fd;
}

static int lock_store(const char *dir, int how, struct roger_err *err)
{
	char *path = roger_path_join(dir, "store.lock");
	int fd;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	fd = lock_file(path, how);
	if (fd < 0)
		roger_err_set(err, ROGER_EIO,
			      "cannot lock the image store '%s': %s", path,
			      strerror(errno));
	free(path);
	return fd < 0 ? ROGER_EIO : fd;
}

static const char *machine_arch(void)
{
	static const char *const map[][2] = {
		{ "x86_64", "amd64" },    { "aarch64", "arm64" },
		{ "armv7l", "arm" },      { "armv6l", "arm" },
		{ "i686", "386" },        { "i386", "386" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" },
		{ "riscv64", "riscv64" },
	};
	struct utsname u;

	if (uname(&u) == 0)
		for (size_t i = 0; i < ROGER_ARRAY_SIZE(map); i++)
			if (strcmp(u.machine, map[i][0]) == 0)
				return map[i][1];
	return "amd64";
}

/* ---- the store ----------------------------------------------------------- */

static int dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -1;
}

int roger_images_new(struct roger_images **out, struct roger_ctx *ctx,
		     const struct roger_images_opts *o, struct roger_err *err)
{
	static const char *const subdirs[] = { "blobs/sha256", "refs", "images",
					       "rootfs", "tmp" };
	struct roger_images *s = calloc(1, sizeof(*s));
	int rc = 0;

	if (!s)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	s->ctx = ctx;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->max_bytes = o->max_extract_bytes;
	s->max_entries = o->max_extract_entries;
	s->keep_owner = o->keep_owner;
	if (dup_opt(&s->dir, o->dir) < 0 ||
	    dup_opt(&s->ca_file, o->ca_file) < 0 ||
	    dup_opt(&s->docker_config, o->docker_config) < 0 ||
	    dup_opt(&s->own_registry, o->own_registry) < 0 ||
	    dup_opt(&s->token, o->token) < 0 ||
	    dup_opt(&s->arch, o->arch ? o->arch : machine_arch()) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(subdirs); i++) {
		char *p = roger_path_join(s->dir, subdirs[i]);

		if (!p) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto fail;
		}
		rc = roger_fs_mkdirs(p, 0700, err);
		free(p);
		if (rc < 0)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	roger_images_free(s);
	return rc;
}

void roger_images_free(struct roger_images *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	while (s->threads > 0)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s->dir);
	free(s->ca_file);
	free(s->docker_config);
	free(s->own_registry);
	if (s->token)
		explicit_bzero(s->token, strlen(s->token));
	free(s->token);
	free(s->arch);
	free(s);
}

/* ---- refs and image records ---------------------------------------------- */

static char *ref_path(const struct roger_images *s, const char *key)
{
	char d[ROGER_DIGEST_SIZE];

	roger_digest_of(d, key, strlen(key));
	return store_path(s, "refs/%s.json", hex_of(d));
}

/* What `key` resolved to when last pulled, into digest; false if unknown. */
static bool ref_lookup(const struct roger_images *s, const char *key,
		       char *digest)
{
	char *path = ref_path(s, key);
	json_t *doc = path ? json_load_file(path, 0, NULL) : NULL;
	const char *d = json_string_value(json_object_get(doc, "digest"));
	const char *r = json_string_value(json_object_get(doc, "reference"));
	bool ok = d && r && roger_digest_valid(d) && !strcmp(r, key);

	if (ok)
		snprintf(digest, ROGER_DIGEST_SIZE, "%s", d);
	json_decref(doc);
	free(path);
	return ok;
}

static int write_json(const char *path, json_t *doc, struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	int rc = roger_oci_json_dump(&b, doc);

	if (rc < 0)
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
	else
		rc = roger_fs_write_atomic(path, b.buf, b.len, 0600, err);
	roger_buf_release(&b);
	return rc;
}

static int ref_store(const struct roger_images *s, const char *key,
		     const char *digest, struct roger_err *err)
{
	char *path = ref_path(s, key);
	json_t *doc =
		json_pack("{s:s,s:s}", "reference", key, "digest", digest);
	int rc = path && doc
			 ? write_json(path, doc, err)
			 : roger_err_set(err, ROGER_ENOMEM, "out of memory");

	json_decref(doc);
	free(path);
	return rc;
}

/* Whether the image `digest` is complete in the store. */
static bool image_present(const struct roger_images *s, const char *digest)
{
	char *meta = store_path(s, "images/%s.json", hex_of(digest));
	char *root = store_path(s, "rootfs/%s", hex_of(digest));
	bool ok =
		meta && root && roger_fs_exists(meta) && roger_fs_is_dir(root);

	free(meta);
	free(root);
	return ok;
}

/* ---- pulling ------------------------------------------------------------- */

struct puller {
	struct roger_images *s;
	struct pull *p;
	struct roger_image_ref ref;
	struct roger_registry_pool *pool;
	struct roger_registry *own; /* a client of our own registry */
	struct roger_registry *reg; /* borrowed from one of the above */
};

static bool pull_stopping(void *data)
{
	struct roger_images *s = data;
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

static int connect_registry(struct puller *pu, struct roger_err *err)
{
	struct roger_images *s = pu->s;
	const char *host = roger_image_ref_api_host(pu->ref.registry);

	if (s->own_registry && strcmp(host, s->own_registry) == 0) {
		struct roger_registry_auth auth = { "roger", s->token, NULL };
		struct roger_registry_opts ro;
		char url[300];

		memset(&ro, 0, sizeof(ro));
		snprintf(url, sizeof(url), "http://%s", host);
		ro.url = url;
		ro.auth = &auth;
		ro.auth_source = "roger local's token";
		ro.max_retries = 2;
		if (roger_registry_new(&pu->own, s->ctx, &ro, err) < 0)
			return err->code;
		pu->reg = pu->own;
		return 0;
	} else {
		struct roger_registry_pool_opts po;

		memset(&po, 0, sizeof(po));
		po.docker_config = s->docker_config;
		po.ca_file = s->ca_file;
		po.max_retries = 2;
		if (roger_registry_pool_new(&pu->pool, s->ctx, &po, err) < 0)
			return err->code;
		return roger_registry_pool_get(&pu->reg, pu->pool,
					       pu->ref.registry, err);
	}
}

/* The blob `digest` of `size` bytes in the store, fetched if missing. */
static int need_blob(struct puller *pu, const char *digest, int64_t size,
		     struct roger_err *err)
{
	char *path = store_path(pu->s, "blobs/sha256/%s", hex_of(digest));
	int rc = 0;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (!roger_fs_exists(path))
		rc = roger_registry_blob_fetch(pu->reg, pu->ref.repository,
					       digest, size, path, err);
	free(path);
	return rc;
}

static int read_blob(struct roger_buf *out, const struct roger_images *s,
		     const char *digest, struct roger_err *err)
{
	char *path = store_path(s, "blobs/sha256/%s", hex_of(digest));
	int rc = path ? roger_fs_read_file(out, path, err)
		      : roger_err_set(err, ROGER_ENOMEM, "out of memory");

	free(path);
	return rc;
}

/* The image manifest of the reference (a list resolved), its bytes kept. */
static int get_manifest(struct roger_oci_manifest **out, char *digest,
			struct puller *pu, struct roger_err *err)
{
	struct roger_oci_manifest *m = NULL;
	struct roger_buf body = ROGER_BUF_INIT;
	const struct roger_oci_desc *d;
	char *mt = NULL, *path = NULL;
	const char *ref = pu->ref.digest ? pu->ref.digest : pu->ref.tag;
	int rc;

	for (int hop = 0; hop < 2; hop++) {
		roger_buf_reset(&body);
		free(mt);
		mt = NULL;
		if ((rc = roger_registry_manifest_get(
			     &body, &mt, digest, pu->reg, pu->ref.repository,
			     ref, err)) < 0)
			goto out;
		roger_oci_manifest_free(m);
		m = NULL;
		if ((rc = roger_oci_manifest_parse(&m, mt, body.buf, body.len,
						   err)) < 0)
			goto out;
		if (m->kind == ROGER_OCI_IMAGE)
			break;
		if (hop == 1) {
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"the manifest list names another list");
			goto out;
		}
		if ((rc = roger_oci_index_select(&d, m, "linux", pu->s->arch,
						 NULL, err)) < 0)
			goto out;
		ref = d->digest;
	}
	path = store_path(pu->s, "blobs/sha256/%s", hex_of(digest));
	if (!path) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (!roger_fs_exists(path) &&
	    (rc = roger_fs_write_atomic(path, body.buf, body.len, 0600, err)) <
		    0)
		goto out;
	*out = m;
	m = NULL;
out:
	roger_oci_manifest_free(m);
	roger_buf_release(&body);
	free(mt);
	free(path);
	return rc;
}

/* Apply the layers in order into a new directory, then move it into
 * rootfs/<hex> in one rename. */
static int unpack(struct puller *pu, const struct roger_oci_manifest *m,
		  const json_t *diff_ids, const char *digest,
		  struct roger_err *err)
{
	struct roger_images *s = pu->s;
	char uuid[ROGER_UUID_LEN + 1], *stage = NULL, *dest = NULL;
	int root_fd = -1, rc = 0;

	roger_uuid(uuid);
	stage = store_path(s, "tmp/rootfs-%s", uuid);
	dest = store_path(s, "rootfs/%s", hex_of(digest));
	if (!stage || !dest) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (mkdir(stage, 0755) < 0 ||
	    (root_fd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot create '%s': %s",
				   stage, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < m->n_layers; i++) {
		const struct roger_oci_desc *l = &m->layers[i];
		struct roger_layer_opts lo;
		char diff[ROGER_DIGEST_SIZE], *blob;
		const char *want =
			json_string_value(json_array_get(diff_ids, i));
		int fd;

		memset(&lo, 0, sizeof(lo));
		if ((rc = roger_layer_compression(&lo.compression,
						  l->media_type, err)) < 0)
			goto out;
		lo.keep_owner = s->keep_owner;
		lo.max_bytes = s->max_bytes;
		lo.max_entries = s->max_entries;
		lo.name = l->digest;
		lo.cancelled = pull_stopping;
		lo.data = s;
		blob = store_path(s, "blobs/sha256/%s", hex_of(l->digest));
		fd = blob ? open(blob, O_RDONLY | O_CLOEXEC) : -1;
		if (fd < 0) {
			rc = roger_err_set(
				err, ROGER_EIO, "cannot open layer '%s': %s",
				blob ? blob : l->digest, strerror(errno));
			free(blob);
			goto out;
		}
		free(blob);
		rc = roger_layer_apply(diff, root_fd, fd, &lo, err);
		close(fd);
		if (rc < 0)
			goto out;
		if (!want || strcmp(want, diff) != 0) {
			rc = roger_err_set(
				err, ROGER_EINVALID,
				"layer %zu ('%s') unpacks to %s, but the image config says %s",
				i + 1, l->digest, diff,
				want ? want : "nothing");
			goto out;
		}
	}
	if (fchmod(root_fd, 0755) < 0 || rename(stage, dest) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			goto out; /* unpacked meanwhile by an earlier run */
		rc = roger_err_set(
			err, ROGER_EIO,
			"cannot move the root filesystem into '%s': %s", dest,
			strerror(errno));
	}
out:
	if (root_fd >= 0)
		close(root_fd);
	if (stage)
		(void)roger_beneath_remove(AT_FDCWD, stage);
	free(stage);
	free(dest);
	return rc;
}

static void set_progress(struct puller *pu, size_t layers_done,
			 int64_t bytes_done)
{
	pthread_mutex_lock(&pu->s->lock);
	pu->p->layers_done = layers_done;
	pu->p->bytes_done = bytes_done;
	pthread_mutex_unlock(&pu->s->lock);
}

/* Everything below the image record: config, layers, root filesystem. */
static int pull_image(struct puller *pu, const struct roger_oci_manifest *m,
		      const char *digest, struct roger_err *err)
{
	struct roger_images *s = pu->s;
	struct roger_buf text = ROGER_BUF_INIT;
	json_t *cfg = NULL, *meta = NULL, *blobs = NULL, *inner;
	char *meta_path = NULL, *lock_path = NULL;
	int64_t total = m->config.size, done = 0;
	int rc, fd;

	for (size_t i = 0; i < m->n_layers; i++) {
		enum roger_layer_compression c;

		if ((rc = roger_layer_compression(&c, m->layers[i].media_type,
						  err)) < 0)
			return rc;
		total += m->layers[i].size;
	}
	pthread_mutex_lock(&s->lock);
	pu->p->layers = m->n_layers;
	pu->p->bytes = total;
	pthread_mutex_unlock(&s->lock);
	if ((rc = need_blob(pu, m->config.digest, m->config.size, err)) < 0 ||
	    (rc = read_blob(&text, s, m->config.digest, err)) < 0 ||
	    (rc = roger_oci_config_parse(&cfg, text.buf, text.len, m->n_layers,
					 err)) < 0)
		goto out;
	done = m->config.size;
	for (size_t i = 0; i < m->n_layers; i++) {
		if (pull_stopping(s)) {
			rc = roger_err_set(err, ROGER_EINTR,
					   "roger local is stopping");
			goto out;
		}
		if ((rc = need_blob(pu, m->layers[i].digest, m->layers[i].size,
				    err)) < 0)
			goto out;
		done += m->layers[i].size;
		set_progress(pu, i + 1, done);
	}
	if ((rc = unpack(pu, m,
			 json_object_get(json_object_get(cfg, "rootfs"),
					 "diff_ids"),
			 digest, err)) < 0)
		goto out;
	blobs = json_array();
	json_array_append_new(blobs, json_string(digest));
	json_array_append_new(blobs, json_string(m->config.digest));
	for (size_t i = 0; i < m->n_layers; i++)
		json_array_append_new(blobs, json_string(m->layers[i].digest));
	inner = json_object_get(cfg, "config");
	inner = json_is_object(inner) ? json_incref(inner) : json_object();
	meta = json_pack("{s:s,s:s,s:o,s:o}", "digest", digest, "reference",
			 pu->p->key, "config", inner, "blobs", blobs);
	blobs = NULL;
	meta_path = store_path(s, "images/%s.json", hex_of(digest));
	lock_path = store_path(s, "rootfs/%s.lock", hex_of(digest));
	if (!meta || !meta_path || !lock_path) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
	rc = write_json(meta_path, meta, err);
out:
	json_decref(blobs);
	json_decref(meta);
	json_decref(cfg);
	roger_buf_release(&text);
	free(meta_path);
	free(lock_path);
	return rc;
}

static int do_pull(struct puller *pu, struct roger_err *err)
{
	struct roger_oci_manifest *m = NULL;
	char digest[ROGER_DIGEST_SIZE];
	int rc;

	if ((rc = roger_image_ref_parse(&pu->ref, pu->p->key, err)) < 0)
		return rc;
	if ((rc = connect_registry(pu, err)) < 0 ||
	    (rc = get_manifest(&m, digest, pu, err)) < 0)
		goto out;
	if (!image_present(pu->s, digest) &&
	    (rc = pull_image(pu, m, digest, err)) < 0)
		goto out;
	if ((rc = ref_store(pu->s, pu->p->key, digest, err)) < 0)
		goto out;
	memcpy(pu->p->digest, digest, sizeof(digest));
out:
	roger_oci_manifest_free(m);
	return rc;
}

static void pull_unref(struct roger_images *s, struct pull *p)
{
	/* under s->lock */
	if (--p->refs > 0)
		return;
	for (struct pull **pp = &s->pulls; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p->key);
	free(p);
}

static void *pull_main(void *data)
{
	struct pull *p = data;
	struct roger_images *s = p->store;
	struct roger_err err = ROGER_ERR_INIT;
	struct puller pu;
	int lock_fd, rc;

	memset(&pu, 0, sizeof(pu));
	pu.s = s;
	pu.p = p;
	lock_fd = lock_store(s->dir, LOCK_SH, &err);
	rc = lock_fd < 0 ? lock_fd : do_pull(&pu, &err);
	if (lock_fd >= 0)
		close(lock_fd);
	if (rc < 0)
		roger_log(s->ctx, ROGER_LOG_INFO, "pull of '%s' failed: %s",
			  p->key, err.msg);
	else
		roger_log(s->ctx, ROGER_LOG_INFO, "pulled '%s' (%s)", p->key,
			  p->digest);
	roger_image_ref_release(&pu.ref);
	roger_registry_pool_free(pu.pool);
	roger_registry_free(pu.own);
	pthread_mutex_lock(&s->lock);
	p->done = true;
	p->rc = rc;
	p->http_status = err.http_status;
	snprintf(p->msg, sizeof(p->msg), "%s", err.msg);
	pull_unref(s, p);
	s->threads--;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/*
 * Wait for the pull of `key` (joining one in flight, else starting one),
 * polling `cancelled`; its result in digest or err.
 */
static int wait_pull(char *digest, struct roger_images *s, const char *key,
		     roger_images_cancelled_fn cancelled, void *data,
		     struct roger_err *err)
{
	struct pull *p;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	for (p = s->pulls; p; p = p->next)
		if (!p->done && strcmp(p->key, key) == 0)
			break;
	if (!p) {
		pthread_attr_t attr;
		pthread_t th;

		p = calloc(1, sizeof(*p));
		if (!p || !(p->key = strdup(key))) {
			free(p);
			pthread_mutex_unlock(&s->lock);
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		}
		p->store = s;
		p->refs = 1;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (s->stopping ||
		    pthread_create(&th, &attr, pull_main, p) != 0) {
			pthread_attr_destroy(&attr);
			free(p->key);
			free(p);
			pthread_mutex_unlock(&s->lock);
			return roger_err_set(err, ROGER_ERROR,
					     "cannot start a pull of '%s'",
					     key);
		}
		pthread_attr_destroy(&attr);
		s->threads++;
		p->next = s->pulls;
		s->pulls = p;
	}
	p->refs++;
	while (!p->done) {
		struct timespec until;

		if (cancelled && cancelled(data)) {
			rc = roger_err_set(
				err, ROGER_EINTR,
				"the pull of '%s' was left: the task was killed",
				key);
			break;
		}
		roger_clock_deadline(&until, 100);
		pthread_cond_timedwait(&s->cond, &s->lock, &until);
	}
	if (rc == 0 && p->rc < 0) {
		rc = roger_err_set(err, p->rc, "%s", p->msg);
		if (err)
			err->http_status = p->http_status;
	} else if (rc == 0) {
		memcpy(digest, p->digest, ROGER_DIGEST_SIZE);
	}
	pull_unref(s, p);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ---- using an image ------------------------------------------------------ */

void roger_image_use_free(struct roger_image_use *u)
{
	if (!u)
		return;
	if (u->lock_fd >= 0)
		close(u->lock_fd);
	free(u->rootfs);
	free_strv(u->env);
	free_strv(u->entrypoint);
	free_strv(u->cmd);
	free(u->workdir);
	free(u->user);
	free(u);
}

/* The record of image `digest`, locked for use. */
static int open_use(struct roger_image_use **out, struct roger_images *s,
		    const char *digest, struct roger_err *err)
{
	struct roger_image_use *u = calloc(1, sizeof(*u));
	char *meta_path = NULL, *lock_path = NULL;
	json_t *meta = NULL, *cfg;
	json_error_t jerr;
	bool bad = false;
	int rc = 0;

	if (!u)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	u->lock_fd = -1;
	memcpy(u->digest, digest, ROGER_DIGEST_SIZE);
	meta_path = store_path(s, "images/%s.json", hex_of(digest));
	lock_path = store_path(s, "rootfs/%s.lock", hex_of(digest));
	u->rootfs = store_path(s, "rootfs/%s", hex_of(digest));
	if (!meta_path || !lock_path || !u->rootfs) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	u->lock_fd = lock_file(lock_path, LOCK_SH);
	if (u->lock_fd < 0) {
		rc = roger_err_set(err, ROGER_EIO, "cannot lock '%s': %s",
				   lock_path, strerror(errno));
		goto out;
	}
	meta = json_load_file(meta_path, 0, &jerr);
	if (!meta || !roger_fs_is_dir(u->rootfs)) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "image '%s' is not in the store", digest);
		goto out;
	}
	cfg = json_object_get(meta, "config");
	u->env = strv_of(json_object_get(cfg, "Env"), true, &bad);
	u->entrypoint =
		strv_of(json_object_get(cfg, "Entrypoint"), false, &bad);
	u->cmd = strv_of(json_object_get(cfg, "Cmd"), false, &bad);
	u->workdir = strdup(str_or_empty(json_object_get(cfg, "WorkingDir")));
	u->user = strdup(str_or_empty(json_object_get(cfg, "User")));
	if (bad || !u->workdir || !u->user)
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"image '%s' has a config roger local cannot read",
			digest);
out:
	json_decref(meta);
	free(meta_path);
	free(lock_path);
	if (rc == 0)
		*out = u;
	else
		roger_image_use_free(u);
	return rc;
}

int roger_images_get(struct roger_image_use **out, struct roger_images *s,
		     const char *reference, bool force_pull,
		     roger_images_cancelled_fn cancelled, void *data,
		     struct roger_err *err)
{
	struct roger_image_ref ref;
	struct roger_buf key = ROGER_BUF_INIT;
	char digest[ROGER_DIGEST_SIZE] = "";
	int lock_fd = -1, rc;

	memset(&ref, 0, sizeof(ref));
	if ((rc = roger_image_ref_parse(&ref, reference, err)) < 0)
		return roger_err_prefix(err, "invalid image '%s'", reference);
	if (roger_image_ref_format(&key, &ref) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((lock_fd = lock_store(s->dir, LOCK_SH, err)) < 0) {
		rc = lock_fd;
		goto out;
	}
	if (ref.digest && image_present(s, ref.digest))
		memcpy(digest, ref.digest, strlen(ref.digest) + 1);
	else if (!ref.digest && !force_pull && ref_lookup(s, key.buf, digest) &&
		 !image_present(s, digest))
		digest[0] = '\0';
	if (!digest[0] &&
	    (rc = wait_pull(digest, s, key.buf, cancelled, data, err)) < 0) {
		if (rc != ROGER_EINTR)
			roger_err_prefix(err, "cannot pull image '%s'",
					 key.buf);
		goto out;
	}
	if (ref.digest && strcmp(ref.digest, digest) != 0) {
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"cannot pull image '%s': the registry gave image %s",
			key.buf, digest);
		goto out;
	}
	rc = open_use(out, s, digest, err);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	roger_image_ref_release(&ref);
	roger_buf_release(&key);
	return rc;
}

json_t *roger_images_progress(struct roger_images *s, const char *reference)
{
	struct roger_image_ref ref;
	struct roger_buf key = ROGER_BUF_INIT;
	json_t *out = NULL;

	memset(&ref, 0, sizeof(ref));
	if (!s || roger_image_ref_parse(&ref, reference, NULL) < 0 ||
	    roger_image_ref_format(&key, &ref) < 0)
		goto out;
	pthread_mutex_lock(&s->lock);
	for (struct pull *p = s->pulls; p && !out; p = p->next)
		if (!p->done && strcmp(p->key, key.buf) == 0)
			out = json_pack("{s:s,s:I,s:I,s:I,s:I}", "image",
					p->key, "layers", (json_int_t)p->layers,
					"layersDone",
					(json_int_t)p->layers_done, "bytes",
					(json_int_t)p->bytes, "bytesDone",
					(json_int_t)p->bytes_done);
	pthread_mutex_unlock(&s->lock);
out:
	roger_image_ref_release(&ref);
	roger_buf_release(&key);
	return out;
}

/* ---- prune --------------------------------------------------------------- */

struct pruning {
	struct roger_images s; /* only `dir` is set: for store_path() */
	json_t *keep_keys; /* {canonical reference: true} */
	json_t *keep_images; /* {digest: true} */
	json_t *keep_blobs; /* {digest: true} */
	struct roger_images_prune_report report;
};

/* The names in directory `path` ending in `suffix` ("" for any), sorted
 * out of "." and "..": a new array of new strings. */
static json_t *list_names(const char *path, const char *suffix)
{
	json_t *names = json_array();
	struct dirent *de;
	DIR *d = opendir(path);
	size_t sl = strlen(suffix);

	if (!d)
		return names;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.' || n < sl ||
		    strcmp(de->d_name + n - sl, suffix))
			continue;
		json_array_append_new(names, json_stringn(de->d_name, n - sl));
	}
	closedir(d);
	return names;
}

static void prune_refs(struct pruning *pr)
{
	char *dir = store_path(&pr->s, "refs");
	json_t *names = dir ? list_names(dir, ".json") : NULL, *v;
	size_t i;

	json_array_foreach(names, i, v) {
		char *path = store_path(&pr->s, "refs/%s.json",
					json_string_value(v));
		json_t *doc = path ? json_load_file(path, 0, NULL) : NULL;
		const char *key =
			json_string_value(json_object_get(doc, "reference"));
		const char *d =
			json_string_value(json_object_get(doc, "digest"));

		if (key && d && json_object_get(pr->keep_keys, key))
			json_object_set_new(pr->keep_images, d, json_true());
		else if (path)
			unlink(path);
		json_decref(doc);
		free(path);
	}
	json_decref(names);
	free(dir);
}

static void keep_blobs_of(struct pruning *pr, const char *hex)
{
	char *path = store_path(&pr->s, "images/%s.json", hex);
	json_t *doc = path ? json_load_file(path, 0, NULL) : NULL, *b;
	size_t i;

	json_array_foreach(json_object_get(doc, "blobs"), i, b)
		if (json_is_string(b))
			json_object_set_new(pr->keep_blobs,
					    json_string_value(b), json_true());
	json_decref(doc);
	free(path);
}

/* Remove image `hex` unless a task holds its lock. */
static void prune_image(struct pruning *pr, const char *hex, bool has_meta)
{
	char *lock = store_path(&pr->s, "rootfs/%s.lock", hex);
	char *meta = store_path(&pr->s, "images/%s.json", hex);
	char *root = store_path(&pr->s, "rootfs/%s", hex);
	int fd = lock ? open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW) : -1;

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		pr->report.in_use++;
		if (has_meta)
			keep_blobs_of(pr, hex);
		goto out;
	}
	if (meta)
		unlink(meta);
	if (root && roger_fs_exists(root)) {
		(void)roger_beneath_remove(AT_FDCWD, root);
		pr->report.images++;
	}
	if (lock)
		unlink(lock);
out:
	if (fd >= 0)
		close(fd);
	free(lock);
	free(meta);
	free(root);
}

static void prune_images(struct pruning *pr)
{
	char *dir = store_path(&pr->s, "images");
	char *rdir = store_path(&pr->s, "rootfs");
	json_t *names = dir ? list_names(dir, ".json") : NULL;
	json_t *roots = rdir ? list_names(rdir, "") : NULL, *v;
	size_t i;

	json_array_foreach(names, i, v) {
		const char *hex = json_string_value(v);
		char digest[ROGER_DIGEST_SIZE];

		snprintf(digest, sizeof(digest), "sha256:%s", hex);
		if (json_object_get(pr->keep_images, digest))
			keep_blobs_of(pr, hex);
		else
			prune_image(pr, hex, true);
	}
	/* Root filesystems without a record (a crash between the two). */
	json_array_foreach(roots, i, v) {
		const char *name = json_string_value(v);
		char *meta =
			strchr(name, '.')
				? NULL
				: store_path(&pr->s, "images/%s.json", name);

		if (meta && !roger_fs_exists(meta))
			prune_image(pr, name, false);
		free(meta);
	}
	json_decref(names);
	json_decref(roots);
	free(dir);
	free(rdir);
}

static void prune_blobs(struct pruning *pr)
{
	char *dir = store_path(&pr->s, "blobs/sha256");
	json_t *names = dir ? list_names(dir, "") : NULL, *v;
	size_t i;

	json_array_foreach(names, i, v) {
		char digest[ROGER_DIGEST_SIZE + 8], *path;
		struct stat st;

		snprintf(digest, sizeof(digest), "sha256:%s",
			 json_string_value(v));
		if (json_object_get(pr->keep_blobs, digest))
			continue;
		path = store_path(&pr->s, "blobs/sha256/%s",
				  json_string_value(v));
		if (path && lstat(path, &st) == 0 && unlink(path) == 0) {
			pr->report.blobs++;
			pr->report.bytes += (uint64_t)st.st_size;
		}
		free(path);
	}
	json_decref(names);
	free(dir);
}

int roger_images_prune(struct roger_images_prune_report *out, const char *dir,
		       const char *const *keep, struct roger_err *err)
{
	struct pruning pr;
	char *tmp = NULL;
	int lock_fd, rc = 0;

	memset(&pr, 0, sizeof(pr));
	if (!roger_fs_is_dir(dir)) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	pr.s.dir = (char *)dir;
	pr.keep_keys = json_object();
	pr.keep_images = json_object();
	pr.keep_blobs = json_object();
	if (!pr.keep_keys || !pr.keep_images || !pr.keep_blobs) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	for (; keep && *keep; keep++) {
		struct roger_image_ref ref;
		struct roger_buf key = ROGER_BUF_INIT;

		memset(&ref, 0, sizeof(ref));
		if (roger_image_ref_parse(&ref, *keep, NULL) == 0 &&
		    roger_image_ref_format(&key, &ref) == 0) {
			json_object_set_new(pr.keep_keys, key.buf, json_true());
			if (ref.digest)
				json_object_set_new(pr.keep_images, ref.digest,
						    json_true());
		}
		roger_image_ref_release(&ref);
		roger_buf_release(&key);
	}
	if ((lock_fd = lock_store(dir, LOCK_EX, err)) < 0) {
		rc = lock_fd;
		goto out;
	}
	prune_refs(&pr);
	prune_images(&pr);
	prune_blobs(&pr);
	/* No pull runs while we hold the store: what tmp/ holds is left
	 * over by a server that died while unpacking. */
	tmp = store_path(&pr.s, "tmp");
	if (tmp) {
		json_t *names = list_names(tmp, ""), *v;
		size_t i;
		int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		json_array_foreach(names, i, v)
			if (dfd >= 0)
				(void)roger_beneath_remove(
					dfd, json_string_value(v));
		if (dfd >= 0)
			close(dfd);
		json_decref(names);
	}
	close(lock_fd);
	*out = pr.report;
out:
	free(tmp);
	json_decref(pr.keep_keys);
	json_decref(pr.keep_images);
	json_decref(pr.keep_blobs);
	return rc;
}
