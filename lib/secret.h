/*
 * secret.h - secrets: what looks like one, where credentials are read
 * from, and forgetting them.  Not installed.
 *
 * Secrets never belong in roger.json, which is committed with the code;
 * roger_config_name_is_secret() (project.h) says which names look like
 * one, and the helpers here which values cannot be one.  Credentials come
 * from environment variables or token files, never from a configuration
 * file itself, and are wiped from memory when freed.
 */
#ifndef ROGER_SECRET_H
#define ROGER_SECRET_H

#include <stdbool.h>

struct roger_ctx;
struct roger_err;

/*
 * Whether `s` cannot be a secret however its variable is named: empty, a
 * number, or a boolean word (true, false, yes, no, on, off).
 */
bool roger_secret_value_harmless(const char *s);

/*
 * Whether `s` holds "scheme://user:password@" with a literal password (a
 * password that is a {{ variable }} does not count).
 */
bool roger_secret_url_has_password(const char *s);

/*
 * Copy the value of the environment variable `name` into *slot (freeing
 * what was there).  ROGER_EINVALID "where: environment variable 'NAME' is
 * not set" when it is unset or empty.
 */
int roger_secret_from_env(char **slot, const struct roger_ctx *ctx,
			  const char *name, const char *where,
			  struct roger_err *err);

/*
 * Read the token in the file `path` into *out (a new string, surrounding
 * white space removed), refusing a file that group or others may access,
 * that is not a regular file, is larger than 64 KiB, is empty, or holds
 * several lines.  ROGER_EINVALID naming `where` or the file.  The bytes
 * read are wiped from memory.
 */
int roger_secret_read_token_file(char **out, const char *path,
				 const char *where, struct roger_err *err);

/* Wipe the string `s` from memory and free it.  NULL is fine. */
void roger_secret_free(char *s);

#endif
