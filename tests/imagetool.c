/*
 * imagetool.c - the base images of the image tests and the benchmark,
 * assembled from files and pushed with libroger's registry client (not
 * installed).  `roger build` and `roger push` build and push the apps'
 * images; this makes what they build on.
 *
 *   imagetool base [opts] REPO:TAG DIR     push DIR's files as a one-layer
 *                                          image (Docker media types, or
 *                                          OCI ones with --oci)
 *   imagetool index [opts] REPO:TAG TAG... push a manifest list (an OCI
 *                                          index with --oci) of the images
 *                                          REPO:TAG... already there, each
 *                                          entry with the platform of its
 *                                          config
 *
 * Options: --url URL (the registry), --user U and --password P, --ca FILE,
 * --arch A (of a base; default amd64), --oci, -v.  Prints one JSON object
 * on stdout; on failure the error on stderr and roger's exit status.
 */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/roger.h"

#define MAX_LIST 16

struct args {
	const char *urls[MAX_LIST + 1];
	size_t n_urls;
	const char *user, *password, *ca, *arch;
	bool oci;
	int verbose;
};

static void log_fn(void *data, int level, const char *fmt, va_list ap)
	ROGER_PRINTF(3, 0);

static void log_fn(void *data, int level, const char *fmt, va_list ap)
{
	(void)data;
	(void)level;
	fputs("imagetool: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static int fail(const struct roger_err *err)
{
	fprintf(stderr, "imagetool: %s\n", err->msg);
	return roger_exit_status(err->code ? err->code : ROGER_ERROR);
}

static int pool_of(struct roger_registry_pool **out, struct roger_ctx *ctx,
		   const struct args *a, struct roger_err *err)
{
	struct roger_registry_pool_opts o = { 0 };
	struct roger_registry_auth auth = { a->user, a->password, NULL };

	o.urls = a->urls;
	o.target_auth = a->user ? &auth : NULL;
	o.ca_file = a->ca;
	return roger_registry_pool_new(out, ctx, &o, err);
}

static int to_buf(void *data, const void *buf, size_t len,
		  struct roger_err *err)
{
	if (roger_buf_add(data, buf, len) < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	return 0;
}

/* A one-layer image of the files under `dir`, as `ref` ("repo:tag"). */
static int cmd_base(struct roger_ctx *ctx, const struct args *a,
		    const char *ref, const char *dir, struct roger_err *err)
{
	struct roger_registry_pool *pool = NULL;
	struct roger_registry *r = NULL;
	struct roger_pack_opts po = { 0 };
	struct roger_pack_stats st = { 0 };
	struct roger_buf layer = ROGER_BUF_INIT, doc = ROGER_BUF_INIT;
	char ldigest[ROGER_DIGEST_SIZE], cdigest[ROGER_DIGEST_SIZE];
	char mdigest[ROGER_DIGEST_SIZE], *repo = NULL, *config = NULL;
	const char *colon = strrchr(ref, ':');
	const char *host;
	const char *type =
		a->oci ? ROGER_MT_OCI_MANIFEST : ROGER_MT_DOCKER_MANIFEST;
	size_t config_len;
	int rc;

	if (!colon || !a->urls[0]) {
		fprintf(stderr, "imagetool: base needs --url and REPO:TAG\n");
		return 2;
	}
	host = a->urls[0] + strcspn(a->urls[0], ":") + 3;
	repo = strndup(ref, (size_t)(colon - ref));
	po.subdir = "";
	po.prefix = "";
	po.mtime = 1;
	rc = roger_pack_dir(&st, ctx, dir, &po, to_buf, &layer, err);
	if (rc < 0)
		goto out;
	snprintf(ldigest, sizeof(ldigest), "sha256:%s", st.sha256);
	if (asprintf(
		    &config,
		    "{\"architecture\":\"%s\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin:/usr/bin\"],\"Cmd\":[\"sh\"]},"
		    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%s\"]},"
		    "\"history\":[{\"created_by\":\"imagetool base\"}]}",
		    a->arch ? a->arch : "amd64", st.diff_id) < 0) {
		config = NULL;
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	config_len = strlen(config);
	roger_digest_of(cdigest, config, config_len);
	roger_buf_addf(
		&doc,
		"{\"schemaVersion\":2,\"mediaType\":\"%s\","
		"\"config\":{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\"},"
		"\"layers\":[{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\"}]}",
		type, a->oci ? ROGER_MT_OCI_CONFIG : ROGER_MT_DOCKER_CONFIG,
		config_len, cdigest,
		a->oci ? ROGER_MT_OCI_LAYER_GZIP : ROGER_MT_DOCKER_LAYER,
		layer.len, ldigest);
	roger_digest_of(mdigest, doc.buf, doc.len);
	rc = pool_of(&pool, ctx, a, err);
	if (rc == 0)
		rc = roger_registry_pool_get(&r, pool, host, err);
	if (rc == 0)
		rc = roger_registry_blob_upload(r, repo, ldigest,
						(int64_t)layer.len, NULL,
						layer.buf, err);
	if (rc == 0)
		rc = roger_registry_blob_upload(r, repo, cdigest,
						(int64_t)config_len, NULL,
						config, err);
	if (rc == 0)
		rc = roger_registry_manifest_put(r, repo, colon + 1, type,
						 doc.buf, doc.len, err);
	if (rc == 0)
		printf("{\"digest\":\"%s\",\"layer\":\"%s\",\"files\":%llu}\n",
		       mdigest, ldigest, (unsigned long long)st.files);
out:
	roger_pack_stats_release(&st);
	roger_registry_pool_free(pool);
	roger_buf_release(&layer);
	roger_buf_release(&doc);
	free(config);
	free(repo);
	return rc < 0 ? fail(err) : 0;
}

/* The architecture of image `tag` of `repo` (from its config), into arch. */
static int platform_of(char *arch, size_t size, char *mt, char *digest,
		       int64_t *len, struct roger_registry *r, const char *repo,
		       const char *tag, struct roger_err *err)
{
	struct roger_buf body = ROGER_BUF_INIT, config = ROGER_BUF_INIT;
	struct roger_oci_manifest *m = NULL;
	char *type = NULL, path[] = "/tmp/imagetool-config.XXXXXX";
	json_t *doc = NULL;
	int fd, rc;

	rc = roger_registry_manifest_get(&body, &type, digest, r, repo, tag,
					 err);
	if (rc == 0)
		rc = roger_oci_manifest_parse(&m, type, body.buf, body.len,
					      err);
	fd = rc == 0 ? mkstemp(path) : -1;
	if (fd >= 0) {
		close(fd);
		rc = roger_registry_blob_fetch(r, repo, m->config.digest,
					       m->config.size, path, err);
		if (rc == 0)
			rc = roger_fs_read_file(&config, path, err);
		unlink(path);
	}
	if (rc == 0 && (doc = json_loadb(config.buf, config.len, 0, NULL)))
		snprintf(arch, size, "%s",
			 json_string_value(
				 json_object_get(doc, "architecture")));
	*len = (int64_t)body.len;
	snprintf(mt, 100, "%s", type ? type : "");
	json_decref(doc);
	roger_oci_manifest_free(m);
	roger_buf_release(&body);
	roger_buf_release(&config);
	free(type);
	return rc;
}

/* A manifest list (or OCI index) `ref` of the images `tags` of its repository.
 */
static int cmd_index(struct roger_ctx *ctx, const struct args *a,
		     const char *ref, char **tags, int n, struct roger_err *err)
{
	struct roger_registry_pool *pool = NULL;
	struct roger_registry *r = NULL;
	struct roger_buf doc = ROGER_BUF_INIT;
	const char *colon = strrchr(ref, ':'), *host;
	const char *type = a->oci ? ROGER_MT_OCI_INDEX : ROGER_MT_DOCKER_LIST;
	char digest[ROGER_DIGEST_SIZE], *repo = NULL;
	int rc;

	if (!colon || !a->urls[0]) {
		fprintf(stderr, "imagetool: index needs --url and REPO:TAG\n");
		return 2;
	}
	host = a->urls[0] + strcspn(a->urls[0], ":") + 3;
	repo = strndup(ref, (size_t)(colon - ref));
	rc = pool_of(&pool, ctx, a, err);
	if (rc == 0)
		rc = roger_registry_pool_get(&r, pool, host, err);
	roger_buf_addf(
		&doc,
		"{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[",
		type);
	for (int i = 0; i < n && rc == 0; i++) {
		char arch[32] = "", mt[100] = "";
		int64_t len = 0;

		rc = platform_of(arch, sizeof(arch), mt, digest, &len, r, repo,
				 tags[i], err);
		if (rc == 0)
			roger_buf_addf(
				&doc,
				"%s{\"mediaType\":\"%s\",\"size\":%lld,\"digest\":\"%s\",\"platform\":{\"architecture\":\"%s\",\"os\":\"linux\"}}",
				i ? "," : "", mt, (long long)len, digest, arch);
	}
	roger_buf_adds(&doc, "]}");
	if (rc == 0)
		rc = roger_registry_manifest_put(r, repo, colon + 1, type,
						 doc.buf, doc.len, err);
	if (rc == 0) {
		roger_digest_of(digest, doc.buf, doc.len);
		printf("{\"digest\":\"%s\"}\n", digest);
	}
	roger_registry_pool_free(pool);
	roger_buf_release(&doc);
	free(repo);
	return rc < 0 ? fail(err) : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "user", required_argument, NULL, 'U' },
		{ "password", required_argument, NULL, 'P' },
		{ "ca", required_argument, NULL, 'c' },
		{ "arch", required_argument, NULL, 'a' },
		{ "oci", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_ctx *ctx = NULL;
	struct args a = { 0 };
	int c, rc;

	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			if (a.n_urls < MAX_LIST)
				a.urls[a.n_urls++] = optarg;
			break;
		case 'U':
			a.user = optarg;
			break;
		case 'P':
			a.password = optarg;
			break;
		case 'c':
			a.ca = optarg;
			break;
		case 'a':
			a.arch = optarg;
			break;
		case 'o':
			a.oci = true;
			break;
		case 'v':
			a.verbose++;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr,
			"usage: imagetool base|index [options] ARG...\n");
		return 2;
	}
	if (roger_ctx_new(&ctx, &err) < 0)
		return fail(&err);
	roger_ctx_set_log_fn(ctx, log_fn, NULL);
	roger_ctx_set_log_level(ctx, ROGER_LOG_WARN + a.verbose);
	if (!strcmp(argv[optind], "base") && argc - optind == 3)
		rc = cmd_base(ctx, &a, argv[optind + 1], argv[optind + 2],
			      &err);
	else if (!strcmp(argv[optind], "index") && argc - optind >= 3)
		rc = cmd_index(ctx, &a, argv[optind + 1], argv + optind + 2,
			       argc - optind - 2, &err);
	else {
		fprintf(stderr, "imagetool: unknown command '%s'\n",
			argv[optind]);
		rc = 2;
	}
	roger_ctx_free(ctx);
	return rc;
}
