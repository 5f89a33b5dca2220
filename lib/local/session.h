/*
 * session.h - roger local's agent operator API v1 (POST /api/v1): nested
 * container sessions, their input and output streams and exit statuses
 * (MESOS-CONTAINERS.md section 8.6).  Internal to roger local.
 *
 * Two files: session.c runs the sessions (a process inside a task, a
 * thread pumping its bytes, the connections that stream them), v1.c is
 * the HTTP side (the content-type rules, the calls, the streamed request
 * and replies).  server.c calls only what is below the line "server".
 */
#ifndef ROGER_LOCAL_SESSION_H
#define ROGER_LOCAL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "agentapi.h"

struct roger_agent;
struct roger_ctx;
struct roger_err;
struct roger_local;
struct roger_local_session;
struct roger_local_sessions;
struct roger_agentapi_call;

/* ---- the sessions (session.c) ------------------------------------------- */

int roger_local_sessions_new(struct roger_local_sessions **out,
			     struct roger_ctx *ctx, struct roger_agent *agent);
/*
 * Kill every session's process, end their streams and resume every
 * connection they suspended, then wait (a little) until those connections
 * saw it: before libmicrohttpd stops, which must find none suspended.
 * New sessions are refused from now on.
 */
void roger_local_sessions_shutdown(struct roger_local_sessions *reg);
/* Free, after the HTTP server stopped.  NULL is fine. */
void roger_local_sessions_free(struct roger_local_sessions *reg);

struct roger_local_reader;

/*
 * Start a session for a LAUNCH_NESTED_CONTAINER_SESSION call, whose reply
 * goes out on connection `conn`: its process in the parent task (see
 * roger_agent_exec_spawn), the reader of its output for that connection
 * (*out, its owner, writing records in `format`: when the connection
 * goes away before the output
 * ended, the process is killed), then the thread that pumps it.  Errors
 * carry the HTTP status in err->http_status and Mesos' words in err->msg:
 * 400 for a parent that is not a running task or a command that cannot be
 * started, 202 for a container id already in use, 503 when shutting down.
 */
int roger_local_session_start(struct roger_local_reader **out,
			      struct roger_local_sessions *reg,
			      const struct roger_agentapi_call *call,
			      enum roger_agentapi_format format,
			      struct MHD_Connection *conn,
			      struct roger_err *err);
/* A session by its container id, live or ended (a new reference), or NULL. */
struct roger_local_session *
roger_local_session_find(struct roger_local_sessions *reg, const char *id);
void roger_local_session_unref(struct roger_local_session *s);

/*
 * Another output stream of session `s` (ATTACH_CONTAINER_OUTPUT) for
 * connection `conn`: what the process writes from now on.  Readers are
 * for MHD_create_response_from_callback(): roger_local_reader_read, and
 * roger_local_reader_free as its free callback.  NULL when out of memory.
 */
struct roger_local_reader *
roger_local_reader_new(struct roger_local_session *s,
		       enum roger_agentapi_format format,
		       struct MHD_Connection *conn);
ssize_t roger_local_reader_read(void *cls, uint64_t pos, char *buf, size_t max);
void roger_local_reader_free(void *cls);

/*
 * Input.  roger_local_session_attach_input() claims the session's input
 * for connection `conn`: ROGER_ECONFLICT when another connection has it
 * (409), ROGER_ENOTFOUND when the session's process ended (the agent's
 * 500).  roger_local_session_input_room() says whether `conn` may queue
 * more: false when the queue is full, `conn` being then suspended until
 * the command has read half of it (or the session ended); the caller
 * takes no byte of the request until it is called again and answers
 * true (libmicrohttpd may call a suspended connection's handler: it is
 * called again then, and says false again).  roger_local_session_input()
 * queues bytes for the process's standard input (len 0: close it once
 * the bytes before are written, unless it is a terminal); the queue may
 * go past its cap by what one call brings.  Bytes for
 * a session that ended are dropped.  roger_local_session_resize() sets the
 * terminal's window size.  roger_local_session_detach_input() lets the
 * input go when its connection ends.
 */
int roger_local_session_attach_input(struct roger_local_session *s,
				     struct MHD_Connection *conn);
bool roger_local_session_input_room(struct roger_local_session *s,
				    struct MHD_Connection *conn);
void roger_local_session_input(struct roger_local_session *s,
			       struct MHD_Connection *conn, const char *data,
			       size_t len);
void roger_local_session_resize(struct roger_local_session *s, unsigned rows,
				unsigned columns);
void roger_local_session_detach_input(struct roger_local_session *s,
				      struct MHD_Connection *conn);

/*
 * The exit status: true with *status (a raw wait(2) status) when the
 * process ended; else, with `conn`, that connection is suspended and
 * resumed when it ends (or at shutdown), and false is returned.
 */
bool roger_local_session_status(struct roger_local_session *s, int *status,
				struct MHD_Connection *conn);
/* Whether the registry is shutting down (a resumed waiter answers 503). */
bool roger_local_sessions_closing(struct roger_local_sessions *reg);

/* ---- server ------------------------------------------------------------------ */

/* Whether `path` is the operator API's (POST /api/v1). */
bool roger_local_v1_path(const char *path);

/*
 * libmicrohttpd's access handler for every call of a connection to
 * /api/v1 admitted by the server (Host and token checked), with the same
 * arguments; `*state` is the connection's (NULL at first), released by
 * roger_local_v1_done() when the request ends.
 */
enum MHD_Result roger_local_v1_handle(struct roger_local *L,
				      struct MHD_Connection *conn, void **state,
				      const char *method,
				      const char *upload_data,
				      size_t *upload_data_size);
void roger_local_v1_done(void *state);

#endif
