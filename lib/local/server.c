/*
 * server.c - roger local's HTTP server (libmicrohttpd) and its lifetime.
 *
 * One loopback port serves everything: Marathon (/v2/..., /ping), Mesos'
 * master and agent (/master/state, /state, /slave(1)/state, /files/...,
 * /monitor/statistics, and the operator API /api/v1, whose calls v1.c
 * takes whole: see session.h) and the artifact store (/artifacts/...).  Request
 * bodies are collected in memory (JSON, capped) or, for PUT /artifacts/,
 * streamed into a temporary file.  Handlers fill a struct roger_local_resp;
 * this file turns it into a response with the headers Marathon's filters add
 * (X-Marathon-Leader, no-cache...).
 *
 * Connections are served by a small pool of threads over epoll, not by a
 * thread each: thousands of idle keep-alive connections then cost a
 * descriptor and a little memory, not a thread, and never hold up a
 * request.  No handler may wait for long; an event stream with nothing to
 * send suspends its connection (events.c).  The limits, all set here:
 *  - the soft limit of open files is raised to the hard one at start;
 *  - half of the descriptors, less a fixed reserve, may go to connections
 *    (at most CONN_HARD_MAX); the rest stay for tasks (sandbox files,
 *    pipes, health checks) and state files, so that no number of clients
 *    can make a save fail or a task die;
 *  - of those connections, the last ninth only get a 503 for their
 *    request and are closed (a client learns why, instead of hanging);
 *    beyond all of them, libmicrohttpd stops accepting: new connections
 *    wait in the kernel's queue until others close;
 *  - a quarter of the served connections, at most 256, may be /v2/events
 *    streams (503 beyond);
 *  - a connection idle for CONN_TIMEOUT_S seconds is closed (an event
 *    stream sends a heartbeat every 10 seconds, so it lives on).
 *
 * Every request passes admit() first, before its body is read or any
 * handler runs: a Host that is not a loopback name gets 403, a request
 * without the token 401 (auth.c says why).  The body of a refused request
 * is read and dropped, so the client reads the refusal instead of a reset.
 *
 * roger_local_serve() binds 127.0.0.1 only (another free port when the one
 * asked for is taken: never someone else's server), takes an flock on
 * <state>/server.lock for its whole life (the authority on "is one
 * running"), makes sure of the token, writes <state>/server.json, watches
 * the task watchdog (replacing it if something kills it), and on stop ends
 * the event streams, stops the HTTP server, kills the tasks and saves the
 * state.
 */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "ctx.h"
#include "err.h"
#include "fs.h"
#include "local/auth.h"
#include "local/internal.h"
#include "local/local.h"
#include "local/metronome-int.h"
#include "local/proc.h"
#include "local/router.h"
#include "local/session.h"
#include "util.h"

#define BODY_MAX (16 * 1024 * 1024)
/* Descriptors never given to connections, whatever the limit. */
#define FD_RESERVE 64
#define CONN_HARD_MAX 4608
#define CONN_TIMEOUT_S 30
#define EVENTS_MAX 256
#define POOL_THREADS 4
/*
 * Each connection's memory pool, which also bounds what one call of a
 * streamed response's callback may fill: libmicrohttpd's default of 32
 * KiB cut an exec session's output into 32 KiB sends, one trip through
 * the event loop each.  The pool is mapped, not touched, until used.
 */
#define CONN_MEMORY ((size_t)512 << 10)
#define LISTEN_BACKLOG 1024

struct conn {
	struct roger_local_req rq;
	char *path;
	int refused; /* 401 or 403: no handler runs, the body is dropped */
	/* PUT /artifacts/: streamed to a temporary file */
	bool artifact_put;
	int upload_fd;
	char *upload_tmp;
	char *upload_dest;
	bool upload_error;
	bool upload_invalid;
	/* POST /api/v1: every call goes to v1.c (session.h) */
	bool v1;
	void *v1_state;
};

/* ---- request helpers ------------------------------------------------------- */

const char *roger_local_query(const struct roger_local_req *rq,
			      const char *name)
{
	size_t i;
	json_t *pair;

	json_array_foreach(rq->query, i, pair)
		if (!strcmp(json_string_value(json_array_get(pair, 0)), name))
			return json_string_value(json_array_get(pair, 1));
	return NULL;
}

