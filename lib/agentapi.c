/*
 * agentapi.c - messages of the agent operator API v1 (see agentapi.h).
 *
 * Writers of the small messages build them with jansson, which escapes
 * ids and words whatever they hold.  Stream records are the exception:
 * their shape is fixed and only the base64 text varies, so they are
 * written straight into the buffer, the RecordIO prefix first (the length
 * is known before a byte of the record is written), and read back by
 * matching the fixed text around the base64.  Anything that does not
 * match byte for byte is read by jansson, so a server or client that
 * orders members differently or adds spaces is still understood.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agentapi.h"
#include "err.h"
#include "json-num.h"
#include "pbio.h"
#include "recordio.h"
#include "util.h"

#define OUT_HEAD "{\"type\":\"DATA\",\"data\":{\"type\":\""
#define IN_HEAD                                                            \
	"{\"type\":\"ATTACH_CONTAINER_INPUT\",\"attach_container_input\":" \
	"{\"type\":\"PROCESS_IO\",\"process_io\":"
#define DATA_MID "\",\"data\":\""

static const char *const stream_names[] = { "STDIN", "STDOUT", "STDERR" };

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

/* ---- writing records ------------------------------------------------------- */

/* Append `json` (compact) as one framed record. */
static int add_json_record(struct roger_buf *out, json_t *json)
{
	char *text;
	int rc;

	if (!json)
		return ROGER_ENOMEM;
	text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(json);
	if (!text)
		return ROGER_ENOMEM;
	rc = roger_recordio_encode(out, text, strlen(text));
	free(text);
	return rc;
}

int roger_agentapi_data_record(struct roger_buf *out, bool input,
			       enum roger_agentapi_stream stream,
			       const void *data, size_t len)
{
	const char *name = stream_names[stream];
	size_t old = out->len, n;

	/* {"type":"DATA","data":{"type":"STDOUT","data":"<b64>"}} */
	n = strlen(OUT_HEAD) + strlen(name) + strlen(DATA_MID) +
	    roger_base64_len(len) + 3;
	if (input)
		n += strlen(IN_HEAD) + 2;
	if (roger_recordio_prefix(out, n) < 0 || roger_buf_grow(out, n) < 0)
		goto nomem;
	if (input)
		roger_buf_adds(out, IN_HEAD);
	roger_buf_adds(out, OUT_HEAD);
	roger_buf_adds(out, name);
	roger_buf_adds(out, DATA_MID);
	if (roger_base64_add(out, data, len) < 0)
		goto nomem;
	roger_buf_adds(out, input ? "\"}}}}" : "\"}}");
	return 0;
nomem:
	roger_buf_truncate(out, old);
	return ROGER_ENOMEM;
}

bool roger_agentapi_media_is(const char *h, const char *type)
{
	size_t n = strlen(type);

	while (*h == ' ' || *h == '\t')
		h++;
	return !strncasecmp(h, type, n) &&
	       (h[n] == '\0' || h[n] == ';' || h[n] == ' ' || h[n] == ',');
}

const char *roger_agentapi_format_media(enum roger_agentapi_format f)
{
	return f == ROGER_AGENTAPI_PROTOBUF ? ROGER_PBIO_MEDIA
					    : "application/json";
}

int roger_agentapi_output_record(struct roger_buf *out,
				 enum roger_agentapi_format f,
				 enum roger_agentapi_stream stream,
				 const void *data, size_t len)
{
	uint8_t head[ROGER_PBIO_DATA_HEAD_MAX];
	size_t old = out->len, h;

	if (f == ROGER_AGENTAPI_JSON)
		return roger_agentapi_data_record(out, false, stream, data,
						  len);
	/* the protobuf enum counts from 1: STDIN 1, STDOUT 2, STDERR 3 */
	h = roger_pbio_data_head(head, (uint32_t)stream + 1, len);
	if (roger_recordio_prefix(out, h + len) < 0 ||
	    roger_buf_grow(out, h + len) < 0 ||
	    roger_buf_add(out, head, h) < 0 ||
	    roger_buf_add(out, data, len) < 0) {
		roger_buf_truncate(out, old);
		return ROGER_ENOMEM;
	}
	return 0;
}

