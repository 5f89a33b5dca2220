/*
 * fuzz_router_head.c - the bytes roger local's router reads on its HTTP
 * front (lib/local/router-http.c): a request head parsed, then rewritten
 * for the task, and the Host header turned into an app id.  A complete
 * head lies within the input and the limit, its Host and
 * X-Marathon-App-Id point inside it, the rewritten head ends with
 * "Connection: close" and a blank line and parses again to the same
 * routing headers, and an app id is absolute with non-empty segments.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/local/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(const char *p, size_t n, const char *buf, size_t len)
{
	if (p && (p < buf || p + n > buf + len))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct roger_router_head h, again;
	char id[256];
	char *out;
	size_t len;
	int rc = roger_router_head_parse(&h, buf, size);

	if (rc < -1 || rc > 1)
		__builtin_trap();
	if (rc != 1)
		return 0;
	if (h.len == 0 || h.len > size || h.len > ROGER_ROUTER_HEAD_MAX)
		__builtin_trap();
	check_inside(h.host, h.host_len, buf, h.len);
	check_inside(h.app_id, h.app_id_len, buf, h.len);
	out = roger_router_head_rewrite(buf, &h, &len);
	if (!out)
		return 0;
	if (len < 21 ||
	    memcmp(out + len - 21, "Connection: close\r\n\r\n", 21) ||
	    memcmp(out + len - 4, "\r\n\r\n", 4))
		__builtin_trap();
	if (roger_router_head_parse(&again, out, len) != 1 ||
	    again.len != len || again.host_len != h.host_len ||
	    (h.host && memcmp(again.host, h.host, h.host_len)) ||
	    again.app_id_len != h.app_id_len)
		__builtin_trap();
	if (h.host &&
	    roger_router_host_app(id, sizeof(id), h.host, h.host_len)) {
		if (id[0] != '/' || strstr(id, "//") ||
		    id[strlen(id) - 1] == '/')
			__builtin_trap();
	}
	free(out);
	return 0;
}
