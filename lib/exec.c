/*
 * exec.c - `roger exec`'s client of the agent operator API (see exec.h for
 * the walk and the errors).
 *
 * Threads.  The calling thread sends the session call and, from curl's
 * body callback, decodes the RecordIO stream and writes the command's
 * output.  When the session's reply head arrives with 200 (the headers
 * callback), a second thread starts the input call; its body is produced
 * by curl's read callback, which blocks in poll(2) on standard input, the
 * window-size pipe and a stop pipe, waking at least every 250 ms to honour
 * an interrupt and to send the heartbeat when due.  When the output ends,
 * the calling thread writes to the stop pipe: the read callback ends the
 * upload, the input call completes, and the thread is joined before the
 * exit status is asked for.  Each thread has its own HTTP client, since a
 * curl handle serves one transfer at a time.
 *
 * The end of standard input is the empty STDIN record, or EOT (Ctrl-D)
 * with a terminal, where an empty record means nothing to the line
 * discipline; without a terminal the upload then ends, with one it stays
 * open for the window size.  Without -i or -t the input call carries the
 * empty record alone, so that the command's standard input ends at once.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "agentapi.h"
#include "ctx.h"
#include "err.h"
#include "exec.h"
#include "http.h"
#include "logs.h"
#include "marathon.h"
#include "mesos.h"
#include "pbio.h"
#include "recordio.h"
#include "util.h"

#define INPUT_CHUNK 65536
#define WAIT_TIMEOUT_MS 30000L
#define POLL_MS 250
/* The largest output record taken: the agent sends pipe-sized ones. */
#define MAX_RECORD ((size_t)16 << 20)

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

/* ---- picking the task ------------------------------------------------------ */

static bool running(const struct roger_marathon_task *t)
{
	return t->id && t->state && !strcmp(t->state, "TASK_RUNNING");
}

/* Whether `a` started before `b` (unknown start times last). */
static bool older(const struct roger_marathon_task *a,
		  const struct roger_marathon_task *b)
{
	const char *x = a->started_at ? a->started_at : a->staged_at;
	const char *y = b->started_at ? b->started_at : b->staged_at;

	if (!x || !y)
		return x != NULL;
	return strcmp(x, y) < 0;
}

int roger_exec_pick_task(const struct roger_marathon_task **out, bool *of_many,
			 const struct roger_marathon_task *tasks, size_t n,
			 const char *app_id, const char *want,
			 struct roger_err *err)
{
	const struct roger_marathon_task *best = NULL, *healthy = NULL;
	struct roger_buf names = ROGER_BUF_INIT;
	size_t n_running = 0, n_match = 0;

	*of_many = false;
	for (size_t i = 0; i < n; i++) {
		const struct roger_marathon_task *t = &tasks[i];

		if (!running(t))
			continue;
		n_running++;
		if (want) {
			if (!strcmp(t->id, want)) {
				*out = t; /* the whole id: no doubt */
				roger_buf_release(&names);
				return 0;
			}
			if (!roger_logs_task_matches(t->id, want))
				continue;
			roger_buf_addf(&names, "%s'%s'", n_match ? ", " : "",
				       t->id);
			n_match++;
			best = t;
			continue;
		}
		if (!best || older(t, best))
			best = t;
		if (roger_marathon_task_health(t) ==
			    ROGER_MARATHON_HEALTH_HEALTHY &&
		    (!healthy || older(t, healthy)))
			healthy = t;
	}
	if (want && n_match > 1) {
		roger_err_set(
			err, ROGER_EUSAGE,
			"--task '%s' names %zu tasks of app '%s': %s; give more of the id",
			want, n_match, app_id, names.buf);
		roger_buf_release(&names);
		return ROGER_EUSAGE;
	}
	roger_buf_release(&names);
	if (want && !best)
		return roger_err_set(err, ROGER_ENOTFOUND,
				     "no running task of app '%s' matches '%s'",
				     app_id, want);
	if (!best)
		return roger_err_set(err, ROGER_ENOTFOUND,
				     "app '%s' has no running task", app_id);
	*of_many = !want && n_running > 1;
	*out = healthy && !want ? healthy : best;
	return 0;
}

/* ---- versions -------------------------------------------------------------- */