bool roger_local_query_bool(const struct roger_local_req *rq, const char *name,
			    bool dflt)
{
	const char *v = roger_local_query(rq, name);

	if (!v)
		return dflt;
	return !strcasecmp(v, "true") || !strcmp(v, "1") || !*v;
}

void roger_local_resp_json(struct roger_local_resp *rs, int status,
			   json_t *body)
{
	char *text =
		body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15) |
						JSON_ENCODE_ANY)
		     : NULL;

	rs->status = status;
	rs->content_type = "application/json";
	roger_buf_reset(&rs->body);
	if (text)
		roger_buf_adds(&rs->body, text);
	free(text);
	json_decref(body);
}

void roger_local_resp_message(struct roger_local_resp *rs, int status,
			      const char *fmt, ...)
{
	char msg[1024];
	json_t *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A path or id from the request need not be UTF-8; JSON must. */
	text = json_string(msg);
	if (!text) {
		for (unsigned char *p = (unsigned char *)msg; *p; p++)
			if (*p >= 0x80)
				*p = '?';
		text = json_string(msg);
	}
	roger_local_resp_json(rs, status, json_pack("{s:o}", "message", text));
}

void roger_local_resp_header(struct roger_local_resp *rs, const char *name,
			     const char *value)
{
	if (!rs->headers)
		rs->headers = json_object();
	json_object_set_new(rs->headers, name, json_string(value));
}

/* ---- Mesos routes ------------------------------------------------------------ */

static void from_agent_reply(struct roger_local_resp *rs,
			     struct roger_agent_reply *r)
{
	rs->status = r->status;
	rs->content_type = r->content_type;
	roger_buf_reset(&rs->body);
	roger_buf_add(&rs->body, r->body.buf, r->body.len);
	if (r->fd >= 0) {
		char disp[300];

		rs->fd = r->fd;
		r->fd = -1;
		snprintf(disp, sizeof(disp), "attachment; filename=%s",
			 r->filename);
		roger_local_resp_header(rs, "Content-Disposition", disp);
	}
}

static bool mesos_route(struct roger_local *L, const struct roger_local_req *rq,
			struct roger_local_resp *rs)
{
	const char *p = rq->path;
	struct roger_agent_reply reply;
	json_t *doc;

	if (!strcmp(p, "/master/state") || !strcmp(p, "/state")) {
		struct roger_agent_framework fws[2] = {
			{ L->framework_id, "marathon" },
			{ roger_local_metronome_framework_id(L->metronome),
			  ROGER_LOCAL_METRONOME_FRAMEWORK },
		};

		doc = roger_agent_master_state(L->agent, fws, 2, L->url);
		roger_local_resp_json(rs, doc ? 200 : 500, doc);
		return true;
	}
	if (!strcmp(p, "/slave(1)/state")) {
		doc = roger_agent_state(L->agent);
		roger_local_resp_json(rs, doc ? 200 : 500, doc);
		return true;
	}
	if (!strcmp(p, "/monitor/statistics")) {
		doc = roger_agent_statistics(L->agent);
		roger_local_resp_json(rs, doc ? 200 : 500, doc);
		return true;
	}
	if (strcmp(p, "/files/read") && strcmp(p, "/files/browse") &&
	    strcmp(p, "/files/download"))
		return false;
	roger_agent_reply_init(&reply);
	if (!strcmp(p, "/files/read"))
		roger_agent_files_read(L->agent, roger_local_query(rq, "path"),
				       roger_local_query(rq, "offset"),
				       roger_local_query(rq, "length"), &reply);
	else if (!strcmp(p, "/files/browse"))
		roger_agent_files_browse(L->agent,
					 roger_local_query(rq, "path"), &reply);
	else
		roger_agent_files_download(
			L->agent, roger_local_query(rq, "path"), &reply);
	from_agent_reply(rs, &reply);
	roger_agent_reply_release(&reply);
	return true;
}

/* ---- dispatch --------------------------------------------------------------- */

static bool is_marathon_path(const char *p)
{
	return !strcmp(p, "/ping") || !strncmp(p, "/v2/", 4) ||
	       !strcmp(p, "/v2");
}

static void route(struct roger_local *L, struct conn *c,
		  struct roger_local_resp *rs)
{
	const struct roger_local_req *rq = &c->rq;

