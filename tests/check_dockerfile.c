/*
 * check_dockerfile.c - unit tests of lib/dockerfile.c: Dockerfiles as
 * people write them (continuations, comments inside them, both argument
 * forms, here-documents, the escape directive), the words of ENV and
 * FROM, ARG substitution, and what is refused.
 */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile.h"
#include "lib/err.h"

static struct roger_dockerfile *parse_ok(const char *text)
{
	struct roger_dockerfile *df = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_msg(roger_dockerfile_parse(&df, text, strlen(text),
					     "Dockerfile", &err) == 0,
		      "refused: %s", err.msg);
	return df;
}

static void parse_fails(const char *text, size_t len, const char *words)
{
	struct roger_dockerfile *df = NULL;
	struct roger_err err = ROGER_ERR_INIT;

	ck_assert_int_eq(
		roger_dockerfile_parse(&df, text, len, "Dockerfile", &err),
		ROGER_EINVALID);
	ck_assert_ptr_null(df);
	ck_assert_msg(strstr(err.msg, words), "'%s' not in '%s'", words,
		      err.msg);
}

static void instr_is(const struct roger_dockerfile *df, size_t i,
		     const char *keyword, const char *args, unsigned line)
{
	ck_assert_uint_gt(df->n, i);
	ck_assert_str_eq(df->instrs[i].keyword, keyword);
	ck_assert_str_eq(df->instrs[i].args, args);
	ck_assert_uint_eq(df->instrs[i].line, line);
}

START_TEST(test_dockerfile_node_app)
{
	struct roger_dockerfile *df =
		parse_ok("# syntax=docker/dockerfile:1\n"
			 "FROM node:20-bookworm-slim AS base\n"
			 "\n"
			 "# the app\n"
			 "WORKDIR /usr/src/app\n"
			 "ENV NODE_ENV=production PORT=8080\n"
			 "COPY package*.json ./\n"
			 "RUN npm ci --omit=dev \\\n"
			 "    && npm cache clean --force\n"
			 "COPY . .\n"
			 "USER node\n"
			 "EXPOSE 8080/tcp\n"
			 "cmd [\"node\", \"server.js\"]\n");

	ck_assert_uint_eq(df->n, 9);
	ck_assert_int_eq(df->escape, '\\');
	instr_is(df, 0, "FROM", "node:20-bookworm-slim AS base", 2);
	instr_is(df, 1, "WORKDIR", "/usr/src/app", 5);
	instr_is(df, 3, "COPY", "package*.json ./", 7);
	/* joined as Docker joins: no escape, no newline, spaces kept */
	instr_is(df, 4, "RUN",
		 "npm ci --omit=dev     && npm cache clean --force", 8);
	instr_is(df, 6, "USER", "node", 11);
	instr_is(df, 8, "CMD", "[\"node\", \"server.js\"]", 13);
	ck_assert(df->instrs[8].json);
	ck_assert_str_eq(df->instrs[8].argv[0], "node");
	ck_assert_str_eq(df->instrs[8].argv[1], "server.js");
	ck_assert_ptr_null(df->instrs[8].argv[2]);
	ck_assert(!df->instrs[4].json);
	ck_assert_ptr_null(df->instrs[4].argv);
	roger_dockerfile_free(df);
}
END_TEST

START_TEST(test_dockerfile_continuations)
{
	struct roger_dockerfile *df =
		parse_ok("FROM debian:12\r\n"
			 "RUN apt-get update && \\  \r\n"
			 "# a comment in the middle is dropped\n"
			 "\n"
			 "    apt-get install -y curl\n"
			 "ENV A=1 \\\n"
			 "    B=2\n"
			 "LABEL x=y \\");

	ck_assert_uint_eq(df->n, 4);
	instr_is(df, 1, "RUN", "apt-get update &&     apt-get install -y curl",
		 2);
	instr_is(df, 2, "ENV", "A=1     B=2", 6);
	/* an escape on the last line ends the file */
	instr_is(df, 3, "LABEL", "x=y", 8);
	roger_dockerfile_free(df);
}
END_TEST

