/*
 * agentapi.h - the messages of the Mesos agent operator API v1 that
 * `roger exec` and roger local exchange (MESOS-CONTAINERS.md section 8),
 * both directions, as pure code: calls built and parsed, the ProcessIO
 * records of the streams, exit statuses.  Not installed.
 *
 * JSON as the agent writes it: protobuf field names in snake_case, enums
 * as strings, `bytes` fields in base64.  The records that carry a
 * stream's bytes (DATA with STDIN, STDOUT or STDERR) are the bulk of an
 * exec session, so they are written without building a JSON tree, and
 * read the same way when they have the agent's own shape
 * ({"type":"DATA","data":{"type":"STDOUT","data":"..."}}, members in that
 * order, no spaces); any other spelling of the same record goes through
 * the JSON parser and means the same.  An output stream may also be in
 * protobuf (pbio.h), whose DATA records carry the bytes as they are.
 */
#ifndef ROGER_AGENTAPI_H
#define ROGER_AGENTAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

struct roger_err;

/* The agent's heartbeat interval (--http_heartbeat_interval's default). */
#define ROGER_AGENTAPI_HEARTBEAT_MS 30000

/* A container id: `value`, and the parent's value for a nested one. */
struct roger_agentapi_cid {
	const char *value;
	const char *parent; /* NULL: a top-level container */
	const char *grandparent; /* NULL: none (a pod task's parent) */
};

/* ---- records of the streams ------------------------------------------------ */

enum roger_agentapi_stream {
	ROGER_AGENTAPI_STDIN,
	ROGER_AGENTAPI_STDOUT,
	ROGER_AGENTAPI_STDERR,
};

/*
 * Append one framed record of stream bytes: a ProcessIO DATA record
 * (STDOUT, STDERR: the output stream) or, with `input`, the
 * ATTACH_CONTAINER_INPUT call that carries it (STDIN).  `len` 0 is the
 * empty STDIN record that closes the process's standard input.
 */
int roger_agentapi_data_record(struct roger_buf *out, bool input,
			       enum roger_agentapi_stream stream,
			       const void *data, size_t len);
/*
 * The encodings of an output stream's records (Message-Content-Type):
 * JSON, or protobuf's wire format (pbio.h), which carries the bytes as
 * they are instead of in base64.
 */
enum roger_agentapi_format {
	ROGER_AGENTAPI_JSON,
	ROGER_AGENTAPI_PROTOBUF,
};
/*
 * Whether the (first) media type of header value `h` is `type`,
 * parameters and case aside.
 */
bool roger_agentapi_media_is(const char *h, const char *type);
/* Message-Content-Type of a format. */
const char *roger_agentapi_format_media(enum roger_agentapi_format f);
/*
 * A framed output DATA record (STDOUT or STDERR) in format `f`: with JSON
 * as roger_agentapi_data_record(); with protobuf the bytes follow a head
 * of a few bytes.
 */
int roger_agentapi_output_record(struct roger_buf *out,
				 enum roger_agentapi_format f,
				 enum roger_agentapi_stream stream,
				 const void *data, size_t len);
/* A framed output heartbeat in format `f`. */
int roger_agentapi_output_heartbeat(struct roger_buf *out,
				    enum roger_agentapi_format f,
				    long interval_ms);
/* A framed heartbeat (CONTROL HEARTBEAT, `interval_ms`), output or input. */
int roger_agentapi_heartbeat_record(struct roger_buf *out, bool input,
				    long interval_ms);
/* A framed input record CONTROL TTY_INFO with the window size. */
int roger_agentapi_tty_record(struct roger_buf *out, unsigned rows,
			      unsigned columns);
/* The framed first input record: CONTAINER_ID `cid`. */
int roger_agentapi_attach_record(struct roger_buf *out,
				 const struct roger_agentapi_cid *cid);

enum roger_agentapi_pio_kind {
	ROGER_AGENTAPI_PIO_DATA, /* stream bytes (data may be empty) */
	ROGER_AGENTAPI_PIO_HEARTBEAT, /* nothing to do */
	ROGER_AGENTAPI_PIO_TTY_INFO, /* a window size */
	ROGER_AGENTAPI_PIO_CONTAINER, /* input only: the first record */
};

/* One record of a stream, read. */
struct roger_agentapi_pio {
	enum roger_agentapi_pio_kind kind;
	enum roger_agentapi_stream stream; /* DATA */
	unsigned rows, columns; /* TTY_INFO */
	/* CONTAINER: the id, its strings in `id_buf` ("value\0parent\0..."). */
	struct roger_agentapi_cid cid;
	char id_buf[3 * 256];
};

/*
 * Read one record of an output stream (a ProcessIO): its kind, and for
 * DATA the decoded bytes appended to `data`.  ROGER_EINVALID for a record
 * that is no ProcessIO (with `err` saying what is wrong); a CONTROL of
 * another type reads as a heartbeat, to be ignored.
 */
