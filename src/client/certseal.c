/*
 * certseal.c - the client tool: global options, the command table, and
 * the context every command starts from.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "source.h"

struct client_options client_opts;

/* Which results are JSON (CLI_JSON): --json is refused for the others. */
static const struct cli_verb store_verbs[] = {
	{ "import", CLI_JSON }, { "list", CLI_JSON }, { "remove", 0 },
	{ NULL, 0 }
};

static const struct cli_command commands[] = {
	{ "open", cmd_open, "open CONFIG [-o OUT]",
	    "print the configuration (decrypted and verified)", 0, NULL },
	{ "check", cmd_check, "check CONFIG [--json]",
	    "tell whether this client can open CONFIG, and with what",
	    CLI_JSON, NULL },
	{ "inspect", cmd_inspect, "inspect FILE [--json]",
	    "describe a sealed file: recipients, algorithms, signers",
	    CLI_JSON, NULL },
	{ "sources", cmd_sources, "sources [--check] [--json]",
	    "list the keys and signers each source offers", CLI_JSON, NULL },
	{ "report", cmd_report, "report --out DIR",
	    "write this host's readiness report", CLI_JSON, NULL },
	{ "enroll", cmd_enroll, "enroll --out DIR [--name N] [--algorithm "
	    "ALG] | --finish FILE", "make this client's own key and request "
	    "(see enroll --help)", 0, NULL },
	{ "store", cmd_store, "store import|list|remove ...",
	    "manage the local certificate store (see store --help)", 0,
	    store_verbs },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: certseal [-s|--certificate-source URI]... "
	    "[--accept-encrypted-data-only]\n"
	    "                [--allow-rollback] [--json] [-q|-v] COMMAND "
	    "[ARGS]\n"
	    "\n"
	    "Opens configuration files sealed by certseal-admin with keys "
	    "from\nCertificateSource URIs (pkcs11:, file:, store:); the "
	    "default source is\n" "store:LocalMachine/My.\n\ncommands:\n");
	cli_print_commands(fp, commands, sizeof(commands) /
	    sizeof(commands[0]));
	fprintf(fp, "\nenvironment: CERTSEAL_CERTIFICATE_SOURCE (URIs "
	    "separated by white space),\n"
	    "  CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY=1, CERTSEAL_PIN, "
	    "CERTSEAL_STORE_ROOT,\n  CERTSEAL_STATE_DIR\n"
	    "exit codes: 0 ok, 1 error, 2 usage, 3 no key, 4 integrity, "
	    "5 policy, 6 token\n"
	    "global options are accepted anywhere on the line; "
	    "'certseal COMMAND [VERB] --help'\ndescribes one command\n");
}

/* Where the highest accepted sequence per configuration is remembered. */
static int
state_dir(char *buf, size_t size)
{
	const char *env, *home;

	if ((env = getenv("CERTSEAL_STATE_DIR")) != NULL && *env != '\0')
		return snprintf(buf, size, "%s", env) >= (int)size ? -1 : 0;
	if (geteuid() == 0)
		return snprintf(buf, size, "%s", CS_STATE_DIR) >=
		    (int)size ? -1 : 0;
	if ((env = getenv("XDG_STATE_HOME")) != NULL && *env == '/')
		return snprintf(buf, size, "%s/certseal", env) >=
		    (int)size ? -1 : 0;
	if ((home = getenv("HOME")) == NULL || *home != '/')
		return -1;
	return snprintf(buf, size, "%s/.local/state/certseal", home) >=
	    (int)size ? -1 : 0;
}

/* Adds the sources named in CERTSEAL_CERTIFICATE_SOURCE. */
static int
add_env_sources(certseal_ctx *ctx)
{
	const char *env = getenv("CERTSEAL_CERTIFICATE_SOURCE");
	char *copy = NULL, *uri, *save = NULL;
	int r = 0;

	if (env == NULL || *env == '\0')
		return 0;
	if ((copy = strdup(env)) == NULL)
		return CERTSEAL_E_NOMEM;
	for (uri = strtok_r(copy, " \t\n", &save); uri != NULL;
	    uri = strtok_r(NULL, " \t\n", &save)) {
		if ((r = certseal_ctx_add_source(ctx, uri)) != 0)
			break;
	}
	free(copy);
	return r;
}

