/*
 * check_logs.c - unit tests of the logs module: the line splitter fed in
 * every chunking, where the last N lines start, the poll interval, short
 * names and task selection, JSON lines from bytes that are not UTF-8, and
 * the engine over loopback against tests/faultd.py playing Marathon, the
 * Mesos master and an agent: every task at once, tails, ended tasks, a
 * task whose agent is down or whose sandbox is gone, and a follow in which
 * a task starts and tasks end.
 */
#include <config.h>

#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/roger.h"
#include "lib/logs.h"
#include "lib/marathon.h"
#include "lib/mesos.h"
#include "faultd.h"

#define UUID_TAIL "-1111-2222-3333-444455556666"
#define TASK_A "web_hello.instance-aaaaaaaa" UUID_TAIL "._app.1"
#define TASK_B "web_hello.instance-bbbbbbbb" UUID_TAIL "._app.1"
#define TASK_C "web_hello.instance-cccccccc" UUID_TAIL "._app.1"
#define TASK_D "web_hello.instance-dddddddd" UUID_TAIL "._app.1"
#define TASK_E "web_hello.eeeeeeee" UUID_TAIL
#define TASK_X "web_other.instance-ffffffff" UUID_TAIL "._app.1"

/* ---- lines --------------------------------------------------------------- */

static int collect(void *data, const char *text, size_t len, bool partial,
		   struct roger_err *err)
{
	struct roger_buf *out = data;

	(void)err;
	ck_assert_uint_eq(strlen(text), len);
	roger_buf_addf(out, "<%s>%s", text, partial ? "~" : "");
	return 0;
}

static void split_all(struct roger_buf *out, const char *text, size_t cut1,
		      size_t cut2, size_t max_line)
{
	struct roger_logs_splitter s;
	size_t len = strlen(text);

	roger_logs_splitter_init(&s);
	s.max_line = max_line;
	ck_assert_int_eq(
		roger_logs_splitter_feed(&s, text, cut1, collect, out, NULL),
		0);
	ck_assert_int_eq(roger_logs_splitter_feed(&s, text + cut1, cut2 - cut1,
						  collect, out, NULL),
			 0);
	ck_assert_int_eq(roger_logs_splitter_feed(&s, text + cut2, len - cut2,
						  collect, out, NULL),
			 0);
	ck_assert_int_eq(roger_logs_splitter_finish(&s, collect, out, NULL), 0);
	roger_logs_splitter_release(&s);
}

START_TEST(test_logs_splitter_chunks)
{
	static const char text[] = "one\ntwo\n\nthree\r\nlast";
	static const char want[] = "<one><two><><three\r><last>~";
	struct roger_buf out = ROGER_BUF_INIT;

	/* Every way of cutting the text in three gives the same lines. */
	for (size_t a = 0; a <= strlen(text); a++) {
		for (size_t b = a; b <= strlen(text); b++) {
			roger_buf_reset(&out);
			split_all(&out, text, a, b, 0);
			ck_assert_msg(!strcmp(out.buf, want), "cut %zu %zu: %s",
				      a, b, out.buf);
		}
	}
	roger_buf_reset(&out);
	split_all(&out, "a\n", 1, 2, 0);
	ck_assert_str_eq(out.buf, "<a>");
	roger_buf_release(&out);
}
END_TEST

START_TEST(test_logs_splitter_long_lines)
{
	struct roger_buf out = ROGER_BUF_INIT;

	split_all(&out, "abcdefghij\nxyz\nabcd\n", 3, 9, 4);
	ck_assert_str_eq(out.buf, "<abcd>~<efgh>~<ij><xyz><abcd>");
	roger_buf_release(&out);
}
END_TEST

static int stop_at_b(void *data, const char *text, size_t len, bool partial,
		     struct roger_err *err)
{
	(void)partial;
	collect(data, text, len, false, err);
	return !strcmp(text, "b") ? ROGER_HTTP_STOP : 0;
}

START_TEST(test_logs_splitter_stop)
{
	struct roger_logs_splitter s;
	struct roger_buf out = ROGER_BUF_INIT;

	roger_logs_splitter_init(&s);
	ck_assert_int_eq(roger_logs_splitter_feed(&s, "a\nb\nc\n", 6, stop_at_b,
						  &out, NULL),
			 ROGER_HTTP_STOP);
	ck_assert_str_eq(out.buf, "<a><b>");
	roger_logs_splitter_release(&s);
	roger_logs_splitter_release(NULL);
	roger_buf_release(&out);
}
END_TEST

START_TEST(test_logs_tail_start)
{
	static const char text[] = "a\nbb\nccc\n";
	size_t len = strlen(text);

	ck_assert_int_eq(roger_logs_tail_start(text, len, 1, false), 5);
	ck_assert_int_eq(roger_logs_tail_start(text, len, 2, false), 2);
	/* Three lines need the newline before the first, or the start. */
	ck_assert_int_eq(roger_logs_tail_start(text, len, 3, false), -1);
	ck_assert_int_eq(roger_logs_tail_start(text, len, 3, true), 0);
	ck_assert_int_eq(roger_logs_tail_start(text, len, 9, true), 0);
	ck_assert_int_eq(roger_logs_tail_start(text, len, 0, false), (long)len);
	/* A last line without its newline counts. */
	ck_assert_int_eq(roger_logs_tail_start("a\nbb", 4, 1, false), 2);
	ck_assert_int_eq(roger_logs_tail_start("a\nbb", 4, 2, false), -1);
	ck_assert_int_eq(roger_logs_tail_start("", 0, 1, true), 0);
	ck_assert_int_eq(roger_logs_tail_start("", 0, 1, false), -1);
	ck_assert_int_eq(roger_logs_tail_start("\n\n", 2, 1, false), 1);
}
END_TEST