int roger_agentapi_output_heartbeat(struct roger_buf *out,
				    enum roger_agentapi_format f,
				    long interval_ms)
{
	struct roger_buf rec = ROGER_BUF_INIT;
	int rc;

	if (f == ROGER_AGENTAPI_JSON)
		return roger_agentapi_heartbeat_record(out, false, interval_ms);
	rc = roger_pbio_heartbeat(&rec, (int64_t)interval_ms * 1000000) < 0
		     ? ROGER_ENOMEM
		     : roger_recordio_encode(out, rec.buf, rec.len);
	roger_buf_release(&rec);
	return rc < 0 ? ROGER_ENOMEM : 0;
}

static json_t *wrap_input(json_t *process_io)
{
	return json_pack("{s:s, s:{s:s, s:o}}", "type",
			 "ATTACH_CONTAINER_INPUT", "attach_container_input",
			 "type", "PROCESS_IO", "process_io", process_io);
}

int roger_agentapi_heartbeat_record(struct roger_buf *out, bool input,
				    long interval_ms)
{
	json_t *pio = json_pack("{s:s, s:{s:s, s:{s:{s:I}}}}", "type",
				"CONTROL", "control", "type", "HEARTBEAT",
				"heartbeat", "interval", "nanoseconds",
				(json_int_t)interval_ms * 1000000);

	return add_json_record(out, input && pio ? wrap_input(pio) : pio);
}

int roger_agentapi_tty_record(struct roger_buf *out, unsigned rows,
			      unsigned columns)
{
	json_t *pio = json_pack(
		"{s:s, s:{s:s, s:{s:{s:I, s:I}}}}", "type", "CONTROL",
		"control", "type", "TTY_INFO", "tty_info", "window_size",
		"rows", (json_int_t)rows, "columns", (json_int_t)columns);

	return add_json_record(out, pio ? wrap_input(pio) : NULL);
}

/* {"value": v, "parent": {"value": p, ...}} for a container id. */
static json_t *cid_json(const struct roger_agentapi_cid *cid)
{
	json_t *j = json_pack("{s:s}", "value", cid->value);

	if (j && cid->parent) {
		json_t *p = json_pack("{s:s}", "value", cid->parent);

		if (p && cid->grandparent)
			json_object_set_new(
				p, "parent",
				json_pack("{s:s}", "value", cid->grandparent));
		json_object_set_new(j, "parent", p);
	}
	return j;
}

int roger_agentapi_attach_record(struct roger_buf *out,
				 const struct roger_agentapi_cid *cid)
{
	return add_json_record(out, json_pack("{s:s, s:{s:s, s:o}}", "type",
					      "ATTACH_CONTAINER_INPUT",
					      "attach_container_input", "type",
					      "CONTAINER_ID", "container_id",
					      cid_json(cid)));
}

/* ---- reading records -------------------------------------------------------- */

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The stream named `name`, or -1. */
static int stream_of(const char *name)
{
	for (int i = 0; name && i < 3; i++)
		if (!strcmp(name, stream_names[i]))
			return i;
	return -1;
}

/*
 * The fast path: `rec` is `head` STREAM DATA_MID base64 `tail` exactly.
 * Returns 1 when it was (DATA read), 0 when the general reader must look.
 */
