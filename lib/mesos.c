/*
 * mesos.c - the Mesos master's and agents' replies as structs, and the
 * client that walks from a task id to the bytes of its sandbox files.
 *
 * Parsing is pure and tolerant: every field may be missing (Mesos 1.0 has
 * no agent hostname/port, older masters no unreachable_tasks, roger local
 * and real Mesos differ in which empty arrays they print), and the search
 * for a task covers every place Mesos may keep it, as dcos-cli's
 * Task.executor() does.
 *
 * /files/read is the one reply not read with jansson: Mesos puts the file's
 * bytes into the `data` string as they are, escaping only what JSON needs,
 * so a chunk of binary output, or a multi-byte character cut by the 64 KiB
 * cap, makes text that jansson rightly refuses.  A small scanner below
 * reads that object instead, decodes the escapes and keeps every other
 * byte.
 *
 * The client keeps the last master state it fetched and each agent's state
 * by URL, so following the logs of many tasks costs one state fetch per
 * agent, repeated only when a task appears that the cached state does not
 * know yet.
 */
#include <config.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "http.h"
#include "json-num.h"
#include "mesos.h"
#include "util.h"

#define UUID_LEN 36
#define AGENT_CONNECT_MS 5000L
#define AGENT_TIMEOUT_MS 30000L

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Parse a JSON object out of `body`, or fail naming `what`. */
static int load_object(json_t **out, const char *body, size_t len,
		       const char *what, struct roger_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(body ? body : "", len, 0, &jerr);

	if (!root)
		return roger_err_set(
			err, ROGER_EHTTP,
			"invalid JSON in %s: %s (line %d, column %d)", what,
			jerr.text, jerr.line, jerr.column);
	if (!json_is_object(root)) {
		json_decref(root);
		return roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in %s: expected an object", what);
	}
	*out = root;
	return 0;
}

/* ---- the master's state -------------------------------------------------- */

static void task_fill(struct roger_mesos_task *t, json_t *obj,
		      const char *framework_id, bool completed)
{
	json_t *statuses = json_object_get(obj, "statuses"), *s;
	size_t i;

	t->id = str(obj, "id");
	t->name = str(obj, "name");
	t->framework_id = str(obj, "framework_id");
	if (!t->framework_id)
		t->framework_id = framework_id;
	t->slave_id = str(obj, "slave_id");
	if (!t->slave_id)
		t->slave_id = str(obj, "agent_id");
	t->executor_id = str(obj, "executor_id");
	t->state = str(obj, "state");
	t->completed = completed;
	json_array_foreach(statuses, i, s) {
		json_t *id = json_object_get(
			json_object_get(s, "container_status"), "container_id");
		json_t *cid = json_object_get(id, "value");

		if (json_is_number(json_object_get(s, "timestamp")))
			t->timestamp = json_number_value(
				json_object_get(s, "timestamp"));
		if (json_is_string(cid)) {
			t->container_id = json_string_value(cid);
			t->container_parent =
				str(json_object_get(id, "parent"), "value");
		}
	}
}

/* Count (items == NULL) or collect the tasks of one kind of list. */
static size_t collect_tasks(struct roger_mesos_task *items, json_t *root,
			    bool completed)
{
	static const char *const fw_lists[] = { "frameworks",
						"completed_frameworks" };
	size_t n = 0, i, j;
	json_t *fw, *task;

	for (size_t l = 0; l < 2; l++) {
		json_array_foreach(json_object_get(root, fw_lists[l]), i, fw) {
			static const char *const live[] = { "tasks",
							    "unreachable_tasks",
							    NULL };
			static const char *const done[] = { "completed_tasks",
							    NULL };
			const char *const *lists = completed ? done : live;
			const char *fid = str(fw, "id");

			for (size_t k = 0; lists[k]; k++) {
				json_t *list = json_object_get(fw, lists[k]);

				json_array_foreach(list, j, task) {
					if (!json_is_object(task) ||
					    !str(task, "id"))
						continue;
					if (items)
						task_fill(&items[n], task, fid,
							  completed);
					n++;
				}
			}
		}
	}
	if (completed)
		return n;
	/* Tasks of frameworks the master lost track of (before 1.2). */
	json_array_foreach(json_object_get(root, "orphan_tasks"), i, task) {
		if (!json_is_object(task) || !str(task, "id"))
			continue;
		if (items)
			task_fill(&items[n], task, NULL, false);
		n++;
	}
	return n;
}

/*
 * A scalar resource of an agent ("resources", "cpus"): a finite number of
 * at least 0, else 0.
 */
static double resource(const json_t *agent, const char *set, const char *name)
{
	double v = json_number_value(
		json_object_get(json_object_get(agent, set), name));

	return v > 0 && v < 1e15 ? v : 0;
}

