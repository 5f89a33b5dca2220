/*
 * http-curl.c - the libcurl transport: one attempt of one request.
 *
 * One easy handle per transport, reset before each request, keeps curl's
 * connection cache, so a watch loop polling Marathon reuses its connection.
 * curl is asked for exactly what the request says and nothing else: no
 * redirects, no default Content-Type or Expect, TLS peer and host
 * verification always on (an optional CA file), http and https only, proxies
 * from the environment as curl does.
 *
 * How far an attempt got is what the retry policy needs: curl's debug
 * callback reports the request headers as they leave (CURLINFO_HEADER_OUT),
 * which sets resp->sent; a failure before that point means the server never
 * saw the request.  This is why the handle always runs verbose: the debug
 * callback only fires then.  Its text reaches the log (level TRACE, with
 * credentials masked) only with ROGER_TRACE_HTTP=1.
 *
 * Idle timeouts are ours, not curl's low-speed limit: that one averages the
 * rate over seconds, so a healthy event stream with a 2-byte heartbeat every
 * 10 s would look "too slow".  The progress callback, which curl calls
 * about once a second, compares the time of the last byte with the limit.
 *
 * Bodies: a 2xx body goes to the request's body callback when it has one,
 * everything else into resp->body, up to the request's cap.  curl's error
 * codes are translated here, once, into roger codes with one-line messages
 * that name the URL (masked).
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "ctx.h"
#include "err.h"
#include "http.h"

#define DEFAULT_MAX_BODY ((size_t)256 << 20)
#define STREAM_BUFFER (512L * 1024)

struct curl_transport {
	struct roger_http base;
	struct roger_ctx *ctx;
	CURL *curl;
	bool verbose; /* ROGER_TRACE_HTTP */
};

/* The state of one transfer, shared by the callbacks. */
struct xfer {
	struct curl_transport *t;
	const struct roger_http_req *req;
	struct roger_http_resp *resp;
	struct roger_err *err;
	long status; /* of the reply being received (1xx included) */
	size_t max_body;
	int cb_rc; /* a negative code from a callback */
	bool stopped; /* the body callback asked to stop */
	bool too_big;
	bool idle; /* nothing arrived for req->idle_timeout_ms */
	int64_t last_data_ms; /* when a byte last arrived */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	struct xfer *x = userp;
	size_t len = size * n, name_len, v;

