/*
 * errors.c - error codes, their names and exit codes, and the one-line
 * message kept in the context for the CLI to print.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "internal.h"

static const struct {
	int		 code;
	int		 exit_code;
	const char	*text;
} errors[] = {
	{ CERTSEAL_OK,			0, "success" },
	{ CERTSEAL_E_INTERNAL,		1, "internal error" },
	{ CERTSEAL_E_USAGE,		2, "usage error" },
	{ CERTSEAL_E_NO_KEY,		3, "no key for any recipient" },
	{ CERTSEAL_E_INTEGRITY,		4, "integrity error" },
	{ CERTSEAL_E_POLICY,		5, "refused by policy" },
	{ CERTSEAL_E_TOKEN,		6, "token error" },
	{ CERTSEAL_E_NOMEM,		1, "out of memory" },
	{ CERTSEAL_E_IO,		1, "input/output error" },
	{ CERTSEAL_E_NOT_FOUND,		1, "not found" },
	{ CERTSEAL_E_PERMISSION,	1, "unsafe permissions" },
	{ CERTSEAL_E_STATE,		1, "not possible in this state" },
	{ CERTSEAL_E_BAD_URI,		2, "bad URI" },
	{ CERTSEAL_E_UNSUPPORTED,	2, "unsupported" },
	{ CERTSEAL_E_UNTRUSTED,		4, "no trusted signer" },
	{ CERTSEAL_E_BAD_SIGNATURE,	4, "bad signature" },
	{ CERTSEAL_E_DECRYPT,		4, "decryption failed" },
	{ CERTSEAL_E_UNSIGNED,		5, "unsigned configuration refused" },
	{ CERTSEAL_E_PLAINTEXT,		5, "plaintext configuration refused" },
	{ CERTSEAL_E_ROLLBACK,		5, "rollback to an older sequence" },
	{ CERTSEAL_E_ALGORITHM,		5, "algorithm not allowed" },
	{ CERTSEAL_E_EXPIRED,		5, "certificate expired" },
	{ CERTSEAL_E_TOO_LARGE,		5, "over the size limit" },
	{ CERTSEAL_E_PIN_INCORRECT,	6, "PIN or password incorrect" },
	{ CERTSEAL_E_PIN_LOCKED,	6, "PIN locked" },
	{ CERTSEAL_E_NO_PIN,		6, "no PIN or password available" },
	{ CERTSEAL_E_TOKEN_ABSENT,	6, "token not present" },
	{ CERTSEAL_E_MODULE,		6, "PKCS#11 module not loadable" },
};

const char *
certseal_strerror(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == err)
			return errors[i].text;
	return "unknown error";
}

int
certseal_exit_code(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == err)
			return errors[i].exit_code;
	return 1;
}

const char *
certseal_version(void)
{
	return PACKAGE_VERSION;
}

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

	if (ctx == NULL) {
		ERR_clear_error();
		return err;
	}
	va_start(ap, fmt);
	vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
	va_end(ap);
	append_openssl_reason(ctx->errmsg, sizeof(ctx->errmsg));
	return err;
}

void
cs_error_prefix(certseal_ctx *ctx, const char *fmt, ...)
{
	char prefix[CS_ERRMSG_MAX], old[CS_ERRMSG_MAX];
	va_list ap;

	if (ctx == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, ctx->errmsg, sizeof(old));
	/* Truncation is fine: the message is for people. */
	if (snprintf(ctx->errmsg, sizeof(ctx->errmsg), "%.400s: %.600s",
	    prefix, old) < 0)
		ctx->errmsg[0] = '\0';
}

void
cs_warn(certseal_ctx *ctx, const char *fmt, ...)
{
	char msg[CS_ERRMSG_MAX];
	va_list ap;

	if (ctx == NULL || ctx->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->log(msg, ctx->log_arg);
}

void
cs_error_clear(certseal_ctx *ctx)
{
	if (ctx != NULL)
		ctx->errmsg[0] = '\0';
	ERR_clear_error();
}

const char *
certseal_ctx_last_error(const certseal_ctx *ctx)
{
	return ctx == NULL ? "" : ctx->errmsg;
}
