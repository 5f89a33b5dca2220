/*
 * check_exec.c - unit tests of what `roger exec` and `roger top` are made
 * of, the pure parts: RecordIO framing against the contract
 * (MESOS-CONTAINERS.md 8.1: split and joined records, a record larger than
 * any piece it comes in, what is not RecordIO), base64, the agent operator
 * API messages both ways, exit statuses, the statistics reply (the
 * recorded fixture) and usage computed from samples, the choice of a task,
 * and the /proc lines roger local's statistics read.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/agentapi.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/exec.h"
#include "lib/local/agent.h"
#include "lib/marathon.h"
#include "lib/pbio.h"
#include "lib/recordio.h"
#include "lib/stats.h"
#include "lib/util.h"

/* The contract's exact example: 58 bytes of JSON. */
#define EXAMPLE \
	"{\"type\":\"DATA\",\"data\":{\"type\":\"STDOUT\",\"data\":\"aGVsbG8K\"}}"

static char *fixture(const char *name, size_t *len)
{
	const char *src = getenv("TEST_SRCDIR");
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/fixtures/%s", src ? src : "tests",
		 name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* ---- RecordIO ---------------------------------------------------------------- */

/* Decode `len` bytes fed in pieces of `piece` bytes; the records, each
 * followed by '|', go to `out`.  Returns the decoder's last result. */
static int decode(struct roger_buf *out, const char *data, size_t len,
		  size_t piece, size_t max)
{
	struct roger_recordio_dec d;
	struct roger_err err = ROGER_ERR_INIT;
	size_t at = 0;
	int rc = 0;

	roger_recordio_dec_init(&d, max);
	while (at < len && rc >= 0) {
		size_t n = len - at < piece ? len - at : piece;
		const char *p = data + at;

		at += n;
		while (n > 0) {
			const char *rec;
			size_t used, rec_len;

			rc = roger_recordio_next(&d, p, n, &used, &rec,
						 &rec_len, &err);
			if (rc < 0)
				break;
			ck_assert_uint_le(used, n);
			p += used;
			n -= used;
			if (rc == 0) {
				ck_assert_uint_eq(n, 0);
				break;
			}
			roger_buf_add(out, rec, rec_len);
			roger_buf_addch(out, '|');
		}
	}
	if (rc >= 0 && roger_recordio_dec_partial(&d))
		rc = 2; /* the stream ended inside a record */
	roger_recordio_dec_release(&d);
	return rc;
}

START_TEST(test_recordio_contract_example)
{
	struct roger_buf b = ROGER_BUF_INIT, out = ROGER_BUF_INIT;

	ck_assert_int_eq(strlen(EXAMPLE), 58);
	ck_assert_int_eq(roger_recordio_encode(&b, EXAMPLE, strlen(EXAMPLE)),
			 0);
	ck_assert_str_eq(b.buf, "58\n" EXAMPLE);
	ck_assert_int_ge(decode(&out, b.buf, b.len, b.len, 0), 0);
	ck_assert_str_eq(out.buf, EXAMPLE "|");
	roger_buf_release(&b);
	roger_buf_release(&out);
}
END_TEST

/* Joined: many records in one piece; split: the same one byte at a time,
 * and in every piece size in between.  The same records come out. */
START_TEST(test_recordio_split_and_joined)
{
	struct roger_buf b = ROGER_BUF_INIT, want = ROGER_BUF_INIT;
	static const char *const recs[] = { "a",  "",           "hello\nworld",
					    "{}", "0123456789", "\n\n",
					    "x" };

	for (size_t i = 0; i < sizeof(recs) / sizeof(*recs); i++) {
		roger_recordio_encode(&b, recs[i], strlen(recs[i]));
		roger_buf_adds(&want, recs[i]);
		roger_buf_addch(&want, '|');
	}
	ck_assert_str_eq(
		b.buf, "1\na0\n11\nhello\nworld2\n{}10\n01234567892\n\n\n1\nx");
	for (size_t piece = 1; piece <= b.len; piece++) {
		struct roger_buf out = ROGER_BUF_INIT;

		ck_assert_int_ge(decode(&out, b.buf, b.len, piece, 0), 0);
		ck_assert_msg(!strcmp(out.buf, want.buf), "pieces of %zu: %s",
			      piece, out.buf);
		roger_buf_release(&out);
	}
	roger_buf_release(&b);
	roger_buf_release(&want);
}
END_TEST

/* A record of 1 MiB, fed in pieces of 4 KiB (and one of 1 byte more than
 * it), comes out whole and byte for byte. */
START_TEST(test_recordio_larger_than_a_buffer)
{
	struct roger_buf b = ROGER_BUF_INIT, out = ROGER_BUF_INIT;
	size_t n = 1 << 20;
	char *big = malloc(n);

	for (size_t i = 0; i < n; i++)
		big[i] = (char)(i * 7 + 3);
	roger_recordio_encode(&b, big, n);
	roger_recordio_encode(&b, "tail", 4);
	ck_assert_int_ge(decode(&out, b.buf, b.len, 4096, 0), 0);
	ck_assert_uint_eq(out.len, n + 1 + 5);
	ck_assert(!memcmp(out.buf, big, n));
	ck_assert(!memcmp(out.buf + n, "|tail|", 6));
	roger_buf_reset(&out);
	ck_assert_int_ge(decode(&out, b.buf, b.len, n + 1, 0), 0);
	ck_assert_uint_eq(out.len, n + 6);
	/* more than the decoder takes: refused at the prefix */
	roger_buf_reset(&out);
	ck_assert_int_eq(decode(&out, b.buf, b.len, 4096, n - 1),
			 ROGER_EINVALID);
	free(big);
	roger_buf_release(&b);
	roger_buf_release(&out);
}
END_TEST

START_TEST(test_recordio_refused)
{
	static const char *const bad[] = {
		"\nabc", /* no length */
		"5x\nhello", /* not a digit */
		"-1\n", /* not a digit */
		" 5\nhello", /* no spaces */
		"123456789012345678901\n", /* more than 20 digits */
		"18446744073709551616\n", /* beyond 64 bits */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct roger_buf out = ROGER_BUF_INIT;

		ck_assert_msg(decode(&out, bad[i], strlen(bad[i]), 3, 0) ==
				      ROGER_EINVALID,
			      "accepted '%s'", bad[i]);
		roger_buf_release(&out);
	}
}
END_TEST

START_TEST(test_recordio_cut_short)
{
	struct roger_buf out = ROGER_BUF_INIT;

	ck_assert_int_eq(decode(&out, "5\nhel", 5, 2, 0), 2);
	ck_assert_int_eq(decode(&out, "12", 2, 1, 0), 2);
	ck_assert_int_eq(decode(&out, "", 0, 1, 0), 0);
	ck_assert_int_eq(decode(&out, "007\nabcdefg", 11, 4, 0), 1);
	ck_assert_str_eq(out.buf, "abcdefg|");
	roger_buf_release(&out);
}
END_TEST

/* ---- base64 -------------------------------------------------------------------- */

START_TEST(test_base64_round_trip)
{
	unsigned char data[300];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31 + 17);
	for (size_t len = 0; len <= sizeof(data); len++) {
		struct roger_buf enc = ROGER_BUF_INIT, dec = ROGER_BUF_INIT;

		ck_assert_int_eq(roger_base64_add(&enc, data, len), 0);
		ck_assert_uint_eq(enc.len, roger_base64_len(len));
		ck_assert_int_eq(
			roger_base64_decode_add(&dec, enc.buf, enc.len), 0);
		ck_assert_uint_eq(dec.len, len);
		ck_assert(!memcmp(dec.buf, data, len));
		roger_buf_release(&enc);
		roger_buf_release(&dec);
	}
}
END_TEST

