/*
 * err.h - the one error model of libroger.
 *
 * Every fallible function returns 0 (or a non-negative count) on success and
 * a negative enum roger_error on failure.  Detail travels in an optional
 * struct roger_err passed as the last argument: the code again plus a
 * one-line, lower-case message that names the subject (file:line:column, a
 * JSON path, a URL...).  The command layer prints that message after a
 * "roger: " prefix and turns the code into an exit status with
 * roger_exit_status(); that mapping and the exit-status table exist once,
 * here, as X-macros.
 */
#ifndef ROGER_ERR_H
#define ROGER_ERR_H

#include <stdarg.h>

#include "common.h"

ROGER_BEGIN_DECLS

/*
 * X(name, value, exit status, description).  Only failures a caller can act
 * on get their own code; anything else is ROGER_ERROR.
 */
/* One entry a line, as t0001 reads them: */
/* clang-format off */
#define ROGER_ERROR_TABLE(X)                                                   \
	X(ROGER_ERROR, -1, 1, "failure")                                       \
	X(ROGER_ENOMEM, -2, 1, "out of memory")                                \
	X(ROGER_EUSAGE, -3, 2, "usage error")                                  \
	X(ROGER_EINVALID, -4, 3, "invalid configuration or app definition")    \
	X(ROGER_ENOTFOUND, -5, 1, "not found")                                 \
	X(ROGER_EEXISTS, -6, 1, "already exists")                              \
	X(ROGER_EIO, -7, 1, "input/output error")                              \
	X(ROGER_ENET, -8, 4, "cluster unreachable")                            \
	X(ROGER_EAUTH, -9, 4, "authentication or authorization refused")       \
	X(ROGER_EHTTP, -10, 1, "unexpected HTTP response")                     \
	X(ROGER_ECONFLICT, -11, 7, "conflict with a deployment in progress")   \
	X(ROGER_EDEPLOY, -12, 5, "deployment failed")                          \
	X(ROGER_ETIMEOUT, -13, 6, "timed out")                                 \
	X(ROGER_EINTR, -14, 130, "interrupted")                                \
	X(ROGER_EDIRTY, -15, 1, "work tree has uncommitted changes")
/* clang-format on */

enum roger_error {
	ROGER_OK = 0,
#define ROGER_ERR_ENUM_(name, value, status, text) name = value,
	ROGER_ERROR_TABLE(ROGER_ERR_ENUM_)
#undef ROGER_ERR_ENUM_
};

/*
 * X(name, status, meaning): the exit statuses of every roger command, as
 * documented in roger(1) EXIT STATUS (a test keeps the two equal).
 */
/* One entry a line, as t0001 reads them: */
/* clang-format off */
#define ROGER_EXIT_TABLE(X)                                                    \
	X(ROGER_EXIT_OK, 0, "success")                                         \
	X(ROGER_EXIT_FAILURE, 1, "failure not listed below; for diff: differences found") \
	X(ROGER_EXIT_USAGE, 2, "usage error")                                  \
	X(ROGER_EXIT_INVALID, 3, "invalid configuration or app definition (ours, or refused by Marathon with 4xx validation)") \
	X(ROGER_EXIT_UNREACHABLE, 4, "cluster unreachable, or authentication/authorization refused") \
	X(ROGER_EXIT_DEPLOY_FAILED, 5, "deployment failed (rolled back unless --no-rollback)") \
	X(ROGER_EXIT_TIMEOUT, 6, "timed out waiting; the deployment is left running and the message says how to inspect or cancel it") \
	X(ROGER_EXIT_CONFLICT, 7, "conflict: another deployment holds the app and --force was not given") \
	X(ROGER_EXIT_INTERRUPTED, 130, "interrupted; what was in flight is reported")
/* clang-format on */

enum roger_exit {
#define ROGER_EXIT_ENUM_(name, status, text) name = status,
	ROGER_EXIT_TABLE(ROGER_EXIT_ENUM_)
#undef ROGER_EXIT_ENUM_
};

#define ROGER_ERR_MSG_MAX 1024

struct roger_err {
	int code; /* an enum roger_error, 0 when nothing was set */
	int http_status; /* the HTTP status behind the error, 0 if none */
	char msg[ROGER_ERR_MSG_MAX];
};

#define ROGER_ERR_INIT    \
	{                 \
		0, 0,     \
		{         \
			0 \
		}         \
	}

/*
 * Record `code` and a printf-style message in `err` (which may be NULL) and
 * return `code`, so that `return roger_err_set(err, ROGER_EINVALID, ...)`
 * reports and fails in one line.  A message longer than the buffer is cut.
 */
ROGER_EXTERN int roger_err_set(struct roger_err *err, int code, const char *fmt,
			       ...) ROGER_PRINTF(3, 4);
ROGER_EXTERN int roger_err_setv(struct roger_err *err, int code,
				const char *fmt, va_list ap) ROGER_PRINTF(3, 0);

/* Like roger_err_set, but keeps the existing message after "prefix: ". */
ROGER_EXTERN int roger_err_prefix(struct roger_err *err, const char *fmt, ...)
	ROGER_PRINTF(2, 3);

/* Forget what `err` held (NULL is fine). */
ROGER_EXTERN void roger_err_clear(struct roger_err *err);

/* Static text for a code ("not found"); "unknown error" for others. */
ROGER_EXTERN const char *roger_strerror(int code);

/* The exit status a command returns for `code` (0 for codes >= 0). */
ROGER_EXTERN int roger_exit_status(int code);

ROGER_END_DECLS

#endif