void roger_mesos_master_free_resources(struct roger_mesos_free *out,
				       const struct roger_mesos_master *m)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; m && i < m->n_agents; i++) {
		const struct roger_mesos_agent_info *a = &m->agents[i];
		double cpus = a->cpus - a->used_cpus,
		       mem = a->mem - a->used_mem;

		if (!a->active)
			continue;
		cpus = cpus > 0 ? cpus : 0;
		mem = mem > 0 ? mem : 0;
		out->total_cpus += cpus;
		out->total_mem += mem;
		if (!out->agents || cpus > out->cpus ||
		    (cpus == out->cpus && mem > out->mem)) {
			out->cpus = cpus;
			out->mem = mem;
		}
		out->agents++;
	}
}

int roger_mesos_master_parse(struct roger_mesos_master **out, const char *body,
			     size_t len, struct roger_err *err)
{
	struct roger_mesos_master *m = NULL;
	json_t *root = NULL, *slaves, *a;
	size_t n_live, n_done, i;
	int rc;

	if ((rc = load_object(&root, body, len, "the master state", err)) < 0)
		return rc;
	slaves = json_object_get(root, "slaves");
	if (!json_is_array(slaves) &&
	    !json_is_array(json_object_get(root, "frameworks"))) {
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in the master state: no \"slaves\" or \"frameworks\"");
		goto out;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		goto nomem;
	m->version = str(root, "version");
	m->leader = str(root, "leader");
	m->agents = calloc(json_array_size(slaves) + 1, sizeof(*m->agents));
	if (!m->agents)
		goto nomem;
	json_array_foreach(slaves, i, a) {
		struct roger_mesos_agent_info *ag = &m->agents[m->n_agents];
		int64_t port;

		if (!json_is_object(a) || !str(a, "id"))
			continue;
		ag->id = str(a, "id");
		ag->hostname = str(a, "hostname");
		ag->pid = str(a, "pid");
		/* Not a port number: as if absent (the pid gives the address).
		 */
		if (roger_json_int(json_object_get(a, "port"), 1, 65535, &port))
			ag->port = (int)port;
		ag->active = !json_is_false(json_object_get(a, "active"));
		ag->cpus = resource(a, "resources", "cpus");
		ag->mem = resource(a, "resources", "mem");
		ag->used_cpus = resource(a, "used_resources", "cpus");
		ag->used_mem = resource(a, "used_resources", "mem");
		ag->version = str(a, "version");
		m->n_agents++;
	}
	n_live = collect_tasks(NULL, root, false);
	n_done = collect_tasks(NULL, root, true);
	m->tasks = calloc(n_live + n_done + 1, sizeof(*m->tasks));
	if (!m->tasks)
		goto nomem;
	collect_tasks(m->tasks, root, false);
	collect_tasks(m->tasks + n_live, root, true);
	m->n_tasks = n_live + n_done;
	m->json = root;
	root = NULL;
	*out = m;
	m = NULL;
	goto out;
nomem:
	rc = nomem(err);
out:
	roger_mesos_master_free(m);
	json_decref(root);
	return rc;
}

void roger_mesos_master_free(struct roger_mesos_master *m)
{
	if (!m)
		return;
	free(m->agents);
	free(m->tasks);
	json_decref(m->json);
	free(m);
}

const struct roger_mesos_task *
roger_mesos_master_task(const struct roger_mesos_master *m, const char *task_id)
{
	if (!m)
		return NULL;
	/* Live tasks come first, so the first match is the one to use. */
	for (size_t i = 0; i < m->n_tasks; i++)
		if (!strcmp(m->tasks[i].id, task_id))
			return &m->tasks[i];
	return NULL;
}

const struct roger_mesos_agent_info *
roger_mesos_master_agent(const struct roger_mesos_master *m,
			 const char *agent_id)
{
	if (!m || !agent_id)
		return NULL;
	for (size_t i = 0; i < m->n_agents; i++)
		if (!strcmp(m->agents[i].id, agent_id))
			return &m->agents[i];
	return NULL;
}

/* The DC/OS prefix: the master URL without its final "/mesos", or 0. */
static size_t dcos_prefix_len(const char *master_url)
{
	size_t len = strlen(master_url), s = roger_url_scheme_len(master_url);
	const char *path;

	while (len > s && master_url[len - 1] == '/')
		len--;
	path = memchr(master_url + s, '/', len - s);
	if (!path || len < 6 || (size_t)(path - master_url) > len - 6)
		return 0;
	if (strncmp(master_url + len - 6, "/mesos", 6))
		return 0;
	return len - 6;
}