START_TEST(test_base64_known_and_refused)
{
	struct roger_buf b = ROGER_BUF_INIT;

	roger_base64_add(&b, "hello\n", 6);
	ck_assert_str_eq(b.buf, "aGVsbG8K");
	roger_buf_reset(&b);
	roger_base64_add(&b, "\xff\xfe", 2);
	ck_assert_str_eq(b.buf, "//4=");
	roger_buf_reset(&b);
	/* padding optional */
	ck_assert_int_eq(roger_base64_decode_add(&b, "//4", 3), 0);
	ck_assert_uint_eq(b.len, 2);
	ck_assert(!memcmp(b.buf, "\xff\xfe", 2));
	roger_buf_reset(&b);
	roger_buf_adds(&b, "kept");
	ck_assert_int_eq(roger_base64_decode_add(&b, "aGV$bG8K", 8),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_base64_decode_add(&b, "aGVsb", 5),
			 ROGER_EINVALID);
	ck_assert_int_eq(roger_base64_decode_add(&b, "aG=sbG8K", 8),
			 ROGER_EINVALID);
	ck_assert_str_eq(b.buf, "kept");
	ck_assert_uint_eq(b.len, 4);
	roger_buf_release(&b);
}
END_TEST

/* ---- agent API messages ----------------------------------------------------------- */

START_TEST(test_agentapi_output_records)
{
	struct roger_buf b = ROGER_BUF_INIT, data = ROGER_BUF_INIT;
	struct roger_agentapi_pio pio;
	struct roger_err err = ROGER_ERR_INIT;
	static const char spaced[] =
		"{ \"data\": {\"data\": \"aGVsbG8K\", \"type\": \"STDERR\"}, \"type\": \"DATA\" }";
	static const char escaped[] =
		"{\"type\":\"DATA\",\"data\":{\"type\":\"STDOUT\",\"data\":"
		"\"\\/\\/\\/\\/\\/\\/\\/\\/\"}}";

	/* written exactly as the contract's example */
	roger_agentapi_data_record(&b, false, ROGER_AGENTAPI_STDOUT, "hello\n",
				   6);
	ck_assert_str_eq(b.buf, "58\n" EXAMPLE);
	ck_assert_int_eq(roger_agentapi_output_parse(&pio, &data, EXAMPLE,
						     strlen(EXAMPLE), &err),
			 0);
	ck_assert_int_eq(pio.kind, ROGER_AGENTAPI_PIO_DATA);
	ck_assert_int_eq(pio.stream, ROGER_AGENTAPI_STDOUT);
	ck_assert_str_eq(data.buf, "hello\n");
	/* another spelling of the same: through the JSON parser */
	roger_buf_reset(&data);
	ck_assert_int_eq(roger_agentapi_output_parse(&pio, &data, spaced,
						     strlen(spaced), &err),
			 0);
	ck_assert_int_eq(pio.stream, ROGER_AGENTAPI_STDERR);
	ck_assert_str_eq(data.buf, "hello\n");
	/* heartbeats and other controls are to be ignored */
	roger_buf_reset(&b);
	roger_agentapi_heartbeat_record(&b, false, 30000);
	ck_assert_str_eq(
		b.buf,
		"102\n{\"type\":\"CONTROL\",\"control\":{\"type\":\"HEARTBEAT\",\"heartbeat\":{\"interval\":{\"nanoseconds\":30000000000}}}}");
	ck_assert_int_eq(roger_agentapi_output_parse(&pio, &data, b.buf + 4,
						     b.len - 4, &err),
			 0);
	ck_assert_int_eq(pio.kind, ROGER_AGENTAPI_PIO_HEARTBEAT);
	/* binary data, and the empty record */
	roger_buf_reset(&b);
	roger_buf_reset(&data);
	roger_agentapi_data_record(&b, false, ROGER_AGENTAPI_STDOUT, "\0\xff\n",
				   3);
	ck_assert_int_eq(
		roger_agentapi_output_parse(
			&pio, &data, strchr(b.buf, '\n') + 1,
			b.len - (size_t)(strchr(b.buf, '\n') + 1 - b.buf),
			&err),
		0);
	ck_assert_uint_eq(data.len, 3);
	ck_assert(!memcmp(data.buf, "\0\xff\n", 3));
	/* the record's usual shape, its '/' escaped as JSON allows: the
	 * quick reader declines it and jansson reads it, nothing doubled */
	roger_buf_reset(&data);
	ck_assert_int_eq(roger_agentapi_output_parse(&pio, &data, escaped,
						     strlen(escaped), &err),
			 0);
	ck_assert_int_eq(pio.stream, ROGER_AGENTAPI_STDOUT);
	ck_assert_uint_eq(data.len, 6);
	ck_assert(!memcmp(data.buf, "\xff\xff\xff\xff\xff\xff", 6));
	roger_buf_release(&b);
	roger_buf_release(&data);
}
END_TEST

