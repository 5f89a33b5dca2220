/*
 * fuzz_extract.c - libFuzzer harness of the extractor (lib/local/extract.c).
 *
 * Each input is read as an archive (tar, plain or gzip, bzip2 or xz
 * compressed, or zip) and extracted into a fresh root, `run/inner`, beside
 * an empty sentinel directory, `run/sentinel`.  The properties checked,
 * abort() on any breach:
 *   - nothing appears beside the root or in the sentinel;
 *   - an archive that fails leaves the root empty (nothing half-written);
 *   - without ROGER_EXTRACT_ANY_SYMLINK, every symbolic link in the root
 *     that resolves at all resolves inside the root.
 * The last byte of the input picks the flags (the openat2 resolver or the
 * walk, whiteouts, special files skipped, any symbolic link), so both
 * resolvers and every option are fuzzed with the same corpus.  The caps
 * are small so that a bomb costs little.  Everything is removed after
 * each input, without following links.
 */
#include <config.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>

#include "err.h"
#include "fsroot.h"
#include "local/beneath.h"
#include "local/extract.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_fsroot_init("fuzz_extract");
	return 0;
}

/* abort() when a symbolic link under `path` (the root is `root`, of
 * `root_len` bytes) resolves outside the root. */
static void check_links(const char *path, const char *root, size_t root_len,
			int depth)
{
	struct dirent *de;
	DIR *d;

	if (depth > 2 * ROGER_BENEATH_MAX_DEPTH)
		abort();
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char child[PATH_MAX], *real;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", path, de->d_name) >=
		    (int)sizeof(child))
			continue;
		if (lstat(child, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			check_links(child, root, root_len, depth + 1);
		} else if (S_ISLNK(st.st_mode)) {
			real = realpath(child, NULL);
			if (real && !(strncmp(real, root, root_len) == 0 &&
				      (real[root_len] == '/' ||
				       real[root_len] == '\0'))) {
				fprintf(stderr,
					"'%s' resolves to '%s', outside '%s'\n",
					child, real, root);
				abort();
			}
			free(real);
		}
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_extract_opts o;
	struct roger_err err = ROGER_ERR_INIT;
	struct archive *in;
	char root[PATH_MAX + 16], *real_root;
	uint8_t pick = size ? data[size - 1] : 0;
	struct fuzz_fsroot r;
	int rc;

	fuzz_fsroot_begin(&r);
	memset(&o, 0, sizeof(o));
	o.flags = ((pick & 1) ? ROGER_EXTRACT_NO_OPENAT2 : 0) |
		  ((pick & 2) ? ROGER_EXTRACT_WHITEOUTS : 0) |
		  ((pick & 4) ? ROGER_EXTRACT_SKIP_SPECIAL : 0) |
		  ((pick & 8) ? ROGER_EXTRACT_ANY_SYMLINK : 0);
	o.max_bytes = 4 << 20;
	o.max_entries = 2000;
	o.name = "fuzz";
	in = archive_read_new();
	if (!in)
		abort();
	archive_read_support_format_tar(in);
	archive_read_support_format_zip(in);
	archive_read_support_filter_gzip(in);
	archive_read_support_filter_bzip2(in);
	archive_read_support_filter_xz(in);
	if (archive_read_open_memory(in, data, size) == ARCHIVE_OK)
		rc = roger_extract(NULL, r.root_fd, in, &o, &err);
	else
		rc = -1;
	archive_read_free(in);

	/* Nothing beside the root, nothing in the sentinel. */
	fuzz_fsroot_check(&r, err.msg);
	/* A failed archive leaves nothing. */
	if (rc < 0 && fuzz_count_entries(r.run_fd, "inner") != 0) {
		fprintf(stderr, "a failed archive left entries behind: %s\n",
			err.msg);
		abort();
	}
	if (!(o.flags & ROGER_EXTRACT_ANY_SYMLINK)) {
		snprintf(root, sizeof(root), "%s/run/inner", fuzz_fsroot_base);
		real_root = realpath(root, NULL);
		if (!real_root)
			abort();
		check_links(real_root, real_root, strlen(real_root), 0);
		free(real_root);
	}
	fuzz_fsroot_end(&r);
	return 0;
}
