/*
 * seg.c - the segmented gzip writer, segment indexes and the table of
 * reusable segments.
 *
 * Design.  The writer is a ring of jobs written out strictly in order, as
 * in pigz.  A job is a chunk of at most ROGER_SEG_CHUNK input bytes of one
 * segment, compressed on its own (no preset dictionary: a segment must not
 * depend on what precedes it, and a chunk must not depend on the number
 * of threads), or a segment copied whole from an earlier artifact.  Worker
 * threads compress chunks; the calling thread fills them, writes finished
 * jobs out, and compresses waiting chunks itself when the ring is full.
 *
 * With zlib, a chunk is raw deflate ending in Z_SYNC_FLUSH, which leaves
 * it byte-aligned and not final.  libdeflate (about twice as fast at the
 * same ratio) only writes complete streams: its output is then made into
 * a segment by roger_seg_unfinal(), which finds the last block by walking
 * the block boundaries with zlib's inflate (Z_BLOCK), clears that block's
 * final bit and appends the empty stored block a sync flush would have
 * written.  That walk costs about a tenth of the compression.
 *
 * The stream ends with an empty final block (fixed Huffman: 03 00) and
 * the trailer, whose CRC-32 is combined from the chunks' with
 * crc32_combine() and whose size counts every input byte.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>
#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "err.h"
#include "seg.h"

/*
 * The deflate level of artifacts: part of their identity, like the format.
 * 5 rather than the customary 6: with libdeflate, on a git.git-sized tree,
 * it takes about 27% less processor time for 1.4% more bytes, which is
 * what brings a cold build to a third of the time of `git archive` on two
 * processors (at 6 the work alone is already 0.63 of git archive's).
 */
#define LEVEL 5
#define MAX_THREADS 64
#define INDEX_FORMAT "roger-segments-1"
#define GZ_HEADER_LEN 10

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

static char compressor_name[64];
static pthread_once_t compressor_once = PTHREAD_ONCE_INIT;

static void compressor_init(void)
{
#ifdef HAVE_LIBDEFLATE
	snprintf(compressor_name, sizeof(compressor_name),
		 "libdeflate %s level %d", LIBDEFLATE_VERSION_STRING, LEVEL);
#else
	snprintf(compressor_name, sizeof(compressor_name), "zlib %s level %d",
		 zlibVersion(), LEVEL);
#endif
}

const char *roger_seg_compressor(void)
{
	pthread_once(&compressor_once, compressor_init);
	return compressor_name;
}

/* ---- making a libdeflate stream a segment -------------------------------- */

/* roger_seg_unfinal() with a raw inflate stream of the caller's (reset). */
static int unfinal(z_stream *zs, unsigned char *buf, size_t *len, size_t cap,
		   size_t ulen)
{
	unsigned char out[16384];
	uint64_t last = 0, seen = 0;
	size_t end_bits = 8;
	int zrc;

	if (inflateReset(zs) != Z_OK)
		return -1;
	zs->next_in = buf;
	zs->avail_in = (uInt)*len;
	for (;;) {
		zs->next_out = out;
		zs->avail_out = sizeof(out);
		zrc = inflate(zs, Z_BLOCK);
		seen += sizeof(out) - zs->avail_out;
		if (zrc == Z_STREAM_END)
			break;
		if (zrc != Z_OK && !(zrc == Z_BUF_ERROR && zs->avail_out == 0))
			return -1;
		/*
		 * Just after an end-of-block code: where the next block
		 * starts, or, after the final block, how many bits of its
		 * last byte are padding (dropped once the stream ends).
		 */
		if ((zs->data_type & 128) && !(zs->data_type & 64))
			last = (uint64_t)zs->total_in * 8 - (zs->data_type & 7);
		else if ((zs->data_type & 128) && (zs->data_type & 64))
			end_bits = (size_t)(zs->data_type & 7);
	}
	if (zs->avail_in != 0 || seen != ulen || zs->total_in != *len ||
	    end_bits > 7)
		return -1;
	if (*len + 5 > cap)
		return -1;
	buf[last >> 3] &= (unsigned char)~(1u << (last & 7));
	/*
	 * An empty stored block: 3 header bits (not final, type 00) in the
	 * padding when it has room, else in a byte of their own; then the
	 * alignment and LEN 0000, NLEN ffff.
	 */
	if (end_bits < 3)
		buf[(*len)++] = 0;
	buf[(*len)++] = 0;
	buf[(*len)++] = 0;
	buf[(*len)++] = 0xff;
	buf[(*len)++] = 0xff;
	return 0;
}