	if (!strncmp(rq->path, "/artifacts/", 11)) {
		const char *rel = rq->path + 11;

		if (c->artifact_put) {
			if (c->upload_invalid)
				roger_local_resp_message(
					rs, 400, "invalid artifact path '%s'",
					rel);
			else if (c->upload_error)
				roger_local_resp_message(
					rs, 500, "cannot store artifact '%s'",
					rel);
			else
				rs->status = rs->status ? rs->status : 201;
			return;
		}
		if (!strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD")) {
			roger_local_artifact_get(
				L, rel, !strcmp(rq->method, "HEAD"), rs);
			return;
		}
		roger_local_resp_message(rs, 405,
					 "method '%s' not allowed on artifacts",
					 rq->method);
		roger_local_resp_header(rs, "Allow", "GET, HEAD, PUT");
		return;
	}
	if (mesos_route(L, rq, rs))
		return;
	if (roger_local_metronome_api(L->metronome, rq, rs))
		return;
	if (!strcmp(rq->path, "/roger/prune")) {
		roger_local_prune_route(L, rq, rs);
		return;
	}
	if (roger_local_api(L, rq, rs))
		return;
	if (is_marathon_path(rq->path)) {
		/* Marathon's own answer (1.4, 1.5): 1.6+ turned it into a 500
		 * by accident, which tells a client its request broke the
		 * server rather than that the route does not exist. */
		roger_local_resp_message(rs, 404, "URI not found: %s",
					 rq->path);
		return;
	}
	rs->status = 404;
	rs->content_type = "text/plain";
	roger_buf_adds(&rs->body, "404 Not Found\n");
}

/*
 * Whether a request may reach a handler: 0, or the status that refuses it.
 * The Host rule comes first and holds for /ping too; GET and HEAD /ping
 * need no token, so that anyone can tell a server answers on a port.
 */
static int admit(struct roger_local *L, struct MHD_Connection *conn,
		 const char *url, const char *method)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_HOST);
	const char *auth;

	if (!roger_local_host_ok(host, L->port))
		return 403;
	if (!strcmp(url, "/ping") &&
	    (!strcmp(method, "GET") || !strcmp(method, "HEAD")))
		return 0;
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_AUTHORIZATION);
	return roger_local_auth_ok(auth, L->token) ? 0 : 401;
}

/* The answer to a request admit() refused; nothing of it is echoed. */
static void refuse(struct roger_local *L, const struct conn *c,
		   struct roger_local_resp *rs)
{
	if (c->refused == 403) {
		roger_log(
			L->ctx, ROGER_LOG_INFO,
			"refused a %s request for a host that is not this server's",
			c->rq.method);
		roger_local_resp_message(
			rs, 403,
			"roger local answers only requests for 127.0.0.1, localhost or [::1] on its port (the Host header names another)");
		return;
	}
	roger_log(L->ctx, ROGER_LOG_INFO,
		  "refused a %s request without its token", c->rq.method);
	roger_local_resp_message(
		rs, 401,
		"roger local needs its token: send the header 'Authorization: token=TOKEN' with the token that 'roger local token' prints");
	roger_local_resp_header(rs, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				"token realm=\"roger local\"");
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	(void)kind;
	json_array_append_new(cls, json_pack("[s,s]", key, value ? value : ""));
	return MHD_YES;
}

