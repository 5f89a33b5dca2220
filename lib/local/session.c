/*
 * session.c - nested container sessions of roger local (see session.h).
 *
 * A session is one process started inside a running task (agent-exec.c
 * says how), its standard streams (pipes, or one pseudo-terminal with
 * tty_info), and one thread, its pump, that moves bytes between them and
 * the HTTP connections:
 *
 *   process stdout/stderr ──pump──> ProcessIO records ──> each reader's
 *                                   (RecordIO)              buffer ──> its
 *                                                           connection
 *
 * Each reader has the format its call asked for (JSON, or protobuf whose
 * DATA records are the bytes behind a head of a few bytes); the pump
 * writes each chunk once per format some reader wants.
 *   input connection ──(v1.c)──> input queue ──pump──> process stdin
 *
 * The HTTP server runs a few threads over epoll and no handler may wait,
 * so the connections never block on a session: a reader with nothing to
 * send suspends its connection, an input connection whose queue is full
 * suspends itself, and a WAIT for a process still running suspends too;
 * the pump resumes them when there is something for them.  The pump in
 * turn stops reading the process's output while a reader is more than
 * READER_CAP behind, so a slow client slows the process down (its writes
 * block) instead of filling the memory.  The pump sends every reader a
 * heartbeat record every 30 s, and kills the process when the owner's
 * connection (the one that launched the session) goes away, when its
 * task ends, or when the server stops: the session lives as long as its
 * connection, like a Mesos DEBUG container.
 *
 * When the process ends, the pump takes its status without reaping it,
 * kills the rest of its process group, lets the watchdog forget it, reaps
 * it, reads what is left in the pipes and ends every stream.  A session
 * killed because its task ended finishes only once the task's end is
 * recorded, so that a client that sees its stream end and asks the master
 * finds the task ended.  Ended sessions are kept (up to MAX_DONE) for
 * WAIT_CONTAINER.
 *
 * Locking: one mutex per registry guards the list and every session's
 * shared state (readers, queues, flags).  It is held while calling
 * libmicrohttpd's suspend and resume, never while calling the agent or
 * doing I/O on the process.  Sessions are reference-counted: the
 * registry's list, the pump, each reader, the input connection and each
 * call that looked one up hold a reference.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agentapi.h"
#include "buf.h"
#include "ctx.h"
#include "err.h"
#include "util.h"
#include "local/agent.h"
#include "local/proc.h"
#include "local/session.h"

#define READER_CAP ((size_t)4 << 20)
/* Emptied record buffers a session keeps for its next records. */
#define MAX_SPARE 4
/*
 * Input queued beyond this suspends the input connection until the
 * command has read half of it; the bytes not taken wait in
 * libmicrohttpd's buffer, then in the socket (roger_local_session_
 * input_room()).  Small, so that a command that reads slowly holds its
 * client back instead of growing the server.
 */
#define INPUT_CAP ((size_t)1 << 20)
#define READ_CHUNK ((size_t)256 << 10)
#define PIPE_SIZE (1 << 20)
#define MAX_DONE 64
#define PARENT_CHECK_MS 500
/* How long an ended session waits for its task's end to be recorded. */
#define PARENT_END_MS 5000

/* One record waiting for a reader, or an emptied buffer kept for reuse. */
struct rec_node {
	struct rec_node *next;
	struct roger_buf buf;
};

/*
 * A reader sends `out` (one record, or the first bytes of its stream),
 * then the records queued behind it.  Only the reader's own thread
 * changes `out` while it holds unsent bytes, so the copy into
 * libmicrohttpd's buffer runs outside the lock; the pump queues records
 * (a lone reader's without a copy) and fills `out` only when it is empty.
 */
struct roger_local_reader {
	struct roger_local_reader *next;
	struct roger_local_session *s;
	struct MHD_Connection *conn;
	struct roger_buf out;
	size_t sent;
	struct rec_node *q_head, *q_tail;
	size_t queued; /* bytes in the queue */
	enum roger_agentapi_format format; /* of its records */
	bool owner;
	bool suspended;
	bool ended;
};

struct waiter {
	struct waiter *next;
	struct MHD_Connection *conn;
};

struct roger_local_session {
	struct roger_local_session *next;
	struct roger_local_sessions *reg;
	char id[256], parent[256];
	pid_t pid;
	bool tty;
	int wake; /* eventfd: the pump has something to look at */
	/* the process's side, the pump's alone */
	int pty, in_w, out_r, err_r;

	/* under reg->lock */
	unsigned refs;
	struct roger_local_reader *readers;
	struct roger_buf in;
	size_t in_off;
	bool in_eof;
	struct MHD_Connection *in_conn;
	bool in_suspended;
	struct waiter *waiters;
	struct rec_node *spare;
	unsigned n_spare;
	bool out_blocked; /* the pump waits for a reader to catch up */
	bool destroy; /* kill the process */
	bool ended; /* the process ended and the streams are over */
	int status; /* its wait status, once ended */
};

struct roger_local_sessions {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct roger_ctx *ctx;
	struct roger_agent *agent;
	struct roger_local_session *list; /* newest first */
	size_t n_done;
	unsigned pumps;
	bool shutdown;
};

/* ---- the registry ------------------------------------------------------------ */

