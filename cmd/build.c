/*
 * build.c - `roger build`: package a commit of the project into its
 * artifact (running build.command first when roger.json has one) and
 * print where it is and what it is.  The building itself, shared with
 * push and deploy, is in util/artifact.c.
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
	json_object_set_new(doc, "tree", a->tree[0] ? json_string(a->tree)
						    : json_null());
	json_object_set_new(doc, "time", json_integer((json_int_t)a->time));
	json_object_set_new(doc, "dirty", json_boolean(a->dirty));
	json_object_set_new(doc, "cached", json_boolean(a->cached));
	json_object_set_new(doc, "lfs_pointers", lfs);
	return cli_print_doc(cli, doc);
}

static int build_run(struct cli *cli, int argc, char **argv)
{
	struct roger_artifact *a = NULL;
	int status;

	cli_parse_options(cli, argc, argv);
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
	.summary = "package a commit of the project into its artifact",
	.opts = build_opts,
	.run = build_run,
};
