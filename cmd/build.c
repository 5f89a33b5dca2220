/*
 * build.c - `roger build`: package a commit of the project into its
 * artifact (running build.command first when roger.json has one) and
 * print where it is and what it is.  With roger.json's `image` section,
 * the artifact is a container image: its digest, its base's, and its
 * layers are printed.  An app whose container names an image built
 * elsewhere has nothing to build.  The building itself, shared with push
 * and deploy, is in util/artifact.c.
 */
#include <config.h>

#include <stdlib.h>

#include "cmd.h"

static struct cli_build_args args;

static const struct cmd_opt build_opts[] = {
	OPT_BUILD_ALLOW_DIRTY(&args),
	OPT_BUILD_NO_CACHE(&args),
	OPT_BUILD_REF(&args),
	OPT_END(),
};

static void print_text(const struct roger_artifact *a)
{
	printf("artifact  %s\n", a->path);
	printf("sha256    %s\n", a->sha256);
	printf("size      %llu\n", (unsigned long long)a->size);
	printf("files     %llu\n", (unsigned long long)a->files);
	printf("commit    %s\n", a->commit);
	printf("dirty     %s\n", a->dirty ? "yes" : "no");
	printf("cached    %s\n", a->cached ? "yes" : "no");
}

static int print_json(struct cli *cli, const struct roger_artifact *a)
{
	json_t *doc = json_object(), *lfs = json_array();

	if (!doc || !lfs) {
		json_decref(doc);
		json_decref(lfs);
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	for (size_t i = 0; i < a->n_lfs_pointers; i++)
		json_array_append_new(lfs, json_string(a->lfs_pointers[i]));
	json_object_set_new(doc, "path", json_string(a->path));
	json_object_set_new(doc, "sha256", json_string(a->sha256));
	json_object_set_new(doc, "size", json_integer((json_int_t)a->size));
	json_object_set_new(doc, "files", json_integer((json_int_t)a->files));
	json_object_set_new(doc, "commit", json_string(a->commit));
	json_object_set_new(doc, "tree",
			    a->tree[0] ? json_string(a->tree) : json_null());
	json_object_set_new(doc, "time", json_integer((json_int_t)a->time));
	json_object_set_new(doc, "dirty", json_boolean(a->dirty));
	json_object_set_new(doc, "cached", json_boolean(a->cached));
	json_object_set_new(doc, "lfs_pointers", lfs);
	return cli_print_doc(cli, doc);
}

static void print_image_text(const struct cli_image *im)
{
	const struct roger_image *img = im->img;

	printf("image       %s\n", img->digest);
	printf("tag         %s\n", im->tag);
	if (im->reference)
		printf("reference   %s\n", im->reference);
	printf("base        %s\n", img->base);
	printf("base-digest %s\n", img->base_digest);
	for (size_t i = 0; i < img->n_layers; i++) {
		const struct roger_image_layer *l = &img->layers[i];

		if (l->path)
			printf("layer       %s (the tree in %s: %llu files, %lld bytes)\n",
			       l->digest, img->workdir,
			       (unsigned long long)img->files,
			       (long long)l->size);
		else
			printf("layer       %s (base, %lld bytes)\n", l->digest,
			       (long long)l->size);
	}
	printf("config      %s\n", img->config_digest);
	printf("commit      %s\n", img->commit);
	printf("dirty       %s\n", img->dirty ? "yes" : "no");
	printf("cached      %s\n", img->cached ? "yes" : "no");
}

static int print_image_json(struct cli *cli, const struct cli_image *im)
{
	const struct roger_image *img = im->img;
	json_t *doc = cli_image_json(im);

	cli_json_set(doc, "commit", json_string(img->commit));
	cli_json_set(doc, "tree",
		     img->tree[0] ? json_string(img->tree) : json_null());
	cli_json_set(doc, "files", json_integer((json_int_t)img->files));
	cli_json_set(doc, "dirty", json_boolean(img->dirty));
	cli_json_set(doc, "cached", json_boolean(img->cached));
	return cli_print_doc(cli, doc);
}

/* An image app: build the image. */
static int build_image(struct cli *cli)
{
	struct cli_image *im = NULL;
	int status = cli_build_image(cli, &args, &im);

	if (status)
		return status;
	if (cli->output == OUTPUT_JSON)
		status = print_image_json(cli, im);
	else
		print_image_text(im);
	cli_image_free(im);
	return status;
}

/* An app whose container names an image built elsewhere: nothing to do. */
static int build_nothing(struct cli *cli, const char *image)
{
	if (cli->output == OUTPUT_JSON)
		return cli_print_doc(cli,
				     json_pack("{s:s, s:b}", "external_image",
					       image, "built", 0));
	if (!cli->quiet)
		printf("app '%s' runs image '%s', built elsewhere: nothing to build\n",
		       cli->project->id, image);
	return ROGER_EXIT_OK;
}

static int build_run(struct cli *cli, int argc, char **argv)
{
	struct roger_artifact *a = NULL;
	enum cli_app_kind kind;
	char *external = NULL;
	int status;

	cli_parse_options(cli, argc, argv);
	if ((status = cli_use_ref(cli, &args)) != 0)
		return status;
	if ((status = cli_app_kind(cli, &kind, &external)) != 0)
		return status;
	if (kind == CLI_APP_IMAGE)
		return build_image(cli);
	if (kind == CLI_APP_EXTERNAL) {
		status = build_nothing(cli, external);
		free(external);
		return status;
	}
	status = cli_build_artifact(cli, &args, &a);
	if (status)
		return status;
	if (cli->output == OUTPUT_JSON)
		status = print_json(cli, a);
	else {
		print_text(a);
		status = ROGER_EXIT_OK;
	}
	roger_artifact_free(a);
	return status;
}

const struct roger_cmd cmd_build = {
	.name = "build",
	.summary = "package a commit of the project into its artifact or image",
	.opts = build_opts,
	.run = build_run,
};
