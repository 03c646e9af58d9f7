/*
 * cmd-rollout.c - `certseal-admin rollout status`: how many clients are
 * ready for a pair, from the reports they wrote with `certseal report`
 * (DESIGN.md section 1, steps 4-7); and the same count for `pair
 * activate`.
 *
 * Host names and file names come from many machines: they are printed
 * with control characters replaced, so a report cannot drive the admin's
 * terminal.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "report.h"
#include "rollout.h"

#define ROLLOUT_SYNOPSIS \
	"rollout status [--reports DIR] [--pair ID] [--expect N] " \
	"[--hosts FILE] [--json]"

/* Not-ready hosts named in a one-line summary; the rest are counted. */
#define SUMMARY_MAX_HOSTS	10

static void
rollout_help(void)
{
	printf("usage: certseal-admin %s\n"
	    "\n"
	    "Counts the readiness reports that clients wrote with `certseal "
	    "report --out DIR`:\na host is ready for a pair when it holds "
	    "the pair's encryption key and trusts\nits signing certificate. "
	    "A report speaks only for the host its\nfile name names "
	    "(HOST.json): one claiming another host is refused and "
	    "named;\na damaged report makes its host not ready.  Each file "
	    "is read once however\nmany names it has; over 100 000 files "
	    "or 64 MiB in all is refused.\n"
	    "\n"
	    "  --reports DIR  the reports directory (default: the profile's "
	    "reports_dir)\n"
	    "  --pair ID      the pair (default: the newest pending pair, "
	    "else the active one)\n"
	    "  --json         print the count as JSON\n"
	    "\n"
	    "exit status: 0 when at least one host reported and every host "
	    "is ready;\n5 when some host is missing or not ready, or no "
	    "report was found (the\ncount is printed, as JSON with --json); "
	    "1 error; 2 usage; other codes as\nfor every command.\n",
	    ROLLOUT_SYNOPSIS);
}

/* Prints s with control characters (C0, DEL, C1) replaced by '?'. */
static void
put_safe(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fputc('?', fp);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fputc('?', fp);
			p++;
		} else
			fputc(*p, fp);
	}
}

static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/*
 * "missing key", "missing signer", both, "damaged report" or "report
 * refused: it claims to be HOST".
 */
static void
put_missing(FILE *fp, json_t *host, int verbose)
{
	json_t *missing = json_object_get(host, "missing"), *m;
	const char *s;
	size_t i;

	json_array_foreach(missing, i, m) {
		s = json_string_value(m);
		if (s == NULL)
			continue;
		if (i > 0)
			fputs(" and ", fp);
		if (strncmp(s, "damaged", 7) == 0) {
			if (verbose)
				put_safe(fp, s);
			else
				fputs("damaged report", fp);
		} else if (strncmp(s, "refused", 7) == 0) {
			/* One client answering for another: name both. */
			if (verbose)
				put_safe(fp, s);
			else {
				fputs("report refused: it claims to be ", fp);
				put_safe(fp, jstr(host, "claims"));
			}
		} else {
			fputs("missing ", fp);
			put_safe(fp, s);
		}
	}
}

/* "3 of 4 hosts ready for pair ID; not ready: web-2 (missing key)". */
static int
summary_text(json_t *res, const char *pair_id, const char *dir, char **out)
{
	json_t *nr = json_object_get(res, "not_ready_hosts"), *h;
	json_int_t hosts, ready, unknown;
	size_t i, len = 0;
	FILE *fp;

	*out = NULL;
	hosts = json_integer_value(json_object_get(res, "hosts"));
	ready = json_integer_value(json_object_get(res, "ready"));
	unknown = json_integer_value(json_object_get(res, "unknown_missing"));
	if ((fp = open_memstream(out, &len)) == NULL)
		return CERTSEAL_E_NOMEM;
	if (unknown > 0)
		fprintf(fp, "%lld of %lld expected hosts ready for pair %s "
		    "(%lld never reported and are not listed or enrolled)",
		    (long long)ready, (long long)json_integer_value(
		    json_object_get(res, "expected_hosts")), pair_id,
		    (long long)unknown);
	else if (hosts == 0) {
		fprintf(fp, "no readiness reports in ");
		put_safe(fp, dir);
		fprintf(fp, " for pair %s; run `certseal report --out DIR` on "
		    "each client", pair_id);
	} else {
		fprintf(fp, "%lld of %lld host%s ready for pair %s",
		    (long long)ready, (long long)hosts, hosts == 1 ? "" : "s",
		    pair_id);
	}
	json_array_foreach(nr, i, h) {
		if (i == SUMMARY_MAX_HOSTS) {
			fprintf(fp, ", and %zu more", json_array_size(nr) - i);
			break;
		}
		fputs(i == 0 ? "; not ready: " : ", ", fp);
		put_safe(fp, jstr(h, "host"));
		fputs(" (", fp);
		put_missing(fp, h, 0);
		fputc(')', fp);
	}
	if (fclose(fp) != 0 || *out == NULL) {
		free(*out);
		*out = NULL;
		return CERTSEAL_E_NOMEM;
	}
	return 0;
}