static int fast_data(struct roger_agentapi_pio *out, struct roger_buf *data,
		     const char *rec, size_t len, const char *head,
		     const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail), ml = strlen(DATA_MID);
	const char *p = rec + hl;
	int stream = -1;

	if (len < hl + 6 + ml + tl || memcmp(rec, head, hl))
		return 0;
	for (int i = 0; i < 3 && stream < 0; i++) {
		size_t sl = strlen(stream_names[i]);

		if (!memcmp(p, stream_names[i], sl) &&
		    !memcmp(p + sl, DATA_MID, ml))
			stream = i;
	}
	if (stream < 0)
		return 0;
	p += strlen(stream_names[stream]) + ml;
	if ((size_t)(p - rec) + tl > len || memcmp(rec + len - tl, tail, tl))
		return 0;
	/*
	 * Escapes or a stray quote inside are outside base64's alphabet, so
	 * the decoder refuses them (counting none of its output) and jansson
	 * reads the record instead: no separate pass looks for them.
	 */
	if (roger_base64_decode_add(data, p, len - tl - (size_t)(p - rec)) < 0)
		return 0;
	out->kind = ROGER_AGENTAPI_PIO_DATA;
	out->stream = (enum roger_agentapi_stream)stream;
	return 1;
}

/* A ProcessIO object, read. */
static int pio_read(struct roger_agentapi_pio *out, struct roger_buf *data,
		    const json_t *pio, bool input, struct roger_err *err)
{
	const char *type = str(pio, "type");

	if (!json_is_object(pio))
		return roger_err_set(err, ROGER_EINVALID,
				     "a ProcessIO that is not an object");
	if (type && !strcmp(type, "DATA")) {
		json_t *d = json_object_get(pio, "data");
		int stream = stream_of(str(d, "type"));
		json_t *bytes = json_object_get(d, "data");

		if (stream < 0 || (input != (stream == ROGER_AGENTAPI_STDIN)))
			return roger_err_set(
				err, ROGER_EINVALID,
				"a ProcessIO DATA record of type '%s'",
				str(d, "type") ? str(d, "type") : "");
		if (bytes && !json_is_string(bytes))
			return roger_err_set(
				err, ROGER_EINVALID,
				"a ProcessIO DATA record whose 'data' is not a string");
		if (bytes &&
		    roger_base64_decode_add(data, json_string_value(bytes),
					    json_string_length(bytes)) < 0)
			return roger_err_set(
				err, ROGER_EINVALID,
				"a ProcessIO DATA record whose 'data' is not base64");
		out->kind = ROGER_AGENTAPI_PIO_DATA;
		out->stream = (enum roger_agentapi_stream)stream;
		return 0;
	}
	if (type && !strcmp(type, "CONTROL")) {
		json_t *c = json_object_get(pio, "control");
		const char *ctype = str(c, "type");
		json_t *ws = json_object_get(json_object_get(c, "tty_info"),
					     "window_size");
		int64_t rows, cols;

		out->kind = ROGER_AGENTAPI_PIO_HEARTBEAT;
		if (!ctype || strcmp(ctype, "TTY_INFO"))
			return 0;
		if (!roger_json_int(json_object_get(ws, "rows"), 0, UINT16_MAX,
				    &rows) ||
		    !roger_json_int(json_object_get(ws, "columns"), 0,
				    UINT16_MAX, &cols))
			return roger_err_set(
				err, ROGER_EINVALID,
				"a TTY_INFO record without 'window_size' 'rows' and 'columns'");
		out->kind = ROGER_AGENTAPI_PIO_TTY_INFO;
		out->rows = (unsigned)rows;
		out->columns = (unsigned)cols;
		return 0;
	}
	return roger_err_set(err, ROGER_EINVALID,
			     "a ProcessIO record of type '%s'",
			     type ? type : "");
}

static json_t *load(const char *rec, size_t len, const char *what,
		    struct roger_err *err)
{
	json_error_t jerr;
	json_t *j = json_loadb(rec, len, 0, &jerr);

	if (!j)
		roger_err_set(err, ROGER_EINVALID, "invalid JSON in %s: %s",
			      what, jerr.text);
	return j;
}

