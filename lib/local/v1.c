/*
 * v1.c - POST /api/v1, the agent operator API subset of roger local
 * (MESOS-CONTAINERS.md sections 8.1 to 8.6): LAUNCH_NESTED_CONTAINER_SESSION
 * and ATTACH_CONTAINER_OUTPUT (streamed replies), ATTACH_CONTAINER_INPUT
 * (a streamed request), WAIT_CONTAINER and WAIT_NESTED_CONTAINER.
 *
 * The server hands every call of an admitted /api/v1 connection here, with
 * libmicrohttpd's own arguments, because two of them do not fit the
 * collect-then-answer shape of the other routes: the input call's body is
 * read record by record as it comes, for as long as the client keeps it
 * open, and the replies of sessions are streams.  The rules of the
 * content types are checked from the request head, before the body; an
 * error found in the middle of a streamed body is answered once the body
 * ended (libmicrohttpd cannot answer before), the rest being read and
 * dropped.  Errors are plain text with Mesos' words, as the agent answers.
 * Calls and input records are JSON; the records of a streamed reply are
 * JSON or protobuf, the first of the two that Message-Accept names.
 *
 * Connections of sessions have no idle timeout: an input stream may be
 * quiet between heartbeats (the CLI sends one every 30 s, the server's
 * own limit), and a WAIT lasts as long as the command.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "agentapi.h"
#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "pbio.h"
#include "recordio.h"
#include "local/internal.h"
#include "local/session.h"

#define CALL_MAX (1 << 20)
/* The largest input record: the CLI sends 64 KiB of data at most. */
#define INPUT_RECORD_MAX ((size_t)16 << 20)

struct v1 {
	struct roger_local *L;
	struct MHD_Connection *conn;
	int status; /* an error decided before the end of the body, or 0 */
	char message[1100];
	bool streaming;
	bool accept_stream, accept_json; /* what Accept allows */
	bool message_accept; /* Message-Accept was sent */
	bool message_ok; /* ...and names a format roger local writes */
	enum roger_agentapi_format format; /* of a stream's records */
	struct roger_buf body;
	/* ATTACH_CONTAINER_INPUT */
	struct roger_recordio_dec dec;
	struct roger_buf data;
	struct roger_local_session *in; /* attached */
	/* WAIT, suspended */
	struct roger_local_session *waiting;
	bool nested_wait;
};

bool roger_local_v1_path(const char *path)
{
	return !strcmp(path, "/api/v1") || !strcmp(path, "/api/v1/");
}

static void v1_fail(struct v1 *v, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void v1_fail(struct v1 *v, int status, const char *fmt, ...)
{
	va_list ap;

	if (v->status)
		return; /* the first error is the answer */
	v->status = status;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
}

/* Whether the one entry `one` of an Accept-style list allows `type`. */
static bool entry_allows(const char *one, const char *type)
{
	return roger_agentapi_media_is(one, type) ||
	       roger_agentapi_media_is(one, "*/*") ||
	       (!strncmp(type, "application/", 12) &&
		roger_agentapi_media_is(one, "application/*"));
}

/*
 * Which of the `n` `types` the Accept-style list `h` allows: its entries
 * taken in order, each tried against `types` in order; the index of the
 * first match, 0 when the list is absent (anything goes), -1 for none.
 */
static int accepted(const char *h, const char *const *types, int n)
{
	const char *p = h;

	if (!h)
		return 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		char one[128];

		snprintf(one, sizeof(one), "%.*s", (int)(len < 127 ? len : 127),
			 p);
		for (int i = 0; i < n; i++)
			if (entry_allows(one, types[i]))
				return i;
		p += len;
		if (*p == ',')
			p++;
	}
	return -1;
}

/* Whether an Accept-style list allows `type` (absent: anything). */
static bool allows(const char *h, const char *type)
{
	return accepted(h, &type, 1) == 0;
}

/*
 * The records' format a Message-Accept list asks for: its first entry
 * that roger local can write (JSON or protobuf; a wildcard means JSON).
 * Absent: JSON.  False when no entry is either.
 */
