/*
 * fuzz_cache_entry.c - an artifact cache entry (.roger/index/<key>.json),
 * the cache index a cached build trusts: its digest names the file to
 * use, so whatever the bytes, an accepted entry has a digest of 64 hex
 * digits (nothing that could name another path), sizes that are numbers,
 * and an image layer's diff_id, when it has one, of 64 hex digits too.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/pack-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = NULL;
	const char *sha, *diff_id;

	if (roger_pack_cache_entry_parse(&doc, (const char *)data, size, NULL) <
	    0)
		return 0;
	sha = json_string_value(json_object_get(doc, "sha256"));
	if (!sha || strlen(sha) != 64 ||
	    strspn(sha, "0123456789abcdef") != 64 ||
	    !json_is_integer(json_object_get(doc, "size")))
		abort();
	diff_id = json_string_value(json_object_get(doc, "diff_id"));
	if (json_object_get(doc, "diff_id") &&
	    (!diff_id || strlen(diff_id) != 64 ||
	     strspn(diff_id, "0123456789abcdef") != 64))
		abort();
	json_decref(doc);
	return 0;
}
