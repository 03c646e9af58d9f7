/*
 * cmd-token.c - `certseal-admin token check [--json] [URI]`: what a token
 * can do for certseal (p11-check.c), before an admin rolls out on it.
 * Without a URI: the profile's token.  Mechanisms are public: it logs in
 * only when the URI gives a PIN (cs_p11_check_login).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"

#define TOKEN_SYNOPSIS "token check [--json] [PKCS11-URI]"

static int
token_check(const char *uri_text, int json)
{
	struct admin a;
	struct cs_p11_uri *uri = NULL;
	struct cs_p11_token *tok = NULL;
	json_t *report = NULL;
	int r, code;

	memset(&a, 0, sizeof(a));
	if (uri_text == NULL) {
		if ((code = admin_open(&a, 0)) != 0)
			goto out;
		admin_use_softhsm_conf(a.profile->softhsm_conf);
		uri_text = a.profile->token_uri;
	} else if ((r = cli_ctx_new(&a.ctx)) != 0) {
		code = cli_fail(NULL, r, "creating a context");
		goto out;
	}
	if ((r = cs_p11_uri_parse(a.ctx, uri_text, &uri)) != 0 ||
	    (r = cs_p11_token_open(a.ctx, uri, &tok)) != 0 ||
	    (r = cs_p11_check_login(a.ctx, tok, uri)) != 0 ||
	    (r = cs_p11_check_json(a.ctx, tok, &report)) != 0) {
		code = cli_fail(a.ctx, r, "token check %s", uri_text);
		goto out;
	}
	/* Printed as every URI is: the pin-value REDACTED. */
	if (json_object_set_new(report, "uri",
	    json_string(cli_redacted(uri_text))) != 0) {
		code = cli_fail(a.ctx, CERTSEAL_E_NOMEM, "token check");
		goto out;
	}
	if (json)
		r = cli_print_json(report);
	else {
		cs_p11_check_print(stdout, report);
		r = fflush(stdout) == 0 ? 0 : CERTSEAL_E_IO;
	}
	if (r != 0) {
		code = cli_fail(a.ctx, r, "token check");
		goto out;
	}
	code = CLI_EXIT_OK;
 out:
	json_decref(report);
	cs_p11_token_unref(tok);
	cs_p11_uri_free(uri);
	admin_close(&a);
	return code;
}

int
cmd_token(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, json = 0;

	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0)) {
			printf("usage: certseal-admin %s\n", TOKEN_SYNOPSIS);
			return CLI_EXIT_OK;
		}
		return cli_usage_error("usage: certseal-admin %s",
		    TOKEN_SYNOPSIS);
	}
	argc--;
	argv++;
	optind = 0;	/* glibc: 0 starts over, permuting (--json may come last) */
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			printf("usage: certseal-admin %s\n", TOKEN_SYNOPSIS);
			return CLI_EXIT_OK;
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("usage: certseal-admin %s",
			    TOKEN_SYNOPSIS);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("usage: certseal-admin %s",
		    TOKEN_SYNOPSIS);
	return token_check(optind < argc ? argv[optind] : NULL, json);
}
