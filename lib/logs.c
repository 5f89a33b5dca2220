/*
 * logs.c - the output of every task of an app, read and followed through
 * the Mesos files API.
 *
 * One file per task (its sandbox's stdout or stderr) with a cursor and a
 * line splitter.  The start: Marathon lists the app's live tasks, the
 * master's completed tasks add the ended ones when asked, each file is
 * located (mesos.c) and its last lines are read backward from the size
 * probe in growing windows, so a file of gigabytes costs a few reads.
 *
 * Following is a loop over two clocks.  Each file has its own next poll
 * time.  A poll reads (64 KiB at most each time, the agent's cap) until a
 * read comes back empty or a budget runs out; a poll cut by the budget is
 * followed at once by the next, once the other files had their turn; a
 * poll that got data brings the next to 50 ms, and each empty one doubles
 * the delay up to a second (roger_logs_next_poll_ms).  Every two seconds
 * the task list is read again from Marathon, in one attempt so a slow
 * Marathon never stalls the output: new tasks are located and shown from
 * their first byte; tasks no longer listed are read to their end, their
 * partial last line passed on, and dropped.  A file whose agent fails
 * three polls in a row, or whose sandbox is gone or refused, is dropped
 * with a note; the rest go on.
 *
 * Callbacks may return ROGER_HTTP_STOP (a closed pipe, say): that travels
 * up as 1 through every function here and ends the run with 0.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "http.h"
#include "logs.h"
#include "marathon.h"
#include "mesos.h"
#include "util.h"

#define STOP ROGER_HTTP_STOP
#define DEFAULT_IDLE_MS 1000L
#define DEFAULT_FAST_MS 50L
#define DEFAULT_REFRESH_MS 2000L
#define DEFAULT_MAX_ENDED 10
#define POLL_BUDGET 16 /* full reads of one file in a row */
#define DRAIN_BUDGET 256 /* reads of an ended file's last bytes */
#define MAX_FAILURES 3 /* polls in a row before a file is dropped */
#define PENDING_MS 60000L /* how long a new task may stay unlocated */
#define TAIL_WINDOW_MIN 4096L
#define TAIL_WINDOW_MAX (4L * 1024 * 1024)
#define MARATHON_TIMEOUT_MS 10000L
#define CATCH_UP_MIN (1L << 20) /* bytes behind worth a /files/download */
#define CATCH_UP_FLUSH (1L << 20) /* output flushed this often meanwhile */

static int nomem(struct roger_err *err)
{
	return roger_err_set(err, ROGER_ENOMEM, "out of memory");
}

/* ---- lines --------------------------------------------------------------- */

void roger_logs_splitter_init(struct roger_logs_splitter *s)
{
	roger_buf_init(&s->pending);
	s->max_line = 0;
}

void roger_logs_splitter_release(struct roger_logs_splitter *s)
{
	if (s)
		roger_buf_release(&s->pending);
}

/* Pass on `pending` + bytes[0, n) as one line. */
static int split_emit(struct roger_logs_splitter *s, const char *bytes,
		      size_t n, bool partial, roger_logs_split_fn fn,
		      void *data, struct roger_err *err)
{
	int rc;

	/* Through `pending` even when whole: the callback gets a C string. */
	if (roger_buf_add(&s->pending, bytes, n) < 0)
		return nomem(err);
	rc = fn(data, s->pending.buf, s->pending.len, partial, err);
	roger_buf_reset(&s->pending);
	return rc;
}

int roger_logs_splitter_feed(struct roger_logs_splitter *s, const char *bytes,
			     size_t len, roger_logs_split_fn fn, void *data,
			     struct roger_err *err)
{
	size_t max = s->max_line ? s->max_line : ROGER_LOGS_MAX_LINE;
	const char *p = bytes, *end = bytes + len;
	int rc;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t room = max - s->pending.len;

		if (!nl && (size_t)(end - p) < room) {
			if (roger_buf_add(&s->pending, p, (size_t)(end - p)) <
			    0)
				return nomem(err);
			return 0;
		}
		if (!nl || (size_t)(nl - p) > room) {
			/* A line longer than the maximum: pass on a piece. */
			rc = split_emit(s, p, room, true, fn, data, err);
			p += room;
		} else {
			rc = split_emit(s, p, (size_t)(nl - p), false, fn, data,
					err);
			p = nl + 1;
		}
		if (rc)
			return rc;
	}
	return 0;
}

int roger_logs_splitter_finish(struct roger_logs_splitter *s,
			       roger_logs_split_fn fn, void *data,
			       struct roger_err *err)
{
	if (!s->pending.len)
		return 0;
	return split_emit(s, "", 0, true, fn, data, err);
}

long roger_logs_tail_start(const char *buf, size_t len, unsigned long n,
			   bool at_start)
{
	size_t i = len;

	if (n == 0)
		return (long)len;
	/* A final '\n' ends the last line; it does not start another. */
	if (i > 0 && buf[i - 1] == '\n')
		i--;
	while (i > 0) {
		if (buf[i - 1] == '\n' && --n == 0)
			return (long)i;
		i--;
	}
	return at_start ? 0 : -1;
}

long roger_logs_next_poll_ms(long prev_ms, size_t got, bool full, long fast_ms,
			     long idle_ms)
{
	long next;

	if (full)
		return 0;
	if (got)
		return fast_ms;
	next = prev_ms < fast_ms ? fast_ms : prev_ms * 2;
	return next > idle_ms ? idle_ms : next;
}

/* The length of the well-formed UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t need;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3, cp = s[0] & 0x07;
	else
		return 0;
	if (need >= n)
		return 0;
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

/* Append `s` as a JSON string, with bytes that are not UTF-8 as U+FFFD. */
static int json_string_add(struct roger_buf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	int rc = roger_buf_addch(out, '"');

	while (rc == 0 && i < len) {
		size_t run = i, n;

		/* Copy a run of bytes that need no escape at once. */
		while (i < len && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' &&
		       (n = utf8_seq(s + i, len - i)) > 0)
			i += n;
		if (i > run && (rc = roger_buf_add(out, s + run, i - run)) < 0)
			break;
		if (i >= len)
			break;
		switch (s[i]) {
		case '"':
			rc = roger_buf_adds(out, "\\\"");
			break;
		case '\\':
			rc = roger_buf_adds(out, "\\\\");
			break;
		case '\n':
			rc = roger_buf_adds(out, "\\n");
			break;
		case '\r':
			rc = roger_buf_adds(out, "\\r");
			break;
		case '\t':
			rc = roger_buf_adds(out, "\\t");
			break;
		default:
			if (s[i] < 0x20)
				rc = roger_buf_addf(out, "\\u%04x", s[i]);
			else
				rc = roger_buf_adds(out, "\\ufffd");
		}
		i++;
	}
	if (rc == 0)
		rc = roger_buf_addch(out, '"');
	return rc;
}

