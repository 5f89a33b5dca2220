/*
 * gz.h - a parallel, deterministic gzip writer (internal to libroger).
 *
 * The input is cut into blocks at fixed byte offsets; worker threads
 * deflate the blocks independently, each primed with the last 32 KiB of
 * the block before it, and the results are concatenated in order into one
 * gzip member whose CRC-32 is combined from the blocks'.  The output
 * depends on the input bytes and the level only: never on the number of
 * threads or on their timing.
 */
#ifndef ROGER_GZ_H
#define ROGER_GZ_H

#include <stddef.h>
#include <stdint.h>

struct roger_err;
struct roger_gz;

/* Receives the compressed stream in order; returns 0 or a roger_error. */
typedef int (*roger_gz_write_fn)(void *data, const void *buf, size_t len,
				 struct roger_err *err);

/*
 * A new writer at zlib `level` (1-9) with `threads` workers (0: one per
 * online processor).  The gzip header (no name, no time) is written at
 * the first write or at the finish.
 */
int roger_gz_new(struct roger_gz **out, int level, int threads,
		 roger_gz_write_fn fn, void *data, struct roger_err *err);
int roger_gz_write(struct roger_gz *gz, const void *buf, size_t len,
		   struct roger_err *err);
/* Flush every block and write the trailer.  Call once, before free. */
int roger_gz_finish(struct roger_gz *gz, struct roger_err *err);
/* Stop the workers and free everything (an unfinished stream is dropped). */
void roger_gz_free(struct roger_gz *gz);

/* Bytes given to roger_gz_write so far. */
uint64_t roger_gz_total_in(const struct roger_gz *gz);

#endif
