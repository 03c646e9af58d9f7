/*
 * cmd-inspect.c - `certseal inspect`: what a file is, without needing a
 * key; and `certseal sources`: what each configured source offers.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "envelope.h"
#include "source.h"

/* Prints "  label: value" for a string or integer member, if present. */
static void
print_member(const char *indent, const char *label, json_t *obj,
    const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		printf("%s%s: %s\n", indent, label, json_string_value(v));
	else if (json_is_integer(v))
		printf("%s%s: %lld\n", indent, label,
		    (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		printf("%s%s: %s\n", indent, label,
		    json_is_true(v) ? "yes" : "no");
}

static void
print_inspection(const char *path, json_t *info)
{
	json_t *list, *item;
	size_t i;

	if (!json_is_true(json_object_get(info, "sealed"))) {
		printf("%s: plaintext (not sealed)\n", path);
		return;
	}
	printf("%s: sealed\n", path);
	print_member("  ", "content type", info, "content_type");
	print_member("  ", "content encryption", info, "content_encryption");
	list = json_object_get(info, "recipients");
	printf("  recipients: %zu\n", json_array_size(list));
	json_array_foreach(list, i, item) {
		printf("  - recipient %zu\n", i + 1);
		print_member("      ", "type", item, "type");
		print_member("      ", "key id", item, "key_id");
		print_member("      ", "issuer", item, "issuer");
		print_member("      ", "serial", item, "serial");
		print_member("      ", "key encryption", item,
		    "key_encryption");
		print_member("      ", "OAEP hash", item, "oaep_hash");
		print_member("      ", "MGF1 hash", item, "mgf1_hash");
		print_member("      ", "KDF", item, "kdf");
		print_member("      ", "key wrap", item, "key_wrap");
		print_member("      ", "accepted by policy", item, "accepted");
	}
	print_member("  ", "opened", info, "opened");
	print_member("  ", "not opened because", info, "reason");
	print_member("  ", "signed", info, "signed");
	print_member("  ", "name", info, "name");
	print_member("  ", "sequence", info, "sequence");
	list = json_object_get(info, "signers");
	json_array_foreach(list, i, item) {
		printf("  - signer %zu\n", i + 1);
		print_member("      ", "subject", item, "subject");
		print_member("      ", "key id", item, "key_id");
		print_member("      ", "trusted", item, "trusted");
		print_member("      ", "signing time", item, "signing_time");
	}
}

int
cmd_inspect(int argc, char **argv)
{
	certseal_ctx *ctx = NULL;
	json_t *info = NULL;
	uint8_t *data = NULL;
	const char *path;
	size_t len = 0;
	int r, code, json = 0;

	if ((code = client_parse_options(argc, argv, "inspect FILE [--json]",
	    NULL, &json, 1)) != 0)
		return code;
	path = argv[optind];
	if ((code = client_ctx_new(&ctx)) != 0)
		goto out;
	/* Inspecting never waits for a PIN: it needs no key. */
	certseal_ctx_set_flags(ctx,
	    certseal_ctx_get_flags(ctx) | CERTSEAL_FLAG_NO_PROMPT);
	if ((r = cs_read_file(ctx, path, CS_MAX_SEALED_SIZE, &data,
	    &len)) != 0 ||
	    (r = cs_envelope_inspect(ctx, data, len, &info)) != 0) {
		code = cli_fail(ctx, r, "%s", path);
		goto out;
	}
	if (json) {
		if ((r = cli_print_json(info)) != 0) {
			code = cli_fail(ctx, r, "%s", path);
			goto out;
		}
	} else
		print_inspection(path, info);
	code = CLI_EXIT_OK;
 out:
	json_decref(info);
	free(data);
	certseal_ctx_free(ctx);
	return code;
}

static const char *
member(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	return v != NULL ? v : "-";
}

static void
print_row(const char *kind, json_t *e)
{
	const char *id = json_string_value(json_object_get(e, "key_id"));

	if (id == NULL)
		id = member(e, "id");
	printf("  %-6s  %-40.40s  %-20s  %-20s  %s\n", kind, id, member(e,
	    "not_after"), member(e, "label"), member(e, "subject"));
}

/* One source as a table: the same columns whatever its scheme. */
static void
print_source(size_t n, json_t *desc)
{
	json_t *e, *list;
	const char *problem;
	size_t i;

	printf("source %zu: %s\n", n, member(desc, "uri"));
	problem = json_string_value(json_object_get(desc, "error"));
	if (problem == NULL)
		problem = json_string_value(json_object_get(desc, "problem"));
	if (problem != NULL) {
		printf("  error: %s\n", problem);
		return;
	}
	if (json_object_get(desc, "location") != NULL)
		printf("  store: store:%s/%s (%s)\n", member(desc, "location"),
		    member(desc, "store"), member(desc, "path"));
	if ((e = json_object_get(desc, "token")) != NULL && json_is_object(e))
		printf("  token: %s (%s, serial %s)\n", member(e, "label"),
		    member(e, "model"), member(e, "serial"));
	printf("  %-6s  %-40s  %-20s  %-20s  %s\n", "KIND", "KEY ID",
	    "NOT AFTER", "LABEL", "SUBJECT");
	if (json_object_get(desc, "key_id") != NULL)
		print_row("key", desc);
	list = json_object_get(desc, "keys");
	json_array_foreach(list, i, e)
		print_row(json_is_true(json_object_get(e, "trusted_signer")) ?
		    "signer" : json_is_true(json_object_get(e,
		    "private_key")) || json_object_get(e, "private_key") ==
		    NULL ? "key" : "cert", e);
	list = json_object_get(desc, "trusted_signers");
	json_array_foreach(list, i, e)
		print_row("signer", e);
}

int
cmd_sources(int argc, char **argv)
{
	certseal_ctx *ctx = NULL;
	json_t *all = NULL, *desc = NULL;
	size_t i;
	int r, code, json = 0, check = 0, j, k;

	/* --check is this command's own; the rest are the client's. */
	for (j = k = 1; j < argc; j++) {
		if (strcmp(argv[j], "--check") == 0)
			check = 1;
		else
			argv[k++] = argv[j];
	}
	argc = k;
	argv[argc] = NULL;
	if ((code = client_parse_options(argc, argv,
	    "sources [--json] [--check]", NULL, &json, 0)) != 0)
		return code;
	if ((code = client_ctx_new(&ctx)) != 0)
		goto out;
	if (cs_ctx_source_count(ctx) == 0 &&
	    (r = certseal_ctx_add_source(ctx, CS_DEFAULT_SOURCE)) != 0) {
		code = cli_fail(ctx, r, "%s", CS_DEFAULT_SOURCE);
		goto out;
	}
	if (check) {
		code = sources_check(ctx, json);
		goto out;
	}
	if ((all = json_array()) == NULL) {
		code = cli_fail(ctx, CERTSEAL_E_NOMEM, "sources");
		goto out;
	}
	for (i = 0; i < cs_ctx_source_count(ctx); i++) {
		r = cs_source_describe(cs_ctx_source(ctx, i), &desc);
		if (r != 0) {
			/* A broken source is reported, the others listed. */
			desc = json_pack("{s:s, s:s}", "uri",
			    cs_source_display_uri(cs_ctx_source(ctx, i)),
			    "error", certseal_ctx_last_error(ctx));
			cs_error_clear(ctx);
		}
		if (desc == NULL || json_array_append_new(all, desc) != 0) {
			code = cli_fail(ctx, CERTSEAL_E_NOMEM, "sources");
			goto out;
		}
		desc = NULL;
	}
	if (json)
		r = cli_print_json_list("sources", all);
	else {
		json_array_foreach(all, i, desc)
			print_source(i + 1, desc);
		desc = NULL;
		r = fflush(stdout) == 0 ? 0 : CERTSEAL_E_IO;
	}
	if (r != 0) {
		code = cli_fail(ctx, r, "sources");
		goto out;
	}
	code = CLI_EXIT_OK;
 out:
	json_decref(all);
	certseal_ctx_free(ctx);
	return code;
}