/* Start streaming an artifact upload into a temporary file of the store. */
static void upload_begin(struct roger_local *L, struct conn *c)
{
	char uuid[37], name[64];

	c->artifact_put = true;
	c->upload_dest = roger_local_artifact_path(L, c->path + 11);
	if (!c->upload_dest) {
		c->upload_invalid = true;
		return;
	}
	roger_uuid(uuid);
	snprintf(name, sizeof(name), ".upload-%s", uuid);
	c->upload_tmp = roger_path_join(L->artifacts_dir, name);
	if (c->upload_tmp)
		c->upload_fd =
			open(c->upload_tmp,
			     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (c->upload_fd < 0)
		c->upload_error = true;
}

static void upload_write(struct conn *c, const char *data, size_t len)
{
	while (len > 0 && !c->upload_error && c->upload_fd >= 0) {
		ssize_t n = write(c->upload_fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->upload_error = true;
			break;
		}
		data += n;
		len -= (size_t)n;
	}
}

/* fsync, then rename into place: 201 for a new file, 204 for a replacement. */
static int upload_finish(struct roger_local *L, struct conn *c)
{
	struct stat st;
	bool existed;
	char *slash;
	int rc;

	if (c->upload_invalid || c->upload_error || c->upload_fd < 0)
		return 0;
	if (fsync(c->upload_fd) < 0 || close(c->upload_fd) < 0) {
		c->upload_fd = -1;
		c->upload_error = true;
		return 0;
	}
	c->upload_fd = -1;
	slash = strrchr(c->upload_dest, '/');
	*slash = '\0';
	rc = roger_fs_mkdirs(c->upload_dest, 0755, NULL);
	*slash = '/';
	if (rc < 0 ||
	    (lstat(c->upload_dest, &st) == 0 && !S_ISREG(st.st_mode))) {
		c->upload_error = true;
		return 0;
	}
	existed = lstat(c->upload_dest, &st) == 0;
	if (rename(c->upload_tmp, c->upload_dest) < 0) {
		c->upload_error = true;
		return 0;
	}
	free(c->upload_tmp);
	c->upload_tmp = NULL;
	roger_log(L->ctx, ROGER_LOG_INFO, "stored artifact '%s'", c->path + 11);
	return existed ? 204 : 201;
}

static void add_marathon_headers(struct roger_local *L,
				 struct MHD_Response *resp)
{
	char leader[96];

	snprintf(leader, sizeof(leader), "%s", L->url);
	MHD_add_response_header(resp, "X-Marathon-Leader", leader);
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "X-XSS-Protection", "1; mode=block");
	MHD_add_response_header(resp, "Cache-Control",
				"no-cache, no-store, must-revalidate");
	MHD_add_response_header(resp, "Pragma", "no-cache");
	MHD_add_response_header(resp, "Expires", "0");
}

static enum MHD_Result send_response(struct roger_local *L,
				     struct MHD_Connection *conn,
				     struct conn *c,
				     struct roger_local_resp *rs)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	const char *k;
	json_t *v;

	if (rs->sub) {
		roger_local_sub_attach(rs->sub, conn);
		resp = MHD_create_response_from_callback(
			MHD_SIZE_UNKNOWN, 4096, roger_local_sub_read, rs->sub,
			roger_local_sub_free);
		if (resp)
			MHD_set_response_options(
				resp, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT,
				MHD_RO_END);
		MHD_add_response_header(resp, "Connection", "close");
		rs->sub = NULL;
	} else if (rs->fd >= 0) {
		struct stat st;

		fstat(rs->fd, &st);
		resp = MHD_create_response_from_fd((uint64_t)st.st_size,
						   rs->fd);
		rs->fd = -1;
	} else {
		resp = MHD_create_response_from_buffer(
			rs->body.len, rs->body.buf, MHD_RESPMEM_MUST_COPY);
	}
	if (!resp)
		return MHD_NO;
	if (rs->content_type && (rs->body.len || rs->status != 202))
		MHD_add_response_header(resp, "Content-Type", rs->content_type);
	if (is_marathon_path(c->path))
		add_marathon_headers(L, resp);
	json_object_foreach(rs->headers, k, v)
		MHD_add_response_header(resp, k, json_string_value(v));
	ret = MHD_queue_response(conn, (unsigned)rs->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- limits ------------------------------------------------------------------ */

/* The socket context of a connection beyond the served ones. */
static char over_cap;

static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct roger_local *L = cls;
	unsigned n;

	(void)conn;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		n = __atomic_add_fetch(&L->conns, 1, __ATOMIC_RELAXED);
		*socket_context = n > L->max_conns ? &over_cap : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		__atomic_sub_fetch(&L->conns, 1, __ATOMIC_RELAXED);
	}
}

static bool beyond_cap(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci && ci->socket_context == &over_cap;
}