/* Whether the Mesos version `v` ("1.7.2") is before major.minor. */
static bool before(const char *v, int major, int minor)
{
	int ma = 0, mi = 0;

	if (!v || sscanf(v, "%d.%d", &ma, &mi) < 1)
		return false; /* unknown: assume a recent one */
	return ma < major || (ma == major && mi < minor);
}

/* ---- the session's state ------------------------------------------------- */

struct exec {
	struct roger_ctx *ctx;
	const struct roger_target *target;
	const struct roger_exec_opts *o;
	const char *task_id;
	char *agent_url;
	char *api_url;
	const char *agent_version;
	char parent[256], grandparent[256], nested[ROGER_UUID_LEN + 1];
	struct roger_agentapi_cid cid;

	/* output (the calling thread) */
	struct roger_recordio_dec dec;
	struct roger_buf data;
	bool epipe; /* the output's reader went away */
	bool started; /* the session's reply head said 200 */
	bool json_only; /* the agent refused a Message-Accept naming protobuf */
	enum roger_agentapi_format format; /* of the output's records */

	/* input (its own thread) */
	struct roger_http_client *in_http;
	pthread_t in_thread;
	bool in_running;
	bool in_stopping; /* input_stop() was called (atomic access) */
	int stop[2]; /* the calling thread writes: end the upload */
	struct roger_buf pending;
	size_t pending_off;
	bool stdin_done, upload_done;
	int64_t next_heartbeat;
	long in_status;
	int in_rc;
	struct roger_err in_err;
};

static int write_out(struct exec *e, int fd, const char *p, size_t len,
		     struct roger_err *err)
{
	if (roger_write_all(fd, p, len) == 0)
		return 0;
	if (errno == EPIPE) {
		e->epipe = true;
		return ROGER_HTTP_STOP;
	}
	return roger_err_set(err, ROGER_EIO,
			     "cannot write the command's output: %s",
			     strerror(errno));
}

/* curl's body callback of the session: RecordIO of ProcessIO records. */
static int on_output(void *data, const char *chunk, size_t len,
		     struct roger_err *err)
{
	struct exec *e = data;
	struct roger_err why = ROGER_ERR_INIT;

