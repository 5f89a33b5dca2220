/*
 * fuzz_seg_index.c - the segment index beside each artifact
 * (.roger/artifacts/<sha256>.idx), read back to offer the artifact's
 * segments to the next build.  Whatever the bytes, the parser either
 * refuses them or gives segments that follow each other from offset 10
 * without gaps and end inside the artifact; the dump of what it accepted
 * parses again to the same; a table built from it finds every key.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/seg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_seg_index idx = { 0 }, again = { 0 };
	struct roger_seg_table *t = NULL;
	uint64_t at = 10;
	char *text;

	if (roger_seg_index_parse(&idx, (const char *)data, size, NULL) < 0)
		return 0;
	for (size_t i = 0; i < idx.n; i++) {
		if (idx.v[i].offset != at || idx.v[i].clen == 0)
			abort();
		at += idx.v[i].clen;
	}
	if (at > idx.size)
		abort();
	text = roger_seg_index_dump(&idx);
	if (!text ||
	    roger_seg_index_parse(&again, text, strlen(text), NULL) < 0 ||
	    again.n != idx.n || again.size != idx.size)
		abort();
	for (size_t i = 0; i < idx.n; i++)
		if (memcmp(again.v[i].key, idx.v[i].key, 32) ||
		    again.v[i].crc != idx.v[i].crc ||
		    again.v[i].n_lfs != idx.v[i].n_lfs)
			abort();
	free(text);
	roger_seg_index_release(&again);
	/* Lookups: /dev/null stands for the artifact, never read here. */
	if (roger_seg_table_new(&t, NULL) == 0) {
		size_t n = idx.n;
		unsigned char first[32];
		bool same = idx.compressor &&
			    !strcmp(idx.compressor, roger_seg_compressor());

		if (n)
			memcpy(first, idx.v[0].key, 32);
		if (roger_seg_table_add(t, "/dev/null", &idx, NULL) == 0 && n &&
		    same && !roger_seg_table_find(t, first))
			abort();
		roger_seg_table_free(t);
	}
	roger_seg_index_release(&idx);
	return 0;
}