int roger_seg_unfinal(unsigned char *buf, size_t *len, size_t cap, size_t ulen)
{
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK)
		return -1;
	rc = unfinal(&zs, buf, len, cap, ulen);
	inflateEnd(&zs);
	return rc;
}

/* ---- segment indexes ----------------------------------------------------- */

static void info_release(struct roger_seg_info *i)
{
	for (size_t j = 0; j < i->n_lfs; j++)
		free(i->lfs[j]);
	free(i->lfs);
	i->lfs = NULL;
	i->n_lfs = 0;
}

void roger_seg_index_release(struct roger_seg_index *idx)
{
	if (!idx)
		return;
	for (size_t i = 0; i < idx->n; i++)
		info_release(&idx->v[i]);
	free(idx->v);
	free(idx->compressor);
	memset(idx, 0, sizeof(*idx));
}

static struct roger_seg_info *index_add(struct roger_seg_index *idx)
{
	if (idx->n == idx->alloc) {
		size_t na = idx->alloc ? 2 * idx->alloc : 64;
		struct roger_seg_info *v = realloc(idx->v, na * sizeof(*v));

		if (!v)
			return NULL;
		idx->v = v;
		idx->alloc = na;
	}
	memset(&idx->v[idx->n], 0, sizeof(idx->v[0]));
	return &idx->v[idx->n++];
}

