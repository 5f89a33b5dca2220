/*
 * installcheck.c - a program of a third party, built by `make
 * installcheck` against the installed libroger with nothing but
 * `pkg-config --cflags --libs libroger`, then run.  It proves that the
 * installed headers are complete (none includes a header that is not
 * installed), that they compile as C and, through their extern "C"
 * guards, as C++, and that the library links and works: a roger.json is
 * parsed into its app id, a broken one is refused with the documented
 * code and exit status, and a buffer, the context and the version are
 * used the way a program uses them.
 */
#include <stdio.h>
#include <string.h>

#include <roger/roger.h>

static const char good[] =
	"{\"version\": 1, \"app\": \"hello\", \"group\": \"/web\",\n"
	" \"marathon\": {\"cmd\": \"./hello\", \"instances\": 2}}\n";
static const char bad[] = "{\"version\": 1, \"marathon\": {}}";

int main(void)
{
	struct roger_err err = ROGER_ERR_INIT;
	struct roger_buf b = ROGER_BUF_INIT;
	struct roger_project *p = NULL;
	struct roger_ctx *ctx = NULL;
	int rc, status = 1;

	if (roger_ctx_new(&ctx, &err) < 0)
		goto out;
	if (roger_project_parse(&p, "roger.json", good, strlen(good), &err) < 0)
		goto out;
	if (strcmp(p->id, "/web/hello") != 0) {
		roger_err_set(&err, ROGER_ERROR, "app id '%s'", p->id);
		goto out;
	}
	roger_project_free(p);
	p = NULL;
	rc = roger_project_parse(&p, "roger.json", bad, strlen(bad), &err);
	if (rc != ROGER_EINVALID || roger_exit_status(rc) != 3 ||
	    !strstr(err.msg, "missing 'app'")) {
		fprintf(stderr,
			"installcheck: a roger.json without 'app': %d, '%s'\n",
			rc, err.msg);
		goto out;
	}
	roger_err_clear(&err);
	if (roger_buf_addf(&b, "libroger %s: %s", roger_version(),
			   "/web/hello") < 0) {
		roger_err_set(&err, ROGER_ENOMEM, "out of memory");
		goto out;
	}
	puts(b.buf);
	status = 0;
out:
	if (status && err.msg[0])
		fprintf(stderr, "installcheck: %s\n", err.msg);
	roger_buf_release(&b);
	roger_project_free(p);
	roger_ctx_free(ctx);
	return status;
}