int roger_local_sessions_new(struct roger_local_sessions **out,
			     struct roger_ctx *ctx, struct roger_agent *agent)
{
	struct roger_local_sessions *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return ROGER_ENOMEM;
	pthread_mutex_init(&reg->lock, NULL);
	pthread_cond_init(&reg->changed, NULL);
	reg->ctx = ctx;
	reg->agent = agent;
	*out = reg;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void session_free(struct roger_local_session *s)
{
	close_fd(&s->wake);
	close_fd(&s->pty);
	close_fd(&s->in_w);
	close_fd(&s->out_r);
	close_fd(&s->err_r);
	roger_buf_release(&s->in);
	while (s->spare) {
		struct rec_node *n = s->spare;

		s->spare = n->next;
		roger_buf_release(&n->buf);
		free(n);
	}
	while (s->waiters) {
		struct waiter *w = s->waiters;

		s->waiters = w->next;
		free(w);
	}
	free(s);
}

/* Drop a reference (reg->lock held); the last one frees. */
static void unref_locked(struct roger_local_session *s)
{
	if (--s->refs == 0)
		session_free(s);
}

void roger_local_session_unref(struct roger_local_session *s)
{
	struct roger_local_sessions *reg;

	if (!s)
		return;
	reg = s->reg;
	pthread_mutex_lock(&reg->lock);
	unref_locked(s);
	pthread_mutex_unlock(&reg->lock);
}

static struct roger_local_session *find_locked(struct roger_local_sessions *reg,
					       const char *id)
{
	for (struct roger_local_session *s = reg->list; s; s = s->next)
		if (!strcmp(s->id, id))
			return s;
	return NULL;
}

struct roger_local_session *
roger_local_session_find(struct roger_local_sessions *reg, const char *id)
{
	struct roger_local_session *s;

	pthread_mutex_lock(&reg->lock);
	s = id ? find_locked(reg, id) : NULL;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&reg->lock);
	return s;
}

bool roger_local_sessions_closing(struct roger_local_sessions *reg)
{
	bool c;

	pthread_mutex_lock(&reg->lock);
	c = reg->shutdown;
	pthread_mutex_unlock(&reg->lock);
	return c;
}

static void wake(struct roger_local_session *s)
{
	uint64_t one = 1;
	ssize_t n = write(s->wake, &one, sizeof(one));

	(void)n; /* a full counter is awake already */
}

void roger_local_sessions_shutdown(struct roger_local_sessions *reg)
{
	bool readers = true;

	if (!reg)
		return;
	pthread_mutex_lock(&reg->lock);
	reg->shutdown = true;
	for (struct roger_local_session *s = reg->list; s; s = s->next) {
		s->destroy = true;
		if (!s->ended)
			wake(s);
	}
	while (reg->pumps > 0)
		pthread_cond_wait(&reg->changed, &reg->lock);
	pthread_mutex_unlock(&reg->lock);
	/* Every stream is over: let their connections see the end. */
	for (int i = 0; i < 100 && readers; i++) {
		readers = false;
		pthread_mutex_lock(&reg->lock);
		for (struct roger_local_session *s = reg->list; s; s = s->next)
			for (struct roger_local_reader *r = s->readers; r;
			     r = r->next)
				if (!r->ended)
					readers = true;
		pthread_mutex_unlock(&reg->lock);
		if (readers)
			usleep(20000);
	}
}

void roger_local_sessions_free(struct roger_local_sessions *reg)
{
	if (!reg)
		return;
	while (reg->list) {
		struct roger_local_session *s = reg->list;

		reg->list = s->next;
		unref_locked(s);
	}
	pthread_cond_destroy(&reg->changed);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

/* ---- readers ----------------------------------------------------------------- */

static void resume_reader(struct roger_local_reader *r)
{
	if (!r->suspended)
		return;
	r->suspended = false;
	MHD_resume_connection(r->conn);
}

static struct roger_local_reader *
reader_alloc(struct roger_local_session *s, enum roger_agentapi_format format,
	     struct MHD_Connection *conn, bool owner)
{
	struct roger_local_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->s = s;
	r->format = format;
	r->conn = conn;
	r->owner = owner;
	roger_buf_init(&r->out);
	return r;
}

struct roger_local_reader *
roger_local_reader_new(struct roger_local_session *s,
		       enum roger_agentapi_format format,
		       struct MHD_Connection *conn)
{
	struct roger_local_reader *r = reader_alloc(s, format, conn, false);

	if (!r)
		return NULL;
	pthread_mutex_lock(&s->reg->lock);
	s->refs++;
	r->next = s->readers;
	s->readers = r;
	pthread_mutex_unlock(&s->reg->lock);
	return r;
}

/* A node for a record (lock held): a spare one, or a new one. */
static struct rec_node *node_get(struct roger_local_session *s)
{
	struct rec_node *n = s->spare;

	if (n) {
		s->spare = n->next;
		s->n_spare--;
		n->next = NULL;
		return n;
	}
	n = calloc(1, sizeof(*n));
	if (n)
		roger_buf_init(&n->buf);
	return n;
}

/* Keep an emptied node for reuse, up to MAX_SPARE (lock held). */
static void node_put(struct roger_local_session *s, struct rec_node *n)
{
	if (s->n_spare >= MAX_SPARE) {
		roger_buf_release(&n->buf);
		free(n);
		return;
	}
	roger_buf_reset(&n->buf);
	n->next = s->spare;
	s->spare = n;
	s->n_spare++;
}

/* What a reader has yet to send (lock held). */
static size_t reader_pending(const struct roger_local_reader *r)
{
	return r->out.len - r->sent + r->queued;
}

/* An emptied `out` takes the next queued record (lock held). */
static void reader_next(struct roger_local_reader *r)
{
	struct rec_node *n = r->q_head;
	struct roger_buf old = r->out;

	if (!n || r->out.len > r->sent)
		return;
	r->q_head = n->next;
	if (!r->q_head)
		r->q_tail = NULL;
	r->queued -= n->buf.len;
	r->out = n->buf;
	r->sent = 0;
	n->buf = old;
	n->next = NULL;
	node_put(r->s, n);
}

ssize_t roger_local_reader_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct roger_local_reader *r = cls;
	struct roger_local_session *s = r->s;
	ssize_t n = 0;

	(void)pos;
	pthread_mutex_lock(&s->reg->lock);
	reader_next(r);
	if (r->out.len > r->sent) {
		size_t avail = r->out.len - r->sent;
		const char *from = r->out.buf + r->sent;

		n = (ssize_t)(avail < max ? avail : max);
		/* `out` holds unsent bytes: nobody else changes it */
		pthread_mutex_unlock(&s->reg->lock);
		memcpy(buf, from, (size_t)n);
		pthread_mutex_lock(&s->reg->lock);
		r->sent += (size_t)n;
		if (r->sent == r->out.len) {
			roger_buf_reset(&r->out);
			r->sent = 0;
		}
		if (s->out_blocked && reader_pending(r) < READER_CAP / 2)
			wake(s);
	} else if (s->ended || r->ended) {
		r->ended = true;
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		/* Nothing to send: the pump resumes the connection. */
		r->suspended = true;
		MHD_suspend_connection(r->conn);
	}
	pthread_mutex_unlock(&s->reg->lock);
	return n;
}

