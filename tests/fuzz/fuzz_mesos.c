/*
 * fuzz_mesos.c - the parsers of Mesos' replies (lib/mesos.c) that `roger
 * logs` reads on the way from a task to its sandbox files: the master's
 * state (then the agent of each task and its URL, under a plain and a
 * DC/OS master URL), the agent's state (then each task's sandbox), and a
 * /files/read reply, whose data may hold any bytes.  The same bytes go
 * through each.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/mesos.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void agent_urls(const struct roger_mesos_master *m,
		       const struct roger_mesos_agent_info *a)
{
	static const char *const masters[] = {
		"http://10.0.1.10:5050", "https://dcos.example.com/mesos"
	};
	char *url;

	for (size_t i = 0; i < 2; i++) {
		if (roger_mesos_agent_url(&url, a, masters[i], NULL) == 0)
			free(url);
	}
	if (a->id)
		(void)roger_mesos_master_agent(m, a->id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct roger_mesos_master *m = NULL;
	struct roger_mesos_agent_state *agent = NULL;
	struct roger_buf read = ROGER_BUF_INIT;
	int64_t offset;
	char *sandbox;

	if (roger_mesos_master_parse(&m, body, size, NULL) == 0) {
		struct roger_mesos_free fr;

		/* what is free is never negative, and one agent's within all */
		roger_mesos_master_free_resources(&fr, m);
		if (!(fr.cpus >= 0 && fr.mem >= 0 && fr.cpus <= fr.total_cpus &&
		      fr.mem <= fr.total_mem && fr.agents <= m->n_agents))
			abort();
		for (size_t i = 0; i < m->n_agents; i++)
			agent_urls(m, &m->agents[i]);
		for (size_t i = 0; i < m->n_tasks; i++) {
			const struct roger_mesos_agent_info *a;

			if (!m->tasks[i].id)
				continue;
			(void)roger_mesos_master_task(m, m->tasks[i].id);
			(void)roger_mesos_task_of_app(m->tasks[i].id,
						      "/web/hello");
			a = m->tasks[i].slave_id
				    ? roger_mesos_master_agent(
					      m, m->tasks[i].slave_id)
				    : NULL;
			if (a)
				agent_urls(m, a);
		}
		roger_mesos_master_free(m);
	}
	if (roger_mesos_agent_parse(&agent, body, size, NULL) == 0) {
		static const char *const tasks[] = {
			"web_hello.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6._app.1",
			"test-app.d44dd7f2-f9b7-11e4-bb43-56847afe9799",
		};

		for (size_t i = 0; i < 2; i++) {
			if (roger_mesos_agent_sandbox(&sandbox, agent, NULL,
						      tasks[i], NULL) == 0)
				free(sandbox);
			if (roger_mesos_agent_sandbox(
				    &sandbox, agent,
				    "20150502-231327-16842879-5050-3889-0000",
				    tasks[i], NULL) == 0)
				free(sandbox);
		}
		roger_mesos_agent_state_free(agent);
	}
	(void)roger_mesos_read_parse(&read, &offset, body, size, NULL);
	roger_buf_release(&read);
	return 0;
}
