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
ROGER_EXTERN int
roger_address_list(json_t **out, const json_t *def,
		   const struct roger_marathon_app *app, struct roger_err *err);

ROGER_END_DECLS

#endif
