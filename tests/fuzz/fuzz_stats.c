/*
 * fuzz_stats.c - an agent's GET /monitor/statistics as `roger top` and
 * `roger status` read it (lib/stats.c): the reply parsed, each entry
 * found again by its executor id, usage from each entry alone and from
 * every pair of entries as two samples, summed, and the percentages.
 *
 * Input: the reply's body.
 */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct roger_stats_usage *u)
{
	double pc = roger_stats_cpu_percent(u), pm = roger_stats_mem_percent(u);

	if (isnan(pc) || isnan(pm) || (u->has_cpu && u->cpus_used < 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_stats *s = NULL;
	struct roger_stats_usage sum = { 0 }, u;

	if (roger_stats_parse(&s, (const char *)data, size, NULL) != 0)
		return 0;
	for (size_t i = 0; i < s->n && i < 16; i++) {
		const struct roger_stats_entry *e = &s->items[i];

		if (!e->executor_id || !roger_stats_find(s, e->executor_id))
			abort();
		roger_stats_usage(&u, NULL, e, e->timestamp - 100);
		check(&u);
		roger_stats_usage_add(&sum, &u);
		for (size_t j = 0; j < s->n && j < 16; j++) {
			roger_stats_usage(&u, &s->items[j], e, 0);
			check(&u);
		}
	}
	check(&sum);
	roger_stats_free(s);
	return 0;
}