static bool message_format(const char *h, enum roger_agentapi_format *out)
{
	static const char *const types[] = { "application/json",
					     ROGER_PBIO_MEDIA };
	int i = accepted(h, types, 2);

	*out = i == 1 ? ROGER_AGENTAPI_PROTOBUF : ROGER_AGENTAPI_JSON;
	return i >= 0;
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* The rules of section 8.1 that the request head decides. */
static void check_head(struct v1 *v, struct MHD_Connection *conn,
		       const char *method)
{
	const char *ct = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *mct = header(conn, "Message-Content-Type");
	const char *accept = header(conn, MHD_HTTP_HEADER_ACCEPT);
	const char *macc = header(conn, "Message-Accept");

	v->accept_stream = allows(accept, "application/recordio");
	v->accept_json = allows(accept, "application/json");
	v->message_accept = macc != NULL;
	v->message_ok = message_format(macc, &v->format);
	if (strcmp(method, "POST")) {
		v1_fail(v, 405, "Expecting 'POST', received '%s'", method);
		return;
	}
	if (!ct) {
		v1_fail(v, 400, "Expecting 'Content-Type' to be present");
		return;
	}
	if (roger_agentapi_media_is(ct, "application/recordio")) {
		v->streaming = true;
		if (!mct)
			v1_fail(v, 400,
				"Expecting 'Message-Content-Type' to be set for streaming requests");
		else if (!roger_agentapi_media_is(mct, "application/json"))
			v1_fail(v, 415,
				"Expecting 'Message-Content-Type' of application/json (roger local does not read application/x-protobuf)");
		return;
	}
	if (roger_agentapi_media_is(ct, "application/x-protobuf")) {
		v1_fail(v, 415,
			"Expecting 'Content-Type' of application/json: roger local does not read application/x-protobuf");
		return;
	}
	if (!roger_agentapi_media_is(ct, "application/json")) {
		v1_fail(v, 415,
			"Expecting 'Content-Type' of application/json or application/x-protobuf or application/recordio");
		return;
	}
	if (mct)
		v1_fail(v, 415,
			"Expecting 'Message-Content-Type' to be not set for non-streaming requests");
}

/* ---- replies ------------------------------------------------------------------- */

static enum MHD_Result queue(struct MHD_Connection *conn, int status,
			     const char *type, const char *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	if (type && len)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					type);
	if (status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST");
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result queue_text(struct MHD_Connection *conn, int status,
				  const char *text)
{
	return queue(conn, status, "text/plain; charset=utf-8", text,
		     strlen(text));
}

/* A stream of ProcessIO records for `reader` (which the response owns). */
static enum MHD_Result queue_stream(struct MHD_Connection *conn,
				    struct roger_local_reader *reader,
				    enum roger_agentapi_format format)
{
	struct MHD_Response *resp = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, 256 * 1024, roger_local_reader_read, reader,
		roger_local_reader_free);
	enum MHD_Result ret;

	if (!resp) {
		roger_local_reader_free(reader);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/recordio");
	MHD_add_response_header(resp, "Message-Content-Type",
				roger_agentapi_format_media(format));
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
				  (unsigned)0);
	ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result queue_wait(struct v1 *v, struct MHD_Connection *conn,
				  int status)
{
	struct roger_buf b = ROGER_BUF_INIT;
	enum MHD_Result ret;

	if (status < 0)
		return queue_text(conn, 503, "The container is still running");
	if (roger_agentapi_wait_response(&b, v->nested_wait, status) < 0)
		return queue_text(conn, 500, "out of memory");
	ret = queue(conn, 200, "application/json", b.buf, b.len);
	roger_buf_release(&b);
	return ret;
}

/* ---- calls ------------------------------------------------------------------ */

/* Why a call with a streamed reply gets 406 (its head), or NULL. */
static const char *stream_refused(const struct v1 *v)
{
	if (!v->accept_stream)
		return "Expecting 'Accept' to allow application/recordio";
	if (!v->message_ok)
		return "Expecting 'Message-Accept' to allow application/json or application/x-protobuf";
	return NULL;
}

static enum MHD_Result launch(struct v1 *v, struct MHD_Connection *conn,
			      const struct roger_agentapi_call *c)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_local_reader *reader = NULL;
	const char *why;

	if ((why = stream_refused(v)))
		return queue_text(conn, 406, why);
	if (roger_local_session_start(&reader, v->L->sessions, c, v->format,
				      conn, &err) < 0) {
		roger_log(v->L->ctx, ROGER_LOG_INFO,
			  "LAUNCH_NESTED_CONTAINER_SESSION refused: %s",
			  err.msg);
		return queue_text(conn, err.http_status ? err.http_status : 500,
				  err.msg);
	}
	return queue_stream(conn, reader, v->format);
}

static enum MHD_Result attach_output(struct v1 *v, struct MHD_Connection *conn,
				     const struct roger_agentapi_call *c)
{
	struct roger_local_session *s;
	struct roger_local_reader *reader;
	const char *why;
	char msg[400];

	if ((why = stream_refused(v)))
		return queue_text(conn, 406, why);
	s = roger_local_session_find(v->L->sessions, c->cid.value);
	if (!s) {
		snprintf(msg, sizeof(msg), "Container %s cannot be found",
			 c->cid.value);
		return queue_text(conn, 404, msg);
	}
	reader = roger_local_reader_new(s, v->format, conn);
	roger_local_session_unref(s);
	if (!reader)
		return queue_text(conn, 500, "out of memory");
	return queue_stream(conn, reader, v->format);
}

static enum MHD_Result wait_call(struct v1 *v, struct MHD_Connection *conn,
				 const struct roger_agentapi_call *c)
{
	struct roger_local_session *s;
	char msg[400];
	int status;

	if (v->message_accept)
		return queue_text(
			conn, 406,
			"Expecting 'Message-Accept' to be not set for non-streaming responses");
	if (!v->accept_json)
		return queue_text(
			conn, 406,
			"Expecting 'Accept' to allow application/json");
	v->nested_wait = c->type == ROGER_AGENTAPI_CALL_WAIT_NESTED;
	s = roger_local_session_find(v->L->sessions, c->cid.value);
	if (!s) {
		snprintf(msg, sizeof(msg), "Container %s cannot be found",
			 c->cid.value);
		return queue_text(conn, 404, msg);
	}
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
				  (unsigned)0);
	if (roger_local_session_status(s, &status, conn)) {
		roger_local_session_unref(s);
		return queue_wait(v, conn, status);
	}
	v->waiting = s; /* suspended until it ends; resumed, we answer */
	return MHD_YES;
}

