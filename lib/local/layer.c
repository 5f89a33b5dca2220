/*
 * layer.c - one image layer applied to a root filesystem.
 *
 * libarchive reads the tar; the bytes it reads come from a callback that
 * inflates the blob with zlib and feeds every uncompressed byte to a
 * SHA-256, so the diff_id is known once the stream is consumed (the tar's
 * trailing blocks, which libarchive may leave unread, are drained after
 * the last entry, before anything reaches the root).  Decompressing here rather
 * than through libarchive's gzip filter is what gives us the uncompressed bytes
 * to hash.  A gzip stream may hold several members (pigz, concatenated layers);
 * anything after the last member that is not another gzip header is ignored, as
 * Docker does.
 *
 * The writing is the extractor's (extract.h): whiteouts, opaque markers,
 * confinement beneath the root, nothing left behind by a layer that fails.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "err.h"
#include "oci.h"
#include "local/extract.h"
#include "local/layer.h"

#define CHUNK (128 * 1024)

int roger_layer_compression(enum roger_layer_compression *out,
			    const char *media_type, struct roger_err *err)
{
	if (media_type && (strcmp(media_type, ROGER_MT_DOCKER_LAYER) == 0 ||
			   strcmp(media_type, ROGER_MT_OCI_LAYER_GZIP) == 0)) {
		*out = ROGER_LAYER_GZIP;
		return 0;
	}
	if (media_type && strcmp(media_type, ROGER_MT_OCI_LAYER) == 0) {
		*out = ROGER_LAYER_TAR;
		return 0;
	}
	return roger_err_set(
		err, ROGER_EINVALID,
		"unsupported layer media type '%s' (roger local reads gzip and plain tar layers)",
		media_type ? media_type : "");
}

struct source {
	int fd;
	bool gzip;
	z_stream zs;
	bool z_ready; /* inflateInit2 done */
	bool member_end; /* the current gzip member ended */
	bool eof; /* the descriptor reached its end */
	bool done; /* no more uncompressed bytes */
	EVP_MD_CTX *md;
	const char *name; /* the layer in messages */
	unsigned char in[CHUNK];
	unsigned char out[CHUNK];
};

/* Refill the input buffer when it is empty; -1 with errno on failure. */
static int fill(struct source *s)
{
	ssize_t n;

	if (s->zs.avail_in > 0 || s->eof)
		return 0;
	do
		n = read(s->fd, s->in, sizeof(s->in));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		s->eof = true;
	s->zs.next_in = s->in;
	s->zs.avail_in = (uInt)n;
	return 0;
}

/* The next uncompressed bytes: their count (0 at the end), or -1 with a
 * message in `why`. */
static ssize_t produce(struct source *s, char *why, size_t size)
{
	if (s->done)
		return 0;
	if (!s->gzip) {
		ssize_t n;

		do
			n = read(s->fd, s->out, sizeof(s->out));
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			snprintf(why, size, "%s", strerror(errno));
			return -1;
		}
		if (n == 0)
			s->done = true;
		return n;
	}
	for (;;) {
		size_t got;
		int r;

		if (fill(s) < 0) {
			snprintf(why, size, "%s", strerror(errno));
			return -1;
		}
		if (s->member_end) {
			if (s->zs.avail_in == 0 && s->eof) {
				s->done = true;
				return 0;
			}
			if (s->zs.avail_in < 2 || s->zs.next_in[0] != 0x1f ||
			    s->zs.next_in[1] != 0x8b) {
				s->done = true; /* trailing bytes: ignored */
				return 0;
			}
			inflateReset(&s->zs);
			s->member_end = false;
		}
		if (s->zs.avail_in == 0 && s->eof) {
			snprintf(why, size, "the gzip stream is truncated");
			return -1;
		}
		s->zs.next_out = s->out;
		s->zs.avail_out = sizeof(s->out);
		r = inflate(&s->zs, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			s->member_end = true;
		} else if (r != Z_OK &&
			   !(r == Z_BUF_ERROR && s->zs.avail_in == 0)) {
			snprintf(why, size, "not a valid gzip stream (%s)",
				 s->zs.msg ? s->zs.msg : "zlib error");
			return -1;
		}
		got = sizeof(s->out) - s->zs.avail_out;
		if (got > 0)
			return (ssize_t)got;
	}
}

