/*
 * noop.c - the record of the last clean build: parsing it, and checking
 * that it still holds with nothing but open(2), read(2) and lstat(2) (see
 * noop.h).  The check of a large index's files runs on two threads, as
 * the work tree check does.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fs.h"
#include "noop.h"

/* Below this many files, a second thread costs more than it saves. */
#define NOOP_THREAD_MIN 1024

int64_t roger_noop_ns(const struct timespec *ts)
{
	/* File times can be set to anything: beyond what 64 bits of
	 * nanoseconds hold (before 1677, after 2262), the limit. */
	if (ts->tv_sec >= INT64_MAX / 1000000000)
		return INT64_MAX;
	if (ts->tv_sec <= INT64_MIN / 1000000000)
		return INT64_MIN;
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

void roger_noop_release(struct roger_noop *r)
{
	free(r->text);
	free(r->entries);
	memset(r, 0, sizeof(*r));
}

static bool is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* The rest of `line` after "name ", or NULL when it is another line. */
static const char *field(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (!line || strncmp(line, name, n) || line[n] != ' ')
		return NULL;
	return line + n + 1;
}

static bool copy_hex(char *out, const char *s, size_t n)
{
	if (!s || !is_hex(s, n))
		return false;
	memcpy(out, s, n + 1);
	return true;
}

/* A decimal number (a sign only when `neg` is allowed) and what follows. */
static bool number(const char **s, int64_t *out, bool neg)
{
	const char *p = *s;
	bool minus = false;
	uint64_t v = 0;

	if (neg && *p == '-') {
		minus = true;
		p++;
	}
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (uint64_t)INT64_MAX / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return false;
	*out = minus ? -(int64_t)v : (int64_t)v;
	*s = p;
	return true;
}

/* `n` numbers separated by single spaces, then a space or the end. */
static const char *numbers(const char *s, int64_t *v, size_t n, bool last)
{
	for (size_t i = 0; s && i < n; i++) {
		if (!number(&s, &v[i], i >= 2 && i <= 3))
			return NULL;
		if (i + 1 < n || !last) {
			if (*s != ' ')
				return NULL;
			s++;
		}
	}
	if (s && last && *s)
		return NULL;
	return s;
}

static int parse_entry(struct roger_noop_entry *e, const char *s)
{
	int64_t v[5];

	s = numbers(s, v, 5, false);
	if (!s || !*s || v[4] > UINT32_MAX)
		return ROGER_EINVALID;
	e->ino = (uint64_t)v[0];
	e->size = (uint64_t)v[1];
	e->mtime_ns = v[2];
	e->ctime_ns = v[3];
	e->mode = (uint32_t)v[4];
	e->path = s;
	return 0;
}

int roger_noop_parse(struct roger_noop *out, const char *text, size_t len)
{
	struct roger_noop r = { 0 };
	char **lines = NULL;
	size_t n = 0, i = 0, head_lines = 13;
	int64_t v[4];
	const char *s;
	int rc = ROGER_EINVALID;

	memset(out, 0, sizeof(*out));
	if (len == 0 || text[len - 1] != '\n' || memchr(text, '\0', len))
		return ROGER_EINVALID;
	r.text = malloc(len + 1);
	if (!r.text)
		return ROGER_ENOMEM;
	memcpy(r.text, text, len);
	r.text[len] = '\0';
	for (size_t k = 0; k < len; k++)
		n += r.text[k] == '\n';
	lines = calloc(n, sizeof(*lines));
	if (!lines) {
		rc = ROGER_ENOMEM;
		goto out;
	}
	for (char *p = r.text, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		lines[i++] = p;
	}
	if (n < head_lines + 1 || strcmp(lines[0], ROGER_NOOP_MAGIC) ||
	    strcmp(lines[n - 1], "end"))
		goto out;
	r.opts = field(lines[1], "opts");
	if (!r.opts || !*r.opts || strlen(r.opts) % 2 ||
	    strspn(r.opts, "0123456789abcdef") != strlen(r.opts) ||
	    !(r.gitdir = field(lines[2], "gitdir")) ||
	    !(r.commondir = field(lines[3], "commondir")) ||
	    !(r.workdir = field(lines[4], "workdir")) ||
	    !(r.index = field(lines[5], "index")) ||
	    !copy_hex(r.head, field(lines[6], "head"), 40) ||
	    !(s = field(lines[7], "istat")) || !numbers(s, v, 4, true) ||
	    !copy_hex(r.index_sum, field(lines[8], "isum"), 40) ||
	    !copy_hex(r.commit, field(lines[9], "commit"), 40) ||
	    !copy_hex(r.tree, field(lines[10], "tree"), 40) ||
	    !(s = field(lines[11], "time")) || !number(&s, &r.time, true) ||
	    *s || !copy_hex(r.key, field(lines[12], "key"), 64))
		goto out;
	if (!*r.gitdir || !*r.commondir || !*r.workdir || !*r.index)
		goto out;
	r.index_ino = (uint64_t)v[0];
	r.index_size = (uint64_t)v[1];
	r.index_mtime_ns = v[2];
	r.index_ctime_ns = v[3];
	r.n_entries = n - head_lines - 1;
	if (r.n_entries) {
		r.entries = calloc(r.n_entries, sizeof(*r.entries));
		if (!r.entries) {
			rc = ROGER_ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < r.n_entries; i++)
		if (!(s = field(lines[head_lines + i], "entry")) ||
		    parse_entry(&r.entries[i], s) < 0)
			goto out;
	*out = r;
	memset(&r, 0, sizeof(r));
	rc = 0;
out:
	free(lines);
	roger_noop_release(&r);
	return rc;
}

/* A small file's content, NUL-terminated, in buf; false if larger. */
static bool read_small(char *buf, size_t size, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return false;
	while (got < size && ((n = read(fd, buf + got, size - got)) > 0 ||
			      (n < 0 && errno == EINTR)))
		if (n > 0)
			got += (size_t)n;
	close(fd);
	if (got == size)
		return false;
	buf[got] = '\0';
	return true;
}

/* The id a packed-refs line gives `ref`; false when none does. */
static bool packed_ref(char *out, const char *commondir, const char *ref)
{
	struct roger_buf path = ROGER_BUF_INIT, text = ROGER_BUF_INIT;
	size_t rlen = strlen(ref);
	bool found = false;

	if (roger_buf_addf(&path, "%s/packed-refs", commondir) < 0 ||
	    roger_fs_read_file(&text, path.buf, NULL) < 0)
		goto out;
	for (char *p = text.buf, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (p[0] == '#' || p[0] == '^' || strlen(p) != 41 + rlen ||
		    p[40] != ' ' || strcmp(p + 41, ref))
			continue;
		p[40] = '\0';
		found = copy_hex(out, p, 40);
		break;
	}
out:
	roger_buf_release(&path);
	roger_buf_release(&text);
	return found;
}

bool roger_noop_read_head(char *out, const char *gitdir, const char *commondir)
{
	char path[4096], head[512], ref[128];
	const char *name;
	size_t n;

	if (snprintf(path, sizeof(path), "%s/HEAD", gitdir) >=
		    (int)sizeof(path) ||
	    !read_small(head, sizeof(head), path))
		return false;
	n = strlen(head);
	if (n && head[n - 1] == '\n')
		head[--n] = '\0';
	if (strncmp(head, "ref: ", 5))
		return copy_hex(out, head, 40);
	name = head + 5;
	/* A branch, nothing that could leave the directory. */
	if (strncmp(name, "refs/heads/", 11) || strstr(name, "..") ||
	    strpbrk(name, " \t\\"))
		return false;
	if (snprintf(path, sizeof(path), "%s/%s", commondir, name) >=
	    (int)sizeof(path))
		return false;
	if (read_small(ref, sizeof(ref), path)) {
		n = strlen(ref);
		if (n && ref[n - 1] == '\n')
			ref[--n] = '\0';
		return copy_hex(out, ref, 40);
	}
	if (errno != ENOENT)
		return false;
	return packed_ref(out, commondir, name);
}

bool roger_noop_index_sum(char *out, const char *path)
{
	unsigned char sum[20];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = fstat(fd, &st) == 0 && st.st_size >= 32 &&
	     pread(fd, sum, sizeof(sum), st.st_size - 20) == 20;
	close(fd);
	for (size_t i = 0; ok && i < sizeof(sum); i++)
		sprintf(out + 2 * i, "%02x", sum[i]);
	return ok;
}

/* " <v>" in decimal at `p`, a minus sign first when negative; past it. */
static char *put_num(char *p, uint64_t v, bool negative)
{
	char digits[20];
	size_t n = 0;

	*p++ = ' ';
	if (negative) {
		*p++ = '-';
		v = ~v + 1; /* the magnitude, INT64_MIN included */
	}
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = digits[--n];
	return p;
}

static char *put_signed(char *p, int64_t v)
{
	return put_num(p, (uint64_t)v, v < 0);
}

/*
 * What roger_buf_addf(b, "entry %llu %llu %lld %lld %u %s\n", ...) would
 * add, made by hand: a build adds a line for each file of the tree.
 */
int roger_noop_add_entry(struct roger_buf *b, const struct stat *st,
			 const char *path)
{
	char line[6 + 5 * 21 + 1], *p = line;

	memcpy(p, "entry", 5);
	p += 5;
	p = put_num(p, (uint64_t)st->st_ino, false);
	p = put_num(p, (uint64_t)st->st_size, false);
	p = put_signed(p, roger_noop_ns(&st->st_mtim));
	p = put_signed(p, roger_noop_ns(&st->st_ctim));
	p = put_num(p, (uint32_t)st->st_mode, false);
	*p++ = ' ';
	if (roger_buf_add(b, line, (size_t)(p - line)) < 0 ||
	    roger_buf_adds(b, path) < 0 || roger_buf_addch(b, '\n') < 0)
		return ROGER_ENOMEM;
	return 0;
}

struct half {
	const struct roger_noop *r;
	size_t from, to;
	bool same;
};

static void *check_range(void *data)
{
	struct half *h = data;
	struct roger_buf abs = ROGER_BUF_INIT;
	size_t wlen;

	h->same = false;
	if (roger_buf_adds(&abs, h->r->workdir) < 0)
		goto out;
	wlen = abs.len;
	for (size_t i = h->from; i < h->to; i++) {
		const struct roger_noop_entry *e = &h->r->entries[i];
		struct stat st;

		roger_buf_truncate(&abs, wlen);
		if (roger_buf_adds(&abs, e->path) < 0 ||
		    lstat(abs.buf, &st) < 0 || (uint64_t)st.st_ino != e->ino ||
		    (uint64_t)st.st_size != e->size ||
		    roger_noop_ns(&st.st_mtim) != e->mtime_ns ||
		    roger_noop_ns(&st.st_ctim) != e->ctime_ns ||
		    (uint32_t)st.st_mode != e->mode)
			goto out;
	}
	h->same = true;
out:
	roger_buf_release(&abs);
	return NULL;
}

static bool files_same(const struct roger_noop *r)
{
	struct half lo = { r, 0, r->n_entries, false }, hi;
	pthread_t thread;

	if (r->n_entries < NOOP_THREAD_MIN) {
		check_range(&lo);
		return lo.same;
	}
	hi = lo;
	lo.to = hi.from = r->n_entries / 2;
	if (pthread_create(&thread, NULL, check_range, &hi) != 0) {
		lo.to = r->n_entries;
		check_range(&lo);
		return lo.same;
	}
	check_range(&lo);
	pthread_join(thread, NULL);
	return lo.same && hi.same;
}

bool roger_noop_holds(const struct roger_noop *r, const char *tracked)
{
	char head[41], sum[41];
	struct stat st;
	bool found = !tracked;

	for (size_t i = 0; !found && i < r->n_entries; i++)
		found = !strcmp(r->entries[i].path, tracked);
	if (!found)
		return false;
	if (!roger_noop_read_head(head, r->gitdir, r->commondir) ||
	    strcmp(head, r->head))
		return false;
	if (stat(r->index, &st) < 0 || (uint64_t)st.st_ino != r->index_ino ||
	    (uint64_t)st.st_size != r->index_size ||
	    roger_noop_ns(&st.st_mtim) != r->index_mtime_ns ||
	    roger_noop_ns(&st.st_ctim) != r->index_ctime_ns ||
	    !roger_noop_index_sum(sum, r->index) || strcmp(sum, r->index_sum))
		return false;
	return files_same(r);
}