	x->last_data_ms = roger_ctx_now_ms(x->t->ctx);
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0 && x->status >= 200 && x->req->headers_fn) {
		/* the blank line: the head of a final reply is complete */
		int rc = x->req->headers_fn(x->req->headers_data, x->resp,
					    x->status, x->err);

		if (rc < 0) {
			x->cb_rc = rc;
			return 0;
		}
		return size * n;
	}
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		const char *sp = memchr(data, ' ', len);

		x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		roger_buf_reset(&x->resp->headers_);
		return size * n;
	}
	name_len = 0;
	while (name_len < len && data[name_len] != ':')
		name_len++;
	if (name_len == len || name_len == 0)
		return size * n;
	v = name_len + 1;
	while (v < len && (data[v] == ' ' || data[v] == '\t'))
		v++;
	if (roger_http_resp_add_header(x->resp, data, name_len, data + v,
				       len - v) < 0) {
		x->cb_rc = roger_err_set(x->err, ROGER_ENOMEM, "out of memory");
		return 0;
	}
	return size * n;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
	struct xfer *x = userp;
	size_t len = size * n;
	int rc;

	x->last_data_ms = roger_ctx_now_ms(x->t->ctx);
	if (x->req->body_fn && x->status >= 200 && x->status < 300) {
		rc = x->req->body_fn(x->req->body_data, data, len, x->err);
		if (rc == ROGER_HTTP_STOP) {
			x->stopped = true;
			x->resp->streamed += (int64_t)len;
			return 0;
		}
		if (rc < 0) {
			x->cb_rc = rc;
			return 0;
		}
		x->resp->streamed += (int64_t)len;
		return len;
	}
	if (x->resp->body.len + len > x->max_body) {
		x->too_big = true;
		return 0;
	}
	if (roger_buf_add(&x->resp->body, data, len) < 0) {
		x->cb_rc = roger_err_set(x->err, ROGER_ENOMEM, "out of memory");
		return 0;
	}
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *userp)
{
	struct xfer *x = userp;
	long got = x->req->read_fn(x->req->read_data, buf, size * n, x->err);

	if (got < 0) {
		x->cb_rc = (int)got;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = userp;
	int rc;

	if (roger_ctx_interrupted(x->t->ctx))
		return 1;
	if (x->req->idle_timeout_ms > 0 &&
	    roger_ctx_now_ms(x->t->ctx) - x->last_data_ms >
		    x->req->idle_timeout_ms) {
		x->idle = true;
		return 1;
	}
	if (!x->req->progress_fn)
		return 0;
	rc = x->req->progress_fn(x->req->progress_data, dlnow, dltotal, ulnow,
				 ultotal, x->err);
	if (rc == ROGER_HTTP_STOP)
		x->stopped = true;
	else if (rc < 0)
		x->cb_rc = rc;
	return rc != 0;
}

/* Log one line of curl's verbose output, masking credentials. */
static void trace_line(struct curl_transport *t, char mark, const char *line,
		       size_t len)
{
	static const char *const secret[] = { "authorization:",
					      "proxy-authorization:", "cookie:",
					      "set-cookie:" };

	for (size_t i = 0; i < sizeof(secret) / sizeof(*secret); i++) {
		size_t sl = strlen(secret[i]);
		const char *v;
		size_t keep;

		if (len < sl || strncasecmp(line, secret[i], sl))
			continue;
		v = line + sl;
		while ((size_t)(v - line) < len && *v == ' ')
			v++;
		keep = 0;
		while ((size_t)(v - line) + keep < len && v[keep] != ' ' &&
		       v[keep] != '=')
			keep++;
		if ((size_t)(v - line) + keep < len)
			keep++;
		else
			keep = 0;
		roger_log(t->ctx, ROGER_LOG_TRACE, "%c %.*s***", mark,
			  (int)(v - line + (long)keep), line);
		return;
	}
	roger_log(t->ctx, ROGER_LOG_TRACE, "%c %.*s", mark, (int)len, line);
}

static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size,
		    void *userp)
{
	struct xfer *x = userp;
	char mark;

	(void)curl;
	if (type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT)
		x->resp->sent = true;
	if (!x->t->verbose)
		return 0;
	switch (type) {
	case CURLINFO_TEXT:
		mark = '*';
		break;
	case CURLINFO_HEADER_IN:
		mark = '<';
		break;
	case CURLINFO_HEADER_OUT:
		mark = '>';
		break;
	case CURLINFO_DATA_IN:
	case CURLINFO_DATA_OUT:
		roger_log(x->t->ctx, ROGER_LOG_TRACE, "%c [%zu bytes of data]",
			  type == CURLINFO_DATA_IN ? '<' : '>', size);
		return 0;
	default:
		return 0;
	}
	while (size > 0) {
		size_t len = 0;

		while (len < size && data[len] != '\n')
			len++;
		if (len > 0 || size > 1) {
			size_t l = len;

			while (l > 0 && data[l - 1] == '\r')
				l--;
			if (l > 0)
				trace_line(x->t, mark, data, l);
		}
		if (len < size)
			len++;
		data += len;
		size -= len;
	}
	return 0;
}

static bool has_header(const struct roger_http_req *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (!strcasecmp(req->headers[i].name, name))
			return true;
	return false;
}

static int build_headers(struct curl_slist **out,
			 const struct roger_http_req *req, bool with_body)
{
	struct curl_slist *list = NULL, *n;
	char *line = NULL;

	for (size_t i = 0; i < req->n_headers; i++) {
		const char *v = req->headers[i].value;

		if (asprintf(&line, v && *v ? "%s: %s" : "%s:",
			     req->headers[i].name, v) < 0)
			goto nomem;
		n = curl_slist_append(list, line);
		free(line);
		if (!n)
			goto nomem;
		list = n;
	}
	if (!has_header(req, "Expect")) {
		n = curl_slist_append(list,
				      (req->flags & ROGER_HTTP_EXPECT_CONTINUE)
					      ? "Expect: 100-continue"
					      : "Expect:");
		if (!n)
			goto nomem;
		list = n;
	}
	if (with_body && !has_header(req, "Content-Type")) {
		n = curl_slist_append(list, "Content-Type:");
		if (!n)
			goto nomem;
		list = n;
	}
	*out = list;
	return 0;
nomem:
	curl_slist_free_all(list);
	return ROGER_ENOMEM;
}

/* "5 s", "0.5 s" */
static void fmt_seconds(char *out, size_t size, long ms)
{
	snprintf(out, size, "%g s", (double)ms / 1000.0);
}

static void lower_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char)(s[0] - 'A' + 'a');
}