START_TEST(test_logs_next_poll)
{
	ck_assert_int_eq(roger_logs_next_poll_ms(1000, 65536, true, 50, 1000),
			 0);
	ck_assert_int_eq(roger_logs_next_poll_ms(1000, 10, false, 50, 1000),
			 50);
	ck_assert_int_eq(roger_logs_next_poll_ms(0, 0, false, 50, 1000), 50);
	ck_assert_int_eq(roger_logs_next_poll_ms(50, 0, false, 50, 1000), 100);
	ck_assert_int_eq(roger_logs_next_poll_ms(800, 0, false, 50, 1000),
			 1000);
	ck_assert_int_eq(roger_logs_next_poll_ms(1000, 0, false, 50, 1000),
			 1000);
}
END_TEST

START_TEST(test_logs_json_line)
{
	struct roger_buf out = ROGER_BUF_INIT;
	json_error_t jerr;
	json_t *doc;
	/* Quotes, controls, valid UTF-8, and bytes that are not: a lone
	 * continuation, an overlong '/', a surrogate, a cut sequence. */
	static const char text[] = "\"q\"\\\t\x01 \xc3\xa9\xf0\x9f\x98\x80 "
				   "\x80 \xc0\xaf \xed\xa0\x80 \xe2\x82";

	ck_assert_int_eq(roger_logs_json_line(&out, "t.1", "stderr", text,
					      sizeof(text) - 1),
			 0);
	ck_assert_str_eq(
		out.buf,
		"{\"task\":\"t.1\",\"stream\":\"stderr\",\"line\":\"\\\"q\\\"\\\\\\t\\u0001 \xc3\xa9\xf0\x9f\x98\x80 "
		"\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\"}");
	doc = json_loads(out.buf, 0, &jerr);
	ck_assert_msg(doc, "%s", jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "task")),
			 "t.1");
	json_decref(doc);
	roger_buf_reset(&out);
	ck_assert_int_eq(roger_logs_json_line(&out, "t", "stdout", "a\0b", 3),
			 0);
	ck_assert_str_eq(
		out.buf,
		"{\"task\":\"t\",\"stream\":\"stdout\",\"line\":\"a\\u0000b\"}");
	roger_buf_release(&out);
}
END_TEST

START_TEST(test_logs_short_names)
{
	const char *taken[2] = { "aaaaaaaa", NULL };
	char name[128];

	roger_logs_short_name(name, sizeof(name), TASK_B, taken, 1);
	ck_assert_str_eq(name, "bbbbbbbb");
	roger_logs_short_name(name, sizeof(name), TASK_E, NULL, 0);
	ck_assert_str_eq(name, "eeeeeeee");
	roger_logs_short_name(name, sizeof(name),
			      "web.instance-bbbbbbbb" UUID_TAIL "._app.2",
			      taken, 1);
	ck_assert_str_eq(name, "bbbbbbbb.2");
	/* A name already shown: the whole id tells them apart. */
	roger_logs_short_name(name, sizeof(name), TASK_A, taken, 2);
	ck_assert_str_eq(name, TASK_A);
	roger_logs_short_name(name, sizeof(name), "odd-id", NULL, 0);
	ck_assert_str_eq(name, "odd-id");
}
END_TEST

START_TEST(test_logs_task_matches)
{
	ck_assert(roger_logs_task_matches(TASK_A, TASK_A));
	ck_assert(roger_logs_task_matches(TASK_A, "aaaaaaaa"));
	ck_assert(roger_logs_task_matches(TASK_A, "aaaa"));
	ck_assert(roger_logs_task_matches(TASK_A, "aaaaaaaa-1111"));
	ck_assert(roger_logs_task_matches(TASK_A, "web_hello.inst"));
	ck_assert(roger_logs_task_matches(TASK_E, "eeee"));
	ck_assert(roger_logs_task_matches(
		"web.instance-bbbbbbbb" UUID_TAIL "._app.2", "bbbbbbbb.2"));
	ck_assert(!roger_logs_task_matches(TASK_A, "bbbb"));
	ck_assert(!roger_logs_task_matches(TASK_A, ""));
	ck_assert(!roger_logs_task_matches(TASK_A, "1111"));
	ck_assert(!roger_logs_task_matches(TASK_A, "aaaaaaaa.2"));
}
END_TEST

/* ---- the engine over loopback -------------------------------------------- */

/* A loopback port nothing listens on. */
static int closed_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* A rule answering `match` `times` times (0: forever) with JSON. */
static void add_rule(json_t *rules, const char *match, int times, json_t *doc)
{
	json_array_append_new(rules,
			      json_pack("{s:s, s:i, s:o}", "match", match,
					"times", times, "json", doc));
}

