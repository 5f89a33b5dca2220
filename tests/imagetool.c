/*
 * imagetool.c - a small driver of libroger's image and registry modules
 * for the CLI tests and the benchmark, until `roger build` and `roger
 * push` handle images (not installed).
 *
 *   imagetool base [opts] REPO:TAG DIR   push DIR's files as a one-layer
 *                                        base image to the first --url
 *   imagetool build [opts] PROJECT       build the image of the git work
 *                                        tree PROJECT
 *   imagetool push [opts] PROJECT        build, then push to --registry
 *
 * Options: --url URL (a registry; repeatable, the first is the target),
 * --user U and --password P (the target's credentials), --ca FILE,
 * --base REF, --workdir DIR, --arch A, --env NAME=VALUE (repeatable),
 * --registry HOST:PORT, --repo NAME, --tag TAG, --no-cache, -v.
 * Prints one JSON object on stdout (with the milliseconds each phase
 * took); on failure the error on stderr and roger's exit status.
 */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/roger.h"

#define MAX_LIST 16

struct args {
	const char *urls[MAX_LIST + 1];
	size_t n_urls;
	const char *env[MAX_LIST + 1];
	size_t n_env;
	const char *user, *password, *ca, *base, *workdir, *arch;
	const char *registry, *repo, *tag;
	bool no_cache;
	int verbose;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
	if (asprintf(&config,
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
	roger_buf_addf(&doc,
		       "{\"schemaVersion\":2,\"mediaType\":\"" ROGER_MT_DOCKER_MANIFEST "\","
		       "\"config\":{\"mediaType\":\"" ROGER_MT_DOCKER_CONFIG "\",\"size\":%zu,\"digest\":\"%s\"},"
		       "\"layers\":[{\"mediaType\":\"" ROGER_MT_DOCKER_LAYER "\",\"size\":%zu,\"digest\":\"%s\"}]}",
		       config_len, cdigest, layer.len, ldigest);
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
		rc = roger_registry_manifest_put(r, repo, colon + 1,
						 ROGER_MT_DOCKER_MANIFEST,
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

static json_t *image_json(const struct roger_image *img, int64_t build_ms)
{
	json_t *layers = json_array();

	for (size_t i = 0; i < img->n_layers; i++)
		json_array_append_new(layers,
				      json_pack("{s:s,s:s,s:I}", "digest",
						img->layers[i].digest, "diff_id",
						img->layers[i].diff_id, "size",
						(json_int_t)img->layers[i].size));
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:b,s:b,s:I,s:I}", "digest",
			 img->digest, "config", img->config_digest,
			 "base_digest", img->base_digest, "commit", img->commit,
			 "layers", layers, "cached", img->cached, "dirty",
			 img->dirty, "files", (json_int_t)img->files, "build_ms",
			 (json_int_t)build_ms);
}

static int cmd_build(struct roger_ctx *ctx, const struct args *a,
		     const char *project, bool push, struct roger_err *err)
{
	struct roger_registry_pool *pool = NULL;
	struct roger_image_opts o = { 0 };
	struct roger_image_push_result res = { 0 };
	struct roger_image_push_opts po = { 0 };
	struct roger_image *img = NULL;
	json_t *out = NULL;
	int64_t t0, t1, t2;
	int rc;

	if (!a->base || (push && (!a->registry || !a->repo))) {
		fprintf(stderr, "imagetool: needs --base (and --registry, --repo to push)\n");
		return 2;
	}
	rc = pool_of(&pool, ctx, a, err);
	if (rc < 0)
		goto out;
	o.build.workdir = project;
	o.build.subdir = "";
	o.build.no_cache = a->no_cache;
	o.base = a->base;
	o.workdir = a->workdir;
	o.arch = a->arch;
	o.env = a->env;
	t0 = now_ms();
	rc = roger_image_build(&img, ctx, pool, &o, err);
	t1 = now_ms();
	if (rc < 0)
		goto out;
	out = image_json(img, t1 - t0);
	if (push) {
		po.registry = a->registry;
		po.repository = a->repo;
		po.tag = a->tag;
		rc = roger_image_push(&res, ctx, pool, img, &po, err);
		t2 = now_ms();
		if (rc < 0)
			goto out;
		json_object_set_new(out, "push",
				    json_pack("{s:s,s:s,s:s,s:b,s:i,s:i,s:i,s:i,s:I}",
					      "reference", res.reference,
					      "pinned", res.pinned, "tag",
					      res.tag, "already", res.already,
					      "present", res.present, "mounted",
					      res.mounted, "copied", res.copied,
					      "uploaded", res.uploaded, "push_ms",
					      (json_int_t)(t2 - t1)));
	}
	json_dumpf(out, stdout, JSON_SORT_KEYS);
	putchar('\n');
out:
	json_decref(out);
	roger_image_push_result_release(&res);
	roger_image_free(img);
	roger_registry_pool_free(pool);
	return rc < 0 ? fail(err) : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "user", required_argument, NULL, 'U' },
		{ "password", required_argument, NULL, 'P' },
		{ "ca", required_argument, NULL, 'c' },
		{ "base", required_argument, NULL, 'b' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "arch", required_argument, NULL, 'a' },
		{ "env", required_argument, NULL, 'e' },
		{ "registry", required_argument, NULL, 'r' },
		{ "repo", required_argument, NULL, 'R' },
		{ "tag", required_argument, NULL, 't' },
		{ "no-cache", no_argument, NULL, 'n' },
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
		case 'e':
			if (a.n_env < MAX_LIST)
				a.env[a.n_env++] = optarg;
			break;
		case 'U': a.user = optarg; break;
		case 'P': a.password = optarg; break;
		case 'c': a.ca = optarg; break;
		case 'b': a.base = optarg; break;
		case 'w': a.workdir = optarg; break;
		case 'a': a.arch = optarg; break;
		case 'r': a.registry = optarg; break;
		case 'R': a.repo = optarg; break;
		case 't': a.tag = optarg; break;
		case 'n': a.no_cache = true; break;
		case 'v': a.verbose++; break;
		default:
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: imagetool base|build|push [options] ARG...\n");
		return 2;
	}
	if (roger_ctx_new(&ctx, &err) < 0)
		return fail(&err);
	roger_ctx_set_log_fn(ctx, log_fn, NULL);
	roger_ctx_set_log_level(ctx, ROGER_LOG_WARN + a.verbose);
	if (!strcmp(argv[optind], "base") && argc - optind == 3)
		rc = cmd_base(ctx, &a, argv[optind + 1], argv[optind + 2], &err);
	else if (!strcmp(argv[optind], "build"))
		rc = cmd_build(ctx, &a, argv[optind + 1], false, &err);
	else if (!strcmp(argv[optind], "push"))
		rc = cmd_build(ctx, &a, argv[optind + 1], true, &err);
	else {
		fprintf(stderr, "imagetool: unknown command '%s'\n", argv[optind]);
		rc = 2;
	}
	roger_ctx_free(ctx);
	return rc;
}
