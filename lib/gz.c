/*
 * gz.c - parallel gzip in the manner of pigz, with zlib.
 *
 * Design.  The caller's bytes fill the input buffer of the job at the tail
 * of a ring.  A full block (ROGER_GZ_BLOCK bytes: the cut points depend on
 * byte offsets alone) is handed to the workers with a copy of the last
 * 32 KiB of the block before it as its preset dictionary.  A worker
 * deflates it as raw deflate ending in a sync flush (byte-aligned, not
 * final), or with Z_FINISH for the last block, and computes its CRC-32.
 * The calling thread writes finished jobs out strictly in order, combining
 * the CRCs with crc32_combine(), and recycles their buffers; when the ring
 * is full it compresses waiting blocks itself until the oldest job is done.  So memory is bounded by the ring
 * (a few blocks per worker) whatever the input size, and the output is the
 * same for 1 or 64 threads.  While the workers compress, the caller keeps
 * producing input (reading git objects, formatting tar headers): the
 * overlap the benchmark measures.
 */
#include <config.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "err.h"
#include "gz.h"

#define ROGER_GZ_BLOCK (256 * 1024)
#define ROGER_GZ_DICT 32768
#define ROGER_GZ_MAX_THREADS 64

enum job_state {
	JOB_FREE,
	JOB_FILLING,
	JOB_READY,
	JOB_RUNNING,
	JOB_DONE,
};

struct gz_job {
	enum job_state state;
	bool last;
	int zerr;                 /* zlib error of the worker, Z_OK */
	unsigned char *in;
	size_t in_len;
	unsigned char dict[ROGER_GZ_DICT];
	size_t dict_len;
	unsigned char *out;
	size_t out_len, out_cap;
	uLong crc;
};

struct roger_gz {
	int level;
	roger_gz_write_fn fn;
	void *data;
	size_t n_threads;
	pthread_t threads[ROGER_GZ_MAX_THREADS];
	size_t n_started;
	pthread_mutex_t lock;
	pthread_cond_t work;      /* a job became READY, or quit */
	pthread_cond_t done;      /* a job became DONE */
	bool quit;
	struct gz_job *jobs;
	size_t n_jobs;
	uint64_t next_fill;       /* seq of the job being filled */
	uint64_t next_out;        /* seq of the next job to write out */
	uint64_t next_run;        /* seq of the next READY job for a worker */
	unsigned char prev_tail[ROGER_GZ_DICT]; /* end of the previous block */
	size_t prev_tail_len;
	bool header_done, finished;
	uLong crc;
	uint64_t total_in;
	z_stream own;             /* the caller's stream, to help the workers */
	bool own_ok;
};

static struct gz_job *job_at(struct roger_gz *gz, uint64_t seq)
{
	return &gz->jobs[seq % gz->n_jobs];
}

/* Deflate one job with the worker's stream; runs without the lock. */
static void compress_job(z_stream *zs, struct gz_job *job)
{
	size_t bound;
	int zrc;

	job->crc = crc32(0L, job->in, (uInt)job->in_len);
	bound = deflateBound(zs, (uLong)job->in_len) + 16;
	if (job->out_cap < bound) {
		unsigned char *out = realloc(job->out, bound);

		if (!out) {
			job->zerr = Z_MEM_ERROR;
			return;
		}
		job->out = out;
		job->out_cap = bound;
	}
	zrc = deflateReset(zs);
	if (zrc == Z_OK && job->dict_len)
		zrc = deflateSetDictionary(zs, job->dict, (uInt)job->dict_len);
	if (zrc != Z_OK) {
		job->zerr = zrc;
		return;
	}
	zs->next_in = job->in;
	zs->avail_in = (uInt)job->in_len;
	zs->next_out = job->out;
	zs->avail_out = (uInt)job->out_cap;
	zrc = deflate(zs, job->last ? Z_FINISH : Z_SYNC_FLUSH);
	if ((job->last && zrc != Z_STREAM_END) ||
	    (!job->last && zrc != Z_OK) || zs->avail_in != 0) {
		job->zerr = zrc == Z_OK ? Z_BUF_ERROR : zrc;
		return;
	}
	job->out_len = job->out_cap - zs->avail_out;
	job->zerr = Z_OK;
}