static void hex(char *out, const unsigned char *md, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static int unhex(unsigned char *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

static bool uint_of(const json_t *v, uint64_t max, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* One segment: [key, offset, clen, ulen, crc, files, [lfs...]]. */
static int parse_segment(struct roger_seg_info *i, const json_t *a, uint64_t at,
			 uint64_t size, size_t n, struct roger_err *err)
{
	const char *key = json_string_value(json_array_get(a, 0));
	const json_t *lfs = json_array_get(a, 6);
	uint64_t crc = 0;

	if (!json_is_array(a) || json_array_size(a) != 7 || !key ||
	    strlen(key) != 64 || unhex(i->key, key, 32) < 0)
		return roger_err_set(
			err, ROGER_EINVALID,
			"segment %zu: expected [key, offset, clen, ulen, crc, files, lfs]",
			n);
	if (!uint_of(json_array_get(a, 1), size, &i->offset) ||
	    !uint_of(json_array_get(a, 2), size, &i->clen) ||
	    !uint_of(json_array_get(a, 3), UINT64_C(1) << 50, &i->ulen) ||
	    !uint_of(json_array_get(a, 4), UINT32_MAX, &crc) ||
	    !uint_of(json_array_get(a, 5), UINT64_C(1) << 40, &i->files) ||
	    !json_is_array(lfs))
		return roger_err_set(err, ROGER_EINVALID,
				     "segment %zu: a number out of range", n);
	i->crc = (uint32_t)crc;
	if (i->offset != at || i->clen == 0 || i->clen > size - i->offset)
		return roger_err_set(
			err, ROGER_EINVALID,
			"segment %zu: not where the one before it ends", n);
	if (json_array_size(lfs)) {
		i->lfs = calloc(json_array_size(lfs), sizeof(*i->lfs));
		if (!i->lfs)
			return nomem(err);
	}
	for (size_t j = 0; j < json_array_size(lfs); j++) {
		const char *p = json_string_value(json_array_get(lfs, j));

		if (!p)
			return roger_err_set(
				err, ROGER_EINVALID,
				"segment %zu: an LFS path is not a string", n);
		i->lfs[j] = strdup(p);
		if (!i->lfs[j])
			return nomem(err);
		i->n_lfs++;
	}
	return 0;
}

int roger_seg_index_parse(struct roger_seg_index *out, const char *text,
			  size_t len, struct roger_err *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	int rc;

	if (!doc)
		return roger_err_set(err, ROGER_EINVALID, "line %d: %s",
				     jerr.line, jerr.text);
	rc = roger_seg_index_from_json(out, doc, err);
	json_decref(doc);
	return rc;
}

int roger_seg_index_from_json(struct roger_seg_index *out, const json_t *doc,
			      struct roger_err *err)
{
	struct roger_seg_index idx = { 0 };
	const json_t *segs = json_object_get(doc, "segments");
	const char *format = json_string_value(json_object_get(doc, "format"));
	const char *comp =
		json_string_value(json_object_get(doc, "compressor"));
	uint64_t at = GZ_HEADER_LEN;
	int rc = 0;

	if (!format || strcmp(format, INDEX_FORMAT) || !comp ||
	    !json_is_array(segs) ||
	    !uint_of(json_object_get(doc, "size"), UINT64_C(1) << 50,
		     &idx.size)) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"not a %s index (format, compressor, size, segments)",
			INDEX_FORMAT);
		goto out;
	}
	idx.compressor = strdup(comp);
	if (!idx.compressor) {
		rc = nomem(err);
		goto out;
	}
	for (size_t n = 0; n < json_array_size(segs) && rc == 0; n++) {
		struct roger_seg_info *i = index_add(&idx);

		if (!i) {
			rc = nomem(err);
			break;
		}
		rc = parse_segment(i, json_array_get(segs, n), at, idx.size, n,
				   err);
		if (rc == 0)
			at = i->offset + i->clen;
	}
	if (rc == 0 && at > idx.size)
		rc = roger_err_set(err, ROGER_EINVALID,
				   "segments end after the artifact");
out:
	if (rc < 0) {
		roger_seg_index_release(&idx);
		return rc;
	}
	*out = idx;
	return 0;
}

char *roger_seg_index_dump(const struct roger_seg_index *idx)
{
	json_t *doc = roger_seg_index_to_json(idx);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	return text;
}

json_t *roger_seg_index_to_json(const struct roger_seg_index *idx)
{
	json_t *doc = json_object(), *segs = json_array();
	bool ok = doc && segs;

	for (size_t n = 0; ok && n < idx->n; n++) {
		const struct roger_seg_info *i = &idx->v[n];
		json_t *lfs = json_array();
		char key[65];

		hex(key, i->key, 32);
		for (size_t j = 0; lfs && j < i->n_lfs; j++)
			json_array_append_new(lfs, json_string(i->lfs[j]));
		ok = lfs &&
		     json_array_append_new(
			     segs,
			     json_pack("[s,I,I,I,I,I,o]", key,
				       (json_int_t)i->offset,
				       (json_int_t)i->clen, (json_int_t)i->ulen,
				       (json_int_t)i->crc, (json_int_t)i->files,
				       lfs)) == 0;
	}
	if (ok &&
	    json_object_set_new(doc, "format", json_string(INDEX_FORMAT)) ==
		    0 &&
	    json_object_set_new(doc, "compressor",
				json_string(idx->compressor)) == 0 &&
	    json_object_set_new(doc, "size",
				json_integer((json_int_t)idx->size)) == 0 &&
	    json_object_set(doc, "segments", segs) == 0) {
		json_decref(segs);
		return doc;
	}
	json_decref(segs);
	json_decref(doc);
	return NULL;
}

/* ---- the table of reusable segments -------------------------------------- */

struct table_slot {
	const struct roger_seg_info *info; /* NULL: empty */
};

struct roger_seg_table {
	struct roger_seg_index *indexes;
	int *fds;
	size_t n_indexes;
	struct table_slot *slots;
	size_t n_slots, used; /* n_slots: a power of two */
};

int roger_seg_table_new(struct roger_seg_table **out, struct roger_err *err)
{
	struct roger_seg_table *t = calloc(1, sizeof(*t));

	if (!t)
		return nomem(err);
	*out = t;
	return 0;
}

void roger_seg_table_free(struct roger_seg_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_indexes; i++) {
		roger_seg_index_release(&t->indexes[i]);
		close(t->fds[i]);
	}
	free(t->indexes);
	free(t->fds);
	free(t->slots);
	free(t);
}

static size_t slot_of(const unsigned char *key, size_t n_slots)
{
	uint64_t h;

	memcpy(&h, key, sizeof(h)); /* a SHA-256: already well mixed */
	return (size_t)(h & (n_slots - 1));
}

