/*
 * fuzz_marathon.c - every parser of Marathon's replies (lib/marathon.c)
 * on the same bytes, as any cluster roger talks to may send them, and what
 * reads the parsed structs: task ids and their short names, labels,
 * health, deployments touching an app, the queue, the default deploy
 * timeout, and the error reply of each status roger maps (with its
 * validation details as roger.json paths), and a deploy watch fed the
 * replies in turn.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/deploy.h"
#include "lib/err.h"
#include "lib/logs.h"
#include "lib/marathon.h"
#include "lib/mesos.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void task_ids(const struct roger_marathon_task *t, const char *app_id)
{
	char short_name[64], *instance = NULL;
	const char *taken[1];

	roger_marathon_task_health(t);
	if (!t->id)
		return;
	if (roger_marathon_task_instance_id(&instance, t->id, NULL) == 0)
		free(instance);
	roger_marathon_task_short_name(short_name, sizeof(short_name), t->id);
	taken[0] = short_name;
	roger_logs_short_name(short_name, sizeof(short_name), t->id, taken, 1);
	(void)roger_logs_task_matches(t->id, short_name);
	if (app_id)
		(void)roger_mesos_task_of_app(t->id, app_id);
}

static void app(const struct roger_marathon_app *a)
{
	(void)roger_marathon_app_label(a, "ROGER_COMMIT");
	(void)roger_deploy_default_timeout_ms(a, -1, 1000);
	(void)roger_deploy_default_timeout_ms(a, 7, 0);
	for (size_t i = 0; i < a->n_tasks; i++)
		task_ids(&a->tasks[i], a->id);
	if (a->id)
		(void)roger_marathon_id_check(a->id, NULL);
}

static void errors(const char *body, size_t len)
{
	static const long statuses[] = { 400, 403, 404, 409, 422, 500 };
	struct roger_marathon_error *e = NULL;
	struct roger_buf path = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;

	if (roger_marathon_error_parse(&e, body, len, NULL) == 0) {
		for (size_t i = 0; i < e->n_details; i++)
			if (e->details[i].path)
				roger_marathon_user_path(&path,
							 e->details[i].path);
		roger_marathon_error_free(e);
	}
	/* One status a part, picked by its length: each parse costs. */
	roger_marathon_error_from_reply(&err, statuses[len % 6], body, len,
					"http://m/v2/apps/a",
					len % 2 ? "roger.json" : NULL);
	roger_buf_release(&path);
}

/* A deploy watch (lib/deploy.c), made for the first app parsed. */
struct watch {
	struct roger_deploy *d;
	int64_t now;
};

static void watch_app(struct watch *w, const struct roger_marathon_app *a)
{
	struct roger_deploy_goal goal = {
		.app_id = a->id,
		.deployment_id = a->n_deployments ? a->deployments[0] : NULL,
		.version = a->version,
		.instances = -1,
		.timeout_ms = 600000,
		.settle_ms = -1,
	};

	if (!w->d && (!a->id || roger_deploy_new(&w->d, &goal, NULL) < 0))
		return;
	roger_deploy_observe_app(w->d, w->now, a);
}

/* Every parser on one part of the input; the watch observes what parses. */
static void part(struct watch *w, const char *body, size_t size)
{
	struct roger_marathon_app *one = NULL;
	struct roger_marathon_apps *apps = NULL;
	struct roger_marathon_tasks *tasks = NULL;
	struct roger_marathon_versions *versions = NULL;
	struct roger_marathon_deployments *deps = NULL;
	struct roger_marathon_deployment_result result;
	struct roger_marathon_queue *queue = NULL;
	struct roger_marathon_info *info = NULL;
	char *leader = NULL;

	w->now += 5000;
	if (roger_marathon_app_parse(&one, body, size, NULL) == 0) {
		app(one);
		watch_app(w, one);
		roger_marathon_app_free(one);
	}
	if (roger_marathon_apps_parse(&apps, body, size, NULL) == 0) {
		for (size_t i = 0; i < apps->n; i++)
			app(&apps->items[i]);
		roger_marathon_apps_free(apps);
	}
	if (roger_marathon_tasks_parse(&tasks, body, size, NULL) == 0) {
		for (size_t i = 0; i < tasks->n; i++)
			task_ids(&tasks->items[i], tasks->items[i].app_id);
		roger_marathon_tasks_free(tasks);
	}
	if (roger_marathon_versions_parse(&versions, body, size, NULL) == 0)
		roger_marathon_versions_free(versions);
	if (roger_marathon_deployments_parse(&deps, body, size, NULL) == 0) {
		for (size_t i = 0; i < deps->n; i++) {
			(void)roger_marathon_deployment_affects(&deps->items[i],
								"/web/hello");
			if (deps->items[i].id)
				(void)roger_marathon_deployments_find(
					deps, deps->items[i].id);
		}
		if (w->d)
			roger_deploy_observe_deployments(w->d, w->now, deps);
		roger_marathon_deployments_free(deps);
	}
	(void)roger_marathon_deployment_result_parse(&result, body, size, NULL,
						     NULL);
	(void)roger_marathon_deployment_result_parse(
		&result, body, size, "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43",
		NULL);
	if (roger_marathon_queue_parse(&queue, body, size, NULL) == 0) {
		(void)roger_marathon_queue_find(queue, "/web/hello");
		if (w->d)
			roger_deploy_observe_queue(w->d, w->now, queue);
		roger_marathon_queue_free(queue);
	}
	if (roger_marathon_info_parse(&info, body, size, NULL) == 0)
		roger_marathon_info_free(info);
	if (roger_marathon_leader_parse(&leader, body, size, NULL) == 0)
		free(leader);
	errors(body, size);
	if (w->d)
		roger_deploy_tick(w->d, w->now + 1000);
}

/*
 * Input: one reply, or several separated by NUL bytes, which a deploy
 * watch of the first app among them observes in order (a GET of the app,
 * then /v2/deployments, /v2/queue...).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch w = { NULL, 0 };
	struct roger_buf text = ROGER_BUF_INIT;
	const char *p = (const char *)data, *end = p + size;

	for (;;) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		part(&w, p, (size_t)((nul ? nul : end) - p));
		if (!nul)
			break;
		p = nul + 1;
	}
	if (w.d) {
		roger_deploy_progress_text(&text, roger_deploy_status(w.d));
		json_decref(roger_deploy_status_json(roger_deploy_status(w.d)));
		for (size_t i = 0; i < roger_deploy_n_failures(w.d); i++)
			(void)roger_deploy_failure_at(w.d, i);
	}
	roger_buf_release(&text);
	roger_deploy_free(w.d);
	return 0;
}
