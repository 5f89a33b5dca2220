/*
 * util.c - small helpers of roger local's server: Marathon's timestamps,
 * UUIDs, ids, and numbers printed the way Marathon (Scala) prints them.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ctx.h"
#include "err.h"
#include "local/internal.h"

void roger_local_fmt_time(char out[ROGER_LOCAL_TIME_LEN], int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, ROGER_LOCAL_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static bool digits(const char *s, int n, int *out)
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

bool roger_local_parse_time(const char *s, int64_t *ms)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, frac = 0, scale = 1000;
	const char *p;
	time_t t;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
	    !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
	    !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
		return false;
	p = s + 19;
	if (*p == '.') {
		int n = 0;

		p++;
		while (p[n] >= '0' && p[n] <= '9')
			n++;
		if (n == 0 || n > 9)
			return false;
		for (int i = 0; i < n; i++) {
			if (i < 3) {
				frac = frac * 10 + (p[i] - '0');
				scale /= 10;
			}
		}
		frac *= scale;
		p += n;
	}
	if (strcmp(p, "Z") != 0)
		return false;
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
	*ms = (int64_t)t * 1000 + frac;
	return true;
}

void roger_local_uuid(char out[37])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* No entropy source: still unique enough per process. */
			for (; got < sizeof(b); got++)
				b[got] = (unsigned char)(rand() & 0xff);
			break;
		}
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

int64_t roger_local_now(struct roger_local *L)
{
	return roger_ctx_wall_ms(L->ctx);
}

void roger_local_new_version(struct roger_local *L,
			     char out[ROGER_LOCAL_TIME_LEN], const char *after)
{
	int64_t now = roger_local_now(L), prev;

	if (after && *after && roger_local_parse_time(after, &prev) &&
	    now <= prev)
		now = prev + 1;
	roger_local_fmt_time(out, now);
}

void roger_local_safe_id(char *out, size_t size, const char *app_id)
{
	size_t n = 0;

	while (*app_id == '/')
		app_id++;
	for (; *app_id && n + 1 < size; app_id++)
		out[n++] = *app_id == '/' ? '_' : *app_id;
	out[n] = '\0';
}

json_t *roger_local_json_number(double v)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

void roger_local_fmt_double(char *out, size_t size, double v)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, size, "%.1f", v);
		return;
	}
	/* The shortest text that reads back as the same double. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, size, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}