START_TEST(test_agentapi_output_refused)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"type\":\"DATA\"}",
		"{\"type\":\"DATA\",\"data\":{\"type\":\"STDIN\",\"data\":\"aGk=\"}}",
		"{\"type\":\"DATA\",\"data\":{\"type\":\"STDOUT\",\"data\":\"a$k=\"}}",
		"{\"type\":\"DATA\",\"data\":{\"type\":\"STDOUT\",\"data\":5}}",
		"{\"type\":\"BOGUS\"}",
		"{\"type\":\"DATA\",\"data\":{\"type\":\"STDOUT\",\"data\":\"aGk=\"}",
	};
	struct roger_buf data = ROGER_BUF_INIT;

	roger_buf_adds(&data, "kept");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct roger_agentapi_pio pio;
		struct roger_err err = ROGER_ERR_INIT;

		ck_assert_msg(roger_agentapi_output_parse(
				      &pio, &data, bad[i], strlen(bad[i]),
				      &err) == ROGER_EINVALID,
			      "accepted %s", bad[i]);
		ck_assert(err.msg[0]);
	}
	ck_assert_str_eq(data.buf, "kept");
	roger_buf_release(&data);
}
END_TEST

/* ---- ProcessIO in protobuf ------------------------------------------------------ */

#define PB(s) s, sizeof(s) - 1

START_TEST(test_pbio_decode_table)
{
	static const struct {
		const char *rec;
		size_t len;
		uint32_t type, data_type, control_type, rows, columns;
		const char *data; /* NULL: none */
		int64_t hb;
	} cases[] = {
		/* the empty message: every field absent */
		{ PB(""), 0, 0, 0, 0, 0, NULL, 0 },
		/* DATA STDOUT "hello", as roger local writes it */
		{ PB("\x08\x01\x12\x09\x08\x02\x12\x05hello"), 1, 2, 0, 0, 0,
		  "hello", 0 },
		/* the same, fields in another order, unknown fields of every
		 * wire type around them (varint, 64-bit, bytes, 32-bit) */
		{ PB("\x48\x96\x01\x12\x17\x12\x05hello\x51"
		     "12345678\x5d"
		     "1234\x08\x03\x62\x00\x08\x01"),
		  1, 3, 0, 0, 0, "hello", 0 },
		/* a scalar twice: the last wins; Data twice: merged */
		{ PB("\x08\x02\x08\x01\x12\x02\x08\x02\x12\x04\x12\x02hi"), 1,
		  2, 0, 0, 0, "hi", 0 },
		/* empty bytes */
		{ PB("\x08\x01\x12\x04\x08\x03\x12\x00"), 1, 3, 0, 0, 0, "",
		  0 },
		/* CONTROL HEARTBEAT of 30 s */
		{ PB("\x08\x02\x1a\x0c\x08\x02\x1a\x08\x0a\x06\x08\x80\xd8\x8e\xe1"
		     "\x6f"),
		  2, 0, 2, 0, 0, NULL, 30000000000LL },
		/* CONTROL TTY_INFO 24 x 80 */
		{ PB("\x08\x02\x1a\x0a\x08\x01\x12\x06\x0a\x04\x08\x18\x10\x50"),
		  2, 0, 1, 24, 80, NULL, 0 },
		/* an enum value this reader does not know: kept as a number */
		{ PB("\x08\x07"), 7, 0, 0, 0, 0, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct roger_pbio m;
		const char *why = NULL;

		ck_assert_msg(roger_pbio_decode(&m, cases[i].rec, cases[i].len,
						&why) == 0,
			      "case %zu: %s", i, why ? why : "");
		ck_assert_uint_eq(m.type, cases[i].type);
		ck_assert_uint_eq(m.data_type, cases[i].data_type);
		ck_assert_uint_eq(m.control_type, cases[i].control_type);
		ck_assert_uint_eq(m.rows, cases[i].rows);
		ck_assert_uint_eq(m.columns, cases[i].columns);
		ck_assert(m.heartbeat_ns == cases[i].hb);
		if (!cases[i].data) {
			ck_assert_msg(m.data == NULL, "case %zu", i);
			continue;
		}
		ck_assert_msg(m.data != NULL, "case %zu", i);
		ck_assert_uint_eq(m.data_len, strlen(cases[i].data));
		ck_assert(!memcmp(m.data, cases[i].data, m.data_len));
		/* the bytes are inside the record, not a copy */
		ck_assert((const char *)m.data >= cases[i].rec &&
			  (const char *)m.data + m.data_len <=
				  cases[i].rec + cases[i].len);
	}
}
END_TEST

START_TEST(test_pbio_refused)
{
	static const struct {
		const char *rec;
		size_t len;
	} bad[] = {
		{ PB("\x08") }, /* a key without its value */
		{ PB("\x08\x80") }, /* a varint cut short */
		{ PB("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01") },
		{ PB("\x12\x05"
		     "ab") }, /* a length past the end */
		/* a length past the end of the enclosing message only */
		{ PB("\x12\x04\x08\x02\x12\x09hello") },
		/* a length of 2^64 - 1 */
		{ PB("\x12\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01") },
		/* a length of 2^63, which a signed reading makes negative */
		{ PB("\x12\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01") },
		{ PB("\x09"
		     "1234") }, /* 64 bits cut short */
		{ PB("\x0d"
		     "12") }, /* 32 bits cut short */
		{ PB("\x0b\x0c") }, /* a group */
		{ PB("\x0e") }, /* wire type 6 */
		{ PB("\x0f") }, /* wire type 7 */
		{ PB("\x00\x00") }, /* field number 0 */
		/* a Heartbeat's DurationInfo whose length lies */
		{ PB("\x08\x02\x1a\x05\x1a\x03\x0a\x09\x08") },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct roger_pbio m;
		struct roger_agentapi_pio pio;
		struct roger_err err = ROGER_ERR_INIT;
		const char *why = NULL, *data = "x";
		size_t n = 1;

		ck_assert_msg(roger_pbio_decode(&m, bad[i].rec, bad[i].len,
						&why) == -1,
			      "case %zu accepted", i);
		ck_assert_msg(why && *why, "case %zu: no reason", i);
		ck_assert_int_eq(
			roger_agentapi_output_parse_pb(
				&pio, &data, &n, bad[i].rec, bad[i].len, &err),
			ROGER_EINVALID);
		ck_assert(strstr(err.msg, why));
		ck_assert(data == NULL && n == 0);
	}
}
END_TEST

/* Frame-less record `b` (one RecordIO record): its bytes after the prefix. */
static const char *unframe(const struct roger_buf *b, size_t *len)
{
	const char *nl = memchr(b->buf, '\n', b->len);

	ck_assert(nl != NULL);
	ck_assert_uint_eq(strtoull(b->buf, NULL, 10),
			  b->len - (size_t)(nl + 1 - b->buf));
	*len = b->len - (size_t)(nl + 1 - b->buf);
	return nl + 1;
}

START_TEST(test_pbio_output_records)
{
	static const size_t sizes[] = { 0,   1,     5,     121,    122,    127,
					128, 16383, 16384, 262144, 2097152 };
	struct roger_buf b = ROGER_BUF_INIT, big = ROGER_BUF_INIT;
	struct roger_agentapi_pio pio;
	struct roger_err err = ROGER_ERR_INIT;
	const char *rec, *data;
	size_t len, n;

	/* DATA, exactly */
	ck_assert_int_eq(
		roger_agentapi_output_record(&b, ROGER_AGENTAPI_PROTOBUF,
					     ROGER_AGENTAPI_STDOUT, "hello", 5),
		0);
	ck_assert_uint_eq(b.len, 16);
	ck_assert(!memcmp(b.buf, "13\n\x08\x01\x12\x09\x08\x02\x12\x05hello",
			  16));
	/* every size across the varint's byte boundaries, both streams */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		enum roger_agentapi_stream st =
			i % 2 ? ROGER_AGENTAPI_STDERR : ROGER_AGENTAPI_STDOUT;

		roger_buf_reset(&big);
		for (size_t j = 0; j < sizes[i]; j++)
			roger_buf_addch(&big, (int)((j * 7 + i) & 0xff));
		roger_buf_reset(&b);
		ck_assert_int_eq(roger_agentapi_output_record(
					 &b, ROGER_AGENTAPI_PROTOBUF, st,
					 big.buf, big.len),
				 0);
		rec = unframe(&b, &len);
		ck_assert_int_eq(roger_agentapi_output_parse_pb(&pio, &data, &n,
								rec, len, &err),
				 0);
		ck_assert_int_eq(pio.kind, ROGER_AGENTAPI_PIO_DATA);
		ck_assert_int_eq(pio.stream, st);
		ck_assert_uint_eq(n, sizes[i]);
		ck_assert(!n || !memcmp(data, big.buf, n));
		ck_assert(!n || (data > rec && data + n == rec + len));
	}
	/* heartbeat and window size: controls, written and read back */
	roger_buf_reset(&b);
	ck_assert_int_eq(roger_agentapi_output_heartbeat(
				 &b, ROGER_AGENTAPI_PROTOBUF, 30000),
			 0);
	rec = unframe(&b, &len);
	ck_assert_int_eq(
		roger_agentapi_output_parse_pb(&pio, &data, &n, rec, len, &err),
		0);
	ck_assert_int_eq(pio.kind, ROGER_AGENTAPI_PIO_HEARTBEAT);
	{
		struct roger_pbio m;

		ck_assert_int_eq(roger_pbio_decode(&m, rec, len, NULL), 0);
		ck_assert(m.heartbeat_ns == 30000000000LL);
		roger_buf_reset(&b);
		ck_assert_int_eq(roger_pbio_tty_info(&b, 300, 1000), 0);
		ck_assert_int_eq(roger_pbio_decode(&m, b.buf, b.len, NULL), 0);
		ck_assert_uint_eq(m.control_type, ROGER_PBIO_TTY_INFO);
		ck_assert_uint_eq(m.rows, 300);
		ck_assert_uint_eq(m.columns, 1000);
	}
	ck_assert_int_eq(roger_agentapi_output_parse_pb(&pio, &data, &n, b.buf,
							b.len, &err),
			 0);
	ck_assert_int_eq(pio.kind, ROGER_AGENTAPI_PIO_TTY_INFO);
	ck_assert_uint_eq(pio.rows, 300);
	ck_assert_uint_eq(pio.columns, 1000);
	/* JSON through the same writer: the contract's example */
	roger_buf_reset(&b);
	roger_agentapi_output_record(&b, ROGER_AGENTAPI_JSON,
				     ROGER_AGENTAPI_STDOUT, "hello\n", 6);
	ck_assert_str_eq(b.buf, "58\n" EXAMPLE);
	roger_buf_release(&b);
	roger_buf_release(&big);
}
END_TEST