void roger_local_reader_free(void *cls)
{
	struct roger_local_reader *r = cls;
	struct roger_local_session *s;

	if (!r)
		return;
	s = r->s;
	pthread_mutex_lock(&s->reg->lock);
	for (struct roger_local_reader **p = &s->readers; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	/* The launching connection went away: the container goes too. */
	if (r->owner && !s->ended) {
		s->destroy = true;
		wake(s);
	}
	if (s->out_blocked)
		wake(s);
	while (r->q_head) {
		struct rec_node *n = r->q_head;

		r->q_head = n->next;
		node_put(s, n);
	}
	unref_locked(s);
	pthread_mutex_unlock(&s->reg->lock);
	roger_buf_release(&r->out);
	free(r);
}

/*
 * Give every reader the record in `rec` (lock held).  A lone reader takes
 * the buffer itself, without a copy (`rec` gets an empty one back): as
 * its `out` when that is empty, else at the end of its queue.  A reader
 * that cannot take it (out of memory) is ended: its client sees a stream
 * cut short.
 */
static void broadcast(struct roger_local_session *s, struct roger_buf *rec,
		      enum roger_agentapi_format format)
{
	size_t n = 0;

	for (struct roger_local_reader *r = s->readers; r; r = r->next)
		if (!r->ended && r->format == format)
			n++;
	for (struct roger_local_reader *r = s->readers; r; r = r->next) {
		struct rec_node *node;

		if (r->ended || r->format != format)
			continue;
		if (r->out.len == r->sent && !r->q_head) {
			roger_buf_reset(&r->out);
			r->sent = 0;
			if (n == 1) {
				struct roger_buf old = r->out;

				r->out = *rec;
				*rec = old;
			} else if (roger_buf_add(&r->out, rec->buf, rec->len) <
				   0) {
				r->ended = true;
			}
		} else if (!(node = node_get(s))) {
			r->ended = true;
		} else if (n > 1 &&
			   roger_buf_add(&node->buf, rec->buf, rec->len) < 0) {
			node_put(s, node);
			r->ended = true;
		} else {
			if (n == 1) {
				struct roger_buf old = node->buf;

				node->buf = *rec;
				*rec = old;
			}
			if (r->q_tail)
				r->q_tail->next = node;
			else
				r->q_head = node;
			r->q_tail = node;
			r->queued += node->buf.len;
		}
		if (reader_pending(r) > READER_CAP)
			s->out_blocked = true;
		resume_reader(r);
	}
	roger_buf_reset(rec);
}

/* ---- input --------------------------------------------------------------------- */

int roger_local_session_attach_input(struct roger_local_session *s,
				     struct MHD_Connection *conn)
{
	int rc = 0;

	pthread_mutex_lock(&s->reg->lock);
	if (s->in_conn && s->in_conn != conn)
		rc = ROGER_ECONFLICT;
	else if (s->ended || s->destroy)
		rc = ROGER_ENOTFOUND;
	else
		s->in_conn = conn;
	pthread_mutex_unlock(&s->reg->lock);
	return rc;
}

void roger_local_session_detach_input(struct roger_local_session *s,
				      struct MHD_Connection *conn)
{
	pthread_mutex_lock(&s->reg->lock);
	if (s->in_conn == conn) {
		s->in_conn = NULL;
		s->in_suspended = false;
	}
	pthread_mutex_unlock(&s->reg->lock);
}

/*
 * libmicrohttpd 0.9.75 calls the upload handler again at once, without
 * looking whether it suspended the connection, when the handler took all
 * it was given and the buffer holds a further chunk of the body
 * (process_request_body()'s instant_retry).  The old design queued the
 * record and then suspended: a record that ended a chunk led to a second
 * call, a second MHD_suspend_connection() on a suspended connection, and
 * libmicrohttpd's lists were corrupted (the connection was never resumed,
 * or the server crashed).  Here the connection is suspended only with
 * bytes left untaken, which ends that loop, and never when in_suspended
 * says it is already.  A handler called while its resume is pending may
 * suspend it: that only cancels the resume, which libmicrohttpd allows.
 */
bool roger_local_session_input_room(struct roger_local_session *s,
				    struct MHD_Connection *conn)
{
	bool room;

	pthread_mutex_lock(&s->reg->lock);
	/* Once the input is over, what comes is taken and dropped. */
	room = s->ended || s->destroy || s->in_eof || s->in_conn != conn ||
	       s->in.len - s->in_off < INPUT_CAP;
	if (!room && !s->in_suspended) {
		s->in_suspended = true;
		MHD_suspend_connection(conn);
	}
	pthread_mutex_unlock(&s->reg->lock);
	return room;
}

void roger_local_session_input(struct roger_local_session *s,
			       struct MHD_Connection *conn, const char *data,
			       size_t len)
{
	pthread_mutex_lock(&s->reg->lock);
	if (s->ended || s->destroy || s->in_eof || s->in_conn != conn)
		goto out;
	if (len == 0) {
		/* A terminal has no end of file: the client sends EOT. */
		if (!s->tty)
			s->in_eof = true;
	} else if (roger_buf_add(&s->in, data, len) < 0) {
		s->in_eof = true; /* what cannot be queued ends the input */
	}
	wake(s);
out:
	pthread_mutex_unlock(&s->reg->lock);
}

void roger_local_session_resize(struct roger_local_session *s, unsigned rows,
				unsigned columns)
{
	struct winsize ws;

	memset(&ws, 0, sizeof(ws));
	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)columns;
	pthread_mutex_lock(&s->reg->lock);
	if (s->tty && s->pty >= 0 && !s->ended && rows && columns)
		ioctl(s->pty, TIOCSWINSZ, &ws);
	pthread_mutex_unlock(&s->reg->lock);
}

