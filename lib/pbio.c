/*
 * pbio.c - ProcessIO in protobuf's wire format (see pbio.h).
 *
 * A protobuf message is a sequence of fields, each a varint key (field
 * number << 3 | wire type) and a value: a varint (type 0), 8 bytes (1),
 * a varint length and that many bytes (2: strings, bytes, nested
 * messages), or 4 bytes (5).  Types 3 and 4 (groups) are obsolete and
 * ProcessIO has none, so they are refused.  A nested message that occurs
 * twice is merged, and a scalar that occurs twice keeps the last value,
 * as protobuf reads them.
 */
#include <config.h>

#include <string.h>

#include "pbio.h"

/* A cursor over a message's bytes. */
struct cur {
	const uint8_t *p, *end;
	const char *why;
};

static bool varint(struct cur *c, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (c->p == c->end) {
			c->why = "a varint cut short";
			return false;
		}
		b = *c->p++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	c->why = "a varint longer than 10 bytes";
	return false;
}

/* One field: its number and wire type; for type 2 its bytes in *sub,
 * for type 0 its value in *v; types 1 and 5 are skipped. */
static bool field(struct cur *c, uint32_t *num, unsigned *wt, uint64_t *v,
		  struct cur *sub)
{
	uint64_t key, len;

	if (!varint(c, &key))
		return false;
	*num = (uint32_t)(key >> 3);
	*wt = (unsigned)(key & 7);
	if (key >> 3 == 0 || key >> 3 > 0x1fffffff) {
		c->why = "a field number out of range";
		return false;
	}
	switch (*wt) {
	case 0:
		return varint(c, v);
	case 1:
	case 5:
		len = *wt == 1 ? 8 : 4;
		break;
	case 2:
		if (!varint(c, &len))
			return false;
		break;
	default:
		c->why = "a group or an unknown wire type";
		return false;
	}
	if (len > (uint64_t)(c->end - c->p)) {
		c->why = "a field longer than its message";
		return false;
	}
	sub->p = c->p;
	sub->end = c->p + len;
	sub->why = NULL;
	c->p += len;
	return true;
}

/* Read message `c` calling `fn` for each field; false on an error. */
typedef bool (*field_fn)(struct roger_pbio *out, uint32_t num, unsigned wt,
			 uint64_t v, struct cur *sub);

static bool message(struct roger_pbio *out, struct cur *c, field_fn fn)
{
	while (c->p < c->end) {
		struct cur sub = { NULL, NULL, NULL };
		uint32_t num;
		unsigned wt;
		uint64_t v = 0;

		if (!field(c, &num, &wt, &v, &sub))
			return false;
		if (!fn(out, num, wt, v, &sub)) {
			c->why = sub.why;
			return false;
		}
	}
	return true;
}

static bool duration_field(struct roger_pbio *out, uint32_t num, unsigned wt,
			   uint64_t v, struct cur *sub)
{
	(void)sub;
	if (num == 1 && wt == 0)
		out->heartbeat_ns = (int64_t)v;
	return true;
}

static bool heartbeat_field(struct roger_pbio *out, uint32_t num, unsigned wt,
			    uint64_t v, struct cur *sub)
{
	(void)v;
	if (num == 1 && wt == 2)
		return message(out, sub, duration_field);
	return true;
}

static bool window_field(struct roger_pbio *out, uint32_t num, unsigned wt,
			 uint64_t v, struct cur *sub)
{
	(void)sub;
	if (num == 1 && wt == 0)
		out->rows = (uint32_t)v;
	else if (num == 2 && wt == 0)
		out->columns = (uint32_t)v;
	return true;
}

static bool tty_field(struct roger_pbio *out, uint32_t num, unsigned wt,
		      uint64_t v, struct cur *sub)
{
	(void)v;
	if (num == 1 && wt == 2) {
		out->has_window = true;
		return message(out, sub, window_field);
	}
	return true;
}

static bool data_field(struct roger_pbio *out, uint32_t num, unsigned wt,
		       uint64_t v, struct cur *sub)
{
	if (num == 1 && wt == 0) {
		out->data_type = (uint32_t)v;
	} else if (num == 2 && wt == 2) {
		out->data = sub->p;
		out->data_len = (size_t)(sub->end - sub->p);
	}
	return true;
}

/*
 * A field of the two messages shaped as a union, a type (1) and one
 * message per type (2, 3): ProcessIO (DATA, CONTROL) and Control
 * (TTY_INFO, HEARTBEAT).
 */
