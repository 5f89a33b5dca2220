/*
 * mesos-state.c - the agent's GET /slave(1)/state and the master's GET
 * /master/state, computed from the agent's runs.
 *
 * Shapes follow Mesos (src/slave/http.cpp, src/master/readonly_handler.cpp,
 * fixtures mesos-agent-state.json and mesos-master-state.json): a command
 * task is an executor whose id and source are the task id, whose directory
 * is the sandbox, and whose one task has executor_id "".  On the agent a
 * task still fetching sits in its executor's queued_tasks; a finished one
 * moves its executor to completed_executors, and a framework with no live
 * executor to completed_frameworks, as when Mesos removes it.  The master
 * lists live tasks (staging included) in `tasks` and finished ones in
 * `completed_tasks`.
 *
 * Every builder here tracks allocation failure and the endpoints return
 * NULL rather than a half-built object.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "local/agent-int.h"
#include "local/agent.h"

/* Build-failure tracking: `set` and `push` steal `v` and clear *ok on
 * failure (including v == NULL, jansson's out-of-memory result). */
static void set(bool *ok, json_t *o, const char *key, json_t *v)
{
	if (!o || json_object_set_new(o, key, v) < 0)
		*ok = false;
}

static void push(bool *ok, json_t *a, json_t *v)
{
	if (!a || json_array_append_new(a, v) < 0)
		*ok = false;
}

static json_t *obj(bool *ok)
{
	json_t *o = json_object();

	if (!o)
		*ok = false;
	return o;
}

static json_t *arr(bool *ok)
{
	json_t *a = json_array();

	if (!a)
		*ok = false;
	return a;
}

static int cmp_port(const void *x, const void *y)
{
	return (int)*(const uint16_t *)x - (int)*(const uint16_t *)y;
}

/* Mesos' text for a set of ports: "[31000-31001, 31005-31005]". */
static json_t *ports_text(const uint16_t *ports, int n)
{
	struct roger_buf b = ROGER_BUF_INIT;
	uint16_t *s = malloc((size_t)n * sizeof(*s));
	json_t *v = NULL;

	if (!s)
		return NULL;
	memcpy(s, ports, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_port);
	roger_buf_addch(&b, '[');
	for (int i = 0; i < n;) {
		int j = i;

		while (j + 1 < n && s[j + 1] <= s[j] + 1)
			j++;
		roger_buf_addf(&b, "%s%u-%u", i ? ", " : "", s[i], s[j]);
		i = j + 1;
	}
	if (roger_buf_addch(&b, ']') == 0)
		v = json_stringn(b.buf, b.len);
	roger_buf_release(&b);
	free(s);
	return v;
}

static json_t *resources(bool *ok, double cpus, double mem, double disk,
			 json_t *ports)
{
	json_t *o = obj(ok);

	set(ok, o, "cpus", json_real(cpus));
	set(ok, o, "disk", json_real(disk));
	set(ok, o, "gpus", json_real(0));
	set(ok, o, "mem", json_real(mem));
	if (ports)
		set(ok, o, "ports", ports);
	return o;
}

static json_t *run_resources(bool *ok, const struct roger_agent_run *r,
			     double extra_cpus, double extra_mem)
{
	json_t *ports = NULL;

	if (r->n_ports > 0) {
		ports = ports_text(r->ports, r->n_ports);
		if (!ports)
			*ok = false;
	}
	return resources(ok, r->cpus + extra_cpus, r->mem + extra_mem, r->disk,
			 ports);
}

static json_t *agent_resources(bool *ok, const struct roger_agent *a)
{
	char range[64];

	snprintf(range, sizeof(range), "[%u-%u]", a->port_min, a->port_max);
	return resources(ok, a->cpus, a->mem, a->disk, json_string(range));
}

static json_t *capabilities(bool *ok, const char *const *names)
{
	json_t *v = arr(ok);

	for (; *names; names++)
		push(ok, v, json_string(*names));
	return v;
}