	while (len > 0) {
		struct roger_agentapi_pio pio;
		const char *rec, *bytes;
		size_t used, rec_len, n;
		int rc = roger_recordio_next(&e->dec, chunk, len, &used, &rec,
					     &rec_len, &why);

		if (rc == 0 || rc == 1) {
			chunk += used;
			len -= used;
		}
		if (rc == 0)
			break;
		roger_buf_reset(&e->data);
		bytes = NULL;
		n = 0;
		if (rc == 1 && e->format == ROGER_AGENTAPI_PROTOBUF) {
			/* the bytes are read where they are, in the record */
			rc = roger_agentapi_output_parse_pb(&pio, &bytes, &n,
							    rec, rec_len, &why);
		} else if (rc == 1) {
			rc = roger_agentapi_output_parse(&pio, &e->data, rec,
							 rec_len, &why);
			bytes = e->data.buf;
			n = e->data.len;
		}
		if (rc == ROGER_ENOMEM)
			return nomem(err);
		if (rc < 0)
			return roger_err_set(
				err, ROGER_EHTTP,
				"the agent's output stream of task '%s': %s",
				e->task_id, why.msg);
		if (pio.kind != ROGER_AGENTAPI_PIO_DATA || n == 0)
			continue;
		rc = write_out(e,
			       pio.stream == ROGER_AGENTAPI_STDERR
				       ? e->o->err_fd
				       : e->o->out_fd,
			       bytes, n, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- input ----------------------------------------------------------------- */

/* Queue the window size of the terminal, if there is one. */
static int queue_size(struct exec *e)
{
	struct winsize ws;

	if (e->o->tty_fd < 0 || ioctl(e->o->tty_fd, TIOCGWINSZ, &ws) < 0)
		return 0;
	return roger_agentapi_tty_record(&e->pending, ws.ws_row, ws.ws_col);
}

/* Read what standard input has and queue it (or its end). */
static int queue_stdin(struct exec *e, struct roger_err *err)
{
	char buf[INPUT_CHUNK];
	ssize_t n = read(e->o->in_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return roger_err_set(err, ROGER_EIO,
				     "cannot read standard input: %s",
				     strerror(errno));
	if (n > 0)
		return roger_agentapi_data_record(&e->pending, true,
						  ROGER_AGENTAPI_STDIN, buf,
						  (size_t)n);
	e->stdin_done = true;
	if (e->o->tty)
		return roger_agentapi_data_record(
			&e->pending, true, ROGER_AGENTAPI_STDIN, "\x04", 1);
	e->upload_done = true; /* after the empty record, nothing more */
	return roger_agentapi_data_record(&e->pending, true,
					  ROGER_AGENTAPI_STDIN, "", 0);
}

/* Wait for something to send, and queue it; sets upload_done to end. */
static int input_wait(struct exec *e, struct roger_err *err)
{
	struct pollfd pfd[3];
	nfds_t n = 0;
	int64_t now = roger_clock_ms(CLOCK_MONOTONIC);
	int timeout = POLL_MS, rc = 0;
	int i_stop, i_in = -1, i_winch = -1;

	if (now >= e->next_heartbeat) {
		e->next_heartbeat = now + ROGER_AGENTAPI_HEARTBEAT_MS;
		return roger_agentapi_heartbeat_record(
			&e->pending, true, ROGER_AGENTAPI_HEARTBEAT_MS);
	}
	if (e->next_heartbeat - now < timeout)
		timeout = (int)(e->next_heartbeat - now);
	i_stop = (int)n;
	pfd[n].fd = e->stop[0];
	pfd[n++].events = POLLIN;
	if (e->o->interactive && !e->stdin_done) {
		i_in = (int)n;
		pfd[n].fd = e->o->in_fd;
		pfd[n++].events = POLLIN;
	}
	if (e->o->tty && e->o->winch_fd >= 0) {
		i_winch = (int)n;
		pfd[n].fd = e->o->winch_fd;
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, n, timeout) < 0) {
		if (errno == EINTR)
			return 0;
		return roger_err_set(err, ROGER_ERROR, "poll: %s",
				     strerror(errno));
	}
	if (pfd[i_stop].revents) {
		e->upload_done = true;
		return 0;
	}
	if (i_winch >= 0 && pfd[i_winch].revents) {
		char drain[64];

		while (read(e->o->winch_fd, drain, sizeof(drain)) > 0)
			;
		if ((rc = queue_size(e)) < 0)
			return nomem(err);
	}
	if (i_in >= 0 && pfd[i_in].revents)
		rc = queue_stdin(e, err);
	return rc;
}

/* curl's read callback of the input call. */
static long input_read(void *data, char *buf, size_t len, struct roger_err *err)
{
	struct exec *e = data;
	int rc;

	for (;;) {
		size_t avail = e->pending.len - e->pending_off;

		if (avail > 0) {
			size_t n = avail < len ? avail : len;

			memcpy(buf, e->pending.buf + e->pending_off, n);
			e->pending_off += n;
			if (e->pending_off == e->pending.len) {
				roger_buf_reset(&e->pending);
				e->pending_off = 0;
			}
			return (long)n;
		}
		if (e->upload_done)
			return 0;
		if (roger_ctx_interrupted(e->ctx))
			return roger_err_set(err, ROGER_EINTR, "interrupted");
		if ((rc = input_wait(e, err)) < 0)
			return rc;
	}
}

/*
 * While the input's request waits for the agent's answer, curl calls no
 * read function, so the stop pipe goes unseen: an agent that keeps that
 * request open after the session ended would hold input_stop() forever.
 * curl's progress function, called at least once a second, ends it.
 */
static int input_progress(void *data, int64_t down_now, int64_t down_total,
			  int64_t up_now, int64_t up_total,
			  struct roger_err *err)
{
	struct exec *e = data;

	(void)down_now;
	(void)down_total;
	(void)up_now;
	(void)up_total;
	(void)err;
	return __atomic_load_n(&e->in_stopping, __ATOMIC_ACQUIRE)
		       ? ROGER_HTTP_STOP
		       : 0;
}

static void *input_main(void *data)
{
	struct exec *e = data;
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_http_header headers[] = {
		{ "Message-Content-Type", "application/json" },
	};
	struct roger_http_req req = { 0 };

	req.method = "POST";
	req.url = e->api_url;
	req.content_type = "application/recordio";
	req.accept = "application/json";
	req.headers = headers;
	req.n_headers = ROGER_ARRAY_SIZE(headers);
	req.read_fn = input_read;
	req.read_data = e;
	req.progress_fn = input_progress;
	req.progress_data = e;
	req.upload_len = -1;
	req.upload_name = "-";
	req.flags = ROGER_HTTP_NO_RETRY | ROGER_HTTP_NO_REDIRECT;
	req.idempotent = ROGER_HTTP_IDEMPOTENT_NO;
	req.timeout_ms = ROGER_HTTP_NO_TIMEOUT;
	e->in_rc = roger_http_client_send(e->in_http, &req, &resp, &e->in_err);
	e->in_status = resp.status;
	/* 0: stopped by input_stop() before any answer, nothing to say */
	if (e->in_rc == 0 && resp.status != 0 && resp.status != 200 &&
	    resp.status != 500) {
		struct roger_buf sum = ROGER_BUF_INIT;

		/* 500: the container ended first, which the CLI ignores too */
		roger_http_body_summary(
			&sum, roger_http_resp_header(&resp, "Content-Type"),
			resp.body.buf, resp.body.len, 200);
		roger_log(
			e->ctx, ROGER_LOG_WARN,
			"the agent refused the input of the command (%ld%s%s); it gets none",
			resp.status, sum.len ? ": " : "", sum.buf);
		roger_buf_release(&sum);
	}
	roger_http_resp_release(&resp);
	return NULL;
}

/* The session's reply head: once it says 200, the input may attach. */
static int on_headers(void *data, const struct roger_http_resp *resp,
		      long status, struct roger_err *err)
{
	struct exec *e = data;
	const char *mct;
	int rc;

	if (status != 200 || e->started)
		return 0;
	/* The records' encoding: JSON when the agent does not say. */
	mct = roger_http_resp_header(resp, "Message-Content-Type");
	if (mct && roger_agentapi_media_is(mct, ROGER_PBIO_MEDIA))
		e->format = ROGER_AGENTAPI_PROTOBUF;
	else if (!mct || roger_agentapi_media_is(mct, "application/json"))
		e->format = ROGER_AGENTAPI_JSON;
	else
		return roger_err_set(
			err, ROGER_EHTTP,
			"the agent of task '%s' answered with records of type '%s', which roger exec does not read (it asked for %s or application/json)",
			e->task_id, mct, ROGER_PBIO_MEDIA);
	e->started = true;
	if ((rc = roger_agentapi_attach_record(&e->pending, &e->cid)) < 0 ||
	    (e->o->tty && (rc = queue_size(e)) < 0))
		return nomem(err);
	if (!e->o->interactive && !e->o->tty) {
		/*
		 * Without -i the command reads nothing: its standard input
		 * is closed at once (the agent keeps it open as long as no
		 * one ends it, and a command reading it would never end).
		 */
		e->stdin_done = e->upload_done = true;
		if (roger_agentapi_data_record(&e->pending, true,
					       ROGER_AGENTAPI_STDIN, "", 0) < 0)
			return nomem(err);
	}
	e->next_heartbeat =
		roger_clock_ms(CLOCK_MONOTONIC) + ROGER_AGENTAPI_HEARTBEAT_MS;
	rc = pthread_create(&e->in_thread, NULL, input_main, e);
	if (rc != 0)
		return roger_err_set(err, ROGER_ERROR,
				     "cannot start a thread for the input: %s",
				     strerror(rc));
	e->in_running = true;
	return 0;
}

static void input_stop(struct exec *e)
{
	ssize_t n;

	if (!e->in_running)
		return;
	__atomic_store_n(&e->in_stopping, true, __ATOMIC_RELEASE);
	do
		n = write(e->stop[1], "x", 1);
	while (n < 0 && errno == EINTR);
	pthread_join(e->in_thread, NULL);
	e->in_running = false;
}

/* ---- finding the container ------------------------------------------------- */

/* Whether the task is gone: unknown to the master, ended or being killed. */
static bool task_gone(struct exec *e, struct roger_mesos *mesos, char *state,
		      size_t size)
{
	struct roger_mesos_master *m = NULL;
	const struct roger_mesos_task *t;
	bool gone;

	snprintf(state, size, "gone");
	if (roger_mesos_master_state(&m, mesos, NULL) < 0)
		return false;
	t = roger_mesos_master_task(m, e->task_id);
	gone = !t || t->completed || !t->state ||
	       (strcmp(t->state, "TASK_RUNNING") &&
		strcmp(t->state, "TASK_STARTING") &&
		strcmp(t->state, "TASK_STAGING"));
	if (t && t->state)
		snprintf(state, size, "%s", t->state);
	roger_mesos_master_free(m);
	return gone;
}

static int copy_id(char *out, size_t size, const char *id, const char *what,
		   struct roger_err *err)
{
	if (!id || strlen(id) >= size)
		return roger_err_set(
			err, ROGER_EHTTP,
			"the Mesos master gives %s an unusable container id",
			what);
	memcpy(out, id, strlen(id) + 1);
	return 0;
}

/* The task's container and agent, from the master's state. */
static int locate(struct exec *e, struct roger_mesos *mesos,
		  const struct roger_mesos_master *m, struct roger_err *err)
{
	const struct roger_mesos_task *t =
		roger_mesos_master_task(m, e->task_id);
	const struct roger_mesos_agent_info *a;
	int rc;

	if (!t || t->completed)
		return roger_err_set(
			err, ROGER_ENOTFOUND,
			"the Mesos master does not list task '%s' as running: it has ended",
			e->task_id);
	if (!t->container_id)
		return roger_err_set(
			err, ROGER_ENOTFOUND,
			"the Mesos master knows no container of task '%s' (yet)",
			e->task_id);
	a = roger_mesos_master_agent(m, t->slave_id);
	if (!a)
		return roger_err_set(
			err, ROGER_ENOTFOUND,
			"the Mesos master does not know agent '%s' of task '%s'",
			t->slave_id ? t->slave_id : "", e->task_id);
	e->agent_version = a->version ? a->version : m->version;
	if (before(e->agent_version, 1, 2))
		return roger_err_set(
			err, ROGER_ERROR,
			"the agent of task '%s' runs Mesos %s, which has no operator API v1: exec needs Mesos 1.2 or later",
			e->task_id, e->agent_version);
	if ((rc = copy_id(e->parent, sizeof(e->parent), t->container_id,
			  "the task", err)) < 0)
		return rc;
	e->cid.parent = e->parent;
	if (t->container_parent) {
		if ((rc = copy_id(e->grandparent, sizeof(e->grandparent),
				  t->container_parent, "the task's pod", err)) <
		    0)
			return rc;
		e->cid.grandparent = e->grandparent;
	}
	roger_uuid(e->nested);
	e->cid.value = e->nested;
	if ((rc = roger_mesos_agent_url(
		     &e->agent_url, a,
		     roger_http_client_base(roger_mesos_http(mesos)), err)) < 0)
		return rc;
	if (asprintf(&e->api_url, "%s/api/v1", e->agent_url) < 0) {
		e->api_url = NULL;
		return nomem(err);
	}
	return 0;
}

/* ---- the calls ------------------------------------------------------------- */

/* The error of a session call the agent did not answer with 200. */
static int launch_failed(struct exec *e, struct roger_http_client *http,
			 const struct roger_http_resp *resp,
			 struct roger_err *err)
{
	const char *body = resp->body.buf;

	if (resp->status == 400 &&
	    strstr(body, "Nested containers are not supported"))
		return roger_err_set(
			err, ROGER_EINVALID,
			"task '%s' runs under the Docker containerizer, which cannot start a command inside a running container (the agent said: Nested containers are not supported); exec needs a task of the Mesos containerizer: give the app \"container\": {\"type\": \"MESOS\"}",
			e->task_id);
	if ((resp->status == 400 || resp->status == 404) &&
	    (strstr(body, "not found") || strstr(body, "cannot be found")))
		return roger_err_set(
			err, ROGER_ENOTFOUND,
			"task '%s' has ended: its agent no longer has its container",
			e->task_id);
	if (resp->status == 404 || resp->status == 405)
		return roger_err_set(
			err, ROGER_ERROR,
			"the agent of task '%s' (%s) has no operator API v1 (it answered %ld to POST /api/v1): exec needs Mesos 1.2 or later",
			e->task_id, e->agent_url, resp->status);
	return roger_http_client_status_err(http, resp, err);
}

static int launch(struct exec *e, struct roger_http_client *http,
		  struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	/*
	 * Protobuf first: the bytes come as they are instead of in base64
	 * inside JSON.  An agent that serves JSON only picks it from the
	 * list; one that answers 406 to the list is asked again for JSON.
	 */
	struct roger_http_header headers[] = {
		{ "Message-Accept", e->json_only ? "application/json"
						 : ROGER_PBIO_MEDIA
					    ", application/json" },
	};
	struct roger_http_req req = { 0 };
	struct roger_buf body = ROGER_BUF_INIT;
	struct winsize ws = { 0 };
	int rc;

	/* The size from the start: a TTY_INFO record may come too late for
	 * a command that asks for it at once. */
	if (e->o->tty && e->o->tty_fd >= 0)
		(void)ioctl(e->o->tty_fd, TIOCGWINSZ, &ws);
	if (roger_agentapi_launch_call(&body, &e->cid, e->o->argv, e->o->tty,
				       e->o->term, ws.ws_row, ws.ws_col) < 0)
		return nomem(err);
	req.method = "POST";
	req.url = e->api_url;
	req.content_type = "application/json";
	req.accept = "application/recordio";
	req.headers = headers;
	req.n_headers = ROGER_ARRAY_SIZE(headers);
	req.body = body.buf;
	req.body_len = body.len;
	req.flags = ROGER_HTTP_NO_RETRY | ROGER_HTTP_NO_REDIRECT;
	req.idempotent = ROGER_HTTP_IDEMPOTENT_NO;
	req.timeout_ms = ROGER_HTTP_NO_TIMEOUT;
	req.body_fn = on_output;
	req.body_data = e;
	req.headers_fn = on_headers;
	req.headers_data = e;
	rc = roger_http_client_send(http, &req, &resp, err);
	if (rc == 0 && resp.status == 406 && !e->json_only) {
		roger_log(
			e->ctx, ROGER_LOG_DEBUG,
			"the agent refused Message-Accept %s (406): asking for application/json",
			headers[0].value);
		e->json_only = true;
		roger_http_resp_release(&resp);
		roger_buf_release(&body);
		return launch(e, http, err);
	}
	if (rc == 0 && resp.status != 200)
		rc = launch_failed(e, http, &resp, err);
	else if (rc == 0 && !e->epipe && roger_recordio_dec_partial(&e->dec))
		rc = roger_err_set(
			err, ROGER_ENET,
			"the output stream of task '%s' ended in the middle of a record",
			e->task_id);
	roger_http_resp_release(&resp);
	roger_buf_release(&body);
	return rc;
}

/* WAIT_CONTAINER: the command's raw wait status in *status. */
static int wait_status(int *status, struct exec *e,
		       struct roger_http_client *http, struct roger_err *err)
{
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_http_req req = { 0 };
	struct roger_buf body = ROGER_BUF_INIT;
	bool has = false;
	int rc;

	if (roger_agentapi_wait_call(&body, &e->cid,
				     before(e->agent_version, 1, 5)) < 0)
		return nomem(err);
	req.method = "POST";
	req.url = e->api_url;
	req.content_type = "application/json";
	req.accept = "application/json";
	req.body = body.buf;
	req.body_len = body.len;
	req.flags = ROGER_HTTP_NO_RETRY | ROGER_HTTP_NO_REDIRECT;
	req.timeout_ms = WAIT_TIMEOUT_MS;
	rc = roger_http_client_send(http, &req, &resp, err);
	if (rc == 0 && resp.status != 200)
		rc = roger_http_client_status_err(http, &resp, err);
	else if (rc == 0)
		rc = roger_agentapi_wait_parse(status, &has, resp.body.buf,
					       resp.body.len, err);
	if (rc == 0 && !has)
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"the agent gives no exit status for the command in task '%s'",
			e->task_id);
	roger_http_resp_release(&resp);
	roger_buf_release(&body);
	return rc;
}

/* The task ended under the session: say so instead of what it caused. */
static int gone_err(struct exec *e, const char *state, struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOTFOUND,
			     "task '%s' ended (%s) while the command ran in it",
			     e->task_id, state);
}

static int session(int *exit_code, struct exec *e, struct roger_mesos *mesos,
		   struct roger_err *err)
{
	struct roger_http_client *http = NULL;
	char state[64];
	int rc, status = 0;

