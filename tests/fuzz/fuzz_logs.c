/*
 * fuzz_logs.c - what `roger logs` does with the bytes of a task's sandbox
 * files (lib/logs.c), which the task wrote and Mesos returns as they are:
 * the line splitter fed in chunks (with a small line limit, so that long
 * lines are cut), the start of the last lines of a tail, each line as
 * JSON (-o json, with and without its time), where bytes that are not
 * UTF-8 must not pass through, and the lines Mesos wrote at the start of
 * the file (roger_logs_mesos_preamble: whole lines, within the file).
 *
 * Input: the first byte seeds the chunk sizes and the tail length, the
 * rest is the file.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_line(void *data, const char *text, size_t len, bool partial,
		   struct roger_err *err)
{
	struct roger_buf *json = data;
	json_t *back;

	(void)partial;
	(void)err;
	roger_buf_reset(json);
	if (roger_logs_json_line(
		    json,
		    "web.instance-b6ff5fa5-7714-11e7-a55c-5ecf1c4671f6._app.1",
		    "stdout", text, len) < 0)
		return 0;
	/* What -o json prints must read back as JSON. */
	back = json_loadb(json->buf, json->len, JSON_ALLOW_NUL, NULL);
	if (!back)
		abort();
	json_decref(back);
	roger_buf_reset(json);
	if (roger_logs_json_line_at(json, "t", "stderr", (int64_t)len * 1000003,
				    text, len) < 0)
		return 0;
	back = json_loadb(json->buf, json->len, JSON_ALLOW_NUL, NULL);
	if (!back || !json_is_string(json_object_get(back, "time")))
		abort();
	json_decref(back);
	(void)roger_logs_mesos_line(text, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_logs_splitter s;
	struct roger_buf json = ROGER_BUF_INIT;
	const char *file = (const char *)data + 1;
	size_t len, off = 0;
	unsigned seed;
	long start;
	size_t pre;

	if (size < 1)
		return 0;
	seed = data[0];
	len = size - 1;
	roger_logs_splitter_init(&s);
	s.max_line = 64;
	while (off < len) {
		size_t n = 1 + (seed + off) % 97;

		if (n > len - off)
			n = len - off;
		if (roger_logs_splitter_feed(&s, file + off, n, on_line, &json,
					     NULL) != 0)
			break;
		off += n;
	}
	roger_logs_splitter_finish(&s, on_line, &json, NULL);
	roger_logs_splitter_release(&s);
	start = roger_logs_tail_start(file, len, seed % 16, seed & 1);
	if (start < -1 || start > (long)len)
		abort();
	pre = roger_logs_mesos_preamble(file, len);
	/* whole lines only: nothing, or up to a newline */
	if (pre > len || (pre > 0 && file[pre - 1] != '\n'))
		abort();
	roger_buf_release(&json);
	return 0;
}