int roger_mesos_agent_url(char **out, const struct roger_mesos_agent_info *a,
			  const char *master_url, struct roger_err *err)
{
	struct roger_buf b = ROGER_BUF_INIT;
	const char *host = a->hostname, *at;
	size_t host_len = host ? strlen(host) : 0, s, dcos;
	int port = a->port, rc = 0;
	char *end;

	dcos = dcos_prefix_len(master_url);
	if (dcos) {
		rc = roger_buf_add(&b, master_url, dcos);
		if (rc == 0)
			rc = roger_buf_adds(&b, "/slave/");
		if (rc == 0)
			rc = roger_http_escape(&b, a->id);
		goto done;
	}
	if (!host || !*host || port <= 0) {
		/* Mesos 1.0/1.1: only the libprocess pid "slave(1)@ip:port". */
		const char *colon;
		long p;

		at = a->pid ? strrchr(a->pid, '@') : NULL;
		colon = at ? strrchr(at, ':') : NULL;
		p = colon ? strtol(colon + 1, &end, 10) : 0;
		if (!colon || colon == at + 1 || *end || p <= 0 || p > 65535)
			return roger_err_set(
				err, ROGER_EINVALID,
				"agent '%s' has no hostname and port, and no usable pid ('%s')",
				a->id, a->pid ? a->pid : "");
		host = at + 1;
		host_len = (size_t)(colon - host);
		port = (int)p;
	}
	s = roger_url_scheme_len(master_url);
	rc = roger_buf_add(&b, s ? master_url : "http://", s ? s : 7);
	if (rc == 0 && memchr(host, ':', host_len) && host[0] != '[')
		rc = roger_buf_addf(&b, "[%.*s]", (int)host_len, host);
	else if (rc == 0)
		rc = roger_buf_add(&b, host, host_len);
	if (rc == 0)
		rc = roger_buf_addf(&b, ":%d", port);
done:
	if (rc < 0) {
		roger_buf_release(&b);
		return nomem(err);
	}
	*out = roger_buf_detach(&b, NULL);
	if (!*out)
		return nomem(err);
	return 0;
}

/* Whether `s` starts with a UUID (8-4-4-4-12 hex digits). */
static bool is_uuid(const char *s)
{
	for (size_t i = 0; i < UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

bool roger_mesos_task_of_app(const char *task_id, const char *app_id)
{
	const char *p = task_id, *a = app_id;

	if (!task_id || !app_id || *a != '/')
		return false;
	/* The app id's path with '/' as '_' ("/web/hello" -> "web_hello"). */
	for (a++; *a; a++, p++)
		if (*p != (*a == '/' ? '_' : *a))
			return false;
	if (*p++ != '.')
		return false;
	if (!strncmp(p, "instance-", 9))
		p += 9;
	else if (!strncmp(p, "marathon-", 9))
		p += 9;
	if (strlen(p) < UUID_LEN || !is_uuid(p))
		return false;
	p += UUID_LEN;
	return *p == '\0' || *p == '.';
}

/* ---- an agent's state ---------------------------------------------------- */

int roger_mesos_agent_parse(struct roger_mesos_agent_state **out,
			    const char *body, size_t len, struct roger_err *err)
{
	struct roger_mesos_agent_state *a;
	json_t *root = NULL;
	int rc;

	if ((rc = load_object(&root, body, len, "the agent state", err)) < 0)
		return rc;
	if (!json_is_array(json_object_get(root, "frameworks")) &&
	    !json_is_array(json_object_get(root, "completed_frameworks"))) {
		json_decref(root);
		return roger_err_set(
			err, ROGER_EHTTP,
			"unexpected JSON in the agent state: no \"frameworks\"");
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		json_decref(root);
		return nomem(err);
	}
	a->json = root;
	a->id = str(root, "id");
	a->hostname = str(root, "hostname");
	*out = a;
	return 0;
}

void roger_mesos_agent_state_free(struct roger_mesos_agent_state *a)
{
	if (!a)
		return;
	json_decref(a->json);
	free(a);
}

static bool list_has_task(const json_t *list, const char *task_id)
{
	size_t i;
	json_t *t;

	json_array_foreach(list, i, t) {
		const char *id = str(t, "id");

		if (id && !strcmp(id, task_id))
			return true;
	}
	return false;
}

/* Whether executor `ex` runs (or ran) the task; *pod when it is a pod's. */
static bool executor_has_task(const json_t *ex, const char *task_id, bool *pod)
{
	const char *id = str(ex, "id"), *source = str(ex, "source");
	const char *type = str(ex, "type");

	*pod = false;
	if (id && !strcmp(id, task_id))
		return true;
	if (source && !strcmp(source, task_id))
		return true;
	if (!list_has_task(json_object_get(ex, "tasks"), task_id) &&
	    !list_has_task(json_object_get(ex, "queued_tasks"), task_id) &&
	    !list_has_task(json_object_get(ex, "completed_tasks"), task_id))
		return false;
	/* A default executor (pods) keeps each task's files apart. */
	*pod = type && !strcmp(type, "DEFAULT");
	return true;
}

/*
 * The sandbox of `task_id` if executor `ex` runs it: 1 with *out set, 0
 * when it does not, or a negative code.
 */
static int executor_sandbox(char **out, const struct roger_mesos_agent_state *a,
			    const json_t *ex, const char *task_id,
			    struct roger_err *err)
{
	const char *dir = str(ex, "directory");
	bool pod;
	char *s;

	if (!executor_has_task(ex, task_id, &pod))
		return 0;
	if (!dir || !*dir)
		return roger_err_set(
			err, ROGER_ENOTFOUND,
			"agent '%s' has no sandbox directory for task '%s' yet",
			a->id ? a->id : "", task_id);
	if (!pod)
		s = strdup(dir);
	else if (asprintf(&s, "%s/tasks/%s", dir, task_id) < 0)
		s = NULL;
	if (!s)
		return nomem(err);
	*out = s;
	return 1;
}

int roger_mesos_agent_sandbox(char **out,
			      const struct roger_mesos_agent_state *a,
			      const char *framework_id, const char *task_id,
			      struct roger_err *err)
{
	static const char *const fw_lists[] = { "frameworks",
						"completed_frameworks" };
	static const char *const ex_lists[] = { "executors",
						"completed_executors" };
	size_t i, j;
	json_t *fw, *ex;
	int rc;

	for (size_t f = 0; f < 2; f++) {
		json_t *fws = json_object_get(a->json, fw_lists[f]);

		json_array_foreach(fws, i, fw) {
			const char *fid = str(fw, "id");

			if (framework_id && fid && strcmp(fid, framework_id))
				continue;
			for (size_t e = 0; e < 2; e++) {
				json_t *exs = json_object_get(fw, ex_lists[e]);

				json_array_foreach(exs, j, ex) {
					rc = executor_sandbox(out, a, ex,
							      task_id, err);
					if (rc != 0)
						return rc < 0 ? rc : 0;
				}
			}
		}
	}
	return roger_err_set(err, ROGER_ENOTFOUND,
			     "agent '%s' does not know task '%s'",
			     a->id ? a->id : "", task_id);
}

/* ---- the files API ------------------------------------------------------- */

/*
 * The scanner of /files/read replies: JSON as Mesos writes it, except that
 * strings may hold any byte.  Each function advances `p` past what it read
 * and returns false on malformed input.
 */
struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && strchr(" \t\r\n", *s->p) && *s->p)
		s->p++;
}