/* 503 and close, for a request on a connection beyond the served ones. */
static enum MHD_Result refuse_busy(struct roger_local *L,
				   struct MHD_Connection *conn)
{
	struct roger_local_resp rs;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	memset(&rs, 0, sizeof(rs));
	roger_buf_init(&rs.body);
	roger_local_resp_message(
		&rs, 503,
		"Too many connections: roger local serves at most %u at once",
		L->max_conns);
	resp = MHD_create_response_from_buffer(rs.body.len, rs.body.buf,
					       MHD_RESPMEM_MUST_COPY);
	roger_buf_release(&rs.body);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Retry-After", "1");
	MHD_add_response_header(resp, "Connection", "close");
	ret = MHD_queue_response(conn, 503, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * Percent-decoding of the path and the query, as libmicrohttpd's own but
 * for %00, which stays as it is: a NUL would cut the path short in every
 * C string after this ("/v2/apps/%00" would become "/v2/apps/", the list
 * of all apps).  Kept literally, it makes an id that no app can have.
 */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *out = s;
	const char *in = s;

	(void)cls;
	(void)conn;
	while (*in) {
		unsigned v;

		if (in[0] == '%' && isxdigit((unsigned char)in[1]) &&
		    isxdigit((unsigned char)in[2]) &&
		    sscanf(in + 1, "%2x", &v) == 1 && v != 0) {
			*out++ = (char)v;
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct roger_local *L = cls;
	struct conn *c = *con_cls;
	struct roger_local_resp rs;
	enum MHD_Result ret;
	const union MHD_ConnectionInfo *ci;

	(void)version;
	if (!c && beyond_cap(conn))
		return refuse_busy(L, conn);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		c->upload_fd = -1;
		c->path = strdup(url);
		c->rq.method = method;
		c->rq.path = c->path;
		c->rq.query = json_array();
		roger_buf_init(&c->rq.body);
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND,
					  collect_arg, c->rq.query);
		c->rq.content_type = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		c->rq.accept = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
		*con_cls = c;
		c->refused = admit(L, conn, url, method);
		if (!c->refused && !strcmp(method, "PUT") &&
		    !strncmp(url, "/artifacts/", 11))
			upload_begin(L, c);
		c->v1 = !c->refused && roger_local_v1_path(url);
		if (!c->v1)
			return MHD_YES;
	}
	if (c->v1)
		return roger_local_v1_handle(L, conn, &c->v1_state, method,
					     upload_data, upload_data_size);
	if (*upload_data_size > 0) {
		if (c->refused)
			*upload_data_size = 0; /* dropped as it comes */
		else if (c->artifact_put)
			upload_write(c, upload_data, *upload_data_size);
		else if (c->rq.body.len + *upload_data_size > BODY_MAX)
			c->rq.body_too_large = true;
		else
			roger_buf_add(&c->rq.body, upload_data,
				      *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}

	memset(&rs, 0, sizeof(rs));
	roger_buf_init(&rs.body);
	rs.fd = -1;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	{
		char ip[INET6_ADDRSTRLEN] = "127.0.0.1";

		if (ci && ci->client_addr &&
		    ci->client_addr->sa_family == AF_INET)
			inet_ntop(AF_INET,
				  &((const struct sockaddr_in *)ci->client_addr)
					   ->sin_addr,
				  ip, sizeof(ip));
		c->rq.client_ip = ip;
		if (c->artifact_put)
			rs.status = upload_finish(L, c);
		if (c->refused)
			refuse(L, c, &rs);
		else if (c->rq.body_too_large)
			roger_local_resp_message(
				&rs, 413, "request body larger than %d bytes",
				BODY_MAX);
		else
			route(L, c, &rs);
		c->rq.client_ip = NULL;
	}
	ret = send_response(L, conn, c, &rs);
	if (rs.sub)
		roger_local_sub_free(rs.sub);
	if (rs.fd >= 0)
		close(rs.fd);
	roger_buf_release(&rs.body);
	json_decref(rs.headers);
	return ret;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!c)
		return;
	roger_local_v1_done(c->v1_state);
	if (c->upload_fd >= 0)
		close(c->upload_fd);
	if (c->upload_tmp)
		unlink(c->upload_tmp);
	free(c->upload_tmp);
	free(c->upload_dest);
	json_decref(c->rq.query);
	roger_buf_release(&c->rq.body);
	free(c->path);
	free(c);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) ROGER_PRINTF(2, 0);

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct roger_local *L = cls;
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	roger_log(L->ctx, ROGER_LOG_DEBUG, "http: %s", msg);
}

/* ---- lifetime ---------------------------------------------------------------- */

