/*
 * fsroot.c - the scratch directories of the harnesses that write files.
 */
#include <config.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsroot.h"
#include "local/beneath.h"

char fuzz_fsroot_base[PATH_MAX];
static int base_fd = -1;

/* At exit: the fuzzer's directory goes, unless a crash left evidence. */
static void remove_base(void)
{
	if (base_fd >= 0 && roger_beneath_remove(base_fd, "run") == 0)
		rmdir(fuzz_fsroot_base);
}

void fuzz_fsroot_init(const char *name)
{
	const char *t = getenv("TMPDIR");

	snprintf(fuzz_fsroot_base, PATH_MAX, "%s/%s.XXXXXX",
		 t && *t ? t : "/tmp", name);
	if (!mkdtemp(fuzz_fsroot_base))
		abort();
	base_fd = open(fuzz_fsroot_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd < 0)
		abort();
	atexit(remove_base);
}

void fuzz_fsroot_begin(struct fuzz_fsroot *r)
{
	if (mkdirat(base_fd, "run", 0700) < 0 ||
	    (r->run_fd = openat(base_fd, "run",
				O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    mkdirat(r->run_fd, "inner", 0700) < 0 ||
	    mkdirat(r->run_fd, "sentinel", 0700) < 0 ||
	    (r->root_fd = openat(r->run_fd, "inner",
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
}

int fuzz_count_entries(int dir_fd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd, n = 0;

	fd = openat(dir_fd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

void fuzz_fsroot_check(const struct fuzz_fsroot *r, const char *why)
{
	if (fuzz_count_entries(base_fd, "run") != 2 ||
	    fuzz_count_entries(r->run_fd, "sentinel") != 0) {
		fprintf(stderr, "something appeared outside the root (%s)\n",
			why);
		abort();
	}
}

void fuzz_fsroot_end(struct fuzz_fsroot *r)
{
	close(r->root_fd);
	close(r->run_fd);
	if (roger_beneath_remove(base_fd, "run") < 0)
		abort();
}