static void *worker(void *arg)
{
	struct roger_gz *gz = arg;
	z_stream zs;
	bool ok;

	memset(&zs, 0, sizeof(zs));
	ok = deflateInit2(&zs, gz->level, Z_DEFLATED, -15, 8,
			  Z_DEFAULT_STRATEGY) == Z_OK;
	pthread_mutex_lock(&gz->lock);
	for (;;) {
		struct gz_job *job;

		while (!gz->quit && (gz->next_run == gz->next_fill ||
				     job_at(gz, gz->next_run)->state != JOB_READY))
			pthread_cond_wait(&gz->work, &gz->lock);
		if (gz->quit)
			break;
		job = job_at(gz, gz->next_run);
		gz->next_run++;
		job->state = JOB_RUNNING;
		pthread_mutex_unlock(&gz->lock);
		if (ok)
			compress_job(&zs, job);
		else
			job->zerr = Z_MEM_ERROR;
		pthread_mutex_lock(&gz->lock);
		job->state = JOB_DONE;
		pthread_cond_broadcast(&gz->done);
	}
	pthread_mutex_unlock(&gz->lock);
	if (ok)
		deflateEnd(&zs);
	return NULL;
}

static size_t online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (size_t)n : 1;
}

int roger_gz_new(struct roger_gz **out, int level, int threads,
		 roger_gz_write_fn fn, void *data, struct roger_err *err)
{
	struct roger_gz *gz;
	int rc = 0;

	gz = calloc(1, sizeof(*gz));
	if (!gz)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	gz->level = level < 1 || level > 9 ? 6 : level;
	gz->fn = fn;
	gz->data = data;
	gz->n_threads = threads > 0 ? (size_t)threads : online_cpus();
	if (gz->n_threads > ROGER_GZ_MAX_THREADS)
		gz->n_threads = ROGER_GZ_MAX_THREADS;
	gz->n_jobs = 3 * gz->n_threads + 2;
	gz->crc = crc32(0L, Z_NULL, 0);
	pthread_mutex_init(&gz->lock, NULL);
	pthread_cond_init(&gz->work, NULL);
	pthread_cond_init(&gz->done, NULL);
	gz->jobs = calloc(gz->n_jobs, sizeof(*gz->jobs));
	if (!gz->jobs) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < gz->n_jobs; i++) {
		gz->jobs[i].in = malloc(ROGER_GZ_BLOCK);
		if (!gz->jobs[i].in) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (; gz->n_started < gz->n_threads; gz->n_started++) {
		if (pthread_create(&gz->threads[gz->n_started], NULL, worker,
				   gz)) {
			rc = roger_err_set(err, ROGER_ERROR,
					   "cannot start a compression thread");
			goto out;
		}
	}
	gz->own_ok = deflateInit2(&gz->own, gz->level, Z_DEFLATED, -15, 8,
				  Z_DEFAULT_STRATEGY) == Z_OK;
	job_at(gz, 0)->state = JOB_FILLING;
	*out = gz;
	gz = NULL;
out:
	roger_gz_free(gz);
	return rc;
}

void roger_gz_free(struct roger_gz *gz)
{
	if (!gz)
		return;
	pthread_mutex_lock(&gz->lock);
	gz->quit = true;
	pthread_cond_broadcast(&gz->work);
	pthread_mutex_unlock(&gz->lock);
	for (size_t i = 0; i < gz->n_started; i++)
		pthread_join(gz->threads[i], NULL);
	if (gz->own_ok)
		deflateEnd(&gz->own);
	for (size_t i = 0; gz->jobs && i < gz->n_jobs; i++) {
		free(gz->jobs[i].in);
		free(gz->jobs[i].out);
	}
	free(gz->jobs);
	pthread_cond_destroy(&gz->done);
	pthread_cond_destroy(&gz->work);
	pthread_mutex_destroy(&gz->lock);
	free(gz);
}

uint64_t roger_gz_total_in(const struct roger_gz *gz)
{
	return gz->total_in;
}

static int write_header(struct roger_gz *gz, struct roger_err *err)
{
	/* No name, no time, no extra flags, OS "Unix": the same everywhere. */
	static const unsigned char header[10] = { 0x1f, 0x8b, 8, 0, 0, 0,
						  0,    0,    0, 3 };

	if (gz->header_done)
		return 0;
	gz->header_done = true;
	return gz->fn(gz->data, header, sizeof(header), err);
}

/*
 * Compress the next READY job in the calling thread, if there is one and
 * its stream works.  Called with the lock held, which it drops meanwhile.
 * Waiting for a busy (or descheduled) worker would leave the caller's
 * processor idle; helping keeps it busy and the output unchanged.
 */
static bool help_one(struct roger_gz *gz)
{
	struct gz_job *job;

	if (!gz->own_ok || gz->next_run == gz->next_fill ||
	    job_at(gz, gz->next_run)->state != JOB_READY)
		return false;
	job = job_at(gz, gz->next_run);
	gz->next_run++;
	job->state = JOB_RUNNING;
	pthread_mutex_unlock(&gz->lock);
	compress_job(&gz->own, job);
	pthread_mutex_lock(&gz->lock);
	job->state = JOB_DONE;
	pthread_cond_broadcast(&gz->done);
	return true;
}