START_TEST(test_pbio_output_refused)
{
	static const struct {
		const char *rec;
		size_t len;
		const char *msg;
	} bad[] = {
		{ PB(""), "of type 0" }, /* no type */
		{ PB("\x08\x07"), "of type 7" },
		/* DATA STDIN in an output stream */
		{ PB("\x08\x01\x12\x06\x08\x01\x12\x02hi"),
		  "DATA record of type 1" },
		/* DATA without a stream */
		{ PB("\x08\x01\x12\x04\x12\x02hi"), "DATA record of type 0" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct roger_agentapi_pio pio;
		struct roger_err err = ROGER_ERR_INIT;
		const char *data;
		size_t n;

		ck_assert_int_eq(
			roger_agentapi_output_parse_pb(
				&pio, &data, &n, bad[i].rec, bad[i].len, &err),
			ROGER_EINVALID);
		ck_assert_msg(strstr(err.msg, bad[i].msg), "case %zu: %s", i,
			      err.msg);
	}
	/* media types: parameters and case aside, lists by their head */
	ck_assert(roger_agentapi_media_is("Application/X-Protobuf; q=1",
					  ROGER_PBIO_MEDIA));
	ck_assert(roger_agentapi_media_is(" application/json",
					  "application/json"));
	ck_assert(!roger_agentapi_media_is("application/jsonx",
					   "application/json"));
	ck_assert_str_eq(roger_agentapi_format_media(ROGER_AGENTAPI_PROTOBUF),
			 "application/x-protobuf");
}
END_TEST

/* The records of the input stream, as the server reads them. */
START_TEST(test_agentapi_input_records)
{
	struct roger_agentapi_cid cid = { "nested-1", "parent-1", NULL };
	struct roger_buf b = ROGER_BUF_INIT, data = ROGER_BUF_INIT;
	struct roger_agentapi_pio pio;
	struct roger_err err = ROGER_ERR_INIT;
	char other[64];
	const char *rec;

	roger_agentapi_attach_record(&b, &cid);
	rec = strchr(b.buf, '\n') + 1;
	ck_assert_str_eq(
		rec,
		"{\"type\":\"ATTACH_CONTAINER_INPUT\",\"attach_container_input\":{\"type\":\"CONTAINER_ID\",\"container_id\":{\"value\":\"nested-1\",\"parent\":{\"value\":\"parent-1\"}}}}");
	ck_assert_int_eq(roger_agentapi_input_parse(&pio, &data, rec,
						    strlen(rec), other, &err),
			 0);
	ck_assert_int_eq(pio.kind, ROGER_AGENTAPI_PIO_CONTAINER);
	ck_assert_str_eq(pio.cid.value, "nested-1");
	ck_assert_str_eq(pio.cid.parent, "parent-1");
	ck_assert_ptr_null(pio.cid.grandparent);

	roger_buf_reset(&b);
	roger_agentapi_data_record(&b, true, ROGER_AGENTAPI_STDIN, "ls\n", 3);
	rec = strchr(b.buf, '\n') + 1;
	ck_assert_str_eq(
		rec,
		"{\"type\":\"ATTACH_CONTAINER_INPUT\",\"attach_container_input\":{\"type\":\"PROCESS_IO\",\"process_io\":{\"type\":\"DATA\",\"data\":{\"type\":\"STDIN\",\"data\":\"bHMK\"}}}}");
	ck_assert_uint_eq((size_t)atoi(b.buf), strlen(rec));
	ck_assert_int_eq(roger_agentapi_input_parse(&pio, &data, rec,
						    strlen(rec), other, &err),
			 0);
	ck_assert_int_eq(pio.kind, ROGER_AGENTAPI_PIO_DATA);
	ck_assert_str_eq(data.buf, "ls\n");

	/* the empty STDIN record: the end of the input */
	roger_buf_reset(&b);
	roger_buf_reset(&data);
	roger_agentapi_data_record(&b, true, ROGER_AGENTAPI_STDIN, "", 0);
	rec = strchr(b.buf, '\n') + 1;
	ck_assert_int_eq(roger_agentapi_input_parse(&pio, &data, rec,
						    strlen(rec), other, &err),
			 0);
	ck_assert_int_eq(pio.kind, ROGER_AGENTAPI_PIO_DATA);
	ck_assert_uint_eq(data.len, 0);

	roger_buf_reset(&b);
	roger_agentapi_tty_record(&b, 40, 120);
	rec = strchr(b.buf, '\n') + 1;
	ck_assert_str_eq(
		rec,
		"{\"type\":\"ATTACH_CONTAINER_INPUT\",\"attach_container_input\":{\"type\":\"PROCESS_IO\",\"process_io\":{\"type\":\"CONTROL\",\"control\":{\"type\":\"TTY_INFO\",\"tty_info\":{\"window_size\":{\"rows\":40,\"columns\":120}}}}}}");
	ck_assert_int_eq(roger_agentapi_input_parse(&pio, &data, rec,
						    strlen(rec), other, &err),
			 0);
	ck_assert_int_eq(pio.kind, ROGER_AGENTAPI_PIO_TTY_INFO);
	ck_assert_uint_eq(pio.rows, 40);
	ck_assert_uint_eq(pio.columns, 120);

	roger_buf_reset(&b);
	roger_agentapi_heartbeat_record(&b, true, 30000);
	rec = strchr(b.buf, '\n') + 1;
	ck_assert_int_eq(roger_agentapi_input_parse(&pio, &data, rec,
						    strlen(rec), other, &err),
			 0);
	ck_assert_int_eq(pio.kind, ROGER_AGENTAPI_PIO_HEARTBEAT);

	/* another call on the input stream: named, for the agent's 415 */
	rec = "{\"type\":\"GET_HEALTH\"}";
	ck_assert_int_eq(roger_agentapi_input_parse(&pio, &data, rec,
						    strlen(rec), other, &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(other, "GET_HEALTH");
	rec = "{\"type\":\"ATTACH_CONTAINER_INPUT\",\"attach_container_input\":{\"type\":\"WHAT\"}}";
	ck_assert_int_eq(roger_agentapi_input_parse(&pio, &data, rec,
						    strlen(rec), other, &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(other, "");
	roger_buf_release(&b);
	roger_buf_release(&data);
}
END_TEST

/* The launch call as the contract shows dcos-core-cli's, read back by the
 * agent's parser. */
START_TEST(test_agentapi_launch_call)
{
	struct roger_agentapi_cid cid = { "new-uuid", "task-cid", NULL };
	char bash[] = "bash", login[] = "-l";
	char *argv[] = { bash, login, NULL };
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_agentapi_call c;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *got, *want;

	roger_agentapi_launch_call(&b, &cid, argv, true, NULL, 0, 0);
	got = json_loads(b.buf, 0, NULL);
	want = json_loads(
		"{\"type\":\"LAUNCH_NESTED_CONTAINER_SESSION\","
		"\"launch_nested_container_session\":{"
		"\"container_id\":{\"parent\":{\"value\":\"task-cid\"},\"value\":\"new-uuid\"},"
		"\"command\":{\"shell\":false,\"value\":\"bash\",\"arguments\":[\"bash\",\"-l\"],"
		"\"environment\":{\"variables\":[{\"name\":\"TERM\",\"type\":\"VALUE\",\"value\":\"xterm\"}]}},"
		"\"container\":{\"type\":\"MESOS\",\"tty_info\":{}}}}",
		0, NULL);
	ck_assert(json_equal(got, want));
	json_decref(got);
	json_decref(want);

	ck_assert_int_eq(roger_agentapi_call_parse(&c, b.buf, b.len, &err), 0);
	ck_assert_int_eq(c.type, ROGER_AGENTAPI_CALL_LAUNCH_SESSION);
	ck_assert_str_eq(c.cid.value, "new-uuid");
	ck_assert_str_eq(c.cid.parent, "task-cid");
	ck_assert(!c.shell);
	ck_assert_str_eq(c.value, "bash");
	ck_assert_str_eq(c.arguments[0], "bash");
	ck_assert_str_eq(c.arguments[1], "-l");
	ck_assert_ptr_null(c.arguments[2]);
	ck_assert_str_eq(c.env[0], "TERM=xterm");
	ck_assert_ptr_null(c.env[1]);
	ck_assert(c.tty);
	roger_agentapi_call_release(&c);

	/* a window size known at launch goes in tty_info */
	roger_buf_reset(&b);
	roger_agentapi_launch_call(&b, &cid, argv, true, "vt100", 33, 101);
	ck_assert_int_eq(roger_agentapi_call_parse(&c, b.buf, b.len, &err), 0);
	ck_assert(c.tty);
	ck_assert_uint_eq(c.rows, 33);
	ck_assert_uint_eq(c.columns, 101);
	ck_assert_str_eq(c.env[0], "TERM=vt100");
	roger_agentapi_call_release(&c);

	/* without a terminal: no tty_info, no TERM */
	roger_buf_reset(&b);
	roger_agentapi_launch_call(&b, &cid, argv, false, NULL, 0, 0);
	ck_assert_int_eq(roger_agentapi_call_parse(&c, b.buf, b.len, &err), 0);
	ck_assert(!c.tty);
	ck_assert_ptr_null(c.env[0]);
	roger_agentapi_call_release(&c);
	roger_buf_release(&b);
}
END_TEST

START_TEST(test_agentapi_calls_refused)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{}",
		"{\"type\":\"WAIT_CONTAINER\"}",
		"{\"type\":\"WAIT_CONTAINER\",\"wait_container\":{\"container_id\":{}}}",
		/* a session needs a parent and a command */
		"{\"type\":\"LAUNCH_NESTED_CONTAINER_SESSION\",\"launch_nested_container_session\":{\"container_id\":{\"value\":\"x\"},\"command\":{\"value\":\"ls\"}}}",
		"{\"type\":\"LAUNCH_NESTED_CONTAINER_SESSION\",\"launch_nested_container_session\":{\"container_id\":{\"value\":\"x\",\"parent\":{\"value\":\"p\"}}}}",
		"{\"type\":\"LAUNCH_NESTED_CONTAINER_SESSION\",\"launch_nested_container_session\":{\"container_id\":{\"value\":\"x\",\"parent\":{\"value\":\"p\"}},\"command\":{\"shell\":true}}}",
		"{\"type\":\"LAUNCH_NESTED_CONTAINER_SESSION\",\"launch_nested_container_session\":{\"container_id\":{\"value\":\"x\",\"parent\":{\"value\":\"p\"}},\"command\":{\"value\":\"ls\",\"arguments\":[1]}}}",
		"{\"type\":\"LAUNCH_NESTED_CONTAINER_SESSION\",\"launch_nested_container_session\":{\"container_id\":{\"value\":\"x\",\"parent\":{\"value\":\"p\"}},\"command\":{\"value\":\"ls\",\"environment\":{\"variables\":[{\"name\":\"A=B\",\"value\":\"c\"}]}}}}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct roger_agentapi_call c;
		struct roger_err err = ROGER_ERR_INIT;

		ck_assert_msg(roger_agentapi_call_parse(&c, bad[i],
							strlen(bad[i]),
							&err) == ROGER_EINVALID,
			      "accepted %s", bad[i]);
		ck_assert(err.msg[0]);
	}
}
END_TEST

static int wait_parse(const char *body, int *st, bool *has)
{
	struct roger_err err = ROGER_ERR_INIT;

	return roger_agentapi_wait_parse(st, has, body, strlen(body), &err);
}

START_TEST(test_agentapi_wait_and_exit_codes)
{
	struct roger_agentapi_cid cid = { "n", "p", NULL };
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_agentapi_call c;
	struct roger_err err = ROGER_ERR_INIT;
	bool has;
	int st;

	roger_agentapi_wait_call(&b, &cid, false);
	ck_assert_str_eq(
		b.buf,
		"{\"type\":\"WAIT_CONTAINER\",\"wait_container\":{\"container_id\":{\"value\":\"n\",\"parent\":{\"value\":\"p\"}}}}");
	ck_assert_int_eq(roger_agentapi_call_parse(&c, b.buf, b.len, &err), 0);
	ck_assert_int_eq(c.type, ROGER_AGENTAPI_CALL_WAIT);
	ck_assert_str_eq(c.cid.value, "n");
	roger_agentapi_call_release(&c);
	roger_buf_reset(&b);
	roger_agentapi_wait_call(&b, &cid, true);
	ck_assert_int_eq(roger_agentapi_call_parse(&c, b.buf, b.len, &err), 0);
	ck_assert_int_eq(c.type, ROGER_AGENTAPI_CALL_WAIT_NESTED);
	roger_agentapi_call_release(&c);

	roger_buf_reset(&b);
	roger_agentapi_wait_response(&b, false, 7 << 8);
	ck_assert_str_eq(
		b.buf,
		"{\"type\":\"WAIT_CONTAINER\",\"wait_container\":{\"exit_status\":1792}}");
	ck_assert_int_eq(
		roger_agentapi_wait_parse(&st, &has, b.buf, b.len, &err), 0);
	ck_assert(has);
	ck_assert_int_eq(st, 1792);
	ck_assert_int_eq(
		wait_parse(
			"{\"type\":\"WAIT_NESTED_CONTAINER\",\"wait_nested_container\":{\"exit_status\":0}}",
			&st, &has),
		0);
	ck_assert(has);
	ck_assert_int_eq(st, 0);
	ck_assert_int_eq(
		wait_parse(
			"{\"type\":\"WAIT_CONTAINER\",\"wait_container\":{}}",
			&st, &has),
		0);
	ck_assert(!has);
	ck_assert_int_eq(wait_parse("{}", &st, &has), ROGER_EINVALID);
	ck_assert_int_eq(
		wait_parse("{\"wait_container\":{\"exit_status\":1.5}}", &st,
			   &has),
		ROGER_EINVALID);

	/* raw wait(2) statuses: exit 7, SIGKILL, SIGSEGV with a core */
	ck_assert_int_eq(roger_agentapi_exit_code(0), 0);
	ck_assert_int_eq(roger_agentapi_exit_code(7 << 8), 7);
	ck_assert_int_eq(roger_agentapi_exit_code(9), 137);
	ck_assert_int_eq(roger_agentapi_exit_code(11 | 0x80), 139);
	roger_buf_release(&b);
}
END_TEST

/* ---- statistics --------------------------------------------------------------------- */

START_TEST(test_stats_fixture)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_stats *s = NULL;
	const struct roger_stats_entry *e;
	size_t len;
	char *body = fixture("metrics-statistics.json", &len);

	ck_assert_int_eq(roger_stats_parse(&s, body, len, &err), 0);
	ck_assert_uint_eq(s->n, 1);
	e = roger_stats_find(s, "job.1436298853");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->framework_id,
			 "20150707-195256-1740121354-5150-29801-0000");
	ck_assert(e->has_cpu_time);
	ck_assert_double_eq_tol(e->cpu_seconds, 123.49 + 2667.06, 1e-9);
	ck_assert_double_eq_tol(e->cpus_limit, 1.1, 1e-12);
	ck_assert(e->has_rss);
	ck_assert_uint_eq(e->mem_rss_bytes, 8388608);
	ck_assert_uint_eq(e->mem_limit_bytes, 167772160);
	ck_assert_double_eq_tol(e->timestamp, 1436300487.41595, 1e-6);
	ck_assert_ptr_null(roger_stats_find(s, "job.1"));
	roger_stats_free(s);
	free(body);
}
END_TEST

static struct roger_stats *parse_stats(const char *json)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_stats *s = NULL;

	ck_assert_msg(roger_stats_parse(&s, json, strlen(json), &err) == 0,
		      "%s", err.msg);
	return s;
}

