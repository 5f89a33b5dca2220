/*
 * fuzz_www_authenticate.c - roger_registry_challenge_parse() on a
 * WWW-Authenticate header value, and the scope check a token cache makes
 * with the scope of an accepted challenge.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/registry-internal.h"
#include "lib/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_registry_challenge c;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (roger_registry_challenge_parse(&c, s, NULL) == 0) {
		if (c.scope) {
			roger_registry_scope_covers(
				c.scope, "repository:web/hello:pull");
			roger_registry_scope_covers(
				"repository:web/hello:pull,push", c.scope);
		}
		roger_registry_challenge_release(&c);
	}
	roger_registry_scope_covers(s, s);
	free(s);
	return 0;
}
