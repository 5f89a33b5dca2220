/*
 * fuzz_user_config.c - the user configuration, $XDG_CONFIG_HOME/roger/
 * config.json (lib/config.c): loading and validation, then the
 * resolution of every target it names and of the default one, as each
 * command does before talking to a cluster.  Secrets come from a fake
 * environment (every *_env variable is set, ROGER_* ones are not).
 *
 * Input: the text of the file, written to a directory of this process in
 * /dev/shm or /tmp (also its HOME, for "~/" and token files named
 * relatively).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/project.h"
#include "lib/target.h"
#include "lib/ctx.h"
#include "lib/err.h"
#include "lib/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct roger_ctx *ctx;
static char dir[64];
static char *path;

static const char *fake_getenv(void *data, const char *name)
{
	(void)data;
	if (!strcmp(name, "HOME"))
		return dir;
	if (!strncmp(name, "ROGER_", 6) || !strncmp(name, "XDG_", 4))
		return NULL;
	return "s3cret";
}

static void cleanup(void)
{
	roger_fs_remove_tree(dir, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *token;
	FILE *f;

	(void)argc;
	(void)argv;
	/* tmpfs where there is one: the file is written for every input. */
	snprintf(dir, sizeof(dir), "%s/roger-fuzz-user-config.XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir) || roger_ctx_new(&ctx, NULL) < 0)
		abort();
	atexit(cleanup);
	roger_ctx_set_getenv_fn(ctx, fake_getenv, NULL);
	path = roger_path_join(dir, "config.json");
	/* A token file a config may name: "token_file": "token". */
	token = roger_path_join(dir, "token");
	f = token ? fopen(token, "w") : NULL;
	if (!path || !f || fputs("t0ken\n", f) < 0 || fclose(f) != 0 ||
	    chmod(token, 0600) < 0)
		abort();
	free(token);
	return 0;
}

static void resolve(const struct roger_user_config *uc, const char *name)
{
	struct roger_target *t = NULL;

	if (roger_target_resolve(&t, ctx, uc, name, NULL, NULL) == 0)
		roger_target_free(t);
	if (roger_target_resolve(&t, ctx, uc, NULL, name, NULL) == 0)
		roger_target_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_user_config *uc = NULL;
	const char **names = NULL;
	size_t n = 0;
	FILE *f = fopen(path, "w");

	if (!f)
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (roger_user_config_load(&uc, ctx, path, NULL) < 0)
		return 0;
	resolve(uc, NULL);
	if (roger_user_config_target_names(uc, &names, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			resolve(uc, names[i]);
		free(names);
	}
	resolve(uc, "prdo");
	roger_user_config_free(uc);
	return 0;
}
