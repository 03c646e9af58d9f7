/*
 * config.c - the public open functions and the certseal_config accessors.
 */
#include "config.h"

#include <stdlib.h>

#include "internal.h"
#include "envelope-internal.h"

int
certseal_open_file(certseal_ctx *ctx, const char *path, certseal_config **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if (ctx == NULL)
		return CERTSEAL_E_USAGE;
	/* Every call that can fail says why, or nothing: never the last's. */
	cs_error_clear(ctx);
	if (path == NULL)
		return cs_error(ctx, CERTSEAL_E_USAGE, "certseal_open_file: no "
		    "path given");
	if ((r = cs_read_file(ctx, path, CS_MAX_SEALED_SIZE, &buf,
	    &len)) != 0)
		return r;
	/* Taken over: freed once parsed, wiped when it was plaintext. */
	return cs_envelope_open_owned(ctx, &buf, len, path, out);
}

int
certseal_open_mem(certseal_ctx *ctx, const uint8_t *data, size_t len,
    const char *name, certseal_config **out)
{
	*out = NULL;
	if (ctx == NULL)
		return CERTSEAL_E_USAGE;
	cs_error_clear(ctx);
	if (data == NULL && len > 0)
		return cs_error(ctx, CERTSEAL_E_USAGE, "certseal_open_mem: no "
		    "data for %zu bytes", len);
	return cs_envelope_open(ctx, data, len,
	    name != NULL ? name : "(memory)", out);
}

const uint8_t *
certseal_config_data(const certseal_config *cfg, size_t *lenp)
{
	if (cfg == NULL || cfg->plain == NULL) {
		if (lenp != NULL)
			*lenp = 0;
		return NULL;
	}
	if (lenp != NULL)
		*lenp = cfg->plain->len;
	return cfg->plain->data;
}

int
certseal_config_is_sealed(const certseal_config *cfg)
{
	return cfg != NULL && cfg->sealed;
}

int
certseal_config_is_signed(const certseal_config *cfg)
{
	return cfg != NULL && cfg->is_signed;
}

const char *
certseal_config_name(const certseal_config *cfg)
{
	return cfg == NULL ? NULL : cfg->name;
}

uint64_t
certseal_config_sequence(const certseal_config *cfg)
{
	return cfg == NULL ? 0 : cfg->sequence;
}

const char *
certseal_config_signer(const certseal_config *cfg)
{
	return cfg == NULL ? NULL : cfg->signer;
}

const char *
certseal_config_source(const certseal_config *cfg)
{
	return cfg == NULL ? NULL : cfg->source_uri;
}

const char *
certseal_config_key_id(const certseal_config *cfg)
{
	if (cfg == NULL || cfg->keyid_hex[0] == '\0')
		return NULL;
	return cfg->keyid_hex;
}

void
certseal_config_free(certseal_config *cfg)
{
	cs_config_free(cfg);
}
