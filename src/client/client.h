/*
 * client.h - the certseal client: global options and the commands.
 */
#ifndef CS_CLIENT_H
#define CS_CLIENT_H

#include "cli.h"

/* Global options, parsed before the command. */
struct client_options {
	char		**sources;	/* -s URIs in order (borrowed argv) */
	size_t		  nsources;
	int		  encrypted_only;
	int		  allow_rollback;
};

extern struct client_options client_opts;

/* --help of every command and verb (help.c). */
extern const struct cli_help client_help[];
extern const size_t client_help_count;
#define CLIENT_GLOBAL_HELP \
	"-s, --certificate-source URI\twhere keys are (repeatable; default "\
	"store:LocalMachine/My)\n" \
	"--accept-encrypted-data-only\trefuse plaintext and unsigned files\n" \
	"--allow-rollback\taccept an older sequence than seen before\n" \
	"--json\tJSON on stdout, also for errors\n" \
	"-q, --quiet\tno success messages on stderr\n" \
	"-v, --verbose\tsay which sources and files are used"

/*
 * A context configured from the global options and the environment
 * (CERTSEAL_CERTIFICATE_SOURCE, CERTSEAL_ACCEPT_ENCRYPTED_DATA_ONLY,
 * CERTSEAL_STATE_DIR).  On failure prints the error and returns the exit
 * code (non-zero).
 */
int client_ctx_new(certseal_ctx **out);

/*
 * Applies a global option (-s URI, --accept-encrypted-data-only as 'E',
 * --allow-rollback as 'R') met on the command line, before or after the
 * command name.  Returns 1 when c was one of them.
 */
int client_global_option(int c, char *arg);

/*
 * Parses a command's options (-o when outp, --json when jsonp, and the
 * global options) and checks that exactly nargs operands follow.  Returns
 * 0 or an exit code; operands start at argv[optind].
 */
int client_parse_options(int argc, char **argv, const char *synopsis,
    char **outp, int *jsonp, int nargs);

int cmd_open(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_sources(int argc, char **argv);
/* cmd-sources-check.c: `sources --check` for the context's sources. */
int sources_check(certseal_ctx *ctx, int json);
int cmd_report(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_enroll(int argc, char **argv);

/*
 * Signs the report at path with the enrolled key of the first of the
 * context's sources that has one (DESIGN.md section 8), into path.sig.
 * CERTSEAL_E_NOT_FOUND when no source is enrolled.
 */
int enroll_sign_report(certseal_ctx *ctx, const char *path);

#endif /* CS_CLIENT_H */