static void table_put(struct table_slot *slots, size_t n_slots,
		      const struct roger_seg_info *info)
{
	size_t i = slot_of(info->key, n_slots);

	while (slots[i].info) {
		if (!memcmp(slots[i].info->key, info->key, 32))
			return; /* the first offered stays */
		i = (i + 1) & (n_slots - 1);
	}
	slots[i].info = info;
}

/* Room for `want` segments at half load; the caller fills the slots. */
static int table_grow(struct roger_seg_table *t, size_t want,
		      struct roger_err *err)
{
	size_t n = t->n_slots ? t->n_slots : 256;
	struct table_slot *slots;

	while (n < 2 * want)
		n *= 2;
	if (n == t->n_slots)
		return 0;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return nomem(err);
	free(t->slots);
	t->slots = slots;
	t->n_slots = n;
	return 0;
}

int roger_seg_table_add(struct roger_seg_table *t, const char *path,
			struct roger_seg_index *idx, struct roger_err *err)
{
	struct roger_seg_index *v;
	int *fds, fd, rc;

	if (!idx->compressor ||
	    strcmp(idx->compressor, roger_seg_compressor())) {
		roger_seg_index_release(idx);
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		roger_seg_index_release(idx);
		return 0; /* gone: nothing to offer */
	}
	v = realloc(t->indexes, (t->n_indexes + 1) * sizeof(*v));
	if (v)
		t->indexes = v;
	fds = v ? realloc(t->fds, (t->n_indexes + 1) * sizeof(*fds)) : NULL;
	if (fds)
		t->fds = fds;
	rc = v && fds ? table_grow(t, t->used + idx->n, err) : nomem(err);
	if (rc < 0) {
		close(fd);
		roger_seg_index_release(idx);
		return rc;
	}
	/* The old slots point into t->indexes, which may just have moved. */
	t->indexes[t->n_indexes] = *idx;
	t->fds[t->n_indexes] = fd;
	t->n_indexes++;
	memset(idx, 0, sizeof(*idx));
	memset(t->slots, 0, t->n_slots * sizeof(*t->slots));
	t->used = 0;
	for (size_t k = 0; k < t->n_indexes; k++)
		for (size_t i = 0; i < t->indexes[k].n; i++) {
			table_put(t->slots, t->n_slots, &t->indexes[k].v[i]);
			t->used++;
		}
	return 0;
}

const struct roger_seg_info *
roger_seg_table_find(const struct roger_seg_table *t, const unsigned char *key)
{
	size_t i;

	if (!t || !t->n_slots)
		return NULL;
	for (i = slot_of(key, t->n_slots); t->slots[i].info;
	     i = (i + 1) & (t->n_slots - 1))
		if (!memcmp(t->slots[i].info->key, key, 32))
			return t->slots[i].info;
	return NULL;
}

static int table_fd(const struct roger_seg_table *t,
		    const struct roger_seg_info *info)
{
	for (size_t k = 0; k < t->n_indexes; k++)
		if (info >= t->indexes[k].v &&
		    info < t->indexes[k].v + t->indexes[k].n)
			return t->fds[k];
	return -1;
}

/* ---- the writer ---------------------------------------------------------- */

enum job_state {
	JOB_FREE,
	JOB_FILLING,
	JOB_READY,
	JOB_RUNNING,
	JOB_DONE,
};

struct seg_job {
	enum job_state state;
	bool copy; /* a segment copied whole, not a chunk */
	size_t seg; /* its segment in the index */
	int zerr; /* compression failed: its error, or Z_OK */
	unsigned char *in;
	size_t in_len;
	unsigned char *out;
	size_t out_len, out_cap;
	uint32_t crc; /* of the input */
	const struct roger_seg_info *from; /* copy: the source segment */
	int fd;
};

/* What one thread compresses with. */
struct deflater {
#ifdef HAVE_LIBDEFLATE
	struct libdeflate_compressor *c;
	z_stream inf; /* for unfinal() */
#else
	z_stream zs;
#endif
	bool ok;
};