START_TEST(test_stats_usage)
{
	struct roger_stats *a = parse_stats(
		"[{\"executor_id\":\"t1\",\"statistics\":{\"timestamp\":100.0,"
		"\"cpus_user_time_secs\":10.0,\"cpus_system_time_secs\":2.0,"
		"\"cpus_limit\":1.1,\"mem_rss_bytes\":104857600,"
		"\"mem_limit_bytes\":209715200}},"
		/* nothing measured but the time: skipped fields read as absent
		 */
		"{\"executor_id\":\"t2\",\"statistics\":{\"timestamp\":100.0,"
		"\"cpus_user_time_secs\":\"x\",\"mem_rss_bytes\":-5}},"
		/* no timestamp, no statistics, no id: not entries */
		"{\"executor_id\":\"t3\",\"statistics\":{}},{\"executor_id\":\"t4\"},"
		"{\"statistics\":{\"timestamp\":1}}, 5]");
	struct roger_stats *b = parse_stats(
		"[{\"executor_id\":\"t1\",\"statistics\":{\"timestamp\":102.0,"
		"\"cpus_user_time_secs\":11.5,\"cpus_system_time_secs\":2.6,"
		"\"cpus_limit\":1.1,\"mem_rss_bytes\":157286400,"
		"\"mem_limit_bytes\":209715200}}]");
	struct roger_stats *back = parse_stats(
		"[{\"executor_id\":\"t1\",\"statistics\":{\"timestamp\":104.0,"
		"\"cpus_user_time_secs\":1.0,\"cpus_system_time_secs\":0.0}}]");
	struct roger_stats_usage u, sum;

	ck_assert_uint_eq(a->n, 2);
	ck_assert(!a->items[1].has_cpu_time);
	ck_assert(!a->items[1].has_rss);
	/* 2.1 cpu seconds in 2 s: 1.05 cores of a 1.1 limit */
	roger_stats_usage(&u, &a->items[0], &b->items[0], 0);
	ck_assert(u.has_cpu);
	ck_assert_double_eq_tol(u.cpus_used, 1.05, 1e-9);
	ck_assert_double_eq_tol(roger_stats_cpu_percent(&u), 100.0 * 1.05 / 1.1,
				1e-9);
	ck_assert(u.has_mem);
	ck_assert_double_eq_tol(roger_stats_mem_percent(&u), 75.0, 1e-9);
	/* one sample: over the task's life (started 40 s before) */
	roger_stats_usage(&u, NULL, &b->items[0], 62.0);
	ck_assert_double_eq_tol(u.cpus_used, 14.1 / 40.0, 1e-9);
	roger_stats_usage(&u, NULL, &b->items[0], 0);
	ck_assert(!u.has_cpu);
	ck_assert_double_eq(roger_stats_cpu_percent(&u), -1);
	/* a counter that went back uses nothing; no limits, no percent */
	roger_stats_usage(&u, &b->items[0], &back->items[0], 0);
	ck_assert(u.has_cpu);
	ck_assert_double_eq(u.cpus_used, 0);
	ck_assert_double_eq(roger_stats_cpu_percent(&u), -1);
	ck_assert(!u.has_mem);
	ck_assert_double_eq(roger_stats_mem_percent(&u), -1);
	/* the same timestamp twice: no rate */
	roger_stats_usage(&u, &b->items[0], &b->items[0], 0);
	ck_assert(!u.has_cpu);
	/* the sum adds what is known */
	memset(&sum, 0, sizeof(sum));
	roger_stats_usage(&u, &a->items[0], &b->items[0], 0);
	roger_stats_usage_add(&sum, &u);
	roger_stats_usage_add(&sum, &u);
	ck_assert_double_eq_tol(sum.cpus_used, 2.1, 1e-9);
	ck_assert_double_eq_tol(sum.cpus_limit, 2.2, 1e-9);
	ck_assert_uint_eq(sum.rss_bytes, 2 * 157286400ULL);
	ck_assert_double_eq_tol(roger_stats_mem_percent(&sum), 75.0, 1e-9);
	roger_stats_free(a);
	roger_stats_free(b);
	roger_stats_free(back);
}
END_TEST

