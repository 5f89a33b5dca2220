/*
 * cli.c - messages, allocation that cannot fail and output helpers shared
 * by every command of the roger binary (the option parser is options.c).
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("roger: out of memory\n", stderr);
		exit(ROGER_EXIT_FAILURE);
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fputs("roger: out of memory\n", stderr);
		exit(ROGER_EXIT_FAILURE);
	}
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

void cli_json_set(json_t *obj, const char *key, json_t *value)
{
	if (!obj || !value || json_object_set_new(obj, key, value) < 0) {
		fputs("roger: out of memory\n", stderr);
		exit(ROGER_EXIT_FAILURE);
	}
}

/*
 * What the JSON error document needs at exit: the program's options, the
 * first error said (the cause; what follows are hints), and whether a
 * command printed a document of its own.
 */
static const struct cli *main_cli;
static char first_error[ROGER_ERR_MSG_MAX];
static bool doc_printed;

void cli_set_main(const struct cli *cli)
{
	main_cli = cli;
}

void cli_note_error(const char *fmt, va_list ap)
{
	if (!first_error[0])
		vsnprintf(first_error, sizeof(first_error), fmt, ap);
}

static void vmessage(const char *prefix, const char *fmt, va_list ap)
	ROGER_PRINTF(2, 0);

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	fputs("roger: ", stderr);
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_note_error(fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
}

void cli_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning: ", fmt, ap);
	va_end(ap);
}

int cli_fail(const struct roger_err *err)
{
	if (err->msg[0])
		cli_error("%s", err->msg);
	else
		cli_error("%s", roger_strerror(err->code));
	return roger_exit_status(err->code ? err->code : ROGER_ERROR);
}

void cli_update_context(struct cli *cli)
{
	int level = ROGER_LOG_WARN + cli->verbose * 2;
	const char *trace = getenv("ROGER_TRACE_HTTP");
	const char *lenient = getenv("ROGER_NO_SCHEMA_CHECK");

	if (!cli->ctx)
		return;
	roger_ctx_set_schema_check(cli->ctx, !cli->no_schema_check &&
						     !(lenient && *lenient &&
						       strcmp(lenient, "0")));
	if (cli->quiet)
		level = ROGER_LOG_ERR;
	/* libcurl's trace is logged at TRACE: asking for it asks for -vv. */
	if (trace && *trace && strcmp(trace, "0") && level < ROGER_LOG_TRACE)
		level = ROGER_LOG_TRACE;
	roger_ctx_set_log_level(cli->ctx, level);
}

int cli_parse_long(struct cli *cli, const char *what, const char *s, long min,
		   long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return cli_usage_error(
			cli,
			"invalid %s '%s': expected a whole number from %ld to %ld",
			what, s, min, max);
	*out = v;
	return 0;
}

const char *cli_color(const struct cli *cli, const char *what)
{
	static const struct {
		const char *name, *seq;
	} colors[] = {
		{ "red", "\033[31m" },     { "green", "\033[32m" },
		{ "yellow", "\033[33m" },  { "blue", "\033[34m" },
		{ "magenta", "\033[35m" }, { "cyan", "\033[36m" },
		{ "bold", "\033[1m" },     { "dim", "\033[2m" },
		{ "reset", "\033[m" },
	};

	if (!cli || !cli->color)
		return "";
	for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		if (!strcmp(colors[i].name, what))
			return colors[i].seq;
	return "";
}

/* "deploy_failed" for ROGER_EXIT_DEPLOY_FAILED: the names of the table. */
static const char *exit_code_name(int status, const char **meaning)
{
#define EXIT_NAME_(name, value, text) { value, #name, text },
	static const struct {
		int status;
		const char *name, *meaning;
	} names[] = { ROGER_EXIT_TABLE(EXIT_NAME_) };
#undef EXIT_NAME_

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].status == status) {
			*meaning = names[i].meaning;
			return names[i].name + strlen("ROGER_EXIT_");
		}
	}
	*meaning = "failure";
	return "FAILURE";
}

json_t *cli_error_json(int status)
{
	const char *meaning, *name = exit_code_name(status, &meaning);
	char code[64];
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof(code); i++)
		code[i] = (char)tolower((unsigned char)name[i]);
	code[i] = '\0';
	return json_pack("{s:s, s:s, s:i}", "message",
			 first_error[0] ? first_error : meaning, "code", code,
			 "exit", status);
}

void cli_print_error_doc(int status)
{
	json_t *doc;

	if (!status || !main_cli || main_cli->output != OUTPUT_JSON ||
	    doc_printed)
		return;
	/* one line: it may end the JSON lines of `roger logs -o json` */
	doc = json_pack("{s:o}", "error", cli_error_json(status));
	if (doc && json_dumpf(doc, stdout, JSON_COMPACT) == 0)
		fputc('\n', stdout);
	json_decref(doc);
	doc_printed = true;
}

int cli_print_json(struct cli *cli, const json_t *doc)
{
	(void)cli;
	doc_printed = true;
	if (json_dumpf(doc, stdout,
		       JSON_INDENT(2) | JSON_ENCODE_ANY |
			       JSON_REAL_PRECISION(15)) < 0)
		return ROGER_EXIT_FAILURE;
	fputc('\n', stdout);
	return ROGER_EXIT_OK;
}

int cli_print_doc(struct cli *cli, json_t *doc)
{
	int status;

	if (!doc) {
		cli_error("out of memory");
		return ROGER_EXIT_FAILURE;
	}
	status = cli_print_json(cli, doc);
	json_decref(doc);
	return status;
}

bool cli_confirm(struct cli *cli, const char *what)
{
	char line[16];

	if (cli->yes)
		return true;
	if (!cli->stdin_tty) {
		cli_error(
			"%s needs confirmation and standard input is not a terminal; pass --yes",
			what);
		return false;
	}
	fprintf(stderr, "%s? [y/N] ", what);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}
