/*
 * artifacts.c - roger local's artifact store under /artifacts/.
 *
 * PUT writes the body to a temporary file in the store as it arrives
 * (memory stays flat whatever the size), fsyncs it and renames it into
 * place, answering 201 for a new file and 204 for a replaced one, as
 * nginx's WebDAV module does.  GET and HEAD answer the file with its
 * Content-Length.  A path with an empty, "." or ".." segment, a backslash
 * or a control character is refused (400), and a file reached through a
 * symbolic link that leaves the store is not served.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "err.h"
#include "local/internal.h"

char *roger_local_artifact_path(struct roger_local *L, const char *rel)
{
	const char *p = rel;

	if (!*rel || strlen(rel) > 1024)
		return NULL;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return NULL;
		/* Names starting with ".upload-" are the store's own temp
		 * files. */
		if (!strncmp(p, ".upload-", 8))
			return NULL;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == '\\' ||
			    p[i] == 0x7f)
				return NULL;
		p += n;
		if (*p == '/') {
			p++;
			if (!*p)
				return NULL;
		}
	}
	return roger_path_join(L->artifacts_dir, rel);
}

/* Whether `path` resolves to a place inside the store. */
static bool inside_store(struct roger_local *L, const char *path)
{
	char real[PATH_MAX], store[PATH_MAX];
	size_t n;

	if (!realpath(path, real) || !realpath(L->artifacts_dir, store))
		return false;
	n = strlen(store);
	return !strncmp(real, store, n) && real[n] == '/';
}

void roger_local_artifact_get(struct roger_local *L, const char *rel, bool head,
			      struct roger_local_resp *rs)
{
	char *path = roger_local_artifact_path(L, rel);
	struct stat st;
	int fd = -1;

	if (!path) {
		roger_local_resp_message(rs, 400, "invalid artifact path '%s'",
					 rel);
		return;
	}
	if (!inside_store(L, path)) {
		roger_local_resp_message(rs, 404, "artifact '%s' not found",
					 rel);
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		roger_local_resp_message(rs, 404, "artifact '%s' not found",
					 rel);
		goto out;
	}
	/* Used now: pruning spares what was asked for lately (prune.c). */
	(void)futimens(fd, NULL);
	rs->status = 200;
	rs->content_type = "application/octet-stream";
	rs->fd = fd;
	rs->head_only = head;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
}
