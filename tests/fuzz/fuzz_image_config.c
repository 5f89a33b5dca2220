/*
 * fuzz_image_config.c - roger_oci_config_parse() on a base image's config
 * (the first byte says how many layers its manifest has), then what the
 * image builder does with an accepted one: derive roger's config and
 * serialize it.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/oci.h"

#define D0 \
	"sha256:0000000000000000000000000000000000000000000000000000000000000000"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const env[] = { "PATH=/usr/bin", "LANG=C.UTF-8",
					   "ROGER_COMMIT=x", NULL };
	struct roger_oci_config_change ch = { 0 };
	struct roger_buf b = ROGER_BUF_INIT;
	json_t *base = NULL, *derived = NULL;
	size_t layers;

	if (size < 1)
		return 0;
	layers = data[0] % 8;
	if (roger_oci_config_parse(&base, (const char *)data + 1, size - 1,
				   layers, NULL) < 0)
		return 0;
	ch.workdir = "/app";
	ch.user = "1000";
	ch.env = env;
	ch.diff_id = D0;
	ch.created = "1970-01-01T00:00:00Z";
	ch.created_by = "fuzz";
	if (roger_oci_config_derive(&derived, base, layers, &ch, NULL) == 0)
		roger_oci_json_dump(&b, derived);
	json_decref(derived);
	json_decref(base);
	roger_buf_release(&b);
	return 0;
}