static int
all_ready(json_t *res)
{
	return json_integer_value(json_object_get(res, "hosts")) > 0 &&
	    json_integer_value(json_object_get(res, "not_ready")) == 0 &&
	    json_integer_value(json_object_get(res, "unknown_missing")) == 0;
}

int
rollout_check_ready(struct admin *a, const struct pair *pair, int *ready,
    char **summary)
{
	const char *dir = a->profile->reports_dir;
	json_t *res = NULL;
	int r;

	*ready = 0;
	*summary = NULL;
	if (dir == NULL && !rollout_fleet_given()) {
		*ready = 1;
		if ((*summary = strdup("no reports directory configured")) ==
		    NULL)
			return cs_error(a->ctx, CERTSEAL_E_NOMEM,
			    "out of memory");
		return 0;
	}
	if (dir == NULL) {
		if (asprintf(summary, "the profile has no reports directory: "
		    "no host of the inventory has reported") < 0) {
			*summary = NULL;
			return cs_error(a->ctx, CERTSEAL_E_NOMEM,
			    "out of memory");
		}
		return 0;
	}
	r = cs_rollout_evaluate(a->ctx, dir, pair->enc_key_id,
	    pair->sign_fingerprint, &res);
	if (r == 0)
		r = rollout_enrolled(a, dir, pair, res);
	if (r == 0)
		r = rollout_fleet_apply(a, res);
	if (r == CERTSEAL_E_NOT_FOUND) {
		/* No directory yet: nobody has reported; --force decides. */
		cs_error_clear(a->ctx);
		if (asprintf(summary, "the reports directory %s does not "
		    "exist; no client has reported", dir) < 0) {
			*summary = NULL;
			return cs_error(a->ctx, CERTSEAL_E_NOMEM,
			    "out of memory");
		}
		return 0;
	}
	if (r == CERTSEAL_E_TOO_LARGE) {
		/*
		 * Any client can fill the directory: that makes nobody
		 * ready, but must not keep --force from activating.
		 */
		if ((*summary = strdup(certseal_ctx_last_error(a->ctx))) ==
		    NULL)
			return cs_error(a->ctx, CERTSEAL_E_NOMEM,
			    "out of memory");
		cs_error_clear(a->ctx);
		return 0;
	}
	if (r != 0)
		return r;
	if ((r = summary_text(res, pair->id, dir, summary)) != 0) {
		r = cs_error(a->ctx, r, "out of memory");
		goto out;
	}
	*ready = all_ready(res);
	r = 0; /* success */
 out:
	json_decref(res);
	return r;
}

/* --pair, else the newest pending pair, else the active one. */
static struct pair *
choose_pair(struct profile *p, const char *id)
{
	struct pair *best = NULL;
	size_t i;

	if (id != NULL)
		return profile_find_pair(p, id);
	for (i = 0; i < p->npairs; i++) {
		if (p->pairs[i].state == PAIR_PENDING && (best == NULL ||
		    p->pairs[i].created >= best->created))
			best = &p->pairs[i];
	}
	return best != NULL ? best : profile_active_pair(p);
}

static void
print_human(json_t *res, const char *summary)
{
	json_t *nr = json_object_get(res, "not_ready_hosts"), *h;
	size_t i;

	printf("%s\n", summary);
	json_array_foreach(nr, i, h) {
		fputs("  ", stdout);
		put_safe(stdout, jstr(h, "host"));
		fputs(": ", stdout);
		put_missing(stdout, h, 1);
		fputs(" (", stdout);
		put_safe(stdout, jstr(h, "file"));
		fputs(")\n", stdout);
	}
}