static json_t *status_json(bool *ok, const struct roger_agent *a,
			   const struct roger_agent_run *r,
			   const struct roger_agent_status *s)
{
	json_t *st = obj(ok), *cs = obj(ok), *cid = obj(ok), *nets = arr(ok),
	       *net = obj(ok), *ips = arr(ok), *ip = obj(ok);

	set(ok, st, "state", json_string(roger_task_state_name(s->state)));
	set(ok, st, "timestamp", json_real(s->timestamp));
	set(ok, cid, "value", json_string(r->container_id));
	set(ok, cs, "container_id", cid);
	set(ok, ip, "protocol", json_string("IPv4"));
	set(ok, ip, "ip_address", json_string(a->hostname));
	push(ok, ips, ip);
	set(ok, net, "ip_addresses", ips);
	push(ok, nets, net);
	set(ok, cs, "network_infos", nets);
	set(ok, st, "container_status", cs);
	return st;
}

/* A task as both the agent and the master print it. */
static json_t *task_json(bool *ok, const struct roger_agent *a,
			 const struct roger_agent_run *r)
{
	json_t *t = obj(ok), *statuses = arr(ok);

	set(ok, t, "id", json_string(r->task_id));
	set(ok, t, "name", json_string(r->name));
	set(ok, t, "framework_id", json_string(r->framework_id));
	set(ok, t, "executor_id", json_string(""));
	set(ok, t, "slave_id", json_string(a->agent_id));
	set(ok, t, "state", json_string(roger_task_state_name(r->state)));
	set(ok, t, "resources", run_resources(ok, r, 0, 0));
	set(ok, t, "role", json_string("*"));
	for (int i = 0; i < r->n_statuses; i++)
		push(ok, statuses, status_json(ok, a, r, &r->statuses[i]));
	set(ok, t, "statuses", statuses);
	if (r->n_ports > 0) {
		json_t *disc = obj(ok), *pobj = obj(ok), *plist = arr(ok);

		for (int i = 0; i < r->n_ports; i++) {
			json_t *p = obj(ok);

			set(ok, p, "number", json_integer(r->ports[i]));
			set(ok, p, "protocol", json_string("tcp"));
			push(ok, plist, p);
		}
		set(ok, pobj, "ports", plist);
		set(ok, disc, "visibility", json_string("FRAMEWORK"));
		set(ok, disc, "name", json_string(r->name));
		set(ok, disc, "ports", pobj);
		set(ok, t, "discovery", disc);
	}
	return t;
}

/* "Command Executor (Task: <id>) (Command: sh -c '<cmd>')", cut as Mesos
 * cuts it (slave.cpp getExecutorInfo). */
json_t *roger_agent_executor_name(const struct roger_agent_run *r)
{
	struct roger_buf b = ROGER_BUF_INIT, cmd = ROGER_BUF_INIT;
	json_t *v = NULL;

	roger_buf_addf(&b, "Command Executor (Task: %s) ", r->task_id);
	if (r->cmd) {
		if (strlen(r->cmd) > 15)
			roger_buf_addf(&b, "(Command: sh -c '%.12s...')",
				       r->cmd);
		else
			roger_buf_addf(&b, "(Command: sh -c '%s')", r->cmd);
	} else if (!r->args || !r->args[0]) {
		/* An image task running its image's own command. */
		roger_buf_adds(&b, "(Command: NO EXECUTABLE)");
	} else {
		roger_buf_adds(&cmd, r->args[0]);
		for (char **p = r->args; *p; p++)
			roger_buf_addf(&cmd, ", %s", *p);
		if (cmd.len > 15)
			roger_buf_addf(&b, "(Command: [%.12s...])", cmd.buf);
		else
			roger_buf_addf(&b, "(Command: [%s])", cmd.buf);
	}
	v = json_stringn(b.buf, b.len);
	roger_buf_release(&b);
	roger_buf_release(&cmd);
	return v;
}

static json_t *executor_json(bool *ok, const struct roger_agent *a,
			     const struct roger_agent_run *r)
{
	json_t *e = obj(ok), *tasks = arr(ok), *queued = arr(ok),
	       *completed = arr(ok);

	set(ok, e, "id", json_string(r->task_id));
	set(ok, e, "name", roger_agent_executor_name(r));
	set(ok, e, "source", json_string(r->task_id));
	set(ok, e, "container", json_string(r->container_id));
	set(ok, e, "directory", json_string(r->sandbox));
	/* The command executor's own share, as Mesos adds it. */
	set(ok, e, "resources", run_resources(ok, r, 0.1, 32));
	set(ok, e, "role", json_string("*"));
	if (roger_agent_run_over(r))
		push(ok, completed, task_json(ok, a, r));
	else if (r->state == ROGER_TASK_STAGING)
		push(ok, queued, task_json(ok, a, r));
	else
		push(ok, tasks, task_json(ok, a, r));
	set(ok, e, "tasks", tasks);
	set(ok, e, "queued_tasks", queued);
	set(ok, e, "completed_tasks", completed);
	return e;
}

