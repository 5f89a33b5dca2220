/*
 * fuzz_recordio.c - the RecordIO decoder (lib/recordio.c) of the agent
 * operator API's streams, fed the way a connection delivers bytes: the
 * input cut into pieces of sizes it picks, every whole record checked
 * against the same bytes decoded in one piece, and each record read as
 * a ProcessIO output record as `roger exec` reads it.
 *
 * Input: the first byte seeds the piece sizes (1 to 64 bytes; 0 feeds the
 * rest in one piece), the rest is the stream.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/agentapi.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/recordio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small, so that the fuzzer reaches the limit. */
#define MAX_RECORD 4096

/* Decode `len` bytes in pieces; every record's bytes appended to `all`,
 * each preceded by its length.  Returns the decoder's last result. */
static int decode(struct roger_buf *all, const char *p, size_t len,
		  unsigned seed)
{
	struct roger_recordio_dec dec;
	struct roger_buf out = ROGER_BUF_INIT;
	struct roger_agentapi_pio pio;
	size_t off = 0;
	int rc = 0;

	roger_recordio_dec_init(&dec, MAX_RECORD);
	while (off < len && rc >= 0) {
		size_t n = seed ? 1 + (seed + off * 7) % 64 : len - off;
		const char *piece = p + off;

		if (n > len - off)
			n = len - off;
		off += n;
		while (n > 0) {
			const char *rec;
			size_t used = 0, rec_len = 0;

			rc = roger_recordio_next(&dec, piece, n, &used, &rec,
						 &rec_len, NULL);
			if (rc < 0)
				break;
			if (used > n)
				abort();
			piece += used;
			n -= used;
			if (rc == 0) {
				if (n != 0)
					abort(); /* 0 takes every byte */
				break;
			}
			if (rec_len > MAX_RECORD)
				abort();
			roger_buf_addf(all, "%zu:", rec_len);
			roger_buf_add(all, rec, rec_len);
			roger_buf_reset(&out);
			(void)roger_agentapi_output_parse(&pio, &out, rec,
							  rec_len, NULL);
		}
	}
	if (rc >= 0)
		roger_buf_addf(all, "|%d", roger_recordio_dec_partial(&dec));
	roger_buf_release(&out);
	roger_recordio_dec_release(&dec);
	return rc < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_buf pieces = ROGER_BUF_INIT, whole = ROGER_BUF_INIT;
	int a, b;

	if (size < 1)
		return 0;
	a = decode(&pieces, (const char *)data + 1, size - 1, data[0]);
	b = decode(&whole, (const char *)data + 1, size - 1, 0);
	/* The pieces change nothing: the same records, the same verdict. */
	if (a != b || (a == 0 && (pieces.len != whole.len ||
				  memcmp(pieces.buf, whole.buf, whole.len))))
		abort();
	roger_buf_release(&pieces);
	roger_buf_release(&whole);
	return 0;
}
