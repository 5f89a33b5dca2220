/*
 * store.c - artifact stores (see store.h): content-addressed names.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "store.h"

static int valid_sha256(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

int roger_store_artifact_url(char **out, const char *store_base,
			     const char *app_id, const char *sha256,
			     struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	size_t len;

	if (!store_base || !*store_base)
		return roger_err_set(err, ROGER_EINVALID,
				     "the target has no artifact store");
	if (!sha256 || !valid_sha256(sha256))
		return roger_err_set(err, ROGER_EINVALID,
				     "'%s' is not a SHA-256 digest",
				     sha256 ? sha256 : "");
	if (!app_id || app_id[0] != '/' || !app_id[1])
		return roger_err_set(err, ROGER_EINVALID,
				     "'%s' is not an absolute app id",
				     app_id ? app_id : "");
	len = strlen(store_base);
	if (roger_buf_add(&b, store_base, len) < 0 ||
	    (store_base[len - 1] != '/' && roger_buf_addch(&b, '/') < 0) ||
	    roger_buf_addf(&b, "%s/%s.tar.gz", app_id + 1, sha256) < 0) {
		roger_buf_release(&b);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	*out = roger_buf_detach(&b, NULL);
	return 0;
}
