/*
 * logs.h - the output of an app's tasks, all at once, read and followed
 * through the Mesos files API (mesos.h).
 *
 * The engine, roger_logs_run(), takes the app's tasks from Marathon, finds
 * each one's sandbox files (stdout and stderr, or one of them) through
 * Mesos, prints the last lines of each and, when following, polls every
 * file (about once a second
 * when quiet, every 50 ms after it grew, each poll reading until the agent
 * has nothing more), buffers partial lines, picks up tasks that start (a
 * deploy, a scale, a restart) and drops those that end after reading their
 * last bytes, reporting each change as a note.  A task whose agent cannot
 * be reached or whose sandbox is gone (404) or refused (403) is skipped
 * with a note; the others go on.  Lines and notes go to callbacks, so the
 * command prints them and `roger deploy` can capture them.
 *
 * The pure parts are exposed for tests and reuse: the line splitter, the
 * choice of where the last N lines start, the poll interval, short task
 * names, task selection by id or short name, and the JSON form of a line.
 *
 * Bytes are passed on as the task wrote them: a line may hold bytes that
 * are not UTF-8 (and NULs).  roger_logs_json_line() replaces those, as JSON
 * must; text output prints them as they are.
 */
#ifndef ROGER_LOGS_H
#define ROGER_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "common.h"

ROGER_BEGIN_DECLS

struct roger_ctx;
struct roger_err;
struct roger_marathon;
struct roger_marathon_tasks;
struct roger_mesos;
struct roger_target;

/* ---- lines --------------------------------------------------------------- */

/* Lines longer than this are passed on in pieces of this size. */
#define ROGER_LOGS_MAX_LINE (1024 * 1024)

/*
 * A line: `len` bytes without the '\n' (text[len] is '\0').  `partial`
 * when it ended without a newline: the end of a file that stopped
 * mid-line, or a piece of a line longer than ROGER_LOGS_MAX_LINE.
 */
typedef int (*roger_logs_split_fn)(void *data, const char *text, size_t len,
				   bool partial, struct roger_err *err);

/* Cuts a byte stream fed in chunks of any size into lines. */
struct roger_logs_splitter {
	struct roger_buf pending; /* the start of a line without its '\n' */
	size_t max_line; /* 0: ROGER_LOGS_MAX_LINE */
};

ROGER_EXTERN void roger_logs_splitter_init(struct roger_logs_splitter *s);
ROGER_EXTERN void roger_logs_splitter_release(struct roger_logs_splitter *s);
/*
 * Feed `len` bytes: `fn` gets each complete line; the rest waits for the
 * next feed.  Returns 0, or the first non-zero value `fn` returned (the
 * bytes after that line are dropped), or ROGER_ENOMEM.
 */
ROGER_EXTERN int roger_logs_splitter_feed(struct roger_logs_splitter *s,
					  const char *bytes, size_t len,
					  roger_logs_split_fn fn, void *data,
					  struct roger_err *err);
/* Pass on what waits as a partial line (when there is something). */
ROGER_EXTERN int roger_logs_splitter_finish(struct roger_logs_splitter *s,
					    roger_logs_split_fn fn, void *data,
					    struct roger_err *err);

/*
 * Where the last `n` lines of `buf` (the last `len` bytes of a file) start,
 * as an index into `buf`; a final line without '\n' counts as a line.  -1
 * when `buf` holds fewer than n complete lines and does not start at the
 * start of the file (`at_start` false): read further back.
 */
ROGER_EXTERN long roger_logs_tail_start(const char *buf, size_t len,
					unsigned long n, bool at_start);

/*
 * The delay before the next poll of a file, in ms: 0 when the poll was cut
 * short by its budget while data kept coming (`full`), `fast_ms` after a
 * poll that got data (`got` bytes), else twice `prev_ms` (at least
 * `fast_ms`) up to `idle_ms`.
 */
ROGER_EXTERN long roger_logs_next_poll_ms(long prev_ms, size_t got, bool full,
					  long fast_ms, long idle_ms);

/*
 * Append `{"task":...,"stream":...,"line":...}` to `out`, one line of JSON
 * without the newline; bytes of `text` that are not UTF-8 become U+FFFD.
 */
ROGER_EXTERN int roger_logs_json_line(struct roger_buf *out,
				      const char *task_id, const char *stream,
				      const char *text, size_t len);
/*
 * The same with `"time":"2026-01-02T03:04:05.678Z"` (roger_logs_time())
 * after "stream" when `time_ms` is not negative.
 */
ROGER_EXTERN int roger_logs_json_line_at(struct roger_buf *out,
					 const char *task_id,
					 const char *stream, int64_t time_ms,
					 const char *text, size_t len);

