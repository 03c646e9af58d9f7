/*
 * cmd-store.c - `certseal store import | list | remove`: the local
 * certificate store behind store: URIs.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "store.h"

#define STORE_SYNOPSIS \
	"store import FILE.p12 [--store NAME] [--password-file F]\n" \
	"       certseal store list [--store NAME] [--json]\n" \
	"       certseal store remove ID [--store NAME]"

static int
store_import(certseal_ctx *ctx, const char *loc, const char *name,
    const char *file, const char *password_file, int json)
{
	struct cs_store_import_info *info = NULL;
	json_t *j = NULL;
	size_t i;
	int r, code;

	if ((r = cli_password_file_check(ctx, password_file)) != 0 ||
	    (r = cs_store_import(ctx, loc, name, file, password_file,
	    &info)) != 0)
		return cli_fail(ctx, r, "store import %s", file);
	if (json) {
		if ((j = cs_store_import_info_json(info)) == NULL ||
		    cli_print_json(j) != 0) {
			code = cli_fail(ctx, CERTSEAL_E_NOMEM, "store import");
			goto out;
		}
	} else {
		printf("%s/%s: key %s %s (%s)\n", info->location, info->name,
		    info->key.id, cs_store_outcome_name(info->key.outcome),
		    info->key.subject != NULL ? info->key.subject : "");
		for (i = 0; i < info->nsigners; i++)
			printf("%s/%s: trusted signer %s %s (%s)\n",
			    info->location, info->name, info->signers[i].id,
			    cs_store_outcome_name(info->signers[i].outcome),
			    info->signers[i].subject != NULL ?
			    info->signers[i].subject : "");
		if (info->nsigners == 0)
			cli_warn("%s carries no signer certificate: strict "
			    "mode will not trust any signature through this "
			    "entry", file);
	}
	code = CLI_EXIT_OK;
 out:
	json_decref(j);
	cs_store_import_info_free(info);
	return code;
}

static int
store_list(certseal_ctx *ctx, const char *loc, const char *name, int json)
{
	json_t *list = NULL, *e;
	const char *v;
	size_t i;
	int r, code;

	if ((r = cs_store_list(ctx, loc, name, &list)) != 0)
		return cli_fail(ctx, r, "store list");
	if (json) {
		code = cli_print_json_list("entries", list) == 0 ? CLI_EXIT_OK :
		    CLI_EXIT_OTHER;
		goto out;
	}
	if (json_array_size(list) == 0) {
		/* Not a bare header: say what is (not) there and what to do. */
		cli_info("store %s/%s holds nothing (or does not exist yet); "
		    "`certseal store import FILE.p12` puts a pair's key there",
		    loc != NULL ? loc : "LocalMachine", name != NULL ? name :
		    "My");
		code = CLI_EXIT_OK;
		goto out;
	}
	printf("%-6s  %-64s  %-7s  %-20s  %s\n", "KIND", "ID", "STATUS",
	    "NOT AFTER", "SUBJECT");
	json_array_foreach(list, i, e) {
		v = json_string_value(json_object_get(e, "subject"));
		printf("%-6s  %-64s  %-7s  %-20s  %s\n",
		    json_string_value(json_object_get(e, "kind")),
		    json_string_value(json_object_get(e, "id")),
		    json_string_value(json_object_get(e, "status")),
		    json_is_string(json_object_get(e, "not_after")) ?
		    json_string_value(json_object_get(e, "not_after")) : "-",
		    v != NULL ? v : json_is_string(json_object_get(e,
		    "problem")) ? json_string_value(json_object_get(e,
		    "problem")) : "");
	}
	code = CLI_EXIT_OK;
 out:
	json_decref(list);
	return code;
}

int
cmd_store(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store",		required_argument, NULL, 'S' },
		{ "password-file",	required_argument, NULL, 'p' },
		{ "json",		no_argument,	NULL, 'j' },
		{ "help",		no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char loc[CS_STORE_LOCATION_MAX + 1], name[CS_STORE_NAME_MAX + 1];
	const char *verb, *store = NULL, *password_file = NULL, *kind = NULL;
	certseal_ctx *ctx = NULL;
	int c, r, code, json = 0;

	/* A missing verb is a usage error: on stderr, like any other. */
	if (argc < 2)
		return cli_usage_error("usage: certseal %s", STORE_SYNOPSIS);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: certseal %s\n", STORE_SYNOPSIS);
		return CLI_EXIT_OK;
	}
	verb = argv[1];
	argc--;
	argv++;
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'S': store = optarg; break;
		case 'p': password_file = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: certseal %s\n", STORE_SYNOPSIS);
			return CLI_EXIT_OK;
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("store %s: bad option", verb);
		}
	}
	if ((code = client_ctx_new(&ctx)) != 0)
		return code;
	if ((r = cs_store_spec_parse(ctx, store, loc, name)) != 0) {
		code = cli_fail(ctx, r, "--store");
		goto out;
	}
	if (strcmp(verb, "import") == 0 && optind == argc - 1)
		code = store_import(ctx, loc, name, argv[optind],
		    password_file, json);
	else if (strcmp(verb, "list") == 0 && optind == argc)
		code = store_list(ctx, loc, name, json);
	else if (strcmp(verb, "remove") == 0 && optind == argc - 1) {
		if ((r = cs_store_remove(ctx, loc, name, argv[optind],
		    &kind)) != 0)
			code = cli_fail(ctx, r, "store remove %s",
			    argv[optind]);
		else {
			cli_info("%s %s removed from %s/%s",
			    kind, argv[optind], loc, name);
			code = CLI_EXIT_OK;
		}
	} else
		code = cli_usage_error("usage: certseal %s", STORE_SYNOPSIS);
 out:
	certseal_ctx_free(ctx);
	return code;
}
