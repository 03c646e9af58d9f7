/*
 * cmd-sources-check.c - `certseal sources --check`: for every pkcs11:
 * source, what its token can do for certseal (the table of
 * `certseal-admin token check`); other sources are said to need no token.
 * No login: a token's mechanisms are public.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "p11.h"
#include "source.h"

/* The report for one pkcs11: URI, or {uri, error}. */
static json_t *
check_one(certseal_ctx *ctx, const char *uri_text)
{
	struct cs_p11_uri *uri = NULL;
	struct cs_p11_token *tok = NULL;
	json_t *report = NULL;
	int r;

	if ((r = cs_p11_uri_parse(ctx, uri_text, &uri)) != 0 ||
	    (r = cs_p11_token_open(ctx, uri, &tok)) != 0 ||
	    (r = cs_p11_check_login(ctx, tok, uri)) != 0 ||
	    (r = cs_p11_check_json(ctx, tok, &report)) != 0) {
		report = json_pack("{s:s,s:s}", "uri", uri_text, "error",
		    certseal_ctx_last_error(ctx));
		cs_error_clear(ctx);
	} else
		json_object_set_new(report, "uri", json_string(uri_text));
	cs_p11_token_unref(tok);
	cs_p11_uri_free(uri);
	return report;
}

int
sources_check(certseal_ctx *ctx, int json)
{
	json_t *all, *item;
	const char *uri;
	size_t i;
	int r;

	if ((all = json_array()) == NULL)
		return cli_fail(ctx, CERTSEAL_E_NOMEM, "sources --check");
	for (i = 0; i < cs_ctx_source_count(ctx); i++) {
		uri = cs_source_uri(cs_ctx_source(ctx, i));
		if (strncasecmp(uri, "pkcs11:", 7) == 0)
			item = check_one(ctx, uri);
		else
			item = json_pack("{s:s,s:s}", "uri", uri, "token",
			    "none: keys in files, no token involved");
		if (item == NULL || json_array_append_new(all, item) != 0) {
			json_decref(all);
			return cli_fail(ctx, CERTSEAL_E_NOMEM,
			    "sources --check");
		}
	}
	if (json)
		r = cli_print_json_list("sources", all);
	else {
		json_array_foreach(all, i, item) {
			printf("source %zu: %s\n", i + 1, json_string_value(
			    json_object_get(item, "uri")));
			if (json_object_get(item, "capabilities") != NULL)
				cs_p11_check_print(stdout, item);
			else if (json_object_get(item, "error") != NULL)
				printf("  error: %s\n", json_string_value(
				    json_object_get(item, "error")));
			else
				printf("  %s\n", json_string_value(
				    json_object_get(item, "token")));
		}
		r = fflush(stdout) == 0 ? 0 : CERTSEAL_E_IO;
	}
	json_decref(all);
	return r != 0 ? cli_fail(ctx, r, "sources --check") : CLI_EXIT_OK;
}