/* `ms` since the epoch as "2026-01-02T03:04:05.678Z" (UTC), into `out`. */
#define ROGER_LOGS_TIME_LEN 25
ROGER_EXTERN void roger_logs_time(char out[ROGER_LOGS_TIME_LEN], int64_t ms);

/*
 * The lines Mesos writes into a sandbox's stdout and stderr around a
 * task's own output, as Mesos words them: the fetcher's and the
 * executor's glog lines ("I1126 02:55:37.123456  4242 fetcher.cpp:533]
 * ...") and the command executor's own ("Registered executor on ...",
 * "Starting task ...", "Forked command at ...", "sh -c '...'",
 * "Command exited with status 3 (pid: 42)", "Received killTask ...").
 * Whether the line `text` (without its newline) is one of them.
 */
ROGER_EXTERN bool roger_logs_mesos_line(const char *text, size_t len);

/*
 * Where the task's own output starts in `buf`, the first `len` bytes of a
 * sandbox file: after the lines at its start that roger_logs_mesos_line()
 * takes for Mesos' (the fetcher's log, the executor's).  A line cut at
 * the end of `buf` counts as the task's.
 */
ROGER_EXTERN size_t roger_logs_mesos_preamble(const char *buf, size_t len);

/* ---- tasks --------------------------------------------------------------- */

/*
 * A short name for `task_id` that none of the `n` names in `taken` has:
 * roger_marathon_task_short_name() ("01da9a15", "b6ff5fa5.2"), made longer
 * (12 characters of the UUID, then the whole id) while it collides.
 * Always NUL-terminated in `out`.
 */
ROGER_EXTERN void roger_logs_short_name(char *out, size_t size,
					const char *task_id,
					const char *const *taken, size_t n);

/*
 * Whether `query` (what --task was given) names `task_id`: the whole id,
 * its short name, or the start of the id or of its UUID.
 */
ROGER_EXTERN bool roger_logs_task_matches(const char *task_id,
					  const char *query);

/*
 * The app's tasks from Marathon in one attempt (no retries) that gives up
 * after `timeout_ms` (0: 10 s): for polling while following, and for shell
 * completion, where a slow answer is worse than none.
 */
ROGER_EXTERN int roger_logs_app_tasks(struct roger_marathon_tasks **out,
				      struct roger_marathon *marathon,
				      const char *app_id, long timeout_ms,
				      struct roger_err *err);

/* ---- the engine ---------------------------------------------------------- */

enum roger_logs_stream {
	ROGER_LOGS_STDOUT,
	ROGER_LOGS_STDERR,
	/*
	 * Both files of each task (roger_logs_run() only): what was written
	 * before they are read comes standard output first, then standard
	 * error, since the files do not say in which order their lines were
	 * written; what follows is interleaved as it is read.
	 */
	ROGER_LOGS_BOTH,
};

/* "stdout" or "stderr": the file in the sandbox ("both" for both). */
ROGER_EXTERN const char *roger_logs_stream_name(enum roger_logs_stream s);

struct roger_logs_line {
	const char *task_id;
	const char *short_name; /* unique among the tasks shown */
	unsigned task_index; /* 0, 1, ... in order of appearance (colors) */
	const char *stream; /* "stdout" or "stderr" */
	const char *text; /* without the '\n'; any bytes */
	size_t len;
	bool partial; /* no '\n' ended it */
	/*
	 * When it was read (ms since the epoch, the context's wall clock):
	 * the files keep no time, so for a line written before roger read
	 * its file this is later than when it was written.
	 */
	int64_t time_ms;
};

enum roger_logs_note_kind {
	ROGER_LOGS_NOTE_STARTED, /* following: a new task is shown */
	ROGER_LOGS_NOTE_ENDED, /* following: a task ended (`state`) */
	ROGER_LOGS_NOTE_FINISHED, /* --failed: a task shown had ended */
	ROGER_LOGS_NOTE_SKIPPED, /* its file cannot be read: `message` */
	ROGER_LOGS_NOTE_NO_TASKS, /* the app has no task to show (yet) */
	ROGER_LOGS_NOTE_RETRY, /* Marathon or the master failed: `message` */
};

struct roger_logs_note {
	enum roger_logs_note_kind kind;
	const char *task_id; /* NULL for NO_TASKS and RETRY */
	const char *short_name;
	unsigned task_index;
	const char *host; /* the agent's host, when known */
	const char *state; /* "TASK_FAILED", when known */
	const char *message; /* why, for SKIPPED and RETRY */
};

/* Return 0 to go on, ROGER_HTTP_STOP to stop, or a negative code. */
typedef int (*roger_logs_line_fn)(void *data,
				  const struct roger_logs_line *line,
				  struct roger_err *err);
typedef int (*roger_logs_note_fn)(void *data,
				  const struct roger_logs_note *note,
				  struct roger_err *err);
