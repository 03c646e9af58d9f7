/*
 * cmd-report.c - certseal report: this host's readiness report for
 * `certseal-admin rollout status` (DESIGN.md section 1, steps 4 and 6).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "report.h"
#include "source.h"

#define REPORT_SYNOPSIS	"report --out DIR [--host NAME] [--json]"

static void
report_help(void)
{
	printf("usage: certseal [-s URI]... %s\n"
	    "\n"
	    "Writes DIR/<host>.json: the sources and flags this client uses, "
	    "the\ndecryption keys it holds and the signers it trusts (no "
	    "secrets).\nThe admin counts the reports with 'certseal-admin "
	    "rollout status'.\nA source that fails is recorded in the report "
	    "and printed as a warning.\n"
	    "\n"
	    "  -o, --out DIR   the reports directory (made 0755 if missing)\n"
	    "  --host NAME     report under NAME instead of the host name\n"
	    "                  (containers, clones that share a host name)\n"
	    "  --json          also print the report on stdout\n"
	    "\n"
	    "The report path is printed on stderr.  Exit 0 when the report "
	    "was written,\neven if some sources failed.\n", REPORT_SYNOPSIS);
}

static int
parse(int argc, char **argv, char **outp, char **hostp, int *jsonp)
{
	static const struct option longopts[] = {
		{ "out",		required_argument, NULL, 'o' },
		{ "host",		required_argument, NULL, 'H' },
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
			*outp = optarg;
			break;
		case 'H':
			*hostp = optarg;
			break;
		case 'j':
			*jsonp = 1;
			break;
		case 's':
		case 'E':
		case 'R':
			client_global_option(c, optarg);
			break;
		case 'h':
			report_help();
			exit(CLI_EXIT_OK);
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("report: bad option");
		}
	}
	if (argc != optind)
		return cli_usage_error("usage: certseal %s", REPORT_SYNOPSIS);
	if (*outp == NULL || **outp == '\0')
		return cli_usage_error("report: --out DIR is required");
	/* -o is standard output elsewhere: here it names a directory. */
	if (strcmp(*outp, "-") == 0)
		return cli_usage_error("report: --out takes the reports "
		    "directory, and '-' is none (--json prints the report "
		    "too)");
	return 0;
}

/* A host name given on the command line: what cs_report_read accepts. */
static int
check_host(const char *host)
{
	size_t i, n = strlen(host);

	if (n == 0 || n > CS_REPORT_MAX_HOST)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)host[i] < 0x20 || host[i] == 0x7f)
			return -1;
	return 0;
}

int
cmd_report(int argc, char **argv)
{
	certseal_ctx *ctx = NULL;
	json_t *rep = NULL, *e;
	char *out = NULL, *host = NULL, *path = NULL;
	size_t i;
	int r, code, json = 0;

	if ((code = parse(argc, argv, &out, &host, &json)) != 0)
		return code;
	if (host != NULL && check_host(host) != 0)
		return cli_usage_error("report: --host must be 1 to %d "
		    "printable bytes", CS_REPORT_MAX_HOST);
	if ((code = client_ctx_new(&ctx)) != 0)
		goto out;
	if ((r = cs_report_build(ctx, &rep)) != 0) {
		code = cli_fail(ctx, r, "report");
		goto out;
	}
	if (host != NULL && json_object_set_new(rep, "host",
	    cs_report_jstr(host)) != 0) {
		code = cli_fail(ctx, CERTSEAL_E_NOMEM, "report");
		goto out;
	}
	if ((r = cs_report_write(ctx, out, rep, &path)) != 0) {
		code = cli_fail(ctx, r, "report");
		goto out;
	}
	/* An enrolled client's report counts only with its signature. */
	if ((r = enroll_sign_report(ctx, path)) != 0 &&
	    r != CERTSEAL_E_NOT_FOUND) {
		code = cli_fail(ctx, r, "report: signing %s", path);
		goto out;
	}
	/* The report records them; say so where a person will see it. */
	json_array_foreach(json_object_get(rep, "errors"), i, e)
		cli_warn("report: %s: %s",
		    json_string_value(json_object_get(e, "source")),
		    json_string_value(json_object_get(e, "error")));
	if (json && (r = cli_print_json(rep)) != 0) {
		code = cli_fail(ctx, r, "report");
		goto out;
	}
	cli_info("report written to %s", path);
	code = CLI_EXIT_OK;
 out:
	free(path);
	json_decref(rep);
	certseal_ctx_free(ctx);
	return code;
}