static enum MHD_Result call(struct v1 *v, struct MHD_Connection *conn)
{
	struct roger_agentapi_call c;
	struct roger_err err = ROGER_ERR_INIT;
	enum MHD_Result ret;
	char msg[300];

	if (roger_agentapi_call_parse(&c, v->body.buf, v->body.len, &err) < 0)
		return queue_text(conn, err.code == ROGER_ENOMEM ? 500 : 400,
				  err.msg);
	switch (c.type) {
	case ROGER_AGENTAPI_CALL_LAUNCH_SESSION:
		ret = launch(v, conn, &c);
		break;
	case ROGER_AGENTAPI_CALL_ATTACH_OUTPUT:
		ret = attach_output(v, conn, &c);
		break;
	case ROGER_AGENTAPI_CALL_WAIT:
	case ROGER_AGENTAPI_CALL_WAIT_NESTED:
		ret = wait_call(v, conn, &c);
		break;
	case ROGER_AGENTAPI_CALL_ATTACH_INPUT:
		ret = queue_text(
			conn, 415,
			"Expecting 'Content-Type' to be application/recordio for ATTACH_CONTAINER_INPUT call");
		break;
	default:
		snprintf(msg, sizeof(msg),
			 "roger local does not implement the call %s",
			 c.type_name);
		ret = queue_text(conn, 501, msg);
		break;
	}
	roger_agentapi_call_release(&c);
	return ret;
}

/* ---- the input stream ------------------------------------------------------------ */

/* One record of ATTACH_CONTAINER_INPUT. */
static void input_record(struct v1 *v, struct MHD_Connection *conn,
			 const char *rec, size_t len)
{
	struct roger_agentapi_pio pio;
	struct roger_err err = ROGER_ERR_INIT;
	char other[64];
	int rc;

	roger_buf_reset(&v->data);
	if (roger_agentapi_input_parse(&pio, &v->data, rec, len, other, &err) <
	    0) {
		if (*other)
			v1_fail(v, 415,
				"Streaming 'Content-Type' application/recordio is not supported for %s call",
				other);
		else
			v1_fail(v, 400, "Failed to validate agent::Call: %s",
				err.msg);
		return;
	}
	if (!v->in) {
		if (pio.kind != ROGER_AGENTAPI_PIO_CONTAINER) {
			v1_fail(v, 400,
				"Expecting 'attach_container_input.type' to be CONTAINER_ID");
			return;
		}
		v->in = roger_local_session_find(v->L->sessions, pio.cid.value);
		if (!v->in) {
			v1_fail(v, 404, "Container %s cannot be found",
				pio.cid.value);
			return;
		}
		rc = roger_local_session_attach_input(v->in, conn);
		if (rc == ROGER_ECONFLICT)
			v1_fail(v, 409,
				"Multiple input connections are not allowed");
		else if (rc < 0)
			v1_fail(v, 500, "Container %s has terminated",
				pio.cid.value);
		if (rc < 0) {
			roger_local_session_unref(v->in);
			v->in = NULL;
		}
		return;
	}
	switch (pio.kind) {
	case ROGER_AGENTAPI_PIO_DATA:
		roger_local_session_input(v->in, conn, v->data.buf,
					  v->data.len);
		break;
	case ROGER_AGENTAPI_PIO_TTY_INFO:
		roger_local_session_resize(v->in, pio.rows, pio.columns);
		break;
	case ROGER_AGENTAPI_PIO_CONTAINER:
		v1_fail(v, 400,
			"Expecting 'attach_container_input.type' to be PROCESS_IO after the first record");
		break;
	case ROGER_AGENTAPI_PIO_HEARTBEAT:
		break;
	}
}

