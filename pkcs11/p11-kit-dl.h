/*
 * p11-kit-dl.h - the p11-kit functions certseal calls, through a table
 * filled when p11-kit is first needed (see p11-kit-dl.c).
 */
#ifndef CS_P11_KIT_DL_H
#define CS_P11_KIT_DL_H

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "base.h"

struct cs_p11kit {
	__typeof__(p11_kit_uri_new)		*uri_new;
	__typeof__(p11_kit_uri_parse)		*uri_parse;
	__typeof__(p11_kit_uri_message)		*uri_message;
	__typeof__(p11_kit_uri_any_unrecognized) *uri_any_unrecognized;
	__typeof__(p11_kit_uri_free)		*uri_free;
	__typeof__(p11_kit_uri_match_token_info) *uri_match_token_info;
	__typeof__(p11_kit_uri_get_module_path)	*uri_get_module_path;
	__typeof__(p11_kit_uri_get_module_name)	*uri_get_module_name;
	__typeof__(p11_kit_uri_get_pin_source)	*uri_get_pin_source;
	__typeof__(p11_kit_uri_get_pin_value)	*uri_get_pin_value;
	__typeof__(p11_kit_uri_get_vendor_query) *uri_get_vendor_query;
	__typeof__(p11_kit_uri_get_attribute)	*uri_get_attribute;
	__typeof__(p11_kit_module_load)		*module_load;
	__typeof__(p11_kit_module_release)	*module_release;
	__typeof__(p11_kit_modules_load)	*modules_load;
	__typeof__(p11_kit_modules_release)	*modules_release;
	__typeof__(p11_kit_module_get_name)	*module_get_name;
	__typeof__(p11_kit_module_get_filename)	*module_get_filename;
	__typeof__(p11_kit_config_option)	*config_option;
	__typeof__(p11_kit_message)		*message;
};

/* Valid after cs_p11kit_load() returned 0. */
extern struct cs_p11kit cs_p11kit;

/*
 * Loads p11-kit once per process; 0, or CERTSEAL_E_MODULE (said on ctx)
 * when it is not installed.  Every path into p11-kit passes here first:
 * parsing a pkcs11: URI, loading or listing modules.
 */
int cs_p11kit_load(certseal_ctx *ctx);

#endif
