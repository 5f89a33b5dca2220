/*
 * recordio.c - the RecordIO codec (see recordio.h).
 *
 * The decoder is a two-state machine: reading the decimal prefix digit by
 * digit, then collecting the record's bytes.  A record that lies whole in
 * the bytes given is handed back where it lies, without a copy (the common
 * case for a stream of small records read in large pieces); one cut by the
 * end of the bytes given is collected into the decoder's buffer, which
 * grows to the record's length and no further, so a record larger than any
 * one read costs one copy and a bounded buffer.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "recordio.h"

#define DEFAULT_MAX ((size_t)16 << 20)

int roger_recordio_prefix(struct roger_buf *out, size_t len)
{
	return roger_buf_addf(out, "%zu\n", len);
}

int roger_recordio_encode(struct roger_buf *out, const void *data, size_t len)
{
	size_t old = out->len;

	if (roger_recordio_prefix(out, len) < 0 ||
	    roger_buf_add(out, data, len) < 0) {
		roger_buf_truncate(out, old);
		return ROGER_ENOMEM;
	}
	return 0;
}

void roger_recordio_dec_init(struct roger_recordio_dec *d, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max ? max : DEFAULT_MAX;
	roger_buf_init(&d->rec);
}

void roger_recordio_dec_release(struct roger_recordio_dec *d)
{
	if (!d)
		return;
	roger_buf_release(&d->rec);
	d->want = 0;
	d->digits = 0;
	d->in_record = false;
}

bool roger_recordio_dec_partial(const struct roger_recordio_dec *d)
{
	return d->in_record || d->digits > 0;
}

/* Read prefix digits; returns 1 once the newline ended the prefix. */
static int read_prefix(struct roger_recordio_dec *d, const char *data,
		       size_t len, size_t *i, struct roger_err *err)
{
	while (*i < len) {
		unsigned char c = (unsigned char)data[(*i)++];

		if (c == '\n') {
			if (d->digits == 0)
				return roger_err_set(
					err, ROGER_EINVALID,
					"invalid RecordIO: a record without its length");
			if (d->want > d->max)
				return roger_err_set(
					err, ROGER_EINVALID,
					"invalid RecordIO: a record of %llu bytes, more than the %zu allowed",
					(unsigned long long)d->want, d->max);
			d->in_record = true;
			d->digits = 0;
			return 1;
		}
		if (c < '0' || c > '9')
			return roger_err_set(
				err, ROGER_EINVALID,
				"invalid RecordIO: byte 0x%02x in a record length",
				c);
		if (++d->digits > ROGER_RECORDIO_MAX_DIGITS ||
		    d->want > (UINT64_MAX - (c - '0')) / 10)
			return roger_err_set(
				err, ROGER_EINVALID,
				"invalid RecordIO: a record length beyond 64 bits");
		d->want = d->want * 10 + (c - '0');
	}
	return 0;
}

int roger_recordio_next(struct roger_recordio_dec *d, const char *data,
			size_t len, size_t *used, const char **rec,
			size_t *rec_len, struct roger_err *err)
{
	size_t i = 0, take;
	int rc;

	*used = 0;
	if (!d->in_record) {
		rc = read_prefix(d, data, len, &i, err);
		if (rc <= 0) {
			*used = i;
			return rc;
		}
		roger_buf_reset(&d->rec);
	}
	/* The whole record is here and nothing is collected yet: no copy. */
	if (d->rec.len == 0 && (uint64_t)(len - i) >= d->want) {
		*rec = data + i;
		*rec_len = (size_t)d->want;
		*used = i + (size_t)d->want;
		d->in_record = false;
		d->want = 0;
		return 1;
	}
	if (d->rec.len == 0 && roger_buf_grow(&d->rec, (size_t)d->want) < 0)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	take = len - i;
	if ((uint64_t)take > d->want)
		take = (size_t)d->want;
	roger_buf_add(&d->rec, data + i, take); /* room was made above */
	i += take;
	d->want -= take;
	*used = i;
	if (d->want > 0)
		return 0;
	*rec = d->rec.buf;
	*rec_len = d->rec.len;
	d->in_record = false;
	return 1;
}
