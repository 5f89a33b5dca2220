/*
 * fuzz_registry_error.c - roger_oci_error_summary() on the body of a
 * registry's error reply ({"errors":[{"code","message","detail"}]}, or
 * anything else), with the summary length taken from the first byte.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char code[48];

	if (size < 1)
		return 0;
	roger_oci_error_summary(&b, code, sizeof(code), (const char *)data + 1,
				size - 1, (size_t)data[0] + 1);
	if (b.len != strlen(b.buf))
		__builtin_trap();
	roger_buf_release(&b);
	return 0;
}