int
client_ctx_new(certseal_ctx **out)
{
	certseal_ctx *ctx = NULL;
	unsigned int flags = 0;
	char dir[4096];
	size_t i;
	int r, strict = 0, code = CLI_EXIT_OTHER;

	*out = NULL;
	if ((r = cli_ctx_new(&ctx)) != 0) {
		code = cli_fail(NULL, r, "creating a context");
		goto out;
	}
	for (i = 0; i < client_opts.nsources; i++) {
		if ((r = certseal_ctx_add_source(ctx,
		    client_opts.sources[i])) != 0) {
			code = cli_fail(ctx, r, "--certificate-source");
			goto out;
		}
	}
	if (client_opts.nsources == 0 && (r = add_env_sources(ctx)) != 0) {
		code = cli_fail(ctx, r, "CERTSEAL_CERTIFICATE_SOURCE");
		goto out;
	}
	if (cli_env_bool("CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY", &strict) != 0) {
		/* Never silently non-strict on a typo. */
		code = cli_usage_error("CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY="
		    "'%.64s' is neither true nor false (use 1/0, true/false, "
		    "yes/no)", getenv("CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY"));
		goto out;
	}
	if (client_opts.encrypted_only || strict)
		flags |= CERTSEAL_FLAG_ENCRYPTED_ONLY;
	if (client_opts.allow_rollback)
		flags |= CERTSEAL_FLAG_ALLOW_ROLLBACK;
	if (!isatty(STDIN_FILENO) && access("/dev/tty", R_OK | W_OK) != 0)
		flags |= CERTSEAL_FLAG_NO_PROMPT;
	certseal_ctx_set_flags(ctx, flags);
	for (i = 0; cli_verbose && i < cs_ctx_source_count(ctx); i++)
		cli_debug("certificate source %zu: %s", i + 1,
		    cs_source_display_uri(cs_ctx_source(ctx, i)));
	/* The library adds the default when it needs a source: say it. */
	if (cli_verbose && cs_ctx_source_count(ctx) == 0)
		cli_debug("certificate source 1: %s (the default: no -s, no "
		    "CERTSEAL_CERTIFICATE_SOURCE)", CS_DEFAULT_SOURCE);
	if (state_dir(dir, sizeof(dir)) == 0 &&
	    (r = certseal_ctx_set_state_dir(ctx, dir)) != 0) {
		code = cli_fail(ctx, r, "state directory");
		goto out;
	}
	*out = ctx;
	ctx = NULL;
	code = 0; /* success */
 out:
	certseal_ctx_free(ctx);
	return code;
}

int
client_global_option(int c, char *arg)
{
	switch (c) {
	case 's':
		/* main sized the list for every argv entry. */
		client_opts.sources[client_opts.nsources++] = arg;
		return 1;
	case 'E':
		client_opts.encrypted_only = 1;
		return 1;
	case 'R':
		client_opts.allow_rollback = 1;
		return 1;
	}
	return 0;
}

/* A command's options; the global ones are accepted there too. */
int
client_parse_options(int argc, char **argv, const char *synopsis,
    char **outp, int *jsonp, int nargs)
{
	static const struct option longopts[] = {
		{ "output",		required_argument, NULL, 'o' },
		{ "json",		no_argument,	NULL, 'j' },
		{ "certificate-source",	required_argument, NULL, 's' },
		{ "accept-encrypted-data-only", no_argument, NULL, 'E' },
		{ "allow-rollback",	no_argument,	NULL, 'R' },
		{ "help",		no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = cli_getopt(argc, argv, "o:s:h", longopts)) != -1) {
		switch (c) {
		case 'o':
			if (outp == NULL)
				return cli_usage_error("%s: no -o here",
				    argv[0]);
			*outp = optarg;
			break;
		case 'j':
			if (jsonp == NULL)
				return cli_usage_error("%s: no --json here",
				    argv[0]);
			*jsonp = 1;
			break;
		case 's':
		case 'E':
		case 'R':
			client_global_option(c, optarg);
			break;
		case 'h':
			printf("usage: certseal %s\n", synopsis);
			exit(CLI_EXIT_OK);
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("%s: bad option", argv[0]);
		}
	}
	if (argc - optind != nargs)
		return cli_usage_error("usage: certseal %s", synopsis);
	return 0;
}

static const struct cli_global client_globals[] = {
	{ "certificate-source",	's', 1, 's' },
	{ "accept-encrypted-data-only", 0, 0, 'E' },
	{ "allow-rollback",	0, 0, 'R' },
};

static int
set_global(int key, char *arg)
{
	(void)client_global_option(key, arg);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "certificate-source",	required_argument, NULL, 's' },
		{ "accept-encrypted-data-only", no_argument, NULL, 'E' },
		{ "allow-rollback",	no_argument,	NULL, 'R' },
		{ "help",		no_argument,	NULL, 'h' },
		{ "version",		no_argument,	NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char **sources;
	int c, code;

	cli_progname = "certseal";
	cli_harden();
	if ((sources = calloc((size_t)argc + 1, sizeof(*sources))) == NULL) {
		fprintf(stderr, "certseal: out of memory\n");
		return CLI_EXIT_OTHER;
	}
	client_opts.sources = sources;
	cli_help_table = client_help;
	cli_help_count = client_help_count;
	cli_global_options_help = CLIENT_GLOBAL_HELP;
	if ((code = cli_take_globals(&argc, argv, client_globals,
	    sizeof(client_globals) / sizeof(client_globals[0]),
	    set_global)) != 0) {
		free(sources);
		return code;
	}
	/* '+': global options end at the command name. */
	while ((c = cli_getopt(argc, argv, "+s:hV", longopts)) != -1) {
		switch (c) {
		case 's':
		case 'E':
		case 'R':
			client_global_option(c, optarg);
			break;
		case 'h':
			usage(stdout);
			free(sources);
			return CLI_EXIT_OK;
		case 'V':
			printf("certseal %s\n", certseal_version());
			free(sources);
			return CLI_EXIT_OK;
		case CLI_OPT_REFUSED:
			free(sources);
			return CLI_EXIT_USAGE;
		default:
			free(sources);
			return cli_usage_error("bad option");
		}
	}
	if (optind >= argc) {
		free(sources);
		return cli_no_command(usage);
	}
	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: 0 re-initialises getopt for the command */
	code = cli_dispatch(commands, sizeof(commands) / sizeof(commands[0]),
	    argc, argv, usage);
	free(sources);
	return code;
}
