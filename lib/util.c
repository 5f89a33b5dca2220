/*
 * util.c - the small helpers of util.h: writing a whole buffer, UUIDs, the
 * clocks, URL schemes and base64, each of which several modules need.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "util.h"

int roger_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* splitmix64: spreads the bits of a counter over a whole word. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Without entropy from the kernel (getrandom(2) missing or failing), the
 * nanoseconds of the clock, the process id and a counter: never the same
 * twice on this machine, which is what ids need (they are not secrets).
 */
static void fallback_bytes(unsigned char *b, size_t n)
{
	static atomic_uint_fast64_t counter;
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	x ^= (uint64_t)getpid() << 40;
	x ^= mix((uint64_t)atomic_fetch_add(&counter, 1));
	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			x = mix(x);
		b[i] = (unsigned char)(x >> (8 * (i % 8)));
	}
}

void roger_uuid(char out[ROGER_UUID_LEN + 1])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fallback_bytes(b + got, sizeof(b) - got);
			break;
		}
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(
		out, ROGER_UUID_LEN + 1,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
}

int64_t roger_clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void roger_clock_deadline(struct timespec *out, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, out);
	out->tv_sec += (time_t)(ms / 1000);
	out->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}

bool roger_path_clean_abs(const char *s)
{
	const char *p = s;

	if (s[0] != '/' || !s[1])
		return false;
	while (*p) {
		size_t n;

		p++;
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
	}
	return true;
}

size_t roger_url_scheme_len(const char *url)
{
	if (!strncasecmp(url, "http://", 7))
		return 7;
	if (!strncasecmp(url, "https://", 8))
		return 8;
	return 0;
}

void roger_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int roger_json_reply(json_t **out, const char *body, size_t len,
		     const char *what, bool array, struct roger_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(body ? body : "", len, 0, &jerr);
	int rc;

	if (!root) {
		rc = roger_err_set(
			err, ROGER_EHTTP,
			"invalid JSON in %s: %s (line %d, column %d)", what,
			jerr.text, jerr.line, jerr.column);
		if (err)
			roger_one_line(err->msg);
		return rc;
	}
	if (array ? !json_is_array(root) : !json_is_object(root)) {
		json_decref(root);
		return roger_err_set(err, ROGER_EHTTP,
				     "unexpected JSON in %s: expected an %s",
				     what, array ? "array" : "object");
	}
	*out = root;
	return 0;
}

static bool time_digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool roger_iso_time_parse(int64_t *out, const char *s, bool offsets)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, frac = 0, oh = 0, om = 0, sign = 1;
	const char *p;
	time_t t;

	if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return false;
	if (!time_digits(s, 4, &y) || !time_digits(s + 5, 2, &mo) ||
	    !time_digits(s + 8, 2, &d) || !time_digits(s + 11, 2, &h) ||
	    !time_digits(s + 14, 2, &mi) || !time_digits(s + 17, 2, &sec))
		return false;
	p = s + 19;
	if (*p == '.') {
		int n = 0, scale = 1000;

		for (p++; p[n] >= '0' && p[n] <= '9'; n++)
			if (n < 3) {
				frac = frac * 10 + (p[n] - '0');
				scale /= 10;
			}
		if (n == 0 || n > 9)
			return false;
		frac *= scale;
		p += n;
	}
	if (offsets && (*p == '+' || *p == '-')) {
		sign = *p == '-' ? -1 : 1;
		if (!time_digits(p + 1, 2, &oh))
			return false;
		p += 3;
		if (*p == ':')
			p++;
		if (!time_digits(p, 2, &om) || p[2] || oh > 23 || om > 59)
			return false;
	} else if (strcmp(p, "Z") != 0) {
		return false;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = ((int64_t)t - sign * (oh * 3600 + om * 60)) * 1000 + frac;
	return true;
}

/* ---- base64 -------------------------------------------------------------- */

/*
 * Table-driven both ways, since an exec session moves all its bytes
 * through here: encoding writes two characters per lookup of 12 bits;
 * decoding ORs four lookups of 24-bit contributions, one table per
 * position in the group of four, where a character outside the alphabet
 * contributes a bit beyond the 24 that one test per group catches.
 */
static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
#define B64_BAD 0x1000000u

static char b64_pairs[4096][2];
static uint32_t b64_dec[4][256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void b64_init(void)
{
	for (unsigned i = 0; i < 4096; i++) {
		b64_pairs[i][0] = b64_alphabet[i >> 6];
		b64_pairs[i][1] = b64_alphabet[i & 63];
	}
	for (unsigned pos = 0; pos < 4; pos++)
		for (unsigned c = 0; c < 256; c++)
			b64_dec[pos][c] = B64_BAD;
	for (unsigned i = 0; i < 64; i++) {
		unsigned char c = (unsigned char)b64_alphabet[i];

		for (unsigned pos = 0; pos < 4; pos++)
			b64_dec[pos][c] = (uint32_t)i << (18 - 6 * pos);
	}
}

size_t roger_base64_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

int roger_base64_add(struct roger_buf *out, const void *data, size_t len)
{
	const unsigned char *in = data;
	size_t n = roger_base64_len(len), i = 0;
	char *o;

	pthread_once(&b64_once, b64_init);
	if (roger_buf_grow(out, n) < 0)
		return ROGER_ENOMEM;
	o = out->buf + out->len;
	for (; i + 3 <= len; i += 3, o += 4) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
			     in[i + 2];

		memcpy(o, b64_pairs[v >> 12], 2);
		memcpy(o + 2, b64_pairs[v & 0xfff], 2);
	}
	if (i < len) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	out->len += n;
	out->buf[out->len] = '\0';
	return 0;
}

int roger_base64_decode_add(struct roger_buf *out, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, tail;
	unsigned char *o;
	uint32_t v;

	pthread_once(&b64_once, b64_init);
	for (int pad = 0; pad < 2 && len > 0 && in[len - 1] == '='; pad++)
		len--;
	/* what is left after whole groups: 0, 2 or 3 characters */
	tail = len % 4;
	if (tail == 1)
		return ROGER_EINVALID;
	if (roger_buf_grow(out, len / 4 * 3 + 2) < 0)
		return ROGER_ENOMEM;
	o = (unsigned char *)out->buf + out->len;
	for (; i + 4 <= len; i += 4, o += 3) {
		v = b64_dec[0][s[i]] | b64_dec[1][s[i + 1]] |
		    b64_dec[2][s[i + 2]] | b64_dec[3][s[i + 3]];
		if (v & B64_BAD)
			goto bad;
		o[0] = (unsigned char)(v >> 16);
		o[1] = (unsigned char)(v >> 8);
		o[2] = (unsigned char)v;
	}
	if (tail) {
		v = b64_dec[0][s[i]] | b64_dec[1][s[i + 1]] |
		    (tail == 3 ? b64_dec[2][s[i + 2]] : 0);
		if (v & B64_BAD)
			goto bad;
		*o++ = (unsigned char)(v >> 16);
		if (tail == 3)
			*o++ = (unsigned char)(v >> 8);
	}
	out->len = (size_t)((char *)o - out->buf);
	out->buf[out->len] = '\0';
	return 0;
bad:
	out->buf[out->len] = '\0'; /* nothing of it counted */
	return ROGER_EINVALID;
}
