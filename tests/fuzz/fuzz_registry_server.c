/*
 * fuzz_registry_server.c - libFuzzer harness of roger local's registry
 * (lib/local/registry-server.c): its request handling, without sockets.
 *
 * An input is a request in a small text form:
 *	METHOD PATH[?QUERY]\n
 *	Header: value\n		(Authorization, Content-Type, Accept,
 *	...			 If-None-Match, Host; optional)
 *	\n
 *	BODY
 * Without an Authorization line the request carries the token (as the
 * Basic password), so that the handlers behind the check are reached.
 * The storage directory is kept from one input to the next (an upload
 * started by one can be finished by another) and emptied every 256 inputs.
 * The properties checked, abort() on any breach:
 *   - nothing is created beside the storage directory (names in requests
 *     must never lead out of it);
 *   - every answer has a status between 200 and 599 and the API version
 *     header.
 */
#include <config.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "err.h"
#include "local/beneath.h"
#include "local/registry-server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* base64 of "fuzz:" TOKEN */
#define BASIC \
	"Basic ZnV6ejowMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm"

static char base[PATH_MAX], store[PATH_MAX + 8];
static int base_fd = -1;
static struct roger_local_registry *reg;
static unsigned inputs;

static void cleanup(void)
{
	roger_local_registry_free(reg);
	if (base_fd >= 0 && roger_beneath_remove(base_fd, "store") == 0)
		rmdir(base);
}

static void fresh_store(void)
{
	roger_local_registry_free(reg);
	reg = NULL;
	if (roger_beneath_remove(base_fd, "store") < 0 ||
	    roger_local_registry_new(&reg, NULL, store, 1, TOKEN, NULL) < 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *t = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(base, sizeof(base), "%s/fuzz_registry.XXXXXX",
		 t && *t ? t : "/tmp");
	if (!mkdtemp(base))
		abort();
	base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd < 0)
		abort();
	snprintf(store, sizeof(store), "%s/store", base);
	fresh_store();
	atexit(cleanup);
	return 0;
}

static int entries(int fd)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0), n = 0;
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;

	if (!d)
		abort();
	rewinddir(d); /* the duplicate shares the offset of earlier reads */
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The query string `q` as [[name, value], ...]. */
static json_t *parse_query(char *q)
{
	json_t *out = json_array();

	while (q && *q) {
		char *amp = strchr(q, '&'), *eq;

		if (amp)
			*amp = '\0';
		eq = strchr(q, '=');
		if (eq)
			*eq = '\0';
		json_array_append_new(out,
				      json_pack("[s,s]", q, eq ? eq + 1 : ""));
		q = amp ? amp + 1 : NULL;
	}
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_registry_req rq;
	struct roger_registry_resp rs;
	char *text = malloc(size + 1), *line, *next, *sp, *q;
	const char *auth = BASIC;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (++inputs % 256 == 0)
		fresh_store();
	memset(&rq, 0, sizeof(rq));
	rq.body_fd = -1;
	rq.host = "127.0.0.1:1";
	next = strchr(text, '\n');
	if (next)
		*next++ = '\0';
	sp = strchr(text, ' ');
	if (!sp) {
		free(text);
		return 0;
	}
	*sp = '\0';
	rq.method = text;
	rq.path = sp + 1;
	q = strchr(sp + 1, '?');
	if (q)
		*q++ = '\0';
	rq.query = parse_query(q);
	for (line = next; line && *line != '\n' && *line;) {
		char *colon;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		colon = strstr(line, ": ");
		if (colon) {
			*colon = '\0';
			if (!strcasecmp(line, "Authorization"))
				auth = colon + 2;
			else if (!strcasecmp(line, "Content-Type"))
				rq.content_type = colon + 2;
			else if (!strcasecmp(line, "Accept"))
				rq.accept = colon + 2;
			else if (!strcasecmp(line, "If-None-Match"))
				rq.if_none_match = colon + 2;
			else if (!strcasecmp(line, "Host"))
				rq.host = colon + 2;
		}
		line = next;
	}
	if (line && *line == '\n')
		line++;
	rq.authorization = auth;
	rq.body = line ? line : "";
	rq.body_len = line ? size - (size_t)(line - text) : 0;
	roger_registry_resp_init(&rs);
	roger_local_registry_handle(reg, &rq, &rs);
	if (rs.status < 200 || rs.status > 599 ||
	    !json_object_get(rs.headers, "Docker-Distribution-Api-Version"))
		abort();
	if (entries(base_fd) != 1) {
		fprintf(stderr,
			"something was created beside the registry's directory\n");
		abort();
	}
	roger_registry_resp_release(&rs);
	json_decref(rq.query);
	free(text);
	return 0;
}