struct roger_seg {
	roger_seg_write_fn fn;
	void *data;
	size_t n_threads, n_started;
	pthread_t threads[MAX_THREADS];
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job became READY, or quit */
	pthread_cond_t done; /* a job became DONE */
	bool quit;
	struct seg_job *jobs;
	size_t n_jobs;
	uint64_t next_fill, next_out, next_run;
	bool in_seg, header_done, finished;
	uLong crc;
	uint64_t total_in, out_off;
	struct deflater own; /* the caller's, to help the workers */
	struct roger_seg_index index;
	unsigned char *copy_buf;
};

static struct seg_job *job_at(struct roger_seg *s, uint64_t seq)
{
	return &s->jobs[seq % s->n_jobs];
}

static bool deflater_init(struct deflater *d)
{
#ifdef HAVE_LIBDEFLATE
	d->c = libdeflate_alloc_compressor(LEVEL);
	memset(&d->inf, 0, sizeof(d->inf));
	d->ok = d->c != NULL && inflateInit2(&d->inf, -15) == Z_OK;
	if (!d->ok && d->c) {
		libdeflate_free_compressor(d->c);
		d->c = NULL;
	}
#else
	memset(&d->zs, 0, sizeof(d->zs));
	d->ok = deflateInit2(&d->zs, LEVEL, Z_DEFLATED, -15, 8,
			     Z_DEFAULT_STRATEGY) == Z_OK;
#endif
	return d->ok;
}

static void deflater_end(struct deflater *d)
{
	if (!d->ok)
		return;
#ifdef HAVE_LIBDEFLATE
	libdeflate_free_compressor(d->c);
	inflateEnd(&d->inf);
#else
	deflateEnd(&d->zs);
#endif
	d->ok = false;
}

static bool reserve_out(struct seg_job *job, size_t bound)
{
	unsigned char *out;

	if (job->out_cap >= bound)
		return true;
	out = realloc(job->out, bound);
	if (!out)
		return false;
	job->out = out;
	job->out_cap = bound;
	return true;
}

/* Compress one chunk into a segment piece; runs without the lock. */
static void compress_job(struct deflater *d, struct seg_job *job)
{
#ifdef HAVE_LIBDEFLATE
	size_t n;

	job->crc = libdeflate_crc32(0, job->in, job->in_len);
	if (!reserve_out(job,
			 libdeflate_deflate_compress_bound(d->c, job->in_len) +
				 8)) {
		job->zerr = Z_MEM_ERROR;
		return;
	}
	n = libdeflate_deflate_compress(d->c, job->in, job->in_len, job->out,
					job->out_cap - 8);
	if (n == 0 ||
	    unfinal(&d->inf, job->out, &n, job->out_cap, job->in_len) < 0) {
		job->zerr = Z_STREAM_ERROR;
		return;
	}
	job->out_len = n;
	job->zerr = Z_OK;
#else
	z_stream *zs = &d->zs;
	int zrc;

	job->crc = (uint32_t)crc32(0L, job->in, (uInt)job->in_len);
	if (!reserve_out(job, deflateBound(zs, (uLong)job->in_len) + 16)) {
		job->zerr = Z_MEM_ERROR;
		return;
	}
	zrc = deflateReset(zs);
	if (zrc != Z_OK) {
		job->zerr = zrc;
		return;
	}
	zs->next_in = job->in;
	zs->avail_in = (uInt)job->in_len;
	zs->next_out = job->out;
	zs->avail_out = (uInt)job->out_cap;
	zrc = deflate(zs, Z_SYNC_FLUSH);
	if (zrc != Z_OK || zs->avail_in != 0) {
		job->zerr = zrc == Z_OK ? Z_BUF_ERROR : zrc;
		return;
	}
	job->out_len = job->out_cap - zs->avail_out;
	job->zerr = Z_OK;
#endif
}

/*
 * The next chunk to compress, taken (RUNNING), or NULL when the next job
 * is not ready yet.  Copied segments are passed over: they are done from
 * the start.  Called with the lock held.
 */
static struct seg_job *take_ready(struct roger_seg *s)
{
	struct seg_job *job;

	while (s->next_run < s->next_fill && job_at(s, s->next_run)->copy)
		s->next_run++;
	if (s->next_run == s->next_fill)
		return NULL;
	job = job_at(s, s->next_run);
	if (job->state != JOB_READY)
		return NULL;
	s->next_run++;
	job->state = JOB_RUNNING;
	return job;
}

