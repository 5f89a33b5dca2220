/*
 * fuzz_local_app.c - how roger local reads an app definition a client
 * sends (lib/local/app.c): validation with Marathon's 422 replies and
 * normalization into 1.10's shape, and app ids.
 *
 * Input: a JSON app definition.  Besides the definition itself, its "id"
 * (when a string) is also canonicalized alone and given as the id of a PUT
 * to /v2/apps/<id>.  A definition that normalizes must normalize again to
 * itself (GET prints what PUT stored), and the 422 body must be an object
 * with a message and details.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "lib/local/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void normalize(const json_t *in, const char *id)
{
	json_t *out, *again, *error = NULL;
	int status = 0;

	out = roger_local_app_normalize(in, id, &status, &error);
	if (!out) {
		if (status != 422 ||
		    !json_is_string(json_object_get(error, "message")) ||
		    !json_is_array(json_object_get(error, "details")))
			abort();
		json_decref(error);
		return;
	}
	again = roger_local_app_normalize(out, NULL, &status, &error);
	if (!again || !json_equal(out, again) ||
	    roger_local_app_config_differs(out, again))
		abort();
	json_decref(again);
	json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = json_loadb((const char *)data, size, 0, NULL);
	const char *id;
	char why[160], *canon;

	if (!in)
		return 0;
	normalize(in, NULL);
	id = json_string_value(json_object_get(in, "id"));
	if (id) {
		canon = roger_local_app_id(id, "/group", why, sizeof(why));
		free(canon);
		normalize(in, id);
	}
	json_decref(in);
	return 0;
}
