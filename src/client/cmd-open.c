/*
 * cmd-open.c - `certseal open` and `certseal check`: the configuration,
 * or only whether and how this client can open it.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "internal.h"

#define OPEN_SYNOPSIS \
	"open CONFIG [-o OUT [--owner USER[:GROUP]] [--mode MODE]]"

/* Where the plaintext goes, and whose it is. */
struct open_opts {
	char		*out;
	const char	*owner;		/* as given, for messages */
	struct cs_write_opts w;
};

/* A user or group: a name, else a decimal ID. */
static int
parse_id(const char *s, int group, unsigned long *idp, gid_t *gidp)
{
	char buf[4096], *end;
	struct passwd pw, *pwr = NULL;
	struct group gr, *grr = NULL;
	unsigned long v;

	if (*s == '\0')
		return -1;
	if (group ? (getgrnam_r(s, &gr, buf, sizeof(buf), &grr) == 0 &&
	    grr != NULL) : (getpwnam_r(s, &pw, buf, sizeof(buf), &pwr) ==
	    0 && pwr != NULL)) {
		*idp = group ? grr->gr_gid : pwr->pw_uid;
		if (!group && gidp != NULL)
			*gidp = pwr->pw_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || s[0] < '0' || s[0] > '9' ||
	    v >= (unsigned long)(uid_t)-1)
		return -1;
	*idp = v;
	if (!group && gidp != NULL) {
		/* A bare UID without a passwd entry keeps its own number. */
		*gidp = (getpwuid_r((uid_t)v, &pw, buf, sizeof(buf), &pwr) ==
		    0 && pwr != NULL) ? pwr->pw_gid : (gid_t)v;
	}
	return 0;
}

/*
 * USER[:GROUP]; USER alone means the user's login group (the file is for
 * a service that runs as that user and group).
 */
static int
parse_owner(const char *arg, struct cs_write_opts *w)
{
	char *copy, *colon;
	unsigned long uid, gid;
	gid_t login_gid = (gid_t)-1;
	int r = -1;

	if ((copy = strdup(arg)) == NULL)
		return -1;
	if ((colon = strchr(copy, ':')) != NULL)
		*colon++ = '\0';
	if (parse_id(copy, 0, &uid, &login_gid) != 0)
		goto out;
	if (colon != NULL) {
		if (parse_id(colon, 1, &gid, NULL) != 0)
			goto out;
	} else
		gid = login_gid;
	w->uid = (uid_t)uid;
	w->gid = (gid_t)gid;
	r = 0; /* success */
 out:
	free(copy);
	return r;
}

/* Octal permission bits only: set-id and sticky bits make no sense here. */
static int
parse_mode(const char *arg, mode_t *out)
{
	unsigned long v;
	char *end;

	if (*arg < '0' || *arg > '7')
		return -1;
	errno = 0;
	v = strtoul(arg, &end, 8);
	if (errno != 0 || *end != '\0' || v > 0777)
		return -1;
	*out = (mode_t)v;
	return 0;
}

static int
open_parse(int argc, char **argv, struct open_opts *o)
{
	static const struct option longopts[] = {
		{ "output",		required_argument, NULL, 'o' },
		{ "owner",		required_argument, NULL, 'O' },
		{ "mode",		required_argument, NULL, 'm' },
		{ "certificate-source",	required_argument, NULL, 's' },
		{ "accept-encrypted-data-only", no_argument, NULL, 'E' },
		{ "allow-rollback",	no_argument,	NULL, 'R' },
		{ "help",		no_argument,	NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *mode = NULL;
	int c;

	while ((c = cli_getopt(argc, argv, "o:s:h", longopts)) != -1) {
		switch (c) {
		case 'o':
			o->out = optarg;
			break;
		case 'O':
			o->owner = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 's':
		case 'E':
		case 'R':
			client_global_option(c, optarg);
			break;
		case 'h':
			printf("usage: certseal %s\n", OPEN_SYNOPSIS);
			exit(CLI_EXIT_OK);
		case CLI_OPT_REFUSED:
			return CLI_EXIT_USAGE;
		default:
			return cli_usage_error("open: bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("usage: certseal %s", OPEN_SYNOPSIS);
	if ((o->owner != NULL || mode != NULL) &&
	    (o->out == NULL || strcmp(o->out, "-") == 0))
		return cli_usage_error("open: --owner and --mode need -o OUT");
	if (o->owner != NULL && parse_owner(o->owner, &o->w) != 0)
		return cli_usage_error("open: --owner %s: no such user or "
		    "group", o->owner);
	if (mode != NULL && parse_mode(mode, &o->w.mode) != 0)
		return cli_usage_error("open: --mode %s: not an octal mode "
		    "between 0000 and 0777", mode);
	return 0;
}

int
cmd_open(int argc, char **argv)
{
	/* Plaintext output is private by default: 0600, like a key file. */
	struct open_opts o = { NULL, NULL, { 0600, (uid_t)-1, (gid_t)-1 } };
	certseal_ctx *ctx = NULL;
	certseal_config *cfg = NULL;
	const uint8_t *data;
	const char *path;
	size_t len;
	int r, code;

	if ((code = open_parse(argc, argv, &o)) != 0)
		return code;
	path = argv[optind];
	if (o.out != NULL && strcmp(path, "-") != 0 &&
	    cli_same_file(path, o.out))
		return cli_usage_error("open: -o %s would replace the sealed "
		    "file with its plaintext", o.out);
	if ((code = client_ctx_new(&ctx)) != 0)
		goto out;
	if ((r = cli_check_output(ctx, o.out, CLI_OUT_PLAIN, NULL)) != 0) {
		code = cli_fail(ctx, r, "open");
		goto out;
	}
	cli_heap_reserve(path);
	if ((r = certseal_open_file(ctx, path, &cfg)) != 0) {
		code = cli_fail(ctx, r, "%s", path);
		goto out;
	}
	data = certseal_config_data(cfg, &len);
	if (o.out == NULL || strcmp(o.out, "-") == 0)
		r = cli_write_output(ctx, o.out, data, len, 0600);
	else
		r = cs_atomic_write_opts(ctx, o.out, data, len, &o.w);
	if (r != 0) {
		code = cli_fail(ctx, r, "%s", o.out == NULL ? "stdout" :
		    o.out);
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
