/*
 * appinfo.c - what the commands that look at a live app share (status,
 * history, and the day-two verbs): one way to say that an app does not
 * exist or that the cluster does not answer, and the age of Marathon's
 * timestamps (read by roger_marathon_time_parse()) shown short.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

int cli_fail_app(struct cli *cli, const char *app_id,
		 const struct roger_err *err)
{
	const struct roger_target *t = cli->resolved_target;
	const char *name = t && t->name ? t->name : "";
	struct roger_local_status st;

	if (err->code == ROGER_ENOTFOUND) {
		cli_error("app '%s' does not exist on target '%s'", app_id,
			  name);
		return ROGER_EXIT_FAILURE;
	}
	if (err->code == ROGER_ENET && t && t->is_local &&
	    roger_local_status(&st, t->local_state_dir, NULL) == 0 &&
	    !st.running) {
		cli_error(
			"%s; roger local is not running: start it with 'roger local up'",
			err->msg);
		return ROGER_EXIT_UNREACHABLE;
	}
	return cli_fail(err);
}

char *cli_stable_address(struct cli *cli, const json_t *def,
			 const struct roger_marathon_app *app)
{
	const struct roger_target *t = cli->resolved_target;
	struct roger_address_router r = { NULL, 0 };
	struct roger_local_status st;
	char *out = NULL;
	const char *colon;

	if (!t || !app)
		return NULL;
	if (t->is_local) {
		if (roger_local_status(&st, t->local_state_dir, NULL) < 0 ||
		    !st.running || !(colon = strrchr(st.router, ':')))
			return NULL;
		r.local_port = atoi(colon + 1);
	} else {
		r.address = t->router_address;
	}
	if (roger_address_stable(&out, def, app, &r, NULL) < 0)
		return NULL;
	return out;
}

void cli_format_age(char *out, size_t size, int64_t ms)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;

	if (s < 120)
		snprintf(out, size, "%llds", (long long)s);
	else if (s < 2 * 3600)
		snprintf(out, size, "%lldm", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(out, size, "%lldh", (long long)(s / 3600));
	else
		snprintf(out, size, "%lldd", (long long)(s / 86400));
}

json_t *cli_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

void cli_print_image(const struct roger_release *r)
{
	if (!r->image)
		return;
	if (r->image_base)
		printf("image:      %s (built on %s)\n", r->image,
		       r->image_base);
	else
		printf("image:      %s\n", r->image);
}

json_t *cli_release_json(const struct roger_release *r, bool is_release)
{
	if (!is_release)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "commit",
			 cli_json_str(r->commit), "env", cli_json_str(r->env),
			 "artifact_sha256", cli_json_str(r->artifact_sha256),
			 "image", cli_json_str(r->image), "image_base",
			 cli_json_str(r->image_base), "deployed_by",
			 cli_json_str(r->deployed_by), "roger_version",
			 cli_json_str(r->roger_version), "dirty", r->dirty);
}

int cli_find_version(struct cli *cli, struct roger_marathon *m,
		     const char *app_id,
		     const struct roger_marathon_versions *v, const char *want,
		     size_t *index, json_t **def)
{
	struct roger_err err = ROGER_ERR_INIT;
	int rc;

	rc = roger_release_find(index, def, m, app_id, v, want, &err);
	if (rc == ROGER_EUSAGE &&
	    roger_release_ref_kind(want) == ROGER_RELEASE_REF_INVALID)
		return cli_usage_error(cli, "%s", err.msg);
	if (rc == ROGER_EUSAGE) {
		cli_error("%s", err.msg);
		return ROGER_EXIT_USAGE;
	}
	if (rc == ROGER_ENOTFOUND && err.msg[0]) {
		cli_error("%s on target '%s'", err.msg,
			  cli->resolved_target->name);
		return ROGER_EXIT_FAILURE;
	}
	if (rc < 0)
		return cli_fail_app(cli, app_id, &err);
	return ROGER_EXIT_OK;
}
