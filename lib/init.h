/*
 * init.h - what `roger init` writes for a project directory: the app name,
 * the command, the build step, a health check and a container image
 * detected from the files there, as a roger.json document with the
 * reasons for each choice (and what of a Dockerfile it leaves out); and
 * writing it (plus `.roger/` in .gitignore) without ever half-writing.
 */
#ifndef ROGER_INIT_H
#define ROGER_INIT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_err;

struct roger_init_opts {
	const char *app; /* NULL: the directory name, sanitised */
	const char *group; /* NULL: "/" */
	const char *cmd; /* NULL: detected */
	/*
	 * The PATH to look the programs of the build step and the command up
	 * in (they run on this machine: the build, and roger local's tasks);
	 * NULL: not looked up.
	 */
	const char *path;
};

/* One decision, for the report: "command", "npm start", "package.json has a
 * \"start\" script". */
struct roger_init_note {
	const char *what; /* static */
	char *value; /* NULL when nothing was found */
	char *why;
};

/*
 * An instruction of the project's Dockerfile that roger does not honour
 * (a RUN step, a COPY of one file elsewhere...), and why.
 */
struct roger_init_skipped {
	char *file; /* "Dockerfile" */
	unsigned line;
	char *instruction; /* as written, continuations joined, maybe cut */
	char *why;
};

struct roger_init {
	char *dir; /* the project directory (absolute) */
	char *workdir; /* its git work tree root */
	char *id; /* the app id, "/web/hello" */
	json_t *doc; /* the roger.json to write (owned) */
	struct roger_init_note *notes;
	size_t n_notes;
	struct roger_init_skipped *skipped;
	size_t n_skipped;
	/*
	 * What would keep the app from working as written, one sentence
	 * each: a program the build step or the command needs that is not
	 * on opts->path, a port the code binds other than $PORT0.
	 */
	char **warnings;
	size_t n_warnings;
};

/*
 * Look at directory `dir` (NULL: the current one), which must be inside a
 * git work tree (ROGER_ENOTFOUND otherwise), and propose its roger.json.
 * A Dockerfile (or Containerfile) there becomes an `image` section: the
 * final stage's FROM (ARGs substituted) as the base, its WORKDIR, ENV,
 * USER, ENTRYPOINT and CMD, EXPOSE as port definitions; every other
 * instruction is listed in init->skipped with the reason.  A compose file
 * is noted, not read.  Warnings say what would keep the app from working
 * as written.  ROGER_ERROR when nothing runs at its top but directories
 * below it hold apps (a monorepo's root), naming them.
 * ROGER_EINVALID for an --app or --group that breaks Marathon's id rules.
 * The document is checked with roger_project_parse() before it is returned.
 */
ROGER_EXTERN int roger_init_detect(struct roger_init **out, const char *dir,
				   const struct roger_init_opts *opts,
				   struct roger_err *err);
ROGER_EXTERN void roger_init_free(struct roger_init *init);

/*
 * The name `name` (a directory name, any bytes) made into a Marathon app
 * name: lower case, runs of other characters turned into one '-', no '-' at
 * the ends, a reserved word suffixed with "-app"; "app" when nothing is
 * left.  A new string, or NULL when out of memory.
 */
ROGER_EXTERN char *roger_init_app_name(const char *name);

/*
 * Write roger.json into init->dir atomically; ROGER_EEXISTS when one is
 * there and `force` is false.  Then make sure git ignores `.roger/` there:
 * unless a .gitignore of the directory or above it (up to the work tree
 * root) already does, append `.roger/` to the directory's .gitignore
 * (atomically, keeping its mode).  *gitignore_changed tells whether it did.
 */
ROGER_EXTERN int roger_init_write(const struct roger_init *init, bool force,
				  bool *gitignore_changed,
				  struct roger_err *err);

ROGER_END_DECLS

#endif
