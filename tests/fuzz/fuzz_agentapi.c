/*
 * fuzz_agentapi.c - the agent operator API v1 messages (lib/agentapi.c)
 * on the same bytes, from both sides: roger local reading a call (the
 * body of POST /api/v1) and an input record of ATTACH_CONTAINER_INPUT;
 * `roger exec` reading an output record (ProcessIO) and the answer to
 * WAIT_CONTAINER.  What a call names is written back as the client writes
 * its own calls, and read again.
 *
 * Input: the message.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/agentapi.h"
#include "lib/buf.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A launch call written from what `c` says reads back the same. */
static void round_trip(const struct roger_agentapi_call *c)
{
	struct roger_agentapi_call again;
	struct roger_buf out = ROGER_BUF_INIT;
	char *argv[9];
	size_t n = 0;

	if (c->type != ROGER_AGENTAPI_CALL_LAUNCH_SESSION || c->shell ||
	    !c->value || !c->cid.value)
		return;
	argv[n++] = (char *)c->value;
	for (size_t i = 0; c->arguments && c->arguments[i] && n < 8; i++)
		if (i > 0) /* arguments[0] is the program's own name */
			argv[n++] = (char *)c->arguments[i];
	argv[n] = NULL;
	if (roger_agentapi_launch_call(&out, &c->cid, argv, c->tty, NULL,
				       c->rows, c->columns) < 0)
		goto out;
	if (roger_agentapi_call_parse(&again, out.buf, out.len, NULL) != 0)
		abort();
	if (again.type != ROGER_AGENTAPI_CALL_LAUNCH_SESSION ||
	    strcmp(again.value, c->value) || again.tty != c->tty ||
	    (c->rows && c->columns &&
	     (again.rows != c->rows || again.columns != c->columns)))
		abort();
	roger_agentapi_call_release(&again);
out:
	roger_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct roger_agentapi_call call;
	struct roger_agentapi_pio pio;
	struct roger_buf bytes = ROGER_BUF_INIT;
	char other[64] = "";
	bool has = false;
	int status = 0;

	if (roger_agentapi_call_parse(&call, p, size, NULL) == 0) {
		round_trip(&call);
		roger_agentapi_call_release(&call);
	}
	(void)roger_agentapi_input_parse(&pio, &bytes, p, size, other, NULL);
	if (memchr(other, '\0', sizeof(other)) == NULL)
		abort();
	roger_buf_reset(&bytes);
	(void)roger_agentapi_output_parse(&pio, &bytes, p, size, NULL);
	if (roger_agentapi_wait_parse(&status, &has, p, size, NULL) == 0 && has)
		(void)roger_agentapi_exit_code(status);
	roger_buf_release(&bytes);
	return 0;
}
