/*
 * ctx.c - library context: logging callback, environment, clock, interrupt.
 */
#include <config.h>

#include <stdlib.h>
#include <time.h>

#include "ctx.h"
#include "err.h"
#include "util.h"

struct roger_ctx {
	roger_log_fn log_fn;
	void *log_data;
	int log_level;
	roger_getenv_fn getenv_fn;
	void *getenv_data;
	roger_clock_fn clock_fn;
	void *clock_data;
	volatile sig_atomic_t *interrupted;
	bool no_schema_check;
};

static const char *process_getenv(void *data, const char *name)
{
	(void)data;
	return getenv(name);
}

static int64_t process_clock(void *data, bool wall)
{
	(void)data;
	return roger_clock_ms(wall ? CLOCK_REALTIME : CLOCK_MONOTONIC);
}

int roger_ctx_new(struct roger_ctx **out, struct roger_err *err)
{
	struct roger_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return roger_err_set(err, ROGER_ENOMEM, "out of memory");
	ctx->log_level = ROGER_LOG_WARN;
	ctx->getenv_fn = process_getenv;
	ctx->clock_fn = process_clock;
	*out = ctx;
	return 0;
}

void roger_ctx_free(struct roger_ctx *ctx)
{
	free(ctx);
}

void roger_ctx_set_log_fn(struct roger_ctx *ctx, roger_log_fn fn, void *data)
{
	ctx->log_fn = fn;
	ctx->log_data = data;
}

void roger_ctx_set_log_level(struct roger_ctx *ctx, int level)
{
	ctx->log_level = level;
}

int roger_ctx_log_level(const struct roger_ctx *ctx)
{
	return ctx->log_level;
}

void roger_ctx_set_getenv_fn(struct roger_ctx *ctx, roger_getenv_fn fn,
			     void *data)
{
	ctx->getenv_fn = fn ? fn : process_getenv;
	ctx->getenv_data = data;
}

void roger_ctx_set_clock_fn(struct roger_ctx *ctx, roger_clock_fn fn,
			    void *data)
{
	ctx->clock_fn = fn ? fn : process_clock;
	ctx->clock_data = data;
}

void roger_ctx_set_interrupt_flag(struct roger_ctx *ctx,
				  volatile sig_atomic_t *flag)
{
	ctx->interrupted = flag;
}

void roger_ctx_set_schema_check(struct roger_ctx *ctx, bool on)
{
	ctx->no_schema_check = !on;
}

bool roger_ctx_schema_check(const struct roger_ctx *ctx)
{
	return !ctx || !ctx->no_schema_check;
}

bool roger_ctx_interrupted(const struct roger_ctx *ctx)
{
	return ctx && ctx->interrupted && *ctx->interrupted;
}

const char *roger_ctx_getenv(const struct roger_ctx *ctx, const char *name)
{
	const char *v;

	if (!ctx)
		v = getenv(name);
	else
		v = ctx->getenv_fn(ctx->getenv_data, name);
	return v && *v ? v : NULL;
}

int64_t roger_ctx_now_ms(const struct roger_ctx *ctx)
{
	return ctx ? ctx->clock_fn(ctx->clock_data, false)
		   : process_clock(NULL, false);
}

int64_t roger_ctx_wall_ms(const struct roger_ctx *ctx)
{
	return ctx ? ctx->clock_fn(ctx->clock_data, true)
		   : process_clock(NULL, true);
}

bool roger_log_enabled(const struct roger_ctx *ctx, int level)
{
	return ctx && ctx->log_fn && level <= ctx->log_level;
}

void roger_vlog(const struct roger_ctx *ctx, int level, const char *fmt,
		va_list ap)
{
	if (!roger_log_enabled(ctx, level))
		return;
	ctx->log_fn(ctx->log_data, level, fmt, ap);
}

void roger_log(const struct roger_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	roger_vlog(ctx, level, fmt, ap);
	va_end(ap);
}