/*
 * Take what the body brings, a record at a time while the session has
 * room for one; leaves in *size what waits for a resume: libmicrohttpd
 * keeps it in its buffer, stops reading the socket once that is full,
 * and passes it again after the resume.
 */
static enum MHD_Result input_feed(struct v1 *v, struct MHD_Connection *conn,
				  const char *data, size_t *size)
{
	struct roger_err err = ROGER_ERR_INIT;

	while (*size > 0 && !v->status) {
		const char *rec;
		size_t used, rec_len;
		int rc;

		if (v->in && !roger_local_session_input_room(v->in, conn))
			return MHD_YES; /* suspended with the rest pending */
		rc = roger_recordio_next(&v->dec, data, *size, &used, &rec,
					 &rec_len, &err);
		if (rc < 0) {
			v1_fail(v, 400,
				"Failed to decode the streaming request: %s",
				err.msg);
			break;
		}
		data += used;
		*size -= used;
		if (rc == 0)
			break;
		input_record(v, conn, rec, rec_len);
	}
	if (v->status)
		*size = 0; /* the rest is read and dropped */
	return MHD_YES;
}

/* ---- the handler ---------------------------------------------------------------- */

enum MHD_Result roger_local_v1_handle(struct roger_local *L,
				      struct MHD_Connection *conn, void **state,
				      const char *method,
				      const char *upload_data,
				      size_t *upload_data_size)
{
	struct v1 *v = *state;
	int status;

	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return MHD_NO;
		v->L = L;
		v->conn = conn;
		roger_buf_init(&v->body);
		roger_buf_init(&v->data);
		roger_recordio_dec_init(&v->dec, INPUT_RECORD_MAX);
		*state = v;
		check_head(v, conn, method);
		if (v->streaming && !v->status)
			MHD_set_connection_option(conn,
						  MHD_CONNECTION_OPTION_TIMEOUT,
						  (unsigned)0);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (v->status) {
			*upload_data_size = 0;
		} else if (v->streaming) {
			return input_feed(v, conn, upload_data,
					  upload_data_size);
		} else if (v->body.len + *upload_data_size > CALL_MAX) {
			v1_fail(v, 413, "Request body larger than %d bytes",
				CALL_MAX);
			*upload_data_size = 0;
		} else {
			if (roger_buf_add(&v->body, upload_data,
					  *upload_data_size) < 0)
				v1_fail(v, 500, "out of memory");
			*upload_data_size = 0;
		}
		return MHD_YES;
	}
	if (v->waiting) {
		/* resumed: the session ended, or the server stops */
		if (roger_local_session_status(v->waiting, &status, NULL))
			;
		else if (roger_local_sessions_closing(L->sessions))
			status = -1;
		else if (!roger_local_session_status(v->waiting, &status, conn))
			return MHD_YES; /* suspended again */
		roger_local_session_unref(v->waiting);
		v->waiting = NULL;
		return queue_wait(v, conn, status);
	}
	if (v->status)
		return queue_text(conn, v->status, v->message);
	if (v->streaming) {
		if (!v->in)
			return queue_text(
				conn, 400,
				"Expecting 'attach_container_input.type' to be CONTAINER_ID");
		roger_local_session_detach_input(v->in, conn);
		return queue(conn, 200, NULL, "", 0);
	}
	return call(v, conn);
}

void roger_local_v1_done(void *state)
{
	struct v1 *v = state;

	if (!v)
		return;
	if (v->in)
		roger_local_session_detach_input(v->in, v->conn);
	roger_local_session_unref(v->in);
	roger_local_session_unref(v->waiting);
	roger_recordio_dec_release(&v->dec);
	roger_buf_release(&v->body);
	roger_buf_release(&v->data);
	free(v);
}