void roger_logs_time(char out[ROGER_LOGS_TIME_LEN], int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || !gmtime_r(&secs, &tm)) {
		snprintf(out, ROGER_LOGS_TIME_LEN, "-");
		return;
	}
	snprintf(out, ROGER_LOGS_TIME_LEN,
		 "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ms % 1000));
}

int roger_logs_json_line_at(struct roger_buf *out, const char *task_id,
			    const char *stream, int64_t time_ms,
			    const char *text, size_t len)
{
	char when[ROGER_LOGS_TIME_LEN];
	int rc;

	if ((rc = roger_buf_adds(out, "{\"task\":")) < 0 ||
	    (rc = json_string_add(out, task_id, strlen(task_id))) < 0 ||
	    (rc = roger_buf_adds(out, ",\"stream\":")) < 0 ||
	    (rc = json_string_add(out, stream, strlen(stream))) < 0)
		return rc;
	if (time_ms >= 0) {
		roger_logs_time(when, time_ms);
		if ((rc = roger_buf_addf(out, ",\"time\":\"%s\"", when)) < 0)
			return rc;
	}
	if ((rc = roger_buf_adds(out, ",\"line\":")) < 0 ||
	    (rc = json_string_add(out, text, len)) < 0)
		return rc;
	return roger_buf_addch(out, '}');
}

int roger_logs_json_line(struct roger_buf *out, const char *task_id,
			 const char *stream, const char *text, size_t len)
{
	return roger_logs_json_line_at(out, task_id, stream, -1, text, len);
}

/* ---- Mesos' lines in a sandbox's files ------------------------------------ */

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * A glog line: "I1126 02:55:37.123456  4242 fetcher.cpp:533] ..." (the
 * level, month and day, the time to the microsecond, the thread id padded
 * with spaces, the source and "] ").
 */
static bool glog_line(const char *s, size_t len)
{
	size_t i = 22;

	if (len < 26 || !strchr("IWEF", s[0]) || !digits(s + 1, 4) ||
	    s[5] != ' ' || !digits(s + 6, 2) || s[8] != ':' ||
	    !digits(s + 9, 2) || s[11] != ':' || !digits(s + 12, 2) ||
	    s[14] != '.' || !digits(s + 15, 6) || s[21] != ' ')
		return false;
	while (i < len && s[i] == ' ')
		i++;
	if (i == len || !digits(s + i, 1))
		return false;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == len || s[i++] != ' ')
		return false;
	while (i < len && s[i] != ' ' && s[i] != ']')
		i++;
	return i + 1 < len && s[i] == ']' && s[i + 1] == ' ';
}

static bool starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

bool roger_logs_mesos_line(const char *text, size_t len)
{
	/* the command executor's lines (src/launcher/executor.cpp) */
	static const char *const executor[] = {
		"Registered executor on ",
		"Starting task ",
		"Forked command at ",
		"sh -c '",
		"Received killTask for task ",
		"Sending SIGTERM to process tree at pid ",
		"Command exited with status ",
		"Command terminated with signal ",
	};

	if (glog_line(text, len))
		return true;
	for (size_t i = 0; i < ROGER_ARRAY_SIZE(executor); i++)
		if (starts(text, len, executor[i]))
			return true;
	return starts(text, len, "Process ") &&
	       memmem(text, len, "did not terminate", 17) != NULL;
}

size_t roger_logs_mesos_preamble(const char *buf, size_t len)
{
	size_t at = 0;

	while (at < len) {
		const char *nl = memchr(buf + at, '\n', len - at);

		if (!nl ||
		    !roger_logs_mesos_line(buf + at, (size_t)(nl - (buf + at))))
			break;
		at = (size_t)(nl - buf) + 1;
	}
	return at;
}

/* ---- tasks --------------------------------------------------------------- */

static bool name_taken(const char *name, const char *const *taken, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (taken[i] && !strcmp(taken[i], name))
			return true;
	return false;
}

void roger_logs_short_name(char *out, size_t size, const char *task_id,
			   const char *const *taken, size_t n)
{
	roger_marathon_task_short_name(out, size, task_id);
	if (name_taken(out, taken, n))
		snprintf(out, size, "%s", task_id);
}

/* Whether `s` starts with a UUID (8-4-4-4-12 hex digits). */
static bool is_uuid(const char *s)
{
	static const char hex[] = "0123456789abcdefABCDEF";

	for (size_t i = 0; i < ROGER_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (!s[i] || (dash ? s[i] != '-' : !strchr(hex, s[i])))
			return false;
	}
	return true;
}

/* The UUID inside a task id, after '.' or '-', or NULL. */
static const char *task_uuid(const char *task_id)
{
	for (const char *p = task_id; *p; p++)
		if ((p == task_id || p[-1] == '.' || p[-1] == '-') &&
		    is_uuid(p))
			return p;
	return NULL;
}

bool roger_logs_task_matches(const char *task_id, const char *query)
{
	size_t n = strlen(query);
	const char *uuid;
	char short_name[64];

	if (!n)
		return false;
	if (!strncmp(task_id, query, n))
		return true;
	roger_marathon_task_short_name(short_name, sizeof(short_name), task_id);
	if (!strcmp(short_name, query))
		return true;
	uuid = task_uuid(task_id);
	return uuid && !strncmp(uuid, query, n);
}

int roger_logs_app_tasks(struct roger_marathon_tasks **out,
			 struct roger_marathon *marathon, const char *app_id,
			 long timeout_ms, struct roger_err *err)
{
	struct roger_http_client *http = roger_marathon_http(marathon);
	struct roger_marathon_req req = { 0 };
	struct roger_http_resp resp = ROGER_HTTP_RESP_INIT;
	struct roger_http_req h;
	struct roger_buf url = ROGER_BUF_INIT;
	int rc;

	if ((rc = roger_marathon_req_app_tasks(&req, app_id, err)) < 0)
		return rc;
	roger_marathon_req_http(&req, &h);
	h.flags |= ROGER_HTTP_NO_RETRY;
	h.timeout_ms = timeout_ms ? timeout_ms : MARATHON_TIMEOUT_MS;
	if (h.connect_timeout_ms == 0 || h.connect_timeout_ms > h.timeout_ms)
		h.connect_timeout_ms = h.timeout_ms;
	rc = roger_http_client_send(http, &h, &resp, err);
	if (rc == 0 && !roger_http_resp_ok(&resp)) {
		roger_http_mask_url(&url, resp.url ? resp.url : "");
		rc = roger_marathon_error_from_reply(
			err, resp.status, resp.body.buf, resp.body.len, url.buf,
			NULL);
		if (rc == 0)
			rc = roger_http_client_status_err(http, &resp, err);
	} else if (rc == 0) {
		rc = roger_marathon_tasks_parse(out, resp.body.buf,
						resp.body.len, err);
	}
	roger_buf_release(&url);
	roger_http_resp_release(&resp);
	roger_marathon_req_release(&req);
	return rc;
}

