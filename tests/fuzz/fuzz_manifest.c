/*
 * fuzz_manifest.c - roger_oci_manifest_parse() on registry bytes: image
 * manifests, manifest lists and OCI indexes (the first byte picks the
 * Content-Type the registry announced), then the platform choice of an
 * index.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>

#include "lib/oci.h"

static const char *const types[] = {
	NULL,
	ROGER_MT_DOCKER_MANIFEST,
	ROGER_MT_DOCKER_LIST,
	ROGER_MT_OCI_MANIFEST,
	ROGER_MT_OCI_INDEX,
	"application/json; charset=utf-8",
	ROGER_MT_DOCKER_SCHEMA1_SIGNED,
	"text/html",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_oci_manifest *m = NULL;
	const struct roger_oci_desc *d;

	if (size < 1)
		return 0;
	if (roger_oci_manifest_parse(&m, types[data[0] % 8],
				     (const char *)data + 1, size - 1,
				     NULL) < 0)
		return 0;
	if (m->kind == ROGER_OCI_INDEX) {
		roger_oci_index_select(&d, m, "linux", "amd64", NULL, NULL);
		roger_oci_index_select(&d, m, "linux", "arm64", "v8", NULL);
	}
	for (size_t i = 0; i < m->n_layers; i++)
		roger_oci_layer_gzip(m->layers[i].media_type);
	roger_oci_manifest_free(m);
	return 0;
}