int roger_agentapi_output_parse(struct roger_agentapi_pio *out,
				struct roger_buf *data, const char *rec,
				size_t len, struct roger_err *err)
{
	size_t old = data->len;
	json_t *j;
	int rc;

	memset(out, 0, sizeof(*out));
	if (fast_data(out, data, rec, len, OUT_HEAD, "\"}}") &&
	    out->stream != ROGER_AGENTAPI_STDIN)
		return 0;
	roger_buf_truncate(data, old);
	j = load(rec, len, "a ProcessIO record", err);
	if (!j)
		return ROGER_EINVALID;
	rc = pio_read(out, data, j, false, err);
	json_decref(j);
	if (rc < 0)
		roger_buf_truncate(data, old);
	return rc;
}

int roger_agentapi_output_parse_pb(struct roger_agentapi_pio *out,
				   const char **data, size_t *data_len,
				   const char *rec, size_t len,
				   struct roger_err *err)
{
	struct roger_pbio m;
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	*data = NULL;
	*data_len = 0;
	if (roger_pbio_decode(&m, rec, len, &why) < 0)
		return roger_err_set(err, ROGER_EINVALID,
				     "a protobuf ProcessIO record with %s",
				     why);
	if (m.type == ROGER_PBIO_DATA) {
		if (m.data_type != ROGER_PBIO_STDOUT &&
		    m.data_type != ROGER_PBIO_STDERR)
			return roger_err_set(
				err, ROGER_EINVALID,
				"a protobuf ProcessIO DATA record of type %u",
				(unsigned)m.data_type);
		out->kind = ROGER_AGENTAPI_PIO_DATA;
		out->stream = m.data_type == ROGER_PBIO_STDOUT
				      ? ROGER_AGENTAPI_STDOUT
				      : ROGER_AGENTAPI_STDERR;
		*data = (const char *)m.data;
		*data_len = m.data ? m.data_len : 0;
		return 0;
	}
	if (m.type == ROGER_PBIO_CONTROL) {
		out->kind = ROGER_AGENTAPI_PIO_HEARTBEAT;
		if (m.control_type == ROGER_PBIO_TTY_INFO && m.has_window &&
		    m.rows <= UINT16_MAX && m.columns <= UINT16_MAX) {
			out->kind = ROGER_AGENTAPI_PIO_TTY_INFO;
			out->rows = m.rows;
			out->columns = m.columns;
		}
		return 0;
	}
	return roger_err_set(err, ROGER_EINVALID,
			     "a protobuf ProcessIO record of type %u",
			     (unsigned)m.type);
}

/* A container id object: value, parent's value, grandparent's value. */
static int cid_read(struct roger_agentapi_cid *out, const json_t *j)
{
	const json_t *p = json_object_get(j, "parent");

	memset(out, 0, sizeof(*out));
	out->value = str(j, "value");
	if (!out->value || !*out->value)
		return -1;
	if (p) {
		out->parent = str(p, "value");
		if (!out->parent || !*out->parent)
			return -1;
		out->grandparent = str(json_object_get(p, "parent"), "value");
	}
	return 0;
}

/* Copy a container id's strings into the record's own buffer. */
static int cid_keep(struct roger_agentapi_pio *out,
		    const struct roger_agentapi_cid *cid)
{
	const char *parts[3] = { cid->value, cid->parent, cid->grandparent };
	const char **dest[3] = { &out->cid.value, &out->cid.parent,
				 &out->cid.grandparent };
	size_t at = 0;

	memset(&out->cid, 0, sizeof(out->cid));
	for (int i = 0; i < 3; i++) {
		size_t n;

		if (!parts[i])
			continue;
		n = strlen(parts[i]) + 1;
		if (n > 256)
			return -1;
		memcpy(out->id_buf + at, parts[i], n);
		*dest[i] = out->id_buf + at;
		at += n;
	}
	return 0;
}

int roger_agentapi_input_parse(struct roger_agentapi_pio *out,
			       struct roger_buf *data, const char *rec,
			       size_t len, char other_call[64],
			       struct roger_err *err)
{
	size_t old = data->len;
	const char *type, *itype;
	struct roger_agentapi_cid cid;
	json_t *j, *in;
	int rc = ROGER_EINVALID;