static double machine_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (double)n : 1;
}

static double machine_mem(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || size <= 0)
		return 1024;
	return (double)pages * (double)size / (1024.0 * 1024.0);
}

/*
 * A listening socket on 127.0.0.1:`port`; when that port is taken (by
 * another program, or another user's roger local), one on a free port
 * instead, since the clients of this state directory find the port in
 * server.json.
 */
static int listen_socket(struct roger_ctx *ctx, int port, int *bound,
			 struct roger_err *err)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, rc;

	if (fd < 0)
		return roger_err_set(err, ROGER_EIO,
				     "cannot create a socket: %s",
				     strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ROGER_LOCAL_HOST, &sa.sin_addr);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc < 0 && errno == EADDRINUSE && port != 0) {
		roger_log(
			ctx, ROGER_LOG_NOTICE,
			"port %d of %s is taken by another program; taking a free one",
			port, ROGER_LOCAL_HOST);
		sa.sin_port = 0;
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	}
	if (rc < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		int e = errno;

		close(fd);
		return roger_err_set(err, ROGER_EIO,
				     "cannot listen on %s:%d: %s",
				     ROGER_LOCAL_HOST, port, strerror(e));
	}
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*bound = ntohs(sa.sin_port);
	return fd;
}

static int take_lock(const char *state_dir, int *out, struct roger_err *err)
{
	char *path = roger_path_join(state_dir, "server.lock");
	int fd;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		roger_err_set(err, ROGER_EIO, "cannot open '%s': %s", path,
			      strerror(errno));
		free(path);
		return ROGER_EIO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		roger_err_set(err, ROGER_EEXISTS,
			      "roger local is already running for '%s'",
			      state_dir);
		free(path);
		return ROGER_EEXISTS;
	}
	free(path);
	*out = fd;
	return 0;
}

static int write_server_json(struct roger_local *L, struct roger_err *err)
{
	char *path = roger_path_join(L->state_dir, "server.json");
	char text[512];
	long wd = -1;
	int rc;

	if (!path)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	if (L->agent)
		roger_agent_watchdog(L->agent, &wd, NULL);
	snprintf(
		text, sizeof(text),
		"{\"pid\":%ld,\"port\":%d,\"url\":\"%s\",\"watchdog_pid\":%ld,\"watchdog_restarts\":%u,\"cpus\":%.17g,\"mem\":%.17g,\"registry\":\"%s:%d\",\"router\":\"%s:%d\"}\n",
		(long)getpid(), L->port, L->url, wd,
		L->agent ? roger_agent_watchdog_restarts(L->agent) : 0,
		L->cap_cpus, L->cap_mem, ROGER_LOCAL_HOST, L->registry_port,
		ROGER_LOCAL_HOST, L->router_port);
	rc = roger_fs_write_atomic(path, text, strlen(text), 0644, err);
	free(path);
	return rc;
}

static void local_free(struct roger_local *L)
{
	if (!L)
		return;
	while (L->apps) {
		struct roger_local_app *a = L->apps;

		L->apps = a->next;
		roger_local_app_free(a);
	}
	while (L->deployments) {
		struct roger_local_deployment *d = L->deployments;

		L->deployments = d->next;
		json_decref(d->steps);
		json_decref(d->originals);
		free(d);
	}
	roger_local_events_free(L->events);
	roger_local_metronome_free(L->metronome);
	explicit_bzero(L->token, sizeof(L->token));
	pthread_mutex_destroy(&L->lock);
	pthread_cond_destroy(&L->wake);
	pthread_cond_destroy(&L->health_done);
	free(L->state_dir);
	free(L->apps_dir);
	free(L->artifacts_dir);
	free(L->work_dir);
	free(L);
}

/*
 * Share the descriptors out (see the top of this file): `nofile` is the
 * limit of open files in force.
 */
static void set_limits(struct roger_local *L, long nofile)
{
	long budget = nofile > 2 * FD_RESERVE ? (nofile - FD_RESERVE) / 2 : 16;

	if (budget > CONN_HARD_MAX)
		budget = CONN_HARD_MAX;
	L->conn_limit = (unsigned)budget;
	L->max_conns = L->conn_limit - L->conn_limit / 9;
	L->max_events =
		L->max_conns / 4 < EVENTS_MAX ? L->max_conns / 4 : EVENTS_MAX;
	if (L->max_events == 0)
		L->max_events = 1;
}

