/*
 * context.c - the certseal context: sources in order, flags, callbacks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "source.h"

int
certseal_ctx_new(certseal_ctx **out)
{
	certseal_ctx *ctx;

	*out = NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return CERTSEAL_E_NOMEM;
	*out = ctx;
	return 0;
}

void
certseal_ctx_free(certseal_ctx *ctx)
{
	size_t i;

	if (ctx == NULL)
		return;
	for (i = 0; i < ctx->nsources; i++)
		cs_source_free(ctx->sources[i]);
	free(ctx->sources);
	free(ctx->state_dir);
	free(ctx);
}

size_t
cs_ctx_source_count(const certseal_ctx *ctx)
{
	return ctx->nsources;
}

struct cs_source *
cs_ctx_source(const certseal_ctx *ctx, size_t i)
{
	return i < ctx->nsources ? ctx->sources[i] : NULL;
}

int
certseal_ctx_add_source(certseal_ctx *ctx, const char *uri)
{
	struct cs_source *src = NULL, **grown;
	int r;

	cs_error_clear(ctx);
	if (uri == NULL || *uri == '\0')
		return cs_error(ctx, CERTSEAL_E_BAD_URI,
		    "empty CertificateSource URI");
	if ((r = cs_source_new(ctx, uri, &src)) != 0)
		return r;
	grown = realloc(ctx->sources, (ctx->nsources + 1) * sizeof(*grown));
	if (grown == NULL) {
		cs_source_free(src);
		return cs_nomem(ctx);
	}
	ctx->sources = grown;
	ctx->sources[ctx->nsources++] = src;
	return 0;
}

void
certseal_ctx_set_flags(certseal_ctx *ctx, unsigned int flags)
{
	ctx->flags = flags;
}

unsigned int
certseal_ctx_get_flags(const certseal_ctx *ctx)
{
	return ctx->flags;
}

void
certseal_ctx_set_prompt(certseal_ctx *ctx, certseal_prompt_fn fn, void *arg)
{
	ctx->prompt = fn;
	ctx->prompt_arg = arg;
}

void
certseal_ctx_set_log(certseal_ctx *ctx, certseal_log_fn fn, void *arg)
{
	ctx->log = fn;
	ctx->log_arg = arg;
}

int
certseal_ctx_set_state_dir(certseal_ctx *ctx, const char *dir)
{
	char *copy = NULL;

	cs_error_clear(ctx);
	if (dir != NULL && (copy = strdup(dir)) == NULL)
		return cs_nomem(ctx);
	free(ctx->state_dir);
	ctx->state_dir = copy;
	return 0;
}
