/*
 * err.c - error detail and the error-code to exit-status mapping.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "err.h"

int roger_err_setv(struct roger_err *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int roger_err_set(struct roger_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	roger_err_setv(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int roger_err_prefix(struct roger_err *err, const char *fmt, ...)
{
	char prefix[ROGER_ERR_MSG_MAX];
	char old[ROGER_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return ROGER_ERROR;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return err->code ? err->code : ROGER_ERROR;
}

void roger_err_clear(struct roger_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->http_status = 0;
	err->msg[0] = '\0';
}

const char *roger_strerror(int code)
{
	switch (code) {
	case ROGER_OK:
		return "success";
#define ROGER_ERR_TEXT_(name, value, status, text) \
	case name:                                 \
		return text;
		ROGER_ERROR_TABLE(ROGER_ERR_TEXT_)
#undef ROGER_ERR_TEXT_
	}
	return "unknown error";
}

int roger_exit_status(int code)
{
	if (code >= 0)
		return ROGER_EXIT_OK;
	switch (code) {
#define ROGER_ERR_EXIT_(name, value, status, text) \
	case name:                                 \
		return status;
		ROGER_ERROR_TABLE(ROGER_ERR_EXIT_)
#undef ROGER_ERR_EXIT_
	}
	return ROGER_EXIT_FAILURE;
}