static bool take(struct scan *s, char c)
{
	skip_ws(s);
	if (s->p >= s->end || *s->p != c)
		return false;
	s->p++;
	return true;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int add_utf8(struct roger_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return roger_buf_add(b, u, n);
}

/* A \uXXXX escape (p at the 'u'), surrogate pairs joined; lone ones U+FFFD. */
static bool unicode_escape(struct scan *s, unsigned *cp)
{
	unsigned lo;

	if (s->end - s->p < 5 || hex4(s->p + 1, cp) < 0)
		return false;
	s->p += 5;
	if (*cp < 0xd800 || *cp > 0xdfff)
		return true;
	if (*cp <= 0xdbff && s->end - s->p >= 6 && s->p[0] == '\\' &&
	    s->p[1] == 'u' && hex4(s->p + 2, &lo) == 0 && lo >= 0xdc00 &&
	    lo <= 0xdfff) {
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
		s->p += 6;
		return true;
	}
	*cp = 0xfffd;
	return true;
}

/*
 * A string (at its opening quote); its bytes go to `out` when not NULL.
 * Returns 1, 0 for malformed input, or ROGER_ENOMEM.
 */
static int scan_string(struct scan *s, struct roger_buf *out)
{
	const char *run;

	if (!take(s, '"'))
		return 0;
	for (;;) {
		char c;
		unsigned cp;

		run = s->p;
		while (s->p < s->end && *s->p != '"' && *s->p != '\\')
			s->p++;
		if (out && s->p > run &&
		    roger_buf_add(out, run, (size_t)(s->p - run)) < 0)
			return ROGER_ENOMEM;
		if (s->p >= s->end)
			return 0;
		if (*s->p++ == '"')
			return 1;
		if (s->p >= s->end)
			return 0;
		c = *s->p;
		switch (c) {
		case 'u':
			if (!unicode_escape(s, &cp))
				return 0;
			if (out && add_utf8(out, cp) < 0)
				return ROGER_ENOMEM;
			continue;
		case 'n':
			c = '\n';
			break;
		case 't':
			c = '\t';
			break;
		case 'r':
			c = '\r';
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case '"':
		case '\\':
		case '/':
			break;
		default:
			return 0;
		}
		s->p++;
		if (out && roger_buf_addch(out, c) < 0)
			return ROGER_ENOMEM;
	}
}

/* Skip any value: a string, a scalar, or a container to its match. */
static bool skip_value(struct scan *s)
{
	char closers[64];
	size_t depth = 0;

	skip_ws(s);
	do {
		const char *start = s->p;

		if (s->p >= s->end)
			return false;
		switch (*s->p) {
		case '"':
			if (scan_string(s, NULL) != 1)
				return false;
			break;
		case '{':
		case '[':
			if (depth == sizeof(closers))
				return false;
			closers[depth++] = *s->p == '{' ? '}' : ']';
			s->p++;
			break;
		case '}':
		case ']':
			if (depth == 0 || closers[--depth] != *s->p)
				return false;
			s->p++;
			break;
		case ',':
		case ':':
			if (depth == 0)
				return false;
			s->p++;
			break;
		default:
			while (s->p < s->end && *s->p &&
			       !strchr(",:{}[]\" \t\r\n", *s->p))
				s->p++;
			if (s->p == start)
				return false;
		}
		skip_ws(s);
	} while (depth > 0);
	return true;
}

static bool scan_offset(struct scan *s, int64_t *out)
{
	char num[40], *end;
	size_t n = 0;
	double d;

	skip_ws(s);
	while (s->p < s->end && n + 1 < sizeof(num) &&
	       strchr("-+0123456789.eE", *s->p) && *s->p)
		num[n++] = *s->p++;
	num[n] = '\0';
	if (!n)
		return false;
	d = strtod(num, &end);
	if (*end || d < -1 || d > 9.0e18)
		return false;
	*out = (int64_t)d;
	return true;
}

int roger_mesos_read_parse(struct roger_buf *data_out, int64_t *offset_out,
			   const char *body, size_t len, struct roger_err *err)
{
	struct scan s = { body ? body : "", (body ? body : "") + len };
	struct roger_buf key = ROGER_BUF_INIT;
	size_t old_len = data_out->len;
	bool has_data = false, has_offset = false, ok = false;
	int64_t offset = 0;
	int rc = 0;

	if (!take(&s, '{'))
		goto out;
	if (take(&s, '}')) {
		ok = true;
		goto out;
	}
	for (;;) {
		roger_buf_reset(&key);
		skip_ws(&s);
		rc = scan_string(&s, &key);
		if (rc != 1 || !take(&s, ':'))
			goto out;
		skip_ws(&s);
		if (!strcmp(key.buf, "data") && s.p < s.end && *s.p == '"') {
			/* The last "data" wins, as in a JSON parser. */
			roger_buf_truncate(data_out, old_len);
			rc = scan_string(&s, data_out);
			if (rc != 1)
				goto out;
			has_data = true;
		} else if (!strcmp(key.buf, "offset")) {
			if (!scan_offset(&s, &offset))
				goto out;
			has_offset = true;
		} else if (!skip_value(&s)) {
			goto out;
		}
		if (take(&s, '}'))
			break;
		if (!take(&s, ','))
			goto out;
	}
	skip_ws(&s);
	ok = s.p == s.end;
out:
	roger_buf_release(&key);
	if (rc < 0) {
		roger_buf_truncate(data_out, old_len);
		return nomem(err);
	}
	if (!ok || !has_offset) {
		roger_buf_truncate(data_out, old_len);
		return roger_err_set(
			err, ROGER_EHTTP,
			ok ? "unexpected JSON in a file read: no \"offset\""
			   : "invalid JSON in a file read");
	}
	if (!has_data)
		roger_buf_truncate(data_out, old_len);
	*offset_out = offset;
	return 0;
}

int roger_mesos_read_url(struct roger_buf *out, const char *agent_url,
			 const char *path, int64_t offset, int64_t length)
{
	int rc;

	if ((rc = roger_buf_adds(out, agent_url)) < 0 ||
	    (rc = roger_buf_adds(out, "/files/read?path=")) < 0 ||
	    (rc = roger_http_escape(out, path)) < 0 ||
	    (rc = roger_buf_addf(out, "&offset=%" PRId64, offset)) < 0)
		return rc;
	if (length >= 0)
		rc = roger_buf_addf(out, "&length=%" PRId64, length);
	return rc;
}

/* ---- the client ---------------------------------------------------------- */

struct agent_entry {
	char *url;
	struct roger_mesos_agent_state *state;
};

struct roger_mesos {
	struct roger_ctx *ctx;
	struct roger_http_client *http;
	long agent_connect_ms, agent_timeout_ms;
	struct roger_mesos_master *master; /* the last fetched by locate */
	struct agent_entry *agents;
	size_t n_agents;
};

int roger_mesos_new(struct roger_mesos **out, struct roger_ctx *ctx,
		    struct roger_http_client *http, struct roger_err *err)
{
	struct roger_mesos *m = calloc(1, sizeof(*m));

	if (!m) {
		roger_http_client_free(http);
		return nomem(err);
	}
	m->ctx = ctx;
	m->http = http;
	m->agent_connect_ms = AGENT_CONNECT_MS;
	m->agent_timeout_ms = AGENT_TIMEOUT_MS;
	*out = m;
	return 0;
}

int roger_mesos_for_target(struct roger_mesos **out, struct roger_ctx *ctx,
			   const struct roger_target *target,
			   struct roger_err *err)
{
	struct roger_http_client *http;
	int rc = roger_http_client_for_target(&http, ctx, target,
					      ROGER_HTTP_MESOS, err);

	if (rc < 0)
		return rc;
	return roger_mesos_new(out, ctx, http, err);
}

void roger_mesos_forget(struct roger_mesos *m)
{
	for (size_t i = 0; i < m->n_agents; i++) {
		free(m->agents[i].url);
		roger_mesos_agent_state_free(m->agents[i].state);
	}
	free(m->agents);
	m->agents = NULL;
	m->n_agents = 0;
	roger_mesos_master_free(m->master);
	m->master = NULL;
}

void roger_mesos_free(struct roger_mesos *m)
{
	if (!m)
		return;
	roger_mesos_forget(m);
	roger_http_client_free(m->http);
	free(m);
}

struct roger_http_client *roger_mesos_http(const struct roger_mesos *m)
{
	return m->http;
}

void roger_mesos_set_agent_timeouts(struct roger_mesos *m,
				    long connect_timeout_ms, long timeout_ms)
{
	m->agent_connect_ms =
		connect_timeout_ms ? connect_timeout_ms : AGENT_CONNECT_MS;
	m->agent_timeout_ms = timeout_ms ? timeout_ms : AGENT_TIMEOUT_MS;
}

/* GET `url` with the policy of `agent` requests or the master's. */
static int get(struct roger_mesos *m, const char *url, bool agent,
	       struct roger_http_resp *resp, struct roger_err *err)
{
	struct roger_http_req req = { 0 };
	int rc;

	req.url = url;
	req.accept = "application/json";
	if (agent) {
		req.flags = ROGER_HTTP_NO_RETRY;
		req.connect_timeout_ms = m->agent_connect_ms;
		req.timeout_ms = m->agent_timeout_ms;
	}
	rc = roger_http_client_send(m->http, &req, resp, err);
	if (rc < 0)
		return rc;
	if (!roger_http_resp_ok(resp))
		return roger_http_client_status_err(m->http, resp, err);
	return 0;
}

/* Add " (from 'URL')" to a parse error, so that it names the server. */
static int from_url(struct roger_err *err, const char *url, int rc)
{
	struct roger_buf masked = ROGER_BUF_INIT;
	char old[ROGER_ERR_MSG_MAX];

	if (!err || rc >= 0)
		return rc;
	roger_http_mask_url(&masked, url);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s (from '%s')", old, masked.buf);
	roger_buf_release(&masked);
	return rc;
}

int roger_mesos_master_state(struct roger_mesos_master **out,
			     struct roger_mesos *m, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	int rc = get(m, "/master/state", false, &resp, err);

	if (rc == 0)
		rc = from_url(err, resp.url ? resp.url : "/master/state",
			      roger_mesos_master_parse(out, resp.body.buf,
						       resp.body.len, err));
	roger_http_resp_release(&resp);
	return rc;
}

int roger_mesos_agent_state(struct roger_mesos_agent_state **out,
			    struct roger_mesos *m, const char *agent_url,
			    struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	char *url = NULL;
	int rc;

	if (asprintf(&url, "%s/slave(1)/state", agent_url) < 0)
		return nomem(err);
	rc = get(m, url, true, &resp, err);
	if (rc == 0)
		rc = from_url(err, url,
			      roger_mesos_agent_parse(out, resp.body.buf,
						      resp.body.len, err));
	roger_http_resp_release(&resp);
	free(url);
	return rc;
}

/* One /files/read; its data appended to `data`, its offset in *offset. */
static int files_read(struct roger_buf *data, int64_t *offset,
		      struct roger_mesos *m, const char *agent_url,
		      const char *path, int64_t at, int64_t length,
		      struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_buf url = ROGER_BUF_INIT;
	int rc;

	if (roger_mesos_read_url(&url, agent_url, path, at, length) < 0) {
		rc = nomem(err);
		goto out;
	}
	rc = get(m, url.buf, true, &resp, err);
	if (rc == ROGER_ENOTFOUND && resp.status == 404)
		rc = roger_err_set(
			err, ROGER_ENOTFOUND,
			"file '%s' not found on agent '%s' (HTTP 404)", path,
			agent_url);
	if (rc == 0)
		rc = from_url(err, url.buf,
			      roger_mesos_read_parse(data, offset,
						     resp.body.buf,
						     resp.body.len, err));
out:
	roger_buf_release(&url);
	roger_http_resp_release(&resp);
	return rc;
}

int roger_mesos_file_size(int64_t *out, struct roger_mesos *m,
			  const char *agent_url, const char *path,
			  struct roger_err *err)
{
	struct roger_buf none = ROGER_BUF_INIT;
	int64_t size = 0;
	int rc = files_read(&none, &size, m, agent_url, path, -1, 0, err);

	roger_buf_release(&none);
	if (rc < 0)
		return rc;
	*out = size;
	return 0;
}

int roger_mesos_file_read(struct roger_buf *data, struct roger_mesos *m,
			  const char *agent_url, const char *path,
			  int64_t offset, int64_t length, struct roger_err *err)
{
	int64_t ignored;

	if (length == 0)
		return 0;
	return files_read(data, &ignored, m, agent_url, path, offset,
			  length < 0 ? ROGER_MESOS_READ_CAP : length, err);
}

int roger_mesos_file_read_range(struct roger_buf *data, struct roger_mesos *m,
				const char *agent_url, const char *path,
				int64_t offset, int64_t length,
				struct roger_err *err)
{
	while (length > 0) {
		size_t before = data->len;
		int64_t want = length < ROGER_MESOS_READ_CAP
				       ? length
				       : ROGER_MESOS_READ_CAP;
		int rc = roger_mesos_file_read(data, m, agent_url, path, offset,
					       want, err);
		size_t got = data->len - before;

		if (rc < 0)
			return rc;
		if (got == 0)
			return 0;
		if ((int64_t)got > length) {
			/* An agent ignoring `length`: keep what was asked. */
			roger_buf_truncate(data, before + (size_t)length);
			got = (size_t)length;
		}
		offset += (int64_t)got;
		length -= (int64_t)got;
	}
	return 0;
}

struct download {
	int64_t seen, skip, limit, given;
	roger_http_body_fn fn;
	void *data;
};

static int download_body(void *data, const char *chunk, size_t len,
			 struct roger_err *err)
{
	struct download *d = data;
	int64_t start = d->seen, end = d->seen + (int64_t)len;
	int rc;

	d->seen = end;
	if (end > d->limit)
		end = d->limit;
	if (start < d->skip)
		start = d->skip;
	if (end > start) {
		rc = d->fn(d->data, chunk + (start - (d->seen - (int64_t)len)),
			   (size_t)(end - start), err);
		if (rc != 0)
			return rc;
		d->given += end - start;
	}
	return d->seen >= d->limit ? ROGER_HTTP_STOP : 0;
}

int roger_mesos_file_download(int64_t *got, struct roger_mesos *m,
			      const char *agent_url, const char *path,
			      int64_t skip, int64_t limit,
			      roger_http_body_fn fn, void *data,
			      struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_http_req req = { 0 };
	struct roger_buf url = ROGER_BUF_INIT;
	struct download d = { 0, skip, limit, 0, fn, data };
	int rc;

	*got = 0;
	if (roger_buf_adds(&url, agent_url) < 0 ||
	    roger_buf_adds(&url, "/files/download?path=") < 0 ||
	    roger_http_escape(&url, path) < 0) {
		rc = nomem(err);
		goto out;
	}
	req.url = url.buf;
	req.flags = ROGER_HTTP_NO_RETRY;
	req.connect_timeout_ms = m->agent_connect_ms;
	req.timeout_ms = ROGER_HTTP_NO_TIMEOUT;
	req.idle_timeout_ms = m->agent_timeout_ms;
	req.body_fn = download_body;
	req.body_data = &d;
	rc = roger_http_client_send(m->http, &req, &resp, err);
	if (rc == 0 && !roger_http_resp_ok(&resp)) {
		rc = roger_http_client_status_err(m->http, &resp, err);
		if (rc == ROGER_ENOTFOUND && resp.status == 404)
			rc = roger_err_set(
				err, ROGER_ENOTFOUND,
				"file '%s' not found on agent '%s' (HTTP 404)",
				path, agent_url);
	}
out:
	*got = d.given;
	roger_buf_release(&url);
	roger_http_resp_release(&resp);
	return rc;
}

void roger_mesos_sandbox_release(struct roger_mesos_sandbox *s)
{
	if (!s)
		return;
	free(s->agent_id);
	free(s->agent_url);
	free(s->framework_id);
	free(s->directory);
	memset(s, 0, sizeof(*s));
}

char *roger_mesos_sandbox_file(const struct roger_mesos_sandbox *s,
			       const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", s->directory, name) < 0)
		return NULL;
	return path;
}

/* The cached state of the agent at `url`, fetched when absent or `fresh`. */
static int agent_cached(struct roger_mesos_agent_state **out,
			struct roger_mesos *m, const char *url, bool fresh,
			struct roger_err *err)
{
	struct roger_mesos_agent_state *st = NULL;
	struct agent_entry *e = NULL, *grown;
	int rc;

	for (size_t i = 0; i < m->n_agents; i++)
		if (!strcmp(m->agents[i].url, url))
			e = &m->agents[i];
	if (e && !fresh) {
		*out = e->state;
		return 0;
	}
	if ((rc = roger_mesos_agent_state(&st, m, url, err)) < 0)
		return rc;
	if (!e) {
		grown = realloc(m->agents, (m->n_agents + 1) * sizeof(*grown));
		if (!grown)
			goto nomem;
		m->agents = grown;
		e = &m->agents[m->n_agents];
		e->state = NULL;
		if (!(e->url = strdup(url)))
			goto nomem;
		m->n_agents++;
	}
	roger_mesos_agent_state_free(e->state);
	e->state = st;
	*out = st;
	return 0;
nomem:
	roger_mesos_agent_state_free(st);
	return nomem(err);
}

/* The master's state to use: the caller's, else the cached or a fresh one. */
static int master_for(const struct roger_mesos_master **out,
		      struct roger_mesos *m,
		      const struct roger_mesos_master *given, bool fresh,
		      struct roger_err *err)
{
	struct roger_mesos_master *st = NULL;
	int rc;

	if (given && !fresh) {
		*out = given;
		return 0;
	}
	if (m->master && !fresh) {
		*out = m->master;
		return 0;
	}
	if ((rc = roger_mesos_master_state(&st, m, err)) < 0)
		return rc;
	roger_mesos_master_free(m->master);
	m->master = st;
	*out = st;
	return 0;
}

/* The agent id and framework of a task, from one master state; 0 or -1. */
static int master_lookup(const struct roger_mesos_master *st,
			 const char *task_id, const char *agent_hint,
			 const struct roger_mesos_agent_info **agent,
			 const char **framework_id)
{
	const struct roger_mesos_task *t = roger_mesos_master_task(st, task_id);
	const char *agent_id = t && t->slave_id ? t->slave_id : agent_hint;

	*framework_id = t ? t->framework_id : NULL;
	*agent = roger_mesos_master_agent(st, agent_id);
	return *agent ? 0 : -1;
}

int roger_mesos_locate(struct roger_mesos_sandbox *out, struct roger_mesos *m,
		       const struct roger_mesos_master *master,
		       const char *task_id, const char *agent_hint,
		       struct roger_err *err)
{
	struct roger_mesos_sandbox s = { 0 };
	const struct roger_mesos_master *st;
	const struct roger_mesos_agent_info *agent;
	struct roger_mesos_agent_state *as;
	const char *fid;
	bool fetched = !master && !m->master;
	int rc;

	if ((rc = master_for(&st, m, master, false, err)) < 0)
		return rc;
	if (master_lookup(st, task_id, agent_hint, &agent, &fid) < 0) {
		if (fetched)
			goto unknown;
		/* The task (or its agent) may be newer than that state. */
		if ((rc = master_for(&st, m, master, true, err)) < 0)
			return rc;
		if (master_lookup(st, task_id, agent_hint, &agent, &fid) < 0)
			goto unknown;
	}
	if (!(s.agent_id = strdup(agent->id)) ||
	    (fid && !(s.framework_id = strdup(fid))))
		goto nomem;
	if ((rc = roger_mesos_agent_url(&s.agent_url, agent,
					roger_http_client_base(m->http), err)) <
	    0)
		goto out;
	fetched = false;
	for (size_t i = 0; i < m->n_agents; i++)
		fetched |= !strcmp(m->agents[i].url, s.agent_url);
	fetched = !fetched;
	if ((rc = agent_cached(&as, m, s.agent_url, false, err)) < 0)
		goto out;
	rc = roger_mesos_agent_sandbox(&s.directory, as, s.framework_id,
				       task_id, err);
	if (rc == ROGER_ENOTFOUND && !fetched) {
		if ((rc = agent_cached(&as, m, s.agent_url, true, err)) < 0)
			goto out;
		rc = roger_mesos_agent_sandbox(&s.directory, as, s.framework_id,
					       task_id, err);
	}
	if (rc < 0)
		goto out;
	*out = s;
	return 0;
unknown:
	if (roger_mesos_master_task(st, task_id))
		agent_hint = roger_mesos_master_task(st, task_id)->slave_id;
	if (agent_hint)
		return roger_err_set(
			err, ROGER_ENOTFOUND,
			"agent '%s' of task '%s' is not in the Mesos master's state",
			agent_hint, task_id);
	return roger_err_set(err, ROGER_ENOTFOUND,
			     "the Mesos master does not know task '%s'",
			     task_id);
nomem:
	rc = nomem(err);
out:
	roger_mesos_sandbox_release(&s);
	return rc;
}
