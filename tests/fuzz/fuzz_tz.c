/*
 * fuzz_tz.c - roger_tz_parse() on the bytes of a zone file (TZif, as
 * found under /usr/share/zoneinfo or TZDIR) and roger_tz_parse_rule() on
 * them as a POSIX TZ rule; an accepted zone answers offsets within the
 * range RFC 8536 gives zone files (more than -25 hours, less than 26; a
 * rule's are within 24:59:59) and maps local times back to instants at
 * every year of a range.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/tz.h"

static void exercise(const struct roger_tz *tz)
{
	for (int64_t t = -2208988800LL; t < 4102444800LL; t += 86400 * 97) {
		int32_t off = roger_tz_offset(tz, t);

		if (off < -89999 || off > 93599)
			__builtin_trap();
		(void)roger_tz_local_to_utc(tz, t);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_tz *tz = NULL;
	char *s;

	if (roger_tz_parse(&tz, "fuzz", data, size, NULL) == 0) {
		exercise(tz);
		roger_tz_free(tz);
	}
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	tz = NULL;
	if (roger_tz_parse_rule(&tz, s, NULL) == 0) {
		exercise(tz);
		roger_tz_free(tz);
	}
	free(s);
	return 0;
}