START_TEST(test_dockerfile_escape_directive)
{
	struct roger_dockerfile *df =
		parse_ok("# escape=`\n"
			 "FROM mcr.microsoft.com/windows/servercore\n"
			 "COPY testfile.txt c:\\\n"
			 "RUN dir c:\\ `\n"
			 "  /s\n");

	ck_assert_int_eq(df->escape, '`');
	ck_assert_uint_eq(df->n, 3);
	instr_is(df, 1, "COPY", "testfile.txt c:\\", 3);
	instr_is(df, 2, "RUN", "dir c:\\   /s", 4);
	roger_dockerfile_free(df);

	/* a directive after anything else is a comment */
	df = parse_ok("FROM x\n# escape=`\nRUN a \\\n b\n");
	ck_assert_int_eq(df->escape, '\\');
	instr_is(df, 1, "RUN", "a  b", 3);
	roger_dockerfile_free(df);
}
END_TEST

START_TEST(test_dockerfile_heredoc)
{
	struct roger_dockerfile *df = parse_ok("FROM alpine\n"
					       "RUN <<EOF\n"
					       "apk add curl\n"
					       "FROM not-an-instruction\n"
					       "EOF\n"
					       "COPY <<-'CONF' /etc/app.conf\n"
					       "\tport=8080\n"
					       "\tCONF\n"
					       "RUN echo a <<< b\n");

	ck_assert_uint_eq(df->n, 4);
	instr_is(df, 1, "RUN",
		 "<<EOF\napk add curl\nFROM not-an-instruction\nEOF", 2);
	instr_is(df, 2, "COPY", "<<-'CONF' /etc/app.conf\nport=8080\nCONF", 6);
	/* a here-string is not a here-document */
	instr_is(df, 3, "RUN", "echo a <<< b", 9);
	roger_dockerfile_free(df);
}
END_TEST

START_TEST(test_dockerfile_json_or_shell)
{
	struct roger_dockerfile *df =
		parse_ok("ENTRYPOINT [\"/bin/tini\", \"--\"]\n"
			 "CMD [\"a\", 1]\n" /* not strings: shell form */
			 "CMD [broken\n"
			 "CMD [ ]\n"
			 "SHELL [\"/bin/bash\", \"-c\"]\n");

	ck_assert(df->instrs[0].json);
	ck_assert_str_eq(df->instrs[0].argv[1], "--");
	ck_assert(!df->instrs[1].json);
	ck_assert(!df->instrs[2].json);
	ck_assert(df->instrs[3].json);
	ck_assert_ptr_null(df->instrs[3].argv[0]);
	ck_assert(df->instrs[4].json);
	roger_dockerfile_free(df);
}
END_TEST

START_TEST(test_dockerfile_refused)
{
	parse_fails("FROM x\n\"RUN\" y\n", 15,
		    "Dockerfile:2: expected an instruction");
	parse_fails("FROM x\nRUN-IT y\n", 16, "got 'RUN-IT'");
	parse_fails("FROM x\nRUN <<EOF\nnever ends\n", 27,
		    "Dockerfile:2: the here-document 'EOF' never ends");
	parse_fails("# escape=/\nFROM x\n", 18,
		    "Dockerfile:1: invalid escape directive");
	parse_fails("FROM x\nRUN a\0b\n", 14, "Dockerfile:2: a NUL byte");
}
END_TEST

START_TEST(test_dockerfile_empty)
{
	struct roger_dockerfile *df =
		parse_ok("\xef\xbb\xbf# nothing\n\n   \n");

	ck_assert_uint_eq(df->n, 0);
	roger_dockerfile_free(df);
	df = parse_ok("");
	ck_assert_uint_eq(df->n, 0);
	roger_dockerfile_free(df);
}
END_TEST