/* Translate a failed transfer into a roger code and message. */
static int curl_failure(struct xfer *x, CURLcode code, const char *errbuf,
			const char *url)
{
	const struct roger_http_req *req = x->req;
	char detail[CURL_ERROR_SIZE + 64], curl_detail[CURL_ERROR_SIZE];
	char secs[32];
	long os_errno = 0;
	curl_off_t connect_us = 0;

	curl_easy_getinfo(x->t->curl, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(x->t->curl, CURLINFO_CONNECT_TIME_T, &connect_us);
	if (os_errno)
		snprintf(detail, sizeof(detail), "%s", strerror((int)os_errno));
	else
		snprintf(detail, sizeof(detail), "%s",
			 *errbuf ? errbuf : curl_easy_strerror(code));
	lower_first(detail);
	snprintf(curl_detail, sizeof(curl_detail), "%s",
		 *errbuf ? errbuf : curl_easy_strerror(code));
	lower_first(curl_detail);
	switch (code) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return roger_err_set(x->err, ROGER_EINVALID,
				     "invalid URL '%s': %s", url, detail);
	case CURLE_COULDNT_RESOLVE_PROXY:
		return roger_err_set(x->err, ROGER_ENET,
				     "cannot resolve the proxy for '%s': %s",
				     url, detail);
	case CURLE_COULDNT_RESOLVE_HOST:
		return roger_err_set(x->err, ROGER_ENET,
				     "cannot resolve the host of '%s'", url);
	case CURLE_COULDNT_CONNECT:
		return roger_err_set(x->err, ROGER_ENET,
				     "cannot connect to '%s': %s", url, detail);
	case CURLE_OPERATION_TIMEDOUT:
		x->resp->timed_out = true;
		if (!x->resp->sent && connect_us == 0) {
			long ms = req->connect_timeout_ms;

			if (req->timeout_ms > 0 && req->timeout_ms < ms)
				ms = req->timeout_ms;
			fmt_seconds(secs, sizeof(secs), ms);
			return roger_err_set(
				x->err, ROGER_ENET,
				"timed out after %s connecting to '%s'", secs,
				url);
		}
		fmt_seconds(secs, sizeof(secs), req->timeout_ms);
		return roger_err_set(x->err, ROGER_ENET,
				     "timed out after %s waiting for '%s'",
				     secs, url);
	case CURLE_PEER_FAILED_VERIFICATION:
		x->resp->final = true;
		return roger_err_set(
			x->err, ROGER_ENET,
			"cannot verify the TLS certificate of '%s': %s (a CA file can be set with \"ca_file\" in the target or ROGER_CA_FILE)",
			url, curl_detail);
	case CURLE_SSL_CACERT_BADFILE:
		return roger_err_set(x->err, ROGER_EINVALID,
				     "cannot use the CA file '%s': %s",
				     req->ca_file ? req->ca_file : "",
				     curl_detail);
	case CURLE_SSL_CONNECT_ERROR:
		return roger_err_set(x->err, ROGER_ENET,
				     "TLS handshake with '%s' failed: %s", url,
				     curl_detail);
	case CURLE_GOT_NOTHING:
		return roger_err_set(
			x->err, ROGER_ENET,
			"'%s' closed the connection without a reply", url);
	case CURLE_PARTIAL_FILE:
		return roger_err_set(
			x->err, ROGER_ENET,
			"'%s' closed the connection in the middle of the reply (%s)",
			url, detail);
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (os_errno == ECONNRESET)
			return roger_err_set(x->err, ROGER_ENET,
					     "connection to '%s' was reset",
					     url);
		return roger_err_set(x->err, ROGER_ENET,
				     "connection to '%s' failed: %s", url,
				     detail);
	case CURLE_WRITE_ERROR:
		if (x->too_big)
			return roger_err_set(
				x->err, ROGER_EHTTP,
				"the reply of '%s' is larger than %zu bytes",
				url, x->max_body);
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		if (x->idle) {
			x->resp->timed_out = true;
			fmt_seconds(secs, sizeof(secs), req->idle_timeout_ms);
			return roger_err_set(x->err, ROGER_ENET,
					     "no data for %s from '%s'", secs,
					     url);
		}
		if (!x->cb_rc)
			return roger_err_set(
				x->err, ROGER_EINTR,
				"interrupted while waiting for '%s'", url);
		break;
	default:
		break;
	}
	if (x->cb_rc)
		return x->cb_rc;
	return roger_err_set(x->err, ROGER_ENET, "request to '%s' failed: %s",
			     url, detail);
}

#define SETOPT(opt, val)                                          \
	do {                                                      \
		if (curl_easy_setopt(curl, opt, val) != CURLE_OK) \
			goto setopt_failed;                       \
	} while (0)

