/*
 * cmd-sources-check.c - `certseal sources --check`: for every pkcs11:
 * source, what its token can do for certseal (the table of
 * `certseal-admin token check`); other sources are said to need no token.
 * A token's mechanisms are public: it logs in only when the URI gives a
 * PIN, as token check does (cs_p11_check_login).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "p11.h"
#include "source.h"

/*
 * The report for one pkcs11: source, or {uri, error}.  The token is
 * opened with the source's own parsed URI, never with the URI it shows:
 * that one's pin-value reads REDACTED, and logging in with it would
 * spend one of the token's few tries on every run.
 */
static json_t *
check_one(certseal_ctx *ctx, const struct cs_source *src,
    const struct cs_p11_uri *uri)
{
	const char *shown = cs_source_display_uri(src);
	struct cs_p11_token *tok = NULL;
	json_t *report = NULL;
	int r;

	if ((r = cs_p11_token_open(ctx, uri, &tok)) != 0 ||
	    (r = cs_p11_check_login(ctx, tok, uri)) != 0 ||
	    (r = cs_p11_check_json(ctx, tok, &report)) != 0) {
		report = json_pack("{s:s,s:s}", "uri", shown, "error",
		    certseal_ctx_last_error(ctx));
		cs_error_clear(ctx);
	} else if (json_object_set_new(report, "uri",
	    json_string(shown)) != 0) {
		json_decref(report);
		report = NULL;
	}
	cs_p11_token_unref(tok);
	return report;
}

int
sources_check(certseal_ctx *ctx, int json)
{
	const struct cs_source *src;
	const struct cs_p11_uri *uri;
	json_t *all, *item;
	size_t i;
	int r;

	if ((all = json_array()) == NULL)
		return cli_fail(ctx, CERTSEAL_E_NOMEM, "sources --check");
	for (i = 0; i < cs_ctx_source_count(ctx); i++) {
		src = cs_ctx_source(ctx, i);
		if ((uri = cs_source_p11_uri(src)) != NULL)
			item = check_one(ctx, src, uri);
		else
			item = json_pack("{s:s,s:s}", "uri",
			    cs_source_display_uri(src), "token",
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