/* The same with a body whose "__PORT__" strings become faultd's port. */
static void add_rule_port(json_t *rules, int times, const char *match,
			  json_t *doc)
{
	struct roger_buf b = ROGER_BUF_INIT;
	char *text = json_dumps(doc, JSON_COMPACT), *p = text, *hit;

	while ((hit = strstr(p, "\"__PORT__\""))) {
		roger_buf_add(&b, p, (size_t)(hit - p));
		roger_buf_adds(&b, "{port}");
		p = hit + strlen("\"__PORT__\"");
	}
	roger_buf_adds(&b, p);
	json_array_append_new(
		rules, json_pack("{s:s, s:i, s:s, s:{s:s}}", "match", match,
				 "times", times, "body", b.buf, "headers",
				 "Content-Type", "application/json"));
	free(text);
	json_decref(doc);
	roger_buf_release(&b);
}

static json_t *marathon_task(const char *id, const char *agent,
			     const char *started)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "appId",
			 "/web/hello", "host", "127.0.0.1", "slaveId", agent,
			 "state", "TASK_RUNNING", "startedAt", started);
}

static void add_tasks(json_t *rules, int times, json_t *tasks)
{
	add_rule(rules, "GET /v2/apps/web/hello/tasks", times,
		 json_pack("{s:o}", "tasks", tasks));
}

/*
 * Rules for a sandbox file: the size probe, its bytes from offset 0, and
 * nothing after them.
 */
static void add_file(json_t *rules, const char *path, const char *content)
{
	struct roger_buf esc = ROGER_BUF_INIT;
	char match[512];
	size_t len = strlen(content);

	roger_http_escape(&esc, path);
	snprintf(match, sizeof(match), "GET /files/read?path=%s&offset=-1&*",
		 esc.buf);
	add_rule(
		rules, match, 0,
		json_pack("{s:s, s:I}", "data", "", "offset", (json_int_t)len));
	snprintf(match, sizeof(match), "GET /files/read?path=%s&offset=0&*",
		 esc.buf);
	add_rule(rules, match, 0,
		 json_pack("{s:s, s:i}", "data", content, "offset", 0));
	snprintf(match, sizeof(match), "GET /files/read?path=%s&offset=*",
		 esc.buf);
	add_rule(
		rules, match, 0,
		json_pack("{s:s, s:I}", "data", "", "offset", (json_int_t)len));
	roger_buf_release(&esc);
}

static json_t *mesos_task(const char *id, const char *agent, const char *state,
			  double ts)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:f}]}", "id", id,
			 "framework_id", "F1", "slave_id", agent, "state",
			 state, "statuses", "state", state, "timestamp", ts);
}

/*
 * The master's state: agents S0 (faultd itself) and S1 (down); A and B
 * running, or with `ab_ended` among the completed tasks.
 */
static void add_master(json_t *rules, int times, int down_port, bool ab_ended)
{
	json_t *live = json_array(), *done = json_array();
	json_t *master;

	if (!ab_ended) {
		json_array_append_new(
			live, mesos_task(TASK_A, "S0", "TASK_RUNNING", 10));
		json_array_append_new(
			live, mesos_task(TASK_B, "S0", "TASK_RUNNING", 11));
	} else {
		json_array_append_new(
			done, mesos_task(TASK_A, "S0", "TASK_KILLED", 300));
		json_array_append_new(
			done, mesos_task(TASK_B, "S0", "TASK_FINISHED", 400));
	}
	json_array_append_new(live,
			      mesos_task(TASK_D, "S1", "TASK_RUNNING", 12));
	json_array_append_new(done,
			      mesos_task(TASK_C, "S0", "TASK_FAILED", 100));
	json_array_append_new(done,
			      mesos_task(TASK_E, "S0", "TASK_FINISHED", 50));
	json_array_append_new(done,
			      mesos_task(TASK_X, "S0", "TASK_FAILED", 200));
	master = json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s, s:i}],"
			   " s:[{s:s, s:o, s:o}]}",
			   "slaves", "id", "S0", "hostname", "127.0.0.1",
			   "port", "__PORT__", "id", "S1", "hostname",
			   "127.0.0.1", "port", down_port, "frameworks", "id",
			   "F1", "tasks", live, "completed_tasks", done);
	add_rule_port(rules, times, "GET /master/state", master);
}

/* The master, agent S0 and the files of A, B, C and E (gone). */
static void add_mesos(json_t *rules, int down_port, bool ab_ended)
{
	json_t *agent;

	add_master(rules, 0, down_port, ab_ended);
	agent = json_pack("{s:s, s:[{s:s, s:[{s:s, s:s}, {s:s, s:s}],"
			  "          s:[{s:s, s:s}, {s:s, s:s}]}]}",
			  "id", "S0", "frameworks", "id", "F1", "executors",
			  "id", TASK_A, "directory", "/sb/a", "id", TASK_B,
			  "directory", "/sb/b", "completed_executors", "id",
			  TASK_C, "directory", "/sb/c", "id", TASK_E,
			  "directory", "/sb/gone");
	add_rule_port(rules, 0, "GET /slave(1)/state", agent);
	/* E's sandbox was removed by the agent. */
	json_array_append_new(rules,
			      json_pack("{s:s, s:i, s:i, s:s}", "match",
					"GET /files/read?path=%2Fsb%2Fgone*",
					"times", 0, "status", 404, "body", ""));
	add_file(rules, "/sb/a/stdout", "a1\na2\n");
	add_file(rules, "/sb/a/stderr", "err-a\n");
	add_file(rules, "/sb/b/stdout", "b1\nb2\nb3");
	add_file(rules, "/sb/c/stdout", "c1\n");
}

