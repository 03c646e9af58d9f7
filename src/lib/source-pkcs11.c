/*
 * source-pkcs11.c - PLACEHOLDER: the pkcs11: CertificateSource is being written.
 * Until then the scheme parses nothing and says so.
 */
#include "config.h"

#include <stdlib.h>

#include "internal.h"
#include "source.h"

static int
pkcs11_new(certseal_ctx *ctx, const char *uri, struct cs_source **out)
{
	*out = NULL;
	return cs_error(ctx, CERTSEAL_E_UNSUPPORTED,
	    "%s: the pkcs11: scheme is not available in this build", uri);
}

static void
pkcs11_free(struct cs_source *src)
{
	cs_source_release(src);
	free(src);
}

static int
pkcs11_find_key(struct cs_source *src, const struct cs_recipient_id *id,
    const struct cs_key **out)
{
	*out = NULL;
	return CERTSEAL_E_NO_KEY;
}

static int
pkcs11_trusted_signers(struct cs_source *src, STACK_OF(X509) *into)
{
	return 0;
}

const struct cs_source_ops cs_source_pkcs11_ops = {
	.scheme = "pkcs11",
	.new = pkcs11_new,
	.free = pkcs11_free,
	.find_key = pkcs11_find_key,
	.trusted_signers = pkcs11_trusted_signers,
};
