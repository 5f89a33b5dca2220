/*
 * fuzz_processio_pb.c - ProcessIO in protobuf's wire format (lib/pbio.c)
 * as `roger exec` reads an output record: the input is one record.  What
 * is read must lie inside the input (the DATA bytes are a pointer into
 * it), the exec reader must agree with the decoder, and what was read,
 * written again by roger local's writers, must read back the same.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/agentapi.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/pbio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes of the one RecordIO record in `b`, its prefix checked. */
static const char *unframe(const struct roger_buf *b, size_t *len)
{
	const char *nl = memchr(b->buf, '\n', b->len);

	if (!nl ||
	    strtoull(b->buf, NULL, 10) !=
		    (unsigned long long)(b->len - (size_t)(nl + 1 - b->buf)))
		abort();
	*len = b->len - (size_t)(nl + 1 - b->buf);
	return nl + 1;
}

/* A DATA record written again reads back as the same bytes. */
static void data_again(const struct roger_agentapi_pio *pio, const char *bytes,
		       size_t n)
{
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_agentapi_pio again;
	const char *rec, *d;
	size_t len, m;

	if (roger_agentapi_output_record(&b, ROGER_AGENTAPI_PROTOBUF,
					 pio->stream, bytes, n) < 0)
		abort();
	rec = unframe(&b, &len);
	if (roger_agentapi_output_parse_pb(&again, &d, &m, rec, len, NULL) <
		    0 ||
	    again.kind != ROGER_AGENTAPI_PIO_DATA ||
	    again.stream != pio->stream || m != n || (n && memcmp(d, bytes, n)))
		abort();
	roger_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *bytes = NULL, *why = NULL;
	struct roger_agentapi_pio pio;
	struct roger_pbio m, again;
	struct roger_buf b = ROGER_BUF_INIT;
	size_t n = 0;
	int dec, rc;

	dec = roger_pbio_decode(&m, data, size, &why);
	if (dec < 0 && (!why || !*why))
		abort();
	if (dec == 0 && m.data &&
	    (m.data < data || m.data_len > size ||
	     (size_t)(m.data - data) > size - m.data_len))
		abort();
	rc = roger_agentapi_output_parse_pb(&pio, &bytes, &n, in, size, NULL);
	if (dec < 0 && rc != ROGER_EINVALID)
		abort();
	if (rc == 0 && pio.kind == ROGER_AGENTAPI_PIO_DATA) {
		if (n && (bytes != (const char *)m.data || n != m.data_len))
			abort();
		data_again(&pio, bytes, n);
	}
	if (dec == 0 && m.type == ROGER_PBIO_CONTROL) {
		/* the controls roger local writes read back the same */
		if (m.control_type == ROGER_PBIO_HEARTBEAT) {
			if (roger_pbio_heartbeat(&b, m.heartbeat_ns) < 0 ||
			    roger_pbio_decode(&again, b.buf, b.len, NULL) < 0 ||
			    again.heartbeat_ns != m.heartbeat_ns)
				abort();
		} else if (m.control_type == ROGER_PBIO_TTY_INFO) {
			if (roger_pbio_tty_info(&b, m.rows, m.columns) < 0 ||
			    roger_pbio_decode(&again, b.buf, b.len, NULL) < 0 ||
			    again.rows != m.rows || again.columns != m.columns)
				abort();
		}
	}
	roger_buf_release(&b);
	return 0;
}