/* The distinct framework ids of the runs, in first-launch order. */
static size_t framework_ids(const struct roger_agent *a, const char **ids,
			    size_t max)
{
	size_t n = 0;

	for (const struct roger_agent_run *r = a->runs; r; r = r->next) {
		bool seen = false;

		for (size_t i = 0; i < n && !seen; i++)
			seen = strcmp(ids[i], r->framework_id) == 0;
		if (!seen && n < max)
			ids[n++] = r->framework_id;
	}
	return n;
}

static json_t *agent_framework(bool *ok, const struct roger_agent *a,
			       const char *fid, bool *live)
{
	json_t *f = obj(ok), *execs = arr(ok), *done = arr(ok);
	const char *name = "marathon";

	*live = false;
	for (const struct roger_agent_run *r = a->runs; r; r = r->next) {
		if (strcmp(r->framework_id, fid) != 0)
			continue;
		name = r->framework_name;
		if (roger_agent_run_over(r)) {
			push(ok, done, executor_json(ok, a, r));
		} else {
			*live = true;
			push(ok, execs, executor_json(ok, a, r));
		}
	}
	set(ok, f, "id", json_string(fid));
	set(ok, f, "name", json_string(name));
	set(ok, f, "user", json_string(a->user));
	set(ok, f, "failover_timeout", json_real(604800.0));
	set(ok, f, "checkpoint", json_true());
	set(ok, f, "hostname", json_string(a->hostname));
	set(ok, f, "role", json_string("*"));
	set(ok, f, "executors", execs);
	set(ok, f, "completed_executors", done);
	return f;
}

static void version_fields(bool *ok, json_t *o, const struct roger_agent *a)
{
	set(ok, o, "version", json_string(ROGER_AGENT_MESOS_VERSION));
	set(ok, o, "git_tag", json_string(ROGER_AGENT_MESOS_VERSION));
	set(ok, o, "build_date", json_string("roger local"));
	set(ok, o, "build_time", json_real(0));
	set(ok, o, "build_user", json_string("roger"));
	set(ok, o, "start_time", json_real(a->start_time));
}

json_t *roger_agent_state(struct roger_agent *a)
{
	static const char *const caps[] = { "MULTI_ROLE", "HIERARCHICAL_ROLE",
					    "RESERVATION_REFINEMENT", NULL };
	json_t *s, *flags, *fws, *done;
	const char *ids[256];
	char pid[300], port[16];
	bool ok = true;
	size_t n;

	s = obj(&ok);
	flags = obj(&ok);
	fws = arr(&ok);
	done = arr(&ok);
	snprintf(pid, sizeof(pid), "slave(1)@%s:%d", a->hostname, a->port);
	snprintf(port, sizeof(port), "%d", a->port);
	pthread_mutex_lock(&a->lock);
	version_fields(&ok, s, a);
	set(&ok, s, "id", json_string(a->agent_id));
	set(&ok, s, "pid", json_string(pid));
	set(&ok, s, "hostname", json_string(a->hostname));
	set(&ok, s, "capabilities", capabilities(&ok, caps));
	set(&ok, s, "resources", agent_resources(&ok, a));
	set(&ok, s, "reserved_resources", obj(&ok));
	set(&ok, s, "unreserved_resources", agent_resources(&ok, a));
	set(&ok, s, "attributes", obj(&ok));
	set(&ok, s, "master_hostname", json_string(a->hostname));
	set(&ok, flags, "work_dir", json_string(a->work_dir));
	set(&ok, flags, "port", json_string(port));
	set(&ok, flags, "containerizers", json_string("mesos"));
	set(&ok, flags, "launcher", json_string("posix"));
	set(&ok, flags, "sandbox_directory", json_string("/mnt/mesos/sandbox"));
	set(&ok, flags, "gc_delay", json_string("1weeks"));
	set(&ok, s, "flags", flags);
	n = framework_ids(a, ids, sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < n; i++) {
		bool live;
		json_t *f = agent_framework(&ok, a, ids[i], &live);

		push(&ok, live ? fws : done, f);
	}
	pthread_mutex_unlock(&a->lock);
	set(&ok, s, "frameworks", fws);
	set(&ok, s, "completed_frameworks", done);
	if (!ok) {
		json_decref(s);
		return NULL;
	}
	return s;
}

