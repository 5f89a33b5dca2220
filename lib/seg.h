/*
 * seg.h - the artifact's gzip stream as a row of segments (internal to
 * libroger).
 *
 * A segment is the compressed form of a run of consecutive tar entries,
 * made without any reference to what comes before it: raw deflate blocks
 * ending byte-aligned and not final (a sync flush).  Segments placed one
 * after the other between a gzip header and a final empty block form one
 * valid gzip member, whose CRC-32 and size are combined from the
 * segments'.  So a segment whose entries did not change since an earlier
 * build is copied from that build's artifact instead of compressed again,
 * and the bytes are the same either way: they depend on the run's entries
 * and the compressor only.
 *
 * Each artifact has a segment index beside it (<sha256>.idx, JSON) that
 * says where its segments are and what they hold; roger_seg_table loads
 * the indexes of recent artifacts so that a build finds its reusable
 * segments by key.
 */
#ifndef ROGER_SEG_H
#define ROGER_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_t;

struct roger_err;
struct roger_seg;
struct roger_seg_table;

/* Input bytes compressed as one independent piece (a run is cut there). */
#define ROGER_SEG_CHUNK (256 * 1024)

typedef int (*roger_seg_write_fn)(void *data, const void *buf, size_t len,
				  struct roger_err *err);

/* One segment of an artifact. */
struct roger_seg_info {
	unsigned char key[32]; /* what the run holds (see pack-walk.c) */
	uint64_t offset; /* of its first byte in the artifact */
	uint64_t clen; /* compressed bytes */
	uint64_t ulen; /* tar bytes */
	uint32_t crc; /* CRC-32 of the tar bytes */
	uint64_t files; /* regular files and symbolic links */
	char **lfs; /* Git LFS pointer files among them */
	size_t n_lfs;
};

/* What an artifact is made of. */
struct roger_seg_index {
	char *compressor; /* roger_seg_compressor() when it was made */
	uint64_t size; /* of the artifact */
	struct roger_seg_info *v;
	size_t n, alloc;
};

/*
 * The compressor and its settings, as part of the identity of the bytes
 * ("libdeflate 1.14 level 5", "zlib 1.2.13 level 5"): artifacts are the
 * same only when made with the same one.
 */
const char *roger_seg_compressor(void);

void roger_seg_index_release(struct roger_seg_index *idx);

/*
 * Parse the text of a segment index.  ROGER_EINVALID (with what is wrong)
 * unless it is one: format, compressor, size, and segments that follow
 * each other from offset 10 (after the gzip header) without gaps or
 * overlaps and end before the size, each with a 64-hex-digit key.
 */
int roger_seg_index_parse(struct roger_seg_index *out, const char *text,
			  size_t len, struct roger_err *err);

/* roger_seg_index_parse() of a document parsed already. */
int roger_seg_index_from_json(struct roger_seg_index *out,
			      const struct json_t *doc, struct roger_err *err);

/* The text of a segment index, a new string (NULL: out of memory). */
char *roger_seg_index_dump(const struct roger_seg_index *idx);

/* The document of a segment index, a new reference (NULL: out of memory). */
struct json_t *roger_seg_index_to_json(const struct roger_seg_index *idx);

/* ---- reusable segments --------------------------------------------------- */

int roger_seg_table_new(struct roger_seg_table **out, struct roger_err *err);
void roger_seg_table_free(struct roger_seg_table *t);

/*
 * Offer the segments of the artifact at `path`, described by `idx` (whose
 * contents the table takes, leaving it empty).  The file is opened now
 * and read when a segment is copied.  The caller vouches for the file
 * (its digest, or the cache index's stat): segments are copied as they
 * are.  An index of another compressor is ignored.
 */
int roger_seg_table_add(struct roger_seg_table *t, const char *path,
			struct roger_seg_index *idx, struct roger_err *err);

/* The segment with `key`, or NULL (borrowed, valid while `t` lives). */
const struct roger_seg_info *
roger_seg_table_find(const struct roger_seg_table *t, const unsigned char *key);

/* ---- writing ------------------------------------------------------------- */

/*
 * A writer with `threads` compression workers (0: one per online
 * processor) beside the calling thread, which also compresses when the
 * workers are behind.  The output is the same whatever their number.
 */
int roger_seg_new(struct roger_seg **out, int threads, roger_seg_write_fn fn,
		  void *data, struct roger_err *err);
void roger_seg_free(struct roger_seg *s);

/* Start a new segment with `key`; the bytes that follow belong to it. */
int roger_seg_begin(struct roger_seg *s, const unsigned char *key,
		    struct roger_err *err);
int roger_seg_write(struct roger_seg *s, const void *buf, size_t len,
		    struct roger_err *err);
/*
 * End the segment begun, recording its file count and LFS pointers
 * (copied).
 */
int roger_seg_end(struct roger_seg *s, uint64_t files, char *const *lfs,
		  size_t n_lfs, struct roger_err *err);
/* A whole segment copied from the table (between two segments). */
int roger_seg_copy(struct roger_seg *s, const struct roger_seg_table *t,
		   const struct roger_seg_info *info, struct roger_err *err);
/*
 * Write the end of the stream and move what it is made of into *index
 * (segments, size, compressor).  Call once.
 */
int roger_seg_finish(struct roger_seg *s, struct roger_seg_index *index,
		     struct roger_err *err);

/* Tar bytes taken so far (written and copied). */
uint64_t roger_seg_total_in(const struct roger_seg *s);

/*
 * Make the complete raw deflate stream buf[0, *len) (one that ends with a
 * final block, as libdeflate writes it) into a segment: the final bit of
 * its last block cleared and an empty stored block appended, so that it
 * ends byte-aligned and what follows it continues the stream.  `cap`
 * must leave 5 bytes of room; `ulen` is its uncompressed size.  Returns 0,
 * or -1 when it is not a valid stream of that size.
 */
int roger_seg_unfinal(unsigned char *buf, size_t *len, size_t cap, size_t ulen);

#endif
