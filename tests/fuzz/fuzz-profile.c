/*
 * fuzz-profile.c - the admin profile (src/admin/profile.c, compiled into
 * this target): read and validated; a profile that loads is written back
 * and must load again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "profile.h"

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
	struct profile *p = NULL, *again = NULL;
	const char *path;
	char *saved;

	path = fuzz_write_file("profile.json", data, size);
	if (profile_load(ctx, path, 0, &p) != 0)
		return 0;
	(void)profile_active_pair(p);
	if (p->npairs > 0)
		(void)profile_find_pair(p, p->pairs[0].id);
	(void)profile_find_pair(p, "0000");
	/* Write it back under another name and read that. */
	saved = p->path;
	p->path = strdup(fuzz_write_file("saved.json", NULL, 0));
	if (p->path == NULL || profile_save(ctx, p) != 0 ||
	    profile_load(ctx, p->path, 0, &again) != 0)
		abort();
	if (again->npairs != p->npairs || again->sequence != p->sequence)
		abort();
	free(p->path);
	p->path = saved;
	profile_free(again);
	profile_free(p);
	return 0;
}