static void *worker(void *arg)
{
	struct roger_seg *s = arg;
	struct deflater d;

	deflater_init(&d);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct seg_job *job = NULL;

		while (!s->quit && !(job = take_ready(s)))
			pthread_cond_wait(&s->work, &s->lock);
		if (s->quit)
			break;
		pthread_mutex_unlock(&s->lock);
		if (d.ok)
			compress_job(&d, job);
		else
			job->zerr = Z_MEM_ERROR;
		pthread_mutex_lock(&s->lock);
		job->state = JOB_DONE;
		pthread_cond_broadcast(&s->done);
	}
	pthread_mutex_unlock(&s->lock);
	deflater_end(&d);
	return NULL;
}

static size_t online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (size_t)n : 1;
}

int roger_seg_new(struct roger_seg **out, int threads, roger_seg_write_fn fn,
		  void *data, struct roger_err *err)
{
	struct roger_seg *s;
	int rc = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return nomem(err);
	s->fn = fn;
	s->data = data;
	s->n_threads = threads > 0 ? (size_t)threads : online_cpus();
	if (s->n_threads > MAX_THREADS)
		s->n_threads = MAX_THREADS;
	s->n_jobs = 3 * s->n_threads + 2;
	s->crc = crc32(0L, Z_NULL, 0);
	s->out_off = GZ_HEADER_LEN;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->done, NULL);
	s->jobs = calloc(s->n_jobs, sizeof(*s->jobs));
	s->copy_buf = malloc(ROGER_SEG_CHUNK);
	if (!s->jobs || !s->copy_buf) {
		rc = nomem(err);
		goto out;
	}
	for (size_t i = 0; i < s->n_jobs; i++) {
		s->jobs[i].in = malloc(ROGER_SEG_CHUNK);
		if (!s->jobs[i].in) {
			rc = nomem(err);
			goto out;
		}
	}
	if (!deflater_init(&s->own)) {
		rc = nomem(err);
		goto out;
	}
	for (; s->n_started < s->n_threads; s->n_started++) {
		if (pthread_create(&s->threads[s->n_started], NULL, worker,
				   s)) {
			rc = roger_err_set(err, ROGER_ERROR,
					   "cannot start a compression thread");
			goto out;
		}
	}
	job_at(s, 0)->state = JOB_FILLING;
	*out = s;
	s = NULL;
out:
	roger_seg_free(s);
	return rc;
}

void roger_seg_free(struct roger_seg *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->quit = true;
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < s->n_started; i++)
		pthread_join(s->threads[i], NULL);
	deflater_end(&s->own);
	for (size_t i = 0; s->jobs && i < s->n_jobs; i++) {
		free(s->jobs[i].in);
		free(s->jobs[i].out);
	}
	free(s->jobs);
	free(s->copy_buf);
	roger_seg_index_release(&s->index);
	pthread_cond_destroy(&s->done);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

uint64_t roger_seg_total_in(const struct roger_seg *s)
{
	return s->total_in;
}

static int write_header(struct roger_seg *s, struct roger_err *err)
{
	/* No name, no time, no extra flags, OS "Unix": the same everywhere. */
	static const unsigned char header[GZ_HEADER_LEN] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3,
	};

	if (s->header_done)
		return 0;
	s->header_done = true;
	return s->fn(s->data, header, sizeof(header), err);
}

/*
 * Compress the next READY job in the calling thread, if there is one.
 * Called with the lock held, which it drops meanwhile: waiting for a busy
 * worker would leave the caller's processor idle.
 */
static bool help_one(struct roger_seg *s)
{
	struct seg_job *job;

	if (!s->own.ok || !(job = take_ready(s)))
		return false;
	pthread_mutex_unlock(&s->lock);
	compress_job(&s->own, job);
	pthread_mutex_lock(&s->lock);
	job->state = JOB_DONE;
	pthread_cond_broadcast(&s->done);
	return true;
}

/* The compressed bytes of a copied segment, from its artifact. */
static int write_copy(struct roger_seg *s, const struct seg_job *job,
		      struct roger_err *err)
{
	uint64_t off = job->from->offset, left = job->from->clen;
	int rc = 0;

