/*
 * push.c - `roger push`: build the project's artifact if needed, then
 * upload it to the target's artifact store unless the store already holds
 * it, and print its URL (the one deploy names in the Marathon fetch entry).
 * The image of an app with an `image` section goes to the target's
 * registry instead: nothing but a HEAD when the registry has it (the tag
 * names the image), else what it lacks (lib/image.h).
 *
 * Building and pushing are util/artifact.c's (shared with deploy); this file
 * parses the options and prints the result.  With -n the store is only
 * asked whether it holds the artifact, and the upload is printed instead
 * of sent.
 */
#include <config.h>

#include <stdlib.h>

#include "cmd.h"

static struct cli_build_args args;
static bool dry_run;

static const struct cmd_opt push_opts[] = {
	OPT_BUILD_ALLOW_DIRTY(&args),
	OPT_BOOL(
		'n', "dry-run", &dry_run,
		"check the store (or registry), then print the upload instead of sending it"),
	OPT_BUILD_NO_CACHE(&args),
	OPT_BUILD_REF(&args),
	OPT_END(),
};

static void print_text(const struct roger_artifact *a,
		       const struct roger_store_result *r)
{
	printf("url       %s\n", r->url);
	printf("sha256    %s\n", a->sha256);
	printf("size      %llu\n", (unsigned long long)a->size);
	printf("commit    %s\n", a->commit);
	printf("dirty     %s\n", a->dirty ? "yes" : "no");
	printf("skipped   %s\n", r->skipped ? "yes" : "no");
	if (r->request)
		printf("request   %s\n", r->request);
}

static int print_json(struct cli *cli, const struct roger_artifact *a,
		      const struct roger_store_result *r)
{
	json_t *doc = json_object();

	if (!doc) {
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	json_object_set_new(doc, "url", json_string(r->url));
	json_object_set_new(doc, "target",
			    json_string(cli->resolved_target->name));
	json_object_set_new(doc, "sha256", json_string(a->sha256));
	json_object_set_new(doc, "size", json_integer((json_int_t)a->size));
	json_object_set_new(doc, "commit", json_string(a->commit));
	json_object_set_new(doc, "dirty", json_boolean(a->dirty));
	json_object_set_new(doc, "path", json_string(a->path));
	json_object_set_new(doc, "skipped", json_boolean(r->skipped));
	json_object_set_new(doc, "replaced", json_boolean(r->replaced));
	json_object_set_new(doc, "dry_run", json_boolean(dry_run));
	json_object_set_new(doc, "request",
			    r->request ? json_string(r->request) : json_null());
	json_object_set_new(doc, "bytes_sent",
			    json_integer((json_int_t)r->bytes_sent));
	json_object_set_new(doc, "attempts", json_integer(r->attempts));
	json_object_set_new(doc, "elapsed_ms",
			    json_integer((json_int_t)r->elapsed_ms));
	return cli_print_doc(cli, doc);
}

static void print_image_text(const struct cli_image *im)
{
	const struct roger_image_push_result *r = &im->pushed;

	printf("image     %s\n", im->pinned);
	printf("tag       %s\n", im->tagged);
	printf("reference %s\n", im->reference);
	printf("digest    %s\n", im->img->digest);
	printf("commit    %s\n", im->img->commit);
	printf("dirty     %s\n", im->img->dirty ? "yes" : "no");
	printf("already   %s\n", r->already ? "yes" : "no");
	if (!dry_run)
		printf("blobs     %u present, %u mounted, %u copied, %u uploaded\n",
		       r->present, r->mounted, r->copied, r->uploaded);
}

static int print_image_json(struct cli *cli, const struct cli_image *im)
{
	const struct roger_image_push_result *r = &im->pushed;
	json_t *doc = cli_image_json(im);

	cli_json_set(doc, "target", json_string(cli->resolved_target->name));
	cli_json_set(doc, "commit", json_string(im->img->commit));
	cli_json_set(doc, "dirty", json_boolean(im->img->dirty));
	cli_json_set(doc, "dry_run", json_boolean(dry_run));
	cli_json_set(doc, "already", json_boolean(r->already));
	cli_json_set(doc, "elapsed_ms", json_integer((json_int_t)im->push_ms));
	cli_json_set(doc, "blobs",
		     json_pack("{s:i, s:i, s:i, s:i}", "present",
			       (int)r->present, "mounted", (int)r->mounted,
			       "copied", (int)r->copied, "uploaded",
			       (int)r->uploaded));
	return cli_print_doc(cli, doc);
}

/* An image app: build the image, then push it to the target's registry. */
static int push_image(struct cli *cli)
{
	struct cli_image *im = NULL;
	int status;

	/* A target without a registry fails before any packaging. */
	if ((status = cli_check_registry(cli, !dry_run)) != 0 ||
	    (status = cli_build_image(cli, &args, &im)) != 0)
		return status;
	status = cli_push_image(cli, im, dry_run);
	if (status == ROGER_EXIT_OK) {
		if (cli->output == OUTPUT_JSON)
			status = print_image_json(cli, im);
		else
			print_image_text(im);
	}
	cli_image_free(im);
	return status;
}

static int push_run(struct cli *cli, int argc, char **argv)
{
	struct roger_store_result r = ROGER_STORE_RESULT_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_artifact *a = NULL;
	enum cli_app_kind kind;
	char *external = NULL;
	int status;

	cli_parse_options(cli, argc, argv);
	/* roger.json as --ref has it (or refused when not committed) */
	if ((status = cli_use_ref(cli, &args)) != 0 ||
	    (status = cli_app_kind(cli, &kind, &external)) != 0)
		return status;
	if (kind == CLI_APP_IMAGE)
		return push_image(cli);
	if (kind == CLI_APP_EXTERNAL) {
		if (cli->output == OUTPUT_JSON)
			status = cli_print_doc(
				cli, json_pack("{s:s, s:b}", "external_image",
					       external, "pushed", 0));
		else if (!cli->quiet)
			printf("app '%s' runs image '%s', built elsewhere: nothing to push\n",
			       cli->project->id, external);
		free(external);
		return status;
	}
	/* A target without a usable store fails before any packaging. */
	if ((status = cli_load_target(cli)) != 0)
		return status;
	if (roger_store_check_target(cli->resolved_target, &err) < 0)
		return cli_fail(&err);
	status = cli_build_artifact(cli, &args, &a);
	if (status)
		return status;
	status = cli_push_artifact(cli, a, dry_run, &r);
	if (status == ROGER_EXIT_OK) {
		if (cli->output == OUTPUT_JSON)
			status = print_json(cli, a, &r);
		else
			print_text(a, &r);
	}
	roger_store_result_release(&r);
	roger_artifact_free(a);
	return status;
}

const struct roger_cmd cmd_push = {
	.name = "push",
	.summary =
		"build the artifact or image if needed and upload it to the target's store or registry",
	.opts = push_opts,
	.run = push_run,
};