	memset(out, 0, sizeof(*out));
	other_call[0] = '\0';
	if (fast_data(out, data, rec, len, IN_HEAD OUT_HEAD, "\"}}}}") &&
	    out->stream == ROGER_AGENTAPI_STDIN)
		return 0;
	roger_buf_truncate(data, old);
	j = load(rec, len, "an ATTACH_CONTAINER_INPUT record", err);
	if (!j)
		return ROGER_EINVALID;
	type = str(j, "type");
	in = json_object_get(j, "attach_container_input");
	itype = str(in, "type");
	if (!type || strcmp(type, "ATTACH_CONTAINER_INPUT")) {
		snprintf(other_call, 64, "%s", type ? type : "UNKNOWN");
		roger_err_set(
			err, ROGER_EINVALID,
			"a record of a %s call instead of ATTACH_CONTAINER_INPUT",
			other_call);
	} else if (!json_is_object(in)) {
		roger_err_set(
			err, ROGER_EINVALID,
			"Expecting 'attach_container_input' to be present");
	} else if (itype && !strcmp(itype, "CONTAINER_ID")) {
		if (cid_read(&cid, json_object_get(in, "container_id")) < 0 ||
		    cid_keep(out, &cid) < 0) {
			roger_err_set(
				err, ROGER_EINVALID,
				"Expecting 'attach_container_input.container_id' to be a container id");
		} else {
			out->kind = ROGER_AGENTAPI_PIO_CONTAINER;
			rc = 0;
		}
	} else if (itype && !strcmp(itype, "PROCESS_IO")) {
		rc = pio_read(out, data, json_object_get(in, "process_io"),
			      true, err);
	} else {
		roger_err_set(
			err, ROGER_EINVALID,
			"Expecting 'attach_container_input.type' to be CONTAINER_ID or PROCESS_IO");
	}
	json_decref(j);
	if (rc < 0)
		roger_buf_truncate(data, old);
	return rc;
}

/* ---- calls ------------------------------------------------------------------ */

static int add_json(struct roger_buf *out, json_t *json)
{
	char *text;
	int rc;

	if (!json)
		return ROGER_ENOMEM;
	text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(json);
	if (!text)
		return ROGER_ENOMEM;
	rc = roger_buf_adds(out, text);
	free(text);
	return rc;
}

int roger_agentapi_launch_call(struct roger_buf *out,
			       const struct roger_agentapi_cid *cid,
			       char *const *argv, bool tty, const char *term,
			       unsigned rows, unsigned columns)
{
	json_t *args = json_array(), *command, *container;

	if (!args)
		return ROGER_ENOMEM;
	for (char *const *a = argv; *a; a++)
		if (json_array_append_new(args, json_string(*a)) < 0) {
			json_decref(args);
			return ROGER_ENOMEM;
		}
	command = json_pack("{s:b, s:s, s:o}", "shell", 0, "value", argv[0],
			    "arguments", args);
	container = json_pack("{s:s}", "type", "MESOS");
	if (tty && command)
		json_object_set_new(command, "environment",
				    json_pack("{s:[{s:s, s:s, s:s}]}",
					      "variables", "name", "TERM",
					      "type", "VALUE", "value",
					      term && *term ? term : "xterm"));
	if (tty && container)
		json_object_set_new(container, "tty_info",
				    rows && columns
					    ? json_pack("{s:{s:i, s:i}}",
							"window_size", "rows",
							(int)rows, "columns",
							(int)columns)
					    : json_object());
	return add_json(out, json_pack("{s:s, s:{s:o, s:o, s:o}}", "type",
				       "LAUNCH_NESTED_CONTAINER_SESSION",
				       "launch_nested_container_session",
				       "container_id", cid_json(cid), "command",
				       command, "container", container));
}

int roger_agentapi_wait_call(struct roger_buf *out,
			     const struct roger_agentapi_cid *cid, bool nested)
{
	const char *type = nested ? "WAIT_NESTED_CONTAINER" : "WAIT_CONTAINER";
	const char *key = nested ? "wait_nested_container" : "wait_container";

	return add_json(out, json_pack("{s:s, s:{s:o}}", "type", type, key,
				       "container_id", cid_json(cid)));
}