	while (left && rc == 0) {
		size_t want =
			left < ROGER_SEG_CHUNK ? (size_t)left : ROGER_SEG_CHUNK;
		ssize_t n = pread(job->fd, s->copy_buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return roger_err_set(
				err, ROGER_EIO,
				"cannot read a reused segment: %s",
				n < 0 ? strerror(errno)
				      : "the artifact is shorter than its index says");
		rc = s->fn(s->data, s->copy_buf, (size_t)n, err);
		off += (uint64_t)n;
		left -= (uint64_t)n;
	}
	return rc;
}

/* Write out the oldest job once it is done.  Called with the lock held. */
static int flush_one(struct roger_seg *s, struct roger_err *err)
{
	struct seg_job *job = job_at(s, s->next_out);
	struct roger_seg_info *info;
	uint64_t clen, ulen;
	uint32_t crc;
	int rc;

	while (job->state != JOB_DONE)
		if (!help_one(s))
			pthread_cond_wait(&s->done, &s->lock);
	pthread_mutex_unlock(&s->lock);
	info = &s->index.v[job->seg];
	rc = write_header(s, err);
	if (rc == 0 && job->copy) {
		rc = write_copy(s, job, err);
		clen = job->from->clen;
		ulen = job->from->ulen;
		crc = job->from->crc;
	} else {
		if (rc == 0 && job->zerr != Z_OK)
			rc = roger_err_set(
				err,
				job->zerr == Z_MEM_ERROR ? ROGER_ENOMEM
							 : ROGER_ERROR,
				"compression failed (error %d)", job->zerr);
		if (rc == 0)
			rc = s->fn(s->data, job->out, job->out_len, err);
		clen = job->out_len;
		ulen = job->in_len;
		crc = job->crc;
	}
	if (info->clen == 0)
		info->offset = s->out_off;
	info->clen += clen;
	info->crc = (uint32_t)crc32_combine(info->crc, crc, (z_off_t)ulen);
	info->ulen += ulen;
	s->out_off += clen;
	s->crc = crc32_combine(s->crc, crc, (z_off_t)ulen);
	pthread_mutex_lock(&s->lock);
	job->state = JOB_FREE;
	/* A copied segment goes out without being taken: never look back. */
	if (s->next_run <= s->next_out)
		s->next_run = s->next_out + 1;
	s->next_out++;
	return rc;
}

/*
 * The job being filled has been given its final state (READY or DONE):
 * move on to the next slot, writing out finished jobs to free it.
 */
static int advance(struct roger_seg *s, enum job_state state,
		   struct roger_err *err)
{
	struct seg_job *job = job_at(s, s->next_fill);
	struct seg_job *next;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	job->state = state;
	s->next_fill++;
	if (state == JOB_READY)
		pthread_cond_signal(&s->work);
	next = job_at(s, s->next_fill);
	while (rc == 0 && next->state != JOB_FREE)
		rc = flush_one(s, err);
	if (rc == 0) {
		next->state = JOB_FILLING;
		next->copy = false;
		next->in_len = 0;
		next->out_len = 0;
		next->zerr = Z_OK;
	}
	/* Write out whatever is already done, in order. */
	while (rc == 0 && s->next_out < s->next_fill &&
	       job_at(s, s->next_out)->state == JOB_DONE)
		rc = flush_one(s, err);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int new_segment(struct roger_seg *s, const unsigned char *key,
		       struct roger_err *err)
{
	struct roger_seg_info *info = index_add(&s->index);

	if (!info)
		return nomem(err);
	memcpy(info->key, key, 32);
	return 0;
}

int roger_seg_begin(struct roger_seg *s, const unsigned char *key,
		    struct roger_err *err)
{
	int rc;

	if (s->in_seg || s->finished)
		return roger_err_set(err, ROGER_ERROR, "segment already open");
	rc = new_segment(s, key, err);
	if (rc == 0) {
		s->in_seg = true;
		job_at(s, s->next_fill)->seg = s->index.n - 1;
	}
	return rc;
}

int roger_seg_write(struct roger_seg *s, const void *buf, size_t len,
		    struct roger_err *err)
{
	const unsigned char *p = buf;
	int rc;

