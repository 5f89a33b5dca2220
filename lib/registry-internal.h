/*
 * registry-internal.h - what registry.c shares with registry-auth.c (not
 * installed): base64, scope sets, loopback hosts.
 */
#ifndef ROGER_REGISTRY_INTERNAL_H
#define ROGER_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Standard base64 of `len` bytes, as a new NUL-terminated string. */
int roger_registry_b64_encode(char **out, const char *in, size_t len);

/*
 * Decode base64 (standard alphabet, padding optional) into a new
 * NUL-terminated buffer of *out_len bytes.  ROGER_EINVALID for a
 * character outside the alphabet or a dangling last character.
 */
int roger_registry_b64_decode(char **out, size_t *out_len, const char *in,
			      size_t len);

/*
 * Whether a token asked for the scopes `granted` (space-separated
 * "type:name:action,action") is good for every scope of `wanted`: each
 * wanted action of each wanted resource is among the granted ones (or
 * "*" is).  NULL or "" wanted: any token will do.
 */
bool roger_registry_scope_covers(const char *granted, const char *wanted);

/* Whether `host` ("host[:port]") is localhost, 127.0.0.0/8 or ::1. */
bool roger_registry_loopback_host(const char *host);

#endif
