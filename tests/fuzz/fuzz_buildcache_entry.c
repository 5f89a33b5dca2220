/*
 * fuzz_buildcache_entry.c - the description stored beside a build cache
 * entry (.roger/build-cache/<key>.json), read back before the entry is
 * restored: any bytes must give either an error or a digest of 64 hex
 * digits and a size, never a crash or a read past the input.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buildcache.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_err err = ROGER_ERR_INIT;
	char sha[65];
	uint64_t n = 0;

	if (roger_build_cache_entry_parse(sha, &n, (const char *)data, size,
					  &err) == 0) {
		if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
			abort();
	}
	return 0;
}