	if (!s->in_seg)
		return roger_err_set(err, ROGER_ERROR, "no segment open");
	while (len) {
		struct seg_job *job = job_at(s, s->next_fill);
		size_t room = ROGER_SEG_CHUNK - job->in_len;
		size_t n = len < room ? len : room;

		memcpy(job->in + job->in_len, p, n);
		job->in_len += n;
		s->total_in += n;
		p += n;
		len -= n;
		if (job->in_len == ROGER_SEG_CHUNK) {
			rc = advance(s, JOB_READY, err);
			if (rc < 0)
				return rc;
			job_at(s, s->next_fill)->seg = s->index.n - 1;
		}
	}
	return 0;
}

static int copy_lfs(struct roger_seg_info *info, char *const *lfs, size_t n,
		    struct roger_err *err)
{
	if (!n)
		return 0;
	info->lfs = calloc(n, sizeof(*info->lfs));
	if (!info->lfs)
		return nomem(err);
	for (size_t i = 0; i < n; i++) {
		info->lfs[i] = strdup(lfs[i]);
		if (!info->lfs[i])
			return nomem(err);
		info->n_lfs++;
	}
	return 0;
}

int roger_seg_end(struct roger_seg *s, uint64_t files, char *const *lfs,
		  size_t n_lfs, struct roger_err *err)
{
	struct roger_seg_info *info;
	int rc = 0;

	if (!s->in_seg)
		return roger_err_set(err, ROGER_ERROR, "no segment open");
	s->in_seg = false;
	info = &s->index.v[s->index.n - 1];
	info->files = files;
	rc = copy_lfs(info, lfs, n_lfs, err);
	if (rc == 0 && job_at(s, s->next_fill)->in_len)
		rc = advance(s, JOB_READY, err);
	return rc;
}

int roger_seg_copy(struct roger_seg *s, const struct roger_seg_table *t,
		   const struct roger_seg_info *from, struct roger_err *err)
{
	struct seg_job *job = job_at(s, s->next_fill);
	struct roger_seg_info *info;
	int rc;

	if (s->in_seg || s->finished)
		return roger_err_set(err, ROGER_ERROR, "segment already open");
	job->fd = table_fd(t, from);
	if (job->fd < 0)
		return roger_err_set(err, ROGER_ERROR,
				     "not a segment of the table");
	rc = new_segment(s, from->key, err);
	if (rc < 0)
		return rc;
	info = &s->index.v[s->index.n - 1];
	info->files = from->files;
	rc = copy_lfs(info, from->lfs, from->n_lfs, err);
	if (rc < 0)
		return rc;
	job->copy = true;
	job->from = from;
	job->seg = s->index.n - 1;
	s->total_in += from->ulen;
	return advance(s, JOB_DONE, err);
}

int roger_seg_finish(struct roger_seg *s, struct roger_seg_index *index,
		     struct roger_err *err)
{
	/* An empty final block (fixed Huffman), then CRC-32 and size. */
	unsigned char tail[10] = { 0x03, 0x00 };
	uint32_t crc;
	uint32_t isize;
	int rc = 0;

	if (s->finished || s->in_seg)
		return roger_err_set(err, ROGER_ERROR,
				     "gzip stream not ready to finish");
	s->finished = true;
	pthread_mutex_lock(&s->lock);
	while (rc == 0 && s->next_out < s->next_fill)
		rc = flush_one(s, err);
	pthread_mutex_unlock(&s->lock);
	if (rc == 0)
		rc = write_header(s, err);
	if (rc < 0)
		return rc;
	crc = (uint32_t)s->crc;
	isize = (uint32_t)(s->total_in & 0xffffffffu);
	for (int i = 0; i < 4; i++) {
		tail[2 + i] = (unsigned char)(crc >> (8 * i));
		tail[6 + i] = (unsigned char)(isize >> (8 * i));
	}
	rc = s->fn(s->data, tail, sizeof(tail), err);
	if (rc < 0)
		return rc;
	s->index.size = s->out_off + sizeof(tail);
	s->index.compressor = strdup(roger_seg_compressor());
	if (!s->index.compressor)
		return nomem(err);
	*index = s->index;
	memset(&s->index, 0, sizeof(s->index));
	return 0;
}
