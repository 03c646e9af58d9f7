/*
 * cmd-open.c - `certseal open` and `certseal check`: the configuration,
 * or only whether and how this client can open it.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

int
cmd_open(int argc, char **argv)
{
	certseal_ctx *ctx = NULL;
	certseal_config *cfg = NULL;
	const uint8_t *data;
	char *out = NULL;
	const char *path;
	size_t len;
	int r, code;

	if ((code = client_parse_options(argc, argv, "open CONFIG [-o OUT]",
	    &out, NULL, 1)) != 0)
		return code;
	path = argv[optind];
	if (out != NULL && strcmp(path, "-") != 0 && cli_same_file(path, out))
		return cli_usage_error("open: -o %s would replace the sealed "
		    "file with its plaintext", out);
	if ((code = client_ctx_new(&ctx)) != 0)
		goto out;
	cli_heap_reserve(path);
	if ((r = certseal_open_file(ctx, path, &cfg)) != 0) {
		code = cli_fail(ctx, r, "%s", path);
		goto out;
	}
	data = certseal_config_data(cfg, &len);
	/* Plaintext output is private: 0600, like any key file. */
	if ((r = cli_write_output(ctx, out, data, len, 0600)) != 0) {
		code = cli_fail(ctx, r, "%s", out == NULL ? "stdout" : out);
		goto out;
	}
	code = CLI_EXIT_OK;
 out:
	certseal_config_free(cfg);
	certseal_ctx_free(ctx);
	return code;
}

static json_t *
describe_config(const char *path, const certseal_config *cfg)
{
	const char *v;
	size_t len;
	json_t *o;

	(void)certseal_config_data(cfg, &len);
	o = json_pack("{s:s, s:b, s:b, s:I}", "file", path,
	    "sealed", certseal_config_is_sealed(cfg),
	    "signed", certseal_config_is_signed(cfg),
	    "size", (json_int_t)len);
	if (o == NULL)
		return NULL;
	if ((v = certseal_config_source(cfg)) != NULL)
		json_object_set_new(o, "source", json_string(v));
	if ((v = certseal_config_key_id(cfg)) != NULL && *v != '\0')
		json_object_set_new(o, "key_id", json_string(v));
	if ((v = certseal_config_signer(cfg)) != NULL)
		json_object_set_new(o, "signer", json_string(v));
	if ((v = certseal_config_name(cfg)) != NULL)
		json_object_set_new(o, "name", json_string(v));
	if (certseal_config_is_signed(cfg) && certseal_config_name(cfg))
		json_object_set_new(o, "sequence", json_integer(
		    (json_int_t)certseal_config_sequence(cfg)));
	return o;
}

static void
print_check(const char *path, const certseal_config *cfg)
{
	const char *v;

	if (!certseal_config_is_sealed(cfg)) {
		printf("%s: plaintext (not sealed); accepted because strict "
		    "mode is off\n", path);
		return;
	}
	printf("%s: sealed; this client can open it\n", path);
	if ((v = certseal_config_source(cfg)) != NULL)
		printf("  source:   %s\n", v);
	if ((v = certseal_config_key_id(cfg)) != NULL && *v != '\0')
		printf("  key id:   %s\n", v);
	if ((v = certseal_config_signer(cfg)) != NULL)
		printf("  signer:   %s\n", v);
	else
		printf("  signer:   none (unsigned)\n");
	if ((v = certseal_config_name(cfg)) != NULL)
		printf("  name:     %s\n  sequence: %llu\n", v,
		    (unsigned long long)certseal_config_sequence(cfg));
}

int
cmd_check(int argc, char **argv)
{
	certseal_ctx *ctx = NULL;
	certseal_config *cfg = NULL;
	json_t *desc = NULL;
	const char *path;
	int r, code, json = 0;

	if ((code = client_parse_options(argc, argv, "check CONFIG [--json]",
	    NULL, &json, 1)) != 0)
		return code;
	path = argv[optind];
	if ((code = client_ctx_new(&ctx)) != 0)
		goto out;
	/* A check tells whether a rollback would be refused, never records. */
	certseal_ctx_set_flags(ctx, certseal_ctx_get_flags(ctx) |
	    CERTSEAL_FLAG_STATE_READ_ONLY);
	cli_heap_reserve(path);
	if ((r = certseal_open_file(ctx, path, &cfg)) != 0) {
		code = cli_fail(ctx, r, "%s", path);
		goto out;
	}
	if (json) {
		if ((desc = describe_config(path, cfg)) == NULL ||
		    cli_print_json(desc) != 0) {
			code = cli_fail(NULL, CERTSEAL_E_NOMEM, "%s", path);
			goto out;
		}
	} else
		print_check(path, cfg);
	code = CLI_EXIT_OK;
 out:
	json_decref(desc);
	certseal_config_free(cfg);
	certseal_ctx_free(ctx);
	return code;
}
