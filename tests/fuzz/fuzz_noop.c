/*
 * fuzz_noop.c - the record of the last clean build (.roger/noop), read by
 * every build before anything else.  Whatever the bytes, the parser either
 * refuses them or gives a record whose every field is what the format
 * allows (hex of the right length, non-empty paths without newlines), and
 * the record written back from what it accepted parses again to the same.
 */
#include <config.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/noop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void dump(struct roger_buf *b, const struct roger_noop *r)
{
	roger_buf_addf(b,
		       ROGER_NOOP_MAGIC "\nopts %s\ngitdir %s\ncommondir %s\n"
					"workdir %s\nindex %s\nhead %s\n"
					"istat %" PRIu64 " %" PRIu64 " %" PRId64
					" %" PRId64 "\nisum %s\ncommit %s\n"
					"tree %s\ntime %" PRId64 "\nkey %s\n",
		       r->opts, r->gitdir, r->commondir, r->workdir, r->index,
		       r->head, r->index_ino, r->index_size, r->index_mtime_ns,
		       r->index_ctime_ns, r->index_sum, r->commit, r->tree,
		       r->time, r->key);
	for (size_t i = 0; i < r->n_entries; i++) {
		const struct roger_noop_entry *e = &r->entries[i];

		roger_buf_addf(b,
			       "entry %" PRIu64 " %" PRIu64 " %" PRId64
			       " %" PRId64 " %" PRIu32 " %s\n",
			       e->ino, e->size, e->mtime_ns, e->ctime_ns,
			       e->mode, e->path);
	}
	roger_buf_adds(b, "end\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_noop r, again;
	struct roger_buf b = ROGER_BUF_INIT, c = ROGER_BUF_INIT;

	if (roger_noop_parse(&r, (const char *)data, size) < 0)
		return 0;
	if (strlen(r.opts) % 2 || strlen(r.head) != 40 || strlen(r.key) != 64 ||
	    !*r.gitdir || !*r.workdir)
		abort();
	for (size_t i = 0; i < r.n_entries; i++)
		if (!*r.entries[i].path || strchr(r.entries[i].path, '\n'))
			abort();
	dump(&b, &r);
	if (!b.buf || roger_noop_parse(&again, b.buf, b.len) < 0)
		abort();
	dump(&c, &again);
	if (c.len != b.len || memcmp(c.buf, b.buf, b.len))
		abort();
	roger_noop_release(&again);
	roger_noop_release(&r);
	roger_buf_release(&b);
	roger_buf_release(&c);
	return 0;
}
