/*
 * address.c - the addresses of an app's running tasks (address.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "address.h"
#include "err.h"
#include "marathon.h"

const char *roger_address_scheme(const json_t *def)
{
	json_t *hc = json_array_get(json_object_get(def, "healthChecks"), 0);
	json_t *proto = json_object_get(hc, "protocol");
	json_t *index = json_object_get(hc, "portIndex");
	const char *p;

	if (!hc || (index && json_integer_value(index) != 0))
		return NULL;
	p = proto ? json_string_value(proto) : "HTTP";
	if (!p)
		return NULL;
	if (!strcmp(p, "HTTP") || !strcmp(p, "MESOS_HTTP"))
		return "http";
	if (!strcmp(p, "HTTPS") || !strcmp(p, "MESOS_HTTPS"))
		return "https";
	return NULL;
}

int roger_address_list(json_t **out, const json_t *def,
		       const struct roger_marathon_app *app,
		       struct roger_err *err)
{
	const char *scheme = roger_address_scheme(def);
	json_t *list = json_array();
	char addr[512];

	if (!list)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	for (size_t i = 0; i < app->n_tasks; i++) {
		const struct roger_marathon_task *t = &app->tasks[i];

		if (!t->host || !t->n_ports || !t->state ||
		    strcmp(t->state, "TASK_RUNNING"))
			continue;
		if (scheme)
			snprintf(addr, sizeof(addr), "%s://%s:%d/", scheme,
				 t->host, t->ports[0]);
		else
			snprintf(addr, sizeof(addr), "%s:%d", t->host,
				 t->ports[0]);
		if (json_array_append_new(list, json_string(addr)) < 0) {
			json_decref(list);
			return roger_err_set(err, ROGER_ENOMEM,
					     "out of memory");
		}
	}
	*out = list;
	return 0;
}