START_TEST(test_stats_refused)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_stats *s = NULL;

	ck_assert_int_eq(roger_stats_parse(&s, "{}", 2, &err), ROGER_EHTTP);
	ck_assert_int_eq(roger_stats_parse(&s, "[", 1, &err), ROGER_EHTTP);
	ck_assert_int_eq(roger_stats_parse(&s, NULL, 0, &err), ROGER_EHTTP);
	ck_assert_ptr_null(s);
}
END_TEST

/* ---- picking the task ------------------------------------------------------------------ */

static struct roger_marathon_tasks *tasks_of(const char *json)
{
	struct roger_marathon_tasks *t = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(
		roger_marathon_tasks_parse(&t, json, strlen(json), &err) == 0,
		"%s", err.msg);
	return t;
}

#define TASK(id, state, started, health)                                       \
	"{\"id\":\"" id "\",\"appId\":\"/web/hello\",\"state\":\"" state       \
	"\",\"stagedAt\":\"" started "\",\"startedAt\":\"" started "\"" health \
	"}"
#define ALIVE ",\"healthCheckResults\":[{\"alive\":true}]"
#define DEAD ",\"healthCheckResults\":[{\"alive\":false}]"

START_TEST(test_exec_pick_task)
{
	const struct roger_marathon_task *t;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_marathon_tasks *one = tasks_of("{\"tasks\":[" TASK(
		"web_hello.aaaaaaaa-1111-2222-3333-444444444444",
		"TASK_RUNNING", "2026-01-01T00:00:01.000Z",
		"") "," TASK("web_hello.bbbbbbbb-1111-2222-3333-444444444444",
			     "TASK_STAGING", "2026-01-01T00:00:00.000Z",
			     "") "]}");
	struct roger_marathon_tasks *many = tasks_of("{\"tasks\":[" TASK(
		"web_hello.cccccccc-1111-2222-3333-444444444444",
		"TASK_RUNNING", "2026-01-01T00:00:03.000Z",
		ALIVE) "," TASK("web_hello.dddddddd-1111-2222-3333-444444444444",
				"TASK_RUNNING", "2026-01-01T00:00:01.000Z",
				DEAD) "," TASK("web_hello.ccccdddd-1111-2222-3333-444444444444",
					       "TASK_RUNNING",
					       "2026-01-01T00:00:02.000Z",
					       ALIVE) "]}");
	struct roger_marathon_tasks *none = tasks_of("{\"tasks\":[" TASK(
		"web_hello.eeeeeeee-1111-2222-3333-444444444444",
		"TASK_KILLING", "2026-01-01T00:00:01.000Z", "") "]}");
	bool of_many;

	/* the only running one, staging ones aside */
	ck_assert_int_eq(roger_exec_pick_task(&t, &of_many, one->items, one->n,
					      "/web/hello", NULL, &err),
			 0);
	ck_assert_str_eq(t->id,
			 "web_hello.aaaaaaaa-1111-2222-3333-444444444444");
	ck_assert(!of_many);
	/* among several: the oldest healthy one, said */
	ck_assert_int_eq(roger_exec_pick_task(&t, &of_many, many->items,
					      many->n, "/web/hello", NULL,
					      &err),
			 0);
	ck_assert_str_eq(t->id,
			 "web_hello.ccccdddd-1111-2222-3333-444444444444");
	ck_assert(of_many);
	/* --task: an id, a short name, the start of one */
	ck_assert_int_eq(roger_exec_pick_task(&t, &of_many, many->items,
					      many->n, "/web/hello", "dddddddd",
					      &err),
			 0);
	ck_assert_str_eq(t->id,
			 "web_hello.dddddddd-1111-2222-3333-444444444444");
	ck_assert(!of_many);
	ck_assert_int_eq(
		roger_exec_pick_task(
			&t, &of_many, many->items, many->n, "/web/hello",
			"web_hello.cccccccc-1111-2222-3333-444444444444", &err),
		0);
	ck_assert_str_eq(t->id,
			 "web_hello.cccccccc-1111-2222-3333-444444444444");
	ck_assert_int_eq(roger_exec_pick_task(&t, &of_many, many->items,
					      many->n, "/web/hello", "cccc",
					      &err),
			 ROGER_EUSAGE);
	ck_assert_msg(strstr(err.msg, "names 2 tasks"), "%s", err.msg);
	ck_assert_int_eq(roger_exec_pick_task(&t, &of_many, many->items,
					      many->n, "/web/hello", "ffff",
					      &err),
			 ROGER_ENOTFOUND);
	ck_assert_int_eq(roger_exec_pick_task(&t, &of_many, one->items, one->n,
					      "/web/hello", "bbbbbbbb", &err),
			 ROGER_ENOTFOUND);
	/* nothing running */
	ck_assert_int_eq(roger_exec_pick_task(&t, &of_many, none->items,
					      none->n, "/web/hello", NULL,
					      &err),
			 ROGER_ENOTFOUND);
	ck_assert_str_eq(err.msg, "app '/web/hello' has no running task");
	roger_marathon_tasks_free(one);
	roger_marathon_tasks_free(many);
	roger_marathon_tasks_free(none);
}
END_TEST