static bool union_field(struct roger_pbio *out, uint32_t *type, field_fn two,
			field_fn three, uint32_t num, unsigned wt, uint64_t v,
			struct cur *sub)
{
	if (num == 1 && wt == 0)
		*type = (uint32_t)v;
	else if (num == 2 && wt == 2)
		return message(out, sub, two);
	else if (num == 3 && wt == 2)
		return message(out, sub, three);
	return true;
}

static bool control_field(struct roger_pbio *out, uint32_t num, unsigned wt,
			  uint64_t v, struct cur *sub)
{
	return union_field(out, &out->control_type, tty_field, heartbeat_field,
			   num, wt, v, sub);
}

static bool top_field(struct roger_pbio *out, uint32_t num, unsigned wt,
		      uint64_t v, struct cur *sub)
{
	return union_field(out, &out->type, data_field, control_field, num, wt,
			   v, sub);
}

int roger_pbio_decode(struct roger_pbio *out, const void *rec, size_t len,
		      const char **why)
{
	struct cur c;

	memset(out, 0, sizeof(*out));
	c.p = rec;
	c.end = c.p + len;
	c.why = NULL;
	if (len > 0 && !message(out, &c, top_field)) {
		if (why)
			*why = c.why ? c.why : "an invalid message";
		return -1;
	}
	return 0;
}

/* ---- writing ------------------------------------------------------------------ */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

size_t roger_pbio_data_head(uint8_t *head, uint32_t data_type, size_t len)
{
	/* Data: type (2 bytes), the bytes' tag, length and the bytes */
	uint64_t data_msg = 2 + 1 + varint_len(len) + (uint64_t)len;
	size_t n = 0;

	head[n++] = 0x08; /* ProcessIO.type, varint */
	head[n++] = ROGER_PBIO_DATA;
	head[n++] = 0x12; /* ProcessIO.data, length-delimited */
	n += put_varint(head + n, data_msg);
	head[n++] = 0x08; /* Data.type */
	head[n++] = (uint8_t)data_type;
	head[n++] = 0x12; /* Data.data */
	n += put_varint(head + n, len);
	return n;
}

/* Append ProcessIO CONTROL with the Control message's body `ctl`. */
static int add_control(struct roger_buf *out, const uint8_t *ctl, size_t n)
{
	uint8_t head[16];
	size_t h = 0;

	head[h++] = 0x08;
	head[h++] = ROGER_PBIO_CONTROL;
	head[h++] = 0x1a; /* ProcessIO.control */
	h += put_varint(head + h, n);
	if (roger_buf_add(out, head, h) < 0 || roger_buf_add(out, ctl, n) < 0)
		return -1;
	return 0;
}

int roger_pbio_heartbeat(struct roger_buf *out, int64_t interval_ns)
{
	uint8_t ctl[32];
	size_t n = 0, d = varint_len((uint64_t)interval_ns);

	ctl[n++] = 0x08;
	ctl[n++] = ROGER_PBIO_HEARTBEAT;
	ctl[n++] = 0x1a; /* Control.heartbeat */
	ctl[n++] = (uint8_t)(2 + 1 + d); /* Heartbeat: interval */
	ctl[n++] = 0x0a; /* Heartbeat.interval */
	ctl[n++] = (uint8_t)(1 + d); /* DurationInfo */
	ctl[n++] = 0x08; /* DurationInfo.nanoseconds */
	n += put_varint(ctl + n, (uint64_t)interval_ns);
	return add_control(out, ctl, n);
}

int roger_pbio_tty_info(struct roger_buf *out, uint32_t rows, uint32_t columns)
{
	uint8_t ctl[32];
	size_t n = 0, w = 2 + varint_len(rows) + varint_len(columns);

	ctl[n++] = 0x08;
	ctl[n++] = ROGER_PBIO_TTY_INFO;
	ctl[n++] = 0x12; /* Control.tty_info */
	ctl[n++] = (uint8_t)(2 + w); /* TTYInfo: window_size */
	ctl[n++] = 0x0a; /* TTYInfo.window_size */
	ctl[n++] = (uint8_t)w;
	ctl[n++] = 0x08; /* rows */
	n += put_varint(ctl + n, rows);
	ctl[n++] = 0x10; /* columns */
	n += put_varint(ctl + n, columns);
	return add_control(out, ctl, n);
}
