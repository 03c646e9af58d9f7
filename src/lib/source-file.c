/*
 * source-file.c - PLACEHOLDER: the file: CertificateSource is being written.
 * Until then the scheme parses nothing and says so.
 */
#include "config.h"

#include <stdlib.h>

#include "internal.h"
#include "source.h"

static int
file_new(certseal_ctx *ctx, const char *uri, struct cs_source **out)
{
	*out = NULL;
	return cs_error(ctx, CERTSEAL_E_UNSUPPORTED,
	    "%s: the file: scheme is not available in this build", uri);
}

static void
file_free(struct cs_source *src)
{
	cs_source_release(src);
	free(src);
}

static int
file_find_key(struct cs_source *src, const struct cs_recipient_id *id,
    const struct cs_key **out)
{
	*out = NULL;
	return CERTSEAL_E_NO_KEY;
}

static int
file_trusted_signers(struct cs_source *src, STACK_OF(X509) *into)
{
	return 0;
}

const struct cs_source_ops cs_source_file_ops = {
	.scheme = "file",
	.new = file_new,
	.free = file_free,
	.find_key = file_find_key,
	.trusted_signers = file_trusted_signers,
};
