/*
 * fuzz_duration.c - roger_duration_parse() on a duration as a user types
 * it after --timeout, --settle or --request-timeout: an accepted one lies
 * within the limit, and roger_duration_format() writes it back as text
 * that parses to the same number of milliseconds.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/duration.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_err err = ROGER_ERR_INIT;
	int64_t ms = -1, again = -1;
	char text[64];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (roger_duration_parse(&ms, s, &err) == 0) {
		if (ms < 0 || ms > ROGER_DURATION_MAX_MS)
			__builtin_trap();
		roger_duration_format(text, sizeof(text), ms);
		if (roger_duration_parse(&again, text, NULL) != 0 ||
		    again != ms)
			__builtin_trap();
	} else if (ms != -1 || !err.msg[0]) {
		/* nothing written on failure, and a message said why */
		__builtin_trap();
	}
	free(s);
	return 0;
}