static struct roger_local *local_new(struct roger_ctx *ctx,
				     const struct roger_local_options *o,
				     long nofile)
{
	struct roger_local *L = calloc(1, sizeof(*L));
	pthread_condattr_t attr;

	if (!L)
		return NULL;
	set_limits(L, nofile);
	L->ctx = ctx;
	pthread_mutex_init(&L->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&L->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&L->health_done, NULL);
	L->state_dir = strdup(o->state_dir);
	L->apps_dir = roger_path_join(o->state_dir, "apps");
	L->artifacts_dir = roger_path_join(o->state_dir, "artifacts");
	L->work_dir = roger_path_join(o->state_dir, "agent");
	L->cap_cpus = o->cpus > 0 ? o->cpus : machine_cpus();
	L->cap_mem = o->mem > 0 ? o->mem : machine_mem();
	L->gc_size = o->gc_size ? o->gc_size : ROGER_LOCAL_GC_SIZE;
	L->start_ms = roger_ctx_wall_ms(ctx);
	L->service_port_min = o->service_port_min;
	if (!L->state_dir || !L->apps_dir || !L->artifacts_dir ||
	    !L->work_dir ||
	    roger_local_events_new(&L->events, L->max_events) < 0) {
		local_free(L);
		return NULL;
	}
	return L;
}

static struct MHD_Daemon *start_http(struct roger_local *L, int sock)
{
	unsigned flags = MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES
			 ? MHD_USE_EPOLL_INTERNAL_THREAD
			 : MHD_USE_POLL_INTERNAL_THREAD;
	return MHD_start_daemon(
		flags, 0, NULL, NULL, handle, L, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, L, MHD_OPTION_LISTEN_SOCKET, sock,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)POOL_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, L->conn_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, L,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, L,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, L, MHD_OPTION_END);
}

/*
 * The task watchdog must run for as long as tasks may: when something
 * killed it, a new one takes over (and server.json says so); when none
 * can be started, the server stops, killing its tasks, rather than run
 * them unprotected.
 */
static int watch_watchdog(struct roger_local *L, struct roger_err *err)
{
	struct roger_err werr = ROGER_ERR_INIT;
	long pid = -1;
	int rc = roger_agent_watchdog(L->agent, &pid, &werr);

	if (rc < 0)
		return roger_err_set(
			err, ROGER_ERROR,
			"the task watchdog died and no new one can be started (%s): stopping, so that no task outlives the server unwatched",
			werr.msg);
	if (rc > 0) {
		roger_log(
			L->ctx, ROGER_LOG_WARN,
			"the task watchdog died; a new one (pid %ld) watches the tasks",
			pid);
		write_server_json(L, NULL);
	}
	return 0;
}

/* The agent's status updates: a run's task, or a Marathon task. */
static void on_update(void *data, const struct roger_agent_update *u)
{
	struct roger_local *L = data;

	roger_local_metronome_on_update(L->metronome, u);
	roger_local_sched_on_update(L, u);
}

/* End the event streams and wait, a little, until their connections saw
 * it: libmicrohttpd must not be stopped with a connection suspended. */
static void end_streams(struct roger_local *L)
{
	roger_local_events_shutdown(L->events);
	for (int i = 0; i < 100 && !roger_local_events_ended(L->events); i++)
		usleep(20000);
}

int roger_local_serve(struct roger_ctx *ctx,
		      const struct roger_local_options *opts,
		      volatile sig_atomic_t *stop,
		      void (*ready)(void *data, const char *url), void *data,
		      struct roger_err *err)
{
	struct roger_local *L = NULL;
	struct MHD_Daemon *d = NULL;
	struct roger_agent_options ao;
	int lock_fd = -1, sock = -1, rc, port = 0;
	long nofile, nofile_before = 0;
	bool sched = false;
	char *json_path = NULL;