static void resume_input(struct roger_local_session *s)
{
	if (!s->in_suspended)
		return;
	s->in_suspended = false;
	MHD_resume_connection(s->in_conn);
}

/* ---- exit status ------------------------------------------------------------ */

bool roger_local_session_status(struct roger_local_session *s, int *status,
				struct MHD_Connection *conn)
{
	struct waiter *w;
	bool done;

	pthread_mutex_lock(&s->reg->lock);
	done = s->ended;
	if (done) {
		*status = s->status;
	} else if (conn && (w = calloc(1, sizeof(*w)))) {
		w->conn = conn;
		w->next = s->waiters;
		s->waiters = w;
		MHD_suspend_connection(conn);
	} else if (conn) {
		/* no memory for the wait: answer that it is still running */
		done = true;
		*status = -1;
	}
	pthread_mutex_unlock(&s->reg->lock);
	return done;
}

/* ---- the pump ---------------------------------------------------------------- */

/* The raw wait(2) status of an exit that waitid() reported. */
static int wait_status(const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		return (si->si_status & 0xff) << 8;
	if (si->si_code == CLD_DUMPED)
		return (si->si_status & 0x7f) | 0x80;
	return si->si_status & 0x7f;
}

/* The formats the live readers want, as a mask of 1 << format (lock held). */
static unsigned formats_wanted(const struct roger_local_session *s)
{
	unsigned mask = 0;

	for (const struct roger_local_reader *r = s->readers; r; r = r->next)
		if (!r->ended)
			mask |= 1u << r->format;
	return mask;
}

/*
 * Hand the readers of each format they want a record made by `make`
 * (`rec` is the scratch buffer): records are written once per format,
 * outside the lock.  A reader that arrives in between with a format not
 * written misses that record, as if it had come a moment later.
 */
static void broadcast_each(struct roger_local_session *s, struct roger_buf *rec,
			   int (*make)(struct roger_buf *rec,
				       enum roger_agentapi_format f,
				       const void *arg),
			   const void *arg)
{
	unsigned mask;

	pthread_mutex_lock(&s->reg->lock);
	mask = formats_wanted(s);
	pthread_mutex_unlock(&s->reg->lock);
	for (int f = ROGER_AGENTAPI_JSON; f <= ROGER_AGENTAPI_PROTOBUF; f++) {
		if (!(mask & (1u << f)))
			continue;
		roger_buf_reset(rec);
		if (make(rec, (enum roger_agentapi_format)f, arg) < 0)
			continue; /* out of memory: this record is lost */
		pthread_mutex_lock(&s->reg->lock);
		broadcast(s, rec, (enum roger_agentapi_format)f);
		pthread_mutex_unlock(&s->reg->lock);
	}
}

struct chunk {
	enum roger_agentapi_stream stream;
	const char *buf;
	size_t len;
};

static int make_data(struct roger_buf *rec, enum roger_agentapi_format f,
		     const void *arg)
{
	const struct chunk *c = arg;

	return roger_agentapi_output_record(rec, f, c->stream, c->buf, c->len);
}