static const struct {
	const char *name;
	const char *key;
	enum roger_agentapi_call_type type;
} call_types[] = {
	{ "LAUNCH_NESTED_CONTAINER_SESSION", "launch_nested_container_session",
	  ROGER_AGENTAPI_CALL_LAUNCH_SESSION },
	{ "ATTACH_CONTAINER_INPUT", "attach_container_input",
	  ROGER_AGENTAPI_CALL_ATTACH_INPUT },
	{ "ATTACH_CONTAINER_OUTPUT", "attach_container_output",
	  ROGER_AGENTAPI_CALL_ATTACH_OUTPUT },
	{ "WAIT_CONTAINER", "wait_container", ROGER_AGENTAPI_CALL_WAIT },
	{ "WAIT_NESTED_CONTAINER", "wait_nested_container",
	  ROGER_AGENTAPI_CALL_WAIT_NESTED },
};

void roger_agentapi_call_release(struct roger_agentapi_call *c)
{
	if (!c)
		return;
	free(c->arguments);
	for (char **e = c->env; e && *e; e++)
		free(*e);
	free(c->env);
	json_decref(c->json);
	memset(c, 0, sizeof(*c));
}

static int invalid(struct roger_err *err, const char *what)
{
	return roger_err_set(err, ROGER_EINVALID,
			     "Failed to validate agent::Call: %s", what);
}

/* The command and container of a LAUNCH_NESTED_CONTAINER_SESSION. */
static int launch_read(struct roger_agentapi_call *c, const json_t *l,
		       struct roger_err *err)
{
	const json_t *cmd = json_object_get(l, "command");
	const json_t *args = json_object_get(cmd, "arguments");
	const json_t *vars = json_object_get(
		json_object_get(cmd, "environment"), "variables");
	const json_t *ctr = json_object_get(l, "container");
	const json_t *tty = json_object_get(ctr, "tty_info");
	const json_t *v;
	size_t i, n = 0;

	if (!c->cid.parent)
		return invalid(
			err,
			"Expecting 'launch_nested_container_session.container_id.parent' to be present");
	if (!json_is_object(cmd))
		return invalid(
			err,
			"Expecting 'launch_nested_container_session.command' to be present");
	c->shell = json_is_true(json_object_get(cmd, "shell"));
	c->value = str(cmd, "value");
	c->user = str(cmd, "user");
	if ((args && !json_is_array(args)) || (vars && !json_is_array(vars)))
		return invalid(
			err,
			"Expecting 'command.arguments' and 'command.environment.variables' to be arrays");
	c->arguments = calloc(json_array_size(args) + 1, sizeof(char *));
	c->env = calloc(json_array_size(vars) + 1, sizeof(char *));
	if (!c->arguments || !c->env)
		return nomem(err);
	json_array_foreach(args, i, v) {
		if (!json_is_string(v))
			return invalid(
				err,
				"Expecting 'command.arguments' to hold strings");
		c->arguments[i] = json_string_value(v);
	}
	json_array_foreach(vars, i, v) {
		const char *name = str(v, "name"), *value = str(v, "value");
		const char *type = str(v, "type");

		if (!name || !*name || strchr(name, '=') ||
		    (type && strcmp(type, "VALUE")) || !value)
			return invalid(
				err,
				"Expecting each 'command.environment.variables' entry to have a 'name' and a 'value'");
		if (asprintf(&c->env[n], "%s=%s", name, value) < 0) {
			c->env[n] = NULL;
			return nomem(err);
		}
		n++;
	}
	if (!c->value && !c->arguments[0])
		return invalid(err, "Expecting 'command.value' to be present");
	if (c->shell && !c->value)
		return invalid(err,
			       "Shell specified but no command value provided");
	if (tty) {
		const json_t *ws = json_object_get(tty, "window_size");
		int64_t rows = 0, cols = 0;

		c->tty = true;
		if (ws && (!roger_json_int(json_object_get(ws, "rows"), 0,
					   UINT16_MAX, &rows) ||
			   !roger_json_int(json_object_get(ws, "columns"), 0,
					   UINT16_MAX, &cols)))
			return invalid(
				err,
				"Expecting 'tty_info.window_size' to have 'rows' and 'columns'");
		c->rows = (unsigned)rows;
		c->columns = (unsigned)cols;
	}
	return 0;
}