/* Everything so far should be shown now (before the engine waits). */
typedef int (*roger_logs_flush_fn)(void *data, struct roger_err *err);

struct roger_logs_opts {
	const char *app_id;
	/*
	 * These tasks instead of the app's (a Metronome run's, running or
	 * ended, found through the master), in this order; without `follow`
	 * only.  `app_id` may then be NULL, and `task` and `ended` are not
	 * used.
	 */
	const char *const *task_ids;
	size_t n_task_ids;
	/* Only this task (see roger_logs_task_matches); NULL: every task. */
	const char *task;
	enum roger_logs_stream stream; /* ROGER_LOGS_BOTH: both files */
	long tail; /* the last N lines of each file; negative: all */
	bool follow;
	/*
	 * Also the app's ended tasks the Mesos master still lists (its
	 * completed tasks), the most recent `max_ended` (0: 10) of them.
	 */
	bool ended;
	size_t max_ended;
	long idle_poll_ms; /* 0: 1000 */
	long fast_poll_ms; /* 0: 50 */
	long refresh_ms; /* the task list, while following; 0: 2000 */
	roger_logs_line_fn on_line; /* required */
	roger_logs_note_fn on_note; /* NULL: notes go to the log */
	roger_logs_flush_fn on_flush; /* may be NULL */
	void *data;
};

/*
 * Show the logs as `o` says (ROGER_EINVALID without an app id or task
 * ids, or with task ids and `follow`).  Without `follow` it returns once
 * every task's lines were passed on; following, it returns when a callback asks
 * to stop (0), when the one task of `o->task` ended (0), or when the
 * context's interrupt flag is raised (ROGER_EINTR).  ROGER_ENOTFOUND when
 * the app does not exist or `o->task` names none of its tasks,
 * ROGER_EUSAGE when `o->task` names several; without `follow`, the error
 * of the last task skipped when every task was skipped; the errors of
 * Marathon and the master otherwise.
 */
ROGER_EXTERN int roger_logs_run(struct roger_ctx *ctx,
				struct roger_marathon *marathon,
				struct roger_mesos *mesos,
				const struct roger_logs_opts *o,
				struct roger_err *err);

/*
 * The last `n` lines of the `stream` file (not ROGER_LOGS_BOTH) of the
 * task `task_id`, running or ended, appended to `out` (each ending in
 * '\n').  ROGER_ENOTFOUND when Mesos does not know the task or its
 * sandbox is gone.
 */
ROGER_EXTERN int roger_logs_task_tail(struct roger_buf *out,
				      struct roger_mesos *mesos,
				      const char *task_id,
				      enum roger_logs_stream stream,
				      unsigned long n, struct roger_err *err);

/*
 * The same through a Mesos client made for the call from the target (its
 * Mesos URL, credentials and CA file): one call for `roger deploy`.
 * ROGER_EINVALID when the target has no Mesos URL.
 */
ROGER_EXTERN int
roger_logs_target_task_tail(struct roger_buf *out, struct roger_ctx *ctx,
			    const struct roger_target *target,
			    const char *task_id, enum roger_logs_stream stream,
			    unsigned long n, struct roger_err *err);

/*
 * What a task that failed said, for `roger deploy` to show: the last
 * lines of its own output, without what Mesos wrote around it.
 */
struct roger_logs_task_output {
	/* The task's last lines: its standard error's, or when it wrote
	 * nothing there, its standard output's (each line ending in '\n'). */
	struct roger_buf own;
	enum roger_logs_stream own_stream;
	/* The lines Mesos wrote at the top of its standard error: the
	 * fetcher's log (what to show when the fetch failed). */
	struct roger_buf fetcher;
};

#define ROGER_LOGS_TASK_OUTPUT_INIT                               \
	{                                                         \
		ROGER_BUF_INIT, ROGER_LOGS_STDERR, ROGER_BUF_INIT \
	}

ROGER_EXTERN void
roger_logs_task_output_release(struct roger_logs_task_output *o);

/*
 * Fill *out (from ROGER_LOGS_TASK_OUTPUT_INIT; the caller releases it
 * either way) with the last `n` lines of the task's own output and the
 * fetcher's lines, read through the target's Mesos (as
 * roger_logs_target_task_tail()).  Each file's start is read to tell
 * Mesos' lines from the task's (roger_logs_mesos_preamble()), up to 64
 * KiB of it.  The errors of roger_logs_target_task_tail().
 */
ROGER_EXTERN int roger_logs_target_task_output(
	struct roger_logs_task_output *out, struct roger_ctx *ctx,
	const struct roger_target *target, const char *task_id, unsigned long n,
	struct roger_err *err);

ROGER_END_DECLS

#endif
