/*
 * fuzz-open.c - a sealed (or plaintext) configuration opened with the
 * fixed test keys: detection, CMS parsing, the algorithm whitelist,
 * recipient matching, key transport/agreement, GCM and the signature
 * checks all see the fuzzer's bytes.  Plaintext must come back only from
 * a complete verification.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "internal.h"
#include "envelope-internal.h"

static certseal_ctx *ctx, *strict;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = fuzz_ctx_with_keys();
	strict = fuzz_ctx_with_keys();
	certseal_ctx_set_flags(strict, CERTSEAL_FLAG_NO_PROMPT |
	    CERTSEAL_FLAG_ENCRYPTED_ONLY);
	return 0;
}

/*
 * certseal_open_file hands its buffer over (PEM decoded in place, freed
 * once parsed): the same bytes that way must give the same answer.
 */
static void
same_when_owned(const uint8_t *data, size_t size, int r,
    const certseal_config *cfg)
{
	certseal_config *cfg2 = NULL;
	const uint8_t *a, *b;
	uint8_t *copy;
	size_t alen, blen;
	int r2;

	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return;
	memcpy(copy, data, size);
	r2 = cs_envelope_open_owned(ctx, &copy, size, "fuzz", &cfg2);
	free(copy);	/* NULL when taken over and freed */
	if (r2 != r)
		abort();
	if (r == 0) {
		a = certseal_config_data(cfg, &alen);
		b = certseal_config_data(cfg2, &blen);
		if (alen != blen || (alen > 0 && memcmp(a, b, alen) != 0))
			abort();
	}
	certseal_config_free(cfg2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	certseal_config *cfg = NULL;
	const uint8_t *plain;
	size_t len;
	int r;

	cs_error_clear(ctx);
	r = certseal_open_mem(ctx, data, size, "fuzz", &cfg);
	same_when_owned(data, size, r, cfg);
	if (r == 0) {
		plain = certseal_config_data(cfg, &len);
		/* Passed-through plaintext is the input itself. */
		if (!certseal_config_is_sealed(cfg) &&
		    (len != size || (len > 0 && memcmp(plain, data, len) != 0)))
			abort();
		certseal_config_free(cfg);
		cfg = NULL;
		/* Only a sealed, signed file passes the strict context. */
		r = certseal_open_mem(strict, data, size, "fuzz", &cfg);
		if (r == 0 && (!certseal_config_is_sealed(cfg) ||
		    !certseal_config_is_signed(cfg)))
			abort();
		certseal_config_free(cfg);
	} else if (cfg != NULL || certseal_ctx_last_error(ctx)[0] == '\0') {
		/* Failures leave no result and always explain themselves. */
		abort();
	}
	return 0;
}