int roger_agentapi_call_parse(struct roger_agentapi_call *out, const char *body,
			      size_t len, struct roger_err *err)
{
	struct roger_agentapi_call c;
	json_error_t jerr;
	const json_t *sub = NULL;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	c.json = json_loadb(body, len, 0, &jerr);
	if (!c.json)
		return roger_err_set(err, ROGER_EINVALID,
				     "Failed to parse body into JSON: %s",
				     jerr.text);
	if (!json_is_object(c.json) || !(c.type_name = str(c.json, "type"))) {
		rc = invalid(err, "Expecting 'type' to be present");
		goto out;
	}
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(call_types); i++) {
		if (strcmp(c.type_name, call_types[i].name))
			continue;
		c.type = call_types[i].type;
		sub = json_object_get(c.json, call_types[i].key);
		if (!json_is_object(sub)) {
			char what[128];

			snprintf(what, sizeof(what),
				 "Expecting '%s' to be present",
				 call_types[i].key);
			rc = invalid(err, what);
			goto out;
		}
	}
	if (c.type == ROGER_AGENTAPI_CALL_OTHER ||
	    c.type == ROGER_AGENTAPI_CALL_ATTACH_INPUT)
		goto out;
	if (cid_read(&c.cid, json_object_get(sub, "container_id")) < 0) {
		rc = invalid(
			err,
			"Expecting 'container_id' to be a container id with a 'value'");
		goto out;
	}
	if (c.type == ROGER_AGENTAPI_CALL_LAUNCH_SESSION &&
	    (rc = launch_read(&c, sub, err)) < 0)
		goto out;
out:
	if (rc < 0) {
		roger_agentapi_call_release(&c);
		return rc;
	}
	*out = c;
	return 0;
}

/* ---- exit status ------------------------------------------------------------ */

int roger_agentapi_wait_response(struct roger_buf *out, bool nested,
				 int wait_status)
{
	return add_json(
		out,
		json_pack("{s:s, s:{s:i}}", "type",
			  nested ? "WAIT_NESTED_CONTAINER" : "WAIT_CONTAINER",
			  nested ? "wait_nested_container" : "wait_container",
			  "exit_status", wait_status));
}

int roger_agentapi_wait_parse(int *status, bool *has_status, const char *body,
			      size_t len, struct roger_err *err)
{
	json_t *j = load(body, len, "the answer to WAIT_CONTAINER", err);
	json_t *w, *st;
	int64_t v;

	if (!j)
		return ROGER_EINVALID;
	w = json_object_get(j, "wait_container");
	if (!w)
		w = json_object_get(j, "wait_nested_container");
	if (!json_is_object(w)) {
		json_decref(j);
		return roger_err_set(
			err, ROGER_EINVALID,
			"the answer to WAIT_CONTAINER has no 'wait_container'");
	}
	st = json_object_get(w, "exit_status");
	if (st && !roger_json_int(st, INT32_MIN, INT32_MAX, &v)) {
		json_decref(j);
		return roger_err_set(
			err, ROGER_EINVALID,
			"the answer to WAIT_CONTAINER has an 'exit_status' that is not a whole number");
	}
	*has_status = st != NULL;
	*status = st ? (int)v : 0;
	json_decref(j);
	return 0;
}

int roger_agentapi_exit_code(int wait_status)
{
	int sig = wait_status & 0x7f;

	if (sig > 0)
		return 128 + sig;
	return (wait_status >> 8) & 0xff;
}