	if ((rc = roger_http_client_for_target(&http, e->ctx, e->target,
					       ROGER_HTTP_MESOS, err)) < 0 ||
	    (rc = roger_http_client_for_target(&e->in_http, e->ctx, e->target,
					       ROGER_HTTP_MESOS, err)) < 0)
		goto out;
	rc = launch(e, http, err);
	input_stop(e);
	if (e->epipe) {
		*exit_code = 128 + SIGPIPE;
		rc = 0;
		goto out;
	}
	if (rc == ROGER_EINTR || rc == ROGER_EAUTH || rc == ROGER_EINVALID ||
	    (rc < 0 && !e->started))
		goto out;
	if (rc < 0) {
		if (task_gone(e, mesos, state, sizeof(state)))
			rc = gone_err(e, state, err);
		goto out;
	}
	rc = wait_status(&status, e, http, err);
	if ((rc < 0 && rc != ROGER_EINTR) ||
	    (rc == 0 && roger_agentapi_exit_code(status) > 128)) {
		if (task_gone(e, mesos, state, sizeof(state))) {
			rc = gone_err(e, state, err);
			goto out;
		}
	}
	if (rc == 0)
		*exit_code = roger_agentapi_exit_code(status);
out:
	input_stop(e);
	roger_http_client_free(http);
	return rc;
}

int roger_exec_run(int *exit_code, struct roger_ctx *ctx,
		   const struct roger_target *target,
		   struct roger_marathon *marathon,
		   const struct roger_exec_opts *o, struct roger_err *err)
{
	struct roger_marathon_tasks *tasks = NULL;
	struct roger_mesos *mesos = NULL;
	struct roger_mesos_master *master = NULL;
	const struct roger_marathon_task *t;
	struct exec e;
	bool of_many;
	int rc;

	memset(&e, 0, sizeof(e));
	e.ctx = ctx;
	e.target = target;
	e.o = o;
	e.stop[0] = e.stop[1] = -1;
	roger_recordio_dec_init(&e.dec, MAX_RECORD);
	if (!o->argv || !o->argv[0])
		return roger_err_set(err, ROGER_EUSAGE, "no command to run");
	if ((rc = roger_logs_app_tasks(&tasks, marathon, o->app_id, 0, err)) <
	    0)
		goto out;
	if ((rc = roger_exec_pick_task(&t, &of_many, tasks->items, tasks->n,
				       o->app_id, o->task, err)) < 0)
		goto out;
	e.task_id = t->id;
	if (of_many && o->on_pick) {
		size_t n = 0;

		for (size_t i = 0; i < tasks->n; i++)
			n += running(&tasks->items[i]);
		o->on_pick(o->data, t->id, n,
			   roger_marathon_task_health(t) ==
				   ROGER_MARATHON_HEALTH_HEALTHY);
	}
	if ((rc = roger_mesos_for_target(&mesos, ctx, target, err)) < 0 ||
	    (rc = roger_mesos_master_state(&master, mesos, err)) < 0 ||
	    (rc = locate(&e, mesos, master, err)) < 0)
		goto out;
	if (pipe2(e.stop, O_CLOEXEC) < 0) {
		rc = roger_err_set(err, ROGER_ERROR, "pipe: %s",
				   strerror(errno));
		goto out;
	}
	rc = session(exit_code, &e, mesos, err);
	if (rc == 0 && e.in_rc == ROGER_EINTR)
		rc = roger_err_set(err, ROGER_EINTR, "interrupted");
out:
	if (e.stop[0] >= 0)
		close(e.stop[0]);
	if (e.stop[1] >= 0)
		close(e.stop[1]);
	roger_http_client_free(e.in_http);
	roger_recordio_dec_release(&e.dec);
	roger_buf_release(&e.data);
	roger_buf_release(&e.pending);
	free(e.agent_url);
	free(e.api_url);
	roger_mesos_master_free(master);
	roger_mesos_free(mesos);
	roger_marathon_tasks_free(tasks);
	return rc;
}