static void words_are(const char *args, char escape, const char *const *want)
{
	struct roger_err err = ROGER_ERR_INIT;
	char **w = NULL;
	size_t i;

	ck_assert_msg(roger_dockerfile_words(&w, args, escape, &err) == 0,
		      "'%s': %s", args, err.msg);
	for (i = 0; want[i]; i++) {
		ck_assert_ptr_nonnull(w[i]);
		ck_assert_str_eq(w[i], want[i]);
	}
	ck_assert_ptr_null(w[i]);
	roger_dockerfile_words_free(w);
}

START_TEST(test_dockerfile_words)
{
	struct roger_err err = ROGER_ERR_INIT;
	char **w = NULL;

	words_are("A=1 B=\"two words\" C='it''s' D=a\\ b", '\\',
		  (const char *[]){ "A=1", "B=two words", "C=its", "D=a b",
				    NULL });
	words_are("MSG=\"say \\\"hi\\\" \\$HOME \\n\"", '\\',
		  (const char *[]){ "MSG=say \"hi\" $HOME \\n", NULL });
	words_are("  --platform=linux/amd64   base:1   AS   build ", '\\',
		  (const char *[]){ "--platform=linux/amd64", "base:1", "AS",
				    "build", NULL });
	words_are("P=c:\\dir X=`\"q`\"", '`',
		  (const char *[]){ "P=c:\\dir", "X=\"q\"", NULL });
	words_are("", '\\', (const char *[]){ NULL });
	ck_assert_int_eq(roger_dockerfile_words(&w, "A=\"open", '\\', &err),
			 ROGER_EINVALID);
	ck_assert_ptr_null(w);
	ck_assert(strstr(err.msg, "unterminated double quote"));
}
END_TEST

START_TEST(test_dockerfile_substitute)
{
	static const struct roger_dockerfile_var vars[] = {
		{ "VERSION", "20" },
		{ "VARIANT", "slim" },
		{ "EMPTY", "" },
		{ "VERSION", "22" }, /* the last wins */
	};
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "node:${VERSION}-${VARIANT}", "node:22-slim" },
		{ "node:$VERSION", "node:22" },
		{ "${UNSET:-debian}:${EMPTY:-12}", "debian:12" },
		{ "x${VARIANT:+-}${VARIANT}", "x-slim" },
		{ "x${EMPTY:+-y}", "x" },
		{ "$UNSET/repo", "/repo" },
		{ "cost \\$5 and $", "cost $5 and $" },
		{ "a$1b", "a$1b" },
	};
	struct roger_err err = ROGER_ERR_INIT;
	char *out = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(roger_dockerfile_substitute(&out, cases[i].in,
							  '\\', vars, 4,
							  &err) == 0,
			      "%s", err.msg);
		ck_assert_str_eq(out, cases[i].out);
		free(out);
	}
	ck_assert_int_eq(
		roger_dockerfile_substitute(&out, "${A", '\\', vars, 4, &err),
		ROGER_EINVALID);
	ck_assert_int_eq(roger_dockerfile_substitute(&out, "${A:=b}", '\\',
						     vars, 4, &err),
			 ROGER_EINVALID);
	ck_assert(strstr(err.msg, "${A:=b}"));
}
END_TEST

static Suite *dockerfile_suite(void)
{
	Suite *s = suite_create("dockerfile");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_dockerfile_node_app);
	tcase_add_test(tc, test_dockerfile_continuations);
	tcase_add_test(tc, test_dockerfile_escape_directive);
	tcase_add_test(tc, test_dockerfile_heredoc);
	tcase_add_test(tc, test_dockerfile_json_or_shell);
	tcase_add_test(tc, test_dockerfile_refused);
	tcase_add_test(tc, test_dockerfile_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("words");
	tcase_add_test(tc, test_dockerfile_words);
	tcase_add_test(tc, test_dockerfile_substitute);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dockerfile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
