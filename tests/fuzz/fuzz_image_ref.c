/*
 * fuzz_image_ref.c - roger_image_ref_parse() on an image reference as a
 * user writes it in roger.json; an accepted one formats back into a
 * reference that parses to the same parts.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/oci.h"

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_image_ref r, again;
	struct roger_buf b = ROGER_BUF_INIT;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (roger_image_ref_parse(&r, s, NULL) == 0) {
		roger_image_ref_format(&b, &r);
		if (roger_image_ref_parse(&again, b.buf, NULL) != 0 ||
		    !same(r.registry, again.registry) ||
		    !same(r.repository, again.repository) ||
		    !same(r.tag, again.tag) || !same(r.digest, again.digest))
			__builtin_trap();
		roger_image_ref_release(&again);
		roger_image_ref_release(&r);
	}
	roger_buf_release(&b);
	free(s);
	return 0;
}