/* The master's id: the agent's without its "-S<n>" suffix. */
static json_t *master_id(const struct roger_agent *a)
{
	const char *dash = strrchr(a->agent_id, '-');

	if (dash && dash[1] == 'S' && dash[2] && dash != a->agent_id &&
	    strspn(dash + 2, "0123456789") == strlen(dash + 2))
		return json_stringn(a->agent_id, (size_t)(dash - a->agent_id));
	return json_string(a->agent_id);
}

/* What the live runs use, summed as the master state reports it. */
struct usage {
	double cpus, mem, disk;
	uint16_t *ports;
	size_t n_ports, cap;
};

static void usage_add(bool *ok, struct usage *u,
		      const struct roger_agent_run *r)
{
	u->cpus += r->cpus;
	u->mem += r->mem;
	u->disk += r->disk;
	for (int i = 0; i < r->n_ports; i++) {
		if (u->n_ports == u->cap) {
			size_t cap = u->cap ? 2 * u->cap : 16;
			uint16_t *grown =
				realloc(u->ports, cap * sizeof(*grown));

			if (!grown) {
				*ok = false;
				return;
			}
			u->ports = grown;
			u->cap = cap;
		}
		u->ports[u->n_ports++] = r->ports[i];
	}
}

/* used_resources: Mesos lists "ports" only when some are used. */
static json_t *usage_json(bool *ok, struct usage *u)
{
	json_t *v = resources(ok, u->cpus, u->mem, u->disk,
			      u->n_ports ? ports_text(u->ports, (int)u->n_ports)
					 : NULL);

	free(u->ports);
	u->ports = NULL;
	u->n_ports = u->cap = 0;
	return v;
}

static json_t *master_slave(bool *ok, const struct roger_agent *a,
			    struct usage *used)
{
	static const char *const caps[] = { "MULTI_ROLE", "HIERARCHICAL_ROLE",
					    "RESERVATION_REFINEMENT", NULL };
	json_t *s = obj(ok);
	char pid[300];

	snprintf(pid, sizeof(pid), "slave(1)@%s:%d", a->hostname, a->port);
	set(ok, s, "id", json_string(a->agent_id));
	set(ok, s, "hostname", json_string(a->hostname));
	set(ok, s, "port", json_integer(a->port));
	set(ok, s, "attributes", obj(ok));
	set(ok, s, "pid", json_string(pid));
	set(ok, s, "registered_time", json_real(a->start_time));
	set(ok, s, "reregistered_time", json_real(a->start_time));
	set(ok, s, "resources", agent_resources(ok, a));
	set(ok, s, "used_resources", usage_json(ok, used));
	set(ok, s, "offered_resources", resources(ok, 0, 0, 0, NULL));
	set(ok, s, "reserved_resources", obj(ok));
	set(ok, s, "unreserved_resources", agent_resources(ok, a));
	set(ok, s, "active", json_true());
	set(ok, s, "deactivated", json_false());
	set(ok, s, "version", json_string(ROGER_AGENT_MESOS_VERSION));
	set(ok, s, "capabilities", capabilities(ok, caps));
	return s;
}