int roger_agentapi_output_parse(struct roger_agentapi_pio *out,
				struct roger_buf *data, const char *rec,
				size_t len, struct roger_err *err);

/*
 * Read one record of an output stream in protobuf: as
 * roger_agentapi_output_parse(), but the bytes of DATA are not copied:
 * *data and *data_len point into `rec` (NULL and 0 for another kind).
 * DATA of type STDIN, or of no known type, is ROGER_EINVALID.
 */
int roger_agentapi_output_parse_pb(struct roger_agentapi_pio *out,
				   const char **data, size_t *data_len,
				   const char *rec, size_t len,
				   struct roger_err *err);

/*
 * Read one record of an input stream (an ATTACH_CONTAINER_INPUT call):
 * CONTAINER (the id), DATA (STDIN bytes appended to `data`), HEARTBEAT or
 * TTY_INFO.  ROGER_EINVALID for a record that is not valid JSON or not
 * such a call, with `err` saying what is wrong; when it is a call of
 * another type, `other_call` gets that type's name (for the agent's 415),
 * else "".
 */
int roger_agentapi_input_parse(struct roger_agentapi_pio *out,
			       struct roger_buf *data, const char *rec,
			       size_t len, char other_call[64],
			       struct roger_err *err);

/* ---- calls ------------------------------------------------------------------ */

/*
 * The LAUNCH_NESTED_CONTAINER_SESSION call for `argv` (NULL-terminated,
 * at least one word) in a new container `cid` nested in the task's, run
 * without a shell as the CLI does (value argv[0], arguments argv); with
 * `tty`, tty_info and TERM (`term`, or "xterm" when NULL) are added, and
 * the window size when `rows` and `columns` are not 0 (so that the
 * terminal has its size from the start, before any TTY_INFO record).
 * Appends the JSON to `out`.
 */
int roger_agentapi_launch_call(struct roger_buf *out,
			       const struct roger_agentapi_cid *cid,
			       char *const *argv, bool tty, const char *term,
			       unsigned rows, unsigned columns);
/* WAIT_CONTAINER (or, with `nested`, WAIT_NESTED_CONTAINER) of `cid`. */
int roger_agentapi_wait_call(struct roger_buf *out,
			     const struct roger_agentapi_cid *cid, bool nested);

enum roger_agentapi_call_type {
	ROGER_AGENTAPI_CALL_OTHER,
	ROGER_AGENTAPI_CALL_LAUNCH_SESSION,
	ROGER_AGENTAPI_CALL_ATTACH_INPUT,
	ROGER_AGENTAPI_CALL_ATTACH_OUTPUT,
	ROGER_AGENTAPI_CALL_WAIT, /* WAIT_CONTAINER */
	ROGER_AGENTAPI_CALL_WAIT_NESTED, /* WAIT_NESTED_CONTAINER */
};

/* A call read by the agent; strings borrowed from `json`. */
struct roger_agentapi_call {
	json_t *json;
	enum roger_agentapi_call_type type;
	const char *type_name; /* as sent */
	struct roger_agentapi_cid cid; /* the container it names */
	/* LAUNCH_NESTED_CONTAINER_SESSION */
	bool shell;
	const char *value;
	const char **arguments; /* NULL-terminated, may be empty */
	char **env; /* "NAME=value", NULL-terminated (owned) */
	const char *user; /* NULL: none asked */
	bool tty;
	unsigned rows, columns; /* tty_info.window_size, 0 when absent */
};

/*
 * Read the non-streaming call in `body`.  ROGER_EINVALID with the agent's
 * words ("Failed to validate agent::Call: ...") for a body that is not a
 * call or misses what its type needs; a type this parser does not know is
 * ROGER_AGENTAPI_CALL_OTHER, not an error.  Release with
 * roger_agentapi_call_release().
 */
int roger_agentapi_call_parse(struct roger_agentapi_call *out, const char *body,
			      size_t len, struct roger_err *err);
void roger_agentapi_call_release(struct roger_agentapi_call *c);

/* ---- exit status ------------------------------------------------------------ */

/* The agent's answer to WAIT: {"type":...,"wait_container":{"exit_status":N}}.
 */
int roger_agentapi_wait_response(struct roger_buf *out, bool nested,
				 int wait_status);
/*
 * Read a WAIT_CONTAINER or WAIT_NESTED_CONTAINER answer: *has_status is
 * false when it carries no exit_status (a container that never ran).
 * ROGER_EINVALID for anything else.
 */
int roger_agentapi_wait_parse(int *status, bool *has_status, const char *body,
			      size_t len, struct roger_err *err);

/*
 * The exit code of a raw wait(2) status, as the CLI reads it: 128 plus
 * the signal for a process a signal ended, else the exit status.
 */
int roger_agentapi_exit_code(int wait_status);

#endif
