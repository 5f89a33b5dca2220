/*
 * fuzz_project.c - roger.json, which any repository roger builds may hold
 * (lib/config.c): parsing and validation, then for the base and every
 * environment what `roger deploy` does with it: the environment's
 * fragment and target, its {{ variables }} (with a --var and one from the
 * environment, ROGER_VAR_region), the rendered app (lib/render.c), its
 * secrets masked, and the build.exclude patterns.
 *
 * Input: the text of roger.json.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/project.h"
#include "lib/target.h"
#include "lib/ctx.h"
#include "lib/err.h"
#include "lib/pattern.h"
#include "lib/render.h"
#include "lib/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct roger_ctx *ctx;

static const char *fake_getenv(void *data, const char *name)
{
	(void)data;
	return !strcmp(name, "ROGER_VAR_region") ? "eu-west-1" : NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (roger_ctx_new(&ctx, NULL) < 0)
		abort();
	roger_ctx_set_getenv_fn(ctx, fake_getenv, NULL);
	return 0;
}

static void environment(const struct roger_project *p, const char *env)
{
	static const struct roger_var cli[] = { { "tier", "web" },
						{ "tier", "api" } };
	struct roger_render_input in = {
		.commit = "0123456789abcdef0123456789abcdef01234567",
		.artifact_url =
			"http://artifacts.example.com/web/hello/0123456789ab.tar.gz",
		.artifact_sha256 =
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		.deployed_by = "alice@laptop",
		.roger_version = "0.1.0",
	};
	struct roger_var *vars = NULL;
	json_t *fragment = NULL, *app = NULL, *masked = NULL;
	const char *target;
	size_t n = 0;

	(void)roger_project_check_env(p, env, NULL);
	if (roger_project_environment(p, env, &fragment, &target, NULL) == 0)
		json_decref(fragment);
	if (roger_project_vars(&vars, &n, ctx, p, env, NULL, 0, cli, 2, NULL) <
	    0)
		return;
	in.vars = vars;
	in.n_vars = n;
	if (roger_render_app(&app, p, env, &in, NULL) == 0) {
		if (roger_render_mask_secrets(&masked, app, NULL) == 0)
			json_decref(masked);
		json_decref(app);
	}
	free(vars);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_project *p = NULL;
	struct roger_pattern_list exclude = { 0 };
	const char **envs = NULL;
	size_t n = 0;

	if (roger_project_parse(&p, "roger.json", (const char *)data, size,
				NULL) < 0)
		return 0;
	environment(p, NULL);
	if (roger_project_env_names(p, &envs, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			environment(p, envs[i]);
		free(envs);
	}
	(void)roger_project_check_env(p, "prdo", NULL);
	for (size_t i = 0; p->build_exclude[i]; i++)
		(void)roger_pattern_list_add(&exclude, p->build_exclude[i], 1,
					     NULL);
	(void)roger_pattern_excluded(&exclude, "docs/a/b.md", false);
	roger_pattern_list_release(&exclude);
	roger_project_free(p);
	return 0;
}