const char *roger_logs_stream_name(enum roger_logs_stream s)
{
	switch (s) {
	case ROGER_LOGS_STDERR:
		return "stderr";
	case ROGER_LOGS_BOTH:
		return "both";
	default:
		return "stdout";
	}
}

/* ---- reading a file ------------------------------------------------------ */

/*
 * The last `n` lines of the file before `size`: read backward in windows
 * that double, until they hold n lines or reach the start.  On success
 * `out` holds bytes [size - out->len, size) and *start where the lines
 * begin in it.
 */
static int read_tail(struct roger_buf *out, long *start, struct roger_mesos *m,
		     const char *agent_url, const char *path, int64_t size,
		     unsigned long n, struct roger_err *err)
{
	struct roger_buf win = ROGER_BUF_INIT;
	int64_t from = size;
	long window = TAIL_WINDOW_MIN;
	int rc = 0;

	roger_buf_reset(out);
	/* Lines of a few hundred bytes at most, usually: few reads. */
	if (n < (unsigned long)TAIL_WINDOW_MAX / 256 && (long)n * 256 > window)
		window = (long)n * 256;
	*start = 0;
	while (from > 0 && n > 0) {
		int64_t w = from < window ? from : window;

		roger_buf_reset(&win);
		rc = roger_mesos_file_read_range(&win, m, agent_url, path,
						 from - w, w, err);
		if (rc < 0)
			goto out;
		if ((int64_t)win.len < w) {
			/* The file shrank under us: use what it has. */
			w = (int64_t)win.len;
			if (w == 0)
				break;
		}
		if (roger_buf_add(&win, out->buf, out->len) < 0)
			goto nomem;
		roger_buf_reset(out);
		if (roger_buf_add(out, win.buf, win.len) < 0)
			goto nomem;
		from -= w;
		*start =
			roger_logs_tail_start(out->buf, out->len, n, from == 0);
		if (*start >= 0)
			goto out;
		if (window < TAIL_WINDOW_MAX)
			window *= 2;
	}
	*start = roger_logs_tail_start(out->buf, out->len, n, true);
	goto out;
nomem:
	rc = nomem(err);
out:
	roger_buf_release(&win);
	return rc;
}

static int add_line(void *data, const char *text, size_t len, bool partial,
		    struct roger_err *err)
{
	struct roger_buf *out = data;

	(void)partial;
	if (roger_buf_add(out, text, len) < 0 || roger_buf_addch(out, '\n') < 0)
		return nomem(err);
	return 0;
}

int roger_logs_task_tail(struct roger_buf *out, struct roger_mesos *mesos,
			 const char *task_id, enum roger_logs_stream stream,
			 unsigned long n, struct roger_err *err)
{
	struct roger_mesos_sandbox box = { 0 };
	struct roger_logs_splitter lines;
	struct roger_buf bytes = ROGER_BUF_INIT;
	char *path = NULL;
	int64_t size;
	long start;
	int rc;

	roger_logs_splitter_init(&lines);
	rc = roger_mesos_locate(&box, mesos, NULL, task_id, NULL, err);
	if (rc < 0)
		goto out;
	path = roger_mesos_sandbox_file(&box, roger_logs_stream_name(stream));
	if (!path) {
		rc = nomem(err);
		goto out;
	}
	if ((rc = roger_mesos_file_size(&size, mesos, box.agent_url, path,
					err)) < 0 ||
	    (rc = read_tail(&bytes, &start, mesos, box.agent_url, path, size, n,
			    err)) < 0)
		goto out;
	if ((rc = roger_logs_splitter_feed(&lines, bytes.buf + start,
					   bytes.len - (size_t)start, add_line,
					   out, err)) < 0)
		goto out;
	rc = roger_logs_splitter_finish(&lines, add_line, out, err);
out:
	roger_logs_splitter_release(&lines);
	roger_buf_release(&bytes);
	roger_mesos_sandbox_release(&box);
	free(path);
	return rc;
}

int roger_logs_target_task_tail(struct roger_buf *out, struct roger_ctx *ctx,
				const struct roger_target *target,
				const char *task_id,
				enum roger_logs_stream stream, unsigned long n,
				struct roger_err *err)
{
	struct roger_mesos *m = NULL;
	int rc = roger_mesos_for_target(&m, ctx, target, err);

	if (rc == 0)
		rc = roger_logs_task_tail(out, m, task_id, stream, n, err);
	roger_mesos_free(m);
	return rc;
}

/* ---- what a failed task said ----------------------------------------------- */

#define HEAD_WINDOW 65536L

void roger_logs_task_output_release(struct roger_logs_task_output *o)
{
	roger_buf_release(&o->own);
	roger_buf_release(&o->fetcher);
}

/* Keep the lines of `text` that are not Mesos' (after `from`), in `out`. */
static int add_lines(struct roger_buf *out, const char *text, size_t len,
		     struct roger_err *err)
{
	struct roger_logs_splitter lines;
	int rc;

	roger_logs_splitter_init(&lines);
	rc = roger_logs_splitter_feed(&lines, text, len, add_line, out, err);
	if (rc == 0)
		rc = roger_logs_splitter_finish(&lines, add_line, out, err);
	roger_logs_splitter_release(&lines);
	return rc;
}

/*
 * The last `n` lines of one file of the task's own output into `own`, and
 * the Mesos lines at its start into `preamble` (may be NULL).
 */
static int own_lines(struct roger_buf *own, struct roger_buf *preamble,
		     struct roger_mesos *m,
		     const struct roger_mesos_sandbox *box,
		     enum roger_logs_stream stream, unsigned long n,
		     struct roger_err *err)
{
	struct roger_buf head = ROGER_BUF_INIT, tail = ROGER_BUF_INIT;
	char *path =
		roger_mesos_sandbox_file(box, roger_logs_stream_name(stream));
	int64_t size, from;
	size_t pre, end;
	long start;
	int rc;

