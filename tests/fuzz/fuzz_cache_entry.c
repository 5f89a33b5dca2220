/*
 * fuzz_cache_entry.c - an artifact cache entry (.roger/index/<key>.json),
 * the cache index a cached build trusts: its digest names the file to
 * use, so whatever the bytes, an accepted entry has a digest of 64 hex
 * digits (nothing that could name another path) and sizes that are
 * numbers.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/pack-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = NULL;
	const char *sha;

	if (roger_pack_cache_entry_parse(&doc, (const char *)data, size, NULL) < 0)
		return 0;
	sha = json_string_value(json_object_get(doc, "sha256"));
	if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64 ||
	    !json_is_integer(json_object_get(doc, "size")))
		abort();
	json_decref(doc);
	return 0;
}
