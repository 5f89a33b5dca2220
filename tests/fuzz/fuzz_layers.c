/*
 * fuzz_layers.c - libFuzzer harness of image layers applied to a root
 * filesystem (lib/local/layer.c over lib/local/extract.c with the layer
 * flags: whiteouts, opaque directories, links anywhere, directories
 * replaced, hard links into lower layers).
 *
 * Each input is a layer (gzip when it starts with the gzip magic, else a
 * plain tar) applied to a root that already holds a lower layer: files, a
 * directory, and symbolic links planted to lead out of it (an absolute one
 * and "../sentinel"), as a hostile base image would.  The properties
 * checked, abort() on any breach:
 *   - nothing appears beside the root or in the sentinel directory, which
 *     the planted links point at: nothing is written through a link;
 *   - a layer that fails leaves the root exactly as it was.
 * Everything is removed after each input, without following links.
 */
#include <config.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fsroot.h"
#include "local/beneath.h"
#include "local/layer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_fsroot_init("fuzz_layers");
	return 0;
}

/* A listing of the tree under `fd` (names, types, sizes, link targets),
 * sorted by the walk's order of names. */
static void list_tree(struct roger_buf *out, int fd, const char *prefix,
		      int depth)
{
	struct dirent **names = NULL;
	char path[PATH_MAX];
	int n, dfd;

	if (depth > 2 * ROGER_BENEATH_MAX_DEPTH)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = scandir(path, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char target[PATH_MAX], sub[PATH_MAX];
		struct stat st;
		ssize_t len;

		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			free(names[i]);
			continue;
		}
		snprintf(sub, sizeof(sub), "%s/%s", prefix, name);
		roger_buf_addf(out, "%s %o %lld", sub, (unsigned)st.st_mode,
			       (long long)st.st_size);
		if (S_ISLNK(st.st_mode) &&
		    (len = readlinkat(fd, name, target, sizeof(target) - 1)) >=
			    0) {
			target[len] = '\0';
			roger_buf_addf(out, " -> %s", target);
		}
		roger_buf_addch(out, '\n');
		if (S_ISDIR(st.st_mode) &&
		    (dfd = openat(fd, name,
				  O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					  O_CLOEXEC)) >= 0) {
			list_tree(out, dfd, sub, depth + 1);
			close(dfd);
		}
		free(names[i]);
	}
	free(names);
}

/* The lower layer: what a hostile base image could leave. */
static void lower_layer(int root_fd)
{
	int d, f;

	if (mkdirat(root_fd, "etc", 0755) < 0 ||
	    mkdirat(root_fd, "dir", 0755) < 0 ||
	    symlinkat("/", root_fd, "abs") < 0 ||
	    symlinkat("../sentinel", root_fd, "out") < 0 ||
	    (d = openat(root_fd, "dir", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
		    0)
		abort();
	if (symlinkat("../../sentinel", d, "up") < 0 ||
	    (f = openat(d, "file", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			0644)) < 0 ||
	    write(f, "lower\n", 6) != 6)
		abort();
	close(f);
	close(d);
	f = openat(root_fd, "etc/release",
		   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (f < 0 || write(f, "base\n", 5) != 5)
		abort();
	close(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_buf before = ROGER_BUF_INIT, after = ROGER_BUF_INIT;
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_layer_opts o;
	char diff[80];
	struct fuzz_fsroot r;
	int fd, rc;

	fuzz_fsroot_begin(&r);
	lower_layer(r.root_fd);
	list_tree(&before, r.root_fd, "", 0);
	fd = memfd_create("layer", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) < 0)
		abort();
	memset(&o, 0, sizeof(o));
	o.compression = size >= 2 && data[0] == 0x1f && data[1] == 0x8b
				? ROGER_LAYER_GZIP
				: ROGER_LAYER_TAR;
	o.max_bytes = 4 << 20;
	o.max_entries = 2000;
	o.name = "fuzz";
	rc = roger_layer_apply(diff, r.root_fd, fd, &o, &err);
	close(fd);

	fuzz_fsroot_check(&r, err.msg);
	if (rc < 0) {
		list_tree(&after, r.root_fd, "", 0);
		if (before.len != after.len ||
		    memcmp(before.buf, after.buf, before.len)) {
			fprintf(stderr,
				"a failed layer changed the root: %s\n--- before\n%s--- after\n%s",
				err.msg, before.buf, after.buf);
			abort();
		}
	}
	roger_buf_release(&before);
	roger_buf_release(&after);
	fuzz_fsroot_end(&r);
	return 0;
}