/* Write out the oldest job once it is done.  Called with the lock held. */
static int flush_one(struct roger_gz *gz, struct roger_err *err)
{
	struct gz_job *job = job_at(gz, gz->next_out);
	int rc;

	while (job->state != JOB_DONE)
		if (!help_one(gz))
			pthread_cond_wait(&gz->done, &gz->lock);
	pthread_mutex_unlock(&gz->lock);
	if (job->zerr != Z_OK)
		rc = roger_err_set(err, job->zerr == Z_MEM_ERROR ? ROGER_ENOMEM
								 : ROGER_ERROR,
				   "compression failed (zlib error %d)",
				   job->zerr);
	else
		rc = write_header(gz, err);
	if (rc == 0)
		rc = gz->fn(gz->data, job->out, job->out_len, err);
	gz->crc = crc32_combine(gz->crc, job->crc, (z_off_t)job->in_len);
	pthread_mutex_lock(&gz->lock);
	job->state = JOB_FREE;
	gz->next_out++;
	return rc;
}

/* Hand the job being filled to the workers and start the next one. */
static int submit(struct roger_gz *gz, bool last, struct roger_err *err)
{
	struct gz_job *job = job_at(gz, gz->next_fill);
	struct gz_job *next;
	size_t keep;
	int rc = 0;

	/* The next block's dictionary: the end of this one (and before). */
	keep = job->dict_len + job->in_len < ROGER_GZ_DICT
		       ? job->dict_len + job->in_len
		       : ROGER_GZ_DICT;
	if (job->in_len >= ROGER_GZ_DICT) {
		memcpy(gz->prev_tail, job->in + job->in_len - ROGER_GZ_DICT,
		       ROGER_GZ_DICT);
	} else {
		size_t from_dict = keep - job->in_len;

		memmove(gz->prev_tail, job->dict + job->dict_len - from_dict,
			from_dict);
		memcpy(gz->prev_tail + from_dict, job->in, job->in_len);
	}
	gz->prev_tail_len = keep;
	job->last = last;

	pthread_mutex_lock(&gz->lock);
	job->state = JOB_READY;
	gz->next_fill++;
	pthread_cond_signal(&gz->work);
	if (!last) {
		next = job_at(gz, gz->next_fill);
		while (rc == 0 && next->state != JOB_FREE)
			rc = flush_one(gz, err);
	}
	if (!last && rc == 0) {
		next = job_at(gz, gz->next_fill);
		next->state = JOB_FILLING;
		next->in_len = 0;
		next->out_len = 0;
		next->zerr = Z_OK;
		memcpy(next->dict, gz->prev_tail, gz->prev_tail_len);
		next->dict_len = gz->prev_tail_len;
	}
	/* Write out whatever is already done, in order. */
	while (rc == 0 && gz->next_out < gz->next_fill &&
	       job_at(gz, gz->next_out)->state == JOB_DONE)
		rc = flush_one(gz, err);
	pthread_mutex_unlock(&gz->lock);
	return rc;
}

int roger_gz_write(struct roger_gz *gz, const void *buf, size_t len,
		   struct roger_err *err)
{
	const unsigned char *p = buf;
	int rc;

	while (len) {
		struct gz_job *job = job_at(gz, gz->next_fill);
		size_t room = ROGER_GZ_BLOCK - job->in_len;
		size_t n = len < room ? len : room;

		memcpy(job->in + job->in_len, p, n);
		job->in_len += n;
		gz->total_in += n;
		p += n;
		len -= n;
		if (job->in_len == ROGER_GZ_BLOCK) {
			rc = submit(gz, false, err);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

int roger_gz_finish(struct roger_gz *gz, struct roger_err *err)
{
	unsigned char trailer[8];
	uint32_t crc, isize;
	int rc;

	if (gz->finished)
		return roger_err_set(err, ROGER_ERROR, "gzip stream already finished");
	gz->finished = true;
	rc = submit(gz, true, err);
	pthread_mutex_lock(&gz->lock);
	while (rc == 0 && gz->next_out < gz->next_fill)
		rc = flush_one(gz, err);
	pthread_mutex_unlock(&gz->lock);
	if (rc < 0)
		return rc;
	crc = (uint32_t)gz->crc;
	isize = (uint32_t)(gz->total_in & 0xffffffffu);
	for (int i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(isize >> (8 * i));
	}
	return gz->fn(gz->data, trailer, sizeof(trailer), err);
}