/* ---- /proc ----------------------------------------------------------------------------- */

START_TEST(test_proc_stat_lines)
{
	/* comm with spaces and parentheses; fields as Linux writes them */
	static const char line[] =
		"4242 (we (i)rd name) S 1 4242 4242 0 -1 4194560 1073 0 0 0 "
		"250 75 12 3 20 0 3 0 123456 10000000 1234 18446744073709551615 "
		"1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
	struct roger_agent_proc_stat st;

	ck_assert_int_eq(roger_agent_proc_stat_parse(&st, line, strlen(line)),
			 0);
	ck_assert_int_eq(st.session, 4242);
	ck_assert_uint_eq(st.utime, 250);
	ck_assert_uint_eq(st.stime, 75);
	ck_assert_uint_eq(st.cutime, 12);
	ck_assert_uint_eq(st.cstime, 3);
	ck_assert_int_eq(st.threads, 3);
	ck_assert_int_eq(st.rss_pages, 1234);
	ck_assert_int_eq(
		roger_agent_proc_stat_parse(&st, "4242 (x) S 1 2 3", 16), -1);
	ck_assert_int_eq(roger_agent_proc_stat_parse(&st, "4242 x S", 8), -1);
	ck_assert_int_eq(roger_agent_proc_stat_parse(&st, "", 0), -1);
	ck_assert_int_eq(
		roger_agent_proc_stat_parse(&st, "1 (a) S 1 2 x 4", 15), -1);
}
END_TEST

