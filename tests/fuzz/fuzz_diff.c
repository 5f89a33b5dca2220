/*
 * fuzz_diff.c - the differences between two app definitions
 * (lib/render.c), as `roger diff`, `deploy` and `rollback` compute them
 * between what a cluster returns and what roger.json renders: both ways,
 * with and without the metadata labels, as text and as JSON, plus the
 * release labels and the masking of secrets of either app.
 *
 * Input: the old app, a NUL byte, the new app (JSON).  A diff of an app
 * with itself must be empty, and one of two apps empty both ways or
 * neither.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The diff from a to b in both forms; -1 when it failed, else whether empty. */
static int diff(const json_t *a, const json_t *b, unsigned flags)
{
	struct roger_diff *d = NULL;
	struct roger_buf text = ROGER_BUF_INIT;
	json_t *j = NULL;
	int empty;

	if (roger_diff_apps(&d, a, b, flags, NULL) < 0)
		return -1;
	roger_diff_format_text(&text, d, ROGER_DIFF_COLOR);
	roger_diff_to_json(&j, d, NULL);
	empty = roger_diff_empty(d);
	json_decref(j);
	roger_buf_release(&text);
	roger_diff_free(d);
	return empty;
}

static void one(const json_t *app)
{
	struct roger_release rel;
	struct roger_diff *d = NULL;
	json_t *masked = NULL;

	(void)roger_render_release(&rel, app);
	if (roger_render_mask_secrets(&masked, app, NULL) == 0)
		json_decref(masked);
	if (roger_diff_apps(&d, app, app, 0, NULL) == 0) {
		if (!roger_diff_empty(d))
			abort();
		roger_diff_free(d);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	json_t *a, *b;

	if (!nul)
		return 0;
	a = json_loadb(text, (size_t)(nul - text), 0, NULL);
	b = json_loadb(nul + 1, size - (size_t)(nul + 1 - text), 0, NULL);
	/* "No difference" does not depend on which app is the old one. */
	if (a && b && diff(a, b, ROGER_DIFF_IGNORE_METADATA) >= 0 &&
	    diff(a, b, 0) != diff(b, a, 0))
		abort();
	if (a)
		one(a);
	if (b)
		one(b);
	json_decref(a);
	json_decref(b);
	return 0;
}
