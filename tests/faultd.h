/*
 * faultd.h - run tests/faultd.py (the scripted fault server) from a Check
 * test: start it on a free loopback port with a script, read back the
 * requests it logged, stop it.
 *
 * It runs under $PYTHON when set (else python3 from PATH).  The server
 * exits by itself when the test process that started it exits,
 * so a failing test (Check's fork mode ends it at the failed assertion)
 * leaves no process behind; its temporary directory lives under the
 * directory of faultd_tmp_init(), which the test program removes at exit.
 */
#ifndef ROGER_TEST_FAULTD_H
#define ROGER_TEST_FAULTD_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct faultd {
	pid_t pid;
	int port;
	char dir[1024]; /* holds script.json and requests.jsonl */
	char log[1100];
	char url[64]; /* "http://127.0.0.1:PORT" */
};

/* Create the per-program temporary directory (call from main, once). */
void faultd_tmp_init(void);
/* Remove it and everything under it (call from main, at the end). */
void faultd_tmp_cleanup(void);
/* The per-program temporary directory. */
const char *faultd_tmp_dir(void);

/*
 * Start faultd with `script` (see the top of tests/faultd.py).  Single
 * quotes in `script` are turned into double quotes, so JSON reads well in
 * C: "[{'match': 'GET /x', 'status': 503}]".  Fails the test on error.
 */
void faultd_start(struct faultd *f, const char *script);
/* Start with the script text exactly as given (no quote conversion). */
void faultd_start_raw(struct faultd *f, const char *script);
/*
 * Start an HTTPS server with the certificate and key files (f->url is then
 * "https://127.0.0.1:PORT").  Quotes are converted as by faultd_start().
 */
void faultd_start_tls(struct faultd *f, const char *script, const char *cert,
		      const char *key);
void faultd_stop(struct faultd *f);

/* The requests logged so far, as a JSON array (new reference). */
json_t *faultd_requests(const struct faultd *f);
/* How many logged requests have `method` and a path starting with `path`. */
size_t faultd_count(const struct faultd *f, const char *method,
		    const char *path);

#endif
