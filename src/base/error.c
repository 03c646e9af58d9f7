/*
 * error.c - the one-line error message and warnings, recorded in the
 * context through the base's view of it (cs_ctx_errbuf, cs_ctx_logger).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "base.h"

/* Appends the first OpenSSL reason, if any, and clears the queue. */
static void
append_openssl_reason(char *buf, size_t size)
{
	unsigned long e;
	const char *reason;
	size_t used;

	e = ERR_peek_error();
	if (e != 0 && (reason = ERR_reason_error_string(e)) != NULL) {
		used = strlen(buf);
		if (used < size)
			snprintf(buf + used, size - used, " (%s)", reason);
	}
	ERR_clear_error();
}

int
cs_error(certseal_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	size_t size;

	if (ctx == NULL) {
		ERR_clear_error();
		return err;
	}
	buf = cs_ctx_errbuf(ctx, &size);
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	append_openssl_reason(buf, size);
	return err;
}

void
cs_error_prefix(certseal_ctx *ctx, const char *fmt, ...)
{
	char prefix[CS_ERRMSG_MAX], old[CS_ERRMSG_MAX], *buf;
	va_list ap;
	size_t size;

	if (ctx == NULL)
		return;
	buf = cs_ctx_errbuf(ctx, &size);
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(old, sizeof(old), "%s", buf);
	/* Truncation is fine: the message is for people. */
	if (snprintf(buf, size, "%.400s: %.600s", prefix, old) < 0)
		buf[0] = '\0';
}

void
cs_warn(certseal_ctx *ctx, const char *fmt, ...)
{
	char msg[CS_ERRMSG_MAX];
	certseal_log_fn log;
	void *arg;
	va_list ap;

	if (ctx == NULL || (log = cs_ctx_logger(ctx, &arg)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log(msg, arg);
}

void
cs_error_clear(certseal_ctx *ctx)
{
	char *buf;
	size_t size;

	if (ctx != NULL) {
		buf = cs_ctx_errbuf(ctx, &size);
		if (size > 0)
			buf[0] = '\0';
	}
	ERR_clear_error();
}

