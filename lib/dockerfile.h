/*
 * dockerfile.h - a Dockerfile, read (not built): its instructions with
 * their arguments and lines, for `roger init` to tell what of it maps onto
 * roger.json's `image` section and what does not.  Not installed.
 *
 * The syntax is Docker's (the BuildKit frontend's): parser directives at
 * the top (`# escape=`` ` ``), comments, instructions case-insensitive,
 * continuation lines ending in the escape character (comment and empty
 * lines inside a continuation are dropped), arguments in JSON (exec) form
 * or shell form, and here-documents after RUN, COPY and ADD (`<<EOF` ...
 * `EOF`, `<<-` stripping tabs), whose lines belong to the instruction.
 * Everything here is pure: text in, structs out.
 */
#ifndef ROGER_DOCKERFILE_H
#define ROGER_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

struct roger_err;

struct roger_dockerfile_instr {
	char *keyword; /* upper case: "FROM", "RUN" */
	char *args; /* the rest, continuations joined, trimmed */
	char **argv; /* the JSON form's strings (NULL-terminated), or NULL */
	bool json; /* written in JSON (exec) form */
	unsigned line; /* where it starts, from 1 */
};

struct roger_dockerfile {
	struct roger_dockerfile_instr *instrs;
	size_t n;
	char escape; /* '\\' or '`' (the escape directive) */
};

/*
 * Parse `len` bytes of a Dockerfile (`name` is for messages).  A UTF-8
 * byte order mark is skipped; a NUL byte, an instruction word that is not
 * letters, a here-document without its end and an escape directive that is
 * neither '\\' nor '`' are ROGER_EINVALID, "name:line: what".  Unknown
 * instruction words are kept: roger_init decides what to say about them.
 */
int roger_dockerfile_parse(struct roger_dockerfile **out, const char *text,
			   size_t len, const char *name, struct roger_err *err);
void roger_dockerfile_free(struct roger_dockerfile *df);

/*
 * Split shell-form arguments into words as Docker does for ENV, LABEL,
 * ARG, EXPOSE and FROM: white space separates, single quotes keep
 * everything, double quotes keep everything but the escape character
 * before '"', the escape character and '$', and outside quotes the escape
 * character keeps the next character.  The words are new strings in a
 * NULL-terminated array (*out, freed with roger_dockerfile_words_free).
 * ROGER_EINVALID for an unterminated quote.
 */
int roger_dockerfile_words(char ***out, const char *args, char escape,
			   struct roger_err *err);
void roger_dockerfile_words_free(char **words);

/* A variable of substitute(): NAME and its value (NULL: unset). */
struct roger_dockerfile_var {
	const char *name;
	const char *value;
};

/*
 * `s` with $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} replaced from
 * `vars` (the last of a name wins; unset names give ""), the escape
 * character before '$' keeping it literal, as a new string in *out.
 * ROGER_EINVALID for an unterminated "${" or a modifier other than :- and
 * :+ (the message names it); ROGER_ENOMEM.
 */
int roger_dockerfile_substitute(char **out, const char *s, char escape,
				const struct roger_dockerfile_var *vars,
				size_t n_vars, struct roger_err *err);

#endif