static void start_rules(struct faultd *f, json_t *rules)
{
	char *text = json_dumps(rules, 0);

	faultd_start_raw(f, text);
	free(text);
	json_decref(rules);
}

struct clients {
	struct roger_marathon *marathon;
	struct roger_mesos *mesos;
};

static struct roger_http_client *http_to(const char *url)
{
	struct roger_http_client_opts o = { 0 };
	struct roger_http_client *http = NULL;
	struct roger_err err = ROGER_ERR_INIT;
	const char *bases[1] = { url };

	o.name = "test";
	o.bases = bases;
	o.n_bases = 1;
	o.max_retries = -1;
	o.timeout_ms = 10000;
	ck_assert_msg(roger_http_client_new(&http, NULL, &o, NULL, &err) == 0,
		      "%s", err.msg);
	return http;
}

static void clients_open(struct clients *c, const char *url)
{
	ck_assert_int_eq(
		roger_marathon_new(&c->marathon, NULL, http_to(url), NULL), 0);
	ck_assert_int_eq(roger_mesos_new(&c->mesos, NULL, http_to(url), NULL),
			 0);
}

static void clients_close(struct clients *c)
{
	roger_marathon_free(c->marathon);
	roger_mesos_free(c->mesos);
}

/* What the engine passed on, one line each, and the notes' messages. */
struct rec {
	struct roger_buf log;
	struct roger_buf messages;
	const char *stop_after_ended; /* short name */
	const char *stop_after_line; /* text */
	volatile sig_atomic_t *interrupt_after_line;
};

static int rec_line(void *data, const struct roger_logs_line *l,
		    struct roger_err *err)
{
	struct rec *r = data;

	(void)err;
	ck_assert_uint_eq(strlen(l->text), l->len);
	roger_buf_addf(&r->log, "%u %s %s %s%s\n", l->task_index, l->short_name,
		       l->stream, l->text, l->partial ? " ~" : "");
	if (r->interrupt_after_line)
		*r->interrupt_after_line = 1;
	if (r->stop_after_line && !strcmp(l->text, r->stop_after_line))
		return ROGER_HTTP_STOP;
	return 0;
}

static int rec_note(void *data, const struct roger_logs_note *n,
		    struct roger_err *err)
{
	static const char *const kinds[] = { "STARTED", "ENDED",    "FINISHED",
					     "SKIPPED", "NO_TASKS", "RETRY" };
	struct rec *r = data;

	(void)err;
	roger_buf_addf(&r->log, "%s %s%s%s\n", kinds[n->kind],
		       n->short_name ? n->short_name : "-", n->state ? " " : "",
		       n->state ? n->state : "");
	if (n->message)
		roger_buf_addf(&r->messages, "%s\n", n->message);
	if (n->kind == ROGER_LOGS_NOTE_ENDED && r->stop_after_ended &&
	    !strcmp(n->short_name, r->stop_after_ended))
		return ROGER_HTTP_STOP;
	return 0;
}

static void rec_opts(struct roger_logs_opts *o, struct rec *r)
{
	memset(o, 0, sizeof(*o));
	memset(r, 0, sizeof(*r));
	roger_buf_init(&r->log);
	roger_buf_init(&r->messages);
	o->app_id = "/web/hello";
	o->tail = -1;
	o->on_line = rec_line;
	o->on_note = rec_note;
	o->data = r;
	o->idle_poll_ms = 50;
	o->fast_poll_ms = 10;
	o->refresh_ms = 100;
}

static void rec_release(struct rec *r)
{
	roger_buf_release(&r->log);
	roger_buf_release(&r->messages);
}

/* Marathon lists B (started first), A, and D whose agent is down. */
static void start_cluster(struct faultd *f)
{
	json_t *rules = json_array();

	add_tasks(
		rules, 0,
		json_pack(
			"[o, o, o]",
			marathon_task(TASK_A, "S0", "2024-01-01T00:00:02.000Z"),
			marathon_task(TASK_B, "S0", "2024-01-01T00:00:01.000Z"),
			marathon_task(TASK_D, "S1",
				      "2024-01-01T00:00:03.000Z")));
	add_mesos(rules, closed_port(), false);
	start_rules(f, rules);
}

