/*
 * ctx.h - the library context handed to every libroger call that needs the
 * world: where log messages go, how the environment and the clock are read,
 * and whether the user asked to stop.
 *
 * The library never prints.  It reports through roger_log(), which hands the
 * message to the log function the program installed (kmod/ndctl style); the
 * default one drops everything.  Pure modules do not take a context at all.
 * Tests replace the environment and clock functions to stay hermetic.
 */
#ifndef ROGER_CTX_H
#define ROGER_CTX_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"

ROGER_BEGIN_DECLS

struct roger_err;

enum roger_log_level {
	ROGER_LOG_ERR = 3,
	ROGER_LOG_WARN = 4,
	ROGER_LOG_NOTICE = 5,
	ROGER_LOG_INFO = 6,
	ROGER_LOG_DEBUG = 7,
	ROGER_LOG_TRACE = 8, /* every HTTP request, as a curl command line */
};

typedef void (*roger_log_fn)(void *data, int level, const char *fmt,
			     va_list ap);
typedef const char *(*roger_getenv_fn)(void *data, const char *name);
/* Milliseconds since an arbitrary epoch (wall clock when `wall` is set). */
typedef int64_t (*roger_clock_fn)(void *data, bool wall);

struct roger_ctx;

/* A new context: log level WARN, no log function, the process environment. */
ROGER_EXTERN int roger_ctx_new(struct roger_ctx **out, struct roger_err *err);
ROGER_EXTERN void roger_ctx_free(struct roger_ctx *ctx);

ROGER_EXTERN void roger_ctx_set_log_fn(struct roger_ctx *ctx, roger_log_fn fn,
				       void *data);
ROGER_EXTERN void roger_ctx_set_log_level(struct roger_ctx *ctx, int level);
ROGER_EXTERN int roger_ctx_log_level(const struct roger_ctx *ctx);
ROGER_EXTERN void roger_ctx_set_getenv_fn(struct roger_ctx *ctx,
					  roger_getenv_fn fn, void *data);
ROGER_EXTERN void roger_ctx_set_clock_fn(struct roger_ctx *ctx,
					 roger_clock_fn fn, void *data);
/*
 * The flag a signal handler raises when the user interrupts (borrowed; it
 * must outlive the context).  Long operations poll it and return
 * ROGER_EINTR.
 */
ROGER_EXTERN void roger_ctx_set_interrupt_flag(struct roger_ctx *ctx,
					       volatile sig_atomic_t *flag);
ROGER_EXTERN bool roger_ctx_interrupted(const struct roger_ctx *ctx);

/*
 * Whether roger.json's `marathon` fragments are checked against the
 * Marathon app schema (the default), or a key the schema does not know
 * passes, for a field newer than Marathon 1.10 (--no-schema-check).
 * roger_project_load() asks; NULL is the default.
 */
ROGER_EXTERN void roger_ctx_set_schema_check(struct roger_ctx *ctx, bool on);
ROGER_EXTERN bool roger_ctx_schema_check(const struct roger_ctx *ctx);

/* An environment variable through the context; NULL when unset or empty. */
ROGER_EXTERN const char *roger_ctx_getenv(const struct roger_ctx *ctx,
					  const char *name);
ROGER_EXTERN int64_t roger_ctx_now_ms(const struct roger_ctx *ctx);
ROGER_EXTERN int64_t roger_ctx_wall_ms(const struct roger_ctx *ctx);

ROGER_EXTERN void roger_log(const struct roger_ctx *ctx, int level,
			    const char *fmt, ...) ROGER_PRINTF(3, 4);
ROGER_EXTERN void roger_vlog(const struct roger_ctx *ctx, int level,
			     const char *fmt, va_list ap) ROGER_PRINTF(3, 0);
ROGER_EXTERN bool roger_log_enabled(const struct roger_ctx *ctx, int level);

#define roger_warn(ctx, ...) roger_log(ctx, ROGER_LOG_WARN, __VA_ARGS__)
#define roger_info(ctx, ...) roger_log(ctx, ROGER_LOG_INFO, __VA_ARGS__)
#define roger_debug(ctx, ...) roger_log(ctx, ROGER_LOG_DEBUG, __VA_ARGS__)

ROGER_END_DECLS

#endif
