/*
 * util.c - small helpers of roger local's server: Marathon's timestamps
 * written, ids, and numbers printed the way Marathon (Scala) prints them.
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "err.h"
#include "local/internal.h"
#include "marathon.h"

void roger_local_fmt_time(char out[ROGER_LOCAL_TIME_LEN], int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, ROGER_LOCAL_TIME_LEN,
		 "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ms % 1000));
}

int64_t roger_local_now(struct roger_local *L)
{
	return roger_ctx_wall_ms(L->ctx);
}

void roger_local_new_version(struct roger_local *L,
			     char out[ROGER_LOCAL_TIME_LEN], const char *after)
{
	int64_t now = roger_local_now(L), prev;

	if (after && *after && roger_marathon_time_parse(&prev, after) &&
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

char **roger_local_strv_dup(char *const *v)
{
	size_t n = 0;
	char **out;

	while (v && v[n])
		n++;
	out = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; out && i < n; i++)
		out[i] = strdup(v[i]);
	return out;
}

void roger_local_env_name(char *out, size_t size, const char *prefix,
			  const char *name)
{
	size_t n = (size_t)snprintf(out, size, "%s", prefix);

	for (; *name && n + 1 < size; name++) {
		char ch = *name;

		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		else if (!((ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || ch == '_'))
			ch = '_';
		out[n++] = ch;
	}
	out[n] = '\0';
}

void roger_local_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
