/*
 * fuzz_docker_config.c - roger_registry_docker_config_creds() on a
 * ~/.docker/config.json, for a registry with a port and for Docker Hub.
 */
#include <config.h>

#include <stddef.h>
#include <stdint.h>

#include "lib/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "127.0.0.1:5000", "docker.io",
					     "registry.example.com" };
	struct roger_registry_creds c;

	for (size_t i = 0; i < sizeof(hosts) / sizeof(*hosts); i++) {
		if (roger_registry_docker_config_creds(&c, (const char *)data,
						       size, "config.json",
						       hosts[i], NULL) < 0)
			return 0;
		roger_registry_creds_release(&c);
	}
	return 0;
}
