/*
 * address.c - the addresses of an app's running tasks (address.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

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

/* The first name of a comma-separated HAPROXY_0_VHOST (into `out`). */
static bool first_vhost(char *out, size_t size, const char *list)
{
	size_t n;

	if (!list)
		return false;
	while (*list == ' ' || *list == ',')
		list++;
	n = strcspn(list, ", ");
	if (n == 0 || n >= size)
		return false;
	memcpy(out, list, n);
	out[n] = '\0';
	return true;
}

bool roger_address_template_ok(const char *tmpl, char *why, size_t why_size)
{
	const char *p = tmpl;

	if (!tmpl || !*tmpl) {
		snprintf(
			why, why_size,
			"empty: give an address such as \"https://{vhost}\" or \"http://lb.example.com:{servicePort}\"");
		return false;
	}
	while ((p = strchr(p, '{'))) {
		const char *end = strchr(p, '}');

		if (!end || (strncmp(p, "{vhost}", 7) &&
			     strncmp(p, "{servicePort}", 13))) {
			snprintf(
				why, why_size,
				"unknown placeholder at '%.20s': only {vhost} and {servicePort} are filled in",
				p);
			return false;
		}
		p = end + 1;
	}
	return true;
}

/* "/web/hello" -> "hello.web" (labels reversed, for *.localhost). */
static int localhost_name(struct roger_buf *b, const char *id)
{
	size_t end = strlen(id);
	int rc = 0;

	while (end > 0) {
		size_t start = end;

		while (start > 0 && id[start - 1] != '/')
			start--;
		if (start < end && rc == 0) {
			if (b->len > 7) /* past "http://" */
				rc = roger_buf_addch(b, '.');
			if (rc == 0)
				rc = roger_buf_add(b, id + start, end - start);
		}
		end = start > 0 ? start - 1 : 0;
	}
	return rc;
}

int roger_address_stable(char **out, const json_t *def,
			 const struct roger_marathon_app *app,
			 const struct roger_address_router *r,
			 struct roger_err *err)
{
	const char *vlist = roger_marathon_app_label(app, "HAPROXY_0_VHOST");
	int sp = app->n_service_ports ? app->service_ports[0] : 0;
	struct roger_buf b = ROGER_BUF_INIT;
	char vhost[256], num[16];
	bool has_vhost = first_vhost(vhost, sizeof(vhost), vlist);
	const char *p;
	int rc = 0;

	*out = NULL;
	if (r->local_port > 0) {
		if (roger_address_scheme(def) || has_vhost) {
			if ((rc = roger_buf_adds(&b, "http://")) == 0 &&
			    (rc = localhost_name(&b, app->id)) == 0)
				rc = roger_buf_addf(&b, ".localhost:%d/",
						    r->local_port);
		} else if (sp > 0) {
			rc = roger_buf_addf(&b, "127.0.0.1:%d", sp);
		} else {
			return 0;
		}
		goto done;
	}
	if (!r->address)
		return 0;
	snprintf(num, sizeof(num), "%d", sp);
	for (p = r->address; *p && rc == 0;) {
		if (!strncmp(p, "{vhost}", 7)) {
			if (!has_vhost)
				goto none;
			rc = roger_buf_adds(&b, vhost);
			p += 7;
		} else if (!strncmp(p, "{servicePort}", 13)) {
			if (sp <= 0)
				goto none;
			rc = roger_buf_adds(&b, num);
			p += 13;
		} else {
			rc = roger_buf_addch(&b, *p++);
		}
	}
done:
	if (rc < 0) {
		roger_buf_release(&b);
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	}
	*out = roger_buf_detach(&b, NULL);
	return *out ? 0 : roger_err_set(err, ROGER_ENOMEM, "out of memory");
none:
	roger_buf_release(&b);
	return 0;
}
