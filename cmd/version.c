/*
 * version.c - `roger version`: the same as `roger --version`, for those
 * who type it as a command (kubectl, helm and nomad have one), with a JSON
 * document under -o json.
 */
#include <config.h>

#include "cmd.h"

void cli_print_version(void)
{
	printf("roger %s\nartifacts: %s\n", roger_version(),
	       roger_pack_compressor());
}

static int version_run(struct cli *cli, int argc, char **argv)
{
	cli_parse_options(cli, argc, argv);
	if (cli->output == OUTPUT_JSON)
		return cli_print_doc(
			cli, json_pack("{s:s,s:s}", "version", roger_version(),
				       "artifacts", roger_pack_compressor()));
	cli_print_version();
	return ROGER_EXIT_OK;
}

const struct roger_cmd cmd_version = {
	.name = "version",
	.summary = "print the version of roger",
	.run = version_run,
};
