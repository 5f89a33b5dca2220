/*
 * health.c - roger local's health checks, run as Marathon 1.10 runs them.
 *
 * Each task keeps one struct roger_local_hc per health check of its
 * definition.  On every pass the scheduler asks for the checks that are
 * due (roger_local_health_due(), lock held): running tasks not being
 * killed whose check is not in flight and whose next time has come.  With
 * the lock released it hands them to roger_local_health_run(), which
 * starts one detached thread per check; the thread probes (HTTP, HTTPS,
 * TCP, or a COMMAND), takes the lock, records the result and publishes
 * Marathon's events, and kills the task when its failures reach
 * maxConsecutiveFailures.  Failures within gracePeriodSeconds of the task
 * starting count only after a first success, and a check that could not
 * run for want of the server's own resources gives no result at all.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ctx.h"
#include "err.h"
#include "local/decide.h"
#include "local/internal.h"
#include "util.h"

struct roger_local_hc_job {
	struct roger_local_hc_job *next;
	struct roger_local *L;
	char task_id[192];
	int index;
	char protocol[16];
	int port;
	char *path;
	char *command;
	int timeout_s;
	bool ignore_1xx;
};

struct roger_local_hc_job *roger_local_health_due(struct roger_local *L)
{
	struct roger_local_hc_job *due = NULL;
	int64_t now = roger_local_now(L);

	for (struct roger_local_app *a = L->apps; a; a = a->next) {
		for (struct roger_local_task *t = a->tasks; t; t = t->next) {
			json_t *hcs = json_object_get(t->def, "healthChecks");

			if (t->state != ROGER_TASK_RUNNING || t->kill_wanted)
				continue;
			for (int i = 0; i < t->n_hc; i++) {
				json_t *hc = json_array_get(hcs, (size_t)i);
				struct roger_local_hc *h = &t->hc[i];
				struct roger_local_hc_job *j;
				const char *proto;
				json_t *pi, *cmd;

				if (h->in_flight || now < h->next_ms)
					continue;
				j = calloc(1, sizeof(*j));
				if (!j)
					continue;
				j->L = L;
				snprintf(j->task_id, sizeof(j->task_id), "%s",
					 t->id);
				j->index = i;
				proto = json_string_value(
					json_object_get(hc, "protocol"));
				snprintf(j->protocol, sizeof(j->protocol), "%s",
					 proto ? proto : "HTTP");
				pi = json_object_get(hc, "portIndex");
				if (json_is_integer(
					    json_object_get(hc, "port")))
					j->port = (int)roger_local_def_int(
						hc, "port", 0);
				else if (json_integer_value(pi) >= 0 &&
					 json_integer_value(pi) < t->n_ports)
					j->port = t->ports[json_integer_value(
						pi)];
				if (json_is_string(json_object_get(hc, "path")))
					j->path = strdup(json_string_value(
						json_object_get(hc, "path")));
				cmd = json_object_get(
					json_object_get(hc, "command"),
					"value");
				if (json_is_string(cmd))
					j->command =
						strdup(json_string_value(cmd));
				/* poll() takes the timeout in ms as an int. */
				j->timeout_s = (int)roger_local_def_int(
					hc, "timeoutSeconds", 1);
				if (j->timeout_s <= 0)
					j->timeout_s = 1;
				if (j->timeout_s > INT32_MAX / 1000)
					j->timeout_s = INT32_MAX / 1000;
				j->ignore_1xx = json_is_true(
					json_object_get(hc, "ignoreHttp1xx"));
				h->in_flight = true;
				j->next = due;
				due = j;
			}
		}
	}
	return due;
}

/*
 * Whether a check could not run for want of something of the server's
 * own (descriptors, memory): that says nothing about the task, so the
 * check gives no result instead of a failure that would get it killed.
 */
static bool own_shortage(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM ||
	       e == EAGAIN;
}

static size_t discard(char *p, size_t size, size_t n, void *data)
{
	(void)p;
	(void)data;
	return size * n;
}

/* 1: healthy, 0: unhealthy (cause set), -1: no result (an ignored 1xx,
 * or the server could not run the check). */
static int check_http(struct roger_local_hc_job *j, char *cause, size_t size)
{
	CURL *c = curl_easy_init();
	char url[512];
	long code = 0, os_errno = 0;
	CURLcode rc;
	bool https = strstr(j->protocol, "HTTPS") != NULL;

	if (!c)
		return -1; /* out of memory: ours, not the task's */
	snprintf(url, sizeof(url), "%s://%s:%d%s", https ? "https" : "http",
		 ROGER_LOCAL_HOST, j->port, j->path ? j->path : "/");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)j->timeout_s * 1000);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "marathon");
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(cause, size, "%s", curl_easy_strerror(rc));
		return own_shortage((int)os_errno) ? -1 : 0;
	}
	if (code >= 100 && code < 200 && j->ignore_1xx)
		return -1;
	if (code >= 200 && code < 400)
		return 1;
	snprintf(cause, size, "%ld", code);
	return 0;
}

static int check_tcp(struct roger_local_hc_job *j, char *cause, size_t size)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc, soerr = 0;
	socklen_t len = sizeof(soerr);

	if (fd < 0) {
		snprintf(cause, size, "%s", strerror(errno));
		return own_shortage(errno) ? -1 : 0;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)j->port);
	inet_pton(AF_INET, ROGER_LOCAL_HOST, &sa.sin_addr);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc < 0 && errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		rc = poll(&pfd, 1, j->timeout_s * 1000);
		if (rc == 0) {
			close(fd);
			snprintf(cause, size, "connection timed out");
			return 0;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		rc = soerr ? -1 : 0;
		errno = soerr;
	}
	close(fd);
	if (rc < 0) {
		snprintf(cause, size, "%s", strerror(errno));
		return 0;
	}
	return 1;
}

