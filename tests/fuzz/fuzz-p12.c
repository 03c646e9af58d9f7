/*
 * fuzz-p12.c - a PKCS#12 bundle loaded as a key file and, when it loads,
 * imported into a scratch store, listed, found by its key identifier and
 * removed.  CERTSEAL_PIN is "fuzz", so bundles sealed with that password
 * are opened too.
 */
#include "config.h"

#include <stdlib.h>

#include <jansson.h>

#include "fuzz-common.h"
#include "keyfile.h"
#include "store.h"

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
	struct cs_keyfile *kf = NULL;
	struct cs_store_import_info *info = NULL;
	struct cs_store_path sp;
	struct cs_recipient_id rid = { NULL, NULL, NULL };
	struct cs_key *key = NULL;
	const char *path;
	json_t *list = NULL;

	if (size > CS_STORE_P12_MAX)
		return 0;
	if (cs_keyfile_load_p12(ctx, data, size, "fuzz.p12", NULL, &kf) != 0)
		return 0;
	if (kf->pkey == NULL || kf->cert == NULL)
		abort();
	path = fuzz_write_file("in.p12", data, size);
	if (cs_store_import(ctx, "LocalMachine", "My", path, NULL,
	    &info) == 0) {
		json_decref(cs_store_import_info_json(info));
		if (cs_store_list(ctx, "LocalMachine", "My", &list) != 0)
			abort();
		json_decref(list);
		rid.keyid = X509_get0_subject_key_id(kf->cert);
		if (rid.keyid != NULL &&
		    cs_store_path_init(ctx, NULL, NULL, &sp) == 0) {
			/* What was imported must be found again. */
			if (cs_store_find_key(ctx, &sp, &rid, &key) != 0)
				abort();
			cs_store_key_free(key);
			cs_store_path_release(&sp);
		}
		(void)cs_store_remove(ctx, NULL, NULL, info->key.id, NULL);
		cs_store_import_info_free(info);
	}
	fuzz_remove_tree("stores");
	cs_keyfile_free(kf);
	return 0;
}