/* One framework of the master's state with its tasks (agent lock held). */
static json_t *master_framework(bool *ok, struct roger_agent *a,
				const struct roger_agent_framework *fw,
				const char *master_url)
{
	static const char *const fcaps[] = { "PARTITION_AWARE",
					     "TASK_KILLING_STATE", NULL };
	struct usage fw_used = { 0 };
	json_t *f, *tasks, *done;
	char fpid[600];

	snprintf(fpid, sizeof(fpid), "scheduler-%s@%s:%d", fw->id ? fw->id : "",
		 a->hostname, a->port);
	f = obj(ok);
	tasks = arr(ok);
	done = arr(ok);
	for (const struct roger_agent_run *r = a->runs; r; r = r->next) {
		bool over = roger_agent_run_over(r);

		if (!fw->id || strcmp(r->framework_id, fw->id) != 0)
			continue;
		if (!over)
			usage_add(ok, &fw_used, r);
		push(ok, over ? done : tasks, task_json(ok, a, r));
	}
	set(ok, f, "id", json_string(fw->id ? fw->id : ""));
	set(ok, f, "name", json_string(fw->name ? fw->name : "marathon"));
	set(ok, f, "pid", json_string(fpid));
	set(ok, f, "used_resources", usage_json(ok, &fw_used));
	set(ok, f, "offered_resources", resources(ok, 0, 0, 0, NULL));
	set(ok, f, "capabilities", capabilities(ok, fcaps));
	set(ok, f, "hostname", json_string(a->hostname));
	set(ok, f, "webui_url", json_string(master_url ? master_url : ""));
	set(ok, f, "active", json_true());
	set(ok, f, "connected", json_true());
	set(ok, f, "recovered", json_false());
	set(ok, f, "user", json_string(a->user));
	set(ok, f, "failover_timeout", json_real(604800.0));
	set(ok, f, "checkpoint", json_true());
	set(ok, f, "registered_time", json_real(a->start_time));
	set(ok, f, "unregistered_time", json_real(0));
	set(ok, f, "resources",
	    resources(ok, fw_used.cpus, fw_used.mem, fw_used.disk, NULL));
	set(ok, f, "role", json_string("*"));
	set(ok, f, "tasks", tasks);
	set(ok, f, "unreachable_tasks", arr(ok));
	set(ok, f, "completed_tasks", done);
	set(ok, f, "offers", arr(ok));
	set(ok, f, "executors", arr(ok));
	return f;
}

json_t *roger_agent_master_state(struct roger_agent *a,
				 const struct roger_agent_framework *fws,
				 size_t n, const char *master_url)
{
	json_t *s, *li, *flags, *slaves, *list;
	char mpid[300], port[16];
	struct usage used = { 0 };
	bool ok = true;

	snprintf(mpid, sizeof(mpid), "master@%s:%d", a->hostname, a->port);
	snprintf(port, sizeof(port), "%d", a->port);
	s = obj(&ok);
	li = obj(&ok);
	flags = obj(&ok);
	slaves = arr(&ok);
	list = arr(&ok);

	pthread_mutex_lock(&a->lock);
	version_fields(&ok, s, a);
	set(&ok, s, "elected_time", json_real(a->start_time));
	set(&ok, s, "id", master_id(a));
	set(&ok, s, "pid", json_string(mpid));
	set(&ok, s, "hostname", json_string(a->hostname));
	set(&ok, s, "activated_slaves", json_real(1));
	set(&ok, s, "deactivated_slaves", json_real(0));
	set(&ok, s, "unreachable_slaves", json_real(0));
	set(&ok, s, "leader", json_string(mpid));
	set(&ok, li, "id", master_id(a));
	set(&ok, li, "pid", json_string(mpid));
	set(&ok, li, "port", json_integer(a->port));
	set(&ok, li, "hostname", json_string(a->hostname));
	set(&ok, s, "leader_info", li);
	set(&ok, flags, "work_dir", json_string(a->work_dir));
	set(&ok, flags, "port", json_string(port));
	set(&ok, flags, "quorum", json_string("1"));
	set(&ok, s, "flags", flags);
	for (const struct roger_agent_run *r = a->runs; r; r = r->next)
		if (!roger_agent_run_over(r))
			usage_add(&ok, &used, r);
	for (size_t i = 0; i < n; i++)
		push(&ok, list, master_framework(&ok, a, &fws[i], master_url));
	push(&ok, slaves, master_slave(&ok, a, &used));
	pthread_mutex_unlock(&a->lock);
	set(&ok, s, "slaves", slaves);
	set(&ok, s, "recovered_slaves", arr(&ok));
	set(&ok, s, "frameworks", list);
	set(&ok, s, "completed_frameworks", arr(&ok));
	set(&ok, s, "orphan_tasks", arr(&ok));
	set(&ok, s, "unregistered_frameworks", arr(&ok));
	if (!ok) {
		json_decref(s);
		return NULL;
	}
	return s;
}
