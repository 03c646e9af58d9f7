/*
 * fuzz-report.c - a readiness report as the admin reads it from the
 * shared reports directory (cs_report_read).
 */
#include "config.h"

#include <stdlib.h>

#include "fuzz-common.h"
#include "report.h"

static certseal_ctx *ctx;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = fuzz_ctx();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_report *rep = NULL;
	const char *path;

	if (size > CS_REPORT_MAX_SIZE + 1)
		return 0;
	path = fuzz_write_file("host.json", data, size);
	if (cs_report_read(ctx, path, &rep) == 0) {
		if (rep->host == NULL)
			abort();
		cs_report_free(rep);
	}
	return 0;
}