static int make_heartbeat(struct roger_buf *rec, enum roger_agentapi_format f,
			  const void *arg)
{
	(void)arg;
	return roger_agentapi_output_heartbeat(rec, f,
					       ROGER_AGENTAPI_HEARTBEAT_MS);
}

/* Read what one of the process's outputs has into records for the
 * readers: 1 read something, 0 nothing now, -1 its end. */
static int pump_output(struct roger_local_session *s, int *fd,
		       enum roger_agentapi_stream stream, char *buf,
		       struct roger_buf *rec)
{
	ssize_t n = read(*fd, buf, READ_CHUNK);
	struct chunk c;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* end of file, or EIO: a terminal whose other side closed */
		close_fd(fd);
		return -1;
	}
	c.stream = stream;
	c.buf = buf;
	c.len = (size_t)n;
	broadcast_each(s, rec, make_data, &c);
	return 1;
}

/* Write queued input; close a pipe's end once the input ended. */
static void pump_input(struct roger_local_session *s)
{
	int fd = s->tty ? s->pty : s->in_w;
	size_t avail;
	ssize_t n = 0;

	pthread_mutex_lock(&s->reg->lock);
	avail = s->in.len - s->in_off;
	if (avail > 0 && fd >= 0) {
		n = write(fd, s->in.buf + s->in_off, avail);
		if (n > 0)
			s->in_off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			s->in_off = s->in.len; /* nobody reads: drop it */
	}
	if (s->in_off == s->in.len) {
		roger_buf_reset(&s->in);
		s->in_off = 0;
	} else if (s->in_off >= INPUT_CAP) {
		/* a queue never drained: keep it from growing */
		memmove(s->in.buf, s->in.buf + s->in_off,
			s->in.len - s->in_off);
		roger_buf_truncate(&s->in, s->in.len - s->in_off);
		s->in_off = 0;
	}
	if (s->in.len - s->in_off <= INPUT_CAP / 2)
		resume_input(s);
	if (s->in_eof && s->in.len == 0 && !s->tty)
		close_fd(&s->in_w);
	pthread_mutex_unlock(&s->reg->lock);
}

static bool exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid == pid;
}

struct pump {
	struct roger_local_session *s;
	struct roger_agent *agent;
	char *buf;
	struct roger_buf rec;
	int pidfd;
	/*
	 * A duplicate of the owner's socket, watched for the peer's hangup:
	 * libmicrohttpd does not look at a suspended connection, so a
	 * client that goes away while the command prints nothing would
	 * otherwise be noticed at the next heartbeat only.
	 */
	int peer;
	bool killed;
	bool parent_gone;
	int64_t next_heartbeat, next_parent_check;
};

static void kill_process(struct pump *p)
{
	if (p->killed)
		return;
	p->killed = true;
	kill(-p->s->pid, SIGKILL);
}

/* One round: wait for something, then move what there is. */
static void pump_round(struct pump *p)
{
	struct roger_local_session *s = p->s;
	struct pollfd pfd[6];
	int64_t now = roger_clock_ms(CLOCK_MONOTONIC);
	int timeout = PARENT_CHECK_MS, i_out = -1, i_err = -1, i_in = -1;
	int i_peer = -1;
	nfds_t n = 0;
	bool blocked, want_in, destroy;
	uint64_t v;

	pthread_mutex_lock(&s->reg->lock);
	blocked = false;
	for (struct roger_local_reader *r = s->readers; r; r = r->next)
		if (!r->ended && reader_pending(r) > READER_CAP)
			blocked = true;
	s->out_blocked = blocked;
	want_in = s->in.len > s->in_off;
	destroy = s->destroy;
	if (s->in_eof && !want_in && !s->tty)
		close_fd(&s->in_w);
	pthread_mutex_unlock(&s->reg->lock);
	if (destroy)
		kill_process(p);
	if (now >= p->next_parent_check) {
		p->next_parent_check = now + PARENT_CHECK_MS;
		if (!p->killed &&
		    !roger_agent_container_live(p->agent, s->parent)) {
			p->parent_gone = true;
			kill_process(p);
		}
	}
	if (now >= p->next_heartbeat) {
		p->next_heartbeat = now + ROGER_AGENTAPI_HEARTBEAT_MS;
		broadcast_each(s, &p->rec, make_heartbeat, NULL);
	}
	if (p->next_heartbeat - now < timeout)
		timeout = (int)(p->next_heartbeat - now);
	pfd[n].fd = s->wake;
	pfd[n++].events = POLLIN;
	if (p->pidfd >= 0) {
		pfd[n].fd = p->pidfd;
		pfd[n++].events = POLLIN;
	} else if (timeout > 100) {
		timeout = 100; /* no pidfd: look for the exit now and then */
	}
	if (!blocked && (s->tty ? s->pty : s->out_r) >= 0) {
		i_out = (int)n;
		pfd[n].fd = s->tty ? s->pty : s->out_r;
		pfd[n++].events = POLLIN;
	}
	if (!blocked && !s->tty && s->err_r >= 0) {
		i_err = (int)n;
		pfd[n].fd = s->err_r;
		pfd[n++].events = POLLIN;
	}
	if (p->peer >= 0) {
		i_peer = (int)n;
		pfd[n].fd = p->peer;
		pfd[n++].events = POLLRDHUP;
	}
	if (want_in && (s->tty ? s->pty : s->in_w) >= 0) {
		i_in = (int)n;
		pfd[n].fd = s->tty ? s->pty : s->in_w;
		pfd[n++].events = POLLOUT;
	}
	if (poll(pfd, n, timeout) <= 0)
		return;
	if (pfd[0].revents)
		while (read(s->wake, &v, sizeof(v)) > 0)
			;
	if (i_peer >= 0 && pfd[i_peer].revents) {
		close_fd(&p->peer); /* the launching client went away */
		kill_process(p);
	}
	if (i_out >= 0 && pfd[i_out].revents)
		pump_output(s, s->tty ? &s->pty : &s->out_r,
			    ROGER_AGENTAPI_STDOUT, p->buf, &p->rec);
	if (i_err >= 0 && pfd[i_err].revents)
		pump_output(s, &s->err_r, ROGER_AGENTAPI_STDERR, p->buf,
			    &p->rec);
	if (i_in >= 0 && pfd[i_in].revents)
		pump_input(s);
	else if (want_in)
		pump_input(s); /* POLLOUT may not come for a full pipe */
}

