/*
 * certseal-admin.c - the admin tool: global options and the command table.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "rollout.h"

/* Which results are JSON (CLI_JSON): --json is refused for the others. */
static const struct cli_verb pair_verbs[] = {
	{ "generate", 0 }, { "list", CLI_JSON }, { "export", 0 },
	{ "activate", 0 }, { "retire", 0 }, { "remove", 0 }, { NULL, 0 }
};
static const struct cli_verb client_verbs[] = {
	{ "list", CLI_JSON }, { "approve", 0 }, { "revoke", 0 }, { NULL, 0 }
};
static const struct cli_verb rollout_verbs[] = {
	{ "status", CLI_JSON }, { NULL, 0 }
};
static const struct cli_verb token_verbs[] = {
	{ "check", CLI_JSON }, { NULL, 0 }
};

static const struct cli_command commands[] = {
	{ "init", cmd_init, "init [--token URI] [--config PATH] [--name N]",
	    "create the profile; a SoftHSM2 token when no --token", 0, NULL },
	{ "pair", cmd_pair, "pair generate|list|export|activate|retire|"
	    "remove", "manage certificate pairs (see pair --help)", 0,
	    pair_verbs },
	{ "save", cmd_save, "save [PLAINFILE|-] [-o SEALED] "
	    "[--include-pending]", "seal the configuration to the pairs", 0,
	    NULL },
	{ "show", cmd_show, "show [SEALED] [-o OUT]",
	    "print the configuration, opened with the admin token", 0, NULL },
	{ "edit", cmd_edit, "edit [SEALED] [--include-pending]",
	    "edit the configuration with $EDITOR and save it", 0, NULL },
	{ "inspect", cmd_inspect, "inspect [SEALED] [--json]",
	    "describe the sealed file (JSON)", CLI_JSON, NULL },
	{ "client", cmd_client, "client list|approve|revoke",
	    "enrolled clients (see client --help)", 0, client_verbs },
	{ "rollout", cmd_rollout, "rollout status [--pair ID] [--expect N] "
	    "[--hosts FILE]", "count the hosts ready for a pair", 0,
	    rollout_verbs },
	{ "seal", cmd_seal, "seal -r CERT [-r CERT]... --signer URI "
	    "[-o OUT] [IN|-]", "seal a file offline, without a profile", 0,
	    NULL },
	{ "token", cmd_token, "token check [--json] [PKCS11-URI]",
	    "what a token can do for certseal (default: the profile's)", 0,
	    token_verbs },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: certseal-admin [--profile FILE] [--no-wait] [--json] "
	    "[-q|-v] COMMAND [ARGS]\n"
	    "\n"
	    "Keeps certificate pairs in a PKCS#11 token and saves the "
	    "configuration\nencrypted and signed.\n\ncommands:\n");
	cli_print_commands(fp, commands, sizeof(commands) /
	    sizeof(commands[0]));
	fprintf(fp, "\nprofile: --profile, CERTSEAL_PROFILE, or "
	    "~/.config/certseal/profile.json\n"
	    "global options are accepted anywhere on the line; "
	    "'certseal-admin COMMAND [VERB] --help'\ndescribes one command\n");
	fprintf(fp, "\nexit codes: 0 ok, 1 error, 2 usage, 3 no key, "
	    "4 integrity, 5 policy, 6 token\n");
}

static const struct cli_global admin_globals[] = {
	{ "profile",	0, 1, 'p' },
	{ "no-wait",	0, 0, 'W' },
};

static void
lock_waiting(const char *path, const char *holder)
{
	cli_info("profile %s is in use by %s; waiting (Ctrl-C to give up, "
	    "--no-wait to fail at once)...", path, holder);
}

static int
set_global(int key, char *arg)
{
	if (key == 'p')
		admin_profile_option = arg;
	else if (key == 'W')
		admin_no_wait = profile_lock_no_wait = 1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profile",	required_argument, NULL, 'p' },
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static char who[96];
	int c, code;

	cli_progname = "certseal-admin";
	cli_harden();
	cli_help_table = admin_help;
	cli_help_count = admin_help_count;
	cli_global_options_help = ADMIN_GLOBAL_HELP;
	if ((code = cli_take_globals(&argc, argv, admin_globals,
	    sizeof(admin_globals) / sizeof(admin_globals[0]),
	    set_global)) != 0)
		return code;
	while ((c = cli_getopt(argc, argv, "+hV", longopts)) != -1) {
		switch (c) {
		case 'p':
			admin_profile_option = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("certseal-admin %s\n", certseal_version());
			return CLI_EXIT_OK;
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("bad option");
		}
	}
	if (optind >= argc)
		return cli_no_command(usage);
	/* Said to whoever waits for the profile lock: "certseal-admin edit". */
	snprintf(who, sizeof(who), "certseal-admin %.64s", argv[optind]);
	for (c = 0; who[c] != '\0'; c++)
		if ((unsigned char)who[c] < 0x20)
			who[c] = '?';
	profile_lock_who = who;
	profile_lock_waiting = lock_waiting;
	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: 0 re-initialises getopt for the command */
	return cli_dispatch(commands, sizeof(commands) / sizeof(commands[0]),
	    argc, argv, usage);
}