	if (!path)
		return nomem(err);
	if ((rc = roger_mesos_file_size(&size, m, box->agent_url, path, err)) <
		    0 ||
	    (rc = roger_mesos_file_read_range(
		     &head, m, box->agent_url, path, 0,
		     size < HEAD_WINDOW ? size : HEAD_WINDOW, err)) < 0)
		goto out;
	pre = roger_logs_mesos_preamble(head.buf, head.len);
	if (preamble && (rc = add_lines(preamble, head.buf, pre, err)) < 0)
		goto out;
	/* the executor's lines at the end are not the task's either */
	if ((rc = read_tail(&tail, &start, m, box->agent_url, path, size, n + 4,
			    err)) < 0)
		goto out;
	from = size - (int64_t)tail.len + start;
	if (from < (int64_t)pre)
		start += (long)((int64_t)pre - from);
	if ((size_t)start > tail.len)
		start = (long)tail.len;
	end = tail.len;
	while (end > (size_t)start) {
		const char *last = tail.buf + end - 1, *line;

		if (*last == '\n')
			last--;
		line = last;
		while (line >= tail.buf + start && *line != '\n')
			line--;
		line++;
		if (!roger_logs_mesos_line(line, (size_t)(last + 1 - line)))
			break;
		end = (size_t)(line - tail.buf);
	}
	/* at most `n` of what is left */
	{
		long keep = roger_logs_tail_start(tail.buf + start,
						  end - (size_t)start, n, true);

		if (keep > 0)
			start += keep;
	}
	rc = add_lines(own, tail.buf + start, end - (size_t)start, err);
out:
	roger_buf_release(&head);
	roger_buf_release(&tail);
	free(path);
	return rc;
}

int roger_logs_target_task_output(struct roger_logs_task_output *out,
				  struct roger_ctx *ctx,
				  const struct roger_target *target,
				  const char *task_id, unsigned long n,
				  struct roger_err *err)
{
	struct roger_mesos_sandbox box = { 0 };
	struct roger_mesos *m = NULL;
	int rc = roger_mesos_for_target(&m, ctx, target, err);

	if (rc == 0)
		rc = roger_mesos_locate(&box, m, NULL, task_id, NULL, err);
	if (rc == 0) {
		out->own_stream = ROGER_LOGS_STDERR;
		rc = own_lines(&out->own, &out->fetcher, m, &box,
			       ROGER_LOGS_STDERR, n, err);
	}
	if (rc == 0 && !out->own.len) {
		out->own_stream = ROGER_LOGS_STDOUT;
		rc = own_lines(&out->own, NULL, m, &box, ROGER_LOGS_STDOUT, n,
			       err);
	}
	roger_mesos_sandbox_release(&box);
	roger_mesos_free(m);
	return rc;
}

/* ---- the engine ---------------------------------------------------------- */

enum file_state {
	FILE_PENDING, /* a new task whose sandbox is not known yet */
	FILE_ACTIVE,
	FILE_DONE,
};

/* One file of a task's sandbox, read and followed. */
struct file {
	const char *stream; /* "stdout" or "stderr" (static) */
	char *path;
	int64_t cursor;
	struct roger_logs_splitter lines;
	int64_t next_poll;
	long interval;
	int failures;
};

struct task {
	char *id;
	char short_name[160];
	unsigned index;
	char *host;
	char *agent_hint;
	char *state; /* known final state */
	char *sort_key; /* startedAt or stagedAt of a live task */
	double ended_at; /* last status of an ended task */
	bool ended; /* an ended task (--failed): read once */
	bool staging; /* Marathon said TASK_STAGING or TASK_STARTING */
	bool seen; /* in the last task list */
	bool fresh; /* added by this refresh */
	enum file_state st;
	struct roger_mesos_sandbox box;
	struct file files[2]; /* stdout and stderr, or the one asked for */
	size_t n_files;
	int64_t pending_since;
};

struct engine {
	struct roger_ctx *ctx;
	struct roger_marathon *marathon;
	struct roger_mesos *mesos;
	const struct roger_logs_opts *o;
	long idle_ms, fast_ms, refresh_ms;
	struct task **tasks;
	size_t n_tasks;
	unsigned next_index;
	struct roger_buf chunk;
	struct task *cur; /* whose lines the splitter passes on */
	const struct file *cur_file;
	bool printed; /* since the last flush */
	bool retrying; /* the last task list failed (noted once) */
	size_t n_skipped;
	struct roger_err skip_err;
};

static void file_release(struct file *f)
{
	free(f->path);
	f->path = NULL;
	roger_logs_splitter_release(&f->lines);
}

static void task_free(struct task *t)
{
	if (!t)
		return;
	free(t->id);
	free(t->host);
	free(t->agent_hint);
	free(t->state);
	free(t->sort_key);
	roger_mesos_sandbox_release(&t->box);
	for (size_t i = 0; i < t->n_files; i++)
		file_release(&t->files[i]);
	free(t);
}

static struct task *find_task(const struct engine *e, const char *id)
{
	for (size_t i = 0; i < e->n_tasks; i++)
		if (!strcmp(e->tasks[i]->id, id))
			return e->tasks[i];
	return NULL;
}