/*
 * The rest of the stream (the tar's end blocks, which count for the digest
 * too, and the gzip trailer), read before the extractor moves anything into
 * the root: a truncated or corrupt end fails the layer with the root as it
 * was.
 */
static int drain(void *data, struct roger_err *err)
{
	struct source *s = data;
	char why[160];

	for (;;) {
		ssize_t n = produce(s, why, sizeof(why));

		if (n < 0)
			return roger_err_set(err, ROGER_EIO,
					     "cannot read layer '%s': %s",
					     s->name, why);
		if (n == 0)
			return 0;
		EVP_DigestUpdate(s->md, s->out, (size_t)n);
	}
}

static la_ssize_t read_cb(struct archive *a, void *data, const void **buf)
{
	struct source *s = data;
	char why[160];
	ssize_t n = produce(s, why, sizeof(why));

	if (n < 0) {
		archive_set_error(a, EIO, "%s", why);
		return -1;
	}
	if (n > 0)
		EVP_DigestUpdate(s->md, s->out, (size_t)n);
	*buf = s->out;
	return n;
}

static const char hexdigits[] = "0123456789abcdef";

int roger_layer_apply(char *diff_id, int root_fd, int fd,
		      const struct roger_layer_opts *o, struct roger_err *err)
{
	struct roger_extract_opts eo;
	struct archive *a = NULL;
	struct source *s = calloc(1, sizeof(*s));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc = 0;

	if (!s)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	s->fd = fd;
	s->gzip = o->compression == ROGER_LAYER_GZIP;
	s->md = EVP_MD_CTX_new();
	if (!s->md || !EVP_DigestInit_ex(s->md, EVP_sha256(), NULL)) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (s->gzip) {
		if (inflateInit2(&s->zs, 15 + 16) != Z_OK) {
			rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
			goto out;
		}
		s->z_ready = true;
	}
	a = archive_read_new();
	if (!a || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_format_empty(a) != ARCHIVE_OK) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	if (archive_read_open(a, s, NULL, read_cb, NULL) != ARCHIVE_OK) {
		rc = roger_err_set(err, ROGER_EIO, "cannot read layer '%s': %s",
				   o->name ? o->name : "",
				   archive_error_string(a)
					   ? archive_error_string(a)
					   : "unknown error");
		goto out;
	}
	memset(&eo, 0, sizeof(eo));
	eo.flags = ROGER_EXTRACT_SKIP_SPECIAL | ROGER_EXTRACT_ANY_SYMLINK |
		   ROGER_EXTRACT_WHITEOUTS | ROGER_EXTRACT_LAYER |
		   ROGER_EXTRACT_KEEP_MODE |
		   (o->keep_owner ? ROGER_EXTRACT_KEEP_OWNER : 0);
	eo.max_bytes = o->max_bytes;
	eo.max_entries = o->max_entries;
	eo.max_bytes_name = "--max-extract-bytes";
	eo.max_entries_name = "--max-extract-entries";
	eo.name = o->name ? o->name : "layer";
	eo.cancelled = o->cancelled;
	eo.data = o->data;
	eo.finish = drain;
	eo.finish_data = s;
	s->name = eo.name;
	if ((rc = roger_extract(NULL, root_fd, a, &eo, err)) < 0)
		goto out;
	EVP_DigestFinal_ex(s->md, md, &mdlen);
	memcpy(diff_id, "sha256:", 7);
	for (unsigned int i = 0; i < mdlen && i < 32; i++) {
		diff_id[7 + 2 * i] = hexdigits[md[i] >> 4];
		diff_id[8 + 2 * i] = hexdigits[md[i] & 15];
	}
	diff_id[7 + 64] = '\0';
out:
	if (a)
		archive_read_free(a);
	if (s->z_ready)
		inflateEnd(&s->zs);
	EVP_MD_CTX_free(s->md);
	free(s);
	return rc;
}