START_TEST(test_logs_every_task)
{
	struct faultd f;
	struct clients c;
	struct roger_logs_opts o;
	struct rec r;
	struct roger_err err = ROGER_ERR_INIT;

	start_cluster(&f);
	clients_open(&c, f.url);
	rec_opts(&o, &r);
	ck_assert_msg(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(r.log.buf, "0 bbbbbbbb stdout b1\n"
				    "0 bbbbbbbb stdout b2\n"
				    "0 bbbbbbbb stdout b3 ~\n"
				    "1 aaaaaaaa stdout a1\n"
				    "1 aaaaaaaa stdout a2\n"
				    "SKIPPED dddddddd\n");
	ck_assert_msg(strstr(r.messages.buf, "/slave(1)/state"), "%s",
		      r.messages.buf);
	/* The tail and the other stream. */
	roger_buf_reset(&r.log);
	o.tail = 1;
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 0);
	ck_assert_str_eq(r.log.buf, "0 bbbbbbbb stdout b3 ~\n"
				    "1 aaaaaaaa stdout a2\n"
				    "SKIPPED dddddddd\n");
	roger_buf_reset(&r.log);
	o.tail = 0;
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 0);
	ck_assert_str_eq(r.log.buf, "SKIPPED dddddddd\n");
	roger_buf_reset(&r.log);
	o.tail = -1;
	o.task = "aaaa";
	o.stream = ROGER_LOGS_STDERR;
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 0);
	ck_assert_str_eq(r.log.buf, "0 aaaaaaaa stderr err-a\n");
	clients_close(&c);
	rec_release(&r);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_logs_ended_tasks)
{
	struct faultd f;
	struct clients c;
	struct roger_logs_opts o;
	struct rec r;
	struct roger_err err = ROGER_ERR_INIT;

	start_cluster(&f);
	clients_open(&c, f.url);
	rec_opts(&o, &r);
	o.ended = true;
	o.max_ended = 4;
	ck_assert_msg(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err) == 0,
		      "%s", err.msg);
	/* Most recent first among the ended, shown oldest first: the app's
	 * tasks only, and not those Marathon lists as running. */
	ck_assert_str_eq(r.log.buf, "FINISHED eeeeeeee TASK_FINISHED\n"
				    "SKIPPED eeeeeeee\n"
				    "FINISHED cccccccc TASK_FAILED\n"
				    "1 cccccccc stdout c1\n"
				    "2 bbbbbbbb stdout b1\n"
				    "2 bbbbbbbb stdout b2\n"
				    "2 bbbbbbbb stdout b3 ~\n"
				    "3 aaaaaaaa stdout a1\n"
				    "3 aaaaaaaa stdout a2\n"
				    "SKIPPED dddddddd\n");
	ck_assert_msg(strstr(r.messages.buf,
			     "file '/sb/gone/stdout' not found on agent"),
		      "%s", r.messages.buf);
	/* One ended: the most recent. */
	roger_buf_reset(&r.log);
	o.max_ended = 1;
	o.tail = 0;
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 0);
	ck_assert_str_eq(r.log.buf, "FINISHED cccccccc TASK_FAILED\n"
				    "SKIPPED dddddddd\n");
	/* --task finds an ended task without --failed. */
	roger_buf_reset(&r.log);
	o.ended = false;
	o.tail = -1;
	o.task = "cccc";
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 0);
	ck_assert_str_eq(r.log.buf, "FINISHED cccccccc TASK_FAILED\n"
				    "0 cccccccc stdout c1\n");
	clients_close(&c);
	rec_release(&r);
	faultd_stop(&f);
}
END_TEST

/* A run's tasks given by id (roger logs --job): no Marathon, both files. */
START_TEST(test_logs_given_tasks)
{
	static const char *const ids[] = { TASK_A, TASK_C };
	struct faultd f;
	struct clients c;
	struct roger_logs_opts o;
	struct rec r;
	struct roger_err err = ROGER_ERR_INIT;

	start_cluster(&f);
	clients_open(&c, f.url);
	rec_opts(&o, &r);
	o.app_id = NULL;
	o.task_ids = ids;
	o.n_task_ids = 2;
	o.stream = ROGER_LOGS_BOTH;
	ck_assert_msg(roger_logs_run(NULL, NULL, c.mesos, &o, &err) == 0, "%s",
		      err.msg);
	/* in the order given, each task's stdout before its stderr (C, ended,
	 * has no stderr file) */
	ck_assert_str_eq(r.log.buf, "0 aaaaaaaa stdout a1\n"
				    "0 aaaaaaaa stdout a2\n"
				    "0 aaaaaaaa stderr err-a\n"
				    "1 cccccccc stdout c1\n"
				    "SKIPPED cccccccc\n");
	/* read once: following needs the app's task list */
	o.follow = true;
	ck_assert_int_eq(roger_logs_run(NULL, NULL, c.mesos, &o, &err),
			 ROGER_EINVALID);
	clients_close(&c);
	rec_release(&r);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_logs_task_selection_errors)
{
	struct faultd f;
	struct clients c;
	struct roger_logs_opts o;
	struct rec r;
	struct roger_err err = ROGER_ERR_INIT;

	start_cluster(&f);
	clients_open(&c, f.url);
	rec_opts(&o, &r);
	o.task = "web_hello.inst";
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 ROGER_EUSAGE);
	ck_assert_str_eq(
		err.msg,
		"task 'web_hello.inst' is ambiguous: it matches '" TASK_A
		"', '" TASK_B "' and more");
	o.task = "zzzz";
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 ROGER_ENOTFOUND);
	ck_assert_str_eq(err.msg, "no task of app '/web/hello' matches 'zzzz'");
	/* Only the task whose agent is down: its error is the run's. */
	o.task = "dddd";
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 ROGER_ENET);
	ck_assert_msg(strstr(err.msg, "/slave(1)/state"), "%s", err.msg);
	ck_assert_str_eq(r.log.buf, "SKIPPED dddddddd\n");
	/* Another app's task is not this app's. */
	o.task = "ffff";
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 ROGER_ENOTFOUND);
	clients_close(&c);
	rec_release(&r);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_logs_no_app)
{
	struct faultd f;
	struct clients c;
	struct roger_logs_opts o;
	struct rec r;
	struct roger_err err = ROGER_ERR_INIT;

	faultd_start(
		&f,
		"[{'match': 'GET /v2/apps/web/hello/tasks', 'status': 404, 'json': {'message': 'App \\'/web/hello\\' does not exist'}},"
		" {'match': 'GET /v2/apps/web/hello/tasks', 'json': {'tasks': []}}]");
	clients_open(&c, f.url);
	rec_opts(&o, &r);
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 ROGER_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "/web/hello"), "%s", err.msg);
	/* No task: a note, and success. */
	ck_assert_int_eq(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err),
			 0);
	ck_assert_str_eq(r.log.buf, "NO_TASKS -\n");
	ck_assert_uint_eq(faultd_count(&f, "GET", "/master/state"), 0);
	clients_close(&c);
	rec_release(&r);
	faultd_stop(&f);
}
END_TEST

