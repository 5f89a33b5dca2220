/*
 * fuzz_dockerfile.c - roger_dockerfile_parse() on a Dockerfile of a
 * repository (roger init reads any it finds), then what init does with
 * each instruction: its words, and ARG substitution into them.  An
 * accepted file gives instructions whose keyword is upper-case letters
 * and whose JSON form has its strings.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct roger_dockerfile_var vars[] = {
		{ "VERSION", "1.2" },
		{ "EMPTY", "" },
		{ "UNSET", NULL },
	};
	struct roger_dockerfile *df = NULL;

	if (roger_dockerfile_parse(&df, (const char *)data, size, "Dockerfile",
				   NULL) < 0)
		return 0;
	for (size_t i = 0; i < df->n; i++) {
		const struct roger_dockerfile_instr *in = &df->instrs[i];
		char **words = NULL, *out = NULL;

		if (!in->keyword[0] || !in->line ||
		    strspn(in->keyword, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
			    strlen(in->keyword) ||
		    (in->json && !in->argv))
			__builtin_trap();
		if (roger_dockerfile_words(&words, in->args, df->escape,
					   NULL) == 0) {
			for (size_t w = 0; words[w]; w++)
				if (roger_dockerfile_substitute(
					    &out, words[w], df->escape, vars, 3,
					    NULL) == 0)
					free(out);
			roger_dockerfile_words_free(words);
		}
	}
	roger_dockerfile_free(df);
	return 0;
}
