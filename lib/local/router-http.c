/*
 * router-http.c - the bytes the router's HTTP front reads: a request head
 * (only what routing needs: Host and X-Marathon-App-Id), the head sent on
 * to a task, and the app a *.localhost name stands for.  Pure functions,
 * no I/O: router.c calls them, tests/check_router.c and
 * tests/fuzz/fuzz_router_head.c drive them.
 */
#include <config.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "local/router.h"

/* The end of the line starting at `p` (at its "\r\n"), or NULL. */
static const char *line_end(const char *p, const char *end)
{
	const char *q = memchr(p, '\n', (size_t)(end - p));

	if (!q || q == p || q[-1] != '\r')
		return NULL;
	return q - 1;
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

/* A header line's value without surrounding blanks. */
static void header_value(const char *colon, const char *eol, const char **v,
			 size_t *len)
{
	const char *s = colon + 1;

	while (s < eol && (*s == ' ' || *s == '\t'))
		s++;
	while (eol > s && (eol[-1] == ' ' || eol[-1] == '\t'))
		eol--;
	*v = s;
	*len = (size_t)(eol - s);
}

int roger_router_head_parse(struct roger_router_head *h, const char *buf,
			    size_t n)
{
	const char *end, *p, *eol, *blank;

	memset(h, 0, sizeof(*h));
	if (n > ROGER_ROUTER_HEAD_MAX)
		n = ROGER_ROUTER_HEAD_MAX;
	blank = NULL;
	for (size_t i = 0; i + 3 < n; i++)
		if (!memcmp(buf + i, "\r\n\r\n", 4)) {
			blank = buf + i;
			break;
		}
	if (memchr(buf, '\0', blank ? (size_t)(blank - buf) : n))
		return -1;
	if (!blank)
		return n >= ROGER_ROUTER_HEAD_MAX ? -1 : 0;
	end = blank + 4;
	h->len = (size_t)(end - buf);
	/* request line: METHOD SP TARGET SP VERSION */
	eol = line_end(buf, end);
	if (!eol || eol == buf || !memchr(buf, ' ', (size_t)(eol - buf)) ||
	    buf[0] == ' ')
		return -1;
	for (p = eol + 2; p < blank + 2; p = eol + 2) {
		const char *colon, *v;
		size_t len;

		eol = line_end(p, end);
		if (!eol || *p == ' ' || *p == '\t')
			return -1;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p)
			return -1;
		header_value(colon, eol, &v, &len);
		if (name_is(p, (size_t)(colon - p), "host") && !h->host) {
			h->host = v;
			h->host_len = len;
		} else if (name_is(p, (size_t)(colon - p),
				   "x-marathon-app-id") &&
			   !h->app_id) {
			h->app_id = v;
			h->app_id_len = len;
		}
	}
	return 1;
}

char *roger_router_head_rewrite(const char *buf,
				const struct roger_router_head *h,
				size_t *out_len)
{
	static const char close_hdr[] = "Connection: close\r\n\r\n";
	const char *end = buf + h->len, *p, *eol;
	char *out = malloc(h->len + sizeof(close_hdr));
	size_t n = 0;

	if (!out)
		return NULL;
	for (p = buf; p < end - 2; p = eol + 2) {
		const char *colon;
		size_t nlen;

		eol = (const char *)memchr(p, '\n', (size_t)(end - p)) - 1;
		colon = p == buf ? NULL : memchr(p, ':', (size_t)(eol - p));
		nlen = colon ? (size_t)(colon - p) : 0;
		if (colon && (name_is(p, nlen, "connection") ||
			      name_is(p, nlen, "keep-alive") ||
			      name_is(p, nlen, "proxy-connection")))
			continue;
		memcpy(out + n, p, (size_t)(eol + 2 - p));
		n += (size_t)(eol + 2 - p);
	}
	memcpy(out + n, close_hdr, sizeof(close_hdr) - 1);
	*out_len = n + sizeof(close_hdr) - 1;
	return out;
}

bool roger_router_host_name(char *out, size_t size, const char *host,
			    size_t host_len)
{
	size_t n = 0;

	if (host_len > 0 && host[0] == '[') /* an IPv6 literal: no app */
		return false;
	while (n < host_len && host[n] != ':')
		n++;
	while (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 0 || n >= size)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)host[i]);
	out[n] = '\0';
	return true;
}

bool roger_router_host_app(char *out, size_t size, const char *host,
			   size_t host_len)
{
	static const char suffix[] = ".localhost";
	char name[256];
	size_t n, o = 0;

	if (!roger_router_host_name(name, sizeof(name), host, host_len))
		return false;
	n = strlen(name);
	if (n <= sizeof(suffix) - 1 ||
	    strcmp(name + n - (sizeof(suffix) - 1), suffix) != 0)
		return false;
	n -= sizeof(suffix) - 1;
	name[n] = '\0';
	/* labels from the last to the first, each after a '/' */
	while (n > 0) {
		size_t start = n;

		while (start > 0 && name[start - 1] != '.')
			start--;
		if (start == n || o + 1 + (n - start) + 1 > size)
			return false;
		for (size_t i = start; i < n; i++)
			if (!isalnum((unsigned char)name[i]) && name[i] != '-')
				return false;
		out[o++] = '/';
		memcpy(out + o, name + start, n - start);
		o += n - start;
		n = start > 0 ? start - 1 : 0;
		if (start > 0 && n == 0)
			return false; /* a leading dot */
	}
	out[o] = '\0';
	return o > 0;
}