/*
 * A COMMAND check runs `sh -c command` in the task's sandbox with the
 * task's whole environment (HOST, PORT0..., MESOS_*, PATH), as the Mesos
 * command executor runs it (inside the container of an image task); the
 * agent runs it (agent-check.c).
 */
/* Whether the server stops (a check in flight need not finish then). */
static bool stopping(void *data)
{
	struct roger_local *L = data;
	bool stop;

	pthread_mutex_lock(&L->lock);
	stop = L->stopping;
	pthread_mutex_unlock(&L->lock);
	return stop;
}

static int check_command(struct roger_local_hc_job *j, char *cause, size_t size)
{
	return roger_agent_check_command(
		j->L->agent, j->task_id, j->command ? j->command : "false",
		j->timeout_s, stopping, j->L, cause, size);
}

/* When the first check of health check `i` of a task that has just
 * started runs, in ms after now (decide.c says). */
static int64_t first_check_delay_ms(const struct roger_local_task *t, int i)
{
	json_t *hc = json_array_get(json_object_get(t->def, "healthChecks"),
				    (size_t)i);
	return roger_decide_first_check_ms(
		json_string_value(json_object_get(hc, "protocol")),
		roger_local_def_int(hc, "delaySeconds", -1));
}

/* Publish a health_status_changed_event for `t`. */
static void publish_health(struct roger_local *L,
			   const struct roger_local_task *t, bool alive)
{
	roger_local_events_publish(L, "health_status_changed_event",
				   json_pack("{s:s,s:s,s:s,s:b}", "appId",
					     t->app->id, "instanceId",
					     t->instance_id, "version",
					     t->version, "alive", alive));
}

/* Record the result of job `j` (decide.c judges it) and act (lock held). */
static void record_check(struct roger_local *L, struct roger_local_hc_job *j,
			 int result, const char *cause)
{
	struct roger_local_task *t = roger_local_task_find(L, j->task_id);
	struct roger_decide_hc_policy p;
	struct roger_local_hc *h;
	unsigned out;
	json_t *hc;

	if (!t || j->index >= t->n_hc)
		return;
	h = &t->hc[j->index];
	hc = json_array_get(json_object_get(t->def, "healthChecks"),
			    (size_t)j->index);
	p.grace_s = roger_local_def_int(hc, "gracePeriodSeconds", 0);
	p.interval_s = roger_local_def_int(hc, "intervalSeconds", 0);
	p.max_failures = roger_local_def_int(hc, "maxConsecutiveFailures", 0);
	out = roger_decide_health(
		h, result, t->state == ROGER_TASK_RUNNING && !t->kill_wanted,
		roger_local_now(L), t->started_ms, &p);
	if (out & ROGER_DECIDE_HC_UP)
		publish_health(L, t, true);
	if (out & ROGER_DECIDE_HC_PASSED)
		roger_local_sched_kick(L);
	if (!(out & ROGER_DECIDE_HC_FAILED))
		return;
	free(h->last_failure_cause);
	h->last_failure_cause = strdup(cause);
	roger_local_events_publish(L, "failed_health_check_event",
				   json_pack("{s:s,s:O,s:s}", "appId",
					     t->app->id, "healthCheck", hc,
					     "taskId", t->instance_id));
	if (out & ROGER_DECIDE_HC_DOWN)
		publish_health(L, t, false);
	if (!(out & ROGER_DECIDE_HC_KILL))
		return;
	roger_local_events_publish(
		L, "unhealthy_instance_kill_event",
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "appId", t->app->id,
			  "taskId", t->id, "instanceId", t->instance_id,
			  "version", t->version, "reason", cause, "host",
			  ROGER_LOCAL_HOST, "slaveId", L->agent_id));
	roger_log(L->ctx, ROGER_LOG_NOTICE, "killing unhealthy task '%s': %s",
		  t->id, cause);
	t->kill_unhealthy = true;
	roger_local_task_kill(L, t);
}

static void hc_job_free(struct roger_local_hc_job *j)
{
	free(j->path);
	free(j->command);
	free(j);
}

static void *hc_thread(void *arg)
{
	struct roger_local_hc_job *j = arg;
	struct roger_local *L = j->L;
	char cause[256] = "";
	int result;

	if (!strcmp(j->protocol, "COMMAND"))
		result = check_command(j, cause, sizeof(cause));
	else if (strstr(j->protocol, "TCP"))
		result = check_tcp(j, cause, sizeof(cause));
	else
		result = check_http(j, cause, sizeof(cause));
	pthread_mutex_lock(&L->lock);
	record_check(L, j, result, cause);
	L->health_threads--;
	pthread_cond_broadcast(&L->health_done);
	pthread_mutex_unlock(&L->lock);
	hc_job_free(j);
	return NULL;
}

void roger_local_health_started(struct roger_local *L,
				struct roger_local_task *t)
{
	for (int i = 0; i < t->n_hc; i++)
		t->hc[i].next_ms =
			roger_local_now(L) + first_check_delay_ms(t, i);
}

void roger_local_health_run(struct roger_local *L,
			    struct roger_local_hc_job *jobs)
{
	while (jobs) {
		struct roger_local_hc_job *j = jobs;
		pthread_attr_t attr;
		pthread_t th;

		jobs = j->next;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_mutex_lock(&L->lock);
		L->health_threads++;
		pthread_mutex_unlock(&L->lock);
		if (pthread_create(&th, &attr, hc_thread, j) != 0) {
			pthread_mutex_lock(&L->lock);
			L->health_threads--;
			record_check(L, j, -1, "cannot start a health check");
			pthread_mutex_unlock(&L->lock);
			hc_job_free(j);
		}
		pthread_attr_destroy(&attr);
	}
}
