/*
 * p11-kit-dl.c - libp11-kit, loaded the first time a pkcs11: source needs
 * it instead of with every process.
 *
 * Only pkcs11: sources use p11-kit (URI parsing, module loading and the
 * registered-module list).  The default store: open and file: never call
 * it, yet a linked libp11-kit (and the libffi it pulls in) is mapped,
 * relocated and its constructors run in every certseal process: about
 * 0.15 ms and 30 page faults per process on the benchmark machine, 3 % of
 * a store: open (bench/ANALYSIS.md).  So it is dlopen'ed here, once, and
 * called through the table cs_p11kit.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "p11-kit-dl.h"

/* p11-kit's ABI, stable since 0.20 (2013). */
#define P11KIT_SONAME	"libp11-kit.so.0"

struct cs_p11kit cs_p11kit;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[256];	/* why not, when !loaded */

#define SYM(field, name)	{ #name, offsetof(struct cs_p11kit, field) }

static const struct {
	const char	*name;
	size_t		 offset;
} syms[] = {
	SYM(uri_new, p11_kit_uri_new),
	SYM(uri_parse, p11_kit_uri_parse),
	SYM(uri_message, p11_kit_uri_message),
	SYM(uri_any_unrecognized, p11_kit_uri_any_unrecognized),
	SYM(uri_free, p11_kit_uri_free),
	SYM(uri_match_token_info, p11_kit_uri_match_token_info),
	SYM(uri_get_module_path, p11_kit_uri_get_module_path),
	SYM(uri_get_module_name, p11_kit_uri_get_module_name),
	SYM(uri_get_pin_source, p11_kit_uri_get_pin_source),
	SYM(uri_get_pin_value, p11_kit_uri_get_pin_value),
	SYM(uri_get_vendor_query, p11_kit_uri_get_vendor_query),
	SYM(uri_get_attribute, p11_kit_uri_get_attribute),
	SYM(module_load, p11_kit_module_load),
	SYM(module_release, p11_kit_module_release),
	SYM(modules_load, p11_kit_modules_load),
	SYM(modules_release, p11_kit_modules_release),
	SYM(module_get_name, p11_kit_module_get_name),
	SYM(module_get_filename, p11_kit_module_get_filename),
	SYM(config_option, p11_kit_config_option),
	SYM(message, p11_kit_message),
};

static void
load(void)
{
	struct cs_p11kit t;
	const char *err;
	void *h, *f;
	size_t i;

	/* Kept open for the process: modules it loaded point into it. */
	if ((h = dlopen(P11KIT_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err = dlerror();
		(void)snprintf(load_error, sizeof(load_error), "%s",
		    err != NULL ? err : "unknown reason");
		return;
	}
	memset(&t, 0, sizeof(t));
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((f = dlsym(h, syms[i].name)) == NULL) {
			(void)snprintf(load_error, sizeof(load_error),
			    "%s has no %s", P11KIT_SONAME, syms[i].name);
			return;
		}
		memcpy((char *)&t + syms[i].offset, &f, sizeof(f));
	}
	cs_p11kit = t;
	loaded = 1;
}

int
cs_p11kit_load(certseal_ctx *ctx)
{
	pthread_once(&once, load);
	if (!loaded)
		return cs_error(ctx, CERTSEAL_E_MODULE, "pkcs11: sources need "
		    "p11-kit, which cannot be loaded: %s", load_error);
	return 0;
}
