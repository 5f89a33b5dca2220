/*
 * regd.h - run tests/registryd.py (Debian's docker-registry on a loopback
 * port, with the certificates, htpasswd and token server a test asks for)
 * from a Check test, and read its access log.
 *
 * Like faultd, the helper exits when the test process that started it
 * exits, and its directory lives under faultd_tmp_dir().
 */
#ifndef ROGER_TEST_REGD_H
#define ROGER_TEST_REGD_H

#include <stddef.h>
#include <sys/types.h>

struct regd {
	pid_t pid;
	char dir[1024];
	char url[128]; /* "http://127.0.0.1:PORT" or https */
	char host[64]; /* "127.0.0.1:PORT" */
	char ca[1100]; /* the CA file with --tls, else "" */
	char token_url[128]; /* with --auth token, else "" */
};

/*
 * Why the registry cannot run here (docker-registry or openssl missing),
 * or NULL.
 */
const char *regd_skip_reason(void);

/*
 * Start a registry with the options of registryd.py, space-separated
 * ("", "--auth basic --tls", "--auth token --anonymous-pull").  Fails the
 * test when it does not come up.
 */
void regd_start(struct regd *r, const char *args);
void regd_stop(struct regd *r);

/* Lines of the access log so far (a mark for regd_count). */
size_t regd_lines(const struct regd *r);

/*
 * Requests logged after line `mark` whose method is `method` ("*": any)
 * and whose URI starts with `prefix`.
 */
size_t regd_count(const struct regd *r, size_t mark, const char *method,
		  const char *prefix);

/* The same over the token server's log (token requests). */
size_t regd_token_requests(const struct regd *r);

/* The access log after line `mark`, for failure messages (static buffer). */
const char *regd_log_since(const struct regd *r, size_t mark);

#endif
