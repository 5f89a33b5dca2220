/*
 * address.h - where an app answers: the host and first port of each of
 * its running tasks, as a URL when its health check tells the scheme.
 * What deploy prints last, one line per task, so that a script can take
 * the first.
 *
 * Pure: app definitions and parsed apps in, strings out.
 */
#ifndef ROGER_ADDRESS_H
#define ROGER_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_err;
struct roger_marathon_app;

/*
 * The scheme the app `def` answers in on its first port, read from its
 * first health check: "http" (HTTP, MESOS_HTTP, or no protocol, which is
 * Marathon's HTTP), "https" (HTTPS, MESOS_HTTPS), or NULL when there is no
 * health check, it checks another port index, or it is TCP or a command.
 */
ROGER_EXTERN const char *roger_address_scheme(const json_t *def);

/*
 * The address of each task of `app` (read with its tasks embedded) that
 * is TASK_RUNNING with a host and a port, in task order, as a new JSON
 * array of strings in *out: "http://host:port/" when `def` gives a
 * scheme (roger_address_scheme), else "host:port".  ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_address_list(json_t **out, const json_t *def,
				    const struct roger_marathon_app *app,
				    struct roger_err *err);

/* Where a target's load balancer answers (see roger_address_stable). */
struct roger_address_router {
	/* The target's "router" address template, with {vhost} and
	 * {servicePort}, such as "https://{vhost}"; NULL when none. */
	const char *address;
	/* roger local's router front port; 0 for a cluster target. */
	int local_port;
};

/*
 * The app's stable address, the one that does not move with its tasks,
 * as a new string in *out (NULL when none is known):
 *  - on roger local (r->local_port > 0): "http://<app>.<group...>.localhost:
 *    <port>/" for an app that answers HTTP (its health check's scheme or a
 *    HAPROXY_0_VHOST label), else "127.0.0.1:<servicePort>";
 *  - on a cluster: the template with {vhost} (the first name of
 *    HAPROXY_0_VHOST) and {servicePort} (the first service port) put in;
 *    none when the template names what the app lacks (no vhost, a service
 *    port still 0).
 * `def` is the app definition deployed, `app` the app read back after the
 * deployment (the service ports Marathon assigned are only there).
 * ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_address_stable(char **out, const json_t *def,
				      const struct roger_marathon_app *app,
				      const struct roger_address_router *r,
				      struct roger_err *err);

/*
 * Whether `tmpl` is a router address template roger can fill: not empty,
 * and every {...} in it is {vhost} or {servicePort}.  When not, a reason
 * in `why`.
 */
ROGER_EXTERN bool roger_address_template_ok(const char *tmpl, char *why,
					    size_t why_size);

ROGER_END_DECLS

#endif