/* After the exit: what is left in the pipes (the writers are dead). */
static void drain(struct pump *p)
{
	struct roger_local_session *s = p->s;

	if (s->tty) {
		while (s->pty >= 0 &&
		       pump_output(s, &s->pty, ROGER_AGENTAPI_STDOUT, p->buf,
				   &p->rec) > 0)
			;
		return;
	}
	while (s->out_r >= 0 && pump_output(s, &s->out_r, ROGER_AGENTAPI_STDOUT,
					    p->buf, &p->rec) > 0)
		;
	while (s->err_r >= 0 && pump_output(s, &s->err_r, ROGER_AGENTAPI_STDERR,
					    p->buf, &p->rec) > 0)
		;
}

/* End every stream and wake everyone who waits on the session. */
static void finish(struct roger_local_session *s, int status)
{
	struct roger_local_sessions *reg = s->reg;

	pthread_mutex_lock(&reg->lock);
	s->ended = true;
	s->status = status;
	for (struct roger_local_reader *r = s->readers; r; r = r->next)
		resume_reader(r);
	resume_input(s);
	while (s->waiters) {
		struct waiter *w = s->waiters;

		s->waiters = w->next;
		MHD_resume_connection(w->conn);
		free(w);
	}
	close_fd(&s->pty);
	close_fd(&s->in_w);
	close_fd(&s->out_r);
	close_fd(&s->err_r);
	/* Keep the last MAX_DONE ended sessions for WAIT_CONTAINER. */
	if (++reg->n_done > MAX_DONE) {
		struct roger_local_session **oldest = NULL;

		for (struct roger_local_session **q = &reg->list; *q;
		     q = &(*q)->next)
			if ((*q)->ended)
				oldest = q;
		if (oldest) {
			struct roger_local_session *o = *oldest;

			*oldest = o->next;
			reg->n_done--;
			unref_locked(o);
		}
	}
	pthread_mutex_unlock(&reg->lock);
}

static void *pump_main(void *data)
{
	struct pump *p = data;
	struct roger_local_session *s = p->s;
	struct roger_local_sessions *reg = s->reg;
	siginfo_t si;
	int status;

	p->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	p->next_heartbeat =
		roger_clock_ms(CLOCK_MONOTONIC) + ROGER_AGENTAPI_HEARTBEAT_MS;
	while (!exited(s->pid))
		pump_round(p);
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOWAIT) < 0 &&
	       errno == EINTR)
		;
	status = wait_status(&si);
	roger_agent_exec_reap(p->agent, s->pid);
	drain(p);
	/* Killed with its task: end after the task's end is on record. */
	if (si.si_code != CLD_EXITED &&
	    (p->parent_gone ||
	     !roger_agent_container_live(p->agent, s->parent)))
		for (int waited = 0;
		     waited < PARENT_END_MS &&
		     !roger_agent_container_over(p->agent, s->parent);
		     waited += 20)
			usleep(20000);
	finish(s, status);
	if (p->pidfd >= 0)
		close(p->pidfd);
	close_fd(&p->peer);
	free(p->buf);
	roger_buf_release(&p->rec);
	free(p);
	pthread_mutex_lock(&reg->lock);
	unref_locked(s);
	reg->pumps--;
	pthread_cond_broadcast(&reg->changed);
	pthread_mutex_unlock(&reg->lock);
	return NULL;
}

/* ---- starting ------------------------------------------------------------------ */

/* What the process runs: path, argv (NULL-terminated) and environment. */
struct launch {
	char *path;
	char **argv;
	char **envp;
	size_t n_env;
};

static void launch_release(struct launch *l)
{
	free(l->path);
	if (l->argv)
		for (char **a = l->argv; *a; a++)
			free(*a);
	free(l->argv);
	if (l->envp)
		for (char **e = l->envp; *e; e++)
			free(*e);
	free(l->envp);
}

static char **strv_dup(const char *const *v, size_t n)
{
	char **out = calloc(n + 1, sizeof(*out));

	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = strdup(v[i]))) {
			for (size_t j = 0; j < i; j++)
				free(out[j]);
			free(out);
			return NULL;
		}
	return out;
}