	if ((rc = roger_fs_mkdirs(opts->state_dir, 0700, err)) < 0)
		return rc;
	if ((rc = take_lock(opts->state_dir, &lock_fd, err)) < 0)
		return rc;
	nofile = roger_proc_raise_nofile(&nofile_before);
	L = local_new(ctx, opts, nofile > 0 ? nofile : 1024);
	if (!L) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = roger_local_token_ensure(L->token, ctx, L->state_dir, err)) <
	    0)
		goto out;
	roger_log(
		ctx, ROGER_LOG_INFO,
		"open files: %ld allowed (%ld before); serving %u connections at most, %u of them event streams",
		nofile, nofile_before, L->max_conns, L->max_events);
	sock = listen_socket(ctx, opts->port, &port, err);
	if (sock < 0) {
		rc = sock;
		goto out;
	}
	L->port = port;
	snprintf(L->url, sizeof(L->url), "http://%s:%d", ROGER_LOCAL_HOST,
		 port);
	snprintf(L->leader, sizeof(L->leader), "%s:%d", ROGER_LOCAL_HOST, port);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	pthread_mutex_lock(&L->lock);
	rc = roger_local_state_load(L, err);
	pthread_mutex_unlock(&L->lock);
	if (rc < 0 ||
	    (rc = roger_local_metronome_new(&L->metronome, L, err)) < 0)
		goto out;
	memset(&ao, 0, sizeof(ao));
	ao.work_dir = L->work_dir;
	ao.agent_id = L->agent_id;
	ao.hostname = ROGER_LOCAL_HOST;
	ao.port = port;
	ao.cpus = L->cap_cpus;
	ao.mem = L->cap_mem;
	ao.ca_file = opts->ca_file;
	ao.max_extract_bytes = opts->max_extract_bytes;
	ao.max_extract_entries = opts->max_extract_entries;
	ao.token = L->token;
	ao.on_update = on_update;
	ao.data = L;
	if ((rc = roger_local_images_start(L, opts, err)) < 0)
		goto out;
	ao.images = L->images;
	if ((rc = roger_agent_new(&L->agent, ctx, &ao, err)) < 0)
		goto out;
	if ((rc = roger_local_router_start(&L->router, L, opts->router_port,
					   err)) < 0)
		goto out;
	L->router_port = roger_local_router_front_port(L->router);
	if (roger_local_sessions_new(&L->sessions, ctx, L->agent) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = roger_local_sched_start(L, err)) < 0)
		goto out;
	sched = true;
	if ((rc = roger_local_gc_start(L, err)) < 0 ||
	    (rc = roger_local_metronome_start(L->metronome, err)) < 0)
		goto out;
	d = start_http(L, sock);
	if (!d) {
		rc = roger_err_set(err, ROGER_EIO,
				   "cannot start the HTTP server on %s",
				   L->url);
		goto out;
	}
	sock = -1; /* the daemon owns it now */
	if ((rc = write_server_json(L, err)) < 0)
		goto out;
	roger_log(ctx, ROGER_LOG_NOTICE, "roger local listening on %s", L->url);
	if (ready)
		ready(data, L->url);
	while (!*stop) {
		usleep(50000);
		roger_local_events_tick(L->events);
		if ((rc = watch_watchdog(L, err)) < 0)
			break;
	}
	roger_log(ctx, ROGER_LOG_NOTICE, "roger local stopping");
out:
	if (L && d) {
		end_streams(L);
		roger_local_sessions_shutdown(L->sessions);
	}
	if (d)
		MHD_stop_daemon(d);
	if (L) {
		roger_local_sessions_free(L->sessions);
		L->sessions = NULL;
	}
	if (sock >= 0)
		close(sock);
	if (sched) {
		roger_local_sched_stop(L);
		roger_local_gc_stop(L);
	}
	if (L && L->agent)
		roger_local_metronome_stop(L->metronome);
	if (L && L->router) {
		roger_local_router_stop(L->router);
		L->router = NULL;
	}
	if (L && L->agent) {
		pthread_mutex_lock(&L->lock);
		for (struct roger_local_app *a = L->apps; a; a = a->next)
			roger_local_state_save_app(L, a);
		roger_local_state_save_deployments(L);
		pthread_mutex_unlock(&L->lock);
		roger_agent_free(L->agent);
		L->agent = NULL;
	}
	if (L)
		roger_local_images_stop(L);
	if (L) {
		json_path = roger_path_join(L->state_dir, "server.json");
		if (json_path)
			unlink(json_path);
		free(json_path);
	}
	local_free(L);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}