static int set_str(char **slot, const char *s)
{
	char *copy = NULL;

	if (s && !(copy = strdup(s)))
		return ROGER_ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

/* The files of a task: both streams, stdout first, or the one asked for. */
static void init_files(struct engine *e, struct task *t)
{
	if (e->o->stream == ROGER_LOGS_BOTH) {
		t->files[0].stream = roger_logs_stream_name(ROGER_LOGS_STDOUT);
		t->files[1].stream = roger_logs_stream_name(ROGER_LOGS_STDERR);
		t->n_files = 2;
	} else {
		t->files[0].stream = roger_logs_stream_name(e->o->stream);
		t->n_files = 1;
	}
	for (size_t i = 0; i < t->n_files; i++)
		roger_logs_splitter_init(&t->files[i].lines);
}

/* A new task in the engine's list, named and numbered. */
static int add_task(struct task **out, struct engine *e, const char *id,
		    struct roger_err *err)
{
	const char **names = NULL;
	struct task *t = calloc(1, sizeof(*t)), **grown;

	if (!t || !(t->id = strdup(id)))
		goto nomem;
	grown = realloc(e->tasks, (e->n_tasks + 1) * sizeof(*grown));
	names = calloc(e->n_tasks + 1, sizeof(*names));
	if (!grown || !names) {
		if (grown)
			e->tasks = grown;
		goto nomem;
	}
	e->tasks = grown;
	for (size_t i = 0; i < e->n_tasks; i++)
		names[i] = e->tasks[i]->short_name;
	roger_logs_short_name(t->short_name, sizeof(t->short_name), id, names,
			      e->n_tasks);
	free(names);
	init_files(e, t);
	t->index = e->next_index++;
	t->st = FILE_PENDING;
	e->tasks[e->n_tasks++] = t;
	*out = t;
	return 0;
nomem:
	task_free(t);
	return nomem(err);
}

static int note(struct engine *e, enum roger_logs_note_kind kind,
		const struct task *t, const char *state, const char *message,
		struct roger_err *err)
{
	struct roger_logs_note n = { 0 };

	n.kind = kind;
	n.state = state;
	n.message = message;
	if (t) {
		n.task_id = t->id;
		n.short_name = t->short_name;
		n.task_index = t->index;
		n.host = t->host;
	}
	if (e->o->on_note)
		return e->o->on_note(e->o->data, &n, err);
	if (kind == ROGER_LOGS_NOTE_SKIPPED || kind == ROGER_LOGS_NOTE_RETRY)
		roger_warn(e->ctx, "%s%s%s", t ? t->id : "", t ? ": " : "",
			   message ? message : "");
	return 0;
}

static int flush(struct engine *e, struct roger_err *err)
{
	if (!e->printed)
		return 0;
	e->printed = false;
	return e->o->on_flush ? e->o->on_flush(e->o->data, err) : 0;
}

static int emit_line(void *data, const char *text, size_t len, bool partial,
		     struct roger_err *err)
{
	struct engine *e = data;
	struct roger_logs_line l;

	l.task_id = e->cur->id;
	l.short_name = e->cur->short_name;
	l.task_index = e->cur->index;
	l.stream = e->cur_file->stream;
	l.text = text;
	l.len = len;
	l.partial = partial;
	l.time_ms = roger_ctx_wall_ms(e->ctx);
	e->printed = true;
	return e->o->on_line(e->o->data, &l, err);
}

static int feed(struct engine *e, struct task *t, struct file *f,
		const char *bytes, size_t len, struct roger_err *err)
{
	e->cur = t;
	e->cur_file = f;
	return roger_logs_splitter_feed(&f->lines, bytes, len, emit_line, e,
					err);
}

static int finish_lines(struct engine *e, struct task *t, struct roger_err *err)
{
	int rc = 0;

	e->cur = t;
	for (size_t i = 0; i < t->n_files && rc == 0; i++) {
		e->cur_file = &t->files[i];
		rc = roger_logs_splitter_finish(&t->files[i].lines, emit_line,
						e, err);
	}
	return rc;
}

/*
 * A task whose files are no longer read: only its name stays (for unique
 * names and to know it), so that a long follow of a crash loop stays small.
 */
static void retire(struct task *t)
{
	t->st = FILE_DONE;
	roger_mesos_sandbox_release(&t->box);
	for (size_t i = 0; i < t->n_files; i++)
		file_release(&t->files[i]);
}

/* Drop a task's files with a note saying why (from `why`). */
static int skip(struct engine *e, struct task *t, const struct roger_err *why,
		struct roger_err *err)
{
	retire(t);
	e->n_skipped++;
	e->skip_err = *why;
	return note(e, ROGER_LOGS_NOTE_SKIPPED, t, NULL, why->msg, err);
}

/* Whether a failure to locate a new task may pass once Mesos catches up. */
static bool not_yet(int rc)
{
	return rc == ROGER_ENOTFOUND;
}

/* Find the task's sandbox files; FILE_ACTIVE on success. */
static int locate(struct engine *e, struct task *t,
		  const struct roger_mesos_master *master,
		  struct roger_err *why)
{
	int rc;

	roger_mesos_sandbox_release(&t->box);
	rc = roger_mesos_locate(&t->box, e->mesos, master, t->id, t->agent_hint,
				why);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < t->n_files; i++) {
		struct file *f = &t->files[i];

		free(f->path);
		f->path = roger_mesos_sandbox_file(&t->box, f->stream);
		if (!f->path)
			return nomem(why);
	}
	t->st = FILE_ACTIVE;
	return 0;
}

/*
 * Read from the cursor until a read comes back empty (the end, for now),
 * the cursor reaches `limit`, or `budget` reads were made, and pass the
 * lines on.  *total counts the bytes; *full tells that the budget ran out
 * while data kept coming.  Read errors go to `why`, the callbacks' to
 * `err`.
 */
static int read_on(struct engine *e, struct task *t, struct file *f,
		   int64_t limit, int budget, size_t *total, bool *full,
		   struct roger_err *why, struct roger_err *err)
{
	size_t got = 0;
	int rc;

	*total = 0;
	while (budget-- > 0 && f->cursor < limit) {
		int64_t want = limit - f->cursor;

		if (want > ROGER_MESOS_READ_CAP)
			want = ROGER_MESOS_READ_CAP;
		roger_buf_reset(&e->chunk);
		rc = roger_mesos_file_read(&e->chunk, e->mesos,
					   t->box.agent_url, f->path, f->cursor,
					   want, why);
		if (rc < 0)
			return rc;
		got = e->chunk.len;
		f->cursor += (int64_t)got;
		*total += got;
		if ((rc = feed(e, t, f, e->chunk.buf, got, err)) != 0)
			return rc;
		if (got == 0)
			break;
	}
	*full = got > 0 && f->cursor < limit;
	return 0;
}

/* Errors of a file's reads that are the error of the run, not the task's. */
static bool fatal(int rc)
{
	return rc == ROGER_ENOMEM || rc == ROGER_EINTR;
}

struct catch_up {
	struct engine *e;
	struct task *t;
	struct file *f;
	size_t since_flush;
	int rc; /* a callback's STOP or error */
	struct roger_err *err;
};

static int catch_up_body(void *data, const char *chunk, size_t len,
			 struct roger_err *why)
{
	struct catch_up *c = data;
	int rc;

	(void)why;
	c->f->cursor += (int64_t)len;
	rc = feed(c->e, c->t, c->f, chunk, len, c->err);
	c->since_flush += len;
	if (rc == 0 && c->since_flush >= CATCH_UP_FLUSH) {
		c->since_flush = 0;
		rc = flush(c->e, c->err);
	}
	if (rc != 0) {
		c->rc = rc;
		return ROGER_HTTP_STOP;
	}
	return 0;
}

/*
 * Bring the cursor of a file `size` bytes long close to its end through
 * /files/download, one streamed response instead of a /files/read every
 * 64 KiB, when that is worth it: at least CATCH_UP_MIN bytes to read, and
 * no more bytes before the cursor (which the download sends too, and
 * which are dropped) than after it.  A download that fails leaves the
 * cursor where it got to, for /files/read to go on from; only the errors
 * of the run (out of memory, interrupted) and the callbacks' end it.
 */
static int catch_up(struct engine *e, struct task *t, struct file *f,
		    int64_t size, struct roger_err *err)
{
	struct roger_err why = ROGER_ERR_INIT;
	struct catch_up c = { e, t, f, 0, 0, err };
	int64_t got;
	int rc;

	if (size - f->cursor < CATCH_UP_MIN || f->cursor > size - f->cursor)
		return 0;
	rc = roger_mesos_file_download(&got, e->mesos, t->box.agent_url,
				       f->path, f->cursor, size, catch_up_body,
				       &c, &why);
	if (c.rc != 0)
		return c.rc;
	if (rc < 0 && fatal(rc))
		return roger_err_set(err, rc, "%s", why.msg);
	if (rc < 0)
		roger_debug(
			e->ctx,
			"%s: /files/download of its %s failed (%s), reading on with /files/read",
			t->id, f->stream, why.msg);
	return flush(e, err);
}