/* `var` ("NAME=value") over the environment: replaces NAME or is added. */
static int env_set(struct launch *l, const char *var)
{
	size_t name = strcspn(var, "=");
	char **grown, *copy = strdup(var);

	if (!copy)
		return ROGER_ENOMEM;
	for (size_t i = 0; i < l->n_env; i++)
		if (!strncmp(l->envp[i], var, name + 1)) {
			free(l->envp[i]);
			l->envp[i] = copy;
			return 0;
		}
	grown = realloc(l->envp, (l->n_env + 2) * sizeof(*grown));
	if (!grown) {
		free(copy);
		return ROGER_ENOMEM;
	}
	l->envp = grown;
	l->envp[l->n_env++] = copy;
	l->envp[l->n_env] = NULL;
	return 0;
}

static int launch_build(struct launch *l, const struct roger_agentapi_call *c,
			const struct roger_agent_exec_target *t)
{
	size_t n_args = 0;

	while (c->arguments[n_args])
		n_args++;
	for (char **e = t->env; e && *e; e++)
		l->n_env++;
	l->envp = strv_dup((const char *const *)t->env, l->n_env);
	if (!l->envp)
		return ROGER_ENOMEM;
	for (char **e = c->env; e && *e; e++)
		if (env_set(l, *e) < 0)
			return ROGER_ENOMEM;
	if (c->shell) {
		const char *sh[] = { "sh", "-c", c->value };

		l->path = strdup("/bin/sh");
		l->argv = strv_dup(sh, 3);
	} else {
		const char *one[] = { c->value };
		const char *prog = c->value ? c->value : c->arguments[0];

		l->argv = n_args ? strv_dup(c->arguments, n_args)
				 : strv_dup(one, 1);
		/* In a container, agent-exec.c looks in the container's PATH.
		 */
		l->path = t->in_container ? strdup(prog)
					  : roger_proc_find_program(
						    prog, l->envp, t->sandbox);
	}
	return l->path && l->argv ? 0 : ROGER_ENOMEM;
}

/* The descriptors: a pseudo-terminal, or three pipes. */
static int open_streams(struct roger_local_session *s,
			struct roger_agent_exec_cmd *cmd,
			const struct roger_agentapi_call *c,
			struct roger_err *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };

	if (s->tty) {
		char name[128];
		struct winsize ws;
		int slave;

		s->pty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (s->pty < 0 || grantpt(s->pty) < 0 || unlockpt(s->pty) < 0 ||
		    ptsname_r(s->pty, name, sizeof(name)) != 0)
			goto fail;
		slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0)
			goto fail;
		memset(&ws, 0, sizeof(ws));
		ws.ws_row = (unsigned short)(c->rows ? c->rows : 24);
		ws.ws_col = (unsigned short)(c->columns ? c->columns : 80);
		ioctl(slave, TIOCSWINSZ, &ws);
		cmd->in_fd = cmd->out_fd = cmd->err_fd = slave;
		cmd->ctty = true;
		fcntl(s->pty, F_SETFL, fcntl(s->pty, F_GETFL) | O_NONBLOCK);
		return 0;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0)
		goto fail;
	/* Larger pipes: fewer, larger records when output streams. */
	fcntl(out[1], F_SETPIPE_SZ, PIPE_SIZE);
	fcntl(errp[1], F_SETPIPE_SZ, PIPE_SIZE);
	fcntl(in[1], F_SETPIPE_SZ, PIPE_SIZE);
	s->in_w = in[1];
	s->out_r = out[0];
	s->err_r = errp[0];
	fcntl(s->in_w, F_SETFL, O_NONBLOCK);
	fcntl(s->out_r, F_SETFL, O_NONBLOCK);
	fcntl(s->err_r, F_SETFL, O_NONBLOCK);
	cmd->in_fd = in[0];
	cmd->out_fd = out[1];
	cmd->err_fd = errp[1];
	return 0;
fail:
	roger_err_set(
		err, ROGER_ERROR,
		"Failed to launch container: cannot make its standard streams: %s",
		strerror(errno));
	err->http_status = 500;
	for (int i = 0; i < 2; i++) {
		close_fd(&in[i]);
		close_fd(&out[i]);
		close_fd(&errp[i]);
	}
	close_fd(&s->pty);
	return ROGER_ERROR;
}

/* Close the child's ends of the streams once it has them. */
static void close_child_ends(struct roger_agent_exec_cmd *cmd)
{
	if (cmd->in_fd >= 0)
		close(cmd->in_fd);
	if (cmd->out_fd >= 0 && cmd->out_fd != cmd->in_fd)
		close(cmd->out_fd);
	if (cmd->err_fd >= 0 && cmd->err_fd != cmd->in_fd)
		close(cmd->err_fd);
	cmd->in_fd = cmd->out_fd = cmd->err_fd = -1;
}