/* The lines and notes of one task, in order, from a recorded log. */
static void lines_of(struct roger_buf *out, const char *log, const char *name)
{
	const char *p = log;

	roger_buf_reset(out);
	while (*p) {
		const char *nl = strchr(p, '\n');

		if (strstr(p, name) && strstr(p, name) < nl)
			roger_buf_add(out, p, (size_t)(nl - p + 1));
		p = nl + 1;
	}
}

START_TEST(test_logs_follow)
{
	/* Marathon lists A twice, then A and B (B started), then B (A
	 * ended), then nothing (B ended).  A writes "a3\npart" after its
	 * first lines; "part" is passed on when A ends. */
	struct faultd f;
	struct clients c;
	struct roger_logs_opts o;
	struct rec r;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf one = ROGER_BUF_INIT;
	json_t *rules = json_array();
	const char *started_b, *ended_a;

	add_tasks(rules, 2, json_pack("[o]", marathon_task(TASK_A, "S0", "1")));
	add_tasks(rules, 1,
		  json_pack("[o, o]", marathon_task(TASK_A, "S0", "1"),
			    marathon_task(TASK_B, "S0", "2")));
	add_tasks(rules, 2, json_pack("[o]", marathon_task(TASK_B, "S0", "2")));
	add_tasks(rules, 0, json_array());
	add_rule(rules, "GET /files/read?path=%2Fsb%2Fa%2Fstdout&offset=6&*", 1,
		 json_pack("{s:s, s:i}", "data", "a3\npart", "offset", 6));
	add_rule(rules, "GET /files/read?path=%2Fsb%2Fa%2Fstdout&offset=6&*", 0,
		 json_pack("{s:s, s:i}", "data", "", "offset", 6));
	/* The master lists A and B running once (when A is found, and B
	 * then from that cached state), ended after. */
	add_master(rules, 1, closed_port(), false);
	add_mesos(rules, closed_port(), true);
	start_rules(&f, rules);
	clients_open(&c, f.url);
	rec_opts(&o, &r);
	o.follow = true;
	r.stop_after_ended = "bbbbbbbb";
	ck_assert_msg(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err) == 0,
		      "%s", err.msg);
	lines_of(&one, r.log.buf, "aaaaaaaa");
	ck_assert_str_eq(one.buf, "0 aaaaaaaa stdout a1\n"
				  "0 aaaaaaaa stdout a2\n"
				  "0 aaaaaaaa stdout a3\n"
				  "0 aaaaaaaa stdout part ~\n"
				  "ENDED aaaaaaaa TASK_KILLED\n");
	lines_of(&one, r.log.buf, "bbbbbbbb");
	ck_assert_str_eq(one.buf, "STARTED bbbbbbbb TASK_RUNNING\n"
				  "1 bbbbbbbb stdout b1\n"
				  "1 bbbbbbbb stdout b2\n"
				  "1 bbbbbbbb stdout b3 ~\n"
				  "ENDED bbbbbbbb TASK_FINISHED\n");
	started_b = strstr(r.log.buf, "STARTED bbbbbbbb");
	ended_a = strstr(r.log.buf, "ENDED aaaaaaaa");
	ck_assert(started_b && ended_a && started_b < ended_a);
	roger_buf_release(&one);
	clients_close(&c);
	rec_release(&r);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_logs_follow_interrupted)
{
	volatile sig_atomic_t flag = 0;
	struct roger_ctx *ctx = NULL;
	struct faultd f;
	struct clients c;
	struct roger_logs_opts o;
	struct rec r;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(roger_ctx_new(&ctx, NULL), 0);
	roger_ctx_set_interrupt_flag(ctx, &flag);
	start_cluster(&f);
	clients_open(&c, f.url);
	rec_opts(&o, &r);
	o.follow = true;
	o.task = "aaaa";
	r.interrupt_after_line = &flag;
	ck_assert_int_eq(roger_logs_run(ctx, c.marathon, c.mesos, &o, &err),
			 ROGER_EINTR);
	ck_assert_str_eq(r.log.buf, "0 aaaaaaaa stdout a1\n"
				    "0 aaaaaaaa stdout a2\n");
	clients_close(&c);
	rec_release(&r);
	roger_ctx_free(ctx);
	faultd_stop(&f);
}
END_TEST