/* Show the last lines (or all) of one located file, up to its end. */
static int show_file_start(struct engine *e, struct task *t, struct file *f,
			   bool from_zero, struct roger_err *why,
			   struct roger_err *err)
{
	struct roger_buf bytes = ROGER_BUF_INIT;
	int64_t size;
	size_t total;
	bool full;
	long start;
	int rc;

	if ((rc = roger_mesos_file_size(&size, e->mesos, t->box.agent_url,
					f->path, why)) < 0)
		return rc;
	if (from_zero || e->o->tail < 0) {
		/* Everything: while following, the polls read the rest. */
		f->cursor = 0;
		if ((rc = catch_up(e, t, f, size, err)) != 0)
			return rc;
		if (e->o->follow && !t->ended)
			return 0;
		while (f->cursor < size) {
			int64_t before = f->cursor;

			rc = read_on(e, t, f, size, POLL_BUDGET, &total, &full,
				     why, err);
			if (rc < 0)
				return rc;
			if (rc > 0 || f->cursor == before)
				return rc;
			if ((rc = flush(e, err)) != 0)
				return rc;
		}
		return 0;
	}
	rc = read_tail(&bytes, &start, e->mesos, t->box.agent_url, f->path,
		       size, (unsigned long)e->o->tail, why);
	if (rc == 0)
		rc = feed(e, t, f, bytes.buf + start, bytes.len - (size_t)start,
			  err);
	roger_buf_release(&bytes);
	f->cursor = size;
	return rc;
}

/*
 * Show the start of each file of a located task: the standard output's
 * lines, then the standard error's (the order between the two files of
 * what was written before roger read them is not known; what follows is
 * interleaved as it comes).
 */
static int show_start(struct engine *e, struct task *t, bool from_zero,
		      struct roger_err *why, struct roger_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < t->n_files && rc == 0; i++) {
		rc = show_file_start(e, t, &t->files[i], from_zero, why, err);
		/* each file's partial last line before the next file's lines */
		if (rc == 0 && t->n_files > 1 && (t->ended || !e->o->follow)) {
			e->cur = t;
			e->cur_file = &t->files[i];
			rc = roger_logs_splitter_finish(&t->files[i].lines,
							emit_line, e, err);
		}
	}
	return rc;
}

/*
 * A task whose file could not be found or read (`rc`, `why`): following,
 * a task just launched may be unknown to Mesos, or have no file, for a
 * moment: it waits (FILE_PENDING) and is tried again at each refresh.  A
 * task still staging has no output to show yet.  Any other is skipped.
 */
static int not_started(struct engine *e, struct task *t, int rc,
		       const struct roger_err *why, struct roger_err *err)
{
	if (fatal(rc))
		return roger_err_set(err, rc, "%s", why->msg);
	if (not_yet(rc) && e->o->follow && !t->ended &&
	    roger_ctx_now_ms(e->ctx) - t->pending_since < PENDING_MS) {
		t->st = FILE_PENDING;
		return 0;
	}
	if (not_yet(rc) && t->staging && !e->o->follow) {
		retire(t);
		return note(e, ROGER_LOGS_NOTE_SKIPPED, t, NULL,
			    "it has not started yet", err);
	}
	return skip(e, t, why, err);
}

/* The start of one task: locate, show its start; skip it on failure. */
static int start_task(struct engine *e, struct task *t,
		      const struct roger_mesos_master *master, bool from_zero,
		      struct roger_err *err)
{
	struct roger_err why = ROGER_ERR_INIT;
	int rc;

	if (t->st != FILE_ACTIVE) {
		rc = locate(e, t, master, &why);
		if (rc < 0)
			return not_started(e, t, rc, &why, err);
	}
	rc = show_start(e, t, from_zero, &why, err);
	if (rc < 0 && why.code)
		return not_started(e, t, rc, &why, err);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < t->n_files; i++) {
		t->files[i].next_poll = roger_ctx_now_ms(e->ctx);
		t->files[i].interval = e->fast_ms;
	}
	if (t->ended || !e->o->follow) {
		rc = finish_lines(e, t, err);
		retire(t);
		return rc;
	}
	return 0;
}

/*
 * A poll whose budget ran out while data kept coming: the file may be far
 * ahead (a burst of output, a follow started late).  Its size says by how
 * much, and catch_up() decides whether to download the rest.
 */
static int far_behind(struct engine *e, struct task *t, struct file *f,
		      struct roger_err *err)
{
	struct roger_err why = ROGER_ERR_INIT;
	int64_t size;
	int rc;

	rc = roger_mesos_file_size(&size, e->mesos, t->box.agent_url, f->path,
				   &why);
	if (rc < 0)
		return fatal(rc) ? roger_err_set(err, rc, "%s", why.msg) : 0;
	return catch_up(e, t, f, size, err);
}

/* One poll of a followed file. */
static int poll_file(struct engine *e, struct task *t, struct file *f,
		     int64_t now, struct roger_err *err)
{
	struct roger_err why = ROGER_ERR_INIT;
	size_t total;
	bool full;
	int rc = read_on(e, t, f, INT64_MAX, POLL_BUDGET, &total, &full, &why,
			 err);

	if (rc > 0)
		return rc;
	if (rc < 0 && !why.code)
		return rc; /* a callback's own error, already in err */
	if (rc < 0 && fatal(rc))
		return roger_err_set(err, rc, "%s", why.msg);
	if (rc < 0) {
		if (rc == ROGER_ENOTFOUND || rc == ROGER_EAUTH ||
		    ++f->failures >= MAX_FAILURES)
			return skip(e, t, &why, err);
		f->interval = e->idle_ms << f->failures;
		f->next_poll = now + f->interval;
		return 0;
	}
	f->failures = 0;
	if (full && (rc = far_behind(e, t, f, err)) != 0)
		return rc;
	f->interval = roger_logs_next_poll_ms(f->interval, total, full,
					      e->fast_ms, e->idle_ms);
	f->next_poll = now + f->interval;
	return 0;
}

/* A followed task ended: its last bytes, its partial lines, a note. */
static int end_task(struct engine *e, struct task *t,
		    struct roger_mesos_master **master, struct roger_err *err)
{
	struct roger_err ignored = ROGER_ERR_INIT;
	const struct roger_mesos_task *mt;
	size_t total;
	bool full;
	int rc;

