/*
 * fuzz_cron.c - roger_cron_parse() on a cron expression as roger.json and
 * Metronome requests hold it, and roger_cron_next() of every accepted
 * one in UTC and in a zone with summer time: the next time is a whole
 * minute strictly after the instant asked about, and asking again from it
 * moves on.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cron.h"
#include "lib/err.h"
#include "lib/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rules[] = {
		"UTC0", "CET-1CEST,M3.5.0,M10.5.0/3",
		"<-03>3<-02>,M3.2.0/-1,M11.1.0/0"
	};
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_cron c;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (roger_cron_parse(&c, s, &err) == 0) {
		for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
			struct roger_tz *tz = NULL;
			int64_t after = 1717243200, t = 0,
				u = 0; /* 2024-06-01 */

			if (roger_tz_parse_rule(&tz, rules[i], NULL) < 0)
				__builtin_trap();
			if (roger_cron_next(&t, &c, tz, after) == 0) {
				if (t <= after || t % 60 != 0)
					__builtin_trap();
				if (roger_cron_next(&u, &c, tz, t) == 0 &&
				    u <= t)
					__builtin_trap();
			}
			roger_tz_free(tz);
		}
	} else if (!err.msg[0]) {
		__builtin_trap();
	}
	free(s);
	return 0;
}