#define TASK_S "web_hello.instance-55555555" UUID_TAIL "._app.1"

START_TEST(test_logs_staging)
{
	/* A task Marathon has just launched, not yet known to Mesos: not a
	 * failure; following, it is shown once Mesos knows it. */
	struct faultd f;
	struct clients c;
	struct roger_logs_opts o;
	struct rec r;
	struct roger_err err = ROGER_ERR_INIT;
	json_t *rules = json_array(), *staging;

	staging = marathon_task(TASK_S, "S0", "9");
	json_object_set_new(staging, "state", json_string("TASK_STAGING"));
	add_tasks(
		rules, 2,
		json_pack("[o, O]", marathon_task(TASK_A, "S0", "1"), staging));
	add_tasks(rules, 0, json_pack("[o]", staging));
	/* Agent S0 learns of S at its fourth state request. */
	add_rule(rules, "GET /slave(1)/state", 3,
		 json_pack("{s:s, s:[{s:s, s:[{s:s, s:s}]}]}", "id", "S0",
			   "frameworks", "id", "F1", "executors", "id", TASK_A,
			   "directory", "/sb/a"));
	add_rule(rules, "GET /slave(1)/state", 0,
		 json_pack("{s:s, s:[{s:s, s:[{s:s, s:s}, {s:s, s:s}]}]}", "id",
			   "S0", "frameworks", "id", "F1", "executors", "id",
			   TASK_A, "directory", "/sb/a", "id", TASK_S,
			   "directory", "/sb/s"));
	add_file(rules, "/sb/s/stdout", "s1\n");
	add_mesos(rules, closed_port(), false);
	start_rules(&f, rules);
	clients_open(&c, f.url);
	rec_opts(&o, &r);
	ck_assert_msg(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(r.log.buf, "0 aaaaaaaa stdout a1\n"
				    "0 aaaaaaaa stdout a2\n"
				    "SKIPPED 55555555\n");
	ck_assert_str_eq(r.messages.buf, "it has not started yet\n");
	roger_buf_reset(&r.log);
	o.follow = true;
	o.task = "5555";
	r.stop_after_line = "s1";
	ck_assert_msg(roger_logs_run(NULL, c.marathon, c.mesos, &o, &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(r.log.buf, "0 55555555 stdout s1\n");
	ck_assert_uint_eq(faultd_count(&f, "GET", "/slave(1)/state"), 4);
	clients_close(&c);
	rec_release(&r);
	faultd_stop(&f);
}
END_TEST

START_TEST(test_logs_task_tail)
{
	struct faultd f;
	struct roger_mesos *m = NULL;
	struct roger_buf out = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_target target = { 0 };
	char name[] = "t";

	start_cluster(&f);
	ck_assert_int_eq(roger_mesos_new(&m, NULL, http_to(f.url), NULL), 0);
	ck_assert_msg(roger_logs_task_tail(&out, m, TASK_B, ROGER_LOGS_STDOUT,
					   2, &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(out.buf, "b2\nb3\n");
	roger_buf_reset(&out);
	/* An ended task, through the master's completed tasks. */
	ck_assert_int_eq(roger_logs_task_tail(&out, m, TASK_C,
					      ROGER_LOGS_STDOUT, 10, &err),
			 0);
	ck_assert_str_eq(out.buf, "c1\n");
	ck_assert_int_eq(roger_logs_task_tail(&out, m, TASK_E,
					      ROGER_LOGS_STDOUT, 10, &err),
			 ROGER_ENOTFOUND);
	ck_assert_int_eq(roger_logs_task_tail(&out, m, "nope.x",
					      ROGER_LOGS_STDERR, 10, &err),
			 ROGER_ENOTFOUND);
	ck_assert_str_eq(out.buf, "c1\n");
	roger_buf_reset(&out);
	/* In one call, from a target; a target without Mesos fails. */
	target.name = name;
	ck_assert_int_eq(roger_logs_target_task_tail(&out, NULL, &target,
						     TASK_A, ROGER_LOGS_STDERR,
						     5, &err),
			 ROGER_EINVALID);
	ck_assert_str_eq(err.msg, "target 't' has no mesos URL");
	target.mesos = f.url; /* not freed: the target is ours */
	ck_assert_msg(roger_logs_target_task_tail(&out, NULL, &target, TASK_A,
						  ROGER_LOGS_STDERR, 5,
						  &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(out.buf, "err-a\n");
	roger_buf_release(&out);
	roger_mesos_free(m);
	faultd_stop(&f);
}
END_TEST

/*
 * What `roger deploy` will do for a task that failed, against a real
 * roger local (started with the binary `make check` names): the stderr
 * tail of the ended task, through the target.
 */
START_TEST(test_logs_task_tail_local)
{
	const char *roger = getenv("ROGER");
	char dir[] = "/tmp/roger-check-logs.XXXXXX", name[] = "local";
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_local_status st;
	struct roger_ctx *ctx = NULL;
	struct roger_marathon *m = NULL;
	struct roger_marathon_app *app = NULL;
	struct roger_target target = { 0 };
	struct roger_buf out = ROGER_BUF_INIT;
	char *marathon[1], *cmd, *task = NULL;
	char token[ROGER_LOCAL_TOKEN_LEN + 1];
	json_t *def;

	if (!roger) {
		fprintf(stderr,
			"test_logs_task_tail_local: skipped: $ROGER "
			"(the roger binary, set by make check) is unset\n");
		return;
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(roger_ctx_new(&ctx, &err), 0);
	ck_assert_msg(roger_local_up(&st, ctx, roger, dir, 0, 30000, &err) == 0,
		      "%s", err.msg);
	marathon[0] = st.url;
	target.name = name;
	target.marathon = marathon;
	target.n_marathon = 1;
	target.mesos = st.url;
	target.is_local = true;
	target.local_state_dir = dir;
	target.local_running = true;
	target.auth.kind = ROGER_AUTH_TOKEN;
	target.auth.token = token;
	ck_assert_int_eq(roger_local_token_read(token, dir, &err), 0);
	ck_assert_int_eq(roger_marathon_for_target(&m, ctx, &target, &err), 0);
	def = json_pack(
		"{s:s, s:f, s:i, s:i, s:i}", "cmd",
		"echo out-line; echo first >&2; echo boom: no config >&2; exit 3",
		"cpus", 0.1, "mem", 16, "instances", 1, "backoffSeconds", 600);
	ck_assert_msg(roger_marathon_put_app(NULL, NULL, m, "/tail/crash", def,
					     0, &err) == 0,
		      "%s", err.msg);
	json_decref(def);
	for (int i = 0; i < 300 && !task; i++) {
		ck_assert_msg(roger_marathon_get_app(
				      &app, m, "/tail/crash",
				      ROGER_MARATHON_EMBED_LAST_TASK_FAILURE,
				      &err) == 0,
			      "%s", err.msg);
		if (app->has_last_task_failure)
			task = strdup(app->last_task_failure.task_id);
		roger_marathon_app_free(app);
		if (!task)
			usleep(100000);
	}
	ck_assert_msg(task != NULL, "the task never failed");
	/* The task has ended: only the master's completed tasks know it. */
	ck_assert_msg(roger_logs_target_task_tail(&out, ctx, &target, task,
						  ROGER_LOGS_STDERR, 1,
						  &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(out.buf, "boom: no config\n");
	roger_buf_reset(&out);
	ck_assert_msg(roger_logs_target_task_tail(&out, ctx, &target, task,
						  ROGER_LOGS_STDOUT, 20,
						  &err) == 0,
		      "%s", err.msg);
	ck_assert_msg(strstr(out.buf, "\nout-line\n") != NULL, "%s", out.buf);
	ck_assert_int_eq(roger_logs_target_task_tail(
				 &out, ctx, &target, "tail_crash.nope",
				 ROGER_LOGS_STDERR, 5, &err),
			 ROGER_ENOTFOUND);
	roger_buf_release(&out);
	free(task);
	roger_marathon_free(m);
	ck_assert_int_eq(roger_local_stop(ctx, dir, 60000, &err), 0);
	roger_ctx_free(ctx);
	ck_assert_int_ne(asprintf(&cmd, "rm -rf '%s'", dir), -1);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}
END_TEST

static Suite *logs_suite(void)
{
	Suite *s = suite_create("logs");
	TCase *tc;

	tc = tcase_create("lines");
	tcase_add_test(tc, test_logs_splitter_chunks);
	tcase_add_test(tc, test_logs_splitter_long_lines);
	tcase_add_test(tc, test_logs_splitter_stop);
	tcase_add_test(tc, test_logs_tail_start);
	tcase_add_test(tc, test_logs_next_poll);
	tcase_add_test(tc, test_logs_json_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("tasks");
	tcase_add_test(tc, test_logs_short_names);
	tcase_add_test(tc, test_logs_task_matches);
	suite_add_tcase(s, tc);

	tc = tcase_create("engine");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_logs_every_task);
	tcase_add_test(tc, test_logs_given_tasks);
	tcase_add_test(tc, test_logs_ended_tasks);
	tcase_add_test(tc, test_logs_task_selection_errors);
	tcase_add_test(tc, test_logs_no_app);
	tcase_add_test(tc, test_logs_follow);
	tcase_add_test(tc, test_logs_follow_interrupted);
	tcase_add_test(tc, test_logs_staging);
	tcase_add_test(tc, test_logs_task_tail);
	suite_add_tcase(s, tc);

	tc = tcase_create("local");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_logs_task_tail_local);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(logs_suite());
	int failed;

	faultd_tmp_init();
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	faultd_tmp_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