static int
rollout_status(const char *dir_opt, const char *pair_opt, int json)
{
	struct admin a;
	struct pair *pair;
	json_t *res = NULL;
	const char *dir;
	char *summary = NULL;
	int r, code;

	if ((code = admin_open(&a, 0)) != 0)
		goto out;
	if ((dir = dir_opt) == NULL && (dir = a.profile->reports_dir) ==
	    NULL) {
		code = cli_usage_error("rollout status: no --reports DIR, and "
		    "the profile %s has no reports_dir", a.profile->path);
		goto out;
	}
	if ((pair = choose_pair(a.profile, pair_opt)) == NULL &&
	    pair_opt != NULL) {
		code = cli_fail(a.ctx, CERTSEAL_E_NOT_FOUND, "rollout status: "
		    "no pair '%s' in %s (or the prefix is ambiguous); see "
		    "`certseal-admin pair list`", pair_opt, a.profile->path);
		goto out;
	}
	if (pair == NULL) {
		code = cli_fail(a.ctx, CERTSEAL_E_NOT_FOUND, "rollout status: "
		    "no pending or active pair in %s; generate one with "
		    "`certseal-admin pair generate`", a.profile->path);
		goto out;
	}
	if ((r = cs_rollout_evaluate(a.ctx, dir, pair->enc_key_id,
	    pair->sign_fingerprint, &res)) != 0 ||
	    (r = rollout_enrolled(&a, dir, pair, res)) != 0 ||
	    (r = rollout_fleet_apply(&a, res)) != 0) {
		code = cli_fail(a.ctx, r, "rollout status");
		goto out;
	}
	if ((r = summary_text(res, pair->id, dir, &summary)) != 0 ||
	    json_object_set_new(res, "pair", json_string(pair->id)) != 0 ||
	    json_object_set_new(res, "reports_dir",
	    cs_report_jstr(dir)) != 0 ||
	    json_object_set_new(res, "all_ready",
	    json_boolean(all_ready(res))) != 0) {
		code = cli_fail(a.ctx, CERTSEAL_E_NOMEM, "rollout status");
		goto out;
	}
	if (json) {
		if ((r = cli_print_json(res)) != 0) {
			code = cli_fail(a.ctx, r, "rollout status");
			goto out;
		}
	} else {
		print_human(res, summary);
		if (fflush(stdout) != 0) {
			code = cli_fail(a.ctx, CERTSEAL_E_IO, "rollout status: "
			    "stdout");
			goto out;
		}
	}
	/*
	 * Not ready is an answer, not a failure: 5, as `pair activate`
	 * refuses for it, so a script tells it from an error (1).
	 */
	code = all_ready(res) ? CLI_EXIT_OK :
	    certseal_exit_code(CERTSEAL_E_POLICY);
 out:
	free(summary);
	json_decref(res);
	admin_close(&a);
	return code;
}

int
cmd_rollout(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reports",	required_argument, NULL, 'r' },
		{ "pair",	required_argument, NULL, 'p' },
		{ "json",	no_argument,	NULL, 'j' },
		{ "expect",	required_argument, NULL, 'e' },
		{ "hosts",	required_argument, NULL, 'H' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *pair = NULL;
	int c, code, json = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		if (argc < 2)
			return cli_usage_error("usage: certseal-admin %s",
			    ROLLOUT_SYNOPSIS);
		rollout_help();
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "status") != 0)
		return cli_usage_error("rollout: unknown verb '%s' (use "
		    "status)", argv[1]);
	argc--;
	argv++;
	while ((c = cli_getopt(argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'r':
			dir = optarg;
			break;
		case 'p':
			pair = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'e':
		case 'H':
			if ((code = rollout_fleet_option(c == 'e' ? "expect" :
			    "hosts", optarg)) != 0)
				return code;
			break;
		case 'h':
			rollout_help();
			return CLI_EXIT_OK;
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("rollout status: bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("usage: certseal-admin %s",
		    ROLLOUT_SYNOPSIS);
	return rollout_status(dir, pair, json);
}