static int transport_send(struct roger_http *h,
			  const struct roger_http_req *req,
			  struct roger_http_resp *resp, struct roger_err *err)
{
	struct curl_transport *t = (struct curl_transport *)h;
	CURL *curl = t->curl;
	struct xfer x = { 0 };
	struct curl_slist *headers = NULL;
	struct roger_buf url = ROGER_BUF_INIT;
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *method = req->method ? req->method : "GET";
	bool with_body =
		req->body || req->read_fn || !strcasecmp(method, "POST");
	CURLcode code;
	int rc = 0;

	x.t = t;
	x.req = req;
	x.resp = resp;
	x.err = err;
	x.max_body = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
	x.last_data_ms = roger_ctx_now_ms(t->ctx);
	roger_http_mask_url(&url, req->url);
	if (build_headers(&headers, req, with_body) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	curl_easy_reset(curl);
	SETOPT(CURLOPT_URL, req->url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_HTTPHEADER, headers);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, &x);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, &x);
	SETOPT(CURLOPT_VERBOSE, 1L);
	SETOPT(CURLOPT_DEBUGFUNCTION, on_debug);
	SETOPT(CURLOPT_DEBUGDATA, &x);
	SETOPT(CURLOPT_NOPROGRESS, 0L);
	SETOPT(CURLOPT_XFERINFOFUNCTION, on_progress);
	SETOPT(CURLOPT_XFERINFODATA, &x);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file)
		SETOPT(CURLOPT_CAINFO, req->ca_file);
	if (req->flags & ROGER_HTTP_NETRC) {
		SETOPT(CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
		if (req->netrc_file)
			SETOPT(CURLOPT_NETRC_FILE, req->netrc_file);
	}
	/* A streamed reply is handed over in larger pieces. */
	if (req->body_fn)
		SETOPT(CURLOPT_BUFFERSIZE, STREAM_BUFFER);
	if (req->connect_timeout_ms > 0)
		SETOPT(CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	if (req->timeout_ms > 0)
		SETOPT(CURLOPT_TIMEOUT_MS, req->timeout_ms);
	if (req->idempotent == ROGER_HTTP_IDEMPOTENT_NO)
		SETOPT(CURLOPT_FRESH_CONNECT, 1L);
	if (!strcasecmp(method, "HEAD")) {
		SETOPT(CURLOPT_NOBODY, 1L);
	} else if (req->read_fn) {
		SETOPT(CURLOPT_UPLOAD, 1L);
		SETOPT(CURLOPT_READFUNCTION, on_read);
		SETOPT(CURLOPT_READDATA, &x);
		if (req->upload_len >= 0)
			SETOPT(CURLOPT_INFILESIZE_LARGE,
			       (curl_off_t)req->upload_len);
		if (strcasecmp(method, "PUT"))
			SETOPT(CURLOPT_CUSTOMREQUEST, method);
	} else if (with_body) {
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SETOPT(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		if (strcasecmp(method, "POST"))
			SETOPT(CURLOPT_CUSTOMREQUEST, method);
	} else if (strcasecmp(method, "GET")) {
		SETOPT(CURLOPT_CUSTOMREQUEST, method);
	}

	code = curl_easy_perform(curl);
	if (code == CURLE_OK ||
	    ((code == CURLE_WRITE_ERROR || code == CURLE_ABORTED_BY_CALLBACK) &&
	     x.stopped)) {
		resp->status = x.status;
		goto out;
	}
	resp->status = 0;
	rc = curl_failure(&x, code, errbuf, url.buf);
	goto out;
setopt_failed:
	rc = roger_err_set(err, ROGER_ERROR,
			   "cannot set up the request to '%s' (libcurl %s)",
			   url.buf,
			   curl_version_info(CURLVERSION_NOW)->version);
out:
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	roger_buf_release(&url);
	return rc;
}

static void transport_free(struct roger_http *h)
{
	struct curl_transport *t = (struct curl_transport *)h;

	curl_easy_cleanup(t->curl);
	free(t);
}

int roger_http_curl_new(struct roger_http **out, struct roger_ctx *ctx,
			struct roger_err *err)
{
	struct curl_transport *t;
	const char *trace;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return roger_err_set(err, ROGER_ERROR,
				     "cannot initialize libcurl: %s",
				     curl_easy_strerror(global_rc));
	t = calloc(1, sizeof(*t));
	if (!t)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	t->curl = curl_easy_init();
	if (!t->curl) {
		free(t);
		return roger_err_set(err, ROGER_ENOMEM,
				     "cannot create a libcurl handle");
	}
	t->base.send = transport_send;
	t->base.free = transport_free;
	t->ctx = ctx;
	trace = roger_ctx_getenv(ctx, "ROGER_TRACE_HTTP");
	t->verbose = trace && strcmp(trace, "0");
	*out = &t->base;
	return 0;
}
