/*
 * errors.c - error codes, their names and exit codes, and the context's
 * side of the one-line message (recorded by src/base/error.c) for the CLI
 * to print.
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

/* The base's view of a context (src/base/base.h). */
char *
cs_ctx_errbuf(certseal_ctx *ctx, size_t *size)
{
	*size = sizeof(ctx->errmsg);
	return ctx->errmsg;
}

certseal_log_fn
cs_ctx_logger(certseal_ctx *ctx, void **arg)
{
	*arg = ctx->log_arg;
	return ctx->log;
}

certseal_prompt_fn
cs_ctx_prompter(certseal_ctx *ctx, void **arg)
{
	*arg = ctx->prompt_arg;
	if ((ctx->flags & CERTSEAL_FLAG_NO_PROMPT) != 0)
		return NULL;
	return ctx->prompt;
}

const char *
certseal_ctx_last_error(const certseal_ctx *ctx)
{
	return ctx == NULL ? "" : ctx->errmsg;
}