	if (t->st == FILE_ACTIVE) {
		for (size_t i = 0; i < t->n_files; i++) {
			rc = read_on(e, t, &t->files[i], INT64_MAX,
				     DRAIN_BUDGET, &total, &full, &ignored,
				     err);
			if (rc > 0 || (rc < 0 && !ignored.code))
				return rc;
		}
		if ((rc = finish_lines(e, t, err)) != 0)
			return rc;
	}
	if (t->st != FILE_DONE) {
		/* One master state per round tells how the tasks ended. */
		if (!*master)
			roger_mesos_master_state(master, e->mesos, &ignored);
		mt = roger_mesos_master_task(*master, t->id);
		if (mt && mt->state && set_str(&t->state, mt->state) < 0)
			return nomem(err);
		retire(t);
		return note(e, ROGER_LOGS_NOTE_ENDED, t, t->state, NULL, err);
	}
	return 0;
}

static int from_marathon(struct task *t, const struct roger_marathon_task *mt)
{
	t->staging = mt->state && (!strcmp(mt->state, "TASK_STAGING") ||
				   !strcmp(mt->state, "TASK_STARTING"));
	if (set_str(&t->host, mt->host) < 0 ||
	    set_str(&t->agent_hint, mt->slave_id) < 0 ||
	    set_str(&t->sort_key,
		    mt->started_at ? mt->started_at : mt->staged_at) < 0)
		return ROGER_ENOMEM;
	return 0;
}

/* Re-read the task list: start new tasks, end those gone, retry pending. */
static int refresh(struct engine *e, struct roger_err *err)
{
	struct roger_marathon_tasks *list = NULL;
	struct roger_mesos_master *master = NULL;
	struct roger_err why = ROGER_ERR_INIT;
	int64_t now = roger_ctx_now_ms(e->ctx);
	size_t i;
	int rc;

	rc = roger_logs_app_tasks(&list, e->marathon, e->o->app_id, 0, &why);
	if (rc == ROGER_ENOTFOUND || fatal(rc))
		return roger_err_set(err, rc, "%s", why.msg);
	if (rc < 0) {
		if (e->retrying)
			return 0;
		e->retrying = true;
		return note(e, ROGER_LOGS_NOTE_RETRY, NULL, NULL, why.msg, err);
	}
	e->retrying = false;
	for (i = 0; i < e->n_tasks; i++)
		e->tasks[i]->seen = false;
	for (i = 0; i < list->n; i++) {
		const struct roger_marathon_task *mt = &list->items[i];
		struct task *t;

		if (!mt->id)
			continue;
		t = find_task(e, mt->id);
		if (t) {
			t->seen = true;
			continue;
		}
		if (e->o->task)
			continue; /* one task only: never another */
		if ((rc = add_task(&t, e, mt->id, err)) < 0)
			goto out;
		t->seen = true;
		t->fresh = true;
		t->pending_since = now;
		if ((rc = from_marathon(t, mt)) < 0) {
			rc = nomem(err);
			goto out;
		}
		if ((rc = note(e, ROGER_LOGS_NOTE_STARTED, t, mt->state, NULL,
			       err)) != 0 ||
		    (rc = start_task(e, t, NULL, true, err)) != 0)
			goto out;
	}
	for (i = 0; i < e->n_tasks; i++) {
		struct task *t = e->tasks[i];

		if (t->st == FILE_DONE)
			continue;
		if (!t->seen) {
			if ((rc = end_task(e, t, &master, err)) != 0)
				goto out;
			continue;
		}
		if (t->st != FILE_PENDING || t->fresh) {
			t->fresh = false;
			continue;
		}
		if ((rc = start_task(e, t, NULL, true, err)) != 0)
			goto out;
	}
	rc = 0;
out:
	roger_mesos_master_free(master);
	roger_marathon_tasks_free(list);
	return rc;
}

static int cmp_tasks(const void *a, const void *b)
{
	const struct task *x = *(struct task *const *)a;
	const struct task *y = *(struct task *const *)b;
	int c;

	if (x->ended != y->ended)
		return x->ended ? -1 : 1;
	if (x->ended && x->ended_at != y->ended_at)
		return x->ended_at < y->ended_at ? -1 : 1;
	c = strcmp(x->sort_key ? x->sort_key : "",
		   y->sort_key ? y->sort_key : "");
	return c ? c : strcmp(x->id, y->id);
}

static int cmp_ended_desc(const void *a, const void *b)
{
	const struct roger_mesos_task *const *pa = a, *const *pb = b;
	const struct roger_mesos_task *x = *pa, *y = *pb;

	if (x->timestamp != y->timestamp)
		return x->timestamp > y->timestamp ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Whether the selection takes the task `id` (by --task). */
static bool wanted(const struct engine *e, const char *id)
{
	return !e->o->task || roger_logs_task_matches(id, e->o->task);
}

/* The ended tasks of the app in the master's state, most recent first. */
static int add_ended(struct engine *e, const struct roger_mesos_master *st,
		     size_t max, struct roger_err *err)
{
	const struct roger_mesos_task **found;
	size_t n = 0;
	int rc = 0;

	found = calloc(st->n_tasks + 1, sizeof(*found));
	if (!found)
		return nomem(err);
	for (size_t i = 0; i < st->n_tasks; i++) {
		const struct roger_mesos_task *mt = &st->tasks[i];

		if (mt->completed &&
		    roger_mesos_task_of_app(mt->id, e->o->app_id) &&
		    wanted(e, mt->id) && !find_task(e, mt->id) &&
		    roger_mesos_master_task(st, mt->id) == mt)
			found[n++] = mt;
	}
	if (n > 1)
		qsort(found, n, sizeof(*found), cmp_ended_desc);
	for (size_t i = 0; i < n && i < max; i++) {
		const struct roger_mesos_agent_info *a =
			roger_mesos_master_agent(st, found[i]->slave_id);
		struct task *t;

		if ((rc = add_task(&t, e, found[i]->id, err)) < 0)
			break;
		t->ended = true;
		t->ended_at = found[i]->timestamp;
		if (set_str(&t->state, found[i]->state) < 0 ||
		    set_str(&t->host, a ? a->hostname : NULL) < 0) {
			rc = nomem(err);
			break;
		}
	}
	free(found);
	return rc;
}

/* The tasks to show at the start, sorted, numbered and named. */
static int select_tasks(struct engine *e, struct roger_mesos_master **master,
			struct roger_err *err)
{
	struct roger_marathon_tasks *list = NULL;
	size_t max = e->o->max_ended ? e->o->max_ended : DEFAULT_MAX_ENDED;
	char names[3][160];
	struct task *t;
	int rc;

	if (e->o->task_ids) {
		/* a run's tasks, in the order given */
		for (size_t i = 0; i < e->o->n_task_ids; i++)
			if ((rc = add_task(&t, e, e->o->task_ids[i], err)) < 0)
				return rc;
		return 0;
	}
	rc = roger_marathon_app_tasks(&list, e->marathon, e->o->app_id, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < list->n; i++) {
		const struct roger_marathon_task *mt = &list->items[i];

		if (!mt->id || !wanted(e, mt->id))
			continue;
		if ((rc = add_task(&t, e, mt->id, err)) < 0)
			goto out;
		if (from_marathon(t, mt) < 0) {
			rc = nomem(err);
			goto out;
		}
	}
	if (e->o->ended || (e->o->task && e->n_tasks == 0)) {
		rc = roger_mesos_master_state(master, e->mesos, err);
		if (rc < 0 ||
		    (rc = add_ended(e, *master, e->o->task ? SIZE_MAX : max,
				    err)) < 0)
			goto out;
	}
	if (e->o->task && e->n_tasks == 0) {
		rc = roger_err_set(err, ROGER_ENOTFOUND,
				   "no task of app '%s' matches '%s'",
				   e->o->app_id, e->o->task);
		goto out;
	}
	if (e->o->task && e->n_tasks > 1) {
		for (size_t i = 0; i < 3; i++)
			snprintf(names[i], sizeof(names[i]), "%s",
				 i < e->n_tasks ? e->tasks[i]->id : "");
		rc = roger_err_set(
			err, ROGER_EUSAGE,
			"task '%s' is ambiguous: it matches '%s', '%s'%s",
			e->o->task, names[0], names[1],
			e->n_tasks > 2 ? " and more" : "");
		goto out;
	}
	if (e->n_tasks > 1)
		qsort(e->tasks, e->n_tasks, sizeof(*e->tasks), cmp_tasks);
	/* Numbered in the order shown. */
	for (size_t i = 0; i < e->n_tasks; i++)
		e->tasks[i]->index = (unsigned)i;
	rc = 0;
out:
	roger_marathon_tasks_free(list);
	return rc;
}

/* Sleep until `until` (ms on the context's clock), waking for interrupts. */
static int wait_until(struct engine *e, int64_t until)
{
	for (;;) {
		int64_t left = until - roger_ctx_now_ms(e->ctx);
		struct timespec ts;

		if (roger_ctx_interrupted(e->ctx))
			return ROGER_EINTR;
		if (left <= 0)
			return 0;
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR &&
		       !roger_ctx_interrupted(e->ctx))
			;
	}
}

