/*
 * fuzz-inspect.c - cs_envelope_inspect, which describes any file without
 * a key and, when the test keys open it, adds the inner signers.
 */
#include "config.h"

#include <stdlib.h>

#include <jansson.h>

#include "envelope.h"
#include "fuzz-common.h"

static certseal_ctx *ctx;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = fuzz_ctx_with_keys();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *out = NULL;
	char *text;

	if (cs_envelope_inspect(ctx, data, size, &out) == 0) {
		/* Whatever was found must serialise. */
		if ((text = json_dumps(out, JSON_COMPACT)) == NULL)
			abort();
		free(text);
	}
	json_decref(out);
	(void)cs_envelope_looks_sealed(data, size);
	return 0;
}
