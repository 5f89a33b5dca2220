/*
 * launch.c - what roger local's two schedulers (scheduler.c for Marathon's
 * apps, metronome.c for Metronome's runs) share to start and stop tasks
 * through the agent.
 *
 * Both decide under their lock and call the agent only after releasing
 * it (internal.h): a launch or a kill is therefore first a copy that owns
 * its strings, queued while the lock is held and carried out later.  Both
 * also build the environment the way Marathon's task builder does; the
 * part that is the same for an app and a job run (labels, then the
 * definition's own variables) is here.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "local/agent.h"
#include "local/internal.h"

/* ---- environment ------------------------------------------------------------ */

void roger_local_strv_push(struct roger_local_strv *sv, char *s)
{
	if (!s) {
		sv->failed = true;
		return;
	}
	if (sv->n + 2 > sv->alloc) {
		size_t na = sv->alloc ? sv->alloc * 2 : 32;
		char **nv = realloc(sv->v, na * sizeof(char *));

		if (!nv) {
			free(s);
			sv->failed = true;
			return;
		}
		sv->v = nv;
		sv->alloc = na;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void roger_local_env_put(struct roger_local_strv *sv, const char *name,
			 const char *value, bool replace)
{
	size_t nl = strlen(name), size = nl + strlen(value) + 2;
	char *entry = malloc(size);

	if (!entry) {
		sv->failed = true;
		return;
	}
	snprintf(entry, size, "%s=%s", name, value);
	for (size_t i = 0; replace && i < sv->n; i++) {
		if (!strncmp(sv->v[i], name, nl) && sv->v[i][nl] == '=') {
			free(sv->v[i]);
			sv->v[i] = entry;
			return;
		}
	}
	roger_local_strv_push(sv, entry);
}

void roger_local_env_labels(struct roger_local_strv *sv, const json_t *labels,
			    size_t key_max, const json_t *env, bool replace)
{
	struct roger_buf names = ROGER_BUF_INIT;
	char name[320];
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)labels, k, v) {
		const char *s = json_string_value(v);

		if (!s || strlen(k) > key_max || strlen(s) > 512)
			continue;
		roger_local_env_name(name, sizeof(name), "", k);
		roger_buf_addf(&names, "%s%s", names.len ? " " : "", name);
		roger_local_env_name(name, sizeof(name), "MARATHON_APP_LABEL_",
				     k);
		roger_local_env_put(sv, name, s, replace);
	}
	roger_local_env_put(sv, "MARATHON_APP_LABELS", names.buf, replace);
	json_object_foreach((json_t *)env, k, v)
		if (json_is_string(v))
			roger_local_env_put(sv, k, json_string_value(v),
					    replace);
	roger_buf_release(&names);
}

/* ---- launches and kills ----------------------------------------------------- */

void roger_local_launch_free(struct roger_local_launch *l)
{
	if (!l)
		return;
	free(l->name);
	free(l->cmd);
	roger_local_strv_free(l->args);
	roger_local_strv_free(l->env);
	json_decref(l->fetch);
	free(l->image);
	free(l);
}

int roger_local_launch_start(struct roger_agent *a,
			     const struct roger_local_launch *l,
			     const char *framework_id,
			     const char *framework_name, struct roger_err *err)
{
	const struct roger_agent_task at = {
		.task_id = l->task_id,
		.framework_id = framework_id,
		.framework_name = framework_name,
		.name = l->name,
		.cmd = l->cmd,
		.args = (const char *const *)l->args,
		.fetch = l->fetch,
		.image = l->image,
		.force_pull_image = l->force_pull,
		.env = (const char *const *)l->env,
		.cpus = l->cpus,
		.mem = l->mem,
		.disk = l->disk,
		.kill_grace_seconds = l->kill_grace,
		.ports = l->ports,
		.n_ports = l->n_ports,
	};

	return roger_agent_launch(a, &at, err);
}

int roger_local_kill_queue(struct roger_local_kill **list, const char *task_id,
			   double grace)
{
	struct roger_local_kill *k = calloc(1, sizeof(*k));

	if (!k)
		return -1;
	snprintf(k->task_id, sizeof(k->task_id), "%s", task_id);
	k->grace = grace;
	k->next = *list;
	*list = k;
	return 0;
}

void roger_local_kills_send(struct roger_agent *a,
			    struct roger_local_kill *list)
{
	while (list) {
		struct roger_local_kill *k = list;

		list = k->next;
		roger_agent_kill(a, k->task_id, k->grace, NULL);
		free(k);
	}
}