static bool any_left(const struct engine *e)
{
	for (size_t i = 0; i < e->n_tasks; i++)
		if (e->tasks[i]->st != FILE_DONE)
			return true;
	return false;
}

static int follow(struct engine *e, struct roger_err *err)
{
	int64_t next_refresh = roger_ctx_now_ms(e->ctx) + e->refresh_ms;
	int rc;

	for (;;) {
		int64_t now = roger_ctx_now_ms(e->ctx), wake;

		if (roger_ctx_interrupted(e->ctx))
			return roger_err_set(err, ROGER_EINTR, "interrupted");
		if (now >= next_refresh) {
			if ((rc = refresh(e, err)) != 0)
				return rc;
			now = roger_ctx_now_ms(e->ctx);
			next_refresh = now + e->refresh_ms;
		}
		for (size_t i = 0; i < e->n_tasks; i++) {
			struct task *t = e->tasks[i];

			for (size_t k = 0; k < t->n_files; k++) {
				if (t->st != FILE_ACTIVE ||
				    t->files[k].next_poll > now)
					continue;
				if ((rc = poll_file(e, t, &t->files[k], now,
						    err)) != 0)
					return rc;
			}
		}
		if ((rc = flush(e, err)) != 0)
			return rc;
		if (e->o->task && !any_left(e))
			return 0;
		wake = next_refresh;
		for (size_t i = 0; i < e->n_tasks; i++)
			for (size_t k = 0; k < e->tasks[i]->n_files; k++)
				if (e->tasks[i]->st == FILE_ACTIVE &&
				    e->tasks[i]->files[k].next_poll < wake)
					wake = e->tasks[i]->files[k].next_poll;
		if (wait_until(e, wake) < 0)
			return roger_err_set(err, ROGER_EINTR, "interrupted");
	}
}

static int run(struct engine *e, struct roger_err *err)
{
	struct roger_mesos_master *master = NULL;
	int rc;

	if ((rc = select_tasks(e, &master, err)) != 0)
		goto out;
	if (e->n_tasks == 0)
		rc = note(e, ROGER_LOGS_NOTE_NO_TASKS, NULL, NULL, NULL, err);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < e->n_tasks; i++) {
		struct task *t = e->tasks[i];

		if (t->ended && (rc = note(e, ROGER_LOGS_NOTE_FINISHED, t,
					   t->state, NULL, err)) != 0)
			goto out;
		t->pending_since = roger_ctx_now_ms(e->ctx);
		if ((rc = start_task(e, t, master, false, err)) != 0)
			goto out;
		if ((rc = flush(e, err)) != 0)
			goto out;
	}
	roger_mesos_master_free(master);
	master = NULL;
	if (e->o->follow) {
		rc = follow(e, err);
		goto out;
	}
	if (e->n_tasks > 0 && e->n_skipped == e->n_tasks) {
		if (err)
			*err = e->skip_err;
		rc = e->skip_err.code ? e->skip_err.code : ROGER_ERROR;
	}
out:
	roger_mesos_master_free(master);
	return rc;
}

int roger_logs_run(struct roger_ctx *ctx, struct roger_marathon *marathon,
		   struct roger_mesos *mesos, const struct roger_logs_opts *o,
		   struct roger_err *err)
{
	struct engine e = { 0 };
	int rc;

	if ((!o->app_id && !o->task_ids) || !o->on_line)
		return roger_err_set(
			err, ROGER_EINVALID,
			"logs: an app id or task ids, and a line callback, are needed");
	if (o->task_ids && o->follow)
		return roger_err_set(
			err, ROGER_EINVALID,
			"logs: the tasks given are read once, not followed");
	e.ctx = ctx;
	e.marathon = marathon;
	e.mesos = mesos;
	e.o = o;
	e.idle_ms = o->idle_poll_ms > 0 ? o->idle_poll_ms : DEFAULT_IDLE_MS;
	e.fast_ms = o->fast_poll_ms > 0 ? o->fast_poll_ms : DEFAULT_FAST_MS;
	e.refresh_ms = o->refresh_ms > 0 ? o->refresh_ms : DEFAULT_REFRESH_MS;
	roger_buf_init(&e.chunk);
	rc = run(&e, err);
	if (rc == 0 || rc == STOP)
		rc = flush(&e, err);
	for (size_t i = 0; i < e.n_tasks; i++)
		task_free(e.tasks[i]);
	free(e.tasks);
	roger_buf_release(&e.chunk);
	return rc == STOP ? 0 : rc;
}