static Suite *exec_suite(void)
{
	Suite *s = suite_create("exec");
	TCase *tc = tcase_create("recordio");

	tcase_add_test(tc, test_recordio_contract_example);
	tcase_add_test(tc, test_recordio_split_and_joined);
	tcase_add_test(tc, test_recordio_larger_than_a_buffer);
	tcase_add_test(tc, test_recordio_refused);
	tcase_add_test(tc, test_recordio_cut_short);
	tcase_add_test(tc, test_base64_round_trip);
	tcase_add_test(tc, test_base64_known_and_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("agentapi");
	tcase_add_test(tc, test_agentapi_output_records);
	tcase_add_test(tc, test_agentapi_output_refused);
	tcase_add_test(tc, test_agentapi_input_records);
	tcase_add_test(tc, test_agentapi_launch_call);
	tcase_add_test(tc, test_agentapi_calls_refused);
	tcase_add_test(tc, test_agentapi_wait_and_exit_codes);
	tcase_add_test(tc, test_pbio_decode_table);
	tcase_add_test(tc, test_pbio_refused);
	tcase_add_test(tc, test_pbio_output_records);
	tcase_add_test(tc, test_pbio_output_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("stats");
	tcase_add_test(tc, test_stats_fixture);
	tcase_add_test(tc, test_stats_usage);
	tcase_add_test(tc, test_stats_refused);
	tcase_add_test(tc, test_proc_stat_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("pick");
	tcase_add_test(tc, test_exec_pick_task);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(exec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