static struct roger_local_session *
session_alloc(struct roger_local_sessions *reg,
	      const struct roger_agentapi_call *c)
{
	struct roger_local_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->reg = reg;
	s->pty = s->in_w = s->out_r = s->err_r = -1;
	s->tty = c->tty;
	snprintf(s->id, sizeof(s->id), "%s", c->cid.value);
	snprintf(s->parent, sizeof(s->parent), "%s", c->cid.parent);
	roger_buf_init(&s->in);
	s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* Whether `user` names the user this process runs as. */
static bool own_user(const char *user)
{
	struct passwd pw, *res = NULL;
	char buf[4096], num[32];

	snprintf(num, sizeof(num), "%lu", (unsigned long)getuid());
	if (!strcmp(user, num))
		return true;
	return getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res &&
	       !strcmp(res->pw_name, user);
}

/* The checks before anything is started: 0, or the error with its status. */
static int precheck(struct roger_local_sessions *reg,
		    const struct roger_agentapi_call *c, struct roger_err *err)
{
	int rc = 0;

	if (strlen(c->cid.value) >= 256 || strlen(c->cid.parent) >= 256) {
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"Failed to validate agent::Call: a container id longer than 255 bytes");
		err->http_status = 400;
		return rc;
	}
	pthread_mutex_lock(&reg->lock);
	if (reg->shutdown) {
		rc = roger_err_set(err, ROGER_ERROR, "Agent is shutting down");
		err->http_status = 503;
	} else if (find_locked(reg, c->cid.value)) {
		rc = roger_err_set(err, ROGER_EEXISTS,
				   "Container %s already exists", c->cid.value);
		err->http_status = 202;
	}
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

int roger_local_session_start(struct roger_local_reader **out,
			      struct roger_local_sessions *reg,
			      const struct roger_agentapi_call *call,
			      enum roger_agentapi_format format,
			      struct MHD_Connection *conn,
			      struct roger_err *err)
{
	struct roger_agent_exec_target t;
	struct roger_agent_exec_cmd cmd = { 0 };
	struct launch l = { 0 };
	struct roger_local_session *s = NULL;
	struct roger_local_reader *owner = NULL;
	struct pump *p = NULL;
	const union MHD_ConnectionInfo *ci;
	pthread_attr_t attr;
	pthread_t thread;
	int exec_errno = 0, rc;
	pid_t pid;

	memset(&t, 0, sizeof(t));
	cmd.in_fd = cmd.out_fd = cmd.err_fd = -1;
	if ((rc = precheck(reg, call, err)) < 0)
		return rc;
	rc = roger_agent_exec_target(&t, reg->agent, call->cid.parent, err);
	if (rc < 0) {
		err->http_status = rc == ROGER_ENOMEM ? 500 : 400;
		return rc;
	}
	if (call->user && !own_user(call->user)) {
		/* Tasks run as roger local's own user; so do their sessions. */
		rc = roger_err_set(
			err, ROGER_EINVALID,
			"Failed to launch container: roger local runs commands as its own user, not as '%s'",
			call->user);
		err->http_status = 400;
		roger_agent_exec_target_release(&t);
		return rc;
	}
	s = session_alloc(reg, call);
	owner = s ? reader_alloc(s, format, conn, true) : NULL;
	p = calloc(1, sizeof(*p));
	if (!s || !owner || !p || !(p->buf = malloc(READ_CHUNK)) ||
	    launch_build(&l, call, &t) < 0) {
		rc = roger_err_set(err, ROGER_ENOMEM, "out of memory");
		err->http_status = 500;
		goto fail;
	}
	if ((rc = open_streams(s, &cmd, call, err)) < 0)
		goto fail;
	cmd.path = l.path;
	cmd.argv = l.argv;
	cmd.envp = l.envp;
	rc = roger_agent_exec_spawn(&pid, &exec_errno, reg->agent, &t, &cmd,
				    err);
	close_child_ends(&cmd);
	if (rc < 0) {
		char why[ROGER_ERR_MSG_MAX];

		snprintf(why, sizeof(why), "%s", err->msg);
		roger_err_set(err, rc, "Failed to launch container: %s", why);
		err->http_status = 400;
		goto fail;
	}
	s->pid = pid;
	if (exec_errno) {
		struct roger_buf msg = ROGER_BUF_INIT;

		/* It exits with 127, as a shell's command that is not found. */
		roger_buf_addf(&msg, "roger local: cannot run '%s': %s\n",
			       l.path, strerror(exec_errno));
		roger_agentapi_output_record(&owner->out, format,
					     ROGER_AGENTAPI_STDERR, msg.buf,
					     msg.len);
		roger_buf_release(&msg);
	}
	p->s = s;
	p->agent = reg->agent;
	p->pidfd = -1;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	p->peer = ci ? fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
	roger_buf_init(&p->rec);
	/* references: the list, the pump, the owner */
	s->refs = 3;
	s->readers = owner;
	pthread_mutex_lock(&reg->lock);
	s->next = reg->list;
	reg->list = s;
	reg->pumps++;
	pthread_mutex_unlock(&reg->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&thread, &attr, pump_main, p);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		/* No pump: end the session here, as the pump would. */
		kill(-pid, SIGKILL);
		roger_agent_exec_reap(reg->agent, pid);
		close_fd(&p->peer);
		free(p->buf);
		free(p);
		finish(s, SIGKILL);
		pthread_mutex_lock(&reg->lock);
		unref_locked(s); /* the pump's */
		reg->pumps--;
		pthread_cond_broadcast(&reg->changed);
		pthread_mutex_unlock(&reg->lock);
	}
	roger_log(reg->ctx, ROGER_LOG_INFO,
		  "session %s in task '%s': %s (pid %ld)", s->id, t.task_id,
		  l.path, (long)pid);
	*out = owner;
	launch_release(&l);
	roger_agent_exec_target_release(&t);
	return 0;
fail:
	close_child_ends(&cmd);
	launch_release(&l);
	roger_agent_exec_target_release(&t);
	if (p)
		free(p->buf);
	free(p);
	if (owner)
		roger_buf_release(&owner->out);
	free(owner);
	if (s)
		session_free(s);
	return rc;
}
